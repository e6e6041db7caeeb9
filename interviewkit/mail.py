"""Email through the SMTP server named in the configuration; nothing is sent without one.

Settings: MAIL_SERVER (host; unset means "no email"), MAIL_PORT (25), MAIL_USE_TLS
(STARTTLS, default off), MAIL_USERNAME and MAIL_PASSWORD (optional), MAIL_FROM.

Two ways to send: `send_mail` at once (a command, or a page that shows the outcome), and
`send_after_commit` (calendar invites), which writes the message to the outbox table in
the transaction of the change it announces: a rollback drops it with the change, so an
email never announces a change that did not happen, and a commit keeps it with the change,
so a mail server that does not answer, or a process that dies before sending, loses
nothing. It is sent right after the commit; what the server did not take is retried with
backoff by a thread in each `serve` worker (`start_sender`). A sent message is deleted.
"""

from __future__ import annotations

import email
import email.policy
import logging
import smtplib
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import delete, event, func, inspect, or_, select, update

from .extensions import db
from .models import OutgoingMail, utcnow

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 10  # seconds: a slow mail server must not hold a request for long
_OUTBOX = "interviewkit.outbox"  # db.session.info key: the outbox rows of this transaction
RETRY_FIRST = timedelta(minutes=1)  # then doubling, at most RETRY_MOST
RETRY_MOST = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about two days of tries; then the row stays, marked as given up
LEASE = timedelta(minutes=2)  # a sender's claim on a row while it talks to the server
SENDER_POLL_SECONDS = 30


class MailError(Exception):
    """A message could not be handed to the SMTP server; the message says why."""


class LinkError(Exception):
    """Links in emails cannot be built (PUBLIC_URL missing or wrong); the message says why."""


def mail_configured() -> bool:
    """Return True if an SMTP server is configured."""
    return bool(current_app.config.get("MAIL_SERVER"))


def public_url() -> str:
    """Return the address people open the app at, which links in emails start with.

    PUBLIC_URL, or else SERVER_NAME with PREFERRED_URL_SCHEME: an email is often built
    where there is no request (cron, a commit hook) to take the address from.
    """
    config = current_app.config
    url = config.get("PUBLIC_URL")
    if not url and config.get("SERVER_NAME"):
        scheme = config.get("PREFERRED_URL_SCHEME") or "http"
        url = f"{scheme}://{config['SERVER_NAME']}{config.get('APPLICATION_ROOT') or '/'}"
    if not url:
        raise LinkError(
            "PUBLIC_URL is not set: set it in instance/config.py to the address people open "
            'interviewkit at (e.g. PUBLIC_URL = "https://interviews.example.com"), so '
            "emails can link to the page to act on"
        )
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkError(
            f"PUBLIC_URL is {url!r}: it must be a full address starting with https:// "
            "(or http://), e.g. https://interviews.example.com"
        )
    return str(url)


def link(endpoint: str, base: str | None = None, **values) -> str:
    """Return the full address of a page (e.g. "kit.kit", session_id=3) under PUBLIC_URL."""
    parts = urlsplit(base or public_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """Return an email: the plain text, and the HTML as its alternative when given."""
    msg = EmailMessage()
    msg["From"] = current_app.config.get("MAIL_FROM") or "interviewkit@localhost"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def send_mail(to: str, subject: str, body: str, html: str | None = None) -> None:
    """Send an email (plain text, and HTML if given) to one address now."""
    send_messages([message(to, subject, body, html)])


def send_messages(messages: list[EmailMessage]) -> None:
    """Hand messages to the configured SMTP server over one connection."""
    _, error = _send_each(messages)
    if error:
        raise MailError(error)


def _server() -> str:
    config = current_app.config
    return f"{config['MAIL_SERVER']}:{int(config.get('MAIL_PORT') or 25)}"


def _smtp() -> smtplib.SMTP:
    """Return a connection to the configured SMTP server, TLS and login done."""
    config = current_app.config
    smtp = smtplib.SMTP(
        config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=SMTP_TIMEOUT
    )
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_after_commit(msg: EmailMessage, candidate_id: int | None = None) -> None:
    """Put a message in the outbox with the current transaction: sent once it commits
    (and retried until the server takes it), dropped if it rolls back.

    `candidate_id`: whose personal data the message holds, so a deletion removes it too.
    """
    row = OutgoingMail(message=msg.as_string(), candidate_id=candidate_id)
    db.session.add(row)
    db.session.info.setdefault(_OUTBOX, []).append(row)


def _send_outbox(session) -> None:
    rows = session.info.pop(_OUTBOX, [])
    if not rows or not mail_configured():
        return
    # The ids from the identity map: the rows are expired by the commit, and this hook
    # may not query through the session.
    ids = [state.identity[0] for state in map(inspect, rows) if state.identity]
    try:
        deliver(ids)
    except Exception:  # noqa: BLE001 - the change is committed; the retries will send it
        log.exception("email from the outbox not sent now; it is retried")


def _drop_outbox(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit
        session.info.pop(_OUTBOX, None)


_M = OutgoingMail.__table__


def _claimable(moment: datetime):
    return (
        _M.c.next_attempt_at.is_not(None),
        or_(_M.c.locked_until.is_(None), _M.c.locked_until <= moment),
    )


def deliver(ids: list[int], now: datetime | None = None) -> int:
    """Send these outbox rows (those no other sender holds); return how many were sent."""
    moment = now or utcnow()
    claimed: list[tuple[int, str, int]] = []
    with db.engine.begin() as conn:
        for row_id in ids:
            # The UPDATE checks the claim again: of two senders, the second changes nothing.
            if conn.execute(
                update(_M)
                .where(_M.c.id == row_id, *_claimable(moment))
                .values(locked_until=moment + LEASE, attempts=_M.c.attempts + 1)
            ).rowcount:
                text, attempts = conn.execute(
                    select(_M.c.message, _M.c.attempts).where(_M.c.id == row_id)
                ).one()
                claimed.append((row_id, text, attempts))
    if not claimed:
        return 0
    messages = [email.message_from_string(t, policy=email.policy.SMTP) for _, t, _ in claimed]
    sent, error = _send_each(messages)
    with db.engine.begin() as conn:
        done = [row_id for (row_id, _, _), ok in zip(claimed, sent, strict=True) if ok]
        if done:
            conn.execute(delete(_M).where(_M.c.id.in_(done)))
        for (row_id, _, attempts), ok in zip(claimed, sent, strict=True):
            if not ok:
                conn.execute(
                    update(_M)
                    .where(_M.c.id == row_id)
                    .values(**_retry(attempts, error[:500], moment))
                )
    if error:
        log.warning("%d email(s) not sent yet, retried later: %s", len(claimed) - len(done), error)
    return len(done)


def _send_each(messages: list[EmailMessage]) -> tuple[list[bool], str]:
    """Hand each message to the SMTP server over one connection; return which it took."""
    sent = [False] * len(messages)
    try:
        with _smtp() as smtp:
            for i, msg in enumerate(messages):
                smtp.send_message(msg)
                sent[i] = True
    except (OSError, smtplib.SMTPException) as exc:
        return sent, f"the mail server {_server()} did not take it ({exc})"
    return sent, ""


def _retry(attempts: int, error: str, moment: datetime) -> dict:
    if attempts >= MAX_ATTEMPTS:
        log.error("an email was not taken after %d attempts; it stays in the outbox", attempts)
        return {"next_attempt_at": None, "locked_until": None, "last_error": error}
    wait = min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MOST)
    return {"next_attempt_at": moment + wait, "locked_until": None, "last_error": error}


def deliver_due(now: datetime | None = None, limit: int = 100) -> int:
    """Send the outbox rows whose next attempt is due; return how many were sent."""
    moment = now or utcnow()
    with db.engine.connect() as conn:
        ids = list(
            conn.execute(
                select(_M.c.id)
                .where(*_claimable(moment), _M.c.next_attempt_at <= moment)
                .order_by(_M.c.next_attempt_at, _M.c.id)
                .limit(limit)
            ).scalars()
        )
    return deliver(ids, moment) if ids else 0


def outbox_counts() -> tuple[int, int]:
    """Return (waiting, given up): emails the mail server has not taken yet (/metrics)."""
    with db.engine.connect() as conn:
        waiting, given_up = conn.execute(
            select(
                func.count().filter(_M.c.next_attempt_at.is_not(None)),
                func.count().filter(_M.c.next_attempt_at.is_(None)),
            )
        ).one()
    return waiting, given_up


class Sender:
    """A daemon thread that sends what is due in the outbox every SENDER_POLL_SECONDS."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="interviewkit-mail", daemon=True)

    def _run(self) -> None:
        while not self.stopping.wait(SENDER_POLL_SECONDS):
            try:
                with self.app.app_context():
                    if mail_configured():
                        deliver_due()
            except Exception:  # noqa: BLE001 - e.g. the database restarts: next pass
                log.exception("outbox pass failed; trying again next pass")


def start_sender(app) -> Sender | None:
    """Start the outbox's retry thread for a web worker's app (not under TESTING)."""
    if not isinstance(app, Flask) or "sqlalchemy" not in app.extensions or app.testing:
        return None
    sender = Sender(app)
    sender.thread.start()
    return sender


event.listen(db.session, "after_commit", _send_outbox)
event.listen(db.session, "after_transaction_end", _drop_outbox)

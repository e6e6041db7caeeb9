"""Email through the SMTP server named in the configuration; nothing is sent without one.

Settings: MAIL_SERVER (host; unset means "no email"), MAIL_PORT (25), MAIL_USE_TLS
(STARTTLS, default off), MAIL_USERNAME and MAIL_PASSWORD (optional), MAIL_FROM.

Two ways to send: `send_mail` at once (a command, or a page that shows the outcome), and
`send_after_commit`, which holds the message until the database transaction it belongs
to commits and drops it if that transaction rolls back, so an email never announces a
change that did not happen (calendar invites). A message held that way is lost if the
process dies between the commit and the send; the change itself is not.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import event

from .extensions import db

SMTP_TIMEOUT = 10  # seconds: a slow mail server must not hold a request for long
_OUTBOX = "interviewkit.outbox"  # the key of db.session.info holding messages to send


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
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for msg in messages:
                smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"the mail server {host}:{port} did not take it ({exc})") from None


def send_after_commit(msg: EmailMessage) -> None:
    """Send a message once the current transaction commits; a rollback drops it."""
    db.session.info.setdefault(_OUTBOX, []).append(msg)


def _send_outbox(session) -> None:
    messages = session.info.pop(_OUTBOX, [])
    if not messages or not mail_configured():
        return
    try:
        send_messages(messages)
    except MailError as exc:  # the change is committed: say so in the log, do not undo it
        current_app.logger.warning("%d email(s) not sent: %s", len(messages), exc)


def _drop_outbox(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit
        session.info.pop(_OUTBOX, None)


event.listen(db.session, "after_commit", _send_outbox)
event.listen(db.session, "after_transaction_end", _drop_outbox)

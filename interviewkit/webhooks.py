"""Signed webhooks: tell other systems that something happened, from a queue in the app database.

An admin subscribes a URL to some of the EVENTS. When one happens, `enqueue` adds a
`WebhookDelivery` per subscribed, active webhook to the same database transaction as the
event itself (the outbox pattern): if the event rolls back, nothing is queued, and once
it commits the delivery is on disk, so a crash or a restart loses none.

`deliver_due` sends what is due. It first claims each row with a conditional UPDATE
(`locked_until`, a lease), so two senders (the thread in every gunicorn worker, a
`interviewkit webhooks deliver`) never send the same row at once, on SQLite or
PostgreSQL. A sender that dies mid-send leaves a claim that expires, and the next pass
sends the row again: delivery is at least once, and the body's `id` lets a receiver
drop a repeat. A 2xx answer marks the row delivered; anything else is retried with
exponential backoff (`backoff`) until WEBHOOK_MAX_ATTEMPTS, then the row is failed.

The claim and the result are written in short transactions of the sender's own, on a
connection of their own, never through `db.session`: a pass commits nothing but its own
rows, and each claim is visible to the other senders before the slow HTTP call starts.

Every request is signed: `Interviewkit-Signature: v1=<hex HMAC-SHA256(secret,
"<timestamp>." + body)>`, with the timestamp in `Interviewkit-Timestamp`
(docs/webhooks.md has the receiver's side). Payloads carry ids and small facts only,
never what anyone wrote or scored: the receiver reads the rest through the API, under
its token's role and the independent-feedback rule.

Settings: WEBHOOK_MAX_ATTEMPTS (10), WEBHOOK_TIMEOUT_SECONDS (10), WEBHOOK_POLL_SECONDS
(5), WEBHOOK_WORKER (on, except under TESTING: a sender thread in each gunicorn worker).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import random
import secrets
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, or_, select, update

from .extensions import db
from .models import (
    Candidate,
    Decision,
    Loop,
    Scorecard,
    User,
    Webhook,
    WebhookDelivery,
    audit,
    utcnow,
)
from .text import problem

log = logging.getLogger(__name__)

# event -> what it means, as the admin page and docs/webhooks.md say it
EVENTS = {
    "scorecard.submitted": "An interviewer submitted a scorecard (ratings and evidence).",
    "decision.recorded": "A hiring lead recorded or changed a decision on a candidate.",
    "loop.assembled": "A hiring lead assembled an interview loop for a candidate.",
}
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix that marks a secret, not one
MAX_URL = 2000
MAX_ERROR = 300
BACKOFF_FIRST = 30  # seconds after the first failed attempt, then doubling
BACKOFF_CAP = 6 * 3600  # never wait longer than this between two attempts
JITTER = 0.1  # up to 10 % more, so a receiver back from an outage is not hit all at once
PER_PAGE = 50  # rows of a delivery log page
USER_AGENT = "interviewkit-webhooks/1"


class WebhookError(Exception):
    """A webhook cannot be saved as asked; the message says what to fix, `field` where."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Settings:
    """How deliveries are sent: attempts before giving up, the timeout, the poll interval."""

    max_attempts: int = 10
    timeout: float = 10.0
    poll: float = 5.0

    @classmethod
    def of(cls, config) -> Settings:
        """Read the WEBHOOK_* settings of an app's config; refuse nonsense with a message."""
        settings = cls(
            max_attempts=int(config.get("WEBHOOK_MAX_ATTEMPTS", cls.max_attempts)),
            timeout=float(config.get("WEBHOOK_TIMEOUT_SECONDS", cls.timeout)),
            poll=float(config.get("WEBHOOK_POLL_SECONDS", cls.poll)),
        )
        if settings.max_attempts < 1 or settings.timeout <= 0 or settings.poll <= 0:
            raise ValueError(
                "WEBHOOK_MAX_ATTEMPTS must be 1 or more, WEBHOOK_TIMEOUT_SECONDS and "
                "WEBHOOK_POLL_SECONDS more than 0"
            )
        return settings

    @property
    def lease(self) -> timedelta:
        """Return how long a claim lasts: longer than any send, short enough to recover."""
        return timedelta(seconds=2 * self.timeout + 30)


# -- configuration (the admin pages) ------------------------------------------------------


@dataclass(frozen=True)
class NewSecret:
    """A webhook whose secret was just made: shown to the admin now, never again."""

    webhook: Webhook
    secret: str


def check_url(url: str) -> str:
    """Return the URL to send to, stripped; raise WebhookError saying what is wrong with it."""
    url = (url or "").strip()
    if not url:
        raise WebhookError("give the address to send to, e.g. https://ats.example.com/hooks", "url")
    reason = problem(url, multiline=False)
    if reason:
        raise WebhookError(f"the URL {reason}", "url")
    if len(url) > MAX_URL:
        raise WebhookError(f"the URL is {len(url)} characters: use {MAX_URL} or fewer", "url")
    if any(c.isspace() for c in url):
        raise WebhookError("the URL contains a space: percent-encode it (%20)", "url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):  # urlsplit gives the scheme in lower case
        shown = f", not {parts.scheme}:" if parts.scheme else ""
        raise WebhookError(f"the URL must start with https:// or http://{shown}", "url")
    try:
        port = parts.port
    except ValueError:
        raise WebhookError("the URL's port is not a number from 1 to 65535", "url") from None
    if not parts.hostname or port == 0:
        raise WebhookError("the URL has no host name: write it as https://host/path", "url")
    if parts.username is not None or parts.password is not None:
        raise WebhookError(
            "remove the user name and password from the URL: the signature proves the "
            "request comes from interviewkit",
            "url",
        )
    if parts.fragment or url.endswith("#"):
        raise WebhookError("remove the #fragment from the URL: it is never sent", "url")
    return url


def check_events(events) -> list[str]:
    """Return the chosen events in a fixed order; raise WebhookError if none or unknown."""
    chosen = [e for e in EVENTS if e in set(events or ())]
    unknown = sorted(set(events or ()) - set(EVENTS))
    if unknown:
        raise WebhookError(f"there is no event {unknown[0]!r}: use {', '.join(EVENTS)}", "events")
    if not chosen:
        raise WebhookError("choose at least one event to send", "events")
    return chosen


def new_secret() -> str:
    """Return a fresh signing secret: the prefix and 32 random bytes, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def create_webhook(actor: User, url: str, events) -> NewSecret:
    """Add an active webhook and its secret (audited); WebhookError if the input is wrong."""
    webhook = Webhook(
        url=check_url(url),
        events=check_events(events),
        secret=new_secret(),
        active=True,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(webhook)
    db.session.flush()
    audit(actor, "webhook.create", webhook, url=webhook.url, events=webhook.events)
    return NewSecret(webhook, webhook.secret)


def update_webhook(actor: User, webhook: Webhook, url: str, events) -> bool:
    """Change a webhook's URL and events (audited); return False if nothing changed."""
    url, events = check_url(url), check_events(events)
    changes = {}
    if url != webhook.url:
        changes["url"] = [webhook.url, url]
    if events != list(webhook.events):
        changes["events"] = [list(webhook.events), events]
    if not changes:
        return False
    webhook.url, webhook.events = url, events
    audit(actor, "webhook.update", webhook, **changes)
    return True


def set_active(actor: User, webhook: Webhook, active: bool) -> None:
    """Enable or disable a webhook (audited). A disabled webhook's queue waits, unsent."""
    if webhook.active != active:
        webhook.active = active
        audit(actor, "webhook.enable" if active else "webhook.disable", webhook, url=webhook.url)


def rotate_secret(actor: User, webhook: Webhook) -> NewSecret:
    """Replace a webhook's secret (audited, the secret itself never is); sign with it now."""
    webhook.secret = new_secret()
    audit(actor, "webhook.rotate_secret", webhook, url=webhook.url)
    return NewSecret(webhook, webhook.secret)


def webhooks_with_counts() -> list[tuple[Webhook, dict[str, int]]]:
    """Return every webhook, oldest first, with how many of its deliveries are in each status."""
    hooks = db.session.execute(select(Webhook).order_by(Webhook.id)).scalars().all()
    counts: dict[int, dict[str, int]] = {h.id: dict.fromkeys(STATUSES, 0) for h in hooks}
    rows = db.session.execute(
        select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count()).group_by(
            WebhookDelivery.webhook_id, WebhookDelivery.status
        )
    )
    for webhook_id, status, n in rows:
        counts.setdefault(webhook_id, {})[status] = n
    return [(h, counts[h.id]) for h in hooks]


def delivery_log(webhook: Webhook, page: int) -> tuple[list[WebhookDelivery], int, int]:
    """Return one page of a webhook's deliveries, newest first: (rows, page, pages)."""
    total = db.session.scalar(
        select(func.count()).select_from(WebhookDelivery).filter_by(webhook_id=webhook.id)
    )
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(WebhookDelivery)
        .filter_by(webhook_id=webhook.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).scalars()
    return list(rows), page, pages


# -- the outbox: queue a delivery with the event ----------------------------------------------


def enqueue(event: str, data: dict, now: datetime | None = None) -> list[WebhookDelivery]:
    """Queue `event` for every active webhook subscribed to it, in the caller's transaction.

    The body is built here, once, and stored: every attempt and every redelivery sends
    these bytes. Its `id` is the event's, the same for every webhook; each delivery has
    its own id too (the Interviewkit-Delivery header).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    hooks = [
        h
        for h in db.session.execute(select(Webhook).where(Webhook.active.is_(True))).scalars()
        if event in (h.events or ())
    ]
    if not hooks:
        return []
    now = now or utcnow()
    body = json.dumps(
        {
            "id": str(uuid.uuid4()),
            "event": event,
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": data,
        },
        separators=(",", ":"),
    )
    deliveries = [_delivery(h.id, event, body, now) for h in hooks]
    db.session.add_all(deliveries)
    return deliveries


def _delivery(webhook_id: int, event: str, body: str, now: datetime, **fields) -> WebhookDelivery:
    return WebhookDelivery(
        uuid=str(uuid.uuid4()),
        webhook_id=webhook_id,
        event=event,
        payload=body,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
        **fields,
    )


def scorecard_submitted(card: Scorecard) -> None:
    """Queue `scorecard.submitted`: ids only, never the scores, evidence or recommendation."""
    session = card.session
    enqueue(
        "scorecard.submitted",
        {
            "scorecard_id": card.id,
            "session_id": session.id,
            "loop_id": session.loop_id,
            "candidate_id": session.loop.candidate_id,
            "interviewer_id": card.interviewer_id,
        },
    )


def decision_recorded(candidate: Candidate, decision: Decision) -> None:
    """Queue `decision.recorded`: the outcome, never the rationale."""
    enqueue(
        "decision.recorded",
        {
            "decision_id": decision.id,
            "candidate_id": candidate.id,
            "outcome": decision.outcome,
            "changed": len(candidate.decisions) > 1,
            "actor_id": decision.actor_id,
        },
    )


def loop_assembled(loop: Loop) -> None:
    """Queue `loop.assembled`: the loop, its candidate and template, its sessions' ids."""
    enqueue(
        "loop.assembled",
        {
            "loop_id": loop.id,
            "candidate_id": loop.candidate_id,
            "template_id": loop.template_id,
            "session_ids": [s.id for s in loop.sessions],
            "created_by_id": loop.created_by_id,
        },
    )


def redeliver(actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue the same body again as a new delivery (new id, fresh signature); audited."""
    again = _delivery(
        delivery.webhook_id, delivery.event, delivery.payload, utcnow(), redelivery_of=delivery.id
    )
    db.session.add(again)
    db.session.flush()
    audit(
        actor,
        "webhook.redeliver",
        delivery.webhook,
        delivery=delivery.uuid,
        new_delivery=again.uuid,
        event=delivery.event,
    )
    return again


# -- signing and sending ------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the Interviewkit-Signature value for a body sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def backoff(attempts: int, rand=random.random) -> timedelta:
    """Return the wait after the `attempts`-th failed attempt: 30 s doubling, at most 6 h,
    plus up to 10 % jitter (`rand` returns 0 <= x < 1)."""
    seconds = min(BACKOFF_FIRST * 2 ** (max(attempts, 1) - 1), BACKOFF_CAP)
    return timedelta(seconds=seconds * (1 + JITTER * rand()))


@dataclass(frozen=True)
class Result:
    """What one attempt got: the status code (None without an answer) and a short error."""

    status: int | None
    error: str = ""
    final: bool = False  # no point trying again (the URL is not one we send to)

    @property
    def ok(self) -> bool:
        """Return True for a 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Result:
    """POST a body to an http(s) URL; never follow a redirect or use a proxy."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        return Result(None, "refused: not an http(s) URL; change the webhook's URL", final=True)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read(200)
    except TimeoutError:
        return Result(None, f"no answer within {timeout:g} s (timed out)")
    except ssl.SSLError as exc:
        return Result(None, _short(f"TLS failed: {exc.reason or exc}"))
    except OSError as exc:
        return Result(None, _short(f"could not connect: {exc.strerror or exc}"))
    except http.client.HTTPException as exc:
        return Result(None, _short(f"not an HTTP answer: {type(exc).__name__} {exc}"))
    finally:
        conn.close()
    status = response.status
    if 200 <= status < 300:
        return Result(status)
    if 300 <= status < 400:
        where = response.getheader("Location", "")
        return Result(status, _short(f"redirect to {where} not followed: use the final URL"))
    text = answer.decode("utf-8", "replace").strip()
    return Result(status, _short(f"HTTP {status}" + (f": {text}" if text else "")))


def _short(text: str) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


@dataclass
class PassReport:
    """What one `deliver_due` pass did."""

    delivered: int = 0
    retrying: int = 0  # failed attempts that will be tried again
    failed: int = 0  # deliveries given up on, after their last attempt
    lost: int = 0  # results not recorded: the claim expired and another sender took the row
    full: bool = False  # the pass stopped at its limit: more may be due

    @property
    def sent(self) -> int:
        """Return how many attempts the pass made."""
        return self.delivered + self.retrying + self.failed + self.lost

    def summary(self) -> str:
        """Return the pass in one line."""
        return f"{self.delivered} delivered, {self.retrying} to retry, {self.failed} given up" + (
            f", {self.lost} claim(s) expired mid-send" if self.lost else ""
        )


@dataclass(frozen=True)
class _Claim:
    id: int
    uuid: str
    event: str
    payload: str
    attempts: int  # counting this one
    url: str
    secret: str
    lease_until: datetime  # also the claim's fence: the result is written only under it


_D = WebhookDelivery.__table__
_W = Webhook.__table__


def deliver_due(now: datetime | None = None, limit: int = 100) -> PassReport:
    """Send up to `limit` due deliveries, claiming each first; return what happened.

    `now` drives the queue's clock (what is due, the next attempt's time), so tests can
    move it; signatures always carry the real time.
    """
    settings = Settings.of(current_app.config)
    report = PassReport()
    while report.sent < limit:
        claim = _claim_next(now or utcnow(), settings.lease)
        if claim is None:
            return report
        result = _attempt(claim, settings.timeout)
        _record(claim, result, now or utcnow(), settings, report)
    report.full = True
    return report


def _due(moment: datetime):
    return (
        _D.c.status == PENDING,
        _D.c.next_attempt_at <= moment,
        or_(_D.c.locked_until.is_(None), _D.c.locked_until <= moment),
    )


def _claim_next(moment: datetime, lease: timedelta) -> _Claim | None:
    """Claim the most overdue unclaimed delivery of an active webhook; None if none is due."""
    lease_until = moment + lease
    with db.engine.begin() as conn:
        candidates = conn.execute(
            select(_D.c.id)
            .join(_W, _W.c.id == _D.c.webhook_id)
            .where(*_due(moment), _W.c.active.is_(True))
            .order_by(_D.c.next_attempt_at, _D.c.id)
            .limit(10)
        ).scalars()
        for delivery_id in list(candidates):
            # The condition is checked again by the UPDATE itself: of two senders that
            # picked the same row, the second finds it claimed and changes nothing.
            claimed = conn.execute(
                update(_D)
                .where(_D.c.id == delivery_id, *_due(moment))
                .values(locked_until=lease_until, attempts=_D.c.attempts + 1)
            ).rowcount
            if claimed != 1:
                continue
            row = conn.execute(
                select(_D.c.uuid, _D.c.event, _D.c.payload, _D.c.attempts, _W.c.url, _W.c.secret)
                .join(_W, _W.c.id == _D.c.webhook_id)
                .where(_D.c.id == delivery_id)
            ).one()
            return _Claim(delivery_id, *row, lease_until=lease_until)
    return None


def _attempt(claim: _Claim, timeout: float) -> Result:
    body = claim.payload.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Interviewkit-Event": claim.event,
        "Interviewkit-Delivery": claim.uuid,
        "Interviewkit-Timestamp": str(timestamp),
        "Interviewkit-Signature": sign(claim.secret, timestamp, body),
    }
    try:
        return post(claim.url, body, headers, timeout)
    except Exception as exc:  # noqa: BLE001 - one bad row must not stop the pass
        log.exception("webhook delivery %s: unexpected error", claim.uuid)
        return Result(None, _short(f"unexpected error: {type(exc).__name__}"))


def _record(
    claim: _Claim, result: Result, moment: datetime, settings: Settings, report: PassReport
) -> None:
    values: dict = {"locked_until": None, "last_status_code": result.status}
    values["last_error"] = result.error
    if result.ok:
        values.update(status=DELIVERED, delivered_at=moment)
        outcome = "delivered"
    elif result.final or claim.attempts >= settings.max_attempts:
        values["status"] = FAILED
        outcome = "failed"
    else:
        values["next_attempt_at"] = moment + backoff(claim.attempts)
        outcome = "retrying"
    with db.engine.begin() as conn:
        written = conn.execute(
            update(_D)
            .where(_D.c.id == claim.id, _D.c.locked_until == claim.lease_until)
            .values(**values)
        ).rowcount
    if written != 1:
        report.lost += 1
        log.warning("webhook delivery %s: claim expired before the result was saved", claim.uuid)
        return
    setattr(report, outcome, getattr(report, outcome) + 1)
    if not result.ok:
        log.warning(
            "webhook delivery %s (%s, attempt %d): %s",
            claim.uuid,
            outcome,
            claim.attempts,
            result.error,
        )


# -- who sends: a thread in each web worker, and the command -----------------------------------


class Sender:
    """A daemon thread that runs `deliver_due` in an app context every WEBHOOK_POLL_SECONDS."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.poll = Settings.of(app.config).poll
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="interviewkit-webhooks", daemon=True)

    def _run(self) -> None:
        last_error = ""
        while not self.stopping.is_set():
            more = False
            try:
                with self.app.app_context():
                    more = deliver_due().full
                last_error = ""
            except Exception as exc:  # noqa: BLE001 - e.g. the database restarts: try again
                # once per new problem, not every few seconds while it lasts
                if str(exc) != last_error:
                    log.exception("webhook delivery pass failed; retrying every pass")
                last_error = str(exc)
            if not more:
                self.stopping.wait(self.poll)

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop after its current delivery and wait for it."""
        self.stopping.set()
        self.thread.join(timeout)


def start_sender(app) -> Sender | None:
    """Start a sender thread for a web worker's app, unless WEBHOOK_WORKER turns it off."""
    if not isinstance(app, Flask) or "sqlalchemy" not in app.extensions:
        return None  # not this app (bench/web.py serves a bare Flask app with these settings)
    if not app.config.get("WEBHOOK_WORKER", not app.testing):
        return None
    sender = Sender(app)
    sender.thread.start()
    return sender


@click.group("webhooks")
def webhooks_command():
    """Send webhook deliveries (the web workers also send them, every few seconds)."""


@webhooks_command.command("deliver")
@click.option(
    "--watch",
    is_flag=True,
    help="Keep sending: a pass every WEBHOOK_POLL_SECONDS (5) until interrupted.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="At most this many attempts in one pass.",
)
@with_appcontext
def deliver_command(watch, limit):
    """Send the webhook deliveries that are due, in one pass (or, with --watch, until stopped)."""
    settings = Settings.of(current_app.config)
    try:
        while True:
            report = deliver_due(limit=limit)
            if report.sent or not watch:
                click.echo(report.summary())
            if not watch:
                return
            if not report.full:
                time.sleep(settings.poll)
    except KeyboardInterrupt:
        # a delivery interrupted mid-send keeps its claim until the lease ends, then the
        # next pass sends it again
        return

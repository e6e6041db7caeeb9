"""Signed webhooks (issue 13): queued with the event, signed, retried, never sent twice at once.

Deliveries go to a real HTTP receiver in its own process (tests/webhook_receiver.py),
which records each request and can fail, redirect or hang. The queue's clock is driven
by passing `now` to `deliver_due`, so no test waits for a backoff.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import (
    PASSWORD,
    PROJECT,
    AuthActions,
    app_with_bank,
    make_app,
    seed_two_interviewer_loop,
    submit_scorecard,
)
from flask import Flask
from werkzeug.datastructures import Headers

from interviewkit import create_app, webhooks
from interviewkit.extensions import db
from interviewkit.models import (
    AuditEvent,
    Candidate,
    KitText,
    LoopSession,
    Scorecard,
    User,
    Webhook,
    WebhookDelivery,
    utcnow,
)

ALL_EVENTS = list(webhooks.EVENTS)


# -- the receiver process ---------------------------------------------------------------------


class Receiver:
    """The receiver process's address, unique paths on it, and what it recorded."""

    def __init__(self, base: str) -> None:
        self.base = base

    def url(self, kind: str) -> str:
        """Return a fresh URL answered the way `kind` says (ok, fail/2, status/500, ...)."""
        return f"{self.base}/{kind}/{uuid.uuid4().hex[:12]}"

    def requests(self, url: str) -> list[dict]:
        """Return the requests the receiver got on a URL's path, oldest first."""
        path = quote(urlsplit(url).path)
        address = f"{self.base}/requests?path={path}"  # http://127.0.0.1: the receiver
        with urllib.request.urlopen(address, timeout=5) as answer:  # noqa: S310
            return json.load(answer)


@pytest.fixture(scope="module")
def receiver():
    """Run tests/webhook_receiver.py on a free port for this module."""
    script = Path(__file__).with_name("webhook_receiver.py")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        yield Receiver(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=5)


# -- helpers ----------------------------------------------------------------------------------


def add_webhook(app, url: str, events=ALL_EVENTS, active: bool = True) -> tuple[int, str]:
    """Add a webhook as the first admin (made if need be); return its id and secret."""
    from interviewkit.users import create_user

    with app.app_context():
        admin = db.session.scalar(db.select(User).filter_by(role="admin")) or create_user(
            "hooks-admin@example.com", "Hook Admin", "admin", PASSWORD
        )
        new = webhooks.create_webhook(admin, url, events)
        new.webhook.active = active
        db.session.commit()
        return new.webhook.id, new.secret


def queue(app, n: int = 1, event: str = "loop.assembled", **data) -> list[str]:
    """Queue `n` events as a service would, committed; return the delivery ids."""
    with app.app_context():
        ids = []
        for i in range(n):
            ids += [d.uuid for d in webhooks.enqueue(event, {"loop_id": i, **data})]
        db.session.commit()
        return ids


def deliver(app, **kwargs) -> webhooks.PassReport:
    """Run one delivery pass in a fresh app context."""
    with app.app_context():
        return webhooks.deliver_due(**kwargs)


def deliveries(app, **filters) -> list[WebhookDelivery]:
    """Return the deliveries (detached, attributes loaded), oldest first."""
    with app.app_context():
        rows = db.session.execute(
            db.select(WebhookDelivery).filter_by(**filters).order_by(WebhookDelivery.id)
        ).scalars()
        rows = list(rows)
        db.session.expunge_all()
        return rows


def audit_actions(app, action_prefix: str = "webhook.") -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()
        return [(e.action, e.detail) for e in rows if e.action.startswith(action_prefix)]


def signed_in(app, email: str):
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    return client


def verify_from_the_docs():
    """Return the `verify` function of docs/webhooks.md, run from the doc's own code block."""
    text = (PROJECT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    code = text.split("## Verifying a request", 1)[1].split("```python\n", 1)[1].split("```")[0]
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own doc
    return namespace["verify"]


# -- queued with the event, through the real pages ----------------------------------------------


@pytest.fixture
def world(tmp_path, database_url, real_bank):
    """A loop (assembled before any webhook existed) and Ivan's and Iris's sessions in it."""
    app = app_with_bank(tmp_path, database_url, real_bank)
    return app, seed_two_interviewer_loop(app)


def _payload(delivery: WebhookDelivery) -> dict:
    return json.loads(delivery.payload)


def test_assembling_a_loop_queues_one_delivery_per_subscribed_active_webhook(world):
    app, ids = world
    on, _ = add_webhook(app, "https://ats.example.com/a", ["loop.assembled"])
    add_webhook(app, "https://ats.example.com/b", ["decision.recorded"])  # not subscribed
    add_webhook(app, "https://ats.example.com/c", ["loop.assembled"], active=False)
    lead = signed_in(app, "lead@example.com")
    page = lead.post(f"/candidates/{ids['candidate']}/loops/new", data={"template": "backend-mid"})
    assert page.status_code == 302
    [delivery] = deliveries(app)
    body = _payload(delivery)
    assert (delivery.webhook_id, delivery.event) == (on, "loop.assembled")
    assert delivery.status == "pending"
    assert body["event"] == "loop.assembled" and body["created_at"].endswith("Z")
    with app.app_context():
        lead_id = db.session.scalar(db.select(User.id).filter_by(email="lead@example.com"))
        loop_id = max(s.loop_id for s in db.session.execute(db.select(LoopSession)).scalars())
    assert body["data"]["loop_id"] == loop_id
    assert body["data"]["candidate_id"] == ids["candidate"]
    assert body["data"]["created_by_id"] == lead_id
    assert set(body["data"]) == {
        "loop_id",
        "candidate_id",
        "template_id",
        "session_ids",
        "created_by_id",
    }


def test_submitting_a_scorecard_queues_ids_and_never_what_was_written(world):
    app, ids = world
    add_webhook(app, "https://ats.example.com/cards", ["scorecard.submitted"])
    scores = dict.fromkeys(ids["ivan_comps"], 4)
    card_id = submit_scorecard(app, ids["ivan_session"], "ivan@example.com", scores, full=False)
    with app.app_context():
        card = db.session.get(Scorecard, card_id)
        for comp in ids["ivan_comps"]:
            card.texts.append(KitText(key=f"evidence:{comp}", text=f"SECRET-EVIDENCE on {comp}."))
        db.session.commit()
    ivan = signed_in(app, "ivan@example.com")
    sid = ids["ivan_session"]
    assert ivan.post(f"/kit/{sid}/scorecard", data={"action": "evidence"}).status_code == 302
    [delivery] = deliveries(app)
    body = _payload(delivery)
    with app.app_context():
        ivan_id = db.session.scalar(db.select(User.id).filter_by(email="ivan@example.com"))
        loop_id = db.session.get(LoopSession, sid).loop_id
    assert body["data"] == {
        "scorecard_id": card_id,
        "session_id": sid,
        "loop_id": loop_id,
        "candidate_id": ids["candidate"],
        "interviewer_id": ivan_id,
    }
    # the independent-feedback rule: nothing anyone wrote or scored leaves in a webhook
    for written in ("SECRET-EVIDENCE", "questions did not show", "recommendation"):
        assert written not in delivery.payload


def test_recording_a_decision_queues_the_outcome_and_never_the_rationale(world):
    app, ids = world
    add_webhook(app, "https://ats.example.com/decisions", ["decision.recorded"])
    lead = signed_in(app, "lead@example.com")
    form = {"outcome": "hire", "rationale": "SECRET-RATIONALE: strong on every competency."}
    page = lead.post(f"/candidates/{ids['candidate']}/decision", data=form)
    assert page.status_code == 302
    [delivery] = deliveries(app)
    data = _payload(delivery)["data"]
    assert (data["candidate_id"], data["outcome"], data["changed"]) == (
        ids["candidate"],
        "hire",
        False,
    )
    assert set(data) == {"decision_id", "candidate_id", "outcome", "changed", "actor_id"}
    assert "SECRET-RATIONALE" not in delivery.payload


def test_an_event_rolled_back_queues_nothing(world):
    """The outbox: the delivery is part of the event's transaction, or of nothing."""
    from interviewkit.extensions import bank
    from interviewkit.loops.service import create_loop
    from interviewkit.review.service import record_decision

    app, ids = world
    add_webhook(app, "https://ats.example.com/all")
    with app.app_context(), app.test_request_context():
        candidate = db.session.get(Candidate, ids["candidate"])
        lead = db.session.scalar(db.select(User).filter_by(email="lead@example.com"))
        create_loop(candidate, bank.loop_template("backend-mid"), lead, "rolled-back")
        record_decision(candidate, lead, "hire", "A rationale long enough to pass.")
        count = db.select(db.func.count()).select_from(WebhookDelivery)
        assert db.session.scalar(count) == 2  # queued in the events' transaction ...
        db.session.rollback()
    assert deliveries(app) == []  # ... and gone with them


def test_nothing_is_queued_without_a_webhook_and_unknown_events_are_a_bug(app):
    assert queue(app) == []
    with app.app_context(), pytest.raises(ValueError, match="unknown webhook event"):
        webhooks.enqueue("scorecard.deleted", {})


# -- signing ------------------------------------------------------------------------------------


def test_a_delivery_is_signed_and_the_docs_snippet_verifies_it(app, receiver):
    url = receiver.url("ok")
    _, secret = add_webhook(app, url)
    [delivery_id] = queue(app)
    assert deliver(app).delivered == 1
    [request] = receiver.requests(url)
    headers, body = Headers(request["headers"]), request["body"].encode()
    assert headers["Interviewkit-Event"] == "loop.assembled"
    assert headers["Interviewkit-Delivery"] == delivery_id
    assert headers["Content-Type"] == "application/json"
    timestamp = int(headers["Interviewkit-Timestamp"])
    assert abs(time.time() - timestamp) < 60
    assert headers["Interviewkit-Signature"] == webhooks.sign(secret, timestamp, body)
    verify = verify_from_the_docs()
    assert verify(secret, headers, body)
    assert not verify(webhooks.new_secret(), headers, body)  # another secret
    assert not verify(secret, headers, body.replace(b"loop", b"l00p"))  # another body
    assert not verify(secret, headers, body, now=timestamp + 5 * 60 + 1)  # a replay, later
    assert verify(secret, headers, body, now=timestamp + 5 * 60)
    headers["Interviewkit-Timestamp"] = "\u00b2"  # a digit to str.isdigit, not to int()
    assert not verify(secret, headers, body)
    [stored] = deliveries(app)
    assert stored.payload.encode() == body  # the stored bytes, exactly


def test_the_signature_is_hmac_sha256_over_the_timestamp_a_dot_and_the_body():
    import hashlib
    import hmac

    body = b'{"id":"x"}'
    expected = hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.sign("whsec_k", 1_700_000_000, body) == f"v1={expected}"


# -- retries, giving up, timeouts, redirects ---------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (9, 7680), (10, 15360), (11, 21600), (40, 21600)],
)
def test_backoff_doubles_from_30_seconds_up_to_6_hours(attempts, seconds):
    assert webhooks.backoff(attempts, rand=lambda: 0.0) == timedelta(seconds=seconds)
    most = webhooks.backoff(attempts, rand=lambda: 0.999999)
    assert timedelta(seconds=seconds) < most < timedelta(seconds=seconds * 1.1)


def _within_backoff(after, before, attempts: int) -> bool:
    low = webhooks.backoff(attempts, rand=lambda: 0.0)
    return low <= after - before <= low * 1.1


def test_a_failing_receiver_gets_retries_on_the_schedule_then_the_delivery(app, receiver):
    url = receiver.url("fail/2")
    add_webhook(app, url)
    queue(app)
    t0 = utcnow() + timedelta(seconds=1)
    first = deliver(app, now=t0)
    assert (first.delivered, first.retrying) == (0, 1)
    [row] = deliveries(app)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert row.last_error == "HTTP 500: boom" and row.locked_until is None
    assert _within_backoff(row.next_attempt_at, t0, 1)
    assert deliver(app, now=t0 + timedelta(seconds=29)).sent == 0  # not due yet
    second = row.next_attempt_at
    assert deliver(app, now=second).retrying == 1
    [row] = deliveries(app)
    assert row.attempts == 2 and _within_backoff(row.next_attempt_at, second, 2)
    third = row.next_attempt_at
    assert deliver(app, now=third).delivered == 1
    [row] = deliveries(app)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        "delivered",
        3,
        200,
        "",
    )
    assert row.delivered_at == third  # the clock of that pass
    got = receiver.requests(url)
    assert len(got) == 3
    assert len({r["body"] for r in got}) == 1  # the same bytes every time
    assert len({Headers(r["headers"])["Interviewkit-Delivery"] for r in got}) == 1


def test_a_delivery_is_given_up_after_the_last_attempt(tmp_path, database_url, receiver):
    app = make_app(tmp_path, database_url, WEBHOOK_MAX_ATTEMPTS=3)
    url = receiver.url("status/503")
    add_webhook(app, url)
    queue(app)
    now = utcnow() + timedelta(seconds=1)
    outcomes = []
    for _ in range(4):
        report = deliver(app, now=now)
        outcomes.append((report.retrying, report.failed))
        now += timedelta(hours=7)  # past any backoff
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0)]
    [row] = deliveries(app)
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 3, 503)
    assert row.last_error == "HTTP 503: status 503"
    assert len(receiver.requests(url)) == 3


def test_a_receiver_that_does_not_answer_times_out(tmp_path, database_url, receiver):
    app = make_app(tmp_path, database_url, WEBHOOK_TIMEOUT_SECONDS=0.2)
    add_webhook(app, receiver.url("hang"))
    queue(app)
    started = time.monotonic()
    assert deliver(app).retrying == 1
    assert time.monotonic() - started < 3
    [row] = deliveries(app)
    assert row.last_status_code is None
    assert row.last_error == "no answer within 0.2 s (timed out)"


def test_a_redirect_is_not_followed(app, receiver):
    url = receiver.url("redirect")
    add_webhook(app, url)
    queue(app)
    assert deliver(app).retrying == 1
    [row] = deliveries(app)
    assert row.last_status_code == 302
    assert "not followed" in row.last_error and "/ok/" in row.last_error
    assert receiver.requests(url.replace("/redirect/", "/ok/")) == []


def test_a_refused_connection_is_a_failed_attempt(app):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    add_webhook(app, f"http://127.0.0.1:{port}/hook")
    queue(app)
    assert deliver(app).retrying == 1
    assert deliveries(app)[0].last_error.startswith("could not connect")


def test_a_url_that_is_not_http_is_never_sent_to(app):
    """Stored past the form's check (an old row, a hand edit): refused at send, at once."""
    hook_id, _ = add_webhook(app, "https://ats.example.com/x")
    with app.app_context():
        db.session.get(Webhook, hook_id).url = "file:///etc/passwd"
        db.session.commit()
    queue(app)
    assert deliver(app).failed == 1
    [row] = deliveries(app)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("refused: not an http(s) URL")


def test_a_disabled_webhooks_queue_waits_until_it_is_enabled(app, receiver):
    url = receiver.url("ok")
    hook_id, _ = add_webhook(app, url)
    queue(app)
    with app.app_context():
        db.session.get(Webhook, hook_id).active = False
        db.session.commit()
    assert queue(app) == []  # a disabled webhook gets no new events
    assert deliver(app).sent == 0
    assert deliveries(app)[0].attempts == 0  # waiting spends no attempt
    with app.app_context():
        db.session.get(Webhook, hook_id).active = True
        db.session.commit()
    assert deliver(app).delivered == 1
    assert len(receiver.requests(url)) == 1


# -- the queue survives restarts; two senders never send one row twice --------------------------


def test_a_crashed_senders_claim_expires_and_a_restarted_app_delivers(app, database_url, receiver):
    url = receiver.url("ok")
    add_webhook(app, url)
    [delivery_id] = queue(app)
    now = utcnow() + timedelta(seconds=1)
    lease = webhooks.Settings().lease
    with app.app_context():
        claim = webhooks._claim_next(now, lease)  # a sender claims it, then dies mid-send
    assert claim.uuid == delivery_id
    # the process restarts: a new app on the same database finds the row on disk
    restarted = create_app(
        {"TESTING": True, "INSTANCE_PATH": app.instance_path, "DATABASE_URL": database_url}
    )
    assert deliver(restarted, now=now + lease - timedelta(seconds=1)).sent == 0  # still claimed
    assert deliver(restarted, now=now + lease).delivered == 1
    [row] = deliveries(restarted)
    assert (row.status, row.attempts) == ("delivered", 2)  # the lost attempt counts
    assert len(receiver.requests(url)) == 1
    # the dead sender's late result, were it to come, is not written over the new one
    with app.app_context():
        report = webhooks.PassReport()
        webhooks._record(claim, webhooks.Result(500, "late"), now, webhooks.Settings(), report)
    assert report.lost == 1 and deliveries(app)[0].status == "delivered"


def test_two_senders_at_once_never_send_a_delivery_twice(app, receiver):
    url = receiver.url("ok")
    add_webhook(app, url)
    queued = queue(app, 24)
    start = threading.Barrier(4)
    reports, errors = [], []

    def sender():
        try:
            with app.app_context():
                start.wait()
                reports.append(webhooks.deliver_due())
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.delivered for r in reports) == 24 and sum(r.lost for r in reports) == 0
    sent = [Headers(r["headers"])["Interviewkit-Delivery"] for r in receiver.requests(url)]
    assert sorted(sent) == sorted(queued)  # each exactly once
    assert {(d.status, d.attempts) for d in deliveries(app)} == {("delivered", 1)}


def test_the_command_sends_what_is_due(app, runner, receiver):
    url = receiver.url("ok")
    add_webhook(app, url)
    queue(app, 2)
    result = runner.invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 delivered, 0 to retry, 0 given up"
    assert runner.invoke(args=["webhooks", "deliver"]).output.strip() == (
        "0 delivered, 0 to retry, 0 given up"
    )


def test_the_web_workers_sender_thread_delivers(tmp_path, database_url, receiver):
    app = make_app(tmp_path, database_url, WEBHOOK_WORKER=True, WEBHOOK_POLL_SECONDS=0.05)
    url = receiver.url("ok")
    add_webhook(app, url)
    sender = webhooks.start_sender(app)
    try:
        queue(app)
        deadline = time.monotonic() + 5
        while not receiver.requests(url):
            assert time.monotonic() < deadline, "the sender thread sent nothing"
            time.sleep(0.05)
    finally:
        sender.stop(timeout=5)
    assert not sender.thread.is_alive()
    assert deliveries(app)[0].status == "delivered"


def test_the_sender_thread_is_off_under_testing_and_when_turned_off(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert webhooks.start_sender(make_app(tmp_path, url)) is None  # TESTING
    off = make_app(tmp_path, url, TESTING=False, WEBHOOK_WORKER=False)
    assert webhooks.start_sender(off) is None
    assert webhooks.start_sender(object()) is None  # not a Flask app: another WSGI wrapper
    # another Flask app served with the same gunicorn settings (bench/web.py's hello-world):
    # no sender failing every few seconds for want of the app database
    other = Flask("hello")
    other.testing = False
    assert webhooks.start_sender(other) is None


def test_each_gunicorn_worker_starts_a_sender_for_its_app(monkeypatch):
    import gc

    from interviewkit.server import freeze_startup_objects

    started = []
    monkeypatch.setattr(webhooks, "start_sender", started.append)

    class Worker:  # what gunicorn hands post_worker_init: the app is its `wsgi`
        wsgi = object()

    try:
        freeze_startup_objects(Worker())
    finally:
        gc.unfreeze()
    assert started == [Worker.wsgi]


# -- the admin pages ----------------------------------------------------------------------------


def test_an_admin_adds_a_webhook_and_sees_its_secret_only_once(app, users, receiver):
    admin = signed_in(app, users["admin"])
    assert "Webhooks" in admin.get("/").get_data(as_text=True)  # in the admin's navigation
    assert admin.get("/admin/webhooks/new").status_code == 200
    url = receiver.url("ok")
    page = admin.post("/admin/webhooks/new", data={"url": url, "events": ALL_EVENTS[:2]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        hook = db.session.execute(db.select(Webhook)).scalar_one()
        hook_id, secret = hook.id, hook.secret
        assert (hook.url, hook.events, hook.active) == (url, ALL_EVENTS[:2], True)
    assert secret.startswith("whsec_") and secret in page.get_data(as_text=True)
    for later in ("/admin/webhooks", f"/admin/webhooks/{hook_id}"):
        shown = admin.get(later)
        assert shown.status_code == 200 and url in shown.get_data(as_text=True)
        assert secret not in shown.get_data(as_text=True)
    [(action, detail)] = audit_actions(app)
    assert action == "webhook.create" and secret not in json.dumps(detail)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "give the address to send to"),
        ("ftp://ats.example.com/hooks", "must start with https:// or http://, not ftp:"),
        ("ats.example.com/hooks", "must start with https:// or http://"),
        ("javascript:alert(1)", "must start with https:// or http://, not javascript:"),
        ("https://", "has no host name"),
        ("https://user:pass@ats.example.com/", "remove the user name and password"),
        ("https://ats.example.com:99999/", "port is not a number from 1 to 65535"),
        ("https://ats.example.com/a b", "contains a space"),
        ("https://ats.example.com/#top", "remove the #fragment"),
        ("https://ats.example.com/\x1b[31m", "control character U+001B"),
        ("https://ats.example.com/\udcff", "broken character"),
        ("https://ats.example.com/" + "a" * 2000, "use 2000 or fewer"),
    ],
)
def test_a_bad_url_is_refused_with_what_to_fix(url, message):
    with pytest.raises(webhooks.WebhookError, match=re.escape(message)) as refused:
        webhooks.check_url(url)
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "url", ["https://ats.example.com/hooks", " http://10.0.0.7:8080/in?x=1 ", "HTTPS://A.example/"]
)
def test_a_good_url_is_kept_stripped(url):
    assert webhooks.check_url(url) == url.strip()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://ats.example.com/hooks", "The URL must start with https:// or http://, not ftp:."),
        ("https://user:pass@ats.example.com/", "Remove the user name and password from the URL"),
    ],
)
def test_the_page_refuses_a_bad_url_beside_the_field(app, users, url, message):
    admin = signed_in(app, users["admin"])
    page = admin.post("/admin/webhooks/new", data={"url": url, "events": ALL_EVENTS})
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    assert audit_actions(app) == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Webhook)) == 0


def test_a_webhook_needs_an_event(app, users):
    admin = signed_in(app, users["admin"])
    page = admin.post("/admin/webhooks/new", data={"url": "https://ats.example.com/"})
    assert "Choose at least one event to send." in page.get_data(as_text=True)
    page = admin.post(
        "/admin/webhooks/new", data={"url": "https://ats.example.com/", "events": "nope"}
    )
    assert "not a valid choice" in page.get_data(as_text=True)


def test_disable_enable_rotate_and_edit_are_audited(app, users):
    hook_id, old = add_webhook(app, "https://ats.example.com/v1")
    admin = signed_in(app, users["admin"])
    base = f"/admin/webhooks/{hook_id}"
    assert admin.post(f"{base}/disable").status_code == 302
    assert "disabled" in admin.get(base).get_data(as_text=True)
    assert admin.post(f"{base}/enable").status_code == 302
    rotated = admin.post(f"{base}/rotate")
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    with app.app_context():
        new = db.session.get(Webhook, hook_id).secret
    assert new != old and new in rotated.get_data(as_text=True)
    edit = {"url": "https://ats.example.com/v2", "events": ["decision.recorded"]}
    assert admin.post(base, data=edit).status_code == 302
    assert admin.post(base, data=edit).status_code == 302  # the same again: nothing to audit
    bad = admin.post(base, data={"url": "ftp://x", "events": ["decision.recorded"]})
    assert bad.status_code == 400 and "must start with https://" in bad.get_data(as_text=True)
    with app.app_context():
        hook = db.session.get(Webhook, hook_id)
        assert (hook.url, hook.events, hook.active) == (edit["url"], edit["events"], True)
    actions = audit_actions(app)
    assert [a for a, _ in actions] == [
        "webhook.create",
        "webhook.disable",
        "webhook.enable",
        "webhook.rotate_secret",
        "webhook.update",
    ]
    assert actions[-1][1]["url"] == ["https://ats.example.com/v1", edit["url"]]
    assert not any(secret in json.dumps(d) for secret in (old, new) for _, d in actions)


def test_redeliver_sends_the_same_body_as_a_new_signed_delivery(app, users, receiver):
    url = receiver.url("ok")
    hook_id, secret = add_webhook(app, url)
    [first] = queue(app)
    deliver(app)
    original = deliveries(app)[0]
    admin = signed_in(app, users["admin"])
    page = admin.get(f"/admin/webhooks/{hook_id}").get_data(as_text=True)
    assert "Redeliver" in page and first[:8] in page
    button = f"/admin/webhooks/{hook_id}/deliveries/{original.id}/redeliver"
    assert admin.post(button).status_code == 302
    again = deliveries(app)[1]
    assert (again.payload, again.redelivery_of, again.status) == (
        original.payload,
        original.id,
        "pending",
    )
    assert again.uuid != first
    [(action, detail)] = audit_actions(app, "webhook.redeliver")
    assert detail == {"delivery": first, "new_delivery": again.uuid, "event": "loop.assembled"}
    assert deliver(app).delivered == 1
    got = receiver.requests(url)
    assert [Headers(r["headers"])["Interviewkit-Delivery"] for r in got] == [first, again.uuid]
    assert got[0]["body"] == got[1]["body"]
    verify = verify_from_the_docs()
    assert all(verify(secret, Headers(r["headers"]), r["body"].encode()) for r in got)


@pytest.mark.parametrize("role", ["interviewer", "hiring_lead"])
def test_only_admins_may_redeliver_or_see_webhooks(app, users, role):
    hook_id, _ = add_webhook(app, "https://ats.example.com/x")
    queue(app)
    delivery = deliveries(app)[0]
    client = signed_in(app, users[role])
    button = f"/admin/webhooks/{hook_id}/deliveries/{delivery.id}/redeliver"
    assert client.post(button).status_code == 403
    assert client.get(f"/admin/webhooks/{hook_id}").status_code == 403
    assert "Webhooks" not in client.get("/").get_data(as_text=True)
    assert len(deliveries(app)) == 1 and audit_actions(app, "webhook.redeliver") == []


def test_redeliver_is_404_for_another_webhooks_delivery(app, users):
    mine, _ = add_webhook(app, "https://ats.example.com/mine", ["loop.assembled"])
    other, _ = add_webhook(app, "https://ats.example.com/other", ["decision.recorded"])
    queue(app, event="decision.recorded")
    delivery = deliveries(app)[0]
    admin = signed_in(app, users["admin"])
    redeliver = "/admin/webhooks/{}/deliveries/{}/redeliver"
    assert admin.post(redeliver.format(mine, delivery.id)).status_code == 404
    assert admin.post(redeliver.format(other, delivery.id)).status_code == 302


def test_the_delivery_log_pages_newest_first(app, users):
    hook_id, _ = add_webhook(app, "https://ats.example.com/x")
    queued = queue(app, webhooks.PER_PAGE + 3)
    admin = signed_in(app, users["admin"])
    base = f"/admin/webhooks/{hook_id}"
    first = admin.get(base).get_data(as_text=True)
    assert first.count("Redeliver</button>") == webhooks.PER_PAGE
    assert queued[-1] in first and queued[2] not in first and "Page 1 of 2" in first
    second = admin.get(f"{base}?page=2").get_data(as_text=True)
    assert second.count("Redeliver</button>") == 3 and queued[0] in second
    for odd in ("abc", "-1", "0", "9" * 30):
        assert "Page 1 of 2" in admin.get(f"{base}?page={odd}").get_data(as_text=True)
    assert "Page 2 of 2" in admin.get(f"{base}?page=99").get_data(as_text=True)


def test_webhook_forms_need_the_csrf_token(tmp_path, database_url):
    app = make_app(tmp_path / "csrf", database_url, WTF_CSRF_ENABLED=True)
    from interviewkit.users import create_user

    with app.app_context():
        create_user("admin@example.com", "Ada Admin", "admin", PASSWORD)
    hook_id, _ = add_webhook(app, "https://ats.example.com/x")
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    data = {"email": "admin@example.com", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    for url in (
        "/admin/webhooks/new",
        f"/admin/webhooks/{hook_id}/rotate",
        f"/admin/webhooks/{hook_id}/disable",
    ):
        assert client.post(url, data={"url": "https://x.example.com/"}).status_code == 400
    assert [a for a, _ in audit_actions(app)] == ["webhook.create"]


# -- the migration ------------------------------------------------------------------------------


def test_the_migration_upgrades_and_downgrades(tmp_path, database_url):
    from conftest import drop_everything, empty_app
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    app = empty_app(tmp_path, database_url)
    with app.app_context():
        upgrade()
        assert {"webhooks", "webhook_deliveries"} <= set(inspect(db.engine).get_table_names())
        downgrade(revision="a1b2c3d4e5f7")
        assert not {"webhooks", "webhook_deliveries"} & set(inspect(db.engine).get_table_names())
        upgrade()
        assert "webhook_deliveries" in inspect(db.engine).get_table_names()
        drop_everything(db)

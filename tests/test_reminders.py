"""`interviewkit remind`: one email a day per overdue scorecard, through a real SMTP server."""

from __future__ import annotations

import re
import socket
import threading
from datetime import timedelta

import pytest
from conftest import app_with_mail, seed_two_interviewer_loop
from sqlalchemy import event

from interviewkit.extensions import db
from interviewkit.models import (
    CompetencyRating,
    KitScore,
    KitText,
    Loop,
    LoopSession,
    ReminderSent,
    Scorecard,
    User,
    utcnow,
)
from interviewkit.reminders import overdue, remind_command, send_reminders

PUBLIC_URL = "https://interviews.example.com"


@pytest.fixture
def world(tmp_path, database_url, real_bank, smtp_server):
    """Ivan and Iris on Casey's loop, mail going to a real local SMTP server."""
    port, received = smtp_server
    app = app_with_mail(tmp_path, database_url, real_bank, port, PUBLIC_URL)
    ids = seed_two_interviewer_loop(app, candidate_name="Casey Candidate")
    return app, ids, received


def _run(app, now=None, **kwargs):
    with app.app_context():
        return send_reminders(now, **kwargs)


def _schedule(app, session_id, hours_ago, interviewer=None):
    """Set when a session took place (and, optionally, who runs it)."""
    with app.app_context():
        session = db.session.get(LoopSession, session_id)
        session.scheduled_at = utcnow() - timedelta(hours=hours_ago)
        if interviewer is not None:
            session.interviewer_id = _user_id(interviewer)
        db.session.commit()


def _user_id(email):
    return db.session.execute(db.select(User.id).filter_by(email=email)).scalar_one()


def _card(app, session_id, email, **fields):
    """Write a scorecard for a session by a user, with the given column values."""
    with app.app_context():
        card = Scorecard(session_id=session_id, interviewer_id=_user_id(email), **fields)
        db.session.add(card)
        db.session.commit()
        return card.id


def _claims(app):
    with app.app_context():
        rows = db.session.execute(db.select(ReminderSent).order_by(ReminderSent.id)).scalars()
        return [(r.session_id, r.interviewer_id, r.day) for r in rows]


def _body(message) -> str:
    """Return the plain-text part (every email also has an HTML one)."""
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode().replace("\r\n", "\n")


def _session_name(app, session_id):
    with app.app_context():
        return db.session.get(LoopSession, session_id).name


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- who is reminded ---------------------------------------------------------------------------


def test_an_overdue_draft_gets_exactly_one_email(world):
    app, ids, received = world
    sid = ids["ivan_session"]
    _schedule(app, sid, hours_ago=30)
    _card(app, sid, "ivan@example.com", started_at=utcnow() - timedelta(hours=30))
    result = app.test_cli_runner().invoke(remind_command)
    assert result.exit_code == 0, result.output
    assert "Sent 1 email about 1 overdue scorecard; 0 already reminded today; 0 failed" in (
        result.output
    )
    assert len(received) == 1
    message = received[0]
    assert message["To"] == "ivan@example.com"
    assert message["From"] == "hiring@example.com"
    assert message["Subject"] == "1 scorecard is overdue"
    body = _body(message)
    assert "Hello Ivan Interviewer," in body
    assert f"- Casey Candidate: {_session_name(app, sid)}" in body
    assert f"{PUBLIC_URL}/kit/{sid}\n" in body
    assert re.search(r"due \d{4}-\d\d-\d\d \d\d:\d\d UTC", body)
    assert "within 24 hours of the interview" in body
    assert _claims(app) == [(sid, _uid(app, "ivan@example.com"), utcnow().date())]


def _uid(app, email):
    with app.app_context():
        return _user_id(email)


def test_once_a_day_however_often_it_runs_and_again_the_next_day(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    now = utcnow()
    first = _run(app, now)
    assert (first.sent, first.sessions, first.skipped, first.failed) == (1, 1, 0, 0)
    for later in (now, now + timedelta(minutes=5)):
        again = _run(app, later)
        assert (again.sent, again.sessions, again.skipped, again.failed) == (0, 0, 1, 0)
        assert again.summary() == (
            "Sent 0 emails about 0 overdue scorecards; 1 already reminded today; 0 failed"
        )
    assert len(received) == 1
    tomorrow = _run(app, now + timedelta(days=1))
    assert (tomorrow.sent, tomorrow.skipped) == (1, 0)
    assert len(received) == 2
    assert [day for *_, day in _claims(app)] == [now.date(), now.date() + timedelta(days=1)]


def test_a_submitted_scorecard_gets_no_email(world):
    app, ids, received = world
    sid = ids["ivan_session"]
    _schedule(app, sid, hours_ago=100)
    long_ago = utcnow() - timedelta(hours=100)
    _card(app, sid, "ivan@example.com", status="submitted", started_at=long_ago)
    report = _run(app)
    assert (report.sent, report.sessions, report.skipped) == (0, 0, 0)
    assert received == [] and _claims(app) == []


def test_a_session_not_yet_overdue_gets_no_email(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=2)  # a deadline 22 hours away
    _card(app, ids["ivan_session"], "ivan@example.com", started_at=utcnow() - timedelta(hours=2))
    assert _run(app).sent == 0
    assert received == []
    assert _run(app, utcnow() + timedelta(hours=23)).sent == 1  # and when it falls due, one


def test_ratings_in_and_evidence_late_is_reminded_from_the_ratings(world):
    app, ids, received = world
    sid = ids["ivan_session"]
    _schedule(app, sid, hours_ago=100)
    _card(
        app,
        sid,
        "ivan@example.com",
        status="ratings_submitted",
        started_at=utcnow() - timedelta(hours=100),
        ratings_submitted_at=utcnow() - timedelta(hours=1),
    )
    assert _run(app).sent == 0  # the clock restarted for the evidence
    assert _run(app, utcnow() + timedelta(hours=24)).sent == 1


def test_an_inactive_interviewer_gets_no_email(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    with app.app_context():
        db.session.get(User, _user_id("ivan@example.com")).active = False
        db.session.commit()
    report = _run(app)
    assert report.sent == 0 and received == [] and _claims(app) == []


def test_a_reassigned_session_reminds_the_new_interviewer_only(world):
    app, ids, received = world
    sid = ids["ivan_session"]
    _card(app, sid, "ivan@example.com", started_at=utcnow() - timedelta(hours=48))
    _schedule(app, sid, hours_ago=30, interviewer="iris@example.com")
    assert _run(app).sent == 1
    assert [m["To"] for m in received] == ["iris@example.com"]


def test_two_overdue_sessions_make_one_email_listing_both(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    _schedule(app, ids["iris_session"], hours_ago=50, interviewer="ivan@example.com")
    report = _run(app)
    assert (report.sent, report.sessions) == (1, 2)
    assert report.summary().startswith("Sent 1 email about 2 overdue scorecards;")
    assert len(received) == 1
    assert received[0]["Subject"] == "2 scorecards are overdue"
    body = _body(received[0])
    for sid in (ids["ivan_session"], ids["iris_session"]):
        assert f"{PUBLIC_URL}/kit/{sid}\n" in body
        assert f"- Casey Candidate: {_session_name(app, sid)}" in body
    assert len(_claims(app)) == 2


def test_only_the_sessions_not_yet_reminded_today_are_listed(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    now = utcnow()
    assert _run(app, now).sent == 1
    _schedule(app, ids["iris_session"], hours_ago=50, interviewer="ivan@example.com")
    report = _run(app, now)
    assert (report.sent, report.sessions, report.skipped) == (1, 1, 1)
    assert received[1]["Subject"] == "1 scorecard is overdue"
    body = _body(received[1])
    assert f"/kit/{ids['iris_session']}\n" in body
    assert f"/kit/{ids['ivan_session']}\n" not in body


# -- what the email never says -----------------------------------------------------------------

SECRETS = [
    "ZEBRA-GENERAL-NOTE",
    "QUOKKA-QUESTION-NOTE",
    "NARWHAL-EVIDENCE",
    "OCELOT-RATING-REASON",
    "PANGOLIN-PREP-NOTE",
]


def test_the_email_never_contains_what_anyone_wrote(world):
    app, ids, received = world
    sid, comp, q = ids["ivan_session"], ids["ivan_comps"][0], ids["ivan_q"][0]
    _schedule(app, sid, hours_ago=100)
    card_id = _card(
        app,
        sid,
        "ivan@example.com",
        status="ratings_submitted",
        recommendation="strong_yes",
        started_at=utcnow() - timedelta(hours=100),
        ratings_submitted_at=utcnow() - timedelta(hours=30),
    )
    with app.app_context():
        db.session.add_all(
            [
                KitText(scorecard_id=card_id, key="general", text=SECRETS[0], version=1),
                KitText(scorecard_id=card_id, key=f"notes:{q}", text=SECRETS[1], version=1),
                KitText(scorecard_id=card_id, key=f"evidence:{comp}", text=SECRETS[2], version=1),
                KitScore(scorecard_id=card_id, loop_question_id=q, score=4, version=1),
                CompetencyRating(
                    scorecard_id=card_id,
                    competency=comp,
                    suggested=2,
                    score=4,
                    reason=SECRETS[3],
                    evidence=SECRETS[2],
                ),
            ]
        )
        db.session.get(LoopSession, sid).loop.prep_note = SECRETS[4]
        db.session.commit()
    assert _run(app).sent == 1
    raw = received[0].as_string()
    for secret in [*SECRETS, "strong_yes", "Strong yes", "recommend", "score:"]:
        assert secret.lower() not in raw.lower(), secret
    # every line of the body is one of the few the email is made of: names, times, links
    allowed = [
        r"Hello Ivan Interviewer,",
        r"This scorecard is overdue: not submitted within 24 hours of the interview\. "
        r"Please submit it while the interview is fresh\.",
        rf"- Casey Candidate: {re.escape(_session_name(app, sid))}",
        r"  due \d{4}-\d\d-\d\d \d\d:\d\d UTC",
        rf"  {re.escape(PUBLIC_URL)}/kit/{sid}",
        r"You get at most one reminder a day about each scorecard until it is submitted\.",
        rf"Choose which emails you get: {re.escape(PUBLIC_URL)}/account",
        r"",
    ]
    for line in _body(received[0]).split("\n"):
        assert any(re.fullmatch(pattern, line) for pattern in allowed), line


# -- failures, dry runs and settings -----------------------------------------------------------


def test_a_failed_send_gives_the_claim_back_so_the_next_run_retries(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()
    result = app.test_cli_runner().invoke(remind_command)
    assert result.exit_code == 1
    assert "Could not remind ivan@example.com (will retry next run)" in result.output
    assert "Sent 0 emails about 0 overdue scorecards; 0 already reminded today; 1 failed" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert _claims(app) == [] and received == []
    app.config["MAIL_PORT"] = port
    report = _run(app)
    assert (report.sent, report.failed) == (1, 0)
    assert len(received) == 1 and len(_claims(app)) == 1


def test_dry_run_sends_nothing_and_writes_nothing(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    result = app.test_cli_runner().invoke(remind_command, ["--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would remind ivan@example.com about Casey Candidate: " in result.output
    assert (
        "Dry run: would send 1 email about 1 overdue scorecard; 0 already reminded today; "
        "nothing sent or recorded"
    ) in result.output
    assert received == [] and _claims(app) == []
    # a dry run reports what a real run would skip, too
    assert _run(app).sent == 1
    dry = _run(app, dry_run=True)
    assert (dry.sent, dry.skipped) == (0, 1)
    assert len(received) == 1 and len(_claims(app)) == 1


def test_dry_run_works_without_mail_settings(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    app.config.update(MAIL_SERVER=None, PUBLIC_URL=None)
    assert _run(app, dry_run=True).sent == 1
    assert received == [] and _claims(app) == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"MAIL_SERVER": None},
            "Error: MAIL_SERVER is not set: set it in instance/config.py",
        ),
        (
            {"PUBLIC_URL": None},
            "Error: PUBLIC_URL is not set: set it in instance/config.py",
        ),
        (
            {"PUBLIC_URL": "interviews.example.com"},
            "Error: PUBLIC_URL is 'interviews.example.com': it must be a full address",
        ),
    ],
    ids=["no-mail", "no-public-url", "bad-public-url"],
)
def test_missing_settings_stop_with_one_line_and_exit_1(world, settings, message):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    app.config.update(settings)
    result = app.test_cli_runner().invoke(remind_command)
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert received == [] and _claims(app) == []


def test_server_name_is_used_when_there_is_no_public_url(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    app.config.update(PUBLIC_URL=None, SERVER_NAME="kit.example.org", PREFERRED_URL_SCHEME="https")
    assert _run(app).sent == 1
    assert f"https://kit.example.org/kit/{ids['ivan_session']}\n" in _body(received[0])


def test_a_public_url_under_a_path_prefix_keeps_it(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    app.config["PUBLIC_URL"] = "https://example.com/hiring/"
    assert _run(app).sent == 1
    assert f"https://example.com/hiring/kit/{ids['ivan_session']}\n" in _body(received[0])


# -- two runs at once --------------------------------------------------------------------------


def test_a_claim_made_by_another_run_is_skipped(world, monkeypatch):
    # Another run claimed today's reminder after this one looked: the unique index decides.
    app, ids, received = world
    sid = ids["ivan_session"]
    _schedule(app, sid, hours_ago=30)
    _schedule(app, ids["iris_session"], hours_ago=30, interviewer="ivan@example.com")
    with app.app_context():
        db.session.add(
            ReminderSent(
                session_id=sid, interviewer_id=_user_id("ivan@example.com"), day=utcnow().date()
            )
        )
        db.session.commit()
    monkeypatch.setattr("interviewkit.reminders._claimed_today", lambda day: set())
    report = _run(app)
    assert (report.sent, report.sessions, report.skipped) == (1, 1, 1)
    body = _body(received[0])
    assert f"/kit/{ids['iris_session']}\n" in body and f"/kit/{sid}\n" not in body
    assert len(_claims(app)) == 2


def test_runs_at_the_same_time_send_one_email(world):
    app, ids, received = world
    _schedule(app, ids["ivan_session"], hours_ago=30)
    now = utcnow()
    start = threading.Barrier(4)
    reports, errors = [], []

    def run():
        try:
            with app.app_context():
                start.wait()
                reports.append(send_reminders(now))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(r.sent for r in reports) == [0, 0, 0, 1]
    assert sum(r.skipped for r in reports) == 3
    assert len(received) == 1 and len(_claims(app)) == 1


# -- the query ---------------------------------------------------------------------------------


def test_overdue_is_one_query_however_many_sessions(world):
    app, ids, _ = world

    def count_queries(now):
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
            event.listen(engine, "before_cursor_execute", record)
            try:
                items = overdue(now)
                found = [
                    (
                        o.session.id,
                        o.session.name,
                        o.interviewer.email,
                        o.card.status if o.card else None,
                        o.candidate_name,
                        o.loop_id,
                        o.due,
                    )
                    for o in items
                ]
            finally:
                event.remove(engine, "before_cursor_execute", record)
        queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        return found, len(queries)

    _schedule(app, ids["ivan_session"], hours_ago=30)
    one, queries_one = count_queries(utcnow())
    _schedule(app, ids["iris_session"], hours_ago=40)
    _card(app, ids["iris_session"], "iris@example.com", started_at=utcnow() - timedelta(hours=40))
    two, queries_two = count_queries(utcnow())
    assert queries_one == queries_two == 1
    assert [row[0] for row in one] == [ids["ivan_session"]]
    assert sorted(row[0] for row in two) == sorted([ids["ivan_session"], ids["iris_session"]])
    with app.app_context():
        loop_id = db.session.execute(db.select(Loop.id)).scalar_one()
    iris = next(row for row in two if row[0] == ids["iris_session"])
    assert iris[2:6] == ("iris@example.com", "draft", "Casey Candidate", loop_id)

"""Scheduling sessions and calendar invites (issue 15): zones, forms, invites through a real
SMTP server, updates and cancellations, reassignment, preferences and the calendar feed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import (
    PASSWORD,
    AuthActions,
    app_with_bank,
    app_with_mail,
    make_app,
    seed_two_interviewer_loop,
)
from icalendar import Calendar

from interviewkit import scheduling
from interviewkit.extensions import db
from interviewkit.loops import service as loops
from interviewkit.models import KitText, LoopSession, User, utcnow
from interviewkit.scheduling import ScheduleError, to_utc

PUBLIC_URL = "https://interviews.example.com"
BERLIN = ZoneInfo("Europe/Berlin")
SECRET_NOTE = "FEEDBACK-NEVER-MAILED-5b1c"
PREP = "Probe the caching answers: the phone screen left them open."


# -- time zones, as plain functions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "tz", "utc"),
    [
        # the last Sunday of March 2030: Berlin's clocks go from 02:00 to 03:00
        ("2030-03-31 01:30", "Europe/Berlin", "2030-03-31 00:30"),
        ("2030-03-31 03:00", "Europe/Berlin", "2030-03-31 01:00"),
        ("2030-03-30 09:00", "Europe/Berlin", "2030-03-30 08:00"),
        ("2030-03-31 09:00", "Europe/Berlin", "2030-03-31 07:00"),
        # the hour the clocks go back happens twice: the first is taken
        ("2030-10-27 02:30", "Europe/Berlin", "2030-10-27 00:30"),
        ("2030-07-01 09:00", "America/New_York", "2030-07-01 13:00"),
        ("2030-07-01 09:00", "UTC", "2030-07-01 09:00"),
    ],
)
def test_a_wall_clock_time_becomes_utc(local, tz, utc):
    assert to_utc(datetime.fromisoformat(local), tz) == datetime.fromisoformat(utc)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(ScheduleError, match="does not exist in Europe/Berlin") as caught:
        to_utc(datetime(2030, 3, 31, 2, 30), "Europe/Berlin")
    assert caught.value.field == "time"


@pytest.mark.parametrize("name", ["Europe/Berln", "", "../etc/passwd", "CEST"])
def test_an_unknown_zone_is_refused(name):
    with pytest.raises(ScheduleError, match="is not a time zone") as caught:
        scheduling.zone(name)
    assert caught.value.field == "timezone"


# -- a loop, a lead, mail going to a real local SMTP server -------------------------------------


@pytest.fixture
def world(tmp_path, database_url, real_bank, smtp_server):
    """Ivan and Iris on Casey's loop; the lead signed in; mail to a real SMTP server."""
    port, received = smtp_server
    app = app_with_mail(
        tmp_path, database_url, real_bank, port, PUBLIC_URL, MAIL_FROM="Hiring <hiring@example.com>"
    )
    ids = seed_two_interviewer_loop(app, candidate_name="Casey Candidate")
    with app.app_context():
        session = db.session.get(LoopSession, ids["ivan_session"])
        session.loop.prep_note = PREP
        ids["loop"] = session.loop_id
        db.session.commit()
    lead = app.test_client()
    assert AuthActions(lead).login("lead@example.com").status_code == 302
    return app, ids, received, lead


def _schedule(lead, ids, session="ivan_session", **fields):
    data = {
        "date": "2030-03-31",
        "time": "09:00",
        "timezone": "Europe/Berlin",
        "duration": "60",
        "meeting_url": "https://meet.example.com/abc-defg",
        **fields,
    }
    url = f"/loops/{ids['loop']}/sessions/{ids[session]}/schedule"
    return lead.post(url, data=data, follow_redirects=True)


def _part(message, content_type):
    return next(p for p in message.walk() if p.get_content_type() == content_type)


def _text(message, content_type="text/plain") -> str:
    return _part(message, content_type).get_payload(decode=True).decode()


def _ics(message) -> Calendar:
    part = _part(message, "text/calendar")
    return Calendar.from_ical(part.get_payload(decode=True))


def _event(message):
    return _ics(message).walk("VEVENT")[0]


def test_scheduling_sends_an_invite_that_parses_back(world):
    app, ids, received, lead = world
    with app.app_context():  # a note Ivan typed in the kit: feedback, never in an email
        card = loops.Scorecard(session_id=ids["ivan_session"], interviewer_id=2)
        card.texts.append(KitText(key="general", text=SECRET_NOTE))
        db.session.add(card)
        db.session.commit()
    page = _schedule(lead, ids).get_data(as_text=True)
    assert "Calendar invite sent to Ivan Interviewer" in page
    assert "Sun 31 Mar 2030, 07:00–08:00 UTC" in page  # the lead's zone: the site default
    assert len(received) == 1
    message = received[0]
    assert message["To"] == "ivan@example.com"
    assert message["Subject"].startswith("Invitation: interview with Casey Candidate")
    assert _part(message, "text/calendar").get_param("method") == "REQUEST"
    cal = _ics(message)
    assert cal["METHOD"] == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert event.decoded("DTSTART") == datetime(2030, 3, 31, 9, 0, tzinfo=BERLIN)
    assert event.decoded("DTSTART").tzinfo.key == "Europe/Berlin"
    assert event.decoded("DTEND") == datetime(2030, 3, 31, 10, 0, tzinfo=BERLIN)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert event["SEQUENCE"] == 0 and event["UID"].endswith("@interviewkit")
    kit = f"{PUBLIC_URL}/kit/{ids['ivan_session']}"
    assert kit in event["DESCRIPTION"] and PREP in event["DESCRIPTION"]
    assert (
        str(event["URL"]) == kit and str(event["LOCATION"]) == "https://meet.example.com/abc-defg"
    )
    assert "Casey Candidate" in event["SUMMARY"]
    assert str(event["ATTENDEE"]) == "mailto:ivan@example.com"
    assert str(event["ORGANIZER"]) == "mailto:hiring@example.com"
    assert SECRET_NOTE not in message.as_string()
    with app.app_context():
        session = db.session.get(LoopSession, ids["ivan_session"])
        assert (session.scheduled_at, session.timezone) == (
            datetime(2030, 3, 31, 7),
            "Europe/Berlin",
        )
        assert session.invite_uid == str(event["UID"])


def test_every_email_has_text_and_html_with_a_direct_link(world):
    app, ids, received, lead = world
    _schedule(lead, ids)
    with app.app_context():  # and a reminder, for an interview long past
        session = db.session.get(LoopSession, ids["iris_session"])
        session.scheduled_at = utcnow() - timedelta(days=3)
        db.session.commit()
        from interviewkit.reminders import send_reminders

        assert send_reminders().sent == 1
    assert len(received) == 2
    for message, sid in zip(received, (ids["ivan_session"], ids["iris_session"]), strict=True):
        kit = f"{PUBLIC_URL}/kit/{sid}"
        assert kit in _text(message, "text/plain")
        assert f'href="{kit}"' in _text(message, "text/html")
        assert f"{PUBLIC_URL}/account" in _text(message, "text/plain")  # choose your emails


def test_moving_a_session_sends_an_update_with_the_same_uid_and_a_higher_sequence(world):
    app, ids, received, lead = world
    _schedule(lead, ids)
    _schedule(lead, ids, time="14:30", duration="45")
    first, second = (_event(m) for m in received)
    assert second["UID"] == first["UID"]
    assert (first["SEQUENCE"], second["SEQUENCE"]) == (0, 1)
    assert second.decoded("DTSTART") == datetime(2030, 3, 31, 14, 30, tzinfo=BERLIN)
    assert second.decoded("DTEND") == datetime(2030, 3, 31, 15, 15, tzinfo=BERLIN)
    assert received[1]["Subject"].startswith("Updated: ")
    # saved again unchanged: the same invite again, for a lost email (no new SEQUENCE)
    _schedule(lead, ids, time="14:30", duration="45")
    third = _event(received[2])
    assert (third["UID"], third["SEQUENCE"]) == (first["UID"], 1)


def test_cancelling_sends_a_cancel_with_the_same_uid(world):
    app, ids, received, lead = world
    _schedule(lead, ids)
    page = lead.post(
        f"/loops/{ids['loop']}/sessions/{ids['ivan_session']}/unschedule", follow_redirects=True
    ).get_data(as_text=True)
    assert "no longer scheduled" in page
    assert len(received) == 2
    cal = _ics(received[1])
    event = cal.walk("VEVENT")[0]
    assert cal["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert _part(received[1], "text/calendar").get_param("method") == "CANCEL"
    assert (event["UID"], event["SEQUENCE"]) == (_event(received[0])["UID"], 1)
    assert received[1]["Subject"].startswith("Cancelled: ")
    with app.app_context():
        assert db.session.get(LoopSession, ids["ivan_session"]).scheduled_at is None


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _outbox(app) -> list:
    from interviewkit.models import OutgoingMail

    with app.app_context():
        return db.session.scalars(db.select(OutgoingMail).order_by(OutgoingMail.id)).all()


def test_an_invite_the_mail_server_did_not_take_is_kept_and_sent_later(world):
    """The outbox: an invite is written with the change, so a mail server that is down
    loses nothing; it is retried with backoff and deleted once sent."""
    from interviewkit import mail

    app, ids, received, lead = world
    live = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()
    assert _schedule(lead, ids).status_code == 200
    with app.app_context():  # the change stands
        assert db.session.get(LoopSession, ids["ivan_session"]).scheduled_at is not None
    assert received == []
    [row] = _outbox(app)
    assert (row.attempts, row.candidate_id) == (1, ids["candidate"])
    assert "did not take it" in row.last_error and row.next_attempt_at > utcnow()
    app.config["MAIL_PORT"] = live
    with app.app_context():
        assert mail.deliver_due() == 0  # not due yet: the backoff holds
        assert mail.deliver_due(now=utcnow() + mail.RETRY_FIRST * 2) == 1
    assert len(received) == 1 and _ics(received[0])["METHOD"] == "REQUEST"
    assert _outbox(app) == []  # sent: no copy kept
    _schedule(lead, ids, time="10:00")  # the server answers: sent at once, nothing kept
    assert len(received) == 2 and _outbox(app) == []


def test_deleting_a_candidate_deletes_their_unsent_invites(world):
    from interviewkit import mail
    from interviewkit.models import Candidate
    from interviewkit.retention import purge_candidate

    app, ids, received, lead = world
    live = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()
    _schedule(lead, ids)  # the invite, with the candidate's name, waits in the outbox
    with app.app_context(), app.test_request_context():
        purge_candidate(db.session.get(Candidate, ids["candidate"]), None, "candidate_request")
        db.session.commit()
    [cancel] = _outbox(app)  # the invite is gone; the cancellation waits
    assert "Casey" not in cancel.message
    app.config["MAIL_PORT"] = live
    with app.app_context():
        assert mail.deliver_due(now=utcnow() + mail.RETRY_MOST) == 1
    assert [_ics(m)["METHOD"] for m in received] == ["CANCEL"]


def test_each_served_worker_runs_an_outbox_sender(tmp_path):
    from flask import Flask

    from interviewkit import mail

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", TESTING=False)
    sender = mail.start_sender(app)
    try:
        assert sender is not None and sender.thread.is_alive()
    finally:
        sender.stopping.set()
        sender.thread.join(5)
    assert not sender.thread.is_alive()
    assert mail.start_sender(Flask("hello")) is None  # another app served with these settings


def test_the_outbox_gives_up_after_its_last_attempt(world):
    from interviewkit import mail

    moment = utcnow()
    assert mail._retry(1, "down", moment)["next_attempt_at"] == moment + mail.RETRY_FIRST
    assert mail._retry(30, "down", moment)["next_attempt_at"] is None  # kept, not retried
    assert mail._retry(mail.MAX_ATTEMPTS - 1, "down", moment)["next_attempt_at"] <= (
        moment + mail.RETRY_MOST
    )


def test_a_new_prep_note_updates_the_invites_of_upcoming_interviews(world):
    app, ids, received, lead = world
    _schedule(lead, ids)  # Ivan's, in 2030; Iris's is not scheduled
    note = "New focus: the queue design answer was thin."
    url = f"/loops/{ids['loop']}/prep-note"
    assert lead.post(url, data={"prep_note": note}).status_code == 302
    assert len(received) == 2  # one update, to Ivan only
    update = _event(received[1])
    assert _ics(received[1])["METHOD"] == "REQUEST"
    assert (update["UID"], update["SEQUENCE"]) == (_event(received[0])["UID"], 1)
    assert note in str(update["DESCRIPTION"]).replace("\n", " ")
    assert received[1]["To"].endswith("ivan@example.com>") or "ivan@" in received[1]["To"]
    lead.post(url, data={"prep_note": note})  # the same text: nothing changes, nothing sent
    assert len(received) == 2


def test_deleting_a_candidates_data_cancels_their_upcoming_interviews(world):
    """A candidate deleted on request must leave the interviewers' calendars too: the
    cancellation keeps the UID and names the placeholder, never the candidate."""
    from interviewkit.models import Candidate
    from interviewkit.retention import placeholder_name, purge_candidate

    app, ids, received, lead = world
    _schedule(lead, ids)  # 2030: still to come
    with app.app_context(), app.test_request_context():
        session = db.session.get(LoopSession, ids["iris_session"])
        session.scheduled_at = utcnow() - timedelta(days=2)  # one already held: left alone
        db.session.commit()
        candidate = db.session.get(Candidate, ids["candidate"])
        done = purge_candidate(candidate, None, "candidate_request")
        db.session.commit()
        assert done.cancelled == 1
        assert db.session.get(LoopSession, ids["ivan_session"]).scheduled_at is None
        assert db.session.get(LoopSession, ids["iris_session"]).scheduled_at is not None
    assert len(received) == 2
    cancel = received[1]
    event = _event(cancel)
    assert _ics(cancel)["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert (event["UID"], event["SEQUENCE"]) == (_event(received[0])["UID"], 1)
    parts = [p.get_payload(decode=True) for p in cancel.walk() if not p.is_multipart()]
    raw = str(cancel["Subject"]) + "".join(part.decode() for part in parts)
    assert (
        "Interview" in raw
        and "Casey" not in raw
        and "meet.example.com" not in raw
        and PREP[:20] not in raw
    )
    assert placeholder_name(ids["candidate"]) in str(event["SUMMARY"])


def test_reassigning_cancels_for_the_old_interviewer_and_invites_the_new(world):
    app, ids, received, lead = world
    _schedule(lead, ids)
    with app.app_context():
        iris = db.session.scalar(db.select(User).filter_by(email="iris@example.com"))
        iris_id = iris.id
    lead.post(
        f"/loops/{ids['loop']}/sessions/{ids['ivan_session']}/assign",
        data={"interviewer": iris_id},
    )
    assert [m["To"] for m in received] == [
        "ivan@example.com",
        "ivan@example.com",
        "iris@example.com",
    ]
    uid = _event(received[0])["UID"]
    old, new = _ics(received[1]), _ics(received[2])
    assert old["METHOD"] == "CANCEL" and new["METHOD"] == "REQUEST"
    assert [c.walk("VEVENT")[0]["UID"] for c in (old, new)] == [uid, uid]
    assert [c.walk("VEVENT")[0]["SEQUENCE"] for c in (old, new)] == [1, 1]


def test_a_change_rolled_back_sends_nothing(world):
    app, ids, received, lead = world
    with app.app_context():
        session = db.session.get(LoopSession, ids["ivan_session"])
        lead_user = db.session.scalar(db.select(User).filter_by(email="lead@example.com"))
        scheduling.schedule_session(
            session, datetime(2030, 4, 2, 10), "Europe/Berlin", 60, "", lead_user
        )
        db.session.rollback()
        db.session.commit()
    assert received == [] and _outbox(app) == []  # rolled back with the change


def test_a_user_who_turned_invites_off_gets_none(world):
    app, ids, received, lead = world
    ivan = app.test_client()
    AuthActions(ivan).login("ivan@example.com")
    # invites off, reminders on
    assert ivan.post("/account", data={"timezone": "", "email_reminders": "y"}).status_code == 302
    _schedule(lead, ids)
    assert received == []
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email="ivan@example.com"))
        assert (user.email_invites, user.email_reminders) == (False, True)
        session = db.session.get(LoopSession, ids["ivan_session"])
        session.scheduled_at = utcnow() - timedelta(days=3)  # overdue
        user.email_reminders = False
        db.session.commit()
        from interviewkit.reminders import send_reminders

        assert send_reminders().sent == 0
    assert received == []


def test_the_whole_loop_is_scheduled_back_to_back_with_breaks(world):
    app, ids, received, lead = world
    page = lead.post(
        f"/loops/{ids['loop']}/schedule",
        data={
            "date": "2030-03-31",
            "time": "01:00",  # the clocks go forward at 02:00: real minutes still add up
            "timezone": "Europe/Berlin",
            "break_minutes": "15",
            "meeting_url": "",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "back to back" in page
    with app.app_context():
        sessions = db.session.get(LoopSession, ids["ivan_session"]).loop.sessions
        start = datetime(2030, 3, 31, 0, 0)  # 01:00 in Berlin, in UTC
        for session in sessions:
            assert session.scheduled_at == start, session.name
            assert session.timezone == "Europe/Berlin"
            assert session.duration_minutes == session.minutes
            start += timedelta(minutes=session.minutes + 15)
        assigned = sum(1 for s in sessions if s.interviewer_id is not None)
    assert sorted(m["To"] for m in received) == ["iris@example.com", "ivan@example.com"]
    assert assigned == 2
    second = _event(received[1]).decoded("DTSTART")
    assert second.tzinfo.key == "Europe/Berlin" and second.hour == 3  # after the gap


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date": "2030-02-30"}, "&#39;2030-02-30&#39; is not a date: give it as YYYY-MM-DD"),
        ({"date": "next week"}, "is not a date"),
        ({"time": "25:00"}, "is not a time: give it as HH:MM"),
        ({"time": "02:30"}, "02:30 on 2030-03-31 does not exist in Europe/Berlin"),
        ({"timezone": "Mars/Olympus"}, "is not a time zone: give an IANA name"),
        ({"duration": "10"}, "A meeting lasts 15 to 480 minutes"),
        ({"duration": "481"}, "A meeting lasts 15 to 480 minutes"),
        ({"duration": ""}, "Give the meeting&#39;s length in minutes"),
        ({"meeting_url": "javascript:alert(1)"}, "is not a meeting link: it must start with https"),
    ],
    ids=["no-such-day", "words", "hour-25", "dst-gap", "zone", "short", "long", "no-length", "js"],
)
def test_form_errors_say_what_to_fix_and_change_nothing(world, fields, message):
    app, ids, received, lead = world
    page = _schedule(lead, ids, **fields).get_data(as_text=True)
    assert "is not scheduled" in page and message in page
    with app.app_context():
        assert db.session.get(LoopSession, ids["ivan_session"]).scheduled_at is None
    assert received == []


def test_times_show_in_each_viewers_zone(world):
    app, ids, received, lead = world
    _schedule(lead, ids)
    ivan = app.test_client()
    AuthActions(ivan).login("ivan@example.com")
    ivan.post(
        "/account",
        data={"timezone": "America/New_York", "email_invites": "y", "email_reminders": "y"},
    )
    assert "Sun 31 Mar 2030, 03:00–04:00 EDT" in ivan.get("/queue").get_data(as_text=True)
    lead_pages = [f"/loops/{ids['loop']}", f"/candidates/{ids['candidate']}"]
    for url in lead_pages:  # the lead has no zone of their own: the site's default
        assert "Sun 31 Mar 2030, 07:00–08:00 UTC" in lead.get(url).get_data(as_text=True)
    app.config["DEFAULT_TIMEZONE"] = "Asia/Tokyo"
    for url in lead_pages:
        assert "Sun 31 Mar 2030, 16:00–17:00 JST" in lead.get(url).get_data(as_text=True)
    bad = ivan.post("/account", data={"timezone": "Nowhere/Land"}).get_data(as_text=True)
    assert "is not a time zone" in bad


def _feed_url(client) -> str:
    page = client.post("/account/calendar").get_data(as_text=True)
    return re.search(r'value="(https?://[^"]+\.ics)"', page).group(1)


def test_the_calendar_feed_lists_upcoming_sessions_and_stops_when_revoked(world):
    app, ids, received, lead = world
    _schedule(lead, ids)
    with app.app_context():  # Ivan's other session: long past, not in the feed
        iris_session = db.session.get(LoopSession, ids["iris_session"])
        iris_session.interviewer_id = db.session.scalar(
            db.select(User.id).filter_by(email="ivan@example.com")
        )
        iris_session.scheduled_at = utcnow() - timedelta(days=60)
        db.session.commit()
    ivan = app.test_client()
    AuthActions(ivan).login("ivan@example.com")
    url = _feed_url(ivan)
    path = url.split("localhost", 1)[1]
    anonymous = app.test_client()
    response = anonymous.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-store"
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert [e["UID"] for e in events] == [_event(received[0])["UID"]]
    assert events[0].decoded("DTSTART") == datetime(2030, 3, 31, 9, tzinfo=BERLIN)
    assert "METHOD" not in Calendar.from_ical(response.data)
    # cancelled: gone from the feed
    lead.post(f"/loops/{ids['loop']}/sessions/{ids['ivan_session']}/unschedule")
    assert Calendar.from_ical(anonymous.get(path).data).walk("VEVENT") == []
    # a new address replaces the old one; turning the feed off ends both
    new_path = _feed_url(ivan).split("localhost", 1)[1]
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(new_path).status_code == 200
    ivan.post("/account/calendar/revoke")
    assert anonymous.get(new_path).status_code == 404


def test_a_disabled_users_feed_is_gone(world):
    app, ids, received, lead = world
    ivan = app.test_client()
    AuthActions(ivan).login("ivan@example.com", PASSWORD)
    path = _feed_url(ivan).split("localhost", 1)[1]
    with app.app_context():
        db.session.scalar(db.select(User).filter_by(email="ivan@example.com")).active = False
        db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_the_scheduling_and_account_forms_need_the_csrf_token(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank, WTF_CSRF_ENABLED=True)
    ids = seed_two_interviewer_loop(app)
    with app.app_context():
        loop_id = db.session.get(LoopSession, ids["ivan_session"]).loop_id
    client = app.test_client()

    def token(url):
        page = client.get(url).get_data(as_text=True)
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)

    login = {"email": "lead@example.com", "password": PASSWORD, "csrf_token": token("/login")}
    assert client.post("/login", data=login).status_code == 302
    session_url = f"/loops/{loop_id}/sessions/{ids['ivan_session']}"
    for url in (
        "/account",
        "/account/calendar",
        "/account/calendar/revoke",
        f"{session_url}/schedule",
        f"{session_url}/unschedule",
        f"/loops/{loop_id}/schedule",
    ):
        assert client.post(url, data={"timezone": "UTC"}).status_code == 400, url
    data = {
        "date": "2030-04-01",
        "time": "10:00",
        "timezone": "UTC",
        "duration": "60",
        "csrf_token": token(f"/loops/{loop_id}"),
    }
    assert client.post(f"{session_url}/schedule", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(LoopSession, ids["ivan_session"]).scheduled_at == datetime(
            2030, 4, 1, 10
        )

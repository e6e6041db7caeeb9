"""Bad input gets a clear 4xx, never a 500, on SQLite and PostgreSQL alike (issue 8.5-8.8).

The last test is a fuzz table: every route in the URL map, as every role, with each shape
of bad input a probe sent (huge ids, deep JSON, surrogates, NUL, control characters,
oversize bodies, wrong types); any 5xx fails it.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import PASSWORD
from test_kit import item, save, signed_in, world  # noqa: F401

from interviewkit.extensions import db
from interviewkit.models import Candidate, LoopSession
from interviewkit.users import create_user

HUGE = "999999999999999999999999999999"


def _ids(app, ids):
    with app.app_context():
        session = db.session.get(LoopSession, ids["ivan_session"])
        return {
            "loop": session.loop_id,
            "session": session.id,
            "lq": session.questions[0].id,
            "candidate": ids["candidate"],
        }


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/kit/{huge}"),
        ("GET", "/kit/{huge}/state"),
        ("POST", "/kit/{huge}/save"),
        ("GET", "/kit/{huge}/scorecard"),
        ("GET", "/candidates/{huge}"),
        ("GET", "/candidates/{huge}/edit"),
        ("POST", "/candidates/{huge}/edit"),
        ("GET", "/candidates/{huge}/feedback"),
        ("GET", "/loops/{huge}"),
        ("GET", "/admin/users/{huge}"),
        ("POST", "/admin/users/{huge}"),
        ("POST", "/loops/{loop}/sessions/{huge}/assign"),
        ("POST", "/loops/{loop}/questions/{huge}/remove"),
        ("POST", "/loops/{loop}/questions/{huge}/swap"),
        ("POST", "/loops/{loop}/sessions/{huge}/add"),
        ("GET", "/loops/{loop}?swap={huge}"),
        ("GET", "/loops/{loop}?session={huge}&q=cache"),
    ],
)
@pytest.mark.parametrize("huge", [HUGE, str(2**40)])
def test_ids_beyond_what_a_column_holds_are_404s(world, method, url, huge):  # noqa: F811
    """Regression (issue 8.5): OverflowError on SQLite and a 500 on PostgreSQL; and an id
    that fits in 64 bits but not in PostgreSQL's 32-bit integer column (issue 13)."""
    app, ids = world
    with app.app_context():
        create_user("admin@example.com", "Ada Admin", "admin", PASSWORD)
    client = signed_in(app, "admin@example.com")
    response = client.open(url.format(huge=huge, **_ids(app, ids)), method=method, data={})
    if "?" in url:  # a bad query argument is ignored: the page itself exists
        assert response.status_code == 200
    else:
        assert response.status_code in (400, 404), response.status_code


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"items": [' + '{"key": ' * 5_000 + "1" + "}" * 5_000 + "]}",
        '{"items": [{"key": "general", "value": ' + "[" * 5_000 + "]" * 5_000 + "}]}",
    ],
    ids=["100k-levels", "items-5000-deep", "value-5000-deep"],
)
def test_deeply_nested_json_is_a_400(world, body):  # noqa: F811
    """Regression (issue 8.6): RecursionError answered 500."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    r = ivan.post(f"/kit/{ids['ivan_session']}/save", data=body, content_type="application/json")
    assert r.status_code in (400, 422)
    assert r.json["message"]


def test_an_oversize_body_is_a_413_in_the_callers_language(world):  # noqa: F811
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    big = json.dumps({"items": [item("general", "x" * (9 * 1024 * 1024), save_id="toobig01")]})
    r = ivan.post(f"/kit/{ids['ivan_session']}/save", data=big, content_type="application/json")
    assert r.status_code == 413
    assert "Shorten" in r.json["message"]
    lead = signed_in(app, "lead@example.com")
    form = {"name": "x" * (3 * 1024 * 1024), "email": "a@example.com"}
    r = lead.post("/candidates/new", data=form)
    assert r.status_code == 413
    assert "Too large" in r.get_data(as_text=True)


def test_a_whole_note_of_the_maximum_size_still_saves(world):  # noqa: F811
    """The body limit fits the largest real request: a full note in multi-byte text."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    note = "ü€" * 50_000  # 100,000 characters, 250 kB as UTF-8
    r = save(ivan, ids["ivan_session"], item("general", note, save_id="fullnote1"))
    assert r.status_code == 200
    assert r.json["results"][0]["status"] == "saved"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "\x00"),
        ("name", "Ada\x00Lovelace"),
        ("name", "Ada\x1bLovelace"),
        ("name", "Ada\nLovelace"),
        ("role_title", "Back\x7fend"),
    ],
)
def test_control_characters_in_a_one_line_field_are_refused(world, field, value):  # noqa: F811
    """Regression (issue 8.7): a NUL escaped the app on PostgreSQL; SQLite stored it."""
    app, _ = world
    lead = signed_in(app, "lead@example.com")
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "role_title": "Back-end engineer",
        "level": "mid",
        "status": "active",
        field: value,
    }
    r = lead.post("/candidates/new", data=data)
    assert r.status_code in (200, 400)
    assert "control character" in r.get_data(as_text=True) or "broken character" in r.get_data(
        as_text=True
    )
    with app.app_context():
        names = db.session.execute(db.select(Candidate.name)).scalars().all()
    assert all(value not in name for name in names)


def test_invalid_utf8_in_a_form_is_not_a_500(world):  # noqa: F811
    app, _ = world
    lead = signed_in(app, "lead@example.com")
    body = b"name=Ada+%ED%B3%BF&email=ada%40example.org&role_title=BE&level=mid&status=active"
    r = lead.post("/candidates/new", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code in (302, 400)


def test_a_busy_database_answers_503_with_retry_after(tmp_path, real_bank):
    """Regression (issue 8.8): a write lock held past the busy timeout gave a 500."""
    from conftest import app_with_bank, seed_two_interviewer_loop

    db_path = tmp_path / "busy.db"
    app = app_with_bank(tmp_path, f"sqlite:///{db_path}", real_bank, SQLITE_BUSY_TIMEOUT_MS=200)
    ids = seed_two_interviewer_loop(app)
    ivan = signed_in(app, "ivan@example.com")
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        r = save(ivan, ids["ivan_session"], item("general", "while busy", save_id="busy0001"))
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "2"
        assert r.json["error"] == "busy"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    r = save(ivan, ids["ivan_session"], item("general", "while busy", save_id="busy0001"))
    assert r.json["results"][0]["status"] == "saved"


def test_feedback_page_tells_a_stranger_nothing(world):  # noqa: F811
    """Regression (issue 8.10): an interviewer off the loop read the candidate's name from
    the 403 page, and existing ids answered 403 where others answered 404."""
    app, ids = world
    with app.app_context():
        create_user("olga@example.com", "Olga Outsider", "interviewer", PASSWORD)
    olga = signed_in(app, "olga@example.com")
    real = olga.get(f"/candidates/{ids['candidate']}/feedback")
    missing = olga.get("/candidates/987654/feedback")
    assert real.status_code == missing.status_code == 404
    assert "Casey" not in real.get_data(as_text=True)
    # Ivan is on the loop: he is told to submit first, by name
    ivan = signed_in(app, "ivan@example.com")
    locked = ivan.get(f"/candidates/{ids['candidate']}/feedback")
    assert locked.status_code == 403 and "Casey" in locked.get_data(as_text=True)


def test_someone_elses_kit_says_so_and_json_callers_get_json(world):  # noqa: F811
    """Regression (issue 8.21): a message about roles, and an HTML 403 to a JSON caller."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    page = ivan.get(f"/kit/{ids['iris_session']}")
    assert page.status_code == 403
    assert "assigned to someone else" in page.get_data(as_text=True)
    assert "Your role" not in page.get_data(as_text=True)
    state = ivan.get(f"/kit/{ids['iris_session']}/state", headers={"Accept": "*/*"})
    assert state.status_code == 403
    assert state.is_json and "assigned to someone else" in state.json["message"]


@pytest.mark.parametrize("url", ["/bank/?q=" + "a" * 5_000, "/loops/1?session=1&q=" + "b" * 3_600])
def test_a_long_search_gets_the_apps_own_page(world, url):  # noqa: F811
    """Regression (issue 8.18): gunicorn's bare "414 URI Too Long"."""
    app, ids = world
    lead = signed_in(app, "lead@example.com")
    r = lead.get(url)
    assert r.status_code in (200, 414)
    assert "<title>" in r.get_data(as_text=True)
    # the search boxes never let a browser send that much
    loop_id = _ids(app, ids)["loop"]
    for page in ("/bank/", f"/loops/{loop_id}?session={ids['ivan_session']}&q=x"):
        html = lead.get(page).get_data(as_text=True)
        assert 'type="search" name="q" maxlength="200"' in html

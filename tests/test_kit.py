"""The live interview kit: autosave that loses nothing, scorecards, independent feedback."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, app_with_bank, seed_two_interviewer_loop
from markupsafe import escape

from interviewkit.extensions import db
from interviewkit.kit.service import KEEP_REVISIONS, merge_texts
from interviewkit.models import (
    CompetencyRating,
    KitRevision,
    LoopSession,
    Scorecard,
    User,
    utcnow,
)


@pytest.mark.parametrize(
    ("base", "theirs", "mine", "expected", "clean"),
    [
        ("a", "a", "ab", "ab", True),  # plain save on the current version
        ("", "one", "one", "one", True),  # the same text twice
        ("abc", "abcd", "abc", "abcd", True),  # mine has nothing new
        ("", "abc", "abcd", "abcd", True),  # a retried save after the first was applied
        ("Intro.", "Intro. Tab A.", "Intro. Tab B.", "Intro. Tab A. Tab B.", True),
        ("Intro.", "Intro. Tab A.\n", "Intro. Tab B.", "Intro. Tab A.\n Tab B.", True),
        ("old", "rewritten by A", "rewritten by B", None, False),  # keep both, marked
    ],
)
def test_merge_texts(base, theirs, mine, expected, clean):
    text, was_clean = merge_texts(base, theirs, mine, "10:00 UTC")
    assert was_clean is clean
    if expected is not None:
        assert text == expected
    else:
        assert "rewritten by A" in text and "rewritten by B" in text
        assert "also typed in another window (10:00 UTC)" in text


@pytest.fixture
def world(tmp_path, database_url, real_bank):
    """Two interviewers on one candidate's loop, and a hiring lead."""
    app = app_with_bank(tmp_path, database_url, real_bank)
    return app, seed_two_interviewer_loop(app, candidate_name="Casey")


def signed_in(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def save(client, session_id, *items):
    return client.post(f"/kit/{session_id}/save", json={"items": list(items)})


def item(key, value, base=0, save_id=None):
    return {
        "key": key,
        "value": value,
        "base": base,
        "save_id": save_id
        or f"s-{key}-{value}"[:60].replace(":", "-").replace(" ", "-").replace(".", "-"),
    }


def test_autosave_saves_and_versions(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid = ids["ivan_session"]
    r = save(ivan, sid, item("general", "First note", save_id="aaaaaaaa1"))
    assert r.status_code == 200
    assert r.json["results"] == [
        {"key": "general", "status": "saved", "version": 1, "value": "First note"}
    ]
    r = save(ivan, sid, item("general", "First note, more", base=1, save_id="aaaaaaaa2"))
    assert r.json["results"][0]["version"] == 2
    state = ivan.get(f"/kit/{sid}/state").json
    assert state["texts"]["general"] == {"value": "First note, more", "version": 2}


def test_a_retried_save_is_not_applied_twice(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid = ids["ivan_session"]
    save(ivan, sid, item("general", "abc", save_id="retry0001"))
    save(ivan, sid, item("general", "abc def", base=1, save_id="retry0002"))
    again = save(ivan, sid, item("general", "abc", save_id="retry0001"))  # a late duplicate
    assert again.json["results"][0]["status"] == "duplicate"
    assert ivan.get(f"/kit/{sid}/state").json["texts"]["general"]["value"] == "abc def"


def test_two_tabs_never_destroy_each_others_text(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid = ids["ivan_session"]
    key = f"notes:{ids['ivan_q'][0]}"
    save(ivan, sid, item(key, "Shared start.", save_id="tab00001"))
    save(ivan, sid, item(key, "Shared start. From tab A.", base=1, save_id="tabA0001"))
    # tab B was opened at version 1 and never saw tab A's save
    r = save(ivan, sid, item(key, "Totally different text from B", base=1, save_id="tabB0001"))
    result = r.json["results"][0]
    assert result["status"] == "conflict"
    assert "From tab A." in result["value"] and "Totally different text from B" in result["value"]
    appended = save(ivan, sid, item(key, "Shared start. From tab B.", base=1, save_id="tabB0002"))
    assert "From tab A." in appended.json["results"][0]["value"]
    assert "From tab B." in appended.json["results"][0]["value"]


def test_scores_and_their_validation(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid, q = ids["ivan_session"], ids["ivan_q"][0]
    r = save(ivan, sid, item(f"score:{q}", 3, save_id="score0001"))
    assert r.json["results"][0] == {
        "key": f"score:{q}",
        "status": "saved",
        "version": 1,
        "value": 3,
    }
    assert ivan.get(f"/kit/{sid}/state").json["scores"][str(q)]["value"] == 3


def _item(key="general", value="x", base=0, save_id="abcdefgh"):
    return {"key": key, "value": value, "base": base, "save_id": save_id}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_item(save_id="short"), "save_id"),
        (_item(key="secret"), "unknown field"),
        (_item(key="notes:999999"), "no such question"),
        (_item(key="notes:99999999999999999999999999"), "unknown field"),
        (_item(key="score:999999", value=2), "no such question"),
        (_item(key="score:99999999999999999999999999", value=2), "unknown field"),
        (_item(key="evidence:security"), "does not score that competency"),
        (_item(value="x" * 100_001), "the limit is 100,000"),
        (_item(value=["x"]), "must be text"),
        (_item(base="0"), "base version"),
        (_item(base=2**70), "base version"),
        (_item(key=None), "needs a key"),
        ("not an object", "each item is an object"),
    ],
)
def test_a_bad_item_is_refused_alone_and_the_others_save(world, bad, message):
    """Regression (issue 8.2): one bad item made the server refuse or fail the whole batch."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid, q = ids["ivan_session"], ids["ivan_q"][0]
    good = [
        item("general", "Good general note", save_id="goodgen1"),
        item(f"notes:{q}", "Good question note", save_id="goodnote1"),
        item(f"score:{q}", 3, save_id="goodscore1"),
    ]
    r = ivan.post(f"/kit/{sid}/save", json={"items": [good[0], bad, *good[1:]]})
    assert r.status_code == 200
    statuses = [res["status"] for res in r.json["results"]]
    assert statuses == ["saved", "refused", "saved", "saved"]
    assert message in r.json["results"][1]["message"]
    state = ivan.get(f"/kit/{sid}/state").json
    assert state["texts"]["general"]["value"] == "Good general note"
    assert state["texts"][f"notes:{q}"]["value"] == "Good question note"
    assert state["scores"][str(q)]["value"] == 3


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        ({"items": []}, 422, "1 to 200"),
        ({"nothing": True}, 422, "1 to 200"),
        ({"items": [_item()] * 201}, 422, "1 to 200"),
        (["not", "an", "object"], 400, "JSON object"),
    ],
)
def test_a_bad_batch_is_refused_with_a_reason(world, payload, code, message):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    r = ivan.post(f"/kit/{ids['ivan_session']}/save", json=payload)
    assert r.status_code == code
    assert message in r.json["message"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("x \udcff y", "x \ufffd y"),  # a lone surrogate (a bad paste): replaced, not a 500
        ("before\x00after", "beforeafter"),  # NUL: PostgreSQL refuses it, so neither keeps it
        ("bell\x07 and tab\t", "bell and tab\t"),
        ("windows\r\nline", "windows\nline"),
        ("emoji \U0001f600 and accents é", "emoji \U0001f600 and accents é"),
    ],
)
def test_odd_characters_in_notes_are_stored_the_same_on_every_database(world, typed, stored):
    """Regression (issue 8.2): a surrogate gave 500 on both databases, a NUL on PostgreSQL."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid = ids["ivan_session"]
    body = json.dumps({"items": [item("general", typed, save_id="oddchars1")]})
    r = ivan.post(f"/kit/{sid}/save", data=body, content_type="application/json")
    assert r.status_code == 200
    assert r.json["results"][0]["status"] == "saved"
    assert ivan.get(f"/kit/{sid}/state").json["texts"]["general"]["value"] == stored


def test_a_merge_never_passes_the_size_limit(world):
    """Regression (issue 8.3): 10 conflicting 99,000-character items left a 990,011-character
    note."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid = ids["ivan_session"]
    items = [
        item("general", f"{n}" + "x" * 99_000, base=0, save_id=f"bigmerge{n:02d}")
        for n in range(10)
    ]
    r = ivan.post(f"/kit/{sid}/save", json={"items": items})
    assert r.status_code == 200
    statuses = [res["status"] for res in r.json["results"]]
    assert statuses[0] == "saved" and set(statuses[1:]) == {"refused"}
    assert "100,000-character limit" in r.json["results"][1]["message"]
    note = ivan.get(f"/kit/{sid}/state").json["texts"]["general"]["value"]
    assert len(note) <= 100_000


def test_revisions_are_bounded(world):
    """Regression (issue 8.3): every save kept a full copy, so storage grew without bound."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid = ids["ivan_session"]
    text = ""
    for n in range(60):
        text += f"line {n}\n"
        r = save(ivan, sid, item("general", text, base=n, save_id=f"bounded{n:03d}"))
        assert r.json["results"][0]["status"] == "saved"
    with app.app_context():
        versions = db.session.execute(db.select(KitRevision.version)).scalars().all()
    assert len(versions) == KEEP_REVISIONS
    assert max(versions) == 60
    # a tab still on a recent version merges cleanly
    stale = save(
        ivan,
        sid,
        item("general", text[: -len("line 59\n")] + "tab B", base=59, save_id="stale0001"),
    )
    assert "tab B" in stale.json["results"][0]["value"]
    assert "line 59" in stale.json["results"][0]["value"]


def test_bad_score_value_is_refused(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    q = ids["ivan_q"][0]
    r = save(ivan, ids["ivan_session"], item(f"score:{q}", 7, save_id="badscore1"))
    assert r.status_code == 200
    assert r.json["results"][0]["status"] == "refused"
    assert "1 to 4" in r.json["results"][0]["message"]


def test_signed_out_save_gets_json_401_not_a_page(world):
    app, ids = world
    client = app.test_client()
    r = client.post(
        f"/kit/{ids['ivan_session']}/save",
        json={"items": []},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 401
    assert r.json["error"] == "signed_out"


def test_saving_to_someone_elses_session_is_forbidden(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    r = save(ivan, ids["iris_session"], item("general", "sneaky", save_id="sneaky001"))
    assert r.status_code == 403
    assert r.json["error"] == "not_allowed"  # JSON for the kit's script, not an HTML page


def test_expired_csrf_token_gets_json_and_a_fresh_token_works(tmp_path, database_url, world):
    app, ids = world
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post(
        "/login", data={"email": "ivan@example.com", "password": PASSWORD, "csrf_token": token}
    )
    url = f"/kit/{ids['ivan_session']}/save"
    body = {"items": [item("general", "hello", save_id="csrf00001")]}
    r = client.post(url, json=body, headers={"X-CSRFToken": "expired-or-forged"})
    assert r.status_code == 400 and r.json["error"] == "csrf"
    fresh = client.get("/kit/token", headers={"Accept": "application/json"}).json["csrf_token"]
    assert client.post(url, json=body, headers={"X-CSRFToken": fresh}).status_code == 200


def _score_all(client, ids, value=3):
    for n, q in enumerate(ids["ivan_q"]):
        save(client, ids["ivan_session"], item(f"score:{q}", value, save_id=f"all{n:05d}x"))


def test_scorecard_suggests_from_question_scores(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    _score_all(ivan, ids, 3)
    page = ivan.get(f"/kit/{ids['ivan_session']}/scorecard").get_data(as_text=True)
    assert "Suggested from the question scores: <strong>3</strong>" in page


def _ratings(ids, score=3, reason="", recommendation="yes"):
    data = {"action": "ratings", "recommendation": recommendation}
    for c in ids["ivan_comps"]:
        data[f"score-{c}"] = str(score)
        data[f"reason-{c}"] = reason
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recommendation": ""}, "Choose a recommendation."),
        ({"score": 1}, "Say why you chose 1 when the questions suggest 3."),
        ({"score": 9}, "Choose a score from 1 to 4."),
    ],
)
def test_ratings_validation(world, change, message):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    _score_all(ivan, ids, 3)
    r = ivan.post(f"/kit/{ids['ivan_session']}/scorecard", data=_ratings(ids, **change))
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    with app.app_context():
        card = db.session.execute(db.select(Scorecard)).scalar_one()
        assert card.status == "draft" and not card.ratings


def test_two_phase_submission_locks_ratings_then_everything(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    sid, q = ids["ivan_session"], ids["ivan_q"][0]
    _score_all(ivan, ids, 3)
    assert ivan.post(f"/kit/{sid}/scorecard", data=_ratings(ids)).status_code == 302
    locked = save(ivan, sid, item(f"score:{q}", 1, base=1, save_id="locked001"))
    assert locked.json["results"][0]["status"] == "locked"
    # notes are still open until the evidence is in
    assert (
        save(ivan, sid, item("general", "later", save_id="notes0001")).json["results"][0]["status"]
        == "saved"
    )
    r = ivan.post(f"/kit/{sid}/scorecard", data={"action": "evidence"})
    assert r.status_code == 422
    assert "Write the evidence" in r.get_data(as_text=True)
    for n, c in enumerate(ids["ivan_comps"]):
        save(
            ivan,
            sid,
            item(
                f"evidence:{c}",
                f"Candidate explained {c} with a real example.",
                save_id=f"evid{n:05d}",
            ),
        )
    r = ivan.post(f"/kit/{sid}/scorecard", data={"action": "evidence"})
    assert r.status_code == 302
    after = save(ivan, sid, item("general", "changed after", base=1, save_id="after0001"))
    assert after.json["results"][0]["status"] == "locked"


def _submit(client, ids, session="ivan_session"):
    sid = ids[session]
    comps = ids["ivan_comps"]
    client.post(f"/kit/{sid}/scorecard", data=_ratings(ids))
    for n, c in enumerate(comps):
        save(
            client,
            sid,
            item(
                f"evidence:{c}",
                f"Evidence for {c}: walked through it well.",
                save_id=f"sub{n:05d}{session[:3]}",
            ),
        )
    assert client.post(f"/kit/{sid}/scorecard", data={"action": "evidence"}).status_code == 302


def test_amendments_need_a_reason_and_are_kept(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    _score_all(ivan, ids, 3)
    _submit(ivan, ids)
    sid, comp = ids["ivan_session"], ids["ivan_comps"][0]
    data = {"action": "amend", f"amend-score-{comp}": "2", "amend-reason": ""}
    r = ivan.post(f"/kit/{sid}/scorecard", data=data)
    assert r.status_code == 422
    assert "Say why you are changing" in r.get_data(as_text=True)
    data["amend-reason"] = "Re-read my notes: the answer missed the concurrency case."
    assert ivan.post(f"/kit/{sid}/scorecard", data=data).status_code == 302
    page = ivan.get(f"/kit/{sid}/scorecard").get_data(as_text=True)
    assert "Re-read my notes" in page and f"score:{comp}" in page and "3 → 2" in page


def test_independence_before_and_after_submitting(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    iris = signed_in(app, "iris@example.com")
    # Iris writes and submits first
    iris_sid = ids["iris_session"]
    save(iris, iris_sid, item("general", "IRIS-PRIVATE-NOTE", save_id="iris00001"))
    iris.post(
        f"/kit/{iris_sid}/scorecard",
        data={**_ratings(ids), **{f"score-{c}": "2" for c in _iris_comps(app, ids)}},
    )
    for n, c in enumerate(_iris_comps(app, ids)):
        save(
            iris,
            iris_sid,
            item(f"evidence:{c}", "IRIS-EVIDENCE written in full here.", save_id=f"iev{n:05d}"),
        )
    assert iris.post(f"/kit/{iris_sid}/scorecard", data={"action": "evidence"}).status_code == 302
    # Ivan has not submitted: nothing of Iris's anywhere he can go
    for url in (
        "/",
        "/queue",
        f"/kit/{ids['ivan_session']}",
        f"/kit/{ids['ivan_session']}/scorecard",
        f"/candidates/{ids['candidate']}/feedback",
    ):
        page = ivan.get(url).get_data(as_text=True)
        assert "IRIS-" not in page, url
    assert ivan.get(f"/candidates/{ids['candidate']}/feedback").status_code == 403
    assert ivan.get(f"/kit/{iris_sid}").status_code == 403
    assert ivan.get(f"/kit/{iris_sid}/state").status_code == 403
    # the lead sees everything
    lead = signed_in(app, "lead@example.com")
    assert "IRIS-EVIDENCE" in lead.get(f"/candidates/{ids['candidate']}/feedback").get_data(
        as_text=True
    )
    # once Ivan submits, he sees Iris's feedback
    _score_all(ivan, ids, 3)
    _submit(ivan, ids)
    page = ivan.get(f"/candidates/{ids['candidate']}/feedback").get_data(as_text=True)
    assert "IRIS-EVIDENCE" in page


def _iris_comps(app, ids):
    with app.app_context():
        return db.session.get(LoopSession, ids["iris_session"]).competencies


def test_queue_sorts_sessions(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    assert "Upcoming" in ivan.get("/queue").get_data(as_text=True)
    save(ivan, ids["ivan_session"], item("general", "started", save_id="queue0001"))
    page = ivan.get("/queue").get_data(as_text=True)
    assert page.index("In progress") < page.index("Casey") < page.index("Upcoming")
    with app.app_context():
        card = db.session.execute(db.select(Scorecard)).scalar_one()
        card.started_at = utcnow() - timedelta(days=2)
        db.session.commit()
    page = ivan.get("/queue").get_data(as_text=True)
    assert page.index("Scorecards overdue") < page.index("Casey") < page.index("In progress")


def test_kit_shows_the_snapshot_and_the_bar_at_the_level(world):
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    page = ivan.get(f"/kit/{ids['ivan_session']}").get_data(as_text=True)
    assert "Bar for mid:" in page
    assert 'data-key="general"' in page and "kit.js" in page
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="ivan@example.com")).scalar()
        assert user is not None


def test_a_reassigned_session_starts_a_fresh_scorecard(world):
    """Regression: a scorecard keyed by session alone showed the old interviewer's draft."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    save(ivan, ids["ivan_session"], item("general", "IVAN-DRAFT", save_id="ivandraft1"))
    with app.app_context():
        iris_id = db.session.execute(
            db.select(User.id).filter_by(email="iris@example.com")
        ).scalar()
        db.session.get(LoopSession, ids["ivan_session"]).interviewer_id = iris_id
        db.session.commit()
    iris = signed_in(app, "iris@example.com")
    page = iris.get(f"/kit/{ids['ivan_session']}").get_data(as_text=True)
    assert "IVAN-DRAFT" not in page
    assert iris.get(f"/kit/{ids['ivan_session']}/state").json["texts"] == {}
    assert ivan.get(f"/kit/{ids['ivan_session']}").status_code == 403


# -- the queue: every state in one obvious section (issue 8, item 19) ---------------------


def _ago(app, ids, card=None, session=None):
    """Move the scorecard's or the session's times into the past (field -> hours ago)."""
    with app.app_context():
        now = utcnow()
        if card:
            row = db.session.execute(db.select(Scorecard)).scalar_one()
            for name, hours in card.items():
                setattr(row, name, now - timedelta(hours=hours))
        if session:
            row = db.session.get(LoopSession, ids["ivan_session"])
            for name, hours in session.items():
                setattr(row, name, now - timedelta(hours=hours))
        db.session.commit()


def _opened(app, ids, ivan):
    assert ivan.get(f"/kit/{ids['ivan_session']}/scorecard").status_code == 200


def _noted(app, ids, ivan):
    save(ivan, ids["ivan_session"], item("general", "a first note", save_id="queuenote1"))


def _rated(app, ids, ivan):
    _score_all(ivan, ids, 3)
    assert ivan.post(f"/kit/{ids['ivan_session']}/scorecard", data=_ratings(ids)).status_code == 302


def _rated_on_the_scorecard_only(app, ids, ivan):
    """Score straight on the scorecard page: the kit never saved, so started_at stays None."""
    _opened(app, ids, ivan)
    assert ivan.post(f"/kit/{ids['ivan_session']}/scorecard", data=_ratings(ids)).status_code == 302


def _submitted(app, ids, ivan):
    _score_all(ivan, ids, 3)
    _submit(ivan, ids)


QUEUE_STATES = {
    "no scorecard": ([], {}, "upcoming", "no scorecard yet"),
    "no scorecard, scheduled tomorrow": ([], {"session": {"scheduled_at": -20}}, "upcoming", ""),
    "no scorecard, scheduled 2 days ago": (
        [],
        {"session": {"scheduled_at": 48}},
        "overdue",
        "no scorecard yet",
    ),
    "draft only opened": ([_opened], {}, "in_progress", "scorecard opened, nothing saved yet"),
    "draft only opened, scheduled 2 days ago": (
        [_opened],
        {"session": {"scheduled_at": 48}},
        "overdue",
        "scorecard opened",
    ),
    "draft with a note": ([_noted], {}, "in_progress", "draft"),
    "draft started 2 days ago": ([_noted], {"card": {"started_at": 48}}, "overdue", "draft"),
    "ratings submitted": ([_rated], {}, "in_progress", "ratings submitted · evidence to write"),
    "ratings submitted without using the kit": (
        [_rated_on_the_scorecard_only],
        {},
        "in_progress",
        "evidence to write",
    ),
    # the evidence clock starts when the ratings are submitted, however early the notes began
    "ratings submitted today, started 3 days ago": (
        [_rated],
        {"card": {"started_at": 72}},
        "in_progress",
        "evidence to write",
    ),
    "ratings submitted 2 days ago, no evidence": (
        [_rated],
        {"card": {"started_at": 50, "ratings_submitted_at": 48}},
        "overdue",
        "evidence to write",
    ),
    "submitted": ([_submitted], {}, "done", "submitted"),
    "submitted long after the interview": (
        [_submitted],
        {"card": {"started_at": 200}, "session": {"scheduled_at": 200}},
        "done",
        "submitted",
    ),
}


def _sections_showing(page, text):
    sections = re.findall(r'<section class="queue-(\w+)">(.*?)</section>', page, re.S)
    return [key for key, body in sections if text in body]


@pytest.mark.parametrize("state", QUEUE_STATES)
def test_every_queue_state_has_one_section(world, state):
    """Regression (issue 8.19): ratings submitted and opened-only drafts sat under Upcoming."""
    from interviewkit.kit.service import queue

    steps, times, section, label = QUEUE_STATES[state]
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    for step in steps:
        step(app, ids, ivan)
    _ago(app, ids, **times)
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="ivan@example.com")).scalar()
        found = {key: [s.id for s, _ in rows] for key, rows in queue(user).items()}
    assert [key for key, sids in found.items() if ids["ivan_session"] in sids] == [section]
    page = ivan.get("/queue").get_data(as_text=True)
    assert _sections_showing(page, "Casey") == [section]
    body = dict(re.findall(r'<section class="queue-(\w+)">(.*?)</section>', page, re.S))[section]
    assert label in body
    # the home page lists every open session, and only those
    home = ivan.get("/").get_data(as_text=True)
    assert (f"/kit/{ids['ivan_session']}" in home) is (section != "done")


# -- the feedback page: readable, with reasons and per-question notes (issue 8, item 20) ----


def _feedback(client, ids):
    r = client.get(f"/candidates/{ids['candidate']}/feedback")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _ivan_submits_with_notes_and_amends(app, ids):
    """Ivan scores (one question not asked), notes, rates 2 against a suggested 3, amends."""
    ivan = signed_in(app, "ivan@example.com")
    sid, q = ids["ivan_session"], ids["ivan_q"]
    _score_all(ivan, ids, 3)
    save(ivan, sid, item(f"score:{q[1]}", 0, base=1, save_id="notasked01"))
    save(ivan, sid, item(f"notes:{q[0]}", "IVAN-Q0-NOTE asked about retries", save_id="ivnote0001"))
    save(ivan, sid, item("general", "IVAN-GENERAL calm and clear", save_id="ivgen00001"))
    data = _ratings(ids, score=2, reason="IVAN-REASON missed the retry case")
    assert ivan.post(f"/kit/{sid}/scorecard", data=data).status_code == 302
    _submit(ivan, ids)
    comp = ids["ivan_comps"][0]
    amend = {
        "action": "amend",
        "amend-reason": "Re-read my notes after the debrief.",
        f"amend-score-{comp}": "1",
        f"amend-evidence-{comp}": "IVAN-NEW-EVIDENCE: could not explain idempotency keys.",
        "amend-recommendation": "strong_no",
    }
    assert ivan.post(f"/kit/{sid}/scorecard", data=amend).status_code == 302
    return ivan


def _titles(app, ids):
    from interviewkit.extensions import bank as bankdb

    with app.app_context():
        session = db.session.get(LoopSession, ids["ivan_session"])
        ratings = db.session.execute(
            db.select(CompetencyRating).join(Scorecard).where(Scorecard.session_id == session.id)
        ).scalars()
        return (
            bankdb.competency_titles(),
            [q.title for q in session.questions],
            {r.competency: r.suggested for r in ratings},
        )


def test_the_lead_reads_a_submitted_scorecard_in_full(world):
    """Regression (issue 8.20): ids instead of titles, raw amendments, no reasons, no notes."""
    app, ids = world
    _ivan_submits_with_notes_and_amends(app, ids)
    competencies, questions, suggested = _titles(app, ids)
    page = _feedback(signed_in(app, "lead@example.com"), ids)
    comp = ids["ivan_comps"][0]
    title = str(escape(competencies[comp]))
    for c in ids["ivan_comps"]:  # titles, not ids
        assert f"<td>{escape(competencies[c])}</td>" in page
        assert f"<td>{c}</td>" not in page
    # the reason for differing from the suggestion
    assert any(s is not None for s in suggested.values())
    for c, s in suggested.items():
        if s is not None and c != comp:
            assert f"suggested {s}, chose 2 — because IVAN-REASON missed the retry case" in page
    # readable amendments
    assert f"Score for {title}: 2 → 1" in page
    assert f"Evidence for {title}: changed" in page
    details = page[page.index(f"Evidence for {title}: changed") :]
    details = details[: details.index("</details>")]
    assert "<details>" in details and "IVAN-NEW-EVIDENCE" in details
    assert f"Evidence for {comp}: walked through it well." in details  # the old text
    assert "Recommendation: No → Strong no" not in page  # the rating was Yes, not No
    assert "Recommendation: Yes → Strong no" in page
    assert f"score:{comp}:" not in page
    # per question: the title as asked, the score (0 = not asked) and the note
    answers = page[page.index("Questions as asked") :]
    for t in questions:
        assert str(escape(t)) in answers
    assert "not asked" in answers
    assert "IVAN-Q0-NOTE asked about retries" in answers
    assert "IVAN-GENERAL calm and clear" in answers


def test_the_amendments_read_the_same_on_the_scorecard_page(world):
    app, ids = world
    ivan = _ivan_submits_with_notes_and_amends(app, ids)
    competencies, _, _ = _titles(app, ids)
    title = str(escape(competencies[ids["ivan_comps"][0]]))
    page = ivan.get(f"/kit/{ids['ivan_session']}/scorecard").get_data(as_text=True)
    assert f"Score for {title}: 2 → 1" in page
    assert "Recommendation: Yes → Strong no" in page


def _iris_rates(app, ids, iris):
    sid = ids["iris_session"]
    save(iris, sid, item("general", "IRIS-GENERAL-NOTE", save_id="irisgen01"))
    save(iris, sid, item(f"notes:{ids['iris_q'][0]}", "IRIS-Q-NOTE", save_id="irisnote1"))
    data = {**_ratings(ids), **{f"score-{c}": "2" for c in _iris_comps(app, ids)}}
    assert iris.post(f"/kit/{sid}/scorecard", data=data).status_code == 302


def _iris_submits(app, ids, iris):
    sid = ids["iris_session"]
    for n, c in enumerate(_iris_comps(app, ids)):
        text = "IRIS-EVIDENCE written in full here."
        save(iris, sid, item(f"evidence:{c}", text, save_id=f"irisev{n:04d}"))
    assert iris.post(f"/kit/{sid}/scorecard", data={"action": "evidence"}).status_code == 302


def test_an_interviewer_sees_colleagues_notes_only_once_submitted(world):
    app, ids = world
    _ivan_submits_with_notes_and_amends(app, ids)
    ivan = signed_in(app, "ivan@example.com")
    iris = signed_in(app, "iris@example.com")
    save(iris, ids["iris_session"], item("general", "IRIS-DRAFT-NOTE", save_id="irisdraft"))
    page = _feedback(ivan, ids)
    assert "IRIS-" not in page and "Not submitted yet." in page
    _iris_rates(app, ids, iris)  # ratings locked, notes still open
    page = _feedback(ivan, ids)
    assert "IRIS-GENERAL-NOTE" not in page and "IRIS-Q-NOTE" not in page
    assert "Evidence and notes: not submitted yet." in page
    _iris_submits(app, ids, iris)
    page = _feedback(ivan, ids)
    assert "IRIS-GENERAL-NOTE" in page and "IRIS-Q-NOTE" in page
    with app.app_context():
        first = db.session.get(LoopSession, ids["iris_session"]).questions[0].title
    assert str(escape(first)) in page
    # and Iris, now submitted, sees Ivan's notes and the reason he gave
    page = _feedback(iris, ids)
    assert "IVAN-Q0-NOTE" in page and "IVAN-GENERAL" in page and "IVAN-REASON" in page


def test_the_feedback_page_does_not_query_once_per_scorecard(world):
    from sqlalchemy import event

    app, ids = world
    _ivan_submits_with_notes_and_amends(app, ids)
    lead = signed_in(app, "lead@example.com")
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        _feedback(lead, ids)
        one_card = len(statements)
        iris = signed_in(app, "iris@example.com")
        _iris_rates(app, ids, iris)
        _iris_submits(app, ids, iris)
        statements.clear()
        _feedback(lead, ids)
        two_cards = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert two_cards == one_card

"""The API's loops, scorecards, decisions, debrief and numbers, end to end with tokens.

A hiring lead assembles and edits a loop; two interviewers work through their own
scorecards (autosave, ratings, evidence); the independence rule holds on every read; a
decision is recorded and changed only with a reason and the ETag last read.
"""

from __future__ import annotations

import pytest
from conftest import PASSWORD, app_with_bank, seed_two_interviewer_loop
from test_api import assert_problem

from interviewkit.extensions import db
from interviewkit.loops import service as loops
from interviewkit.models import AuditEvent, Loop, LoopQuestion, LoopSession, Scorecard, User
from interviewkit.tokens import create_token
from interviewkit.users import create_user


def bearer(app, email: str, scope: str = "read-write") -> dict:
    """Return the Authorization header of a fresh token of the user with this email."""
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        secret = create_token(user, "tests", scope).secret
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def panel(tmp_path, database_url, real_bank):
    """A mid-level loop: Ivan runs session one, Iris session two; Olga is on no panel."""
    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_two_interviewer_loop(app)
    with app.app_context():
        create_user("olga@example.com", "Olga Outsider", "interviewer", PASSWORD)
        ids["loop"] = db.session.get(LoopSession, ids["ivan_session"]).loop_id
    people = ("lead", "ivan", "iris", "olga")
    tokens = {who: bearer(app, f"{who}@example.com") for who in people}
    return app, ids, tokens


def call(app, headers, method, url, body=None, **extra):
    return app.test_client().open(
        url, method=method, headers={**headers, **extra}, json=body if body is not None else None
    )


# -- loops -------------------------------------------------------------------------------------


def test_a_lead_assembles_a_loop_once_per_idempotency_key(panel):
    app, ids, tokens = panel
    url = f"/api/v1/candidates/{ids['candidate']}/loops"
    body = {"template_id": "backend-mid", "seed": "api-1"}
    first = call(app, tokens["lead"], "POST", url, body, **{"Idempotency-Key": "loop-1"})
    assert first.status_code == 201, first.get_json()
    loop = first.get_json()
    assert first.headers["Location"] == f"/api/v1/loops/{loop['id']}"
    assert loop["template_id"] == "backend-mid" and loop["seed"] == "api-1"
    assert loop["sessions"] and all(s["questions"] for s in loop["sessions"])
    assert all(s["interviewer"] is None and s["frozen"] is None for s in loop["sessions"])
    again = call(app, tokens["lead"], "POST", url, body, **{"Idempotency-Key": "loop-1"})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == loop["id"]
    with app.app_context():
        assert db.session.query(Loop).filter_by(seed="api-1").count() == 1
        event = db.session.query(AuditEvent).filter_by(action="loop_created").all()[-1]
        assert event.target_id == str(loop["id"])
    # a new key is a new request: a second loop
    other = call(app, tokens["lead"], "POST", url, body, **{"Idempotency-Key": "loop-2"})
    assert other.status_code == 201 and other.get_json()["id"] != loop["id"]


def test_assembling_refuses_an_unknown_template_and_a_bad_seed(panel):
    app, ids, tokens = panel
    url = f"/api/v1/candidates/{ids['candidate']}/loops"
    bad = call(app, tokens["lead"], "POST", url, {"template_id": "nope"})
    body = assert_problem(bad, 422, "invalid-field", "template_id")
    assert "backend-mid" in body["detail"]  # it lists the templates to choose from
    bad_seed = call(app, tokens["lead"], "POST", url, {"template_id": "backend-mid", "seed": "a b"})
    assert_problem(bad_seed, 422, "invalid-field", "seed")
    missing = call(
        app, tokens["lead"], "POST", "/api/v1/candidates/999999/loops", {"template_id": "x"}
    )
    assert_problem(missing, 404, "not-found")
    with app.app_context():
        assert db.session.query(Loop).count() == 1  # only the fixture's


def test_loop_writes_need_the_etag_last_read(panel):
    app, ids, tokens = panel
    url = f"/api/v1/loops/{ids['loop']}"
    read = call(app, tokens["lead"], "GET", url)
    tag = read.headers["ETag"]
    assert_problem(
        call(app, tokens["lead"], "PATCH", url, {"prep_note": "x"}), 428, "precondition-required"
    )
    changed = call(
        app,
        tokens["lead"],
        "PATCH",
        url,
        {"prep_note": "Probe the caching answer."},
        **{"If-Match": tag},
    )
    assert changed.status_code == 200
    assert changed.get_json()["prep_note"] == "Probe the caching answer."
    assert changed.headers["ETag"] != tag
    # a second script still holding the old ETag cannot overwrite the newer note
    stale = call(
        app, tokens["lead"], "PATCH", url, {"prep_note": "Older idea"}, **{"If-Match": tag}
    )
    assert_problem(stale, 412, "precondition-failed")
    assert (
        call(app, tokens["lead"], "GET", url).get_json()["prep_note"] == "Probe the caching answer."
    )
    # the interviewers see the note in their kit
    kit = call(app, tokens["ivan"], "GET", f"/api/v1/me/sessions/{ids['ivan_session']}").get_json()
    assert kit["prep_note"] == "Probe the caching answer."
    bad = call(
        app,
        tokens["lead"],
        "PATCH",
        url,
        {"prep_note": "a\x00b"},
        **{"If-Match": changed.headers["ETag"]},
    )
    assert_problem(bad, 422, "invalid-field", "prep_note")


def test_a_lead_assigns_an_interviewer_and_cannot_once_feedback_exists(panel):
    app, ids, tokens = panel
    url = f"/api/v1/loops/{ids['loop']}"
    session_url = f"{url}/sessions/{ids['ivan_session']}"
    with app.app_context():
        olga = (
            db.session.execute(db.select(User).filter_by(email="olga@example.com")).scalar_one().id
        )
    tag = call(app, tokens["lead"], "GET", url).headers["ETag"]
    for bad in ({"interviewer_id": "olga"}, {"interviewer_id": True}, {"interviewer_id": 10**12}):
        assert_problem(
            call(app, tokens["lead"], "PATCH", session_url, bad, **{"If-Match": tag}),
            422,
            "invalid-field",
            "interviewer_id",
        )
    done = call(
        app, tokens["lead"], "PATCH", session_url, {"interviewer_id": olga}, **{"If-Match": tag}
    )
    assert done.status_code == 200, done.get_json()
    first = next(s for s in done.get_json()["sessions"] if s["id"] == ids["ivan_session"])
    assert first["interviewer"]["id"] == olga
    # Olga saves a note: the session now holds feedback and is frozen
    headers = tokens["olga"]
    save = call(
        app,
        headers,
        "POST",
        f"/api/v1/me/sessions/{ids['ivan_session']}/scorecard/saves",
        {
            "items": [
                {"key": "general", "value": "Started well.", "base": 0, "save_id": "olga-0001"}
            ]
        },
    )
    assert save.status_code == 200, save.get_json()
    read = call(app, tokens["lead"], "GET", url)
    frozen = next(s for s in read.get_json()["sessions"] if s["id"] == ids["ivan_session"])
    assert "Olga Outsider" in frozen["frozen"]
    back = call(
        app,
        tokens["lead"],
        "PATCH",
        session_url,
        {"interviewer_id": None},
        **{"If-Match": read.headers["ETag"]},
    )
    body = assert_problem(back, 409, "loop-rule")
    assert body["violations"][0]["severity"] == "error"
    lq = frozen["questions"][0]["id"]
    swap = call(
        app, tokens["lead"], "POST", f"{url}/questions/{lq}/swap", {"question_id": "anything"}
    )
    assert_problem(swap, 409, "loop-rule")
    with app.app_context():
        assert db.session.get(LoopSession, ids["ivan_session"]).interviewer_id == olga
        assert db.session.get(LoopQuestion, lq) is not None


def test_a_lead_swaps_a_question_for_a_suggestion(panel):
    app, ids, tokens = panel
    url = f"/api/v1/loops/{ids['loop']}"
    lq_id = ids["iris_q"][0]
    with app.app_context(), app.test_request_context():
        new_id = loops.suggestions(db.session.get(LoopQuestion, lq_id))[0].id
    unknown = call(
        app,
        tokens["lead"],
        "POST",
        f"{url}/questions/{lq_id}/swap",
        {"question_id": "no-such-question"},
    )
    body = assert_problem(unknown, 409, "loop-rule")
    assert "no-such-question" in body["violations"][0]["message"]
    done = call(
        app, tokens["lead"], "POST", f"{url}/questions/{lq_id}/swap", {"question_id": new_id}
    )
    assert done.status_code == 200, done.get_json()
    session = next(s for s in done.get_json()["sessions"] if s["id"] == ids["iris_session"])
    assert session["questions"][0]["question_id"] == new_id
    assert session["questions"][0]["reason"] == "chosen by hand"
    assert isinstance(done.get_json()["warnings"], list)
    # the old placed question is gone: swapping it again is a 404, not a second swap
    again = call(
        app, tokens["lead"], "POST", f"{url}/questions/{lq_id}/swap", {"question_id": new_id}
    )
    assert_problem(again, 404, "not-found")
    other_loop = call(
        app,
        tokens["lead"],
        "POST",
        f"/api/v1/loops/{10**15}/questions/{lq_id}/swap",
        {"question_id": new_id},
    )
    assert_problem(other_loop, 404, "not-found")


def test_users_lists_whom_a_session_can_go_to(panel):
    app, _, tokens = panel
    page = call(app, tokens["lead"], "GET", "/api/v1/users?limit=2").get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = call(
        app, tokens["lead"], "GET", f"/api/v1/users?cursor={page['next_cursor']}"
    ).get_json()
    emails = [u["email"] for u in page["items"] + rest["items"]]
    assert sorted(emails) == sorted(
        ["lead@example.com", "ivan@example.com", "iris@example.com", "olga@example.com"]
    )
    interviewers = call(app, tokens["lead"], "GET", "/api/v1/users?role=interviewer").get_json()
    assert {u["role"] for u in interviewers["items"]} == {"interviewer"}
    assert_problem(
        call(app, tokens["lead"], "GET", "/api/v1/users?role=boss"),
        400,
        "invalid-parameter",
        "role",
    )


# -- an interviewer's own scorecard -------------------------------------------------------------


def _save(app, headers, session_id, *items):
    return call(
        app,
        headers,
        "POST",
        f"/api/v1/me/sessions/{session_id}/scorecard/saves",
        {
            "items": [
                dict(zip(("key", "value", "base", "save_id"), item, strict=True)) for item in items
            ]
        },
    )


def _submit_all(app, ids, headers, session_id, who):
    """Ratings then evidence for every competency of the session, through the API."""
    kit = call(app, headers, "GET", f"/api/v1/me/sessions/{session_id}").get_json()
    _save(
        app,
        headers,
        session_id,
        *[(f"score:{q['id']}", 3, 0, f"{who}-q-{q['id']:06d}") for q in kit["questions"]],
    )
    own = call(app, headers, "GET", f"/api/v1/me/sessions/{session_id}/scorecard").get_json()
    comps = list(own["suggested"])
    rated = call(
        app,
        headers,
        "POST",
        f"/api/v1/me/sessions/{session_id}/scorecard/ratings",
        {
            "scores": dict.fromkeys(comps, 3),
            "reasons": dict.fromkeys(comps, "Seen across the session."),
            "recommendation": "yes",
        },
    )
    assert rated.status_code == 200, rated.get_json()
    base = rated.get_json()["texts"]
    _save(
        app,
        headers,
        session_id,
        *[
            (
                f"evidence:{c}",
                f"{who} saw solid reasoning about {c}.",
                base.get(f"evidence:{c}", {}).get("version", 0),
                f"{who}-ev-{i:04d}",
            )
            for i, c in enumerate(comps)
        ],
    )
    done = call(app, headers, "POST", f"/api/v1/me/sessions/{session_id}/scorecard/submit", {})
    assert done.status_code == 200, done.get_json()
    return done.get_json()


def test_an_interviewer_autosaves_rates_and_submits(panel):
    app, ids, tokens = panel
    ivan, sid = tokens["ivan"], ids["ivan_session"]
    queue = call(app, ivan, "GET", "/api/v1/me/sessions").get_json()
    assert [s["session_id"] for s in queue["upcoming"]] == [sid]
    kit = call(app, ivan, "GET", f"/api/v1/me/sessions/{sid}").get_json()
    assert kit["candidate"]["name"] == "Sam Rivera"
    assert [q["id"] for q in kit["questions"]] == ids["ivan_q"]
    empty = call(app, ivan, "GET", f"/api/v1/me/sessions/{sid}/scorecard").get_json()
    assert empty["id"] is None and empty["texts"] == {} and empty["status"] == "draft"

    q1 = ids["ivan_q"][0]
    saved = _save(
        app,
        ivan,
        sid,
        ("general", "Opened with the queue design.", 0, "ivan-0001"),
        (f"score:{q1}", 3, 0, "ivan-0002"),
        ("nonsense", "x", 0, "ivan-0003"),
    )
    results = {r["key"]: r for r in saved.get_json()["results"]}
    assert results["general"]["status"] == "saved" and results["general"]["version"] == 1
    assert results[f"score:{q1}"]["status"] == "saved"
    assert results["nonsense"]["status"] == "refused"  # one bad item never blocks the others
    # a retry of the same save is applied once
    retry = _save(app, ivan, sid, ("general", "Opened with the queue design.", 0, "ivan-0001"))
    assert retry.get_json()["results"][0]["version"] == 1
    # an edit from an older version merges and keeps both texts
    stale = _save(app, ivan, sid, ("general", "Second window's note.", 0, "ivan-0004"))
    merged = stale.get_json()["results"][0]
    assert "queue design" in merged["value"] and "Second window" in merged["value"]
    own = call(app, ivan, "GET", f"/api/v1/me/sessions/{sid}/scorecard").get_json()
    assert own["texts"]["general"]["value"] == merged["value"]
    assert own["scores"][str(q1)] == {"value": 3, "version": 1}

    comps = list(own["suggested"])
    incomplete = call(
        app,
        ivan,
        "POST",
        f"/api/v1/me/sessions/{sid}/scorecard/ratings",
        {"scores": {comps[0]: 9}, "recommendation": "perhaps"},
    )
    body = assert_problem(incomplete, 422, "invalid-field")
    assert f"scores.{comps[0]}" in body["errors"] and "recommendation" in body["errors"]
    early = call(app, ivan, "POST", f"/api/v1/me/sessions/{sid}/scorecard/submit", {})
    assert_problem(early, 409, "scorecard-state")
    wrong_types = call(
        app,
        ivan,
        "POST",
        f"/api/v1/me/sessions/{sid}/scorecard/ratings",
        {"scores": {comps[0]: "3"}, "recommendation": "yes"},
    )
    assert_problem(wrong_types, 422, "invalid-field", "scores")

    rated = call(
        app,
        ivan,
        "POST",
        f"/api/v1/me/sessions/{sid}/scorecard/ratings",
        {
            "scores": dict.fromkeys(comps, 3),
            "reasons": dict.fromkeys(comps, "Seen across the session."),
            "recommendation": "yes",
        },
    )
    assert rated.status_code == 200, rated.get_json()
    assert rated.get_json()["status"] == "ratings_submitted"
    twice = call(
        app,
        ivan,
        "POST",
        f"/api/v1/me/sessions/{sid}/scorecard/ratings",
        {"scores": dict.fromkeys(comps, 1), "recommendation": "no"},
    )
    assert_problem(twice, 409, "scorecard-state")
    no_evidence = call(app, ivan, "POST", f"/api/v1/me/sessions/{sid}/scorecard/submit", {})
    body = assert_problem(no_evidence, 422, "invalid-field")
    assert set(body["errors"]) == {f"texts.evidence:{c}" for c in comps}

    _save(
        app,
        ivan,
        sid,
        *[
            (f"evidence:{c}", f"Ivan saw solid reasoning about {c}.", 0, f"ivan-ev-{i:04d}")
            for i, c in enumerate(comps)
        ],
    )
    submitted = call(app, ivan, "POST", f"/api/v1/me/sessions/{sid}/scorecard/submit", {})
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"
    assert all(r["evidence"].startswith("Ivan saw") for r in submitted.get_json()["ratings"])
    with app.app_context():
        actions = {(e.action, e.detail.get("via")) for e in db.session.query(AuditEvent)}
        assert ("ratings_submitted", "api") in actions and ("scorecard_submitted", "api") in actions
    queue = call(app, ivan, "GET", "/api/v1/me/sessions").get_json()
    assert [s["session_id"] for s in queue["done"]] == [sid]
    # another interviewer cannot touch Ivan's session
    assert_problem(
        _save(app, tokens["iris"], sid, ("general", "x", 0, "iris-0001")), 403, "forbidden"
    )


def test_feedback_stays_hidden_until_your_own_is_submitted(panel):
    app, ids, tokens = panel
    ivan_card = _submit_all(app, ids, tokens["ivan"], ids["ivan_session"], "Ivan")
    with app.app_context():
        card_id = db.session.execute(
            db.select(Scorecard.id).filter_by(session_id=ids["ivan_session"])
        ).scalar_one()
    assert ivan_card["id"] == card_id
    cid = ids["candidate"]
    # Iris, on the panel, has not submitted: every way in is closed
    for url in (f"/api/v1/candidates/{cid}/scorecards", f"/api/v1/scorecards/{card_id}"):
        assert_problem(call(app, tokens["iris"], "GET", url), 403, "feedback-hidden")
    for url in (
        f"/api/v1/candidates/{cid}/debrief",
        f"/api/v1/candidates/{cid}/decisions",
        f"/api/v1/candidates/{cid}",
        "/api/v1/numbers/calibration",
        "/api/v1/numbers/questions",
        "/api/v1/candidates",
    ):
        assert_problem(call(app, tokens["iris"], "GET", url), 403, "forbidden")
    # Olga has no part in the loop: the candidate and the card do not exist for her
    for url in (f"/api/v1/candidates/{cid}/scorecards", f"/api/v1/scorecards/{card_id}"):
        assert_problem(call(app, tokens["olga"], "GET", url), 404, "not-found")
    assert call(app, tokens["olga"], "GET", "/api/v1/me/sessions").get_json()["done"] == []
    # Iris's own draft is hers: Ivan, once submitted, sees colleagues' submitted cards only
    _save(
        app,
        tokens["iris"],
        ids["iris_session"],
        ("general", "Iris's private draft.", 0, "iris-0002"),
    )
    seen = call(app, tokens["ivan"], "GET", f"/api/v1/candidates/{cid}/scorecards").get_json()
    assert [c["id"] for c in seen["items"]] == [card_id]
    assert "Iris's private draft" not in str(seen)
    with app.app_context():
        iris_card = db.session.execute(
            db.select(Scorecard.id).filter_by(session_id=ids["iris_session"])
        ).scalar_one()
    assert_problem(
        call(app, tokens["ivan"], "GET", f"/api/v1/scorecards/{iris_card}"), 404, "not-found"
    )
    assert_problem(
        call(app, tokens["lead"], "GET", f"/api/v1/scorecards/{iris_card}"), 404, "not-found"
    )
    mine = call(app, tokens["iris"], "GET", f"/api/v1/scorecards/{iris_card}")
    assert mine.status_code == 200 and mine.get_json()["status"] == "draft"
    # once Iris submits, she reads Ivan's card, evidence and all
    _submit_all(app, ids, tokens["iris"], ids["iris_session"], "Iris")
    theirs = call(app, tokens["iris"], "GET", f"/api/v1/scorecards/{card_id}").get_json()
    assert theirs["interviewer"]["name"] == "Ivan Interviewer"
    assert all(r["evidence"].startswith("Ivan saw") for r in theirs["ratings"])
    lead = call(app, tokens["lead"], "GET", f"/api/v1/candidates/{cid}/scorecards").get_json()
    assert len(lead["items"]) == 2
    # reading feedback out of the app is an export: each read is in the audit log
    with app.app_context():
        emails = {u.id: u.email for u in db.session.query(User)}
        exports = [
            (emails[e.actor_id], e.target_type, e.detail["what"])
            for e in db.session.query(AuditEvent).filter_by(action="exported")
        ]
    assert ("iris@example.com", "scorecard", "scorecard") in exports
    assert ("lead@example.com", "candidate", "scorecards") in exports
    assert ("ivan@example.com", "candidate", "scorecards") in exports
    # reading one's own card is not an export; a refused read records nothing
    assert not any(who == "olga@example.com" for who, _, _ in exports)


# -- decisions, debrief, numbers --------------------------------------------------------------


def test_a_decision_is_recorded_and_changed_only_with_a_reason_and_the_etag(panel):
    app, ids, tokens = panel
    url = f"/api/v1/candidates/{ids['candidate']}/decisions"
    lead = tokens["lead"]
    assert_problem(
        call(app, lead, "POST", url, {"outcome": "hire", "rationale": ""}),
        422,
        "invalid-field",
        "rationale",
    )
    assert_problem(
        call(app, lead, "POST", url, {"outcome": "maybe", "rationale": "Strong panel all round."}),
        422,
        "invalid-field",
        "outcome",
    )
    first = call(
        app,
        lead,
        "POST",
        url,
        {"outcome": "hire", "rationale": "Strong panel all round."},
        **{"Idempotency-Key": "d-1"},
    )
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["items"][0]["outcome"] == "hire"
    replay = call(
        app,
        lead,
        "POST",
        url,
        {"outcome": "hire", "rationale": "Strong panel all round."},
        **{"Idempotency-Key": "d-1"},
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    listed = call(app, lead, "GET", url)
    assert listed.headers["ETag"] == first.headers["ETag"]
    assert len(listed.get_json()["items"]) == 1
    change = {
        "outcome": "another_loop",
        "rationale": "System design was thin.",
        "change_reason": "Iris's card came in late.",
    }
    assert_problem(call(app, lead, "POST", url, change), 428, "precondition-required")
    assert_problem(
        call(app, lead, "POST", url, change, **{"If-Match": '"stale"'}), 412, "precondition-failed"
    )
    no_reason = {k: v for k, v in change.items() if k != "change_reason"}
    assert_problem(
        call(app, lead, "POST", url, no_reason, **{"If-Match": listed.headers["ETag"]}),
        422,
        "invalid-field",
        "change_reason",
    )
    changed = call(app, lead, "POST", url, change, **{"If-Match": listed.headers["ETag"]})
    assert changed.status_code == 201, changed.get_json()
    history = changed.get_json()
    assert [d["outcome"] for d in history["items"]] == ["hire", "another_loop"]
    assert history["current"] == history["items"][-1]["id"]
    assert history["items"][0]["rationale"] == "Strong panel all round."  # kept, not changed
    candidate = call(app, lead, "GET", f"/api/v1/candidates/{ids['candidate']}").get_json()
    assert candidate["decision"]["outcome"] == "another_loop"


def test_the_debrief_and_the_numbers_match_the_pages(panel):
    app, ids, tokens = panel
    _submit_all(app, ids, tokens["ivan"], ids["ivan_session"], "Ivan")
    lead = tokens["lead"]
    debrief = call(app, lead, "GET", f"/api/v1/candidates/{ids['candidate']}/debrief")
    assert debrief.status_code == 200, debrief.get_json()
    body = debrief.get_json()
    assert len(body["scorecards"]) == 1
    assert {c["score"] for c in body["cells"]} == {3}
    assert body["overall"]["value"] == pytest.approx(3.0)
    assert body["overall"]["arithmetic"]
    # Iris's session is still out: the flags say so, as on the page
    assert any(f["kind"] in ("missing", "overdue", "unscored") for f in body["flags"])
    page = app.test_client()
    page.post("/login", data={"email": "lead@example.com", "password": PASSWORD})
    csv_rows = page.get("/numbers/calibration.csv").get_data(as_text=True).strip().splitlines()
    numbers = call(app, lead, "GET", "/api/v1/numbers/calibration").get_json()
    assert len(numbers["interviewers"]) == len(csv_rows) - 1
    assert {r["interviewer"] for r in numbers["interviewers"]} >= {"Ivan Interviewer"}
    questions = call(app, lead, "GET", "/api/v1/numbers/questions").get_json()["items"]
    assert {r["question"] for r in questions} >= {
        q["question_id"]
        for q in call(app, lead, "GET", f"/api/v1/loops/{ids['loop']}").get_json()["sessions"][0][
            "questions"
        ]
    }
    coverage = call(app, lead, "GET", "/api/v1/numbers/coverage?loops=3").get_json()
    assert coverage["loops"] == 3 and coverage["items"]
    assert_problem(
        call(app, lead, "GET", "/api/v1/numbers/coverage?loops=0"),
        400,
        "invalid-parameter",
        "loops",
    )


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/loops/{2**31}",
        f"/api/v1/scorecards/{2**70}",
        f"/api/v1/me/sessions/{2**40}",
        f"/api/v1/candidates/{2**63}/debrief",
        f"/api/v1/candidates/{2**40}/decisions",
        f"/api/v1/candidates/{2**40}/scorecards",
        f"/api/v1/candidates/{2**40}",
    ],
)
def test_huge_ids_are_not_found_not_errors(panel, url):
    app, _, tokens = panel
    response = call(app, tokens["lead"], "GET", url)
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


def test_a_read_token_reads_but_never_writes_a_scorecard(panel):
    app, ids, _ = panel
    read = bearer(app, "ivan@example.com", scope="read")
    sid = ids["ivan_session"]
    assert call(app, read, "GET", f"/api/v1/me/sessions/{sid}/scorecard").status_code == 200
    refused = _save(app, read, sid, ("general", "x", 0, "read-0001"))
    assert_problem(refused, 403, "insufficient-scope")
    with app.app_context():
        assert db.session.query(Scorecard).count() == 0

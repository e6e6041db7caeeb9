"""The debrief: the score matrix, every flag, the weighted result and the decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import (
    AuthActions,
    app_with_bank,
    seed_two_interviewer_loop,
    submit_scorecard,
)

from interviewkit.analytics import debrief, stats
from interviewkit.analytics.debrief import CardScores, SessionState


def card(id, who, scores, rec="yes", status="submitted", who_id=None, evidence=None):
    return CardScores(
        id=id,
        session_id=id,
        session=f"Session {id}",
        interviewer_id=who_id if who_id is not None else id,
        interviewer=who,
        status=status,
        recommendation=rec,
        scores=scores,
        evidence=evidence or {},
    )


def kinds(result) -> list[str]:
    return [f.kind for f in result.flags]


# -- the plain function ---------------------------------------------------------------------


def test_scores_two_points_apart_are_flagged_with_both_names():
    result = debrief.build(
        [card(1, "Ana", {"api-design": 1}), card(2, "Ben", {"api-design": 3})], [], ["api-design"]
    )
    assert kinds(result) == ["disagreement"]
    assert result.flags[0].message == "api-design: Ana scored 1, Ben scored 3 (2 points apart)."


def test_scores_one_point_apart_are_not_flagged():
    result = debrief.build(
        [card(1, "Ana", {"api-design": 2}), card(2, "Ben", {"api-design": 3})], [], ["api-design"]
    )
    assert result.flags == []


def test_recommendations_on_both_sides_are_flagged():
    result = debrief.build(
        [card(1, "Ana", {"x": 3}, rec="strong_yes"), card(2, "Ben", {"x": 3}, rec="no")], [], ["x"]
    )
    assert kinds(result) == ["split"]
    assert "Ana (strong yes)" in result.flags[0].message
    assert "Ben (no)" in result.flags[0].message


def test_recommendations_on_one_side_are_not_flagged():
    result = debrief.build(
        [card(1, "Ana", {"x": 3}, rec="strong_yes"), card(2, "Ben", {"x": 3}, rec="yes")], [], ["x"]
    )
    assert result.flags == []


def test_a_competency_the_loop_asks_for_and_nobody_scored_is_flagged():
    result = debrief.build(
        [card(1, "Ana", {"api-design": 3})],
        [],
        ["api-design", "security"],
        titles={"security": "Security"},
    )
    assert kinds(result) == ["unscored"]
    assert result.flags[0].message == "Security: the loop asks for it and no one scored it."


def test_a_competency_still_to_be_scored_by_a_pending_session_is_not_flagged_unscored():
    pending = SessionState(2, "Onsite", "Ben", False, competencies=("security",))
    result = debrief.build(
        [card(1, "Ana", {"api-design": 3})], [pending], ["api-design", "security"]
    )
    assert kinds(result) == ["missing"]  # the session's own flag covers security
    done = SessionState(2, "Onsite", "Ben", True, competencies=("security",))
    result = debrief.build([card(1, "Ana", {"api-design": 3})], [done], ["api-design", "security"])
    assert kinds(result) == ["unscored"]


def test_an_unassigned_session_says_which_competencies_rest_on_it():
    state = SessionState(1, "Screen", None, False, competencies=("security",))
    result = debrief.build([], [state], ["security"], titles={"security": "Security"})
    assert result.flags[0].message == "Screen: no interviewer assigned (Security rest on it)."


@pytest.mark.parametrize(
    ("state", "kind", "message"),
    [
        (SessionState(1, "Screen", None, False), "unassigned", "Screen: no interviewer assigned."),
        (
            SessionState(1, "Screen", "Ana", False),
            "missing",
            "Screen: Ana's scorecard is not submitted yet.",
        ),
        (
            SessionState(1, "Screen", "Ana", False, overdue=True),
            "overdue",
            "Screen: Ana's scorecard is overdue.",
        ),
        (SessionState(1, "Screen", "Ana", True), None, None),
    ],
)
def test_missing_and_overdue_scorecards_are_flagged(state, kind, message):
    result = debrief.build([], [state], [])
    assert kinds(result) == ([kind] if kind else [])
    if message:
        assert result.flags[0].message == message


def test_drafts_never_reach_the_matrix():
    result = debrief.build([card(1, "Ana", {"x": 1}, status="draft")], [], ["x"])
    assert result.cards == [] and result.cells == {}
    assert kinds(result) == ["unscored"]


def test_combined_result_is_the_weighted_mean_with_its_arithmetic():
    cards = [
        card(1, "Ana", {"system-design": 3, "collaboration": 2}),
        card(2, "Ben", {"system-design": 2, "collaboration": 4}),
    ]
    result = debrief.build(cards, [], ["system-design", "collaboration"], {"system-design": 2})
    # system design: (3 + 2) / 2 = 2.5; collaboration: (2 + 4) / 2 = 3
    assert result.combined["system-design"].value == 2.5
    assert result.combined["system-design"].arithmetic == "(3 + 2) / 2 = 2.50"
    assert result.combined["collaboration"].value == 3
    # overall: (2 x 2.5 + 1 x 3) / (2 + 1) = 8 / 3
    assert result.overall.value == pytest.approx(8 / 3)
    assert result.overall.arithmetic == "(2 × 2.50 + 1 × 3.00) / (2 + 1) = 2.67"


def test_weights_default_to_equal_and_unscored_competencies_drop_out():
    result = debrief.build([card(1, "Ana", {"a": 4, "b": 1})], [], ["a", "b", "c"])
    assert result.weights == {"a": 1.0, "b": 1.0, "c": 1.0}
    # c has no score, so it is left out rather than counted as zero: (4 + 1) / 2
    assert result.overall.value == 2.5
    assert result.combined["c"].value is None


def test_adjusted_score_sits_beside_the_raw_one():
    # Ana scores a full point above her panels over 6 pairs, every pair the same.
    offset = stats.offset_from_moments(7, 6, 6.0, 6.0)
    result = debrief.build(
        [card(1, "Ana", {"x": 4}, who_id=7), card(2, "Ben", {"x": 3}, who_id=8)],
        [],
        ["x"],
        offsets={7: offset},
    )
    assert result.cells[("x", 1)].score == 4  # the raw score is never replaced
    assert result.cells[("x", 1)].adjusted == 3.0  # 4 - 1
    assert result.cells[("x", 2)].adjusted is None  # Ben has no known offset


# -- the page, the decision and its history ---------------------------------------------


@pytest.fixture
def debrief_app(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_two_interviewer_loop(app)
    return app, ids


def submit_both(app, ids, ivan=(1, 2), iris=(3, 2), ivan_rec="no", iris_rec="yes"):
    """Ivan (screen) and Iris (API and data design) both score api-design and data-storage."""
    submit_scorecard(
        app,
        ids["ivan_session"],
        "ivan@example.com",
        {"api-design": ivan[0], "data-storage": ivan[1]},
        ivan_rec,
    )
    submit_scorecard(
        app,
        ids["iris_session"],
        "iris@example.com",
        {"api-design": iris[0], "data-storage": iris[1], "security": 3},
        iris_rec,
    )


def test_the_debrief_page_shows_matrix_flags_and_questions_as_asked(debrief_app):
    app, ids = debrief_app
    submit_both(app, ids)
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    page = client.get(f"/candidates/{ids['candidate']}/debrief").get_data(as_text=True)
    assert 'data-kind="disagreement"' in page
    assert "Ivan Interviewer scored 1, Iris Interviewer scored 3 (2 points apart)" in page
    assert 'data-kind="split"' in page
    assert "Evidence on api-design from Iris Interviewer." in page
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.models import LoopQuestion

        lq = db.session.get(LoopQuestion, ids["ivan_q"][0])
        lq.snapshot = {**lq.snapshot, "title": "The title as it was asked"}
        db.session.commit()
    page = client.get(f"/candidates/{ids['candidate']}/debrief").get_data(as_text=True)
    assert "The title as it was asked" in page
    # the sessions nobody ran are listed as not submitted
    assert "no interviewer assigned" in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("ivan@example.com", 403), (None, 302)],
)
def test_only_leads_and_admins_open_the_debrief(debrief_app, who, status):
    app, ids = debrief_app
    submit_both(app, ids)
    client = app.test_client()
    if who:
        AuthActions(client).login(who)
    assert client.get(f"/candidates/{ids['candidate']}/debrief").status_code == status


def decide(client, candidate_id, **form):
    return client.post(f"/candidates/{candidate_id}/decision", data=form)


def test_a_decision_needs_a_rationale(debrief_app):
    app, ids = debrief_app
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    response = decide(client, ids["candidate"], outcome="hire", rationale="")
    assert response.status_code == 422
    assert "Write the rationale" in response.get_data(as_text=True)
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.models import Decision

        assert db.session.scalar(db.select(db.func.count()).select_from(Decision)) == 0


def test_a_decision_changes_only_with_a_reason_and_every_version_is_kept(debrief_app):
    app, ids = debrief_app
    submit_both(app, ids)
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    cid = ids["candidate"]
    first = decide(client, cid, outcome="another_loop", rationale="Split panel on API design.")
    assert first.status_code == 302
    refused = decide(client, cid, outcome="hire", rationale="The follow-up loop was strong.")
    assert refused.status_code == 422
    assert "Say why the decision is changing" in refused.get_data(as_text=True)
    changed = decide(
        client,
        cid,
        outcome="hire",
        rationale="The follow-up loop was strong.",
        change_reason="A second API session settled the split.",
    )
    assert changed.status_code == 302
    page = client.get(f"/candidates/{cid}/debrief").get_data(as_text=True)
    assert "Split panel on API design." in page  # the earlier decision is still shown
    assert "because A second API session settled the split." in page
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.models import AuditEvent, Candidate

        candidate = db.session.get(Candidate, cid)
        assert [d.outcome for d in candidate.decisions] == ["another_loop", "hire"]
        assert candidate.decisions[0].rationale == "Split panel on API design."
        actions = db.session.scalars(
            db.select(AuditEvent.action).where(AuditEvent.target_type == "candidate")
        ).all()
        assert actions.count("decision_recorded") == 1
        assert actions.count("decision_changed") == 1
    listing = client.get("/candidates").get_data(as_text=True)
    assert "Hire" in listing


def test_an_unknown_outcome_is_refused(debrief_app):
    app, ids = debrief_app
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    response = decide(client, ids["candidate"], outcome="maybe", rationale="Not sure at all yet.")
    assert response.status_code == 422


def test_overdue_scorecards_are_flagged_after_the_configured_deadline(
    tmp_path, database_url, real_bank
):
    app = app_with_bank(tmp_path, database_url, real_bank, SCORECARD_DEADLINE_HOURS=2)
    ids = seed_two_interviewer_loop(app)
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.models import LoopSession, utcnow

        db.session.get(LoopSession, ids["ivan_session"]).scheduled_at = utcnow() - timedelta(
            hours=3
        )
        db.session.get(LoopSession, ids["iris_session"]).scheduled_at = utcnow() - timedelta(
            hours=1
        )
        db.session.commit()
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    page = client.get(f"/candidates/{ids['candidate']}/debrief").get_data(as_text=True)
    assert "Ivan Interviewer&#39;s scorecard is overdue" in page
    assert "Iris Interviewer&#39;s scorecard is not submitted yet" in page
    dash = client.get("/dashboard").get_data(as_text=True)
    assert 'class="overdue-person">Ivan Interviewer' in dash
    assert "Iris Interviewer" not in dash.split('id="overdue-h"')[1]


def test_the_dashboard_lists_candidates_awaiting_a_decision(debrief_app):
    app, ids = debrief_app
    submit_both(app, ids)
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    dash = client.get("/dashboard").get_data(as_text=True)
    awaiting = dash.split('id="awaiting-h"')[1].split('id="missing-h"')[0]
    assert "Sam Rivera" in awaiting and "2 of 6" in awaiting
    missing = dash.split('id="missing-h"')[1].split('id="overdue-h"')[0]
    assert "Concurrency and debugging" in missing
    decide(client, ids["candidate"], outcome="no_hire", rationale="Below the bar on data design.")
    dash = client.get("/dashboard").get_data(as_text=True)
    assert "Sam Rivera" not in dash.split('id="awaiting-h"')[1].split('id="missing-h"')[0]


def test_compare_shows_one_row_per_candidate_for_the_role(debrief_app):
    app, ids = debrief_app
    submit_both(app, ids)
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    page = client.get("/compare?role=Back-end+engineer&level=mid").get_data(as_text=True)
    assert page.count('<th scope="row"><a href="/candidates/') == 1
    # api-design (1 + 3) / 2 = 2.00 for Sam
    assert ">2.00<" in page
    assert client.get("/compare?role=x&level=boss").status_code == 400


def test_the_printable_page_has_no_navigation_and_breaks_pages(debrief_app):
    app, ids = debrief_app
    submit_both(app, ids)
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    page = client.get(f"/candidates/{ids['candidate']}/debrief/print").get_data(as_text=True)
    assert "<nav" not in page and "<form" not in page
    assert page.count('class="session debrief-session"') == 2
    assert "<details open>" in page  # the evidence is printed, not folded away
    css = client.get("/static/app.css").get_data(as_text=True)
    assert ".debrief-session { break-before: page" in css


def edit_candidate(client, candidate_id, **fields):
    """Save Sam Rivera's candidate form with some fields changed."""
    data = {
        "name": "Sam Rivera",
        "email": "candidate@example.com",
        "role_title": "Back-end engineer",
        "level": "mid",
        "status": "active",
        **fields,
    }
    return client.post(f"/candidates/{candidate_id}/edit", data=data)


def test_prep_note_and_candidate_links_show_in_every_kit_of_the_loop(debrief_app):
    app, ids = debrief_app
    lead = app.test_client()
    AuthActions(lead).login("lead@example.com")
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.models import LoopSession

        loop_id = db.session.get(LoopSession, ids["ivan_session"]).loop_id
    lead.post(
        f"/loops/{loop_id}/prep-note", data={"prep_note": "Probe caching; round 1 left it open."}
    )
    response = edit_candidate(
        lead,
        ids["candidate"],
        links="https://example.com/cv.pdf\nhttps://github.com/sam",
        language="Go",
    )
    assert response.status_code == 302
    for email, session in (
        ("ivan@example.com", "ivan_session"),
        ("iris@example.com", "iris_session"),
    ):
        client = app.test_client()
        AuthActions(client).login(email)
        page = client.get(f"/kit/{ids[session]}").get_data(as_text=True)
        assert "Probe caching; round 1 left it open." in page
        assert 'href="https://github.com/sam"' in page
        assert "Prefers to code in <strong>Go</strong>" in page


@pytest.mark.parametrize(
    "links",
    [
        "javascript:alert(1)",
        "ftp://example.com/cv",
        "not a link",
        "\n".join(["https://a.example"] * 11),
    ],
)
def test_candidate_links_must_be_web_addresses(debrief_app, links):
    app, ids = debrief_app
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    response = edit_candidate(client, ids["candidate"], links=links)
    assert response.status_code == 200
    assert "links start with https://" in response.get_data(as_text=True) or "at most 10" in (
        response.get_data(as_text=True)
    )

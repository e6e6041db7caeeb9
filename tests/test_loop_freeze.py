"""A session that holds an interviewer's feedback is frozen: no loop edit may touch it.

Regression (issue 8.1): after Ivan submitted session 1, the lead could remove one of its
questions, swap another and reassign the session; Ivan's question scores went from 3 rows
to 1, his notes pointed at questions no longer in the loop, and he got 403 on his own
submitted scorecard.
"""

from __future__ import annotations

import pytest
from test_kit import _score_all, _submit, item, save, signed_in, world  # noqa: F401

from interviewkit.extensions import db
from interviewkit.loops import service
from interviewkit.models import KitScore, KitText, LoopSession, Scorecard, User

EDITS = ["swap", "remove", "add", "move", "assign", "unassign"]


def _loop_id(app, session_id):
    with app.app_context():
        return db.session.get(LoopSession, session_id).loop_id


def _record(app, session_id):
    """Return everything about a session an edit could damage."""
    with app.app_context():
        session = db.session.get(LoopSession, session_id)
        cards = db.session.execute(
            db.select(Scorecard).where(Scorecard.session_id == session_id)
        ).scalars()
        card_ids = [c.id for c in cards]
        return {
            "questions": [(q.id, q.question_id, q.position) for q in session.questions],
            "interviewer": session.interviewer_id,
            "scores": sorted(
                (s.loop_question_id, s.score)
                for s in db.session.execute(
                    db.select(KitScore).where(KitScore.scorecard_id.in_(card_ids))
                ).scalars()
            ),
            "texts": sorted(
                (t.key, t.text)
                for t in db.session.execute(
                    db.select(KitText).where(KitText.scorecard_id.in_(card_ids))
                ).scalars()
            ),
        }


def _edit(app, client, session_id, edit):
    """Make one loop edit on a session through the loop page's forms."""
    loop_id = _loop_id(app, session_id)
    with app.app_context(), app.test_request_context():
        session = db.session.get(LoopSession, session_id)
        first = session.questions[0]
        alternative = service.suggestions(first, limit=1)[0].id
        iris = db.session.execute(db.select(User.id).filter_by(email="iris@example.com")).scalar()
        ivan = db.session.execute(db.select(User.id).filter_by(email="ivan@example.com")).scalar()
        other = iris if session.interviewer_id == ivan else ivan
        first_id, last_id = first.id, session.questions[-1].id
    base = f"/loops/{loop_id}"
    posts = {
        "swap": (f"{base}/questions/{first_id}/swap", {"question_id": alternative}),
        "remove": (f"{base}/questions/{first_id}/remove", {}),
        "add": (f"{base}/sessions/{session_id}/add", {"question_id": alternative}),
        "move": (f"{base}/questions/{last_id}/move", {"direction": "up"}),
        "assign": (f"{base}/sessions/{session_id}/assign", {"interviewer": other}),
        "unassign": (f"{base}/sessions/{session_id}/assign", {"interviewer": 0}),
    }
    url, data = posts[edit]
    return client.post(url, data=data, follow_redirects=True)


@pytest.fixture(params=["submitted", "draft-with-notes"])
def feedback(request, world):  # noqa: F811
    """Ivan's session with a submitted scorecard, or a draft with notes and one score."""
    app, ids = world
    ivan = signed_in(app, "ivan@example.com")
    if request.param == "submitted":
        _score_all(ivan, ids, 3)
        _submit(ivan, ids)
    else:
        q = ids["ivan_q"][0]
        save(
            ivan,
            ids["ivan_session"],
            item("general", "Strong start on the queue design", save_id="frz-general"),
            item(f"notes:{q}", "Mentioned idempotency keys", save_id="frz-notes1"),
            item(f"score:{q}", 3, save_id="frz-score1"),
        )
    return app, ids, ivan


@pytest.mark.parametrize("edit", EDITS)
def test_no_loop_edit_touches_a_session_with_feedback(feedback, edit):
    app, ids, ivan = feedback
    sid = ids["ivan_session"]
    before = _record(app, sid)
    assert before["texts"] or before["scores"]
    lead = signed_in(app, "lead@example.com")
    page = _edit(app, lead, sid, edit).get_data(as_text=True)
    assert "its questions and interviewer are fixed" in page
    assert "Add a new session" in page
    assert _record(app, sid) == before
    # Ivan still has his kit and scorecard; nobody else got one.
    assert ivan.get(f"/kit/{sid}").status_code == 200
    assert ivan.get(f"/kit/{sid}/scorecard").status_code == 200


@pytest.mark.parametrize("edit", EDITS)
def test_a_session_without_feedback_can_still_be_edited(world, edit):  # noqa: F811
    """The freeze is only for feedback: an untouched draft (page opened) does not count."""
    app, ids = world
    iris = signed_in(app, "iris@example.com")
    sid = ids["iris_session"]
    assert iris.get(f"/kit/{sid}/scorecard").status_code == 200  # creates an empty draft
    before = _record(app, sid)
    lead = signed_in(app, "lead@example.com")
    page = _edit(app, lead, sid, edit).get_data(as_text=True)
    assert "are fixed" not in page
    assert _record(app, sid) != before


def test_the_loop_page_says_why_a_session_is_frozen_and_hides_its_edits(feedback):
    app, ids, _ = feedback
    sid = ids["ivan_session"]
    lead = signed_in(app, "lead@example.com")
    page = lead.get(f"/loops/{_loop_id(app, sid)}").get_data(as_text=True)
    section = page.split(f'id="session-{sid}"', 1)[1].split('<section class="session"', 1)[0]
    assert "Ivan Interviewer has" in section and "are fixed" in section
    assert "/remove" not in section and "/swap" not in section and "/assign" not in section
    other = page.split(f'id="session-{ids["iris_session"]}"', 1)[1]
    assert "/remove" in other.split('<section class="session"', 1)[0]


def test_a_new_session_can_be_added_to_a_loop_with_feedback(feedback):
    app, ids, _ = feedback
    loop_id = _loop_id(app, ids["ivan_session"])
    lead = signed_in(app, "lead@example.com")
    r = lead.post(
        f"/loops/{loop_id}/sessions",
        data={"name": "Follow-up", "minutes": 30, "competencies": ["api-design"]},
        follow_redirects=True,
    )
    assert "Added Follow-up" in r.get_data(as_text=True)
    with app.app_context():
        sessions = db.session.execute(
            db.select(LoopSession).filter_by(loop_id=loop_id).order_by(LoopSession.position)
        ).scalars()
        last = list(sessions)[-1]
        assert (last.name, last.minutes, last.competencies) == ("Follow-up", 30, ["api-design"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "X", "minutes": 30}, "Choose at least one competency"),
        ({"name": "", "minutes": 30, "competencies": ["api-design"]}, "This field is required"),
        ({"name": "X", "minutes": 999, "competencies": ["api-design"]}, "5 to 240 minutes"),
        ({"name": "X\x00", "minutes": 30, "competencies": ["api-design"]}, "control character"),
        ({"name": "X", "minutes": 30, "competencies": ["no-such"]}, "not a valid choice"),
    ],
)
def test_a_new_session_is_checked(world, data, message):  # noqa: F811
    app, ids = world
    loop_id = _loop_id(app, ids["ivan_session"])
    before = _session_count(app, loop_id)
    lead = signed_in(app, "lead@example.com")
    r = lead.post(f"/loops/{loop_id}/sessions", data=data, follow_redirects=True)
    assert message in r.get_data(as_text=True)
    assert _session_count(app, loop_id) == before


def _session_count(app, loop_id):
    with app.app_context():
        query = db.select(db.func.count()).where(LoopSession.loop_id == loop_id)
        return db.session.execute(query).scalar()


def test_a_disabled_interviewer_is_shown_and_can_be_replaced(world):  # noqa: F811
    """Regression (issue 8.13): a disabled assignee showed as "nobody" on the loop page."""
    app, ids = world
    with app.app_context():
        iris = db.session.execute(db.select(User).filter_by(email="iris@example.com")).scalar()
        iris.active = False
        db.session.commit()
    lead = signed_in(app, "lead@example.com")
    sid = ids["iris_session"]
    page = lead.get(f"/loops/{_loop_id(app, sid)}").get_data(as_text=True)
    section = page.split(f'id="session-{sid}"', 1)[1].split('<section class="session"', 1)[0]
    assert "Iris Interviewer (disabled)" in section
    assert "is disabled and cannot sign in: assign someone else" in section
    assert '<option value="0">nobody</option>' in section  # not shown as selected
    assert "selected disabled>Iris" in section
    r = _edit(app, lead, sid, "assign")
    assert r.status_code == 200
    with app.app_context():
        ivan = db.session.execute(db.select(User.id).filter_by(email="ivan@example.com")).scalar()
        assert db.session.get(LoopSession, sid).interviewer_id == ivan

"""The pages people keep open run a fixed number of queries, whatever the loop's size.

A page that issues one query per question or per scorecard (an N+1) is fast on a test
loop and slow on a real one; these tests grow a loop and count the SQL statements.
"""

from __future__ import annotations

from conftest import AuthActions, app_with_bank, seed_two_interviewer_loop, submit_scorecard
from sqlalchemy import event


def statements(app, client, url: str) -> int:
    """Return how many SQL statements one GET of `url` runs (it must answer 200)."""
    from interviewkit.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    record = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (url, response.status_code)
    return len(seen)


def competencies(app, session_id: int) -> list[str]:
    from interviewkit.extensions import db
    from interviewkit.models import LoopSession

    with app.app_context():
        return list(db.session.get(LoopSession, session_id).competencies)


def test_loop_kit_queue_and_debrief_do_not_grow_with_the_loop(tmp_path, database_url, real_bank):
    from interviewkit.extensions import bank, db
    from interviewkit.loops import service
    from interviewkit.models import LoopSession, User

    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_two_interviewer_loop(app)
    lead = app.test_client()
    AuthActions(lead).login("lead@example.com")
    ivan = app.test_client()
    AuthActions(ivan).login("ivan@example.com")
    with app.app_context():
        loop_id = db.session.get(LoopSession, ids["ivan_session"]).loop_id
    pages = {
        "loop": (lead, f"/loops/{loop_id}"),
        "candidate": (lead, f"/candidates/{ids['candidate']}"),
        "kit": (ivan, f"/kit/{ids['ivan_session']}"),
        "queue": (ivan, "/queue"),
    }

    def count_all() -> dict[str, int]:
        return {name: statements(app, client, url) for name, (client, url) in pages.items()}

    before = count_all()
    # three more questions in Ivan's session
    with app.app_context(), app.test_request_context():
        session = db.session.get(LoopSession, ids["ivan_session"])
        actor = db.session.scalar(db.select(User).filter_by(email="lead@example.com"))
        placed = {q.question_id for s in session.loop.sessions for q in s.questions}
        extra = [q.id for q in bank.bank_questions() if q.id not in placed][:3]
        for qid in extra:
            service.add(session, qid, actor)
        db.session.commit()
        assert len(session.questions) == len(ids["ivan_q"]) + 3
    assert count_all() == before

    # the debrief: one submitted scorecard, then two
    debrief = f"/candidates/{ids['candidate']}/debrief"
    submit_scorecard(
        app,
        ids["iris_session"],
        "iris@example.com",
        dict.fromkeys(competencies(app, ids["iris_session"]), 3),
    )
    one = statements(app, lead, debrief)
    submit_scorecard(
        app,
        ids["ivan_session"],
        "ivan@example.com",
        dict.fromkeys(competencies(app, ids["ivan_session"]), 2),
        question_score=3,
    )
    assert statements(app, lead, debrief) == one

"""The pages people keep open run a fixed number of queries, whatever the loop's size.

A page that issues one query per question or per scorecard (an N+1) is fast on a test
loop and slow on a real one; these tests grow a loop and count the SQL statements.
"""

from __future__ import annotations

from conftest import (
    PASSWORD,
    AuthActions,
    app_with_bank,
    seed_two_interviewer_loop,
    submit_scorecard,
)
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
    from interviewkit.users import create_user

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

    # two more sessions, each with a question (issue 11: the loop page read each session's
    # questions, and the candidate's other loops, once per session)
    with app.app_context(), app.test_request_context():
        loop = db.session.get(LoopSession, ids["ivan_session"]).loop
        actor = db.session.scalar(db.select(User).filter_by(email="lead@example.com"))
        comps = list(loop.sessions[0].competencies)
        placed = {q.question_id for s in loop.sessions for q in s.questions}
        spare = [q.id for q in bank.bank_questions() if q.id not in placed]
        for n in range(2):
            added = service.add_session(loop, f"Extra {n}", 45, comps, actor)
            service.add(added, spare[n], actor)
            # someone new runs it: the candidate page names each session's interviewer
            other = create_user(f"extra{n}@example.com", f"Extra {n}", "interviewer", PASSWORD)
            service.assign(added, other, actor)
        db.session.commit()
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


def test_the_queue_and_home_do_not_grow_with_the_interviewers_loops(
    tmp_path, database_url, real_bank
):
    """Regression (issue 11): the queue loaded each session's loop and candidate one by one."""
    from interviewkit.extensions import bank, db
    from interviewkit.loops.service import create_loop
    from interviewkit.models import Candidate, User

    app = app_with_bank(tmp_path, database_url, real_bank)
    seed_two_interviewer_loop(app)
    ivan = app.test_client()
    AuthActions(ivan).login("ivan@example.com")
    before = {url: statements(app, ivan, url) for url in ("/queue", "/")}
    with app.app_context(), app.test_request_context():
        lead = db.session.scalar(db.select(User).filter_by(email="lead@example.com"))
        ivan_id = db.session.scalar(db.select(User.id).filter_by(email="ivan@example.com"))
        for i in range(3):
            candidate = Candidate(
                name=f"Candidate {i}",
                email=f"c{i}@example.com",
                role_title="Back-end engineer",
                level="mid",
            )
            db.session.add(candidate)
            db.session.flush()
            loop = create_loop(candidate, bank.loop_template("backend-mid"), lead, f"q{i}")
            for session in loop.sessions:
                session.interviewer_id = ivan_id
        db.session.commit()
        sessions = len(bank.loop_template("backend-mid")["sessions"])
    page = ivan.get("/queue").get_data(as_text=True)
    assert page.count("Candidate 2") == sessions
    assert {url: statements(app, ivan, url) for url in ("/queue", "/")} == before


def test_the_queue_lists_the_newest_submitted_and_links_to_the_rest(
    tmp_path, database_url, real_bank
):
    """Issue 11: an interviewer's history grows by hundreds a year; the queue rendered all
    of it on every view. It shows the newest DONE_SHOWN, the total, and a link to all."""
    import re

    from interviewkit.extensions import bank, db
    from interviewkit.kit.routes import DONE_SHOWN
    from interviewkit.loops.service import create_loop
    from interviewkit.models import Candidate, Scorecard, User
    from interviewkit.vocabulary import CardStatus

    app = app_with_bank(tmp_path, database_url, real_bank)
    seed_two_interviewer_loop(app)
    ivan = app.test_client()
    AuthActions(ivan).login("ivan@example.com")

    def add_submitted(count: int, start: int) -> None:
        with app.app_context(), app.test_request_context():
            lead = db.session.scalar(db.select(User).filter_by(email="lead@example.com"))
            ivan_id = db.session.scalar(db.select(User.id).filter_by(email="ivan@example.com"))
            template = bank.loop_template("backend-mid")
            made = 0
            for i in range(start, start + count):
                candidate = Candidate(
                    name=f"Done {i:02d}", email=f"d{i}@example.com", role_title="SRE", level="mid"
                )
                db.session.add(candidate)
                db.session.flush()
                loop = create_loop(candidate, template, lead, f"d{i}")
                session = loop.sessions[0]
                session.interviewer_id = ivan_id
                db.session.flush()
                db.session.add(
                    Scorecard(
                        session_id=session.id,
                        interviewer_id=ivan_id,
                        status=CardStatus.SUBMITTED.value,
                    )
                )
                made += 1
            db.session.commit()
            assert made == count

    def done_section(url: str) -> str:
        page = ivan.get(url).get_data(as_text=True)
        return dict(re.findall(r'<section class="queue-(\w+)">(.*?)</section>', page, re.S))["done"]

    add_submitted(DONE_SHOWN + 1, 0)
    at_limit = statements(app, ivan, "/queue")
    add_submitted(4, DONE_SHOWN + 1)
    total = DONE_SHOWN + 5
    done = done_section("/queue")
    assert done.count("<li>") == DONE_SHOWN
    assert f'<span class="meta">{total}</span>' in done
    assert f"Show all {total} submitted" in done and "/queue?done=all" in done
    assert f"Done {total - 1:02d}" in done and "Done 00" not in done  # the newest first
    everything = done_section("/queue?done=all")
    assert everything.count("<li>") == total and "Show all" not in everything
    assert "Done 00" in everything
    assert statements(app, ivan, "/queue") == at_limit  # more history, no more queries


def test_what_every_page_reads_whole_from_the_bank_is_read_once_per_bank_build(
    tmp_path, content_root
):
    """Regression (issue 11): coverage, search filters and loop pages re-read the whole bank
    (10,000 questions, 20,000 JSON decodes) on every view; a new build is seen at once."""
    from conftest import write_question

    from interviewkit.bank.reader import BankReader
    from interviewkit.bank.writer import load

    path = tmp_path / "bank.db"
    load([content_root], path)
    reader = BankReader(path)
    seen: list[str] = []
    event.listen(reader.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    first = reader.bank_questions(), reader.loop_templates(), reader.facets()
    reads = len(seen)
    assert reads >= 3
    again = reader.bank_questions(), reader.loop_templates(), reader.facets()
    assert len(seen) == reads and again == first
    # callers get their own copies: changing one does not change what the next one reads
    again[1][0]["sessions"].clear()
    assert reader.loop_templates() == first[1]
    counted = []
    assert reader.remember("x", lambda: counted.append(1) or 7) == 7
    assert reader.remember("x", lambda: counted.append(1) or 8) == 7 and counted == [1]
    # a new build (load writes a new file over the old one) is read afresh
    write_question(content_root, "brand-new", prompt="Explain what a connection pool bounds.")
    load([content_root], path)
    assert "brand-new" in {q.id for q in reader.bank_questions()}
    assert reader.remember("x", lambda: 9) == 9


def test_a_leads_home_lists_the_newest_active_candidates_and_links_to_all(app, client, users, auth):
    """Regression (issue 11): the home page listed every active candidate (650 at scale)."""
    from interviewkit.extensions import db
    from interviewkit.main.routes import HOME_CANDIDATES
    from interviewkit.models import Candidate

    with app.app_context():
        for i in range(HOME_CANDIDATES + 5):
            db.session.add(
                Candidate(
                    name=f"Person {i:02d}",
                    email=f"p{i}@example.com",
                    role_title="Back-end engineer",
                    level="mid",
                    status="active" if i != 0 else "withdrawn",
                )
            )
            db.session.flush()  # created_at in order
        db.session.commit()
    auth.login(users["hiring_lead"])
    page = client.get("/").get_data(as_text=True)
    listed = [f"Person {i:02d}" for i in range(HOME_CANDIDATES + 5) if f"Person {i:02d}<" in page]
    assert len(listed) == HOME_CANDIDATES
    assert "Person 29<" in page and "Person 04<" not in page
    assert f"All {HOME_CANDIDATES + 4} active candidates" in page


def test_an_interviewers_home_reads_only_open_sessions_and_the_queue_keeps_the_rest(
    tmp_path, database_url, real_bank
):
    """Issue 11: home read every session the interviewer ever ran to show the open ones."""
    from interviewkit.extensions import db
    from interviewkit.kit.service import queue
    from interviewkit.models import LoopSession, User

    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_two_interviewer_loop(app)
    with app.app_context():
        session = db.session.get(LoopSession, ids["ivan_session"])
        comps = {c: 3 for c in session.competencies}
    submit_scorecard(app, ids["ivan_session"], "ivan@example.com", comps)
    with app.app_context(), app.test_request_context():
        ivan = db.session.scalar(db.select(User).filter_by(email="ivan@example.com"))
        everything = queue(ivan)
        still_open = queue(ivan, open_only=True)
    assert [s.id for s, _ in everything["done"]] == [ids["ivan_session"]]
    assert all(not rows for rows in still_open.values())
    client = app.test_client()
    AuthActions(client).login("ivan@example.com")
    home = client.get("/").get_data(as_text=True)
    assert f"/kit/{ids['ivan_session']}" not in home
    assert f"/kit/{ids['ivan_session']}" in client.get("/queue").get_data(as_text=True)


def test_a_search_is_answered_from_memory_until_the_bank_is_rebuilt(tmp_path, content_root):
    """Issue 11: ranking a common word's thousands of matches ran on every search."""
    from conftest import write_question

    from interviewkit.bank.reader import BankReader
    from interviewkit.bank.writer import load

    path = tmp_path / "bank.db"
    load([content_root], path)
    reader = BankReader(path)
    seen: list[str] = []
    event.listen(reader.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    first = reader.search("pool")
    reads = len(seen)
    assert reads >= 1
    again = reader.search("pool")
    assert len(seen) == reads and again == first
    again.clear()  # callers get their own list
    assert reader.search("pool") == first
    reader.search("pool", level="senior")  # other filters are another search
    assert len(seen) == reads + 1
    write_question(content_root, "pool-bounds", prompt="Explain what a connection pool bounds.")
    load([content_root], path)
    assert "pool-bounds" in [h.id for h in reader.search("pool")]


def test_the_tag_filter_keeps_the_chosen_tag_and_escapes_every_option():
    from interviewkit.browse.routes import mark_selected, option_list

    options = option_list(["a<b", "caching", "pool"])
    assert str(mark_selected(options, "caching")) == (
        "<option>a&lt;b</option><option selected>caching</option><option>pool</option>"
    )
    assert str(mark_selected(options, "a<b")).startswith("<option selected>a&lt;b</option>")
    assert "selected" not in str(mark_selected(options, "cach"))
    assert mark_selected(options, "") == options


def test_a_signed_in_request_finds_its_login_and_user_in_one_statement(app, client, users, auth):
    """Issue 11: every signed-in request read the login session, then its user."""
    from interviewkit.extensions import db

    auth.login(users["interviewer"])
    with app.app_context():
        begin = 1 if db.engine.dialect.name == "sqlite" else 0  # SQLite: BEGIN is a statement
    assert statements(app, client, "/kit/token") == 1 + begin

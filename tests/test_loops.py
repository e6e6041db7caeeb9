"""Candidates and loops: create, assemble from a template, edit by hand, snapshot as asked."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import PASSWORD, PROJECT, app_with_bank

from interviewkit.bank.writer import load
from interviewkit.extensions import db
from interviewkit.models import Candidate, Loop, LoopQuestion, LoopSession
from interviewkit.users import create_user


@pytest.fixture
def lead_app(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank)
    with app.app_context():
        create_user("lead@example.com", "Lee Lead", "hiring_lead", PASSWORD)
        create_user("ivan@example.com", "Ivan Interviewer", "interviewer", PASSWORD)
    return app


@pytest.fixture
def lead(lead_app):
    client = lead_app.test_client()
    assert (
        client.post("/login", data={"email": "lead@example.com", "password": PASSWORD}).status_code
        == 302
    )
    return client


CANDIDATE = {
    "name": "Casey Candidate",
    "email": "casey@example.com",
    "role_title": "Back-end engineer",
    "level": "senior",
    "status": "active",
}


def new_candidate(lead, **fields):
    response = lead.post("/candidates/new", data={**CANDIDATE, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def new_loop(lead, candidate_id, template="backend-senior", seed="s1"):
    response = lead.post(
        f"/candidates/{candidate_id}/loops/new", data={"template": template, "seed": seed}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def loop_questions(app, loop_id):
    with app.app_context():
        loop = db.session.get(Loop, loop_id)
        return [[q.question_id for q in s.questions] for s in loop.sessions]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("email", "not-an-email", "Invalid email address."),
        ("level", "principal", "Not a valid choice."),
        ("name", "x" * 121, "Field cannot be longer than 120 characters."),
    ],
)
def test_candidate_form_validation(lead, lead_app, field, value, message):
    response = lead.post("/candidates/new", data={**CANDIDATE, field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with lead_app.app_context():
        assert db.session.execute(db.select(Candidate)).first() is None  # nothing half-written


def test_assembled_loop_follows_the_template(lead, lead_app):
    loop_id = new_loop(lead, new_candidate(lead))
    with lead_app.app_context():
        loop = db.session.get(Loop, loop_id)
        assert [s.name for s in loop.sessions] == [
            "Technical screen",
            "System design",
            "Coding exercise",
            "Deep dive",
            "Production engineering",
            "Leadership and collaboration",
        ]
        seen = []
        for session in loop.sessions:
            assert session.questions, session.name
            assert session.minutes_used <= session.minutes
            covered = {c for q in session.questions for c in q.covers}
            assert covered == set(session.competencies) or session.notes
            for q in session.questions:
                assert "senior" in q.snapshot["levels"] or session.notes
                # the coding session gets exercises, and only it does
                assert (q.snapshot["kind"] == "hands-on") == (session.kinds == ["hands-on"])
                assert q.reason
            seen += [q.question_id for q in session.questions]
        assert len(seen) == len(set(seen))  # no repeats within the loop
    page = lead.get(f"/loops/{loop_id}").get_data(as_text=True)
    assert "least used" in page


def test_same_seed_same_loop(lead, lead_app):
    candidate = new_candidate(lead)
    first = loop_questions(lead_app, new_loop(lead, candidate, seed="abc"))
    with lead_app.app_context():  # start again from the same state
        db.session.delete(db.session.execute(db.select(Loop)).scalar_one())
        db.session.commit()
    assert loop_questions(lead_app, new_loop(lead, candidate, seed="abc")) == first


def test_a_candidate_is_never_asked_the_same_question_twice(lead, lead_app):
    candidate = new_candidate(lead)
    first = {q for s in loop_questions(lead_app, new_loop(lead, candidate)) for q in s}
    second = {q for s in loop_questions(lead_app, new_loop(lead, candidate)) for q in s}
    assert first and second
    assert not first & second


def test_snapshot_keeps_the_question_as_asked(lead, lead_app, tmp_path):
    loop_id = new_loop(lead, new_candidate(lead))
    with lead_app.app_context():
        lq = db.session.execute(db.select(LoopQuestion).limit(1)).scalar_one()
        qid, before_hash, before = lq.question_id, lq.content_hash, json.dumps(lq.snapshot)
    # edit that question's file and rebuild the bank the app reads
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "questions", content / "questions")
    shutil.copytree(PROJECT / "rubrics", content / "rubrics")
    path = next(p for p in (content / "questions").rglob(f"{qid}.md"))
    path.write_text(path.read_text().replace("## Prompt\n", "## Prompt\n\nEDITED LATER.\n", 1))
    load([content], lead_app.config["BANK_PATH"])
    with lead_app.app_context():
        lq = db.session.execute(db.select(LoopQuestion).filter_by(question_id=qid)).scalar_one()
        assert lq.content_hash == before_hash
        assert json.dumps(lq.snapshot) == before
        assert "EDITED LATER" not in json.dumps(lq.snapshot)
    assert "EDITED LATER" in lead.get(f"/bank/questions/{qid}").get_data(as_text=True)
    assert "EDITED LATER" not in lead.get(f"/loops/{loop_id}").get_data(as_text=True)


def _first(app, loop_id):
    with app.app_context():
        session = db.session.get(Loop, loop_id).sessions[0]
        return session.id, [(q.id, q.question_id) for q in session.questions]


def test_swap_for_a_suggested_alternative(lead, lead_app):
    loop_id = new_loop(lead, new_candidate(lead))
    _, questions = _first(lead_app, loop_id)
    lq_id, old = questions[0]
    page = lead.get(f"/loops/{loop_id}?swap={lq_id}").get_data(as_text=True)
    assert "Suggested replacements" in page
    start = page.index("Suggested replacements")
    alternative = page[start:].split('name="question_id" value="', 1)[1].split('"', 1)[0]
    response = lead.post(
        f"/loops/{loop_id}/questions/{lq_id}/swap", data={"question_id": alternative}
    )
    assert response.status_code == 302
    ids = loop_questions(lead_app, loop_id)[0]
    assert ids[0] == alternative and old not in ids


def test_swap_to_a_question_already_in_the_loop_is_refused(lead, lead_app):
    loop_id = new_loop(lead, new_candidate(lead))
    before = loop_questions(lead_app, loop_id)
    _, questions = _first(lead_app, loop_id)
    lq_id = questions[0][0]
    taken = before[1][0]  # a question of the second session
    response = lead.post(
        f"/loops/{loop_id}/questions/{lq_id}/swap",
        data={"question_id": taken},
        follow_redirects=True,
    )
    assert "is repeated: it is already used in another session" in response.get_data(as_text=True)
    assert loop_questions(lead_app, loop_id) == before


def test_add_by_search_remove_and_reorder(lead, lead_app):
    loop_id = new_loop(lead, new_candidate(lead))
    session_id, questions = _first(lead_app, loop_id)
    page = lead.get(f"/loops/{loop_id}?session={session_id}&q=webhook").get_data(as_text=True)
    found = page.split(f'/loops/{loop_id}/sessions/{session_id}/add"', 1)[1]
    new_id = found.split('name="question_id" value="', 1)[1].split('"', 1)[0]
    lead.post(f"/loops/{loop_id}/sessions/{session_id}/add", data={"question_id": new_id})
    ids = loop_questions(lead_app, loop_id)[0]
    assert ids[-1] == new_id
    last_lq = _first(lead_app, loop_id)[1][-1][0]
    lead.post(f"/loops/{loop_id}/questions/{last_lq}/move", data={"direction": "up"})
    assert loop_questions(lead_app, loop_id)[0][-2] == new_id
    lead.post(f"/loops/{loop_id}/questions/{last_lq}/remove", data={})
    assert new_id not in loop_questions(lead_app, loop_id)[0]


def test_assign_an_interviewer(lead, lead_app):
    loop_id = new_loop(lead, new_candidate(lead))
    session_id, _ = _first(lead_app, loop_id)
    with lead_app.app_context():
        ivan = db.session.execute(
            db.text("SELECT id FROM users WHERE email = 'ivan@example.com'")
        ).scalar()
    lead.post(f"/loops/{loop_id}/sessions/{session_id}/assign", data={"interviewer": ivan})
    with lead_app.app_context():
        assert db.session.get(LoopSession, session_id).interviewer_id == ivan
    ivan_client = lead_app.test_client()
    ivan_client.post("/login", data={"email": "ivan@example.com", "password": PASSWORD})
    assert "Technical screen" in ivan_client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    ["/candidates/999", "/candidates/999/edit", "/loops/999", "/candidates/999/loops/new"],
)
def test_unknown_ids_are_404_pages(lead, url):
    response = lead.get(url)
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_question_from_another_loop_is_404(lead, lead_app):
    first = new_loop(lead, new_candidate(lead))
    second = new_loop(lead, new_candidate(lead, email="b@example.com"))
    lq_id = _first(lead_app, first)[1][0][0]
    response = lead.post(f"/loops/{second}/questions/{lq_id}/remove", data={})
    assert response.status_code == 404


def test_a_failure_while_assembling_writes_nothing(lead, lead_app, monkeypatch):
    from interviewkit.bank.reader import BankReader

    candidate_id = new_candidate(lead)
    calls = {"n": 0}
    real = BankReader.snapshot

    def flaky(self, question_id, *args):
        calls["n"] += 1
        if calls["n"] == 5:  # fail part-way through placing the questions
            raise RuntimeError("disk went away")
        return real(self, question_id, *args)

    monkeypatch.setattr(BankReader, "snapshot", flaky)
    with pytest.raises(RuntimeError):
        lead.post(f"/candidates/{candidate_id}/loops/new", data={"template": "backend-senior"})
    with lead_app.app_context():
        db.session.remove()
        assert db.session.execute(db.select(Loop)).first() is None
        assert db.session.execute(db.select(LoopQuestion)).first() is None
        assert db.session.execute(db.select(LoopSession)).first() is None


# -- duplicate candidates (issue 8, item 17) ----------------------------------------------


def _candidates(app):
    with app.app_context():
        return db.session.execute(db.select(Candidate).order_by(Candidate.id)).scalars().all()


def _audit_details(app, action):
    from interviewkit.models import AuditEvent

    with app.app_context():
        return [
            e.detail
            for e in db.session.execute(
                db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).scalars()
        ]


@pytest.mark.parametrize("typed", ["ADA@EXAMPLE.ORG", "  Ada@Example.org ", "ada@example.org"])
def test_a_candidate_with_the_same_email_warns_and_creates_nothing(lead, lead_app, typed):
    """Regression (issue 8.17): ada@example.org and ADA@EXAMPLE.ORG made separate records."""
    first = new_candidate(lead, name="Ada Lovelace", email="ada@example.org", status="on_hold")
    r = lead.post("/candidates/new", data={**CANDIDATE, "name": "Ada L.", "email": typed})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "already exists" in page
    assert f'href="/candidates/{first}"' in page and "Ada Lovelace" in page
    assert "on hold" in page
    assert "Create a new record anyway (this person is re-applying)" in page
    assert [c.id for c in _candidates(lead_app)] == [first]


def test_the_warning_names_every_existing_record(lead, lead_app):
    with lead_app.app_context():  # an older record stored before emails were lower-cased
        db.session.add(
            Candidate(name="Old Ada", email=" Ada@Example.org", role_title="BE", level="mid")
        )
        db.session.commit()
    first = _candidates(lead_app)[0].id
    second = new_candidate(lead, email="ada@example.org", allow_duplicate="y")
    page = lead.post("/candidates/new", data={**CANDIDATE, "email": "ada@example.org"}).get_data(
        as_text=True
    )
    assert "2 candidates" in page
    assert f'href="/candidates/{first}"' in page and f'href="/candidates/{second}"' in page
    assert len(_candidates(lead_app)) == 2


def test_ticking_the_box_creates_the_duplicate_and_audits_it(lead, lead_app):
    first = new_candidate(lead, email="ada@example.org")
    second = new_candidate(lead, email="ADA@example.org", allow_duplicate="y")
    assert [c.id for c in _candidates(lead_app)] == [first, second]
    assert _audit_details(lead_app, "candidate_created") == [{}, {"duplicate_of": [first]}]


def test_a_different_email_needs_no_box(lead, lead_app):
    new_candidate(lead, email="ada@example.org")
    new_candidate(lead, email="grace@example.org")
    assert _audit_details(lead_app, "candidate_created") == [{}, {}]


def test_editing_to_another_candidates_email_warns(lead, lead_app):
    ada = new_candidate(lead, name="Ada", email="ada@example.org")
    grace = new_candidate(lead, name="Grace", email="grace@example.org")
    edit = {**CANDIDATE, "name": "Grace", "email": "ADA@example.org"}
    r = lead.post(f"/candidates/{grace}/edit", data=edit)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "already exists" in page and f'href="/candidates/{ada}"' in page
    assert f'href="/candidates/{grace}"' not in page.split("already exists", 1)[1]
    assert {c.id: c.email for c in _candidates(lead_app)}[grace] == "grace@example.org"
    r = lead.post(f"/candidates/{grace}/edit", data={**edit, "allow_duplicate": "y"})
    assert r.status_code == 302
    assert {c.id: c.email for c in _candidates(lead_app)}[grace] == "ada@example.org"
    assert _audit_details(lead_app, "candidate_updated") == [{"duplicate_of": [ada]}]


def test_editing_a_candidate_who_shares_an_email_does_not_warn_again(lead, lead_app):
    new_candidate(lead, email="ada@example.org")
    second = new_candidate(lead, email="ada@example.org", allow_duplicate="y")
    r = lead.post(
        f"/candidates/{second}/edit",
        data={**CANDIDATE, "email": "ada@example.org", "name": "Ada, re-applying"},
    )
    assert r.status_code == 302

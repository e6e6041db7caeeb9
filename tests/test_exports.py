"""Exports obey the pages' visibility rules, are audited, and never carry a live formula."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import (
    PASSWORD,
    AuthActions,
    app_with_bank,
    seed_two_interviewer_loop,
    submit_scorecard,
)

from interviewkit.review.service import neutralise


@pytest.fixture
def exports_app(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_two_interviewer_loop(app)
    with app.app_context():
        from interviewkit.users import create_user

        create_user("lead2@example.com", "Second Lead", "hiring_lead", PASSWORD)
        create_user("outsider@example.com", "Otto Outsider", "interviewer", PASSWORD)
    submit_scorecard(
        app, ids["ivan_session"], "ivan@example.com", {"api-design": 2, "data-storage": 3}, "no"
    )
    return app, ids


def client_for(app, email=None):
    client = app.test_client()
    if email:
        AuthActions(client).login(email)
    return client


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def record_decision(app, ids):
    client = client_for(app, "lead@example.com")
    response = client.post(
        f"/candidates/{ids['candidate']}/decision",
        data={"outcome": "no_hire", "rationale": "Data design fell short of the bar."},
    )
    assert response.status_code == 302


def exported(app) -> list[tuple]:
    from interviewkit.extensions import db
    from interviewkit.models import AuditEvent

    with app.app_context():
        return [
            (e.actor_id, e.target_type, e.target_id, e.detail.get("format"))
            for e in db.session.scalars(
                db.select(AuditEvent).where(AuditEvent.action == "exported").order_by(AuditEvent.id)
            )
        ]


def question_titles(app, session_id) -> list[str]:
    from interviewkit.extensions import db
    from interviewkit.models import LoopSession

    with app.app_context():
        return [q.title for q in db.session.get(LoopSession, session_id).questions]


def user_id(app, email) -> int:
    from interviewkit.extensions import db
    from interviewkit.models import User

    with app.app_context():
        return db.session.scalar(db.select(User.id).filter_by(email=email))


@pytest.mark.parametrize("lead", ["lead@example.com", "lead2@example.com"])
def test_a_lead_exports_scorecards_and_decision_and_it_is_audited(exports_app, lead):
    app, ids = exports_app
    record_decision(app, ids)
    response = client_for(app, lead).get(f"/candidates/{ids['candidate']}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    got = rows(response)
    assert {(r["interviewer"], r["competency"], r["score"]) for r in got} == {
        ("Ivan Interviewer", "api-design", "2"),
        ("Ivan Interviewer", "data-storage", "3"),
    }
    assert {r["decision"] for r in got} == {"no_hire"}
    assert {r["decision_rationale"] for r in got} == {"Data design fell short of the bar."}
    assert exported(app) == [(user_id(app, lead), "candidate", str(ids["candidate"]), "csv")]


def test_an_interviewer_exports_nothing_before_their_own_scorecard(exports_app):
    app, ids = exports_app
    record_decision(app, ids)
    iris = client_for(app, "iris@example.com")
    for fmt in ("csv", "json"):
        assert iris.get(f"/candidates/{ids['candidate']}/export.{fmt}").status_code == 403
    assert exported(app) == []


def test_an_interviewer_exports_what_their_feedback_page_shows_and_no_decision(exports_app):
    app, ids = exports_app
    record_decision(app, ids)
    submit_scorecard(
        app,
        ids["iris_session"],
        "iris@example.com",
        {"api-design": 3, "data-storage": 3, "security": 2},
        "yes",
    )
    iris = client_for(app, "iris@example.com")
    got = rows(iris.get(f"/candidates/{ids['candidate']}/export.csv"))
    # exactly one row per rating, in session order (a cartesian join once doubled them)
    assert [(r["interviewer"], r["competency"], r["score"]) for r in got] == [
        ("Ivan Interviewer", "api-design", "2"),
        ("Ivan Interviewer", "data-storage", "3"),
        ("Iris Interviewer", "api-design", "3"),
        ("Iris Interviewer", "data-storage", "3"),
        ("Iris Interviewer", "security", "2"),
    ]
    assert {r["decision"] for r in got} == {""}
    assert {r["decision_rationale"] for r in got} == {""}
    data = json.loads(iris.get(f"/candidates/{ids['candidate']}/export.json").data)
    assert "decisions" not in data[0]
    assert [len(card["ratings"]) for card in data[0]["scorecards"]] == [2, 3]
    assert [q["title"] for q in data[0]["scorecards"][0]["questions"]] == question_titles(
        app, ids["ivan_session"]
    )
    assert exported(app) == [
        (user_id(app, "iris@example.com"), "candidate", str(ids["candidate"]), "csv"),
        (user_id(app, "iris@example.com"), "candidate", str(ids["candidate"]), "json"),
    ]


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("outsider@example.com", "/candidates/{cid}/export.csv", 404),
        ("outsider@example.com", "/candidates/{cid}/export.json", 404),
        ("ivan@example.com", "/roles/export.csv?role=Back-end+engineer", 403),
        ("ivan@example.com", "/roles/export.json?role=Back-end+engineer", 403),
        (None, "/candidates/{cid}/export.csv", 302),
        (None, "/roles/export.csv?role=Back-end+engineer", 302),
        ("lead@example.com", "/candidates/99999999/export.csv", 404),
        ("lead@example.com", "/candidates/{cid}/export.xlsx", 404),
        ("lead@example.com", "/roles/export.csv", 400),
        ("lead@example.com", "/roles/export.csv?role=x&level=boss", 400),
    ],
)
def test_exports_refuse_who_cannot_see(exports_app, who, path, status):
    app, ids = exports_app
    response = client_for(app, who).get(path.format(cid=ids["candidate"]))
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]
    assert exported(app) == []


def test_a_role_export_lists_every_candidate_for_the_role(exports_app):
    app, ids = exports_app
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.models import Candidate

        db.session.add(
            Candidate(
                name="No Loop Yet",
                email="n@example.com",
                role_title="Back-end engineer",
                level="mid",
            )
        )
        db.session.add(
            Candidate(name="Other Role", email="o@example.com", role_title="Designer", level="mid")
        )
        db.session.commit()
    client = client_for(app, "lead@example.com")
    got = rows(client.get("/roles/export.csv?role=back-end+engineer&level=mid"))
    assert {r["candidate"] for r in got} == {"Sam Rivera", "No Loop Yet"}
    assert [r["interviewer"] for r in got if r["candidate"] == "Sam Rivera"] == [
        "Ivan Interviewer",
        "Ivan Interviewer",
    ]
    data = json.loads(client.get("/roles/export.json?role=Back-end+engineer").data)
    assert [c["name"] for c in data] == ["Sam Rivera", "No Loop Yet"]
    assert [len(c["scorecards"]) for c in data] == [1, 0]
    assert data[0]["scorecards"][0]["questions"]  # questions as asked reach a role export
    other = json.loads(client.get("/roles/export.json?role=Designer").data)
    assert [(c["name"], c["scorecards"]) for c in other] == [("Other Role", [])]
    [event] = [e for e in exported(app) if e[3] == "csv"]
    assert event[1] == "user"  # a role export is logged against the person who made it


def test_drafts_never_leave_in_an_export(exports_app):
    app, ids = exports_app
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.kit import service
        from interviewkit.models import LoopSession, User

        iris = db.session.scalar(db.select(User).filter_by(email="iris@example.com"))
        card = service.scorecard_for(db.session.get(LoopSession, ids["iris_session"]), iris)
        service.save_text(card, "general", "Private draft thoughts", 0, "save-aaaaaaaa")
        db.session.commit()
    body = client_for(app, "lead@example.com").get(f"/candidates/{ids['candidate']}/export.json")
    assert "Private draft thoughts" not in body.get_data(as_text=True)
    assert "Iris" not in body.get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("plain text", "plain text"),
        ("a = b", "a = b"),
        (3, "3"),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_an_evidence_formula_is_exported_as_text(exports_app):
    app, ids = exports_app
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.models import Candidate, CompetencyRating

        for rating in db.session.scalars(db.select(CompetencyRating)):
            rating.evidence = '=HYPERLINK("http://evil.example","click")'
        db.session.get(Candidate, ids["candidate"]).name = "@cmd"
        db.session.commit()
    got = rows(
        client_for(app, "lead@example.com").get(f"/candidates/{ids['candidate']}/export.csv")
    )
    assert {r["evidence"] for r in got} == {'\'=HYPERLINK("http://evil.example","click")'}
    assert {r["candidate"] for r in got} == {"'@cmd"}


def test_printing_the_debrief_is_an_audited_export(exports_app):
    app, ids = exports_app
    client = client_for(app, "lead2@example.com")
    assert client.get(f"/candidates/{ids['candidate']}/debrief/print").status_code == 200
    assert exported(app) == [
        (user_id(app, "lead2@example.com"), "candidate", str(ids["candidate"]), "print")
    ]
    assert (
        client_for(app, "ivan@example.com")
        .get(f"/candidates/{ids['candidate']}/debrief/print")
        .status_code
        == 403
    )


def test_timestamps_read_the_same_from_either_database(exports_app):
    app, ids = exports_app
    with app.app_context():
        from datetime import datetime

        from interviewkit.extensions import db
        from interviewkit.models import Scorecard

        card = db.session.scalar(db.select(Scorecard))
        card.submitted_at = datetime(2026, 3, 4, 5, 6, 7, 890000)
        db.session.commit()
    got = rows(
        client_for(app, "lead@example.com").get(f"/candidates/{ids['candidate']}/export.csv")
    )
    assert {r["submitted_at"] for r in got} == {"2026-03-04T05:06:07Z"}
    data = json.loads(
        client_for(app, "lead@example.com").get(f"/candidates/{ids['candidate']}/export.json").data
    )
    assert data[0]["scorecards"][0]["submitted_at"] == "2026-03-04T05:06:07Z"


def test_a_role_export_carries_the_decision_history_and_titles_as_asked(exports_app):
    """The role export reads decisions and titles as plain rows; both must stay exact."""
    app, ids = exports_app
    record_decision(app, ids)
    client = client_for(app, "lead@example.com")
    changed = client.post(
        f"/candidates/{ids['candidate']}/decision",
        data={
            "outcome": "another_loop",
            "rationale": "One more data-storage session.",
            "change_reason": "The panel split on storage.",
        },
    )
    assert changed.status_code == 302
    with app.app_context():
        from interviewkit.extensions import db
        from interviewkit.models import LoopQuestion

        asked = db.session.scalars(
            db.select(LoopQuestion).filter_by(session_id=ids["ivan_session"])
        ).first()
        asked.snapshot = {**asked.snapshot, "title": "The title as it was asked"}
        db.session.commit()
    [sam] = [
        c
        for c in json.loads(client.get("/roles/export.json?role=Back-end+engineer").data)
        if c["name"] == "Sam Rivera"
    ]
    assert [(d["outcome"], d["change_reason"], d["by"]) for d in sam["decisions"]] == [
        ("no_hire", None, "Lee Lead"),
        ("another_loop", "The panel split on storage.", "Lee Lead"),
    ]
    titles = [q["title"] for q in sam["scorecards"][0]["questions"]]
    assert "The title as it was asked" in titles
    got = rows(client.get("/roles/export.csv?role=Back-end+engineer"))
    assert {r["decision"] for r in got if r["candidate"] == "Sam Rivera"} == {"another_loop"}


def test_version_titles_reads_each_version_once(exports_app):
    """A content hash fixes a title, so a version already read costs no query."""
    from sqlalchemy import event

    from interviewkit.analytics.queries import version_titles
    from interviewkit.extensions import db
    from interviewkit.models import LoopQuestion

    app, ids = exports_app
    with app.app_context():
        placed = db.session.scalars(db.select(LoopQuestion)).all()
        versions = {(q.question_id, q.content_hash) for q in placed}
        expected = {(q.question_id, q.content_hash): q.snapshot["title"] for q in placed}
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        assert version_titles(versions) == expected
        assert len(statements) == 1
        assert version_titles(versions) == expected
        assert version_titles({("no-such-question", "0" * 64)}) == {}
        assert len(statements) == 2  # the unknown version was asked for; the known were not

"""Candidate data retention: purge and delete-on-request remove personal data, keep scores."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions, add_scored_panel, make_app

SECRET = "Zanzibar-7f3q"  # a unique string in every personal field and free text

CARDS = [
    ("Ivan", {"design": 3, "coding": 2}, "yes", [("q-one", "h1", 3)]),
    ("Iris", {"design": 4}, "strong_yes", [("q-two", "h2", 4)]),
]


def _personal_candidate(app, decided_days_ago=0) -> int:
    """Add a scored candidate whose every free text and personal field holds SECRET."""
    from interviewkit.extensions import db
    from interviewkit.models import (
        Amendment,
        Candidate,
        KitRevision,
        KitText,
        Scorecard,
        audit,
        utcnow,
    )

    cid = add_scored_panel(app, decision="hire", cards=CARDS)
    with app.app_context():
        candidate = db.session.get(Candidate, cid)
        candidate.name = f"Name {SECRET}"
        candidate.email = f"{SECRET.lower()}@example.com"
        candidate.links = [f"https://cv.example.com/{SECRET}"]
        candidate.language = f"Lang {SECRET}"
        loop = candidate.loops[0]
        loop.prep_note = f"Prep {SECRET}"
        audit(None, "prep_note_changed", loop, before="", after=f"Prep {SECRET}")
        audit(None, "candidate_updated", candidate, fields=["name"])
        for session in loop.sessions:
            session.meeting_url = f"https://meet.example.com/{SECRET}"
        sessions = [s.id for s in loop.sessions]
        cards = db.session.scalars(
            db.select(Scorecard).where(Scorecard.session_id.in_(sessions))
        ).all()
        for card in cards:
            card.texts.append(KitText(key="general", text=f"Note {SECRET}", version=1))
            db.session.add(
                KitRevision(
                    scorecard_id=card.id,
                    key="general",
                    version=1,
                    text=f"Draft {SECRET}",
                    save_id=f"s{card.id}",
                )
            )
            for rating in card.ratings:
                rating.evidence = f"Evidence {SECRET}"
                rating.reason = f"Reason {SECRET}"
        cards[0].amendments.append(
            Amendment(
                reason=f"Amended {SECRET}",
                changes={"score:design": [2, 3], "evidence:design": ["", f"Ev {SECRET}"]},
            )
        )
        decision = candidate.decisions[0]
        decision.rationale = f"Rationale {SECRET}"
        decision.change_reason = f"Change {SECRET}"
        decision.at = utcnow() - timedelta(days=decided_days_ago)
        db.session.commit()
    return cid


def _numbers(app):
    """Return what the numbers pages read: scores, recommendations, outcomes, question ids."""
    from interviewkit.extensions import db
    from interviewkit.models import CompetencyRating, Decision, KitScore, LoopQuestion, Scorecard

    with app.app_context():
        return (
            db.session.execute(
                db.select(CompetencyRating.competency, CompetencyRating.score)
            ).all(),
            db.session.execute(db.select(Scorecard.recommendation, Scorecard.status)).all(),
            db.session.execute(db.select(KitScore.score)).all(),
            db.session.execute(db.select(LoopQuestion.question_id)).all(),
            db.session.execute(db.select(Decision.outcome, Decision.at)).all(),
        )


@pytest.fixture
def app(tmp_path, database_url):
    """An app with an admin, a lead and no bank."""
    from interviewkit.users import create_user

    app = make_app(tmp_path, database_url)
    with app.app_context():
        create_user("admin@example.com", "Ada Admin", "admin", PASSWORD)
        create_user("lead@example.com", "Lee Lead", "hiring_lead", PASSWORD)
    return app


def test_delete_candidate_removes_personal_data_and_keeps_the_numbers(app, caplog):
    from interviewkit.extensions import db
    from interviewkit.models import AuditEvent, Candidate, KitRevision, KitText
    from interviewkit.review.service import export_json, export_rows
    from interviewkit.users import find_user

    cid = _personal_candidate(app)
    before = _numbers(app)
    caplog.set_level(logging.DEBUG)
    result = app.test_cli_runner().invoke(
        args=["delete-candidate", str(cid), "--reason", "candidate_request", "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output and SECRET not in caplog.text
    assert _numbers(app) == before
    with app.app_context():
        candidate = db.session.get(Candidate, cid)
        assert (candidate.name, candidate.email) == (
            f"Deleted candidate {cid}",
            f"deleted-{cid}@invalid",
        )
        assert candidate.purged_at is not None
        assert db.session.scalar(db.select(db.func.count(KitText.id))) == 0
        assert db.session.scalar(db.select(db.func.count(KitRevision.id))) == 0
        entries = db.session.scalars(db.select(AuditEvent)).all()
        assert SECRET not in json.dumps([e.detail for e in entries])
        purged = [e for e in entries if e.action == "candidate_purged"]
        assert [(e.target_id, e.detail) for e in purged] == [
            (str(cid), {"reason": "candidate_request"})
        ]
        lead = find_user("lead@example.com")
        exported = json.dumps(export_json(lead, [candidate])) + repr(export_rows(lead, [candidate]))
        assert SECRET not in exported
        assert f"Deleted candidate {cid}" in exported
        assert "strong_yes" in exported  # the recommendations stay


def test_after_a_purge_the_bytes_are_gone_from_the_sqlite_file_and_its_wal(tmp_path):
    """Deleted rows linger in free pages and in the write-ahead log unless scrubbed."""
    from interviewkit.users import create_user

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    with app.app_context():
        create_user("admin@example.com", "Ada Admin", "admin", PASSWORD)
    cid = _personal_candidate(app)
    files = [tmp_path / "app.db", tmp_path / "app.db-wal"]
    assert any(SECRET.encode() in f.read_bytes() for f in files if f.exists())
    client = app.test_client()
    AuthActions(client).login("admin@example.com")
    response = client.post(
        f"/admin/candidates/{cid}/delete", data={"reason": "candidate_request", "confirm": "y"}
    )
    assert response.status_code == 302
    for f in files:
        if f.exists():
            data = f.read_bytes()
            assert SECRET.encode() not in data, f.name
            assert SECRET.lower().encode() not in data, f.name
    page = client.get(f"/candidates/{cid}").get_data(as_text=True)
    assert "Personal data deleted" in page and SECRET not in page


def test_the_delete_page_needs_a_reason_and_a_confirmation(app):
    from interviewkit.extensions import db
    from interviewkit.models import Candidate

    cid = _personal_candidate(app)
    client = app.test_client()
    AuthActions(client).login("admin@example.com")
    assert "Delete personal data" in client.get(f"/candidates/{cid}").get_data(as_text=True)
    page = client.get(f"/admin/candidates/{cid}/delete")
    assert page.status_code == 200
    refused = client.post(f"/admin/candidates/{cid}/delete", data={"reason": "legal"})
    assert refused.status_code == 400
    assert "Tick this to confirm" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Candidate, cid).purged_at is None


def test_purge_is_a_dry_run_unless_applied(app):
    from interviewkit.extensions import db
    from interviewkit.models import Candidate, utcnow

    old = _personal_candidate(app, decided_days_ago=400)
    recent = _personal_candidate(app, decided_days_ago=10)
    with app.app_context():  # no decision, nothing since it was created 400 days ago
        idle = Candidate(
            name=f"Idle {SECRET}",
            email="idle@example.com",
            role_title="BE",
            level="mid",
            created_at=utcnow() - timedelta(days=400),
        )
        db.session.add(idle)
        db.session.commit()
        idle_id = idle.id
        # the others were created today: age them so only the decision date matters
        for cid in (old, recent):
            db.session.get(Candidate, cid).created_at = utcnow() - timedelta(days=500)
        for loop in db.session.scalars(db.select(Candidate)).all():
            for x in loop.loops:
                x.created_at = utcnow() - timedelta(days=500)
        db.session.execute(
            db.update(db.metadata.tables["scorecards"]).values(
                updated_at=utcnow() - timedelta(days=500)
            )
        )
        db.session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge"])
    assert dry.exit_code == 0, dry.output
    assert f"Would delete personal data of candidate {old} " in dry.output
    assert f"candidate {idle_id} " in dry.output
    assert f"candidate {recent} " not in dry.output
    assert "2 candidate(s)" in dry.output and SECRET not in dry.output
    with app.app_context():
        assert (
            db.session.scalar(db.select(db.func.count()).where(Candidate.purged_at.is_not(None)))
            == 0
        )
    applied = runner.invoke(args=["purge", "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "Deleted the personal data of 2 candidate(s)" in applied.output
    with app.app_context():
        purged = db.session.scalars(
            db.select(Candidate.id).where(Candidate.purged_at.is_not(None))
        ).all()
        assert sorted(purged) == sorted([old, idle_id])
    again = runner.invoke(args=["purge", "--apply"])
    assert "Deleted the personal data of 0 candidate(s)" in again.output
    shorter = runner.invoke(args=["purge", "--days", "5"])
    assert f"candidate {recent} " in shorter.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["delete-candidate", "999", "--reason", "legal", "--yes"], "no candidate with id 999"),
        (["delete-candidate", "1", "--reason", "because", "--yes"], "Invalid value"),
        (["delete-candidate", "1", "--yes"], "Missing option '--reason'"),
    ],
)
def test_delete_candidate_refuses(app, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output


def test_a_candidate_is_purged_only_once(app):
    cid = _personal_candidate(app)
    runner = app.test_cli_runner()
    args = ["delete-candidate", str(cid), "--reason", "legal", "--yes"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "already deleted" in again.output

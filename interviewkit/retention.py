"""Candidate data retention: delete a candidate's personal data, keep the anonymised scores.

`purge_candidate` replaces the name, email, links and language with placeholders and
removes everything people wrote about the candidate (notes and their drafts, evidence,
reasons, amendment and decision texts, the loop's prep note and meeting links, and the
same texts kept in audit entries). Scores, recommendations, outcomes, question ids and
timestamps stay, so calibration, question statistics and the dashboard keep their
numbers. `due` finds the candidates whose retention period has run out (RETENTION_DAYS
after the decision in force, or after the last activity when that is later or there is
no decision).

Nothing here commits: the command or view does, then calls `scrub_files`, which makes
SQLite drop the deleted bytes from the database file and its write-ahead log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from . import scheduling
from .auditlog import safe_detail
from .extensions import db
from .models import (
    Amendment,
    AuditEvent,
    Candidate,
    CompetencyRating,
    IdempotentRequest,
    KitRevision,
    KitText,
    Loop,
    LoopSession,
    OutgoingMail,
    Scorecard,
    User,
    audit,
    utcnow,
)

# Why a candidate's data was deleted: the only thing about it the audit log keeps.
REASONS = {
    "candidate_request": "The candidate asked for their data to be deleted",
    "retention": "The retention period ended",
    "entered_in_error": "The candidate was entered by mistake",
    "legal": "A legal or policy requirement",
}


class RetentionError(ValueError):
    """A purge that cannot be done, with what to do instead."""


@dataclass
class Purged:
    """What one purge removed, in numbers (never the texts themselves)."""

    candidate_id: int
    texts: int
    revisions: int
    ratings: int
    amendments: int
    decisions: int
    audit_entries: int
    cancelled: int = 0  # upcoming interviews taken off the calendar, a cancellation sent


@dataclass
class Due:
    """A candidate whose retention period has run out, and since when."""

    candidate: Candidate
    since: datetime  # the decision in force, or the last activity
    outcome: str  # the decision in force ("" without one)


def placeholder_name(candidate_id: int) -> str:
    """Return the name a purged candidate is shown under."""
    return f"Deleted candidate {candidate_id}"


def placeholder_email(candidate_id: int) -> str:
    """Return the email a purged candidate keeps (an address that cannot exist)."""
    return f"deleted-{candidate_id}@invalid"


def last_activity(candidate: Candidate) -> datetime:
    """Return the latest of: created, a loop assembled, a scorecard saved, a decision."""
    moments = [candidate.created_at]
    moments += [loop.created_at for loop in candidate.loops]
    moments += [d.at for d in candidate.decisions]
    saved = db.session.scalar(
        select(func.max(Scorecard.updated_at))
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .join(Loop, LoopSession.loop_id == Loop.id)
        .where(Loop.candidate_id == candidate.id)
    )
    if saved is not None:
        moments.append(saved)
    return max(moments)


def due(now: datetime | None = None, days: int | None = None) -> list[Due]:
    """Return the candidates not yet purged whose retention period ended before `now`."""
    now = now or utcnow()
    days = current_app.config["RETENTION_DAYS"] if days is None else days
    cutoff = now - timedelta(days=days)
    # Nothing of a candidate created after the cutoff can be old enough: skip them in SQL.
    candidates = db.session.scalars(
        select(Candidate)
        .where(Candidate.purged_at.is_(None), Candidate.created_at < cutoff)
        .order_by(Candidate.id)
    ).all()
    found = []
    for candidate in candidates:
        since = last_activity(candidate)
        if since < cutoff:
            decision = candidate.decision
            found.append(Due(candidate, since, decision.outcome if decision else ""))
    return found


def purge_candidate(candidate: Candidate, actor: User | None, reason: str) -> Purged:
    """Delete a candidate's personal data and free text; keep the scores (no commit)."""
    if reason not in REASONS:
        raise RetentionError(f"say why with one of: {', '.join(REASONS)}")
    if candidate.purged_at is not None:
        raise RetentionError(f"candidate {candidate.id}'s personal data is already deleted")
    _secure_delete()
    old = [candidate.name, candidate.email]
    candidate.name = placeholder_name(candidate.id)
    candidate.email = placeholder_email(candidate.id)
    candidate.links = []
    candidate.language = ""
    candidate.purged_at = utcnow()
    loops = list(candidate.loops)
    sessions = [s for loop in loops for s in loop.sessions]
    for loop in loops:
        loop.prep_note = ""
    for session in sessions:
        session.meeting_url = ""
    # Emails still waiting in the outbox (an invite the mail server has not taken yet)
    # hold the name: they go with the rest.
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.candidate_id == candidate.id))
    # Interviews still to come are cancelled: their interviewers' calendars get the
    # cancellation (same UID, with the placeholder name in place of the candidate's), and
    # the interviews leave the queues and the feeds.
    now = utcnow()
    cancelled = sum(
        scheduling.cancel_session(s, actor)
        for s in sessions
        if s.scheduled_at is not None and scheduling.ends_after(s, now)
    )
    cards = db.session.scalars(
        select(Scorecard).where(Scorecard.session_id.in_([s.id for s in sessions]))
    ).all()
    card_ids = [c.id for c in cards]
    revisions = db.session.execute(
        delete(KitRevision).where(KitRevision.scorecard_id.in_(card_ids))
    ).rowcount
    texts = db.session.execute(delete(KitText).where(KitText.scorecard_id.in_(card_ids))).rowcount
    for card in cards:
        db.session.expire(card, ["texts"])
    ratings = db.session.scalars(
        select(CompetencyRating).where(CompetencyRating.scorecard_id.in_(card_ids))
    ).all()
    for rating in ratings:
        rating.evidence = ""
        rating.reason = ""
    amendments = db.session.scalars(
        select(Amendment).where(Amendment.scorecard_id.in_(card_ids))
    ).all()
    for amendment in amendments:
        amendment.reason = ""
        amendment.changes = {
            k: v for k, v in (amendment.changes or {}).items() if not k.startswith("evidence:")
        }
    for decision in candidate.decisions:
        decision.rationale = ""
        decision.change_reason = ""
    entries = _scrub_audit(candidate, loops, card_ids)
    # An API create answered with the candidate in its body, kept for retries.
    mentions = [IdempotentRequest.body.contains(text, autoescape=True) for text in old if text]
    if mentions:
        db.session.execute(delete(IdempotentRequest).where(or_(*mentions)))
    audit(actor, "candidate_purged", candidate, reason=reason)
    return Purged(
        candidate.id,
        texts,
        revisions,
        len(ratings),
        len(amendments),
        len(candidate.decisions),
        entries,
        cancelled,
    )


def _scrub_audit(candidate: Candidate, loops: list[Loop], card_ids: list[int]) -> int:
    """Strip free text (a prep note's before and after, say) from entries about them."""
    targets = [
        (AuditEvent.target_type == "candidate") & (AuditEvent.target_id == str(candidate.id)),
        (AuditEvent.target_type == "loop") & AuditEvent.target_id.in_([str(x.id) for x in loops]),
        (AuditEvent.target_type == "scorecard")
        & AuditEvent.target_id.in_([str(i) for i in card_ids]),
    ]
    changed = 0
    for entry in db.session.scalars(select(AuditEvent).where(or_(*targets))):
        kept = safe_detail(entry.detail)
        if kept != (entry.detail or {}):
            entry.detail = kept
            changed += 1
    return changed


def _secure_delete() -> None:
    """SQLite: overwrite deleted content with zeros in this transaction's connection."""
    if db.engine.dialect.name == "sqlite":
        db.session.connection().exec_driver_sql("PRAGMA secure_delete = ON")


def scrub_files() -> str:
    """After the commit: rewrite the SQLite file and empty its WAL; return what happened.

    VACUUM builds the file anew from the live rows only, and a TRUNCATE checkpoint empties
    the write-ahead log, so a deleted name or note is in neither file any more.
    PostgreSQL keeps dead rows until its own VACUUM reuses the space (docs/operations.md).
    """
    if db.engine.dialect.name != "sqlite":
        return "PostgreSQL: the rows are deleted; autovacuum reclaims their space"
    # The driver's own connection, in autocommit (database.py turns pysqlite's implicit
    # BEGIN off): VACUUM and a checkpoint cannot run inside a transaction.
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("VACUUM")
        busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        cursor.close()
    finally:
        raw.close()
    if busy:
        return (
            "SQLite: vacuumed; the write-ahead log is still in use by another process and is "
            "emptied at its next checkpoint"
        )
    return "SQLite: vacuumed, write-ahead log emptied"

"""Kit and scorecard rules as plain functions: autosave, merges, ratings, independence.

Autosave is versioned per text: a save names the version it was typed on. If that is
still the current version the text replaces it; if another window saved in between, the
two texts are merged (appends to the same base are joined cleanly, anything else keeps
both texts with a marker), never dropped. Every save carries a client-made id, and a
retried save with an id already applied changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import webhooks
from ..extensions import db
from ..models import (
    Amendment,
    Candidate,
    CompetencyRating,
    KitRevision,
    KitScore,
    KitText,
    Loop,
    LoopSession,
    Scorecard,
    User,
    utcnow,
)
from ..text import clean_note
from ..vocabulary import RECOMMENDATIONS, CardStatus

MAX_TEXT = 100_000  # characters in one note: far beyond any interview, small enough to store
KEY_RE = re.compile(r"^(general|notes:\d{1,18}|evidence:[a-z0-9-]{1,80})$", re.ASCII)
SCORE_KEY_RE = re.compile(r"^score:\d{1,18}$", re.ASCII)
SAVE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Revisions kept per text: the base of any merge a live tab can still ask for, and the
# save ids that make retries idempotent. Older ones are pruned, so storage stays bounded
# however often a note is saved (the current text itself is always in kit_texts).
KEEP_REVISIONS = 20


class KitError(ValueError):
    """A save or submission that cannot be accepted; the message says why."""


@dataclass
class SaveResult:
    """What happened to one saved item, sent back to the browser."""

    key: str
    status: str  # saved, duplicate, conflict, locked, refused
    version: int
    value: str | int | None
    message: str = ""  # why an item was refused: the browser keeps it and shows this

    def as_dict(self) -> dict:
        """Return the result as JSON-ready data."""
        out = {"key": self.key, "status": self.status, "version": self.version, "value": self.value}
        if self.message:
            out["message"] = self.message
        return out


# -- scorecards ------------------------------------------------------------------------------


def scorecard_for(session: LoopSession, user: User, create: bool = True) -> Scorecard | None:
    """Return this user's scorecard for a session, creating it on first use."""
    query = select(Scorecard).where(
        Scorecard.session_id == session.id, Scorecard.interviewer_id == user.id
    )
    card = db.session.execute(query).scalar_one_or_none()
    if card is None and create:
        card = Scorecard(session_id=session.id, interviewer_id=user.id)
        db.session.add(card)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:  # another request created it first
            card = db.session.execute(query).scalar_one()
    return card


def merge_texts(base: str, theirs: str, mine: str, when: str) -> tuple[str, bool]:
    """Merge two edits of the same base text; return (text, merged cleanly)."""
    if mine in (theirs, base) or theirs.startswith(mine):
        return theirs, True  # nothing new in mine (e.g. a save that was applied, then retried)
    if theirs == base or mine.startswith(theirs):
        return mine, True  # mine builds on what the server has: a plain fast-forward
    if theirs.startswith(base) and mine.startswith(base):
        added = mine[len(base) :]
        joiner = "" if not theirs or theirs.endswith(("\n", " ")) or added[:1].isspace() else "\n"
        return theirs + joiner + added, True
    marker = f"\n\n--- also typed in another window ({when}) ---\n"
    return theirs + marker + mine, False


def _locked(card: Scorecard, key: str) -> bool:
    return card.is_submitted  # notes, general notes and evidence lock at final submission


def _check_text_key(card: Scorecard, key: str) -> None:
    if not KEY_RE.match(key):
        raise KitError(f"unknown field {key[:100]!r}")
    kind, _, rest = key.partition(":")
    if kind == "notes" and int(rest) not in {q.id for q in card.session.questions}:
        raise KitError(f"{key}: no such question in this session")
    if kind == "evidence" and rest not in card.session.competencies:
        raise KitError(f"{key}: this session does not score that competency")


def save_text(card: Scorecard, key: str, value: str, base: int, save_id: str) -> SaveResult:
    """Save one text; merge with a newer version instead of overwriting it."""
    _check_text_key(card, key)
    if not isinstance(value, str):
        raise KitError(f"{key}: the value must be text")
    value = clean_note(value)
    if len(value) > MAX_TEXT:
        raise KitError(
            f"this text has {len(value):,} characters and the limit is {MAX_TEXT:,}: "
            "shorten it (it is kept in this browser until it saves)"
        )
    # Core statements on the tables, not ORM rows: a save is the one write many
    # interviewers make at once, and the ORM's unit of work was half of its time in the
    # worker (bench/README.md, "Autosave"). The rows' meaning is the same.
    texts, revisions = KitText.__table__, KitRevision.__table__
    done = db.session.execute(
        select(revisions.c.id).where(
            revisions.c.scorecard_id == card.id, revisions.c.save_id == save_id
        )
    ).first()
    row = db.session.execute(
        select(texts.c.id, texts.c.text, texts.c.version)
        .where(texts.c.scorecard_id == card.id, texts.c.key == key)
        .with_for_update()
    ).first()
    current, version = (row.text, row.version) if row is not None else ("", 0)
    if done is not None:
        return SaveResult(key, "duplicate", version, current)
    if _locked(card, key):
        return SaveResult(key, "locked", version, current)
    status = "saved"
    if base == version:
        text = value
    else:
        base_text = ""
        if 0 < base < version:
            base_text = (
                db.session.execute(
                    select(revisions.c.text).where(
                        revisions.c.scorecard_id == card.id,
                        revisions.c.key == key,
                        revisions.c.version == base,
                    )
                ).scalar_one_or_none()
                or ""
            )
        elif base > version:
            base_text = current
        text, clean = merge_texts(base_text, current, value, utcnow().strftime("%H:%M UTC"))
        status = "conflict" if text != value else "saved"
        if len(text) > MAX_TEXT:
            raise KitError(
                "another window changed this text too, and keeping both would pass the "
                f"{MAX_TEXT:,}-character limit: shorten it in one window (this one is kept "
                "in this browser until it saves)"
            )
    now, version = utcnow(), version + 1
    if row is None:  # a second window creating it at once fails the unique index: retried
        db.session.execute(
            insert(texts).values(
                scorecard_id=card.id, key=key, text=text, version=version, updated_at=now
            )
        )
    else:
        db.session.execute(
            update(texts)
            .where(texts.c.id == row.id)
            .values(text=text, version=version, updated_at=now)
        )
    db.session.execute(
        insert(revisions).values(
            scorecard_id=card.id,
            key=key,
            version=version,
            text=text,
            save_id=save_id,
            conflict=status == "conflict",
            created_at=now,
        )
    )
    if version > KEEP_REVISIONS:
        db.session.execute(
            delete(revisions).where(
                revisions.c.scorecard_id == card.id,
                revisions.c.key == key,
                revisions.c.version <= version - KEEP_REVISIONS,
            )
        )
    _touch(card, now)
    return SaveResult(key, status, version, text)


def save_score(card: Scorecard, lq_id: int, value, base: int, save_id: str) -> SaveResult:
    """Save one question's score (1-4, 0 for not asked, None to clear)."""
    key = f"score:{lq_id}"
    if lq_id not in {q.id for q in card.session.questions}:
        raise KitError(f"{key}: no such question in this session")
    if value is not None and (isinstance(value, bool) or value not in (0, 1, 2, 3, 4)):
        raise KitError(f"{key}: a score is 1 to 4, or 0 for not asked")
    row = db.session.execute(
        select(KitScore)
        .where(KitScore.scorecard_id == card.id, KitScore.loop_question_id == lq_id)
        .with_for_update()
    ).scalar_one_or_none()
    if row is not None and row.save_id == save_id:
        return SaveResult(key, "duplicate", row.version, row.score)
    if card.ratings_locked:
        return SaveResult(key, "locked", row.version if row else 0, row.score if row else None)
    if row is None:
        row = KitScore(scorecard=card, loop_question_id=lq_id, version=0)
        db.session.add(row)
    # Scores cannot be merged: the latest choice wins, and the browser is told if another
    # window had changed it in between so the interviewer can check.
    status = "saved" if base == row.version else "conflict"
    row.score, row.version, row.save_id, row.updated_at = value, row.version + 1, save_id, utcnow()
    _touch(card)
    return SaveResult(key, status, row.version, value)


def _touch(card: Scorecard, now: datetime | None = None) -> None:
    """Record activity on the card: updated_at, and started_at on the first save.

    One Core UPDATE; the card object gets the same values as committed ones, so reading
    them later in the request costs no query and nothing is flushed twice.
    """
    now = now or utcnow()
    cards = Scorecard.__table__
    db.session.execute(
        update(cards)
        .where(cards.c.id == card.id)
        .values(updated_at=now, started_at=func.coalesce(cards.c.started_at, now))
    )
    set_committed_value(card, "updated_at", now)
    if card.started_at is None:
        set_committed_value(card, "started_at", now)


def apply_saves(card: Scorecard, items: list) -> list[SaveResult]:
    """Apply a batch of autosaved items from the kit page, each on its own.

    One bad item never blocks the others: it comes back as "refused" with the reason,
    and the rest are saved. Only a batch that is not a list of 1-200 items is refused whole.
    """
    if not isinstance(items, list) or not 1 <= len(items) <= 200:
        raise KitError("send 1 to 200 items")
    return [_apply_one(card, item) for item in items]


def _apply_one(card: Scorecard, item) -> SaveResult:
    key = item.get("key") if isinstance(item, dict) else None
    label = key[:100] if isinstance(key, str) else ""
    try:
        if not isinstance(item, dict):
            raise KitError("each item is an object with key, value, base and save_id")
        base, save_id = item.get("base"), item.get("save_id")
        if not isinstance(key, str):
            raise KitError("each item needs a key")
        if isinstance(base, bool) or not isinstance(base, int) or not 0 <= base < 2**31:
            raise KitError(f"{label}: the base version must be a whole number")
        if not isinstance(save_id, str) or not SAVE_ID_RE.match(save_id):
            raise KitError(f"{label}: the save_id must be 8-64 letters, digits, - or _")
        if key.startswith("score:") and SCORE_KEY_RE.match(key):
            return save_score(card, int(key[6:]), item.get("value"), base, save_id)
        return save_text(card, key, item.get("value"), base, save_id)
    except KitError as exc:
        return SaveResult(label, "refused", 0, None, str(exc))


def kit_state(card: Scorecard | None) -> dict:
    """Return every saved text and score with its version, for the kit page."""
    if card is None:
        return {"texts": {}, "scores": {}, "status": CardStatus.DRAFT.value}
    return {
        "texts": {t.key: {"value": t.text, "version": t.version} for t in card.texts},
        "scores": {
            str(s.loop_question_id): {"value": s.score, "version": s.version} for s in card.scores
        },
        "status": card.status,
    }


# -- ratings and submission ------------------------------------------------------------------


def suggested_ratings(card: Scorecard) -> dict[str, int | None]:
    """Suggest a score per session competency: the rounded mean of its questions' scores."""
    scores = {s.loop_question_id: s.score for s in card.scores}
    out = {}
    for comp in card.session.competencies:
        values = [
            scores[q.id]
            for q in card.session.questions
            if comp in (q.covers or q.snapshot.get("competencies", []))
            and scores.get(q.id) not in (None, 0)
        ]
        out[comp] = int(sum(values) / len(values) + 0.5) if values else None
    return out


def submit_ratings(
    card: Scorecard, scores: dict[str, int], reasons: dict[str, str], recommendation: str
) -> dict[str, str]:
    """Lock the competency scores and recommendation; return field errors (empty if done)."""
    if card.ratings_locked:
        return {"_": "The ratings are already submitted: amend them with a reason instead."}
    errors = {}
    suggested = suggested_ratings(card)
    for comp in card.session.competencies:
        score = scores.get(comp)
        if score not in (1, 2, 3, 4):
            errors[f"score-{comp}"] = "Choose a score from 1 to 4."
        elif (
            suggested[comp] is not None
            and score != suggested[comp]
            and not (reasons.get(comp) or "").strip()
        ):
            errors[f"reason-{comp}"] = (
                f"Say why you chose {score} when the questions suggest {suggested[comp]}."
            )
    if recommendation not in RECOMMENDATIONS:
        errors["recommendation"] = "Choose a recommendation."
    if errors:
        return errors
    card.ratings = [
        CompetencyRating(
            competency=c,
            suggested=suggested[c],
            score=scores[c],
            reason=(reasons.get(c) or "").strip(),
        )
        for c in card.session.competencies
    ]
    card.recommendation = recommendation
    card.status = CardStatus.RATINGS_SUBMITTED.value
    card.ratings_submitted_at = utcnow()
    return {}


def submit_evidence(card: Scorecard) -> dict[str, str]:
    """Submit the written evidence (from the autosaved drafts) and lock the scorecard."""
    if not card.ratings_locked:
        return {"_": "Submit the ratings first."}
    if card.is_submitted:
        return {"_": "The scorecard is already submitted: amend it with a reason instead."}
    errors = {}
    for rating in card.ratings:
        text = card.text(f"evidence:{rating.competency}").strip()
        if len(text) < 20:
            errors[f"evidence-{rating.competency}"] = (
                "Write the evidence for this score: what the candidate said or did (at least "
                "a sentence)."
            )
    if errors:
        return errors
    for rating in card.ratings:
        rating.evidence = card.text(f"evidence:{rating.competency}").strip()
    card.status = CardStatus.SUBMITTED.value
    card.submitted_at = utcnow()
    webhooks.scorecard_submitted(card)
    return {}


def amend(
    card: Scorecard,
    actor: User,
    reason: str,
    scores: dict[str, int],
    evidence: dict[str, str],
    recommendation: str | None,
) -> dict[str, str]:
    """Change a submitted scorecard, keeping what changed and why in the audit trail."""
    if not card.ratings_locked:
        return {"_": "Nothing is submitted yet: edit the draft directly."}
    if len((reason or "").strip()) < 5:
        return {"amend-reason": "Say why you are changing a submitted scorecard."}
    changes: dict = {}
    for rating in card.ratings:
        new_score = scores.get(rating.competency)
        if new_score is not None:
            if new_score not in (1, 2, 3, 4):
                return {f"amend-score-{rating.competency}": "A score is 1 to 4."}
            if new_score != rating.score:
                changes[f"score:{rating.competency}"] = [rating.score, new_score]
                rating.score = new_score
        new_text = (evidence.get(rating.competency) or "").strip()
        if card.is_submitted and new_text and new_text != rating.evidence:
            changes[f"evidence:{rating.competency}"] = [rating.evidence, new_text]
            rating.evidence = new_text
    if recommendation and recommendation != card.recommendation:
        if recommendation not in RECOMMENDATIONS:
            return {"amend-recommendation": "Choose a recommendation."}
        changes["recommendation"] = [card.recommendation, recommendation]
        card.recommendation = recommendation
    if not changes:
        return {"_": "Nothing changed."}
    card.amendments.append(Amendment(actor_id=actor.id, reason=reason.strip(), changes=changes))
    card.updated_at = utcnow()
    return {}


# -- independence and queues -----------------------------------------------------------------


def has_submitted_for(user: User, candidate: Candidate) -> bool:
    """Return True if the user has a fully submitted scorecard for this candidate."""
    return bool(
        db.session.execute(
            select(
                exists().where(
                    Scorecard.interviewer_id == user.id,
                    Scorecard.status == CardStatus.SUBMITTED,
                    Scorecard.session_id == LoopSession.id,
                    LoopSession.loop_id == Loop.id,
                    Loop.candidate_id == candidate.id,
                )
            )
        ).scalar()
    )


def is_on_panel(user: User, candidate: Candidate) -> bool:
    """Return True for leads and admins, and for interviewers with a session or scorecard."""
    if user.is_lead:
        return True
    on_loop = (LoopSession.interviewer_id == user.id) | LoopSession.id.in_(
        select(Scorecard.session_id).where(Scorecard.interviewer_id == user.id)
    )
    return bool(
        db.session.execute(
            select(
                exists().where(
                    LoopSession.loop_id == Loop.id, Loop.candidate_id == candidate.id, on_loop
                )
            )
        ).scalar()
    )


def can_see_feedback(user: User, candidate: Candidate) -> bool:
    """Return whether the user may see other interviewers' feedback on this candidate.

    Hiring leads and admins always may; an interviewer only after submitting their own
    scorecard for this candidate. Every page that shows feedback asks this first.
    """
    return user.is_lead or has_submitted_for(user, candidate)


def feedback_for(user: User, candidate: Candidate) -> list[Scorecard]:
    """Return the scorecards of a candidate this user may see (none before their own)."""
    return feedback_for_many(user, [candidate])[candidate.id]


def visible_candidates(user: User, candidates: list[Candidate]) -> list[int]:
    """Return the ids of the candidates whose feedback this user may see (`can_see_feedback`)."""
    if user.is_lead:
        return [c.id for c in candidates]
    return [c.id for c in candidates if has_submitted_for(user, c)]


def feedback_for_many(user: User, candidates: list[Candidate]) -> dict[int, list[Scorecard]]:
    """Return candidate id -> the scorecards this user may see, in one query for them all.

    The same rule as `can_see_feedback`, asked once per candidate for an interviewer and
    not at all for a lead; exports of many candidates use this rather than a loop.
    """
    out: dict[int, list[Scorecard]] = {c.id: [] for c in candidates}
    visible = visible_candidates(user, candidates)
    if not visible:
        return out
    cards = db.session.execute(
        select(Scorecard, Loop.candidate_id)
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .join(Loop)
        .where(Loop.candidate_id.in_(visible))
        .order_by(Loop.id, LoopSession.position, Scorecard.id)
        # everything the pages and exports show, in one query per relation (no N+1)
        .options(
            selectinload(Scorecard.session).selectinload(LoopSession.questions),
            selectinload(Scorecard.interviewer),
            selectinload(Scorecard.ratings),
            selectinload(Scorecard.amendments).selectinload(Amendment.actor),
            selectinload(Scorecard.texts),
            selectinload(Scorecard.scores),
        )
    )
    for card, candidate_id in cards:
        out[candidate_id].append(card)
    return out


def queue(
    user: User, *, open_only: bool = False, done_limit: int | None = None
) -> dict[str, list[tuple[LoopSession, Scorecard | None]]]:
    """Return the user's sessions in four sections, each state in exactly one of them.

    `open_only` leaves the submitted ones out in the query itself ("done" is then empty):
    the home page shows only what is still to do, and an interviewer's history grows
    by a few hundred sessions a year. `done_limit` keeps only the newest submitted ones
    (the queue page shows the last few and links to the rest: `count_done`).

    - "done" (Submitted): the scorecard is submitted, evidence and all.
    - "overdue": not submitted, and past its deadline (`due_at`): after the ratings were
      submitted for a card waiting for its evidence; otherwise after the interview
      started (first save in the kit) or, before that, after the scheduled time.
    - "in_progress": any other scorecard that exists and is not submitted: a draft that
      was only opened, a draft with notes or scores, and ratings submitted with the
      evidence still to write.
    - "upcoming": no scorecard yet, and not overdue.
    """
    submitted = Scorecard.status == CardStatus.SUBMITTED
    if open_only or done_limit is not None:
        rows = _queue_rows(user, or_(Scorecard.id.is_(None), ~submitted))
        if not open_only:
            rows += _queue_rows(user, Scorecard.id.is_not(None) & submitted, done_limit)
    else:
        rows = _queue_rows(user, None)
    now = utcnow()
    out: dict[str, list] = {"overdue": [], "in_progress": [], "upcoming": [], "done": []}
    for session, card in rows:
        if card is not None and card.is_submitted:
            section = "done"
        elif is_overdue(session, card, now):
            section = "overdue"
        else:
            section = "upcoming" if card is None else "in_progress"
        out[section].append((session, card))
    return out


def _queue_rows(user: User, where, limit: int | None = None) -> list:
    query = (
        select(LoopSession, Scorecard)
        .join(Loop)
        .join(Candidate)
        .outerjoin(
            Scorecard,
            (Scorecard.session_id == LoopSession.id) & (Scorecard.interviewer_id == user.id),
        )
        .where(LoopSession.interviewer_id == user.id)
        .order_by(Loop.created_at.desc(), LoopSession.position)
        # the page names each session's candidate: loaded by the same joins, not one
        # query per session (tests/test_query_counts.py)
        .options(contains_eager(LoopSession.loop).contains_eager(Loop.candidate))
        .limit(limit)
    )
    if where is not None:
        query = query.where(where)
    return list(db.session.execute(query).all())


def count_done(user: User) -> int:
    """Return how many of the user's own scorecards are submitted."""
    return db.session.execute(
        select(func.count())
        .select_from(Scorecard)
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .where(
            LoopSession.interviewer_id == user.id,
            Scorecard.interviewer_id == user.id,
            Scorecard.status == CardStatus.SUBMITTED,
        )
    ).scalar_one()


def deadline() -> timedelta:
    """Return how long after its session a scorecard may stay unsubmitted (configurable)."""
    return timedelta(hours=float(current_app.config.get("SCORECARD_DEADLINE_HOURS", 24)))


def due_at(session: LoopSession, card: Scorecard | None) -> datetime | None:
    """Return when this scorecard falls overdue, or None if its clock has not started.

    The clock starts at the interview (its first save in the kit or, before that, its
    scheduled time); once ratings are submitted, it restarts for the evidence.
    """
    if card is not None and card.is_submitted:
        return None
    if card is not None and card.status == CardStatus.RATINGS_SUBMITTED:
        clock = card.ratings_submitted_at
    else:
        clock = (card.started_at if card else None) or session.scheduled_at
    return None if clock is None else clock + deadline()


def is_overdue(session: LoopSession, card: Scorecard | None, now: datetime | None = None) -> bool:
    """Return True if this session's scorecard is past its deadline and not submitted."""
    due = due_at(session, card)
    return due is not None and (now or utcnow()) > due

"""The hiring lead's rules as functions: the debrief, decisions, exports and the dashboard.

Visibility is decided once, by `kit.service.feedback_for`: every page and export here
starts from the scorecards it returns for the person asking, so an export can never hold
more than the pages show that person.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import selectinload

from .. import webhooks
from ..analytics import debrief, queries
from ..bank.reader import BankUnavailable
from ..extensions import bank, db
from ..kit import service as kit
from ..models import (
    Amendment,
    Candidate,
    CompetencyRating,
    Decision,
    KitScore,
    Loop,
    LoopQuestion,
    LoopSession,
    Scorecard,
    User,
    audit,
    utcnow,
)
from ..vocabulary import DECISIONS, CardStatus

MIN_RATIONALE = 10  # characters: a decision says why, not just "ok"
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class DecisionError(ValueError):
    """A decision that cannot be recorded; `field` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def record_decision(
    candidate: Candidate, actor: User, outcome: str, rationale: str, change_reason: str = ""
) -> Decision:
    """Record a decision, or a change to one (which needs a reason); earlier ones stay."""
    rationale = (rationale or "").strip()
    change_reason = (change_reason or "").strip()
    if outcome not in DECISIONS:
        raise DecisionError("outcome", "Choose hire, no hire or another loop.")
    if len(rationale) < MIN_RATIONALE:
        raise DecisionError(
            "rationale", "Write the rationale: what in the scorecards led to this decision."
        )
    current = candidate.decision
    if current is not None:
        if outcome == current.outcome and rationale == current.rationale:
            raise DecisionError("outcome", "That is already the decision: nothing changed.")
        if len(change_reason) < 5:
            raise DecisionError(
                "change_reason", "Say why the decision is changing (it is kept with it)."
            )
    decision = Decision(
        outcome=outcome,
        rationale=rationale,
        change_reason=change_reason if current is not None else "",
        actor_id=actor.id,
        at=utcnow(),
    )
    candidate.decisions.append(decision)
    db.session.flush()
    audit(
        actor,
        "decision_changed" if current is not None else "decision_recorded",
        candidate,
        outcome=outcome,
        previous=current.outcome if current is not None else None,
    )
    webhooks.decision_recorded(candidate, decision)
    return decision


# -- the debrief --------------------------------------------------------------------------------


@dataclass
class DebriefPage:
    """What the debrief page shows about one candidate."""

    candidate: Candidate
    result: debrief.Debrief
    sessions: list[debrief.SessionState]
    cards: list[Scorecard]  # the submitted ones, with their questions as asked
    answers: dict[int, list[dict]]


def card_scores(card: Scorecard) -> debrief.CardScores:
    """Return a scorecard as the debrief's plain data."""
    return debrief.CardScores(
        id=card.id,
        session_id=card.session_id,
        session=card.session.name,
        interviewer_id=card.interviewer_id,
        interviewer=card.interviewer.name if card.interviewer else "a removed user",
        status=card.status,
        recommendation=card.recommendation,
        scores={r.competency: r.score for r in card.ratings if r.score is not None},
        evidence={r.competency: r.evidence for r in card.ratings},
        submitted_at=card.submitted_at,
    )


def session_states(candidate: Candidate, cards: list[Scorecard]) -> list[debrief.SessionState]:
    """Return every session of the candidate's loops with who holds it and whether it is in."""
    now = utcnow()
    by_session: dict[int, list[Scorecard]] = defaultdict(list)
    for card in cards:
        by_session[card.session_id].append(card)
    # every session's interviewer in one query, not one per session
    people = {s.interviewer_id for loop in candidate.loops for s in loop.sessions} - {None}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(people))).all())
    out = []
    for loop in candidate.loops:
        for s in loop.sessions:
            mine = next(
                (c for c in by_session.get(s.id, []) if c.interviewer_id == s.interviewer_id), None
            )
            submitted = any(c.is_submitted for c in by_session.get(s.id, []))
            out.append(
                debrief.SessionState(
                    id=s.id,
                    name=s.name,
                    interviewer=names.get(s.interviewer_id),
                    submitted=submitted,
                    due=kit.due_at(s, mine) if s.interviewer_id else None,
                    overdue=bool(s.interviewer_id)
                    and not submitted
                    and kit.is_overdue(s, mine, now),
                    competencies=tuple(s.competencies),
                )
            )
    return out


def template_weights(candidate: Candidate) -> tuple[list[str], dict[str, float]]:
    """Return the competencies the candidate's loops ask for, and their template weights."""
    competencies: list[str] = []
    weights: dict[str, float] = {}
    for loop in candidate.loops:
        for s in loop.sessions:
            competencies.extend(s.competencies)
        try:
            template = bank.loop_template(loop.template_id) or {}
        except BankUnavailable:
            template = {}
        for comp, w in (template.get("weights") or {}).items():
            weights.setdefault(comp, float(w))
    return list(dict.fromkeys(competencies)), weights


def debrief_page(viewer: User, candidate: Candidate) -> DebriefPage:
    """Return the debrief of a candidate as the viewer may see it (a lead: everything)."""
    all_cards = kit.feedback_for(viewer, candidate)
    locked = [c for c in all_cards if c.ratings_locked]
    competencies, weights = template_weights(candidate)
    offsets = queries.offsets()
    titles = bank.competency_titles(missing_ok=True)
    states = session_states(candidate, all_cards)
    result = debrief.build(
        [card_scores(c) for c in locked],
        states,
        competencies,
        weights,
        offsets,
        titles,
    )
    return DebriefPage(
        candidate=candidate,
        result=result,
        sessions=states,
        cards=locked,
        answers={c.id: answers(c) for c in locked},
    )


def answers(card: Scorecard) -> list[dict]:
    """Return each question of a card's session as asked (snapshot title) with its score."""
    scores = {s.loop_question_id: s.score for s in card.scores}
    return [
        {
            "id": q.question_id,
            "title": q.title,
            "score": scores.get(q.id),
            "note": card.text(f"notes:{q.id}"),
        }
        for q in card.session.questions
    ]


# -- exports ------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "candidate_id",
    "candidate",
    "role",
    "level",
    "loop_id",
    "session",
    "interviewer",
    "scorecard_status",
    "recommendation",
    "competency",
    "score",
    "evidence",
    "submitted_at",
    "decision",
    "decision_rationale",
    "decided_at",
)


def _chunks(ids: list[int], size: int = 2000):
    """Yield ids in slices that stay far below every database's limit on bound values."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _filters(viewer: User, candidates: list[Candidate], scope=None) -> list:
    """Return the "Loop.candidate_id IN ..." clauses that select what the viewer may see.

    `scope` is a SELECT of the same candidates' ids (a role export): when every candidate
    is visible it is used as a subquery, so the database never receives a list of
    thousands of bound ids (rendering those was a fifth of an export on PostgreSQL).
    """
    visible = kit.visible_candidates(viewer, candidates)
    if scope is not None and len(visible) == len(candidates):
        return [Loop.candidate_id.in_(scope)]
    return [Loop.candidate_id.in_(chunk) for chunk in _chunks(visible)]


def _run(query, filters: list) -> list:
    """Run a query once per filter; Core rows, no per-row ORM bookkeeping."""
    rows = []
    for clause in filters:
        rows.extend(db.session.connection().execute(query.where(clause)).all())
    return rows


def _locked_cards(filters: list, *columns, ratings: bool = False):
    """Return rows of `columns` for the submitted-ratings scorecards the filters select.

    Exports read plain rows with SQL rather than ORM objects: a role export of 600
    candidates loaded 50,000 objects and took 2 s; rows take a tenth of that.
    """
    query = (
        select(*columns)
        .select_from(Scorecard)
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .join(Loop, LoopSession.loop_id == Loop.id)
        .outerjoin(User, Scorecard.interviewer_id == User.id)
        .where(Scorecard.status.in_(queries.LOCKED))
        .order_by(Loop.candidate_id, Loop.id, LoopSession.position, Scorecard.id)
    )
    if ratings:  # one row per competency rating
        query = query.join(
            CompetencyRating, CompetencyRating.scorecard_id == Scorecard.id
        ).order_by(CompetencyRating.id)
    return _run(query, filters)


def _decisions(viewer: User, candidates, scope=None) -> dict[int, list]:
    """Return candidate id -> its decisions, oldest first, as rows; empty for non-leads.

    (outcome, rationale, change_reason, by, at) rows read with SQL: loading 600
    candidates' decisions as ORM objects, and expiring them again at the audit's commit,
    was a tenth of a role export.
    """
    out: dict[int, list] = defaultdict(list)
    if not viewer.is_lead:  # decisions are shown to leads only, as on the pages
        return out
    if scope is not None:
        filters = [Decision.candidate_id.in_(scope)]
    else:
        filters = [
            Decision.candidate_id.in_(chunk) for chunk in _chunks([c.id for c in candidates])
        ]
    query = (
        select(
            Decision.candidate_id,
            Decision.outcome,
            Decision.rationale,
            Decision.change_reason,
            User.name,
            Decision.at,
        )
        .outerjoin(User, Decision.actor_id == User.id)
        .order_by(Decision.candidate_id, Decision.id)
    )
    for cid, *rest in _run(query, filters):
        out[cid].append(rest)
    return out


def export_rows(viewer: User, candidates: list[Candidate], scope=None) -> list[tuple]:
    """Return one row (in EXPORT_COLUMNS order) per submitted rating the viewer may see.

    A candidate with no visible rating still gets one row (its decision, if any), so an
    export of a role lists every candidate. Decisions are shown to leads only, as on the
    pages; interviewers see other scorecards only after submitting their own.
    """
    ratings = _locked_cards(
        _filters(viewer, candidates, scope),
        Loop.candidate_id,
        Loop.id,
        LoopSession.name,
        User.name,
        Scorecard.status,
        Scorecard.recommendation,
        CompetencyRating.competency,
        CompetencyRating.score,
        CompetencyRating.evidence,
        # the stored text of the timestamp: parsing 7,000 datetimes only to print them
        # again was a quarter of a role export on SQLite
        cast(func.coalesce(Scorecard.submitted_at, Scorecard.ratings_submitted_at), String),
        ratings=True,
    )
    by_candidate: dict[int, list] = defaultdict(list)
    for row in ratings:
        by_candidate[row[0]].append(row)
    decisions = _decisions(viewer, candidates, scope)
    rows = []
    empty = ("",) * 10
    for candidate in candidates:
        head = (candidate.id, candidate.name, candidate.role_title, candidate.level)
        made = decisions.get(candidate.id)
        if made:  # the latest is the one in force
            outcome, rationale, _, _, at = made[-1]
            tail = (outcome, rationale, _iso(at))
        else:
            tail = ("",) * 3
        mine = by_candidate.get(candidate.id)
        if not mine:
            rows.append(head + empty[:9] + tail)
            continue
        for _, loop_id, session, who, status, rec, comp, score, evidence, stamp in mine:
            rows.append(
                (
                    *head,
                    loop_id,
                    session,
                    who or "",
                    status,
                    rec or "",
                    comp,
                    "" if score is None else score,
                    evidence if status == CardStatus.SUBMITTED else "",
                    _stamp(stamp),
                    *tail,
                )
            )
    return rows


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") + "Z" if value else ""


def _stamp(text: str | None) -> str:
    """Return a timestamp as the database printed it ("2026-12-02 15:28:00.12") like _iso."""
    return text[:19].replace(" ", "T") + "Z" if text else ""


def export_json(viewer: User, candidates: list[Candidate], scope=None) -> list[dict]:
    """Return candidates with their visible scorecards, questions and decision history."""
    filters = _filters(viewer, candidates, scope)
    cards = _locked_cards(
        filters,
        Scorecard.id,
        Loop.candidate_id,
        Loop.id,
        LoopSession.id,
        LoopSession.name,
        User.name,
        Scorecard.status,
        Scorecard.recommendation,
        Scorecard.submitted_at,
    )
    ratings: dict[int, list] = defaultdict(list)
    for card_id, comp, score, evidence, status in _locked_cards(
        filters,
        Scorecard.id,
        CompetencyRating.competency,
        CompetencyRating.score,
        CompetencyRating.evidence,
        Scorecard.status,
        ratings=True,
    ):
        ratings[card_id].append(
            {
                "competency": comp,
                "score": score,
                "evidence": evidence if status == CardStatus.SUBMITTED else None,
            }
        )
    questions: dict[int, list] = defaultdict(list)  # session id -> questions as asked
    scores: dict[tuple[int, int], int | None] = {}
    amendments: dict[int, list] = defaultdict(list)
    in_loops = (
        select()
        .join(LoopSession, LoopQuestion.session_id == LoopSession.id)
        .join(Loop, LoopSession.loop_id == Loop.id)
    )
    placed = _run(
        in_loops.add_columns(
            LoopQuestion.session_id,
            LoopQuestion.id,
            LoopQuestion.question_id,
            LoopQuestion.content_hash,
        ).order_by(LoopQuestion.session_id, LoopQuestion.position),
        filters,
    )
    # titles once per question version, not parsed from every placement's snapshot
    # (on PostgreSQL that parse was 330 ms of a 600-candidate export)
    as_asked = queries.version_titles({(qid, chash) for _, _, qid, chash in placed})
    for sid, lq_id, qid, chash in placed:
        questions[sid].append((lq_id, qid, as_asked.get((qid, chash), qid)))
    for card_id, lq_id, score in _run(
        select(KitScore.scorecard_id, KitScore.loop_question_id, KitScore.score)
        .join(Scorecard, KitScore.scorecard_id == Scorecard.id)
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .join(Loop, LoopSession.loop_id == Loop.id)
        .where(Scorecard.status == CardStatus.SUBMITTED),
        filters,
    ):
        scores[(card_id, lq_id)] = score
    for card_id, at, reason, changes in _run(
        select(Amendment.scorecard_id, Amendment.at, Amendment.reason, Amendment.changes)
        .join(Scorecard, Amendment.scorecard_id == Scorecard.id)
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .join(Loop, LoopSession.loop_id == Loop.id)
        .order_by(Amendment.id),
        filters,
    ):
        amendments[card_id].append({"at": _iso(at), "reason": reason, "changes": changes})
    decisions = _decisions(viewer, candidates, scope)
    by_candidate: dict[int, list] = defaultdict(list)
    for card_id, cand, loop_id, sid, session, who, status, rec, done in cards:
        by_candidate[cand].append(
            {
                "id": card_id,
                "loop_id": loop_id,
                "session": session,
                "interviewer": who,
                "status": status,
                "recommendation": rec,
                "submitted_at": _iso(done) or None,
                "ratings": ratings.get(card_id, []),
                "questions": [
                    {"id": qid, "title": title, "score": scores.get((card_id, lq_id))}
                    for lq_id, qid, title in questions.get(sid, [])
                ]
                if status == CardStatus.SUBMITTED
                else [],
                "amendments": amendments.get(card_id, []),
            }
        )
    out = []
    lead = viewer.is_lead  # once: `viewer` is often Flask-Login's proxy
    for candidate in candidates:
        item = {
            "id": candidate.id,
            "name": candidate.name,
            "role": candidate.role_title,
            "level": candidate.level,
            "scorecards": by_candidate.get(candidate.id, []),
        }
        if lead:
            item["decisions"] = [
                {
                    "outcome": outcome,
                    "rationale": rationale,
                    "change_reason": change or None,
                    "by": by,
                    "at": _iso(at),
                }
                for outcome, rationale, change, by, at in decisions.get(candidate.id, ())
            ]
        out.append(item)
    return out


FORMULA_SET = frozenset(FORMULA_START)


def neutralise(value) -> str:
    """Return a CSV cell a spreadsheet shows as text, never runs as a formula.

    A cell starting with = + - @ (or a tab or carriage return) gets a leading
    apostrophe, the convention spreadsheets read as "this is text" (OWASP's advice).
    """
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_SET else text


def to_csv(rows, columns=EXPORT_COLUMNS) -> str:
    """Return rows (sequences in `columns` order) as CSV text with every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    # only text can start a formula; numbers and empty cells pass through untouched
    writer.writerows(
        [
            "'" + v if type(v) is str and v[:1] in FORMULA_SET else ("" if v is None else v)
            for v in row
        ]
        for row in rows
    )
    return out.getvalue()


def role_filter(role: str, level: str = "") -> list:
    """Return the WHERE clauses that pick a role's candidates (and level)."""
    clauses = [func.lower(Candidate.role_title) == role.strip().lower()]
    if level:
        clauses.append(Candidate.level == level)
    return clauses


def role_scope(role: str, level: str = ""):
    """Return a SELECT of the ids of a role's candidates, for exports to use as a subquery."""
    return select(Candidate.id).where(*role_filter(role, level))


def role_rows(role: str, level: str = "") -> list:
    """Return (id, name, role_title, level) rows of a role's candidates, for exports.

    Plain rows with the attributes the exports read; no ORM objects to load and expire.
    """
    return db.session.execute(
        select(Candidate.id, Candidate.name, Candidate.role_title, Candidate.level)
        .where(*role_filter(role, level))
        .order_by(Candidate.id)
    ).all()


def candidates_for_role(role: str, level: str = "") -> list[Candidate]:
    """Return the candidates for a role (and level), with their decisions loaded."""
    query = (
        select(Candidate)
        .where(*role_filter(role, level))
        .order_by(Candidate.id)
        .options(selectinload(Candidate.decisions).selectinload(Decision.actor))
    )
    return list(db.session.execute(query).scalars())


def roles() -> list[tuple[str, str, int]]:
    """Return (role, level, candidates) for every role and level that has candidates."""
    return [
        (role, level, n)
        for role, level, n in db.session.execute(
            select(Candidate.role_title, Candidate.level, func.count())
            .group_by(Candidate.role_title, Candidate.level)
            .order_by(Candidate.role_title, Candidate.level)
        )
    ]


# -- the lead's dashboard -----------------------------------------------------------------------


@dataclass
class Dashboard:
    """What a hiring lead should act on now."""

    awaiting: list[tuple[Candidate, int, int]]  # candidate, scorecards in, sessions
    missing: list[tuple[Loop, list[str]]]  # loop, sessions without a submitted scorecard
    overdue: dict[str, list[tuple[LoopSession, datetime | None]]]  # interviewer -> sessions


def dashboard() -> Dashboard:
    """Return candidates awaiting a decision, loops missing scorecards and overdue ones."""
    active = list(
        db.session.execute(
            select(Candidate)
            .where(Candidate.status.in_(("active", "on_hold")))
            .order_by(Candidate.created_at)
            .options(
                selectinload(Candidate.decisions),
                selectinload(Candidate.loops)
                .selectinload(Loop.sessions)
                .selectinload(LoopSession.interviewer),
            )
        ).scalars()
    )
    session_ids = [s.id for c in active for lp in c.loops for s in lp.sessions]
    by_session: dict[int, list[Scorecard]] = defaultdict(list)
    for chunk in _chunks(session_ids):
        for card in db.session.execute(
            select(Scorecard).where(Scorecard.session_id.in_(chunk))
        ).scalars():
            by_session[card.session_id].append(card)
    awaiting, missing = [], []
    overdue: dict[str, list] = defaultdict(list)
    for candidate in active:
        # the debrief's own rule for what is submitted, missing and overdue
        sessions = {s.id: s for lp in candidate.loops for s in lp.sessions}
        states = session_states(candidate, [c for sid in sessions for c in by_session[sid]])
        done = sum(1 for st in states if st.submitted)
        if done and candidate.decision is None:
            awaiting.append((candidate, done, len(states)))
        for lp in candidate.loops:
            mine = [st for st in states if sessions[st.id].loop_id == lp.id]
            gaps = [st.name for st in mine if not st.submitted]
            if gaps and len(gaps) < len(mine):
                missing.append((lp, gaps))
        for st in states:
            if st.overdue:
                overdue[st.interviewer].append((sessions[st.id], st.due))
    return Dashboard(awaiting, missing, dict(sorted(overdue.items())))

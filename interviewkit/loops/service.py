"""Create and edit interview loops in the app database, using the bank and the assembler.

Every change to a loop's questions goes through here, so the rules are checked in one
place and every placed question gets its snapshot (content as asked).
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from .. import scheduling, webhooks
from ..bank.records import BankQuestion
from ..extensions import bank, db
from ..models import Candidate, Loop, LoopQuestion, LoopSession, Scorecard, User, audit
from ..vocabulary import CardStatus
from .assembly import SessionSpec, Violation, alternatives, assemble, check_session


class RuleError(Exception):
    """A change would break a loop rule that is not allowed (the messages say which)."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(v.message for v in violations))
        self.violations = violations


FROZEN_HELP = (
    "Add a new session for anything else to ask; the interviewer can amend their own "
    "scorecard, with a reason, if it needs correcting."
)


def sessions_with_feedback(loop: Loop) -> dict[int, Scorecard]:
    """Return the sessions of a loop that hold feedback: session id -> the furthest scorecard.

    A scorecard counts once it is more than an untouched draft: anything was typed or
    scored (started), or ratings were submitted. Such a session is frozen: its questions
    and interviewer never change, so nothing an interviewer wrote is lost or orphaned.
    """
    rank = {CardStatus.SUBMITTED: 2, CardStatus.RATINGS_SUBMITTED: 1, CardStatus.DRAFT: 0}
    rows = db.session.execute(
        select(Scorecard)
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .where(
            LoopSession.loop_id == loop.id,
            (Scorecard.started_at.is_not(None)) | (Scorecard.status != CardStatus.DRAFT),
        )
    ).scalars()
    out: dict[int, Scorecard] = {}
    for card in rows:
        best = out.get(card.session_id)
        if best is None or rank.get(card.status, 0) > rank.get(best.status, 0):
            out[card.session_id] = card
    return out


def frozen_reason(card: Scorecard) -> str:
    """Return why a session with this scorecard cannot be edited, for the loop page."""
    who = card.interviewer.name if card.interviewer else "a removed user"
    state = {
        CardStatus.SUBMITTED: "submitted a scorecard",
        CardStatus.RATINGS_SUBMITTED: "submitted ratings",
    }.get(card.status, "started notes and scores")
    return f"{who} has {state} for this session, so its questions and interviewer are fixed."


def _ensure_open(session: LoopSession) -> None:
    """Refuse an edit to a session that holds an interviewer's feedback."""
    card = sessions_with_feedback(session.loop).get(session.id)
    if card is not None:
        raise RuleError([Violation("error", f"{frozen_reason(card)} {FROZEN_HELP}")])


def usage_counts() -> dict[str, int]:
    """Return how many times each question has been placed in any loop."""
    rows = db.session.execute(
        select(LoopQuestion.question_id, func.count()).group_by(LoopQuestion.question_id)
    )
    return {qid: n for qid, n in rows}


def asked_before(candidate: Candidate, except_loop: Loop | None = None) -> set[str]:
    """Return the ids of questions in this candidate's other loops."""
    query = (
        select(LoopQuestion.question_id)
        .join(LoopSession)
        .join(Loop)
        .where(Loop.candidate_id == candidate.id)
    )
    if except_loop is not None and except_loop.id is not None:
        query = query.where(Loop.id != except_loop.id)
    return set(db.session.execute(query).scalars())


def set_prep_note(loop: Loop, text: str, actor: User, **detail) -> bool:
    """Change the loop's prep note; the interviewers of its upcoming scheduled sessions get
    the updated invite (the note is in it). False if the text is the same (nothing sent)."""
    if text == loop.prep_note:
        return False
    audit(actor, "prep_note_changed", loop, before=loop.prep_note, after=text, **detail)
    loop.prep_note = text
    for session in loop.sessions:
        scheduling.details_changed(session)
    return True


def _place(
    session: LoopSession,
    question_id: str,
    position: int,
    covers,
    reason: str,
    bank_build: str | None = None,
) -> LoopQuestion:
    """Put a question in a session with its snapshot; `bank_build` saves a lookup per call."""
    snap = bank.snapshot(question_id, bank_build)
    if snap is None:
        raise RuleError([Violation("error", f"Question {question_id!r} is not in the bank.")])
    content_hash, snapshot = snap
    lq = LoopQuestion(
        question_id=question_id,
        content_hash=content_hash,
        snapshot=snapshot,
        position=position,
        covers=list(covers),
        reason=reason,
    )
    session.questions.append(lq)
    return lq


def create_loop(candidate: Candidate, template: dict, actor: User, seed: str | None = None) -> Loop:
    """Assemble a loop from a template for a candidate and store it with its snapshots."""
    seed = seed or secrets.token_hex(4)
    specs = [
        SessionSpec(s["name"], s["minutes"], tuple(s["competencies"]), tuple(s.get("kinds", ())))
        for s in template["sessions"]
    ]
    plan = assemble(
        specs,
        candidate.level,
        bank.bank_questions(),
        seed=seed,
        exclude=asked_before(candidate),
        usage=usage_counts(),
        language=candidate.language,
    )
    loop = Loop(
        candidate=candidate,
        template_id=template["id"],
        level=candidate.level,
        title=template["title"],
        seed=seed,
        bank_build=bank.build_id(),
        notes=plan.notes,
        created_by_id=actor.id,
    )
    for index, sp in enumerate(plan.sessions):
        session = LoopSession(
            position=index,
            name=sp.spec.name,
            minutes=sp.spec.minutes,
            competencies=list(sp.spec.competencies),
            kinds=list(sp.spec.kinds),
            notes=sp.notes,
        )
        loop.sessions.append(session)
        for position, pick in enumerate(sp.picks):
            _place(session, pick.question.id, position, pick.covers, pick.reason, loop.bank_build)
    db.session.add(loop)
    db.session.flush()
    audit(actor, "loop_created", loop, candidate=candidate.id, template=template["id"], seed=seed)
    webhooks.loop_assembled(loop)
    return loop


def _bank_by_id() -> dict[str, BankQuestion]:
    return {q.id: q for q in bank.bank_questions()}


def _as_bank(lq: LoopQuestion) -> BankQuestion:
    s = lq.snapshot
    return BankQuestion(
        lq.question_id,
        s["title"],
        s["minutes"],
        tuple(s["competencies"]),
        tuple(s["levels"]),
        kind=s.get("kind", ""),
        languages=tuple(s.get("languages", ())),
    )


def session_spec(session: LoopSession) -> SessionSpec:
    """Return the rules a placed session was assembled under."""
    return SessionSpec(
        session.name, session.minutes, tuple(session.competencies), tuple(session.kinds or ())
    )


def check(
    session: LoopSession, questions: list[BankQuestion], asked: set[str] | None = None
) -> list[Violation]:
    """Check a session's (proposed) questions against the loop rules.

    `asked`: the questions of the candidate's other loops, when the caller has them
    (`check_loop` reads them once for every session).
    """
    loop = session.loop
    elsewhere = [q.question_id for s in loop.sessions if s is not session for q in s.questions]
    spec = session_spec(session)
    return check_session(
        spec,
        questions,
        loop.level,
        loop_ids_elsewhere=elsewhere,
        exclude=asked_before(loop.candidate, except_loop=loop) if asked is None else asked,
    )


def check_loop(loop: Loop) -> dict[int, list[Violation]]:
    """Check every session of a loop as it stands; session id -> violations."""
    asked = asked_before(loop.candidate, except_loop=loop)
    return {s.id: check(s, [_as_bank(q) for q in s.questions], asked) for s in loop.sessions}


def _apply(session: LoopSession, proposed: list[BankQuestion]) -> list[Violation]:
    violations = check(session, proposed)
    errors = [v for v in violations if v.severity == "error"]
    if errors:
        raise RuleError(errors)
    return violations


def suggestions(lq: LoopQuestion, limit: int = 5) -> list[BankQuestion]:
    """Return suggested replacements for a placed question."""
    from .assembly import LoopPlan, Pick, SessionPlan

    loop = lq.session.loop
    plan = LoopPlan(
        [
            SessionPlan(
                session_spec(s),
                [Pick(_as_bank(q), tuple(q.covers), q.reason) for q in s.questions],
                [],
            )
            for s in loop.sessions
        ]
    )
    session_index = loop.sessions.index(lq.session)
    pick_index = lq.session.questions.index(lq)
    return alternatives(
        plan,
        session_index,
        pick_index,
        loop.level,
        bank.bank_questions(),
        exclude=asked_before(loop.candidate, except_loop=loop),
        usage=usage_counts(),
        limit=limit,
    )


def swap(lq: LoopQuestion, new_id: str, actor: User) -> list[Violation]:
    """Replace a placed question with another; return the warnings, raise on errors."""
    session = lq.session
    _ensure_open(session)
    new = _bank_by_id().get(new_id)
    if new is None:
        raise RuleError([Violation("error", f"Question {new_id!r} is not in the bank.")])
    proposed = [new if q is lq else _as_bank(q) for q in session.questions]
    warnings = _apply(session, proposed)
    old_id, position = lq.question_id, lq.position
    session.questions.remove(lq)
    db.session.delete(lq)
    covers = [c for c in new.competencies if c in session.competencies]
    _place(session, new_id, position, covers, "chosen by hand")
    audit(actor, "question_swapped", session.loop, session=session.id, old=old_id, new=new_id)
    return warnings


def add(session: LoopSession, new_id: str, actor: User) -> list[Violation]:
    """Add a question at the end of a session; return the warnings, raise on errors."""
    _ensure_open(session)
    new = _bank_by_id().get(new_id)
    if new is None:
        raise RuleError([Violation("error", f"Question {new_id!r} is not in the bank.")])
    warnings = _apply(session, [*map(_as_bank, session.questions), new])
    covers = [c for c in new.competencies if c in session.competencies]
    _place(session, new_id, len(session.questions), covers, "picked by search")
    audit(actor, "question_added", session.loop, session=session.id, question=new_id)
    return warnings


def remove(lq: LoopQuestion, actor: User) -> list[Violation]:
    """Take a question out of its session; return warnings (e.g. a competency left uncovered)."""
    session = lq.session
    _ensure_open(session)
    rest = [q for q in session.questions if q is not lq]
    warnings = check(session, [_as_bank(q) for q in rest])
    session.questions.remove(lq)
    db.session.delete(lq)
    for position, q in enumerate(rest):
        q.position = position
    audit(actor, "question_removed", session.loop, session=session.id, question=lq.question_id)
    return warnings


def move(lq: LoopQuestion, offset: int, actor: User) -> None:
    """Move a question up (-1) or down (+1) within its session."""
    _ensure_open(lq.session)
    questions = list(lq.session.questions)
    i = questions.index(lq)
    j = max(0, min(len(questions) - 1, i + offset))
    questions.insert(j, questions.pop(i))
    for position, q in enumerate(questions):
        q.position = position
    lq.session.questions.sort(key=lambda q: q.position)
    audit(
        actor,
        "question_moved",
        lq.session.loop,
        session=lq.session.id,
        question=lq.question_id,
        to=j,
    )


def assign(session: LoopSession, interviewer: User | None, actor: User) -> None:
    """Assign an interviewer (or nobody) to a session that holds no feedback yet."""
    new_id = interviewer.id if interviewer is not None else None
    if new_id == session.interviewer_id:
        return
    _ensure_open(session)
    if interviewer is not None and not interviewer.active:
        raise RuleError(
            [Violation("error", f"{interviewer.name} is disabled: choose someone else.")]
        )
    scheduling.interviewer_changed(session, session.interviewer, interviewer)  # invites
    session.interviewer_id = new_id
    audit(actor, "interviewer_assigned", session.loop, session=session.id, interviewer=new_id)


def add_session(
    loop: Loop,
    name: str,
    minutes: int,
    competencies: list[str],
    actor: User,
    kinds: list[str] | tuple[str, ...] = (),
) -> LoopSession:
    """Append a new, empty session to a loop (the safe edit once others hold feedback).

    `kinds` limits the session to those question kinds (`[hands-on]` for a coding session).
    """
    if not competencies:
        raise RuleError([Violation("error", "Choose at least one competency for the session.")])
    session = LoopSession(
        position=len(loop.sessions),
        name=name,
        minutes=minutes,
        competencies=list(competencies),
        kinds=list(kinds),
        notes=[],
    )
    loop.sessions.append(session)
    db.session.flush()
    audit(actor, "session_added", loop, session=session.id, name=name)
    return session

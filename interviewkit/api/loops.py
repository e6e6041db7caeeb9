"""The API's loops: assemble one for a candidate, read it, write the prep note, assign an
interviewer to a session and swap a question, with the same rules as the loop page.

Every change goes through `loops.service`, so the rules (a session that holds feedback is
frozen, a question must suit the session) hold here exactly as on the page; a change that
breaks one is a 409 `loop-rule` problem listing the rules. The loop's ETag covers its
sessions and questions: PATCH needs If-Match, so two scripts never undo each other.
"""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from ..candidates.forms import LoopForm, PrepNoteForm
from ..extensions import bank, db
from ..inputs import MAX_DB_ID
from ..loops import service
from ..models import Candidate, Loop, LoopQuestion, LoopSession, User
from . import bp
from .common import (
    LEADS,
    api_user,
    check_if_match,
    created,
    etag,
    iso_time,
    json_object,
    json_response,
    person_json,
    require,
    tagged,
    validated,
)
from .problems import ApiProblem


def question_json(lq: LoopQuestion) -> dict:
    """Return a placed question as asked (its snapshot), with why it was chosen."""
    return {
        "id": lq.id,
        "question_id": lq.question_id,
        "position": lq.position,
        "title": lq.title,
        "minutes": lq.snapshot.get("minutes"),
        "covers": list(lq.covers or []),
        "reason": lq.reason,
        "content_hash": lq.content_hash,
    }


def session_json(session: LoopSession, frozen: str | None = None, checks=()) -> dict:
    """Return a session: its plan, interviewer and questions (no one's feedback)."""
    return {
        "id": session.id,
        "loop_id": session.loop_id,
        "position": session.position,
        "name": session.name,
        "minutes": session.minutes,
        "competencies": list(session.competencies or []),
        "kinds": list(session.kinds or []),
        "interviewer": person_json(session.interviewer),
        "scheduled_at": iso_time(session.scheduled_at),
        "notes": list(session.notes or []),
        "frozen": frozen,
        "checks": [{"severity": v.severity, "message": v.message} for v in checks],
        "questions": [question_json(q) for q in session.questions],
    }


def loop_json(loop: Loop) -> dict:
    """Return a loop as its page shows it: sessions, questions, rule checks, frozen sessions."""
    frozen = {
        sid: service.frozen_reason(card)
        for sid, card in service.sessions_with_feedback(loop).items()
    }
    checks = service.check_loop(loop)
    return {
        "id": loop.id,
        "candidate_id": loop.candidate_id,
        "title": loop.title,
        "template_id": loop.template_id,
        "level": loop.level,
        "seed": loop.seed,
        "bank_build": loop.bank_build,
        "prep_note": loop.prep_note,
        "notes": list(loop.notes or []),
        "created_at": iso_time(loop.created_at),
        "sessions": [
            session_json(s, frozen.get(s.id), checks.get(s.id, ())) for s in loop.sessions
        ],
        "url": url_for("api.loop", loop_id=loop.id),
    }


def _loop_or_404(loop_id: int) -> Loop:
    loop = db.session.get(Loop, loop_id)
    if loop is None:
        raise ApiProblem("not-found", f"No loop {loop_id}.")
    return loop


def _answer(loop: Loop, warnings=()):
    """Answer a change with the loop as it now stands, its new ETag and any warnings."""
    db.session.refresh(loop)
    body = loop_json(loop)
    tag = etag(body)
    body["warnings"] = [{"severity": v.severity, "message": v.message} for v in warnings]
    return json_response(body, headers={"ETag": tag})


def _rules(action):
    """Run a change through the loop rules: commit it, or roll back and answer 409."""
    try:
        warnings = action()
    except service.RuleError as exc:
        db.session.rollback()
        raise ApiProblem(
            "loop-rule",
            str(exc),
            extra={
                "violations": [
                    {"severity": v.severity, "message": v.message} for v in exc.violations
                ]
            },
        ) from None
    db.session.commit()
    return warnings or []


@bp.post("/candidates/<int:candidate_id>/loops")
def create_loop(candidate_id: int):
    """Assemble a loop for a candidate from a loop template (Idempotency-Key honoured)."""
    require(*LEADS)
    data = json_object({"template_id": str, "seed": str}, required=("template_id",))
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None:
        raise ApiProblem("not-found", f"No candidate {candidate_id}.")
    templates = bank.loop_templates()

    def make():
        form = LoopForm(
            formdata=MultiDict({"template": data["template_id"], "seed": data.get("seed", "")}),
            meta={"csrf": False},
        )
        form.template.choices = [SelectChoice(value=t["id"], label=t["title"]) for t in templates]
        try:
            validated(form)
        except ApiProblem as problem:
            field = {"template": "template_id"}.get(problem.field, problem.field)
            raise ApiProblem(
                "invalid-field",
                problem.description.replace("template:", "template_id:"),
                field=field,
            ) from None
        template = next(t for t in templates if t["id"] == form.template.data)
        loop = service.create_loop(candidate, template, api_user(), form.seed.data or None)
        db.session.flush()
        db.session.refresh(loop)
        return loop_json(loop), loop

    return created(make, lambda loop: url_for("api.loop", loop_id=loop.id))


@bp.get("/loops/<int:loop_id>")
def loop(loop_id: int):
    """Return a loop with its sessions, questions and rule checks, and its ETag."""
    require(*LEADS)
    body = loop_json(_loop_or_404(loop_id))
    return tagged(body)


@bp.patch("/loops/<int:loop_id>")
def update_loop(loop_id: int):
    """Change the loop's prep note (shown at the top of every kit); If-Match required."""
    require(*LEADS)
    data = json_object({"prep_note": str})
    loop = _loop_or_404(loop_id)
    check_if_match(etag(loop_json(loop)), "loop")
    if "prep_note" in data:
        form = validated(
            PrepNoteForm(formdata=MultiDict({"prep_note": data["prep_note"]}), meta={"csrf": False})
        )
        text = (form.prep_note.data or "").strip()
        if service.set_prep_note(loop, text, api_user(), via="api"):
            db.session.commit()
    return _answer(loop)


def _session_in(loop: Loop, session_id: int) -> LoopSession:
    session = db.session.get(LoopSession, session_id)
    if session is None or session.loop_id != loop.id:
        raise ApiProblem("not-found", f"No session {session_id} in loop {loop.id}.")
    return session


@bp.patch("/loops/<int:loop_id>/sessions/<int:session_id>")
def update_session(loop_id: int, session_id: int):
    """Assign an interviewer (or nobody: null) to a session; If-Match takes the loop's ETag."""
    require(*LEADS)
    data = json_object({"interviewer_id": (int, type(None))})
    loop = _loop_or_404(loop_id)
    session = _session_in(loop, session_id)
    check_if_match(etag(loop_json(loop)), "loop")
    if "interviewer_id" in data:
        interviewer = None
        if data["interviewer_id"] is not None and 0 < data["interviewer_id"] <= MAX_DB_ID:
            interviewer = db.session.execute(
                select(User).where(User.id == data["interviewer_id"], User.active.is_(True))
            ).scalar_one_or_none()
        if data["interviewer_id"] is not None and interviewer is None:
            raise ApiProblem(
                "invalid-field",
                "interviewer_id: no active user has this id (GET /api/v1/users lists "
                "them), or send null for nobody.",
                field="interviewer_id",
            )
        _rules(lambda: service.assign(session, interviewer, api_user()))
    return _answer(loop)


@bp.post("/loops/<int:loop_id>/questions/<int:lq_id>/swap")
def swap_question(loop_id: int, lq_id: int):
    """Swap a placed question for another from the bank; the rules are checked first."""
    require(*LEADS)
    data = json_object({"question_id": str}, required=("question_id",))
    loop = _loop_or_404(loop_id)
    lq = db.session.get(LoopQuestion, lq_id)
    if lq is None or lq.session.loop_id != loop.id:
        raise ApiProblem("not-found", f"No question {lq_id} in loop {loop.id}.")
    new_id = data["question_id"].strip()
    if not new_id or len(new_id) > 200:
        raise ApiProblem("invalid-field", "question_id: a bank question's id.", field="question_id")
    warnings = _rules(lambda: service.swap(lq, new_id, api_user()))
    return _answer(loop, warnings=warnings)

"""The API's scorecards, decisions and debrief, under the pages' independence rule.

An interviewer works on their own scorecard exactly as in the kit: autosave (the same
versioned items, each saved or refused on its own), submit the ratings, then submit the
evidence. What others wrote is readable only as the feedback page allows: hiring leads and
admins always; an interviewer only after submitting their own scorecard for that
candidate (a 403 `feedback-hidden` before); someone with no part in the candidate's loops
gets a 404, as for a candidate that does not exist. A draft is no one's feedback: only its
author reads it.
"""

from __future__ import annotations

from flask import url_for
from sqlalchemy.exc import IntegrityError

from ..analytics import debrief as debrief_math
from ..extensions import db
from ..kit import service as kit
from ..models import Candidate, LoopSession, Scorecard, User, audit
from ..observability import count_autosave
from ..review import service as review
from ..vocabulary import CardStatus
from . import bp
from .common import (
    LEADS,
    api_user,
    candidate_or_404,
    check_if_match,
    created,
    etag,
    iso_time,
    json_object,
    json_response,
    person_json,
    require,
    tagged,
)
from .loops import session_json
from .problems import ApiProblem


def card_json(card: Scorecard, viewer: User) -> dict:
    """Return a scorecard as feedback: ratings, recommendation, evidence, answers, amendments.

    Evidence, question scores and notes are the interviewer's once the card is submitted;
    hiring leads see them once the ratings are locked, as on the debrief page.
    """
    full = card.is_submitted or viewer.is_lead or card.interviewer_id == viewer.id
    session = card.session
    scores = {s.loop_question_id: s.score for s in card.scores}
    return {
        "id": card.id,
        "session": {"id": session.id, "name": session.name},
        "loop_id": session.loop_id,
        "candidate_id": session.loop.candidate_id,
        "interviewer": person_json(card.interviewer),
        "status": card.status,
        "recommendation": card.recommendation if card.ratings_locked else None,
        "ratings": [
            {
                "competency": r.competency,
                "score": r.score,
                "suggested": r.suggested,
                "reason": r.reason,
                "evidence": r.evidence if card.is_submitted else "",
            }
            for r in card.ratings
        ],
        "questions": [
            {
                "loop_question_id": q.id,
                "question_id": q.question_id,
                "title": q.title,
                "score": scores.get(q.id),
                "note": card.text(f"notes:{q.id}"),
            }
            for q in session.questions
        ]
        if full
        else [],
        "amendments": [
            {
                "at": iso_time(a.at),
                "by": person_json(a.actor),
                "reason": a.reason,
                "changes": a.changes,
            }
            for a in card.amendments
        ],
        "ratings_submitted_at": iso_time(card.ratings_submitted_at),
        "submitted_at": iso_time(card.submitted_at),
        "url": url_for("api.scorecard", scorecard_id=card.id),
    }


def _candidate_on_panel(candidate_id: int) -> Candidate:
    """Return a candidate whose feedback the caller may read, or raise 404 / 403."""
    user = api_user()
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None or not kit.is_on_panel(user, candidate):
        # the same answer for "no such candidate" and "not your candidate"
        raise ApiProblem("not-found", f"No candidate {candidate_id}.")
    if not kit.can_see_feedback(user, candidate):
        raise ApiProblem(
            "feedback-hidden",
            "Colleagues' feedback opens once you submit your own scorecard for this candidate.",
        )
    return candidate


@bp.get("/candidates/<int:candidate_id>/scorecards")
def candidate_scorecards(candidate_id: int):
    """List a candidate's scorecards with locked ratings, as the feedback page shows them."""
    user = api_user()
    candidate = _candidate_on_panel(candidate_id)
    cards = [c for c in kit.feedback_for(user, candidate) if c.ratings_locked]
    _exported(candidate, "scorecards")
    return json_response({"items": [card_json(c, user) for c in cards]})


def _exported(target, what: str) -> None:
    """Record that a client read feedback out of the app, as the pages' exports do."""
    audit(api_user(), "exported", target, format="api", what=what)
    db.session.commit()


@bp.get("/scorecards/<int:scorecard_id>")
def scorecard(scorecard_id: int):
    """Return one scorecard: your own in any state, others' once you may see feedback."""
    user = api_user()
    card = db.session.get(Scorecard, scorecard_id)
    if card is None:
        raise ApiProblem("not-found", f"No scorecard {scorecard_id}.")
    if card.interviewer_id != user.id:
        _candidate_on_panel(card.session.loop.candidate_id)
        if not card.ratings_locked:
            raise ApiProblem("not-found", f"No scorecard {scorecard_id}.")
        _exported(card, "scorecard")  # someone else's feedback, read by a client
    return json_response(card_json(card, user))


# -- the interviewer's own sessions and scorecard ---------------------------------------------


def _own_session(session_id: int) -> LoopSession:
    session = db.session.get(LoopSession, session_id)
    if session is None:
        raise ApiProblem("not-found", f"No session {session_id}.")
    if session.interviewer_id != api_user().id:
        raise ApiProblem("forbidden", "This interview is assigned to someone else, not to you.")
    return session


def _kit_json(session: LoopSession) -> dict:
    """Return a session as its kit shows it: the plan, the prep note and the candidate."""
    candidate = session.loop.candidate
    return {
        **session_json(session),
        "prep_note": session.loop.prep_note,
        "level": session.loop.level,
        "candidate": {
            "id": candidate.id,
            "name": candidate.name,
            "role_title": candidate.role_title,
            "level": candidate.level,
            "links": list(candidate.links or []),
            "language": candidate.language,
        },
        "due_at": iso_time(
            kit.due_at(session, kit.scorecard_for(session, api_user(), create=False))
        ),
        "scorecard": url_for("api.own_scorecard", session_id=session.id),
    }


@bp.get("/me/sessions")
def my_sessions():
    """List your interviews: overdue, in progress, upcoming and done, as on your queue."""
    sections = kit.queue(api_user())
    out = {}
    for name, rows in sections.items():
        out[name] = [
            {
                "session_id": session.id,
                "name": session.name,
                "candidate": session.loop.candidate.name,
                "scheduled_at": iso_time(session.scheduled_at),
                "status": card.status if card is not None else None,
                "due_at": iso_time(kit.due_at(session, card)),
                "url": url_for("api.my_session", session_id=session.id),
            }
            for session, card in rows
        ]
    return json_response(out)


@bp.get("/me/sessions/<int:session_id>")
def my_session(session_id: int):
    """Return one of your interviews as its kit shows it (questions as asked, prep note)."""
    return json_response(_kit_json(_own_session(session_id)))


def own_json(session: LoopSession, card: Scorecard | None) -> dict:
    """Return your scorecard with every saved text and score and its version (the kit's)."""
    state = kit.kit_state(card)
    return {
        "id": card.id if card is not None else None,
        "session_id": session.id,
        "status": state["status"],
        "recommendation": card.recommendation if card is not None else None,
        "texts": state["texts"],
        "scores": state["scores"],
        "suggested": kit.suggested_ratings(card)
        if card is not None
        else dict.fromkeys(session.competencies),
        "ratings": [
            {
                "competency": r.competency,
                "score": r.score,
                "suggested": r.suggested,
                "reason": r.reason,
                "evidence": r.evidence,
            }
            for r in (card.ratings if card is not None else [])
        ],
        "ratings_submitted_at": iso_time(card.ratings_submitted_at if card else None),
        "submitted_at": iso_time(card.submitted_at if card else None),
    }


@bp.get("/me/sessions/<int:session_id>/scorecard")
def own_scorecard(session_id: int):
    """Return your scorecard for an interview: drafts, scores and versions (none yet: empty)."""
    session = _own_session(session_id)
    return json_response(own_json(session, kit.scorecard_for(session, api_user(), create=False)))


@bp.post("/me/sessions/<int:session_id>/scorecard/saves")
def save_scorecard(session_id: int):
    """Autosave: apply 1-200 versioned items, each saved, merged or refused on its own."""
    session = _own_session(session_id)
    data = json_object({"items": object}, required=("items",))
    for attempt in range(2):
        try:
            card = kit.scorecard_for(session, api_user())
            results = kit.apply_saves(card, data["items"])
            db.session.commit()
            break
        except kit.KitError as exc:
            db.session.rollback()
            raise ApiProblem("invalid-field", f"items: {exc}.", field="items") from None
        except IntegrityError:
            # two clients created the same new text at once: a save that was applied is
            # recognised by its save_id on the second try
            db.session.rollback()
            if attempt == 1:
                raise
    count_autosave("api", results)
    return json_response({"results": [r.as_dict() for r in results], "status": card.status})


def _field_errors(errors: dict[str, str]) -> None:
    """Raise the kit's field errors as one problem: 409 for the card's state, else 422."""
    if "_" in errors:
        raise ApiProblem("scorecard-state", errors["_"])
    renamed = {}
    for key, message in errors.items():
        kind, _, competency = key.partition("-")
        renamed[
            {"score": "scores.", "reason": "reasons.", "evidence": "texts.evidence:"}.get(kind, "")
            + (competency or kind)
        ] = message
    first = next(iter(renamed))
    raise ApiProblem(
        "invalid-field", f"{first}: {renamed[first]}", field=first, extra={"errors": renamed}
    )


def _str_map(data: dict, name: str, values: type) -> dict:
    value = data.get(name, {})
    if not all(isinstance(k, str) and type(v) is values for k, v in value.items()):
        kind = "whole numbers" if values is int else "strings"
        raise ApiProblem("invalid-field", f"{name} maps each competency to {kind}.", field=name)
    return value


@bp.post("/me/sessions/<int:session_id>/scorecard/ratings")
def submit_ratings(session_id: int):
    """Submit and lock your competency scores and recommendation (step one of two)."""
    session = _own_session(session_id)
    data = json_object(
        {"scores": dict, "reasons": dict, "recommendation": str},
        required=("scores", "recommendation"),
    )
    scores, reasons = _str_map(data, "scores", int), _str_map(data, "reasons", str)
    card = kit.scorecard_for(session, api_user())
    errors = kit.submit_ratings(card, scores, reasons, data["recommendation"])
    if errors:
        db.session.rollback()
        _field_errors(errors)
    audit(api_user(), CardStatus.RATINGS_SUBMITTED.value, card, via="api")
    db.session.commit()
    return json_response(own_json(session, card))


@bp.post("/me/sessions/<int:session_id>/scorecard/submit")
def submit_scorecard(session_id: int):
    """Submit your written evidence (the autosaved evidence texts) and lock the scorecard."""
    session = _own_session(session_id)
    json_object({})
    card = kit.scorecard_for(session, api_user(), create=False)
    if card is None:
        raise ApiProblem("scorecard-state", "Submit the ratings first.")
    errors = kit.submit_evidence(card)
    if errors:
        db.session.rollback()
        _field_errors(errors)
    audit(api_user(), "scorecard_submitted", card, via="api")
    db.session.commit()
    return json_response(own_json(session, card))


# -- decisions and the debrief (hiring leads and admins) ---------------------------------------


def decisions_json(candidate: Candidate) -> dict:
    """Return every decision on a candidate, oldest first, and the one in force."""
    current = candidate.decision
    return {
        "candidate_id": candidate.id,
        "current": None if current is None else current.id,
        "items": [
            {
                "id": d.id,
                "outcome": d.outcome,
                "rationale": d.rationale,
                "change_reason": d.change_reason,
                "by": person_json(d.actor),
                "at": iso_time(d.at),
            }
            for d in sorted(candidate.decisions, key=lambda d: (d.at, d.id))
        ],
    }


@bp.get("/candidates/<int:candidate_id>/decisions")
def decisions(candidate_id: int):
    """Return the decisions on a candidate (every change kept), with an ETag."""
    require(*LEADS)
    body = decisions_json(candidate_or_404(candidate_id))
    return tagged(body)


@bp.post("/candidates/<int:candidate_id>/decisions")
def record_decision(candidate_id: int):
    """Record a decision, or change it with a reason (If-Match: the decisions' ETag)."""
    require(*LEADS)
    data = json_object(
        {"outcome": str, "rationale": str, "change_reason": str},
        required=("outcome", "rationale"),
    )
    candidate = candidate_or_404(candidate_id)

    def make():
        if candidate.decision is not None:
            # changing a decision someone else may have changed meanwhile
            check_if_match(etag(decisions_json(candidate)), "decision")
        try:
            review.record_decision(
                candidate,
                api_user(),
                data["outcome"],
                data["rationale"],
                data.get("change_reason", ""),
            )
        except review.DecisionError as exc:
            raise ApiProblem("invalid-field", f"{exc.field}: {exc}", field=exc.field) from None
        db.session.refresh(candidate, ["decisions"])
        return decisions_json(candidate), candidate

    return created(make, lambda c: url_for("api.decisions", candidate_id=c.id))


@bp.get("/candidates/<int:candidate_id>/debrief")
def debrief(candidate_id: int):
    """Return the debrief: the score matrix, flags, combined results and their arithmetic."""
    require(*LEADS)
    candidate = candidate_or_404(candidate_id)
    page = review.debrief_page(api_user(), candidate)
    _exported(candidate, "debrief")
    result: debrief_math.Debrief = page.result

    def combined(c: debrief_math.Combined) -> dict:
        return {"value": c.value, "n": c.n, "arithmetic": c.arithmetic}

    return json_response(
        {
            "candidate_id": candidate.id,
            "competencies": result.competencies,
            "weights": result.weights,
            "sessions": [
                {
                    "id": s.id,
                    "name": s.name,
                    "interviewer": s.interviewer,
                    "submitted": s.submitted,
                    "due_at": iso_time(s.due),
                    "overdue": s.overdue,
                    "competencies": list(s.competencies),
                }
                for s in page.sessions
            ],
            "scorecards": [card_json(card, api_user()) for card in page.cards],
            "cells": [
                {
                    "competency": competency,
                    "scorecard_id": card_id,
                    "score": cell.score,
                    "adjusted": cell.adjusted,
                }
                for (competency, card_id), cell in result.cells.items()
            ],
            "combined": {name: combined(c) for name, c in result.combined.items()},
            "overall": combined(result.overall),
            "flags": [{"kind": f.kind, "message": f.message} for f in result.flags],
            "decision": decisions_json(candidate),
        }
    )

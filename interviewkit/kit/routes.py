"""Kit, autosave and scorecard views."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..database import begin_writes
from ..extensions import bank, db
from ..models import Candidate, Loop, LoopSession, Scorecard, audit
from ..observability import count_autosave
from ..security import json_body, login_required
from ..vocabulary import RECOMMENDATION_LABELS, CardStatus
from . import bp, service

DONE_SHOWN = 20  # submitted interviews listed on the queue before "show all"


def _own_session(session_id: int, options=()) -> LoopSession:
    """Return a session assigned to the current user (404 if missing, 403 if not theirs)."""
    session = db.get_or_404(
        LoopSession, session_id, description="No interview with that id.", options=options
    )
    if session.interviewer_id != current_user.id:
        abort(403, description="This interview is assigned to someone else, not to you.")
    return session


@bp.get("/queue")
@login_required
def queue():
    """List the interviewer's sessions: overdue, in progress, upcoming and submitted.

    Of the submitted ones, the newest DONE_SHOWN unless `?done=all`: an interviewer's
    history grows by hundreds a year, and rendering it all made this the slowest page
    (bench/README.md, "web.py").
    """
    show_all = request.args.get("done") == "all"
    sections = service.queue(current_user, done_limit=None if show_all else DONE_SHOWN)
    done_total = len(sections["done"])
    if not show_all and done_total == DONE_SHOWN:
        done_total = service.count_done(current_user)
    return render_template("kit/queue.html", queue=sections, done_total=done_total)


@bp.get("/kit/<int:session_id>")
@login_required
def kit(session_id: int):
    """The live interview kit for one assigned session."""
    # what the page shows, in as few statements as the relations allow: the loop and its
    # candidate with the session, its questions in one more (tests/test_query_counts.py)
    session = _own_session(
        session_id,
        options=[
            joinedload(LoopSession.loop).joinedload(Loop.candidate),
            selectinload(LoopSession.questions),
        ],
    )
    card = service.scorecard_for(session, current_user, create=False)
    state = service.kit_state(card)
    competencies = bank.competency_titles(missing_ok=True)
    return render_template(
        "kit/kit.html",
        session=session,
        card=card,
        state=state,
        competencies=competencies,
        level=session.loop.level,
        max_text=service.MAX_TEXT,
    )


@bp.post("/kit/<int:session_id>/save")
@login_required
def save(session_id: int):
    """Autosave: apply a batch of {key, value, base, save_id} items; JSON in and out.

    Each item is saved or refused on its own (the answer says which, and why). A database
    that stays busy gets a 503 with Retry-After, which the kit retries.
    """
    session = _own_session(session_id)
    payload = json_body()
    if not isinstance(payload, dict):
        return jsonify(error="bad_request", message="Send a JSON object with items."), 400
    # the sign-in and the session were read without the write lock; the card and the
    # texts are read again inside it (database.WRITES_LATER)
    begin_writes()
    for attempt in range(2):
        try:
            card = service.scorecard_for(session, current_user)
            results = service.apply_saves(card, payload.get("items"))
            status = card.status  # read before the commit expires it (no query after)
            db.session.commit()
            break
        except service.KitError as exc:
            db.session.rollback()
            return jsonify(error="invalid", message=str(exc)), 422
        except IntegrityError:
            # two windows created the same new text at once: try again; a save that was
            # applied is recognised by its save_id.
            db.session.rollback()
            if attempt == 1:
                raise
    count_autosave("kit", results)
    return jsonify(
        results=[r.as_dict() for r in results], status=status, csrf_token=generate_csrf()
    )


@bp.get("/kit/<int:session_id>/state")
@login_required
def state(session_id: int):
    """Return what the server has for this kit, with versions (after a reload or sign-in)."""
    session = _own_session(session_id)
    card = service.scorecard_for(session, current_user, create=False)
    return jsonify(**service.kit_state(card), csrf_token=generate_csrf())


@bp.get("/kit/token")
@login_required
def token():
    """Return a fresh CSRF token, for a kit page open longer than the token lives."""
    return jsonify(csrf_token=generate_csrf())


@bp.route("/kit/<int:session_id>/scorecard", methods=["GET", "POST"])
@login_required
def scorecard(session_id: int):
    """Score each competency, recommend, write evidence; submit in one or two steps."""
    session = _own_session(session_id)
    card = service.scorecard_for(session, current_user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action")
        if action == "ratings":
            scores = {c: request.form.get(f"score-{c}", type=int) for c in session.competencies}
            reasons = {c: request.form.get(f"reason-{c}", "") for c in session.competencies}
            errors = service.submit_ratings(
                card, scores, reasons, request.form.get("recommendation", "")
            )
            if not errors:
                audit(current_user, CardStatus.RATINGS_SUBMITTED.value, card)
                db.session.commit()
                flash("Ratings submitted and locked. Add the written evidence today.", "info")
                return redirect(url_for("kit.scorecard", session_id=session.id))
        elif action == "evidence":
            errors = service.submit_evidence(card)
            if not errors:
                audit(current_user, "scorecard_submitted", card)
                db.session.commit()
                flash("Scorecard submitted. You can now see your colleagues' feedback.", "info")
                return redirect(url_for("kit.feedback", candidate_id=session.loop.candidate_id))
        elif action == "amend":
            scores = {
                r.competency: request.form.get(f"amend-score-{r.competency}", type=int)
                for r in card.ratings
            }
            evidence = {
                r.competency: request.form.get(f"amend-evidence-{r.competency}", "")
                for r in card.ratings
            }
            errors = service.amend(
                card,
                current_user,
                request.form.get("amend-reason", ""),
                scores,
                evidence,
                request.form.get("amend-recommendation"),
            )
            if not errors:
                audit(current_user, "scorecard_amended", card)
                db.session.commit()
                flash("Amendment saved; it is shown on the scorecard.", "info")
                return redirect(url_for("kit.scorecard", session_id=session.id))
        else:
            abort(400, description="Unknown action.")
        db.session.rollback()
        card = service.scorecard_for(session, current_user)
    else:
        db.session.commit()  # the scorecard row, created on first visit
    competencies = bank.competency_titles(missing_ok=True)
    return render_template(
        "kit/scorecard.html",
        session=session,
        card=card,
        errors=errors,
        suggested=service.suggested_ratings(card),
        competencies=competencies,
        labels=RECOMMENDATION_LABELS,
        state=service.kit_state(card),
        form=request.form,
        max_text=service.MAX_TEXT,
    ), (422 if errors else 200)


@bp.get("/candidates/<int:candidate_id>/feedback")
@login_required
def feedback(candidate_id: int):
    """Everyone's scorecards for a candidate: leads always, interviewers after their own."""
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None or not service.is_on_panel(current_user, candidate):
        # the same answer for "no such candidate" and "not your candidate": someone with
        # no part in a loop learns nothing about who is interviewing
        abort(404, description="No candidate with that id.")
    if not service.can_see_feedback(current_user, candidate):
        return render_template("kit/feedback_locked.html", candidate=candidate), 403
    cards = service.feedback_for(current_user, candidate)
    return render_template(
        "kit/feedback.html",
        candidate=candidate,
        cards=cards,
        answers={card.id: _answers(card) for card in cards if card.is_submitted},
        competencies=bank.competency_titles(missing_ok=True),
        labels=RECOMMENDATION_LABELS,
    )


def _answers(card: Scorecard) -> list[dict]:
    """Return each question of a card's session as asked, with its score and note."""
    scores = {s.loop_question_id: s.score for s in card.scores}
    return [
        {"title": q.title, "score": scores.get(q.id), "note": card.text(f"notes:{q.id}")}
        for q in card.session.questions
    ]

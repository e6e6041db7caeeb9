"""Home page: what this user should do next."""

from __future__ import annotations

from flask import jsonify, render_template
from flask_login import current_user
from sqlalchemy import select

from ..bankdb import BankUnavailable
from ..extensions import db
from ..kit import service as kit_service
from ..models import Candidate
from ..security import login_required, wants_json
from . import bp


@bp.get("/")
@login_required
def index():
    """Show a lead their active candidates and an interviewer their open sessions."""
    queue = kit_service.queue(current_user)
    sessions = [s for key in ("overdue", "in_progress", "upcoming") for s, _ in queue[key]]
    candidates = []
    if current_user.is_lead:
        candidates = db.session.execute(
            select(Candidate)
            .where(Candidate.status == "active")
            .order_by(Candidate.created_at.desc())
        ).scalars()
    return render_template("main/index.html", sessions=sessions, candidates=list(candidates))


def register_error_handlers(app) -> None:
    """Render 400/403/404/429/500 as pages, never tracebacks."""
    messages = {
        400: ("Bad request", "The request was not understood. Go back and try again."),
        403: ("Not allowed", "Your role does not give access to this page."),
        404: ("Not found", "There is nothing at this address."),
        405: ("Not allowed", "This address does not accept that kind of request."),
        429: ("Too many attempts", "Wait a minute, then try again."),
        500: ("Something went wrong", "The error was logged. Try again in a moment."),
    }

    def handler(error):
        code = getattr(error, "code", 500) or 500
        title, text = messages.get(code, messages[500])
        if wants_json():  # the kit's background saves get an answer they can read
            return jsonify(error=title.lower().replace(" ", "_"), message=text), code
        detail = getattr(error, "description", None) if code in (400, 404) else None
        return render_template(
            "errors/error.html", code=code, title=title, text=text, detail=detail
        ), code

    for code in messages:
        app.register_error_handler(code, handler)

    def no_bank(_error):
        if wants_json():
            return jsonify(error="no_bank", message="The question bank is not built yet."), 503
        return render_template("browse/no_bank.html"), 503

    app.register_error_handler(BankUnavailable, no_bank)

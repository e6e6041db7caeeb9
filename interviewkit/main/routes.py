"""Home page: what this user should do next."""

from __future__ import annotations

from flask import current_app, jsonify, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import ServiceUnavailable

from ..api import problems
from ..bank.reader import BankUnavailable
from ..extensions import db
from ..kit import service as kit_service
from ..models import Candidate
from ..security import login_required, wants_json
from . import bp

RETRY_AFTER_SECONDS = 2
API_PREFIX = "/api/"
HOME_CANDIDATES = 25  # the active candidates a lead's home page lists, newest first


@bp.get("/")
@login_required
def index():
    """Show a lead their active candidates and an interviewer their open sessions."""
    queue = kit_service.queue(current_user, open_only=True)
    sessions = [s for key in ("overdue", "in_progress", "upcoming") for s, _ in queue[key]]
    candidates, active = [], 0
    if current_user.is_lead:
        # the most recent few; the candidates page lists (and pages) them all
        active_only = Candidate.status == "active"
        candidates = db.session.scalars(
            select(Candidate)
            .where(active_only)
            .order_by(Candidate.created_at.desc(), Candidate.id.desc())
            .limit(HOME_CANDIDATES)
        ).all()
        active = len(candidates)
        if active == HOME_CANDIDATES:
            active = db.session.scalar(select(func.count()).where(active_only))
    return render_template(
        "main/index.html", sessions=sessions, candidates=candidates, active=active
    )


def register_error_handlers(app) -> None:
    """Render every error as the app's own page (JSON for JSON callers), never a traceback."""
    messages = {
        400: ("Bad request", "The request was not understood. Go back and try again."),
        403: ("Not allowed", "Your role does not give access to this page."),
        404: ("Not found", "There is nothing at this address."),
        405: ("Not allowed", "This address does not accept that kind of request."),
        413: (
            "Too large",
            "That was more than this page accepts. Shorten the text and send it again.",
        ),
        414: ("Address too long", "That address is too long. Use a shorter search."),
        415: ("Wrong kind of request", "This address does not accept that kind of content."),
        429: ("Too many attempts", "Wait a minute, then try again."),
        500: ("Something went wrong", "The error was logged. Try again in a moment."),
        503: ("Busy", "The server is busy. Try again in a few seconds; nothing was lost."),
    }

    def handler(error):
        if request.path.startswith(API_PREFIX):  # the API answers problem documents
            if (getattr(error, "code", 500) or 500) >= 500:
                db.session.rollback()
            return problems.from_error(error)
        code = getattr(error, "code", 500) or 500
        if code >= 500:
            db.session.rollback()  # so the error page itself can still use the database
        title, text = messages.get(code, messages[500])
        detail = getattr(error, "description", None)
        if detail == getattr(type(error), "description", None) or code >= 500:
            detail = None  # Werkzeug's generic wording: ours says it better
        if code == 403 and detail:
            text, detail = detail, None
        if wants_json():  # the kit's background saves get an answer they can read
            return jsonify(error=title.lower().replace(" ", "_"), message=detail or text), code
        return render_template(
            "errors/error.html", code=code, title=title, text=text, detail=detail
        ), code

    for code in messages:
        app.register_error_handler(code, handler)

    def busy(error):
        # A database lock held past the busy timeout, or a database that is not reachable:
        # a temporary condition, so 503 with Retry-After (the kit retries it), never a 500.
        current_app.logger.warning("database unavailable: %s", type(error.orig).__name__)
        db.session.rollback()
        response = make_response(handler(ServiceUnavailable()))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    app.register_error_handler(OperationalError, busy)

    def no_bank(error):
        message = str(error) or "The question bank is not built yet."
        if request.path.startswith(API_PREFIX):
            return problems.problem_response("unavailable", message)
        if wants_json():
            return jsonify(error="no_bank", message=message), 503
        return render_template("browse/no_bank.html", message=message), 503

    app.register_error_handler(BankUnavailable, no_bank)

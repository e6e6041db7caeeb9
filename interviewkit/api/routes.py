"""The API's views: who is asking, the bank, loop templates and candidates.

Authentication is a personal token (`Authorization: Bearer ik_...`) or the browser's
sign-in cookie. Token requests are not subject to CSRF (a browser never attaches the
header by itself); cookie requests that write still are. Every view checks the same roles
as its page, and a `read` token may only read.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ..bank.reader import BankUnavailable
from ..candidates.forms import CandidateForm
from ..candidates.routes import fill, same_email
from ..extensions import bank, csrf, db, limiter
from ..inputs import MAX_DB_ID
from ..models import Candidate, User, audit
from ..tokens import find_token
from ..vocabulary import CANDIDATE_STATUSES, LEVELS, Role, TokenScope
from . import bp
from .common import (
    CANDIDATE_SORTS,
    LEADS,
    api_user,
    candidate_or_404,
    check_if_match,
    choice,
    created,
    decode_cursor,
    encode_cursor,
    etag,
    iso_time,
    json_object,
    json_response,
    page_limit,
    require,
    tagged,
    validated,
)
from .problems import ApiProblem, from_error, problem_response
from .spec import openapi_document, query_parameters

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

csrf.exempt(bp)  # checked in authenticate() for cookie requests only


def _rate_key() -> str:
    """Rate-limit key: the token, else the signed-in user, else the address."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return "token:" + hashlib.sha256(header[7:].encode("utf-8", "replace")).hexdigest()
    return f"addr:{request.remote_addr}"


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_rate_key, scope="api")(bp)


@bp.errorhandler(Exception)
def api_error(error):
    """Answer every error inside the API with a problem document, never a page."""
    if isinstance(error, OperationalError):  # a busy or unreachable database
        db.session.rollback()
        current_app.logger.warning("database unavailable: %s", type(error.orig).__name__)
        return problem_response(
            "unavailable",
            "The database is busy. Try again in a few seconds.",
            headers={"Retry-After": "2"},
        )
    if isinstance(error, BankUnavailable):
        return problem_response("unavailable", str(error) or "The question bank is not built.")
    if not isinstance(error, HTTPException):
        current_app.logger.exception("API error")
        db.session.rollback()
    return from_error(error)


@bp.errorhandler(CSRFError)
def api_csrf_error(error):
    """A cookie-authenticated write without its CSRF token (tokens never need one)."""
    return problem_response(
        "csrf",
        "Send the page's CSRF token as X-CSRFToken, or use a personal token instead.",
    )


@bp.before_request
def known_parameters() -> None:
    """Refuse a query parameter the operation does not take (a typo would be ignored)."""
    if request.url_rule is None or request.method in ("HEAD", "OPTIONS"):
        return
    allowed = query_parameters(request.url_rule.rule, request.method)
    for name in request.args:
        if name not in allowed:
            shown = name[:40]
            raise ApiProblem(
                "invalid-parameter",
                f"{shown!r} is not a parameter here"
                + (f": use {', '.join(sorted(allowed))}." if allowed else "."),
                field=shown,
            )


@bp.before_request
def authenticate() -> None:
    """Find who is asking (token or cookie), and refuse what their token may not do."""
    header = request.headers.get("Authorization")
    g.api_token = None
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiProblem(
                "invalid-token",
                "Send the token as 'Authorization: Bearer ik_...'.",
                headers={"WWW-Authenticate": 'Bearer realm="interviewkit"'},
            )
        token = find_token(secret.strip())
        if token is None:
            raise ApiProblem(
                "invalid-token",
                "The token is unknown, revoked or expired, or its account is disabled. "
                "Make a new one at /account/tokens.",
                headers={"WWW-Authenticate": 'Bearer realm="interviewkit"'},
            )
        g.api_token = token
        g.api_user = token.user
        if db.session.is_modified(token):
            db.session.commit()  # last used, at most once a minute (tokens.LAST_USED_EVERY)
        if request.method in WRITE_METHODS and token.scope != TokenScope.READ_WRITE:
            raise ApiProblem(
                "insufficient-scope", "This token may only read: make a read-write token."
            )
        return
    if request.endpoint in PUBLIC:
        g.api_user = None
        return
    if not current_user.is_authenticated:
        raise ApiProblem(
            "unauthenticated",
            "Send a personal token as 'Authorization: Bearer ik_...' "
            "(make one at /account/tokens).",
            headers={"WWW-Authenticate": 'Bearer realm="interviewkit"'},
        )
    g.api_user = current_user._get_current_object()
    if request.method in WRITE_METHODS:
        csrf.protect()


# -- who is asking, the document ------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI 3.1 document of this API."""
    return json_response(openapi_document())


@bp.get("/docs")
def docs():
    """Show the API reference, rendered from the OpenAPI document (no scripts, no CDN)."""
    return render_template("api/docs.html", doc=openapi_document())


PUBLIC = {"api.openapi", "api.docs"}


@bp.get("/me")
def me():
    """Return who the request acts as, and the token's scope and expiry."""
    user, token = api_user(), g.api_token
    return json_response(
        {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "token": None
            if token is None
            else {
                "id": token.id,
                "name": token.name,
                "scope": token.scope,
                "expires_at": iso_time(token.expires_at),
            },
        }
    )


@bp.get("/users")
def users():
    """List the active users (whom a session can be assigned to), by id (leads and admins)."""
    require(*LEADS)
    limit = page_limit()
    role = choice("role", [str(r) for r in Role])
    cursor = decode_cursor("users")
    query = select(User).where(User.active.is_(True)).order_by(User.id).limit(limit + 1)
    if role:
        query = query.where(User.role == role)
    if cursor is not None:
        after = cursor.get("after")
        if not isinstance(after, int) or not 0 < after <= MAX_DB_ID:
            raise ApiProblem("invalid-cursor", "The cursor is damaged.", field="cursor")
        query = query.where(User.id > after)
    rows = list(db.session.execute(query).scalars())
    page = rows[:limit]
    return json_response(
        {
            "items": [{"id": u.id, "name": u.name, "email": u.email, "role": u.role} for u in page],
            "next_cursor": encode_cursor({"k": "users", "after": page[-1].id})
            if len(rows) > limit
            else None,
        }
    )


# -- the bank --------------------------------------------------------------------------------


@bp.get("/bank")
def bank_info():
    """Return the bank's build id and how many questions it holds."""
    live = [q for q in bank.bank_questions() if not q.retired]
    return json_response({"build_id": bank.build_id(), "questions": len(live)})


@bp.get("/questions")
def questions():
    """Search the bank's questions, with filters and cursor pagination."""
    limit = page_limit()
    args = {
        name: request.args.get(name, "").strip()[:200]
        for name in ("q", "competency", "kind", "tag")
    }
    args["level"] = choice("level", LEVELS)
    build = bank.build_id()
    cursor = decode_cursor("questions")
    offset = 0
    if cursor is not None:
        offset = cursor.get("o")
        if not isinstance(offset, int) or offset < 0 or cursor.get("b") != build:
            raise ApiProblem(
                "invalid-cursor",
                "The bank was rebuilt since this cursor was made: start again without cursor.",
                field="cursor",
            )
    hits = bank.search(
        args["q"], **{k: v for k, v in args.items() if k != "q"}, limit=offset + limit + 1
    )
    page = hits[offset : offset + limit]
    more = len(hits) > offset + limit
    return json_response(
        {
            "build_id": build,
            "items": [
                {
                    "id": h.id,
                    "title": h.title,
                    "kind": h.kind,
                    "topic": h.topic,
                    "minutes": h.minutes,
                    "levels": list(h.levels),
                    "competencies": list(h.competencies),
                    "url": url_for("api.question", question_id=h.id),
                }
                for h in page
            ],
            "next_cursor": encode_cursor({"k": "questions", "o": offset + limit, "b": build})
            if more
            else None,
        }
    )


@bp.get("/questions/<question_id>")
def question(question_id: str):
    """Return one question as the bank holds it: text, sections as HTML, starters."""
    q = bank.get_question(question_id) if len(question_id) <= 200 else None
    if q is None or q.retired:
        raise ApiProblem("not-found", f"No question {question_id[:80]!r} in the bank.")
    return json_response(
        {
            "id": q.id,
            "title": q.title,
            "kind": q.kind,
            "topic": q.topic,
            "minutes": q.minutes,
            "levels": q.levels,
            "competencies": q.competencies,
            "tags": q.tags,
            "scale": q.scale,
            "content_hash": q.content_hash,
            "build_id": bank.build_id(),
            "markdown": q.body,
            "html": q.html,
            "starters": q.starters,
        }
    )


@bp.get("/loop-templates")
def loop_templates():
    """Return the loop templates: sessions, minutes, competencies and weights."""
    return json_response({"items": bank.loop_templates()})


# -- candidates ------------------------------------------------------------------------------

CANDIDATE_FIELDS = {
    "name": str,
    "email": str,
    "role_title": str,
    "level": str,
    "status": str,
    "links": list,
    "language": str,
}


def _candidate_json(c: Candidate) -> dict:
    decision = c.decision
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "role_title": c.role_title,
        "level": c.level,
        "status": c.status,
        "links": list(c.links or []),
        "language": c.language,
        "created_at": iso_time(c.created_at),
        "decision": None
        if decision is None
        else {"outcome": decision.outcome, "decided_at": iso_time(decision.at)},
        "loops": [{"id": loop.id, "title": loop.title} for loop in c.loops],
        "url": url_for("api.candidate", candidate_id=c.id),
    }


@bp.get("/candidates")
def candidates():
    """List candidates, filtered by status, sorted (newest first by default), in pages."""
    require(*LEADS)
    limit = page_limit()
    status = choice("status", CANDIDATE_STATUSES)
    sort = choice("sort", CANDIDATE_SORTS) or CANDIDATE_SORTS[0]
    cursor = decode_cursor("candidates")
    order = {
        "-created": (Candidate.id.desc(),),
        "created": (Candidate.id,),
        "name": (Candidate.name, Candidate.id),
    }[sort]
    query = (
        select(Candidate)
        .order_by(*order)
        .options(selectinload(Candidate.decisions), selectinload(Candidate.loops))
        .limit(limit + 1)
    )
    if status:
        query = query.where(Candidate.status == status)
    if cursor is not None:
        last, name = cursor.get("id"), cursor.get("n")
        if (
            cursor.get("s") != sort
            or not isinstance(last, int)
            or not 0 < last <= MAX_DB_ID
            or (sort == "name" and not isinstance(name, str))
        ):
            raise ApiProblem(
                "invalid-cursor",
                "The cursor belongs to another sort order, or is damaged: start again "
                "without cursor.",
                field="cursor",
            )
        # keyset pages: the rows after the last one shown, in the same order
        query = query.where(
            {
                "-created": Candidate.id < last,
                "created": Candidate.id > last,
                "name": or_(
                    Candidate.name > name, and_(Candidate.name == name, Candidate.id > last)
                ),
            }[sort]
        )
    rows = list(db.session.execute(query).scalars())
    page = rows[:limit]
    more = len(rows) > limit
    return json_response(
        {
            "items": [_candidate_json(c) for c in page],
            "next_cursor": encode_cursor(
                {"k": "candidates", "s": sort, "id": page[-1].id, "n": page[-1].name}
            )
            if more
            else None,
        }
    )


@bp.get("/candidates/<int:candidate_id>")
def candidate(candidate_id: int):
    """Return one candidate, with an ETag for a later PATCH."""
    require(*LEADS)
    data = _candidate_json(candidate_or_404(candidate_id))
    return tagged(data)


def _candidate_form(data: dict, candidate: Candidate | None = None) -> CandidateForm:
    """Return the pages' candidate form filled from JSON and validated, or raise."""
    current = (
        {}
        if candidate is None
        else {
            "name": candidate.name,
            "email": candidate.email,
            "role_title": candidate.role_title,
            "level": candidate.level,
            "status": candidate.status,
            "links": list(candidate.links or []),
            "language": candidate.language,
        }
    )
    merged = {"role_title": "Back-end engineer", "status": "active", **current, **data}
    merged["links"] = "\n".join(merged.get("links") or [])
    return validated(CandidateForm(formdata=MultiDict(merged), meta={"csrf": False}))


@bp.post("/candidates")
def create_candidate():
    """Create a candidate; a retry with the same Idempotency-Key creates nothing new."""
    require(*LEADS)
    data = json_object(
        {**CANDIDATE_FIELDS, "allow_duplicate": bool}, required=("name", "email", "level")
    )

    def make():
        form = _candidate_form({k: v for k, v in data.items() if k != "allow_duplicate"})
        duplicates = same_email(form.email.data)
        if duplicates and not data.get("allow_duplicate"):
            raise ApiProblem(
                "duplicate-candidate",
                f"Candidate {duplicates[0].id} has this email. Send allow_duplicate: true "
                "if this person is re-applying.",
                field="email",
            )
        user = api_user()
        candidate = Candidate(created_by_id=user.id)
        fill(candidate, form)
        db.session.add(candidate)
        db.session.flush()
        detail = {"duplicate_of": [c.id for c in duplicates]} if duplicates else {}
        audit(user, "candidate_created", candidate, via="api", **detail)
        db.session.refresh(candidate, ["loops", "decisions"])
        return _candidate_json(candidate), candidate

    return created(make, lambda c: url_for("api.candidate", candidate_id=c.id))


@bp.patch("/candidates/<int:candidate_id>")
def update_candidate(candidate_id: int):
    """Change a candidate's fields; If-Match must carry the ETag last read (412 if stale)."""
    require(*LEADS)
    data = json_object(CANDIDATE_FIELDS)
    candidate = candidate_or_404(candidate_id)
    check_if_match(etag(_candidate_json(candidate)), "candidate")
    form = _candidate_form(data, candidate)
    duplicates = same_email(form.email.data, exclude_id=candidate.id)
    if duplicates and "email" in data and form.email.data != candidate.email:
        raise ApiProblem(
            "duplicate-candidate", f"Candidate {duplicates[0].id} has this email.", field="email"
        )
    before = {k: getattr(candidate, k) for k in CANDIDATE_FIELDS}
    fill(candidate, form)
    changed = sorted(k for k in CANDIDATE_FIELDS if getattr(candidate, k) != before[k])
    if changed:
        audit(api_user(), "candidate_updated", candidate, via="api", fields=changed)
    db.session.commit()
    body = _candidate_json(candidate)
    return tagged(body)

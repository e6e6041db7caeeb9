"""The API's views: who is asking, the bank, loop templates and candidates.

Authentication is a personal token (`Authorization: Bearer ik_...`) or the browser's
sign-in cookie. Token requests are not subject to CSRF (a browser never attaches the
header by itself); cookie requests that write still are. Every view checks the same roles
as its page, and a `read` token may only read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

import orjson
from flask import Response, current_app, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ..bank.reader import BankUnavailable
from ..candidates.forms import CandidateForm
from ..candidates.routes import fill, same_email
from ..extensions import bank, csrf, db, limiter
from ..inputs import MAX_DB_ID
from ..models import Candidate, IdempotentRequest, User, audit
from ..tokens import find_token
from ..vocabulary import CANDIDATE_STATUSES, LEVELS, Role, TokenScope
from . import bp
from .problems import ApiProblem, from_error, problem_response
from .spec import openapi_document, query_parameters

LEADS = (Role.LEAD, Role.ADMIN)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DEFAULT_PAGE = 25
MAX_PAGE = 100

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


def _user() -> User:
    return g.api_user


def _require(*roles: Role) -> None:
    if not _user().has_role(*roles):
        raise ApiProblem("forbidden", f"Only {', '.join(str(r) for r in roles)} may do this.")


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(orjson.dumps(data), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_PAGE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiProblem(
            "invalid-parameter", f"limit is a whole number from 1 to {MAX_PAGE}.", field="limit"
        )
    return int(raw)


def _encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def _decode_cursor(kind: str) -> dict | None:
    raw = request.args.get("cursor")
    if raw is None:
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("k") != kind:
        raise ApiProblem(
            "invalid-cursor",
            "Use the next_cursor of the previous page unchanged, or leave cursor out.",
            field="cursor",
        )
    return data


def _choice(name: str, values) -> str:
    value = request.args.get(name, "")
    if value and value not in values:
        raise ApiProblem("invalid-parameter", f"{name} is one of {', '.join(values)}.", field=name)
    return value


# -- who is asking, the document ------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI 3.1 document of this API."""
    return _json(openapi_document())


@bp.get("/docs")
def docs():
    """Show the API reference, rendered from the OpenAPI document (no scripts, no CDN)."""
    return render_template("api/docs.html", doc=openapi_document())


PUBLIC = {"api.openapi", "api.docs"}


@bp.get("/me")
def me():
    """Return who the request acts as, and the token's scope and expiry."""
    user, token = _user(), g.api_token
    return _json(
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
                "expires_at": _time(token.expires_at),
            },
        }
    )


# -- the bank --------------------------------------------------------------------------------


@bp.get("/bank")
def bank_info():
    """Return the bank's build id and how many questions it holds."""
    live = [q for q in bank.bank_questions() if not q.retired]
    return _json({"build_id": bank.build_id(), "questions": len(live)})


@bp.get("/questions")
def questions():
    """Search the bank's questions, with filters and cursor pagination."""
    limit = _limit()
    args = {
        name: request.args.get(name, "").strip()[:200]
        for name in ("q", "competency", "kind", "tag")
    }
    args["level"] = _choice("level", LEVELS)
    build = bank.build_id()
    cursor = _decode_cursor("questions")
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
    return _json(
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
            "next_cursor": _encode_cursor({"k": "questions", "o": offset + limit, "b": build})
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
    return _json(
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
    return _json({"items": bank.loop_templates()})


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


def _time(value) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


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
        "created_at": _time(c.created_at),
        "decision": None
        if decision is None
        else {"outcome": decision.outcome, "decided_at": _time(decision.created_at)},
        "loops": [{"id": loop.id, "title": loop.title} for loop in c.loops],
        "url": url_for("api.candidate", candidate_id=c.id),
    }


def _etag(data: dict) -> str:
    return (
        '"' + hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32] + '"'
    )


def _candidate_or_404(candidate_id: int) -> Candidate:
    candidate = db.session.get(
        Candidate,
        candidate_id,
        options=[selectinload(Candidate.decisions), selectinload(Candidate.loops)],
    )
    if candidate is None:
        raise ApiProblem("not-found", f"No candidate {candidate_id}.")
    return candidate


@bp.get("/candidates")
def candidates():
    """List candidates, newest first, filtered by status, with cursor pagination."""
    _require(*LEADS)
    limit = _limit()
    status = _choice("status", CANDIDATE_STATUSES)
    cursor = _decode_cursor("candidates")
    query = (
        select(Candidate)
        .order_by(Candidate.id.desc())
        .options(selectinload(Candidate.decisions), selectinload(Candidate.loops))
        .limit(limit + 1)
    )
    if status:
        query = query.where(Candidate.status == status)
    if cursor is not None:
        before = cursor.get("before")
        if not isinstance(before, int) or not 0 < before <= MAX_DB_ID:
            raise ApiProblem("invalid-cursor", "The cursor is damaged.", field="cursor")
        query = query.where(Candidate.id < before)
    rows = list(db.session.execute(query).scalars())
    page = rows[:limit]
    return _json(
        {
            "items": [_candidate_json(c) for c in page],
            "next_cursor": _encode_cursor({"k": "candidates", "before": page[-1].id})
            if len(rows) > limit
            else None,
        }
    )


@bp.get("/candidates/<int:candidate_id>")
def candidate(candidate_id: int):
    """Return one candidate, with an ETag for a later PATCH."""
    _require(*LEADS)
    data = _candidate_json(_candidate_or_404(candidate_id))
    return _json(data, headers={"ETag": _etag(data)})


def _body(allowed: dict, required: tuple[str, ...] = ()) -> dict:
    """Return the request's JSON object, checked for unknown fields and types."""
    if not request.is_json:
        raise ApiProblem("unsupported-media-type", "Send the body as application/json.")
    try:
        data = json.loads(request.get_data(cache=True).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiProblem("invalid-json", "The body is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise ApiProblem("invalid-json", "The body must be a JSON object.")
    for name, value in data.items():
        if name not in allowed:
            raise ApiProblem(
                "unknown-field",
                f"{name[:80]!r} is not a field here: use {', '.join(allowed)}.",
                field=name[:80],
            )
        kind = allowed[name]
        if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            raise ApiProblem("invalid-field", f"{name} must be a {kind.__name__}.", field=name)
        if kind is list and not all(isinstance(v, str) for v in value):
            raise ApiProblem("invalid-field", f"{name} must be a list of strings.", field=name)
    for name in required:
        if name not in data:
            raise ApiProblem("invalid-field", f"{name} is required.", field=name)
    return data


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
    form = CandidateForm(formdata=MultiDict(merged), meta={"csrf": False})
    if not form.validate():
        name, errors = next(iter(form.errors.items()))
        choices = getattr(form[name], "choices", None)
        hint = f" Use one of: {', '.join(str(c.value) for c in choices)}." if choices else ""
        raise ApiProblem("invalid-field", f"{name}: {errors[0]}{hint}", field=name)
    return form


@bp.post("/candidates")
def create_candidate():
    """Create a candidate; a retry with the same Idempotency-Key creates nothing new."""
    _require(*LEADS)
    data = _body({**CANDIDATE_FIELDS, "allow_duplicate": bool}, required=("name", "email", "level"))
    replay = _idempotent_replay()
    if replay is not None:
        return replay
    form = _candidate_form({k: v for k, v in data.items() if k != "allow_duplicate"})
    duplicates = same_email(form.email.data)
    if duplicates and not data.get("allow_duplicate"):
        raise ApiProblem(
            "duplicate-candidate",
            f"Candidate {duplicates[0].id} has this email. Send allow_duplicate: true "
            "if this person is re-applying.",
            field="email",
        )
    user = _user()
    candidate = Candidate(created_by_id=user.id)
    fill(candidate, form)
    db.session.add(candidate)
    db.session.flush()
    detail = {"duplicate_of": [c.id for c in duplicates]} if duplicates else {}
    audit(user, "candidate_created", candidate, via="api", **detail)
    db.session.refresh(candidate, ["loops", "decisions"])
    body = _candidate_json(candidate)
    location = url_for("api.candidate", candidate_id=candidate.id)
    _remember_idempotent(201, body, location)
    try:
        db.session.commit()
    except IntegrityError:  # the same key, sent twice at once: the other one won
        db.session.rollback()
        replay = _idempotent_replay()
        if replay is not None:
            return replay
        raise
    return _json(body, 201, {"Location": location, "ETag": _etag(body)})


@bp.patch("/candidates/<int:candidate_id>")
def update_candidate(candidate_id: int):
    """Change a candidate's fields; If-Match must carry the ETag last read (412 if stale)."""
    _require(*LEADS)
    data = _body(CANDIDATE_FIELDS)
    candidate = _candidate_or_404(candidate_id)
    current = _etag(_candidate_json(candidate))
    if_match = request.headers.get("If-Match")
    if if_match is None:
        raise ApiProblem(
            "precondition-required",
            "Send If-Match with the ETag of your last GET, so you never overwrite a newer change.",
        )
    if if_match.strip() not in (current, "*"):
        raise ApiProblem(
            "precondition-failed",
            "The candidate changed since you read it: GET it again, then apply your change.",
        )
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
        audit(_user(), "candidate_updated", candidate, via="api", fields=changed)
    db.session.commit()
    body = _candidate_json(candidate)
    return _json(body, headers={"ETag": _etag(body)})


# -- Idempotency-Key ---------------------------------------------------------------------------


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 200 or not key.isprintable() or not key.isascii():
        raise ApiProblem(
            "invalid-parameter",
            "Idempotency-Key is 1 to 200 printable ASCII characters (a UUID is ideal).",
            field="Idempotency-Key",
        )
    return key


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _idempotent_replay() -> Response | None:
    """Return the stored answer to an earlier request with this key, if there is one."""
    key = _idempotency_key()
    if key is None:
        return None
    row = db.session.execute(
        select(IdempotentRequest).where(
            IdempotentRequest.user_id == _user().id, IdempotentRequest.key == key
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.fingerprint != _fingerprint():
        raise ApiProblem(
            "idempotency-key-reused",
            "This Idempotency-Key was sent with a different request: use a new key.",
            field="Idempotency-Key",
        )
    headers = {"Idempotent-Replayed": "true"}
    if row.location:
        headers["Location"] = row.location
    return Response(row.body, status=row.status, mimetype="application/json", headers=headers)


def _remember_idempotent(status: int, body: dict, location: str) -> None:
    key = _idempotency_key()
    if key is not None:
        db.session.add(
            IdempotentRequest(
                user_id=_user().id,
                key=key,
                fingerprint=_fingerprint(),
                status=status,
                body=orjson.dumps(body).decode(),
                location=location,
            )
        )

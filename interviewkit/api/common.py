"""What every API view shares: who is asking, JSON in and out, pages, ETags, idempotency."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

import orjson
from flask import Response, g, request
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Candidate, IdempotentRequest, User
from ..vocabulary import Role
from .problems import ApiProblem

LEADS = (Role.LEAD, Role.ADMIN)
DEFAULT_PAGE = 25
MAX_PAGE = 100
# The orders a candidate list can take: newest first (the default), oldest first, by name.
CANDIDATE_SORTS = ("-created", "created", "name")


def api_user() -> User:
    return g.api_user


def require(*roles: Role) -> None:
    if not api_user().has_role(*roles):
        raise ApiProblem("forbidden", f"Only {', '.join(str(r) for r in roles)} may do this.")


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(orjson.dumps(data), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def tagged(body: dict) -> Response:
    """Answer `body` with its ETag, for a later If-Match."""
    return json_response(body, headers={"ETag": etag(body)})


def page_limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_PAGE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiProblem(
            "invalid-parameter", f"limit is a whole number from 1 to {MAX_PAGE}.", field="limit"
        )
    return int(raw)


def encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def decode_cursor(kind: str) -> dict | None:
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


def choice(name: str, values) -> str:
    value = request.args.get(name, "")
    if value and value not in values:
        raise ApiProblem("invalid-parameter", f"{name} is one of {', '.join(values)}.", field=name)
    return value


def iso_time(value) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def etag(data: dict) -> str:
    return (
        '"' + hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32] + '"'
    )


_KIND_NAMES = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    list: "a list of strings",
    dict: "an object",
    type(None): "null",
}


def json_object(allowed: dict, required: tuple[str, ...] = ()) -> dict:
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
        kinds = allowed[name] if isinstance(allowed[name], tuple) else (allowed[name],)
        if object in kinds:
            continue  # the view checks it
        wrong = isinstance(value, bool) and bool not in kinds
        if (
            wrong
            or not isinstance(value, kinds)
            or (isinstance(value, list) and not all(isinstance(v, str) for v in value))
        ):
            raise ApiProblem(
                "invalid-field",
                f"{name} must be {' or '.join(_KIND_NAMES[k] for k in kinds)}.",
                field=name,
            )
    for name in required:
        if name not in data:
            raise ApiProblem("invalid-field", f"{name} is required.", field=name)
    return data


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


def idempotent_replay() -> Response | None:
    """Return the stored answer to an earlier request with this key, if there is one."""
    key = _idempotency_key()
    if key is None:
        return None
    row = db.session.execute(
        select(IdempotentRequest).where(
            IdempotentRequest.user_id == api_user().id, IdempotentRequest.key == key
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


def remember_idempotent(status: int, body: dict, location: str) -> None:
    key = _idempotency_key()
    if key is not None:
        db.session.add(
            IdempotentRequest(
                user_id=api_user().id,
                key=key,
                fingerprint=_fingerprint(),
                status=status,
                body=orjson.dumps(body).decode(),
                location=location,
            )
        )


def validated(form: FlaskForm) -> FlaskForm:
    """Return a page's form, filled from JSON, once it validates; else raise the first error."""
    if not form.validate():
        name, errors = next(iter(form.errors.items()))
        choices = getattr(form[name], "choices", None)
        hint = f" Use one of: {', '.join(str(c.value) for c in choices)}." if choices else ""
        raise ApiProblem("invalid-field", f"{name}: {errors[0]}{hint}", field=name)
    return form


def check_if_match(current: str, what: str) -> None:
    """Refuse a write without If-Match (428), or with an ETag that is not `current` (412)."""
    if_match = request.headers.get("If-Match")
    if if_match is None:
        raise ApiProblem(
            "precondition-required",
            "Send If-Match with the ETag of your last GET, so you never overwrite a newer change.",
        )
    if if_match.strip() not in (current, "*"):
        raise ApiProblem(
            "precondition-failed",
            f"The {what} changed since you read it: GET it again, then apply your change.",
        )


def created(make, location_of) -> Response:
    """Create something once per Idempotency-Key: `make()` adds it and returns (body, thing).

    A retry with the same key (and the same request) gets the first answer back, marked
    `Idempotent-Replayed`; nothing is created twice, even when both arrive at once.
    """
    replay = idempotent_replay()
    if replay is not None:
        return replay
    body, thing = make()
    location = location_of(thing)
    remember_idempotent(201, body, location)
    try:
        db.session.commit()
    except IntegrityError:  # the same key, sent twice at once: the other one won
        db.session.rollback()
        replay = idempotent_replay()
        if replay is not None:
            return replay
        raise
    return json_response(body, 201, {"Location": location, "ETag": etag(body)})


def person_json(user: User | None) -> dict | None:
    """Return a user as the API names one: id and name (null for a removed user)."""
    return None if user is None else {"id": user.id, "name": user.name}


def candidate_or_404(candidate_id: int) -> Candidate:
    """Return a candidate with its decisions and loops, or raise the 404 problem."""
    candidate = db.session.get(
        Candidate,
        candidate_id,
        options=[selectinload(Candidate.decisions), selectinload(Candidate.loops)],
    )
    if candidate is None:
        raise ApiProblem("not-found", f"No candidate {candidate_id}.")
    return candidate

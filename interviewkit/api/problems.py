"""Errors as RFC 9457 problem details, each with a stable `type` a client can switch on.

Every error the API answers is `application/problem+json`: `type` (a stable URI under
/api/v1/problems/, listed in PROBLEMS and in the OpenAPI document), `title` (fixed per
type), `status`, `detail` (what was wrong this time and what to do) and, for input
errors, `field` (the JSON field or parameter at fault).
"""

from __future__ import annotations

from flask import Response, has_request_context, jsonify
from werkzeug.exceptions import HTTPException

from ..observability import request_id

BASE = "/api/v1/problems/"

# slug -> (status, title): the types a client can rely on. A new error gets a new slug.
PROBLEMS: dict[str, tuple[int, str]] = {
    "invalid-json": (400, "The body is not valid JSON"),
    "bad-request": (400, "Bad request"),
    "invalid-parameter": (400, "A query parameter is not valid"),
    "invalid-cursor": (400, "The page cursor is not valid"),
    "unauthenticated": (401, "Authentication required"),
    "invalid-token": (401, "The token is not valid"),
    "forbidden": (403, "Your role does not allow this"),
    "insufficient-scope": (403, "The token's scope does not allow this"),
    "csrf": (403, "The CSRF token is missing or invalid"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "not-acceptable": (406, "Not acceptable"),
    "feedback-hidden": (403, "Submit your own scorecard first"),
    "duplicate-candidate": (409, "A candidate with this email exists"),
    "loop-rule": (409, "The change breaks a loop rule"),
    "scorecard-state": (409, "The scorecard's state does not allow this"),
    "idempotency-key-reused": (409, "The Idempotency-Key was used for another request"),
    "precondition-failed": (412, "The resource changed since you read it"),
    "too-large": (413, "The body is too large"),
    "uri-too-long": (414, "The address is too long"),
    "unsupported-media-type": (415, "Send JSON"),
    "invalid-field": (422, "A field is not valid"),
    "unknown-field": (422, "The body has a field this operation does not take"),
    "precondition-required": (428, "Send If-Match with the ETag you read"),
    "rate-limited": (429, "Too many requests"),
    "server-error": (500, "Something went wrong"),
    "unavailable": (503, "Busy or unavailable; try again shortly"),
}

# Werkzeug's errors that reach the API without a problem of ours: their type by status.
_BY_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    412: "precondition-failed",
    413: "too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    428: "precondition-required",
    429: "rate-limited",
    503: "unavailable",
}


class ApiProblem(HTTPException):
    """Raise to answer with a problem document of type `slug`."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        field: str | None = None,
        headers: dict | None = None,
        extra: dict | None = None,
    ) -> None:
        status, _ = PROBLEMS[slug]
        super().__init__(description=detail)
        self.code = status
        self.slug = slug
        self.field = field
        self.extra_headers = headers or {}
        self.extra = extra or {}


def problem_response(
    slug: str,
    detail: str,
    *,
    field: str | None = None,
    headers: dict | None = None,
    extra: dict | None = None,
) -> Response:
    """Return the problem document of type `slug` as a response.

    `extra` adds members of the problem type (RFC 9457 extensions): `errors` (field ->
    message, every field at fault) or `violations` (the loop rules a change breaks).
    """
    status, title = PROBLEMS[slug]
    body = {**(extra or {}), "type": BASE + slug, "title": title, "status": status}
    body["detail"] = detail
    if field is not None:
        body["field"] = field
    if has_request_context():  # the id of the request's log lines, for support
        body["request_id"] = request_id()
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_error(error: Exception) -> Response:
    """Return the problem document for any error raised while serving the API."""
    if isinstance(error, ApiProblem):
        return problem_response(
            error.slug,
            error.description,
            field=error.field,
            headers=error.extra_headers,
            extra=error.extra,
        )
    status = getattr(error, "code", None) or 500
    slug = _BY_STATUS.get(status, "server-error" if status >= 500 else "bad-request")
    detail = getattr(error, "description", None) or PROBLEMS[slug][1]
    if status >= 500 and slug == "server-error":
        detail = "The error was logged. Try again in a moment."
    headers = {}
    if isinstance(error, HTTPException):
        headers = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "retry-after")}
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="interviewkit"'
    return problem_response(slug, detail, headers=headers)

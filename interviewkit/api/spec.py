"""The OpenAPI 3.1 document of /api/v1/, kept beside the views it describes.

`tests/test_api.py` checks it against the app's URL map both ways (every API route is
described, every described path is a route, with the same methods), and the schemathesis
run checks every response against it, so it cannot drift from the code.
"""

from __future__ import annotations

from functools import cache

from ..vocabulary import CANDIDATE_STATUSES, LEVELS, TOKEN_SCOPES, Role
from .problems import BASE, PROBLEMS

VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    out = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


PROBLEM_RESPONSE = {
    "description": "An error, as RFC 9457 problem details (see the Problem schema's types).",
    "content": {"application/problem+json": {"schema": _ref("Problem")}},
}

STRING_ARRAY = {"type": "array", "items": {"type": "string"}}
# What a one-line text field accepts (interviewkit/text.py): no control character and no
# broken surrogate; LINE also needs something other than spaces.
_VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f]"
_PLAIN = r"[^\x00-\x1f\x7f-\x9f]"
LINE = f"^{_PLAIN}*{_VISIBLE}{_PLAIN}*$"
PLAIN = f"^{_PLAIN}*$"
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}

_CANDIDATE_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 120, "pattern": LINE},
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "role_title": {"type": "string", "minLength": 1, "maxLength": 120, "pattern": LINE},
    "level": {"type": "string", "enum": list(LEVELS)},
    "status": {"type": "string", "enum": list(CANDIDATE_STATUSES)},
    "links": {
        "type": "array",
        "maxItems": 10,
        "items": {"type": "string", "format": "uri"},
    },
    "language": {"type": "string", "maxLength": 40},
}

SCHEMAS = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "enum": [BASE + slug for slug in PROBLEMS]},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "field": {"type": "string", "description": "The field or parameter at fault."},
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "name", "email", "role", "token"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "role": {"type": "string", "enum": [str(r) for r in Role]},
            "token": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["id", "name", "scope", "expires_at"],
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "scope": {"type": "string", "enum": list(TOKEN_SCOPES)},
                            "expires_at": TIME,
                        },
                    },
                ]
            },
        },
    },
    "Bank": {
        "type": "object",
        "required": ["build_id", "questions"],
        "properties": {"build_id": {"type": "string"}, "questions": {"type": "integer"}},
    },
    "QuestionSummary": {
        "type": "object",
        "required": ["id", "title", "kind", "topic", "minutes", "levels", "competencies", "url"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "kind": {"type": "string"},
            "topic": {"type": "string"},
            "minutes": {"type": "integer"},
            "levels": STRING_ARRAY,
            "competencies": STRING_ARRAY,
            "url": {"type": "string"},
        },
    },
    "QuestionPage": {
        "type": "object",
        "required": ["build_id", "items", "next_cursor"],
        "properties": {
            "build_id": {"type": "string"},
            "items": {"type": "array", "items": _ref("QuestionSummary")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "Question": {
        "type": "object",
        "required": [
            "id",
            "title",
            "kind",
            "topic",
            "minutes",
            "levels",
            "competencies",
            "tags",
            "scale",
            "content_hash",
            "build_id",
            "markdown",
            "html",
            "starters",
        ],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "kind": {"type": "string"},
            "topic": {"type": "string"},
            "minutes": {"type": "integer"},
            "levels": STRING_ARRAY,
            "competencies": STRING_ARRAY,
            "tags": STRING_ARRAY,
            "scale": {"type": "string"},
            "content_hash": {"type": "string"},
            "build_id": {"type": "string"},
            "markdown": {
                "type": "string",
                "description": "The question file after its front matter.",
            },
            "html": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Each section rendered: prompt, probes, guide, bar, ...",
            },
            "starters": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "language": {"type": "string"},
                        "caption": {"type": "string"},
                        "code": {"type": "string"},
                    },
                },
            },
        },
    },
    "LoopTemplates": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "level", "sessions"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "level": {"type": "string", "enum": list(LEVELS)},
                        "sessions": {"type": "array", "items": {"type": "object"}},
                        "weights": {"type": "object", "additionalProperties": {"type": "number"}},
                    },
                },
            }
        },
    },
    "Candidate": {
        "type": "object",
        "required": [
            "id",
            "name",
            "email",
            "role_title",
            "level",
            "status",
            "links",
            "language",
            "created_at",
            "decision",
            "loops",
            "url",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "role_title": {"type": "string"},
            "level": {"type": "string", "enum": list(LEVELS)},
            "status": {"type": "string", "enum": list(CANDIDATE_STATUSES)},
            "links": STRING_ARRAY,
            "language": {"type": "string"},
            "created_at": TIME,
            "decision": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["outcome", "decided_at"],
                        "properties": {"outcome": {"type": "string"}, "decided_at": TIME},
                    },
                ]
            },
            "loops": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title"],
                    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
                },
            },
            "url": {"type": "string"},
        },
    },
    "CandidatePage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": _ref("Candidate")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "CandidateFields": {
        "type": "object",
        "additionalProperties": False,
        "properties": _CANDIDATE_FIELDS,
    },
    "NewCandidate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "email", "level"],
        "properties": {
            **_CANDIDATE_FIELDS,
            "allow_duplicate": {
                "type": "boolean",
                "description": "Create even if another candidate has this email (re-applying).",
            },
        },
    },
}

LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
    "description": "Items per page (at most 100).",
}
CURSOR = {
    "name": "cursor",
    "in": "query",
    "schema": {"type": "string"},
    "description": "The next_cursor of the previous page; leave out for the first page.",
}
CANDIDATE_ID = {
    "name": "candidate_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": "Send back as If-Match."}}


def _op(summary: str, responses: dict, *, auth: bool = True, tag: str, **extra) -> dict:
    op = {
        "summary": summary,
        "tags": [tag],
        "responses": {**responses, "default": PROBLEM_RESPONSE},
    }
    if not auth:
        op["security"] = []
    op.update(extra)
    return op


PATHS = {
    "/api/v1/openapi.json": {
        "get": _op(
            "This document.",
            {"200": _json({"type": "object"}, "OpenAPI 3.1")},
            auth=False,
            tag="meta",
        ),
    },
    "/api/v1/docs": {
        "get": _op(
            "The API reference as a web page.",
            {
                "200": {
                    "description": "HTML",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            },
            auth=False,
            tag="meta",
        ),
    },
    "/api/v1/me": {
        "get": _op("Who the request acts as.", {"200": _json(_ref("Me"), "The user")}, tag="meta"),
    },
    "/api/v1/bank": {
        "get": _op(
            "The bank's build id and size.", {"200": _json(_ref("Bank"), "The bank")}, tag="bank"
        ),
    },
    "/api/v1/questions": {
        "get": _op(
            "Search questions by words and filters, best match first.",
            {"200": _json(_ref("QuestionPage"), "A page of questions")},
            tag="bank",
            parameters=[
                {
                    "name": "q",
                    "in": "query",
                    "schema": {"type": "string", "maxLength": 200},
                    "description": "Words to search for (title, prompt, guide, tags).",
                },
                {"name": "competency", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "level",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(LEVELS)},
                },
                {"name": "kind", "in": "query", "schema": {"type": "string"}},
                {"name": "tag", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                LIMIT,
                CURSOR,
            ],
        ),
    },
    "/api/v1/questions/{question_id}": {
        "get": _op(
            "One question as the bank holds it.",
            {"200": _json(_ref("Question"), "The question")},
            tag="bank",
            parameters=[
                {
                    "name": "question_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 200},
                }
            ],
        ),
    },
    "/api/v1/loop-templates": {
        "get": _op(
            "The loop templates.", {"200": _json(_ref("LoopTemplates"), "Templates")}, tag="bank"
        ),
    },
    "/api/v1/candidates": {
        "get": _op(
            "List candidates, newest first (hiring leads and admins).",
            {"200": _json(_ref("CandidatePage"), "A page of candidates")},
            tag="candidates",
            parameters=[
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(CANDIDATE_STATUSES)},
                },
                LIMIT,
                CURSOR,
            ],
        ),
        "post": _op(
            "Create a candidate (hiring leads and admins; a read-write token).",
            {
                "201": _json(
                    _ref("Candidate"),
                    "Created",
                    {"Location": {"schema": {"type": "string"}}, **ETAG},
                ),
            },
            tag="candidates",
            parameters=[
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": "A retry with the same key returns the first answer; "
                    "nothing is created twice.",
                }
            ],
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": _ref("NewCandidate")}},
            },
        ),
    },
    "/api/v1/candidates/{candidate_id}": {
        "get": _op(
            "One candidate (hiring leads and admins).",
            {"200": _json(_ref("Candidate"), "The candidate", ETAG)},
            tag="candidates",
            parameters=[CANDIDATE_ID],
        ),
        "patch": _op(
            "Change a candidate's fields; If-Match must carry the ETag last read.",
            {"200": _json(_ref("Candidate"), "The candidate as changed", ETAG)},
            tag="candidates",
            parameters=[
                CANDIDATE_ID,
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                },
            ],
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": _ref("CandidateFields")}},
            },
        ),
    },
}


@cache
def openapi_document() -> dict:
    """Return the OpenAPI 3.1 document (built once; callers must not change it)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "interviewkit API",
            "version": VERSION,
            "description": "What the pages do, for scripts and applicant tracking systems. "
            "Authenticate with a personal token (make one at /account/tokens, or with "
            "`interviewkit token create`) sent as `Authorization: Bearer ik_...`. Errors are "
            "RFC 9457 problem details with a stable `type`. Lists are paged with "
            "`limit` (at most 100) and the `next_cursor` of the previous page.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "ik_ token"}
            },
        },
    }


def openapi_path(rule: str) -> str:
    """Return a Flask rule as an OpenAPI path: `/c/<int:candidate_id>` -> `/c/{candidate_id}`."""
    path = rule
    for part in rule.split("<")[1:]:
        inner = part.split(">")[0]
        path = path.replace(f"<{inner}>", "{" + inner.split(":")[-1] + "}")
    return path


@cache
def query_parameters(rule: str, method: str) -> frozenset[str]:
    """Return the query parameters the document gives an operation (by Flask rule)."""
    op = PATHS.get(openapi_path(rule), {}).get(method.lower(), {})
    return frozenset(p["name"] for p in op.get("parameters", []) if p["in"] == "query")

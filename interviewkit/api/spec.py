"""The OpenAPI 3.1 document of /api/v1/, kept beside the views it describes.

`tests/test_api.py` checks it against the app's URL map both ways (every API route is
described, every described path is a route, with the same methods), and the schemathesis
run checks every response against it, so it cannot drift from the code.
"""

from __future__ import annotations

from functools import cache

from ..vocabulary import (
    CANDIDATE_STATUSES,
    DECISIONS,
    LEVELS,
    RECOMMENDATIONS,
    TOKEN_SCOPES,
    CardStatus,
    Role,
)
from .common import CANDIDATE_SORTS
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
            "request_id": {
                "type": "string",
                "description": "The request's id (X-Request-ID), to quote to support.",
            },
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Every field at fault, with what to fix (invalid-field).",
            },
            "violations": {
                "type": "array",
                "items": _ref("Violation"),
                "description": "The loop rules the change breaks (loop-rule).",
            },
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

_PERSON = {
    "type": ["object", "null"],
    "required": ["id", "name"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
_INT_OR_NULL = {"type": ["integer", "null"]}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_VERSIONED = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["value", "version"],
        "properties": {"value": {}, "version": {"type": "integer"}},
    },
}


def _object(properties: dict, *, optional: tuple[str, ...] = ()) -> dict:
    """An object schema whose properties are all required but `optional`."""
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }


def _page(item: str) -> dict:
    return _object(
        {
            "items": {"type": "array", "items": _ref(item)},
            "next_cursor": {"type": ["string", "null"]},
        }
    )


def _items(item: dict | str) -> dict:
    return _object(
        {"items": {"type": "array", "items": _ref(item) if isinstance(item, str) else item}}
    )


_RATING = _object(
    {
        "competency": {"type": "string"},
        "score": _INT_OR_NULL,
        "suggested": _INT_OR_NULL,
        "reason": {"type": "string"},
        "evidence": {"type": "string"},
    }
)
_STATUS = {"type": "string", "enum": [str(s) for s in CardStatus]}

MORE_SCHEMAS = {
    "Violation": _object(
        {
            "severity": {"type": "string", "enum": ["error", "warning"]},
            "message": {"type": "string"},
        }
    ),
    "User": _object(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "role": {"type": "string", "enum": [str(r) for r in Role]},
        }
    ),
    "UserPage": _page("User"),
    "LoopQuestion": _object(
        {
            "id": {"type": "integer", "description": "The placed question (swap it by this id)."},
            "question_id": {"type": "string", "description": "The bank question's id."},
            "position": {"type": "integer"},
            "title": {"type": "string", "description": "As asked: the snapshot, not today's file."},
            "minutes": _INT_OR_NULL,
            "covers": STRING_ARRAY,
            "reason": {"type": "string", "description": "Why the assembler chose it."},
            "content_hash": {"type": "string"},
        }
    ),
    "Session": _object(
        {
            "id": {"type": "integer"},
            "loop_id": {"type": "integer"},
            "position": {"type": "integer"},
            "name": {"type": "string"},
            "minutes": {"type": "integer"},
            "competencies": STRING_ARRAY,
            "kinds": STRING_ARRAY,
            "interviewer": _PERSON,
            "scheduled_at": NULLABLE_TIME,
            "notes": STRING_ARRAY,
            "frozen": {
                "type": ["string", "null"],
                "description": "Why the session cannot change (it holds feedback), or null.",
            },
            "checks": {"type": "array", "items": _ref("Violation")},
            "questions": {"type": "array", "items": _ref("LoopQuestion")},
        }
    ),
    "Loop": _object(
        {
            "id": {"type": "integer"},
            "candidate_id": {"type": "integer"},
            "title": {"type": "string"},
            "template_id": {"type": "string"},
            "level": {"type": "string", "enum": list(LEVELS)},
            "seed": {"type": "string"},
            "bank_build": {"type": "string"},
            "prep_note": {"type": "string"},
            "notes": STRING_ARRAY,
            "created_at": TIME,
            "sessions": {"type": "array", "items": _ref("Session")},
            "url": {"type": "string"},
            "warnings": {"type": "array", "items": _ref("Violation")},
        },
        optional=("warnings",),
    ),
    "NewLoop": {
        "type": "object",
        "additionalProperties": False,
        "required": ["template_id"],
        "properties": {
            "template_id": {"type": "string", "description": "A loop template's id."},
            "seed": {
                "type": "string",
                "maxLength": 32,
                "pattern": "^[A-Za-z0-9_-]*$",
                "description": "Reproduce a plan: the same seed and bank give the same loop.",
            },
        },
    },
    "LoopFields": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"prep_note": {"type": "string", "maxLength": 5000}},
    },
    "SessionFields": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "interviewer_id": {
                "type": ["integer", "null"],
                "description": "An active user's id (GET /api/v1/users), or null for nobody.",
            }
        },
    },
    "Swap": {
        "type": "object",
        "additionalProperties": False,
        "required": ["question_id"],
        "properties": {"question_id": {"type": "string", "minLength": 1, "maxLength": 200}},
    },
    "Scorecard": _object(
        {
            "id": {"type": "integer"},
            "session": _object({"id": {"type": "integer"}, "name": {"type": "string"}}),
            "loop_id": {"type": "integer"},
            "candidate_id": {"type": "integer"},
            "interviewer": _PERSON,
            "status": _STATUS,
            "recommendation": {"type": ["string", "null"]},
            "ratings": {"type": "array", "items": _RATING},
            "questions": {
                "type": "array",
                "items": _object(
                    {
                        "loop_question_id": {"type": "integer"},
                        "question_id": {"type": "string"},
                        "title": {"type": "string"},
                        "score": _INT_OR_NULL,
                        "note": {"type": "string"},
                    }
                ),
            },
            "amendments": {
                "type": "array",
                "items": _object(
                    {
                        "at": TIME,
                        "by": _PERSON,
                        "reason": {"type": "string"},
                        "changes": {"type": "object"},
                    }
                ),
            },
            "ratings_submitted_at": NULLABLE_TIME,
            "submitted_at": NULLABLE_TIME,
            "url": {"type": "string"},
        }
    ),
    "Scorecards": _items("Scorecard"),
    "MySessions": _object(
        {
            section: {
                "type": "array",
                "items": _object(
                    {
                        "session_id": {"type": "integer"},
                        "name": {"type": "string"},
                        "candidate": {"type": "string"},
                        "scheduled_at": NULLABLE_TIME,
                        "status": {"type": ["string", "null"]},
                        "due_at": NULLABLE_TIME,
                        "url": {"type": "string"},
                    }
                ),
            }
            for section in ("overdue", "in_progress", "upcoming", "done")
        }
    ),
    "KitSession": {
        "allOf": [
            _ref("Session"),
            _object(
                {
                    "prep_note": {"type": "string"},
                    "level": {"type": "string"},
                    "candidate": _object(
                        {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "role_title": {"type": "string"},
                            "level": {"type": "string"},
                            "links": STRING_ARRAY,
                            "language": {"type": "string"},
                        }
                    ),
                    "due_at": NULLABLE_TIME,
                    "scorecard": {"type": "string"},
                }
            ),
        ]
    },
    "OwnScorecard": _object(
        {
            "id": _INT_OR_NULL,
            "session_id": {"type": "integer"},
            "status": _STATUS,
            "recommendation": {"type": ["string", "null"]},
            "texts": _VERSIONED,
            "scores": _VERSIONED,
            "suggested": {"type": "object", "additionalProperties": _INT_OR_NULL},
            "ratings": {"type": "array", "items": _RATING},
            "ratings_submitted_at": NULLABLE_TIME,
            "submitted_at": NULLABLE_TIME,
        }
    ),
    "Saves": {
        "type": "object",
        "additionalProperties": False,
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 200,
                "items": {
                    "type": "object",
                    "required": ["key", "value", "base", "save_id"],
                    "properties": {
                        "key": {
                            "type": "string",
                            "description": "general, notes:<loop question id>, "
                            "evidence:<competency> or score:<loop question id>",
                        },
                        "value": {"type": ["string", "integer", "null"]},
                        "base": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "The version this edit started from (0: new).",
                        },
                        "save_id": {
                            "type": "string",
                            "pattern": "^[A-Za-z0-9_-]{8,64}$",
                            "description": "Unique per edit: a retried save is applied once.",
                        },
                    },
                },
            }
        },
    },
    "SaveResults": _object(
        {
            "results": {
                "type": "array",
                "items": _object(
                    {
                        "key": {"type": "string"},
                        "status": {"type": "string"},
                        "version": {"type": "integer"},
                        "value": {},
                        "message": {"type": "string"},
                    },
                    optional=("message",),
                ),
            },
            "status": _STATUS,
        }
    ),
    "Ratings": {
        "type": "object",
        "additionalProperties": False,
        "required": ["scores", "recommendation"],
        "properties": {
            "scores": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 4},
                "description": "Competency -> score 1-4, for every competency of the session.",
            },
            "reasons": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Why a score differs from the one the question scores suggest.",
            },
            "recommendation": {"type": "string", "enum": list(RECOMMENDATIONS)},
        },
    },
    "Empty": {"type": "object", "additionalProperties": False, "properties": {}},
    "Decisions": _object(
        {
            "candidate_id": {"type": "integer"},
            "current": _INT_OR_NULL,
            "items": {
                "type": "array",
                "items": _object(
                    {
                        "id": {"type": "integer"},
                        "outcome": {"type": "string", "enum": list(DECISIONS)},
                        "rationale": {"type": "string"},
                        "change_reason": {"type": "string"},
                        "by": _PERSON,
                        "at": TIME,
                    }
                ),
            },
        }
    ),
    "NewDecision": {
        "type": "object",
        "additionalProperties": False,
        "required": ["outcome", "rationale"],
        "properties": {
            "outcome": {"type": "string", "enum": list(DECISIONS)},
            "rationale": {"type": "string", "minLength": 1},
            "change_reason": {
                "type": "string",
                "description": "Required when a decision exists: why it changes (kept with it).",
            },
        },
    },
    "Combined": _object(
        {"value": _NUMBER_OR_NULL, "n": {"type": "integer"}, "arithmetic": {"type": "string"}}
    ),
    "Debrief": _object(
        {
            "candidate_id": {"type": "integer"},
            "competencies": STRING_ARRAY,
            "weights": {"type": "object", "additionalProperties": {"type": "number"}},
            "sessions": {
                "type": "array",
                "items": _object(
                    {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "interviewer": {"type": ["string", "null"]},
                        "submitted": {"type": "boolean"},
                        "due_at": NULLABLE_TIME,
                        "overdue": {"type": "boolean"},
                        "competencies": STRING_ARRAY,
                    }
                ),
            },
            "scorecards": {"type": "array", "items": _ref("Scorecard")},
            "cells": {
                "type": "array",
                "items": _object(
                    {
                        "competency": {"type": "string"},
                        "scorecard_id": {"type": "integer"},
                        "score": {"type": "integer"},
                        "adjusted": _NUMBER_OR_NULL,
                    }
                ),
            },
            "combined": {"type": "object", "additionalProperties": _ref("Combined")},
            "overall": _ref("Combined"),
            "flags": {
                "type": "array",
                "items": _object({"kind": {"type": "string"}, "message": {"type": "string"}}),
            },
            "decision": _ref("Decisions"),
        }
    ),
    "Calibration": _object(
        {
            "interviewers": {"type": "array", "items": {"type": "object"}},
            "agreement": {"type": "array", "items": {"type": "object"}},
        }
    ),
    "Table": _object({"items": {"type": "array", "items": {"type": "object"}}}),
    "Coverage": _object(
        {"loops": {"type": "integer"}, "items": {"type": "array", "items": {"type": "object"}}}
    ),
}
SCHEMAS.update(MORE_SCHEMAS)

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
                {
                    "name": "sort",
                    "in": "query",
                    "schema": {
                        "type": "string",
                        "enum": list(CANDIDATE_SORTS),
                        "default": CANDIDATE_SORTS[0],
                    },
                    "description": "Newest first (the default), oldest first, or by name. "
                    "A cursor keeps the order it was made with.",
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


def _id(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "A retry with the same key returns the first answer; nothing is created twice.",
}
IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"}}
LOOP_ID, SESSION_ID = _id("loop_id"), _id("session_id")
CREATED = {"Location": {"schema": {"type": "string"}}, **ETAG}

PATHS.update(
    {
        "/api/v1/users": {
            "get": _op(
                "List active users, to assign sessions (hiring leads and admins).",
                {"200": _json(_ref("UserPage"), "A page of users")},
                tag="loops",
                parameters=[
                    {
                        "name": "role",
                        "in": "query",
                        "schema": {"type": "string", "enum": [str(r) for r in Role]},
                    },
                    LIMIT,
                    CURSOR,
                ],
            ),
        },
        "/api/v1/candidates/{candidate_id}/loops": {
            "post": _op(
                "Assemble a loop for a candidate from a loop template (leads and admins).",
                {"201": _json(_ref("Loop"), "Assembled", CREATED)},
                tag="loops",
                parameters=[CANDIDATE_ID, IDEMPOTENCY_KEY],
                requestBody=_body("NewLoop"),
            ),
        },
        "/api/v1/loops/{loop_id}": {
            "get": _op(
                "A loop: sessions, questions as asked, rule checks (leads and admins).",
                {"200": _json(_ref("Loop"), "The loop", ETAG)},
                tag="loops",
                parameters=[LOOP_ID],
            ),
            "patch": _op(
                "Change the loop's prep note; If-Match must carry the loop's ETag.",
                {"200": _json(_ref("Loop"), "The loop as changed", ETAG)},
                tag="loops",
                parameters=[LOOP_ID, IF_MATCH],
                requestBody=_body("LoopFields"),
            ),
        },
        "/api/v1/loops/{loop_id}/sessions/{session_id}": {
            "patch": _op(
                "Assign an interviewer to a session (refused once it holds feedback); "
                "If-Match: the loop's ETag.",
                {"200": _json(_ref("Loop"), "The loop as changed", ETAG)},
                tag="loops",
                parameters=[LOOP_ID, SESSION_ID, IF_MATCH],
                requestBody=_body("SessionFields"),
            ),
        },
        "/api/v1/loops/{loop_id}/questions/{lq_id}/swap": {
            "post": _op(
                "Swap a placed question for another bank question; the loop rules are checked.",
                {"200": _json(_ref("Loop"), "The loop as changed, with warnings", ETAG)},
                tag="loops",
                parameters=[LOOP_ID, _id("lq_id")],
                requestBody=_body("Swap"),
            ),
        },
        "/api/v1/candidates/{candidate_id}/scorecards": {
            "get": _op(
                "A candidate's scorecards with locked ratings: leads always, an interviewer "
                "of the panel after submitting their own (403 feedback-hidden before).",
                {"200": _json(_ref("Scorecards"), "The scorecards")},
                tag="scorecards",
                parameters=[CANDIDATE_ID],
            ),
        },
        "/api/v1/scorecards/{scorecard_id}": {
            "get": _op(
                "One scorecard: your own in any state, others' under the same rule.",
                {"200": _json(_ref("Scorecard"), "The scorecard")},
                tag="scorecards",
                parameters=[_id("scorecard_id")],
            ),
        },
        "/api/v1/me/sessions": {
            "get": _op(
                "Your interviews: overdue, in progress, upcoming and done.",
                {"200": _json(_ref("MySessions"), "Your queue")},
                tag="scorecards",
            ),
        },
        "/api/v1/me/sessions/{session_id}": {
            "get": _op(
                "One of your interviews as its kit shows it.",
                {"200": _json(_ref("KitSession"), "The session")},
                tag="scorecards",
                parameters=[SESSION_ID],
            ),
        },
        "/api/v1/me/sessions/{session_id}/scorecard": {
            "get": _op(
                "Your scorecard for the interview, with every draft text, score and version.",
                {"200": _json(_ref("OwnScorecard"), "Your scorecard")},
                tag="scorecards",
                parameters=[SESSION_ID],
            ),
        },
        "/api/v1/me/sessions/{session_id}/scorecard/saves": {
            "post": _op(
                "Autosave notes and scores: each item is saved, merged or refused on its own.",
                {"200": _json(_ref("SaveResults"), "What happened to each item")},
                tag="scorecards",
                parameters=[SESSION_ID],
                requestBody=_body("Saves"),
            ),
        },
        "/api/v1/me/sessions/{session_id}/scorecard/ratings": {
            "post": _op(
                "Submit and lock your competency scores and recommendation.",
                {"200": _json(_ref("OwnScorecard"), "Your scorecard, ratings locked")},
                tag="scorecards",
                parameters=[SESSION_ID],
                requestBody=_body("Ratings"),
            ),
        },
        "/api/v1/me/sessions/{session_id}/scorecard/submit": {
            "post": _op(
                "Submit your written evidence (the evidence texts saved) and lock the scorecard.",
                {"200": _json(_ref("OwnScorecard"), "Your scorecard, submitted")},
                tag="scorecards",
                parameters=[SESSION_ID],
                requestBody=_body("Empty"),
            ),
        },
        "/api/v1/candidates/{candidate_id}/decisions": {
            "get": _op(
                "Every decision on a candidate, oldest first (leads and admins).",
                {"200": _json(_ref("Decisions"), "The decisions", ETAG)},
                tag="decisions",
                parameters=[CANDIDATE_ID],
            ),
            "post": _op(
                "Record a decision; changing one needs change_reason and If-Match "
                "(the decisions' ETag).",
                {"201": _json(_ref("Decisions"), "Recorded", CREATED)},
                tag="decisions",
                parameters=[
                    CANDIDATE_ID,
                    IDEMPOTENCY_KEY,
                    {**IF_MATCH, "required": False},
                ],
                requestBody=_body("NewDecision"),
            ),
        },
        "/api/v1/candidates/{candidate_id}/debrief": {
            "get": _op(
                "The debrief: score matrix, flags, combined results with their arithmetic.",
                {"200": _json(_ref("Debrief"), "The debrief")},
                tag="decisions",
                parameters=[CANDIDATE_ID],
            ),
        },
        "/api/v1/numbers/calibration": {
            "get": _op(
                "Interviewer calibration and agreement per competency (leads and admins).",
                {"200": _json(_ref("Calibration"), "The calibration tables")},
                tag="numbers",
            ),
        },
        "/api/v1/numbers/questions": {
            "get": _op(
                "Question statistics (leads and admins).",
                {"200": _json(_ref("Table"), "One row per question and version")},
                tag="numbers",
            ),
        },
        "/api/v1/numbers/coverage": {
            "get": _op(
                "Bank coverage against what the loop templates need (leads and admins).",
                {"200": _json(_ref("Coverage"), "One row per competency and level")},
                tag="numbers",
                parameters=[
                    {
                        "name": "loops",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
                    }
                ],
            ),
        },
    }
)


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

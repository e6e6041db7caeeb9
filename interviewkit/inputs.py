"""Limits on what a request may carry, checked before any view or form sees it.

Every shape of bad input gets a 4xx that says what to fix, on SQLite and PostgreSQL alike:
ids past 64 bits are 404s (not an OverflowError in the driver), bodies past a size that
fits the largest real request are 413s, addresses past a length are 414s, and a NUL or a
broken surrogate in a query string or form field is a 400 (PostgreSQL refuses a NUL, and
neither database can store a lone surrogate).
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

from .database import MAX_DB_ID
from .security import JSON_ENDPOINTS
from .text import SURROGATE, problem

MAX_BODY = 2 * 1024 * 1024  # forms: far above the largest scorecard form
MAX_URL = 4096  # the search boxes cap their input well below this
# The kit's autosave sends whole notes (100,000 characters each) in one batch; the browser
# keeps each batch under 1 MB, and a single item always fits.
LARGE_BODY_ENDPOINTS = {"kit.save": 8 * 1024 * 1024}


class DatabaseId(IntegerConverter):
    """The `int` URL converter, bounded to ids a database can hold (larger ones are 404s)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DB_ID)
        super().__init__(url_map, *args, **kwargs)


def db_id(value: str) -> int:
    """Parse an id from a query string for `request.args.get(..., type=db_id)`."""
    number = int(value)
    if not 0 < number <= MAX_DB_ID:
        raise ValueError("not a database id")
    return number


def register_converters(app: Flask) -> None:
    """Bound every `<int:...>` in the URL map (call before blueprints are registered)."""
    app.url_map.converters["int"] = DatabaseId


def init_app(app: Flask) -> None:
    """Check sizes and characters first (call before CSRFProtect, which reads the form)."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.before_request(check_request)


def check_request() -> None:
    """Refuse an oversize body or address, or a NUL or broken surrogate in args or form."""
    limit = LARGE_BODY_ENDPOINTS.get(request.endpoint or "")
    if limit is not None:
        request.max_content_length = limit
    elif request.blueprint == "api":
        request.max_content_length = current_app.config["API_MAX_BODY"]
    if len(request.full_path) > MAX_URL:
        abort(414)
    routed = request.routing_exception is None  # else a 404 or 405 answers, body unread
    if routed and request.is_json and request.method not in ("GET", "HEAD", "OPTIONS"):
        if request.endpoint not in JSON_ENDPOINTS and request.blueprint != "api":
            abort(415, description="This address takes a form, not JSON.")
        try:
            request.get_json(silent=True)  # parsed once here, cached for the view
        except RecursionError:
            abort(400, description="The JSON is nested too deeply.")
    sources = [("address", request.args)]
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.is_json:
        sources.append(("form", request.form))
    for source, values in sources:
        for name, value in values.items(multi=True):
            if "\x00" in value or SURROGATE.search(value):
                reason = problem(value, multiline=True)
                field = name[:40] or "(unnamed)"
                abort(400, description=f"The {source} field {field!r} {reason}.")

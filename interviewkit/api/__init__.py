"""The JSON API under /api/v1/: what the pages do, for scripts and applicant tracking systems."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import loops, numbers, routes, scorecards  # noqa: E402,F401  (registers the views on bp)

"""The question bank browser: search, filters and the question page."""

from flask import Blueprint

bp = Blueprint("browse", __name__, url_prefix="/bank")

from . import routes  # noqa: E402,F401 - registers the views on bp

"""The hiring lead's half: debrief, decision, exports, the dashboard and the numbers."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from . import routes  # noqa: E402,F401 - registers the views on bp

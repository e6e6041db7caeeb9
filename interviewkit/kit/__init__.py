"""The live interview kit, autosave and scorecards (interviewers)."""

from flask import Blueprint

bp = Blueprint("kit", __name__)

from . import routes  # noqa: E402,F401 - registers the views on bp

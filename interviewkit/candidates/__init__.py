"""Candidates and their interview loops (hiring leads and admins)."""

from flask import Blueprint

bp = Blueprint("candidates", __name__)

from . import routes  # noqa: E402,F401 - registers the views on bp

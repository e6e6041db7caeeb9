"""Signing in and out, changing one's own password, and setting one from a link."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401 - registers the views on bp

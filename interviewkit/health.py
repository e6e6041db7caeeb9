"""Health check: is the app up, and which bank is it serving."""

from flask import Blueprint, current_app, jsonify

from .content.bank import bank_info

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report the bank's build id and question count; 503 when there is no bank yet."""
    info = bank_info(current_app.config["BANK_PATH"])
    if info is None:
        return jsonify(status="no bank", detail="run `interviewkit load` to build it"), 503
    return jsonify(status="ok", **info)

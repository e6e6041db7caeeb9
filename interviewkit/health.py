"""Health check: is the app up, and which bank is it serving."""

from flask import Blueprint, current_app, jsonify

from .bank.reader import bank_info
from .bank.schema import BankMismatch, check_version

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report the bank's build id and question count; 503 when there is no usable bank."""
    path = current_app.config["BANK_PATH"]
    info = bank_info(path)
    if info is None:
        return jsonify(status="no bank", detail="run `interviewkit load` to build it"), 503
    try:
        check_version(info, path)
    except BankMismatch as exc:
        return jsonify(status="bank of another version", detail=str(exc), **info), 503
    return jsonify(status="ok", **info)

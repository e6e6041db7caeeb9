"""Health check: can the app reach its database, and which bank is it serving."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .bank.reader import bank_info
from .bank.schema import BankMismatch, check_version
from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report the database's and the bank's status and the bank's build; 503 if either is broken.

    `status` is "ok" or what is wrong first (the database, then the bank); `database` and
    `bank` each say "ok" or what is wrong with it.
    """
    database = _database_status()
    path = current_app.config["BANK_PATH"]
    info = bank_info(path)
    detail = None
    if info is None:
        bank, detail, info = "no bank", "run `interviewkit load` to build it", {}
    else:
        try:
            check_version(info, path)
            bank = "ok"
        except BankMismatch as exc:
            bank, detail = "bank of another version", str(exc)
    body = {"status": "ok", **info, "database": database, "bank": bank}
    if database != "ok":
        body["status"] = "database unavailable"
    elif bank != "ok":
        body["status"] = bank
    if detail:
        body["detail"] = detail
    return jsonify(body), 200 if body["status"] == "ok" else 503


def _database_status() -> str:
    """Return "ok" when the app database answers `SELECT 1`, else "unavailable"."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("healthz: database unavailable: %s", type(exc).__name__)
        return "unavailable"
    return "ok"

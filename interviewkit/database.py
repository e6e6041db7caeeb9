"""Configure the app database and the read-only bank bind.

SQLite (the default) is set up for concurrent use on every pooled connection: WAL so
readers never block the writer, a busy timeout so a writer waits for another instead
of failing, foreign keys on, and `BEGIN IMMEDIATE` for transactions in requests that
change state, so two writers queue for the lock at the start instead of one failing
with "database is locked" when it tries to upgrade a read lock.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextvars import ContextVar

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from .extensions import db, migrate
from .instance import make_sqlite_private

# The largest id every database holds: the id columns are SQLAlchemy Integer, which is a
# 32-bit INTEGER on PostgreSQL (SQLite would take 64 bits). A larger id in a URL is a 404
# before any query, not a 500 from PostgreSQL ("integer out of range").
MAX_DB_ID = 2**31 - 1

BUSY_TIMEOUT_MS = 10_000
# FULL (the default) syncs the WAL on every commit, so a save the kit reports as saved
# survives a power cut or an OS crash; NORMAL can lose the last commits (see
# docs/operations.md for the measured cost).
SYNCHRONOUS_LEVELS = ("FULL", "NORMAL", "EXTRA")
CACHE_MB = 16  # SQLite page cache per connection
MMAP_MB = 256  # memory-mapped reads of the app database
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def configure(app: Flask) -> None:
    """Set the database URLs from the config and bind Flask-SQLAlchemy and Flask-Migrate."""
    url = app.config.get("DATABASE_URL") or "sqlite:///" + os.path.join(
        app.instance_path, "interviewkit.db"
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _keep_private(engine)
            pragmas = _pragmas(app.config)
            event.listen(engine, "connect", lambda conn, rec: _sqlite_connect(conn, pragmas))
            timeout_ms = busy_timeout_ms(app.config)
            event.listen(engine, "begin", lambda conn: _sqlite_begin(conn, timeout_ms))


def busy_timeout_ms(config) -> int:
    """Return how long a writer waits for the write lock before the request gets a 503."""
    return int(config.get("SQLITE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS))


def _pragmas(config) -> list[str]:
    synchronous = str(config.get("SQLITE_SYNCHRONOUS", "FULL")).upper()
    if synchronous not in SYNCHRONOUS_LEVELS:
        raise ValueError(
            f"SQLITE_SYNCHRONOUS is {synchronous!r}: use one of {', '.join(SYNCHRONOUS_LEVELS)}"
        )
    timeout = busy_timeout_ms(config)
    # The page cache (per connection) and memory-mapped reads (shared by every process
    # through the OS): the numbers scan tens of thousands of scores, and SQLite's default
    # 2 MB cache made each scan re-read pages (bench/README.md, "The numbers, cold").
    cache_mb = int(config.get("SQLITE_CACHE_MB", CACHE_MB))
    mmap_mb = int(config.get("SQLITE_MMAP_MB", MMAP_MB))
    if cache_mb < 0 or mmap_mb < 0:
        raise ValueError("SQLITE_CACHE_MB and SQLITE_MMAP_MB are sizes in MB: use 0 or more")
    return [
        "PRAGMA journal_mode = WAL",
        f"PRAGMA busy_timeout = {timeout}",
        "PRAGMA foreign_keys = ON",
        f"PRAGMA synchronous = {synchronous}",
        f"PRAGMA cache_size = {-1024 * cache_mb}",  # negative: KiB, not pages
        f"PRAGMA mmap_size = {mmap_mb * 1024 * 1024}",
    ]


def _keep_private(engine: Engine) -> None:
    # The app database holds every scorecard: 0600 before SQLite makes -wal/-shm from it.
    path = engine.url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        event.listen(engine, "connect", lambda *_: make_sqlite_private(path), insert=True)


def _sqlite_connect(dbapi_connection, pragmas: list[str]) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(pragma)
    cursor.close()


# Set by code that only reads outside a request (queries.warm's threads): plain BEGIN,
# so readers on their own connections never queue for the write lock.
READ_ONLY: ContextVar[bool] = ContextVar("interviewkit_read_only", default=False)


# Endpoints that read first and take the write lock only when they are ready to write, by
# calling `begin_writes()`: the autosave, which many interviewers hit at once. Until then
# their transaction is a plain BEGIN, so the sign-in lookup and the permission checks do
# not hold the one write lock (bench/README.md, "Autosave").
WRITES_LATER = {"kit.save"}


def _sqlite_begin(conn, timeout_ms: int) -> None:
    writing = not READ_ONLY.get() and (not has_request_context() or _request_writes())
    if writing:
        _begin_immediate(conn.connection.dbapi_connection, timeout_ms)
    else:
        conn.exec_driver_sql("BEGIN")


def _request_writes() -> bool:
    if request.method not in WRITE_METHODS:
        return False
    return request.endpoint not in WRITES_LATER or g.get("interviewkit_writing", False)


def begin_writes() -> None:
    """End a WRITES_LATER request's reads: what it runs next is in a write transaction.

    The read transaction is committed without expiring what it loaded (nothing was
    written in it: a write there would upgrade a read lock, which WAL refuses when another
    writer committed meanwhile). Rows the writes depend on must be read again after this
    call. On PostgreSQL nothing changes: rows are locked where they are written.
    """
    g.interviewkit_writing = True
    session = db.session()
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_writes() after a change: the change would be made in a read")
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


# How often a writer that finds the write lock taken tries again. SQLite's own busy handler
# sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries: a save that holds
# the lock for 2 ms made the one behind it sleep 3 to 25 ms, and under load it was that
# sleep, not the work, that set the autosave's p99 (bench/README.md, "Autosave").
WRITE_LOCK_POLL_S = 0.0005


def _begin_immediate(dbapi_connection, timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, retried every WRITE_LOCK_POLL_S while another writer holds the lock.

    The busy timeout is off for these tries only (statements inside the transaction keep
    it) and the wait is bounded by the same timeout: past it, the usual "database is
    locked" OperationalError, which the app answers with a 503 and Retry-After.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 0")
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            _pause(WRITE_LOCK_POLL_S)
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cursor.close()


def _pause(seconds: float) -> None:
    time.sleep(seconds)  # a function of its own, so a test can see each try


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "locked" in str(exc)


def sqlite_pragmas(engine: Engine) -> dict:
    """Return the pragmas a pooled connection runs with (tests read them)."""
    with engine.connect() as conn:
        return {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in (
                "journal_mode",
                "busy_timeout",
                "foreign_keys",
                "synchronous",
                "cache_size",
                "mmap_size",
            )
        }

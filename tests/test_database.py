"""The app database: SQLite set up for concurrency, migrations that match the models."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from conftest import (
    AuthActions,
    app_with_bank,
    drop_everything,
    empty_app,
    make_app,
    seed_two_interviewer_loop,
)
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from interviewkit import database
from interviewkit.database import BUSY_TIMEOUT_MS, CACHE_MB, MMAP_MB, sqlite_pragmas
from interviewkit.extensions import db


@pytest.fixture
def sqlite_app(tmp_path):
    return make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")


def test_sqlite_pragmas_on_a_fresh_pooled_connection(sqlite_app):
    app = sqlite_app
    with app.app_context():
        db.engine.dispose()  # the next connection is a brand new one from the pool
        pragmas = sqlite_pragmas(db.engine)
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": BUSY_TIMEOUT_MS,
        "foreign_keys": 1,
        "synchronous": 2,  # FULL: an acknowledged save survives a power cut (issue 8.4)
        "cache_size": -1024 * CACHE_MB,  # the numbers' scans stay in memory (issue 9)
        "mmap_size": MMAP_MB * 1024 * 1024,
    }


def test_sqlite_cache_and_mmap_are_settings(tmp_path):
    app = make_app(
        tmp_path, f"sqlite:///{tmp_path / 'app.db'}", SQLITE_CACHE_MB=4, SQLITE_MMAP_MB=0
    )
    with app.app_context():
        pragmas = sqlite_pragmas(db.engine)
    assert (pragmas["cache_size"], pragmas["mmap_size"]) == (-4096, 0)


def test_a_negative_sqlite_cache_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SQLITE_CACHE_MB and SQLITE_MMAP_MB"):
        make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", SQLITE_CACHE_MB=-1)


def test_two_sqlite_writers_wait_for_each_other(sqlite_app):
    """Regression guard: a deferred BEGIN would fail the second writer with "locked"."""
    app = sqlite_app
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE counter (n INTEGER)"))
            conn.execute(text("INSERT INTO counter VALUES (0)"))
    errors = []

    def bump():
        try:
            with app.app_context(), db.engine.begin() as conn:
                n = conn.execute(text("SELECT n FROM counter")).scalar()
                time.sleep(0.05)  # hold the write lock while the others try to start
                conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except Exception as exc:  # noqa: BLE001 - the test records any failure
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 5  # no lost update


def _hold_write_lock(path):
    """Take SQLite's write lock on another connection, as another process would."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_writer_behind_the_lock_tries_again_every_poll(sqlite_app, tmp_path, monkeypatch):
    """Not SQLite's busy handler, which sleeps up to 100 ms between tries (issue 11)."""
    app = sqlite_app
    with app.app_context():
        db.engine.dispose()
    holder = _hold_write_lock(tmp_path / "app.db")
    pauses = []

    def pause(seconds):
        pauses.append(seconds)
        if len(pauses) == 3:
            holder.rollback()  # the other writer finishes after the third try

    monkeypatch.setattr(database, "_pause", pause)
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))  # we hold the lock now
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
    assert pauses == [database.WRITE_LOCK_POLL_S] * 3
    holder.close()


def test_a_lock_held_past_the_timeout_is_the_usual_busy_error(tmp_path, monkeypatch):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", SQLITE_BUSY_TIMEOUT_MS=50)
    with app.app_context():
        db.engine.dispose()
    holder = _hold_write_lock(tmp_path / "app.db")
    with app.app_context():
        with pytest.raises(OperationalError, match="locked"), db.engine.begin():
            pass
        holder.rollback()
        with db.engine.connect() as conn:  # the same pooled connection, its timeout intact
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 50
    holder.close()


def test_an_autosave_takes_the_write_lock_only_for_its_writes(tmp_path, monkeypatch, real_bank):
    """Issue 11: the sign-in lookup and the permission check of a save ran inside BEGIN
    IMMEDIATE, so every save held the one write lock for its whole request."""
    from sqlalchemy import event

    app = app_with_bank(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", real_bank)
    ids = seed_two_interviewer_loop(app)
    client = app.test_client()
    AuthActions(client).login("ivan@example.com")
    seen: list[str] = []
    real = database._begin_immediate

    def immediate(dbapi_connection, timeout_ms):
        seen.append("BEGIN IMMEDIATE")
        real(dbapi_connection, timeout_ms)

    monkeypatch.setattr(database, "_begin_immediate", immediate)
    with app.app_context():
        engine = db.engine
    record = lambda conn, cursor, statement, *rest: seen.append(statement.split()[0:4])  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        body = {"key": "general", "value": "a note", "base": 0, "save_id": "late-lock-1"}
        response = client.post(f"/kit/{ids['ivan_session']}/save", json={"items": [body]})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200 and response.json["results"][0]["status"] == "saved"
    lock = seen.index("BEGIN IMMEDIATE")
    reads = " ".join(" ".join(s) for s in seen[:lock])
    assert "login_sessions" in reads and "loop_sessions" in reads  # read before the lock
    assert "BEGIN IMMEDIATE" not in seen[lock + 1 :]  # one write transaction, nothing after
    writes = [s for s in seen[lock + 1 :] if s[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes and all(s[0] != "SELECT" or "scorecards" in s for s in writes)
    assert [s for s in seen[:lock] if s[0] in ("INSERT", "UPDATE", "DELETE")] == []


def test_begin_writes_refuses_a_change_made_before_it(tmp_path):
    from interviewkit.models import Candidate

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    with app.test_request_context("/kit/1/save", method="POST"):
        db.session.execute(text("SELECT 1"))
        db.session.add(Candidate(name="N", email="n@example.com", role_title="BE", level="mid"))
        with pytest.raises(RuntimeError, match="after a change"):
            database.begin_writes()
        db.session.rollback()


def test_the_apps_bank_bind_is_read_only(tmp_path, real_bank):
    from interviewkit.extensions import bank

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", BANK_PATH=str(real_bank))
    with app.app_context():
        engine = bank.engine
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM questions")).scalar() > 100
        with pytest.raises(Exception, match="readonly"), engine.begin() as conn:
            conn.execute(text("DELETE FROM questions"))


def test_migrations_match_the_models(tmp_path, database_url):
    """Every model change needs a migration: autogenerate must find nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    app = empty_app(tmp_path, database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        drop_everything(db)
    assert diff == []


def test_a_database_error_never_logs_what_was_typed(app):
    """Regression (issue 8.2): a failed save on PostgreSQL put the note's text in the log."""
    from sqlalchemy.exc import DBAPIError

    secret = "CANDIDATE-NOTE-7f3a"
    with app.app_context():
        with pytest.raises(DBAPIError) as caught:
            db.session.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": secret})
        db.session.rollback()
    assert secret not in str(caught.value)
    assert "no_such_table" in str(caught.value)

"""Backups and restores: a consistent copy while the app writes, checked before it goes back."""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid

import pytest
from conftest import PASSWORD, PG_ADMIN_URL, _pg_admin_connect, make_app

from interviewkit.kit.service import KEEP_REVISIONS


def _stamp(app) -> None:
    """Mark a test database (made with create_all) as being at the code's schema version."""
    from flask_migrate import stamp

    with app.app_context():
        stamp()


def _card(app) -> int:
    """Add a candidate, a one-session loop and an interviewer's scorecard; return its id."""
    from interviewkit.extensions import db
    from interviewkit.models import Candidate, Loop, LoopSession, Scorecard
    from interviewkit.users import create_user

    with app.app_context():
        user = create_user("ivan@example.com", "Ivan", "interviewer", PASSWORD)
        candidate = Candidate(name="Sam", email="s@example.com", role_title="BE", level="mid")
        loop = Loop(candidate=candidate, template_id="t", title="Loop", level="mid", seed="s")
        session = LoopSession(loop=loop, position=0, name="One", minutes=60, competencies=["x"])
        session.interviewer_id = user.id
        card = Scorecard(session=session, interviewer_id=user.id)
        db.session.add_all([candidate, card])
        db.session.commit()
        return card.id


class Autosaver(threading.Thread):
    """Save the general notes again and again through the kit service, one commit each."""

    def __init__(self, app, card_id: int) -> None:
        super().__init__(daemon=True)
        self.app, self.card_id = app, card_id
        self.committed = 0
        self.stop = threading.Event()
        self.started_saving = threading.Event()

    def run(self) -> None:
        from interviewkit.extensions import db
        from interviewkit.kit import service
        from interviewkit.models import Scorecard

        with self.app.app_context():
            while not self.stop.is_set() and self.committed < 5000:
                card = db.session.get(Scorecard, self.card_id)
                n = self.committed
                result = service.save_text(card, "general", f"note {n} " * 20, n, f"save-{n}")
                assert result.status == "saved", result
                db.session.commit()
                self.committed = n + 1
                if self.committed >= 20:
                    self.started_saving.set()


def test_backup_under_autosaves_restores_whole(tmp_path):
    """A backup taken while notes are being saved holds every save made before it began,
    and each note's version matches its revisions (no half-written save)."""
    from interviewkit.maintenance import backup, code_head, restore

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    _stamp(app)
    saver = Autosaver(app, _card(app))
    saver.start()
    assert saver.started_saving.wait(20)
    before = saver.committed
    path = backup(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "backups")
    # owner only, from the moment the file exists (not a chmod after the copy)
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    saver.stop.set()
    saver.join(20)
    assert saver.committed > before  # the saves went on while the backup ran

    copy = tmp_path / "restored" / "app.db"
    check = restore(f"sqlite:///{copy}", path, code_head(), replace=False, report=lambda c: None)
    assert check.counts["kit_revisions"] >= min(before, KEEP_REVISIONS)
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    version, text = conn.execute("SELECT version, text FROM kit_texts").fetchone()
    revisions = conn.execute("SELECT count(*), max(version) FROM kit_revisions").fetchone()
    # the last KEEP_REVISIONS revisions are kept (older ones pruned by the saves themselves)
    kept = min(version, KEEP_REVISIONS)
    assert revisions == (kept, version) and check.counts["kit_revisions"] == kept
    assert text.startswith(f"note {version - 1} ")
    conn.close()


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on a migrated SQLite file with a scorecard and one saved note."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    _stamp(app)
    saver = Autosaver(app, _card(app))
    saver.stop.set()
    saver.run()  # not started: stops at once, having saved nothing
    return app


def _backup(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    return result.output.split("Backed up to ", 1)[1].strip()


def test_restore_refuses_to_overwrite_without_yes(sqlite_app, tmp_path):
    """The check and counts are printed, the live file is left alone, exit code 3."""
    path = _backup(sqlite_app, tmp_path)
    result = sqlite_app.test_cli_runner().invoke(args=["restore", path])
    assert result.exit_code == 3
    assert "integrity ok" in result.output
    assert "candidates" in result.output and "--yes" in result.output


def test_restore_with_yes_puts_the_backup_back_and_keeps_the_old_file(sqlite_app, tmp_path):
    from interviewkit.extensions import db
    from interviewkit.models import Candidate

    path = _backup(sqlite_app, tmp_path)
    with sqlite_app.app_context():
        db.session.add(Candidate(name="After", email="a@example.com", role_title="BE", level="mid"))
        db.session.commit()
    result = sqlite_app.test_cli_runner().invoke(args=["restore", path, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    live = sqlite3.connect(tmp_path / "app.db")
    assert live.execute("SELECT count(*) FROM candidates").fetchone() == (1,)
    old = sqlite3.connect(tmp_path / "app.db.before-restore")
    assert old.execute("SELECT count(*) FROM candidates").fetchone() == (2,)
    with sqlite_app.app_context():  # the app reads the restored file
        assert db.session.scalar(db.select(db.func.count(Candidate.id))) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"not a database at all" * 100), "not a SQLite database"),
        (lambda p: None, "no backup file"),
        (
            lambda p: sqlite3.connect(p).executescript(
                "CREATE TABLE alembic_version (version_num TEXT);"
                "INSERT INTO alembic_version VALUES ('0123456789ab');"
            ),
            "upgrade interviewkit first",
        ),
        (
            lambda p: sqlite3.connect(p).executescript(
                "CREATE TABLE alembic_version (version_num TEXT);"
                "INSERT INTO alembic_version VALUES ('c9d0e1f2a3b5');"
            ),
            "older than this interviewkit",
        ),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)"), "not an interviewkit"),
    ],
)
def test_restore_refuses_a_bad_backup(sqlite_app, tmp_path, make, message):
    bad = tmp_path / "bad.db"
    make(bad)
    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def pg_database():
    """A PostgreSQL database of this test's own (a restore renames databases)."""
    try:
        conn = _pg_admin_connect()
    except Exception:  # noqa: BLE001 - not reachable: the SQLite tests still run
        pytest.skip("PostgreSQL not reachable")
    name = f"ik_restore_{uuid.uuid4().hex[:8]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + (
        f"/{name}"
    )
    with _pg_admin_connect() as conn:
        for suffix in ("", "_restoring", "_before_restore"):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}{suffix}" WITH (FORCE)')


def test_postgresql_backup_and_restore(tmp_path, pg_database):
    """pg_dump, then pg_restore into a new database that is checked and renamed into place."""
    from interviewkit.extensions import db
    from interviewkit.models import Candidate

    app = make_app(tmp_path, pg_database)
    _stamp(app)
    _card(app)
    path = _backup(app, tmp_path)
    assert path.endswith(".pgdump")
    assert os.stat(path).st_mode & 0o777 == 0o600  # was 0644: pg_dump used the umask
    with app.app_context():
        db.session.add(Candidate(name="After", email="a@example.com", role_title="BE", level="mid"))
        db.session.commit()
        db.engine.dispose()
    refused = app.test_cli_runner().invoke(args=["restore", path])
    assert refused.exit_code == 3 and "integrity ok" in refused.output
    result = app.test_cli_runner().invoke(args=["restore", path, "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
        assert db.session.scalar(db.select(db.func.count(Candidate.id))) == 1

"""Upkeep of an installation: where rate limits are counted (`init`), backups (`backup`)
and putting one back (`restore`).

Tasks on the instance folder and the app database as files, called by the CLI; nothing
here reads or writes users or interviews.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from .instance import write_private


class BackupError(Exception):
    """A backup could not be made, or one could not be checked or put back."""


class RestoreRefused(BackupError):
    """The backup is good, but restoring it would overwrite a database (no --yes)."""


MIGRATIONS = Path(__file__).parent / "migrations"

# The tables whose rows `backup` and `restore` count: what people made and wrote.
MAIN_TABLES = (
    "users",
    "candidates",
    "loops",
    "loop_sessions",
    "loop_questions",
    "scorecards",
    "kit_texts",
    "kit_revisions",
    "kit_scores",
    "competency_ratings",
    "amendments",
    "decisions",
    "audit_events",
)


def configure_rate_limit_storage(app: Flask) -> str:
    """Point rate limits at the local Redis if one answers and nothing is configured yet.

    Return one line for `init` to print, which says when it wrote instance/config.py.
    """
    current = app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    config_file = Path(app.instance_path) / "config.py"
    if current != "memory://":
        prefix = app.config.get("RATELIMIT_KEY_PREFIX")
        return f"Rate limits: shared through {_safe_url(current)}, key prefix {prefix!r}"
    url = "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001 - any failure means "no usable Redis here"
        return (
            "Rate limits: per process (no Redis found); set RATELIMIT_STORAGE_URI to a "
            "Redis URL when several processes serve the app"
        )
    # A prefix of its own, so another app (or instance) on the same Redis keeps its counters.
    prefix = f"interviewkit-{secrets.token_hex(4)}"
    settings = f"RATELIMIT_STORAGE_URI = {url!r}\nRATELIMIT_KEY_PREFIX = {prefix!r}\n"
    if config_file.exists():
        return (
            f"Rate limits: per process; Redis answers at {url}: to share them between "
            f"processes add to {config_file}: " + settings.replace("\n", "; ").rstrip("; ")
        )
    write_private(
        str(config_file),
        "# Written by `interviewkit init`: rate limits shared by every server process.\n"
        + settings,
    )
    app.config["RATELIMIT_STORAGE_URI"] = url
    app.config["RATELIMIT_KEY_PREFIX"] = prefix
    return (
        f"Wrote {config_file}: rate limits are shared through the Redis at {url} "
        f"(key prefix {prefix!r}); edit or delete that file to change it"
    )


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse: show its scheme only
        return url.split("://", 1)[0] + "://..."


def _private_file(path: Path) -> Path:
    """Create `path` empty and readable by its owner only, before anything is written to it.

    A backup holds every scorecard and note: pg_dump and sqlite3 would create it with the
    umask's mode (often 0644) and write into it before any chmod could follow.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    os.chmod(path, 0o600)  # whatever the umask took away
    return path


def backup(database_uri: str, folder: Path) -> Path:
    """Write a consistent copy of the app database into `folder` and return its path."""
    url = make_url(database_uri)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # 0700 when it makes it
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if url.get_backend_name() == "sqlite":
        source = url.database
        if not source or not os.path.exists(source):
            raise BackupError(f"no SQLite database at {source}: run `interviewkit init` first")
        target = _private_file(folder / f"interviewkit-{stamp}.db")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # SQLite's online backup: consistent even while the app writes
        finally:
            dst.close()
            src.close()
        os.chmod(target, 0o600)
        return target
    if url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError("pg_dump is not installed: install the PostgreSQL client tools")
        target = _private_file(folder / f"interviewkit-{stamp}.pgdump")
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        args = [
            pg_dump,
            "--format=custom",
            f"--file={target}",
            "--no-password",
            f"--host={url.host or 'localhost'}",
            f"--port={url.port or 5432}",
            f"--username={url.username or 'postgres'}",
            url.database or "postgres",
        ]
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        if result.returncode:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return target
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


# -- restore ------------------------------------------------------------------------------


@dataclass
class BackupCheck:
    """What `restore` found in a backup: its schema version and rows per main table."""

    path: Path
    version: str
    counts: dict[str, int] = field(default_factory=dict)


def code_head() -> str:
    """Return the schema version (Alembic head) this code expects."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _check_version(version: str | None, head: str, what: str) -> None:
    if version is None:
        raise BackupError(f"{what} has no schema version: it is not an interviewkit database")
    if version == head:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        known = ScriptDirectory(str(MIGRATIONS)).get_revision(version) is not None
    except CommandError:
        known = False
    if known:
        raise BackupError(
            f"{what} is at schema version {version}, older than this interviewkit's {head}: "
            "restore it with the interviewkit release that made it, then upgrade the code "
            "and run `interviewkit init` (which migrates it)"
        )
    raise BackupError(
        f"{what} is at schema version {version}, which this interviewkit does not know "
        f"(it expects {head}): a newer interviewkit made it; upgrade interviewkit first"
    )


def check_sqlite_backup(path: Path, head: str) -> BackupCheck:
    """Check a SQLite backup file (integrity, schema version) and count its rows."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened: {exc}") from None
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupError(f"{path} fails SQLite's integrity check: {'; '.join(result[:3])}")
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            row = None
        _check_version(row[0] if row else None, head, str(path))
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in MAIN_TABLES}  # noqa: S608 - our table names
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from None
    finally:
        conn.close()
    return BackupCheck(path, row[0], counts)


def restore(
    database_uri: str, path: Path, head: str, *, replace: bool, report=print
) -> BackupCheck:
    """Check a backup, then put it in place of the app database; return what it holds.

    `report` is told the check's result before anything is replaced. Without `replace`, an
    existing database is never overwritten (RestoreRefused). SQLite: the backup is copied
    beside the database and renamed over it in one step; the old file stays as
    `<name>.before-restore`. PostgreSQL: the dump is restored into a new database, checked
    there, and the two are renamed; the old one stays as `<name>_before_restore`.
    """
    url = make_url(database_uri)
    if url.get_backend_name() == "sqlite":
        return _restore_sqlite(Path(url.database or ""), path, head, replace, report)
    if url.get_backend_name() == "postgresql":
        return _restore_postgresql(url, path, head, replace, report)
    raise BackupError(f"restoring {url.get_backend_name()} databases is not supported")


def _restore_sqlite(target: Path, path: Path, head: str, replace: bool, report) -> BackupCheck:
    check = check_sqlite_backup(path, head)
    report(check)
    if target.exists() and not replace:
        raise RestoreRefused(
            f"{target} exists: stop the app, then run again with --yes to replace it "
            f"(the current file is kept as {target.name}.before-restore)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".restoring")
    staging.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dst = sqlite3.connect(staging)
    try:
        src.backup(dst)
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"the copy of {path} at {staging} is damaged: check the disk")
    finally:
        dst.close()
        src.close()
    os.chmod(staging, 0o600)
    if target.exists():
        # Fold the write-ahead log into the old file, so .before-restore is complete and
        # no old -wal is ever replayed onto the restored file.
        live = sqlite3.connect(target)
        try:
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            live.close()
        before = target.with_name(target.name + ".before-restore")
        link = target.with_name(target.name + ".before-restore.tmp")
        link.unlink(missing_ok=True)
        os.link(target, link)  # the old file keeps a name through the swap
        os.replace(link, before)
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staging, target)  # one rename: the database is the old one or the new one
    return check


def _pg_args(url: URL) -> list[str]:
    return [
        "--no-password",
        f"--host={url.host or 'localhost'}",
        f"--port={url.port or 5432}",
        f"--username={url.username or 'postgres'}",
    ]


def _restore_postgresql(url: URL, path: Path, head: str, replace: bool, report) -> BackupCheck:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupError("pg_restore is not installed: install the PostgreSQL client tools")
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    listed = subprocess.run(
        [pg_restore, "--list", str(path)], env=env, capture_output=True, text=True, check=False
    )
    if listed.returncode:
        raise BackupError(f"{path} is not a pg_dump custom-format file: {listed.stderr.strip()}")
    name = url.database or "postgres"
    staging, before = f"{name}_restoring", f"{name}_before_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{staging}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{staging}"')
        try:
            result = subprocess.run(
                [pg_restore, *_pg_args(url), "--no-owner", f"--dbname={staging}", str(path)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
            check = _check_pg_copy(url.set(database=staging), path, head)
            report(check)
            if not replace:
                raise RestoreRefused(
                    f"database {name} exists: stop the app, then run again with --yes to "
                    f"replace it (the current one is kept as {before})"
                )
        except BackupError:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{staging}" WITH (FORCE)')
            raise
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{before}" WITH (FORCE)')
            # a database in use cannot be renamed: end its connections (the app is stopped)
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" RENAME TO "{before}"')
            conn.exec_driver_sql(f'ALTER DATABASE "{staging}" RENAME TO "{name}"')
    finally:
        admin.dispose()
    return check


def _check_pg_copy(url: URL, path: Path, head: str) -> BackupCheck:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            try:
                version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            except Exception:  # noqa: BLE001 - no such table: not our database
                version = None
                conn.rollback()
            _check_version(version, head, str(path))
            counts = {
                t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()  # noqa: S608
                for t in MAIN_TABLES
            }
    finally:
        engine.dispose()
    return BackupCheck(path, version, counts)


def database_counts(database_uri: str) -> dict[str, int]:
    """Return the rows per main table of the app database (after a restore)."""
    engine = create_engine(database_uri)
    try:
        with engine.connect() as conn:
            return {
                t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()  # noqa: S608
                for t in MAIN_TABLES
            }
    finally:
        engine.dispose()

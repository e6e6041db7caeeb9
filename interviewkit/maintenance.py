"""Upkeep of an installation: where rate limits are counted (`init`) and backups (`backup`).

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
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from .instance import write_private


class BackupError(Exception):
    """A backup could not be made."""


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


def backup(database_uri: str, folder: Path) -> Path:
    """Write a consistent copy of the app database into `folder` and return its path."""
    url = make_url(database_uri)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if url.get_backend_name() == "sqlite":
        source = url.database
        if not source or not os.path.exists(source):
            raise BackupError(f"no SQLite database at {source}: run `interviewkit init` first")
        target = folder / f"interviewkit-{stamp}.db"
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
        target = folder / f"interviewkit-{stamp}.pgdump"
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

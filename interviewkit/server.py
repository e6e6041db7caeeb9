"""Run the app under gunicorn from the `serve` command: its settings and the checks before it.

`serve` never runs the app in debug mode, whatever FLASK_DEBUG, `--debug` or DEBUG say:
debug mode is for `flask run` on a laptop (docs/operations.md, "Serving: workers,
threads, never debug").
"""

from __future__ import annotations

import errno
import gc
import logging
import logging.config
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from gunicorn.app.base import BaseApplication
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from . import observability

# Threads per worker when THREADS is not set: a request waits for PostgreSQL's round
# trips, SQLite's write lock or a slow client much of its time, and a thread is far
# cheaper than a process (docs/operations.md, "Serving: workers, threads, never debug").
DEFAULT_THREADS = 4
MAX_WORKERS = 64
MAX_THREADS = 64
# Seconds to wait for a PostgreSQL host that does not answer at all, before serving.
CONNECT_TIMEOUT = 10


class ServeError(Exception):
    """The app cannot be served: one line saying why and what to do."""


class _Server(BaseApplication):
    def __init__(self, options: dict, load_app: Callable[[], Flask] | None = None) -> None:
        self.options = options
        self.load_app = load_app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        if self.load_app is None:
            from . import create_app

            return without_debug(create_app())
        return without_debug(self.load_app())


def without_debug(app: Flask) -> Flask:
    """Turn debug mode off for good: a served app never pretty-prints, reloads templates
    or lets an error through to gunicorn, whatever FLASK_DEBUG or DEBUG said."""
    app.debug = False  # also turns Jinja's auto-reload off (unless TEMPLATES_AUTO_RELOAD)
    return app


def freeze_startup_objects(worker=None) -> None:
    """gunicorn's post_worker_init hook: exempt the objects of start-up from garbage collection,
    then start the worker's webhook sender.

    Imports and create_app leave some 120,000 long-lived objects, and every full
    collection walks them all. A request that builds many rows (a role export, 600
    candidates) triggered such collections mid-request: 70 to 100 ms of a 300 ms export.
    `gc.freeze()` moves them to a generation the collector never visits, as the Python
    docs suggest for long-running servers; objects made by requests are collected as
    before.

    The sender is a daemon thread sending due webhook deliveries every few seconds
    (`webhooks.start_sender`; WEBHOOK_WORKER=False turns it off), so `make run` delivers
    without another process. Every worker has one: their claims never overlap. A second
    thread (`mail.start_sender`) retries the emails the outbox still holds.

    It also turns debug mode off when gunicorn is run directly on `create_app()`.
    """
    gc.freeze()
    if worker is not None:
        from . import mail, webhooks

        app = getattr(worker, "wsgi", None)
        if isinstance(app, Flask):
            without_debug(app)
        webhooks.start_sender(app)
        mail.start_sender(app)  # retries what the mail server has not taken yet (invites)


@dataclass(frozen=True)
class Plan:
    """Where and how `serve` runs gunicorn."""

    host: str
    port: int
    workers: int
    threads: int

    @property
    def bind(self) -> str:
        """Return gunicorn's bind address (an IPv6 address in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def default_workers() -> int:
    """Return one worker per core, at least 2 (one can be busy or replaced while another serves)."""
    return max(2, os.cpu_count() or 1)


def plan(config, host=None, port=None, workers=None, threads=None) -> Plan:
    """Return the plan from the command's options, else the config, else the defaults."""
    workers = workers or _count(config, "WORKERS", MAX_WORKERS) or default_workers()
    threads = threads or _count(config, "THREADS", MAX_THREADS) or DEFAULT_THREADS
    return Plan(host or config["HOST"], int(port or config["PORT"]), workers, threads)


def _count(config, name: str, most: int) -> int | None:
    value = config.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= most:
        raise ServeError(f"{name} is {value!r}: set a whole number from 1 to {most}, or unset it")
    return number


def check_port(host: str, port: int) -> None:
    """Raise ServeError unless gunicorn will be able to listen on host:port."""
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError):
        raise ServeError(f"cannot listen on {where}: no such address on this machine") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                reason = (
                    "the port is in use (another `interviewkit serve`?): stop that "
                    "program or choose another port with --port"
                )
            elif exc.errno == errno.EACCES:
                reason = "permission denied (ports below 1024 need privileges): use --port"
            elif exc.errno == errno.EADDRNOTAVAIL:
                reason = "this machine has no such address: check --host"
            else:
                reason = exc.strerror or str(exc)
            raise ServeError(f"cannot listen on {where}: {reason}") from None


def check_database(database_uri: str, head: str) -> str | None:
    """Raise ServeError unless the app database answers at this code's schema version.

    A database at a newer version than this code knows is served, with the note
    returned: an older node keeps serving while a newer release migrates
    (docs/operations.md, "Upgrading while others serve").
    """
    url = make_url(database_uri)
    shown = url.render_as_string(hide_password=True)
    backend = url.get_backend_name()
    local = backend == "sqlite" and url.database and url.database != ":memory:"
    if local and not Path(url.database).exists():
        raise ServeError(f"no app database at {url.database}: run `interviewkit init` first")
    connect_args = {}
    if backend == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            try:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except SQLAlchemyError:
                version = None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ServeError(f"cannot reach the app database at {shown}: {reason}") from None
    finally:
        engine.dispose()
    if version is None:
        raise ServeError(f"the app database at {shown} has no tables: run `interviewkit init`")
    if version == head:
        return None
    if _is_known(version):
        raise ServeError(
            f"the app database is at schema version {version}, older than this "
            f"interviewkit's {head}: run `interviewkit db upgrade` (on one node), then serve"
        )
    return (
        f"The app database is at schema version {version}, newer than this "
        f"interviewkit's {head} (a newer release migrated it): serving anyway"
    )


def _is_known(version: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from .maintenance import MIGRATIONS

    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(version) is not None
    except CommandError:
        return False


def serve_log() -> logging.Logger:
    """Return the logger of `serve` itself, writing JSON lines like gunicorn's."""
    logging.config.dictConfig(observability.LOGGING)
    return logging.getLogger("interviewkit.serve")


def serve(load_app: Callable[[], Flask] | None, plan: Plan, instance_path: str) -> None:
    """Serve the app made by `load_app` (in each worker) as `plan` says (blocks)."""
    options = gunicorn_options(plan.host, plan.port, plan.workers, plan.threads)
    _Server({**options, **control_socket(instance_path)}, load_app).run()


def control_socket(instance_path: str) -> dict:
    """Return the settings that put gunicorn's control socket in the instance folder.

    gunicorn's default ($HOME/.gunicorn/gunicorn.ctl) is one path for every gunicorn of
    the user, so a second `serve` on the machine took it over (and removed it when it
    stopped). A path too long for a Unix socket turns the socket off instead.
    """
    path = os.path.join(os.path.abspath(instance_path), "gunicorn.ctl")
    if len(os.fsencode(path)) >= 100:  # sun_path holds 108 bytes on Linux, 104 on macOS
        return {"control_socket_disable": True}
    return {"control_socket": path}


# Settings shared by `interviewkit serve` and `gunicorn -c python:interviewkit.gunicorn_conf`.
SETTINGS = {
    "timeout": 60,
    "graceful_timeout": 10,
    # gunicorn's own limit (4094 by default) answers a bare "414" page; at its
    # maximum, the app's own check (inputs.MAX_URL) answers first, with its page.
    "limit_request_line": 8190,
    "post_worker_init": freeze_startup_objects,
    # gunicorn believes X-Forwarded-Proto from 127.0.0.1 by default (forwarded_allow_ips):
    # only TRUSTED_PROXY_HOPS (ProxyFix in the app) decides what a forwarded header means.
    "secure_scheme_headers": {},
    # JSON log lines, the app's request line instead of gunicorn's access log, and a dead
    # worker's live gauges dropped from /metrics (docs/operations.md, "Logs", "Metrics")
    "logconfig_dict": observability.LOGGING,
    "child_exit": observability.worker_exited,
}


def gunicorn_options(host: str, port: int, workers: int, threads: int = 1) -> dict:
    """Return the gunicorn settings `serve` uses: sync workers, or gthread with threads."""
    bind = Plan(host, port, workers, threads).bind
    options = {"bind": bind, "workers": workers, **SETTINGS}
    if threads > 1:
        options.update(worker_class="gthread", threads=threads)
    else:
        options.update(worker_class="sync", threads=1)
    return options

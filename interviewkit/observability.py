"""Request ids, JSON logs and Prometheus metrics (docs/operations.md explains each).

Every request gets an id: the proxy's `X-Request-ID` when it is a safe token, else a new
one. It goes back in the response's `X-Request-ID`, into every log line written while
the request runs, and onto the error pages, so a user's "Reference" finds its log lines.

One JSON log line per request (logger `interviewkit.request`): method, path, endpoint,
status, duration and user id. Never a query string, a form value, a body, a header or a
cookie: the path is the only part of the request written, with any `<token>` in it
replaced, so no note, password, token or session cookie reaches a log.

`/metrics` serves Prometheus' text format through `prometheus_client`. Under
`interviewkit serve` the client runs in its multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
prepared by `prepare_metrics_dir`), so a scrape answered by any gunicorn worker reports
the sum over all of them; without that variable (tests, `flask run`) it counts in memory.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import json
import logging
import os
import re
import time
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request
from sqlalchemy import event, inspect

from .bank.reader import bank_info
from .extensions import db

bp = Blueprint("observability", __name__)

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
DEFAULT_METRICS_ALLOW = "127.0.0.1,::1"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Proxy headers: a request that carries one came through a proxy, whose own address
# (often 127.0.0.1) says nothing about the client; /metrics then wants the token.
_FORWARDED_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

request_log = logging.getLogger("interviewkit.request")


# -- request ids ---------------------------------------------------------------------------


def request_id() -> str:
    """Return this request's id: the proxy's X-Request-ID if it is safe, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        rid = given if _SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_id = rid
    return rid


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    metrics = _metrics()
    # a made-up method would otherwise be a new series per attempt
    method = request.method if request.method in _METHODS else "other"
    metrics.requests.labels(endpoint, method, str(response.status_code)).inc()
    metrics.latency.labels(endpoint).observe(duration)
    path = _loggable_path()
    request_log.info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "fields": {
                "method": request.method,
                "path": path,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 1),
                "user_id": _user_id(),
                "request_id": request_id(),
            }
        },
    )
    return response


def _loggable_path() -> str:
    """Return the path without its query string, a `<token>` or `<secret>` argument replaced.

    A route whose address is its credential (a set-password link, a calendar feed) names
    that argument so; this keeps it out of the log.
    """
    path = request.path
    for name, value in (request.view_args or {}).items():
        if ("token" in name or "secret" in name) and isinstance(value, str) and value:
            path = path.replace(value, f"<{name}>")
    return path


def _user_id() -> int | None:
    # Only a user the request already loaded (Flask-Login's g._login_user, the API's
    # g.api_user): looking one up here would cost every static file a query.
    # The id from the identity map, not the attribute: after a view commits, the attribute
    # is expired and reading it would cost a query (on SQLite a second write transaction
    # for every POST: bench/README.md, "Autosave").
    user = g.get("api_user") or g.get("_login_user")
    if not getattr(user, "is_authenticated", False):
        return None
    state = inspect(user, raiseerr=False)
    if state is not None and state.identity is not None:
        return state.identity[0]
    return getattr(user, "id", None)


# -- JSON logs -----------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line: time, level, logger, message, request id, fields."""
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if has_request_context():
            line["request_id"] = request_id()
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info and record.exc_info[1] is not None:
            line["traceback"] = quiet_traceback(record.exc_info[1])
        return json.dumps(line, default=str)


def quiet_traceback(exc: BaseException) -> str:
    """Return the traceback of an exception and its causes, naming each one's type only.

    An exception's message can quote what was typed (a value that would not parse, the
    key of a duplicate row, with PostgreSQL's DETAIL), so it is left out: the frames say
    where it went wrong, and the request id finds the request.
    """
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        kind = type(exc)
        frames = "".join(traceback.format_tb(exc.__traceback__))
        parts.append(
            f"Traceback (most recent call last):\n{frames}{kind.__module__}.{kind.__qualname__}"
        )
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return "\n\nThe above exception led to the following one:\n\n".join(reversed(parts))


# gunicorn's `logconfig_dict` (server.SETTINGS): every line of the app and of gunicorn
# itself as JSON on stderr. gunicorn's access log is off: the app's own request line,
# which knows the endpoint, user and request id, is the one line per request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "interviewkit.observability.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        # no handlers of their own (Flask's default one is removed): all go to the root
        "interviewkit": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}


# -- metrics -------------------------------------------------------------------------------


class _Metrics:
    """The app's metrics, made on first use (after `prepare_metrics_dir` chose the mode)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter(
            "interviewkit_http_requests",
            "Requests answered, by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=reg,
        )
        self.latency = Histogram(
            "interviewkit_http_request_duration_seconds",
            "Time from the request's start to its response, by endpoint.",
            ["endpoint"],
            registry=reg,
        )
        self.autosave = Counter(
            "interviewkit_autosave_items",
            "Autosaved items by outcome (saved, duplicate, conflict, locked, refused), "
            "from the kit's page or the API.",
            ["via", "result"],
            registry=reg,
        )
        # livesum: each worker's gauge counts while it lives, and the scrape adds them up
        self.pool_checked_out = Gauge(
            "interviewkit_db_pool_checked_out",
            "App database connections in use, summed over the workers.",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self.pool_size = Gauge(
            "interviewkit_db_pool_size",
            "App database connections each pool keeps, summed over the workers.",
            registry=reg,
            multiprocess_mode="livesum",
        )


@functools.cache
def _metrics() -> _Metrics:
    return _Metrics()


def count_autosave(via: str, results) -> None:
    """Count one autosave batch's items by their outcome (`via`: "kit" or "api")."""
    counter = _metrics().autosave
    for result in results:
        counter.labels(via, result.status).inc()


def prepare_metrics_dir(instance_path: str) -> str:
    """Empty `<instance>/metrics` and make prometheus_client count there, for all workers.

    Called by `interviewkit serve` before gunicorn starts its workers. The client picks
    its multiprocess mode when imported, and the CLI has imported it already, so the
    choice is made again here and the metrics made so far are dropped.
    """
    path = Path(instance_path) / "metrics"
    path.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)
    for stale in path.iterdir():  # the counts of an earlier run, or of dead workers
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    from prometheus_client import values

    values.ValueClass = values.get_value_class()
    _metrics.cache_clear()
    return str(path)


def worker_exited(server, worker) -> None:
    """gunicorn's child_exit hook: drop a dead worker's live gauges (pool connections)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _watch_pool(engine) -> None:
    pool = engine.pool

    def checked_out(*args) -> None:
        metrics = _metrics()
        metrics.pool_checked_out.inc()
        size = getattr(pool, "size", None)  # QueuePool; NullPool and StaticPool have none
        if callable(size):
            metrics.pool_size.set(size())

    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", lambda *args: _metrics().pool_checked_out.dec())


def _bank_families(path: str):
    from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

    info = bank_info(path) or {}
    yield InfoMetricFamily(
        "interviewkit_bank",
        "The question bank being served (none: no usable bank).",
        value={
            "build_id": str(info.get("build_id") or "none"),
            "schema_version": str(info.get("schema_version") or ""),
        },
    )
    yield GaugeMetricFamily(
        "interviewkit_bank_questions", "Questions in the bank.", value=info.get("questions", 0)
    )


class _BankCollector:
    def __init__(self, path: str) -> None:
        self.path = path

    def collect(self):
        yield from _bank_families(self.path)
        yield from _outbox_families()


def _outbox_families():
    # Read from the database at each scrape: the same for every worker, no gauge to keep.
    from prometheus_client.core import GaugeMetricFamily

    from .mail import outbox_counts

    try:
        waiting, given_up = outbox_counts()
    except Exception:  # noqa: BLE001 - /healthz reports the database; metrics still answer
        return
    yield GaugeMetricFamily(
        "interviewkit_mail_outbox_waiting",
        "Emails (invites) the mail server has not taken yet, to be retried.",
        value=waiting,
    )
    yield GaugeMetricFamily(
        "interviewkit_mail_outbox_given_up",
        "Emails left in the outbox after their last attempt (see last_error).",
        value=given_up,
    )


def metrics_text() -> bytes:
    """Return every metric in Prometheus' text format, summed over workers when served."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    metrics = _metrics()
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = metrics.registry
    bank = CollectorRegistry()
    bank.register(_BankCollector(current_app.config["BANK_PATH"]))
    return generate_latest(registry) + generate_latest(bank)


def _may_read_metrics() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if any(name in request.headers for name in _FORWARDED_HEADERS):
        return False
    allowed = current_app.config.get("METRICS_ALLOW") or ""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in _networks(allowed))


@functools.cache
def _networks(allowed: str) -> tuple:
    return tuple(
        ipaddress.ip_network(a.strip(), strict=False) for a in allowed.split(",") if a.strip()
    )


@bp.get("/metrics")
def metrics():
    """Serve the metrics to an allowed address or the bearer of METRICS_TOKEN; else 404."""
    if not _may_read_metrics():
        abort(404)  # not 403: an outsider is not told there is something here
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(metrics_text(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app: Flask) -> None:
    """Give every request an id and a log line, count it, and serve /metrics."""
    allowed = app.config.setdefault("METRICS_ALLOW", DEFAULT_METRICS_ALLOW) or ""
    if not isinstance(allowed, str):  # a list in instance/config.py
        app.config["METRICS_ALLOW"] = allowed = ",".join(allowed)
    app.config.setdefault("METRICS_TOKEN", None)
    _networks(allowed)  # a bad address fails at start, not at a scrape
    # first of all, so even a request another hook refuses has its start time and id
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.jinja_env.globals["request_id"] = request_id
    app.register_blueprint(bp)
    with app.app_context():
        _watch_pool(db.engine)

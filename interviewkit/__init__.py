"""interviewkit: a self-hosted technical interview question bank and scoring tool."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask

from .instance import ensure_private_folder, ensure_secret_key

# The repository checkout this package lives in: its questions/ and rubrics/ are the
# default content root.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app: defaults, then instance/config.py, then INTERVIEWKIT_*."""
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_mapping(
        BANK_PATH=os.path.join(app.instance_path, "bank.db"),
        CONTENT_ROOTS=[str(PROJECT_ROOT)],
        DATABASE_URL=None,
        HOST="127.0.0.1",
        PORT=5000,
        # `serve`: unset, one worker process per core (at least 2); threads in each
        # (server.py; docs/operations.md, "Serving: workers, threads, never debug").
        WORKERS=None,
        THREADS=4,
        # Proxies in front whose X-Forwarded-For/-Proto/-Host are believed; 0: none are.
        TRUSTED_PROXY_HOPS=0,
        # Failed sign-ins only, per account; per address too unless LOGIN_ADDRESS_RATE_LIMIT
        # says otherwise (auth/throttle.py explains the design).
        LOGIN_RATE_LIMIT="10 per minute",
        LOGIN_ADDRESS_RATE_LIMIT=None,
        SET_PASSWORD_LINK_HOURS=48,
        # A scorecard not submitted this many hours after its session is overdue: it shows
        # on the interviewer's queue and the lead's dashboard, and `remind` emails about it.
        SCORECARD_DEADLINE_HOURS=24,
        # Days a candidate's personal data is kept after the decision in force (or their
        # last activity, if later or without a decision); then `interviewkit purge`
        # deletes it and keeps the anonymised scores (retention.py).
        RETENTION_DAYS=365,
        # The address people open the app at (https://interviews.example.com): links in
        # reminder emails are built from it, since cron has no request to take it from.
        PUBLIC_URL=None,
        # The IANA time zone pages and emails show times in for users who chose none on
        # their account page (scheduling.py).
        DEFAULT_TIMEZONE="UTC",
        RATELIMIT_STORAGE_URI="memory://",
        # Set, not left to Flask-Limiter: its one Limiter object takes a missing setting
        # from the last app it was set up for, so an app that turned limits off (a test)
        # turned them off for every app made after it in the same process.
        RATELIMIT_ENABLED=True,
        # Two apps sharing one Redis must not share counters: `init` writes a unique one.
        RATELIMIT_KEY_PREFIX="interviewkit",
        RATELIMIT_HEADERS_ENABLED=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # A sign-in lasts a working day, then must be renewed (the kit keeps drafts).
        LOGIN_SESSION_HOURS=12,
        # Forms stay valid through a long interview day; the kit renews its token anyway.
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        # hide_parameters: a database error never writes what people typed (notes,
        # names) into the error log; the SQL and the error itself are still logged.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True},
        # SQLite: FULL makes "All changes saved" survive a power cut (docs/operations.md).
        SQLITE_SYNCHRONOUS="FULL",
        SQLITE_BUSY_TIMEOUT_MS=10_000,
        # The JSON API: requests per token (or address) in the shared limiter store, and
        # the largest body it reads (413 above it).
        API_RATE_LIMIT="600 per minute",
        API_MAX_BODY=1024 * 1024,
        # Sign-in through OpenID Connect providers (auth/oidc.py; the README shows an
        # example): a list of dicts, or that list as JSON in INTERVIEWKIT_OIDC_PROVIDERS.
        OIDC_PROVIDERS=[],
        # False: no password sign-in, password change or set-password links, only providers.
        PASSWORD_LOGIN=True,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("INTERVIEWKIT")
    else:
        app.config.from_mapping(test_config)
    app.config["CONTENT_ROOTS"] = _as_list(app.config["CONTENT_ROOTS"])
    ensure_private_folder(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_key(app.instance_path)

    from . import cli, database, health, inputs, observability, security, static_files, vocabulary
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .auth import oidc
    from .browse import bp as browse_bp
    from .candidates import bp as candidates_bp
    from .content.schema import SECTIONS
    from .content.starters import arrange
    from .extensions import csrf, limiter
    from .kit import bp as kit_bp
    from .main import bp as main_bp
    from .main.routes import register_error_handlers
    from .review import bp as review_bp

    inputs.register_converters(app)
    database.configure(app)
    observability.init_app(app)  # request ids, the request log line, /metrics
    inputs.init_app(app)  # before CSRFProtect, which reads the form
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    oidc.init_app(app)  # the sign-in providers, checked now (ConfigError if wrong)
    static_files.init_app(app)
    blueprints = (health.bp, main_bp, auth_bp, admin_bp, browse_bp, candidates_bp, kit_bp)
    for bp in (*blueprints, review_bp, api_bp):
        app.register_blueprint(bp)
    register_error_handlers(app)
    app.jinja_env.globals.update(
        vocabulary.template_globals(), QUESTION_SECTIONS=SECTIONS, arrange_starters=arrange
    )
    cli.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Take the client's address, scheme and host from TRUSTED_PROXY_HOPS proxies' headers.

    With 0 (the default) the headers are ignored: anyone can send them, so believing them
    would let a client choose the address its failed sign-ins are counted against.
    """
    value = app.config.get("TRUSTED_PROXY_HOPS") or 0
    try:
        hops = int(value)
    except (TypeError, ValueError):
        hops = -1
    if hops < 0:
        raise ValueError(
            f"TRUSTED_PROXY_HOPS is {value!r}: set the number of proxies in front, 0 or more"
        )
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _as_list(value) -> list[str]:
    """Accept a list, a JSON list or an os.pathsep-separated string of content roots."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            value = json.loads(value)
        else:
            value = [v for v in value.split(os.pathsep) if v]
    return [str(v) for v in value]

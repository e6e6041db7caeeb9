"""interviewkit: a self-hosted technical interview question bank and scoring tool."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask

from .instance import ensure_secret_key

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
        HOST="127.0.0.1",
        PORT=5000,
        WORKERS=2,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("INTERVIEWKIT")
    else:
        app.config.from_mapping(test_config)
    app.config["CONTENT_ROOTS"] = _as_list(app.config["CONTENT_ROOTS"])
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_key(app.instance_path)

    from . import cli, health

    app.register_blueprint(health.bp)
    cli.init_app(app)
    return app


def _as_list(value) -> list[str]:
    """Accept a list, a JSON list or an os.pathsep-separated string of content roots."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            value = json.loads(value)
        else:
            value = [v for v in value.split(os.pathsep) if v]
    return [str(v) for v in value]

"""Run the app under gunicorn from the `serve` command."""

from __future__ import annotations

import gc

from gunicorn.app.base import BaseApplication

from . import observability


class _Server(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app

        return create_app()


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
    without another process. Every worker has one: their claims never overlap.
    """
    gc.freeze()
    if worker is not None:
        from .webhooks import start_sender

        start_sender(getattr(worker, "wsgi", None))


def serve(host: str, port: int, workers: int) -> None:
    """Serve create_app() on host:port with `workers` gunicorn processes (blocks)."""
    _Server(gunicorn_options(host, port, workers)).run()


# Settings shared by `interviewkit serve` and `gunicorn -c python:interviewkit.gunicorn_conf`.
SETTINGS = {
    "timeout": 60,
    "graceful_timeout": 10,
    # gunicorn's own limit (4094 by default) answers a bare "414" page; at its
    # maximum, the app's own check (inputs.MAX_URL) answers first, with its page.
    "limit_request_line": 8190,
    "post_worker_init": freeze_startup_objects,
    # JSON log lines, the app's request line instead of gunicorn's access log, and a dead
    # worker's live gauges dropped from /metrics (docs/operations.md, "Logs", "Metrics")
    "logconfig_dict": observability.LOGGING,
    "child_exit": observability.worker_exited,
}


def gunicorn_options(host: str, port: int, workers: int) -> dict:
    """Return the gunicorn settings `serve` uses."""
    return {"bind": f"{host}:{port}", "workers": workers, **SETTINGS}

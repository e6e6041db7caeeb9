"""Run the app under gunicorn from the `serve` command."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


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


def serve(host: str, port: int, workers: int) -> None:
    """Serve create_app() on host:port with `workers` gunicorn processes (blocks)."""
    _Server(gunicorn_options(host, port, workers)).run()


def gunicorn_options(host: str, port: int, workers: int) -> dict:
    """Return the gunicorn settings `serve` uses."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
        # gunicorn's own limit (4094 by default) answers a bare "414" page; at its
        # maximum, the app's own check (inputs.MAX_URL) answers first, with its page.
        "limit_request_line": 8190,
    }

"""gunicorn settings for serving the app with gunicorn itself; `interviewkit serve` uses the same.

gunicorn -c python:interviewkit.gunicorn_conf -b 127.0.0.1:8000 'interviewkit:create_app()'

Workers and threads default as `serve`'s do (one worker per core, at least 2; 4 threads
each); `-w` and `--threads` override them.
"""

from .server import DEFAULT_THREADS, SETTINGS, default_workers

globals().update(SETTINGS)  # gunicorn reads a config module's top-level names
workers = default_workers()
threads = DEFAULT_THREADS
worker_class = "gthread"

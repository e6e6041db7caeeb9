"""A bare Flask hello-world: the ceiling bench/web.py measures the app's pages against.

bench/web.py serves it with the same gunicorn command and settings as the app
(`bench/gunicorn_conf.py`, the same workers, timeout and access log), so the
difference between the two is the app's own work: routing the same, the rest its views.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """Answer a short greeting."""
    return "Hello, World!"

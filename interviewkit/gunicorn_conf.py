"""gunicorn settings for serving the app with gunicorn itself; `interviewkit serve` uses the same.

gunicorn -c python:interviewkit.gunicorn_conf -w 2 -b 127.0.0.1:8000 'interviewkit:create_app()'
"""

from .server import SETTINGS

globals().update(SETTINGS)  # gunicorn reads a config module's top-level names

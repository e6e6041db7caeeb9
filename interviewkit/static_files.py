"""Static files with fingerprinted URLs: one request per page view, not one per file.

`url_for('static', filename='app.css')` gives `/static/app.css?v=<first 12 hex digits of
the file's SHA-256>`. A request carrying the current fingerprint is answered with a year's
`Cache-Control: public, max-age=31536000, immutable`, so a browser never asks again; a
changed file has a new fingerprint and so a new URL. A request without it (or with an old
one) must revalidate (`no-cache`, with the ETag Flask sends), so nobody is served a stale
file. Fingerprints are computed once per file and process, again when the file's mtime or
size changes.
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, request

YEAR = 365 * 24 * 3600
_versions: dict[str, tuple[tuple[int, int], str]] = {}


def fingerprint(folder: str, filename: str) -> str | None:
    """Return the fingerprint of a static file, or None if there is no such file."""
    path = os.path.join(folder, filename)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    known = _versions.get(path)
    if known and known[0] == key:
        return known[1]
    with open(path, "rb") as f:
        version = hashlib.sha256(f.read()).hexdigest()[:12]
    _versions[path] = (key, version)
    return version


def init_app(app: Flask) -> None:
    """Fingerprint static URLs and let browsers keep fingerprinted files for a year."""

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint == "static" and "v" not in values and "filename" in values:
            version = fingerprint(app.static_folder, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def cache_static(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            current = fingerprint(app.static_folder, filename)
            if current and request.args.get("v") == current:
                response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
        return response

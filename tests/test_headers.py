"""Security headers on every response; signed-in pages are never cached."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url", ["/login", "/healthz", "/no-such-page", "/static/app.css"])
def test_security_headers_everywhere(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", ["/", "/candidates", "/candidates/new", "/bank/", "/admin/users"])
def test_signed_in_pages_are_not_stored(client, auth, users, url):
    auth.login(users["admin"])
    response = client.get(url)
    assert response.headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script(app):
    from pathlib import Path

    folder = Path(app.root_path) / "templates"
    for template in folder.rglob("*.html"):
        if template.name == "preview.html":
            continue  # never served: `interviewkit preview` writes it to disk, styles inline
        text = template.read_text()
        assert "<script>" not in text and " on" + "click=" not in text, template


def test_static_files_have_fingerprinted_urls_and_a_long_cache_life(client, app):
    """Issue 11: a page view costs one request, not one per stylesheet and script."""
    import hashlib
    import re
    from pathlib import Path

    page = client.get("/login").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert urls and all(re.search(r"\?v=[0-9a-f]{12}$", u) for u in urls), urls
    css = next(u for u in urls if "app.css" in u)
    digest = hashlib.sha256((Path(app.static_folder) / "app.css").read_bytes()).hexdigest()
    assert css.endswith(digest[:12])
    response = client.get(css)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # without the fingerprint, or with an old one, the browser must revalidate
    for stale in ("/static/app.css", "/static/app.css?v=000000000000"):
        assert client.get(stale).headers["Cache-Control"] == "no-cache"
    assert client.get("/static/nothing.css?v=abc").status_code == 404

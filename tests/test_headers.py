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
        text = template.read_text()
        assert "<script>" not in text and " on" + "click=" not in text, template

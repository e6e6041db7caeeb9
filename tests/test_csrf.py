"""CSRF protection stays on here: every state-changing request needs the form's token."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, make_app


@pytest.fixture
def csrf_app(tmp_path, database_url, users):
    app = make_app(tmp_path / "csrf", database_url, WTF_CSRF_ENABLED=True)
    # the `users` fixture wrote to the other app's database: create them here too
    from interviewkit.users import create_user

    with app.app_context():
        create_user("admin@example.com", "Ada Admin", "admin", PASSWORD)
    return app


def token(client, url):
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_login_without_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_with_token_works(csrf_app):
    client = csrf_app.test_client()
    data = {
        "email": "admin@example.com",
        "password": PASSWORD,
        "csrf_token": token(client, "/login"),
    }
    assert client.post("/login", data=data).status_code == 302


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/logout", {}),
        (
            "/admin/users/new",
            {"name": "X", "email": "x@example.com", "role": "admin", "password": "p" * 12},
        ),
        (
            "/candidates/new",
            {
                "name": "C",
                "email": "c@example.com",
                "role_title": "BE",
                "level": "mid",
                "status": "active",
            },
        ),
        ("/account/password", {"current": PASSWORD, "new": "n" * 12, "confirm": "n" * 12}),
        ("/account/tokens", {"name": "ci", "scope": "read", "days": "90"}),
        ("/account/tokens/1/revoke", {}),
    ],
)
def test_state_changing_requests_need_the_token(csrf_app, url, data):
    client = csrf_app.test_client()
    login = {
        "email": "admin@example.com",
        "password": PASSWORD,
        "csrf_token": token(client, "/login"),
    }
    client.post("/login", data=login)
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still signed in: nothing happened


def test_the_token_pages_forms_carry_the_token(csrf_app):
    client = csrf_app.test_client()
    login = {
        "email": "admin@example.com",
        "password": PASSWORD,
        "csrf_token": token(client, "/login"),
    }
    client.post("/login", data=login)
    data = {
        "name": "ci",
        "scope": "read",
        "days": "90",
        "csrf_token": token(client, "/account/tokens"),
    }
    created = client.post("/account/tokens", data=data)
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "will not be shown again" in page
    revoke = re.search(
        r'action="(/account/tokens/\d+/revoke)".*?name="csrf_token" value="([^"]+)"', page, re.S
    )
    response = client.post(revoke.group(1), data={"csrf_token": revoke.group(2)})
    assert response.status_code == 302
    assert "<td>revoked</td>" in client.get("/account/tokens").get_data(as_text=True)

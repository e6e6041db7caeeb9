"""Accounts: sign-in, sessions that can be revoked, rate limits, create-user."""

from __future__ import annotations

import uuid

import pytest
from conftest import PASSWORD, AuthActions, make_app

from interviewkit.extensions import db
from interviewkit.models import User


def test_sign_in_and_home(client, auth, users):
    response = auth.login(users["interviewer"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Hello, Ivan Interviewer" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "password"),
    [("ivan@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_failed_sign_in_says_the_same_thing(client, auth, users, email, password):
    response = auth.login(email, password)
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_disabled_user_cannot_sign_in(app, auth, users):
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=users["interviewer"])).scalar()
        user.active = False
        db.session.commit()
    assert auth.login(users["interviewer"]).status_code == 401


def test_password_is_stored_with_scrypt(app, users):
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=users["admin"])).scalar()
    assert user.password_hash.startswith("scrypt:")


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/bank/", "/bank/"),
        ("/candidates?status=all", "/candidates?status=all"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_next_goes_only_to_local_paths(auth, users, next_url, expected):
    response = auth.login(users["admin"], next_url=next_url)
    assert response.headers["Location"] == expected


def test_sign_in_clears_the_old_session(client, auth, users):
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login(users["admin"])
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_copied_cookie_fails_after_logout(app, client, auth, users):
    auth.login(users["hiring_lead"])
    stolen = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/candidates")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_password_change_signs_out_other_browsers(app, client, auth, users):
    auth.login(users["interviewer"])
    other = app.test_client()
    AuthActions(other).login(users["interviewer"])
    assert other.get("/").status_code == 200
    response = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this browser gets a fresh session
    assert other.get("/").status_code == 302  # the other one is signed out


def test_disabling_a_user_ends_their_sessions(app, client, auth, users):
    victim = app.test_client()
    AuthActions(victim).login(users["interviewer"])
    auth.login(users["admin"])
    with app.app_context():
        uid = db.session.execute(db.select(User.id).filter_by(email=users["interviewer"])).scalar()
    response = client.post(
        f"/admin/users/{uid}",
        data={"name": "Ivan Interviewer", "email": users["interviewer"], "role": "interviewer"},
    )  # no "active" field: the checkbox is unticked
    assert response.status_code == 302
    assert victim.get("/").status_code == 302


@pytest.mark.parametrize(
    ("base_url", "secure"), [("http://localhost", False), ("https://localhost", True)]
)
def test_session_cookie_flags(app, users, base_url, secure):
    client = app.test_client()
    response = client.post(
        "/login", data={"email": users["admin"], "password": PASSWORD}, base_url=base_url
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


def test_sign_in_is_rate_limited(tmp_path, database_url, users):
    app = make_app(tmp_path / "limited", database_url, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/login", data={"email": "x@example.com", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    assert "Too many attempts" in client.post("/login", data={}).get_data(as_text=True)


def _redis_url():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        import os

        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required under CI and is not reachable at 127.0.0.1:6379")
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    return url


@pytest.mark.parametrize(("storage", "shared"), [("redis", True), ("memory", False)])
def test_rate_limit_is_shared_between_processes_through_redis(
    tmp_path, database_url, storage, shared
):
    uri = _redis_url() if storage == "redis" else "memory://"
    settings = {
        "LOGIN_RATE_LIMIT": "2 per minute",
        "RATELIMIT_STORAGE_URI": uri,
        "RATELIMIT_KEY_PREFIX": f"ik-test-{uuid.uuid4().hex}",
    }
    first = make_app(tmp_path / "one", database_url, **settings).test_client()
    for _ in range(2):
        first.post("/login", data={"email": "a@example.com", "password": "nope"})
    # A second app has its own storage object, as a second gunicorn worker would.
    second = make_app(tmp_path / "two", database_url, **settings).test_client()
    code = second.post("/login", data={"email": "a@example.com", "password": "nope"}).status_code
    assert code == (429 if shared else 401)


def test_create_user_reads_a_piped_password(runner, app):
    result = runner.invoke(
        args=["create-user", "New@Example.com", "--name", "New Person", "--role", "hiring_lead"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created hiring_lead new@example.com" in result.output
    client = app.test_client()
    response = AuthActions(client).login("new@example.com", "a long enough password")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["create-user", "not-an-email", "--name", "X"], "a long enough password", "not a valid"),
        (["create-user", "a@example.com", "--name", "X"], "short", "at least 12"),
        (["create-user", "ADMIN@example.com", "--name", "X"], "a long enough password", "already"),
    ],
)
def test_create_user_errors(runner, users, args, password, message):
    result = runner.invoke(args=args, input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_sign_in_expires_after_a_working_day(app, client, auth, users):
    from datetime import timedelta

    from interviewkit.models import LoginSession

    auth.login(users["interviewer"])
    assert client.get("/").status_code == 200
    with app.app_context():
        for login in db.session.execute(db.select(LoginSession)).scalars():
            login.created_at -= timedelta(hours=13)
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

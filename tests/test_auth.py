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


# -- sign-in limits count failures only (issue 8, items 12 and 15) ---------------------------


def _limited_app(tmp_path, database_url, limit="3 per minute", **config):
    from interviewkit.users import create_user

    app = make_app(tmp_path / "limits", database_url, LOGIN_RATE_LIMIT=limit, **config)
    with app.app_context():
        for email, name, role in [
            ("lead@example.com", "Lee Lead", "hiring_lead"),
            ("ivan@example.com", "Ivan Interviewer", "interviewer"),
            ("iris@example.com", "Iris Interviewer", "interviewer"),
        ]:
            create_user(email, name, role, PASSWORD)
    return app


def _client(app, address="10.0.0.1"):
    """Return a new browser (no cookies) at an address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _fail(client, email, times=1):
    codes = {client.post("/login", data={"email": email, "password": "wrong!"}).status_code}
    for _ in range(times - 1):
        codes.add(client.post("/login", data={"email": email, "password": "wrong!"}).status_code)
    return codes


def test_a_good_sign_in_does_not_count(tmp_path, database_url):
    # Regression: every attempt counted, so the fourth sign-in in a minute got 429.
    app = _limited_app(tmp_path, database_url)
    client = _client(app)
    for _ in range(5):
        assert AuthActions(client).login("ivan@example.com").status_code == 302
        AuthActions(client).logout()


def test_the_next_person_signs_in_after_others_failed_at_the_same_address(tmp_path, database_url):
    # Regression: one office behind one address shared 10 attempts a minute.
    app = _limited_app(tmp_path, database_url, limit="10 per minute")
    assert _fail(_client(app), "iris@example.com", times=9) == {401}
    for _ in range(3):
        assert AuthActions(_client(app)).login("lead@example.com").status_code == 302
    assert AuthActions(_client(app)).login("ivan@example.com").status_code == 302


def test_failures_still_get_429_after_the_limit(tmp_path, database_url):
    app = _limited_app(tmp_path, database_url)
    client = _client(app)
    assert _fail(client, "ivan@example.com", times=3) == {401}
    assert _fail(client, "ivan@example.com") == {429}
    # No oracle: once blocked, the right password gets the same 429.
    assert AuthActions(client).login("ivan@example.com").status_code == 429


def test_sign_in_works_with_rate_limits_turned_off(tmp_path):
    # Regression: RATELIMIT_ENABLED=False (Flask-Limiter's switch) left the sign-in
    # counters without storage, and every sign-in, good or bad, was a 500.
    app = _limited_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", RATELIMIT_ENABLED=False)
    client = _client(app)
    assert _fail(client, "ivan@example.com", times=5) == {401}  # not counted, not 429
    assert AuthActions(client).login("ivan@example.com").status_code == 302
    # and the next app made in this process limits again (Flask-Limiter's single Limiter
    # used to carry the switch over to it)
    limited = _limited_app(tmp_path / "next", f"sqlite:///{tmp_path / 'next.db'}")
    assert _fail(_client(limited), "ivan@example.com", times=4) == {401, 429}


def test_one_address_trying_many_accounts_is_limited(tmp_path, database_url):
    app = _limited_app(tmp_path, database_url)
    client = _client(app, "10.9.9.9")
    for email in ("a@example.com", "b@example.com", "iris@example.com"):
        assert _fail(client, email) == {401}
    assert _fail(_client(app, "10.9.9.9"), "lead@example.com") == {429}
    assert _fail(_client(app, "10.1.1.1"), "lead@example.com") == {401}  # another address


def test_guessing_an_account_does_not_lock_its_owner_out(tmp_path, database_url):
    # Regression: the per-email limit counted anyone's failures, so anyone who knew the
    # lead's email could keep her out.
    app = _limited_app(tmp_path, database_url)
    lead = _client(app, "10.0.0.7")
    assert AuthActions(lead).login("lead@example.com").status_code == 302
    AuthActions(lead).logout()
    for i in range(5):  # from many addresses, so only the account limit applies
        _fail(_client(app, f"192.0.2.{i}"), "lead@example.com")
    assert _fail(_client(app, "192.0.2.99"), "lead@example.com") == {429}
    # A browser new to the account waits; the lead's own browser gets in.
    assert AuthActions(_client(app, "192.0.2.98")).login("lead@example.com").status_code == 429
    assert AuthActions(lead).login("lead@example.com").status_code == 302


def test_a_known_browser_passes_a_limit_others_exhausted_at_its_address(tmp_path, database_url):
    app = _limited_app(tmp_path, database_url)
    ivan = _client(app)
    assert AuthActions(ivan).login("ivan@example.com").status_code == 302
    AuthActions(ivan).logout()
    _fail(_client(app), "nobody@example.com", times=3)
    assert AuthActions(_client(app)).login("iris@example.com").status_code == 429
    assert AuthActions(ivan).login("ivan@example.com").status_code == 302


def test_a_known_browser_is_limited_too(tmp_path, database_url):
    app = _limited_app(tmp_path, database_url)
    ivan = _client(app)
    assert AuthActions(ivan).login("ivan@example.com").status_code == 302
    AuthActions(ivan).logout()
    assert _fail(ivan, "ivan@example.com", times=3) == {401}
    assert AuthActions(ivan).login("ivan@example.com").status_code == 429
    # Its mistakes were its own: the account and the address are not limited.
    assert AuthActions(_client(app)).login("ivan@example.com").status_code == 302


def test_a_password_change_ends_a_browsers_standing(tmp_path, database_url):
    from interviewkit.users import find_user, set_user_password

    app = _limited_app(tmp_path, database_url)
    thief = _client(app, "203.0.113.5")
    assert AuthActions(thief).login("ivan@example.com").status_code == 302
    with app.app_context():
        set_user_password(find_user("ivan@example.com"), "a brand new passphrase")
        db.session.commit()
    # The thief's browser is new to the account again: it shares the account's limit.
    _fail(_client(app, "198.51.100.1"), "ivan@example.com", times=3)
    assert _fail(thief, "ivan@example.com") == {429}


@pytest.mark.parametrize("email", ["ivan\t@example.com", "ivan\n@example.com"])
def test_the_sign_in_email_is_one_line(client, users, email):
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    assert "control character" in response.get_data(as_text=True)


def test_a_nul_in_the_sign_in_email_is_refused_not_a_crash(client, users):
    # PostgreSQL refuses a NUL in a query: the answer says what is wrong instead of a 500.
    response = client.post("/login", data={"email": "ivan@example.com\x00", "password": "x"})
    assert response.status_code in (200, 400)
    assert "control character" in response.get_data(as_text=True)


def test_two_apps_on_one_redis_keep_their_own_counters(tmp_path, database_url):
    uri = _redis_url()
    counted = make_app(
        tmp_path / "one",
        database_url,
        LOGIN_RATE_LIMIT="2 per minute",
        RATELIMIT_STORAGE_URI=uri,
        RATELIMIT_KEY_PREFIX=f"ik-a-{uuid.uuid4().hex}",
    ).test_client()
    _fail(counted, "a@example.com", times=2)
    assert _fail(counted, "a@example.com") == {429}
    other = make_app(
        tmp_path / "two",
        database_url,
        LOGIN_RATE_LIMIT="2 per minute",
        RATELIMIT_STORAGE_URI=uri,
        RATELIMIT_KEY_PREFIX=f"ik-b-{uuid.uuid4().hex}",
    ).test_client()
    assert _fail(other, "a@example.com") == {401}


# -- views own their commits (issue 10) -------------------------------------------------------


@pytest.fixture
def commits():
    """Count the database commits made while the test runs."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    made = []

    def count(session):
        made.append(session)

    event.listen(Session, "after_commit", count)
    yield made
    event.remove(Session, "after_commit", count)


def test_a_sign_in_commits_once(client, users, commits):
    # Regression: a sign-in committed its login session, then its audit entry separately.
    response = client.post("/login", data={"email": users["interviewer"], "password": PASSWORD})
    assert response.status_code == 302
    assert len(commits) == 1


def test_a_password_change_commits_once(client, auth, users, commits):
    auth.login(users["interviewer"])
    commits.clear()
    new = "a brand new passphrase"
    data = {"current": PASSWORD, "new": new, "confirm": new}
    assert client.post("/account/password", data=data).status_code == 302
    assert len(commits) == 1


def test_signing_in_and_out_commit_once_each(app, client, auth, users):
    """The view owns the commit: the login session and its audit entry land together."""
    from sqlalchemy import event

    commits: list[str] = []
    with app.app_context():
        engine = db.engine
    record = lambda conn: commits.append("commit")  # noqa: E731
    event.listen(engine, "commit", record)
    try:
        assert auth.login(users["interviewer"]).status_code == 302
        assert commits == ["commit"]
        assert client.post("/logout").status_code == 302
        assert commits == ["commit", "commit"]
    finally:
        event.remove(engine, "commit", record)
    with app.app_context():
        from interviewkit.models import AuditEvent, LoginSession

        login = db.session.scalars(db.select(LoginSession)).one()
        assert login.revoked_at is not None  # the sign-out's revocation was committed
        assert db.session.scalars(db.select(AuditEvent).filter_by(action="login")).one()

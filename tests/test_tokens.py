"""Personal API tokens: the service, `interviewkit token` and the account page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from conftest import AuthActions

from interviewkit.extensions import db
from interviewkit.models import ApiToken, AuditEvent, User
from interviewkit.tokens import (
    LAST_USED_EVERY,
    MAX_DAYS,
    TokenError,
    create_token,
    find_token,
    revoke_token,
    tokens_of,
)
from interviewkit.vocabulary import TokenScope

SECRET = re.compile(r"ik_[A-Za-z0-9_-]{43}")


@pytest.fixture
def ctx(app, users):
    """An app context on an app with one user per role."""
    with app.app_context():
        yield


def _user(email: str) -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def _token(app, token_id: int) -> ApiToken:
    with app.app_context():
        token = db.session.get(ApiToken, token_id)
        db.session.expunge(token)
        return token


def _id(app, email: str) -> int:
    with app.app_context():
        return _user(email).id


def _audit(app) -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()
        return [(e.action, e.detail) for e in rows]


def _make(app, email: str, name: str = "nightly export", **kwargs) -> tuple[int, str]:
    """Create and commit a token through the service; return its id and secret."""
    with app.app_context():
        new = create_token(_user(email), name, **kwargs)
        db.session.commit()
        return new.token.id, new.secret


# -- the service --------------------------------------------------------------------------------


def test_only_the_hash_and_a_short_prefix_are_stored(ctx, users):
    new = create_token(_user(users["interviewer"]), "nightly export")
    db.session.commit()
    assert SECRET.fullmatch(new.secret)
    row = db.session.execute(db.select(ApiToken.__table__).where(ApiToken.id == new.token.id)).one()
    assert row.token_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert row.prefix == new.secret[:9] and row.prefix.startswith("ik_")
    assert all(new.secret not in str(value) for value in row)
    event = db.session.execute(db.select(AuditEvent)).scalars().all()[-1]
    assert event.action == "token.create"
    assert new.secret not in str(event.detail) and new.token.prefix not in str(event.detail)


def test_two_tokens_never_share_a_secret(ctx, users):
    user = _user(users["interviewer"])
    assert create_token(user, "a").secret != create_token(user, "b").secret


@pytest.mark.parametrize("days", [1, 90, MAX_DAYS])
def test_a_token_expires_after_its_days(ctx, users, days):
    token = create_token(_user(users["interviewer"]), "ci", days=days).token
    assert token.expires_at - token.created_at == timedelta(days=days)
    assert token.state(token.expires_at - timedelta(seconds=1)) == "active"
    assert token.state(token.expires_at) == "expired"


@pytest.mark.parametrize("scope", list(TokenScope))
def test_a_token_keeps_its_scope(ctx, users, scope):
    assert create_token(_user(users["interviewer"]), "ci", scope).token.scope == scope


@pytest.mark.parametrize(
    ("name", "scope", "days", "field", "message"),
    [
        ("", "read", 90, "name", "give the token a name"),
        ("   ", "read", 90, "name", "give the token a name"),
        ("nightly\x00export", "read", 90, "name", "control character U+0000"),
        ("nightly\texport", "read", 90, "name", "control character U+0009"),
        ("nightly\x85export", "read", 90, "name", "control character U+0085"),
        ("broken \ud800 paste", "read", 90, "name", "surrogate pair"),
        ("x" * 81, "read", 90, "name", "81 characters: use 80 or fewer"),
        ("ci", "admin", 90, "scope", "use one of read, read-write"),
        ("ci", "READ", 90, "scope", "use one of read, read-write"),
        ("ci", "read", 0, "days", "1 to 365 days, not 0"),
        ("ci", "read", 366, "days", "1 to 365 days, not 366"),
        ("ci", "read", -1, "days", "1 to 365 days"),
        ("ci", "read", True, "days", "1 to 365 days"),
        ("ci", "read", "30", "days", "1 to 365 days"),
    ],
)
def test_a_token_asked_for_wrongly_is_refused(ctx, users, name, scope, days, field, message):
    user = _user(users["interviewer"])
    with pytest.raises(TokenError, match=re.escape(message)) as refused:
        create_token(user, name, scope, days)
    assert refused.value.field == field
    assert tokens_of(user) == []


def test_a_name_is_trimmed_and_80_characters_are_enough(ctx, users):
    user = _user(users["interviewer"])
    assert create_token(user, "  ci  ").token.name == "ci"
    assert create_token(user, "é" * 80).token.name == "é" * 80


def test_a_disabled_user_gets_no_token(ctx, users):
    user = _user(users["interviewer"])
    user.active = False
    with pytest.raises(TokenError, match="is disabled"):
        create_token(user, "ci")


def test_tokens_of_lists_only_ones_own_newest_first(ctx, users):
    ivan, iris = _user(users["interviewer"]), _user(users["interviewer2"])
    first = create_token(ivan, "first").token
    create_token(iris, "iris's")
    second = create_token(ivan, "second").token
    assert tokens_of(ivan) == [second, first]


def test_revoking_ones_own_token_stops_it_once(ctx, users):
    ivan = _user(users["interviewer"])
    new = create_token(ivan, "ci")
    assert revoke_token(ivan, new.token.id) is new.token
    revoked_at = new.token.revoked_at
    assert revoked_at is not None and new.token.state(revoked_at) == "revoked"
    revoke_token(ivan, new.token.id)  # again: no change, no second audit entry
    assert new.token.revoked_at == revoked_at
    actions = db.session.execute(db.select(AuditEvent.action)).scalars().all()
    assert actions.count("token.revoke") == 1
    assert find_token(new.secret) is None


@pytest.mark.parametrize("token_id", ["other", 999, 0, -1, 2**40, 2**63, 2**80])
def test_no_one_revokes_a_token_that_is_not_theirs(ctx, users, token_id):
    ivan, iris = _user(users["interviewer"]), _user(users["interviewer2"])
    theirs = create_token(iris, "iris's").token
    with pytest.raises(TokenError, match="there is no token"):
        revoke_token(ivan, theirs.id if token_id == "other" else token_id)
    assert theirs.revoked_at is None


def test_an_admin_may_revoke_anyones_token(ctx, users):
    token = create_token(_user(users["interviewer"]), "ci").token
    revoke_token(_user(users["admin"]), token.id)
    assert token.revoked_at is not None


def test_find_token_finds_an_active_token_by_its_secret(ctx, users):
    new = create_token(_user(users["interviewer"]), "ci")
    assert find_token(new.secret) is new.token


def _mangle(secret: str) -> str:
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


@pytest.mark.parametrize(
    "case", ["revoked", "expired", "disabled user", "unknown", "no prefix", "too long", "empty"]
)
def test_find_token_refuses(ctx, users, case):
    user = _user(users["interviewer"])
    new = create_token(user, "ci")
    secret, now = new.secret, None
    if case == "revoked":
        revoke_token(user, new.token.id)
    elif case == "expired":
        now = new.token.expires_at
    elif case == "disabled user":
        user.active = False
    elif case == "unknown":
        secret = _mangle(secret)
    elif case == "no prefix":
        # the stored hash is of the whole value: the random part alone must not match,
        # and a value without the prefix is refused before any lookup
        new.token.token_hash = hashlib.sha256(secret[3:].encode()).hexdigest()
        secret = secret[3:]
    elif case == "too long":
        secret += "x" * 100
    elif case == "empty":
        secret = ""
    db.session.flush()
    assert find_token(secret, now) is None
    assert new.token.last_used_at is None


def test_last_used_is_written_at_most_once_a_minute(ctx, users):
    new = create_token(_user(users["interviewer"]), "ci")
    start = new.token.created_at
    find_token(new.secret, start)
    assert new.token.last_used_at == start
    find_token(new.secret, start + LAST_USED_EVERY - timedelta(seconds=1))
    assert new.token.last_used_at == start  # a busy script is not a write per request
    find_token(new.secret, start + LAST_USED_EVERY)
    assert new.token.last_used_at == start + LAST_USED_EVERY


# -- interviewkit token -------------------------------------------------------------------------


def test_create_prints_the_secret_once_and_it_works(app, runner, users):
    result = runner.invoke(
        args=["token", "create", "IVAN@example.com", "--name", "ci", "--scope", "read-write"]
    )
    assert result.exit_code == 0, result.output
    secrets = SECRET.findall(result.output)
    assert len(secrets) == 1
    assert "will not be shown again" in result.output
    assert "read-write" in result.output and "expires:" in result.output
    with app.app_context():
        token = find_token(secrets[0])
        assert token.user.email == "ivan@example.com" and token.scope == TokenScope.READ_WRITE
        assert f"Created token {token.id} " in result.output
        assert token.expires_at - token.created_at == timedelta(days=90)


def test_create_takes_days(app, runner, users):
    result = runner.invoke(
        args=["token", "create", users["interviewer"], "--name", "x", "--days", "7"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        token = find_token(SECRET.search(result.output).group())
        assert token.expires_at - token.created_at == timedelta(days=7)


def test_list_shows_each_token_and_its_state_never_a_secret(app, runner, users):
    active_id, active = _make(app, users["interviewer"], "still used")
    revoked_id, revoked = _make(app, users["interviewer"], "old laptop")
    _make(app, users["interviewer2"], "someone else's")
    with app.app_context():
        revoke_token(_user(users["interviewer"]), revoked_id)
        db.session.commit()
    result = runner.invoke(args=["token", "list", users["interviewer"]])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "name", "token", "scope", "state", "created", "expires"] + [
        "last",
        "used",
    ]
    assert lines[1].startswith(f"{revoked_id} ") and "old laptop" in lines[1]
    assert "revoked" in lines[1] and f"{revoked[:9]}…" in lines[1]
    assert lines[2].startswith(f"{active_id} ") and "active" in lines[2]
    assert lines[2].rstrip().endswith("never")
    assert len(lines) == 3  # not someone else's
    assert not SECRET.search(result.output)


def test_list_says_when_there_are_none(runner, users):
    result = runner.invoke(args=["token", "list", users["admin"]])
    assert result.exit_code == 0
    assert result.output.strip() == "admin@example.com has no tokens."


def test_revoke_revokes_the_owners_token(app, runner, users):
    token_id, secret = _make(app, users["interviewer"])
    result = runner.invoke(args=["token", "revoke", str(token_id), "--email", users["interviewer"]])
    assert result.exit_code == 0, result.output
    assert f"Token {token_id} (nightly export) of ivan@example.com is revoked." in result.output
    assert _token(app, token_id).revoked_at is not None
    with app.app_context():
        assert find_token(secret) is None
    assert (
        "token.revoke",
        {"name": "nightly export", "owner": _id(app, "ivan@example.com")},
    ) in _audit(app)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "nobody@example.com", "--name", "ci"], "no user has the email nobody@"),
        (["list", "nobody@example.com"], "no user has the email nobody@"),
        (["revoke", "1", "--email", "nobody@example.com"], "no user has the email nobody@"),
        (["create", "ivan@example.com", "--name", " "], "give the token a name"),
        (["create", "ivan@example.com", "--name", "a\x1bb"], "control character U+001B"),
        (["create", "ivan@example.com", "--name", "ci", "--days", "400"], "1 to 365 days"),
        (["revoke", "1", "--email", "iris@example.com"], "there is no token 1 of yours"),
        (["revoke", "99", "--email", "ivan@example.com"], "there is no token 99 of yours"),
    ],
)
def test_token_command_errors_are_one_clear_line(app, runner, users, args, message):
    token_id, _ = _make(app, users["interviewer"])
    result = runner.invoke(args=["token", *args])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert message in result.output
    assert _token(app, token_id).revoked_at is None
    with app.app_context():
        assert len(tokens_of(_user(users["interviewer"]))) == 1


def test_an_unknown_scope_is_a_usage_error(runner, users):
    result = runner.invoke(
        args=["token", "create", users["interviewer"], "--name", "x", "--scope", "all"]
    )
    assert result.exit_code == 2
    assert "'all' is not one of 'read', 'read-write'" in result.output


# -- the account page ---------------------------------------------------------------------------


@pytest.fixture
def ivan(client, users):
    """The test client, signed in as Ivan the interviewer."""
    assert AuthActions(client).login(users["interviewer"]).status_code == 302
    return client


def _create(client, name="nightly export", scope="read", days="90"):
    return client.post("/account/tokens", data={"name": name, "scope": scope, "days": days})


def test_every_page_links_to_the_tokens(ivan):
    page = ivan.get("/").get_data(as_text=True)
    assert 'href="/account/tokens"' in page


def test_the_page_starts_empty_with_a_90_day_form(ivan):
    page = ivan.get("/account/tokens")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "You have no tokens yet." in text
    assert re.search(r'<input[^>]*id="days"[^>]*value="90"', text)
    assert 'max="365"' in text
    assert page.headers["Cache-Control"] == "no-store"


def test_creating_shows_the_secret_once_with_a_curl_example(app, ivan):
    response = _create(ivan, scope="read-write", days="30")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(text).group()
    assert "will not be shown again" in text
    assert f'curl -H "Authorization: Bearer {secret}" http://localhost/api/v1/me' in text
    with app.app_context():
        token = find_token(secret)
        assert token.user.email == "ivan@example.com" and token.scope == TokenScope.READ_WRITE
        assert token.expires_at - token.created_at == timedelta(days=30)
    # the form is empty again, ready for another token
    assert 'value="nightly export"' not in text
    # a reload (or any later page) never shows it again, and the cookie never held it
    again = ivan.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and not SECRET.search(again)
    assert f"{secret[:9]}…" in again and "nightly export" in again
    cookie = ivan.get_cookie("session")
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert secret not in repr(session)
    assert all(secret not in repr(event) for event in _audit(app))


def test_a_reload_that_sends_the_form_again_creates_no_second_token(app, ivan):
    """Regression (issue 13): reloading the page after a create made a second token."""
    page = ivan.get("/account/tokens").get_data(as_text=True)
    once = re.search(r'<input[^>]*name="once"[^>]*value="([^"]+)"', page).group(1)
    form = {"name": "nightly export", "scope": "read", "days": "90", "once": once}
    first = ivan.post("/account/tokens", data=form)
    assert SECRET.search(first.get_data(as_text=True))
    # the page after a create carries a fresh value, for the next token
    fresh = re.search(r'<input[^>]*name="once"[^>]*value="([^"]+)"', first.get_data(as_text=True))
    assert fresh.group(1) != once
    again = ivan.post("/account/tokens", data=form, follow_redirects=True)
    text = again.get_data(as_text=True)
    assert "already sent" in text and not SECRET.search(text)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 1
    # a new form (its own value) makes a second token, as asked
    ivan.post("/account/tokens", data={**form, "once": fresh.group(1)})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Give the token a name"),
        ({"name": "bad\x07name"}, "name", "control character U+0007"),
        ({"name": "x" * 81}, "name", "use 80 or fewer"),
        ({"scope": "admin"}, "scope", "use one of read, read-write"),
        ({"days": "0"}, "days", "a token lasts 1 to 365 days, not 0."),
        ({"days": "366"}, "days", "1 to 365 days"),
        ({"days": ""}, "days", "Give a number of days, 1 to 365."),
        ({"days": "ninety"}, "days", "Not a valid integer value."),
    ],
)
def test_a_wrong_form_shows_the_problem_beside_the_field(app, ivan, data, field, message):
    form = {"name": "ci", "scope": "read", "days": "90", **data}
    response = ivan.post("/account/tokens", data=form)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    beside = re.search(
        rf'<div class="field has-error">\s*<label for="{field}">.*?</div>', text, re.S
    )
    assert beside and message.lower() in beside.group().lower()
    assert not SECRET.search(text)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_the_page_lists_ones_own_tokens_with_their_state(app, ivan, users):
    _make(app, users["interviewer"], "expired one", days=1)
    revoked_id, _ = _make(app, users["interviewer"], "revoked one")
    _make(app, users["interviewer"], "active one")
    _make(app, users["interviewer2"], "iris's token")
    with app.app_context():
        db.session.get(ApiToken, 1).expires_at -= timedelta(days=2)
        revoke_token(_user(users["interviewer"]), revoked_id)
        db.session.commit()
    text = ivan.get("/account/tokens").get_data(as_text=True)
    rows = re.findall(
        r"<tr><td>(.*?)</td>.*?<td>(active|expired|revoked)</td>(.*?)</tr>", text, re.S
    )
    assert [(name, state) for name, state, _ in rows] == [
        ("active one", "active"),
        ("revoked one", "revoked"),
        ("expired one", "expired"),
    ]
    # only an active token has a Revoke button
    assert ["Revoke" in rest for _, _, rest in rows] == [True, False, False]
    assert "iris&#39;s token" not in text and "iris's token" not in text


def test_revoking_ones_own_token(app, ivan, users):
    token_id, secret = _make(app, users["interviewer"])
    response = ivan.post(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 302 and response.headers["Location"] == "/account/tokens"
    page = ivan.get("/account/tokens").get_data(as_text=True)
    assert "Revoked the token nightly export" in page
    assert "<td>revoked</td>" in page
    with app.app_context():
        assert find_token(secret) is None
    assert (
        "token.revoke",
        {"name": "nightly export", "owner": _id(app, "ivan@example.com")},
    ) in _audit(app)


@pytest.mark.parametrize("who", ["interviewer", "admin"])
def test_no_one_revokes_another_users_token_here(app, client, users, who):
    token_id, secret = _make(app, users["interviewer2"])
    assert AuthActions(client).login(users[who]).status_code == 302
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert client.post("/account/tokens/999/revoke").status_code == 404
    assert _token(app, token_id).revoked_at is None
    assert "You have no tokens yet." in client.get("/account/tokens").get_data(as_text=True)

"""Sign-in through an OpenID Connect provider (issue 15), against a real provider process.

tests/oidc_provider/server.mjs runs panva's certified oidc-provider on 127.0.0.1; the test
client goes through its sign-in page as the person's browser would, and once a real
Chromium does. What is checked: PKCE, state and nonce; the ID token's signature, audience,
issuer and expiry; a state used once; who may sign in (linked subject, verified email of an
allowed domain, not disabled); admins linking; PASSWORD_LOGIN off; the audit log.
"""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PASSWORD, AuthActions, app_with_mail, make_app, seed_two_interviewer_loop
from flask import Config
from oidc_server import OidcProvider, sign_in_at_provider
from test_browser import ARGS, CHROMIUM, Server, _browser_or_skip

from interviewkit.auth.oidc import ConfigError, link_identity, parse_providers
from interviewkit.extensions import db
from interviewkit.models import AuditEvent, LoopSession, OidcState, User, UserIdentity, utcnow
from interviewkit.users import create_user, disable_user, find_user

CLIENT_ID = "interviewkit-tests"
CLIENT_SECRET = "a client secret for the tests only"
APP = "http://localhost"  # the test client's address
CALLBACK = f"{APP}/login/oidc/corp/callback"
ACCOUNTS = {
    "ivan": {"email": "ivan@example.com", "email_verified": True, "name": "Ivan Interviewer"},
    "nina": {"email": "nina@example.com", "email_verified": True, "name": "Nina New"},
    "lena": {
        "email": "lena@example.com",
        "email_verified": True,
        "name": "Lena Lead",
        "groups": ["staff", "hiring"],
    },
    "unverified": {"email": "iris@example.com", "email_verified": False, "name": "Not Iris"},
    "outsider": {"email": "ivan@elsewhere.example", "email_verified": True, "name": "Ivan E."},
    "dora": {"email": "dora@example.com", "email_verified": True, "name": "Dora Disabled"},
    "sam": {"email": "sam@personal.example", "email_verified": True, "name": "Sam Personal"},
}


def corp(issuer: str, **overrides) -> dict:
    """Return the app's configuration of the test provider."""
    return {
        "name": "corp",
        "label": "Corp SSO",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "allowed_domains": ["example.com"],
        "scope": "openid email profile groups",
        **overrides,
    }


@pytest.fixture(scope="module")
def provider():
    """The provider, with a client whose redirect URI is the test client's callback."""
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [CALLBACK]}
    running = OidcProvider([client], ACCOUNTS)
    yield running
    running.stop()


@pytest.fixture
def app(tmp_path, database_url, provider):
    """An app whose sign-in page offers the provider (no JIT), beside passwords."""
    return make_app(tmp_path, database_url, OIDC_PROVIDERS=[corp(provider.issuer)])


def sign_in(client, login: str, start: str = "/login/oidc/corp"):
    """Start at the app, sign in at the provider as `login`; return the callback's response
    and the callback URL (with its code and state)."""
    started = client.get(start)
    assert started.status_code == 302, started.get_data(as_text=True)
    callback = sign_in_at_provider(started.headers["Location"], login, back_to=CALLBACK)
    return client.get(callback), callback


def signed_in_as(app, client) -> str | None:
    """Return the email of the user the client is signed in as, or None."""
    response = client.get("/account")
    if response.status_code != 200:
        return None
    return re.search(r"· ([^ ]+@[^ ]+) ·", response.get_data(as_text=True)).group(1)


def events(app, action: str) -> list[tuple[str, str, dict]]:
    with app.app_context():
        rows = db.session.scalars(db.select(AuditEvent).filter_by(action=action).order_by("id"))
        return [(e.target_type, e.target_id, e.detail) for e in rows]


def identities(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(db.select(UserIdentity).order_by(UserIdentity.id))
        return [(i.user.email, i.subject, i.via) for i in rows]


# -- the login page and the start of the flow ---------------------------------------------------


def test_the_login_page_offers_the_provider_beside_the_password_form(client):
    page = client.get("/login?next=/queue").get_data(as_text=True)
    assert "Sign in with Corp SSO" in page
    assert 'href="/login/oidc/corp?next=/queue"' in page
    assert 'name="password"' in page


def test_the_start_sends_pkce_state_and_nonce_and_keeps_none_of_them_in_the_cookie(
    app, client, provider
):
    response = client.get("/login/oidc/corp")
    url = urlsplit(response.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}" == provider.issuer
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["redirect_uri"] == CALLBACK
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 20 and len(query["nonce"]) >= 20
    assert set(query["scope"].split()) == {"openid", "email", "profile", "groups"}
    # the nonce and the PKCE verifier are kept on the server, never in the browser's cookie
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.loads(client.get_cookie("session").value)
    assert set(cookie) == {f"_state_corp_{query['state']}", "oidc_next"}
    assert set(cookie[f"_state_corp_{query['state']}"]) == {"exp"}  # a marker, no data


def test_an_unknown_provider_is_not_found(client):
    assert client.get("/login/oidc/elsewhere").status_code == 404


def test_a_provider_that_cannot_be_reached_gets_a_clear_page(tmp_path, database_url):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_app(tmp_path, database_url, OIDC_PROVIDERS=[corp(issuer)])
    response = app.test_client().get("/login/oidc/corp")
    assert response.status_code == 503
    assert "Corp SSO could not be reached" in response.get_data(as_text=True)


# -- who signs in ------------------------------------------------------------------------------


def test_a_verified_email_of_an_allowed_domain_links_the_account_and_signs_in(app, client, users):
    response, _ = sign_in(client, "ivan", start="/login/oidc/corp?next=/queue")
    assert response.status_code == 302 and response.headers["Location"] == "/queue"
    assert signed_in_as(app, client) == "ivan@example.com"
    assert identities(app) == [("ivan@example.com", "ivan", "email")]
    (target_type, _, detail), *_ = events(app, "login")
    assert target_type == "user"
    assert detail == {"via": "oidc", "provider": "corp", "found": "email"}


def test_the_next_sign_in_finds_the_account_by_issuer_and_subject(app, client, users):
    sign_in(client, "ivan")
    AuthActions(client).logout()
    with app.app_context():  # the email changes here: the link, not the email, finds Ivan
        find_user("ivan@example.com").email = "ivan.i@example.com"
        db.session.commit()
    response, _ = sign_in(client, "ivan")
    assert response.status_code == 302
    assert signed_in_as(app, client) == "ivan.i@example.com"
    assert [d["found"] for _, _, d in events(app, "login")] == ["email", "identity"]


@pytest.mark.parametrize(
    ("login", "reason", "message"),
    [
        ("outsider", "domain", "Accounts of elsewhere.example cannot sign in here"),
        ("unverified", "unverified", "Corp SSO has not verified your email iris@example.com"),
        ("nina", "no_user", "There is no user here with the email nina@example.com"),
        ("dora", "disabled", "Your user here is disabled"),
    ],
)
def test_who_may_not_sign_in_gets_a_clear_page_and_an_audit_entry(
    app, client, users, login, reason, message
):
    with app.app_context():
        disable_user(create_user("dora@example.com", "Dora Disabled", "interviewer", PASSWORD))
        db.session.commit()
    response, _ = sign_in(client, login)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert message in page and "Back to the sign-in page" in page
    assert signed_in_as(app, client) is None
    assert identities(app) == []
    [(_, _, detail)] = events(app, "login_failed")
    assert detail == {"via": "oidc", "provider": "corp", "reason": reason, "subject": login}


def test_a_disabled_user_cannot_sign_in_through_a_linked_account(app, client, users):
    sign_in(client, "ivan")
    AuthActions(client).logout()
    with app.app_context():
        disable_user(find_user("ivan@example.com"))
        db.session.commit()
    response, _ = sign_in(client, "ivan")
    assert response.status_code == 403
    assert "Your user here is disabled" in response.get_data(as_text=True)
    assert signed_in_as(app, client) is None
    [(target_type, _, detail)] = events(app, "login_failed")
    assert target_type == "user" and detail["reason"] == "disabled"


# -- what the provider sends is checked ---------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("tampered", "sent an identity that is not valid"),
        ("wrong_audience", "sent an identity that is not valid"),
        ("wrong_issuer", "sent an identity that is not valid"),
        ("expired", "sent an identity that is not valid"),
        ("wrong_nonce", "sent an identity that is not valid"),
        ("none", "did not send an ID token"),
    ],
)
def test_an_id_token_that_fails_a_check_signs_no_one_in(
    app, client, users, provider, change, message
):
    provider.next_id_token(change)
    response, _ = sign_in(client, "ivan")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert signed_in_as(app, client) is None
    assert identities(app) == []
    # no claim of a token that failed is trusted: not even whose it was
    [(target_type, target_id, detail)] = events(app, "login_failed")
    assert (target_type, target_id) == ("sign_in", "corp")
    assert detail == {"via": "oidc", "provider": "corp", "reason": "id_token"}


@pytest.mark.parametrize("cookie", ["current", "from before the sign-in"])
def test_a_replayed_callback_is_refused(app, client, users, provider, cookie):
    started = client.get("/login/oidc/corp")
    before = client.get_cookie("session").value
    callback = sign_in_at_provider(started.headers["Location"], "ivan", back_to=CALLBACK)
    assert client.get(callback).status_code == 302
    replay = app.test_client()
    if cookie == "current":
        replay = client
    else:  # an attacker holding the browser's cookie as it was before the callback
        replay.set_cookie("session", before)
    response = replay.get(callback)
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)
    assert [d["reason"] for _, _, d in events(app, "login_failed")] == ["state"]


def test_a_sign_in_left_too_long_at_the_provider_is_refused(app, client, users):
    started = client.get("/login/oidc/corp")
    callback = sign_in_at_provider(started.headers["Location"], "ivan", back_to=CALLBACK)
    with app.app_context():  # back after the state's STATE_MINUTES
        db.session.execute(db.update(OidcState).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = client.get(callback)
    assert response.status_code == 400
    assert "has expired" in response.get_data(as_text=True)
    assert signed_in_as(app, client) is None


def test_a_callback_from_another_browser_is_refused(app, client, users):
    started = client.get("/login/oidc/corp")
    callback = sign_in_at_provider(started.headers["Location"], "ivan", back_to=CALLBACK)
    response = app.test_client().get(callback)  # login CSRF: not the browser that started
    assert response.status_code == 400
    assert signed_in_as(app, client) is None


def test_a_refusal_at_the_provider_is_a_clear_page(client):
    client.get("/login/oidc/corp")
    response = client.get("/login/oidc/corp/callback?error=access_denied&state=x")
    assert response.status_code == 400
    assert "Corp SSO did not sign you in" in response.get_data(as_text=True)


# -- links made by admins, and new users --------------------------------------------------------


def test_an_admin_links_an_account_by_its_subject_and_unlinks_it(app, client, users):
    response, _ = sign_in(client, "sam")  # a personal address: not linked automatically
    assert response.status_code == 403
    assert "(id sam)" in response.get_data(as_text=True)  # what to tell the admin
    admin = app.test_client()
    AuthActions(admin).login(users["admin"])
    with app.app_context():
        lead_id = find_user(users["hiring_lead"]).id
    page = admin.get(f"/admin/users/{lead_id}").get_data(as_text=True)
    assert "Sign-in providers" in page and "has no linked provider account" in page
    linked = admin.post(
        f"/admin/users/{lead_id}/identities",
        data={"provider": "corp", "subject": "sam"},
        follow_redirects=True,
    )
    assert "Linked: Lee Lead can sign in with that Corp SSO account." in linked.get_data(
        as_text=True
    )
    assert identities(app) == [("lead@example.com", "sam", "admin")]
    response, _ = sign_in(app.test_client(), "sam")
    assert response.status_code == 302
    [(_, _, detail)] = events(app, "identity_linked")
    assert detail == {"issuer": provider_issuer(app), "subject": "sam", "via": "admin"}
    with app.app_context():
        identity_id = db.session.scalar(db.select(UserIdentity.id))
    admin.post(f"/admin/users/{lead_id}/identities/{identity_id}/unlink")
    assert identities(app) == []
    assert events(app, "identity_unlinked")
    assert sign_in(app.test_client(), "sam")[0].status_code == 403


def test_an_account_is_linked_to_one_user_only(app, client, users):
    sign_in(client, "ivan")
    admin = app.test_client()
    AuthActions(admin).login(users["admin"])
    with app.app_context():
        lead_id = find_user(users["hiring_lead"]).id
    page = admin.post(
        f"/admin/users/{lead_id}/identities",
        data={"provider": "corp", "subject": "ivan"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "already linked to Ivan Interviewer" in page
    assert identities(app) == [("ivan@example.com", "ivan", "email")]


@pytest.mark.parametrize(
    ("login", "role"), [("lena", "hiring_lead"), ("nina", "interviewer")], ids=["mapped", "default"]
)
def test_with_jit_a_new_user_is_created_with_the_mapped_or_default_role(
    tmp_path, database_url, provider, login, role
):
    settings = {"jit": True, "role_claim": "groups", "role_map": {"hiring": "hiring_lead"}}
    app = make_app(
        tmp_path,
        database_url,
        OIDC_PROVIDERS=[corp(provider.issuer, default_role="interviewer", **settings)],
    )
    client = app.test_client()
    response, _ = sign_in(client, login)
    assert response.status_code == 302
    with app.app_context():
        user = find_user(ACCOUNTS[login]["email"])
        assert (user.name, user.role, user.active) == (ACCOUNTS[login]["name"], role, True)
    assert identities(app) == [(ACCOUNTS[login]["email"], login, "created")]
    assert events(app, "user_created")[0][2]["via"] == "oidc:corp"


def test_with_jit_but_no_role_for_the_account_no_user_is_created(tmp_path, database_url, provider):
    settings = {"jit": True, "role_claim": "groups", "role_map": {"hiring": "hiring_lead"}}
    app = make_app(tmp_path, database_url, OIDC_PROVIDERS=[corp(provider.issuer, **settings)])
    response, _ = sign_in(app.test_client(), "nina")
    assert response.status_code == 403
    assert "has no role here" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


# -- PASSWORD_LOGIN off -------------------------------------------------------------------------


@pytest.fixture
def no_passwords(tmp_path, database_url, provider):
    app = make_app(
        tmp_path, database_url, OIDC_PROVIDERS=[corp(provider.issuer)], PASSWORD_LOGIN=False
    )
    with app.app_context():
        create_user("admin@example.com", "Ada Admin", "admin", PASSWORD)
        create_user("ivan@example.com", "Ivan Interviewer", "interviewer", PASSWORD)
    return app


def test_without_password_login_the_page_has_only_the_provider(no_passwords):
    page = no_passwords.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with Corp SSO" in page
    assert 'name="password"' not in page


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/login"),
        ("GET", "/set-password/any-token"),
        ("POST", "/set-password/any-token"),
    ],
)
def test_without_password_login_password_pages_are_refused(no_passwords, method, url):
    client = no_passwords.test_client()
    data = {"email": "ivan@example.com", "password": PASSWORD, "new": "x" * 20, "confirm": "x" * 20}
    response = client.open(url, method=method, data=data)
    assert response.status_code == 403
    assert "Password sign-in is turned off" in response.get_data(as_text=True)
    assert signed_in_as(no_passwords, client) is None


def test_without_password_login_the_provider_signs_in_and_passwords_are_gone(no_passwords):
    client = no_passwords.test_client()
    assert sign_in(client, "ivan")[0].status_code == 302
    assert "change your password" not in client.get("/account").get_data(as_text=True)
    assert client.get("/account/password").status_code == 403
    with no_passwords.app_context():
        ivan_id = find_user("ivan@example.com").id
    with no_passwords.app_context():  # the admin's account at the provider, linked by hand
        admin_user = find_user("admin@example.com")
        link_identity(admin_user, provider_issuer(no_passwords), "sam", via="admin", actor=None)
        db.session.commit()
    admin = no_passwords.test_client()
    assert sign_in(admin, "sam")[0].status_code == 302
    page = admin.get(f"/admin/users/{ivan_id}").get_data(as_text=True)
    assert "set-password link" not in page and 'name="password"' not in page
    assert admin.post(f"/admin/users/{ivan_id}/set-password-link").status_code == 403


def provider_issuer(app) -> str:
    return app.config["OIDC_PROVIDERS"][0]["issuer"]


# -- configuration ------------------------------------------------------------------------------


def test_providers_and_password_login_come_from_the_environment_too(monkeypatch, tmp_path):
    monkeypatch.setenv(
        "INTERVIEWKIT_OIDC_PROVIDERS",
        '[{"name": "corp", "label": "Corp SSO", "issuer": "https://id.example.com",'
        ' "client_id": "ik", "client_secret": "s", "allowed_domains": ["Example.com"]}]',
    )
    monkeypatch.setenv("INTERVIEWKIT_PASSWORD_LOGIN", "false")
    config = Config(tmp_path)
    config.from_prefixed_env("INTERVIEWKIT")  # what create_app does with the environment
    assert config["PASSWORD_LOGIN"] is False
    [p] = parse_providers(config["OIDC_PROVIDERS"])
    assert (p.name, p.label, p.issuer, p.allowed_domains, p.jit) == (
        "corp",
        "Corp SSO",
        "https://id.example.com",
        ("example.com",),
        False,
    )
    assert p.metadata_url == "https://id.example.com/.well-known/openid-configuration"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": None}, "needs name"),
        ({"name": "Corp SSO"}, "name must be lower-case"),
        ({"issuer": "id.example.com"}, "issuer must be the provider's URL"),
        ({"default_role": "owner"}, "default_role must be one of"),
        ({"role_map": {"hiring": "boss"}}, "role_map maps claim values"),
        ({"jit": True, "allowed_domains": []}, "jit needs allowed_domains"),
        ({"scope": "email"}, "scope must include openid"),
        ({"secret": "typo"}, "unknown keys ['secret']"),
    ],
)
def test_a_wrong_provider_configuration_says_what_to_fix(entry, message):
    base = {"name": "corp", "issuer": "https://id.example.com", "client_id": "a"}
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_providers([{**base, "client_secret": "b", **entry}])


def test_password_login_off_without_a_provider_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError, match="nobody could sign in"):
        make_app(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", PASSWORD_LOGIN=False)


# -- in a real browser: from the invite's kit link, through the provider, to the kit ------------


def test_in_a_browser_the_invites_kit_link_signs_in_through_the_provider(
    tmp_path, real_bank, smtp_server
):
    sync_api = _browser_or_skip()
    with socket.socket() as sock:  # the app's port first: the provider must know its callback
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    callback = f"{base}/login/oidc/corp/callback"
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [callback]}
    provider = OidcProvider([client], ACCOUNTS)
    smtp_port, received = smtp_server
    app = app_with_mail(
        tmp_path,
        f"sqlite:///{tmp_path / 'app.db'}",
        real_bank,
        smtp_port,
        base,
        OIDC_PROVIDERS=[corp(provider.issuer)],
    )
    ids = seed_two_interviewer_loop(app, seed="oidc")
    server = Server(app, port)
    try:
        lead = app.test_client()  # the lead schedules Ivan's session: the invite goes out
        AuthActions(lead).login("lead@example.com")
        with app.app_context():
            loop_id = db.session.get(LoopSession, ids["ivan_session"]).loop_id
        scheduled = lead.post(
            f"/loops/{loop_id}/sessions/{ids['ivan_session']}/schedule",
            data={"date": "2030-03-31", "time": "09:00", "timezone": "UTC", "duration": "60"},
        )
        assert scheduled.status_code == 302
        [invite] = [m for m in received if m["To"] == "ivan@example.com"]
        text = next(p for p in invite.walk() if p.get_content_type() == "text/plain")
        kit_link = re.search(r"interview kit: (\S+)", text.get_payload(decode=True).decode())[1]
        assert kit_link == f"{base}/kit/{ids['ivan_session']}"

        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto(kit_link)  # signed out: the sign-in page, which keeps where to go next
            page.click("text=Sign in with Corp SSO")
            page.wait_for_url(f"{provider.issuer}/interaction/*")
            page.fill("input[name=login]", "ivan")
            page.click("button[type=submit]")
            page.wait_for_url(kit_link)
            assert page.locator("#save-status").count() == 1  # the interview kit itself
            browser.close()
    finally:
        server.stop()
        provider.stop()
    assert identities(app) == [("ivan@example.com", "ivan", "email")]

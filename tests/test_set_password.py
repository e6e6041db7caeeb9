"""A way back from a lost password: `interviewkit set-password` and one-time links."""

from __future__ import annotations

import time

import pytest
from conftest import AuthActions

from interviewkit.extensions import db
from interviewkit.models import AuditEvent, User

NEW = "a brand new passphrase"


def _user(app, email) -> User:
    with app.app_context():
        return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def _audit(app) -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()
        return [(e.action, e.detail) for e in rows]


def _link(app, email) -> str:
    from interviewkit.auth.reset import make_link_token

    with app.app_context():
        return "/set-password/" + make_link_token(_user(app, email))


# -- the command ------------------------------------------------------------------------------


def test_set_password_command_sets_it_and_signs_out_everywhere(app, runner, users):
    browser = app.test_client()
    assert AuthActions(browser).login(users["interviewer"]).status_code == 302
    result = runner.invoke(args=["set-password", "IVAN@example.com"], input=NEW + "\n")
    assert result.exit_code == 0, result.output
    assert "Password set for ivan@example.com" in result.output
    assert browser.get("/").status_code == 302  # the old sign-in is revoked
    assert AuthActions(app.test_client()).login(users["interviewer"], NEW).status_code == 302
    assert AuthActions(app.test_client()).login(users["interviewer"]).status_code == 401
    assert ("password_set", {"via": "cli"}) in _audit(app)


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("nobody@example.com", NEW, "no user has the email nobody@example.com"),
        ("ivan@example.com", "short", "at least 12 characters"),
    ],
    ids=["unknown-email", "short-password"],
)
def test_set_password_command_errors(app, runner, users, email, password, message):
    result = runner.invoke(args=["set-password", email], input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert AuthActions(app.test_client()).login(users["interviewer"]).status_code == 302


# -- the link ---------------------------------------------------------------------------------


def test_a_link_sets_the_password_once_and_signs_out_other_browsers(app, client, users):
    other = app.test_client()
    assert AuthActions(other).login(users["hiring_lead"]).status_code == 302
    link = _link(app, users["hiring_lead"])
    page = client.get(link)
    assert page.status_code == 200 and "Lee Lead" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    response = client.post(link, data={"new": NEW, "confirm": NEW})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert other.get("/").status_code == 302
    assert AuthActions(client).login(users["hiring_lead"], NEW).status_code == 302
    assert ("password_set", {"via": "link"}) in _audit(app)
    again = app.test_client().get(link)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new": "short", "confirm": "short"}, "at least 12 characters"),
        ({"new": NEW, "confirm": NEW + "!"}, "two passwords differ"),
    ],
)
def test_a_link_asks_for_a_long_password_twice(app, client, users, data, message):
    link = _link(app, users["interviewer"])
    response = client.post(link, data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert AuthActions(app.test_client()).login(users["interviewer"]).status_code == 302


def test_a_link_expires(app, client, users, monkeypatch):
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() - 49 * 3600)
    link = _link(app, users["interviewer"])
    monkeypatch.setattr("itsdangerous.timed.time.time", real)
    response = client.get(link)
    assert response.status_code == 410
    assert "expired (links last 48 hours)" in response.get_data(as_text=True)


def test_a_link_dies_when_the_password_changes_another_way(app, client, runner, users):
    link = _link(app, users["interviewer"])
    runner.invoke(args=["set-password", users["interviewer"]], input=NEW + "\n")
    assert client.post(link, data={"new": "x" * 12, "confirm": "x" * 12}).status_code == 410
    assert AuthActions(client).login(users["interviewer"], NEW).status_code == 302


@pytest.mark.parametrize("tamper", ["garbage", "edit"])
def test_a_damaged_link_says_so(app, client, users, tamper):
    link = "/set-password/not-a-token" if tamper == "garbage" else _link(app, users["admin"])[:-2]
    response = client.get(link)
    assert response.status_code == 410
    assert "not valid" in response.get_data(as_text=True)


def test_a_link_for_a_disabled_user_does_not_work(app, client, users):
    link = _link(app, users["interviewer"])
    with app.app_context():
        db.session.execute(
            db.update(User).where(User.email == users["interviewer"]).values(active=False)
        )
        db.session.commit()
    response = client.post(link, data={"new": NEW, "confirm": NEW})
    assert response.status_code == 410
    assert "disabled" in response.get_data(as_text=True)


# -- email, when an SMTP server is configured ---------------------------------------------------


def _admin_makes_a_link(app, client, users):
    assert AuthActions(client).login(users["admin"]).status_code == 302
    user_id = _user(app, users["interviewer"]).id
    return client.post(f"/admin/users/{user_id}/set-password-link").get_data(as_text=True)


def test_a_link_is_emailed_when_smtp_is_configured(app, client, users, smtp_server):
    port, received = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="hiring@example.com")
    page = _admin_makes_a_link(app, client, users)
    assert f"Emailed to {users['interviewer']}" in page
    assert len(received) == 1
    message = received[0]
    assert message["To"] == users["interviewer"]
    assert message["From"] == "hiring@example.com"
    body = message.get_payload(decode=True).decode()
    link = page.split('size="60" value="', 1)[1].split('"', 1)[0]
    assert link in body and "/set-password/" in link


def test_a_mail_server_that_is_down_leaves_the_link_on_the_page(app, client, users):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    page = _admin_makes_a_link(app, client, users)
    assert "Could not email it" in page and "Pass it on yourself" in page
    assert "/set-password/" in page


def test_no_email_is_sent_without_smtp(app, client, users, smtp_server):
    _, received = smtp_server
    page = _admin_makes_a_link(app, client, users)
    assert "Emailed" not in page and "/set-password/" in page
    assert received == []

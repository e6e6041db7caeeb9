"""The users service: one set of checks and audit entries for the CLI and the admin pages."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, AuthActions

from interviewkit.extensions import db
from interviewkit.models import AuditEvent, LoginSession, User
from interviewkit.users import (
    UserError,
    add_user,
    disable_user,
    enable_user,
    find_user,
    set_user_password,
    update_user,
)

NEW = "a brand new passphrase"


def _audit(app, action=None) -> list[tuple[str, dict]]:
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return [(e.action, e.detail) for e in db.session.execute(query).scalars()]


# -- creating ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "name", "role", "password", "field", "message"),
    [
        ("not-an-email", "Nia", "interviewer", PASSWORD, "email", "is not a valid email address"),
        ("ivan@example.com", "Nia", "interviewer", PASSWORD, "email", "already exists"),
        ("IVAN@Example.com", "Nia", "interviewer", PASSWORD, "email", "already exists"),
        ("nia\x00@example.com", "Nia", "interviewer", PASSWORD, "email", "control character"),
        ("nia@example.com", "Nia\tNew", "interviewer", PASSWORD, "name", "control character"),
        ("nia@example.com", "N" * 121, "interviewer", PASSWORD, "name", "at most 120"),
        ("nia@example.com", "Nia", "owner", PASSWORD, "role", "role must be one of admin"),
        ("nia@example.com", "Nia", "interviewer", "short", "password", "at least 12"),
        ("nia@example.com", "Nia", "interviewer", "", "password", "at least 12"),
    ],
    ids=[
        "bad-email",
        "duplicate-email",
        "duplicate-email-other-case",
        "nul-in-email",
        "tab-in-name",
        "long-name",
        "bad-role",
        "short-password",
        "empty-password",
    ],
)
def test_create_refuses_with_a_message_naming_the_problem(
    app, users, email, name, role, password, field, message
):
    with app.app_context():
        with pytest.raises(UserError, match=message) as raised:
            add_user(email, name, role, password)
        assert raised.value.field == field
        db.session.rollback()
        count = db.session.execute(db.select(db.func.count()).select_from(User)).scalar()
    assert count == len(users)
    assert len(_audit(app, "user_created")) == len(users)  # the fixture's, none new


def test_create_normalises_the_email_and_audits(app):
    with app.app_context():
        user = add_user("  Nia@Example.COM ", " Nia New ", "interviewer", PASSWORD)
        db.session.commit()
        assert (user.email, user.name, user.active) == ("nia@example.com", "Nia New", True)
    detail = {"role": "interviewer", "password": "set", "via": "cli"}
    assert _audit(app) == [("user_created", detail)]


def test_create_without_a_password_leaves_the_account_without_one(app):
    from interviewkit.auth.reset import has_password

    with app.app_context():
        user = add_user("nia@example.com", "Nia", "interviewer", via="admin")
        assert not has_password(user)
        db.session.commit()
    assert _audit(app)[0][1]["password"] == "link"


def test_the_service_does_not_commit(app):
    # The view or command commits once; a refusal after a service call leaves nothing.
    with app.app_context():
        add_user("nia@example.com", "Nia", "interviewer", PASSWORD)
        db.session.rollback()
        assert db.session.execute(db.select(User)).first() is None
        assert db.session.execute(db.select(AuditEvent)).first() is None


# -- changing, disabling, passwords -----------------------------------------------------------


def test_update_changes_only_what_differs_and_audits_it(app, users):
    with app.app_context():
        user = find_user(users["interviewer"])
        changes = update_user(
            user, name="Ivan I.", email=users["interviewer"], role="hiring_lead", via="admin"
        )
        db.session.commit()
    assert changes == {
        "name": ["Ivan Interviewer", "Ivan I."],
        "role": ["interviewer", "hiring_lead"],
    }
    assert _audit(app, "user_updated") == [("user_updated", {**changes, "via": "admin"})]


def test_an_update_with_no_change_is_not_audited(app, users):
    with app.app_context():
        user = find_user(users["interviewer"])
        assert update_user(user, name="Ivan Interviewer", active=True) == {}
        db.session.commit()
    assert _audit(app, "user_updated") == []


def test_an_update_is_checked_before_anything_changes(app, users):
    with app.app_context():
        user = find_user(users["interviewer"])
        with pytest.raises(UserError, match="already exists"):
            update_user(user, name="Changed", email=users["admin"])
        assert user.name == "Ivan Interviewer"


def test_an_update_refuses_an_empty_name(app, users):
    with app.app_context(), pytest.raises(UserError, match="name is empty"):
        update_user(find_user(users["interviewer"]), name="  ")


def test_disable_ends_every_session_and_is_audited(app, users):
    browser = app.test_client()
    assert AuthActions(browser).login(users["interviewer"]).status_code == 302
    with app.app_context():
        disable_user(find_user(users["interviewer"]))
        db.session.commit()
        live = db.session.execute(
            db.select(LoginSession).where(LoginSession.revoked_at.is_(None))
        ).first()
    assert live is None
    assert browser.get("/").status_code == 302
    assert _audit(app, "user_updated") == [
        ("user_updated", {"active": [True, False], "via": "cli"})
    ]
    assert AuthActions(app.test_client()).login(users["interviewer"]).status_code == 401
    with app.app_context():
        enable_user(find_user(users["interviewer"]))
        db.session.commit()
    assert AuthActions(app.test_client()).login(users["interviewer"]).status_code == 302
    assert _audit(app, "user_updated")[-1][1] == {"active": [False, True], "via": "cli"}


@pytest.mark.parametrize(
    "change", [{"active": False}, {"role": "hiring_lead"}], ids=["disable", "demote"]
)
def test_an_admin_cannot_lock_themselves_out(app, users, change):
    # The rule the admin page has always had; there is no separate "last admin" rule.
    with app.app_context():
        admin = find_user(users["admin"])
        with pytest.raises(UserError, match="cannot remove your own admin role"):
            update_user(admin, actor=admin, **change)
        assert admin.active and admin.role == "admin"


def test_another_admin_may_disable_an_admin(app, users):
    with app.app_context():
        add_user("second@example.com", "Second Admin", "admin", PASSWORD)
        second = find_user("second@example.com")
        disable_user(find_user(users["admin"]), actor=second, via="admin")
        db.session.commit()
        assert not find_user(users["admin"]).active


def test_set_password_is_checked_and_audited(app, users):
    with app.app_context():
        user = find_user(users["interviewer"])
        with pytest.raises(UserError, match="at least 12"):
            set_user_password(user, "short")
        set_user_password(user, NEW, via="cli")
        db.session.commit()
    assert _audit(app, "password_set") == [("password_set", {"via": "cli"})]
    assert AuthActions(app.test_client()).login(users["interviewer"], NEW).status_code == 302


def test_find_user_says_how_to_find_one(app):
    with app.app_context(), pytest.raises(UserError, match="no user has the email x@example.com"):
        find_user("x@example.com")


# -- the CLI and the admin pages write the same audit entries ---------------------------------


@pytest.fixture
def admin(app, users):
    """Return a browser signed in as the admin."""
    browser = app.test_client()
    assert AuthActions(browser).login(users["admin"]).status_code == 302
    return browser


def test_creating_a_user_is_audited_alike_from_the_cli_and_the_admin_page(app, runner, admin):
    result = runner.invoke(
        args=["create-user", "cli@example.com", "--name", "Cleo", "--role", "interviewer"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    data = {"name": "Pat", "email": "page@example.com", "role": "interviewer", "active": "y"}
    response = admin.post("/admin/users/new", data={**data, "password": PASSWORD})
    assert response.status_code == 302
    (cli, page) = _audit(app, "user_created")[-2:]
    assert cli == ("user_created", {"role": "interviewer", "password": "set", "via": "cli"})
    assert page == ("user_created", {"role": "interviewer", "password": "set", "via": "admin"})


def test_setting_a_password_is_audited_alike_from_the_cli_and_the_admin_page(
    app, runner, admin, users
):
    result = runner.invoke(args=["set-password", users["interviewer"]], input=NEW + "\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        lead = find_user(users["hiring_lead"])
        lead_id, name = lead.id, lead.name
    data = {"name": name, "email": users["hiring_lead"], "role": "hiring_lead", "active": "y"}
    response = admin.post(f"/admin/users/{lead_id}", data={**data, "password": NEW})
    assert response.status_code == 302
    assert _audit(app, "password_set") == [
        ("password_set", {"via": "cli"}),
        ("password_set", {"via": "admin"}),
    ]
    assert _audit(app, "user_updated") == []  # nothing else changed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-user", "ivan@example.com", "--name", "Ivan"], "already exists"),
        (["create-user", "not-an-email", "--name", "X"], "is not a valid email address"),
    ],
    ids=["duplicate", "bad-email"],
)
def test_the_cli_says_what_to_fix_and_exits_non_zero(runner, users, args, message):
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_the_admin_page_shows_the_service_message_beside_the_email(app, admin, users):
    data = {"name": "Dup", "email": users["interviewer"], "role": "interviewer"}
    response = admin.post("/admin/users/new", data={**data, "password": PASSWORD})
    assert response.status_code == 200
    assert f"A user with email {users['interviewer']} already exists." in response.get_data(
        as_text=True
    )


def test_the_admin_page_refuses_an_admin_disabling_themselves(app, admin, users):
    with app.app_context():
        me = find_user(users["admin"])
        my_id, name = me.id, me.name
    data = {"name": name, "email": users["admin"], "role": "admin"}  # Active unticked
    response = admin.post(f"/admin/users/{my_id}", data=data)
    assert response.status_code == 400
    assert "You cannot remove your own admin role" in response.get_data(as_text=True)
    with app.app_context():
        assert find_user(users["admin"]).active

"""Admin work: users, the private instance folder, and what `init` sets up."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from conftest import PASSWORD, AuthActions, empty_app, make_app
from werkzeug.security import check_password_hash

from interviewkit.extensions import db
from interviewkit.models import AuditEvent, User


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- the instance folder is private (issue 8, item 11) ---------------------------------------


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing-0644"])
def test_instance_folder_and_sqlite_files_are_private(tmp_path, existing):
    # Regression: interviewkit.db and its -wal and -shm files were created 0644.
    from interviewkit.users import create_user

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    if existing:  # a database an older version left world-readable
        for name in ("interviewkit.db", "interviewkit.db-wal", "interviewkit.db-shm"):
            (instance / name).touch(mode=0o644)
            os.chmod(instance / name, 0o644)
        os.remove(instance / "interviewkit.db-wal")  # an empty WAL beside an empty db is odd
        os.remove(instance / "interviewkit.db-shm")
    old = os.umask(0o022)
    try:
        app = make_app(tmp_path, None)  # the default database, in the instance folder
        with app.app_context():
            create_user("a@example.com", "A", "admin", PASSWORD)  # writes: WAL and SHM exist
            files = sorted(os.listdir(instance))
            modes = {name: _mode(instance / name) for name in files}
    finally:
        os.umask(old)
    assert {"interviewkit.db", "interviewkit.db-wal", "interviewkit.db-shm"} <= set(files)
    assert _mode(instance) == 0o700
    assert modes == {name: 0o600 for name in files}, modes


# -- init writes the local Redis into instance/config.py, and says so (item 24) --------------


class _Redis:
    @classmethod
    def from_url(cls, url, **kwargs):
        return cls()

    def ping(self):
        return True


def test_init_says_it_wrote_the_redis_settings_with_a_key_prefix(tmp_path, monkeypatch):
    import redis

    monkeypatch.setattr(redis, "Redis", _Redis)
    prefixes = []
    for name in ("one", "two"):
        app = empty_app(tmp_path / name, f"sqlite:///{tmp_path / name / 'app.db'}")
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code == 0, result.output
        config = os.path.join(app.instance_path, "config.py")
        assert f"Wrote {config}: rate limits are shared through the Redis at" in result.output
        settings = {}
        exec(Path(config).read_text(), settings)  # noqa: S102 - the file init just wrote
        assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
        assert app.config["RATELIMIT_KEY_PREFIX"] == settings["RATELIMIT_KEY_PREFIX"]
        assert _mode(config) == 0o600
        prefixes.append(settings["RATELIMIT_KEY_PREFIX"])
    assert prefixes[0] != prefixes[1]  # two apps on one Redis keep their own counters


def test_init_suggests_the_settings_when_config_py_exists(tmp_path, monkeypatch):
    import redis

    monkeypatch.setattr(redis, "Redis", _Redis)
    app = empty_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    config = os.path.join(app.instance_path, "config.py")
    Path(config).write_text("WORKERS = 3\n")
    result = app.test_cli_runner().invoke(args=["init"])
    assert "add to" in result.output and "RATELIMIT_KEY_PREFIX" in result.output
    assert Path(config).read_text() == "WORKERS = 3\n"


# -- users ------------------------------------------------------------------------------------


@pytest.fixture
def admin(client, auth, users):
    """Sign the test client in as the admin."""
    assert auth.login(users["admin"]).status_code == 302
    return client


def _user(app, email) -> User:
    with app.app_context():
        return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def test_a_new_user_without_a_password_gets_a_link_not_an_empty_password(app, admin):
    # Regression: an empty password said "Created" and stored the hash of "".
    response = admin.post(
        "/admin/users/new",
        data={"name": "Nia New", "email": "nia@example.com", "role": "interviewer", "active": "y"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "has no password yet" in page
    assert response.headers["Cache-Control"] == "no-store"
    link = re.search(r'value="http://localhost(/set-password/[^"]+)"', page).group(1)
    user = _user(app, "nia@example.com")
    assert not check_password_hash(user.password_hash, "")
    newcomer = app.test_client()
    assert AuthActions(newcomer).login("nia@example.com", "").status_code != 302
    data = {"new": "nia's own passphrase", "confirm": "nia's own passphrase"}
    assert newcomer.post(link, data=data).status_code == 302
    assert AuthActions(newcomer).login("nia@example.com", "nia's own passphrase").status_code == 302


def test_a_new_user_with_a_password_can_sign_in(app, admin):
    data = {"name": "Pat", "email": "pat@example.com", "role": "interviewer", "active": "y"}
    response = admin.post("/admin/users/new", data={**data, "password": "pat's passphrase"})
    assert response.status_code == 302
    other = app.test_client()
    assert AuthActions(other).login("pat@example.com", "pat's passphrase").status_code == 302


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Eve\tAdmin"), ("name", "Eve\x85"), ("email", "eve\n@example.com")],
    ids=["tab-in-name", "c1-in-name", "newline-in-email"],
)
def test_user_names_and_emails_are_one_line(app, admin, field, value):
    data = {"name": "Eve", "email": "eve@example.com", "role": "interviewer", "password": PASSWORD}
    response = admin.post("/admin/users/new", data={**data, field: value})
    assert response.status_code == 200
    assert "control character" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(User).filter_by(name="Eve")).first() is None


def test_making_a_set_password_link_is_audited(app, admin, users):
    lead = _user(app, users["hiring_lead"])
    response = admin.post(f"/admin/users/{lead.id}/set-password-link")
    assert response.status_code == 200
    assert "/set-password/" in response.get_data(as_text=True)
    with app.app_context():
        actions = db.session.execute(db.select(AuditEvent.action)).scalars().all()
    assert "set_password_link_issued" in actions

"""The app factory, instance configuration and /healthz."""

from __future__ import annotations

import os
import stat

from interviewkit import create_app
from interviewkit.bank.writer import load


def test_secret_key_is_generated_once_and_private(tmp_path):
    instance = tmp_path / "inst"
    first = create_app({"INSTANCE_PATH": str(instance)})
    second = create_app({"INSTANCE_PATH": str(instance)})
    key_file = instance / "secret_key"
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_two_instances_get_different_keys(tmp_path):
    a = create_app({"INSTANCE_PATH": str(tmp_path / "a")})
    b = create_app({"INSTANCE_PATH": str(tmp_path / "b")})
    assert a.config["SECRET_KEY"] != b.config["SECRET_KEY"]


def test_config_file_then_environment(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("PORT = 6000\nWORKERS = 3\n")
    monkeypatch.setenv("INTERVIEWKIT_PORT", "7000")
    monkeypatch.setenv("INTERVIEWKIT_CONTENT_ROOTS", os.pathsep.join(["/a", "/b"]))
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app()
    assert app.config["WORKERS"] == 3  # from instance/config.py
    assert app.config["PORT"] == 7000  # the environment wins over the file
    assert app.config["CONTENT_ROOTS"] == ["/a", "/b"]


def test_content_roots_accept_a_json_list(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    monkeypatch.setenv("INTERVIEWKIT_CONTENT_ROOTS", '["/x", "/y"]')
    assert create_app().config["CONTENT_ROOTS"] == ["/x", "/y"]


def test_healthz_without_a_bank(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "no bank"
    assert "interviewkit load" in response.json["detail"]


def test_healthz_reports_build_and_count(app, client, content_root):
    result = load([content_root], app.config["BANK_PATH"])
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["build_id"] == result.build_id
    assert response.json["questions"] == 4


def test_init_applies_migrations_and_creates_demo_users_once(tmp_path, database_url):
    from conftest import empty_app
    from sqlalchemy import inspect

    from interviewkit.extensions import db

    app = empty_app(tmp_path, database_url)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert app.instance_path in result.output
    assert result.output.count("@example.com") == 4
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"users", "candidates", "loops", "loop_questions", "alembic_version"} <= tables
    again = runner.invoke(args=["init", "--demo"])
    assert again.exit_code == 0
    assert "no demo users created" in again.output


def test_the_served_app_answers_a_long_address_with_its_own_page(tmp_path):
    """Regression (issue 8.18): gunicorn's bare "414 URI Too Long" for a long search."""
    import http.client

    from conftest import served_app

    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    with served_app(config) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz?q=" + "a" * 6_000)
        response = conn.getresponse()
        body = response.read().decode()
    assert response.status == 414
    assert "Address too long" in body and "<title>" in body


def test_gunicorn_workers_freeze_the_objects_of_start_up():
    """`serve` and the gunicorn config module both exempt start-up objects from the collector."""
    import gc

    from interviewkit import gunicorn_conf
    from interviewkit.server import freeze_startup_objects, gunicorn_options

    assert gunicorn_options("127.0.0.1", 8000, 2)["post_worker_init"] is freeze_startup_objects
    assert gunicorn_conf.post_worker_init is freeze_startup_objects
    assert gunicorn_conf.limit_request_line == gunicorn_options("h", 1, 1)["limit_request_line"]
    try:
        freeze_startup_objects(None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

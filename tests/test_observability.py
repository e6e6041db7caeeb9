"""Request ids, JSON logs that never hold what people wrote, /metrics, /healthz, error pages."""

from __future__ import annotations

import json
import logging
import re
import shutil
import uuid

import pytest
from conftest import PASSWORD, app_with_bank, make_app, seed_two_interviewer_loop
from prometheus_client.parser import text_string_to_metric_families

from interviewkit import create_app
from interviewkit.extensions import db
from interviewkit.models import User
from interviewkit.observability import JsonFormatter
from interviewkit.tokens import create_token


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on SQLite with no bank: enough for what does not depend on the database kind."""
    return make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")


@pytest.fixture
def logs(caplog):
    """Capture every log line at INFO (the level `serve` logs at), formatted as served."""
    caplog.set_level(logging.INFO)
    caplog.handler.setFormatter(JsonFormatter())
    return caplog


def log_lines(caplog) -> list[dict]:
    """Return every captured line, each parsed (so each must be one JSON object)."""
    return [json.loads(line) for line in caplog.text.splitlines()]


def request_lines(caplog) -> list[dict]:
    return [x for x in log_lines(caplog) if x["logger"] == "interviewkit.request"]


# -- request ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123_X.y", True),
        ("a" * 64, True),
        ("a" * 65, False),  # too long
        ("has space", False),
        ("semi;colon", False),
        ('"quoted"', False),
        ("", False),
        (None, False),
    ],
)
def test_a_safe_proxy_request_id_is_kept_else_a_new_one_is_made(sqlite_app, given, kept):
    headers = {"X-Request-ID": given} if given is not None else {}
    response = sqlite_app.test_client().get("/login", headers=headers)
    rid = response.headers["X-Request-ID"]
    if kept:
        assert rid == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", rid)


def test_one_json_line_per_request_without_the_query_string(sqlite_app, logs):
    client = sqlite_app.test_client()
    client.get("/login?next=/secret-place&email=someone@example.com")
    client.get("/no-such-page?q=private")
    client.get("/static/app.css")
    lines = request_lines(logs)
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        ("GET", "/login", 200),
        ("GET", "/no-such-page", 404),
        ("GET", "/static/app.css", 200),
    ]
    assert [x["endpoint"] for x in lines] == ["auth.login", "unmatched", "static"]
    first = lines[0]
    assert re.fullmatch(r"[0-9a-f]{32}", first["request_id"])
    assert first["user_id"] is None and first["level"] == "INFO"
    assert isinstance(first["duration_ms"], float)
    assert "private" not in logs.text and "someone@" not in logs.text


def test_a_set_password_token_in_the_path_is_not_logged(sqlite_app, logs):
    secret = "tok" + uuid.uuid4().hex
    sqlite_app.test_client().get(f"/set-password/{secret}")
    assert [x["path"] for x in request_lines(logs)] == ["/set-password/<token>"]
    assert secret not in logs.text


def test_a_full_kit_session_never_logs_what_people_typed_or_their_secrets(
    tmp_path, database_url, real_bank, logs
):
    """The issue's test: a note, a password, a token and a cookie appear in no log line."""
    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_two_interviewer_loop(app)
    note = "NOTE-" + uuid.uuid4().hex
    client = app.test_client()
    sign_in = client.post("/login", data={"email": "ivan@example.com", "password": PASSWORD})
    assert sign_in.status_code == 302
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    sid, comps = ids["ivan_session"], ids["ivan_comps"]

    def save(key, value, save_id):
        item = {"key": key, "value": value, "base": 0, "save_id": save_id}
        response = client.post(f"/kit/{sid}/save", json={"items": [item]})
        assert response.json["results"][0]["status"] == "saved"

    save("general", f"Candidate said: {note}", "note00001")
    client.get(f"/kit/{sid}")
    client.get(f"/kit/{sid}/state")
    ratings = {"action": "ratings", "recommendation": "yes"}
    ratings.update({f"score-{c}": "3" for c in comps})
    ratings.update({f"reason-{c}": f"reason {note}" for c in comps})
    assert client.post(f"/kit/{sid}/scorecard", data=ratings).status_code == 302
    for n, c in enumerate(comps):
        save(f"evidence:{c}", f"Evidence {note} on {c}, written in full.", f"evid{n:05d}")
    assert client.post(f"/kit/{sid}/scorecard", data={"action": "evidence"}).status_code == 302
    client.post("/login", data={"email": "iris@example.com", "password": "wrong " + note})
    with app.app_context():
        iris = db.session.execute(db.select(User).filter_by(email="iris@example.com")).scalar_one()
        secret = create_token(iris, "script", "read-write").secret
        db.session.commit()
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=bearer).status_code == 200
    item = {"key": "general", "value": f"API {note}", "base": 0, "save_id": "apinote01"}
    url = f"/api/v1/me/sessions/{ids['iris_session']}/scorecard/saves"
    assert api.post(url, json={"items": [item]}, headers=bearer).status_code == 200
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer ik_wrong"}).status_code == 401

    text = logs.text
    assert len(request_lines(logs)) >= 12
    for secret_value in (note, PASSWORD, secret, cookie):
        assert secret_value not in text
    saved_by = {x["endpoint"]: x["user_id"] for x in request_lines(logs)}
    assert saved_by["kit.save"] and saved_by["api.save_scorecard"]
    assert "ivan@example.com" not in text


# -- errors: generic pages with the request id, and a log line with the traceback ----------------


@pytest.fixture
def failing_app(sqlite_app):
    """The app with a page that fails, as a bug would, with what was typed in its message."""

    def boom():
        from flask import request

        raise RuntimeError(f"bug while handling {request.form.get('note', '')}")

    sqlite_app.config["PROPAGATE_EXCEPTIONS"] = False  # as served, not as TESTING has it
    sqlite_app.add_url_rule("/boom", "boom", boom, methods=["POST"])
    sqlite_app.add_url_rule("/api/v1/boom", "api_boom", boom, methods=["POST"])
    return sqlite_app


def test_a_500_page_is_generic_and_gives_the_reference(failing_app, logs):
    response = failing_app.test_client().post(
        "/boom", data={"note": "typed-note"}, headers={"X-Request-ID": "support-ref-1"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "Reference: <code>support-ref-1</code>" in page
    assert "RuntimeError" not in page and "typed-note" not in page
    line = next(x for x in log_lines(logs) if x["level"] == "ERROR")
    assert line["request_id"] == "support-ref-1"
    assert "Traceback" in line["traceback"] and "in boom" in line["traceback"]
    assert line["traceback"].endswith("builtins.RuntimeError")
    assert "typed-note" not in logs.text  # the exception's message quoted it: left out
    assert request_lines(logs)[0]["status"] == 500


def test_a_logged_traceback_names_each_exception_of_the_chain_without_its_message():
    from interviewkit.observability import quiet_traceback

    typed = "".join(["sec", "ret"])  # so no source line shown spells it out
    try:
        try:
            int(typed)
        except ValueError as exc:
            raise KeyError(typed) from exc
    except KeyError as exc:
        text = quiet_traceback(exc)
    assert "secret" not in text
    first, second = text.split("The above exception led to the following one:")
    assert first.strip().endswith("builtins.ValueError")
    assert second.strip().endswith("builtins.KeyError")
    assert text.count("Traceback (most recent call last):") == 2


def test_an_api_problem_carries_the_request_id(failing_app):
    response = failing_app.test_client().post(
        "/api/v1/boom", data={"note": "typed-note"}, headers={"X-Request-ID": "api-ref-7"}
    )
    assert response.status_code == 500
    body = response.get_json()
    assert body["request_id"] == "api-ref-7" and body["type"].endswith("/server-error")
    assert "RuntimeError" not in json.dumps(body) and "typed-note" not in json.dumps(body)
    missing = failing_app.test_client().get("/api/v1/no-such")
    assert missing.get_json()["request_id"] == missing.headers["X-Request-ID"]


@pytest.mark.parametrize("url", ["/no-such-page", "/admin/users"])
def test_404_and_403_pages_give_the_reference(sqlite_app, users, url):
    client = sqlite_app.test_client()
    client.post("/login", data={"email": users["interviewer"], "password": PASSWORD})
    response = client.get(url)
    assert response.status_code in (403, 404)
    rid = response.headers["X-Request-ID"]
    assert f"Reference: <code>{rid}</code>" in response.get_data(as_text=True)


@pytest.fixture
def users(sqlite_app):
    from interviewkit.users import create_user

    with sqlite_app.app_context():
        create_user("ivan@example.com", "Ivan", "interviewer", PASSWORD)
    return {"interviewer": "ivan@example.com"}


# -- /metrics ---------------------------------------------------------------------------------


def scrape(client, **kwargs) -> dict[str, float]:
    """Return {sample name with labels: value} from /metrics."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}"] = s.value
    return samples


def test_metrics_count_requests_by_endpoint_and_time_them(sqlite_app):
    client = sqlite_app.test_client()
    key = "interviewkit_http_requests_total{endpoint=auth.login,method=GET,status=200}"
    before = scrape(client).get(key, 0)
    for _ in range(3):
        client.get("/login")
    after = scrape(client)
    assert after[key] == before + 3
    assert after["interviewkit_http_request_duration_seconds_count{endpoint=auth.login}"] >= 3
    assert "interviewkit_db_pool_checked_out{}" in after
    client.open("/login", method="BREW")  # an invented method: one "other" series, not one each
    other = "interviewkit_http_requests_total{endpoint=unmatched,method=other,status=405}"
    assert scrape(client)[other] >= 1
    assert after["interviewkit_bank_info{build_id=none,schema_version=}"] == 1


def test_metrics_report_the_bank_and_autosave_outcomes(tmp_path, real_bank):
    app = app_with_bank(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", real_bank)
    ids = seed_two_interviewer_loop(app)
    client = app.test_client()
    client.post("/login", data={"email": "ivan@example.com", "password": PASSWORD})
    saved = "interviewkit_autosave_items_total{result=saved,via=kit}"
    refused = "interviewkit_autosave_items_total{result=refused,via=kit}"
    before = scrape(client)
    items = [
        {"key": "general", "value": "a note", "base": 0, "save_id": "metric001"},
        {"key": "no-such-key", "value": "x", "base": 0, "save_id": "metric002"},
    ]
    results = client.post(f"/kit/{ids['ivan_session']}/save", json={"items": items}).json
    assert [r["status"] for r in results["results"]] == ["saved", "refused"]
    after = scrape(client)
    assert after[saved] == before.get(saved, 0) + 1
    assert after[refused] == before.get(refused, 0) + 1
    health = client.get("/healthz").json
    assert (
        after[
            f"interviewkit_bank_info{{build_id={health['build_id']},schema_version={health['schema_version']}}}"
        ]
        == 1
    )
    assert after["interviewkit_bank_questions{}"] == health["questions"] > 0
    assert after["interviewkit_db_pool_size{}"] >= 1


def test_metrics_report_what_waits_in_the_mail_outbox(tmp_path):
    from interviewkit.extensions import db
    from interviewkit.models import OutgoingMail

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    client = app.test_client()
    assert scrape(client)["interviewkit_mail_outbox_waiting{}"] == 0
    with app.app_context():
        db.session.add_all(
            [
                OutgoingMail(message="Subject: a\n\nx", attempts=1),
                OutgoingMail(message="Subject: b\n\nx", attempts=3),
                OutgoingMail(message="Subject: c\n\nx", attempts=12),
            ]
        )
        db.session.commit()
        given_up = db.session.scalar(db.select(OutgoingMail).filter_by(attempts=12))
        given_up.next_attempt_at = None  # as mail._retry leaves it after the last attempt
        db.session.commit()
    after = scrape(client)
    assert after["interviewkit_mail_outbox_waiting{}"] == 2
    assert after["interviewkit_mail_outbox_given_up{}"] == 1


OUTSIDER = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.mark.parametrize(
    ("config", "environ", "headers", "status"),
    [
        ({}, {}, {}, 200),  # 127.0.0.1 by default
        ({}, {"REMOTE_ADDR": "::1"}, {}, 200),
        ({}, OUTSIDER, {}, 404),  # 404, not 403: its existence is not advertised
        ({"METRICS_ALLOW": "10.0.0.0/8, 203.0.113.0/24"}, OUTSIDER, {}, 200),
        ({"METRICS_ALLOW": ["203.0.113.9"]}, OUTSIDER, {}, 200),
        ({"METRICS_ALLOW": ""}, {}, {}, 404),  # nobody by address
        # through a proxy the address is the proxy's: only the token will do
        ({}, {}, {"X-Forwarded-For": "198.51.100.1"}, 404),
        ({"METRICS_TOKEN": "s3cret"}, OUTSIDER, {"Authorization": "Bearer s3cret"}, 200),
        (
            {"METRICS_TOKEN": "s3cret"},
            {},
            {"X-Forwarded-For": "1.2.3.4", "Authorization": "Bearer s3cret"},
            200,
        ),
        ({"METRICS_TOKEN": "s3cret"}, OUTSIDER, {"Authorization": "Bearer wrong"}, 404),
        ({"METRICS_TOKEN": "s3cret"}, OUTSIDER, {}, 404),
    ],
)
def test_metrics_are_for_allowed_addresses_or_the_token(tmp_path, config, environ, headers, status):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", **config)
    response = app.test_client().get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == status
    if status == 404:
        assert "interviewkit_" not in response.get_data(as_text=True)


# -- /healthz ---------------------------------------------------------------------------------


def test_healthz_reports_database_and_bank(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank)
    body = app.test_client().get("/healthz").json
    assert body["status"] == "ok" and body["database"] == "ok" and body["bank"] == "ok"
    assert body["questions"] > 0 and body["build_id"]


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, real_bank):
    bank = tmp_path / "bank.db"
    shutil.copy(real_bank, bank)
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "BANK_PATH": str(bank),
            # port 1: nothing listens there, so the connection is refused at once
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "database unavailable"
    assert body["database"] == "unavailable" and body["bank"] == "ok" and body["build_id"]


@pytest.mark.parametrize(
    ("damage", "status"),
    [
        ("delete", "no bank"),
        ("corrupt", "no bank"),
        ("old layout", "bank of another version"),
    ],
)
def test_healthz_is_503_when_the_bank_is_broken(tmp_path, real_bank, damage, status):
    import sqlite3

    app = app_with_bank(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", real_bank)
    bank = tmp_path / "bank.db"
    if damage == "delete":
        bank.unlink()
    elif damage == "corrupt":
        bank.write_bytes(b"not a database at all" * 100)
    else:
        with sqlite3.connect(bank) as conn:
            conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == status and response.json["bank"] == status
    assert response.json["database"] == "ok"


# -- served by gunicorn with two workers ------------------------------------------------------


def test_two_gunicorn_workers_report_one_sum_and_log_json(tmp_path):
    """The client's multiprocess mode: a scrape from either worker counts both workers'
    requests, a replaced worker's counts stay, its live gauges go; every log line is JSON."""
    import http.client
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    instance = tmp_path / "instance"
    (instance / "metrics").mkdir(parents=True)
    (instance / "metrics" / "counter_999999.db").write_bytes(b"stale")  # emptied at start
    config = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
        "WEBHOOK_WORKER": False,  # no tables here for it to read
    }
    script = (
        "from interviewkit import create_app\n"
        "from interviewkit.observability import prepare_metrics_dir\n"
        "from interviewkit.server import _Server, gunicorn_options\n"
        f"app = create_app({config!r})\n"
        "prepare_metrics_dir(app.instance_path)\n"  # as `interviewkit serve` does
        "class Server(_Server):\n"
        "    def load(self):\n"
        "        return app\n"
        f"Server(gunicorn_options('127.0.0.1', {port}, 2)).run()\n"
    )
    log = tmp_path / "stderr.log"
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    with log.open("wb") as stderr:
        server = subprocess.Popen([sys.executable, "-c", script], stderr=stderr, env=env)
    metrics_dir = instance / "metrics"

    def get(path):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode()
        conn.close()
        return response.status, body

    def pids(prefix):
        return {p.name.rsplit("_", 1)[1][:-3] for p in metrics_dir.glob(f"{prefix}_*.db")}

    def healthz_count():
        _, body = get("/metrics")
        for family in text_string_to_metric_families(body):
            for s in family.samples:
                if s.name == "interviewkit_http_requests_total" and s.labels == {
                    "endpoint": "health.healthz",
                    "method": "GET",
                    "status": "503",
                }:
                    return s.value
        return 0

    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert get("/healthz")[0] == 503  # no bank: still counted
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        sent = 1
        with ThreadPoolExecutor(8) as pool:
            while len(pids("counter")) < 2:  # until both workers have answered some
                assert time.monotonic() < deadline, "one worker answered everything"
                list(pool.map(get, ["/healthz"] * 16))
                sent += 16
        assert "999999" not in pids("counter")
        assert len(pids("gauge_livesum")) == 2  # each worker's pool gauge
        # several scrapes, answered by either worker: the same sum each time
        assert [healthz_count() for _ in range(4)] == [sent] * 4

        # a worker that ends: its counts stay in the sum, its live gauges go
        victim = sorted(pids("gauge_livesum"))[0]
        os.kill(int(victim), signal.SIGTERM)
        while victim in pids("gauge_livesum"):
            assert time.monotonic() < deadline + 10, "child_exit did not drop the gauge"
            time.sleep(0.1)
        assert healthz_count() == sent
    finally:
        server.terminate()
        server.wait(timeout=10)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    requests = [x for x in lines if x["logger"] == "interviewkit.request"]
    health = [x for x in requests if x["endpoint"] == "health.healthz"]
    assert len(health) == sent  # exactly one line per request (no gunicorn access line)
    assert all(re.fullmatch(r"[0-9a-f]{32}", x["request_id"]) for x in requests)
    assert any(x["logger"] == "gunicorn.error" for x in lines)  # gunicorn's own, as JSON

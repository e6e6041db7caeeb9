"""Serving: `interviewkit serve`'s workers, threads and checks, proxies, several nodes on
one database and one Redis, bank roll-outs, and upgrading a previous release's database."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import (
    PASSWORD,
    PROJECT,
    _pg_admin_connect,
    drop_everything,
    make_app,
    redis_url,
    seed_two_interviewer_loop,
    served_app,
)

from interviewkit import create_app
from interviewkit.server import (
    DEFAULT_THREADS,
    ServeError,
    control_socket,
    default_workers,
    gunicorn_options,
    plan,
)

CHEAP_HASH = "scrypt:1024:8:1"


# -- workers and threads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "config", "expected"),
    [
        ({}, {}, (default_workers(), DEFAULT_THREADS)),  # the machine's defaults
        ({}, {"WORKERS": 3, "THREADS": 1}, (3, 1)),  # instance/config.py or INTERVIEWKIT_*
        ({"workers": 5, "threads": 8}, {"WORKERS": 3, "THREADS": 1}, (5, 8)),  # the options win
    ],
)
def test_workers_and_threads_come_from_options_then_config_then_the_machine(
    options, config, expected
):
    settings = {"HOST": "127.0.0.1", "PORT": 5000, "WORKERS": None, "THREADS": None, **config}
    how = plan(settings, **options)
    assert (how.workers, how.threads) == expected


def test_the_default_is_a_worker_per_core_and_never_fewer_than_two(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert default_workers() == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert default_workers() == 8
    app = create_app({"INSTANCE_PATH": "/nonexistent-not-created", "DATABASE_URL": "sqlite://"})
    assert app.config["WORKERS"] is None and app.config["THREADS"] == DEFAULT_THREADS


@pytest.mark.parametrize("value", [0, -1, "many", 65])
def test_a_bad_workers_setting_is_one_clear_line(value):
    with pytest.raises(ServeError, match=r"WORKERS is .*: set a whole number from 1 to 64"):
        plan({"HOST": "h", "PORT": 1, "WORKERS": value, "THREADS": None})


@pytest.mark.parametrize(("threads", "worker_class"), [(1, "sync"), (4, "gthread")])
def test_threads_choose_gunicorns_worker_class(threads, worker_class):
    options = gunicorn_options("::1", 8000, 2, threads)
    assert options["worker_class"] == worker_class and options["threads"] == threads
    assert options["bind"] == "[::1]:8000"  # an IPv6 address in brackets


def test_each_instance_has_its_own_gunicorn_control_socket(tmp_path):
    # gunicorn's default ($HOME/.gunicorn/gunicorn.ctl) was shared by every server of the user
    assert control_socket(str(tmp_path)) == {"control_socket": str(tmp_path / "gunicorn.ctl")}
    assert control_socket("/" + "x" * 120) == {"control_socket_disable": True}


# -- behind a reverse proxy ------------------------------------------------------------------


def _app(tmp_path, hops, **config):
    return make_app(
        tmp_path, f"sqlite:///{tmp_path}/app.db", TRUSTED_PROXY_HOPS=hops, **config
    ).test_client()


def _fail_sign_in(client, email, headers):
    return client.post(
        "/login", data={"email": email, "password": "wrong"}, headers=headers
    ).status_code


@pytest.mark.parametrize(("hops", "third"), [(0, 429), (1, 401)])
def test_failed_sign_ins_count_against_the_forwarded_address_only_behind_a_trusted_proxy(
    tmp_path, hops, third
):
    """Everyone comes from the proxy's address (10.0.0.1). Trusted, X-Forwarded-For gives each
    client its own count; untrusted (the default), the header is ignored, so a client cannot
    pick a fresh address for each guess."""
    client = _app(
        tmp_path, hops, LOGIN_ADDRESS_RATE_LIMIT="2 per minute", LOGIN_RATE_LIMIT="50 per minute"
    )
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    first = {"X-Forwarded-For": "203.0.113.7"}
    assert [_fail_sign_in(client, f"a{i}@example.com", first) for i in range(2)] == [401, 401]
    assert _fail_sign_in(client, "a@example.com", first) == 429
    assert _fail_sign_in(client, "b@example.com", {"X-Forwarded-For": "198.51.100.9"}) == third


def test_only_the_address_the_trusted_proxy_added_counts(tmp_path):
    """A client's own X-Forwarded-For entries (the left ones) never choose its address."""
    client = _app(
        tmp_path, 1, LOGIN_ADDRESS_RATE_LIMIT="2 per minute", LOGIN_RATE_LIMIT="50 per minute"
    )
    spoofed = [f"192.0.2.{i}, 203.0.113.7" for i in range(3)]
    codes = [
        _fail_sign_in(client, f"a{i}@example.com", {"X-Forwarded-For": s})
        for i, s in enumerate(spoofed)
    ]
    assert codes == [401, 401, 429]


@pytest.mark.parametrize(("hops", "secure"), [(0, False), (1, True)])
def test_the_forwarded_scheme_makes_cookies_secure_only_behind_a_trusted_proxy(
    tmp_path, hops, secure
):
    from interviewkit.users import create_user

    client = _app(tmp_path, hops, PASSWORD_HASH_METHOD=CHEAP_HASH)
    with client.application.app_context():
        create_user("ivan@example.com", "Ivan", "interviewer", PASSWORD)
    response = client.post(
        "/login",
        data={"email": "ivan@example.com", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert ("; Secure" in session) is secure
    assert ("Strict-Transport-Security" in response.headers) is secure


@pytest.mark.parametrize(
    ("hops", "root"), [(0, "http://localhost/"), (1, "https://interviews.example.com/")]
)
def test_the_forwarded_host_and_scheme_build_links_only_behind_a_trusted_proxy(
    tmp_path, hops, root
):
    # a link built from a forged host (a set-password link, an OIDC redirect) would send
    # people elsewhere
    client = _app(tmp_path, hops)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "interviews.example.com"}
    page = client.get("/api/v1/docs", headers=forwarded).get_data(as_text=True)
    assert f"{root}api/v1/me" in page


@pytest.mark.parametrize(("hops", "secure"), [(0, False), (1, True)])
def test_gunicorn_itself_does_not_believe_a_forwarded_scheme(tmp_path, hops, secure):
    """gunicorn trusts X-Forwarded-Proto from 127.0.0.1 by default (forwarded_allow_ips):
    under serve only TRUSTED_PROXY_HOPS decides, so a local client cannot claim HTTPS."""
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "TRUSTED_PROXY_HOPS": hops,
    }
    with served_app(config) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/login", headers={"X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        response.read()
        conn.close()
    assert response.status == 200
    assert (response.getheader("Strict-Transport-Security") is not None) is secure


@pytest.mark.parametrize("value", [-1, "one"])
def test_a_bad_trusted_proxy_hops_setting_stops_the_app(tmp_path, value):
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS is .*: set the number of proxies"):
        _app(tmp_path, value)


# -- real `serve` processes ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_args(config: dict, *options: str) -> list[str]:
    """`flask --app 'interviewkit:create_app({...})' serve ...`: the `interviewkit serve`
    command on an app made from `config` (the interviewkit script always uses create_app())."""
    return [sys.executable, "-m", "flask", "--app", f"interviewkit:create_app({config!r})"] + [
        "serve",
        *options,
    ]


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.pop("FLASK_DEBUG", None)
    return {**env, **extra}


def _migrated(tmp_path: Path, database_url: str, name: str = "migrate") -> None:
    """Bring an app database to the code's head with the migrations (as `init` does)."""
    from flask_migrate import upgrade

    from interviewkit.extensions import db

    app = create_app({"INSTANCE_PATH": str(tmp_path / name), "DATABASE_URL": database_url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _get(port: int, path: str, headers=None) -> tuple[int, dict, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


@contextmanager
def _serving(tmp_path: Path, name: str, config: dict, *options: str, env=None):
    """Run `serve` on a free port; yield the port once /healthz answers; stop it after."""
    port = _free_port()
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            _serve_args(config, "--port", str(port), *options),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or _env(),
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(port, "/healthz")
                break
            except (ConnectionRefusedError, ConnectionResetError):
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_serve_never_runs_in_debug_mode(tmp_path):
    """FLASK_DEBUG, --debug and DEBUG all say debug; the served app is not in debug mode
    (in debug mode Flask pretty-prints JSON, reloads templates and lets errors through)."""
    config = {**_stamped(tmp_path), "DEBUG": True}
    args = ["--workers", "1", "--threads", "1"]
    env = _env(FLASK_DEBUG="1")
    with _serving(tmp_path, "debug", config, *args, env=env) as port:
        status, _, body = _get(port, "/healthz")
    assert status == 503  # no bank here
    assert "\n" not in body.strip() and '"status":"no bank"' in body  # compact, not debug's


def _serve_fails(config: dict, *options: str) -> tuple[int, str]:
    done = subprocess.run(
        _serve_args(config, *options), capture_output=True, text=True, env=_env(), timeout=60
    )
    return done.returncode, done.stdout + done.stderr


def _stamped(tmp_path: Path, version: str | None = None) -> dict:
    """Return the config of an app whose SQLite database says it is at `version` (the
    code's head by default): all `serve` reads before it starts, and all /healthz needs."""
    import sqlite3

    from interviewkit.maintenance import code_head

    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (version or code_head(),))
    conn.close()
    return {"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": f"sqlite:///{path}"}


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert "Traceback" not in output
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    return lines[0]


def test_serve_says_in_one_line_that_the_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        code, output = _serve_fails(_stamped(tmp_path), "--port", str(port))
    assert code != 0
    line = _one_error_line(output)
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in line
    assert "--port" in line
    assert time.monotonic() - started < 15  # not gunicorn's five retries, then a traceback


@pytest.mark.parametrize(
    ("database_url", "said"),
    [
        (
            "postgresql+psycopg://postgres@127.0.0.1:{closed}/interviewkit",
            "cannot reach the app database at postgresql+psycopg://postgres@127.0.0.1:{closed}/",
        ),
        ("sqlite:///{tmp}/missing/app.db", "no app database at {tmp}/missing/app.db"),
    ],
    ids=["postgresql-down", "sqlite-missing"],
)
def test_serve_says_in_one_line_that_the_database_is_unreachable(tmp_path, database_url, said):
    closed = _free_port()  # nothing listens there
    url = database_url.format(closed=closed, tmp=tmp_path)
    config = {"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": url}
    code, output = _serve_fails(config, "--port", str(_free_port()))
    assert code != 0
    assert said.format(closed=closed, tmp=tmp_path) in _one_error_line(output)


@pytest.mark.parametrize(
    ("version", "code", "said"),
    [
        ("c4a5b7a24e71", 1, "Error: the app database is at schema version c4a5b7a24e71, older"),
        ("ffffffffffff", None, "The app database is at schema version ffffffffffff, newer"),
    ],
    ids=["older-refused", "newer-served"],
)
def test_serve_refuses_a_database_behind_the_code_and_serves_one_ahead(
    tmp_path, version, code, said
):
    """A node of the new release must not serve before `db upgrade`; a node of the old
    release keeps serving (and restarting) once a newer one has migrated."""
    port = _free_port()
    with socket.socket() as taken:  # so that a served app stops at the port, after the check
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run(
            _serve_args(_stamped(tmp_path, version), "--port", str(port)),
            capture_output=True, text=True, env=_env(), timeout=60,
        )  # fmt: skip
    assert said in done.stderr
    if code is not None:
        assert done.returncode == code and "run `interviewkit db upgrade`" in done.stderr


# -- two nodes on one PostgreSQL and one Redis -----------------------------------------------


@pytest.fixture
def shared_postgresql(tmp_path, pg_url):
    """Yield a new PostgreSQL database at the code's head, for servers to share."""
    name = f"ik_serve_{uuid.uuid4().hex[:10]}"
    with _pg_admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        _migrated(tmp_path, url)
        yield url
    finally:
        with _pg_admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_nodes_upgrading_at_once_both_succeed(tmp_path, pg_url):
    """Every node may run `db upgrade` on start: on PostgreSQL one waits for the other
    (an advisory lock), then finds the database at head."""
    name = f"ik_upgrade_{uuid.uuid4().hex[:10]}"
    with _pg_admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        nodes = []
        for node in ("a", "b"):
            config = {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / node)}
            command = [sys.executable, "-m", "flask", "--app"]
            command += [f"interviewkit:create_app({config!r})", "db", "upgrade"]
            nodes.append(
                subprocess.Popen(
                    command, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
            )
        outcomes = [(p.wait(timeout=120), p.stderr.read().decode()) for p in nodes]
        assert [code for code, _ in outcomes] == [0, 0], outcomes
        from sqlalchemy import create_engine

        from interviewkit.maintenance import code_head

        engine = create_engine(url)
        with engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        engine.dispose()
        assert [tuple(v) for v in versions] == [(code_head(),)]
    finally:
        with _pg_admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Browser:
    """One person's browser: keeps its cookies, whichever node answers (a load balancer)."""

    def __init__(self, cookies: dict | None = None) -> None:
        self.cookies = dict(cookies or {})
        self.csrf = ""

    def request(self, port, method, path, form=None, body=None):
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            data = urlencode({**form, "csrf_token": self.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None:
            data = json.dumps(body)
            headers.update({"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for value in response.headers.get_all("Set-Cookie") or []:
                for key, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
        finally:
            conn.close()
        found = re.search(r'name="csrf-token" content="([^"]+)"', text)
        if found:
            self.csrf = found.group(1)
        return response.status, text

    def sign_in(self, port, email, password=PASSWORD) -> int:
        self.request(port, "GET", "/login")
        status, _ = self.request(
            port, "POST", "/login", form={"email": email, "password": password}
        )
        return status


def _bank_two(tmp_path, real_bank, question_id) -> Path:
    """Build a second bank from the shipped content with one question's prompt edited."""
    from interviewkit.bank.writer import load

    content = tmp_path / "content-two"
    shutil.copytree(PROJECT / "questions", content / "questions")
    shutil.copytree(PROJECT / "rubrics", content / "rubrics")
    path = next(p for p in (content / "questions").rglob("*.md") if p.stem == question_id)
    text = path.read_text()
    path.write_text(text.replace("\n## Probes", "\nAsked from build two.\n\n## Probes", 1))
    bank = tmp_path / "bank-two.db"
    shutil.copy(real_bank, bank)
    load([content], bank)  # incremental: one question parsed again
    return bank


def test_two_nodes_share_sign_ins_rate_limits_and_notes_and_serve_each_others_loops(
    tmp_path, shared_postgresql, real_bank
):
    """Two `serve` processes (nodes A and B) on one PostgreSQL database and one Redis, with
    the same SECRET_KEY. A is still on bank build one while B serves build two: a roll-out
    in progress."""
    from interviewkit.extensions import bank as bankdb
    from interviewkit.extensions import db
    from interviewkit.loops.service import add, create_loop
    from interviewkit.models import Candidate, LoopQuestion, User

    bank_one = tmp_path / "bank-one.db"
    shutil.copy(real_bank, bank_one)
    base = {
        "DATABASE_URL": shared_postgresql,
        "PASSWORD_HASH_METHOD": CHEAP_HASH,
        "SECRET_KEY": uuid.uuid4().hex,  # every node has the same key
        "RATELIMIT_STORAGE_URI": redis_url(),
        "RATELIMIT_KEY_PREFIX": f"ik-serve-{uuid.uuid4().hex}",
        "LOGIN_RATE_LIMIT": "3 per minute",
        "WEBHOOK_WORKER": False,
    }
    # the data: a loop assembled on build one; Ivan runs its first session
    seeder = create_app(
        {**base, "INSTANCE_PATH": str(tmp_path / "seed"), "BANK_PATH": str(bank_one)}
    )
    ids = seed_two_interviewer_loop(seeder, candidate_name="Casey")
    with seeder.app_context():
        first = db.session.get(LoopQuestion, ids["ivan_q"][0])
        edited, build_one = first.question_id, first.snapshot["bank_build"]
        prompt = first.snapshot["body"].split("## Prompt", 1)[1]
        old_words = re.search(r"[A-Za-z][A-Za-z ]{10,}[A-Za-z]", prompt).group()
    bank_two = _bank_two(tmp_path, real_bank, edited)
    # the lead assembles another loop on a node of build two, with the edited question
    newer = create_app(
        {**base, "INSTANCE_PATH": str(tmp_path / "seed2"), "BANK_PATH": str(bank_two)}
    )
    with newer.app_context(), newer.test_request_context():
        lead = db.session.scalar(db.select(User).filter_by(email="lead@example.com"))
        ivan = db.session.scalar(db.select(User).filter_by(email="ivan@example.com"))
        candidate = Candidate(name="Robin", email="r@example.com", role_title="BE", level="mid")
        db.session.add(candidate)
        db.session.flush()
        loop = create_loop(candidate, bankdb.loop_template("backend-mid"), lead, "two")
        session = loop.sessions[0]
        if edited not in {q.question_id for q in session.questions}:
            add(session, edited, lead)
        session.interviewer_id = ivan.id
        db.session.commit()
        build_two, new_session = loop.bank_build, session.id
        db.engine.dispose()
    with seeder.app_context():
        db.engine.dispose()
    assert build_one != build_two

    args = ("--workers", "1", "--threads", "2")
    with ExitStack() as stack:
        a = stack.enter_context(
            _serving(
                tmp_path,
                "a",
                {**base, "INSTANCE_PATH": str(tmp_path / "a"), "BANK_PATH": str(bank_one)},
                *args,
            )
        )
        b = stack.enter_context(
            _serving(
                tmp_path,
                "b",
                {**base, "INSTANCE_PATH": str(tmp_path / "b"), "BANK_PATH": str(bank_two)},
                *args,
            )
        )
        assert json.loads(_get(a, "/healthz")[2])["build_id"] == build_one
        assert json.loads(_get(b, "/healthz")[2])["build_id"] == build_two

        # a sign-in made on A is honoured on B
        ivan = Browser()
        assert ivan.sign_in(a, "ivan@example.com") == 302
        sid = ids["ivan_session"]
        assert ivan.request(b, "GET", f"/kit/{sid}")[0] == 200

        # a note autosaved through A is read through B, and the other way round
        note = {"key": "general", "value": "Typed on node A.", "base": 0, "save_id": "nodeA0001"}
        status, text = ivan.request(a, "POST", f"/kit/{sid}/save", body={"items": [note]})
        assert status == 200 and json.loads(text)["results"][0]["status"] == "saved"
        state = json.loads(ivan.request(b, "GET", f"/kit/{sid}/state")[1])
        assert state["texts"]["general"] == {"value": "Typed on node A.", "version": 1}
        more = {**note, "value": "Typed on node A. Then B.", "base": 1, "save_id": "nodeB0001"}
        assert ivan.request(b, "POST", f"/kit/{sid}/save", body={"items": [more]})[0] == 200
        state = json.loads(ivan.request(a, "GET", f"/kit/{sid}/state")[1])
        assert state["texts"]["general"]["value"] == "Typed on node A. Then B."

        # each node serves the other build's loops as they were asked (their snapshots)
        page = ivan.request(a, "GET", f"/kit/{new_session}")[1]  # build two's loop on A
        assert "Asked from build two." in page
        status, page = ivan.request(b, "GET", f"/kit/{sid}")  # build one's loop on B
        assert status == 200 and "Asked from build two." not in page
        assert old_words in page  # the prompt as build one had it

        # sign-out on B ends the sign-in on both (a copy of the cookie is refused)
        copy = Browser(ivan.cookies)
        ivan.request(b, "POST", "/logout", form={})
        for port in (a, b):
            assert copy.request(port, "GET", f"/kit/{sid}/state")[0] == 401

        # failed sign-ins count across both nodes (3 a minute): the 4th is refused on
        # either, even with the right password
        iris = Browser()
        failures = [iris.sign_in(port, "iris@example.com", "wrong") for port in (a, b, a)]
        assert failures == [401, 401, 401]
        assert iris.sign_in(b, "iris@example.com") == 429
        assert iris.sign_in(a, "iris@example.com") == 429


# -- upgrading the previous release's database -----------------------------------------------

# Alembic head of 0.3.0 (CHANGES.md): the hiring lead's half. 0.4.0 added d7e1f2a3b4c5 on.
RELEASE_0_3_0 = "c4a5b7a24e71"
SNAPSHOT_FIELDS_0_3_0 = (
    "id",
    "title",
    "kind",
    "topic",
    "minutes",
    "competencies",
    "levels",
    "tags",
    "scale",
    "html",
    "body",
    "bank_build",
)


def _fill_release_0_3_0(engine, snapshots: list[dict]) -> dict:
    """Insert a 0.3.0 installation's data with SQL on its own tables; return what was put."""
    from datetime import datetime

    from sqlalchemy import MetaData
    from werkzeug.security import generate_password_hash

    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    when = datetime(2026, 6, 1, 10, 0)

    def put(conn, table, **values):
        return conn.execute(t[table].insert().returning(t[table].c.id), values).scalar_one()

    with engine.begin() as conn:
        password = generate_password_hash(PASSWORD, method=CHEAP_HASH)
        users = {
            role: put(
                conn,
                "users",
                email=f"{role}@example.com",
                name=role.title(),
                role=role,
                password_hash=password,
                active=True,
                created_at=when,
            )
            for role in ("admin", "hiring_lead", "interviewer")
        }
        put(
            conn,
            "login_sessions",
            token_hash="0" * 64,
            user_id=users["interviewer"],
            created_at=when,
            user_agent="Firefox",
        )
        decided = put(
            conn,
            "candidates",
            name="Dana Decided",
            email="dana@example.com",
            role_title="Back-end engineer",
            level="mid",
            status="active",
            created_by_id=users["hiring_lead"],
            created_at=when,
            links=["https://example.com/dana"],
            language="python",
        )
        open_ = put(
            conn,
            "candidates",
            name="Olu Open",
            email="olu@example.com",
            role_title="Back-end engineer",
            level="senior",
            status="active",
            created_by_id=users["hiring_lead"],
            created_at=when,
            links=[],
            language="",
        )
        sessions = {}
        for cand in (decided, open_):
            loop = put(
                conn,
                "loops",
                candidate_id=cand,
                template_id="backend-mid",
                title="Back-end loop",
                level="mid",
                seed="s",
                bank_build="0.3.0-build",
                notes=[],
                created_by_id=users["hiring_lead"],
                created_at=when,
                prep_note=f"Prep note for {cand}.",
            )
            session = put(
                conn,
                "loop_sessions",
                loop_id=loop,
                position=0,
                name="Coding",
                minutes=60,
                competencies=["concurrency"],
                interviewer_id=users["interviewer"],
                notes=[],
                scheduled_at=when,
            )
            lqs = [
                put(
                    conn,
                    "loop_questions",
                    session_id=session,
                    position=i,
                    question_id=s["id"],
                    content_hash=f"hash-{i}",
                    covers=["concurrency"],
                    reason="covers concurrency",
                    snapshot=s,
                    placed_at=when,
                )
                for i, s in enumerate(snapshots)
            ]
            sessions[cand] = (session, lqs)
        # Dana: a submitted scorecard with notes, scores, a rating, an amendment, a decision
        session, lqs = sessions[decided]
        card = put(
            conn,
            "scorecards",
            session_id=session,
            interviewer_id=users["interviewer"],
            status="submitted",
            recommendation="yes",
            started_at=when,
            updated_at=when,
            ratings_submitted_at=when,
            submitted_at=when,
        )
        put(
            conn,
            "kit_texts",
            scorecard_id=card,
            key="general",
            text="Dana reasoned aloud about the lock.",
            version=2,
            updated_at=when,
        )
        put(
            conn,
            "kit_texts",
            scorecard_id=card,
            key=f"notes:{lqs[0]}",
            text="Found the blocking call.",
            version=1,
            updated_at=when,
        )
        for version, text in ((1, "Dana reasoned"), (2, "Dana reasoned aloud about the lock.")):
            put(
                conn,
                "kit_revisions",
                scorecard_id=card,
                key="general",
                version=version,
                text=text,
                save_id=f"save-{version}",
                conflict=False,
                created_at=when,
            )
        put(
            conn,
            "kit_scores",
            scorecard_id=card,
            loop_question_id=lqs[0],
            score=3,
            version=1,
            save_id="score-1",
            updated_at=when,
        )
        put(
            conn,
            "competency_ratings",
            scorecard_id=card,
            competency="concurrency",
            suggested=3,
            score=4,
            reason="Stronger than the question showed.",
            evidence="Evidence: she named the event loop lag metric.",
        )
        put(
            conn,
            "amendments",
            scorecard_id=card,
            actor_id=users["interviewer"],
            at=when,
            reason="Typo in the evidence.",
            changes={"evidence": "fixed"},
        )
        put(
            conn,
            "decisions",
            candidate_id=decided,
            outcome="hire",
            rationale="Strong on concurrency.",
            change_reason="",
            actor_id=users["hiring_lead"],
            at=when,
        )
        put(
            conn,
            "audit_events",
            at=when,
            actor_id=users["hiring_lead"],
            action="decided",
            target_type="candidate",
            target_id=str(decided),
            detail={"outcome": "hire"},
        )
        put(
            conn,
            "reminders_sent",
            session_id=session,
            interviewer_id=users["interviewer"],
            day=when.date(),
            sent_at=when,
        )
        # Olu: a draft with a note in progress
        session, lqs = sessions[open_]
        draft = put(
            conn,
            "scorecards",
            session_id=session,
            interviewer_id=users["interviewer"],
            status="draft",
            started_at=when,
            updated_at=when,
        )
        put(
            conn,
            "kit_texts",
            scorecard_id=draft,
            key="general",
            text="Olu half-way: asked about retries.",
            version=1,
            updated_at=when,
        )
    columns = {name: list(table.c.keys()) for name, table in t.items()}  # after the commit
    return {
        "decided": decided,
        "open": open_,
        "draft_session": sessions[open_][0],
        "rows": all_rows(engine, columns),
        "columns": columns,
    }


def all_rows(engine, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Return every row of each table (these columns only), in id order."""
    from sqlalchemy import MetaData, select

    meta = MetaData()
    meta.reflect(engine, only=list(columns))
    with engine.connect() as conn:
        return {
            name: [
                tuple(row)
                for row in conn.execute(
                    select(*(table.c[c] for c in columns[name])).order_by(*table.primary_key)
                )
            ]
            for name, table in meta.tables.items()
            if name != "alembic_version"
        }


def test_db_upgrade_keeps_a_0_3_0_database_and_serves_it(tmp_path, database_url, real_bank):
    """`interviewkit db upgrade` from 0.3.0's head to this code's: every row is kept, and the
    app signs people in, shows their notes and scorecards, and saves on the old rows."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from interviewkit.bank.reader import BankReader
    from interviewkit.extensions import db
    from interviewkit.maintenance import code_head

    reader = BankReader(real_bank)
    snapshots = []
    for q in reader.bank_questions()[:2]:
        _, snap = reader.snapshot(q.id)
        snapshots.append({k: snap[k] for k in SNAPSHOT_FIELDS_0_3_0})  # 0.3.0 kept no starters

    app = make_app(tmp_path, database_url, BANK_PATH=str(real_bank))
    try:
        with app.app_context():
            drop_everything(db)
            upgrade(revision=RELEASE_0_3_0)
            seeded = _fill_release_0_3_0(db.engine, snapshots)
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            version = db.session.scalar(db.text("SELECT version_num FROM alembic_version"))
            db.session.remove()  # SQLite: its transaction would hold the lock all_rows waits for
            assert version == code_head()
            before = seeded["rows"]
            after = all_rows(db.engine, seeded["columns"])
            for table in before:  # every row and value of 0.3.0's columns, unchanged
                assert after[table] == before[table], table
            assert {"purged_at"} <= {
                c["name"] for c in inspect(db.engine).get_columns("candidates")
            }

        ivan = app.test_client()
        login = {"email": "interviewer@example.com", "password": PASSWORD}
        assert ivan.post("/login", data=login).status_code == 302
        sid = seeded["draft_session"]
        assert ivan.get(f"/kit/{sid}").status_code == 200  # an old snapshot, no starters
        state = ivan.get(f"/kit/{sid}/state").json
        assert state["texts"]["general"] == {
            "value": "Olu half-way: asked about retries.",
            "version": 1,
        }
        more = {
            "key": "general",
            "value": "Olu half-way: asked about retries. Then backoff.",
            "base": 1,
            "save_id": "after-upgrade-1",
        }
        saved = ivan.post(f"/kit/{sid}/save", json={"items": [more]}).json
        assert saved["results"][0]["status"] == "saved"

        lead = app.test_client()
        login = {"email": "hiring_lead@example.com", "password": PASSWORD}
        assert lead.post("/login", data=login).status_code == 302
        page = lead.get(f"/candidates/{seeded['decided']}/debrief").get_data(as_text=True)
        assert "Evidence: she named the event loop lag metric." in page
        assert "Strong on concurrency." in page and "Dana Decided" in page
        assert lead.get(f"/candidates/{seeded['open']}").status_code == 200
    finally:
        with app.app_context():
            drop_everything(db)  # leave no alembic_version behind for the next test here
            db.engine.dispose()

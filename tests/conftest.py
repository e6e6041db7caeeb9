"""Shared fixtures: a small content root on disk, an app on a temporary instance."""

from __future__ import annotations

import os
import shutil
import textwrap
import uuid
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest

from interviewkit import create_app

PROJECT = Path(__file__).resolve().parent.parent

QUESTION = """\
---
id: {id}
title: {title}
kind: conceptual
competencies: [concurrency]
levels: [mid, senior]
minutes: 15
scale: four-point
tags: [async]
---

## Prompt

{prompt}

## Probes

- What changes when the work is CPU-bound?
- How do you confirm the cause in production?
- What would you monitor afterwards?

## Scoring guide

### 1
Cannot say what an event loop is.

### 2
Knows the words but not why one slow call delays the others.

### 3
Explains that a blocking call holds the loop and moves it to a thread pool.

### 4
Adds both loop-lag metrics and a bound on the pool.

## Bar by level

- **mid:** Explains the cause and a fix.
- **senior:** Also proves it and prevents the next one.

## Red flags

- Adds servers without finding the cause.
"""

PROMPTS = [
    "Explain why one slow blocking call in an async handler slows every request.",
    "A checkout service retries payments on timeout and customers get charged twice today.",
    "Design a schema for library loans where members borrow copies of books.",
    "Why does a composite index on status and created_at help this dashboard query?",
]


def question_text(qid: str, prompt: str | None = None, **fields) -> str:
    """Return a valid question file; `fields` replace front matter lines (None removes one)."""
    text = QUESTION.format(id=qid, title=f"Question {qid}", prompt=prompt or PROMPTS[0])
    for name, value in fields.items():
        lines = text.split("\n")
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
        if value is None:
            del lines[index]
        else:
            lines[index] = f"{name}: {value}"
        text = "\n".join(lines)
    return text


def write_question(root: Path, qid: str, topic: str = "concurrency", **kwargs) -> Path:
    """Write a valid question file into a content root and return its path."""
    path = root / "questions" / topic / f"{qid}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(question_text(qid, **kwargs), encoding="utf-8")
    return path


def dedent(text: str) -> str:
    """Dedent a test's inline file text."""
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def content_root(tmp_path) -> Path:
    """Return a content root with the shipped rubrics and four distinct valid questions."""
    root = tmp_path / "content"
    shutil.copytree(PROJECT / "rubrics", root / "rubrics")
    for i, prompt in enumerate(PROMPTS):
        write_question(root, f"sample-{i + 1}", prompt=prompt)
    return root


@pytest.fixture
def app(tmp_path, content_root, database_url):
    """Return an app on a temporary instance, content root and empty app database."""
    return make_app(tmp_path, database_url, CONTENT_ROOTS=[str(content_root)])


@pytest.fixture
def client(app):
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner bound to the app."""
    return app.test_cli_runner()


# -- the app database: every app test runs on SQLite and on PostgreSQL ----------------------

PG_ADMIN_URL = os.environ.get(
    "INTERVIEWKIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct horse battery staple"
_pg_status: dict = {}


def _pg_admin_connect():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_url():
    """Create a throwaway PostgreSQL database for this run; drop it at the end."""
    try:
        conn = _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        _pg_status["skipped"] = f"{PG_ADMIN_URL}: {exc}".splitlines()[0]
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI and is not reachable: {exc}")
        pytest.skip("PostgreSQL not reachable: running the SQLite half only")
    name = f"ik_test_{uuid.uuid4().hex[:10]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A throwaway database need not wait for each commit to reach the disk: a crash
        # loses nothing a test needs. (The app's own databases keep PostgreSQL's default.)
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    _pg_status["database"] = name
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url.replace("postgresql://", "postgresql+psycopg://", 1)
    with _pg_admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_sessionfinish(session):
    """In an xdist worker, hand this worker's PostgreSQL status to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["ik_pg_status"] = dict(_pg_status)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In the xdist controller, gather each worker's PostgreSQL status for the summary."""
    status = getattr(node, "workeroutput", {}).get("ik_pg_status") or {}
    if "skipped" in status:
        _pg_status.setdefault("skipped", status["skipped"])
    if "database" in status:
        names = [n for n in (_pg_status.get("database"), status["database"]) if n]
        _pg_status["database"] = ", ".join(names)


def pytest_terminal_summary(terminalreporter):
    """Say which databases the app tests ran on."""
    if "skipped" in _pg_status:
        terminalreporter.write_line(
            f"PostgreSQL NOT tested ({_pg_status['skipped']}): only the SQLite half ran. "
            "Start PostgreSQL on 127.0.0.1:5432 (user postgres) to run both.",
            yellow=True,
        )
    elif "database" in _pg_status:
        terminalreporter.write_line(
            "App tests ran on SQLite and on PostgreSQL "
            f"(throwaway databases: {_pg_status['database']})."
        )


REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    """Return the local Redis's URL; skip the test without one (fail it under CI=true)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI and is not reachable: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Yield the URL of an empty app database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def real_bank(tmp_path_factory) -> Path:
    """Build the shipped question bank once per run (read-only for tests)."""
    from interviewkit.bank.writer import load

    path = tmp_path_factory.mktemp("bank") / "bank.db"
    load([PROJECT], path)
    return path


def make_app(tmp_path, database_url, **config):
    """Create an app on a temporary instance with an empty app database."""
    from interviewkit.extensions import db

    instance = tmp_path / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    settings = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "BANK_PATH": str(instance / "bank.db"),
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,  # turned off explicitly; tests/test_csrf.py keeps it on
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # still scrypt, cheaper to run hundreds of times
        **config,
    }
    app = create_app(settings)
    # every test builds its own app; compiling each template once per run, not per app,
    # saves about 15 ms per test
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    with app.app_context():
        empty_tables(db)
    return app


class _SharedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the whole run, shared by every test's app.

    Jinja checks each entry against the template source's checksum, so an edited
    template is compiled again.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _SharedBytecodeCache()


# PostgreSQL URLs whose app tables this run has created; a test that drops them says so
_schema_ready: set[str] = set()


def empty_tables(db) -> None:
    """Give a test the app's tables, empty, with ids counting from 1 again.

    SQLite: a new file per test, so the tables are created. PostgreSQL: one database for
    the whole run, whose tables are created by the first test and emptied for each later
    one (a DELETE per table and sequence restarts, in one round trip: about 20 ms, where
    dropping and creating every table took about 180 ms per test).
    """
    url = str(db.engine.url)
    if db.engine.dialect.name != "postgresql" or url not in _schema_ready:
        db.drop_all(bind_key=None)
        db.create_all(bind_key=None)
        if db.engine.dialect.name == "postgresql":
            _schema_ready.add(url)
        return
    with db.engine.begin() as conn:
        sequences = conn.exec_driver_sql(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
        ).scalars()
        tables = reversed(db.metadata.sorted_tables)  # children first
        statements = [f'DELETE FROM "{t.name}"' for t in tables]  # noqa: S608 - our tables
        statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
        conn.exec_driver_sql(";\n".join(statements))


def routes_of(app, *, api: bool) -> set[tuple[str, str]]:
    """Return (endpoint, method) of every API route (api=True) or every page route."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") == api
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def app_with_bank(tmp_path, database_url, real_bank, **config):
    """Return an app reading its own copy of the shipped bank."""
    bank = tmp_path / "bank.db"
    shutil.copy(real_bank, bank)
    return make_app(tmp_path, database_url, BANK_PATH=str(bank), **config)


def app_with_mail(tmp_path, database_url, real_bank, smtp_port, public_url, **config):
    """Return an app on the shipped bank that sends mail to the local SMTP server's port."""
    return app_with_bank(
        tmp_path,
        database_url,
        real_bank,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_port,
        PUBLIC_URL=public_url,
        **{"MAIL_FROM": "hiring@example.com", **config},
    )


def seed_two_interviewer_loop(app, candidate_name="Sam Rivera", seed="kit"):
    """Create a lead, Ivan and Iris, and a mid-level loop whose first two sessions the
    interviewers run; return the ids the tests need."""
    from interviewkit.extensions import bank as bankdb
    from interviewkit.extensions import db
    from interviewkit.loops.service import create_loop
    from interviewkit.models import Candidate
    from interviewkit.users import create_user

    with app.app_context(), app.test_request_context():
        lead = create_user("lead@example.com", "Lee Lead", "hiring_lead", PASSWORD)
        ivan = create_user("ivan@example.com", "Ivan Interviewer", "interviewer", PASSWORD)
        iris = create_user("iris@example.com", "Iris Interviewer", "interviewer", PASSWORD)
        candidate = Candidate(
            name=candidate_name,
            email="candidate@example.com",
            role_title="Back-end engineer",
            level="mid",
        )
        db.session.add(candidate)
        db.session.flush()
        loop = create_loop(candidate, bankdb.loop_template("backend-mid"), lead, seed)
        loop.sessions[0].interviewer_id = ivan.id
        loop.sessions[1].interviewer_id = iris.id
        db.session.commit()
        return {
            "candidate": candidate.id,
            "ivan_session": loop.sessions[0].id,
            "iris_session": loop.sessions[1].id,
            "ivan_q": [q.id for q in loop.sessions[0].questions],
            "iris_q": [q.id for q in loop.sessions[1].questions],
            "ivan_comps": loop.sessions[0].competencies,
        }


def submit_scorecard(
    app, session_id, email, scores, recommendation="yes", full=True, question_score=None, **times
):
    """Submit `email`'s scorecard for a session through the kit's own rules.

    scores: competency -> 1..4 for every competency of the session. With `full`, the
    evidence is written and submitted too (status "submitted"); otherwise only the
    ratings are ("ratings_submitted"). `question_score` scores every question of the
    session first. `times` sets started_at / submitted_at if given. Returns the card id.
    """
    from interviewkit.extensions import db
    from interviewkit.kit import service
    from interviewkit.models import KitText, LoopSession, User

    with app.app_context():
        session = db.session.get(LoopSession, session_id)
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        card = service.scorecard_for(session, user)
        if question_score is not None:
            for q in session.questions:
                service.save_score(card, q.id, question_score, 0, f"seed-{q.id}-{card.id}")
        reasons = {c: "The questions did not show the whole picture here." for c in scores}
        errors = service.submit_ratings(card, scores, reasons, recommendation)
        assert not errors, errors
        if full:
            for comp in scores:
                card.texts.append(
                    KitText(key=f"evidence:{comp}", text=f"Evidence on {comp} from {user.name}.")
                )
            db.session.flush()
            errors = service.submit_evidence(card)
            assert not errors, errors
        for name, value in times.items():
            setattr(card, name, value)
        db.session.commit()
        return card.id


_seq = count(1)


def add_scored_panel(app, decision=None, cards=(), level="mid", role="Back-end engineer"):
    """Add a candidate whose scorecards are all submitted; return the candidate id.

    cards: (interviewer name, {competency: score}, recommendation, [(question, hash, score)])
    Each card is its own session of one loop, so one interviewer may appear twice.
    """
    from interviewkit.extensions import db
    from interviewkit.models import (
        Candidate,
        CompetencyRating,
        Decision,
        KitScore,
        Loop,
        LoopQuestion,
        LoopSession,
        Scorecard,
        User,
        utcnow,
    )
    from interviewkit.users import create_user

    with app.app_context():
        n = next(_seq)
        candidate = Candidate(
            name=f"Candidate {n}", email=f"c{n}@example.com", role_title=role, level=level
        )
        db.session.add(candidate)
        loop = Loop(candidate=candidate, template_id="t", title="Loop", level=level, seed="s")
        db.session.add(loop)
        for position, (name, scores, rec, questions) in enumerate(cards):
            email = name.lower() + "@example.com"
            user = db.session.scalar(db.select(User).filter_by(email=email)) or create_user(
                email, name, "interviewer", PASSWORD
            )
            session = LoopSession(
                loop=loop,
                position=position,
                name=f"Session {position + 1}",
                minutes=60,
                competencies=list(scores),
                interviewer_id=user.id,
            )
            db.session.add(session)
            card = Scorecard(
                session=session,
                interviewer_id=user.id,
                status="submitted",
                recommendation=rec,
                ratings_submitted_at=utcnow(),
                submitted_at=utcnow(),
            )
            card.ratings = [
                CompetencyRating(competency=c, score=s, evidence="seen") for c, s in scores.items()
            ]
            for qpos, (qid, chash, score) in enumerate(questions):
                lq = LoopQuestion(
                    position=qpos,
                    question_id=qid,
                    content_hash=chash,
                    snapshot={"title": f"Title of {qid} {chash}", "minutes": 10},
                )
                session.questions.append(lq)
                db.session.flush()
                card.scores.append(KitScore(loop_question_id=lq.id, score=score))
            db.session.add(card)
        if decision:
            candidate.decisions.append(
                Decision(outcome=decision, rationale="Because of the panel.")
            )
        db.session.commit()
        return candidate.id


def seed_one_user_per_role(app, roles=("interviewer", "hiring_lead", "admin")):
    """Create `<role>@example.com` per role, a mid candidate and a loop whose first session
    the interviewer runs; return the ids the route tests need."""
    from interviewkit.extensions import bank as bankdb
    from interviewkit.extensions import db
    from interviewkit.loops.service import create_loop
    from interviewkit.models import Candidate, User
    from interviewkit.users import create_user

    with app.app_context():
        for role in roles:
            create_user(f"{role}@example.com", role, role, PASSWORD)
        lead = db.session.execute(db.select(User).filter_by(role="hiring_lead")).scalar_one()
        candidate = Candidate(name="C", email="c@example.com", role_title="BE", level="mid")
        db.session.add(candidate)
        db.session.flush()
        with app.test_request_context():
            loop = create_loop(candidate, bankdb.loop_template("backend-mid"), lead, "seed")
        interviewer = db.session.execute(db.select(User).filter_by(role="interviewer")).scalar_one()
        loop.sessions[0].interviewer_id = interviewer.id
        db.session.commit()
        session = loop.sessions[0]
        return {
            "candidate": candidate.id,
            "loop": loop.id,
            "session": session.id,
            "lqs": [q.id for q in session.questions],
            "user": lead.id,
            "question": session.questions[0].question_id,
        }


def empty_app(tmp_path, database_url):
    """Return an app whose database has no tables at all (not even alembic_version)."""
    from interviewkit.extensions import db

    app = create_app({"INSTANCE_PATH": str(tmp_path / "empty"), "DATABASE_URL": database_url})
    with app.app_context():
        drop_everything(db)
    return app


def drop_everything(db):
    """Drop the app's tables and Alembic's version table."""
    _schema_ready.discard(str(db.engine.url))
    db.drop_all(bind_key=None)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


class AuthActions:
    """Sign in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, email, password=PASSWORD, next_url=None):
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return self._client.post(url, data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


USERS = {
    "admin": ("admin@example.com", "Ada Admin"),
    "hiring_lead": ("lead@example.com", "Lee Lead"),
    "interviewer": ("ivan@example.com", "Ivan Interviewer"),
    "interviewer2": ("iris@example.com", "Iris Interviewer"),
}


@pytest.fixture
def users(app):
    """Create one user per role (and a second interviewer); return role -> email."""
    from interviewkit.users import create_user

    with app.app_context():
        for role, (email, name) in USERS.items():
            create_user(email, name, role.rstrip("2"), PASSWORD)
    return {role: email for role, (email, _) in USERS.items()}


@pytest.fixture
def auth(client):
    """Return sign-in helpers for the test client."""
    return AuthActions(client)


@pytest.fixture
def smtp_server():
    """Run a real SMTP server (aiosmtpd) on 127.0.0.1; yield (port, received messages)."""
    import email
    import socket

    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


@contextmanager
def served_app(config: dict):
    """Serve create_app(config) with `interviewkit serve`'s gunicorn settings (one worker)
    on a free port; yield the port once it answers, stop the server after."""
    import http.client
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = (
        "from interviewkit import create_app\n"
        "from interviewkit.server import _Server, gunicorn_options\n"
        f"app = create_app({config!r})\n"
        "class Server(_Server):\n"
        "    def load(self):\n"
        "        return app\n"
        f"Server({{**gunicorn_options('127.0.0.1', {port}, 1), 'accesslog': None}}).run()\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)

"""Benchmark the hiring lead's pages (debrief, numbers, role exports) on a database at volume.

It measures what a hiring lead feels once the app holds a year of interviewing: how long
a debrief, the calibration, question and coverage pages and a role's export take when
the database holds thousands of candidates and ten thousand submitted scorecards.

How it runs:

1. The shipped question bank is built once (`interviewkit.bank.writer.load`) into a
   temporary folder; its loop templates give the sessions and competencies of every loop
   and its questions (with their real snapshots, `BankReader.snapshot`) fill the sessions.
2. A fresh app database (SQLite in WAL, or a throwaway PostgreSQL database
   `ik_bench_<random>`), migrated with the app's own migrations, gets a hiring lead and
   40 interviewers made with `create_user`, then `--candidates` candidates (default 2,000)
   with one five-session loop each (10,000 sessions), 2-3 questions per session, a
   submitted scorecard per session (ratings per competency with ~200 characters of
   evidence, question scores, notes, a recommendation), and a decision for about 70% of
   the candidates. All of it is inserted with SQLAlchemy Core `insert()` executemany in
   big batches in one transaction; the time it takes is printed.
3. The numbers follow a model, so the statistics pages have something real to find:
   every candidate has a latent ability (and a per-competency offset); every interviewer
   a bias (three harsh at -0.7, three lenient at +0.7, the rest near 0) and their own
   noise; a score is clamp(round(ability + bias + noise), 1, 4). Recommendations follow
   the interviewer's own scores, decisions the panel's mean. Some questions are too hard
   (most answers score 1) and some are pure noise (their scores predict nothing).
4. A real server starts: gunicorn with the app factory and 2 sync workers (as `interviewkit
   serve`), on 127.0.0.1 and a free port, configured through `interviewkit:create_app({...})`
   so the instance folder is the temporary one. A hiring lead signs in through the login
   form, then every page is requested 2 times to warm up and `--requests` times (default
   20) measured, one request at a time. Latency runs from sending the request to having
   read the whole response, connecting included. Every answer must be 200 and hold what
   the page is for (the debrief the candidate's name, a role export over 100 lines, ...).
   The app remembers the calibration and question numbers until the data changes, so
   `calibration-new` and `questions-new` time the same pages with one submitted
   scorecard touched before each request (not timed): the first view after a change.
5. `--profile PAGE` skips the server: it runs the page in this process through Flask's
   test client under cProfile, prints the top 25 functions by cumulative time and the
   SQL statements that took the most time.

Targets per page: median under 200 ms and worst under 500 ms.

Usage (about 1.5 minutes for both databases with the defaults; the server, the temp folder
and the PostgreSQL database are always removed, unless `--keep`):

    .venv/bin/python bench/analytics.py                          # SQLite, 2,000 candidates
    .venv/bin/python bench/analytics.py --database both
    .venv/bin/python bench/analytics.py --candidates 300 --requests 5 --database both
    .venv/bin/python bench/analytics.py --profile export-csv --database postgresql
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import html
import http.client
import io
import json
import math
import os
import pstats
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from autosave import (  # noqa: E402 - the sibling benchmark's HTTP client and server helpers
    HASH_METHOD,
    PASSWORD,
    BenchError,
    Client,
    error_message,
    find_csrf,
    free_port,
    gunicorn_command,
    percentile,
    server_problems,
    snippet,
    stop_server,
    wait_until_up,
)

MEDIAN_TARGET_MS = 200.0
WORST_TARGET_MS = 500.0
WARMUPS = 2
MIN_REQUESTS = 3  # measured requests of a page, even past --page-seconds
REQUEST_TIMEOUT = 300.0  # a slow export must be measured, not cut off
SERVER_TIMEOUT = 300  # gunicorn's worker timeout, for the same reason
INTERVIEWERS = 40
SESSIONS_PER_LOOP = 5
DECIDED_SHARE = 0.7
BATCH = 5000  # rows per executemany
SNAPSHOT_BATCH = 1000  # loop questions carry a ~9 kB snapshot each
LEAD_EMAIL = "lead@example.com"
PG_ADMIN_URL = os.environ.get(
    "INTERVIEWKIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)

# role, level, loop template (its sessions and competencies), share of the candidates.
# Platform engineers run the back-end templates' sessions under their own role title.
ROLES = (
    ("Back-end engineer", "mid", "backend-mid", 0.35),
    ("Back-end engineer", "senior", "backend-senior", 0.30),
    ("Platform engineer", "senior", "backend-senior", 0.20),
    ("Platform engineer", "mid", "backend-mid", 0.15),
)
EXPORT_QUERY = urlencode({"role": "Back-end engineer", "level": "senior"})

FIRST = (
    "Aisha Ana Ben Carla Chen Dara Diego Elena Emeka Farah Felix Grace Hana Hugo Ines Ivan "
    "Jonas Julia Kenji Lara Leo Lina Marco Maya Mei Nadia Nico Noor Omar Priya Rafael Rosa "
    "Sam Sara Tariq Tomas Uma Vera Wei Yara Zoe"
).split()
LAST = (
    "Abbott Adeyemi Bauer Costa Dubois Eriksen Fischer Garcia Haddad Ivanova Jensen Kato "
    "Kowalski Lindqvist Moreau Nakamura Novak Okafor Patel Quinn Rossi Santos Schmidt Silva "
    "Tanaka Torres Usman Varga Weber Xu Yilmaz Zhang"
).split()
WORDS = (
    "cache index queue shard replica lock thread socket timeout retry token schema request "
    "latency throughput worker pool session cursor batch partition leader quorum backoff "
    "idempotency migration rollback deadlock invariant trade-off metric alert rollout "
    "consistency isolation contract pagination outage runbook review refactor fixture"
).split()
OPENERS = (
    "Explained",
    "Walked through",
    "Asked good questions about",
    "Struggled with",
    "Proposed",
    "Compared",
    "Was unsure about",
    "Drew a clear diagram of",
    "Needed a hint on",
    "Quantified",
)


def words(rng: random.Random, chars: int) -> str:
    """Return interviewer-like sentences of about `chars` characters."""
    out: list[str] = []
    length = 0
    while length < chars:
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12)))
        sentence = f"{rng.choice(OPENERS)} {body}."
        out.append(sentence)
        length += len(sentence) + 1
    return " ".join(out)


def clamp_score(value: float) -> int:
    """Return a 1-4 score from a latent value."""
    return max(1, min(4, round(value)))


# -- the question bank and the people ----------------------------------------------------------


@dataclass
class BankQuestion:
    """A bank question as the fill uses it: what it covers, its snapshot and its behaviour."""

    id: str
    competencies: tuple[str, ...]
    levels: tuple[str, ...]
    content_hash: str
    snapshot: dict
    kind: str  # "normal", "hard" (floor: most answers score 1) or "noise" (predicts nothing)
    difficulty: float
    old_hash: str | None = None  # an earlier version of the text, asked in older loops
    old_snapshot: dict | None = None


@dataclass
class Bank:
    """The shipped bank, read once: templates by id and questions with their snapshots."""

    path: Path
    build_id: str
    templates: dict[str, dict]
    questions: list[BankQuestion]
    titles: dict[str, str]  # competency id -> title
    seconds: float


def build_bank(folder: Path, seed: int) -> Bank:
    """Build the shipped bank into `folder` and read its templates and question snapshots."""
    from interviewkit import create_app
    from interviewkit.bank.writer import load
    from interviewkit.extensions import bank as bankdb

    began = time.perf_counter()
    path = folder / "bank.db"
    result = load([PROJECT], path)
    if not result.ok:
        raise BenchError(f"the shipped bank does not load: {result.blocking[:3]}")
    app = create_app(
        {
            "INSTANCE_PATH": str(folder / "bank-instance"),
            "DATABASE_URL": f"sqlite:///{folder / 'bank-scratch.db'}",
            "BANK_PATH": str(path),
        }
    )
    rng = random.Random(seed * 7919)
    with app.app_context():
        build = bankdb.build_id()
        templates = {t["id"]: t for t in bankdb.loop_templates()}
        titles = bankdb.competency_titles()
        questions = []
        for q in sorted(bankdb.bank_questions(), key=lambda q: q.id):
            if q.retired:
                continue
            content_hash, snap = bankdb.snapshot(q.id, build)
            draw = rng.random()
            kind = "hard" if draw < 0.08 else "noise" if draw < 0.16 else "normal"
            difficulty = -1.6 if kind == "hard" else rng.gauss(0.0, 0.3)
            bq = BankQuestion(q.id, q.competencies, q.levels, content_hash, snap, kind, difficulty)
            if rng.random() < 0.1:  # the text changed once: older loops asked the old one
                bq.old_hash = uuid.UUID(int=rng.getrandbits(128)).hex * 2
                bq.old_snapshot = {**snap, "title": snap["title"] + " (earlier wording)"}
            questions.append(bq)
    for _, _, template_id, _ in ROLES:
        if template_id not in templates:
            raise BenchError(f"the shipped bank has no loop template {template_id!r}")
    return Bank(path, build, templates, questions, titles, time.perf_counter() - began)


@dataclass
class Interviewer:
    """A simulated interviewer: their account, how they score and how fast they write up."""

    id: int
    name: str
    bias: float
    noise: float
    hours: float  # median hours from the interview to the submitted scorecard
    kind: str  # harsh, lenient or calibrated


def make_interviewers(rng: random.Random) -> list[tuple[str, str, float, float, float, str]]:
    """Return (email, name, bias, noise, hours, kind) for the interviewers, traits mixed."""
    kinds = ["harsh"] * 3 + ["lenient"] * 3 + ["calibrated"] * (INTERVIEWERS - 6)
    rng.shuffle(kinds)
    names = rng.sample([f"{f} {lst}" for f in FIRST for lst in LAST], INTERVIEWERS)
    out = []
    for index, (kind, name) in enumerate(zip(kinds, names, strict=True)):
        bias = {"harsh": -0.7, "lenient": 0.7}.get(kind, rng.gauss(0.0, 0.12))
        noise = rng.uniform(0.3, 0.65)
        hours = rng.choice([2.0, 4.0, 8.0, 16.0, 24.0, 36.0])
        email = f"interviewer{index:02d}@example.com"
        out.append((email, name, bias, noise, hours, kind))
    return out


# -- generating the rows -----------------------------------------------------------------------


@dataclass
class Rows:
    """Every row the fill inserts, table by table, and what the checks need to know."""

    tables: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    names: dict[int, str] = field(default_factory=dict)  # candidate id -> name
    export_candidates: int = 0  # candidates the measured role export holds

    def count(self) -> int:
        """Return the number of rows in all."""
        return sum(len(rows) for rows in self.tables.values())


def generate(
    candidates: int,
    bank: Bank,
    interviewers: list[Interviewer],
    lead_id: int,
    rng: random.Random,
    now: datetime,
) -> Rows:
    """Return the rows of `candidates` candidates with one loop each, all scorecards in."""
    rows = Rows()
    t = rows.tables
    ids = defaultdict(int)

    def next_id(table: str) -> int:
        ids[table] += 1
        return ids[table]

    shares = [share for *_, share in ROLES]
    for _ in range(candidates):
        role, level, template_id, _share = rng.choices(ROLES, weights=shares)[0]
        template = bank.templates[template_id]
        cid = next_id("candidates")
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        rows.names[cid] = name
        if (role, level) == ("Back-end engineer", "senior"):
            rows.export_candidates += 1
        created = now - timedelta(days=rng.uniform(20, 400), minutes=rng.uniform(0, 600))
        ability = rng.gauss(2.55, 0.65)
        comp_offset: dict[str, float] = defaultdict(lambda: rng.gauss(0.0, 0.35))
        links = [f"https://cv.example.com/{cid}"] if rng.random() < 0.6 else []
        candidate = {
            "id": cid,
            "name": name,
            "email": f"candidate{cid}@example.com",
            "role_title": role,
            "level": level,
            "status": "active",
            "links": links,
            "language": rng.choice(["", "Python", "Go", "Java", "TypeScript"]),
            "created_by_id": lead_id,
            "created_at": created,
        }
        t["candidates"].append(candidate)
        loop_id = next_id("loops")
        loop_created = created + timedelta(hours=rng.uniform(2, 72))
        t["loops"].append(
            {
                "id": loop_id,
                "candidate_id": cid,
                "template_id": template_id,
                "title": f"{role}, {level}",
                "level": level,
                "seed": uuid.UUID(int=rng.getrandbits(128)).hex,
                "bank_build": bank.build_id,
                "notes": [],
                "prep_note": words(rng, 120) if rng.random() < 0.3 else "",
                "created_by_id": lead_id,
                "created_at": loop_created,
            }
        )
        old_text = (now - loop_created).days > 200  # changed questions: older loops, old text
        panel = rng.sample(interviewers, SESSIONS_PER_LOOP)
        screen_day = loop_created + timedelta(days=rng.uniform(2, 6))
        onsite_day = screen_day + timedelta(days=rng.uniform(3, 8))
        used: set[str] = set()
        panel_scores: list[int] = []
        last_submit = loop_created
        sessions = template["sessions"][:SESSIONS_PER_LOOP]
        for position, (shape, person) in enumerate(zip(sessions, panel, strict=False)):
            comps = list(shape["competencies"])
            sid = next_id("loop_sessions")
            if position == 0:
                scheduled = screen_day.replace(minute=0, second=0, microsecond=0)
            else:
                scheduled = onsite_day.replace(minute=0, second=0, microsecond=0) + timedelta(
                    hours=position
                )
            t["loop_sessions"].append(
                {
                    "id": sid,
                    "loop_id": loop_id,
                    "position": position,
                    "name": shape["name"],
                    "minutes": shape["minutes"],
                    "competencies": comps,
                    "interviewer_id": person.id,
                    "notes": [],
                    "scheduled_at": scheduled,
                }
            )
            pool = [
                q
                for q in bank.questions
                if level in q.levels and set(q.competencies) & set(comps) and q.id not in used
            ] or [q for q in bank.questions if set(q.competencies) & set(comps)]
            picked = rng.sample(pool, min(len(pool), rng.choice((2, 2, 3))))
            started = scheduled + timedelta(minutes=rng.uniform(-3, 8))
            ended = started + timedelta(minutes=shape["minutes"])
            submitted = ended + timedelta(hours=rng.lognormvariate(math.log(person.hours), 0.7))
            ratings_in = ended + (submitted - ended) * rng.uniform(0.3, 0.95)
            last_submit = max(last_submit, submitted)
            card_id = next_id("scorecards")
            question_scores: dict[str, list[int]] = defaultdict(list)
            texts = [
                {
                    "scorecard_id": card_id,
                    "key": "general",
                    "text": words(rng, rng.randint(300, 900)),
                    "version": rng.randint(8, 60),
                    "updated_at": ended,
                }
            ]
            for qpos, q in enumerate(picked):
                used.add(q.id)
                covers = [c for c in q.competencies if c in comps]
                lqid = next_id("loop_questions")
                old = old_text and q.old_hash is not None
                t["loop_questions"].append(
                    {
                        "id": lqid,
                        "session_id": sid,
                        "position": qpos,
                        "question_id": q.id,
                        "content_hash": q.old_hash if old else q.content_hash,
                        "covers": covers,
                        "reason": f"covers {', '.join(covers)} at {level} level",
                        "snapshot": q.old_snapshot if old else q.snapshot,
                        "placed_at": loop_created,
                    }
                )
                if rng.random() < 0.06:
                    score = 0  # not asked: the time ran out
                elif q.kind == "noise":
                    score = rng.randint(1, 4)
                else:
                    latent = ability + sum(comp_offset[c] for c in covers) / max(len(covers), 1)
                    score = clamp_score(
                        latent + person.bias + q.difficulty + rng.gauss(0, person.noise + 0.15)
                    )
                t["kit_scores"].append(
                    {
                        "scorecard_id": card_id,
                        "loop_question_id": lqid,
                        "score": score,
                        "version": rng.randint(1, 3),
                        "save_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                        "updated_at": ended,
                    }
                )
                if score:
                    for c in covers:
                        question_scores[c].append(score)
                    texts.append(
                        {
                            "scorecard_id": card_id,
                            "key": f"notes:{lqid}",
                            "text": words(rng, rng.randint(80, 260)),
                            "version": rng.randint(2, 20),
                            "updated_at": ended,
                        }
                    )
            own: list[int] = []
            for comp in comps:
                score = clamp_score(
                    ability + comp_offset[comp] + person.bias + rng.gauss(0, person.noise)
                )
                values = question_scores.get(comp)
                suggested = int(sum(values) / len(values) + 0.5) if values else None
                evidence = words(rng, rng.randint(170, 230))
                t["competency_ratings"].append(
                    {
                        "scorecard_id": card_id,
                        "competency": comp,
                        "suggested": suggested,
                        "score": score,
                        "reason": (
                            "The questions did not show the whole picture here."
                            if suggested is not None and suggested != score
                            else ""
                        ),
                        "evidence": evidence,
                    }
                )
                texts.append(
                    {
                        "scorecard_id": card_id,
                        "key": f"evidence:{comp}",
                        "text": evidence,
                        "version": rng.randint(2, 15),
                        "updated_at": submitted,
                    }
                )
                own.append(score)
            panel_scores.extend(own)
            view = sum(own) / len(own) + rng.gauss(0, 0.25)
            recommendation = (
                "strong_no"
                if view < 1.8
                else "no"
                if view < 2.5
                else "yes"
                if view < 3.2
                else "strong_yes"
            )
            t["scorecards"].append(
                {
                    "id": card_id,
                    "session_id": sid,
                    "interviewer_id": person.id,
                    "status": "submitted",
                    "recommendation": recommendation,
                    "started_at": started,
                    "updated_at": submitted,
                    "ratings_submitted_at": ratings_in,
                    "submitted_at": submitted,
                }
            )
            t["kit_texts"].extend(texts)
            if rng.random() < 0.015:
                t["amendments"].append(
                    {
                        "scorecard_id": card_id,
                        "actor_id": person.id,
                        "at": submitted + timedelta(hours=rng.uniform(1, 48)),
                        "reason": "Mixed up two candidates' notes; corrected the evidence.",
                        "changes": {f"evidence:{comps[0]}": ["(earlier text)", "(corrected)"]},
                    }
                )
        if rng.random() < DECIDED_SHARE:
            mean = sum(panel_scores) / len(panel_scores) + rng.gauss(0, 0.1)
            side = "hire" if mean >= 2.55 else "no_hire"
            outcome = side
            if 2.4 <= mean < 2.7 and rng.random() < 0.4:
                outcome = "another_loop"
            at = min(now - timedelta(minutes=5), last_submit + timedelta(hours=rng.uniform(2, 96)))
            changed = rng.random() < 0.05  # first another loop, then the final word
            if changed:
                t["decisions"].append(
                    {
                        "candidate_id": cid,
                        "outcome": "another_loop",
                        "rationale": "The panel was split on system design: one more session.",
                        "change_reason": "",
                        "actor_id": lead_id,
                        "at": at - timedelta(minutes=30),
                    }
                )
                outcome = side
            t["decisions"].append(
                {
                    "candidate_id": cid,
                    "outcome": outcome,
                    "rationale": words(rng, 140),
                    "change_reason": "Another session settled it." if changed else "",
                    "actor_id": lead_id,
                    "at": at,
                }
            )
            candidate["status"] = {"hire": "hired", "no_hire": "rejected"}.get(outcome, "active")
        elif rng.random() < 0.05:
            candidate["status"] = "withdrawn"
    return rows


# -- the databases -----------------------------------------------------------------------------


@dataclass
class Target:
    """One app database the benchmark fills and serves: SQLite file or PostgreSQL database."""

    kind: str  # "sqlite" or "postgresql"
    folder: Path  # instance, logs (and the SQLite file)
    url: str
    pg_name: str | None = None
    rows: Rows | None = None
    admin_url: str = PG_ADMIN_URL  # the PostgreSQL server the throwaway database lives on
    fill_seconds: float = 0.0

    def config(self, bank: Bank) -> dict:
        """Return the app configuration the fill, the server and the profile share."""
        return {
            "INSTANCE_PATH": str(self.folder / "instance"),
            "DATABASE_URL": self.url,
            "BANK_PATH": str(bank.path),
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT": "10000 per minute",
        }


def _pg_admin(admin_url: str = PG_ADMIN_URL):
    import psycopg

    return psycopg.connect(admin_url, autocommit=True, connect_timeout=5)


def make_target(
    kind: str, tmp: Path, admin_url: str = PG_ADMIN_URL, prefix: str = "ik_bench_"
) -> Target:
    """Create an empty database of `kind` (a throwaway one `<prefix><random>` on PostgreSQL)."""
    folder = tmp / kind
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        return Target(kind, folder, f"sqlite:///{folder / 'app.db'}")
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    try:
        with _pg_admin(admin_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        raise BenchError(f"PostgreSQL at {admin_url} is not usable: {exc}") from exc
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return Target(kind, folder, url, name, admin_url=admin_url)


def drop_target(target: Target) -> None:
    """Drop a throwaway PostgreSQL database (SQLite files go with the temp folder)."""
    if target.pg_name:
        with _pg_admin(target.admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target.pg_name}" WITH (FORCE)')


FILL_ORDER = (
    ("candidates", BATCH),
    ("loops", BATCH),
    ("loop_sessions", BATCH),
    ("loop_questions", SNAPSHOT_BATCH),
    ("scorecards", BATCH),
    ("competency_ratings", BATCH),
    ("kit_scores", BATCH),
    ("kit_texts", BATCH),
    ("amendments", BATCH),
    ("decisions", BATCH),
)


def fill(target: Target, bank: Bank, candidates: int, seed: int) -> None:
    """Migrate the database, make the accounts and insert the generated rows; time it."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text

    from interviewkit import create_app
    from interviewkit.extensions import db
    from interviewkit.models import utcnow
    from interviewkit.users import create_user

    app = create_app({**target.config(bank), "PASSWORD_HASH_METHOD": HASH_METHOD})
    rng = random.Random(seed)
    with app.app_context():
        log = io.StringIO()
        try:
            with contextlib.redirect_stderr(log):  # alembic's INFO lines
                upgrade()
        except Exception:
            sys.stderr.write(log.getvalue())
            raise
        began = time.perf_counter()
        lead = create_user(LEAD_EMAIL, "Lee Lead", "hiring_lead", PASSWORD)
        people = []
        for email, name, bias, noise, hours, kind in make_interviewers(rng):
            user = create_user(email, name, "interviewer", PASSWORD)
            people.append(Interviewer(user.id, name, bias, noise, hours, kind))
        lead_id = lead.id
        db.session.close()  # its transaction would hold SQLite's write lock (BEGIN IMMEDIATE)
        accounts = time.perf_counter() - began
        now = utcnow().replace(microsecond=0)
        began = time.perf_counter()
        rows = generate(candidates, bank, people, lead_id, rng, now)
        generated = time.perf_counter() - began
        began = time.perf_counter()
        tables = db.metadata.tables
        with db.engine.begin() as conn:
            for name, batch in FILL_ORDER:
                data = rows.tables.get(name, [])
                for start in range(0, len(data), batch):
                    conn.execute(insert(tables[name]), data[start : start + batch])
            if target.kind == "postgresql":
                for name, _ in FILL_ORDER:  # ids were given: move the sequences past them
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
                        )
                    )
        inserted = time.perf_counter() - began
        analysed = 0.0
        if target.kind == "postgresql":
            began = time.perf_counter()
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
            analysed = time.perf_counter() - began
        db.engine.dispose()
    target.rows = rows
    target.fill_seconds = inserted
    counts = ", ".join(f"{len(rows.tables.get(n, [])):,} {n}" for n, _ in FILL_ORDER)
    print(f"  filled: {counts}")
    print(
        f"  fill time: insert {inserted:.1f} s for {rows.count():,} rows "
        f"({rows.count() / max(inserted, 1e-9):,.0f} rows/s, one transaction); generating them "
        f"{generated:.1f} s; {INTERVIEWERS + 1} accounts {accounts:.1f} s"
        + (f"; ANALYZE {analysed:.1f} s" if analysed else "")
    )
    harsh = sorted(p.name for p in people if p.kind == "harsh")
    lenient = sorted(p.name for p in people if p.kind == "lenient")
    print(f"  harsh interviewers: {', '.join(harsh)}; lenient: {', '.join(lenient)}")
    if target.kind == "sqlite":
        size = sum(
            p.stat().st_size for p in target.folder.glob("app.db*") if p.name != "app.db-shm"
        )
        print(f"  database size: {size / 1e6:,.0f} MB")


# -- the server --------------------------------------------------------------------------------


def start_server(target: Target, bank: Bank, workers: int) -> tuple[subprocess.Popen, int]:
    """Start gunicorn on the app factory; return (process, port) once it answers."""
    port = free_port()
    log = target.folder / "server.log"
    command = gunicorn_command(
        port, workers, target.folder, target.config(bank), timeout=SERVER_TIMEOUT
    )
    process = subprocess.Popen(command, cwd=PROJECT, stdin=subprocess.DEVNULL)
    wait_until_up(process, port, lambda: log_text(log))
    return process, port


def log_text(path: Path) -> str:
    """Return a log file's text ('' if absent)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def sign_in(port: int, email: str = LEAD_EMAIL) -> Client:
    """Sign a user (by default the hiring lead) in through the login form; return the client."""
    client = Client(port)
    client.conn.timeout = REQUEST_TIMEOUT
    status, page, _ = client.request("GET", "/login")
    if status != 200:
        raise BenchError(f"GET /login answered {error_message(status, page)}")
    form = urlencode({"email": email, "password": PASSWORD, "csrf_token": find_csrf(page)})
    status, body, _ = client.request(
        "POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 302:
        raise BenchError(f"sign-in of {email}: {error_message(status, body)}")
    return client


# -- the pages ---------------------------------------------------------------------------------


@dataclass
class Page:
    """A page to time: how to ask for it and how to tell a real answer from a hollow one."""

    name: str
    path: str  # {candidate} is replaced by a random candidate id
    after_change: bool = False  # change the data before each request (see `touch_data`)

    def url(self, rows: Rows, rng: random.Random) -> tuple[str, int | None]:
        """Return (path to request, candidate id or None)."""
        if "{candidate}" not in self.path:
            return self.path, None
        cid = rng.choice(list(rows.names))
        return self.path.format(candidate=cid), cid

    def check(self, body: bytes, rows: Rows, cid: int | None) -> str | None:
        """Return what is wrong with a 200 answer, or None if it holds what the page is for."""
        text = body.decode("utf-8", "replace")
        if self.name == "debrief":
            if html.escape(rows.names[cid]) not in text or "matrix-h" not in text:
                return f"the debrief of candidate {cid} lacks their name or the score matrix"
        elif self.name.startswith("calibration"):
            if text.count("data-user=") < INTERVIEWERS:
                return f"fewer than {INTERVIEWERS} interviewers in the table"
        elif self.name.startswith("questions"):
            if text.count("data-question=") < 50:
                return "fewer than 50 question rows"
        elif self.name == "coverage":
            if "Questions per competency and level" not in text:
                return "no coverage table"
        elif self.name == "export-csv":
            lines = text.count("\n")
            want = min(100, rows.export_candidates)  # fewer with a small --candidates
            if lines <= want or not text.startswith("candidate_id,"):
                return f"{lines} lines (want over {want}, starting with the header)"
        elif self.name == "export-json":
            try:
                items = json.loads(text)
            except ValueError:
                return "not JSON"
            if len(items) < min(100, rows.export_candidates):
                return f"{len(items)} candidates (want {rows.export_candidates})"
        return None


PAGES = {
    page.name: page
    for page in (
        Page("debrief", "/candidates/{candidate}/debrief"),
        Page("calibration", "/numbers/calibration"),
        Page("calibration-new", "/numbers/calibration", after_change=True),
        Page("questions", "/numbers/questions"),
        Page("questions-new", "/numbers/questions", after_change=True),
        Page("coverage", "/numbers/coverage"),
        Page("export-csv", f"/roles/export.csv?{EXPORT_QUERY}"),
        Page("export-json", f"/roles/export.json?{EXPORT_QUERY}"),
    )
}


@dataclass
class PageResult:
    """The figures of one page on one database."""

    page: str
    latencies: list[float]  # ms
    sizes: list[int]
    server: list[float]  # ms inside the worker, from the access log
    errors: list[str]

    @property
    def median(self) -> float:
        """Return the median latency (nan without answers)."""
        return statistics.median(self.latencies) if self.latencies else math.nan

    @property
    def worst(self) -> float:
        """Return the worst latency (nan without answers)."""
        return max(self.latencies) if self.latencies else math.nan

    @property
    def met(self) -> bool:
        """Return True if every answer was good and both latency targets were met."""
        return not self.errors and self.median < MEDIAN_TARGET_MS and self.worst < WORST_TARGET_MS


def server_times(access_log: Path, offset: int, path: str) -> list[float]:
    """Return the time in the worker (ms) of every GET of `path` logged after `offset`."""
    times = []
    with contextlib.suppress(OSError), open(access_log, encoding="utf-8", errors="replace") as fh:
        fh.seek(offset)
        for line in fh:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "GET" and re.fullmatch(path, parts[1]):
                times.append(int(parts[3]) / 1000)
    return times


class DataToucher:
    """Change what the numbers are computed from, as an amendment would, outside the server.

    Each call moves one submitted scorecard's `updated_at` to now, through its own
    connection (committed), which changes the app's data fingerprint.
    """

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url)

    def __call__(self) -> None:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE scorecards SET updated_at = :now WHERE id = "
                    "(SELECT min(id) FROM scorecards WHERE status = 'submitted')"
                ),
                {"now": datetime.now(UTC).replace(tzinfo=None)},
            )

    def close(self) -> None:
        self.engine.dispose()


def time_page(
    client: Client,
    page: Page,
    rows: Rows,
    args: argparse.Namespace,
    rng: random.Random,
    access_log: Path,
    url: str = "",
) -> PageResult:
    """Request a page 2 times to warm up, then `--requests` times, one at a time.

    A page that takes longer than `--page-seconds` in all stops early, after at least
    MIN_REQUESTS measured requests (the table's n column says how many were made).
    A page marked `after_change` has the data changed before each request (not timed),
    so the app cannot answer from the numbers it remembers: its figures are the cost of
    the first view after a scorecard is submitted or amended.
    """
    result = PageResult(page.name, [], [], [], [])
    touch = DataToucher(url) if page.after_change else None
    try:
        return _time_page(client, page, rows, args, rng, access_log, result, touch)
    finally:
        if touch is not None:
            touch.close()


def _time_page(client, page, rows, args, rng, access_log, result, touch) -> PageResult:
    for _ in range(WARMUPS):
        if touch is not None:
            touch()
        path, _cid = page.url(rows, rng)
        try:
            status, body, _ = client.request("GET", path)
        except (OSError, http.client.HTTPException) as exc:
            result.errors.append(f"{path} (warm-up): no answer: {type(exc).__name__}: {exc}")
            return result
        if status != 200:
            result.errors.append(f"{path} (warm-up): {error_message(status, body)}")
            return result
    offset = access_log.stat().st_size if access_log.exists() else 0
    began = time.perf_counter()
    for index in range(args.requests):
        spent = time.perf_counter() - began
        if index >= MIN_REQUESTS and spent > args.page_seconds:
            break
        if touch is not None:
            touch()
        path, cid = page.url(rows, rng)
        try:
            status, body, elapsed = client.request("GET", path)
        except (OSError, http.client.HTTPException) as exc:
            result.errors.append(f"{path}: no answer: {type(exc).__name__}: {exc}")
            continue
        if status != 200:
            result.errors.append(f"{path}: {error_message(status, body)}")
            continue
        problem = page.check(body, rows, cid)
        if problem:
            result.errors.append(f"{path}: HTTP 200 but {problem}: {snippet(body)}")
        result.latencies.append(elapsed * 1000)
        result.sizes.append(len(body))
    time.sleep(0.2)  # the access log line is written after the response
    pattern = re.escape(page.path.split("?")[0]).replace(re.escape("{candidate}"), r"\d+")
    result.server = server_times(access_log, offset, pattern)
    return result


HEADER = (
    f"{'page':<13}{'n':>4}{'median ms':>11}{'p90 ms':>9}{'worst ms':>10}{'srv med':>9}"
    f"{'bytes':>11}  {'target':<22}result"
)


def row(result: PageResult) -> str:
    """Return one line of the results table."""
    target = f"<{MEDIAN_TARGET_MS:.0f} med, <{WORST_TARGET_MS:.0f} worst"
    if result.errors:
        verdict = f"ERRORS ({len(result.errors)})"
    elif result.met:
        verdict = "met"
    else:
        missed = []
        if not result.median < MEDIAN_TARGET_MS:
            missed.append("median")
        if not result.worst < WORST_TARGET_MS:
            missed.append("worst")
        verdict = "MISSED (" + ", ".join(missed) + ")"
    srv = statistics.median(result.server) if result.server else math.nan
    size = int(statistics.median(result.sizes)) if result.sizes else 0
    return (
        f"{result.page:<13}{len(result.latencies):>4}{result.median:>11.1f}"
        f"{percentile(result.latencies, 90):>9.1f}{result.worst:>10.1f}{srv:>9.1f}"
        f"{size:>11,}  {target:<22}{verdict}"
    )


def serve_and_time(
    target: Target, bank: Bank, args: argparse.Namespace, state: dict
) -> list[PageResult]:
    """Start the server on a filled database, sign in and time every page."""
    process, port = start_server(target, bank, args.workers)
    state["server"] = process
    try:
        client = sign_in(port)
        rng = random.Random(args.seed + 1)
        results = []
        for name in args.pages:
            result = time_page(
                client,
                PAGES[name],
                target.rows,
                args,
                rng,
                target.folder / "access.log",
                target.url,
            )
            results.append(result)
            print(f"  {row(result)}", flush=True)
        client.close()
        return results
    finally:
        stop_server(process)
        state.pop("server", None)


# -- profiling ---------------------------------------------------------------------------------


def _normalise_sql(statement: str) -> str:
    """Return a statement with whitespace folded and IN lists of placeholders collapsed."""
    one = " ".join(statement.split())
    placeholder = r"(?:\?|%\(\w+\)s(?:::\w+)?|__\[POSTCOMPILE_\w+\])"
    return re.sub(rf"\((?:\s*{placeholder}\s*,?)+\)", "(...)", one)


def profile_page(
    target: Target, bank: Bank, name: str, runs: int, seed: int, keep: bool = False
) -> None:
    """Run a page in this process under cProfile; print top functions and SQL statements.

    SQL time is measured around the driver's execute. SQLite computes rows as they are
    fetched, so a plain query's time shows as `fetch` (the driver's fetch methods in the
    profile) rather than in execute; psycopg reads the whole result inside execute.
    With `keep`, the raw profile is saved as <page>.prof for pstats or snakeviz.
    """
    from sqlalchemy import event

    from interviewkit import create_app
    from interviewkit.extensions import db

    page = PAGES[name]
    app = create_app({**target.config(bank), "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    login = client.post("/login", data={"email": LEAD_EMAIL, "password": PASSWORD})
    if login.status_code != 302:
        raise BenchError(f"profile sign-in answered {login.status_code}")
    rng = random.Random(seed + 2)

    def get() -> None:
        path, cid = page.url(target.rows, rng)
        response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"{path}: HTTP {response.status_code}: {snippet(response.data)}")
        problem = page.check(response.data, target.rows, cid)
        if problem:
            raise BenchError(f"{path}: {problem}")

    get()  # warm up: imports, template compilation, connections
    sql: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    started: list[float] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        entry = sql[_normalise_sql(statement)]
        entry[0] += 1
        entry[1] += time.perf_counter() - started.pop()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    for _ in range(runs):
        get()
    profile.disable()
    wall = (time.perf_counter() - began) / runs
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    statements = sum(n for n, _ in sql.values())
    in_sql = sum(s for _, s in sql.values())
    fetching = sum(
        entry[2]  # time inside the driver's fetch methods (C for sqlite3)
        for (filename, _, function), entry in pstats.Stats(profile).stats.items()
        if "fetch" in function and ("sqlite3.Cursor" in function or "psycopg" in filename)
    )
    print(
        f"\nprofile of {name} on {target.kind} ({runs} run(s), in-process test client, "
        f"profiler on): {wall * 1000:,.0f} ms a request; {statements / runs:,.0f} SQL "
        f"statements a request taking {in_sql / runs * 1000:,.0f} ms in execute and "
        f"{fetching / runs * 1000:,.0f} ms in the driver's fetch"
    )
    if keep:
        profile.dump_stats(target.folder / f"{name}.prof")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue().rstrip())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
    own = out.getvalue().rstrip().split("ncalls", 1)[-1]
    print(f"\nthe same, top 12 by time in the function itself:\n   ncalls{own}")
    print(f"\nSQL statements by total execute time ({name}, {target.kind}, per request):")
    print(f"{'count':>7}{'total ms':>10}{'mean ms':>9}  statement")
    ranked = sorted(sql.items(), key=lambda kv: -kv[1][1])[:12]
    for statement, (n, seconds) in ranked:
        shown = statement if len(statement) <= 300 else statement[:297] + "..."
        print(f"{n / runs:>7.0f}{seconds / runs * 1000:>10.1f}{seconds / n * 1000:>9.2f}  {shown}")
    with app.app_context():
        db.engine.dispose()


# -- the run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, tmp: Path, state: dict) -> int:
    """Build the bank, then fill, serve and time (or profile) each database; print tables."""
    began = time.perf_counter()
    bank = build_bank(tmp, args.seed)
    print(
        f"bank: {len(bank.questions)} questions ({sum(q.kind == 'hard' for q in bank.questions)} "
        f"too hard, {sum(q.kind == 'noise' for q in bank.questions)} pure noise, "
        f"{sum(q.old_hash is not None for q in bank.questions)} with an earlier version), "
        f"{len(bank.templates)} loop templates; built in {bank.seconds:.1f} s"
    )
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    tables: dict[str, list[PageResult]] = {}
    failed = False
    for kind in kinds:
        print(f"\n{kind}: filling {args.candidates:,} candidates", flush=True)
        target = make_target(kind, tmp)
        state.setdefault("targets", []).append(target)
        fill(target, bank, args.candidates, args.seed)
        print(
            f"  role export Back-end engineer senior: {target.rows.export_candidates} candidates",
            flush=True,
        )
        if args.profile:
            for name in args.profile:
                profile_page(target, bank, name, args.profile_runs, args.seed, keep=bool(args.keep))
            continue
        print(
            f"  server: gunicorn, {args.workers} sync workers; {WARMUPS} warm-ups then "
            f"{args.requests} requests per page, one at a time (at least {MIN_REQUESTS}, "
            f"then up to {args.page_seconds:g} s a page)",
            flush=True,
        )
        print(f"  {HEADER}")
        results = serve_and_time(target, bank, args, state)
        tables[kind] = results
        for result in results:
            for error in result.errors[:3]:
                print(f"    {result.page}: {error}")
            failed = failed or not result.met
        if any(r.errors for r in results):
            print(server_problems(target.folder))
    if tables:
        print(
            "\nlatency: send to whole response read, connecting included, ms; srv med = "
            "median time inside the gunicorn worker (access log); bytes = median body size"
        )
        for kind, results in tables.items():
            fill_s = next(t.fill_seconds for t in state["targets"] if t.kind == kind)
            print(f"\n{kind} ({args.candidates:,} candidates, fill {fill_s:.1f} s)")
            print(HEADER)
            for result in results:
                print(row(result))
    print(f"\ntotal time {time.perf_counter() - began:.0f} s")
    return 1 if failed else 0


def _interrupted(signum, frame) -> None:
    """Turn SIGTERM into KeyboardInterrupt so the cleanup runs."""
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--candidates", type=int, default=2000, help="candidates, 5 sessions each (default 2000)"
    )
    parser.add_argument(
        "--requests", type=int, default=20, help="measured requests per page (default 20)"
    )
    parser.add_argument(
        "--page-seconds",
        type=float,
        default=60,
        help=f"stop measuring a page after this many seconds, once {MIN_REQUESTS} requests "
        "are in (default 60)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql", "both"),
        default="sqlite",
        help=f"app database (default sqlite; postgresql at {PG_ADMIN_URL})",
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        choices=list(PAGES),
        default=list(PAGES),
        help="pages to time (default all)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="work in this folder and keep it (bank, SQLite file, logs); keep the "
        "PostgreSQL database too",
    )
    parser.add_argument(
        "--profile",
        action="append",
        choices=list(PAGES),
        metavar="PAGE",
        help=f"instead of timing through the server, profile PAGE in-process "
        f"(one of {', '.join(PAGES)}; repeatable)",
    )
    parser.add_argument(
        "--profile-runs", type=int, default=2, help="requests under the profiler (default 2)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.candidates < 10 or args.requests < 1 or args.workers < 1 or args.profile_runs < 1:
        parser.error("--candidates must be at least 10; --requests, --workers at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and always stop the server and remove what it made (unless --keep)."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        tmp = args.keep.resolve()
    else:
        tmp = Path(tempfile.mkdtemp(prefix="interviewkit-analytics-"))
    state: dict = {}
    try:
        return run(args, tmp, state)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for target in state.get("targets", []):
            print(server_problems(target.folder), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the server and removing what was made", file=sys.stderr)
        return 130
    finally:
        stop_server(state.get("server"))
        for target in state.get("targets", []):
            if args.keep:
                if target.pg_name:
                    print(f"kept PostgreSQL database {target.pg_name} ({target.url})")
                continue
            with contextlib.suppress(Exception):
                drop_target(target)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

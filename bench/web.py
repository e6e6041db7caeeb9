"""Benchmark the app's everyday pages under load, against a bare Flask hello-world (issue 11).

It measures how many requests a second each page the team opens all day sustains, and how
long an answer takes, when 32 browsers ask at once: the bank search, a question, a
candidate, a loop, the interview kit, the interviewer's queue, the home pages, the debrief
and the numbers. Each page's throughput is also given as a share of what a Flask
hello-world reaches on the same server settings in the same run: the ceiling no page of
a Flask app under these settings can pass.

How it runs:

1. The bank: `--questions` questions in all (default 10,000): the shipped ones plus files
   made by the bank benchmark's generator (`bank_build.generate`), loaded with the app's
   own loader into one bank file. The shipped bank alone is built too
   (`analytics.build_bank`): its loop templates and question snapshots fill the loops.
2. A fresh app database per `--database` (SQLite in WAL, or a throwaway PostgreSQL
   database `ik_webbench_<random>` on `--database-url`, always dropped afterwards) is
   filled as `bench/analytics.py` fills it: a hiring lead, 40 interviewers and
   `--candidates` candidates (default 2,000) with a five-session loop each, every session
   with its submitted scorecard (ratings, question scores, notes) and decisions for about
   70% of the candidates. Then one live loop is assembled by the app's own
   `loops.service.create_loop` from the 10,000-question bank; its first session is
   assigned to interviewer00, scheduled now, with a draft scorecard (notes and a score):
   the session the kit page shows.
3. Two servers start, with the command and settings `interviewkit serve` uses
   (`autosave.gunicorn_command`: `bench/gunicorn_conf.py`, `--workers` sync workers,
   default 2, the same timeout and access log): the app, configured through
   `interviewkit:create_app({...})` so the instance is the temporary one, and the
   hello-world of `bench/web_hello.py`.
4. A hiring lead and interviewer00 sign in through the real login form (CSRF token from
   the page). Each page is asked for once through Python's http.client and its answer
   checked (status 200 and what the page is for: the candidate's name, the search hits,
   the debrief's matrix, ...); then wrk drives it with the right user's cookie for
   `--warmup` seconds (not counted) and `--seconds` seconds (default 10) at
   `--connections` connections (default 32) on 2 wrk threads. Pages about a candidate, a
   loop or a question pick one of 200 at random for every request. A Lua script, written
   to the temp folder, counts every answer that is not 200 and prints wrk's p50 and p99.
   The hello-world is driven the same way for `--hello-seconds` (default 3) before the
   first page and after every page, and a page's share is of the mean of the two
   hello-world runs around it: the machine is shared, and its speed drifts within a run
   (the table prints the range of the hello-world's runs).

Printed per page and database: requests per second, p50 and p99 latency (wrk's, from
sending the request to the whole answer; with 2 workers and 32 connections it is mostly
waiting for a free worker), the median time inside the worker (from gunicorn's access
log), the answer size, the share of the hello-world's throughput and the non-200 count.
Targets per page: at least 25% of the hello-world's throughput, and p99 under 100 ms.
A missed target is printed as MISSED; the exit status is 1 when any page answered
anything but 200 (or did not answer), 2 when the benchmark could not run.

wrk comes from Debian's packages: `sudo apt-get install wrk` (Ubuntu and Debian); the
benchmark stops with that hint when it is missing. wrk, the servers and the database
share the machine: on 2 cores, wrk's own CPU is part of what limits both servers.

Usage (about 8 minutes with the defaults on both databases, 4 in the quick mode; the
servers, the temp folder and the PostgreSQL database are always removed, unless `--keep`):

    .venv/bin/python bench/web.py                          # SQLite and PostgreSQL
    .venv/bin/python bench/web.py --questions 500 --candidates 100 --seconds 3  # quick mode
    .venv/bin/python bench/web.py --database sqlite --pages kit queue search-common
    .venv/bin/python bench/web.py --database-url postgresql://me@db.example:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import html
import http.client
import math
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from analytics import (  # noqa: E402 - the sibling benchmarks' bank, fill and server helpers
    LEAD_EMAIL,
    PG_ADMIN_URL,
    Bank,
    Rows,
    Target,
    _interrupted,
    build_bank,
    drop_target,
    fill,
    log_text,
    make_target,
    server_times,
    sign_in,
)
from analytics import PAGES as ANALYTICS_PAGES  # noqa: E402
from autosave import (  # noqa: E402
    HASH_METHOD,
    PROJECT,
    BenchError,
    add_threads_argument,
    error_message,
    free_port,
    gunicorn_command,
    server_problems,
    snippet,
    stop_server,
    wait_until_up,
)
from bank_build import generate  # noqa: E402 - the bank benchmark's question files

SHARE_TARGET = 25.0  # % of the hello-world's requests per second
P99_TARGET_MS = 100.0
INTERVIEWER_EMAIL = "interviewer00@example.com"  # made by analytics.fill; owns the live kit
SAMPLE = 200  # candidates, loops and questions a random-path page picks from
WRK_THREADS = 2
WRK_TIMEOUT = "30s"  # a slow page must be measured, not counted as a socket timeout
SOCKET_ERRORS = ("connect", "read", "write", "timeout")  # wrk's counts of requests without answer
COMMON_WORD = "request"  # in every generated question's code block
RARE_WORD = "thermostat"  # in one shipped question (the bank must keep it rare: the run checks)
INSTALL_HINT = (
    "wrk is not installed: install it from Debian's packages with `sudo apt-get install wrk` "
    "(Debian and Ubuntu), then run the benchmark again"
)

WRK_SCRIPT = """\
-- Written by bench/web.py. Every request GETs a random path of the list in args[1] with
-- the cookie in args[2]; answers other than 200 are counted per thread (and their distinct
-- statuses noted), and done() prints one parseable line with the totals and wrk's latency
-- percentiles (microseconds).
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function init(args)
  non200 = 0
  statuses = ""
  seen = {}
  local headers = {}
  if args[2] ~= nil and args[2] ~= "" then
    headers["Cookie"] = args[2]
  end
  reqs = {}
  for path in io.lines(args[1]) do
    reqs[#reqs + 1] = wrk.format("GET", path, headers)
  end
  math.randomseed(id * 7919)
end

function request()
  return reqs[math.random(#reqs)]
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if not seen[status] then
      seen[status] = true
      statuses = statuses .. status .. ","
    end
  end
end

function done(summary, latency, requests)
  local bad, seen = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    seen = seen .. thread:get("statuses")
  end
  local e = summary.errors
  io.write(string.format(
    "WEBBENCH requests=%.0f duration_us=%.0f bytes=%.0f p50_us=%.0f p99_us=%.0f "
      .. "max_us=%.0f non200=%.0f connect=%.0f read=%.0f write=%.0f timeout=%.0f "
      .. "statuses=%s\\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(99), latency.max, bad, e.connect, e.read, e.write, e.timeout,
    seen == "" and "-" or seen))
end
"""


# -- the bank ----------------------------------------------------------------------------------


@dataclass
class World:
    """What the pages ask for: the bank's words and ids, the database's people and rows."""

    bank: Bank  # the fill's templates and snapshots; `path` is the big bank served
    questions: int  # questions in the served bank
    question_ids: list[str]  # a sample of them
    rare_id: str  # the one question matching RARE_WORD
    rows: Rows | None = None  # the filled database (per target)
    live_session: int = 0  # interviewer00's session in the live loop
    live_name: str = ""  # the live loop's candidate


def build_banks(tmp: Path, count: int, seed: int) -> World:
    """Build the shipped bank (for the fill) and the `count`-question bank (served)."""
    from interviewkit.bank.reader import BankReader
    from interviewkit.bank.writer import load

    shipped = build_bank(tmp / "shipped", seed)
    shipped_count = len(BankReader(shipped.path).bank_questions())
    extra = max(0, count - shipped_count)
    began = time.perf_counter()
    content = tmp / "content"
    generate(content, extra)
    shutil.rmtree(content / "rubrics")  # the shipped rubrics come with the project root
    generated = time.perf_counter() - began
    began = time.perf_counter()
    path = tmp / "bank.db"
    result = load([PROJECT, content], path)
    if not result.ok:
        raise BenchError(f"the generated bank does not load: {result.blocking[:3]}")
    loaded = time.perf_counter() - began
    reader = BankReader(path)
    ids = sorted(q.id for q in reader.bank_questions() if not q.retired)
    common = len(reader.search(COMMON_WORD, limit=count + 1000))
    rare = reader.search(RARE_WORD, limit=10)
    if common < 50 or len(rare) != 1:
        raise BenchError(
            f"the bank's search words do not fit: {common} questions match {COMMON_WORD!r} "
            f"(want 50 or more), {len(rare)} match {RARE_WORD!r} (want exactly 1)"
        )
    print(
        f"bank: {len(ids):,} questions ({shipped_count} shipped + {extra:,} generated in "
        f"{generated:.1f} s), loaded in {loaded:.1f} s; {common:,} match {COMMON_WORD!r}, "
        f"1 matches {RARE_WORD!r} ({rare[0].id})",
        flush=True,
    )
    bank = dataclasses.replace(shipped, path=path, build_id=reader.build_id())
    rng = random.Random(seed + 3)
    return World(bank, len(ids), rng.sample(ids, min(SAMPLE, len(ids))), rare[0].id)


# -- the database ------------------------------------------------------------------------------


def add_live_loop(target: Target, world: World) -> tuple[int, str]:
    """Assemble a loop with the app's services; give interviewer00 a draft in its first session.

    Return (session id, candidate name).
    """
    from sqlalchemy import select

    from interviewkit import create_app
    from interviewkit.extensions import bank, db
    from interviewkit.kit.service import apply_saves, scorecard_for
    from interviewkit.loops.service import assign, create_loop
    from interviewkit.models import Candidate, User, utcnow

    app = create_app({**target.config(world.bank), "PASSWORD_HASH_METHOD": HASH_METHOD})
    name = "Livia Present"
    with app.app_context():
        users = {u.email: u for u in db.session.execute(select(User)).scalars()}
        lead, interviewer = users[LEAD_EMAIL], users[INTERVIEWER_EMAIL]
        others = sorted(
            (u for u in users.values() if u.role == "interviewer" and u is not interviewer),
            key=lambda u: u.email,
        )
        candidate = Candidate(
            name=name,
            email="livia.present@example.com",
            role_title="Back-end engineer",
            level="senior",
            links=["https://cv.example.com/live"],
            language="Python",
            created_by_id=lead.id,
        )
        db.session.add(candidate)
        db.session.flush()
        loop = create_loop(candidate, bank.loop_template("backend-senior"), lead, seed="webbench")
        now = utcnow()
        for index, session in enumerate(loop.sessions):
            assign(session, interviewer if index == 0 else others[index], lead)
            session.scheduled_at = now.replace(microsecond=0)
        session = loop.sessions[0]
        db.session.flush()
        card = scorecard_for(session, interviewer)
        first = session.questions[0].id
        items = [
            {"key": "general", "value": "Calm, asks before assuming.", "base": 0},
            {"key": f"notes:{first}", "value": "Named the trade-off unprompted.", "base": 0},
            {"key": f"score:{first}", "value": 3, "base": 0},
        ]
        results = apply_saves(card, [{**i, "save_id": uuid.uuid4().hex} for i in items])
        refused = [r for r in results if r.status != "saved"]
        if refused:
            raise BenchError(f"the live kit's draft was refused: {refused}")
        db.session.commit()
        session_id = session.id
        db.engine.dispose()
    return session_id, name


# -- the pages ---------------------------------------------------------------------------------


def _id(path: str) -> int:
    """Return the first number in a path (a candidate's, a loop's)."""
    return int(re.search(r"\d+", path).group())


def _has(text: str, wanted: str, what: str) -> str | None:
    """Return a complaint if `wanted` is not in the answer."""
    return None if wanted in text else f"the answer lacks {what} ({wanted!r})"


def _analytics_check(name: str) -> Callable[[World, str, str], str | None]:
    """Return the check analytics.py makes of its page `name`, for a path of ours."""

    def check(world: World, path: str, text: str) -> str | None:
        cid = _id(path) if "{candidate}" in ANALYTICS_PAGES[name].path else None
        return ANALYTICS_PAGES[name].check(text.encode(), world.rows, cid)

    return check


def _candidate_name(world: World, path: str) -> str:
    return html.escape(world.rows.names[_id(path)])


def _loop_name(world: World, path: str) -> str:
    loop_id = _id(path)
    cid = next(r["candidate_id"] for r in world.rows.tables["loops"] if r["id"] == loop_id)
    return html.escape(world.rows.names[cid])


def _sample(world: World, values: list) -> list:
    """Return up to SAMPLE of the values, the same ones for every run with the same seed."""
    return random.Random(len(values)).sample(values, min(SAMPLE, len(values)))


@dataclass(frozen=True)
class Page:
    """A page to drive: who asks, which paths, where it shows in the access log, its check."""

    name: str
    role: str  # "lead" or "interviewer"
    paths: Callable[[World], list[str]]
    log_path: str  # regular expression of the path in gunicorn's access log
    check: Callable[[World, str, str], str | None]  # (world, path, text) -> complaint


PAGES = {
    page.name: page
    for page in (
        Page(
            "search-common",
            "interviewer",
            lambda w: [f"/bank/?q={COMMON_WORD}"],
            "/bank/",
            lambda w, p, t: _has(t, "(first 50)", "50 hits"),
        ),
        Page(
            "search-rare",
            "interviewer",
            lambda w: [f"/bank/?q={RARE_WORD}"],
            "/bank/",
            lambda w, p, t: _has(t, f"/bank/questions/{w.rare_id}", "its one hit"),
        ),
        Page(
            "question",
            "interviewer",
            lambda w: [f"/bank/questions/{q}" for q in w.question_ids],
            r"/bank/questions/[^/]+",
            lambda w, p, t: _has(t, f"<code>{p.rsplit('/', 1)[1]}</code>", "the question's id"),
        ),
        Page(
            "candidate",
            "lead",
            lambda w: [f"/candidates/{c}" for c in _sample(w, sorted(w.rows.names))],
            r"/candidates/\d+",
            lambda w, p, t: _has(t, _candidate_name(w, p), "the candidate's name"),
        ),
        Page(
            "loop",
            "lead",
            lambda w: [f"/loops/{r['id']}" for r in _sample(w, w.rows.tables["loops"])],
            r"/loops/\d+",
            lambda w, p, t: _has(t, _loop_name(w, p), "the candidate's name"),
        ),
        Page(
            "kit",
            "interviewer",
            lambda w: [f"/kit/{w.live_session}"],
            r"/kit/\d+",
            lambda w, p, t: _has(t, f'data-session="{w.live_session}"', "the live session"),
        ),
        Page(
            "queue",
            "interviewer",
            lambda w: ["/queue"],
            "/queue",
            lambda w, p, t: _has(t, w.live_name, "the live session's candidate"),
        ),
        Page(
            "home",
            "interviewer",
            lambda w: ["/"],
            "/",
            lambda w, p, t: _has(t, w.live_name, "the live session's candidate"),
        ),
        Page(
            "home-lead",
            "lead",
            lambda w: ["/"],
            "/",
            lambda w, p, t: _has(t, w.live_name, "the live candidate among the active ones"),
        ),
        Page(
            "debrief",
            "lead",
            lambda w: [f"/candidates/{c}/debrief" for c in _sample(w, sorted(w.rows.names))],
            r"/candidates/\d+/debrief",
            _analytics_check("debrief"),
        ),
        Page(
            "calibration",
            "lead",
            lambda w: ["/numbers/calibration"],
            "/numbers/calibration",
            _analytics_check("calibration"),
        ),
        Page(
            "question-stats",
            "lead",
            lambda w: ["/numbers/questions"],
            "/numbers/questions",
            _analytics_check("questions"),
        ),
        Page(
            "coverage",
            "lead",
            lambda w: ["/numbers/coverage"],
            "/numbers/coverage",
            _analytics_check("coverage"),
        ),
    )
}


# -- wrk ---------------------------------------------------------------------------------------


@dataclass
class Result:
    """One page (or hello-world run) on one database, as wrk and the access log saw it."""

    page: str
    role: str
    requests: int = 0
    seconds: float = 0.0
    bytes: int = 0
    p50: float = 0.0  # ms
    p99: float = 0.0
    non200: int = 0
    socket_errors: dict = dataclasses.field(default_factory=dict)
    statuses: str = ""
    server: list[float] = dataclasses.field(default_factory=list)  # ms inside the worker
    warmup_non200: int = 0  # answers other than 200 during the warm-up
    problems: list[str] = dataclasses.field(default_factory=list)  # a wrong checked answer
    reference: float = 0.0  # the hello-world's req/s around this page's run

    @property
    def rate(self) -> float:
        """Return requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def share(self) -> float:
        """Return the requests per second as a percentage of the hello-world's."""
        return 100 * self.rate / self.reference if self.reference else 0.0

    @property
    def failures(self) -> int:
        """Return requests answered with anything but 200, or not answered at all."""
        errors = sum(self.socket_errors.values())
        return self.non200 + errors + self.warmup_non200 + len(self.problems)

    @property
    def met(self) -> bool:
        """Return True if both targets were met (answers aside)."""
        return self.share >= SHARE_TARGET and self.p99 < P99_TARGET_MS


def check_wrk() -> str:
    """Return wrk's path, or raise BenchError with how to install it."""
    found = shutil.which("wrk")
    if found is None:
        raise BenchError(INSTALL_HINT)
    return found


def run_wrk(
    args: argparse.Namespace,
    port: int,
    paths: list[str],
    cookie: str,
    folder: Path,
    name: str,
    seconds: float,
) -> dict:
    """Drive the paths with wrk for `seconds`; return the numbers of its WEBBENCH line."""
    script = folder / "web.lua"
    if not script.exists():
        script.write_text(WRK_SCRIPT, encoding="utf-8")
    listing = folder / f"{name}.paths"
    listing.write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
    command = [
        args.wrk,
        f"-t{WRK_THREADS}",
        f"-c{args.connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        WRK_TIMEOUT,
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        str(listing),
        cookie,
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    (folder / f"wrk-{name}.txt").write_text(out.stdout + out.stderr, encoding="utf-8")
    line = next((x for x in out.stdout.splitlines() if x.startswith("WEBBENCH ")), None)
    if out.returncode or line is None:
        raise BenchError(f"wrk failed ({out.returncode}): {(out.stderr or out.stdout)[-500:]}")
    values = dict(field.split("=", 1) for field in line.split()[1:])
    return {k: (v if k == "statuses" else float(v)) for k, v in values.items()}


def drive(
    args: argparse.Namespace,
    port: int,
    folder: Path,
    name: str,
    role: str,
    paths: list[str],
    cookie: str = "",
    log_path: str = "/",
    seconds: float | None = None,
    warmup: float = 0.0,
) -> Result:
    """Warm up with wrk for `warmup` seconds, then measure; read the worker times."""
    result = Result(name, role)
    if warmup > 0:
        warm = run_wrk(args, port, paths, cookie, folder, f"{name}-warmup", warmup)
        result.warmup_non200 = int(warm["non200"] + sum(warm[k] for k in SOCKET_ERRORS))
    access_log = folder / "access.log"
    offset = access_log.stat().st_size if access_log.exists() else 0
    out = run_wrk(args, port, paths, cookie, folder, name, seconds or args.seconds)
    time.sleep(0.3)  # gunicorn writes the access log line after the response
    result.requests = int(out["requests"])
    result.seconds = out["duration_us"] / 1e6
    result.bytes = int(out["bytes"])
    result.p50, result.p99 = out["p50_us"] / 1000, out["p99_us"] / 1000
    result.non200 = int(out["non200"])
    result.statuses = ",".join(sorted({x for x in out["statuses"].split(",") if x != "-"} - {""}))
    result.socket_errors = {k: int(out[k]) for k in SOCKET_ERRORS if out[k]}
    result.server = server_times(access_log, offset, log_path)
    return result


# -- one database ------------------------------------------------------------------------------


def start(command: list[str], folder: Path, port: int, state: dict) -> subprocess.Popen:
    """Start a gunicorn command; return it once it answers."""
    process = subprocess.Popen(command, cwd=PROJECT, stdin=subprocess.DEVNULL)
    state.setdefault("servers", []).append(process)
    wait_until_up(process, port, lambda: log_text(folder / "server.log"))
    return process


def _workers_kind(threads: int) -> str:
    return f"gthread workers of {threads} threads" if threads > 1 else "sync workers"


def start_hello(tmp: Path, workers: int, threads: int, state: dict) -> int:
    """Serve bench/web_hello.py with the app's gunicorn command and settings; return the port."""
    folder = tmp / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = gunicorn_command(port, workers, folder, {}, threads=threads)
    if not command[-1].startswith("interviewkit:create_app("):
        raise BenchError(f"unexpected gunicorn command: {command}")
    command[-1:] = ["--pythonpath", str(BENCH), "web_hello:app"]
    start(command, folder, port, state)
    return port


def check_page(client, page: Page, world: World, path: str) -> str | None:
    """Ask for a page once; return what is wrong with its answer, or None."""
    try:
        status, body, _ = client.request("GET", path)
    except (OSError, http.client.HTTPException) as exc:
        return f"{path}: no answer: {type(exc).__name__}: {exc}"
    if status != 200:
        return f"{path}: {error_message(status, body)}"
    problem = page.check(world, path, body.decode("utf-8", "replace"))
    return f"{path}: HTTP 200 but {problem}: {snippet(body)}" if problem else None


HEADER = (
    f"{'page':<16}{'as':<13}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'srv p50':>9}"
    f"{'KB':>7}{'share':>8}{'non-200':>9}  target"
)


def row(result: Result) -> str:
    """Return one line of the results table."""
    srv = statistics.median(result.server) if result.server else math.nan
    size = result.bytes / result.requests / 1024 if result.requests else 0.0
    missed = [
        what
        for what, ok in (
            ("share", result.share >= SHARE_TARGET),
            ("p99", result.p99 < P99_TARGET_MS),
        )
        if not ok
    ]
    verdict = "met" if not missed else f"MISSED ({', '.join(missed)})"
    if not result.requests:
        verdict = "ERRORS (not driven: its answer was wrong)"
    elif result.failures:
        verdict = f"ERRORS {verdict}"
    return (
        f"{result.page:<16}{result.role:<13}{result.rate:>8,.0f}{result.p50:>9.1f}"
        f"{result.p99:>9.1f}{srv:>9.1f}{size:>7.1f}{result.share:>7.1f}%"
        f"{result.failures:>9,}  {verdict}"
    )


def hello_row(runs: list[Result]) -> str:
    """Return the hello-world's line: medians over its runs, and the range of its req/s."""
    rates = [r.rate for r in runs]
    srv = [t for r in runs for t in r.server]
    return (
        f"{'hello-world':<16}{f'{len(runs)} runs':<13}{statistics.median(rates):>8,.0f}"
        f"{statistics.median(r.p50 for r in runs):>9.1f}"
        f"{statistics.median(r.p99 for r in runs):>9.1f}"
        f"{statistics.median(srv) if srv else math.nan:>9.1f}"
        f"{runs[0].bytes / max(runs[0].requests, 1) / 1024:>7.1f}{'':>8}"
        f"{sum(r.failures for r in runs):>9,}  req/s from {min(rates):,.0f} to {max(rates):,.0f}"
    )


@dataclass
class Table:
    """The results of one database: the hello-world's runs and every page's."""

    kind: str
    hello: list[Result]
    pages: list[Result]
    fill_seconds: float

    def print(self, args: argparse.Namespace) -> None:
        """Print the table."""
        print(
            f"\n{self.kind} ({args.candidates:,} candidates, fill {self.fill_seconds:.1f} s); "
            f"wrk {args.connections} connections, {args.seconds:g} s a page"
        )
        print(HEADER)
        print(hello_row(self.hello))
        for result in self.pages:
            print(row(result))


def measure_database(
    kind: str, world: World, args: argparse.Namespace, tmp: Path, hello_port: int, state: dict
) -> Table:
    """Fill one database, serve it, sign in, then drive the hello-world and pages in turn."""
    print(f"\n{kind}: filling {args.candidates:,} candidates", flush=True)
    target = make_target(kind, tmp, args.database_url, prefix="ik_webbench_")
    state.setdefault("targets", []).append(target)
    fill(target, world.bank, args.candidates, args.seed)
    world.rows = target.rows
    world.live_session, world.live_name = add_live_loop(target, world)
    port = free_port()
    command = gunicorn_command(
        port, args.workers, target.folder, target.config(world.bank), threads=args.threads
    )
    server = start(command, target.folder, port, state)
    try:
        clients = {"lead": sign_in(port), "interviewer": sign_in(port, INTERVIEWER_EMAIL)}
        cookies = {
            role: "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            for role, client in clients.items()
        }
        print(
            f"  servers: gunicorn, {args.workers} {_workers_kind(args.threads)} each "
            "(as `interviewkit serve`); "
            f"signed in as {LEAD_EMAIL} (lead) and {INTERVIEWER_EMAIL} (interviewer); the "
            f"hello-world runs {args.hello_seconds:g} s before the first page and after each",
            flush=True,
        )
        print(f"  {HEADER}", flush=True)
        hello_folder = tmp / "hello"

        def hello(warmup: float = 0.0) -> Result:
            label = f"hello-{kind}-{len(hellos)}"
            run = drive(
                args,
                hello_port,
                hello_folder,
                label,
                "-",
                ["/"],
                "",
                "/",
                args.hello_seconds,
                warmup,
            )
            hellos.append(run)
            return run

        hellos: list[Result] = []
        hello(args.warmup)
        results = []
        for name in args.pages:
            page = PAGES[name]
            paths = page.paths(world)
            problem = check_page(clients[page.role], page, world, paths[0])
            if problem:
                result = Result(name, page.role, problems=[problem])
                result.reference = hellos[-1].rate
            else:
                before = hellos[-1]
                result = drive(
                    args,
                    port,
                    target.folder,
                    name,
                    page.role,
                    paths,
                    cookies[page.role],
                    page.log_path,
                    warmup=args.warmup,
                )
                result.reference = statistics.mean([before.rate, hello().rate])
            results.append(result)
            print(f"  {row(result)}", flush=True)
            for text in result.problems:
                print(f"    {name}: {text}", flush=True)
            if result.non200 or result.socket_errors or result.warmup_non200:
                print(
                    f"    {name}: {result.non200:,} answers not 200 (statuses {result.statuses}), "
                    f"socket errors {result.socket_errors or 'none'}; "
                    f"{result.warmup_non200:,} failed in the warm-up",
                    flush=True,
                )
        print(f"  {hello_row(hellos)}", flush=True)
        for client in clients.values():
            client.close()
        if any(r.failures for r in results):
            print(server_problems(target.folder))
    finally:
        stop_server(server)
        state["servers"].remove(server)
    return Table(kind, hellos, results, target.fill_seconds)


# -- the run -----------------------------------------------------------------------------------


def side_by_side(tables: list[Table]) -> None:
    """Print every page's throughput, p99 and share on each database, one line per page."""
    print("\nside by side: req/s, p99 ms, share of the hello-world")
    print(f"{'page':<16}" + "".join(f"{t.kind:>30}" for t in tables))
    for index, result in enumerate(tables[0].pages):
        cells = [
            f"{r.rate:>12,.0f}{r.p99:>9.1f}{r.share:>8.1f}%"
            for r in (table.pages[index] for table in tables)
        ]
        print(f"{result.page:<16}" + "".join(f"{c:>30}" for c in cells))


def run(args: argparse.Namespace, tmp: Path, state: dict) -> int:
    """Build the banks, start the hello-world, then fill, serve and drive each database."""
    began = time.perf_counter()
    world = build_banks(tmp, args.questions, args.seed)
    hello_port = start_hello(tmp, args.workers, args.threads, state)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    tables = [measure_database(kind, world, args, tmp, hello_port, state) for kind in kinds]
    print(
        "\nreq/s: requests a second; p50, p99: wrk's latency, request sent to whole answer "
        "read, ms; srv p50: median time inside the gunicorn worker (access log), ms; KB: per "
        "answer, headers included; share: of the hello-world's req/s in its runs just before "
        "and after the page's; non-200: answers other than 200 and requests without an "
        f"answer. Targets: share >= {SHARE_TARGET:.0f}% and p99 < {P99_TARGET_MS:.0f} ms."
    )
    print(f"bank: {world.questions:,} questions")
    for table in tables:
        table.print(args)
    if len(tables) > 1:
        side_by_side(tables)
    failed = sum(r.failures for t in tables for r in t.pages + t.hello)
    runs = [r for t in tables for r in t.pages]
    met = sum(r.met for r in runs)
    print(
        f"\n{met} of {len(runs)} page runs met both targets, {len(runs) - met} MISSED; "
        f"{failed:,} requests without a 200 answer; total time "
        f"{time.perf_counter() - began:.0f} s"
    )
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=10, help="measured seconds per page (default 10)"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=1,
        help="seconds of wrk per page before measuring, not counted (default 1; 0: none)",
    )
    parser.add_argument(
        "--hello-seconds",
        type=float,
        default=3,
        help="seconds of each hello-world run, before the first page and after each (default 3)",
    )
    parser.add_argument(
        "--connections", type=int, default=32, help="wrk's open connections (default 32)"
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="app database (default both, PostgreSQL printed beside SQLite)",
    )
    parser.add_argument(
        "--database-url",
        default=PG_ADMIN_URL,
        help="PostgreSQL server to create the throwaway database ik_webbench_<random> on "
        f"(default {PG_ADMIN_URL}, or $INTERVIEWKIT_TEST_PG)",
    )
    parser.add_argument(
        "--questions",
        type=int,
        default=10_000,
        help="questions in the bank, the shipped ones included (default 10000)",
    )
    parser.add_argument(
        "--candidates", type=int, default=2000, help="candidates, 5 sessions each (default 2000)"
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        choices=list(PAGES),
        default=list(PAGES),
        help="pages to drive (default all)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers of each server (default 2)"
    )
    add_threads_argument(parser)
    parser.add_argument(
        "--keep",
        type=Path,
        help="work in this folder and keep it (banks, SQLite file, logs, wrk's output); "
        "keep the PostgreSQL database too",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.candidates < 10 or min(args.workers, args.threads) < 1:
        parser.error("--candidates must be at least 10, --workers and --threads 1")
    if min(args.seconds, args.hello_seconds) < 1:
        parser.error("--seconds and --hello-seconds must be at least 1")
    if args.connections < WRK_THREADS:
        parser.error(f"--connections must be at least {WRK_THREADS} (wrk's threads)")
    if args.questions < 200:
        parser.error("--questions must be at least 200")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; always stop the servers and remove what it made (unless --keep)."""
    args = parse_args(argv)
    try:
        args.wrk = check_wrk()
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupted)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        tmp = args.keep.resolve()
    else:
        tmp = Path(tempfile.mkdtemp(prefix="interviewkit-web-"))
    state: dict = {}
    try:
        return run(args, tmp, state)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for target in state.get("targets", []):
            print(server_problems(target.folder), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers and removing what was made", file=sys.stderr)
        return 130
    finally:
        for process in state.get("servers", []):
            stop_server(process)
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

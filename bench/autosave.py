"""Benchmark the kit's autosave (POST /kit/<session>/save) with many interviewers at once.

It measures what an interviewer feels while typing notes during a busy interview day:
the latency of each autosave, the save rate the server sustains, whether any save fails,
and whether the database ends up holding exactly the text each interviewer typed.

How it runs:

1. A temporary instance folder gets an app database (SQLite in WAL mode, migrated with
   the app's own migrations), interviewer accounts made with `create_user`, one candidate,
   one loop and one session assigned to each interviewer.
2. A real server starts: gunicorn with the app factory and sync workers (as `interviewkit
   serve`), on 127.0.0.1 and a free port. The configuration is passed to the factory
   (`interviewkit:create_app({...})`) rather than through INTERVIEWKIT_* variables: only
   that way is the instance folder the temporary one, so the checkout's instance/config.py
   and secret key take no part.
3. Each simulated interviewer (its own cookies) signs in through the login form and
   fetches a CSRF token from /kit/token; then, one task of the client's event loop, every
   `--interval` seconds
   (first one at a random offset) appends a sentence to its general notes and saves the
   whole text with the version its last save returned as `base`, like the kit page does.
   Latency runs from sending the request to having read the whole response, connecting
   included (gunicorn's sync workers close the connection after every response).
4. After the phase, the notes are read back from the database with sqlite3: a note is
   *lost* if it lacks the text the server acknowledged, *stale* if it holds the
   acknowledged text but not the last text sent (a final save that failed).
5. The ramp repeats the load with more interviewers (twice as many each step, shorter
   steps) until the p99 latency reaches the target, errors appear, the load generator
   cannot offer the load any more, or the cap is reached; then it tries one level halfway
   between the last that passed and the first that failed.

Targets: no errors (any answer other than 200 with status "saved"), no lost or stale
notes, p99 latency under 100 ms. The load generator shares the machine with the server, so
its own CPU use and how late saves started against their schedule are printed too.

Usage (2.5 to 4 minutes with the defaults; the server and temp folder are always removed):

    .venv/bin/python bench/autosave.py
    .venv/bin/python bench/autosave.py --seconds 20 --ramp-seconds 10
    .venv/bin/python bench/autosave.py --users 100 --workers 4 --no-ramp
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import io
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from interviewkit.server import DEFAULT_THREADS  # serve's threads per worker

PROJECT = Path(__file__).resolve().parent.parent
P99_TARGET_MS = 100.0
PASSWORD = "bench-password-not-secret"  # noqa: S105 - throwaway accounts in a temp database
HASH_METHOD = "scrypt:1024:8:1"  # cheap scrypt for the accounts: logins are not measured
REQUEST_TIMEOUT = 30.0
LOGIN_THREADS = 16
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"  # method, path, status, microseconds in the worker
RATE_SHORTFALL = 0.9  # achieved below 90% of offered: the load was not really offered

WORDS = (
    "cache index queue shard replica lock thread socket timeout retry token schema request "
    "latency throughput worker pool session cursor batch partition leader quorum backoff "
    "idempotency migration rollback deadlock invariant trade-off metric alert rollout"
).split()
OPENERS = (
    "Explained",
    "Walked through",
    "Asked about",
    "Struggled with",
    "Proposed",
    "Compared",
    "Was unsure about",
    "Drew a diagram of",
)


class BenchError(RuntimeError):
    """The benchmark cannot go on (server did not start, a login failed, ...)."""


# -- HTTP client -----------------------------------------------------------------------------


class Client:
    """One browser: a connection to the server, its cookies and its CSRF token."""

    def __init__(self, port: int) -> None:
        """Open nothing yet: the connection is made on the first request."""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes, float]:
        """Send one request; return (status, body, seconds from sending to body read)."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if reused and attempt == 1:
                    continue  # an idle keep-alive connection the server had closed: resend
                raise
            except BaseException:
                self.conn.close()
                raise
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
            return response.status, data, time.perf_counter() - start
        raise AssertionError("unreachable")

    def _keep_cookies(self, headers: list[str]) -> None:
        """Store or delete the cookies a response set (one site, so no domain rules)."""
        for header in headers:
            name, _, value = header.split(";", 1)[0].strip().partition("=")
            if not value or "max-age=0" in header.lower().replace(" ", ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def snippet(body: bytes, limit: int = 160) -> str:
    """Return the start of a response body as one line of text."""
    text = re.sub(r"\s+", " ", body.decode("utf-8", "replace")).strip()
    return text[:limit] + ("..." if len(text) > limit else "")


def error_message(status: int, body: bytes) -> str:
    """Describe a failed answer by its status and its JSON error, or the start of its body."""
    try:
        payload = json.loads(body)
    except ValueError:
        title = re.search(rb"<title>(.*?)</title>", body, re.S)
        if title:  # an HTML error page
            return f"HTTP {status} (HTML page): {snippet(title.group(1))}"
        return f"HTTP {status}: {snippet(body)}"
    if isinstance(payload, dict) and "error" in payload:
        return f"HTTP {status} {payload['error']}: {payload.get('message', '')}"
    return f"HTTP {status}: {snippet(body)}"


# -- simulated interviewers ------------------------------------------------------------------


@dataclass
class Interviewer:
    """One simulated interviewer: account, assigned session and what was typed and saved."""

    index: int
    email: str
    session_id: int
    rng: random.Random
    client: Client | None = None
    text: str = ""  # everything typed so far
    base: int = 0  # the version the server returned for the last save
    last_sent: str | None = None  # the last text sent, whatever became of it
    last_saved: str = ""  # the last text the server acknowledged as saved
    sentences: int = 0


@dataclass
class PhaseStats:
    """What happened during one load phase, filled in by every interviewer thread."""

    latencies: list[float] = field(default_factory=list)  # ms, every save that was answered
    late: list[float] = field(default_factory=list)  # ms each save started after its slot
    errors: Counter = field(default_factory=Counter)
    saves: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, latency_ms: float | None, late_ms: float, error: str | None) -> None:
        """Record one save: its latency (None if unanswered), lateness and any error."""
        with self.lock:
            self.saves += 1
            self.late.append(late_ms)
            if latency_ms is not None:
                self.latencies.append(latency_ms)
            if error:
                self.errors[error] += 1


def find_csrf(page: bytes) -> str:
    """Return the value of the csrf_token hidden input of a page."""
    for tag in re.findall(rb"<input[^>]*>", page):
        if re.search(rb'name="csrf_token"', tag):
            found = re.search(rb'value="([^"]+)"', tag)
            if found:
                return found.group(1).decode()
    raise BenchError(f"no csrf_token input in the page: {snippet(page)}")


def sign_in(user: Interviewer, port: int) -> None:
    """Sign in through the login form, then fetch a CSRF token for the saves."""
    client = Client(port)
    status, page, _ = client.request("GET", "/login")
    if status != 200:
        raise BenchError(f"GET /login answered {error_message(status, page)}")
    form = urlencode({"email": user.email, "password": PASSWORD, "csrf_token": find_csrf(page)})
    status, body, _ = client.request(
        "POST",
        "/login",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 302:
        raise BenchError(f"sign-in of {user.email}: {error_message(status, body)}")
    refresh_token(client)
    user.client = client


def refresh_token(client: Client) -> None:
    """Fetch a fresh CSRF token from /kit/token, as the kit page does when its token expired."""
    status, body, _ = client.request("GET", "/kit/token", headers={"Accept": "application/json"})
    if status != 200:
        raise BenchError(f"GET /kit/token answered {error_message(status, body)}")
    client.csrf = json.loads(body)["csrf_token"]


def next_sentence(user: Interviewer) -> str:
    """Return the next sentence this interviewer types (about 100 characters)."""
    user.sentences += 1
    words = " ".join(user.rng.choice(WORDS) for _ in range(user.rng.randint(8, 14)))
    opener = user.rng.choice(OPENERS)
    return f"Q{user.sentences}: {opener} {words}.\n"


def save_request(user: Interviewer) -> tuple[str, bytes, dict]:
    """Type one more sentence; return the autosave request for the whole note (path, body,
    headers), as the kit page sends it."""
    client = user.client
    assert client is not None
    user.text += next_sentence(user)
    item = {"key": "general", "value": user.text, "base": user.base, "save_id": uuid.uuid4().hex}
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": client.csrf,
    }
    user.last_sent = user.text
    return f"/kit/{user.session_id}/save", json.dumps({"items": [item]}).encode(), headers


def save_answered(
    user: Interviewer, stats: PhaseStats, late_ms: float, status: int, data: bytes, ms: float
) -> bool:
    """Record a save's answer as the page would take it; return True if the CSRF token
    must be fetched again."""
    text = user.last_sent
    if status != 200:
        stats.record(ms, late_ms, error_message(status, data))
        return status == 400 and '"csrf"' in data.decode("utf-8", "replace")
    try:
        payload = json.loads(data)
        result = payload["results"][0]
        user.client.csrf = payload.get("csrf_token") or user.client.csrf
        user.base = int(result["version"])
    except (ValueError, KeyError, IndexError, TypeError):
        stats.record(ms, late_ms, f"HTTP 200 with an unexpected body: {snippet(data)}")
        return False
    if result.get("status") != "saved":
        # like the page: carry on typing on top of what the server has (a merge, if any)
        if isinstance(result.get("value"), str):
            user.text = user.last_saved = result["value"]
        stats.record(ms, late_ms, f"result status {result.get('status')!r}")
    elif result.get("value") != text:
        user.text = user.last_saved = str(result.get("value"))
        stats.record(ms, late_ms, "result 'saved' but the value differs from the text")
    else:
        user.last_saved = text
        stats.record(ms, late_ms, None)
    return False


async def save(user: Interviewer, stats: PhaseStats, late_ms: float, port: int) -> None:
    """Type one more sentence and autosave the whole note; record latency and outcome.

    Sent from the event loop on a new connection (gunicorn's sync workers close it after
    each answer anyway): connect and send follow each other at once. With one client
    thread per interviewer, a thread that had connected often waited for the GIL before
    sending, and a sync worker waited with it, idle: above about 150 saves/s the benchmark
    measured its own client (bench/README.md, "Autosave").
    """
    client = user.client
    path, body, headers = save_request(user)
    if client.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n{head}\r\n"
    ).encode() + body
    began = time.perf_counter()
    try:
        status, set_cookies, data = await asyncio.wait_for(
            _exchange(port, request), REQUEST_TIMEOUT
        )
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        stats.record(None, late_ms, f"no answer: {type(exc).__name__}: {exc}")
        return
    ms = (time.perf_counter() - began) * 1000
    client._keep_cookies(set_cookies)
    if save_answered(user, stats, late_ms, status, data, ms):
        with contextlib.suppress(BenchError, OSError, http.client.HTTPException):
            await asyncio.to_thread(refresh_token, client)


async def _exchange(port: int, request: bytes) -> tuple[int, list[str], bytes]:
    """Send one HTTP/1.1 request on a new connection; return (status, Set-Cookie, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        status = int((await reader.readline()).split()[1])
        length, cookies = None, []
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "set-cookie":
                cookies.append(value.strip())
        data = await (reader.readexactly(length) if length is not None else reader.read())
        return status, cookies, data
    finally:
        writer.close()


async def type_and_save(
    user: Interviewer,
    stats: PhaseStats,
    start: float,
    end: float,
    interval: float,
    stop: threading.Event,
    port: int,
) -> None:
    """Save every `interval` seconds from a random offset until `end`; no save overlaps."""
    slot = start + user.rng.uniform(0, interval)
    while not stop.is_set() and slot < end:
        wait = slot - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        began = time.perf_counter()
        try:
            await save(user, stats, (began - slot) * 1000, port)
        except Exception as exc:  # noqa: BLE001 - a client bug must show up, not stop the rest
            stats.record(None, 0.0, f"client exception: {type(exc).__name__}: {exc}")
        # a save still running when the next was due delays it (as in the page), no burst
        slot = max(slot + interval, time.perf_counter())


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile of the values (nan if there are none)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _proc_times(pid: int) -> float:
    """Return a process's user+system CPU seconds from /proc (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """Return the ids of a process's children (the gunicorn workers)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


@dataclass
class CpuSample:
    """CPU seconds used so far by this process, the server and the whole machine."""

    wall: float
    client: float
    server: dict[int, float]
    machine_busy: float
    machine_total: float

    @classmethod
    def take(cls, server_pid: int) -> CpuSample:
        """Sample the counters now."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        pids = [server_pid, *_children(server_pid)]
        busy = total = 0.0
        with contextlib.suppress(OSError, ValueError), open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(v) for v in fh.readline().split()[1:9]]
            total = float(sum(ticks))
            busy = total - ticks[3] - ticks[4]  # minus idle and iowait
        return cls(
            time.perf_counter(),
            usage.ru_utime + usage.ru_stime,
            {pid: _proc_times(pid) for pid in pids},
            busy,
            total,
        )

    def since(self, before: CpuSample) -> tuple[float, float, float]:
        """Return (client % of one core, server % of one core, machine % busy) since before."""
        wall = max(self.wall - before.wall, 1e-9)
        server = sum(t - before.server.get(pid, 0.0) for pid, t in self.server.items())
        total = self.machine_total - before.machine_total
        machine = 100 * (self.machine_busy - before.machine_busy) / total if total else math.nan
        return 100 * (self.client - before.client) / wall, 100 * server / wall, machine


@dataclass
class PhaseResult:
    """The figures of one load phase."""

    name: str
    users: int
    offered: float
    achieved: float
    saves: int
    errors: Counter
    lost: int
    stale: int
    p50: float
    p95: float
    p99: float
    max: float
    late_p99: float
    server_p50: float
    server_p99: float
    client_cpu: float
    server_cpu: float
    machine_cpu: float
    examples: list[str]
    note: str

    @property
    def error_count(self) -> int:
        """Return how many saves failed."""
        return sum(self.errors.values())

    @property
    def client_limited(self) -> bool:
        """Return True if fewer saves were made than offered (server or client too slow)."""
        return self.achieved < RATE_SHORTFALL * self.offered

    @property
    def passed(self) -> bool:
        """Return True if the phase met every target."""
        return (
            not self.error_count
            and not self.lost
            and not self.stale
            and self.p99 < P99_TARGET_MS
            and not self.client_limited
        )

    def verdict(self) -> str:
        """Return a short word for the table: ok, or the first target missed."""
        if self.error_count:
            return "errors"
        if self.lost or self.stale:
            return "lost/stale"
        if not self.p99 < P99_TARGET_MS:
            return "p99 over"
        if self.client_limited:
            return "short of offered"
        return "ok"


HEADER = (
    f"{'phase':<8}{'users':>6}{'offered/s':>10}{'achieved/s':>11}{'saves':>7}{'errors':>7}"
    f"{'lost':>5}{'stale':>6}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}"
    f"{'srv p50':>8}{'srv p99':>8}{'late p99':>9}{'client%':>8}{'server%':>8}{'machine%':>9}"
    "  result"
)

LEGEND = (
    "columns: latencies in ms from sending a save to having read the answer (connect\n"
    "included); srv = time inside the gunicorn worker (access log); late = how late saves\n"
    "started against their schedule (load generator lag); client% and server% are % of one\n"
    "core, machine% of all cores (other programs on the machine included)"
)


def row(result: PhaseResult) -> str:
    """Return one line of the results table."""
    return (
        f"{result.name:<8}{result.users:>6}{result.offered:>10.1f}{result.achieved:>11.1f}"
        f"{result.saves:>7}{result.error_count:>7}{result.lost:>5}{result.stale:>6}"
        f"{result.p50:>8.1f}{result.p95:>8.1f}{result.p99:>8.1f}{result.max:>8.1f}"
        f"{result.server_p50:>8.1f}{result.server_p99:>8.1f}"
        f"{result.late_p99:>9.1f}{result.client_cpu:>8.0f}{result.server_cpu:>8.0f}"
        f"{result.machine_cpu:>9.0f}  {result.verdict()}"
    )


def verify_notes(db_path: Path, users: list[Interviewer]) -> tuple[int, int, list[str]]:
    """Compare every note in the database with what was sent; return (lost, stale, examples)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute(
            "SELECT s.session_id, u.email, t.text, t.version FROM kit_texts t "
            "JOIN scorecards s ON s.id = t.scorecard_id "
            "JOIN users u ON u.id = s.interviewer_id WHERE t.key = 'general'"
        ).fetchall()
    finally:
        con.close()
    # a scorecard is one interviewer's, for one session
    stored = {(session, email): (text, version) for session, email, text, version in rows}
    lost = stale = 0
    examples: list[str] = []
    for user in users:
        if user.last_sent is None:
            continue
        text, version = stored.get((user.session_id, user.email), (None, None))
        if text == user.last_sent:
            continue
        if not (text or "").startswith(user.last_saved):
            lost += 1
            kind = "lost"
        else:
            stale += 1
            kind = "stale"
        if len(examples) < 5:
            have = "no note" if text is None else f"{len(text)} chars, version {version}"
            examples.append(
                f"{kind}: {user.email} session {user.session_id}: database has {have}; "
                f"last sent {len(user.last_sent)} chars, last acknowledged "
                f"{len(user.last_saved)} chars at version {user.base}"
            )
    return lost, stale, examples


# -- setup and server ------------------------------------------------------------------------


SYNCHRONOUS = "FULL"  # set from --synchronous before anything starts


def server_config(tmp: Path) -> dict:
    """Return the app configuration the server and the setup share (all in the temp folder)."""
    return {
        "SQLITE_SYNCHRONOUS": SYNCHRONOUS,
        "INSTANCE_PATH": str(tmp / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "BANK_PATH": str(tmp / "bank.db"),  # absent: /healthz answers 503, saves need no bank
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "10000 per minute",
    }


class Setup:
    """The app database, prepared in this process with the app's own functions."""

    def __init__(self, tmp: Path) -> None:
        """Create the app on the temp instance, migrate it and add a candidate and a loop."""
        from flask_migrate import upgrade

        from interviewkit import create_app
        from interviewkit.extensions import db
        from interviewkit.models import Candidate, Loop

        self.db = db
        self.app = create_app({**server_config(tmp), "PASSWORD_HASH_METHOD": HASH_METHOD})
        with self.app.app_context():
            log = io.StringIO()
            try:
                with contextlib.redirect_stderr(log):  # alembic's INFO lines
                    upgrade()
            except Exception:
                sys.stderr.write(log.getvalue())
                raise
            candidate = Candidate(
                name="Bench Candidate",
                email="candidate@example.com",
                role_title="Back-end engineer",
                level="senior",
            )
            loop = Loop(
                candidate=candidate,
                template_id="bench",
                title="Benchmark loop",
                level="senior",
                seed="bench",
            )
            db.session.add_all([candidate, loop])
            db.session.commit()
            self.loop_id = loop.id

    def add_interviewers(self, first: int, count: int) -> list[tuple[int, str, int]]:
        """Create interviewers with one assigned session each; return (index, email, session)."""
        from interviewkit.models import LoopSession
        from interviewkit.users import create_user

        out = []
        with self.app.app_context():
            for index in range(first, first + count):
                email = f"interviewer{index:04d}@example.com"
                user = create_user(email, f"Interviewer {index}", "interviewer", PASSWORD)
                session = LoopSession(
                    loop_id=self.loop_id,
                    position=index,
                    name=f"Session {index}",
                    minutes=45,
                    competencies=[],
                    interviewer_id=user.id,
                )
                self.db.session.add(session)
                self.db.session.commit()
                out.append((index, email, session.id))
        return out

    def close(self) -> None:
        """Close the setup's database connections."""
        with self.app.app_context():
            self.db.engine.dispose()


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(
    port: int, workers: int, folder: Path, config: dict, timeout: int = 60, threads: int = 1
):
    """Return the command that serves create_app(config) as `interviewkit serve` would.

    The settings are serve's (timeouts, request-line limit, the workers' gc.freeze) from
    bench/gunicorn_conf.py, with gunicorn's access log kept on for the time in the worker;
    logs go to access.log and server.log in `folder`.
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(PROJECT / "bench" / "gunicorn_conf.py"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        str(timeout),
        "--access-logfile",
        str(folder / "access.log"),
        "--access-logformat",
        ACCESS_FORMAT,
        "--error-logfile",
        str(folder / "server.log"),
        # serve's worker class: gthread with its threads, sync with one
        *(["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]),
        f"interviewkit:create_app({config!r})",
    ]


def start_server(
    tmp: Path, workers: int, threads: int = 1
) -> tuple[subprocess.Popen, int, list[str]]:
    """Start gunicorn on the app factory; return (process, port, command) once it answers."""
    port = free_port()
    command = gunicorn_command(port, workers, tmp, server_config(tmp), threads=threads)
    process = subprocess.Popen(command, cwd=PROJECT, stdin=subprocess.DEVNULL)
    wait_until_up(process, port, lambda: server_log(tmp))
    return process, port, command


def wait_until_up(process: subprocess.Popen, port: int, read_log, seconds: float = 30) -> None:
    """Wait for gunicorn to answer /healthz; stop it and raise BenchError if it never does."""
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"gunicorn exited with {process.returncode}:\n{read_log()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()  # any answer (503 without a bank) means it is up
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer on port {port} within {seconds:g} s")
    except BaseException:
        stop_server(process)
        raise


def stop_server(process: subprocess.Popen | None) -> None:
    """Stop gunicorn gracefully, or kill it if it does not stop within 15 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_log(tmp: Path) -> str:
    """Return gunicorn's error log (tracebacks of failed requests, worker timeouts)."""
    try:
        return (tmp / "server.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def server_times(access_log: Path, offset: int) -> list[float]:
    """Return the time in the worker (ms) of every save logged after `offset` in the access log."""
    times = []
    with open(access_log, encoding="utf-8", errors="replace") as fh:
        fh.seek(offset)
        for line in fh:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "POST" and parts[1].endswith("/save"):
                times.append(int(parts[3]) / 1000)
    return times


def server_problems(tmp: Path) -> str:
    """Summarise the server log's tracebacks and worker timeouts, with the first traceback."""
    lines = server_log(tmp).splitlines()
    tracebacks = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    timeouts = sum("WORKER TIMEOUT" in line for line in lines)
    errors = sum("[ERROR]" in line for line in lines)
    summary = f"server log: {len(tracebacks)} traceback(s), {errors} error line(s), "
    summary += f"{timeouts} worker timeout(s)"
    if tracebacks:
        first = tracebacks[0]
        summary += "\nfirst traceback:\n" + "\n".join(lines[max(0, first - 1) : first + 40])
    return summary


# -- phases ----------------------------------------------------------------------------------


class Bench:
    """The interviewers, the server and the database of one benchmark run."""

    def __init__(self, tmp: Path, setup: Setup, server_pid: int, port: int) -> None:
        """Start with no interviewers."""
        self.tmp = tmp
        self.setup = setup
        self.server_pid = server_pid
        self.port = port
        self.users: list[Interviewer] = []
        self.access_log = tmp / "access.log"
        self.stop = threading.Event()

    def ensure_users(self, count: int) -> str:
        """Create and sign in interviewers until there are `count`; return what it took."""
        missing = count - len(self.users)
        if missing <= 0:
            return ""
        began = time.perf_counter()
        made = self.setup.add_interviewers(len(self.users), missing)
        new = [
            Interviewer(index, email, session_id, random.Random(index))
            for index, email, session_id in made
        ]
        created = time.perf_counter()
        with ThreadPoolExecutor(LOGIN_THREADS) as pool:
            list(pool.map(lambda user: sign_in(user, self.port), new))
        self.users.extend(new)
        return (
            f"{missing} new interviewer(s) created in {created - began:.1f} s, "
            f"signed in in {time.perf_counter() - created:.1f} s (not measured)"
        )

    def run_phase(self, name: str, count: int, seconds: float, interval: float) -> PhaseResult:
        """Run `count` interviewers saving every `interval` s for `seconds`; check the notes."""
        note = self.ensure_users(count)
        users = self.users[:count]
        stats = PhaseStats()
        start = time.perf_counter() + 1.0  # time to start the threads
        end = start + seconds
        log_start = self.access_log.stat().st_size if self.access_log.exists() else 0

        samples: dict = {}

        async def everyone() -> None:
            tasks = [
                asyncio.create_task(
                    type_and_save(user, stats, start, end, interval, self.stop, self.port)
                )
                for user in users
            ]
            await asyncio.sleep(max(0.0, start - time.perf_counter()))
            samples["before"] = CpuSample.take(self.server_pid)
            await asyncio.gather(*tasks)

        asyncio.run(everyone())
        before = samples["before"]
        after = CpuSample.take(self.server_pid)
        client_cpu, server_cpu, machine_cpu = after.since(before)
        lost, stale, examples = verify_notes(self.tmp / "app.db", users)
        lat = stats.latencies
        server = server_times(self.access_log, log_start)
        return PhaseResult(
            name=name,
            users=count,
            offered=count / interval,
            achieved=stats.saves / seconds,
            saves=stats.saves,
            errors=stats.errors,
            lost=lost,
            stale=stale,
            p50=percentile(lat, 50),
            p95=percentile(lat, 95),
            p99=percentile(lat, 99),
            max=max(lat) if lat else math.nan,
            late_p99=percentile(stats.late, 99),
            server_p50=percentile(server, 50),
            server_p99=percentile(server, 99),
            client_cpu=client_cpu,
            server_cpu=server_cpu,
            machine_cpu=machine_cpu,
            examples=examples,
            note=note,
        )


def print_details(result: PhaseResult) -> None:
    """Print a phase's errors, lost or stale notes and load-generator warnings, if any."""
    if result.note:
        print(f"    {result.note}")
    for message, count in result.errors.most_common(8):
        print(f"    {count:>6} x {message}")
    for example in result.examples:
        print(f"    {example}")
    if result.client_limited:
        print(
            f"    NOTE: achieved {result.achieved:.1f} saves/s of {result.offered:.1f} offered "
            f"({100 * result.achieved / result.offered:.0f}%): saves started up to "
            f"{result.late_p99:.0f} ms late (p99); the server or the load generator "
            "could not keep up"
        )
    if result.client_cpu > 80:
        print(
            f"    NOTE: the load generator used {result.client_cpu:.0f}% of a core (Python "
            "threads share one): its own delays are part of these latencies"
        )
    if result.machine_cpu > 90:
        print(
            f"    NOTE: the machine was {result.machine_cpu:.0f}% busy: the load generator "
            "competes with the server for the same cores"
        )


def print_targets(result: PhaseResult) -> None:
    """Print each target of the main phase with met or MISSED."""
    notes = result.lost + result.stale

    def mark(ok: bool) -> str:
        """Return met or MISSED."""
        return "met" if ok else "MISSED"

    print()
    print(f"{'target':<20}{'measured':>12}  {'goal':<10}result")
    print(f"{'errors':<20}{result.error_count:>12}  {'0':<10}{mark(not result.error_count)}")
    print(f"{'lost/stale notes':<20}{notes:>12}  {'0':<10}{mark(not notes)}")
    p99 = f"{result.p99:.1f} ms"
    goal = f"<{P99_TARGET_MS:.0f} ms"
    print(f"{'p99 latency':<20}{p99:>12}  {goal:<10}{mark(result.p99 < P99_TARGET_MS)}")


def ramp_levels(start_users: int, cap: int) -> list[int]:
    """Return the ramp's interviewer counts: doubling from `start_users` up to the cap."""
    levels = []
    count = start_users
    while count <= cap:
        levels.append(count)
        count *= 2
    return levels


def run(args: argparse.Namespace, tmp: Path, state: dict) -> int:
    """Set up, serve, load and report; return the exit status (0 if the main phase met all)."""
    began = time.perf_counter()
    setup = state["setup"] = Setup(tmp)
    process, port, command = start_server(tmp, args.workers, args.threads)
    state["server"] = process
    shown = " ".join(["gunicorn", *command[3:-1], '"interviewkit:create_app({...})"'])
    print(f"server: {shown}")
    with contextlib.closing(sqlite3.connect(tmp / "app.db")) as con:
        journal = con.execute("PRAGMA journal_mode").fetchone()[0]
    print(
        f"database: SQLite, journal_mode={journal}, synchronous={SYNCHRONOUS}, at "
        f"{tmp / 'app.db'}; {os.cpu_count()} "
        f"cores; setup and start {time.perf_counter() - began:.1f} s"
    )
    print(
        f"load: {args.users} interviewers, one save every {args.interval:g} s each, "
        f"{args.seconds:g} s"
    )
    print(LEGEND, flush=True)
    bench = Bench(tmp, setup, process.pid, port)
    state["bench"] = bench

    size_before = database_bytes(tmp / "app.db")
    main = bench.run_phase("main", args.users, args.seconds, args.interval)
    growth = database_bytes(tmp / "app.db") - size_before
    print()
    print(HEADER)
    print(row(main), flush=True)
    print_details(main)
    print(f"\ntotal saves {main.saves}, {main.achieved:.1f} saves/s")
    from interviewkit.kit.service import KEEP_REVISIONS

    typed = sum(len(u.last_saved.encode()) for u in bench.users[: args.users])
    print(
        f"database growth: {growth / 1024:,.0f} kB in all, "
        f"{growth / max(main.saves, 1):,.0f} bytes per save "
        f"({growth / 1024 / max(main.saves, 1) * 1000:,.0f} kB per 1,000 saves), for "
        f"{typed / 1024:,.0f} kB of notes held at the end (revisions kept per note: "
        f"{KEEP_REVISIONS})"
    )
    print_targets(main)

    if not args.no_ramp:
        print(
            f"\nramp: {args.ramp_seconds:g} s per step, one save every {args.interval:g} s "
            f"each, until p99 >= {P99_TARGET_MS:.0f} ms, errors, lost notes or "
            f"{args.ramp_cap} interviewers",
            flush=True,
        )
        best = main if main.passed else None
        failed: PhaseResult | None = None
        if not main.passed:
            print("  skipped: the main phase already missed a target")
        else:
            print(HEADER, flush=True)
            for count in ramp_levels(max(100, 2 * args.users), args.ramp_cap):
                result = bench.run_phase("ramp", count, args.ramp_seconds, args.interval)
                print(row(result), flush=True)
                print_details(result)
                if not result.passed:
                    failed = result
                    break
                best = result
            if failed is not None and best is not None:
                middle = (best.users + failed.users) // 2
                if best.users < middle < failed.users:
                    result = bench.run_phase("refine", middle, args.ramp_seconds, args.interval)
                    print(row(result), flush=True)
                    print_details(result)
                    if result.passed and result.achieved > best.achieved:
                        best = result
        print()
        if best is None:
            print("highest save rate with p99 < 100 ms and no errors: none (main phase missed)")
        else:
            why = (
                f"next level ({failed.users} interviewers) {failed.verdict()}"
                if failed
                else f"cap of {args.ramp_cap} interviewers reached"
            )
            print(
                f"highest save rate sustained with p99 < {P99_TARGET_MS:.0f} ms and no errors: "
                f"{best.achieved:.1f} saves/s ({best.users} interviewers, p99 "
                f"{best.p99:.1f} ms); {why}"
            )

    if args.floor_seconds > 0:
        # The floor: the same rows committed by plain sqlite3, same pragmas, as many writer
        # processes as the server has workers, in the same run on the same database.
        typical = max((u.last_saved for u in bench.users), key=len, default="") or "note"
        rate, p99 = commit_floor(tmp / "app.db", args.workers, args.floor_seconds, typical)
        best_rate = best.achieved if not args.no_ramp and best else main.achieved
        print(
            f"\nfloor: plain sqlite3, {args.workers} writer processes, one save's rows per "
            f"commit (synchronous={SYNCHRONOUS}), {args.floor_seconds:g} s: {rate:,.0f} "
            f"commits/s, p99 {p99:.1f} ms; the app's best sustained rate is "
            f"{best_rate / rate:.1%} of it"
        )

    print()
    print(server_problems(tmp))
    print(f"total time {time.perf_counter() - began:.0f} s")
    return 0 if main.passed else 1


def _floor_writer(
    db_path: str, cards: list[int], text: str, seconds: float, start: float, synchronous, out
) -> None:
    """Commit the rows of one autosave per transaction, as fast as sqlite3 allows.

    The same statements the app's save makes (read the text and its idempotency record,
    update the text, add a revision, prune old revisions, touch the scorecard), in one
    `BEGIN IMMEDIATE` transaction each, with the app's pragmas. No HTTP, no ORM, no Flask.
    """
    from interviewkit.database import BUSY_TIMEOUT_MS, _pragmas
    from interviewkit.kit.service import KEEP_REVISIONS

    con = sqlite3.connect(db_path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    for pragma in _pragmas({"SQLITE_SYNCHRONOUS": synchronous}):  # the app's own list
        con.execute(pragma)
    while time.time() < start:
        time.sleep(0.001)
    latencies: list[float] = []
    end = start + seconds
    turn = 0
    while time.time() < end:
        card = cards[turn % len(cards)]
        turn += 1
        began = time.perf_counter()
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        save_id = uuid.uuid4().hex
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "SELECT id FROM kit_revisions WHERE scorecard_id = ? AND save_id = ?", (card, save_id)
        ).fetchone()
        row = con.execute(
            "SELECT id, version FROM kit_texts WHERE scorecard_id = ? AND key = 'general'", (card,)
        ).fetchone()
        if row is None:
            cur = con.execute(
                "INSERT INTO kit_texts (scorecard_id, key, text, version, updated_at) "
                "VALUES (?, 'general', '', 0, ?)",
                (card, now),
            )
            row = (cur.lastrowid, 0)
        version = row[1] + 1
        con.execute(
            "UPDATE kit_texts SET text = ?, version = ?, updated_at = ? WHERE id = ?",
            (f"{text} {turn}", version, now, row[0]),
        )
        con.execute(
            "INSERT INTO kit_revisions (scorecard_id, key, version, text, save_id, conflict, "
            "created_at) VALUES (?, 'general', ?, ?, ?, 0, ?)",
            (card, version, f"{text} {turn}", save_id, now),
        )
        if version > KEEP_REVISIONS:
            con.execute(
                "DELETE FROM kit_revisions WHERE scorecard_id = ? AND key = 'general' "
                "AND version <= ?",
                (card, version - KEEP_REVISIONS),
            )
        con.execute("UPDATE scorecards SET updated_at = ? WHERE id = ?", (now, card))
        con.execute("COMMIT")
        latencies.append((time.perf_counter() - began) * 1000)
    con.close()
    out.put(latencies)


def commit_floor(db_path: Path, processes: int, seconds: float, text: str) -> tuple[float, float]:
    """Return (commits per second, p99 ms) of `processes` plain sqlite3 writers.

    Each writer is its own process (like a gunicorn worker) with its own share of the
    benchmark's scorecards, so the floor writes the same rows as the app did.
    """
    import multiprocessing

    with contextlib.closing(sqlite3.connect(db_path)) as con:
        cards = [r[0] for r in con.execute("SELECT id FROM scorecards ORDER BY id")]
    if not cards:
        raise BenchError("the floor found no scorecards to write")
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start = time.time() + 2.0  # every writer connected and waiting before the clock starts
    workers = [
        context.Process(
            target=_floor_writer,
            # SYNCHRONOUS is passed on: a spawned process starts from the module's default
            args=(
                str(db_path),
                cards[i::processes] or cards,
                text,
                seconds,
                start,
                SYNCHRONOUS,
                out,
            ),
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    for _ in workers:
        latencies.extend(out.get(timeout=seconds + 60))
    for worker in workers:
        worker.join()
    return len(latencies) / seconds, percentile(latencies, 99)


def database_bytes(path: Path) -> int:
    """Return the size of the database after moving its WAL into it (what a backup copies)."""
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size + sum(p.stat().st_size for p in (Path(f"{path}-wal"),) if p.exists())


def _interrupted(signum, frame) -> None:
    """Turn SIGTERM into KeyboardInterrupt so the cleanup runs."""
    raise KeyboardInterrupt


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    """Add --threads, shared with bench/web.py."""
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (default 1: sync workers, a new connection per request, as "
        f"behind the shipped nginx site; `serve` alone runs {DEFAULT_THREADS}: gthread)",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="interviewers (default 50)")
    parser.add_argument(
        "--seconds", type=float, default=60, help="length of the main phase (default 60)"
    )
    parser.add_argument(
        "--interval", type=float, default=2.0, help="seconds between saves (default 2)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    add_threads_argument(parser)
    parser.add_argument("--no-ramp", action="store_true", help="skip the ramp phase")
    parser.add_argument(
        "--synchronous",
        choices=("FULL", "NORMAL"),
        default="FULL",
        help="SQLite synchronous setting of the app database (default FULL, as shipped)",
    )
    parser.add_argument(
        "--ramp-seconds", type=float, default=20, help="length of each ramp step (default 20)"
    )
    parser.add_argument(
        "--ramp-cap", type=int, default=1600, help="most interviewers in the ramp (default 1600)"
    )
    parser.add_argument(
        "--floor-seconds",
        type=float,
        default=5,
        help="seconds of plain sqlite3 commits measured as the floor (default 5; 0: none)",
    )
    args = parser.parse_args(argv)
    if min(args.users, args.workers, args.threads, args.ramp_cap) < 1:
        parser.error("--users, --workers, --threads and --ramp-cap must be at least 1")
    if args.seconds <= 0 or args.interval <= 0 or args.ramp_seconds <= 0:
        parser.error("--seconds, --interval and --ramp-seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and always stop the server and remove the temp folder."""
    args = parse_args(argv)
    global SYNCHRONOUS
    SYNCHRONOUS = args.synchronous
    signal.signal(signal.SIGTERM, _interrupted)
    threading.stack_size(512 * 1024)  # up to --ramp-cap threads
    tmp = Path(tempfile.mkdtemp(prefix="interviewkit-autosave-"))
    state: dict = {}
    try:
        return run(args, tmp, state)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(server_problems(tmp), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the server and removing the temp folder", file=sys.stderr)
        return 130
    finally:
        if "bench" in state:
            state["bench"].stop.set()
            for user in state["bench"].users:
                if user.client is not None:
                    user.client.close()
        stop_server(state.get("server"))
        if "setup" in state:
            with contextlib.suppress(Exception):
                state["setup"].close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Build the question bank (instance/bank.db) from content roots, atomically and incrementally.

A load reads and hashes every file, parses and renders only the files whose hash
changed (in worker processes when there are many), lints as it goes, and writes into
a copy of the bank that replaces the live one with a single rename. On any error the
copy is deleted and the bank being served is untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from ..content import parallel, similarity
from ..content.files import ContentFile, discover
from ..content.lint import Entry, build_catalog, check_question, cross_check
from ..content.problems import Problem, blocks_load
from ..content.questions import Question
from ..content.render import Renderer
from .records import QuestionRecord
from .schema import (
    BUILD_RULES,
    FTS_COLUMNS,
    LINK_TABLES,
    QUESTION_COLUMNS,
    SCHEMA_VERSION,
    create_schema,
    encode,
    read_meta,
)

PARALLEL_THRESHOLD = parallel.PARALLEL_THRESHOLD


@dataclass
class LoadResult:
    """What a load did, for the CLI summary."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    questions: int = 0
    seconds: float = 0.0
    build_id: str = ""
    written: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True if nothing keeps the content out of the bank."""
        return not blocks_load(self.problems)

    @property
    def blocking(self) -> list[Problem]:
        """Return the problems that kept the content out of the bank."""
        return [p for p in self.problems if p.blocks_load]


class LoadError(Exception):
    """The content has errors (or placeholders); the bank was left as it was."""


# -- worker side -------------------------------------------------------------------------

_worker_state: dict = {}


def _init_worker(catalog) -> None:
    _worker_state["catalog"] = catalog
    _worker_state["renderer"] = Renderer()


def _process(f: ContentFile):
    """Parse, check and render one question file (runs in a worker or in-process)."""
    question, problems = check_question(f, _worker_state["catalog"])
    row = None
    if question is not None:
        record = question_record(question, f, _worker_state["renderer"].question(question))
        row = encode(record)
    return f.key, (question.id if question else None), row, problems


_SHARED = [f.name for f in dataclasses.fields(QuestionRecord) if f.name in Question.__annotations__]


def question_record(q: Question, f: ContentFile, html: dict) -> QuestionRecord:
    """Return the bank record of a parsed question: its fields, its file, its rendering.

    Fields the record shares with `Question` are copied by name, so a new field needs
    only the parser and the record (and a template to show it).
    """
    exact, sketch = similarity.fingerprint(q.prompt)
    return QuestionRecord(
        **{name: getattr(q, name) for name in _SHARED if name != "path"},
        path=f.rel,
        root=str(f.root),
        root_index=f.root_index,
        source_key=f.key,
        content_hash=f.hash,
        html=html,
        exact=exact,
        sketch=sketch,
        guide_text="\n\n".join(q.guide.values()),
        tags_text=" ".join(q.tags),
    )


# -- writing rows ------------------------------------------------------------------------

_INSERT_SQL = (
    f"INSERT INTO questions ({', '.join(QUESTION_COLUMNS)}) "  # noqa: S608 - our column names
    f"VALUES ({', '.join(':' + c for c in QUESTION_COLUMNS)}) ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in QUESTION_COLUMNS if c != "id")
    + " WHERE excluded.root_index >= questions.root_index"
)


def _insert_question(conn: sqlite3.Connection, row: dict, fresh: bool) -> bool:
    """Insert a question unless a file from a later root already holds its id.

    `fresh` means the bank is being built from empty, so there is nothing to replace.
    """
    cur = conn.execute(_INSERT_SQL, row)
    if not cur.rowcount:
        return False
    qid = row["id"]
    if not fresh:
        _unlink(conn, qid)
    for name, column in LINK_TABLES.items():
        conn.executemany(
            f"INSERT OR IGNORE INTO question_{name} (question_id, {column}) VALUES (?, ?)",  # noqa: S608
            [(qid, v) for v in json.loads(row[name])],
        )
    conn.executemany(
        "INSERT INTO question_sketches (question_id, hash) VALUES (?, ?)",
        [(qid, h) for h in json.loads(row["sketch"])],
    )
    return True


def _unlink(conn: sqlite3.Connection, qid: str) -> None:
    for table in [f"question_{name}" for name in LINK_TABLES] + ["question_sketches"]:
        conn.execute(f"DELETE FROM {table} WHERE question_id = ?", (qid,))  # noqa: S608


def _delete_question(conn: sqlite3.Connection, qid: str) -> None:
    conn.execute("DELETE FROM questions WHERE id = ?", (qid,))
    _unlink(conn, qid)


# -- reading the current bank -------------------------------------------------------------


def _old_state(bank_path: Path) -> dict | None:
    """Return what the current bank knows about its sources, or None if it is unusable."""
    opened = read_meta(bank_path)
    if opened is None:
        return None  # no bank, or a corrupt or foreign file: rebuild from scratch
    meta, conn = opened
    try:
        if meta.get("build_rules") != BUILD_RULES or meta.get("schema_version") != SCHEMA_VERSION:
            return None
        sources = {
            k: (h, q, r)
            for k, h, q, r in conn.execute("SELECT key, hash, qid, root_index FROM sources")
        }
        winners = dict(conn.execute("SELECT id, source_key FROM questions"))
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return {"meta": meta, "sources": sources, "winners": winners}


# -- the load ----------------------------------------------------------------------------


def _signature(files: list[ContentFile]) -> str:
    digest = hashlib.sha256(BUILD_RULES.encode())
    for f in sorted(files, key=lambda f: f.key):
        digest.update(f"{f.key}\0{f.hash}\n".encode())
    return digest.hexdigest()


def load(roots: list, bank_path, *, workers: int | None = None, force: bool = False) -> LoadResult:
    """Build or update the bank at `bank_path` from the content roots; see the module doc."""
    started = time.perf_counter()
    bank_path = Path(bank_path)
    result = LoadResult()

    refused: list[Problem] = []
    files = [f.read() for f in discover([Path(r) for r in roots], refused)]
    result.problems.extend(refused)
    rubric_files = [f for f in files if f.kind != "question"]
    question_files = [f for f in files if f.kind == "question"]
    catalog, problems = build_catalog(rubric_files)
    result.problems.extend(problems)
    signature = _signature(files)
    old = None if force else _old_state(bank_path)
    if old is not None and old["meta"].get("rubrics") != _signature(rubric_files):
        old = None  # a rubric changed: every question's references must be checked again
    if old is not None and old["meta"].get("signature") == signature and result.ok:
        result.unchanged = len(question_files)
        result.questions = len(old["winners"])
        result.build_id = old["meta"]["build_id"]
        result.seconds = time.perf_counter() - started
        return result
    if not result.ok:
        raise LoadError(result)

    old_sources = old["sources"] if old else {}
    current = {f.key: f for f in question_files}
    unchanged = {k for k, f in current.items() if k in old_sources and old_sources[k][0] == f.hash}
    removed = [k for k in old_sources if k not in current and old_sources[k][0] is not None]
    to_parse = [f for k, f in current.items() if k not in unchanged]
    result.added = sum(1 for f in to_parse if f.key not in old_sources)
    result.changed = len(to_parse) - result.added
    result.removed = len(removed)
    result.unchanged = len(unchanged)

    bank_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=bank_path.parent, prefix=f".{bank_path.name}-", suffix=".tmp"
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if old is not None:
            shutil.copyfile(bank_path, tmp)
        else:
            tmp.unlink()
        db = sqlite_utils.Database(tmp)
        conn = db.conn
        conn.execute("PRAGMA journal_mode = OFF" if old is None else "PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = OFF")
        if old is None:
            create_schema(db)
        with conn:
            qids = {k: old_sources[k][1] for k in unchanged}
            stale = {k for k in old_sources if k not in unchanged}
            for qid, key in old["winners"].items() if old else ():
                if key in stale:
                    _delete_question(conn, qid)
            for key in removed:
                conn.execute("DELETE FROM sources WHERE key = ?", (key,))
            parsed_problems = _parse_into(conn, to_parse, catalog, workers, qids, old is None)
            # A file shadowed by another root's file of the same id resurfaces when that file
            # goes away or changes its id: parse it now so the bank serves it again.
            have = {r[0] for r in conn.execute("SELECT id FROM questions")}
            orphans = [current[k] for k in sorted(unchanged) if qids[k] not in have]
            if orphans:
                parsed_problems += _parse_into(conn, orphans, catalog, workers, qids, False)
            result.problems.extend(parsed_problems)
            if result.ok:
                result.problems.extend(_cross_check(conn, current, qids, to_parse, old is None))
            if not result.ok:
                raise LoadError(result)
            if old is None:
                _write_catalog(db, catalog)
            built_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            result.build_id = signature[:12]
            db["meta"].upsert_all(
                [
                    {"key": "schema_version", "value": SCHEMA_VERSION},
                    {"key": "build_rules", "value": BUILD_RULES},
                    {"key": "signature", "value": signature},
                    {"key": "rubrics", "value": _signature(rubric_files)},
                    {"key": "build_id", "value": result.build_id},
                    {"key": "built_at", "value": built_at},
                    {"key": "roots", "value": json.dumps([str(Path(r).resolve()) for r in roots])},
                ],
                pk="key",
            )
        if old is None:
            db["questions"].enable_fts(FTS_COLUMNS, tokenize="porter", create_triggers=True)
            conn.execute("ANALYZE")
        result.questions = conn.execute("SELECT count(*) FROM questions").fetchone()[0]
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)  # private like everything in the instance folder
        os.replace(tmp, bank_path)
        result.written = True
    finally:
        if tmp.exists():
            tmp.unlink()
    result.seconds = time.perf_counter() - started
    return result


def _parse_into(conn, files, catalog, workers, qids, fresh) -> list[Problem]:
    """Parse files and insert their rows; record each file's id in `qids` and `sources`."""
    problems: list[Problem] = []
    by_key = {f.key: f for f in files}
    for key, qid, row, file_problems in parallel.run(
        _process, files, _init_worker, (catalog,), workers, PARALLEL_THRESHOLD
    ):
        problems.extend(file_problems)
        f = by_key[key]
        qids[key] = qid
        conn.execute(
            "INSERT OR REPLACE INTO sources (key, root_index, rel, kind, hash, qid) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, f.root_index, f.rel, f.kind, f.hash, qid),
        )
        if row is not None and not blocks_load(problems):
            _insert_question(conn, row, fresh)
    return problems


def _cross_check(conn, current, qids, parsed, full) -> list[Problem]:
    """Check duplicate ids and prompts against the bank being built.

    A full build compares every question. An incremental one compares only the parsed
    files with the questions that share an exact-prompt hash or a sketch hash with them,
    found through the bank's indexes, so it does not read every prompt again.
    """
    select = "SELECT source_key, id, line, exact, sketch FROM questions"
    if full or len(parsed) > 1000:  # many changes: reading everything is simpler and as fast
        rows = conn.execute(select).fetchall()
    else:
        keys = [f.key for f in parsed]
        marks = ",".join("?" * len(keys))
        mine = conn.execute(f"{select} WHERE source_key IN ({marks})", keys).fetchall()  # noqa: S608
        hashes = sorted({h for row in mine for h in json.loads(row[4])})
        exacts = sorted({row[3] for row in mine if row[3]})
        # Indexed lookups joined by UNION (an OR across them would scan the table). Like the
        # full check, a sketch hash shared by more than COMMON prompts is boilerplate and
        # proposes no candidates.
        rare = (
            "SELECT hash FROM question_sketches WHERE hash IN "  # noqa: S608
            f"({','.join('?' * len(hashes))}) GROUP BY hash HAVING count(*) <= {similarity.COMMON}"
        )
        candidates = (
            f"SELECT question_id FROM question_sketches WHERE hash IN ({rare})"  # noqa: S608
            f" UNION SELECT id FROM questions WHERE exact IN ({','.join('?' * len(exacts))})"
        )
        rows = (
            mine
            + conn.execute(
                f"{select} WHERE id IN ({candidates})",  # noqa: S608 - placeholders only
                hashes + exacts,
            ).fetchall()
        )
    stored = {
        key: Entry(qid, line, exact, json.loads(sketch)) for key, qid, line, exact, sketch in rows
    }
    entries = [
        (current[k], stored.get(k) or Entry(qid, 1, "", []))
        for k, qid in qids.items()
        if qid is not None and k in current
    ]
    focus = None if full else {f.key for f in parsed}

    def prompt_of(key: str) -> str:
        row = conn.execute("SELECT prompt FROM questions WHERE source_key = ?", (key,)).fetchone()
        return row[0] if row else ""

    return [p for p in cross_check(entries, focus, prompt_of) if p.severity == "error"]


def _write_catalog(db: sqlite_utils.Database, catalog) -> None:
    renderer = Renderer()
    db["scales"].insert_all(
        {
            "id": s.id,
            "title": s.title,
            "points": json.dumps(s.points),
            "html": renderer.html(s.body),
        }
        for s in catalog.scales.values()
    )
    db["competencies"].insert_all(
        {
            "id": c.id,
            "title": c.title,
            "covers": c.covers,
            "strong": c.strong,
            "covers_html": renderer.html(c.covers),
            "strong_html": renderer.html(c.strong),
        }
        for c in catalog.competencies.values()
    )
    db["loop_templates"].insert_all(
        {
            "id": t.id,
            "title": t.title,
            "role": t.role,
            "level": t.level,
            "scale": t.scale,
            "sessions": json.dumps(t.sessions),
            "html": renderer.html(t.body),
            "weights": json.dumps(t.weights),
        }
        for t in catalog.loops.values()
    )
    db["topics"].insert_all({"id": k, "title": v} for k, v in catalog.topics.items())

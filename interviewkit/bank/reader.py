"""Read the question bank through the app's read-only `bank` bind, as typed rows.

The bank is a separate SQLite file built by `interviewkit load` (`bank.writer`); nothing
here writes to it and nothing joins it with the app database. Before the first read of
each bank file the reader checks its layout version (`schema.check_version`).

No Flask here: the app keeps one `BankReader` per bank path and hands it to views as
`extensions.bank`.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from .records import SNAPSHOT_FIELDS, BankQuestion, QuestionRecord
from .schema import BankMismatch, check_version, decode, read_meta

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_HIT_START, _HIT_END = "\x02", "\x03"


class BankUnavailable(Exception):
    """The bank has not been built yet, cannot be opened, or has another layout.

    The message says what to do; the pages answer 503 with it.
    """


@dataclass
class Hit:
    """One search result."""

    id: str
    title: str
    kind: str
    topic: str
    minutes: int
    levels: list[str]
    competencies: list[str]
    snippet: Markup


SEARCHES_KEPT = 256  # distinct searches whose answers a process keeps per bank file
NOT_BUILT = "The question bank is not built yet: run `interviewkit load` to build it."


def bank_info(bank_path) -> dict | None:
    """Return the bank's build id, build time and question count, or None if there is none."""
    opened = read_meta(Path(bank_path))
    if opened is None:
        return None
    meta, conn = opened
    try:
        count = conn.execute("SELECT count(*) FROM questions WHERE retired = 0").fetchone()[0]
    except Exception:  # noqa: BLE001 - a file that is not a whole bank is no bank
        return None
    finally:
        conn.close()
    return {
        "build_id": meta.get("build_id"),
        "built_at": meta.get("built_at"),
        "questions": count,
        "schema_version": meta.get("schema_version"),
    }


def fts_query(query: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word, as a prefix."""
    return " ".join(f'"{t}"*' for t in _TOKEN_RE.findall(query))


def _snippet(raw: str | None) -> Markup:
    html = escape(raw or "")
    # Safe: the text is escaped first; only our own markers become <mark> tags.
    return Markup(str(html).replace(_HIT_START, "<mark>").replace(_HIT_END, "</mark>"))  # noqa: S704


def _loop_template(row: dict) -> dict:
    row["sessions"] = json.loads(row["sessions"])
    if row.get("weights"):
        row["weights"] = json.loads(row["weights"])
    else:  # a bank built before weights existed: every competency weighs 1
        asked = (c for s in row["sessions"] for c in s["competencies"])
        row["weights"] = dict.fromkeys(asked, 1)
    return row


class BankReader:
    """Read one bank file (read-only); every method raises BankUnavailable if it cannot.

    A connection per use (no pool), so a load that renames a new file over the bank is
    seen by the next read; `mode=ro` makes the file read-only at the SQLite level.

    A bank file never changes once built (a load writes a new file and renames it over
    the old one), so what every page reads whole (the assembler's view of every question,
    loop templates, competency titles, the search filters) is read once per bank file and
    worker process and kept (`remember`); a new file (inode, mtime, size) forgets it all.
    """

    def __init__(self, path) -> None:
        self.path = Path(path)
        self.engine = create_engine(
            f"sqlite:///file:{self.path}?mode=ro&uri=true", poolclass=NullPool
        )
        self._checked: tuple | None = None  # (inode, mtime, size) of the file last checked
        self._memo: dict[str, object] = {}
        self._memo_file: tuple | None = None  # the file `_memo` was read from

    def _rows(self, sql: str, **params):
        self._check_bank()
        try:
            with self.engine.connect() as conn:
                return conn.execute(text(sql), params).mappings().all()
        except OperationalError as exc:
            raise BankUnavailable(NOT_BUILT) from exc

    def _check_bank(self) -> None:
        """Raise BankUnavailable unless the file is a bank of the layout this version reads.

        Checked once per bank file (a load replaces the file, so a new inode, mtime or size
        is a new bank), not on every query.
        """
        try:
            stat = os.stat(self.path)
        except OSError:
            raise BankUnavailable(NOT_BUILT) from None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._checked == key:
            return
        opened = read_meta(self.path)
        if opened is None:
            raise BankUnavailable(NOT_BUILT)
        meta, conn = opened
        conn.close()
        try:
            check_version(meta, self.path)
        except BankMismatch as exc:
            raise BankUnavailable(str(exc)) from exc
        self._checked = key

    def remember(self, name: str, compute: Callable[[], object]):
        """Return `compute()` as computed once for this bank file (by this process).

        For values that depend on the bank alone; callers must not change what they get.
        """
        self._check_bank()
        if self._memo_file != self._checked:
            self._memo, self._memo_file = {}, self._checked
        try:
            return self._memo[name]
        except KeyError:
            value = self._memo[name] = compute()
            return value

    def search(
        self,
        query: str = "",
        *,
        competency: str = "",
        level: str = "",
        kind: str = "",
        tag: str = "",
        limit: int = 50,
    ) -> list[Hit]:
        """Return questions matching the words and filters, best match first.

        Answers are kept per bank file (the last SEARCHES_KEPT distinct searches, by this
        process): a bank never changes once built, and ranking a common word's thousands
        of matches costs tens of milliseconds on a large bank.
        """
        cached = self.remember("searches", lambda: lru_cache(maxsize=SEARCHES_KEPT)(self._search))
        return list(cached(query, competency, level, kind, tag, limit))

    def _search(
        self, query: str, competency: str, level: str, kind: str, tag: str, limit: int
    ) -> tuple[Hit, ...]:
        where, params = ["q.retired = 0"], {"limit": limit}
        if competency:
            where.append(
                "q.id IN (SELECT question_id FROM question_competencies WHERE competency = :c)"
            )
            params["c"] = competency
        if level:
            where.append("q.id IN (SELECT question_id FROM question_levels WHERE level = :l)")
            params["l"] = level
        if tag:
            where.append("q.id IN (SELECT question_id FROM question_tags WHERE tag = :t)")
            params["t"] = tag
        if kind:
            where.append("q.kind = :k")
            params["k"] = kind
        match = fts_query(query)
        if match:
            params["m"] = match
            # Only fixed SQL fragments are joined here; every value is a bound parameter.
            sql = (
                "SELECT q.id, q.title, q.kind, q.topic, q.minutes, q.levels, q.competencies, "
                f"snippet(questions_fts, -1, '{_HIT_START}', '{_HIT_END}', ' … ', 14) AS snip "
                "FROM questions_fts JOIN questions q ON q.rowid = questions_fts.rowid "
                f"WHERE questions_fts MATCH :m AND {' AND '.join(where)} "
                "ORDER BY bm25(questions_fts, 10.0, 3.0, 1.0, 2.0) LIMIT :limit"
            )
        else:
            # Only fixed SQL fragments are joined here; every value is a bound parameter.
            sql = (
                "SELECT q.id, q.title, q.kind, q.topic, q.minutes, q.levels, q.competencies, "
                "substr(q.prompt, 1, 180) AS snip FROM questions q "
                f"WHERE {' AND '.join(where)} ORDER BY q.topic, q.title LIMIT :limit"
            )
        return tuple(
            Hit(
                r["id"],
                r["title"],
                r["kind"],
                r["topic"],
                r["minutes"],
                json.loads(r["levels"]),
                json.loads(r["competencies"]),
                _snippet(r["snip"]),
            )
            for r in self._rows(sql, **params)
        )

    def facets(self) -> dict[str, list]:
        """Return the values the filters offer: competencies, levels, kinds, tags, topics."""
        return self.remember("facets", self._facets)

    def _facets(self) -> dict[str, list]:
        return {
            "competencies": self._rows("SELECT id, title FROM competencies ORDER BY title"),
            "kinds": [
                r["kind"] for r in self._rows("SELECT DISTINCT kind FROM questions ORDER BY kind")
            ],
            "tags": [
                r["tag"] for r in self._rows("SELECT DISTINCT tag FROM question_tags ORDER BY tag")
            ],
        }

    def get_question(self, question_id: str) -> QuestionRecord | None:
        """Return one question with its rendered sections, or None."""
        rows = self._rows("SELECT * FROM questions WHERE id = :id", id=question_id)
        return decode(rows[0]) if rows else None

    def competency_titles(self, missing_ok: bool = False) -> dict[str, str]:
        """Return competency id -> title (empty without a bank if `missing_ok`)."""
        try:
            return dict(self.remember("competency_titles", self._competency_titles))
        except BankUnavailable:
            if missing_ok:
                return {}
            raise

    def _competency_titles(self) -> dict[str, str]:
        return {r["id"]: r["title"] for r in self._rows("SELECT id, title FROM competencies")}

    def loop_templates(self) -> list[dict]:
        """Return every loop template with its sessions and its competency weights.

        `weights` maps every competency the sessions ask for to its weight on the debrief
        (1 unless the template's `weights:` says otherwise).
        """
        # a deep copy: callers get dicts and lists of their own
        return copy.deepcopy(self.remember("loop_templates", self._loop_templates))

    def _loop_templates(self) -> list[dict]:
        rows = self._rows("SELECT * FROM loop_templates ORDER BY level, title")
        return [_loop_template(dict(r)) for r in rows]

    def loop_template(self, template_id: str) -> dict | None:
        """Return one loop template, or None."""
        return next((t for t in self.loop_templates() if t["id"] == template_id), None)

    def bank_questions(self) -> list[BankQuestion]:
        """Return every question as the loop assembler sees it (frozen values)."""
        return list(self.remember("bank_questions", self._bank_questions))

    def _bank_questions(self) -> list[BankQuestion]:
        rows = self._rows(
            "SELECT id, title, minutes, competencies, levels, retired, kind, languages "
            "FROM questions"
        )
        return [
            BankQuestion(
                r["id"],
                r["title"],
                r["minutes"],
                tuple(json.loads(r["competencies"])),
                tuple(json.loads(r["levels"])),
                bool(r["retired"]),
                r["kind"],
                tuple(json.loads(r["languages"])),
            )
            for r in rows
        ]

    def build_id(self) -> str:
        """Return the bank's build id."""
        return self.remember("build_id", self._build_id)

    def _build_id(self) -> str:
        rows = self._rows("SELECT value FROM meta WHERE key = 'build_id'")
        return rows[0]["value"] if rows else ""

    def snapshot(self, question_id: str, bank_build: str | None = None) -> tuple[str, dict] | None:
        """Return (content hash, the question as it will be asked), or None if not in the bank."""
        q = self.get_question(question_id)
        if q is None:
            return None
        kept = {name: getattr(q, name) for name in SNAPSHOT_FIELDS}
        kept["bank_build"] = bank_build if bank_build is not None else self.build_id()
        return q.content_hash, kept

"""The layout of bank.db: its tables, their version, and reading its meta table.

The `questions` table is derived from `records.QuestionRecord`: a str or int field is a
column of that type, a bool an integer, a list or dict a JSON text column. `encode` and
`decode` are the only places a question crosses between the record and a row.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import sys
import typing
from pathlib import Path

import sqlite_utils

from .records import QuestionRecord

# The layout of the tables. Bump it when a table or column changes: the reader refuses a
# bank of another layout ("run interviewkit load") and the writer rebuilds it from
# scratch. (6: the layout version is checked by the reader; 7: hands-on starters.)
SCHEMA_VERSION = "7"
# What the writer's incremental load must match to reuse an old bank: the layout, the
# rules about what may enter the bank (bump the suffix when one changes), and the Python
# version, because prompt sketches use the tuple hash, which may change between versions.
BUILD_RULES = f"{SCHEMA_VERSION}.1-py{sys.version_info[0]}.{sys.version_info[1]}"
FTS_COLUMNS = ["title", "prompt", "guide_text", "tags_text"]
# question field -> (link table, its value column): one row per value, for the filters
LINK_TABLES = {"competencies": "competency", "levels": "level", "tags": "tag"}


class BankMismatch(Exception):
    """The bank was built with another layout than this version of interviewkit reads."""


def _column_type(annotation) -> type:
    origin = typing.get_origin(annotation) or annotation
    if origin in (list, dict):
        return str  # JSON text
    if origin is bool:
        return int
    return origin


_HINTS = typing.get_type_hints(QuestionRecord)
QUESTION_COLUMNS: dict[str, type] = {
    f.name: _column_type(_HINTS[f.name]) for f in dataclasses.fields(QuestionRecord)
}
JSON_FIELDS = frozenset(
    name for name, hint in _HINTS.items() if (typing.get_origin(hint) or hint) in (list, dict)
)


def encode(record: QuestionRecord) -> dict:
    """Return a record as a `questions` row: JSON text for lists and dicts, 0/1 for bools."""
    row = dataclasses.asdict(record)
    for name in JSON_FIELDS:
        row[name] = json.dumps(row[name])
    row["retired"] = int(row["retired"])
    return row


def decode(row: typing.Mapping) -> QuestionRecord:
    """Return a `questions` row (every column) as a record."""
    values = {name: row[name] for name in QUESTION_COLUMNS}
    for name in JSON_FIELDS:
        values[name] = json.loads(values[name])
    values["retired"] = bool(values["retired"])
    return QuestionRecord(**values)


def create_schema(db: sqlite_utils.Database) -> None:
    """Create the bank's tables in an empty database."""
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["sources"].create(
        {"key": str, "root_index": int, "rel": str, "kind": str, "hash": str, "qid": str}, pk="key"
    )
    db["questions"].create(QUESTION_COLUMNS, pk="id")
    db["questions"].create_index(["source_key"], unique=True)
    db["questions"].create_index(["exact"])
    db["question_sketches"].create({"question_id": str, "hash": int})
    db["question_sketches"].create_index(["hash"])
    db["question_sketches"].create_index(["question_id"])
    for field, column in LINK_TABLES.items():
        name = f"question_{field}"
        db[name].create({"question_id": str, column: str}, pk=("question_id", column))
        db[name].create_index([column, "question_id"])
    db["scales"].create({"id": str, "title": str, "points": str, "html": str}, pk="id")
    db["competencies"].create(
        {
            "id": str,
            "title": str,
            "covers": str,
            "strong": str,
            "covers_html": str,
            "strong_html": str,
        },
        pk="id",
    )
    db["loop_templates"].create(
        {
            "id": str,
            "title": str,
            "role": str,
            "level": str,
            "scale": str,
            "sessions": str,
            "html": str,
            "weights": str,  # JSON: every competency the sessions ask for -> its weight
        },
        pk="id",
    )
    db["topics"].create({"id": str, "title": str}, pk="id")


def read_meta(path: Path) -> tuple[dict[str, str], sqlite3.Connection] | None:
    """Open bank.db read-only; return (its meta table, the open connection) or None.

    None when there is no file, or it is not a bank (corrupt, or foreign). The caller
    closes the connection.
    """
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT key, value FROM meta")), conn
    except sqlite3.DatabaseError:
        conn.close()
        return None


def check_version(meta: dict[str, str], path) -> None:
    """Raise BankMismatch, saying what to run, unless the bank has this layout."""
    found = meta.get("schema_version")
    if found != SCHEMA_VERSION:
        raise BankMismatch(
            f"{path} was built by another version of interviewkit (bank layout "
            f"{found or 'unknown'}, this version reads {SCHEMA_VERSION}): "
            "run `interviewkit load` to rebuild it."
        )

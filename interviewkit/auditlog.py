"""The audit log as admins read it: filters, pages, CSV, and details without free text.

Entries are written by `models.audit` where each change happens; this module only reads
them, and decides what of an entry's detail may be shown: ids, outcomes, roles and
other short facts, never what someone wrote (notes, evidence, reasons, a prep note),
a password or a token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from .extensions import db
from .models import AuditEvent, User

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000

# Keys whose values are what someone wrote, or a secret: never shown or exported.
TEXT_KEYS = frozenset(
    {
        "before",
        "after",
        "text",
        "note",
        "notes",
        "prep_note",
        "rationale",
        "reason_text",
        "change_reason",
        "evidence",
        "secret",
        "token",
        "body",
        "message",
    }
)
# `password` says how a password was set ("set", "link"), never the password itself.
SAFE_WORDS = {"password": {"set", "link"}}
MAX_VALUE = 200  # a longer string is free text, whatever its key

EXPORT_COLUMNS = ("id", "at", "actor_id", "actor", "action", "target_type", "target_id", "detail")


def safe_detail(detail: dict | None) -> dict:
    """Return an entry's detail without free text, passwords or tokens."""
    out = {}
    for key, value in (detail or {}).items():
        if key in TEXT_KEYS or key.startswith("evidence:"):
            continue
        if key in SAFE_WORDS and value not in SAFE_WORDS[key]:
            continue
        if _has_long_text(value):
            continue
        out[key] = value
    return out


def _has_long_text(value) -> bool:
    if isinstance(value, str):
        return len(value) > MAX_VALUE
    if isinstance(value, list | tuple):
        return any(_has_long_text(v) for v in value)
    if isinstance(value, dict):
        return any(_has_long_text(v) for v in value.values())
    return False


def email_hash(email: str) -> str:
    """Return the short hash that stands for an email in a failed sign-in entry."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def failed_login(email: str, user: User | None, **detail) -> None:
    """Add an audit entry for a failed sign-in: the user's id if known, else the email's hash.

    `detail` holds short facts (how, through which provider, why), never a password or a
    token. With neither a user nor an email (a provider's token that was not valid), the
    target is the sign-in itself.
    """
    if user is not None:
        target = ("user", str(user.id))
    elif email:
        target = ("email", email_hash(email))
    else:
        target = ("sign_in", str(detail.get("provider", "")))
    db.session.add(
        AuditEvent(
            actor_id=None,
            action="login_failed",
            target_type=target[0],
            target_id=target[1],
            detail=detail,
        )
    )


@dataclass
class Filters:
    """What the audit log page is narrowed to; empty fields mean everything."""

    action: str = ""
    actor: int | None = None
    since: date | None = None
    until: date | None = None
    target_type: str = ""
    target_id: str = ""

    def query(self):
        """Return the select of matching entries, newest first."""
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.actor is not None:
            query = query.where(AuditEvent.actor_id == self.actor)
        if self.since is not None:
            query = query.where(AuditEvent.at >= datetime.combine(self.since, time()))
        if self.until is not None:
            end = datetime.combine(self.until + timedelta(days=1), time())
            query = query.where(AuditEvent.at < end)
        if self.target_type:
            query = query.where(AuditEvent.target_type == self.target_type)
        if self.target_id:
            query = query.where(AuditEvent.target_id == self.target_id)
        return query


@dataclass
class Entry:
    """One audit entry as shown: who (by name), what, on what, and its safe detail."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: dict


def _entries(events: list[AuditEvent]) -> list[Entry]:
    ids = {e.actor_id for e in events if e.actor_id is not None}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return [
        Entry(
            e.id,
            e.at,
            e.actor_id,
            names.get(e.actor_id, "") if e.actor_id is not None else "",
            e.action,
            e.target_type,
            e.target_id,
            safe_detail(e.detail),
        )
        for e in events
    ]


def page_of(filters: Filters, page: int) -> tuple[list[Entry], int, int]:
    """Return one page of matching entries, the page number and the number of pages."""
    total = db.session.scalar(select(func.count()).select_from(filters.query().subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = db.session.scalars(
        filters.query().limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return _entries(list(events)), page, pages


def export_rows(filters: Filters) -> list[tuple]:
    """Return every matching entry (up to EXPORT_LIMIT) as rows in EXPORT_COLUMNS order."""
    import json

    events = db.session.scalars(filters.query().limit(EXPORT_LIMIT)).all()
    return [
        (
            e.id,
            e.at.isoformat(timespec="seconds"),
            e.actor_id,
            e.actor,
            e.action,
            e.target_type,
            e.target_id,
            json.dumps(e.detail, sort_keys=True, default=str),
        )
        for e in _entries(list(events))
    ]


def choices() -> tuple[list[str], list[tuple[int, str]], list[str]]:
    """Return the actions, actors (id, name) and target types the log holds, for filters."""
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by("action")).all()
    actors = db.session.execute(
        select(User.id, User.name)
        .where(User.id.in_(select(AuditEvent.actor_id).distinct()))
        .order_by(User.name)
    ).all()
    types = db.session.scalars(
        select(AuditEvent.target_type).distinct().order_by("target_type")
    ).all()
    return list(actions), [(i, n) for i, n in actors], list(types)

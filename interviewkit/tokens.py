"""Personal API tokens: create (shown once), find by the bearer value, list and revoke.

A token is `ik_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256
is stored, with its first characters to recognise it in a list; a lost token cannot be
shown again, only revoked and replaced. The same functions serve the account page and
`interviewkit token`, and add to the database session without committing (the view or
command commits, with the audit entry).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .database import MAX_DB_ID
from .extensions import db
from .models import ApiToken, IdempotentRequest, User, audit, utcnow
from .text import problem
from .vocabulary import TOKEN_SCOPES, Role, TokenScope

PREFIX = "ik_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_NAME = 80
# Writing last_used_at on every request would make each API read a write; once a minute
# is enough to tell a user which token a script still uses.
LAST_USED_EVERY = timedelta(minutes=1)


class TokenError(Exception):
    """A token cannot be made as asked; the message says what to fix, `field` where."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewToken:
    """A token just made: the stored row and the secret, which is never shown again."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    user: User, name: str, scope: str = TokenScope.READ, days: int = DEFAULT_DAYS
) -> NewToken:
    """Make a token for `user`; raise TokenError if the name, scope or lifetime is wrong."""
    name = (name or "").strip()
    if not name:
        raise TokenError("give the token a name, e.g. what script will use it", "name")
    reason = problem(name, multiline=False)
    if reason:
        raise TokenError(f"the name {reason}", "name")
    if len(name) > MAX_NAME:
        raise TokenError(f"the name is {len(name)} characters: use {MAX_NAME} or fewer", "name")
    if scope not in TOKEN_SCOPES:
        raise TokenError(f"the scope is {scope!r}: use one of {', '.join(TOKEN_SCOPES)}", "scope")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise TokenError(f"a token lasts 1 to {MAX_DAYS} days, not {days!r}", "days")
    if not user.active:
        raise TokenError(f"{user.email} is disabled: enable the account first")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[: len(PREFIX) + 6],
        scope=str(scope),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit(user, "token.create", token, name=name, scope=str(scope), days=days)
    return NewToken(token, secret)


def find_token(secret: str, now: datetime | None = None) -> ApiToken | None:
    """Return the active token with this secret (its user active too), or None.

    Marks it used (at most once a minute, see LAST_USED_EVERY); the caller commits.
    """
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    now = now or utcnow()
    token = db.session.execute(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(secret))
        .options(joinedload(ApiToken.user))
    ).scalar_one_or_none()
    if token is None or token.state(now) != "active" or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """Return a user's tokens, newest first, revoked and expired ones included."""
    return list(
        db.session.execute(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        ).scalars()
    )


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens (an admin may revoke anyone's); TokenError if not."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_DB_ID else None
    if token is None or (token.user_id != actor.id and not actor.has_role(Role.ADMIN)):
        raise TokenError(f"there is no token {token_id} of yours")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit(actor, "token.revoke", token, name=token.name, owner=token.user_id)
    return token


ONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def create_token_once(
    user: User, name: str, scope: str, days: int, once: str | None
) -> NewToken | None:
    """Create a token from the tokens page, once per rendered form; None if already done.

    `once` is the form's random hidden value: a browser reload that posts the same form
    again finds it recorded (in `idempotent_requests`, beside the API's keys) and creates
    no second token. The secret itself is never stored, so it cannot be shown again.
    """
    key = f"tokens-page:{once}" if once and ONCE_RE.match(once) else None
    if (
        key is not None
        and db.session.execute(
            select(IdempotentRequest.id).where(
                IdempotentRequest.user_id == user.id, IdempotentRequest.key == key
            )
        ).first()
    ):
        return None
    new = create_token(user, name, scope, days)
    if key is not None:
        db.session.add(
            IdempotentRequest(
                user_id=user.id,
                key=key,
                fingerprint=hashlib.sha256(key.encode()).hexdigest(),
                status=201,
                body="{}",
            )
        )
    return new

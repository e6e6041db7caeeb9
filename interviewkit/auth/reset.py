"""Setting a password without the old one: one-time set-password links and the change itself.

A link carries a token signed with the app's secret key (no table): the user's id and a
fingerprint of their current password hash. Setting a password changes the hash, so a
link works once; it also stops working after SET_PASSWORD_LINK_HOURS, and when anyone
changes that password in another way first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from ..models import User, audit, revoke_login_sessions
from ..passwords import hash_password

LINK_SALT = "interviewkit set-password link"
MIN_PASSWORD = 12  # characters; the same rule for every way a password is set
MAX_PASSWORD = 1024
# A hash that check_password_hash never matches: the account has no password yet.
UNUSABLE_PREFIX = "!no-password$"


class LinkError(Exception):
    """A set-password link cannot be used; the message says why and what to do."""


def unusable_password_hash() -> str:
    """Return a password hash that no password matches (unique, so each link differs)."""
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def has_password(user: User) -> bool:
    """Return True if the user has a password they can sign in with."""
    return not user.password_hash.startswith(UNUSABLE_PREFIX)


def password_fingerprint(user: User) -> str:
    """Return a short digest of the user's password hash; it changes with the password."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def link_hours() -> int:
    """Return how many hours a set-password link stays valid."""
    return int(current_app.config["SET_PASSWORD_LINK_HOURS"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=LINK_SALT)


def make_link_token(user: User) -> str:
    """Return the token of a one-time set-password link for a user."""
    return _serializer().dumps({"u": user.id, "p": password_fingerprint(user)})


def user_for_link_token(token: str) -> User:
    """Return the user a set-password token was made for; raise LinkError if it is unusable."""
    ask = "Ask an admin for a new link."
    try:
        data = _serializer().loads(token, max_age=link_hours() * 3600)
    except SignatureExpired:
        raise LinkError(f"This link has expired (links last {link_hours()} hours). {ask}") from None
    except BadSignature:
        raise LinkError(f"This link is not valid: check it was copied whole. {ask}") from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active:
        raise LinkError(f"This link is for an account that is disabled or deleted. {ask}")
    if not hmac.compare_digest(str(data.get("p")), password_fingerprint(user)):
        raise LinkError(f"This link has already been used, or the password changed since. {ask}")
    return user


def set_password(
    user: User, password: str, actor: User | None, via: str, action: str = "password_set"
) -> None:
    """Set a user's password, sign them out everywhere and audit it (the caller commits)."""
    user.password_hash = hash_password(password)
    revoke_login_sessions(user)
    audit(actor, action, user, via=via)

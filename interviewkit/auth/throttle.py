"""Sign-in throttling: only failed sign-ins count, per account, per address and per browser.

Why this design (docs/security.md explains it for admins):

- Only failures count. A good sign-in costs nothing, so an office behind one address
  shares an allowance of mistakes, not of sign-ins.
- Every limit is checked *before* the password, and a blocked attempt gets 429 even with
  the right password. A limit that a correct password passes is no limit at all: an
  attacker looks for the success, not for the 429s, and would keep guessing.
- The per-account limit (LOGIN_RATE_LIMIT) stops guessing one account from many
  addresses; the per-address limit (LOGIN_ADDRESS_RATE_LIMIT) stops one address trying
  a few passwords on many accounts. A known user is not locked out by either: a browser
  that has signed in to an account before holds a signed device cookie (OWASP's "device
  cookie" defence), and its attempts for that account count only against that browser.
  Someone guessing the lead's password, or colleagues mistyping at the same office,
  never block the lead's own browser. Only a browser new to the account waits out the
  window while an attack goes on.
- Counters live in Flask-Limiter's storage (Redis when configured), under
  RATELIMIT_KEY_PREFIX, so every server process shares them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many

from ..extensions import limiter
from ..models import User
from .reset import password_fingerprint

DEVICE_COOKIE = "ik_device"
DEVICE_SALT = "interviewkit sign-in device"
DEVICE_LIFETIME = timedelta(days=180)


@dataclass
class Buckets:
    """The failure counters one sign-in attempt is checked against and charged to."""

    entries: list[tuple[list[RateLimitItem], tuple[str, ...]]] = field(default_factory=list)
    device: str | None = None  # the nonce of a trusted device cookie, if any

    def blocked(self) -> bool:
        """Return True if any counter has no failure left in its window."""
        if not _enabled():
            return False
        return any(
            not limiter.limiter.test(item, *key) for items, key in self.entries for item in items
        )

    def fail(self) -> None:
        """Count one failed sign-in against every counter."""
        if not _enabled():
            return
        for items, key in self.entries:
            for item in items:
                limiter.limiter.hit(item, *key)


def _enabled() -> bool:
    # RATELIMIT_ENABLED=False (Flask-Limiter's own switch) turns these counters off too;
    # the extension then has no storage, and asking it anything failed the sign-in.
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def buckets_for(email: str, user: User | None) -> Buckets:
    """Return the counters for a sign-in to `email` from this request's address and browser."""
    config = current_app.config
    prefix = config.get("RATELIMIT_KEY_PREFIX") or "interviewkit"
    account_limit = parse_many(config["LOGIN_RATE_LIMIT"])
    nonce = trusted_device(user)
    if nonce is not None:
        return Buckets([(account_limit, (prefix, "login-failures", "device", nonce))], nonce)
    address_limit = parse_many(config.get("LOGIN_ADDRESS_RATE_LIMIT") or config["LOGIN_RATE_LIMIT"])
    buckets = Buckets([(address_limit, (prefix, "login-failures", "address", _address()))])
    if email:
        # Hashed: the shared store never holds the email addresses people typed.
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        buckets.entries.append((account_limit, (prefix, "login-failures", "account", digest)))
    return buckets


def _address() -> str:
    return get_remote_address() or "unknown"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=DEVICE_SALT)


def trusted_device(user: User | None) -> str | None:
    """Return this browser's device nonce if it signed in to `user` before, else None."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if user is None or not cookie:
        return None
    try:
        data = _serializer().loads(cookie, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.id:
        return None
    # Trust ends when the password changes (a reset after a break-in ends the thief's too).
    if not hmac.compare_digest(str(data.get("p")), password_fingerprint(user)):
        return None
    return str(data.get("n")) or None


def remember_device(response: Response, user: User, nonce: str | None) -> None:
    """Give this browser a device cookie for `user` after a good sign-in."""
    value = _serializer().dumps(
        {"u": user.id, "n": nonce or secrets.token_urlsafe(16), "p": password_fingerprint(user)}
    )
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        path="/login",  # sent only to the sign-in page
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure),
        httponly=True,
        samesite="Lax",
    )

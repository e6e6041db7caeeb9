"""Password hashing: werkzeug's scrypt."""

from flask import current_app, has_app_context
from werkzeug.security import generate_password_hash

DEFAULT_METHOD = "scrypt"  # werkzeug's defaults: n=2**15, r=8, p=1


def hash_password(password: str) -> str:
    """Return the scrypt hash of a password (cost from PASSWORD_HASH_METHOD, tests lower it)."""
    method = DEFAULT_METHOD
    if has_app_context():
        method = current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_METHOD)
    if not method.startswith("scrypt"):
        raise ValueError("PASSWORD_HASH_METHOD must be a scrypt method, e.g. scrypt:32768:8:1")
    return generate_password_hash(password, method=method)

"""The users service: create, change, disable and set passwords, with one set of checks and
the same audit entries whether the CLI or the admin pages ask; and the demo users of `init --demo`.

These functions add to the database session and never commit: the view or command that
calls them commits once, so a change and its audit entry are saved together. The one
exception is `create_user`, a create-and-commit in one call for scripts and tests.
"""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from .auth.reset import MAX_PASSWORD, MIN_PASSWORD, set_password, unusable_password_hash
from .extensions import db
from .models import User, audit, revoke_login_sessions
from .passwords import hash_password
from .text import problem
from .vocabulary import Role

DEMO_USERS = [
    ("admin@example.com", "Ada Admin", Role.ADMIN),
    ("lead@example.com", "Lee Lead", Role.LEAD),
    ("ivan@example.com", "Ivan Interviewer", Role.INTERVIEWER),
    ("iris@example.com", "Iris Interviewer", Role.INTERVIEWER),
]
MAX_NAME = 120
MAX_EMAIL = 254


class UserError(Exception):
    """A user cannot be created or changed as asked; the message says what to fix.

    `field` names the form field the problem is about (email, name, role, password), so
    the admin pages can show it beside that field.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# -- the checks: one set for the CLI and the admin pages --------------------------------------


def check_email(email: str, user: User | None = None) -> str:
    """Return the email normalised to lower case; raise UserError if it is not valid or
    another user than `user` has it."""
    text = email.strip()
    # Before any query: PostgreSQL refuses a NUL in one, SQLite would store it.
    reason = problem(text, multiline=False)
    if reason:
        raise UserError(f"the email {reason}", "email")
    try:
        normalized = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError(f"{email!r} is not a valid email address: {exc}", "email") from None
    if len(normalized) > MAX_EMAIL:
        raise UserError(f"the email must have at most {MAX_EMAIL} characters", "email")
    existing = db.session.execute(
        select(User).where(func.lower(User.email) == normalized)
    ).scalar_one_or_none()
    if existing is not None and existing is not user:
        raise UserError(f"a user with email {normalized} already exists", "email")
    return normalized


def check_name(name: str) -> str:
    """Return the name without surrounding spaces; raise UserError if it cannot be stored."""
    name = name.strip()
    reason = problem(name, multiline=False)
    if reason:
        raise UserError(f"the name {reason}", "name")
    if len(name) > MAX_NAME:
        raise UserError(f"the name must have at most {MAX_NAME} characters", "name")
    return name


def check_role(role: str) -> str:
    """Return the role; raise UserError if it is not one of the roles."""
    if role not in {r.value for r in Role}:
        raise UserError(f"role must be one of {', '.join(r.value for r in Role)}", "role")
    return role


def check_password(password: str) -> str:
    """Return the password; raise UserError if it is too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters", "password")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password must have at most {MAX_PASSWORD} characters", "password")
    return password


# -- the changes: each checks first, changes, then audits (the caller commits) ---------------


def add_user(
    email: str,
    name: str,
    role: str,
    password: str | None = None,
    *,
    actor: User | None = None,
    via: str = "cli",
    active: bool = True,
) -> User:
    """Add a user after checking the email, name, role and password; audit it.

    Without a password the account has none yet (not the hash of ""): an admin makes a
    set-password link for it.
    """
    email = check_email(email)
    name = check_name(name) or email
    check_role(role)
    if password is not None:
        check_password(password)
    user = User(
        email=email,
        name=name,
        role=role,
        active=active,
        password_hash=hash_password(password) if password is not None else unusable_password_hash(),
    )
    db.session.add(user)
    db.session.flush()
    how = "set" if password is not None else "link"
    audit(actor, "user_created", user, role=role, password=how, via=via)
    return user


def create_user(email: str, name: str, role: str, password: str) -> User:
    """Create an active user with a password and commit (for scripts and tests)."""
    user = add_user(email, name, role, password)
    db.session.commit()
    return user


def update_user(
    user: User,
    *,
    actor: User | None = None,
    via: str = "cli",
    name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> dict:
    """Change what is given of a user's name, email, role, active flag and password.

    Everything is checked before anything changes. The field changes are audited as one
    `user_updated` entry, a new password as `password_set`; a new password or a disabled
    account ends every session of the user. Return the field changes, {field: [old, new]}.
    """
    if (
        actor is not None
        and actor.id == user.id
        and (active is False or (role is not None and role != Role.ADMIN.value))
    ):
        raise UserError("You cannot remove your own admin role or disable yourself.", "role")
    if name is not None and not name.strip():
        raise UserError("the name is empty: give the person's name", "name")
    new = {
        "name": check_name(name) if name is not None else None,
        "email": check_email(email, user) if email is not None else None,
        "role": check_role(role) if role is not None else None,
        "active": active,
    }
    if password is not None:
        check_password(password)
    changes = {}
    for field, value in new.items():
        if value is not None and getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    if changes.get("active") == [True, False]:
        revoke_login_sessions(user)  # a disabled account ends every session
    if changes:
        audit(actor, "user_updated", user, via=via, **changes)
    if password is not None:
        set_user_password(user, password, actor=actor, via=via)
    return changes


def disable_user(user: User, *, actor: User | None = None, via: str = "cli") -> dict:
    """Disable a user: they cannot sign in, and every session of theirs ends."""
    return update_user(user, actor=actor, via=via, active=False)


def enable_user(user: User, *, actor: User | None = None, via: str = "cli") -> dict:
    """Let a disabled user sign in again."""
    return update_user(user, actor=actor, via=via, active=True)


def set_user_password(
    user: User, password: str, *, actor: User | None = None, via: str = "cli"
) -> User:
    """Set a user's password, sign them out everywhere and audit it (for a lost password)."""
    check_password(password)
    set_password(user, password, actor, via=via)
    return user


def find_user(email: str) -> User:
    """Return the user with this email (any case); raise UserError if there is none."""
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise UserError(
            f"no user has the email {email}: check the spelling, or list users on the "
            "Admin page (create one with `interviewkit create-user`)",
            "email",
        )
    return user


def create_demo_users() -> list[tuple[str, str, str]]:
    """Add the demo users if there are no users at all; return (email, role, password)."""
    if db.session.execute(select(func.count()).select_from(User)).scalar():
        return []
    created = []
    for email, name, role in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        add_user(email, name, role.value, password)
        created.append((email, role.value, password))
    return created

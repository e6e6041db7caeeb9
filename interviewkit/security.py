"""Sign-in sessions, role checks and the security headers every response carries."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import wraps

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_url, login_user, logout_user
from flask_wtf.csrf import CSRFError

from .extensions import db, login_manager
from .models import LoginSession, User, utcnow
from .vocabulary import Role

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Return True if configured, or if this request is HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app: Flask) -> None:
    """Install the login manager, the session interface and the response headers."""
    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    app.register_error_handler(CSRFError, csrf_error)
    app.after_request(security_headers)


# Endpoints that only ever answer JSON: their errors are JSON too, whatever Accept says.
JSON_ENDPOINTS = {"kit.save", "kit.state", "kit.token"}


def wants_json() -> bool:
    """Return True for the kit's background requests, which expect JSON, not pages."""
    return (
        request.endpoint in JSON_ENDPOINTS
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def json_body():
    """Return the request's JSON, or None if it is not JSON or not UTF-8.

    Depth was checked before the view (inputs.check_request), so this never recurses.
    """
    return request.get_json(silent=True)


def unauthorized():
    """Signed out: JSON 401 for background saves (the page keeps the draft), else sign-in."""
    if wants_json():
        return jsonify(
            error="signed_out",
            message="Your sign-in has ended. Sign in again; "
            "your notes are kept in this browser until they are saved.",
        ), 401
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def csrf_error(error):
    """An expired or missing CSRF token: JSON for background saves, else the 400 page."""
    if wants_json():
        return jsonify(error="csrf", message=error.description), 400
    return render_template(
        "errors/error.html",
        code=400,
        title="Bad request",
        text="The form had expired or was not sent from this site. Go back, "
        "reload the page and try again.",
        detail=None,
    ), 400


def load_user(token: str) -> User | None:
    """Return the user of an unrevoked login session whose account is still active."""
    login = LoginSession.find_active(token)
    if login is None or not login.user.active:
        return None
    lifetime = timedelta(hours=current_app.config["LOGIN_SESSION_HOURS"])
    if utcnow() - login.created_at > lifetime:
        return None  # expired: sign in again
    user = login.user
    user.login_token = token
    g.login_session = login
    return user


def start_session(user: User) -> None:
    """Sign a user in on this browser with a fresh login session token.

    Adds the login session to the database session; the view commits it together with
    whatever else the request changed (the audit entry, a new password).
    """
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            token_hash=LoginSession.hash_token(token),
            user_id=user.id,
            user_agent=(request.user_agent.string or "")[:255],
        )
    )
    db.session.flush()
    user.login_token = token
    login_user(user)


def end_session() -> None:
    """Sign out here: revoke this browser's login session (the view commits it)."""
    login = g.get("login_session")
    if login is not None:
        login.revoked_at = utcnow()
    logout_user()


def roles_required(*roles: Role):
    """Allow a view only to signed-in users with one of the roles (403 for others)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def login_required(view):
    """Allow a view to any signed-in user."""
    return roles_required(*Role)(view)


def security_headers(response):
    """Add the security headers; never let a browser or proxy cache a signed-in page."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint != "static" and "no-store" not in response.headers.get("Cache-Control", ""):
        # Every page but static files: never kept by a browser or a proxy. Deciding by
        # "signed in" would load the user here, after the view, where a busy database
        # could turn a clean 503 into a 500. (A view's own no-store, e.g. the calendar
        # feed's "private, no-store", is kept.)
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response

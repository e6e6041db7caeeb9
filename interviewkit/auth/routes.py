"""Sign-in (password or an OpenID Connect provider), sign-out, password change, personal API
tokens and one's own account settings.

The account page holds what a user sets for themselves: the time zone every page shows
times in (`when`, a template global), which emails they get, and their calendar feed,
whose address is the only credential it needs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from .. import scheduling
from ..auditlog import failed_login
from ..extensions import db
from ..mail import link
from ..models import ApiToken, User, audit, utcnow
from ..passwords import hash_password
from ..security import end_session, login_required, start_session
from ..text import problem, sentence
from ..tokens import NewToken, TokenError, create_token_once, revoke_token, tokens_of
from . import bp, oidc
from .forms import AccountForm, LoginForm, NewPasswordForm, PasswordForm, TokenForm
from .reset import LinkError, link_hours, set_password, user_for_link_token
from .throttle import buckets_for, remember_device

# A real scrypt hash to check against when the email is unknown, so both failures take
# the same time and the response does not reveal which accounts exist.
_DUMMY_HASH = hash_password("not a real password, only for timing")


def is_safe_next(target: str | None) -> bool:
    """Return True if `target` is a path on this site (not another host, not a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


bp.add_app_template_global(oidc.password_login, "password_login")
PASSWORDS_OFF = "Password sign-in is turned off here: sign in with your company's provider."


def _login_page(form: LoginForm):
    target = request.args.get("next")
    return render_template(
        "auth/login.html",
        form=form,
        providers=oidc.providers(),
        next=target if is_safe_next(target) else None,
    )


def _signed_in(user: User, target: str | None, **how):
    """Sign a user in on this browser (audited), commit, and go on to `target` if it is ours.

    The one way every kind of sign-in ends: password or provider.
    """
    session.clear()  # a fresh session: nothing from before sign-in survives it
    audit(user, "login", user, **how)
    start_session(user)
    db.session.commit()  # the login session and the audit entry, at once
    return redirect(target if is_safe_next(target) else url_for("main.index"))


def _passwords_on() -> None:
    """Refuse a password page when PASSWORD_LOGIN is off (403)."""
    if not oidc.password_login():
        abort(403, description=PASSWORDS_OFF)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password; the failure message never says which was wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method != "POST":
        return _login_page(form)
    _passwords_on()
    # Failed sign-ins are counted and checked before the password (see throttle.py).
    email = (request.form.get("email") or "").strip().lower()[:254]
    # A NUL or other control character never reaches the database (PostgreSQL refuses it).
    user = _user_by_email(email) if email and problem(email, multiline=False) is None else None
    buckets = buckets_for(email, user)
    if buckets.blocked():
        abort(429)
    if form.validate_on_submit():
        password_ok = check_password_hash(
            user.password_hash if user else _DUMMY_HASH, form.password.data
        )
        if user is not None and user.active and password_ok:
            response = _signed_in(user, request.args.get("next"))
            remember_device(response, user, buckets.device)
            return response
        buckets.fail()
        failed_login(email, user)  # the user's id, or the email's hash: never the password
        db.session.commit()
        flash("That email and password do not match an active account.", "error")
        return _login_page(form), 401
    return _login_page(form)


# -- sign-in through an OpenID Connect provider (auth/oidc.py) -----------------------------------

# refused: how the page answers each kind of refusal
OIDC_STATUS = {"state": 400, "denied": 400, "token": 400, "id_token": 400}
OIDC_UNAVAILABLE = {"unreachable", "issuer"}


def _provider_or_404(name: str) -> oidc.Provider:
    p = oidc.provider(name)
    if p is None:
        abort(404, description="No sign-in provider has that name. Go back to the sign-in page.")
    return p


def _callback_url(p: oidc.Provider) -> str:
    """Return the redirect URI registered at the provider: under PUBLIC_URL when it is set."""
    if current_app.config.get("PUBLIC_URL"):
        return link("auth.oidc_callback", name=p.name)
    return url_for("auth.oidc_callback", name=p.name, _external=True)


def _refused(p: oidc.Provider, error: oidc.SignInRefused):
    """Audit a refused provider sign-in (never a token) and show what to do; commit."""
    detail = {"via": "oidc", "provider": p.name, "reason": error.reason}
    if error.subject:
        detail["subject"] = error.subject  # what an admin needs to link the account
    failed_login(error.email, error.user, **detail)
    db.session.commit()  # the audit entry, and the used state stays used
    if error.reason in OIDC_UNAVAILABLE:
        status = 503
    else:
        status = OIDC_STATUS.get(error.reason, 403)
    page = render_template("auth/oidc_refused.html", provider=p, message=str(error))
    return page, status


@bp.get("/login/oidc/<name>")
def oidc_start(name: str):
    """Start signing in through a provider: off to its sign-in page, with state, nonce, PKCE."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    p = _provider_or_404(name)
    target = request.args.get("next")
    session["oidc_next"] = target if is_safe_next(target) else None
    try:
        response = oidc.start(p, _callback_url(p))
    except oidc.SignInRefused as exc:
        return _refused(p, exc)
    db.session.commit()  # the started sign-in's state, kept until the provider sends it back
    return response


@bp.get("/login/oidc/<name>/callback")
def oidc_callback(name: str):
    """Finish signing in through a provider: check its ID token, find the user, sign in.

    Answered even when signed in, so a replayed callback is always refused (400).
    """
    p = _provider_or_404(name)
    target = session.pop("oidc_next", None)
    try:
        claims = oidc.verified_claims(p)
        user, found = oidc.user_for(p, claims)
    except oidc.SignInRefused as exc:
        return _refused(p, exc)
    return _signed_in(user, target, via="oidc", provider=p.name, found=found)


def _user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.email) == email)
    ).scalar_one_or_none()


@bp.post("/logout")
@login_required
def logout():
    """Sign out and revoke this browser's session."""
    end_session()
    db.session.commit()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other signed-in browser is signed out."""
    _passwords_on()
    form = PasswordForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            user = db.session.get(User, current_user.id)
            set_password(user, form.new.data, user, via="account", action="password_changed")
            session.clear()
            start_session(user)
            db.session.commit()  # the new password and the new login session, at once
            flash("Password changed. Other browsers have been signed out.", "info")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """List one's own API tokens and create one; a new token's secret is shown only now."""
    form = TokenForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        try:
            new = create_token_once(
                user, form.name.data, form.scope.data, form.days.data, form.once.data
            )
        except TokenError as exc:
            field = getattr(form, exc.field or "name", form.name)
            field.errors = [*field.errors, sentence(exc)]
        else:
            if new is None:  # the same form, sent again (a reload): nothing more is created
                flash(
                    "That form was already sent and its token created; its secret was shown "
                    "only then. If you did not copy it, revoke the token and create another.",
                    "warning",
                )
                return redirect(url_for("auth.api_tokens"))
            db.session.commit()
            # rendered into this response only: never flashed, so never in the cookie
            return _tokens_page(TokenForm(formdata=None), new)
    return _tokens_page(form, None)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    """Revoke one of one's own API tokens; another user's token is not found (404)."""
    token = db.get_or_404(ApiToken, token_id, description="You have no token with that id.")
    if token.user_id != current_user.id:  # not even an admin, here: this page is one's own
        abort(404, description="You have no token with that id.")
    revoke_token(db.session.get(User, current_user.id), token.id)
    db.session.commit()
    flash(f"Revoked the token {token.name} ({token.prefix}…).", "info")
    return redirect(url_for("auth.api_tokens"))


def _tokens_page(form: TokenForm, new: NewToken | None) -> str:
    return render_template(
        "auth/tokens.html",
        form=form,
        tokens=tokens_of(current_user),
        now=utcnow(),
        new=new,
        api_url=request.url_root + "api/v1/me",
    )


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password_from_link(token: str):
    """Set a password from a one-time link an admin passed on; other sessions end."""
    _passwords_on()
    try:
        user = user_for_link_token(token)
    except LinkError as exc:
        response = make_response(render_template("auth/set_password.html", problem=str(exc)), 410)
    else:
        form = NewPasswordForm()
        if form.validate_on_submit():
            set_password(user, form.new.data, None, via="link")
            db.session.commit()
            flash("Your password is set. Sign in with it now.", "info")
            return redirect(url_for("auth.login"))
        response = make_response(
            render_template("auth/set_password.html", form=form, user=user, hours=link_hours())
        )
    response.headers["Cache-Control"] = "no-store"  # the page's address is a credential
    return response


# -- one's own settings and calendar feed -------------------------------------------------------


@bp.app_template_global()
def when(loop_session) -> str:
    """Return a session's time in the signed-in viewer's zone ("" if unscheduled)."""
    return scheduling.when(loop_session, current_user if current_user.is_authenticated else None)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Show and save one's own time zone and email choices; manage one's calendar feed."""
    user = db.session.get(User, current_user.id)
    form = AccountForm(obj=user)
    if form.validate_on_submit():
        before = (user.timezone, user.email_invites, user.email_reminders)
        user.timezone = (form.timezone.data or "").strip()
        user.email_invites = form.email_invites.data
        user.email_reminders = form.email_reminders.data
        after = (user.timezone, user.email_invites, user.email_reminders)
        if after != before:
            keys = ("timezone", "email_invites", "email_reminders")
            audit(user, "account_settings_changed", user, **dict(zip(keys, after, strict=True)))
            db.session.commit()
        flash("Settings saved.", "info")
        return redirect(url_for("auth.account"))
    return _account_page(form, user, None)


@bp.post("/account/calendar")
@login_required
def new_calendar_feed():
    """Create (or replace) one's calendar feed address; it is shown only in this response."""
    user = db.session.get(User, current_user.id)
    token = scheduling.new_feed_token(user, user)
    db.session.commit()
    feed_url = url_for("auth.calendar_feed", token=token, _external=True)
    return _account_page(AccountForm(formdata=None, obj=user), user, feed_url)


@bp.post("/account/calendar/revoke")
@login_required
def revoke_calendar_feed():
    """Turn one's calendar feed off: its address stops working at once."""
    user = db.session.get(User, current_user.id)
    if scheduling.revoke_feed_token(user, user):
        db.session.commit()
        flash("Calendar feed turned off: its address no longer works.", "info")
    return redirect(url_for("auth.account"))


def _account_page(form: AccountForm, user: User, feed_url: str | None):
    response = make_response(
        render_template(
            "auth/account.html",
            form=form,
            user=user,
            feed_url=feed_url,
            default_zone=scheduling.default_zone(),
            past_days=scheduling.FEED_PAST_DAYS,
        )
    )
    if feed_url:
        response.headers["Cache-Control"] = "no-store"  # the page holds a credential
    return response


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """Serve a user's calendar feed; the secret address is the credential (404 if unknown)."""
    user = scheduling.feed_owner(token)
    if user is None:
        abort(404, description="No calendar feed at this address: it was turned off or replaced.")
    response = Response(scheduling.feed(user), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = 'inline; filename="interviews.ics"'
    return response

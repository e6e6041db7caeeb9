"""User management views (admins only)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from .. import auditlog
from .. import webhooks as hooks
from ..auth import oidc
from ..auth.reset import has_password, link_hours, make_link_token
from ..extensions import db
from ..mail import MailError, mail_configured, send_mail
from ..models import Candidate, User, UserIdentity, Webhook, WebhookDelivery, audit
from ..retention import RetentionError, purge_candidate, scrub_files
from ..review.service import to_csv
from ..security import roles_required
from ..users import UserError, add_user, update_user
from ..vocabulary import Role
from . import bp
from .forms import DeleteCandidateForm, IdentityForm, UserForm, WebhookForm, sentence


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    """List every user."""
    rows = db.session.execute(select(User).order_by(User.name)).scalars()
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    """Create a user."""
    form = UserForm()
    if form.validate_on_submit():
        password = form.password.data or None  # none typed: the admin gets a link instead
        try:
            user = add_user(
                form.email.data,
                form.name.data,
                form.role.data,
                password,
                actor=current_user,
                via="admin",
                active=form.active.data,
            )
        except UserError as exc:
            _show(form, exc)
            return _form_page(form, None)
        db.session.commit()
        if not oidc.password_login():  # they sign in through a provider
            flash(f"Created {user.name}: they sign in through your provider.", "info")
            return redirect(url_for("admin.edit_user", user_id=user.id))
        if not password and user.active:
            return _link_page(user, created=True)
        later = "" if password else " No password yet: activate it, then make a set-password link."
        flash(f"Created {user.name}.{later}", "info")
        return redirect(url_for("admin.users"))
    return _form_page(form, None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    """Change a user's details, role, active flag or password."""
    user = db.get_or_404(User, user_id, description="No user with that id.")
    form = UserForm(obj=user, user=user)
    if form.validate_on_submit():
        try:
            update_user(
                user,
                actor=current_user,
                via="admin",
                name=form.name.data,
                email=form.email.data,
                role=form.role.data,
                active=form.active.data,
                password=form.password.data or None,  # empty: keep the password
            )
        except UserError as exc:
            _show(form, exc)
            return _form_page(form, user), 400
        db.session.commit()
        flash(f"Saved {user.name}.", "info")
        return redirect(url_for("admin.users"))
    return _form_page(form, user)


@bp.post("/users/<int:user_id>/set-password-link")
@roles_required(Role.ADMIN)
def set_password_link(user_id: int):
    """Make a one-time, expiring set-password link for a user and show it to the admin."""
    if not oidc.password_login():
        abort(403, description="Password sign-in is turned off: there are no passwords to set.")
    user = db.get_or_404(User, user_id, description="No user with that id.")
    if not user.active:
        flash(f"{user.name} is disabled: tick Active and save first, then make the link.", "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    audit(current_user, "set_password_link_issued", user)
    db.session.commit()
    return _link_page(user, created=False)


@bp.post("/users/<int:user_id>/identities")
@roles_required(Role.ADMIN)
def link_identity(user_id: int):
    """Link a provider's account (by its subject there) to a user: they can sign in with it."""
    user = db.get_or_404(User, user_id, description="No user with that id.")
    form = _identity_form()
    p = oidc.provider(form.provider.data or "")
    if not form.validate_on_submit() or p is None:
        problems = [e for errors in form.errors.values() for e in errors]
        flash(" ".join(problems) or "Choose one of the configured providers.", "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    try:
        oidc.link_identity(user, p.issuer, form.subject.data, via="admin", actor=current_user)
    except oidc.LinkError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    db.session.commit()
    flash(f"Linked: {user.name} can sign in with that {p.label} account.", "info")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/identities/<int:identity_id>/unlink")
@roles_required(Role.ADMIN)
def unlink_identity(user_id: int, identity_id: int):
    """Remove a user's link to a provider's account: it no longer signs in as them."""
    identity = db.session.get(UserIdentity, identity_id)
    if identity is None or identity.user_id != user_id:
        abort(404, description="This user has no linked account with that id.")
    oidc.unlink_identity(identity, current_user)
    db.session.commit()
    flash("Unlinked: that account no longer signs in as this user.", "info")
    return redirect(url_for("admin.edit_user", user_id=user_id))


def _identity_form() -> IdentityForm:
    form = IdentityForm()
    form.provider.choices = [SelectChoice(value=p.name, label=p.label) for p in oidc.providers()]
    return form


def _show(form: UserForm, error: UserError) -> None:
    """Show a users service refusal beside the field it is about."""
    field = getattr(form, error.field or "role", form.role)
    field.errors = [*field.errors, sentence(error)]


def _form_page(form: UserForm, user: User | None) -> str:
    password = user is not None and has_password(user)
    identities = [
        (i, oidc.provider_for_issuer(i.issuer)) for i in (oidc.identities_of(user) if user else [])
    ]
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        has_password=password,
        identities=identities,
        identity_form=_identity_form() if oidc.providers() else None,
    )


def _link_page(user: User, *, created: bool):
    link = url_for("auth.set_password_from_link", token=make_link_token(user), _external=True)
    emailed = email_problem = None
    if mail_configured():
        try:
            send_mail(
                user.email,
                "Set your interviewkit password",
                f"Hello {user.name},\n\nSet your password for interviewkit here:\n\n{link}\n\n"
                f"The link works once and for {link_hours()} hours. If you did not expect "
                "it, ignore this email and tell your admin.\n",
            )
            emailed = user.email
        except MailError as exc:
            email_problem = str(exc)
    response = make_response(
        render_template(
            "admin/set_password_link.html",
            user=user,
            link=link,
            hours=link_hours(),
            created=created,
            emailed=emailed,
            email_problem=email_problem,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- webhooks -----------------------------------------------------------------------------------


@bp.get("/webhooks")
@roles_required(Role.ADMIN)
def webhooks():
    """List the webhooks, with how many deliveries of each are pending, delivered or failed."""
    return render_template("admin/webhooks.html", rows=hooks.webhooks_with_counts())


@bp.route("/webhooks/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_webhook():
    """Add a webhook; its signing secret is shown only in this response."""
    form = WebhookForm()
    if form.validate_on_submit():
        new = hooks.create_webhook(current_user, form.url.data, form.events.data)
        db.session.commit()
        return _secret_page(new, created=True)
    return render_template("admin/webhook_form.html", form=form)


@bp.route("/webhooks/<int:webhook_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def webhook(webhook_id: int):
    """Show a webhook's delivery log, newest first; change its URL or events."""
    webhook = _webhook_or_404(webhook_id)
    form = WebhookForm(obj=webhook)
    status = 200
    if form.validate_on_submit():
        if hooks.update_webhook(current_user, webhook, form.url.data, form.events.data):
            db.session.commit()
            flash("Saved the webhook: the next deliveries go to it as changed.", "info")
        return redirect(url_for("admin.webhook", webhook_id=webhook.id))
    if form.errors:
        status = 400
    rows, page, pages = hooks.delivery_log(webhook, request.args.get("page", 1, type=_page))
    return render_template(
        "admin/webhook.html", webhook=webhook, form=form, rows=rows, page=page, pages=pages
    ), status


@bp.post("/webhooks/<int:webhook_id>/enable")
@roles_required(Role.ADMIN)
def enable_webhook(webhook_id: int):
    """Enable a webhook: its waiting deliveries go out from the next pass."""
    webhook = _webhook_or_404(webhook_id)
    hooks.set_active(current_user, webhook, True)
    db.session.commit()
    flash("Enabled: deliveries waiting for this webhook go out now.", "info")
    return redirect(url_for("admin.webhook", webhook_id=webhook.id))


@bp.post("/webhooks/<int:webhook_id>/disable")
@roles_required(Role.ADMIN)
def disable_webhook(webhook_id: int):
    """Disable a webhook: new events are not queued for it, queued ones wait."""
    webhook = _webhook_or_404(webhook_id)
    hooks.set_active(current_user, webhook, False)
    db.session.commit()
    flash("Disabled: nothing is sent to this webhook until you enable it again.", "info")
    return redirect(url_for("admin.webhook", webhook_id=webhook.id))


@bp.post("/webhooks/<int:webhook_id>/rotate")
@roles_required(Role.ADMIN)
def rotate_webhook_secret(webhook_id: int):
    """Replace a webhook's signing secret; the new one is shown only in this response."""
    new = hooks.rotate_secret(current_user, _webhook_or_404(webhook_id))
    db.session.commit()
    return _secret_page(new, created=False)


@bp.post("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver")
@roles_required(Role.ADMIN)
def redeliver_webhook(webhook_id: int, delivery_id: int):
    """Queue a delivery's body again, as a new delivery with a fresh signature."""
    webhook = _webhook_or_404(webhook_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        abort(404, description="This webhook has no delivery with that id.")
    again = hooks.redeliver(current_user, delivery)
    db.session.commit()
    later = "" if webhook.active else " The webhook is disabled: it goes out once you enable it."
    flash(f"Queued {delivery.event} again as delivery {again.uuid}.{later}", "info")
    return redirect(url_for("admin.webhook", webhook_id=webhook.id))


def _webhook_or_404(webhook_id: int) -> Webhook:
    return db.get_or_404(Webhook, webhook_id, description="No webhook with that id.")


def _page(value: str) -> int:
    """Read ?page= as a small positive number (anything else is the first page)."""
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _secret_page(new: hooks.NewSecret, *, created: bool):
    response = make_response(
        render_template(
            "admin/webhook_secret.html",
            webhook=new.webhook,
            secret=new.secret,
            created=created,
            events=hooks.EVENTS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- candidate data: deletion on request --------------------------------------------------------


@bp.route("/candidates/<int:candidate_id>/delete", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def delete_candidate(candidate_id: int):
    """Delete a candidate's personal data and notes now, with a reason; scores stay."""
    candidate = db.get_or_404(Candidate, candidate_id, description="No candidate with that id.")
    if candidate.purged_at is not None:
        flash("This candidate's personal data is already deleted.", "info")
        return redirect(url_for("candidates.detail", candidate_id=candidate.id))
    form = DeleteCandidateForm()
    if form.validate_on_submit():
        try:
            done = purge_candidate(candidate, current_user, form.reason.data)
        except RetentionError as exc:
            abort(400, description=sentence(exc))
        db.session.commit()
        scrub_files()
        cancelled = (
            f" {done.cancelled} upcoming interview(s) cancelled, their interviewers told."
            if done.cancelled
            else ""
        )
        flash(
            f"Deleted the personal data of candidate {candidate.id}; the scores stay.{cancelled}",
            "info",
        )
        return redirect(url_for("candidates.detail", candidate_id=candidate.id))
    status = 400 if form.errors else 200
    return render_template("admin/delete_candidate.html", form=form, candidate=candidate), status


# -- the audit log ------------------------------------------------------------------------------


def _audit_filters() -> auditlog.Filters:
    """Read the audit log's filters from the query string (a bad date is ignored)."""
    args = request.args
    return auditlog.Filters(
        action=args.get("action", "")[:80],
        actor=args.get("actor", type=int),
        since=_date(args.get("since", "")),
        until=_date(args.get("until", "")),
        target_type=args.get("target_type", "")[:40],
        target_id=args.get("target_id", "").strip()[:80],
    )


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        flash(f"{value[:20]!r} is not a date: write it as 2026-12-31.", "error")
        return None


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """Show the audit log, newest first, filtered by action, actor, dates and target."""
    filters = _audit_filters()
    rows, page, pages = auditlog.page_of(filters, request.args.get("page", 1, type=_page))
    actions, actors, types = auditlog.choices()
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        rows=rows,
        page=page,
        pages=pages,
        filters=filters,
        actions=actions,
        actors=actors,
        types=types,
        query=query,
    )


@bp.get("/audit.csv")
@roles_required(Role.ADMIN)
def audit_export():
    """Download the filtered audit log as CSV (itself an audited export)."""
    filters = _audit_filters()
    rows = auditlog.export_rows(filters)
    used = {k: str(v) for k, v in vars(filters).items() if v not in ("", None)}
    audit(current_user, "audit_exported", current_user, rows=len(rows), filters=used)
    db.session.commit()
    response = make_response(to_csv(rows, auditlog.EXPORT_COLUMNS))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=audit-log.csv"
    response.headers["Cache-Control"] = "no-store"
    return response

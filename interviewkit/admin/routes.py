"""User management views (admins only)."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..auth.reset import has_password, link_hours, make_link_token
from ..extensions import db
from ..mail import MailError, mail_configured, send_mail
from ..models import User, audit
from ..security import roles_required
from ..users import UserError, add_user, update_user
from ..vocabulary import Role
from . import bp
from .forms import UserForm, sentence


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
    user = db.get_or_404(User, user_id, description="No user with that id.")
    if not user.active:
        flash(f"{user.name} is disabled: tick Active and save first, then make the link.", "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    audit(current_user, "set_password_link_issued", user)
    db.session.commit()
    return _link_page(user, created=False)


def _show(form: UserForm, error: UserError) -> None:
    """Show a users service refusal beside the field it is about."""
    field = getattr(form, error.field or "role", form.role)
    field.errors = [*field.errors, sentence(error)]


def _form_page(form: UserForm, user: User | None) -> str:
    password = user is not None and has_password(user)
    return render_template("admin/user_form.html", form=form, user=user, has_password=password)


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

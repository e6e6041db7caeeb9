"""User management views (admins only)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Role, User, audit
from ..passwords import hash_password
from ..security import revoke_all, roles_required
from . import bp
from .forms import UserForm


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
        user = User(
            name=form.name.data.strip(),
            email=form.email.data.strip().lower(),
            role=form.role.data,
            active=form.active.data,
            password_hash=hash_password(form.password.data),
        )
        db.session.add(user)
        db.session.flush()
        audit(current_user, "user_created", user, role=user.role)
        db.session.commit()
        flash(f"Created {user.name}.", "info")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    """Change a user's details, role, active flag or password."""
    user = db.get_or_404(User, user_id, description="No user with that id.")
    form = UserForm(obj=user, user=user)
    if form.validate_on_submit():
        if user.id == current_user.id and (
            not form.active.data or form.role.data != Role.ADMIN.value
        ):
            form.role.errors.append("You cannot remove your own admin role or disable yourself.")
            return render_template("admin/user_form.html", form=form, user=user), 400
        changes = {}
        for field in ("name", "role", "active"):
            new = getattr(form, field).data
            new = new.strip() if isinstance(new, str) else new
            if getattr(user, field) != new:
                changes[field] = [getattr(user, field), new]
                setattr(user, field, new)
        email = form.email.data.strip().lower()
        if user.email != email:
            changes["email"] = [user.email, email]
            user.email = email
        if form.password.data:
            user.password_hash = hash_password(form.password.data)
            changes["password"] = "reset"  # noqa: S105 - an audit note, not a secret
        if "password" in changes or changes.get("active") == [True, False]:
            revoke_all(user)  # a reset password or a disabled account ends every session
        if changes:
            audit(current_user, "user_updated", user, **changes)
        db.session.commit()
        flash(f"Saved {user.name}.", "info")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)

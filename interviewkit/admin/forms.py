"""User management forms."""

from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..auth.forms import MIN_PASSWORD
from ..extensions import db
from ..models import Role, User
from ..text import SingleLine

ROLE_CHOICES = [SelectChoice(value=r.value, label=r.label) for r in Role]


class UserForm(FlaskForm):
    """A user's name, email, role and whether the account is active."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120), SingleLine()])
    email = EmailField("Email", validators=[DataRequired(), SingleLine(), Email(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active", default=True)
    # Optional: a new user without one gets a one-time set-password link to pass on.
    password = PasswordField(
        "Password",
        validators=[
            Optional(),
            Length(min=MIN_PASSWORD, max=1024, message="Use at least 12 characters."),
        ],
    )
    submit = SubmitField("Save")

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_email(self, field):
        """Refuse an email another user already has."""
        if field.errors:
            return  # e.g. a control character, which PostgreSQL would refuse to compare
        existing = db.session.execute(
            select(User).where(func.lower(User.email) == field.data.strip().lower())
        ).scalar_one_or_none()
        if existing is not None and existing is not self.user:
            raise ValidationError("Another user already has this email.")

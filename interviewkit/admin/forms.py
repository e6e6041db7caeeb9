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

ROLE_CHOICES = [SelectChoice(value=r.value, label=r.label) for r in Role]


class UserForm(FlaskForm):
    """A user's name, email, role and whether the account is active."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active", default=True)
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
        existing = db.session.execute(
            select(User).where(func.lower(User.email) == field.data.strip().lower())
        ).scalar_one_or_none()
        if existing is not None and existing is not self.user:
            raise ValidationError("Another user already has this email.")

    def validate_password(self, field):
        """Require a password for a new user."""
        if self.user is None and not field.data:
            raise ValidationError("A new user needs a password.")

"""Forms for signing in, passwords, API tokens and one's own account settings."""

import secrets

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from .. import scheduling
from ..text import SingleLine
from ..tokens import DEFAULT_DAYS, MAX_DAYS, MAX_NAME
from ..vocabulary import TokenScope
from .reset import MAX_PASSWORD, MIN_PASSWORD

SCOPE_CHOICES = [
    SelectChoice(value=TokenScope.READ.value, label="Read"),
    SelectChoice(value=TokenScope.READ_WRITE.value, label="Read and write"),
]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254), SingleLine()])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Sign in")


class NewPasswordForm(FlaskForm):
    """A new password, twice."""

    new = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=MAX_PASSWORD, message="Use at least 12 characters."),
        ],
    )
    confirm = PasswordField(
        "New password again", validators=[EqualTo("new", message="The two passwords differ.")]
    )
    submit = SubmitField("Set password")


class PasswordForm(NewPasswordForm):
    """The current password and a new one, twice."""

    current = PasswordField("Current password", validators=[DataRequired()])
    submit = SubmitField("Change password")


class TokenForm(FlaskForm):
    """A new API token's name, scope and lifetime.

    The rules (a one-line name, a known scope, 1 to MAX_DAYS days) are the tokens
    service's, so the page and `interviewkit token create` refuse the same things; its
    TokenError is shown beside the field it names.
    """

    name = StringField("Name", render_kw={"maxlength": MAX_NAME, "placeholder": "nightly export"})
    # validate_choice off: the service names the scopes it takes
    scope = SelectField("Scope", choices=SCOPE_CHOICES, validate_choice=False)
    days = IntegerField(
        "Days until it expires",
        default=DEFAULT_DAYS,
        validators=[InputRequired(f"Give a number of days, 1 to {MAX_DAYS}.")],
        render_kw={"min": 1, "max": MAX_DAYS},
    )
    # one random value per rendered form: a reload that sends the form again is recognised
    # and creates nothing (tokens.create_token_once)
    once = HiddenField(default=lambda: secrets.token_urlsafe(16))
    submit = SubmitField("Create token")


class AccountForm(FlaskForm):
    """One's own settings: the time zone pages and emails show times in, and which emails."""

    timezone = StringField(
        "Time zone",
        render_kw={"list": "timezones", "placeholder": "Europe/Berlin", "maxlength": 64},
    )
    email_invites = BooleanField("Calendar invites when I am given, moved or taken off a session")
    email_reminders = BooleanField("Reminders about my overdue scorecards")
    submit = SubmitField("Save settings")

    def validate_timezone(self, field) -> None:
        """Accept an IANA zone name, or nothing for the site's default."""
        name = (field.data or "").strip()
        if name:
            try:
                scheduling.zone(name)
            except scheduling.ScheduleError as exc:
                raise ValidationError(str(exc)) from None

"""Forms for signing in, changing a password and setting one from a link."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..text import SingleLine
from .reset import MAX_PASSWORD, MIN_PASSWORD


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

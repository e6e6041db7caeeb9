"""Forms for signing in and changing a password."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

MIN_PASSWORD = 12


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Sign in")


class PasswordForm(FlaskForm):
    """The current password and a new one, twice."""

    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=1024, message="Use at least 12 characters."),
        ],
    )
    confirm = PasswordField(
        "New password again", validators=[EqualTo("new", message="The two passwords differ.")]
    )
    submit = SubmitField("Change password")

"""User management forms."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.reset import MAX_PASSWORD, MIN_PASSWORD
from ..models import User
from ..retention import REASONS
from ..text import SingleLine, sentence
from ..users import UserError, check_email
from ..vocabulary import Role
from ..webhooks import EVENTS, WebhookError, check_events, check_url

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
            Length(min=MIN_PASSWORD, max=MAX_PASSWORD, message="Use at least 12 characters."),
        ],
    )
    submit = SubmitField("Save")

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_email(self, field):
        """Refuse an email another user already has (the users service's check)."""
        if field.errors:
            return  # e.g. a control character, which PostgreSQL would refuse to compare
        try:
            check_email(field.data, self.user)
        except UserError as exc:
            raise ValidationError(sentence(exc)) from None


class IdentityForm(FlaskForm):
    """Link a provider's account to a user: the provider and the account's id there (`sub`)."""

    provider = SelectField("Provider", validate_choice=False)  # checked by the view
    subject = StringField(
        "Account id at the provider (subject)",
        validators=[DataRequired(), Length(max=255), SingleLine()],
        description="Shown to the person when a sign-in is refused, and in the audit log.",
    )
    submit = SubmitField("Link account")


class WebhookForm(FlaskForm):
    """A webhook's address and the events it is sent."""

    url = StringField(
        "URL",
        description="Where to POST each event, e.g. https://ats.example.com/hooks/interviewkit",
    )
    events = SelectMultipleField(
        "Events",
        choices=[SelectChoice(value=e, label=f"{e}: {text}") for e, text in EVENTS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submit = SubmitField("Save")

    def validate_url(self, field):
        """Refuse an address webhooks cannot go to, saying why (the webhooks service's check)."""
        try:
            field.data = check_url(field.data)
        except WebhookError as exc:
            raise ValidationError(sentence(exc)) from None

    def validate_events(self, field):
        """Ask for at least one event."""
        try:
            field.data = check_events(field.data)
        except WebhookError as exc:
            raise ValidationError(sentence(exc)) from None


class DeleteCandidateForm(FlaskForm):
    """Why a candidate's personal data is deleted, and the admin's confirmation."""

    reason = SelectField(
        "Reason",
        choices=[SelectChoice(value="", label="Choose why")]
        + [SelectChoice(value=key, label=label) for key, label in REASONS.items()],
        validators=[DataRequired(message="Choose why the data is deleted.")],
    )
    confirm = BooleanField(
        "I understand: the name, email, links, notes, evidence and decision texts are deleted "
        "for good; only the anonymised scores stay.",
        validators=[DataRequired(message="Tick this to confirm.")],
    )
    submit = SubmitField("Delete personal data")

"""Candidate and loop forms."""

from datetime import datetime
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from .. import scheduling
from ..text import SingleLine, TextRule
from ..vocabulary import CANDIDATE_STATUSES, LEVELS

MAX_LINKS = 10


class CandidateForm(FlaskForm):
    """A candidate's name, email, role, target level and status."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120), SingleLine()])
    email = EmailField(
        "Email",
        # a pasted address often carries spaces: trim them rather than call it invalid
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired(), Length(max=254), SingleLine(), Email()],
    )
    role_title = StringField(
        "Role",
        default="Back-end engineer",
        validators=[DataRequired(), Length(max=120), SingleLine()],
    )
    level = SelectField(
        "Target level",
        choices=[SelectChoice(value=lvl, label=lvl.capitalize()) for lvl in LEVELS],
        default="mid",
    )
    status = SelectField(
        "Status",
        choices=[SelectChoice(value=s, label=s.replace("_", " ")) for s in CANDIDATE_STATUSES],
    )
    links = TextAreaField(
        "Links (CV, code samples), one per line",
        validators=[Optional(), Length(max=2000), TextRule(multiline=True)],
        render_kw={"rows": 3},
    )
    language = StringField(
        "Preferred programming language",
        validators=[Optional(), Length(max=40), SingleLine()],
    )
    # shown only when another candidate has the same email: ticking it saves anyway
    allow_duplicate = BooleanField("Create a new record anyway (this person is re-applying)")
    submit = SubmitField("Save")

    def validate_links(self, field) -> None:
        """Accept up to 10 http(s) addresses, one per line, and keep them as a list."""
        lines = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
        if len(lines) > MAX_LINKS:
            raise ValidationError(f"Give at most {MAX_LINKS} links.")
        for line in lines:
            parts = urlsplit(line)
            if parts.scheme not in ("http", "https") or not parts.netloc or " " in line:
                raise ValidationError(
                    f"{line[:80]!r} is not a web address: links start with https:// (one per line)."
                )
        self.link_list = lines


class LoopForm(FlaskForm):
    """Which loop template to assemble, and an optional seed to reproduce a plan."""

    template = SelectField("Loop template", validators=[DataRequired()])
    seed = StringField(
        "Seed (optional)",
        validators=[
            Optional(),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9_-]+$", message="Letters, digits, - and _ only."),
        ],
    )
    submit = SubmitField("Assemble loop")


class AssignForm(FlaskForm):
    """The interviewer for a session."""

    interviewer = SelectField("Interviewer", coerce=int)
    submit = SubmitField("Assign")


class QuestionIdForm(FlaskForm):
    """A question id (swap, add)."""

    question_id = HiddenField(validators=[DataRequired(), Length(max=80)])


class MoveForm(FlaskForm):
    """Move up or down."""

    direction = HiddenField(validators=[DataRequired(), Regexp(r"^(up|down)$")])


class SessionForm(FlaskForm):
    """A new session for a loop: its name, minutes and competencies."""

    name = StringField("Session name", validators=[DataRequired(), Length(max=120), SingleLine()])
    minutes = IntegerField(
        "Minutes",
        default=45,
        validators=[
            DataRequired(),
            NumberRange(min=5, max=240, message="A session lasts 5 to 240 minutes."),
        ],
    )
    competencies = SelectMultipleField("Competencies")
    coding = BooleanField("Coding session: hands-on exercises only (a shared editor is needed)")
    submit = SubmitField("Add session")


class EmptyForm(FlaskForm):
    """A form with only the CSRF token (remove)."""


class PrepNoteForm(FlaskForm):
    """The lead's note to every interviewer of a loop."""

    prep_note = TextAreaField(
        "Prep note for the interviewers",
        validators=[Optional(), Length(max=5000), TextRule(multiline=True)],
        render_kw={"rows": 4},
    )


class _WhenForm(FlaskForm):
    """A date, a time and the time zone they are in, checked by the scheduling service."""

    date = StringField("Date", render_kw={"type": "date", "placeholder": "2026-03-31"})
    time = StringField("Start", render_kw={"type": "time", "placeholder": "09:30"})
    timezone = StringField(
        "Time zone",
        render_kw={"list": "timezones", "placeholder": "Europe/Berlin", "maxlength": 64},
    )
    meeting_url = StringField(
        "Meeting link", render_kw={"type": "url", "placeholder": "https://meet.example.com/…"}
    )

    def check(self) -> datetime | None:
        """Validate the form; return the start as wall-clock time, or None with errors set."""
        ok = self.validate_on_submit()
        zone = self._field_check(lambda: scheduling.zone(self.zone_name))
        start = self._field_check(lambda: scheduling.parse_local(self.date.data, self.time.data))
        exists = zone and start and self._field_check(lambda: scheduling.to_utc(start, zone.key))
        link = self._field_check(lambda: scheduling.check_meeting_url(self.meeting_url.data))
        return start if ok and exists and link is not None else None

    @property
    def zone_name(self) -> str:
        """Return the time zone as typed, trimmed."""
        return (self.timezone.data or "").strip()

    def _field_check(self, check):
        """Run a scheduling check; on ScheduleError put its message on its field, return None."""
        try:
            return check()
        except scheduling.ScheduleError as exc:
            field = getattr(self, exc.field)
            field.errors = [*field.errors, str(exc)]
            return None


class ScheduleForm(_WhenForm):
    """When one session takes place, for how long, and where to meet."""

    duration = IntegerField(
        "Minutes",
        validators=[
            InputRequired("Give the meeting's length in minutes, 15 to 480."),
            NumberRange(min=15, max=480, message="A meeting lasts 15 to 480 minutes (8 hours)."),
        ],
    )
    submit = SubmitField("Schedule")


class ScheduleLoopForm(_WhenForm):
    """When a loop's first session starts; the rest follow it with breaks between them."""

    break_minutes = IntegerField(
        "Break between sessions (minutes)",
        default=15,
        validators=[
            InputRequired("Give the break in minutes (0 for none)."),
            NumberRange(min=0, max=240, message="A break lasts 0 to 240 minutes."),
        ],
    )
    submit = SubmitField("Schedule the whole loop")

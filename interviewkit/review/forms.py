"""The decision form."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..text import TextRule
from ..vocabulary import DECISION_LABELS

MAX_RATIONALE = 10_000


class DecisionForm(FlaskForm):
    """Hire, no hire or another loop, with the rationale (and the reason for a change)."""

    outcome = SelectField(
        "Decision",
        choices=[SelectChoice(value=k, label=v) for k, v in DECISION_LABELS.items()],
        validators=[DataRequired(message="Choose hire, no hire or another loop.")],
    )
    rationale = TextAreaField(
        "Rationale",
        validators=[
            DataRequired(message="Write the rationale: what in the scorecards led here."),
            Length(max=MAX_RATIONALE),
            TextRule(multiline=True),
        ],
    )
    change_reason = TextAreaField(
        "Why the decision is changing",
        validators=[Optional(), Length(max=MAX_RATIONALE), TextRule(multiline=True)],
    )
    submit = SubmitField("Record decision")

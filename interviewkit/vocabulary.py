"""The words the whole product shares, defined once.

Levels, roles, scorecard statuses, recommendations, decisions and candidate statuses are
stored in the database, written in question files, offered in forms, compared in the
services and printed by the CLI. Each is a `StrEnum` here: a member *is* its stored
string (`Level.MID == "mid"`), so values read from a file, a form or a row compare
equal to it without conversion, and a typo in code (`Level.MIDDLE`) fails at import
instead of silently never matching.

The tuples beside them (`LEVELS`, ...) are the plain string values in their meaningful
order, for choices (click, WTForms), error messages and SQL `IN` lists.

Plain Python: this module imports nothing from the package, so the content pipeline,
the bank, the domain services and the web layer can all depend on it (see
docs/architecture.md).
"""

from __future__ import annotations

import enum


class Level(enum.StrEnum):
    """A seniority level, from junior to staff: the order is the order of the ladder."""

    JUNIOR = "junior"
    MID = "mid"
    SENIOR = "senior"
    STAFF = "staff"

    @property
    def rank(self) -> int:
        """Return the level's place on the ladder (junior 0 ... staff 3)."""
        return LEVELS.index(self.value)


LEVELS: tuple[str, ...] = tuple(level.value for level in Level)


class Role(enum.StrEnum):
    """What a user may do."""

    ADMIN = "admin"
    LEAD = "hiring_lead"
    INTERVIEWER = "interviewer"

    @property
    def label(self) -> str:
        """Return the role as shown to people."""
        return ROLE_LABELS[self.value]


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
ROLE_LABELS = {"admin": "Admin", "hiring_lead": "Hiring lead", "interviewer": "Interviewer"}


class CardStatus(enum.StrEnum):
    """Where a scorecard is: draft -> ratings_submitted -> submitted.

    Ratings (scores and recommendation) lock at `ratings_submitted`; the evidence is
    written after, and the whole card locks at `submitted`. Only locked ratings count in
    the debrief and the numbers.
    """

    DRAFT = "draft"
    RATINGS_SUBMITTED = "ratings_submitted"
    SUBMITTED = "submitted"

    @property
    def ratings_locked(self) -> bool:
        """Return True once the scores and recommendation can only be amended."""
        return self in RATINGS_LOCKED


CARD_STATUSES: tuple[str, ...] = tuple(status.value for status in CardStatus)
RATINGS_LOCKED: tuple[str, ...] = (CardStatus.RATINGS_SUBMITTED.value, CardStatus.SUBMITTED.value)


class Recommendation(enum.StrEnum):
    """An interviewer's overall recommendation, from strong no to strong yes."""

    STRONG_NO = "strong_no"
    NO = "no"
    YES = "yes"
    STRONG_YES = "strong_yes"


RECOMMENDATIONS: tuple[str, ...] = tuple(rec.value for rec in Recommendation)
RECOMMENDATION_LABELS = {
    "strong_no": "Strong no",
    "no": "No",
    "yes": "Yes",
    "strong_yes": "Strong yes",
}


class Outcome(enum.StrEnum):
    """A hiring lead's decision on a candidate."""

    HIRE = "hire"
    NO_HIRE = "no_hire"
    ANOTHER_LOOP = "another_loop"


DECISIONS: tuple[str, ...] = tuple(outcome.value for outcome in Outcome)
DECISION_LABELS = {"hire": "Hire", "no_hire": "No hire", "another_loop": "Another loop"}
DECIDED: tuple[str, ...] = (Outcome.HIRE.value, Outcome.NO_HIRE.value)  # a side was taken


class CandidateStatus(enum.StrEnum):
    """Where a candidate is in the process."""

    ACTIVE = "active"
    ON_HOLD = "on_hold"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


CANDIDATE_STATUSES: tuple[str, ...] = tuple(status.value for status in CandidateStatus)


class TokenScope(enum.StrEnum):
    """What a personal API token may do: read, or read and write."""

    READ = "read"
    READ_WRITE = "read-write"


TOKEN_SCOPES: tuple[str, ...] = tuple(scope.value for scope in TokenScope)


def template_globals() -> dict:
    """Return the vocabulary as Jinja globals, so templates never spell a value out."""
    return {
        "Level": Level,
        "LEVELS": LEVELS,
        "Role": Role,
        "CardStatus": CardStatus,
        "CANDIDATE_STATUSES": CANDIDATE_STATUSES,
        "RECOMMENDATION_LABELS": RECOMMENDATION_LABELS,
        "DECISION_LABELS": DECISION_LABELS,
    }

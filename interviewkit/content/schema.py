"""The fixed vocabulary of the question format."""

import re
from typing import NamedTuple

from ..vocabulary import LEVELS  # noqa: F401 - part of the question format's vocabulary

HANDS_ON = "hands-on"  # the candidate writes code, SQL or a schema (CONTRIBUTING.md)
KINDS = ("conceptual", "design", "troubleshooting", "code-reading", "behavioural", HANDS_ON)
MIN_MINUTES, MAX_MINUTES = 5, 60
MAX_FILE_BYTES = 1024 * 1024
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_YAML_NODES = 2000
MIN_PROBES, GOOD_PROBES = 2, 3

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 80

# Question front matter: field -> (required, type description).
QUESTION_FIELDS = {
    "id": (True, "slug"),
    "title": (True, "text"),
    "kind": (True, "choice"),
    "competencies": (True, "list"),
    "levels": (True, "list"),
    "minutes": (True, "int"),
    "scale": (True, "slug"),
    "tags": (True, "list"),
    "retired": (False, "bool"),
}


class Section(NamedTuple):
    """A body section of a question: how it is written, stored and shown.

    shape: "text" is rendered whole; "points" is one anchor per `### <point>` (the
    scoring guide); "levels" is one text per `- **<level>:**` item (the bar).
    kit: the label of the collapsible block the interview kit shows it in (None: the kit
    lays it out itself or leaves it out); kit_open: that block starts open.
    """

    key: str
    required: bool
    shape: str = "text"
    css: str = ""
    kit: str | None = None
    kit_open: bool = False

    @property
    def title(self) -> str:
        """Return the heading as written in a file and shown on the pages."""
        return next(name for name, s in SECTIONS.items() if s.key == self.key).capitalize()


# Body sections of a question, in order: heading (lower case) -> Section. The parser, the
# renderer and both question templates (the bank's page, the kit) follow this table, so
# a new text section is added here and nowhere else.
SECTIONS = {
    "prompt": Section("prompt", True, css="prompt"),
    # hands-on exercises only, and required there (checked by the parser); the starter's
    # fenced blocks are kept as code (Question.starters), not rendered as Markdown
    "starter": Section("starter", False, shape="code", css="starter"),
    "working answer": Section("answer", False, kit="Working answer", kit_open=True),
    "test cases": Section("cases", False, kit="Test cases"),
    "probes": Section("probes", True, kit="Follow-up probes", kit_open=True),
    "scoring guide": Section("guide", True, shape="points", css="guide"),
    # required when a question suits several levels (checked by the parser)
    "bar by level": Section("bar", False, shape="levels"),
    "red flags": Section("red_flags", True, kit="Red flags"),
    "notes": Section("notes", False, kit="Notes for the interviewer"),
}

# Sections only a hands-on exercise has, and must have.
HANDS_ON_SECTIONS = ("starter", "working answer", "test cases")
# A code exercise carries its starter in every one of these (E309), so any candidate can
# work in the language of the job descriptions the bank serves.
CODE_LANGUAGES = ("python", "java", "javascript")
# Further languages a code starter may come in, and the languages of starters that every
# candidate sees whatever they code in (a schema, a log, an HTTP trace).
EXTRA_CODE_LANGUAGES = ("go", "typescript", "kotlin", "csharp", "ruby", "rust", "php")
SHARED_LANGUAGES = ("sql", "text", "log", "http", "json", "yaml", "shell", "diff", "csv")
STARTER_LANGUAGES = CODE_LANGUAGES + EXTRA_CODE_LANGUAGES + SHARED_LANGUAGES

# Scoring-guide and bar rules (rubrics/scales/four-point.md, "How a question's anchors and
# its bars fit together").
MAX_ANCHOR_WORDS = 70  # anchors 3 and 4 are read mid-call: about 60 words, warn over 70

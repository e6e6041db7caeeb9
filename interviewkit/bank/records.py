"""The question record as bank.db stores it, and the lighter rows the app reads.

`QuestionRecord` is the question record: the bank's `questions` table is derived from
its fields (see `schema`), the writer fills it from the parsed `content.questions.Question`
and the reader returns it. A new field is added here and in the parser; fields of the
same name are copied across by the writer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class QuestionRecord:
    """One question in the bank: what was parsed, where it came from, and its rendering."""

    id: str
    title: str
    kind: str
    topic: str
    competencies: list[str]
    levels: list[str]
    minutes: int
    scale: str
    tags: list[str]
    retired: bool
    path: str  # relative to its content root
    root: str
    root_index: int
    source_key: str
    line: int
    content_hash: str
    prompt: str
    body: str  # the Markdown after the front matter
    html: dict[str, str]  # section key -> rendered HTML (content.schema.SECTIONS)
    exact: str  # similarity fingerprints of the prompt
    sketch: list[int]
    guide_text: str  # the scoring guide as plain text, for search
    tags_text: str
    # a hands-on exercise's starter blocks ({"language", "caption", "code"}; code is shown
    # escaped, never rendered) and the code languages they come in; empty for other kinds
    starters: list[dict]
    languages: list[str]


# What a loop keeps of a question when it is placed (LoopQuestion.snapshot), so a kit
# shows the question as it was asked even after the file changes.
SNAPSHOT_FIELDS = (
    "id",
    "title",
    "kind",
    "topic",
    "minutes",
    "competencies",
    "levels",
    "tags",
    "scale",
    "html",
    "body",
    "starters",
    "languages",
)


@dataclass(frozen=True)
class BankQuestion:
    """A question as the loop assembler sees it."""

    id: str
    title: str
    minutes: int
    competencies: tuple[str, ...]
    levels: tuple[str, ...]
    retired: bool = False
    kind: str = ""
    languages: tuple[str, ...] = ()  # a code exercise's starter languages

"""Lint problems: every rule the linter knows, and the reporter that records them.

RULES is the one place that says what a code means and how serious it is; a Reporter
refuses a code reported with the other severity, so no call site can decide it.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import NamedTuple

ERROR, WARNING = "error", "warning"


class Rule(NamedTuple):
    """One lint rule: its short name, a one-line summary and its severity."""

    name: str
    summary: str
    severity: str


# An error blocks a load and fails lint; a warning is reported but does not fail lint
# (unless `lint --strict`). A warning in DRAFT_ONLY also blocks a load. Error codes start
# with E and warning codes with W (tests/test_reporter.py keeps the two in step).
# CONTRIBUTING.md documents every code (tests/test_docs.py checks it).
_ERRORS = {
    "E101": ("not-utf8", "the file is not valid UTF-8 text"),
    "E102": ("too-large", "the file or its front matter is larger than the limit"),
    "E103": ("no-front-matter", "the file does not start with a --- front matter block"),
    "E104": ("unclosed-front-matter", "the front matter has no closing --- line"),
    "E105": ("yaml-syntax", "the front matter is not valid YAML"),
    "E106": ("front-matter-not-mapping", "the front matter is not a mapping of fields"),
    "E107": ("yaml-alias", "the front matter uses YAML anchors/aliases or is too deeply nested"),
    "E108": ("symlink", "a symbolic link leads outside the content root (or nowhere)"),
    "E201": ("missing-field", "a required field is missing"),
    "E202": ("wrong-type", "a field has the wrong type"),
    "E203": ("bad-id", "an id is not a lowercase slug"),
    "E204": ("bad-value", "a field's value is not one of the allowed values"),
    "E205": ("unknown-competency", "a competency is not defined in rubrics/competencies"),
    "E206": ("unknown-scale", "a scale is not defined in rubrics/scales"),
    "E207": ("minutes-out-of-range", "a time budget is outside the allowed range"),
    "E208": ("unknown-topic", "the question's folder is not a topic in rubrics/topics.md"),
    "E301": ("missing-section", "a required section is missing"),
    "E302": ("too-few-probes", "fewer than two follow-up probes"),
    "E303": ("guide-skips-point", "the scoring guide has no anchor for a point of the scale"),
    "E304": ("guide-unknown-point", "the scoring guide has an anchor that is not on the scale"),
    "E305": ("bar-missing-level", "a level the question suits has no bar"),
    "E306": ("empty-section", "a section has a heading but no text"),
    "E307": ("duplicate-section", "a section appears twice"),
    "E308": ("bar-beyond-scale", "a level's bar asks for a 4 instead of saying what its 3 adds"),
    "E309": ("starter-languages", "a code exercise's starter lacks python, java or javascript"),
    "E310": ("hands-on-section", "a hands-on section outside a hands-on exercise, or no code"),
    "E401": ("duplicate-id", "two files in the same content root use the same id"),
    "E402": ("duplicate-prompt", "two questions have the same prompt"),
    "E501": ("bad-rubric", "a rubric, scale, topic list or loop template is inconsistent"),
    "E502": ("weights-not-mapping", "a loop template's weights are not a mapping"),
    "E503": ("weight-unknown-competency", "a weight names a competency no session asks for"),
    "E504": ("weight-out-of-range", "a weight is not a number above 0 and at most 10"),
}
_WARNINGS = {
    "W201": ("unknown-field", "a front matter field is not part of the format"),
    "W202": ("id-filename-mismatch", "the file name is not <id>.md"),
    "W203": ("duplicate-value", "a list field repeats a value"),
    "W204": ("unknown-tag", "a tag is not in the vocabulary in rubrics/tags.md"),
    "W301": ("few-probes", "only two follow-up probes; the bank's bar is three"),
    "W302": ("bar-extra-level", "the bar names a level the question does not list"),
    "W303": ("unknown-section", "a section heading is not part of the format"),
    "W304": ("placeholder", "scaffold placeholder text (TODO:) is still in the file"),
    "W305": ("anchor-4-no-count", "anchor 4 does not say how much of its list earns a 4"),
    "W306": ("long-anchor", "anchor 3 or 4 is over 70 words"),
    "W307": ("starter-language", "a starter block names no language, or an unknown one"),
    "W401": ("near-duplicate", "two questions have very similar prompts"),
}
RULES: dict[str, Rule] = {
    **{code: Rule(*text, ERROR) for code, text in _ERRORS.items()},
    **{code: Rule(*text, WARNING) for code, text in _WARNINGS.items()},
}

# Warnings that are fine in a draft but never in the bank: `load` refuses a file with one.
DRAFT_ONLY = frozenset({"W304"})


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, at one line."""

    path: str
    line: int
    code: str
    message: str

    @property
    def severity(self) -> str:
        """Return "error" or "warning", as RULES has it."""
        return RULES[self.code].severity

    @property
    def blocks_load(self) -> bool:
        """Return True if `load` refuses the content while this problem is in it."""
        return self.severity == ERROR or self.code in DRAFT_ONLY

    @property
    def name(self) -> str:
        """Return the rule's short name, e.g. "missing-field"."""
        return RULES[self.code].name

    def format(self) -> str:
        """Return the problem as `path:line: CODE message`."""
        return f"{self.path}:{self.line}: {self.code} {self.message} [{self.name}]"

    def github(self) -> str:
        """Return the problem as a GitHub Actions workflow command (an annotation on the line).

        `::error file=...,line=...,title=...::message`; the escaping follows GitHub's
        workflow-command rules (%, CR and LF everywhere, and : and , in properties).
        """

        def data(text: str) -> str:
            return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

        def prop(text: str) -> str:
            return data(text).replace(":", "%3A").replace(",", "%2C")

        title = prop(f"{self.code} {self.name}")
        return (
            f"::{self.severity} file={prop(self.path)},line={self.line},title={title}::"
            f"{data(self.message)}"
        )

    def as_dict(self) -> dict:
        """Return the problem as a JSON-ready dict."""
        return {**asdict(self), "severity": self.severity, "name": self.name}


class Reporter:
    """Record the problems of one file, checking each code's severity against RULES.

    `report.error("E204", line, message)` and `report.warning("W301", line, message)`
    append to `problems` (a list of the caller's, to collect several files in one place,
    or a new one); a code that RULES lacks or lists with the other severity raises
    ValueError, which tests/test_reporter.py turns into a failing test.
    """

    def __init__(self, path: str, problems: list[Problem] | None = None) -> None:
        self.path = path
        self.problems: list[Problem] = [] if problems is None else problems
        self.errors = 0  # errors reported through this reporter (not already in `problems`)

    def error(self, code: str, line: int, message: str) -> None:
        """Report an error (a code RULES lists as an error) at a line of the file."""
        self._add(ERROR, code, line, message)
        self.errors += 1

    def warning(self, code: str, line: int, message: str) -> None:
        """Report a warning (a code RULES lists as a warning) at a line of the file."""
        self._add(WARNING, code, line, message)

    def _add(self, severity: str, code: str, line: int, message: str) -> None:
        rule = RULES.get(code)
        if rule is None:
            raise ValueError(f"{code} is not a lint rule: add it to RULES and CONTRIBUTING.md")
        if rule.severity != severity:
            raise ValueError(f"{code} is {rule.severity} in RULES but was reported as {severity}")
        self.problems.append(Problem(self.path, line, code, message))


def did_you_mean(value, choices) -> str:
    """Return ` (did you mean 'x'?)` for the choice closest to a wrong value, or ""."""
    close = difflib.get_close_matches(str(value), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def has_errors(problems, strict: bool = False) -> bool:
    """Return True if any problem is an error (with `strict`, if there is any problem)."""
    return any(strict or p.severity == ERROR for p in problems)


def blocks_load(problems) -> bool:
    """Return True if any problem keeps the content out of the bank."""
    return any(p.blocks_load for p in problems)

"""Rules for text that people type, shared by forms, autosave and the request checks.

SQLite accepts a NUL and PostgreSQL refuses it; neither can encode a lone surrogate (half
of a UTF-16 pair that browsers and JSON can carry). So every text is handled here before
it reaches either database, and both behave the same: a one-line field (a name, an email)
with a control character is refused with a message saying what to remove, and an
autosaved note drops what no one can see (`clean_note`), since the interviewer could not
find it to remove it.
"""

from __future__ import annotations

import re

from wtforms.validators import ValidationError

# C0 and C1 control characters except tab, newline and carriage return (allowed in notes).
_CONTROL_MULTI = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# In a single-line field (a name, an email, a title) no control character belongs at all.
_CONTROL_SINGLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def problem(value: str, *, multiline: bool) -> str | None:
    """Return what is wrong with a text for storage, or None if it can be stored."""
    if SURROGATE.search(value):
        return (
            "contains a broken character (half of a surrogate pair), often from a bad "
            "copy and paste: retype the last characters you pasted"
        )
    pattern = _CONTROL_MULTI if multiline else _CONTROL_SINGLE
    found = pattern.search(value)
    if found:
        code = f"U+{ord(found.group()):04X}"
        where = "" if multiline else " (use one line, no tabs)"
        return f"contains an invisible control character {code}{where}: remove it"
    return None


def clean_note(value: str) -> str:
    """Return a note as it can be stored on every database, dropping nothing visible.

    An autosaved note is never refused for an invisible character, since the interviewer
    could not find it to remove it: control characters (NUL included) are dropped, a lone
    surrogate becomes U+FFFD (the replacement character), and newlines become \\n.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL_MULTI.sub("", value)
    return SURROGATE.sub("\ufffd", value)


class TextRule:
    """WTForms validator: refuse what `problem` finds (control characters, surrogates)."""

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, form, field) -> None:
        """Raise ValidationError with a message that says what to fix."""
        if isinstance(field.data, str):
            reason = problem(field.data, multiline=self.multiline)
            if reason:
                raise ValidationError(f"This field {reason}.")


def SingleLine() -> TextRule:  # noqa: N802 - used like the WTForms validator classes
    """Return the validator for a one-line field: no control character at all."""
    return TextRule(multiline=False)


def sentence(error: Exception) -> str:
    """Return a service's refusal ("the name is ...") as a sentence to show beside a field."""
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")

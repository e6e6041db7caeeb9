"""A hands-on exercise's starter: which language a candidate means, and what to show them.

Plain Python: the loop assembler uses `starter_language` to prefer exercises in the
candidate's language, and the kit and the bank's question page use `arrange` to put
that language's starter first.
"""

from __future__ import annotations

import re

from .schema import CODE_LANGUAGES, EXTRA_CODE_LANGUAGES, STARTER_LANGUAGES

# How people write a language on a candidate's profile -> the starter language it means.
_LANGUAGE_ALIASES = {
    "py": "python",
    "python3": "python",
    "js": "javascript",
    "node": "javascript",
    "nodejs": "javascript",
    "node.js": "javascript",
    "ecmascript": "javascript",
    "ts": "typescript",
    "golang": "go",
    "c#": "csharp",
    ".net": "csharp",
    "dotnet": "csharp",
}


def starter_language(text: str | None) -> str | None:
    """Return the starter language a candidate's preferred language means, or None.

    "Python 3", "Java 21", "Node.js", "TypeScript", "Go (golang)" are understood; the
    first word that names a known language wins, so "Java, some Kotlin" is java.
    """
    for word in re.findall(r"[a-z#.+]+", (text or "").lower()):
        word = word.strip(".")
        found = _LANGUAGE_ALIASES.get(word, word)
        if found in STARTER_LANGUAGES:
            return found
    return None


# A language whose starter is missing is best served by its nearest relative's.
_NEAREST = {"typescript": "javascript", "kotlin": "java", "csharp": "java"}


def best_language(languages, wanted: str | None) -> str | None:
    """Return the language of `languages` that serves a candidate coding in `wanted`."""
    if wanted in languages:
        return wanted
    near = _NEAREST.get(wanted or "")
    return near if near in languages else None


def arrange(starters: list[dict], preferred: str | None) -> tuple[list[dict], list[dict]]:
    """Return (the blocks to show, the other languages' code blocks), in file order.

    Shown: every block that is not code (a schema, a log: everyone sees them) and the
    code blocks of one language: the candidate's `preferred` language (as written on their
    profile) when the starter has it, else the first of CODE_LANGUAGES it has.
    """
    code = set(CODE_LANGUAGES + EXTRA_CODE_LANGUAGES)
    have = [b["language"] for b in starters if b["language"] in code]
    wanted = best_language(have, starter_language(preferred))
    if wanted is None:
        wanted = next((lang for lang in CODE_LANGUAGES if lang in have), have[0] if have else None)
    shown = [b for b in starters if b["language"] not in code or b["language"] == wanted]
    others = [b for b in starters if b["language"] in code and b["language"] != wanted]
    return shown, others

"""Scaffold a new question file with a fresh id, valid under lint."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

from .content.files import discover

PLACEHOLDER = "TODO:"

TEMPLATE = """\
{front_matter}---

## Prompt

TODO: the question as you would read it out, with the scenario and any numbers,
logs or code the candidate needs.

## Probes

- TODO: a follow-up that goes one level deeper.
- TODO: a follow-up that changes a constraint.
- TODO: a follow-up about failure or trade-offs.

## Scoring guide

### 1
TODO: what a well-below-the-bar answer sounds like for this question.

### 2
TODO: the partial answer: what it gets right and the key thing it misses.

### 3
TODO: the answer that meets the bar, in concrete terms.

### 4
All of 3, plus any two of: TODO: the depth or trade-offs a strong candidate adds.

{bar}## Red flags

- TODO: a specific warning sign.

## Notes

TODO: tips for the interviewer, or delete this section.
"""


def slugify(text: str) -> str:
    """Return a lowercase hyphenated slug of a title (ASCII only)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].rstrip("-") or "question"


def taken_ids(roots: list[Path]) -> set[str]:
    """Return every question id and file name already used in the content roots."""
    taken = set()
    for f in discover(roots):
        if f.kind != "question":
            continue
        taken.add(f.stem)
        match = re.search(r"^id:\s*(\S+)", f.read().data.decode("utf-8", "replace"), re.M)
        if match:
            taken.add(match.group(1).strip("'\""))
    return taken


def fresh_id(title: str, taken: set[str]) -> str:
    """Return a slug of the title that no question uses yet."""
    base = slugify(title)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def new_question(
    root: Path,
    roots: list[Path],
    *,
    topic: str,
    title: str,
    kind: str,
    levels: list[str],
    competencies: list[str],
    minutes: int,
    tags: list[str],
) -> Path:
    """Write a scaffolded question file and return its path; never overwrites a file."""
    qid = fresh_id(title, taken_ids(roots))
    fields = {
        "id": qid,
        "title": title,
        "kind": kind,
        "competencies": competencies,
        "levels": levels,
        "minutes": minutes,
        "scale": "four-point",
        "tags": tags,
    }
    front = "---\n" + yaml.safe_dump(
        fields, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100
    )
    bar = ""
    if len(levels) > 1:
        bar = (
            "## Bar by level\n\n"
            + "".join(
                f"- **{level}:** TODO: what meets the bar at {level} level.\n" for level in levels
            )
            + "\n"
        )
    path = root / "questions" / topic / f"{qid}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(TEMPLATE.format(front_matter=front, bar=bar))
    return path

"""Turn a parsed Source into a Question, checking fields and sections against the catalog."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .problems import Problem
from .rubrics import Catalog
from .schema import (
    GOOD_PROBES,
    KINDS,
    LEVELS,
    MAX_ID_LENGTH,
    MAX_MINUTES,
    MIN_MINUTES,
    MIN_PROBES,
    QUESTION_FIELDS,
    SECTIONS,
    SLUG_RE,
)
from .source import Source

_ITEM_RE = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+", re.M)
_BAR_ITEM_RE = re.compile(r"^\*\*([A-Za-z-]+)\s*:?\s*\*\*\s*:?\s*", re.S)
_POINT_RE = re.compile(r"^(\d+)\b")


@dataclass
class Question:
    """One question as the bank stores it (Markdown text; rendering happens later)."""

    id: str
    title: str
    kind: str
    competencies: list[str]
    levels: list[str]
    minutes: int
    scale: str
    tags: list[str]
    topic: str
    path: str
    prompt: str
    probes: list[str]
    guide: dict[str, str]
    bar: dict[str, str]
    red_flags: str
    notes: str
    body: str
    retired: bool = False
    line: int = 1
    extra: dict = field(default_factory=dict)


def list_items(text: str) -> list[str]:
    """Return the top-level list items of a Markdown block, without their markers."""
    starts = list(_ITEM_RE.finditer(text))
    items = []
    for i, match in enumerate(starts):
        stop = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        items.append(text[match.end() : stop].strip())
    return items


def _suggest(value, choices) -> str:
    close = difflib.get_close_matches(str(value), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_fields(src: Source, spec: dict, problems: list[Problem]) -> dict:
    """Check required fields and their basic types; return the usable values."""
    values = {}
    for name, (required, kind) in spec.items():
        if name not in src.fields:
            if required:
                problems.append(
                    Problem(
                        src.path,
                        1,
                        "E201",
                        f"missing required field {name!r}: add `{name}:` to the front matter",
                    )
                )
            continue
        value = src.fields[name]
        if kind in ("slug", "text", "choice"):
            ok = isinstance(value, str) and value.strip() != ""
            wanted = "a non-empty text"
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
            wanted = "a whole number"
        elif kind == "bool":
            ok = isinstance(value, bool)
            wanted = "true or false"
        else:  # list of strings
            ok = (
                isinstance(value, list)
                and value != []
                and all(isinstance(v, str) and v.strip() for v in value)
            )
            wanted = "a non-empty list of texts, like [a, b]"
        if not ok:
            problems.append(
                Problem(
                    src.path,
                    src.line_of(name),
                    "E202",
                    f"field {name!r} must be {wanted}, not {value!r:.60}",
                )
            )
            continue
        if kind == "slug" and not (SLUG_RE.match(value) and len(value) <= MAX_ID_LENGTH):
            problems.append(
                Problem(
                    src.path,
                    src.line_of(name),
                    "E203",
                    f"{name} {value!r:.60} must be a "
                    "lowercase slug of letters, digits and hyphens, at most "
                    f"{MAX_ID_LENGTH} characters",
                )
            )
            continue
        if kind == "list" and len(set(value)) != len(value):
            problems.append(
                Problem(
                    src.path, src.line_of(name), "W203", f"{name} lists a value twice: remove it"
                )
            )
        values[name] = value
    for name in src.fields:
        if name not in spec:
            problems.append(
                Problem(
                    src.path,
                    src.line_of(name),
                    "W201",
                    f"unknown field {name!r}{_suggest(name, spec)}: remove it or fix its name",
                )
            )
    return values


def parse_question(
    src: Source, catalog: Catalog, topic: str | None, stem: str
) -> tuple[Question | None, list[Problem]]:
    """Check a question file; return the Question (None on errors) and all problems."""
    problems: list[Problem] = []
    path = src.path
    v = check_fields(src, QUESTION_FIELDS, problems)

    if "id" in v and v["id"] != stem:
        problems.append(
            Problem(
                path,
                src.line_of("id"),
                "W202",
                f"the file is named {stem}.md "
                f"but its id is {v['id']!r}: rename the file to {v['id']}.md",
            )
        )
    if "kind" in v and v["kind"] not in KINDS:
        problems.append(
            Problem(
                path,
                src.line_of("kind"),
                "E204",
                f"kind {v['kind']!r} is not one of {', '.join(KINDS)}{_suggest(v['kind'], KINDS)}",
            )
        )
    for i, level in enumerate(v.get("levels", [])):
        if level not in LEVELS:
            problems.append(
                Problem(
                    path,
                    src.line_of("levels", i),
                    "E204",
                    f"level {level!r} is not one of {', '.join(LEVELS)}{_suggest(level, LEVELS)}",
                )
            )
    for i, comp in enumerate(v.get("competencies", [])):
        if comp not in catalog.competencies:
            problems.append(
                Problem(
                    path,
                    src.line_of("competencies", i),
                    "E205",
                    f"competency {comp!r} is not defined in "
                    f"rubrics/competencies{_suggest(comp, catalog.competencies)}: "
                    "use a defined id or add a competency file",
                )
            )
    for i, tag in enumerate(v.get("tags", [])):
        if not SLUG_RE.match(tag):
            problems.append(
                Problem(
                    path,
                    src.line_of("tags", i),
                    "E203",
                    f"tag {tag!r} must be a lowercase slug of letters, digits and hyphens",
                )
            )
        elif catalog.tags and tag not in catalog.tags:
            problems.append(
                Problem(
                    path,
                    src.line_of("tags", i),
                    "W204",
                    f"tag {tag!r} is not in rubrics/tags.md{_suggest(tag, catalog.tags)}: "
                    "use a listed tag, or add this one there with its meaning",
                )
            )
    if "minutes" in v and not MIN_MINUTES <= v["minutes"] <= MAX_MINUTES:
        problems.append(
            Problem(
                path,
                src.line_of("minutes"),
                "E207",
                f"minutes is {v['minutes']}"
                f"; a question's time budget must be {MIN_MINUTES} to "
                f"{MAX_MINUTES} minutes",
            )
        )
    scale = catalog.scales.get(v.get("scale"))
    if "scale" in v and scale is None:
        problems.append(
            Problem(
                path,
                src.line_of("scale"),
                "E206",
                f"scale {v['scale']!r} is "
                f"not defined in rubrics/scales{_suggest(v['scale'], catalog.scales)}",
            )
        )
    if topic is None:
        problems.append(
            Problem(
                path, 1, "E208", "the file is not in a topic folder: move it to questions/<topic>/"
            )
        )
    elif catalog.topics and topic not in catalog.topics:
        problems.append(
            Problem(
                path,
                1,
                "E208",
                f"folder {topic!r} is not a topic in "
                f"rubrics/topics.md{_suggest(topic, catalog.topics)}: move the "
                "file or add the topic",
            )
        )

    placeholder = src.body.find("TODO:")
    if placeholder >= 0:
        problems.append(
            Problem(
                path,
                src.body_line + src.body.count("\n", 0, placeholder),
                "W304",
                "placeholder text from new-question is still here: "
                "replace every TODO: with real content",
            )
        )
    sections = _check_sections(src, problems)
    prompt = sections.get("prompt", "")
    probes = _check_probes(src, sections, problems)
    guide = _check_guide(src, sections, scale, problems)
    bar = _check_bar(src, sections, v.get("levels"), problems)

    if any(p.code.startswith("E") for p in problems):
        return None, problems
    question = Question(
        id=v["id"],
        title=v["title"].strip(),
        kind=v["kind"],
        competencies=v["competencies"],
        levels=[lvl for lvl in LEVELS if lvl in v["levels"]],
        minutes=v["minutes"],
        scale=v["scale"],
        tags=v["tags"],
        topic=topic,
        path=path,
        prompt=prompt,
        probes=probes,
        guide=guide,
        bar=bar,
        red_flags=sections.get("red_flags", ""),
        notes=sections.get("notes", ""),
        body=src.body,
        retired=v.get("retired", False),
    )
    return question, problems


def _check_sections(src: Source, problems: list[Problem]) -> dict[str, str]:
    found: dict[str, str] = {}
    lines: dict[str, int] = {}
    for heading in src.sections:
        name = heading.title.strip().lower()
        if name not in SECTIONS:
            problems.append(
                Problem(
                    src.path,
                    heading.line,
                    "W303",
                    f"unknown section "
                    f"{heading.title!r}{_suggest(name, SECTIONS)}: the sections "
                    "are " + ", ".join(s.capitalize() for s in SECTIONS),
                )
            )
            continue
        key = SECTIONS[name][0]
        if key in found:
            problems.append(
                Problem(
                    src.path,
                    heading.line,
                    "E307",
                    f"section {heading.title!r} "
                    f"already appears on line {lines[key]}: merge the two",
                )
            )
            continue
        if not heading.text.strip():
            problems.append(
                Problem(
                    src.path,
                    heading.line,
                    "E306",
                    f"section {heading.title!r} is empty: write its text or remove the heading",
                )
            )
        found[key], lines[key] = heading.text.strip(), heading.line
        src.section_lines[key] = heading.line
    for name, (key, required) in SECTIONS.items():
        if required and key not in found:
            problems.append(
                Problem(
                    src.path,
                    src.body_line,
                    "E301",
                    f"missing section '## {name.capitalize()}': add it (see CONTRIBUTING.md)",
                )
            )
    return found


def _check_probes(src, sections, problems) -> list[str]:
    if "probes" not in sections:
        return []
    probes = list_items(sections["probes"])
    line = src.section_lines.get("probes", 1)
    if len(probes) < MIN_PROBES:
        problems.append(
            Problem(
                src.path,
                line,
                "E302",
                f"{len(probes)} follow-up probe(s): write "
                f"at least {MIN_PROBES}, each as a `- ` list item",
            )
        )
    elif len(probes) < GOOD_PROBES:
        problems.append(
            Problem(
                src.path,
                line,
                "W301",
                f"only {len(probes)} follow-up probes: "
                f"add a {GOOD_PROBES}rd that deepens or branches the discussion",
            )
        )
    return probes


def _guide_heading(src):
    return next((h for h in src.sections if h.title.strip().lower() == "scoring guide"), None)


def _check_guide(src, sections, scale, problems) -> dict[str, str]:
    heading = _guide_heading(src)
    if heading is None:
        return {}
    guide: dict[str, str] = {}
    for sub in heading.subsections:
        match = _POINT_RE.match(sub.title.strip())
        points = scale.values if scale else None
        if not match or (points and int(match.group(1)) not in points):
            allowed = f"### {points[0]} to ### {points[-1]}" if points else "### <point>"
            problems.append(
                Problem(
                    src.path,
                    sub.line,
                    "E304",
                    f"anchor heading '### {sub.title}' is not a point of the scale: use {allowed}",
                )
            )
            continue
        if not sub.text.strip():
            problems.append(
                Problem(
                    src.path,
                    sub.line,
                    "E306",
                    f"anchor '### {sub.title}' is "
                    "empty: say what an answer at this point sounds like",
                )
            )
        guide[match.group(1)] = sub.text.strip()
    if scale:
        for point in scale.values:
            if str(point) not in guide:
                problems.append(
                    Problem(
                        src.path,
                        heading.line,
                        "E303",
                        f"the scoring guide has "
                        f"no anchor for {point}: add '### {point}' with what a "
                        f"{point} answer sounds like",
                    )
                )
    return guide


def _check_bar(src, sections, levels, problems) -> dict[str, str]:
    bar: dict[str, str] = {}
    line = src.section_lines.get("bar", src.body_line)
    for item in list_items(sections.get("bar", "")):
        match = _BAR_ITEM_RE.match(item)
        if not match:
            problems.append(
                Problem(
                    src.path,
                    line,
                    "W302",
                    f"bar item {item[:40]!r} does not "
                    "start with a level: write it as `- **mid:** ...`",
                )
            )
            continue
        level = match.group(1).lower()
        if levels is not None and level not in levels:
            problems.append(
                Problem(
                    src.path,
                    line,
                    "W302",
                    f"the bar names level {level!r}, which "
                    "is not in `levels`: remove it or add the level",
                )
            )
        bar[level] = item[match.end() :].strip()
    if levels and len(levels) > 1:
        for level in levels:
            if level in LEVELS and level not in bar:
                problems.append(
                    Problem(
                        src.path,
                        line,
                        "E305",
                        f"the question suits {level} but "
                        f"'## Bar by level' says nothing for it: add "
                        f"`- **{level}:** what meets the bar`",
                    )
                )
    return bar

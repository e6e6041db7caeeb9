"""Scales, competencies, topics and loop templates: the catalog questions refer to."""

from __future__ import annotations

from dataclasses import dataclass, field

from .problems import Problem
from .schema import LEVELS, SLUG_RE
from .source import Source


@dataclass
class Scale:
    """A scoring scale: ordered points, each with a label and a behavioural anchor."""

    id: str
    title: str
    points: list[dict]
    body: str = ""
    path: str = ""

    @property
    def values(self) -> list[int]:
        """Return the scale's point values in order."""
        return [p["value"] for p in self.points]


@dataclass
class Competency:
    """A competency: what it covers and what strong looks like."""

    id: str
    title: str
    covers: str
    strong: str
    path: str = ""


@dataclass
class LoopTemplate:
    """A role and level mapped to interview sessions."""

    id: str
    title: str
    role: str
    level: str
    scale: str
    sessions: list[dict]
    body: str = ""
    path: str = ""


@dataclass
class Catalog:
    """Everything questions may refer to, merged across content roots (later wins by id)."""

    scales: dict[str, Scale] = field(default_factory=dict)
    competencies: dict[str, Competency] = field(default_factory=dict)
    loops: dict[str, LoopTemplate] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def _need(src: Source, fields: dict, name: str, problems, kind=str, where=None, line=None):
    """Return a field's value if present with the right type, else record a problem."""
    where = where or "the front matter"
    line = line or src.line_of(name)
    if name not in fields:
        problems.append(Problem(src.path, line, "E201", f"missing field {name!r} in {where}"))
        return None
    value = fields[name]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        wanted = {str: "a text", int: "a whole number", list: "a list"}[kind]
        problems.append(Problem(src.path, line, "E202", f"{name!r} in {where} must be {wanted}"))
        return None
    return value


def _need_id(src, problems):
    value = _need(src, src.fields, "id", problems)
    if value is not None and not SLUG_RE.match(value):
        problems.append(
            Problem(
                src.path,
                src.line_of("id"),
                "E203",
                f"id {value!r} must be a lowercase slug of letters, digits and hyphens",
            )
        )
        return None
    return value


def parse_scale(src: Source, problems: list[Problem]) -> Scale | None:
    """Check and build a scale; its points must be numbered 1..N with labels and anchors."""
    before = len(problems)
    sid, title = _need_id(src, problems), _need(src, src.fields, "title", problems)
    points = _need(src, src.fields, "points", problems, list) or []
    for i, point in enumerate(points):
        line = src.line_of("points", i)
        if not isinstance(point, dict):
            problems.append(
                Problem(
                    src.path,
                    line,
                    "E202",
                    "each point must be a mapping with value, label and anchor",
                )
            )
            continue
        _need(src, point, "value", problems, int, f"point {i + 1}", line)
        _need(src, point, "label", problems, str, f"point {i + 1}", line)
        _need(src, point, "anchor", problems, str, f"point {i + 1}", line)
    if len(problems) == before:
        values = [p["value"] for p in points]
        if values != list(range(1, len(values) + 1)) or len(values) < 2:
            problems.append(
                Problem(
                    src.path,
                    src.line_of("points"),
                    "E501",
                    f"scale points are {values}; number them 1, 2, 3 ... with at least two",
                )
            )
    if len(problems) > before:
        return None
    return Scale(sid, title, points, src.body.strip(), src.path)


def parse_competency(src: Source, problems: list[Problem]) -> Competency | None:
    """Check and build a competency; it needs 'Covers' and 'Strong looks like' sections."""
    before = len(problems)
    cid, title = _need_id(src, problems), _need(src, src.fields, "title", problems)
    texts = {h.title.strip().lower(): h.text.strip() for h in src.sections}
    for name in ("covers", "strong looks like"):
        if not texts.get(name):
            problems.append(
                Problem(
                    src.path,
                    src.body_line,
                    "E301",
                    f"missing section '## {name.capitalize()}': add it with its text",
                )
            )
    if len(problems) > before:
        return None
    return Competency(cid, title, texts["covers"], texts["strong looks like"], src.path)


def parse_loop(src: Source, problems: list[Problem]) -> LoopTemplate | None:
    """Check and build a loop template's fields (references are checked by check_catalog)."""
    before = len(problems)
    lid, title = _need_id(src, problems), _need(src, src.fields, "title", problems)
    role, level = (
        _need(src, src.fields, "role", problems),
        _need(src, src.fields, "level", problems),
    )
    scale = _need(src, src.fields, "scale", problems)
    sessions = _need(src, src.fields, "sessions", problems, list) or []
    if level is not None and level not in LEVELS:
        problems.append(
            Problem(
                src.path,
                src.line_of("level"),
                "E204",
                f"level {level!r} is not one of {', '.join(LEVELS)}",
            )
        )
    if "sessions" in src.fields and not sessions:
        problems.append(
            Problem(
                src.path,
                src.line_of("sessions"),
                "E501",
                "a loop template needs at least one session",
            )
        )
    for i, session in enumerate(sessions):
        line, where = src.line_of("sessions", i), f"session {i + 1}"
        if not isinstance(session, dict):
            problems.append(
                Problem(
                    src.path,
                    line,
                    "E202",
                    f"{where} must be a mapping with name, minutes and competencies",
                )
            )
            continue
        _need(src, session, "name", problems, str, where, line)
        minutes = _need(src, session, "minutes", problems, int, where, line)
        if minutes is not None and not 10 <= minutes <= 240:
            problems.append(
                Problem(
                    src.path,
                    line,
                    "E207",
                    f"{where} lasts {minutes} minutes; a session must be 10 to 240 minutes",
                )
            )
        comps = _need(src, session, "competencies", problems, list, where, line)
        if comps is not None and not comps:
            problems.append(Problem(src.path, line, "E501", f"{where} lists no competencies"))
    if len(problems) > before:
        return None
    return LoopTemplate(lid, title, role, level, scale, sessions, src.body.strip(), src.path)


def parse_topics(src: Source, problems: list[Problem]) -> dict[str, str]:
    """Check and return the topic list: id -> title."""
    return _parse_vocabulary(src, problems, "topics", "title", "topic")


def parse_tags(src: Source, problems: list[Problem]) -> dict[str, str]:
    """Check and return the tag vocabulary: id -> meaning."""
    return _parse_vocabulary(src, problems, "tags", "meaning", "tag")


def _parse_vocabulary(src, problems, name: str, text: str, one: str) -> dict[str, str]:
    """Return a list field of `{id, <text>}` mappings as id -> text, reporting bad items."""
    found = {}
    for i, item in enumerate(_need(src, src.fields, name, problems, list) or []):
        line = src.line_of(name, i)
        if not (
            isinstance(item, dict)
            and isinstance(item.get("id"), str)
            and SLUG_RE.match(item["id"])
            and isinstance(item.get(text), str)
        ):
            problems.append(
                Problem(src.path, line, "E501", f"each {one} needs a slug `id` and a `{text}`")
            )
            continue
        if item["id"] in found:
            problems.append(
                Problem(src.path, line, "W203", f"{one} {item['id']!r} is listed twice: remove one")
            )
        found[item["id"]] = item[text]
    return found


def check_catalog(catalog: Catalog, problems: list[Problem]) -> None:
    """Check references between rubric files (loop templates to scales and competencies)."""
    for loop in catalog.loops.values():
        if loop.scale not in catalog.scales:
            problems.append(
                Problem(
                    loop.path,
                    1,
                    "E206",
                    f"loop template {loop.id!r} uses scale "
                    f"{loop.scale!r}, which is not defined in rubrics/scales",
                )
            )
        for i, session in enumerate(loop.sessions):
            for comp in session["competencies"]:
                if comp not in catalog.competencies:
                    problems.append(
                        Problem(
                            loop.path,
                            1,
                            "E205",
                            f"session {i + 1} of "
                            f"{loop.id!r} names competency {comp!r}, which is "
                            "not defined in rubrics/competencies",
                        )
                    )

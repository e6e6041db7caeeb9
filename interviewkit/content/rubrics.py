"""Scales, competencies, topics and loop templates: the catalog questions refer to."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import yaml

from .problems import Problem, Reporter, did_you_mean
from .schema import KINDS, LEVELS, SLUG_RE
from .source import Source

# A competency's weight on the debrief: a number above 0 and at most MAX_WEIGHT; one the
# template does not list weighs DEFAULT_WEIGHT.
DEFAULT_WEIGHT = 1
MAX_WEIGHT = 10


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
    """A role and level mapped to interview sessions.

    `weights` maps every competency the sessions ask for to its weight on the debrief
    (the overall result is the weighted mean of the per-competency results); those the
    front matter's `weights:` does not list weigh 1.
    """

    id: str
    title: str
    role: str
    level: str
    scale: str
    sessions: list[dict]
    body: str = ""
    path: str = ""
    weights: dict[str, int | float] = field(default_factory=dict)

    @property
    def competencies(self) -> list[str]:
        """Return the competencies the sessions ask for, in order of first appearance."""
        asked = (c for s in self.sessions for c in s["competencies"] if isinstance(c, str))
        return list(dict.fromkeys(asked))


@dataclass
class Catalog:
    """Everything questions may refer to, merged across content roots (later wins by id)."""

    scales: dict[str, Scale] = field(default_factory=dict)
    competencies: dict[str, Competency] = field(default_factory=dict)
    loops: dict[str, LoopTemplate] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def _need(src: Source, fields: dict, name: str, report: Reporter, kind=str, where=None, line=None):
    """Return a field's value if present with the right type, else report a problem."""
    where = where or "the front matter"
    line = line or src.line_of(name)
    if name not in fields:
        report.error("E201", line, f"missing field {name!r} in {where}")
        return None
    value = fields[name]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        wanted = {str: "a text", int: "a whole number", list: "a list"}[kind]
        report.error("E202", line, f"{name!r} in {where} must be {wanted}")
        return None
    return value


def _need_id(src: Source, report: Reporter) -> str | None:
    """Return the file's id if it is present and a slug, else report a problem."""
    value = _need(src, src.fields, "id", report)
    if value is not None and not SLUG_RE.match(value):
        report.error(
            "E203",
            src.line_of("id"),
            f"id {value!r} must be a lowercase slug of letters, digits and hyphens",
        )
        return None
    return value


def parse_scale(src: Source, report: Reporter) -> Scale | None:
    """Check and build a scale; its points must be numbered 1..N with labels and anchors."""
    before = report.errors
    sid, title = _need_id(src, report), _need(src, src.fields, "title", report)
    points = _need(src, src.fields, "points", report, list) or []
    for i, point in enumerate(points):
        line = src.line_of("points", i)
        if not isinstance(point, dict):
            report.error("E202", line, "each point must be a mapping with value, label and anchor")
            continue
        _need(src, point, "value", report, int, f"point {i + 1}", line)
        _need(src, point, "label", report, str, f"point {i + 1}", line)
        _need(src, point, "anchor", report, str, f"point {i + 1}", line)
    if report.errors == before:
        values = [p["value"] for p in points]
        if values != list(range(1, len(values) + 1)) or len(values) < 2:
            report.error(
                "E501",
                src.line_of("points"),
                f"scale points are {values}; number them 1, 2, 3 ... with at least two",
            )
    if report.errors > before:
        return None
    return Scale(sid, title, points, src.body.strip(), src.path)


def parse_competency(src: Source, report: Reporter) -> Competency | None:
    """Check and build a competency; it needs 'Covers' and 'Strong looks like' sections."""
    before = report.errors
    cid, title = _need_id(src, report), _need(src, src.fields, "title", report)
    texts = {h.title.strip().lower(): h.text.strip() for h in src.sections}
    for name in ("covers", "strong looks like"):
        if not texts.get(name):
            report.error(
                "E301",
                src.body_line,
                f"missing section '## {name.capitalize()}': add it with its text",
            )
    if report.errors > before:
        return None
    return Competency(cid, title, texts["covers"], texts["strong looks like"], src.path)


def parse_loop(src: Source, report: Reporter) -> LoopTemplate | None:
    """Check and build a loop template's fields (references are checked by check_catalog)."""
    before = report.errors
    lid, title = _need_id(src, report), _need(src, src.fields, "title", report)
    role, level = (
        _need(src, src.fields, "role", report),
        _need(src, src.fields, "level", report),
    )
    scale = _need(src, src.fields, "scale", report)
    sessions = _need(src, src.fields, "sessions", report, list) or []
    if level is not None and level not in LEVELS:
        report.error(
            "E204", src.line_of("level"), f"level {level!r} is not one of {', '.join(LEVELS)}"
        )
    if "sessions" in src.fields and not sessions:
        report.error("E501", src.line_of("sessions"), "a loop template needs at least one session")
    for i, session in enumerate(sessions):
        _check_session(src, i, session, report)
    if report.errors > before:
        return None
    template = LoopTemplate(lid, title, role, level, scale, sessions, src.body.strip(), src.path)
    weights = _parse_weights(src, template.competencies, report)
    if weights is None:
        return None
    template.weights = weights
    return template


def _check_session(src: Source, i: int, session, report: Reporter) -> None:
    """Check one session of a loop template: a name, a time budget and competency ids."""
    line, where = src.line_of("sessions", i), f"session {i + 1}"
    if not isinstance(session, dict):
        report.error("E202", line, f"{where} must be a mapping with name, minutes and competencies")
        return
    _need(src, session, "name", report, str, where, line)
    minutes = _need(src, session, "minutes", report, int, where, line)
    if minutes is not None and not 10 <= minutes <= 240:
        report.error(
            "E207", line, f"{where} lasts {minutes} minutes; a session must be 10 to 240 minutes"
        )
    comps = _need(src, session, "competencies", report, list, where, line)
    if comps is not None and not comps:
        report.error("E501", line, f"{where} lists no competencies")
    elif comps is not None and not all(isinstance(c, str) for c in comps):
        report.error(
            "E202",
            line,
            f"'competencies' in {where} must be a list of competency ids, "
            "e.g. [api-design, data-storage]",
        )
    kinds = session.get("kinds")
    if kinds is None:
        return
    if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
        report.error(
            "E202", line, f"'kinds' in {where} must be a list of question kinds, e.g. [hands-on]"
        )
        return
    for kind in kinds:
        if kind not in KINDS:
            report.error(
                "E204",
                line,
                f"kind {kind!r} in {where} is not one of {', '.join(KINDS)}"
                f"{did_you_mean(kind, KINDS)}",
            )


def _parse_weights(src: Source, asked: list[str], report: Reporter) -> dict | None:
    """Return the template's complete weights (1 where not given), or None after a problem."""
    weights = {c: DEFAULT_WEIGHT for c in asked}
    if "weights" not in src.fields:
        return weights
    given = src.fields["weights"]
    line = src.line_of("weights")
    if not isinstance(given, dict):
        what = "empty" if given is None else f"a {_yaml_kind(given)}"
        report.error(
            "E502",
            line,
            f"'weights' is {what}; it must map competency ids to numbers, one "
            "`competency-id: weight` line per competency indented under `weights:` "
            "(or remove it: every competency then weighs 1)",
        )
        return None
    before = report.errors
    lines: dict[str, int] = {}

    def at(name: str) -> int:  # the lines are worked out only when there is a problem
        if not lines:
            lines.update(_weight_lines(src) or {"": line})
        return lines.get(name, line)

    for key, value in given.items():
        name = str(key)
        if name not in weights:
            report.error(
                "E503",
                at(name),
                f"'weights' names {name!r}, which no session of this template asks for"
                f"{did_you_mean(name, asked)}: use one of {', '.join(asked)} "
                "(or add it to a session)",
            )
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or not 0 < value <= MAX_WEIGHT:
            report.error(
                "E504",
                at(name),
                f"the weight of {name!r} is {value!r}; a weight must be a number above 0 "
                f"and at most {MAX_WEIGHT} (1 is the default, 2 counts double)",
            )
            continue
        weights[name] = value
    return weights if report.errors == before else None


def _yaml_kind(value) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "text"
    return "single value"


def _weight_lines(src: Source) -> dict[str, int]:
    """Return the file line of each key under `weights:` (only needed to report a problem)."""
    node = yaml.compose(src.fm_text, Loader=yaml.SafeLoader)
    for key_node, value_node in node.value:
        if key_node.value == "weights" and isinstance(value_node, yaml.MappingNode):
            offset = src.line_of("weights") - key_node.start_mark.line
            return {
                str(k.value): k.start_mark.line + offset
                for k, _ in value_node.value
                if isinstance(k, yaml.ScalarNode)
            }
    return {}


def parse_topics(src: Source, report: Reporter) -> dict[str, str]:
    """Check and return the topic list: id -> title."""
    return _parse_vocabulary(src, report, "topics", "title", "topic")


def parse_tags(src: Source, report: Reporter) -> dict[str, str]:
    """Check and return the tag vocabulary: id -> meaning."""
    return _parse_vocabulary(src, report, "tags", "meaning", "tag")


def _parse_vocabulary(src, report: Reporter, name: str, text: str, one: str) -> dict[str, str]:
    """Return a list field of `{id, <text>}` mappings as id -> text, reporting bad items."""
    found = {}
    for i, item in enumerate(_need(src, src.fields, name, report, list) or []):
        line = src.line_of(name, i)
        if not (
            isinstance(item, dict)
            and isinstance(item.get("id"), str)
            and SLUG_RE.match(item["id"])
            and isinstance(item.get(text), str)
        ):
            report.error("E501", line, f"each {one} needs a slug `id` and a `{text}`")
            continue
        if item["id"] in found:
            report.warning("W203", line, f"{one} {item['id']!r} is listed twice: remove one")
        found[item["id"]] = item[text]
    return found


def check_catalog(catalog: Catalog, problems: list[Problem]) -> None:
    """Check references between rubric files (loop templates to scales and competencies)."""
    for loop in catalog.loops.values():
        report = Reporter(loop.path, problems)
        if loop.scale not in catalog.scales:
            report.error(
                "E206",
                1,
                f"loop template {loop.id!r} uses scale "
                f"{loop.scale!r}, which is not defined in rubrics/scales",
            )
        for i, session in enumerate(loop.sessions):
            for comp in session["competencies"]:
                if comp not in catalog.competencies:
                    report.error(
                        "E205",
                        1,
                        f"session {i + 1} of {loop.id!r} names competency {comp!r}, which is "
                        "not defined in rubrics/competencies",
                    )

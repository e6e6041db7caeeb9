"""Turn a parsed Source into a Question, checking fields and sections against the catalog."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .problems import Problem, Reporter, did_you_mean
from .rubrics import Catalog, Scale
from .schema import (
    CODE_LANGUAGES,
    EXTRA_CODE_LANGUAGES,
    GOOD_PROBES,
    HANDS_ON,
    HANDS_ON_SECTIONS,
    KINDS,
    LEVELS,
    MAX_ANCHOR_WORDS,
    MAX_ID_LENGTH,
    MAX_MINUTES,
    MIN_MINUTES,
    MIN_PROBES,
    QUESTION_FIELDS,
    SECTIONS,
    SLUG_RE,
    STARTER_LANGUAGES,
)
from .source import Source

_ITEM_RE = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+", re.M)
_BAR_ITEM_RE = re.compile(r"^\*\*([A-Za-z-]+)\s*:?\s*\*\*\s*:?\s*", re.S)
_POINT_RE = re.compile(r"^(\d+)\b")
# A fenced code block of a starter: its fence, info string and code.
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)[ \t]*([^\n`]*)\n(.*?)^ {0,3}\1[ \t]*$", re.M | re.S)
# A bar that asks for the top of the scale ("reach 4", "most of 4", "a 4"): the scale's 4
# is depth the level does not require, so a level's bar must say what its 3 adds instead.
# (Not "a 4-hour window" or "4.5".)
_FOUR = r"4(?![-\w%]|[.,]\d)"
_BAR_FOUR_RE = re.compile(
    rf"\b(?:reach(?:es|ing)?|scores?|scoring|earns?|gets?)\s+(?:an?\s+|the\s+)?{_FOUR}"
    rf"|\b(?:most|much|some|part|half|all|parts)\s+of\s+(?:the\s+)?(?:anchor\s+)?{_FOUR}"
    rf"|\banchor\s+{_FOUR}|\blevel\s+{_FOUR}|\ba\s+{_FOUR}",
    re.I,
)
# How much of anchor 4's list earns the 4: "any two of", "at least three", "both", ...
_NUMBER = r"(?:one|two|three|four|five|six|\d+)"
_COUNT_RE = re.compile(
    rf"\b(?:any|at least)\s+(?:{_NUMBER}|one)\b|\b{_NUMBER}\s+(?:or more\s+)?of\b"
    rf"|\b{_NUMBER} or more\b|\bboth\b|\beither\b|\bevery one of\b|\ball of (?!3\b)",
    re.I,
)


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
    sections: dict[str, str] = field(default_factory=dict)  # key -> its Markdown, as written
    # a hands-on exercise's starter blocks: {"language", "caption", "code"}, in file order
    starters: list[dict] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # the code languages of its starter

    def markdown_parts(self) -> list[tuple[tuple[str, ...], str]]:
        """Return what to render, as (where in the HTML dict, Markdown), in section order.

        Text sections are rendered whole; the scoring guide per anchor; the bar whole
        (`bar_html`) and per level, inline. Sections the file leaves out are left out.
        """
        parts: list[tuple[tuple[str, ...], str]] = []
        for section in SECTIONS.values():
            key = section.key
            if section.shape == "points":
                parts += [((key, point), text) for point, text in self.guide.items()]
            elif section.shape == "code":
                continue  # kept as code (starters), never rendered as Markdown
            elif section.shape == "levels":
                if key in self.sections:
                    parts.append(((f"{key}_html",), self.sections[key]))
                parts += [((key, level), text) for level, text in self.bar.items()]
            elif key in self.sections:
                parts.append(((key,), self.sections[key]))
        return parts


def list_items(text: str) -> list[str]:
    """Return the top-level list items of a Markdown block, without their markers."""
    starts = list(_ITEM_RE.finditer(text))
    items = []
    for i, match in enumerate(starts):
        stop = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        items.append(text[match.end() : stop].strip())
    return items


# Field kinds of QUESTION_FIELDS: kind -> (test a value passes, what a value must be).
_FIELD_KINDS = {
    "text": (lambda v: isinstance(v, str) and v.strip() != "", "a non-empty text"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "list": (
        lambda v: (
            isinstance(v, list) and v != [] and all(isinstance(i, str) and i.strip() for i in v)
        ),
        "a non-empty list of texts, like [a, b]",
    ),
}
_FIELD_KINDS["slug"] = _FIELD_KINDS["choice"] = _FIELD_KINDS["text"]


def parse_question(
    src: Source, catalog: Catalog, topic: str | None, stem: str
) -> tuple[Question | None, list[Problem]]:
    """Check a question file; return the Question (None on errors) and all problems."""
    report = Reporter(src.path)
    values = check_fields(src, QUESTION_FIELDS, report)
    _check_file_name(src, values, stem, report)
    _check_values(src, values, catalog, report)
    _check_topic(topic, catalog, report)
    _check_placeholder(src, report)
    sections = _check_sections(src, report)
    probes = _check_probes(src, sections, report)
    guide = _check_guide(src, catalog.scales.get(values.get("scale")), report)
    bar = _check_bar(src, sections, values.get("levels"), report)
    starters = _check_hands_on(src, values.get("kind"), sections, report)
    _check_anchors(src, catalog.scales.get(values.get("scale")), guide, report)
    _check_bar_rule(src, bar, report)
    if report.errors:
        return None, report.problems
    question = Question(
        id=values["id"],
        title=values["title"].strip(),
        kind=values["kind"],
        competencies=values["competencies"],
        levels=[lvl for lvl in LEVELS if lvl in values["levels"]],
        minutes=values["minutes"],
        scale=values["scale"],
        tags=values["tags"],
        topic=topic,
        path=src.path,
        prompt=sections.get("prompt", ""),
        probes=probes,
        guide=guide,
        bar=bar,
        red_flags=sections.get("red_flags", ""),
        notes=sections.get("notes", ""),
        body=src.body,
        retired=values.get("retired", False),
        sections=sections,
        starters=starters,
        languages=_code_languages(starters),
    )
    return question, report.problems


# Front matter


def check_fields(src: Source, spec: dict, report: Reporter) -> dict:
    """Check required fields and their basic types; return the usable values."""
    values = {}
    for name, (required, kind) in spec.items():
        if name not in src.fields:
            if required:
                report.error(
                    "E201", 1, f"missing required field {name!r}: add `{name}:` to the front matter"
                )
        elif _check_field(src, name, kind, report):
            values[name] = src.fields[name]
    for name in src.fields:
        if name not in spec:
            report.warning(
                "W201",
                src.line_of(name),
                f"unknown field {name!r}{did_you_mean(name, spec)}: remove it or fix its name",
            )
    return values


def _check_field(src: Source, name: str, kind: str, report: Reporter) -> bool:
    """Report a field of the wrong type (E202) or shape (E203, W203); False if unusable."""
    value = src.fields[name]
    ok, wanted = _FIELD_KINDS[kind]
    if not ok(value):
        report.error(
            "E202", src.line_of(name), f"field {name!r} must be {wanted}, not {value!r:.60}"
        )
        return False
    if kind == "slug" and not (SLUG_RE.match(value) and len(value) <= MAX_ID_LENGTH):
        report.error(
            "E203",
            src.line_of(name),
            f"{name} {value!r:.60} must be a lowercase slug of letters, digits and hyphens, "
            f"at most {MAX_ID_LENGTH} characters",
        )
        return False
    if kind == "list" and len(set(value)) != len(value):
        report.warning("W203", src.line_of(name), f"{name} lists a value twice: remove it")
    return True


def _check_file_name(src: Source, values: dict, stem: str, report: Reporter) -> None:
    """Report a file not named <id>.md (W202)."""
    if "id" in values and values["id"] != stem:
        report.warning(
            "W202",
            src.line_of("id"),
            f"the file is named {stem}.md "
            f"but its id is {values['id']!r}: rename the file to {values['id']}.md",
        )


def _check_values(src: Source, v: dict, catalog: Catalog, report: Reporter) -> None:
    """Check values against the allowed choices, the time budget and the catalog."""
    if "kind" in v and v["kind"] not in KINDS:
        report.error(
            "E204",
            src.line_of("kind"),
            f"kind {v['kind']!r} is not one of {', '.join(KINDS)}{did_you_mean(v['kind'], KINDS)}",
        )
    for i, level in enumerate(v.get("levels", [])):
        if level not in LEVELS:
            report.error(
                "E204",
                src.line_of("levels", i),
                f"level {level!r} is not one of {', '.join(LEVELS)}{did_you_mean(level, LEVELS)}",
            )
    for i, comp in enumerate(v.get("competencies", [])):
        if comp not in catalog.competencies:
            report.error(
                "E205",
                src.line_of("competencies", i),
                f"competency {comp!r} is not defined in "
                f"rubrics/competencies{did_you_mean(comp, catalog.competencies)}: "
                "use a defined id or add a competency file",
            )
    for i, tag in enumerate(v.get("tags", [])):
        _check_tag(src.line_of("tags", i), tag, catalog, report)
    if "minutes" in v and not MIN_MINUTES <= v["minutes"] <= MAX_MINUTES:
        report.error(
            "E207",
            src.line_of("minutes"),
            f"minutes is {v['minutes']}; a question's time budget must be {MIN_MINUTES} to "
            f"{MAX_MINUTES} minutes",
        )
    if "scale" in v and v["scale"] not in catalog.scales:
        report.error(
            "E206",
            src.line_of("scale"),
            f"scale {v['scale']!r} is not defined in "
            f"rubrics/scales{did_you_mean(v['scale'], catalog.scales)}",
        )


def _check_tag(line: int, tag: str, catalog: Catalog, report: Reporter) -> None:
    """Report a tag that is not a slug (E203) or not in the vocabulary (W204)."""
    if not SLUG_RE.match(tag):
        report.error(
            "E203", line, f"tag {tag!r} must be a lowercase slug of letters, digits and hyphens"
        )
    elif catalog.tags and tag not in catalog.tags:
        report.warning(
            "W204",
            line,
            f"tag {tag!r} is not in rubrics/tags.md{did_you_mean(tag, catalog.tags)}: "
            "use a listed tag, or add this one there with its meaning",
        )


def _check_topic(topic: str | None, catalog: Catalog, report: Reporter) -> None:
    """Report a file outside a topic folder, or in a folder topics.md does not list (E208)."""
    if topic is None:
        report.error("E208", 1, "the file is not in a topic folder: move it to questions/<topic>/")
    elif catalog.topics and topic not in catalog.topics:
        report.error(
            "E208",
            1,
            f"folder {topic!r} is not a topic in "
            f"rubrics/topics.md{did_you_mean(topic, catalog.topics)}: move the "
            "file or add the topic",
        )


# Body


def _check_placeholder(src: Source, report: Reporter) -> None:
    """Report the first TODO: placeholder new-question left in the body (W304)."""
    placeholder = src.body.find("TODO:")
    if placeholder >= 0:
        report.warning(
            "W304",
            src.body_line + src.body.count("\n", 0, placeholder),
            "placeholder text from new-question is still here: "
            "replace every TODO: with real content",
        )


def _check_sections(src: Source, report: Reporter) -> dict[str, str]:
    """Return section key -> text, reporting unknown, repeated, empty and missing sections."""
    found: dict[str, str] = {}
    for heading in src.sections:
        name = heading.title.strip().lower()
        if name not in SECTIONS:
            report.warning(
                "W303",
                heading.line,
                f"unknown section {heading.title!r}{did_you_mean(name, SECTIONS)}: the sections "
                "are " + ", ".join(s.capitalize() for s in SECTIONS),
            )
            continue
        key = SECTIONS[name].key
        if key in found:
            report.error(
                "E307",
                heading.line,
                f"section {heading.title!r} "
                f"already appears on line {src.section_lines[key]}: merge the two",
            )
            continue
        if not heading.text.strip():
            report.error(
                "E306",
                heading.line,
                f"section {heading.title!r} is empty: write its text or remove the heading",
            )
        found[key] = heading.text.strip()
        src.section_lines[key] = heading.line
    for name, section in SECTIONS.items():
        if section.required and section.key not in found:
            report.error(
                "E301",
                src.body_line,
                f"missing section '## {name.capitalize()}': add it (see CONTRIBUTING.md)",
            )
    return found


def _check_probes(src: Source, sections: dict[str, str], report: Reporter) -> list[str]:
    """Return the follow-up probes, reporting fewer than MIN_PROBES (E302) or GOOD_PROBES."""
    if "probes" not in sections:
        return []
    probes = list_items(sections["probes"])
    line = src.section_lines.get("probes", 1)
    if len(probes) < MIN_PROBES:
        report.error(
            "E302",
            line,
            f"{len(probes)} follow-up probe(s): write "
            f"at least {MIN_PROBES}, each as a `- ` list item",
        )
    elif len(probes) < GOOD_PROBES:
        report.warning(
            "W301",
            line,
            f"only {len(probes)} follow-up probes: "
            f"add a {GOOD_PROBES}rd that deepens or branches the discussion",
        )
    return probes


def _guide_heading(src: Source):
    """Return the '## Scoring guide' heading, or None."""
    return next((h for h in src.sections if h.title.strip().lower() == "scoring guide"), None)


def _check_guide(src: Source, scale: Scale | None, report: Reporter) -> dict[str, str]:
    """Return scale point -> anchor text, reporting anchors off the scale and points skipped."""
    heading = _guide_heading(src)
    if heading is None:
        return {}
    guide: dict[str, str] = {}
    points = scale.values if scale else None
    for sub in heading.subsections:
        match = _POINT_RE.match(sub.title.strip())
        if not match or (points and int(match.group(1)) not in points):
            allowed = f"### {points[0]} to ### {points[-1]}" if points else "### <point>"
            report.error(
                "E304",
                sub.line,
                f"anchor heading '### {sub.title}' is not a point of the scale: use {allowed}",
            )
            continue
        if not sub.text.strip():
            report.error(
                "E306",
                sub.line,
                f"anchor '### {sub.title}' is empty: say what an answer at this point sounds like",
            )
        guide[match.group(1)] = sub.text.strip()
    for point in points or []:
        if str(point) not in guide:
            report.error(
                "E303",
                heading.line,
                f"the scoring guide has no anchor for {point}: add '### {point}' with what a "
                f"{point} answer sounds like",
            )
    return guide


def _check_bar(
    src: Source, sections: dict[str, str], levels: list[str] | None, report: Reporter
) -> dict[str, str]:
    """Return level -> bar text, reporting items without a level and levels left out."""
    bar: dict[str, str] = {}
    line = src.section_lines.get("bar", src.body_line)
    for item in list_items(sections.get("bar", "")):
        match = _BAR_ITEM_RE.match(item)
        if not match:
            report.warning(
                "W302",
                line,
                f"bar item {item[:40]!r} does not start with a level: write it as `- **mid:** ...`",
            )
            continue
        level = match.group(1).lower()
        if levels is not None and level not in levels:
            report.warning(
                "W302",
                line,
                f"the bar names level {level!r}, which "
                "is not in `levels`: remove it or add the level",
            )
        bar[level] = item[match.end() :].strip()
    if levels and len(levels) > 1:
        for level in levels:
            if level in LEVELS and level not in bar:
                report.error(
                    "E305",
                    line,
                    f"the question suits {level} but "
                    f"'## Bar by level' says nothing for it: add "
                    f"`- **{level}:** what meets the bar`",
                )
    return bar


def _check_anchors(src: Source, scale: Scale | None, guide: dict[str, str], report) -> None:
    """Report long top anchors (W306) and a top anchor that does not say how much is enough.

    The top two points (3 and 4 on the four-point scale) are read mid-call; the top one
    lists extras and must say how many of them earn it (W305).
    """
    if not scale or len(scale.values) < 2:
        return
    lines = {
        m.group(1): sub.line
        for sub in (_guide_heading(src).subsections if guide else [])
        if (m := _POINT_RE.match(sub.title.strip()))
    }
    top = str(scale.values[-1])
    for point in map(str, scale.values[-2:]):
        words = len(guide.get(point, "").split())
        if words > MAX_ANCHOR_WORDS:
            report.warning(
                "W306",
                lines.get(point, 1),
                f"anchor {point} is {words} words; keep it to about 60 (at most "
                f"{MAX_ANCHOR_WORDS}) so it reads at a glance mid-call, and move the "
                "explanation to '## Notes'",
            )
    if guide.get(top) and not _COUNT_RE.search(guide[top]):
        report.warning(
            "W305",
            lines.get(top, 1),
            f"anchor {top} does not say how much of its list earns a {top}: write, for example, "
            '"All of 3, plus any two of: ..." or "at least three of these"',
        )


def _check_bar_rule(src: Source, bar: dict[str, str], report: Reporter) -> None:
    """Report a bar item that asks for a 4 (E308): a level's bar says what its 3 adds."""
    line = src.section_lines.get("bar", src.body_line)
    for level, text in bar.items():
        found = _BAR_FOUR_RE.search(text)
        if found:
            report.error(
                "E308",
                line,
                f"the {level} bar asks for {found.group(0)!r}, but 4 is depth the level does "
                "not require: say what a 3 at this level adds to anchor 3 (see CONTRIBUTING.md, "
                '"Anchors and bars")',
            )


def _check_hands_on(
    src: Source, kind: str | None, sections: dict[str, str], report: Reporter
) -> list[dict]:
    """Check the sections of a hands-on exercise; return its starter blocks.

    A hands-on exercise needs a starter, a working answer and test cases (E301); other
    kinds have none of them (E310). A starter is fenced blocks, each naming a language
    (W307); a code exercise has a block in every CODE_LANGUAGES language (E309).
    """
    keys = {name: SECTIONS[name].key for name in HANDS_ON_SECTIONS}
    if kind != HANDS_ON:
        for name, key in keys.items():
            if key in sections:
                report.error(
                    "E310",
                    src.section_lines.get(key, src.body_line),
                    f"'## {name.capitalize()}' belongs to hands-on exercises only: remove it, "
                    f"or make the question `kind: {HANDS_ON}`",
                )
        return []
    for name, key in keys.items():
        if key not in sections:
            report.error(
                "E301",
                src.body_line,
                f"missing section '## {name.capitalize()}': a hands-on exercise needs it "
                '(see CONTRIBUTING.md, "Hands-on exercises")',
            )
    text = sections.get("starter")
    if text is None:
        return []
    line = src.section_lines.get("starter", src.body_line)
    starters = starter_blocks(text)
    if not starters:
        report.error(
            "E310",
            line,
            "'## Starter' has no fenced code block: put what the candidate starts from in "
            "```python (or ```sql, ```log...) blocks",
        )
    for block in starters:
        if block["language"] not in STARTER_LANGUAGES:
            named = block["language"] or "no language"
            report.warning(
                "W307",
                line,
                f"a starter block has {named!r}: name one of {', '.join(STARTER_LANGUAGES)}"
                f"{did_you_mean(block['language'], STARTER_LANGUAGES)} after the opening fence",
            )
    code = {b["language"] for b in starters} & set(CODE_LANGUAGES + EXTRA_CODE_LANGUAGES)
    missing = [lang for lang in CODE_LANGUAGES if lang not in code]
    if code and missing:
        report.error(
            "E309",
            line,
            f"the starter is code but has no {', '.join(missing)} version: a code exercise "
            f"carries its starter in {', '.join(CODE_LANGUAGES)}",
        )
    return starters


def starter_blocks(text: str) -> list[dict]:
    """Return the fenced blocks of a starter: language, caption (the line before) and code."""
    blocks = []
    end = 0
    for match in _FENCE_RE.finditer(text):
        before = text[end : match.start()].strip()
        caption = before.split("\n\n")[-1].replace("\n", " ").strip() if before else ""
        info = match.group(2).strip().split()
        blocks.append(
            {
                "language": info[0].lower() if info else "",
                "caption": caption,
                "code": match.group(3).rstrip("\n"),
            }
        )
        end = match.end()
    return blocks


def _code_languages(starters: list[dict]) -> list[str]:
    """Return the code languages a starter comes in, in the order of STARTER_LANGUAGES."""
    have = {b["language"] for b in starters}
    return [lang for lang in CODE_LANGUAGES + EXTRA_CODE_LANGUAGES if lang in have]

"""Split a content file into YAML front matter and Markdown sections, with line numbers.

Every failure becomes a `Problem`; nothing here raises on bad input, whatever the
file holds (binary, empty, huge, unclosed front matter, a YAML bomb).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .problems import Problem, Reporter
from .schema import MAX_FILE_BYTES, MAX_FRONT_MATTER_BYTES, MAX_YAML_NODES

try:  # libyaml is several times faster; fall back to pure Python where it is missing
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_OPEN_RE = re.compile(r"\A---[ \t]*\r?\n")
_CLOSE_RE = re.compile(r"^---[ \t]*\r?$", re.M)
# Fences and ##/### headings in one pass, so headings inside code blocks are skipped.
# Matched against "\n" + body: a pattern that starts with a literal newline is found much
# faster than one anchored with ^ in MULTILINE mode.
_BLOCK_RE = re.compile(r"\n(?: {0,3}(```|~~~)|(#{2,3})[ \t]+([^\n]*))")
# Front matter starts on file line 2 (line 1 is the opening ---).
_FM_LINE_OFFSET = 2


@dataclass
class Heading:
    """A ## or ### heading and the text under it, up to the next heading of its level."""

    title: str
    line: int
    text: str = ""
    subsections: list[Heading] = field(default_factory=list)


@dataclass
class Source:
    """A parsed content file: front matter values with their lines, and body sections.

    Field line numbers are only needed to report a problem, so they are worked out on
    first use (by composing the YAML again) instead of for every file.
    """

    path: str
    fields: dict[str, Any]
    fm_text: str
    body: str
    body_line: int
    sections: list[Heading]
    _lines: tuple[dict, dict] | None = None
    section_lines: dict[str, int] = field(default_factory=dict)

    @property
    def lines(self) -> dict[str, int]:
        """Return field name -> file line."""
        if self._lines is None:
            self._lines = _field_lines(self.fm_text)
        return self._lines[0]

    def top_line(self, name: str) -> int:
        """Return a top-level field's line by a plain text search (no YAML parsing)."""
        match = re.search(rf"^{re.escape(name)}[ \t]*:", self.fm_text, re.M)
        if match is None:
            return self.line_of(name)
        return self.fm_text.count("\n", 0, match.start()) + _FM_LINE_OFFSET

    def line_of(self, name: str, index: int | None = None) -> int:
        """Return the file line of a field (or one item of a list field)."""
        lines = self.lines
        if index is not None:
            items = self._lines[1].get(name, [])
            if index < len(items):
                return items[index]
        return lines.get(name, 1)


def read_source(path: str, data: bytes) -> tuple[Source | None, list[Problem]]:
    """Parse a file's bytes into a Source, or return the problems that prevent it."""
    report = Reporter(path)
    text = _decode(data, report)
    src = None if text is None else _split(path, text, report)
    return src, report.problems


def _decode(data: bytes, report: Reporter) -> str | None:
    """Return the file's text, or None after reporting why it is not text (E101, E102)."""
    if len(data) > MAX_FILE_BYTES:
        report.error(
            "E102",
            1,
            f"the file is {len(data):,} bytes; the limit is "
            f"{MAX_FILE_BYTES:,}: split it or remove embedded data",
        )
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        report.error(
            "E101", line, f"byte 0x{data[exc.start]:02x} is not UTF-8: save the file as UTF-8 text"
        )
        return None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        report.error(
            "E101", line, "the file contains a NUL byte: it looks binary; save it as UTF-8 text"
        )
        return None
    return text


def _split(path: str, text: str, report: Reporter) -> Source | None:
    """Split text into front matter and sections, or return None after reporting why not."""
    opening = _OPEN_RE.match(text)
    if not opening:
        what = "the file is empty" if not text.strip() else "the first line is not ---"
        report.error(
            "E103",
            1,
            f"{what}: start the file with a --- line, the front "
            "matter fields, and a closing --- line (see CONTRIBUTING.md)",
        )
        return None
    closing = _CLOSE_RE.search(text, opening.end())
    if not closing:
        report.error(
            "E104",
            1,
            "the front matter opened on line 1 is never closed: "
            "add a line with --- after the last field",
        )
        return None
    fm_text = text[opening.end() : closing.start()]
    if len(fm_text) > MAX_FRONT_MATTER_BYTES:
        report.error(
            "E102",
            2,
            f"the front matter is {len(fm_text):,} characters; the "
            f"limit is {MAX_FRONT_MATTER_BYTES:,}: keep long text in the body",
        )
        return None
    fields = _parse_yaml(fm_text, report)
    if fields is None:
        return None
    body_start = closing.end() + 1
    body_line = text.count("\n", 0, body_start) + 1
    body = text[body_start:]
    return Source(path, fields, fm_text, body, body_line, split_sections(body, body_line))


def _field_lines(fm_text: str) -> tuple[dict, dict]:
    """Return (field -> line, list field -> item lines) for front matter known to be valid."""
    node = yaml.compose(fm_text, Loader=_Loader)
    lines, item_lines = {}, {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
        lines[key] = key_node.start_mark.line + _FM_LINE_OFFSET
        if isinstance(value_node, yaml.SequenceNode):
            item_lines[key] = [n.start_mark.line + _FM_LINE_OFFSET for n in value_node.value]
    return lines, item_lines


def _parse_yaml(fm_text: str, report: Reporter) -> dict | None:
    """Load the front matter as a mapping, refusing aliases; None (with a problem) if it fails."""
    try:
        if "&" in fm_text or "*" in fm_text:
            # Anchors make aliases possible, and aliases make "billion laughs" structures
            # that explode when printed or walked: check the node graph before building it.
            node = yaml.compose(fm_text, Loader=_Loader)
            if node is not None and not _plain_tree(node):
                report.error(
                    "E107",
                    2,
                    "the front matter uses YAML anchors "
                    "or aliases, or nests too deeply: write every value out",
                )
                return None
        data = yaml.load(fm_text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + _FM_LINE_OFFSET
        reason = exc.problem or exc.context or "invalid YAML"
        report.error("E105", line, _yaml_message(reason))
        return None
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as exc:
        report.error("E105", 2, _yaml_message(exc))
        return None
    if data is None:
        report.error(
            "E106", 2, "the front matter is empty: add the required fields (see CONTRIBUTING.md)"
        )
        return None
    if not isinstance(data, dict):
        report.error(
            "E106",
            2,
            "the front matter must be `field: value` lines, not a list or a single value",
        )
        return None
    return {str(k): v for k, v in data.items()}


def _yaml_message(reason) -> str:
    return f"front matter is not valid YAML ({reason}): check indentation, colons and quoting"


def _plain_tree(node) -> bool:
    """Return False if a node is reached twice (an alias) or the tree is too large."""
    seen, stack = set(), [node]
    while stack:
        current = stack.pop()
        if id(current) in seen or len(seen) > MAX_YAML_NODES:
            return False
        seen.add(id(current))
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
    return True


def split_sections(body: str, body_line: int) -> list[Heading]:
    """Split Markdown into ## sections holding their ### subsections, skipping code blocks."""
    sections: list[Heading] = []
    marks = []  # (start offset of heading, end offset of heading line, level, Heading)
    in_fence = False
    text = "\n" + body  # offsets below are in `text`
    line, last = body_line, 1
    for match in _BLOCK_RE.finditer(text):
        fence, hashes, title = match.groups()
        if fence:
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        start = match.start() + 1
        line += text.count("\n", last, start)
        last = start
        title = title.rstrip(" \t\r").rstrip("#").rstrip(" \t")
        marks.append((start, match.end(), len(hashes), Heading(title, line)))
    stops = [len(text)] * len(marks)
    next_h2 = next_any = len(text)
    for i in range(len(marks) - 1, -1, -1):
        start, _end, level, _heading = marks[i]
        stops[i] = next_h2 if level == 2 else next_any
        next_any = start
        if level == 2:
            next_h2 = start
    for (_start, end, level, heading), stop in zip(marks, stops, strict=True):
        heading.text = text[end:stop].strip("\r\n")
        if level == 2:
            sections.append(heading)
        elif sections:
            sections[-1].subsections.append(heading)
    return sections

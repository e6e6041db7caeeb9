"""Render question Markdown to safe HTML: Python-Markdown, then the nh3 sanitiser.

Content comes from pull requests, so the HTML is treated as untrusted: after
rendering, nh3 keeps only formatting tags, drops scripts, styles and event handlers,
and allows only http, https and mailto links.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

import markdown
import nh3

from .schema import SECTIONS

if TYPE_CHECKING:
    from .questions import Question

EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "code": {"class"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_ONE_PARAGRAPH_RE = re.compile(r"\A<p>((?:(?!</?p>).)*)</p>\Z", re.S)


class Renderer:
    """A reusable Markdown converter (building one is the expensive part)."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
        # Splits the parts of one rendering; no file can guess it.
        self._marker = f"<!--interviewkit-part-{secrets.token_hex(8)}-->"

    def html(self, text: str) -> str:
        """Return sanitised HTML for a Markdown text."""
        self._md.reset()
        return sanitise(self._md.convert(text))

    def parts(self, texts: list[str]) -> list[str]:
        """Return the sanitised HTML of several Markdown texts, rendered in one pass.

        Python-Markdown's cost is mostly per call, so the texts are joined with a marker
        (a comment, kept as a raw HTML block) and the output is split on it. A text that
        swallows a marker (an unclosed code fence) makes the count differ; then each is
        rendered on its own, which also keeps one section's fence out of the next.
        """
        if not texts:
            return []
        self._md.reset()
        joined = f"\n\n{self._marker}\n\n".join(texts)
        pieces = self._md.convert(joined).split(self._marker)
        if len(pieces) != len(texts):
            return [self.html(text) for text in texts]
        return [sanitise(piece.strip()) for piece in pieces]

    def question(self, question: Question) -> dict:
        """Return a question's sections as HTML, from the parsed question itself.

        {"prompt": html, "probes": html, "guide": {"1": html, ...}, "bar": {"mid": html,
        ...}, "bar_html": html, "red_flags": html, "notes": html}: keys and shapes follow
        `schema.SECTIONS`; a per-level bar is inline (no wrapping paragraph).
        """
        out: dict = {s.key: {} for s in SECTIONS.values() if s.shape != "text"}
        plan = question.markdown_parts()
        rendered = self.parts([text for _, text in plan])
        for ((key, *sub), _), html in zip(plan, rendered, strict=True):
            if not sub:
                out[key] = html
            elif key == "bar":
                one = _ONE_PARAGRAPH_RE.match(html)
                out[key][sub[0]] = one.group(1).strip() if one else html
            else:
                out[key][sub[0]] = html
        return out


def sanitise(html: str) -> str:
    """Return HTML with everything but formatting tags and safe links removed."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )

"""Render question Markdown to safe HTML: Python-Markdown, then the nh3 sanitiser.

Content comes from pull requests, so the HTML is treated as untrusted: after
rendering, nh3 keeps only formatting tags, drops scripts, styles and event handlers,
and allows only http, https and mailto links.
"""

from __future__ import annotations

import re

import markdown
import nh3

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

_H2_RE = re.compile(r"<h2>(.*?)</h2>", re.S)
_H3_RE = re.compile(r"<h3>(.*?)</h3>", re.S)
_LI_LEVEL_RE = re.compile(
    r"<li>\s*(?:<p>)?\s*<strong>([A-Za-z-]+)\s*:?\s*</strong>\s*:?\s*(.*?)</li>", re.S
)


class Renderer:
    """A reusable Markdown converter (building one is the expensive part)."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")

    def html(self, text: str) -> str:
        """Return sanitised HTML for a Markdown text."""
        self._md.reset()
        return sanitise(self._md.convert(text))

    def sections(self, body: str) -> dict:
        """Render a question body once and split the HTML into its sections.

        Returns {"prompt": html, "probes": html, "guide": {"1": html, ...},
        "bar": {"mid": html, ...}, "red_flags": html, "notes": html}.
        """
        full = self.html(body)
        parts = _H2_RE.split(full)
        out: dict = {"guide": {}, "bar": {}}
        for i in range(1, len(parts) - 1, 2):
            name, content = _text(parts[i]).lower(), parts[i + 1].strip()
            if name == "scoring guide":
                sub = _H3_RE.split(content)
                for j in range(1, len(sub) - 1, 2):
                    point = _text(sub[j]).split()[0] if _text(sub[j]) else ""
                    out["guide"][point] = sub[j + 1].strip()
            elif name == "bar by level":
                out["bar_html"] = content
                for level, text in _LI_LEVEL_RE.findall(content):
                    out["bar"][level.lower()] = text.strip().removesuffix("</p>").strip()
            else:
                out[name.replace(" ", "_")] = content
        return out


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()


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

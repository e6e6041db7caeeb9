"""Rendering: question Markdown becomes HTML that cannot run script or leak data."""

from __future__ import annotations

import pytest

from interviewkit.content.render import Renderer

# (hostile Markdown, text that must not appear in the HTML)
HOSTILE = [
    ("<script>alert(1)</script>", "<script"),
    ("<script>alert(1)</script>", "alert(1)"),
    ('<img src=x onerror="alert(1)">', "onerror"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("[click](javascript:alert(1))", "javascript:"),
    ("[click](JaVaScRiPt:alert(1))", "alert(1)"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
    ("![x](data:image/svg+xml;base64,PHN2Zz4=)", "data:"),
    ('<a href="vbscript:msgbox(1)">x</a>', "vbscript"),
    ("<iframe src='https://evil.example'></iframe>", "<iframe"),
    ("<svg><script>alert(1)</script></svg>", "<svg"),
    ('<div style="background:url(javascript:alert(1))">x</div>', "style="),
    ("<style>body{display:none}</style>", "<style"),
    ("<form action='https://evil.example'><input name=p></form>", "<form"),
    ('<p onclick="steal()">hi</p>', "onclick"),
    ("<object data='x.swf'></object>", "<object"),
    ("<!-- <script>alert(1)</script> -->", "<!--"),
    ('<a href="https://ok.example" target="_blank">x</a>', "target="),
    ("<meta http-equiv='refresh' content='0;url=https://evil.example'>", "<meta"),
]


@pytest.fixture(scope="module")
def renderer():
    return Renderer()


@pytest.mark.parametrize(("markdown", "forbidden"), HOSTILE)
def test_hostile_markdown_is_neutralised(renderer, markdown, forbidden):
    html = renderer.html(f"Intro text.\n\n{markdown}\n\nOutro.")
    assert forbidden.lower() not in html.lower()
    assert "Outro." in html


def test_code_blocks_are_escaped(renderer):
    html = renderer.html('```html\n<script>alert("x")</script>\n```')
    assert "&lt;script&gt;" in html
    assert "<script" not in html
    assert html.startswith("<pre><code")


def test_inline_code_is_escaped(renderer):
    assert "<code>&lt;b onclick=x&gt;</code>" in renderer.html("Use `<b onclick=x>` here.")


def test_formatting_survives(renderer):
    html = renderer.html(
        "**bold** *em* [link](https://example.org)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- item"
    )
    for fragment in ("<strong>bold</strong>", "<em>em</em>", "<table>", "<td>1</td>", "<li>item"):
        assert fragment in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_sections_split_on_rendered_headings(renderer):
    body = (
        "## Prompt\n\nWhy?\n\n## Probes\n\n- a\n- b\n\n## Scoring guide\n\n### 1\none\n\n"
        "### 2\ntwo\n\n## Bar by level\n\n- **mid:** do it\n- **senior:** do more\n\n"
        "## Red flags\n\n- bad\n"
    )
    sections = renderer.sections(body)
    assert sections["prompt"] == "<p>Why?</p>"
    assert sections["guide"] == {"1": "<p>one</p>", "2": "<p>two</p>"}
    assert sections["bar"] == {"mid": "do it", "senior": "do more"}
    assert sections["red_flags"] == "<ul>\n<li>bad</li>\n</ul>"


def test_raw_heading_html_cannot_forge_a_section(renderer):
    # A contributor's raw <h2> is kept as a heading but cannot inject script into a section.
    sections = renderer.sections("## Prompt\n\nx\n\n<h2>Notes</h2><script>bad()</script>\n")
    assert "bad()" not in str(sections)

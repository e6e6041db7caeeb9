"""Rendering: question Markdown becomes HTML that cannot run script or leak data."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewkit.content.questions import Question
from interviewkit.content.render import Renderer
from interviewkit.content.schema import SECTIONS

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


def question(**sections) -> Question:
    """Return a parsed question holding these sections (Markdown by section key)."""
    guide = sections.pop("guide", {"1": "one", "2": "two"})
    bar = sections.pop("bar_levels", {})
    return Question(
        id="q",
        title="Q",
        kind="conceptual",
        competencies=["c"],
        levels=["mid"],
        minutes=10,
        scale="s",
        tags=[],
        topic="t",
        path="q.md",
        prompt=sections.get("prompt", ""),
        probes=[],
        guide=guide,
        bar=bar,
        red_flags=sections.get("red_flags", ""),
        notes=sections.get("notes", ""),
        body="",
        sections=sections,
    )


def test_each_section_is_rendered_from_the_parsed_question(renderer):
    q = question(
        prompt="Why?",
        probes="- a\n- b",
        red_flags="- bad",
        bar="- **mid:** do it\n- **senior:** do *more*",
        bar_levels={"mid": "do it", "senior": "do *more*"},
    )
    html = renderer.question(q)
    assert html["prompt"] == "<p>Why?</p>"
    assert html["probes"] == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert html["guide"] == {"1": "<p>one</p>", "2": "<p>two</p>"}
    assert html["bar"] == {"mid": "do it", "senior": "do <em>more</em>"}  # inline, no <p>
    assert html["bar_html"].startswith("<ul>")
    assert html["red_flags"] == "<ul>\n<li>bad</li>\n</ul>"
    assert "notes" not in html  # a section the file leaves out stays out


def test_every_section_of_the_schema_has_its_place(renderer):
    """The keys and shapes come from schema.SECTIONS, the one list of sections."""
    texts = {s.key: "text" for s in SECTIONS.values() if s.shape == "text"}
    html = renderer.question(question(**texts))
    for s in SECTIONS.values():
        assert s.key in html
        assert isinstance(html[s.key], dict) == (s.shape != "text")


def test_an_unclosed_code_fence_stays_in_its_own_section(renderer):
    q = question(prompt="Look:\n\n```python\nx = 1\n", red_flags="- bad", notes="Plain.")
    html = renderer.question(q)
    assert "x = 1" in html["prompt"] and "bad" not in html["prompt"]
    assert html["red_flags"] == "<ul>\n<li>bad</li>\n</ul>"
    assert html["notes"] == "<p>Plain.</p>"


def test_a_file_cannot_forge_the_part_marker(renderer):
    """Rendering joins the parts with a per-process marker no file can know."""
    q = question(prompt="A <!--interviewkit-part-0000000000000000--> B", notes="N")
    html = renderer.question(q)
    assert "A" in html["prompt"] and "B" in html["prompt"]
    assert html["notes"] == "<p>N</p>"


def test_raw_heading_html_cannot_forge_a_section(renderer):
    # A contributor's raw <h2> is kept as a heading but cannot inject script into a section.
    html = renderer.question(question(prompt="x\n\n<h2>Notes</h2><script>bad()</script>"))
    assert "bad()" not in str(html)
    assert "notes" not in html


def test_a_new_section_is_one_line_in_the_schema(tmp_path, monkeypatch):
    """Add a section to schema.SECTIONS only: lint, load, the bank page and the kit follow."""
    import sqlite3

    from conftest import make_app, write_question

    from interviewkit.bank.schema import decode
    from interviewkit.bank.writer import load
    from interviewkit.content.lint import lint
    from interviewkit.content.schema import Section

    monkeypatch.setitem(SECTIONS, "history", Section("history", False, kit="Where it came from"))
    root = tmp_path / "content"
    import shutil

    shutil.copytree(Path(__file__).resolve().parent.parent / "rubrics", root / "rubrics")
    path = write_question(root, "with-history")
    path.write_text(
        path.read_text(encoding="utf-8") + "\n## History\n\nFirst asked in *2025*.\n",
        encoding="utf-8",
    )
    problems, _ = lint(None, [root])
    assert [p.code for p in problems if p.code == "W303"] == []  # not an unknown section
    result = load([root], tmp_path / "bank.db", workers=1)
    assert not [p for p in result.problems if p.severity == "error"]
    with sqlite3.connect(tmp_path / "bank.db") as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM questions WHERE id = 'with-history'").fetchone()
    html = decode(dict(row)).html
    assert html["history"] == "<p>First asked in <em>2025</em>.</p>"
    app = make_app(tmp_path, "sqlite://")
    with app.app_context():
        page = app.jinja_env.get_template("_question_body.html").render(h=html)
        kit = app.jinja_env.from_string(
            "{% for s in QUESTION_SECTIONS.values() if s.kit and h.get(s.key) %}"
            "<summary>{{ s.kit }}</summary>{{ h[s.key]|safe }}{% endfor %}"
        ).render(h=html)
    assert "<h2>History</h2><p>First asked in <em>2025</em>.</p>" in page
    assert "<summary>Where it came from</summary><p>First asked in" in kit

"""`interviewkit preview FILE`: one question as the interview kit shows it, for its author.

The file is checked as `lint` checks it (against the catalog of the content roots plus its
own root); with an error there is no preview, only the problems. The page is one HTML file
with the app's styles and the Copy button inline, so it opens from disk, offline.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template

from .content.files import discover, root_of
from .content.lint import build_catalog, check_question
from .content.problems import Problem
from .content.render import Renderer
from .vocabulary import LEVELS


class PreviewError(Exception):
    """The file cannot be previewed; `problems` says why (lint's errors)."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def preview(
    file: Path,
    roots: list[Path],
    output: Path | None = None,
    level: str | None = None,
    language: str | None = None,
) -> tuple[Path, list[Problem]]:
    """Write the preview of a question file; return its path and lint's warnings."""
    target = file.resolve()
    root = root_of(target)
    if root is None:
        raise PreviewError(f"{file} is not in a content root: questions/<topic>/<id>.md")
    search = [Path(r).resolve() for r in roots]
    if root not in search:
        search.append(root)
    files = discover(search)
    found = next((f for f in files if f.path == target and f.kind == "question"), None)
    if found is None:
        raise PreviewError(f"{file} is not a question file: questions/<topic>/<id>.md")
    catalog, catalog_problems = build_catalog(files)
    question, problems = check_question(found.read(), catalog)
    errors = [p for p in problems if p.severity == "error"]
    if question is None or errors:
        raise PreviewError(f"{file} has {len(errors)} error(s): fix them and preview again", errors)
    if level is not None and level not in LEVELS:
        raise PreviewError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    static = Path(current_app.static_folder)
    with current_app.test_request_context():
        html = render_template(
            "preview.html",
            q=question,
            h=Renderer().question(question),
            path=found.display,
            level=level or question.levels[0],
            language=language,
            problems=problems,
            competencies={c.id: c.title for c in catalog.competencies.values()},
            css=(static / "app.css").read_text(encoding="utf-8"),
            js=(static / "app.js").read_text(encoding="utf-8"),
        )
    if output is None:
        output = Path(current_app.instance_path) / "preview" / f"{question.id}.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    return output, problems

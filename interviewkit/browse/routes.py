"""Bank browser views; question content is for signed-in users only."""

from __future__ import annotations

from flask import abort, render_template, request

from ..extensions import bank
from ..security import login_required
from ..vocabulary import LEVELS
from . import bp


@bp.get("/")
@login_required
def search():
    """Search the bank by words, with filters by competency, level, kind and tag."""
    args = {
        k: request.args.get(k, "").strip()[:200]
        for k in ("q", "competency", "level", "kind", "tag")
    }
    hits = bank.search(
        args["q"],
        competency=args["competency"],
        level=args["level"],
        kind=args["kind"],
        tag=args["tag"],
    )
    return render_template(
        "browse/search.html", hits=hits, args=args, facets=bank.facets(), levels=LEVELS
    )


@bp.get("/questions/<question_id>")
@login_required
def question(question_id: str):
    """Show a question: prompt, probes, scoring guide, bar by level, red flags, notes."""
    q = bank.get_question(question_id)
    if q is None:
        abort(404, description=f"No question {question_id!r} in the bank.")
    return render_template("browse/question.html", q=q, competencies=bank.competency_titles())

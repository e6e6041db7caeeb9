"""Bank browser views; question content is for signed-in users only."""

from __future__ import annotations

from flask import abort, render_template, request
from markupsafe import Markup

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
    facets = bank.facets()
    return render_template(
        "browse/search.html",
        hits=hits,
        args=args,
        facets=facets,
        tag_options=tag_options(facets["tags"], args["tag"]),
        levels=LEVELS,
    )


def tag_options(tags: list[str], selected: str) -> Markup:
    """Return the tag filter's <option>s, the selected one marked.

    A large bank has over a thousand tags; the list is built once per bank file and
    process, and only the selected option changes from one search to the next.
    """
    built = bank.remember("tag_options", lambda: option_list(tags))
    return mark_selected(built, selected)


def option_list(values: list[str]) -> Markup:
    """Return one <option> per value, escaped."""
    return Markup("").join(Markup("<option>%s</option>") % v for v in values)


def mark_selected(options: Markup, selected: str) -> Markup:
    """Return the options with the one whose text is `selected` marked as selected."""
    if not selected:
        return options
    plain = Markup("<option>%s</option>") % selected
    return options.replace(plain, Markup("<option selected>%s</option>") % selected, 1)


@bp.get("/questions/<question_id>")
@login_required
def question(question_id: str):
    """Show a question: prompt, probes, scoring guide, bar by level, red flags, notes."""
    q = bank.get_question(question_id)
    if q is None:
        abort(404, description=f"No question {question_id!r} in the bank.")
    return render_template("browse/question.html", q=q, competencies=bank.competency_titles())

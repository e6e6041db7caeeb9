"""The API's numbers (hiring leads and admins): calibration, agreement, question statistics
and bank coverage, the same rows as the CSV downloads of the numbers pages, with null for
what is not known yet. Only leads may read them, so no aggregate ever shows an interviewer
feedback they could not see on a page.
"""

from __future__ import annotations

from flask import request

from ..analytics import coverage, queries
from ..extensions import bank
from ..review import tables
from . import bp
from .common import LEADS, json_response, require
from .problems import ApiProblem


@bp.get("/numbers/calibration")
def numbers_calibration():
    """Interviewer calibration and inter-rater agreement per competency."""
    require(*LEADS)
    queries.warm("rater_moments", "calibration", "agreement")
    return json_response(
        {"interviewers": tables.calibration_rows(), "agreement": tables.agreement_rows()}
    )


@bp.get("/numbers/questions")
def numbers_questions():
    """Question statistics: use, score spread, agreement with decisions, flags."""
    require(*LEADS)
    return json_response({"items": tables.question_rows()})


@bp.get("/numbers/coverage")
def numbers_coverage():
    """Bank coverage: questions per competency and level against what `loops` loops need."""
    require(*LEADS)
    raw = request.args.get("loops", str(coverage.DEFAULT_LOOPS))
    if not raw.isdigit() or not coverage.MIN_LOOPS <= int(raw) <= coverage.MAX_LOOPS:
        raise ApiProblem(
            "invalid-parameter",
            f"loops is a whole number from {coverage.MIN_LOOPS} to {coverage.MAX_LOOPS}.",
            field="loops",
        )
    loops = int(raw)
    report = tables.coverage_report(loops)
    return json_response(
        {"loops": loops, "items": tables.coverage_rows(report, bank.competency_titles())}
    )

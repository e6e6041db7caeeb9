"""Debrief, decision, exports, comparison, the lead's dashboard and the numbers pages."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..analytics import charts, coverage, queries, stats
from ..bank.reader import BankUnavailable
from ..extensions import bank, db
from ..kit import service as kit
from ..models import Candidate, audit
from ..security import login_required, roles_required
from ..vocabulary import DECISION_LABELS, LEVELS, RECOMMENDATION_LABELS, Role
from . import bp, service, tables
from .forms import DecisionForm

LEADS = (Role.LEAD, Role.ADMIN)


def _candidate_or_404(candidate_id: int) -> Candidate:
    return db.get_or_404(Candidate, candidate_id, description="No candidate with that id.")


def _page_args(page: service.DebriefPage, **extra) -> dict:
    return {
        "page": page,
        "d": page.result,
        "candidate": page.candidate,
        "competencies": bank.competency_titles(missing_ok=True),
        "labels": {**RECOMMENDATION_LABELS, **DECISION_LABELS},
        "min_pairs": stats.MIN_PAIRS,
        **extra,
    }


@bp.route("/candidates/<int:candidate_id>/debrief", methods=["GET"])
@roles_required(*LEADS)
def debrief(candidate_id: int):
    """Show a candidate's debrief: matrix, flags, combined result and the decision."""
    candidate = _candidate_or_404(candidate_id)
    page = service.debrief_page(current_user, candidate)
    form = DecisionForm()
    if candidate.decision is not None:
        form.outcome.data = candidate.decision.outcome
    return render_template("review/debrief.html", form=form, **_page_args(page))


@bp.post("/candidates/<int:candidate_id>/decision")
@roles_required(*LEADS)
def decide(candidate_id: int):
    """Record the decision, or change it with a reason (every version is kept)."""
    candidate = _candidate_or_404(candidate_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            service.record_decision(
                candidate,
                current_user,
                form.outcome.data,
                form.rationale.data,
                form.change_reason.data or "",
            )
        except service.DecisionError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"Decision recorded: {candidate.decision.label}.", "info")
            return redirect(url_for("review.debrief", candidate_id=candidate.id) + "#decision")
    page = service.debrief_page(current_user, candidate)
    return render_template("review/debrief.html", form=form, **_page_args(page)), 422


@bp.get("/candidates/<int:candidate_id>/debrief/print")
@roles_required(*LEADS)
def debrief_print(candidate_id: int):
    """Show the debrief laid out for paper: no navigation, a page per session."""
    candidate = _candidate_or_404(candidate_id)
    page = service.debrief_page(current_user, candidate)
    audit(current_user, "exported", candidate, format="print")
    db.session.commit()
    return render_template(
        "review/debrief_print.html", printed_at=datetime.now(UTC), **_page_args(page)
    )


@bp.get("/candidates/<int:candidate_id>/export.<any(csv, json):fmt>")
@login_required
def export_candidate(candidate_id: int, fmt: str):
    """Download one candidate's scorecards (and decision, for leads) as CSV or JSON.

    The same rules as the feedback page: someone with no part in the candidate's loops
    gets 404, an interviewer who has not submitted their own scorecard gets 403.
    """
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None or not kit.is_on_panel(current_user, candidate):
        abort(404, description="No candidate with that id.")
    if not kit.can_see_feedback(current_user, candidate):
        abort(403, description="Submit your own scorecard first; then you can export the others.")
    return _export([candidate], fmt, f"candidate-{candidate.id}", candidate)


@bp.get("/roles/export.<any(csv, json):fmt>")
@roles_required(*LEADS)
def export_role(fmt: str):
    """Download every candidate for a role (and level) as CSV or JSON."""
    role = request.args.get("role", "").strip()[:120]
    level = request.args.get("level", "")
    if not role:
        abort(400, description="Say which role to export: ?role=Back-end engineer")
    if level and level not in LEVELS:
        abort(400, description=f"Level is one of {', '.join(LEVELS)}.")
    candidates = service.role_rows(role, level)
    slug = "-".join(role.lower().split())[:60] + (f"-{level}" if level else "")
    scope = service.role_scope(role, level)
    return _export(candidates, fmt, f"role-{slug}", None, scope, role=role, level=level)


def _export(candidates, fmt: str, name: str, target, scope=None, **detail):
    """Build the download and write who exported what into the audit log."""
    if fmt == "csv":
        body = service.to_csv(service.export_rows(current_user, candidates, scope))
        mimetype = "text/csv"
    else:
        # orjson: compact UTF-8 in one C pass; the standard encoder (compact, since its
        # indented mode is pure Python) was a fifth of a 600-candidate role export
        body = orjson.dumps(service.export_json(current_user, candidates, scope))
        mimetype = "application/json"
    if target is not None:
        audit(current_user, "exported", target, format=fmt)
    else:
        audit(
            current_user,
            "exported",
            current_user._get_current_object(),  # the record is of who took the export
            format=fmt,
            candidates=[c.id for c in candidates],
            **detail,
        )
    db.session.commit()
    return _download(body, mimetype, f"{name}.{fmt}")


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in filename)
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


@bp.get("/compare")
@roles_required(*LEADS)
def compare():
    """Compare candidates for one role and level side by side, one row each."""
    role = request.args.get("role", "").strip()[:120]
    level = request.args.get("level", "")
    rows, competencies = [], []
    if role:
        if level and level not in LEVELS:
            abort(400, description=f"Level is one of {', '.join(LEVELS)}.")
        for candidate in service.candidates_for_role(role, level):
            page = service.debrief_page(current_user, candidate)
            rows.append(page)
            for comp in page.result.competencies:
                if comp not in competencies:
                    competencies.append(comp)
    return render_template(
        "review/compare.html",
        rows=rows,
        role=role,
        level=level,
        roles=service.roles(),
        comps=competencies,
        competencies=bank.competency_titles(missing_ok=True),
        labels={**RECOMMENDATION_LABELS, **DECISION_LABELS},
    )


@bp.get("/dashboard")
@roles_required(*LEADS)
def dashboard():
    """Show what a lead should act on: decisions to make, scorecards missing or overdue."""
    return render_template("review/dashboard.html", dash=service.dashboard(), roles=service.roles())


# -- the numbers ----------------------------------------------------------------------------


@bp.get("/numbers/calibration")
@roles_required(*LEADS)
def calibration():
    """Show interviewer calibration and inter-rater agreement, with charts and tables."""
    queries.warm("rater_moments", "calibration", "agreement")  # side by side after a change
    people = queries.calibration()
    agreement = queries.agreement()
    titles = bank.competency_titles(missing_ok=True)
    shown = [p for p in people if p.offset.enough and p.offset.interval]
    offset_chart = charts.interval_chart(
        "Interviewer offsets from their panels (95% CI)",
        [
            (p.user.name, p.offset.interval.mean, p.offset.interval.low, p.offset.interval.high)
            for p in shown
        ],
        reference=0.0,
        lo=-3.0,
        hi=3.0,
    )
    # a dot per competency on -1..1 (alpha can be negative), the line at 0.8: "good"
    agreement_chart = charts.interval_chart(
        "Agreement per competency (Krippendorff's alpha; the line marks 0.8)",
        [(titles.get(c, c), a, None, None) for c, (a, _, _) in agreement.items() if a is not None],
        reference=0.8,
        lo=-1.0,
        hi=1.0,
    )
    return render_template(
        "review/calibration.html",
        people=people,
        agreement=agreement,
        titles=titles,
        offset_chart=offset_chart,
        agreement_chart=agreement_chart,
        min_pairs=stats.MIN_PAIRS,
    )


@bp.get("/numbers/calibration.csv")
@roles_required(*LEADS)
def calibration_csv():
    """Download the calibration table behind the chart."""
    rows = tables.calibration_rows()
    return _table_csv(rows, "calibration.csv")


@bp.get("/numbers/agreement.csv")
@roles_required(*LEADS)
def agreement_csv():
    """Download inter-rater agreement per competency."""
    rows = tables.agreement_rows()
    return _table_csv(rows, "agreement.csv")


@bp.get("/numbers/questions")
@roles_required(*LEADS)
def questions():
    """Show question statistics: use, score spread, agreement with decisions, and flags."""
    rows = queries.question_rows()
    totals = {
        score: sum(r.stats.distribution.get(score, 0) for r in rows) for score in (1, 2, 3, 4)
    }
    dist_chart = charts.bar_chart(
        "Question scores across the bank", [(f"Score {s}", n) for s, n in totals.items()]
    )
    with_r = [r for r in rows if r.stats.decision_r is not None]
    r_chart = charts.bar_chart(
        "Agreement with the decision (point-biserial r), least first",
        [
            (r.question_id, r.stats.decision_r)
            for r in sorted(with_r, key=lambda r: r.stats.decision_r)[:15]
        ],
    )
    return render_template(
        "review/questions.html", rows=rows, totals=totals, dist_chart=dist_chart, r_chart=r_chart
    )


@bp.get("/numbers/questions.csv")
@roles_required(*LEADS)
def questions_csv():
    """Download question statistics, one row per question and per changed version."""
    rows = tables.question_rows()
    return _table_csv(rows, "questions.csv")


def _coverage_report() -> coverage.Coverage:
    """Count coverage for ?loops=N (default 5), the same range the shell command takes."""
    loops = request.args.get("loops", type=int) or coverage.DEFAULT_LOOPS
    if not coverage.MIN_LOOPS <= loops <= coverage.MAX_LOOPS:
        abort(
            400,
            description=f"Loops is a number from {coverage.MIN_LOOPS} to {coverage.MAX_LOOPS}.",
        )
    return tables.coverage_report(loops)


@bp.get("/numbers/coverage")
@roles_required(*LEADS)
def coverage_page():
    """Show bank coverage: questions per competency and level against what loops need."""
    try:
        report = _coverage_report()
    except BankUnavailable:
        return render_template("browse/no_bank.html"), 503
    titles = bank.competency_titles()
    return render_template("review/coverage.html", report=report, titles=titles, levels=LEVELS)


@bp.get("/numbers/coverage.csv")
@roles_required(*LEADS)
def coverage_csv():
    """Download the coverage table and the gaps."""
    try:
        report = _coverage_report()
    except BankUnavailable:
        abort(503, description="The question bank is not built yet: run `interviewkit load`.")
    titles = bank.competency_titles()
    rows = tables.coverage_rows(report, titles)
    return _table_csv(rows, "coverage.csv")


def _f(value):
    """Return a table value as its CSV cell: three decimals, empty when not known."""
    if value is None:
        return ""
    return f"{value:.3f}" if isinstance(value, float) else value


def _table_csv(rows: list[dict], filename: str) -> Response:
    columns = list(rows[0]) if rows else ["no data"]
    table = [[_f(row.get(c)) for c in columns] for row in rows]
    return _download(service.to_csv(table, columns), "text/csv", filename)

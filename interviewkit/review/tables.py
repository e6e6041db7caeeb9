"""The numbers pages' tables as rows of plain values: one source for the CSV downloads and
the API (`/api/v1/numbers/...`), so the two never disagree.

A value that is not known (too few scores for an offset, no decision yet) is None; the
CSV writes it as an empty cell and the API as null.
"""

from __future__ import annotations

from ..analytics import coverage, queries
from ..extensions import bank


def calibration_rows() -> list[dict]:
    """Return one row per interviewer: offset from their panels, spread, match, speed."""
    rows = []
    for p in queries.calibration():
        known = p.offset.enough and p.offset.interval
        rows.append(
            {
                "interviewer": p.user.name,
                "paired_scores": p.offset.interval.n if p.offset.interval else 0,
                "offset": p.offset.interval.mean if known else None,
                "ci_low": p.offset.interval.low if known else None,
                "ci_high": p.offset.interval.high if known else None,
                "flag": p.offset.reason,
                "scores": p.spread.n if p.spread else 0,
                "mean_score": p.spread.mean if p.spread else None,
                "sd": p.spread.sd if p.spread else None,
                "recommendation_match": p.match.mean if p.match else None,
                "decided": p.match.n if p.match else 0,
                "median_hours_to_submit": p.median_hours,
            }
        )
    return rows


def agreement_rows() -> list[dict]:
    """Return inter-rater agreement (Krippendorff's alpha) per competency."""
    return [
        {"competency": c, "alpha": a, "units": units, "scores": n}
        for c, (a, units, n) in queries.agreement().items()
    ]


def question_rows() -> list[dict]:
    """Return one row per question and per changed version of it: use, spread, flags."""
    rows = []
    for r in queries.question_rows():
        for row in [r, *r.versions]:
            s = row.stats
            rows.append(
                {
                    "question": row.question_id,
                    "version": row.content_hash or "all",
                    "title": row.title,
                    "asked": s.asked,
                    "not_asked": s.not_asked,
                    **{f"score_{k}": s.distribution.get(k, 0) for k in (1, 2, 3, 4)},
                    "mean": s.mean,
                    "sd": s.sd,
                    "floor": s.floor,
                    "ceiling": s.ceiling,
                    "decision_r": s.decision_r,
                    "decision_n": s.decision_n,
                    "flags": " | ".join(s.flags),
                }
            )
    return rows


def coverage_rows(report: coverage.Coverage, titles: dict[str, str]) -> list[dict]:
    """Return the bank's coverage: questions per competency and level against loops' needs."""
    return [
        {
            "competency": n.competency,
            "level": n.level,
            "needed": n.needed,
            "available": n.available,
            "gap": n.gap,
            "templates": " ".join(n.templates),
            "advice": n.advice(titles) if n.gap else "",
        }
        for n in report.needs
    ]


def coverage_report(loops: int) -> coverage.Coverage:
    """Count coverage for `loops` loops per template: the bank alone decides it, so it is
    counted once per bank build and number of loops."""
    return bank.remember(
        f"coverage:{loops}",
        lambda: coverage.coverage(bank.bank_questions(), bank.loop_templates(), loops),
    )

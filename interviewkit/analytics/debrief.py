"""The debrief of one candidate: the score matrix, its flags and the combined result.

Plain Python: the caller passes what the panel submitted (``CardScores``) and the state of
every session (``SessionState``); nothing here reads a database or a request. Only
scorecards whose ratings are submitted are passed in: a draft is the interviewer's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..vocabulary import RATINGS_LOCKED, Outcome
from . import stats

# Two submitted scores on one competency this far apart (or more) are flagged.
DISAGREEMENT_POINTS = 2


@dataclass(frozen=True)
class CardScores:
    """One scorecard with submitted ratings, as the debrief needs it."""

    id: int
    session_id: int
    session: str
    interviewer_id: int | None
    interviewer: str
    status: str  # ratings_submitted or submitted
    recommendation: str | None
    scores: Mapping[str, int]  # competency -> 1..4
    evidence: Mapping[str, str] = field(default_factory=dict)
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class SessionState:
    """One session of the candidate's loops: who, and whether its scorecard is in."""

    id: int
    name: str
    interviewer: str | None  # None: nobody assigned
    submitted: bool
    due: datetime | None = None
    overdue: bool = False
    competencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flag:
    """Something a lead should look at before deciding, with the reason."""

    kind: str  # disagreement, split, unscored, unassigned, missing, overdue
    message: str


@dataclass(frozen=True)
class Cell:
    """One interviewer's score on one competency, with the evidence behind it."""

    score: int
    evidence: str
    adjusted: float | None  # raw minus the interviewer's calibrated offset, when known


@dataclass(frozen=True)
class Combined:
    """A combined score with the arithmetic that produced it, for checking by hand."""

    value: float | None
    n: int
    arithmetic: str


@dataclass
class Debrief:
    """Everything the debrief page shows, computed."""

    competencies: list[str]
    cards: list[CardScores]
    cells: dict[tuple[str, int], Cell]
    combined: dict[str, Combined]
    overall: Combined
    weights: dict[str, float]
    flags: list[Flag]


def _num(x: float) -> str:
    """Format a number for the arithmetic line: whole numbers plain, else two decimals."""
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def combine(scores: list[int]) -> Combined:
    """Return the mean of a competency's submitted scores with its sum written out."""
    if not scores:
        return Combined(None, 0, "no submitted score")
    value = sum(scores) / len(scores)
    if len(scores) == 1:
        return Combined(value, 1, f"{scores[0]} (one score)")
    terms = " + ".join(str(s) for s in scores)
    return Combined(value, len(scores), f"({terms}) / {len(scores)} = {value:.2f}")


def overall(combined: Mapping[str, Combined], weights: Mapping[str, float]) -> Combined:
    """Return the weighted mean of the competency results, skipping unscored ones."""
    parts = [
        (weights.get(comp, 1.0), c.value) for comp, c in combined.items() if c.value is not None
    ]
    value = stats.weighted_mean([(v, w) for w, v in parts])
    if value is None:
        return Combined(None, 0, "no competency has a submitted score")
    top = " + ".join(f"{_num(w)} × {v:.2f}" for w, v in parts)
    bottom = " + ".join(_num(w) for w, _ in parts)
    return Combined(value, len(parts), f"({top}) / ({bottom}) = {value:.2f}")


def build(
    cards: Iterable[CardScores],
    sessions: Iterable[SessionState],
    competencies: Iterable[str],
    weights: Mapping[str, float] | None = None,
    offsets: Mapping[int, stats.Offset] | None = None,
    titles: Mapping[str, str] | None = None,
) -> Debrief:
    """Return the debrief: matrix, combined results and flags, from the submitted ratings.

    `competencies` are those the candidate's loops ask for, in order; a competency that
    only a scorecard mentions is added after them. `weights` default to 1 each.
    """
    cards = [c for c in cards if c.status in RATINGS_LOCKED]
    titles = titles or {}
    offsets = offsets or {}
    asked = list(dict.fromkeys(competencies))
    comps = asked + sorted({k for c in cards for k in c.scores} - set(asked))
    weights = {comp: float((weights or {}).get(comp, 1.0)) for comp in comps}

    cells: dict[tuple[str, int], Cell] = {}
    for card in cards:
        offset = offsets.get(card.interviewer_id) if card.interviewer_id is not None else None
        for comp, score in card.scores.items():
            if score is None:
                continue
            cells[(comp, card.id)] = Cell(
                score, card.evidence.get(comp, ""), stats.adjusted_score(score, offset)
            )
    combined = {
        comp: combine([cells[(comp, c.id)].score for c in cards if (comp, c.id) in cells])
        for comp in comps
    }
    sessions = list(sessions)
    # a competency whose session is still to come is covered by that session's own flag
    pending = {comp for s in sessions if not s.submitted for comp in s.competencies}
    flags = (
        _disagreements(cards, cells, comps, titles)
        + _split(cards)
        + [
            Flag(
                "unscored", f"{titles.get(comp, comp)}: the loop asks for it and no one scored it."
            )
            for comp in asked
            if combined[comp].value is None and comp not in pending
        ]
        + _session_flags(sessions, titles)
    )
    return Debrief(comps, cards, cells, combined, overall(combined, weights), weights, flags)


def _disagreements(cards, cells, comps, titles) -> list[Flag]:
    flags = []
    for comp in comps:
        scored = [(c, cells[(comp, c.id)].score) for c in cards if (comp, c.id) in cells]
        if len(scored) < 2:
            continue
        (lo_card, lo), (hi_card, hi) = (
            min(scored, key=lambda x: x[1]),
            max(scored, key=lambda x: x[1]),
        )
        if hi - lo >= DISAGREEMENT_POINTS:
            flags.append(
                Flag(
                    "disagreement",
                    f"{titles.get(comp, comp)}: {lo_card.interviewer} scored {lo}, "
                    f"{hi_card.interviewer} scored {hi} ({hi - lo} points apart).",
                )
            )
    return flags


def _split(cards) -> list[Flag]:
    side = {c.id: stats.RECOMMENDATION_SIDE.get(c.recommendation) for c in cards}
    yes = [c for c in cards if side[c.id] == Outcome.HIRE]
    no = [c for c in cards if side[c.id] == Outcome.NO_HIRE]
    if not (yes and no):
        return []
    names = ", ".join(f"{c.interviewer} ({c.recommendation.replace('_', ' ')})" for c in yes + no)
    return [Flag("split", f"Recommendations on both sides of hire / no hire: {names}.")]


def _session_flags(sessions, titles) -> list[Flag]:
    flags = []
    for s in sessions:
        if s.submitted:
            continue
        if s.interviewer is None:
            covers = ", ".join(titles.get(c, c) for c in s.competencies)
            flags.append(
                Flag(
                    "unassigned",
                    f"{s.name}: no interviewer assigned"
                    + (f" ({covers} rest on it)." if covers else "."),
                )
            )
        elif s.overdue:
            when = f" (due {s.due:%Y-%m-%d %H:%M} UTC)" if s.due else ""
            flags.append(
                Flag("overdue", f"{s.name}: {s.interviewer}'s scorecard is overdue{when}.")
            )
        else:
            flags.append(
                Flag("missing", f"{s.name}: {s.interviewer}'s scorecard is not submitted yet.")
            )
    return flags

"""The numbers, gathered with SQL aggregation and handed to the plain functions in stats.

Each function here asks the app database for sums, counts and coincidence tables (never a
row per score), so a page over ten thousand sessions moves a few hundred numbers into
Python. What counts everywhere: ratings from scorecards whose ratings are submitted
(`ratings_submitted` or `submitted`); drafts are an interviewer's private work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app
from sqlalchemy import Float, case, cast, func, select, tuple_

from ..database import READ_ONLY
from ..extensions import db
from ..models import (
    Amendment,
    CompetencyRating,
    Decision,
    KitScore,
    Loop,
    LoopQuestion,
    LoopSession,
    Scorecard,
    User,
)
from ..vocabulary import DECIDED, RATINGS_LOCKED, CardStatus, Outcome
from . import stats

T = TypeVar("T")

LOCKED = RATINGS_LOCKED


def data_version() -> tuple:
    """Return a fingerprint of everything the numbers are computed from, in one statement.

    Counted scorecards (how many, which, by whom, last change and submission), decisions,
    amendments and question placements: a submission, an amendment, a decision or its
    change, a reassigned or deleted session, a swapped question or a deleted candidate or
    interviewer each change it. Drafts do not, so autosaves never invalidate the numbers.
    About 4 ms on SQLite at 10,000 sessions (the numbers themselves take 100-300 ms).
    """

    def scalar(*columns):
        return select(*columns).scalar_subquery()

    row = db.session.execute(
        select(
            func.count(),
            func.sum(Scorecard.id),
            func.sum(Scorecard.interviewer_id),
            func.max(Scorecard.updated_at),
            func.max(Scorecard.submitted_at),
            func.max(Scorecard.ratings_submitted_at),
            scalar(func.count(Decision.id)),
            scalar(func.max(Decision.id)),
            scalar(func.count(Amendment.id)),
            scalar(func.max(Amendment.id)),
            scalar(func.count(LoopQuestion.id)),
            scalar(func.sum(LoopQuestion.id)),
            scalar(func.count(LoopSession.id)),
            scalar(func.sum(LoopSession.id)),
        ).where(Scorecard.status.in_(LOCKED))
    ).one()
    return tuple(str(v) for v in row)


def _version_in_this_transaction() -> tuple:
    """Return `data_version()`, read once per database transaction.

    A calibration view asks for three remembered numbers; one fingerprint serves them all.
    A commit starts a new transaction, so a change made since is always seen.
    """
    current = db.session()  # the request's Session behind the scoped proxy
    transaction, version = current.info.get("interviewkit.data_version", (None, None))
    if transaction is None or transaction is not current.get_transaction():
        version = data_version()
        current.info["interviewkit.data_version"] = (current.get_transaction(), version)
    return version


def remembered(name: str, compute: Callable[[], T], *key) -> T:
    """Return `compute()`, remembered per app until the data it reads changes.

    The calibration and question pages are read far more often than scorecards are
    submitted, and computing them is 100-300 ms of SQL at 10,000 sessions; checking the
    fingerprint (`data_version`) is a few ms. Each worker process keeps its own answers;
    the fingerprint is read from the database, so a change made through any worker (or
    any tool) is seen by all. Only plain values are kept, never ORM objects.
    """
    memo = current_app.extensions.setdefault("interviewkit.numbers", {})
    version = _version_in_this_transaction()
    hit = memo.get((name, *key))
    if hit is not None and hit[0] == version:
        return hit[1]
    value = compute()
    memo[(name, *key)] = (version, value)
    return value


def warm(*names: str) -> None:
    """Compute the named numbers that are not remembered for this data, side by side.

    After a change, the calibration page needs three aggregates (`rater_moments`,
    `calibration`, `agreement`) that read the same tables but not each other: 70, 55 and
    45 ms on PostgreSQL at 10,000 sessions. Each runs on its own connection in its own
    thread (the database does the work, and both drivers release the GIL while it does),
    so the first view after a change waits for the slowest, not for the sum
    (bench/README.md). With one name to compute, or an in-memory SQLite database that
    other connections cannot see, they run here in turn as before.
    """
    memo = current_app.extensions.setdefault("interviewkit.numbers", {})
    version = _version_in_this_transaction()
    missing = [
        name for name in names if (memo.get((name,)) or (None,))[0] != version and name in WARM
    ]
    url = db.engine.url
    shared = url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")
    if len(missing) < 2 or not shared:
        return
    app = current_app._get_current_object()

    def compute(name: str):
        READ_ONLY.set(True)  # this thread's context only: it never writes
        with app.app_context():
            try:
                return WARM[name]()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(missing)) as pool:
        values = list(pool.map(compute, missing))
    for name, value in zip(missing, values, strict=True):
        # kept under the version this request read: a change committed meanwhile gives a
        # newer version, so the next view computes again (never an older answer kept)
        memo[(name,)] = (version, value)


def decision_of(candidate_id):
    """Return a scalar subquery: the outcome of the decision in force for a candidate column.

    Correlated and served by the index on decisions.candidate_id. A join to a "latest
    decision" subquery instead made SQLite scan the decisions once per score (1.5 s).
    """
    return (
        select(Decision.outcome)
        .where(Decision.candidate_id == candidate_id)
        .order_by(Decision.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def in_force():
    """Return a subquery of the ids of the decisions in force: each candidate's latest.

    For queries driven from the decisions table. Joined from the other side (scores to
    decisions) SQLite walks this list once per score; use `decision_of` there.
    """
    return select(func.max(Decision.id)).group_by(Decision.candidate_id).scalar_subquery()


def _rated():
    """Return the base query of counted ratings: candidate, competency, card, rater, score."""
    return (
        select(
            Loop.candidate_id.label("cand"),
            CompetencyRating.competency.label("comp"),
            Scorecard.id.label("card"),
            Scorecard.interviewer_id.label("who"),
            CompetencyRating.score.label("score"),
        )
        .join(Scorecard, CompetencyRating.scorecard_id == Scorecard.id)
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .join(Loop, LoopSession.loop_id == Loop.id)
        .where(
            Scorecard.status.in_(LOCKED),
            CompetencyRating.score.is_not(None),
            Scorecard.interviewer_id.is_not(None),
        )
    )


def offset_moments() -> dict[int, tuple[int, float, float]]:
    """Return interviewer id -> (paired scores, Σd, Σd²), remembered until the data changes."""
    return rater_moments()[0]


def rater_moments() -> tuple[dict, dict]:
    """Return (offset moments, spread moments) per interviewer, remembered until a change."""
    return remembered("rater_moments", _rater_moments)


def _rater_moments() -> tuple[dict, dict]:
    """Return each interviewer's offset and spread moments from one scan of the ratings.

    Offsets: interviewer id -> (paired scores, Σd, Σd²), d = own score - the other
    panelists' mean on the same unit (one candidate and one competency). An interviewer
    who scored a unit twice (two sessions) counts once, with their mean, so they are never
    their own panel. Spreads: interviewer id -> (scores, Σx, Σx²) of every own score.
    One statement for both: the spread was its own scan and sort of every rating (15 ms
    on SQLite, 23 ms on PostgreSQL at 10,000 sessions).
    """
    rated = _rated().subquery()
    total = cast(func.sum(rated.c.score), Float)
    per_rater = (
        select(
            rated.c.cand,
            rated.c.comp,
            rated.c.who,
            func.count().label("n"),
            total.label("t"),
            cast(func.sum(rated.c.score * rated.c.score), Float).label("sq"),
            # Σ/n in floating point: PostgreSQL's avg() of integers is numeric, 14 ms slower.
            (total / func.count()).label("s"),
        )
        .group_by(rated.c.cand, rated.c.comp, rated.c.who)
        .subquery()
    )
    # Window sums over the unit rather than a join back to a per-unit subquery: SQLite
    # joins two subqueries by nested loops (28 s at 10,000 sessions); a window is one pass.
    unit = (per_rater.c.cand, per_rater.c.comp)
    windowed = select(
        per_rater.c,
        func.sum(per_rater.c.s).over(partition_by=unit).label("total"),
        func.count().over(partition_by=unit).label("k"),
    ).subquery()
    w = windowed.c
    paired = w.k >= 2
    d = w.s - (w.total - w.s) / cast(w.k - 1, Float)
    rows = db.session.execute(
        select(
            w.who,
            func.sum(w.n),
            func.sum(w.t),
            func.sum(w.sq),
            func.sum(case((paired, 1), else_=0)),
            func.sum(case((paired, d), else_=0.0)),
            func.sum(case((paired, d * d), else_=0.0)),
        ).group_by(w.who)
    )
    offsets, spreads = {}, {}
    for who, n, t, sq, pairs, dsum, dsq in rows:
        spreads[who] = (int(n), float(t), float(sq))
        if pairs:
            offsets[who] = (int(pairs), float(dsum), float(dsq))
    return offsets, spreads


def offsets(min_pairs: int = stats.MIN_PAIRS) -> dict[int, stats.Offset]:
    """Return every interviewer's calibrated offset against their panels."""
    return {
        who: stats.offset_from_moments(who, n, total, sq, min_pairs=min_pairs)
        for who, (n, total, sq) in offset_moments().items()
    }


@dataclass
class Calibration:
    """One interviewer's numbers on the calibration page."""

    user: User
    offset: stats.Offset
    spread: stats.Interval | None  # their own scores: mean, sd, n
    match: stats.Interval | None  # share of recommendations on the decided side, n = decided
    median_hours: float | None  # session start to submitted scorecard
    submitted: int


def calibration(min_pairs: int = stats.MIN_PAIRS) -> list[Calibration]:
    """Return calibration numbers for every interviewer who has submitted ratings."""
    warm("rater_moments", "calibration")
    match_counts, hours = remembered("calibration", _calibration_numbers)
    spreads = {
        who: stats.interval_from_moments(n, t, sq) for who, (n, t, sq) in rater_moments()[1].items()
    }
    offs = offsets(min_pairs)
    people = set(spreads) | set(hours)
    users = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(people))).scalars()}
    out = []
    for who in sorted(people, key=lambda i: users[i].name.lower() if i in users else ""):
        if who not in users:
            continue
        median_hours, submitted = hours.get(who, (None, 0))
        out.append(
            Calibration(
                user=users[who],
                offset=offs.get(who) or stats.offset_from_moments(who, 0, 0.0, 0.0, min_pairs),
                spread=spreads.get(who),
                match=stats.recommendation_matches_from_counts(match_counts.get(who, {})),
                median_hours=median_hours,
                submitted=submitted,
            )
        )
    return out


def _calibration_numbers() -> tuple[dict, dict]:
    """Return each interviewer's recommendation x decision counts and hours to submit.

    Plain values keyed by user id (no ORM objects), so `remembered` can keep them. The
    spreads come from `rater_moments`, computed beside this by `warm`.
    """
    # Driven from the decisions in force (one index walk per decided candidate to its
    # scorecards): a correlated "decision of this card's candidate" per scorecard cost
    # 38 ms at 10,000 sessions, this 8 ms. Undecided candidates' cards are never read.
    match_rows = db.session.execute(
        select(Scorecard.interviewer_id, Scorecard.recommendation, Decision.outcome, func.count())
        .select_from(Decision)
        .join(Loop, Loop.candidate_id == Decision.candidate_id)
        .join(LoopSession, LoopSession.loop_id == Loop.id)
        .join(Scorecard, Scorecard.session_id == LoopSession.id)
        .where(
            Decision.id.in_(in_force()),
            Decision.outcome.in_(DECIDED),
            Scorecard.status.in_(LOCKED),
        )
        .group_by(Scorecard.interviewer_id, Scorecard.recommendation, Decision.outcome)
    )
    match_counts: dict[int, dict] = defaultdict(dict)
    for who, rec, outcome, n in match_rows:
        if who is not None and rec in stats.RECOMMENDATION_SIDE:
            match_counts[who][(rec, outcome)] = n
    hours = {who: (stats.median(times), len(times)) for who, times in _hours_to_submit().items()}
    return dict(match_counts), hours


def _hours_to_submit() -> dict[int, list[float]]:
    """Return interviewer id -> hours from each session's start to its submitted scorecard.

    One timestamp pair per submitted scorecard (a median needs the values; SQLite has no
    portable percentile function). The start is the scheduled time, else the first save.
    """
    start = func.coalesce(LoopSession.scheduled_at, Scorecard.started_at)
    rows = db.session.execute(
        select(Scorecard.interviewer_id, _hours_between(start, Scorecard.submitted_at))
        .join(LoopSession, Scorecard.session_id == LoopSession.id)
        .where(Scorecard.status == CardStatus.SUBMITTED, Scorecard.interviewer_id.is_not(None))
    )
    out: dict[int, list[float]] = defaultdict(list)
    for who, hours in rows:
        if hours is not None:
            out[who].append(max(0.0, hours))
    return out


def _hours_between(start, end):
    """Return a SQL expression: hours from `start` to `end` (NULL if either is NULL).

    Computed by the database so the calibration page fetches 10,000 numbers rather than
    20,000 timestamps to parse (that parse was a third of the page on SQLite).
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return func.extract("epoch", end - start) / 3600.0


def agreement() -> dict[str, tuple[float | None, int, int]]:
    """Return competency -> (Krippendorff's alpha, units with 2+ raters, pairable scores)."""
    return remembered("agreement", _agreement)


def _agreement() -> dict[str, tuple[float | None, int, int]]:
    """Return competency -> (Krippendorff's alpha, units with 2+ raters, pairable scores).

    The coincidence table is summed in SQL without pairing rows: a unit (candidate and
    competency) with m scores, n_c of them equal to c, adds n_c * n_k / (m - 1) to o_ck,
    and n_c * (n_c - 1) / (m - 1) to o_cc, which is what counting every ordered pair of
    scores from two different scorecards gives.
    """
    rated = _rated().subquery()
    counts = [func.sum(case((rated.c.score == v, 1), else_=0)).label(f"n{v}") for v in stats.SCALE]
    units = (
        select(rated.c.comp, func.count().label("m"), *counts)
        .group_by(rated.c.cand, rated.c.comp)
        .having(func.count() >= 2)
        .subquery()
    )
    per = cast(units.c.m - 1, Float)
    n = {v: units.c[f"n{v}"] for v in stats.SCALE}
    cells = [(c, k) for c in stats.SCALE for k in stats.SCALE]
    sums = [
        func.sum(n[c] * (n[k] - (1 if c == k else 0)) / per).label(f"o{c}{k}") for c, k in cells
    ]
    rows = db.session.execute(
        select(units.c.comp, func.count(), func.sum(units.c.m), *sums).group_by(units.c.comp)
    )
    out = {}
    for comp, n_units, n_scores, *values in sorted(rows, key=lambda r: r[0]):
        table = {cell: float(v or 0) for cell, v in zip(cells, values, strict=True) if v}
        out[comp] = (stats.alpha_from_coincidences(table), n_units, int(n_scores))
    return out


@dataclass
class QuestionRow:
    """One question (all versions) or one version of it, with its statistics."""

    question_id: str
    content_hash: str | None  # None for the row over every version
    title: str
    stats: stats.QuestionStats
    versions: list[QuestionRow]


def question_rows() -> list[QuestionRow]:
    """Return statistics per question id, each with its versions where the text changed.

    Remembered until the data changes: callers read the rows and must not change them.
    """
    return remembered("question_rows", _question_rows)


def _question_rows() -> list[QuestionRow]:
    """Return statistics per question id, computed now."""
    scored = (
        select(
            LoopQuestion.question_id.label("qid"),
            LoopQuestion.content_hash.label("chash"),
            KitScore.score.label("score"),
            decision_of(Loop.candidate_id).label("outcome"),
        )
        .join(KitScore, KitScore.loop_question_id == LoopQuestion.id)
        .join(Scorecard, KitScore.scorecard_id == Scorecard.id)
        .join(LoopSession, LoopQuestion.session_id == LoopSession.id)
        .join(Loop, LoopSession.loop_id == Loop.id)
        .where(Scorecard.status.in_(LOCKED), KitScore.score.is_not(None))
        .subquery()
    )
    rows = db.session.execute(
        select(
            scored.c.qid, scored.c.chash, scored.c.score, scored.c.outcome, func.count()
        ).group_by(scored.c.qid, scored.c.chash, scored.c.score, scored.c.outcome)
    ).all()
    per_version: dict[tuple[str, str], tuple[dict, dict]] = defaultdict(
        lambda: (defaultdict(int), defaultdict(int))
    )
    for qid, chash, score, outcome, n in rows:
        for key in ((qid, chash), (qid, None)):
            scores, decisions = per_version[key]
            scores[score] += n
            if score and outcome in DECIDED:
                decisions[(score, outcome == Outcome.HIRE)] += n
    names = titles()
    out: dict[str, QuestionRow] = {}
    for (qid, chash), (scores, decisions) in sorted(
        per_version.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        row = QuestionRow(
            qid,
            chash,
            names.get((qid, chash)) or names.get((qid, None), qid),
            stats.question_stats(dict(scores), dict(decisions)),
            [],
        )
        if chash is None:
            out[qid] = row
        else:
            out.setdefault(qid, row).versions.append(row)
    for row in out.values():
        if len(row.versions) < 2:  # one version: the row over every version says it all
            row.versions = []
    return sorted(out.values(), key=lambda r: (-len(r.stats.flags), r.question_id))


def titles() -> dict[tuple[str, str | None], str]:
    """Return (question id, content hash) -> title as asked; (id, None) -> the latest.

    One snapshot per version is read, and only its title: a question's content hash fixes
    its text, so every placement of one version carries the same title.
    """
    latest = (
        select(func.max(LoopQuestion.id))
        .group_by(LoopQuestion.question_id, LoopQuestion.content_hash)
        .scalar_subquery()
    )
    out: dict[tuple[str, str | None], str] = {}
    for qid, chash, title in db.session.execute(
        select(
            LoopQuestion.question_id,
            LoopQuestion.content_hash,
            LoopQuestion.snapshot["title"].as_string(),
        )
        .where(LoopQuestion.id.in_(latest))
        .order_by(LoopQuestion.id)
    ):
        out[(qid, chash)] = title
        out[(qid, None)] = title
    return out


def version_titles(versions: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Return (question id, content hash) -> title as asked, for these versions only.

    A content hash fixes a question's text, so a version's title never changes: the
    answers are kept for the life of the app and only versions not seen before are read
    (one snapshot each). Reading every version's title on each role export was a fifth
    of its time.
    """
    known = current_app.extensions.setdefault("interviewkit.version_titles", {})
    missing = sorted(v for v in versions if v not in known)
    for chunk in (missing[i : i + 500] for i in range(0, len(missing), 500)):
        latest = (
            select(func.max(LoopQuestion.id))
            .where(tuple_(LoopQuestion.question_id, LoopQuestion.content_hash).in_(chunk))
            .group_by(LoopQuestion.question_id, LoopQuestion.content_hash)
            .scalar_subquery()
        )
        for qid, chash, title in db.session.execute(
            select(
                LoopQuestion.question_id,
                LoopQuestion.content_hash,
                LoopQuestion.snapshot["title"].as_string(),
            ).where(LoopQuestion.id.in_(latest))
        ):
            known[(qid, chash)] = title
    return {v: known[v] for v in versions if v in known}


# The numbers `warm` may compute side by side: each reads the database on its own.
WARM: dict[str, Callable[[], object]] = {
    "rater_moments": _rater_moments,
    "calibration": _calibration_numbers,
    "agreement": _agreement,
}

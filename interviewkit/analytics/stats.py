"""Statistics behind the numbers pages: intervals, calibration, agreement, question stats.

Plain functions over plain values, so the views can feed them SQL aggregates (counts, sums,
sums of squares) and never load every score. Scores are on the four-point scale (1 well below
the bar, 2 below, 3 meets, 4 above); 0 means "not asked" and is never a rating. Every
function returns None, rather than a number or an error, when the data cannot support one:
empty input, a single value where a spread is needed, or no variance to compare.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..vocabulary import DECIDED, Outcome, Recommendation

SCALE = (1, 2, 3, 4)

MIN_PAIRS = 5  # calibration: fewest paired scores before an offset is shown
LARGE_OFFSET = 0.5  # calibration: |offset| at or above this, with a CI excluding 0, is flagged

MIN_ASKED = 10  # question stats: fewer asks and the only flag is "not enough data yet"
FLOOR_CEILING_SHARE = 0.8  # this share (or more) of asks scoring 1, or 4, is a floor/ceiling
LOW_AGREEMENT_R = 0.1  # |r| below this, with MIN_DECIDED decisions, does not predict them
MIN_DECIDED = 20
NOT_ASKED_SHARE = 0.5  # marked "not asked" in this share of sessions (or more) is flagged

Z_95 = 1.959964  # two-sided 95% critical value of the standard normal


# Two-sided critical values of Student's t for df 1..30 (index 0 is df 1), to six decimals.
# test_stats checks every entry against the closed-form distribution function below.
_T_TABLE = {
    0.90: (
        6.313752, 2.919986, 2.353363, 2.131847, 2.015048, 1.943180, 1.894579, 1.859548,
        1.833113, 1.812461, 1.795885, 1.782288, 1.770933, 1.761310, 1.753050, 1.745884,
        1.739607, 1.734064, 1.729133, 1.724718, 1.720743, 1.717144, 1.713872, 1.710882,
        1.708141, 1.705618, 1.703288, 1.701131, 1.699127, 1.697261,
    ),
    0.95: (
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
        2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
        2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
        2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ),
    0.99: (
        63.656741, 9.924843, 5.840909, 4.604095, 4.032143, 3.707428, 3.499483, 3.355387,
        3.249836, 3.169273, 3.105807, 3.054540, 3.012276, 2.976843, 2.946713, 2.920782,
        2.898231, 2.878440, 2.860935, 2.845340, 2.831360, 2.818756, 2.807336, 2.796940,
        2.787436, 2.778715, 2.770683, 2.763262, 2.756386, 2.749996,
    ),
}  # fmt: skip


def _present(values: Iterable[float | None]) -> list[float]:
    # A missing score (None, e.g. not yet submitted) is not a zero: leave it out.
    return [v for v in values if v is not None]


def mean(values: Iterable[float | None]) -> float | None:
    """Return the arithmetic mean, skipping None; None when there is nothing to average."""
    present = _present(values)
    return math.fsum(present) / len(present) if present else None


def sample_sd(values: Iterable[float | None]) -> float | None:
    """Return the sample standard deviation (n - 1 denominator); None for fewer than 2."""
    present = _present(values)
    return statistics.stdev(present) if len(present) >= 2 else None


def median(values: Iterable[float | None]) -> float | None:
    """Return the median, skipping None; None when there are no values."""
    present = _present(values)
    return statistics.median(present) if present else None


def t_two_sided_cdf(t: float, df: int) -> float:
    """Return P(|T| <= t) for Student's t with an integer df (closed form, A&S 26.7.3-4)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if t <= 0:
        return 0.0
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        # Odd df: (2/pi) * (theta + sin cos * (1 + 2/3 cos^2 + 2*4/(3*5) cos^4 + ...)).
        total, term = 0.0, 1.0
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * k) / (2 * k + 1)
        return 2 / math.pi * (theta + s * math.cos(theta) * total)
    # Even df: sin * (1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ...), df/2 terms.
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):
        total += term
        term *= c2 * (2 * k - 1) / (2 * k)
    return s * total


def _cornish_fisher_t(df: int, level: float) -> float:
    # Expand the t quantile around the normal one in powers of 1/df (Abramowitz & Stegun
    # 26.7.5); for df > 30 the error is below 1e-6 at the usual levels.
    z = statistics.NormalDist().inv_cdf((1 + level) / 2)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def t_quantile(df: int, level: float = 0.95) -> float:
    """Return the two-sided critical t for df degrees of freedom at a confidence level."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    table = _T_TABLE.get(level)
    if table is not None and df <= len(table):
        return table[df - 1]
    if df > 30:
        return _cornish_fisher_t(df, level)
    # An untabled level at small df: bisect the exact distribution function. P(|T| <= t)
    # rises with t, and the quantile is below the Cauchy one (df 1), the widest of all.
    low, high = 0.0, math.tan(math.pi * level / 2) + 1
    for _ in range(200):
        mid = (low + high) / 2
        if t_two_sided_cdf(mid, df) < level:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * high:
            break
    return (low + high) / 2


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval, its count and its spread."""

    mean: float
    low: float | None  # None when n < 2
    high: float | None
    n: int
    sd: float | None  # sample sd (n - 1), None when n < 2


def interval_from_moments(
    n: int, total: float, total_sq: float, level: float = 0.95
) -> Interval | None:
    """Return mean ± t·sd/√n from the count, Σx and Σx², or None when n is 0."""
    if n < 0:
        raise ValueError(f"count must not be negative, got {n}")
    if n == 0:
        return None
    centre = total / n
    if n == 1:
        return Interval(mean=centre, low=None, high=None, n=1, sd=None)
    # Σx² - (Σx)²/n can come out a hair below zero (or above it, for identical values) from
    # rounding; both mean "no spread".
    squares = total_sq - total * total / n
    if squares <= 1e-12 * max(abs(total_sq), 1.0):
        squares = 0.0
    sd = math.sqrt(squares / (n - 1))
    half = t_quantile(n - 1, level) * sd / math.sqrt(n)
    return Interval(mean=centre, low=centre - half, high=centre + half, n=n, sd=sd)


def mean_ci(values: Iterable[float | None], level: float = 0.95) -> Interval | None:
    """Return the mean and its t confidence interval from a list, skipping None."""
    present = _present(values)
    return interval_from_moments(
        len(present), math.fsum(present), math.fsum(v * v for v in present), level
    )


# --- Calibration -------------------------------------------------------------------------


@dataclass(frozen=True)
class Offset:
    """How far one interviewer's scores sit from the rest of the panel's, and whether it shows."""

    interviewer: object  # whatever key the caller uses
    interval: Interval | None  # None when no pairs
    enough: bool  # n >= min_pairs
    flagged: bool  # enough, |mean| >= LARGE_OFFSET and the CI excludes 0
    reason: str  # human text; "" when unremarkable


def panel_differences(
    units: Iterable[Iterable[tuple[object, float | None]]],
) -> dict[object, list[float]]:
    """Return each interviewer's differences from the other panelists, unit by unit."""
    differences: dict[object, list[float]] = {}
    for unit in units:
        by_person: dict[object, list[float]] = {}
        for interviewer, score in unit:
            if score is not None:
                by_person.setdefault(interviewer, []).append(score)
        if len(by_person) < 2:
            continue  # one interviewer alone has no panel to differ from
        # Someone who scored the same unit twice counts once, at their mean, so they do not
        # outweigh the others.
        own = {person: math.fsum(s) / len(s) for person, s in by_person.items()}
        everyone = math.fsum(own.values())
        others = len(own) - 1
        for person, score in own.items():
            differences.setdefault(person, []).append(score - (everyone - score) / others)
    return differences


def _signed(value: float, places: int = 1) -> str:
    # "-0.0" reads as a typo; one decimal is as precise as a four-point scale deserves.
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def offset_from_moments(
    interviewer: object, n: int, total: float, total_sq: float, min_pairs: int = MIN_PAIRS
) -> Offset:
    """Return an interviewer's offset from the count, Σd and Σd² of their differences."""
    interval = interval_from_moments(n, total, total_sq)
    if interval is None or n < min_pairs:
        return Offset(
            interviewer,
            interval,
            enough=False,
            flagged=False,
            reason=f"not enough data yet ({n} of {min_pairs} paired scores)",
        )
    excludes_zero = interval.low is not None and (interval.low > 0 or interval.high < 0)
    flagged = excludes_zero and abs(interval.mean) >= LARGE_OFFSET
    reason = ""
    if flagged:
        direction = "higher" if interval.mean > 0 else "lower"
        reason = (
            f"scores {abs(interval.mean):.1f} {direction} than the rest of the panel "
            f"(95% CI {_signed(interval.low)} to {_signed(interval.high)}, "
            f"{n} paired scores)"
        )
    return Offset(interviewer, interval, enough=True, flagged=flagged, reason=reason)


def calibration_offsets(
    units: Iterable[Iterable[tuple[object, float | None]]], min_pairs: int = MIN_PAIRS
) -> dict[object, Offset]:
    """Return every paired interviewer's offset from the rest of the panel."""
    return {
        person: offset_from_moments(
            person, len(diffs), math.fsum(diffs), math.fsum(d * d for d in diffs), min_pairs
        )
        for person, diffs in panel_differences(units).items()
    }


def adjusted_score(raw: float | None, offset: Offset | None) -> float | None:
    """Return the raw score less the interviewer's offset, for showing beside the raw one."""
    if raw is None or offset is None or not offset.enough or offset.interval is None:
        return None
    # Clamped to the scale: an adjusted 4.6 would claim more than "above the bar" can.
    return round(min(max(raw - offset.interval.mean, 1.0), 4.0), 1)


# --- Inter-rater agreement ---------------------------------------------------------------


def coincidences(
    units: Iterable[Iterable[int | None]], values: tuple[int, ...] = SCALE
) -> dict[tuple[int, int], float]:
    """Return the coincidence matrix o_ck, each pair in a unit weighted 1/(m_u - 1)."""
    allowed = set(values)
    o = {(c, k): 0.0 for c in values for k in values}
    for unit in units:
        # 0 (not asked) and None (not scored) are not ratings and pair with nothing.
        ratings = [v for v in unit if v in allowed]
        m = len(ratings)
        if m < 2:
            continue
        weight = 1 / (m - 1)
        for i, c in enumerate(ratings):
            for j, k in enumerate(ratings):
                if i != j:
                    o[c, k] += weight
    return o


def alpha_from_coincidences(
    o: Mapping[tuple[int, int], float], values: tuple[int, ...] = SCALE
) -> float | None:
    """Return Krippendorff's ordinal alpha from a coincidence matrix; None if undefined."""
    position = {v: i for i, v in enumerate(values)}
    for c, k in o:
        if c not in position or k not in position:
            raise ValueError(f"coincidence ({c}, {k}) is for a value not in {values}")
    marginal = [math.fsum(o.get((c, k), 0.0) for k in values) for c in values]
    n = math.fsum(marginal)
    if n < 2:
        return None
    # Running sums make each ordinal distance one subtraction:
    # Σ_{g=c..k} n_g - (n_c + n_k)/2 = cum[k+1] - cum[c] - (n_c + n_k)/2 for c <= k.
    cum = [0.0]
    for count in marginal:
        cum.append(cum[-1] + count)

    def delta2(i: int, j: int) -> float:
        lo, hi = min(i, j), max(i, j)
        return (cum[hi + 1] - cum[lo] - (marginal[lo] + marginal[hi]) / 2) ** 2

    observed = math.fsum(
        o.get((c, k), 0.0) * delta2(position[c], position[k]) for c in values for k in values
    )
    expected = math.fsum(
        marginal[i] * marginal[j] * delta2(i, j)
        for i in range(len(values))
        for j in range(len(values))
    )
    if expected <= 0:
        return None  # every rating the same value: no disagreement to expect or to beat
    return 1 - (n - 1) * observed / expected


def krippendorff_alpha_ordinal(
    units: Iterable[Iterable[int | None]], values: tuple[int, ...] = SCALE
) -> float | None:
    """Return Krippendorff's alpha with the ordinal metric; None when it is undefined."""
    return alpha_from_coincidences(coincidences(units, values), values)


# --- Prediction and matching -------------------------------------------------------------


def _pearson(n: float, sx: float, sy: float, sxx: float, sxy: float, syy: float) -> float | None:
    # From sums, so counts from a GROUP BY and lists of rows share one formula.
    if n < 3:
        return None
    vx = n * sxx - sx * sx
    vy = n * syy - sy * sy
    # A variance that is zero up to rounding is zero: there is nothing to correlate.
    if vx <= 1e-12 * max(n * sxx, 1.0) or vy <= 1e-12 * max(n * syy, 1.0):
        return None
    r = (n * sxy - sx * sy) / math.sqrt(vx * vy)
    return max(-1.0, min(1.0, r))


def point_biserial_from_counts(counts: Mapping[tuple[float, bool], int]) -> float | None:
    """Return Pearson's r between score and outcome from (score, outcome) -> count."""
    n = sx = sy = sxx = sxy = 0.0
    for (score, outcome), count in counts.items():
        if count < 0:
            raise ValueError(f"count for ({score}, {outcome}) is negative: {count}")
        y = 1.0 if outcome else 0.0
        n += count
        sx += count * score
        sy += count * y
        sxx += count * score * score
        sxy += count * score * y
    # For a 0/1 outcome y² = y, so Σy² is Σy.
    return _pearson(n, sx, sy, sxx, sxy, sy)


def point_biserial(scores: Iterable[float], outcomes: Iterable[bool]) -> float | None:
    """Return Pearson's r between numeric scores and boolean outcomes; None if undefined."""
    scores, outcomes = list(scores), list(outcomes)
    if len(scores) != len(outcomes):
        raise ValueError(f"{len(scores)} scores but {len(outcomes)} outcomes")
    counts: dict[tuple[float, bool], int] = defaultdict(int)
    for score, outcome in zip(scores, outcomes, strict=True):
        counts[score, bool(outcome)] += 1
    return point_biserial_from_counts(counts)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Return the Wilson score interval for a proportion; None when n is 0."""
    if n == 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and {n}, got {successes}")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


# Which side of the decision each recommendation stands on (the debrief, calibration).
RECOMMENDATION_SIDE = {
    Recommendation.STRONG_YES.value: Outcome.HIRE.value,
    Recommendation.YES.value: Outcome.HIRE.value,
    Recommendation.NO.value: Outcome.NO_HIRE.value,
    Recommendation.STRONG_NO.value: Outcome.NO_HIRE.value,
}


def recommendation_matches(pairs: Iterable[tuple[str | None, str | None]]) -> Interval | None:
    """Return the share of recommendations that matched the decision, with a Wilson interval."""
    counts: dict[tuple[str | None, str | None], int] = {}
    for pair in pairs:
        counts[pair] = counts.get(pair, 0) + 1
    return recommendation_matches_from_counts(counts)


def recommendation_matches_from_counts(
    counts: Mapping[tuple[str | None, str | None], int],
) -> Interval | None:
    """Return the same from (recommendation, decision) -> count, for SQL GROUP BY results."""
    matched = n = 0
    for (recommendation, decision), count in counts.items():
        # Another loop decides nothing yet, and a missing side cannot match or miss.
        if recommendation is None or decision not in DECIDED:
            continue
        if recommendation not in RECOMMENDATION_SIDE:
            raise ValueError(f"unknown recommendation {recommendation!r}")
        n += count
        matched += count if RECOMMENDATION_SIDE[recommendation] == decision else 0
    bounds = wilson_interval(matched, n)
    if bounds is None:
        return None
    return Interval(mean=matched / n, low=bounds[0], high=bounds[1], n=n, sd=None)


def weighted_mean(values_weights: Iterable[tuple[float | None, float]]) -> float | None:
    """Return Σ w·x / Σ w over (value, weight) pairs, skipping None values."""
    top = bottom = 0.0
    for value, weight in values_weights:
        if value is None:
            continue  # an unscored competency has no say, so its weight does not count
        if weight < 0:
            raise ValueError(f"weights must not be negative, got {weight}")
        top += weight * value
        bottom += weight
    return top / bottom if bottom > 0 else None


# --- Question statistics -----------------------------------------------------------------


@dataclass(frozen=True)
class QuestionStats:
    """How one question has scored, how often it is skipped, and why to revise it."""

    asked: int  # scored 1..4
    not_asked: int  # marked 0 "not asked"
    distribution: dict[int, int]  # 1..4 -> count (all four keys present)
    mean: float | None
    sd: float | None
    floor: float | None  # share of asked scored 1
    ceiling: float | None  # share of asked scored 4
    decision_r: float | None  # point-biserial of score vs hire, decided candidates only
    decision_n: int
    flags: list[str]  # reasons to revise or retire, as sentences


def question_stats(
    score_counts: Mapping[int, int], decision_counts: Mapping[tuple[int, bool], int]
) -> QuestionStats:
    """Return a question's statistics and flags from score and (score, hired) counts."""
    for score in score_counts:
        if score not in (0, *SCALE):
            raise ValueError(f"score {score} is not 0 (not asked) or on the scale 1-4")
    for score, _hired in decision_counts:
        if score not in SCALE:
            raise ValueError(f"decision count for score {score}, which is not on the scale 1-4")
    distribution = {s: int(score_counts.get(s, 0)) for s in SCALE}
    asked = sum(distribution.values())
    not_asked = int(score_counts.get(0, 0))
    moments = interval_from_moments(
        asked,
        sum(s * c for s, c in distribution.items()),
        sum(s * s * c for s, c in distribution.items()),
    )
    floor = distribution[1] / asked if asked else None
    ceiling = distribution[4] / asked if asked else None
    decision_r = point_biserial_from_counts(decision_counts)
    decision_n = sum(decision_counts.values())

    flags: list[str] = []
    if asked < MIN_ASKED:
        flags.append(f"not enough data yet ({asked} of {MIN_ASKED} asks)")
    else:
        if floor is not None and floor >= FLOOR_CEILING_SHARE:
            flags.append(
                f"{floor:.0%} of candidates score 1: too hard for the levels it is written "
                "for, or the anchors are off; revise"
            )
        if ceiling is not None and ceiling >= FLOOR_CEILING_SHARE:
            flags.append(
                f"{ceiling:.0%} of candidates score 4: too easy for the levels it is written "
                "for, or the anchors are off; revise"
            )
        skipped = not_asked / (asked + not_asked)
        if skipped >= NOT_ASKED_SHARE:
            flags.append(
                f"marked not asked in {skipped:.0%} of sessions: too long or placed in the "
                "wrong session"
            )
        if (
            decision_r is not None
            and decision_n >= MIN_DECIDED
            and abs(decision_r) < LOW_AGREEMENT_R
        ):
            flags.append(
                f"does not predict the decision (r = {_signed(decision_r, 2)} over "
                f"{decision_n} decided candidates): consider retiring"
            )
    return QuestionStats(
        asked=asked,
        not_asked=not_asked,
        distribution=distribution,
        mean=moments.mean if moments else None,
        sd=moments.sd if moments else None,
        floor=floor,
        ceiling=ceiling,
        decision_r=decision_r,
        decision_n=decision_n,
        flags=flags,
    )

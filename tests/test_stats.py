"""stats: every number checked against arithmetic worked out by hand in the test."""

from __future__ import annotations

import math

import pytest

from interviewkit.analytics import stats
from interviewkit.analytics.stats import (
    FLOOR_CEILING_SHARE,
    LARGE_OFFSET,
    MIN_ASKED,
    MIN_DECIDED,
    MIN_PAIRS,
    Interval,
    adjusted_score,
    alpha_from_coincidences,
    calibration_offsets,
    coincidences,
    interval_from_moments,
    krippendorff_alpha_ordinal,
    mean,
    mean_ci,
    median,
    offset_from_moments,
    panel_differences,
    point_biserial,
    point_biserial_from_counts,
    question_stats,
    recommendation_matches,
    sample_sd,
    t_quantile,
    t_two_sided_cdf,
    weighted_mean,
    wilson_interval,
)

approx = pytest.approx


# --- mean, sd, median --------------------------------------------------------------------


def test_mean():
    assert mean([1, 2, 3, 4]) == (1 + 2 + 3 + 4) / 4


def test_mean_skips_missing_scores():
    assert mean([2, None, 4]) == (2 + 4) / 2


@pytest.mark.parametrize("function", [mean, median, sample_sd])
def test_nothing_to_summarise_gives_none(function):
    assert function([]) is None
    assert function([None]) is None


def test_sample_sd_uses_n_minus_one():
    # mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; 32 / (8 - 1)
    assert sample_sd([2, 4, 4, 4, 5, 5, 7, 9]) == approx(math.sqrt(32 / 7))


def test_sample_sd_of_one_value_is_none():
    assert sample_sd([3]) is None


def test_sample_sd_of_identical_values_is_zero():
    assert sample_sd([3, 3, 3]) == 0


@pytest.mark.parametrize(
    ("values", "expected"),
    [([3, 1, 2], 2), ([1, 2, 3, 4], (2 + 3) / 2), ([4], 4), ([1, None, 3], (1 + 3) / 2)],
)
def test_median(values, expected):
    assert median(values) == expected


# --- Student's t -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "level", "expected"),
    [
        (1, 0.95, 12.706205),
        (4, 0.95, 2.776445),
        (9, 0.95, 2.262157),
        (30, 0.95, 2.042272),
        (10, 0.90, 1.812461),
        (5, 0.99, 4.032143),
    ],
)
def test_t_quantile_from_the_table(df, level, expected):
    assert t_quantile(df, level) == expected


def test_closed_form_cdf_by_hand():
    # df 1 is the Cauchy distribution: P(|T| <= t) = (2/pi) atan(t); at t = 1, (2/pi)(pi/4).
    assert t_two_sided_cdf(1.0, 1) == approx(2 / math.pi * (math.pi / 4))
    # df 2: P(|T| <= t) = t / sqrt(2 + t^2); at t = 1, 1/sqrt(3).
    assert t_two_sided_cdf(1.0, 2) == approx(1 / math.sqrt(3))
    assert t_two_sided_cdf(0.0, 7) == 0.0


@pytest.mark.parametrize("level", sorted(stats._T_TABLE))
def test_every_table_entry_matches_the_closed_form(level):
    # Guards the table against a mistyped digit: each entry gives back its level.
    for df, t in enumerate(stats._T_TABLE[level], start=1):
        assert t_two_sided_cdf(t, df) == approx(level, abs=1e-6), df


def test_untabled_level_is_solved_exactly():
    # df 1: (2/pi) atan(t) = 0.5  =>  t = tan(pi/4) = 1.
    assert t_quantile(1, 0.5) == approx(1.0, abs=1e-9)
    # df 2: t / sqrt(2 + t^2) = 0.8  =>  0.36 t^2 = 1.28  =>  t = sqrt(1.28 / 0.36).
    assert t_quantile(2, 0.8) == approx(math.sqrt(1.28 / 0.36), abs=1e-9)


@pytest.mark.parametrize(
    ("df", "expected"),
    # Published two-sided 95% critical values beyond the table.
    [(31, 2.039513), (40, 2.021075), (60, 2.000298), (120, 1.979930)],
)
def test_t_quantile_beyond_the_table(df, expected):
    assert t_quantile(df) == approx(expected, abs=1e-5)


def test_t_quantile_approaches_the_normal_value():
    assert t_quantile(10**6) == approx(stats.Z_95, abs=1e-5)
    assert t_quantile(31) < t_quantile(30)


@pytest.mark.parametrize(("df", "level"), [(0, 0.95), (-1, 0.95), (5, 1.0), (5, 0.0)])
def test_t_quantile_refuses_nonsense(df, level):
    with pytest.raises(ValueError):
        t_quantile(df, level)


# --- intervals ---------------------------------------------------------------------------


def test_interval_from_moments_by_hand():
    # 1..5: n 5, Σx 15, Σx² 55; sd = sqrt((55 - 15²/5) / 4) = sqrt(2.5); t(4) = 2.776445
    interval = interval_from_moments(5, 15, 55)
    sd = math.sqrt((55 - 15**2 / 5) / 4)
    half = 2.776445 * sd / math.sqrt(5)
    assert interval.mean == 3
    assert interval.sd == approx(sd)
    assert interval.low == approx(3 - half)
    assert interval.high == approx(3 + half)
    assert interval.n == 5


def test_mean_ci_is_the_same_interval():
    assert mean_ci([1, 2, 3, 4, 5]) == interval_from_moments(5, 15, 55)


def test_mean_ci_at_another_level():
    # t(4) at 90% is 2.131847
    interval = mean_ci([1, 2, 3, 4, 5], level=0.90)
    assert interval.high - interval.mean == approx(2.131847 * math.sqrt(2.5) / math.sqrt(5))


def test_no_values_no_interval():
    assert interval_from_moments(0, 0, 0) is None
    assert mean_ci([]) is None
    assert mean_ci([None]) is None


def test_one_value_has_a_mean_but_no_interval():
    assert interval_from_moments(1, 3, 9) == Interval(mean=3, low=None, high=None, n=1, sd=None)


def test_identical_values_give_a_zero_width_interval():
    interval = mean_ci([3, 3, 3])
    assert (interval.low, interval.mean, interval.high, interval.sd) == (3, 3, 3, 0)


def test_rounding_below_zero_variance_is_clamped():
    # Σx² a hair under (Σx)²/n, as float sums can leave it: no sqrt of a negative.
    interval = interval_from_moments(3, 0.3, 0.03 * (1 - 1e-15))
    assert interval.sd == 0.0
    assert interval.low == interval.high == approx(0.1)


# --- calibration -------------------------------------------------------------------------


def test_panel_differences_against_the_mean_of_the_others():
    units = [[("ann", 3), ("bob", 2), ("cy", 1)]]
    assert panel_differences(units) == {
        "ann": [3 - (2 + 1) / 2],
        "bob": [2 - (3 + 1) / 2],
        "cy": [1 - (3 + 2) / 2],
    }


def test_two_scores_from_one_interviewer_count_once_at_their_mean():
    # ann scored 4 and 2 on the same unit: she counts as (4 + 2) / 2 = 3.
    assert panel_differences([[("ann", 4), ("ann", 2), ("bob", 1)]]) == {
        "ann": [3 - 1],
        "bob": [1 - 3],
    }


def test_a_unit_with_one_interviewer_has_no_pairs():
    assert panel_differences([[("ann", 3)], [("ann", 3), ("ann", 4)], []]) == {}


def test_panel_differences_skip_missing_scores_and_collect_across_units():
    units = [[("ann", 4), ("bob", None), ("cy", 2)], [("ann", 3), ("bob", 3)]]
    assert panel_differences(units) == {"ann": [4 - 2, 3 - 3], "cy": [2 - 4], "bob": [0]}


# ann and bob on six units; ann's differences 1, 1, 2, 1, 1, 0 (bob's the negatives).
PAIRED = [[("ann", a), ("bob", b)] for a, b in [(4, 3), (3, 2), (4, 2), (3, 2), (4, 3), (3, 3)]]


def test_calibration_offset_by_hand():
    offsets = calibration_offsets(PAIRED)
    ann = offsets["ann"]
    # mean 6/6 = 1; Σd² = 8; sd = sqrt((8 - 6²/6) / 5); t(5) = 2.570582
    sd = math.sqrt((8 - 6**2 / 6) / 5)
    half = 2.570582 * sd / math.sqrt(6)
    assert ann.interval.mean == 1.0
    assert ann.interval.sd == approx(sd)
    assert (ann.interval.low, ann.interval.high) == (approx(1 - half), approx(1 + half))
    assert ann.enough and ann.flagged
    # 1 - 0.6637 = 0.34 and 1 + 0.6637 = 1.66, to one decimal
    assert ann.reason == (
        "scores 1.0 higher than the rest of the panel (95% CI 0.3 to 1.7, 6 paired scores)"
    )
    bob = offsets["bob"]
    assert bob.interval.mean == -1.0 and bob.flagged
    assert bob.reason == (
        "scores 1.0 lower than the rest of the panel (95% CI -1.7 to -0.3, 6 paired scores)"
    )


def test_too_few_pairs_are_not_shown():
    offsets = calibration_offsets(PAIRED[:3])
    ann = offsets["ann"]
    assert not ann.enough and not ann.flagged
    assert ann.reason == f"not enough data yet (3 of {MIN_PAIRS} paired scores)"
    assert ann.interval.n == 3  # computed, just not enough to show


def test_min_pairs_can_be_lowered():
    assert calibration_offsets(PAIRED[:3], min_pairs=3)["ann"].enough


def test_a_large_offset_with_a_wide_interval_is_not_flagged():
    # differences 2, -1, 2, -1, 2: mean 4/5 = 0.8; Σd² = 14; sd = sqrt((14 - 16/5) / 4)
    # half-width 2.776445 * sd / sqrt(5) = 2.04, so the CI (-1.2, 2.8) includes 0.
    offset = offset_from_moments("ann", 5, 4, 14)
    assert offset.interval.mean == approx(0.8)
    assert offset.interval.low < 0 < offset.interval.high
    assert offset.enough and not offset.flagged and offset.reason == ""


def test_a_sure_but_small_offset_is_not_flagged():
    # differences 0.3, 0.2, 0.3, 0.2, 0.3, 0.2: mean 0.25, CI above 0, under LARGE_OFFSET
    diffs = [0.3, 0.2] * 3
    offset = offset_from_moments("ann", 6, sum(diffs), sum(d * d for d in diffs))
    assert offset.interval.low > 0
    assert offset.interval.mean < LARGE_OFFSET
    assert not offset.flagged and offset.reason == ""


def test_an_offset_at_the_threshold_is_flagged():
    # five differences of exactly 0.5: zero spread, CI (0.5, 0.5) excludes 0
    offset = offset_from_moments("ann", 5, 5 * 0.5, 5 * 0.25)
    assert offset.flagged
    assert offset.reason.startswith("scores 0.5 higher")


def test_no_pairs_at_all():
    offset = offset_from_moments("ann", 0, 0.0, 0.0)
    assert offset.interval is None and not offset.enough and not offset.flagged
    assert offset.reason == "not enough data yet (0 of 5 paired scores)"


def test_offsets_from_moments_match_offsets_from_rows():
    # what SQL hands over (n, Σd, Σd²) gives the same offset as the rows themselves
    ann = offset_from_moments("ann", 6, 1 + 1 + 2 + 1 + 1 + 0, 1 + 1 + 4 + 1 + 1 + 0)
    assert ann == calibration_offsets(PAIRED)["ann"]


def _offset(mean_diff: float, n: int = MIN_PAIRS) -> stats.Offset:
    return offset_from_moments("ann", n, n * mean_diff, n * mean_diff**2)


@pytest.mark.parametrize(
    ("raw", "offset_mean", "expected"),
    [
        (3, 1.0, 3 - 1.0),
        (3, -0.5, 3 + 0.5),
        (3, 0.26, 2.7),  # 3 - 0.26 = 2.74, one decimal
        (1, 1.0, 1.0),  # 1 - 1 = 0, clamped to the bottom of the scale
        (4, -1.0, 4.0),  # 4 + 1 = 5, clamped to the top
    ],
)
def test_adjusted_score(raw, offset_mean, expected):
    assert adjusted_score(raw, _offset(offset_mean)) == expected


def test_no_adjusted_score_without_enough_data():
    assert adjusted_score(3, _offset(1.0, n=MIN_PAIRS - 1)) is None
    assert adjusted_score(3, None) is None
    assert adjusted_score(None, _offset(1.0)) is None
    assert adjusted_score(3, offset_from_moments("ann", 0, 0, 0)) is None


# --- Krippendorff's alpha ----------------------------------------------------------------


def test_coincidences_weight_pairs_by_one_over_m_minus_one():
    # unit (1, 1, 2), m = 3: ordered pairs (1,1) x2, (1,2) x2, (2,1) x2, each weighted 1/2
    o = coincidences([[1, 1, 2]])
    assert o[1, 1] == 2 * (1 / 2)
    assert o[1, 2] == o[2, 1] == 2 * (1 / 2)
    assert sum(o.values()) == 3  # every pairable value counted once
    assert set(o) == {(c, k) for c in (1, 2, 3, 4) for k in (1, 2, 3, 4)}


def test_coincidences_ignore_not_asked_missing_and_lone_scores():
    assert sum(coincidences([[3], [0, 4], [None, 2], []]).values()) == 0


def test_alpha_worked_by_hand():
    units = [[1, 1], [2, 3], [4, 4]]
    # o_11 = 2, o_23 = o_32 = 1, o_44 = 2; marginals n_1 = 2, n_2 = 1, n_3 = 1, n_4 = 2; n = 6
    # ordinal distance d_ck = (n_c + ... + n_k) - (n_c + n_k)/2:
    d12 = (2 + 1) - (2 + 1) / 2  # 1.5
    d13 = (2 + 1 + 1) - (2 + 1) / 2  # 2.5
    d14 = (2 + 1 + 1 + 2) - (2 + 2) / 2  # 4
    d23 = (1 + 1) - (1 + 1) / 2  # 1
    d24 = (1 + 1 + 2) - (1 + 2) / 2  # 2.5
    d34 = (1 + 2) - (1 + 2) / 2  # 1.5
    observed = 1 * d23**2 + 1 * d23**2  # o_23 and o_32: 2
    expected = 2 * (  # both orders of each pair c < k
        2 * 1 * d12**2
        + 2 * 1 * d13**2
        + 2 * 2 * d14**2
        + 1 * 1 * d23**2
        + 1 * 2 * d24**2
        + 1 * 2 * d34**2
    )  # 2 * 99 = 198
    alpha = 1 - (6 - 1) * observed / expected  # 1 - 10/198 = 0.9495
    assert krippendorff_alpha_ordinal(units) == approx(alpha)
    assert alpha == approx(1 - 10 / 198)


def test_perfect_agreement_is_one():
    assert krippendorff_alpha_ordinal([[1, 1], [2, 2, 2], [3, 3], [4, 4]]) == 1.0


def test_systematic_disagreement_is_negative():
    units = [[1, 4], [4, 1], [1, 4]]
    # o_14 = o_41 = 3; n_1 = n_4 = 3, n = 6; d_14 = 6 - (3 + 3)/2 = 3, d² = 9
    observed = 3 * 9 + 3 * 9  # 54
    expected = 3 * 3 * 9 + 3 * 3 * 9  # 162
    assert krippendorff_alpha_ordinal(units) == approx(1 - (6 - 1) * observed / expected)
    assert krippendorff_alpha_ordinal(units) == approx(-2 / 3)


def test_alpha_on_krippendorffs_textbook_data():
    # The reliability data of Krippendorff's worked example ("Computing Krippendorff's
    # Alpha-Reliability"): 4 observers, 12 units, values 1-5, gaps where an observer was
    # absent. Ordinal alpha 0.815 (the reference `krippendorff` package agrees).
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    units = list(zip(*observers, strict=True))
    assert krippendorff_alpha_ordinal(units, values=(1, 2, 3, 4, 5)) == approx(0.815, abs=5e-4)


def test_alpha_from_coincidences_is_the_same_number():
    units = [[1, 2, 2], [3, 4], [2, 2], [4, 4, 3], [1]]
    assert alpha_from_coincidences(coincidences(units)) == krippendorff_alpha_ordinal(units)


def test_alpha_from_a_sparse_table():
    # SQL returns only the cells that occur; missing cells are zero.
    assert alpha_from_coincidences({(2, 3): 1.0, (3, 2): 1.0, (1, 1): 2.0, (4, 4): 2.0}) == (
        approx(1 - 10 / 198)
    )


@pytest.mark.parametrize(
    "units",
    [
        [],
        [[3]],  # one value, nothing to pair
        [[3, 3], [3, 3, 3]],  # all identical: no disagreement to expect
        [[None, 2], [0, 1]],
    ],
)
def test_alpha_undefined_is_none(units):
    assert krippendorff_alpha_ordinal(units) is None


def test_alpha_refuses_a_value_off_the_scale():
    with pytest.raises(ValueError, match="not in"):
        alpha_from_coincidences({(0, 3): 1.0, (3, 0): 1.0})


# --- point-biserial ----------------------------------------------------------------------


def test_point_biserial_by_hand():
    # x 1,2,3,4 (mean 2.5), y 0,0,1,1 (mean 0.5)
    # Σ(dx·dy) = 0.75 + 0.25 + 0.25 + 0.75 = 2; Σdx² = 5; Σdy² = 1
    r = point_biserial([1, 2, 3, 4], [False, False, True, True])
    assert r == approx(2 / math.sqrt(5 * 1))
    assert point_biserial([1, 2, 3, 4], [True, True, False, False]) == approx(-2 / math.sqrt(5))


def test_point_biserial_from_counts_by_hand():
    counts = {(1, False): 1, (2, False): 1, (3, True): 1, (4, True): 1}
    assert point_biserial_from_counts(counts) == approx(2 / math.sqrt(5))


def test_counts_give_the_same_r_as_the_expanded_rows():
    counts = {(1, False): 3, (2, False): 2, (2, True): 1, (3, True): 4, (4, True): 2, (4, False): 1}
    scores = [s for (s, _), c in counts.items() for _ in range(c)]
    outcomes = [o for (_, o), c in counts.items() for _ in range(c)]
    assert point_biserial_from_counts(counts) == approx(point_biserial(scores, outcomes), abs=1e-12)


@pytest.mark.parametrize(
    ("scores", "outcomes"),
    [
        ([], []),
        ([1, 4], [False, True]),  # n < 3
        ([3, 3, 3], [False, True, True]),  # scores do not vary
        ([1, 2, 4], [True, True, True]),  # outcomes do not vary
    ],
)
def test_point_biserial_undefined_is_none(scores, outcomes):
    assert point_biserial(scores, outcomes) is None


def test_point_biserial_refuses_unequal_lengths():
    with pytest.raises(ValueError):
        point_biserial([1, 2, 3], [True])


# --- Wilson interval and recommendation match ---------------------------------------------


def test_wilson_interval_by_hand():
    # 8 of 10: p = 0.8, z² = 3.841459; centre = (p + z²/20) / (1 + z²/10)
    # half = z sqrt(p(1-p)/10 + z²/400) / (1 + z²/10)
    z = 1.959964
    denominator = 1 + z**2 / 10
    centre = (0.8 + z**2 / 20) / denominator
    half = z * math.sqrt(0.8 * 0.2 / 10 + z**2 / 400) / denominator
    low, high = wilson_interval(8, 10)
    assert (low, high) == (approx(centre - half), approx(centre + half))
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)


def test_wilson_interval_at_the_ends_stays_in_zero_to_one():
    # 0 of 10: upper = (z²/10) / (1 + z²/10)
    z2 = 1.959964**2
    low, high = wilson_interval(0, 10)
    assert low == approx(0, abs=1e-12) and high == approx((z2 / 10) / (1 + z2 / 10))
    low, high = wilson_interval(10, 10)
    assert high == approx(1, abs=1e-12) and low == approx(1 - (z2 / 10) / (1 + z2 / 10))


def test_wilson_interval_of_nothing_is_none():
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(("successes", "n"), [(-1, 5), (6, 5)])
def test_wilson_interval_refuses_impossible_counts(successes, n):
    with pytest.raises(ValueError):
        wilson_interval(successes, n)


def test_recommendation_matches():
    pairs = [
        ("yes", "hire"),  # match
        ("strong_yes", "hire"),  # match
        ("no", "hire"),  # miss
        ("strong_no", "no_hire"),  # match
        ("yes", "another_loop"),  # skipped: nothing decided
        ("no", None),  # skipped: no decision yet
        (None, "hire"),  # skipped: no recommendation
    ]
    share = recommendation_matches(pairs)
    low, high = wilson_interval(3, 4)
    assert share == Interval(mean=3 / 4, low=low, high=high, n=4, sd=None)


def test_recommendation_matches_with_nothing_decided_is_none():
    assert recommendation_matches([]) is None
    assert recommendation_matches([("yes", "another_loop")]) is None


def test_recommendation_matches_refuses_an_unknown_recommendation():
    with pytest.raises(ValueError, match="maybe"):
        recommendation_matches([("maybe", "hire")])


# --- weighted mean -----------------------------------------------------------------------


def test_weighted_mean():
    # (3 x 2 + 2 x 1) / (2 + 1)
    assert weighted_mean([(3, 2), (2, 1)]) == approx((3 * 2 + 2 * 1) / (2 + 1))


def test_weighted_mean_skips_unscored_values_and_their_weight():
    assert weighted_mean([(None, 5), (4, 1), (2, 1)]) == (4 + 2) / 2


@pytest.mark.parametrize("pairs", [[], [(None, 1)], [(3, 0), (4, 0)]])
def test_weighted_mean_without_weight_is_none(pairs):
    assert weighted_mean(pairs) is None


def test_weighted_mean_refuses_a_negative_weight():
    with pytest.raises(ValueError):
        weighted_mean([(3, -1)])


# --- question statistics -----------------------------------------------------------------


def test_question_stats_by_hand():
    scores = {0: 2, 1: 2, 2: 4, 3: 6, 4: 3}  # 15 asked, 2 not asked
    decisions = {(1, False): 2, (2, False): 3, (2, True): 1, (3, True): 4, (4, True): 3}
    result = question_stats(scores, decisions)
    total = 1 * 2 + 2 * 4 + 3 * 6 + 4 * 3  # 40
    total_sq = 1 * 2 + 4 * 4 + 9 * 6 + 16 * 3  # 120
    assert result.asked == 15 and result.not_asked == 2
    assert result.distribution == {1: 2, 2: 4, 3: 6, 4: 3}
    assert result.mean == approx(total / 15)
    assert result.sd == approx(math.sqrt((total_sq - total**2 / 15) / 14))
    assert (result.floor, result.ceiling) == (approx(2 / 15), approx(3 / 15))
    assert result.decision_n == 13
    assert result.decision_r == approx(point_biserial_from_counts(decisions))
    assert result.flags == []  # 13 decided candidates is under MIN_DECIDED


def test_floor_effect():
    result = question_stats({1: 9, 2: 2}, {})
    assert result.floor == 9 / 11  # 0.818, at least FLOOR_CEILING_SHARE
    assert result.flags == [
        "82% of candidates score 1: too hard for the levels it is written for, "
        "or the anchors are off; revise"
    ]


def test_ceiling_effect_at_exactly_the_threshold():
    result = question_stats({3: 2, 4: 8}, {})
    assert result.ceiling == 8 / 10 == FLOOR_CEILING_SHARE
    assert result.flags == [
        "80% of candidates score 4: too easy for the levels it is written for, "
        "or the anchors are off; revise"
    ]


def test_often_not_asked():
    # 15 not asked of 10 + 15 sessions = 60%
    result = question_stats({0: 15, 3: 5, 2: 5}, {})
    assert result.flags == [
        "marked not asked in 60% of sessions: too long or placed in the wrong session"
    ]


def test_does_not_predict_the_decision():
    # hired or not, half each at score 2 and at score 3: r = 0
    decisions = {(2, True): 5, (2, False): 5, (3, True): 5, (3, False): 5}
    result = question_stats({2: 10, 3: 10}, decisions)
    assert result.decision_r == approx(0, abs=1e-12)
    assert result.decision_n == MIN_DECIDED
    assert result.flags == [
        "does not predict the decision (r = 0.00 over 20 decided candidates): consider retiring"
    ]


def test_no_prediction_flag_below_min_decided():
    decisions = {(2, True): 5, (2, False): 5, (3, True): 5, (3, False): 4}
    assert question_stats({2: 10, 3: 10}, decisions).flags == []


def test_a_question_that_predicts_is_not_flagged():
    decisions = {(1, False): 10, (4, True): 10}
    result = question_stats({1: 10, 4: 10}, decisions)
    assert result.decision_r == approx(1.0)
    assert result.flags == []


def test_too_few_asks_give_only_the_not_enough_flag():
    # would be a floor effect and mostly not asked, but 9 asks prove nothing yet
    result = question_stats({0: 30, 1: 9}, {})
    assert result.flags == [f"not enough data yet (9 of {MIN_ASKED} asks)"]


def test_question_never_asked():
    result = question_stats({}, {})
    assert result.asked == 0 and result.not_asked == 0
    assert result.distribution == {1: 0, 2: 0, 3: 0, 4: 0}
    assert (result.mean, result.sd, result.floor, result.ceiling) == (None, None, None, None)
    assert (result.decision_r, result.decision_n) == (None, 0)
    assert result.flags == ["not enough data yet (0 of 10 asks)"]


def test_question_asked_once_has_a_mean_but_no_sd():
    result = question_stats({3: 1}, {})
    assert (result.mean, result.sd) == (3, None)


@pytest.mark.parametrize(
    ("scores", "decisions"), [({5: 1}, {}), ({-1: 1}, {}), ({3: 1}, {(0, True): 1})]
)
def test_question_stats_refuse_scores_off_the_scale(scores, decisions):
    with pytest.raises(ValueError):
        question_stats(scores, decisions)


def test_recommendation_matches_from_counts_equals_the_pairs():
    pairs = [("yes", "hire")] * 3 + [("strong_no", "hire")] + [("no", "no_hire")] * 2
    pairs += [("yes", "another_loop"), (None, "hire")]
    from_counts = stats.recommendation_matches_from_counts(
        {
            ("yes", "hire"): 3,
            ("strong_no", "hire"): 1,
            ("no", "no_hire"): 2,
            ("yes", "another_loop"): 1,
        }
    )
    # 5 of the 6 decided recommendations stand on the side that was decided
    assert from_counts == stats.recommendation_matches(pairs)
    assert from_counts.n == 6 and from_counts.mean == 5 / 6

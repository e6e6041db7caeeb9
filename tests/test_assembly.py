"""Loop assembly: coverage, level, minutes, repeats, usage, notes, determinism, edits."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interviewkit.loops.assembly import (
    LEVELS,
    BankQuestion,
    LoopPlan,
    Pick,
    SessionPlan,
    SessionSpec,
    Violation,
    alternatives,
    assemble,
    check_session,
    session_budget,
)

PROJECT = Path(__file__).resolve().parent.parent


def q(qid, minutes=15, comps=("api",), levels=("senior",), retired=False, title=None):
    """Build a bank question with defaults that suit a senior api session."""
    return BankQuestion(qid, title or qid.title(), minutes, tuple(comps), tuple(levels), retired)


def spec(name="Screen", minutes=45, comps=("api",)):
    """Build a session spec (45 minutes, 40 of them for questions by default)."""
    return SessionSpec(name, minutes, tuple(comps))


def ids(plan, session=None):
    """Return the picked ids of the whole loop or of one session."""
    if session is None:
        return plan.question_ids
    return [p.question.id for p in plan.sessions[session].picks]


def only_note(plan, session=0):
    """Return the one note of a session, failing if there is not exactly one."""
    notes = plan.sessions[session].notes
    assert len(notes) == 1, notes
    return notes[0]


# -- the budget ----------------------------------------------------------------------------

# (session minutes, reserve, budget)
BUDGETS = [
    pytest.param(45, 5, 40, id="default-reserve"),
    pytest.param(60, 0, 60, id="no-reserve"),
    pytest.param(10, 5, 5, id="reserve-leaves-one-short-question"),
    pytest.param(5, 5, 5, id="reserve-cut-to-keep-one-question"),
    pytest.param(20, 30, 5, id="reserve-larger-than-session"),
    pytest.param(3, 5, 3, id="session-shorter-than-any-question"),
    pytest.param(0, 5, 0, id="empty-session"),
]


@pytest.mark.parametrize(("minutes", "reserve", "budget"), BUDGETS)
def test_budget_is_minutes_less_reserve_but_keeps_one_question(minutes, reserve, budget):
    assert session_budget(spec(minutes=minutes), reserve) == budget


def test_negative_reserve_is_refused():
    with pytest.raises(ValueError, match="reserve_minutes"):
        assemble([spec()], "senior", [q("a")], reserve_minutes=-1)


def test_picks_never_take_the_reserved_minutes():
    plan = assemble([spec(minutes=45)], "senior", [q("whole-session", 45), q("fits", 40)])
    assert ids(plan) == ["fits"]


def test_cut_reserve_is_noted():
    plan = assemble([spec(minutes=5)], "senior", [q("a", 5)])
    assert ids(plan) == ["a"]
    assert "reserve for introductions was cut to 0 minutes" in only_note(plan)


# -- the hard constraints ------------------------------------------------------------------


def test_every_session_competency_is_covered():
    bank = [q("api1", comps=["api"]), q("sec1", comps=["security"]), q("ops1", comps=["ops"])]
    plan = assemble([spec(comps=["api", "security"])], "senior", bank)
    assert sorted(ids(plan)) == ["api1", "sec1"]
    assert plan.sessions[0].uncovered == []


def test_pick_records_the_session_competencies_it_covers():
    bank = [q("both", comps=["ops", "security", "api"])]
    plan = assemble([spec(comps=["api", "security"])], "senior", bank)
    assert plan.sessions[0].picks[0].covers == ("api", "security")


def test_questions_suit_the_level_even_if_more_used():
    bank = [q("mid", levels=["mid"]), q("senior", levels=["senior", "staff"])]
    plan = assemble([spec(minutes=20)], "senior", bank, usage={"senior": 9})
    assert ids(plan) == ["senior"]


def test_question_is_never_repeated_within_a_loop():
    bank = [q("a"), q("b")]
    plan = assemble([spec("One", 20), spec("Two", 20)], "senior", bank)
    assert sorted(ids(plan)) == ["a", "b"]


@pytest.mark.parametrize("blocked", ["excluded", "retired"])
def test_excluded_and_retired_questions_are_never_picked(blocked):
    bank = [q("fresh"), q("old", retired=blocked == "retired")]
    exclude = {"old"} if blocked == "excluded" else set()
    plan = assemble([spec(minutes=60)], "senior", bank, exclude=exclude, usage={"fresh": 9})
    assert ids(plan) == ["fresh"]


def test_question_with_no_known_level_is_never_picked():
    plan = assemble([spec(minutes=20)], "senior", [q("odd", levels=["principal"])])
    assert ids(plan) == []


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        pytest.param({"a": 3, "b": 1, "c": 2}, "b", id="fewest-uses"),
        pytest.param({"a": 3, "c": 2}, "b", id="missing-means-never-used"),
        pytest.param({"a": 0, "b": 5, "c": 5}, "a", id="zero"),
    ],
)
def test_least_used_question_is_preferred(usage, expected):
    bank = [q("a"), q("b"), q("c")]
    plan = assemble([spec(minutes=20)], "senior", bank, usage=usage)
    assert ids(plan) == [expected]


def test_scarcest_competency_is_covered_first():
    bank = [q("api1", 10), q("api2", 10), q("api3", 10), q("sec1", 10, comps=["security"])]
    plan = assemble([spec(comps=["api", "security"])], "senior", bank)
    assert plan.sessions[0].picks[0].question.id == "sec1"


def test_coverage_keeps_room_for_the_other_competencies():
    security = [q("sec1", 15, comps=["security"]), q("sec2", 15, comps=["security"])]
    bank = [q("api-long", 25), q("api-short", 10), *security]
    session = spec(minutes=30, comps=["api", "security"])
    plan = assemble([session], "senior", bank, usage={"api-short": 4})
    first = plan.sessions[0].picks[0]
    assert first.question.id == "api-short"
    assert "less-used questions would leave no room for the other competencies" in first.reason
    assert plan.sessions[0].uncovered == []


def test_coverage_runs_for_every_session_before_any_is_filled():
    bank = [q("a1", 10), q("a2", 10)]
    plan = assemble([spec("One", 60), spec("Two", 20)], "senior", bank)
    assert len(ids(plan, 0)) == 1
    assert len(ids(plan, 1)) == 1


def test_remaining_minutes_are_filled():
    bank = [q(f"api{i}", 10) for i in range(6)]
    plan = assemble([spec(minutes=45)], "senior", bank)
    assert plan.sessions[0].minutes_used == 40
    assert plan.sessions[0].notes == []


def test_fill_balances_across_competencies():
    bank = [q(f"api{i}", 10) for i in range(4)] + [
        q(f"sec{i}", 10, comps=["security"]) for i in range(4)
    ]
    usage = {f"sec{i}": 5 for i in range(4)}  # least-used alone would pick only api
    plan = assemble([spec(minutes=45, comps=["api", "security"])], "senior", bank, usage=usage)
    covers = [c for p in plan.sessions[0].picks for c in p.covers]
    assert covers.count("api") == covers.count("security") == 2


def test_fill_never_uses_another_level():
    bank = [q("fit", 10), q("mid", 10, levels=["mid"])]
    plan = assemble([spec(minutes=45)], "senior", bank)
    assert ids(plan) == ["fit"]


def test_fill_only_adds_questions_for_session_competencies():
    bank = [q("api", 10), q("ops", 10, comps=["ops"])]
    plan = assemble([spec(minutes=45)], "senior", bank)
    assert ids(plan) == ["api"]


def test_pick_reason_says_what_it_covers_how_used_and_the_level():
    plan = assemble([spec(minutes=20)], "senior", [q("a"), q("b")], usage={"b": 2})
    assert (
        plan.sessions[0].picks[0].reason == "covers api; least used (asked 0 times); suits senior"
    )


def test_fill_reason_says_it_adds_time():
    plan = assemble([spec(minutes=45)], "senior", [q("a"), q("b")], usage={"a": 1, "b": 1})
    assert (
        plan.sessions[0].picks[1].reason.startswith("adds time on api; least used (asked 1 time)")
    )


# -- notes for each failure mode -----------------------------------------------------------


def test_level_fallback_uses_the_nearest_level_with_a_note():
    bank = [q("junior", levels=["junior"]), q("mid", levels=["mid"])]
    plan = assemble([spec(minutes=20)], "senior", bank, usage={"mid": 9})
    assert ids(plan) == ["mid"]
    note = only_note(plan)
    assert "no available question for api suits senior" in note
    assert "'mid', written for mid (the nearest level)" in note
    assert "nearest level to senior" in plan.sessions[0].picks[0].reason


def test_level_fallback_note_says_when_the_suited_questions_are_too_long():
    bank = [q("long", 30), q("mid", 10, levels=["mid"])]
    plan = assemble([spec(minutes=25)], "senior", bank)
    assert ids(plan) == ["mid"]
    assert "no senior question for api fits the 20-minute budget" in plan.sessions[0].notes[0]


# (bank, exclude, note text that names the failed constraint); an "Earlier" session on ops
# runs first, so a question covering ops and api ("t") is already used in this loop.
UNCOVERED = [
    pytest.param(
        [q("sec", comps=["security"])], (), "no question in the bank covers it", id="none"
    ),
    pytest.param(
        [q("old", retired=True)], (), "the only question that covers it is retired", id="ret"
    ),
    pytest.param([q("seen")], ("seen",), "is already asked to this candidate", id="asked"),
    pytest.param(
        [q("t", comps=["ops", "api"])],
        (),
        "is already used in this loop",
        id="used",
    ),
    pytest.param(
        [q("r1", retired=True), q("r2", retired=True)],
        (),
        "all 2 questions that cover it are retired.",
        id="all-retired",
    ),
    pytest.param(
        [q("r", retired=True), q("s"), q("t", comps=["ops", "api"])],
        ("s",),
        "all 3 questions that cover it are retired (1), already asked to this candidate (1) "
        "or already used in this loop (1).",
        id="mixed",
    ),
    pytest.param(
        [q("long", 50)],
        (),
        "the only available question that covers it (50 minutes) does not fit the 40-minute budget",
        id="one-too-long",
    ),
    pytest.param(
        [q("l1", 50), q("l2", 45)],
        (),
        "none of the 2 available questions that cover it fits the 40-minute budget "
        "(the shortest takes 45 minutes)",
        id="all-too-long",
    ),
]


@pytest.mark.parametrize(("bank", "exclude", "text"), UNCOVERED)
def test_uncovered_competency_note_says_why(bank, exclude, text):
    sessions = [spec("Earlier", 20, ["ops"]), spec("Main", 45, ["api"])]
    main = assemble(sessions, "senior", bank, exclude=exclude).sessions[1]
    assert main.uncovered == ["api"]
    assert any(n.startswith("api is not covered: ") and text in n for n in main.notes), main.notes


def test_uncovered_note_counts_minutes_left_after_earlier_picks():
    bank = [q("api", 15), q("sec", 30, comps=["security"])]
    plan = assemble([spec(comps=["api", "security"])], "senior", bank)
    assert ids(plan) == ["api"]
    note = plan.sessions[0].notes[0]
    assert note.startswith("security is not covered: ")
    assert "does not fit the 25 minutes left of the 40-minute budget" in note


# (bank, reason text in the under-fill note); "a" is the least used, so it is picked first
UNDERFILLED = [
    pytest.param([q("a", 10)], "the bank has no other question", id="bank-empty"),
    pytest.param([q("a", 10), q("b", retired=True)], "retired, already asked", id="blocked"),
    pytest.param([q("a", 10), q("m", 10, levels=["mid"])], "suits senior", id="level"),
    pytest.param(
        [q("a", 10), q("long", 41)], "takes 41 minutes, more than the 30 minutes left", id="long"
    ),
]


def test_covering_prefers_a_pick_that_leaves_minutes_the_bank_can_fill():
    # Budget 55, under-fill line 41.25. "a" is the least used, but after its 35 minutes
    # neither 30 nor 25 fits the 20 left; "b" (30) leaves room for "c" (25).
    bank = [q("a", 35), q("b", 30), q("c", 25)]
    plan = assemble([spec(minutes=60)], "senior", bank, usage={"b": 1, "c": 1})
    assert ids(plan) == ["b", "c"]
    assert plan.sessions[0].minutes_used == 55
    assert plan.sessions[0].notes == []


@pytest.mark.parametrize(("bank", "text"), UNDERFILLED)
def test_underfilled_session_note_gives_minutes_and_reason(bank, text):
    usage = {x.id: 1 for x in bank if x.id != "a"}
    plan = assemble([spec(minutes=45)], "senior", bank, usage=usage)
    note = only_note(plan)
    assert note.startswith("Only 10 of the 40 budgeted minutes are used (under 75% of the budget)")
    assert text in note


def test_session_without_picks_gets_an_underfill_note():
    plan = assemble([spec(minutes=45)], "senior", [])
    assert "Only 0 of the 40 budgeted minutes are used" in plan.sessions[0].notes[-1]


def test_session_three_quarters_full_has_no_underfill_note():
    plan = assemble([spec(minutes=45)], "senior", [q("a", 30)])
    assert plan.sessions[0].notes == []


def test_loop_notes_are_prefixed_with_the_session_name():
    plan = assemble([spec("Screen", 45), spec("Deep dive", 45)], "senior", [q("a", 40)])
    assert plan.notes == [
        "Deep dive: api is not covered: the only question that covers it is already used in "
        "this loop.",
        "Deep dive: Only 0 of the 40 budgeted minutes are used (under 75% of the budget): every "
        "question for these competencies is retired, already asked to this candidate or already "
        "used in this loop.",
    ]


# -- plan properties and input checks ------------------------------------------------------


def test_plan_properties():
    a, b = q("a", 10), q("b", 20, comps=["ops"])
    plan = LoopPlan(
        [
            SessionPlan(spec("One", comps=["api", "ops"]), [Pick(a, ("api",), "r")], ["n1"]),
            SessionPlan(spec("Two", comps=["ops"]), [Pick(b, ("ops",), "r")], []),
        ]
    )
    assert plan.question_ids == ["a", "b"]
    assert plan.sessions[0].minutes_used == 10
    assert plan.sessions[0].uncovered == ["ops"]
    assert plan.notes == ["One: n1"]


def test_unknown_level_is_refused():
    with pytest.raises(ValueError, match="unknown level 'principal'"):
        assemble([spec()], "principal", [q("a")])


def test_duplicate_ids_in_the_bank_are_refused():
    with pytest.raises(ValueError, match="duplicate question id 'a'"):
        assemble([spec()], "senior", [q("a"), q("a", 10)])


# -- determinism ---------------------------------------------------------------------------

TIED = [q(f"t{i}", 10, comps=[("api", "ops")[i % 2]]) for i in range(10)]
TIED_SESSIONS = [spec("One", 30, ["api", "ops"]), spec("Two", 30, ["api", "ops"])]


@pytest.mark.parametrize("seed", [0, 7, "candidate-42"])
def test_same_seed_gives_the_same_plan(seed):
    first = assemble(TIED_SESSIONS, "senior", TIED, seed=seed)
    assert assemble(TIED_SESSIONS, "senior", TIED, seed=seed) == first


def test_bank_order_does_not_change_the_plan():
    shuffled = list(TIED)
    random.Random(3).shuffle(shuffled)
    assert assemble(TIED_SESSIONS, "senior", shuffled) == assemble(TIED_SESSIONS, "senior", TIED)


def test_global_random_state_does_not_change_the_plan():
    random.seed(1)
    first = assemble(TIED_SESSIONS, "senior", TIED, seed=5)
    random.seed(2)
    assert assemble(TIED_SESSIONS, "senior", TIED, seed=5) == first


def test_seed_breaks_ties_among_equally_used_questions():
    plans = {tuple(assemble(TIED_SESSIONS, "senior", TIED, seed=s).question_ids) for s in range(8)}
    assert len(plans) > 1


def test_seed_never_overrides_usage():
    usage = {x.id: 1 for x in TIED if x.id not in {"t3", "t4"}}
    for seed in range(8):
        session = spec(minutes=25, comps=["api", "ops"])
        plan = assemble([session], "senior", TIED, seed=seed, usage=usage)
        assert sorted(ids(plan)) == ["t3", "t4"]


def test_plan_does_not_depend_on_the_hash_seed():
    code = (
        "import json\n"
        "from test_assembly import TIED, TIED_SESSIONS\n"
        "from interviewkit.loops.assembly import assemble\n"
        "print(json.dumps(assemble(TIED_SESSIONS, 'senior', TIED, seed='x').question_ids))\n"
    )
    runs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(PROJECT / "tests")}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, check=True
        )
        runs.append(json.loads(out.stdout))
    assert runs[0] == runs[1] == assemble(TIED_SESSIONS, "senior", TIED, seed="x").question_ids


# -- alternatives --------------------------------------------------------------------------

ALT_SESSION = spec("Screen", 45, ["api", "security"])


def alt_plan(*picks):
    """Build a one-session plan from (question, covers) pairs."""
    return LoopPlan([SessionPlan(ALT_SESSION, [Pick(x, c, "r") for x, c in picks], [])])


def test_alternatives_cover_the_replaced_competencies_and_skip_what_is_not_allowed():
    old = q("old", 15)
    bank = [
        old,
        q("other-sec", comps=["security"]),
        q("in-loop", comps=["security"]),
        q("excluded"),
        q("retired", retired=True),
        q("mid", levels=["mid"]),
        q("fine"),
        q("ops", comps=["ops"]),
    ]
    plan = alt_plan((old, ("api",)), (q("in-loop", comps=["security"]), ("security",)))
    found = alternatives(plan, 0, 0, "senior", bank, exclude={"excluded"})
    assert [x.id for x in found] == ["fine"]


def test_alternatives_fit_the_minutes_freed_by_the_replaced_question():
    old, other = q("old", 15), q("other", 20, comps=["security"])
    bank = [old, other, q("fits", 20), q("too-long", 25)]
    found = alternatives(alt_plan((old, ("api",)), (other, ("security",))), 0, 0, "senior", bank)
    assert [x.id for x in found] == ["fits"]


def test_alternatives_are_least_used_first_then_closest_in_minutes():
    old = q("old", 15)
    bank = [old, q("far", 5), q("near", 20), q("exact", 15), q("used", 15)]
    found = alternatives(alt_plan((old, ("api",))), 0, 0, "senior", bank, usage={"used": 3})
    assert [x.id for x in found] == ["exact", "near", "far", "used"]


def test_alternatives_respect_the_limit():
    old = q("old", 10)
    bank = [old] + [q(f"n{i}", 10) for i in range(8)]
    assert len(alternatives(alt_plan((old, ("api",))), 0, 0, "senior", bank, limit=3)) == 3


def test_alternatives_for_a_pick_covering_nothing_cover_any_session_competency():
    old = q("off-topic", 10, comps=["ops"])
    bank = [old, q("sec", 10, comps=["security"]), q("ops2", 10, comps=["ops"])]
    found = alternatives(alt_plan((old, ())), 0, 0, "senior", bank)
    assert [x.id for x in found] == ["sec"]


# -- check_session -------------------------------------------------------------------------

CHECKED = spec("Screen", 45, ["api", "security"])
API, SEC = q("api", 10), q("sec", 15, comps=["security"])

# (questions, keyword arguments, severity, text of the one violation expected)
VIOLATIONS = [
    pytest.param([API, SEC, API], {}, "error", "'api' is repeated: it appears more", id="twice"),
    pytest.param(
        [API, SEC], {"loop_ids_elsewhere": ["api"]}, "error", "another session", id="elsewhere"
    ),
    pytest.param([API, SEC], {"exclude": {"sec"}}, "error", "in an earlier loop", id="asked"),
    pytest.param(
        [API, q("sec", comps=["security"], retired=True)], {}, "error", "retired", id="ret"
    ),
    pytest.param([API, SEC, q("x", 20)], {}, "warning", "over the session's 40-minute", id="over"),
    pytest.param(
        [API, q("sec", comps=["security"], levels=["mid"])],
        {},
        "warning",
        "'sec' is written for mid, not senior",
        id="level",
    ),
    pytest.param(
        [API, SEC, q("ops", 5, comps=["ops"])],
        {},
        "warning",
        "'ops' covers none of this session's competencies (api and security)",
        id="off-topic",
    ),
    pytest.param([API], {}, "warning", "security is not covered", id="uncovered"),
]


@pytest.mark.parametrize(("questions", "kwargs", "severity", "text"), VIOLATIONS)
def test_check_session_reports_each_rule(questions, kwargs, severity, text):
    found = check_session(CHECKED, questions, "senior", **kwargs)
    assert len(found) == 1, found
    assert found[0].severity == severity
    assert text in found[0].message


def test_check_session_accepts_a_valid_session():
    assert check_session(CHECKED, [API, SEC], "senior") == []


def test_check_session_lists_errors_before_warnings():
    mid_sec = q("sec", comps=["security"], levels=["mid"])
    found = check_session(CHECKED, [API, mid_sec], "senior", exclude={"api"})
    assert [v.severity for v in found] == ["error", "warning"]


def test_check_session_uses_the_reserve():
    assert check_session(CHECKED, [API, SEC, q("x", 20)], "senior", reserve_minutes=0) == []


def test_check_session_reports_a_triple_repeat_once():
    found = check_session(CHECKED, [API, API, API, SEC], "senior")
    errors = [v for v in found if v.severity == "error"]
    assert errors == [
        Violation("error", "'api' is repeated: it appears more than once in this session.")
    ]


# -- properties over random banks and templates ---------------------------------------------

COMPS = ("api", "data", "ops", "security", "testing")
PROPERTY = settings(max_examples=100, deadline=None)


COMP_LISTS = st.lists(st.sampled_from(COMPS), min_size=1, max_size=3, unique=True).map(tuple)
LEVEL_SETS = st.sets(st.sampled_from(LEVELS), min_size=1).map(
    lambda chosen: tuple(lv for lv in LEVELS if lv in chosen)
)
# (minutes, competencies, levels, retired) for each question; ids are q0, q1, ...
QUESTIONS = st.lists(
    st.tuples(
        st.sampled_from([5, 10, 15, 20, 30, 45, 60]),
        COMP_LISTS,
        LEVEL_SETS,
        st.integers(0, 5).map(lambda n: n == 0),
    ),
    max_size=20,
)
SESSIONS = st.lists(st.tuples(st.integers(0, 90), COMP_LISTS), min_size=1, max_size=4)
SEEDS = st.one_of(st.integers(0, 1000), st.text(max_size=5))
INDEXES = st.integers(0, 19)


@st.composite
def scenarios(draw):
    """Draw a random bank, template, level, history and seed."""
    bank = [
        BankQuestion(f"q{i}", f"Question {i}", minutes, comps, levels, retired)
        for i, (minutes, comps, levels, retired) in enumerate(draw(QUESTIONS))
    ]
    sessions = [
        SessionSpec(f"Session {i}", minutes, comps)
        for i, (minutes, comps) in enumerate(draw(SESSIONS))
    ]
    return {
        "sessions": sessions,
        "level": draw(st.sampled_from(LEVELS)),
        "bank": bank,
        "seed": draw(SEEDS),
        "exclude": {f"q{i}" for i in draw(st.sets(INDEXES, max_size=6)) if i < len(bank)},
        "usage": {f"q{i}": n for i, n in draw(st.dictionaries(INDEXES, st.integers(0, 9))).items()},
        "reserve_minutes": draw(st.integers(0, 15)),
    }


def run(case):
    """Assemble a drawn scenario."""
    return assemble(
        case["sessions"],
        case["level"],
        case["bank"],
        seed=case["seed"],
        exclude=case["exclude"],
        usage=case["usage"],
        reserve_minutes=case["reserve_minutes"],
    )


@PROPERTY
@given(scenarios())
def test_property_no_question_repeats_within_a_loop(case):
    found = run(case).question_ids
    assert len(found) == len(set(found))


@PROPERTY
@given(scenarios())
def test_property_no_excluded_or_retired_question(case):
    retired = {x.id for x in case["bank"] if x.retired}
    assert not set(run(case).question_ids) & (retired | case["exclude"])


@PROPERTY
@given(scenarios())
def test_property_every_pick_covers_a_session_competency(case):
    for session in run(case).sessions:
        for pick in session.picks:
            assert pick.covers
            assert set(pick.covers) <= set(session.spec.competencies)
            assert set(pick.covers) <= set(pick.question.competencies)


@PROPERTY
@given(scenarios())
def test_property_session_budget_is_never_exceeded(case):
    for session in run(case).sessions:
        budget = session_budget(session.spec, case["reserve_minutes"])
        assert session.minutes_used <= budget <= max(session.spec.minutes, 0)


@PROPERTY
@given(scenarios())
def test_property_every_uncovered_competency_has_a_note(case):
    for session in run(case).sessions:
        for comp in session.uncovered:
            assert any(n.startswith(f"{comp} is not covered: ") for n in session.notes)


@PROPERTY
@given(scenarios())
def test_property_every_off_level_pick_has_a_note(case):
    for session in run(case).sessions:
        for pick in session.picks:
            if case["level"] not in pick.question.levels:
                note = f"'{pick.question.id}', written for"
                assert any(n.startswith("Level: ") and note in n for n in session.notes)


@PROPERTY
@given(scenarios())
def test_property_underfilled_session_has_a_note(case):
    for session in run(case).sessions:
        budget = session_budget(session.spec, case["reserve_minutes"])
        if session.minutes_used < 0.75 * budget:
            assert any(n.startswith(f"Only {session.minutes_used} of the ") for n in session.notes)


@PROPERTY
@given(scenarios())
def test_property_same_seed_gives_the_same_plan_whatever_the_bank_order(case):
    first = run(case)
    case["bank"] = list(reversed(case["bank"]))
    assert run(case) == first


@PROPERTY
@given(scenarios())
def test_property_assembled_sessions_pass_check_session(case):
    plan = run(case)
    for i, session in enumerate(plan.sessions):
        elsewhere = [x for j, s in enumerate(plan.sessions) if j != i for x in ids(plan, j)]
        found = check_session(
            session.spec,
            [p.question for p in session.picks],
            case["level"],
            loop_ids_elsewhere=elsewhere,
            exclude=case["exclude"],
            reserve_minutes=case["reserve_minutes"],
        )
        assert [v for v in found if v.severity == "error"] == []
        assert not any("over the session" in v.message or "none of" in v.message for v in found)


def test_filling_prefers_questions_about_this_sessions_competencies_only():
    # "x" also covers security, which another session (or the next loop) may need more.
    bank = [q("a", 20), q("x", 15, comps=["api", "security"]), q("y", 15)]
    for seed in range(6):
        plan = assemble([spec()], "senior", bank, seed=seed, usage={"x": 1, "y": 1})
        assert ids(plan) == ["a", "y"], seed

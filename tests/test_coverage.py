"""Bank coverage: questions per competency and level against what N loops of each template need."""

from __future__ import annotations

import json

import pytest
from conftest import app_with_bank, make_app

from interviewkit.analytics.coverage import DEFAULT_LOOPS, Need, capacity, coverage
from interviewkit.loops.assembly import BankQuestion

TITLES = {"api-design": "API design", "data-storage": "Data modelling and storage"}


def q(qid, competencies, levels, retired=False):
    return BankQuestion(qid, qid, 15, tuple(competencies), tuple(levels), retired)


def template(tid, level, *sessions):
    return {
        "id": tid,
        "title": tid,
        "level": level,
        "sessions": [
            {"name": f"S{i + 1}", "minutes": 60, "competencies": list(comps)}
            for i, comps in enumerate(sessions)
        ],
    }


BANK = [
    q("q1", ["api-design"], ["mid"]),
    q("q2", ["api-design", "data-storage"], ["mid", "senior"]),
    q("q3", ["data-storage"], ["mid"]),
    q("q4", ["data-storage"], ["mid"], retired=True),
    q("q5", ["api-design"], ["junior"]),
]
TEMPLATES = [
    # api-design in 2 sessions (listed twice in S3, which counts once), data-storage in 2
    template("mid-a", "mid", ["api-design", "data-storage"], ["data-storage"], ["api-design"] * 2),
    template("mid-b", "mid", ["data-storage"], ["security"]),  # data-storage 1, security 1
    template("senior", "senior", ["api-design"]),
]


def test_one_loop_counted_by_hand():
    report = coverage(BANK, TEMPLATES, loops=1)
    # mid: api-design q1, q2; data-storage q2, q3 (q4 is retired); security none.
    assert report.cells[("api-design", "mid")] == 2
    assert report.cells[("data-storage", "mid")] == 2
    assert report.cells[("security", "mid")] == 0
    assert report.cells[("api-design", "senior")] == 1
    assert report.cells[("api-design", "junior")] == 1
    # Every competency seen in the bank or the templates, at every level.
    assert set(report.cells) == {
        (c, lv)
        for c in ("api-design", "data-storage", "security")
        for lv in ("junior", "mid", "senior", "staff")
    }
    assert report.needs == [
        Need("security", "mid", 1, 0, ("mid-b",)),  # the only gap, so first
        Need("api-design", "mid", 2, 2, ("mid-a",)),
        # The max over mid-a (2 sessions) and mid-b (1), not the sum: they are alternatives.
        Need("data-storage", "mid", 2, 2, ("mid-a", "mid-b")),
        Need("api-design", "senior", 1, 1, ("senior",)),
    ]
    assert [n.gap for n in report.needs] == [1, 0, 0, 0]
    assert report.unfillable == ["mid-b"]
    assert not report.ok
    assert report.gaps == report.needs[:1]


def test_more_loops_need_proportionally_more():
    report = coverage(BANK, TEMPLATES, loops=2)
    needs = {(n.competency, n.level): (n.needed, n.available, n.gap) for n in report.needs}
    assert needs == {
        ("api-design", "mid"): (4, 2, 2),
        ("data-storage", "mid"): (4, 2, 2),
        ("security", "mid"): (2, 0, 2),
        ("api-design", "senior"): (2, 1, 1),
    }
    assert report.unfillable == ["mid-a", "mid-b", "senior"]
    # Biggest gap first, then by level and competency.
    assert [(n.competency, n.level) for n in report.needs] == [
        ("api-design", "mid"),
        ("data-storage", "mid"),
        ("security", "mid"),
        ("api-design", "senior"),
    ]


def test_each_template_is_judged_on_its_own_needs():
    bank = [q(f"d{i}", ["data-storage"], ["mid"]) for i in range(3)]
    twice = template("twice", "mid", ["data-storage"], ["data-storage"])
    once = template("once", "mid", ["data-storage"])
    report = coverage(bank, [twice, once], loops=2)
    # twice needs 2 x 2 = 4 of the 3, once needs 2 x 1 = 2: only twice is short.
    assert report.needs == [Need("data-storage", "mid", 4, 3, ("once", "twice"))]
    assert report.needs[0].gap == 1
    assert report.unfillable == ["twice"]
    assert capacity(twice, report.cells) == 1
    assert capacity(once, report.cells) == 3


def test_retired_questions_are_not_counted():
    retired = [q("r1", ["data-storage"], ["mid"], retired=True)]
    live = [q("l1", ["data-storage"], ["mid"])]
    one = template("one", "mid", ["data-storage"])
    assert coverage(retired, [one], loops=1).cells[("data-storage", "mid")] == 0
    assert coverage(retired, [one], loops=1).unfillable == ["one"]
    assert coverage(retired + live, [one], loops=1).ok


def test_only_questions_at_the_templates_level_count():
    bank = [q("s1", ["data-storage"], ["senior"]), q("j1", ["data-storage"], ["junior"])]
    report = coverage(bank, [template("mid", "mid", ["data-storage"])], loops=1)
    assert report.needs == [Need("data-storage", "mid", 1, 0, ("mid",))]
    assert report.unfillable == ["mid"]


def test_no_templates_need_nothing():
    report = coverage(BANK, [], loops=DEFAULT_LOOPS)
    assert report.ok and report.needs == [] and report.unfillable == []
    assert report.cells[("data-storage", "mid")] == 2


def test_the_default_is_five_loops():
    assert DEFAULT_LOOPS == 5
    assert coverage(BANK, TEMPLATES).loops == 5


@pytest.mark.parametrize(
    ("need", "text"),
    [
        (Need("api-design", "mid", 5, 2, ("t",)), "write 3 more mid-level API design questions"),
        (
            Need("data-storage", "senior", 2, 1, ("t",)),
            "write 1 more senior-level data modelling and storage question",
        ),
        (Need("security", "junior", 4, 0, ("t",)), "write 4 more junior-level security questions"),
        (
            Need("api-design", "mid", 5, 7, ("t",)),
            "no more mid-level API design questions needed (7 available, 5 needed)",
        ),
    ],
)
def test_advice(need, text):
    assert need.advice(TITLES) == text


@pytest.mark.parametrize("loops", [0, -1, 101, 2.5, "5", True, None])
def test_loops_must_be_1_to_100(loops):
    with pytest.raises(ValueError, match=r"loops must be a whole number from 1 to 100, got"):
        coverage(BANK, TEMPLATES, loops=loops)


@pytest.mark.parametrize("loops", [1, 100])
def test_loops_bounds_are_allowed(loops):
    assert coverage(BANK, TEMPLATES, loops=loops).loops == loops


# -- the command, on the shipped bank ---------------------------------------------------


@pytest.fixture
def bank_app(tmp_path, real_bank):
    return app_with_bank(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", real_bank)


def test_cli_one_loop_of_every_template_fits(bank_app):
    result = bank_app.test_cli_runner().invoke(args=["coverage", "--loops", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Non-retired questions per competency and level:"
    assert lines[1].split() == ["competency", "junior", "mid", "senior", "staff"]
    assert any(line.split()[0] == "data-storage" for line in lines[2:11])
    for tid in ("backend-junior", "backend-mid", "backend-senior"):
        assert any(line.split()[:2] == ["ok", tid] for line in lines), tid
    assert "Gaps:" not in result.stdout
    assert lines[-1] == "Every template can run 1 loop without repeating a question."


def test_cli_too_many_loops_fails_and_says_which(bank_app):
    result = bank_app.test_cli_runner().invoke(args=["coverage", "--loops", "100"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == (
        "Cannot run 100 loops without repeating a question: "
        "backend-junior, backend-mid, backend-senior, backend-staff."
    )
    assert "Gaps:" in lines
    advice = [line.strip() for line in lines[lines.index("Gaps:") + 1 : -2]]
    assert advice and all(line.startswith("write ") for line in advice)
    # backend-mid asks for operations in 2 sessions: 200 for 100 loops.
    available = next(int(line.split()[2]) for line in lines if line.startswith("  operations "))
    assert (
        f"write {200 - available} more mid-level reliability and operations questions "
        "(needed by backend-mid)"
    ) in advice


def test_cli_default_loops_matches_the_function(bank_app):
    from interviewkit.extensions import bank as bankdb

    with bank_app.app_context():
        report = coverage(bankdb.bank_questions(), bankdb.loop_templates())
    result = bank_app.test_cli_runner().invoke(args=["coverage"])
    assert result.exit_code == (0 if report.ok else 1)
    assert f"Templates, {DEFAULT_LOOPS} loops each" in result.stdout
    for name in report.unfillable:
        assert name in result.stdout.splitlines()[-1]


def test_cli_json(bank_app):
    result = bank_app.test_cli_runner().invoke(
        args=["coverage", "--loops", "100", "--format", "json"]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["loops"] == 100 and data["ok"] is False
    assert data["unfillable"] == [
        "backend-junior",
        "backend-mid",
        "backend-senior",
        "backend-staff",
    ]
    assert len(data["cells"]) == 9 * 4
    assert {t["id"]: t["ok"] for t in data["templates"]} == dict.fromkeys(data["unfillable"], False)
    gaps = [n for n in data["needs"] if n["gap"]]
    assert gaps and all(n["gap"] == n["needed"] - n["available"] for n in gaps)
    assert all(n["advice"].startswith(f"write {n['gap']} more ") for n in gaps)
    assert [n["gap"] for n in data["needs"]] == sorted(
        (n["gap"] for n in data["needs"]), reverse=True
    )


def test_cli_json_one_loop(bank_app):
    result = bank_app.test_cli_runner().invoke(args=["coverage", "--loops=1", "--format=json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["unfillable"] == []
    assert all(t["ok"] and t["capacity"] >= 1 for t in data["templates"])


def test_cli_without_a_bank_exits_2(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    result = app.test_cli_runner().invoke(args=["coverage"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "The question bank is not built yet: run `interviewkit load` first."
    ]
    result = app.test_cli_runner().invoke(args=["coverage", "--format", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == "no_bank"


@pytest.mark.parametrize("loops", ["0", "101", "many"])
def test_cli_rejects_a_bad_loops_value(bank_app, loops):
    result = bank_app.test_cli_runner().invoke(args=["coverage", "--loops", loops])
    assert result.exit_code == 2
    assert "--loops" in result.output

"""Competency weights in loop templates: parsed, linted, filled in with 1, stored in the bank."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import PROJECT, app_with_bank

from interviewkit.bank.reader import bank_info
from interviewkit.bank.writer import LoadError, load
from interviewkit.content.files import discover
from interviewkit.content.lint import build_catalog, lint

# A loop template whose front matter ends on line 13; a weights snippet starts on line 14.
TEMPLATE = """\
---
id: backend-test
title: Back-end engineer, test
role: Back-end engineer
level: mid
scale: four-point
sessions:
  - name: Design
    minutes: 60
    competencies: [system-design, api-design]
  - name: Working together
    minutes: 45
    competencies: [collaboration]
{weights}
---

A template for the weights tests.
"""
ASKED = ["system-design", "api-design", "collaboration"]
ALLOWED = "use one of system-design, api-design, collaboration"
RANGE = "a number above 0 and at most 10"


def write_template(root, weights: str):
    path = root / "rubrics" / "loops" / "backend-test.md"
    path.write_text(TEMPLATE.format(weights=weights).replace("\n\n---", "\n---"), "utf-8")
    return path


def catalog_of(root):
    return build_catalog(discover([root]))


# (the weights snippet, expected code, expected line, text the message must contain)
BAD_WEIGHTS = [
    pytest.param("weights: [system-design]", "E502", 14, "'weights' is a list", id="list"),
    pytest.param("weights: 2", "E502", 14, "'weights' is a single value", id="number"),
    pytest.param("weights: heavy", "E502", 14, "'weights' is a text", id="text"),
    pytest.param("weights:", "E502", 14, "'weights' is empty", id="empty"),
    pytest.param(
        "weights:\n  system-design: 2\n  colaboration: 1.5",
        "E503",
        16,
        "names 'colaboration', which no session of this template asks for "
        f"(did you mean 'collaboration'?): {ALLOWED}",
        id="typo",
    ),
    pytest.param(
        "weights:\n  data-storage: 2",
        "E503",
        15,
        f"names 'data-storage', which no session of this template asks for: {ALLOWED}",
        id="competency-not-asked",
    ),
    pytest.param(
        "weights: {system-design: 2, api-desing: 1}",
        "E503",
        14,
        "(did you mean 'api-design'?)",
        id="flow-mapping-typo",
    ),
    pytest.param("weights:\n  1: 2", "E503", 15, "names '1'", id="number-key"),
    pytest.param(
        "weights:\n  system-design: high",
        "E504",
        15,
        f"the weight of 'system-design' is 'high'; a weight must be {RANGE}",
        id="word",
    ),
    pytest.param("weights:\n  system-design: '2'", "E504", 15, "is '2'", id="quoted-number"),
    pytest.param("weights:\n  system-design: 0", "E504", 15, "is 0;", id="zero"),
    pytest.param("weights:\n  system-design: -1", "E504", 15, "is -1;", id="negative"),
    pytest.param("weights:\n  system-design: 10.5", "E504", 15, "is 10.5;", id="over-10"),
    pytest.param("weights:\n  system-design: 1000", "E504", 15, "is 1000;", id="absurd"),
    pytest.param("weights:\n  system-design: .inf", "E504", 15, "is inf;", id="infinite"),
    pytest.param("weights:\n  system-design: .nan", "E504", 15, "is nan;", id="nan"),
    pytest.param("weights:\n  system-design: true", "E504", 15, "is True;", id="boolean"),
    pytest.param("weights:\n  system-design: [2]", "E504", 15, "is [2];", id="list-value"),
    pytest.param("weights:\n  system-design:", "E504", 15, "is None;", id="no-value"),
]


@pytest.mark.parametrize(("weights", "code", "line", "text"), BAD_WEIGHTS)
def test_bad_weights_are_reported_with_file_line_and_fix(content_root, weights, code, line, text):
    path = write_template(content_root, weights)
    problems, _ = lint([path], [content_root])
    assert [(p.code, p.line) for p in problems] == [(code, line)]
    assert text in problems[0].message
    assert problems[0].path.endswith("rubrics/loops/backend-test.md")
    assert problems[0].severity == "error"
    catalog, _ = catalog_of(content_root)
    assert "backend-test" not in catalog.loops  # never half-parsed into the bank


def test_every_bad_weight_is_reported_in_one_run(content_root):
    path = write_template(
        content_root, "weights:\n  system-design: 0\n  teamwork: 2\n  collaboration: 11"
    )
    problems, _ = lint([path], [content_root])
    assert [(p.code, p.line) for p in problems] == [("E504", 15), ("E503", 16), ("E504", 17)]


def test_load_refuses_bad_weights_and_keeps_the_bank(content_root, tmp_path):
    bank_path = tmp_path / "bank.db"
    first = load([content_root], bank_path)
    write_template(content_root, "weights:\n  system-design: 0")
    with pytest.raises(LoadError) as raised:
        load([content_root], bank_path)
    assert [p.code for p in raised.value.args[0].blocking] == ["E504"]
    assert bank_info(bank_path)["build_id"] == first.build_id


def test_cli_lint_prints_the_problem(runner, content_root):
    path = write_template(content_root, "weights:\n  security: 2")
    result = runner.invoke(args=["lint", str(path)])
    assert result.exit_code == 1
    assert "backend-test.md:15: E503 'weights' names 'security'" in result.output
    assert "[weight-unknown-competency]" in result.output


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        pytest.param("", {c: 1 for c in ASKED}, id="no-weights"),
        pytest.param("weights: {}", {c: 1 for c in ASKED}, id="empty-mapping"),
        pytest.param(
            "weights:\n  system-design: 2",
            {"system-design": 2, "api-design": 1, "collaboration": 1},
            id="one-listed",
        ),
        pytest.param(
            "weights:\n  collaboration: 10\n  api-design: 0.5",
            {"system-design": 1, "api-design": 0.5, "collaboration": 10},
            id="bounds-and-fractions",
        ),
        pytest.param(
            "weights: {api-design: 3}",
            {"system-design": 1, "api-design": 3, "collaboration": 1},
            id="flow-mapping",
        ),
    ],
)
def test_weights_are_parsed_with_defaults_filled_in(content_root, weights, expected):
    path = write_template(content_root, weights)
    problems, _ = lint([path], [content_root])
    assert problems == []
    catalog, _ = catalog_of(content_root)
    template = catalog.loops["backend-test"]
    assert template.weights == expected
    assert list(template.weights) == ASKED  # every competency asked for, in session order


def test_a_session_competency_that_is_not_an_id_is_an_error_not_a_traceback(content_root):
    path = write_template(content_root, "")
    path.write_text(path.read_text().replace("[collaboration]", "[[collaboration]]"))
    problems, _ = lint([path], [content_root])
    assert [(p.code, p.line) for p in problems] == [("E202", 11)]
    assert "must be a list of competency ids" in problems[0].message


def test_the_shipped_templates_weights():
    catalog, problems = build_catalog(discover([PROJECT]))
    assert problems == []
    senior = catalog.loops["backend-senior"]
    assert senior.weights["system-design"] == 2
    assert senior.weights["collaboration"] == 1.5
    assert set(senior.weights) == set(senior.competencies)
    assert all(
        w == 1 for c, w in senior.weights.items() if c not in {"system-design", "collaboration"}
    )
    assert "system design counts double" in senior.body  # the prose explains the choice
    for other in ("backend-junior", "backend-mid"):
        loop = catalog.loops[other]
        assert loop.weights == {c: 1 for c in loop.competencies}


def test_the_bank_stores_complete_weights(content_root, tmp_path):
    bank_path = tmp_path / "bank.db"
    write_template(content_root, "weights:\n  system-design: 2")
    load([content_root], bank_path)
    conn = sqlite3.connect(bank_path)
    try:
        stored = dict(conn.execute("SELECT id, weights FROM loop_templates"))
    finally:
        conn.close()
    assert json.loads(stored["backend-test"]) == {
        "system-design": 2,
        "api-design": 1,
        "collaboration": 1,
    }
    assert json.loads(stored["backend-mid"]) == {
        c: 1
        for c in (
            "api-design data-storage security concurrency testing-debugging operations "
            "system-design collaboration code-quality"
        ).split()
    }


def test_a_bank_from_before_weights_is_rebuilt(content_root, tmp_path):
    bank_path = tmp_path / "bank.db"
    load([content_root], bank_path)
    conn = sqlite3.connect(bank_path)
    with conn:
        conn.execute("ALTER TABLE loop_templates DROP COLUMN weights")
        # as a bank written before layout 6 looked: no build_rules, an older version
        conn.execute("DELETE FROM meta WHERE key = 'build_rules'")
        conn.execute("UPDATE meta SET value = '4-py3.11' WHERE key = 'schema_version'")
    conn.close()
    result = load([content_root], bank_path)
    assert result.written and result.unchanged == 0  # rebuilt from scratch
    conn = sqlite3.connect(bank_path)
    try:
        (weights,) = conn.execute(
            "SELECT weights FROM loop_templates WHERE id = 'backend-senior'"
        ).fetchone()
    finally:
        conn.close()
    assert json.loads(weights)["system-design"] == 2


@pytest.fixture
def bank_app(tmp_path, real_bank):
    return app_with_bank(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", real_bank)


def test_bankdb_returns_weights_as_a_dict(bank_app):
    from interviewkit.extensions import bank as bankdb

    with bank_app.app_context():
        templates = {t["id"]: t for t in bankdb.loop_templates()}
        one = bankdb.loop_template("backend-senior")
    senior = templates["backend-senior"]
    assert {"id", "title", "role", "level", "scale", "sessions", "html", "weights"} <= set(senior)
    assert senior["sessions"][0]["name"] == "Technical screen"
    asked = {c for s in senior["sessions"] for c in s["competencies"]}
    assert set(senior["weights"]) == asked
    assert senior["weights"]["system-design"] == 2
    assert senior["weights"]["collaboration"] == 1.5
    assert one["weights"] == senior["weights"]
    mid = templates["backend-mid"]
    assert set(mid["weights"].values()) == {1}


def test_bankdb_fills_in_weights_for_a_bank_without_the_column(bank_app):
    from interviewkit.extensions import bank as bankdb

    with sqlite3.connect(bank_app.config["BANK_PATH"]) as conn:
        conn.execute("ALTER TABLE loop_templates DROP COLUMN weights")
    conn.close()
    with bank_app.app_context():
        senior = bankdb.loop_template("backend-senior")
    assert senior["weights"] == {c: 1 for s in senior["sessions"] for c in s["competencies"]}

"""The lint reporter: RULES decides each code's severity, and every problem goes through it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from interviewkit.content import problems as problems_module
from interviewkit.content.problems import ERROR, RULES, WARNING, Problem, Reporter, has_errors

CONTENT = Path(problems_module.__file__).parent


def reported_codes() -> list[tuple[str, int, str, str]]:
    """Return (file, line, method, code) for every report.error/warning call in content/."""
    calls = []
    for path in sorted(CONTENT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("error", "warning")
                and len(node.args) == 3
            ):
                code = node.args[0]
                where = f"{path.name}:{node.lineno}"
                assert isinstance(code, ast.Constant), f"{where}: write the code as a literal"
                calls.append((path.name, node.lineno, node.func.attr, code.value))
    return calls


def test_the_scan_finds_the_reporters_calls():
    assert len(reported_codes()) > 50


def test_every_code_reported_in_content_is_a_rule():
    unknown = [c for c in reported_codes() if c[3] not in RULES]
    assert unknown == []


def test_every_code_is_reported_with_its_severity_in_rules():
    wrong = [c for c in reported_codes() if c[3] in RULES and RULES[c[3]].severity != c[2]]
    assert wrong == []


def test_every_rule_is_reported_somewhere():
    assert set(RULES) == {c[3] for c in reported_codes()}


def test_problems_are_only_made_by_the_reporter():
    # A Problem(...) built by hand would bypass the severity check.
    for path in sorted(CONTENT.glob("*.py")):
        if path.name != "problems.py":
            assert "Problem(" not in path.read_text(), path.name


@pytest.mark.parametrize("code", sorted(RULES))
def test_the_code_letter_matches_the_severity(code):
    # CONTRIBUTING.md tells authors that E codes are errors and W codes are warnings.
    assert RULES[code].severity == {"E": ERROR, "W": WARNING}[code[0]]


def test_a_report_is_a_problem_of_the_reporters_file():
    report = Reporter("questions/x/a.md")
    report.error("E204", 4, "kind 'quiz' is not one of ...")
    report.warning("W301", 9, "only 2 follow-up probes")
    assert report.problems == [
        Problem("questions/x/a.md", 4, "E204", "kind 'quiz' is not one of ..."),
        Problem("questions/x/a.md", 9, "W301", "only 2 follow-up probes"),
    ]
    assert [p.severity for p in report.problems] == ["error", "warning"]
    assert report.errors == 1


def test_a_reporter_appends_to_a_shared_list_and_counts_only_its_own_errors():
    shared = [Problem("other.md", 1, "E101", "not UTF-8")]
    report = Reporter("a.md", shared)
    report.warning("W203", 2, "twice")
    assert report.errors == 0
    assert [p.path for p in shared] == ["other.md", "a.md"]


@pytest.mark.parametrize(
    ("method", "code", "text"),
    [
        ("error", "W301", "W301 is warning in RULES but was reported as error"),
        ("warning", "E204", "E204 is error in RULES but was reported as warning"),
        ("error", "E999", "E999 is not a lint rule"),
        ("warning", "W999", "W999 is not a lint rule"),
    ],
)
def test_a_code_reported_with_the_wrong_severity_fails_loudly(method, code, text):
    report = Reporter("a.md")
    with pytest.raises(ValueError, match=text):
        getattr(report, method)(code, 1, "message")
    assert report.problems == []


@pytest.mark.parametrize(
    ("codes", "strict", "expected"),
    [
        ([], False, False),
        (["W301"], False, False),
        (["W301"], True, True),
        (["W301", "E204"], False, True),
    ],
)
def test_has_errors_follows_the_table(codes, strict, expected):
    found = [Problem("a.md", 1, code, "m") for code in codes]
    assert has_errors(found, strict=strict) is expected

"""The shipped bank: clean under lint, and big and broad enough for real loops.

These numbers are the product's content bar (issue 3); a later edit that drops below
them fails here instead of silently shrinking the bank.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import PROJECT

from interviewkit.content.files import discover
from interviewkit.content.lint import build_catalog, check_question, lint

CLASSIC_TOPICS = ("concurrency", "rest-api", "indexing", "security")
SESSION_SLACK = 15  # minutes of a session left for introductions and the candidate's questions


@pytest.fixture(scope="module")
def bank():
    files = discover([PROJECT])
    catalog, problems = build_catalog(files)
    assert problems == []
    questions = []
    for f in files:
        if f.kind == "question":
            question, problems = check_question(f.read(), catalog)
            assert question is not None, problems
            questions.append(question)
    return catalog, questions


def test_the_bank_lints_without_errors_or_warnings():
    problems, files = lint(None, [PROJECT])
    assert [p.format() for p in problems] == []
    assert files > 100


def test_at_least_100_questions(bank):
    _, questions = bank
    assert len(questions) >= 100


def test_every_topic_has_at_least_four_and_the_classics_eight(bank):
    catalog, questions = bank
    per_topic = Counter(q.topic for q in questions)
    assert set(catalog.topics) == set(per_topic)
    for topic in catalog.topics:
        wanted = 8 if topic in CLASSIC_TOPICS else 4
        assert per_topic[topic] >= wanted, topic


@pytest.mark.parametrize("level", ["junior", "mid", "senior"])
def test_each_level_has_at_least_25_questions(bank, level):
    _, questions = bank
    assert sum(level in q.levels for q in questions) >= 25


def test_every_kind_is_represented(bank):
    _, questions = bank
    kinds = Counter(q.kind for q in questions)
    assert set(kinds) == {"conceptual", "design", "troubleshooting", "code-reading", "behavioural"}
    assert min(kinds.values()) >= 5


def test_every_question_has_three_probes_and_four_anchors(bank):
    _, questions = bank
    for q in questions:
        assert len(q.probes) >= 3, q.id
        assert sorted(q.guide) == ["1", "2", "3", "4"], q.id
        assert all(len(anchor.split()) >= 12 for anchor in q.guide.values()), q.id


def _spelling_key(tag: str) -> str:
    """Return a tag with hyphens, a plural s and US spellings folded away."""
    key = re.sub(r"iz(e|ation|ing)", r"is\1", tag.replace("-", ""))
    return key.replace("modeling", "modelling").removesuffix("s")


def test_tag_vocabulary_has_one_spelling_per_idea(bank):
    # Regression (issue 12): postgres/postgresql, incident/incidents and others.
    catalog, questions = bank
    assert len(catalog.tags) >= 100
    keys = Counter(_spelling_key(tag) for tag in catalog.tags)
    assert [tag for tag in catalog.tags if keys[_spelling_key(tag)] > 1] == []
    assert all(meaning.strip() for meaning in catalog.tags.values())
    assert {tag for q in questions for tag in q.tags} <= set(catalog.tags)


def fill_session(session, level, pool, used):
    """Pick unused questions for a session: every competency covered, minutes nearly full."""
    comps = set(session["competencies"])
    budget, floor = session["minutes"], session["minutes"] - SESSION_SLACK
    candidates = [
        q for q in pool if level in q.levels and q.id not in used and comps & set(q.competencies)
    ]
    chosen, minutes, uncovered = [], 0, set(comps)
    while uncovered:
        options = [q for q in candidates if q not in chosen and uncovered & set(q.competencies)]
        options = [q for q in options if minutes + q.minutes <= budget]
        if not options:
            return None
        best = max(options, key=lambda q: (len(uncovered & set(q.competencies)), -q.minutes))
        chosen.append(best)
        minutes += best.minutes
        uncovered -= set(best.competencies)
    for q in sorted(candidates, key=lambda q: q.minutes):
        if minutes >= floor:
            break
        if q not in chosen and minutes + q.minutes <= budget:
            chosen.append(q)
            minutes += q.minutes
    return chosen if minutes >= floor else None


@pytest.mark.parametrize("template", ["backend-junior", "backend-mid", "backend-senior"])
def test_each_loop_template_can_be_filled_three_times_without_repeats(bank, template):
    catalog, questions = bank
    loop = catalog.loops[template]
    used: set[str] = set()
    for round_ in range(3):
        for session in loop.sessions:
            chosen = fill_session(session, loop.level, questions, used)
            assert chosen, f"fill {round_ + 1} of {template}: cannot fill {session['name']}"
            used.update(q.id for q in chosen)


@pytest.mark.parametrize("template", ["backend-junior", "backend-mid", "backend-senior"])
def test_the_assembler_fills_each_template_three_times_for_one_candidate(bank, template):
    """Three loops for the same candidate: no question repeats, nothing left uncovered."""
    from interviewkit.loops.assembly import BankQuestion, SessionSpec, assemble

    catalog, questions = bank
    loop = catalog.loops[template]
    pool = [
        BankQuestion(q.id, q.title, q.minutes, tuple(q.competencies), tuple(q.levels), q.retired)
        for q in questions
    ]
    specs = [SessionSpec(s["name"], s["minutes"], tuple(s["competencies"])) for s in loop.sessions]
    asked: set[str] = set()
    for round_ in range(3):
        plan = assemble(specs, loop.level, pool, seed=round_, exclude=asked)
        ids = plan.question_ids
        assert not asked & set(ids)
        for session in plan.sessions:
            assert session.uncovered == [], (round_, session.spec.name, session.notes)
            assert all(loop.level in p.question.levels for p in session.picks), session.notes
            assert session.minutes_used >= session.spec.minutes - SESSION_SLACK - 5, (
                round_,
                session.spec.name,
                session.notes,
            )
        asked |= set(ids)

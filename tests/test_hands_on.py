"""Hands-on exercises (issue 12): the format, the linter's rules for anchors and bars, loop
sessions that take exercises, the candidate's language, and the starter in the kit."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, make_app, question_text, write_question

from interviewkit.bank.records import BankQuestion
from interviewkit.content.files import discover
from interviewkit.content.lint import lint
from interviewkit.content.starters import arrange, best_language, starter_language
from interviewkit.loops.assembly import SessionSpec, alternatives, assemble, check_session

EXERCISE = """\
---
id: {id}
title: Exercise {id}
kind: hands-on
competencies: [code-quality, data-storage]
levels: [junior, mid]
minutes: 30
scale: four-point
tags: [sql]
---

## Prompt

Write the function that returns each customer's latest order, then make it fast.

## Starter

The schema, shared by every language:

```sql
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, placed_at timestamptz);
```

```python
def latest_orders(conn):
    return conn.execute("SELECT * FROM orders").fetchall()
```

```java
List<Order> latestOrders(Connection conn) throws SQLException {{ return List.of(); }}
```

```javascript
async function latestOrders(pool) {{ return (await pool.query("SELECT 1")).rows; }}
```

## Working answer

- One query, not one per customer.
- Ties on `placed_at` broken by `id`.

## Test cases

- Two orders for customer 1 at 10:00 and 11:00: only the 11:00 one comes back.

## Probes

- What index does the query want?
- What if two orders share a timestamp?
- How would you test it?

## Scoring guide

### 1
Cannot write a query that returns one row per customer, even with hints.

### 2
Writes a per-customer loop of queries, or a GROUP BY that loses the other columns.

### 3
Writes one correct greatest-per-group query and explains the index it wants.

### 4
All of 3, plus any two of: ties handled, a test with two customers, the plan read aloud.

## Bar by level

- **junior:** Anchor 3.
- **mid:** Anchor 3, plus ties handled and the index on (customer_id, placed_at).

## Red flags

- Fetches every order and filters in application code.
"""


def exercise_text(qid: str = "latest-order-exercise") -> str:
    return EXERCISE.format(id=qid)


def codes(root, path=None):
    problems, _ = lint([path] if path else None, [root])
    return [(p.code, p.message) for p in problems]


def write(root, qid, text, topic="indexing"):
    path = root / "questions" / topic / f"{qid}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- the format -----------------------------------------------------------------------


def test_a_hands_on_exercise_keeps_its_starter_blocks_with_language_and_caption(content_root):
    from interviewkit.content.lint import build_catalog, check_question

    path = write(content_root, "latest-order-exercise", exercise_text())
    assert codes(content_root) == []
    files = discover([content_root])
    catalog, _ = build_catalog(files)
    (f,) = [f for f in files if f.path == path]
    question, problems = check_question(f.read(), catalog)
    assert problems == []
    assert [b["language"] for b in question.starters] == ["sql", "python", "java", "javascript"]
    assert question.starters[0]["caption"] == "The schema, shared by every language:"
    assert question.starters[1]["caption"] == ""
    assert question.starters[1]["code"].startswith("def latest_orders(conn):")
    assert question.languages == ["python", "java", "javascript"]
    assert question.sections["answer"].startswith("- One query")


def test_a_code_exercise_needs_python_java_and_javascript(content_root):
    text = re.sub(r"```java\n.*?```\n\n", "", exercise_text(), flags=re.S)
    write(content_root, "latest-order-exercise", text)
    found = codes(content_root)
    assert [c for c, _ in found] == ["E309"]
    assert "no java version" in found[0][1]


def test_a_starter_without_code_needs_no_languages(content_root):
    text = re.sub(r"```(python|java|javascript)\n.*?```\n\n", "", exercise_text(), flags=re.S)
    write(content_root, "latest-order-exercise", text)
    assert codes(content_root) == []


@pytest.mark.parametrize("section", ["Starter", "Working answer", "Test cases"])
def test_an_exercise_without_a_hands_on_section_is_refused(content_root, section):
    text = exercise_text()
    start = text.index(f"## {section}")
    text = text[:start] + text[text.index("## ", start + 3) :]
    write(content_root, "latest-order-exercise", text)
    found = codes(content_root)
    assert ("E301" in [c for c, _ in found]) and any(section in m for _, m in found)


def test_hands_on_sections_belong_to_hands_on_exercises_only(content_root):
    text = exercise_text().replace("kind: hands-on", "kind: conceptual")
    write(content_root, "latest-order-exercise", text)
    assert sorted({c for c, _ in codes(content_root)}) == ["E310"]


def test_a_starter_with_no_fence_or_an_unknown_language_is_reported(content_root):
    no_fence = re.sub(
        r"## Starter\n.*?## Working",
        "## Starter\n\nSee above.\n\n## Working",
        exercise_text(),
        flags=re.S,
    )
    write(content_root, "latest-order-exercise", no_fence)
    assert [c for c, _ in codes(content_root)] == ["E310"]
    cobol = exercise_text().replace("```sql", "```cobol")
    write(content_root, "latest-order-exercise", cobol)
    found = codes(content_root)
    assert [c for c, _ in found] == ["W307"] and "'cobol'" in found[0][1]


def test_a_loop_template_session_names_kinds_it_takes(content_root):
    path = content_root / "rubrics" / "loops" / "backend-mid.md"
    path.write_text(path.read_text().replace("kinds: [hands-on]", "kinds: [hands_on]"))
    found = codes(content_root)
    assert [c for c, _ in found] == ["E204"] and "did you mean 'hands-on'" in found[0][1]


# -- anchors and bars follow the scale -----------------------------------------------------


@pytest.mark.parametrize(
    "bar",
    [
        "Reaches 4 on the design.",
        "Reaches a 4: weighs latency.",
        "Reach 3 and cover most of 4.",
        "Anchor 3 and part of 4, especially retries.",
        "Needs anchor 4 in full.",
        "Scores a 4 on cost.",
    ],
)
def test_a_bar_that_asks_for_a_4_is_an_error(content_root, bar):
    write_question(content_root, "sample-1", prompt="Explain event loops and blocking calls.")
    path = content_root / "questions" / "concurrency" / "sample-1.md"
    text = path.read_text().replace("Also proves it and prevents the next one.", bar)
    path.write_text(text)
    found = codes(content_root, path)
    assert [c for c, _ in found] == ["E308"]
    assert "senior bar" in found[0][1] and "what a 3 at this level adds" in found[0][1]


@pytest.mark.parametrize(
    "bar",
    ["Also keeps a 4-hour window in mind.", "Also sizes a 4.5 GB cache.", "Handles 4 retries."],
)
def test_numbers_in_a_bar_are_not_mistaken_for_a_score(content_root, bar):
    path = content_root / "questions" / "concurrency" / "sample-1.md"
    path.write_text(path.read_text().replace("Also proves it and prevents the next one.", bar))
    assert codes(content_root, path) == []


def test_anchor_4_must_say_how_much_of_its_list_is_enough(content_root):
    path = content_root / "questions" / "concurrency" / "sample-1.md"
    path.write_text(
        path.read_text().replace(
            "Adds both loop-lag metrics and a bound on the pool.",
            "All of 3, plus loop-lag metrics, a bounded pool.",
        )
    )
    found = codes(content_root, path)
    assert [c for c, _ in found] == ["W305"]
    for counted in (
        "All of 3, plus any two of: metrics, a bounded pool, a test.",
        "All of 3, plus at least one of: metrics, a bounded pool.",
        "All of 3, plus both loop-lag metrics and a bounded pool.",
    ):
        path.write_text(
            question_text("sample-1", prompt="Explain event loops.").replace(
                "Adds both loop-lag metrics and a bound on the pool.", counted
            )
        )
        assert codes(content_root, path) == [], counted


def test_anchors_3_and_4_over_70_words_are_too_long_to_read_mid_call(content_root):
    path = content_root / "questions" / "concurrency" / "sample-1.md"
    long = "Explains the blocking call " + "and more " * 33 + "now"  # 71 words
    fine = "Explains the blocking call " + "and more " * 30  # 64 words
    path.write_text(
        path.read_text().replace(
            "Explains that a blocking call holds the loop and moves it to a thread pool.", long
        )
    )
    found = codes(content_root, path)
    assert [c for c, _ in found] == ["W306"] and "anchor 3 is 71 words" in found[0][1]
    path.write_text(path.read_text().replace(long, fine))
    assert codes(content_root, path) == []


# -- assembly: coding sessions and the candidate's language -----------------------------


def bq(qid, kind="conceptual", languages=(), minutes=30, comps=("code-quality",), levels=("mid",)):
    return BankQuestion(qid, qid, minutes, comps, levels, False, kind, tuple(languages))


BANK = [
    bq("talk-1"),
    bq("talk-2"),
    bq("ex-python", "hands-on", ["python", "java", "javascript"]),
    bq("ex-go", "hands-on", ["python", "java", "javascript", "go"]),
]


def test_a_coding_session_takes_only_exercises_and_others_never_do():
    coding = SessionSpec("Coding", 60, ("code-quality",), ("hands-on",))
    talk = SessionSpec("Talk", 75, ("code-quality",))
    plan = assemble([talk, coding], "mid", BANK, seed=1)
    talk_ids = {p.question.id for p in plan.sessions[0].picks}
    coding_ids = {p.question.id for p in plan.sessions[1].picks}
    assert talk_ids == {"talk-1", "talk-2"}
    assert coding_ids and coding_ids <= {"ex-python", "ex-go"}


def test_assembly_prefers_an_exercise_in_the_candidates_language():
    coding = SessionSpec("Coding", 35, ("code-quality",), ("hands-on",))
    for seed in range(8):  # whatever the tie-break shuffle, Go wins for a Go candidate
        plan = assemble([coding], "mid", BANK, seed=seed, language="Go (golang)")
        (pick,) = plan.sessions[0].picks
        assert pick.question.id == "ex-go"
        assert "has a starter for the candidate's go" in pick.reason
    # the preference gives way to usage only among exercises that both fit
    plan = assemble([coding], "mid", BANK, seed=0, language="Go", usage={"ex-go": 3})
    assert plan.sessions[0].picks[0].question.id == "ex-go"


def test_swaps_and_checks_respect_the_session_kinds():
    coding = SessionSpec("Coding", 35, ("code-quality",), ("hands-on",))
    plan = assemble([coding], "mid", BANK, seed=0)
    found = alternatives(plan, 0, 0, "mid", BANK)
    assert {q.id for q in found} <= {"ex-python", "ex-go"}
    warnings = [v.message for v in check_session(coding, [BANK[0]], "mid")]
    assert "'talk-1' is a conceptual question; this session takes hands-on." in warnings
    talk = SessionSpec("Talk", 45, ("code-quality",))
    warnings = [v.message for v in check_session(talk, [BANK[2]], "mid")]
    assert "'ex-python' is a hands-on question; this session takes anything but hands-on." in (
        warnings
    )


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("Python 3", "python"),
        ("Java 21", "java"),
        ("Node.js", "javascript"),
        ("JavaScript", "javascript"),
        ("TypeScript", "typescript"),
        ("Java, some Kotlin", "java"),
        ("C#", "csharp"),
        ("", None),
        ("Whatever you like", None),
    ],
)
def test_a_candidates_language_as_written_maps_to_a_starter_language(written, meant):
    assert starter_language(written) == meant


def test_the_kit_shows_the_candidates_language_first_and_its_nearest_relative():
    blocks = [
        {"language": lang, "caption": "", "code": lang}
        for lang in ("sql", "python", "java", "javascript")
    ]
    shown, others = arrange(blocks, "Java 17")
    assert [b["language"] for b in shown] == ["sql", "java"]
    assert [b["language"] for b in others] == ["python", "javascript"]
    shown, _ = arrange(blocks, "TypeScript")
    assert [b["language"] for b in shown] == ["sql", "javascript"]
    shown, _ = arrange(blocks, None)
    assert [b["language"] for b in shown] == ["sql", "python"]
    assert best_language(("python", "java"), "kotlin") == "java"


# -- the app: the bank page and the kit -------------------------------------------------


def test_the_bank_page_and_the_kit_show_the_starter_escaped_with_a_copy_button(
    tmp_path, content_root, database_url
):
    from interviewkit.extensions import bank as bankdb
    from interviewkit.extensions import db
    from interviewkit.loops.service import create_loop
    from interviewkit.models import Candidate
    from interviewkit.users import create_user

    text = exercise_text().replace(
        'return conn.execute("SELECT * FROM orders").fetchall()',
        'return "<script>alert(1)</script>"',
    )
    write(content_root, "latest-order-exercise", text)
    app = make_app(tmp_path, database_url, CONTENT_ROOTS=[str(content_root)])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["load"]).exit_code == 0
    with app.app_context(), app.test_request_context():
        lead = create_user("lead@example.com", "Lee Lead", "hiring_lead", PASSWORD)
        candidate = Candidate(
            name="Kai",
            email="kai@example.com",
            role_title="Back-end engineer",
            level="mid",
            language="Java 21",
        )
        db.session.add(candidate)
        db.session.flush()
        loop = create_loop(candidate, bankdb.loop_template("backend-mid"), lead, "s")
        coding = next(s for s in loop.sessions if s.kinds == ["hands-on"])
        assert [q.question_id for q in coding.questions] == ["latest-order-exercise"]
        assert all(
            q.snapshot["kind"] != "hands-on"
            for s in loop.sessions
            if s is not coding
            for q in s.questions
        )
        coding.interviewer_id = lead.id
        db.session.commit()
        session_id = coding.id
    client = app.test_client()
    client.post("/login", data={"email": "lead@example.com", "password": PASSWORD})
    kit = client.get(f"/kit/{session_id}").get_data(as_text=True)
    starter = kit[kit.index('<section class="starter"') :]
    starter = starter[: starter.index("</section>")]
    # the candidate's Java first, the shared schema always, the others folded away
    assert starter.index('data-language="sql"') < starter.index('data-language="java"')
    folded = starter[starter.index("starter-others") :]
    assert 'data-language="python"' in folded and 'data-language="java"' not in folded
    assert starter.count('class="copy"') == 4
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in starter and "<script>alert" not in kit
    assert "<summary>Working answer</summary>" in kit and "<summary>Test cases</summary>" in kit
    page = client.get("/bank/questions/latest-order-exercise").get_data(as_text=True)
    assert 'data-language="python"' in page and "Copy</button>" in page
    assert page.index("<h2>Prompt</h2>") < page.index("Starter") < page.index("<h2>Working answer")


def test_a_lead_can_add_a_coding_session_to_a_loop(tmp_path, content_root, database_url):
    from interviewkit.extensions import bank as bankdb
    from interviewkit.extensions import db
    from interviewkit.loops.service import create_loop
    from interviewkit.models import Candidate, LoopSession
    from interviewkit.users import create_user

    write(content_root, "latest-order-exercise", exercise_text())
    app = make_app(tmp_path, database_url, CONTENT_ROOTS=[str(content_root)])
    assert app.test_cli_runner().invoke(args=["load"]).exit_code == 0
    with app.app_context(), app.test_request_context():
        lead = create_user("lead@example.com", "Lee Lead", "hiring_lead", PASSWORD)
        candidate = Candidate(
            name="Kai", email="kai@example.com", role_title="Back-end engineer", level="mid"
        )
        db.session.add(candidate)
        db.session.flush()
        loop = create_loop(candidate, bankdb.loop_template("backend-mid"), lead, "s")
        db.session.commit()
        loop_id = loop.id
    client = app.test_client()
    client.post("/login", data={"email": "lead@example.com", "password": PASSWORD})
    page = client.get(f"/loops/{loop_id}").get_data(as_text=True)
    assert "takes hands-on only" in page and 'name="coding"' in page
    for name, coding in (("Pairing", "y"), ("Extra chat", None)):
        data = {"name": name, "minutes": 60, "competencies": ["code-quality"]}
        if coding:
            data["coding"] = coding
        assert client.post(f"/loops/{loop_id}/sessions", data=data).status_code == 302
    with app.app_context():
        kinds = dict(
            db.session.execute(
                db.select(LoopSession.name, LoopSession.kinds).where(LoopSession.loop_id == loop_id)
            ).all()
        )
    assert kinds["Pairing"] == ["hands-on"] and kinds["Extra chat"] == []

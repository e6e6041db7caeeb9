"""new-question: scaffolds a file in the right folder, with a fresh id, that lint accepts."""

from __future__ import annotations

from pathlib import Path

from interviewkit.content.lint import lint

ARGS = [
    "new-question",
    "--topic",
    "concurrency",
    "--title",
    "Explain a race in a counter",
    "--kind",
    "code-reading",
    "--level",
    "junior",
    "--level",
    "mid",
    "--competency",
    "concurrency",
    "--minutes",
    "10",
    "--tag",
    "Race Condition",
]


def test_scaffold_is_valid_and_in_its_topic_folder(runner, content_root):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    path = content_root / "questions" / "concurrency" / "explain-a-race-in-a-counter.md"
    assert path.exists()
    text = path.read_text()
    assert "id: explain-a-race-in-a-counter\n" in text
    assert "tags: [race-condition]" in text
    assert "- **junior:** TODO" in text and "- **mid:** TODO" in text
    problems, _ = lint([path], [content_root])
    assert {p.code for p in problems} == {"W304"}  # only "replace the placeholders"
    assert all(p.severity == "warning" for p in problems)


def test_second_scaffold_gets_a_fresh_id(runner, content_root):
    runner.invoke(args=ARGS)
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    assert (content_root / "questions/concurrency/explain-a-race-in-a-counter-2.md").exists()


def test_id_taken_by_a_file_with_another_name_is_not_reused(runner, content_root):
    (content_root / "questions/concurrency/sample-1.md").rename(
        content_root / "questions/concurrency/renamed.md"
    )
    args = [a if a != "Explain a race in a counter" else "Sample 1" for a in ARGS]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert (content_root / "questions/concurrency/sample-1-2.md").exists()


def test_unknown_topic_is_refused(runner, content_root):
    args = [a if a != "concurrency" else "astrology" for a in ARGS]
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "'astrology' is not a topic" in result.output
    assert not (content_root / "questions" / "astrology").exists()


def test_prompts_for_what_is_missing(runner, content_root):
    result = runner.invoke(
        args=["new-question"],
        input="security\nStoring passwords\nconceptual\n15\njunior,mid\nsecurity\n",
    )
    assert result.exit_code == 0, result.output
    assert (content_root / "questions/security/storing-passwords.md").exists()


def _scaffold(runner, content_root):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    return content_root / "questions" / "concurrency" / "explain-a-race-in-a-counter.md"


def test_scaffold_passes_lint_with_a_warning(runner, content_root):
    _scaffold(runner, content_root)
    result = runner.invoke(args=["lint"])
    assert result.exit_code == 0, result.output
    assert "W304" in result.output
    assert "0 error(s), 1 warning(s)" in result.output


def test_scaffold_fails_lint_strict(runner, content_root):
    _scaffold(runner, content_root)
    result = runner.invoke(args=["lint", "--strict"])
    assert result.exit_code == 1
    assert "explain-a-race-in-a-counter.md:14: W304 " in result.output
    assert "(--strict: warnings fail)" in result.output


def test_scaffold_then_load_fails_and_keeps_the_old_bank(runner, app, content_root):
    # Regression (issue 8 item 22): `load` added a scaffold full of TODO: to the bank.
    assert runner.invoke(args=["load"]).exit_code == 0
    bank = Path(app.config["BANK_PATH"])
    before = bank.read_bytes()
    path = _scaffold(runner, content_root)
    result = runner.invoke(args=["load"])
    assert result.exit_code == 1
    assert f"{path}:14: W304 " in result.output  # the first TODO: line
    assert "0 error(s) and 1 TODO: placeholder(s)" in result.output
    assert "the bank was not changed" in result.output
    assert "Traceback" not in result.output
    assert bank.read_bytes() == before

"""new-question: scaffolds a file in the right folder, with a fresh id, that lint accepts."""

from __future__ import annotations

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
    "Race Conditions",
]


def test_scaffold_is_valid_and_in_its_topic_folder(runner, content_root):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    path = content_root / "questions" / "concurrency" / "explain-a-race-in-a-counter.md"
    assert path.exists()
    text = path.read_text()
    assert "id: explain-a-race-in-a-counter\n" in text
    assert "tags: [race-conditions]" in text
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

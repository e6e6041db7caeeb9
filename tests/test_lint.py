"""lint: every rule, with the line and message a contributor sees."""

from __future__ import annotations

import json

import pytest
from conftest import PROMPTS, question_text, write_question

from interviewkit.content.lint import lint


def run_lint(root, *paths):
    problems, _ = lint([root / p for p in paths] or None, [root])
    return problems


def codes(problems):
    return [(p.code, p.line) for p in problems]


def test_shipped_style_questions_are_clean(content_root):
    assert run_lint(content_root) == []


# (what is written to the file, expected code, expected line, text the message must contain)
BAD_FILES = [
    pytest.param(b"", "E103", 1, "the file is empty", id="empty"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "E101", 1, "not UTF-8", id="binary"),
    pytest.param(b"---\nid: x\ntitle: y\n\xff\n---\n", "E101", 4, "0xff", id="latin1-byte"),
    pytest.param(b"title: no opening\n", "E103", 1, "first line is not ---", id="no-front"),
    pytest.param(b"---\nid: a\ntitle: b\n", "E104", 1, "never closed", id="unclosed"),
    pytest.param(b"---\n---\n## Prompt\n", "E106", 2, "empty", id="front-matter-only"),
    pytest.param(b"---\n- a\n- b\n---\n", "E106", 2, "not a list", id="list-front"),
    pytest.param(b"---\nid: a\ntitle: [unclosed\n---\n", "E105", 4, "not valid YAML", id="yaml"),
    pytest.param(b"---\nid: a\n  bad: indent\n---\n", "E105", 3, "indentation", id="indent"),
    pytest.param(b"---\nid: !!python/object:os.system x\n---\n", "E105", 2, "YAML", id="tag"),
    pytest.param(
        b'---\na: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n---\n', "E107", 2, "aliases", id="bomb"
    ),
    pytest.param(b"---\nid: a\n---\n" + b"x" * (1024 * 1024), "E102", 1, "limit", id="huge"),
    pytest.param(
        b"---\nnotes: '" + b"y" * 70000 + b"'\n---\n", "E102", 2, "front matter", id="huge-fm"
    ),
]


@pytest.mark.parametrize(("data", "code", "line", "text"), BAD_FILES)
def test_broken_files_report_one_clear_problem(content_root, data, code, line, text):
    path = content_root / "questions" / "concurrency" / "broken.md"
    path.write_bytes(data)
    problems = run_lint(content_root, "questions/concurrency/broken.md")
    assert codes(problems) == [(code, line)]
    assert text in problems[0].message


def _replace(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


# (edit applied to a valid file, expected (code, line) problems, text in the first message)
FIELD_CASES = [
    (dict(title=None), [("E201", 1)], "missing required field 'title'"),
    (dict(minutes="'fifteen'"), [("E202", 7)], "whole number"),
    (dict(levels="mid"), [("E202", 6)], "list"),
    (dict(id="Bad_Id"), [("E203", 2)], "lowercase slug"),
    (dict(kind="quiz"), [("E204", 4)], "conceptual"),
    (dict(levels="[mid, senior, expert]"), [("E204", 6)], "level 'expert'"),
    (dict(competencies="[concurency]"), [("E205", 5)], "did you mean 'concurrency'"),
    (dict(scale="five-point"), [("E206", 8)], "rubrics/scales"),
    (dict(minutes="90"), [("E207", 7)], "5 to 60"),
    (dict(minutes="2"), [("E207", 7)], "5 to 60"),
    (dict(tags="[Async Stuff]"), [("E203", 9)], "tag 'Async Stuff'"),
    (dict(tags="[async, async]"), [("W203", 9)], "twice"),
]


@pytest.mark.parametrize(("fields", "expected", "text"), FIELD_CASES)
def test_field_rules(content_root, fields, expected, text):
    write_question(content_root, "sample-1", prompt=PROMPTS[0], **fields)
    problems = run_lint(content_root, "questions/concurrency/sample-1.md")
    assert codes(problems) == expected
    assert text in problems[0].message


# (old text, new text) applied to the body of a valid file
SECTION_CASES = [
    (("## Red flags\n\n- Adds servers without finding the cause.\n", ""), [("E301", 11)], "Red"),
    (("## Prompt\n\n" + PROMPTS[0], "## Prompt\n"), [("E306", 12)], "is empty"),
    (("- How do you confirm the cause in production?\n", ""), [("W301", 16)], "only 2"),
    (
        (
            "- How do you confirm the cause in production?\n- What would you monitor afterwards?\n",
            "",
        ),
        [("E302", 16)],
        "1 follow-up probe",
    ),
    (("### 3\n", "### three\n"), [("E303", 22), ("E304", 30)], "no anchor for 3"),
    (("on the pool.\n", "on the pool.\n\n### 5\nMore\n"), [("E304", 36)], "### 1 to ### 4"),
    (("- **senior:** Also proves it and prevents the next one.\n", ""), [("E305", 36)], "senior"),
    (("- **mid:** Explains", "- **staff:** Explains"), None, None),
    (("## Notes", "## Notes"), [], None),
    (("## Red flags", "## Gotchas\n\nx\n\n## Red flags"), [("W303", 41)], "unknown section"),
    (("## Red flags", "## Prompt\n\nagain\n\n## Red flags"), [("E307", 41)], "already appears"),
]


@pytest.mark.parametrize(("edit", "expected", "text"), SECTION_CASES)
def test_section_rules(content_root, edit, expected, text):
    body = question_text("sample-1", prompt=PROMPTS[0])
    if edit[0] in body:
        body = _replace(body, *edit)
    path = content_root / "questions" / "concurrency" / "sample-1.md"
    path.write_text(body, encoding="utf-8")
    problems = run_lint(content_root, "questions/concurrency/sample-1.md")
    if expected is None:  # staff instead of mid: one extra level, one missing level
        assert {p.code for p in problems} == {"W302", "E305"}
        return
    assert codes(problems) == expected
    if text:
        assert text in problems[0].message


def test_headings_inside_code_blocks_are_not_sections(content_root):
    body = question_text("sample-1", prompt=PROMPTS[0])
    body = _replace(body, PROMPTS[0], PROMPTS[0] + "\n\n```bash\n## Probes\n### 1\n```")
    (content_root / "questions/concurrency/sample-1.md").write_text(body, encoding="utf-8")
    assert run_lint(content_root) == []


def test_file_name_must_match_id(content_root):
    path = content_root / "questions" / "concurrency" / "other-name.md"
    path.write_text(question_text("fresh-id", prompt="A prompt about nothing else at all."))
    problems = run_lint(content_root, "questions/concurrency/other-name.md")
    assert codes(problems) == [("W202", 2)]
    assert "rename the file to fresh-id.md" in problems[0].message


def test_unknown_topic_folder(content_root):
    write_question(content_root, "odd", topic="astrology", prompt="Unrelated words here.")
    problems = run_lint(content_root, "questions/astrology/odd.md")
    assert codes(problems) == [("E208", 1)]


def test_unknown_field_suggests_the_right_name(content_root):
    text = question_text("sample-1", prompt=PROMPTS[0]).replace("tags:", "tgs: [x]\ntags:")
    (content_root / "questions/concurrency/sample-1.md").write_text(text)
    problems = run_lint(content_root, "questions/concurrency/sample-1.md")
    assert codes(problems) == [("W201", 9)]
    assert "did you mean 'tags'" in problems[0].message


def test_duplicate_ids_are_reported_on_both_files(content_root):
    write_question(content_root, "sample-1", topic="security", prompt="Some other prompt text.")
    problems = run_lint(content_root)
    dupes = [p for p in problems if p.code == "E401"]
    assert len(dupes) == 2
    assert {p.path.split("questions/")[1] for p in dupes} == {
        "concurrency/sample-1.md",
        "security/sample-1.md",
    }
    assert all(p.line == 2 for p in dupes)


def test_same_prompt_is_an_error(content_root):
    write_question(content_root, "copy-of-one", prompt=PROMPTS[0].upper())
    problems = run_lint(content_root, "questions/concurrency/copy-of-one.md")
    assert codes(problems) == [("E402", 2)]
    assert "sample-1" in problems[0].message


def test_reworded_prompt_is_a_near_duplicate(content_root):
    reworded = PROMPTS[1].replace("today", "this week") + " Why?"
    write_question(content_root, "near-two", prompt=reworded)
    problems = run_lint(content_root, "questions/concurrency/near-two.md")
    assert codes(problems) == [("W401", 2)]
    assert "sample-2" in problems[0].message


def test_linting_one_file_compares_it_with_the_whole_bank(content_root):
    # Regression: linting a single path must still catch a clash with files elsewhere.
    write_question(content_root, "sample-3", topic="security", prompt="Unrelated prompt words.")
    problems = run_lint(content_root, "questions/security/sample-3.md")
    assert codes(problems) == [("E401", 2)]


def test_rubric_errors_are_reported(content_root):
    loop = content_root / "rubrics" / "loops" / "backend-mid.md"
    loop.write_text(loop.read_text().replace("[api-design, data-storage]", "[api-dezign]", 1))
    problems = run_lint(content_root)
    assert [p.code for p in problems] == ["E205"]
    assert "api-dezign" in problems[0].message


def test_scale_points_must_be_contiguous(content_root):
    scale = content_root / "rubrics" / "scales" / "four-point.md"
    scale.write_text(scale.read_text().replace("value: 3", "value: 7"))
    problems = run_lint(content_root)
    assert "E501" in [p.code for p in problems]


def test_cli_exit_codes_and_format(runner, content_root):
    result = runner.invoke(args=["lint"])
    assert result.exit_code == 0, result.output
    (content_root / "questions/concurrency/sample-1.md").write_text("nothing here")
    result = runner.invoke(args=["lint"])
    assert result.exit_code == 1
    assert "questions/concurrency/sample-1.md:1: E103 " in result.output
    assert "1 error(s), 0 warning(s)" in result.output


def test_cli_json_output(runner, content_root):
    write_question(content_root, "sample-1", prompt=PROMPTS[0], minutes="99")
    result = runner.invoke(args=["lint", "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["problems"][0]["code"] == "E207"
    assert report["problems"][0]["severity"] == "error"
    assert report["problems"][0]["line"] == 7


def test_cli_warnings_do_not_fail(runner, content_root):
    write_question(content_root, "sample-1", prompt=PROMPTS[0], tags="[async, async]")
    result = runner.invoke(args=["lint"])
    assert result.exit_code == 0
    assert "W203" in result.output


def test_cli_reports_missing_path(runner):
    result = runner.invoke(args=["lint", "no/such/dir"])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


def test_a_file_with_errors_is_still_checked_against_the_bank(content_root):
    # every problem in one run: a field error does not hide a duplicated prompt
    write_question(content_root, "copy-with-errors", prompt=PROMPTS[0], minutes="99")
    problems = run_lint(content_root, "questions/concurrency/copy-with-errors.md")
    assert codes(problems) == [("E402", 2), ("E207", 7)]


def test_bar_item_without_a_level_and_leftover_placeholders(content_root):
    body = question_text("sample-1", prompt=PROMPTS[0])
    body = _replace(body, "- **mid:** Explains the cause and a fix.", "- mid: Explains the cause.")
    body = _replace(body, "Adds servers without finding the cause.", "TODO: a red flag.")
    (content_root / "questions/concurrency/sample-1.md").write_text(body, encoding="utf-8")
    problems = run_lint(content_root, "questions/concurrency/sample-1.md")
    assert codes(problems) == [("E305", 36), ("W302", 36), ("W304", 43)]
    assert "write it as `- **mid:** ...`" in problems[1].message
    assert "replace every TODO:" in problems[2].message


def test_rubric_file_in_the_wrong_folder(content_root):
    (content_root / "rubrics" / "misc.md").write_text("---\nid: x\n---\n")
    problems = run_lint(content_root)
    assert codes(problems) == [("E501", 1)]
    assert "put scales in rubrics/scales/" in problems[0].message


# -- symbolic links (issue 8 item 9: a linked file outside the root was served) -------------


@pytest.fixture
def outside(tmp_path):
    """Return a folder beside the content root, holding a valid question file."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.md").write_text(question_text("secret", prompt="Not for the bank."))
    return folder


def test_symlinked_file_outside_the_root_is_an_error(content_root, outside):
    link = content_root / "questions" / "concurrency" / "secret.md"
    link.symlink_to(outside / "secret.md")
    for paths in ((), ("questions/concurrency/secret.md",), ("questions",)):
        problems = run_lint(content_root, *paths)
        assert codes(problems) == [("E108", 1)], paths
        assert problems[0].path.endswith("questions/concurrency/secret.md")
        assert "symbolic link" in problems[0].message
        assert "outside the content root" in problems[0].message
        assert "put the file itself in the content root" in problems[0].message


def test_symlinked_folder_outside_the_root_is_an_error(content_root, outside):
    (content_root / "questions" / "linked").symlink_to(outside, target_is_directory=True)
    problems = run_lint(content_root)
    assert codes(problems) == [("E108", 0)]
    assert "the folder is a symbolic link" in problems[0].message


def test_dangling_symlink_is_an_error_not_a_traceback(content_root, tmp_path):
    link = content_root / "questions" / "concurrency" / "gone.md"
    link.symlink_to(tmp_path / "no-such-file.md")
    problems = run_lint(content_root, "questions/concurrency/gone.md")
    assert codes(problems) == [("E108", 1)]
    assert "does not exist" in problems[0].message


def test_symlink_inside_the_root_is_followed(content_root):
    target = content_root / "questions" / "concurrency" / "sample-1.md"
    (content_root / "questions" / "security").mkdir()
    (content_root / "questions" / "security" / "sample-1.md").symlink_to(target)
    assert [p.code for p in run_lint(content_root)] == ["E401", "E401"]  # same id twice


# -- tags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "suggestion"),
    [
        ("[async, postgres]", "did you mean 'postgresql'?"),
        ("[async, incident]", "did you mean 'incidents'?"),
        ("[async, authorization]", "did you mean 'authorisation'?"),
        ("[async, astrology]", None),
    ],
)
def test_tag_outside_the_vocabulary_warns(content_root, tags, suggestion):
    write_question(content_root, "sample-1", prompt=PROMPTS[0], tags=tags)
    problems = run_lint(content_root, "questions/concurrency/sample-1.md")
    assert codes(problems) == [("W204", 9)]
    assert "is not in rubrics/tags.md" in problems[0].message
    assert "add this one there with its meaning" in problems[0].message
    if suggestion:
        assert suggestion in problems[0].message
    else:
        assert "did you mean" not in problems[0].message


def test_multiline_tag_list_points_at_the_tag(content_root):
    write_question(content_root, "sample-1", prompt=PROMPTS[0], tags="\n  - async\n  - deadlock")
    problems = run_lint(content_root, "questions/concurrency/sample-1.md")
    assert codes(problems) == [("W204", 11)]
    assert "did you mean 'deadlocks'?" in problems[0].message


def test_a_root_without_a_tag_vocabulary_accepts_any_tag(content_root):
    (content_root / "rubrics" / "tags.md").unlink()
    write_question(content_root, "sample-1", prompt=PROMPTS[0], tags="[anything-goes]")
    assert run_lint(content_root) == []


def test_a_later_root_can_add_tags(content_root, tmp_path):
    private = tmp_path / "private"
    (private / "rubrics").mkdir(parents=True)
    (private / "rubrics" / "tags.md").write_text(
        "---\ntags:\n  - id: our-platform\n    meaning: Our own deployment platform\n---\n"
    )
    write_question(private, "ours", prompt="How do we deploy here?", tags="[our-platform]")
    problems, _ = lint(None, [content_root, private])
    assert problems == []


def test_tag_vocabulary_items_need_an_id_and_a_meaning(content_root):
    tags = content_root / "rubrics" / "tags.md"
    tags.write_text("---\ntags:\n  - id: async\n  - id: Bad Tag\n    meaning: x\n---\n")
    problems = run_lint(content_root)
    assert codes(problems) == [("E501", 3), ("E501", 4)]
    assert "each tag needs a slug `id` and a `meaning`" in problems[0].message


# -- lint --strict (issue 8 item 22) --------------------------------------------------------


def test_cli_strict_fails_on_warnings(runner, content_root):
    write_question(content_root, "sample-1", prompt=PROMPTS[0], tags="[async, async]")
    result = runner.invoke(args=["lint", "--strict"])
    assert result.exit_code == 1
    assert "W203" in result.output
    assert "0 error(s), 1 warning(s)" in result.output
    assert "(--strict: warnings fail)" in result.output


def test_cli_strict_passes_a_clean_bank(runner):
    result = runner.invoke(args=["lint", "--strict"])
    assert result.exit_code == 0, result.output

"""The question author's tools (issue 12): GitHub annotations, the pre-commit hook, and
`interviewkit preview`."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml
from conftest import PROJECT, make_app, write_question
from test_hands_on import exercise_text, write

from interviewkit.content.problems import Problem


def test_a_problem_as_a_github_annotation_escapes_what_github_would_misread():
    problem = Problem("questions/a,b/x:y.md", 12, "E301", "missing 100%\nsection: add it")
    assert problem.github() == (
        "::error file=questions/a%2Cb/x%3Ay.md,line=12,title=E301 missing-section::"
        "missing 100%25%0Asection: add it"
    )
    warning = Problem("questions/t/q.md", 3, "W301", "only 2 probes")
    assert warning.github().startswith("::warning file=questions/t/q.md,line=3,")


def test_lint_format_github_against_another_root(tmp_path, content_root, monkeypatch):
    bank = tmp_path / "private-bank"
    (bank / "rubrics").mkdir(parents=True)
    for part in ("scales", "competencies", "topics.md", "tags.md"):
        src = PROJECT / "rubrics" / part
        dst = bank / "rubrics" / part
        if src.is_dir():
            dst.mkdir()
            for f in src.iterdir():
                dst.joinpath(f.name).write_text(f.read_text())
        else:
            dst.write_text(src.read_text())
    good = write_question(bank, "private-good", prompt="Explain what a write-ahead log is for.")
    bad = write_question(bank, "private-bad", prompt="Explain why an index slows inserts down.")
    bad.write_text(bad.read_text().replace("## Red flags", "## Red flag"))
    app = make_app(tmp_path, "sqlite://", CONTENT_ROOTS=[str(content_root)])
    monkeypatch.chdir(bank)
    result = app.test_cli_runner().invoke(
        args=["lint", "--strict", "--format", "github", "--root", ".", str(good), str(bad)]
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("::error file=questions/concurrency/private-bad.md,line=")
        and "E301" in line
        for line in lines
    ), lines
    assert not any("private-good" in line for line in lines)
    # the same files pass once fixed, and the configured roots never came into it
    bad.write_text(bad.read_text().replace("## Red flag\n", "## Red flags\n"))
    result = app.test_cli_runner().invoke(
        args=["lint", "--strict", "--format", "github", "--root", ".", str(good), str(bad)]
    )
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s) in 2 file(s)" in result.output


def test_the_pre_commit_hook_runs_the_linter_on_the_files_a_commit_touches():
    (hook,) = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "interviewkit-lint" and hook["language"] == "python"
    assert hook["pass_filenames"] is True
    argv = shlex.split(hook["entry"])
    assert argv[:2] == ["interviewkit", "lint"] and "--strict" in argv
    assert argv[argv.index("--root") + 1] == "."
    import re

    files = re.compile(hook["files"])
    assert files.search("questions/indexing/a.md") and files.search("rubrics/tags.md")
    assert not files.search("README.md") and not files.search("interviewkit/cli.py")


def test_preview_writes_one_self_contained_page_as_the_kit_shows_it(tmp_path, content_root):
    path = write(content_root, "latest-order-exercise", exercise_text())
    app = make_app(tmp_path, "sqlite://", CONTENT_ROOTS=[str(content_root)])
    out = tmp_path / "out.html"
    result = app.test_cli_runner().invoke(
        args=["preview", str(path), "-o", str(out), "--level", "mid", "--language", "Node.js"]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<title>Preview · Exercise latest-order-exercise</title>" in html
    assert "Bar for mid:</strong> Anchor 3, plus ties handled" in html
    starter = html[html.index('<section class="starter"') :]
    assert starter.index('data-language="javascript"') < starter.index("starter-others")
    assert "<style>" in html and ".kq-body" in html and "navigator.clipboard" in html
    assert 'src="' not in html and 'href="/' not in html  # nothing to fetch: opens offline
    # the default output goes to the instance folder
    result = app.test_cli_runner().invoke(args=["preview", str(path)])
    assert result.exit_code == 0
    assert Path(app.instance_path, "preview", "latest-order-exercise.html").is_file()


def test_preview_refuses_a_file_with_errors_and_prints_them(tmp_path, content_root):
    path = write(content_root, "latest-order-exercise", exercise_text())
    broken = path.read_text().replace("## Test cases", "## Tests")
    path.write_text(broken)
    app = make_app(tmp_path, "sqlite://", CONTENT_ROOTS=[str(content_root)])
    result = app.test_cli_runner().invoke(args=["preview", str(path), "-o", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "E301" in result.output and "Test cases" in result.output
    assert "error(s): fix them and preview again" in result.output
    assert not (tmp_path / "x").exists()

"""load: builds the bank atomically, incrementally, with overrides between roots."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import PROMPTS, write_question

from interviewkit.bank import writer as bank
from interviewkit.bank.reader import bank_info
from interviewkit.bank.writer import LoadError, load


@pytest.fixture
def bank_path(tmp_path):
    return tmp_path / "instance" / "bank.db"


def rows(path, sql, *args):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def ids(path):
    return sorted(r[0] for r in rows(path, "SELECT id FROM questions"))


def test_full_load_builds_every_table(content_root, bank_path):
    result = load([content_root], bank_path)
    assert (result.added, result.changed, result.removed, result.unchanged) == (4, 0, 0, 0)
    assert result.written and result.questions == 4
    assert ids(bank_path) == ["sample-1", "sample-2", "sample-3", "sample-4"]
    assert rows(bank_path, "SELECT count(*) FROM competencies")[0][0] == 9
    assert rows(bank_path, "SELECT id FROM scales") == [("four-point",)]
    assert len(rows(bank_path, "SELECT id FROM loop_templates")) == 4
    assert rows(bank_path, "SELECT level FROM question_levels WHERE question_id = 'sample-1'") == [
        ("mid",),
        ("senior",),
    ]
    (html,) = rows(bank_path, "SELECT html FROM questions WHERE id = 'sample-1'")[0]
    sections = json.loads(html)
    assert sections["prompt"].startswith("<p>Explain why one slow blocking call")
    assert set(sections["guide"]) == {"1", "2", "3", "4"}
    assert sections["bar"]["senior"].startswith("Also proves it")
    assert "<li>" in sections["probes"] and "<li>" in sections["red_flags"]


def test_full_text_search_finds_title_prompt_and_guide(content_root, bank_path):
    load([content_root], bank_path)

    def search(term):
        return [
            r[0]
            for r in rows(
                bank_path,
                "SELECT id FROM questions WHERE rowid IN "
                "(SELECT rowid FROM questions_fts WHERE questions_fts MATCH ?) ORDER BY id",
                term,
            )
        ]

    assert search("composite") == ["sample-4"]
    assert search("retries") == ["sample-2"]  # porter stemming: "retry" in the prompt
    assert search("thread") == ["sample-1", "sample-2", "sample-3", "sample-4"]  # the guide


def test_second_load_with_nothing_changed_writes_nothing(content_root, bank_path):
    first = load([content_root], bank_path)
    mtime = bank_path.stat().st_mtime_ns
    second = load([content_root], bank_path)
    assert not second.written
    assert (second.unchanged, second.build_id) == (4, first.build_id)
    assert bank_path.stat().st_mtime_ns == mtime


def test_only_changed_files_are_parsed(content_root, bank_path, monkeypatch):
    load([content_root], bank_path)
    write_question(content_root, "sample-2", prompt=PROMPTS[1] + " Edited.")
    parsed = []
    real = bank._process
    monkeypatch.setattr(bank, "_process", lambda f: parsed.append(f.rel) or real(f))
    result = load([content_root], bank_path)
    assert parsed == ["questions/concurrency/sample-2.md"]
    assert (result.added, result.changed, result.removed, result.unchanged) == (0, 1, 0, 3)
    (prompt,) = rows(bank_path, "SELECT prompt FROM questions WHERE id = 'sample-2'")[0]
    assert prompt.endswith("Edited.")
    # the FTS index follows the edit
    assert rows(bank_path, "SELECT count(*) FROM questions_fts WHERE questions_fts MATCH 'edited'")


def test_deleted_files_disappear(content_root, bank_path):
    load([content_root], bank_path)
    (content_root / "questions/concurrency/sample-3.md").unlink()
    result = load([content_root], bank_path)
    assert result.removed == 1
    assert ids(bank_path) == ["sample-1", "sample-2", "sample-4"]
    assert not rows(bank_path, "SELECT * FROM question_levels WHERE question_id = 'sample-3'")
    assert not rows(bank_path, "SELECT * FROM questions_fts WHERE questions_fts MATCH 'library'")


def test_bad_file_leaves_the_old_bank_and_its_data(content_root, bank_path):
    first = load([content_root], bank_path)
    before = bank_path.read_bytes()
    write_question(content_root, "sample-1", prompt="Changed but broken.", minutes="500")
    write_question(content_root, "new-one", prompt="A brand new prompt about queues.")
    with pytest.raises(LoadError) as info:
        load([content_root], bank_path)
    assert [p.code for p in info.value.args[0].problems] == ["E207"]
    assert bank_path.read_bytes() == before
    assert ids(bank_path) == ["sample-1", "sample-2", "sample-3", "sample-4"]
    assert not list(bank_path.parent.glob(".bank.db-*"))  # no temp file left behind
    assert bank_info(bank_path)["build_id"] == first.build_id


def test_interrupted_load_leaves_the_old_bank(content_root, bank_path, monkeypatch):
    load([content_root], bank_path)
    before = bank_path.read_bytes()
    write_question(content_root, "sample-1", prompt=PROMPTS[0] + " More.")

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(bank, "_write_catalog", crash)
    with pytest.raises(KeyboardInterrupt):
        load([content_root], bank_path, force=True)
    assert bank_path.read_bytes() == before
    assert not list(bank_path.parent.glob(".bank.db-*"))


def test_duplicate_prompt_refuses_the_load(content_root, bank_path):
    load([content_root], bank_path)
    write_question(content_root, "copycat", prompt=PROMPTS[2])
    with pytest.raises(LoadError) as info:
        load([content_root], bank_path)
    assert [p.code for p in info.value.args[0].problems] == ["E402"]


def test_rubric_change_rechecks_every_question(content_root, bank_path):
    load([content_root], bank_path)
    (content_root / "rubrics/competencies/concurrency.md").unlink()
    loop = content_root / "rubrics/loops"
    for path in loop.iterdir():
        text = path.read_text().replace("concurrency, ", "").replace(", concurrency", "")
        path.write_text(text)
    with pytest.raises(LoadError) as info:
        load([content_root], bank_path)
    unknown = [p for p in info.value.args[0].problems if p.code == "E205"]
    assert len(unknown) == 4  # every question names the removed competency


@pytest.fixture
def private_root(tmp_path):
    root = tmp_path / "private"
    write_question(root, "sample-2", prompt="Our own version of the payments question.")
    write_question(root, "company-only", prompt="How do we deploy to our own cluster?")
    return root


def test_later_root_overrides_by_id(content_root, private_root, bank_path):
    result = load([content_root, private_root], bank_path)
    assert result.questions == 5
    (prompt, root_index) = rows(
        bank_path, "SELECT prompt, root_index FROM questions WHERE id = 'sample-2'"
    )[0]
    assert (prompt, root_index) == ("Our own version of the payments question.", 1)


def test_removing_an_override_brings_back_the_original(content_root, private_root, bank_path):
    load([content_root, private_root], bank_path)
    (private_root / "questions/concurrency/sample-2.md").unlink()
    load([content_root, private_root], bank_path)
    (prompt,) = rows(bank_path, "SELECT prompt FROM questions WHERE id = 'sample-2'")[0]
    assert prompt == PROMPTS[1]


def test_editing_the_overridden_file_does_not_win(content_root, private_root, bank_path):
    load([content_root, private_root], bank_path)
    write_question(content_root, "sample-2", prompt="Public edit that stays shadowed.")
    load([content_root, private_root], bank_path)
    (prompt,) = rows(bank_path, "SELECT prompt FROM questions WHERE id = 'sample-2'")[0]
    assert prompt == "Our own version of the payments question."


def test_parallel_and_serial_builds_agree(content_root, bank_path, tmp_path, monkeypatch):
    for i in range(30):
        write_question(content_root, f"bulk-{i}", prompt=f"Bulk prompt number {i} " + "x " * i)
    monkeypatch.setattr(bank, "PARALLEL_THRESHOLD", 10)
    load([content_root], bank_path, workers=2)
    other = tmp_path / "serial.db"
    load([content_root], other, workers=1)
    sql = "SELECT id, html, content_hash FROM questions ORDER BY id"
    assert rows(bank_path, sql) == rows(other, sql)


def test_cli_load_prints_a_summary(runner, app):
    result = runner.invoke(args=["load"])
    assert result.exit_code == 0, result.output
    assert "4 added, 0 changed, 0 removed, 0 unchanged; 4 questions" in result.output
    result = runner.invoke(args=["load"])
    assert "Bank is up to date: 4 questions" in result.output


def test_cli_load_refuses_on_errors(runner, content_root):
    write_question(content_root, "sample-1", prompt=PROMPTS[0], kind="quiz")
    result = runner.invoke(args=["load"])
    assert result.exit_code == 1
    assert "E204" in result.output
    assert "the bank was not changed" in result.output
    assert "Traceback" not in result.output


def test_symlinked_file_outside_the_root_is_not_loaded(content_root, bank_path, tmp_path):
    # Regression (issue 8 item 9): a question file linked to outside the root was served.
    load([content_root], bank_path)
    before = bank_path.read_bytes()
    outside = tmp_path / "elsewhere" / "secret.md"
    write_question(tmp_path / "elsewhere-root", "secret", prompt="Private words, not bank ones.")
    outside.parent.mkdir()
    (tmp_path / "elsewhere-root/questions/concurrency/secret.md").rename(outside)
    (content_root / "questions/concurrency/secret.md").symlink_to(outside)
    with pytest.raises(LoadError) as info:
        load([content_root], bank_path)
    assert [(p.code, p.line) for p in info.value.args[0].problems] == [("E108", 1)]
    assert bank_path.read_bytes() == before
    assert "secret" not in ids(bank_path)


def test_cli_load_names_a_symlink_outside_the_root(runner, content_root, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("anything at all")
    (content_root / "questions/concurrency/secret.md").symlink_to(outside)
    result = runner.invoke(args=["load"])
    assert result.exit_code == 1
    assert "questions/concurrency/secret.md:1: E108 the file is a symbolic link" in result.output
    assert "1 error(s): the bank was not changed" in result.output


def test_leftover_placeholder_refuses_the_load(content_root, bank_path):
    # Regression (issue 8 item 22): a new-question scaffold full of TODO: entered the bank.
    load([content_root], bank_path)
    before = bank_path.read_bytes()
    path = write_question(content_root, "draft", prompt="TODO: write the scenario here.")
    with pytest.raises(LoadError) as info:
        load([content_root], bank_path)
    problems = info.value.args[0].problems
    assert [(p.code, p.path) for p in problems] == [("W304", str(path))]
    assert bank_path.read_bytes() == before
    assert not list(bank_path.parent.glob(".bank.db-*"))


def test_the_bank_file_is_private(content_root, bank_path):
    """Like every file in the instance folder (issue 8.11): 0600, on a new and a rebuilt bank."""
    import os
    import stat

    load([content_root], bank_path)
    assert stat.S_IMODE(os.stat(bank_path).st_mode) == 0o600
    write_question(content_root, "sample-9", prompt=PROMPTS[3] + " With a twist today.")
    load([content_root], bank_path)
    assert stat.S_IMODE(os.stat(bank_path).st_mode) == 0o600


def test_the_reader_refuses_a_bank_of_another_layout_and_says_what_to_run(
    tmp_path, content_root, database_url
):
    """A bank built by another version answers 503 with "run interviewkit load", never a 500."""
    import sqlite3

    from conftest import make_app

    app = make_app(tmp_path, database_url)
    load([content_root], app.config["BANK_PATH"])
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    with sqlite3.connect(app.config["BANK_PATH"]) as conn:
        conn.execute("UPDATE meta SET value = '5-py3.11' WHERE key = 'schema_version'")
    conn.close()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "run `interviewkit load`" in health.json["detail"]
    assert "bank layout 5-py3.11" in health.json["detail"]
    from interviewkit.bank.reader import BankUnavailable
    from interviewkit.extensions import bank as reader

    with app.app_context(), pytest.raises(BankUnavailable, match="interviewkit load"):
        reader.search("event loop")
    rebuilt = load([content_root], app.config["BANK_PATH"])
    assert rebuilt.written and rebuilt.unchanged == 0  # the writer rebuilt it from scratch
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        assert reader.search("event loop")


def test_a_question_record_survives_the_trip_through_its_row(tmp_path, content_root):
    """schema.encode and schema.decode are inverses, and the table has every record field."""
    import dataclasses

    from interviewkit.bank.records import QuestionRecord
    from interviewkit.bank.schema import QUESTION_COLUMNS, decode, encode

    path = tmp_path / "bank.db"
    load([content_root], path)
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT * FROM questions ORDER BY id").fetchall()
        columns = [c[1] for c in conn.execute("PRAGMA table_info(questions)")]
    finally:
        conn.close()
    assert columns == list(QUESTION_COLUMNS) == [f.name for f in dataclasses.fields(QuestionRecord)]
    record = decode(rows[0])
    assert record.id == "sample-1" and record.levels == ["mid", "senior"]
    assert record.retired is False and isinstance(record.html, dict)
    assert encode(record) == dict(rows[0])

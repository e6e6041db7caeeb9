"""Docs stay true: every command has help and is in the README; every lint code is documented."""

from __future__ import annotations

import re

import click
import pytest
from conftest import PROJECT

from interviewkit.cli import COMMANDS
from interviewkit.content.problems import RULES

README = (PROJECT / "README.md").read_text()
CONTRIBUTING = (PROJECT / "CONTRIBUTING.md").read_text()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_command_has_help(command):
    assert command.help and command.help.strip()
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"{command.name} {param.opts[0]} has no help text"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_command_is_in_the_readme(command):
    assert f"`interviewkit {command.name}" in README


SUBCOMMANDS = [
    (group, command)
    for group in COMMANDS
    if isinstance(group, click.Group)
    for command in group.commands.values()
]


@pytest.mark.parametrize(
    ("group", "command"), SUBCOMMANDS, ids=[f"{g.name} {c.name}" for g, c in SUBCOMMANDS]
)
def test_subcommand_has_help_and_is_in_the_readme(group, command):
    # a group's own help says nothing of its subcommands' options (`interviewkit token`)
    assert command.help and command.help.strip()
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"{group.name} {command.name} {param.opts[0]} has no help text"
    assert f"`interviewkit {group.name} {command.name}" in README


@pytest.mark.parametrize("code", sorted(RULES))
def test_lint_code_is_documented(code):
    name = RULES[code][0]
    assert re.search(rf"^\| {code} \| {re.escape(name)} \|", CONTRIBUTING, re.M), code


def test_readme_opens_with_the_two_commands():
    block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in block.strip().splitlines()] == [
        ["make", "run"],
        ["make", "test"],
    ]


def test_design_interfaces_exist():
    # DESIGN.md promises these commands; create-user and backup arrive with the app database.
    names = {c.name for c in COMMANDS}
    assert {"init", "lint", "load", "new-question", "serve"} <= names


def test_the_readme_api_session_runs_against_a_served_app(tmp_path, real_bank):
    """examples/api_session.sh (the README's curl session) against `interviewkit serve`."""
    import os
    import shutil
    import subprocess

    from conftest import make_app, served_app

    from interviewkit.extensions import db
    from interviewkit.models import User
    from interviewkit.tokens import create_token
    from interviewkit.users import create_demo_users

    bank = tmp_path / "bank.db"
    shutil.copy(real_bank, bank)
    database = f"sqlite:///{tmp_path}/app.db"
    app = make_app(tmp_path, database, BANK_PATH=str(bank))
    tokens = {}
    with app.app_context():
        create_demo_users()
        for name, email in (("LEAD_TOKEN", "lead@example.com"), ("IVAN_TOKEN", "ivan@example.com")):
            user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
            tokens[name] = create_token(user, "README session", "read-write").secret
        db.session.commit()
    config = {k: app.config[k] for k in ("INSTANCE_PATH", "SECRET_KEY")}
    config.update(DATABASE_URL=database, BANK_PATH=str(bank))
    with served_app(config) as port:
        run = subprocess.run(
            ["bash", str(PROJECT / "examples" / "api_session.sh")],
            env={**os.environ, **tokens, "IK_URL": f"http://127.0.0.1:{port}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "ratings_submitted" in out and "\nsubmitted\n" in out
    assert '"name": "Ivan Interviewer"' in out and "Reasoned clearly about" in out
    # every step of the README's session is in the script
    for step in ("POST /candidates", "/loops", "/scorecard/ratings", "/scorecard/submit"):
        assert step.split()[-1] in (PROJECT / "examples" / "api_session.sh").read_text()

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

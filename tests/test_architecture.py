"""The layering of docs/architecture.md, checked against every module's imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "interviewkit"
WEB_LIBRARIES = {"flask", "flask_login", "flask_wtf", "flask_sqlalchemy", "werkzeug", "wtforms"}
DOMAIN = {
    "interviewkit.loops.assembly",
    "interviewkit.analytics.stats",
    "interviewkit.analytics.charts",
    "interviewkit.analytics.coverage",
    "interviewkit.analytics.debrief",
}
WEB_ONLY = ("interviewkit.security", "interviewkit.inputs")
VOCABULARY = "interviewkit.vocabulary"  # the shared words: every layer may use them


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str | None = None) -> set[str]:
    """Return every module a file imports, absolute; `from a import b` gives a and a.b."""
    name = name or module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


MODULES = {
    module_name(p): imports_of(p)
    for p in sorted(PACKAGE.rglob("*.py"))
    if "migrations" not in p.parts
}


def ours(imported: set[str]) -> set[str]:
    return {m for m in imported if m.startswith("interviewkit.")}


def libraries(imported: set[str]) -> set[str]:
    return {m.split(".")[0] for m in imported if not m.startswith("interviewkit")}


def is_web(name: str) -> bool:
    """Return True for a web module: a blueprint's routes or forms, security, inputs."""
    last = name.rsplit(".", 1)[-1]
    return last in ("routes", "forms") or any(
        name == w or name.startswith(w + ".") for w in WEB_ONLY
    )


def within(name: str, allowed) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


BLUEPRINTS = ("admin", "api", "auth", "browse", "candidates", "kit", "main", "review")
WEB_LAYER = {
    m
    for m in MODULES
    if is_web(m)
    or m in ("interviewkit", "interviewkit.cli", "interviewkit.health", "interviewkit.server")
    or m.startswith("interviewkit.main")
    or m.startswith("interviewkit.api")  # the JSON API: views, document, problem details
    or m in {f"interviewkit.{b}" for b in BLUEPRINTS}  # a blueprint's __init__ loads its routes
}


def test_the_rules_see_every_layer():
    """Guards the guard: the module list holds each layer the rules speak of."""
    assert {"interviewkit.content.questions", "interviewkit.bank.reader"} <= set(MODULES)
    assert set(MODULES) >= DOMAIN
    assert "interviewkit.kit.routes" in MODULES
    assert "interviewkit.bank.records" in MODULES["interviewkit.loops.assembly"]


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("interviewkit.content")])
def test_content_imports_nothing_of_ours_and_no_web_or_database(name):
    imported = MODULES[name]
    allowed = ("interviewkit.content", VOCABULARY)
    assert {m for m in ours(imported) if not within(m, allowed)} == set()
    assert libraries(imported) & (WEB_LIBRARIES | {"sqlalchemy"}) == set()


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("interviewkit.bank")])
def test_the_bank_imports_only_content_and_no_flask(name):
    imported = MODULES[name]
    allowed = ("interviewkit.bank", "interviewkit.content", VOCABULARY)
    assert {m for m in ours(imported) if not within(m, allowed)} == set()
    assert libraries(imported) & WEB_LIBRARIES == set()


@pytest.mark.parametrize("name", sorted(DOMAIN))
def test_domain_rules_are_plain_functions(name):
    imported = MODULES[name]
    # the question format's fixed words and the starter rules are plain Python too
    plain_content = {"interviewkit.content.schema", "interviewkit.content.starters"}
    allowed = DOMAIN | {"interviewkit.bank.records", VOCABULARY} | plain_content
    assert {
        m for m in ours(imported) if not within(m, allowed) and m != "interviewkit.analytics"
    } == set()
    assert libraries(imported) & (WEB_LIBRARIES | {"sqlalchemy"}) == set()


def test_the_vocabulary_imports_nothing():
    """Levels, roles, statuses: plain Python every layer can import without a cycle."""
    assert ours(MODULES[VOCABULARY]) == set()
    assert libraries(MODULES[VOCABULARY]) <= {"__future__", "enum"}


def test_the_vocabulary_is_spelled_out_only_once():
    """No module or template repeats a level list, a role or a scorecard status literal.

    The values themselves are defined in interviewkit/vocabulary.py; everything else names
    the members (CardStatus.SUBMITTED) so a misspelling fails at import, not in a query.
    """
    literals = re.compile(
        r"""["'](?:ratings_submitted|hiring_lead)["']"""
        r"""|\(\s*["']junior["'],\s*["']mid["']|\[\s*["']junior["'],\s*["']mid["']"""
        r"""|status\s*[!=]=\s*["'](?:draft|submitted)["']"""
    )
    offenders = [
        f"{p.relative_to(PACKAGE)}:{n}"
        for p in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.html")]
        if "migrations" not in p.parts and p.name != "vocabulary.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if literals.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("name", sorted(set(MODULES) - WEB_LAYER))
def test_only_the_web_layer_imports_web_modules(name):
    assert {m for m in ours(MODULES[name]) if is_web(m)} == set()


def test_the_rule_catches_a_crossing(tmp_path):
    """A content module importing Flask, or a service importing routes, is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from flask import current_app\nfrom ..kit import routes\n")
    found = imports_of(bad, "interviewkit.content.bad")
    assert "flask" in libraries(found) & WEB_LIBRARIES
    assert {m for m in ours(found) if is_web(m)} == {"interviewkit.kit.routes"}
    assert not within("interviewkit.kit.routes", ["interviewkit.content"])


def test_the_four_sessions_keep_their_names():
    """docs/architecture.md: Flask's cookie only in auth/routes.py; db.session never renamed."""
    assert [m for m, imported in MODULES.items() if "flask.session" in imported] == [
        "interviewkit.auth.routes"
    ]
    renamed = [
        f"{p.relative_to(PACKAGE)}:{n}"
        for p in PACKAGE.rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"=\s*db\.session\s*(#.*)?$", line)
    ]
    assert renamed == []


def test_only_views_and_commands_commit():
    """docs/architecture.md: services and helpers never commit; the view or command does.

    Two documented exceptions: `users.create_user`, the one-call helper for scripts and
    tests, and `reminders`, a cron job that commits each sent email's record on its own
    so a crash never sends it twice.
    """
    allowed = {"interviewkit.users": 1, "interviewkit.reminders": 3}
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        views = name in WEB_LAYER and not within(name, WEB_ONLY)  # security helpers too
        if "migrations" in path.parts or views:
            continue
        count = path.read_text(encoding="utf-8").count("db.session.commit()")
        if count:
            found[name] = count
    assert found == allowed

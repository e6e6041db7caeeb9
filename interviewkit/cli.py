"""The `interviewkit` command: thin click wrappers over the content and app functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .analytics.coverage import DEFAULT_LOOPS, MAX_LOOPS, MIN_LOOPS
from .bank.writer import LoadError, load
from .content.lint import lint
from .content.problems import has_errors
from .content.schema import KINDS
from .reminders import remind_command
from .retention import REASONS
from .tokens import DEFAULT_DAYS, MAX_DAYS, TokenError, create_token, revoke_token, tokens_of
from .vocabulary import LEVELS, ROLES, TOKEN_SCOPES, Role, TokenScope
from .webhooks import webhooks_command


def _roots() -> list[Path]:
    return [Path(r) for r in current_app.config["CONTENT_ROOTS"]]


def _summary(problems, files: int) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error(s), {warnings} warning(s) in {files} file(s)"


@click.command("init")
@click.option(
    "--demo",
    is_flag=True,
    help="If there are no users yet, create demo users and print their passwords once.",
)
@with_appcontext
def init_command(demo):
    """Create the instance folder, its secret key and the app database (migrations)."""
    from flask_migrate import upgrade

    from .extensions import db
    from .maintenance import configure_rate_limit_storage
    from .users import create_demo_users

    upgrade()
    click.echo(f"Instance ready at {current_app.instance_path}")
    click.echo(f"App database: {_safe_url(current_app.config['SQLALCHEMY_DATABASE_URI'])}")
    click.echo(f"Content roots: {', '.join(current_app.config['CONTENT_ROOTS'])}")
    click.echo(configure_rate_limit_storage(current_app))
    if demo:
        created = create_demo_users()
        db.session.commit()
        if created:
            click.echo("Demo users (passwords are shown only now; change them after signing in):")
            for email, role, password in created:
                click.echo(f"  {role:<12} {email:<28} {password}")
        else:
            click.echo("Users already exist: no demo users created.")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command("create-user")
@click.argument("email")
@click.option("--name", prompt=True, help="The person's name.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=Role.INTERVIEWER.value,
    show_default=True,
    help="What the user may do.",
)
@with_appcontext
def create_user_command(email, name, role):
    """Create a user; the password is asked for, or read from standard input if piped."""
    from .extensions import db
    from .users import UserError, add_user

    password = _read_password("Password")
    try:
        user = add_user(email, name, role, password, via="cli")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@click.command("set-password")
@click.argument("email")
@with_appcontext
def set_password_command(email):
    """Set a user's password (a lost one); asks twice, or reads standard input if piped."""
    from .extensions import db
    from .users import UserError, find_user, set_user_password

    try:
        user = find_user(email)  # say so before asking for a password
        password = _read_password("New password")
        set_user_password(user, password, via="cli")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(
        f"Password set for {user.email}; every browser they were signed in on is signed out."
    )


def _read_password(label: str) -> str:
    if sys.stdin.isatty():
        return click.prompt(label, hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the backup file (default: instance/backups).",
)
@with_appcontext
def backup_command(output):
    """Back up the app database (SQLite online backup, or pg_dump for PostgreSQL)."""
    from .maintenance import BackupError, backup

    folder = output or Path(current_app.instance_path) / "backups"
    try:
        path = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up to {path}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the existing app database (stop the app first).")
@with_appcontext
def restore_command(file, yes):
    """Check a backup (integrity, schema version, row counts) and put it back."""
    from .extensions import db
    from .maintenance import BackupError, RestoreRefused, code_head, database_counts, restore

    def report(check):
        click.echo(f"{check.path}: integrity ok, schema version {check.version}")
        for table, rows in check.counts.items():
            click.echo(f"  {table:<20} {rows:>8}")

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.engine.dispose()  # this process holds no connection to the file being replaced
    try:
        restore(uri, file, code_head(), replace=yes, report=report)
    except RestoreRefused as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(3)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    counts = database_counts(uri)
    click.echo(f"Restored {file} to {_safe_url(uri)}: {sum(counts.values())} rows in main tables")


@click.command("purge")
@click.option("--apply", "apply_", is_flag=True, help="Delete (default: only list what would go).")
@click.option(
    "--days",
    type=click.IntRange(0),
    default=None,
    help="Retention period in days (default: RETENTION_DAYS, 365).",
)
@with_appcontext
def purge_command(apply_, days):
    """Delete personal data of candidates past the retention period; dry run by default."""
    from .extensions import db
    from .retention import due, purge_candidate, scrub_files

    days = current_app.config["RETENTION_DAYS"] if days is None else days
    found = due(days=days)
    verb = "Deleting" if apply_ else "Would delete"
    for item in found:  # ids and dates only: this output goes to cron logs
        c = item.candidate
        outcome = f"decision {item.outcome}" if item.outcome else "no decision"
        click.echo(
            f"{verb} personal data of candidate {c.id} ({c.role_title}, {c.level}; {outcome}; "
            f"last activity {item.since:%Y-%m-%d})"
        )
    if not apply_:
        click.echo(
            f"{len(found)} candidate(s) past {days} days; nothing deleted (dry run: add --apply)"
        )
        return
    for item in found:
        purge_candidate(item.candidate, None, "retention")
    db.session.commit()
    note = scrub_files() if found else "nothing to delete"
    click.echo(f"Deleted the personal data of {len(found)} candidate(s); {note}")


@click.command("delete-candidate")
@click.argument("candidate_id", type=int)
@click.option(
    "--reason",
    required=True,
    type=click.Choice(list(REASONS)),
    help="Why (kept in the audit log; nothing else about the candidate is).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete_candidate_command(candidate_id, reason, yes):
    """Delete one candidate's personal data and notes now, keeping anonymised scores."""
    from .extensions import db
    from .models import Candidate
    from .retention import RetentionError, purge_candidate, scrub_files

    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None:
        raise click.ClickException(f"no candidate with id {candidate_id}: see /candidates")
    if not yes:
        click.confirm(
            f"Delete the personal data and notes of candidate {candidate.id} "
            f"({candidate.name})? This cannot be undone",
            abort=True,
        )
    try:
        done = purge_candidate(candidate, None, reason)
    except RetentionError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(
        f"Deleted the personal data of candidate {done.candidate_id}: {done.texts} note(s), "
        f"{done.revisions} draft(s), {done.ratings} evidence text(s); scores kept; "
        f"{done.cancelled} upcoming interview(s) cancelled; " + scrub_files()
    )


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    help="Output format; json is one object with a list of problems; github writes GitHub "
    "Actions annotations (::error file=...,line=...::...).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 on warnings too (for CI; drafts with TODO: placeholders fail).",
)
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A content root to lint against instead of the configured ones (repeatable): "
    "for a private bank's own repository, `--root .`.",
)
@with_appcontext
def lint_command(paths, fmt, strict, roots):
    """Check question and rubric files; exit 1 on an error (or, with --strict, a warning)."""
    problems, files = lint(list(paths) or None, list(roots) or _roots())
    failed = has_errors(problems, strict=strict)
    if fmt == "github":
        for problem in problems:
            click.echo(problem.github())
        click.echo(_summary(problems, files), err=True)
    elif fmt == "json":
        click.echo(
            json.dumps({"files": files, "problems": [p.as_dict() for p in problems]}, indent=2)
        )
    else:
        for problem in problems:
            click.echo(problem.format())
        summary = _summary(problems, files)
        if strict and failed and not has_errors(problems):
            summary += " (--strict: warnings fail)"
        click.echo(summary, err=True)
    sys.exit(1 if failed else 0)


@click.command("preview")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the HTML (default: instance/preview/<id>.html).",
)
@click.option("--level", default=None, help="Show the bar for this level (default: the lowest).")
@click.option("--language", default=None, help="Show this language's starter first.")
@with_appcontext
def preview_command(file, output, level, language):
    """Render one question as the interview kit shows it, to a self-contained HTML file."""
    from .preview import PreviewError, preview

    try:
        path, problems = preview(file, _roots(), output, level, language)
    except PreviewError as exc:
        for problem in exc.problems:
            click.echo(problem.format(), err=True)
        raise click.ClickException(str(exc)) from None
    for problem in problems:
        click.echo(problem.format(), err=True)
    click.echo(f"Wrote {path}: open it in a browser (file://{path.resolve()})")


@click.command("load")
@click.option("--force", is_flag=True, help="Rebuild every question, ignoring content hashes.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes for parsing and rendering (default: one per core).",
)
@with_appcontext
def load_command(force, workers):
    """Lint the content and build the question bank; leave the old bank on errors."""
    bank = current_app.config["BANK_PATH"]
    try:
        result = load(_roots(), bank, workers=workers, force=force)
    except LoadError as exc:
        result = exc.args[0]
        blocking = result.blocking
        for problem in blocking:
            click.echo(problem.format(), err=True)
        drafts = sum(p.severity == "warning" for p in blocking)
        what = f"{len(blocking) - drafts} error(s)"
        if drafts:
            what += (
                f" and {drafts} TODO: placeholder(s) (lint allows a draft; the bank never "
                "takes one)"
            )
        raise click.ClickException(
            f"{what}: the bank was not changed; fix them and load again"
        ) from None
    if not result.written:
        click.echo(
            f"Bank is up to date: {result.questions} questions, build "
            f"{result.build_id} ({result.seconds:.2f}s)"
        )
        return
    click.echo(
        f"Loaded {bank}: {result.added} added, {result.changed} changed, "
        f"{result.removed} removed, {result.unchanged} unchanged; "
        f"{result.questions} questions, build {result.build_id} in {result.seconds:.2f}s"
    )


@click.command("new-question")
@click.option("--topic", prompt=True, help="Topic folder, e.g. security (see rubrics/topics.md).")
@click.option("--title", prompt=True, help="A short title; the id is made from it.")
@click.option("--kind", prompt=True, type=click.Choice(KINDS), help="The kind of question.")
@click.option(
    "--level",
    "levels",
    multiple=True,
    type=click.Choice(LEVELS),
    help="A level the question suits (repeat for several).",
)
@click.option(
    "--competency",
    "competencies",
    multiple=True,
    help="A competency id from rubrics/competencies (repeat for several).",
)
@click.option(
    "--minutes", type=click.IntRange(5, 60), prompt=True, default=15, help="Time budget in minutes."
)
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for several).")
@with_appcontext
def new_question_command(topic, title, kind, levels, competencies, minutes, tags):
    """Scaffold a question file with a fresh id in questions/<topic>/."""
    from .content.files import discover
    from .content.lint import build_catalog
    from .scaffold import new_question, slugify

    catalog, _ = build_catalog([f for f in discover(_roots()) if f.kind != "question"])
    if catalog.topics and topic not in catalog.topics:
        raise click.BadParameter(
            f"{topic!r} is not a topic; choose one of {', '.join(sorted(catalog.topics))}",
            param_hint="--topic",
        )
    if not levels:
        levels = tuple(click.prompt("Levels (comma-separated)", default="mid,senior").split(","))
        levels = tuple(lvl.strip() for lvl in levels if lvl.strip())
    if not competencies:
        answer = click.prompt(f"Competencies ({', '.join(sorted(catalog.competencies))})")
        competencies = tuple(c.strip() for c in answer.split(",") if c.strip())
    for level in levels:
        if level not in LEVELS:
            raise click.BadParameter(
                f"{level!r} is not one of {', '.join(LEVELS)}", param_hint="--level"
            )
    for comp in competencies:
        if comp not in catalog.competencies:
            raise click.BadParameter(
                f"{comp!r} is not a competency; choose from "
                f"{', '.join(sorted(catalog.competencies))}",
                param_hint="--competency",
            )
    ordered = [lvl for lvl in LEVELS if lvl in levels]
    path = new_question(
        _roots()[0],
        _roots(),
        topic=topic,
        title=title,
        kind=kind,
        levels=ordered,
        competencies=list(competencies),
        minutes=minutes,
        tags=[slugify(t) for t in tags] or [topic],
    )
    click.echo(f"Created {path}")
    click.echo("Replace every TODO: in it, then run `interviewkit lint` on it.")


@click.command("coverage")
@click.option(
    "--loops",
    type=click.IntRange(MIN_LOOPS, MAX_LOOPS),
    default=DEFAULT_LOOPS,
    show_default=True,
    help=f"How many loops of each template must run without repeating a question "
    f"({MIN_LOOPS} to {MAX_LOOPS}).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Output format; json is one object with the counts, templates and gaps.",
)
@with_appcontext
def coverage_command(loops, fmt):
    """Check the bank has enough questions to run every loop template N times without
    repeating one; exit 1 if a template falls short, 2 if there is no bank."""
    from .analytics.coverage import capacity, coverage
    from .bank.reader import BankUnavailable
    from .extensions import bank

    try:
        templates = bank.loop_templates()
        report = coverage(bank.bank_questions(), templates, loops)
        titles = bank.competency_titles()
    except BankUnavailable:
        message = "The question bank is not built yet: run `interviewkit load` first."
        if fmt == "json":
            click.echo(json.dumps({"error": "no_bank", "message": message}))
        else:
            click.echo(message, err=True)
        sys.exit(2)
    status = [
        {
            "id": t["id"],
            "title": t["title"],
            "level": t["level"],
            "ok": t["id"] not in report.unfillable,
            "capacity": capacity(t, report.cells),
        }
        for t in templates
    ]
    if fmt == "json":
        click.echo(json.dumps(_coverage_json(report, status, titles), indent=2))
    else:
        _echo_coverage(report, status, titles)
    sys.exit(0 if report.ok else 1)


def _coverage_json(report, status, titles) -> dict:
    return {
        "loops": report.loops,
        "ok": report.ok,
        "cells": [
            {"competency": c, "level": lv, "available": n} for (c, lv), n in report.cells.items()
        ],
        "templates": status,
        "needs": [
            {
                "competency": n.competency,
                "level": n.level,
                "needed": n.needed,
                "available": n.available,
                "gap": n.gap,
                "templates": list(n.templates),
                "advice": n.advice(titles) if n.gap else None,
            }
            for n in report.needs
        ],
        "unfillable": report.unfillable,
    }


def _echo_coverage(report, status, titles) -> None:
    comps = sorted({c for c, _ in report.cells})
    levels = list(dict.fromkeys(lv for _, lv in report.cells))
    width = max([len(c) for c in comps] + [len("competency")])
    click.echo("Non-retired questions per competency and level:")
    click.echo(f"  {'competency':<{width}}" + "".join(f"{lv:>8}" for lv in levels))
    for comp in comps:
        counts = "".join(f"{report.cells.get((comp, lv), 0):>8}" for lv in levels)
        click.echo(f"  {comp:<{width}}{counts}")
    n = report.loops
    loops = "1 loop" if n == 1 else f"{n} loops"
    click.echo(f"\nTemplates, {loops} each without repeating a question:")
    for t in status:
        verdict = "ok" if t["ok"] else "SHORT"
        click.echo(
            f"  {verdict:<6}{t['id']} ({t['level']}): enough questions for "
            f"{t['capacity']} loop{'' if t['capacity'] == 1 else 's'}"
        )
    if report.gaps:
        click.echo("\nGaps:")
        for need in report.gaps:
            click.echo(f"  {need.advice(titles)} (needed by {', '.join(need.templates)})")
    if report.ok:
        click.echo(f"\nEvery template can run {loops} without repeating a question.")
    else:
        short = ", ".join(report.unfillable)
        click.echo(f"\nCannot run {loops} without repeating a question: {short}.")


@click.group("token")
def token_command():
    """Create, list and revoke personal API tokens (a script's key to the API)."""


@token_command.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. the script using it.")
@click.option(
    "--scope",
    type=click.Choice(TOKEN_SCOPES),
    default=TokenScope.READ.value,
    show_default=True,
    help="read: only read; read-write: also change what the user may change.",
)
@click.option(
    "--days",
    type=int,
    default=DEFAULT_DAYS,
    show_default=True,
    help=f"How many days the token works (1 to {MAX_DAYS}).",
)
@with_appcontext
def token_create_command(email, name, scope, days):
    """Create a user's token; print its secret, shown only this once."""
    from .extensions import db
    from .users import UserError, find_user

    try:
        new = create_token(find_user(email), name, scope, days)
    except (UserError, TokenError) as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    token = new.token
    click.echo(f"Created token {token.id} ({token.name}) for {token.user.email}.")
    click.echo(f"  scope:   {token.scope}")
    click.echo(f"  expires: {_when(token.expires_at)}")
    click.echo("The token (it will not be shown again; keep it somewhere safe):")
    click.echo(new.secret)


@token_command.command("list")
@click.argument("email")
@with_appcontext
def token_list_command(email):
    """List a user's tokens, expired and revoked ones too (no secrets)."""
    from .models import utcnow
    from .users import UserError, find_user

    try:
        user = find_user(email)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    tokens = tokens_of(user)
    if not tokens:
        click.echo(f"{user.email} has no tokens.")
        return
    now = utcnow()
    header = ("id", "name", "token", "scope", "state", "created", "expires", "last used")
    rows = [
        (
            str(t.id),
            t.name,
            f"{t.prefix}…",
            t.scope,
            t.state(now),
            _when(t.created_at),
            _when(t.expires_at),
            _when(t.last_used_at) if t.last_used_at else "never",
        )
        for t in tokens
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@token_command.command("revoke")
@click.argument("token_id", type=int)
@click.option(
    "--email",
    required=True,
    help="The token's owner, whom the revocation is recorded as (an admin may revoke anyone's).",
)
@with_appcontext
def token_revoke_command(token_id, email):
    """Revoke a token; scripts using it are refused from now on."""
    from .extensions import db
    from .users import UserError, find_user

    try:
        token = revoke_token(find_user(email), token_id)
    except (UserError, TokenError) as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Token {token.id} ({token.name}) of {token.user.email} is revoked.")


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (HOST; default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to bind (PORT; default 5000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="gunicorn worker processes (WORKERS; default one per core, at least 2).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Threads per worker (THREADS; default 4; 1 for gunicorn's sync workers).",
)
@with_appcontext
def serve_command(host, port, workers, threads):
    """Serve the app with gunicorn, a production WSGI server (never in debug mode)."""
    from flask.cli import ScriptInfo

    from .maintenance import code_head
    from .observability import prepare_metrics_dir
    from .server import ServeError, check_database, check_port, plan, serve, serve_log

    config = current_app.config
    log = serve_log()  # JSON lines, as gunicorn's and the app's are
    try:
        how = plan(config, host, port, workers, threads)
        note = check_database(config["SQLALCHEMY_DATABASE_URI"], code_head())
        if note:
            log.warning(note)
        check_port(how.host, how.port)  # one clear line now, not gunicorn's five retries
    except ServeError as exc:
        raise click.ClickException(str(exc)) from None
    hops = config.get("TRUSTED_PROXY_HOPS") or 0
    log.info(
        f"Serving on {how.bind}: {how.workers} worker(s) of {how.threads} thread(s), "
        f"trusting {hops} proxy hop(s)"
    )
    prepare_metrics_dir(current_app.instance_path)  # /metrics sums every worker's counts
    # Each worker makes its own app the way this command made its own (--app, or
    # create_app()), never in debug mode: see server.without_debug.
    info = click.get_current_context().find_object(ScriptInfo)
    serve(_fresh_app_loader(info), how, current_app.instance_path)


def _fresh_app_loader(info):
    from flask.cli import ScriptInfo

    if info is None:
        return None

    def load():
        return ScriptInfo(info.app_import_path, info.create_app, set_debug_flag=False).load_app()

    return load


COMMANDS = [
    init_command,
    lint_command,
    preview_command,
    load_command,
    new_question_command,
    create_user_command,
    set_password_command,
    backup_command,
    restore_command,
    purge_command,
    delete_candidate_command,
    coverage_command,
    remind_command,
    token_command,
    webhooks_command,
    serve_command,
]


def init_app(app) -> None:
    """Register the commands on an app's CLI."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app():
    from . import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    add_default_commands=False,
    help="interviewkit: the question bank and interview scoring tool.",
)

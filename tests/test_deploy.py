"""The deployment guide stays true: docs/deploy.md's settings table against the code, and
the files in deploy/ against the app's commands and limits and the tools that read them."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
from importlib.metadata import entry_points

import click
import pytest
import yaml
from click.testing import CliRunner
from conftest import PROJECT

from interviewkit import create_app
from interviewkit.inputs import LARGE_BODY_ENDPOINTS, MAX_BODY

DEPLOY = PROJECT / "deploy"
GUIDE = (PROJECT / "docs" / "deploy.md").read_text()
PACKAGE = PROJECT / "interviewkit"
SETTING = re.compile(r"[A-Z][A-Z0-9_]+")
CI = os.environ.get("CI") == "true"
ANY_ADDRESS = ".".join("0000")  # what a container binds: every interface


# -- the settings table ----------------------------------------------------------------------


def _is_config(node: ast.AST) -> bool:
    """Return True for `app.config`, `current_app.config` or a local named `config`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "config"
    return isinstance(node, ast.Name) and node.id == "config"


def settings_read_by_code() -> dict[str, set[str]]:
    """Return every setting the package reads or defaults, with the files that do.

    Python: `config["X"]`, `config.get("X", ...)`, `config.setdefault("X", ...)` on any
    config object, and the keywords of `config.from_mapping(...)` (create_app's defaults);
    templates: `config.X` and `config["X"]`.
    """
    found: dict[str, set[str]] = {}

    def add(key, path):
        if isinstance(key, str) and SETTING.fullmatch(key):
            found.setdefault(key, set()).add(str(path.relative_to(PROJECT)))

    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Subscript) and _is_config(node.value):
                if isinstance(node.slice, ast.Constant):
                    add(node.slice.value, path)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method, owner = node.func.attr, node.func.value
                if method in ("get", "setdefault", "pop") and _is_config(owner) and node.args:
                    if isinstance(node.args[0], ast.Constant):
                        add(node.args[0].value, path)
                elif method == "from_mapping" and _is_config(owner):
                    for keyword in node.keywords:
                        add(keyword.arg, path)
    template = re.compile(r"\bconfig(?:\.([A-Z][A-Z0-9_]+)|\[['\"]([A-Z][A-Z0-9_]+)['\"]\])")
    for path in (PACKAGE / "templates").rglob("*.html"):
        for match in template.finditer(path.read_text()):
            add(match.group(1) or match.group(2), path)
    return found


def settings_table() -> dict[str, tuple[str, str]]:
    """Return the guide's settings table: name -> (default, what it does)."""
    section = GUIDE.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| (.*?) \| (.*?) \|$", section, re.M)
    names = [name for name, _, _ in rows]
    assert len(names) == len(set(names)), "a setting has two rows"
    return {name: (default, what) for name, default, what in rows}


def test_the_scanner_finds_settings_read_every_way():
    # a scanner that silently found nothing would make the two tests below pass on anything
    found = settings_read_by_code()
    assert "interviewkit/__init__.py" in found["BANK_PATH"]  # create_app's defaults
    assert "interviewkit/database.py" in found["SQLITE_CACHE_MB"]  # config.get in a helper
    assert "interviewkit/webhooks.py" in found["WEBHOOK_POLL_SECONDS"]  # Settings.of(config)
    assert "interviewkit/mail.py" in found["APPLICATION_ROOT"]  # config.get('...')
    assert "interviewkit/observability.py" in found["METRICS_ALLOW"]  # setdefault
    assert any(f.endswith(".html") for f in found["SCORECARD_DEADLINE_HOURS"])  # a template


def test_every_setting_the_code_reads_is_in_the_table():
    table = settings_table()
    missing = {k: sorted(v) for k, v in settings_read_by_code().items() if k not in table}
    assert not missing, f"add these to docs/deploy.md's settings table: {missing}"


def test_every_setting_in_the_table_is_read_by_the_code():
    stale = set(settings_table()) - set(settings_read_by_code())
    assert not stale, f"docs/deploy.md lists settings nothing reads: {sorted(stale)}"


# Defaults that depend on the machine: the instance folder, the checkout, a generated key.
MACHINE_DEFAULTS = {"SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "BANK_PATH", "CONTENT_ROOTS"}
MACHINE_DEFAULTS |= {"DATABASE_URL"}  # the test sets it, to keep the app off the checkout's


def test_the_table_gives_create_apps_defaults(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"})
    for name, (default, _) in settings_table().items():
        if name in MACHINE_DEFAULTS or name not in app.config:
            continue
        value = app.config[name]
        if value is None:
            assert "unset" in default, f"{name}: the default is unset, the table says {default}"
        elif isinstance(value, bool | int | str):
            shown = json.dumps(value) if isinstance(value, bool) else str(value)
            assert f"`{shown}`" in default, f"{name}: the default is {shown!r}, not {default}"


def test_settings_named_in_the_guide_and_the_env_example_are_in_the_table():
    table = settings_table()
    example = (DEPLOY / "interviewkit.env.example").read_text()
    # a dictionary's key after `__` (INTERVIEWKIT_SQLALCHEMY_ENGINE_OPTIONS__pool_size) aside
    named = set(re.findall(r"INTERVIEWKIT_([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)", GUIDE + example))
    assert named - set(table) == set()


# -- commands in the units, the image, compose and the guide ----------------------------------


@pytest.fixture(scope="module")
def commands(tmp_path_factory) -> dict[str, click.Command]:
    """Return the `interviewkit` commands as FlaskGroup finds them: the app's, then plugins'."""
    folder = tmp_path_factory.mktemp("cli")
    app = create_app({"INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{folder}/a.db"})
    found = dict(app.cli.commands)  # ours (cli.COMMANDS) and Flask-Migrate's `db`
    for plugin in entry_points(group="flask.commands"):
        found[plugin.name] = plugin.load()
    return found


def check_command(commands: dict[str, click.Command], argv: list[str]) -> None:
    """Fail unless `interviewkit ARGV...` names a real command with options it accepts."""
    shown = f"`interviewkit {shlex.join(argv)}`"
    assert argv and argv[0] in commands, f"{shown}: no such command"
    command, args = commands[argv[0]], argv[1:]
    while isinstance(command, click.Group):
        assert args and args[0] in command.commands, f"{shown}: no such command"
        command, args = command.commands[args[0]], args[1:]
    try:
        with CliRunner().isolation(input="answer\n" * 5):  # for options that prompt
            command.make_context(command.name, list(args))  # parses, runs nothing
    except click.UsageError as exc:
        pytest.fail(f"{shown}: {exc}")


def interviewkit_args(words: list[str]) -> list[str] | None:
    """Return the arguments of `interviewkit` (or the guide's `ik`) in a command line.

    The program comes first (after any VAR=value), or after `docker compose exec|run SERVICE`.
    """
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words = words[1:]
    if words[:2] == ["docker", "compose"] and words[2:3] in (["exec"], ["run"]):
        words = words[3:]
        while words and words[0].startswith("-"):  # compose's own options (--rm)
            words = words[1:]
        words = words[1:]  # the service
    if not words or not (words[0] in ("interviewkit", "ik") or words[0].endswith("/interviewkit")):
        return None
    for i, arg in enumerate(words):
        if arg in ("&&", "||", ";", "|", ">", ">>", "2>&1"):
            return words[1:i]
    return words[1:]


def test_check_command_refuses_what_the_cli_refuses(commands):
    check_command(commands, ["db", "upgrade"])
    check_command(commands, ["serve", "--host", ANY_ADDRESS])
    for wrong in (["serv"], ["serve", "--hots", "x"], ["db", "upgrad"], ["purge", "--aply"]):
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            check_command(commands, wrong)


def unit(path) -> dict[str, list[tuple[str, str]]]:
    """Parse a systemd unit file into its sections' (key, value) lines, in order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, f"{path.name}:{number}: {line!r}"
        key, value = line.split("=", 1)
        assert re.fullmatch(r"[A-Za-z]+", key.strip()), f"{path.name}:{number}: {key!r}"
        current.append((key.strip(), value.strip()))
    return sections


SERVICES = sorted(DEPLOY.glob("*.service"), key=lambda p: p.name)


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_service_units_run_a_real_command_as_the_apps_user(path, commands):
    sections = unit(path)
    service = dict(sections["Service"])
    assert {"Unit", "Service"} <= set(sections)
    assert service["User"] == "interviewkit" and service["Group"] == "interviewkit"
    assert service["EnvironmentFile"] == "/etc/interviewkit/interviewkit.env"
    assert service["WorkingDirectory"] == "/srv/interviewkit"
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[key] == "yes", key
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == "/srv/interviewkit/instance"
    words = shlex.split(service["ExecStart"])
    assert words[0] == "/srv/interviewkit/.venv/bin/interviewkit"
    check_command(commands, words[1:])


def test_the_web_unit_serves_restarts_and_starts_at_boot():
    sections = unit(DEPLOY / "interviewkit.service")
    service = dict(sections["Service"])
    assert shlex.split(service["ExecStart"])[1] == "serve"
    assert service["Restart"] in ("on-failure", "always")
    assert dict(sections["Install"])["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.timer")), ids=lambda p: p.name)
def test_timers_start_their_service(path):
    sections = unit(path)
    assert dict(sections["Timer"])["OnCalendar"]
    assert path.with_suffix(".service").exists()
    assert dict(sections["Install"])["WantedBy"] == "timers.target"


def test_systemd_analyze_verifies_the_units(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (the units are parsed above)")
    # the units name the server's paths: point them at this checkout's interviewkit
    program = shutil.which("interviewkit") or str(PROJECT / ".venv" / "bin" / "interviewkit")
    for path in DEPLOY.glob("interviewkit*.*"):
        if path.suffix in (".service", ".timer"):
            text = path.read_text().replace("/srv/interviewkit/.venv/bin/interviewkit", program)
            (tmp_path / path.name).write_text(text)
    names = sorted(str(p) for p in tmp_path.iterdir())
    run = subprocess.run([tool, "verify", *names], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr


def dockerfile() -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions, continuation lines joined, comments dropped."""
    lines = [
        line
        for line in (DEPLOY / "Dockerfile").read_text().splitlines()
        if not line.lstrip().startswith("#")
    ]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    return [tuple(line.strip().split(None, 1)) for line in text.splitlines() if line.strip()]


def test_the_image_builds_the_bank_and_serves_as_a_user_with_a_health_check(commands):
    steps = dockerfile()
    kinds = [kind for kind, _ in steps]
    assert dict(steps)["FROM"].startswith("python:3.11-slim")
    user = [arg for kind, arg in steps if kind == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert kinds.index("USER") < kinds.index("CMD")
    assert "/healthz" in dict(steps)["HEALTHCHECK"]
    assert json.loads(dict(steps)["CMD"]) == ["interviewkit", "serve", "--host", ANY_ADDRESS]
    run = [interviewkit_args(shlex.split(arg)) for kind, arg in steps if kind == "RUN"]
    run = [argv for argv in run if argv is not None]
    assert ["load"] in run, "the image builds its bank"
    for argv in [*run, json.loads(dict(steps)["CMD"])[1:]]:
        check_command(commands, argv)
    for name in re.findall(r"INTERVIEWKIT_(\w+)=", dict(steps)["ENV"]):
        assert name in settings_table()


def test_the_image_gets_no_local_secrets():
    ignored = (PROJECT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "instance/*"} <= set(ignored)


def test_compose_runs_the_app_with_postgresql_and_redis(commands):
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "postgres", "redis"} <= set(services)
    for name in ("app", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    app = services["app"]
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert app["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).exists()
    assert any(v.endswith(":/app/instance") for v in app["volumes"])
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    # pg_dump in the image (Debian bookworm's client, 15) must not be older than the server
    assert services["postgres"]["image"] == "postgres:15"
    assert "bookworm" in dict(dockerfile())["FROM"]
    for name, service in services.items():
        if "command" in service and service["command"][0] == "interviewkit":
            check_command(commands, service["command"][1:])
        for key in service.get("environment", {}):
            if key.startswith("INTERVIEWKIT_"):
                assert key.removeprefix("INTERVIEWKIT_") in settings_table(), (name, key)


def test_every_command_in_the_guide_is_real(commands):
    blocks = re.findall(r"```(?:sh|console)\n(.*?)```", GUIDE, re.S)
    checked = 0
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.removeprefix("$ ").strip()
            if not line or line.startswith("#") or line.startswith("ik()"):
                continue
            args = interviewkit_args(shlex.split(line, comments=True))
            if args:
                check_command(commands, args)
                checked += 1
    assert checked >= 8


# -- nginx ------------------------------------------------------------------------------------


NGINX_SITE = (DEPLOY / "nginx.conf").read_text()


def test_nginx_passes_the_headers_the_app_reads_and_its_body_limits(tmp_path):
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert re.search(rf"^\s*proxy_set_header {header} \$", NGINX_SITE, re.M), header
    limits = re.findall(r"client_max_body_size (\d+)m;", NGINX_SITE)
    assert [int(n) * 1024 * 1024 for n in limits] == [MAX_BODY, LARGE_BODY_ENDPOINTS["kit.save"]]
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"})
    save = next(r.rule for r in app.url_map.iter_rules() if r.endpoint == "kit.save")
    pattern = re.search(r"location ~ (\S+) \{\n\s*client_max_body_size 8m", NGINX_SITE).group(1)
    assert re.fullmatch(pattern, save.replace("<int:session_id>", "12"))
    upstream = re.search(r"server 127\.0\.0\.1:(\d+);", NGINX_SITE).group(1)
    assert int(upstream) == app.config["PORT"]
    assert "return 301 https://$host$request_uri;" in NGINX_SITE
    assert re.search(r"location = /metrics \{[^}]*deny all;", NGINX_SITE)


def nginx_test_config(tmp_path, site: str) -> str:
    """Write the site into a throwaway nginx configuration under tmp_path; return its path.

    The certificate is a fresh self-signed one; logs, temp files and the pid go to tmp_path.
    """
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=interviews.example.com",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = site.replace("/etc/letsencrypt/live/interviews.example.com/", f"{tmp_path}/")
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{temp}\naccess_log off;\ninclude {tmp_path}/site.conf;\n}}\n"
    )
    return str(conf)


def test_the_nginx_site_passes_nginx_t(tmp_path):
    for tool in ("nginx", "openssl"):
        if shutil.which(tool) is None:
            if CI:
                pytest.fail(f"{tool} is required under CI (.ci/run installs it)")
            pytest.skip(f"{tool} is not installed: apt-get install -y {tool}")
    conf = nginx_test_config(tmp_path, NGINX_SITE)
    run = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", conf, "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "test is successful" in run.stderr

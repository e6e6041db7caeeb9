"""Every route in the URL map, as every role, with every shape of bad input: never a 5xx.

The shapes are the ones a security probe sent (issue 8): ids past 64 bits, deeply nested
JSON, lone surrogates, NUL and other control characters, very long values, oversize
bodies and values of the wrong type. Each request carries the shape in its path
arguments, its query string and every form or JSON field the app reads, so a new route
or field is covered without editing this file. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from conftest import PASSWORD, app_with_bank, seed_one_user_per_role

ROLES = ("anonymous", "interviewer", "hiring_lead", "admin")
HUGE = "9" * 30
FIELDS = (
    "name email role_title level status question_id direction interviewer competencies "
    "minutes password current new confirm action recommendation seed template amend-reason "
    "q swap session"
).split()

# shape name -> (value for string path arguments and fields, value for int path arguments)
SHAPES = {
    "huge-id": (HUGE, HUGE),
    "nul": ("a\x00b", None),
    "surrogate": ("a\udcffb", None),
    "control": ("a\x1b[31m\x07b", None),
    "long": ("x" * 20_000, None),
    "negative": ("-1", "0"),
    "unicode": ("Zoë \u202e\u0301 \U0001f600", None),
}
JSON_BODIES = {
    "deep-list": "[" * 50_000 + "]" * 50_000,
    "deep-items": '{"items": [' + '{"a": ' * 3_000 + "1" + "}" * 3_000 + "]}",
    "wrong-types": json.dumps({"items": [1, None, "x", [], {"key": 5, "base": "x"}]}),
    "items-not-list": json.dumps({"items": {"key": "general"}}),
    "surrogate": '{"items": [{"key": "general", "value": "\\udcff", "base": 0, '
    '"save_id": "fuzz00001"}]}',
    "nul": '{"items": [{"key": "general\\u0000", "value": "\\u0000", "base": 0, '
    '"save_id": "fuzz00002"}]}',
    "huge-numbers": json.dumps(
        {"items": [{"key": f"score:{HUGE}", "value": 10**40, "base": 10**40, "save_id": "z" * 9}]}
    ),
    "not-utf8": b'{"items": [{"key": "general", "value": "\xff\xfe"}]}',
}


@pytest.fixture
def fuzz_world(tmp_path, database_url, real_bank):
    """An app with one user per role, a candidate and a loop the interviewer runs."""
    app = app_with_bank(tmp_path, database_url, real_bank, LOGIN_RATE_LIMIT="10000 per minute")
    seeded = seed_one_user_per_role(app)
    ids = {f"{name}_id": seeded[name] for name in ("candidate", "loop", "session", "user")}
    ids["lq_id"], ids["question_id"] = seeded["lqs"][0], seeded["question"]
    return app, ids


def _clients(app):
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login = {"email": f"{role}@example.com", "password": PASSWORD}
            assert client.post("/login", data=login).status_code == 302
        clients[role] = client
    return clients


def _urls(app, ids, text_value, int_value):
    """Yield (method, url, endpoint) for every rule, its arguments filled with the shape."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {}
        for arg in rule.arguments:
            converter = type(rule._converters[arg]).__name__
            if "Integer" in converter or "DatabaseId" in converter:
                values[arg] = int_value if int_value is not None else ids.get(arg, 1)
            else:
                values[arg] = text_value
        path = rule.rule
        for arg, value in values.items():
            path = path.replace(f"<{_spec(rule, arg)}>", _q(value))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, rule.endpoint


def _spec(rule, arg):
    for converter, _args, variable in _parse(rule.rule):
        if variable == arg:
            return f"{converter}:{variable}" if converter else variable
    raise AssertionError(arg)


def _parse(rule_text):
    import re

    for match in re.finditer(r"<(?:([a-zA-Z_]+)(?:\(([^)]*)\))?:)?([a-zA-Z_]+)>", rule_text):
        yield match.group(1), match.group(2), match.group(3)


def _q(value) -> str:
    """Percent-encode as raw UTF-8 bytes; a lone surrogate goes as the bytes a probe sends."""
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def _query(value: str) -> str:
    return "?" + "&".join(f"{f}={_q(value)}" for f in ("q", "swap", "session", "status"))


def _check(response, role, method, url, shape):
    assert response.status_code < 500, (
        f"{response.status_code} for {role} {method} {url[:120]} ({shape}): "
        + response.get_data(as_text=True)[:300]
    )


def test_no_route_answers_5xx_to_bad_input(fuzz_world):
    app, ids = fuzz_world
    clients = _clients(app)
    for shape, (text_value, int_value) in SHAPES.items():
        for method, url, endpoint in _urls(app, ids, text_value, int_value):
            for role, client in clients.items():
                if method == "GET":
                    response = client.get(url + _query(text_value))
                else:
                    response = client.open(
                        url,
                        method=method,
                        data="&".join(f"{f}={_q(text_value)}" for f in FIELDS),
                        content_type="application/x-www-form-urlencoded",
                    )
                _check(response, role, method, url, shape)
                if endpoint == "auth.logout" and role != "anonymous":
                    clients[role] = _clients(app)[role]
                    client = clients[role]


def test_no_json_or_oversize_body_gets_a_5xx(fuzz_world):
    app, ids = fuzz_world
    clients = _clients(app)
    oversize = {"name": "x" * (9 * 1024 * 1024)}
    for method, url, _endpoint in _urls(app, ids, "x", None):
        if method == "GET":
            continue
        for role, client in clients.items():
            for shape, body in JSON_BODIES.items():
                response = client.open(
                    url, method=method, data=body, content_type="application/json"
                )
                _check(response, role, method, url, shape)
            response = client.open(url, method=method, data=oversize)
            _check(response, role, method, url, "oversize")
            if role != "anonymous":
                assert response.status_code == 413, (role, url, response.status_code)

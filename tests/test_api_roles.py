"""Every API operation, for every role: the expected status, from a table.

Like tests/test_roles.py for the pages: a new API route that is not in MATRIX fails
`test_the_table_covers_every_api_route`. Requests carry a read-write token of the role's
user (none for anonymous); writes send an empty JSON object.
"""

from __future__ import annotations

import pytest
from conftest import app_with_bank, make_app, routes_of, seed_one_user_per_role
from test_api import token_for

ROLES = ("anonymous", "interviewer", "hiring_lead", "admin")

# endpoint, method, url (may use {candidate}, {question}), outcome per role.
MATRIX = [
    ("api.openapi", "GET", "/api/v1/openapi.json", (200, 200, 200, 200)),
    ("api.docs", "GET", "/api/v1/docs", (200, 200, 200, 200)),
    ("api.me", "GET", "/api/v1/me", (401, 200, 200, 200)),
    ("api.bank_info", "GET", "/api/v1/bank", (401, 200, 200, 200)),
    ("api.questions", "GET", "/api/v1/questions?q=index", (401, 200, 200, 200)),
    ("api.question", "GET", "/api/v1/questions/{question}", (401, 200, 200, 200)),
    ("api.loop_templates", "GET", "/api/v1/loop-templates", (401, 200, 200, 200)),
    # candidates are for hiring leads and admins, as on the pages
    ("api.candidates", "GET", "/api/v1/candidates", (401, 403, 200, 200)),
    ("api.candidate", "GET", "/api/v1/candidates/{candidate}", (401, 403, 200, 200)),
    # an empty body lacks the required fields
    ("api.create_candidate", "POST", "/api/v1/candidates", (401, 403, 422, 422)),
    # no If-Match: refused before anything changes
    ("api.update_candidate", "PATCH", "/api/v1/candidates/{candidate}", (401, 403, 428, 428)),
]


def test_the_table_covers_every_api_route(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    routes = routes_of(app, api=True)
    assert routes == {(endpoint, method) for endpoint, method, _, _ in MATRIX}


@pytest.fixture
def world(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_one_user_per_role(app)
    headers = {role: token_for(app, role) for role in ROLES[1:]}
    return app, ids, {"anonymous": {}, **headers}


@pytest.mark.parametrize(
    ("endpoint", "method", "url", "expected"), MATRIX, ids=[f"{m} {u}" for _, m, u, _ in MATRIX]
)
def test_api_outcome_for_every_role(world, endpoint, method, url, expected):
    app, ids, headers = world
    for role, outcome in zip(ROLES, expected, strict=True):
        response = app.test_client().open(
            url.format(**ids),
            method=method,
            headers=headers[role],
            json={} if method in ("POST", "PATCH") else None,
        )
        assert response.status_code == outcome, (role, response.get_data(as_text=True)[:300])
        if outcome >= 400:
            assert response.mimetype == "application/problem+json", role

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

# endpoint, method, url (may use {candidate}, {question}, {loop}, {session}, {lq}, {card}),
# outcome per role.
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
    ("api.users", "GET", "/api/v1/users", (401, 403, 200, 200)),
    # loops are for hiring leads and admins, as on the loop page
    ("api.create_loop", "POST", "/api/v1/candidates/{candidate}/loops", (401, 403, 422, 422)),
    ("api.loop", "GET", "/api/v1/loops/{loop}", (401, 403, 200, 200)),
    ("api.update_loop", "PATCH", "/api/v1/loops/{loop}", (401, 403, 428, 428)),
    (
        "api.update_session",
        "PATCH",
        "/api/v1/loops/{loop}/sessions/{session}",
        (401, 403, 428, 428),
    ),
    ("api.swap_question", "POST", "/api/v1/loops/{loop}/questions/{lq}/swap", (401, 403, 422, 422)),
    # feedback: the interviewer has not submitted, so others' scorecards stay hidden; the
    # interviewer's draft is theirs alone (for everyone else it does not exist)
    (
        "api.candidate_scorecards",
        "GET",
        "/api/v1/candidates/{candidate}/scorecards",
        (401, 403, 200, 200),
    ),
    ("api.scorecard", "GET", "/api/v1/scorecards/{card}", (401, 200, 404, 404)),
    # an interviewer's own sessions: the lead and the admin are not assigned this one
    ("api.my_sessions", "GET", "/api/v1/me/sessions", (401, 200, 200, 200)),
    ("api.my_session", "GET", "/api/v1/me/sessions/{session}", (401, 200, 403, 403)),
    ("api.own_scorecard", "GET", "/api/v1/me/sessions/{session}/scorecard", (401, 200, 403, 403)),
    (
        "api.save_scorecard",
        "POST",
        "/api/v1/me/sessions/{session}/scorecard/saves",
        (401, 422, 403, 403),
    ),
    (
        "api.submit_ratings",
        "POST",
        "/api/v1/me/sessions/{session}/scorecard/ratings",
        (401, 422, 403, 403),
    ),
    # the draft has no ratings yet: its state refuses the submission
    (
        "api.submit_scorecard",
        "POST",
        "/api/v1/me/sessions/{session}/scorecard/submit",
        (401, 409, 403, 403),
    ),
    ("api.decisions", "GET", "/api/v1/candidates/{candidate}/decisions", (401, 403, 200, 200)),
    (
        "api.record_decision",
        "POST",
        "/api/v1/candidates/{candidate}/decisions",
        (401, 403, 422, 422),
    ),
    ("api.debrief", "GET", "/api/v1/candidates/{candidate}/debrief", (401, 403, 200, 200)),
    ("api.numbers_calibration", "GET", "/api/v1/numbers/calibration", (401, 403, 200, 200)),
    ("api.numbers_questions", "GET", "/api/v1/numbers/questions", (401, 403, 200, 200)),
    ("api.numbers_coverage", "GET", "/api/v1/numbers/coverage", (401, 403, 200, 200)),
]


def draft_card(app, session_id: int, email: str) -> int:
    """Open `email`'s scorecard for a session (a draft, nothing submitted); return its id."""
    from interviewkit.extensions import db
    from interviewkit.kit import service
    from interviewkit.models import LoopSession, User

    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        card = service.scorecard_for(db.session.get(LoopSession, session_id), user)
        db.session.commit()
        return card.id


def test_the_table_covers_every_api_route(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    routes = routes_of(app, api=True)
    assert routes == {(endpoint, method) for endpoint, method, _, _ in MATRIX}


@pytest.fixture
def world(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_one_user_per_role(app)
    ids["lq"] = ids["lqs"][0]
    ids["card"] = draft_card(app, ids["session"], "interviewer@example.com")
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

"""Every route in the URL map, for every role: the expected outcome, from a table."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, app_with_bank, make_app, routes_of, seed_one_user_per_role

ROLES = ("anonymous", "interviewer", "hiring_lead", "admin")
LOGIN = "login"  # a redirect to the sign-in page

# endpoint, method, url (may use {candidate}, {loop}, {session}, {lq}, {user}, {question},
# {token}),
# and the outcome for anonymous, interviewer, hiring lead, admin. POSTs send an empty form.
MATRIX = [
    ("main.index", "GET", "/", (LOGIN, 200, 200, 200)),
    ("health.healthz", "GET", "/healthz", (200, 200, 200, 200)),
    # from 127.0.0.1 (the test client's address): tests/test_observability.py tries others
    ("observability.metrics", "GET", "/metrics", (200, 200, 200, 200)),
    ("static", "GET", "/static/app.css", (200, 200, 200, 200)),
    ("auth.login", "GET", "/login", (200, 302, 302, 302)),
    ("auth.login", "POST", "/login", (200, 302, 302, 302)),
    ("auth.logout", "POST", "/logout", (LOGIN, 302, 302, 302)),
    # sign-in through a provider: this world configures none (tests/test_oidc.py does);
    # a callback is answered even when signed in, so a replay is always refused
    ("auth.oidc_start", "GET", "/login/oidc/nowhere", (404, 302, 302, 302)),
    ("auth.oidc_callback", "GET", "/login/oidc/nowhere/callback", (404, 404, 404, 404)),
    ("auth.change_password", "GET", "/account/password", (LOGIN, 200, 200, 200)),
    ("auth.change_password", "POST", "/account/password", (LOGIN, 200, 200, 200)),
    # an empty token form is shown again with its problems; a token is revoked only by its
    # owner (the interviewer's, in this table): anyone else's, even for an admin, is a 404
    ("auth.api_tokens", "GET", "/account/tokens", (LOGIN, 200, 200, 200)),
    ("auth.api_tokens", "POST", "/account/tokens", (LOGIN, 200, 200, 200)),
    ("auth.revoke_api_token", "POST", "/account/tokens/{token}/revoke", (LOGIN, 302, 404, 404)),
    # one's own settings; an empty POST keeps the zone and turns both emails off (a save)
    ("auth.account", "GET", "/account", (LOGIN, 200, 200, 200)),
    ("auth.account", "POST", "/account", (LOGIN, 302, 302, 302)),
    ("auth.new_calendar_feed", "POST", "/account/calendar", (LOGIN, 200, 200, 200)),
    ("auth.revoke_calendar_feed", "POST", "/account/calendar/revoke", (LOGIN, 302, 302, 302)),
    # the feed's secret address is its credential: an unknown one is not found, for anyone
    ("auth.calendar_feed", "GET", "/calendar/not-a-token.ics", (404, 404, 404, 404)),
    # the token is the credential: anyone may open a link; a bad one is gone (410)
    ("auth.set_password_from_link", "GET", "/set-password/not-a-token", (410, 410, 410, 410)),
    ("auth.set_password_from_link", "POST", "/set-password/not-a-token", (410, 410, 410, 410)),
    ("browse.search", "GET", "/bank/?q=index", (LOGIN, 200, 200, 200)),
    ("browse.question", "GET", "/bank/questions/{question}", (LOGIN, 200, 200, 200)),
    ("admin.users", "GET", "/admin/users", (LOGIN, 403, 403, 200)),
    ("admin.new_user", "GET", "/admin/users/new", (LOGIN, 403, 403, 200)),
    ("admin.new_user", "POST", "/admin/users/new", (LOGIN, 403, 403, 200)),
    ("admin.edit_user", "GET", "/admin/users/{user}", (LOGIN, 403, 403, 200)),
    # an empty POST to an edit form keeps the stored values: a no-op save
    ("admin.edit_user", "POST", "/admin/users/{user}", (LOGIN, 403, 403, 302)),
    (
        "admin.set_password_link",
        "POST",
        "/admin/users/{user}/set-password-link",
        (LOGIN, 403, 403, 200),
    ),
    # linking a provider's account is for admins: an empty form is refused with a message
    ("admin.link_identity", "POST", "/admin/users/{user}/identities", (LOGIN, 403, 403, 302)),
    (
        "admin.unlink_identity",
        "POST",
        "/admin/users/{user}/identities/1/unlink",
        (LOGIN, 403, 403, 404),
    ),
    # webhooks are for admins; this world has none, so an admin gets as far as the 404
    # (tests/test_webhooks.py runs the pages themselves)
    ("admin.webhooks", "GET", "/admin/webhooks", (LOGIN, 403, 403, 200)),
    ("admin.new_webhook", "GET", "/admin/webhooks/new", (LOGIN, 403, 403, 200)),
    ("admin.new_webhook", "POST", "/admin/webhooks/new", (LOGIN, 403, 403, 200)),
    ("admin.webhook", "GET", "/admin/webhooks/1", (LOGIN, 403, 403, 404)),
    ("admin.webhook", "POST", "/admin/webhooks/1", (LOGIN, 403, 403, 404)),
    ("admin.enable_webhook", "POST", "/admin/webhooks/1/enable", (LOGIN, 403, 403, 404)),
    ("admin.disable_webhook", "POST", "/admin/webhooks/1/disable", (LOGIN, 403, 403, 404)),
    ("admin.rotate_webhook_secret", "POST", "/admin/webhooks/1/rotate", (LOGIN, 403, 403, 404)),
    (
        "admin.redeliver_webhook",
        "POST",
        "/admin/webhooks/1/deliveries/1/redeliver",
        (LOGIN, 403, 403, 404),
    ),
    # deleting a candidate's personal data is for admins; an empty form deletes nothing
    (
        "admin.delete_candidate",
        "GET",
        "/admin/candidates/{candidate}/delete",
        (LOGIN, 403, 403, 200),
    ),
    (
        "admin.delete_candidate",
        "POST",
        "/admin/candidates/{candidate}/delete",
        (LOGIN, 403, 403, 400),
    ),
    ("admin.audit_log", "GET", "/admin/audit", (LOGIN, 403, 403, 200)),
    ("admin.audit_export", "GET", "/admin/audit.csv", (LOGIN, 403, 403, 200)),
    ("candidates.index", "GET", "/candidates", (LOGIN, 403, 200, 200)),
    ("candidates.new", "GET", "/candidates/new", (LOGIN, 403, 200, 200)),
    ("candidates.new", "POST", "/candidates/new", (LOGIN, 403, 200, 200)),
    ("candidates.detail", "GET", "/candidates/{candidate}", (LOGIN, 403, 200, 200)),
    ("candidates.edit", "GET", "/candidates/{candidate}/edit", (LOGIN, 403, 200, 200)),
    ("candidates.edit", "POST", "/candidates/{candidate}/edit", (LOGIN, 403, 302, 302)),
    ("candidates.new_loop", "GET", "/candidates/{candidate}/loops/new", (LOGIN, 403, 200, 200)),
    ("candidates.new_loop", "POST", "/candidates/{candidate}/loops/new", (LOGIN, 403, 200, 200)),
    ("candidates.loop", "GET", "/loops/{loop}", (LOGIN, 403, 200, 200)),
    (
        "candidates.assign",
        "POST",
        "/loops/{loop}/sessions/{session}/assign",
        (LOGIN, 403, 400, 400),
    ),
    ("candidates.add", "POST", "/loops/{loop}/sessions/{session}/add", (LOGIN, 403, 400, 400)),
    ("candidates.add_session", "POST", "/loops/{loop}/sessions", (LOGIN, 403, 302, 302)),
    # an empty schedule form is refused with its problems flashed on the loop page
    (
        "candidates.schedule",
        "POST",
        "/loops/{loop}/sessions/{session}/schedule",
        (LOGIN, 403, 302, 302),
    ),
    (
        "candidates.unschedule",
        "POST",
        "/loops/{loop}/sessions/{session}/unschedule",
        (LOGIN, 403, 302, 302),
    ),
    ("candidates.schedule_loop", "POST", "/loops/{loop}/schedule", (LOGIN, 403, 302, 302)),
    ("candidates.swap", "POST", "/loops/{loop}/questions/{lq}/swap", (LOGIN, 403, 400, 400)),
    ("candidates.move", "POST", "/loops/{loop}/questions/{lq}/move", (LOGIN, 403, 400, 400)),
    ("candidates.remove", "POST", "/loops/{loop}/questions/{lq}/remove", (LOGIN, 403, 302, 302)),
    # the kit belongs to the session's interviewer only; leads read scorecards via feedback
    ("kit.queue", "GET", "/queue", (LOGIN, 200, 200, 200)),
    # the kit's JSON endpoints answer JSON even to a caller that did not ask for it
    ("kit.token", "GET", "/kit/token", (401, 200, 200, 200)),
    ("kit.kit", "GET", "/kit/{session}", (LOGIN, 200, 403, 403)),
    ("kit.state", "GET", "/kit/{session}/state", (401, 200, 403, 403)),
    ("kit.save", "POST", "/kit/{session}/save", (401, 400, 403, 403)),
    ("kit.scorecard", "GET", "/kit/{session}/scorecard", (LOGIN, 200, 403, 403)),
    ("kit.scorecard", "POST", "/kit/{session}/scorecard", (LOGIN, 400, 403, 403)),
    # before submitting their own scorecard, an interviewer sees no one else's feedback
    ("kit.feedback", "GET", "/candidates/{candidate}/feedback", (LOGIN, 403, 200, 200)),
    ("candidates.prep_note", "POST", "/loops/{loop}/prep-note", (LOGIN, 403, 302, 302)),
    # the hiring lead's half: the debrief, decisions and the numbers are for leads
    ("review.debrief", "GET", "/candidates/{candidate}/debrief", (LOGIN, 403, 200, 200)),
    (
        "review.debrief_print",
        "GET",
        "/candidates/{candidate}/debrief/print",
        (LOGIN, 403, 200, 200),
    ),
    # an empty decision form is refused with the form shown again
    ("review.decide", "POST", "/candidates/{candidate}/decision", (LOGIN, 403, 422, 422)),
    # the same rule as the feedback page: an interviewer exports after their own scorecard
    (
        "review.export_candidate",
        "GET",
        "/candidates/{candidate}/export.csv",
        (LOGIN, 403, 200, 200),
    ),
    (
        "review.export_role",
        "GET",
        "/roles/export.csv?role=Back-end+engineer",
        (LOGIN, 403, 200, 200),
    ),
    ("review.compare", "GET", "/compare?role=Back-end+engineer", (LOGIN, 403, 200, 200)),
    ("review.dashboard", "GET", "/dashboard", (LOGIN, 403, 200, 200)),
    ("review.calibration", "GET", "/numbers/calibration", (LOGIN, 403, 200, 200)),
    ("review.calibration_csv", "GET", "/numbers/calibration.csv", (LOGIN, 403, 200, 200)),
    ("review.agreement_csv", "GET", "/numbers/agreement.csv", (LOGIN, 403, 200, 200)),
    ("review.questions", "GET", "/numbers/questions", (LOGIN, 403, 200, 200)),
    ("review.questions_csv", "GET", "/numbers/questions.csv", (LOGIN, 403, 200, 200)),
    ("review.coverage_page", "GET", "/numbers/coverage", (LOGIN, 403, 200, 200)),
    ("review.coverage_csv", "GET", "/numbers/coverage.csv?loops=2", (LOGIN, 403, 200, 200)),
]


def test_the_table_covers_every_route(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    routes = routes_of(app, api=False)  # the API has its own table: tests/test_api_roles.py
    assert routes == {(endpoint, method) for endpoint, method, _, _ in MATRIX}


@pytest.fixture
def world(tmp_path, database_url, real_bank):
    """An app with one user per role, a candidate and an assembled loop."""
    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_one_user_per_role(app)
    ids["token"] = _interviewers_token(app)
    # the lead and the admin each remove a different question
    ids["lq"] = {"hiring_lead": ids["lqs"][0], "admin": ids["lqs"][1]}
    return app, ids


def _interviewers_token(app) -> int:
    from interviewkit.extensions import db
    from interviewkit.tokens import create_token
    from interviewkit.users import find_user

    with app.app_context():
        token = create_token(find_user("interviewer@example.com"), "script").token
        db.session.commit()
        return token.id


@pytest.mark.parametrize(
    ("endpoint", "method", "url", "expected"), MATRIX, ids=[f"{m} {u}" for _, m, u, _ in MATRIX]
)
def test_route_outcome_for_every_role(world, endpoint, method, url, expected):
    app, ids = world
    for role, outcome in zip(ROLES, expected, strict=True):
        client = app.test_client()
        if role != "anonymous":
            assert (
                client.post(
                    "/login", data={"email": f"{role}@example.com", "password": PASSWORD}
                ).status_code
                == 302
            )
        values = {
            k: (v.get(role, v["admin"]) if isinstance(v, dict) else v) for k, v in ids.items()
        }
        response = client.open(url.format(**values), method=method, data={})
        if outcome == LOGIN:
            assert response.status_code == 302, (role, response.status_code)
            assert response.headers["Location"].startswith("/login"), role
        else:
            assert response.status_code == outcome, (role, response.status_code)

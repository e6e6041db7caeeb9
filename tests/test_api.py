"""The JSON API: its document matches the routes, tokens, problems, paging, writes."""

from __future__ import annotations

import json

import pytest
from conftest import PASSWORD, app_with_bank, seed_one_user_per_role

from interviewkit.api.problems import BASE, PROBLEMS
from interviewkit.api.spec import openapi_document, openapi_path
from interviewkit.extensions import db
from interviewkit.models import AuditEvent, Candidate, IdempotentRequest, User
from interviewkit.tokens import create_token


@pytest.fixture
def world(tmp_path, database_url, real_bank):
    """An app on the shipped bank, one user per role, a candidate with a loop."""
    app = app_with_bank(tmp_path, database_url, real_bank)
    ids = seed_one_user_per_role(app)
    return app, ids


def token_for(app, role: str, scope: str = "read-write") -> dict:
    """Return the Authorization header of a fresh token of `<role>@example.com`."""
    with app.app_context():
        user = db.session.execute(
            db.select(User).filter_by(email=f"{role}@example.com")
        ).scalar_one()
        secret = create_token(user, f"{role} script", scope).secret
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response, status: int, slug: str, field: str | None = None) -> dict:
    """Check that the response is the problem document of type `slug`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["type"] == BASE + slug
    assert body["status"] == status
    assert body["title"] == PROBLEMS[slug][1]
    assert body["detail"]
    if field is not None:
        assert body["field"] == field
    return body


NEW = {"name": "Noor Haddad", "email": "noor@example.com", "level": "senior"}


# -- the document -----------------------------------------------------------------------------


def test_the_document_describes_exactly_the_api_routes(world):
    app, _ = world
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {
        (path, method) for path, ops in openapi_document()["paths"].items() for method in ops
    }
    assert routes == described


def test_the_document_is_served_and_valid_openapi_3_1(world):
    app, _ = world
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == set(openapi_document()["paths"])


def test_the_reference_page_lists_every_operation_without_a_cdn(world):
    app, _ = world
    page = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    for path, ops in openapi_document()["paths"].items():
        for method in ops:
            assert f"{method.upper()} {path}" in page
    assert "http://" not in page.replace("http://localhost/", "")
    assert '<script src="http' not in page


# -- authentication ---------------------------------------------------------------------------


def test_no_credentials_is_401_with_a_bearer_challenge(world):
    app, _ = world
    response = app.test_client().get("/api/v1/me")
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer ik_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer ", "Token ik_x"],
)
def test_a_bad_token_is_401(world, header):
    app, _ = world
    response = app.test_client().get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401, "invalid-token")


def test_a_token_acts_as_its_user_and_says_so(world):
    app, _ = world
    response = app.test_client().get("/api/v1/me", headers=token_for(app, "interviewer", "read"))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["email"], body["role"]) == ("interviewer@example.com", "interviewer")
    assert body["token"]["scope"] == "read"


def test_a_revoked_token_or_a_disabled_user_stops_working(world):
    app, _ = world
    headers = token_for(app, "hiring_lead")
    client = app.test_client()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(role="hiring_lead")).scalar_one()
        user.active = False
        db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=headers), 401, "invalid-token")


def test_a_read_token_cannot_write(world):
    app, _ = world
    response = app.test_client().post(
        "/api/v1/candidates", json=NEW, headers=token_for(app, "hiring_lead", "read")
    )
    assert_problem(response, 403, "insufficient-scope")
    with app.app_context():
        assert (
            db.session.execute(db.select(Candidate).filter_by(email=NEW["email"])).first() is None
        )


def test_token_requests_skip_csrf_but_cookie_writes_need_it(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank, WTF_CSRF_ENABLED=True)
    seed_one_user_per_role(app)
    token = token_for(app, "hiring_lead")
    assert app.test_client().post("/api/v1/candidates", json=NEW, headers=token).status_code == 201
    browser = app.test_client()
    login_page = browser.get("/login").get_data(as_text=True)
    csrf_token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    browser.post(
        "/login",
        data={"email": "hiring_lead@example.com", "password": PASSWORD, "csrf_token": csrf_token},
    )
    assert browser.get("/api/v1/me").status_code == 200  # cookie reads are fine
    other = {**NEW, "email": "other@example.com"}
    assert_problem(browser.post("/api/v1/candidates", json=other), 403, "csrf")
    page = browser.get("/account/password").get_data(as_text=True)  # sign-in made a new one
    csrf_token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = browser.post("/api/v1/candidates", json=other, headers={"X-CSRFToken": csrf_token})
    assert response.status_code == 201


def test_interviewers_cannot_read_candidates_through_the_api(world):
    app, ids = world
    client, headers = app.test_client(), token_for(app, "interviewer")
    assert_problem(client.get("/api/v1/candidates", headers=headers), 403, "forbidden")
    response = client.get(f"/api/v1/candidates/{ids['candidate']}", headers=headers)
    assert_problem(response, 403, "forbidden")


def test_token_use_is_rate_limited_per_token(tmp_path, database_url, real_bank):
    app = app_with_bank(tmp_path, database_url, real_bank, API_RATE_LIMIT="3 per minute")
    seed_one_user_per_role(app)
    first, second = token_for(app, "interviewer"), token_for(app, "hiring_lead")
    client = app.test_client()
    assert [client.get("/api/v1/me", headers=first).status_code for _ in range(3)] == [200] * 3
    assert_problem(client.get("/api/v1/me", headers=first), 429, "rate-limited")
    assert client.get("/api/v1/me", headers=second).status_code == 200  # its own allowance


# -- the bank ---------------------------------------------------------------------------------


def test_paging_through_a_search_returns_every_hit_once(world):
    app, _ = world
    client, headers = app.test_client(), token_for(app, "interviewer", "read")
    with app.app_context():
        from interviewkit.extensions import bank

        expected = [h.id for h in bank.search("", level="mid", limit=10_000)]
    seen, url = [], "/api/v1/questions?level=mid&limit=7"
    while url:
        body = client.get(url, headers=headers).get_json()
        assert len(body["items"]) <= 7
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        url = f"/api/v1/questions?level=mid&limit=7&cursor={cursor}" if cursor else None
    assert seen == expected and len(expected) > 7


@pytest.mark.parametrize(
    ("query", "field", "slug"),
    [
        ("limit=0", "limit", "invalid-parameter"),
        ("limit=101", "limit", "invalid-parameter"),
        ("limit=ten", "limit", "invalid-parameter"),
        ("level=principal", "level", "invalid-parameter"),
        ("cursor=%%%", "cursor", "invalid-cursor"),
        ("cursor=eyJrIjoiY2FuZGlkYXRlcyJ9", "cursor", "invalid-cursor"),  # another list's
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(world, query, field, slug):
    app, _ = world
    response = app.test_client().get(
        f"/api/v1/questions?{query}", headers=token_for(app, "interviewer", "read")
    )
    assert_problem(response, 400, slug, field)


def test_a_question_and_a_missing_one(world):
    app, ids = world
    client, headers = app.test_client(), token_for(app, "interviewer", "read")
    body = client.get(f"/api/v1/questions/{ids['question']}", headers=headers).get_json()
    assert body["id"] == ids["question"] and body["html"]["prompt"]
    assert_problem(client.get("/api/v1/questions/no-such-q", headers=headers), 404, "not-found")


def test_unknown_addresses_and_methods_answer_problems(world):
    app, _ = world
    client, headers = app.test_client(), token_for(app, "admin")
    assert_problem(client.get("/api/v1/nothing-here", headers=headers), 404, "not-found")
    response = client.delete("/api/v1/bank", headers=headers)
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


# -- candidates: create, retry, change ----------------------------------------------------------


@pytest.mark.parametrize("sort", ["-created", "created", "name"])
def test_paging_through_candidates_in_each_order_returns_each_once(world, sort):
    app, _ = world
    client, headers = app.test_client(), token_for(app, "hiring_lead")
    names = ["Zoe Park", "Adam Li", "Maya Chen", "Adam Li", "Bo Berg"]  # a repeated name
    for n, name in enumerate(names):
        body = {**NEW, "name": name, "email": f"p{n}@example.com"}
        assert client.post("/api/v1/candidates", json=body, headers=headers).status_code == 201
    seen, url = [], f"/api/v1/candidates?limit=2&sort={sort}"
    while url:
        body = client.get(url, headers=headers).get_json()
        assert len(body["items"]) <= 2
        seen += [(item["name"], item["id"]) for item in body["items"]]
        cursor = body["next_cursor"]
        url = f"/api/v1/candidates?limit=2&sort={sort}&cursor={cursor}" if cursor else None
    everyone = sorted(seen, key=lambda item: item[1])
    expected = {
        "-created": everyone[::-1],
        "created": everyone,
        "name": sorted(everyone),
    }[sort]
    assert seen == expected and len(seen) == len(names) + 1  # and the fixture's candidate
    # a cursor keeps its order: used with another, it is refused rather than misread
    first = client.get(f"/api/v1/candidates?limit=2&sort={sort}", headers=headers).get_json()
    other = "name" if sort != "name" else "created"
    response = client.get(
        f"/api/v1/candidates?limit=2&sort={other}&cursor={first['next_cursor']}", headers=headers
    )
    assert_problem(response, 400, "invalid-cursor", "cursor")
    assert_problem(
        client.get("/api/v1/candidates?sort=age", headers=headers), 400, "invalid-parameter", "sort"
    )


def test_create_a_candidate_then_read_it_back(world):
    app, _ = world
    client, headers = app.test_client(), token_for(app, "hiring_lead")
    response = client.post(
        "/api/v1/candidates", json={**NEW, "links": ["https://x.dev/cv"]}, headers=headers
    )
    assert response.status_code == 201
    created = response.get_json()
    assert response.headers["Location"] == f"/api/v1/candidates/{created['id']}"
    again = client.get(response.headers["Location"], headers=headers)
    assert again.get_json() == created
    assert again.headers["ETag"] == response.headers["ETag"]
    assert created["links"] == ["https://x.dev/cv"] and created["status"] == "active"
    with app.app_context():
        event = db.session.execute(
            db.select(AuditEvent).filter_by(
                action="candidate_created", target_id=str(created["id"])
            )
        ).scalar_one()
        assert event.detail["via"] == "api"


def test_a_retried_create_with_the_same_key_creates_one_candidate(world):
    app, _ = world
    client, headers = app.test_client(), token_for(app, "hiring_lead")
    keyed = {**headers, "Idempotency-Key": "8f14e45f-ceea-4e1a-9f6b-123456789abc"}
    first = client.post("/api/v1/candidates", json=NEW, headers=keyed)
    second = client.post("/api/v1/candidates", json=NEW, headers=keyed)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert (
            len(db.session.execute(db.select(Candidate).filter_by(email=NEW["email"])).all()) == 1
        )
        assert len(db.session.execute(db.select(IdempotentRequest)).all()) == 1
    other = client.post("/api/v1/candidates", json={**NEW, "name": "Someone Else"}, headers=keyed)
    assert_problem(other, 409, "idempotency-key-reused", "Idempotency-Key")


def test_the_same_email_twice_needs_allow_duplicate(world):
    app, _ = world
    client, headers = app.test_client(), token_for(app, "admin")
    assert client.post("/api/v1/candidates", json=NEW, headers=headers).status_code == 201
    upper = {**NEW, "email": "NOOR@example.com"}
    assert_problem(
        client.post("/api/v1/candidates", json=upper, headers=headers),
        409,
        "duplicate-candidate",
        "email",
    )
    response = client.post(
        "/api/v1/candidates", json={**upper, "allow_duplicate": True}, headers=headers
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "slug", "field"),
    [
        ({**NEW, "nickname": "N"}, 422, "unknown-field", "nickname"),
        ({**NEW, "name": 42}, 422, "invalid-field", "name"),
        ({**NEW, "links": "https://x.dev"}, 422, "invalid-field", "links"),
        ({**NEW, "links": [1]}, 422, "invalid-field", "links"),
        ({**NEW, "allow_duplicate": "yes"}, 422, "invalid-field", "allow_duplicate"),
        ({**NEW, "level": "principal"}, 422, "invalid-field", "level"),
        ({**NEW, "email": "not an email"}, 422, "invalid-field", "email"),
        ({**NEW, "name": "A\x00B"}, 422, "invalid-field", "name"),
        ({**NEW, "links": ["javascript:alert(1)"]}, 422, "invalid-field", "links"),
        ({"name": "N", "level": "mid"}, 422, "invalid-field", "email"),
        ([NEW], 400, "invalid-json", None),
    ],
)
def test_bad_candidate_bodies_are_refused_naming_the_field(world, body, status, slug, field):
    app, _ = world
    response = app.test_client().post(
        "/api/v1/candidates", json=body, headers=token_for(app, "hiring_lead")
    )
    assert_problem(response, status, slug, field)
    with app.app_context():
        assert (
            db.session.execute(db.select(Candidate).filter(Candidate.name != "C")).first() is None
        )


@pytest.mark.parametrize(
    ("data", "content_type", "status", "slug"),
    [
        (b"{not json", "application/json", 400, "invalid-json"),
        (b'{"name": "\xff\xfe"}', "application/json", 400, "invalid-json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "bad-request"),
        (b"name=N", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        (b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}', "application/json", 413, "too-large"),
    ],
    ids=["syntax", "utf-8", "deep", "form", "huge"],
)
def test_malformed_bodies_get_a_4xx_problem(world, data, content_type, status, slug):
    app, _ = world
    response = app.test_client().post(
        "/api/v1/candidates",
        data=data,
        headers={**token_for(app, "hiring_lead"), "Content-Type": content_type},
    )
    assert_problem(response, status, slug)


def test_a_change_needs_the_current_etag(world):
    app, ids = world
    client, headers = app.test_client(), token_for(app, "hiring_lead")
    url = f"/api/v1/candidates/{ids['candidate']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    assert_problem(
        client.patch(url, json={"status": "on_hold"}, headers=headers),
        428,
        "precondition-required",
    )
    response = client.patch(url, json={"status": "on_hold"}, headers={**headers, "If-Match": etag})
    assert response.status_code == 200
    assert response.get_json()["status"] == "on_hold"
    assert response.headers["ETag"] != etag
    stale = client.patch(url, json={"status": "withdrawn"}, headers={**headers, "If-Match": etag})
    assert_problem(stale, 412, "precondition-failed")
    with app.app_context():
        candidate = db.session.get(Candidate, ids["candidate"])
        assert candidate.status == "on_hold"  # the stale write changed nothing
        event = db.session.execute(
            db.select(AuditEvent).filter_by(action="candidate_updated")
        ).scalar_one()
        assert event.detail == {"via": "api", "fields": ["status"]}


@pytest.mark.parametrize("candidate_id", ["0", "99999999", str(2**63), str(10**30)])
def test_huge_or_unknown_ids_are_404(world, candidate_id):
    app, _ = world
    response = app.test_client().get(
        f"/api/v1/candidates/{candidate_id}", headers=token_for(app, "admin")
    )
    assert_problem(response, 404, "not-found")


def test_problem_types_are_all_in_the_document():
    schema = openapi_document()["components"]["schemas"]["Problem"]
    assert set(schema["properties"]["type"]["enum"]) == {BASE + slug for slug in PROBLEMS}
    assert json.dumps(openapi_document())  # plain JSON, nothing a client cannot read

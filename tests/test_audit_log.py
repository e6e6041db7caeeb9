"""The admins' audit log: what is recorded, filters, pages, CSV, and nothing secret in it."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import PASSWORD, AuthActions

NOTE = "Quokka-prep-9d1"  # text someone wrote
BAD_PASSWORD = "Wrong-horse-Pw-55x"


def _events(app, action=None):
    from interviewkit.extensions import db
    from interviewkit.models import AuditEvent

    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [
            (e.action, e.actor_id, e.target_type, e.target_id, e.detail)
            for e in db.session.scalars(query)
        ]


def test_sign_ins_and_failed_sign_ins_are_recorded_without_the_password(app, users, client):
    from interviewkit.auditlog import email_hash

    auth = AuthActions(client)
    assert auth.login(users["interviewer"], BAD_PASSWORD).status_code == 401
    assert auth.login("nobody@example.com", BAD_PASSWORD).status_code == 401
    assert auth.login(users["interviewer"]).status_code == 302
    failed = _events(app, "login_failed")
    assert failed == [
        ("login_failed", None, "user", "3", {}),
        ("login_failed", None, "email", email_hash("nobody@example.com"), {}),
    ]
    assert [e[0] for e in _events(app, "login")] == ["login"]
    assert BAD_PASSWORD not in repr(_events(app)) and "nobody@" not in repr(_events(app))


def _fill(app, users, n=0):
    """Add entries with free text in them, a role change, and `n` more logins."""
    from interviewkit.extensions import db
    from interviewkit.models import Loop, User, audit
    from interviewkit.users import find_user, update_user

    with app.app_context():
        admin = find_user(users["admin"])
        lead = find_user(users["hiring_lead"])
        update_user(lead, actor=admin, via="admin", role="admin")
        audit(lead, "prep_note_changed", Loop(id=7), before="", after=f"Focus on {NOTE}")
        audit(admin, "user_created", User(id=99), role="admin", password=PASSWORD)
        for _ in range(n):
            audit(admin, "login", admin)
        db.session.commit()


def test_the_page_filters_and_never_shows_written_text_or_passwords(app, users, client):
    _fill(app, users)
    AuthActions(client).login(users["admin"])
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "prep_note_changed" in page and "user_updated" in page
    assert 'role=["hiring_lead", "admin"]' in page  # the role change, old and new
    assert NOTE not in page and PASSWORD not in page
    only = client.get("/admin/audit?action=prep_note_changed").get_data(as_text=True)
    assert "prep_note_changed" in only and "user_updated</td>" not in only
    by_target = client.get("/admin/audit?target_type=loop&target_id=7").get_data(as_text=True)
    assert "loop 7" in by_target and "user_updated</td>" not in by_target
    future = client.get("/admin/audit?since=2999-01-01").get_data(as_text=True)
    assert "No entries match" in future
    bad = client.get("/admin/audit?since=yesterday")
    assert bad.status_code == 200 and "is not a date" in bad.get_data(as_text=True)


def test_the_page_filters_by_actor_and_pages(app, users, client):
    from interviewkit.users import find_user

    _fill(app, users, n=60)
    AuthActions(client).login(users["admin"])
    with app.app_context():
        lead_id = find_user(users["hiring_lead"]).id
    mine = client.get(f"/admin/audit?actor={lead_id}").get_data(as_text=True)
    assert "prep_note_changed" in mine and "user_updated</td>" not in mine
    first = client.get("/admin/audit?action=login").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Older" in first
    second = client.get("/admin/audit?action=login&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and "Newer" in second


def test_the_csv_export_is_audited_neutralised_and_free_of_text(app, users, client):
    from interviewkit.extensions import db
    from interviewkit.users import find_user

    _fill(app, users)
    with app.app_context():
        find_user(users["admin"]).name = "=HYPERLINK(1)"
        db.session.commit()
    AuthActions(client).login(users["admin"])
    response = client.get("/admin/audit.csv?action=prep_note_changed")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    assert NOTE not in text and PASSWORD not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["id", "at", "actor_id", "actor", "action"]
    assert [r[4] for r in rows[1:]] == ["prep_note_changed"]
    everything = list(
        csv.reader(io.StringIO(client.get("/admin/audit.csv").get_data(as_text=True)))
    )
    assert "'=HYPERLINK(1)" in [r[3] for r in everything]
    exported = _events(app, "audit_exported")
    assert exported[0][4] == {"rows": 1, "filters": {"action": "prep_note_changed"}}


@pytest.mark.parametrize(
    ("detail", "shown"),
    [
        ({"before": "a", "after": "b", "session": 3}, {"session": 3}),
        ({"password": "set"}, {"password": "set"}),
        ({"password": "hunter2-hunter2"}, {}),
        ({"evidence:design": ["", "x"], "score:design": [2, 3]}, {"score:design": [2, 3]}),
        ({"name": "x" * 500}, {}),
        (
            {"reason": "candidate_request", "fields": ["name"]},
            {"reason": "candidate_request", "fields": ["name"]},
        ),
    ],
)
def test_safe_detail_keeps_facts_and_drops_text(detail, shown):
    from interviewkit.auditlog import safe_detail

    assert safe_detail(detail) == shown

"""The bank browser: full-text search with highlights, filters, question pages."""

from __future__ import annotations

import pytest
from conftest import make_app

from interviewkit.bank.writer import load


@pytest.fixture
def bank_app(tmp_path, database_url, content_root):
    app = make_app(tmp_path, database_url, CONTENT_ROOTS=[str(content_root)])
    load([content_root], app.config["BANK_PATH"])
    return app


@pytest.fixture
def signed_in(bank_app, users_in):
    client = bank_app.test_client()
    client.post("/login", data={"email": "ivan@example.com", "password": users_in})
    return client


@pytest.fixture
def users_in(bank_app):
    from conftest import PASSWORD

    from interviewkit.users import create_user

    with bank_app.app_context():
        create_user("ivan@example.com", "Ivan", "interviewer", PASSWORD)
    return PASSWORD


def test_question_content_needs_sign_in(bank_app):
    client = bank_app.test_client()
    for url in ("/bank/", "/bank/?q=index", "/bank/questions/sample-1"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_search_highlights_matches(signed_in):
    page = signed_in.get("/bank/?q=composite").get_data(as_text=True)
    assert "Question sample-4" in page
    assert "<mark>composite</mark>" in page
    assert "Question sample-1" not in page


def test_search_by_prefix_and_stem(signed_in):
    page = signed_in.get("/bank/?q=retr").get_data(as_text=True)
    assert "Question sample-2" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=junior", []),
        ("level=mid", ["sample-1", "sample-2", "sample-3", "sample-4"]),
        ("competency=security", []),
        ("competency=concurrency&q=library", ["sample-3"]),
        ("kind=design", []),
        ("tag=async&q=checkout", ["sample-2"]),
    ],
)
def test_filters(signed_in, query, expected):
    page = signed_in.get(f"/bank/?{query}").get_data(as_text=True)
    found = sorted(f"sample-{i}" for i in range(1, 5) if f'/bank/questions/sample-{i}"' in page)
    assert found == expected


@pytest.mark.parametrize(
    "query", ['"unbalanced', "NEAR(a b", "a OR", "*", "title:x", "'; DROP TABLE questions; --"]
)
def test_search_syntax_never_errors(signed_in, query):
    assert signed_in.get("/bank/", query_string={"q": query}).status_code == 200


def test_question_page_shows_every_section(signed_in):
    page = signed_in.get("/bank/questions/sample-1").get_data(as_text=True)
    for text in (
        "Prompt",
        "Probes",
        "Scoring guide",
        "Bar by level",
        "Red flags",
        "Explain why one slow blocking call",
        "Adds both loop-lag metrics",
    ):
        assert text in page


def test_unknown_question_is_a_404_page(signed_in):
    response = signed_in.get("/bank/questions/no-such-thing")
    assert response.status_code == 404
    assert "No question &#39;no-such-thing&#39; in the bank" in response.get_data(as_text=True)


def test_missing_bank_is_explained(bank_app, signed_in):
    import os

    os.remove(bank_app.config["BANK_PATH"])
    response = signed_in.get("/bank/")
    assert response.status_code == 503
    assert "interviewkit load" in response.get_data(as_text=True)


def test_browser_sees_a_rebuilt_bank(bank_app, signed_in, content_root):
    from conftest import write_question

    write_question(content_root, "fresh-one", prompt="Brand new prompt about zebras in caches.")
    load([content_root], bank_app.config["BANK_PATH"])
    assert "Question fresh-one" in signed_in.get("/bank/?q=zebras").get_data(as_text=True)

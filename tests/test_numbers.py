"""The numbers pages: SQL aggregation gives the hand-computed values, on both databases."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import PASSWORD, AuthActions, make_app
from conftest import add_scored_panel as add_panel

from interviewkit.analytics import stats


@pytest.fixture
def app(tmp_path, database_url):
    app = make_app(tmp_path, database_url)
    with app.app_context():
        from interviewkit.users import create_user

        create_user("lead@example.com", "Lee Lead", "hiring_lead", PASSWORD)
    return app


def ids_by_name(app) -> dict[str, int]:
    from interviewkit.extensions import db
    from interviewkit.models import User

    with app.app_context():
        return {u.name: u.id for u in db.session.scalars(db.select(User))}


def seed_calibration(app):
    # Ana is lenient against Ben; Cy joins one panel; Ana runs two sessions on candidate 5.
    add_panel(app, "hire", [("Ana", {"x": 4}, "yes", []), ("Ben", {"x": 2}, "no", [])])
    add_panel(app, "no_hire", [("Ana", {"x": 3}, "yes", []), ("Ben", {"x": 2}, "no", [])])
    add_panel(app, "hire", [("Ana", {"x": 4}, "strong_yes", []), ("Ben", {"x": 3}, "yes", [])])
    add_panel(
        app,
        None,
        [("Ana", {"x": 4}, "yes", []), ("Ben", {"x": 2}, "no", []), ("Cy", {"x": 3}, "yes", [])],
    )
    add_panel(
        app,
        "no_hire",
        [("Ana", {"x": 4}, "yes", []), ("Ana", {"x": 2}, "yes", []), ("Ben", {"x": 1}, "no", [])],
    )


def test_offsets_are_summed_in_sql_exactly_as_worked_by_hand(app):
    from interviewkit.analytics import queries

    seed_calibration(app)
    who = ids_by_name(app)
    with app.app_context():
        moments = queries.offset_moments()
    # Ana: 4-2=2, 3-2=1, 4-3=1, 4-(2+3)/2=1.5, and on candidate 5 her mean (4+2)/2=3 less 1 = 2
    ana = [2, 1, 1, 1.5, 2]
    # Ben: the mirror image on the pairs; -1.5 on the three-way panel; 1-3=-2 on candidate 5
    ben = [-2, -1, -1, -1.5, -2]
    cy = [3 - (4 + 2) / 2]
    for name, ds in (("Ana", ana), ("Ben", ben), ("Cy", cy)):
        n, total, sq = moments[who[name]]
        assert n == len(ds)
        assert total == pytest.approx(sum(ds))
        assert sq == pytest.approx(sum(d * d for d in ds))


def test_an_offset_is_shown_only_with_enough_paired_scores(app):
    seed_calibration(app)
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    who = ids_by_name(app)
    page = client.get("/numbers/calibration").get_data(as_text=True)
    row = lambda name: page.split(f'data-user="{who[name]}"')[1].split("</tr>")[0]  # noqa: E731
    # Ana has 5 paired scores (MIN_PAIRS): mean (2+1+1+1.5+2)/5 = 1.5
    assert stats.MIN_PAIRS == 5
    assert "+1.50" in row("Ana")
    assert "not enough data yet" in row("Cy")  # one paired score
    assert "not enough data yet (1 of 5 paired scores)" in row("Cy")
    # Ana's recommendations: yes/hire, yes/no_hire, strong_yes/hire, yes/no_hire x2 -> 2 of 5
    assert "(2 of 5" in row("Ana")


def test_the_calibration_csv_carries_the_numbers_behind_the_chart(app):
    seed_calibration(app)
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    body = client.get("/numbers/calibration.csv").get_data(as_text=True)
    rows = {r["interviewer"]: r for r in csv.DictReader(io.StringIO(body))}
    assert rows["Ana"]["offset"] == "1.500"
    assert rows["Ana"]["paired_scores"] == "5"
    assert rows["Cy"]["offset"] == ""  # below the minimum, no number is given
    # Ana's own scores: 4, 3, 4, 4, 4, 2 -> mean 21 / 6 = 3.5
    assert rows["Ana"]["mean_score"] == "3.500"


def test_agreement_from_sql_coincidences_matches_the_plain_function(app):
    from interviewkit.analytics import queries

    seed_calibration(app)
    add_panel(app, None, [("Ana", {"y": 3}, "yes", []), ("Ben", {"y": 3}, "yes", [])])
    add_panel(app, None, [("Ana", {"y": 1}, "no", []), ("Ben", {"y": 1}, "no", [])])
    with app.app_context():
        got = queries.agreement()
    # every scorecard is a rater: units are the card scores per candidate and competency
    x_units = [[4, 2], [3, 2], [4, 3], [4, 2, 3], [4, 2, 1]]
    assert got["x"][0] == pytest.approx(stats.krippendorff_alpha_ordinal(x_units))
    assert got["x"][1:] == (5, 12)
    assert got["y"][0] == pytest.approx(1.0)  # perfect agreement on y


def test_question_statistics_count_versions_and_agreement_with_the_decision(app):
    from interviewkit.analytics import queries

    # q1 (version a then b) scored by one interviewer per candidate; 0 is "not asked"
    add_panel(app, "hire", [("Ana", {"x": 3}, "yes", [("q1", "a", 4), ("q2", "h", 1)])])
    add_panel(app, "hire", [("Ana", {"x": 3}, "yes", [("q1", "a", 3), ("q2", "h", 1)])])
    add_panel(app, "no_hire", [("Ana", {"x": 2}, "no", [("q1", "b", 1), ("q2", "h", 0)])])
    add_panel(app, None, [("Ana", {"x": 2}, "no", [("q1", "b", 2)])])
    with app.app_context():
        rows = {r.question_id: r for r in queries.question_rows()}
    q1 = rows["q1"].stats
    assert q1.asked == 4 and q1.not_asked == 0
    assert q1.distribution == {1: 1, 2: 1, 3: 1, 4: 1}
    assert q1.mean == 2.5
    assert q1.decision_n == 3  # the undecided candidate is left out
    # by hand: scores 4, 3 hired and 1 not -> r = point-biserial of (4,1) (3,1) (1,0)
    assert q1.decision_r == pytest.approx(stats.point_biserial([4, 3, 1], [True, True, False]))
    assert [v.content_hash for v in rows["q1"].versions] == ["a", "b"]
    assert rows["q1"].versions[0].stats.distribution == {1: 0, 2: 0, 3: 1, 4: 1}
    assert rows["q2"].stats.not_asked == 1 and rows["q2"].versions == []
    assert rows["q1"].title.startswith("Title of q1")


def test_question_flags_reach_the_page_and_the_csv(app):
    for _ in range(10):
        add_panel(app, "hire", [("Ana", {"x": 1}, "no", [("too-hard", "h", 1)])])
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    page = client.get("/numbers/questions").get_data(as_text=True)
    assert "100% of candidates score 1" in page
    assert "<svg" in page and "<desc" in page
    body = client.get("/numbers/questions.csv").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["question"] == "too-hard" and row["score_1"] == "10"
    assert "score 1" in row["flags"]


@pytest.mark.parametrize(
    "path",
    [
        "/numbers/calibration",
        "/numbers/calibration.csv",
        "/numbers/agreement.csv",
        "/numbers/questions",
        "/numbers/questions.csv",
        "/dashboard",
        "/compare",
    ],
)
def test_numbers_pages_work_on_an_empty_database_and_are_for_leads_only(app, path):
    client = app.test_client()
    assert client.get(path).status_code == 302  # anonymous: sign in first
    with app.app_context():
        from interviewkit.users import create_user

        create_user("i@example.com", "Ivy", "interviewer", PASSWORD)
    AuthActions(client).login("i@example.com")
    assert client.get(path).status_code == 403
    lead = app.test_client()
    AuthActions(lead).login("lead@example.com")
    assert lead.get(path).status_code == 200


def test_the_chart_numbers_are_beside_it_as_a_table(app):
    seed_calibration(app)
    client = app.test_client()
    AuthActions(client).login("lead@example.com")
    page = client.get("/numbers/calibration").get_data(as_text=True)
    assert 'role="img"' in page
    assert '<table class="grid calibration">' in page
    assert '<table class="grid agreement">' in page
    assert "/numbers/calibration.csv" in page and "/numbers/agreement.csv" in page


def test_median_hours_to_submit_are_worked_out_by_hand(app):
    """From the session's scheduled time (else the first save) to the submitted scorecard."""
    from datetime import datetime, timedelta

    from interviewkit.analytics import queries
    from interviewkit.extensions import db
    from interviewkit.models import LoopSession, Scorecard

    seed_calibration(app)
    who = ids_by_name(app)
    start = datetime(2026, 5, 4, 9, 0, 0)
    with app.app_context():
        ana_cards = db.session.scalars(
            db.select(Scorecard).filter_by(interviewer_id=who["Ana"]).order_by(Scorecard.id)
        ).all()
        # Ana's six cards: 2 h, 30 min, 26 h, 5 h 15 min, then two started (not scheduled)
        for card, hours, scheduled in zip(
            ana_cards,
            [2, 0.5, 26, 5.25, 1, 3],
            [True, True, True, True, False, False],
            strict=True,
        ):
            session = db.session.get(LoopSession, card.session_id)
            session.scheduled_at = start if scheduled else None
            card.started_at = start
            card.submitted_at = start + timedelta(hours=hours)
        cy_card = db.session.scalar(db.select(Scorecard).filter_by(interviewer_id=who["Cy"]))
        db.session.get(LoopSession, cy_card.session_id).scheduled_at = start
        cy_card.submitted_at = start - timedelta(hours=1)  # submitted before the slot: 0, not -1
        db.session.commit()
        rows = {c.user.id: c for c in queries.calibration()}
    assert rows[who["Ana"]].submitted == 6
    # sorted: 0.5, 1, 2, 3, 5.25, 26 -> median (2 + 3) / 2
    assert rows[who["Ana"]].median_hours == pytest.approx(2.5, abs=1e-4)
    assert rows[who["Cy"]].median_hours == pytest.approx(0.0, abs=1e-4)


def test_the_numbers_follow_every_change_to_what_they_are_computed_from(app):
    """The pages remember their numbers per worker, so each kind of change must show at once.

    A new panel, an amendment, a decision, a change of decision and a deleted candidate
    each change what calibration, agreement and question statistics say; the next call
    after each must see it, while a draft's autosave must not make them recompute.
    """
    from sqlalchemy import event

    from interviewkit.analytics import queries
    from interviewkit.extensions import db
    from interviewkit.kit import service as kit
    from interviewkit.models import Candidate, Scorecard, User
    from interviewkit.review.service import record_decision

    seed_calibration(app)
    who = ids_by_name(app)

    def numbers():
        rows = {c.user.id: c for c in queries.calibration()}
        return (
            {
                w: (c.spread.n if c.spread else 0, c.match.n if c.match else 0)
                for w, c in rows.items()
            },
            queries.offset_moments()[who["Ana"]][0],
            queries.agreement()["x"][1:],
            sum(sum(r.stats.distribution.values()) for r in queries.question_rows()),
        )

    with app.app_context():
        before = numbers()
        db.session.commit()  # a new transaction, as the next request would have
        statements: list[str] = []
        record = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert numbers() == before
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        # remembered: no aggregation again, and one fingerprint for the four numbers read
        # in one transaction (then the users' names)
        assert not any("GROUP BY" in s.upper() for s in statements), statements
        assert sum("sum(scorecards.id)" in s for s in statements) == 1, statements

    # a new panel: Ana gains a paired score and a scored unit appears
    add_panel(app, None, [("Ana", {"x": 2}, "no", []), ("Ben", {"x": 2}, "no", [])])
    with app.app_context():
        after_panel = numbers()
    assert after_panel[1] == before[1] + 1
    assert after_panel[2][0] == before[2][0] + 1

    # an amendment changes a score: Ana's offset sums move
    with app.app_context():
        ana = db.session.get(User, who["Ana"])
        card = db.session.scalars(
            db.select(Scorecard).filter_by(interviewer_id=who["Ana"]).order_by(Scorecard.id.desc())
        ).first()
        sums = queries.offset_moments()[who["Ana"]]
        assert kit.amend(card, ana, "typo in the score", {"x": 4}, {}, None) == {}
        candidate_id = card.session.loop.candidate_id
        db.session.commit()
        assert queries.offset_moments()[who["Ana"]][1] == pytest.approx(sums[1] + 2)

    # a decision, then a change of it: the recommendation match counts follow
    with app.app_context():
        lead = db.session.scalar(db.select(User).filter_by(email="lead@example.com"))
        candidate = db.session.get(Candidate, candidate_id)
        decided = numbers()[0][who["Ana"]][1]
        record_decision(candidate, lead, "no_hire", "Both panelists said no on design.")
        db.session.commit()
        assert numbers()[0][who["Ana"]][1] == decided + 1
        share = {c.user.id: c.match for c in queries.calibration()}[who["Ana"]].mean
        record_decision(candidate, lead, "hire", "Both panelists said no on design.", "re-read")
        db.session.commit()
        assert {c.user.id: c.match for c in queries.calibration()}[who["Ana"]].mean < share

    # a deleted candidate takes their scores out of every number
    with app.app_context():
        db.session.delete(db.session.get(Candidate, candidate_id))
        db.session.commit()
        assert numbers()[1] == before[1]

    # a draft's autosave does not change a counted scorecard: the fingerprint stays
    with app.app_context():
        version = queries.data_version()
        draft = db.session.scalars(db.select(Scorecard).order_by(Scorecard.id)).first()
        draft.status = "draft"
        db.session.commit()
        assert queries.data_version() != version  # a card leaving the count is a change
        version = queries.data_version()
        kit.save_text(draft, "general", "more notes", 0, "save-1")
        db.session.commit()
        assert queries.data_version() == version


def test_warm_computes_the_calibration_numbers_side_by_side(app, monkeypatch):
    """After a change, the three aggregates run on their own threads and connections, give
    what they give in turn, and are remembered: the page computes nothing more."""
    import threading

    from interviewkit.analytics import queries

    seed_calibration(app)
    with app.app_context():
        expected = {name: compute() for name, compute in queries.WARM.items()}
    threads: dict[str, int] = {}
    # each waits for the other two: it only gets past if all three run at the same time
    together = threading.Barrier(3, timeout=20)
    for name, compute in list(queries.WARM.items()):

        def recorded(name=name, compute=compute):
            threads[name] = threading.get_ident()
            together.wait()
            return compute()

        monkeypatch.setitem(queries.WARM, name, recorded)
    with app.test_request_context("/numbers/calibration"):
        queries.warm("rater_moments", "calibration", "agreement")
        memo = app.extensions["interviewkit.numbers"]
        assert {name: memo[(name,)][1] for name in expected} == expected
        assert len(set(threads.values())) == 3
        assert threading.get_ident() not in threads.values()
        # remembered for this data: a second warm computes nothing
        threads.clear()
        queries.warm("rater_moments", "calibration", "agreement")
        assert threads == {}
        people = queries.calibration()
    assert {p.user.name for p in people} == {"Ana", "Ben", "Cy"}
    # a change (a new panel) makes them stale: warm computes them again
    together.reset()
    add_panel(app, "hire", [("Ana", {"x": 4}, "yes", []), ("Cy", {"x": 4}, "yes", [])])
    with app.test_request_context("/numbers/calibration"):
        queries.warm("rater_moments", "calibration", "agreement")
    assert set(threads) == {"rater_moments", "calibration", "agreement"}

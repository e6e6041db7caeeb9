"""End-to-end in a real browser (Debian's Chromium driven by Playwright).

An interviewer runs a whole session from the keyboard, loses the network mid-note, keeps
typing, comes back, reloads, and submits; a second interviewer's browser proves the
independence rule. Screenshots for the README are written to docs/screenshots/.
Runs on SQLite (the database layer is tested on both databases elsewhere).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import yaml
from conftest import PASSWORD, PROJECT, app_with_bank, seed_two_interviewer_loop
from werkzeug.serving import make_server

from interviewkit.extensions import db
from interviewkit.models import KitScore, KitText, LoopSession

CHROMIUM = os.environ.get("INTERVIEWKIT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = PROJECT / "docs" / "screenshots"


def _browser_or_skip():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        message = (
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get install -y chromium` to run the browser tests"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return sync_api


@pytest.fixture(scope="module")
def playwright_browser():
    sync_api = _browser_or_skip()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(tmp_path, real_bank):
    """A running server with a lead, two interviewers and an assembled loop."""
    app = app_with_bank(
        tmp_path, f"sqlite:///{tmp_path / 'app.db'}", real_bank, WTF_CSRF_ENABLED=True
    )
    ids = seed_two_interviewer_loop(app, seed="browser")
    server = Server(app)
    ids["server"] = server
    yield app, f"http://127.0.0.1:{server.port}", ids
    server.stop()


class Server:
    """A real HTTP server for the app in a thread, which a test can stop and start again."""

    def __init__(self, app, port=0):
        self.app = app
        self._httpd = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self._httpd.server_port
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self):
        """Stop serving and close the listening socket (connections are refused)."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def restart(self):
        """Serve again on the same port, as after a server restart."""
        self.__init__(self.app, self.port)


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/")


def open_kit(context, base, email, session_id):
    """Open a new tab, sign in and go to the kit of a session."""
    page = context.new_page()
    sign_in(page, base, email)
    page.goto(f"{base}/kit/{session_id}")
    return page


def saved(page, timeout=15000):
    from playwright.sync_api import expect

    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved", timeout=timeout)


def db_state(app, session_id):
    with app.app_context():
        session = db.session.get(LoopSession, session_id)
        texts = {t.key: t.text for t in db.session.execute(db.select(KitText)).scalars()}
        scores = {
            s.loop_question_id: s.score for s in db.session.execute(db.select(KitScore)).scalars()
        }
        return session, texts, scores


def run_scorecard(page, base, session_id, screenshot=None):
    page.goto(f"{base}/kit/{session_id}/scorecard")
    for radio in page.locator("input[name=recommendation]").all()[2:3]:
        radio.check()
    for group in page.locator(".score-choice[aria-label^='Score for']").all():
        if not group.locator("input:checked").count():  # keep the suggested score
            group.locator("input[value='3']").check()
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=True)
    page.click("button[value=ratings]")
    page.wait_for_url(f"{base}/kit/{session_id}/scorecard")
    for area in page.locator("textarea[data-key^='evidence:']").all():
        area.fill("Walked through the design with concrete trade-offs and numbers.")
    saved(page)
    page.click("button[value=evidence]")


def test_whole_session_from_the_keyboard_survives_going_offline(playwright_browser, live):
    from playwright.sync_api import expect

    app, base, ids = live
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    page = open_kit(context, base, "ivan@example.com", ids["ivan_session"])
    questions = page.locator(".kq")
    count = questions.count()
    assert count >= 2
    # score every question from the keyboard, moving with j
    for n in range(count):
        page.keyboard.press(str(1 + n % 4))
        if n < count - 1:
            page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("n")
    page.keyboard.type("Clear on the event loop. ")
    saved(page)
    # the network drops: keep typing, the page says it is not saved and keeps the text
    context.set_offline(True)
    page.keyboard.type("Then proposed a bounded thread pool, with a timeout.")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "retrying", timeout=10000)
    page.keyboard.press("Escape")
    page.keyboard.press("g")
    page.keyboard.type("Good rapport; asked sharp questions.")
    context.set_offline(False)
    saved(page, timeout=20000)
    session, texts, scores = db_state(app, ids["ivan_session"])
    with app.app_context():
        session = db.session.get(LoopSession, ids["ivan_session"])
        lqs = [q.id for q in session.questions]
    note = texts[f"notes:{lqs[count - 2]}"]
    assert note == "Clear on the event loop. Then proposed a bounded thread pool, with a timeout."
    assert texts["general"] == "Good rapport; asked sharp questions."
    assert [scores[q] for q in lqs] == [1 + n % 4 for n in range(count)]
    # reload: everything is still there, and the browser copy is gone once saved
    started = page.evaluate(
        f"JSON.parse(localStorage.getItem('ik-timer:' + "
        f"document.getElementById('kit').dataset.user + ':{ids['ivan_session']}')).start"
    )
    page.reload()
    # the timers carry on from where they were, not from zero
    assert (
        page.evaluate(
            f"JSON.parse(localStorage.getItem('ik-timer:' + "
            f"document.getElementById('kit').dataset.user + ':{ids['ivan_session']}')).start"
        )
        == started
    )
    expect(page.locator("#timer-session")).not_to_have_text("0:00")
    expect(page.locator(f'textarea[data-key="notes:{lqs[count - 2]}"]')).to_have_value(note)
    expect(page.locator(".kq").first.locator("button[aria-pressed=true]")).to_have_text("1")
    drafts = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ik-draft:'))")
    assert drafts == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "kit.png"))
    run_scorecard(page, base, ids["ivan_session"], screenshot=SHOTS / "scorecard.png")
    page.wait_for_url(f"{base}/candidates/{ids['candidate']}/feedback")
    assert "Walked through the design" in page.content()
    context.close()


def test_expired_sign_in_keeps_the_draft_until_signed_in_again(playwright_browser, live):
    from playwright.sync_api import expect

    app, base, ids = live
    context = playwright_browser.new_context()
    page = open_kit(context, base, "ivan@example.com", ids["ivan_session"])
    page.keyboard.press("g")
    page.keyboard.type("Before expiry. ")
    saved(page)
    context.clear_cookies()  # the sign-in ends mid-interview
    page.keyboard.type("Typed while signed out.")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "signedout", timeout=10000)
    page.click("#save-status a")
    page.fill("input[name=email]", "ivan@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/kit/{ids['ivan_session']}")
    saved(page)
    _, texts, _ = db_state(app, ids["ivan_session"])
    assert texts["general"] == "Before expiry. Typed while signed out."
    # signing out removes any copy kept in the browser
    page.click("#logout-form button")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ik-draft:'))") == []
    context.close()


def test_two_tabs_keep_both_texts(playwright_browser, live):
    app, base, ids = live
    context = playwright_browser.new_context()
    first = open_kit(context, base, "ivan@example.com", ids["ivan_session"])
    second = context.new_page()
    second.goto(f"{base}/kit/{ids['ivan_session']}")
    first.fill('textarea[data-key="general"]', "Written in the first tab.")
    saved(first)
    second.fill('textarea[data-key="general"]', "Written in the second tab.")
    saved(second)
    _, texts, _ = db_state(app, ids["ivan_session"])
    assert "Written in the first tab." in texts["general"]
    assert "Written in the second tab." in texts["general"]
    assert second.input_value('textarea[data-key="general"]') == texts["general"]
    context.close()


def test_second_interviewer_sees_feedback_only_after_submitting(playwright_browser, live):
    app, base, ids = live
    ivan_ctx = playwright_browser.new_context()
    ivan = open_kit(ivan_ctx, base, "ivan@example.com", ids["ivan_session"])
    ivan.fill('textarea[data-key="general"]', "IVAN-SECRET-NOTE")
    saved(ivan)
    run_scorecard(ivan, base, ids["ivan_session"])
    iris_ctx = playwright_browser.new_context()
    iris = iris_ctx.new_page()
    sign_in(iris, base, "iris@example.com")
    response = iris.goto(f"{base}/candidates/{ids['candidate']}/feedback")
    assert response.status == 403
    assert "Submit your own scorecard first" in iris.content()
    assert "IVAN" not in iris.content() and "Walked through" not in iris.content()
    iris.goto(f"{base}/kit/{ids['iris_session']}")
    assert "Walked through" not in iris.content()
    run_scorecard(iris, base, ids["iris_session"])
    iris.wait_for_url(f"{base}/candidates/{ids['candidate']}/feedback")
    assert "Walked through the design" in iris.content()
    assert "Ivan Interviewer" in iris.content()
    ivan_ctx.close()
    iris_ctx.close()


def test_kit_fits_a_tablet_and_prints_as_a_paper_kit(playwright_browser, live):
    from playwright.sync_api import expect

    app, base, ids = live
    context = playwright_browser.new_context(viewport={"width": 820, "height": 1180})
    page = open_kit(context, base, "ivan@example.com", ids["ivan_session"])
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.emulate_media(media="print")
    expect(page.locator(".kit-bar")).to_be_hidden()
    expect(page.locator(".kq .score").first).to_be_hidden()
    # folded sections print in full
    expect(page.locator(".kq details").nth(1).locator("ul").first).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    context.close()


def test_lead_creates_a_candidate_and_assembles_a_loop(playwright_browser, live):
    from playwright.sync_api import expect

    app, base, ids = live
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, "lead@example.com")
    page.goto(f"{base}/bank/?q=idempotency")
    expect(page.locator("mark").first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "bank.png"))
    page.goto(f"{base}/candidates/new")
    page.fill("input[name=name]", "Alex Morgan")
    page.fill("input[name=email]", "alex@example.com")
    page.select_option("select[name=level]", "senior")
    page.click("input[type=submit]")
    page.click("text=Assemble a loop")
    expect(page.locator("select[name=template]")).to_have_value("backend-senior")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Back-end engineer, senior")
    sessions = yaml.safe_load(
        (PROJECT / "rubrics/loops/backend-senior.md").read_text().split("---")[1]
    )
    assert page.locator(".session").count() == len(sessions["sessions"]) == 6
    page.locator("form[action$='/assign'] select").first.select_option(label="Ivan Interviewer")
    page.locator("form[action$='/assign'] button").first.click()
    expect(page.locator("form[action$='/assign'] select").first).to_have_value(
        str(_user_id(app, "ivan@example.com"))
    )
    page.screenshot(path=str(SHOTS / "loop.png"))
    context.close()


def _user_id(app, email):
    from interviewkit.models import User

    with app.app_context():
        return db.session.execute(db.select(User.id).filter_by(email=email)).scalar()


def test_notes_typed_while_the_server_restarts_are_saved(playwright_browser, live):
    from playwright.sync_api import expect

    app, base, ids = live
    context = playwright_browser.new_context()
    page = open_kit(context, base, "ivan@example.com", ids["ivan_session"])
    page.keyboard.press("g")
    page.keyboard.type("Before the restart. ")
    saved(page)
    ids["server"].stop()
    page.keyboard.type("During the restart.")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "retrying", timeout=10000)
    ids["server"].restart()
    saved(page, timeout=20000)
    _, texts, _ = db_state(app, ids["ivan_session"])
    assert texts["general"] == "Before the restart. During the restart."
    context.close()


def test_an_over_long_note_is_refused_alone_and_the_others_save(playwright_browser, live):
    """Regression (issue 8.2): one over-long field made the whole batch fail, so every other
    field lived only in the browser."""
    from playwright.sync_api import expect

    app, base, ids = live
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    page = open_kit(context, base, "ivan@example.com", ids["ivan_session"])
    general = page.locator('textarea[data-key="general"]')
    assert general.get_attribute("maxlength") == "100000"
    # typing stops at the maximum; a pasted or restored draft can still be longer
    page.evaluate(
        """() => {
        const el = document.querySelector('textarea[data-key="general"]');
        el.value = 'L'.repeat(100001);
        el.dispatchEvent(new Event('input'));
    }"""
    )
    first_notes = page.locator("textarea[data-key^='notes:']").first
    first_notes.click()
    page.keyboard.type("A normal note that must be saved.")
    error = page.locator(".general .field-error")
    expect(error).to_contain_text("the limit is 100,000", timeout=15000)
    status = page.locator("#save-status")
    expect(status).to_have_attribute("data-state", "error")
    expect(status).to_contain_text("Saved, except General notes")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".general").screenshot(path=str(SHOTS / "kit-refused.png"))
    _, texts, _ = db_state(app, ids["ivan_session"])
    key = first_notes.get_attribute("data-key")
    assert texts[key] == "A normal note that must be saved."
    assert "general" not in texts
    # the refused text is kept in the browser, and saves once shortened
    kept = page.evaluate(
        f"localStorage.getItem('ik-draft:{_user_id(app)}:{ids['ivan_session']}:general')"
    )
    assert kept and len(kept) > 100_000
    general.focus()
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    saved(page)
    expect(error).to_have_count(0)
    _, texts, _ = db_state(app, ids["ivan_session"])
    assert len(texts["general"]) == 100_000
    context.close()


def _user_id(app, email="ivan@example.com"):
    from interviewkit.models import User

    with app.app_context():
        return db.session.execute(db.select(User.id).filter_by(email=email)).scalar()


def test_lead_cannot_change_a_submitted_session(playwright_browser, live):
    """Regression (issue 8.1): the lead could remove and swap questions of a submitted
    session, destroying the interviewer's question scores."""
    from playwright.sync_api import expect

    app, base, ids = live
    ivan_ctx = playwright_browser.new_context()
    ivan = open_kit(ivan_ctx, base, "ivan@example.com", ids["ivan_session"])
    for _ in range(ivan.locator(".kq").count()):
        ivan.keyboard.press("3")
        ivan.keyboard.press("j")
    saved(ivan)
    run_scorecard(ivan, base, ids["ivan_session"])
    ivan.wait_for_url(f"{base}/candidates/{ids['candidate']}/feedback")
    _, _, scores_before = db_state(app, ids["ivan_session"])
    lead_ctx = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    lead = lead_ctx.new_page()
    sign_in(lead, base, "lead@example.com")
    with app.app_context():
        loop_id = db.session.get(LoopSession, ids["ivan_session"]).loop_id
    lead.goto(f"{base}/loops/{loop_id}")
    frozen = lead.locator(f"#session-{ids['ivan_session']}")
    expect(frozen.locator(".frozen")).to_contain_text("Ivan Interviewer has submitted")
    expect(frozen.locator("text=Add a new session")).to_be_visible()
    expect(frozen.locator("button", has_text="Remove")).to_have_count(0)
    expect(frozen.locator("select[name=interviewer]")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    frozen.screenshot(path=str(SHOTS / "loop-frozen.png"))
    open_session = lead.locator(f"#session-{ids['iris_session']}")
    expect(open_session.locator("button", has_text="Remove").first).to_be_visible()
    # the safe way on: a new session
    lead.fill("#add-session input[name=name]", "Follow-up on storage")
    lead.locator("#add-session input[value='data-storage']").check()
    lead.click("#add-session button")
    expect(lead.locator(".flash.info").first).to_contain_text("Added Follow-up on storage")
    _, _, scores_after = db_state(app, ids["ivan_session"])
    assert scores_after == scores_before
    ivan_ctx.close()
    lead_ctx.close()


def test_headings_buttons_and_warnings_read_right(playwright_browser, live):
    """Regression (issue 8.23): buttons at heading size, a warning shown twice, no h1 in
    the kit."""
    app, base, ids = live
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, "lead@example.com")
    page.goto(f"{base}/candidates/{ids['candidate']}")
    sizes = page.evaluate(
        """() => ({
        h1: parseFloat(getComputedStyle(document.querySelector('h1')).fontSize),
        edit: parseFloat(getComputedStyle(document.querySelector('h1 .button')).fontSize),
        assemble: parseFloat(getComputedStyle(document.querySelector('h2 .button')).fontSize),
        body: parseFloat(getComputedStyle(document.body).fontSize),
    })"""
    )
    assert sizes["edit"] == sizes["body"] < sizes["h1"]
    assert sizes["assemble"] == sizes["body"]
    with app.app_context():
        loop_id = db.session.get(LoopSession, ids["ivan_session"]).loop_id
    page.goto(f"{base}/loops/{loop_id}")
    for section in page.locator("section.session").all():
        messages = [m.inner_text() for m in section.locator(".flash").all()]
        assert len(messages) == len(set(messages)), messages
    context.close()
    ivan_ctx = playwright_browser.new_context()
    kit = open_kit(ivan_ctx, base, "ivan@example.com", ids["ivan_session"])
    assert kit.locator("h1").count() == 1
    assert "Sam Rivera" in kit.locator("h1").inner_text()
    ivan_ctx.close()


def test_lead_debriefs_two_scorecards_decides_and_prints(playwright_browser, live):
    """Issue 9: a lead opens the debrief after two interviewers submitted, sees the flagged
    disagreement, records a decision and prints the page."""
    from conftest import add_scored_panel, submit_scorecard
    from playwright.sync_api import expect

    app, base, ids = live
    # earlier panels, so Ivan (harsh) and Iris (lenient) have calibrated offsets
    for ivan, iris in ((1, 3), (2, 3), (2, 4), (1, 2), (2, 3), (2, 4)):
        add_scored_panel(
            app,
            "hire" if iris >= 3 and ivan >= 2 else "no_hire",
            [
                ("Ivan", {"api-design": ivan, "data-storage": ivan + 1}, "no", []),
                ("Iris", {"api-design": iris, "data-storage": iris}, "yes", []),
            ],
        )
    submit_scorecard(
        app,
        ids["ivan_session"],
        "ivan@example.com",
        {"api-design": 1, "data-storage": 3},
        "no",
        question_score=2,
    )
    submit_scorecard(
        app,
        ids["iris_session"],
        "iris@example.com",
        {"api-design": 3, "data-storage": 3, "security": 4},
        "strong_yes",
        question_score=3,
    )
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, "lead@example.com")
    page.goto(f"{base}/candidates/{ids['candidate']}")
    page.click("text=Debrief")
    expect(page.locator(".flag-disagreement")).to_contain_text(
        "Ivan Interviewer scored 1, Iris Interviewer scored 3 (2 points apart)"
    )
    expect(page.locator(".flag-split")).to_be_visible()
    page.locator("tr[data-competency='api-design'] details").first.click()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("main").screenshot(path=str(SHOTS / "debrief.png"))
    page.select_option("select[name=outcome]", "another_loop")
    page.fill("textarea[name=rationale]", "Split on API design: run a second design session.")
    page.click("text=Record decision")
    expect(page.locator(".current-decision")).to_contain_text("Another loop")
    expect(page.locator(".flash.info")).to_contain_text("Decision recorded")
    page.goto(f"{base}/candidates/{ids['candidate']}/debrief/print")
    expect(page.locator("nav")).to_have_count(0)
    expect(page.locator(".current-decision")).to_contain_text("Another loop")
    page.emulate_media(media="print")
    sessions = page.locator(".debrief-session")
    expect(sessions).to_have_count(2)
    assert sessions.first.evaluate("e => getComputedStyle(e).breakBefore") == "page"
    expect(page.locator(".matrix .evidence").first).to_be_visible()
    assert page.pdf(format="A4").startswith(b"%PDF")
    page.emulate_media(media="screen")
    page.goto(f"{base}/numbers/calibration")
    page.locator("main").screenshot(path=str(SHOTS / "calibration.png"))
    expect(page.locator("table.calibration")).to_contain_text("Ivan Interviewer")
    context.close()

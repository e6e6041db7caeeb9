// The live interview kit: autosave that loses nothing, keyboard scoring, quiet timers.
//
// Every text and score is a "field" with the server version it was typed on. Changes are
// kept in localStorage until the server confirms them, and sent in batches a moment after
// the last keystroke, one request at a time. A failed request is retried with back-off; a
// signed-out or expired-token answer is handled without dropping anything. The server
// merges a save made on an older version (another tab) instead of overwriting. Each item
// is saved or refused on its own: a refused one (too long, say) keeps its text here, shows
// the reason beside the field and is not sent again until it changes; the rest save.
"use strict";
(() => {
  const root = document.getElementById("kit");
  if (!root) return;
  const { session, user, saveUrl, stateUrl, tokenUrl, loginUrl } = root.dataset;
  const locked = root.dataset.locked || "";
  const prefix = `ik-draft:${user}:${session}:`;
  const timerKey = `ik-timer:${user}:${session}`;
  const server = JSON.parse(document.getElementById("kit-state").textContent);
  const statusEl = document.getElementById("save-status");
  let token = document.querySelector('meta[name="csrf-token"]').content;
  const fields = new Map();
  const questions = [...root.querySelectorAll(".kq")];
  let current = 0;

  const newId = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  // -- fields ------------------------------------------------------------------------------
  for (const el of root.querySelectorAll("textarea[data-key]")) {
    const saved = server.texts[el.dataset.key] || { value: "", version: 0 };
    const f = { key: el.dataset.key, el, base: saved.version, value: saved.value, dirty: false };
    el.value = f.value;
    if (locked.includes("texts")) el.readOnly = true;
    el.addEventListener("input", () => { f.value = el.value; changed(f); });
    f.label = el.dataset.label || f.key;
    fields.set(f.key, f);
  }
  questions.forEach((li, index) => {
    const saved = server.scores[li.dataset.lq] || { value: null, version: 0 };
    const f = { key: `score:${li.dataset.lq}`, li, base: saved.version, value: saved.value,
                dirty: false, label: `Score for question ${index + 1}` };
    fields.set(f.key, f);
    for (const button of li.querySelectorAll("button[data-score]")) {
      button.disabled = locked.includes("scores");
      button.addEventListener("click", () => { select(index); setScore(index, +button.dataset.score); });
    }
    li.addEventListener("focusin", () => select(index, false));
    li.addEventListener("click", () => select(index, false));
  });

  function render(f) {
    if (f.el) {
      if (f.el.value !== f.value) f.el.value = f.value;
    } else if (f.li) {
      for (const b of f.li.querySelectorAll("button[data-score]")) {
        b.setAttribute("aria-pressed", String(+b.dataset.score === f.value));
      }
      f.li.classList.toggle("scored", f.value !== null && f.value !== undefined);
    }
  }

  // Drafts this browser kept from before a reload, a crash or an expired sign-in.
  for (const f of fields.values()) {
    const raw = localStorage.getItem(prefix + f.key);
    if (raw) {
      const draft = JSON.parse(raw);
      if (draft.value === f.value) {
        localStorage.removeItem(prefix + f.key);
      } else {
        f.value = draft.value;
        f.base = draft.base;
        f.dirty = true;
      }
    }
    render(f);
  }

  // A refused item: its reason stays beside the field until the text changes.
  function showRefusal(f, message) {
    f.refused = f.sent;
    let p = f.errorEl;
    if (!p) {
      p = document.createElement("p");
      p.className = "field-error";
      p.setAttribute("role", "alert");
      (f.el ? f.el.closest("label") || f.el : f.li.querySelector(".score")).after(p);
      f.errorEl = p;
    }
    p.textContent = `Not saved: ${message}`;
  }

  function clearRefusal(f) {
    f.refused = undefined;
    if (f.errorEl) { f.errorEl.remove(); f.errorEl = null; }
  }

  const sendable = (f) => f.dirty && f.value !== f.refused;
  const MAX_BATCH_CHARS = 1000000;  // the server takes 8 MB; one whole note always fits

  function changed(f) {
    if (f.refused !== undefined && f.value !== f.refused) clearRefusal(f);
    f.dirty = true;
    f.saveId = null;  // new content: a new save (a retry of the same content keeps its id)
    localStorage.setItem(prefix + f.key,
      JSON.stringify({ value: f.value, base: f.base, at: Date.now() }));
    status("pending");
    schedule(700);
  }

  function setScore(index, value) {
    if (locked.includes("scores")) return;
    const f = fields.get(`score:${questions[index].dataset.lq}`);
    f.value = value;
    render(f);
    changed(f);
  }

  // -- saving ------------------------------------------------------------------------------
  let timer = null;
  let inFlight = false;
  let retryDelay = 1000;
  let signedOut = false;

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(flush, ms);
  }

  function status(state, text) {
    const words = {
      saved: "All changes saved",
      pending: "Saving…",
      saving: "Saving…",
      retrying: "Not saved yet — retrying (kept in this browser)",
      signedout: "Signed out — your notes are kept in this browser. ",
    };
    statusEl.dataset.state = state;
    statusEl.textContent = text || words[state];
    if (state === "signedout") {
      const a = document.createElement("a");
      a.href = loginUrl;
      a.textContent = "Sign in again to save them";
      statusEl.appendChild(a);
    }
  }

  async function refreshToken() {
    const res = await fetch(tokenUrl, { headers: { Accept: "application/json" },
                                        credentials: "same-origin" });
    if (res.status === 401) throw new Error("signed out");
    token = (await res.json()).csrf_token;
  }

  function retryLater(reason) {
    status("retrying", `Not saved yet (${reason}) — retrying in ${Math.round(retryDelay / 1000)} s; kept in this browser`);
    schedule(retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  }

  async function flush() {
    if (inFlight || signedOut) return;
    const batch = [];
    let size = 0;
    for (const f of fields.values()) {
      if (!sendable(f)) continue;
      if (batch.length === 200) break;  // the server's limit per request
      const length = typeof f.value === "string" ? f.value.length : 1;
      if (batch.length && size + length > MAX_BATCH_CHARS) continue;  // next batch
      batch.push(f);
      size += length;
    }
    if (!batch.length) { reportDone(0); return; }
    inFlight = true;
    status("saving");
    const items = batch.map((f) => {
      f.saveId = f.saveId || newId();
      f.sent = f.value;
      return { key: f.key, value: f.value, base: f.base, save_id: f.saveId };
    });
    let res;
    try {
      res = await fetch(saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   "X-CSRFToken": token },
        body: JSON.stringify({ items }),
      });
    } catch (err) {
      inFlight = false;
      retryLater("offline");
      return;
    }
    inFlight = false;
    if (res.status === 401) {
      signedOut = true;
      status("signedout");
      return;
    }
    let body = {};
    try { body = await res.json(); } catch (err) { body = {}; }
    if (res.status === 400 && body.error === "csrf") {
      try { await refreshToken(); } catch (err) { signedOut = true; status("signedout"); return; }
      schedule(0);
      return;
    }
    if ([403, 404, 422].includes(res.status)) {
      // refused, not failed: retrying cannot help; keep the text and say why
      status("error", `Not saved: ${body.message || `the server answered ${res.status}`}. ` +
        "Your text is kept in this browser.");
      return;
    }
    if (!res.ok || !body.results) {
      const after = Number(res.headers.get("Retry-After"));
      if (after > 0) retryDelay = Math.max(retryDelay, after * 1000);
      retryLater(res.status === 503 ? "the server is busy" : `server answered ${res.status}`);
      return;
    }
    token = body.csrf_token || token;
    retryDelay = 1000;
    let conflicts = 0;
    body.results.forEach((r, i) => {
      const f = batch[i];
      if (r.status === "refused") {
        showRefusal(f, r.message || "the server refused this field");
        return;  // not saved: the text stays here (and in localStorage), the base unchanged
      }
      f.base = r.version;
      if (r.status === "conflict") conflicts += 1;
      if (r.status === "locked") {
        f.dirty = false;
        localStorage.removeItem(prefix + f.key);
        return;
      }
      if (f.value === f.sent) {
        if (r.status === "conflict" && f.el) { f.value = r.value; render(f); }
        f.dirty = false;
        f.saveId = null;
        localStorage.removeItem(prefix + f.key);
      } else {
        // typed on while the save was on its way: keep that on top of what the server has
        if (f.el && typeof r.value === "string" && f.value.startsWith(f.sent)) {
          f.value = r.value + f.value.slice(f.sent.length);
          render(f);
        }
        f.saveId = null;
        localStorage.setItem(prefix + f.key,
          JSON.stringify({ value: f.value, base: f.base, at: Date.now() }));
      }
    });
    if ([...fields.values()].some(sendable)) {
      schedule(300);
    } else {
      reportDone(conflicts);
    }
  }

  // The status line after a save: all saved, or which fields were refused and why.
  function reportDone(conflicts) {
    const refused = [...fields.values()].filter((f) => f.dirty && f.value === f.refused);
    if (refused.length) {
      status("error", `Saved, except ${refused.map((f) => f.label).join(", ")}: `
        + "see the reason beside it. That text is kept in this browser.");
    } else if (conflicts) {
      status("saved", "Saved — merged with changes made in another window");
    } else {
      status("saved", `All changes saved ${new Date().toLocaleTimeString()}`);
    }
  }

  window.addEventListener("online", () => { retryDelay = 1000; schedule(0); });
  window.addEventListener("beforeunload", (event) => {
    if ([...fields.values()].some((f) => f.dirty)) event.preventDefault();
  });
  if ([...fields.values()].some((f) => f.dirty)) schedule(0);  // send restored drafts

  // -- keyboard ----------------------------------------------------------------------------
  function select(index, focus = true) {
    if (!questions.length) return;
    current = Math.max(0, Math.min(questions.length - 1, index));
    questions.forEach((li, i) => li.classList.toggle("current", i === current));
    startQuestionTimer();
    if (focus) {
      questions[current].focus({ preventScroll: true });
      questions[current].scrollIntoView({ block: "start", behavior: "smooth" });
    }
  }

  document.addEventListener("keydown", (event) => {
    const t = event.target;
    const typing = t instanceof HTMLTextAreaElement || t instanceof HTMLInputElement
      || t instanceof HTMLSelectElement;
    if (event.key === "Escape" && typing) {
      t.blur();
      if (questions.length) questions[current].focus({ preventScroll: true });
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey || !questions.length) return;
    if (/^[0-4]$/.test(event.key)) {
      setScore(current, +event.key);
    } else if (event.key === "j" || event.key === "ArrowDown") {
      select(current + 1);
    } else if (event.key === "k" || event.key === "ArrowUp") {
      select(current - 1);
    } else if (event.key === "n") {
      questions[current].querySelector("textarea").focus();
    } else if (event.key === "g") {
      const general = root.querySelector('textarea[data-key="general"]');
      if (general) general.focus();
    } else {
      return;
    }
    event.preventDefault();
  });

  // -- timers (kept in localStorage, so they survive a reload) -------------------------------
  const sessionTimer = document.getElementById("timer-session");
  const questionTimer = document.getElementById("timer-question");
  const budgetEl = document.getElementById("timer-budget");
  function timers() {
    const saved = JSON.parse(localStorage.getItem(timerKey) || "null");
    return saved || { start: Date.now(), questions: {} };
  }
  function saveTimers(value) { localStorage.setItem(timerKey, JSON.stringify(value)); }
  function startQuestionTimer() {
    if (!questionTimer) return;
    const value = timers();
    const lq = questions[current].dataset.lq;
    if (!value.questions[lq]) value.questions[lq] = Date.now();
    value.current = lq;
    saveTimers(value);
    tick();
  }
  const clock = (ms) => {
    const s = Math.max(0, Math.floor(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };
  function tick() {
    if (!sessionTimer) return;
    const value = timers();
    const now = Date.now();
    sessionTimer.textContent = clock(now - value.start);
    sessionTimer.classList.toggle("over", now - value.start > root.dataset.minutes * 60000);
    const li = questions[current];
    if (li && value.questions[li.dataset.lq]) {
      const spent = now - value.questions[li.dataset.lq];
      questionTimer.textContent = clock(spent);
      budgetEl.textContent = `${li.dataset.minutes}:00`;
      questionTimer.classList.toggle("over", spent > li.dataset.minutes * 60000);
    }
  }
  if (sessionTimer) {
    const value = timers();
    saveTimers(value);
    const idx = questions.findIndex((li) => li.dataset.lq === value.current);
    select(idx >= 0 ? idx : 0, false);
    setInterval(tick, 1000);
    document.getElementById("timer-reset").addEventListener("click", () => {
      localStorage.removeItem(timerKey);
      saveTimers(timers());
      startQuestionTimer();
    });
  }
  // -- printing: a paper kit shows every folded section ---------------------------------------
  let folded = [];
  window.addEventListener("beforeprint", () => {
    folded = [...root.querySelectorAll("details:not([open])")];
    folded.forEach((d) => { d.open = true; });
  });
  window.addEventListener("afterprint", () => folded.forEach((d) => { d.open = false; }));

  // expose the state for tests and debugging (read-only use)
  window.interviewKit = { fields, flush };
  if (stateUrl) root.dataset.ready = "true";
})();

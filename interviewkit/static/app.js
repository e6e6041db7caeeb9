// Signing out removes every note draft this browser kept (they are only kept while unsaved).
"use strict";
(() => {
  const form = document.getElementById("logout-form");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    const drafts = Object.keys(localStorage).filter((k) => k.startsWith("ik-draft:"));
    if (drafts.length && !window.confirm(
      "Some notes are not saved to the server yet. Signing out deletes the copy kept in " +
      "this browser. Sign out anyway?")) {
      event.preventDefault();
      return;
    }
    drafts.forEach((k) => localStorage.removeItem(k));
  });
})();

// A hands-on exercise's starter: the Copy button puts the block's code on the clipboard,
// to paste into the call's chat or shared editor. Without the clipboard API (a page served
// over plain http, an old browser) it selects the code so Ctrl+C copies it.
(() => {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const code = button.closest("figure").querySelector("pre code");
    const done = (text) => {
      button.textContent = text;
      window.setTimeout(() => { button.textContent = "Copy"; }, 2000);
    };
    const select = () => {
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      done("Selected: press Ctrl+C");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(code.textContent).then(() => done("Copied"), select);
    } else {
      select();
    }
  });
})();

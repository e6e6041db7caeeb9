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

// The console works without this file; it only makes a few things quicker.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Filters apply as soon as a choice is made (the form's button still works without script).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // Ask before a rollback, which publishes an older text as the live one.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});

// Flow editor: keep the line numbers in step with the text, jump to a problem's line, and send
// simulator messages without reloading the page (the form posts normally without script).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("flow-form");
  const source = document.getElementById("source");
  if (!form || !source) return;
  const gutter = form.querySelector(".gutter");
  const renumber = () => {
    const lines = source.value.split("\n").length;
    source.rows = lines + 1;
    while (gutter.children.length < lines) {
      const item = document.createElement("li");
      item.id = "line-" + (gutter.children.length + 1);
      item.textContent = String(gutter.children.length + 1);
      gutter.appendChild(item);
    }
    while (gutter.children.length > lines) gutter.lastElementChild.remove();
  };
  source.addEventListener("input", renumber);
  form.addEventListener("click", (event) => {
    const link = event.target.closest("a.goto-line");
    if (!link) return;
    event.preventDefault();
    const line = Number(link.dataset.line);
    const starts = source.value.split("\n").slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
    const end = source.value.indexOf("\n", starts);
    source.focus();
    source.setSelectionRange(starts, end < 0 ? source.value.length : end);
    document.getElementById("line-" + line)?.scrollIntoView({ block: "center" });
  });
  form.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (!button || !button.formAction.endsWith("/simulate") || form.dataset.plain) return;
    event.preventDefault();
    const simulator = document.getElementById("simulator");
    simulator.classList.add("busy");
    const body = new URLSearchParams(new FormData(form, button));
    try {
      const response = await fetch(button.formAction, { method: "POST", body, credentials: "same-origin" });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      if (!page.getElementById("simulator")) throw new Error("not the editor");  // e.g. signed out
      for (const id of ["simulator", "findings-box"]) {
        const fresh = page.getElementById(id);
        if (fresh) document.getElementById(id).replaceWith(document.importNode(fresh, true));
      }
      const gutterMarks = page.querySelectorAll(".gutter li.bad");
      for (const item of gutter.children) item.classList.remove("bad");
      for (const mark of gutterMarks) document.getElementById(mark.id)?.classList.add("bad");
      document.getElementById("sim-message")?.focus();
    } catch (error) {
      form.dataset.plain = "1";  // fall back to an ordinary post of the same button
      form.requestSubmit(button);
    } finally {
      document.getElementById("simulator")?.classList.remove("busy");
    }
  });
});

// Campaign page: refresh the progress counts every few seconds from the JSON route (without
// script, the "Reload" link does the same).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("progress");
  if (!box || !box.dataset.progressUrl) return;
  const statusLabel = box.querySelector('[data-field="status"]');
  const labels = statusLabel ? JSON.parse(statusLabel.dataset.labels || "{}") : {};
  box.querySelector(".live-note")?.removeAttribute("hidden");
  const refresh = async () => {
    if (document.visibilityState !== "visible") return;
    try {
      const response = await fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      for (const [state, count] of Object.entries(data.counts || {})) {
        const cell = box.querySelector(`[data-state="${CSS.escape(state)}"]`);
        if (cell) cell.textContent = String(count);
      }
      for (const field of ["settled", "total"]) {
        for (const item of box.querySelectorAll(`span[data-field="${field}"]`)) item.textContent = String(data[field]);
      }
      const bar = box.querySelector("progress");
      if (bar) { bar.max = Math.max(1, data.total); bar.value = data.settled; }
      if (statusLabel && data.status) statusLabel.textContent = labels[data.status] || data.status;
      const planning = box.querySelector("[data-planning]");
      if (planning && data.planning) {
        if (data.planning.state !== planning.dataset.planning) { window.location.reload(); return; }
        for (const field of ["done", "total"]) {
          const item = planning.querySelector(`[data-field="planning_${field}"]`);
          if (item) item.textContent = String(data.planning[field]);
        }
      }
      box.dataset.updated = String(Date.now());
    } catch (error) {
      // offline for a moment: try again at the next tick
    }
  };
  window.setInterval(refresh, 5000);
});

// Agent inbox: a canned reply fills the reply box, and new messages of the open conversation
// are added without a reload (text only, through textContent; without script a reload shows them).
document.addEventListener("DOMContentLoaded", () => {
  const canned = document.getElementById("canned");
  const reply = document.getElementById("reply-text");
  if (canned && reply) {
    canned.addEventListener("change", () => {
      const chosen = canned.selectedOptions[0];
      if (chosen && chosen.dataset.text) { reply.value = chosen.dataset.text; reply.focus(); }
    });
  }
  const history = document.getElementById("inbox-history");
  if (!history) return;
  const bidi = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;  // shown as code points, as the server does
  const visible = (text) => text.replace(bidi, (c) => "[U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + "]");
  const label = (m) => m.who === "agent" ? history.dataset.agent.replace("{email}", m.author) : history.dataset[m.who];
  const span = (className, text) => {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  };
  const add = (m) => {
    if (document.getElementById("m-" + m.id)) return;
    const item = document.createElement("li");
    item.id = "m-" + m.id;
    item.className = "msg fresh " + m.who;
    const text = document.createElement("div");
    text.className = "text";
    const isolated = document.createElement("bdi");
    isolated.textContent = visible(m.text);
    text.appendChild(isolated);
    item.append(span("who", label(m)), " ", span("when", m.at), text);
    history.appendChild(item);
    history.scrollTop = history.scrollHeight;
  };
  history.scrollTop = history.scrollHeight;
  const poll = async () => {
    try {
      const response = await fetch(history.dataset.updates + "?after=" + history.dataset.after,
                                   { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      for (const m of data.messages) {
        add(m);
        history.dataset.after = String(Math.max(Number(history.dataset.after), m.id));
      }
    } catch (error) { /* the next tick tries again */ }
  };
  window.setInterval(poll, 3000);
});

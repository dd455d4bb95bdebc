// The document view: paint flagged cells on the source, link them to the table, edit a value, approve.
// Extracted text is untrusted: it only ever enters the page through textContent or the server's escaped HTML.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const review = document.getElementById("review");
  if (!review) return;
  const formId = review.dataset.formId;
  const panelUrl = review.dataset.panelUrl;
  const panel = document.getElementById("panel");
  const source = document.getElementById("source");
  const RANK = { error: 0, warning: 1, info: 2 };

  function formData() {
    const el = document.getElementById("form-data");
    return el ? JSON.parse(el.textContent) : { highlights: [] };
  }

  function setSeverity(el, severity) {
    const current = ["error", "warning", "info"].find((s) => el.classList.contains("sev-" + s));
    if (current === undefined || RANK[severity] < RANK[current]) {
      if (current) el.classList.remove("sev-" + current);
      el.classList.add("sev-" + severity);
    }
  }

  function addPath(el, path) {
    const paths = new Set((el.dataset.paths || "").split(" ").filter(Boolean));
    paths.add(path);
    el.dataset.paths = Array.from(paths).join(" ");
  }

  // Flagged cells on the source: boxes over page images (PDF points / image pixels → percent), or grid cells.
  function paintSource() {
    source.querySelectorAll(".box").forEach((b) => b.remove());
    source.querySelectorAll("td[data-cell]").forEach((td) => {
      td.classList.remove("sev-error", "sev-warning", "sev-info");
      delete td.dataset.paths;
    });
    for (const h of formData().highlights) {
      const td = source.querySelector('td[data-cell="' + CSS.escape(h.cell_id) + '"]');
      if (td) {
        setSeverity(td, h.severity);
        addPath(td, h.path);
        td.title = h.codes.join(", ");
      }
      if (h.page !== null && h.bbox) {
        const fig = source.querySelector('figure.page[data-page="' + Number(h.page) + '"]');
        if (!fig) continue;
        const w = parseFloat(fig.dataset.width), ht = parseFloat(fig.dataset.height);
        const [x0, y0, x1, y1] = h.bbox;
        const box = document.createElement("div");
        box.className = "box sev-" + h.severity;
        box.style.left = (x0 / w) * 100 + "%";
        box.style.top = (y0 / ht) * 100 + "%";
        box.style.width = ((x1 - x0) / w) * 100 + "%";
        box.style.height = ((y1 - y0) / ht) * 100 + "%";
        box.dataset.paths = h.path;
        box.title = h.codes.join(", ");
        fig.appendChild(box);
      }
    }
  }

  function pathsOf(el) {
    if (el.dataset.path) return [el.dataset.path];
    return (el.dataset.paths || "").split(" ").filter(Boolean);
  }

  // Hovering a table cell, a finding or a box marks everything that concerns the same fields.
  function activate(paths) {
    document.querySelectorAll(".active").forEach((el) => el.classList.remove("active"));
    if (!paths.length) return;
    const wanted = new Set(paths);
    document.querySelectorAll("[data-path], [data-paths]").forEach((el) => {
      if (pathsOf(el).some((p) => wanted.has(p))) el.classList.add("active");
    });
  }

  document.addEventListener("mouseover", (ev) => {
    const el = ev.target.closest("td.val, li.finding, .box, td[data-paths]");
    activate(el ? pathsOf(el) : []);
  });

  function showError(message) {
    const box = document.getElementById("panel-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  async function reloadPanel() {
    const response = await fetch(panelUrl, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok) {
      showError("刷新失败（" + response.status + "）");
      return;
    }
    panel.innerHTML = await response.text(); // rendered by the server with autoescaping
    paintSource();
    const status = document.getElementById("form-status");
    const tab = document.querySelector("nav.tabs .tab.current");
    if (tab && status) {
      tab.classList.toggle("st-needs_review", status.classList.contains("st-needs_review"));
      tab.classList.toggle("st-ok", status.classList.contains("st-ok"));
      tab.classList.toggle("approved", !!document.getElementById("approval"));
    }
  }

  async function send(method, url, body) {
    const init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    if (!response.ok) {
      let message = "操作失败（" + response.status + "）";
      try {
        const data = await response.json();
        if (data.detail && data.detail.message) message = data.detail.message;
      } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    return response;
  }

  async function save(td, value) {
    td.classList.add("saving");
    const url = "/api/v1/forms/" + formId + "/fields/" + encodeURIComponent(td.dataset.path);
    try {
      await send("PATCH", url, { value: value });
      await reloadPanel();
    } catch (err) {
      await reloadPanel(); // back to the stored value
      showError(err.message);
    }
  }

  function edit(td) {
    if (td.querySelector("input")) return;
    const shown = td.querySelector(".v");
    const original = shown.textContent === "—" ? "" : shown.textContent;
    const input = document.createElement("input");
    input.type = "text";
    input.value = original;
    input.setAttribute("aria-label", td.title);
    shown.hidden = true;
    td.appendChild(input);
    input.focus();
    input.select();
    let finished = false;
    const finish = (commit) => {
      if (finished) return;
      finished = true;
      if (commit && input.value.trim() !== original.trim()) {
        save(td, input.value);
      } else {
        input.remove();
        shown.hidden = false;
      }
    };
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); finish(true); }
      if (ev.key === "Escape") { ev.preventDefault(); finish(false); }
    });
    input.addEventListener("blur", () => finish(true));
  }

  panel.addEventListener("click", async (ev) => {
    const td = ev.target.closest("td.val");
    if (td) {
      edit(td);
      return;
    }
    const finding = ev.target.closest("li.finding");
    if (finding) {
      activate(pathsOf(finding));
      const first = source.querySelector(".box.active, td.active");
      if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
      return;
    }
    if (ev.target.id === "approve") {
      ev.target.disabled = true;
      try {
        await send("POST", "/api/v1/forms/" + formId + "/approval");
        await reloadPanel();
      } catch (err) {
        ev.target.disabled = false;
        showError(err.message);
      }
    }
  });

  panel.addEventListener("keydown", (ev) => {
    const td = ev.target.closest("td.val");
    if (td && ev.target === td && ev.key === "Enter") edit(td);
  });

  paintSource();
})();

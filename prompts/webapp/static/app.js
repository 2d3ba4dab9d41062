// The Mini App: the report (read, edit, submit), its review, and the team's month.
//
// Telegram opens the page with its launch parameters in the fragment (#tgWebAppData=…,
// tgWebAppThemeParams=…). Telegram's own script is not loaded: the page talks to this server
// only (its CSP allows nothing else), and the two parameters it needs are read here. Every
// request carries initData in a header; every text shown comes from the server, in the
// viewer's language, and is inserted as text, never as HTML.
(() => {
  "use strict";

  const launch = new URLSearchParams(location.hash.slice(1));
  const INIT_KEY = "lva.initData";
  let initData = launch.get("tgWebAppData") || sessionStorage.getItem(INIT_KEY) || "";
  if (launch.get("tgWebAppData")) sessionStorage.setItem(INIT_KEY, initData);
  applyTheme(launch.get("tgWebAppThemeParams"));
  if (location.hash) {
    // The launch data stays out of the address bar, the history and anything copied from it.
    history.replaceState(null, "", location.pathname + location.search);
  }

  let L = {};
  const app = document.getElementById("app");
  const toast = document.getElementById("toast");
  const viewer = document.getElementById("viewer");
  const viewerImg = document.getElementById("viewer-img");
  viewer.addEventListener("click", () => {
    viewer.hidden = true;
    viewerImg.removeAttribute("src");
  });

  // ------------------------------------------------------------------ helpers
  function applyTheme(raw) {
    if (!raw) return;
    let theme;
    try {
      theme = JSON.parse(raw);
    } catch (e) {
      return;
    }
    const root = document.documentElement;
    const map = {
      bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
      button_color: "--button", button_text_color: "--button-text",
      secondary_bg_color: "--section-bg",
    };
    for (const [key, variable] of Object.entries(map)) {
      if (typeof theme[key] === "string" && /^#[0-9a-fA-F]{3,8}$/.test(theme[key])) {
        root.style.setProperty(variable, theme[key]);
      }
    }
    root.classList.add("themed");
    if (typeof theme.bg_color === "string" && luminance(theme.bg_color) < 0.4) {
      root.classList.add("dark");
    }
  }

  function luminance(hex) {
    const h = hex.replace("#", "");
    const full = h.length === 3 ? h.split("").map((c) => c + c).join("") : h.slice(0, 6);
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function fill(text, values) {
    return (text || "").replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : ""));
  }

  function say(message) {
    toast.textContent = message;
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => (toast.hidden = true), 4000);
  }

  async function api(path, body) {
    const options = { headers: { "X-Telegram-Init-Data": initData } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch("/app/api/" + path, options);
    } catch (e) {
      throw { status: 0, message: L.offline || "offline" };
    }
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok) {
      const data = type.startsWith("application/json") ? await response.json() : {};
      throw { status: response.status, key: data.error, message: data.message || L.bad_request };
    }
    return type.startsWith("application/json") ? response.json() : response.blob();
  }

  function go(query) {
    history.pushState(null, "", location.pathname + (query ? "?" + query : ""));
    route();
  }
  window.addEventListener("popstate", () => route());

  function fail(error) {
    app.replaceChildren(el("p", { class: "banner danger", id: "error" }, error.message));
  }

  function backLink() {
    return el("p", {}, el("button", { class: "link", id: "back", onclick: () => go("") }, L.back));
  }

  function rows(list) {
    return el("dl", { class: "rows" }, list.map((r) => [el("dt", {}, r.label), el("dd", {}, r.value)]));
  }

  // One card per loan, guarantor or collateral item: eight columns do not fit a phone.
  function records(headers, keys, items) {
    return items.map((item) => el("div", { class: "card" }, rows(keys
      .map((key, i) => ({ label: headers[i], value: item[key] }))
      .filter((row) => row.value))));
  }

  function table(headers, keys, items) {
    return el("div", { class: "scroll" }, el("table", {},
      el("tr", {}, headers.map((h) => el("th", {}, h))),
      items.map((item) => el("tr", {}, keys.map((k) => el("td", {}, item[k]))))));
  }

  // ------------------------------------------------------------------ pages
  async function route() {
    const query = new URLSearchParams(location.search);
    app.replaceChildren(el("p", { class: "hint" }, L.loading || "…"));
    try {
      if (query.get("report")) await showReport(Number(query.get("report")));
      else if (query.get("team")) await showTeam();
      else await showHome();
    } catch (error) {
      fail(error);
    }
    window.scrollTo(0, 0);
    // When the first screen was drawn, in ms since the navigation began (benchmarks/miniapp.py).
    document.documentElement.dataset.rendered = String(Math.round(performance.now()));
  }

  async function showHome() {
    const data = await api("home");
    L = data.labels;
    document.title = L.app_title;
    const items = data.reports.map((r) =>
      el("button", { class: "card link", "data-report": r.id, onclick: () => go("report=" + r.id) },
        el("strong", {}, r.client), " ", el("span", { class: "hint" }, r.status, " · ",
          fill(L.version, { n: r.version }))));
    app.replaceChildren(
      el("h1", {}, L.home_title),
      items.length ? items : el("p", { class: "hint" }, L.home_empty),
      data.supervisor ? el("p", {}, el("button", { class: "secondary", id: "open-team",
        onclick: () => go("team=1") }, L.open_team)) : null);
  }

  async function showReport(id) {
    const data = await api("report/" + id);
    L = data.labels;
    const r = data.report;
    document.title = r.title + " · " + r.client_name;
    const parts = [backLink(), el("h1", {}, r.title), el("p", { class: "hint", id: "status" },
      r.client_name, " · ", fill(L.version, { n: r.version }))];

    if (r.copy_warning) parts.push(el("p", { class: "banner danger", id: "copy-warning" },
      fill(L.copy_warning, { n: r.similarity })));
    else if (r.similarity !== null) parts.push(el("p", { class: "hint" },
      fill(L.similarity, { n: r.similarity })));
    if (r.reviewable) {
      parts.push(el("p", {}, el("button", { class: "primary", id: "to-decision",
        onclick: () => document.getElementById("review").scrollIntoView() }, L.to_decision)));
      parts.push(el("p", { class: "banner", id: "changes" }, r.changes.since
        ? fill(L.changes_since, { n: r.changes.since, count: r.changes.count })
        : L.no_changes_first));
    }
    if (r.review_comment) parts.push(el("div", { class: "banner", id: "review-comment" },
      el("strong", {}, L.review_comment), el("p", {}, r.review_comment)));

    const T = r.L;
    // What a reviewer looks for first, above the details: the findings and the suggestion.
    parts.push(el("p", { class: "card", id: "summary" },
      r.findings.map((f) => f.icon).join(""), " ", r.findings_heading, " · ",
      T.suggestion.label, T.sep, el("strong", {}, r.suggestion.label)));
    parts.push(el("h2", {}, L.header), el("div", { class: "card" }, rows(r.header_rows)));
    if (r.loans.length) parts.push(el("h2", {}, T.loan.title), records(
      [T.loan.contract, T.loan.product, T.loan.amount, T.loan.purpose, T.loan.term,
        T.loan.payment_method, T.loan.risk_class, T.loan.overdue],
      ["contract", "product", "amount", "purpose", "term", "payment_method", "risk_class",
        "overdue"], r.loans));
    if (r.guarantors.length) parts.push(el("h2", {}, T.guarantors.title), records(
      [T.guarantors.name, T.guarantors.relation, T.guarantors.amount, T.guarantors.status],
      ["name", "relation", "amount", "status"], r.guarantors));
    if (r.collateral.length) parts.push(el("h2", {}, T.collateral.title), records(
      [T.collateral.kind, T.collateral.place, T.collateral.registration, T.collateral.appraisal,
        T.collateral.current, T.collateral.ltv],
      ["kind", "place", "registration", "appraisal", "current", "ltv"], r.collateral));

    parts.push(el("h2", {}, r.findings_heading));
    if (!r.findings.length) parts.push(el("p", {}, T.findings.none));
    for (const f of r.findings) {
      parts.push(el("div", { class: "card finding " + f.severity_id },
        el("strong", {}, f.icon, " ", f.title), " ", el("span", { class: "hint" }, f.severity),
        el("p", {}, f.detail),
        f.evidence.length ? [el("h3", {}, T.findings.evidence),
          el("ul", {}, f.evidence.map((e) => el("li", {}, e)))] : null,
        f.measures.length ? [el("h3", {}, T.findings.measures),
          el("ul", {}, f.measures.map((m) => el("li", {}, m)))] : null));
    }
    parts.push(el("h2", {}, T.suggestion.title), el("div", { class: "card", id: "suggestion" },
      el("p", {}, T.suggestion.label, T.sep, el("strong", {}, r.suggestion.label)),
      el("p", {}, T.suggestion.reason, T.sep, r.suggestion.reason),
      el("p", { class: "hint" }, T.suggestion.note)));

    for (const s of r.sections) parts.push(section(r, s));
    parts.push(writable(r, "assessment", T.assessment.title, r.assessment,
      r.changes.assessment, T.assessment.missing));
    parts.push(writable(r, "remarks", T.remarks.title, r.remarks, r.changes.remarks, ""));

    if (r.missing.length) parts.push(el("h2", {}, L.missing),
      el("ul", { class: "list" }, r.missing.map((m) => el("li", {}, m))));
    // Often thirty items: folded, with the count, so the report does not end in a long list.
    if (r.skipped.length) parts.push(el("details", { id: "skipped" },
      el("summary", {}, L.skipped, "（", r.skipped.length, "）"),
      el("ul", { class: "list" }, r.skipped.map((m) => el("li", {}, m)))));
    if (r.photos.length) parts.push(el("h2", {}, T.photos.title),
      el("p", { class: "hint" }, L.photo_hint), photos(r));
    if (r.documents.length) parts.push(el("h2", {}, T.files.title),
      el("ul", { class: "list" }, r.documents.map((d) => el("li", {}, d.caption))));
    parts.push(el("h2", {}, T.signature.title),
      el("div", { class: "signature" }, r.signatures.map((line) => el("p", {}, line))));

    if (r.editable) parts.push(submitBlock(r));
    if (r.reviewable) parts.push(reviewBlock(r));
    parts.push(el("p", { class: "hint" }, r.footer));
    app.replaceChildren(...parts.flat(Infinity));
  }

  function section(r, s) {
    const box = el("section", { class: "card" + (s.changed ? " changed" : ""),
      id: "section-" + s.id, "data-changed": s.changed ? "1" : null });
    box.append(el("h2", {}, s.title, s.changed ? el("span", { class: "badge changed" },
      L.changed) : null));
    if (s.comment) box.append(el("p", { class: "banner", "data-comment": "1" },
      el("strong", {}, L.review_comment), r.L.sep, s.comment));
    if (s.facts.length) box.append(rows(s.facts.map((f) => ({ label: f.topic, value: f.value }))));
    if (r.editable) {
      box.append(editor(r, "section", s.id, s.narrative));
    } else {
      box.append(...s.paragraphs.map((p) => el("p", {}, p)));
    }
    if (s.source_note) box.append(el("p", { class: "hint" }, s.source_note));
    return box;
  }

  function writable(r, field, title, text, changed, missing) {
    const box = el("section", { class: "card" + (changed ? " changed" : ""), id: "field-" + field },
      el("h2", {}, title, changed ? el("span", { class: "badge changed" }, L.changed) : null));
    if (r.editable) box.append(editor(r, field, null, text));
    else box.append(el("p", {}, text || missing));
    return box;
  }

  // A text the officer writes: saved as a draft a moment after they stop typing.
  function editor(r, field, sectionId, text) {
    const area = el("textarea", { "data-field": field, "data-section": sectionId,
      maxlength: "3000" });
    area.value = text || "";
    // The whole text shows, however long: no scrolling inside a box on a phone.
    const fit = () => {
      area.style.height = "auto";
      area.style.height = area.scrollHeight + 2 + "px";
    };
    area.addEventListener("input", fit);
    requestAnimationFrame(fit);
    const line = el("p", { class: "status-line" }, L.draft_hint);
    let timer = null;
    let saved = area.value;
    async function save() {
      timer = null;
      const value = area.value;
      if (value === saved || !value.trim()) return;
      line.className = "status-line";
      line.textContent = L.saving;
      try {
        const page = await api("report/" + r.id + "/edit", { field, section: sectionId, text: value });
        saved = value;
        warn(page.report);
        if (area.value === value) line.textContent = L.saved;
      } catch (error) {
        line.className = "status-line error";
        line.textContent = error.message;
      }
    }
    area.addEventListener("input", () => {
      clearTimeout(timer);
      line.textContent = "";
      timer = setTimeout(save, 700);
    });
    area.addEventListener("blur", () => {
      if (timer) {
        clearTimeout(timer);
        save();
      }
    });
    area.flush = async () => {
      if (timer) clearTimeout(timer);
      await save();
    };
    return el("div", {}, area, line);
  }

  // The copy-paste warning follows the text as it is edited, as the chat's status line does.
  function warn(r) {
    const banner = document.getElementById("copy-warning");
    if (r.copy_warning && !banner) {
      document.getElementById("status").after(el("p", { class: "banner danger",
        id: "copy-warning" }, fill(L.copy_warning, { n: r.similarity })));
    } else if (r.copy_warning) {
      banner.textContent = fill(L.copy_warning, { n: r.similarity });
    } else if (banner) {
      banner.remove();
    }
  }

  function submitBlock(r) {
    const line = el("p", { class: "status-line", id: "submit-status" });
    const button = el("button", { class: "primary", id: "submit" }, L.submit);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        for (const area of app.querySelectorAll("textarea")) await area.flush();
        const assessment = app.querySelector('textarea[data-field="assessment"]');
        if (assessment && !assessment.value.trim()) {
          line.className = "status-line error";
          line.textContent = L.submit_needs_assessment;
          assessment.focus();
          return;
        }
        await api("report/" + r.id + "/submit", {});
        say(L.submitted);
        await showReport(r.id);
      } catch (error) {
        line.className = "status-line error";
        line.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    });
    return el("div", {}, el("div", { class: "actions" }, button), line);
  }

  function reviewBlock(r) {
    const choice = el("select", { id: "comment-section" },
      el("option", { value: "" }, L.whole_report),
      r.sections.map((s) => el("option", { value: s.id }, s.title)));
    const comment = el("textarea", { id: "comment", placeholder: L.comment_placeholder,
      maxlength: "1000" });
    const line = el("p", { class: "status-line", id: "review-status" });
    async function decide(approve) {
      if (!approve && !comment.value.trim()) {
        line.className = "status-line error";
        line.textContent = L.comment_needed;
        comment.focus();
        return;
      }
      try {
        await api("report/" + r.id + "/review", { version: r.version, approve,
          comment: approve ? null : comment.value, section: choice.value || null });
        say(approve ? L.approved : L.returned);
        await showReport(r.id);
      } catch (error) {
        line.className = "status-line error";
        line.textContent = error.message;
      }
    }
    return el("div", { class: "card", id: "review" },
      el("h2", {}, L.return), el("label", {}, L.comment_on, choice), comment,
      el("div", { class: "actions" },
        el("button", { class: "secondary", id: "return", onclick: () => decide(false) }, L.return),
        el("button", { class: "primary", id: "approve", onclick: () => decide(true) }, L.approve)),
      line);
  }

  // Thumbnails are fetched when they scroll into view, the full photo on tap: twenty photos
  // must not hold up the first screen.
  function photos(r) {
    const grid = el("div", { class: "photos" });
    const watcher = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        watcher.unobserve(entry.target);
        load(entry.target, "thumb");
      }
    }, { rootMargin: "200px" });
    async function load(img, size) {
      try {
        const blob = await api("report/" + r.id + "/photo/" + img.dataset.id + "?size=" + size);
        const url = URL.createObjectURL(blob);
        if (size === "full") {
          viewerImg.src = url;
          viewer.hidden = false;
        } else {
          img.src = url;
          img.dataset.loaded = "1";
        }
      } catch (error) {
        say(error.message);
      }
    }
    for (const p of r.photos) {
      // The number and what it shows under the thumbnail; the times with the full photo.
      const img = el("img", { alt: "", "data-id": p.id, title: p.caption });
      img.addEventListener("click", () => load(img, "full"));
      watcher.observe(img);
      grid.append(el("figure", {}, img,
        el("figcaption", {}, p.caption.split(" · ").slice(0, 2).join(" · "))));
    }
    return grid;
  }

  async function showTeam() {
    const data = await api("team");
    L = data.labels;
    document.title = L.team_title;
    const parts = [backLink(), el("h1", {}, L.team_title, " ", el("span", { class: "hint" },
      data.month))];
    parts.push(el("h2", {}, L.plan_chart), el("div", { class: "chart" },
      el("canvas", { id: "plan-chart", role: "img", "aria-label": L.plan_chart })));
    parts.push(table([L.officer, L.done, L.due, L.overdue, L.alerts],
      ["name", "done", "due", "overdue", "alerts"], data.officers));
    parts.push(el("h2", {}, L.overdue_title));
    if (!data.overdue.length) parts.push(el("p", { class: "hint" }, L.no_overdue));
    for (const v of data.overdue) {
      parts.push(el("div", { class: "card" }, el("strong", {}, v.client), " ",
        el("span", { class: "hint" }, v.officer, " · ", v.due, " · ", fill(L.overdue_days, { n: v.days })),
        el("ul", { class: "list" }, v.reasons.map((reason) => el("li", {}, reason)))));
    }
    parts.push(el("h2", {}, L.alerts_title));
    if (!data.alerts.length) parts.push(el("p", { class: "hint" }, L.no_alerts));
    for (const a of data.alerts) {
      const button = el("button", { class: "primary", "data-alert": a.id }, L.acknowledge);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api("alert/" + a.id + "/ack", {});
          button.textContent = L.acknowledged;
        } catch (error) {
          button.disabled = false;
          say(error.message);
        }
      });
      parts.push(el("div", { class: "card finding " + a.severity }, el("strong", {}, a.title),
        el("p", { class: "hint" }, a.client, " · ", a.officer, " · ", a.at), button));
    }
    parts.push(el("h2", {}, L.risk_title), el("div", { class: "chart" },
      el("canvas", { id: "risk-chart", role: "img", "aria-label": L.risk_title })));
    app.replaceChildren(...parts.flat(Infinity));
    charts(data);
  }

  function charts(data) {
    if (!window.Chart) return;
    const style = getComputedStyle(document.documentElement);
    const text = style.getPropertyValue("--text").trim();
    const hint = style.getPropertyValue("--hint").trim();
    Chart.defaults.color = text;
    Chart.defaults.borderColor = hint + "40";
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.animation = false;
    const names = data.officers.map((o) => o.name);
    new Chart(document.getElementById("plan-chart"), {
      type: "bar",
      data: { labels: names, datasets: [
        { label: L.done, data: data.officers.map((o) => o.done), backgroundColor: "#43a047" },
        { label: L.due, data: data.officers.map((o) => o.due), backgroundColor: "#90a4ae" },
        { label: L.overdue, data: data.officers.map((o) => o.overdue), backgroundColor: "#e53935" },
      ] },
      options: { indexAxis: "y", maintainAspectRatio: false, responsive: true,
        scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } } },
    });
    const tierColours = { normal: "#43a047", special_mention: "#f9a825", substandard: "#fb8c00",
      doubtful: "#e53935", loss: "#6d4c41" };
    new Chart(document.getElementById("risk-chart"), {
      type: "bar",
      data: { labels: data.risk.map((t) => t.label), datasets: [{ label: L.risk_title,
        data: data.risk.map((t) => t.n), backgroundColor: data.risk.map((t) => tierColours[t.tier]) }] },
      options: { maintainAspectRatio: false, responsive: true,
        plugins: { legend: { display: false } }, scales: { y: { ticks: { precision: 0 } } } },
    });
  }

  if (!initData) {
    app.replaceChildren(el("p", { class: "banner danger", id: "error" },
      "请从 Telegram 里机器人的按钮打开本页面。 Open this page from the bot's button in Telegram."));
    return;
  }
  route();
})();

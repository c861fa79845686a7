// The riskcurve dashboard: loads the status card and the charts for an as-of date from the API,
// and plots any series of the catalog. Every request is same-origin, so a token cookie set by a
// ?token= visit travels with it and the token itself never appears in this page.
"use strict";

(function () {
  const config = {responsive: true, displaylogo: false};
  const $ = (id) => document.getElementById(id);

  // The token belongs in a cookie, not in the address bar (it would end up in bookmarks and history).
  const url = new URL(window.location.href);
  if (url.searchParams.has("token")) {
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  function say(text) {
    $("message").textContent = text || "";
  }

  async function fetchOk(path) {
    const response = await fetch(path, {credentials: "same-origin"});
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const body = await response.json();
        detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      } catch (ignored) {
        // not JSON: keep the status text
      }
      throw new Error(`${path}: ${response.status} ${detail}`);
    }
    return response;
  }

  // Numbers as people read them: simple returns as percentages, counts as integers, dates as YYYY-MM-DD.
  const pct = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? "unknown" : `${x >= 0 ? "+" : ""}${(100 * x).toFixed(digits)}%`);
  const pts = (x) => (x === null || x === undefined ? "no baseline" : `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)} pts`);
  const count = (n) => (n === null || n === undefined ? "unknown" : Math.round(n).toLocaleString("en-US"));
  const day = (text) => (text ? String(text).slice(0, 10) : "-");
  const pvalue = (p) => (p === null || p === undefined ? "unknown" : p < 0.001 ? "< 0.001" : p.toFixed(3));

  // CSV of any table, built in the page from the cells shown (no request to the server).
  function csvText(header, rows) {
    const cell = (v) => {
      const text = String(v ?? "");
      return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    return [header, ...rows].map((row) => row.map(cell).join(",")).join("\n") + "\n";
  }

  function csvLink(name, header, rows) {
    const link = document.createElement("a");
    link.className = "csv";
    link.textContent = "CSV";
    link.download = `riskcurve-${name}.csv`;
    link.href = URL.createObjectURL(new Blob([csvText(header, rows)], {type: "text/csv"}));
    link.dataset.table = name;
    return link;
  }

  function slug(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "table";
  }

  // Every HTML table under ``root`` gets a CSV link just before it, named after its heading.
  function addCsvLinks(root) {
    root.querySelectorAll("table").forEach((table, i) => {
      const prev = table.previousElementSibling;
      if (prev && prev.classList.contains("csv")) {
        return;
      }
      let heading = table.previousElementSibling;
      while (heading && !/^H[1-6]$/.test(heading.tagName)) {
        heading = heading.previousElementSibling;
      }
      const name = table.dataset.name || table.className || (heading ? slug(heading.textContent) : `table-${i + 1}`);
      const rows = [...table.querySelectorAll("tr")].map((tr) => [...tr.children].map((td) => td.textContent.trim()));
      if (rows.length) {
        table.before(csvLink(slug(name), rows[0], rows.slice(1)));
      }
    });
  }

  // A table from plain values (text only, never HTML), with its CSV link.
  function table(target, name, header, rows) {
    const element = document.createElement("table");
    element.dataset.name = name;
    const head = element.createTHead().insertRow();
    for (const h of header) {
      const th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    }
    const body = element.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const value of row) {
        tr.insertCell().textContent = value;
      }
    }
    target.replaceChildren(element);
    addCsvLinks(target);
  }

  // A plotly table figure (the freshness table): its CSV from the figure's own columns.
  function addFigureCsv(name, figure) {
    const trace = (figure.data || [])[0];
    const box = $("box-" + name);
    if (!trace || trace.type !== "table" || !box) {
      return;
    }
    const columns = trace.cells.values;
    const rows = columns.length ? columns[0].map((_, i) => columns.map((c) => c[i])) : [];
    box.querySelector("a.csv")?.remove();
    box.prepend(csvLink(name, trace.header.values, rows));
  }

  // -- the study panel ---------------------------------------------------------------------------
  function ledgerCell(entry) {
    if (!entry) {
      return "-";
    }
    if (entry.outcome === "pending") {
      return entry.end_date ? `pending until ${day(entry.end_date)}` : "pending";
    }
    if (entry.outcome === "unknown") {
      return `unknown: ${entry.reason || "no data"}`;
    }
    return `${pct(entry.realised)} (excess ${pts(entry.excess)})`;
  }

  function showLedger(doc) {
    const spans = doc.horizons;
    $("ledger-meta").textContent =
      `${doc.leader} signals since ${day(doc.claim_date)}, as of ${day(doc.as_of)}; simple returns, excess over ` +
      `the follower's median return over the same horizon in the four years before. ${doc.signals.length} signals.`;
    const rows = [];
    for (const signal of doc.signals) {
      const followers = [...new Set(doc.entries.filter((e) => e.signal_date === signal.date).map((e) => e.follower))];
      for (const follower of followers) {
        const cells = spans.map((h) =>
          ledgerCell(doc.entries.find((e) => e.signal_date === signal.date && e.follower === follower && e.horizon === h)),
        );
        rows.push([day(signal.date), `${signal.kind} ${count(signal.level)}`, follower, ...cells]);
      }
    }
    table($("ledger"), "ledger", ["signal", "rule", "follower", ...spans.map((h) => `${h} days`)], rows);
  }

  // One excess cell as the CLI prints it: points of simple return and the 95% interval of the excess.
  function excessCell(row, h) {
    const x = row[`excess_${h}d_pts`];
    if (x === null || x === undefined) return "n/a";
    const interval = row[`interval_${h}d_pts`];
    return `${x >= 0 ? "+" : ""}${x.toFixed(1)} pts${interval ? ` (${interval})` : ""}`;
  }

  // The library's summary rows (StudyResult.summary): the panel only presents them.
  function showStudy(doc) {
    $("study-meta").textContent =
      `${doc.label}; ${count((doc.events || []).length)} declustered ${doc.leader || ""} breakouts ` +
      `${(doc.period || []).join(" .. ")}. ${doc.verdict_rule || ""}`;
    const horizons = [30, 60, 90];
    const rows = (doc.summary || []).map((row) => [
      row.follower,
      count(row.n),
      ...horizons.map((h) => excessCell(row, h)),
      row.decided_at_days ? `${pvalue(row.p_placebo)} (${row.decided_at_days} d)` : "n/a",
      pvalue(row.p_holm),
      row.mde_pts === null || row.mde_pts === undefined ? "n/a" : `+${row.mde_pts.toFixed(0)} pts`,
      row.verdict,
    ]);
    table(
      $("study-summary"),
      "study",
      ["follower", "N", "excess 30 d", "excess 60 d", "excess 90 d", "placebo p", "Holm p", "MDE", "verdict"],
      rows,
    );
  }

  function showStageModel(doc) {
    const returns = doc.stage_returns;
    const horizon = Math.max(...returns.horizons);
    $("stage-model-meta").textContent =
      `as of ${day(doc.as_of)}; forward ${horizon}-day simple return by the stage known each session ` +
      `(${day(returns.first_session)} .. ${day(returns.last_session)}): mean [95% interval], n = independent episodes`;
    const cells = returns.cells.filter((c) => c.horizon === horizon && c.era === "all");
    const stages = [...new Set(cells.map((c) => c.stage))];
    const rows = stages.map((stage) => [
      stage,
      ...returns.followers.map((f) => {
        const c = cells.find((x) => x.stage === stage && x.follower === f);
        return c && c.mean !== null ? `${pct(c.mean, 0)} [${pct(c.lower, 0)}, ${pct(c.upper, 0)}] n=${count(c.independent)}` : "unknown";
      }),
    ]);
    table($("stage-model"), "stage-model", ["stage", ...returns.followers], rows);
    const ladder = doc.ladder || {};
    const lines = [
      `Ladder order (HY spread, S&P 500, Russell 2000, crypto): ${count(ladder.ranked_cycles)} ranked cycles, ` +
        `mean Kendall tau ${ladder.mean_tau === null || ladder.mean_tau === undefined ? "unknown" : ladder.mean_tau.toFixed(2)} (p = ${pvalue(ladder.p_tau)})`,
      ...(doc.precedents || []).map((p) => `${p.id}: ${p.verdict}`),
    ];
    const notes = document.createElement("ul");
    for (const line of lines) {
      notes.appendChild(document.createElement("li")).textContent = line;
    }
    $("stage-model").appendChild(notes);
  }

  async function loadPart(path, query, meta, show) {
    try {
      show(await (await fetchOk(path + query)).json());
    } catch (error) {
      $(meta).textContent = String(error.message || error); // e.g. no study stored yet: say why
    }
  }

  async function loadStudy(asOf) {
    const query = "?as_of=" + encodeURIComponent(asOf);
    await Promise.all([
      loadPart("api/ledger", query, "ledger-meta", showLedger),
      loadPart("api/study", query, "study-meta", showStudy),
      loadPart("api/stage-model", query, "stage-model-meta", showStageModel),
    ]);
    document.body.dataset.studyAsOf = asOf;
  }

  let loading = 0;
  async function loadAsOf(asOf) {
    const ticket = ++loading;
    const query = "?as_of=" + encodeURIComponent(asOf);
    $("busy").textContent = "loading " + asOf + "…";
    say("");
    try {
      const [card, charts] = await Promise.all([
        fetchOk("ui/card" + query).then((r) => r.text()),
        fetchOk("api/charts" + query).then((r) => r.json()),
      ]);
      if (ticket !== loading) {
        return; // a newer date was asked for meanwhile
      }
      $("card").innerHTML = card;
      addCsvLinks($("card"));
      for (const [name, figure] of Object.entries(charts.figures)) {
        const target = $("chart-" + name);
        if (target) {
          await Plotly.react(target, figure.data, figure.layout, config);
          addFigureCsv(name, figure);
        }
      }
      const status = document.getElementById("status");
      if (status && status.dataset.session && !$("as-of").value) {
        $("as-of").value = status.dataset.session;
      }
      document.body.dataset.loadedAsOf = asOf;
      $("busy").textContent = "";
    } catch (error) {
      $("busy").textContent = "";
      say(String(error.message || error));
      console.error(error);
    }
  }

  async function loadCatalog() {
    const series = await (await fetchOk("api/series")).json();
    for (const [id, choice] of [["series-id", "RUT"], ["overlay-a", "RUT"], ["overlay-b", "BTC"]]) {
      const select = $(id);
      for (const s of series.filter((x) => x.observations > 0)) {
        const option = document.createElement("option");
        option.value = s.id;
        option.textContent = `${s.id} — ${s.name} (${s.units})`;
        select.appendChild(option);
      }
      select.value = choice;
    }
    const [a, b] = overlayIds();
    for (const [id, value] of [["overlay-a", a], ["overlay-b", b]]) {
      if ([...$(id).options].some((o) => o.value === value)) {
        $(id).value = value;
      }
    }
    const start = new Date();
    start.setFullYear(start.getFullYear() - 10);
    $("series-start").value = start.toISOString().slice(0, 10);
    $("overlay-start").value = start.toISOString().slice(0, 10);
  }

  const pageAsOf = () => new URL(window.location.href).searchParams.get("as_of") || "latest";

  // Two series on two y axes, each titled with its name and units, as known at the page's as-of.
  // The pair lives in the address too (?overlay=RUT,BTC), so an overlay can be shared like the as-of.
  function overlayIds() {
    const shared = (new URL(window.location.href).searchParams.get("overlay") || "").split(",");
    return shared.length === 2 && shared[0] && shared[1] ? shared : [$("overlay-a").value, $("overlay-b").value];
  }

  function chooseOverlay() {
    const here = new URL(window.location.href);
    here.searchParams.set("overlay", `${$("overlay-a").value},${$("overlay-b").value}`);
    window.history.replaceState(null, "", here.pathname + here.search + here.hash);
    return plotOverlay();
  }

  async function plotOverlay() {
    const ids = overlayIds();
    if (!ids[0] || !ids[1]) {
      return;
    }
    const asOf = pageAsOf();
    const query = new URLSearchParams({as_of: asOf});
    if ($("overlay-start").value) {
      query.set("start", $("overlay-start").value);
    }
    try {
      const [a, b] = await Promise.all(
        ids.map(async (id) => (await fetchOk(`api/series/${encodeURIComponent(id)}?${query}`)).json()),
      );
      const axis = (d) => ({text: `${d.name} (${d.id}, ${d.units})`});
      await Plotly.react(
        $("overlay-chart"),
        [
          {x: a.dates, y: a.values, type: "scatter", mode: "lines", name: a.id, line: {color: "#4e79a7"}},
          {x: b.dates, y: b.values, type: "scatter", mode: "lines", name: b.id, yaxis: "y2", line: {color: "#e15759"}},
        ],
        {
          title: {text: `${a.id} and ${b.id} as of ${asOf === "latest" ? "the latest close" : asOf}`},
          height: 440,
          margin: {l: 70, r: 70, t: 60, b: 40},
          yaxis: {title: axis(a), color: "#4e79a7"},
          yaxis2: {title: axis(b), overlaying: "y", side: "right", color: "#e15759", showgrid: false},
          legend: {orientation: "h", y: -0.12},
        },
        config,
      );
      document.body.dataset.overlay = ids.join(",");
    } catch (error) {
      say(String(error.message || error));
      console.warn(error);
    }
  }

  async function plotSeries() {
    const id = $("series-id").value;
    if (!id) {
      return;
    }
    // As known at the page's as-of, like every other view on it (a past view never shows later data).
    const query = new URLSearchParams({as_of: pageAsOf()});
    if ($("series-start").value) {
      query.set("start", $("series-start").value);
    }
    try {
      const data = await (await fetchOk(`api/series/${encodeURIComponent(id)}?${query}`)).json();
      await Plotly.react(
        $("series-chart"),
        [{x: data.dates, y: data.values, type: "scatter", mode: "lines", name: data.id}],
        {
          title: {text: `${data.name} (${data.id}, ${data.field}, ${data.units}) · ${data.count} points, as of ${day(pageAsOf())}`},
          height: 420,
          margin: {l: 60, r: 30, t: 60, b: 40},
        },
        config,
      );
    } catch (error) {
      say(String(error.message || error));
      console.error(error);
    }
  }

  // The as-of lives in the address (?as_of=2026-06-15), so a view can be bookmarked and shared.
  function showAsOf(asOf) {
    const here = new URL(window.location.href);
    if (asOf === "latest") {
      here.searchParams.delete("as_of");
    } else {
      here.searchParams.set("as_of", asOf);
    }
    window.history.replaceState(null, "", here.pathname + here.search + here.hash);
    loadStudy(asOf);
    plotSeries();
    plotOverlay();
    return loadAsOf(asOf);
  }

  // After `riskcurve update` lands, the store's version changes: redraw the view shown.
  let version = null;
  async function pollVersion() {
    try {
      const now = (await (await fetchOk("api/version")).json()).version;
      if (version !== null && now !== version) {
        await loadAsOf(pageAsOf());
        plotSeries();
        plotOverlay();
        loadStudy(pageAsOf());
      }
      version = now;
    } catch (error) {
      console.warn(error);
    }
  }

  $("as-of").addEventListener("change", (event) => showAsOf(event.target.value || "latest"));
  $("latest").addEventListener("click", () => {
    $("as-of").value = "";
    showAsOf("latest");
  });
  $("series-plot").addEventListener("click", plotSeries);
  $("series-id").addEventListener("change", plotSeries);
  $("overlay-plot").addEventListener("click", chooseOverlay);
  $("overlay-a").addEventListener("change", chooseOverlay);
  $("overlay-b").addEventListener("change", chooseOverlay);

  const shared = url.searchParams.get("as_of");
  if (shared) {
    $("as-of").value = shared;
  }
  loadAsOf(shared || "latest");
  loadStudy(shared || "latest");
  pollVersion();
  window.setInterval(pollVersion, 15000);
  loadCatalog()
    .then(() => Promise.all([plotSeries(), plotOverlay()]))
    .catch((error) => {
      say(String(error.message || error));
      console.error(error);
    });
})();

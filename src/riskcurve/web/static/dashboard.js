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
      for (const [name, figure] of Object.entries(charts.figures)) {
        const target = $("chart-" + name);
        if (target) {
          await Plotly.react(target, figure.data, figure.layout, config);
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
    const select = $("series-id");
    for (const s of series.filter((x) => x.observations > 0)) {
      const option = document.createElement("option");
      option.value = s.id;
      option.textContent = `${s.id} — ${s.name} (${s.units})`;
      select.appendChild(option);
    }
    select.value = "RUT";
    const start = new Date();
    start.setFullYear(start.getFullYear() - 10);
    $("series-start").value = start.toISOString().slice(0, 10);
  }

  async function plotSeries() {
    const id = $("series-id").value;
    if (!id) {
      return;
    }
    const start = $("series-start").value;
    try {
      const query = start ? "?start=" + encodeURIComponent(start) : "";
      const data = await (await fetchOk("api/series/" + encodeURIComponent(id) + query)).json();
      await Plotly.react(
        $("series-chart"),
        [{x: data.dates, y: data.values, type: "scatter", mode: "lines", name: data.id}],
        {
          title: {text: `${data.name} (${data.id}, ${data.field}, ${data.units}) · ${data.count} points`},
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
    return loadAsOf(asOf);
  }

  // After `riskcurve update` lands, the store's version changes: redraw the view shown.
  let version = null;
  async function pollVersion() {
    try {
      const now = (await (await fetchOk("api/version")).json()).version;
      if (version !== null && now !== version) {
        await loadAsOf(new URL(window.location.href).searchParams.get("as_of") || "latest");
        plotSeries();
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

  const shared = url.searchParams.get("as_of");
  if (shared) {
    $("as-of").value = shared;
  }
  loadAsOf(shared || "latest");
  pollVersion();
  window.setInterval(pollVersion, 15000);
  loadCatalog().then(plotSeries).catch((error) => {
    say(String(error.message || error));
    console.error(error);
  });
})();

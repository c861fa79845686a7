"""The dashboard in a real browser: `riskcurve serve` in a subprocess, Debian's chromium via Playwright."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import riskcurve
from riskcurve.catalog import Catalog
from riskcurve.data.store import Store
from riskcurve.report.charts import CHARTS
from riskcurve.service import STUDY_STATE_KEY, StudyRun
from tests.conftest import latest_close
from tests.show_helpers import copy_store, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


# A stored study with known numbers beside the real ledger: the panel must show them as people read them.
STUDY_SUMMARY = [
    {
        "follower": "ETH", "n": 7, "excess_30d_pts": 12.3, "interval_30d_pts": "-3 to +20",
        "excess_60d_pts": -5.0, "interval_60d_pts": "-30 to +25", "excess_90d_pts": 30.1, "interval_90d_pts": None,
        "decided_at_days": 30, "p_placebo": 0.0412, "p_holm": 0.2, "mde_pts": 31.4, "verdict": "suggestive",
    },
    {
        "follower": "BTC", "n": 8, "excess_30d_pts": 2.0, "interval_30d_pts": "-9 to +12",
        "excess_60d_pts": 0.0, "interval_60d_pts": "-20 to +20", "excess_90d_pts": None, "interval_90d_pts": None,
        "decided_at_days": 90, "p_placebo": 0.0004, "p_holm": 0.0009, "mde_pts": 22.0, "verdict": "evidence",
    },
]  # fmt: skip
STUDY_SHOWN = {  # follower -> N, excess at 30/60/90 days, placebo p, Holm p, MDE, verdict word
    "ETH": ["ETH", "7", "+12.3 pts (-3 to +20)", "-5.0 pts (-30 to +25)", "+30.1 pts", "0.041 (30 d)", "0.200",
            "+31 pts", "suggestive"],
    "BTC": ["BTC", "8", "+2.0 pts (-9 to +12)", "+0.0 pts (-20 to +20)", "n/a", "< 0.001 (90 d)", "< 0.001",
            "+22 pts", "evidence"],
}  # fmt: skip


def stored_study(path: Path) -> None:
    """Store a study as of the latest close: the real ledger, hand-set event-study figures."""
    rc = riskcurve.open(path)
    moment = rc.resolve("latest")
    document = {
        "ledger": rc.ledger(moment).to_dict(),
        "leader": "RUT",
        "period": ["1990-01-02", moment.date().isoformat()],
        "events": [{"date": "2020-11-13", "kind": "ath", "level": 1800.0, "close": 1805.0}],
        "summary": STUDY_SUMMARY,
        "verdict_rule": "Verdict rule: a hand-set rule for the test.",
    }
    run = StudyRun(as_of=moment, fingerprint="test", computed_at=moment, document=document)
    with Store(path) as store:
        store.set_state(STUDY_STATE_KEY, json.dumps(run.to_dict()))


@pytest.fixture(scope="module")
def store_with_study(real_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = copy_store(real_store_path, tmp_path_factory.mktemp("study"))
    stored_study(path)
    return path


@pytest.fixture(scope="module")
def server(store_with_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`riskcurve serve` on a free loopback port; yields its base URL."""
    real_store_path = store_with_study
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "RISKCURVE_TOKEN"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "riskcurve.cli", "serve", "--port", str(port), "--db", str(real_store_path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"server did not come up:\n{log.read_text()}"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _problem(message: Any) -> bool:
    """A console error, except the browser's note of /api/study's 404: "no study for this view" is an
    answer (a stored study later than the view is not shown), which the panel states in words."""
    url = (message.location or {}).get("url", "")
    return bool(message.type == "error" and "/api/study" not in url)


# Known stages on past dates (see test_stages and test_api): whichever differs from the latest stage
# shows that the page follows the as-of date.
KNOWN_STAGES = {"2026-06-15": "Large caps rally", "2026-01-09": "Small caps lead"}


def test_dashboard_renders_and_follows_the_as_of_date(server: str, data_dir: Path, catalog: Catalog) -> None:
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if _problem(m) else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            response = page.goto(server + "/")
            assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
            page.wait_for_selector("body[data-loaded-as-of='latest']", timeout=60_000)
            for chart in CHARTS:
                assert page.locator(f"#chart-{chart.name} svg.main-svg").count() > 0, chart.name
                drawn = page.locator(
                    f"#chart-{chart.name} .scatterlayer .trace path, #chart-{chart.name} .barlayer .point, "
                    f"#chart-{chart.name} g.table"
                )
                assert drawn.count() > 0, f"{chart.name}: no trace drawn"
            page.wait_for_selector("#series-chart svg.main-svg", timeout=30_000)
            assert page.locator("#series-id option").count() > 50
            latest_stage = page.inner_text("#stage-name")
            assert page.get_attribute("#status", "data-as-of") == latest_close(data_dir, catalog).isoformat()

            day, stage = next((d, name) for d, name in KNOWN_STAGES.items() if name != latest_stage)
            page.fill("#as-of", day)
            page.wait_for_selector(f"body[data-loaded-as-of='{day}']", timeout=60_000)
            assert (page.get_attribute("#status", "data-as-of") or "").startswith(day)
            assert page.inner_text("#stage-name") == stage != latest_stage
            page.wait_for_selector(f"body[data-study-as-of='{day}']", timeout=120_000)
            assert "later than this view" in page.inner_text("#study-meta")  # the stored study is newer
            assert f"as_of={day}" in page.url  # the view is in the address, to share
            shared = browser.new_page(viewport={"width": 1280, "height": 800})
            shared.goto(page.url)
            shared.wait_for_selector(f"body[data-loaded-as-of='{day}']", timeout=60_000)
            assert shared.inner_text("#stage-name") == stage and shared.input_value("#as-of") == day
            shared.close()
            page.select_option("#series-id", "WALCL")
            # A locator, not wait_for_function: the page's CSP forbids the eval a string predicate needs.
            page.locator("#series-chart .gtitle").filter(has_text="WALCL").first.wait_for(timeout=30_000)
            # The explorer is as of the page's view too: WALCL as known on that day, not now.
            page.locator("#series-chart .gtitle").filter(has_text=f"as of {day}").first.wait_for(timeout=30_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert not problems, problems
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def _ledger_cell(entry: dict[str, object]) -> str:
    """How the panel writes a realised ledger entry: the simple return and its excess in points."""
    realised, excess = float(entry["realised"]), float(entry["excess"])  # type: ignore[arg-type]
    return f"{realised:+.1%} (excess {100 * excess:+.1f} pts)".replace("+-", "-")


def test_study_panel_tables_csv_overlay_and_altseason_bars(server: str, store_with_study: Path, tmp_path: Path) -> None:
    ledger = httpx.get(f"{server}/api/ledger", params={"as_of": "latest"}, timeout=60).json()
    status = httpx.get(f"{server}/api/status", params={"as_of": "latest"}, timeout=60).json()
    rc = riskcurve.open(store_with_study)
    coins = rc.snapshot(rc.resolve("latest")).board.altseason_coins
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if _problem(m) else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.goto(server + "/")
            page.wait_for_selector("body[data-loaded-as-of='latest']", timeout=60_000)
            page.wait_for_selector("body[data-study-as-of='latest']", timeout=120_000)

            # The ledger first: one row per signal and follower, realised entries as simple returns.
            rows = page.locator("#ledger tbody tr")
            pairs = {(e["signal_date"], e["follower"]) for e in ledger["entries"]}
            assert rows.count() == len(pairs) > 0
            realised = next(e for e in ledger["entries"] if e["outcome"] == "realised")
            assert _ledger_cell(realised) in page.inner_text("#ledger")
            # The event study per follower: N, excess at 30/60/90 days, p and the verdict's word.
            shown = {
                cells[0]: cells
                for cells in (
                    [c.strip() for c in page.locator("#study-summary tbody tr").nth(i).locator("td").all_inner_texts()]
                    for i in range(page.locator("#study-summary tbody tr").count())
                )
            }
            assert shown == STUDY_SHOWN
            # The stage model: a row per confirmed stage and one for all sessions, with percentages.
            stages = page.locator("#stage-model tbody tr td:first-child").all_inner_texts()
            assert stages[:5] == ["0", "1", "2", "3", "4"] and "all" in stages
            assert "%" in page.inner_text("#stage-model tbody") and "n=" in page.inner_text("#stage-model tbody")

            # Claims vs data and the channels are on the dashboard (the status card).
            assert page.locator("#card table.claims tbody tr").count() == len(status["claims"]["claims"])
            assert page.locator("#card table.channels tbody tr").count() == len(status["channels"]["readings"])

            # Every table has a CSV link; the file carries the table's header.
            tables = page.locator("main table").count()
            assert page.locator("main a.csv").count() == tables + 1  # + the freshness figure's table
            for name, header in (
                ("ledger", "signal,rule,follower,30 days,60 days,90 days"),
                ("study", "follower,N,excess 30 d,excess 60 d,excess 90 d,placebo p,Holm p,MDE,verdict"),
                ("freshness", 'series,name,frequency,last date,published (UTC),"age, days",state'),  # quoted comma
            ):
                with page.expect_download() as download:
                    page.click(f"a.csv[data-table='{name}']")
                lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
                assert lines[0] == header, name
                assert len(lines) > 1, name
            with page.expect_download() as download:
                page.click("a.csv[data-table='claims']")
            claims_csv = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
            assert len(claims_csv) == 1 + len(status["claims"]["claims"])

            # The overlay: two traces on two y axes, each axis titled with its series and units.
            page.locator("body[data-overlay='RUT,BTC']").wait_for(timeout=30_000)
            assert page.locator("#overlay-chart .scatterlayer .trace").count() == 2
            assert "Russell 2000" in (page.locator("#overlay-chart .g-ytitle").text_content() or "")
            assert "usd" in (page.locator("#overlay-chart .g-y2title").text_content() or "").lower()
            page.select_option("#overlay-b", "WALCL")
            page.locator("body[data-overlay='RUT,WALCL']").wait_for(timeout=30_000)
            assert "WALCL" in (page.locator("#overlay-chart .g-y2title").text_content() or "")
            assert "overlay=RUT%2CWALCL" in page.url  # the pair is in the address, to share
            # An unknown id in a shared address is the API's 404, said in words on the page.
            bad = browser.new_page()
            bad.goto(server + "/?overlay=RUT,NOPE")
            bad.locator("#message").filter(has_text="unknown series 'NOPE'").wait_for(timeout=30_000)
            bad.close()

            # Altcoin season bars: one per coin with a known 90-day return, none for unknown coins.
            bars = page.locator("#chart-altseason_bars .barlayer .point")
            assert bars.count() == len(coins.known) > 0
            if coins.unknown:
                assert f"unknown: {len(coins.unknown)} of {len(coins.coins)}" in page.inner_text(
                    "#chart-altseason_bars"
                )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-study.png"), full_page=True)
        finally:
            browser.close()
    assert not problems, problems

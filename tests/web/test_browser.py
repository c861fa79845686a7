"""The dashboard in a real browser: `riskcurve serve` in a subprocess, Debian's chromium via Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from riskcurve.catalog import Catalog
from riskcurve.report.charts import CHARTS
from tests.conftest import latest_close
from tests.show_helpers import free_port

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


@pytest.fixture(scope="module")
def server(real_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`riskcurve serve` on a free loopback port; yields its base URL."""
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


# Known stages on past dates (see test_stages and test_api): whichever differs from the latest stage
# shows that the page follows the as-of date.
KNOWN_STAGES = {"2026-06-15": "Large caps rally", "2026-01-09": "Small caps lead"}


def test_dashboard_renders_and_follows_the_as_of_date(server: str, data_dir: Path, catalog: Catalog) -> None:
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            response = page.goto(server + "/")
            assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
            page.wait_for_selector("body[data-loaded-as-of='latest']", timeout=60_000)
            for chart in CHARTS:
                assert page.locator(f"#chart-{chart.name} svg.main-svg").count() > 0, chart.name
                drawn = page.locator(f"#chart-{chart.name} .scatterlayer .trace path, #chart-{chart.name} g.table")
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
            assert f"as_of={day}" in page.url  # the view is in the address, to share
            shared = browser.new_page(viewport={"width": 1280, "height": 800})
            shared.goto(page.url)
            shared.wait_for_selector(f"body[data-loaded-as-of='{day}']", timeout=60_000)
            assert shared.inner_text("#stage-name") == stage and shared.input_value("#as-of") == day
            shared.close()
            page.select_option("#series-id", "WALCL")
            # A locator, not wait_for_function: the page's CSP forbids the eval a string predicate needs.
            page.locator("#series-chart .gtitle").filter(has_text="WALCL").first.wait_for(timeout=30_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert not problems, problems
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000

"""Static copies of the HTML report for people who paste into notes: one PNG per chart, the page as PDF.

The report's own page is opened in a headless Chromium driven by Playwright, so the images are the
charts exactly as the report draws them (plotly's ``Plotly.toImage`` for each PNG, Chromium's printer
for the PDF), with no second rendering path to drift. Every request off the file itself is refused:
the export works offline, as the report does. Chromium is the machine's own (Debian's
``/usr/bin/chromium`` or ``RISKCURVE_CHROMIUM``); none found is one clear line, not a traceback.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskcurve.errors import RiskcurveError

#: Where a Chromium is looked for, after ``RISKCURVE_CHROMIUM``: Debian's package, then the PATH.
CHROMIUM_PATHS = ("/usr/bin/chromium",)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")
PAGE_WIDTH = 1200  # px: the viewport and the PDF page share it, so no chart is re-laid out for print
CHART_SCALE = 2  # PNG pixels per CSS pixel: sharp when pasted
LOAD_TIMEOUT_MS = 120_000  # the page inlines ~5 MB of plotly.js and draws every chart before export

# Every chart the page drew, as [data-chart name, PNG data URL], at the size the page gives it (a
# twelve-panel chart is taller than a one-line one); charts render synchronously on load.
_TO_IMAGES = """async (scale) => {
  const charts = Array.from(document.querySelectorAll("div.chart.js-plotly-plot"));
  const out = [];
  for (const chart of charts) {
    const box = chart.getBoundingClientRect();
    const size = {width: Math.round(box.width), height: Math.round(box.height)};
    out.push([chart.dataset.chart, await Plotly.toImage(chart, {format: "png", scale, ...size})]);
  }
  return out;
}"""


class NoBrowser(RiskcurveError):
    """No Chromium to draw the static export with."""


@dataclass(frozen=True)
class StaticExport:
    """What ``export_static`` wrote."""

    pngs: tuple[Path, ...]
    pdf: Path | None
    browser: str  # the Chromium binary used
    seconds: float

    def summary(self) -> str:
        parts = [f"{len(self.pngs)} PNG charts in {self.pngs[0].parent}"] if self.pngs else []
        parts += [f"the page as {self.pdf}"] if self.pdf is not None else []
        return f"wrote {' and '.join(parts)} ({self.seconds:.1f} s)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "png": [str(p) for p in self.pngs],
            "pdf": None if self.pdf is None else str(self.pdf),
            "browser": self.browser,
            "seconds": round(self.seconds, 1),
        }


def find_chromium(env: Mapping[str, str] = os.environ) -> str:
    """The Chromium binary to use: ``RISKCURVE_CHROMIUM`` (which must exist), Debian's, or the PATH's."""
    chosen = env.get("RISKCURVE_CHROMIUM")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise NoBrowser(f"RISKCURVE_CHROMIUM={chosen} is not an executable Chrome/Chromium")
        return chosen
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found
    raise NoBrowser(
        "no Chrome/Chromium for --png/--pdf: install it (Debian: apt-get install chromium) "
        "or set RISKCURVE_CHROMIUM to its path"
    )


def chart_file_name(name: str) -> str:
    """A chart's PNG name from its report id ("study-ETH-30" -> "study-ETH-30.png"), safe on any disk."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") + ".png"


def export_static(
    html_path: Path,
    *,
    png_dir: Path | None = None,
    pdf_path: Path | None = None,
    env: Mapping[str, str] = os.environ,
) -> StaticExport:
    """Open the written report ``html_path`` in headless Chromium and write each chart as a PNG into
    ``png_dir`` and/or the page as ``pdf_path``."""
    started = time.perf_counter()
    browser_path = find_chromium(env)
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise NoBrowser("--png/--pdf need the playwright package: pip install 'riskcurve[export]'") from None
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path, args=list(CHROMIUM_ARGS))
            try:
                page = browser.new_page(viewport={"width": PAGE_WIDTH, "height": 900})
                page.route("**/*", _only_the_file)
                page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=LOAD_TIMEOUT_MS)
                pngs: tuple[Path, ...] = ()
                if png_dir is not None:
                    pngs = _write_pngs(page.evaluate(_TO_IMAGES, CHART_SCALE), png_dir)
                if pdf_path is not None:
                    pdf_path.parent.mkdir(parents=True, exist_ok=True)
                    page.pdf(path=str(pdf_path), width=f"{PAGE_WIDTH}px", print_background=True)
            finally:
                browser.close()
    except PlaywrightError as exc:  # a browser that will not start, a page that does not load
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NoBrowser(f"{browser_path} could not draw the report: {first}") from None
    return StaticExport(pngs=pngs, pdf=pdf_path, browser=browser_path, seconds=time.perf_counter() - started)


def _only_the_file(route: Any) -> None:
    """Load the report file itself; refuse anything else (the report needs no network)."""
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


def _write_pngs(images: Sequence[tuple[str, str]], png_dir: Path) -> tuple[Path, ...]:
    png_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data_url in images:
        path = png_dir / chart_file_name(name)
        path.write_bytes(base64.b64decode(data_url.partition(",")[2]))
        written.append(path)
    return tuple(written)

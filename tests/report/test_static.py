"""`riskcurve report --png DIR --pdf FILE`: each chart as a PNG and the page as a PDF, drawn by Chromium."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskcurve.cli import app
from riskcurve.report import static
from riskcurve.report.static import NoBrowser, chart_file_name, find_chromium

CHROMIUM = Path("/usr/bin/chromium")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first, right after the signature)."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_no_browser_is_one_clear_line(tmp_path: Path, real_store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NoBrowser, match="RISKCURVE_CHROMIUM=/no/such/chromium is not an executable"):
        find_chromium({"RISKCURVE_CHROMIUM": "/no/such/chromium"})
    monkeypatch.setattr(static, "CHROMIUM_PATHS", ())
    with pytest.raises(NoBrowser, match=r"no Chrome/Chromium for --png/--pdf: install it \(Debian: apt-get"):
        find_chromium({"PATH": str(tmp_path)})

    out = tmp_path / "report.html"
    args = ["report", "--out", str(out), "--png", str(tmp_path / "png"), "--db", str(real_store_path)]
    result = CliRunner().invoke(app, args, env={"RISKCURVE_CHROMIUM": "/no/such/chromium"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "error: RISKCURVE_CHROMIUM=/no/such/chromium is not an executable Chrome/Chromium"
    ]
    assert not out.exists()  # said before the report was built


def test_chart_file_names_are_safe() -> None:
    assert chart_file_name("rut") == "rut.png"
    assert chart_file_name("study-ETH:30/x") == "study-ETH-30-x.png"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")
def test_one_png_per_chart_and_the_page_as_pdf(tmp_path: Path, real_store_path: Path) -> None:
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    out, png_dir, pdf = tmp_path / "report.html", tmp_path / "charts", tmp_path / "notes" / "report.pdf"
    args = ["report", "--as-of", "latest", "--out", str(out), "--png", str(png_dir), "--pdf", str(pdf)]
    result = CliRunner().invoke(app, [*args, "--json", "--db", str(real_store_path)], env={"RISKCURVE_CHROMIUM": ""})
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)["static"]

    # Every chart the report holds, by its own name, and nothing else.
    charts = re.findall(r'<div class="chart" id="chart-[^"]+" data-chart="([^"]+)"', out.read_text(encoding="utf-8"))
    assert len(charts) >= 10
    assert sorted(Path(p).name for p in document["png"]) == sorted(chart_file_name(c) for c in charts)
    sizes = {path.name: _png_size(path.read_bytes()) for path in png_dir.iterdir()}
    assert set(sizes) == {chart_file_name(c) for c in charts}
    # Drawn at twice the page's pixels: wider than the 1,200 px page less its margins, never empty.
    assert all(width > 1500 and height > 300 for width, height in sizes.values()), sizes
    assert sizes["rules.png"][1] > sizes["rut.png"][1]  # twelve rule panels stand taller than one chart

    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 2
    assert document["pdf"] == str(pdf) and document["browser"] == str(CHROMIUM)

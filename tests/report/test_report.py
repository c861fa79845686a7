"""The HTML report on the real store: offline, every chart with data, the status numbers of `status --json`."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import riskcurve
from riskcurve.catalog import Catalog
from riskcurve.cli import app
from riskcurve.data.store import Store
from riskcurve.report.charts import CHARTS, display_levels, rut_chart, thin
from riskcurve.report.html import render_report, study_sections
from riskcurve.service import STUDY_STATE_KEY, Snapshot, StudyChoice, StudyRun
from tests.conftest import latest_close, read_data
from tests.show_helpers import Page, assert_figure_has_data, cli_status, copy_store


@pytest.fixture(scope="module")
def latest(data_dir: Path, catalog: Catalog) -> pd.Timestamp:
    """What `--as-of latest` means for the data in the files: the newest Russell 2000 close's publication."""
    return latest_close(data_dir, catalog)


@pytest.fixture(scope="module")
def built(real_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The report as `riskcurve report --as-of latest` writes it, and the command's output."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(app, ["report", "--out", str(out), "--as-of", "latest", "--db", str(real_store_path)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8"), result.output


@pytest.fixture(scope="module")
def page(built: tuple[str, str]) -> Page:
    return Page(built[0])


@pytest.fixture(scope="module")
def snapshot(real_store_path: Path, latest: pd.Timestamp) -> Snapshot:
    return riskcurve.open(real_store_path).snapshot(latest)


def test_cli_reports_what_it_wrote(built: tuple[str, str], real_store_path: Path, latest: pd.Timestamp) -> None:
    html, output = built
    doc = cli_status(str(real_store_path), "latest")
    assert doc["as_of"] == latest.isoformat()
    said = " ".join(output.split())
    headline = "stage unknown" if doc["stage"] is None else f"stage {doc['stage']} {doc['stage_name']}"
    assert "wrote" in said and f"{headline} as of {doc['as_of']}" in said
    assert "no study: no study stored yet" in said
    assert "built in" in said
    assert re.search(r"built in \d+\.\d s", html)
    assert 1_000_000 < len(html.encode()) < 8_000_000  # plotly.js (~5 MB) plus light figures


def test_works_offline_with_plotly_inlined_once(page: Page, built: tuple[str, str]) -> None:
    html = built[0]
    for element in page.elements:
        for attr in ("src", "href"):
            value = element.attrs.get(attr, "")
            assert not value.startswith(("http://", "https://", "//")), (
                f"<{element.tag} {attr}={value}> needs a network"
            )
    assert all("src" not in script.attrs for script in page.find("script"))  # nothing to fetch, even locally
    assert len(re.findall(r"\* plotly\.js v\d", html)) == 1
    inline = [s for s in page.find("script") if "type" not in s.attrs]
    assert sum(len(s.text) > 3_000_000 for s in inline) == 1


def test_every_chart_is_present_with_data(page: Page, catalog: Catalog) -> None:
    figures = {s.attrs["data-chart"]: json.loads(s.text) for s in page.find("script", class_="figure-data")}
    # + the net-liquidity decomposition, and the stage model's two charts in their own section
    assert list(figures) == [c.name for c in CHARTS] + ["channels", "stage-returns", "stage-ladder"]
    for name, figure in figures.items():
        page.by_id(f"chart-{name}")
        assert_figure_has_data(name, figure)
    assert "weekly points before" in figures["liquidity"]["layout"]["title"]["subtitle"]["text"]
    liquidity = figures["liquidity"]
    rut = next(t for t in liquidity["data"] if t["name"].startswith("Russell 2000"))
    assert rut["yaxis"] == "y2" and liquidity["layout"]["yaxis2"]["type"] == "log"
    assert liquidity["layout"]["yaxis2"]["ticktext"][0].replace(",", "").isdigit()  # no minor-digit labels
    rules = figures["rules"]
    metrics = [r["metric"] for st in json.loads(page.by_id("status-data").text)["stages"] for r in st["rules"]]
    assert [t["name"] for t in rules["data"]] == metrics  # one panel per rule, in the card's order
    dashed = [sh for sh in rules["layout"]["shapes"] if sh.get("line", {}).get("dash") == "dash"]
    assert len(dashed) == len(metrics)  # every rule's threshold line
    axis_titles = [v["title"]["text"] for k, v in rules["layout"].items() if k.startswith("yaxis")]
    assert len(axis_titles) == len(metrics) and all(axis_titles)  # a unit on every panel
    timeline = figures["timeline"]
    assert [t["type"] for t in timeline["data"]].count("bar") >= 2  # stage bands behind the index
    table = figures["freshness"]["data"][0]
    assert len(table["cells"]["values"][0]) == len(catalog)  # every series of the catalog
    assert table["header"]["values"][-1] == "state"


def test_status_numbers_equal_status_json(page: Page, real_store_path: Path) -> None:
    reference = cli_status(str(real_store_path), "latest")
    embedded = json.loads(page.by_id("status-data").text)
    assert embedded == reference
    card = page.by_id("status")
    stage = "unknown" if reference["stage"] is None else str(reference["stage"])
    assert card.attrs["data-stage"] == stage and card.attrs["data-as-of"] == reference["as_of"]
    assert page.by_id("stage-name").text.strip() == reference["stage_name"]
    rows = page.find("tr", class_="rule") + page.find("tr", class_="rule first")
    expected = {r["metric"]: r for s in reference["stages"] for r in s["rules"]}
    assert {r.attrs["data-metric"] for r in rows} == set(expected)
    for row in rows:
        rule = expected[row.attrs["data-metric"]]
        value = row.attrs["data-value"]
        assert (None if value == "" else float(value)) == rule["value"]
        assert float(row.attrs["data-threshold"]) == rule["threshold"]
        assert row.attrs["data-passed"] == {True: "true", False: "false", None: "unknown"}[rule["passed"]]
    breakouts = page.find("tr", class_="breakout")
    assert [b.attrs["data-date"] for b in breakouts] == [e["date"] for e in reference["breakouts"][::-1][:12]]
    assert [e.attrs["data-date"] for e in page.find("li") if "data-date" in e.attrs] == [
        e["date"] for e in reference["events"]
    ]


def _run(as_of: str, document: dict[str, Any]) -> StudyRun:
    return StudyRun(
        as_of=pd.Timestamp(as_of, tz="UTC"),
        fingerprint="f00d",
        computed_at=pd.Timestamp("2026-12-01 09:00", tz="UTC"),
        document=document,
    )


def test_study_section_is_optional(page: Page, snapshot: Snapshot) -> None:
    assert "no study stored yet" in " ".join(page.by_id("study-missing").text.split())
    events = [{"date": "2024-11-06", "kind": "ath", "level": 2442.0, "close": 2392.92}] * 2
    study: dict[str, Any] = {
        "verdict": "not supported",
        "p_value": 0.41,
        "horizons": [7, 30],
        "detail": {"n": 12},
        "events": events,
    }
    run = _run("2026-01-02 00:00", study)
    with_study = Page(render_report(snapshot, started=time.perf_counter(), study=StudyChoice(run)))
    assert json.loads(with_study.by_id("study-data").text) == run.to_dict()
    assert any(td.text == "not supported" for td in with_study.find("td"))
    table = [t for t in with_study.find("table") if t.attrs.get("data-key") == "events"]
    assert len(table) == 1  # the events are a table, not JSON text
    cells = [td.text for td in with_study.find("td")]
    assert cells.count("2024-11-06") == 2 and "2,393" in cells and "ath" in cells
    assert "study as of 2026-01-02 00:00 UTC (data f00d" in with_study.by_id("study-label").text
    assert not [e for e in with_study.elements if e.attrs.get("id") == "study-missing"]


def test_a_report_shows_only_a_study_of_its_own_time(real_store_path: Path, tmp_path: Path) -> None:
    """A study as of 2026-03-31 belongs in a report as of 2026-06-15, never in one as of 2015-01-01."""
    path = copy_store(real_store_path, tmp_path)
    run = _run("2026-03-31 20:00", {"leader": "RUT", "verdict": {"ETH": "no evidence"}, "seconds": 1.5})
    with Store(path) as store:
        store.set_state(STUDY_STATE_KEY, json.dumps(run.to_dict()))
    later, earlier = tmp_path / "later.html", tmp_path / "earlier.html"
    shown = CliRunner().invoke(app, ["report", "--out", str(later), "--as-of", "2026-06-15", "--db", str(path)])
    assert shown.exit_code == 0, shown.output
    page = Page(later.read_text(encoding="utf-8"))
    assert json.loads(page.by_id("study-data").text) == run.to_dict()
    assert json.loads(page.by_id("status-data").text)["stage_name"] == "Large caps rally"
    assert "shows the study as of 2026-03-31 20:00 UTC" in " ".join(shown.output.split())

    hidden = CliRunner().invoke(app, ["report", "--out", str(earlier), "--as-of", "2015-01-01", "--db", str(path)])
    assert hidden.exit_code == 0, hidden.output
    old = Page(earlier.read_text(encoding="utf-8"))
    assert not [e for e in old.elements if e.attrs.get("id") == "study-data"]
    assert "later than this view" in " ".join(old.by_id("study-missing").text.split())


def test_a_large_study_result_is_embedded_once_and_summarised() -> None:
    study = {
        "leader": "RUT",
        "verdict": {"ETH": "no evidence", "BTC": "weak evidence"},
        "period": ["1987-09-10", "2026-08-21"],
        "event_study": {"ETH": [{"event_date": f"2000-01-{d:02d}", "excess": 0.01 * d} for d in range(1, 29)] * 5},
    }
    sections = study_sections(study)
    assert sections["scalars"] == [("leader", "RUT")] and sections["texts"][0][0] == "verdict"
    assert [k for k, _ in sections["small"]] == ["period"] and [k for k, _ in sections["large"]] == ["event_study"]


def test_snapshot_status_is_the_cli_document(snapshot: Snapshot, real_store_path: Path) -> None:
    assert snapshot.status.to_dict() == cli_status(str(real_store_path), "latest")
    assert set(snapshot.components.columns) == {"WALCL", "TGA", "RRPONTSYD"}  # the board's Wednesday-level TGA
    last = snapshot.components.dropna().iloc[-1]
    assert last["WALCL"] - last["TGA"] - last["RRPONTSYD"] == pytest.approx(
        snapshot.status.to_dict()["net_liquidity"]["usd_bn"]
    )


def test_thin_keeps_recent_days_and_one_point_a_week_before() -> None:
    days = pd.date_range("2010-01-01", "2020-12-31", freq="D")
    values = pd.Series(np.arange(len(days), dtype=float), index=days)
    thinned, cut = thin(values, daily_years=3)
    assert cut == pd.Timestamp("2017-12-31")
    recent = thinned[thinned.index >= cut]
    assert recent.equals(values[values.index >= cut])  # every recent day, untouched
    old = thinned[thinned.index < cut]
    assert (old.index.to_series().diff().dropna() == pd.Timedelta(days=7)).mean() > 0.99
    assert (old == values.reindex(old.index)).all()  # real dates, real values
    short, none = thin(values.iloc[-100:])
    assert none is None and len(short) == 100


def test_rut_chart_draws_the_round_levels_it_broke(snapshot: Snapshot) -> None:
    assert display_levels([float(x) for x in range(500, 5001, 100)], 1700, 3200) == [
        1800.0,
        2000.0,
        2200.0,
        2400.0,
        2600.0,
        2800.0,
        3000.0,
        3200.0,
    ]
    figure = rut_chart(snapshot.board, snapshot.round_levels).to_plotly_json()
    levels = {shape["y0"]: shape["line"]["width"] for shape in figure["layout"]["shapes"]}
    assert 2600.0 in levels and levels[2600.0] > levels[2200.0]  # 2,600 was broken in January 2026
    markers = [t for t in figure["data"] if t.get("mode") == "markers"]
    assert {t["name"].split(" breakout")[0] for t in markers} == {"All-time high", "Round level", "52-week high"}


def test_a_report_that_cannot_be_written_is_one_clear_line(
    real_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No permission or a full disk (root ignores permissions here, so the write is made to fail)."""

    def refuse(path: Path, text: str) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("riskcurve.report.html._write_atomically", refuse)
    out = tmp_path / "r.html"
    args = ["report", "--out", str(out), "--as-of", "2026-06-15", "--db", str(real_store_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and f"cannot write the report to {out}: Permission denied" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_the_card_shows_every_claim_and_channel(page: Page, snapshot: Snapshot) -> None:
    claims = page.find("tr", class_="claim")
    assert [row.attrs["data-claim"] for row in claims] == [c.claim.id for c in snapshot.status.claims.checks]
    assert [row.attrs["data-word"] for row in claims] == [c.word for c in snapshot.status.claims.checks]
    keys = [row.attrs["data-key"] for row in page.find("tr", class_="channel")]
    assert keys == [r.key for r in snapshot.status.channels.readings]


def _ninety_day_return(data_dir: Path, coin: str, day: pd.Timestamp) -> float | None:
    """A coin's 90-day simple return on ``day`` straight from its CSV (None without both closes)."""
    close = read_data(data_dir / "crypto" / f"{coin}.csv").set_index("date")["close"].dropna()
    then = day - pd.Timedelta(days=90)
    if day not in close.index or then not in close.index:
        return None
    return float(close[day] / close[then] - 1)


def test_altseason_bars_are_the_coins_own_returns(page: Page, snapshot: Snapshot, data_dir: Path) -> None:
    coins = snapshot.board.altseason_coins
    assert coins.date == snapshot.status.altseason.date is not None
    assert coins.btc_return == pytest.approx(_ninety_day_return(data_dir, "BTC", coins.date))
    for coin in coins.coins:  # known where the file has both closes, unknown (with a reason) where not
        expected = _ninety_day_return(data_dir, coin.coin, coins.date)
        assert coin.ret == pytest.approx(expected), coin
        assert (coin.reason is None) == (expected is not None), coin
    figures = {s.attrs["data-chart"]: json.loads(s.text) for s in page.find("script", class_="figure-data")}
    bars = figures["altseason_bars"]["data"][0]
    assert bars["type"] == "bar" and len(bars["x"]) == len(coins.known)  # unknown coins get no bar
    assert list(bars["y"]) == sorted(bars["y"], reverse=True)


def test_altseason_coins_agree_with_the_index_in_a_season(real_store_path: Path) -> None:
    rc = riskcurve.open(real_store_path)
    snap = rc.snapshot(rc.resolve("2021-04-15"))  # April 2021: a known altcoin season
    coins, reading = snap.board.altseason_coins, snap.status.altseason
    assert reading.index is not None and reading.index >= 75
    assert coins.universe_size == reading.universe_size
    assert 100 * coins.outperformers / coins.universe_size == pytest.approx(reading.index)
    assert all(c.ret is not None and c.ret > (coins.btc_return or 0) for c in coins.coins if c.beat)


def test_the_alternative_leaders_section_states_the_discipline(page: Page, real_store_path: Path) -> None:
    doc = riskcurve.open(real_store_path).alt_leaders("latest").to_dict()
    assert " ".join(page.by_id("alt-leaders-verdict").text.split()) == doc["verdict"]
    meta = " ".join(p.text for p in page.find("p", class_="meta") if "configurations tested" in p.text)
    assert f"{doc['family_size']} configurations tested" in meta and "Holm" in meta
    rows = page.find("tr", class_="alt-leader")
    assert [r.attrs["data-signal"] for r in rows] == [r["signal"] for r in doc["table"]]
    survives = [r["p_holm"] is not None and r["p_holm"] <= doc["alpha"] for r in doc["table"]]
    assert [r.attrs["data-survives"] == "yes" for r in rows] == survives

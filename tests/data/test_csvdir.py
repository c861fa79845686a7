"""Bad input gets a clear, specific error naming file and line, and changes nothing stored."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from riskcurve.catalog import Catalog, CsvSpec
from riskcurve.data.sources.csvdir import CsvDirSource
from riskcurve.data.store import Store
from riskcurve.data.update import csv_sources, run_update
from riskcurve.errors import DataValidationError, SourceError
from tests.conftest import day_after, row_count, write_csv

GOOD_RUT = """
date,open,high,low,close,volume
2026-01-06,2550.00,2580.00,2540.00,2570.50,
2026-01-07,2570.00,2590.00,2560.00,2585.25,
2026-01-08,2585.00,2610.00,2580.00,2603.91,
"""


def test_reads_all_real_files_with_exact_counts(catalog: Catalog, data_dir: Path) -> None:
    source = CsvDirSource(data_dir)
    rut = source.fetch(catalog["RUT"])
    raw = pd.read_csv(data_dir / "equities" / "RUT.csv")
    # One stored row per non-empty cell; RUT volume is empty on purpose (see PROVENANCE.md).
    assert len(rut) == int(raw[["open", "high", "low", "close", "volume"]].notna().sum().sum())
    assert set(rut["field"]) == {"open", "high", "low", "close"}
    close = rut[rut["field"] == "close"].set_index("date")["value"]
    assert close[pd.Timestamp("2026-01-08")] == pytest.approx(2603.91)
    assert close.index.is_monotonic_increasing


def test_members_file_and_duplicate_symbol_rule(catalog: Catalog, data_dir: Path) -> None:
    source = CsvDirSource(data_dir)
    oi = source.fetch(catalog["OI_BINANCE_COINM"])
    assert set(oi["member"]) == {"ADA", "BNB", "BTC", "DOGE", "ETH", "SOL", "TRX", "XRP"}
    ranks = source.fetch(catalog["CMC_TOP200"])
    bnx = ranks[(ranks["member"] == "BNX") & (ranks["field"] == "rank") & (ranks["date"] == "2023-03-01")]
    assert bnx["value"].tolist() == [126.0]  # the higher-ranked coin keeps a reused symbol


def test_market_cap_zero_means_unknown(catalog: Catalog, tmp_path: Path) -> None:
    write_csv(
        tmp_path / "crypto" / "SOL.csv",
        "date,open,high,low,close,volume,market_cap\n2024-01-01,1,2,1,1.5,10,0\n2024-01-02,1.5,2,1,1.6,10,5\n",
    )
    frame = CsvDirSource(tmp_path).fetch(catalog["SOL"])
    caps = frame[frame["field"] == "market_cap"]
    assert caps["date"].tolist() == [pd.Timestamp("2024-01-02")]


def test_zero_missing_columns_drop_zeros_only_there(catalog: Catalog, tmp_path: Path) -> None:
    """A column listed in csv.zero_missing (CoinGecko's 0 = unknown) loses its zeros; others keep them."""
    csv = CsvSpec(
        path="crypto/market/USDC_SUPPLY.csv",
        fields={"coingecko_market_cap_usd": "value", "defillama_circulating_usd": "defillama"},
        ignore=("defillama_live_snapshot_usd",),
        zero_missing=("coingecko_market_cap_usd",),
    )
    spec = replace(catalog["USDC_SUPPLY"], csv=csv)
    write_csv(
        tmp_path / csv.path,
        "date,defillama_circulating_usd,coingecko_market_cap_usd,defillama_live_snapshot_usd\n"
        "2018-10-20,0,0,\n2018-10-21,120000000,125000000,\n",
    )
    frame = CsvDirSource(tmp_path).fetch(spec)
    assert frame[frame["field"] == "value"]["date"].tolist() == [pd.Timestamp("2018-10-21")]
    assert frame[frame["field"] == "defillama"]["value"].tolist() == [0.0, 1.2e8]


def test_offline_update_skips_live_only_series(catalog: Catalog, tmp_path: Path) -> None:
    write_csv(tmp_path / "equities" / "RUT.csv", GOOD_RUT)
    specs = [catalog["RUT"], catalog["WSHOBL"], catalog["BOOK_DEPTH_BTC"]]
    with Store(tmp_path / "s.duckdb") as store:
        report = run_update(store, specs, csv_sources(tmp_path))
    assert report.ok
    assert {r.series_id: (r.status, r.message) for r in report.results if r.series_id != "RUT"} == {
        "WSHOBL": ("skipped", "live only; no CSV history"),
        "BOOK_DEPTH_BTC": ("skipped", "live only; no CSV history"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,open,high,low,volume\n2026-01-06,1,2,1,5\n", r"RUT.csv: missing column 'close'"),
        ("day,close\n2026-01-06,1\n", r"missing column 'date'"),
        (GOOD_RUT + "2026-13-09,1,2,1,2600,\n", r"RUT.csv, line 5: unparsable date '2026-13-09'"),
        (GOOD_RUT + "2026-01-09,1,2,1,26O0,\n", r"line 5: column 'close' has unparsable number '26O0'"),
        (GOOD_RUT + "2026-01-08,1,2,1,2600,\n", r"line 5: duplicate date 2026-01-08"),
        (GOOD_RUT + "2026-01-02,1,2,1,2600,\n", r"line 5: date out of order 2026-01-02"),
        (GOOD_RUT + "2026-01-09,1,2,1,-5,\n", r"non-positive price -5"),
        (GOOD_RUT + "2026-01-09,1,2,1,inf,\n", r"line 5: column 'close' is not finite"),
        (GOOD_RUT + "2026-01-09,1,2,1,NaN,\n", r"line 5: column 'close' has unparsable number 'NaN'"),
        (GOOD_RUT + "2026-01-09,1,2,1,2600,,extra\n", r"not a well-formed CSV"),
        ("", r"file is empty"),
        ("date,open,high,low,close,volume,foo\n2026-01-06,1,2,1,2,,3\n", r"unexpected column\(s\) foo"),
    ],
)
def test_malformed_price_file(catalog: Catalog, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "equities" / "RUT.csv"
    path.parent.mkdir(parents=True)
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    with pytest.raises(DataValidationError, match=message):
        CsvDirSource(tmp_path).fetch(catalog["RUT"])


def test_wrong_units_are_refused_by_plausibility(catalog: Catalog, tmp_path: Path) -> None:
    # WALCL in billions instead of FRED's millions: 8,101 is far below any plausible Fed balance sheet.
    write_csv(tmp_path / "fred" / "WALCL.csv", "date,value\n2023-08-30,8121.316\n2023-09-06,8101.318\n")
    with pytest.raises(DataValidationError, match=r"outside the plausible range .* usd_millions for WALCL"):
        CsvDirSource(tmp_path).fetch(catalog["WALCL"])


def test_missing_directory_and_file(catalog: Catalog, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        CsvDirSource(tmp_path / "nope")
    with pytest.raises(SourceError, match=r"RUT.csv: file not found"):
        CsvDirSource(tmp_path).fetch(catalog["RUT"])


def test_bad_file_changes_nothing_and_other_series_land(catalog: Catalog, data_copy: Path, tmp_path: Path) -> None:
    specs = catalog.select(["RUT", "WALCL", "BTC"])
    with Store(tmp_path / "s.duckdb") as store:
        first = run_update(store, specs, csv_sources(data_copy))
        assert first.ok
        before = store.row_count()
        # New rows dated after each file's last row: RUT's is bad, BTC's is a good close-only row.
        bad_line = row_count(data_copy, "equities/RUT.csv") + 2  # header + existing rows + 1
        rut = data_copy / "equities" / "RUT.csv"
        rut.write_text(rut.read_text() + f"{day_after(data_copy, 'equities/RUT.csv')},1,2,1,oops,\n", encoding="utf-8")
        btc = data_copy / "crypto" / "BTC.csv"
        btc.write_text(btc.read_text() + f"{day_after(data_copy, 'crypto/BTC.csv')},,,,70000.5,,\n", encoding="utf-8")
        second = run_update(store, specs, csv_sources(data_copy))
        statuses = {r.series_id: r.status for r in second.results}
        assert statuses == {"RUT": "failed", "WALCL": "unchanged", "BTC": "ok"}
        assert f"line {bad_line}:" in second.failed[0].message and "oops" in second.failed[0].message
        assert store.row_count() == before + 1
        log = store.con.execute("SELECT status FROM fetch_log WHERE series_id = 'RUT' ORDER BY finished_at").df()
        assert log["status"].tolist() == ["ok", "failed"]


def test_rows_of_unfinished_periods_are_left_out(catalog: Catalog, tmp_path: Path) -> None:
    write_csv(
        tmp_path / "crypto" / "SOL.csv",
        "date,open,high,low,close,volume,market_cap\n2024-01-01,1,2,1,1.5,10,\n2024-01-02,1.5,2,1,1.6,10,\n",
    )
    # At 2024-01-02 12:00 UTC the UTC day of 01-02 is still trading; its close is not final.
    source = CsvDirSource(tmp_path, now=lambda: pd.Timestamp("2024-01-02 12:00", tz="UTC"))
    assert source.fetch(catalog["SOL"])["date"].unique().tolist() == [pd.Timestamp("2024-01-01")]

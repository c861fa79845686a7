from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from riskcurve.catalog import Catalog, ReleaseRule, load_catalog
from riskcurve.errors import CatalogError

REQUIRED = [
    "RUT",
    "SPX",
    "NDX",
    "IXIC",
    "IWM",
    "WALCL",
    "WTREGEN",
    "RRPONTSYD",
    "TREAST",
    "WSHOMCB",
    "BAMLH0A0HYM2",
    "DFII10",
    "DGS10",
    "DGS2",
    "DGS3MO",
    "VIXCLS",
    "M2SL",
    "BTC",
    "ETH",
    "CRYPTO_TOTAL_MCAP",
    "CMC_TOP200",
    "OI_BINANCE_COINM",
    "FUNDING",
]


def test_required_series_present(catalog: Catalog) -> None:
    missing = [sid for sid in REQUIRED if sid not in catalog]
    assert missing == []
    assert catalog["SPX"].symbols["yahoo"] == "^GSPC"
    assert catalog["WALCL"].symbols["fred"] == "WALCL"


def test_every_coin_file_is_cataloged_with_its_flags(catalog: Catalog, data_dir: Path) -> None:
    universe = pd.read_csv(data_dir / "crypto" / "universe.csv")
    assert len(universe) == len(list((data_dir / "crypto").glob("*.csv"))) - 5  # minus the 5 metadata files
    for row in universe.itertuples():
        spec = catalog[row.symbol]
        assert spec.csv is not None and spec.csv.path == f"crypto/{row.symbol}.csv"
        assert spec.stablecoin == bool(row.is_stablecoin), row.symbol
        assert spec.wrapped == bool(row.is_wrapped), row.symbol
        assert spec.calendar == "crypto_utc"
    eligible = {s.id for s in catalog.crypto_universe()}
    assert {"USDT", "USDC", "DAI", "WBTC", "WBETH"}.isdisjoint(eligible)
    assert {"BTC", "ETH", "SOL"} <= eligible


def test_units_normalise_balance_sheet_money_to_billions(catalog: Catalog) -> None:
    assert catalog["WALCL"].standard_units() == ("usd_billions", 1e-3)
    assert catalog["WTREGEN"].standard_units() == ("usd_billions", 1e-3)
    assert catalog["RRPONTSYD"].standard_units() == ("usd_billions", 1.0)
    assert catalog["DGS10"].standard_units() == ("percent", 1.0)


@pytest.mark.parametrize(
    ("series_id", "date", "expected_utc"),
    [
        ("WALCL", "2023-09-06", "2023-09-07 20:30"),  # Wednesday level -> Thursday 16:30 EDT
        ("WALCL", "2023-11-22", "2023-11-24 21:30"),  # Thanksgiving Thursday -> Friday, EST
        ("RRPONTSYD", "2024-07-03", "2024-07-05 20:30"),  # July 4th skipped
        ("RRPONTSYD", "2024-07-06", "2024-07-08 20:30"),  # a Saturday counts from Friday -> Monday
        ("RUT", "2026-01-08", "2026-01-08 21:00"),  # equity close, 16:00 EST
        ("BTC", "2025-10-10", "2025-10-11 00:00"),  # UTC day complete at midnight
        ("M2SL", "2026-06-01", "2026-07-28 17:00"),  # monthly, released late the next month
    ],
)
def test_release_rules(catalog: Catalog, series_id: str, date: str, expected_utc: str) -> None:
    got = catalog[series_id].release.available_at(pd.DatetimeIndex([date]))[0]
    assert got == pd.Timestamp(expected_utc, tz="UTC")


def test_release_rule_vectorises_many_dates() -> None:
    rule = ReleaseRule(business_days=1, time="16:30", tz="America/New_York")
    dates = pd.date_range("2000-01-01", periods=5000, freq="D")
    got = rule.available_at(dates)
    assert len(got) == 5000
    assert (got > dates.tz_localize("UTC")).all()


def test_user_catalog_adds_and_overrides(tmp_path: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text(
        """
[[series]]
id = "QQQ"
name = "Invesco QQQ"
asset_class = "etf"
kind = "ohlcv"
units = "usd"
frequency = "daily"
calendar = "nyse"
release = { time = "16:00", tz = "America/New_York" }
symbols = { yahoo = "QQQ" }
csv = "equities/QQQ.csv"
""",
        encoding="utf-8",
    )
    catalog = load_catalog([extra])
    assert catalog["QQQ"].symbols["yahoo"] == "QQQ"
    assert "RUT" in catalog


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[series]]\nid = "X"\n', "missing required key 'name'"),
        (
            '[[series]]\nid="X"\nname="x"\nasset_class="crypto"\nkind="ohlcv"\nunits="usd"\n'
            'frequency="hourly"\ncalendar="crypto_utc"\n',
            "frequency='hourly' is not one of",
        ),
        (
            '[[series]]\nid="X"\nname="x"\nasset_class="crypto"\nkind="ohlcv"\nunits="usd"\n'
            'frequency="daily"\ncalendar="crypto_utc"\nrelease={tz="Mars/Olympus"}\n',
            "invalid release rule",
        ),
        ("[[series]\n", "not valid TOML"),
    ],
)
def test_bad_catalog_is_a_clear_error(tmp_path: Path, body: str, message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(body, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_catalog([bad])


def test_unknown_series_names_itself(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="unknown series 'NOPE'"):
        catalog.select(["RUT", "NOPE"])

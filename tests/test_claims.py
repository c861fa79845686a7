"""The channels and the claims table on the real data, with known answers as of fixed past dates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import riskcurve
from riskcurve.channels import CHANNEL_KEYS, RESET_MIN_HISTORY, _Context, _ranked
from riskcurve.claims import MARKET_FIGURES, load_claims
from riskcurve.errors import RiskcurveError
from tests.conftest import read_data


@pytest.fixture(scope="module")
def rc(real_store_path: Path) -> riskcurve.Riskcurve:
    return riskcurve.open(real_store_path)


def test_channel_readings_are_the_documented_keys(rc: riskcurve.Riskcurve) -> None:
    channels = rc.channels("2026-01-09")
    assert tuple(r.key for r in channels.readings) == CHANNEL_KEYS
    assert all((r.value is None) == (r.date is None) for r in channels.readings)
    assert all(r.reason for r in channels.readings if r.value is None)


def test_channels_as_of_2026_01_09(rc: riskcurve.Riskcurve, data_dir: Path) -> None:
    c = rc.channels("2026-01-09")
    dts = read_data(data_dir / "fiscal/DTS_TGA_CLOSE.csv").set_index("date")["tga_close_musd"]
    # Friday's statement (2026-01-09) is published Monday: on Friday the newest close is Thursday's.
    assert c["tga"].value == pytest.approx(dts.loc["2026-01-08"] / 1000) and str(c["tga"].date.date()) == "2026-01-08"
    assert c["reserves"].date.date().isoformat() == "2026-01-07"  # the Wednesday before, published Thursday
    assert c["bill_holdings_chg_4w"].value is None and c["bill_holdings_chg_4w"].reason == "no data"
    parts = [c[f"net_liquidity_{p}_4w"].value for p in ("fed_assets", "tga", "rrp")]
    assert sum(parts) == pytest.approx(c["net_liquidity_net_4w"].value)


def test_a_feed_that_stopped_is_unknown_not_a_stale_number(rc: riskcurve.Riskcurve) -> None:
    late = rc.channels("2026-10-10")
    assert late["usdt_supply"].value is None and late["usdt_supply"].reason.startswith("no data since 2026-08-22")
    assert late["tga"].value is not None  # the DTS runs to October


def test_bill_purchases_of_2026_add_up_to_the_documented_304bn(rc: riskcurve.Riskcurve) -> None:
    bills = rc.values("FED_BILL_PURCHASES", as_of="latest")
    assert bills.loc["2026-01-01":"2026-08-19"].sum() == pytest.approx(304.2, abs=0.1)


KNOWN = {  # claim id -> (word, displayed figure): the shared data as of each claim's own date
    "rmp-pace-at-claim": ("does not hold", "$57.1bn/month"),
    "rmp-pace-through-august": ("holds", "$41.7bn/month"),
    "tga-drawdown": ("holds", "-$19.0bn"),
    "gse-mbs-spreads": ("does not hold", "+0.18 pp"),
    "crypto-three-month-decline": ("holds", "-19.2%"),
    "rut-up-15-ytd": ("does not hold", "+5.7%"),
}


def test_claims_have_their_known_answers(rc: riskcurve.Riskcurve) -> None:
    checks = {c.claim.id: c for c in rc.claims("latest").checks}
    for claim_id, (word, shown) in KNOWN.items():
        assert (checks[claim_id].word, checks[claim_id].display) == (word, shown), claim_id


def test_a_claim_checked_after_the_as_of_is_pending(rc: riskcurve.Riskcurve) -> None:
    checks = {c.claim.id: c for c in rc.claims("2026-02-01").checks}
    assert checks["gse-mbs-spreads"].word == "pending" and checks["gse-mbs-spreads"].value is None
    assert checks["tga-drawdown"].word == "holds"


def test_a_users_claim_file_is_checked_and_a_mistake_named(
    real_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "mine.toml"
    good.write_text(
        '[[claim]]\nid = "mine"\ntext = "TGA above $700bn"\nmade = "2026-01-09"\nfigure = "tga"\nabove = 700\n'
    )
    monkeypatch.setenv("RISKCURVE_CLAIMS", str(good))
    mine = {c.claim.id: c for c in riskcurve.open(real_store_path).claims("latest").checks}["mine"]
    assert (mine.word, mine.display) == ("holds", "$773.7bn")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[claim]]\nid = "x"\ntext = "t"\nmade = "2026-01-09"\nfigure = "tgaa"\nabove = 1\n')
    with pytest.raises(RiskcurveError, match="unknown figure 'tgaa'; did you mean 'tga'"):
        load_claims([*CHANNEL_KEYS, *MARKET_FIGURES], [bad])
    two = tmp_path / "two.toml"
    two.write_text('[[claim]]\nid = "x"\ntext = "t"\nmade = "2026-01-09"\nfigure = "tga"\nabove = 1\nbelow = 2\n')
    with pytest.raises(RiskcurveError, match="exactly one test"):
        load_claims([*CHANNEL_KEYS, *MARKET_FIGURES], [two])


def test_reset_context_has_each_figure_with_its_date_and_percentile(rc: riskcurve.Riskcurve, data_dir: Path) -> None:
    c = rc.channels("2026-01-09")
    greed = read_data(data_dir / "crypto/market/FEAR_GREED.csv").set_index("date")["value"]
    known = greed.loc[:"2026-01-09"]  # published 00:10 UTC on its own date
    assert c["fear_greed"].value == known.iloc[-1] and c["fear_greed"].date == known.index[-1]
    assert c["fear_greed_rank"].value == pytest.approx((known <= known.iloc[-1]).mean())
    assert c["fear_greed_rank"].date == known.index[-1]
    reset = [r for r in c.readings if r.channel == "crypto reset"]
    levels = {r.key.removesuffix("_7d") for r in reset if not r.key.endswith("_rank")}
    assert {f"{k}_rank" for k in levels} == {r.key for r in reset if r.key.endswith("_rank")}
    assert {"btc_depth_1pct", "btc_depth_2pct", "eth_depth_1pct", "eth_depth_2pct", "fear_greed"} <= levels
    # Order-book depth is sampled live only: offline it is unknown and says why, never a number.
    depth = c["eth_depth_2pct_rank"]
    assert depth.value is None and "sample it live" in str(depth.reason)


def test_a_reset_percentile_needs_its_own_history() -> None:
    at = _Context(pd.Timestamp("2026-01-31"))
    days = pd.date_range(end="2026-01-31", periods=RESET_MIN_HISTORY + 50)
    full = pd.Series(range(len(days)), index=days, dtype=float)[::-1].set_axis(days)  # newest is the lowest
    level, rank = _ranked(at, "x", "x", full, "index", "test")
    assert level.value == 0 and rank.value == pytest.approx(1 / len(days)) and rank.date == days[-1]
    short = full.iloc[-10:]
    _, rank = _ranked(at, "x", "x", short, "index", "test")
    assert rank.value is None and rank.reason == f"history too short (10 of {RESET_MIN_HISTORY} days)"

"""Lead-lag report: planted and absent leads, statsmodels equality, hand-checked UTC alignment, JSON output."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import grangercausalitytests

from riskcurve.errors import ShortSampleWarning
from riskcurve.study.inputs import Follower, StudyInputs
from riskcurve.study.leadlag import (
    LeadLagReport,
    Regime,
    lead_lag,
    paired_daily_returns,
    weekly_returns,
)

PLANTED_WEEKS = 4
#: A few Friday (and other) holidays, so some weeks end on Thursday.
HOLIDAYS = pd.DatetimeIndex(
    ["2016-03-25", "2017-04-14", "2018-03-30", "2019-04-19", "2020-04-10", "2021-04-02", "2022-04-15",
     "2023-04-07", "2016-07-04", "2018-12-25", "2020-01-20", "2022-11-24"]
)  # fmt: skip


def _equity_known(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The decision time used in these tests: 21:00 UTC on the session date."""
    return (dates + pd.Timedelta(hours=21)).tz_localize("UTC")


def _crypto(name: str, close: pd.Series) -> Follower:
    """A crypto follower: bar dated d closes at 00:00 UTC on d+1."""
    days = pd.DatetimeIndex(close.index)
    return Follower(name, close, (days + pd.Timedelta(days=1)).tz_localize("UTC"), 365)


def _sessions(start: str, end: str) -> pd.DatetimeIndex:
    days = pd.bdate_range(start, end)
    return days[~days.isin(HOLIDAYS)]


def _market(seed: int = 7) -> tuple[StudyInputs, dict[str, pd.Series]]:
    """RUT sessions 2015-06..2024-06; ETH = RUT's session returns 27 days later + noise; BTC independent.

    Shifting session d (Mon..Fri of week w-4) by 27 days lands on UTC days Sun..Thu of week w,
    which all lie in the follower's week w as the module aligns it (Fri 00:00 -> Fri 00:00 UTC),
    so ETH's weekly return is RUT's of four weeks earlier plus noise.
    """
    rng = np.random.default_rng(seed)
    sessions = _sessions("2015-06-01", "2024-06-28")
    leader_ret = rng.normal(0.0003, 0.012, len(sessions))
    rut = pd.Series(100 * np.exp(np.cumsum(leader_ret)), index=sessions, name="RUT")
    days = pd.date_range(sessions[0], sessions[-1] + pd.Timedelta(days=30), freq="D")
    eth_ret = rng.normal(0.0, 0.02, len(days))
    np.add.at(eth_ret, days.get_indexer(sessions + pd.Timedelta(days=27)), leader_ret)
    btc_ret = rng.normal(0.0, 0.03, len(days))
    followers = {
        "ETH": _crypto("ETH", pd.Series(50 * np.exp(np.cumsum(eth_ret)), index=days)),
        "BTC": _crypto("BTC", pd.Series(900 * np.exp(np.cumsum(btc_ret)), index=days)),
    }
    spx_ret = 0.6 * leader_ret + rng.normal(0.0, 0.008, len(sessions))
    extra = {
        "SPX": pd.Series(2000 * np.exp(np.cumsum(spx_ret)), index=sessions),
        "NDX": pd.Series(4000 * np.exp(np.cumsum(rng.normal(0.0, 0.014, len(sessions)))), index=sessions),
    }
    inputs = StudyInputs(
        leader="RUT",
        leader_close=rut,
        leader_known=_equity_known(sessions),
        followers=followers,
        regime=pd.Series(True, index=sessions, name="regime"),
    )
    return inputs, extra


@pytest.fixture(scope="module")
def lead_market() -> tuple[StudyInputs, dict[str, pd.Series]]:
    return _market()


@pytest.fixture(scope="module")
def report(lead_market: tuple[StudyInputs, dict[str, pd.Series]]) -> LeadLagReport:
    inputs, extra = lead_market
    return lead_lag(inputs, extra)


# --------------------------------------------------------------------------- planted and absent leads


def test_planted_lead_is_found_at_four_weeks(report: LeadLagReport) -> None:
    eth = report["ETH"]
    ccf = eth.ccf.to_frame()
    assert list(ccf.index) == list(range(-12, 13))
    assert eth.ccf.peak_lag == PLANTED_WEEKS
    assert ccf.loc[PLANTED_WEEKS, "corr"] > 0.3 > ccf.loc[PLANTED_WEEKS, "band"]
    assert ccf.loc[PLANTED_WEEKS, "band"] == pytest.approx(1.959964 / math.sqrt(ccf.loc[PLANTED_WEEKS, "n"]))
    tests = {(g.role, g.lags): g.test for g in eth.granger}
    assert len(tests) == 6
    assert tests[("leader -> follower", PLANTED_WEEKS)].reject
    assert tests[("leader -> follower", PLANTED_WEEKS)].pvalue < 1e-10
    assert not any(tests[("follower -> leader", lag)].reject for lag in (1, 2, 4))


def test_independent_follower_shows_no_lead(report: LeadLagReport) -> None:
    btc = report["BTC"]
    assert not any(g.test.reject for g in btc.granger)
    assert btc.ccf.outside.sum() <= 2  # ~1.25 of 25 expected by chance


def test_var_order_and_impulse_responses(report: LeadLagReport) -> None:
    var = report["ETH"].var
    assert PLANTED_WEEKS <= var.order <= 8
    assert var.order == var.aic_order
    for arr in (var.leader_to_follower, var.leader_to_follower_lower, var.follower_to_leader_upper):
        assert arr.shape == (13,)
    assert int(np.argmax(np.abs(var.leader_to_follower))) == PLANTED_WEEKS
    assert var.leader_to_follower_lower[PLANTED_WEEKS] > 0  # the band excludes zero at the planted lag
    assert var.follower_to_leader[0] == 0.0  # leader first in the Cholesky ordering
    assert np.all(var.leader_to_follower_lower <= var.leader_to_follower)
    assert np.all(var.leader_to_follower <= var.leader_to_follower_upper)
    # Weekly leader sd is about 0.012 * sqrt(5); the planted response to a one-sd shock is that size.
    assert var.leader_to_follower[PLANTED_WEEKS] == pytest.approx(0.012 * math.sqrt(5), rel=0.25)


# --------------------------------------------------------------------------- equality with the references


def test_granger_equals_statsmodels(report: LeadLagReport) -> None:
    for name in ("ETH", "BTC"):
        result = report[name]
        weekly = result.weekly
        for g in result.granger:
            reference = grangercausalitytests(weekly[[g.effect, g.cause]], [g.lags])[g.lags][0]["ssr_ftest"]
            f_stat, pvalue, df_denom, df_num = reference
            assert g.test.statistic == pytest.approx(f_stat, rel=1e-8)
            assert g.test.pvalue == pytest.approx(pvalue, rel=1e-8, abs=1e-14)
            assert (g.df_num, g.df_denom) == (df_num, df_denom)
            assert g.test.n == len(weekly) - g.lags


def test_ccf_sign_convention_matches_pandas(report: LeadLagReport) -> None:
    eth = report["ETH"]
    lead, follow = eth.weekly["RUT"], eth.weekly["ETH"]
    ccf = eth.ccf.to_frame()
    for k in (-7, -1, 0, 3, PLANTED_WEEKS):
        assert ccf.loc[k, "corr"] == pytest.approx(lead.corr(follow.shift(-k)), rel=1e-12)
        assert ccf.loc[k, "n"] == len(eth.weekly) - abs(k)


def test_regime_and_rolling_correlations_by_hand(
    lead_market: tuple[StudyInputs, dict[str, pd.Series]], report: LeadLagReport
) -> None:
    inputs, extra = lead_market
    eth = report["ETH"]
    regimes = {(r.equity, r.regime): r for r in eth.regime_correlations}
    assert set(regimes) == {(e, r) for e in ("RUT", "SPX", "NDX") for r in ("2017-2019", "2020-2021", "2022-")}
    spx = extra["SPX"]
    pairs = paired_daily_returns(spx, _equity_known(pd.DatetimeIndex(spx.index)), inputs.followers["ETH"])
    part = pairs.loc["2020-01-01":"2021-12-31"]
    r = regimes[("SPX", "2020-2021")]
    assert r.n == len(part) and (r.start, r.end) == (part.index[0], part.index[-1])
    assert r.corr == pytest.approx(part["equity"].corr(part["follower"]), rel=1e-12)
    half = 1.959964 / math.sqrt(r.n - 3)
    assert r.ci_low == pytest.approx(math.tanh(math.atanh(r.corr) - half), rel=1e-6)
    assert r.ci_high == pytest.approx(math.tanh(math.atanh(r.corr) + half), rel=1e-6)
    assert regimes[("RUT", "2022-")].end == inputs.leader_close.index[-1]
    rut = paired_daily_returns(inputs.leader_close, inputs.leader_known, inputs.followers["ETH"])
    assert set(eth.rolling) == {30, 60, 90}
    roll = eth.rolling[60]
    assert roll.index.equals(rut.index) and roll.iloc[:59].isna().all()
    assert roll.iloc[-1] == pytest.approx(np.corrcoef(rut.iloc[-60:].T.to_numpy())[0, 1], rel=1e-9)


# --------------------------------------------------------------------------- alignment by hand


def test_daily_pairing_across_a_weekend() -> None:
    sessions = pd.DatetimeIndex(["2024-01-04", "2024-01-05", "2024-01-08"])  # Thu, Fri, Mon
    equity = pd.Series([100.0, 102.0, 99.0], index=sessions)
    days = pd.date_range("2024-01-01", "2024-01-10", freq="D")
    coin = _crypto("ETH", pd.Series(np.arange(1.0, 11.0) * 10, index=days))  # bar dated Jan d closes at 10 d
    pairs = paired_daily_returns(equity, _equity_known(sessions), coin)
    assert list(pairs.index) == list(sessions[1:])
    # Fri session (Thu 21:00 -> Fri 21:00 UTC) pairs with UTC day Thu Jan 4 (closes of Jan 4 00:00 -> Jan 5 00:00).
    assert pairs.loc["2024-01-05", "equity"] == pytest.approx(math.log(102 / 100))
    assert pairs.loc["2024-01-05", "follower"] == pytest.approx(math.log(40 / 30))
    # Fri -> Mon session pairs with the UTC days Fri, Sat, Sun: from the bar of Jan 4 to the bar of Jan 7.
    assert pairs.loc["2024-01-08", "equity"] == pytest.approx(math.log(99 / 102))
    assert pairs.loc["2024-01-08", "follower"] == pytest.approx(math.log(70 / 40))
    # With six hours' grace the UTC day the session falls in is used instead: Sat, Sun, Mon.
    late = paired_daily_returns(equity, _equity_known(sessions), coin, follower_grace=pd.Timedelta(hours=6))
    assert late.loc["2024-01-08", "follower"] == pytest.approx(math.log(80 / 50))


def test_weekly_alignment_with_holiday_and_missing_week() -> None:
    sessions = pd.bdate_range("2024-01-08", "2024-02-09")
    sessions = sessions[~sessions.isin(pd.DatetimeIndex(["2024-01-19"]))]  # Friday holiday: the week ends Thursday
    sessions = sessions[(sessions < "2024-01-29") | (sessions > "2024-02-02")]  # a week without sessions
    leader = pd.Series(np.linspace(100.0, 130.0, len(sessions)), index=sessions)
    days = pd.date_range("2024-01-01", "2024-02-15", freq="D")
    coin = _crypto("ETH", pd.Series(np.arange(1.0, len(days) + 1), index=days))  # bar dated Jan d closes at d
    stock = Follower("IWM", leader * 0.5 + 7, _equity_known(sessions), 252)
    weekly = weekly_returns(leader, _equity_known(sessions), coin)
    assert list(weekly.index) == list(pd.DatetimeIndex(["2024-01-18", "2024-01-26", "2024-02-09"]))
    assert weekly.loc["2024-01-18", "leader"] == pytest.approx(math.log(leader["2024-01-18"] / leader["2024-01-12"]))
    # The crypto day ending before each leader close: Jan 17 (ends Jan 18 00:00) over Jan 11.
    assert weekly.loc["2024-01-18", "follower"] == pytest.approx(math.log(17 / 11))
    assert weekly.loc["2024-01-26", "follower"] == pytest.approx(math.log(25 / 17))
    assert weekly.loc["2024-02-09"].isna().all()  # no two-week return across the missing week
    same = weekly_returns(leader, _equity_known(sessions), stock)
    assert same.loc["2024-01-26", "follower"] == pytest.approx(
        math.log(stock.close["2024-01-26"] / stock.close["2024-01-18"])
    )


# --------------------------------------------------------------------------- output


def test_outputs_are_tidy_readable_and_json(report: LeadLagReport) -> None:
    payload = report.to_dict()
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text)["followers"]["ETH"]["ccf"]["lags"][0] == -12
    eth = payload["followers"]["ETH"]
    assert set(eth) >= {"ccf", "granger", "var", "regime_correlations", "rolling"}
    assert set(eth["ccf"]) >= {"lags", "corr", "band", "n"}
    assert len(eth["granger"]) == 6 and eth["granger"][0]["null"].startswith("RUT weekly returns do not")
    assert set(eth["var"]) >= {"order", "irf_leader_to_follower", "lower", "upper", "irf_follower_to_leader"}
    assert set(eth["regime_correlations"][0]) == {"equity", "regime", "start", "end", "n", "corr", "ci_low", "ci_high"}
    rolling = eth["rolling"]["30"]
    assert len(rolling["dates"]) == len(rolling["values"])
    assert len(rolling["dates"]) < len(report["ETH"].rolling[30]) / 4  # one point a week
    assert pd.Series(pd.DatetimeIndex(rolling["dates"]).to_period("W-FRI")).is_unique

    frame = report.to_frame()
    counts = frame.groupby(["follower", "kind"]).size()
    assert counts[("ETH", "ccf")] == 25 and counts[("ETH", "granger")] == 6
    assert counts[("ETH", "irf")] == 26 and counts[("BTC", "regime_corr")] == 9

    assert eth["follower_offset_hours"] == 21.0  # crypto day ends at 00:00 UTC, the equity close is 21:00 UTC
    summary = str(report)
    assert "a median 21.0 h before the RUT close" in summary
    assert "RUT weekly returns do not Granger-cause ETH weekly returns" in summary
    assert "ETH weekly returns do not Granger-cause RUT weekly returns" in summary
    assert summary.count("conclusion:") == 12  # every test, both followers


def test_bad_inputs_and_short_samples(lead_market: tuple[StudyInputs, dict[str, pd.Series]]) -> None:
    inputs, _ = lead_market
    with pytest.raises(ValueError, match="must not repeat the leader"):
        lead_lag(inputs, {"RUT": inputs.leader_close})
    with pytest.raises(ValueError, match="follower_grace"):
        lead_lag(inputs, follower_grace="-1h")
    cut = pd.Timestamp("2016-09-30")
    short = StudyInputs(
        leader="RUT",
        leader_close=inputs.leader_close.loc[:cut],
        leader_known=inputs.leader_known[inputs.leader_close.index <= cut],
        followers={"ETH": inputs.followers["ETH"]},
        regime=inputs.regime.loc[:cut],
    )
    with pytest.warns(ShortSampleWarning, match="weeks"):
        result = lead_lag(short, regimes=[Regime("all", "2015-01-01", None)], max_lag_weeks=6)
    # ETH's first bar closes after the first session, so the first two session returns have no pair.
    assert result["ETH"].regime_correlations[0].n == len(short.leader_close) - 2
    with pytest.warns(ShortSampleWarning, match="weeks"):
        late = lead_lag(short, regimes=[], max_lag_weeks=6, follower_grace="6h")["ETH"]
    assert late.follower_offset_hours == -3.0
    assert late.weekly.index.equals(result["ETH"].weekly.index)
    with pytest.raises(ValueError, match="complete weeks"):
        lead_lag(short, var_max_lags=30)

"""Status benchmarks: `riskcurve status` and the full stage timeline since 1990, against plain pandas.

(a) ``status_at`` on the full store as of AS_OF (Friday 2026-08-21, after the close): target 2 s.
(b) ``compute_board`` since 1990 + ``classify`` + ``timeline()``: target 3 s.

Peer: the same stage rules written the way an analyst would without riskcurve: ``pd.read_csv`` of the
needed files in shared/data, sessions = the S&P 500's trading days, decision time 16:00 New York;
each FRED level ``merge_asof``-ed onto those times by its publication time (observation date + 1 US
federal business day, 16:30 New York), a crypto day d from d+1 00:00 UTC, equity closes at their
16:00 close; the 12 rule metrics (net liquidity 13-week change, HY OAS 13-week change and 5-year
percentile, S&P 500 vs its 200-session mean, 63-session returns and spreads, sessions since the
last Russell 2000 breakout, ETH 30-day return, ETH/BTC vs its 50-day mean, altcoin season index
from the coins' closes, daily caps and the CoinMarketCap monthly snapshots); then stages with
StageConfig's defaults (memory 126 sessions, confirm 3). The peer computes only what the rules
need: riskcurve's status also computes the rest of the board (purchases, real yield, curve,
relative strength, reset context), breakout confirmations and freshness, so the ratio flatters
the peer a little.

(c) ``Riskcurve.status`` in-process, as the CLI and the API ask it (board, stages, channels and
claims), on a service that has answered once (claims are checked once per store version).
(d) status cost against stored history: ``status_at`` on the full store and on a copy holding only
the last five years before AS_OF, and as of 1995 vs AS_OF on the full store.

The store is built once in a temp dir (``run_update`` with ``csv_sources``; not timed), or taken from
RISKCURVE_DB when set. The script
then checks the peer's stage against riskcurve's, session by session, and says where they differ.
Run: .venv/bin/python benchmarks/bench_status.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar
from rich.console import Console
from rich.table import Table

import riskcurve
from _common import DATA_DIR, best_of, report
from riskcurve.catalog import load_catalog
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.data.update import csv_sources, run_update
from riskcurve.errors import ShortSampleWarning
from riskcurve.measures.board import BoardConfig, compute_board
from riskcurve.stages import StageHistory, Status, classify, status_at

catalog = load_catalog()
AS_OF = pd.Timestamp("2026-08-21 21:00", tz="UTC")
START = "1990-01-01"
NY = "America/New_York"


# ------------------------------------------------------------------------------------------- riskcurve
def build_store(path: Path) -> None:
    with Store(path) as store:
        assert run_update(store, list(catalog.values()), csv_sources(DATA_DIR)).ok


def riskcurve_status(path: Path, as_of: pd.Timestamp = AS_OF) -> Status:
    with Store(path, read_only=True) as store:
        return status_at(AlignedPanel(store, catalog, as_of))


def short_history(path: Path, target: Path, years: int = 5) -> Path:
    """A copy of the store holding only the observations dated within ``years`` before AS_OF."""
    shutil.copy(path, target)
    with Store(target) as store:
        cut = (AS_OF - pd.DateOffset(years=years)).date()
        store.con.execute("DELETE FROM observations WHERE date < ?", [cut])
        store.con.execute("CHECKPOINT")
    return target


def riskcurve_timeline(path: Path) -> tuple[StageHistory, pd.DataFrame, pd.DataFrame]:
    """History, timeline and the board frame (for the agreement check)."""
    with Store(path, read_only=True) as store:
        board = compute_board(AlignedPanel(store, catalog, AS_OF), BoardConfig(start=START))
    history = classify(board.frame)
    return history, history.timeline(), board.frame


# ------------------------------------------------------------------------------------- plain pandas
PEER_RULES: dict[int, list[tuple[str, str, float]]] = {
    1: [("hy_oas_chg_13w", "<=", 0.0), ("hy_oas_pct_rank", "<=", 50.0), ("net_liquidity_chg_13w", ">=", 0.0)],
    2: [("spx_vs_ma200", ">=", 0.0), ("spx_ret", ">=", 0.03), ("nasdaq_ret", ">=", 0.0)],
    3: [("rut_minus_spx", ">=", 0.0), ("rut_minus_nasdaq", ">=", 0.0), ("sessions_since_breakout", "<=", 63.0)],
    4: [("eth_ret", ">=", 0.05), ("eth_btc_vs_ma50", ">=", 0.0), ("altseason", ">=", 50.0)],
}
PEER_NAMES = {0: "No rotation", 1: "Credit easing", 2: "Large caps rally", 3: "Small caps lead", 4: "Crypto follows"}
METRICS = [metric for rules in PEER_RULES.values() for metric, _, _ in rules]
KNOWN_DIFFERENCES = {
    "sessions_since_breakout": (
        "riskcurve counts a breakout dated before the board's first session as if it fell on that session "
        "(_sessions_since); the peer counts from the real date on the Russell's own history"
    ),
}


def _csv(path: str, column: str = "value") -> pd.Series:
    """One column of a shared/data CSV, dated, missing cells dropped, nothing after AS_OF's day."""
    frame = pd.read_csv(DATA_DIR / path, usecols=["date", column], parse_dates=["date"], index_col="date")
    series = frame[column].dropna()
    return series[series.index <= AS_OF.tz_localize(None).normalize()]


def _on_clock(clock: pd.DataFrame, values: pd.Series, available_at: pd.DatetimeIndex, max_age_days: int) -> pd.Series:
    """merge_asof of ``values`` (published at ``available_at``) onto the decision times; an observation
    older than ``max_age_days`` at the session reads NaN (a dead feed must not look flat)."""
    obs = pd.DataFrame(
        {"time": available_at.as_unit("ns"), "obs_date": values.index, "value": values.to_numpy(dtype="float64")}
    )
    # Same publication time (a Friday and a holiday observation): the later observation wins.
    merged = pd.merge_asof(clock, obs.sort_values(["time", "obs_date"]), on="time")
    too_old = merged["session"] - merged["obs_date"] > pd.Timedelta(days=max_age_days)
    return pd.Series(merged["value"].mask(too_old).to_numpy(), index=clock["session"])


def _fred_available(dates: pd.DatetimeIndex, holidays: np.ndarray) -> pd.DatetimeIndex:
    """Observation date + 1 federal business day (a weekend date counts from the Friday), 16:30 New York."""
    next_day = np.busday_offset(dates.to_numpy().astype("datetime64[D]"), 1, roll="backward", holidays=holidays)
    local = pd.DatetimeIndex(next_day.astype("datetime64[ns]")) + pd.Timedelta(hours=16, minutes=30)
    return local.tz_localize(NY).tz_convert("UTC")


def _crypto_available(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return (dates + pd.Timedelta(days=1)).tz_localize("UTC")


def _equity_available(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return (dates + pd.Timedelta(hours=16)).tz_localize(NY).tz_convert("UTC")


def _chg_13w(series: pd.Series) -> pd.Series:
    """Level minus the last known level on or before 13 weeks (91 days) earlier."""
    known = series.dropna()
    before = known.asof(known.index - pd.Timedelta(weeks=13))
    return (known - before.to_numpy()).reindex(series.index)


def _rut_breakout_dates(close: pd.Series) -> pd.DatetimeIndex:
    """ATH after >= 250 sessions without one, first close above each 100-point level, close above the
    prior 252-session high (first day of each run)."""
    position = pd.Series(np.arange(len(close)), index=close.index)
    new_high = close > close.cummax().shift()
    highs = position[new_high]
    gaps = highs.diff().fillna(highs.iloc[0])
    ath = gaps.index[gaps >= 250]
    running_max = close.cummax()
    rounds = [
        running_max.index[running_max > level][0]
        for level in range(500, 5001, 100)
        if close.iloc[0] <= level < running_max.iloc[-1]
    ]
    above = close > close.shift().rolling(252).max()
    rolling = close.index[above & ~above.shift(fill_value=False)]
    return ath.union(pd.DatetimeIndex(rounds)).union(rolling)


def _altseason() -> pd.Series:
    """Share (%) of the top-50 coins by market cap (point in time) whose 90-day return beat BTC's;
    unknown below 20 coins with a full window or on a ranking more than 45 days old (thesis.py)."""
    universe = pd.read_csv(DATA_DIR / "crypto/universe.csv")
    pegged = (universe["is_stablecoin"] == 1) | (universe["is_wrapped"] == 1)
    coins = universe.loc[~pegged, "symbol"].tolist()
    frames = {
        coin: pd.read_csv(
            DATA_DIR / f"crypto/{coin}.csv", usecols=["date", "close", "market_cap"], parse_dates=["date"]
        ).set_index("date")
        for coin in coins
    }
    closes = pd.concat({c: f["close"] for c, f in frames.items()}, axis=1).sort_index().asfreq("D")
    daily_caps = pd.concat({c: f["market_cap"] for c, f in frames.items()}, axis=1).sort_index()
    daily_caps = daily_caps.where(daily_caps != 0)  # the data's convention: 0 = unknown
    cmc = pd.read_csv(DATA_DIR / "crypto/market/cmc_monthly_top200_snapshots.csv", parse_dates=["date"])
    cmc = cmc.drop_duplicates(["date", "symbol"])  # a reused symbol: the higher-ranked coin keeps it
    snapshots = cmc.pivot(index="date", columns="symbol", values="market_cap")
    # A snapshot's top 50 ex stablecoins, wrapped tokens and BTC, members we cannot price included.
    snapshots = snapshots.drop(columns=[c for c in [*universe.loc[pegged, "symbol"], "BTC"] if c in snapshots])
    snapshots = snapshots.where(snapshots.rank(axis=1, ascending=False, method="first") <= 50)
    ranking = pd.concat([daily_caps[daily_caps.index < snapshots.index[0]], snapshots]).reindex(columns=coins)
    ranking = ranking.where(ranking != 0).dropna(how="all")
    caps = ranking.reindex(closes.index, method="ffill")  # each row is a whole ranking, used as of its date
    ranked_on = pd.Series(ranking.index, index=ranking.index).reindex(closes.index, method="ffill")
    fresh = (closes.index - pd.DatetimeIndex(ranked_on)).days <= 45

    returns = closes / closes.shift(90) - 1
    btc = returns.pop("BTC")
    caps = caps.drop(columns="BTC")
    rank = caps.where(returns.notna()).rank(axis=1, ascending=False, method="first")
    top = rank <= 50
    size = top.sum(axis=1)
    winners = (top & returns.gt(btc, axis=0)).sum(axis=1)
    index = 100 * winners / size
    # Unknown days stay in (NaN): a day known to be unknown must not let the day before it carry on.
    index = index.where((size >= 20) & fresh & btc.notna())
    return index.loc[index.first_valid_index() :]


def pandas_board() -> pd.DataFrame:
    """The 12 rule metrics, one row per session since START, as known at each session's close."""
    holidays = USFederalHolidayCalendar().holidays("1950-01-01", "2100-12-31").to_numpy().astype("datetime64[D]")
    spx_all = _csv("equities/GSPC.csv", "close")
    sessions = spx_all.index[spx_all.index >= START]
    times = _equity_available(sessions)
    sessions, times = sessions[times <= AS_OF], times[times <= AS_OF]
    clock = pd.DataFrame({"time": times.as_unit("ns"), "session": sessions})
    out = pd.DataFrame(index=sessions)

    # Liquidity and credit: FRED levels as published by each close (USD bn).
    fred = {}
    # (series, to USD bn, stale after days): net-liquidity parts carry 14 days from their observation date
    levels = (("WALCL", 1e-3, 14), ("WTREGEN", 1e-3, 14), ("RRPONTSYD", 1.0, 14), ("BAMLH0A0HYM2", 1.0, 5))
    for sid, scale, max_age in levels:
        level = _csv(f"fred/{sid}.csv") * scale
        fred[sid] = _on_clock(clock, level, _fred_available(level.index, holidays), max_age)
    net = fred["WALCL"] - fred["WTREGEN"] - fred["RRPONTSYD"]
    out["net_liquidity_chg_13w"] = _chg_13w(net)
    hy = fred["BAMLH0A0HYM2"].dropna()
    out["hy_oas_chg_13w"] = _chg_13w(hy)
    out["hy_oas_pct_rank"] = 100 * hy.rolling("1826D", min_periods=252).rank(pct=True)

    # Equities: closes on the clock (stale after 5 days), returns over 63 session rows.
    closes = {"SPX": _on_clock(clock, spx_all, _equity_available(spx_all.index), 5)}
    for sid, file in (("RUT", "RUT"), ("NDX", "NDX"), ("IXIC", "IXIC")):
        close = _csv(f"equities/{file}.csv", "close")
        closes[sid] = _on_clock(clock, close, _equity_available(close.index), 5)
    ret = {sid: close / close.shift(63) - 1 for sid, close in closes.items()}
    out["spx_vs_ma200"] = closes["SPX"] / closes["SPX"].rolling(200).mean() - 1
    out["spx_ret"] = ret["SPX"]
    out["nasdaq_ret"] = ret["NDX"].fillna(ret["IXIC"])
    out["rut_minus_spx"] = ret["RUT"] - ret["SPX"]
    out["rut_minus_nasdaq"] = ret["RUT"] - out["nasdaq_ret"]

    # Russell 2000 breakouts on its own full history; sessions since the last one.
    rut = _csv("equities/RUT.csv", "close")
    position = pd.Series(np.arange(len(rut)), index=rut.index, dtype="float64")
    since = position - position.where(rut.index.isin(_rut_breakout_dates(rut))).ffill()
    out["sessions_since_breakout"] = since.reindex(sessions)

    # Crypto: UTC days, on the clock from d+1 00:00 UTC, stale after 5 days.
    btc, eth = _csv("crypto/BTC.csv", "close"), _csv("crypto/ETH.csv", "close")
    eth_days = eth.asfreq("D")
    eth_ret = (eth_days / eth_days.shift(30) - 1).dropna()
    out["eth_ret"] = _on_clock(clock, eth_ret, _crypto_available(eth_ret.index), 5)
    pair = pd.concat({"ETH": eth, "BTC": btc}, axis=1, join="inner")
    eth_btc = pair["ETH"] / pair["BTC"]
    vs_ma = (eth_btc / eth_btc.rolling(50).mean() - 1).dropna()
    out["eth_btc_vs_ma50"] = _on_clock(clock, vs_ma, _crypto_available(vs_ma.index), 5)
    alt = _altseason()
    out["altseason"] = _on_clock(clock, alt, _crypto_available(alt.index), 5)
    return out


def pandas_stages(board: pd.DataFrame, memory: int = 126, confirm: int = 3) -> pd.Series:
    """Highest stage whose rules all pass and whose predecessor was reached in the last ``memory``
    sessions; a new stage is taken only after ``confirm`` sessions in a row."""
    raw = pd.Series(0, index=board.index)
    previous: pd.Series | None = None
    for k, rules in PEER_RULES.items():
        active = pd.Series(True, index=board.index)
        for metric, op, threshold in rules:  # NaN compares False: an unknown metric blocks the stage
            active &= board[metric] >= threshold if op == ">=" else board[metric] <= threshold
        reached = active if previous is None else active & (previous.astype(float).rolling(memory, 1).max() > 0)
        raw = raw.mask(reached, k)
        previous = reached
    stage, current, run, last = [], int(raw.iloc[0]), 0, None
    for value in raw.tolist():
        run = run + 1 if value == last else 1
        if value != current and run >= confirm:
            current = value
        stage.append(current)
        last = value
    return pd.Series(stage, index=board.index, name="stage")


def pandas_timeline(stage: pd.Series) -> pd.DataFrame:
    run_id = (stage != stage.shift()).cumsum().to_numpy()
    frame = stage.rename_axis("date").reset_index()
    runs = frame.groupby(run_id).agg(
        start=("date", "first"), end=("date", "last"), stage=("stage", "first"), sessions=("stage", "size")
    )
    runs["name"] = runs["stage"].map(PEER_NAMES)
    return runs.reset_index(drop=True)


def pandas_status() -> dict[str, object]:
    board = pandas_board()
    stage = pandas_stages(board)
    runs = pandas_timeline(stage)
    return {
        "session": board.index[-1],
        "stage": int(stage.iloc[-1]),
        "since": runs["start"].iloc[-1],
        "indicators": board.iloc[-1].to_dict(),
    }


def pandas_full() -> tuple[pd.Series, pd.DataFrame]:
    stage = pandas_stages(pandas_board())
    return stage, pandas_timeline(stage)


# ------------------------------------------------------------------------------------------ agreement
def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Both unknown, or equal to 1e-9 relative."""
    both_nan = a.isna() & b.isna()
    close = (a - b).abs() <= 1e-9 * np.maximum(1.0, b.abs())
    return both_nan | close.fillna(False)


def agreement(ours: StageHistory, board: pd.DataFrame, peer_board: pd.DataFrame, peer_stage: pd.Series) -> None:
    rc = ours.stage.reindex(peer_stage.index)
    same = rc == peer_stage
    first_live = board.dropna(subset=METRICS[:3]).index[0]
    live = same[same.index >= first_live]
    console = Console(width=140)
    console.print(
        f"stage agreement, plain pandas vs riskcurve: {same.mean():.2%} of {len(same):,} sessions since {START}; "
        f"{live.mean():.2%} of {len(live):,} sessions since {first_live:%Y-%m-%d} "
        "(before that stage 1 lacks net liquidity / HY OAS data, so both say 0)"
    )
    table = Table(title="rule metrics: share of sessions where riskcurve and plain pandas agree (1e-9 rel.)")
    for column in ("metric", "agree", "differing sessions", "differ from .. to", "why"):
        table.add_column(column, justify="right" if column in ("agree", "differing sessions") else "left")
    for metric in METRICS:
        ok = _same(peer_board[metric], board[metric].reindex(peer_board.index))
        bad = ok.index[~ok.to_numpy()]
        table.add_row(
            metric,
            f"{ok.mean():.2%}",
            f"{len(bad):,}",
            f"{bad[0]:%Y-%m-%d} .. {bad[-1]:%Y-%m-%d}" if len(bad) else "-",
            KNOWN_DIFFERENCES.get(metric, "?") if len(bad) else "",
        )
    console.print(table)
    runs = (same != same.shift()).cumsum()[~same]
    if len(runs):
        spans = runs.groupby(runs).apply(lambda g: f"{g.index[0]:%Y-%m-%d}..{g.index[-1]:%Y-%m-%d} ({len(g)})")
        console.print(f"stage differs on {(~same).sum()} sessions, in runs: " + ", ".join(spans.tolist()))
    print(pd.crosstab(rc.rename("riskcurve"), peer_stage.rename("plain pandas")))


def main() -> None:
    warnings.simplefilter("ignore", ShortSampleWarning)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(os.environ.get("RISKCURVE_DB") or Path(tmp) / "bench.duckdb")
        if not path.exists():
            build_store(path)
        status = riskcurve_status(path)
        history, timeline, board = riskcurve_timeline(path)
        t_status = best_of(lambda: riskcurve_status(path))
        t_timeline = best_of(lambda: riskcurve_timeline(path))
        service = riskcurve.open(path)
        service.status(AS_OF)
        t_service = best_of(lambda: service.status(AS_OF))
        short = short_history(path, Path(tmp) / "five-years.duckdb")
        t_short = best_of(lambda: riskcurve_status(short))
        t_1995 = best_of(lambda: riskcurve_status(path, pd.Timestamp("1995-06-30 21:00", tz="UTC")))
    t_pd_status = best_of(pandas_status)
    t_pd_timeline = best_of(pandas_full)
    peer_board = pandas_board()
    peer_stage = pandas_stages(peer_board)
    peer_timeline = pandas_timeline(peer_stage)
    peer = {"stage": int(peer_stage.iloc[-1]), "since": peer_timeline["start"].iloc[-1]}
    report(
        f"status as of {AS_OF:%Y-%m-%d %H:%M} UTC: riskcurve stage {status.stage} ({status.name}) since "
        f"{status.confirmed_since:%Y-%m-%d}, plain pandas stage {peer['stage']} since {peer['since']:%Y-%m-%d}; "
        f"timeline {len(board):,} sessions, {len(timeline)} runs (plain pandas {len(peer_timeline)})",
        [
            (
                "riskcurve status (status_at on the full store)",
                t_status,
                "plain pandas: read_csv + merge_asof, 12 rule metrics, stages",
                t_pd_status,
                2.0,
            ),
            (
                "riskcurve Riskcurve.status (+ channels, claims; service answered once)",
                t_service,
                "plain pandas: as above",
                t_pd_status,
                None,
            ),
            (
                f"stage timeline since {START} (board + classify + timeline)",
                t_timeline,
                "plain pandas: same, whole history + runs",
                t_pd_timeline,
                3.0,
            ),
        ],
    )
    agreement(history, board, peer_board, peer_stage)
    history_table(t_status, t_short, t_1995)


def history_table(full: float, short: float, early: float) -> None:
    """How the status cost follows the history stored or seen (target: independent of it)."""
    table = Table(title="status_at cost against stored history (best of 3)")
    for column in ("case", "seconds", "full store / case"):
        table.add_column(column, justify="left" if column == "case" else "right")
    table.add_row(f"full store, as of {AS_OF:%Y-%m-%d}", f"{full:.3f}", "1.0x")
    table.add_row(f"last 5 years stored, as of {AS_OF:%Y-%m-%d}", f"{short:.3f}", f"{full / short:.1f}x")
    table.add_row("full store, as of 1995-06-30", f"{early:.3f}", f"{full / early:.1f}x")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()

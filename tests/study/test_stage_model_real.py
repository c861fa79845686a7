"""The stage model on the real data as of 2026-10-09, through the service, the API and the report.

Expected values are derived here from the data files and the service's own stage timeline; the
historical facts the files give (the 2016 and 2020 Russell 2000 breakouts, ETH's January 2018 peak)
are computed independently and pinned.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import riskcurve
from riskcurve._json import dumps
from riskcurve.report.html import build_report
from riskcurve.service import Riskcurve
from riskcurve.study.stage_model import StageModelReport
from riskcurve.web import create_app
from tests.conftest import read_data

AS_OF = "2026-10-09"


@pytest.fixture(scope="module")
def rc(real_store_path: Path) -> Riskcurve:
    return riskcurve.open(real_store_path)


@pytest.fixture(scope="module")
def report(rc: Riskcurve) -> StageModelReport:
    return rc.stage_model(AS_OF)


def closes(data_dir: Path, rel: str) -> pd.Series:
    raw = read_data(data_dir / rel).dropna(subset=["close"])
    return pd.Series(raw["close"].to_numpy(), index=pd.DatetimeIndex(raw["date"]))


def first_record_after_drought(close: pd.Series, first: str, last: str, gap: int = 250) -> pd.Timestamp:
    """The first close above every earlier close, at least ``gap`` rows after the previous such close."""
    previous = -(10**9)
    best = -np.inf
    for i, (day, value) in enumerate(close.items()):
        if value > best:
            if i - previous >= gap and pd.Timestamp(first) <= day <= pd.Timestamp(last):
                return pd.Timestamp(day)
            previous, best = i, value
    raise AssertionError("no record close in the window")


def first_turn_up(close: pd.Series, after: pd.Timestamp, window: int = 200, below: int = 20) -> pd.Timestamp:
    """First close above its ``window``-close average after ``below`` closes at or under it, after ``after``."""
    average = close.rolling(window).mean()
    run = 0
    for day, value, avg in zip(close.index, close.to_numpy(), average.to_numpy(), strict=True):
        if np.isnan(avg):
            continue
        if value > avg:
            if run >= below and day > after:
                return pd.Timestamp(day)
            run = 0
        else:
            run += 1
    raise AssertionError("no turn")


def test_precedents_give_the_breakouts_and_peaks_the_files_give(report: StageModelReport, data_dir: Path) -> None:
    rut, eth = closes(data_dir, "equities/RUT.csv"), closes(data_dir, "crypto/ETH.csv")
    by_id = {p.precedent.id: p for p in report.precedents}
    p2017, p2021 = by_id["2017"], by_id["2021"]
    assert p2017.breakout is not None and p2021.breakout is not None
    assert p2017.breakout.date == first_record_after_drought(rut, "2016-07-01", "2018-06-30")
    assert p2021.breakout.date == first_record_after_drought(rut, "2020-07-01", "2021-12-31")
    assert p2017.breakout.date == pd.Timestamp("2016-11-14") and p2021.breakout.date == pd.Timestamp("2020-11-13")
    start = p2017.breakout.date
    peak = eth[(eth.index >= start) & (eth.index <= pd.Timestamp("2018-06-30"))].idxmax()
    assert p2017.fact("ETH peak").date == peak == pd.Timestamp("2018-01-13")
    turn = first_turn_up(eth, start)
    assert p2017.fact("ETH turn").date == turn and p2017.fact("ETH turn").lag_days == (turn - start).days
    # 2020: ETH was already in its uptrend at the breakout; its turn came before it (crypto led).
    assert p2021.fact("ETH turn").lag_days < 0 and "crypto led" in p2021.verdict
    # Before 2020 the altcoin index has no point-in-time universe: unknown with the reason, never a number.
    assert p2017.fact("altseason peak").date is None and "top 50" in (p2017.fact("altseason peak").reason or "")
    assert p2021.fact("altseason peak").value is not None and p2021.fact("altseason peak").value >= 75


def test_stage_returns_add_up_and_match_a_direct_computation(
    report: StageModelReport, rc: Riskcurve, data_dir: Path
) -> None:
    table = report.returns.table
    for (follower, horizon, era), group in table.groupby(["follower", "horizon", "era"]):
        stages = group[group["stage"] != "all"]
        assert stages["sessions"].sum() == group[group["stage"] == "all"]["sessions"].iloc[0], (follower, horizon, era)
    all_eras = table[table["era"] != "all"].groupby(["stage", "follower", "horizon"])["sessions"].sum()
    whole = table[table["era"] == "all"].set_index(["stage", "follower", "horizon"])["sessions"]
    assert all_eras.reindex(whole.index).eq(whole).all()
    timeline = rc.timeline(end=AS_OF)
    assert report.returns.unknown_sessions == int(timeline[timeline["stage"].isna()]["sessions"].sum())
    # ETH 90 days after each stage-4 session: entered at that UTC day's close (after the 16:00 NY close).
    eth = closes(data_dir, "crypto/ETH.csv")
    fours = timeline[timeline["stage"] == 4]
    sessions = rc.board(AS_OF).frame.index
    days = [d for _, run in fours.iterrows() for d in sessions[(sessions >= run["start"]) & (sessions <= run["end"])]]
    direct = [eth[d + pd.Timedelta(days=90)] / eth[d] - 1 for d in days if d + pd.Timedelta(days=90) in eth.index]
    cell = report.returns.cell(4, "ETH", 90)
    assert cell["sessions"] == len(direct) and cell["mean"] == pytest.approx(np.mean(direct))
    assert cell["independent"] <= cell["episodes"] <= len(fours)


def test_timing_lags_are_the_timeline_s_own(report: StageModelReport, rc: Riskcurve) -> None:
    timeline = rc.timeline(end=AS_OF)
    four_starts = set(timeline[timeline["stage"] == 4]["start"])
    counts = report.timing.counts()
    assert sum(counts.values()) == len(report.timing.lags) > 0
    for lag in report.timing.lags:
        assert lag.onset in set(timeline[timeline["stage"] >= 3]["start"])
        if lag.stage4 is not None:
            assert lag.stage4 in four_starts and lag.lag_days == (lag.stage4 - lag.onset).days
            between = timeline[(timeline["stage"] == 4) & (timeline["start"] < lag.stage4)]
            assert not ((between["end"] >= lag.onset).any())  # the first stage 4 after the onset
        elif lag.outcome == "unknown":
            assert lag.assessable < 0.5
    first, last = report.assessable_span
    assert first is not None and last is not None and first.year >= 2020  # the altcoin index's universe
    # Every onset before stage 4 could be read is unknown, never "never".
    assert all(lag.outcome == "unknown" for lag in report.timing.lags if lag.searched_until < first)


def test_ladder_turns_follow_their_rule(report: StageModelReport, data_dir: Path) -> None:
    ladder = report.ladder
    spx = closes(data_dir, "equities/GSPC.csv")
    spx = spx[spx.index <= pd.Timestamp(AS_OF)]
    average = spx.rolling(200).mean()
    for cycle in ladder.cycles:
        day = cycle.turns["SPX"]
        if day is None:
            continue
        i = spx.index.get_loc(day)
        assert spx.iloc[i] > average.iloc[i] and (spx.iloc[i - 20 : i] <= average.iloc[i - 20 : i]).all()
        assert cycle.start <= day < cycle.end
    assert len(ladder.ranked) >= 5 and -1 <= ladder.mean_tau <= 1 and 0 < ladder.p_tau <= 1
    assert [c.start for c in ladder.cycles] == sorted(c.start for c in ladder.cycles)
    assert ladder.cycles[0].start.year == 2010 and ladder.cycles[-1].open  # the last cycle is still running


def test_summary_fits_a_screen_and_the_document_is_json(report: StageModelReport) -> None:
    text = report.summary()
    assert len(text.splitlines()) <= 25 and text.startswith(f"Stage model as of {AS_OF}")
    assert "Timing" in text and "Kendall tau" in text and "2017:" in text and "2021:" in text
    doc = json.loads(dumps(report.to_dict()))
    assert doc["stage_returns"]["cells"] and doc["ladder"]["cycles"] and len(doc["precedents"]) == 2
    assert str(report) == text and "<pre>" in report._repr_html_()
    assert set(report.to_frame()["stage"]) == {"0", "1", "2", "3", "4", "all"}


def test_api_serves_the_stage_model(real_store_path: Path, report: StageModelReport) -> None:
    with TestClient(create_app(riskcurve.open(real_store_path, lock_wait=1.0))) as client:
        response = client.get("/api/stage-model", params={"as_of": AS_OF})
        assert response.status_code == 200
        doc = response.json()
        assert doc["summary"] == report.summary() and doc["timing"] == json.loads(dumps(report.timing.to_dict()))
        assert client.get("/api/stage-model", params={"as_of": "not a date"}).status_code == 422


def test_report_has_the_stage_model_section(rc: Riskcurve, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    build_report(rc, AS_OF, out)
    html = out.read_text(encoding="utf-8")
    assert 'id="stage-model"' in html and 'data-chart="stage-ladder"' in html and 'data-chart="stage-returns"' in html
    figure = json.loads(html.split('class="figure-data" data-chart="stage-ladder">', 1)[1].split("</script>", 1)[0])
    assert len(figure["data"]) == 6 and any(x is not None for x in figure["data"][0]["x"])


def test_a_view_before_a_follower_listed_leaves_it_out_with_a_note(rc: Riskcurve) -> None:
    """As of 2015-01-01 there is no ETH yet and neither precedent has happened: said, never a failure."""
    early = rc.stage_model("2015-01-01")
    assert early.returns.followers == ("BTC", "ALTS")
    assert any("follower ETH" in note and "left out" in note for note in early.notes)
    assert all(p.breakout is None for p in early.precedents)
    assert early.assessable_span == (None, None) and "could never be evaluated" in early.summary()
    assert len(early.summary().splitlines()) <= 25


def test_a_snapshots_board_gives_the_same_model(rc: Riskcurve, report: StageModelReport) -> None:
    """The report hands the stage model its snapshot's board instead of computing it again: same answer;
    a board of another moment is refused rather than mixed in."""
    board = rc.board(AS_OF)
    reused = rc.stage_model(AS_OF, board=board)
    assert {**reused.to_dict(), "seconds": None} == {**report.to_dict(), "seconds": None}
    with pytest.raises(ValueError, match="the board is as of"):
        rc.stage_model(pd.Timestamp(AS_OF) - pd.Timedelta(days=1), board=board)

"""The verdict in a trader's words: the one rule for the word, simple returns recomputed from the CSV
files, an interval that holds the excess, and every adjustment named with its scope."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcurve.report.html import study_sections
from riskcurve.study.lab import StudyResult
from riskcurve.study.sweep import MAX_ENTRY_DELAY
from riskcurve.study.verdict import verdict_word
from tests.conftest import read_data

AS_OF = pd.Timestamp("2026-10-09")  # the real_btc fixture's as-of (a RUT session)


@pytest.mark.parametrize(
    ("p_placebo", "p_holm", "carried_by", "word"),
    [
        (0.001, 0.01, None, "evidence"),
        (0.001, 0.01, "2010-2014", "suggestive"),  # adjusted, but one era carries it
        (0.02, 0.30, None, "suggestive"),  # unadjusted only
        (0.05, 0.60, None, "no evidence"),  # at alpha is not below it
        (0.40, 1.00, "2010-2014", "no evidence"),
        (math.nan, math.nan, None, "no data"),  # unknown is not "no"
    ],
)
def test_the_rule_gives_one_word_per_branch(p_placebo: float, p_holm: float, carried_by: str | None, word: str) -> None:
    assert verdict_word(p_placebo, p_holm, carried_by, 0.05) == word


def _btc_log_returns(data_dir: Path, horizon: int) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """From the CSV files: BTC's close as known at AS_OF, and the forward log return from each RUT session
    (entered at BTC's UTC day of that session, the first close after the US close) and from each day."""
    btc = read_data(data_dir / "crypto/BTC.csv").set_index("date")["close"]
    btc = np.log(btc[btc.index < AS_OF])  # the UTC day of AS_OF closes after the as-of moment
    rut = read_data(data_dir / "equities/RUT.csv").dropna(subset=["close"])["date"]
    sessions = pd.DatetimeIndex(rut[rut <= AS_OF])
    entries = btc.index[np.minimum(btc.index.searchsorted(sessions), len(btc) - 1)]
    ends = entries + pd.Timedelta(days=horizon)
    forward = btc.reindex(ends).to_numpy() - btc.reindex(entries).to_numpy()
    # No entry more than MAX_ENTRY_DELAY after the close is known (~21:00 UTC; the UTC day closes at 24:00):
    # RUT sessions from before BTC listed have none.
    late = entries - sessions > MAX_ENTRY_DELAY - pd.Timedelta(days=1)
    forward[late | (sessions > btc.index[-1]) | (ends > btc.index[-1])] = np.nan
    return forward, sessions.to_numpy(), btc


@pytest.mark.parametrize("horizon", [30, 90])
def test_btc_simple_excess_is_recomputed_from_the_csv(real_btc: StudyResult, data_dir: Path, horizon: int) -> None:
    forward, sessions, _ = _btc_log_returns(data_dir, horizon)
    at_events = pd.DatetimeIndex(sessions).searchsorted([e.date for e in real_btc.events])
    after = forward[at_events]
    after = after[np.isfinite(after)]
    expected = math.exp(after.mean()) - math.exp(np.nanmean(forward))
    stats = real_btc.event_studies["BTC"].stats.loc[horizon]
    assert stats["n"] == len(after) >= 10
    assert stats["simple_excess"] == pytest.approx(expected, abs=1e-9)
    assert stats["simple_mean"] == pytest.approx(math.expm1(after.mean()), abs=1e-9)
    assert stats["simple_low"] < stats["simple_excess"] < stats["simple_high"]
    assert stats["excess_low"] < stats["excess_all"] < stats["excess_high"]
    row = real_btc.verdicts["BTC"].at(horizon)
    assert row is not None and row.excess == pytest.approx(expected, abs=1e-9)


def test_the_excess_interval_is_not_the_mean_interval_shifted(real_btc: StudyResult) -> None:
    """The baseline is resampled too, so the excess interval is wider than the shifted interval of the mean."""
    stats = real_btc.event_studies["BTC"].stats.loc[90]
    shifted = stats["ci_high"] - stats["ci_low"]
    assert stats["excess_high"] - stats["excess_low"] > shifted


def test_btc_verdict_names_its_numbers_and_their_scope(real_btc: StudyResult) -> None:
    verdict = real_btc.verdicts["BTC"]
    decided = verdict.at(verdict.horizon or 0)
    assert decided is not None
    holm = real_btc.adjusted_event_p.set_index(["follower", "horizon"]).loc[("BTC", verdict.horizon), "p_adjusted"]
    assert decided.p_holm == pytest.approx(holm)
    assert verdict.word == verdict_word(decided.p_placebo, decided.p_holm, verdict.carried_by, 0.05)
    text = verdict.text
    assert text.startswith(f"{verdict.word.upper()} ({verdict.horizon} days, {decided.n} events)")
    assert f"{100 * decided.excess:+.0f} pts" in text and f"{decided.mean:+.0%}" in text
    assert f"of events vs {decided.baseline_hit_rate:.0%} of days" in text
    if decided.hit_rate < decided.baseline_hit_rate:
        assert "(lower)" in text
    family = real_btc.families["BTC"].adjusted
    assert f"over its {len(family.labels)} tests for BTC (24 rolling-high definitions x 3 horizons" in text
    assert "BTC->RUT" in text and "RUT->BTC" in text and "week ending first" in text
    assert "log return was" not in text  # no log returns printed as percentages
    tests = int(real_btc.adjusted_event_p["p_adjusted"].notna().sum())
    assert f"Holm-adjusted over the event study's {tests} follower x horizon tests" in real_btc.verdict_rule


def test_summary_is_one_screen_of_readable_numbers(real_btc: StudyResult) -> None:
    summary = real_btc.summary()
    table = real_btc.summary_frame()
    assert list(table["follower"]) == ["BTC", "ALTS"]
    assert set(table["verdict"]) <= {"evidence", "suggestive", "no evidence", "no data"}
    assert summary.count("Verdict rule") == 1
    assert not re.search(r"\de[+-]\d|\(\('|days \d\d:\d\d:\d\d", summary)
    details = real_btc.details()
    assert "BTC after each horizon" in details and "Backtest BTC" in details and "Granger p-values" in details
    assert not re.search(r"\de[+-]\d|\(\('|days \d\d:\d\d:\d\d", details)
    doc = real_btc.to_dict()
    assert [row["follower"] for row in doc["summary"]] == ["BTC", "ALTS"]
    assert doc["verdict"]["BTC"] == real_btc.verdicts["BTC"].text and not doc["verdict"]["BTC"].startswith("BTC:")


def test_the_report_shows_the_summary_table_and_the_new_wording(real_btc: StudyResult) -> None:
    """The report renders the study document: the verdict paragraphs (no "BTC: BTC:"), the rule, and the
    summary table as the first table."""
    sections = study_sections(real_btc.to_dict())
    texts = dict(sections["texts"])
    assert texts["verdict"]["BTC"] == real_btc.verdicts["BTC"].text
    assert ("verdict_rule", real_btc.verdict_rule) in sections["scalars"]
    key, columns, rows = sections["tables"][0]
    assert key == "summary" and {"excess_90d_pts", "interval_90d_pts", "p_holm", "mde_pts", "verdict"} <= set(columns)
    assert len(rows) == 2

"""The service layer: the public Python API and the one place answers are computed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import riskcurve
from riskcurve.catalog import Catalog
from riskcurve.data.store import Store
from riskcurve.errors import AsOfError, ConfigError
from riskcurve.report.charts import timeline_chart
from riskcurve.service import STUDY_STATE_KEY, Riskcurve, StudyRun
from tests.conftest import latest_close


@pytest.fixture
def rc(real_store_path: Path) -> Riskcurve:
    return riskcurve.open(real_store_path)


def test_two_lines_from_a_fresh_interpreter(real_store_path: Path, data_dir: Path) -> None:
    db = str(real_store_path)
    code = (
        f"import riskcurve; s = riskcurve.open({db!r}).status('latest'); print(type(s).__name__, s.session.date())\n"
        f"print(type(riskcurve.open({db!r}).board('latest').frame).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    last_rut = pd.read_csv(data_dir / "equities" / "RUT.csv")["date"].iloc[-1]
    assert out.stdout.split() == ["Status", last_rut, "DataFrame"]


def test_latest_is_when_the_newest_leader_close_was_published(
    rc: Riskcurve, data_dir: Path, catalog: Catalog
) -> None:
    assert rc.resolve("latest") == latest_close(data_dir, catalog)
    assert rc.resolve("2024-03-01") == pd.Timestamp("2024-03-01 23:59:59.999999", tz="UTC")
    assert rc.resolve("2024-03-01T20:00:00-05:00") == pd.Timestamp("2024-03-02 01:00", tz="UTC")
    assert rc.resolve("2024-03-01T00:00") == pd.Timestamp("2024-03-01 00:00", tz="UTC")  # midnight, as typed


@pytest.mark.parametrize("text", ["", "nan", "NaT", "-1", "yesterday", "0001-01-01", "2262-04-11"])
def test_bad_as_of_is_a_clear_error(rc: Riskcurve, text: str) -> None:
    with pytest.raises(AsOfError, match=r"as_of|as-of"):
        rc.resolve(text)


def test_a_future_as_of_is_refused(rc: Riskcurve) -> None:
    tomorrow = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=2)).date().isoformat()
    with pytest.raises(AsOfError, match="future"):
        rc.status(tomorrow)


def test_config_errors_name_the_file_the_key_and_what_was_expected(tmp_path: Path, real_store_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[board]\nreturn_window = "a quarter"\n')
    with pytest.raises(ConfigError) as err:
        riskcurve.open(real_store_path, config=config)
    assert str(config) in str(err.value) and "return_window" in str(err.value) and "integer" in str(err.value)

    config.write_text("[bord]\nreturn_window = 42\n")
    with pytest.raises(ConfigError, match=r"unknown sections \['bord'\]"):
        riskcurve.open(real_store_path, config=config)

    config.write_text("[stages.thresholds]\nno_such_metric = 1\n")
    with pytest.raises(ConfigError, match="no_such_metric"):
        riskcurve.open(real_store_path, config=config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[board]\nreturn_window = -5\n", r"\[board\] return_window: Input should be greater than or equal to 1"),
        ('[board]\nstart = "yesterday"\n', r"\[board\]: start 'yesterday' is not a date"),
        ('[board]\nleader = "NOPE"\n', r"\[board\] leader 'NOPE' is not in the catalog"),
        ('[stages]\nmemory_sessions = "a"\n', r"\[stages\] memory_sessions: Input should be a valid integer"),
        ('[stages.thresholds]\neth_ret = "high"\n', r"eth_ret must be a number, got 'high'"),
        ("[stages]\nfollow_window_days = [90, 30]\n", r"follow_window_days must be \[start, end\]"),
    ],
)
def test_every_config_mistake_is_named(tmp_path: Path, real_store_path: Path, text: str, message: str) -> None:
    """A window below one would read a later close (look-ahead); the others would fail later, unclearly."""
    config = tmp_path / "config.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        riskcurve.open(real_store_path, config=config)
    assert str(err.value).startswith(str(config))


def test_a_renamed_threshold_still_works_and_says_so(tmp_path: Path, real_store_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[stages.thresholds]\nrut_minus_spx_63 = 0.01\n")
    rc = riskcurve.open(real_store_path, config=config)
    rule = next(r for rules in rc.stage_config.rules.values() for r in rules if r.metric == "rut_minus_spx")
    assert rule.threshold == 0.01
    assert any("'rut_minus_spx_63' is now 'rut_minus_spx'" in note for note in rc.status("latest").notes)


def test_settings_are_parsed_once_into_typed_sections(tmp_path: Path, real_store_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[board]\nreturn_window = 42\n[stages]\nconfirm_sessions = 5\n")
    rc = riskcurve.open(real_store_path, config=config)
    assert rc.board_config.return_window == 42 and rc.stage_config.confirm_sessions == 5
    status = rc.status("latest")  # a changed window keeps the metric names: classify does not raise
    assert status.session is not None


def test_update_downloads_with_the_store_closed(data_copy: Path, tmp_path: Path) -> None:
    """While the update fetches, another connection (the dashboard) can open the store."""
    db = tmp_path / "svc.duckdb"
    rc = riskcurve.open(db, data_dir=data_copy)
    rc.update(["RUT"])
    readable: list[bool] = []

    def during_fetch(spec: object, source: str) -> None:
        with Store(db, read_only=True, lock_wait=0.0) as store:
            readable.append(store.row_count() > 0)

    report = rc.update(["WALCL", "BTC"], on_series=during_fetch)
    assert report.ok and readable == [True, True]


def _stored_run(as_of: str) -> StudyRun:
    return StudyRun(
        as_of=pd.Timestamp(as_of, tz="UTC"),
        fingerprint="abc123",
        computed_at=pd.Timestamp("2026-12-01 10:00", tz="UTC"),
        document={"leader": "RUT", "verdict": {"ETH": "ETH: no evidence"}, "events": []},
    )


def test_a_study_is_shown_only_from_its_own_as_of(real_store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "study.duckdb"
    shutil.copy(real_store_path, db)
    rc = riskcurve.open(db)
    assert rc.study_for(pd.Timestamp("2026-01-01", tz="UTC")).reason.startswith("no study stored yet")
    run = _stored_run("2025-06-30 20:00")
    with Store(db) as store:
        store.set_state(STUDY_STATE_KEY, json.dumps(run.to_dict()))
    early = rc.study_for(pd.Timestamp("2015-01-01", tz="UTC"))
    assert early.run is None and "later than this view" in str(early.reason)
    later = rc.study_for(pd.Timestamp("2025-07-01", tz="UTC")).run
    assert later is not None and later.as_of == run.as_of and later.fingerprint == "abc123"
    assert later.verdicts() == {"ETH": "ETH: no evidence"}
    assert "study as of 2025-06-30 20:00 UTC (data abc123" in later.summary()


def test_a_damaged_stored_study_reads_as_none() -> None:
    assert StudyRun.from_json("{not json") is None
    assert StudyRun.from_json(json.dumps({"verdict": "old format without as_of"})) is None


def test_the_alert_ledger_remembers_deliveries(real_store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "ledger.duckdb"
    shutil.copy(real_store_path, db)
    rc = riskcurve.open(db)
    pairs = [("webhook", "stage:3:2026-01-08"), ("email", "stage:3:2026-01-08")]
    assert rc.undelivered(pairs) == set(pairs)
    rc.record_deliveries([("webhook", "stage:3:2026-01-08", "subject")])
    assert rc.undelivered(pairs) == {("email", "stage:3:2026-01-08")}


def test_status_and_snapshot_agree(rc: Riskcurve) -> None:
    moment = rc.resolve("latest")
    assert rc.status(moment).to_dict() == rc.snapshot(moment).status.to_dict()


def test_series_is_the_catalog_with_coverage(rc: Riskcurve, data_dir: Path) -> None:
    frame = rc.series().set_index("id")
    assert len(frame) == len(rc.catalog)
    assert frame.loc["RUT", "last_date"] == pd.read_csv(data_dir / "equities" / "RUT.csv")["date"].iloc[-1]
    assert frame.loc["WALCL", "units"] == "usd_billions" and bool(frame.loc["USDT", "stablecoin"])


def test_presenters_only_talk_to_the_service() -> None:
    """cli, alerts, report and web hold no store, panel or SQL: they present what the service returns."""
    src = Path(riskcurve.__file__).parent
    presenters = [src / "cli.py", src / "alerts.py", *(src / "report").rglob("*.py"), *(src / "web").rglob("*.py")]
    offending = [
        f"{path.relative_to(src)}: {needle}"
        for path in presenters
        for needle in ("riskcurve.data", "AlignedPanel", "Store(", "SELECT ", ".execute(")
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offending == []


def test_a_series_is_listed_stale_exactly_when_its_rules_read_unknown(rc: Riskcurve, data_dir: Path) -> None:
    """Day by day past ETH's last close: the stale list and the ETH rule agree (one way of counting age)."""
    eth_last = pd.read_csv(data_dir / "crypto" / "ETH.csv")["date"].iloc[-1]
    seen = set()
    for offset in range(3, 9):
        day = (pd.Timestamp(eth_last) + pd.Timedelta(days=offset)).date().isoformat()
        status = rc.status(day)
        rule = next(r for st in status.stages for r in st.rules if r.metric == "eth_ret")
        assert ("ETH" in status.stale) == (rule.passed is None), (day, status.stale, rule)
        seen.add("ETH" in status.stale)
    assert seen == {True, False}  # both sides of the limit were looked at


def test_timeline_and_notebook_views(rc: Riskcurve) -> None:
    runs = rc.timeline("2020-01-01", "latest")
    status = rc.status("latest")
    assert runs["end"].min() >= pd.Timestamp("2020-01-01") and runs.iloc[-1]["end"] == status.session
    assert runs.iloc[-1]["stage"] == status.stage and runs.iloc[-1]["start"] == status.confirmed_since
    board = rc.board("latest")
    snapshot = rc.snapshot("latest")
    breakout = status.breakouts[-1]
    for result in (status, board, rc.status("2021-03-31"), snapshot, breakout):
        assert "<table" in result._repr_html_() and str(result) == result.summary()
        json.dumps(result.to_dict())  # JSON-ready, made in one place per type
    assert breakout.summary().startswith(f"RUT breakout ({breakout.kind}) on {breakout.date:%Y-%m-%d}: close ")
    assert len(snapshot.to_frame()) == len(rc.catalog) and breakout.to_frame().shape[0] == 1
    assert board.to_dict()["indicators"]["rut_minus_spx"]["window"] == "63-session"
    assert list(status.to_frame().columns[:3]) == ["stage", "rule", "metric"]


def test_sessions_without_a_leader_close_are_an_unknown_run(rc: Riskcurve, data_dir: Path) -> None:
    """After the newest close the timeline says 'unknown', never 'No rotation' (stage 0)."""
    newest = pd.Timestamp(pd.read_csv(data_dir / "equities" / "RUT.csv")["date"].iloc[-1])
    weeks_later = newest + pd.Timedelta(days=30)
    runs = rc.timeline(newest - pd.Timedelta(days=90), weeks_later.date().isoformat())
    last = runs.iloc[-1]
    assert pd.isna(last["stage"]) and last["name"] == "unknown" and last["start"] > newest
    assert runs.iloc[-2]["end"] == newest and not pd.isna(runs.iloc[-2]["stage"])
    names = [trace.name for trace in timeline_chart(runs).data]
    assert any(name.startswith("unknown (no Russell 2000 close)") for name in names)


def test_the_forward_test_ledger_scores_the_2600_break(rc: Riskcurve) -> None:
    """The seeds' dated claim, as of a fixed past moment: ETH fell ~33% in the 30 days after 2026-01-08."""
    ledger = rc.ledger("2026-10-09", followers=("ETH",))
    assert ledger.signals[0].date == pd.Timestamp("2026-01-08") and ledger.signals[0].level == 2600
    first = [e for e in ledger.entries if e.signal_date == ledger.signals[0].date]
    assert [e.horizon for e in first] == [30, 60, 90] and all(e.outcome == "realised" for e in first)
    assert first[0].realised == pytest.approx(-0.33, abs=0.015)
    early = rc.ledger("2026-02-01", followers=("ETH",))  # the 30-day window had not closed yet
    assert all(e.outcome == "pending" for e in early.entries)
    assert rc.ledger("2026-10-09", followers=("ETH",), claim_date=date(2026, 3, 1)).signals[0].date == pd.Timestamp(
        "2026-05-01"
    )


def test_a_shared_snapshot_never_keeps_a_claim_pending_past_its_check_date(rc: Riskcurve) -> None:
    """The dashboard shares one snapshot between moments with the same data key (``Snapshot.at``); a
    claim falling due in between must be judged, as ``rc.claims`` judges it, not stay pending."""
    from riskcurve.web.cache import StoreView

    claim = next(c for c in rc.claim_list if c.id == "rmp-pace-through-august")
    check = pd.Timestamp(claim.check, tz="UTC")
    before, after = check + pd.Timedelta(hours=23), check + pd.Timedelta(hours=23, minutes=59, seconds=59.5)
    view = StoreView(rc)
    words = {}
    for moment in (before, after):
        doc = json.loads(view.part_json(moment, "claims"))
        words[moment] = {c["id"]: c["word"] for c in doc["claims"]}[claim.id]
        assert words[moment] == {c.claim.id: c.word for c in rc.claims(moment).checks}[claim.id]
    assert words[before] == "pending" and words[after] != "pending"


def test_a_shared_snapshot_counts_a_feeds_silence_in_days_of_its_own_moment(rc: Riskcurve) -> None:
    """A Saturday and a Sunday after the data end see the same data and the same last session; the
    channels' "no data since ... (N days)" still counts from each moment's own day."""
    from riskcurve.web.cache import StoreView

    view = StoreView(rc)
    latest = rc.resolve("latest")
    saturday = (latest + pd.offsets.Week(weekday=5)).normalize() + pd.Timedelta(hours=12)
    for moment in (saturday, saturday + pd.Timedelta(days=1)):
        served = json.loads(view.part_json(moment, "channels"))["readings"]
        assert served == rc.channels(moment).to_dict()["readings"]

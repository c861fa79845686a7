"""The command line, end to end through typer's runner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from riskcurve.catalog import Catalog
from riskcurve.cli import app
from riskcurve.data.panel import STALE_AFTER
from riskcurve.stages import core_series
from riskcurve.thesis import ALTSEASON_MAX_RANKING_AGE
from tests.conftest import (
    cell_count,
    first_session_from,
    last_date,
    latest_close,
    read_data,
    row_count,
    stale_in_files,
)

runner = CliRunner()


def test_update_then_series(data_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    result = runner.invoke(app, ["update", "--data-dir", str(data_copy), "--series", "RUT,WALCL", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2 series:" in result.output and "0 failed" in result.output
    again = runner.invoke(
        app, ["update", "--data-dir", str(data_copy), "--series", "RUT", "--series", "WALCL", "--db", str(db)]
    )
    assert "2 series unchanged" in again.stdout  # one line, not a table of no-ops
    assert "new rows" not in again.output and "updating RUT <- csvdir" in again.output  # a line per series
    listing = runner.invoke(app, ["series", "--json", "--db", str(db)])
    assert listing.exit_code == 0
    rows = {r["id"]: r for r in json.loads(listing.stdout)}
    rut = data_copy / "equities" / "RUT.csv"
    assert rows["RUT"]["last_date"] == last_date(data_copy, "equities/RUT.csv").date().isoformat()
    assert rows["RUT"]["stored_values"] == cell_count(rut)  # OHLC cells, empty opens left out (no RUT volume)
    assert rows["RUT"]["observations"] == row_count(data_copy, "equities/RUT.csv")  # dates, as the file reads
    assert rows["WALCL"]["units"] == "usd_billions"
    assert rows["BTC"]["observations"] == rows["BTC"]["stored_values"] == 0 and rows["USDT"]["stablecoin"] is True


def test_update_reports_failures_and_exits_nonzero(data_copy: Path, tmp_path: Path) -> None:
    (data_copy / "fred" / "WALCL.csv").write_text("date,value\n2023-09-06,abc\n")
    db = tmp_path / "cli.duckdb"
    result = runner.invoke(app, ["update", "--data-dir", str(data_copy), "--series", "RUT,WALCL", "--db", str(db)])
    assert result.exit_code == 1
    assert "1 failed" in result.output
    assert "WALCL.csv, line 2: column 'value' has unparsable number 'abc'" in result.output.replace("\n", "")


def test_since_limits_the_rows(data_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    result = runner.invoke(
        app,
        ["update", "--data-dir", str(data_copy), "--series", "BTC", "--since", "2026-07-01", "--db", str(db)],
    )
    assert result.exit_code == 0
    # Every non-empty cell dated from 2026-07-01 on: CoinGecko close/volume/market_cap days, then
    # Binance OHLC days without volume (see EXTENSION-2026-12.md); nothing before that date.
    btc = data_copy / "crypto" / "BTC.csv"
    expected = cell_count(btc, since="2026-07-01")
    assert 0 < expected < cell_count(btc)
    assert f"1 series: {expected} new rows, 0 revised rows" in result.output


def test_clear_errors_for_bad_arguments(tmp_path: Path) -> None:
    unknown = runner.invoke(
        app, ["update", "--data-dir", str(tmp_path), "--series", "NOPE", "--db", str(tmp_path / "x")]
    )
    assert unknown.exit_code == 2 and "unknown series 'NOPE'" in unknown.output
    missing = runner.invoke(app, ["update", "--data-dir", str(tmp_path / "none"), "--db", str(tmp_path / "x")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_status_json_as_of_latest(real_store_path: Path, data_dir: Path, catalog: Catalog) -> None:
    result = runner.invoke(app, ["status", "--as-of", "latest", "--json", "--db", str(real_store_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # 'latest' is when the newest Russell 2000 close in the files was published (16:00 New York that day).
    assert doc["as_of"] == latest_close(data_dir, catalog).isoformat()
    assert doc["session"] == last_date(data_dir, "equities/RUT.csv").date().isoformat()
    assert doc["stage"] in range(5) and len(doc["stages"]) == 4
    assert all({"metric", "value", "threshold", "passed"} <= set(r) for s in doc["stages"] for r in s["rules"])
    # The altcoin-season index reads unknown, with the reason, once the market-cap ranking is too old.
    ranking = last_date(data_dir, "crypto/market/cmc_monthly_top200_snapshots.csv")
    altseason = doc["altseason"]
    if pd.Timestamp(doc["session"]) - ranking > ALTSEASON_MAX_RANKING_AGE:
        assert altseason["index"] is None and f"ranking is from {ranking.date()}" in altseason["reason"]
    # Beside the stage, the thesis's own prediction scored: the ledger's first signal is the first close
    # at or above 2,600 on or after the claim date, straight from the file.
    rut = read_data(data_dir / "equities" / "RUT.csv").set_index("date")["close"]
    first = rut[(rut.index >= pd.Timestamp("2026-01-08")) & (rut >= 2600)].index[0]
    ledger = doc["ledger"]
    assert ledger["as_of"][:10] == doc["as_of"][:10] and ledger["signals"][0]["date"][:10] == f"{first:%Y-%m-%d}"


def test_status_table_names_stale_series(real_store_path: Path, data_dir: Path, catalog: Catalog) -> None:
    # The first session at which the crypto feeds (the newer of BTC's and ETH's last days) are more than
    # STALE_AFTER old: BTC and ETH are surely stale then; which other series are follows from the files.
    crypto_last = max(last_date(data_dir, "crypto/BTC.csv"), last_date(data_dir, "crypto/ETH.csv"))
    day = first_session_from(crypto_last + STALE_AFTER["daily"] + pd.Timedelta(days=1)).date().isoformat()
    result = runner.invoke(app, ["status", "--as-of", day, "--db", str(real_store_path)])
    assert result.exit_code == 0, result.output
    assert "Small caps lead" in result.output and "-> unknown" in result.output  # every rule, with its verdict
    expected = stale_in_files(data_dir, catalog, core_series(catalog), pd.Timestamp(f"{day} 23:59:59.999999", tz="UTC"))
    assert {"BTC", "ETH"} <= set(expected)
    text = " ".join(result.output.split())
    listed = text.split("stale series (newest observation older than its frequency allows): ")[1]
    named = listed.split(" liquidity channels as of")[0].split(", ")  # the channels block follows
    assert named == expected


def test_status_rejects_a_bad_date(real_store_path: Path, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["status", "--as-of", "2026-02-30", "--db", str(real_store_path)])
    assert bad.exit_code == 2 and "is not a date" in bad.output
    empty = runner.invoke(app, ["status", "--db", str(tmp_path / "none.duckdb")])
    assert empty.exit_code == 2 and "run `riskcurve update` first" in empty.output


def test_study_json_and_out_dir(real_store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "study.duckdb"
    db.write_bytes(real_store_path.read_bytes())  # the study caches its result in the store
    out = tmp_path / "study"
    result = runner.invoke(
        app, ["study", "--json", "--followers", "ETH,BTC", "--horizons", "30,60,90", "--as-of", "2026-08-22",
              "--out", str(out), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc["verdict"]) == {"ETH", "BTC"}
    assert doc["sweep"]["n_configurations"] == 24 * 2 * 3
    assert doc["lead_lag"] is not None and doc["lead_lag"]["followers"]["ETH"]["regime_correlations"]
    ledger = doc["ledger"]  # the thesis's own 2,600 signal, scored as of 2026-08-22
    assert ledger["claim_date"] == "2026-01-08" and ledger["signals"][0]["date"] == "2026-01-08"
    eth_30 = next(e for e in ledger["entries"] if e["follower"] == "ETH" and e["horizon"] == 30)
    assert eth_30["outcome"] == "realised" and -0.35 < eth_30["realised"] < -0.31
    assert "Forward-test ledger" in (out / "verdict.txt").read_text().splitlines()[1]
    for name in ("study.json", "verdict.txt", "details.txt", "event_study.csv", "events.csv", "sweep.csv"):
        assert (out / name).stat().st_size > 0
    assert {"stage_returns", "timing", "ladder"} <= set(doc["stage_model"])  # --json carries the stage model
    assert [row["follower"] for row in doc["summary"]] == ["ETH", "BTC"] and doc["verdict_rule"]
    from riskcurve.data.store import Store

    with Store(db, read_only=True) as store:
        cached = json.loads(store.get_state("study:last") or "{}")
    assert cached["verdict"] == doc["verdict"] and cached["as_of"] == doc["as_of"] == "2026-08-22T23:59:59.999999+00:00"
    assert len(cached["fingerprint"]) == 12 and doc["label"].startswith("study as of 2026-08-22 23:59 UTC")


def test_study_fits_one_screen_and_details_has_the_rest(real_store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "study.duckdb"
    db.write_bytes(real_store_path.read_bytes())
    args = ["study", "--followers", "ETH,BTC", "--horizons", "30,60,90", "--as-of", "2026-08-22", "--db", str(db)]
    unreadable = re.compile(r"\de[+-]\d|\(\('|days \d\d:\d\d:\d\d")  # 7.189e+05, (('L63..', 7)), 0 days 06:00:00
    short = runner.invoke(app, args, terminal_width=160)
    assert short.exit_code == 0, short.output
    lines = short.stdout.splitlines()
    assert len(lines) <= 45 and not unreadable.search(short.stdout)
    assert lines[1].startswith("Forward-test ledger")  # what happened after the thesis's own event comes first
    assert short.stdout.count("Verdict rule") == 1 and "30d excess (95%)" in short.stdout
    assert "ETH after each horizon" not in short.stdout
    full = runner.invoke(app, [*args, "--details"], terminal_width=160)
    assert full.exit_code == 0, full.output
    assert not unreadable.search(full.stdout)
    for part in ("ETH after each horizon", "BTC after each horizon", "Rolling-high sweep", "Backtest BTC",
                 "Granger p-values", "Stage model as of"):
        assert part in full.stdout, part


def test_study_rejects_bad_arguments(real_store_path: Path) -> None:
    for args, message in (
        (["--grid", "huge"], "--grid must be 'default' or 'full'"),
        (["--horizons", "30,x"], "--horizons must be comma-separated whole numbers"),
        (["--start", "2020-13-01"], "--start '2020-13-01' is not a date"),
        (["--followers", "NOPE"], "unknown series 'NOPE'"),
    ):
        result = runner.invoke(app, ["study", *args, "--db", str(real_store_path)])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output.replace("\n", " "), result.output


def test_study_scheduler_errors_are_clear(real_store_path: Path) -> None:
    result = runner.invoke(app, ["study", "--scheduler", "tcp://127.0.0.1:1", "--db", str(real_store_path)])
    assert result.exit_code == 2
    assert "cannot reach the dask scheduler" in result.output.replace("\n", " ")


def test_importing_the_cli_loads_no_numerical_stack() -> None:
    """`riskcurve --help` and usage errors stay fast: the CLI's module top imports no pandas or DuckDB."""
    import subprocess
    import sys

    code = "import sys, riskcurve.cli; print(sorted(m for m in ('pandas', 'duckdb', 'numpy') if m in sys.modules))"
    env = {"PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_help_shows_env_vars_metavars_and_an_example() -> None:
    update = " ".join(runner.invoke(app, ["update", "--help"]).output.split())
    assert "[env var: RISKCURVE_DB]" in update and "[env var: RISKCURVE_DATA_DIR]" in update
    assert "--since DATE" in update and "Example: riskcurve update" in update
    watch = " ".join(runner.invoke(app, ["watch", "--help"]).output.replace("│", " ").split())
    assert "[env var: RISKCURVE_WEBHOOK_URL]" in watch and "shows in `ps`" in watch
    for command in ("series", "status", "study", "export", "report", "serve"):
        assert "Example: riskcurve" in runner.invoke(app, [command, "--help"]).output, command


def test_usage_errors_are_one_line_like_riskcurves_own() -> None:
    result = runner.invoke(app, ["status", "--no-such-option"])
    assert result.exit_code == 2
    assert result.output.startswith("error: No such option: --no-such-option")
    assert len(result.output.strip().splitlines()) == 1 and "╭" not in result.output


def test_json_numbers_are_rounded() -> None:
    from riskcurve._json import dumps

    assert json.loads(dumps({"ret": 0.13 - 0.2, "rows": [1.0000000000000002, None, 3]})) == {
        "ret": -0.07,
        "rows": [1.0, None, 3],
    }
    assert "-0.0699999" not in dumps([0.13 - 0.2])


def test_status_json_has_no_float_noise(real_store_path: Path) -> None:
    text = runner.invoke(app, ["status", "--as-of", "latest", "--json", "--db", str(real_store_path)]).stdout
    numbers = [float(n) for n in __import__("re").findall(r"-?\d+\.\d+(?:e-?\d+)?", text)]
    assert numbers and all(float(f"{n:.10g}") == n for n in numbers)


def test_export_board_and_timeline(real_store_path: Path, tmp_path: Path) -> None:
    board_file = tmp_path / "board.parquet"
    result = runner.invoke(
        app, ["export", "--what", "board", "--format", "parquet", "--as-of", "latest", "--out", str(board_file),
              "--db", str(real_store_path)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    import duckdb

    board = duckdb.read_parquet(str(board_file)).df()
    assert len(board) > 1000 and "date" in board.columns
    timeline_file = tmp_path / "timeline.csv"
    result = runner.invoke(
        app, ["export", "--what", "timeline", "--as-of", "latest", "--out", str(timeline_file), "--json",
              "--db", str(real_store_path)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    timeline = pd.read_csv(timeline_file)
    assert json.loads(result.stdout)["rows"] == len(timeline) > 0
    assert {"start", "end", "stage"} <= set(timeline.columns)


def test_export_refuses_unknown_tables_and_an_unavailable_ledger(real_store_path: Path, tmp_path: Path) -> None:
    from riskcurve.cli import EXPORTS
    from riskcurve.service import Riskcurve

    bad = runner.invoke(app, ["export", "--what", "bogus", "--db", str(real_store_path)])
    assert bad.exit_code == 2 and bad.output.startswith("error: --what must be one of")
    assert set(EXPORTS) == {"status", "board", "timeline", "series", "study", "ledger"}
    ledger = runner.invoke(app, ["export", "--what", "ledger", "--out", str(tmp_path / "l.csv"),
                                 "--db", str(real_store_path)])  # fmt: skip
    if hasattr(Riskcurve, "ledger"):  # the lab's forward ledger, once merged
        assert ledger.exit_code == 0, ledger.output
    else:
        assert ledger.exit_code == 2 and "not available" in ledger.output

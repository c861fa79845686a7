"""The command line, end to end through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from riskcurve.cli import app

runner = CliRunner()


def test_update_then_series(data_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    result = runner.invoke(
        app, ["update", "--data-dir", str(data_copy), "--series", "RUT,WALCL", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "2 series:" in result.output and "0 failed" in result.output
    again = runner.invoke(
        app, ["update", "--data-dir", str(data_copy), "--series", "RUT", "--series", "WALCL", "--db", str(db)]
    )
    assert "0 new rows, 0 revised rows" in again.output
    listing = runner.invoke(app, ["series", "--json", "--db", str(db)])
    assert listing.exit_code == 0
    rows = {r["id"]: r for r in json.loads(listing.stdout)}
    assert rows["RUT"]["last_date"] == "2026-08-21" and rows["RUT"]["rows"] == 9811 * 4 - 3671
    assert rows["WALCL"]["units"] == "usd_billions"
    assert rows["BTC"]["rows"] == 0 and rows["USDT"]["flags"] == "stablecoin"


def test_update_reports_failures_and_exits_nonzero(data_copy: Path, tmp_path: Path) -> None:
    (data_copy / "fred" / "WALCL.csv").write_text("date,value\n2023-09-06,abc\n")
    db = tmp_path / "cli.duckdb"
    result = runner.invoke(
        app, ["update", "--data-dir", str(data_copy), "--series", "RUT,WALCL", "--db", str(db)]
    )
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
    assert "54 new rows" in result.output  # 18 CoinGecko days x (close, volume, market_cap)


def test_clear_errors_for_bad_arguments(tmp_path: Path) -> None:
    unknown = runner.invoke(
        app, ["update", "--data-dir", str(tmp_path), "--series", "NOPE", "--db", str(tmp_path / "x")]
    )
    assert unknown.exit_code == 2 and "unknown series 'NOPE'" in unknown.output
    missing = runner.invoke(
        app, ["update", "--data-dir", str(tmp_path / "none"), "--db", str(tmp_path / "x")]
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output

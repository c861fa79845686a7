"""A live update without a network fails in seconds, says in plain words what was not reached, and
keeps the store as it was; each provider is probed once; a run deadline stops what is left."""

from __future__ import annotations

import json
import socket
import time
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
from typer.testing import CliRunner

from riskcurve.catalog import Catalog, SeriesSpec
from riskcurve.cli import app
from riskcurve.data.sources.base import Source
from riskcurve.data.update import UpdatePlan, fetch_chunks, probe_host
from tests.conftest import row_count

runner = CliRunner()


def no_dns(*args: Any, **kwargs: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No name resolves (every library resolves through ``socket.getaddrinfo``); no CSV folder configured."""
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.delenv("RISKCURVE_DATA_DIR", raising=False)
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    config = tmp_path / "empty-config.toml"
    config.write_text("")
    monkeypatch.setenv("RISKCURVE_CONFIG", str(config))


def test_probe_host_names_a_failed_dns_lookup(offline: None) -> None:
    assert probe_host("api.stlouisfed.org") == "DNS lookup failed for api.stlouisfed.org"


def test_full_live_update_without_network_fails_fast_and_keeps_the_store(
    offline: None, data_copy: Path, tmp_path: Path, catalog: Catalog
) -> None:
    db = tmp_path / "offline.duckdb"
    seeded = runner.invoke(app, ["update", "--data-dir", str(data_copy), "--series", "RUT", "--db", str(db)])
    assert seeded.exit_code == 0, seeded.output

    started = time.monotonic()
    result = runner.invoke(app, ["update", "--db", str(db)])
    elapsed = time.monotonic() - started

    assert elapsed < 30, f"offline update took {elapsed:.1f} s"
    assert result.exit_code == 1, result.output
    walcl = "failed, nothing stored: WALCL: not reached: fred unreachable (DNS lookup failed for fred.stlouisfed.org)"
    assert walcl in result.output
    assert "yahoo unreachable (DNS lookup failed for query2.finance.yahoo.com)" in result.output
    assert "NameResolutionError" not in result.output and "HTTPSConnectionPool" not in result.output
    assert "kept: the store still holds what it had" in result.output

    as_json = runner.invoke(app, ["update", "--json", "--db", str(db)])
    series = json.loads(as_json.stdout)["series"]
    assert len(series) == len(catalog)
    failed = [r for r in series if r["status"] == "failed"]
    assert failed and all(r["message"].startswith("not reached: ") for r in failed)
    assert {r["status"] for r in series} <= {"failed", "skipped"}  # skipped: CSV-only series (no live source)

    listing = json.loads(runner.invoke(app, ["series", "--json", "--db", str(db)]).stdout)
    rut = next(row for row in listing if row["id"] == "RUT")
    assert rut["observations"] == row_count(data_copy, "equities/RUT.csv")  # unchanged by the failed run


class Counting(Source):
    """A source that counts probes of its host and fetches, and serves an empty frame."""

    name: ClassVar[str] = "counting"

    def __init__(self) -> None:
        self.fetched: list[str] = []

    def hosts(self) -> tuple[str, ...]:
        return ("counting.example",)

    def supports(self, spec: SeriesSpec) -> bool:
        return True

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        self.fetched.append(spec.id)
        return pd.DataFrame()


def test_provider_is_probed_once_and_skipped_after_failing(catalog: Catalog) -> None:
    specs = catalog.select(["RUT", "SPX", "WALCL"])
    probed: list[str] = []

    def probe(host: str) -> str | None:
        probed.append(host)
        return f"DNS lookup failed for {host}"

    source = Counting()
    (out,) = fetch_chunks(UpdatePlan({}, {}), specs, [source], probe=probe)
    assert probed == ["counting.example"]
    assert source.fetched == []
    assert [f.message for f in out.failures] == [
        "not reached: counting unreachable (DNS lookup failed for counting.example)"
    ] * 3


def test_deadline_leaves_the_rest_not_reached(catalog: Catalog) -> None:
    specs = catalog.select(["RUT", "SPX", "WALCL"])
    ticks = iter([0.0, 1.0, 11.0, 12.0])  # start, before RUT, before SPX (past 10 s), before WALCL
    source = Counting()
    (out,) = fetch_chunks(UpdatePlan({}, {}), specs, [source], probe=None, deadline=10, monotonic=lambda: next(ticks))
    assert source.fetched == ["RUT"]
    assert {f.series_id: f.message for f in out.failures} == {
        "SPX": "not reached: the run's deadline of 10 s passed",
        "WALCL": "not reached: the run's deadline of 10 s passed",
    }


def test_every_live_source_names_the_hosts_it_is_probed_on() -> None:
    """A live adapter without hosts would not be probed and would retry every series offline."""
    from riskcurve.data.update import live_sources

    assert all(source.hosts() and all(source.hosts()) for source in live_sources())

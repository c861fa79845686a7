"""The store: exact reproduction of the real data, idempotency, increments, revisions, atomicity."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from riskcurve.catalog import Catalog, CsvSpec
from riskcurve.data.sources.base import empty_standard_frame
from riskcurve.data.store import SCHEMA_VERSION, Store
from riskcurve.data.update import apply_chunks, csv_sources, fetch_chunks, plan_update, run_update
from riskcurve.errors import StoreError
from tests.conftest import cell_count, day_after, last_date, read_data, stored


def test_full_load_reproduces_every_file(real_store: Store, catalog: Catalog, data_dir: Path) -> None:
    counts = real_store.con.execute("SELECT series_id, count(*) FROM observations GROUP BY 1").fetchall()
    by_series = dict(counts)
    for spec in catalog.values():
        if spec.csv is None:  # live only (e.g. WSHOBL): nothing offline to reproduce
            assert spec.id not in by_series, spec.id
            continue
        expected = cell_count(data_dir / spec.csv.path, spec.csv.member_column, spec.csv.ignore)
        if spec.csv.on_duplicate == "keep_first":
            expected -= 5  # the one duplicated (date, symbol) row of the CMC snapshots, 5 numeric cells
        assert by_series.get(spec.id, 0) == expected, spec.id


def file_checksum(path: Path, spec_csv: CsvSpec) -> tuple[float, float]:
    """The sum of a file's stored cells and of each cell times its day number (1970-01-01 = 0): a
    value lost, added or moved to another date changes one or the other. Zeros (unknown market caps)
    add nothing either way; the kept-first duplicate rows count once."""
    raw = read_data(path)
    for column, wanted in spec_csv.filter.items():
        raw = raw[raw[column].astype(str) == wanted]
    if spec_csv.on_duplicate == "keep_first":
        raw = raw.drop_duplicates(["date", *([spec_csv.member_column] if spec_csv.member_column else [])])
    text = ["date", *([spec_csv.member_column] if spec_csv.member_column else []), *spec_csv.ignore, *spec_csv.filter]
    values = raw.drop(columns=text).astype("float64")
    days = (raw["date"] - pd.Timestamp("1970-01-01")).dt.days
    return float(values.sum().sum()), float(values.mul(days, axis=0).sum().sum())


def test_full_load_stores_every_value_on_its_date(real_store: Store, catalog: Catalog, data_dir: Path) -> None:
    sums = real_store.con.execute(
        "SELECT series_id, sum(value), sum(value * (date - DATE '1970-01-01')) FROM observations GROUP BY 1"
    ).fetchall()
    by_series = {sid: (total, weighted) for sid, total, weighted in sums}
    files = [spec for spec in catalog.values() if spec.csv is not None]
    assert set(by_series) == {spec.id for spec in files}
    for spec in files:
        assert spec.csv is not None
        expected = file_checksum(data_dir / spec.csv.path, spec.csv)
        assert by_series[spec.id] == pytest.approx(expected, rel=1e-9), spec.id


def test_an_import_in_chunks_stores_the_same_rows_opening_the_store_per_chunk(
    catalog: Catalog, data_copy: Path, tmp_path: Path
) -> None:
    specs = catalog.select(["RUT", "IWM", "WALCL", "WTREGEN", "RRPONTSYD", "BTC", "ETH"])
    with Store(tmp_path / "whole.duckdb") as store:
        assert run_update(store, specs, csv_sources(data_copy)).ok
        whole = observations(store)
    path = tmp_path / "chunked.duckdb"
    with Store(path) as store:
        plan = plan_update(store, specs)
    opened: list[Store] = []

    def writer() -> Store:
        opened.append(Store(path))
        return opened[-1]

    chunks = fetch_chunks(plan, specs, csv_sources(data_copy), probe=None, chunk_rows=20_000)
    report = apply_chunks(chunks, writer, specs)
    assert report.ok and [r.series_id for r in report.results] == [s.id for s in specs]
    assert 1 < len(opened) < len(specs)  # small series share a chunk, the large ones fill their own
    with Store(path, read_only=True) as store:
        pd.testing.assert_frame_equal(observations(store), whole)


def observations(store: Store) -> pd.DataFrame:
    """Every stored row but the fetch time (two imports differ only in when they ran)."""
    return store.con.execute(
        "SELECT series_id, member, field, date, value, available_at, source FROM observations ORDER BY ALL"
    ).df()


@pytest.mark.parametrize(
    ("series_id", "field", "date", "value"),
    [
        ("RUT", "close", "2026-01-08", 2603.91),
        ("SPX", "close", "2021-08-11", 4447.70),
        ("WALCL", "value", "2023-09-06", 8101318.0),
        ("RRPONTSYD", "value", "2023-09-06", 1606.244),
        ("BTC", "close", "2026-07-18", None),
        ("IWM", "close", "2000-05-26", 45.7188),
        ("DFII10", "value", "2020-08-06", -1.08),
    ],
)
def test_spot_values_match_files(
    real_store: Store,
    data_dir: Path,
    catalog: Catalog,
    series_id: str,
    field: str,
    date: str,
    value: float | None,
) -> None:
    spec = catalog[series_id]
    assert spec.csv is not None
    raw = pd.read_csv(data_dir / spec.csv.path, index_col="date")
    expected = float(raw.loc[date, field]) if value is None else value
    assert float(raw.loc[date, field]) == pytest.approx(expected)
    assert stored(real_store, series_id, field)[pd.Timestamp(date)] == pytest.approx(expected, rel=1e-12)


def test_second_identical_update_changes_nothing(catalog: Catalog, data_copy: Path, tmp_path: Path) -> None:
    specs = catalog.select(["RUT", "IWM", "WALCL", "BTC"])
    with Store(tmp_path / "s.duckdb") as store:
        first = run_update(store, specs, csv_sources(data_copy))
        rows = store.row_count()
        snapshot = store.con.execute("SELECT * FROM observations ORDER BY ALL").df()
        second = run_update(store, specs, csv_sources(data_copy))
        assert sum(r.new_rows for r in first.results) == rows
        assert [r.status for r in second.results] == ["unchanged"] * 4
        assert store.row_count() == rows
        pd.testing.assert_frame_equal(
            snapshot, store.con.execute("SELECT * FROM observations ORDER BY ALL").df()
        )


def test_incremental_update_adds_only_new_rows(catalog: Catalog, data_copy: Path, tmp_path: Path) -> None:
    rut = data_copy / "equities" / "RUT.csv"
    newest, added = last_date(data_copy, "equities/RUT.csv"), cell_count(rut, tail=10)
    full = rut.read_text().splitlines()
    rut.write_text("\n".join(full[:-10]) + "\n")
    spec = catalog.select(["RUT"])
    with Store(tmp_path / "s.duckdb") as store:
        run_update(store, spec, csv_sources(data_copy))
        rut.write_text("\n".join(full) + "\n")
        report = run_update(store, spec, csv_sources(data_copy))
        (result,) = report.results
        assert 30 <= added <= 40  # 10 sessions x OHLC (an open may be empty; no RUT volume)
        assert (result.new_rows, result.revised_rows) == (added, 0)
        assert stored(store, "RUT", "close").index[-1] == newest


def test_revision_keeps_history_and_as_of_reads_the_old_vintage(
    catalog: Catalog, data_copy: Path, tmp_path: Path
) -> None:
    path = data_copy / "fred" / "WALCL.csv"
    spec = catalog.select(["WALCL"])
    with Store(tmp_path / "s.duckdb") as store:
        run_update(store, spec, csv_sources(data_copy))
        text = path.read_text().replace("2023-09-06,8101318", "2023-09-06,8101999")
        path.write_text(text)
        report = run_update(store, spec, csv_sources(data_copy))
        assert (report.results[0].new_rows, report.results[0].revised_rows) == (0, 1)
        vintages = store.vintages("WALCL", "2023-09-06")
        assert vintages["value"].tolist() == [8101318.0, 8101999.0]
        first, revised = vintages["available_at"]
        assert first == pd.Timestamp("2023-09-07 20:30", tz="UTC")
        assert revised > pd.Timestamp("2026-01-01", tz="UTC")  # known only from when we fetched it
        now = stored(store, "WALCL", "value")
        then = stored(store, "WALCL", "value", as_of="2024-01-01")
        assert now[pd.Timestamp("2023-09-06")] == 8101999.0
        assert then[pd.Timestamp("2023-09-06")] == 8101318.0
        assert run_update(store, spec, csv_sources(data_copy)).results[0].status == "unchanged"


def test_unit_change_is_refused_and_nothing_is_stored(
    catalog: Catalog, data_copy: Path, tmp_path: Path
) -> None:
    path = data_copy / "fred" / "WTREGEN.csv"
    specs = catalog.select(["WTREGEN", "WALCL"])
    with Store(tmp_path / "s.duckdb") as store:
        run_update(store, specs, csv_sources(data_copy))
        before = store.row_count()
        raw = pd.read_csv(path)
        raw["value"] = raw["value"] / 1000  # a provider switching millions -> billions (still "plausible")
        raw.to_csv(path, index=False)
        report = run_update(store, specs, csv_sources(data_copy))
        failed = {r.series_id: r.message for r in report.failed}
        assert list(failed) == ["WTREGEN"]
        assert "UnitMismatchError" in failed["WTREGEN"] and "~0.001x" in failed["WTREGEN"]
        assert store.row_count() == before


def test_failure_midway_rolls_back_that_series_only(
    catalog: Catalog, data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = catalog.select(["RUT", "WALCL"])
    with Store(tmp_path / "s.duckdb") as store:
        original = Store._insert

        def flaky(self: Store, spec, changes):  # type: ignore[no-untyped-def]
            original(self, spec, changes)  # the rows are written...
            if spec.id == "RUT":
                raise duckdb.IOException("disk full")  # ...then the transaction dies

        monkeypatch.setattr(Store, "_insert", flaky)
        report = run_update(store, specs, csv_sources(data_copy))
        assert {r.series_id: r.status for r in report.results} == {"RUT": "failed", "WALCL": "ok"}
        assert "disk full" in report.failed[0].message
        counts = dict(store.con.execute("SELECT series_id, count(*) FROM observations GROUP BY 1").fetchall())
        assert "RUT" not in counts and counts["WALCL"] == cell_count(data_copy / "fred" / "WALCL.csv")


def test_schema_versioning(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with pytest.raises(StoreError, match="does not exist yet"):
        Store(path, read_only=True)
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        store.set_state("k", "v")
    with Store(path) as store:  # reopening migrates nothing and keeps state
        assert store.schema_version() == SCHEMA_VERSION
        assert store.get_state("k") == "v"
    with Store(path, read_only=True) as store:
        assert store.get_state("missing") is None


def test_empty_batch_is_unchanged(catalog: Catalog, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        report = store.apply([(catalog["RUT"], "test", empty_standard_frame())])
        assert report.results[0].status == "unchanged"
        assert store.row_count() == 0


def test_provider_realtime_stamp_overrides_release_rule(catalog: Catalog, tmp_path: Path) -> None:
    frame = empty_standard_frame()
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2023-09-06"]).astype("datetime64[ns]"),
            "member": [""],
            "field": ["value"],
            "value": [8101318.0],
            "realtime_start": pd.to_datetime(["2023-09-08 20:30"]).tz_localize("UTC"),
        }
    )
    with Store(tmp_path / "s.duckdb") as store:
        store.apply([(catalog["WALCL"], "fred", frame)])
        got = store.vintages("WALCL", "2023-09-06")["available_at"].iloc[0]
        assert got == pd.Timestamp("2023-09-08 20:30", tz="UTC")
        assert np.isclose(stored(store, "WALCL", "value").iloc[0], 8101318.0)


def test_unchanged_files_are_skipped_unread(
    catalog: Catalog, data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from riskcurve.data.sources.csvdir import CsvDirSource

    specs = catalog.select(["RUT", "WALCL"])
    with Store(tmp_path / "s.duckdb") as store:
        run_update(store, specs, csv_sources(data_copy))
        calls: list[str] = []
        original = CsvDirSource.fetch

        def counting(self: CsvDirSource, spec, since=None):  # type: ignore[no-untyped-def]
            calls.append(spec.id)
            return original(self, spec, since)

        monkeypatch.setattr(CsvDirSource, "fetch", counting)
        report = run_update(store, specs, csv_sources(data_copy))
        assert calls == [] and [r.message for r in report.results] == ["source unchanged"] * 2
        next_wednesday = day_after(data_copy, "fred/WALCL.csv", days=7)  # the next weekly H.4.1 date
        (data_copy / "fred" / "WALCL.csv").write_text(
            (data_copy / "fred" / "WALCL.csv").read_text() + f"{next_wednesday},6600000\n"
        )
        report = run_update(store, specs, csv_sources(data_copy))
        assert calls == ["WALCL"] and [r.series_id for r in report.results] == ["RUT", "WALCL"]
        assert report.results[1].new_rows == 1


def test_a_locked_store_is_waited_for_then_refused(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    path = tmp_path / "s.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('held', flush=True); "
                               "time.sleep(2.5)"],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    with pytest.raises(StoreError, match="lock"):
        Store(path, lock_wait=0.3)
    assert time.monotonic() - started < 2.0
    with Store(path, lock_wait=10.0) as store:  # waits for the other writer to let go
        assert store.schema_version() == SCHEMA_VERSION
    holder.wait(timeout=10)


def test_a_crashing_source_fails_only_its_series(catalog: Catalog, data_copy: Path, tmp_path: Path) -> None:
    from riskcurve.data.sources.base import Source

    class Broken(Source):
        name = "broken"

        def supports(self, spec) -> bool:  # type: ignore[no-untyped-def]
            return spec.id == "RUT"

        def fetch(self, spec, since=None):  # type: ignore[no-untyped-def]
            raise KeyError("library bug")

    specs = catalog.select(["RUT", "WALCL"])
    with Store(tmp_path / "s.duckdb") as store:
        fallback = run_update(store, specs, [Broken(), *csv_sources(data_copy)], incremental=False)
        assert [(r.series_id, r.status, r.source) for r in fallback.results] == [
            ("RUT", "ok", "csvdir"), ("WALCL", "ok", "csvdir")]
        alone = run_update(store, specs, [Broken()], incremental=False)
        by_id = {r.series_id: r for r in alone.results}
        assert by_id["RUT"].status == "failed" and "unexpected KeyError" in by_id["RUT"].message
        assert by_id["WALCL"].status == "failed"  # no source for it in this run
        live = run_update(store, catalog.select(["CMC_TOP200"]), [Broken()], incremental=True)
        assert live.results[0].status == "skipped" and live.ok


def test_a_store_never_draws_duckdbs_progress_bar(real_store_path: Path) -> None:
    # DuckDB's bar goes to stdout once a query runs over 2 s: on a loaded machine it would land in the
    # middle of `--json` output. Writers and readers both open with it off.
    with Store(real_store_path, read_only=True) as store:
        assert store.scalar("SELECT current_setting('enable_progress_bar')") is False

"""Foundation benchmarks: full import, no-op update, as-of panel of every series 2010-2026.

Peers: plain pandas doing the same work (read every CSV and stack it; pivot + merge_asof an as-of
panel). Targets from the issue: under 10 s, 2 s and 1 s on the 2-core machine.
Run: .venv/bin/python benchmarks/bench_foundation.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from _common import DATA_DIR, best_of, report
from riskcurve.catalog import load_catalog
from riskcurve.data.panel import AlignedPanel, calendar_days, decision_times
from riskcurve.data.store import Store
from riskcurve.data.update import csv_sources, run_update

catalog = load_catalog()
specs = list(catalog.values())
price_like = [s.id for s in specs if s.kind != "members"]
AS_OF = "2026-11-01"


def full_import(path: Path) -> None:
    path.unlink(missing_ok=True)
    with Store(path) as store:
        assert run_update(store, specs, csv_sources(DATA_DIR)).ok


def noop_update(path: Path) -> None:
    with Store(path) as store:
        report_ = run_update(store, specs, csv_sources(DATA_DIR))
        assert all(r.status == "unchanged" for r in report_.results)


def forced_noop_update(path: Path) -> None:
    """The same, with fingerprints forgotten: every file is re-read, validated and diffed."""
    with Store(path) as store:
        store.con.execute("DELETE FROM app_state WHERE key LIKE 'fingerprint:%'")
        report_ = run_update(store, specs, csv_sources(DATA_DIR))
        assert all(r.new_rows == r.revised_rows == 0 for r in report_.results)


def riskcurve_panel(path: Path) -> pd.DataFrame:
    with Store(path, read_only=True) as store:
        return AlignedPanel(store, catalog, AS_OF).daily(price_like, "crypto_utc", start="2010-01-01")


def pandas_import() -> pd.DataFrame:
    """The peer: read every file with pandas and stack it long (no validation, no store)."""
    parts = []
    for spec in specs:
        assert spec.csv is not None
        frame = pd.read_csv(DATA_DIR / spec.csv.path)
        ids = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        parts.append(frame.melt(id_vars=ids, value_name="v").dropna(subset=["v"]).assign(sid=spec.id))
    return pd.concat(parts)


def pandas_panel() -> pd.DataFrame:
    """The peer: per series, release-lagged as-of join of its values onto the crypto clock."""
    days = calendar_days("crypto_utc", pd.Timestamp("2010-01-01"), pd.Timestamp(AS_OF))
    clock = pd.DataFrame({"t": decision_times("crypto_utc", days).as_unit("ns")})
    out = {}
    for sid in price_like:
        spec = catalog[sid]
        assert spec.csv is not None
        frame = pd.read_csv(DATA_DIR / spec.csv.path, parse_dates=["date"])
        column = "close" if "close" in frame else ("value" if "value" in frame else frame.columns[1])
        frame = frame.dropna(subset=[column])
        frame["t"] = spec.release.available_at(frame["date"]).as_unit("ns")
        merged = pd.merge_asof(clock, frame[["t", column]].sort_values("t"), on="t")
        out[sid] = merged[column].to_numpy()
    return pd.DataFrame(out, index=days)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        t_import = best_of(lambda: full_import(path))
        t_noop = best_of(lambda: noop_update(path))
        t_forced = best_of(lambda: forced_noop_update(path))
        t_panel = best_of(lambda: riskcurve_panel(path))
        t_pd_import = best_of(pandas_import)
        t_pd_panel = best_of(pandas_panel)
        with Store(path, read_only=True) as store:
            rows = store.row_count()
        shape = riskcurve_panel(path).shape
    report(
        f"foundation: {len(specs)} series, {rows:,} stored rows; panel {shape[0]:,} days x {shape[1]} series",
        [
            (
                "full import of shared/data (validated, into a fresh store)",
                t_import,
                "pandas read_csv + melt (no validation, no store)",
                t_pd_import,
                10.0,
            ),
            ("no-op second update (unchanged files skipped by fingerprint)", t_noop, "-", None, 2.0),
            (
                "no-op update, fingerprints forgotten (re-read, validate, diff)",
                t_forced,
                "pandas read_csv + melt (no validation, no diff)",
                t_pd_import,
                2.0,
            ),
            (
                "as-of panel, all series, 2010-2026, crypto clock",
                t_panel,
                "pandas read_csv + merge_asof per series",
                t_pd_panel,
                1.0,
            ),
        ],
    )


if __name__ == "__main__":
    main()

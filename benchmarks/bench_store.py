"""The store's import path: fresh import, forced no-op update and peak memory, 1x and 50x universes.

1x is shared/data as it is; 50x adds 50 renamed copies of the crypto universe's files (symlinks in a
temporary directory, removed afterwards) to it. Each run is its own subprocess, so its peak RSS is
its own. The peer is what a user would write: pandas ``read_csv`` + ``melt`` of every file and one
DuckDB insert (fresh), or the same read and an anti-join against the stored rows (no-op); no
validation, no vintages. ``riskcurve update`` (the CLI, imports included) is timed on 1x too.
Wall and CPU seconds (all threads: steadier when other work shares the cores), ratios peer / riskcurve.

Run: PYTHONPATH=src <venv>/bin/python benchmarks/bench_store.py [--copies 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from _common import DATA_DIR, REPO

HERE = Path(__file__).resolve().parent
TARGETS = {"fresh": 4.0, "forced": 1.0}  # seconds, 1x, from issue 12
MEMORY_TARGET_MB = 2048.0


def universe(copies: int, root: Path):  # type: ignore[no-untyped-def]
    """The catalog's series plus ``copies`` renamed copies of each crypto-universe coin, and their
    data directory (shared/data itself when there are no copies; laid out in ``root`` once)."""
    from riskcurve.catalog import load_catalog

    catalog = load_catalog()
    specs = list(catalog.values())
    if not copies:
        return specs, DATA_DIR
    fresh = not (root / "copies").exists()
    if fresh:
        for top in DATA_DIR.iterdir():
            (root / top.name).symlink_to(top)
        (root / "copies").mkdir()
    for spec in catalog.crypto_universe():
        assert spec.csv is not None
        for k in range(copies):
            name = f"{spec.id}X{k:02d}"
            if fresh:
                (root / "copies" / f"{name}.csv").symlink_to(DATA_DIR / spec.csv.path)
            specs.append(replace(spec, id=name, csv=replace(spec.csv, path=f"copies/{name}.csv")))
    return specs, root


def _riskcurve(what: str, specs, data_dir: Path, db: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from riskcurve.data.store import Store
    from riskcurve.data.update import csv_sources, run_update

    with Store(db) as store:
        if what == "forced":  # fingerprints forgotten: every file re-read, validated and diffed
            store.con.execute("DELETE FROM app_state WHERE key LIKE 'fingerprint:%'")
        started, cpu = time.perf_counter(), time.process_time()
        report = run_update(store, specs, csv_sources(data_dir))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert report.ok, report.failed[:3]
        if what == "forced":
            assert all(r.new_rows == r.revised_rows == 0 for r in report.results)
        return {"seconds": seconds, "cpu": cpu, "rows": float(store.row_count())}


def _peer(what: str, specs, data_dir: Path, db: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Every file read and melted long with pandas; one insert (fresh) or one anti-join (no-op)."""
    import duckdb
    import pandas as pd

    started, cpu = time.perf_counter(), time.process_time()
    parts = []
    for spec in specs:
        if spec.csv is None or not (data_dir / spec.csv.path).exists():
            continue
        frame = pd.read_csv(data_dir / spec.csv.path)
        ids = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        long = frame.melt(id_vars=ids, var_name="field", value_name="v").dropna(subset=["v"])
        parts.append(long[["date", "field", "v"]].astype({"v": "float64"}).assign(series_id=spec.id))
    rows = pd.concat(parts, ignore_index=True)
    del parts
    con = duckdb.connect(str(db))
    con.execute("SET enable_progress_bar = false")  # stdout carries the result
    con.register("rows", rows)
    if what == "fresh":
        con.execute("CREATE TABLE obs AS SELECT series_id, field, CAST(date AS DATE) AS date, v AS value FROM rows")
    else:
        new = con.execute(
            "SELECT count(*) FROM (SELECT series_id, field, CAST(date AS DATE) AS date, v AS value FROM rows"
            " EXCEPT SELECT * FROM obs)"
        ).fetchall()[0][0]
        assert new == 0, new
    stored = con.execute("SELECT count(*) FROM obs").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "rows": float(stored)}


def child(tool: str, what: str, copies: int, root: str, db: str) -> None:
    specs, data_dir = universe(copies, Path(root))
    out = (_riskcurve if tool == "riskcurve" else _peer)(what, specs, data_dir, Path(db))
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def _run(tool: str, what: str, copies: int, root: Path, db: Path) -> dict[str, float]:
    code = f"import bench_store; bench_store.child({tool!r}, {what!r}, {copies}, {str(root)!r}, {str(db)!r})"
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": f"{REPO / 'src'}:{HERE}"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE, env=env)
    if done.returncode:
        raise SystemExit(f"{tool} {what} x{copies} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _measure(tool: str, copies: int, repeat: int, tmp: Path) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds (and the largest peak RSS) of ``repeat`` fresh imports, then forced
    no-ops. CPU seconds (all threads) are the steadier figure on a shared machine."""
    runs: dict[str, list[dict[str, float]]] = {"fresh": [], "forced": []}
    for i in range(repeat):
        root = tmp / f"{tool}{copies}-{i}"
        root.mkdir()
        db = root / "store.duckdb"
        runs["fresh"].append(_run(tool, "fresh", copies, root, db))
        runs["forced"].append(_run(tool, "forced", copies, root, db))
    return {
        what: {
            "seconds": statistics.median(r["seconds"] for r in rs),
            "cpu": statistics.median(r["cpu"] for r in rs),
            "peak_mb": max(r["peak_mb"] for r in rs),
            "rows": rs[0]["rows"],
        }
        for what, rs in runs.items()
    }


def _cli_seconds(db: Path, repeat: int, prepare: Callable[[], None]) -> tuple[float, float]:
    """Median wall and CPU seconds of ``riskcurve update`` on 1x (imports included), ``prepare`` first."""
    env = {**os.environ, "RISKCURVE_DB": str(db), "RISKCURVE_DATA_DIR": str(DATA_DIR), "PYTHONPATH": str(REPO / "src")}
    walls, cpus = [], []
    for _ in range(repeat):
        prepare()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "riskcurve.cli", "update"], check=True, env=env, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _forget_fingerprints(db: Path) -> None:
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM app_state WHERE key LIKE 'fingerprint:%'")


def _print_cli(db: Path, repeat: int) -> None:
    fresh = _cli_seconds(db, repeat, lambda: db.unlink(missing_ok=True))
    forced = _cli_seconds(db, repeat, lambda: _forget_fingerprints(db))
    print(
        f"riskcurve update, CLI, 1x, median of {repeat} (wall / CPU s): fresh {fresh[0]:.2f} / {fresh[1]:.2f}"
        f" (target {TARGETS['fresh']:g}), forced no-op {forced[0]:.2f} / {forced[1]:.2f} (target {TARGETS['forced']:g})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=50, help="renamed copies of the crypto universe (0: 1x only)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per 1x figure (the 50x ones run once)")
    parser.add_argument("--no-cli", dest="cli", action="store_false", help="skip the CLI timings")
    args = parser.parse_args()
    sizes = [0] + ([args.copies] if args.copies else [])
    with tempfile.TemporaryDirectory(prefix="bench_store") as name:
        tmp = Path(name)
        if args.cli:
            _print_cli(tmp / "cli.duckdb", args.repeat)
        print(
            f"{'universe':>9} {'task':>13} {'rows':>11} {'rc wall':>8} {'peer':>7} {'ratio':>6} {'rc CPU':>7}"
            f" {'peer':>7} {'ratio':>6} {'rc MB':>7} {'peer MB':>8} {'meets':>6}"
        )
        for copies in sizes:
            repeat = args.repeat if copies == 0 else 1
            ours = _measure("riskcurve", copies, repeat, tmp)
            peer = _measure("peer", copies, repeat, tmp)
            for what in ("fresh", "forced"):
                o, p = ours[what], peer[what]
                target = TARGETS[what] if copies == 0 else None
                meets = o["peak_mb"] <= MEMORY_TARGET_MB and (target is None or o["seconds"] <= target)
                label = "fresh import" if what == "fresh" else "forced no-op"
                print(
                    f"{copies or 1:>8}x {label:>13} {o['rows']:>11,.0f} {o['seconds']:>8.2f} {p['seconds']:>7.2f}"
                    f" {p['seconds'] / o['seconds']:>5.2f}x {o['cpu']:>7.2f} {p['cpu']:>7.2f}"
                    f" {p['cpu'] / o['cpu']:>5.2f}x"
                    f" {o['peak_mb']:>7,.0f} {p['peak_mb']:>8,.0f} {'yes' if meets else 'NO':>6}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

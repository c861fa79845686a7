"""The whole `riskcurve study` on ../shared/data: default grid and full grid, wall time and peak memory.

Each run is a fresh subprocess (`riskcurve study --json`), so compile caches are warm but the
peak resident memory is that run's own. Targets from the issue: default under 30 s, full grid with
multiple-testing control under 3 minutes, peak memory under 2 GB.
Run: .venv/bin/python benchmarks/bench_lab.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from _common import DATA_DIR

RISKCURVE = str(Path(sys.executable).with_name("riskcurve"))


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one CLI run, measured by GNU time's sibling: wait4 rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen([RISKCURVE, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"riskcurve {' '.join(args)} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RISKCURVE_DB": str(Path(tmp) / "bench.duckdb")}
        subprocess.run([RISKCURVE, "update", "--data-dir", str(DATA_DIR)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        timed(["study", "--json"], env)  # warm the numba cache once, as a user's second run would be
        rows = []
        for label, args, target in (
            ("study, default grid (24 definitions)", ["study", "--json"], 30.0),
            ("study, full grid (500 definitions, Romano-Wolf)", ["study", "--grid", "full", "--json"], 180.0),
        ):
            seconds, peak = timed(args, env)
            rows.append((label, seconds, target, peak))
    table = Table(title="riskcurve study on shared/data (BTC, ETH, ALTS; horizons 7..180 days)")
    for column in ("run", "seconds", "target s", "peak RSS MB", "target MB", "meets targets"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for label, seconds, target, peak in rows:
        ok = "yes" if seconds <= target and peak <= 2048 else "NO"
        table.add_row(label, f"{seconds:.1f}", f"{target:g}", f"{peak:,.0f}", "2048", ok)
    Console(width=140).print(table)


if __name__ == "__main__":
    main()

"""Fault injection: ``kill -9`` an update at a few points. The store must open afterwards, hold each
series entirely as before or entirely as after (per-series atomicity), and a re-run must complete.

Kill points: half-way through one measured uninterrupted run (reading the files), the moment the
store's write-ahead log appears (the first series being written), and a moment after (series
committed, others not yet); each run takes a few seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import riskcurve
from tests.conftest import REPO, day_after, read_data

FILES = {
    "RUT": "equities/RUT.csv",
    "IWM": "equities/IWM.csv",
    "WALCL": "fred/WALCL.csv",
    "WTREGEN": "fred/WTREGEN.csv",
    "BTC": "crypto/BTC.csv",
    "ETH": "crypto/ETH.csv",
}
# (seconds after start as a fraction of a run's wall time, or after the WAL appears)
KILL_AT = {"reading": ("start", 0.5), "first_write": ("wal", 0.0), "writing": ("wal", 0.05)}


def counts(db: Path) -> dict[str, int]:
    """Stored rows (all vintages) per series."""
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT series_id, count(*) FROM observations GROUP BY 1").fetchall())


def revise_and_append(root: Path) -> None:
    """Every value of every file revised by +0.1% and one new row: the update rewrites a lot."""
    for rel in FILES.values():
        frame = read_data(root / rel)
        numbers = [c for c in frame.columns if c != "date"]
        new = frame.iloc[[-1]].copy()
        new["date"] = pd.Timestamp(day_after(root, rel))
        frame = pd.concat([frame, new], ignore_index=True)
        frame[numbers] = frame[numbers] * 1.001
        frame.to_csv(root / rel, index=False, date_format="%Y-%m-%d", float_format="%.10g")


def update_process(root: Path, db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "riskcurve.cli", "update", "--data-dir", str(root), "--db", str(db)]
    command += ["--series", ",".join(FILES)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Path, dict[str, int], float]:
    """Files before and after, the store before, the per-series counts after, and a run's wall time."""
    base = tmp_path_factory.mktemp("faults")
    root = base / "data"
    for rel in FILES.values():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / rel, root / rel)
    before_db = base / "before.duckdb"
    assert riskcurve.open(before_db, data_dir=root).update(list(FILES)).ok
    revise_and_append(root)
    reference = base / "after.duckdb"
    shutil.copy(before_db, reference)
    started = time.monotonic()
    assert update_process(root, reference).wait(timeout=120) == 0
    return root, before_db, counts(reference), time.monotonic() - started


def wait_for(path: Path, deadline: float) -> None:
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.002)


@pytest.mark.parametrize("point", KILL_AT)
def test_kill_9_leaves_each_series_old_or_new_and_a_rerun_completes(
    scenario: tuple[Path, Path, dict[str, int], float], tmp_path: Path, point: str
) -> None:
    root, before_db, after, wall = scenario
    db = tmp_path / "store.duckdb"
    shutil.copy(before_db, db)
    before = counts(db)
    assert before != after  # the update changes every series

    anchor, fraction = KILL_AT[point]
    process = update_process(root, db)
    if anchor == "wal":
        wait_for(Path(f"{db}.wal"), time.monotonic() + 2 * wall)
    time.sleep(wall * fraction)
    process.send_signal(signal.SIGKILL)
    code = process.wait(timeout=30)
    if point != "writing":  # the last point may, on a fast machine, come after the last commit
        assert code == -signal.SIGKILL  # killed, not finished

    now = counts(db)  # the store opens
    torn = {sid: n for sid, n in now.items() if n not in {before.get(sid), after.get(sid)}}
    assert not torn, f"series neither old nor new: {torn} (before {before}, after {after})"
    report = riskcurve.open(db, data_dir=root).update(list(FILES))
    assert report.ok, report.failed
    assert counts(db) == after

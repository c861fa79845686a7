"""The writer always gets through: `riskcurve update` against a dashboard under a steady read load.

A real server (uvicorn in a subprocess on 127.0.0.1) and 16 client threads reading
``/api/series/RUT?start=<random>`` (every start a cache miss, so every request opens the store) while
an update appends one Russell 2000 session: the update exits 0 in bounded time, the clients see only
200 or 503 with Retry-After, and the new row is stored. Loops are bounded in count and in time.
"""

from __future__ import annotations

import http.client
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import riskcurve
from riskcurve.errors import StoreBusy
from tests.conftest import REPO, first_session_from, last_date, read_data
from tests.show_helpers import copy_store

CLIENTS = 16
LOAD_SECONDS = 30.0  # the clients stop once the update is done, or after this at the latest
MAX_REQUESTS = 4000  # per client
CLI = "from riskcurve.cli import app; app()"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src"), "RISKCURVE_TOKEN": ""}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, timeout: float = 10.0) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


@pytest.fixture
def server(real_store_path: Path, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    db = copy_store(real_store_path, tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--db", str(db), "--port", str(port)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield port, db
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _one_more_session(data_dir: Path, target: Path) -> pd.Timestamp:
    """A copy of the Russell 2000 file with one more session (the last row's values again)."""
    rel = "equities/RUT.csv"
    (target / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(data_dir / rel, target / rel)
    day = first_session_from(last_date(data_dir, rel) + pd.Timedelta(days=1))
    last = read_data(data_dir / rel).iloc[-1]
    cells = ["" if pd.isna(last[c]) else str(last[c]) for c in ("open", "high", "low", "close", "volume")]
    with (target / rel).open("a", encoding="utf-8") as fh:
        fh.write(f"{day.date().isoformat()},{','.join(cells)}\n")
    return day


def test_update_gets_through_16_readers(server: tuple[int, Path], data_dir: Path, tmp_path: Path) -> None:
    port, db = server
    new_day = _one_more_session(data_dir, tmp_path / "data")
    done = threading.Event()
    seen: Counter[int] = Counter()
    bad: list[str] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        stop = time.monotonic() + LOAD_SECONDS
        for _ in range(MAX_REQUESTS):
            if done.is_set() or time.monotonic() > stop:
                return
            start = pd.Timestamp("1990-01-01") + pd.Timedelta(days=rng.randrange(12000))
            status, headers = _get(port, f"/api/series/RUT?start={start.date().isoformat()}")
            with lock:
                seen[status] += 1
                if status not in (200, 503) or (status == 503 and "retry-after" not in headers):
                    bad.append(f"{status} {headers}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # the load is on before the writer comes
    started = time.monotonic()
    update = subprocess.run(
        [sys.executable, "-c", CLI, "update", "--data-dir", str(tmp_path / "data"), "--db", str(db), "--series", "RUT"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    done.set()
    for thread in threads:
        thread.join(timeout=15)
    assert update.returncode == 0, update.stdout + update.stderr
    assert took < 30, f"the update took {took:.1f} s under load"
    assert not bad, bad[:5]
    assert seen[200] > 0, seen
    assert not db.with_name(db.name + ".writer").exists()
    rc = riskcurve.open(db)
    assert pd.Timestamp(rc.values("RUT").index.max()) == new_day
    assert _get(port, "/api/series/RUT?start=2020-01-01")[0] == 200  # readers are back


def test_readers_wait_for_a_pending_writer_then_answer_busy(real_store_path: Path, tmp_path: Path) -> None:
    """A live writer's marker keeps readers out (503 after the dashboard's second), a crashed one's not."""
    db = copy_store(real_store_path, tmp_path)
    rc = riskcurve.open(db, lock_wait=0.5)
    marker = rc.writer_marker
    marker.write_text(f"{os.getpid()} {time.time()}\n")
    started = time.monotonic()
    with pytest.raises(StoreBusy, match=f"pid {os.getpid()}"):
        rc.facts()
    assert 0.4 < time.monotonic() - started < 3
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    marker.write_text(f"{gone.stdout.strip()} {time.time()}\n")  # that process has exited: a stale marker
    assert rc.facts().latest is not None
    marker.write_text(f"{os.getpid()} 0\n")
    os.utime(marker, (0, 0))  # live pid but far too old: stale too
    assert rc.facts().latest is not None


def test_a_writer_replaces_a_stale_marker_and_removes_its_own(real_store_path: Path, tmp_path: Path) -> None:
    db = copy_store(real_store_path, tmp_path)
    rc = riskcurve.open(db, lock_wait=2.0)
    marker = rc.writer_marker
    marker.write_text("999999999 0\n")  # no such pid
    with rc.writer() as store:
        assert marker.read_text().split()[0] == str(os.getpid())
        assert store.scalar("SELECT count(*) FROM observations")
    assert not marker.exists()

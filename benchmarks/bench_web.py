"""Report build time and API latency on the full data (a script, not a test).

    .venv/bin/python benchmarks/bench_web.py [--requests 1000] [--clients 20] [--seconds 30]

1. `build_report` on the whole history (target < 5 s) and the file size.
2. `riskcurve serve` in a subprocess on a free loopback port; 20 concurrent httpx clients hit
   /api/status?as_of=latest, /api/status (now) and a 10-year /api/series/RUT, a bounded number of
   requests within a bounded time each; p50/p95/p99 latency (target p95 < 50 ms). The first,
   uncached request of each is reported apart: /api/status computes the indicator board (about a
   second) once per store version and data moment, then serves it from an in-process cache.

Uses RISKCURVE_DB when set, else builds a temporary store from ../shared/data (RISKCURVE_TEST_DATA).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

import riskcurve
from _common import DATA_DIR, best_of
from riskcurve.report import build_report

console = Console(width=140)


def store_path(workdir: Path) -> Path:
    if os.environ.get("RISKCURVE_DB"):
        return Path(os.environ["RISKCURVE_DB"])
    path = workdir / "bench.duckdb"
    report = riskcurve.open(path, data_dir=DATA_DIR).update()
    if not report.ok:
        raise SystemExit(f"update failed: {[r.series_id for r in report.failed]}")
    return path


def bench_report(db: Path, workdir: Path) -> tuple[float, float, int]:
    """(best seconds, first seconds, bytes) of a full report as of the latest close."""
    rc = riskcurve.open(db)
    out = workdir / "report.html"
    moment = rc.resolve("latest")
    first = time.perf_counter()
    build_report(rc, moment, out)
    first = time.perf_counter() - first
    best = best_of(lambda: build_report(rc, moment, out), repeat=3)
    return best, first, out.stat().st_size


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def load(url: str, requests: int, clients: int, seconds: float) -> list[float]:
    """Latencies (ms) of up to ``requests`` GETs by ``clients`` concurrent clients within ``seconds``."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    remaining = requests

    async def client() -> None:
        nonlocal remaining
        async with httpx.AsyncClient(timeout=30) as http:
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                started = time.perf_counter()
                response = await http.get(url)
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint (bounded)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit per endpoint")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db = store_path(workdir)
        best, first, size = bench_report(db, workdir)
        table = Table(title="riskcurve report (full history, as of the latest close)")
        for column in ("first build s", "best of 3 s", "target s", "meets target", "file MB"):
            table.add_column(column, justify="right")
        table.add_row(f"{first:.2f}", f"{best:.2f}", "5", "yes" if best < 5 else "NO", f"{size / 1e6:.1f}")
        console.print(table)

        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "RISKCURVE_TOKEN"}
        server = subprocess.Popen(
            [sys.executable, "-m", "riskcurve.cli", "serve", "--port", str(port), "--db", str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("riskcurve serve did not start")
                time.sleep(0.2)
            ten_years = (pd.Timestamp.now() - pd.DateOffset(years=10)).date().isoformat()
            endpoints = {
                "/api/status?as_of=latest": f"{base}/api/status?as_of=latest",
                "/api/status (now)": f"{base}/api/status",
                "/api/series/RUT (10 years)": f"{base}/api/series/RUT?start={ten_years}",
            }
            table = Table(title=f"API latency, {args.clients} concurrent clients on loopback (uvicorn subprocess)")
            for column in ("endpoint", "first (cold) ms", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms"):
                table.add_column(column, justify="left" if column == "endpoint" else "right")
            table.add_column("p95 < 50 ms")
            for name, url in endpoints.items():
                started = time.perf_counter()
                httpx.get(url, timeout=60).raise_for_status()
                cold = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                latencies = asyncio.run(load(url, args.requests, args.clients, args.seconds))
                elapsed = time.perf_counter() - started
                p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
                table.add_row(
                    name,
                    f"{cold:,.0f}",
                    str(len(latencies)),
                    f"{len(latencies) / elapsed:,.0f}",
                    f"{p50:.1f}",
                    f"{p95:.1f}",
                    f"{p99:.1f}",
                    "yes" if p95 < 50 else "NO",
                )
            console.print(table)
            console.print("the load generator and the server share the machine's cores (2 here)")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()

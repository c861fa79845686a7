"""Report build time and API latency on the full data (a script, not a test).

    .venv/bin/python benchmarks/bench_web.py [--requests 1000] [--clients 20] [--seconds 30] [--api-only]

1. `build_report` on the whole history (target < 5 s) and the file size.
2. `riskcurve serve` in a subprocess on a free loopback port; 20, then 50 concurrent httpx clients
   hit /api/status?as_of=latest, /api/status (now) and a 10-year /api/series/RUT, a bounded number
   of requests within a bounded time each; p50/p95/p99 latency (target p95 < 50 ms at 20 clients for
   the cached /api/status), errors (0 expected) and the server's RSS before and after. The first,
   uncached request of each is reported apart: /api/status computes the indicator board (about a
   second) once per store version and data moment, then serves it from an in-process cache.
   Then every status endpoint (/api/status, /api/channels, /api/claims, /ui/card as of latest) at
   20 clients (target p95 < 50 ms each), and clients asking for distinct historical as_of dates
   (one business day each, 1995 to last year; target p50 < 200 ms): each is a new board.
3. Memory: 300 /api/charts with distinct as_of (the server's RSS before and after; the response
   cache is bounded by bytes).
4. `riskcurve update` (one more Russell 2000 session) while the clients read
   /api/series/RUT?start=<random>: its time (target < 30 s) and what the readers saw (200, or 503
   with Retry-After while it writes; nothing else). Run once: it writes a copy of the store.

Uses RISKCURVE_DB when set, else builds a temporary store from ../shared/data (RISKCURVE_TEST_DATA).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
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


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc): the server's own cost,
    which the machine's other load does not inflate the way it inflates latency."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(
    urls: list[str],
    requests: int,
    clients: int,
    seconds: float,
    stop: asyncio.Event | None = None,
    timeout: float = 30,
) -> tuple[list[float], Counter[str]]:
    """Latencies (ms) and outcomes ('200', '503+retry', 'other ...') of up to ``requests`` GETs by
    ``clients`` concurrent clients within ``seconds`` (or until ``stop``), cycling through ``urls``."""
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    remaining = requests

    async def client() -> None:
        nonlocal remaining
        async with httpx.AsyncClient(timeout=timeout) as http:
            while remaining > 0 and time.monotonic() < deadline and not (stop and stop.is_set()):
                remaining -= 1
                url = urls[remaining % len(urls)]
                started = time.perf_counter()
                try:
                    response = await http.get(url)
                except httpx.HTTPError as exc:
                    outcomes[f"other {type(exc).__name__}"] += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                outcomes[_outcome(response)] += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, outcomes


def _outcome(response: httpx.Response) -> str:
    if response.status_code == 200:
        return "200"
    if response.status_code == 503 and "retry-after" in response.headers:
        return "503+retry"
    return f"other {response.status_code}"


def errors(outcomes: Counter[str]) -> int:
    return sum(n for outcome, n in outcomes.items() if outcome != "200")


def start_server(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "RISKCURVE_TOKEN"}
    server = subprocess.Popen(
        [sys.executable, "-m", "riskcurve.cli", "serve", "--port", str(port), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit("riskcurve serve did not start")
        time.sleep(0.2)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Terminate the server; kill it if it is still busy with a board after ten seconds."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def bench_latency(server: subprocess.Popen[bytes], base: str, args: argparse.Namespace) -> None:
    ten_years = (pd.Timestamp.now() - pd.DateOffset(years=10)).date().isoformat()
    endpoints = {
        "/api/status?as_of=latest": f"{base}/api/status?as_of=latest",
        "/api/status (now)": f"{base}/api/status",
        "/api/series/RUT (10 years)": f"{base}/api/series/RUT?start={ten_years}",
    }
    table = Table(title="API latency on loopback (uvicorn subprocess), by concurrent clients")
    columns = ("endpoint", "clients", "first (cold) ms", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms")
    for column in (*columns, "RSS before MB", "RSS after MB"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    table.add_column("p95 < 50 ms")
    for clients in args.clients:
        for name, url in endpoints.items():
            before = rss_mb(server.pid)
            started = time.perf_counter()
            httpx.get(url, timeout=60).raise_for_status()
            cold = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            latencies, outcomes = asyncio.run(load([url], args.requests, clients, args.seconds))
            elapsed = time.perf_counter() - started
            p50, p95, p99 = np.percentile(latencies, [50, 95, 99]) if latencies else (np.nan,) * 3
            table.add_row(
                name,
                str(clients),
                f"{cold:,.0f}",
                str(sum(outcomes.values())),
                str(errors(outcomes)),
                f"{len(latencies) / elapsed:,.0f}",
                f"{p50:.1f}",
                f"{p95:.1f}",
                f"{p99:.1f}",
                f"{before:,.0f}",
                f"{rss_mb(server.pid):,.0f}",
                "yes" if p95 < 50 else "NO",
            )
    console.print(table)


def latency_cells(latencies: list[float], outcomes: Counter[str], target: tuple[int, float]) -> list[str]:
    """Requests, errors, p50, p95 and max ms, and whether percentile ``target[0]`` is under ``target[1]`` ms."""
    p50, p95, top = (*np.percentile(latencies, [50, 95]), max(latencies)) if latencies else (np.nan,) * 3
    ok = "yes" if (p50 if target[0] == 50 else p95) < target[1] else "NO"
    return [str(len(latencies)), str(errors(outcomes)), f"{p50:,.1f}", f"{p95:,.1f}", f"{top:,.0f}", ok]


def bench_status_endpoints(server: subprocess.Popen[bytes], base: str, args: argparse.Namespace) -> None:
    """Every status endpoint as of the latest close at 20 clients, then distinct historical as_of."""
    table = Table(title="status endpoints on loopback, 20 concurrent clients (as of the latest close)")
    for column in ("endpoint", "requests", "errors", "p50 ms", "p95 ms", "max ms", "p95 < 50 ms", "server CPU ms/req"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for path in ("/api/status", "/api/channels", "/api/claims", "/ui/card"):
        url = f"{base}{path}?as_of=latest"
        httpx.get(url, timeout=60).raise_for_status()  # the board of 'latest' once, apart
        cpu = cpu_seconds(server.pid)
        latencies, outcomes = asyncio.run(load([url], args.requests, 20, args.seconds))
        per_request = (cpu_seconds(server.pid) - cpu) * 1000 / max(len(latencies), 1)
        table.add_row(path, *latency_cells(latencies, outcomes, (95, 50)), f"{per_request:.2f}")
    console.print(table)
    if args.historical:
        bench_historical(base, args.historical)


def bench_historical(base: str, count: int) -> None:
    """/api/status for ``count`` distinct business days since 1995 at 20 clients, twice."""
    rng = np.random.default_rng(12)
    days = pd.bdate_range("1995-01-01", f"{pd.Timestamp.now().year - 1}-12-31")
    picked = sorted(rng.choice(len(days), size=count, replace=False))
    urls = [f"{base}/api/status?as_of={days[i].date().isoformat()}" for i in picked]
    table = Table(title=f"/api/status for {count} distinct historical as_of dates, 20 concurrent clients")
    for column in ("pass", "requests", "errors", "p50 ms", "p95 ms", "max ms", "p50 < 200 ms"):
        table.add_column(column, justify="right")
    for label in ("first (each a new board)", "again (cached)"):
        latencies, outcomes = asyncio.run(load(urls, len(urls), 20, 900, timeout=300))
        table.add_row(label, *latency_cells(latencies, outcomes, (50, 200)))
    console.print(table)


def bench_memory(server: subprocess.Popen[bytes], base: str, count: int = 300) -> None:
    """RSS before and after ``count`` /api/charts with distinct as_of (one second apart after 'latest')."""
    latest = pd.Timestamp(httpx.get(f"{base}/api/health", timeout=30).json()["latest"])
    before = rss_mb(server.pid)
    failed = 0
    with httpx.Client(timeout=60) as http:
        for i in range(count):
            moment = (latest + pd.Timedelta(seconds=i)).isoformat()
            failed += http.get(f"{base}/api/charts", params={"as_of": moment}).status_code != 200
    table = Table(title=f"server memory over {count} /api/charts with distinct as_of")
    for column in ("RSS before MB", "RSS after MB", "growth MB", "errors"):
        table.add_column(column, justify="right")
    after = rss_mb(server.pid)
    table.add_row(f"{before:,.0f}", f"{after:,.0f}", f"{after - before:,.0f}", str(failed))
    console.print(table)


def one_more_session(data_dir: Path) -> None:
    """A copy of the Russell 2000 file with one more session (the last row's values again)."""
    rel = "equities/RUT.csv"
    (data_dir / rel).parent.mkdir(parents=True)
    shutil.copy(DATA_DIR / rel, data_dir / rel)
    lines = (data_dir / rel).read_text().splitlines()
    last_day, _, rest = lines[-1].partition(",")
    day = pd.Timestamp(last_day) + pd.offsets.BDay(1)
    with (data_dir / rel).open("a") as fh:
        fh.write(f"{day.date().isoformat()},{rest}\n")


def bench_update_under_load(db: Path, workdir: Path, clients: int, seconds: float) -> None:
    """`riskcurve update --series RUT` on a copy of the store while ``clients`` read random ranges."""
    copy = workdir / "under-load.duckdb"
    shutil.copy(db, copy)
    one_more_session(workdir / "data")
    server, base = start_server(copy)
    rng = random.Random(9)
    urls = [f"{base}/api/series/RUT?start={1990 + rng.randrange(36)}-{rng.randrange(1, 13):02d}-01" for _ in range(500)]

    async def scenario() -> tuple[float, int, Counter[str]]:
        stop = asyncio.Event()
        readers = asyncio.create_task(load(urls, 1_000_000, clients, seconds, stop))
        await asyncio.sleep(1.0)
        started = time.perf_counter()
        command = ["update", "--data-dir", str(workdir / "data"), "--db", str(copy), "--series", "RUT"]
        update = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "riskcurve.cli",
            *command,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        code = await asyncio.wait_for(update.wait(), timeout=120)
        took = time.perf_counter() - started
        stop.set()
        _, outcomes = await readers
        return took, code, outcomes

    try:
        took, code, outcomes = asyncio.run(scenario())
    finally:
        stop_server(server)
    table = Table(title=f"riskcurve update (one more RUT session) under {clients} reading clients")
    for column in ("update s", "exit code", "< 30 s", "reader answers"):
        table.add_column(column, justify="right")
    seen = ", ".join(f"{outcome}: {n}" for outcome, n in sorted(outcomes.items()))
    table.add_row(f"{took:.1f}", str(code), "yes" if took < 30 and code == 0 else "NO", seen)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint (bounded)")
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 50], help="concurrent clients, each run")
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit per endpoint")
    parser.add_argument("--historical", type=int, default=60, help="distinct historical as_of dates asked (0: none)")
    parser.add_argument("--api-only", action="store_true", help="only the status endpoints (no report, no update)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db = store_path(workdir)
        if args.api_only:
            server, base = start_server(db)
            try:
                bench_status_endpoints(server, base, args)
            finally:
                stop_server(server)
            return
        best, first, size = bench_report(db, workdir)
        table = Table(title="riskcurve report (full history, as of the latest close)")
        for column in ("first build s", "best of 3 s", "target s", "meets target", "file MB"):
            table.add_column(column, justify="right")
        table.add_row(f"{first:.2f}", f"{best:.2f}", "5", "yes" if best < 5 else "NO", f"{size / 1e6:.1f}")
        console.print(table)

        server, base = start_server(db)
        try:
            bench_latency(server, base, args)
            bench_status_endpoints(server, base, args)
            bench_memory(server, base)
        finally:
            stop_server(server)
        bench_update_under_load(db, workdir, max(args.clients), args.seconds)
        console.print("the load generator and the server share the machine's cores (2 here)")


if __name__ == "__main__":
    main()

"""Tiny timing helpers shared by the benchmark scripts (best of N wall-clock runs)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("RISKCURVE_TEST_DATA", REPO.parent / "shared" / "data"))


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall-clock seconds over ``repeat`` runs: the least disturbed by the other core's load."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def report(title: str, rows: list[tuple[str, float, str, float | None, float | None]]) -> None:
    """rows: (task, riskcurve seconds, peer name, peer seconds, target seconds)."""
    table = Table(title=title)
    for column in ("task", "riskcurve s", "peer", "peer s", "peer / riskcurve", "target s", "meets target"):
        table.add_column(column, justify="left" if column in ("task", "peer") else "right")
    for task, ours, peer, theirs, target in rows:
        ratio = f"{theirs / ours:.1f}x" if theirs else "-"
        ok = "-" if target is None else ("yes" if ours <= target else "NO")
        table.add_row(
            task,
            f"{ours:.3f}",
            peer,
            f"{theirs:.3f}" if theirs else "-",
            ratio,
            f"{target:g}" if target else "-",
            ok,
        )
    Console(width=140).print(table)

"""The pending-writer marker: how a writer keeps new readers out of the DuckDB file until it is done.

DuckDB lets one process write *or* several read. Readers hold the file for one request each, so a
steady read load would starve a writer that only waits for the lock; instead a writer first creates
``<db>.writer`` (atomically, with its pid and the time), new readers wait while it exists, and the
writer gets the file once the readers already in have finished. A crashed writer's marker is ignored
(its pid is gone, or it is older than any plan or apply could take).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from riskcurve._retry import StillHeld, wait_while_held
from riskcurve.errors import StoreBusy

WRITER_STALE_AFTER = 600.0  # seconds: a marker older than any plan or apply is a crashed writer's


def live_writer(marker: Path) -> int | None:
    """The pid of the writer announced by ``marker``, or None when there is none or it is stale: its
    process is gone (a crashed writer) or the marker is older than ``WRITER_STALE_AFTER``."""
    try:
        text = marker.read_text(encoding="ascii", errors="replace")
        age = time.time() - marker.stat().st_mtime
    except OSError:
        return None
    pid_text, _, _ = text.partition(" ")
    if not pid_text.isdigit():  # being written this instant (or garbage): trust it only while young
        return 0 if age < 5.0 else None
    pid = int(pid_text)
    if age > WRITER_STALE_AFTER or not _pid_alive(pid):
        return None
    return pid


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    except OSError:
        return False
    return True


@contextmanager
def announced(marker: Path, deadline: float) -> Iterator[None]:
    """Hold the writer marker (created atomically with this pid and time) for the block; wait until
    ``deadline`` while another live writer holds it, and replace a stale one."""
    marker.parent.mkdir(parents=True, exist_ok=True)

    def attempt() -> int:
        while True:  # a stale marker is replaced at once, not waited for
            try:
                return os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                other = live_writer(marker)
                if other is None:
                    marker.unlink(missing_ok=True)
                    continue
                raise StillHeld(str(other)) from None

    try:
        fd = wait_while_held(attempt, max(0.0, deadline - time.monotonic()))
    except StillHeld as held:
        raise StoreBusy(f"another writer (pid {held}) is writing the store {marker.parent}") from None
    try:
        os.write(fd, f"{os.getpid()} {time.time():.3f}\n".encode())
    finally:
        os.close(fd)
    try:
        yield
    finally:
        marker.unlink(missing_ok=True)

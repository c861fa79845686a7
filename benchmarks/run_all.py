"""Every benchmark, one after another, in one command: every ratio the project reports.

Run: ``PYTHONPATH=src <venv>/bin/python benchmarks/run_all.py`` (a venv with the ``bench`` extra
adds the vectorbt row; without it that row says so). Each script runs in its own process, so one
script's imports and caches never flatter the next one's timings; ``--quick`` skips the scaling
run (``bench_scale.py``, minutes) and the store's 50x universe (``bench_store.py --copies 0``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["bench_peers.py"],
    ["bench_foundation.py"],
    ["bench_store.py"],
    ["bench_status.py"],
    ["bench_lab.py"],
    ["bench_study.py"],
    ["bench_web.py"],
    ["bench_scale.py", "100", "1000"],
    ["bench_scale.py", "100", "1000", "--scheduler", "local"],
]


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = []
    for script in SCRIPTS:
        if quick and script[0] == "bench_scale.py":
            continue
        if quick and script[0] == "bench_store.py":
            script = [*script, "--copies", "0"]
        print(f"\n=== {' '.join(script)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script[0]), *script[1:]], cwd=HERE).returncode:
            failed.append(script[0])
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

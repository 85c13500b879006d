"""Time and peak memory of ``flask seed demo`` into a fresh SQLite database.

Usage: ``.venv/bin/python -m benchmarks.seed --size large [--seed 1] [--today 2026-11-20]``.
The command runs in a child process (migrations, then the demo); its peak RSS and CPU
time come from ``getrusage(RUSAGE_CHILDREN)``. The wall time is the demo command's
(interpreter start included, migrations excluded). The row counts of the main tables
are read back from the database at the end.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN_TABLES = ("job_seeker", "employer", "job_offer", "interaction", "appointment", "proposal", "application",
               "outcome_episode")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", default="2026-11-20")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "PROXIMA_INSTANCE_PATH": tmp}
        flask = [sys.executable, "-m", "flask", "--app", "crm"]
        subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([*flask, "seed", "demo", "--size", args.size, "--seed", str(args.seed), "--today", args.today,
                        "--progress"],
                       env=env, cwd=ROOT, check=True)
        elapsed = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
        size_mb = Path(tmp, "bench.sqlite3").stat().st_size / 2**20
        with sqlite3.connect(Path(tmp, "bench.sqlite3")) as conn:
            counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in MAIN_TABLES}
    print(f"seed demo --size {args.size}: {elapsed:.1f} s wall, {cpu:.1f} s CPU, peak RSS {usage.ru_maxrss / 1024:.0f} MiB, "
          f"database {size_mb:.0f} MiB ({os.cpu_count()} CPUs)")
    print("  " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))


if __name__ == "__main__":
    main()

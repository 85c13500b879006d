"""Benchmark of the data exchange: export a seeded database, import it into an empty one.

    DATABASE_URL=sqlite:////tmp/med.sqlite3 .venv/bin/python -m benchmarks.exchange
    .venv/bin/python -m benchmarks.exchange --synthetic 1000000   # 1M interactions only

Full mode: exports the database of ``DATABASE_URL`` to a temporary folder, imports that
folder into a fresh, migrated SQLite database (built-in referentials), and prints the
export time, the import time, the peak RSS of each step (each runs in its own child
process, measured with ``os.wait4``) and the row counts.

Synthetic mode (``--synthetic N``): builds a small world in a fresh SQLite database
(the ``tests/exchange`` folder, plus 1,000 job seekers), writes a CSV of N interactions
referring to them, and times their import.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = [sys.executable, "-m", "flask", "--app", "crm"]


def run_step(label: str, args: list[str], database_url: str, *,
             allow_failure: bool = False) -> tuple[float, str, float]:
    """Run a flask command in a child process; returns (seconds, output, peak RSS in MB). Exits on
    failure, unless ``allow_failure`` (a command that exits 1 on purpose, e.g. a refused model)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(FLASK + args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if child.returncode != 0 and not (allow_failure and child.returncode == 1):
        sys.stderr.write(output)
        raise SystemExit(f"{label} failed")
    return elapsed, output, usage.ru_maxrss / 1024  # Linux: kilobytes


def fresh_database(directory: Path, name: str) -> str:
    url = f"sqlite:///{directory / name}"
    run_step("migrate", ["db", "upgrade"], url)
    run_step("referentials", ["referentials", "load-builtin"], url)
    return url


def full(source_url: str, keep: Path | None, reimport: bool = True) -> None:
    with tempfile.TemporaryDirectory(prefix="proxima-exchange-") as tmp:
        work = keep or Path(tmp)
        folder = work / "export"
        seconds, output, rss = run_step("export", ["export", str(folder), "--quiet"], source_url)
        print(f"export      {seconds:8.1f} s   peak RSS {rss:7.0f} MB   ({source_url})")
        size = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
        print(output.rstrip())
        print(f"CSV size    {size:8.1f} MB")
        target = fresh_database(work, "imported.sqlite3")
        seconds, output, rss = run_step("import", ["import", str(folder), "--quiet"], target)
        print(f"import      {seconds:8.1f} s   peak RSS {rss:7.0f} MB")
        print(output.rstrip())
        if reimport:
            seconds, output, _rss = run_step("re-import", ["import", str(folder), "--quiet"], target)
            print(f"re-import   {seconds:8.1f} s   (idempotent: {output.rstrip().splitlines()[-1]})")


def synthetic(count: int, keep: Path | None) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.exchange.conftest import VALID, write_folder

    with tempfile.TemporaryDirectory(prefix="proxima-exchange-") as tmp:
        work = keep or Path(tmp)
        base = dict(VALID)
        header = base["job_seekers"].splitlines()[0]
        template = base["job_seekers"].splitlines()[1].split(",")
        people = [f"JSB{n:05d}" for n in range(1000)]
        rows = [",".join([person] + template[1:]) for person in people]
        base["job_seekers"] = header + "\n" + "\n".join(rows) + "\n"
        for name in ("applications", "appointments", "referrals", "proposals", "interactions", "outcomes"):
            base.pop(name)
        world = write_folder(work / "world", base)
        target = fresh_database(work, "synthetic.sqlite3")
        run_step("world", ["import", str(world), "--quiet"], target)
        folder = work / "interactions"
        folder.mkdir(exist_ok=True)
        rng = random.Random(1)
        start = datetime(2024, 1, 1, 8)
        kinds = [("phone", "out", "follow_up", "reached"), ("online", "in", "login", "none"),
                 ("in_person", "out", "situation_interview", "done"), ("email", "out", "information", "done")]
        with (folder / "interactions.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["interaction_id", "occurred_at", "party_kind", "party_id", "staff_id", "channel",
                             "direction", "kind", "outcome", "notes"])
            for n in range(count):
                channel, direction, kind, outcome = kinds[n % 4]
                at = start + timedelta(minutes=rng.randrange(0, 900 * 24 * 60))
                writer.writerow([f"SYN{n:09d}", at.isoformat(), "job_seeker", people[rng.randrange(1000)],
                                 "" if kind == "login" else "ST1", channel, direction, kind, outcome,
                                 "Entretien de suivi" if n % 10 == 0 else ""])
        size = (folder / "interactions.csv").stat().st_size / 1e6
        seconds, output, rss = run_step("import", ["import", str(folder), "--quiet"], target)
        print(f"synthetic: {count} interactions ({size:.0f} MB of CSV) imported into SQLite in {seconds:.1f} s, "
              f"peak RSS {rss:.0f} MB")
        print(output.rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=int, default=0, help="import N synthetic interactions instead")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    parser.add_argument("--no-reimport", action="store_true", help="skip the second (idempotence) import")
    options = parser.parse_args()
    if options.keep:
        options.keep.mkdir(parents=True, exist_ok=True)
    if options.synthetic:
        synthetic(options.synthetic, options.keep)
    else:
        url = os.environ.get("DATABASE_URL")
        if not url:
            raise SystemExit("set DATABASE_URL to the seeded database to export")
        full(url, options.keep, reimport=not options.no_reimport)


if __name__ == "__main__":
    main()

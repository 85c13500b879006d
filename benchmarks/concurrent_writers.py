"""Concurrent writers on SQLite: N processes log interactions for T seconds; no error may reach a user.

Usage::

    .venv/bin/python -m benchmarks.concurrent_writers [--writers 20] [--seconds 30] [--database PATH]

Without ``--database`` a temporary SQLite file is migrated and seeded with the small demo
(about 40 s). Each writer is a process with its own application, engine and session, as
a gunicorn worker is. It loops as a counselor logging contacts would: read the counselor
and a person of their portfolio, log a contact through the real service
(``crm.interactions.services.log_interaction``: the interaction, the person's
``last_contact_at``, the audit event), commit — one short transaction per write, then the
session is removed, as at the end of a request. Any exception is counted as an error (a
user would have seen a 500). Reports writes, writes/s, latency p50/p95/max and errors.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 600  # seconds for every process to import the application (slow on a busy machine)


@dataclass
class WriterResult:
    writes: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Report:
    writers: int
    seconds: float
    writes: int
    latencies_ms: list[float]
    errors: list[str]

    @property
    def writes_per_second(self) -> float:
        return self.writes / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        ordered = sorted(self.latencies_ms) or [0.0]

        def pct(q: float) -> float:
            return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

        lines = [f"{self.writers} writers, {self.seconds:.1f} s: {self.writes} writes, "
                 f"{self.writes_per_second:.1f} writes/s, {len(self.errors)} errors",
                 f"latency per write (ms): p50 {statistics.median(ordered):.1f}, p95 {pct(0.95):.1f}, "
                 f"p99 {pct(0.99):.1f}, max {ordered[-1]:.1f}"]
        for message, count in Counter(self.errors).most_common(5):
            lines.append(f"  {count} × {message}")
        return lines


def writer(index: int, database_url: str, instance_path: str, seconds: float, ready: Any, results: Any) -> None:
    """One writer process: its own application, engine and session. Writes start when every
    writer is ready (``ready``, a barrier shared with the parent)."""
    result = WriterResult()
    try:
        from crm import create_app
        from crm.extensions import db

        os.environ["PROXIMA_INSTANCE_PATH"] = instance_path
        # The environment a deployment runs in (the test one keeps SQLite's default transactions).
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "benchmark", "PROXIMA_ENV": "development"})
        with app.app_context():
            counselor_id, people = _portfolio(index)
            db.session.remove()
            rng = random.Random(index)
            try:
                ready.wait(timeout=STARTUP_TIMEOUT)
            except threading.BrokenBarrierError:
                result.errors.append("not started: another writer failed to start")
                return
            end = time.time() + seconds
            while time.time() < end:
                started = time.perf_counter()
                try:
                    _log_one_contact(counselor_id, rng.choice(people), index)
                    db.session.commit()
                    result.writes += 1
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                except Exception as error:  # noqa: BLE001  (any error is what the run counts)
                    db.session.rollback()
                    result.errors.append(_first_line(error))
                finally:
                    db.session.remove()  # end of the "request"
            db.engine.dispose()
    except Exception as error:  # noqa: BLE001
        result.errors.append(f"writer {index} crashed: {_first_line(error)}")
        ready.abort()  # nobody waits for a writer that will never come
    finally:
        results.put(result)


def _first_line(error: BaseException) -> str:
    """The driver's message (``database is locked``…), without SQLAlchemy's hints."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).splitlines()
    return f"{type(cause).__name__}: {lines[0][:160] if lines else ''}"


def _portfolio(index: int) -> tuple[int, list[int]]:
    """The counselor this writer plays (round robin over those with a portfolio) and their people."""
    import sqlalchemy as sa

    from crm.extensions import db
    from crm.jobseekers.models import JobSeeker, JobSeekerStatus

    referents = db.session.scalars(
        sa.select(JobSeeker.referent_id).where(JobSeeker.referent_id.is_not(None),
                                               JobSeeker.status == JobSeekerStatus.ACTIVE,
                                               JobSeeker.anonymised_at.is_(None))
        .group_by(JobSeeker.referent_id).order_by(JobSeeker.referent_id)).all()
    if not referents:
        raise RuntimeError("no counselor with a portfolio: seed the database first")
    counselor_id = referents[index % len(referents)]
    people = db.session.scalars(sa.select(JobSeeker.id).where(JobSeeker.referent_id == counselor_id,
                                                              JobSeeker.status == JobSeekerStatus.ACTIVE)
                                .order_by(JobSeeker.id).limit(300)).all()
    return counselor_id, list(people)


def _log_one_contact(counselor_id: int, person_id: int, index: int) -> None:
    from crm.extensions import db
    from crm.interactions.models import Channel, Direction, InteractionKind, InteractionOutcome
    from crm.interactions.services import log_interaction
    from crm.jobseekers.models import JobSeeker
    from crm.organisation.models import User

    log_interaction(author=db.session.get(User, counselor_id), job_seeker=db.session.get(JobSeeker, person_id),
                    channel=Channel.PHONE, kind=InteractionKind.FOLLOW_UP, outcome=InteractionOutcome.REACHED,
                    direction=Direction.OUTBOUND, notes=f"Contact de mesure (écrivain {index})")


def run_writers(database_url: str, *, writers: int, seconds: float, instance_path: str,
                start_method: str = "spawn") -> Report:
    """Start ``writers`` processes together, each writing for ``seconds``; gather their results.

    ``spawn`` (a fresh interpreter each, as gunicorn workers) by default; ``fork`` starts in
    no time when the application is already imported (the test)."""
    context = multiprocessing.get_context(start_method)
    results = context.Queue()
    ready = context.Barrier(writers + 1)
    processes = [context.Process(target=writer, args=(i, database_url, instance_path, seconds, ready, results))
                 for i in range(writers)]
    for process in processes:
        process.start()
    try:
        ready.wait(timeout=STARTUP_TIMEOUT)
    except threading.BrokenBarrierError:
        pass  # a writer crashed while starting: its error is in its result
    gathered = [results.get(timeout=STARTUP_TIMEOUT + seconds + 60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    return Report(writers=writers, seconds=seconds, writes=sum(r.writes for r in gathered),
                  latencies_ms=[ms for r in gathered for ms in r.latencies_ms],
                  errors=[e for r in gathered for e in r.errors])


def seed_small_demo(directory: Path) -> str:
    """A SQLite file in ``directory``, migrated and seeded with the small demo; its URL."""
    url = f"sqlite:///{directory}/writers.sqlite3"
    env = {**os.environ, "DATABASE_URL": url, "PROXIMA_INSTANCE_PATH": str(directory)}
    flask = [sys.executable, "-m", "flask", "--app", "crm"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*flask, "seed", "demo", "--size", "small", "--no-progress"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--database", type=Path, help="An existing, seeded SQLite file (default: a fresh small demo).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database:
            url = f"sqlite:///{args.database.resolve()}"
        else:
            print("seeding the small demo into a temporary database…", flush=True)
            url = seed_small_demo(Path(tmp))
        print(f"database: {url}", flush=True)
        report = run_writers(url, writers=args.writers, seconds=args.seconds, instance_path=tmp)
    for line in report.lines():
        print(line)
    sys.exit(1 if report.errors else 0)


if __name__ == "__main__":
    main()

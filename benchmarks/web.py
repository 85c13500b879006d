"""Server time of the main pages on a populated database (median and p95).

Usage::

    DATABASE_URL=sqlite:////path/large.sqlite3 .venv/bin/python -m benchmarks.web [--requests 60]

Seed the database first (``flask --app crm seed demo --size large``). Requests go
through the WSGI application in-process (Flask's test client), so the figures are the
server's time to answer — routing, access checks, audit writes, queries, templates —
without network or browser time. The scenario picks, on the data it finds:

- the counselor whose active portfolio is closest to 350 people, and their portfolio page;
- the job seeker with the longest timeline, topped up to 300 interactions if needed
  (the extra rows are deleted afterwards), and their file page and timeline fragment.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from crm import create_app
from crm.db import utcnow
from crm.extensions import db
from crm.interactions.models import Channel, Direction, Interaction, InteractionKind, InteractionOrigin
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.organisation.models import User

DEMO_PASSWORD = "Proxima-demo-2026"
TARGET_PORTFOLIO = 350
TARGET_TIMELINE = 300


@dataclass
class Result:
    label: str
    timings_ms: list[float]

    def line(self) -> str:
        ordered = sorted(self.timings_ms)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        return (f"{self.label:<58} n={len(ordered):<4} median {statistics.median(ordered):7.1f} ms"
                f"   p95 {p95:7.1f} ms")


def measure(label: str, call: Callable[[], object], requests: int, warmup: int = 5) -> Result:
    for _ in range(warmup):
        call()
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        status = getattr(response, "status_code", 200)
        if status >= 400:
            raise SystemExit(f"{label}: HTTP {status}")
    return Result(label, timings)


def pick_counselor() -> tuple[User, int]:
    size = sa.func.count(JobSeeker.id)
    row = db.session.execute(
        sa.select(JobSeeker.referent_id, size)
        .where(JobSeeker.status == JobSeekerStatus.ACTIVE, JobSeeker.referent_id.is_not(None))
        .group_by(JobSeeker.referent_id)
        .order_by(sa.func.abs(size - TARGET_PORTFOLIO))
        .limit(1)
    ).one()
    return db.session.get(User, row[0]), row[1]


def pick_person(counselor: User) -> tuple[JobSeeker, list[int]]:
    """The referent's person with the longest timeline, topped up to 300 interactions."""
    count = sa.func.count(Interaction.id)
    person_id, existing = db.session.execute(
        sa.select(JobSeeker.id, count)
        .join(Interaction, Interaction.job_seeker_id == JobSeeker.id)
        .where(JobSeeker.referent_id == counselor.id, JobSeeker.status == JobSeekerStatus.ACTIVE)
        .group_by(JobSeeker.id).order_by(count.desc()).limit(1)
    ).one()
    added = []
    now = utcnow()
    for i in range(max(0, TARGET_TIMELINE - existing)):
        row = Interaction(job_seeker_id=person_id, author_id=counselor.id, occurred_at=now - timedelta(days=2 + i),
                          channel=Channel.PHONE, direction=Direction.OUTBOUND, kind=InteractionKind.FOLLOW_UP,
                          origin=InteractionOrigin.SYSTEM, notes="benchmark")
        db.session.add(row)
        db.session.flush()
        added.append(row.id)
    db.session.commit()
    return db.session.get(JobSeeker, person_id), added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        counselor, portfolio_size = pick_counselor()
        person, added = pick_person(counselor)
        timeline_size = db.session.scalar(
            sa.select(sa.func.count()).where(Interaction.job_seeker_id == person.id))
        email, person_id = counselor.email, person.id
    try:
        client = app.test_client()
        login = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        if login.status_code != 302:
            raise SystemExit(f"login as {email} failed (HTTP {login.status_code})")
        results = [
            measure(f"portfolio page ({portfolio_size} people)", lambda: client.get("/portefeuille"), args.requests),
            measure(f"job seeker file ({timeline_size} interactions)",
                    lambda: client.get(f"/beneficiaires/{person_id}"), args.requests),
            measure(f"timeline fragment ({timeline_size} interactions)",
                    lambda: client.get(f"/beneficiaires/{person_id}/historique", headers={"HX-Request": "true"}),
                    args.requests),
        ]
    finally:
        if added:
            with app.app_context():
                db.session.execute(sa.delete(Interaction).where(Interaction.id.in_(added)))
                db.session.commit()
    for result in results:
        print(result.line())


if __name__ == "__main__":
    main()

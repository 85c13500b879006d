"""Server time of the managers' overviews on a populated database (median and p95).

Usage::

    DATABASE_URL=sqlite:////path/demo.sqlite3 .venv/bin/python -m benchmarks.overviews [--requests 40]

Seed the database first (``flask --app crm db upgrade`` then ``flask --app crm seed demo
--size large``; ``small`` works too). Requests go through the WSGI application in-process
(Flask's test client, logged in), so the figures are the server's time to answer —
routing, access checks, queries, templates — without network or browser time. The
scenario picks, on the data it finds:

- the team manager whose team's counselors follow the most active job seekers, and
  their team overview (``/equipe``) over 4 weeks and over 12 months;
- the director of the agency with the most active job seekers, and the agency overview
  (``/agence``) over 4 weeks and over 12 months (compared with the previous period, and
  with the same period a year earlier), its htmx fragment, and the weekly report.

The agency overview and the weekly report are measured twice: with every figure counted
live on each request (``AGENCY_FIGURES_STORE = False``; fewer requests, they are slow), then
as served in production — the period figures stored by ``overviews refresh`` (timed here for
that agency first; ``crm.agency.queries``' freshness rule), today's situation live. Target:
p95 under 500 ms on 12 months of ``large`` data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from crm import create_app
from crm.extensions import db
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.organisation.models import Role, User


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


@dataclass
class Result:
    label: str
    timings_ms: list[float]  # wall clock (time.perf_counter)
    cpu_ms: list[float]  # this process's CPU time (time.process_time): less sensitive to a busy machine

    @property
    def p50(self) -> float:
        return statistics.median(self.timings_ms)

    @property
    def p95(self) -> float:
        return percentile(self.timings_ms, 0.95)

    def line(self) -> str:
        return (f"{self.label:<58} n={len(self.timings_ms):<3} p50 {self.p50:7.1f} ms  p95 {self.p95:7.1f} ms"
                f"   (CPU p50 {statistics.median(self.cpu_ms):6.1f}  p95 {percentile(self.cpu_ms, 0.95):6.1f})")


def measure(label: str, call: Callable[[], object], requests: int, warmup: int = 3) -> Result:
    for _ in range(warmup):
        call()
    timings, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        status = getattr(response, "status_code", 200)
        if status >= 400:
            raise SystemExit(f"{label}: HTTP {status}")
    return Result(label, timings, cpu)


def pick_manager() -> tuple[User, int]:
    """The team manager whose team follows the most active job seekers."""
    referent = aliased(User)
    size = sa.func.count(JobSeeker.id)
    team_id, people = db.session.execute(
        sa.select(referent.team_id, size).join(referent, referent.id == JobSeeker.referent_id)
        .where(JobSeeker.status == JobSeekerStatus.ACTIVE, referent.team_id.is_not(None),
               referent.team_id.in_(sa.select(User.team_id).where(User.role == Role.TEAM_MANAGER)))
        .group_by(referent.team_id).order_by(size.desc()).limit(1)).one()
    manager = db.session.scalars(sa.select(User).where(User.team_id == team_id, User.role == Role.TEAM_MANAGER)
                                 .order_by(User.id).limit(1)).one()
    return manager, people


def pick_director() -> tuple[User, int]:
    """The director of the agency with the most active job seekers."""
    size = sa.func.count(JobSeeker.id)
    agency_id, people = db.session.execute(
        sa.select(JobSeeker.agency_id, size)
        .where(JobSeeker.status == JobSeekerStatus.ACTIVE,
               JobSeeker.agency_id.in_(sa.select(User.agency_id).where(User.role == Role.DIRECTOR)))
        .group_by(JobSeeker.agency_id).order_by(size.desc()).limit(1)).one()
    director = db.session.scalars(sa.select(User).where(User.agency_id == agency_id, User.role == Role.DIRECTOR)
                                  .order_by(User.id).limit(1)).one()
    return director, people


def logged_in(app: object, user_id: int) -> object:
    """A test client with a session for ``user_id`` (any account, with or without a password)."""
    client = app.test_client()  # type: ignore[attr-defined]
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        manager, team_people = pick_manager()
        director, agency_people = pick_director()
        manager_id, director_id, agency_id = manager.id, director.id, director.agency_id
    manager_client = logged_in(app, manager_id)
    director_client = logged_in(app, director_id)
    n = args.requests
    htmx = {"HX-Request": "true"}
    pages = [
        ("agency overview, 4 weeks", "/agence?period=4w", {}),
        ("agency overview, 12 months", "/agence?period=12m", {}),
        ("agency overview, 12 months vs a year before", "/agence?period=12m&compare=year", {}),
        ("agency overview fragment (htmx), 12 months", "/agence?period=12m", htmx),
        ("weekly report, agency", "/agence/hebdo", {}),
        ("weekly report, agency (CSV)", "/agence/hebdo.csv", {}),
    ]
    results = [measure(f"team overview, 4 weeks ({team_people} active people)",
                       lambda: manager_client.get("/equipe?period=4w"), n),
               measure(f"team overview, 12 months ({team_people} active people)",
                       lambda: manager_client.get("/equipe?period=12m"), n)]
    for result in results:
        print(result.line(), flush=True)
    print(f"agency: {agency_people} active people")
    app.config["AGENCY_FIGURES_STORE"] = False
    for label, url, headers in pages:
        result = measure(f"{label}, counted live", lambda u=url, h=headers: director_client.get(u, headers=h),
                         max(5, n // 4), warmup=1)
        print(result.line(), flush=True)
    app.config["AGENCY_FIGURES_STORE"] = True
    with app.app_context():
        from crm.agency.cli import offered_periods, refresh_agency
        from crm.web.views import current_day

        today = current_day().today
        started = time.perf_counter()
        refresh_agency(agency_id, offered_periods(today), today=today)
        db.session.commit()
        print(f"overviews refresh of that agency: {time.perf_counter() - started:.1f} s", flush=True)
    for label, url, headers in pages:
        result = measure(f"{label}, stored figures", lambda u=url, h=headers: director_client.get(u, headers=h), n)
        print(result.line(), flush=True)
        results.append(result)
    slowest = max(results, key=lambda r: r.p95)
    print(f"slowest p95: {slowest.p95:.1f} ms ({slowest.label}); target < 500 ms")
    print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs (wall-clock figures grow with it; CPU figures much less)")


if __name__ == "__main__":
    main()

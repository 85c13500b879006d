"""Server time of the main pages on a populated database (median and p95).

Usage::

    DATABASE_URL=sqlite:////path/large.sqlite3 .venv/bin/python -m benchmarks.web [--requests 60]

Seed the database first (``flask --app crm seed demo --size large``). Requests go
through the WSGI application in-process (Flask's test client), so the figures are the
server's time to answer — routing, access checks, audit writes, queries, templates —
without network or browser time. The scenario picks, on the data it finds:

- the counselor whose active portfolio is closest to 350 people, their portfolio page and
  their priority list (« À contacter en priorité »: the top 50, and every row; from the
  published scores, or the fallback order when the nightly scoring has not run);
- the job seeker with the longest timeline, topped up to 300 interactions if needed
  (the extra rows are deleted afterwards), and their file page and timeline fragment;
- the employer counselor whose portfolio is closest to 200 employers, their list and
  their priority list;
- the employer of that portfolio with the most offers, topped up to 50 offers and 500
  mises en relation if needed (deleted afterwards), and its account view.
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
from crm.employers.models import Employer
from crm.enums import ContractType
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.offers.models import Application, ApplicationStatus, JobOffer, OfferStatus
from crm.organisation.models import User
from seeds.accounts import DEMO_PASSWORD

TARGET_PORTFOLIO = 350
TARGET_TIMELINE = 300
TARGET_EMPLOYERS = 200
TARGET_OFFERS, TARGET_APPLICATIONS = 50, 500


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


def pick_owner(owner: sa.ColumnElement, *where: sa.ColumnElement[bool], target: int) -> tuple[User, int]:
    """The staff member whose portfolio (rows grouped by ``owner``) is closest to ``target``."""
    size = sa.func.count()
    row = db.session.execute(
        sa.select(owner, size).where(owner.is_not(None), *where)
        .group_by(owner).order_by(sa.func.abs(size - target)).limit(1)
    ).one()
    return db.session.get(User, row[0]), row[1]


def pick_employer(counselor: User) -> tuple[Employer, dict[str, list[int]]]:
    """The counselor's employer with the most offers, topped up to 50 offers and 500 MER."""
    offers = sa.func.count(JobOffer.id)
    employer_id, existing = db.session.execute(
        sa.select(Employer.id, offers).join(JobOffer, JobOffer.employer_id == Employer.id)
        .where(Employer.counselor_id == counselor.id).group_by(Employer.id).order_by(offers.desc()).limit(1)
    ).one()
    employer = db.session.get(Employer, employer_id)
    added: dict[str, list[int]] = {"offers": [], "applications": []}
    today = utcnow().date()
    for i in range(max(0, TARGET_OFFERS - existing)):
        offer = JobOffer(employer_id=employer_id, counselor_id=counselor.id, rome_code=_any_rome(employer_id),
                         title=f"Offre de mesure {i}", contract_type=ContractType.CDD, created_on=today,
                         positions=1, status=OfferStatus.OPEN)
        db.session.add(offer)
        db.session.flush()
        added["offers"].append(offer.id)
    offer_ids = db.session.scalars(sa.select(JobOffer.id).where(JobOffer.employer_id == employer_id)).all()
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Application)
                             .where(Application.offer_id.in_(offer_ids))) or 0
    missing = max(0, TARGET_APPLICATIONS - have)
    candidates = db.session.scalars(
        sa.select(JobSeeker.id).where(JobSeeker.agency_id == employer.agency_id,
                                      JobSeeker.status == JobSeekerStatus.ACTIVE)
        .order_by(JobSeeker.id).limit(missing)).all()
    for n, person_id in enumerate(candidates):
        application = Application(offer_id=offer_ids[n % len(offer_ids)], job_seeker_id=person_id,
                                  status=ApplicationStatus.SENT)
        db.session.add(application)
        db.session.flush()
        added["applications"].append(application.id)
    db.session.commit()
    return employer, added


def _any_rome(employer_id: int) -> str:
    return db.session.scalar(sa.select(JobOffer.rome_code).where(JobOffer.employer_id == employer_id).limit(1))


def pick_counselor() -> tuple[User, int]:
    return pick_owner(JobSeeker.referent_id, JobSeeker.status == JobSeekerStatus.ACTIVE, target=TARGET_PORTFOLIO)


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


def log_in(app: object, email: str) -> object:
    client = app.test_client()  # type: ignore[attr-defined]
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"login as {email} failed (HTTP {response.status_code})")
    return client


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
        employer_counselor, employer_count = pick_owner(Employer.counselor_id, target=TARGET_EMPLOYERS)
        employer, added_employer_rows = pick_employer(employer_counselor)
        offer_count = db.session.scalar(sa.select(sa.func.count()).where(JobOffer.employer_id == employer.id))
        mer_count = db.session.scalar(sa.select(sa.func.count()).select_from(Application).join(JobOffer)
                                      .where(JobOffer.employer_id == employer.id))
        employer_email, employer_id = employer_counselor.email, employer.id
    try:
        client = log_in(app, email)
        employer_client = log_in(app, employer_email)
        results = [
            measure(f"portfolio page ({portfolio_size} people)", lambda: client.get("/portefeuille"), args.requests),
            measure(f"priority list ({portfolio_size} people, 50 shown)", lambda: client.get("/priorites"),
                    args.requests),
            measure(f"priority list, every row ({portfolio_size} people)",
                    lambda: client.get("/priorites?limit=1000"), args.requests),
            measure(f"job seeker file ({timeline_size} interactions)",
                    lambda: client.get(f"/beneficiaires/{person_id}"), args.requests),
            measure(f"timeline fragment ({timeline_size} interactions)",
                    lambda: client.get(f"/beneficiaires/{person_id}/historique", headers={"HX-Request": "true"}),
                    args.requests),
            measure(f"employer portfolio ({employer_count} employers)",
                    lambda: employer_client.get("/entreprises"), args.requests),
            measure(f"employer account view ({offer_count} offers, {mer_count} MER)",
                    lambda: employer_client.get(f"/entreprises/{employer_id}"), args.requests),
            measure(f"employer priority list ({employer_count} employers)",
                    lambda: employer_client.get("/priorites/entreprises"), args.requests),
        ]
        for result in results:
            print(result.line(), flush=True)
    finally:
        with app.app_context():
            db.session.execute(sa.delete(Interaction).where(Interaction.id.in_(added)))
            db.session.execute(sa.delete(Application).where(Application.id.in_(added_employer_rows["applications"])))
            db.session.execute(sa.delete(JobOffer).where(JobOffer.id.in_(added_employer_rows["offers"])))
            db.session.commit()


if __name__ == "__main__":
    main()

"""The portfolio list: filters, sorting, pagination, and a bounded number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import AppointmentStatus
from crm.jobseekers.models import Barrier, BarrierKind, JobSeeker, JobSeekerTarget
from crm.jobseekers.queries import PortfolioFilters, portfolio_page
from crm.organisation.models import Role
from tests.factories import make_appointment, make_job_seeker, make_rome_occupation, make_user
from tests.query_count import count_queries

NOW = datetime(2026, 3, 2, 9, 0)


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.job_seeker.last_name for row in page.rows]


def mine(counselor):  # type: ignore[no-untyped-def]
    return JobSeeker.referent_id == counselor.id


def test_only_the_counselors_active_job_seekers_are_listed(db_session) -> None:
    counselor = make_user(role=Role.COUNSELOR)
    make_job_seeker(referent=counselor, last_name="Actif")
    make_job_seeker(referent=counselor, last_name="Sorti", status="exited")
    make_job_seeker(agency=counselor.agency, last_name="Autre")
    page = portfolio_page(mine(counselor), PortfolioFilters(), now=NOW)
    assert names(page) == ["Actif"] and page.total == 1


def test_filters_narrow_the_list(db_session) -> None:
    counselor = make_user(role=Role.COUNSELOR)
    make_rome_occupation("M1607")
    make_rome_occupation("K2204", label="Nettoyage de locaux")
    young = make_job_seeker(referent=counselor, last_name="Jeune", birth_date=date(2004, 1, 1),
                            modality=Modality.AIJ, external_id="DE-77")
    senior = make_job_seeker(referent=counselor, last_name="Senior", birth_date=date(1970, 1, 1), rqth=True,
                             last_contact_at=NOW - timedelta(days=100))
    recent = make_job_seeker(referent=counselor, last_name="Récent", last_contact_at=NOW - timedelta(days=3))
    db.session.add_all([
        JobSeekerTarget(job_seeker_id=young.id, rome_code="M1607", rank=1),
        JobSeekerTarget(job_seeker_id=senior.id, rome_code="K2204", rank=1),
        Barrier(job_seeker_id=senior.id, kind=BarrierKind.MOBILITY, noted_on=date(2025, 5, 1)),
        Barrier(job_seeker_id=recent.id, kind=BarrierKind.MOBILITY, noted_on=date(2025, 5, 1),
                resolved_on=date(2025, 9, 1)),
    ])
    make_appointment(recent, scheduled_at=NOW + timedelta(days=2))
    make_appointment(senior, scheduled_at=NOW + timedelta(days=2), status=AppointmentStatus.CANCELLED)
    db.session.flush()

    def listed(**filters) -> list[str]:  # type: ignore[no-untyped-def]
        return sorted(names(portfolio_page(mine(counselor), PortfolioFilters(**filters), now=NOW)))

    assert listed(modality=Modality.AIJ) == ["Jeune"]
    assert listed(flags=["under_26"]) == ["Jeune"]
    assert listed(flags=["over_50", "rqth"]) == ["Senior"]
    assert listed(barrier=BarrierKind.MOBILITY) == ["Senior"]  # resolved barriers don't count
    assert listed(rome="M16") == ["Jeune"]
    assert listed(rome="k2204") == ["Senior"]
    assert listed(q="jeu") == ["Jeune"]
    assert listed(q="de-77") == ["Jeune"]
    assert listed(q="camille senior") == ["Senior"]
    assert listed(min_days_without_contact=90) == ["Jeune", "Senior"]  # never contacted counts
    assert listed(max_days_without_contact=7) == ["Récent"]
    assert listed(next_appointment_within_days=7) == ["Récent"]  # cancelled appointments don't count
    assert listed(without_next_appointment=True) == ["Jeune", "Senior"]


def test_sorting_puts_missing_values_last_and_paginates(db_session) -> None:
    counselor = make_user(role=Role.COUNSELOR)
    for i, days in enumerate([5, None, 40, 12]):
        make_job_seeker(referent=counselor, last_name=f"P{i}",
                        last_contact_at=None if days is None else NOW - timedelta(days=days))
    by_contact = portfolio_page(mine(counselor), PortfolioFilters(sort="last_contact"), now=NOW)
    assert names(by_contact) == ["P2", "P3", "P0", "P1"]
    newest_first = portfolio_page(mine(counselor), PortfolioFilters(sort="last_contact", descending=True), now=NOW)
    assert names(newest_first) == ["P0", "P3", "P2", "P1"]
    second = portfolio_page(mine(counselor), PortfolioFilters(page=2), now=NOW, page_size=3)
    assert names(second) == ["P3"] and second.pages == 2
    beyond = portfolio_page(mine(counselor), PortfolioFilters(page=99), now=NOW, page_size=3)
    assert beyond.page == 2


def test_alert_filter_keeps_only_people_with_that_alert(db_session) -> None:
    counselor = make_user(role=Role.COUNSELOR)
    make_job_seeker(referent=counselor, last_name="Oublié", registration_date=date(2025, 1, 6))
    make_job_seeker(referent=counselor, last_name="Suivi", registration_date=date(2025, 1, 6),
                    last_contact_at=NOW - timedelta(days=2))
    page = portfolio_page(mine(counselor), PortfolioFilters(alert="no_recent_contact"), now=NOW)
    assert names(page) == ["Oublié"]
    assert any(alert.code == "no_recent_contact" for alert in page.rows[0].alerts)


def test_a_full_page_costs_a_bounded_number_of_queries(db_session) -> None:
    counselor = make_user(role=Role.COUNSELOR)
    make_rome_occupation("M1607")
    for i in range(60):
        person = make_job_seeker(referent=counselor, last_name=f"N{i:02d}")
        db.session.add(JobSeekerTarget(job_seeker_id=person.id, rome_code="M1607", rank=1))
        make_appointment(person, scheduled_at=NOW + timedelta(days=i % 10 + 1))
    db.session.flush()
    db.session.expire_all()
    with count_queries() as statements:
        page = portfolio_page(mine(counselor), PortfolioFilters(), now=NOW)
        for row in page.rows:
            _ = [t.rome_code for t in row.job_seeker.targets]
    assert len(page.rows) == 50
    assert len(statements) <= 15, statements

"""Behaviour the domain model guarantees on both databases."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from crm.enums import Modality
from crm.interactions.models import Channel, Direction, Interaction, InteractionKind
from crm.jobseekers.models import (
    DigitalAutonomy, EducationLevel, Gender, JobSeeker, Nationality,
)
from crm.organisation.models import Agency


def _job_seeker(session: sa.orm.Session) -> JobSeeker:
    agency = Agency(name="Agence de test")
    person = JobSeeker(
        first_name="Camille", last_name="Martin", birth_date=date(1990, 5, 17), gender=Gender.FEMALE,
        nationality=Nationality.FRENCH, agency=agency, registration_date=date(2025, 1, 6),
        modality=Modality.GUIDE, education_level=EducationLevel.BAC, digital_autonomy=DigitalAutonomy.PARTIAL,
    )
    session.add(person)
    session.flush()
    return person


def test_concurrent_edit_is_detected_not_overwritten(db_session: sa.orm.scoped_session) -> None:
    person = _job_seeker(db_session)
    assert person.version == 1
    # Someone else saved the file meanwhile: the row's version moved on.
    db_session.execute(
        sa.update(JobSeeker).where(JobSeeker.id == person.id).values(mobility_km=50, version=2),
        execution_options={"synchronize_session": False},
    )
    person.mobility_km = 10
    with pytest.raises(StaleDataError):
        db_session.flush()
    db_session.rollback()


def test_each_update_bumps_the_version(db_session: sa.orm.scoped_session) -> None:
    person = _job_seeker(db_session)
    person.mobility_km = 35
    db_session.flush()
    assert person.version == 2


def test_an_interaction_concerns_exactly_one_party(db_session: sa.orm.scoped_session) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        with db_session.begin_nested():
            db_session.add(Interaction(occurred_at=datetime(2026, 1, 5, 10), channel=Channel.PHONE,
                                       direction=Direction.OUTBOUND, kind=InteractionKind.FOLLOW_UP))
            db_session.flush()


def test_foreign_keys_are_enforced(db_session: sa.orm.scoped_session) -> None:
    person = _job_seeker(db_session)
    with pytest.raises(sa.exc.IntegrityError):
        with db_session.begin_nested():
            db_session.add(Interaction(occurred_at=datetime(2026, 1, 5, 10), channel=Channel.PHONE,
                                       direction=Direction.OUTBOUND, kind=InteractionKind.FOLLOW_UP,
                                       job_seeker_id=person.id, author_id=987654))
            db_session.flush()


def test_priority_flags_are_derived_from_dates(db_session: sa.orm.scoped_session) -> None:
    person = _job_seeker(db_session)
    flags = person.priority_flags(date(2026, 3, 1))
    assert flags["under_26"] is False and flags["over_50"] is False
    assert flags["long_term_unemployed"] is True
    assert person.priority_flags(date(2025, 6, 1))["long_term_unemployed"] is False


def test_in_ids_matches_exactly_the_ids_given_with_one_parameter(db_session: sa.orm.scoped_session) -> None:
    from crm.db import in_ids
    from tests import factories as f

    people = [f.make_job_seeker() for _ in range(3)]
    wanted = [people[0].id, people[2].id, 10_000_000]

    def found(ids: list[int]) -> set[int]:
        return set(db_session.scalars(sa.select(JobSeeker.id).where(in_ids(JobSeeker.id, ids))))

    assert found(wanted) == {people[0].id, people[2].id}
    assert found([]) == set()
    assert found(list(range(1, 40_000))) >= {p.id for p in people}  # beyond any IN-list limit of the drivers
    statement = sa.select(JobSeeker.id).where(in_ids(JobSeeker.id, list(range(5000))))
    assert len(statement.compile(db_session.get_bind()).params) == 1

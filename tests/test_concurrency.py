"""Version checks on versioned rows: a stale form is refused, never overwritten."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm.concurrency import check_version, flush
from crm.errors import ConcurrentEditError, DomainError
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from tests.factories import make_job_seeker


def test_check_version(db_session) -> None:
    person = make_job_seeker()
    check_version(person, 1)
    check_version(person, "1")  # as posted by a form
    check_version(person, None)  # no form: a system job
    for stale in (2, "2", "abc"):
        with pytest.raises(ConcurrentEditError) as raised:
            check_version(person, stale)
        assert isinstance(raised.value, DomainError) and raised.value.code == "concurrent_edit"
        assert "modifié par quelqu'un d'autre" in str(raised.value.message)


def test_a_change_between_check_and_write_is_reported_the_same_way(db_session) -> None:
    person = make_job_seeker()
    check_version(person, 1)
    db.session.execute(sa.update(JobSeeker).where(JobSeeker.id == person.id).values(version=2),
                       execution_options={"synchronize_session": False})
    person.mobility_km = 10
    with pytest.raises(ConcurrentEditError):
        flush()
    db.session.rollback()

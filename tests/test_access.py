"""The role × ownership matrix for job seeker and employer files."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm.access import Access, employer_access, job_seeker_access, visible_job_seekers, writable_job_seekers
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from crm.organisation.models import Role
from tests.factories import make_agency, make_employer, make_job_seeker, make_team, make_user


@pytest.fixture()
def world(db_session: sa.orm.scoped_session) -> dict:
    agency, other_agency = make_agency(), make_agency()
    team, other_team = make_team(agency), make_team(agency)
    referent = make_user(role=Role.COUNSELOR, team=team)
    colleague = make_user(role=Role.COUNSELOR, team=other_team)
    employer_counselor = make_user(role=Role.EMPLOYER_COUNSELOR, team=other_team)
    return {
        "agency": agency,
        "referent": referent,
        "colleague": colleague,
        "manager": make_user(role=Role.TEAM_MANAGER, team=team),
        "other_manager": make_user(role=Role.TEAM_MANAGER, team=other_team),
        "director": make_user(role=Role.DIRECTOR, agency=agency),
        "admin": make_user(role=Role.ADMIN, agency=None),
        "psychologist": make_user(role=Role.PSYCHOLOGIST, agency=agency),
        "benefits": make_user(role=Role.BENEFITS_COUNSELOR, agency=agency),
        "employer_counselor": employer_counselor,
        "stranger": make_user(role=Role.COUNSELOR, agency=other_agency),
        "person": make_job_seeker(referent=referent),
        "employer": make_employer(counselor=employer_counselor),
    }


@pytest.mark.parametrize(("who", "expected"), [
    ("referent", Access.WRITE),
    ("colleague", Access.READ),
    ("manager", Access.WRITE),
    ("other_manager", Access.READ),
    ("director", Access.READ),
    ("psychologist", Access.WRITE),
    ("benefits", Access.READ),
    ("employer_counselor", Access.READ),
    ("admin", Access.NONE),
    ("stranger", Access.NONE),
])
def test_job_seeker_access_matrix(world: dict, who: str, expected: Access) -> None:
    assert job_seeker_access(world[who], world["person"]) is expected


@pytest.mark.parametrize("who", ["referent", "colleague", "manager", "other_manager", "director", "psychologist",
                                 "benefits", "employer_counselor", "admin", "stranger"])
def test_list_clauses_agree_with_the_per_object_rule(world: dict, who: str) -> None:
    user, person = world[who], world["person"]
    visible = db.session.scalar(sa.select(sa.func.count()).where(JobSeeker.id == person.id, visible_job_seekers(user)))
    writable = db.session.scalar(sa.select(sa.func.count()).where(JobSeeker.id == person.id, writable_job_seekers(user)))
    access = job_seeker_access(user, person)
    assert bool(visible) == (access >= Access.READ)
    assert bool(writable) == (access is Access.WRITE)


@pytest.mark.parametrize(("who", "expected"), [
    ("employer_counselor", Access.WRITE),
    ("referent", Access.READ),
    ("other_manager", Access.WRITE),
    ("manager", Access.READ),
    ("director", Access.READ),
    ("admin", Access.NONE),
    ("stranger", Access.NONE),
])
def test_employer_access_matrix(world: dict, who: str, expected: Access) -> None:
    assert employer_access(world[who], world["employer"]) is expected

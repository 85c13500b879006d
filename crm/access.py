"""Who may see and change which file: the single place where role and ownership meet.

Levels: ``NONE`` (the object does not exist for this user: views answer 404),
``READ`` (look up, read-only) and ``WRITE`` (edit the file, log interactions).

Job seekers (issue 3, DOMAIN.md roles):
- counselor: WRITE on their own portfolio (referent), READ on their agency, NONE elsewhere;
- benefits counselor: WRITE on the people whose benefits they handle, READ on their agency;
- psychologist: WRITE on their agency (they run prestations at the referent's request);
- employer counselor: READ on their agency (pre-selection of candidates);
- team manager: WRITE on their team's portfolios, READ on their agency;
- director: READ on their agency (reassignment goes through its own service);
- admin: NONE (subject-access exports have their own, audited route).

Employers mirror this: employer counselors WRITE on their portfolio and READ their
agency; job-seeker counselors READ their agency's employers (to promote profiles);
team managers WRITE on their team's portfolios; directors READ their agency.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa

from crm.employers.models import Employer
from crm.jobseekers.models import JobSeeker
from crm.organisation.models import Role, User


class Access(enum.IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2


def _team_member_ids(user: User) -> sa.Select:
    return sa.select(User.id).where(User.team_id == user.team_id)


def job_seeker_access(user: User, job_seeker: JobSeeker) -> Access:
    if user.agency_id is None or job_seeker.agency_id != user.agency_id:
        return Access.NONE
    role = user.role
    if role is Role.COUNSELOR:
        return Access.WRITE if job_seeker.referent_id == user.id else Access.READ
    if role is Role.BENEFITS_COUNSELOR:
        return Access.WRITE if job_seeker.benefits_counselor_id == user.id else Access.READ
    if role is Role.PSYCHOLOGIST:
        return Access.WRITE
    if role is Role.TEAM_MANAGER:
        referent_team = job_seeker.referent.team_id if job_seeker.referent is not None else None
        return Access.WRITE if user.team_id is not None and referent_team == user.team_id else Access.READ
    if role in (Role.EMPLOYER_COUNSELOR, Role.DIRECTOR):
        return Access.READ
    return Access.NONE


def visible_job_seekers(user: User) -> sa.ColumnElement[bool]:
    """WHERE clause for every list and search of job seekers this user may read."""
    if user.role is Role.ADMIN or user.agency_id is None:
        return sa.false()
    return JobSeeker.agency_id == user.agency_id


def writable_job_seekers(user: User) -> sa.ColumnElement[bool]:
    """WHERE clause matching exactly the job seekers for which ``job_seeker_access`` is WRITE."""
    in_agency = JobSeeker.agency_id == user.agency_id
    role = user.role
    if user.agency_id is None:
        return sa.false()
    if role is Role.COUNSELOR:
        return sa.and_(in_agency, JobSeeker.referent_id == user.id)
    if role is Role.BENEFITS_COUNSELOR:
        return sa.and_(in_agency, JobSeeker.benefits_counselor_id == user.id)
    if role is Role.PSYCHOLOGIST:
        return in_agency
    if role is Role.TEAM_MANAGER and user.team_id is not None:
        return sa.and_(in_agency, JobSeeker.referent_id.in_(_team_member_ids(user)))
    return sa.false()


def employer_access(user: User, employer: Employer) -> Access:
    if user.agency_id is None or employer.agency_id != user.agency_id:
        return Access.NONE
    role = user.role
    if role is Role.EMPLOYER_COUNSELOR:
        return Access.WRITE if employer.counselor_id == user.id else Access.READ
    if role is Role.TEAM_MANAGER:
        counselor_team = employer.counselor.team_id if employer.counselor is not None else None
        return Access.WRITE if user.team_id is not None and counselor_team == user.team_id else Access.READ
    if role in (Role.COUNSELOR, Role.DIRECTOR, Role.PSYCHOLOGIST, Role.BENEFITS_COUNSELOR):
        return Access.READ
    return Access.NONE


def visible_employers(user: User) -> sa.ColumnElement[bool]:
    if user.role is Role.ADMIN or user.agency_id is None:
        return sa.false()
    return Employer.agency_id == user.agency_id

"""Loading a file for the current user: role and ownership checked, the read audited.

Views never fetch a job seeker or an employer by id themselves: they call these, which
answer 404 when the object is outside what the user may see (another agency's file
does not exist for them) and 403 when they may read it but asked to change it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user, login_required

from crm.access import Access, employer_access, job_seeker_access
from crm.audit.services import record
from crm.employers.models import Employer
from crm.extensions import db
from crm.jobseekers.access_reasons import reason_required
from crm.jobseekers.models import JobSeeker
from crm.organisation.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def client_address() -> str | None:
    return request.remote_addr


def _load(model: Any, object_id: int, rule: Callable[[Any, Any], Access], need: Access) -> Any:
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "anonymised_at", None) is not None:
        abort(404)
    access = rule(current_user, obj)
    if access is Access.NONE:
        abort(404)
    if access < need:
        abort(403)
    return obj


def load_job_seeker(job_seeker_id: int, *, need: Access = Access.READ, audit: str | None = "job_seeker.read") -> JobSeeker:
    """The job seeker, if the current user may ``need`` it; the read is audited. Reading a
    file outside one's portfolio first asks for a reason (``crm.jobseekers.access_reasons``)."""
    person = _load(JobSeeker, job_seeker_id, job_seeker_access, need)
    if audit and (ask := reason_required(person)) is not None:
        abort(ask)
    if audit:
        record(user=current_user, action=audit, entity=person, address=client_address())
    return person


def load_owned(model: Any, object_id: int, job_seeker: JobSeeker) -> Any:
    """A row of this job seeker's file (appointment, barrier, referral…) fetched by its own
    id: 404 when it does not exist or belongs to someone else."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.job_seeker_id != job_seeker.id:
        abort(404)
    return obj


def load_employer(employer_id: int, *, need: Access = Access.READ, audit: str | None = "employer.read") -> Employer:
    employer = _load(Employer, employer_id, employer_access, need)
    if audit:
        record(user=current_user, action=audit, entity=employer, address=client_address())
    return employer


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only these roles reach the view; others get 403 (anonymous users go to the login page)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator

"""Workload balance: a team manager gives job seekers (or employers) of their team to
another counselor of the same team.

Each person goes through ``crm.jobseekers.services.transfer_job_seeker`` (version check,
open tasks follow, one audit event per person with the reason): the team rules are
checked here, the transfer itself is not duplicated. Nothing is written unless every
person can be moved (the view runs this in a savepoint).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm.concurrency import check_version
from crm.employers.models import Employer
from crm.employers.services import reassign_employers
from crm.errors import ConcurrentEditError, DomainError, clean_text
from crm.extensions import db
from crm.interactions.models import Task, TaskStatus
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.jobseekers.services import MAX_REASON_LENGTH, transfer_job_seeker
from crm.offers.models import JobOffer, OfferStatus
from crm.organisation.models import Role, User
from crm.teams.queries import COUNSELOR_ROLES


def is_team_counselor(actor: User, counselor: User | None) -> bool:
    """A job-seeker counselor (active account) of the actor's team, in the actor's agency."""
    return (counselor is not None and actor.team_id is not None and counselor.team_id == actor.team_id
            and counselor.agency_id == actor.agency_id and counselor.role in COUNSELOR_ROLES
            and counselor.is_active_account)


def _manager_and_reason(actor: Any, reason: str | None, forbidden: Any) -> str:
    """A reassignment is a team manager's, with a reason: the cleaned reason, or ``DomainError``."""
    if actor.role is not Role.TEAM_MANAGER or actor.team_id is None:
        raise DomainError(forbidden, code="team_reassign.forbidden")
    return clean_text(reason, max_length=MAX_REASON_LENGTH, code="team_reassign.reason", field="reason",
                      required=_l("Indiquez le motif de la réaffectation."),
                      too_long=_l("Le motif est limité à %(max)s caractères.", max=MAX_REASON_LENGTH))


def reassign_job_seekers(*, actor: User, job_seekers: Iterable[tuple[JobSeeker, int | str | None]], counselor: User | None,
                         reason: str | None) -> list[JobSeeker]:
    """Give each (person, version the form was rendered with) to ``counselor``.

    People already followed by ``counselor`` are left as they are. Raises ``DomainError``
    (field ``counselor``, ``job_seekers`` or ``reason``) when the target or a person is
    outside the actor's team, and when a file changed since the form was rendered.
    """
    text = _manager_and_reason(actor, reason, _l("Seul un responsable d'équipe réaffecte les demandeurs d'emploi "
                                                 "de son équipe."))
    if not is_team_counselor(actor, counselor):
        raise DomainError(_l("Choisissez un conseiller de votre équipe."), code="team_reassign.counselor",
                          field="counselor")
    people = list(job_seekers)
    if not people:
        raise DomainError(_l("Sélectionnez au moins une personne."), code="team_reassign.nobody",
                          field="job_seekers")
    changed = []
    for person, version in people:
        referent = person.referent
        if (person.status != JobSeekerStatus.ACTIVE or person.anonymised_at is not None
                or person.agency_id != actor.agency_id or not is_team_counselor(actor, referent)):
            raise DomainError(_l("%(name)s n'est pas suivi(e) par un conseiller de votre équipe : rien n'a été "
                                 "réaffecté.", name=person.full_name),
                              code="team_reassign.job_seeker", field="job_seekers")
        if person.referent_id == counselor.id:
            continue
        try:
            transfer_job_seeker(author=actor, job_seeker=person, reason=text, expected_version=version,
                                referent=counselor)
        except ConcurrentEditError:
            raise DomainError(_l("Le dossier de %(name)s a été modifié entre-temps : rien n'a été réaffecté. "
                                 "Rechargez la liste et recommencez.", name=person.full_name),
                              code="concurrent_edit", field="job_seekers") from None
        changed.append(person)
    return changed


# --------------------------------------------------------------------------- employers


def is_team_employer_counselor(actor: User, counselor: User | None) -> bool:
    """An employer counselor (active account) of the actor's team, in the actor's agency."""
    return (counselor is not None and actor.team_id is not None and counselor.team_id == actor.team_id
            and counselor.agency_id == actor.agency_id and counselor.role is Role.EMPLOYER_COUNSELOR
            and counselor.is_active_account)


def reassign_team_employers(*, actor: User, employers: Iterable[tuple[Employer, int | str | None]],
                            counselor: User | None, reason: str | None) -> list[Employer]:
    """Give each (employer, version the form was rendered with) to ``counselor``, an
    employer counselor of the actor's team.

    The change itself goes through ``crm.employers.services.reassign_employers`` (one audit
    event per employer, with the reason). The file follows: the former counselor's open
    tasks about the employer and the open or draft offers they held for it go to the new
    counselor. Nothing is written unless every employer can be moved (the view runs this in
    a savepoint); a file changed since the form was rendered is reported, not overwritten.
    """
    text = _manager_and_reason(actor, reason, _l("Seul un responsable d'équipe réaffecte les entreprises de son "
                                                 "équipe."))
    if not is_team_employer_counselor(actor, counselor):
        raise DomainError(_l("Choisissez un conseiller entreprise de votre équipe."), code="team_reassign.counselor",
                          field="counselor")
    chosen = list(employers)
    if not chosen:
        raise DomainError(_l("Sélectionnez au moins une entreprise."), code="team_reassign.nothing",
                          field="employers")
    for employer, version in chosen:
        if employer.agency_id != actor.agency_id or not is_team_employer_counselor(actor, employer.counselor):
            raise DomainError(_l("%(name)s n'est pas suivie par un conseiller entreprise de votre équipe : rien n'a "
                                 "été réaffecté.", name=employer.name),
                              code="team_reassign.employer", field="employers")
        try:
            check_version(employer, version)
        except ConcurrentEditError:
            raise DomainError(_l("Le dossier de %(name)s a été modifié entre-temps : rien n'a été réaffecté. "
                                 "Rechargez la liste et recommencez.", name=employer.name),
                              code="concurrent_edit", field="employers") from None
    former = {employer.id: employer.counselor_id for employer, _version in chosen}
    changed = reassign_employers(actor=actor, employers=[e for e, _v in chosen], counselor=counselor, reason=text,
                                 scope={"team_id": actor.team_id})
    by_former: dict[int, list[int]] = defaultdict(list)
    for employer in changed:
        if former[employer.id] is not None:
            by_former[former[employer.id]].append(employer.id)
    # One statement per former counselor (a handful), whatever the number of employers.
    for former_id, employer_ids in by_former.items():
        db.session.execute(
            sa.update(Task)
            .where(Task.employer_id.in_(employer_ids), Task.owner_id == former_id, Task.status == TaskStatus.OPEN)
            .values(owner_id=counselor.id, version=Task.version + 1)
            .execution_options(synchronize_session="fetch"))
        db.session.execute(
            sa.update(JobOffer)
            .where(JobOffer.employer_id.in_(employer_ids), JobOffer.counselor_id == former_id,
                   JobOffer.status.in_((OfferStatus.OPEN, OfferStatus.DRAFT)))
            .values(counselor_id=counselor.id, version=JobOffer.version + 1)
            .execution_options(synchronize_session="fetch"))
    return changed

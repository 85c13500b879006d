"""Workload balance: a team manager gives job seekers of their team to another counselor
of the same team.

Each person goes through ``crm.jobseekers.services.transfer_job_seeker`` (version check,
open tasks follow, one audit event per person with the reason): the team rules are
checked here, the transfer itself is not duplicated. Nothing is written unless every
person can be moved (the view runs this in a savepoint).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from crm.errors import ConcurrentEditError, DomainError, clean_text
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.jobseekers.services import MAX_REASON_LENGTH, transfer_job_seeker
from crm.organisation.models import Role, User
from crm.teams.queries import COUNSELOR_ROLES


def is_team_counselor(actor: User, counselor: User | None) -> bool:
    """A job-seeker counselor (active account) of the actor's team, in the actor's agency."""
    return (counselor is not None and actor.team_id is not None and counselor.team_id == actor.team_id
            and counselor.agency_id == actor.agency_id and counselor.role in COUNSELOR_ROLES
            and counselor.is_active_account)


def reassign_job_seekers(*, actor: User, job_seekers: Iterable[tuple[JobSeeker, int | str | None]], counselor: User | None,
                         reason: str | None) -> list[JobSeeker]:
    """Give each (person, version the form was rendered with) to ``counselor``.

    People already followed by ``counselor`` are left as they are. Raises ``DomainError``
    (field ``counselor``, ``job_seekers`` or ``reason``) when the target or a person is
    outside the actor's team, and when a file changed since the form was rendered.
    """
    if actor.role is not Role.TEAM_MANAGER or actor.team_id is None:
        raise DomainError(_l("Seul un responsable d'équipe réaffecte les demandeurs d'emploi de son équipe."),
                          code="team_reassign.forbidden")
    text = clean_text(reason, max_length=MAX_REASON_LENGTH, code="team_reassign.reason", field="reason",
                      required=_l("Indiquez le motif de la réaffectation."),
                      too_long=_l("Le motif est limité à %(max)s caractères.", max=MAX_REASON_LENGTH))
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

"""Write operations of employer relations: prospection, profile promotion, recruitment
needs and portfolio reassignment.

Services take the acting user explicitly, validate, write, ``flush()`` and never commit
(the request owns the transaction). Business rules raise ``DomainError`` with a French
message the view shows next to the form.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from crm.access import Access, employer_access, job_seeker_access
from crm.audit import services as audit
from crm.concurrency import check_version, flush
from crm.db import utcnow
from crm.employers.models import Employer, NeedSource, ProspectionAction, ProspectionKind, RecruitmentNeed
from crm.errors import DomainError, clean_text
from crm.extensions import db
from crm.interactions.models import Channel, Direction, InteractionKind, InteractionOutcome
from crm.interactions.services import MAX_NOTES_LENGTH, log_interaction
from crm.jobseekers.models import JobSeeker
from crm.organisation.models import Role, User
from crm.referentials.models import RomeOccupation

# The channel a held prospection action is traced with on the employer's timeline.
PROSPECTION_CHANNEL = {
    ProspectionKind.VISIT: Channel.COMPANY_VISIT,
    ProspectionKind.CALL: Channel.PHONE,
    ProspectionKind.FORUM: Channel.EVENT,
}
PLANNABLE_KINDS = tuple(PROSPECTION_CHANNEL)
PROMOTION_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.COMPANY_VISIT, Channel.IN_PERSON, Channel.VISIO)
MAX_REASON_LENGTH = 255  # the audit event keeps it (255 characters)
MAX_NEED_NOTES_LENGTH = 255
MAX_POSITIONS = 999
# A held action is placed at midday of its day on the timeline (the hour is not asked).
HELD_AT = time(12, 0)


def _notes(notes: str | None, *, code: str, max_length: int = MAX_NOTES_LENGTH) -> str:
    return clean_text(notes, max_length=max_length, code=code, field="notes",
                      too_long=_l("Les notes sont limitées à %(max)s caractères.", max=max_length))


def _require_write(user: User, employer: Employer) -> None:
    if employer_access(user, employer) is not Access.WRITE:
        raise DomainError(_l("Vous ne pouvez pas modifier ce dossier entreprise."), code="employer.forbidden")


def _held_at(day: date, *, zone: ZoneInfo, now: datetime) -> datetime:
    """A held action's day as a timeline moment (naive UTC): now if it is today, else midday."""
    local_now = now.replace(tzinfo=timezone.utc).astimezone(zone)
    if day == local_now.date():
        return now
    return datetime.combine(day, HELD_AT, tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)


# --------------------------------------------------------------------------- prospection


def plan_prospection(*, author: User, employer: Employer, kind: ProspectionKind, planned_on: date,
                     notes: str | None = "", today: date) -> ProspectionAction:
    """Plan a visit, a call or a forum with an employer."""
    _require_write(author, employer)
    if kind not in PLANNABLE_KINDS:
        raise DomainError(_l("Choisissez une visite, un appel ou un forum."), code="prospection.kind", field="kind")
    if planned_on < today:
        raise DomainError(_l("Une action se planifie aujourd'hui ou plus tard."), code="prospection.past",
                          field="planned_on")
    action = ProspectionAction(employer_id=employer.id, counselor_id=author.id, kind=kind, planned_on=planned_on,
                               notes=_notes(notes, code="prospection.notes") or None)
    db.session.add(action)
    flush()
    audit.record(user=author, action="prospection.plan", entity=action, employer=employer,
                 details={"kind": kind.value, "planned_on": planned_on.isoformat()})
    return action


def mark_prospection_done(*, author: User, action: ProspectionAction, done_on: date, today: date, zone: ZoneInfo,
                          expected_version: int | str | None, notes: str | None = "",
                          now: datetime | None = None) -> ProspectionAction:
    """Record that a planned action took place; it then shows on the employer's timeline
    (and counts as a contact)."""
    now = now or utcnow()
    employer = action.employer
    _require_write(author, employer)
    check_version(action, expected_version)
    if action.done_on is not None:
        raise DomainError(_l("Cette action est déjà réalisée."), code="prospection.already_done")
    if action.kind not in PLANNABLE_KINDS:
        raise DomainError(_l("Seules les visites, appels et forums se marquent réalisés."), code="prospection.kind")
    if done_on > today:
        raise DomainError(_l("Une action ne peut pas être réalisée dans le futur."), code="prospection.future",
                          field="done_on")
    extra = _notes(notes, code="prospection.notes")
    action.done_on = done_on
    if extra:
        action.notes = "\n".join(filter(None, [action.notes, extra]))
    flush()
    log_interaction(author=author, employer=employer, channel=PROSPECTION_CHANNEL[action.kind],
                    direction=Direction.OUTBOUND, kind=InteractionKind.PROSPECTION,
                    outcome=InteractionOutcome.DONE, notes=action.notes, occurred_at=_held_at(done_on, zone=zone, now=now),
                    now=now)
    audit.record(user=author, action="prospection.done", entity=action, employer=employer,
                 details={"kind": action.kind.value, "done_on": done_on.isoformat()})
    return action


def promote_profile(*, author: User, employer: Employer, job_seeker: JobSeeker, channel: Channel,
                    notes: str | None = "", today: date, now: datetime | None = None) -> ProspectionAction:
    """Present a job seeker's profile to an employer, traced on both files: a prospection
    action and an interaction on the employer, an interaction on the job seeker (not a
    contact with them: its outcome is « none », their last contact does not move)."""
    now = now or utcnow()
    _require_write(author, employer)
    if job_seeker_access(author, job_seeker) < Access.READ:
        raise DomainError(_l("Ce demandeur d'emploi n'est pas dans votre agence."), code="promotion.job_seeker",
                          field="job_seeker")
    if channel not in PROMOTION_CHANNELS:
        raise DomainError(_l("Choisissez comment le profil a été présenté."), code="promotion.channel",
                          field="channel")
    text = _notes(notes, code="promotion.notes")
    # The notes stored on both timelines are data, written in the service's language (French).
    action = ProspectionAction(employer_id=employer.id, counselor_id=author.id, kind=ProspectionKind.PROFILE_PROMOTION,
                               planned_on=today, done_on=today, job_seeker_id=job_seeker.id, notes=text or None)
    db.session.add(action)
    flush()
    log_interaction(author=author, employer=employer, channel=channel, direction=Direction.OUTBOUND,
                    kind=InteractionKind.PROFILE_PROMOTION, outcome=InteractionOutcome.DONE,
                    notes="\n".join(filter(None, [f"Profil présenté : {job_seeker.full_name}", text])),
                    now=now)
    log_interaction(author=author, job_seeker=job_seeker, channel=channel, direction=Direction.OUTBOUND,
                    kind=InteractionKind.PROFILE_PROMOTION, outcome=InteractionOutcome.NONE,
                    notes="\n".join(filter(None, [f"Profil présenté à {employer.name}", text])),
                    now=now)
    audit.record(user=author, action="prospection.profile_promotion", entity=action, employer=employer,
                 job_seeker=job_seeker)
    return action


# --------------------------------------------------------------------------- recruitment needs


def add_recruitment_need(*, author: User, employer: Employer, source: NeedSource, positions: int,
                         rome_code: str | None = None, expected_on: date | None = None, notes: str | None = "",
                         today: date) -> RecruitmentNeed:
    """A current or future recruitment need the employer declared."""
    _require_write(author, employer)
    if not 1 <= positions <= MAX_POSITIONS:
        raise DomainError(_l("Indiquez entre 1 et %(max)s postes.", max=MAX_POSITIONS), code="need.positions",
                          field="positions")
    code = (rome_code or "").strip().upper() or None
    if code is not None and db.session.get(RomeOccupation, code) is None:
        raise DomainError(_l("Ce code ROME n'existe pas."), code="need.rome", field="rome_code")
    need = RecruitmentNeed(employer_id=employer.id, rome_code=code, positions=positions, expected_on=expected_on,
                           source=source, declared_on=today,
                           notes=_notes(notes, code="need.notes", max_length=MAX_NEED_NOTES_LENGTH) or None)
    db.session.add(need)
    flush()
    audit.record(user=author, action="recruitment_need.create", entity=need, employer=employer,
                 details={"source": source.value, "positions": positions})
    return need


# --------------------------------------------------------------------------- reassignment


def can_reassign(user: User, employer: Employer) -> bool:
    """A director reassigns any employer of their agency; a team manager those of their team."""
    if user.agency_id is None or employer.agency_id != user.agency_id:
        return False
    if user.role is Role.DIRECTOR:
        return True
    return user.role is Role.TEAM_MANAGER and employer_access(user, employer) is Access.WRITE


def _check_target(actor: User, counselor: User) -> None:
    same_scope = counselor.agency_id == actor.agency_id and (
        actor.role is Role.DIRECTOR or (actor.team_id is not None and counselor.team_id == actor.team_id))
    if counselor.role is not Role.EMPLOYER_COUNSELOR or not counselor.is_active_account or not same_scope:
        raise DomainError(_l("Choisissez un conseiller entreprise de votre agence (de votre équipe pour un "
                             "responsable d'équipe)."), code="reassign.counselor", field="counselor")


def reassign_employers(*, actor: User, employers: Iterable[Employer], counselor: User, reason: str | None,
                       scope: dict[str, Any] | None = None,
                       expected_version: int | str | None = None) -> list[Employer]:
    """Give ``employers`` to ``counselor``; each change is audited with its reason.

    ``scope`` (e.g. the NAF section of a bulk reassignment) is kept in the audit details.
    ``expected_version``: the version one employer's page was rendered with (someone who
    changed the employer meanwhile is not overwritten). Employers already with that
    counselor are left as they are.
    """
    text = clean_text(reason, max_length=MAX_REASON_LENGTH, code="reassign.reason", field="reason",
                      required=_l("Indiquez le motif de la réaffectation."),
                      too_long=_l("Le motif est limité à %(max)s caractères.", max=MAX_REASON_LENGTH))
    _check_target(actor, counselor)
    changed = []
    for employer in employers:
        check_version(employer, expected_version)
        if not can_reassign(actor, employer):
            raise DomainError(_l("Vous ne pouvez pas réaffecter cette entreprise."), code="reassign.forbidden")
        if employer.counselor_id == counselor.id:
            continue
        previous = employer.counselor_id
        employer.counselor_id = counselor.id
        changed.append(employer)
        audit.record(user=actor, action="employer.reassign", entity=employer, reason=text,
                     details={"from": previous, "to": counselor.id, **(scope or {})})
    flush()
    return changed

"""Write operations on the job seeker file: modality changes and transfers, then the
profile (PPAE), barriers, action plan and consents.

Modality changes and transfers are decisions about the person's follow-up, not contacts with them: they are
traced in the audit trail with their reason (who, when, from what to what), not as
interactions, which would need a channel and would count in contact statistics. The
interview in which a change was decided is logged as an interaction of its own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm import clock
from crm.audit import services as audit
from crm.concurrency import check_version, flush
from crm.db import utcnow
from crm.enums import ContractType, Modality
from crm.errors import DomainError, clean_text
from crm.extensions import db
from crm.interactions.models import Task, TaskStatus
from crm.jobseekers.models import (
    ActionPlanItem, ActionStatus, Barrier, BarrierKind, ConsentKind, ConsentRecord, DigitalAutonomy, EducationLevel,
    JobSeeker, JobSeekerStatus, JobSeekerTarget,
)
from crm.organisation.models import Agency, Role

MAX_REASON_LENGTH = 255
# Who can be the referent (conseiller référent) of a job seeker.
REFERENT_ROLES = frozenset({Role.COUNSELOR, Role.PSYCHOLOGIST, Role.TEAM_MANAGER})


def change_modality(*, author: Any, job_seeker: JobSeeker, modality: Modality, reason: str,
                    expected_version: int | None, on: date | None = None) -> JobSeeker:
    """Move the person to another follow-up modality, with the reason, traced."""
    check_version(job_seeker, expected_version)
    reason = _require_reason(reason)
    require_active(job_seeker)
    if modality == job_seeker.modality:
        raise DomainError(_l("La personne est déjà suivie dans cette modalité."), code="modality.unchanged",
                          field="modality")
    previous = job_seeker.modality
    job_seeker.modality = modality
    job_seeker.modality_since = on or clock.today()
    flush()
    audit.record(user=author, action="job_seeker.modality_change", entity=job_seeker, reason=reason,
                 details={"from": previous.value, "to": modality.value})
    return job_seeker


def transfer_job_seeker(*, author: Any, job_seeker: JobSeeker, reason: str, expected_version: int | None,
                        referent: Any = None, agency: Agency | None = None,
                        now: datetime | None = None) -> JobSeeker:
    """Hand the person over to another referent and/or another agency, with the reason.

    A new referent alone keeps the agency only if they work there; otherwise the
    person follows them to their agency. A new agency without a referent leaves the
    person unassigned, for that agency's manager to allocate. Open tasks the former
    referent held about the person go to the new referent.
    """
    check_version(job_seeker, expected_version)
    reason = _require_reason(reason)
    require_active(job_seeker)
    if referent is None and agency is None:
        raise DomainError(_l("Choisissez un conseiller ou une agence."), code="transfer.nothing")
    if referent is not None:
        if referent.role not in REFERENT_ROLES or not referent.is_active_account:
            raise DomainError(_l("Ce membre de l'équipe ne peut pas être conseiller référent."),
                              code="transfer.referent_role", field="referent")
        if agency is None:
            agency_id = referent.agency_id
        elif referent.agency_id != agency.id:
            raise DomainError(_l("Le conseiller choisi ne travaille pas dans cette agence."),
                              code="transfer.referent_agency", field="referent")
        else:
            agency_id = agency.id
    else:
        agency_id = agency.id
    new_referent_id = referent.id if referent is not None else None
    if new_referent_id == job_seeker.referent_id and agency_id == job_seeker.agency_id:
        raise DomainError(_l("La personne est déjà suivie par ce conseiller dans cette agence."),
                          code="transfer.unchanged")
    details = {"from_referent_id": job_seeker.referent_id, "to_referent_id": new_referent_id,
               "from_agency_id": job_seeker.agency_id, "to_agency_id": agency_id}
    former_referent_id = job_seeker.referent_id
    job_seeker.referent_id = new_referent_id
    job_seeker.agency_id = agency_id
    flush()
    if former_referent_id is not None and new_referent_id is not None:
        db.session.execute(
            sa.update(Task)
            .where(Task.job_seeker_id == job_seeker.id, Task.owner_id == former_referent_id,
                   Task.status == TaskStatus.OPEN)
            .values(owner_id=new_referent_id, version=Task.version + 1)
            .execution_options(synchronize_session="fetch")
        )
    audit.record(user=author, action="job_seeker.transfer", entity=job_seeker, reason=reason, details=details)
    return job_seeker


def _require_reason(reason: str | None) -> str:
    return clean_text(reason, max_length=MAX_REASON_LENGTH, code="reason", field="reason",
                      required=_l("Indiquez le motif."),
                      too_long=_l("Le motif est limité à %(max)s caractères.", max=MAX_REASON_LENGTH))


def require_active(job_seeker: JobSeeker) -> None:
    """Refuses a change to the file of someone no longer registered."""
    if job_seeker.status != JobSeekerStatus.ACTIVE:
        raise DomainError(_l("Ce dossier est clos : la personne n'est plus inscrite."), code="job_seeker.exited")


# --------------------------------------------------------------------------- profile and PPAE
# Edits of the file by the counselor: the project (PPAE), barriers, action plan, consents.
# Each one is validated here (the form checks shapes, these check the rules), flushed
# (never committed) and traced in the audit trail.

MAX_TARGETS = 3
MAX_MOBILITY_KM = 200
MAX_EXPERIENCE_MONTHS = 600
MAX_LIST_ITEMS = 30
MAX_LIST_ITEM_LENGTH = 120
MAX_LABEL_LENGTH = 255
MAX_NOTES_LENGTH = 255

# The profile fields ``update_profile`` writes, in the order the audit lists them.
PROFILE_FIELDS = ("targets", "contract_types", "mobility_km", "education_level", "experience_months",
                  "languages", "skills", "work_axes", "digital_autonomy")


def update_profile(*, author: Any, job_seeker: JobSeeker, expected_version: int | str | None,
                   data: dict[str, Any]) -> JobSeeker:
    """Save the project (PPAE) part of the file.

    ``data`` holds the keys of ``PROFILE_FIELDS`` that change (others are left alone):
    ``targets`` is a list of ROME choices (``"M1607"`` or ``"M1607:38795"`` with an OGR
    appellation), at most 3, each occupation once, checked against the referential;
    ``contract_types`` a list of ``ContractType``; the three text lists are cleaned.
    Nothing is written if the file changed since the form was rendered.
    """
    check_version(job_seeker, expected_version)
    require_active(job_seeker)
    changed: list[str] = []
    if "targets" in data:
        if _set_targets(job_seeker, data["targets"]):
            changed.append("targets")
    values: dict[str, Any] = {}
    if "contract_types" in data:
        values["contract_types"] = sorted({ContractType(v).value for v in data["contract_types"] or []},
                                          key=ContractType.values().index)
    if "mobility_km" in data:
        values["mobility_km"] = _bounded_int(data["mobility_km"], 0, MAX_MOBILITY_KM, field="mobility_km",
                                             message=_l("Le rayon de mobilité va de 0 à %(max)s km.",
                                                        max=MAX_MOBILITY_KM))
    if "experience_months" in data:
        values["experience_months"] = _bounded_int(
            data["experience_months"], 0, MAX_EXPERIENCE_MONTHS, field="experience_months",
            message=_l("L'expérience va de 0 à %(max)s mois.", max=MAX_EXPERIENCE_MONTHS))
    if "education_level" in data:
        values["education_level"] = EducationLevel(data["education_level"])
    if "digital_autonomy" in data:
        values["digital_autonomy"] = DigitalAutonomy(data["digital_autonomy"])
    for name in ("languages", "skills", "work_axes"):
        if name in data:
            values[name] = clean_list(data[name], field=name)
    for name, value in values.items():
        if getattr(job_seeker, name) != value:
            setattr(job_seeker, name, value)
            changed.append(name)
    if not changed:
        return job_seeker
    if "targets" in changed and len(changed) == 1:
        job_seeker.updated_at = utcnow()  # the row itself must change so its version moves
    flush()
    audit.record(user=author, action="job_seeker.profile_update", entity=job_seeker,
                 details={"fields": [name for name in PROFILE_FIELDS if name in changed]})
    return job_seeker


def _set_targets(job_seeker: JobSeeker, choices: list[str]) -> bool:
    """Replace the target occupations, reusing the rows of occupations kept (the pair
    job seeker × occupation is unique). True when something changed."""
    from crm.referentials.search import find_choice

    wanted: list[tuple[str, str | None]] = []
    for value in choices or []:
        if not (value or "").strip():
            continue
        match = find_choice(value)
        if match is None:
            raise DomainError(_l("Code ROME inconnu : %(code)s.", code=value.strip()[:20]),
                              code="targets.unknown", field="targets")
        if any(rome == match.rome_code for rome, _ in wanted):
            raise DomainError(_l("Chaque métier ne peut être choisi qu'une fois (%(code)s).", code=match.rome_code),
                              code="targets.duplicate", field="targets")
        wanted.append((match.rome_code, match.appellation_code))
    if len(wanted) > MAX_TARGETS:
        raise DomainError(_l("Au plus %(max)s métiers recherchés.", max=MAX_TARGETS), code="targets.too_many",
                          field="targets")
    current = [(t.rome_code, t.appellation_code) for t in job_seeker.targets]
    if current == wanted:
        return False
    existing = {t.rome_code: t for t in job_seeker.targets}
    kept: list[JobSeekerTarget] = []
    for rank, (rome_code, appellation_code) in enumerate(wanted, start=1):
        target = existing.pop(rome_code, None) or JobSeekerTarget(rome_code=rome_code)
        target.appellation_code, target.rank = appellation_code, rank
        kept.append(target)
    job_seeker.targets = kept  # rows of dropped occupations are deleted (delete-orphan)
    return True


def clean_list(values: Any, *, field: str) -> list[str]:
    """Strip, drop empty entries and duplicates (case-insensitive), check sizes."""
    if isinstance(values, str):
        values = values.splitlines()
    cleaned: list[str] = []
    seen: set[str] = set()
    for value in values or []:
        text = " ".join(str(value).split())
        if not text or text.casefold() in seen:
            continue
        if len(text) > MAX_LIST_ITEM_LENGTH:
            raise DomainError(_l("Chaque ligne est limitée à %(max)s caractères.", max=MAX_LIST_ITEM_LENGTH),
                              code=f"{field}.length", field=field)
        seen.add(text.casefold())
        cleaned.append(text)
    if len(cleaned) > MAX_LIST_ITEMS:
        raise DomainError(_l("Au plus %(max)s lignes.", max=MAX_LIST_ITEMS), code=f"{field}.too_many", field=field)
    return cleaned


def _bounded_int(value: Any, low: int, high: int, *, field: str, message: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(message, code=f"{field}.range", field=field) from None
    if not low <= number <= high:
        raise DomainError(message, code=f"{field}.range", field=field)
    return number


def add_barrier(*, author: Any, job_seeker: JobSeeker, kind: BarrierKind, notes: str = "",
                on: date | None = None) -> Barrier:
    """Note a peripheral barrier (frein périphérique); one open barrier per kind."""
    require_active(job_seeker)
    kind = BarrierKind(kind)
    notes = _notes(notes)
    if any(b.kind == kind and b.resolved_on is None for b in job_seeker.barriers):
        raise DomainError(_l("Ce frein est déjà noté et n'est pas levé."), code="barrier.duplicate", field="kind")
    barrier = Barrier(kind=kind, noted_on=on or clock.today(), notes=notes or None)
    job_seeker.barriers.append(barrier)
    flush()
    audit.record(user=author, action="job_seeker.barrier_add", entity=barrier, details={"kind": kind.value})
    return barrier


def resolve_barrier(*, author: Any, job_seeker: JobSeeker, barrier: Barrier, on: date | None = None) -> Barrier:
    """Mark a barrier as resolved (levé) on ``on`` (today by default)."""
    require_active(job_seeker)
    if barrier.job_seeker_id != job_seeker.id:
        raise DomainError(code="barrier.not_found")
    if barrier.resolved_on is not None:
        raise DomainError(_l("Ce frein est déjà levé."), code="barrier.resolved")
    barrier.resolved_on = max(on or clock.today(), barrier.noted_on)
    flush()
    audit.record(user=author, action="job_seeker.barrier_resolve", entity=barrier,
                 details={"kind": barrier.kind.value})
    return barrier


def add_action_item(*, author: Any, job_seeker: JobSeeker, label: str, due_on: date | None = None) -> ActionPlanItem:
    """Add a step to the action plan (PPAE), to do."""
    require_active(job_seeker)
    label = clean_text(label, max_length=MAX_LABEL_LENGTH, code="label", field="label",
                       required=_l("Décrivez l'action."),
                       too_long=_l("L'intitulé est limité à %(max)s caractères.", max=MAX_LABEL_LENGTH))
    item = ActionPlanItem(label=label, due_on=due_on, status=ActionStatus.TODO,
                          created_by_id=getattr(author, "id", None))
    job_seeker.action_items.append(item)
    flush()
    audit.record(user=author, action="job_seeker.action_item_add", entity=item,
                 details={"due_on": due_on.isoformat() if due_on else None})
    return item


def set_action_item_status(*, author: Any, job_seeker: JobSeeker, item: ActionPlanItem, status: ActionStatus,
                           expected_version: int | str | None, on: date | None = None) -> ActionPlanItem:
    """Move an action plan item to ``status`` (the done date is kept while it is done)."""
    check_version(item, expected_version)
    require_active(job_seeker)
    if item.job_seeker_id != job_seeker.id:
        raise DomainError(code="action_item.not_found")
    status = ActionStatus(status)
    if status == item.status:
        raise DomainError(_l("L'action a déjà ce statut."), code="action_item.unchanged", field="status")
    previous = item.status
    item.status = status
    item.done_on = (on or clock.today()) if status == ActionStatus.DONE else None
    flush()
    audit.record(user=author, action="job_seeker.action_item_status", entity=item,
                 details={"from": previous.value, "to": status.value})
    return item


def record_consent(*, author: Any, job_seeker: JobSeeker, kind: ConsentKind, given: bool,
                   notes: str = "") -> ConsentRecord:
    """Record a consent given or withdrawn (or information delivered); records are
    never changed, the latest one per kind is the one in force."""
    consent = ConsentRecord(kind=ConsentKind(kind), given=bool(given), notes=_notes(notes) or None,
                            recorded_by_id=getattr(author, "id", None), recorded_at=utcnow())
    job_seeker.consents.append(consent)
    flush()
    audit.record(user=author, action="job_seeker.consent_record", entity=consent,
                 details={"kind": consent.kind.value, "given": consent.given})
    return consent


def _notes(notes: str | None) -> str:
    return clean_text(notes, max_length=MAX_NOTES_LENGTH, code="notes", field="notes",
                      too_long=_l("Les notes sont limitées à %(max)s caractères.", max=MAX_NOTES_LENGTH))

"""Test factories: plain functions with keyword-only arguments and sensible defaults.

Each builds one object (plus the parents it needs), adds it to ``db.session`` and
flushes (never commits: the ``db_session`` fixture rolls everything back). Extra
keyword arguments go straight to the model, so tests state only what matters to them.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from crm.employers.models import Employer
from crm.enums import ContractType, Modality
from crm.extensions import db
from crm.interactions.models import Appointment, AppointmentKind, AppointmentStatus, Task, TaskOrigin, TaskStatus
from crm.jobseekers.models import DigitalAutonomy, EducationLevel, Gender, JobSeeker, Nationality
from crm.offers.models import JobOffer, OfferStatus
from crm.organisation.models import Agency, Region, Role, Team, TerritorialDirection, User
from crm.organisation.passwords import hash_password
from crm.referentials.models import RomeDomain, RomeFamily, RomeOccupation

_sequence = itertools.count(1)
_password_hashes: dict[str, str] = {}  # Argon2 is slow on purpose: hash each test password once

DEFAULT = object()  # "build one for me", as opposed to an explicit None


def _add(obj: Any) -> Any:
    db.session.add(obj)
    db.session.flush()
    return obj


def password_hash(password: str) -> str:
    if password not in _password_hashes:
        _password_hashes[password] = hash_password(password)
    return _password_hashes[password]


# organisation

def make_region(*, code: str | None = None, name: str | None = None) -> Region:
    n = next(_sequence)
    return _add(Region(code=code or f"R{n}", name=name or f"Région {n}"))


def make_direction(*, region: Region | None = None, name: str | None = None) -> TerritorialDirection:
    region = region or make_region()
    return _add(TerritorialDirection(region_id=region.id, name=name or f"Direction territoriale {next(_sequence)}"))


def make_agency(*, name: str | None = None, direction: TerritorialDirection | None = None, **fields: Any) -> Agency:
    """An agency; no commune, bassin or direction unless given (no reference data needed)."""
    return _add(Agency(name=name or f"Agence {next(_sequence)}",
                       direction_id=direction.id if direction else None, **fields))


def make_team(agency: Agency | None = None, *, name: str | None = None, kind: str = "job_seekers",
              **fields: Any) -> Team:
    agency = agency or make_agency()
    return _add(Team(agency_id=agency.id, name=name or f"Équipe {next(_sequence)}", kind=kind, **fields))


def make_user(*, role: Role = Role.COUNSELOR, agency: Any = DEFAULT, team: Team | None = None,
              password: str | None = None, email: str | None = None, first_name: str = "Alex",
              last_name: str | None = None, active: bool = True, **fields: Any) -> User:
    """A staff member. By default in a new agency (``agency=None`` for none, e.g. an
    admin), or in ``team``'s agency; ``password`` is hashed (no password: cannot log in)."""
    n = next(_sequence)
    if agency is DEFAULT:
        agency = team.agency if team is not None else make_agency()
    return _add(User(
        role=role,
        agency_id=agency.id if agency is not None else None,
        team_id=team.id if team is not None else None,
        email=email or f"agent{n}@proxima.test",
        first_name=first_name,
        last_name=last_name or f"Agent{n}",
        password_hash=password_hash(password) if password else None,
        is_active_account=active,
        **fields,
    ))


# job seekers, tasks, appointments

def make_job_seeker(*, agency: Agency | None = None, referent: User | None = None, **fields: Any) -> JobSeeker:
    if agency is None:
        agency = referent.agency if referent is not None and referent.agency is not None else make_agency()
    n = next(_sequence)
    values: dict[str, Any] = dict(
        first_name="Camille", last_name=f"Martin{n}", birth_date=date(1990, 5, 17), gender=Gender.FEMALE,
        nationality=Nationality.FRENCH, registration_date=date(2025, 1, 6), modality=Modality.GUIDE,
        education_level=EducationLevel.BAC, digital_autonomy=DigitalAutonomy.PARTIAL,
    )
    values.update(fields)
    return _add(JobSeeker(agency_id=agency.id, referent_id=referent.id if referent else None, **values))


def make_task(*, owner: User, job_seeker: JobSeeker | None = None, employer: Employer | None = None,
              due_on: date = date(2026, 1, 10), status: TaskStatus = TaskStatus.OPEN,
              origin: TaskOrigin = TaskOrigin.MANUAL, title: str = "Rappeler", **fields: Any) -> Task:
    return _add(Task(owner_id=owner.id, job_seeker_id=job_seeker.id if job_seeker else None,
                     employer_id=employer.id if employer else None, due_on=due_on, status=status,
                     origin=origin, title=title, **fields))


def make_appointment(job_seeker: JobSeeker, *, scheduled_at: datetime, staff: User | None = None,
                     status: AppointmentStatus = AppointmentStatus.PLANNED,
                     kind: AppointmentKind = AppointmentKind.FOLLOW_UP, **fields: Any) -> Appointment:
    return _add(Appointment(job_seeker_id=job_seeker.id, scheduled_at=scheduled_at, status=status, kind=kind,
                            staff_id=staff.id if staff else None, **fields))


# employers and offers

def make_employer(*, agency: Agency | None = None, counselor: User | None = None, **fields: Any) -> Employer:
    if agency is None:
        agency = counselor.agency if counselor is not None and counselor.agency is not None else make_agency()
    n = next(_sequence)
    fields.setdefault("name", f"Entreprise {n}")
    fields.setdefault("siret", f"{n:014d}")
    return _add(Employer(agency_id=agency.id, counselor_id=counselor.id if counselor else None, **fields))


def make_rome_occupation(code: str = "M1607", *, label: str = "Secrétariat") -> RomeOccupation:
    """A ROME occupation with its family and domain (reused when it exists)."""
    existing = db.session.get(RomeOccupation, code)
    if existing is not None:
        return existing
    if db.session.get(RomeDomain, code[0]) is None:
        _add(RomeDomain(code=code[0], label=f"Domaine {code[0]}"))
    if db.session.get(RomeFamily, code[:3]) is None:
        _add(RomeFamily(code=code[:3], domain_code=code[0], label=f"Famille {code[:3]}"))
    return _add(RomeOccupation(code=code, family_code=code[:3], label=label))


def make_offer(*, employer: Employer | None = None, counselor: User | None = None, rome_code: str = "M1607",
               status: OfferStatus = OfferStatus.OPEN, created_on: date = date(2026, 1, 5),
               contract_type: ContractType = ContractType.CDI, **fields: Any) -> JobOffer:
    employer = employer or make_employer(counselor=counselor)
    make_rome_occupation(rome_code)
    fields.setdefault("title", "Assistant administratif")
    return _add(JobOffer(employer_id=employer.id, counselor_id=counselor.id if counselor else None,
                         rome_code=rome_code, status=status, created_on=created_on,
                         contract_type=contract_type, **fields))


# timeline: interactions, referrals, training proposals, benefit rights

def make_interaction(job_seeker: JobSeeker, *, occurred_at: datetime, kind: Any = None, outcome: Any = None,
                     channel: Any = None, direction: Any = None, author: User | None = None,
                     **fields: Any) -> Any:
    """A raw timeline row: derived dates (``last_contact_at``…) are not updated, use
    ``crm.interactions.services.log_interaction`` for that."""
    from crm.interactions.models import (
        ONLINE_KINDS, Channel, Direction, Interaction, InteractionKind, InteractionOutcome,
    )

    kind = kind or InteractionKind.FOLLOW_UP
    if channel is None:
        channel = Channel.ONLINE if kind in ONLINE_KINDS else Channel.PHONE
    return _add(Interaction(job_seeker_id=job_seeker.id, occurred_at=occurred_at, kind=kind,
                            outcome=outcome or InteractionOutcome.DONE, channel=channel,
                            direction=direction or Direction.OUTBOUND, author_id=author.id if author else None,
                            **fields))


def make_catalogue_item(*, kind: Any = None, title: str | None = None, **fields: Any) -> Any:
    """A catalogue item (a training by default; a partner service is a Mission locale by default)."""
    from crm.catalogue.models import CatalogueItem, CatalogueKind, PartnerKind

    kind = kind or CatalogueKind.TRAINING
    if kind == CatalogueKind.PARTNER_SERVICE:
        fields.setdefault("partner_kind", PartnerKind.MISSION_LOCALE)
    return _add(CatalogueItem(kind=kind, title=title or f"{kind.value} {next(_sequence)}", **fields))


def make_referral(job_seeker: JobSeeker, *, partner_item: Any = None,
                  referred_at: datetime = datetime(2025, 6, 2, 10), **fields: Any) -> Any:
    from crm.catalogue.models import CatalogueKind
    from crm.interactions.models import Referral

    partner_item = partner_item or make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE)
    return _add(Referral(job_seeker_id=job_seeker.id, partner_item_id=partner_item.id, referred_at=referred_at,
                         **fields))


def make_training_proposal(job_seeker: JobSeeker, *, training: Any = None,
                           proposed_at: datetime = datetime(2025, 1, 5, 10), **fields: Any) -> Any:
    """A training proposal (mentioned on ``proposed_at``; pass ``prescribed_at`` and
    ``started_on`` for the later steps of the funnel)."""
    from crm.enums import ItemKind
    from crm.interactions.models import Proposal

    training = training or make_catalogue_item()
    return _add(Proposal(job_seeker_id=job_seeker.id, item_kind=ItemKind.TRAINING, catalogue_item_id=training.id,
                         proposed_at=proposed_at, **fields))


def make_benefit_right(job_seeker: JobSeeker, *, start_on: date, end_on: date, kind: Any = None,
                       daily_amount: str = "42.50") -> Any:
    from decimal import Decimal

    from crm.jobseekers.models import BenefitKind, BenefitRight

    return _add(BenefitRight(job_seeker_id=job_seeker.id, kind=kind or BenefitKind.ARE, start_on=start_on,
                             end_on=end_on, daily_amount=Decimal(daily_amount)))


# offers, events (employer relations)

def make_commune(insee_code: str = "75056", *, name: str | None = None, latitude: float | None = 48.8566,
                 longitude: float | None = 2.3522, **fields: Any) -> Any:
    """A commune with its coordinates (reused when it exists)."""
    from crm.referentials.models import Commune

    existing = db.session.get(Commune, insee_code)
    if existing is not None:
        return existing
    return _add(Commune(insee_code=insee_code, name=name or f"Commune {insee_code}", latitude=latitude,
                        longitude=longitude, **fields))


def make_application(offer: JobOffer, job_seeker: JobSeeker, **fields: Any) -> Any:
    from crm.offers.models import Application

    return _add(Application(offer_id=offer.id, job_seeker_id=job_seeker.id, **fields))


def make_event_session(*, capacity: int = 10, starts_on: date = date(2030, 3, 2), event_kind: Any = None,
                       item: Any = None, **fields: Any) -> Any:
    """A session of an event (a job dating by default)."""
    from crm.catalogue.models import CatalogueKind, CatalogueSession, EventKind

    item = item or make_catalogue_item(kind=CatalogueKind.EVENT, event_kind=event_kind or EventKind.JOB_DATING)
    return _add(CatalogueSession(item_id=item.id, capacity=capacity, starts_on=starts_on, **fields))


# employer relations: referentials, needs, satisfaction, outcomes

def make_naf_code(code: str = "5610A", *, section: str = "I", label: str = "Restauration traditionnelle") -> Any:
    """A NAF code with its section (reused when it exists)."""
    from crm.referentials.models import NafCode, NafSection

    if db.session.get(NafSection, section) is None:
        _add(NafSection(code=section, label=f"Section {section}"))
    return db.session.get(NafCode, code) or _add(NafCode(code=code, section_code=section, label=label))


def make_recruitment_need(employer: Employer, *, declared_on: date = date(2026, 1, 5), source: Any = None,
                          **fields: Any) -> Any:
    from crm.employers.models import NeedSource, RecruitmentNeed

    return _add(RecruitmentNeed(employer_id=employer.id, declared_on=declared_on, source=source or NeedSource.BMO,
                                **fields))


def make_satisfaction_answer(employer: Employer, *, answered_on: date = date(2025, 11, 3),
                             would_recommend: bool = True, score: int = 8, **fields: Any) -> Any:
    from crm.employers.models import SatisfactionAnswer

    return _add(SatisfactionAnswer(employer_id=employer.id, answered_on=answered_on,
                                   would_recommend=would_recommend, score=score, **fields))


def make_outcome_episode(job_seeker: JobSeeker, *, start_on: date, employer: Employer | None = None,
                         kind: Any = None, **fields: Any) -> Any:
    from crm.outcomes.models import OutcomeEpisode, OutcomeKind

    return _add(OutcomeEpisode(job_seeker_id=job_seeker.id, start_on=start_on, kind=kind or OutcomeKind.EMPLOYMENT,
                               employer_id=employer.id if employer else None, **fields))


# model registry: versions and the priority scores they publish

def make_model_version(*, kind: Any = None, status: Any = None, version: str | None = None,
                       as_of: date = date(2026, 11, 20), **fields: Any) -> Any:
    """A model version (a published job-seeker priority model by default)."""
    from crm.modelregistry.models import ModelKind, ModelStatus, ModelVersion

    status = status or ModelStatus.PUBLISHED
    if status == ModelStatus.PUBLISHED:
        fields.setdefault("published_at", datetime(as_of.year, as_of.month, as_of.day, 3, 0))
    return _add(ModelVersion(kind=kind or ModelKind.JOB_SEEKER_PRIORITY, status=status,
                             version=version or f"v{next(_sequence)}", as_of=as_of, **fields))


def make_priority_score(version: Any, *, job_seeker: JobSeeker | None = None, employer: Employer | None = None,
                        rank: int | None = 1, score: float = 0.5, scored_on: date | None = None,
                        reasons: list[dict[str, Any]] | None = None, **fields: Any) -> Any:
    """A score of ``version`` for a job seeker or an employer; the counselor is the party's own."""
    from crm.modelregistry.models import PriorityScore

    counselor_id = job_seeker.referent_id if job_seeker is not None else (employer.counselor_id if employer else None)
    return _add(PriorityScore(
        model_version_id=version.id, scored_on=scored_on or version.as_of,
        job_seeker_id=job_seeker.id if job_seeker is not None else None,
        employer_id=employer.id if employer is not None else None, counselor_id=counselor_id, score=score,
        rank=rank, reasons=reasons if reasons is not None else [], **fields))

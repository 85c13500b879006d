"""Offers from intake to hire: the offer lifecycle, the mises en relation (MER) and
the pre-selection of candidates.

Both lifecycles are state machines written as maps from a target state to the set of
states it may be reached from; any other change raises ``IllegalTransitionError``.
Services take the acting user explicitly, ``flush()`` and never commit. Every MER
event is traced on the job seeker's and the employer's timelines and audited; a hire
closes the loop (an employment outcome on the job seeker, the offer filled when its
positions are).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from crm import clock
from crm.access import visible_job_seekers
from crm.audit import services as audit
from crm.concurrency import check_version, flush
from crm.db import utcnow
from crm.employers.models import Employer
from crm.enums import ContractType
from crm.errors import DomainError, IllegalTransitionError, clean_text
from crm.extensions import db
from crm.interactions.models import Channel, Direction, InteractionKind, InteractionOrigin, InteractionOutcome
from crm.interactions.services import log_interaction
from crm.labels import label
from crm.jobseekers.models import JobSeeker, JobSeekerStatus, JobSeekerTarget
from crm.offers.models import Application, ApplicationOrigin, ApplicationStatus, JobOffer, OfferStatus, RefusalReason
from crm.outcomes.models import OutcomeEpisode, OutcomeKind
from crm.referentials.models import Commune, RomeOccupation

# Seed 001: offers not filled after 15 days are shared with partners.
SHARE_AFTER_DAYS = 15
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 10000
MAX_FEEDBACK_LENGTH = 5000
MAX_POSITIONS = 500
MAX_RADIUS_KM = 200
EARTH_RADIUS_KM = 6371.0

# --------------------------------------------------------------------------- state machines

OFFER_TRANSITIONS: Mapping[OfferStatus, frozenset[OfferStatus]] = {
    OfferStatus.DRAFT: frozenset(),
    OfferStatus.OPEN: frozenset({OfferStatus.DRAFT}),
    OfferStatus.FILLED: frozenset({OfferStatus.OPEN}),
    OfferStatus.CANCELLED: frozenset({OfferStatus.DRAFT, OfferStatus.OPEN}),
    OfferStatus.EXPIRED: frozenset({OfferStatus.OPEN}),
}
EDITABLE_OFFER_STATUSES = frozenset({OfferStatus.DRAFT, OfferStatus.OPEN})

APPLICATION_TRANSITIONS: Mapping[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.PROPOSED: frozenset(),
    ApplicationStatus.SENT: frozenset({ApplicationStatus.PROPOSED}),
    ApplicationStatus.INTERVIEW: frozenset({ApplicationStatus.SENT}),
    ApplicationStatus.HIRED: frozenset({ApplicationStatus.SENT, ApplicationStatus.INTERVIEW}),
    ApplicationStatus.REFUSED: frozenset({ApplicationStatus.PROPOSED, ApplicationStatus.SENT,
                                          ApplicationStatus.INTERVIEW}),
    ApplicationStatus.WITHDRAWN: frozenset({ApplicationStatus.PROPOSED, ApplicationStatus.SENT,
                                            ApplicationStatus.INTERVIEW}),
}
FINAL_APPLICATION_STATUSES = frozenset({ApplicationStatus.HIRED, ApplicationStatus.REFUSED,
                                        ApplicationStatus.WITHDRAWN})
# Moving a candidate forward needs an open offer; closing a candidacy never does.
NEEDS_OPEN_OFFER = frozenset({ApplicationStatus.SENT, ApplicationStatus.INTERVIEW, ApplicationStatus.HIRED})


def allowed_offer_transitions(status: OfferStatus) -> list[OfferStatus]:
    return [target for target, sources in OFFER_TRANSITIONS.items() if status in sources]


def allowed_application_transitions(status: ApplicationStatus) -> list[ApplicationStatus]:
    return [target for target, sources in APPLICATION_TRANSITIONS.items() if status in sources]


def _offer_transition_error(offer: JobOffer, target: OfferStatus) -> IllegalTransitionError:
    return IllegalTransitionError(
        _l("Une offre « %(current)s » ne peut pas passer à « %(target)s ».",
           current=label(offer.status), target=label(target)),
        code="offer.transition")


# --------------------------------------------------------------------------- offers


@dataclass(frozen=True)
class OfferFields:
    """What the intake form gathers (validated by ``create_offer`` / ``update_offer``)."""

    title: str
    rome_code: str
    contract_type: ContractType
    positions: int = 1
    commune_insee: str | None = None
    description: str | None = None
    contract_months: int | None = None
    hours_per_week: int | None = None


def _validated(fields: OfferFields) -> dict[str, Any]:
    title = clean_text(fields.title, max_length=MAX_TITLE_LENGTH, code="offer.title", field="title",
                       required=_l("Indiquez l'intitulé de l'offre."),
                       too_long=_l("L'intitulé est limité à %(max)s caractères.", max=MAX_TITLE_LENGTH))
    description = clean_text(fields.description, max_length=MAX_DESCRIPTION_LENGTH, code="offer.description",
                             field="description",
                             too_long=_l("La description est limitée à %(max)s caractères.",
                                         max=MAX_DESCRIPTION_LENGTH))
    rome_code = (fields.rome_code or "").strip().upper()
    if not rome_code or db.session.get(RomeOccupation, rome_code) is None:
        raise DomainError(_l("Ce code ROME n'existe pas."), code="offer.rome_code", field="rome_code")
    commune = (fields.commune_insee or "").strip().upper() or None
    if commune is not None and db.session.get(Commune, commune) is None:
        raise DomainError(_l("Cette commune (code INSEE) est inconnue."), code="offer.commune",
                          field="commune_insee")
    if not isinstance(fields.contract_type, ContractType):
        raise DomainError(_l("Choisissez le type de contrat."), code="offer.contract_type", field="contract_type")
    if fields.positions is None or not 1 <= fields.positions <= MAX_POSITIONS:
        raise DomainError(_l("Le nombre de postes doit être compris entre 1 et %(max)s.", max=MAX_POSITIONS),
                          code="offer.positions", field="positions")
    if fields.contract_months is not None and not 1 <= fields.contract_months <= 120:
        raise DomainError(_l("La durée du contrat doit être comprise entre 1 et 120 mois."),
                          code="offer.contract_months", field="contract_months")
    if fields.hours_per_week is not None and not 1 <= fields.hours_per_week <= 48:
        raise DomainError(_l("La durée hebdomadaire doit être comprise entre 1 et 48 heures."),
                          code="offer.hours_per_week", field="hours_per_week")
    return {"title": title, "description": description or None, "rome_code": rome_code, "commune_insee": commune,
            "contract_type": fields.contract_type, "positions": fields.positions,
            "contract_months": fields.contract_months, "hours_per_week": fields.hours_per_week}


def create_offer(*, author: Any, employer: Employer, fields: OfferFields, today: date | None = None) -> JobOffer:
    """Take an offer (recueil de l'offre): a draft, in the name of the acting counselor."""
    today = today or clock.today()
    offer = JobOffer(employer_id=employer.id, counselor_id=author.id, created_on=today, status=OfferStatus.DRAFT,
                     accompanied=False, **_validated(fields))
    db.session.add(offer)
    flush()
    audit.record(user=author, action="offer.create", entity=offer, employer=employer)
    return offer


def update_offer(*, author: Any, offer: JobOffer, expected_version: int | str | None,
                 fields: OfferFields) -> JobOffer:
    check_version(offer, expected_version)
    if offer.status not in EDITABLE_OFFER_STATUSES:
        raise IllegalTransitionError(_l("Une offre close ne se modifie plus."), code="offer.closed")
    values = _validated(fields)
    hires = hired_count(offer)
    if values["positions"] < hires:
        raise DomainError(_l("L'offre compte déjà %(num)s embauche(s) : le nombre de postes ne peut pas être "
                             "inférieur.", num=hires), code="offer.positions_below_hires", field="positions")
    changed = sorted(name for name, value in values.items() if getattr(offer, name) != value)
    for name, value in values.items():
        setattr(offer, name, value)
    flush()
    audit.record(user=author, action="offer.update", entity=offer, employer=offer.employer,
                 details={"fields": changed})
    return offer


def change_offer_status(*, author: Any, offer: JobOffer, status: OfferStatus, expected_version: int | str | None,
                        accompanied: bool | None = None, today: date | None = None) -> JobOffer:
    """Move an offer along its lifecycle. Opening it publishes it (``accompanied``: with
    the counselor's accompaniment or not); closing it dates the closure."""
    today = today or clock.today()
    check_version(offer, expected_version)
    if offer.status not in OFFER_TRANSITIONS[status]:
        raise _offer_transition_error(offer, status)
    previous = offer.status
    offer.status = status
    if status == OfferStatus.OPEN:
        offer.published_on = today
        offer.accompanied = bool(accompanied)
    elif status == OfferStatus.FILLED:
        offer.filled_on = today
        offer.closed_on = today
    else:
        offer.closed_on = today
    flush()
    audit.record(user=author, action="offer.status", entity=offer, employer=offer.employer,
                 details={"from": previous.value, "to": status.value})
    return offer


def opened_on(offer: JobOffer) -> date:
    """The day the offer started waiting for candidates (its publication, or its intake)."""
    return offer.published_on or offer.created_on


def time_to_fill(offer: JobOffer) -> int | None:
    """Délai de satisfaction: days from publication (or intake) to filled; ``None`` if not filled."""
    if offer.filled_on is None:
        return None
    return (offer.filled_on - opened_on(offer)).days


def days_open(offer: JobOffer, *, today: date) -> int:
    return (today - opened_on(offer)).days


def needs_sharing(offer: JobOffer, *, today: date) -> bool:
    """Seed 001: an offer open for more than 15 days without being filled is shared with partners."""
    return offer.status == OfferStatus.OPEN and days_open(offer, today=today) > SHARE_AFTER_DAYS


def to_share_clause(*, today: date) -> sa.ColumnElement[bool]:
    """SQL twin of ``needs_sharing``."""
    limit = today - timedelta(days=SHARE_AFTER_DAYS + 1)
    return sa.and_(JobOffer.status == OfferStatus.OPEN,
                   sa.func.coalesce(JobOffer.published_on, JobOffer.created_on) <= limit)


def mark_shared(*, author: Any, offer: JobOffer, expected_version: int | str | None,
                today: date | None = None) -> JobOffer:
    today = today or clock.today()
    check_version(offer, expected_version)
    if not needs_sharing(offer, today=today):
        raise DomainError(_l("Seules les offres ouvertes depuis plus de %(days)s jours se partagent avec les "
                             "partenaires.", days=SHARE_AFTER_DAYS), code="offer.share_too_early")
    if offer.shared_with_partners_on is not None:
        raise DomainError(_l("Cette offre a déjà été partagée avec les partenaires."), code="offer.already_shared")
    offer.shared_with_partners_on = today
    flush()
    audit.record(user=author, action="offer.share", entity=offer, employer=offer.employer)
    return offer


def hired_count(offer: JobOffer) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Application).where(
        Application.offer_id == offer.id, Application.status == ApplicationStatus.HIRED)) or 0


# --------------------------------------------------------------------------- mises en relation


def _trace(*, author: Any, application: Application, note: str, employer_contact: bool, now: datetime) -> None:
    """Put a MER event on both timelines. On the job seeker's side it is a trace, not a
    contact (outcome « sans suite »); on the employer's side a candidate sent or an
    employer's answer is a contact with the firm."""
    offer = application.offer
    log_interaction(author=author, job_seeker=application.job_seeker, channel=Channel.EMAIL,
                    kind=InteractionKind.APPLICATION, outcome=InteractionOutcome.NONE,
                    direction=Direction.OUTBOUND, notes=note, occurred_at=now, origin=InteractionOrigin.SYSTEM,
                    offer_id=offer.id, application_id=application.id, now=now)
    log_interaction(author=author, employer=offer.employer, channel=Channel.EMAIL,
                    kind=InteractionKind.CANDIDATE_PRESENTATION,
                    outcome=InteractionOutcome.DONE if employer_contact else InteractionOutcome.NONE,
                    direction=Direction.OUTBOUND, notes=note, occurred_at=now, origin=InteractionOrigin.SYSTEM,
                    offer_id=offer.id, application_id=application.id, now=now)


def _note(application: Application, status: ApplicationStatus, extra: Any = None) -> str:
    text = f"{label(status)} · {application.offer.title} · {application.job_seeker.full_name}"
    return f"{text} — {extra}" if extra else text


def create_application(*, author: Any, offer: JobOffer, job_seeker: JobSeeker,
                       origin: ApplicationOrigin = ApplicationOrigin.COUNSELOR,
                       now: datetime | None = None) -> Application:
    """Add a candidate to an open offer (a proposed MER)."""
    now = now or utcnow()
    if offer.status != OfferStatus.OPEN:
        raise IllegalTransitionError(_l("Les candidats s'ajoutent à une offre ouverte."), code="application.offer_closed")
    if job_seeker.status != JobSeekerStatus.ACTIVE or job_seeker.anonymised_at is not None:
        raise DomainError(_l("Cette personne n'est plus inscrite."), code="application.inactive")
    if job_seeker.agency_id != offer.employer.agency_id:
        raise DomainError(_l("Cette personne n'est pas suivie par l'agence de l'entreprise."),
                          code="application.agency")
    existing = db.session.scalar(sa.select(Application.id).where(Application.offer_id == offer.id,
                                                                 Application.job_seeker_id == job_seeker.id))
    if existing is not None:
        raise DomainError(_l("Cette personne est déjà candidate sur cette offre."), code="application.duplicate")
    application = Application(offer_id=offer.id, job_seeker_id=job_seeker.id, created_at=now,
                              created_by_id=author.id, origin=origin, status=ApplicationStatus.PROPOSED)
    application.offer = offer
    application.job_seeker = job_seeker
    db.session.add(application)
    flush()
    _trace(author=author, application=application, note=_note(application, ApplicationStatus.PROPOSED),
           employer_contact=False, now=now)
    audit.record(user=author, action="application.create", entity=application, employer=offer.employer,
                 details={"origin": origin.value})
    return application


def change_application_status(*, author: Any, application: Application, status: ApplicationStatus,
                              expected_version: int | str | None, refusal_reason: RefusalReason | None = None,
                              feedback: str | None = None, hire_start_on: date | None = None,
                              now: datetime | None = None) -> Application:
    """Move a MER along proposed → sent → interview → hired / refused / withdrawn.

    A refusal needs its reason. A hire needs an open offer; it records an employment
    outcome on the job seeker (starting ``hire_start_on``, today by default) and fills
    the offer once hires reach its positions.
    """
    now = now or utcnow()
    today = clock.local_date(now)
    check_version(application, expected_version)
    offer = application.offer
    if application.status not in APPLICATION_TRANSITIONS[status]:
        raise IllegalTransitionError(
            _l("Une mise en relation « %(current)s » ne peut pas passer à « %(target)s ».",
               current=label(application.status), target=label(status)),
            code="application.transition")
    if status in NEEDS_OPEN_OFFER and offer.status != OfferStatus.OPEN:
        raise IllegalTransitionError(_l("L'offre n'est plus ouverte : cette mise en relation ne peut que se clore "
                                        "(refus ou retrait)."), code="application.offer_closed")
    if status == ApplicationStatus.REFUSED and not isinstance(refusal_reason, RefusalReason):
        raise DomainError(_l("Indiquez le motif du refus."), code="application.refusal_reason",
                          field="refusal_reason")
    feedback = clean_text(feedback, max_length=MAX_FEEDBACK_LENGTH, code="application.feedback", field="feedback",
                          too_long=_l("Le retour de l'entreprise est limité à %(max)s caractères.",
                                      max=MAX_FEEDBACK_LENGTH))
    start_on = hire_start_on or today
    if status == ApplicationStatus.HIRED and not today - timedelta(days=365) <= start_on <= today + timedelta(days=365):
        raise DomainError(_l("La date d'embauche doit être dans l'année qui entoure aujourd'hui."),
                          code="application.hire_date", field="hire_start_on")
    previous = application.status
    application.status = status
    if status == ApplicationStatus.REFUSED:
        application.refusal_reason = refusal_reason
    if feedback:
        application.employer_feedback = feedback
    if status in FINAL_APPLICATION_STATUSES:
        application.outcome_date = today
    flush()
    if status == ApplicationStatus.HIRED:
        _close_the_loop(author=author, application=application, start_on=start_on, today=today)
    extra = label(refusal_reason) if status == ApplicationStatus.REFUSED else None
    _trace(author=author, application=application, note=_note(application, status, extra),
           employer_contact=status != ApplicationStatus.WITHDRAWN, now=now)
    audit.record(user=author, action="application.status", entity=application, employer=offer.employer,
                 details={"from": previous.value, "to": status.value,
                          **({"reason": refusal_reason.value} if status == ApplicationStatus.REFUSED else {})})
    return application


def record_feedback(*, author: Any, application: Application, expected_version: int | str | None,
                    feedback: str) -> Application:
    """The employer's feedback on a candidate, at any step."""
    check_version(application, expected_version)
    application.employer_feedback = clean_text(
        feedback, max_length=MAX_FEEDBACK_LENGTH, code="application.feedback", field="feedback",
        required=_l("Saisissez le retour de l'entreprise."),
        too_long=_l("Le retour de l'entreprise est limité à %(max)s caractères.", max=MAX_FEEDBACK_LENGTH))
    flush()
    audit.record(user=author, action="application.feedback", entity=application,
                 employer=application.offer.employer)
    return application


def _close_the_loop(*, author: Any, application: Application, start_on: date, today: date) -> None:
    offer = application.offer
    episode = OutcomeEpisode(job_seeker_id=application.job_seeker_id, kind=OutcomeKind.EMPLOYMENT,
                             start_on=start_on, contract_type=offer.contract_type, rome_code=offer.rome_code,
                             employer_id=offer.employer_id, application_id=application.id)
    db.session.add(episode)
    flush()
    audit.record(user=author, action="outcome.create", entity=episode)
    if hired_count(offer) >= offer.positions:
        offer.status = OfferStatus.FILLED
        offer.filled_on = today
        offer.closed_on = today
        flush()
        audit.record(user=author, action="offer.status", entity=offer, employer=offer.employer,
                     details={"from": OfferStatus.OPEN.value, "to": OfferStatus.FILLED.value, "by": "hire"})


# --------------------------------------------------------------------------- pre-selection


@dataclass(frozen=True)
class CandidateSearch:
    """Pre-selection criteria: ``rome_scope`` ``"code"`` (the offer's occupation) or
    ``"family"`` (its ROME family); a radius around ``commune_insee`` (the offer's
    commune by default); people available by ``available_by``."""

    rome_scope: str = "code"
    commune_insee: str | None = None
    radius_km: int | None = None
    available_by: date | None = None
    limit: int = 50


@dataclass(frozen=True)
class Candidate:
    job_seeker: JobSeeker
    distance_km: float | None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def search_candidates(*, user: Any, offer: JobOffer, criteria: CandidateSearch) -> list[Candidate]:
    """Active job seekers of the user's agency targeting the offer's occupation (or its
    family), within the radius, available in time, not already candidates; nearest first
    (the recommender ranks them later)."""
    if criteria.rome_scope not in ("code", "family"):
        raise DomainError(_l("Portée de métier inconnue."), code="preselection.scope", field="rome_scope")
    if criteria.radius_km is not None and not 0 <= criteria.radius_km <= MAX_RADIUS_KM:
        raise DomainError(_l("Le rayon doit être compris entre 0 et %(max)s km.", max=MAX_RADIUS_KM),
                          code="preselection.radius", field="radius_km")
    centre = None
    commune_code = (criteria.commune_insee or "").strip() or offer.commune_insee
    if commune_code:
        centre = db.session.get(Commune, commune_code)
        if centre is None:
            raise DomainError(_l("Cette commune (code INSEE) est inconnue."), code="preselection.commune",
                              field="commune_insee")
    if criteria.rome_scope == "code":
        target_match = JobSeekerTarget.rome_code == offer.rome_code
    else:
        target_match = JobSeekerTarget.rome_code.in_(
            sa.select(RomeOccupation.code).where(RomeOccupation.family_code == offer.rome_code[:3]))
    already = sa.select(Application.job_seeker_id).where(Application.offer_id == offer.id)
    statement = (
        sa.select(JobSeeker, Commune.latitude, Commune.longitude)
        .outerjoin(Commune, Commune.insee_code == JobSeeker.commune_insee)
        .where(visible_job_seekers(user), JobSeeker.status == JobSeekerStatus.ACTIVE,
               JobSeeker.anonymised_at.is_(None), JobSeeker.agency_id == offer.employer.agency_id,
               JobSeeker.id.in_(sa.select(JobSeekerTarget.job_seeker_id).where(target_match)),
               JobSeeker.id.not_in(already))
        .options(joinedload(JobSeeker.commune))
    )
    if criteria.available_by is not None:
        statement = statement.where(sa.or_(JobSeeker.available_from.is_(None),
                                           JobSeeker.available_from <= criteria.available_by))
    use_radius = criteria.radius_km is not None and centre is not None and centre.latitude is not None
    if use_radius:
        # A bounding box in SQL (portable: no trigonometry in SQLite), the exact distance in Python.
        lat_delta = criteria.radius_km / 111.0
        lon_delta = criteria.radius_km / max(111.0 * math.cos(math.radians(centre.latitude)), 1e-6)
        statement = statement.where(Commune.latitude.between(centre.latitude - lat_delta,
                                                             centre.latitude + lat_delta),
                                    Commune.longitude.between(centre.longitude - lon_delta,
                                                              centre.longitude + lon_delta))
    candidates = []
    for person, lat, lon in db.session.execute(statement).unique():
        distance = None
        if centre is not None and centre.latitude is not None and lat is not None:
            distance = haversine_km(centre.latitude, centre.longitude, lat, lon)
        if use_radius and (distance is None or distance > criteria.radius_km):
            continue
        candidates.append(Candidate(person, None if distance is None else round(distance, 1)))
    candidates.sort(key=lambda c: (c.distance_km is None, c.distance_km or 0.0, c.job_seeker.last_name,
                                   c.job_seeker.id))
    return candidates[:criteria.limit]

"""The API's handlers. Each reads like a page's view: load what the user may touch
(404 outside their scope, 403 when read-only), call one service, answer JSON. The
route, its query, its body and its responses are declared together (``operation``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from crm.access import (
    Access, employer_access, job_seeker_access, visible_employers, visible_job_seekers, writable_job_seekers,
)
from crm.api import ApiError, operation
from crm.api.schemas import (
    INT32_MAX, Field, ObjectSpec, ValidationFailed, ref, serialize_application, serialize_employer, serialize_entry,
    serialize_file, serialize_interaction, serialize_me, serialize_offer, serialize_priority_entry,
    serialize_priority_feedback, serialize_proposal, serialize_recommendation_feedback, serialize_summary,
)
from crm.audit.services import record
from crm.catalogue.models import CatalogueItem, CatalogueSession
from crm.employers.models import Employer
from crm.enums import ContractType, ItemKind, Modality
from crm.extensions import db
from crm.interactions import services as timeline
from crm.interactions.forms import MANUAL_CHANNELS, MANUAL_KINDS, OUTCOME_CHANNELS, kind_fits_channel
from crm.interactions.models import Channel, Direction, FeedbackAction, InteractionKind, InteractionOutcome
from crm.interactions.queries import timeline_page
from crm.interactions.services import MAX_ARGUMENT_LENGTH, MAX_ARGUMENTS, MAX_NOTES_LENGTH
from crm.jobseekers.alerts import alerts_for
from crm.jobseekers.file import benefit_lines, preload_file
from crm.jobseekers.models import JobSeeker
from crm.jobseekers.queries import SORTS, PortfolioFilters, portfolio_page
from crm.offers import services as offers
from crm.offers.models import JobOffer, OfferStatus
from crm.organisation.models import Role, User
from crm.priority import services as priority
from crm.priority.queries import EMPLOYERS, JOB_SEEKERS, PriorityFilters, current_score, priority_list
from crm.recommendations.services import DISCARD_REASONS, NOT_RELEVANT_REASONS
from crm.clock import current_day

PORTFOLIO_ROLES = (Role.COUNSELOR, Role.BENEFITS_COUNSELOR, Role.TEAM_MANAGER, Role.DIRECTOR)
EMPLOYER_ROLES = (Role.EMPLOYER_COUNSELOR, Role.TEAM_MANAGER, Role.DIRECTOR)
INTAKE_ROLES = (Role.EMPLOYER_COUNSELOR, Role.TEAM_MANAGER)
STAFF = (Role.COUNSELOR, Role.EMPLOYER_COUNSELOR, Role.BENEFITS_COUNSELOR, Role.PSYCHOLOGIST, Role.TEAM_MANAGER,
         Role.DIRECTOR)

JOB_SEEKER_PARAM = {"job_seeker_id": {
    "type": "string", "pattern": r"^([1-9][0-9]{0,8}|ext:[A-Za-z0-9._-]{1,64})$",
    "description": "Proxima id (`42`) or the source system's external id prefixed with `ext:` (`ext:DE-0042`)."}}
OFFER_PARAM = {"offer_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX}}


def _page_fields(default_per_page: int = 50) -> dict[str, Field]:
    return {"page": Field("integer", "Page number, from 1.", minimum=1, maximum=100000, default=1),
            "per_page": Field("integer", "Items per page (at most 100).", minimum=1, maximum=100,
                              default=default_per_page)}


def _page(items: list[Any], *, page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def _level(access: Access) -> str:
    return "write" if access is Access.WRITE else "read"


# --------------------------------------------------------------------------- loading, scoped


def _job_seeker(user: User, ref_: str, *, need: Access, audit: str | None = "job_seeker.read") -> JobSeeker:
    if ref_.startswith("ext:"):
        person = db.session.scalars(sa.select(JobSeeker).where(JobSeeker.external_id == ref_[4:])).first()
    elif ref_.isdigit() and int(ref_) <= INT32_MAX:
        person = db.session.get(JobSeeker, int(ref_))
    else:
        person = None
    if person is None or person.anonymised_at is not None:
        raise ApiError(404)
    access = job_seeker_access(user, person)
    if access is Access.NONE:
        raise ApiError(404)
    if access < need:
        raise ApiError(403, "read_only", _l("Vous pouvez consulter ce dossier, pas le modifier."))
    if audit:
        if access is Access.READ:
            _record_access_reason(user, person)
        record(user=user, action=audit, entity=person)
    return person


REASON_HEADER, COMMENT_HEADER = "X-Access-Reason", "X-Access-Comment"


def _record_access_reason(user: User, person: JobSeeker) -> None:
    """A file outside the user's portfolio is read with a reason, as on the pages: the
    ``X-Access-Reason`` header (a code of ``crm.jobseekers.access_reasons.REASONS``; with
    ``other``, ``X-Access-Comment`` says why), kept in the audit trail."""
    from crm.jobseekers.access_reasons import ACTION, MAX_COMMENT_LENGTH, REASONS

    code = (request.headers.get(REASON_HEADER) or "").strip()
    comment = (request.headers.get(COMMENT_HEADER) or "").strip()[:MAX_COMMENT_LENGTH]
    if code not in REASONS or (code == "other" and not comment):
        raise ApiError(403, "reason_required", _l(
            "Ce dossier n'est pas dans votre portefeuille : indiquez le motif de la consultation dans l'en-tête "
            "%(header)s (%(codes)s ; avec « other », précisez-le dans %(comment)s).", header=REASON_HEADER,
            codes=", ".join(REASONS), comment=COMMENT_HEADER))
    record(user=user, action=ACTION, entity=person, reason=comment or None,
           details={"reason_code": code})


def _employer(user: User, employer_id: int, *, need: Access) -> Employer:
    employer = db.session.get(Employer, employer_id) if employer_id <= INT32_MAX else None
    if employer is None or employer_access(user, employer) is Access.NONE:
        raise ApiError(404)
    if employer_access(user, employer) < need:
        raise ApiError(403, "read_only", _l("Vous pouvez consulter cette entreprise, pas la modifier."))
    return employer


def _offer(user: User, offer_id: int, *, need: Access, audit: str | None = None) -> JobOffer:
    offer = db.session.get(JobOffer, offer_id) if offer_id <= INT32_MAX else None
    if offer is None:
        raise ApiError(404)
    _employer(user, offer.employer_id, need=need)
    if audit:
        record(user=user, action=audit, entity=offer, employer=offer.employer)
    return offer


# --------------------------------------------------------------------------- me


@operation("/me", "GET", summary="The token's user", response=(200, ref("Me")))
def me(user: User) -> tuple[int, Any]:
    """Who the token acts for: identity, role, agency and team."""
    return 200, serialize_me(user)


# --------------------------------------------------------------------------- job seekers


PORTFOLIO_QUERY = ObjectSpec("PortfolioQuery", {
    **_page_fields(),
    "modality": Field("string", "Only this follow-up modality.", enum=tuple(Modality.values())),
    "q": Field("string", "Part of the name, or of the external id.", max_length=100),
    "sort": Field("string", "Order of the list.", enum=tuple(SORTS), default="name"),
})


def _portfolio_scope(user: User) -> sa.ColumnElement[bool]:
    # As the portfolio page: what the user follows (or steers); a director's whole agency.
    return visible_job_seekers(user) if user.role is Role.DIRECTOR else writable_job_seekers(user)


@operation("/portfolio", "GET", summary="My portfolio of job seekers", roles=PORTFOLIO_ROLES,
           query=PORTFOLIO_QUERY, response=(200, ref("JobSeekerPage")))
def portfolio(user: User, *, query: dict[str, Any]) -> tuple[int, Any]:
    """The active job seekers the user follows (a counselor's portfolio, a benefits
    counselor's files, a team manager's team, a director's agency), by name, with their
    alerts. Filters as on the page."""
    page, per_page = query["page"], query["per_page"]
    filters = PortfolioFilters(q=query["q"] or "", sort=query["sort"], page=page,
                               modality=Modality(query["modality"]) if query["modality"] else None)
    result = portfolio_page(_portfolio_scope(user), filters, now=current_day().now_utc, page_size=per_page)
    rows = result.rows if result.page == page else []  # beyond the last page: empty, not the last one again
    record(user=user, action="portfolio.read", entity=user, details={"page": page, "count": len(rows)})
    return 200, _page([serialize_summary(r) for r in rows], page=page, per_page=per_page, total=result.total)


@operation("/job-seekers/<job_seeker_id>", "GET", summary="A job seeker's file", roles=STAFF,
           path_params=JOB_SEEKER_PARAM, errors=(404,), response=(200, ref("JobSeekerFile")))
def job_seeker_file(user: User, job_seeker_id: str) -> tuple[int, Any]:
    """Identity, modality, targets, priority flags, barriers, alerts and a benefits summary."""
    if job_seeker_id.isdigit() and int(job_seeker_id) <= INT32_MAX:
        preload_file(int(job_seeker_id))
    person = _job_seeker(user, job_seeker_id, need=Access.READ)
    today = current_day().today
    rights, events = benefit_lines(person, today)
    return 200, serialize_file(person, today=today, alerts=alerts_for(person, on=today),
                               access=_level(job_seeker_access(user, person)), rights=rights, events=events)


TIMELINE_QUERY = ObjectSpec("TimelineQuery", _page_fields())


@operation("/job-seekers/<job_seeker_id>/timeline", "GET", summary="A job seeker's timeline", roles=STAFF,
           path_params=JOB_SEEKER_PARAM, query=TIMELINE_QUERY, errors=(404,), response=(200, ref("TimelinePage")))
def job_seeker_timeline(user: User, job_seeker_id: str, *, query: dict[str, Any]) -> tuple[int, Any]:
    """Interactions, appointments, proposals, referrals, mises en relation and outcomes, newest first."""
    person = _job_seeker(user, job_seeker_id, need=Access.READ)
    result = timeline_page(person.id, page=query["page"], per_page=query["per_page"])
    return 200, {"items": [serialize_entry(e) for e in result.entries], "page": query["page"],
                 "per_page": query["per_page"], "has_more": result.has_more}


INTERACTION_BODY = ObjectSpec("InteractionInput", {
    "channel": Field("string", required=True, enum=tuple(c.value for c in MANUAL_CHANNELS)),
    "kind": Field("string", required=True, enum=tuple(k.value for k in MANUAL_KINDS)),
    "outcome": Field("string", required=True, enum=tuple(InteractionOutcome.values())),
    "direction": Field("string", "`out`: the counselor reached out; `in`: the person did.",
                       enum=tuple(Direction.values()), default=Direction.OUTBOUND.value),
    "occurred_at": Field("date-time", "When it happened (RFC 3339; without an offset, UTC). Default: now.",
                         nullable=True),
    "notes": Field("string", max_length=MAX_NOTES_LENGTH, nullable=True),
}, description="A contact with the job seeker, as logged from the timeline page.")


@operation("/job-seekers/<job_seeker_id>/interactions", "POST", summary="Log an interaction", roles=STAFF,
           path_params=JOB_SEEKER_PARAM, body=INTERACTION_BODY, errors=(404,), response=(201, ref("Interaction")))
def log_interaction(user: User, job_seeker_id: str, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Trace a contact; a meaningful one moves the person's last contact forward."""
    person = _job_seeker(user, job_seeker_id, need=Access.WRITE, audit=None)
    channel, kind = Channel(body["channel"]), InteractionKind(body["kind"])
    outcome = InteractionOutcome(body["outcome"])
    errors: dict[str, Any] = {}
    if not kind_fits_channel(kind, channel):
        errors["kind"] = _l("Cette nature d'interaction ne correspond pas à ce canal.")
    if channel not in OUTCOME_CHANNELS.get(outcome, {channel}):
        errors["outcome"] = _l("Ce résultat n'est pas possible pour ce canal.")
    if errors:
        raise ValidationFailed(errors)
    interaction = timeline.log_interaction(
        author=user, job_seeker=person, channel=channel, kind=kind, outcome=outcome,
        direction=Direction(body.get("direction") or Direction.OUTBOUND.value), notes=body.get("notes"),
        occurred_at=body.get("occurred_at"))
    return 201, serialize_interaction(interaction)


PROPOSAL_BODY = ObjectSpec("ProposalInput", {
    "item_kind": Field("string", required=True, enum=tuple(ItemKind.values())),
    "offer_id": Field("integer", "The offer, when `item_kind` is `offer`.", minimum=1, nullable=True),
    "catalogue_item_id": Field("integer", "The catalogue item (training, workshop, …) otherwise.", minimum=1,
                               nullable=True),
    "session_id": Field("integer", "A dated session of the catalogue item.", minimum=1, nullable=True),
    "arguments": Field("array", "Why it fits the person (shown to managers and used for learning).",
                       max_items=MAX_ARGUMENTS, item_max_length=MAX_ARGUMENT_LENGTH),
    "proposed_at": Field("date-time", "Default: now.", nullable=True),
}, description="Something proposed to the job seeker. A training is the first step of its funnel (mentioned).")


def _get_or_field_error(model: Any, object_id: int | None, field: str, message: Any) -> Any:
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None:
        raise ValidationFailed({field: message})
    return obj


@operation("/job-seekers/<job_seeker_id>/proposals", "POST", summary="Record a proposal", roles=STAFF,
           path_params=JOB_SEEKER_PARAM, body=PROPOSAL_BODY, errors=(404, 409), response=(201, ref("Proposal")))
def record_proposal(user: User, job_seeker_id: str, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Propose an open offer or a catalogue item (training, workshop, prestation, partner service, event)."""
    person = _job_seeker(user, job_seeker_id, need=Access.WRITE, audit=None)
    offer = _get_or_field_error(JobOffer, body.get("offer_id"), "offer_id", _l("Offre introuvable."))
    if offer is not None and employer_access(user, offer.employer) is Access.NONE:
        raise ValidationFailed({"offer_id": _l("Offre introuvable.")})
    item = _get_or_field_error(CatalogueItem, body.get("catalogue_item_id"), "catalogue_item_id",
                               _l("Élément du catalogue introuvable."))
    session = _get_or_field_error(CatalogueSession, body.get("session_id"), "session_id",
                                  _l("Session introuvable."))
    proposal = timeline.record_proposal(author=user, job_seeker=person, item_kind=ItemKind(body["item_kind"]),
                                        offer=offer, catalogue_item=item, session=session,
                                        arguments=body.get("arguments"), proposed_at=body.get("proposed_at"))
    return 201, serialize_proposal(proposal)


# --------------------------------------------------------------------------- employers


EMPLOYER_QUERY = ObjectSpec("EmployerQuery", {
    **_page_fields(),
    "q": Field("string", "Part of the name, or the start of the SIRET.", max_length=100),
})


def _employer_scope(user: User) -> sa.ColumnElement[bool]:
    # As the employer list page: the counselor's portfolio, the team's, the director's agency.
    clauses = [visible_employers(user)]
    if user.role is Role.EMPLOYER_COUNSELOR:
        clauses.append(Employer.counselor_id == user.id)
    elif user.role is Role.TEAM_MANAGER:
        clauses.append(Employer.counselor_id.in_(sa.select(User.id).where(User.team_id == user.team_id))
                       if user.team_id is not None else sa.false())
    return sa.and_(*clauses)


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@operation("/employers", "GET", summary="My employers", roles=EMPLOYER_ROLES, query=EMPLOYER_QUERY,
           response=(200, ref("EmployerPage")))
def employers(user: User, *, query: dict[str, Any]) -> tuple[int, Any]:
    """The employers of the user's portfolio (team, agency for a director), by name."""
    page, per_page = query["page"], query["per_page"]
    where = [_employer_scope(user)]
    q = (query["q"] or "").strip()
    if q:
        compact = "".join(q.split())
        by_name = sa.func.lower(Employer.name).like(_like(q), escape="\\")
        where.append(sa.or_(by_name, Employer.siret.like(compact + "%")) if compact.isdigit() else by_name)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Employer).where(*where)) or 0
    rows = db.session.scalars(
        sa.select(Employer).where(*where).options(joinedload(Employer.counselor))
        .order_by(Employer.name, Employer.id).limit(per_page).offset((page - 1) * per_page)).all()
    record(user=user, action="employers.read", entity=user, details={"page": page, "count": len(rows)})
    items = [serialize_employer(e, access=_level(employer_access(user, e))) for e in rows]
    return 200, _page(items, page=page, per_page=per_page, total=total)


# --------------------------------------------------------------------------- offers


def _offer_fields(*, creating: bool) -> dict[str, Field]:
    return {
        "title": Field("string", required=creating, max_length=offers.MAX_TITLE_LENGTH),
        "rome_code": Field("string", "ROME occupation code.", required=creating, pattern=r"^[A-Za-z][0-9]{4}$"),
        "contract_type": Field("string", required=creating, enum=tuple(ContractType.values())),
        "positions": Field("integer", minimum=1, maximum=offers.MAX_POSITIONS),
        "commune_insee": Field("string", "INSEE code of the workplace.", nullable=True, pattern=r"^[0-9][0-9AB][0-9]{3}$"),
        "description": Field("string", nullable=True, max_length=offers.MAX_DESCRIPTION_LENGTH),
        "contract_months": Field("integer", minimum=1, maximum=120, nullable=True),
        "hours_per_week": Field("integer", minimum=1, maximum=48, nullable=True),
    }


OFFER_CREATE_BODY = ObjectSpec("OfferInput", {
    "employer_id": Field("integer", required=True, minimum=1),
    **_offer_fields(creating=True),
}, description="An offer taken from the employer (recueil de l'offre): created as a draft.")
OFFER_UPDATE_BODY = ObjectSpec("OfferPatch", {
    "version": Field("integer", "The version last read; a stale one gives 409.", required=True, minimum=1),
    **_offer_fields(creating=False),
}, description="Only the fields sent change.")
OFFER_STATUS_BODY = ObjectSpec("OfferStatusInput", {
    "status": Field("string", required=True, enum=tuple(s.value for s in OfferStatus if s != OfferStatus.DRAFT)),
    "version": Field("integer", required=True, minimum=1),
    "accompanied": Field("boolean", "When opening: published with the counselor's accompaniment."),
})
APPLICATION_BODY = ObjectSpec("ApplicationInput", {
    "job_seeker_id": Field("integer", required=True, minimum=1),
})


def _fields_from(body: dict[str, Any], offer: JobOffer | None = None) -> offers.OfferFields:
    def value(name: str) -> Any:
        return body[name] if name in body else (getattr(offer, name) if offer is not None else None)

    return offers.OfferFields(
        title=value("title") or "", rome_code=value("rome_code") or "",
        contract_type=ContractType(value("contract_type")), positions=value("positions") or 1,
        commune_insee=value("commune_insee"), description=value("description"),
        contract_months=value("contract_months"), hours_per_week=value("hours_per_week"))


@operation("/offers", "POST", summary="Create an offer", roles=INTAKE_ROLES, body=OFFER_CREATE_BODY,
           errors=(404,), response=(201, ref("Offer")))
def create_offer(user: User, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Take an offer for an employer of the user's portfolio; it starts as a draft."""
    employer = _employer(user, body["employer_id"], need=Access.WRITE)
    offer = offers.create_offer(author=user, employer=employer, fields=_fields_from(body))
    return 201, serialize_offer(offer)


@operation("/offers/<int:offer_id>", "GET", summary="An offer", roles=STAFF, path_params=OFFER_PARAM,
           errors=(404,), response=(200, ref("Offer")))
def get_offer(user: User, offer_id: int) -> tuple[int, Any]:
    """The offer, with its ``version`` for a later change."""
    return 200, serialize_offer(_offer(user, offer_id, need=Access.READ, audit="offer.read"))


@operation("/offers/<int:offer_id>", "PATCH", summary="Update an offer", roles=STAFF, path_params=OFFER_PARAM,
           body=OFFER_UPDATE_BODY, errors=(404, 409), response=(200, ref("Offer")))
def update_offer(user: User, offer_id: int, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Change the fields sent; 409 if someone changed the offer since ``version``, or if it is closed."""
    offer = _offer(user, offer_id, need=Access.WRITE)
    offers.update_offer(author=user, offer=offer, expected_version=body["version"], fields=_fields_from(body, offer))
    return 200, serialize_offer(offer)


@operation("/offers/<int:offer_id>/status", "POST", summary="Change an offer's status", roles=STAFF,
           path_params=OFFER_PARAM, body=OFFER_STATUS_BODY, errors=(404, 409), response=(200, ref("Offer")))
def offer_status(user: User, offer_id: int, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Open (publish), fill, cancel or expire the offer, as its lifecycle allows (409 otherwise)."""
    offer = _offer(user, offer_id, need=Access.WRITE)
    offers.change_offer_status(author=user, offer=offer, status=OfferStatus(body["status"]),
                               expected_version=body["version"], accompanied=body.get("accompanied"))
    return 200, serialize_offer(offer)


@operation("/offers/<int:offer_id>/applications", "POST", summary="Create a mise en relation", roles=STAFF,
           path_params=OFFER_PARAM, body=APPLICATION_BODY, errors=(404, 409), response=(201, ref("Application")))
def create_application(user: User, offer_id: int, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Put a job seeker forward for an open offer of the user's employers."""
    offer = _offer(user, offer_id, need=Access.WRITE)
    application = offers.create_application(author=user, offer=offer, job_seeker=_candidate(user, body))
    return 201, serialize_application(application)


def _candidate(user: User, body: dict[str, Any]) -> JobSeeker:
    """The body's ``job_seeker_id``, a person the user may read; a field error otherwise."""
    person = db.session.get(JobSeeker, body["job_seeker_id"]) if body["job_seeker_id"] <= INT32_MAX else None
    if person is None or person.anonymised_at is not None or job_seeker_access(user, person) is Access.NONE:
        raise ValidationFailed({"job_seeker_id": _l("Ce candidat est introuvable.")})
    return person


# --------------------------------------------------------------------------- priority lists


PRIORITY_JOB_SEEKER_QUERY = ObjectSpec("PriorityJobSeekerQuery", {
    **_page_fields(),
    "modality": Field("string", "Only this follow-up modality.", enum=tuple(Modality.values())),
    "urgent": Field("boolean", "Only the rows with an urgent reason.", default=False),
})
PRIORITY_EMPLOYER_QUERY = ObjectSpec("PriorityEmployerQuery", {
    **_page_fields(),
    "urgent": Field("boolean", "Only the rows with an urgent reason.", default=False),
})
FEEDBACK_BODY = ObjectSpec("PriorityFeedbackInput", {
    "action": Field("string", "`dismiss`: hidden until the next scoring; `snooze`: until `snoozed_until`.",
                    required=True, enum=tuple(a.value for a in priority.ACTIONS)),
    "reason": Field("string", "`other_channel` (already in touch by another channel), `situation_known` (nothing "
                              "useful to do now), `unavailable` (illness, training, closed…), `other` (say why in "
                              "`comment`).", required=True, enum=tuple(priority.JOB_SEEKER_REASONS)),
    "comment": Field("string", "Required with `other`.", max_length=priority.MAX_COMMENT_LENGTH, nullable=True),
    "snoozed_until": Field("date", f"Snooze only: after today, at most {priority.SNOOZE_MAX_DAYS} days ahead "
                                   f"(default: {priority.SNOOZE_DEFAULT_DAYS} days).", nullable=True),
}, description="Take someone off the token user's priority list, with a reason (kept for managers and training).")
EMPLOYER_PARAM = {"employer_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX}}


def _priority_page(party: str, user: User, query: dict[str, Any]) -> dict[str, Any]:
    day = current_day()
    modality = query.get("modality")
    filters = PriorityFilters(modality=Modality(modality) if modality else None, urgent_only=query["urgent"])
    plist = priority_list(party, user, filters=filters, today=day.today, now=day.now_utc)
    rows = plist.ordered()
    page, per_page = query["page"], query["per_page"]
    items = plist.prepare(rows[(page - 1) * per_page:page * per_page])
    record(user=user, action="priority_list.read", entity=user, details={
        "list": party, "model_version_id": plist.version.id if plist.version else None, "page": page,
        "count": len(items)})
    return _page([serialize_priority_entry(e, plist) for e in items], page=page, per_page=per_page, total=len(rows))


@operation("/priority/job-seekers", "GET", summary="My job seekers to contact first", roles=(Role.COUNSELOR,),
           query=PRIORITY_JOB_SEEKER_QUERY, response=(200, ref("PriorityJobSeekerPage")))
def priority_job_seekers(user: User, *, query: dict[str, Any]) -> tuple[int, Any]:
    """The counselor's portfolio ranked by the latest published job-seeker priority model, with each rank's
    reasons; people contacted since the scoring day come last (`contacted_since_scoring`); dismissed and
    snoozed ones are left out. Without published scores: the portfolio by longest without contact."""
    return 200, _priority_page(JOB_SEEKERS, user, query)


@operation("/priority/employers", "GET", summary="My employers to contact first", roles=(Role.EMPLOYER_COUNSELOR,),
           query=PRIORITY_EMPLOYER_QUERY, response=(200, ref("PriorityEmployerPage")))
def priority_employers(user: User, *, query: dict[str, Any]) -> tuple[int, Any]:
    """The employer counselor's portfolio ranked by the latest published employer priority model (same rules
    as the job-seeker list)."""
    return 200, _priority_page(EMPLOYERS, user, query)


def _priority_feedback(party: str, user: User, obj: Any, body: dict[str, Any]) -> dict[str, Any]:
    today = current_day().today
    action = FeedbackAction(body["action"])
    until = body.get("snoozed_until")
    if action == FeedbackAction.SNOOZE and until is None:
        until = priority.default_snooze(today)
    score = current_score(party, obj.id)
    feedback = priority.record_priority_feedback(
        author=user, action=action, reason=body["reason"], comment=body.get("comment"), snoozed_until=until,
        model_version_id=score.model_version_id if score is not None else None, today=today,
        **({"employer": obj} if party == EMPLOYERS else {"job_seeker": obj}))
    return serialize_priority_feedback(feedback)


@operation("/priority/job-seekers/<job_seeker_id>/feedback", "POST", summary="Dismiss or snooze a job seeker",
           roles=(Role.COUNSELOR,), path_params=JOB_SEEKER_PARAM, body=FEEDBACK_BODY, errors=(404,),
           response=(201, ref("PriorityFeedback")))
def priority_job_seeker_feedback(user: User, job_seeker_id: str, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Take a job seeker of the counselor's own portfolio off the priority list: dismissed until the next
    scoring, or snoozed until a date."""
    person = _job_seeker(user, job_seeker_id, need=Access.WRITE, audit=None)
    return 201, _priority_feedback(JOB_SEEKERS, user, person, body)


@operation("/priority/employers/<int:employer_id>/feedback", "POST", summary="Dismiss or snooze an employer",
           roles=(Role.EMPLOYER_COUNSELOR,), path_params=EMPLOYER_PARAM, body=FEEDBACK_BODY, errors=(404,),
           response=(201, ref("PriorityFeedback")))
def priority_employer_feedback(user: User, employer_id: int, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Take an employer of the counselor's own portfolio off the priority list (same rules)."""
    employer = _employer(user, employer_id, need=Access.WRITE)
    return 201, _priority_feedback(EMPLOYERS, user, employer, body)


# --------------------------------------------------------------------------- recommendations


def _version(version: Any) -> dict[str, Any] | None:
    return None if version is None else {"id": version.id, "version": version.version}


def _reasons(row: Any) -> list[dict[str, str]]:
    return [{"code": reason.get("code"), "text": text} for reason, text in zip(row.reasons, row.reason_texts())]


@operation("/job-seekers/<job_seeker_id>/recommendations", "GET", summary="What to propose to a job seeker",
           roles=STAFF, path_params=JOB_SEEKER_PARAM, errors=(404,), response=(200, ref("RecommendationList")))
def job_seeker_recommendations(user: User, job_seeker_id: str) -> tuple[int, Any]:
    """The top items per kind (offers, trainings, workshops, prestations, partner services, events) with their
    arguments, as in the file's widget: eligibility applied, what was proposed or set aside left out. Record a
    proposal with `POST /job-seekers/{id}/proposals` (`source` is the counselor's), or set an item aside with
    `POST /job-seekers/{id}/recommendations/feedback`."""
    from crm.recommendations import services as recommendations

    person = _job_seeker(user, job_seeker_id, need=Access.READ, audit="recommendations.read")
    result = recommendations.recommendations_for(person, today=current_day().today)
    items = [{"item_kind": r.kind, "item_id": r.item_id, "session_id": r.session_id, "title": r.title,
              "rank": rank, "score": r.score, "out_of_project": r.out_of_project, "reasons": _reasons(r)}
             for rank, r in enumerate((r for rows in result.by_kind.values() for r in rows), start=1)]
    return 200, {"job_seeker_id": person.id, "model_version": _version(result.model_version), "items": items}


RECOMMENDATION_FEEDBACK_BODY = ObjectSpec("RecommendationFeedbackInput", {
    "item_kind": Field("string", "The kind of the item set aside.", required=True,
                       enum=("offer", "training", "workshop", "prestation", "partner_service", "event")),
    "item_id": Field("integer", "The offer's id for `offer`, else the catalogue item's.", required=True,
                     minimum=1, maximum=INT32_MAX),
    "reason": Field("string", "`already_done`, `project_mismatch`, `too_far`, `not_now`, `person_refused`, "
                              "`other` (say why in `comment`).", required=True,
                    enum=tuple(NOT_RELEVANT_REASONS)),
    "comment": Field("string", "Required with `other`.", max_length=500, nullable=True),
}, description="« Pas pertinent »: the item is no longer suggested to this person (kept for training).")


@operation("/job-seekers/<job_seeker_id>/recommendations/feedback", "POST", summary="Set a recommendation aside",
           roles=STAFF, path_params=JOB_SEEKER_PARAM, body=RECOMMENDATION_FEEDBACK_BODY, errors=(404,),
           response=(201, ref("RecommendationFeedback")))
def recommendation_feedback(user: User, job_seeker_id: str, *, body: dict[str, Any]) -> tuple[int, Any]:
    """Mark an item « Pas pertinent » for a job seeker the user may edit, with a reason."""
    from crm.modelregistry.models import ModelKind
    from crm.recommendations import services as recommendations

    person = _job_seeker(user, job_seeker_id, need=Access.WRITE, audit=None)
    version, _model = recommendations.published_model(ModelKind.RECOMMENDATIONS)
    feedback = recommendations.not_relevant(author=user, job_seeker=person, item_kind=body["item_kind"],
                                            item_id=body["item_id"], reason=body["reason"],
                                            comment=body.get("comment"),
                                            model_version_id=version.id if version else None)
    return 201, serialize_recommendation_feedback(feedback)


@operation("/offers/<int:offer_id>/candidates", "GET", summary="Ranked candidates for an offer", roles=STAFF,
           path_params=OFFER_PARAM, errors=(404,), response=(200, ref("CandidateList")))
def offer_candidates(user: User, offer_id: int) -> tuple[int, Any]:
    """Candidates for an open offer among the active job seekers of its agency the user may read, ranked,
    with their reasons; those already put forward or set aside are left out (empty for a closed offer). Put one
    forward with `POST /offers/{id}/applications`."""
    from crm.recommendations import services as recommendations

    offer = _offer(user, offer_id, need=Access.READ, audit="offer.candidates")
    rows, version = ([], None)
    if offer.status == OfferStatus.OPEN:
        rows, version = recommendations.offer_candidates(offer, today=current_day().today,
                                                         visible=visible_job_seekers(user))
    items = [{"job_seeker_id": r.job_seeker.id, "external_id": r.job_seeker.external_id,
              "first_name": r.job_seeker.first_name, "last_name": r.job_seeker.last_name, "rank": rank,
              "score": r.score, "distance_km": r.distance_km, "reasons": _reasons(r)}
             for rank, r in enumerate(rows, start=1)]
    return 200, {"offer_id": offer.id, "model_version": _version(version), "items": items}


CANDIDATE_FEEDBACK_BODY = ObjectSpec("CandidateFeedbackInput", {
    "job_seeker_id": Field("integer", "The candidate set aside.", required=True, minimum=1),
    "reason": Field("string", "`profile_mismatch`, `unavailable`, `too_far`, `already_busy`, `other` (say why in "
                              "`comment`).", required=True,
                    enum=tuple(DISCARD_REASONS)),
    "comment": Field("string", "Required with `other`.", max_length=500, nullable=True),
}, description="« Écarter »: the candidate leaves this offer's list (kept for training).")


@operation("/offers/<int:offer_id>/candidates/feedback", "POST", summary="Set a candidate aside", roles=STAFF,
           path_params=OFFER_PARAM, body=CANDIDATE_FEEDBACK_BODY, errors=(404,),
           response=(201, ref("RecommendationFeedback")))
def candidate_feedback(user: User, offer_id: int, *, body: dict[str, Any]) -> tuple[int, Any]:
    """« Écarter » a candidate of an offer the user may edit, with a reason."""
    from crm.modelregistry.models import ModelKind
    from crm.recommendations import services as recommendations

    offer = _offer(user, offer_id, need=Access.WRITE, audit=None)
    version, _model = recommendations.published_model(ModelKind.CANDIDATES)
    feedback = recommendations.discard_candidate(author=user, offer=offer, job_seeker=_candidate(user, body),
                                                 reason=body["reason"], comment=body.get("comment"),
                                                 model_version_id=version.id if version else None)
    return 201, serialize_recommendation_feedback(feedback)

"""Offer pages: the list (and the offers to share with partners), intake, the offer
page with its candidates and the pre-selection search.

Access follows the employer (``employer_access``): WRITE for the employer's counselors,
READ within the agency, 404 elsewhere. GETs are audited (``offer.read``); POSTs call
one service inside a savepoint (a ``DomainError`` undoes what it flushed and is shown
with a 422), commit and re-render.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from crm.access import Access, employer_access, job_seeker_access, visible_employers
from crm.audit.services import record
from crm.employers.models import Employer
from crm.enums import ContractType
from crm.errors import DomainError
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from crm.offers import services
from crm.offers.forms import (
    AddCandidateForm, ApplicationStatusForm, CandidateSearchForm, FeedbackForm, OfferFilterForm, OfferForm,
    OfferStatusForm, VersionForm,
)
from crm.offers.models import Application, ApplicationStatus, JobOffer, OfferStatus, RefusalReason
from crm.organisation.models import Role
from crm.web.guards import client_address, load_employer, roles_required
from crm.web.actions import attach_error, attempt, form_messages
from crm.web.rendering import render, wants_fragment
from crm.clock import current_day

bp = Blueprint("offers", __name__, url_prefix="/offres")

STAFF = (Role.COUNSELOR, Role.EMPLOYER_COUNSELOR, Role.BENEFITS_COUNSELOR, Role.PSYCHOLOGIST, Role.TEAM_MANAGER,
         Role.DIRECTOR)
LIST_LIMIT = 200
CANDIDATES_CHANGED = "proxima:candidates-changed"


def _user() -> Any:
    return current_user._get_current_object()


def load_offer(offer_id: int, *, need: Access = Access.READ, audit: str | None = "offer.read") -> JobOffer:
    """The offer if the current user may ``need`` its employer (404 outside, 403 read-only)."""
    offer = db.session.get(JobOffer, offer_id)
    if offer is None:
        abort(404)
    access = employer_access(current_user, offer.employer)
    if access is Access.NONE:
        abort(404)
    if access < need:
        abort(403)
    if audit:
        record(user=current_user, action=audit, entity=offer, employer=offer.employer, address=client_address())
    return offer


# --------------------------------------------------------------------------- lists


def _mine() -> sa.ColumnElement[bool]:
    user = _user()
    if user.role is Role.EMPLOYER_COUNSELOR:
        return sa.or_(JobOffer.counselor_id == user.id, Employer.counselor_id == user.id)
    return visible_employers(user)


@bp.get("", endpoint="index")
@roles_required(*STAFF)
def index() -> ResponseReturnValue:
    form = OfferFilterForm(formdata=request.args)
    status = 200
    statement = (sa.select(JobOffer).join(Employer, Employer.id == JobOffer.employer_id)
                 .where(_mine(), visible_employers(_user()))
                 .options(joinedload(JobOffer.employer), joinedload(JobOffer.commune))
                 .order_by(JobOffer.created_on.desc(), JobOffer.id.desc()).limit(LIST_LIMIT))
    if form.validate():
        if form.status.data:
            statement = statement.where(JobOffer.status == OfferStatus(form.status.data))
    else:
        status = 422
    offers = db.session.scalars(statement).all()
    today = current_day().today
    return render("offers/index.html", "offers/_list.html", status=status, form=form, offers=offers, today=today,
                  title=_l("Offres"), services=services)


def _to_share_response(*, errors: dict[int, list[Any]] | None = None, status: int = 200) -> Response:
    today = current_day().today
    offers = db.session.scalars(
        sa.select(JobOffer).join(Employer, Employer.id == JobOffer.employer_id)
        .where(visible_employers(_user()), services.to_share_clause(today=today))
        .options(joinedload(JobOffer.employer), joinedload(JobOffer.commune))
        .order_by(sa.func.coalesce(JobOffer.published_on, JobOffer.created_on), JobOffer.id).limit(LIST_LIMIT)
    ).all()
    writable = {o.id for o in offers if employer_access(_user(), o.employer) is Access.WRITE}
    return render("offers/to_share.html", "offers/_to_share.html", status=status, offers=offers, today=today,
                  writable=writable, errors=errors or {}, services=services,
                  title=_l("Offres à partager avec les partenaires"))


@bp.get("/a-partager")
@roles_required(*STAFF)
def to_share() -> ResponseReturnValue:
    return _to_share_response()


@bp.post("/<int:offer_id>/partage")
@roles_required(*STAFF)
def share(offer_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, need=Access.WRITE, audit=None)
    form = VersionForm()
    error = attempt(lambda: services.mark_shared(author=_user(), offer=offer, expected_version=form.version.data)) \
        if form.validate() else None
    db.session.commit()
    if form.errors:
        return _to_share_response(errors={offer.id: form_messages(form)}, status=422)
    if error is not None:
        return _to_share_response(errors={offer.id: [error.message]}, status=422)
    return _to_share_response()


# --------------------------------------------------------------------------- intake and edit


def _fields(form: OfferForm) -> services.OfferFields:
    return services.OfferFields(
        title=form.title.data or "", rome_code=form.rome_code.data or "",
        contract_type=ContractType(form.contract_type.data), positions=form.positions.data,
        commune_insee=form.commune_insee.data, description=form.description.data,
        contract_months=form.contract_months.data, hours_per_week=form.hours_per_week.data)


def _employer_id_arg() -> int:
    raw = request.args.get("employer_id", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


@bp.route("/nouvelle", methods=["GET", "POST"])
@roles_required(Role.EMPLOYER_COUNSELOR, Role.TEAM_MANAGER)
def create() -> ResponseReturnValue:
    employer = load_employer(_employer_id_arg(), need=Access.WRITE)
    form = OfferForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            created: list[JobOffer] = []
            error = attempt(lambda: created.append(
                services.create_offer(author=_user(), employer=employer, fields=_fields(form))))
            if error is None:
                db.session.commit()
                return redirect(url_for("offers.detail", offer_id=created[0].id), 303)
            attach_error(form, error)
        status = 422
    db.session.commit()  # the audited read
    return render("offers/form.html", status=status, form=form, employer=employer, offer=None,
                  title=_l("Nouvelle offre"))


@bp.route("/<int:offer_id>/modifier", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(offer_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, need=Access.WRITE)
    status = 200
    if request.method == "POST":
        form = OfferForm()
        if form.validate():
            error = attempt(lambda: services.update_offer(author=_user(), offer=offer,
                                                           expected_version=form.version.data or None,
                                                           fields=_fields(form)))
            if error is None:
                db.session.commit()
                return redirect(url_for("offers.detail", offer_id=offer.id), 303)
            attach_error(form, error)
        status = 422
    else:
        form = OfferForm(obj=offer, contract_type=offer.contract_type.value)
    db.session.commit()
    return render("offers/form.html", status=status, form=form, employer=offer.employer, offer=offer,
                  title=_l("Modifier l'offre"))


# --------------------------------------------------------------------------- the offer page


def _detail_response(offer: JobOffer, *, status: int = 200, offer_errors: list[Any] | None = None,
                     errors: dict[int, list[Any]] | None = None, changed: str | None = None,
                     search: CandidateSearchForm | None = None,
                     candidates: list[services.Candidate] | None = None) -> Response:
    applications = db.session.scalars(
        sa.select(Application).where(Application.offer_id == offer.id)
        .options(joinedload(Application.job_seeker).joinedload(JobSeeker.commune),
                 joinedload(Application.created_by))
        .order_by(Application.created_at, Application.id)
    ).all()
    can_write = employer_access(_user(), offer.employer) is Access.WRITE
    today = current_day().today
    response = render(
        "offers/detail.html", "offers/_main.html", status=status, offer=offer, applications=applications,
        can_write=can_write, today=today, offer_errors=offer_errors or [], errors=errors or {},
        offer_targets=services.allowed_offer_transitions(offer.status),
        application_targets={a.id: services.allowed_application_transitions(a.status) for a in applications},
        refusal_reasons=list(RefusalReason), hired=sum(a.status == ApplicationStatus.HIRED for a in applications),
        time_to_fill=services.time_to_fill(offer), to_share=services.needs_sharing(offer, today=today),
        days_open=services.days_open(offer, today=today), search=search or CandidateSearchForm(formdata=None),
        candidates=candidates, title=offer.title)
    if changed:
        response.headers["HX-Trigger"] = changed
    return response


@bp.get("/<int:offer_id>", endpoint="detail")
@roles_required(*STAFF)
def detail(offer_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id)
    response = _detail_response(offer)
    db.session.commit()
    return response


@bp.post("/<int:offer_id>/statut")
@roles_required(*STAFF)
def change_status(offer_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, need=Access.WRITE, audit=None)
    form = OfferStatusForm()
    if not form.validate():
        return _detail_response(offer, status=422, offer_errors=form_messages(form))
    error = attempt(lambda: services.change_offer_status(
        author=_user(), offer=offer, status=OfferStatus(form.status.data), expected_version=form.version.data,
        accompanied=form.accompanied.data))
    db.session.commit()
    if error is not None:
        return _detail_response(offer, status=422, offer_errors=[error.message])
    return _detail_response(offer)


def _application(offer: JobOffer, application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or application.offer_id != offer.id:
        abort(404)
    return application


@bp.post("/<int:offer_id>/candidats/<int:application_id>/statut")
@roles_required(*STAFF)
def application_status(offer_id: int, application_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, need=Access.WRITE, audit=None)
    application = _application(offer, application_id)
    form = ApplicationStatusForm()
    if not form.validate():
        return _detail_response(offer, status=422, errors={application.id: form_messages(form)})
    error = attempt(lambda: services.change_application_status(
        author=_user(), application=application, status=ApplicationStatus(form.status.data),
        expected_version=form.version.data,
        refusal_reason=RefusalReason(form.refusal_reason.data) if form.refusal_reason.data else None,
        feedback=form.feedback.data, hire_start_on=form.hire_start_on.data))
    db.session.commit()
    if error is not None:
        return _detail_response(offer, status=422, errors={application.id: [error.message]})
    return _detail_response(offer)


@bp.post("/<int:offer_id>/candidats/<int:application_id>/retour")
@roles_required(*STAFF)
def application_feedback(offer_id: int, application_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, need=Access.WRITE, audit=None)
    application = _application(offer, application_id)
    form = FeedbackForm()
    if not form.validate():
        return _detail_response(offer, status=422, errors={application.id: form_messages(form)})
    error = attempt(lambda: services.record_feedback(author=_user(), application=application,
                                                      expected_version=form.version.data,
                                                      feedback=form.feedback.data))
    db.session.commit()
    if error is not None:
        return _detail_response(offer, status=422, errors={application.id: [error.message]})
    return _detail_response(offer)


@bp.post("/<int:offer_id>/candidats")
@roles_required(*STAFF)
def add_candidate(offer_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, need=Access.WRITE, audit=None)
    form = AddCandidateForm()
    if not form.validate():
        return _detail_response(offer, status=422, offer_errors=form_messages(form))
    person = db.session.get(JobSeeker, form.job_seeker_id.data)
    if person is None or job_seeker_access(_user(), person) is Access.NONE:
        return _detail_response(offer, status=422, offer_errors=[_l("Ce candidat est introuvable.")])
    error = attempt(lambda: services.create_application(author=_user(), offer=offer, job_seeker=person))
    db.session.commit()
    if error is not None:
        return _detail_response(offer, status=422, offer_errors=[error.message])
    return _detail_response(offer, changed=CANDIDATES_CHANGED)


@bp.get("/<int:offer_id>/preselection")
@roles_required(*STAFF)
def preselection(offer_id: int) -> ResponseReturnValue:
    """The pre-selection search: the panel (htmx) or the offer page with its results."""
    offer = load_offer(offer_id, audit="offer.preselection")
    form = CandidateSearchForm(formdata=request.args)
    can_write = employer_access(_user(), offer.employer) is Access.WRITE
    candidates: list[services.Candidate] | None = None
    status = 200
    if form.validate():
        criteria = services.CandidateSearch(rome_scope=form.rome_scope.data, commune_insee=form.commune_insee.data,
                                            radius_km=form.radius_km.data, available_by=form.available_by.data)
        try:
            candidates = services.search_candidates(user=_user(), offer=offer, criteria=criteria)
        except DomainError as error:
            attach_error(form, error)
            status = 422
    else:
        status = 422
    db.session.commit()
    if wants_fragment():
        return render("offers/_preselection.html", status=status, offer=offer, search=form, candidates=candidates,
                      can_write=can_write)
    return _detail_response(offer, status=status, search=form, candidates=candidates)

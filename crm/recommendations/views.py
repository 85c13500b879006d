"""The recommendation widget of the job seeker file and the candidates panel of an offer.

Both are htmx fragments loaded after their page. In the widget, « Proposer » records a
proposal and its interaction in one click, « Pas pertinent » asks a reason (short list)
and records it as feedback. In the panel, « Mettre en relation » creates the mise en
relation (origin recommender) and « Écarter » records feedback. Reading is audited (the
file's and the offer's loaders), writes by their services.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from crm.access import Access, employer_access, visible_job_seekers
from crm.errors import ConcurrentEditError
from crm.interactions import services as timeline
from crm.interactions.models import Proposal, ProposalOutcome, ProposalResponse
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from crm.offers import services as offers
from crm.offers.models import ApplicationOrigin, OfferStatus
from crm.offers.views import CANDIDATES_CHANGED, STAFF, load_offer
from crm.recommendations import services
from crm.web.actions import attempt, form_messages
from crm.web.guards import load_job_seeker, roles_required
from crm.web.rendering import render
from crm.clock import current_day
from recommender import schema as S

bp = Blueprint("recommendations", __name__)


def _user() -> Any:
    return current_user._get_current_object()


class ItemForm(FlaskForm):
    item_kind = HiddenField(validators=[InputRequired(), AnyOf(S.ITEM_KINDS)])
    item_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2_147_483_647)])
    session_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=2_147_483_647)])
    arguments = StringField(validators=[Optional(), Length(max=2000)])


def _reason_field(reasons: dict[str, Any]) -> RadioField:
    return RadioField(_l("Motif"), choices=[SelectChoice(code, text) for code, text in reasons.items()],
                      validators=[InputRequired(message=_l("Choisissez un motif."))])


class NotRelevantForm(ItemForm):
    reason = _reason_field(services.NOT_RELEVANT_REASONS)
    comment = TextAreaField(_l("Commentaire"), validators=[Length(max=services.MAX_COMMENT_LENGTH, message=_l(
        "Le commentaire est limité à %(max)s caractères.", max=services.MAX_COMMENT_LENGTH))])


class DiscardForm(FlaskForm):
    reason = _reason_field(services.DISCARD_REASONS)
    comment = TextAreaField(_l("Commentaire"), validators=[Length(max=services.MAX_COMMENT_LENGTH, message=_l(
        "Le commentaire est limité à %(max)s caractères.", max=services.MAX_COMMENT_LENGTH))])


# --------------------------------------------------------------------------- job seeker widget
def _widget(person: JobSeeker, *, status: int = 200, message: Any = None, errors: list[Any] | None = None,
            asking: tuple[str, int] | None = None, form: NotRelevantForm | None = None) -> Response:
    can_write = services_access(person) is Access.WRITE
    recommendations = services.recommendations_for(person, today=current_day().today)
    return render("recommendations/_widget.html", status=status, job_seeker=person, result=recommendations,
                  titles=services.KIND_TITLES, can_write=can_write, message=message, errors=errors or [],
                  asking=asking, form=form or NotRelevantForm(formdata=None),
                  proposals=services.recent_proposals(person), outcomes=services.OUTCOMES)


def services_access(person: JobSeeker) -> Access:
    from crm.access import job_seeker_access

    return job_seeker_access(_user(), person)


@bp.get("/beneficiaires/<int:job_seeker_id>/recommandations")
@roles_required(*STAFF)
def widget(job_seeker_id: int) -> ResponseReturnValue:
    person = load_job_seeker(job_seeker_id, audit="recommendations.read")
    response = _widget(person)
    db.session.commit()
    return response


@bp.post("/beneficiaires/<int:job_seeker_id>/recommandations/proposer")
@roles_required(*STAFF)
def propose(job_seeker_id: int) -> ResponseReturnValue:
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    form = ItemForm()
    if not form.validate():
        return _widget(person, status=422, errors=form_messages(form))
    arguments = [a for a in (form.arguments.data or "").split("\n") if a.strip()][:10]
    error = attempt(lambda: services.propose(author=_user(), job_seeker=person, item_kind=form.item_kind.data,
                                             item_id=form.item_id.data, session_id=form.session_id.data,
                                             arguments=arguments))
    if error is not None:
        return _widget(person, status=422, errors=[error.message])
    db.session.commit()
    response = _widget(person, message=_l("Proposition enregistrée dans l'historique."))
    response.headers["HX-Trigger"] = "proxima:timeline-changed"
    return response


@bp.route("/beneficiaires/<int:job_seeker_id>/recommandations/pas-pertinent", methods=["GET", "POST"])
@roles_required(*STAFF)
def not_relevant(job_seeker_id: int) -> ResponseReturnValue:
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    if request.method == "GET":
        form = NotRelevantForm(formdata=request.args, meta={"csrf": False})
        if form.item_kind.data not in S.ITEM_KINDS or not form.item_id.data:
            abort(404)
        return _widget(person, asking=(form.item_kind.data, form.item_id.data), form=NotRelevantForm(
            formdata=None, item_kind=form.item_kind.data, item_id=form.item_id.data))
    form = NotRelevantForm()
    if not form.validate():
        return _widget(person, status=422, asking=(form.item_kind.data, form.item_id.data or 0), form=form)
    version, _model = services.published_model(services.ModelKind.RECOMMENDATIONS)
    error = attempt(lambda: services.not_relevant(
        author=_user(), job_seeker=person, item_kind=form.item_kind.data, item_id=form.item_id.data,
        reason=form.reason.data, comment=form.comment.data, model_version_id=version.id if version else None))
    if error is not None:
        form.form_errors.append(error.message)
        return _widget(person, status=422, asking=(form.item_kind.data, form.item_id.data), form=form)
    db.session.commit()
    return _widget(person, message=_l("C'est noté : cette proposition ne sera plus suggérée."))


# --------------------------------------------------------------------------- follow-up of proposals
class ProposalFollowUpForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=2_147_483_647)])
    response = HiddenField(validators=[Optional(), AnyOf([r.value for r in ProposalResponse])])
    outcome = HiddenField(validators=[Optional(), AnyOf([o.value for o in ProposalOutcome])])


@bp.post("/beneficiaires/<int:job_seeker_id>/recommandations/propositions/<int:proposal_id>")
@roles_required(*STAFF)
def follow_up(job_seeker_id: int, proposal_id: int) -> ResponseReturnValue:
    """The person's answer to a proposal, or what followed it."""
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.job_seeker_id != person.id:
        abort(404)
    form = ProposalFollowUpForm()
    if not form.validate() or bool(form.response.data) == bool(form.outcome.data):
        return _widget(person, status=422, errors=form_messages(form) or [_l("Choisissez une réponse ou une suite.")])
    if form.response.data:
        action = lambda: timeline.record_proposal_response(  # noqa: E731
            author=_user(), proposal=proposal, expected_version=form.version.data,
            response=ProposalResponse(form.response.data))
    else:
        action = lambda: services.record_outcome(  # noqa: E731
            author=_user(), proposal=proposal, expected_version=form.version.data,
            outcome=ProposalOutcome(form.outcome.data), today=current_day().today)
    error = attempt(action)
    if error is not None:
        return _widget(person, status=422 if not isinstance(error, ConcurrentEditError) else 409,
                       errors=[error.message])
    db.session.commit()
    return _widget(person, message=_l("Suite de la proposition enregistrée."))


# --------------------------------------------------------------------------- offer candidates
def _panel(offer: Any, *, status: int = 200, errors: list[Any] | None = None, discarding: int | None = None,
           form: DiscardForm | None = None, message: Any = None) -> Response:
    can_write = employer_access(_user(), offer.employer) is Access.WRITE
    rows, version = ([], None)
    if offer.status == OfferStatus.OPEN:
        rows, version = services.offer_candidates(offer, today=current_day().today, visible=visible_job_seekers(_user()))
    return render("recommendations/_candidates.html", status=status, offer=offer, rows=rows, version=version,
                  can_write=can_write, errors=errors or [], discarding=discarding,
                  form=form or DiscardForm(formdata=None), message=message)


@bp.get("/offres/<int:offer_id>/candidats")
@roles_required(*STAFF)
def candidates(offer_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, audit="offer.candidates")
    discarding = request.args.get("ecarter", type=int)
    response = _panel(offer, discarding=discarding)
    db.session.commit()
    return response


def _candidate(offer: Any, job_seeker_id: int) -> JobSeeker:
    person = db.session.scalar(db.select(JobSeeker).where(JobSeeker.id == job_seeker_id,
                                                          visible_job_seekers(_user()),
                                                          JobSeeker.agency_id == offer.employer.agency_id))
    if person is None:
        abort(404)
    return person


@bp.post("/offres/<int:offer_id>/candidats/<int:job_seeker_id>/mise-en-relation")
@roles_required(*STAFF)
def put_forward(offer_id: int, job_seeker_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, need=Access.WRITE, audit=None)
    person = _candidate(offer, job_seeker_id)
    error = attempt(lambda: offers.create_application(author=_user(), offer=offer, job_seeker=person,
                                                      origin=ApplicationOrigin.RECOMMENDER))
    if error is not None:
        return _panel(offer, status=422, errors=[error.message])
    db.session.commit()
    response = _panel(offer, message=_l("Mise en relation créée pour %(name)s.", name=person.full_name))
    response.headers["HX-Trigger"] = CANDIDATES_CHANGED
    return response


@bp.post("/offres/<int:offer_id>/candidats/<int:job_seeker_id>/ecarter")
@roles_required(*STAFF)
def discard(offer_id: int, job_seeker_id: int) -> ResponseReturnValue:
    offer = load_offer(offer_id, need=Access.WRITE, audit=None)
    person = _candidate(offer, job_seeker_id)
    form = DiscardForm()
    if not form.validate():
        return _panel(offer, status=422, discarding=person.id, form=form)
    version, _model = services.published_model(services.ModelKind.CANDIDATES)
    error = attempt(lambda: services.discard_candidate(
        author=_user(), offer=offer, job_seeker=person, reason=form.reason.data, comment=form.comment.data,
        model_version_id=version.id if version else None))
    if error is not None:
        form.form_errors.append(error.message)
        return _panel(offer, status=422, discarding=person.id, form=form)
    db.session.commit()
    return _panel(offer, message=_l("Candidat écarté pour cette offre."))

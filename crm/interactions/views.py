"""The timeline sections of the job seeker file: the merged history with its inline
logging form, appointments, referrals to partners and the training funnel.

Each section is one URL serving a fragment (htmx, loaded by the file page) or a page.
GETs need READ access and are audited by ``load_job_seeker``; POSTs need WRITE, call
one service inside a savepoint (a ``DomainError`` undoes whatever it flushed and
becomes a form error, answered with 422), commit and re-render the section.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from crm.access import Access, job_seeker_access
from crm.catalogue.models import CatalogueItem
from crm.db import utcnow
from crm.errors import DomainError
from crm.extensions import db
from crm.interactions import queries
from crm.interactions import services as timeline
from crm.interactions.forms import (
    AppointmentForm, AppointmentStatusForm, InteractionForm, MentionTrainingForm, PartnerFeedbackForm,
    PrescribeTrainingForm, ReferralForm, ReferralStatusForm, StartTrainingForm, TimelineFilterForm, as_enum, to_utc,
)
from crm.interactions.models import (
    Appointment, AppointmentKind, Channel, Direction, InteractionKind, InteractionOutcome, Proposal, Referral,
    ReferralStatus,
)
from crm.jobseekers.models import JobSeeker
from crm.web.actions import attach_error, attempt
from crm.web.guards import load_job_seeker, load_owned
from crm.web.rendering import render, wants_fragment
from crm.clock import current_day

bp = Blueprint("timeline", __name__, url_prefix="/beneficiaires/<int:job_seeker_id>")

PAGE = "interactions/page.html"
# Sections listen for these events to refresh themselves: a change in another section
# that shows in theirs (a held appointment on the timeline, a logged next step among
# the appointments) is answered with the event in ``HX-Trigger``.
TIMELINE_CHANGED = "proxima:timeline-changed"
APPOINTMENTS_CHANGED = "proxima:appointments-changed"

# Fields the services name, per error-code prefix, mapped to the log form's fields.
LOG_FORM_FIELDS = {
    "appointment.": {"scheduled_at": "appointment_at", "channel": "appointment_channel",
                     "duration_minutes": "appointment_at"},
    "task.": {"title": "task_title"},
    "next_step.": {"next_step": "next_step"},
}
CHOOSE_PARTNER = _l("Choisissez le partenaire.")
CHOOSE_TRAINING = _l("Choisissez une formation du catalogue.")


# --------------------------------------------------------------------------- helpers


def _user() -> Any:
    return current_user._get_current_object()


def _last_contact_oob(job_seeker: JobSeeker) -> str:
    """The header's last contact (owned by the file page), re-rendered for an out-of-band swap."""
    return render_template("jobseekers/_last_contact.html", job_seeker=job_seeker, oob=True)


def _section(fragment: str, title: Any, job_seeker: JobSeeker, *, status: int = 200, changed: str | None = None,
             oob: bool = False, **context: Any) -> Response:
    can_write = job_seeker_access(_user(), job_seeker) is Access.WRITE
    response = render(PAGE, fragment, status=status, job_seeker=job_seeker, section=fragment, title=title,
                      can_write=can_write, **context)
    if oob and wants_fragment():
        response.set_data(response.get_data(as_text=True) + _last_contact_oob(job_seeker))
    if changed:
        response.headers["HX-Trigger"] = changed
    return response


# --------------------------------------------------------------------------- timeline


def _timeline_response(job_seeker: JobSeeker, *, filters: TimelineFilterForm | None = None,
                       log_form: InteractionForm | None = None, status: int = 200, changed: str | None = None,
                       oob: bool = False) -> Response:
    """The timeline section; invalid filters are shown as field errors (422) over the unfiltered list."""
    filters = filters or TimelineFilterForm(formdata=None)
    if filters.validate():
        channel, kind = as_enum(Channel, filters.channel.data), as_enum(InteractionKind, filters.kind.data)
        page = filters.page.data or 1
    else:
        channel, kind, page = None, None, 1
        status = 422
    timeline_page = queries.timeline_page(job_seeker.id, channel=channel, kind=kind, page=page)
    if page > 1 and wants_fragment():  # "voir plus": only the next entries, appended in place
        response = Response(render_template("interactions/_timeline_entries.html", job_seeker=job_seeker,
                                            timeline=timeline_page, filters=filters), status)
        response.vary.add("HX-Request")
        return response
    if log_form is None:
        log_form = InteractionForm(formdata=None)
        log_form.narrow_to_channel()
    return _section("interactions/_timeline.html", _l("Historique des échanges"), job_seeker, status=status,
                    changed=changed, oob=oob, timeline=timeline_page, filters=filters, log_form=log_form)


@bp.get("/historique", endpoint="timeline")
@login_required
def timeline_view(job_seeker_id: int) -> ResponseReturnValue:
    job_seeker = load_job_seeker(job_seeker_id, need=Access.READ)
    response = _timeline_response(job_seeker, filters=TimelineFilterForm(formdata=request.args))
    db.session.commit()  # the audited read
    return response


@bp.get("/interactions/formulaire")
@login_required
def log_form(job_seeker_id: int) -> ResponseReturnValue:
    """The logging form again, its kinds and outcomes narrowed to the chosen channel."""
    job_seeker = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    form = InteractionForm(formdata=request.args)
    form.narrow_to_channel()
    return render_template("interactions/_log_form.html", job_seeker=job_seeker, log_form=form)


@bp.post("/interactions")
@login_required
def log(job_seeker_id: int) -> ResponseReturnValue:
    job_seeker = load_job_seeker(job_seeker_id, need=Access.WRITE)
    form = InteractionForm()
    form.narrow_to_channel()
    if form.validate():
        author = _user()
        next_step: timeline.NextTask | timeline.NextAppointment | None = None
        if form.next_step.data == "task":
            next_step = timeline.NextTask(title=form.task_title.data, due_on=form.task_due_on.data)
        elif form.next_step.data == "appointment":
            next_step = timeline.NextAppointment(
                scheduled_at=to_utc(form.appointment_at.data), channel=Channel(form.appointment_channel.data),
                kind=AppointmentKind(form.appointment_kind.data))
        error = attempt(lambda: timeline.log_interaction(
            author=author, job_seeker=job_seeker, channel=Channel(form.channel.data),
            direction=Direction(form.direction.data), kind=InteractionKind(form.kind.data),
            outcome=InteractionOutcome(form.outcome.data), notes=form.notes.data,
            occurred_at=to_utc(form.occurred_at.data), next_step=next_step))
        if error is None:
            db.session.commit()
            changed = APPOINTMENTS_CHANGED if isinstance(next_step, timeline.NextAppointment) else None
            return _timeline_response(job_seeker, changed=changed, oob=True)
        prefix = next((p for p in LOG_FORM_FIELDS if error.code.startswith(p)), None)
        attach_error(form, error, LOG_FORM_FIELDS.get(prefix))
    db.session.commit()  # the audited read only: the service's writes were undone
    if wants_fragment():
        response = Response(render_template("interactions/_log_form.html", job_seeker=job_seeker, log_form=form),
                            422)
        response.headers["HX-Retarget"] = "#log-form"
        response.headers["HX-Reswap"] = "outerHTML"
        response.vary.add("HX-Request")
        return response
    return _timeline_response(job_seeker, log_form=form, status=422)


# --------------------------------------------------------------------------- section writes


def _create(job_seeker_id: int, form_class: type[FlaskForm], respond: Callable[..., Response],
            call: Callable[[JobSeeker, Any], Any], fields: dict[str, str] | None = None) -> Response:
    """A section's "add" form: validate, call the service, answer the section (422 with
    the form's errors in place on failure)."""
    job_seeker = load_job_seeker(job_seeker_id, need=Access.WRITE)
    form = form_class()
    if form.validate():
        error = attempt(lambda: call(job_seeker, form))
        if error is None:
            db.session.commit()
            return respond(job_seeker, changed=TIMELINE_CHANGED)
        attach_error(form, error, fields)
    db.session.commit()  # the audited read only
    return respond(job_seeker, form=form, status=422)


def _change(job_seeker_id: int, model: Any, object_id: int, form_class: type[FlaskForm],
            respond: Callable[..., Response], call: Callable[[Any, Any], Any], **on_success: Any) -> Response:
    """An action on one row of a section (an appointment, a referral, a proposal) with the
    version its form was rendered with; errors are shown next to that row (422)."""
    job_seeker = load_job_seeker(job_seeker_id, need=Access.WRITE)
    obj = load_owned(model, object_id, job_seeker)
    form = form_class()
    error = attempt(lambda: call(obj, form)) if form.validate() else None
    db.session.commit()
    if form.errors:
        return respond(job_seeker, errors={obj.id: _messages(form)}, status=422)
    if error is not None:
        return respond(job_seeker, errors={obj.id: [error.message]}, status=422)
    return respond(job_seeker, changed=TIMELINE_CHANGED, **on_success)


def _messages(form: FlaskForm) -> list[Any]:
    return [message for messages in form.errors.values() for message in messages]


def _catalogue_item(item_id: int, message: Any, field: str) -> CatalogueItem:
    """An active catalogue item (the service checks that it is of the right kind)."""
    item = db.session.get(CatalogueItem, item_id)
    if item is None or not item.active:
        raise DomainError(message, code="catalogue.choice", field=field)
    return item


def _read(job_seeker_id: int, respond: Callable[..., Response]) -> Response:
    """A section as it stands; the read is audited (and committed)."""
    response = respond(load_job_seeker(job_seeker_id, need=Access.READ))
    db.session.commit()
    return response


# --------------------------------------------------------------------------- appointments


def _appointments_response(job_seeker: JobSeeker, *, form: AppointmentForm | None = None,
                           errors: dict[int, list[Any]] | None = None, status: int = 200, changed: str | None = None,
                           oob: bool = False) -> Response:
    now = utcnow()
    return _section("interactions/_appointments.html", _l("Rendez-vous"), job_seeker, status=status,
                    changed=changed, oob=oob, view=queries.appointments_of(job_seeker.id, now=now),
                    form=form or AppointmentForm(formdata=None), errors=errors or {}, now=now)


@bp.get("/rendez-vous")
@login_required
def appointments(job_seeker_id: int) -> ResponseReturnValue:
    return _read(job_seeker_id, _appointments_response)


@bp.post("/rendez-vous")
@login_required
def plan_appointment(job_seeker_id: int) -> ResponseReturnValue:
    return _create(job_seeker_id, AppointmentForm, _appointments_response, lambda job_seeker, form: (
        timeline.plan_appointment(
            author=_user(), job_seeker=job_seeker, scheduled_at=to_utc(form.scheduled_at.data),
            kind=AppointmentKind(form.kind.data), channel=Channel(form.channel.data),
            duration_minutes=form.duration_minutes.data, notes=form.notes.data)))


APPOINTMENT_CHANGES = {
    "done": timeline.mark_appointment_done,
    "missed": timeline.mark_appointment_missed,
    "cancelled": timeline.cancel_appointment,
}


@bp.post("/rendez-vous/<int:appointment_id>/statut")
@login_required
def appointment_status(job_seeker_id: int, appointment_id: int) -> ResponseReturnValue:
    # A held appointment is a contact: the header's last contact may move.
    return _change(job_seeker_id, Appointment, appointment_id, AppointmentStatusForm, _appointments_response,
                   lambda appointment, form: APPOINTMENT_CHANGES[form.status.data](
                       author=_user(), appointment=appointment, expected_version=form.version.data),
                   oob=request.form.get("status") == "done")


# --------------------------------------------------------------------------- referrals


def _referrals_response(job_seeker: JobSeeker, *, form: ReferralForm | None = None,
                        errors: dict[int, list[Any]] | None = None, status: int = 200,
                        changed: str | None = None) -> Response:
    return _section("interactions/_referrals.html", _l("Orientations vers les partenaires"), job_seeker,
                    status=status, changed=changed, view=queries.referrals_of(job_seeker.id),
                    partners=queries.partner_services(), form=form or ReferralForm(formdata=None),
                    errors=errors or {}, statuses=[s for s in ReferralStatus if s != ReferralStatus.SENT])


@bp.get("/orientations")
@login_required
def referrals(job_seeker_id: int) -> ResponseReturnValue:
    return _read(job_seeker_id, _referrals_response)


@bp.post("/orientations")
@login_required
def create_referral(job_seeker_id: int) -> ResponseReturnValue:
    return _create(job_seeker_id, ReferralForm, _referrals_response, lambda job_seeker, form: (
        timeline.create_referral(author=_user(), job_seeker=job_seeker, partner_item=_catalogue_item(
            form.partner_item_id.data, CHOOSE_PARTNER, "partner_item_id"))),
        fields={"partner_item": "partner_item_id"})


@bp.post("/orientations/<int:referral_id>/statut")
@login_required
def referral_status(job_seeker_id: int, referral_id: int) -> ResponseReturnValue:
    return _change(job_seeker_id, Referral, referral_id, ReferralStatusForm, _referrals_response,
                   lambda referral, form: timeline.update_referral_status(
                       author=_user(), referral=referral, status=ReferralStatus(form.status.data),
                       expected_version=form.version.data))


@bp.post("/orientations/<int:referral_id>/retour")
@login_required
def referral_feedback(job_seeker_id: int, referral_id: int) -> ResponseReturnValue:
    return _change(job_seeker_id, Referral, referral_id, PartnerFeedbackForm, _referrals_response,
                   lambda referral, form: timeline.record_partner_feedback(
                       author=_user(), referral=referral, expected_version=form.version.data,
                       showed_up={"yes": True, "no": False}.get(form.showed_up.data), feedback=form.feedback.data))


# --------------------------------------------------------------------------- training funnel


def _trainings_response(job_seeker: JobSeeker, *, form: MentionTrainingForm | None = None,
                        errors: dict[int, list[Any]] | None = None, status: int = 200,
                        changed: str | None = None) -> Response:
    return _section("interactions/_trainings.html", _l("Parcours de formation"), job_seeker, status=status,
                    changed=changed, funnel=queries.training_funnel(job_seeker.id),
                    options=queries.training_options(), form=form or MentionTrainingForm(formdata=None),
                    errors=errors or {}, today=current_day().today)


@bp.get("/formations")
@login_required
def trainings(job_seeker_id: int) -> ResponseReturnValue:
    return _read(job_seeker_id, _trainings_response)


@bp.get("/formations/catalogue")
@login_required
def training_options(job_seeker_id: int) -> ResponseReturnValue:
    """The options of the training picker matching the search (the catalogue, not the file: not audited)."""
    load_job_seeker(job_seeker_id, need=Access.READ, audit=None)
    search = request.args.get("q", "")[:100]
    return render_template("interactions/_training_options.html", options=queries.training_options(search))


@bp.post("/formations")
@login_required
def mention_training(job_seeker_id: int) -> ResponseReturnValue:
    return _create(job_seeker_id, MentionTrainingForm, _trainings_response, lambda job_seeker, form: (
        timeline.mention_training(author=_user(), job_seeker=job_seeker, training=_catalogue_item(
            form.training_id.data, CHOOSE_TRAINING, "training_id"))),
        fields={"training": "training_id"})


@bp.post("/formations/<int:proposal_id>/prescription")
@login_required
def prescribe_training(job_seeker_id: int, proposal_id: int) -> ResponseReturnValue:
    return _change(job_seeker_id, Proposal, proposal_id, PrescribeTrainingForm, _trainings_response,
                   lambda proposal, form: timeline.prescribe_training(
                       author=_user(), proposal=proposal, expected_version=form.version.data))


@bp.post("/formations/<int:proposal_id>/entree")
@login_required
def start_training(job_seeker_id: int, proposal_id: int) -> ResponseReturnValue:
    return _change(job_seeker_id, Proposal, proposal_id, StartTrainingForm, _trainings_response,
                   lambda proposal, form: timeline.start_training(
                       author=_user(), proposal=proposal, expected_version=form.version.data,
                       started_on=form.started_on.data))

"""The job seeker file: one page (header, project and PPAE, benefits, follow-up) whose
sections are htmx fragments, plus the timeline sections built in ``crm.interactions``.

Each view loads the person through ``load_job_seeker`` (404 outside the user's scope,
403 for a write on a read-only file). Reads are audited there; writes are audited by
the services. A write view validates the form, calls one service, commits, renders;
on a ``DomainError`` it rolls back and shows the message in place (HTTP 422).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from crm import clock
from crm.access import Access, job_seeker_access
from crm.audit.services import record
from crm.enums import ContractType, Modality
from crm.errors import ConcurrentEditError, DomainError
from crm.extensions import db
from crm.jobseekers import services
from crm.jobseekers.alerts import alerts_for
from crm.jobseekers.file import benefit_lines, consents_in_force, preload_file, transfer_options
from crm.jobseekers.forms import (
    ActionItemForm, ActionStatusForm, BarrierForm, ConsentForm, ModalityForm, ProfileForm, TransferForm,
)
from crm.jobseekers.models import ActionPlanItem, ActionStatus, Barrier, JobSeeker, JobSeekerStatus
from crm.jobseekers.portfolio_forms import FLAG_LABELS
from crm.labels import label
from crm.organisation.models import Agency, User
from crm.referentials.search import find_choice
from crm.web.guards import client_address, load_job_seeker, load_owned
from crm.web.rendering import render, wants_fragment

bp = Blueprint("jobseekers", __name__, url_prefix="/beneficiaires")

PAGE = "jobseekers/file.html"

# Sections built by the timeline module, loaded after the page: (endpoint, root id, title).
LATER_SECTIONS = (
    ("timeline.timeline", "timeline", _l("Historique des contacts")),
    ("timeline.appointments", "appointments", _l("Rendez-vous")),
    ("timeline.referrals", "referrals", _l("Orientations vers les partenaires")),
    ("timeline.trainings", "trainings", _l("Parcours de formation")),
    ("recommendations.widget", "recommendations", _l("Que lui proposer ?")),
)


@bp.app_template_global()
def endpoint_exists(endpoint: str) -> bool:
    """Sections built elsewhere are shown only once their view exists."""
    return endpoint in current_app.view_functions


@bp.app_template_filter()
def contract_label(code: str) -> Any:
    """Contract types are stored as codes in a JSON list."""
    try:
        return label(ContractType(code))
    except ValueError:
        return code


@bp.app_template_global()
def days_since(moment: Any) -> int | None:
    """Whole days from ``moment`` (a date, or a naive UTC datetime read in the product's time
    zone) to today, by the product's calendar (``crm.clock``)."""
    if moment is None:
        return None
    day = clock.local_date(moment) if isinstance(moment, datetime) else moment
    return (clock.today() - day).days


# --------------------------------------------------------------------------- context

def _can_write(person: JobSeeker) -> bool:
    return job_seeker_access(current_user, person) is Access.WRITE and person.status is JobSeekerStatus.ACTIVE


def _base(person: JobSeeker, **extra: Any) -> dict[str, Any]:
    return {"job_seeker": person, "today": clock.today(), "can_write": _can_write(person), **extra}


def _header(person: JobSeeker) -> dict[str, Any]:
    today = clock.today()
    flags = person.priority_flags(today)
    return {"alerts": alerts_for(person, on=today),
            "flags": [FLAG_LABELS[code] for code, on in flags.items() if on and code in FLAG_LABELS],
            "age": person.age_on(today)}


def _profile(person: JobSeeker) -> dict[str, Any]:
    return {"open_barriers": [b for b in person.barriers if b.resolved_on is None],
            "resolved_barriers": sorted((b for b in person.barriers if b.resolved_on is not None),
                                        key=lambda b: b.resolved_on, reverse=True),
            "consents": consents_in_force(person),
            "consent_history": sorted(person.consents, key=lambda c: (c.recorded_at, c.id), reverse=True),
            "action_statuses": list(ActionStatus),
            "barrier_form": BarrierForm(formdata=None),
            "action_form": ActionItemForm(formdata=None),
            "consent_form": ConsentForm(formdata=None)}


def _benefits(person: JobSeeker) -> dict[str, Any]:
    rights, events = benefit_lines(person, clock.today())
    return {"rights": rights, "benefit_events": events}


def _follow_up(person: JobSeeker, *, modality_form: ModalityForm | None = None,
               transfer_form: TransferForm | None = None) -> dict[str, Any]:
    if not _can_write(person):
        return {"modality_form": None, "transfer_form": None}
    if modality_form is None:
        modality_form = ModalityForm(formdata=None, version=person.version, modality=person.modality.value)
    if transfer_form is None:
        transfer_form = TransferForm(formdata=None, version=person.version)
    _transfer_choices(person, transfer_form)
    return {"modality_form": modality_form, "transfer_form": transfer_form}


def _transfer_choices(person: JobSeeker, form: TransferForm) -> tuple[list[User], list[Agency]]:
    referents, agencies = transfer_options(person)
    form.referent.choices = [SelectChoice("", _l("— Garder le conseiller —"))] + [
        SelectChoice(str(u.id), f"{u.full_name}" + (" ✓" if u.id == person.referent_id else ""))
        for u in referents]
    form.agency.choices = [SelectChoice("", _l("— Même agence —"))] + [
        SelectChoice(str(a.id), a.name) for a in agencies]
    return referents, agencies


def _page(person: JobSeeker, **forms: Any) -> dict[str, Any]:
    context = _base(person)
    context.update(_header(person))
    context.update(_profile(person))
    context.update(_benefits(person))
    context.update(_follow_up(person, modality_form=forms.pop("modality_form", None),
                              transfer_form=forms.pop("transfer_form", None)))
    context["later_sections"] = LATER_SECTIONS
    context.update(forms)
    return context


def _fragment_context(person: JobSeeker, fragment: str, **extra: Any) -> dict[str, Any]:
    context = _base(person)
    if fragment in ("_barriers", "_consents", "_action_plan"):
        context.update(_profile(person))
    context.update(extra)
    return context


def _respond(person: JobSeeker, fragment: str, *, status: int = 200, anchor: str | None = None,
             **extra: Any) -> ResponseReturnValue:
    """The fragment for htmx; without htmx, back to the page (or the page with the
    form in error)."""
    if wants_fragment():
        return render(f"jobseekers/{fragment}.html", status=status, **_fragment_context(person, fragment, **extra))
    if status < 400:
        return redirect(url_for(".file", job_seeker_id=person.id, _anchor=anchor))
    return render(PAGE, status=status, **_page(person, **extra))


def _audit_read(person: JobSeeker) -> None:
    """A refused write still showed the file back: record the read."""
    record(user=current_user, action="job_seeker.read", entity=person, address=client_address())
    db.session.commit()


def _failed(person_id: int) -> JobSeeker:
    db.session.rollback()
    person = db.session.get(JobSeeker, person_id)
    if person is None:
        abort(404)
    _audit_read(person)
    return person


def _form_error(form: Any, error: DomainError) -> None:
    """Put a domain error next to its field (or on the form when it has none)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors or []) + [error.message]
    else:
        form.form_errors.append(error.message)


def _me() -> User:
    return current_user._get_current_object()


# --------------------------------------------------------------------------- the page

@bp.get("/<int:job_seeker_id>")
@login_required
def file(job_seeker_id: int) -> ResponseReturnValue:
    preload_file(job_seeker_id)
    person = load_job_seeker(job_seeker_id)
    response = render(PAGE, **_page(person))
    db.session.commit()  # the audited read
    return response


@bp.get("/<int:job_seeker_id>/entete")
@login_required
def header(job_seeker_id: int) -> ResponseReturnValue:
    person = load_job_seeker(job_seeker_id)
    response = render("jobseekers/_header.html", **_base(person), **_header(person))
    db.session.commit()
    return response


# --------------------------------------------------------------------------- profile and PPAE

def _chosen_targets(values: list[str]) -> list[tuple[str, Any]]:
    """The targets a form shows as chosen: (posted value, match or None when unknown)."""
    return [(value, find_choice(value)) for value in values]


def _profile_form_response(person: JobSeeker, form: ProfileForm, *, status: int = 200,
                           conflict: bool = False) -> ResponseReturnValue:
    return _respond(person, "_profile_form", status=status, profile_form=form, conflict=conflict,
                    chosen_targets=_chosen_targets(form.targets.data))


@bp.get("/<int:job_seeker_id>/profil")
@login_required
def profile(job_seeker_id: int) -> ResponseReturnValue:
    preload_file(job_seeker_id)
    person = load_job_seeker(job_seeker_id)
    response = render(PAGE, "jobseekers/_profile.html", **(_page(person) if not wants_fragment() else _base(person)))
    db.session.commit()
    return response


@bp.get("/<int:job_seeker_id>/profil/modifier")
@login_required
def edit_profile(job_seeker_id: int) -> ResponseReturnValue:
    preload_file(job_seeker_id)
    person = load_job_seeker(job_seeker_id, need=Access.WRITE)
    form = ProfileForm(formdata=None, version=person.version, targets=[
        f"{t.rome_code}:{t.appellation_code}" if t.appellation_code else t.rome_code for t in person.targets],
        contract_types=list(person.contract_types or []), mobility_km=person.mobility_km,
        education_level=person.education_level.value, experience_months=person.experience_months,
        languages=person.languages, skills=person.skills, work_axes=person.work_axes,
        digital_autonomy=person.digital_autonomy.value)
    response = _profile_form_response(person, form)
    db.session.commit()
    return response


@bp.post("/<int:job_seeker_id>/profil")
@login_required
def save_profile(job_seeker_id: int) -> ResponseReturnValue:
    preload_file(job_seeker_id)
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    form = ProfileForm()
    if not form.validate():
        _audit_read(person)
        return _profile_form_response(person, form, status=422)
    try:
        services.update_profile(author=_me(), job_seeker=person, expected_version=form.version.data,
                                data=form.profile_data())
    except ConcurrentEditError:
        person = _failed(job_seeker_id)
        return _profile_form_response(person, form, status=422, conflict=True)
    except DomainError as error:
        person = _failed(job_seeker_id)
        _form_error(form, error)
        return _profile_form_response(person, form, status=422)
    db.session.commit()
    return _respond(person, "_profile", anchor="profile")


# --------------------------------------------------------------------------- barriers

def _add_to_section(job_seeker_id: int, form_class: type, fragment: str, form_name: str,
                    write: Any) -> ResponseReturnValue:
    """Validate ``form_class``, call ``write(person, form)`` (a service), commit and
    return the section; on errors, the section with its form in error (422)."""
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    form = form_class()
    if form.validate():
        try:
            write(person, form)
        except DomainError as error:
            person = _failed(job_seeker_id)
            _form_error(form, error)
        else:
            db.session.commit()
            return _respond(person, fragment, anchor=fragment.lstrip("_").replace("_", "-"))
    else:
        _audit_read(person)
    return _respond(person, fragment, status=422, **{form_name: form})


@bp.post("/<int:job_seeker_id>/freins")
@login_required
def add_barrier(job_seeker_id: int) -> ResponseReturnValue:
    return _add_to_section(job_seeker_id, BarrierForm, "_barriers", "barrier_form", lambda person, form: (
        services.add_barrier(author=_me(), job_seeker=person, kind=form.kind.data, notes=form.notes.data or "")))


@bp.post("/<int:job_seeker_id>/freins/<int:barrier_id>/lever")
@login_required
def resolve_barrier(job_seeker_id: int, barrier_id: int) -> ResponseReturnValue:
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    barrier = load_owned(Barrier, barrier_id, person)
    try:
        services.resolve_barrier(author=_me(), job_seeker=person, barrier=barrier)
    except DomainError as error:
        person = _failed(job_seeker_id)
        return _respond(person, "_barriers", status=422, barrier_error=error.message)
    db.session.commit()
    return _respond(person, "_barriers", anchor="barriers")


# --------------------------------------------------------------------------- action plan

@bp.post("/<int:job_seeker_id>/plan-action")
@login_required
def add_action_item(job_seeker_id: int) -> ResponseReturnValue:
    return _add_to_section(job_seeker_id, ActionItemForm, "_action_plan", "action_form", lambda person, form: (
        services.add_action_item(author=_me(), job_seeker=person, label=form.label.data, due_on=form.due_on.data)))


@bp.post("/<int:job_seeker_id>/plan-action/<int:item_id>/statut")
@login_required
def set_action_item_status(job_seeker_id: int, item_id: int) -> ResponseReturnValue:
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    item = load_owned(ActionPlanItem, item_id, person)
    form = ActionStatusForm()
    if not form.validate():
        _audit_read(person)
        return _respond(person, "_action_plan", status=422, action_error=_l("Choisissez un statut."))
    try:
        services.set_action_item_status(author=_me(), job_seeker=person, item=item,
                                        status=ActionStatus(form.status.data), expected_version=form.version.data)
    except DomainError as error:
        person = _failed(job_seeker_id)
        return _respond(person, "_action_plan", status=422, action_error=error.message,
                        action_conflict=isinstance(error, ConcurrentEditError))
    db.session.commit()
    return _respond(person, "_action_plan", anchor="action-plan")


# --------------------------------------------------------------------------- consents

@bp.post("/<int:job_seeker_id>/consentements")
@login_required
def record_consent(job_seeker_id: int) -> ResponseReturnValue:
    return _add_to_section(job_seeker_id, ConsentForm, "_consents", "consent_form", lambda person, form: (
        services.record_consent(author=_me(), job_seeker=person, kind=form.kind.data, given=form.given.data,
                                notes=form.notes.data or "")))


# --------------------------------------------------------------------------- follow-up

def _follow_up_response(person: JobSeeker, *, status: int = 200, message: Any = None, conflict: bool = False,
                        **forms: Any) -> ResponseReturnValue:
    """The follow-up section; after a change, the header too (out of band: the
    modality shown there changed)."""
    if not wants_fragment():
        if status < 400:
            if message:
                flash(str(message), "success")
            return redirect(url_for(".file", job_seeker_id=person.id, _anchor="follow-up"))
        return render(PAGE, status=status, follow_up_conflict=conflict, **_page(person, **forms))
    context = _base(person, **_follow_up(person, **forms), follow_up_message=message, follow_up_conflict=conflict)
    html = render_template("jobseekers/_follow_up.html", **context)
    if status < 400:
        html += render_template("jobseekers/_header.html", oob=True, **context, **_header(person))
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


@bp.post("/<int:job_seeker_id>/modalite")
@login_required
def change_modality(job_seeker_id: int) -> ResponseReturnValue:
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    form = ModalityForm()
    if form.validate():
        try:
            services.change_modality(author=_me(), job_seeker=person, modality=Modality(form.modality.data),
                                     reason=form.reason.data, expected_version=form.version.data)
        except DomainError as error:
            person = _failed(job_seeker_id)
            _form_error(form, error)
            conflict = isinstance(error, ConcurrentEditError)
        else:
            db.session.commit()
            return _follow_up_response(person, message=_l("Modalité de suivi changée : %(modality)s.",
                                                          modality=label(person.modality)))
    else:
        _audit_read(person)
        conflict = False
    return _follow_up_response(person, status=422, conflict=conflict, modality_form=form)


@bp.post("/<int:job_seeker_id>/transfert")
@login_required
def transfer(job_seeker_id: int) -> ResponseReturnValue:
    person = load_job_seeker(job_seeker_id, need=Access.WRITE, audit=None)
    form = TransferForm()
    referents, agencies = _transfer_choices(person, form)
    if form.validate():
        referent = next((u for u in referents if str(u.id) == form.referent.data), None)
        agency = next((a for a in agencies if str(a.id) == form.agency.data), None)
        try:
            services.transfer_job_seeker(author=_me(), job_seeker=person, referent=referent, agency=agency,
                                         reason=form.reason.data, expected_version=form.version.data)
        except DomainError as error:
            person = _failed(job_seeker_id)
            _form_error(form, error)
            conflict = isinstance(error, ConcurrentEditError)
        else:
            db.session.commit()
            flash(str(_l("Transfert enregistré.")), "success")
            # Rights on the file may have changed (another referent, another agency):
            # reload the whole page, or leave it when the file is now out of reach.
            if job_seeker_access(current_user, person) is Access.NONE:
                target = url_for("web.home")
            else:
                target = url_for(".file", job_seeker_id=person.id)
            if wants_fragment():
                response = Response(status=204)
                response.headers["HX-Redirect"] = target
                return response
            return redirect(target)
    else:
        _audit_read(person)
        conflict = False
    return _follow_up_response(person, status=422, conflict=conflict, transfer_form=form)

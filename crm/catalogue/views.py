"""Events (catalogue items of kind event): upcoming sessions with their seats left, and
a session's registrations with register / unregister / attendance actions (htmx).

Sessions are shared by the agencies; registrations are people's data, so a user sees
those of their agency only (the others are counted, not named). Registering or
marking a party needs WRITE on it, except that employer counselors may register their
agency's job seekers (job dating, MRS sessions: pre-selection is their job).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import IntegerField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from crm.access import Access, employer_access, job_seeker_access, writable_job_seekers
from crm.audit.services import record
from crm.catalogue import services
from crm.catalogue.models import (
    CatalogueItem, CatalogueKind, CatalogueSession, EventKind, SessionRegistration,
)
from crm.employers.models import Employer
from crm.extensions import db
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.labels import LABELS
from crm.organisation.models import Role
from crm.web.guards import client_address, roles_required
from crm.web.actions import attempt, form_messages
from crm.web.rendering import render
from crm.clock import current_day

bp = Blueprint("events", __name__, url_prefix="/evenements")

STAFF = (Role.COUNSELOR, Role.EMPLOYER_COUNSELOR, Role.BENEFITS_COUNSELOR, Role.PSYCHOLOGIST, Role.TEAM_MANAGER,
         Role.DIRECTOR)
LIST_LIMIT = 200
OPTIONS_LIMIT = 500


class EventFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Type d'événement"), default="", choices=[
        SelectChoice("", _l("Tous")), *[SelectChoice(k.value, LABELS[EventKind][k]) for k in EventKind]])


class RegistrationForm(FlaskForm):
    party = RadioField(choices=[SelectChoice("job_seeker", _l("Demandeur d'emploi")),
                                SelectChoice("employer", _l("Entreprise"))],
                       validators=[InputRequired(message=_l("Choisissez qui inscrire."))])
    job_seeker_id = IntegerField(_l("Demandeur d'emploi"), validators=[Optional()])
    employer_id = IntegerField(_l("Entreprise"), validators=[Optional()])


class VersionForm(FlaskForm):
    """The registration's version the row was rendered with (a concurrent change is reported)."""

    version = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=2_147_483_647)])


class AttendanceForm(VersionForm):
    attended = RadioField(choices=[SelectChoice("yes", _l("Présent")), SelectChoice("no", _l("Absent"))],
                          validators=[InputRequired(message=_l("Indiquez la présence."))])


def _user() -> Any:
    return current_user._get_current_object()


def _may_register_job_seeker(person: JobSeeker) -> bool:
    access = job_seeker_access(_user(), person)
    return access is Access.WRITE or (access is Access.READ and _user().role is Role.EMPLOYER_COUNSELOR)


def _may_act(registration: SessionRegistration) -> bool:
    if registration.job_seeker is not None:
        return _may_register_job_seeker(registration.job_seeker)
    return employer_access(_user(), registration.employer) is Access.WRITE


def _visible(registration: SessionRegistration) -> bool:
    party = registration.job_seeker or registration.employer
    return party is not None and party.agency_id == _user().agency_id


# --------------------------------------------------------------------------- list


@bp.get("", endpoint="index")
@roles_required(*STAFF)
def index() -> ResponseReturnValue:
    form = EventFilterForm(formdata=request.args)
    today = current_day().today
    taken = (sa.select(SessionRegistration.session_id, sa.func.count().label("taken"))
             .where(SessionRegistration.status.in_(services.SEAT_STATUSES))
             .group_by(SessionRegistration.session_id).subquery())
    statement = (
        sa.select(CatalogueSession, sa.func.coalesce(taken.c.taken, 0))
        .join(CatalogueItem, CatalogueItem.id == CatalogueSession.item_id)
        .outerjoin(taken, taken.c.session_id == CatalogueSession.id)
        .where(CatalogueItem.kind == CatalogueKind.EVENT, CatalogueItem.active.is_(True),
               sa.func.coalesce(CatalogueSession.ends_on, CatalogueSession.starts_on) >= today)
        .options(joinedload(CatalogueSession.item), joinedload(CatalogueSession.commune))
        .order_by(CatalogueSession.starts_on, CatalogueSession.id).limit(LIST_LIMIT)
    )
    status = 200
    if form.validate():
        if form.kind.data:
            statement = statement.where(CatalogueItem.event_kind == EventKind(form.kind.data))
    else:
        status = 422
    sessions = [(session, max(session.capacity - taken_seats, 0)) for session, taken_seats
                in db.session.execute(statement)]
    return render("events/index.html", "events/_list.html", status=status, form=form, sessions=sessions,
                  title=_l("Événements"))


# --------------------------------------------------------------------------- a session


def _load_session(session_id: int) -> CatalogueSession:
    session = db.session.get(CatalogueSession, session_id)
    if session is None or session.item.kind != CatalogueKind.EVENT:
        abort(404)
    return session


def _session_response(session: CatalogueSession, *, status: int = 200, form_errors: list[Any] | None = None,
                      errors: dict[int, list[Any]] | None = None) -> Response:
    user = _user()
    registrations = db.session.scalars(
        sa.select(SessionRegistration).where(SessionRegistration.session_id == session.id)
        .options(joinedload(SessionRegistration.job_seeker), joinedload(SessionRegistration.employer))
        .order_by(SessionRegistration.registered_at, SessionRegistration.id)
    ).all()
    visible = [r for r in registrations if _visible(r)]
    hidden = sum(1 for r in registrations if not _visible(r) and r.status in services.SEAT_STATUSES)
    actionable = {r.id for r in visible if _may_act(r)}
    people = db.session.scalars(
        sa.select(JobSeeker).where(writable_job_seekers(user), JobSeeker.status == JobSeekerStatus.ACTIVE)
        .order_by(JobSeeker.last_name, JobSeeker.first_name).limit(OPTIONS_LIMIT)).all()
    employers = db.session.scalars(
        sa.select(Employer).where(Employer.counselor_id == user.id, Employer.agency_id == user.agency_id)
        .order_by(Employer.name).limit(OPTIONS_LIMIT)).all()
    return render("events/session.html", "events/_session.html", status=status, session=session,
                  registrations=visible, hidden=hidden, actionable=actionable,
                  seats_left=services.seats_left(session), people=people, employers=employers,
                  form_errors=form_errors or [], errors=errors or {}, today=current_day().today,
                  title=session.item.title)


@bp.get("/sessions/<int:session_id>")
@roles_required(*STAFF)
def session_detail(session_id: int) -> ResponseReturnValue:
    session = _load_session(session_id)
    record(user=_user(), action="event_session.read", entity=session, address=client_address())
    response = _session_response(session)
    db.session.commit()
    return response


@bp.post("/sessions/<int:session_id>/inscriptions")
@roles_required(*STAFF)
def register(session_id: int) -> ResponseReturnValue:
    session = _load_session(session_id)
    form = RegistrationForm()
    if not form.validate():
        return _session_response(session, status=422, form_errors=form_messages(form))
    job_seeker = employer = None
    if form.party.data == "job_seeker":
        job_seeker = db.session.get(JobSeeker, form.job_seeker_id.data) if form.job_seeker_id.data else None
        if job_seeker is None or job_seeker_access(_user(), job_seeker) is Access.NONE:
            return _session_response(session, status=422, form_errors=[_l("Choisissez un demandeur d'emploi.")])
        if not _may_register_job_seeker(job_seeker):
            abort(403)
    else:
        employer = db.session.get(Employer, form.employer_id.data) if form.employer_id.data else None
        if employer is None or employer_access(_user(), employer) is Access.NONE:
            return _session_response(session, status=422, form_errors=[_l("Choisissez une entreprise.")])
        if employer_access(_user(), employer) is not Access.WRITE:
            abort(403)
    error = attempt(lambda: services.register(author=_user(), session=session, job_seeker=job_seeker,
                                               employer=employer))
    db.session.commit()
    if error is not None:
        return _session_response(session, status=422, form_errors=[error.message])
    return _session_response(session)


def _registration(session: CatalogueSession, registration_id: int) -> SessionRegistration:
    registration = db.session.get(SessionRegistration, registration_id)
    if registration is None or registration.session_id != session.id or not _visible(registration):
        abort(404)
    if not _may_act(registration):
        abort(403)
    return registration


@bp.post("/sessions/<int:session_id>/inscriptions/<int:registration_id>/desinscription")
@roles_required(*STAFF)
def unregister(session_id: int, registration_id: int) -> ResponseReturnValue:
    session = _load_session(session_id)
    registration = _registration(session, registration_id)
    form = VersionForm()
    if not form.validate():
        return _session_response(session, status=422, errors={registration.id: form_messages(form)})
    error = attempt(lambda: services.unregister(author=_user(), registration=registration,
                                                expected_version=form.version.data))
    db.session.commit()
    if error is not None:
        return _session_response(session, status=422, errors={registration.id: [error.message]})
    return _session_response(session)


@bp.post("/sessions/<int:session_id>/inscriptions/<int:registration_id>/presence")
@roles_required(*STAFF)
def attendance(session_id: int, registration_id: int) -> ResponseReturnValue:
    session = _load_session(session_id)
    registration = _registration(session, registration_id)
    form = AttendanceForm()
    if not form.validate():
        return _session_response(session, status=422, errors={registration.id: form_messages(form)})
    error = attempt(lambda: services.mark_attendance(author=_user(), registration=registration,
                                                      attended=form.attended.data == "yes",
                                                      expected_version=form.version.data))
    db.session.commit()
    if error is not None:
        return _session_response(session, status=422, errors={registration.id: [error.message]})
    return _session_response(session)


"""Administrators' RGPD pages: find a person, export what Proxima holds about them, erase it.

Administrators have no access to files (``crm.access``): these pages are their only way
to a person, and every look, export and erasure is audited.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.audit.services import origin, record
from crm.db import utcnow
from crm.extensions import db
from crm.gdpr import services
from crm.jobseekers.models import JobSeeker
from crm.organisation.models import Role
from crm.web.actions import attach_error, attempt
from crm.web.guards import client_address, roles_required
from crm.web.rendering import render

bp = Blueprint("gdpr", __name__, url_prefix="/admin/rgpd")

SEARCH_LIMIT = 50

TABLE_LABELS: dict[str, Any] = {
    "interaction": _l("Interactions"),
    "appointment": _l("Rendez-vous"),
    "proposal": _l("Propositions"),
    "referral": _l("Orientations"),
    "application": _l("Mises en relation"),
    "outcome_episode": _l("Sorties et reprises d'emploi"),
    "priority_score": _l("Scores de priorité"),
    "feedback": _l("Retours des conseillers"),
    "audit_event": _l("Journal d'audit"),
    "consent_record": _l("Consentements"),
    "task": _l("Tâches"),
    "barrier": _l("Freins"),
    "action_plan_item": _l("Plan d'action"),
    "benefit_right": _l("Droits à indemnisation"),
    "benefit_event": _l("Événements d'indemnisation"),
    "job_seeker_target": _l("Métiers recherchés"),
    "session_registration": _l("Inscriptions aux événements"),
    "prospection_action": _l("Promotions de profil"),
}


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    q = StringField(_l("Nom, identifiant ou adresse électronique"), validators=[Optional(), Length(max=100)])


class EraseForm(FlaskForm):
    reason = TextAreaField(_l("Demande à l'origine de l'effacement"), validators=[
        DataRequired(_l("Indiquez la demande à l'origine de l'effacement.")),
        Length(max=services.MAX_REASON_LENGTH, message=_l("Le motif est limité à %(max)s caractères.",
                                                          max=services.MAX_REASON_LENGTH))],
        description=_l("Date et canal de la demande, référence du courrier…"))
    confirm = BooleanField(_l("Je confirme l'effacement définitif des données personnelles de cette personne."),
                           validators=[DataRequired(_l("Cochez la case pour confirmer l'effacement."))])


def _me() -> Any:
    return current_user._get_current_object()


def _person(job_seeker_id: int) -> JobSeeker:
    person = db.session.get(JobSeeker, job_seeker_id)
    if person is None:
        abort(404)
    return person


def search(text: str) -> list[JobSeeker]:
    """People whose name, external id or e-mail matches ``text`` (or whose id it is)."""
    text = text.strip()
    if not text:
        return []
    pattern = f"%{text.lower()}%"
    full_name = sa.func.lower(JobSeeker.first_name + " " + JobSeeker.last_name)
    clauses = [full_name.like(pattern), sa.func.lower(JobSeeker.last_name + " " + JobSeeker.first_name).like(pattern),
               sa.func.lower(JobSeeker.external_id) == text.lower(), sa.func.lower(JobSeeker.email) == text.lower()]
    if text.isdigit() and len(text) < 10:
        clauses.append(JobSeeker.id == int(text))
    return list(db.session.scalars(sa.select(JobSeeker).where(sa.or_(*clauses))
                                   .order_by(JobSeeker.last_name, JobSeeker.first_name, JobSeeker.id)
                                   .limit(SEARCH_LIMIT)))


@bp.get("")
@roles_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    form = SearchForm(request.args)
    people = search(form.q.data or "") if form.validate() else []
    return render("gdpr/index.html", form=form, people=people, searched=bool((form.q.data or "").strip()),
                  limit=SEARCH_LIMIT, title=_l("Données personnelles (RGPD)"))


def _person_page(person: JobSeeker, form: EraseForm | None = None, *, status: int = 200) -> Response:
    counts = services.row_counts(person)
    rows = [(TABLE_LABELS.get(name, name), count) for name, count in counts.items()]
    return render("gdpr/person.html", status=status, person=person, rows=rows,
                  last_activity=services.last_activity(person.id), form=form or EraseForm(formdata=None),
                  title=_l("Données personnelles de %(name)s", name=person.full_name))


@bp.get("/personnes/<int:job_seeker_id>")
@roles_required(Role.ADMIN)
def person(job_seeker_id: int) -> ResponseReturnValue:
    person = _person(job_seeker_id)
    record(user=_me(), action="job_seeker.read", entity=person, details={"context": "gdpr"},
           address=client_address())
    db.session.commit()
    return _person_page(person)


@bp.get("/personnes/<int:job_seeker_id>/export")
@roles_required(Role.ADMIN)
def export(job_seeker_id: int) -> ResponseReturnValue:
    person = _person(job_seeker_id)
    now = utcnow()
    with origin("web", client_address()):
        content = services.subject_access_archive(person, author=_me(), now=now)
    db.session.commit()
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{services.archive_name(person, now)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/personnes/<int:job_seeker_id>/effacement")
@roles_required(Role.ADMIN)
def erase(job_seeker_id: int) -> ResponseReturnValue:
    person = _person(job_seeker_id)
    form = EraseForm()
    if not form.validate():
        return _person_page(person, form, status=422)
    with origin("web", client_address()):
        error = attempt(lambda: services.erase_job_seeker(person, author=_me(), reason=form.reason.data))
    if error is not None:
        attach_error(form, error)
        return _person_page(person, form, status=422)
    db.session.commit()
    flash(str(_l("Les données personnelles de la personne n° %(id)s sont effacées.", id=person.id)), "success")
    return redirect(url_for("gdpr.person", job_seeker_id=person.id), 303)

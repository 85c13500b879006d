"""Employer relations: « Mes entreprises », the account view with its timeline and
inline logging, prospection, profile promotion, recruitment needs, the recontacting
list and portfolio reassignment.

Reads need READ access on the employer and are audited by ``load_employer``; writes
need WRITE (the employer counselor's own portfolio, or their team manager's), call one
service inside a savepoint (a ``DomainError`` becomes a form error, 422), commit and
answer the section (an htmx fragment) or the page.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from crm.access import Access, employer_access, visible_employers, visible_job_seekers
from crm.audit.services import record
from crm.employers import queries
from crm.employers import services as relations
from crm.employers.forms import (
    BulkReassignForm, EmployerFilterForm, EmployerInteractionForm, EmployerTimelineFilterForm, PlanProspectionForm,
    PromotionForm, ReassignForm, RecruitmentNeedForm, ProspectionDoneForm,
)
from crm.employers.models import Employer, NeedSource, ProspectionAction, ProspectionKind
from crm.errors import DomainError
from crm.extensions import db
from crm.interactions import services as timeline
from crm.interactions.forms import as_enum, to_utc
from crm.interactions.models import Channel, Direction, InteractionKind, InteractionOutcome
from crm.interactions.queries import timeline_page
from crm.interactions.views import TIMELINE_CHANGED
from crm.web.actions import attach_error, attempt
from crm.jobseekers.models import JobSeeker
from crm.jobseekers.portfolio_forms import options
from crm.jobseekers.portfolio_views import _list_url, _status
from crm.organisation.models import Role, User
from crm.referentials.models import NafCode, NafSection, SizeBand
from crm.web.guards import client_address, load_employer, roles_required
from crm.web.rendering import render, wants_fragment
from crm.clock import current_day

bp = Blueprint("employers", __name__, url_prefix="/entreprises")

LIST_ROLES = (Role.EMPLOYER_COUNSELOR, Role.TEAM_MANAGER, Role.DIRECTOR)
TITLES = {
    Role.EMPLOYER_COUNSELOR: _l("Mes entreprises"),
    Role.TEAM_MANAGER: _l("Entreprises de l'équipe"),
    Role.DIRECTOR: _l("Entreprises de l'agence"),
}
PAGE = "employers/account.html"
SECTION_PAGE = "employers/section.html"
LOG_FORM_FIELDS = {"task.": {"title": "task_title"}, "next_step.": {"next_step": "next_step"}}


def _user() -> User:
    return current_user._get_current_object()


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def offer_url(offer_id: int) -> str | None:
    """The offer page, once it is registered (built in the offers module)."""
    if "offers.detail" not in current_app.view_functions:
        return None
    return url_for("offers.detail", offer_id=offer_id)


def new_offer_url(employer_id: int) -> str | None:
    if "offers.create" not in current_app.view_functions:
        return None
    return url_for("offers.create", employer_id=employer_id)


def job_seeker_url(job_seeker_id: int) -> str | None:
    if "jobseekers.file" not in current_app.view_functions:
        return None
    return url_for("jobseekers.file", job_seeker_id=job_seeker_id)


# --------------------------------------------------------------------------- scope


def portfolio_scope(user: User, counselor_id: int | None = None) -> sa.ColumnElement[bool]:
    """The employers whose list this is: the counselor's portfolio, the team's, or the
    agency's (never more than ``crm.access`` lets the user read)."""
    clauses = [visible_employers(user)]
    if user.role is Role.EMPLOYER_COUNSELOR:
        clauses.append(Employer.counselor_id == user.id)
    elif user.role is Role.TEAM_MANAGER:
        team = sa.select(User.id).where(User.team_id == user.team_id) if user.team_id is not None else None
        clauses.append(Employer.counselor_id.in_(team) if team is not None else sa.false())
    if counselor_id is not None and user.role is not Role.EMPLOYER_COUNSELOR:
        clauses.append(Employer.counselor_id == counselor_id)
    return sa.and_(*clauses)


def _counselor_choices(user: User) -> list[User]:
    if user.agency_id is None:
        return []
    team_id = user.team_id if user.role is Role.TEAM_MANAGER else None
    if user.role is Role.TEAM_MANAGER and team_id is None:
        return []
    return queries.employer_counselors(user.agency_id, team_id=team_id)


def _filter_form(user: User) -> EmployerFilterForm:
    form = EmployerFilterForm(request.args)
    sections = db.session.execute(sa.select(NafSection.code, NafSection.label).order_by(NafSection.code)).all()
    form.naf_section.choices = options([("", _("Tous")), *((c, f"{c} – {label}") for c, label in sections)])
    bands = db.session.execute(sa.select(SizeBand.code, SizeBand.label).order_by(SizeBand.code)).all()
    form.size_band.choices = options([("", _("Toutes")), *bands])
    if user.role in (Role.TEAM_MANAGER, Role.DIRECTOR):
        form.counselor.choices = options([("", _("Tous")), *((str(u.id), f"{u.last_name} {u.first_name}")
                                                             for u in _counselor_choices(user))])
    return form


# --------------------------------------------------------------------------- « Mes entreprises »


def _render_list(user: User, form: EmployerFilterForm, *, status: int) -> Response:
    day = current_day()
    scope = portfolio_scope(user, form.selected_counselor())
    page = queries.employer_page(scope, form.filters(), now=day.now_utc)
    return render("employers/index.html", "employers/_table.html", status=status, form=form, page=page, day=day,
                  title=TITLES[user.role], show_counselor=user.role is not Role.EMPLOYER_COUNSELOR,
                  list_url=partial(_list_url, "employers.index", keep=frozenset(form._fields) - set(form.errors)))


@bp.get("", endpoint="index")
@roles_required(*LIST_ROLES)
def index() -> ResponseReturnValue:
    user = _user()
    form = _filter_form(user)
    return _render_list(user, form, status=_status(form.validate()))


@bp.get("/a-recontacter")
@roles_required(*LIST_ROLES)
def recontact() -> ResponseReturnValue:
    user = _user()
    day = current_day()
    rows = queries.recontact_list(portfolio_scope(user), now=day.now_utc, today=day.today)
    return render("employers/recontact.html", rows=rows, day=day, after_days=queries.RECONTACT_AFTER_DAYS)


# --------------------------------------------------------------------------- account view


def _timeline_party(employer: Employer) -> dict[str, Any]:
    return {"timeline": "employers.timeline", "log": "employers.log", "log_form": "employers.log_form",
            "args": {"employer_id": employer.id}}


def _timeline_context(employer: Employer, *, filters: EmployerTimelineFilterForm | None = None,
                      log_form: EmployerInteractionForm | None = None) -> tuple[dict[str, Any], bool]:
    """The timeline's context and whether its filters were valid."""
    filters = filters or EmployerTimelineFilterForm(formdata=None)
    valid = filters.validate()
    if valid:
        channel, kind = as_enum(Channel, filters.channel.data), as_enum(InteractionKind, filters.kind.data)
        page = filters.page.data or 1
    else:
        channel, kind, page = None, None, 1
    if log_form is None:
        log_form = EmployerInteractionForm(formdata=None)
        log_form.narrow_to_channel()
    return {"timeline": timeline_page(employer_id=employer.id, channel=channel, kind=kind, page=page),
            "filters": filters, "log_form": log_form, "timeline_party": _timeline_party(employer)}, valid


def _reassign_form(user: User, employer: Employer, form: ReassignForm | None = None) -> ReassignForm | None:
    if not relations.can_reassign(user, employer):
        return None
    form = form or ReassignForm(formdata=None, version=employer.version)
    form.counselor.choices = [SelectChoice("", _l("Choisir…"))] + [
        SelectChoice(str(u.id), u.full_name + (" ✓" if u.id == employer.counselor_id else ""))
        for u in _counselor_choices(user)]
    return form


# The account view lists each open offer's latest candidates; the offer page has them all.
CANDIDATES_SHOWN = 3


def _account_context(employer: Employer, **overrides: Any) -> dict[str, Any]:
    user = _user()
    day = current_day()
    can_write = employer_access(user, employer) is Access.WRITE
    context, _valid = _timeline_context(employer, log_form=overrides.pop("log_form", None))
    context.update(
        employer=employer, day=day, can_write=can_write, view=queries.account_view(employer, today=day.today),
        plan_form=PlanProspectionForm(formdata=None), done_form=ProspectionDoneForm(formdata=None, done_on=day.today),
        promotion_form=PromotionForm(formdata=None), need_form=RecruitmentNeedForm(formdata=None),
        reassign_form=_reassign_form(user, employer), errors={}, offer_url=offer_url,
        new_offer_url=new_offer_url(employer.id), job_seeker_url=job_seeker_url,
        candidates_shown=CANDIDATES_SHOWN)
    context.update(overrides)
    return context


def _account_response(employer: Employer, fragment: str | None = None, *, status: int = 200,
                      changed: str | None = None, oob: bool = False, **overrides: Any) -> Response:
    response = render(PAGE, fragment, status=status, **_account_context(employer, **overrides))
    if oob and wants_fragment():
        response.set_data(response.get_data(as_text=True) + _last_contact_oob(employer))
    if changed:
        response.headers["HX-Trigger"] = changed
    return response


def _last_contact_oob(employer: Employer) -> str:
    return render_template("employers/_last_contact.html", employer=employer, oob=True)


@bp.get("/<int:employer_id>")
@login_required
def detail(employer_id: int) -> ResponseReturnValue:
    employer = load_employer(employer_id, need=Access.READ)
    response = _account_response(employer)
    db.session.commit()  # the audited read
    return response


# --------------------------------------------------------------------------- timeline


def _timeline_response(employer: Employer, *, filters: EmployerTimelineFilterForm | None = None,
                       log_form: EmployerInteractionForm | None = None, status: int = 200,
                       oob: bool = False) -> Response:
    context, valid = _timeline_context(employer, filters=filters, log_form=log_form)
    status = status if valid else 422
    can_write = employer_access(_user(), employer) is Access.WRITE
    if context["timeline"].page > 1 and wants_fragment():  # "voir plus": the next entries only
        response = Response(render_template("interactions/_timeline_entries.html", **context), status)
        response.vary.add("HX-Request")
        return response
    response = render(SECTION_PAGE, "interactions/_timeline.html", status=status, employer=employer,
                      section="interactions/_timeline.html", title=_l("Historique des échanges"),
                      can_write=can_write, **context)
    if oob and wants_fragment():
        response.set_data(response.get_data(as_text=True) + _last_contact_oob(employer))
    return response


@bp.get("/<int:employer_id>/historique", endpoint="timeline")
@login_required
def timeline_view(employer_id: int) -> ResponseReturnValue:
    employer = load_employer(employer_id, need=Access.READ)
    response = _timeline_response(employer, filters=EmployerTimelineFilterForm(formdata=request.args))
    db.session.commit()  # the audited read
    return response


@bp.get("/<int:employer_id>/interactions/formulaire")
@login_required
def log_form(employer_id: int) -> ResponseReturnValue:
    """The logging form again, its kinds and outcomes narrowed to the chosen channel."""
    employer = load_employer(employer_id, need=Access.WRITE, audit=None)
    form = EmployerInteractionForm(formdata=request.args)
    form.narrow_to_channel()
    return render_template("interactions/_log_form.html", log_form=form, timeline_party=_timeline_party(employer))


@bp.post("/<int:employer_id>/interactions")
@login_required
def log(employer_id: int) -> ResponseReturnValue:
    employer = load_employer(employer_id, need=Access.WRITE)
    form = EmployerInteractionForm()
    form.narrow_to_channel()
    if form.validate():
        next_step = (timeline.NextTask(title=form.task_title.data, due_on=form.task_due_on.data)
                     if form.next_step.data == "task" else None)
        error = attempt(lambda: timeline.log_interaction(
            author=_user(), employer=employer, channel=Channel(form.channel.data),
            direction=Direction(form.direction.data), kind=InteractionKind(form.kind.data),
            outcome=InteractionOutcome(form.outcome.data), notes=form.notes.data,
            occurred_at=to_utc(form.occurred_at.data), next_step=next_step))
        if error is None:
            db.session.commit()
            return _timeline_response(employer, oob=True)
        prefix = next((p for p in LOG_FORM_FIELDS if error.code.startswith(p)), None)
        attach_error(form, error, LOG_FORM_FIELDS.get(prefix))
    db.session.commit()  # the audited read only: the service's writes were undone
    if wants_fragment():
        response = Response(render_template("interactions/_log_form.html", log_form=form,
                                            timeline_party=_timeline_party(employer)), 422)
        response.headers["HX-Retarget"] = "#log-form"
        response.headers["HX-Reswap"] = "outerHTML"
        response.vary.add("HX-Request")
        return response
    return _timeline_response(employer, log_form=form, status=422)


# --------------------------------------------------------------------------- sections: prospection, needs


def _write(employer_id: int, form_class: type[FlaskForm], fragment: str, form_name: str,
           call: Any, *, changed: str | None = None, oob: bool = False) -> Response:
    """A section's form: validate, call the service, answer the section (422 with the
    form's errors in place on failure)."""
    employer = load_employer(employer_id, need=Access.WRITE)
    form = form_class()
    if form.validate():
        error = attempt(lambda: call(employer, form))
        if error is None:
            db.session.commit()
            return _account_response(employer, fragment, changed=changed, oob=oob)
        attach_error(form, error)
    db.session.commit()  # the audited read only
    return _account_response(employer, fragment, status=422, **{form_name: form})


@bp.post("/<int:employer_id>/prospection")
@login_required
def plan_prospection(employer_id: int) -> ResponseReturnValue:
    return _write(employer_id, PlanProspectionForm, "employers/_prospection.html", "plan_form",
                  lambda employer, form: relations.plan_prospection(
                      author=_user(), employer=employer, kind=ProspectionKind(form.kind.data),
                      planned_on=form.planned_on.data, notes=form.notes.data, today=current_day().today))


@bp.post("/<int:employer_id>/prospection/<int:action_id>/realisee")
@login_required
def prospection_done(employer_id: int, action_id: int) -> ResponseReturnValue:
    employer = load_employer(employer_id, need=Access.WRITE)
    action = db.session.get(ProspectionAction, action_id)
    if action is None or action.employer_id != employer.id:
        abort(404)
    form = ProspectionDoneForm()
    error = None
    if form.validate():
        error = attempt(lambda: relations.mark_prospection_done(
            author=_user(), action=action, done_on=form.done_on.data, today=current_day().today, zone=_zone(),
            expected_version=form.version.data, notes=form.notes.data))
    db.session.commit()
    messages = [m for ms in form.errors.values() for m in ms] + ([error.message] if error else [])
    if messages:
        return _account_response(employer, "employers/_prospection.html", status=422, errors={action.id: messages})
    return _account_response(employer, "employers/_prospection.html", changed=TIMELINE_CHANGED, oob=True)


def _promote(employer: Employer, form: PromotionForm) -> None:
    ref = form.job_seeker.data.strip()
    match = sa.or_(JobSeeker.external_id == ref, JobSeeker.id == int(ref)) if ref.isdigit() and len(ref) < 10 \
        else JobSeeker.external_id == ref
    person = db.session.scalar(sa.select(JobSeeker).where(match, visible_job_seekers(_user()),
                                                          JobSeeker.anonymised_at.is_(None)).limit(1))
    if person is None:
        raise DomainError(_l("Aucun demandeur d'emploi de votre agence ne porte cet identifiant."),
                          code="promotion.not_found", field="job_seeker")
    relations.promote_profile(author=_user(), employer=employer, job_seeker=person,
                              channel=Channel(form.channel.data), notes=form.notes.data, today=current_day().today)


@bp.post("/<int:employer_id>/promotion")
@login_required
def promote(employer_id: int) -> ResponseReturnValue:
    return _write(employer_id, PromotionForm, "employers/_prospection.html", "promotion_form", _promote,
                  changed=TIMELINE_CHANGED, oob=True)


@bp.post("/<int:employer_id>/besoins")
@login_required
def add_need(employer_id: int) -> ResponseReturnValue:
    return _write(employer_id, RecruitmentNeedForm, "employers/_needs.html", "need_form",
                  lambda employer, form: relations.add_recruitment_need(
                      author=_user(), employer=employer, source=NeedSource(form.source.data),
                      positions=form.positions.data, rome_code=form.rome_code.data,
                      expected_on=form.expected_on.data, notes=form.notes.data, today=current_day().today))


# --------------------------------------------------------------------------- reassignment


def _chosen_counselor(form: ReassignForm) -> User:
    value = form.counselor.data or ""
    counselor = db.session.get(User, int(value)) if value.isdigit() else None
    if counselor is None:
        raise DomainError(_l("Choisissez le conseiller."), code="reassign.counselor", field="counselor")
    return counselor


@bp.post("/<int:employer_id>/reaffecter")
@login_required
def reassign(employer_id: int) -> ResponseReturnValue:
    employer = load_employer(employer_id, need=Access.READ)
    user = _user()
    if not relations.can_reassign(user, employer):
        abort(403)
    form = _reassign_form(user, employer, ReassignForm())
    if form.validate():
        error = attempt(lambda: relations.reassign_employers(
            actor=user, employers=[employer], counselor=_chosen_counselor(form), reason=form.reason.data,
            expected_version=form.version.data or None))
        if error is None:
            db.session.commit()
            return _account_response(employer, "employers/_counselor.html")
        attach_error(form, error)
    db.session.commit()  # the audited read only
    return _account_response(employer, "employers/_counselor.html", status=422, reassign_form=form)


def _bulk_form(user: User, formdata: Any = None) -> BulkReassignForm:
    form = BulkReassignForm(formdata=formdata) if formdata is not None else BulkReassignForm(formdata=None)
    counselors = _counselor_choices(user)
    people = [SelectChoice(str(u.id), u.full_name) for u in counselors]
    form.counselor.choices = [SelectChoice("", _l("Choisir…")), *people]
    form.from_counselor.choices = [SelectChoice("", _l("Tous")), *people]
    sections = db.session.execute(sa.select(NafSection.code, NafSection.label).order_by(NafSection.code)).all()
    form.naf_section.choices = [SelectChoice("", _l("Choisir…")),
                                *(SelectChoice(c, f"{c} – {label}") for c, label in sections)]
    return form


@bp.route("/reaffectation", methods=["GET", "POST"])
@roles_required(Role.DIRECTOR)
def bulk_reassign() -> ResponseReturnValue:
    """A whole sector (NAF section) of the agency, or one counselor's part of it, given to
    another employer counselor with a reason."""
    user = _user()
    if request.method == "GET":
        return render("employers/reassign.html", form=_bulk_form(user))
    form = _bulk_form(user, request.form)
    if form.validate():
        from_id = int(form.from_counselor.data) if form.from_counselor.data else None
        employers = list(db.session.scalars(
            sa.select(Employer).where(visible_employers(user), Employer.naf_code.in_(
                sa.select(NafCode.code).where(NafCode.section_code == form.naf_section.data)),
                *([Employer.counselor_id == from_id] if from_id is not None else []))
            .order_by(Employer.id)))
        changed: list[Employer] = []

        def run() -> None:
            changed.extend(relations.reassign_employers(
                actor=user, employers=employers, counselor=_chosen_counselor(form), reason=form.reason.data,
                scope={"naf_section": form.naf_section.data, "from_counselor": from_id}))

        error = attempt(run)
        if error is None:
            record(user=user, action="employer.bulk_reassign", entity=user, reason=form.reason.data.strip(),
                   address=client_address(),
                   details={"naf_section": form.naf_section.data, "from_counselor": from_id,
                            "to": int(form.counselor.data), "employers": len(changed)})
            db.session.commit()
            flash(ngettext("%(num)d entreprise réaffectée.", "%(num)d entreprises réaffectées.", len(changed)),
                  "success")
            return redirect(url_for("employers.index", naf_section=form.naf_section.data,
                                    counselor=form.counselor.data))
        attach_error(form, error)
    return render("employers/reassign.html", status=422, form=form)


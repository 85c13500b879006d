"""« Mon équipe »: the team manager's overview of their team, the people behind each
figure, and the reassignment of job seekers between the team's counselors.

Only team managers reach these pages, and only for their own team (``User.team_id``):
a counselor of another team asked for in the URL does not exist for them (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from crm.employers.models import Employer
from crm.enums import ItemKind, Modality
from crm.interactions.models import Channel
from crm.labels import label
from crm.extensions import db
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.organisation.models import Role, Team, User
from crm.teams import queries
from crm.teams.forms import CHOOSE, PeriodForm, ReassignEmployersForm, ReassignFilterForm, ReassignJobSeekersForm
from crm.teams.services import reassign_job_seekers, reassign_team_employers
from crm.web.actions import attach_error, attempt
from crm.audit.services import record
from crm.web.guards import client_address, roles_required
from crm.web.rendering import render
from crm.clock import current_day

bp = Blueprint("teams", __name__, url_prefix="/equipe")


def _manager() -> tuple[User, Team]:
    user = current_user._get_current_object()
    team = db.session.get(Team, user.team_id) if user.team_id is not None else None
    if team is None:
        abort(404)
    return user, team


def _no_team() -> ResponseReturnValue | None:
    """A team manager not (yet) attached to a team: an explanation rather than an error."""
    if current_user.team_id is None:
        return render("teams/no_team.html")
    return None


def _period() -> tuple[PeriodForm, queries.Period]:
    form = PeriodForm(request.args)
    code = form.period.data if form.validate() else None
    period = queries.period_for(code, today=current_day().today)
    form.period.data = period.code
    return form, period


@bp.get("")
@roles_required(Role.TEAM_MANAGER)
def overview() -> ResponseReturnValue:
    if (response := _no_team()) is not None:
        return response
    user, team = _manager()
    form, period = _period()
    counselors = queries.team_counselors(team.id)
    view = queries.team_overview(counselors, agency_id=team.agency_id, period=period)
    return render("teams/overview.html", "teams/_overview.html", team=team, form=form, view=view,
                  modalities=list(Modality), chart=_chart(view))


@bp.get("/detail")
@roles_required(Role.TEAM_MANAGER)
def detail() -> ResponseReturnValue:
    user, team = _manager()
    indicator = queries.INDICATORS.get(request.args.get("indicator", ""))
    counselor_id = request.args.get("counselor", "")
    counselor = db.session.get(User, int(counselor_id)) if counselor_id.isdigit() else None
    if indicator is None or counselor is None or counselor.team_id != team.id or counselor.role not in \
            queries.COUNSELOR_ROLES:
        abort(404)
    _form, period = _period()
    part = request.args.get("part") or None
    rows = queries.people_behind(counselor, indicator, period=period, part=part)
    # A list of named people read by a manager: audited like the priority lists.
    record(user=user, action="team_detail.read", entity=counselor, address=client_address(),
           details={"indicator": indicator.code, "part": part, "period": period.code, "shown": len(rows)})
    response = render("teams/detail.html", team=team, counselor=counselor, indicator=indicator, period=period,
                      part=part, part_label=_part_label(part), rows=rows)
    db.session.commit()  # the audited read
    return response


def _part_label(part: str | None) -> Any:
    """A modality, a channel or an item kind, by its code."""
    for enum_cls in (Modality, Channel, ItemKind):
        if part in enum_cls.values():
            return label(enum_cls(part))
    return part


# --------------------------------------------------------------------------- the chart


CHART_WIDTH, BAR_HEIGHT, LABEL_WIDTH, GAP = 640, 22, 200, 10


def _chart(view: queries.TeamOverview) -> dict[str, Any]:
    """Horizontal bars: each counselor's load (Σ size/target) against 100 %, drawn to scale."""
    scale_max = max([150, *(row.load for row in view.rows)])
    plot = CHART_WIDTH - LABEL_WIDTH - 70
    bars = []
    for i, row in enumerate(view.rows):
        bars.append({"row": row, "y": i * (BAR_HEIGHT + GAP) + 20, "width": round(plot * row.load / scale_max),
                     "label_x": LABEL_WIDTH + round(plot * row.load / scale_max) + 6})
    return {"width": CHART_WIDTH, "height": len(bars) * (BAR_HEIGHT + GAP) + 30, "bars": bars,
            "bar_height": BAR_HEIGHT, "x0": LABEL_WIDTH, "target_x": LABEL_WIDTH + round(plot * 100 / scale_max)}


# --------------------------------------------------------------------------- reassignment


def _reassign_forms(counselors: list[User], form_class: type[Any], formdata: Any = None) -> tuple[ReassignFilterForm,
                                                                                                  Any]:
    """The filter (by current counselor) and the reassignment form, both offering ``counselors``."""
    choices = [SelectChoice(str(c.id), c.full_name) for c in counselors]
    filters = ReassignFilterForm(request.args)
    filters.counselor.choices = [SelectChoice("", _l("Tous les conseillers")), *choices]
    form = form_class(formdata=formdata)
    form.target.choices = [CHOOSE, *choices]
    return filters, form


def _counselor_ids(counselors: list[User], counselor_id: str | None) -> list[int]:
    """The team's counselors, or the one the filter names."""
    ids = [c.id for c in counselors]
    if counselor_id and counselor_id.isdigit() and int(counselor_id) in ids:
        return [int(counselor_id)]
    return ids


def _team_job_seekers(team: Team, counselors: list[User], counselor_id: str | None) -> list[JobSeeker]:
    ids = _counselor_ids(counselors, counselor_id)
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(JobSeeker).where(JobSeeker.referent_id.in_(ids), JobSeeker.agency_id == team.agency_id,
                                   JobSeeker.status == JobSeekerStatus.ACTIVE, JobSeeker.anonymised_at.is_(None))
        .order_by(JobSeeker.last_name, JobSeeker.first_name, JobSeeker.id)))


def _selected(name: str = "job_seeker") -> list[tuple[int, str]]:
    """The ``name`` checkboxes: ``id:version`` pairs (malformed values are ignored)."""
    chosen = []
    for value in request.form.getlist(name):
        object_id, _sep, version = value.partition(":")
        if object_id.isdigit():
            chosen.append((int(object_id), version))
    return chosen


def _reassign_chosen(model: Any, chosen: list[tuple[int, str]], form: Any,
                     service: Callable[..., list[Any]], message: Callable[[int, str], Any], endpoint: str
                     ) -> ResponseReturnValue | None:
    """Runs one reassignment of the chosen rows (``service(rows, target)``); on success commits,
    flashes ``message(count, name)`` and redirects to ``endpoint``; else the form shows the error."""
    found = {o.id: o for o in db.session.scalars(sa.select(model).where(
        model.id.in_([object_id for object_id, _v in chosen])))} if chosen else {}
    target_id = form.target.data or ""
    target = db.session.get(User, int(target_id)) if target_id.isdigit() else None
    changed: list[Any] = []
    error = attempt(lambda: changed.extend(service([(found[i], v) for i, v in chosen if i in found], target)))
    if error is None:
        db.session.commit()
        flash(message(len(changed), target.full_name), "success")
        return redirect(url_for(endpoint, counselor=request.args.get("counselor", "")))
    attach_error(form, error, {"counselor": "target"})
    return None


@bp.route("/reaffectations", methods=["GET", "POST"])
@roles_required(Role.TEAM_MANAGER)
def reassign() -> ResponseReturnValue:
    if (response := _no_team()) is not None:
        return response
    user, team = _manager()
    counselors = queries.team_counselors(team.id)
    if request.method == "GET":
        filters, form = _reassign_forms(counselors, ReassignJobSeekersForm)
        people = _team_job_seekers(team, counselors, filters.counselor.data)
        return render("teams/reassign.html", "teams/_reassign_people.html", team=team, filters=filters, form=form,
                      people=people, selected=set())
    filters, form = _reassign_forms(counselors, ReassignJobSeekersForm, request.form)
    chosen = _selected()
    if form.validate():
        done = _reassign_chosen(
            JobSeeker, chosen, form,
            lambda rows, target: reassign_job_seekers(actor=user, job_seekers=rows, counselor=target,
                                                      reason=form.reason),
            lambda count, name: ngettext("%(num)d personne réaffectée à %(name)s.",
                                         "%(num)d personnes réaffectées à %(name)s.", count, name=name),
            "teams.reassign")
        if done is not None:
            return done
    people_list = _team_job_seekers(team, counselors, filters.counselor.data)
    return render("teams/reassign.html", status=422, team=team, filters=filters, form=form, people=people_list,
                  selected={i for i, _v in chosen})


# --------------------------------------------------------------------------- employers' reassignment


def _team_employer_counselors(team: Team) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(User.team_id == team.id, User.role == Role.EMPLOYER_COUNSELOR, User.is_active_account)
        .order_by(User.last_name, User.first_name, User.id)))


def _team_employers(team: Team, counselors: list[User], counselor_id: str | None) -> list[Employer]:
    ids = _counselor_ids(counselors, counselor_id)
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Employer).where(Employer.counselor_id.in_(ids), Employer.agency_id == team.agency_id)
        .options(joinedload(Employer.counselor)).order_by(Employer.name, Employer.id)))


@bp.route("/reaffectations/entreprises", methods=["GET", "POST"])
@roles_required(Role.TEAM_MANAGER)
def reassign_employers() -> ResponseReturnValue:
    """Give employers of the team's employer counselors to another of them (select,
    choose the counselor, give the reason): traced, the open tasks and offers follow."""
    if (response := _no_team()) is not None:
        return response
    user, team = _manager()
    counselors = _team_employer_counselors(team)
    if request.method == "GET":
        filters, form = _reassign_forms(counselors, ReassignEmployersForm)
        employers = _team_employers(team, counselors, filters.counselor.data)
        return render("teams/reassign_employers.html", "teams/_reassign_employers.html", team=team, filters=filters,
                      form=form, employers=employers, counselors=counselors, selected=set())
    filters, form = _reassign_forms(counselors, ReassignEmployersForm, request.form)
    chosen = _selected("employer")
    if form.validate():
        done = _reassign_chosen(
            Employer, chosen, form,
            lambda rows, target: reassign_team_employers(actor=user, employers=rows, counselor=target,
                                                         reason=form.reason),
            lambda count, name: ngettext("%(num)d entreprise réaffectée à %(name)s.",
                                         "%(num)d entreprises réaffectées à %(name)s.", count, name=name),
            "teams.reassign_employers")
        if done is not None:
            return done
    employers = _team_employers(team, counselors, filters.counselor.data)
    return render("teams/reassign_employers.html", status=422, team=team, filters=filters, form=form,
                  employers=employers, counselors=counselors, selected={i for i, _v in chosen})

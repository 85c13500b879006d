"""The director's pages: the agency overview (« Mon agence »), its drill-downs, the weekly
report (page and CSV) and the bassin d'emploi. A director sees their own agency only:
there is no agency parameter, and a team of another agency is answered 404. Team
managers read the weekly report of their own team."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from crm.agency import charts, queries, report
from crm.agency.bassin import bassin_of, bassin_view
from crm.agency.forms import BassinForm, OverviewForm, WeeklyForm, last_complete_week, parse_week, week_code
from crm.audit.services import record
from crm.catalogue.models import PartnerKind
from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import Channel, FeedbackAction
from crm.labels import label
from crm.organisation.models import Agency, Role, User
from crm.priority.services import JOB_SEEKER_REASONS
from crm.teams.queries import Period, _midnight_utc, period_for
from crm.web.guards import client_address, roles_required
from crm.web.rendering import render
from crm.clock import current_day

bp = Blueprint("agency", __name__, url_prefix="/agence")

NO_TEAM_LABEL = _l("Sans équipe")


def _agency() -> Agency | None:
    user: User = current_user._get_current_object()
    return db.session.get(Agency, user.agency_id) if user.agency_id is not None else None


def _overview_filters() -> tuple[OverviewForm, Period, str | None]:
    """The period and the comparison asked for; unknown codes fall back to the defaults
    (each on its own: a wrong comparison keeps the period)."""
    form = OverviewForm(request.args)
    period = period_for(request.args.get("period"), today=current_day().today)
    form.period.data = period.code
    return form, period, request.args.get("compare")


def _team_key(value: str | None, overview_teams: set[int]) -> int | None:
    """The ``team`` parameter: empty for the agency, ``0`` for « sans équipe », else one of
    the agency's teams (anything else is another agency's: 404)."""
    if not value:
        return None
    if not value.isdigit():
        abort(404)
    key = int(value)
    if key != queries.NO_TEAM and key not in overview_teams:
        abort(404)
    return key


def _part_label(part: str | None) -> Any:
    for enum_cls in (Modality, Channel, PartnerKind, FeedbackAction):
        if part in enum_cls.values():
            return label(enum_cls(part))
    return part


def _detail_label(detail: Any) -> Any:
    """A kind, a status or a contract by its label; a priority feedback's reason code by its text."""
    if type(detail) is str and detail in JOB_SEEKER_REASONS:  # a plain code, not an enum member
        return JOB_SEEKER_REASONS[detail]
    return label(detail)


# --------------------------------------------------------------------------- the overview


@bp.get("")
@roles_required(Role.DIRECTOR)
def overview() -> ResponseReturnValue:
    agency = _agency()
    if agency is None:
        return render("agency/no_agency.html")
    form, period, compare = _overview_filters()
    view = queries.agency_overview(agency, period=period, comparison_code=compare, today=current_day().today)
    form.compare.data = view.comparison_code
    response = render("agency/overview.html", "agency/_overview.html", agency=agency, form=form, view=view,
                      modalities=list(Modality), **_charts(view))
    db.session.commit()  # the period figures just counted, kept for the day
    return response


def _charts(view: queries.AgencyOverview) -> dict[str, Any]:
    labels = {code: queries.INDICATORS[code].label for code in charts.FUNNEL_STEPS}
    return {"contact_chart": charts.contact_chart(view, no_team_label=str(NO_TEAM_LABEL), agency_label=_("Agence")),
            "funnel": charts.funnel_chart(view.total.current, labels),
            "trend": charts.trend_chart(view.trend, view.trend_unit)}


@bp.get("/detail")
@roles_required(Role.DIRECTOR)
def detail() -> ResponseReturnValue:
    agency = _agency()
    if agency is None:
        abort(404)
    indicator = queries.INDICATORS.get(request.args.get("indicator", ""))
    if indicator is None:
        abort(404)
    teams = {t.id: t for t in queries.agency_teams(agency.id)}
    team_key = _team_key(request.args.get("team"), set(teams))
    today = current_day().today
    monday = parse_week(request.args.get("week"))
    if monday is not None:
        period = week_period(monday)
    else:
        _form, period, _compare = _overview_filters()
    part = request.args.get("part") or None
    window = queries.window(agency.id, period, today=today)
    rows, total = queries.people_behind(window, indicator, team_key=team_key, known_teams=set(teams), part=part)
    user = current_user._get_current_object()
    # A list of named people read by a director: audited like the team drill-down.
    record(user=user, action="agency_detail.read", entity=agency, address=client_address(),
           details={"indicator": indicator.code, "team": team_key, "part": part, "period": period.code,
                    "start": period.start_on.isoformat(), "shown": len(rows)})
    team = teams.get(team_key) if team_key else None
    response = render("agency/detail.html", agency=agency, indicator=indicator, period=period, part=part,
                      part_label=_part_label(part), rows=rows, total=total, team=team, team_key=team_key,
                      no_team_label=NO_TEAM_LABEL, snapshot=queries.FAMILIES[indicator.family].snapshot,
                      today=today, back_week=week_code(monday) if monday else None, label_part=_part_label,
                      label_detail=_detail_label)
    db.session.commit()  # the audited read
    return response


# --------------------------------------------------------------------------- the weekly report


def week_period(monday: Any) -> Period:
    sunday = monday + timedelta(days=6)
    return Period(code="week", label=_l("semaine %(week)s", week=week_code(monday)), start_on=monday, end_on=sunday,
                  start_utc=_midnight_utc(monday), end_utc=_midnight_utc(sunday + timedelta(days=1)))


def _weekly_context() -> dict[str, Any]:
    """The report's scope (the agency or one team; a team manager's own team) and its figures."""
    user: User = current_user._get_current_object()
    agency = _agency()
    today = current_day().today
    form = WeeklyForm(request.args)
    form.validate()
    if user.role is Role.TEAM_MANAGER and user.team_id is None:
        return {"agency": agency, "team": None, "no_scope": True, "form": form}
    if agency is None:
        return {"agency": None, "team": None, "no_scope": True, "form": form}
    teams = queries.agency_teams(agency.id)
    if user.role is Role.TEAM_MANAGER:
        own = next((t for t in teams if t.id == user.team_id), None)
        if own is None or (form.team.data and form.team.data != str(own.id)):
            abort(404)
        team_key: int | None = own.id
        form.team.choices = [SelectChoice(str(own.id), own.name)]
    else:
        team_key = _team_key(form.team.data, {t.id for t in teams})
        form.team.choices = [SelectChoice("", _l("Toute l'agence")), *(SelectChoice(str(t.id), t.name) for t in teams)]
    form.team.data = "" if team_key is None else str(team_key)
    latest = last_complete_week(today)
    monday = parse_week(form.week.data) if not form.week.errors else None
    if monday is None or monday > today:
        monday = latest
    form.week.data = week_code(monday)
    period = week_period(monday)
    view = queries.agency_overview(agency, period=period, comparison_code="previous", today=today, with_trend=False)
    row = view.row(team_key)
    if row is None:  # a team of the agency without any figure yet
        row = queries.ScopeRow(team_key, next((t for t in teams if t.id == team_key), None), queries.Figures(),
                               queries.Figures())
    team = row.team
    scopes = [(_("Agence"), view.total), *((_scope_name(r), r) for r in view.rows)] if team_key is None \
        else [(_scope_name(row), row)]
    return {"agency": agency, "team": team, "team_key": team_key, "no_scope": False, "form": form, "view": view,
            "row": row, "scopes": scopes, "period": period, "today": today, "sections": report.SECTIONS,
            "values": report.values, "can_drill": user.role is Role.DIRECTOR, "week": week_code(monday),
            "previous_week": week_code(monday - timedelta(days=7)),
            "next_week": week_code(monday + timedelta(days=7)) if monday + timedelta(days=7) <= today else None}


def _scope_name(row: queries.ScopeRow) -> str:
    return row.team.name if row.team is not None else str(NO_TEAM_LABEL)


@bp.get("/hebdo")
@roles_required(Role.DIRECTOR, Role.TEAM_MANAGER)
def weekly() -> ResponseReturnValue:
    context = _weekly_context()
    response = render("agency/weekly.html", "agency/_weekly.html", **context)
    db.session.commit()  # the period figures just counted, kept for the day
    return response


@bp.get("/hebdo.csv")
@roles_required(Role.DIRECTOR, Role.TEAM_MANAGER)
def weekly_csv() -> ResponseReturnValue:
    context = _weekly_context()
    if context["no_scope"]:
        abort(404)
    period = context["period"]
    text = report.csv_text(context["scopes"], start=period.start_on.isoformat(), end=period.end_on.isoformat())
    user = current_user._get_current_object()
    record(user=user, action="weekly_report.export", entity=context["agency"], address=client_address(),
           details={"week": context["week"], "team": context["team_key"]})
    db.session.commit()
    scope = f"-equipe-{context['team_key']}" if context["team_key"] is not None else ""
    filename = f"reporting-hebdomadaire-{context['week']}{scope}.csv"
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


# --------------------------------------------------------------------------- the bassin d'emploi


@bp.get("/bassin")
@roles_required(Role.DIRECTOR)
def bassin() -> ResponseReturnValue:
    agency = _agency()
    form = BassinForm(request.args)
    modality = Modality(form.modality.data) if form.validate() and form.modality.data else None
    found = bassin_of(agency) if agency is not None else None
    view = bassin_view(found, modality=modality) if found is not None else None
    return render("agency/bassin.html", "agency/_bassin.html", agency=agency, form=form, view=view)


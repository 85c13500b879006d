"""« Mon portefeuille »: the list of the job seekers a user follows, and its CSV export.

Whose list: a counselor's own portfolio (referent); a benefits counselor's people
(whose benefits they handle); a team manager's team portfolios; a director's agency.
Other roles get 403. One URL serves the page or, for htmx (search as you type,
sorting, paging), the ``_table.html`` fragment; the filters live in the query string.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from flask_login import current_user

from crm.access import visible_job_seekers, writable_job_seekers
from crm.audit.services import record
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from crm.jobseekers.portfolio_forms import FLAG_LABELS, PortfolioFilterForm, options
from crm.jobseekers.queries import PortfolioRow, iter_portfolio, portfolio_count, portfolio_page
from crm.labels import label
from crm.organisation.models import Role, Team, User
from crm.web.guards import client_address, roles_required
from crm.web.rendering import render, wants_fragment
from crm.clock import current_day

bp = Blueprint("portfolio", __name__)

PORTFOLIO_ROLES = (Role.COUNSELOR, Role.BENEFITS_COUNSELOR, Role.TEAM_MANAGER, Role.DIRECTOR)
TITLES = {
    Role.COUNSELOR: _l("Mon portefeuille"),
    Role.BENEFITS_COUNSELOR: _l("Mes demandeurs d'emploi indemnisés"),
    Role.TEAM_MANAGER: _l("Portefeuilles de l'équipe"),
    Role.DIRECTOR: _l("Demandeurs d'emploi de l'agence"),
}


def _base_scope(user: User) -> sa.ColumnElement[bool]:
    """The people whose list this is: what the user follows (or steers), never more
    than ``crm.access`` lets them read."""
    if user.role is Role.DIRECTOR:
        return visible_job_seekers(user)
    return writable_job_seekers(user)  # own portfolio, own benefits files, or the team's


def _filter_form(user: User) -> PortfolioFilterForm:
    form = PortfolioFilterForm(request.args)
    if user.role is Role.DIRECTOR and user.agency_id is not None:
        teams = db.session.execute(
            sa.select(Team.id, Team.name).where(Team.agency_id == user.agency_id, Team.kind == "job_seekers")
            .order_by(Team.name)).all()
        form.team.choices = options([("", _("Toutes")), *((str(i), name) for i, name in teams)])
        counselors = sa.and_(User.agency_id == user.agency_id, User.role == Role.COUNSELOR)
    elif user.role is Role.TEAM_MANAGER and user.team_id is not None:
        counselors = sa.and_(User.team_id == user.team_id, User.role == Role.COUNSELOR)
    else:
        counselors = None
    if counselors is not None:
        staff = db.session.execute(
            sa.select(User.id, User.first_name, User.last_name).where(counselors)
            .order_by(User.last_name, User.first_name)).all()
        form.counselor.choices = options([("", _("Tous")), *((str(i), f"{last} {first}") for i, first, last in staff)])
    return form


def _scope(user: User, form: PortfolioFilterForm) -> sa.ColumnElement[bool]:
    clauses = [_base_scope(user)]
    team_id = form.selected("team") if user.role is Role.DIRECTOR else None
    counselor_id = form.selected("counselor") if user.role in (Role.DIRECTOR, Role.TEAM_MANAGER) else None
    if team_id is not None:
        clauses.append(JobSeeker.referent_id.in_(sa.select(User.id).where(User.team_id == team_id)))
    if counselor_id is not None:
        clauses.append(JobSeeker.referent_id == counselor_id)
    return sa.and_(*clauses)


def _list_url(endpoint: str = "portfolio.index", *, keep: frozenset[str], **changes: Any) -> str:
    """This list's URL with some parameters changed (``None`` removes one). Only the
    ``keep`` parameters are carried over (the form's valid fields: links never carry an
    error along, and stray ``_external``/``_scheme`` cannot steer url_for); empty ones
    are dropped so URLs stay short."""
    args: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items() if k in keep}
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    args = {k: v for k, v in args.items() if v not in ("", [], [""])}
    return url_for(endpoint, **args)


def job_seeker_url(job_seeker_id: int) -> str | None:
    """The job seeker's file, once that page is registered (built in its own module)."""
    if "jobseekers.file" not in current_app.view_functions:
        return None
    return url_for("jobseekers.file", job_seeker_id=job_seeker_id)


def local(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) datetime in the user's time zone."""
    return None if moment is None else to_user_timezone(moment)


def days_without_contact(row: PortfolioRow, today: date) -> int | None:
    last = local(row.job_seeker.last_contact_at)
    return None if last is None else (today - last.date()).days


def _status(valid: bool) -> int:
    # htmx only swaps 2xx and 422 (base.html): an invalid filter typed in the search
    # form must still show its error in place.
    if valid:
        return 200
    return 422 if wants_fragment() else 400


def _render_list(user: User, form: PortfolioFilterForm, *, status: int) -> ResponseReturnValue:
    day = current_day()
    page = portfolio_page(_scope(user, form), form.filters(), now=day.now_utc)
    return render(
        "portfolio/index.html", "portfolio/_table.html", status=status,
        form=form, filters=form.filters(), page=page, day=day, title=TITLES[user.role],
        show_referent=user.role is not Role.COUNSELOR, show_team=user.role is Role.DIRECTOR,
        show_counselor=user.role in (Role.DIRECTOR, Role.TEAM_MANAGER),
        flag_labels=FLAG_LABELS, list_url=partial(_list_url, keep=frozenset(form._fields) - set(form.errors)),
        job_seeker_url=job_seeker_url, days_without_contact=days_without_contact,
    )


@bp.get("/portefeuille")
@roles_required(*PORTFOLIO_ROLES)
def index() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    form = _filter_form(user)
    return _render_list(user, form, status=_status(form.validate()))


# --------------------------------------------------------------------------- CSV export
# `;`-separated, UTF-8 with a byte-order mark: what a French spreadsheet (Excel with a
# French locale, LibreOffice) opens correctly with a double click — `,` is the decimal
# separator there, and without the BOM Excel reads the file as Windows-1252.

CSV_DATE = "%d/%m/%Y"
CSV_DATETIME = "%d/%m/%Y %H:%M"


def _csv_header() -> list[str]:
    return [_("Identifiant"), _("Nom"), _("Prénom"), _("Âge"), _("Modalité"), _("Conseiller référent"),
            _("Date d'inscription"), _("Métiers recherchés"), _("Dernier contact"), _("Jours sans contact"),
            _("Prochain rendez-vous"), _("Publics prioritaires"), _("Alertes")]


def _safe(value: Any) -> str:
    """A cell as text; a leading =, +, - or @ is neutralised so a name typed in the
    CRM is never run as a spreadsheet formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(row: PortfolioRow, today: date) -> list[str]:
    person = row.job_seeker
    last = local(person.last_contact_at)
    next_at = local(row.next_appointment_at)
    flags = person.priority_flags(today)
    return [_safe(v) for v in (
        person.external_id or "",
        person.last_name,
        person.first_name,
        person.age_on(today),
        label(person.modality),
        person.referent.full_name if person.referent else "",
        person.registration_date.strftime(CSV_DATE),
        " | ".join(f"{t.rome_code} {t.occupation.label}" if t.occupation else t.rome_code for t in person.targets),
        last.strftime(CSV_DATE) if last else "",
        days_without_contact(row, today) if last else "",
        next_at.strftime(CSV_DATETIME) if next_at else "",
        ", ".join(str(FLAG_LABELS[code][0]) for code, on in flags.items() if on),
        " | ".join(str(alert.label) for alert in row.alerts),
    )]


@bp.get("/portefeuille/export.csv")
@roles_required(*PORTFOLIO_ROLES)
def export() -> ResponseReturnValue:
    """The current filtered list, all pages; the export is audited."""
    user: User = current_user._get_current_object()
    form = _filter_form(user)
    day = current_day()
    if not form.validate():  # never export something other than what was asked
        return _render_list(user, form, status=400)
    scope, filters = _scope(user, form), form.filters()
    rows = portfolio_count(scope, filters, now=day.now_utc)
    record(user=user, action="portfolio.export", entity=user, address=client_address(),
           details={"filters": form.active_filters(), "rows": rows})
    db.session.commit()  # the audit event stands even if the download is interrupted

    # Built before the response is returned: a streamed body would run after the request's
    # database session is closed. A whole agency is a few thousand rows at most.
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_csv_header())
    writer.writerows(_csv_row(row, day.today) for row in iter_portfolio(scope, filters, now=day.now_utc))

    filename = f"portefeuille-{day.today.isoformat()}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})

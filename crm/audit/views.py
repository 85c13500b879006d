"""« Journal d'audit »: the administrators' list of audit events, filtered by user, person,
action and period, paged, and its CSV export (streamed; the export is itself audited).

One URL serves the page or, for htmx (the filter form), the ``_results.html`` fragment.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, Response, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import get_timezone, to_user_timezone
from flask_login import current_user

from crm.audit.forms import AuditFilterForm
from crm.audit.queries import AuditFilters, audit_page, iter_events
from crm.audit.services import record
from crm.extensions import db
from crm.jobseekers.access_reasons import REASONS
from crm.organisation.models import Role
from crm.web.guards import client_address, roles_required
from crm.web.rendering import render, wants_fragment
from crm.clock import current_day

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

EXPORT_ACTION = "audit.export"
CSV_DATETIME = "%d/%m/%Y %H:%M:%S"


def _utc_bound(day: date | None) -> datetime | None:
    """Midnight starting ``day`` in the user's time zone, as stored (naive UTC)."""
    if day is None:
        return None
    local = datetime.combine(day, time.min, tzinfo=get_timezone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _filters(form: AuditFilterForm) -> AuditFilters:
    if not form.validate():
        # Invalid filters are shown in error; the list is built without them.
        valid = {name: form[name].data for name in ("user", "person", "action") if not form[name].errors}
        return AuditFilters(**{k: v or "" for k, v in valid.items()})
    return AuditFilters(user=form.user.data or "", person=form.person.data or "", action=form.action.data or "",
                        start=_utc_bound(form.start.data),
                        end=_utc_bound(form.end.data + timedelta(days=1)) if form.end.data else None)


def _url(endpoint: str, form: AuditFilterForm, **changes: Any) -> str:
    args: dict[str, Any] = dict(form.active_filters()) if not form.errors else {}
    args.update({k: v for k, v in changes.items() if v is not None})
    return url_for(endpoint, **args)


def _list(form: AuditFilterForm, *, status: int) -> Response:
    filters = _filters(form)
    page = form.page.data if not form.page.errors and form.page.data else 1
    return render("audit/index.html", "audit/_results.html", status=status, form=form,
                  result=audit_page(filters, page=page), reasons=REASONS,
                  page_url=lambda n: _url("audit.index", form, page=n),
                  export_url=_url("audit.export", form))


@bp.get("")
@roles_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    # htmx swaps 422 (base.html): an invalid filter typed in the form shows its error in place.
    return _list(form, status=200 if valid else (422 if wants_fragment() else 400))


# --------------------------------------------------------------------------- CSV export
# As the portfolio export: `;`-separated UTF-8 with a byte-order mark (French spreadsheets).


def _safe(value: Any) -> str:
    """A cell as text; a leading =, +, - or @ is neutralised (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _header() -> list[str]:
    return [_("Date"), _("Agent"), _("Adresse électronique"), _("Action"), _("Objet"), _("Numéro de l'objet"),
            _("Demandeur d'emploi"), _("Entreprise"), _("Motif"), _("Détails"), _("Canal"), _("Adresse IP")]


def _lines(filters: AuditFilters) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write("\ufeff")
    writer.writerow(_header())
    yield flush()
    for count, (event, name, email) in enumerate(iter_events(filters), start=1):
        writer.writerow([_safe(v) for v in (
            to_user_timezone(event.at).strftime(CSV_DATETIME), name or "", email or "", event.action,
            event.entity_type, event.entity_id, event.job_seeker_id, event.employer_id, event.reason or "",
            json.dumps(event.details, ensure_ascii=False, sort_keys=True) if event.details else "",
            event.channel, event.address or "",
        )])
        if count % 200 == 0:
            yield flush()
    yield flush()


@bp.get("/export.csv")
@roles_required(Role.ADMIN)
def export() -> ResponseReturnValue:
    """Every event matching the filters, streamed; the export is recorded before it starts."""
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():  # never export something other than what was asked
        return _list(form, status=400)
    filters = _filters(form)
    user = current_user._get_current_object()
    record(user=user, action=EXPORT_ACTION, entity=user, address=client_address(),
           details={"filters": form.active_filters()})
    db.session.commit()  # the audit event stands even if the download is interrupted
    filename = f"journal-audit-{current_day().today.isoformat()}.csv"
    return Response(stream_with_context(_lines(filters)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})

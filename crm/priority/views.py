"""« À contacter en priorité »: the pages of the job-seeker and employer priority lists.

Whose list: a counselor's (``/priorites``) or an employer counselor's
(``/priorites/entreprises``) own portfolio. A team manager reads one counselor of
their team (``?counselor=<id>``, read-only; another id answers 404). Other roles get 403.

From a row the owner opens the file, logs the contact inline (the timeline's form and
service, origin ``priority_list``, or ``exploration`` for a randomly selected row: the
contact effect is estimated from those), or dismisses / snoozes it with a reason
(``Feedback``). One URL serves each page or, for htmx, its fragment: the list, a row,
a form. Reading a list is audited, as are the writes (by their services).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from crm.access import Access
from crm.audit.services import record
from crm.employers.forms import EmployerInteractionForm
from crm.employers.models import EmployerSegment
from crm.enums import Modality
from crm.extensions import db
from crm.interactions import services as timeline
from crm.interactions.forms import InteractionForm, to_utc
from crm.interactions.models import (
    Channel, Direction, FeedbackAction, Interaction, InteractionKind, InteractionOrigin, InteractionOutcome,
)
from crm.interactions.services import is_meaningful
from crm.jobseekers.portfolio_views import _list_url, _status
from crm.labels import label
from crm.organisation.models import Role, User
from crm.priority import services
from crm.priority.forms import FeedbackForm, PriorityFilterForm
from crm.priority.queries import (
    EMPLOYERS, JOB_SEEKERS, PriorityEntry, PriorityFilters, current_score, priority_list,
)
from crm.web.actions import attempt
from crm.web.guards import client_address, load_employer, load_job_seeker, roles_required
from crm.web.rendering import render, wants_fragment
from crm.clock import current_day

bp = Blueprint("priority", __name__, url_prefix="/priorites")

OWNER_ROLE = {JOB_SEEKERS: Role.COUNSELOR, EMPLOYERS: Role.EMPLOYER_COUNSELOR}
ENDPOINTS = {JOB_SEEKERS: "priority.job_seekers", EMPLOYERS: "priority.employers"}
TITLES = {JOB_SEEKERS: _l("À contacter en priorité"), EMPLOYERS: _l("Entreprises à contacter en priorité")}
MORE_STEP = 50
# The fields of the timeline's form shown in the row's compact logging form.
CONTACT_FIELDS = ("channel", "direction", "kind", "outcome", "notes")


def _user() -> User:
    return current_user._get_current_object()


# --------------------------------------------------------------------------- template helpers


def entry_dom_id(party: str, object_id: int) -> str:
    return f"priority-{party}-{object_id}"


def file_url(party: str, object_id: int) -> str | None:
    endpoint = "employers.detail" if party == EMPLOYERS else "jobseekers.file"
    if endpoint not in current_app.view_functions:
        return None
    key = "employer_id" if party == EMPLOYERS else "job_seeker_id"
    return url_for(endpoint, **{key: object_id})


def action_url(party: str, action: str, object_id: int, **args: Any) -> str:
    """The row's contact or feedback form (``action``: ``contact`` or ``feedback``)."""
    if party == EMPLOYERS:
        return url_for(f"priority.employer_{action}", employer_id=object_id, **args)
    return url_for(f"priority.job_seeker_{action}", job_seeker_id=object_id, **args)


def local(moment: datetime | None) -> datetime | None:
    return None if moment is None else to_user_timezone(moment)


def days_ago(moment: datetime | None, today: date) -> int | None:
    """Whole days from a stored (naive UTC) moment to ``today``, by the user's calendar."""
    at = local(moment)
    return None if at is None else (today - at.date()).days


def row_texts() -> dict[str, Any]:
    """The texts every row repeats, translated once per response (a list may show hundreds of rows)."""
    return {
        "open": _("Ouvrir"), "contact": _("Tracer le contact"), "feedback": _("Écarter ou reporter"),
        "no_contact": _("Aucun contact"), "today": _("aujourd'hui"), "urgent": _("Urgent"),
        "no_rank": _("Pas de rang : arrivé depuis le calcul, ou liste sans classement"),
        "exploration": _("Sélection aléatoire"),
        "exploration_help": _("Tirée au sort dans le portefeuille, indépendamment du classement. Contacter aussi "
                              "des personnes choisies au hasard permet de mesurer ce qu'un contact change vraiment, "
                              "et d'améliorer le classement pour tous. Traitez-la comme les autres ; si un contact "
                              "n'est pas utile, écartez-la en indiquant le motif."),
        "contacted_since": _("Contacté depuis le calcul"), "no_segment": _("Non segmentée"),
        "labels": {**{m: str(label(m)) for m in Modality}, **{s: str(label(s)) for s in EmployerSegment}},
    }


def _helpers(party: str) -> dict[str, Any]:
    return {"party": party, "entry_dom_id": entry_dom_id, "file_url": file_url, "action_url": action_url,
            "days_ago": days_ago, "is_employers": party == EMPLOYERS, "texts": row_texts(),
            "reason_labels": services.reasons_for(employer=party == EMPLOYERS)}


# --------------------------------------------------------------------------- whose list


def _team_members(user: User, roles: tuple[Role, ...]) -> list[User]:
    """The counselors whose lists a team manager may read: their team's, of these roles."""
    if user.team_id is None or user.agency_id is None:
        return []
    return list(db.session.scalars(
        sa.select(User).where(User.team_id == user.team_id, User.agency_id == user.agency_id,
                              User.role.in_(roles), User.is_active_account.is_(True))
        .order_by(User.last_name, User.first_name, User.id)))


def _owner(user: User, party: str, form: PriorityFilterForm) -> User | None:
    """The counselor whose list is shown: the user, or for a team manager the one chosen
    in their team (``None``: none chosen yet; 404 outside the team)."""
    if user.role is OWNER_ROLE[party]:
        return user
    chosen = form.value("counselor")
    if chosen is None:
        return None
    owner = next((member for member in _team_members(user, (OWNER_ROLE[party],)) if member.id == chosen), None)
    if owner is None:
        abort(404)
    return owner


def _team_lists(user: User) -> list[tuple[User, str]]:
    """A team manager's choice: each counselor of the team, with the URL of their list."""
    members = _team_members(user, (Role.COUNSELOR, Role.EMPLOYER_COUNSELOR))
    return [(member, url_for(ENDPOINTS[JOB_SEEKERS if member.role is Role.COUNSELOR else EMPLOYERS],
                             counselor=member.id)) for member in members]


# --------------------------------------------------------------------------- the lists


def _list_response(party: str) -> Response:
    user = _user()
    form = PriorityFilterForm(request.args)
    valid = form.validate()
    owner = _owner(user, party, form)
    context: dict[str, Any] = {
        **_helpers(party), "form": form, "title": TITLES[party], "user": user, "owner": owner,
        "read_only": owner is None or owner.id != user.id, "team_lists": None,
        "list_url": partial(_list_url, ENDPOINTS[party], keep=frozenset(form._fields) - set(form.errors)),
        "list_base": url_for(ENDPOINTS[party]), "more_step": MORE_STEP,
    }
    if user.role is Role.TEAM_MANAGER:
        context["team_lists"] = _team_lists(user)
    day = current_day()
    if owner is None:  # a team manager who has not chosen a counselor yet
        return render("priority/index.html", status=_status(valid), plist=None, day=day, **context)
    plist = priority_list(party, owner, filters=form.filters(with_modality=party == JOB_SEEKERS), today=day.today,
                          now=day.now_utc)
    record(user=user, action="priority_list.read", entity=owner, address=client_address(), details={
        "list": party, "model_version_id": plist.version.id if plist.version else None,
        "shown": len(plist.shown), "contacted": len(plist.contacted), "hidden": len(plist.hidden)})
    response = render("priority/index.html", "priority/_list.html", status=_status(valid), plist=plist, day=day,
                      **context)
    db.session.commit()  # the audited read
    return response


@bp.get("", endpoint="job_seekers")
@roles_required(Role.COUNSELOR, Role.TEAM_MANAGER)
def job_seekers() -> ResponseReturnValue:
    return _list_response(JOB_SEEKERS)


@bp.get("/entreprises", endpoint="employers")
@roles_required(Role.EMPLOYER_COUNSELOR, Role.TEAM_MANAGER)
def employers() -> ResponseReturnValue:
    return _list_response(EMPLOYERS)


# --------------------------------------------------------------------------- one row


def _entry(party: str, object_id: int) -> PriorityEntry | None:
    """The row of the current user's list for this person, as the list would show it."""
    day = current_day()
    plist = priority_list(party, _user(), filters=PriorityFilters(), today=day.today, now=day.now_utc,
                          only_id=object_id)
    return next(iter(plist.prepare(plist.entries + plist.contacted + plist.hidden)), None)


def _entry_response(party: str, entry: PriorityEntry | None, *, logged: Interaction | None = None) -> Response:
    if entry is None:  # no longer in the list (e.g. left the portfolio): the row goes
        return Response("", 200)
    reached = logged is not None and is_meaningful(logged.kind, logged.outcome)
    html = render_template("priority/_entry.html", entry=entry, logged=logged, reached=reached, read_only=False,
                           day=current_day(), **_helpers(party))
    response = Response(html, 200)
    response.vary.add("HX-Request")
    return response


def _load(party: str, object_id: int) -> Any:
    """The person, if the current user may change their file (404 elsewhere, 403 read-only)."""
    if party == EMPLOYERS:
        return load_employer(object_id, need=Access.WRITE, audit=None)
    return load_job_seeker(object_id, need=Access.WRITE, audit=None)


def _form_response(template: str, page_title: Any, party: str, obj: Any, *, status: int = 200,
                   **context: Any) -> Response:
    """A row's form: the fragment (loaded into the row's panel) or a page of its own
    (``inline=0`` keeps a form opened on its own page in that mode when htmx redraws it)."""
    entry_id = entry_dom_id(party, obj.id)
    inline = wants_fragment() and request.values.get("inline") != "0"
    response = render("priority/form_page.html", template, status=status, obj=obj, entry_id=entry_id,
                      form_template=template, page_title=page_title, list_url=url_for(ENDPOINTS[party]),
                      inline=inline, name=obj.name if party == EMPLOYERS else f"{obj.first_name} {obj.last_name}",
                      **_helpers(party), **context)
    if status == 422 and inline:
        # The form was posted to replace the whole row: show it again, with its errors, in the panel.
        response.headers["HX-Retarget"] = f"#{entry_id}-panel"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _prefix(party: str, object_id: int, form: str) -> str:
    """Field names (and ids) of one row's form: several rows may have one open at once."""
    return f"{party}-{object_id}-{form}"


# --------------------------------------------------------------------------- inline contact


def _contact_form(party: str, object_id: int, formdata: Any = None) -> InteractionForm:
    form_class = EmployerInteractionForm if party == EMPLOYERS else InteractionForm
    prefix = _prefix(party, object_id, "contact")
    form = form_class(formdata=formdata, prefix=prefix) if formdata is not None else form_class(prefix=prefix)
    form.narrow_to_channel()
    return form


def _attach(form: FlaskForm, error: Any, fields: tuple[str, ...]) -> None:
    """A service error next to the field it names when that field is shown, else above the form."""
    if error.field in fields:
        target = getattr(form, error.field)
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _contact(party: str, object_id: int) -> Response:
    obj = _load(party, object_id)
    if request.method == "GET":  # the form, or the form again narrowed to the chosen channel
        return _form_response("priority/_contact_form.html", _l("Tracer le contact"), party, obj,
                              form=_contact_form(party, obj.id, request.args or None))
    form = _contact_form(party, obj.id)
    if form.validate():
        score = current_score(party, obj.id)
        origin = InteractionOrigin.EXPLORATION if score is not None and score.exploration \
            else InteractionOrigin.PRIORITY_LIST
        party_arg = {"employer": obj} if party == EMPLOYERS else {"job_seeker": obj}
        logged: list[Interaction] = []
        error = attempt(lambda: logged.append(timeline.log_interaction(
            author=_user(), channel=Channel(form.channel.data), direction=Direction(form.direction.data),
            kind=InteractionKind(form.kind.data), outcome=InteractionOutcome(form.outcome.data),
            notes=form.notes.data, occurred_at=to_utc(form.occurred_at.data), origin=origin, **party_arg)))
        if error is None:
            db.session.commit()
            if wants_fragment():
                return _entry_response(party, _entry(party, obj.id), logged=logged[0])
            flash(_("L'échange a été enregistré."), "success")
            return redirect(url_for(ENDPOINTS[party]))
        _attach(form, error, CONTACT_FIELDS)
    return _form_response("priority/_contact_form.html", _l("Tracer le contact"), party, obj, form=form, status=422)


@bp.route("/<int:job_seeker_id>/contact", methods=["GET", "POST"], endpoint="job_seeker_contact")
@roles_required(Role.COUNSELOR)
def job_seeker_contact(job_seeker_id: int) -> ResponseReturnValue:
    return _contact(JOB_SEEKERS, job_seeker_id)


@bp.route("/entreprises/<int:employer_id>/contact", methods=["GET", "POST"], endpoint="employer_contact")
@roles_required(Role.EMPLOYER_COUNSELOR)
def employer_contact(employer_id: int) -> ResponseReturnValue:
    return _contact(EMPLOYERS, employer_id)


# --------------------------------------------------------------------------- dismiss or snooze


def _feedback_form(party: str, object_id: int, today: date, formdata: Any = None) -> FeedbackForm:
    prefix = _prefix(party, object_id, "feedback")
    form = FeedbackForm(formdata=formdata, prefix=prefix) if formdata is not None else FeedbackForm(prefix=prefix)
    form.reason.choices = [SelectChoice(code, text) for code, text in services.reasons_for(
        employer=party == EMPLOYERS).items()]
    if form.snoozed_until.data is None and not form.snoozed_until.raw_data:
        form.snoozed_until.data = services.default_snooze(today)
    return form


def _status_message(name: str, action: FeedbackAction, until: date | None) -> str:
    if action == FeedbackAction.SNOOZE:
        return _("%(name)s : reporté jusqu'au %(date)s.", name=name, date=format_date(until, "short") if until else "")
    return _("%(name)s : écarté jusqu'au prochain calcul.", name=name)


def _feedback(party: str, object_id: int) -> Response:
    obj = _load(party, object_id)
    day = current_day()
    context = {"max_snooze": services.SNOOZE_MAX_DAYS,
               "snooze_min": (day.today + timedelta(days=1)).isoformat(),
               "snooze_max": (day.today + timedelta(days=services.SNOOZE_MAX_DAYS)).isoformat()}
    if request.method == "GET":
        return _form_response("priority/_feedback_form.html", _l("Écarter ou reporter"), party, obj,
                              form=_feedback_form(party, obj.id, day.today, request.args or None), **context)
    form = _feedback_form(party, obj.id, day.today)
    if form.validate():
        action = FeedbackAction(form.action.data) if form.action.data in FeedbackAction.values() else None
        until = form.snoozed_until.data if action == FeedbackAction.SNOOZE else None
        score = current_score(party, obj.id)
        party_arg = {"employer": obj} if party == EMPLOYERS else {"job_seeker": obj}
        error = attempt(lambda: services.record_priority_feedback(
            author=_user(), action=action, reason=form.reason.data, comment=form.comment.data,
            snoozed_until=until, model_version_id=score.model_version_id if score is not None else None,
            today=day.today, **party_arg))
        if error is None:
            db.session.commit()
            name = obj.name if party == EMPLOYERS else f"{obj.first_name} {obj.last_name}"
            message = _status_message(name, action, until)
            if wants_fragment():
                # The row goes (its element is replaced by nothing); the status line says what happened.
                response = Response(render_template("priority/_status.html", message=message, oob=True), 200)
                response.vary.add("HX-Request")
                return response
            flash(message, "success")
            return redirect(url_for(ENDPOINTS[party]))
        _attach(form, error, ("action", "snoozed_until", "reason", "comment"))
    return _form_response("priority/_feedback_form.html", _l("Écarter ou reporter"), party, obj, form=form,
                          status=422, **context)


@bp.route("/<int:job_seeker_id>/retour", methods=["GET", "POST"], endpoint="job_seeker_feedback")
@roles_required(Role.COUNSELOR)
def job_seeker_feedback(job_seeker_id: int) -> ResponseReturnValue:
    return _feedback(JOB_SEEKERS, job_seeker_id)


@bp.route("/entreprises/<int:employer_id>/retour", methods=["GET", "POST"], endpoint="employer_feedback")
@roles_required(Role.EMPLOYER_COUNSELOR)
def employer_feedback(employer_id: int) -> ResponseReturnValue:
    return _feedback(EMPLOYERS, employer_id)


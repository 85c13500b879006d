"""Opening a file outside one's own portfolio: the user says why first.

A file the user may only read (``crm.access``: READ — a colleague's person, the
agency's files for a director, a candidate for an employer counselor) opens after a
short form: a reason from a list, plus free text (required for « Autre »). The reason
is written to the audit trail (``job_seeker.open_outside_portfolio``) and the file stays
open for the rest of the session (the ids are kept in the signed session cookie, so
logging out closes them all).

``crm.web.guards.load_job_seeker`` calls ``reason_required`` on every audited read.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from crm.access import Access, job_seeker_access
from crm.audit.services import record
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from crm.web.rendering import render
from crm.web.urls import safe_next_url

bp = Blueprint("file_access", __name__, url_prefix="/beneficiaires")

ACTION = "job_seeker.open_outside_portfolio"
SESSION_KEY = "file_access"
MAX_OPEN_FILES = 100  # most recent first: the session cookie stays small
MAX_COMMENT_LENGTH = 255

REASONS: dict[str, Any] = {
    "absence": _l("Remplacement d'un collègue absent"),
    "contact": _l("Contact de la personne (accueil, appel, courriel)"),
    "preselection": _l("Présélection pour une offre d'emploi ou un événement"),
    "benefits": _l("Question d'indemnisation"),
    "steering": _l("Pilotage ou contrôle de l'activité"),
    "other": _l("Autre motif (à préciser)"),
}


class AccessReasonForm(FlaskForm):
    reason = RadioField(_l("Motif de la consultation"),
                        choices=[SelectChoice(code, text) for code, text in REASONS.items()],
                        validators=[InputRequired(message=_l("Choisissez un motif."))])
    comment = TextAreaField(_l("Précisions"), validators=[Length(max=MAX_COMMENT_LENGTH, message=_l(
        "Les précisions ne doivent pas dépasser %(max)d caractères."))])
    next = HiddenField()

    def validate_comment(self, field: Any) -> None:
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Précisez le motif."))


# --------------------------------------------------------------------------- the session's open files


def opened_files() -> list[int]:
    value = session.get(SESSION_KEY)
    return [i for i in value if isinstance(i, int)] if isinstance(value, list) else []


def is_open(job_seeker_id: int) -> bool:
    return job_seeker_id in opened_files()


def open_file(job_seeker_id: int) -> None:
    session[SESSION_KEY] = [job_seeker_id, *(i for i in opened_files() if i != job_seeker_id)][:MAX_OPEN_FILES]


def reason_required(person: JobSeeker) -> Response | None:
    """The answer that sends the user to the reason form, or ``None`` when the file is
    theirs (WRITE) or already opened with a reason in this session."""
    if job_seeker_access(current_user, person) is not Access.READ or is_open(person.id):
        return None
    if request.headers.get("HX-Request") == "true":
        # A section loaded on its own: the whole page goes to the form, back to the page after.
        target = url_for("file_access.reason", job_seeker_id=person.id,
                         next=url_for("jobseekers.file", job_seeker_id=person.id))
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    next_url = safe_next_url(request.full_path.rstrip("?")) if request.method == "GET" else None
    return redirect(url_for("file_access.reason", job_seeker_id=person.id, next=next_url), 303)


# --------------------------------------------------------------------------- the form


@bp.route("/<int:job_seeker_id>/motif", methods=["GET", "POST"])
@login_required
def reason(job_seeker_id: int) -> ResponseReturnValue:
    person = db.session.get(JobSeeker, job_seeker_id)
    if person is None or getattr(person, "anonymised_at", None) is not None:
        abort(404)
    access = job_seeker_access(current_user, person)
    if access is Access.NONE:
        abort(404)
    form = AccessReasonForm()
    next_url = safe_next_url(form.next.data or request.args.get("next")) or \
        url_for("jobseekers.file", job_seeker_id=person.id)
    if access is Access.WRITE or is_open(person.id):
        return redirect(next_url, 303)
    if request.method == "GET":
        form.next.data = next_url
        return render("jobseekers/open_reason.html", form=form, job_seeker=person)
    if not form.validate():
        return render("jobseekers/open_reason.html", form=form, job_seeker=person, status=422)
    comment = (form.comment.data or "").strip()
    record(user=current_user, action=ACTION, entity=person, reason=comment or None,
           details={"reason_code": form.reason.data}, address=request.remote_addr)
    db.session.commit()
    open_file(person.id)
    return redirect(next_url, 303)

"""Writing a counselor's feedback on their priority list: dismiss or snooze, with a reason.

The feedback is kept (``Feedback``, context ``priority_list``, with the model version
the row came from) for the managers and for training; the list reads it back to hide
the row. Services take the acting user explicitly, flush, never commit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from crm.audit import services as audit
from crm.employers.models import Employer
from crm.errors import DomainError, clean_text
from crm.extensions import db
from crm.interactions.models import Feedback, FeedbackAction, FeedbackContext
from crm.jobseekers.models import JobSeeker

ACTIONS = (FeedbackAction.DISMISS, FeedbackAction.SNOOZE)
SNOOZE_DEFAULT_DAYS = 14
SNOOZE_MAX_DAYS = 90
MAX_COMMENT_LENGTH = 500  # Feedback.comment

# Reasons offered (stable codes stored in ``Feedback.reason``), per party.
OTHER = "other"
JOB_SEEKER_REASONS: dict[str, Any] = {
    "other_channel": _l("Déjà en contact par un autre canal"),
    "situation_known": _l("Situation connue, pas d'action utile maintenant"),
    "unavailable": _l("Personne indisponible (maladie, formation…)"),
    OTHER: _l("Autre"),
}
EMPLOYER_REASONS: dict[str, Any] = {
    "other_channel": _l("Déjà en contact par un autre canal"),
    "situation_known": _l("Situation connue, pas d'action utile maintenant"),
    "unavailable": _l("Entreprise indisponible (fermeture, période chargée…)"),
    OTHER: _l("Autre"),
}


def reasons_for(*, employer: bool) -> dict[str, Any]:
    return EMPLOYER_REASONS if employer else JOB_SEEKER_REASONS


def default_snooze(today: date) -> date:
    return today + timedelta(days=SNOOZE_DEFAULT_DAYS)


def record_priority_feedback(*, author: Any, job_seeker: JobSeeker | None = None, employer: Employer | None = None,
                             action: FeedbackAction, reason: str, comment: str | None = None,
                             snoozed_until: date | None = None, model_version_id: int | None = None,
                             today: date) -> Feedback:
    """Dismiss (until the next scoring) or snooze (until ``snoozed_until``, after today and
    at most 90 days ahead) someone of ``author``'s priority list. « Autre » needs a comment."""
    if (job_seeker is None) == (employer is None):
        raise DomainError(_l("Un retour concerne soit un demandeur d'emploi, soit une entreprise."),
                          code="priority_feedback.one_party")
    if action not in ACTIONS:
        raise DomainError(_l("Choisissez d'écarter ou de reporter."), code="priority_feedback.action", field="action")
    if reason not in reasons_for(employer=employer is not None):
        raise DomainError(_l("Choisissez un motif."), code="priority_feedback.reason", field="reason")
    text = clean_text(comment, max_length=MAX_COMMENT_LENGTH, code="priority_feedback.comment", field="comment",
                      too_long=_l("Le commentaire est limité à %(max)s caractères.", max=MAX_COMMENT_LENGTH),
                      required=_l("Précisez le motif.") if reason == OTHER else None)
    if action == FeedbackAction.SNOOZE:
        if snoozed_until is None:
            raise DomainError(_l("Indiquez jusqu'à quelle date reporter."), code="priority_feedback.snoozed_until",
                              field="snoozed_until")
        if snoozed_until <= today:
            raise DomainError(_l("La date de report doit être postérieure à aujourd'hui."),
                              code="priority_feedback.snoozed_until", field="snoozed_until")
        if snoozed_until > today + timedelta(days=SNOOZE_MAX_DAYS):
            raise DomainError(_l("On ne peut pas reporter de plus de %(days)s jours.", days=SNOOZE_MAX_DAYS),
                              code="priority_feedback.snoozed_until", field="snoozed_until")
    elif snoozed_until is not None:
        raise DomainError(_l("Une date de report ne s'indique que pour reporter."),
                          code="priority_feedback.snoozed_until", field="snoozed_until")
    feedback = Feedback(
        user_id=author.id, context=FeedbackContext.PRIORITY_LIST, action=action, reason=reason,
        comment=text or None, job_seeker_id=job_seeker.id if job_seeker is not None else None,
        employer_id=employer.id if employer is not None else None, snoozed_until=snoozed_until,
        model_version_id=model_version_id)
    db.session.add(feedback)
    db.session.flush()
    audit.record(user=author, action="priority_list.feedback", entity=feedback,
                 details={"action": action.value, "reason": reason, "model_version_id": model_version_id,
                          "snoozed_until": snoozed_until.isoformat() if snoozed_until else None})
    return feedback

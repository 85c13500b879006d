"""Forms of the priority lists: the filters (query string) and the dismiss/snooze form.

Contacts are logged with the timeline's own forms (``InteractionForm``,
``EmployerInteractionForm``), shown in a compact layout.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from crm.enums import Modality
from crm.interactions.models import FeedbackAction
from crm.labels import choices
from crm.priority.queries import DEFAULT_LIMIT, MAX_LIMIT, PriorityFilters
from crm.priority.services import MAX_COMMENT_LENGTH


class PriorityFilterForm(FlaskForm):
    """GET filters, kept in the URL (no CSRF: reading a list changes nothing)."""

    class Meta:
        csrf = False

    modality = SelectField(_l("Modalité"), default="", choices=[
        SelectChoice("", _l("Toutes")), *(SelectChoice(value, text) for value, text in choices(Modality))])
    urgent = BooleanField(_l("Urgences seulement"))
    limit = IntegerField(_l("Nombre de personnes affichées"), default=DEFAULT_LIMIT, validators=[
        Optional(), NumberRange(min=1, max=MAX_LIMIT, message=_l("Entre %(min)s et %(max)s.", min=1, max=MAX_LIMIT))])
    # A team manager reads one counselor's list (checked against the team by the view).
    counselor = IntegerField(_l("Conseiller"), validators=[Optional(), NumberRange(min=1, max=2_147_483_647)])

    def value(self, name: str) -> Any:
        field = self[name]
        return None if field.errors or field.data in ("", None) else field.data

    def filters(self, *, with_modality: bool = True) -> PriorityFilters:
        """The valid filters (``validate()`` first); invalid ones are left out."""
        modality = self.value("modality") if with_modality else None
        return PriorityFilters(modality=Modality(modality) if modality else None,
                               urgent_only=bool(self.value("urgent")), limit=self.value("limit") or DEFAULT_LIMIT)


class FeedbackForm(FlaskForm):
    """Dismiss or snooze a row of the list; reasons are set by the view (per party)."""

    action = RadioField(_l("Que faire ?"), default=FeedbackAction.DISMISS.value, choices=[
        SelectChoice(FeedbackAction.DISMISS.value, _l("Écarter jusqu'au prochain calcul")),
        SelectChoice(FeedbackAction.SNOOZE.value, _l("Reporter jusqu'au…"))])
    snoozed_until = DateField(_l("Reporter jusqu'au"), validators=[Optional()])
    reason = RadioField(_l("Motif"), validators=[InputRequired(message=_l("Choisissez un motif."))])
    comment = TextAreaField(_l("Commentaire"), validators=[Length(max=MAX_COMMENT_LENGTH, message=_l(
        "Le commentaire est limité à %(max)s caractères.", max=MAX_COMMENT_LENGTH))])

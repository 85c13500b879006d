"""The team overview's period filter and the reassignment form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crm.jobseekers.services import MAX_REASON_LENGTH
from crm.teams.queries import DEFAULT_PERIOD, PERIODS

CHOOSE = SelectChoice("", _l("Choisir…"))

# Reasons for a reassignment: a short list, plus free text (required for « Autre »).
REASONS: dict[str, Any] = {
    "workload": _l("Rééquilibrage de la charge"),
    "absence": _l("Absence du conseiller"),
    "departure": _l("Départ ou mobilité du conseiller"),
    "modality": _l("Spécialisation par modalité"),
    "request": _l("Demande de la personne"),
    "other": _l("Autre"),
}


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: reading a page changes nothing

    period = SelectField(_l("Période"), choices=[SelectChoice(code, label) for code, (label, _days) in PERIODS.items()],
                         default=DEFAULT_PERIOD, validators=[Optional()])


class ReassignFilterForm(FlaskForm):
    """Whose portfolio to list (GET); choices set by the view."""

    class Meta:
        csrf = False

    counselor = SelectField(_l("Conseiller actuel"), choices=[CHOOSE], validators=[Optional()])


class ReassignJobSeekersForm(FlaskForm):
    """The people come as ``job_seeker`` checkboxes (``id:version``); target choices set by the view."""

    # The service checks the target belongs to the team (its message is the one shown).
    target = SelectField(_l("Nouveau conseiller référent"), choices=[CHOOSE], validate_choice=False,
                            validators=[DataRequired(message=_l("Choisissez le conseiller."))])
    reason_code = SelectField(_l("Motif"), choices=[CHOOSE, *(SelectChoice(c, l) for c, l in REASONS.items())],
                              validators=[DataRequired(message=_l("Indiquez le motif de la réaffectation."))])
    reason_text = TextAreaField(_l("Précisions"), validators=[
        Length(max=200, message=_l("Les précisions sont limitées à %(max)s caractères.", max=200))])

    def validate_reason_text(self, field: Any) -> None:
        if self.reason_code.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Précisez le motif."))

    @property
    def reason(self) -> str:
        """The reason kept in the audit log: the chosen label, then the free text."""
        label = str(REASONS.get(self.reason_code.data or "", ""))
        text = (self.reason_text.data or "").strip()
        return f"{label} — {text}" if label and text else (label or text)[:MAX_REASON_LENGTH]


EMPLOYER_REASONS: dict[str, Any] = {
    "workload": _l("Rééquilibrage de la charge"),
    "absence": _l("Absence du conseiller"),
    "departure": _l("Départ ou mobilité du conseiller"),
    "sector": _l("Spécialisation par secteur"),
    "request": _l("Demande de l'entreprise"),
    "other": _l("Autre"),
}


class ReassignEmployersForm(ReassignJobSeekersForm):
    """The employers come as ``employer`` checkboxes (``id:version``); target choices set by the view."""

    target = SelectField(_l("Nouveau conseiller entreprise"), choices=[CHOOSE], validate_choice=False,
                         validators=[DataRequired(message=_l("Choisissez le conseiller."))])
    reason_code = SelectField(_l("Motif"),
                              choices=[CHOOSE, *(SelectChoice(c, l) for c, l in EMPLOYER_REASONS.items())],
                              validators=[DataRequired(message=_l("Indiquez le motif de la réaffectation."))])

    @property
    def reason(self) -> str:
        label = str(EMPLOYER_REASONS.get(self.reason_code.data or "", ""))
        text = (self.reason_text.data or "").strip()
        return f"{label} — {text}" if label and text else (label or text)[:MAX_REASON_LENGTH]

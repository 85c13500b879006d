"""Forms of the job seeker file. They check shapes (required, ranges, choices); the
services check the rules (ROME codes exist, at most 3 targets, versions)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, Field, HiddenField, IntegerField, SelectChoice, SelectField, SelectMultipleField,
    StringField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from crm.enums import ContractType, Modality
from crm.jobseekers.models import ActionStatus, BarrierKind, ConsentKind, DigitalAutonomy, EducationLevel
from crm.jobseekers.services import (
    MAX_EXPERIENCE_MONTHS, MAX_LABEL_LENGTH, MAX_LIST_ITEM_LENGTH, MAX_MOBILITY_KM, MAX_NOTES_LENGTH,
    MAX_REASON_LENGTH, MAX_TARGETS,
)
from crm.labels import choices as label_pairs


def choices(enum_cls: Any) -> list[SelectChoice]:
    """Select options for an enumeration, with its French labels."""
    return [SelectChoice(value, text) for value, text in label_pairs(enum_cls)]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CodeListField(Field):
    """Repeated inputs of the same name (the chosen ROME codes), kept in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data: list[str] = []

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [value.strip() for value in valuelist if value and value.strip()]

    def process_data(self, value: Any) -> None:
        self.data = list(value or [])

    def _value(self) -> str:
        return ""


class LinesField(TextAreaField):
    """One entry per line; ``data`` is the list of non-empty lines."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in text.splitlines() if line.strip()]

    def process_data(self, value: Any) -> None:
        self.data = list(value or [])

    def _value(self) -> str:
        return "\n".join(self.data or [])


def _max_targets(form: FlaskForm, field: CodeListField) -> None:
    if len(field.data) > MAX_TARGETS:
        raise ValidationError(_l("Au plus %(max)s métiers recherchés.", max=MAX_TARGETS))


def _line_lengths(form: FlaskForm, field: LinesField) -> None:
    if any(len(line) > MAX_LIST_ITEM_LENGTH for line in field.data or []):
        raise ValidationError(_l("Chaque ligne est limitée à %(max)s caractères.", max=MAX_LIST_ITEM_LENGTH))


class ProfileForm(FlaskForm):
    version = HiddenField()
    targets = CodeListField(_l("Métiers recherchés (3 au plus)"), validators=[_max_targets])
    contract_types = MultiCheckboxField(_l("Types de contrat acceptés"), choices=choices(ContractType))
    mobility_km = IntegerField(_l("Rayon de mobilité (km)"), validators=[
        InputRequired(_l("Indiquez le rayon de mobilité.")),
        NumberRange(0, MAX_MOBILITY_KM, _l("Le rayon de mobilité va de 0 à %(max)s km.", max=MAX_MOBILITY_KM))])
    education_level = SelectField(_l("Niveau de formation"), choices=choices(EducationLevel))
    experience_months = IntegerField(_l("Expérience (mois)"), validators=[
        InputRequired(_l("Indiquez l'expérience en mois (0 si aucune).")),
        NumberRange(0, MAX_EXPERIENCE_MONTHS,
                    _l("L'expérience va de 0 à %(max)s mois.", max=MAX_EXPERIENCE_MONTHS))])
    languages = LinesField(_l("Langues (une par ligne)"), validators=[_line_lengths])
    skills = LinesField(_l("Compétences (une par ligne)"), validators=[_line_lengths])
    work_axes = LinesField(_l("Axes de travail (un par ligne)"), validators=[_line_lengths])
    digital_autonomy = SelectField(_l("Autonomie numérique"), choices=choices(DigitalAutonomy))

    def profile_data(self) -> dict[str, Any]:
        return {
            "targets": self.targets.data,
            "contract_types": [ContractType(v) for v in self.contract_types.data or []],
            "mobility_km": self.mobility_km.data,
            "education_level": EducationLevel(self.education_level.data),
            "experience_months": self.experience_months.data,
            "languages": self.languages.data,
            "skills": self.skills.data,
            "work_axes": self.work_axes.data,
            "digital_autonomy": DigitalAutonomy(self.digital_autonomy.data),
        }


class SectionForm(FlaskForm):
    """A form among several on the page: its ``prefix`` keeps names and ids unique."""

    form_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.form_prefix)
        super().__init__(*args, **kwargs)


class BarrierForm(SectionForm):
    form_prefix = "barrier"
    kind = SelectField(_l("Frein"), choices=choices(BarrierKind))
    notes = StringField(_l("Précisions"), validators=[
        Optional(), Length(max=MAX_NOTES_LENGTH, message=_l("Les notes sont limitées à %(max)s caractères.",
                                                             max=MAX_NOTES_LENGTH))])


class ActionItemForm(SectionForm):
    form_prefix = "action"
    label = StringField(_l("Action"), validators=[
        DataRequired(_l("Décrivez l'action.")),
        Length(max=MAX_LABEL_LENGTH, message=_l("L'intitulé est limité à %(max)s caractères.",
                                                max=MAX_LABEL_LENGTH))])
    due_on = DateField(_l("Échéance"), validators=[Optional()])


class ActionStatusForm(FlaskForm):
    version = HiddenField()
    status = SelectField(_l("Statut"), choices=choices(ActionStatus))


class ConsentForm(SectionForm):
    form_prefix = "consent"
    kind = SelectField(_l("Consentement"), choices=choices(ConsentKind))
    given = BooleanField(_l("Donné (décocher pour un retrait)"), default=True)
    notes = StringField(_l("Précisions"), validators=[
        Optional(), Length(max=MAX_NOTES_LENGTH, message=_l("Les notes sont limitées à %(max)s caractères.",
                                                             max=MAX_NOTES_LENGTH))])


def _reason_field() -> TextAreaField:
    return TextAreaField(_l("Motif"), validators=[
        DataRequired(_l("Indiquez le motif.")),
        Length(max=MAX_REASON_LENGTH, message=_l("Le motif est limité à %(max)s caractères.",
                                                 max=MAX_REASON_LENGTH))])


class ModalityForm(SectionForm):
    form_prefix = "modality"
    version = HiddenField()
    modality = SelectField(_l("Nouvelle modalité"), choices=choices(Modality))
    reason = _reason_field()


class TransferForm(SectionForm):
    form_prefix = "transfer"
    version = HiddenField()
    # Choices are set by the view (the agency's counselors, the region's agencies); "" keeps as is.
    referent = SelectField(_l("Nouveau conseiller référent"), choices=[], default="")
    agency = SelectField(_l("Ou une autre agence de la région"), choices=[], default="")
    reason = _reason_field()

    def validate_agency(self, field: SelectField) -> None:
        if not field.data and not self.referent.data:
            raise ValidationError(_l("Choisissez un conseiller ou une agence."))

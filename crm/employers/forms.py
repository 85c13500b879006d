"""Forms of employer relations: the portfolio filters (GET, no CSRF), the inline
logging form narrowed to employer channels and kinds, prospection, profile promotion,
recruitment needs and reassignment. Business rules stay in the services."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from crm.employers.models import EmployerSegment, NeedSource
from crm.employers.queries import EmployerFilters
from crm.employers.services import (
    MAX_NEED_NOTES_LENGTH, MAX_POSITIONS, MAX_REASON_LENGTH, PLANNABLE_KINDS, PROMOTION_CHANNELS,
)
from crm.employers.siret import SIRET_LENGTH, is_valid_siret, normalise_siret
from crm.employers.models import ProspectionKind
from crm.interactions.forms import ANY, CHOOSE, TimelineFilterForm, InteractionForm, _pairs
from crm.interactions.models import Channel, InteractionKind
from crm.interactions.services import MAX_NOTES_LENGTH
from crm.jobseekers.portfolio_forms import _days, _in_range, options

# Channels and kinds of the employer side (« mail entreprises » is the e-mail channel).
EMPLOYER_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.COMPANY_VISIT, Channel.IN_PERSON, Channel.VISIO,
                     Channel.LETTER, Channel.EVENT)
EMPLOYER_KINDS = (
    InteractionKind.PROSPECTION, InteractionKind.OFFER_INTAKE, InteractionKind.OFFER_FOLLOW_UP,
    InteractionKind.CANDIDATE_PRESENTATION, InteractionKind.EMPLOYER_ADVICE, InteractionKind.HIRING_AID,
    InteractionKind.SATISFACTION_SURVEY, InteractionKind.PROFILE_PROMOTION, InteractionKind.EVENT_ATTENDANCE,
    InteractionKind.INFORMATION, InteractionKind.OTHER,
)
NAF_PATTERN = re.compile(r"^(\d{2})\.?(\d{2})([A-Za-z])$")
YES_NO_ANY = [("", _l("Indifférent")), ("yes", _l("Oui")), ("no", _l("Non"))]
SATISFACTION_CHOICES = [("", _l("Indifférent")), ("yes", _l("Recommanderait le service")),
                        ("no", _l("Ne recommanderait pas le service")), ("none", _l("Jamais interrogée"))]


class EmployerFilterForm(FlaskForm):
    """The portfolio's query string; choices from the referentials are set by the view."""

    class Meta:
        csrf = False  # a GET form: reading a list changes nothing

    q = StringField(_l("Nom ou SIRET"), validators=[Optional(), Length(max=100)],
                    render_kw={"type": "search", "autocomplete": "off", "spellcheck": "false"})
    naf_section = SelectField(_l("Secteur (section NAF)"), choices=options([("", _l("Tous"))]), default="")
    naf_code = StringField(_l("Code NAF"), validators=[Optional(), Length(max=6)],
                           description=_l("Par exemple 56.10A"))
    size_band = SelectField(_l("Tranche d'effectif"), choices=options([("", _l("Toutes"))]), default="")
    commune = StringField(_l("Commune"), validators=[Optional(), Length(max=100)],
                          description=_l("Nom, code postal ou code INSEE"))
    segment = SelectField(_l("Segment"), default="", choices=[ANY, *_pairs(EmployerSegment)])
    open_offers = SelectField(_l("Offres en cours"), choices=options(YES_NO_ANY), default="")
    min_days = _days(_l("Sans contact depuis au moins (jours)"))
    max_days = _days(_l("Sans contact depuis au plus (jours)"))
    satisfaction = SelectField(_l("Satisfaction"), choices=options(SATISFACTION_CHOICES), default="")
    counselor = SelectField(_l("Conseiller entreprise"), choices=options([("", _l("Tous"))]), default="")
    page = IntegerField(_l("Page"), validators=[Optional(), _in_range(low=1, message=_l("Numéro de page invalide."))])

    def validate_q(self, field: StringField) -> None:
        digits = normalise_siret(field.data or "")
        if len(digits) == SIRET_LENGTH and digits.isdigit() and not is_valid_siret(digits):
            raise ValidationError(_l("Ce numéro SIRET n'est pas valide : sa clé de contrôle ne correspond pas. "
                                     "Vérifiez les 14 chiffres."))

    def validate_naf_code(self, field: StringField) -> None:
        if field.data and not NAF_PATTERN.match(field.data.strip()):
            raise ValidationError(_l("Saisissez un code NAF comme 56.10A."))

    def validate_max_days(self, field: IntegerField) -> None:
        low, high = self.min_days.data, field.data
        if low is not None and high is not None and not self.min_days.errors and high < low:
            raise ValidationError(_l("Le maximum doit être supérieur ou égal au minimum."))

    def value(self, name: str) -> Any:
        """The field's value if it is valid, else ``None`` (invalid filters are left out)."""
        field = self[name]
        return None if field.errors or field.data in ("", None, []) else field.data

    def filters(self) -> EmployerFilters:
        q = (self.value("q") or "").strip()
        digits = normalise_siret(q)
        naf = self.value("naf_code")
        match = NAF_PATTERN.match(naf.strip()) if naf else None
        open_offers = self.value("open_offers")
        return EmployerFilters(
            q=q, siret=digits if len(digits) == SIRET_LENGTH and is_valid_siret(digits) else "",
            naf_section=self.value("naf_section"),
            naf_code=f"{match[1]}{match[2]}{match[3].upper()}" if match else None,
            size_band=self.value("size_band"),
            commune=(self.value("commune") or "").strip(),
            segment=EmployerSegment(self.value("segment")) if self.value("segment") else None,
            open_offers=None if open_offers is None else open_offers == "yes",
            min_days_without_contact=self.value("min_days"), max_days_without_contact=self.value("max_days"),
            satisfaction=self.value("satisfaction"), page=self.value("page") or 1)

    def selected_counselor(self) -> int | None:
        value = self.value("counselor")
        return int(value) if value else None


# --------------------------------------------------------------------------- timeline


class EmployerTimelineFilterForm(TimelineFilterForm):
    channel = SelectField(_l("Canal"), default="", choices=[ANY, *_pairs(Channel, EMPLOYER_CHANNELS)])
    kind = SelectField(_l("Nature"), default="", choices=[ANY, *_pairs(InteractionKind, EMPLOYER_KINDS)])


class EmployerInteractionForm(InteractionForm):
    """The job seeker file's logging form, with employer channels and kinds; the next
    step can be a task (appointments are held with job seekers)."""

    party_kinds = EMPLOYER_KINDS

    channel = SelectField(_l("Canal"), choices=_pairs(Channel, EMPLOYER_CHANNELS), default=Channel.PHONE.value)
    kind = SelectField(_l("Nature"), choices=[CHOOSE, *_pairs(InteractionKind, EMPLOYER_KINDS)],
                       validators=[DataRequired(message=_l("Indiquez la nature de l'échange."))])
    next_step = RadioField(_l("Étape suivante"), default="", choices=[
        SelectChoice("", _l("Aucune")), SelectChoice("task", _l("Une tâche"))])
    appointment_at = None
    appointment_channel = None
    appointment_kind = None


# --------------------------------------------------------------------------- account view forms


def _notes_field(max_length: int = MAX_NOTES_LENGTH) -> TextAreaField:
    return TextAreaField(_l("Notes"), validators=[Length(max=max_length, message=_l(
        "Les notes sont limitées à %(max)s caractères.", max=max_length))])


class PlanProspectionForm(FlaskForm):
    kind = SelectField(_l("Action"), choices=[CHOOSE, *_pairs(ProspectionKind, PLANNABLE_KINDS)],
                       validators=[DataRequired(message=_l("Choisissez une visite, un appel ou un forum."))])
    planned_on = DateField(_l("Prévue le"), validators=[InputRequired(message=_l("Indiquez la date prévue."))])
    notes = _notes_field()


class ProspectionDoneForm(FlaskForm):
    version = HiddenField()
    done_on = DateField(_l("Réalisée le"), validators=[InputRequired(message=_l("Indiquez la date de réalisation."))])
    notes = _notes_field()


class PromotionForm(FlaskForm):
    job_seeker = StringField(_l("Demandeur d'emploi (identifiant)"), validators=[
        DataRequired(message=_l("Indiquez l'identifiant du demandeur d'emploi.")), Length(max=64)],
        description=_l("Identifiant France Travail ou numéro du dossier"))
    channel = SelectField(_l("Présenté par"), choices=_pairs(Channel, PROMOTION_CHANNELS),
                          default=Channel.PHONE.value)
    notes = _notes_field()


class RecruitmentNeedForm(FlaskForm):
    rome_code = StringField(_l("Métier (code ROME)"), validators=[Optional(), Length(max=5)])
    positions = IntegerField(_l("Postes"), default=1, validators=[
        InputRequired(message=_l("Indiquez le nombre de postes.")),
        NumberRange(min=1, max=MAX_POSITIONS, message=_l("Indiquez entre 1 et %(max)s postes.", max=MAX_POSITIONS))])
    expected_on = DateField(_l("Recrutement prévu vers le"), validators=[Optional()])
    source = SelectField(_l("Source"), choices=_pairs(NeedSource), default=NeedSource.VISIT.value)
    notes = _notes_field(MAX_NEED_NOTES_LENGTH)


class ReassignForm(FlaskForm):
    """Choices (the agency's or team's employer counselors) are set by the view."""

    version = HiddenField()  # of the employer shown (one employer's page; empty in the bulk form)
    counselor = SelectField(_l("Nouveau conseiller entreprise"), choices=[CHOOSE],
                            validators=[DataRequired(message=_l("Choisissez le conseiller."))])
    reason = TextAreaField(_l("Motif"), validators=[
        DataRequired(message=_l("Indiquez le motif de la réaffectation.")),
        Length(max=MAX_REASON_LENGTH, message=_l("Le motif est limité à %(max)s caractères.",
                                                  max=MAX_REASON_LENGTH))])


class BulkReassignForm(ReassignForm):
    naf_section = SelectField(_l("Secteur (section NAF)"), choices=[CHOOSE],
                              validators=[DataRequired(message=_l("Choisissez le secteur."))])
    from_counselor = SelectField(_l("Conseiller actuel"), choices=options([("", _l("Tous"))]), default="")

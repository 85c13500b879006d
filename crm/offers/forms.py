"""Forms of the offer pages. WTForms checks shapes; business rules stay in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectChoice, SelectField, StringField, \
    TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm.enums import ContractType
from crm.labels import LABELS
from crm.offers.models import ApplicationStatus, OfferStatus, RefusalReason
from crm.offers.services import MAX_DESCRIPTION_LENGTH, MAX_FEEDBACK_LENGTH, MAX_POSITIONS, MAX_RADIUS_KM, \
    MAX_TITLE_LENGTH

ANY = SelectChoice("", _l("Tous"))
CHOOSE = SelectChoice("", _l("Choisir…"))


def _pairs(enum_cls: type, members: tuple | list | None = None) -> list[SelectChoice]:
    return [SelectChoice(m.value, LABELS[enum_cls][m]) for m in (enum_cls if members is None else members)]


class OfferFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Statut"), default="", choices=[ANY, *_pairs(OfferStatus)])


class OfferForm(FlaskForm):
    title = StringField(_l("Intitulé"), validators=[DataRequired(message=_l("Indiquez l'intitulé de l'offre.")),
                                                    Length(max=MAX_TITLE_LENGTH)])
    rome_code = StringField(_l("Code ROME"), validators=[DataRequired(message=_l("Indiquez le code ROME.")),
                                                         Length(max=5)])
    contract_type = SelectField(_l("Type de contrat"), choices=[CHOOSE, *_pairs(ContractType)],
                                validators=[DataRequired(message=_l("Choisissez le type de contrat."))])
    positions = IntegerField(_l("Nombre de postes"), default=1, validators=[
        InputRequired(message=_l("Indiquez le nombre de postes.")), NumberRange(min=1, max=MAX_POSITIONS)])
    commune_insee = StringField(_l("Commune (code INSEE)"), validators=[Optional(), Length(max=5)])
    contract_months = IntegerField(_l("Durée du contrat (mois)"), validators=[Optional(), NumberRange(min=1,
                                                                                                      max=120)])
    hours_per_week = IntegerField(_l("Heures par semaine"), validators=[Optional(), NumberRange(min=1, max=48)])
    description = TextAreaField(_l("Description"), validators=[Length(max=MAX_DESCRIPTION_LENGTH)])
    version = HiddenField()


class OfferStatusForm(FlaskForm):
    status = SelectField(choices=[SelectChoice(s.value) for s in OfferStatus if s != OfferStatus.DRAFT],
                         validators=[DataRequired()])
    accompanied = BooleanField(_l("Avec accompagnement"))
    version = HiddenField(validators=[DataRequired()])


class VersionForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])


class ApplicationStatusForm(FlaskForm):
    status = SelectField(_l("Nouveau statut"), choices=[SelectChoice(s.value) for s in ApplicationStatus
                                                       if s != ApplicationStatus.PROPOSED],
                         validators=[DataRequired()])
    refusal_reason = SelectField(_l("Motif du refus"), default="", choices=[CHOOSE, *_pairs(RefusalReason)])
    hire_start_on = DateField(_l("Début du contrat"), validators=[Optional()])
    feedback = TextAreaField(_l("Retour de l'entreprise"), validators=[Length(max=MAX_FEEDBACK_LENGTH)])
    version = HiddenField(validators=[DataRequired()])


class FeedbackForm(FlaskForm):
    feedback = TextAreaField(_l("Retour de l'entreprise"), validators=[
        DataRequired(message=_l("Saisissez le retour de l'entreprise.")), Length(max=MAX_FEEDBACK_LENGTH)])
    version = HiddenField(validators=[DataRequired()])


class AddCandidateForm(FlaskForm):
    job_seeker_id = IntegerField(validators=[InputRequired(message=_l("Choisissez un candidat."))])


class CandidateSearchForm(FlaskForm):
    class Meta:
        csrf = False

    rome_scope = SelectField(_l("Métier"), default="code", choices=[
        SelectChoice("code", _l("Même code ROME")), SelectChoice("family", _l("Même famille de métiers"))])
    commune_insee = StringField(_l("Autour de (code INSEE)"), validators=[Optional(), Length(max=5)])
    radius_km = IntegerField(_l("Rayon (km)"), validators=[Optional(), NumberRange(min=0, max=MAX_RADIUS_KM)])
    available_by = DateField(_l("Disponible au plus tard le"), validators=[Optional()])

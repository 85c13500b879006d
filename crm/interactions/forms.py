"""Forms of the timeline sections. WTForms checks shapes (required, lengths, choices);
business rules stay in the services, whose ``DomainError`` the views attach to fields.

Date-time inputs are typed in the agency's time zone and stored in naive UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField, DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField, StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from crm.interactions.models import (
    ONLINE_KINDS, AppointmentKind, Channel, Direction, InteractionKind, InteractionOutcome, ReferralStatus,
)
from crm.interactions.services import APPOINTMENT_DURATION_RANGE, MAX_NOTES_LENGTH, MAX_TITLE_LENGTH
from crm.labels import LABELS

ANY = SelectChoice("", _l("Tous"))
CHOOSE = SelectChoice("", _l("Choisir…"))

# Job seeker side: kinds an employer counselor logs with firms are not offered here.
JOB_SEEKER_KINDS = (
    InteractionKind.SITUATION_INTERVIEW, InteractionKind.FOLLOW_UP, InteractionKind.REVIEW_6_9,
    InteractionKind.BENEFITS, InteractionKind.INFORMATION, InteractionKind.JOB_SEARCH_ADVICE,
    InteractionKind.PROPOSAL, InteractionKind.REFERRAL, InteractionKind.APPLICATION, InteractionKind.TRAINING,
    InteractionKind.WORKSHOP_ATTENDANCE, InteractionKind.EVENT_ATTENDANCE, InteractionKind.ADMINISTRATIVE,
    InteractionKind.LOGIN, InteractionKind.CV_UPDATE, InteractionKind.JOB_SEARCH, InteractionKind.ONLINE_APPLICATION,
    InteractionKind.OTHER,
)
JOB_SEEKER_CHANNELS = tuple(c for c in Channel if c != Channel.COMPANY_VISIT)

# What a counselor logs by hand: online activity arrives from the personal space.
MANUAL_CHANNELS = tuple(c for c in JOB_SEEKER_CHANNELS if c != Channel.ONLINE)
MANUAL_KINDS = tuple(k for k in JOB_SEEKER_KINDS if k not in ONLINE_KINDS)

# Combinations that make sense. An interview is held face to face, by phone or visio
# (or at a partner's permanence), never by e-mail, SMS or letter; attending a workshop
# or an event is traced with that channel, which carries nothing else but information.
SYNCHRONOUS_CHANNELS = frozenset({Channel.IN_PERSON, Channel.PHONE, Channel.VISIO, Channel.PARTNER})
INTERVIEW_KINDS = frozenset({InteractionKind.SITUATION_INTERVIEW, InteractionKind.REVIEW_6_9})
ATTENDANCE_CHANNEL = {InteractionKind.WORKSHOP_ATTENDANCE: Channel.WORKSHOP,
                      InteractionKind.EVENT_ATTENDANCE: Channel.EVENT}
GATHERING_KINDS = {Channel.WORKSHOP: frozenset({InteractionKind.WORKSHOP_ATTENDANCE, InteractionKind.INFORMATION,
                                                InteractionKind.OTHER}),
                   Channel.EVENT: frozenset({InteractionKind.EVENT_ATTENDANCE, InteractionKind.INFORMATION,
                                             InteractionKind.OTHER})}
# A message is left on a phone; nobody fails to show up to an e-mail.
OUTCOME_CHANNELS = {
    InteractionOutcome.MESSAGE_LEFT: frozenset({Channel.PHONE}),
    InteractionOutcome.NOT_REACHED: frozenset({Channel.PHONE, Channel.VISIO, Channel.SMS, Channel.EMAIL}),
    InteractionOutcome.NO_SHOW: frozenset({Channel.IN_PERSON, Channel.VISIO, Channel.PHONE, Channel.WORKSHOP,
                                           Channel.EVENT, Channel.PARTNER}),
}


def kind_fits_channel(kind: InteractionKind, channel: Channel) -> bool:
    if channel in GATHERING_KINDS:
        return kind in GATHERING_KINDS[channel]
    if kind in ATTENDANCE_CHANNEL:
        return False
    return kind not in INTERVIEW_KINDS or channel in SYNCHRONOUS_CHANNELS


def kinds_for(channel: Channel | None, kinds: tuple[InteractionKind, ...] = MANUAL_KINDS) -> list[InteractionKind]:
    return [k for k in kinds if channel is None or kind_fits_channel(k, channel)]


def outcomes_for(channel: Channel | None) -> list[InteractionOutcome]:
    return [o for o in InteractionOutcome if channel is None or channel in OUTCOME_CHANNELS.get(o, {channel})]


def _pairs(enum_cls: type, members: tuple | list | None = None) -> list[SelectChoice]:
    """Select options for ``members`` (all of the enumeration by default), with their French labels."""
    return [SelectChoice(m.value, LABELS[enum_cls][m]) for m in (enum_cls if members is None else members)]


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_utc(local: datetime | None) -> datetime | None:
    """A wall-clock time typed in the agency's zone, as stored (naive UTC)."""
    if local is None:
        return None
    return local.replace(tzinfo=local_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def as_enum(enum_cls: type, value: str | None):  # noqa: ANN201 — an enum member or None
    return enum_cls(value) if value else None


# --------------------------------------------------------------------------- timeline


class TimelineFilterForm(FlaskForm):
    """Query-string filters of the timeline (GET: no CSRF)."""

    class Meta:
        csrf = False

    channel = SelectField(_l("Canal"), default="", choices=[ANY, *_pairs(Channel, JOB_SEEKER_CHANNELS)])
    kind = SelectField(_l("Nature"), default="", choices=[ANY, *_pairs(InteractionKind, JOB_SEEKER_KINDS)])
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=1000)])


class InteractionForm(FlaskForm):
    party_kinds: tuple[InteractionKind, ...] = MANUAL_KINDS  # what this party's form offers

    channel = SelectField(_l("Canal"), choices=_pairs(Channel, MANUAL_CHANNELS), default=Channel.PHONE.value)
    direction = SelectField(_l("Sens"), choices=_pairs(Direction), default=Direction.OUTBOUND.value)
    kind = SelectField(_l("Nature"), choices=[CHOOSE, *_pairs(InteractionKind, MANUAL_KINDS)],
                       validators=[DataRequired(message=_l("Indiquez la nature de l'échange."))])
    outcome = SelectField(_l("Résultat"), choices=_pairs(InteractionOutcome), default=InteractionOutcome.DONE.value)
    occurred_at = DateTimeLocalField(_l("Date et heure (si ce n'est pas maintenant)"), format="%Y-%m-%dT%H:%M",
                                     validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=MAX_NOTES_LENGTH, message=_l(
        "Les notes sont limitées à %(max)s caractères.", max=MAX_NOTES_LENGTH))])
    next_step = RadioField(_l("Étape suivante"), default="", choices=[
        SelectChoice("", _l("Aucune")), SelectChoice("task", _l("Une tâche")),
        SelectChoice("appointment", _l("Un rendez-vous"))])
    task_title = StringField(_l("Objet de la tâche"), validators=[Length(max=MAX_TITLE_LENGTH)])
    task_due_on = DateField(_l("À faire pour le"), validators=[Optional()])
    appointment_at = DateTimeLocalField(_l("Date et heure du rendez-vous"), format="%Y-%m-%dT%H:%M",
                                        validators=[Optional()])
    appointment_channel = SelectField(_l("Modalité du rendez-vous"), default=Channel.IN_PERSON.value,
                                      choices=_pairs(Channel, (Channel.IN_PERSON, Channel.PHONE, Channel.VISIO,
                                                               Channel.PARTNER)))
    appointment_kind = SelectField(_l("Objet du rendez-vous"), choices=_pairs(AppointmentKind),
                                   default=AppointmentKind.FOLLOW_UP.value)

    def narrow_to_channel(self) -> None:
        """Offer only the kinds and outcomes that fit the chosen channel."""
        channel = as_enum(Channel, self.channel.data) if self.channel.data in Channel.values() else None
        self.kind.choices = [CHOOSE, *_pairs(InteractionKind, kinds_for(channel, self.party_kinds))]
        self.outcome.choices = _pairs(InteractionOutcome, outcomes_for(channel))

    def validate_kind(self, field: SelectField) -> None:
        if field.data and self.channel.data in Channel.values():
            if not kind_fits_channel(InteractionKind(field.data), Channel(self.channel.data)):
                raise ValidationError(_l("Cette nature d'échange ne correspond pas au canal choisi."))

    def validate_outcome(self, field: SelectField) -> None:
        if field.data in InteractionOutcome.values() and self.channel.data in Channel.values():
            if Channel(self.channel.data) not in OUTCOME_CHANNELS.get(InteractionOutcome(field.data),
                                                                      {Channel(self.channel.data)}):
                raise ValidationError(_l("Ce résultat ne correspond pas au canal choisi."))

    def validate_task_title(self, field: StringField) -> None:
        if self.next_step.data == "task" and not (field.data or "").strip():
            raise ValidationError(_l("Indiquez l'objet de la tâche."))

    def validate_task_due_on(self, field: DateField) -> None:
        if self.next_step.data == "task" and field.data is None and not field.errors:
            raise ValidationError(_l("Indiquez l'échéance de la tâche."))

    def validate_appointment_at(self, field: DateTimeLocalField) -> None:
        if self.next_step.data == "appointment" and field.data is None and not field.errors:
            raise ValidationError(_l("Indiquez la date et l'heure du rendez-vous."))


# --------------------------------------------------------------------------- appointments


class AppointmentForm(FlaskForm):
    scheduled_at = DateTimeLocalField(_l("Date et heure"), format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(message=_l("Indiquez la date et l'heure du rendez-vous."))])
    duration_minutes = IntegerField(_l("Durée (minutes)"), default=30, validators=[
        InputRequired(), NumberRange(*APPOINTMENT_DURATION_RANGE)])
    channel = SelectField(_l("Modalité"), default=Channel.IN_PERSON.value, choices=_pairs(
        Channel, (Channel.IN_PERSON, Channel.PHONE, Channel.VISIO, Channel.PARTNER)))
    kind = SelectField(_l("Objet"), choices=_pairs(AppointmentKind), default=AppointmentKind.FOLLOW_UP.value)
    notes = TextAreaField(_l("Notes"), validators=[Length(max=MAX_NOTES_LENGTH)])


APPOINTMENT_ACTIONS = ("done", "missed", "cancelled")


class AppointmentStatusForm(FlaskForm):
    status = SelectField(choices=[SelectChoice(a) for a in APPOINTMENT_ACTIONS])
    version = HiddenField(validators=[DataRequired()])


# --------------------------------------------------------------------------- referrals


class ReferralForm(FlaskForm):
    partner_item_id = SelectField(_l("Partenaire"), coerce=int, validate_choice=False,
                                  validators=[DataRequired(message=_l("Choisissez le partenaire."))])


class ReferralStatusForm(FlaskForm):
    status = SelectField(_l("Nouveau statut"), choices=_pairs(
        ReferralStatus, [s for s in ReferralStatus if s != ReferralStatus.SENT]))
    version = HiddenField(validators=[DataRequired()])


class PartnerFeedbackForm(FlaskForm):
    showed_up = RadioField(_l("La personne s'est-elle présentée ?"), default="", choices=[
        SelectChoice("", _l("Non précisé")), SelectChoice("yes", _l("Oui")), SelectChoice("no", _l("Non"))])
    feedback = TextAreaField(_l("Retour du partenaire"), validators=[Length(max=MAX_NOTES_LENGTH)])
    version = HiddenField(validators=[DataRequired()])


# --------------------------------------------------------------------------- training funnel


class MentionTrainingForm(FlaskForm):
    training_id = IntegerField(_l("Formation"), validators=[InputRequired(message=_l("Choisissez une formation."))])


class PrescribeTrainingForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])


class StartTrainingForm(FlaskForm):
    started_on = DateField(_l("Date d'entrée en formation"), validators=[
        InputRequired(message=_l("Indiquez la date d'entrée en formation."))])
    version = HiddenField(validators=[DataRequired()])

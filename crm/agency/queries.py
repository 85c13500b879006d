"""The agency's figures, by team, over a period and compared with another period.

Set-based: each *family* of figures is one SQL statement whose rows are the people,
offers or answers behind the figures (columns ``team_id``, ``part``, ``subject``,
``subject_id``, ``on``, ``detail`` and 0/1 flag columns). The overview counts them with
one ``GROUP BY team, part`` per family, whatever the number of people or teams; the
drill-down lists the rows of the same statement, so a list always has as many rows as
its figure. Nothing loops over people, and every statement reaches its rows through the
agency's people or staff (indexes leading with the person or the author), so its cost
follows the agency's size and the period, not the size of the whole database.

Team of a row: a job seeker's figures go to their referent's team; contacts to the
author's team; offers and mises en relation to the offer's counselor (who took it, else
the employer's counselor); satisfaction answers to the employer's counselor; priority
feedback to its author and priority rows to the counselor they were scored for. Rows
whose person has no team are counted under « Sans équipe » (the agency total includes
them).

Definitions (the period's bounds are days in the agency's time zone):

- *situation du jour* (not compared): ``portfolio`` (active people, by modality);
  ``overdue`` (no meaningful contact for longer than the modality's interval, counted
  from registration when never contacted — the « pas de contact récent » alert);
  ``compliant`` (last meaningful contact within the interval); ``open_offers`` and
  ``stale_offers`` (open for 15 days or more: shared with partners, seed 001);
  ``overrides`` / ``priority_rows`` (dismiss/snooze feedback on, and rows of, the latest
  published job-seeker priority list).
- *over the period*: ``contacts`` (meaningful contacts by the agency's staff with job
  seekers and employers, online activity excluded, by channel); ``registered`` and
  ``interview_on_time`` (entretien de situation held within 30 days of registration,
  as on the team overview); ``reviews`` (people whose 6–9 month review was held in the
  period with the agency's staff); ``returns`` (employment episodes starting in the period); the training funnel
  of the trainings *mentioned* in the period — of them, ``prescribed``, ``started``
  and ``completed`` by now, with the median days mention → prescription and
  prescription → start; ``referrals`` to partners and the ``no_shows`` the partner
  reported; employer relations from ``crm.indicators.employer_relations`` (its row
  statements, grouped by team here): offers created and the share filled, offers filled
  and the mean time to fill, final MER and hires, satisfaction answers and « would
  recommend ».

Freshness: today's situation and the drill-downs are always counted live. The figures
over a period (the chosen one and the one it is compared with) are counted once a day per
agency and period: stored in ``AgencyFigures`` (shared by every worker) and reused on the day
they were computed. ``flask --app crm overviews refresh`` computes them at night for every
agency and every period the pages offer (``make demo`` runs it), so nobody waits for them;
a period no one asked for yet is counted on first view, then kept. What is logged during
the day (a contact, a training started) shows in the period figures the next day — the page
says when they were computed. ``AGENCY_FIGURES_STORE = False`` counts them live on every
view (the tests do unless they turn it on).
"""

from __future__ import annotations

import functools
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from crm.agency.models import AgencyFigures
from crm.catalogue.models import CatalogueItem
from crm.employers.models import Employer, SatisfactionAnswer
from crm.enums import ItemKind, Modality
from crm.extensions import db
from crm.indicators import employer_relations as er
from crm.interactions.models import (
    MEANINGFUL_OUTCOMES, ONLINE_KINDS, Appointment, AppointmentKind, AppointmentStatus, Channel, Feedback,
    FeedbackContext, Interaction, InteractionKind, Proposal, ProposalOutcome, Referral,
)
from crm.jobseekers.alerts import SITUATION_INTERVIEW_DEADLINE_DAYS, contact_intervals
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.modelregistry.models import PriorityScore
from crm.offers.models import Application, ApplicationStatus, JobOffer, OfferStatus
from crm.organisation.models import Agency, Team, User
from crm.outcomes.models import OutcomeEpisode, OutcomeKind
from crm.teams.queries import (
    COUNSELOR_ROLES, Period, _midnight_utc, _no_index, latest_priority_version, portfolio_targets, rate,
)
from crm.web.dashboards import OFFER_ATTENTION_DAYS

NO_TEAM = 0  # the key (and drill-down parameter) of the rows whose person has no team
DRILL_DOWN_LIMIT = 1000  # rows listed at most (the caption gives the full count)
# Comparison windows: the period just before, or the same period a year earlier (52
# weeks back, so weekdays line up).
COMPARISONS: dict[str, Any] = {
    "previous": _l("Période précédente"),
    "year": _l("Même période l'année précédente"),
}
DEFAULT_COMPARISON = "previous"


class add_days(FunctionElement):  # noqa: N801 (an SQL function)
    """``date + n`` days, portable: ``add_days(column, sa.literal_column("31"))``."""

    type = sa.Date()
    inherit_cache = True
    name = "add_days"


@compiles(add_days)
def _add_days_default(element: add_days, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} + {compiler.process(days, **kw)})"


@compiles(add_days, "sqlite")
def _add_days_sqlite(element: add_days, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"


def shifted(period: Period, *, days: int, code: str, label: Any) -> Period:
    """The same number of days, ``days`` earlier."""
    start_on, end_on = period.start_on - timedelta(days=days), period.end_on - timedelta(days=days)
    return Period(code=code, label=label, start_on=start_on, end_on=end_on, start_utc=_midnight_utc(start_on),
                  end_utc=_midnight_utc(end_on + timedelta(days=1)))


def comparison_for(period: Period, code: str | None) -> tuple[str, Period]:
    code = code if code in COMPARISONS else DEFAULT_COMPARISON
    length = (period.end_on - period.start_on).days + 1
    days = length if code == "previous" else 364
    return code, shifted(period, days=days, code=period.code, label=COMPARISONS[code])


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Window:
    """What the statements are evaluated on: an agency, a period, today (for the
    « situation du jour » figures) and the latest published priority list."""

    agency_id: int
    period: Period
    today: date
    intervals: dict[Modality, int]
    version_id: int | None


@functools.cache
def _alias(name: str) -> Any:
    """A named alias of ``User`` (made on first use: aliasing configures the mappers,
    which must not happen while the models are still being imported)."""
    return aliased(User, name=name)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _flag(condition: sa.ColumnElement[bool], name: str) -> sa.Label:
    return sa.case((condition, 1), else_=0).label(name)


def _subject(kind: str) -> sa.Label:
    return sa.literal_column(f"'{kind}'", sa.String(16)).label("subject")


def _none(name: str) -> sa.Label:
    return sa.cast(sa.null(), sa.String(32)).label(name)


def _agency_people(w: Window) -> sa.Select:
    return sa.select(JobSeeker.id).where(JobSeeker.agency_id == w.agency_id)


def _of_people(w: Window, source: Any, *columns: Any, onclause: Any = None, person: Any = None) -> sa.Select:
    """Rows about the agency's job seekers (anonymised files left out), with the
    referent's team. ``person``: the source's job seeker column, restricted to the agency's
    people by a subquery, so that the plan reads the source through its index leading
    with the person (cost: the agency's people, not every agency's rows of the period)."""
    referent = _alias("referent")
    statement = sa.select(referent.team_id.label("team_id"), *columns).select_from(source)
    if source is not JobSeeker:
        statement = statement.join(JobSeeker, onclause)
    if person is not None:
        statement = statement.where(person.in_(_agency_people(w)))
    return (statement.outerjoin(referent, referent.id == JobSeeker.referent_id)
            .where(JobSeeker.agency_id == w.agency_id, JobSeeker.anonymised_at.is_(None)))


def _in_period(column: Any, w: Window) -> list[sa.ColumnElement[bool]]:
    """Bounds on a timestamp column (naive UTC, as stored)."""
    return [column >= w.period.start_utc, column < w.period.end_utc]


def portfolio_rows(w: Window) -> sa.Select:
    cutoffs = {m: w.today - timedelta(days=w.intervals[m]) for m in Modality}
    compliant = sa.or_(*(sa.and_(JobSeeker.modality == m, JobSeeker.last_contact_at >= _midnight(c))
                         for m, c in cutoffs.items()))
    overdue = sa.or_(*(sa.and_(JobSeeker.modality == m, sa.or_(
        JobSeeker.last_contact_at < _midnight(c),
        sa.and_(JobSeeker.last_contact_at.is_(None), JobSeeker.registration_date < c))) for m, c in cutoffs.items()))
    return _of_people(
        w, JobSeeker, JobSeeker.modality.label("part"), _subject("job_seeker"), JobSeeker.id.label("subject_id"),
        JobSeeker.last_contact_at.label("on"), _none("detail"), _flag(overdue, "overdue"),
        _flag(compliant, "compliant"),
    ).where(JobSeeker.status == JobSeekerStatus.ACTIVE)


def contact_rows(w: Window) -> sa.Select:
    return (sa.select(_alias("author").team_id.label("team_id"), Interaction.channel.label("part"),
                      sa.case((Interaction.job_seeker_id.is_not(None), sa.literal_column("'job_seeker'", sa.String(16))),
                              else_=sa.literal_column("'employer'", sa.String(16))).label("subject"),
                      sa.func.coalesce(Interaction.job_seeker_id, Interaction.employer_id).label("subject_id"),
                      Interaction.occurred_at.label("on"), Interaction.kind.label("detail"))
            .select_from(Interaction).join(_alias("author"), _alias("author").id == Interaction.author_id)
            .where(_alias("author").agency_id == w.agency_id, *_in_period(Interaction.occurred_at, w),
                   Interaction.kind.not_in(ONLINE_KINDS), Interaction.outcome.in_(MEANINGFUL_OUTCOMES)))


def registered_rows(w: Window) -> sa.Select:
    # Held within 30 days: on the day of registration up to 30 days later, as on the team overview.
    deadline = add_days(JobSeeker.registration_date, sa.literal_column(str(SITUATION_INTERVIEW_DEADLINE_DAYS + 1)))
    held = sa.or_(
        sa.exists().where(Interaction.job_seeker_id == JobSeeker.id,
                          Interaction.kind == InteractionKind.SITUATION_INTERVIEW,
                          Interaction.outcome.in_(MEANINGFUL_OUTCOMES),
                          Interaction.occurred_at >= JobSeeker.registration_date, Interaction.occurred_at < deadline),
        sa.exists().where(Appointment.job_seeker_id == JobSeeker.id,
                          Appointment.kind == AppointmentKind.SITUATION_INTERVIEW,
                          Appointment.status == AppointmentStatus.DONE,
                          Appointment.scheduled_at >= JobSeeker.registration_date, Appointment.scheduled_at < deadline))
    return _of_people(
        w, JobSeeker, JobSeeker.modality.label("part"), _subject("job_seeker"), JobSeeker.id.label("subject_id"),
        JobSeeker.registration_date.label("on"), _none("detail"), _flag(held, "interview_on_time"),
    ).where(_no_index(JobSeeker.registration_date) >= w.period.start_on,
            _no_index(JobSeeker.registration_date) <= w.period.end_on)


def review_rows(w: Window) -> sa.Select:
    """People whose 6–9 month review was held in the period with the agency's staff: an
    interaction they logged or a done appointment with them (read through the staff's
    indexes, not every interaction of every person)."""
    staff = sa.select(User.id).where(User.agency_id == w.agency_id)
    held = sa.union(
        sa.select(Interaction.job_seeker_id).where(
            Interaction.author_id.in_(staff), Interaction.kind == InteractionKind.REVIEW_6_9,
            Interaction.outcome.in_(MEANINGFUL_OUTCOMES), *_in_period(Interaction.occurred_at, w)),
        sa.select(Appointment.job_seeker_id).where(
            Appointment.staff_id.in_(staff), Appointment.kind == AppointmentKind.REVIEW_6_9,
            Appointment.status == AppointmentStatus.DONE, *_in_period(Appointment.scheduled_at, w)))
    return _of_people(
        w, JobSeeker, JobSeeker.modality.label("part"), _subject("job_seeker"), JobSeeker.id.label("subject_id"),
        JobSeeker.registration_date.label("on"), _none("detail"),
    ).where(JobSeeker.id.in_(held))


def return_rows(w: Window) -> sa.Select:
    return _of_people(
        w, OutcomeEpisode, _none("part"), _subject("job_seeker"), JobSeeker.id.label("subject_id"),
        OutcomeEpisode.start_on.label("on"), OutcomeEpisode.contract_type.label("detail"),
        onclause=JobSeeker.id == OutcomeEpisode.job_seeker_id, person=OutcomeEpisode.job_seeker_id,
    ).where(OutcomeEpisode.kind == OutcomeKind.EMPLOYMENT, OutcomeEpisode.start_on >= w.period.start_on,
            OutcomeEpisode.start_on <= w.period.end_on)


def training_rows(w: Window) -> sa.Select:
    """Trainings mentioned in the period (the cohort) and how far each went since."""
    completed = sa.and_(Proposal.started_on.is_not(None),
                        Proposal.outcome.in_((ProposalOutcome.COMPLETED, ProposalOutcome.HIRED)))
    return _of_people(
        w, Proposal, _none("part"), _subject("job_seeker"), JobSeeker.id.label("subject_id"),
        Proposal.proposed_at.label("on"), CatalogueItem.title.label("detail"),
        _flag(Proposal.prescribed_at.is_not(None), "prescribed"), _flag(Proposal.started_on.is_not(None), "started"),
        _flag(completed, "completed"), Proposal.prescribed_at.label("prescribed_at"),
        Proposal.started_on.label("started_on"),
        onclause=JobSeeker.id == Proposal.job_seeker_id, person=Proposal.job_seeker_id,
    ).outerjoin(CatalogueItem, CatalogueItem.id == Proposal.catalogue_item_id).where(
        Proposal.item_kind == ItemKind.TRAINING, *_in_period(Proposal.proposed_at, w))


def referral_rows(w: Window) -> sa.Select:
    return _of_people(
        w, Referral, CatalogueItem.partner_kind.label("part"), _subject("job_seeker"),
        JobSeeker.id.label("subject_id"), Referral.referred_at.label("on"), CatalogueItem.title.label("detail"),
        _flag(Referral.showed_up.is_(False), "no_shows"),
        onclause=JobSeeker.id == Referral.job_seeker_id, person=Referral.job_seeker_id,
    ).join(CatalogueItem, CatalogueItem.id == Referral.partner_item_id).where(
        *_in_period(Referral.referred_at, w))


def _er_period(w: Window) -> er.Period:
    return er.Period(start=w.period.start_on, end=w.period.end_on)


def _with_offer_team(statement: sa.Select, *columns: Any) -> sa.Select:
    """A statement that joins ``JobOffer`` and ``Employer``, as rows with the offer's team."""
    return (statement.with_only_columns(_alias("offer_counselor").team_id.label("team_id"), *columns)
            .outerjoin(_alias("offer_counselor"), _alias("offer_counselor").id == sa.func.coalesce(JobOffer.counselor_id,
                                                                              Employer.counselor_id)))


def open_offer_rows(w: Window) -> sa.Select:
    attention_before = w.today - timedelta(days=OFFER_ATTENTION_DAYS)
    statement = (sa.select(JobOffer).join(Employer, Employer.id == JobOffer.employer_id)
                 .where(Employer.agency_id == w.agency_id, JobOffer.status == OfferStatus.OPEN))
    return _with_offer_team(statement, _none("part"), _subject("offer"), JobOffer.id.label("subject_id"),
                            JobOffer.created_on.label("on"), JobOffer.title.label("detail"),
                            _flag(JobOffer.created_on <= attention_before, "stale"))


def _agency_employers(w: Window) -> sa.Select:
    return sa.select(Employer.id).where(Employer.agency_id == w.agency_id)


def created_offer_rows(w: Window) -> sa.Select:
    # The employer subquery (redundant with the shared statement's agency filter) steers the
    # plan to the agency's employers rather than every agency's offers of the period.
    return _with_offer_team(er.created_offers_rows(_er_period(w), er.Scope(agency_id=w.agency_id)),
                            _none("part"), _subject("offer"), JobOffer.id.label("subject_id"),
                            JobOffer.created_on.label("on"), JobOffer.status.label("detail"),
                            _flag(JobOffer.status == OfferStatus.FILLED, "filled")
                            ).where(JobOffer.employer_id.in_(_agency_employers(w)))


def filled_offer_rows(w: Window) -> sa.Select:
    return _with_offer_team(er.filled_offers_rows(_er_period(w), er.Scope(agency_id=w.agency_id)),
                            _none("part"), _subject("offer"), JobOffer.id.label("subject_id"),
                            JobOffer.filled_on.label("on"), JobOffer.title.label("detail"),
                            sa.func.coalesce(JobOffer.published_on, JobOffer.created_on).label("opened_on"))


def mer_rows(w: Window) -> sa.Select:
    return _with_offer_team(er.final_applications_rows(_er_period(w), er.Scope(agency_id=w.agency_id)),
                            _none("part"), _subject("offer"), JobOffer.id.label("subject_id"),
                            Application.created_at.label("on"), Application.status.label("detail"),
                            _flag(Application.status == ApplicationStatus.HIRED, "hired"))


def satisfaction_rows(w: Window) -> sa.Select:
    return (er.satisfaction_rows(_er_period(w), er.Scope(agency_id=w.agency_id))
            .with_only_columns(_alias("employer_counselor").team_id.label("team_id"), _none("part"), _subject("employer"),
                               Employer.id.label("subject_id"), SatisfactionAnswer.answered_on.label("on"),
                               SatisfactionAnswer.score.label("detail"),
                               _flag(SatisfactionAnswer.would_recommend.is_(True), "would_recommend"))
            .outerjoin(_alias("employer_counselor"), _alias("employer_counselor").id == Employer.counselor_id)
            .where(SatisfactionAnswer.employer_id.in_(_agency_employers(w))))


def override_rows(w: Window) -> sa.Select:
    return (sa.select(_alias("author").team_id.label("team_id"), Feedback.action.label("part"), _subject("job_seeker"),
                      Feedback.job_seeker_id.label("subject_id"), Feedback.at.label("on"),
                      Feedback.reason.label("detail"))
            .select_from(Feedback).join(_alias("author"), _alias("author").id == Feedback.user_id)
            .where(_alias("author").agency_id == w.agency_id, Feedback.context == FeedbackContext.PRIORITY_LIST,
                   Feedback.job_seeker_id.is_not(None),
                   Feedback.model_version_id == w.version_id if w.version_id is not None else sa.false()))


def priority_list_rows(w: Window) -> sa.Select:
    return (sa.select(_alias("author").team_id.label("team_id"), _none("part"), _subject("job_seeker"),
                      PriorityScore.job_seeker_id.label("subject_id"), PriorityScore.scored_on.label("on"),
                      PriorityScore.rank.label("detail"))
            .select_from(PriorityScore).join(_alias("author"), _alias("author").id == PriorityScore.counselor_id)
            .where(_alias("author").agency_id == w.agency_id, PriorityScore.job_seeker_id.is_not(None),
                   PriorityScore.model_version_id == w.version_id if w.version_id is not None else sa.false()))


@dataclass(frozen=True)
class Family:
    """One statement and the figures counted from it: ``code`` counts every row, each
    flag counts the rows where it is 1."""

    code: str
    rows: Callable[[Window], sa.Select]
    flags: tuple[str, ...] = ()
    snapshot: bool = False  # « situation du jour »: not compared with another period
    # Measures in days read from the rows (median or mean delays), when the family has some:
    # its rows are then read (a few hundred per agency and year) and counted here.
    measures: Callable[[Any], dict[str, float | None]] | None = None
    # Also count per day (the trend chart), in the same grouped query.
    by_day: bool = False


def _funnel_delays(row: Any) -> dict[str, float | None]:
    proposed = row.on.date() if isinstance(row.on, datetime) else row.on
    prescribed = row.prescribed_at.date() if row.prescribed_at is not None else None
    return {"days_to_prescription": (prescribed - proposed).days if prescribed else None,
            "days_to_start": (row.started_on - prescribed).days if prescribed and row.started_on else None}


def _days_to_fill(row: Any) -> dict[str, float | None]:
    return {"days_to_fill": (row.on - row.opened_on).days}


FAMILIES: dict[str, Family] = {f.code: f for f in (
    Family("portfolio", portfolio_rows, ("overdue", "compliant"), snapshot=True),
    Family("open_offers", open_offer_rows, ("stale",), snapshot=True),
    Family("overrides", override_rows, snapshot=True),
    Family("priority_rows", priority_list_rows, snapshot=True),
    Family("contacts", contact_rows, by_day=True),
    Family("registered", registered_rows, ("interview_on_time",)),
    Family("reviews", review_rows),
    Family("returns", return_rows),
    Family("trainings", training_rows, ("prescribed", "started", "completed"), measures=_funnel_delays),
    Family("referrals", referral_rows, ("no_shows",)),
    Family("offers_created", created_offer_rows, ("filled",)),
    Family("offers_filled", filled_offer_rows, measures=_days_to_fill),
    Family("mer", mer_rows, ("hired",)),
    Family("satisfaction", satisfaction_rows, ("would_recommend",)),
)}


@dataclass(frozen=True)
class Indicator:
    """A figure: a family's rows, or those of them where ``flag`` is 1."""

    code: str
    family: str
    flag: str | None
    label: Any
    date_label: Any


def _indicator(family: str, flag: str | None, label: Any, date_label: Any) -> Indicator:
    return Indicator(f"{family}.{flag}" if flag else family, family, flag, label, date_label)


INDICATORS: dict[str, Indicator] = {i.code: i for i in (
    _indicator("portfolio", None, _l("Portefeuilles"), _l("Dernier contact")),
    _indicator("portfolio", "overdue", _l("Contacts en retard"), _l("Dernier contact")),
    _indicator("portfolio", "compliant", _l("Contactées dans le délai"), _l("Dernier contact")),
    _indicator("open_offers", None, _l("Offres ouvertes"), _l("Créée le")),
    _indicator("open_offers", "stale", _l("Offres ouvertes depuis 15 jours ou plus"), _l("Créée le")),
    _indicator("overrides", None, _l("Priorités écartées ou reportées"), _l("Le")),
    _indicator("priority_rows", None, _l("Lignes de la liste de priorités"), _l("Calculée le")),
    _indicator("contacts", None, _l("Contacts"), _l("Date du contact")),
    _indicator("registered", None, _l("Inscrites sur la période"), _l("Inscription")),
    _indicator("registered", "interview_on_time", _l("Entretien de situation dans les 30 jours"),
               _l("Inscription")),
    _indicator("reviews", None, _l("Points des 6-9 mois réalisés"), _l("Inscription")),
    _indicator("returns", None, _l("Reprises d'emploi"), _l("Début du contrat")),
    _indicator("trainings", None, _l("Formations évoquées"), _l("Évoquée le")),
    _indicator("trainings", "prescribed", _l("Formations prescrites"), _l("Évoquée le")),
    _indicator("trainings", "started", _l("Formations commencées"), _l("Évoquée le")),
    _indicator("trainings", "completed", _l("Formations terminées"), _l("Évoquée le")),
    _indicator("referrals", None, _l("Orientations vers un partenaire"), _l("Orientée le")),
    _indicator("referrals", "no_shows", _l("Absences chez le partenaire"), _l("Orientée le")),
    _indicator("offers_created", None, _l("Offres déposées"), _l("Créée le")),
    _indicator("offers_created", "filled", _l("Offres déposées et pourvues"), _l("Créée le")),
    _indicator("offers_filled", None, _l("Offres pourvues sur la période"), _l("Pourvue le")),
    _indicator("mer", None, _l("Mises en relation conclues"), _l("Mise en relation le")),
    _indicator("mer", "hired", _l("Mises en relation suivies d'une embauche"), _l("Mise en relation le")),
    _indicator("satisfaction", None, _l("Réponses à l'enquête de satisfaction"), _l("Réponse le")),
    _indicator("satisfaction", "would_recommend", _l("Entreprises qui recommanderaient le service"),
               _l("Réponse le")),
)}


# --------------------------------------------------------------------------- figures


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class Figures:
    """The figures of one scope (a team, « sans équipe » or the agency) for one window."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    parts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    measures: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    per_day: dict[str, dict[date, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def n(self, code: str) -> int:
        return self.counts.get(code, 0)

    def part(self, code: str, part: str) -> int:
        return self.parts.get(code, {}).get(part, 0)

    def add(self, other: Figures) -> None:
        for code, n in other.counts.items():
            self.counts[code] += n
        for code, parts in other.parts.items():
            for part, n in parts.items():
                self.parts[code][part] += n
        for name, values in other.measures.items():
            self.measures[name].extend(values)
        for code, days in other.per_day.items():
            for day, n in days.items():
                self.per_day[code][day] += n

    @property
    def is_empty(self) -> bool:
        return not any(self.counts.values())

    # rates (percentages rounded to the unit; None when nothing to divide by)
    def ratio(self, part: str, whole: str) -> int | None:
        return rate(self.n(part), self.n(whole))

    @property
    def compliance_rate(self) -> int | None:
        return self.ratio("portfolio.compliant", "portfolio")

    @property
    def interview_rate(self) -> int | None:
        return self.ratio("registered.interview_on_time", "registered")

    @property
    def no_show_rate(self) -> int | None:
        return self.ratio("referrals.no_shows", "referrals")

    @property
    def share_filled(self) -> int | None:
        return self.ratio("offers_created.filled", "offers_created")

    @property
    def mer_rate(self) -> int | None:
        return self.ratio("mer.hired", "mer")

    @property
    def recommend_rate(self) -> int | None:
        return self.ratio("satisfaction.would_recommend", "satisfaction")

    @property
    def override_rate(self) -> int | None:
        return self.ratio("overrides", "priority_rows")

    @property
    def time_to_fill(self) -> float | None:
        """Mean days from publication (else creation) to filling, offers filled in the period."""
        values = self.measures.get("days_to_fill", [])
        return round(sum(values) / len(values), 1) if values else None

    @property
    def median_days_to_prescription(self) -> float | None:
        return _median(self.measures.get("days_to_prescription", []))

    @property
    def median_days_to_start(self) -> float | None:
        return _median(self.measures.get("days_to_start", []))

    def value(self, code: str) -> float | int | None:
        """A figure or a rate by name (the weekly report and the CSV read them this way)."""
        return self.n(code) if code in INDICATORS else getattr(self, code)


def _team_key(team_id: int | None) -> int:
    return NO_TEAM if team_id is None else team_id


def _code(value: Any) -> str | None:
    return None if value is None else getattr(value, "value", str(value))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _add_counts(figures: Figures, family: Family, part: Any, n: int, flags: list[int]) -> None:
    part = _code(part)
    for code, value in ((family.code, n), *((f"{family.code}.{flag}", int(v or 0))
                                            for flag, v in zip(family.flags, flags))):
        figures.counts[code] += value
        if part is not None:
            figures.parts[code][part] += value


def count_family(family: Family, w: Window, *, by_day: bool = True) -> dict[int, Figures]:
    """One family's figures per team key, with one query: grouped by team and part (and
    day, for the trend) by the database, or — for a family with measures — its rows read
    and counted here."""
    result: dict[int, Figures] = defaultdict(Figures)
    rows = family.rows(w).subquery()
    if family.measures is not None:
        for row in db.session.execute(sa.select(rows)):
            figures = result[_team_key(row.team_id)]
            _add_counts(figures, family, row.part, 1, [getattr(row, flag) for flag in family.flags])
            for name, value in family.measures(row).items():
                if value is not None:
                    figures.measures[name].append(value)
        return result
    by_day = by_day and family.by_day
    keys = [rows.c.team_id, rows.c.part, *([sa.func.date(rows.c.on)] if by_day else [])]
    statement = sa.select(*keys, sa.func.count(), *(sa.func.sum(rows.c[flag]) for flag in family.flags)
                          ).group_by(*keys)
    for row in db.session.execute(statement):
        team_id, part, *rest = row
        figures = result[_team_key(team_id)]
        if by_day:
            day, *rest = rest
            figures.per_day[family.code][_as_date(day)] += rest[0]
        n, *flags = rest
        _add_counts(figures, family, part, n, flags)
    return result


def compute(w: Window, *, families: list[Family] | None = None, by_day: bool = True) -> dict[int, Figures]:
    """Every family's figures, per team key (``by_day``: also the per-day counts of the trend)."""
    result: dict[int, Figures] = defaultdict(Figures)
    for family in families if families is not None else FAMILIES.values():
        for key, figures in count_family(family, w, by_day=by_day).items():
            result[key].add(figures)
    return result


# --------------------------------------------------------------------------- stored figures


def store_enabled() -> bool:
    """Whether period figures are read from and kept in ``AgencyFigures`` (off in tests, which
    count live unless they turn it on)."""
    return bool(current_app.config.get("AGENCY_FIGURES_STORE", not current_app.testing))


def _dump(figures: dict[int, Figures]) -> dict[str, Any]:
    return {str(key): {"counts": dict(f.counts), "parts": {c: dict(p) for c, p in f.parts.items()},
                       "measures": {name: list(v) for name, v in f.measures.items()},
                       "per_day": {c: {d.isoformat(): n for d, n in days.items()} for c, days in f.per_day.items()}}
            for key, f in figures.items()}


def _load(stored: dict[str, Any]) -> dict[int, Figures]:
    result: dict[int, Figures] = defaultdict(Figures)
    for key, data in stored.items():
        figures = result[int(key)]
        for code, n in data["counts"].items():
            figures.counts[code] += n
        for code, parts in data["parts"].items():
            for part, n in parts.items():
                figures.parts[code][part] += n
        for name, values in data["measures"].items():
            figures.measures[name].extend(values)
        for code, days in data["per_day"].items():
            for day, n in days.items():
                figures.per_day[code][date.fromisoformat(day)] += n
    return result


def period_figures(w: Window, *, recompute: bool = False) -> tuple[dict[int, Figures], datetime | None]:
    """The figures of every family but today's situation, per team key, and when they were
    computed (None: just now). Stored figures are reused on the day they were computed (the
    module's freshness rule); otherwise they are counted, and stored when the store is on.
    ``recompute``: count and store them whatever is stored (the nightly refresh)."""
    families = [f for f in FAMILIES.values() if not f.snapshot]
    if not (store_enabled() or recompute):
        return compute(w, families=families), None
    day_start = _midnight_utc(w.today)
    found = None if recompute else db.session.execute(
        sa.select(AgencyFigures.figures, AgencyFigures.computed_at)
        .where(AgencyFigures.agency_id == w.agency_id, AgencyFigures.start_on == w.period.start_on,
               AgencyFigures.end_on == w.period.end_on, AgencyFigures.computed_at >= day_start)).first()
    if found is not None:
        return _load(found.figures), found.computed_at
    figures = compute(w, families=families)
    store_figures(w, figures, day_start=day_start)
    return figures, None


def store_figures(w: Window, figures: dict[int, Figures], *, day_start: datetime) -> None:
    """Keep ``figures`` for the window (replacing it, and the agency's figures of earlier days).
    A concurrent request that stored the same window first wins; these are dropped."""
    try:
        with db.session.begin_nested():
            db.session.execute(sa.delete(AgencyFigures).where(
                AgencyFigures.agency_id == w.agency_id,
                sa.or_(AgencyFigures.computed_at < day_start,
                       sa.and_(AgencyFigures.start_on == w.period.start_on, AgencyFigures.end_on == w.period.end_on))))
            db.session.add(AgencyFigures(agency_id=w.agency_id, start_on=w.period.start_on, end_on=w.period.end_on,
                                         figures=_dump(figures)))
    except IntegrityError:
        pass


def window(agency_id: int, period: Period, *, today: date) -> Window:
    version = latest_priority_version({})
    intervals = contact_intervals({agency_id})
    return Window(agency_id=agency_id, period=period, today=today,
                  intervals={m: intervals[(agency_id, m)] for m in Modality},
                  version_id=version.id if version is not None else None)


# --------------------------------------------------------------------------- the overview


@dataclass
class ScopeRow:
    """A line of the overview: a team, « sans équipe » (team None, key NO_TEAM) or the
    agency (key None)."""

    key: int | None
    team: Team | None
    current: Figures
    previous: Figures
    counselors: int = 0  # job-seeker counselors (active accounts), for the load

    @property
    def is_agency(self) -> bool:
        return self.key is None

    @property
    def kind(self) -> str | None:
        return self.team.kind if self.team is not None else None

    def delta(self, code: str) -> int:
        return self.current.n(code) - self.previous.n(code)

    def load(self, targets: dict[Modality, int]) -> int | None:
        """Σ over modalities of portfolio size / (target × counselors), in %."""
        if not self.counselors:
            return None
        return round(100 * sum(self.current.part("portfolio", m.value) / (targets[m] * self.counselors)
                               for m in Modality if targets[m]))


# The figures that make a line belong to the job-seekers' or the employers' table.
SECTION_CODES = {
    "job_seekers": ("portfolio", "registered", "reviews", "returns", "trainings", "referrals", "priority_rows"),
    "employers": ("open_offers", "offers_created", "offers_filled", "mer", "satisfaction"),
}


@dataclass
class AgencyOverview:
    agency: Agency
    period: Period
    comparison: Period
    comparison_code: str
    rows: list[ScopeRow]  # teams (then « sans équipe » when it has figures)
    total: ScopeRow
    targets: dict[Modality, int]
    channels: list[Channel]
    trend: list[tuple[date, int]] = field(default_factory=list)  # contacts per week (or month)
    trend_unit: str = "week"
    computed_at: datetime | None = None  # when the oldest period figures shown were computed (None: live)

    def rows_for(self, kind: str) -> list[ScopeRow]:
        """The teams of that kind (job-seeker or employer teams), and any other line with
        figures of that kind."""
        codes = SECTION_CODES[kind]
        return [r for r in self.rows
                if r.kind == kind or any(r.current.n(c) or r.previous.n(c) for c in codes)]

    def contacts_per_week(self, row: ScopeRow) -> float:
        return round(row.current.n("contacts") / self.period.weeks, 1)

    def row(self, key: int | None) -> ScopeRow | None:
        if key is None:
            return self.total
        return next((r for r in self.rows if r.key == key), None)


def agency_teams(agency_id: int) -> list[Team]:
    return list(db.session.scalars(sa.select(Team).where(Team.agency_id == agency_id).order_by(Team.name, Team.id)))


def _counselors_per_team(agency_id: int) -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(User.team_id, sa.func.count())
        .where(User.agency_id == agency_id, User.team_id.is_not(None), User.role.in_(COUNSELOR_ROLES),
               User.is_active_account.is_(True))
        .group_by(User.team_id)).all())


def trend(per_day: dict[date, int], period: Period) -> tuple[list[tuple[date, int]], str]:
    """Counts per day gathered per week (from Monday), or per month beyond 26 weeks."""
    unit = "month" if period.weeks > 26 else "week"

    def bucket(d: date) -> date:
        return d.replace(day=1) if unit == "month" else d - timedelta(days=d.weekday())

    buckets: dict[date, int] = {}
    d = bucket(period.start_on)
    while d <= period.end_on:
        buckets[d] = 0
        d = (d + timedelta(days=32)).replace(day=1) if unit == "month" else d + timedelta(days=7)
    for day, n in per_day.items():
        if bucket(day) in buckets:
            buckets[bucket(day)] += n
    return sorted(buckets.items()), unit


def agency_overview(agency: Agency, *, period: Period, comparison_code: str | None, today: date,
                    with_trend: bool = True) -> AgencyOverview:
    code, comparison = comparison_for(period, comparison_code)
    current_window = window(agency.id, period, today=today)
    previous_window = Window(agency_id=agency.id, period=comparison, today=today,
                             intervals=current_window.intervals, version_id=current_window.version_id)
    current, computed_at = period_figures(current_window)
    for key, figures in compute(current_window, families=[f for f in FAMILIES.values() if f.snapshot]).items():
        current[key].add(figures)
    previous, previous_at = period_figures(previous_window)
    counselors = _counselors_per_team(agency.id)
    rows = [ScopeRow(team.id, team, current.get(team.id, Figures()), previous.get(team.id, Figures()),
                     counselors.get(team.id, 0)) for team in agency_teams(agency.id)]
    known = {r.key for r in rows}
    # Rows whose person has no team, or whose team belongs to another agency (a counselor
    # who moved): counted under « sans équipe ».
    orphan_current, orphan_previous = Figures(), Figures()
    for key, figures in current.items():
        if key not in known:
            orphan_current.add(figures)
    for key, figures in previous.items():
        if key not in known:
            orphan_previous.add(figures)
    if not (orphan_current.is_empty and orphan_previous.is_empty):
        rows.append(ScopeRow(NO_TEAM, None, orphan_current, orphan_previous))
    total = ScopeRow(None, None, Figures(), Figures(), sum(r.counselors for r in rows))
    for r in rows:
        total.current.add(r.current)
        total.previous.add(r.previous)
    channels = [c for c in Channel if total.current.part("contacts", c.value) or total.previous.part("contacts", c.value)]
    trend_rows, unit = trend(total.current.per_day["contacts"], period) if with_trend else ([], "week")
    return AgencyOverview(agency=agency, period=period, comparison=comparison, comparison_code=code, rows=rows,
                          total=total, targets=portfolio_targets(agency.id), channels=channels, trend=trend_rows,
                          trend_unit=unit, computed_at=min((at for at in (computed_at, previous_at) if at), default=None))


# --------------------------------------------------------------------------- the drill-down


@dataclass(frozen=True)
class DetailRow:
    subject: str  # job_seeker, employer, offer
    subject_id: int
    name: str
    team_id: int | None
    on: date | datetime | None
    part: str | None
    detail: Any
    modality: Any = None
    last_contact_at: datetime | None = None


def people_behind(w: Window, indicator: Indicator, *, team_key: int | None, known_teams: set[int],
                  part: str | None = None, limit: int = DRILL_DOWN_LIMIT) -> tuple[list[DetailRow], int]:
    """The rows behind one figure (``team_key``: a team id, ``NO_TEAM`` or None for the
    agency; ``part``: a modality, channel… of it), at most ``limit``, and their number."""
    family = FAMILIES[indicator.family]
    rows = family.rows(w).subquery()
    where: list[Any] = []
    if indicator.flag:
        where.append(rows.c[indicator.flag] == 1)
    if team_key == NO_TEAM:
        where.append(sa.or_(rows.c.team_id.is_(None), rows.c.team_id.not_in(known_teams or [-1])))
    elif team_key is not None:
        where.append(rows.c.team_id == team_key)
    if part:
        where.append(rows.c.part == part)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(rows).where(*where)) or 0
    found = db.session.execute(sa.select(rows).where(*where)
                               .order_by(rows.c.on.desc(), rows.c.subject_id).limit(limit)).all()
    names = _names(found)
    return [_detail_row(r, names) for r in found], total


def _detail_row(r: Any, names: dict[tuple[str, int], tuple[str, Any, Any]]) -> DetailRow:
    name, modality, last_contact_at = names.get((r.subject, r.subject_id), ("—", None, None))
    return DetailRow(subject=r.subject, subject_id=r.subject_id, name=name, team_id=r.team_id, on=r.on,
                     part=_code(r.part), detail=r.detail, modality=modality, last_contact_at=last_contact_at)


def _names(rows: list[Any]) -> dict[tuple[str, int], tuple[str, Any, Any]]:
    """Names of the people, employers and offers listed, one query per kind."""
    ids: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        ids[r.subject].add(r.subject_id)
    names: dict[tuple[str, int], tuple[str, Any, Any]] = {}
    if ids["job_seeker"]:
        for p in db.session.execute(sa.select(JobSeeker.id, JobSeeker.first_name, JobSeeker.last_name,
                                              JobSeeker.modality, JobSeeker.last_contact_at)
                                    .where(JobSeeker.id.in_(ids["job_seeker"]))):
            names[("job_seeker", p.id)] = (f"{p.last_name} {p.first_name}", p.modality, p.last_contact_at)
    if ids["employer"]:
        for e in db.session.execute(sa.select(Employer.id, Employer.name).where(Employer.id.in_(ids["employer"]))):
            names[("employer", e.id)] = (e.name, None, None)
    if ids["offer"]:
        for o in db.session.execute(sa.select(JobOffer.id, JobOffer.title, Employer.name)
                                    .join(Employer, Employer.id == JobOffer.employer_id)
                                    .where(JobOffer.id.in_(ids["offer"]))):
            names[("offer", o.id)] = (f"{o.title} — {o.name}", None, None)
    return names

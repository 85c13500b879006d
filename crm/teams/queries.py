"""The team manager's overview: one row of indicators per counselor of the team, and the
people behind each figure.

Every indicator is computed by one function that returns, per counselor, the list of
``Entry`` rows behind it (a person, a date, a detail). The overview counts them; the
drill-down lists the same rows for one counselor, so a list always has exactly as many
rows as its figure. Each function runs a fixed number of queries whatever the number of
counselors (no N+1).

Definitions (the period is the last N days up to today, in the agency's time zone):

- ``portfolio``: people followed (status active) whose referent is the counselor, by
  modality (``part``), against the portfolio targets (agency override, else
  ``DEFAULT_PORTFOLIO_TARGETS``). The load is Σ size/target over the modalities.
- ``alerts``: people of the portfolio with at least one alert today
  (``crm.jobseekers.alerts.compute_alerts``); ``overdue``: those with the
  « pas de contact récent » alert.
- ``compliant``: people of the portfolio whose last meaningful contact is within their
  modality's contact interval today (``contact_intervals``); the rate is over the portfolio.
- ``contacts``: meaningful contacts (online activity excluded) the counselor logged with
  job seekers during the period, by channel (``part``).
- ``registered``: people of the counselor (any status) registered during the period;
  ``interview_on_time``: those whose entretien de situation was held within 30 days of
  registration (a meaningful interaction or a done appointment of that kind).
- ``reviews``: people of the counselor whose 6–9 month review was held during the period.
- ``proposals``: proposals the counselor made during the period, and among them
  ``accepted``, ``entered`` (entered or completed) and ``hired``.
- ``overrides``: the counselor's dismiss/snooze feedback on rows of the latest published
  job-seeker priority model; ``priority_rows``: the rows of that model's list that are theirs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from crm.config import DEFAULT_PORTFOLIO_TARGETS
from crm.db import in_ids
from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import (
    MEANINGFUL_OUTCOMES, ONLINE_KINDS, Appointment, AppointmentKind, AppointmentStatus, Channel, Feedback,
    FeedbackContext, Interaction, InteractionKind, Proposal, ProposalOutcome, ProposalResponse,
)
from crm.jobseekers.alerts import NO_RECENT_CONTACT, SITUATION_INTERVIEW_DEADLINE_DAYS, compute_alerts, contact_intervals
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.modelregistry.models import ModelKind, ModelStatus, ModelVersion, PriorityScore
from crm.organisation.models import AgencyModalitySetting, Role, User
from crm.priority.services import JOB_SEEKER_REASONS

# Periods offered by the filter: code → (label, days).
PERIODS: dict[str, tuple[Any, int]] = {
    "4w": (_l("4 dernières semaines"), 28),
    "13w": (_l("13 dernières semaines"), 91),
    "12m": (_l("12 derniers mois"), 365),
}
DEFAULT_PERIOD = "4w"
# The load (Σ size/target) counts as on target within ± this many points of 100 %.
TARGET_TOLERANCE_PCT = 10
# The roles whose portfolios the overview shows (job-seeker counselors).
COUNSELOR_ROLES = (Role.COUNSELOR,)


@dataclass(frozen=True)
class Period:
    code: str
    label: Any
    start_on: date
    end_on: date  # inclusive (today)
    start_utc: datetime
    end_utc: datetime  # exclusive

    @property
    def weeks(self) -> float:
        return ((self.end_on - self.start_on).days + 1) / 7


def _midnight_utc(day: date) -> datetime:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)


def period_for(code: str | None, *, today: date) -> Period:
    """The period ``code`` (unknown codes fall back to the default) ending today."""
    code = code if code in PERIODS else DEFAULT_PERIOD
    label, days = PERIODS[code]
    start_on = today - timedelta(days=days - 1)
    return Period(code=code, label=label, start_on=start_on, end_on=today, start_utc=_midnight_utc(start_on),
                  end_utc=_midnight_utc(today + timedelta(days=1)))


@dataclass(frozen=True)
class Entry:
    """One row behind a figure: a person, the relevant date, and a detail (code or text)."""

    job_seeker_id: int
    on: date | datetime | None = None
    part: str | None = None  # modality, channel… (a figure split in parts)
    detail: Any = None


Entries = dict[int, list[Entry]]  # counselor id → rows


@dataclass(frozen=True)
class Indicator:
    code: str
    label: Any
    date_label: Any
    compute: Callable[..., Entries]
    # Optional: counts per counselor and part computed by the database (same rows as ``compute``).
    count: Callable[..., dict[int, dict[str, int]]] | None = None


def team_counselors(team_id: int) -> list[User]:
    """The team's job-seeker counselors (active accounts), by name."""
    return list(db.session.scalars(
        sa.select(User).where(User.team_id == team_id, User.role.in_(COUNSELOR_ROLES), User.is_active_account)
        .order_by(User.last_name, User.first_name, User.id)))


def portfolio_targets(agency_id: int | None) -> dict[Modality, int]:
    """Target portfolio size per modality: the agency's override, else the configured default."""
    defaults = current_app.config.get("DEFAULT_PORTFOLIO_TARGETS", DEFAULT_PORTFOLIO_TARGETS)
    targets = {modality: defaults[modality.value] for modality in Modality}
    if agency_id is not None:
        rows = db.session.execute(
            sa.select(AgencyModalitySetting.modality, AgencyModalitySetting.portfolio_target)
            .where(AgencyModalitySetting.agency_id == agency_id, AgencyModalitySetting.portfolio_target.is_not(None)))
        for modality, target in rows:
            targets[modality] = target
    return targets


# --------------------------------------------------------------------------- indicators


def _no_index(column: Any) -> sa.ColumnElement:
    """``column``, wrapped so that no index on it alone is used: an index on a kind or a
    date spans every agency, and scanning it for a year costs as much as the whole
    database; the plan then starts from the team's or agency's people (whose indexes lead
    with the person or the referent), and its cost follows their number."""
    return sa.func.coalesce(column, column)


def _grouped(rows: Iterable[tuple[int, Entry]], counselor_ids: list[int]) -> Entries:
    result: Entries = {counselor_id: [] for counselor_id in counselor_ids}
    for counselor_id, entry in rows:
        result[counselor_id].append(entry)
    return result


def _portfolio_rows(counselor_ids: list[int]) -> list[Any]:
    return db.session.execute(
        sa.select(JobSeeker.id, JobSeeker.referent_id, JobSeeker.modality, JobSeeker.agency_id,
                  JobSeeker.last_contact_at, JobSeeker.registration_date)
        .where(JobSeeker.referent_id.in_(counselor_ids), JobSeeker.status == JobSeekerStatus.ACTIVE,
               JobSeeker.anonymised_at.is_(None))
        .order_by(JobSeeker.id)).all()


def _cached_portfolio(counselor_ids: list[int], cache: dict[str, Any]) -> list[Any]:
    if "portfolio" not in cache:
        cache["portfolio"] = _portfolio_rows(counselor_ids)
    return cache["portfolio"]


def portfolio(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    rows = _cached_portfolio(counselor_ids, cache)
    return _grouped(((r.referent_id, Entry(r.id, r.last_contact_at, r.modality.value)) for r in rows), counselor_ids)


def _alerts(counselor_ids: list[int], period: Period, cache: dict[str, Any]) -> tuple[list[Any], dict[int, list[Any]]]:
    rows = _cached_portfolio(counselor_ids, cache)
    if "alerts" not in cache:
        cache["alerts"] = compute_alerts([r.id for r in rows], on=period.end_on)
    return rows, cache["alerts"]


def alerts(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    rows, found = _alerts(counselor_ids, period, cache)
    return _grouped(((r.referent_id, Entry(r.id, min(a.since for a in found[r.id]), r.modality.value,
                                          [a.label for a in found[r.id]]))
                     for r in rows if found[r.id]), counselor_ids)


def overdue(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    rows, found = _alerts(counselor_ids, period, cache)
    result = []
    for r in rows:
        alert = next((a for a in found[r.id] if a.code == NO_RECENT_CONTACT.code), None)
        if alert is not None:
            result.append((r.referent_id, Entry(r.id, r.last_contact_at, r.modality.value,
                                                [_l("%(days)s jours sans contact",
                                                    days=alert.detail["days_without_contact"])])))
    return _grouped(result, counselor_ids)


def compliant(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    rows = _cached_portfolio(counselor_ids, cache)
    intervals = contact_intervals({r.agency_id for r in rows})
    return _grouped(((r.referent_id, Entry(r.id, r.last_contact_at, r.modality.value))
                     for r in rows if r.last_contact_at is not None
                     and (period.end_on - r.last_contact_at.date()).days <= intervals[(r.agency_id, r.modality)]),
                    counselor_ids)


def _contact_clause(counselor_ids: list[int], period: Period) -> list[Any]:
    return [Interaction.author_id.in_(counselor_ids), Interaction.job_seeker_id.is_not(None),
            Interaction.occurred_at >= period.start_utc, Interaction.occurred_at < period.end_utc,
            Interaction.kind.not_in(ONLINE_KINDS), Interaction.outcome.in_(MEANINGFUL_OUTCOMES)]


def contact_counts(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> dict[int, dict[str, int]]:
    """Contacts per counselor and channel, counted by the database (a year of a team's
    contacts is too many rows to fetch for a figure); the same rows as ``contacts``."""
    counts: dict[int, dict[str, int]] = {counselor_id: {} for counselor_id in counselor_ids}
    rows = db.session.execute(
        sa.select(Interaction.author_id, Interaction.channel, sa.func.count())
        .where(*_contact_clause(counselor_ids, period)).group_by(Interaction.author_id, Interaction.channel))
    for author_id, channel, n in rows:
        counts[author_id][channel.value] = n
    return counts


def contacts(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    rows = db.session.execute(
        sa.select(Interaction.author_id, Interaction.job_seeker_id, Interaction.occurred_at, Interaction.channel,
                  Interaction.kind)
        .where(*_contact_clause(counselor_ids, period))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()))
    return _grouped(((r.author_id, Entry(r.job_seeker_id, r.occurred_at, r.channel.value, [r.kind]))
                     for r in rows), counselor_ids)


def _registered_rows(counselor_ids: list[int], period: Period, cache: dict[str, Any]) -> list[Any]:
    if "registered" not in cache:
        cache["registered"] = db.session.execute(
            sa.select(JobSeeker.id, JobSeeker.referent_id, JobSeeker.registration_date, JobSeeker.modality)
            .where(JobSeeker.referent_id.in_(counselor_ids), JobSeeker.anonymised_at.is_(None),
                   _no_index(JobSeeker.registration_date) >= period.start_on,
                   _no_index(JobSeeker.registration_date) <= period.end_on)
            .order_by(JobSeeker.registration_date, JobSeeker.id)).all()
    return cache["registered"]


def registered(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    rows = _registered_rows(counselor_ids, period, cache)
    return _grouped(((r.referent_id, Entry(r.id, r.registration_date, r.modality.value)) for r in rows),
                    counselor_ids)


def _held(kind: InteractionKind, appointment_kind: AppointmentKind, ids: list[int], *,
          since: datetime | None = None, until: datetime | None = None) -> dict[int, list[datetime]]:
    """When each person of ``ids`` had an interview of this kind: a meaningful interaction or a
    done appointment."""
    held: dict[int, list[datetime]] = defaultdict(list)
    if not ids:
        return held
    # The dates only filter each person's rows (read through the person-and-kind indexes).
    occurred_at, scheduled_at = _no_index(Interaction.occurred_at), _no_index(Appointment.scheduled_at)
    bounds_i = [occurred_at >= since] if since else []
    bounds_i += [occurred_at < until] if until else []
    bounds_a = [scheduled_at >= since] if since else []
    bounds_a += [scheduled_at < until] if until else []

    rows = db.session.execute(
        sa.select(Interaction.job_seeker_id, Interaction.occurred_at)
        .where(in_ids(Interaction.job_seeker_id, ids), Interaction.kind == kind,
               Interaction.outcome.in_(MEANINGFUL_OUTCOMES), *bounds_i)
        .union_all(
            sa.select(Appointment.job_seeker_id, Appointment.scheduled_at)
            .where(in_ids(Appointment.job_seeker_id, ids), Appointment.kind == appointment_kind,
                   Appointment.status == AppointmentStatus.DONE, *bounds_a)))
    for job_seeker_id, at in rows:
        held[job_seeker_id].append(at)
    return held


def interview_on_time(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    rows = _registered_rows(counselor_ids, period, cache)
    # Held on the day of registration up to the deadline: within the period, or up to the deadline after it.
    held = _held(InteractionKind.SITUATION_INTERVIEW, AppointmentKind.SITUATION_INTERVIEW, [r.id for r in rows],
                 since=period.start_utc,
                 until=period.end_utc + timedelta(days=SITUATION_INTERVIEW_DEADLINE_DAYS + 1))
    result = []
    for r in rows:
        deadline = r.registration_date + timedelta(days=SITUATION_INTERVIEW_DEADLINE_DAYS)
        on_time = sorted(at for at in held.get(r.id, []) if r.registration_date <= at.date() <= deadline)
        if on_time:
            result.append((r.referent_id, Entry(r.id, on_time[0], r.modality.value)))
    return _grouped(result, counselor_ids)


def reviews(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    # Their ids as one array: the plan then reads each person's reviews through the person-and-kind
    # indexes (with a subquery, PostgreSQL scanned every appointment of the period).
    theirs = list(db.session.scalars(sa.select(JobSeeker.id).where(JobSeeker.referent_id.in_(counselor_ids),
                                                                   JobSeeker.anonymised_at.is_(None))))
    held = _held(InteractionKind.REVIEW_6_9, AppointmentKind.REVIEW_6_9, theirs, since=period.start_utc,
                 until=period.end_utc)
    if not held:
        return _grouped((), counselor_ids)
    referents = dict(db.session.execute(
        sa.select(JobSeeker.id, JobSeeker.referent_id).where(in_ids(JobSeeker.id, sorted(held)))).all())
    return _grouped(((referents[job_seeker_id], Entry(job_seeker_id, min(dates)))
                     for job_seeker_id, dates in sorted(held.items())), counselor_ids)


def _proposal_rows(counselor_ids: list[int], period: Period, cache: dict[str, Any]) -> list[Any]:
    if "proposals" not in cache:
        cache["proposals"] = db.session.execute(
            sa.select(Proposal.author_id, Proposal.job_seeker_id, Proposal.proposed_at, Proposal.item_kind,
                      Proposal.response, Proposal.outcome)
            .where(Proposal.author_id.in_(counselor_ids), Proposal.proposed_at >= period.start_utc,
                   Proposal.proposed_at < period.end_utc)
            .order_by(Proposal.proposed_at.desc(), Proposal.id.desc())).all()
    return cache["proposals"]


ENTERED = (ProposalOutcome.ENTERED, ProposalOutcome.COMPLETED)


def _proposals(keep: Callable[[Any], bool]) -> Callable[..., Entries]:
    def compute(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
        rows = _proposal_rows(counselor_ids, period, cache)
        return _grouped(((r.author_id, Entry(r.job_seeker_id, r.proposed_at, r.item_kind.value,
                                             [r.item_kind, r.response, r.outcome]))
                         for r in rows if keep(r)), counselor_ids)
    return compute


proposals = _proposals(lambda r: True)
proposals_accepted = _proposals(lambda r: r.response == ProposalResponse.ACCEPTED)
proposals_entered = _proposals(lambda r: r.outcome in ENTERED)
proposals_hired = _proposals(lambda r: r.outcome == ProposalOutcome.HIRED)


def _proposal_count(code: str) -> Callable[..., dict[int, dict[str, int]]]:
    """Proposals per counselor and item kind, counted by the database in one grouped query
    shared by the four proposal figures (a year of a team's proposals is too many rows to
    fetch for a figure); the same rows as ``proposals``, ``proposals_accepted``…"""
    def count(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> dict[int, dict[str, int]]:
        if "proposal_counts" not in cache:
            found: dict[str, dict[int, dict[str, int]]] = {
                c: {counselor_id: {} for counselor_id in counselor_ids}
                for c in ("proposals", "proposals_accepted", "proposals_entered", "proposals_hired")}
            flags = (sa.case((Proposal.response == ProposalResponse.ACCEPTED, 1), else_=0),
                     sa.case((Proposal.outcome.in_(ENTERED), 1), else_=0),
                     sa.case((Proposal.outcome == ProposalOutcome.HIRED, 1), else_=0))
            rows = db.session.execute(
                sa.select(Proposal.author_id, Proposal.item_kind, sa.func.count(), *(sa.func.sum(f) for f in flags))
                .where(Proposal.author_id.in_(counselor_ids), Proposal.proposed_at >= period.start_utc,
                       Proposal.proposed_at < period.end_utc)
                .group_by(Proposal.author_id, Proposal.item_kind))
            for author_id, kind, n, accepted, entered, hired in rows:
                for c, value in (("proposals", n), ("proposals_accepted", accepted), ("proposals_entered", entered),
                                 ("proposals_hired", hired)):
                    if value:
                        found[c][author_id][kind.value] = int(value)
            cache["proposal_counts"] = found
        return cache["proposal_counts"][code]
    return count


def latest_priority_version(cache: dict[str, Any]) -> ModelVersion | None:
    if "version" not in cache:
        cache["version"] = db.session.scalars(
            sa.select(ModelVersion)
            .where(ModelVersion.kind == ModelKind.JOB_SEEKER_PRIORITY, ModelVersion.status == ModelStatus.PUBLISHED)
            .order_by(sa.func.coalesce(ModelVersion.published_at, ModelVersion.trained_at).desc(),
                      ModelVersion.id.desc())
            .limit(1)).first()
    return cache["version"]


def overrides(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    version = latest_priority_version(cache)
    if version is None:
        return _grouped((), counselor_ids)
    rows = db.session.execute(
        sa.select(Feedback.user_id, Feedback.job_seeker_id, Feedback.at, Feedback.action, Feedback.reason)
        .where(Feedback.user_id.in_(counselor_ids), Feedback.context == FeedbackContext.PRIORITY_LIST,
               Feedback.job_seeker_id.is_not(None), Feedback.model_version_id == version.id)
        .order_by(Feedback.at.desc(), Feedback.id.desc()))
    reasons = JOB_SEEKER_REASONS
    return _grouped(((r.user_id, Entry(r.job_seeker_id, r.at, r.action.value,
                                       [r.action, reasons.get(r.reason, r.reason)]))
                     for r in rows), counselor_ids)


def priority_rows(counselor_ids: list[int], *, period: Period, cache: dict[str, Any]) -> Entries:
    version = latest_priority_version(cache)
    if version is None:
        return _grouped((), counselor_ids)
    rows = db.session.execute(
        sa.select(PriorityScore.counselor_id, PriorityScore.job_seeker_id, PriorityScore.scored_on,
                  PriorityScore.rank)
        .where(PriorityScore.model_version_id == version.id, PriorityScore.counselor_id.in_(counselor_ids),
               PriorityScore.job_seeker_id.is_not(None))
        .order_by(PriorityScore.rank, PriorityScore.id))
    return _grouped(((r.counselor_id, Entry(r.job_seeker_id, r.scored_on, None, [r.rank])) for r in rows),
                    counselor_ids)


INDICATORS: dict[str, Indicator] = {i.code: i for i in (
    Indicator("portfolio", _l("Portefeuille"), _l("Dernier contact"), portfolio),
    Indicator("alerts", _l("Personnes avec alerte"), _l("Alerte depuis le"), alerts),
    Indicator("overdue", _l("Contacts en retard"), _l("Dernier contact"), overdue),
    Indicator("compliant", _l("Contactées dans le délai"), _l("Dernier contact"), compliant),
    Indicator("contacts", _l("Contacts"), _l("Date du contact"), contacts, contact_counts),
    Indicator("registered", _l("Inscrites sur la période"), _l("Inscription"), registered),
    Indicator("interview_on_time", _l("Entretien de situation dans les 30 jours"), _l("Entretien le"),
              interview_on_time),
    Indicator("reviews", _l("Points des 6-9 mois réalisés"), _l("Point le"), reviews),
    Indicator("proposals", _l("Propositions"), _l("Proposée le"), proposals, _proposal_count("proposals")),
    Indicator("proposals_accepted", _l("Propositions acceptées"), _l("Proposée le"), proposals_accepted,
              _proposal_count("proposals_accepted")),
    Indicator("proposals_entered", _l("Entrées en action"), _l("Proposée le"), proposals_entered,
              _proposal_count("proposals_entered")),
    Indicator("proposals_hired", _l("Embauches"), _l("Proposée le"), proposals_hired,
              _proposal_count("proposals_hired")),
    Indicator("overrides", _l("Priorités écartées ou reportées"), _l("Le"), overrides),
    Indicator("priority_rows", _l("Lignes de la liste de priorités"), _l("Calculée le"), priority_rows),
)}


# --------------------------------------------------------------------------- the overview


def rate(part: int, whole: int) -> int | None:
    """A percentage rounded to the unit, or None when there is nothing to divide by."""
    return round(100 * part / whole) if whole else None


@dataclass
class CounselorRow:
    counselor: User | None  # None: the team's totals
    counts: dict[str, int]
    by_part: dict[str, dict[str, int]]  # indicator → part → count (portfolio by modality, contacts by channel)
    targets: dict[Modality, int]

    def modality_count(self, modality: Modality) -> int:
        return self.by_part["portfolio"].get(modality.value, 0)

    def target(self, modality: Modality) -> int:
        return self.targets[modality]

    def above(self, modality: Modality) -> bool:
        return self.modality_count(modality) > self.target(modality)

    @property
    def load(self) -> int:
        """Σ size/target over the modalities, in % (100 = a full portfolio)."""
        return round(100 * sum(self.modality_count(m) / self.targets[m] for m in Modality if self.targets[m]))

    @property
    def load_flag(self) -> str:
        if self.load > 100 + TARGET_TOLERANCE_PCT:
            return "above"
        if self.load < 100 - TARGET_TOLERANCE_PCT:
            return "below"
        return "on_target"

    @property
    def compliance_rate(self) -> int | None:
        return rate(self.counts["compliant"], self.counts["portfolio"])

    @property
    def interview_rate(self) -> int | None:
        return rate(self.counts["interview_on_time"], self.counts["registered"])

    @property
    def override_rate(self) -> int | None:
        return rate(self.counts["overrides"], self.counts["priority_rows"])


@dataclass
class TeamOverview:
    period: Period
    rows: list[CounselorRow]
    total: CounselorRow
    channels: list[Channel]  # channels with at least one contact in the team (the columns shown)
    targets: dict[Modality, int]
    version: ModelVersion | None
    team_size: int = field(default=0)

    def contacts_per_week(self, row: CounselorRow) -> float:
        return round(row.counts["contacts"] / self.period.weeks, 1)


def team_overview(counselors: list[User], *, agency_id: int | None, period: Period) -> TeamOverview:
    ids = [c.id for c in counselors]
    targets = portfolio_targets(agency_id)
    cache: dict[str, Any] = {}
    # Per indicator: counselor id → part → count (part None when the figure is not split).
    computed: dict[str, dict[int, dict[str | None, int]]] = {}
    for code, indicator in INDICATORS.items():
        if not ids:
            computed[code] = {}
        elif indicator.count is not None:
            computed[code] = indicator.count(ids, period=period, cache=cache)
        else:
            computed[code] = {}
            for counselor_id, entries in indicator.compute(ids, period=period, cache=cache).items():
                parts: dict[str | None, int] = defaultdict(int)
                for entry in entries:
                    parts[entry.part] += 1
                computed[code][counselor_id] = parts
    rows = []
    for counselor in counselors:
        counts = {code: sum(parts[counselor.id].values()) for code, parts in computed.items()}
        by_part = {code: {part: n for part, n in computed[code][counselor.id].items() if part is not None}
                   for code in ("portfolio", "contacts")}
        rows.append(CounselorRow(counselor, counts, by_part, targets))
    total_counts = {code: sum(r.counts[code] for r in rows) for code in INDICATORS}
    total_parts: dict[str, dict[str, int]] = {"portfolio": defaultdict(int), "contacts": defaultdict(int)}
    for row in rows:
        for code, parts in row.by_part.items():
            for part, n in parts.items():
                total_parts[code][part] += n
    # The team's target is the sum of its counselors' targets.
    total_targets = {m: targets[m] * len(rows) for m in Modality}
    total = CounselorRow(None, total_counts, total_parts, total_targets)
    channels = [c for c in Channel if total_parts["contacts"].get(c.value)]
    return TeamOverview(period=period, rows=rows, total=total, channels=channels, targets=targets,
                        version=cache.get("version"), team_size=len(rows))


# --------------------------------------------------------------------------- the drill-down


@dataclass(frozen=True)
class DetailRow:
    job_seeker: Any  # id, first_name, last_name, modality, last_contact_at
    entry: Entry


def people_behind(counselor: User, indicator: Indicator, *, period: Period, part: str | None = None) -> list[DetailRow]:
    """The rows behind one counselor's figure (``part``: one modality or channel of it)."""
    entries = indicator.compute([counselor.id], period=period, cache={})[counselor.id]
    if part:
        entries = [e for e in entries if e.part == part]
    ids = {e.job_seeker_id for e in entries}
    people = {}
    if ids:
        people = {p.id: p for p in db.session.execute(
            sa.select(JobSeeker.id, JobSeeker.first_name, JobSeeker.last_name, JobSeeker.modality,
                      JobSeeker.last_contact_at, JobSeeker.anonymised_at)
            .where(JobSeeker.id.in_(ids)))}
    return [DetailRow(people[e.job_seeker_id], e) for e in entries if e.job_seeker_id in people]

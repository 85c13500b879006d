"""« À contacter en priorité »: a counselor's portfolio ranked by the latest published scores.

Whose list: the people a counselor follows (a job seeker's referent, an employer's
dedicated counselor), in the counselor's agency, still registered. Their order comes
from the ``PriorityScore`` rows of the latest **published** model version of the kind
(candidate, retired or rejected versions are never read); a person without a row in
that version (registered since the scoring) comes after the ranked ones.

What the counselor did with the list changes it:
- someone dismissed (« écarté ») is hidden until the next scoring (a ``scored_on``
  later than the day of the dismissal); snoozed (« reporté »), until the chosen date;
- someone contacted since the scoring day is listed apart, at the bottom, not lost.

No published scores: the portfolio by longest without a contact, with the file's
alerts as reasons (``crm.jobseekers.alerts``), so the page is useful on day one.

A whole portfolio is read at once (a ``suivi`` portfolio is 350 people at most): a
fixed handful of queries (version, people with their score, feedback; the alerts in
bulk for the fallback), whatever the number of people. Filters and sections are then
applied in Python, and the page shows the first ``limit`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import load_only
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.employers.models import Employer
from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import Feedback, FeedbackAction, FeedbackContext
from crm.jobseekers.alerts import compute_alerts
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.modelregistry.models import ModelKind, ModelStatus, ModelVersion, PriorityScore
from crm.offers.models import JobOffer
from crm.offers.services import SHARE_AFTER_DAYS, to_share_clause
from crm.organisation.models import User
from crm.priority.reasons import ReasonView, alert_reasons, has_urgent, stored_reasons

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
# A scoring older than this is probably a nightly run that did not happen: the page says so.
STALE_AFTER_DAYS = 3

JOB_SEEKERS = "job_seeker"
EMPLOYERS = "employer"
KINDS = {JOB_SEEKERS: ModelKind.JOB_SEEKER_PRIORITY, EMPLOYERS: ModelKind.EMPLOYER_PRIORITY}


@dataclass(frozen=True)
class PriorityFilters:
    modality: Modality | None = None  # job seekers only
    urgent_only: bool = False
    limit: int = DEFAULT_LIMIT


@dataclass
class PriorityEntry:
    """One person of the list (a job seeker or an employer) with their score and reasons.

    The reasons of a scored row are rendered only when shown (``reasons``): a whole
    portfolio is read, a page of it displayed."""

    party: str
    obj: Any  # JobSeeker or Employer
    score: PriorityScore | None
    computed_reasons: list[ReasonView] | None = None  # the fallback's (alerts), or once rendered
    contacted_since: bool = False  # a meaningful contact since the scoring day
    feedback: Feedback | None = None  # the dismissal or snooze that hides the row

    @property
    def reasons(self) -> list[ReasonView]:
        if self.computed_reasons is None:
            if self.score is None:  # the fallback's alerts come from ``PriorityList.prepare``
                return []
            self.computed_reasons = stored_reasons(self.score.reasons)
        return self.computed_reasons

    @property
    def id(self) -> int:
        return self.obj.id

    @property
    def name(self) -> str:
        if self.party == EMPLOYERS:
            return self.obj.name
        return f"{self.obj.last_name} {self.obj.first_name}"

    @property
    def rank(self) -> int | None:
        return None if self.score is None else self.score.rank

    @property
    def exploration(self) -> bool:
        return self.score is not None and bool(self.score.exploration)

    @property
    def urgent(self) -> bool:
        if self.computed_reasons is None:
            return self.score is not None and has_urgent(self.score.reasons)
        return any(reason.urgent for reason in self.computed_reasons)

    @property
    def last_contact_at(self) -> datetime | None:
        return self.obj.last_contact_at


@dataclass
class PriorityList:
    party: str
    owner: User
    version: ModelVersion | None  # None: no published scores, the fallback order
    entries: list[PriorityEntry]  # to contact, in order (filters applied)
    contacted: list[PriorityEntry]  # contacted since the scoring day
    hidden: list[PriorityEntry]  # dismissed or snoozed
    filters: PriorityFilters
    scored_on: date | None = None
    today: date | None = None

    @property
    def fallback(self) -> bool:
        return self.version is None

    @property
    def shown(self) -> list[PriorityEntry]:
        shown = self.entries[:self.filters.limit]
        self.prepare(shown)
        return shown

    def prepare(self, entries: list[PriorityEntry]) -> list[PriorityEntry]:
        """Compute, in bulk, the reasons of these rows when they are the file's alerts
        (the fallback list): only for the rows shown, not the whole portfolio."""
        missing = [e for e in entries if e.computed_reasons is None and e.score is None]
        if missing and self.fallback and self.party == JOB_SEEKERS:
            alerts = compute_alerts([e.id for e in missing], on=self.today)
            for entry in missing:
                entry.computed_reasons = alert_reasons(alerts.get(entry.id, []))
        return entries

    @property
    def has_more(self) -> bool:
        return len(self.entries) > self.filters.limit

    @property
    def stale(self) -> bool:
        return (self.scored_on is not None and self.today is not None
                and (self.today - self.scored_on).days > STALE_AFTER_DAYS)

    def ordered(self) -> list[PriorityEntry]:
        """Everyone listed, as the page shows them: to contact first, then contacted (the API's order)."""
        return [*self.entries, *self.contacted]


# --------------------------------------------------------------------------- building blocks


def published_version(party: str) -> ModelVersion | None:
    """The latest published model version for this list, if any."""
    return db.session.scalars(
        sa.select(ModelVersion)
        .where(ModelVersion.kind == KINDS[party], ModelVersion.status == ModelStatus.PUBLISHED)
        .order_by(sa.func.coalesce(ModelVersion.published_at, ModelVersion.trained_at).desc(),
                  ModelVersion.id.desc())
        .limit(1)).first()


def current_score(party: str, object_id: int) -> PriorityScore | None:
    """The person's row in the latest published scoring, if any (its version goes with the feedback)."""
    version = published_version(party)
    if version is None:
        return None
    column = _score_column(party)
    return db.session.scalars(sa.select(PriorityScore).where(
        PriorityScore.model_version_id == version.id, column == object_id)).first()


def day_start_utc(day: date) -> datetime:
    """Midnight of ``day`` in the agency's time zone, as stored (naive UTC)."""
    return _midnight_utc(day, current_app.config["BABEL_DEFAULT_TIMEZONE"])


@lru_cache(maxsize=256)
def _midnight_utc(day: date, zone: str) -> datetime:  # asked once per row: every row shares a few days
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc).replace(tzinfo=None)


def portfolio_clause(party: str, owner: User) -> sa.ColumnElement[bool]:
    """The people whose list this is: the counselor's own, in their agency, still followed."""
    if owner.agency_id is None:
        return sa.false()
    if party == EMPLOYERS:
        return sa.and_(Employer.counselor_id == owner.id, Employer.agency_id == owner.agency_id)
    return sa.and_(JobSeeker.referent_id == owner.id, JobSeeker.agency_id == owner.agency_id,
                   JobSeeker.status == JobSeekerStatus.ACTIVE, JobSeeker.anonymised_at.is_(None))


def _model(party: str) -> Any:
    return Employer if party == EMPLOYERS else JobSeeker


def _score_column(party: str) -> Any:
    return PriorityScore.employer_id if party == EMPLOYERS else PriorityScore.job_seeker_id


def _feedback_column(party: str) -> Any:
    return Feedback.employer_id if party == EMPLOYERS else Feedback.job_seeker_id


# The columns a row shows (and the API returns): a whole portfolio is read at once.
SHOWN_COLUMNS = {
    JOB_SEEKERS: (JobSeeker.id, JobSeeker.external_id, JobSeeker.first_name, JobSeeker.last_name, JobSeeker.modality,
                  JobSeeker.last_contact_at, JobSeeker.referent_id, JobSeeker.agency_id),
    EMPLOYERS: (Employer.id, Employer.external_id, Employer.siret, Employer.name, Employer.segment, Employer.naf_code,
                Employer.last_contact_at, Employer.counselor_id, Employer.agency_id),
}


def _load(party: str, owner: User, version: ModelVersion | None, filters: PriorityFilters,
          only_id: int | None) -> list[tuple[Any, PriorityScore | None]]:
    model = _model(party)
    columns = load_only(*SHOWN_COLUMNS[party])
    where = [portfolio_clause(party, owner)]
    if party == JOB_SEEKERS and filters.modality is not None:
        where.append(JobSeeker.modality == filters.modality)
    if only_id is not None:
        where.append(model.id == only_id)
    if version is None:
        return [(obj, None) for obj in db.session.scalars(sa.select(model).where(*where).options(columns))]
    joined = sa.and_(_score_column(party) == model.id, PriorityScore.model_version_id == version.id)
    return [(obj, score) for obj, score in db.session.execute(
        sa.select(model, PriorityScore).outerjoin(PriorityScore, joined).where(*where).options(columns))]


def active_feedback(party: str, owner: User, *, today: date, only_id: int | None = None) -> dict[int, list[Feedback]]:
    """The owner's dismissals and running snoozes on their list, per person (whether a
    dismissal still applies depends on each row's scoring day: see ``_hiding``)."""
    column = _feedback_column(party)
    model = _model(party)
    people = sa.select(model.id).where(portfolio_clause(party, owner))
    if only_id is not None:
        people = people.where(model.id == only_id)
    rows = db.session.scalars(
        sa.select(Feedback)
        .where(Feedback.user_id == owner.id, Feedback.context == FeedbackContext.PRIORITY_LIST,
               column.in_(people),
               sa.or_(Feedback.action == FeedbackAction.DISMISS,
                      sa.and_(Feedback.action == FeedbackAction.SNOOZE, Feedback.snoozed_until > today)))
        .order_by(Feedback.at.desc(), Feedback.id.desc()))
    found: dict[int, list[Feedback]] = {}
    for feedback in rows:
        found.setdefault(getattr(feedback, column.key), []).append(feedback)
    return found


def _hiding(feedbacks: list[Feedback], score: PriorityScore | None, *, today: date) -> Feedback | None:
    """The feedback that hides a row: a snooze until a later day, or a dismissal made on
    or after the row's scoring day (a newer scoring brings the person back). Without a
    score (fallback list, or a person scored since), a dismissal holds until one comes."""
    since = day_start_utc(score.scored_on) if score is not None else None
    for feedback in feedbacks:  # newest first
        if feedback.action == FeedbackAction.SNOOZE and feedback.snoozed_until and feedback.snoozed_until > today:
            return feedback
        if feedback.action == FeedbackAction.DISMISS and (since is None or feedback.at >= since):
            return feedback
    return None


def _employer_fallback_reasons(ids: list[int], objs: dict[int, Employer], *, today: date,
                               now: datetime) -> dict[int, list[ReasonView]]:
    ageing: dict[int, int] = {}
    if ids:
        ageing = dict(db.session.execute(
            sa.select(JobOffer.employer_id, sa.func.count())
            .where(JobOffer.employer_id.in_(ids), to_share_clause(today=today))
            .group_by(JobOffer.employer_id)).all())
    result: dict[int, list[ReasonView]] = {}
    for employer_id in ids:
        reasons = []
        if ageing.get(employer_id):
            count = ageing[employer_id]
            reasons.append(ReasonView("ageing_offers", ngettext(
                "%(num)d offre ouverte depuis plus de %(days)d jours",
                "%(num)d offres ouvertes depuis plus de %(days)d jours", count, days=SHARE_AFTER_DAYS), urgent=True))
        last = objs[employer_id].last_contact_at
        if last is None:
            reasons.append(ReasonView("employer_never_contacted", _("Aucun contact enregistré avec cet employeur")))
        else:
            days = (now - last).days
            reasons.append(ReasonView("employer_no_contact", ngettext(
                "Aucun contact depuis %(num)d jour", "Aucun contact depuis %(num)d jours", days)))
        result[employer_id] = reasons
    return result


def _fallback_key(entry: PriorityEntry) -> tuple[Any, ...]:
    # Never contacted first, then the longest without a contact; ties by name.
    last = entry.last_contact_at
    return (last is not None, last or datetime.min, entry.name.lower(), entry.id)


def _ranked_key(entry: PriorityEntry) -> tuple[Any, ...]:
    score = entry.score
    if score is None:  # not in the scoring (registered since): after the ranked rows
        return (2, 0, 0.0, *_fallback_key(entry))
    return (0 if score.rank is not None else 1, score.rank or 0, -(score.score or 0.0), entry.name.lower(), entry.id)


# --------------------------------------------------------------------------- the list


def priority_list(party: str, owner: User, *, filters: PriorityFilters, today: date, now: datetime,
                  only_id: int | None = None) -> PriorityList:
    """``owner``'s list (``party``: ``JOB_SEEKERS`` or ``EMPLOYERS``); ``only_id``
    narrows it to one person (to re-render a row after an action)."""
    version = published_version(party)
    pairs = _load(party, owner, version, filters, only_id)
    objs = {obj.id: obj for obj, _score in pairs}
    ids = sorted(objs)
    reasons: dict[int, list[ReasonView]] = {}  # scored rows: rendered when shown
    if version is None and party == EMPLOYERS:
        reasons = _employer_fallback_reasons(ids, objs, today=today, now=now)
    elif version is None and filters.urgent_only and ids:  # the alerts decide who is listed: all of them now
        alerts = compute_alerts(ids, on=today)
        reasons = {i: alert_reasons(alerts.get(i, [])) for i in ids}
    # (otherwise the fallback's alerts are computed for the rows shown: ``PriorityList.prepare``)
    feedback = active_feedback(party, owner, today=today, only_id=only_id) if ids else {}

    entries, contacted, hidden = [], [], []
    for obj, score in pairs:
        entry = PriorityEntry(party=party, obj=obj, score=score, computed_reasons=reasons.get(obj.id))
        entry.feedback = _hiding(feedback.get(obj.id, []), score, today=today)
        if entry.feedback is not None:
            hidden.append(entry)
            continue
        if filters.urgent_only and not entry.urgent:
            continue
        last = obj.last_contact_at
        if score is not None and last is not None and last >= day_start_utc(score.scored_on):
            entry.contacted_since = True
            contacted.append(entry)
        else:
            entries.append(entry)
    key = _fallback_key if version is None else _ranked_key
    entries.sort(key=key)
    contacted.sort(key=key)
    hidden.sort(key=lambda e: e.name.lower())
    scored_days = [score.scored_on for _obj, score in pairs if score is not None]
    scored_on = max(scored_days) if scored_days else (version.as_of if version is not None else None)
    return PriorityList(party=party, owner=owner, version=version, entries=entries, contacted=contacted,
                        hidden=hidden, filters=filters, scored_on=scored_on, today=today)

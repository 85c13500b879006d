"""The adapter: builds the recommender's DataFrames (``recommender/schema.py``) from the database.

Everything is computed **as of a day D**: a feature reads only rows dated strictly before D
(interactions, appointments, proposals, applications, referrals, outcome episodes, offers,
benefit rights and barriers by their dates). Labels (``labels=True``) look at [D, D + 183
days) and the treatment at [D, D + 30 days); they exist only for training and evaluation.

Limits, documented: the profile columns that have no history in the database (modality,
education, experience, digital autonomy, mobility, targets, RSA) are read at their current
value; the referent is the current one.

Each source table is read with one aggregate query per frame (grouped by person), so the
cost does not depend on how many people are scored one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.employers.models import Employer
from crm.interactions.models import (
    MEANINGFUL_OUTCOMES, Appointment, AppointmentKind, AppointmentStatus, Channel, Direction, Interaction,
    InteractionKind, InteractionOrigin, Proposal, ProposalOutcome, ProposalResponse, Referral, ReferralStatus,
)
from crm.enums import ItemKind, Modality
from crm.jobseekers.alerts import add_months, contact_intervals
from crm.jobseekers.models import Barrier, BenefitRight, JobSeeker, JobSeekerTarget
from crm.offers.models import Application, JobOffer, OfferStatus
from crm.organisation.models import User
from crm.outcomes.models import OutcomeEpisode, OutcomeKind
from crm.referentials.models import Commune, LabourShortage, NafCode, OccupationSectorHires, SizeBand
from recommender import schema as S

EDUCATION_RANKS = {"none": 0, "cap_bep": 1, "bac": 2, "bac_2": 3, "bac_3": 4, "bac_5": 5}
DIGITAL_RANKS = {"none": 0, "partial": 1, "autonomous": 2}
NEW_OFFERS_DAYS = 14
# The kinds of a counselor's follow-up contact. Only these decide whether a person was in
# the randomisation's reach: interactions that follow from a contact (a workshop attended, a
# mise en relation) would select the treated on what the contact caused.
FOLLOW_UP_KINDS = (InteractionKind.FOLLOW_UP, InteractionKind.REVIEW_6_9, InteractionKind.JOB_SEARCH_ADVICE,
                   InteractionKind.PROPOSAL)
MISSED_APPOINTMENT_MEMORY_DAYS = 180  # older missed appointments are not read at all


def midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _frame(session: Session, statement: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(statement).all(), columns=columns)


def _days_before(day: date, moments: pd.Series) -> pd.Series:
    """Whole days from each moment (date or datetime, or missing) to ``day``."""
    stamps = pd.to_datetime(moments)
    return (pd.Timestamp(day) - stamps.dt.normalize()).dt.days.astype(float)


def _merge(frame: pd.DataFrame, other: pd.DataFrame, key: str, fill: dict[str, Any]) -> pd.DataFrame:
    merged = frame.merge(other, on=key, how="left")
    return merged.fillna({column: value for column, value in fill.items() if column in merged})


def _is_contact() -> Any:
    """A meaningful counselor-initiated or inbound contact, online activity excluded (as on the file)."""
    return sa.and_(Interaction.outcome.in_(MEANINGFUL_OUTCOMES), Interaction.channel != Channel.ONLINE,
                   sa.or_(Interaction.author_id.is_not(None), Interaction.direction == Direction.INBOUND))


def _age_band(birth: pd.Series, day: date) -> pd.Series:
    births = pd.to_datetime(birth)
    age = day.year - births.dt.year - ((births.dt.month > day.month)
                                       | ((births.dt.month == day.month) & (births.dt.day > day.day))).astype(int)
    return pd.Series(np.select([age < 26, age >= 50], ["<26", "50+"], "26-49"), index=birth.index)


# --------------------------------------------------------------------------- job seekers
def job_seeker_frame(session: Session, as_of: date, *, labels: bool = False,
                     ids: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per job seeker registered before ``as_of`` and not exited before it."""
    people = _frame(session, sa.select(
        JobSeeker.id, JobSeeker.external_id, JobSeeker.referent_id, User.external_id, JobSeeker.agency_id,
        JobSeeker.gender, JobSeeker.birth_date, JobSeeker.nationality, JobSeeker.rqth, JobSeeker.qpv,
        JobSeeker.modality, JobSeeker.education_level, JobSeeker.experience_months, JobSeeker.digital_autonomy,
        JobSeeker.rsa, JobSeeker.mobility_km, JobSeeker.registration_date, JobSeeker.commune_insee)
        .outerjoin(User, User.id == JobSeeker.referent_id)
        .where(JobSeeker.registration_date < as_of, JobSeeker.anonymised_at.is_(None),
               sa.or_(JobSeeker.exit_date.is_(None), JobSeeker.exit_date >= as_of),
               *([JobSeeker.id.in_(list(ids))] if ids is not None else []))
        .order_by(JobSeeker.id),
        [S.JOB_SEEKER_ID, S.EXTERNAL_ID, S.COUNSELOR_ID, S.COUNSELOR_EXTERNAL_ID, "agency_id", S.GENDER,
         "birth_date", S.NATIONALITY_GROUP, S.DISABILITY, S.QPV, S.MODALITY, "education_level",
         S.EXPERIENCE_MONTHS, "digital_autonomy", S.RSA, S.MOBILITY_KM, "registration_date", "commune_insee"])
    for column in (S.GENDER, S.NATIONALITY_GROUP, S.MODALITY, "education_level", "digital_autonomy"):
        people[column] = people[column].map(lambda value: getattr(value, "value", value))
    frame = people.assign(**{
        S.AS_OF: pd.Timestamp(as_of),
        S.AGE_BAND: _age_band(people["birth_date"], as_of),
        S.EDUCATION_RANK: people["education_level"].map(EDUCATION_RANKS).astype(float),
        S.DIGITAL_AUTONOMY_RANK: people["digital_autonomy"].map(DIGITAL_RANKS).astype(float),
        S.MONTHS_REGISTERED: _days_before(as_of, people["registration_date"]) / 30.44,
        S.DISABILITY: people[S.DISABILITY].astype(int),
        S.QPV: people[S.QPV].astype(int),
        S.RSA: people[S.RSA].astype(int),
        S.MOBILITY_KM: people[S.MOBILITY_KM].astype(float),
        S.EXPERIENCE_MONTHS: people[S.EXPERIENCE_MONTHS].astype(float),
    })
    if frame.empty:
        return _empty_job_seeker_frame(frame, labels)
    ids = frame[S.JOB_SEEKER_ID].tolist()
    in_people = _in(ids)
    frame = _add_barriers_and_rights(session, frame, as_of, in_people)
    frame = _add_targets(session, frame, as_of, in_people)
    frame = _add_interactions(session, frame, as_of, in_people)
    frame = _add_follow_up(session, frame, as_of, in_people)
    frame = _add_proposals_and_applications(session, frame, as_of, in_people)
    frame = _add_episodes(session, frame, as_of, in_people, labels)
    intervals = contact_intervals(set(frame["agency_id"]))
    frame[S.CONTACT_INTERVAL_DAYS] = [intervals.get((agency, Modality(modality)), np.nan)
                                      for agency, modality in zip(frame["agency_id"], frame[S.MODALITY])]
    if labels:
        frame = _add_treatment(session, frame, as_of, in_people)
    return frame.drop(columns=["birth_date", "education_level", "digital_autonomy", "registration_date",
                               "commune_insee", "agency_id"])


def _in(ids: list[int]) -> Any:
    """Restricts a person-keyed column to ``ids``; a full table read when that is everyone anyway."""
    def clause(column: Any) -> Any:
        if len(ids) > 5000:  # IN lists that long cost more than reading the rows and dropping the others
            return sa.true()
        return column.in_(ids)
    return clause


def _empty_job_seeker_frame(frame: pd.DataFrame, labels: bool) -> pd.DataFrame:
    columns = [S.JOB_SEEKER_ID, S.EXTERNAL_ID, S.COUNSELOR_ID, S.COUNSELOR_EXTERNAL_ID, S.AS_OF, *S.PROTECTED,
               *S.JOB_SEEKER_FEATURES, *S.URGENCY_INPUTS]
    if labels:
        columns += [S.LABEL_EMPLOYMENT, S.TREATED, S.TREATED_RANDOM]
    return pd.DataFrame({column: pd.Series(dtype=float) for column in dict.fromkeys(columns)})


def _add_barriers_and_rights(session: Session, frame: pd.DataFrame, as_of: date, in_people: Any) -> pd.DataFrame:
    barriers = _frame(session, sa.select(Barrier.job_seeker_id, sa.func.count())
                      .where(in_people(Barrier.job_seeker_id), Barrier.noted_on < as_of,
                             sa.or_(Barrier.resolved_on.is_(None), Barrier.resolved_on >= as_of))
                      .group_by(Barrier.job_seeker_id), [S.JOB_SEEKER_ID, S.OPEN_BARRIERS])
    # The last end date among rights started before D + 30 days: a right that takes over
    # from an ending one pushes the end back (as the file's alert does).
    takes_over = as_of + timedelta(days=30)
    rights = _frame(session, sa.select(
        BenefitRight.job_seeker_id,
        sa.func.max(sa.case((BenefitRight.start_on < takes_over, BenefitRight.end_on))),
        sa.func.count().filter(BenefitRight.start_on < as_of, BenefitRight.end_on >= as_of))
        .where(in_people(BenefitRight.job_seeker_id), BenefitRight.start_on < takes_over)
        .group_by(BenefitRight.job_seeker_id), [S.JOB_SEEKER_ID, "rights_end", S.HAS_BENEFITS])
    frame = _merge(frame, barriers, S.JOB_SEEKER_ID, {S.OPEN_BARRIERS: 0})
    frame = _merge(frame, rights, S.JOB_SEEKER_ID, {S.HAS_BENEFITS: 0})
    days = -_days_before(as_of, frame["rights_end"])
    frame[S.DAYS_TO_RIGHTS_END] = days.where(days >= 0)
    frame[S.HAS_BENEFITS] = (frame[S.HAS_BENEFITS] > 0).astype(int)
    frame[S.OPEN_BARRIERS] = frame[S.OPEN_BARRIERS].astype(float)
    return frame.drop(columns=["rights_end"])


def _add_targets(session: Session, frame: pd.DataFrame, as_of: date, in_people: Any) -> pd.DataFrame:
    targets = _frame(session, sa.select(JobSeekerTarget.job_seeker_id, JobSeekerTarget.rome_code,
                                        JobSeekerTarget.rank)
                     .where(in_people(JobSeekerTarget.job_seeker_id)),
                     [S.JOB_SEEKER_ID, "rome", "rank"])
    targets = targets[targets[S.JOB_SEEKER_ID].isin(frame[S.JOB_SEEKER_ID])]
    shortage = dict(session.execute(sa.select(LabourShortage.rome_code, sa.func.max(LabourShortage.tension_pct))
                                    .group_by(LabourShortage.rome_code)).all())
    targets["shortage"] = targets["rome"].map(shortage)
    per_person = targets.groupby(S.JOB_SEEKER_ID).agg(**{S.TARGET_COUNT: ("rome", "size"),
                                                         S.TARGET_SHORTAGE_PCT: ("shortage", "max")})
    frame = _merge(frame, per_person.reset_index(), S.JOB_SEEKER_ID, {S.TARGET_COUNT: 0})
    frame[S.TARGET_COUNT] = frame[S.TARGET_COUNT].astype(float)
    return _add_offers_nearby(session, frame, targets, as_of)


def _add_offers_nearby(session: Session, frame: pd.DataFrame, targets: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Offers in a target occupation within the person's mobility radius, created in the 30
    (and 14) days before D; distances between communes (great circle)."""
    offers = _frame(session, sa.select(JobOffer.rome_code, JobOffer.commune_insee, JobOffer.created_on)
                    .where(JobOffer.created_on >= as_of - timedelta(days=30), JobOffer.created_on < as_of,
                           JobOffer.status != OfferStatus.DRAFT, JobOffer.commune_insee.is_not(None)),
                    ["rome", "commune", "created_on"])
    places = dict((code, (lat, lon)) for code, lat, lon in session.execute(
        sa.select(Commune.insee_code, Commune.latitude, Commune.longitude)
        .where(Commune.latitude.is_not(None),
               Commune.insee_code.in_(set(offers["commune"]) | set(frame["commune_insee"].dropna())))))
    pairs = targets.merge(frame[[S.JOB_SEEKER_ID, "commune_insee", S.MOBILITY_KM]], on=S.JOB_SEEKER_ID)
    counts_30 = np.zeros(len(pairs))
    counts_14 = np.zeros(len(pairs))
    if not offers.empty and not pairs.empty:
        recent = (pd.to_datetime(offers["created_on"]) >= pd.Timestamp(as_of - timedelta(days=NEW_OFFERS_DAYS)))
        offers = offers.assign(recent=recent.to_numpy())
        by_rome = {rome: group for rome, group in offers.groupby("rome")}
        pair_lat, pair_lon = _coordinates(pairs["commune_insee"], places)
        for rome, index in pairs.groupby("rome").groups.items():
            group = by_rome.get(rome)
            if group is None:
                continue
            rows = pairs.index.get_indexer(index)
            offer_lat, offer_lon = _coordinates(group["commune"], places)
            km = _haversine(pair_lat[rows][:, None], pair_lon[rows][:, None], offer_lat[None, :], offer_lon[None, :])
            within = km <= pairs[S.MOBILITY_KM].to_numpy()[rows][:, None]
            counts_30[rows] = within.sum(axis=1)
            counts_14[rows] = (within & group["recent"].to_numpy()[None, :]).sum(axis=1)
    pairs = pairs.assign(n30=counts_30, n14=counts_14)
    per_person = pairs.groupby(S.JOB_SEEKER_ID)["n30"].sum().rename(S.OFFERS_NEARBY_30D)
    best = (pairs[pairs["n14"] > 0].sort_values([S.JOB_SEEKER_ID, "n14", "rank"], ascending=[True, False, True])
            .drop_duplicates(S.JOB_SEEKER_ID)
            .rename(columns={"rome": S.NEW_OFFERS_ROME, "n14": S.NEW_OFFERS_COUNT})
            [[S.JOB_SEEKER_ID, S.NEW_OFFERS_ROME, S.NEW_OFFERS_COUNT]])
    frame = _merge(frame, per_person.reset_index(), S.JOB_SEEKER_ID, {S.OFFERS_NEARBY_30D: 0})
    frame = _merge(frame, best, S.JOB_SEEKER_ID, {S.NEW_OFFERS_COUNT: 0})
    frame[S.NEW_OFFERS_ROME] = frame[S.NEW_OFFERS_ROME].astype(object).where(frame[S.NEW_OFFERS_COUNT] > 0, None)
    frame[S.NEW_OFFERS_RADIUS_KM] = frame[S.MOBILITY_KM]
    return frame


def _coordinates(communes: pd.Series, places: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    points = [places.get(code, (np.nan, np.nan)) for code in communes]
    array = np.array(points, dtype=float).reshape(-1, 2)
    return array[:, 0], array[:, 1]


def _haversine(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def _add_interactions(session: Session, frame: pd.DataFrame, as_of: date, in_people: Any) -> pd.DataFrame:
    start = midnight(as_of)
    contact = _is_contact()
    online = Interaction.channel == Channel.ONLINE
    since_30, since_90 = start - timedelta(days=30), start - timedelta(days=90)

    def held(kind: InteractionKind) -> Any:
        return sa.func.max(sa.case((sa.and_(Interaction.kind == kind,
                                            Interaction.outcome.in_(MEANINGFUL_OUTCOMES)), Interaction.occurred_at)))

    rows = _frame(session, sa.select(
        Interaction.job_seeker_id,
        sa.func.count().filter(contact, Interaction.occurred_at >= since_30),
        sa.func.count().filter(contact, Interaction.occurred_at >= since_90),
        sa.func.max(sa.case((contact, Interaction.occurred_at))),
        sa.func.count().filter(online, Interaction.occurred_at >= since_30),
        sa.func.max(sa.case((online, Interaction.occurred_at))),
        held(InteractionKind.SITUATION_INTERVIEW), held(InteractionKind.REVIEW_6_9))
        .where(Interaction.job_seeker_id.is_not(None), in_people(Interaction.job_seeker_id),
               Interaction.occurred_at < start)
        .group_by(Interaction.job_seeker_id),
        [S.JOB_SEEKER_ID, S.CONTACTS_30D, S.CONTACTS_90D, "last_contact", S.ONLINE_30D, "last_online",
         "interview_at", "review_at"])
    frame = _merge(frame, rows, S.JOB_SEEKER_ID, {S.CONTACTS_30D: 0, S.CONTACTS_90D: 0, S.ONLINE_30D: 0})
    for column in (S.CONTACTS_30D, S.CONTACTS_90D, S.ONLINE_30D):
        frame[column] = frame[column].astype(float)
    reference = pd.to_datetime(frame["last_contact"]).fillna(pd.to_datetime(frame["registration_date"]))
    frame[S.DAYS_SINCE_CONTACT] = _days_before(as_of, reference)
    frame[S.DAYS_SINCE_ONLINE] = _days_before(as_of, frame["last_online"])
    return frame.drop(columns=["last_online"])


def _add_follow_up(session: Session, frame: pd.DataFrame, as_of: date, in_people: Any) -> pd.DataFrame:
    """Situation interview and 6–9 month review held, missed appointments and partner no-shows
    not followed by a contact — the facts of the file's alerts, as of D."""
    start = midnight(as_of)

    def latest_done(kind: AppointmentKind | None) -> Any:
        condition = Appointment.status == AppointmentStatus.DONE
        if kind is not None:
            condition = sa.and_(condition, Appointment.kind == kind)
        return sa.func.max(sa.case((condition, Appointment.scheduled_at)))

    appointments = _frame(session, sa.select(
        Appointment.job_seeker_id, latest_done(AppointmentKind.SITUATION_INTERVIEW),
        latest_done(AppointmentKind.REVIEW_6_9), latest_done(None),
        sa.func.max(sa.case((Appointment.status == AppointmentStatus.MISSED, Appointment.scheduled_at))))
        .where(in_people(Appointment.job_seeker_id), Appointment.scheduled_at < start,
               Appointment.status.in_([AppointmentStatus.DONE, AppointmentStatus.MISSED]))
        .group_by(Appointment.job_seeker_id),
        [S.JOB_SEEKER_ID, "interview_appointment", "review_appointment", "done_appointment", "missed_at"])
    no_shows = _frame(session, sa.select(
        Referral.job_seeker_id, sa.func.max(sa.func.coalesce(Referral.feedback_at, Referral.referred_at)))
        .where(in_people(Referral.job_seeker_id), Referral.showed_up.is_(False),
               Referral.status != ReferralStatus.CANCELLED,
               sa.func.coalesce(Referral.feedback_at, Referral.referred_at) < start,
               sa.or_(Referral.followed_up_at.is_(None), Referral.followed_up_at >= start))
        .group_by(Referral.job_seeker_id), [S.JOB_SEEKER_ID, "no_show_at"])
    frame = frame.merge(appointments, on=S.JOB_SEEKER_ID, how="left").merge(no_shows, on=S.JOB_SEEKER_ID, how="left")
    stamp = {column: pd.to_datetime(frame[column]) for column in (
        "interview_at", "review_at", "interview_appointment", "review_appointment", "done_appointment", "missed_at",
        "no_show_at", "last_contact", "registration_date")}
    registered = stamp["registration_date"]
    interview = _later(stamp["interview_at"], stamp["interview_appointment"])
    review = _later(stamp["review_at"], stamp["review_appointment"])
    day = pd.Timestamp(as_of)
    due = registered + pd.Timedelta(days=30)
    frame[S.SITUATION_INTERVIEW_MISSING] = ((day > due) & ~(interview >= registered)).astype(int)
    closes = pd.to_datetime([add_months(d, 9) for d in frame["registration_date"]])
    frame[S.REVIEW_OVERDUE] = ((day > closes) & ~(review >= registered)).astype(int)
    followed = _later(stamp["last_contact"], stamp["done_appointment"])
    missed = stamp["missed_at"]
    open_missed = missed.notna() & ~(followed > missed) & (day - missed <= pd.Timedelta(
        days=MISSED_APPOINTMENT_MEMORY_DAYS))
    frame[S.DAYS_SINCE_MISSED_APPOINTMENT] = _days_before(as_of, missed).where(open_missed)
    no_show = stamp["no_show_at"]
    open_no_show = no_show.notna() & ~(stamp["last_contact"] > no_show)
    frame[S.DAYS_SINCE_REFERRAL_NO_SHOW] = _days_before(as_of, no_show).where(open_no_show)
    return frame.drop(columns=["interview_at", "review_at", "interview_appointment", "review_appointment",
                               "done_appointment", "missed_at", "no_show_at", "last_contact"])


def _later(a: pd.Series, b: pd.Series) -> pd.Series:
    """The later of two moments per row, ignoring missing ones (missing when both are)."""
    return pd.concat([a, b], axis=1).max(axis=1)


def _add_proposals_and_applications(session: Session, frame: pd.DataFrame, as_of: date,
                                    in_people: Any) -> pd.DataFrame:
    start = midnight(as_of)
    since_90 = start - timedelta(days=90)
    answered_at = sa.func.coalesce(Proposal.responded_at, Proposal.proposed_at)
    proposals = _frame(session, sa.select(
        Proposal.job_seeker_id,
        sa.func.count().filter(Proposal.proposed_at >= since_90),
        sa.func.count().filter(Proposal.proposed_at >= since_90, Proposal.response == ProposalResponse.ACCEPTED,
                               answered_at < start),
        sa.func.count().filter(Proposal.item_kind.in_([ItemKind.TRAINING, ItemKind.WORKSHOP]),
                               Proposal.outcome.in_([ProposalOutcome.COMPLETED, ProposalOutcome.HIRED]),
                               Proposal.outcome_on < as_of))
        .where(in_people(Proposal.job_seeker_id), Proposal.proposed_at < start)
        .group_by(Proposal.job_seeker_id),
        [S.JOB_SEEKER_ID, S.PROPOSALS_90D, S.PROPOSALS_ACCEPTED_90D, S.TRAININGS_COMPLETED])
    applications = _frame(session, sa.select(Application.job_seeker_id, sa.func.count())
                          .where(in_people(Application.job_seeker_id), Application.created_at >= since_90,
                                 Application.created_at < start)
                          .group_by(Application.job_seeker_id), [S.JOB_SEEKER_ID, S.APPLICATIONS_90D])
    counts = (S.PROPOSALS_90D, S.PROPOSALS_ACCEPTED_90D, S.TRAININGS_COMPLETED, S.APPLICATIONS_90D)
    frame = _merge(_merge(frame, proposals, S.JOB_SEEKER_ID, {}), applications, S.JOB_SEEKER_ID,
                   dict.fromkeys(counts, 0))
    for column in counts:
        frame[column] = frame[column].astype(float)
    return frame


def _add_episodes(session: Session, frame: pd.DataFrame, as_of: date, in_people: Any, labels: bool) -> pd.DataFrame:
    """Short jobs in the year before D; with ``labels``, the return to employment after D."""
    until = as_of + timedelta(days=S.OUTCOME_HORIZON_DAYS) if labels else as_of
    episodes = _frame(session, sa.select(OutcomeEpisode.job_seeker_id, OutcomeEpisode.start_on, OutcomeEpisode.end_on)
                      .where(in_people(OutcomeEpisode.job_seeker_id), OutcomeEpisode.kind == OutcomeKind.EMPLOYMENT,
                             OutcomeEpisode.start_on >= as_of - timedelta(days=365), OutcomeEpisode.start_on < until),
                      [S.JOB_SEEKER_ID, "start_on", "end_on"])
    starts, ends = pd.to_datetime(episodes["start_on"]), pd.to_datetime(episodes["end_on"])
    length = (ends - starts).dt.days
    day = pd.Timestamp(as_of)
    short_before = (starts < day) & ends.notna() & (ends < day) & (length < S.MIN_EMPLOYMENT_DAYS)
    short = episodes[short_before.to_numpy()].groupby(S.JOB_SEEKER_ID).size().rename(S.SHORT_JOBS_365D)
    frame = _merge(frame, short.reset_index(), S.JOB_SEEKER_ID, {S.SHORT_JOBS_365D: 0})
    frame[S.SHORT_JOBS_365D] = frame[S.SHORT_JOBS_365D].astype(float)
    if labels:
        found = (starts >= day) & (ends.isna() | (length >= S.MIN_EMPLOYMENT_DAYS))
        employed = set(episodes.loc[found.to_numpy(), S.JOB_SEEKER_ID])
        frame[S.LABEL_EMPLOYMENT] = frame[S.JOB_SEEKER_ID].isin(employed).astype(int)
    return frame


def _add_treatment(session: Session, frame: pd.DataFrame, as_of: date, in_people: Any) -> pd.DataFrame:
    start = midnight(as_of)
    rows = _frame(session, sa.select(
        Interaction.job_seeker_id,
        sa.func.count().filter(_is_contact(), Interaction.author_id.is_not(None)),
        sa.func.count().filter(Interaction.origin == InteractionOrigin.EXPLORATION),
        sa.func.count().filter(Interaction.author_id.is_not(None), Interaction.channel != Channel.ONLINE,
                               Interaction.direction == Direction.OUTBOUND, Interaction.kind.in_(FOLLOW_UP_KINDS),
                               Interaction.origin.in_([InteractionOrigin.MANUAL, InteractionOrigin.PRIORITY_LIST])))
        .where(Interaction.job_seeker_id.is_not(None), in_people(Interaction.job_seeker_id),
               Interaction.occurred_at >= start,
               Interaction.occurred_at < start + timedelta(days=S.TREATMENT_WINDOW_DAYS))
        .group_by(Interaction.job_seeker_id), [S.JOB_SEEKER_ID, S.TREATED, S.TREATED_RANDOM, S.REGULAR_CONTACT])
    frame = _merge(frame, rows, S.JOB_SEEKER_ID, {S.TREATED: 0, S.TREATED_RANDOM: 0, S.REGULAR_CONTACT: 0})
    frame[S.REGULAR_CONTACT] = (frame[S.REGULAR_CONTACT] > 0).astype(int)
    frame[S.TREATED] = (frame[S.TREATED] > 0).astype(int)
    frame[S.TREATED_RANDOM] = (frame[S.TREATED_RANDOM] > 0).astype(int)
    return frame


# --------------------------------------------------------------------------- employers
def employer_frame(session: Session, as_of: date, *, labels: bool = False,
                   ids: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per employer (every employer on file: one with no history simply has zeros)."""
    start = midnight(as_of)
    six, twelve = add_months(as_of, -6), add_months(as_of, -12)
    employers = _frame(session, sa.select(Employer.id, Employer.external_id, Employer.counselor_id, User.external_id,
                                          NafCode.section_code, Employer.naf_code, Employer.size_band_code)
                       .outerjoin(User, User.id == Employer.counselor_id)
                       .outerjoin(NafCode, NafCode.code == Employer.naf_code)
                       .where(*([Employer.id.in_(list(ids))] if ids is not None else []))
                       .order_by(Employer.id),
                       [S.EMPLOYER_ID, S.EXTERNAL_ID, S.COUNSELOR_ID, S.COUNSELOR_EXTERNAL_ID, S.NAF_SECTION,
                        "naf_code", "size_band"])
    bands = [code for (code,) in session.execute(sa.select(SizeBand.code).order_by(SizeBand.code))]
    employers[S.AS_OF] = pd.Timestamp(as_of)
    employers[S.SIZE_RANK] = employers["size_band"].map({code: rank for rank, code in enumerate(bands)}).astype(float)
    sector = dict(session.execute(sa.select(OccupationSectorHires.naf_code, sa.func.sum(OccupationSectorHires.hirings))
                                  .group_by(OccupationSectorHires.naf_code)).all())
    employers[S.SECTOR_HIRES_LOG] = np.log1p(employers["naf_code"].map(sector).astype(float).fillna(0))

    until = add_months(as_of, 6) if labels else as_of
    hires = _frame(session, sa.select(
        OutcomeEpisode.employer_id,
        sa.func.count().filter(OutcomeEpisode.start_on >= six, OutcomeEpisode.start_on < as_of),
        sa.func.count().filter(OutcomeEpisode.start_on < six),
        sa.func.count().filter(OutcomeEpisode.start_on >= as_of))
        .where(OutcomeEpisode.employer_id.is_not(None), OutcomeEpisode.kind == OutcomeKind.EMPLOYMENT,
               OutcomeEpisode.start_on >= twelve, OutcomeEpisode.start_on < until)
        .group_by(OutcomeEpisode.employer_id), [S.EMPLOYER_ID, S.HIRES_6M, S.HIRES_PREV_6M, S.LABEL_HIRES_NEXT_6M])
    still_open = sa.and_(JobOffer.created_on < as_of, JobOffer.status != OfferStatus.DRAFT,
                         sa.or_(JobOffer.filled_on.is_(None), JobOffer.filled_on >= as_of),
                         sa.or_(JobOffer.closed_on.is_(None), JobOffer.closed_on >= as_of),
                         # Offers filled or closed without a date: their status is read as current.
                         sa.or_(JobOffer.status == OfferStatus.OPEN, JobOffer.filled_on.is_not(None),
                                JobOffer.closed_on.is_not(None)))
    offers = _frame(session, sa.select(
        JobOffer.employer_id,
        sa.func.count().filter(JobOffer.created_on >= six),
        sa.func.count().filter(JobOffer.created_on < six, JobOffer.created_on >= twelve),
        sa.func.count().filter(still_open),
        sa.func.count().filter(still_open, JobOffer.created_on < as_of - timedelta(days=30)),
        sa.func.min(sa.case((still_open, JobOffer.created_on))))
        .where(JobOffer.created_on < as_of, sa.or_(JobOffer.created_on >= twelve, still_open))
        .group_by(JobOffer.employer_id),
        [S.EMPLOYER_ID, S.OFFERS_6M, S.OFFERS_PREV_6M, S.OPEN_OFFERS, S.AGEING_OFFERS, "oldest_open"])
    applications = _frame(session, sa.select(JobOffer.employer_id, sa.func.count())
                          .select_from(Application).join(JobOffer, JobOffer.id == Application.offer_id)
                          .where(Application.created_at >= midnight(six), Application.created_at < start)
                          .group_by(JobOffer.employer_id), [S.EMPLOYER_ID, S.APPLICATIONS_6M])
    contacts = _frame(session, sa.select(
        Interaction.employer_id, sa.func.max(Interaction.occurred_at),
        sa.func.count().filter(Interaction.occurred_at >= start - timedelta(days=90)))
        .where(Interaction.employer_id.is_not(None), Interaction.occurred_at < start,
               Interaction.outcome.in_(MEANINGFUL_OUTCOMES),
               sa.or_(Interaction.author_id.is_not(None), Interaction.direction == Direction.INBOUND))
        .group_by(Interaction.employer_id), [S.EMPLOYER_ID, "last_contact", S.EMPLOYER_CONTACTS_90D])
    counts = (S.HIRES_6M, S.HIRES_PREV_6M, S.LABEL_HIRES_NEXT_6M, S.OFFERS_6M, S.OFFERS_PREV_6M, S.OPEN_OFFERS,
              S.AGEING_OFFERS, S.APPLICATIONS_6M, S.EMPLOYER_CONTACTS_90D)
    frame = employers
    for part in (hires, offers, applications, contacts):
        frame = _merge(frame, part, S.EMPLOYER_ID, dict.fromkeys(counts, 0))
    for column in counts:
        frame[column] = frame[column].astype(float)
    frame[S.OLDEST_OPEN_OFFER_DAYS] = _days_before(as_of, frame["oldest_open"])
    frame[S.EMPLOYER_DAYS_SINCE_CONTACT] = _days_before(as_of, frame["last_contact"])
    if not labels:
        frame = frame.drop(columns=[S.LABEL_HIRES_NEXT_6M])
    return frame.drop(columns=["naf_code", "size_band", "oldest_open", "last_contact"])

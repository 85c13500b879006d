"""The adapter of the recommendations: candidate pairs (job seeker × item) as of a day D.

Candidate generation runs over the whole catalogue (``recommender/schema.py``, section
« recommendations »):

- **offers** open at D in the person's agency, in a target occupation, an occupation related
  to the first target in the person's bassin (per-bassin mobility scores) or the same ROME
  family, with an accepted contract type, within 1.5 × the mobility radius;
- **trainings** (their earliest session within reach with seats left, within
  ``TRAINING_HORIZON_DAYS``, if any) toward a target, related or same-family occupation (same domain too, flagged « hors
  projet » by the recommender), within reach;
- **workshops, prestations, partner services** whose catalogue eligibility the person
  meets, with ``NEED_MATCH`` saying whether the item answers a need of the action plan
  (``NEEDS``); **events** with a session within ``EVENT_HORIZON_DAYS`` near the person.

Everything reads rows dated before D (proposals, registrations, applications, episodes,
feedback; appointments booked before D, for D or later; ``ITEM_KNN_SCORE`` from the proposals
of the year before D, even live), except the labels (``labels=True``), which look at
[D, D + 60 days).
The catalogue eligibility the recommender does not know (education, experience, months
registered, barriers, pass IAE) is applied here; the rules it owns (RQTH, RSA, age, done,
declined, repeated prescription) come as columns (``recommender/eligibility.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.catalogue.models import CatalogueItem, CatalogueKind, CatalogueSession, EventKind, RegistrationStatus, \
    SessionRegistration, catalogue_item_rome
from crm.employers.models import Employer
from crm.interactions.models import Appointment, AppointmentStatus, Channel, Feedback, FeedbackAction, Interaction, \
    Proposal, ProposalOutcome, ProposalResponse
from crm.jobseekers.models import Barrier, JobSeeker, JobSeekerTarget
from crm.offers.models import Application, ApplicationStatus, JobOffer, OfferStatus
from crm.outcomes.models import OutcomeEpisode, OutcomeKind
from crm.referentials.models import Commune, LabourShortage, RelatedOccupation, RomeOccupation
from crm.scoring.frames import DIGITAL_RANKS, EDUCATION_RANKS, _age_band, _days_before, _frame, _haversine, \
    _is_contact, midnight
from recommender import schema as S

if TYPE_CHECKING:  # scikit-learn is imported by the batch and the pages that rank, not at import
    from recommender.proposals import ItemKNN

TRAINING_HORIZON_DAYS = 120
SESSION_HORIZON_DAYS = 90
EVENT_HORIZON_DAYS = 60
STATS_DAYS = 365
REACH_FACTOR = 1.5       # candidates up to 1.5 × the mobility radius, flagged beyond it
MIN_REACH_KM = 10.0
RELATED_PER_TARGET = 8   # related occupations kept per first target and bassin (best scores)
SMOOTHING = 5.0          # pseudo-counts of the smoothed rates
OPEN_APPLICATION = (ApplicationStatus.PROPOSED, ApplicationStatus.SENT, ApplicationStatus.INTERVIEW)
DONE_OUTCOMES = (ProposalOutcome.ENTERED, ProposalOutcome.COMPLETED, ProposalOutcome.HIRED)

# Work axes of the action plan (seeds/demo/people.py WORK_AXES) → catalogue codes that answer them.
NEEDS: dict[str, frozenset[str]] = {
    "Élaborer son projet professionnel": frozenset({"CAP-PROJET", "CPP", "ATL-PASSEPORT", "ATL-SECTEUR",
                                                   "EVT-INFO-COLLECTIVE"}),
    "Se former": frozenset({"ATL-FORMER", "CPF-PARCOURS", "ATL-ORGANISME"}),
    "Adapter ses compétences au marché": frozenset({"ATL-VAE", "ATL-KITS", "CPF-PARCOURS"}),
    "Cibler ses candidatures": frozenset({"ACTIV-EMPLOI", "REGARDS-CROISES", "EVT-JOB-DATING", "EVT-FORUM",
                                         "EVT-MRS"}),
    "Créer ou reprendre une entreprise": frozenset({"ACTIV-CREA"}),
}
AFTER_MRS = frozenset({"REBOND"})  # « Rendez-vous Rebond » after an MRS session
MRS_MEMORY_DAYS = 90
CONTACT_MEMORY_DAYS = 365  # DAYS_SINCE_CONTACT looks back this far (and is capped there)
EDUCATION_ORDER = tuple(EDUCATION_RANKS)


def _value(x: Any) -> Any:
    return getattr(x, "value", x)


# --------------------------------------------------------------------------- shared context
@dataclass
class Context:
    """What every person's candidates read, loaded once per day D (and per batch)."""

    as_of: date
    places: dict[str, tuple[float, float]]
    bassin_of: dict[str, str]
    family: dict[str, str]
    shortage: dict[str, float]
    related: pd.DataFrame          # bassin, rome, related_rome, score
    catalogue: pd.DataFrame        # one row per non-offer item (SEATS_LEFT: over its upcoming sessions)
    sessions: pd.DataFrame         # upcoming sessions with seats: item, session, start, commune
    item_romes: pd.DataFrame       # item_id, rome
    stats: pd.DataFrame            # item_key → proposals, accept rate, success rate
    popularity: pd.DataFrame       # item_key, person_rome, person_bassin → accepted proposals
    item_knn: ItemKNN              # fit on the proposals of the year before D (ITEM_KNN_SCORE)
    accept_prior: float            # share of the answers of that year that were yes (PERSON_ACCEPT_RATE's prior)


def load_context(session: Session, as_of: date) -> Context:
    communes = session.execute(sa.select(Commune.insee_code, Commune.latitude, Commune.longitude,
                                         Commune.bassin_code)).all()
    related = _frame(session, sa.select(RelatedOccupation.bassin_code, RelatedOccupation.rome_code,
                                        RelatedOccupation.related_rome_code, RelatedOccupation.score),
                     ["bassin", "rome", "related_rome", "score"])
    related = (related.sort_values(["bassin", "rome", "score"], ascending=[True, True, False])
               .groupby(["bassin", "rome"]).head(RELATED_PER_TARGET))
    catalogue, sessions = _catalogue(session, as_of)
    return Context(
        as_of=as_of,
        places={code: (lat, lon) for code, lat, lon, _ in communes if lat is not None},
        bassin_of={code: bassin for code, _, _, bassin in communes if bassin},
        family=dict(session.execute(sa.select(RomeOccupation.code, RomeOccupation.family_code)).all()),
        shortage=dict(session.execute(sa.select(LabourShortage.rome_code, sa.func.max(LabourShortage.tension_pct))
                                      .group_by(LabourShortage.rome_code)).all()),
        related=related,
        catalogue=catalogue,
        sessions=sessions,
        item_romes=_frame(session, sa.select(catalogue_item_rome.c.item_id, catalogue_item_rome.c.rome_code),
                          [S.ITEM_ID, "rome"]),
        **_item_statistics(session, as_of),
    )


def _catalogue(session: Session, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Active catalogue items, and their sessions with seats left at D starting within the
    kind's horizon. An item's ``SEATS_LEFT`` is the sum over those sessions (its capacity in the
    period); an event without such a session is no candidate. Which session a person is
    offered is chosen per pair (``_choose_sessions``): the earliest within reach."""
    items = _frame(session, sa.select(CatalogueItem.id, CatalogueItem.external_id, CatalogueItem.kind,
                                      CatalogueItem.code, CatalogueItem.eligibility, CatalogueItem.commune_insee,
                                      CatalogueItem.event_kind)
                   .where(CatalogueItem.active.is_(True)),
                   [S.ITEM_ID, S.ITEM_EXTERNAL_ID, S.ITEM_KIND, S.ITEM_CODE, "eligibility", "commune",
                    "event_kind"])
    items[S.ITEM_KIND] = items[S.ITEM_KIND].map(_value)
    items["event_kind"] = items["event_kind"].map(_value)
    registered = (sa.select(sa.func.count()).where(SessionRegistration.session_id == CatalogueSession.id,
                                                   SessionRegistration.registered_at < midnight(as_of),
                                                   SessionRegistration.status != RegistrationStatus.CANCELLED)
                  .scalar_subquery())
    sessions = _frame(session, sa.select(CatalogueSession.item_id, CatalogueSession.id, CatalogueSession.starts_on,
                                         CatalogueSession.commune_insee, CatalogueSession.capacity, registered)
                      .where(CatalogueSession.starts_on >= as_of,
                             CatalogueSession.starts_on < as_of + timedelta(days=TRAINING_HORIZON_DAYS)),
                      [S.ITEM_ID, S.SESSION_ID, "starts_on", "session_commune", "capacity", "registered"])
    kinds = sessions[S.ITEM_ID].map(items.set_index(S.ITEM_ID)[S.ITEM_KIND])
    horizon = np.select([kinds == "event", kinds == "training"], [EVENT_HORIZON_DAYS, TRAINING_HORIZON_DAYS],
                        SESSION_HORIZON_DAYS)
    sessions = sessions.assign(**{S.SEATS_LEFT: (sessions["capacity"] - sessions["registered"]).astype(float),
                                  S.DAYS_TO_START: -_days_before(as_of, sessions["starts_on"])})
    sessions = sessions[(sessions[S.SEATS_LEFT] > 0) & (sessions[S.DAYS_TO_START] < horizon)]
    sessions["session_commune"] = sessions["session_commune"].fillna(
        sessions[S.ITEM_ID].map(items.set_index(S.ITEM_ID)["commune"]))
    seats = sessions.groupby(S.ITEM_ID)[S.SEATS_LEFT].sum()
    items[S.SEATS_LEFT] = items[S.ITEM_ID].map(seats).astype(float)
    items[S.DAYS_TO_START] = np.nan
    items[S.SESSION_ID] = np.nan
    items[S.ITEM_KEY] = items[S.ITEM_KIND] + ":" + items[S.ITEM_ID].astype(str)
    # Events need a session soon. A training without one stays a candidate (registration for a
    # later session; DAYS_TO_START and SEATS_LEFT are then unknown), as do workshops and services.
    items = items[(items[S.ITEM_KIND] != "event") | items[S.SEATS_LEFT].notna()].reset_index(drop=True)
    return items, sessions[[S.ITEM_ID, S.SESSION_ID, S.DAYS_TO_START, "session_commune"]].reset_index(drop=True)


def _choose_sessions(pairs: pd.DataFrame, context: Context) -> pd.DataFrame:
    """Per catalogue pair, the session offered: the earliest within the person's reach, else the
    nearest; it gives the pair its place (distance) and DAYS_TO_START."""
    catalogue = pairs[S.ITEM_KIND] != "offer"
    if context.sessions.empty or not catalogue.any():
        return pairs
    rows = pairs.loc[catalogue, [S.ITEM_ID, "person_commune", S.MOBILITY_KM]].rename_axis("row").reset_index()
    joined = rows.merge(context.sessions, on=S.ITEM_ID)
    (plat, plon), (slat, slon) = _coordinates(joined["person_commune"], context), \
        _coordinates(joined["session_commune"], context)
    km = _haversine(plat, plon, slat, slon)
    joined["far"] = km > _reach(joined)
    joined["km"] = np.nan_to_num(km, nan=0.0)
    best = joined.sort_values(["row", "far", S.DAYS_TO_START, "km"]).drop_duplicates("row").set_index("row")
    pairs.loc[best.index, "commune"] = best["session_commune"]
    pairs.loc[best.index, S.SESSION_ID] = best[S.SESSION_ID]
    pairs.loc[best.index, S.DAYS_TO_START] = best[S.DAYS_TO_START]
    return pairs


def _item_key(kind: Any, offer_id: Any, item_id: Any) -> str:
    kind = _value(kind)
    return f"{kind}:{int(offer_id) if kind == 'offer' else int(item_id)}"


def _among(ids: Iterable[int] | None, column: Any) -> list[Any]:
    """WHERE clauses keeping the rows of these people (none: everyone when ``ids`` is None)."""
    return [] if ids is None else [column.in_(list(ids))]


def _proposals_before(session: Session, start: date, end: date, *, ids: Iterable[int] | None = None) -> pd.DataFrame:
    rows = _frame(session, sa.select(Proposal.job_seeker_id, Proposal.item_kind, Proposal.offer_id,
                                     Proposal.catalogue_item_id, Proposal.proposed_at, Proposal.response,
                                     Proposal.responded_at, Proposal.outcome, Proposal.outcome_on,
                                     Proposal.prescribed_at, Proposal.started_on)
                  .where(Proposal.proposed_at >= midnight(start), Proposal.proposed_at < midnight(end),
                         *_among(ids, Proposal.job_seeker_id)),
                  [S.JOB_SEEKER_ID, S.ITEM_KIND, "offer_id", "catalogue_item_id", "proposed_at", "response",
                   "responded_at", "outcome", "outcome_on", "prescribed_at", "started_on"])
    for column in (S.ITEM_KIND, "response", "outcome"):
        rows[column] = rows[column].map(_value)
    rows[S.ITEM_KEY] = pd.Series([_item_key(k, o, c) for k, o, c in zip(
        rows[S.ITEM_KIND], rows["offer_id"], rows["catalogue_item_id"])], index=rows.index, dtype=object)
    return rows


def _as_known_before(rows: pd.DataFrame, moment: date) -> pd.DataFrame:
    """The proposals as they stood before ``moment``: an answer, prescription, start or outcome
    dated later is not known yet (the proposal was still awaiting an answer, or in progress, with
    no outcome)."""
    cut = pd.Timestamp(moment)

    def known(column: str) -> pd.Series:
        return ~(pd.to_datetime(rows[column]) >= cut)

    answered, outcome = known("responded_at"), known("outcome_on")
    return rows.assign(
        response=rows["response"].where(answered, ProposalResponse.PENDING.value),
        responded_at=rows["responded_at"].where(answered),
        outcome=rows["outcome"].where(outcome, ProposalOutcome.NONE.value),
        outcome_on=rows["outcome_on"].where(outcome), prescribed_at=rows["prescribed_at"].where(known("prescribed_at")),
        started_on=rows["started_on"].where(known("started_on")))


def _item_statistics(session: Session, as_of: date) -> dict[str, Any]:
    """Per item over the year before D: proposals, smoothed acceptance and success rates,
    accepted proposals per (first target ROME, bassin) for the popularity baseline, and the
    item-to-item similarities of those proposals (``ITEM_KNN_SCORE``, as ``history_pairs``);
    and the share of that year's answers that were yes, whoever the person."""
    from recommender.proposals import ItemKNN

    rows = _proposals_before(session, as_of - timedelta(days=STATS_DAYS), as_of)
    item_knn = ItemKNN().fit(rows)
    rows = _as_known_before(rows, as_of)
    accepted = rows["response"] == ProposalResponse.ACCEPTED.value
    jobs = _frame(session, sa.select(OutcomeEpisode.job_seeker_id, OutcomeEpisode.start_on)
                  .where(OutcomeEpisode.kind == OutcomeKind.EMPLOYMENT,
                         OutcomeEpisode.start_on >= as_of - timedelta(days=STATS_DAYS), OutcomeEpisode.start_on < as_of),
                  [S.JOB_SEEKER_ID, "job_on"])
    accepted_rows = rows[accepted].reset_index().merge(jobs, on=S.JOB_SEEKER_ID, how="left")
    proposed = pd.to_datetime(accepted_rows["proposed_at"]).dt.normalize()
    job_on = pd.to_datetime(accepted_rows["job_on"])
    accepted_rows["success"] = (job_on >= proposed) & (job_on < proposed + pd.Timedelta(days=S.OUTCOME_HORIZON_DAYS))
    success = accepted_rows.groupby("index")["success"].any().reindex(rows.index, fill_value=False)
    rows = rows.assign(accepted=accepted.astype(float), success=success.astype(float))
    prior_accept = rows["accepted"].mean() if len(rows) else 0.5
    # A person's acceptance rate counts their answers only, so its prior does too.
    answered = rows["response"] != ProposalResponse.PENDING.value
    accept_prior = float(rows.loc[answered, "accepted"].mean()) if answered.any() else 0.5
    prior_success = rows.loc[accepted, "success"].mean() if accepted.any() else 0.2
    grouped = rows.groupby(S.ITEM_KEY).agg(n=("accepted", "size"), acc=("accepted", "sum"), ok=("success", "sum"))
    stats = pd.DataFrame({
        S.ITEM_PROPOSALS_365D: grouped["n"].astype(float),
        S.ITEM_ACCEPTED_365D: grouped["acc"].astype(float),
        S.ITEM_ACCEPT_RATE: (grouped["acc"] + SMOOTHING * prior_accept) / (grouped["n"] + SMOOTHING),
        S.ITEM_SUCCESS_RATE: (grouped["ok"] + SMOOTHING * prior_success) / (grouped["acc"] + SMOOTHING),
    }).reset_index()
    people = _frame(session, sa.select(JobSeekerTarget.job_seeker_id, JobSeekerTarget.rome_code, JobSeeker.commune_insee)
                    .join(JobSeeker, JobSeeker.id == JobSeekerTarget.job_seeker_id)
                    .where(JobSeekerTarget.rank == 1), [S.JOB_SEEKER_ID, S.PERSON_ROME, "commune"])
    popular = rows[accepted].merge(people, on=S.JOB_SEEKER_ID)
    bassins = dict(session.execute(sa.select(Commune.insee_code, Commune.bassin_code)).all())
    popular[S.PERSON_BASSIN] = popular["commune"].map(bassins)
    popularity = (popular.groupby([S.ITEM_KEY, S.PERSON_ROME, S.PERSON_BASSIN]).size()
                  .rename(S.POPULARITY_OCC_BASSIN).astype(float).reset_index())
    for frame in (stats, popularity):  # typed keys, even empty (merges need matching dtypes)
        for column in (S.ITEM_KEY, S.PERSON_ROME, S.PERSON_BASSIN):
            if column in frame:
                frame[column] = frame[column].astype(object)
    return {"stats": stats, "popularity": popularity, "item_knn": item_knn, "accept_prior": accept_prior}


# --------------------------------------------------------------------------- people
def people_frame(session: Session, as_of: date, *, ids: Iterable[int] | None = None,
                 context: Context, live: bool = False) -> pd.DataFrame:
    """Active job seekers at D with what candidate generation and eligibility need (``live``:
    what happened on D counts too, as in ``candidate_pairs``)."""
    people = _frame(session, sa.select(
        JobSeeker.id, JobSeeker.external_id, JobSeeker.agency_id, JobSeeker.commune_insee, JobSeeker.birth_date,
        JobSeeker.gender, JobSeeker.rqth, JobSeeker.rsa, JobSeeker.qpv, JobSeeker.modality,
        JobSeeker.education_level, JobSeeker.digital_autonomy, JobSeeker.mobility_km, JobSeeker.registration_date,
        JobSeeker.experience_months, JobSeeker.work_axes, JobSeeker.contract_types)
        .where(JobSeeker.registration_date < as_of, JobSeeker.anonymised_at.is_(None),
               sa.or_(JobSeeker.exit_date.is_(None), JobSeeker.exit_date >= as_of),
               *_among(ids, JobSeeker.id))
        .order_by(JobSeeker.id),
        [S.JOB_SEEKER_ID, S.EXTERNAL_ID, "agency_id", "commune", "birth_date", S.GENDER, S.DISABILITY, S.RSA, S.QPV,
         S.MODALITY, "education_level", "digital_autonomy", S.MOBILITY_KM, "registration_date",
         "experience_months", "work_axes", "contract_types"])
    for column in (S.GENDER, S.MODALITY, "education_level", "digital_autonomy"):
        people[column] = people[column].map(_value)
    births = pd.to_datetime(people["birth_date"])
    people = people.assign(**{
        S.AGE_YEARS: (pd.Timestamp(as_of) - births).dt.days / 365.25,
        S.AGE_BAND: _age_band(people["birth_date"], as_of),
        S.EDUCATION_RANK: people["education_level"].map(EDUCATION_RANKS).astype(float),
        S.DIGITAL_AUTONOMY_RANK: people["digital_autonomy"].map(DIGITAL_RANKS).astype(float),
        S.MONTHS_REGISTERED: _days_before(as_of, people["registration_date"]) / 30.44,
        S.DISABILITY: people[S.DISABILITY].astype(int), S.RSA: people[S.RSA].astype(int),
        S.QPV: people[S.QPV].astype(int), S.MOBILITY_KM: people[S.MOBILITY_KM].astype(float),
        S.PERSON_BASSIN: people["commune"].map(context.bassin_of),
    })
    targets = _frame(session, sa.select(JobSeekerTarget.job_seeker_id, JobSeekerTarget.rome_code, JobSeekerTarget.rank)
                     .where(*_among(ids, JobSeekerTarget.job_seeker_id))
                     .order_by(JobSeekerTarget.job_seeker_id, JobSeekerTarget.rank),
                     [S.JOB_SEEKER_ID, "rome", "rank"])
    firsts = targets.groupby(S.JOB_SEEKER_ID)["rome"].first()
    people[S.PERSON_ROME] = people[S.JOB_SEEKER_ID].map(firsts)
    barriers = _frame(session, sa.select(Barrier.job_seeker_id, Barrier.kind)
                      .where(Barrier.noted_on < as_of, sa.or_(Barrier.resolved_on.is_(None), Barrier.resolved_on >= as_of),
                             *_among(ids, Barrier.job_seeker_id)), [S.JOB_SEEKER_ID, "kind"])
    barriers["kind"] = barriers["kind"].map(_value)
    open_barriers = barriers.groupby(S.JOB_SEEKER_ID)["kind"].agg(frozenset)
    people["barriers"] = people[S.JOB_SEEKER_ID].map(open_barriers).map(
        lambda b: b if isinstance(b, frozenset) else frozenset())
    people = _add_activity(session, people, as_of, ids, live=live)
    people.attrs["targets"] = targets
    return people.drop(columns=["birth_date", "education_level", "digital_autonomy", "registration_date"])


def _add_activity(session: Session, people: pd.DataFrame, as_of: date, ids: Iterable[int] | None, *,
                  live: bool) -> pd.DataFrame:
    """Online actions in the 30 days and counselor contacts in the 90 days before D: how active
    the person is, which weighs on both sides saying yes; and when the counselor can next present
    them an offer (candidates): the days since the last contact (else since registration, as the
    priority frame counts them, at most ``CONTACT_MEMORY_DAYS``) and to the next appointment
    booked."""
    start, until = midnight(as_of), midnight(as_of + timedelta(days=1 if live else 0))
    online, contact = Interaction.channel == Channel.ONLINE, _is_contact()
    activity = _frame(session, sa.select(
        Interaction.job_seeker_id,
        sa.func.count().filter(online, Interaction.occurred_at >= start - timedelta(days=30)),
        sa.func.count().filter(contact, Interaction.occurred_at >= start - timedelta(days=90)),
        sa.func.max(sa.case((contact, Interaction.occurred_at))))
        .where(Interaction.job_seeker_id.is_not(None), Interaction.occurred_at < start,
               Interaction.occurred_at >= start - timedelta(days=CONTACT_MEMORY_DAYS),
               *_among(ids, Interaction.job_seeker_id))
        .group_by(Interaction.job_seeker_id), [S.JOB_SEEKER_ID, S.ONLINE_30D, S.CONTACTS_90D, "last_contact"]
    ).set_index(S.JOB_SEEKER_ID)
    # Booked before D (live: or on D) for D or later, and not cancelled by then.
    booked = dict(session.execute(
        sa.select(Appointment.job_seeker_id, sa.func.min(Appointment.scheduled_at))
        .where(Appointment.created_at < until, Appointment.scheduled_at >= start,
               *_among(ids, Appointment.job_seeker_id),
               sa.or_(Appointment.status != AppointmentStatus.CANCELLED, Appointment.status_changed_at >= until))
        .group_by(Appointment.job_seeker_id)).all())
    person = people[S.JOB_SEEKER_ID]
    for column in (S.ONLINE_30D, S.CONTACTS_90D):
        people[column] = person.map(activity[column]).fillna(0).astype(float)
    last = pd.to_datetime(person.map(activity["last_contact"])).fillna(pd.to_datetime(people["registration_date"]))
    people[S.DAYS_SINCE_CONTACT] = _days_before(as_of, last).clip(upper=CONTACT_MEMORY_DAYS)
    people[S.DAYS_TO_APPOINTMENT] = -_days_before(as_of, person.map(booked))
    mrs = set(session.scalars(
        sa.select(SessionRegistration.job_seeker_id).distinct()
        .join(CatalogueSession, CatalogueSession.id == SessionRegistration.session_id)
        .join(CatalogueItem, CatalogueItem.id == CatalogueSession.item_id)
        .where(CatalogueItem.event_kind == EventKind.MRS_SESSION,
               SessionRegistration.status == RegistrationStatus.ATTENDED,
               CatalogueSession.starts_on >= as_of - timedelta(days=MRS_MEMORY_DAYS), CatalogueSession.starts_on < as_of,
               *_among(ids, SessionRegistration.job_seeker_id))))
    people["after_mrs"] = person.isin(mrs)
    return people


# --------------------------------------------------------------------------- pairs
def candidate_pairs(session: Session, as_of: date, *, ids: Iterable[int] | None = None,
                    context: Context | None = None, labels: bool = False,
                    kinds: Iterable[str] = S.ITEM_KINDS, chunk_size: int = 4000, live: bool = False,
                    offer_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """All candidate pairs of the people (``ids``, default every active job seeker) as of D.

    ``live``: the pages' view of today — the person's own proposals and feedback of D itself
    count too (what was proposed or set aside an hour ago is not suggested again).
    ``offer_ids``: only these offers (the candidates of one offer); ``KIND_CANDIDATES`` still counts
    every open offer the person pairs with, as in the batch the ranker learnt from."""
    return pd.concat(list(iter_candidate_pairs(session, as_of, ids=ids, context=context, labels=labels,
                                               kinds=kinds, chunk_size=chunk_size, live=live, offer_ids=offer_ids)),
                     ignore_index=True)


def iter_candidate_pairs(session: Session, as_of: date, *, ids: Iterable[int] | None = None,
                         context: Context | None = None, labels: bool = False,
                         kinds: Iterable[str] = S.ITEM_KINDS, chunk_size: int = 4000,
                         live: bool = False, offer_ids: Iterable[int] | None = None) -> Iterator[pd.DataFrame]:
    """The pairs chunk by chunk of people (a batch over everyone never holds all pairs at once)."""
    context = context or load_context(session, as_of)
    kinds = set(kinds)
    people = people_frame(session, as_of, ids=ids, context=context, live=live)
    every_offer = _open_offers(session, as_of, agencies=set(people["agency_id"]), live=live)
    people[S.TARGET_OFFERS] = _target_offers(people, every_offer)
    only = None if offer_ids is None else list(offer_ids)
    yielded = False
    for start in range(0, len(people), chunk_size):
        chunk = people.iloc[start:start + chunk_size]
        chunk.attrs["targets"] = people.attrs["targets"]
        parts, counts = [], None
        if "offer" in kinds:
            offer_pairs = _offer_pairs(chunk, every_offer, context)
            if only is not None:  # the other offers still count in KIND_CANDIDATES
                counts = _offer_counts(offer_pairs, chunk, context)
                offer_pairs = offer_pairs[offer_pairs[S.ITEM_ID].isin(only)]
            parts.append(offer_pairs)
        if "training" in kinds:
            parts.append(_training_pairs(chunk, context))
        other = kinds - {"offer", "training"}
        if other:
            parts.append(_service_pairs(chunk, context, other))
        pairs = pd.concat([p for p in parts if not p.empty] or [_empty_pairs()], ignore_index=True)
        pairs = _finish(session, pairs, chunk, context, labels=labels, live=live)
        if counts is not None:
            is_offer = pairs[S.ITEM_KIND] == "offer"
            pairs.loc[is_offer, S.KIND_CANDIDATES] = pairs.loc[is_offer, S.JOB_SEEKER_ID].map(counts).astype(float)
        yielded = True
        yield pairs
    if not yielded:
        yield _finish(session, _empty_pairs(), people, context, labels=labels, live=live)


PAIR_BASE = [S.JOB_SEEKER_ID, S.ITEM_KIND, S.ITEM_ID, S.ITEM_EXTERNAL_ID, S.ITEM_CODE, S.ITEM_ROME, "commune",
             S.SEATS_LEFT, S.DAYS_TO_START, S.ITEM_AGE_DAYS, S.SESSION_ID, "eligibility", "event_kind"]


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame({**{column: pd.Series(dtype=object) for column in PAIR_BASE},
                         **{column: pd.Series(dtype=float)
                            for column in (S.OCCUPATION_MATCH, S.ROME_DISTANCE, S.RELATED_SCORE)}})


def _target_offers(people: pd.DataFrame, offers: pd.DataFrame) -> pd.Series:
    """TARGET_OFFERS: the offers open at D in the person's agency and one of their target
    occupations — the offers competing for the person's next appointment."""
    counts = offers.groupby(["agency_id", S.ITEM_ROME]).size()
    targets = people.attrs["targets"]
    agency = targets[S.JOB_SEEKER_ID].map(people.set_index(S.JOB_SEEKER_ID)["agency_id"])
    per_target = counts.reindex(pd.MultiIndex.from_arrays([agency, targets["rome"]])).fillna(0).to_numpy()
    per_person = pd.Series(per_target).groupby(targets[S.JOB_SEEKER_ID].to_numpy()).sum()
    return people[S.JOB_SEEKER_ID].map(per_person).fillna(0).astype(float)


def _open_offers(session: Session, as_of: date, *, agencies: set[Any], live: bool = False) -> pd.DataFrame:
    """Offers open at D: created before D (live: or on D), not filled or closed before D."""
    hired = (sa.select(sa.func.count()).where(Application.offer_id == JobOffer.id,
                                              Application.status == ApplicationStatus.HIRED,
                                              Application.outcome_date < as_of).scalar_subquery())
    offers = _frame(session, sa.select(JobOffer.id, JobOffer.external_id, JobOffer.rome_code, JobOffer.commune_insee,
                                       JobOffer.positions, hired, JobOffer.created_on, JobOffer.contract_type,
                                       Employer.agency_id)
                    .join(Employer, Employer.id == JobOffer.employer_id)
                    .where(JobOffer.created_on < as_of + timedelta(days=1 if live else 0),
                           JobOffer.status != OfferStatus.DRAFT,
                           sa.or_(JobOffer.status == OfferStatus.OPEN, JobOffer.filled_on >= as_of,
                                  JobOffer.closed_on >= as_of),
                           sa.or_(JobOffer.filled_on.is_(None), JobOffer.filled_on >= as_of),
                           sa.or_(JobOffer.closed_on.is_(None), JobOffer.closed_on >= as_of),
                           Employer.agency_id.in_(agencies or {-1})),
                    [S.ITEM_ID, S.ITEM_EXTERNAL_ID, S.ITEM_ROME, "commune", "positions", "hired", "created_on",
                     "contract_type", "agency_id"])
    offers["contract_type"] = offers["contract_type"].map(_value)
    return offers.assign(**{
        S.ITEM_KIND: "offer", S.ITEM_CODE: None, S.SEATS_LEFT: (offers["positions"] - offers["hired"]).astype(float),
        S.DAYS_TO_START: np.nan, S.ITEM_AGE_DAYS: _days_before(as_of, offers["created_on"]), S.SESSION_ID: np.nan,
        "eligibility": None, "event_kind": None,
    })


def _offer_pairs(chunk: pd.DataFrame, offers: pd.DataFrame, context: Context) -> pd.DataFrame:
    # An offer can pair only in the ROME family of a target or of an occupation related to the
    # first target (ROME distance 2 at most): the agency's offers are joined on those families.
    targets = chunk.attrs["targets"]
    targets = targets.loc[targets[S.JOB_SEEKER_ID].isin(chunk[S.JOB_SEEKER_ID]), [S.JOB_SEEKER_ID, "rome"]]
    related = chunk[[S.JOB_SEEKER_ID, S.PERSON_BASSIN, S.PERSON_ROME]].merge(
        context.related, left_on=[S.PERSON_BASSIN, S.PERSON_ROME], right_on=["bassin", "rome"])
    near = pd.concat([targets, related[[S.JOB_SEEKER_ID, "related_rome"]].rename(columns={"related_rome": "rome"})])
    families = near.assign(family=near["rome"].map(context.family))[[S.JOB_SEEKER_ID, "family"]].drop_duplicates()
    offers = offers.assign(family=offers[S.ITEM_ROME].map(context.family))
    pairs = chunk[[S.JOB_SEEKER_ID, "agency_id"]].merge(families, on=S.JOB_SEEKER_ID).merge(
        offers, on=["agency_id", "family"]).drop(columns="family")
    # Contract types accepted: a person who named none accepts any.
    wanted = chunk[[S.JOB_SEEKER_ID, "contract_types"]].explode("contract_types")
    open_to_any = wanted.loc[wanted["contract_types"].isna(), S.JOB_SEEKER_ID]
    accepted = wanted.dropna()
    accepts = pairs[S.JOB_SEEKER_ID].isin(open_to_any).to_numpy().copy()
    if len(accepted):
        accepts |= pd.MultiIndex.from_arrays([pairs[S.JOB_SEEKER_ID], pairs["contract_type"]]).isin(
            pd.MultiIndex.from_frame(accepted))
    pairs = pairs[accepts]
    pairs = _with_match(pairs, chunk, context)
    return pairs[pairs[S.ROME_DISTANCE] <= 2][PAIR_BASE + [S.OCCUPATION_MATCH, S.ROME_DISTANCE, S.RELATED_SCORE]]


def _offer_counts(pairs: pd.DataFrame, chunk: pd.DataFrame, context: Context) -> pd.Series:
    """Per person, how many offers of ``pairs`` (``_offer_pairs``) they pair with within reach:
    the ``KIND_CANDIDATES`` of their offer pairs in ``_finish``, without the other features."""
    pairs = pairs[[S.JOB_SEEKER_ID, "commune"]].merge(
        chunk[[S.JOB_SEEKER_ID, "commune", S.MOBILITY_KM]].rename(columns={"commune": "person_commune"}),
        on=S.JOB_SEEKER_ID).assign(**{S.ITEM_KIND: "offer"})
    pairs = _add_distance(pairs, context)
    return pairs[_in_reach(pairs)].groupby(S.JOB_SEEKER_ID).size()


def _training_pairs(chunk: pd.DataFrame, context: Context) -> pd.DataFrame:
    trainings = context.catalogue[context.catalogue[S.ITEM_KIND] == "training"]
    romes = trainings[[S.ITEM_ID]].merge(context.item_romes, on=S.ITEM_ID).rename(columns={"rome": S.ITEM_ROME})
    # Join on the ROME domain first: a training far from every target is never a candidate.
    targets = chunk.attrs["targets"]
    targets = targets[targets[S.JOB_SEEKER_ID].isin(chunk[S.JOB_SEEKER_ID])]
    domains = targets.assign(domain=targets["rome"].str[0])[[S.JOB_SEEKER_ID, "domain"]].drop_duplicates()
    romes = romes.assign(domain=romes[S.ITEM_ROME].str[0])
    pairs = domains.merge(romes, on="domain").drop(columns="domain")
    pairs = pairs.merge(trainings.drop(columns=[S.ITEM_ROME], errors="ignore"), on=S.ITEM_ID)
    pairs = _with_match(pairs, chunk, context)
    # The training's occupation nearest the project stands for it.
    pairs = pairs.sort_values([S.JOB_SEEKER_ID, S.ITEM_ID, S.ROME_DISTANCE, S.RELATED_SCORE],
                              ascending=[True, True, True, False]).drop_duplicates([S.JOB_SEEKER_ID, S.ITEM_ID])
    pairs = pairs.assign(**{S.ITEM_AGE_DAYS: np.nan})
    return pairs[pairs[S.ROME_DISTANCE] <= 3][PAIR_BASE + [S.OCCUPATION_MATCH, S.ROME_DISTANCE, S.RELATED_SCORE]]


def _service_pairs(chunk: pd.DataFrame, context: Context, kinds: set[str]) -> pd.DataFrame:
    items = context.catalogue[context.catalogue[S.ITEM_KIND].isin(kinds)]
    pairs = chunk[[S.JOB_SEEKER_ID]].merge(items.assign(**{S.ITEM_ROME: None, S.ITEM_AGE_DAYS: np.nan}), how="cross")
    return pairs.assign(**{S.OCCUPATION_MATCH: np.nan, S.ROME_DISTANCE: np.nan, S.RELATED_SCORE: 0.0})[
        PAIR_BASE + [S.OCCUPATION_MATCH, S.ROME_DISTANCE, S.RELATED_SCORE]]


def _with_match(pairs: pd.DataFrame, chunk: pd.DataFrame, context: Context) -> pd.DataFrame:
    """OCCUPATION_MATCH, ROME_DISTANCE and RELATED_SCORE of each pair's ITEM_ROME."""
    targets = chunk.attrs["targets"][[S.JOB_SEEKER_ID, "rome", "rank"]].rename(columns={"rome": S.ITEM_ROME})
    pairs = pairs.drop(columns=["rank"], errors="ignore").merge(targets, on=[S.JOB_SEEKER_ID, S.ITEM_ROME], how="left")
    person = chunk.set_index(S.JOB_SEEKER_ID)
    first = pairs[S.JOB_SEEKER_ID].map(person[S.PERSON_ROME])
    bassin = pairs[S.JOB_SEEKER_ID].map(person[S.PERSON_BASSIN])
    related = context.related.rename(columns={"rome": "first", "related_rome": S.ITEM_ROME, "score": "related"})
    keys = ["bassin", "first", S.ITEM_ROME]
    pairs = pairs.assign(first=first, bassin=bassin).astype({key: object for key in keys})
    pairs = pairs.merge(related.astype({key: object for key in keys}), on=keys, how="left")
    family = pd.Series(context.family)
    item_rome, first = pairs[S.ITEM_ROME].astype("string"), pairs["first"].astype("string")
    same_family = (item_rome.map(family).eq(first.map(family)) & first.notna()).fillna(False).astype(bool)
    same_domain = (item_rome.str[0].eq(first.str[0]) & first.notna()).fillna(False).astype(bool)
    target, related_hit = pairs["rank"].notna(), pairs["related"].notna()
    pairs[S.OCCUPATION_MATCH] = np.select([pairs["rank"] == 1, target, related_hit, same_family],
                                          [1.0, 0.7, 0.5, 0.25], 0.0)
    pairs[S.ROME_DISTANCE] = np.select([target, related_hit, same_family, same_domain], [0.0, 1.0, 2.0, 3.0], 4.0)
    pairs[S.RELATED_SCORE] = pairs["related"].fillna(0.0).astype(float)
    return pairs.drop(columns=["rank", "first", "bassin", "related"])


# --------------------------------------------------------------------------- features and rules
def _finish(session: Session, pairs: pd.DataFrame, people: pd.DataFrame, context: Context, *,
            labels: bool, live: bool = False) -> pd.DataFrame:
    person_columns = [S.JOB_SEEKER_ID, S.EXTERNAL_ID, S.PERSON_ROME, S.PERSON_BASSIN, S.AGE_YEARS, S.AGE_BAND,
                      S.GENDER, S.DISABILITY, S.RSA, S.QPV, "commune", "barriers", "work_axes", "after_mrs",
                      "experience_months", *S.PERSON_PAIR_FEATURES, *S.AVAILABILITY_FEATURES]
    pairs = pairs.merge(people[person_columns].rename(columns={"commune": "person_commune"}), on=S.JOB_SEEKER_ID)
    pairs[S.ITEM_ID] = pairs[S.ITEM_ID].astype(int)
    pairs[S.ITEM_KEY] = pairs[S.ITEM_KIND] + ":" + pairs[S.ITEM_ID].astype(str)
    pairs = pairs[_catalogue_eligible(pairs)].copy()
    pairs = _add_distance(_choose_sessions(pairs, context), context)
    pairs = pairs[_in_reach(pairs)].copy()
    pairs[S.ITEM_SHORTAGE_PCT] = pairs[S.ITEM_ROME].map(context.shortage).astype(float)
    pairs[S.NEED_MATCH] = _need_match(pairs, people)
    pairs[S.KIND_CANDIDATES] = pairs.groupby([S.JOB_SEEKER_ID, S.ITEM_KIND])[S.ITEM_KEY].transform("size").astype(float)
    pairs[[S.PERSON_ROME, S.PERSON_BASSIN]] = pairs[[S.PERSON_ROME, S.PERSON_BASSIN]].astype(object)
    pairs = pairs.merge(context.stats, on=S.ITEM_KEY, how="left").merge(
        context.popularity, on=[S.ITEM_KEY, S.PERSON_ROME, S.PERSON_BASSIN], how="left")
    pairs = pairs.fillna({S.ITEM_PROPOSALS_365D: 0.0, S.ITEM_ACCEPTED_365D: 0.0, S.POPULARITY_OCC_BASSIN: 0.0})
    pairs[S.ITEM_ACCEPT_RATE] = pairs[S.ITEM_ACCEPT_RATE].fillna(context.stats[S.ITEM_ACCEPT_RATE].median()
                                                                 if len(context.stats) else 0.5)
    pairs[S.ITEM_SUCCESS_RATE] = pairs[S.ITEM_SUCCESS_RATE].fillna(context.stats[S.ITEM_SUCCESS_RATE].median()
                                                                   if len(context.stats) else 0.2)
    pairs = _add_history(session, pairs, context.as_of, prior=context.accept_prior,
                         until=context.as_of + timedelta(days=1) if live else context.as_of)
    # From the year before D only, live too (the model learnt it so).
    pairs[S.ITEM_KNN_SCORE] = context.item_knn.score(pairs)
    if labels:
        pairs = _add_labels(session, pairs, people, context.as_of)
    drop = ["commune", "person_commune", "eligibility", "event_kind", "barriers", "work_axes", "experience_months",
            "after_mrs"]
    return pairs.drop(columns=drop).reset_index(drop=True)


def _catalogue_eligible(pairs: pd.DataFrame) -> np.ndarray:
    """The catalogue's own eligibility data the recommender does not know (education,
    experience, months registered, barriers, pass IAE). RQTH, RSA and age come as columns
    (ITEM_REQUIRES, ITEM_MAX_AGE) for ``recommender/eligibility.py``. Rules are per item:
    each item's are read once and applied to all its pairs at once."""
    keep = np.ones(len(pairs), dtype=bool)
    max_age = np.full(len(pairs), np.nan)
    requires: dict[str, tuple[str, ...]] = {}
    education, experience = pairs[S.EDUCATION_RANK].to_numpy(), pairs["experience_months"].to_numpy()
    months, rsa = pairs[S.MONTHS_REGISTERED].to_numpy(), pairs[S.RSA].to_numpy()
    barriers = pairs["barriers"].to_numpy()
    for key, rows in pairs.groupby(S.ITEM_KEY, sort=False).indices.items():
        rules = pairs["eligibility"].iat[rows[0]] or {}
        if not rules:
            continue
        if "max_age" in rules:
            max_age[rows] = float(rules["max_age"])
        requires[key] = tuple(r for r in rules.get("requires", ()) if r in ("rqth", "rsa"))
        ok = (experience[rows] >= rules.get("min_experience_months", 0)) & (
            months[rows] >= rules.get("min_unemployment_months", 0))
        if "min_education" in rules:
            ok &= education[rows] >= EDUCATION_ORDER.index(rules["min_education"])
        if "barriers" in rules:
            wanted = set(rules["barriers"])
            ok &= np.fromiter((bool(wanted & b) for b in barriers[rows]), dtype=bool, count=len(rows))
        if "pass_iae" in rules.get("requires", ()):
            ok &= np.fromiter((len(b) >= 2 for b in barriers[rows]), dtype=bool, count=len(rows)) | (rsa[rows] == 1)
        keep[rows] = ok
    pairs[S.ITEM_MAX_AGE] = max_age
    pairs[S.ITEM_REQUIRES] = [requires.get(key, ()) for key in pairs[S.ITEM_KEY]]
    return keep


def _reach(pairs: pd.DataFrame) -> pd.Series:
    return np.maximum(pairs[S.MOBILITY_KM].fillna(MIN_REACH_KM), MIN_REACH_KM) * REACH_FACTOR


def _in_reach(pairs: pd.DataFrame) -> pd.Series:
    """Within reach (``_reach``) or of unknown distance; partner services wherever they are."""
    return (pairs[S.DISTANCE_KM].isna() | (pairs[S.DISTANCE_KM] <= _reach(pairs))
            | (pairs[S.ITEM_KIND] == "partner_service"))


def _coordinates(codes: pd.Series, context: Context) -> tuple[np.ndarray, np.ndarray]:
    points = codes.map(context.places)
    lat = np.array([p[0] if isinstance(p, tuple) else np.nan for p in points], dtype=float)
    lon = np.array([p[1] if isinstance(p, tuple) else np.nan for p in points], dtype=float)
    return lat, lon


def _add_distance(pairs: pd.DataFrame, context: Context) -> pd.DataFrame:
    (plat, plon), (ilat, ilon) = _coordinates(pairs["person_commune"], context), _coordinates(pairs["commune"], context)
    pairs[S.DISTANCE_KM] = np.round(_haversine(plat, plon, ilat, ilon), 1)
    pairs[S.BEYOND_MOBILITY] = (pairs[S.DISTANCE_KM] > pairs[S.MOBILITY_KM]).astype(int)
    return pairs


TRAINING_AXES = frozenset({"Se former", "Adapter ses compétences au marché"})


def _need_match(pairs: pd.DataFrame, people: pd.DataFrame) -> np.ndarray:
    """1 where the item answers a need of the person: a workshop, prestation or event its work
    axes call for (``NEEDS``), « Rebond » after an MRS session, a training when the plan is to
    train, a partner service whose eligibility targets the person's situation."""
    axes = people.set_index(S.JOB_SEEKER_ID)["work_axes"].map(lambda a: frozenset(a or ()))
    wants_training = pairs[S.JOB_SEEKER_ID].map(axes.map(lambda a: bool(a & TRAINING_AXES))).to_numpy(dtype=bool)
    needed = pd.MultiIndex.from_tuples([(person, code) for person, person_axes in axes.items()
                                        for axis in person_axes for code in NEEDS.get(axis, ())],
                                       names=[S.JOB_SEEKER_ID, S.ITEM_CODE]) if len(axes) else None
    asked = (pd.MultiIndex.from_arrays([pairs[S.JOB_SEEKER_ID], pairs[S.ITEM_CODE]]).isin(needed)
             if needed is not None and len(needed) else np.zeros(len(pairs), dtype=bool))
    first = pairs.drop_duplicates(S.ITEM_KEY)
    targeted = {key: bool(rules and (rules.get("barriers") or rules.get("requires") or "max_age" in rules))
                for key, rules in zip(first[S.ITEM_KEY], first["eligibility"])}
    kind = pairs[S.ITEM_KIND].to_numpy()
    need = np.select(
        [pairs["after_mrs"].to_numpy(dtype=bool) & pairs[S.ITEM_CODE].isin(AFTER_MRS).to_numpy(),
         kind == "offer", kind == "training", kind == "partner_service"],
        [True, False, wants_training, pairs[S.ITEM_KEY].map(targeted).to_numpy(dtype=bool)], asked)
    return need.astype(int)


def _add_history(session: Session, pairs: pd.DataFrame, as_of: date, *, until: date, prior: float) -> pd.DataFrame:
    """What the person did with each item before ``until`` (D, or D + 1 day live: done, in
    progress, declined, prescribed; a mise en relation on an offer counts as done), their
    acceptance rate (smoothed toward ``prior``, the same for everyone) and open applications;
    read for the people of ``pairs`` only."""
    ids = pairs[S.JOB_SEEKER_ID].unique().tolist()
    past = _as_known_before(_proposals_before(session, date(1900, 1, 1), until, ids=ids), until)
    # Done: entered, completed or hired through it (or put forward for the offer, below); in
    # progress: proposed and accepted or still awaiting an answer.
    done_on = pd.to_datetime(past["outcome_on"]).where(past["outcome"].isin([o.value for o in DONE_OUTCOMES]))
    in_progress = past["response"].isin([ProposalResponse.PENDING.value, ProposalResponse.ACCEPTED.value])
    in_progress_on = pd.to_datetime(past["proposed_at"]).where(in_progress)
    declined_on = pd.to_datetime(past["responded_at"]).where(past["response"] == ProposalResponse.DECLINED.value)
    never_entered_closed = past["outcome_on"].notna() & past["started_on"].isna() & (past["outcome"] == "none")
    blocking = (past["prescribed_at"].notna() & (past["response"] != ProposalResponse.DECLINED.value)
                & ~never_entered_closed & (past[S.ITEM_KIND] == "training"))
    per_pair = past.assign(done=done_on, in_progress=in_progress_on, declined=declined_on,
                           blocking=blocking.astype(int)).groupby([S.JOB_SEEKER_ID, S.ITEM_KEY]).agg(
        done=("done", "max"), in_progress=("in_progress", "max"), declined=("declined", "max"),
        blocking=("blocking", "max"), proposed=("blocking", "size")).reset_index()
    applications = _applications(session, ids, until)
    put_forward = applications.assign(**{S.ITEM_KEY: "offer:" + applications[S.ITEM_ID].astype(str)}).groupby(
        [S.JOB_SEEKER_ID, S.ITEM_KEY])["put_forward"].max().reset_index()
    feedback = _frame(session, sa.select(Feedback.job_seeker_id, Feedback.item_kind, Feedback.offer_id,
                                         Feedback.catalogue_item_id, Feedback.at)
                      .where(Feedback.action == FeedbackAction.NOT_RELEVANT, Feedback.at < midnight(until),
                             Feedback.job_seeker_id.in_(ids)),
                      [S.JOB_SEEKER_ID, S.ITEM_KIND, "offer_id", "catalogue_item_id", "refused"])
    if not feedback.empty:
        feedback[S.ITEM_KEY] = [_item_key(k, o, c) for k, o, c in zip(feedback[S.ITEM_KIND], feedback["offer_id"],
                                                                       feedback["catalogue_item_id"])]
        feedback = feedback.groupby([S.JOB_SEEKER_ID, S.ITEM_KEY])["refused"].max().reset_index()
    else:
        feedback = pd.DataFrame(columns=[S.JOB_SEEKER_ID, S.ITEM_KEY, "refused"])
    for frame in (per_pair, feedback, put_forward):
        frame[S.ITEM_KEY] = frame[S.ITEM_KEY].astype(object)
        frame[S.JOB_SEEKER_ID] = frame[S.JOB_SEEKER_ID].astype("int64")
    pairs = pairs.merge(per_pair, on=[S.JOB_SEEKER_ID, S.ITEM_KEY], how="left").merge(
        feedback, on=[S.JOB_SEEKER_ID, S.ITEM_KEY], how="left").merge(put_forward, on=[S.JOB_SEEKER_ID, S.ITEM_KEY],
                                                                     how="left")
    declined = pd.concat([pd.to_datetime(pairs["declined"]), pd.to_datetime(pairs["refused"])], axis=1).max(axis=1)
    done = pd.concat([pd.to_datetime(pairs["done"]), pd.to_datetime(pairs["put_forward"])], axis=1).max(axis=1)
    pairs[S.DAYS_SINCE_DONE] = _days_before(as_of, done).clip(lower=0)
    pairs[S.DAYS_SINCE_IN_PROGRESS] = _days_before(as_of, pairs["in_progress"]).clip(lower=0)
    pairs[S.DAYS_SINCE_DECLINED] = _days_before(as_of, declined).clip(lower=0)
    pairs[S.BLOCKING_PRESCRIPTION] = pairs["blocking"].fillna(0).astype(int)
    pairs[S.ITEM_PREVIOUSLY_PROPOSED] = pairs["proposed"].notna().astype(int)
    answered = past[past["response"] != ProposalResponse.PENDING.value]
    rates = (answered.assign(accepted=answered["response"] == ProposalResponse.ACCEPTED.value)
             .groupby(S.JOB_SEEKER_ID)["accepted"].agg(n="size", acc="sum"))
    person_rate = (rates["acc"] + SMOOTHING * prior) / (rates["n"] + SMOOTHING)
    pairs[S.PERSON_ACCEPT_RATE] = pairs[S.JOB_SEEKER_ID].map(person_rate).fillna(prior).astype(float)
    open_at_d = _open_at(applications, as_of)
    pairs[S.PERSON_OPEN_APPLICATIONS] = pairs[S.JOB_SEEKER_ID].map(open_at_d).fillna(0).astype(float)
    return pairs.drop(columns=["done", "in_progress", "declined", "blocking", "proposed", "refused", "put_forward"])


def _applications(session: Session, ids: list[Any], until: date) -> pd.DataFrame:
    """The mises en relation of these people made before ``until``: who, which offer, when."""
    return _frame(session, sa.select(Application.job_seeker_id, Application.offer_id, Application.created_at,
                                     Application.status, Application.outcome_date)
                  .where(Application.job_seeker_id.in_(ids), Application.created_at < midnight(until)),
                  [S.JOB_SEEKER_ID, S.ITEM_ID, "put_forward", "status", "outcome_date"])


def _open_at(applications: pd.DataFrame, as_of: date) -> pd.Series:
    """Per person, the mises en relation in progress at D: made before D, still open or closed since."""
    day = pd.Timestamp(as_of)
    still_open = applications["status"].map(_value).isin([s.value for s in OPEN_APPLICATION]) | (
        pd.to_datetime(applications["outcome_date"]) >= day)
    return applications.loc[(pd.to_datetime(applications["put_forward"]) < day) & still_open].groupby(
        S.JOB_SEEKER_ID).size()


def _add_labels(session: Session, pairs: pd.DataFrame, people: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """LABEL_RELEVANCE: 1 proposed and accepted in [D, D + 60 days), 2 then entered, completed or hired."""
    window = _proposals_before(session, as_of, as_of + timedelta(days=S.RECOMMENDATION_WINDOW_DAYS),
                               ids=people[S.JOB_SEEKER_ID].tolist())
    accepted = window[window["response"] == ProposalResponse.ACCEPTED.value]
    relevance = np.where(accepted["outcome"].isin([o.value for o in DONE_OUTCOMES]), 2, 1)
    labels = (accepted.assign(**{S.LABEL_RELEVANCE: relevance})
              .groupby([S.JOB_SEEKER_ID, S.ITEM_KEY])[S.LABEL_RELEVANCE].max().reset_index())
    pairs = pairs.merge(labels, on=[S.JOB_SEEKER_ID, S.ITEM_KEY], how="left")
    pairs[S.LABEL_RELEVANCE] = pairs[S.LABEL_RELEVANCE].fillna(0).astype(int)
    return pairs


def proposed_people(session: Session, as_of: date) -> list[int]:
    """People with at least one proposal answered in [D, D + 60 days): the rows a ranking learns from."""
    return list(session.scalars(sa.select(Proposal.job_seeker_id).distinct().where(
        Proposal.proposed_at >= midnight(as_of),
        Proposal.proposed_at < midnight(as_of + timedelta(days=S.RECOMMENDATION_WINDOW_DAYS)))))


def history_pairs(session: Session, as_of: date, *, days: int = STATS_DAYS) -> pd.DataFrame:
    """(JOB_SEEKER_ID, ITEM_KEY) of the proposals in the year before D, for the item-kNN baseline."""
    rows = _proposals_before(session, as_of - timedelta(days=days), as_of)
    return rows[[S.JOB_SEEKER_ID, S.ITEM_KEY, "response"]]


def with_candidate_labels(session: Session, pairs: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Offer pairs labelled from the offer's side: 1 put forward in [D, D + 60 days), 2 interview or hired."""
    rows = _frame(session, sa.select(Application.job_seeker_id, Application.offer_id, Application.status)
                  .where(Application.created_at >= midnight(as_of),
                         Application.created_at < midnight(as_of + timedelta(days=S.RECOMMENDATION_WINDOW_DAYS))),
                  [S.JOB_SEEKER_ID, S.ITEM_ID, "status"])
    rows[S.LABEL_RELEVANCE] = np.where(rows["status"].map(_value).isin(["interview", "hired"]), 2, 1)
    labels = rows.groupby([S.JOB_SEEKER_ID, S.ITEM_ID])[S.LABEL_RELEVANCE].max().reset_index()
    pairs = pairs.drop(columns=[S.LABEL_RELEVANCE], errors="ignore").merge(labels, on=[S.JOB_SEEKER_ID, S.ITEM_ID],
                                                                           how="left")
    pairs[S.LABEL_RELEVANCE] = pairs[S.LABEL_RELEVANCE].fillna(0).astype(int)
    return pairs

"""What to propose to a job seeker, and which candidates for an offer.

Both are read from the nightly batch (``recommender recommend``: ``StoredRecommendation``,
``StoredCandidate``) without what changed since — items proposed or set aside, offers closed,
people no longer active or already put forward; a person or an offer the batch has not seen
(registered or created since) is served on the fly.

The pairs come from ``candidates.py`` (the shared part of the catalogue is loaded once per
day and process, ``CONTEXT_TTL_SECONDS``), the eligibility rules and the ranking from
``recommender/``: the published ``recommendations`` / ``candidates`` models when there are
some, else the rule baseline « same ROME within the mobility radius, nearest first ».

« Proposer » records a proposal (source ``recommender``, the reasons as its arguments) and
the interaction that traces it; « Pas pertinent » and « Écarter » record feedback with a
reason. Services take the acting user explicitly, flush, never commit.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l

from crm.audit import services as audit
from crm.catalogue.models import CatalogueItem, CatalogueSession
from crm.db import utcnow
from crm.enums import ItemKind
from crm.errors import DomainError, clean_text
from crm.extensions import db
from crm.interactions import services as timeline
from crm.concurrency import check_version
from crm.interactions.models import (
    Channel, Direction, Feedback, FeedbackAction, FeedbackContext, InteractionKind, InteractionOutcome, Proposal,
    ProposalOutcome, ProposalResponse, ProposalSource,
)
from crm.jobseekers.models import JobSeeker, JobSeekerStatus
from crm.jobseekers.services import require_active
from crm.modelregistry.models import ModelKind, ModelVersion, StoredCandidate, StoredRecommendation
from crm.offers.models import JobOffer, OfferStatus
from crm.priority.reasons import reason_text
from crm.recommendations import candidates as C
from crm.referentials.models import RelatedOccupation, RomeOccupation
from recommender import artifacts
from recommender import schema as S

CONTEXT_TTL_SECONDS = 600
PER_KIND = 3
CANDIDATES_SHOWN = 10
ENOUGH_EXACT_CANDIDATES = 50
MAX_COMMENT_LENGTH = 500

KIND_TITLES: dict[str, Any] = {
    "offer": _l("Offres d'emploi"),
    "training": _l("Formations"),
    "workshop": _l("Ateliers"),
    "prestation": _l("Prestations"),
    "partner_service": _l("Services partenaires"),
    "event": _l("Événements"),
}
OTHER = "other"
NOT_RELEVANT_REASONS: dict[str, Any] = {
    "already_done": _l("Déjà fait ou déjà en cours"),
    "project_mismatch": _l("Ne correspond pas au projet"),
    "too_far": _l("Trop loin ou pas accessible"),
    "not_now": _l("Pas le bon moment"),
    "person_refused": _l("La personne n'en veut pas"),
    OTHER: _l("Autre"),
}
DISCARD_REASONS: dict[str, Any] = {
    "profile_mismatch": _l("Profil inadapté"),
    "unavailable": _l("Pas disponible"),
    "too_far": _l("Trop loin"),
    "already_busy": _l("Déjà d'autres candidatures en cours"),
    OTHER: _l("Autre"),
}


# --------------------------------------------------------------------------- shared, per process
_cache: dict[tuple[str, date], tuple[float, C.Context]] = {}
_models: dict[int, Any] = {}
_lock = threading.Lock()


def context_for(day: date) -> C.Context:
    """The catalogue context of ``day``, loaded at most every ``CONTEXT_TTL_SECONDS`` per process."""
    key = (str(db.engine.url), day)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < CONTEXT_TTL_SECONDS:
            return hit[1]
    context = C.load_context(db.session, day)
    with _lock:
        if len(_cache) > 4:  # yesterday's and other databases' contexts go
            _cache.clear()
        _cache[key] = (time.monotonic(), context)
    return context


def forget_context() -> None:
    with _lock:
        _cache.clear()


def published_model(kind: ModelKind) -> tuple[ModelVersion | None, Any]:
    """The published model of ``kind`` and its estimator (loaded once per process), or (None, None)."""
    from crm.scoring.pipeline import published

    version = published(db.session, kind)
    if version is None or not version.artifact_path:
        return None, None
    if version.id not in _models:
        try:
            _models[version.id] = artifacts.load(Path(version.artifact_path))[0]
        except artifacts.ArtifactError:
            return None, None
    return version, _models[version.id]


# --------------------------------------------------------------------------- job seeker widget
@dataclass
class Recommendation:
    kind: str
    item_id: int
    title: str
    score: float
    reasons: list[dict[str, Any]]  # the stored form of recommender.reasons.Reason
    out_of_project: bool
    detail: str = ""
    session_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.item_id}"

    def reason_texts(self) -> list[str]:
        return [reason_text(reason) for reason in self.reasons]


@dataclass
class Recommendations:
    by_kind: dict[str, list[Recommendation]] = field(default_factory=dict)
    model_version: ModelVersion | None = None

    @property
    def empty(self) -> bool:
        return not any(self.by_kind.values())


class RuleModel:
    """The ranking without a published model: the rule « same ROME within the mobility radius,
    nearest first », then what answers the action plan's needs, then what is often accepted."""

    def predict_relevance(self, pairs: pd.DataFrame) -> Any:
        from recommender.proposals import lexicographic_score, same_rome_nearest

        return lexicographic_score({"rule": same_rome_nearest(pairs), "need": pairs[S.NEED_MATCH],
                                    "popular": pairs[S.POPULARITY_OCC_BASSIN],
                                    "accepted": pairs[S.ITEM_ACCEPT_RATE]})

    def score(self, pairs: pd.DataFrame, persons: Any = None) -> pd.DataFrame:
        relevance = self.predict_relevance(pairs)
        return pd.DataFrame({S.RELEVANCE: relevance, S.TRAINING_GAIN: float("nan"),
                             S.RECOMMENDATION_SCORE: relevance}, index=pairs.index)


def rank_pairs(pairs: pd.DataFrame, *, model: Any, k: int, per_kind: int) -> pd.DataFrame:
    """Eligible pairs ranked per person (the published model, or the rule baseline)."""
    from recommender.proposals import recommend

    return recommend(pairs, model or RuleModel(), k=k, per_kind=per_kind)


def recommendations_for(job_seeker: JobSeeker, *, today: date, per_kind: int = PER_KIND) -> Recommendations:
    """The nightly batch's rows still valid today, else computed on the fly; nothing for someone
    no longer registered."""
    if job_seeker.status != JobSeekerStatus.ACTIVE:
        return Recommendations()
    stored = stored_recommendations(job_seeker, per_kind=per_kind)
    return stored if stored is not None else live_recommendations(job_seeker, today=today, per_kind=per_kind)


def stored_recommendations(job_seeker: JobSeeker, *, per_kind: int = PER_KIND) -> Recommendations | None:
    """The stored rows (``recommender recommend``) without what was proposed or set aside since,
    offers no longer open and items no longer offered; None when the batch has none for the person."""
    rows = db.session.scalars(db.select(StoredRecommendation).where(StoredRecommendation.job_seeker_id == job_seeker.id)
                              .order_by(StoredRecommendation.rank)).all()
    if not rows:
        return None
    since = datetime.combine(rows[0].computed_on, datetime.min.time())
    gone = {(kind.value, offer_id or item_id) for kind, offer_id, item_id in db.session.execute(
        db.select(Proposal.item_kind, Proposal.offer_id, Proposal.catalogue_item_id)
        .where(Proposal.job_seeker_id == job_seeker.id, Proposal.proposed_at >= since)
        .union_all(db.select(Feedback.item_kind, Feedback.offer_id, Feedback.catalogue_item_id)
                   .where(Feedback.job_seeker_id == job_seeker.id, Feedback.at >= since,
                          Feedback.action == FeedbackAction.NOT_RELEVANT, Feedback.item_kind.is_not(None)))).all()}
    offers = _objects(JobOffer, pd.Series([r.offer_id for r in rows if r.offer_id]))
    items = _objects(CatalogueItem, pd.Series([r.catalogue_item_id for r in rows if r.catalogue_item_id]))
    result = Recommendations(by_kind={kind: [] for kind in S.ITEM_KINDS},
                             model_version=rows[0].model_version_id and db.session.get(ModelVersion,
                                                                                       rows[0].model_version_id))
    for row in rows:
        item_id = row.offer_id or row.catalogue_item_id
        target = offers.get(item_id) if row.offer_id else items.get(item_id)
        if (target is None or (row.item_kind, item_id) in gone or len(result.by_kind[row.item_kind]) >= per_kind
                or (row.offer_id and target.status != OfferStatus.OPEN) or (row.catalogue_item_id and not target.active)):
            continue
        result.by_kind[row.item_kind].append(Recommendation(
            kind=row.item_kind, item_id=item_id, title=target.title, score=row.score,
            reasons=list(row.reasons),
            out_of_project=row.out_of_project, detail=_detail(target), session_id=row.session_id))
    return result


def live_recommendations(job_seeker: JobSeeker, *, today: date, per_kind: int = PER_KIND) -> Recommendations:
    context = context_for(today)
    pairs = C.candidate_pairs(db.session, today, ids=[job_seeker.id], context=context, live=True)
    version, model = published_model(ModelKind.RECOMMENDATIONS)
    ranked = rank_pairs(pairs, model=model, k=per_kind * len(S.ITEM_KINDS), per_kind=per_kind)
    result = Recommendations(by_kind={kind: [] for kind in S.ITEM_KINDS}, model_version=version)
    offers = _objects(JobOffer, ranked.loc[ranked[S.ITEM_KIND] == "offer", S.ITEM_ID])
    items = _objects(CatalogueItem, ranked.loc[ranked[S.ITEM_KIND] != "offer", S.ITEM_ID])
    sessions = dict(zip(pairs[S.ITEM_KEY], pairs[S.SESSION_ID]))
    for row in ranked.itertuples(index=False):
        kind, item_id = getattr(row, S.ITEM_KIND), int(getattr(row, S.ITEM_ID))
        target = offers.get(item_id) if kind == "offer" else items.get(item_id)
        if target is None:
            continue
        session_id = sessions.get(f"{kind}:{item_id}")
        result.by_kind[kind].append(Recommendation(
            kind=kind, item_id=item_id, title=target.title, score=float(getattr(row, S.RECOMMENDATION_SCORE)),
            reasons=[reason.to_dict() for reason in getattr(row, S.REASONS)],
            out_of_project=bool(getattr(row, S.OUT_OF_PROJECT, 0)),
            detail=_detail(target), session_id=None if session_id is None or pd.isna(session_id) else int(session_id)))
    return result


def _objects(model: Any, ids: pd.Series) -> dict[int, Any]:
    wanted = {int(i) for i in ids}
    if not wanted:
        return {}
    return {obj.id: obj for obj in db.session.scalars(db.select(model).where(model.id.in_(wanted)))}


def _detail(target: Any) -> str:
    if isinstance(target, JobOffer):
        return " · ".join(x for x in (target.employer.name if target.employer else "",
                                      target.commune.name if target.commune else "") if x)
    return target.provider or ""


def _item(kind: str, item_id: int) -> tuple[JobOffer | None, CatalogueItem | None]:
    if kind == "offer":
        offer = db.session.get(JobOffer, item_id)
        if offer is None:
            raise DomainError(_l("Cette offre n'existe plus."), code="recommendation.item")
        return offer, None
    item = db.session.get(CatalogueItem, item_id)
    if item is None or item.kind.value != kind:
        raise DomainError(_l("Cet élément du catalogue n'existe plus."), code="recommendation.item")
    return None, item


def _kind(value: str) -> ItemKind:
    if value not in S.ITEM_KINDS:
        raise DomainError(_l("Nature de proposition inconnue."), code="recommendation.kind", field="item_kind")
    return ItemKind(value)


def propose(*, author: Any, job_seeker: JobSeeker, item_kind: str, item_id: int, arguments: list[str],
            session_id: int | None = None, now: datetime | None = None) -> Proposal:
    """« Proposer »: the proposal (source recommender, the reasons as arguments) and its interaction;
    refused for someone no longer registered."""
    require_active(job_seeker)
    now = now or utcnow()
    kind = _kind(item_kind)
    offer, item = _item(item_kind, item_id)
    session = db.session.get(CatalogueSession, session_id) if session_id and item is not None else None
    proposal = timeline.record_proposal(author=author, job_seeker=job_seeker, item_kind=kind, offer=offer,
                                        catalogue_item=item, session=session, arguments=arguments,
                                        source=ProposalSource.RECOMMENDER, now=now)
    timeline.log_interaction(author=author, job_seeker=job_seeker, channel=Channel.IN_PERSON,
                             kind=InteractionKind.PROPOSAL, outcome=InteractionOutcome.DONE,
                             direction=Direction.OUTBOUND, notes=(offer or item).title, occurred_at=now,
                             offer_id=offer.id if offer else None, catalogue_item_id=item.id if item else None,
                             now=now)
    return proposal


def not_relevant(*, author: Any, job_seeker: JobSeeker, item_kind: str, item_id: int, reason: str,
                 comment: str | None = None, model_version_id: int | None = None) -> Feedback:
    """« Pas pertinent »: feedback with a reason; the item leaves the person's recommendations."""
    kind = _kind(item_kind)
    offer, item = _item(item_kind, item_id)
    text = _reason_and_comment(reason, comment, NOT_RELEVANT_REASONS, code="recommendation_feedback")
    feedback = Feedback(user_id=author.id, context=FeedbackContext.RECOMMENDATION,
                        action=FeedbackAction.NOT_RELEVANT, reason=reason, comment=text or None,
                        job_seeker_id=job_seeker.id, item_kind=kind, offer_id=offer.id if offer else None,
                        catalogue_item_id=item.id if item else None, model_version_id=model_version_id)
    db.session.add(feedback)
    db.session.flush()
    audit.record(user=author, action="recommendation.not_relevant", entity=feedback,
                 details={"item": f"{item_kind}:{item_id}", "reason": reason})
    return feedback


def _reason_and_comment(reason: str, comment: str | None, reasons: dict[str, Any], *, code: str) -> str:
    if reason not in reasons:
        raise DomainError(_l("Choisissez un motif."), code=f"{code}.reason", field="reason")
    return clean_text(comment, max_length=MAX_COMMENT_LENGTH, code=f"{code}.comment", field="comment",
                      too_long=_l("Le commentaire est limité à %(max)s caractères.", max=MAX_COMMENT_LENGTH),
                      required=_l("Précisez le motif.") if reason == OTHER else None)


# --------------------------------------------------------------------------- follow-up of proposals
FOLLOW_UP_DAYS = 90
# What can follow an accepted proposal, per kind (trainings go through their funnel: prescribed,
# entered, completed; offers through the mise en relation, whose hire closes the loop).
OUTCOMES: dict[str, tuple[ProposalOutcome, ...]] = {
    "workshop": (ProposalOutcome.ENTERED, ProposalOutcome.COMPLETED),
    "prestation": (ProposalOutcome.ENTERED, ProposalOutcome.COMPLETED),
    "partner_service": (ProposalOutcome.ENTERED, ProposalOutcome.COMPLETED),
    "event": (ProposalOutcome.ENTERED, ProposalOutcome.HIRED),
}


def recent_proposals(job_seeker: JobSeeker, *, now: datetime | None = None) -> list[Proposal]:
    """The person's proposals of the last ``FOLLOW_UP_DAYS`` days, newest first."""
    since = (now or utcnow()) - timedelta(days=FOLLOW_UP_DAYS)
    return list(db.session.scalars(db.select(Proposal).where(Proposal.job_seeker_id == job_seeker.id,
                                                             Proposal.proposed_at >= since)
                                   .order_by(Proposal.proposed_at.desc(), Proposal.id.desc())))


def record_outcome(*, author: Any, proposal: Proposal, expected_version: int | str | None,
                   outcome: ProposalOutcome, today: date) -> Proposal:
    """What followed an accepted workshop, prestation, partner service or event: entered,
    completed (or hired, after an event); the next training reads it."""
    check_version(proposal, expected_version)
    allowed = OUTCOMES.get(proposal.item_kind.value, ())
    if outcome not in allowed:
        raise DomainError(_l("Cette suite ne s'enregistre pas pour cette proposition."), code="proposal.outcome",
                          field="outcome")
    if proposal.response != ProposalResponse.ACCEPTED:
        raise DomainError(_l("Enregistrez d'abord que la personne a accepté."), code="proposal.not_accepted",
                          field="outcome")
    proposal.outcome, proposal.outcome_on = outcome, today
    db.session.flush()
    audit.record(user=author, action="proposal.outcome", entity=proposal, details={"outcome": outcome.value})
    return proposal


# --------------------------------------------------------------------------- candidates of an offer
@dataclass
class CandidateRow:
    job_seeker: JobSeeker
    score: float
    reasons: list[dict[str, Any]]  # the stored form of recommender.reasons.Reason
    distance_km: float | None

    def reason_texts(self) -> list[str]:
        return [reason_text(reason) for reason in self.reasons]


def offer_candidates(offer: JobOffer, *, today: date, visible: Any, k: int = CANDIDATES_SHOWN
                     ) -> tuple[list[CandidateRow], ModelVersion | None]:
    """Ranked candidates for an open offer among the active job seekers of its agency that
    ``visible`` (a WHERE clause on JobSeeker) lets the user read, without those already put
    forward or set aside for it: the nightly batch's list when it has one for the offer, else
    computed on the fly."""
    stored = stored_candidates(offer, visible=visible, k=k)
    return stored if stored is not None else live_candidates(offer, today=today, visible=visible, k=k)


def _excluded(offer: JobOffer) -> Any:
    """The people already put forward or set aside for the offer, or who declined it or found it
    not relevant (a proposal in progress keeps its candidate: the batch's list may be older)."""
    from crm.offers.models import Application

    return db.select(Application.job_seeker_id).where(Application.offer_id == offer.id).union(
        db.select(Feedback.job_seeker_id).where(Feedback.offer_id == offer.id, Feedback.action.in_(
            (FeedbackAction.DISCARD, FeedbackAction.NOT_RELEVANT))),
        db.select(Proposal.job_seeker_id).where(Proposal.offer_id == offer.id,
                                                Proposal.response == ProposalResponse.DECLINED))


def stored_candidates(offer: JobOffer, *, visible: Any, k: int = CANDIDATES_SHOWN
                      ) -> tuple[list[CandidateRow], ModelVersion | None] | None:
    """The batch's candidates (``recommender recommend``) still active and not put forward or set
    aside since; None when the batch has no list for the offer."""
    first = db.session.execute(db.select(StoredCandidate.model_version_id).where(StoredCandidate.offer_id == offer.id)
                               .limit(1)).first()
    if first is None:
        return None
    found = db.session.execute(
        db.select(StoredCandidate, JobSeeker).join(JobSeeker, JobSeeker.id == StoredCandidate.job_seeker_id)
        .where(StoredCandidate.offer_id == offer.id, visible, JobSeeker.status == JobSeekerStatus.ACTIVE,
               JobSeeker.anonymised_at.is_(None), JobSeeker.agency_id == offer.employer.agency_id,
               JobSeeker.id.not_in(_excluded(offer)))
        .order_by(StoredCandidate.rank).limit(k)).all()
    rows = [CandidateRow(job_seeker=person, score=row.score, distance_km=row.distance_km,
                         reasons=list(row.reasons))
            for row, person in found]
    return rows, first.model_version_id and db.session.get(ModelVersion, first.model_version_id)


def live_candidates(offer: JobOffer, *, today: date, visible: Any, k: int = CANDIDATES_SHOWN
                    ) -> tuple[list[CandidateRow], ModelVersion | None]:
    from recommender.proposals import rank_candidates

    context = context_for(today)
    # Only people whose targets can match the offer (same ROME family, or an occupation the offer's
    # is related to in some bassin) can be candidates: the pairs are built for them alone.
    family = db.select(RomeOccupation.code).where(RomeOccupation.family_code == db.select(
        RomeOccupation.family_code).where(RomeOccupation.code == offer.rome_code).scalar_subquery())
    related = db.select(RelatedOccupation.rome_code).where(RelatedOccupation.related_rome_code == offer.rome_code)
    pool = db.session.execute(db.select(JobSeeker.id, C.JobSeekerTarget.rome_code == offer.rome_code)
                              .join(C.JobSeekerTarget, C.JobSeekerTarget.job_seeker_id == JobSeeker.id)
                              .where(visible, JobSeeker.agency_id == offer.employer.agency_id,
                                     JobSeeker.status == JobSeekerStatus.ACTIVE, JobSeeker.id.not_in(_excluded(offer)),
                                     C.JobSeekerTarget.rome_code.in_(family.union(related)))).all()
    exact = {person_id for person_id, same in pool if same}
    # Enough people seek the offer's very occupation: the pool is theirs (the ranking would put
    # them first anyway), which keeps the panel fast in a large agency.
    ids = sorted(exact) if len(exact) >= ENOUGH_EXACT_CANDIDATES else sorted({person_id for person_id, _ in pool})
    pairs = C.candidate_pairs(db.session, today, ids=ids, context=context, kinds=("offer",), live=True,
                              offer_ids=[offer.id])
    version, model = published_model(ModelKind.CANDIDATES)
    ranked = rank_candidates(pairs, model or RuleModel(), k=k).merge(
        pairs[[S.JOB_SEEKER_ID, S.DISTANCE_KM]], on=S.JOB_SEEKER_ID, how="left")
    people = _objects(JobSeeker, ranked[S.JOB_SEEKER_ID])
    rows = [CandidateRow(job_seeker=people[int(r[S.JOB_SEEKER_ID])], score=float(r[S.RECOMMENDATION_SCORE]),
                         reasons=[reason.to_dict() for reason in r[S.REASONS]],
                         distance_km=None if pd.isna(r[S.DISTANCE_KM]) else float(r[S.DISTANCE_KM]))
            for _, r in ranked.iterrows() if int(r[S.JOB_SEEKER_ID]) in people]
    return rows, version


def discard_candidate(*, author: Any, offer: JobOffer, job_seeker: JobSeeker, reason: str,
                      comment: str | None = None, model_version_id: int | None = None) -> Feedback:
    """« Écarter »: the candidate leaves this offer's list, with a reason."""
    text = _reason_and_comment(reason, comment, DISCARD_REASONS, code="candidate_feedback")
    feedback = Feedback(user_id=author.id, context=FeedbackContext.CANDIDATE, action=FeedbackAction.DISCARD,
                        reason=reason, comment=text or None, job_seeker_id=job_seeker.id, offer_id=offer.id,
                        item_kind=ItemKind.OFFER, model_version_id=model_version_id)
    db.session.add(feedback)
    db.session.flush()
    audit.record(user=author, action="candidate.discard", entity=feedback,
                 details={"offer_id": offer.id, "job_seeker_id": job_seeker.id, "reason": reason})
    return feedback

"""ITEM_KNN_SCORE of the candidate pairs: the item-to-item similarity of the proposals of the
year before D — never of a proposal dated D or later (the ranker learns it that way)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from crm.enums import ItemKind
from crm.extensions import db
from crm.interactions.models import Proposal, ProposalResponse
from crm.recommendations import candidates as C
from recommender import schema as S
from tests import factories as f
from tests.recommendations.test_candidates import D, world  # noqa: F401 (the fixture)


def propose(person: Any, at: datetime, *, offer: Any = None, item: Any = None) -> Proposal:
    return Proposal(job_seeker_id=person.id, proposed_at=at, response=ProposalResponse.DECLINED, responded_at=at,
                    item_kind=ItemKind.OFFER if offer is not None else ItemKind(item.kind.value),
                    offer_id=offer.id if offer is not None else None,
                    catalogue_item_id=item.id if item is not None else None)


def knn_of(person: Any, day: Any = D, **kwargs: Any) -> pd.Series:
    pairs = C.candidate_pairs(db.session, day, ids=[person.id], **kwargs)
    return pairs.set_index(S.ITEM_KEY)[S.ITEM_KNN_SCORE]


def test_similar_items_to_the_past_proposals_and_nothing_from_d_on(world: dict[str, Any]) -> None:  # noqa: F811
    person, offer = world["person"], world["offers"]["target"]
    cpp, rebond = world["items"]["cpp"], world["items"]["rebond"]
    other = f.make_job_seeker(referent=world["counselor"], commune_insee="75056", registration_date=D - timedelta(300))
    before = datetime(2026, 5, 1, 10)
    db.session.add_all([propose(person, before, offer=offer), propose(other, before, offer=offer),
                        propose(other, before, item=cpp)])
    db.session.flush()
    scores = knn_of(person)
    # cpp was proposed with the target offer (to the other person): similar; rebond never was.
    assert scores[f"prestation:{cpp.id}"] > 0
    assert scores[f"prestation:{rebond.id}"] == 0
    assert (scores >= 0).all()
    # Proposals dated D or later (rebond with the same offer) change nothing, live either.
    at_d = datetime.combine(D, datetime.min.time())
    db.session.add_all([propose(other, at_d, item=rebond), propose(other, at_d + timedelta(days=3), item=rebond),
                        propose(person, at_d + timedelta(hours=9), item=cpp)])
    db.session.flush()
    pd.testing.assert_series_equal(knn_of(person).sort_index(), scores.sort_index())
    # Live (an offer created on D is a candidate then): the same scores for the same pairs.
    pd.testing.assert_series_equal(knn_of(person, live=True).reindex(scores.index), scores)
    # A day later, they are history.
    assert knn_of(person, D + timedelta(days=1))[f"prestation:{rebond.id}"] > 0


def test_no_history_scores_zero(world: dict[str, Any]) -> None:  # noqa: F811
    assert (knn_of(world["person"]) == 0).all()

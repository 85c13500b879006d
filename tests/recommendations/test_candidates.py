"""The adapter of the recommendations: candidate generation, the catalogue's own eligibility,
needs, labels — and no leakage (a pair as of D never reads rows dated D or later)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from crm.catalogue.models import CatalogueKind, CatalogueSession, EventKind, PartnerKind, RegistrationStatus, \
    SessionRegistration
from crm.enums import ItemKind
from crm.extensions import db
from crm.interactions.models import AppointmentStatus, Channel, Feedback, FeedbackAction, FeedbackContext, \
    InteractionKind, Proposal, ProposalOutcome, ProposalResponse
from crm.jobseekers.models import Barrier, BarrierKind, JobSeekerTarget
from crm.offers.models import ApplicationStatus
from crm.organisation.models import Role
from crm.recommendations import candidates as C
from recommender import schema as S
from recommender.proposals import proposal_reasons
from tests import factories as f

D = date(2026, 6, 1)


@pytest.fixture()
def world(db_session: Any) -> dict[str, Any]:
    commune = f.make_commune("75056", name="Paris")
    f.make_commune("13055", name="Marseille", latitude=43.2965, longitude=5.3698)
    agency = f.make_agency()
    counselor = f.make_user(role=Role.COUNSELOR, team=f.make_team(agency))
    f.make_rome_occupation("M1607")
    f.make_rome_occupation("M1608")  # same family: a candidate, lower match
    f.make_rome_occupation("K2503")  # another domain: never a candidate offer
    person = f.make_job_seeker(referent=counselor, commune_insee=commune.insee_code, mobility_km=20,
                               birth_date=date(1990, 1, 1), registration_date=date(2025, 6, 1),
                               education_level="bac", work_axes=["Élaborer son projet professionnel"])
    db.session.add(JobSeekerTarget(job_seeker_id=person.id, rome_code="M1607", rank=1))
    employer = f.make_employer(agency=agency)
    offers = {
        "target": f.make_offer(employer=employer, rome_code="M1607", commune_insee="75056", created_on=D - timedelta(10)),
        "family": f.make_offer(employer=employer, rome_code="M1608", commune_insee="75056", created_on=D - timedelta(10)),
        "other": f.make_offer(employer=employer, rome_code="K2503", commune_insee="75056", created_on=D - timedelta(10)),
        "far": f.make_offer(employer=employer, rome_code="M1607", commune_insee="13055", created_on=D - timedelta(10)),
        "future": f.make_offer(employer=employer, rome_code="M1607", commune_insee="75056", created_on=D),
    }
    items = {
        "cpp": f.make_catalogue_item(kind=CatalogueKind.PRESTATION, code="CPP", title="CPP"),
        "rebond": f.make_catalogue_item(kind=CatalogueKind.PRESTATION, code="REBOND", title="Rebond"),
        "apec": f.make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, code="APEC", title="APEC",
                                      partner_kind=PartnerKind.APEC, eligibility={"min_education": "bac_3"}),
        "housing": f.make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, code="LOGEMENT", title="Logement",
                                         partner_kind=PartnerKind.HOUSING, eligibility={"barriers": ["housing"]}),
        "plie": f.make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, code="PLIE", title="PLIE",
                                      partner_kind=PartnerKind.PLIE, eligibility={"min_unemployment_months": 24}),
        "mrs": f.make_catalogue_item(kind=CatalogueKind.EVENT, code="EVT-MRS", title="MRS",
                                     event_kind=EventKind.MRS_SESSION, commune_insee="75056"),
    }
    db.session.flush()
    return {"person": person, "offers": offers, "items": items, "counselor": counselor}


def pairs_of(world: dict[str, Any], day: date = D, **kwargs: Any) -> pd.DataFrame:
    return C.candidate_pairs(db.session, day, ids=[world["person"].id], **kwargs)


def keys(pairs: pd.DataFrame) -> set[str]:
    return set(pairs[S.ITEM_KEY])


def test_offers_by_occupation_and_reach(world: dict[str, Any]) -> None:
    pairs = pairs_of(world)
    offers = world["offers"]
    assert {f"offer:{offers['target'].id}", f"offer:{offers['family'].id}"} <= keys(pairs)
    assert not {f"offer:{offers[name].id}" for name in ("other", "far", "future")} & keys(pairs)
    row = pairs.set_index(S.ITEM_KEY).loc[f"offer:{offers['target'].id}"]
    assert (row[S.OCCUPATION_MATCH], row[S.ROME_DISTANCE], row[S.DISTANCE_KM]) == (1.0, 0.0, 0.0)
    family = pairs.set_index(S.ITEM_KEY).loc[f"offer:{offers['family'].id}"]
    assert (family[S.OCCUPATION_MATCH], family[S.ROME_DISTANCE]) == (0.25, 2.0)


def test_when_the_counselor_can_next_present_an_offer(world: dict[str, Any]) -> None:
    person, counselor = world["person"], world["counselor"]

    def availability(**kwargs: Any) -> tuple[float, float, float]:
        row = pairs_of(world, **kwargs).iloc[0]
        return row[S.DAYS_SINCE_CONTACT], row[S.DAYS_TO_APPOINTMENT], row[S.TARGET_OFFERS]

    # No contact yet: since registration; no appointment; the two open M1607 offers of the agency
    # (not the one created on D, not the other occupations).
    since, appointment, offers = availability()
    assert (since, offers) == ((D - date(2025, 6, 1)).days, 2.0) and pd.isna(appointment)
    # The candidates of one offer still count the other offers competing for the person: the
    # open M1607 offers, and the offers of every occupation the person pairs with (M1607, M1608).
    one = pairs_of(world, kinds=("offer",), offer_ids=[world["offers"]["target"].id])
    assert keys(one) == {f"offer:{world['offers']['target'].id}"} and one[S.TARGET_OFFERS].tolist() == [2.0]
    every = pairs_of(world, kinds=("offer",)).set_index(S.ITEM_KEY)
    assert one[S.KIND_CANDIDATES].tolist() == [every.loc[f"offer:{world['offers']['target'].id}",
                                                         S.KIND_CANDIDATES]] == [2.0]
    f.make_interaction(person, occurred_at=datetime(2026, 5, 20, 10), author=counselor)
    booked = datetime(2026, 5, 25, 9)
    f.make_appointment(person, scheduled_at=datetime(2026, 6, 5, 10), created_at=booked)
    f.make_appointment(person, scheduled_at=datetime(2026, 6, 3, 10), created_at=booked,
                       status=AppointmentStatus.CANCELLED, status_changed_at=datetime(2026, 5, 28, 9))
    # Cancelled after D: it was still booked at D.
    f.make_appointment(person, scheduled_at=datetime(2026, 6, 4, 10), created_at=booked,
                       status=AppointmentStatus.CANCELLED, status_changed_at=datetime(2026, 6, 2, 9))
    f.make_appointment(person, scheduled_at=datetime(2026, 5, 30, 10), created_at=booked,
                       status=AppointmentStatus.DONE)
    db.session.flush()
    assert availability() == (12.0, 3.0, 2.0)
    # Booked on D: not yet as of D, but live (the pages' today) it is the next one.
    f.make_appointment(person, scheduled_at=datetime(2026, 6, 1, 15), created_at=datetime(2026, 6, 1, 9))
    db.session.flush()
    assert availability() == (12.0, 3.0, 2.0)
    assert availability(live=True) == (12.0, 0.0, 3.0)


def test_catalogue_eligibility_the_recommender_does_not_know(world: dict[str, Any]) -> None:
    items = world["items"]
    found = keys(pairs_of(world))
    assert f"prestation:{items['cpp'].id}" in found
    assert f"partner_service:{items['apec'].id}" not in found      # bac+3 and more
    assert f"partner_service:{items['housing'].id}" not in found   # only with a housing barrier
    assert f"partner_service:{items['plie'].id}" not in found      # 24 months registered
    assert f"event:{items['mrs'].id}" not in found                 # no session soon
    db.session.add(Barrier(job_seeker_id=world["person"].id, kind=BarrierKind.HOUSING, noted_on=D - timedelta(5)))
    db.session.flush()
    assert f"partner_service:{items['housing'].id}" in keys(pairs_of(world))


def test_needs_from_the_action_plan_and_after_an_mrs_session(world: dict[str, Any]) -> None:
    items = world["items"]
    rows = pairs_of(world).set_index(S.ITEM_KEY)
    assert rows.loc[f"prestation:{items['cpp'].id}", S.NEED_MATCH] == 1     # « Élaborer son projet »
    assert rows.loc[f"prestation:{items['rebond'].id}", S.NEED_MATCH] == 0
    mrs = CatalogueSession(item_id=items["mrs"].id, starts_on=D - timedelta(20), capacity=10)
    db.session.add(mrs)
    db.session.flush()
    db.session.add(SessionRegistration(session_id=mrs.id, job_seeker_id=world["person"].id,
                                       status=RegistrationStatus.ATTENDED, registered_at=datetime(2026, 5, 1)))
    db.session.flush()
    rows = pairs_of(world).set_index(S.ITEM_KEY)
    assert rows.loc[f"prestation:{items['rebond'].id}", S.NEED_MATCH] == 1


def test_an_item_with_no_other_fact_is_argued_from_its_proposals_of_the_year(world: dict[str, Any]) -> None:
    """« Rebond » answers no need of this person and has no occupation, distance or seats: its
    argument is how many people accepted it in the year before D (older proposals do not count)."""
    rebond = world["items"]["rebond"]
    others = [f.make_job_seeker(referent=world["counselor"]) for _ in range(4)]
    answers = [(D - timedelta(30), ProposalResponse.ACCEPTED), (D - timedelta(90), ProposalResponse.ACCEPTED),
               (D - timedelta(60), ProposalResponse.DECLINED), (D - timedelta(400), ProposalResponse.ACCEPTED)]
    db.session.add_all([Proposal(job_seeker_id=other.id, proposed_at=datetime.combine(day, datetime.min.time()),
                                 item_kind=ItemKind.PRESTATION, catalogue_item_id=rebond.id, response=response,
                                 responded_at=datetime.combine(day + timedelta(2), datetime.min.time()))
                        for other, (day, response) in zip(others, answers)])
    db.session.flush()
    rows = pairs_of(world).set_index(S.ITEM_KEY)
    row = rows.loc[[f"prestation:{rebond.id}"]]
    assert (row[S.ITEM_PROPOSALS_365D].item(), row[S.ITEM_ACCEPTED_365D].item()) == (3, 2)
    assert [reason.text for reason in proposal_reasons(row)[0]] == [
        "Proposition acceptée par 2 personnes sur 3 (12 mois)"]
    never = rows.loc[[f"prestation:{world['items']['cpp'].id}"]]  # proposed to nobody: its need is the argument
    assert never[S.ITEM_ACCEPTED_365D].item() == 0
    assert [reason.text for reason in proposal_reasons(never)[0]] == ["Répond à un besoin de votre plan d'action"]


def test_a_persons_acceptance_rate_does_not_depend_on_who_is_read_with_them(world: dict[str, Any]) -> None:
    """PERSON_ACCEPT_RATE is smoothed toward the share of yes among the year's answers, whoever
    is read: the candidates of one offer (a few people) see what the nightly batch saw."""
    person, cpp = world["person"], world["items"]["cpp"]
    other = f.make_job_seeker(referent=world["counselor"])
    answers = [ProposalResponse.ACCEPTED] * 3 + [ProposalResponse.DECLINED]
    db.session.add_all([Proposal(job_seeker_id=other.id, proposed_at=datetime(2026, 3, day),
                                 item_kind=ItemKind.PRESTATION, catalogue_item_id=cpp.id, response=response,
                                 responded_at=datetime(2026, 3, day + 1))
                        for day, response in zip((2, 5, 9, 12), answers)])
    db.session.flush()

    def rates(ids: list[int]) -> pd.Series:
        pairs = C.candidate_pairs(db.session, D, ids=ids)
        return pairs.groupby(S.JOB_SEEKER_ID)[S.PERSON_ACCEPT_RATE].first()

    alone, together = rates([person.id]), rates([person.id, other.id])
    assert alone[person.id] == together[person.id] == pytest.approx(0.75)  # no answer of their own: the prior
    assert together[other.id] == pytest.approx((3 + C.SMOOTHING * 0.75) / (4 + C.SMOOTHING))


def test_labels_look_at_the_window_after_d(world: dict[str, Any]) -> None:
    person, offer, cpp = world["person"], world["offers"]["target"], world["items"]["cpp"]
    db.session.add_all([
        Proposal(job_seeker_id=person.id, proposed_at=datetime(2026, 6, 10), item_kind=ItemKind.OFFER,
                 offer_id=offer.id, response=ProposalResponse.ACCEPTED),
        Proposal(job_seeker_id=person.id, proposed_at=datetime(2026, 6, 12), item_kind=ItemKind.PRESTATION,
                 catalogue_item_id=cpp.id, response=ProposalResponse.ACCEPTED, outcome=ProposalOutcome.COMPLETED),
    ])
    db.session.flush()
    rows = pairs_of(world, labels=True).set_index(S.ITEM_KEY)[S.LABEL_RELEVANCE]
    assert rows[f"offer:{offer.id}"] == 1 and rows[f"prestation:{cpp.id}"] == 2
    assert rows.drop([f"offer:{offer.id}", f"prestation:{cpp.id}"]).eq(0).all()


def test_no_row_dated_d_or_later_changes_the_features(world: dict[str, Any]) -> None:
    person, offer, cpp = world["person"], world["offers"]["target"], world["items"]["cpp"]
    before = pairs_of(world).sort_values(S.ITEM_KEY).reset_index(drop=True)
    later = datetime(2026, 6, 1, 9)
    db.session.add_all([
        Proposal(job_seeker_id=person.id, proposed_at=later, item_kind=ItemKind.PRESTATION, catalogue_item_id=cpp.id,
                 response=ProposalResponse.DECLINED, responded_at=later),
        Feedback(user_id=world["counselor"].id, at=later, context=FeedbackContext.RECOMMENDATION,
                 action=FeedbackAction.NOT_RELEVANT, reason="too_far", job_seeker_id=person.id,
                 item_kind=ItemKind.OFFER, offer_id=offer.id),
        Barrier(job_seeker_id=person.id, kind=BarrierKind.HOUSING, noted_on=D),
    ])
    f.make_application(offer, person, created_at=later, status=ApplicationStatus.SENT)
    f.make_interaction(person, occurred_at=later, kind=InteractionKind.LOGIN, channel=Channel.ONLINE)
    f.make_interaction(person, occurred_at=later, author=world["counselor"])
    f.make_appointment(person, scheduled_at=later + timedelta(days=3), created_at=later)
    f.make_offer(employer=offer.employer, rome_code="M1607", created_on=D)
    db.session.flush()
    after = pairs_of(world).sort_values(S.ITEM_KEY).reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    # Live (the pages' today), the same rows count: the declined item and the dismissed offer go.
    live = keys(pairs_of(world, day=D, live=True))
    assert f"prestation:{cpp.id}" in live  # the eligibility rules, not the adapter, drop it
    rows = pairs_of(world, day=D, live=True).set_index(S.ITEM_KEY)
    assert rows.loc[f"prestation:{cpp.id}", S.DAYS_SINCE_DECLINED] == 0
    assert rows.loc[f"offer:{offer.id}", S.DAYS_SINCE_DECLINED] == 0


def test_an_offer_in_progress_stays_a_candidate_and_one_already_put_forward_is_done(world: dict[str, Any]) -> None:
    """As of D: the target offer proposed 3 days before and awaiting an answer is in progress (not
    proposed again, yet the person stays its candidate, with that reason); the family offer, which
    the person applied to before D, is done on both sides (no second mise en relation)."""
    from recommender.eligibility import eligibility, eligible_candidates
    from recommender.proposals import candidate_reasons

    person, offers = world["person"], world["offers"]
    target, family = f"offer:{offers['target'].id}", f"offer:{offers['family'].id}"
    db.session.add(Proposal(job_seeker_id=person.id, proposed_at=datetime(2026, 5, 29, 10), item_kind=ItemKind.OFFER,
                            offer_id=offers["target"].id, response=ProposalResponse.PENDING))
    f.make_application(offers["family"], person, created_at=datetime(2026, 5, 20, 10),
                       status=ApplicationStatus.SENT)
    db.session.flush()
    pairs = pairs_of(world, kinds=("offer",))
    rows = pairs.set_index(S.ITEM_KEY)
    assert rows.loc[target, S.DAYS_SINCE_IN_PROGRESS] == 3 and pd.isna(rows.loc[target, S.DAYS_SINCE_DONE])
    assert rows.loc[family, S.DAYS_SINCE_DONE] == 12 and pd.isna(rows.loc[family, S.DAYS_SINCE_IN_PROGRESS])
    assert rows[S.PERSON_OPEN_APPLICATIONS].tolist() == [1.0, 1.0]
    verdict = eligibility(pairs).set_index(pairs[S.ITEM_KEY])[S.EXCLUSION]
    assert (verdict[target], verdict[family]) == ("in_progress", "done_recently")
    candidates = eligible_candidates(pairs)
    assert keys(candidates) == {target}
    texts = [reason.text for reason in candidate_reasons(candidates)[0]]
    assert texts[0] == "Offre déjà proposée il y a 3 jours, sans refus"
    # Declined before D: no longer a candidate either.
    db.session.scalars(sa.select(Proposal)).one().response = ProposalResponse.DECLINED
    db.session.scalars(sa.select(Proposal)).one().responded_at = datetime(2026, 5, 30, 9)
    db.session.flush()
    assert eligible_candidates(pairs_of(world, kinds=("offer",))).empty


def test_an_answer_given_on_d_or_later_leaves_the_proposal_awaiting_one_as_of_d(world: dict[str, Any]) -> None:
    """Proposed before D, declined on D: as of D the proposal was still awaiting an answer, so the
    item is in progress (not suggested again), and the refusal counts only from D on (the pages)."""
    person, cpp = world["person"], world["items"]["cpp"]
    db.session.add(Proposal(job_seeker_id=person.id, proposed_at=datetime(2026, 5, 29, 10),
                            item_kind=ItemKind.PRESTATION, catalogue_item_id=cpp.id,
                            response=ProposalResponse.DECLINED, responded_at=datetime(2026, 6, 1, 12)))
    db.session.flush()
    as_of_d = pairs_of(world).set_index(S.ITEM_KEY).loc[f"prestation:{cpp.id}"]
    assert as_of_d[S.DAYS_SINCE_IN_PROGRESS] == 3 and pd.isna(as_of_d[S.DAYS_SINCE_DECLINED])  # awaiting an answer
    assert pd.isna(as_of_d[S.DAYS_SINCE_DONE]) and as_of_d[S.ITEM_PREVIOUSLY_PROPOSED] == 1
    live = pairs_of(world, live=True).set_index(S.ITEM_KEY).loc[f"prestation:{cpp.id}"]
    assert pd.isna(live[S.DAYS_SINCE_IN_PROGRESS]) and live[S.DAYS_SINCE_DECLINED] == 0
    # Neither is proposed: in progress as of D, declined on the pages' today.
    from recommender.eligibility import eligible_pairs

    for frame in (pairs_of(world), pairs_of(world, live=True)):
        assert f"prestation:{cpp.id}" not in keys(eligible_pairs(frame))

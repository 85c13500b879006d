"""Employer-relations indicators on a small hand-built dataset (values computed by hand)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from crm.employers.models import SatisfactionAnswer
from crm.extensions import db
from crm.indicators.employer_relations import (
    Indicator, Period, Scope, filled_offers_rows, mean_time_to_fill, mer_conversion_rate, share_of_offers_filled,
    share_would_recommend,
)
from crm.offers.models import ApplicationStatus, OfferStatus
from crm.organisation.models import Role
from tests.factories import (
    make_agency, make_application, make_employer, make_job_seeker, make_offer, make_team, make_user,
)

JANUARY = Period(date(2026, 1, 1), date(2026, 1, 31))


@pytest.fixture()
def world(db_session):
    agency = make_agency()
    team = make_team(agency, kind="employers")
    alice = make_user(role=Role.EMPLOYER_COUNSELOR, team=team)
    bob = make_user(role=Role.EMPLOYER_COUNSELOR, agency=agency)  # no team
    acme = make_employer(agency=agency, counselor=alice)
    bolt = make_employer(agency=agency, counselor=bob)
    elsewhere = make_employer()  # another agency: never counted
    o = {
        # filled in January: time to fill 10 days (from publication) and 20 days (from intake)
        "a1": make_offer(employer=acme, counselor=alice, created_on=date(2025, 12, 20), published_on=date(2026, 1, 2),
                         status=OfferStatus.FILLED, filled_on=date(2026, 1, 12)),
        "a2": make_offer(employer=acme, counselor=alice, created_on=date(2026, 1, 5), status=OfferStatus.FILLED,
                         filled_on=date(2026, 1, 25)),
        # bob's, created in January: one filled (6 days), one open, one cancelled, one draft
        "b1": make_offer(employer=bolt, counselor=bob, created_on=date(2026, 1, 10), status=OfferStatus.FILLED,
                         filled_on=date(2026, 1, 16)),
        "b2": make_offer(employer=bolt, counselor=bob, created_on=date(2026, 1, 11)),
        "b3": make_offer(employer=bolt, counselor=bob, created_on=date(2026, 1, 12), status=OfferStatus.CANCELLED),
        "b4": make_offer(employer=bolt, counselor=bob, created_on=date(2026, 1, 13), status=OfferStatus.DRAFT),
        # filled in February: outside the period
        "a3": make_offer(employer=acme, counselor=alice, created_on=date(2026, 1, 20), status=OfferStatus.FILLED,
                         filled_on=date(2026, 2, 3)),
        "x": make_offer(employer=elsewhere, created_on=date(2026, 1, 3), status=OfferStatus.FILLED,
                        filled_on=date(2026, 1, 4)),
    }
    seeker = lambda: make_job_seeker(agency=agency)  # noqa: E731
    at = datetime(2026, 1, 15, 10)
    # MER created in January: 2 hired, 1 refused, 1 withdrawn, 1 in progress (left out); one in December.
    make_application(o["a1"], seeker(), created_at=at, status=ApplicationStatus.HIRED)
    make_application(o["a2"], seeker(), created_at=at, status=ApplicationStatus.REFUSED)
    make_application(o["b1"], seeker(), created_at=at, status=ApplicationStatus.HIRED)
    make_application(o["b2"], seeker(), created_at=datetime(2026, 1, 31, 23, 59), status=ApplicationStatus.WITHDRAWN)
    make_application(o["b2"], seeker(), created_at=at, status=ApplicationStatus.INTERVIEW)
    make_application(o["a1"], seeker(), created_at=datetime(2025, 12, 31, 23), status=ApplicationStatus.REFUSED)
    make_application(o["x"], make_job_seeker(agency=elsewhere.agency), created_at=at, status=ApplicationStatus.HIRED)
    # Satisfaction in January: acme yes, yes; bolt no; plus one answer in February.
    for employer, day, yes in ((acme, 5, True), (acme, 20, True), (bolt, 9, False)):
        db.session.add(SatisfactionAnswer(employer_id=employer.id, answered_on=date(2026, 1, day), score=8,
                                          would_recommend=yes))
    db.session.add(SatisfactionAnswer(employer_id=bolt.id, answered_on=date(2026, 2, 1), score=9,
                                      would_recommend=True))
    db.session.flush()
    return {"agency": agency, "team": team, "alice": alice, "bob": bob, "offers": o}


def test_indicators_for_the_agency(world) -> None:
    scope = Scope(agency_id=world["agency"].id)
    # filled in January: a1 (12/01 − 02/01 = 10 days), a2 (25/01 − 05/01 = 20), b1 (16/01 − 10/01 = 6)
    # mean = (10 + 20 + 6) / 3 = 12
    assert mean_time_to_fill(JANUARY, scope) == Indicator(value=12.0, numerator=36, denominator=3)
    # final MER created in January: hired 2 (a1, b1), refused 1 (a2), withdrawn 1 (b2) → 2 / 4
    assert mer_conversion_rate(JANUARY, scope) == Indicator(value=0.5, numerator=2, denominator=4)
    # offers created in January, drafts left out: a2, b1, b2, b3, a3 → filled a2, b1, a3 = 3 / 5
    assert share_of_offers_filled(JANUARY, scope) == Indicator(value=0.6, numerator=3, denominator=5)
    # satisfaction answers in January: yes, yes, no → 2 / 3
    result = share_would_recommend(JANUARY, scope)
    assert (result.numerator, result.denominator) == (2, 3) and result.value == pytest.approx(2 / 3)
    # The drill-down lists the rows counted.
    ids = set(db.session.scalars(filled_offers_rows(JANUARY, scope).with_only_columns(sa.literal_column("job_offer.id"))))
    assert ids == {world["offers"][k].id for k in ("a1", "a2", "b1")}


def test_indicators_for_a_team_and_for_counselors(world) -> None:
    team = Scope(team_id=world["team"].id)  # alice only
    # a1 10 days, a2 20 days → 15
    assert mean_time_to_fill(JANUARY, team) == Indicator(value=15.0, numerator=30, denominator=2)
    # alice's final MER in January: a1 hired, a2 refused → 1 / 2
    assert mer_conversion_rate(JANUARY, team) == Indicator(value=0.5, numerator=1, denominator=2)
    bob = Scope(counselor_ids=(world["bob"].id,))
    # bob's offers created in January, drafts out: b1, b2, b3 → filled b1 = 1 / 3
    result = share_of_offers_filled(JANUARY, bob)
    assert (result.numerator, result.denominator) == (1, 3)
    # bolt's answers in January: one "no" → 0 / 1
    assert share_would_recommend(JANUARY, bob) == Indicator(value=0.0, numerator=0, denominator=1)
    # Nothing in the period: no value rather than a division by zero.
    assert mean_time_to_fill(Period(date(2025, 1, 1), date(2025, 1, 31)), bob) == Indicator(None, 0, 0)

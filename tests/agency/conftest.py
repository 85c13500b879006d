"""An agency built by hand so every figure of the agency overview can be counted in the tests.

Today is T (Paris); the period is the last 4 weeks (T-27 … T), compared with the 4 weeks
before (T-55 … T-28).

Agency A has three teams: « Équipe Nord » (counselors a and b, manager m), « Équipe
Sud » (counselor c) and « Entreprises » (employer counselors e and e2, manager me).
Job seekers:

- p1 (a, guidé): registered T-20, last contact T-15 (its situation interview, in person);
- p2 (a, renforcé): registered T-400, last contact T-45 (phone; previous period) → overdue;
- p3 (b, suivi): registered T-200, last contact T-3 (its 6–9 month review, phone);
- p4 (b, guidé): registered T-40, interview held at T-35 (a done appointment), never
  contacted since → neither overdue nor within its interval;
- p5 (c, guidé): registered T-10, no interview; a call at T-2 that did not reach them;
- p6 (a, exited): registered T-5;
- q9 (no referent, suivi): registered T-300, never contacted → overdue, « sans équipe ».

Agency B (director db, team « Équipe B », counselor x) has r1 and its own offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from crm.catalogue.models import CatalogueKind
from crm.enums import Modality
from crm.interactions.models import (
    AppointmentKind, AppointmentStatus, Channel, Direction, Feedback, FeedbackAction, FeedbackContext, Interaction,
    InteractionKind, InteractionOutcome, ProposalOutcome,
)
from crm.jobseekers.models import JobSeekerStatus
from crm.offers.models import ApplicationStatus, OfferStatus
from crm.organisation.models import Role, User
from crm.outcomes.models import OutcomeKind
from tests import factories as f
from tests.teams.conftest import at, today


def ago(days: int) -> date:
    return today() - timedelta(days=days)


@dataclass
class World:
    agency: Any
    north: Any
    south: Any
    employers_team: Any
    director: User
    m: User  # manager of the north team
    me: User  # manager of the employers team
    a: User
    b: User
    c: User
    e: User
    e2: User
    other_agency: Any
    other_team: Any
    other_director: User
    x: User
    people: dict[str, Any]
    employers: dict[str, Any]
    offers: dict[str, Any]


@pytest.fixture()
def world(db_session: Any) -> World:
    agency = f.make_agency(name="Agence Alpha")
    north = f.make_team(agency, name="Équipe Nord")
    south = f.make_team(agency, name="Équipe Sud")
    employers_team = f.make_team(agency, name="Entreprises", kind="employers")
    director = f.make_user(role=Role.DIRECTOR, agency=agency, last_name="Directrice")
    m = f.make_user(role=Role.TEAM_MANAGER, team=north, last_name="Nordmanager")
    me = f.make_user(role=Role.TEAM_MANAGER, team=employers_team, last_name="Entmanager")
    a = f.make_user(role=Role.COUNSELOR, team=north, first_name="Alice", last_name="Aconseil")
    b = f.make_user(role=Role.COUNSELOR, team=north, first_name="Bruno", last_name="Bconseil")
    c = f.make_user(role=Role.COUNSELOR, team=south, first_name="Chloé", last_name="Cconseil")
    e = f.make_user(role=Role.EMPLOYER_COUNSELOR, team=employers_team, first_name="Emma", last_name="Econseil")
    e2 = f.make_user(role=Role.EMPLOYER_COUNSELOR, team=employers_team, first_name="Ewan", last_name="Edeux")
    other_agency = f.make_agency(name="Agence Bêta")
    other_team = f.make_team(other_agency, name="Équipe Bêta")
    other_director = f.make_user(role=Role.DIRECTOR, agency=other_agency, last_name="Autredirecteur")
    x = f.make_user(role=Role.COUNSELOR, team=other_team, first_name="Xavier", last_name="Xconseil")

    p1 = f.make_job_seeker(referent=a, last_name="Zp1", modality=Modality.GUIDE, registration_date=ago(20),
                           last_contact_at=at(15))
    p2 = f.make_job_seeker(referent=a, last_name="Zp2", modality=Modality.RENFORCE, registration_date=ago(400),
                           last_contact_at=at(45))
    p3 = f.make_job_seeker(referent=b, last_name="Zp3", modality=Modality.SUIVI, registration_date=ago(200),
                           last_contact_at=at(3))
    p4 = f.make_job_seeker(referent=b, last_name="Zp4", modality=Modality.GUIDE, registration_date=ago(40))
    p5 = f.make_job_seeker(referent=c, last_name="Zp5", modality=Modality.GUIDE, registration_date=ago(10))
    p6 = f.make_job_seeker(referent=a, last_name="Zp6", modality=Modality.GUIDE, registration_date=ago(5),
                           status=JobSeekerStatus.EXITED)
    q9 = f.make_job_seeker(agency=agency, last_name="Zq9", modality=Modality.SUIVI, registration_date=ago(300))
    r1 = f.make_job_seeker(referent=x, last_name="Zr1", modality=Modality.GUIDE, registration_date=ago(3),
                           last_contact_at=at(2))

    # Contacts (meaningful, by the agency's staff): p1's interview and p3's review in the
    # period, p2's call in the previous one; a call that failed, online activity and
    # another agency's contact do not count.
    f.make_interaction(p1, occurred_at=at(15), kind=InteractionKind.SITUATION_INTERVIEW, author=a,
                       channel=Channel.IN_PERSON)
    f.make_interaction(p3, occurred_at=at(3), kind=InteractionKind.REVIEW_6_9, author=b, channel=Channel.PHONE)
    f.make_interaction(p2, occurred_at=at(45), author=a, channel=Channel.PHONE)
    f.make_interaction(p5, occurred_at=at(2), author=c, channel=Channel.PHONE, outcome=InteractionOutcome.NOT_REACHED)
    f.make_interaction(p1, occurred_at=at(1), kind=InteractionKind.LOGIN)
    f.make_interaction(r1, occurred_at=at(2), author=x, channel=Channel.PHONE)
    f.make_appointment(p4, scheduled_at=at(35), staff=b, kind=AppointmentKind.SITUATION_INTERVIEW,
                       status=AppointmentStatus.DONE)

    # Returns to employment: p3 in the period, p2 in the previous one; a training episode is not one.
    f.make_outcome_episode(p3, start_on=ago(7))
    f.make_outcome_episode(p2, start_on=ago(40))
    f.make_outcome_episode(p1, start_on=ago(3), kind=OutcomeKind.TRAINING)

    # Training funnel: p1's training mentioned T-20, prescribed T-10, started T-2; p5's
    # mentioned T-5; p2's mentioned T-50 (previous period).
    training = f.make_catalogue_item(title="Formation cariste")
    f.make_training_proposal(p1, training=training, proposed_at=at(20), author_id=a.id, prescribed_at=at(10),
                             started_on=ago(2), outcome=ProposalOutcome.ENTERED)
    f.make_training_proposal(p5, training=training, proposed_at=at(5), author_id=c.id)
    f.make_training_proposal(p2, training=training, proposed_at=at(50), author_id=a.id)

    # Referrals: p1 did not show up at the partner; p5's is pending.
    partner = f.make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, title="Mission locale du Val")
    f.make_referral(p1, partner_item=partner, referred_at=at(10), showed_up=False)
    f.make_referral(p5, partner_item=partner, referred_at=at(3))

    # Employers and offers (team « Entreprises »).
    emp1 = f.make_employer(counselor=e, name="Boulangerie Dupain")
    emp2 = f.make_employer(counselor=e2, name="Garage Dumoteur")
    emp_b = f.make_employer(counselor=None, agency=other_agency, name="Bêta SARL")
    # An employer contact (the factory is for job seekers' timelines).
    f._add(Interaction(employer_id=emp1.id, occurred_at=at(5), kind=InteractionKind.PROSPECTION,
                       channel=Channel.COMPANY_VISIT, direction=Direction.OUTBOUND, author_id=e.id,
                       outcome=InteractionOutcome.DONE))
    o1 = f.make_offer(employer=emp1, title="Vendeur", created_on=ago(20), published_on=ago(18),
                      status=OfferStatus.FILLED, filled_on=ago(8))
    o2 = f.make_offer(employer=emp1, counselor=e2, title="Boulanger", created_on=ago(10))
    o3 = f.make_offer(employer=emp2, title="Mécanicien", created_on=ago(30))
    o4 = f.make_offer(employer=emp2, title="Brouillon", created_on=ago(5), status=OfferStatus.DRAFT)
    o5 = f.make_offer(employer=emp_b, title="Offre Bêta", created_on=ago(5))
    f.make_application(o1, p1, status=ApplicationStatus.HIRED, created_at=at(12))
    f.make_application(o1, p3, status=ApplicationStatus.REFUSED, created_at=at(11))
    f.make_application(o1, p5, status=ApplicationStatus.SENT, created_at=at(5))
    f.make_satisfaction_answer(emp1, answered_on=ago(6), would_recommend=True)
    f.make_satisfaction_answer(emp2, answered_on=ago(4), would_recommend=False)
    f.make_satisfaction_answer(emp2, answered_on=ago(40), would_recommend=True)

    # The latest published priority list scores p2, p1 (a's) and p3 (b's); a dismissed p2.
    version = f.make_model_version(as_of=ago(1), version="agency-js")
    for rank, person in enumerate((p2, p1, p3), start=1):
        f.make_priority_score(version, job_seeker=person, rank=rank)
    f._add(Feedback(user_id=a.id, context=FeedbackContext.PRIORITY_LIST, action=FeedbackAction.DISMISS,
                    reason="other_channel", job_seeker_id=p2.id, model_version_id=version.id))
    return World(agency=agency, north=north, south=south, employers_team=employers_team, director=director, m=m,
                 me=me, a=a, b=b, c=c, e=e, e2=e2, other_agency=other_agency, other_team=other_team,
                 other_director=other_director, x=x,
                 people={"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5, "p6": p6, "q9": q9, "r1": r1},
                 employers={"emp1": emp1, "emp2": emp2, "emp_b": emp_b},
                 offers={"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5})

"""A small team, built by hand so every figure can be counted in the tests.

Today is T (Paris). Counselor A follows p1 (guidé, registered T-20, situation interview
at T-15), p2 (renforcé, registered T-400, last contact T-45), p3 (suivi, registered
T-200, interview at T-190, 6–9 month review at T-3) and p4 (exited, registered T-10, no
interview). Counselor B follows q1 (guidé, registered T-500, never contacted). Another
team of the same agency has counselor C and r1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crm.enums import Modality
from crm.interactions.models import (
    Channel, Feedback, FeedbackAction, FeedbackContext, InteractionKind, ProposalOutcome,
    ProposalResponse,
)
from crm.jobseekers.models import JobSeekerStatus
from crm.organisation.models import Role, User
from tests import factories as f

PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    return datetime.now(PARIS).date()


def at(days_ago: int, hour: int = 10) -> datetime:
    """``days_ago`` days before today, at ``hour`` (naive UTC, as stored)."""
    return datetime.combine(today() - timedelta(days=days_ago), time(hour))


@dataclass
class Team:
    team: Any
    manager: User
    a: User
    b: User
    other_manager: User
    c: User  # another team's counselor
    director: User
    people: dict[str, Any]
    version: Any


@pytest.fixture()
def world(db_session: Any) -> Team:
    agency = f.make_agency()
    team = f.make_team(agency, name="Équipe Nord")
    other_team = f.make_team(agency, name="Équipe Sud")
    manager = f.make_user(role=Role.TEAM_MANAGER, team=team, last_name="Manager")
    a = f.make_user(role=Role.COUNSELOR, team=team, first_name="Alice", last_name="Aconseil")
    b = f.make_user(role=Role.COUNSELOR, team=team, first_name="Bruno", last_name="Bconseil")
    other_manager = f.make_user(role=Role.TEAM_MANAGER, team=other_team, last_name="Sudmanager")
    c = f.make_user(role=Role.COUNSELOR, team=other_team, first_name="Chloé", last_name="Cconseil")
    director = f.make_user(role=Role.DIRECTOR, agency=agency, last_name="Directeur")
    t = today()
    p1 = f.make_job_seeker(referent=a, last_name="Zp1", modality=Modality.GUIDE,
                           registration_date=t - timedelta(days=20), last_contact_at=at(15))
    p2 = f.make_job_seeker(referent=a, last_name="Zp2", modality=Modality.RENFORCE,
                           registration_date=t - timedelta(days=400), last_contact_at=at(45))
    p3 = f.make_job_seeker(referent=a, last_name="Zp3", modality=Modality.SUIVI,
                           registration_date=t - timedelta(days=200), last_contact_at=at(3))
    p4 = f.make_job_seeker(referent=a, last_name="Zp4", modality=Modality.GUIDE,
                           registration_date=t - timedelta(days=10), status=JobSeekerStatus.EXITED)
    q1 = f.make_job_seeker(referent=b, last_name="Zq1", modality=Modality.GUIDE,
                           registration_date=t - timedelta(days=500))
    r1 = f.make_job_seeker(referent=c, last_name="Zr1", modality=Modality.GUIDE,
                           registration_date=t - timedelta(days=5), last_contact_at=at(2))
    # Contacts by A: the situation interview of p1 (in the period), p3's interview long ago
    # and its review (in the period), one with p2 45 days ago (13 weeks only).
    f.make_interaction(p1, occurred_at=at(15), kind=InteractionKind.SITUATION_INTERVIEW, author=a,
                       channel=Channel.IN_PERSON)
    f.make_interaction(p3, occurred_at=at(190), kind=InteractionKind.SITUATION_INTERVIEW, author=a,
                       channel=Channel.IN_PERSON)
    f.make_interaction(p3, occurred_at=at(3), kind=InteractionKind.REVIEW_6_9, author=a, channel=Channel.PHONE)
    f.make_interaction(p2, occurred_at=at(45), author=a, channel=Channel.PHONE)
    f.make_interaction(q1, occurred_at=at(1), kind=InteractionKind.LOGIN)  # online activity: not a contact
    f.make_interaction(r1, occurred_at=at(2), author=c, channel=Channel.PHONE)  # another team's
    # Proposals by A: two in the period (accepted and entered; accepted and hired), one 60 days ago.
    training = f.make_catalogue_item()
    f.make_training_proposal(p1, training=training, proposed_at=at(5), author_id=a.id,
                             response=ProposalResponse.ACCEPTED, outcome=ProposalOutcome.ENTERED)
    f.make_training_proposal(p3, training=training, proposed_at=at(6), author_id=a.id,
                             response=ProposalResponse.ACCEPTED, outcome=ProposalOutcome.HIRED)
    f.make_training_proposal(p2, training=training, proposed_at=at(60), author_id=a.id)
    # The latest published priority list scores p1, p2, p3 (A's); A dismissed p2 on it.
    old = f.make_model_version(as_of=t - timedelta(days=30), version="js-old")
    f.make_priority_score(old, job_seeker=q1, rank=1)
    version = f.make_model_version(as_of=t - timedelta(days=1), version="js-new")
    for rank, person in enumerate((p2, p1, p3), start=1):
        f.make_priority_score(version, job_seeker=person, rank=rank)
    for model_version_id in (version.id, old.id, None):  # only the first counts
        f._add(Feedback(user_id=a.id, context=FeedbackContext.PRIORITY_LIST, action=FeedbackAction.DISMISS,
                        reason="other_channel", job_seeker_id=p2.id, model_version_id=model_version_id))
    return Team(team=team, manager=manager, a=a, b=b, other_manager=other_manager, c=c, director=director,
                people={"p1": p1, "p2": p2, "p3": p3, "p4": p4, "q1": q1, "r1": r1}, version=version)

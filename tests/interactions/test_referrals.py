"""Referrals to partners: creation, status machine, partner feedback and no-show follow-up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.catalogue.models import CatalogueKind
from crm.errors import DomainError, IllegalTransitionError
from crm.extensions import db
from crm.interactions.models import (
    Channel, Direction, InteractionKind, InteractionOutcome, ReferralStatus, Task, TaskOrigin,
)
from crm.interactions.services import (
    create_referral, log_interaction, record_partner_feedback, update_referral_status,
)
from crm.jobseekers.alerts import alerts_for
from tests.factories import make_catalogue_item, make_job_seeker, make_user

NOW = datetime(2025, 6, 10, 14, 0)


@pytest.fixture()
def referral(db_session):
    counselor = make_user()
    person = make_job_seeker(referent=counselor)
    partner = make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, title="Mission locale de Lens")
    return create_referral(author=counselor, job_seeker=person, partner_item=partner,
                           referred_at=NOW - timedelta(days=20), now=NOW)


def test_create(referral) -> None:
    assert referral.status == ReferralStatus.SENT and referral.referred_by_id is not None


def test_only_partner_services(db_session) -> None:
    with pytest.raises(DomainError) as raised:
        create_referral(author=make_user(), job_seeker=make_job_seeker(), partner_item=make_catalogue_item(),
                        now=NOW)
    assert raised.value.code == "referral.not_partner"


def test_status_machine(referral) -> None:
    author = referral.referred_by
    update_referral_status(author=author, referral=referral, status=ReferralStatus.ACCEPTED, expected_version=1)
    update_referral_status(author=author, referral=referral, status=ReferralStatus.IN_PROGRESS,
                           expected_version=referral.version)
    with pytest.raises(IllegalTransitionError):
        update_referral_status(author=author, referral=referral, status=ReferralStatus.REFUSED,
                               expected_version=referral.version)
    update_referral_status(author=author, referral=referral, status=ReferralStatus.COMPLETED,
                           expected_version=referral.version)
    with pytest.raises(IllegalTransitionError):
        update_referral_status(author=author, referral=referral, status=ReferralStatus.CANCELLED,
                               expected_version=referral.version)
    assert referral.status == ReferralStatus.COMPLETED


def test_no_show_opens_a_task_and_an_alert_until_followed_up(referral) -> None:
    counselor, person = referral.referred_by, referral.job_seeker
    record_partner_feedback(author=counselor, referral=referral, expected_version=1, showed_up=False,
                            feedback="Absent au premier rendez-vous", now=NOW - timedelta(days=1))
    task = db.session.scalars(sa.select(Task).where(Task.job_seeker_id == person.id)).one()
    assert task.origin == TaskOrigin.REFERRAL_NO_SHOW and "Mission locale de Lens" in task.title
    assert "referral_no_show" in {a.code for a in alerts_for(person, on=NOW.date())}

    log_interaction(author=counselor, job_seeker=person, channel=Channel.PHONE, kind=InteractionKind.REFERRAL,
                    outcome=InteractionOutcome.REACHED, direction=Direction.OUTBOUND, referral=referral, now=NOW)
    assert referral.followed_up_at == NOW
    assert "referral_no_show" not in {a.code for a in alerts_for(person, on=NOW.date())}


def test_feedback_must_say_something(referral) -> None:
    with pytest.raises(DomainError) as raised:
        record_partner_feedback(author=referral.referred_by, referral=referral, expected_version=1, now=NOW)
    assert raised.value.code == "referral.feedback_empty"


def test_showed_up_raises_nothing(referral) -> None:
    record_partner_feedback(author=referral.referred_by, referral=referral, expected_version=1, showed_up=True,
                            now=NOW)
    assert referral.showed_up is True and referral.feedback_at == NOW
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0

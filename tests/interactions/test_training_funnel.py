"""Training funnel: mentioned → prescribed → started; never the same training twice."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from crm.catalogue.models import CatalogueKind
from crm.errors import DomainError, IllegalTransitionError
from crm.interactions.models import ProposalOutcome, ProposalResponse
from crm.interactions.services import (
    mention_training, prescribe_training, record_proposal_response, start_training,
)
from tests.factories import make_catalogue_item, make_job_seeker, make_training_proposal, make_user

NOW = datetime(2025, 6, 10, 14, 0)


@pytest.fixture()
def setting(db_session):
    counselor = make_user()
    return counselor, make_job_seeker(referent=counselor), make_catalogue_item(title="Titre pro comptable")


def test_the_funnel_records_each_step(setting) -> None:
    counselor, person, training = setting
    proposal = mention_training(author=counselor, job_seeker=person, training=training,
                                arguments=["Métier en tension"], mentioned_at=NOW - timedelta(days=30), now=NOW)
    assert (proposal.prescribed_at, proposal.started_on, proposal.arguments) == (None, None, ["Métier en tension"])
    prescribe_training(author=counselor, proposal=proposal, expected_version=proposal.version,
                       prescribed_at=NOW - timedelta(days=10), now=NOW)
    assert proposal.prescribed_at == NOW - timedelta(days=10) and proposal.response == ProposalResponse.ACCEPTED
    start_training(author=counselor, proposal=proposal, expected_version=proposal.version, started_on=NOW.date(),
                   now=NOW)
    assert proposal.started_on == NOW.date() and proposal.outcome == ProposalOutcome.ENTERED


def test_a_second_prescription_of_the_same_training_is_refused(setting) -> None:
    counselor, person, training = setting
    make_training_proposal(person, training=training, prescribed_at=datetime(2025, 3, 1, 10))
    again = mention_training(author=counselor, job_seeker=person, training=training, now=NOW)
    with pytest.raises(DomainError) as raised:
        prescribe_training(author=counselor, proposal=again, expected_version=again.version, now=NOW)
    assert raised.value.code == "training.duplicate_prescription"
    assert "01/03/2025" in str(raised.value.message) and "deux fois" in str(raised.value.message)
    assert again.prescribed_at is None


def test_another_training_or_another_person_is_fine(setting) -> None:
    counselor, person, training = setting
    make_training_proposal(person, training=training, prescribed_at=datetime(2025, 3, 1, 10))
    other_training = mention_training(author=counselor, job_seeker=person, training=make_catalogue_item(), now=NOW)
    other_person = mention_training(author=counselor, job_seeker=make_job_seeker(), training=training, now=NOW)
    for proposal in (other_training, other_person):
        prescribe_training(author=counselor, proposal=proposal, expected_version=proposal.version, now=NOW)
        assert proposal.prescribed_at == NOW


def test_a_declined_or_lapsed_prescription_does_not_block(setting) -> None:
    counselor, person, training = setting
    declined = make_training_proposal(person, training=training, prescribed_at=datetime(2025, 1, 10, 10))
    record_proposal_response(author=counselor, proposal=declined, expected_version=declined.version,
                             response=ProposalResponse.DECLINED, now=NOW - timedelta(days=60))
    make_training_proposal(person, training=training, prescribed_at=datetime(2025, 2, 10, 10),
                           outcome_on=date(2025, 5, 1))  # closed without the person entering
    again = mention_training(author=counselor, job_seeker=person, training=training, now=NOW)
    prescribe_training(author=counselor, proposal=again, expected_version=again.version, now=NOW)
    assert again.prescribed_at == NOW


def test_a_completed_training_still_blocks(setting) -> None:
    counselor, person, training = setting
    make_training_proposal(person, training=training, prescribed_at=datetime(2024, 1, 10, 10),
                           started_on=date(2024, 3, 1), outcome=ProposalOutcome.COMPLETED, outcome_on=date(2024, 9, 1))
    again = mention_training(author=counselor, job_seeker=person, training=training, now=NOW)
    with pytest.raises(DomainError):
        prescribe_training(author=counselor, proposal=again, expected_version=again.version, now=NOW)


def test_steps_in_order(setting) -> None:
    counselor, person, training = setting
    proposal = mention_training(author=counselor, job_seeker=person, training=training,
                                mentioned_at=NOW - timedelta(days=5), now=NOW)
    with pytest.raises(IllegalTransitionError):
        start_training(author=counselor, proposal=proposal, expected_version=proposal.version, started_on=NOW.date(),
                       now=NOW)
    with pytest.raises(DomainError) as raised:
        prescribe_training(author=counselor, proposal=proposal, expected_version=proposal.version,
                           prescribed_at=NOW - timedelta(days=6), now=NOW)
    assert raised.value.code == "training.prescription_date"
    prescribe_training(author=counselor, proposal=proposal, expected_version=proposal.version, now=NOW)
    with pytest.raises(IllegalTransitionError):
        prescribe_training(author=counselor, proposal=proposal, expected_version=proposal.version, now=NOW)
    with pytest.raises(DomainError) as raised:
        start_training(author=counselor, proposal=proposal, expected_version=proposal.version,
                       started_on=NOW.date() - timedelta(days=1), now=NOW)
    assert raised.value.code == "training.start_date"


def test_the_entry_date_is_checked_against_paris_days(setting) -> None:
    # Prescribed at 22:30 UTC on 30 June, that is on 1 July in Paris: an entry on 30 June would
    # come before the prescription, one on 1 July (today in Paris) is not in the future.
    counselor, person, training = setting
    late = datetime(2030, 6, 30, 22, 30)
    proposal = mention_training(author=counselor, job_seeker=person, training=training,
                                mentioned_at=late - timedelta(days=5), now=late)
    prescribe_training(author=counselor, proposal=proposal, expected_version=proposal.version, now=late)
    with pytest.raises(DomainError) as raised:
        start_training(author=counselor, proposal=proposal, expected_version=proposal.version,
                       started_on=date(2030, 6, 30), now=late)
    assert raised.value.code == "training.start_date"
    start_training(author=counselor, proposal=proposal, expected_version=proposal.version,
                   started_on=date(2030, 7, 1), now=late)
    assert proposal.started_on == date(2030, 7, 1)

def test_only_trainings(setting) -> None:
    counselor, person, _ = setting
    with pytest.raises(DomainError) as raised:
        mention_training(author=counselor, job_seeker=person,
                         training=make_catalogue_item(kind=CatalogueKind.WORKSHOP), now=NOW)
    assert raised.value.code == "training.not_training"

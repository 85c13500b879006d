"""Each alert rule: a case that triggers it, one that does not, and its boundary days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from crm.catalogue.models import CatalogueKind
from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import (
    AppointmentKind, AppointmentStatus, InteractionKind, InteractionOutcome, ProposalResponse, ReferralStatus,
    TaskOrigin, TaskStatus,
)
from crm.jobseekers import alerts
from crm.jobseekers.alerts import RULES, add_months, alerts_for, compute_alerts
from crm.jobseekers.models import JobSeekerStatus
from crm.organisation.models import AgencyModalitySetting
from tests.factories import (
    make_agency, make_appointment, make_benefit_right, make_catalogue_item, make_interaction, make_job_seeker,
    make_referral, make_task, make_training_proposal, make_user,
)
from tests.query_count import count_queries

REGISTERED = date(2025, 1, 6)


def codes(person, on: date) -> set[str]:
    return {alert.code for alert in alerts_for(person, on=on)}


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(hour=hour)


# --- entretien de situation ---------------------------------------------------------


def test_situation_interview_is_due_30_days_after_registration(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED)
    assert "situation_interview_missing" not in codes(person, REGISTERED + timedelta(days=30))
    found = alerts_for(person, on=REGISTERED + timedelta(days=31))
    alert = next(a for a in found if a.code == "situation_interview_missing")
    assert alert.since == REGISTERED + timedelta(days=30)


def test_situation_interview_held_clears_the_alert(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED)
    make_interaction(person, occurred_at=at(REGISTERED + timedelta(days=12)), kind=InteractionKind.SITUATION_INTERVIEW)
    assert "situation_interview_missing" not in codes(person, REGISTERED + timedelta(days=60))


def test_situation_interview_appointment_done_clears_the_alert(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED)
    make_appointment(person, scheduled_at=at(REGISTERED + timedelta(days=8)), status=AppointmentStatus.DONE,
                     kind=AppointmentKind.SITUATION_INTERVIEW)
    assert "situation_interview_missing" not in codes(person, REGISTERED + timedelta(days=60))


def test_unreached_or_previous_episode_interview_does_not_count(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED)
    make_interaction(person, occurred_at=at(REGISTERED + timedelta(days=5)), kind=InteractionKind.SITUATION_INTERVIEW,
                     outcome=InteractionOutcome.NOT_REACHED)
    make_interaction(person, occurred_at=at(REGISTERED - timedelta(days=400)), kind=InteractionKind.SITUATION_INTERVIEW)
    make_appointment(person, scheduled_at=at(REGISTERED + timedelta(days=9)), status=AppointmentStatus.MISSED,
                     kind=AppointmentKind.SITUATION_INTERVIEW)
    assert "situation_interview_missing" in codes(person, REGISTERED + timedelta(days=60))


# --- 6–9 month review ---------------------------------------------------------------


def test_review_is_due_from_month_6_to_month_9_then_overdue(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED)
    opens, closes = date(2025, 7, 6), date(2025, 10, 6)
    assert not codes(person, opens - timedelta(days=1)) & {"review_6_9_due", "review_6_9_overdue"}
    assert codes(person, opens) & {"review_6_9_due", "review_6_9_overdue"} == {"review_6_9_due"}
    assert codes(person, closes) & {"review_6_9_due", "review_6_9_overdue"} == {"review_6_9_due"}
    assert codes(person, closes + timedelta(days=1)) & {"review_6_9_due", "review_6_9_overdue"} == {
        "review_6_9_overdue"}


def test_review_held_clears_due_and_overdue(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED)
    make_interaction(person, occurred_at=at(date(2025, 7, 20)), kind=InteractionKind.REVIEW_6_9)
    other = make_job_seeker(registration_date=REGISTERED)
    make_appointment(other, scheduled_at=at(date(2025, 7, 21)), status=AppointmentStatus.DONE,
                     kind=AppointmentKind.REVIEW_6_9)
    for someone in (person, other):
        for day in (date(2025, 8, 1), date(2025, 12, 1)):
            assert not codes(someone, day) & {"review_6_9_due", "review_6_9_overdue"}


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2025, 3, 31), -4) == date(2024, 11, 30)


# --- no recent contact --------------------------------------------------------------


def test_no_contact_longer_than_the_modality_interval(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED, modality=Modality.GUIDE,
                             last_contact_at=datetime(2025, 3, 1, 15))
    assert "no_recent_contact" not in codes(person, date(2025, 4, 30))  # 60 days: the guide interval
    alert = next(a for a in alerts_for(person, on=date(2025, 5, 1)) if a.code == "no_recent_contact")
    assert alert.since == date(2025, 4, 30)
    assert alert.detail["interval_days"] == 60 and alert.detail["days_without_contact"] == 61


def test_interval_depends_on_modality(db_session) -> None:
    person = make_job_seeker(modality=Modality.RENFORCE, last_contact_at=datetime(2025, 3, 1, 15))
    assert "no_recent_contact" in codes(person, date(2025, 4, 1))  # 31 days > 30
    suivi = make_job_seeker(modality=Modality.SUIVI, last_contact_at=datetime(2025, 3, 1, 15))
    assert "no_recent_contact" not in codes(suivi, date(2025, 5, 30))  # 90 days


def test_agency_setting_overrides_the_default_interval(db_session) -> None:
    agency = make_agency()
    db.session.add(AgencyModalitySetting(agency_id=agency.id, modality=Modality.GUIDE, contact_interval_days=20))
    person = make_job_seeker(agency=agency, modality=Modality.GUIDE, last_contact_at=datetime(2025, 3, 1, 15))
    elsewhere = make_job_seeker(modality=Modality.GUIDE, last_contact_at=datetime(2025, 3, 1, 15))
    assert "no_recent_contact" not in codes(person, date(2025, 3, 21))
    assert "no_recent_contact" in codes(person, date(2025, 3, 22))
    assert "no_recent_contact" not in codes(elsewhere, date(2025, 3, 22))


def test_never_contacted_counts_from_registration(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED, modality=Modality.GUIDE)
    assert "no_recent_contact" not in codes(person, REGISTERED + timedelta(days=60))
    assert "no_recent_contact" in codes(person, REGISTERED + timedelta(days=61))


# --- benefit rights -----------------------------------------------------------------


def test_rights_ending_within_30_days(db_session) -> None:
    on = date(2025, 6, 1)
    person = make_job_seeker()
    make_benefit_right(person, start_on=date(2024, 6, 1), end_on=on + timedelta(days=30))
    alert = next(a for a in alerts_for(person, on=on) if a.code == "benefits_ending")
    assert alert.since == on + timedelta(days=30) and alert.detail["days_left"] == 30
    later = make_job_seeker()
    make_benefit_right(later, start_on=date(2024, 6, 1), end_on=on + timedelta(days=31))
    assert "benefits_ending" not in codes(later, on)


def test_rights_already_ended_or_taken_over_raise_nothing(db_session) -> None:
    on = date(2025, 6, 1)
    ended = make_job_seeker()
    make_benefit_right(ended, start_on=date(2024, 6, 1), end_on=on - timedelta(days=1))
    recharged = make_job_seeker()
    make_benefit_right(recharged, start_on=date(2024, 6, 1), end_on=on + timedelta(days=10))
    make_benefit_right(recharged, start_on=on + timedelta(days=11), end_on=on + timedelta(days=300))
    assert "benefits_ending" not in codes(ended, on)
    assert "benefits_ending" not in codes(recharged, on)


# --- missed appointment -------------------------------------------------------------


def test_missed_appointment_not_followed_up(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker(referent=counselor, last_contact_at=datetime(2025, 3, 1, 10))
    missed = make_appointment(person, scheduled_at=datetime(2025, 3, 10, 9), status=AppointmentStatus.MISSED)
    make_task(owner=counselor, job_seeker=person, origin=TaskOrigin.MISSED_APPOINTMENT, appointment_id=missed.id)
    alert = next(a for a in alerts_for(person, on=date(2025, 3, 15)) if a.code == "missed_appointment")
    assert alert.since == date(2025, 3, 10) and alert.detail["appointment_id"] == missed.id


def test_missed_appointment_followed_by_a_contact_or_a_done_appointment(db_session) -> None:
    contacted = make_job_seeker(last_contact_at=datetime(2025, 3, 11, 10))
    make_appointment(contacted, scheduled_at=datetime(2025, 3, 10, 9), status=AppointmentStatus.MISSED)
    seen = make_job_seeker()
    make_appointment(seen, scheduled_at=datetime(2025, 3, 10, 9), status=AppointmentStatus.MISSED)
    make_appointment(seen, scheduled_at=datetime(2025, 3, 12, 9), status=AppointmentStatus.DONE)
    for person in (contacted, seen):
        assert "missed_appointment" not in codes(person, date(2025, 3, 15))


def test_missed_appointment_whose_follow_up_task_is_closed(db_session) -> None:
    counselor = make_user()
    person = make_job_seeker(referent=counselor)
    missed = make_appointment(person, scheduled_at=datetime(2025, 3, 10, 9), status=AppointmentStatus.MISSED)
    make_task(owner=counselor, job_seeker=person, origin=TaskOrigin.MISSED_APPOINTMENT, appointment_id=missed.id,
              status=TaskStatus.CANCELLED)
    assert "missed_appointment" not in codes(person, date(2025, 3, 15))


# --- referral no-show ---------------------------------------------------------------


def test_referral_no_show_raises_an_alert(db_session) -> None:
    person = make_job_seeker(last_contact_at=datetime(2025, 6, 1, 10))
    referral = make_referral(person, referred_at=datetime(2025, 6, 2, 10), showed_up=False,
                             feedback_at=datetime(2025, 6, 20, 10))
    alert = next(a for a in alerts_for(person, on=date(2025, 6, 25)) if a.code == "referral_no_show")
    assert alert.detail["referral_id"] == referral.id and alert.since == date(2025, 6, 20)


def test_referral_showed_up_followed_up_cancelled_or_contacted_since(db_session) -> None:
    people = [make_job_seeker(last_contact_at=datetime(2025, 6, 1, 10)) for _ in range(3)]
    make_referral(people[0], showed_up=True, feedback_at=datetime(2025, 6, 20, 10))
    make_referral(people[1], showed_up=False, feedback_at=datetime(2025, 6, 20, 10),
                  followed_up_at=datetime(2025, 6, 21, 10))
    make_referral(people[2], showed_up=False, feedback_at=datetime(2025, 6, 20, 10), status=ReferralStatus.CANCELLED)
    contacted = make_job_seeker(last_contact_at=datetime(2025, 6, 22, 10))
    make_referral(contacted, showed_up=False, feedback_at=datetime(2025, 6, 20, 10))
    for person in [*people, contacted]:
        assert "referral_no_show" not in codes(person, date(2025, 6, 25))


# --- training prescribed, not started -----------------------------------------------


def test_training_not_started_more_than_4_months_after_prescription(db_session) -> None:
    person = make_job_seeker()
    proposal = make_training_proposal(person, proposed_at=datetime(2025, 1, 5, 10),
                                      prescribed_at=datetime(2025, 1, 10, 14))
    assert "training_not_started" not in codes(person, date(2025, 5, 10))
    alert = next(a for a in alerts_for(person, on=date(2025, 5, 11)) if a.code == "training_not_started")
    assert alert.detail["proposal_id"] == proposal.id and alert.since == date(2025, 5, 10)


def test_training_started_declined_or_only_mentioned(db_session) -> None:
    started, declined, mentioned = make_job_seeker(), make_job_seeker(), make_job_seeker()
    make_training_proposal(started, prescribed_at=datetime(2025, 1, 10, 14), started_on=date(2025, 4, 1))
    make_training_proposal(declined, prescribed_at=datetime(2025, 1, 10, 14), response=ProposalResponse.DECLINED)
    make_training_proposal(mentioned, proposed_at=datetime(2025, 1, 10, 14))
    for person in (started, declined, mentioned):
        assert "training_not_started" not in codes(person, date(2025, 9, 1))


# --- online activity dropped ---------------------------------------------------------


def test_online_activity_dropped_after_30_days(db_session) -> None:
    person = make_job_seeker(last_online_at=datetime(2025, 3, 1, 22))
    assert "online_activity_dropped" not in codes(person, date(2025, 3, 31))
    alert = next(a for a in alerts_for(person, on=date(2025, 4, 1)) if a.code == "online_activity_dropped")
    assert alert.since == date(2025, 3, 31)


def test_never_online_is_not_a_drop(db_session) -> None:
    person = make_job_seeker()
    assert "online_activity_dropped" not in codes(person, date(2025, 9, 1))


# --- general ---------------------------------------------------------------------------


def test_every_rule_has_a_label_and_an_explanation(app) -> None:
    with app.test_request_context():
        for code, rule in RULES.items():
            assert rule.code == code and str(rule.label) and len(str(rule.explanation)) > 20


def test_exited_people_have_no_alerts_and_every_id_is_a_key(db_session) -> None:
    exited = make_job_seeker(status=JobSeekerStatus.EXITED, exit_date=date(2025, 2, 1))
    assert compute_alerts([exited.id, 987654], on=date(2025, 12, 1)) == {exited.id: [], 987654: []}


def test_alerts_come_in_rule_order(db_session) -> None:
    person = make_job_seeker(registration_date=REGISTERED, last_online_at=datetime(2025, 1, 20, 9))
    found = [a.code for a in alerts_for(person, on=date(2025, 12, 1))]
    assert found == ["situation_interview_missing", "review_6_9_overdue", "no_recent_contact",
                     "online_activity_dropped"]


def _portfolio(size: int) -> list[int]:
    counselor = make_user()
    training = make_catalogue_item(kind=CatalogueKind.TRAINING)
    partner = make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE)
    ids = []
    for i in range(size):
        person = make_job_seeker(referent=counselor, registration_date=REGISTERED + timedelta(days=i),
                                 last_contact_at=datetime(2025, 3, 1, 10), last_online_at=datetime(2025, 2, 1, 10))
        make_interaction(person, occurred_at=datetime(2025, 2, 1, 10), kind=InteractionKind.SITUATION_INTERVIEW)
        missed = make_appointment(person, scheduled_at=datetime(2025, 3, 10, 9), status=AppointmentStatus.MISSED)
        make_task(owner=counselor, job_seeker=person, origin=TaskOrigin.MISSED_APPOINTMENT, appointment_id=missed.id)
        make_benefit_right(person, start_on=date(2024, 9, 1), end_on=date(2025, 9, 10))
        make_referral(person, partner_item=partner, showed_up=False, feedback_at=datetime(2025, 4, 1, 10))
        make_training_proposal(person, training=training, prescribed_at=datetime(2025, 2, 1, 10))
        ids.append(person.id)
    db.session.flush()
    return ids


def test_bulk_computation_takes_a_bounded_number_of_queries(db_session) -> None:
    ids = _portfolio(50)
    with count_queries() as statements:
        result = compute_alerts(ids, on=date(2025, 9, 1))
    assert len(statements) <= 8, statements
    assert all({a.code for a in result[i]} >= {"missed_appointment", "benefits_ending", "referral_no_show",
                                               "training_not_started", "review_6_9_due", "no_recent_contact",
                                               "online_activity_dropped"} for i in ids)
    with count_queries() as few:
        compute_alerts(ids[:3], on=date(2025, 9, 1))
    assert len(few) == len(statements)


def test_large_id_lists_are_chunked(db_session, monkeypatch) -> None:
    ids = _portfolio(5)
    monkeypatch.setattr(alerts, "CHUNK", 2)
    result = compute_alerts(ids, on=date(2025, 9, 1))
    assert set(result) == set(ids) and all(result[i] for i in ids)

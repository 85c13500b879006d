"""The list itself: ranked by the latest published scores only, the owner's portfolio
only, dismissed and snoozed rows hidden for as long as they should, people contacted
since the scoring kept apart, and the fallback order without published scores."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import Feedback, FeedbackAction, FeedbackContext
from crm.jobseekers.models import JobSeekerStatus
from crm.modelregistry.models import ModelKind, ModelStatus
from crm.priority.queries import (
    EMPLOYERS, JOB_SEEKERS, PriorityFilters, day_start_utc, priority_list, published_version,
)
from tests import factories as f
from tests.priority.conftest import World, reason, today, utcnow
from tests.query_count import count_queries


def names(entries: list[Any]) -> list[str]:
    return [e.obj.last_name if e.party == JOB_SEEKERS else e.obj.name for e in entries]


def build(world_owner: Any, party: str = JOB_SEEKERS, **filters: Any) -> Any:
    return priority_list(party, world_owner, filters=PriorityFilters(**filters), today=today(), now=utcnow())


def feedback(owner: Any, person: Any, *, action: FeedbackAction, at: datetime | None = None, **fields: Any) -> Feedback:
    row = Feedback(user_id=owner.id, context=FeedbackContext.PRIORITY_LIST, action=action, reason="situation_known",
                   job_seeker_id=person.id, at=at or utcnow(), **fields)
    db.session.add(row)
    db.session.flush()
    return row


def test_ranked_by_the_latest_published_version_only(world: World) -> None:
    plist = build(world.counselor)
    assert plist.version.id == world.version.id
    # Rank order of the published version (the candidate and retired ones rank in reverse);
    # Zecho, registered since the scoring, comes after the ranked people.
    assert names(plist.entries) == ["Zbravo", "Zalpha", "Zcharlie", "Zdelta", "Zecho"]
    assert [e.rank for e in plist.entries] == [1, 2, 3, 4, None]
    assert plist.scored_on == world.scored_on
    texts = [r.text for e in plist.entries for r in e.reasons]
    assert "Ne doit pas apparaître" not in texts


def test_a_newer_published_version_wins_and_old_ones_are_ignored(world: World) -> None:
    newer = f.make_model_version(kind=ModelKind.JOB_SEEKER_PRIORITY, as_of=today(),
                                 published_at=utcnow())
    f.make_priority_score(newer, job_seeker=world.people["Zdelta"], rank=1)
    assert published_version(JOB_SEEKERS).id == newer.id
    plist = build(world.counselor)
    assert names(plist.entries)[0] == "Zdelta"
    assert [e.rank for e in plist.entries] == [1, None, None, None, None]


def test_only_the_owners_active_portfolio(world: World) -> None:
    f.make_job_seeker(referent=world.counselor, last_name="Zexited", status=JobSeekerStatus.EXITED)
    plist = build(world.counselor)
    assert "Zindia" not in names(plist.entries) and "Zjuliet" not in names(plist.entries)
    assert "Zexited" not in names(plist.entries)
    assert names(build(world.colleague).entries) == ["Zindia"]


def test_modality_and_urgent_filters(world: World) -> None:
    assert names(build(world.counselor, modality=Modality.GUIDE).entries) == ["Zalpha", "Zdelta", "Zecho"]
    urgent = build(world.counselor, urgent_only=True)
    assert names(urgent.entries) == ["Zbravo"]  # rights ending
    assert urgent.entries[0].urgent


def test_limit_shows_the_top_rows(world: World) -> None:
    plist = build(world.counselor, limit=2)
    assert names(plist.shown) == ["Zbravo", "Zalpha"] and plist.has_more


def test_dismissed_until_the_next_scoring(world: World) -> None:
    person = world.people["Zbravo"]
    feedback(world.counselor, person, action=FeedbackAction.DISMISS)
    plist = build(world.counselor)
    assert "Zbravo" not in names(plist.entries) and names(plist.hidden) == ["Zbravo"]

    # A dismissal made before this scoring's day no longer applies.
    db.session.query(Feedback).update({"at": day_start_utc(world.scored_on) - timedelta(hours=1)})
    assert "Zbravo" in names(build(world.counselor).entries)


def test_dismissal_lifted_by_a_newer_scoring(world: World) -> None:
    person = world.people["Zbravo"]
    feedback(world.counselor, person, action=FeedbackAction.DISMISS, at=day_start_utc(world.scored_on))
    assert "Zbravo" not in names(build(world.counselor).entries)
    newer = f.make_model_version(as_of=today(), published_at=utcnow())
    f.make_priority_score(newer, job_seeker=person, rank=1, scored_on=today() + timedelta(days=1))
    assert names(build(world.counselor).entries)[0] == "Zbravo"


def test_snoozed_until_the_date(world: World) -> None:
    person = world.people["Zalpha"]
    feedback(world.counselor, person, action=FeedbackAction.SNOOZE, snoozed_until=today() + timedelta(days=3))
    assert "Zalpha" in names(build(world.counselor).hidden)
    db.session.query(Feedback).update({"snoozed_until": today()})  # the day has come
    assert "Zalpha" in names(build(world.counselor).entries)


def test_someone_elses_feedback_does_not_hide(world: World) -> None:
    feedback(world.manager, world.people["Zalpha"], action=FeedbackAction.DISMISS)
    assert "Zalpha" in names(build(world.counselor).entries)


def test_contacted_since_the_scoring_listed_apart(world: World) -> None:
    world.people["Zbravo"].last_contact_at = day_start_utc(today()) + timedelta(hours=1)
    world.people["Zalpha"].last_contact_at = day_start_utc(world.scored_on) - timedelta(hours=2)  # before
    db.session.flush()
    plist = build(world.counselor)
    assert names(plist.contacted) == ["Zbravo"] and plist.contacted[0].contacted_since
    assert "Zbravo" not in names(plist.entries) and "Zalpha" in names(plist.entries)
    assert names(plist.ordered())[-1] == "Zbravo"


def test_fallback_without_published_scores(world: World) -> None:
    for version in (world.version, world.employer_version):
        version.status = ModelStatus.RETIRED
    people = world.people
    people["Zalpha"].last_contact_at = utcnow() - timedelta(days=10)
    people["Zbravo"].last_contact_at = utcnow() - timedelta(days=200)
    people["Zcharlie"].last_contact_at = utcnow() - timedelta(days=50)
    people["Zdelta"].last_contact_at = utcnow() - timedelta(days=1)
    db.session.flush()
    plist = build(world.counselor)
    assert plist.fallback and plist.version is None
    # Never contacted first (Zecho), then the longest without a contact.
    assert names(plist.entries) == ["Zecho", "Zbravo", "Zcharlie", "Zalpha", "Zdelta"]
    # The file's alerts are the reasons (registered in January 2025: no situation interview, no contact…),
    # computed for the rows shown.
    assert plist.entries[1].reasons == []
    codes = {r.code for r in plist.shown[1].reasons}
    assert "no_recent_contact" in codes and "situation_interview_missing" in codes
    assert all(r.explanation for r in plist.entries[1].reasons)
    urgent = build(world.counselor, urgent_only=True)  # the alerts decide who is listed
    assert all(e.urgent for e in urgent.entries)
    assert all(any(r.urgent for r in e.reasons) for e in urgent.entries)
    # an overdue entretien de situation is a reason to show, not a deadline
    assert not any(r.urgent for e in plist.shown for r in e.reasons if r.code == "situation_interview_missing")


def test_employer_list(world: World) -> None:
    plist = build(world.employer_counselor, EMPLOYERS)
    assert names(plist.entries) == ["Zgolf", "Zhotel", "Zfox"]
    assert plist.entries[0].urgent  # offers ageing past 15 days
    assert names(build(world.employer_counselor, EMPLOYERS, urgent_only=True).entries) == ["Zgolf"]
    assert build(world.counselor, EMPLOYERS).entries == []  # not an employer portfolio


def test_employer_fallback(world: World) -> None:
    world.employer_version.status = ModelStatus.RETIRED
    world.employers["Zhotel"].last_contact_at = utcnow() - timedelta(days=40)
    world.employers["Zgolf"].last_contact_at = utcnow() - timedelta(days=5)
    f.make_offer(employer=world.employers["Zgolf"], created_on=today() - timedelta(days=30),
                 status="open")
    db.session.flush()
    plist = build(world.employer_counselor, EMPLOYERS)
    assert plist.fallback
    assert names(plist.entries) == ["Zfox", "Zhotel", "Zgolf"]
    assert [r.code for r in plist.entries[0].reasons] == ["employer_never_contacted"]
    assert [r.code for r in plist.entries[2].reasons] == ["ageing_offers", "employer_no_contact"]
    assert plist.entries[2].urgent


def test_a_whole_portfolio_in_a_fixed_number_of_queries(world: World) -> None:
    for n in range(60):
        person = f.make_job_seeker(referent=world.counselor, last_name=f"Zbulk{n}")
        f.make_priority_score(world.version, job_seeker=person, rank=10 + n, scored_on=world.scored_on,
                              reasons=[reason("rights_ending", "Fin de droits dans 3 jours", days=3)])
        if n % 10 == 0:
            feedback(world.counselor, person, action=FeedbackAction.SNOOZE, snoozed_until=today() + timedelta(days=5))
    owner = world.counselor
    db.session.expire_all()
    owner_id = owner.id  # reloads the owner before counting
    with count_queries() as statements:
        plist = build(owner)
    assert owner_id and len(plist.entries) == 5 + 54 and len(plist.hidden) == 6
    assert len(statements) <= 3, statements  # version, people with scores, feedback


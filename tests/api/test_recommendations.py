"""The API of the recommendations: what to propose, candidates for an offer, « Pas pertinent »."""

from __future__ import annotations

import sqlalchemy as sa

from crm.catalogue.models import CatalogueSession
from crm.extensions import db
from crm.interactions.models import Feedback, FeedbackContext
from crm.jobseekers.models import JobSeekerTarget
from crm.recommendations import services


def _targets(world) -> None:
    services.forget_context()
    world.job_seeker.commune_insee = "75056"
    world.offer.commune_insee = "75056"
    db.session.add(JobSeekerTarget(job_seeker_id=world.job_seeker.id, rome_code="M1607", rank=1))
    db.session.flush()


def test_recommendations_list_items_with_reasons_and_feedback_removes_one(api, world):
    _targets(world)
    response = api.get(f"/job-seekers/{world.job_seeker.id}/recommendations", as_="counselor")
    assert response.status_code == 200
    body = response.get_json()
    kinds = {item["item_kind"]: item for item in body["items"]}
    assert "offer" in kinds and "workshop" in kinds and body["model_version"] is None
    assert kinds["offer"]["item_id"] == world.offer.id and kinds["offer"]["reasons"]
    assert [item["rank"] for item in body["items"]] == list(range(1, len(body["items"]) + 1))

    bad = api.post(f"/job-seekers/{world.job_seeker.id}/recommendations/feedback", as_="counselor",
                   json={"item_kind": "offer", "item_id": world.offer.id, "reason": "other"})
    assert bad.status_code == 422 and db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 0
    done = api.post(f"/job-seekers/{world.job_seeker.id}/recommendations/feedback", as_="counselor",
                    json={"item_kind": "offer", "item_id": world.offer.id, "reason": "too_far"})
    assert done.status_code == 201 and done.get_json()["context"] == "recommendation"
    after = api.get(f"/job-seekers/{world.job_seeker.id}/recommendations", as_="counselor").get_json()
    assert "offer" not in {item["item_kind"] for item in after["items"]}


def test_someone_no_longer_registered_has_no_recommendation_and_is_no_candidate(api, world):
    from datetime import date

    from crm.jobseekers.models import JobSeekerStatus

    _targets(world)
    world.job_seeker.status, world.job_seeker.exit_date = JobSeekerStatus.EXITED, date.today()
    db.session.flush()
    response = api.get(f"/job-seekers/{world.job_seeker.id}/recommendations", as_="counselor")
    assert response.status_code == 200 and response.get_json()["items"] == []
    candidates = api.get(f"/offers/{world.offer.id}/candidates", as_="employer_counselor").get_json()["items"]
    assert world.job_seeker.id not in [item["job_seeker_id"] for item in candidates]


def test_candidates_of_an_offer(api, world):
    _targets(world)
    response = api.get(f"/offers/{world.offer.id}/candidates", as_="employer_counselor")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["job_seeker_id"] for item in items] == [world.job_seeker.id]
    assert any("M1607" in reason["text"] for reason in items[0]["reasons"])


def test_another_agency_is_not_found(api, world):
    assert api.get(f"/job-seekers/{world.other_job_seeker.id}/recommendations",
                   as_="counselor").status_code == 404
    assert api.get(f"/offers/{world.other_offer.id}/candidates",
                   as_="employer_counselor").status_code == 404
    assert api.post(f"/job-seekers/{world.other_job_seeker.id}/recommendations/feedback", as_="counselor",
                    json={"item_kind": "workshop", "item_id": world.workshop.id,
                          "reason": "not_now"}).status_code == 404


def test_setting_a_candidate_aside_removes_them_from_the_offer(api, world):
    _targets(world)
    url = f"/offers/{world.offer.id}/candidates/feedback"
    bad = api.post(url, as_="employer_counselor", json={"job_seeker_id": world.job_seeker.id, "reason": "other"})
    assert bad.status_code == 422 and db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 0
    unknown = api.post(url, as_="employer_counselor", json={"job_seeker_id": 10 ** 9, "reason": "too_far"})
    assert unknown.status_code == 422 and "job_seeker_id" in unknown.get_json()["error"]["fields"]
    done = api.post(url, as_="employer_counselor", json={"job_seeker_id": world.job_seeker.id, "reason": "unavailable"})
    assert done.status_code == 201
    body = done.get_json()
    assert (body["context"], body["reason"], body["offer_id"]) == ("candidate", "unavailable", world.offer.id)
    feedback = db.session.get(Feedback, body["id"])
    assert feedback.context == FeedbackContext.CANDIDATE and feedback.job_seeker_id == world.job_seeker.id
    after = api.get(f"/offers/{world.offer.id}/candidates", as_="employer_counselor").get_json()["items"]
    assert world.job_seeker.id not in [item["job_seeker_id"] for item in after]
    # Another agency's offer is not found.
    assert api.post(f"/offers/{world.other_offer.id}/candidates/feedback", as_="employer_counselor",
                    json={"job_seeker_id": world.job_seeker.id, "reason": "too_far"}).status_code == 404

"""The priority lists over the JSON API: the token owner's ranked list, paginated, and
feedback (dismiss, snooze) with the same ownership rules and audit as the pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.interactions.models import Feedback
from crm.modelregistry.models import ModelStatus
from tests import factories as f
from tests.api.conftest import Api, World, make_world
from tests.priority.conftest import today


@pytest.fixture()
def world(db_session: Any) -> World:
    return make_world()


@pytest.fixture()
def api(client: FlaskClient, world: World) -> Api:
    return Api(client, world)


def test_ranked_list_of_the_token_owner(api: Api, world: World) -> None:
    response = api.get("/priority/job-seekers")
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 50
    first, second = body["items"]
    version = world.priority_versions[0]
    assert first == {
        "id": world.job_seeker.id, "external_id": "DE-API-1", "first_name": world.job_seeker.first_name,
        "last_name": "Durand", "modality": "guide", "last_contact_at": None, "rank": 1, "score": 0.9,
        "outcome_probability": 0.4, "uplift": 0.08, "exploration": False, "urgent": True,
        "contacted_since_scoring": False,
        "reasons": [{"code": "rights_ending", "text": "Fin de droits dans 12 jours", "urgent": True}],
        "scored_on": version.as_of.isoformat(), "model_version": {"id": version.id, "version": "api-js"},
    }
    assert second["last_name"] == "Petit" and second["rank"] is None and second["model_version"] is None
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "priority_list.read")).one()
    assert event.channel == "api" and event.details["list"] == "job_seeker"


def test_pagination_and_filters(api: Api) -> None:
    page = api.get("/priority/job-seekers?per_page=1&page=2").json
    assert [i["last_name"] for i in page["items"]] == ["Petit"] and page["total"] == 2
    assert api.get("/priority/job-seekers?page=9").json["items"] == []
    urgent = api.get("/priority/job-seekers?urgent=true").json
    assert [i["last_name"] for i in urgent["items"]] == ["Durand"]
    assert api.get("/priority/job-seekers?modality=suivi").json["total"] == 0
    bad = api.get("/priority/job-seekers?urgent=maybe&per_page=0")
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"urgent", "per_page"}


def test_fallback_without_published_scores(api: Api, world: World) -> None:
    world.priority_versions[0].status = ModelStatus.RETIRED
    items = api.get("/priority/job-seekers").json["items"]
    assert all(i["model_version"] is None and i["rank"] is None for i in items)
    assert any(r["code"] == "situation_interview_missing" for i in items for r in i["reasons"])


def test_employer_list(api: Api, world: World) -> None:
    body = api.get("/priority/employers", as_="employer_counselor").json
    assert [(i["id"], i["rank"], i["name"]) for i in body["items"]] == [(world.employer.id, 1, "Boulangerie Api")]


def test_roles_and_authentication(api: Api) -> None:
    assert api.get("/priority/job-seekers", as_=None).status_code == 401
    assert api.get("/priority/job-seekers", as_="employer_counselor").status_code == 403
    assert api.get("/priority/employers", as_="counselor").status_code == 403
    assert api.get("/priority/job-seekers", as_="admin").status_code == 403


def test_dismiss_and_snooze(api: Api, world: World) -> None:
    person = world.job_seeker
    response = api.post(f"/priority/job-seekers/{person.id}/feedback",
                        json={"action": "dismiss", "reason": "other_channel", "comment": "Vu par mail"})
    assert response.status_code == 201
    body = response.json
    assert (body["action"], body["reason"], body["comment"], body["job_seeker_id"], body["model_version_id"],
            body["snoozed_until"]) == ("dismiss", "other_channel", "Vu par mail", person.id,
                                       world.priority_versions[0].id, None)
    assert [i["last_name"] for i in api.get("/priority/job-seekers").json["items"]] == ["Petit"]
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "priority_list.feedback")).one()

    snooze = api.post("/priority/job-seekers/ext:DE-API-1/feedback", json={"action": "snooze", "reason": "unavailable"})
    assert snooze.status_code == 201 and snooze.json["snoozed_until"] == (today() + timedelta(days=14)).isoformat()


def test_employer_feedback(api: Api, world: World) -> None:
    response = api.post(f"/priority/employers/{world.employer.id}/feedback", as_="employer_counselor",
                        json={"action": "snooze", "reason": "unavailable",
                              "snoozed_until": (today() + timedelta(days=30)).isoformat()})
    assert response.status_code == 201 and response.json["employer_id"] == world.employer.id
    assert api.get("/priority/employers", as_="employer_counselor").json["items"] == []
    other = api.post(f"/priority/employers/{world.other_employer.id}/feedback", as_="employer_counselor",
                     json={"action": "dismiss", "reason": "other_channel"})
    assert other.status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"action": "snooze", "reason": "unavailable", "snoozed_until": "2000-01-01"}, "snoozed_until"),
    ({"action": "snooze", "reason": "unavailable", "snoozed_until": "FAR"}, "snoozed_until"),
    ({"action": "snooze", "reason": "unavailable", "snoozed_until": "31/12/2026"}, "snoozed_until"),
    ({"action": "dismiss", "reason": "unavailable", "snoozed_until": "NEAR"}, "snoozed_until"),
    ({"action": "dismiss", "reason": "other"}, "comment"),
    ({"action": "forget", "reason": "other_channel"}, "action"),
    ({"action": "dismiss", "reason": "bored"}, "reason"),
    ({"action": "dismiss"}, "reason"),
    ({"action": "dismiss", "reason": "other_channel", "extra": 1}, "extra"),
])
def test_invalid_feedback_is_a_422(api: Api, world: World, body: dict[str, Any], field: str) -> None:
    dates = {"FAR": (today() + timedelta(days=91)).isoformat(), "NEAR": (today() + timedelta(days=3)).isoformat()}
    body = {k: dates.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = api.post(f"/priority/job-seekers/{world.job_seeker.id}/feedback", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert db.session.scalars(sa.select(Feedback)).all() == []


def test_feedback_outside_the_portfolio(api: Api, world: World) -> None:
    body = {"action": "dismiss", "reason": "other_channel"}
    assert api.post(f"/priority/job-seekers/{world.other_job_seeker.id}/feedback", json=body).status_code == 404
    assert api.post("/priority/job-seekers/ext:NOPE/feedback", json=body).status_code == 404
    # Same agency, a colleague's portfolio: readable, not theirs to change.
    colleague_person = f.make_job_seeker(referent=world.colleague)
    assert api.post(f"/priority/job-seekers/{colleague_person.id}/feedback", json=body).status_code == 403
    assert api.post(f"/priority/job-seekers/{world.job_seeker.id}/feedback", json=body,
                    as_="employer_counselor").status_code == 403
    assert api.post(f"/priority/job-seekers/{world.job_seeker.id}/feedback", json=body, as_=None).status_code == 401
    assert db.session.scalars(sa.select(Feedback)).all() == []

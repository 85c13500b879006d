"""Each endpoint's happy path, its validation errors (422 with fields), concurrency,
pagination and the audit trail (channel ``api``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.interactions.models import Interaction, Proposal
from crm.offers.models import JobOffer, OfferStatus
from tests import factories as f


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_me(api, world):
    body = api.get("/me").json
    assert body["id"] == world.counselor.id and body["role"] == "counselor"


def test_portfolio_lists_my_job_seekers_with_filters_and_pagination(api, world):
    body = api.get("/portfolio").json
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 50
    assert [p["last_name"] for p in body["items"]] == ["Durand", "Petit"]
    assert world.other_job_seeker.id not in {p["id"] for p in body["items"]}
    second = api.get("/portfolio?per_page=1&page=2").json
    assert second["total"] == 2 and [p["last_name"] for p in second["items"]] == ["Petit"]
    assert api.get("/portfolio?per_page=1&page=3").json["items"] == []
    assert api.get("/portfolio?q=dura").json["total"] == 1
    assert api.get("/portfolio?modality=renforce").json["total"] == 0
    assert [e.channel for e in _events("portfolio.read")] == ["api"] * 5


def test_portfolio_query_errors_are_422_with_fields(api):
    response = api.get("/portfolio?per_page=500&page=0&modality=nope")
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"per_page", "page", "modality"}


def test_job_seeker_file_by_id_and_external_id_is_audited(api, world):
    body = api.get(f"/job-seekers/{world.job_seeker.id}").json
    assert body["external_id"] == "DE-API-1" and body["modality"] == "guide" and body["access"] == "write"
    assert body["benefits"]["current_right"]["kind"] == "are"
    assert {a["code"] for a in body["alerts"]} >= {"situation_interview_missing"}
    assert api.get("/job-seekers/ext:DE-API-1").json["id"] == world.job_seeker.id
    assert api.get("/job-seekers/ext:unknown").status_code == 404
    assert api.get("/job-seekers/99999999").status_code == 404
    reads = _events("job_seeker.read")
    assert len(reads) == 2 and {e.channel for e in reads} == {"api"}
    assert {e.job_seeker_id for e in reads} == {world.job_seeker.id}


def test_timeline_is_paginated(api, world):
    for day in range(1, 4):
        f.make_interaction(world.job_seeker, occurred_at=datetime(2025, 7, day, 9), author=world.counselor)
    body = api.get(f"/job-seekers/{world.job_seeker.id}/timeline?per_page=2").json
    assert len(body["items"]) == 2 and body["has_more"] is True
    assert body["items"][0]["at"] == "2025-07-03T09:00:00Z"
    last = api.get(f"/job-seekers/{world.job_seeker.id}/timeline?per_page=2&page=2").json
    assert len(last["items"]) == 2 and last["has_more"] is False


def test_log_interaction(api, world):
    response = api.post(f"/job-seekers/{world.job_seeker.id}/interactions",
                        json={"channel": "phone", "kind": "follow_up", "outcome": "reached", "direction": "in",
                              "occurred_at": "2026-01-05T10:00:00+01:00", "notes": "Point sur les candidatures"})
    assert response.status_code == 201, response.json
    interaction = db.session.get(Interaction, response.json["id"])
    assert interaction.author_id == world.counselor.id and str(interaction.occurred_at) == "2026-01-05 09:00:00"
    event = _events("interaction.create")[0]
    assert event.channel == "api" and event.job_seeker_id == world.job_seeker.id


def test_log_interaction_validation_errors(api, world):
    path = f"/job-seekers/{world.job_seeker.id}/interactions"
    response = api.post(path, json={"channel": "fax", "kind": "follow_up", "extra": 1})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"channel", "outcome", "extra"}
    response = api.post(path, json={"channel": "email", "kind": "situation_interview", "outcome": "message_left"})
    assert set(response.json["error"]["fields"]) == {"kind", "outcome"}
    response = api.post(path, json={"channel": "phone", "kind": "follow_up", "outcome": "done",
                                    "occurred_at": "2099-01-01T00:00:00Z"})
    assert response.status_code == 422 and response.json["error"]["code"] == "interaction.future"
    assert response.json["error"]["fields"] == {"occurred_at": response.json["error"]["message"]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 1  # the world's only


def test_body_errors_400_413_415(api, world):
    path = f"/job-seekers/{world.job_seeker.id}/interactions"
    assert api.post(path, data="{", content_type="application/json").json["error"]["code"] == "malformed_json"
    assert api.post(path, data="{", content_type="application/json").status_code == 400
    assert api.post(path, data="channel=phone").status_code == 415
    too_big = api.post(path, data='{"notes": "' + "x" * 70000 + '"}', content_type="application/json")
    assert too_big.status_code == 413 and too_big.json["error"]["code"] == "payload_too_large"
    assert api.post(path, json=[1, 2]).json["error"]["fields"] == {"_body": "Un objet JSON est attendu."}


def test_record_proposals(api, world):
    path = f"/job-seekers/{world.job_seeker.id}/proposals"
    training = api.post(path, json={"item_kind": "training", "catalogue_item_id": world.training.id,
                                    "arguments": ["Métier en tension"]})
    assert training.status_code == 201 and training.json["arguments"] == ["Métier en tension"]
    assert _events("proposal.mention")[0].channel == "api"  # the training funnel's first step
    offer = api.post(path, json={"item_kind": "offer", "offer_id": world.offer.id})
    assert offer.status_code == 201 and offer.json["offer_id"] == world.offer.id
    workshop = api.post(path, json={"item_kind": "workshop", "catalogue_item_id": world.workshop.id})
    assert workshop.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 3


def test_record_proposal_validation(api, world):
    path = f"/job-seekers/{world.job_seeker.id}/proposals"
    wrong_kind = api.post(path, json={"item_kind": "workshop", "catalogue_item_id": world.training.id})
    assert wrong_kind.status_code == 422 and "catalogue_item_id" in wrong_kind.json["error"]["fields"]
    missing = api.post(path, json={"item_kind": "offer"})
    assert missing.json["error"]["fields"] == {"offer_id": "Choisissez l'offre proposée."}
    unknown = api.post(path, json={"item_kind": "training", "catalogue_item_id": 999999})
    assert "catalogue_item_id" in unknown.json["error"]["fields"]
    hidden = api.post(path, json={"item_kind": "offer", "offer_id": world.other_offer.id})
    assert "offer_id" in hidden.json["error"]["fields"]
    world.offer.status = OfferStatus.FILLED
    db.session.flush()
    closed = api.post(path, json={"item_kind": "offer", "offer_id": world.offer.id})
    assert closed.json["error"]["code"] == "proposal.offer_closed"


def test_employers_list(api, world):
    body = api.get("/employers", as_="employer_counselor").json
    assert body["total"] == 1 and body["items"][0]["name"] == "Boulangerie Api"
    assert api.get("/employers?q=boul", as_="employer_counselor").json["total"] == 1
    assert api.get("/employers?q=zzz", as_="employer_counselor").json["total"] == 0
    assert _events("employers.read")[0].channel == "api"


def test_offer_create_update_status_and_application(api, world):
    created = api.post("/offers", as_="employer_counselor",
                       json={"employer_id": world.employer.id, "title": "Vendeur", "rome_code": "m1607",
                             "contract_type": "cdd", "positions": 2, "commune_insee": "75056",
                             "contract_months": 6})
    assert created.status_code == 201, created.json
    offer_id = created.json["id"]
    assert created.json["status"] == "draft" and created.json["rome_code"] == "M1607"
    updated = api.patch(f"/offers/{offer_id}", as_="employer_counselor", json={"version": 1, "title": "Vendeuse"})
    assert updated.status_code == 200 and updated.json["title"] == "Vendeuse" and updated.json["positions"] == 2
    opened = api.post(f"/offers/{offer_id}/status", as_="employer_counselor",
                      json={"status": "open", "version": updated.json["version"], "accompanied": True})
    assert opened.json["status"] == "open" and opened.json["accompanied"] is True
    application = api.post(f"/offers/{offer_id}/applications", as_="employer_counselor",
                           json={"job_seeker_id": world.job_seeker.id})
    assert application.status_code == 201 and application.json["status"] == "proposed"
    duplicate = api.post(f"/offers/{offer_id}/applications", as_="employer_counselor",
                         json={"job_seeker_id": world.job_seeker.id})
    assert duplicate.status_code == 422 and duplicate.json["error"]["code"] == "application.duplicate"
    stranger = api.post(f"/offers/{offer_id}/applications", as_="employer_counselor",
                        json={"job_seeker_id": world.other_job_seeker.id})
    assert "job_seeker_id" in stranger.json["error"]["fields"]
    actions = {e.action: e.channel for e in db.session.scalars(sa.select(AuditEvent))}
    assert {actions[a] for a in ("offer.create", "offer.update", "offer.status", "application.create")} == {"api"}


def test_offer_validation_errors(api, world):
    response = api.post("/offers", as_="employer_counselor", json={"employer_id": world.employer.id})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"title", "rome_code", "contract_type"}
    unknown_rome = api.post("/offers", as_="employer_counselor",
                            json={"employer_id": world.employer.id, "title": "X", "rome_code": "Z9999",
                                  "contract_type": "cdi"})
    assert unknown_rome.json["error"]["fields"] == {"rome_code": "Ce code ROME n'existe pas."}
    null_title = api.patch(f"/offers/{world.offer.id}", as_="employer_counselor", json={"version": 1, "title": None})
    assert null_title.status_code == 422 and "title" in null_title.json["error"]["fields"]
    no_version = api.patch(f"/offers/{world.offer.id}", as_="employer_counselor", json={"title": "X"})
    assert "version" in no_version.json["error"]["fields"]
    illegal = api.post(f"/offers/{world.offer.id}/status", as_="employer_counselor",
                       json={"status": "open", "version": 1})
    assert illegal.status_code == 409 and illegal.json["error"]["code"] == "offer.transition"


def test_stale_version_is_409_and_changes_nothing(api, world):
    offer_id = world.offer.id
    first = api.patch(f"/offers/{offer_id}", as_="employer_counselor", json={"version": 1, "title": "Premier"})
    assert first.status_code == 200
    second = api.patch(f"/offers/{offer_id}", as_="employer_counselor", json={"version": 1, "title": "Second",
                                                                                "positions": 3})
    assert second.status_code == 409 and second.json["error"]["code"] == "concurrent_edit"
    db.session.expire_all()
    offer = db.session.get(JobOffer, offer_id)
    assert (offer.title, offer.positions, offer.version) == ("Premier", 1, 2)
    assert len(_events("offer.update")) == 1


def test_errors_outside_routes_are_json(api):
    assert api.get("/nowhere").json["error"]["code"] == "not_found"
    response = api.post("/me")
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"

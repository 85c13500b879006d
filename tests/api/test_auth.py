"""Authentication and scope: tokens only (never the session cookie), 401 / 403 / 404."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from crm.api.tokens import create_token, revoke_token
from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.organisation.models import ApiToken
from tests.api.conftest import bearer
from tests.factories import password_hash


def test_no_token_is_401_with_the_error_shape(api):
    response = api.get("/me", as_=None)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_malformed_and_unknown_tokens_are_401(api):
    for header in ("Basic abc", "Bearer", "Bearer prx_short_x", "Bearer not-a-token",
                   "Bearer prx_00000000_" + "a" * 43, "Bearer " + "x" * 500):
        assert api.get("/me", as_=None, headers={"Authorization": header}).status_code == 401, header


def test_revoked_token_is_401(api, world):
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == world.counselor.id)).one()
    revoke_token(author=world.counselor, token=token)
    assert api.get("/me").status_code == 401


def test_token_of_a_disabled_account_is_401(api, world):
    world.counselor.is_active_account = False
    db.session.flush()
    assert api.get("/me").status_code == 401


def test_session_cookie_alone_is_not_api_auth(client, world):
    world.counselor.password_hash = password_hash("Correct-horse-9")
    db.session.flush()
    login = client.post("/login", data={"email": world.counselor.email, "password": "Correct-horse-9"})
    assert login.status_code == 302
    assert client.get("/").status_code == 200  # logged in on the pages
    assert client.get("/api/v1/me").status_code == 401


def test_token_is_stored_hashed_and_touches_last_used(api, world):
    token, secret = create_token(author=world.counselor, user=world.counselor, name="script")
    assert secret.startswith(f"prx_{token.prefix}_") and len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.name, token.prefix, token.token_hash}
    response = api.get("/me", as_=None, headers=bearer(secret))
    assert response.status_code == 200 and response.json["email"] == world.counselor.email
    assert token.last_used_at is not None


def test_other_agency_records_are_404(api, world):
    assert api.get(f"/job-seekers/{world.other_job_seeker.id}").status_code == 404
    assert api.get("/job-seekers/ext:DE-API-OTHER").status_code == 404
    assert api.get(f"/job-seekers/{world.other_job_seeker.id}/timeline").status_code == 404
    assert api.get(f"/offers/{world.other_offer.id}", as_="employer_counselor").status_code == 404
    response = api.patch(f"/offers/{world.other_offer.id}", as_="employer_counselor",
                         json={"version": 1, "title": "Pris"})
    assert response.status_code == 404
    response = api.post("/offers", as_="employer_counselor",
                        json={"employer_id": world.other_employer.id, "title": "X", "rome_code": "M1607",
                              "contract_type": "cdi"})
    assert response.status_code == 404
    listed = api.get("/employers", as_="employer_counselor").json["items"]
    assert world.other_employer.id not in {e["id"] for e in listed}


def test_read_only_access_on_a_write_is_403(api, world):
    # A colleague of the same agency may read the counselor's job seeker, not write.
    refused = api.get(f"/job-seekers/{world.job_seeker.id}", as_="colleague")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "reason_required"
    other = api.get(f"/job-seekers/{world.job_seeker.id}", as_="colleague", headers={"X-Access-Reason": "other"})
    assert other.status_code == 403  # « other » needs the comment
    read = api.get(f"/job-seekers/{world.job_seeker.id}", as_="colleague",
                   headers={"X-Access-Reason": "absence"})
    assert read.json["access"] == "read"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "job_seeker.open_outside_portfolio")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details["reason_code"] == "absence" and event.user_id == world.colleague.id
    response = api.post(f"/job-seekers/{world.job_seeker.id}/interactions", as_="colleague",
                        json={"channel": "phone", "kind": "follow_up", "outcome": "reached"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "read_only"
    # A counselor reads the agency's employers but does not change their offers.
    response = api.patch(f"/offers/{world.offer.id}", json={"version": 1, "title": "Autre"})
    assert response.status_code == 403


def test_role_not_allowed_is_403(api):
    assert api.get("/portfolio", as_="admin").json["error"]["code"] == "role_not_allowed"
    assert api.get("/employers", as_="counselor").status_code == 403
    assert api.get("/me", as_="admin").status_code == 200

"""Offer pages over HTTP: access matrix, htmx fragments, the MER workflow and bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEvent
from crm.db import utcnow
from crm.extensions import db
from crm.jobseekers.models import JobSeekerTarget
from crm.offers.models import Application, ApplicationStatus, JobOffer, OfferStatus
from crm.organisation.models import Role
from crm.outcomes.models import OutcomeEpisode
from crm.clock import current_day
from tests.factories import (
    make_commune, make_employer, make_job_seeker, make_offer, make_rome_occupation, make_user,
)
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def owner(db_session):
    return make_user(role=Role.EMPLOYER_COUNSELOR)


@pytest.fixture()
def offer(owner):
    return make_offer(employer=make_employer(counselor=owner), counselor=owner, created_on=utcnow().date())


def as_user(client, user):
    log_in(client, user)
    return client


def test_anonymous_users_go_to_the_login_page(client, offer) -> None:
    for url in ("/offres", f"/offres/{offer.id}", "/offres/a-partager", "/evenements"):
        response = client.get(url)
        assert response.status_code == 302
        assert client.post(f"/offres/{offer.id}/statut", data={"status": "cancelled"}).status_code == 302


def test_access_matrix(client, owner, offer) -> None:
    colleague = make_user(role=Role.EMPLOYER_COUNSELOR, agency=owner.agency)
    seeker_counselor = make_user(role=Role.COUNSELOR, agency=owner.agency)
    stranger = make_user(role=Role.EMPLOYER_COUNSELOR)
    admin = make_user(role=Role.ADMIN, agency=None)
    url = f"/offres/{offer.id}"
    status_post = {"status": "cancelled", "version": str(offer.version)}

    assert as_user(client, owner).get(url).status_code == 200
    for reader in (colleague, seeker_counselor):
        assert as_user(client, reader).get(url).status_code == 200
        assert client.post(f"{url}/statut", data=status_post).status_code == 403
        assert client.get(f"{url}/modifier").status_code == 403
    assert as_user(client, stranger).get(url).status_code == 404
    assert client.post(f"{url}/statut", data=status_post).status_code == 404
    assert as_user(client, admin).get(url).status_code == 403  # not a staff page for admins
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "offer.read", AuditEvent.entity_id == offer.id)) == 3
    assert db.session.get(JobOffer, offer.id).status == OfferStatus.OPEN


def test_list_filters_and_fragments(client, owner, offer) -> None:
    make_offer(employer=offer.employer, counselor=owner, status=OfferStatus.DRAFT, title="Brouillon X")
    as_user(client, owner)
    page = client.get("/offres").get_data(as_text=True)
    assert "<html" in page and offer.title in page and "Brouillon X" in page
    response = client.get("/offres?status=draft", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Brouillon X" in html
    assert offer.title not in html
    assert client.get("/offres?status=bogus").status_code == 422


def test_create_edit_and_publish(client, owner) -> None:
    employer = make_employer(counselor=owner)
    make_rome_occupation("M1607")
    as_user(client, owner)
    assert client.get(f"/offres/nouvelle?employer_id={employer.id}").status_code == 200
    assert client.get("/offres/nouvelle?employer_id=abc").status_code == 400
    assert client.get("/offres/nouvelle").status_code == 400
    empty = client.post(f"/offres/nouvelle?employer_id={employer.id}", data={})
    assert empty.status_code == 422 and "Indiquez le code ROME" in empty.get_data(as_text=True)
    bad_rome = client.post(f"/offres/nouvelle?employer_id={employer.id}", data={
        "title": "Assistant", "rome_code": "Z9999", "contract_type": "cdi", "positions": "1"})
    assert bad_rome.status_code == 422 and "Ce code ROME n" in bad_rome.get_data(as_text=True)
    created = client.post(f"/offres/nouvelle?employer_id={employer.id}", data={
        "title": "Assistant", "rome_code": "M1607", "contract_type": "cdi", "positions": "2"})
    assert created.status_code == 303
    offer = db.session.scalar(sa.select(JobOffer).where(JobOffer.employer_id == employer.id))
    assert (offer.status, offer.positions) == (OfferStatus.DRAFT, 2)
    edited = client.post(f"/offres/{offer.id}/modifier", data={
        "title": "Assistant RH", "rome_code": "M1607", "contract_type": "cdd", "positions": "1",
        "version": str(offer.version)})
    assert edited.status_code == 303 and offer.title == "Assistant RH"
    response = client.post(f"/offres/{offer.id}/statut", headers=HTMX,
                           data={"status": "open", "accompanied": "y", "version": str(offer.version)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and html.lstrip().startswith('<section id="offer-main"')
    assert offer.status == OfferStatus.OPEN and offer.accompanied
    illegal = client.post(f"/offres/{offer.id}/statut", headers=HTMX, data={"status": "open", "version": str(offer.version)})
    assert illegal.status_code == 422 and "ne peut pas passer" in illegal.get_data(as_text=True)
    unknown = client.post(f"/offres/{offer.id}/statut", data={"status": "bogus", "version": str(offer.version)})
    assert unknown.status_code == 422


def test_mer_workflow_over_http(client, owner, offer) -> None:
    person = make_job_seeker(agency=owner.agency)
    as_user(client, owner)
    added = client.post(f"/offres/{offer.id}/candidats", data={"job_seeker_id": str(person.id)}, headers=HTMX)
    assert added.status_code == 200 and person.full_name in added.get_data(as_text=True)
    assert added.headers["HX-Trigger"] == "proxima:candidates-changed"
    mer = db.session.scalar(sa.select(Application).where(Application.offer_id == offer.id))
    url = f"/offres/{offer.id}/candidats/{mer.id}/statut"
    assert client.post(url, headers=HTMX, data={"status": "sent", "version": str(mer.version)}).status_code == 200
    refused = client.post(url, headers=HTMX, data={"status": "refused", "version": str(mer.version)})
    assert refused.status_code == 422 and "Indiquez le motif du refus" in refused.get_data(as_text=True)
    hired = client.post(url, headers=HTMX, data={"status": "hired", "version": str(mer.version),
                                                "feedback": "Parfait", "hire_start_on": "2026-03-02"})
    assert hired.status_code == 200
    assert mer.status == ApplicationStatus.HIRED and offer.status == OfferStatus.FILLED
    assert client.post(f"/offres/{offer.id}/candidats", data={"job_seeker_id": "abc"}).status_code == 422
    assert client.post(f"/offres/{offer.id}/candidats/abc/statut", data={}).status_code == 404
    assert client.post(f"/offres/{offer.id}/candidats/999999/statut", data={}).status_code == 404


def test_preselection_panel(client, owner, offer) -> None:
    make_commune("69123", name="Lyon", latitude=45.764, longitude=4.8357)
    offer.commune_insee = "69123"
    person = make_job_seeker(agency=owner.agency, commune_insee="69123")
    db.session.add(JobSeekerTarget(job_seeker_id=person.id, rome_code=offer.rome_code, rank=1))
    db.session.flush()
    as_user(client, owner)
    response = client.get(f"/offres/{offer.id}/preselection?radius_km=10", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and person.full_name in html
    assert client.get(f"/offres/{offer.id}/preselection?radius_km=abc", headers=HTMX).status_code == 422
    assert client.get(f"/offres/{offer.id}/preselection?rome_scope=bogus").status_code == 422
    assert client.get(f"/offres/{offer.id}/preselection?commune_insee=00000", headers=HTMX).status_code == 422


def test_offers_to_share(client, owner) -> None:
    employer = make_employer(counselor=owner)
    old = make_offer(employer=employer, counselor=owner, created_on=utcnow().date() - timedelta(days=16))
    make_offer(employer=employer, counselor=owner, created_on=utcnow().date() - timedelta(days=14), title="Récente")
    as_user(client, owner)
    html = client.get("/offres/a-partager").get_data(as_text=True)
    assert old.title in html and "Récente" not in html
    response = client.post(f"/offres/{old.id}/partage", headers=HTMX, data={"version": str(old.version)})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert old.shared_with_partners_on == current_day().today  # the Paris day
    colleague = make_user(role=Role.EMPLOYER_COUNSELOR, agency=owner.agency)
    assert as_user(client, colleague).post(f"/offres/{old.id}/partage", data={"version": "1"}).status_code == 403


def test_offer_dates_after_midnight_in_paris_are_the_paris_day(client, owner, paris_past_midnight: date) -> None:
    # 22:30 UTC on 30 June is 00:30 on 1 July in Paris: the offer is taken, published, filled and
    # shared on 1 July, and an offer taken on 15 June has been open 16 days (to share), not 15.
    employer = make_employer(counselor=owner)
    make_rome_occupation("M1607")
    as_user(client, owner)
    created = client.post(f"/offres/nouvelle?employer_id={employer.id}", data={
        "title": "Assistant", "rome_code": "M1607", "contract_type": "cdi", "positions": "1"})
    assert created.status_code == 303
    offer = db.session.scalar(sa.select(JobOffer).where(JobOffer.employer_id == employer.id))
    assert offer.created_on == paris_past_midnight
    assert client.post(f"/offres/{offer.id}/statut", headers=HTMX,
                       data={"status": "open", "version": str(offer.version)}).status_code == 200
    assert offer.published_on == paris_past_midnight

    person = make_job_seeker(agency=owner.agency)
    assert client.post(f"/offres/{offer.id}/candidats", data={"job_seeker_id": str(person.id)},
                       headers=HTMX).status_code == 200
    mer = db.session.scalar(sa.select(Application).where(Application.offer_id == offer.id))
    url = f"/offres/{offer.id}/candidats/{mer.id}/statut"
    assert client.post(url, headers=HTMX, data={"status": "sent", "version": str(mer.version)}).status_code == 200
    assert client.post(url, headers=HTMX, data={"status": "hired", "version": str(mer.version)}).status_code == 200
    assert (mer.outcome_date, offer.filled_on) == (paris_past_midnight, paris_past_midnight)
    hire = db.session.scalar(sa.select(OutcomeEpisode).where(OutcomeEpisode.application_id == mer.id))
    assert hire.start_on == paris_past_midnight  # the hire starts today by default

    old = make_offer(employer=employer, counselor=owner, created_on=date(2030, 6, 15), title="Ouverte le 15 juin")
    html = client.get("/offres/a-partager").get_data(as_text=True)
    assert old.title in html and "16 jours" in html
    assert client.post(f"/offres/{old.id}/partage", headers=HTMX, data={"version": str(old.version)}).status_code == 200
    assert old.shared_with_partners_on == paris_past_midnight

"""Employer relations over HTTP: who may do what on every route, the list's filters and
search, the account view, inline logging with htmx, prospection, profile promotion,
recruitment needs and reassignment."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.employers.models import EmployerSegment, ProspectionAction, ProspectionKind, RecruitmentNeed
from crm.extensions import db
from crm.interactions.models import Interaction, InteractionKind
from crm.labels import label
from crm.offers.models import ApplicationStatus, OfferStatus
from crm.organisation.models import Role
from tests.employers.conftest import World
from tests.factories import (
    make_application, make_employer, make_job_seeker, make_naf_code, make_offer, make_satisfaction_answer, make_user,
)
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# --------------------------------------------------------------------------- access matrix

EMPLOYER_GETS = ("/entreprises/{id}", "/entreprises/{id}/historique")
EMPLOYER_POSTS = {
    "/entreprises/{id}/interactions": {"channel": "phone", "direction": "out", "kind": "offer_intake",
                                       "outcome": "reached"},
    "/entreprises/{id}/prospection": {"kind": "visit", "planned_on": "2099-01-05"},
    "/entreprises/{id}/besoins": {"positions": "2", "source": "visit"},
    "/entreprises/{id}/promotion": {"job_seeker": "DE-PROMO", "channel": "phone"},
}
READERS = {"owner": 200, "colleague": 200, "other_team": 200, "manager": 200, "director": 200, "elsewhere": 404,
           "admin": 404}
WRITERS = {"owner": 200, "colleague": 403, "other_team": 403, "manager": 200, "director": 403, "elsewhere": 404,
           "admin": 404}


@pytest.mark.parametrize("route", EMPLOYER_GETS)
def test_account_reads(client: FlaskClient, world: World, route: str) -> None:
    url = route.format(id=world.employer.id)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for name, expected in READERS.items():
        log_in(client, getattr(world, name))
        assert client.get(url).status_code == expected, name
    readers = {e.user_id for e in _events("employer.read")}
    assert world.owner.id in readers and world.director.id in readers and world.elsewhere.id not in readers


@pytest.mark.parametrize("route", EMPLOYER_POSTS)
def test_account_writes(client: FlaskClient, world: World, route: str) -> None:
    make_job_seeker(agency=world.employer.agency, external_id="DE-PROMO")
    url = route.format(id=world.employer.id)
    assert client.post(url, data=EMPLOYER_POSTS[route]).status_code == 302
    for name, expected in WRITERS.items():
        log_in(client, getattr(world, name))
        response = client.post(url, data=EMPLOYER_POSTS[route], headers=HTMX)
        assert response.status_code == expected, (name, response.get_data(as_text=True)[:2000])


def test_log_form_needs_write(client: FlaskClient, world: World) -> None:
    url = f"/entreprises/{world.employer.id}/interactions/formulaire?channel=company_visit"
    log_in(client, world.owner)
    assert client.get(url).status_code == 200
    log_in(client, world.colleague)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("route", ("/entreprises", "/entreprises/a-recontacter"))
def test_list_roles(client: FlaskClient, world: World, route: str) -> None:
    assert client.get(route).status_code == 302
    for user, expected in ((world.owner, 200), (world.manager, 200), (world.director, 200), (world.admin, 403),
                           (make_user(role=Role.COUNSELOR, agency=world.employer.agency), 403)):
        log_in(client, user)
        assert client.get(route).status_code == expected, user.role


def test_bulk_reassign_is_for_directors(client: FlaskClient, world: World) -> None:
    assert client.get("/entreprises/reaffectation").status_code == 302
    for user, expected in ((world.director, 200), (world.manager, 403), (world.owner, 403), (world.admin, 403)):
        log_in(client, user)
        assert client.get("/entreprises/reaffectation").status_code == expected


# --------------------------------------------------------------------------- « Mes entreprises »


def _names(client: FlaskClient, query: str = "", *, headers: dict | None = None) -> list[str]:
    response = client.get(f"/entreprises{query}", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    html = response.get_data(as_text=True)
    import re
    return re.findall(r'<a href="/entreprises/\d+">([^<]+)</a>', html)


def test_list_scope_per_role(client: FlaskClient, world: World) -> None:
    make_employer(counselor=world.colleague, name="Colleague Co")
    make_employer(counselor=world.other_team, name="Other Team Co")
    make_employer(counselor=world.elsewhere, name="Elsewhere Co")
    log_in(client, world.owner)
    assert _names(client) == ["Boulangerie Dupont"]
    log_in(client, world.manager)
    assert _names(client) == ["Boulangerie Dupont", "Colleague Co"]
    log_in(client, world.director)
    assert _names(client) == ["Boulangerie Dupont", "Colleague Co", "Other Team Co"]
    assert _names(client, f"?counselor={world.other_team.id}") == ["Other Team Co"]


def test_list_filters(client: FlaskClient, world: World) -> None:
    make_naf_code("5610A", section="I")
    make_naf_code("4711D", section="G", label="Supermarchés")
    world.employer.naf_code = "5610A"
    world.employer.segment = EmployerSegment.VERY_SMALL
    world.employer.last_contact_at = utcnow() - timedelta(days=100)
    shop = make_employer(counselor=world.owner, name="Supermarché Martin", naf_code="4711D",
                         segment=EmployerSegment.SME, last_contact_at=utcnow() - timedelta(days=10))
    quiet = make_employer(counselor=world.owner, name="Atelier Silence")
    make_offer(employer=shop)
    make_satisfaction_answer(shop, answered_on=date(2024, 1, 1), would_recommend=False)
    make_satisfaction_answer(shop, answered_on=date(2025, 1, 1), would_recommend=True)
    make_satisfaction_answer(quiet, would_recommend=False)
    db.session.flush()
    log_in(client, world.owner)
    assert _names(client, "?naf_section=I") == ["Boulangerie Dupont"]
    assert _names(client, "?naf_code=47.11d") == ["Supermarché Martin"]
    assert _names(client, "?segment=sme") == ["Supermarché Martin"]
    assert _names(client, "?open_offers=yes") == ["Supermarché Martin"]
    assert _names(client, "?open_offers=no") == ["Atelier Silence", "Boulangerie Dupont"]
    assert _names(client, "?min_days=30") == ["Atelier Silence", "Boulangerie Dupont"]  # never contacted counts
    assert _names(client, "?max_days=30") == ["Supermarché Martin"]
    assert _names(client, "?satisfaction=yes") == ["Supermarché Martin"]  # the last answer counts
    assert _names(client, "?satisfaction=no") == ["Atelier Silence"]
    assert _names(client, "?satisfaction=none") == ["Boulangerie Dupont"]


def test_search_by_name_and_siret(client: FlaskClient, world: World) -> None:
    make_employer(counselor=world.owner, name="Garage 100% Auto", siret="73282932000074")
    log_in(client, world.owner)
    assert _names(client, "?q=dupont", headers=HTMX) == ["Boulangerie Dupont"]
    assert _names(client, "?q=100%25") == ["Garage 100% Auto"]  # LIKE wildcards are literal
    assert _names(client, "?q=7328") == ["Garage 100% Auto"]  # a SIRET prefix
    assert _names(client, "?q=443+061+841+00047") == ["Boulangerie Dupont"]  # typed with spaces


def test_search_fragment_for_htmx(client: FlaskClient, world: World) -> None:
    log_in(client, world.owner)
    response = client.get("/entreprises?q=boul", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="employer-results"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_invalid_siret_is_a_field_error(client: FlaskClient, world: World) -> None:
    log_in(client, world.owner)
    response = client.get("/entreprises?q=44306184100048", headers=HTMX)
    assert response.status_code == 422
    assert "clé de contrôle" in response.get_data(as_text=True)
    assert client.get("/entreprises?q=44306184100048").status_code == 400


@pytest.mark.parametrize("query", ("?page=abc", "?min_days=-5", "?max_days=x", "?segment=nope", "?open_offers=maybe",
                                   "?naf_code=ZZZ", "?satisfaction=perhaps", "?min_days=10&max_days=5",
                                   "?naf_section=Q", "?counselor=abc", "?size_band=99"))
def test_invalid_parameters_never_fail(client: FlaskClient, world: World, query: str) -> None:
    log_in(client, world.director)
    response = client.get("/entreprises" + query)
    assert response.status_code == 400
    assert "Boulangerie Dupont" in response.get_data(as_text=True)  # the list without the bad filter


# --------------------------------------------------------------------------- account view


def test_account_view_shows_the_file(client: FlaskClient, world: World) -> None:
    make_naf_code("5610A", section="I", label="Restauration traditionnelle")
    world.employer.naf_code = "5610A"
    offer = make_offer(employer=world.employer, title="Boulanger H/F")
    make_offer(employer=world.employer, title="Offre pourvue", status=OfferStatus.FILLED)
    person = make_job_seeker(agency=world.employer.agency, first_name="Inès", last_name="Candidate")
    make_application(offer, person, status=ApplicationStatus.INTERVIEW)
    make_satisfaction_answer(world.employer, comment="Très réactifs")
    db.session.flush()
    log_in(client, world.colleague)
    html = client.get(f"/entreprises/{world.employer.id}").get_data(as_text=True)
    assert "44306184100047" in html and "Restauration traditionnelle" in html and world.owner.full_name in html
    assert "Boulanger H/F" in html and "Offre pourvue" not in html
    assert "Inès Candidate" in html and str(label(ApplicationStatus.INTERVIEW)) in html
    assert "Très réactifs" in html
    assert "<svg" in html and "<title" in html and "<desc" in html and 'id="hiring-history-table"' in html
    assert "<script" not in html.split("</head>")[1].split("</main>")[0]
    assert 'id="log-form"' not in html  # read-only for a colleague


def test_inline_logging_on_an_employer(client: FlaskClient, world: World) -> None:
    log_in(client, world.owner)
    assert world.employer.last_contact_at is None
    response = client.post(f"/entreprises/{world.employer.id}/interactions", headers=HTMX, data={
        "channel": "email", "direction": "out", "kind": "offer_follow_up", "outcome": "done",
        "notes": "Point sur l'offre"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="timeline"' in html and "Point sur l&#39;offre" in html
    assert 'id="last-contact" hx-swap-oob="true"' in html and "aujourd" in html
    row = db.session.scalar(sa.select(Interaction).where(Interaction.employer_id == world.employer.id))
    assert row.kind is InteractionKind.OFFER_FOLLOW_UP and row.author_id == world.owner.id
    db.session.refresh(world.employer)
    assert world.employer.last_contact_at is not None


def test_inline_logging_error_returns_the_form(client: FlaskClient, world: World) -> None:
    log_in(client, world.owner)
    response = client.post(f"/entreprises/{world.employer.id}/interactions", headers=HTMX,
                           data={"channel": "phone", "direction": "out", "kind": "", "outcome": "done"})
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#log-form"
    assert "Indiquez la nature" in response.get_data(as_text=True)
    # job-seeker kinds are not offered on an employer
    response = client.post(f"/entreprises/{world.employer.id}/interactions", headers=HTMX,
                           data={"channel": "phone", "direction": "out", "kind": "review_6_9", "outcome": "done"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0


def test_timeline_filter_and_fragment(client: FlaskClient, world: World) -> None:
    log_in(client, world.owner)
    client.post(f"/entreprises/{world.employer.id}/interactions", data={
        "channel": "company_visit", "direction": "out", "kind": "prospection", "outcome": "done"})
    response = client.get(f"/entreprises/{world.employer.id}/historique?channel=phone", headers=HTMX)
    assert response.status_code == 200 and "Aucun échange" in response.get_data(as_text=True)
    assert client.get(f"/entreprises/{world.employer.id}/historique?channel=zzz").status_code == 422


# --------------------------------------------------------------------------- prospection and promotion


def test_plan_then_mark_done_logs_an_interaction(client: FlaskClient, world: World) -> None:
    log_in(client, world.owner)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = client.post(f"/entreprises/{world.employer.id}/prospection", headers=HTMX,
                           data={"kind": "visit", "planned_on": tomorrow, "notes": "Visite atelier"})
    assert response.status_code == 200 and 'id="prospection"' in response.get_data(as_text=True)
    action = db.session.scalar(sa.select(ProspectionAction))
    assert action.kind is ProspectionKind.VISIT and action.done_on is None
    assert _events("prospection.plan")
    past = client.post(f"/entreprises/{world.employer.id}/prospection", headers=HTMX,
                       data={"kind": "call", "planned_on": "2000-01-01"})
    assert past.status_code == 422
    response = client.post(f"/entreprises/{world.employer.id}/prospection/{action.id}/realisee", headers=HTMX,
                           data={"version": action.version, "done_on": date.today().isoformat()})
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "proxima:timeline-changed"
    interaction = db.session.scalar(sa.select(Interaction).where(Interaction.employer_id == world.employer.id))
    assert interaction.kind is InteractionKind.PROSPECTION and interaction.channel.value == "company_visit"
    db.session.refresh(world.employer)
    assert world.employer.last_contact_at is not None
    again = client.post(f"/entreprises/{world.employer.id}/prospection/{action.id}/realisee", headers=HTMX,
                        data={"version": action.version, "done_on": date.today().isoformat()})
    assert again.status_code == 422


def test_profile_promotion_is_traced_on_both_sides(client: FlaskClient, world: World) -> None:
    person = make_job_seeker(agency=world.employer.agency, external_id="DE-4242", first_name="Noé",
                             last_name="Promu")
    log_in(client, world.owner)
    response = client.post(f"/entreprises/{world.employer.id}/promotion", headers=HTMX,
                           data={"job_seeker": "DE-4242", "channel": "email", "notes": "Profil boulanger"})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    action = db.session.scalar(sa.select(ProspectionAction))
    assert action.kind is ProspectionKind.PROFILE_PROMOTION and action.job_seeker_id == person.id
    rows = list(db.session.scalars(sa.select(Interaction).where(
        Interaction.kind == InteractionKind.PROFILE_PROMOTION)))
    assert {(r.employer_id, r.job_seeker_id) for r in rows} == {(world.employer.id, None), (None, person.id)}
    db.session.refresh(person)
    assert person.last_contact_at is None  # presenting a profile is not a contact with the person
    assert _events("prospection.profile_promotion")[0].job_seeker_id == person.id


def test_profile_promotion_of_someone_elsewhere_is_refused(client: FlaskClient, world: World) -> None:
    make_job_seeker(external_id="DE-AILLEURS")  # another agency
    log_in(client, world.owner)
    response = client.post(f"/entreprises/{world.employer.id}/promotion", headers=HTMX,
                           data={"job_seeker": "DE-AILLEURS", "channel": "phone"})
    assert response.status_code == 422 and "Aucun demandeur" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0


def test_add_recruitment_need(client: FlaskClient, world: World) -> None:
    log_in(client, world.owner)
    response = client.post(f"/entreprises/{world.employer.id}/besoins", headers=HTMX,
                           data={"positions": "3", "source": "bmo", "expected_on": "2099-06-01", "rome_code": ""})
    assert response.status_code == 200 and "3 postes" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(RecruitmentNeed)).positions == 3
    bad = client.post(f"/entreprises/{world.employer.id}/besoins", headers=HTMX,
                      data={"positions": "2", "source": "bmo", "rome_code": "Z9999"})
    assert bad.status_code == 422 and "ROME" in bad.get_data(as_text=True)


# --------------------------------------------------------------------------- reassignment


def test_director_reassigns_with_a_reason(client: FlaskClient, world: World) -> None:
    log_in(client, world.director)
    url = f"/entreprises/{world.employer.id}/reaffecter"
    missing = client.post(url, headers=HTMX, data={"counselor": str(world.other_team.id), "reason": ""})
    assert missing.status_code == 422
    response = client.post(url, headers=HTMX, data={"counselor": str(world.other_team.id),
                                                    "reason": "Rééquilibrage des portefeuilles"})
    assert response.status_code == 200
    db.session.refresh(world.employer)
    assert world.employer.counselor_id == world.other_team.id
    event = _events("employer.reassign")[0]
    assert event.user_id == world.director.id and event.reason == "Rééquilibrage des portefeuilles"
    assert event.details["from"] == world.owner.id and event.details["to"] == world.other_team.id


def test_reassignment_refused_for_counselors_and_outside_the_team(client: FlaskClient, world: World) -> None:
    url = f"/entreprises/{world.employer.id}/reaffecter"
    data = {"counselor": str(world.colleague.id), "reason": "Je préfère"}
    for user, expected in ((world.owner, 403), (world.colleague, 403), (world.elsewhere, 404), (world.admin, 404)):
        log_in(client, user)
        assert client.post(url, data=data).status_code == expected
    log_in(client, world.manager)  # their team, but not to someone of another team
    response = client.post(url, headers=HTMX, data={"counselor": str(world.other_team.id), "reason": "Équipe"})
    assert response.status_code == 422
    assert client.post(url, headers=HTMX, data=data).status_code == 200
    db.session.refresh(world.employer)
    assert world.employer.counselor_id == world.colleague.id


def test_bulk_reassignment_of_a_sector(client: FlaskClient, world: World) -> None:
    make_naf_code("5610A", section="I")
    make_naf_code("4711D", section="G")
    world.employer.naf_code = "5610A"
    second = make_employer(counselor=world.colleague, naf_code="5610A")
    other_sector = make_employer(counselor=world.owner, naf_code="4711D")
    log_in(client, world.director)
    response = client.post("/entreprises/reaffectation", data={
        "naf_section": "I", "counselor": str(world.other_team.id), "reason": "Nouveau secteur"})
    assert response.status_code == 302
    for employer in (world.employer, second, other_sector):
        db.session.refresh(employer)
    assert world.employer.counselor_id == second.counselor_id == world.other_team.id
    assert other_sector.counselor_id == world.owner.id
    assert len(_events("employer.reassign")) == 2
    assert _events("employer.bulk_reassign")[0].details["employers"] == 2
    refused = client.post("/entreprises/reaffectation", data={"naf_section": "I", "counselor": str(world.owner.id),
                                                             "reason": ""})
    assert refused.status_code == 422

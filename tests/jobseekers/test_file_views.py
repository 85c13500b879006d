"""The job seeker file page: role/ownership matrix, profile editing (validation,
version conflict), barriers, action plan, consents, modality change and transfer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.enums import Modality
from crm.extensions import db
from crm.jobseekers.models import (
    ActionPlanItem, ActionStatus, Barrier, BarrierKind, BenefitEvent, BenefitEventKind, ConsentKind, ConsentRecord,
    JobSeeker, JobSeekerTarget,
)
from crm.organisation.models import Role, User
from crm.referentials.models import RomeAppellation
from crm.clock import current_day
from tests.factories import (
    make_agency, make_benefit_right, make_direction, make_job_seeker, make_region, make_rome_occupation, make_team,
    make_user,
)
from tests.query_count import count_queries
from tests.web.conftest import log_in, open_with_reason

HX = {"HX-Request": "true"}


@dataclass
class World:
    person: JobSeeker
    referent: User
    colleague: User
    manager: User
    director: User
    admin: User
    stranger: User
    successor: User
    other_agency_id: int
    barrier: Barrier
    item: ActionPlanItem


def build_world() -> World:
    region = make_region()
    agency = make_agency(name="Agence de Lille", direction=make_direction(region=region))
    neighbour = make_agency(name="Agence de Roubaix", direction=make_direction(region=region))
    team = make_team(agency)
    referent = make_user(team=team, first_name="Nadia", last_name="Referente")
    person = make_job_seeker(referent=referent, modality=Modality.GUIDE, external_id="DE-0001")
    barrier = Barrier(kind=BarrierKind.MOBILITY, noted_on=date(2025, 2, 1))
    item = ActionPlanItem(label="Mettre à jour le CV", due_on=date(2025, 3, 1))
    person.barriers.append(barrier)
    person.action_items.append(item)
    db.session.flush()
    return World(
        person=person, referent=referent,
        colleague=make_user(agency=agency),
        manager=make_user(role=Role.TEAM_MANAGER, team=team),
        director=make_user(role=Role.DIRECTOR, agency=agency),
        admin=make_user(role=Role.ADMIN, agency=None),
        stranger=make_user(agency=make_agency()),
        successor=make_user(team=team, first_name="Paul", last_name="Successeur"),
        other_agency_id=neighbour.id, barrier=barrier, item=item,
    )


def committed(world: World) -> World:
    db.session.commit()  # a savepoint: a view's rollback must not undo the test's data
    return world


def read_routes(w: World) -> list[str]:
    base = f"/beneficiaires/{w.person.id}"
    return [base, f"{base}/profil", f"{base}/entete"]


def write_routes(w: World) -> list[str]:
    base = f"/beneficiaires/{w.person.id}"
    return [f"{base}/profil", f"{base}/freins", f"{base}/freins/{w.barrier.id}/lever", f"{base}/plan-action",
            f"{base}/plan-action/{w.item.id}/statut", f"{base}/consentements", f"{base}/modalite",
            f"{base}/transfert"]


def edit_route(w: World) -> str:
    return f"/beneficiaires/{w.person.id}/profil/modifier"


@pytest.mark.parametrize("who, reads, edit, writes", [
    ("referent", 200, 200, "ok"),
    ("manager", 200, 200, "ok"),
    ("colleague", 200, 403, 403),
    ("director", 200, 403, 403),
    ("stranger", 404, 404, 404),
    ("admin", 404, 404, 404),
])
def test_role_and_ownership_matrix(client: FlaskClient, who: str, reads: int, edit: int, writes) -> None:
    w = committed(build_world())
    log_in(client, getattr(w, who))
    open_with_reason(client, w.person.id)  # read-only files ask for a reason first (tests/jobseekers/test_access_reasons.py)
    for url in read_routes(w):
        assert client.get(url).status_code == reads, url
        assert client.get(url, headers=HX).status_code == reads, url
    assert client.get(edit_route(w), headers=HX).status_code == edit
    for url in write_routes(w):
        status = client.post(url, data={}, headers=HX).status_code
        if writes == "ok":
            assert status in (200, 422), url
        else:
            assert status == writes, url


def test_anonymous_users_go_to_the_login_page(client: FlaskClient) -> None:
    w = committed(build_world())
    for url in read_routes(w) + [edit_route(w)]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"] or \
            "connexion" in response.headers["Location"], url
    for url in write_routes(w):
        assert client.post(url, data={}).status_code == 302, url


def test_an_unknown_file_is_not_found(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    assert client.get("/beneficiaires/999999").status_code == 404


def test_the_page_shows_every_section_and_is_read_only_for_a_colleague(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    html = client.get(f"/beneficiaires/{w.person.id}").get_data(as_text=True)
    for root in ('id="file-header"', 'id="last-contact"', 'id="profile"', 'id="action-plan"', 'id="barriers"',
                 'id="consents"', 'id="benefits"', 'id="follow-up"', 'id="timeline"', 'id="appointments"',
                 'id="referrals"', 'id="trainings"'):
        assert html.count(root) == 1, root
    assert "DE-0001" in html and "Guidé" in html and "Nadia Referente" in html
    assert 'hx-trigger="load"' in html and f"/beneficiaires/{w.person.id}/historique" in html
    assert "Modifier le profil" in html and "Changer la modalité" in html

    log_in(client, w.colleague)
    open_with_reason(client, w.person.id)
    html = client.get(f"/beneficiaires/{w.person.id}").get_data(as_text=True)
    assert "Consultation seule" in html
    for button in ("Modifier le profil", "Changer la modalité", "Transférer", "Noter le frein", "Ajouter l'action"):
        assert button not in html


def test_header_shows_flags_alerts_and_last_contact(client: FlaskClient) -> None:
    w = committed(build_world())
    today = current_day().today
    w.person.rsa = True
    w.person.registration_date = today - timedelta(days=400)
    w.person.last_contact_at = datetime.combine(today - timedelta(days=3), datetime.min.time()) + timedelta(hours=10)
    db.session.flush()
    log_in(client, w.referent)
    html = client.get(f"/beneficiaires/{w.person.id}/entete", headers=HX).get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<header id="file-header"')
    assert "Bénéficiaire du RSA" in html and "DELD" in html
    assert "Entretien de situation non réalisé" in html and 'role="tooltip"' in html
    assert "il y a 3 jours" in html


def test_the_last_contact_fragment_can_be_rendered_alone(app, db_session) -> None:
    from flask import render_template

    person = make_job_seeker()
    with app.test_request_context():
        html = render_template("jobseekers/_last_contact.html", job_seeker=person)
        oob = render_template("jobseekers/_last_contact.html", job_seeker=person, oob=True)
    assert html.startswith('<span id="last-contact">') and "Aucun contact abouti" in html
    assert 'hx-swap-oob="true"' in oob


def test_days_since_a_contact_count_by_the_paris_calendar(app, monkeypatch: pytest.MonkeyPatch) -> None:
    # 23:30 UTC on 6 December is 00:30 on the 7th in Paris: a contact logged then is today's,
    # and one logged at 22:30 UTC (23:30 in Paris) is yesterday's.
    from crm import clock
    from crm.clock import Day
    from crm.jobseekers import views

    monkeypatch.setattr(clock, "current_day", lambda: Day(
        today=date(2026, 12, 7), start_utc=datetime(2026, 12, 6, 23), end_utc=datetime(2026, 12, 7, 23),
        now_utc=datetime(2026, 12, 6, 23, 40)))
    with app.test_request_context():
        assert views.days_since(datetime(2026, 12, 6, 23, 30)) == 0
        assert views.days_since(datetime(2026, 12, 6, 22, 30)) == 1
        assert views.days_since(date(2026, 12, 4)) == 3


def test_reads_are_audited(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.colleague)
    open_with_reason(client, w.person.id)
    client.get(f"/beneficiaires/{w.person.id}")
    client.get(f"/beneficiaires/{w.person.id}/profil", headers=HX)
    events = audit_events(w.person, "job_seeker.read")
    assert len(events) == 2 and {e.user_id for e in events} == {w.colleague.id}


# --------------------------------------------------------------------------- profile

def rome_referential() -> None:
    make_rome_occupation("H2913", label="Soudage manuel")
    make_rome_occupation("J1501", label="Soins d'hygiène, de confort du patient")
    make_rome_occupation("M1607", label="Secrétariat")
    make_rome_occupation("K2204", label="Nettoyage de locaux")
    db.session.add(RomeAppellation(ogr_code="38760", rome_code="H2913", label="Soudeur / Soudeuse à l'arc"))
    db.session.add(RomeAppellation(ogr_code="10820", rome_code="J1501", label="Aide-soignant / Aide-soignante"))
    db.session.commit()


def profile_data(w: World, **changes) -> dict:
    data = {"version": str(w.person.version), "targets": ["H2913:38760", "J1501"], "contract_types": ["cdi", "cdd"],
            "mobility_km": "35", "education_level": "cap_bep", "experience_months": "48",
            "languages": "Français\nAnglais", "skills": "Soudure TIG\n\nLecture de plans", "work_axes": "Permis B",
            "digital_autonomy": "autonomous"}
    data.update(changes)
    return data


def audit_events(person: JobSeeker, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.job_seeker_id == person.id,
                                                               AuditEvent.action == action)))


def test_the_edit_form_is_a_fragment_with_the_version(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    html = client.get(edit_route(w), headers=HX).get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="profile"')
    assert f'name="version" type="hidden" value="{w.person.version}"' in html
    assert "/referentiels/rome" in html


def test_valid_profile_save(client: FlaskClient) -> None:
    rome_referential()
    w = committed(build_world())
    log_in(client, w.referent)
    response = client.post(f"/beneficiaires/{w.person.id}/profil", data=profile_data(w), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="profile"' in html
    person = w.person
    assert [(t.rome_code, t.appellation_code, t.rank) for t in person.targets] == [
        ("H2913", "38760", 1), ("J1501", None, 2)]
    assert (person.contract_types, person.mobility_km, person.experience_months) == (["cdi", "cdd"], 35, 48)
    assert person.skills == ["Soudure TIG", "Lecture de plans"] and person.languages == ["Français", "Anglais"]
    assert person.version == 2
    assert "Soudeur / Soudeuse à l&#39;arc" in html or "Soudeur / Soudeuse à l'arc" in html
    [event] = audit_events(person, "job_seeker.profile_update")
    assert event.user_id == w.referent.id and "targets" in event.details["fields"]

    # targets only: the version still moves (the form carried the file's version)
    response = client.post(f"/beneficiaires/{w.person.id}/profil",
                           data=profile_data(w, targets=["J1501", "M1607"]), headers=HX)
    assert response.status_code == 200
    assert [t.rome_code for t in person.targets] == ["J1501", "M1607"] and person.version == 3


@pytest.mark.parametrize("changes, field_message", [
    ({"mobility_km": "250"}, "Le rayon de mobilité va de 0 à 200 km."),
    ({"mobility_km": ""}, "Indiquez le rayon de mobilité."),
    ({"experience_months": "-3"}, "L'expérience va de 0 à 600 mois."),
    ({"targets": ["H2913", "J1501", "M1607", "K2204"]}, "Au plus 3 métiers recherchés."),
    ({"targets": ["Z9999"]}, "Code ROME inconnu : Z9999."),
    ({"targets": ["H2913:10820"]}, "Code ROME inconnu : H2913:10820."),  # appellation of another occupation
    ({"targets": ["H2913", "H2913:38760"]}, "Chaque métier ne peut être choisi qu'une fois (H2913)."),
    ({"education_level": "phd"}, "Not a valid choice."),
])
def test_profile_validation_errors_are_shown_in_place(client: FlaskClient, changes, field_message) -> None:
    rome_referential()
    w = committed(build_world())
    log_in(client, w.referent)
    response = client.post(f"/beneficiaires/{w.person.id}/profil", data=profile_data(w, **changes), headers=HX)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422 and "<html" not in html
    assert 'class="field-errors"' in html and (field_message in html or field_message == "Not a valid choice.")
    assert w.person.targets == [] and w.person.mobility_km == 20 and w.person.version == 1
    assert audit_events(w.person, "job_seeker.profile_update") == []


def test_profile_version_conflict_writes_nothing(client: FlaskClient) -> None:
    rome_referential()
    w = committed(build_world())
    log_in(client, w.referent)
    form = client.get(edit_route(w), headers=HX).get_data(as_text=True)
    assert 'value="1"' in form
    w.person.mobility_km = 80  # someone else saves the file meanwhile
    db.session.commit()
    assert w.person.version == 2

    response = client.post(f"/beneficiaires/{w.person.id}/profil", data=profile_data(w, version="1"), headers=HX)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422
    assert "Ce dossier a été modifié par quelqu'un d'autre" in html and "Recharger le dossier" in html
    db.session.refresh(w.person)
    assert w.person.mobility_km == 80 and w.person.targets == [] and w.person.version == 2
    assert audit_events(w.person, "job_seeker.profile_update") == []


def test_profile_save_without_htmx_redirects_to_the_page(client: FlaskClient) -> None:
    rome_referential()
    w = committed(build_world())
    log_in(client, w.referent)
    response = client.post(f"/beneficiaires/{w.person.id}/profil", data=profile_data(w))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/beneficiaires/{w.person.id}#profile")
    response = client.post(f"/beneficiaires/{w.person.id}/profil", data=profile_data(w, mobility_km="999"))
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- barriers, action plan, consents

def test_barrier_add_and_resolve(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    url = f"/beneficiaires/{w.person.id}/freins"
    response = client.post(url, data={"barrier-kind": "housing", "barrier-notes": "Hébergé chez un tiers"},
                           headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and html.lstrip().startswith('<div id="barriers"')
    assert "Logement" in html and "Hébergé chez un tiers" in html
    assert {b.kind for b in w.person.barriers} == {BarrierKind.MOBILITY, BarrierKind.HOUSING}
    assert len(audit_events(w.person, "job_seeker.barrier_add")) == 1

    response = client.post(url, data={"barrier-kind": "housing"}, headers=HX)  # already open
    assert response.status_code == 422 and "Ce frein est déjà noté" in response.get_data(as_text=True)
    response = client.post(url, data={"barrier-kind": "nope"}, headers=HX)
    assert response.status_code == 422

    response = client.post(f"{url}/{w.barrier.id}/lever", headers=HX)
    assert response.status_code == 200 and "1 frein levé" in response.get_data(as_text=True)
    assert w.barrier.resolved_on is not None
    assert len(audit_events(w.person, "job_seeker.barrier_resolve")) == 1
    assert client.post(f"{url}/{w.barrier.id}/lever", headers=HX).status_code == 422  # already resolved
    other = make_job_seeker(referent=w.referent)
    foreign = Barrier(kind=BarrierKind.HEALTH, noted_on=date(2025, 1, 1))
    other.barriers.append(foreign)
    db.session.flush()
    assert client.post(f"{url}/{foreign.id}/lever", headers=HX).status_code == 404


def test_action_item_add_and_status_change(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    url = f"/beneficiaires/{w.person.id}/plan-action"
    response = client.post(url, data={"action-label": "Atelier CV", "action-due_on": "2026-09-15"}, headers=HX)
    assert response.status_code == 200 and "Atelier CV" in response.get_data(as_text=True)
    added = next(i for i in w.person.action_items if i.label == "Atelier CV")
    assert added.due_on == date(2026, 9, 15) and added.status == ActionStatus.TODO
    assert added.created_by_id == w.referent.id

    response = client.post(url, data={"action-label": "  "}, headers=HX)
    assert response.status_code == 422 and "Décrivez l'action." in response.get_data(as_text=True)

    status_url = f"{url}/{w.item.id}/statut"
    response = client.post(status_url, data={"status": "done", "version": str(w.item.version)}, headers=HX)
    assert response.status_code == 200
    assert w.item.status == ActionStatus.DONE and w.item.done_on is not None and w.item.version == 2
    # a stale status form: nothing written, the conflict is said
    response = client.post(status_url, data={"status": "abandoned", "version": "1"}, headers=HX)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422 and "modifié par quelqu'un d'autre" in html
    assert w.item.status == ActionStatus.DONE
    assert [e.details for e in audit_events(w.person, "job_seeker.action_item_status")] == [
        {"from": "todo", "to": "done"}]
    assert len(audit_events(w.person, "job_seeker.action_item_add")) == 1


def test_consent_is_recorded(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    url = f"/beneficiaires/{w.person.id}/consentements"
    response = client.post(url, data={"consent-kind": "sms", "consent-given": "y"}, headers=HX)
    assert response.status_code == 200 and "Contact par SMS" in response.get_data(as_text=True)
    response = client.post(url, data={"consent-kind": "sms", "consent-notes": "Ne souhaite plus de SMS"},
                           headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Retiré" in html and "Historique complet" in html
    records = db.session.scalars(sa.select(ConsentRecord).where(ConsentRecord.job_seeker_id == w.person.id)).all()
    assert sorted(r.given for r in records) == [False, True]
    assert all(r.kind == ConsentKind.SMS and r.recorded_by_id == w.referent.id for r in records)
    assert len(audit_events(w.person, "job_seeker.consent_record")) == 2


# --------------------------------------------------------------------------- follow-up

def test_modality_change_with_a_reason(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    url = f"/beneficiaires/{w.person.id}/modalite"
    response = client.post(url, data={"modality-version": "1", "modality-modality": "renforce",
                                      "modality-reason": ""}, headers=HX)
    assert response.status_code == 422 and "Indiquez le motif." in response.get_data(as_text=True)
    assert w.person.modality == Modality.GUIDE

    response = client.post(url, data={"modality-version": "1", "modality-modality": "renforce",
                                      "modality-reason": "Freins multiples"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="follow-up"')
    assert '<header id="file-header" class="file-header" hx-swap-oob="true">' in html  # header refreshed
    assert w.person.modality == Modality.RENFORCE
    [event] = audit_events(w.person, "job_seeker.modality_change")
    assert event.reason == "Freins multiples" and event.user_id == w.referent.id

    response = client.post(url, data={"modality-version": "1", "modality-modality": "suivi",
                                      "modality-reason": "Autonome"}, headers=HX)
    assert response.status_code == 422 and "Recharger le dossier" in response.get_data(as_text=True)
    assert w.person.modality == Modality.RENFORCE


def test_the_file_dates_what_is_done_after_midnight_in_paris_with_the_paris_day(
        client: FlaskClient, paris_past_midnight: date) -> None:
    # 22:30 UTC on 30 June is 00:30 on 1 July in Paris: what the referent notes then is dated 1 July.
    w = committed(build_world())
    log_in(client, w.referent)
    base = f"/beneficiaires/{w.person.id}"
    assert client.post(f"{base}/freins", data={"barrier-kind": "housing"}, headers=HX).status_code == 200
    assert client.post(f"{base}/freins/{w.barrier.id}/lever", headers=HX).status_code == 200
    assert client.post(f"{base}/plan-action/{w.item.id}/statut", headers=HX,
                       data={"status": "done", "version": str(w.item.version)}).status_code == 200
    assert client.post(f"{base}/modalite", headers=HX, data={
        "modality-version": str(w.person.version), "modality-modality": "renforce",
        "modality-reason": "Freins multiples"}).status_code == 200
    housing = next(b for b in w.person.barriers if b.kind == BarrierKind.HOUSING)
    assert housing.noted_on == paris_past_midnight
    assert w.barrier.resolved_on == paris_past_midnight
    assert w.item.done_on == paris_past_midnight
    assert w.person.modality_since == paris_past_midnight


def test_transfer_to_a_colleague_with_a_reason(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    url = f"/beneficiaires/{w.person.id}/transfert"
    html = client.get(f"/beneficiaires/{w.person.id}").get_data(as_text=True)
    assert "Paul Successeur" in html and "Agence de Roubaix" in html

    response = client.post(url, data={"transfer-version": "1", "transfer-referent": str(w.successor.id),
                                      "transfer-reason": " "}, headers=HX)
    assert response.status_code == 422 and "Indiquez le motif." in response.get_data(as_text=True)
    response = client.post(url, data={"transfer-version": "1", "transfer-reason": "Rééquilibrage"}, headers=HX)
    assert response.status_code == 422 and "Choisissez un conseiller ou une agence." in response.get_data(as_text=True)
    assert w.person.referent_id == w.referent.id

    response = client.post(url, data={"transfer-version": "1", "transfer-referent": str(w.successor.id),
                                      "transfer-reason": "Rééquilibrage des portefeuilles"}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(f"/beneficiaires/{w.person.id}")
    assert w.person.referent_id == w.successor.id
    [event] = audit_events(w.person, "job_seeker.transfer")
    assert event.reason == "Rééquilibrage des portefeuilles"
    # the former referent now only reads the file
    assert client.post(url, data={}, headers=HX).status_code == 403


def test_transfer_to_another_agency_leaves_the_file(client: FlaskClient) -> None:
    w = committed(build_world())
    log_in(client, w.referent)
    response = client.post(f"/beneficiaires/{w.person.id}/transfert",
                           data={"transfer-version": "1", "transfer-agency": str(w.other_agency_id),
                                 "transfer-reason": "Déménagement"}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/")
    assert (w.person.agency_id, w.person.referent_id) == (w.other_agency_id, None)
    assert client.get(f"/beneficiaires/{w.person.id}").status_code == 404


# --------------------------------------------------------------------------- benefits and query count

def test_benefits_highlight_what_calls_for_a_contact(client: FlaskClient) -> None:
    w = committed(build_world())
    today = current_day().today
    make_benefit_right(w.person, start_on=today - timedelta(days=300), end_on=today + timedelta(days=12))
    db.session.add_all([
        BenefitEvent(job_seeker_id=w.person.id, kind=BenefitEventKind.PENDING_DECISION, occurred_on=today,
                     description="Reprise d'activité à examiner"),
        BenefitEvent(job_seeker_id=w.person.id, kind=BenefitEventKind.OVERPAYMENT, occurred_on=today,
                     amount=Decimal("312.40"), resolved_on=today),
    ])
    db.session.flush()
    log_in(client, w.colleague)
    open_with_reason(client, w.person.id)
    html = client.get(f"/beneficiaires/{w.person.id}").get_data(as_text=True)
    assert "fin dans 12 jours" in html and "2 points appellent un contact proactif" in html
    assert html.count("à expliquer à la personne") == 1  # the overpayment is settled


def test_the_page_costs_the_same_queries_with_many_rows(client: FlaskClient) -> None:
    rome_referential()
    w = committed(build_world())
    log_in(client, w.referent)
    client.get(f"/beneficiaires/{w.person.id}")  # warm up (user, caches)

    def count() -> int:
        db.session.expire_all()
        with count_queries() as statements:
            assert client.get(f"/beneficiaires/{w.person.id}").status_code == 200
        return len(statements)

    few = count()
    person = w.person
    for rome in ("H2913", "J1501", "M1607"):
        person.targets.append(JobSeekerTarget(rome_code=rome, rank=len(person.targets) + 1))
    for n in range(30):
        person.barriers.append(Barrier(kind=list(BarrierKind)[n % 7], noted_on=date(2025, 1, 1 + n % 28),
                                       resolved_on=date(2025, 2, 1)))
        person.action_items.append(ActionPlanItem(label=f"Action {n}", due_on=date(2025, 4, 1 + n % 28)))
        person.consents.append(ConsentRecord(kind=ConsentKind.SMS, given=n % 2 == 0))
        person.benefit_events.append(BenefitEvent(kind=BenefitEventKind.OVERPAYMENT, occurred_on=date(2025, 1, 1)))
        make_benefit_right(person, start_on=date(2020 + n % 5, 1, 1), end_on=date(2020 + n % 5, 12, 31))
    db.session.flush()
    many = count()
    assert many == few and many <= 25


# --------------------------------------------------------------------------- ROME picker inside the profile

def test_a_chosen_occupation_comes_back_as_a_checked_box(client: FlaskClient) -> None:
    rome_referential()
    w = committed(build_world())
    log_in(client, w.referent)
    html = client.get("/referentiels/rome/choix?value=H2913:38760&name=targets", headers=HX).get_data(as_text=True)
    assert "<html" not in html and 'name="targets" value="H2913:38760" checked' in html
    assert client.get("/referentiels/rome/choix?value=Z9999", headers=HX).status_code == 404

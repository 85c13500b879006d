"""The timeline sections of the job seeker file over HTTP: the merged history and its
inline logging form, appointments, referrals and the training funnel."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.catalogue.models import CatalogueKind
from crm.db import utcnow
from crm.enums import ContractType
from crm.extensions import db
from crm.interactions.models import (
    Appointment, AppointmentStatus, Channel, Interaction, InteractionKind, InteractionOutcome, Proposal,
    Referral, ReferralStatus, Task, TaskOrigin, TaskStatus,
)
from crm.jobseekers.models import JobSeeker
from crm.offers.models import Application
from crm.organisation.models import Role
from crm.outcomes.models import OutcomeEpisode, OutcomeKind
from crm.clock import current_day
from tests.factories import (
    make_appointment, make_catalogue_item, make_interaction, make_job_seeker, make_offer, make_referral,
    make_training_proposal, make_user,
)
from tests.query_count import count_queries
from tests.web.conftest import log_in, open_with_reason

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def counselor(db_session):
    return make_user(role=Role.COUNSELOR, first_name="Dominique", last_name="Referent")


@pytest.fixture()
def person(counselor):
    return make_job_seeker(referent=counselor)


@pytest.fixture()
def referent(client: FlaskClient, counselor) -> FlaskClient:
    log_in(client, counselor)
    return client


def local_input(moment: datetime) -> str:
    """A naive UTC time as the browser's datetime-local input sends it (Paris time)."""
    from zoneinfo import ZoneInfo

    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def log_data(**fields: str) -> dict[str, str]:
    data = {"channel": "phone", "direction": "out", "kind": "follow_up", "outcome": "reached", "notes": "Point sur la recherche"}
    data.update(fields)
    return data


def interactions_of(person: JobSeeker) -> list[Interaction]:
    return list(db.session.scalars(sa.select(Interaction).where(Interaction.job_seeker_id == person.id)))


# --------------------------------------------------------------------------- inline logging


def test_logging_inline_returns_the_timeline_and_the_last_contact_out_of_band(referent, person) -> None:
    assert person.last_contact_at is None
    response = referent.post(f"/beneficiaires/{person.id}/interactions", data=log_data(), headers=HTMX)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="timeline"')
    span = re.search(r'<span id="last-contact" hx-swap-oob="true">(.*?)</span>', html, re.S)
    assert span, "no out-of-band last contact"
    db.session.expire_all()
    logged = interactions_of(person)
    assert [(i.kind, i.channel, i.outcome, i.notes) for i in logged] == [
        (InteractionKind.FOLLOW_UP, Channel.PHONE, InteractionOutcome.REACHED, "Point sur la recherche")]
    last_contact = db.session.get(JobSeeker, person.id).last_contact_at
    assert last_contact is not None and abs(last_contact - utcnow()) < timedelta(minutes=1)
    assert str(last_contact.year) in span.group(1) and "Aucun" not in span.group(1)
    assert "Point sur la recherche" in html and "Entretien de suivi" in html


@pytest.mark.parametrize("change, field_message", [
    ({"kind": ""}, "Indiquez la nature de l'échange."),
    ({"occurred_at": "FUTURE"}, "La date d'une interaction ne peut pas être dans le futur."),
    ({"notes": "x" * 5001}, "Les notes sont limitées à 5000 caractères."),
    ({"channel": "email", "kind": "situation_interview"}, "ne correspond pas au canal choisi"),
    ({"channel": "online", "kind": "login"}, 'class="field-errors" id="channel-errors"'),
    ({"next_step": "task", "task_title": ""}, "Indiquez l'objet de la tâche."),
    ({"next_step": "appointment", "appointment_at": "PAST"}, "Un rendez-vous ne peut pas être fixé dans le passé."),
])
def test_invalid_logging_answers_422_with_the_form_and_saves_nothing(referent, person, change,
                                                                     field_message) -> None:
    if change.get("occurred_at") == "FUTURE":
        change["occurred_at"] = local_input(utcnow() + timedelta(days=2))
    if change.get("appointment_at") == "PAST":
        change["appointment_at"] = local_input(utcnow() - timedelta(days=2))
    response = referent.post(f"/beneficiaires/{person.id}/interactions", data=log_data(**change), headers=HTMX)
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert "<html" not in html and html.lstrip().startswith('<form id="log-form"')
    assert response.headers["HX-Retarget"] == "#log-form"
    assert field_message in html.replace("&#39;", "'")
    db.session.expire_all()
    assert interactions_of(person) == []
    assert db.session.get(JobSeeker, person.id).last_contact_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)
                             .where(Appointment.job_seeker_id == person.id)) == 0


def test_a_next_step_task_is_created(referent, person, counselor) -> None:
    due = date.today() + timedelta(days=7)
    response = referent.post(f"/beneficiaires/{person.id}/interactions", headers=HTMX, data=log_data(
        next_step="task", task_title="Envoyer la liste des offres", task_due_on=due.isoformat()))
    assert response.status_code == 200
    task = db.session.scalars(sa.select(Task).where(Task.job_seeker_id == person.id)).one()
    assert (task.title, task.due_on, task.owner_id, task.origin) == (
        "Envoyer la liste des offres", due, counselor.id, TaskOrigin.NEXT_STEP)


def test_a_next_step_appointment_is_created_and_the_appointments_refresh(referent, person) -> None:
    at = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = referent.post(f"/beneficiaires/{person.id}/interactions", headers=HTMX, data=log_data(
        next_step="appointment", appointment_at=local_input(at), appointment_channel="visio",
        appointment_kind="review_6_9"))
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "proxima:appointments-changed"
    appointment = db.session.scalars(sa.select(Appointment).where(Appointment.job_seeker_id == person.id)).one()
    assert (appointment.scheduled_at, appointment.channel, appointment.status) == (
        at, Channel.VISIO, AppointmentStatus.PLANNED)


def test_the_form_is_narrowed_to_the_channel(referent, person) -> None:
    html = referent.get(f"/beneficiaires/{person.id}/interactions/formulaire?channel=workshop",
                        headers=HTMX).get_data(as_text=True)
    kinds = re.search(r'<select[^>]*name="kind".*?</select>', html, re.S).group(0)
    outcomes = re.search(r'<select[^>]*name="outcome".*?</select>', html, re.S).group(0)
    assert 'value="workshop_attendance"' in kinds and 'value="situation_interview"' not in kinds
    assert 'value="login"' not in kinds and 'value="message_left"' not in outcomes
    channel = re.search(r'<select[^>]*name="channel"[^>]*>', html).group(0)
    assert f'hx-get="/beneficiaires/{person.id}/interactions/formulaire"' in channel  # htmx reads hx-get, not hx_get
    assert 'hx-trigger="change"' in channel


# --------------------------------------------------------------------------- the merged timeline


def test_timeline_is_newest_first_and_merges_every_kind_of_entry(referent, person, counselor) -> None:
    make_interaction(person, occurred_at=datetime(2025, 3, 1, 9), author=counselor, notes="Premier appel")
    make_interaction(person, occurred_at=datetime(2025, 5, 1, 9), kind=InteractionKind.LOGIN)
    make_appointment(person, scheduled_at=datetime(2025, 4, 1, 9), staff=counselor)
    make_training_proposal(person, training=make_catalogue_item(title="CAP cuisine"),
                           proposed_at=datetime(2025, 4, 10, 9))
    make_referral(person, partner_item=make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE,
                                                           title="Mission locale de Lille"),
                  referred_at=datetime(2025, 4, 20, 9))
    offer = make_offer(title="Commis de cuisine")
    db.session.add(Application(offer_id=offer.id, job_seeker_id=person.id, created_at=datetime(2025, 4, 25, 9)))
    db.session.add(OutcomeEpisode(job_seeker_id=person.id, kind=OutcomeKind.EMPLOYMENT, start_on=date(2025, 5, 20),
                                  contract_type=ContractType.CDD))
    db.session.flush()

    html = referent.get(f"/beneficiaires/{person.id}/historique", headers=HTMX).get_data(as_text=True)
    markers = ["Sortie", "Connexion à l'espace personnel", "Commis de cuisine", "Mission locale de Lille",
               "CAP cuisine", "Rendez-vous", "Premier appel"]
    text = html.replace("&#39;", "'")
    positions = [text.index(marker, text.index('class="item-list timeline-entries"')) for marker in markers]
    assert positions == sorted(positions)
    assert "Dominique Referent" in html


def test_timeline_filters_by_channel_and_kind(referent, person, counselor) -> None:
    make_interaction(person, occurred_at=datetime(2025, 3, 1, 9), channel=Channel.PHONE, notes="Par téléphone")
    make_interaction(person, occurred_at=datetime(2025, 3, 2, 9), channel=Channel.EMAIL, notes="Par courriel",
                     kind=InteractionKind.INFORMATION)
    make_referral(person, referred_at=datetime(2025, 3, 3, 9))
    url = f"/beneficiaires/{person.id}/historique"

    by_channel = referent.get(url + "?channel=email", headers=HTMX).get_data(as_text=True)
    assert "Par courriel" in by_channel and "Par téléphone" not in by_channel and "Orientation :" not in by_channel
    by_kind = referent.get(url + "?kind=follow_up", headers=HTMX).get_data(as_text=True)
    assert "Par téléphone" in by_kind and "Par courriel" not in by_kind
    referrals_only = referent.get(url + "?kind=referral", headers=HTMX).get_data(as_text=True)
    assert "Orientation :" in referrals_only and "Par téléphone" not in referrals_only


@pytest.mark.parametrize("query", ["channel=pigeon", "kind=nope", "page=0", "page=abc"])
def test_invalid_filters_are_field_errors_not_a_server_error(referent, person, query) -> None:
    response = referent.get(f"/beneficiaires/{person.id}/historique?{query}", headers=HTMX)
    assert response.status_code == 422
    assert 'class="field-errors"' in response.get_data(as_text=True)


def test_timeline_is_paginated(referent, person) -> None:
    for day in range(60):
        make_interaction(person, occurred_at=datetime(2025, 1, 1, 9) + timedelta(days=day), notes=f"n°{day}")
    first = referent.get(f"/beneficiaires/{person.id}/historique", headers=HTMX).get_data(as_text=True)
    assert "n°59<" in first and "n°10<" in first and "n°9<" not in first and "Voir plus" in first
    more = referent.get(f"/beneficiaires/{person.id}/historique?page=2", headers=HTMX).get_data(as_text=True)
    assert more.lstrip().startswith("<li") and "n°9<" in more and "n°0<" in more and "Voir plus" not in more


def test_a_long_timeline_costs_a_bounded_number_of_queries(referent, person, counselor) -> None:
    other = make_user(agency=counselor.agency)
    training = make_catalogue_item()
    for n in range(300):
        make_interaction(person, occurred_at=datetime(2024, 1, 1) + timedelta(days=n), author=(counselor, other)[n % 2],
                         catalogue_item_id=training.id if n % 10 == 0 else None)
    for n in range(20):
        make_appointment(person, scheduled_at=datetime(2024, 2, 1) + timedelta(days=n), staff=other)
        make_referral(person, referred_at=datetime(2024, 3, 1) + timedelta(days=n))
    db.session.expire_all()
    with count_queries() as statements:
        response = referent.get(f"/beneficiaires/{person.id}/historique", headers=HTMX)
    assert response.status_code == 200
    assert len(statements) <= 12, "\n".join(statements)


# --------------------------------------------------------------------------- appointments


def test_plan_then_mark_done(referent, person) -> None:
    at = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = referent.post(f"/beneficiaires/{person.id}/rendez-vous", headers=HTMX, data={
        "scheduled_at": local_input(at), "duration_minutes": "45", "channel": "in_person", "kind": "follow_up"})
    assert response.status_code == 200 and response.get_data(as_text=True).lstrip().startswith(
        '<section id="appointments"')
    appointment = db.session.scalars(sa.select(Appointment).where(Appointment.job_seeker_id == person.id)).one()
    assert (appointment.scheduled_at, appointment.duration_minutes) == (at, 45)

    held = make_appointment(person, scheduled_at=utcnow() - timedelta(hours=1))
    response = referent.post(f"/beneficiaires/{person.id}/rendez-vous/{held.id}/statut", headers=HTMX,
                             data={"status": "done", "version": held.version})
    assert response.status_code == 200
    assert 'id="last-contact" hx-swap-oob="true"' in response.get_data(as_text=True)
    db.session.refresh(held)
    assert held.status == AppointmentStatus.DONE
    assert db.session.scalars(sa.select(Interaction).where(Interaction.appointment_id == held.id)).one()


def test_a_missed_appointment_shows_its_follow_up_task(referent, person) -> None:
    missed = make_appointment(person, scheduled_at=utcnow() - timedelta(hours=2))
    response = referent.post(f"/beneficiaires/{person.id}/rendez-vous/{missed.id}/statut", headers=HTMX,
                             data={"status": "missed", "version": missed.version})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    task = db.session.scalars(sa.select(Task).where(Task.appointment_id == missed.id)).one()
    assert (task.origin, task.status) == (TaskOrigin.MISSED_APPOINTMENT, TaskStatus.OPEN)
    assert "Tâche de relance" in html and task.title in html.replace("&#39;", "'")


def test_an_illegal_transition_is_shown_in_place(referent, person) -> None:
    cancelled = make_appointment(person, scheduled_at=utcnow() - timedelta(hours=2), status=AppointmentStatus.CANCELLED)
    response = referent.post(f"/beneficiaires/{person.id}/rendez-vous/{cancelled.id}/statut", headers=HTMX,
                             data={"status": "missed", "version": cancelled.version})
    assert response.status_code == 422
    assert "Seul un rendez-vous prévu peut être marqué comme manqué." in response.get_data(as_text=True)
    db.session.refresh(cancelled)
    assert cancelled.status == AppointmentStatus.CANCELLED


def test_a_concurrent_change_of_an_appointment_is_detected(referent, person) -> None:
    appointment = make_appointment(person, scheduled_at=utcnow() - timedelta(hours=2))
    rendered_version = appointment.version
    appointment.notes = "Changé par un collègue"
    db.session.flush()
    response = referent.post(f"/beneficiaires/{person.id}/rendez-vous/{appointment.id}/statut", headers=HTMX,
                             data={"status": "missed", "version": rendered_version})
    assert response.status_code == 422
    assert "modifié par quelqu" in response.get_data(as_text=True)
    db.session.refresh(appointment)
    assert appointment.status == AppointmentStatus.PLANNED
    assert db.session.scalars(sa.select(Task).where(Task.appointment_id == appointment.id)).all() == []


def test_another_persons_appointment_is_not_found(referent, person, counselor) -> None:
    stranger = make_job_seeker(referent=counselor)
    theirs = make_appointment(stranger, scheduled_at=utcnow() - timedelta(hours=2))
    response = referent.post(f"/beneficiaires/{person.id}/rendez-vous/{theirs.id}/statut", headers=HTMX,
                             data={"status": "missed", "version": theirs.version})
    assert response.status_code == 404


# --------------------------------------------------------------------------- referrals


def test_create_a_referral_then_record_a_no_show(referent, person) -> None:
    partner = make_catalogue_item(kind=CatalogueKind.PARTNER_SERVICE, title="Cap emploi Nord")
    page = referent.get(f"/beneficiaires/{person.id}/orientations", headers=HTMX).get_data(as_text=True)
    assert "Cap emploi Nord" in page
    response = referent.post(f"/beneficiaires/{person.id}/orientations", headers=HTMX,
                             data={"partner_item_id": partner.id})
    assert response.status_code == 200
    referral = db.session.scalars(sa.select(Referral).where(Referral.job_seeker_id == person.id)).one()
    assert referral.status == ReferralStatus.SENT

    response = referent.post(f"/beneficiaires/{person.id}/orientations/{referral.id}/retour", headers=HTMX,
                             data={"showed_up": "no", "feedback": "Absent au premier rendez-vous",
                                   "version": referral.version})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    db.session.refresh(referral)
    assert referral.showed_up is False and referral.partner_feedback == "Absent au premier rendez-vous"
    assert "absent chez le partenaire" in html and "Tâche de relance" in html
    assert db.session.scalars(sa.select(Task).where(Task.job_seeker_id == person.id,
                                                    Task.origin == TaskOrigin.REFERRAL_NO_SHOW)).one()


def test_referral_status_update_and_illegal_change(referent, person) -> None:
    referral = make_referral(person)
    response = referent.post(f"/beneficiaires/{person.id}/orientations/{referral.id}/statut", headers=HTMX,
                             data={"status": "accepted", "version": referral.version})
    assert response.status_code == 200
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.ACCEPTED
    response = referent.post(f"/beneficiaires/{person.id}/orientations/{referral.id}/statut", headers=HTMX,
                             data={"status": "refused", "version": referral.version})
    assert response.status_code == 422
    assert "ne peut pas passer à ce statut" in response.get_data(as_text=True)


def test_a_referral_must_go_to_a_partner_service(referent, person) -> None:
    training = make_catalogue_item(kind=CatalogueKind.TRAINING)
    response = referent.post(f"/beneficiaires/{person.id}/orientations", headers=HTMX,
                             data={"partner_item_id": training.id})
    assert response.status_code == 422
    assert "Une orientation se fait vers un service partenaire." in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Referral).where(Referral.job_seeker_id == person.id)).all() == []


# --------------------------------------------------------------------------- training funnel


def test_mention_prescribe_and_start_a_training(referent, person) -> None:
    training = make_catalogue_item(title="Titre professionnel de secrétaire", provider="AFPA")
    options = referent.get(f"/beneficiaires/{person.id}/formations/catalogue?q=secrét", headers=HTMX)
    assert "Titre professionnel de secrétaire" in options.get_data(as_text=True)

    assert referent.post(f"/beneficiaires/{person.id}/formations", headers=HTMX,
                         data={"training_id": training.id}).status_code == 200
    proposal = db.session.scalars(sa.select(Proposal).where(Proposal.job_seeker_id == person.id)).one()
    assert referent.post(f"/beneficiaires/{person.id}/formations/{proposal.id}/prescription", headers=HTMX,
                         data={"version": proposal.version}).status_code == 200
    db.session.refresh(proposal)
    response = referent.post(f"/beneficiaires/{person.id}/formations/{proposal.id}/entree", headers=HTMX,
                             data={"version": proposal.version, "started_on": current_day().today.isoformat()})
    assert response.status_code == 200
    db.session.refresh(proposal)
    assert proposal.prescribed_at is not None and proposal.started_on == current_day().today  # the Paris day
    assert "Évoquées : 1 · prescrites : 1 · commencées : 1" in response.get_data(as_text=True)


def test_a_second_prescription_of_the_same_training_is_refused_in_place(referent, person) -> None:
    training = make_catalogue_item(title="CACES R489")
    make_training_proposal(person, training=training, proposed_at=datetime(2025, 1, 5, 10),
                           prescribed_at=datetime(2025, 1, 10, 10))
    again = make_training_proposal(person, training=training, proposed_at=datetime(2025, 3, 1, 10))
    response = referent.post(f"/beneficiaires/{person.id}/formations/{again.id}/prescription", headers=HTMX,
                             data={"version": again.version})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert "Cette formation a déjà été prescrite à cette personne le 10/01/2025." in html.replace("&#39;", "'")
    db.session.refresh(again)
    assert again.prescribed_at is None


# --------------------------------------------------------------------------- role and ownership matrix


def _routes(person: JobSeeker) -> list[tuple[str, str, dict]]:
    appointment = make_appointment(person, scheduled_at=utcnow() - timedelta(hours=1))
    referral = make_referral(person)
    proposal = make_training_proposal(person)
    base = f"/beneficiaires/{person.id}"
    return [
        ("GET", f"{base}/historique", {}),
        ("GET", f"{base}/rendez-vous", {}),
        ("GET", f"{base}/orientations", {}),
        ("GET", f"{base}/formations", {}),
        ("GET", f"{base}/formations/catalogue?q=a", {}),
        ("WRITE-GET", f"{base}/interactions/formulaire?channel=phone", {}),
        ("POST", f"{base}/interactions", log_data()),
        ("POST", f"{base}/rendez-vous", {"scheduled_at": local_input(utcnow() + timedelta(days=1)),
                                         "duration_minutes": "30", "channel": "phone", "kind": "follow_up"}),
        ("POST", f"{base}/rendez-vous/{appointment.id}/statut", {"status": "missed", "version": "1"}),
        ("POST", f"{base}/orientations", {"partner_item_id": str(referral.partner_item_id)}),
        ("POST", f"{base}/orientations/{referral.id}/statut", {"status": "accepted", "version": "1"}),
        ("POST", f"{base}/orientations/{referral.id}/retour", {"showed_up": "yes", "version": "1"}),
        ("POST", f"{base}/formations", {"training_id": str(proposal.catalogue_item_id)}),
        ("POST", f"{base}/formations/{proposal.id}/prescription", {"version": "1"}),
        ("POST", f"{base}/formations/{proposal.id}/entree", {"version": "1", "started_on": "2025-01-06"}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "referent", "colleague", "other_agency", "admin"])
def test_role_and_ownership_matrix(client: FlaskClient, counselor, person, who) -> None:
    routes = _routes(person)
    users = {
        "referent": counselor,
        "colleague": make_user(role=Role.COUNSELOR, agency=counselor.agency),
        "other_agency": make_user(role=Role.COUNSELOR),
        "admin": make_user(role=Role.ADMIN, agency=None),
    }
    if who != "anonymous":
        log_in(client, users[who])
        open_with_reason(client, person.id)  # read-only files ask for a reason first
    for method, url, data in routes:
        writes = method != "GET"  # the logging form's refresh is for those who may log
        method = method.removeprefix("WRITE-")
        response = client.open(url, method=method, data=data, headers=HTMX)
        status = response.status_code
        if who == "anonymous":
            assert status == 302 and "/login" in response.headers["Location"], (method, url)
        elif who == "referent":
            assert status in (200, 422), (method, url, status)
        elif who == "colleague":
            assert status == (403 if writes else 200), (method, url, status)
        else:
            assert status == 404, (method, url, status)


def test_a_colleague_reads_without_the_forms(client: FlaskClient, counselor, person) -> None:
    log_in(client, make_user(role=Role.COUNSELOR, agency=counselor.agency))
    open_with_reason(client, person.id)
    html = client.get(f"/beneficiaires/{person.id}/historique", headers=HTMX).get_data(as_text=True)
    assert 'id="timeline"' in html and 'id="log-form"' not in html


def test_reads_are_audited(referent, person) -> None:
    from crm.audit.models import AuditEvent

    referent.get(f"/beneficiaires/{person.id}/historique", headers=HTMX)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "job_seeker",
                                                                    AuditEvent.entity_id == person.id)).all()
    assert "job_seeker.read" in actions


def test_a_full_page_without_htmx(referent, person) -> None:
    html = referent.get(f"/beneficiaires/{person.id}/formations").get_data(as_text=True)
    assert "<html" in html and 'id="trainings"' in html


def test_after_midnight_in_paris_the_file_counts_from_the_paris_day(referent, person, paris_past_midnight) -> None:
    # 22:30 UTC on 30 June is 00:30 on 1 July in Paris. A training prescribed now can be entered
    # today, 1 July (the form's latest day, which the service accepts), and follow-up tasks fall
    # due two days after 1 July.
    base = f"/beneficiaires/{person.id}"
    proposal = make_training_proposal(person)
    assert referent.post(f"{base}/formations/{proposal.id}/prescription", headers=HTMX,
                         data={"version": proposal.version}).status_code == 200
    funnel = referent.get(f"{base}/formations", headers=HTMX).get_data(as_text=True)
    assert f'max="{paris_past_midnight.isoformat()}"' in funnel
    db.session.refresh(proposal)
    response = referent.post(f"{base}/formations/{proposal.id}/entree", headers=HTMX,
                             data={"version": proposal.version, "started_on": paris_past_midnight.isoformat()})
    assert response.status_code == 200
    db.session.refresh(proposal)
    assert proposal.started_on == paris_past_midnight

    missed = make_appointment(person, scheduled_at=datetime(2030, 6, 30, 20))
    assert referent.post(f"{base}/rendez-vous/{missed.id}/statut", headers=HTMX,
                         data={"status": "missed", "version": missed.version}).status_code == 200
    referral = make_referral(person, referred_at=datetime(2030, 6, 20, 10))
    assert referent.post(f"{base}/orientations/{referral.id}/retour", headers=HTMX,
                         data={"showed_up": "no", "version": referral.version}).status_code == 200
    tasks = db.session.scalars(sa.select(Task).where(Task.job_seeker_id == person.id)).all()
    assert {task.origin: task.due_on for task in tasks} == {
        TaskOrigin.MISSED_APPOINTMENT: date(2030, 7, 3), TaskOrigin.REFERRAL_NO_SHOW: date(2030, 7, 3)}

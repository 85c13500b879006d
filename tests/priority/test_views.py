"""The pages: who sees which list, the htmx fragments, dismiss and snooze, inline
logging, the fallback without scores, the exploration marker, audit and query count."""

from __future__ import annotations

import re
from html import unescape
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.interactions.models import Feedback, FeedbackAction, Interaction, InteractionOrigin
from crm.modelregistry.models import ModelStatus
from crm.organisation.models import Role
from tests import factories as f
from tests.priority.conftest import World, reason, today
from tests.query_count import count_queries
from tests.web.conftest import log_in
from tests.web.test_i18n import compiled_english  # noqa: F401  (a fixture: compiles the catalogue when stale)

HTMX = {"HX-Request": "true"}


def listed(html: str) -> list[str]:
    """Test people's names in page order (the text of the rows' name links)."""
    return re.findall(r'<th scope="row">\s*<a href="[^"]+">(Z[a-z]+)', html)


def get(client: FlaskClient, user: Any, url: str, **kwargs: Any) -> Any:
    log_in(client, user)
    return client.get(url, **kwargs)


def feedback_form(person: Any, party: str = "job_seeker", **fields: Any) -> dict[str, Any]:
    prefix = f"{party}-{person.id}-feedback-"
    return {prefix + name: value for name, value in fields.items()}


def contact_form(person: Any, party: str = "job_seeker", **fields: Any) -> dict[str, Any]:
    prefix = f"{party}-{person.id}-contact-"
    return {prefix + name: value for name, value in fields.items()}


# --------------------------------------------------------------------------- who sees which list


def test_counselor_sees_their_ranked_list(client: FlaskClient, world: World) -> None:
    response = get(client, world.counselor, "/priorites")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert listed(html) == ["Zbravo", "Zalpha", "Zcharlie", "Zdelta", "Zecho"]
    assert "Zindia" not in html and "Zjuliet" not in html  # a colleague's, another agency's
    assert f"Calculé le {world.scored_on:%d/%m/%Y}" in html and "js-2026.11" in html
    assert 'aria-current="page"' in html.split('href="/priorites"', 1)[1][:30]  # the menu item is wired


def test_reading_the_list_is_audited(client: FlaskClient, world: World) -> None:
    get(client, world.counselor, "/priorites")
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "priority_list.read")).one()
    assert event.user_id == world.counselor.id and event.entity_id == world.counselor.id
    assert event.details["list"] == "job_seeker" and event.details["model_version_id"] == world.version.id


@pytest.mark.parametrize("role", [Role.EMPLOYER_COUNSELOR, Role.BENEFITS_COUNSELOR, Role.PSYCHOLOGIST,
                                  Role.DIRECTOR, Role.ADMIN])
def test_other_roles_cannot_read_the_job_seeker_list(client: FlaskClient, world: World, role: Role) -> None:
    assert get(client, f.make_user(role=role), "/priorites").status_code == 403


@pytest.mark.parametrize("role", [Role.COUNSELOR, Role.BENEFITS_COUNSELOR, Role.DIRECTOR])
def test_other_roles_cannot_read_the_employer_list(client: FlaskClient, world: World, role: Role) -> None:
    assert get(client, f.make_user(role=role), "/priorites/entreprises").status_code == 403


def test_anonymous_goes_to_the_login_page(client: FlaskClient, world: World) -> None:
    assert client.get("/priorites").status_code == 302


def test_counselors_cannot_read_someone_elses_list(client: FlaskClient, world: World) -> None:
    # ?counselor= is for team managers only: a counselor still gets their own list.
    html = get(client, world.colleague, f"/priorites?counselor={world.counselor.id}").get_data(as_text=True)
    assert listed(html) == ["Zindia"]


def test_team_manager_reads_a_team_counselors_list(client: FlaskClient, world: World) -> None:
    html = get(client, world.manager, "/priorites").get_data(as_text=True)
    assert "Choisissez un conseiller" in html and world.counselor.last_name in html
    response = client.get(f"/priorites?counselor={world.counselor.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert listed(html) == ["Zbravo", "Zalpha", "Zcharlie", "Zdelta", "Zecho"]
    assert "Tracer le contact" not in html and "Écarter ou reporter" not in html  # read-only
    assert client.get(f"/priorites?counselor={world.elsewhere.id}").status_code == 404
    assert client.get(f"/priorites?counselor={world.employer_counselor.id}").status_code == 404
    # … and cannot write on it
    person = world.people["Zbravo"]
    assert client.post(f"/priorites/{person.id}/retour",
                       data=feedback_form(person, action="dismiss", reason="other_channel")).status_code == 403


# --------------------------------------------------------------------------- htmx fragments and filters


def test_htmx_filters_answer_the_list_fragment(client: FlaskClient, world: World) -> None:
    response = get(client, world.counselor, "/priorites?modality=guide&urgent=", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="priority-results"') and "<html" not in html
    assert listed(html) == ["Zalpha", "Zdelta", "Zecho"]
    html = client.get("/priorites?urgent=y", headers=HTMX).get_data(as_text=True)
    assert listed(html) == ["Zbravo"]
    assert "⚠" in html and "Urgent" in html  # never by colour alone


def test_voir_plus_extends_the_list(client: FlaskClient, world: World) -> None:
    html = get(client, world.counselor, "/priorites?limit=2").get_data(as_text=True)
    assert listed(html) == ["Zbravo", "Zalpha"]
    assert "limit=52" in html and "Voir plus" in html


def test_invalid_filter_is_a_field_error(client: FlaskClient, world: World) -> None:
    response = get(client, world.counselor, "/priorites?limit=abc&modality=nope", headers=HTMX)
    assert response.status_code == 422
    assert len(listed(response.get_data(as_text=True))) == 5  # built from the valid filters
    assert get(client, world.counselor, "/priorites?limit=0").status_code == 400


def test_exploration_marker_and_reasons(client: FlaskClient, world: World) -> None:
    html = get(client, world.counselor, "/priorites").get_data(as_text=True)
    row = html.split('id="priority-job_seeker-%d"' % world.people["Zcharlie"].id, 1)[1].split("</tbody>", 1)[0]
    assert "Sélection aléatoire" in row and "mesurer ce qu'un contact change" in unescape(row)
    assert "Aucun contact depuis 95 jours (modalité guidé : 60 jours)" in html  # a known code, rendered
    assert "Un motif inconnu du catalogue" in html  # an unknown code: the stored text


def test_english_rendering_of_a_known_reason(client: FlaskClient, world: World, compiled_english: None) -> None:
    world.counselor.locale = "en"
    html = get(client, world.counselor, "/priorites").get_data(as_text=True)
    assert "Benefits end in 12 days" in html
    assert "No contact for 95 days (guided follow-up: 60 days)" in html
    assert "Random selection" in html and "<h1>Contact first" in html and "Log the contact" in html


# --------------------------------------------------------------------------- dismiss and snooze


def test_dismiss_removes_the_row_and_records_feedback(client: FlaskClient, world: World) -> None:
    person = world.people["Zbravo"]
    log_in(client, world.counselor)
    form = client.get(f"/priorites/{person.id}/retour", headers=HTMX)
    assert form.status_code == 200
    assert form.get_data(as_text=True).lstrip().startswith(f'<form id="priority-job_seeker-{person.id}-feedback"')

    response = client.post(f"/priorites/{person.id}/retour", headers=HTMX, data=feedback_form(
        person, action="dismiss", reason="other_channel", snoozed_until="2099-01-01"))
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "<tbody" not in html and 'id="priority-status"' in html and 'hx-swap-oob="true"' in html
    assert "écarté jusqu'au prochain calcul" in html
    saved = db.session.scalars(sa.select(Feedback)).one()
    assert (saved.action, saved.reason, saved.job_seeker_id, saved.model_version_id, saved.snoozed_until) == (
        FeedbackAction.DISMISS, "other_channel", person.id, world.version.id, None)
    assert saved.context.value == "priority_list" and saved.user_id == world.counselor.id
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "priority_list.feedback")).one()

    html = client.get("/priorites").get_data(as_text=True)
    assert "Zbravo" not in listed(html) and "1 écarté ou reporté" in html


def test_snooze_until_a_date(client: FlaskClient, world: World) -> None:
    person = world.people["Zalpha"]
    until = today() + timedelta(days=30)
    log_in(client, world.counselor)
    form = client.get(f"/priorites/{person.id}/retour", headers=HTMX).get_data(as_text=True)
    assert (today() + timedelta(days=14)).isoformat() in form  # default: 14 days ahead
    response = client.post(f"/priorites/{person.id}/retour", headers=HTMX, data=feedback_form(
        person, action="snooze", reason="unavailable", snoozed_until=until.isoformat()))
    assert response.status_code == 200
    saved = db.session.scalars(sa.select(Feedback)).one()
    assert saved.action == FeedbackAction.SNOOZE and saved.snoozed_until == until
    assert "Zalpha" not in listed(client.get("/priorites").get_data(as_text=True))


@pytest.mark.parametrize("fields, field", [
    ({"action": "snooze", "reason": "unavailable", "snoozed_until": "2026-02-31"}, "snoozed_until"),
    ({"action": "snooze", "reason": "unavailable", "snoozed_until": "far"}, "snoozed_until"),
    ({"action": "snooze", "reason": "unavailable", "snoozed_until": "PAST"}, "snoozed_until"),
    ({"action": "snooze", "reason": "unavailable", "snoozed_until": "TOO_FAR"}, "snoozed_until"),
    ({"action": "dismiss", "reason": "other", "comment": "  "}, "comment"),
    ({"action": "dismiss"}, "reason"),
])
def test_invalid_feedback_is_a_field_error_and_saves_nothing(client: FlaskClient, world: World,
                                                             fields: dict[str, str], field: str) -> None:
    person = world.people["Zalpha"]
    dates = {"PAST": today().isoformat(), "TOO_FAR": (today() + timedelta(days=91)).isoformat()}
    fields = {k: dates.get(v, v) for k, v in fields.items()}
    log_in(client, world.counselor)
    response = client.post(f"/priorites/{person.id}/retour", headers=HTMX, data=feedback_form(person, **fields))
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#priority-job_seeker-{person.id}-panel"
    html = response.get_data(as_text=True)
    field_id = f"job_seeker-{person.id}-feedback-{field}"
    assert f'id="{field_id}-errors"' in html or (field == "reason" and "Choisissez un motif" in html), html
    assert db.session.scalars(sa.select(Feedback)).all() == []


def test_feedback_on_someone_outside_the_portfolio(client: FlaskClient, world: World) -> None:
    log_in(client, world.counselor)
    data = {"action": "dismiss", "reason": "other_channel"}
    other_agency = client.post(f"/priorites/{world.foreign_person.id}/retour",
                               data=feedback_form(world.foreign_person, **data))
    assert other_agency.status_code == 404
    colleagues = client.post(f"/priorites/{world.other_person.id}/retour",
                             data=feedback_form(world.other_person, **data))
    assert colleagues.status_code == 403  # same agency: readable, not theirs to change
    assert client.post("/priorites/999999/retour", data={}).status_code == 404
    assert db.session.scalars(sa.select(Feedback)).all() == []


def test_feedback_without_htmx_redirects_to_the_list(client: FlaskClient, world: World) -> None:
    person = world.people["Zdelta"]
    log_in(client, world.counselor)
    page = client.get(f"/priorites/{person.id}/retour")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert "hx-post" not in page.get_data(as_text=True).split("<main", 1)[1]
    response = client.post(f"/priorites/{person.id}/retour", data=feedback_form(
        person, action="dismiss", reason="situation_known"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/priorites")


# --------------------------------------------------------------------------- inline logging


def test_inline_logging_marks_the_row(client: FlaskClient, world: World) -> None:
    person = world.people["Zalpha"]
    log_in(client, world.counselor)
    form = client.get(f"/priorites/{person.id}/contact", headers=HTMX)
    assert form.status_code == 200
    assert form.get_data(as_text=True).lstrip().startswith(f'<form id="priority-job_seeker-{person.id}-contact"')
    narrowed = client.get(f"/priorites/{person.id}/contact", headers=HTMX,
                          query_string=contact_form(person, channel="email"))
    assert 'value="situation_interview"' not in narrowed.get_data(as_text=True)  # no interview by e-mail

    response = client.post(f"/priorites/{person.id}/contact", headers=HTMX, data=contact_form(
        person, channel="phone", direction="out", kind="follow_up", outcome="reached", notes="Point sur les offres"))
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert html.lstrip().startswith(f'<tbody id="priority-job_seeker-{person.id}"')
    assert "Contacté aujourd'hui" in html and "(aujourd'hui)" in html  # the last contact date moved too
    interaction = db.session.scalars(sa.select(Interaction)).one()
    assert interaction.origin == InteractionOrigin.PRIORITY_LIST and interaction.author_id == world.counselor.id
    assert person.last_contact_at is not None


def test_contact_from_an_exploration_row_is_traced_as_exploration(client: FlaskClient, world: World) -> None:
    person = world.people["Zcharlie"]
    log_in(client, world.counselor)
    response = client.post(f"/priorites/{person.id}/contact", headers=HTMX, data=contact_form(
        person, channel="phone", direction="out", kind="follow_up", outcome="not_reached"))
    assert response.status_code == 200
    assert "Échange tracé aujourd'hui" in unescape(response.get_data(as_text=True))  # not reached: not a contact
    assert db.session.scalars(sa.select(Interaction)).one().origin == InteractionOrigin.EXPLORATION
    assert person.last_contact_at is None


def test_invalid_contact_keeps_the_form_in_the_panel(client: FlaskClient, world: World) -> None:
    person = world.people["Zalpha"]
    log_in(client, world.counselor)
    response = client.post(f"/priorites/{person.id}/contact", headers=HTMX, data=contact_form(
        person, channel="phone", direction="out", kind="", outcome="reached"))
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#priority-job_seeker-{person.id}-panel"
    assert "Indiquez la nature de l'échange." in unescape(response.get_data(as_text=True))
    assert db.session.scalars(sa.select(Interaction)).all() == []


def test_contact_on_someone_elses_person_is_refused(client: FlaskClient, world: World) -> None:
    log_in(client, world.counselor)
    assert client.get(f"/priorites/{world.foreign_person.id}/contact").status_code == 404
    assert client.get(f"/priorites/{world.other_person.id}/contact").status_code == 403
    log_in(client, world.employer_counselor)
    assert client.get(f"/priorites/{world.people['Zalpha'].id}/contact").status_code == 403


# --------------------------------------------------------------------------- without published scores


def test_empty_state_without_scores(client: FlaskClient, world: World) -> None:
    world.version.status = ModelStatus.RETIRED
    world.people["Zalpha"].last_contact_at = world.people["Zalpha"].registration_date and None
    db.session.flush()
    response = get(client, world.counselor, "/priorites")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    html = unescape(html)
    assert "Aucun classement n'est encore publié." in html and "flask --app crm recommender score" in html
    assert "Entretien de situation non réalisé" in html  # the file's alerts as reasons
    assert sorted(listed(html)) == ["Zalpha", "Zbravo", "Zcharlie", "Zdelta", "Zecho"]


def test_no_portfolio_at_all(client: FlaskClient, db_session: Any) -> None:
    response = get(client, f.make_user(role=Role.COUNSELOR), "/priorites")
    assert response.status_code == 200 and "Personne à contacter pour l'instant." in unescape(
        response.get_data(as_text=True))


# --------------------------------------------------------------------------- employers


def test_employer_counselor_list_feedback_and_contact(client: FlaskClient, world: World) -> None:
    html = get(client, world.employer_counselor, "/priorites/entreprises").get_data(as_text=True)
    assert listed(html) == ["Zgolf", "Zhotel", "Zfox"]
    assert "2 offres non pourvues depuis plus de 15 jours" in html
    employer = world.employers["Zhotel"]
    response = client.post(f"/priorites/entreprises/{employer.id}/contact", headers=HTMX, data=contact_form(
        employer, "employer", channel="phone", direction="out", kind="offer_follow_up", outcome="reached"))
    assert response.status_code == 200 and "Contacté aujourd'hui" in unescape(response.get_data(as_text=True))
    assert db.session.scalars(sa.select(Interaction)).one().employer_id == employer.id
    response = client.post(f"/priorites/entreprises/{employer.id}/retour", headers=HTMX, data=feedback_form(
        employer, "employer", action="snooze", reason="unavailable",
        snoozed_until=(today() + timedelta(days=7)).isoformat()))
    assert response.status_code == 200
    saved = db.session.scalars(sa.select(Feedback)).one()
    assert saved.employer_id == employer.id and saved.model_version_id == world.employer_version.id
    assert "Zhotel" not in listed(client.get("/priorites/entreprises").get_data(as_text=True))
    other = f.make_employer(name="Zother")
    assert client.post(f"/priorites/entreprises/{other.id}/retour", data={}).status_code == 404


def test_team_manager_reads_an_employer_counselors_list(client: FlaskClient, world: World) -> None:
    manager = f.make_user(role=Role.TEAM_MANAGER, team=world.employer_counselor.team)
    html = get(client, manager, "/priorites/entreprises").get_data(as_text=True)
    assert f"counselor={world.employer_counselor.id}" in html
    html = client.get(f"/priorites/entreprises?counselor={world.employer_counselor.id}").get_data(as_text=True)
    assert listed(html) == ["Zgolf", "Zhotel", "Zfox"] and "Tracer le contact" not in html


# --------------------------------------------------------------------------- cost


@pytest.mark.parametrize("published", [True, False])
def test_a_large_portfolio_in_a_bounded_number_of_queries(client: FlaskClient, world: World, published: bool) -> None:
    for n in range(350):
        person = f.make_job_seeker(referent=world.counselor, last_name=f"Zbulk{n}")
        f.make_priority_score(world.version, job_seeker=person, rank=10 + n, scored_on=world.scored_on,
                              reasons=[reason("rights_ending", "Fin de droits dans 3 jours", days=3),
                                       reason("no_contact", "Aucun contact", days=100, modality="guide",
                                              interval=60)])
    if not published:
        world.version.status = ModelStatus.RETIRED
    log_in(client, world.counselor)
    client.get("/priorites")  # warm up (login, locale)
    with count_queries() as statements:
        response = client.get("/priorites?limit=400")
    assert response.status_code == 200 and len(listed(response.get_data(as_text=True))) == 355
    # the user, the version, the people with their scores, the feedback, the audit event (+ the file's
    # alerts, in bulk, without published scores)
    assert len(statements) <= (8 if published else 16), "\n".join(statements)

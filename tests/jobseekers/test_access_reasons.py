"""Opening a file outside one's own portfolio asks for a reason, recorded in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.jobseekers.access_reasons import ACTION, REASONS
from crm.jobseekers.models import JobSeeker
from crm.organisation.models import Role, User
from tests.factories import make_agency, make_job_seeker, make_team, make_user
from tests.web.conftest import log_in

HX = {"HX-Request": "true"}


@dataclass
class World:
    person: JobSeeker
    referent: User
    colleague: User
    director: User
    stranger: User
    admin: User


@pytest.fixture()
def w(db_session) -> World:
    agency = make_agency()
    team = make_team(agency)
    referent = make_user(team=team)
    world = World(person=make_job_seeker(referent=referent, first_name="Inès", last_name="Lefebvre"),
                  referent=referent, colleague=make_user(team=team), director=make_user(role=Role.DIRECTOR,
                                                                                        agency=agency),
                  stranger=make_user(), admin=make_user(role=Role.ADMIN, agency=None))
    db.session.commit()
    return world


def events(person: JobSeeker, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.job_seeker_id == person.id,
                                                               AuditEvent.action == action)))


def test_a_colleague_is_asked_why_before_the_file_opens(client: FlaskClient, w: World) -> None:
    log_in(client, w.colleague)
    response = client.get(f"/beneficiaires/{w.person.id}/profil")
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/beneficiaires/{w.person.id}/motif"
    assert parse_qs(location.query)["next"] == [f"/beneficiaires/{w.person.id}/profil"]
    assert events(w.person, "job_seeker.read") == []  # nothing of the file was shown

    form = client.get(response.headers["Location"])
    html = form.get_data(as_text=True).replace("&#39;", "'")
    assert form.status_code == 200
    assert "n'est pas dans votre portefeuille" in html and "Inès Lefebvre" in html
    for text in REASONS.values():
        assert str(text) in html
    assert "Modalité" not in html  # only the name: the file itself is not shown yet


def test_the_reason_is_recorded_and_the_file_stays_open_for_the_session(client: FlaskClient, w: World) -> None:
    log_in(client, w.colleague)
    url = f"/beneficiaires/{w.person.id}/motif"
    response = client.post(url, data={"reason": "absence", "comment": "Collègue en congé cette semaine",
                                      "next": f"/beneficiaires/{w.person.id}/profil"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/beneficiaires/{w.person.id}/profil"
    [event] = events(w.person, ACTION)
    assert event.user_id == w.colleague.id and event.reason == "Collègue en congé cette semaine"
    assert event.details == {"reason_code": "absence"} and event.entity_type == "job_seeker"

    # The file, its sections and its fragments now open without asking again (each read audited).
    assert client.get(f"/beneficiaires/{w.person.id}").status_code == 200
    assert client.get(f"/beneficiaires/{w.person.id}/historique", headers=HX).status_code == 200
    assert client.get(url).status_code == 303  # the form itself sends straight to the file
    assert len(events(w.person, ACTION)) == 1
    assert len(events(w.person, "job_seeker.read")) == 2

    # Logging out closes the files opened with a reason.
    client.post("/logout")
    log_in(client, w.colleague)
    assert client.get(f"/beneficiaires/{w.person.id}").status_code == 303


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Choisissez un motif."),
    ({"reason": "nonsense"}, "Not a valid choice"),
    ({"reason": "other", "comment": "  "}, "Précisez le motif."),
    ({"reason": "contact", "comment": "x" * 256}, "ne doivent pas dépasser 255 caractères"),
])
def test_a_reason_is_required(client: FlaskClient, w: World, data: dict, message: str) -> None:
    log_in(client, w.colleague)
    response = client.post(f"/beneficiaires/{w.person.id}/motif", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True) or message == "Not a valid choice"
    assert events(w.person, ACTION) == []
    assert client.get(f"/beneficiaires/{w.person.id}").status_code == 303  # still closed


def test_other_with_a_comment_is_accepted(client: FlaskClient, w: World) -> None:
    log_in(client, w.director)  # a director reads the agency's files: outside any portfolio of theirs
    response = client.post(f"/beneficiaires/{w.person.id}/motif",
                           data={"reason": "other", "comment": "Réclamation reçue à l'accueil"})
    assert response.status_code == 303 and response.headers["Location"] == f"/beneficiaires/{w.person.id}"
    [event] = events(w.person, ACTION)
    assert event.details == {"reason_code": "other"} and event.reason == "Réclamation reçue à l'accueil"


def test_the_referent_is_never_asked(client: FlaskClient, w: World) -> None:
    log_in(client, w.referent)
    assert client.get(f"/beneficiaires/{w.person.id}").status_code == 200
    response = client.get(f"/beneficiaires/{w.person.id}/motif")
    assert response.status_code == 303 and response.headers["Location"] == f"/beneficiaires/{w.person.id}"


def test_a_section_loaded_alone_sends_the_page_to_the_form(client: FlaskClient, w: World) -> None:
    log_in(client, w.colleague)
    response = client.get(f"/beneficiaires/{w.person.id}/historique", headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == \
        f"/beneficiaires/{w.person.id}/motif?next=/beneficiaires/{w.person.id}"


@pytest.mark.parametrize("who", ["stranger", "admin"])
def test_outside_the_agency_the_file_and_its_form_do_not_exist(client: FlaskClient, w: World, who: str) -> None:
    log_in(client, getattr(w, who))
    assert client.get(f"/beneficiaires/{w.person.id}/motif").status_code == 404
    assert client.post(f"/beneficiaires/{w.person.id}/motif", data={"reason": "absence"}).status_code == 404
    assert client.get(f"/beneficiaires/{w.person.id}").status_code == 404
    assert events(w.person, ACTION) == []


def test_the_next_address_stays_on_the_site(client: FlaskClient, w: World) -> None:
    log_in(client, w.colleague)
    response = client.post(f"/beneficiaires/{w.person.id}/motif",
                           data={"reason": "contact", "next": "https://evil.example/"})
    assert response.headers["Location"] == f"/beneficiaires/{w.person.id}"


def test_anonymous_visitors_log_in_first(client: FlaskClient, w: World) -> None:
    response = client.get(f"/beneficiaires/{w.person.id}/motif")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

"""Event pages over HTTP: upcoming sessions, registrations, attendance, access."""

from __future__ import annotations

from datetime import date

import pytest

from crm.catalogue.models import RegistrationStatus, SessionRegistration
from crm.extensions import db
from crm.organisation.models import Role
from crm.clock import current_day
from tests.factories import make_employer, make_event_session, make_job_seeker, make_user
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def counselor(db_session):
    return make_user(role=Role.COUNSELOR)


def test_upcoming_sessions_with_seats_left(client, counselor) -> None:
    today = current_day().today
    session = make_event_session(capacity=2, starts_on=today, place="Agence")
    past = make_event_session(starts_on=today.replace(year=today.year - 1))
    db.session.add(SessionRegistration(session_id=session.id, job_seeker_id=make_job_seeker().id))
    db.session.flush()
    log_in(client, counselor)
    html = client.get("/evenements").get_data(as_text=True)
    assert session.item.title in html and "1 place restante" in html and past.item.title not in html
    fragment = client.get("/evenements?kind=forum", headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert session.item.title not in fragment.get_data(as_text=True)
    assert client.get("/evenements?kind=bogus").status_code == 422


def test_register_until_full_then_attendance(client, counselor) -> None:
    session = make_event_session(capacity=1, starts_on=current_day().today)
    mine, other = make_job_seeker(referent=counselor), make_job_seeker(referent=counselor)
    log_in(client, counselor)
    url = f"/evenements/sessions/{session.id}"
    assert client.get(url).status_code == 200
    response = client.post(f"{url}/inscriptions", headers=HTMX, data={"party": "job_seeker", "job_seeker_id": mine.id})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    full = client.post(f"{url}/inscriptions", headers=HTMX, data={"party": "job_seeker", "job_seeker_id": other.id})
    assert full.status_code == 422 and "complète" in full.get_data(as_text=True)
    assert client.post(f"{url}/inscriptions", data={}).status_code == 422
    assert client.post(f"{url}/inscriptions", data={"party": "job_seeker", "job_seeker_id": "abc"}).status_code == 422
    registration = db.session.query(SessionRegistration).filter_by(session_id=session.id).one()
    presence = client.post(f"{url}/inscriptions/{registration.id}/presence", headers=HTMX,
                           data={"attended": "yes", "version": registration.version})
    assert presence.status_code == 200 and registration.status == RegistrationStatus.ATTENDED
    assert client.post(f"{url}/inscriptions/{registration.id}/presence", data={"attended": "maybe"}).status_code == 422


def test_access_to_registrations(client, counselor) -> None:
    session = make_event_session(starts_on=current_day().today)
    colleague = make_user(role=Role.COUNSELOR, agency=counselor.agency)
    theirs = make_job_seeker(referent=colleague)
    registration = SessionRegistration(session_id=session.id, job_seeker_id=theirs.id)
    db.session.add(registration)
    db.session.flush()
    log_in(client, counselor)
    url = f"/evenements/sessions/{session.id}"
    # A colleague's person: visible, but not hers to register or unregister.
    assert theirs.full_name in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/inscriptions/{registration.id}/desinscription").status_code == 403
    employer = make_employer(agency=counselor.agency)
    assert client.post(f"{url}/inscriptions", data={"party": "employer", "employer_id": employer.id}).status_code == 403
    # Another agency's registration does not exist for her.
    stranger = make_user(role=Role.COUNSELOR)
    log_in(client, stranger)
    assert theirs.full_name not in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/inscriptions/{registration.id}/desinscription").status_code == 404
    assert client.get("/evenements/sessions/999999").status_code == 404
    log_in(client, make_user(role=Role.ADMIN, agency=None))
    assert client.get(url).status_code == 403


def test_after_midnight_in_paris_today_is_the_paris_day(client, counselor, paris_past_midnight: date) -> None:
    # 22:30 UTC on 30 June is 00:30 on 1 July in Paris: a session that ended on 30 June is over
    # (not listed, closed to registrations), one that starts on 1 July has begun (attendance).
    ended = make_event_session(starts_on=date(2030, 6, 30), place="Hier")
    today = make_event_session(starts_on=paris_past_midnight, place="Aujourd'hui")
    mine = make_job_seeker(referent=counselor)
    log_in(client, counselor)
    html = client.get("/evenements").get_data(as_text=True)
    assert f"/evenements/sessions/{today.id}" in html and f"/evenements/sessions/{ended.id}" not in html
    closed = client.post(f"/evenements/sessions/{ended.id}/inscriptions", headers=HTMX,
                         data={"party": "job_seeker", "job_seeker_id": mine.id})
    assert closed.status_code == 422 and "Cette session est terminée" in closed.get_data(as_text=True)

    url = f"/evenements/sessions/{today.id}"
    response = client.post(f"{url}/inscriptions", headers=HTMX, data={"party": "job_seeker", "job_seeker_id": mine.id})
    assert response.status_code == 200 and "Présent" in response.get_data(as_text=True)
    registration = db.session.query(SessionRegistration).filter_by(session_id=today.id).one()
    presence = client.post(f"{url}/inscriptions/{registration.id}/presence", headers=HTMX,
                           data={"attended": "yes", "version": registration.version})
    assert presence.status_code == 200 and registration.status == RegistrationStatus.ATTENDED

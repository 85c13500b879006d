"""Version checks on versioned rows: a stale form is refused, never overwritten."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm.concurrency import check_version, flush
from crm.errors import ConcurrentEditError, DomainError
from crm.extensions import db
from crm.jobseekers.models import JobSeeker
from tests.factories import make_job_seeker


def test_check_version(db_session) -> None:
    person = make_job_seeker()
    check_version(person, 1)
    check_version(person, "1")  # as posted by a form
    check_version(person, None)  # no form: a system job
    for stale in (2, "2", "abc"):
        with pytest.raises(ConcurrentEditError) as raised:
            check_version(person, stale)
        assert isinstance(raised.value, DomainError) and raised.value.code == "concurrent_edit"
        assert "modifié par quelqu'un d'autre" in str(raised.value.message)


def test_a_change_between_check_and_write_is_reported_the_same_way(db_session) -> None:
    person = make_job_seeker()
    check_version(person, 1)
    db.session.execute(sa.update(JobSeeker).where(JobSeeker.id == person.id).values(version=2),
                       execution_options={"synchronize_session": False})
    person.mobility_km = 10
    with pytest.raises(ConcurrentEditError):
        flush()
    db.session.rollback()


# --------------------------------------------------------------------------- two users, one record, over HTTP
#
# Both open the same form (it carries the row's version), the first saves, the second is
# told someone changed the record, and the first one's change stands. One case per form
# that edits a versioned row; the profile form, the teams' reassignment and the API have
# their own tests (tests/jobseekers/test_file_views.py, tests/teams/test_reassign.py,
# tests/api/test_endpoints.py).

from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from flask.testing import FlaskClient  # noqa: E402

from crm.db import utcnow  # noqa: E402
from crm.employers.models import Employer, ProspectionAction, ProspectionKind  # noqa: E402
from crm.enums import Modality  # noqa: E402
from crm.interactions.models import (  # noqa: E402
    Appointment, AppointmentStatus, Proposal, Referral, ReferralStatus,
)
from crm.jobseekers.models import ActionPlanItem, ActionStatus  # noqa: E402
from crm.offers.models import Application, ApplicationStatus, JobOffer, OfferStatus  # noqa: E402
from crm.organisation.models import Role, User  # noqa: E402
from tests.factories import (  # noqa: E402
    make_appointment, make_application, make_catalogue_item, make_employer, make_offer, make_referral,
    make_team, make_training_proposal, make_user,
)
from tests.web.conftest import log_in, open_with_reason  # noqa: E402

HX = {"HX-Request": "true"}
CONFLICT = "modifié par quelqu"  # « … a été modifié par quelqu'un d'autre depuis que vous l'avez ouvert »


@dataclass
class Office:
    """One team: a counselor and an employer counselor, and their manager (who may edit what they own)."""

    referent: User
    successor: User
    employer_counselor: User
    manager: User
    director: User
    person: JobSeeker
    employer: Employer


def build_office() -> Office:
    team = make_team()
    referent = make_user(team=team, first_name="Nadia", last_name="Referente")
    employer_counselor = make_user(role=Role.EMPLOYER_COUNSELOR, team=team, last_name="Entreprise")
    return Office(referent=referent, successor=make_user(team=team, last_name="Successeur"),
                  employer_counselor=employer_counselor, manager=make_user(role=Role.TEAM_MANAGER, team=team),
                  director=make_user(role=Role.DIRECTOR, agency=team.agency),
                  person=make_job_seeker(referent=referent, modality=Modality.GUIDE),
                  employer=make_employer(counselor=employer_counselor))


@dataclass
class Case:
    """``setup`` builds the row and returns (row, url, first user's form, second user's form,
    check that the first change stands); ``users``: the two users who edit it."""

    name: str
    setup: Callable[[Office], tuple[Any, str, dict[str, Any], dict[str, Any], Callable[[Any], bool]]]
    users: Callable[[Office], tuple[User, User]] = lambda o: (o.referent, o.manager)
    ok: tuple[int, ...] = (200,)


def _person_url(o: Office, tail: str) -> str:
    return f"/beneficiaires/{o.person.id}{tail}"


def _modality(o: Office) -> tuple:
    return (o.person, _person_url(o, "/modalite"),
            {"modality-modality": "renforce", "modality-reason": "Besoin d'un suivi soutenu"},
            {"modality-modality": "suivi", "modality-reason": "Autonome"},
            lambda p: p.modality == Modality.RENFORCE)


def _transfer(o: Office) -> tuple:
    return (o.person, _person_url(o, "/transfert"),
            {"transfer-referent": str(o.successor.id), "transfer-reason": "Rééquilibrage"},
            {"transfer-referent": str(o.manager.id), "transfer-reason": "Autre choix"},
            lambda p: p.referent_id == o.successor.id)


def _action_item(o: Office) -> tuple:
    item = ActionPlanItem(label="Mettre à jour le CV", job_seeker_id=o.person.id)
    db.session.add(item)
    db.session.flush()
    return (item, _person_url(o, f"/plan-action/{item.id}/statut"), {"status": "done"}, {"status": "abandoned"},
            lambda i: i.status == ActionStatus.DONE)


def _appointment(o: Office) -> tuple:
    appointment = make_appointment(o.person, scheduled_at=utcnow() - timedelta(hours=2), staff=o.referent)
    return (appointment, _person_url(o, f"/rendez-vous/{appointment.id}/statut"), {"status": "done"},
            {"status": "missed"}, lambda a: a.status == AppointmentStatus.DONE)


def _referral_status(o: Office) -> tuple:
    referral = make_referral(o.person)
    return (referral, _person_url(o, f"/orientations/{referral.id}/statut"), {"status": "accepted"},
            {"status": "refused"}, lambda r: r.status == ReferralStatus.ACCEPTED)


def _referral_feedback(o: Office) -> tuple:
    referral = make_referral(o.person)
    return (referral, _person_url(o, f"/orientations/{referral.id}/retour"),
            {"showed_up": "yes", "feedback": "Venue, motivée"}, {"showed_up": "no", "feedback": "Absente"},
            lambda r: r.showed_up is True and r.partner_feedback == "Venue, motivée")


def _prescribe_training(o: Office) -> tuple:
    proposal = make_training_proposal(o.person, training=make_catalogue_item(), author_id=o.referent.id)
    return (proposal, _person_url(o, f"/formations/{proposal.id}/prescription"), {}, {},
            lambda p: p.prescribed_at is not None)


def _start_training(o: Office) -> tuple:
    proposal = make_training_proposal(o.person, prescribed_at=datetime(2025, 2, 1, 10))
    return (proposal, _person_url(o, f"/formations/{proposal.id}/entree"), {"started_on": "2025-03-03"},
            {"started_on": "2025-03-10"}, lambda p: p.started_on == date(2025, 3, 3))


def _offer(o: Office, **fields: Any) -> JobOffer:
    return make_offer(employer=o.employer, counselor=o.employer_counselor, title="Vendeur", **fields)


def _offer_edit(o: Office) -> tuple:
    offer = _offer(o)
    fields = {"rome_code": offer.rome_code, "contract_type": "cdi", "positions": "1"}
    return (offer, f"/offres/{offer.id}/modifier", {**fields, "title": "Vendeur confirmé"},
            {**fields, "title": "Vendeuse"}, lambda x: x.title == "Vendeur confirmé")


def _offer_status(o: Office) -> tuple:
    offer = _offer(o)
    return (offer, f"/offres/{offer.id}/statut", {"status": "filled"}, {"status": "cancelled"},
            lambda x: x.status == OfferStatus.FILLED)


def _offer_share(o: Office) -> tuple:
    offer = _offer(o, created_on=utcnow().date() - timedelta(days=40))
    return (offer, f"/offres/{offer.id}/partage", {}, {}, lambda x: x.shared_with_partners_on is not None)


def _application_status(o: Office) -> tuple:
    offer = _offer(o)
    application = make_application(offer, o.person, status=ApplicationStatus.SENT)
    return (application, f"/offres/{offer.id}/candidats/{application.id}/statut", {"status": "interview"},
            {"status": "refused", "refusal_reason": "experience"}, lambda a: a.status == ApplicationStatus.INTERVIEW)


def _application_feedback(o: Office) -> tuple:
    offer = _offer(o)
    application = make_application(offer, o.person, status=ApplicationStatus.SENT)
    return (application, f"/offres/{offer.id}/candidats/{application.id}/retour", {"feedback": "Bon entretien"},
            {"feedback": "Pas retenue"}, lambda a: a.employer_feedback == "Bon entretien")


def _prospection_done(o: Office) -> tuple:
    action = ProspectionAction(employer_id=o.employer.id, counselor_id=o.employer_counselor.id,
                               kind=ProspectionKind.VISIT, planned_on=utcnow().date() - timedelta(days=3))
    db.session.add(action)
    db.session.flush()
    yesterday, before = (utcnow().date() - timedelta(days=n) for n in (1, 2))
    return (action, f"/entreprises/{o.employer.id}/prospection/{action.id}/realisee",
            {"done_on": yesterday.isoformat(), "notes": "Visite faite"}, {"done_on": before.isoformat()},
            lambda a: a.done_on == yesterday)


def _employer_reassign(o: Office) -> tuple:
    other = make_user(role=Role.EMPLOYER_COUNSELOR, team=o.manager.team, last_name="Autre")
    third = make_user(role=Role.EMPLOYER_COUNSELOR, team=o.manager.team, last_name="Troisieme")
    return (o.employer, f"/entreprises/{o.employer.id}/reaffecter",
            {"counselor": str(other.id), "reason": "Portefeuille trop chargé"},
            {"counselor": str(third.id), "reason": "Secteur"}, lambda e: e.counselor_id == other.id)


def _attendance(o: Office) -> tuple:
    from crm.catalogue.models import RegistrationStatus, SessionRegistration
    from tests.factories import make_event_session

    session = make_event_session(starts_on=utcnow().date() - timedelta(days=1))
    registration = SessionRegistration(session_id=session.id, job_seeker_id=o.person.id, registered_by_id=o.referent.id)
    db.session.add(registration)
    db.session.flush()
    return (registration, f"/evenements/sessions/{session.id}/inscriptions/{registration.id}/presence",
            {"attended": "yes"}, {"attended": "no"}, lambda r: r.status == RegistrationStatus.ATTENDED)


def EMPLOYER_SIDE(o: Office) -> tuple[User, User]:  # noqa: N802  (a constant, in use)
    return o.employer_counselor, o.manager


CASES = [
    Case("job seeker: modality", _modality),
    Case("job seeker: transfer", _transfer, ok=(200, 204, 302)),
    Case("action plan item: status", _action_item),
    Case("appointment: status", _appointment),
    Case("referral: status", _referral_status),
    Case("referral: partner feedback", _referral_feedback),
    Case("training proposal: prescription", _prescribe_training),
    Case("training proposal: entry", _start_training),
    Case("offer: edit", _offer_edit, EMPLOYER_SIDE, ok=(303,)),
    Case("offer: status", _offer_status, EMPLOYER_SIDE),
    Case("offer: shared with partners", _offer_share, EMPLOYER_SIDE),
    Case("application: status", _application_status, EMPLOYER_SIDE),
    Case("application: employer feedback", _application_feedback, EMPLOYER_SIDE),
    Case("prospection action: done", _prospection_done, EMPLOYER_SIDE),
    Case("employer: reassignment", _employer_reassign, lambda o: (o.manager, o.director)),
    Case("event registration: attendance", _attendance),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_second_of_two_users_editing_the_same_record_is_told_and_overwrites_nothing(
        client: FlaskClient, case: Case) -> None:
    office = build_office()
    row, url, first_form, second_form, first_change_stands = case.setup(office)
    db.session.commit()  # a savepoint: a view's rollback must not undo the test's data
    seen = row.version  # both users open the form now: it carries this version
    first, second = case.users(office)
    model = type(row)

    log_in(client, first)
    response = client.post(url, data={**first_form, **_version(first_form, seen)}, headers=HX)
    assert response.status_code in case.ok, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert first_change_stands(db.session.get(model, row.id))
    after_first = db.session.get(model, row.id).version
    assert after_first > seen

    log_in(client, second)
    open_with_reason(client, office.person.id)
    response = client.post(url, data={**second_form, **_version(second_form, seen)}, headers=HX)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code in (409, 422), html[:2000]
    assert CONFLICT in html
    db.session.expire_all()
    current = db.session.get(model, row.id)
    assert first_change_stands(current) and current.version == after_first


def _version(form: dict[str, Any], version: int) -> dict[str, str]:
    """The hidden ``version`` field, with the form's prefix when its fields have one."""
    prefixes = {name.split("-", 1)[0] for name in form if "-" in name}
    return {f"{prefixes.pop()}-version" if prefixes else "version": str(version)}


def test_every_form_that_edits_a_versioned_row_has_a_case(app) -> None:  # noqa: ANN001
    """A new versioned model must come with its two-users case above (or a note where it is tested)."""
    from crm.catalogue.models import SessionRegistration

    covered = {JobSeeker, ActionPlanItem, Appointment, Referral, Proposal, JobOffer, Application, ProspectionAction,
               Employer, SessionRegistration}
    tested_elsewhere = {"employer_contact": "no edit form yet", "task": "no edit form yet (closed by services)"}
    versioned = {m.class_ for m in db.Model.registry.mappers if m.version_id_col is not None}
    missing = {m.__tablename__ for m in versioned - covered} - set(tested_elsewhere)
    assert missing == set()


# --------------------------------------------------------------------------- concurrent writers on SQLite


def test_concurrent_writers_on_sqlite_see_no_error(tmp_path) -> None:  # noqa: ANN001
    """A few processes log contacts at once on one SQLite file for a few seconds: every write
    succeeds (busy timeout, short transactions). ``benchmarks/concurrent_writers.py`` runs
    the same code with 20 writers for 30 seconds."""
    from flask_migrate import upgrade

    from benchmarks.concurrent_writers import run_writers
    from tests.conftest import make_app

    url = "sqlite:///" + str(tmp_path / "writers.sqlite3")
    app = make_app(url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        team = make_team()
        for _ in range(2):
            counselor = make_user(team=team)
            for _ in range(5):
                make_job_seeker(referent=counselor)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    report = run_writers(url, writers=4, seconds=3, instance_path=str(tmp_path / "instance"), start_method="fork")
    assert report.errors == [], "\n".join(report.lines())
    assert report.writes >= 4


def test_a_request_that_read_before_someone_else_committed_can_still_write(tmp_path) -> None:  # noqa: ANN001
    """SQLite in deployment: reads take no lock, the first write takes it (``BEGIN IMMEDIATE``).
    A transaction begun before another connection committed would otherwise fail at its first
    write with « database is locked », at once, whatever the busy timeout."""
    import sqlite3
    from contextlib import closing

    from flask_migrate import upgrade

    from crm.organisation.models import Region
    from tests.conftest import make_app

    path = tmp_path / "deployed.sqlite3"
    app = make_app(f"sqlite:///{path}", tmp_path / "instance", PROXIMA_ENV="development")
    with app.app_context():
        upgrade()
        try:
            before = db.session.scalar(sa.select(sa.func.count()).select_from(Region))  # a request reads…
            driver = db.session.connection().connection.dbapi_connection
            assert not driver.in_transaction  # …without holding anything
            with closing(sqlite3.connect(path)) as other:  # another request commits meanwhile
                other.execute("INSERT INTO region (code, name) VALUES ('52', 'Pays de la Loire')")
                other.commit()
            db.session.add(Region(code="53", name="Bretagne"))  # …then writes: no « database is locked »
            db.session.flush()
            assert driver.in_transaction
            with db.session.begin_nested():
                db.session.add(Region(code="11", name="Île-de-France"))
            db.session.rollback()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == before + 1
        finally:
            db.session.remove()
            db.engine.dispose()

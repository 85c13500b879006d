"""Reassigning employers between the employer counselors of a team: traced with the
reason, the open tasks and offers follow, nothing changes when an employer or the
target is outside the team or a file changed meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.interactions.models import TaskStatus
from crm.offers.models import OfferStatus
from crm.organisation.models import Role, User
from tests import factories as f
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


@dataclass
class Employers:
    manager: User
    e: User
    e2: User
    other: User  # an employer counselor of another team
    counselor: User  # a job-seeker counselor of the same team
    emp1: Any
    emp2: Any
    emp3: Any  # another team's


@pytest.fixture()
def employers(db_session: Any) -> Employers:
    agency = f.make_agency()
    team = f.make_team(agency, name="Entreprises", kind="employers")
    other_team = f.make_team(agency, name="Entreprises Sud", kind="employers")
    manager = f.make_user(role=Role.TEAM_MANAGER, team=team, last_name="Manager")
    e = f.make_user(role=Role.EMPLOYER_COUNSELOR, team=team, first_name="Emma", last_name="Econseil")
    e2 = f.make_user(role=Role.EMPLOYER_COUNSELOR, team=team, first_name="Ewan", last_name="Edeux")
    other = f.make_user(role=Role.EMPLOYER_COUNSELOR, team=other_team, first_name="Odile", last_name="Oconseil")
    counselor = f.make_user(role=Role.COUNSELOR, team=team, first_name="Jean", last_name="Jconseil")
    return Employers(manager=manager, e=e, e2=e2, other=other, counselor=counselor,
                     emp1=f.make_employer(counselor=e, name="Boulangerie Dupain"),
                     emp2=f.make_employer(counselor=e, name="Garage Dumoteur"),
                     emp3=f.make_employer(counselor=other, name="Sud Traiteur"))


def form(*chosen: Any, counselor: Any, reason_code: str = "sector", reason_text: str = "") -> dict[str, Any]:
    return {"employer": [f"{e.id}:{e.version}" for e in chosen], "target": str(counselor.id),
            "reason_code": reason_code, "reason_text": reason_text}


def reassignments() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "employer.reassign")
                                   .order_by(AuditEvent.id)))


def test_page_lists_the_teams_employers(client: FlaskClient, employers: Employers) -> None:
    log_in(client, employers.manager)
    html = client.get("/equipe/reaffectations/entreprises").get_data(as_text=True)
    assert "Boulangerie Dupain" in html and "Garage Dumoteur" in html and "Sud Traiteur" not in html
    assert "Jean Jconseil" not in html  # job-seeker counselors are not targets
    response = client.get(f"/equipe/reaffectations/entreprises?counselor={employers.e2.id}", headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<fieldset id="reassign-employers"') and "Boulangerie" not in fragment
    assert 'href="/equipe/reaffectations/entreprises"' in client.get("/equipe/reaffectations").get_data(as_text=True)


def test_reassign_happy_path_the_file_follows(client: FlaskClient, employers: Employers) -> None:
    emp1, emp2, e, e2 = employers.emp1, employers.emp2, employers.e, employers.e2
    task = f.make_task(owner=e, employer=emp1)
    done = f.make_task(owner=e, employer=emp1, status=TaskStatus.DONE)
    open_offer = f.make_offer(employer=emp1, counselor=e)
    filled = f.make_offer(employer=emp1, counselor=e, status=OfferStatus.FILLED)
    log_in(client, employers.manager)
    response = client.post("/equipe/reaffectations/entreprises",
                           data=form(emp1, emp2, counselor=e2, reason_text="nouveau secteur"))
    assert response.status_code == 302
    db.session.expire_all()
    assert emp1.counselor_id == e2.id and emp2.counselor_id == e2.id
    assert task.owner_id == e2.id and done.owner_id == e.id  # open tasks follow, closed ones stay
    assert open_offer.counselor_id == e2.id and filled.counselor_id == e.id
    events = reassignments()
    assert [ev.entity_id for ev in events] == [emp1.id, emp2.id]
    assert all(ev.user_id == employers.manager.id and ev.reason == "Spécialisation par secteur — nouveau secteur"
               and ev.details["from"] == e.id and ev.details["to"] == e2.id for ev in events)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 entreprises réaffectées à Ewan Edeux." in page


@pytest.mark.parametrize("target", ["other", "counselor"])
def test_target_outside_the_teams_employer_counselors_is_refused(client: FlaskClient, employers: Employers,
                                                                  target: str) -> None:
    log_in(client, employers.manager)
    response = client.post("/equipe/reaffectations/entreprises",
                           data=form(employers.emp1, counselor=getattr(employers, target)))
    assert response.status_code == 422
    db.session.expire_all()
    assert employers.emp1.counselor_id == employers.e.id and reassignments() == []


def test_employer_outside_the_team_is_refused_and_nothing_changes(client: FlaskClient, employers: Employers) -> None:
    log_in(client, employers.manager)
    response = client.post("/equipe/reaffectations/entreprises",
                           data=form(employers.emp1, employers.emp3, counselor=employers.e2))
    assert response.status_code == 422 and "Sud Traiteur" in response.get_data(as_text=True)
    db.session.expire_all()
    assert employers.emp1.counselor_id == employers.e.id and employers.emp3.counselor_id == employers.other.id
    assert reassignments() == []


def test_a_file_changed_meanwhile_is_reported_not_overwritten(client: FlaskClient, employers: Employers) -> None:
    data = form(employers.emp1, employers.emp2, counselor=employers.e2)
    employers.emp2.notes = "modifié par quelqu'un d'autre"  # bumps the version after the form was rendered
    db.session.flush()
    log_in(client, employers.manager)
    response = client.post("/equipe/reaffectations/entreprises", data=data)
    assert response.status_code == 422 and "modifié entre-temps" in response.get_data(as_text=True)
    db.session.expire_all()
    assert employers.emp1.counselor_id == employers.e.id and reassignments() == []


def test_reason_is_required(client: FlaskClient, employers: Employers) -> None:
    log_in(client, employers.manager)
    for reason_code in ("", "other"):
        response = client.post("/equipe/reaffectations/entreprises",
                               data=form(employers.emp1, counselor=employers.e2, reason_code=reason_code))
        assert response.status_code == 422
    assert reassignments() == []


@pytest.mark.parametrize("role", ["e", "counselor"])
def test_other_roles_are_refused(client: FlaskClient, employers: Employers, role: str) -> None:
    log_in(client, getattr(employers, role))
    assert client.get("/equipe/reaffectations/entreprises").status_code == 403
    assert client.post("/equipe/reaffectations/entreprises",
                       data=form(employers.emp1, counselor=employers.e2)).status_code == 403

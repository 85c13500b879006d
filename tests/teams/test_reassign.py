"""Reassigning job seekers between the team's counselors: traced, the files follow,
nothing changes when a person or the target is outside the team or a row changed meanwhile."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.extensions import db
from tests import factories as f
from tests.teams.conftest import Team
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


def form(*people: Any, counselor: Any, reason_code: str = "workload", reason_text: str = "") -> dict[str, Any]:
    return {"job_seeker": [f"{p.id}:{p.version}" for p in people], "target": str(counselor.id),
            "reason_code": reason_code, "reason_text": reason_text}


def transfers() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "job_seeker.transfer")
                                   .order_by(AuditEvent.id)))


def test_page_lists_the_teams_people_filtered_by_counselor(client: FlaskClient, world: Team) -> None:
    log_in(client, world.manager)
    html = client.get("/equipe/reaffectations").get_data(as_text=True)
    assert all(name in html for name in ("Zp1", "Zp2", "Zp3", "Zq1"))
    assert "Zp4" not in html and "Zr1" not in html  # exited; another team's
    response = client.get(f"/equipe/reaffectations?counselor={world.b.id}", headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<fieldset id="reassign-people"') and "Zq1" in fragment and "Zp1" not in fragment


def test_reassign_happy_path(client: FlaskClient, world: Team) -> None:
    p1, p2 = world.people["p1"], world.people["p2"]
    task = f.make_task(owner=world.a, job_seeker=p1)
    log_in(client, world.manager)
    response = client.post("/equipe/reaffectations", data=form(p1, p2, counselor=world.b, reason_text="congé"))
    assert response.status_code == 302
    db.session.expire_all()
    assert p1.referent_id == world.b.id and p2.referent_id == world.b.id
    assert task.owner_id == world.b.id  # open tasks follow the file
    events = transfers()
    assert [e.entity_id for e in events] == [p1.id, p2.id]
    assert all(e.user_id == world.manager.id and "Rééquilibrage de la charge — congé" == e.reason for e in events)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 personnes réaffectées à Bruno Bconseil." in page


def test_target_outside_the_team_is_refused(client: FlaskClient, world: Team) -> None:
    p1 = world.people["p1"]
    log_in(client, world.manager)
    response = client.post("/equipe/reaffectations", data=form(p1, counselor=world.c))
    assert response.status_code == 422
    db.session.expire_all()
    assert p1.referent_id == world.a.id and transfers() == []


def test_person_outside_the_team_is_refused_and_nothing_changes(client: FlaskClient, world: Team) -> None:
    p1, r1 = world.people["p1"], world.people["r1"]
    log_in(client, world.manager)
    response = client.post("/equipe/reaffectations", data=form(p1, r1, counselor=world.b))
    assert response.status_code == 422
    assert "réaffecté" in response.get_data(as_text=True) and "Zr1" in response.get_data(as_text=True)
    db.session.expire_all()
    assert p1.referent_id == world.a.id and r1.referent_id == world.c.id and transfers() == []


def test_reason_is_required(client: FlaskClient, world: Team) -> None:
    log_in(client, world.manager)
    p1 = world.people["p1"]
    assert client.post("/equipe/reaffectations", data=form(p1, counselor=world.b, reason_code="")).status_code == 422
    assert client.post("/equipe/reaffectations",
                       data=form(p1, counselor=world.b, reason_code="other")).status_code == 422  # « Autre » needs text
    db.session.expire_all()
    assert p1.referent_id == world.a.id and transfers() == []


def test_a_row_changed_meanwhile_is_reported_not_overwritten(client: FlaskClient, world: Team) -> None:
    p1, p2 = world.people["p1"], world.people["p2"]
    data = form(p1, p2, counselor=world.b)
    p2.notes = "modifié par quelqu'un d'autre"  # bumps the version after the form was rendered
    db.session.flush()
    log_in(client, world.manager)
    response = client.post("/equipe/reaffectations", data=data)
    assert response.status_code == 422
    assert "modifié entre-temps" in response.get_data(as_text=True)
    db.session.expire_all()
    assert p1.referent_id == world.a.id and p2.referent_id == world.a.id and transfers() == []


def test_other_teams_manager_cannot_take_this_teams_people(client: FlaskClient, world: Team) -> None:
    p1 = world.people["p1"]
    log_in(client, world.other_manager)
    response = client.post("/equipe/reaffectations", data=form(p1, counselor=world.c))
    assert response.status_code == 422
    db.session.expire_all()
    assert p1.referent_id == world.a.id and transfers() == []


def test_target_error_is_shown_next_to_the_target_field(client: FlaskClient, world: Team) -> None:
    log_in(client, world.manager)
    response = client.post("/equipe/reaffectations", data=form(world.people["p1"], counselor=world.c))
    html = response.get_data(as_text=True)
    assert 'id="target-errors"' in html and "Choisissez un conseiller de votre équipe." in html
    assert html.count('id="counselor"') == 1  # the filter's; the target has its own id

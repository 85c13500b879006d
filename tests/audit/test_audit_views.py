"""« Journal d'audit »: the administrators' list of audit events, its filters, pages and
CSV export (itself audited)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.audit.queries import PAGE_SIZE
from crm.extensions import db
from crm.organisation.models import Role, User
from tests.factories import make_employer, make_job_seeker, make_user
from tests.web.conftest import log_in

HX = {"HX-Request": "true"}


@dataclass
class World:
    admin: User
    alice: User
    bruno: User
    person: object
    other_person: object


def event(user: User | None, action: str, at: datetime, *, person: object = None, reason: str | None = None,
          **fields: object) -> AuditEvent:
    entity_type, entity_id = ("job_seeker", person.id) if person is not None else ("user", getattr(user, "id", 0))
    row = AuditEvent(user_id=getattr(user, "id", None), action=action, at=at, entity_type=entity_type,
                     entity_id=fields.pop("entity_id", entity_id), job_seeker_id=getattr(person, "id", None),
                     reason=reason, details=fields.pop("details", {}), **fields)
    db.session.add(row)
    return row


@pytest.fixture()
def w(db_session) -> World:
    world = World(admin=make_user(role=Role.ADMIN, agency=None, first_name="Ada", last_name="Admin"),
                  alice=make_user(first_name="Alice", last_name="Martin", email="alice.martin@proxima.test"),
                  bruno=make_user(first_name="Bruno", last_name="Petit", email="bruno.petit@proxima.test"),
                  person=make_job_seeker(last_name="Durand", external_id="DE-77"),
                  other_person=make_job_seeker(last_name="Leroy"))
    # Times are naive UTC; Paris is UTC+1 in January.
    event(world.alice, "job_seeker.read", datetime(2026, 1, 5, 9), person=world.person)
    event(world.alice, "job_seeker.open_outside_portfolio", datetime(2026, 1, 6, 22, 30), person=world.person,
          reason="Collègue absent", details={"reason_code": "absence"})
    event(world.bruno, "job_seeker.read", datetime(2026, 1, 7, 8), person=world.other_person)
    event(world.bruno, "interaction.create", datetime(2026, 1, 8, 8), person=world.other_person)
    event(world.bruno, "jobXseeker.read", datetime(2026, 1, 9, 8))  # "_" in a filter is no wildcard
    db.session.flush()
    return world


def rows(client: FlaskClient, **query: str) -> list[str]:
    """The actions listed, in order."""
    html = client.get("/admin/audit", query_string=query, headers=HX).get_data(as_text=True)
    return re.findall(r"<td><code>([^<#]+)</code></td>", html)


def test_only_administrators_see_the_audit_log(client: FlaskClient, w: World) -> None:
    assert client.get("/admin/audit").headers["Location"].startswith("/login")
    for role in Role:
        if role is Role.ADMIN:
            continue
        log_in(client, make_user(role=role))
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit/export.csv").status_code == 403
    log_in(client, w.admin)
    page = client.get("/admin/audit")
    html = page.get_data(as_text=True).replace("&#39;", "'")
    assert page.status_code == 200
    assert '<a href="/admin/audit" aria-current="page">Journal d\'audit</a>' in html  # the admin's menu
    assert "Alice Martin" in html and "Durand" in html
    assert "Remplacement d'un collègue absent : Collègue absent" in html


def test_events_are_listed_newest_first(client: FlaskClient, w: World) -> None:
    log_in(client, w.admin)
    assert rows(client) == ["jobXseeker.read", "interaction.create", "job_seeker.read",
                            "job_seeker.open_outside_portfolio", "job_seeker.read"]


@pytest.mark.parametrize(("query", "expected"), [
    ({"user": "alice"}, ["job_seeker.open_outside_portfolio", "job_seeker.read"]),
    ({"user": "Petit Bruno"}, ["jobXseeker.read", "interaction.create", "job_seeker.read"]),
    ({"user": "BRUNO.PETIT@"}, ["jobXseeker.read", "interaction.create", "job_seeker.read"]),
    ({"person": "durand"}, ["job_seeker.open_outside_portfolio", "job_seeker.read"]),
    ({"person": "DE-77"}, ["job_seeker.open_outside_portfolio", "job_seeker.read"]),
    ({"action": "job_seeker."}, ["job_seeker.read", "job_seeker.open_outside_portfolio", "job_seeker.read"]),
    ({"action": "interaction.create"}, ["interaction.create"]),
    # Local days (Paris): the 6th at 23:30 is in the 6th; the 7th at 9:00 in the 7th.
    ({"start": "2026-01-06", "end": "2026-01-07"}, ["job_seeker.read", "job_seeker.open_outside_portfolio"]),
    ({"user": "alice", "end": "2026-01-05"}, ["job_seeker.read"]),
    ({"user": "nobody"}, []),
])
def test_filters(client: FlaskClient, w: World, query: dict, expected: list[str]) -> None:
    log_in(client, w.admin)
    assert rows(client, **query) == expected


def test_filters_by_ids(client: FlaskClient, w: World) -> None:
    log_in(client, w.admin)
    assert rows(client, user=str(w.alice.id)) == ["job_seeker.open_outside_portfolio", "job_seeker.read"]
    assert rows(client, person=str(w.other_person.id)) == ["interaction.create", "job_seeker.read"]


def test_invalid_filters_are_shown_in_place(client: FlaskClient, w: World) -> None:
    log_in(client, w.admin)
    response = client.get("/admin/audit", query_string={"start": "2026-01-08", "end": "2026-01-01"}, headers=HX)
    assert response.status_code == 422
    assert "La fin de la période doit suivre son début." in response.get_data(as_text=True)
    assert client.get("/admin/audit", query_string={"start": "hier"}).status_code == 400
    assert client.get("/admin/audit/export.csv", query_string={"page": "0"}).status_code == 400


def test_pages(client: FlaskClient, w: World) -> None:
    for i in range(PAGE_SIZE + 3):
        event(w.alice, "employer.read", datetime(2025, 12, 1, 8, i % 60), entity_id=i)
    db.session.flush()
    log_in(client, w.admin)
    first = client.get("/admin/audit", query_string={"action": "employer."}).get_data(as_text=True)
    assert first.count("<td><code>employer.read</code></td>") == PAGE_SIZE
    assert "Page suivante" in first and "Page précédente" not in first
    assert "/admin/audit?action=employer.&amp;page=2" in first
    second = client.get("/admin/audit", query_string={"action": "employer.", "page": "2"}, headers=HX)
    html = second.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="audit-results">')
    assert html.count("<td><code>employer.read</code></td>") == 3
    assert "Page précédente" in html and "Page suivante" not in html


def test_export_streams_the_filtered_events_and_is_audited(client: FlaskClient, w: World) -> None:
    event(w.alice, "job_seeker.read", datetime(2026, 1, 10, 8), person=w.person, reason="=HYPERLINK(\"x\")")
    db.session.flush()
    log_in(client, w.admin)
    response = client.get("/admin/audit/export.csv", query_string={"user": "alice"})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:4] == ["Date", "Agent", "Adresse électronique", "Action"]
    assert [r[3] for r in table[1:]] == ["job_seeker.read", "job_seeker.open_outside_portfolio", "job_seeker.read"]
    assert table[1][8] == "'=HYPERLINK(\"x\")"  # never run as a formula
    assert table[2][1] == "Alice Martin" and table[2][6] == str(w.person.id)
    assert table[2][9] == '{"reason_code": "absence"}'
    assert table[2][0] == "06/01/2026 23:30:00"  # Paris time

    [export] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.export")).all()
    assert export.user_id == w.admin.id and export.details == {"filters": {"user": "alice"}}


def test_the_export_is_named_after_the_paris_day(client: FlaskClient, w: World, paris_past_midnight: date) -> None:
    # 22:30 UTC on 30 June is already 1 July in Paris.
    log_in(client, w.admin)
    response = client.get("/admin/audit/export.csv")
    assert f'filename="journal-audit-{paris_past_midnight.isoformat()}.csv"' in response.headers["Content-Disposition"]
    response.close()

def test_what_was_typed_is_escaped(client: FlaskClient, w: World) -> None:
    event(w.alice, "job_seeker.open_outside_portfolio", datetime(2026, 1, 11, 8), person=w.person,
          reason="<script>alert(1)</script>")
    make_employer(name="<b>Gras</b>")
    db.session.flush()
    log_in(client, w.admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

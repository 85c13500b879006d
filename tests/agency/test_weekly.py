"""The weekly report: a chosen week against the week before, for the agency or one team,
as a printable page and as CSV; team managers get their own team's."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.agency.forms import last_complete_week, week_code
from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.interactions.models import Channel
from tests import factories as f
from tests.agency.conftest import World
from tests.teams.conftest import today
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


def monday() -> date:
    """A quiet week of the past (nothing of the shared dataset happened around it)."""
    day = today() - timedelta(days=150)
    return day - timedelta(days=day.weekday())


def on(day: date) -> datetime:
    return datetime.combine(day, time(10))


@pytest.fixture()
def week(world: World) -> str:
    """Two contacts in the week (a with p1, b with p3), one the week before (a with p2), a
    return to employment (p3) on the Thursday."""
    w = monday()
    people = world.people
    f.make_interaction(people["p1"], occurred_at=on(w + timedelta(days=1)), author=world.a, channel=Channel.PHONE)
    f.make_interaction(people["p3"], occurred_at=on(w + timedelta(days=2)), author=world.b, channel=Channel.VISIO)
    f.make_interaction(people["p2"], occurred_at=on(w - timedelta(days=6)), author=world.a, channel=Channel.PHONE)
    f.make_outcome_episode(people["p3"], start_on=w + timedelta(days=3))
    return week_code(w)


def csv_rows(response: Any) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def line(rows: list[dict[str, str]], scope: str, code: str) -> tuple[str, str, str]:
    found = [r for r in rows if r["périmètre"] == scope and r["code"] == code]
    assert len(found) == 1, (scope, code)
    return found[0]["valeur"], found[0]["période de comparaison"], found[0]["écart"]


def test_csv_for_the_agency(client: FlaskClient, world: World, week: str) -> None:
    log_in(client, world.director)
    response = client.get(f"/agence/hebdo.csv?week={week}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"reporting-hebdomadaire-{week}.csv" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0]["du"] == monday().isoformat() and rows[0]["au"] == (monday() + timedelta(days=6)).isoformat()
    assert line(rows, "Agence", "contacts") == ("2", "1", "1")
    assert line(rows, "Agence", "returns") == ("1", "0", "1")
    assert line(rows, "Agence", "registered") == ("0", "0", "0")
    assert line(rows, "Agence", "interview_rate") == ("", "", "")  # nobody registered: no rate
    # Today's figures are not compared.
    assert line(rows, "Agence", "portfolio") == ("6", "", "")
    assert line(rows, "Agence", "compliance_rate") == ("33", "", "")
    assert line(rows, "Équipe Nord", "contacts") == ("2", "1", "1")
    assert line(rows, "Équipe Sud", "contacts") == ("0", "0", "0")
    assert line(rows, "Sans équipe", "portfolio.overdue") == ("1", "", "")
    assert {r["périmètre"] for r in rows} == {"Agence", "Équipe Nord", "Équipe Sud", "Entreprises", "Sans équipe"}
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "weekly_report.export")).one()
    assert event.user_id == world.director.id and event.details == {"week": week, "team": None}


def test_csv_for_one_team(client: FlaskClient, world: World, week: str) -> None:
    log_in(client, world.director)
    rows = csv_rows(client.get(f"/agence/hebdo.csv?week={week}&team={world.north.id}"))
    assert {r["périmètre"] for r in rows} == {"Équipe Nord"}
    assert line(rows, "Équipe Nord", "contacts") == ("2", "1", "1")
    assert line(rows, "Équipe Nord", "portfolio") == ("4", "", "")


def test_printable_page(client: FlaskClient, world: World, week: str) -> None:
    log_in(client, world.director)
    html = client.get(f"/agence/hebdo?week={week}").get_data(as_text=True)
    start = monday().strftime("%d/%m/%Y")
    assert f"Semaine du {start}" in html and f'href="/agence/hebdo.csv?week={week}"' in html
    assert 'class="no-print' in html and 'id="weekly-teams"' in html
    row = html.split('data-code="contacts"', 1)[1].split("</tr>", 1)[0]
    assert f'/agence/detail?indicator=contacts&amp;week={week}' in row and ">2</a>" in row and "+1" in row
    css = (Path(__file__).resolve().parents[2] / "crm" / "static" / "css" / "proxima.css").read_text()
    assert "@media print" in css and ".sidebar" in css.split("@media print", 1)[1]
    # The drill-down of a figure of the week lists that week's rows.
    listed = client.get(f"/agence/detail?indicator=contacts&week={week}").get_data(as_text=True)
    assert "Zp1" in listed and "Zp3" in listed and "Zp2" not in listed


def test_htmx_fragment_and_default_week(client: FlaskClient, world: World, week: str) -> None:
    log_in(client, world.director)
    response = client.get(f"/agence/hebdo?week={week}&team={world.north.id}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="weekly-report"')
    assert "Équipe Nord" in html and 'id="weekly-teams"' not in html
    default = week_code(last_complete_week(today()))
    for url in ("/agence/hebdo", "/agence/hebdo?week=2026-W99", "/agence/hebdo?week=2999-W01"):
        page = client.get(url)
        assert page.status_code == 200 and f'value="{default}"' in page.get_data(as_text=True), url


def test_team_manager_gets_their_own_team(client: FlaskClient, world: World, week: str) -> None:
    log_in(client, world.m)
    html = client.get(f"/agence/hebdo?week={week}").get_data(as_text=True)
    assert "Équipe Nord" in html and "Toute l&#39;agence" not in html and "Toute l'agence" not in html
    assert "/agence/detail" not in html  # the agency's drill-downs are the director's
    rows = csv_rows(client.get(f"/agence/hebdo.csv?week={week}"))
    assert {r["périmètre"] for r in rows} == {"Équipe Nord"}
    assert line(rows, "Équipe Nord", "contacts") == ("2", "1", "1")
    assert client.get(f"/agence/hebdo?team={world.south.id}").status_code == 404
    assert client.get(f"/agence/hebdo.csv?team={world.south.id}").status_code == 404


def test_team_manager_without_a_team_gets_an_explanation(client: FlaskClient, world: World) -> None:
    lone = f.make_user(role=f.Role.TEAM_MANAGER, agency=world.agency)
    log_in(client, lone)
    response = client.get("/agence/hebdo")
    assert response.status_code == 200 and "rattaché à aucune équipe" in response.get_data(as_text=True)
    assert client.get("/agence/hebdo.csv").status_code == 404


@pytest.mark.parametrize("role", ["a", "e"])
def test_counselors_are_refused(client: FlaskClient, world: World, role: str) -> None:
    log_in(client, getattr(world, role))
    assert client.get("/agence/hebdo").status_code == 403
    assert client.get("/agence/hebdo.csv").status_code == 403

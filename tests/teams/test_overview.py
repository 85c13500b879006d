"""The team overview: each indicator counted by hand, the drill-down lists, role rules,
htmx fragments and a bounded number of queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.extensions import db

from crm.organisation.models import Role
from crm.teams import queries
from tests import factories as f
from tests.query_count import count_queries
from tests.teams.conftest import Team, today
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


def overview(world: Team, period: str = "4w") -> queries.TeamOverview:
    return queries.team_overview(queries.team_counselors(world.team.id), agency_id=world.team.agency_id,
                                 period=queries.period_for(period, today=today()))


def test_counselors_are_the_teams_own(world: Team) -> None:
    assert [c.id for c in queries.team_counselors(world.team.id)] == [world.a.id, world.b.id]


def test_indicators_counted_by_hand(world: Team) -> None:
    view = overview(world)
    a, b = view.rows
    assert a.counselor == world.a and b.counselor == world.b
    # Portfolio: A follows p1 (guidé), p2 (renforcé), p3 (suivi); p4 has exited. B: q1 (guidé).
    assert a.counts["portfolio"] == 3 and b.counts["portfolio"] == 1
    assert dict(a.by_part["portfolio"]) == {"guide": 1, "renforce": 1, "suivi": 1}
    # Load: 1/130 + 1/70 + 1/300 = 2.5 % → below target; B: 1/130 = 0.8 % → 1 %.
    assert a.load == round(100 * (1 / 130 + 1 / 70 + 1 / 300)) == 3 and a.load_flag == "below"
    assert b.load == 1
    # Alerts: p2 (no contact for 45 days > 30, review overdue, no interview); p1 and p3 none. B: q1.
    assert a.counts["alerts"] == 1 and b.counts["alerts"] == 1
    assert a.counts["overdue"] == 1 and b.counts["overdue"] == 1
    # Compliance: p1 (15 days ≤ 60) and p3 (3 days ≤ 90) of 3 → 67 %; q1 never contacted → 0 %.
    assert a.counts["compliant"] == 2 and a.compliance_rate == 67
    assert b.counts["compliant"] == 0 and b.compliance_rate == 0
    # Contacts in the last 4 weeks: p1's interview (in person) and p3's review (phone); the
    # login is online activity, p2's call 45 days ago is outside.
    assert a.counts["contacts"] == 2 and dict(a.by_part["contacts"]) == {"in_person": 1, "phone": 1}
    assert b.counts["contacts"] == 0
    assert [c.value for c in view.channels] == ["in_person", "phone"]
    assert view.contacts_per_week(a) == 0.5
    # Registered in the period: p1 (T-20) and p4 (T-10, exited since); p1's interview held on time → 50 %.
    assert a.counts["registered"] == 2 and a.counts["interview_on_time"] == 1 and a.interview_rate == 50
    assert b.counts["registered"] == 0 and b.interview_rate is None
    # 6–9 month reviews held in the period: p3.
    assert a.counts["reviews"] == 1 and b.counts["reviews"] == 0
    # Proposals in the period: two (both accepted; one entered, one hired); the third is 60 days old.
    assert (a.counts["proposals"], a.counts["proposals_accepted"], a.counts["proposals_entered"],
            a.counts["proposals_hired"]) == (2, 2, 1, 1)
    # Priority list: 1 dismissal on the latest published list of 3 rows → 33 %.
    assert a.counts["overrides"] == 1 and a.counts["priority_rows"] == 3 and a.override_rate == 33
    assert b.counts["priority_rows"] == 0 and b.override_rate is None
    # Team totals.
    total = view.total
    assert total.counselor is None
    assert (total.counts["portfolio"], total.counts["alerts"], total.counts["overdue"], total.counts["compliant"],
            total.counts["contacts"], total.counts["proposals"]) == (4, 2, 2, 2, 2, 2)
    assert total.compliance_rate == 50 and total.override_rate == 33
    assert total.modality_count(queries.Modality.GUIDE) == 2 and total.target(queries.Modality.GUIDE) == 260


def test_longer_period(world: Team) -> None:
    a = overview(world, "13w").rows[0]
    assert a.counts["contacts"] == 3  # p2's call 45 days ago is in
    assert a.counts["proposals"] == 3 and a.counts["proposals_accepted"] == 2
    assert a.counts["registered"] == 2


def test_agency_target_overrides_the_default(world: Team) -> None:
    from crm.organisation.models import AgencyModalitySetting

    f._add(AgencyModalitySetting(agency_id=world.team.agency_id, modality=queries.Modality.RENFORCE,
                                 contact_interval_days=30, portfolio_target=1))
    a = overview(world).rows[0]
    assert a.target(queries.Modality.RENFORCE) == 1 and not a.above(queries.Modality.RENFORCE)
    assert a.load == round(100 * (1 / 130 + 1 + 1 / 300)) == 101 and a.load_flag == "on_target"


@pytest.mark.parametrize("period", ["4w", "13w", "12m"])
def test_every_drill_down_lists_as_many_rows_as_its_figure(world: Team, period: str) -> None:
    view = overview(world, period)
    for row in view.rows:
        for code, indicator in queries.INDICATORS.items():
            rows = queries.people_behind(row.counselor, indicator, period=view.period)
            assert len(rows) == row.counts[code], (row.counselor.last_name, code)
        for code in ("portfolio", "contacts"):
            for part, n in row.by_part[code].items():
                rows = queries.people_behind(row.counselor, queries.INDICATORS[code], period=view.period, part=part)
                assert len(rows) == n


# --------------------------------------------------------------------------- pages


def get(client: FlaskClient, user: Any, url: str, **kwargs: Any) -> Any:
    log_in(client, user)
    return client.get(url, **kwargs)


def detail_rows(html: str) -> list[str]:
    table = html.split('id="detail-table"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/beneficiaires/\d+">(Z[a-z0-9]+)', table)


def test_manager_sees_their_team(client: FlaskClient, world: Team) -> None:
    response = get(client, world.manager, "/equipe")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Alice Aconseil" in html and "Bruno Bconseil" in html and "Chloé" not in html
    assert "<svg" in html and "<desc" in html  # the chart and its text alternative
    assert 'href="/equipe"' in html and 'href="/equipe/reaffectations"' in html  # the menu is wired
    # Every counselor figure is a link to its list; the link's figure matches the list.
    links = re.findall(r'<a href="(/equipe/detail\?[^"]+)"[^>]*>(\d+)</a>', html)
    assert len(links) > 20
    for url, value in links:
        listed = detail_rows(client.get(url.replace("&amp;", "&")).get_data(as_text=True))
        assert len(listed) == int(value), url


def test_drill_down_page(client: FlaskClient, world: Team) -> None:
    response = get(client, world.manager, f"/equipe/detail?counselor={world.a.id}&indicator=overdue&period=4w")
    assert response.status_code == 200
    assert detail_rows(response.get_data(as_text=True)) == ["Zp2"]
    response = client.get(f"/equipe/detail?counselor={world.a.id}&indicator=portfolio&period=4w&part=suivi")
    assert detail_rows(response.get_data(as_text=True)) == ["Zp3"]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "team_detail.read")
                                .order_by(AuditEvent.id)).all()
    assert [(e.user_id, e.entity_id, e.details["indicator"], e.details["part"], e.details["shown"]) for e in events] \
        == [(world.manager.id, world.a.id, "overdue", None, 1), (world.manager.id, world.a.id, "portfolio", "suivi", 1)]


def test_htmx_gets_the_fragment_and_the_period_is_kept(client: FlaskClient, world: Team) -> None:
    response = get(client, world.manager, "/equipe?period=13w", headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="team-overview">') and "<html" not in html
    assert "period=13w" in html
    page = client.get("/equipe?period=13w").get_data(as_text=True)
    assert '<option selected value="13w">' in page or 'value="13w" selected' in page
    assert 'hx-push-url="true"' in page


def test_unknown_period_falls_back_to_the_default(client: FlaskClient, world: Team) -> None:
    response = get(client, world.manager, "/equipe?period=xyz")
    assert response.status_code == 200 and "period=4w" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/equipe", "/equipe/reaffectations", "/equipe/detail?indicator=portfolio"])
@pytest.mark.parametrize("role", ["a", "director"])
def test_other_roles_are_refused(client: FlaskClient, world: Team, url: str, role: str) -> None:
    assert get(client, getattr(world, role), url).status_code == 403


@pytest.mark.parametrize("url", ["/equipe", "/equipe/reaffectations", "/equipe/detail"])
def test_anonymous_goes_to_login(client: FlaskClient, world: Team, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"] or \
        "connexion" in response.headers["Location"]


def test_another_teams_manager_cannot_drill_into_this_team(client: FlaskClient, world: Team) -> None:
    response = get(client, world.other_manager, f"/equipe/detail?counselor={world.a.id}&indicator=portfolio")
    assert response.status_code == 404
    html = client.get("/equipe").get_data(as_text=True)
    assert "Chloé Cconseil" in html and "Alice" not in html
    assert get(client, world.manager, f"/equipe/detail?counselor={world.a.id}&indicator=nope").status_code == 404


def test_query_count_does_not_grow_with_the_team(client: FlaskClient, world: Team) -> None:
    log_in(client, world.manager)
    client.get("/equipe")
    with count_queries() as small:
        assert client.get("/equipe").status_code == 200
    for n in range(4):
        counselor = f.make_user(role=Role.COUNSELOR, team=world.team)
        for _ in range(3):
            person = f.make_job_seeker(referent=counselor)
            f.make_interaction(person, occurred_at=f.datetime.combine(today(), f.datetime.min.time()), author=counselor)
    with count_queries() as large:
        assert client.get("/equipe").status_code == 200
    assert len(large) == len(small) and len(large) <= 30, (len(small), len(large))


def test_manager_without_a_team_gets_an_explanation(client: FlaskClient, world: Team) -> None:
    lone = f.make_user(role=Role.TEAM_MANAGER, agency=world.team.agency)
    for url in ("/equipe", "/equipe/reaffectations"):
        response = get(client, lone, url)
        assert response.status_code == 200 and "aucune équipe" in response.get_data(as_text=True)
    assert client.get(f"/equipe/detail?counselor={world.a.id}&indicator=portfolio").status_code == 404

"""The agency overview: every figure counted by hand on the dataset of ``conftest``, the
drill-downs listing exactly the rows of their figure, the role rules (a director sees
their own agency only), the htmx fragment, and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.agency import queries
from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.indicators import employer_relations as er
from crm.organisation.models import Role
from crm.teams.queries import period_for
from tests import factories as f
from tests.agency.conftest import World, ago, at
from tests.query_count import count_queries
from tests.teams.conftest import today
from tests.web.conftest import log_in

HTMX = {"HX-Request": "true"}


def overview(world: World, period: str = "4w", compare: str = "previous") -> queries.AgencyOverview:
    return queries.agency_overview(world.agency, period=period_for(period, today=today()), comparison_code=compare,
                                   today=today())


def counts(figures: queries.Figures) -> dict[str, int]:
    return {code: n for code, n in figures.counts.items() if n}


def test_figures_counted_by_hand(world: World) -> None:
    view = overview(world)
    north, south, ent = (view.row(t.id) for t in (world.north, world.south, world.employers_team))
    assert {r.key for r in view.rows} == {world.north.id, world.south.id, world.employers_team.id, queries.NO_TEAM}
    assert counts(north.current) == {
        # today: p1, p2, p3, p4 followed; p2 overdue (45 days > 30); p1 (15 ≤ 60) and p3 (3 ≤ 90) within.
        "portfolio": 4, "portfolio.overdue": 1, "portfolio.compliant": 2,
        # the period: p1's interview (in person) and p3's review (phone); p1 and p6 registered, p1 on time.
        "contacts": 2, "registered": 2, "registered.interview_on_time": 1, "reviews": 1, "returns": 1,
        "trainings": 1, "trainings.prescribed": 1, "trainings.started": 1, "referrals": 1, "referrals.no_shows": 1,
        "overrides": 1, "priority_rows": 3,
    }
    assert dict(north.current.parts["portfolio"]) == {"guide": 2, "renforce": 1, "suivi": 1}
    assert dict(north.current.parts["contacts"]) == {"in_person": 1, "phone": 1}
    assert north.current.compliance_rate == 50 and north.current.interview_rate == 50
    assert north.current.no_show_rate == 100 and north.current.override_rate == 33
    assert north.current.median_days_to_prescription == 10 and north.current.median_days_to_start == 8
    assert north.counselors == 2
    # p5: registered T-10, no interview yet; the failed call does not count.
    assert counts(south.current) == {"portfolio": 1, "registered": 1, "trainings": 1, "referrals": 1}
    assert south.current.interview_rate == 0
    # Offers: o1 (filled, by the employer's counselor), o2 (taken by e2) created in the period,
    # o3 open for 30 days; the draft and the other agency's offer are left out.
    assert counts(ent.current) == {
        "open_offers": 2, "open_offers.stale": 1, "contacts": 1, "offers_created": 2, "offers_created.filled": 1,
        "offers_filled": 1, "mer": 2, "mer.hired": 1, "satisfaction": 2, "satisfaction.would_recommend": 1,
    }
    assert dict(ent.current.parts["contacts"]) == {"company_visit": 1}
    assert ent.current.time_to_fill == 10 and ent.current.share_filled == 50
    assert ent.current.mer_rate == 50 and ent.current.recommend_rate == 50
    # q9 has no referent: counted « sans équipe » and in the agency.
    orphans = view.row(queries.NO_TEAM)
    assert orphans.team is None and counts(orphans.current) == {"portfolio": 1, "portfolio.overdue": 1}
    total = view.total.current
    assert (total.n("portfolio"), total.n("portfolio.overdue"), total.n("portfolio.compliant")) == (6, 2, 2)
    assert total.compliance_rate == 33 and total.n("contacts") == 3 and total.interview_rate == 33
    assert [c.value for c in view.channels] == ["in_person", "phone", "company_visit"]
    # Another agency's people, contacts and offers appear nowhere.
    assert total.n("registered") == 3 and total.n("open_offers") == 2


def test_previous_period_and_deltas(world: World) -> None:
    view = overview(world)
    north, ent = view.row(world.north.id), view.row(world.employers_team.id)
    assert view.comparison.start_on == ago(55) and view.comparison.end_on == ago(28)
    # p2's call (T-45), p4 registered T-40 and interviewed T-35, p2's return T-40, p2's training T-50.
    assert counts(north.previous) == {"contacts": 1, "registered": 1, "registered.interview_on_time": 1,
                                      "returns": 1, "trainings": 1}
    assert north.delta("contacts") == 1 and north.delta("returns") == 0 and north.delta("registered") == 1
    # o3 created T-30; the answer of T-40.
    assert counts(ent.previous) == {"offers_created": 1, "satisfaction": 1, "satisfaction.would_recommend": 1}
    # « Situation du jour » figures are not compared.
    assert view.total.previous.n("portfolio") == 0 and view.total.delta("contacts") == 2


def test_same_period_last_year(world: World) -> None:
    view = overview(world, compare="year")
    assert view.comparison_code == "year"
    assert view.comparison.start_on == ago(27 + 364) and view.comparison.end_on == ago(364)
    assert view.total.previous.is_empty


def test_employer_figures_are_those_of_the_shared_indicators(world: World) -> None:
    """The overview groups ``crm.indicators.employer_relations``' rows by team: the agency
    totals are that module's values."""
    view = overview(world)
    period, scope = er.Period(view.period.start_on, view.period.end_on), er.Scope(agency_id=world.agency.id)
    total = view.total.current
    assert er.mean_time_to_fill(period, scope).value == total.time_to_fill == 10
    assert er.mer_conversion_rate(period, scope).value * 100 == total.mer_rate == 50
    assert er.share_of_offers_filled(period, scope).value * 100 == total.share_filled == 50
    assert er.share_would_recommend(period, scope).value * 100 == total.recommend_rate == 50


@pytest.mark.parametrize("period", ["4w", "13w", "12m"])
def test_every_drill_down_lists_as_many_rows_as_its_figure(world: World, period: str) -> None:
    view = overview(world, period)
    window = queries.window(world.agency.id, view.period, today=today())
    known = {r.key for r in view.rows if r.team is not None}
    for row in [*view.rows, view.total]:
        for code, indicator in queries.INDICATORS.items():
            rows, total = queries.people_behind(window, indicator, team_key=row.key, known_teams=known)
            assert total == len(rows) == row.current.n(code), (row.key, code)
        for code in ("portfolio", "contacts"):
            for part, n in row.current.parts[code].items():
                rows, total = queries.people_behind(window, queries.INDICATORS[code], team_key=row.key,
                                                    known_teams=known, part=part)
                assert total == n


# --------------------------------------------------------------------------- pages


def get(client: FlaskClient, user: Any, url: str, **kwargs: Any) -> Any:
    log_in(client, user)
    return client.get(url, **kwargs)


def detail_names(html: str) -> list[str]:
    table = html.split('id="detail-table"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr data-subject="\w+">\s*<th scope="row"><a href="[^"]+">([^<]+)</a>', table)


def test_director_sees_the_agency_and_every_figure_leads_to_its_list(client: FlaskClient, world: World) -> None:
    response = get(client, world.director, "/agence")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Équipe Nord" in html and "Équipe Sud" in html and "Sans équipe" in html and "Équipe Bêta" not in html
    assert html.count("<svg") >= 3 and html.count("<desc") >= 3  # charts with their text alternative
    assert 'href="/agence"' in html and 'href="/agence/hebdo"' in html and 'href="/agence/bassin"' in html
    links = re.findall(r'<a href="(/agence/detail\?[^"]+)"[^>]*>([\d\u202f\xa0 ]+)</a>', html)
    assert len(links) > 40
    for url, value in set(links):
        listed = detail_names(client.get(url.replace("&amp;", "&")).get_data(as_text=True))
        assert len(listed) == int(re.sub(r"\D", "", value)), url


def test_drill_down_page_and_its_audit(client: FlaskClient, world: World) -> None:
    response = get(client, world.director, f"/agence/detail?indicator=portfolio.overdue&team={world.north.id}")
    assert response.status_code == 200 and detail_names(response.get_data(as_text=True)) == ["Zp2 Camille"]
    html = client.get("/agence/detail?indicator=portfolio.overdue&team=0").get_data(as_text=True)
    assert detail_names(html) == ["Zq9 Camille"]
    html = client.get("/agence/detail?indicator=contacts&part=company_visit").get_data(as_text=True)
    assert detail_names(html) == ["Boulangerie Dupain"]
    html = client.get(f"/agence/detail?indicator=offers_created&team={world.employers_team.id}").get_data(as_text=True)
    assert sorted(detail_names(html)) == ["Boulanger — Boulangerie Dupain", "Vendeur — Boulangerie Dupain"]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "agency_detail.read")
                                .order_by(AuditEvent.id)).all()
    assert [(e.user_id, e.details["indicator"], e.details["team"], e.details["shown"]) for e in events] == [
        (world.director.id, "portfolio.overdue", world.north.id, 1), (world.director.id, "portfolio.overdue", 0, 1),
        (world.director.id, "contacts", None, 1), (world.director.id, "offers_created", world.employers_team.id, 2)]


def test_htmx_gets_the_fragment_and_the_filters_stay_in_the_url(client: FlaskClient, world: World) -> None:
    response = get(client, world.director, "/agence?period=13w&compare=year", headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="agency-overview">') and "<html" not in html
    assert "period=13w" in html and re.search("Même période l(&#39;|')année précédente", html)
    page = client.get("/agence?period=13w&compare=year").get_data(as_text=True)
    assert 'hx-push-url="true"' in page and re.search(r'<option selected value="year">|value="year" selected', page)


def test_unknown_filters_fall_back_to_the_defaults(client: FlaskClient, world: World) -> None:
    response = get(client, world.director, "/agence?period=xyz&compare=nope")
    assert response.status_code == 200 and "period=4w" in response.get_data(as_text=True)
    html = client.get("/agence?period=13w&compare=nope").get_data(as_text=True)
    assert "period=13w" in html and "(Période précédente)" in html  # a wrong comparison keeps the period
    assert client.get("/agence/detail?indicator=nope").status_code == 404
    assert client.get("/agence/detail?indicator=portfolio&team=abc").status_code == 404


def test_a_director_never_sees_another_agency(client: FlaskClient, world: World) -> None:
    response = get(client, world.other_director, "/agence")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Équipe Bêta" in html and "Équipe Nord" not in html
    for url in (f"/agence/detail?indicator=portfolio&team={world.north.id}",
                f"/agence/hebdo?team={world.north.id}", f"/agence/hebdo.csv?team={world.north.id}"):
        assert client.get(url).status_code == 404, url
    # The agency-wide list is their own agency's.
    assert detail_names(client.get("/agence/detail?indicator=registered").get_data(as_text=True)) == ["Zr1 Camille"]


@pytest.mark.parametrize("url", ["/agence", "/agence/detail?indicator=portfolio", "/agence/bassin"])
@pytest.mark.parametrize("role", ["a", "m", "e"])
def test_other_roles_are_refused(client: FlaskClient, world: World, url: str, role: str) -> None:
    assert get(client, getattr(world, role), url).status_code == 403


@pytest.mark.parametrize("url", ["/agence", "/agence/detail", "/agence/hebdo", "/agence/hebdo.csv", "/agence/bassin"])
def test_anonymous_goes_to_login(client: FlaskClient, world: World, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "login" in response.headers["Location"]


def test_director_without_agency_gets_an_explanation(client: FlaskClient, world: World) -> None:
    lone = f.make_user(role=Role.DIRECTOR, agency=None)
    for url in ("/agence", "/agence/hebdo", "/agence/bassin"):
        response = get(client, lone, url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and ("Aucune agence" in html or "rattaché à aucune" in html), url
    assert client.get("/agence/detail?indicator=portfolio").status_code == 404
    assert client.get("/agence/hebdo.csv").status_code == 404


def test_query_count_does_not_grow_with_the_agency(client: FlaskClient, world: World) -> None:
    log_in(client, world.director)
    client.get("/agence")
    db.session.expire_all()  # as after any request that commits: both requests reload the same rows
    with count_queries() as small:
        assert client.get("/agence").status_code == 200
    for n in range(3):
        team = f.make_team(world.agency, name=f"Équipe renfort {n}")
        for _ in range(2):
            counselor = f.make_user(role=Role.COUNSELOR, team=team)
            for days in (2, 40):
                person = f.make_job_seeker(referent=counselor, registration_date=ago(days), last_contact_at=at(days))
                f.make_interaction(person, occurred_at=at(days), author=counselor)
                f.make_outcome_episode(person, start_on=ago(days))
    db.session.expire_all()
    with count_queries() as large:
        assert client.get("/agence").status_code == 200
    assert len(large) == len(small) and len(large) <= 45, (len(small), len(large))


def _every_figure(view: queries.AgencyOverview) -> list[Any]:
    return [(row.key, figures.counts, figures.parts, figures.measures, figures.per_day)
            for row in (*view.rows, view.total) for figures in (row.current, row.previous)]


def test_period_figures_are_counted_once_a_day_and_stored(app: Any, world: World,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Freshness rule: the period figures (the period and its comparison) are stored and reused
    on the day they were computed, identical to a live count; today's situation stays live;
    figures computed on an earlier day are counted again."""
    from crm.agency.models import AgencyFigures

    live = overview(world, "12m")
    monkeypatch.setitem(app.config, "AGENCY_FIGURES_STORE", True)
    first = overview(world, "12m")
    assert first.computed_at is None and _every_figure(first) == _every_figure(live)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgencyFigures)) == 2
    stored = overview(world, "12m")
    assert stored.computed_at is not None and _every_figure(stored) == _every_figure(live)
    # Logged since: a contact in the period waits for the next count; a new person in a
    # portfolio (today's situation) shows at once.
    f.make_interaction(world.people["p4"], occurred_at=at(4), author=world.b)
    f.make_job_seeker(referent=world.b, registration_date=ago(400))
    later = overview(world, "12m")
    assert later.total.current.n("contacts") == live.total.current.n("contacts")
    assert later.total.current.n("portfolio") == live.total.current.n("portfolio") + 1
    db.session.execute(sa.update(AgencyFigures).values(computed_at=stored.computed_at - timedelta(days=1)))
    recounted = overview(world, "12m")
    assert recounted.computed_at is None
    assert recounted.total.current.n("contacts") == live.total.current.n("contacts") + 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgencyFigures)) == 2  # the old ones replaced


def test_the_page_says_when_the_period_figures_were_computed(app: Any, client: FlaskClient, world: World,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "AGENCY_FIGURES_STORE", True)
    assert "Chiffres de la période calculés le" not in get(client, world.director, "/agence").get_data(as_text=True)
    html = get(client, world.director, "/agence").get_data(as_text=True)
    assert re.search(r"Chiffres de la période calculés le \d\d/\d\d/\d{4} à \d\d:\d\d", html)


def test_refresh_command_counts_every_offered_period_of_every_agency(app: Any, world: World) -> None:
    from crm.agency.cli import offered_periods
    from crm.agency.models import AgencyFigures

    result = app.test_cli_runner().invoke(args=["overviews", "refresh", "--today", today().isoformat(), "--quiet"])
    assert result.exit_code == 0, result.output
    stored = db.session.execute(sa.select(AgencyFigures.agency_id, AgencyFigures.start_on,
                                          AgencyFigures.end_on)).all()
    periods = {(p.start_on, p.end_on) for p in offered_periods(today())}
    agencies = {world.agency.id, world.other_agency.id}
    assert {(a, s, e) for a, s, e in stored} == {(a, s, e) for a in agencies for s, e in periods}
    assert len(periods) == 3 * 3 + 2  # 3 periods × (itself, previous, a year before) + 2 weeks

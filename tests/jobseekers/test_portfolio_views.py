"""« Mon portefeuille » and its CSV export: who sees whom, filters in the query string,
htmx fragments, invalid parameters, export content and audit, query count."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.audit.models import AuditEvent
from crm.enums import Modality
from crm.extensions import db
from crm.jobseekers.models import JobSeekerTarget
from crm.organisation.models import Role, User
from crm.clock import current_day
from tests.factories import (
    make_agency, make_appointment, make_job_seeker, make_rome_occupation, make_team, make_user,
)
from tests.query_count import count_queries
from tests.web.conftest import log_in

ROUTES = ("/portefeuille", "/portefeuille/export.csv")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class World:
    counselor: User
    colleague: User  # same team
    other_team_counselor: User
    manager: User
    director: User
    benefits: User
    elsewhere: User  # a counselor of another agency
    team2_id: int


@pytest.fixture()
def world(db_session) -> World:  # type: ignore[no-untyped-def]
    agency = make_agency()
    team, team2 = make_team(agency), make_team(agency)
    w = World(
        counselor=make_user(role=Role.COUNSELOR, team=team),
        colleague=make_user(role=Role.COUNSELOR, team=team),
        other_team_counselor=make_user(role=Role.COUNSELOR, team=team2),
        manager=make_user(role=Role.TEAM_MANAGER, team=team),
        director=make_user(role=Role.DIRECTOR, agency=agency),
        benefits=make_user(role=Role.BENEFITS_COUNSELOR, agency=agency),
        elsewhere=make_user(role=Role.COUNSELOR),
        team2_id=team2.id,
    )
    make_job_seeker(referent=w.counselor, last_name="Zalpha", external_id="DE-0001")
    make_job_seeker(referent=w.counselor, last_name="Zbravo", external_id="DE-0002")
    make_job_seeker(referent=w.counselor, last_name="Zexited", status="exited")
    make_job_seeker(referent=w.colleague, last_name="Zcharlie", benefits_counselor_id=w.benefits.id)
    make_job_seeker(referent=w.other_team_counselor, last_name="Zdelta")
    make_job_seeker(referent=w.elsewhere, last_name="Zecho")
    return w


def listed(html: str) -> list[str]:
    """Test people's names in the page's text (tags and their attributes, where random
    tokens such as the CSRF token live, are left out)."""
    return sorted(set(re.findall(r"\b(Z[a-z]+)\b", re.sub(r"<[^>]*>", " ", html))))


def get(client: FlaskClient, user: User, url: str, **kwargs):  # type: ignore[no-untyped-def]
    log_in(client, user)
    return client.get(url, **kwargs)


# --------------------------------------------------------------------------- who sees whom

@pytest.mark.parametrize("url", ROUTES)
def test_anonymous_users_are_sent_to_the_login_page(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.EMPLOYER_COUNSELOR, Role.PSYCHOLOGIST, Role.ADMIN])
@pytest.mark.parametrize("url", ROUTES)
def test_roles_without_a_portfolio_are_refused(client: FlaskClient, role: Role, url: str) -> None:
    make_job_seeker(last_name="Zhidden")
    response = get(client, make_user(role=role), url)
    assert response.status_code == 403
    assert "Zhidden" not in response.get_data(as_text=True)


def test_a_counselor_sees_only_their_own_active_job_seekers(client: FlaskClient, world: World) -> None:
    response = get(client, world.counselor, "/portefeuille")
    assert response.status_code == 200
    assert listed(response.get_data(as_text=True)) == ["Zalpha", "Zbravo"]


def test_a_manager_sees_their_team_and_can_narrow_to_one_counselor(client: FlaskClient, world: World) -> None:
    assert listed(get(client, world.manager, "/portefeuille").get_data(as_text=True)) == [
        "Zalpha", "Zbravo", "Zcharlie"]
    narrowed = client.get(f"/portefeuille?counselor={world.colleague.id}").get_data(as_text=True)
    assert listed(narrowed) == ["Zcharlie"]
    # A counselor outside the team is not a valid choice: an error, not a leak.
    response = client.get(f"/portefeuille?counselor={world.other_team_counselor.id}")
    assert response.status_code == 400 and "Zdelta" not in response.get_data(as_text=True)


def test_a_director_sees_the_agency_by_team_and_counselor(client: FlaskClient, world: World) -> None:
    assert listed(get(client, world.director, "/portefeuille").get_data(as_text=True)) == [
        "Zalpha", "Zbravo", "Zcharlie", "Zdelta"]
    assert listed(client.get(f"/portefeuille?team={world.team2_id}").get_data(as_text=True)) == ["Zdelta"]
    by_counselor = client.get(f"/portefeuille?counselor={world.counselor.id}").get_data(as_text=True)
    assert listed(by_counselor) == ["Zalpha", "Zbravo"]


def test_a_benefits_counselor_sees_the_people_whose_benefits_they_handle(client: FlaskClient,
                                                                         world: World) -> None:
    assert listed(get(client, world.benefits, "/portefeuille").get_data(as_text=True)) == ["Zcharlie"]


def test_the_export_follows_the_same_scope(client: FlaskClient, world: World) -> None:
    for user, expected in [(world.counselor, ["Zalpha", "Zbravo"]), (world.elsewhere, ["Zecho"]),
                           (world.director, ["Zalpha", "Zbravo", "Zcharlie", "Zdelta"])]:
        assert sorted(r["Nom"] for r in csv_rows(get(client, user, "/portefeuille/export.csv"))) == expected


# --------------------------------------------------------------------------- filters, sorting, htmx

def test_after_midnight_in_paris_the_list_counts_from_the_paris_day(client: FlaskClient, world: World,
                                                                    paris_past_midnight: date) -> None:
    # 22:30 UTC on 30 June 2030 is 1 July in Paris: registered on 30 June 2029, Zlong has been
    # registered for more than a year (long-term unemployed); Zshort, registered on 1 July 2029, not yet.
    make_job_seeker(referent=world.counselor, last_name="Zlong", registration_date=date(2029, 6, 30))
    make_job_seeker(referent=world.counselor, last_name="Zshort", registration_date=date(2029, 7, 1))
    html = get(client, world.counselor, "/portefeuille?flags=long_term_unemployed").get_data(as_text=True)
    assert "Zlong" in listed(html) and "Zshort" not in listed(html)


def test_filters_come_from_the_query_string(client: FlaskClient, world: World) -> None:
    me = world.counselor
    make_rome_occupation("M1607")
    young = make_job_seeker(referent=me, last_name="Zyoung", birth_date=date.today().replace(year=2005),
                            modality=Modality.AIJ, rsa=True)
    db.session.add(JobSeekerTarget(job_seeker_id=young.id, rome_code="M1607", rank=1))
    recent = make_job_seeker(referent=me, last_name="Zrecent", last_contact_at=utcnow() - timedelta(days=2),
                             registration_date=date.today() - timedelta(days=10))
    make_appointment(recent, scheduled_at=utcnow() + timedelta(days=3))
    log_in(client, me)

    def names(query: str) -> list[str]:
        response = client.get("/portefeuille?" + query)
        assert response.status_code == 200, query
        return listed(response.get_data(as_text=True))

    assert names("modality=aij") == ["Zyoung"]
    assert names("flags=rsa&flags=under_26") == ["Zyoung"]
    assert names("rome=m16") == ["Zyoung"]
    assert names("q=zrec") == ["Zrecent"]
    assert names("q=DE-0002") == ["Zbravo"]
    assert names("next_appointment=7") == ["Zrecent"]
    assert "Zrecent" not in names("next_appointment=none")
    assert names("max_days=7") == ["Zrecent"]
    assert "Zrecent" not in names("min_days=30")
    assert "Zrecent" not in names("alert=no_recent_contact") and "Zalpha" in names("alert=no_recent_contact")


def test_sorting_and_pagination(client: FlaskClient, world: World) -> None:
    me = world.counselor
    for i in range(55):
        make_job_seeker(referent=me, last_name=f"Zp{i:02d}x", registration_date=date(2024, 1, 1) + timedelta(days=i))
    log_in(client, me)
    html = client.get("/portefeuille?sort=registration&order=desc").get_data(as_text=True)
    assert html.index("Zp54x") < html.index("Zp53x")
    assert 'aria-sort="descending"' in html
    second = client.get("/portefeuille?page=2").get_data(as_text=True)
    assert "page 2 sur 2" in second and len(re.findall(r"<tr>", second)) == 57 - 50 + 1  # header row + 7


def test_an_htmx_request_gets_the_table_fragment(client: FlaskClient, world: World) -> None:
    response = get(client, world.counselor, "/portefeuille?q=zalp", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and html.lstrip().startswith('<div id="portfolio-results"')
    assert listed(html) == ["Zalpha"]
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/portefeuille?q=zalp")
    assert "<html" in full.get_data(as_text=True) and "HX-Request" in full.headers["Vary"]
    # The search box asks for the fragment as the user types, keeping the filters in the URL.
    page = full.get_data(as_text=True)
    assert 'hx-trigger="input changed delay:300ms, search"' in page and 'hx-push-url="true"' in page


@pytest.mark.parametrize("query, field", [
    ("page=abc", "page"), ("modality=xyz", "modality"), ("min_days=-5", "min_days"), ("max_days=1e9", "max_days"),
    ("rome=12", "rome"), ("flags=bogus", "flags"), ("sort=evil", "sort"), ("alert=nope", "alert"),
    ("next_appointment=99", "next_appointment"), ("min_days=30&max_days=10", "max_days"),
])
def test_invalid_parameters_are_field_errors_never_a_crash(client: FlaskClient, world: World, query: str,
                                                           field: str) -> None:
    response = get(client, world.counselor, "/portefeuille?" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Certains filtres sont invalides" in html and f'href="#{field}"' in html
    assert listed(html) == ["Zalpha", "Zbravo"]  # the valid filters still apply
    fragment = client.get("/portefeuille?" + query, headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)
    assert client.get("/portefeuille/export.csv?" + query).status_code == 400


def test_alerts_show_their_rule_on_hover_and_to_screen_readers(client: FlaskClient, world: World) -> None:
    html = get(client, world.counselor, "/portefeuille?q=zalpha").get_data(as_text=True)
    chips = {re.sub(r"<[^>]+>|⚠", "", inner).split(" : ")[0].strip(): (title, inner)
             for title, inner in re.findall(r'<li class="alert-chip" title="([^"]+)">(.*?)</li>', html, re.S)}
    title, inner = chips["Pas de contact récent"]
    assert "délai prévu pour sa modalité" in title.replace("&#39;", "'")
    assert re.search(r'<span class="visually-hidden"> : Aucun contact abouti', inner)


def test_modality_counts_at_the_top(client: FlaskClient, world: World) -> None:
    make_job_seeker(referent=world.counselor, last_name="Zsuivi", modality=Modality.SUIVI)
    html = get(client, world.counselor, "/portefeuille?modality=suivi").get_data(as_text=True)
    counts = html.split('class="modality-counts"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r"Toutes modalités <span class=\"count\">3</span>", counts)
    assert re.search(r'aria-current="true">\s*Suivi <span class="count">1</span>', counts)
    assert listed(html.split("</nav>", 2)[-1]) == ["Zsuivi"]


def test_counselor_home_and_menu_link_to_the_portfolio(client: FlaskClient, world: World) -> None:
    html = get(client, world.counselor, "/").get_data(as_text=True)
    nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/portefeuille"' in nav
    assert html.count('href="/portefeuille"') >= 2


# --------------------------------------------------------------------------- CSV export

def csv_rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def test_export_is_a_french_csv_of_the_filtered_list_and_is_audited(client: FlaskClient, world: World) -> None:
    me = world.counselor
    make_rome_occupation("M1607", label="Secrétariat")
    person = make_job_seeker(referent=me, last_name="Zexport", first_name="Éloïse", external_id="DE-9",
                             modality=Modality.RENFORCE, registration_date=date(2025, 2, 3),
                             last_contact_at=datetime(2026, 1, 15, 10, 0), rqth=True)
    db.session.add(JobSeekerTarget(job_seeker_id=person.id, rome_code="M1607", rank=1))
    make_appointment(person, scheduled_at=datetime(2030, 4, 7, 8, 30))  # 10:30 in Paris (summer time)
    response = get(client, me, "/portefeuille/export.csv?modality=renforce&sort=name")

    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:3] == ["Identifiant", "Nom", "Prénom"]
    assert {"Modalité", "Métiers recherchés", "Dernier contact", "Jours sans contact", "Prochain rendez-vous",
            "Alertes"} <= set(header)
    rows = csv_rows(response)
    assert len(rows) == 1
    row = rows[0]
    assert row["Identifiant"] == "DE-9" and row["Nom"] == "Zexport" and row["Prénom"] == "Éloïse"
    assert row["Modalité"] == "Renforcé" and row["Métiers recherchés"] == "M1607 Secrétariat"
    assert row["Date d'inscription"] == "03/02/2025" and row["Dernier contact"] == "15/01/2026"
    assert int(row["Jours sans contact"]) == (current_day().today - date(2026, 1, 15)).days  # the Paris day
    assert row["Prochain rendez-vous"] == "07/04/2030 10:30"
    assert "RQTH" in row["Publics prioritaires"] and "Pas de contact récent" in row["Alertes"]

    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "portfolio.export")).one()
    assert event.user_id == me.id and event.entity_type == "user" and event.entity_id == me.id
    assert event.details == {"filters": {"modality": "renforce", "sort": "name", "order": "asc"}, "rows": 1}


def test_export_contains_every_page_and_neutralises_formulas(client: FlaskClient, world: World) -> None:
    for i in range(120):
        make_job_seeker(referent=world.counselor, last_name=f"Zmany{i:03d}")
    make_job_seeker(referent=world.counselor, last_name="=HYPERLINK(1)")
    rows = csv_rows(get(client, world.counselor, "/portefeuille/export.csv?q=zmany"))
    assert len(rows) == 120 and rows[0]["Nom"] == "Zmany000" and rows[-1]["Nom"] == "Zmany119"
    everyone = csv_rows(client.get("/portefeuille/export.csv"))
    assert "'=HYPERLINK(1)" in {r["Nom"] for r in everyone}


# --------------------------------------------------------------------------- cost

def test_the_page_for_120_people_costs_a_bounded_number_of_queries(client: FlaskClient, world: World) -> None:
    me = world.counselor
    make_rome_occupation("M1607")
    make_rome_occupation("K2204")
    for i in range(120):
        person = make_job_seeker(referent=me, last_name=f"Zq{i:03d}", rsa=i % 2 == 0,
                                 last_contact_at=utcnow() - timedelta(days=i))
        db.session.add_all([JobSeekerTarget(job_seeker_id=person.id, rome_code="M1607", rank=1),
                            JobSeekerTarget(job_seeker_id=person.id, rome_code="K2204", rank=2)])
        make_appointment(person, scheduled_at=utcnow() + timedelta(days=i % 20 + 1))
    db.session.flush()
    log_in(client, me)
    client.get("/portefeuille")  # warm-up: login, caches
    db.session.expire_all()
    for query in ("", "?sort=next_appointment&order=desc&page=3", "?alert=no_recent_contact&flags=rsa"):
        with count_queries() as statements:
            response = client.get("/portefeuille" + query)
        assert response.status_code == 200
        assert len(statements) <= 20, (query, len(statements), statements)
    with count_queries() as statements:
        assert len(csv_rows(client.get("/portefeuille/export.csv"))) == 122
    assert len(statements) <= 25, len(statements)


def test_each_row_links_to_the_job_seekers_file(client: FlaskClient, world: World) -> None:
    person = make_job_seeker(referent=world.counselor, last_name="Zlinked")
    html = get(client, world.counselor, "/portefeuille?q=zlinked").get_data(as_text=True)
    assert f'href="/beneficiaires/{person.id}"' in html


def test_stray_parameters_do_not_leak_into_links(client: FlaskClient, world: World) -> None:
    response = get(client, world.counselor, "/portefeuille?_scheme=javascript&_external=1&endpoint=x&q=z")
    html = response.get_data(as_text=True).split('id="portfolio-results"', 1)[1]
    assert response.status_code == 200
    assert "_scheme" not in html and "http://proxima.test/portefeuille" not in html
    assert 'href="/portefeuille?q=z&amp;sort=name&amp;order=desc"' in html

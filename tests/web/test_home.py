"""Each role's home page shows real, aggregated figures from the database."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from crm.employers.models import EmployerSegment
from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import TaskStatus
from crm.jobseekers.models import BenefitEvent, BenefitEventKind, BenefitKind, BenefitRight, JobSeekerStatus
from crm.offers.models import OfferStatus
from crm.organisation.models import Role
from crm.clock import current_day
from tests.factories import (
    make_agency, make_appointment, make_employer, make_job_seeker, make_offer, make_task, make_team, make_user,
)
from tests.query_count import count_queries
from tests.web.conftest import log_in


def row(html: str, header: str) -> list[str]:
    """The cells of the table row whose header is ``header``."""
    match = re.search(r"<th scope=\"row\">" + re.escape(header) + r"</th>(.*?)</tr>", html, re.S)
    assert match, f"no row {header!r}"
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def test_counselor_sees_portfolio_by_modality_tasks_and_todays_appointments(client: FlaskClient) -> None:
    agency = make_agency()
    me = make_user(role=Role.COUNSELOR, agency=agency)
    colleague = make_user(role=Role.COUNSELOR, agency=agency)
    recent = datetime.utcnow() - timedelta(days=3)
    make_job_seeker(referent=me, modality=Modality.RENFORCE, last_contact_at=recent)
    overdue = make_job_seeker(referent=me, modality=Modality.RENFORCE, last_name="Lefebvre")
    make_job_seeker(referent=me, modality=Modality.SUIVI, last_contact_at=recent)
    make_job_seeker(referent=me, modality=Modality.GUIDE, status=JobSeekerStatus.EXITED)  # not counted
    make_job_seeker(referent=colleague, modality=Modality.SUIVI)  # someone else's
    make_task(owner=me, job_seeker=overdue, title="Rappeler pour le CV", due_on=date(2020, 1, 1))
    make_task(owner=me, title="Tâche close", status=TaskStatus.DONE)
    make_task(owner=colleague, title="Tâche d'un collègue")
    day = current_day()
    make_appointment(overdue, staff=me, scheduled_at=day.start_utc + timedelta(hours=9))
    make_appointment(overdue, staff=me, scheduled_at=day.start_utc + timedelta(days=2))  # not today
    log_in(client, me)

    html = client.get("/").get_data(as_text=True)

    assert row(html, "Renforcé") == ["2", "1", "30 jours"]
    assert row(html, "Suivi") == ["1", "0", "90 jours"]
    assert row(html, "Guidé") == ["0", "0", "60 jours"]
    assert row(html, "Total")[:2] == ["3", "1"]
    assert "Rappeler pour le CV" in html and "Tâche close" not in html and "collègue" not in html
    assert "1 tâche en retard" in html
    assert html.count(overdue.full_name) == 2  # the task and today's appointment
    assert "Entretien de suivi" in html


def test_home_queries_do_not_grow_with_the_data(client: FlaskClient) -> None:
    me = make_user(role=Role.COUNSELOR)
    log_in(client, me)

    def queries() -> int:
        with count_queries() as statements:
            assert client.get("/", headers={"HX-Request": "true"}).status_code == 200
        return len(statements)

    js = make_job_seeker(referent=me)
    make_task(owner=me, job_seeker=js)
    baseline = queries()
    for _ in range(6):
        other = make_job_seeker(referent=me, modality=Modality.AIJ)
        make_task(owner=me, job_seeker=other)
        make_appointment(other, staff=me, scheduled_at=current_day().start_utc + timedelta(hours=10))
    assert queries() == baseline


def test_employer_counselor_sees_employers_and_offers(client: FlaskClient) -> None:
    me = make_user(role=Role.EMPLOYER_COUNSELOR)
    sme = make_employer(counselor=me, segment=EmployerSegment.SME, name="Boulangerie Dupont")
    make_employer(counselor=me, segment=EmployerSegment.SME)
    make_employer(counselor=me)
    make_employer()  # not mine
    make_offer(employer=sme, counselor=me, title="Boulanger H/F", created_on=date.today() - timedelta(days=40))
    make_offer(employer=sme, counselor=me, title="Vendeur H/F", created_on=date.today())
    make_offer(employer=sme, counselor=me, title="Pourvue", status=OfferStatus.FILLED)
    log_in(client, me)

    html = client.get("/").get_data(as_text=True)

    assert row(html, "PME") == ["2"]
    assert row(html, "Non segmentée") == ["1"]
    assert re.search(r'stat-value"><a href="#entreprises">3</a>', html)
    assert re.search(r'stat-value"><a href="#offres">2</a>', html)
    assert "offres ouvertes depuis plus de 15 jours" in html
    assert "Boulanger H/F" in html and "Boulangerie Dupont" in html and "Pourvue</span>" not in html


def test_benefits_counselor_sees_rights_ending_and_pending_events(client: FlaskClient) -> None:
    me = make_user(role=Role.BENEFITS_COUNSELOR)
    js = make_job_seeker(benefits_counselor_id=me.id)
    make_job_seeker(benefits_counselor_id=me.id)
    today = date.today()
    db.session.add_all([
        BenefitRight(job_seeker_id=js.id, kind=BenefitKind.ARE, start_on=today - timedelta(days=300),
                     end_on=today + timedelta(days=20), daily_amount=40),
        BenefitEvent(job_seeker_id=js.id, kind=BenefitEventKind.OVERPAYMENT, occurred_on=today),
        BenefitEvent(job_seeker_id=js.id, kind=BenefitEventKind.PENDING_DECISION, occurred_on=today,
                     resolved_on=today),
    ])
    db.session.flush()
    log_in(client, me)

    html = client.get("/").get_data(as_text=True)

    assert re.search(r'stat-value"><a href="#indemnisation">2</a>', html)
    assert "fins de droits dans les 60 prochains jours" in html
    assert row(html, "Trop-perçu") == ["1"]
    assert "Décision en attente" not in html


def test_team_manager_sees_members_with_portfolio_sizes(client: FlaskClient) -> None:
    team = make_team(name="Équipe Centre")
    manager = make_user(role=Role.TEAM_MANAGER, team=team)
    anne = make_user(role=Role.COUNSELOR, team=team, first_name="Anne", last_name="Roux")
    bruno = make_user(role=Role.EMPLOYER_COUNSELOR, team=team, first_name="Bruno", last_name="Petit")
    make_user(role=Role.COUNSELOR, team=team, first_name="Ancien", last_name="Agent", active=False)
    for _ in range(3):
        make_job_seeker(referent=anne)
    make_employer(counselor=bruno)
    make_task(owner=anne, due_on=date(2020, 1, 1))
    log_in(client, manager)

    html = client.get("/").get_data(as_text=True)

    assert row(html, "Anne Roux") == ["Conseiller emploi", "3", "0", "1 1 en retard"]
    assert row(html, "Bruno Petit") == ["Conseiller entreprise", "0", "1", "0"]
    assert "Ancien Agent" not in html
    assert "agents dans l'équipe Équipe Centre" in html


def test_director_sees_agency_counts(client: FlaskClient) -> None:
    agency = make_agency(name="Agence de Roubaix")
    team = make_team(agency, name="Équipe DE")
    director = make_user(role=Role.DIRECTOR, agency=agency)
    counselor = make_user(role=Role.COUNSELOR, team=team)
    make_job_seeker(agency=agency, referent=counselor, modality=Modality.GLOBAL)
    make_job_seeker(agency=agency, modality=Modality.GLOBAL)
    make_job_seeker()  # another agency
    employer = make_employer(agency=agency)
    make_offer(employer=employer)
    log_in(client, director)

    html = client.get("/").get_data(as_text=True)

    assert "Mon agence : Agence de Roubaix" in html
    assert row(html, "Accompagnement global")[0] == "2"
    assert row(html, "Équipe DE") == ["1"]
    assert row(html, "Conseiller emploi") == ["1"] and row(html, "Directeur d'agence") == ["1"]


def test_admin_sees_users_per_role(client: FlaskClient) -> None:
    admin = make_user(role=Role.ADMIN, agency=None)
    before = {role: db.session.scalar(sa.select(sa.func.count()).select_from(type(admin))
                                      .where(type(admin).role == role, type(admin).is_active_account.is_(True)))
              for role in Role}
    make_user(role=Role.PSYCHOLOGIST)
    make_user(role=Role.PSYCHOLOGIST, active=False)
    log_in(client, admin)

    html = client.get("/").get_data(as_text=True)

    cells = row(html, "Psychologue du travail")
    assert cells[0] == str(before[Role.PSYCHOLOGIST] + 1)
    assert int(cells[1]) >= 1


def test_manager_without_team_and_director_without_agency(client: FlaskClient) -> None:
    log_in(client, make_user(role=Role.TEAM_MANAGER))
    assert "Aucune équipe n'est rattachée à votre compte." in client.get("/").get_data(as_text=True)
    log_in(client, make_user(role=Role.DIRECTOR, agency=None))
    assert "Aucune agence n'est rattachée à votre compte." in client.get("/").get_data(as_text=True)


def test_navigation_has_no_dead_links(client: FlaskClient) -> None:
    for role in Role:
        user = make_user(role=role)
        log_in(client, user)
        html = client.get("/").get_data(as_text=True)
        nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
        for href in re.findall(r'href="([^"]+)"', nav):
            assert client.get(href.split("#")[0]).status_code == 200, (role, href)
        assert "bientôt" in nav or role in (Role.BENEFITS_COUNSELOR, Role.EMPLOYER_COUNSELOR, Role.TEAM_MANAGER,
                                            Role.DIRECTOR)

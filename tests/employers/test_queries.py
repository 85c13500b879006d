"""Read side: hiring history per month on hand-built data, recontacting list membership,
and bounded query counts for the list and the account view."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask.testing import FlaskClient

from crm.employers import queries
from crm.employers.models import Employer
from crm.offers.models import ApplicationStatus
from crm.outcomes.models import OutcomeKind
from tests.employers.conftest import World
from tests.factories import (
    make_application, make_employer, make_job_seeker, make_offer, make_outcome_episode, make_recruitment_need,
    make_satisfaction_answer,
)
from tests.query_count import count_queries
from tests.web.conftest import log_in

TODAY = date(2026, 3, 15)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# --------------------------------------------------------------------------- hiring history


def test_hiring_history_by_month(world: World) -> None:
    employer = world.employer
    person, other = make_job_seeker(agency=employer.agency), make_job_seeker(agency=employer.agency)
    # offers: 2 in January 2026, 1 in March 2026, 1 in August 2024 (outside 18 months)
    jan = make_offer(employer=employer, created_on=date(2026, 1, 5))
    make_offer(employer=employer, created_on=date(2026, 1, 28))
    make_offer(employer=employer, created_on=date(2026, 3, 1))
    make_offer(employer=employer, created_on=date(2024, 8, 1))
    # hires: a hired MER in February (with its outcome episode: counted once), a hire
    # without a MER in March, a MER hired without outcome date (made in January)
    hired = make_application(jan, person, status=ApplicationStatus.HIRED, outcome_date=date(2026, 2, 10))
    make_outcome_episode(person, start_on=date(2026, 2, 16), employer=employer, application_id=hired.id)
    make_outcome_episode(other, start_on=date(2026, 3, 2), employer=employer)
    make_application(jan, other, status=ApplicationStatus.HIRED, created_at=datetime(2026, 1, 20, 9))
    make_application(jan, make_job_seeker(agency=employer.agency), status=ApplicationStatus.REFUSED)
    make_outcome_episode(other, start_on=date(2026, 3, 3), employer=employer, kind=OutcomeKind.TRAINING)
    make_outcome_episode(other, start_on=date(2026, 3, 4), employer=make_employer())  # someone else's hire

    months = queries.hiring_history(employer.id, today=TODAY)
    assert len(months) == 18
    assert months[0].month == date(2024, 10, 1) and months[-1].month == date(2026, 3, 1)
    figures = {m.month: (m.offers, m.hires) for m in months}
    assert figures[date(2026, 1, 1)] == (2, 1)
    assert figures[date(2026, 2, 1)] == (0, 1)
    assert figures[date(2026, 3, 1)] == (1, 1)
    assert sum(m.offers for m in months) == 3 and sum(m.hires for m in months) == 3

    chart = queries.history_chart(months)
    assert chart.peak == 2 and chart.total_offers == 3 and chart.total_hires == 3
    january = chart.offer_bars[15]
    assert january.value == 2 and january.y == 8.0  # the tallest bar reaches the top margin
    assert chart.offer_bars[0].height == 0


# --------------------------------------------------------------------------- recontacting list


def _recontact(world: World) -> set[str]:
    from crm.employers.views import portfolio_scope

    now = utcnow()
    return {row.employer.name for row in queries.recontact_list(portfolio_scope(world.owner), now=now,
                                                                today=now.date())}


def test_recontact_list_membership(world: World) -> None:
    now, today = utcnow(), utcnow().date()

    def employer(name: str, days: int | None) -> Employer:
        return make_employer(counselor=world.owner, name=name,
                             last_contact_at=None if days is None else now - timedelta(days=days))

    def hire(e: Employer, on: date) -> None:
        offer = make_offer(employer=e)
        make_application(offer, make_job_seeker(agency=e.agency), status=ApplicationStatus.HIRED, outcome_date=on)

    hired_89, hired_91 = employer("hired 89", 89), employer("hired 91", 91)
    hire(hired_89, today - timedelta(days=30))
    hire(hired_91, today - timedelta(days=30))
    old_hire = employer("old hire", 200)
    hire(old_hire, today - timedelta(days=400))
    episode = employer("episode never contacted", None)
    make_outcome_episode(make_job_seeker(agency=episode.agency), start_on=today - timedelta(days=60), employer=episode)
    intent_91, intent_89 = employer("BMO 91", 91), employer("BMO 89", 89)
    make_recruitment_need(intent_91, expected_on=today + timedelta(days=60))
    make_recruitment_need(intent_89, expected_on=today + timedelta(days=60))
    past_intent = employer("past intention", 120)
    make_recruitment_need(past_intent, expected_on=today - timedelta(days=10))
    employer("nothing", 300)
    elsewhere = make_employer(counselor=world.colleague, name="colleague's", last_contact_at=now - timedelta(days=95))
    make_recruitment_need(elsewhere, expected_on=today + timedelta(days=5))

    assert _recontact(world) == {"hired 91", "episode never contacted", "BMO 91"}


def test_recontact_page(client: FlaskClient, world: World) -> None:
    world.employer.last_contact_at = utcnow() - timedelta(days=120)
    make_recruitment_need(world.employer, expected_on=utcnow().date() + timedelta(days=30))
    log_in(client, world.owner)
    html = client.get("/entreprises/a-recontacter").get_data(as_text=True)
    assert "Boulangerie Dupont" in html and "1 besoin" in html
    log_in(client, world.director)
    assert "Boulangerie Dupont" in client.get("/entreprises/a-recontacter").get_data(as_text=True)
    log_in(client, world.other_team)
    assert "Boulangerie Dupont" not in client.get("/entreprises/a-recontacter").get_data(as_text=True)


# --------------------------------------------------------------------------- query counts


def test_list_query_count_is_bounded(client: FlaskClient, world: World) -> None:
    for n in range(200):
        e = make_employer(counselor=world.owner, name=f"E{n:03d}", last_contact_at=utcnow() - timedelta(days=n))
        if n % 10 == 0:
            make_offer(employer=e)
            make_satisfaction_answer(e, would_recommend=n % 20 == 0)
    log_in(client, world.owner)
    client.get("/entreprises")  # warm-up (first request caches)
    with count_queries() as statements:
        response = client.get("/entreprises?page=2", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "E050" in response.get_data(as_text=True)
    assert len(statements) <= 8, statements
    with count_queries() as statements:
        client.get("/entreprises?open_offers=yes&satisfaction=yes&min_days=5")
    assert len(statements) <= 8, statements


def test_account_view_query_count_is_bounded(client: FlaskClient, world: World) -> None:
    people = [make_job_seeker(agency=world.employer.agency) for _ in range(50)]
    for n in range(50):
        offer = make_offer(employer=world.employer, title=f"Offre {n}")
        for person in people[:10]:
            make_application(offer, person, status=ApplicationStatus.SENT)
    log_in(client, world.owner)
    client.get(f"/entreprises/{world.employer.id}")
    with count_queries() as statements:
        response = client.get(f"/entreprises/{world.employer.id}")
    assert response.status_code == 200 and "Offre 49" in response.get_data(as_text=True)
    assert len(statements) <= 20, statements
    count = len(statements)
    assert db_count_is_stable(client, world, count)


def db_count_is_stable(client: FlaskClient, world: World, count: int) -> bool:
    """One more offer with candidates does not add a query (objects already in the
    session may save one)."""
    offer = make_offer(employer=world.employer, title="Encore une")
    make_application(offer, make_job_seeker(agency=world.employer.agency))
    with count_queries() as statements:
        client.get(f"/entreprises/{world.employer.id}")
    return len(statements) <= count

"""The demo generator: deterministic, structured as documented, careful with existing data.

Each check runs on databases created here (never the shared test database): SQLite
files, or, when ``TEST_DATABASE_URL`` is set, separate PostgreSQL databases on that server.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.config import normalise_database_url
from crm.extensions import db
from tests.conftest import make_app, scratch_postgres_database

TODAY = "2026-11-20"
ARGS = ["seed", "demo", "--size", "small", "--seed", "1", "--today", TODAY]


def fresh_database(tmp_path: Path, name: str) -> Iterator[str]:
    """A new empty database: a SQLite file, or a scratch database on the PostgreSQL test server."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield "sqlite:///" + str(tmp_path / f"{name}.sqlite3")
        return
    with scratch_postgres_database(normalise_database_url(server), name) as url:
        yield url


def seeded_app(url: str, instance: Path) -> Flask:
    from flask_migrate import upgrade

    app = make_app(url, instance)
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=ARGS)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return app


def checksum(app: Flask) -> str:
    """SHA-256 over every table's rows, ordered by primary key."""
    digest = hashlib.sha256()
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            digest.update(table.name.encode())
            for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("demo")
    for url in fresh_database(tmp, "seed_a"):
        app = seeded_app(url, tmp / "instance")
        yield app
        with app.app_context():
            db.engine.dispose()


def scalar(app: Flask, sql: str, **params: object) -> object:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def rows(app: Flask, sql: str, **params: object) -> list[sa.Row]:
    with app.app_context(), db.engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def test_same_seed_gives_identical_data(demo_app: Flask, tmp_path: Path) -> None:
    first = checksum(demo_app)
    for url in fresh_database(tmp_path, "seed_b"):
        other = seeded_app(url, tmp_path / "instance")
        try:
            assert checksum(other) == first
        finally:
            with other.app_context():
                db.engine.dispose()


def test_sizes_and_accounts(demo_app: Flask) -> None:
    assert scalar(demo_app, "SELECT COUNT(*) FROM job_seeker") == 3000
    assert scalar(demo_app, "SELECT COUNT(*) FROM employer") == 400
    assert 600 <= scalar(demo_app, "SELECT COUNT(*) FROM job_offer") <= 1000
    assert 120 <= scalar(demo_app, "SELECT COUNT(*) FROM catalogue_item") <= 180
    assert 25 <= scalar(demo_app, "SELECT COUNT(*) FROM \"user\"") <= 40
    for email in ("conseiller@proxima.demo", "conseiller.entreprise@proxima.demo", "gdd@proxima.demo",
                  "psychologue@proxima.demo", "rep@proxima.demo", "directeur@proxima.demo", "admin@proxima.demo"):
        assert scalar(demo_app, "SELECT COUNT(*) FROM \"user\" WHERE email = :e", e=email) == 1
    guide = scalar(demo_app, "SELECT COUNT(*) FROM job_seeker j JOIN \"user\" u ON u.id = j.referent_id "
                             "WHERE u.email = 'conseiller@proxima.demo' AND j.status = 'active'")
    assert 90 <= guide <= 160
    assert scalar(demo_app, "SELECT COUNT(*) FROM employer e JOIN \"user\" u ON u.id = e.counselor_id "
                            "WHERE u.email = 'conseiller.entreprise@proxima.demo'") >= 80


def test_every_job_seeker_has_a_referent_of_their_agency(demo_app: Flask) -> None:
    assert scalar(demo_app, "SELECT COUNT(*) FROM job_seeker j LEFT JOIN \"user\" u ON u.id = j.referent_id "
                            "WHERE u.id IS NULL OR u.agency_id <> j.agency_id OR u.role <> 'counselor'") == 0


def test_portfolio_sizes_per_modality(demo_app: Flask) -> None:
    sizes: dict[str, list[int]] = {}
    for modality, n in rows(demo_app, "SELECT modality, COUNT(*) FROM job_seeker WHERE status = 'active' "
                                      "GROUP BY referent_id, modality"):
        sizes.setdefault(modality, []).append(n)
    median = {m: sorted(v)[len(v) // 2] for m, v in sizes.items()}
    assert 50 <= median["renforce"] <= 90
    assert 90 <= median["guide"] <= 160
    assert median["suivi"] >= 150


def employment_within(app: Flask, start: date, days: int) -> set[int]:
    """Job seekers with an employment episode of 28 days or more starting in the window."""
    end = start + timedelta(days=days)
    found = set()
    for js, s, e in rows(app, "SELECT job_seeker_id, start_on, end_on FROM outcome_episode "
                              "WHERE kind = 'employment' AND start_on >= :s AND start_on < :e", s=start, e=end):
        s = s if isinstance(s, date) else date.fromisoformat(s)
        e = None if e is None else (e if isinstance(e, date) else date.fromisoformat(e))
        if e is None or (e - s).days + 1 >= 28:
            found.add(js)
    return found


def test_shortage_raises_return_to_employment(demo_app: Flask) -> None:
    start = date(2026, 3, 1)
    active = rows(demo_app, "SELECT j.id, (SELECT AVG(l.tension_pct) FROM labour_shortage l "
                            "WHERE l.rome_code = t.rome_code) FROM job_seeker j "
                            "JOIN job_seeker_target t ON t.job_seeker_id = j.id AND t.rank = 1 "
                            "WHERE j.registration_date < :s AND (j.exit_date IS NULL OR j.exit_date >= :s)", s=start)
    hired = employment_within(demo_app, start, 183)
    tensions = sorted(t for _, t in active if t is not None)
    cut = tensions[len(tensions) // 2]
    high = [js in hired for js, t in active if t is not None and t > cut]
    low = [js in hired for js, t in active if t is not None and t <= cut]
    assert sum(high) / len(high) > sum(low) / len(low) + 0.03


def test_randomised_contacts_help(demo_app: Flask) -> None:
    """Pooled over the months: an exploration contact raises the 90-day return to employment."""
    treated, control = [0, 0], [0, 0]
    day = date(2025, 6, 1)
    while day < date(2026, 8, 1):
        nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        active = {r[0] for r in rows(demo_app, "SELECT id FROM job_seeker WHERE registration_date < :s AND "
                                               "(exit_date IS NULL OR exit_date >= :s)", s=day)}
        explored = {r[0] for r in rows(demo_app, "SELECT DISTINCT job_seeker_id FROM interaction WHERE "
                                                 "origin = 'exploration' AND occurred_at >= :s AND occurred_at < :e",
                                       s=day, e=nxt)}
        hired = employment_within(demo_app, day, 90)
        for js in active:
            group = treated if js in explored else control
            group[0] += 1
            group[1] += js in hired
        day = nxt
    assert treated[0] > 300
    assert treated[1] / treated[0] > control[1] / control[0] + 0.01


def test_exploration_is_about_a_tenth_of_contacts(demo_app: Flask) -> None:
    counts = dict(rows(demo_app, "SELECT origin, COUNT(*) FROM interaction WHERE author_id IS NOT NULL "
                                 "AND job_seeker_id IS NOT NULL AND kind IN ('follow_up', 'review_6_9', "
                                 "'job_search_advice') GROUP BY origin"))
    share = counts.get("exploration", 0) / sum(counts.values())
    assert 0.05 <= share <= 0.2


def test_last_contact_is_derived_from_the_timeline(demo_app: Flask) -> None:
    postgres = demo_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    differs = "IS DISTINCT FROM" if postgres else "IS NOT"
    mismatches = scalar(demo_app, f"""
        SELECT COUNT(*) FROM job_seeker j WHERE j.last_contact_at {differs} (
            SELECT MAX(i.occurred_at) FROM interaction i WHERE i.job_seeker_id = j.id AND i.channel <> 'online'
            AND (i.author_id IS NOT NULL OR i.direction = 'in')
            AND i.outcome IN ('done', 'reached', 'positive', 'negative', 'follow_up_needed'))
    """)
    assert mismatches == 0


def test_if_empty_and_refusal_on_a_populated_database(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    before = scalar(demo_app, "SELECT COUNT(*) FROM interaction")
    result = runner.invoke(args=[*ARGS, "--if-empty"])
    assert result.exit_code == 0
    assert "not generated" in result.output
    result = runner.invoke(args=ARGS)
    assert result.exit_code != 0
    assert "--reset" in result.output
    assert scalar(demo_app, "SELECT COUNT(*) FROM interaction") == before


def test_accounts_command(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["seed", "accounts"])
    assert result.exit_code == 0
    assert "conseiller@proxima.demo" in result.output and "Proxima-demo-2026" in result.output

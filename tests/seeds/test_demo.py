"""The demo generator: deterministic, structured as documented, careful with existing data.

Each check runs on databases created here (never the shared test database): SQLite
files, or, when ``TEST_DATABASE_URL`` is set, separate PostgreSQL databases on that server.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
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


def difference_and_se(a: list[bool], b: list[bool]) -> tuple[float, float]:
    """Difference of two proportions and its standard error (independent samples)."""
    pa, pb = sum(a) / len(a), sum(b) / len(b)
    return pa - pb, math.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))


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
    diff, se = difference_and_se(high, low)
    # Small, seed 1: +0.081 with a standard error of 0.027 (3 SE); the check asks for 2 SE.
    assert diff > 2 * se, (diff, se)


def test_contact_effect_is_heterogeneous() -> None:
    """The structural effect of a contact on the hire hazard, for constructed people."""
    from seeds.demo.simulate import contact_effect, sigmoid

    def effect(employability: float, barriers: int) -> float:
        return float(contact_effect(np.array([employability]), np.array([barriers]))[0])

    assert effect(0.0, 0) == pytest.approx(1.1)  # mid-employability, no barrier: the largest effect
    assert effect(0.3, 0) > 0.8 and effect(-0.3, 0) > 0.8
    assert effect(0.0, 1) == pytest.approx(0.55)
    for barriers in (2, 3, 4):  # heavy barriers: about nothing
        assert effect(0.0, barriers) < 0.1
    assert effect(2.0, 0) < 0.01 and effect(-2.0, 0) < 0.01  # the most (and least) employable: about nothing
    grid = [effect(e, 0) for e in np.linspace(0, 3, 31)]
    assert all(a >= b for a, b in zip(grid, grid[1:]))  # fades with the distance to mid-employability
    # In probability: a month's hire chance at the model's baseline (-3.5 + e, see seeds/README.md).
    def gain(e: float, barriers: int) -> float:
        base = -3.5 + e - 0.45 * barriers
        return float(sigmoid(base + effect(e, barriers)) - sigmoid(base))

    assert gain(0.0, 0) > 0.03
    assert gain(2.2, 0) < 0.002 and gain(0.0, 3) < 0.002


def test_randomised_contacts_are_randomised_and_never_harm(demo_app: Flask) -> None:
    """The data side of the randomised contacts (origin « exploration »), pooled over the months.

    The exploration draw is independent of everything, but an explored person who also got
    a regular contact that month is labelled by the regular one; the valid comparison is
    therefore among the person-months *without* a regular contact: explored or not. People
    already hired through MER (the job starting later) are not at risk and are left out;
    comparing explored people with everyone else instead mostly measures who is left
    without regular contacts (more employable people), whatever the contact effect.

    The effect lives where ``test_contact_effect_is_heterogeneous`` shows it (mid
    employability, no barrier, not contacted last month) and lasts two months; on the small
    demo that subgroup gives +0.038 with a standard error of 0.023 (under 2 SE:
    the structural test carries the proof). Here: the explored share is the same in every
    modality (the draw is random), and the explored do not do worse beyond the noise.
    """
    months = [date(2025, 5, 1)]
    while months[-1] < date(2026, 8, 1):
        months.append((months[-1].replace(day=28) + timedelta(days=4)).replace(day=1))
    modality = dict(rows(demo_app, "SELECT id, modality FROM job_seeker"))
    hired_by_mer = rows(demo_app, "SELECT job_seeker_id, created_at FROM application WHERE status = 'hired'")
    barriers = rows(demo_app, "SELECT job_seeker_id, noted_on, resolved_on FROM barrier")

    def who(sql: str, s: date, e: date) -> set[int]:
        return {r[0] for r in rows(demo_app, "SELECT DISTINCT job_seeker_id FROM interaction WHERE "
                                             f"{sql} AND occurred_at >= :s AND occurred_at < :e", s=s, e=e)}

    def text(value: object) -> str:
        return str(value)[:10]

    regular_sql = ("origin IN ('manual', 'priority_list') AND author_id IS NOT NULL "
                   "AND kind IN ('follow_up', 'review_6_9', 'job_search_advice')")
    meaningful_sql = ("author_id IS NOT NULL AND channel <> 'online' AND kind IN ('follow_up', 'review_6_9', "
                      "'job_search_advice', 'situation_interview') AND outcome IN ('done', 'reached')")
    by_modality: dict[str, list[bool]] = {}
    treated: list[bool] = []
    control: list[bool] = []
    for prev, day, nxt in zip(months, months[1:], months[2:] + [date(2026, 9, 1)]):
        active = {r[0] for r in rows(demo_app, "SELECT id FROM job_seeker WHERE registration_date < :s AND "
                                               "(exit_date IS NULL OR exit_date >= :s)", s=day)}
        gone = {js for js, created in hired_by_mer if text(created) < day.isoformat()}
        regular = who(regular_sql, day, nxt)
        explored = who("origin = 'exploration'", day, nxt)
        contacted_before = who(meaningful_sql, prev, day)
        with_barrier = {js for js, noted, resolved in barriers
                        if text(noted) < day.isoformat() and (resolved is None or text(resolved) > day.isoformat())}
        hired = employment_within(demo_app, day, 61)
        for js in active - gone - regular:
            by_modality.setdefault(modality[js], []).append(js in explored)
            if js not in contacted_before and js not in with_barrier:
                (treated if js in explored else control).append(js in hired)
    pooled = [x for v in by_modality.values() for x in v]
    share = sum(pooled) / len(pooled)
    assert 0.07 <= share <= 0.11  # the 10 % draw, minus the cancelled appointments
    for name, explored_flags in by_modality.items():
        se = math.sqrt(share * (1 - share) / len(explored_flags))
        assert abs(sum(explored_flags) / len(explored_flags) - share) < 3 * se, name
    assert len(treated) > 200
    diff, se = difference_and_se(treated, control)
    assert diff > -2 * se, (diff, se)


def test_exploration_is_about_a_tenth_of_contacts(demo_app: Flask) -> None:
    counts = dict(rows(demo_app, "SELECT origin, COUNT(*) FROM interaction WHERE author_id IS NOT NULL "
                                 "AND job_seeker_id IS NOT NULL AND kind IN ('follow_up', 'review_6_9', "
                                 "'job_search_advice') GROUP BY origin"))
    share = counts.get("exploration", 0) / sum(counts.values())
    assert 0.05 <= share <= 0.2


def test_workshops_and_prestations_are_proposed_by_need(demo_app: Flask) -> None:
    """Counselors mostly pick the workshop, prestation or event the action plan's work axes call
    for (DOMAIN.md: "by need"): far more proposals match the person's needs than when the same
    items are dealt to the same people at random."""
    from crm.recommendations.candidates import NEEDS

    proposed = rows(demo_app, "SELECT j.work_axes, c.code FROM proposal p "
                              "JOIN catalogue_item c ON c.id = p.catalogue_item_id "
                              "JOIN job_seeker j ON j.id = p.job_seeker_id "
                              "WHERE p.item_kind IN ('workshop', 'prestation', 'event') AND p.source <> 'exploration'")
    needs = [{code for axis in (json.loads(axes) if isinstance(axes, str) else axes or ())
              for code in NEEDS.get(axis, ())} for axes, _ in proposed]
    codes = [code for _, code in proposed]
    matched = np.mean([code in need for code, need in zip(codes, needs)])
    dealt = np.random.default_rng(0).permutation(codes)
    at_random = np.mean([code in need for code, need in zip(dealt, needs)])
    assert len(proposed) > 500
    assert matched > at_random + 0.25, (matched, at_random)


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


def test_the_default_day_is_the_paris_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          paris_past_midnight: date) -> None:
    # Without --today, a demo generated at 22:30 UTC on 30 June (1 July in Paris) ends on 1 July,
    # the day the pages show. The generation itself is left out: only the day it is given matters.
    import seeds.demo
    from crm.referentials import importer

    given: dict[str, object] = {}

    def generate_demo(**kwargs: object) -> object:
        given.update(kwargs)
        return SimpleNamespace(skipped=True)

    monkeypatch.setattr(seeds.demo, "generate_demo", generate_demo)
    monkeypatch.setattr(seeds.demo, "count_job_seekers", lambda conn: 0)
    monkeypatch.setattr(importer, "load_builtin", lambda session: None)
    monkeypatch.setenv("PROXIMA_INSTANCE_PATH", str(tmp_path / "instance"))  # make_app sets it; restored after
    app = make_app("sqlite:///" + str(tmp_path / "empty.sqlite3"), tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["seed", "demo", "--size", "small"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert given["today"] == paris_past_midnight and "today 2030-07-01" in result.output
    with app.app_context():
        db.engine.dispose()

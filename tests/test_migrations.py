"""The migrations are the only way the schema is built; they must agree with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from crm.extensions import db


def test_upgrade_to_head_builds_every_model_table(app: Flask) -> None:
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_runs_with_foreign_keys_and_wal(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            return
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


# --------------------------------------------------------------------------- upgrading with data in the database

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def earlier_revisions() -> list[str]:
    """Every revision but the head, oldest first."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    return [r.revision for r in reversed(list(script.walk_revisions())) if r.revision != head]


# A small but complete world written with plain SQL, as a database of that revision holds it:
# every column a later migration could touch is filled, JSON as text, booleans as 0/1.
REPRESENTATIVE_DATA = [
    "INSERT INTO region (id, code, name) VALUES (1, '32', 'Hauts-de-France')",
    "INSERT INTO territorial_direction (id, region_id, name) VALUES (1, 1, 'DT Nord')",
    "INSERT INTO agency (id, direction_id, name) VALUES (1, 1, 'Agence de Lille')",
    "INSERT INTO team (id, agency_id, name, kind) VALUES (1, 1, 'Équipe A', 'job_seekers')",
    """INSERT INTO "user" (id, email, first_name, last_name, role, agency_id, team_id)
       VALUES (1, 'nadia@proxima.test', 'Nadia', 'Referente', 'counselor', 1, 1)""",
    "INSERT INTO rome_domain (code, label) VALUES ('D', 'Commerce')",
    "INSERT INTO rome_family (code, domain_code, label) VALUES ('D12', 'D', 'Vente')",
    "INSERT INTO rome_occupation (code, family_code, label) VALUES ('D1214', 'D12', 'Vente en habillement')",
    """INSERT INTO job_seeker (id, external_id, first_name, last_name, birth_date, gender, nationality, email,
         agency_id, referent_id, registration_date, registration_category, modality, status, contract_types,
         mobility_km, education_level, experience_months, languages, skills, work_axes, digital_autonomy,
         rsa, rqth, qpv, zrr, last_contact_at, notes)
       VALUES (1, 'DE-1', 'Camille', 'Martin', '1990-05-17', 'female', 'french', 'camille@example.org',
         1, 1, '2025-01-06', 'A', 'guide', 'active', '["cdi"]', 20, 'bac', 36, '["fr"]', '["Accueil"]', '[]',
         'partial', 0, 0, 1, 0, '2025-03-04 10:00:00.000000', 'Cherche un poste à temps partiel')""",
    "INSERT INTO job_seeker_target (id, job_seeker_id, rome_code, rank) VALUES (1, 1, 'D1214', 1)",
    "INSERT INTO consent_record (id, job_seeker_id, kind, given, recorded_at) VALUES (1, 1, 'sms', 1, '2025-01-06 10:00:00.000000')",
    """INSERT INTO employer (id, siret, name, agency_id, counselor_id)
       VALUES (1, '12345678900011', 'Boutique du Nord', 1, 1)""",
    """INSERT INTO job_offer (id, employer_id, counselor_id, rome_code, title, contract_type, created_on, positions,
         accompanied, status) VALUES (1, 1, 1, 'D1214', 'Vendeur', 'cdi', '2025-02-01', 1, 0, 'open')""",
    """INSERT INTO application (id, offer_id, job_seeker_id, created_at, origin, status)
       VALUES (1, 1, 1, '2025-02-03 09:00:00.000000', 'counselor', 'sent')""",
    """INSERT INTO catalogue_item (id, kind, title, eligibility, leads_to_certification, active, partner_kind)
       VALUES (1, 'partner_service', 'Mission locale', '{}', 0, 1, 'mission_locale')""",
    """INSERT INTO referral (id, job_seeker_id, partner_item_id, referred_by_id, referred_at, status)
       VALUES (1, 1, 1, 1, '2025-03-05 10:00:00.000000', 'sent')""",
    """INSERT INTO interaction (id, occurred_at, job_seeker_id, author_id, channel, direction, kind, outcome, notes,
         origin, application_id, referral_id, created_at)
       VALUES (1, '2025-03-04 10:00:00.000000', 1, 1, 'phone', 'out', 'follow_up', 'reached', 'Appel de suivi',
         'manual', 1, 1, '2025-03-04 10:05:00.000000')""",
    """INSERT INTO appointment (id, job_seeker_id, staff_id, scheduled_at, duration_minutes, channel, kind, status)
       VALUES (1, 1, 1, '2025-04-01 09:00:00.000000', 30, 'in_person', 'follow_up', 'planned')""",
    """INSERT INTO proposal (id, job_seeker_id, author_id, proposed_at, item_kind, offer_id, source, response, outcome,
         arguments) VALUES (1, 1, 1, '2025-03-04 10:00:00.000000', 'offer', 1, 'counselor', 'pending', 'none', '[]')""",
    """INSERT INTO task (id, owner_id, job_seeker_id, title, due_on, status, origin, created_at)
       VALUES (1, 1, 1, 'Rappeler', '2025-03-10', 'open', 'manual', '2025-03-04 10:05:00.000000')""",
    """INSERT INTO model_version (id, kind, version, trained_at, as_of, metrics, status)
       VALUES (1, 'job_seeker_priority', 'v1', '2025-03-01 03:00:00.000000', '2025-03-01', '{}', 'published')""",
    """INSERT INTO priority_score (id, model_version_id, scored_on, job_seeker_id, counselor_id, score, rank,
         exploration, reasons, created_at)
       VALUES (1, 1, '2025-03-01', 1, 1, 0.8, 1, 0, '[{"code": "no_contact", "text": "Sans contact"}]',
         '2025-03-01 03:00:00.000000')""",
    """INSERT INTO outcome_episode (id, job_seeker_id, kind, start_on, employer_id, application_id)
       VALUES (1, 1, 'employment', '2025-05-01', 1, 1)""",
    """INSERT INTO audit_event (id, at, user_id, action, entity_type, entity_id, job_seeker_id, details, channel)
       VALUES (1, '2025-03-04 10:00:00.000000', 1, 'job_seeker.read', 'job_seeker', 1, 1, '{}', 'web')""",
]


@pytest.mark.parametrize("revision", earlier_revisions())
def test_upgrading_from_an_earlier_revision_keeps_the_data(revision: str, tmp_path: Path) -> None:
    from crm.interactions.models import Channel, Direction, Interaction, InteractionKind, InteractionOutcome
    from crm.interactions.services import log_interaction
    from crm.jobseekers.models import JobSeeker
    from crm.organisation.models import User
    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "old.sqlite3"), tmp_path / "instance")
    try:
        with app.app_context():
            upgrade(revision=revision)
            with db.engine.begin() as conn:
                for statement in REPRESENTATIVE_DATA:
                    conn.exec_driver_sql(statement)
            before = _row_counts()
            upgrade()

            after = _row_counts()
            assert {name: after.get(name) for name in before} == before
            person = db.session.get(JobSeeker, 1)
            assert (person.full_name, person.external_id, person.skills) == ("Camille Martin", "DE-1", ["Accueil"])
            assert [t.rome_code for t in person.targets] == ["D1214"] and person.consents[0].given is True
            interaction = db.session.get(Interaction, 1)
            assert interaction.notes == "Appel de suivi" and interaction.application_id == 1
            # every model reads its rows back, and the current code writes on the upgraded schema
            for mapper in db.Model.registry.mappers:
                db.session.scalars(sa.select(mapper.class_).limit(5)).all()
            log_interaction(author=db.session.get(User, 1), job_seeker=person, channel=Channel.PHONE,
                            kind=InteractionKind.FOLLOW_UP, outcome=InteractionOutcome.REACHED,
                            direction=Direction.OUTBOUND, notes="Après la migration")
            db.session.commit()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 2
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _row_counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        tables = [name for name in sa.inspect(conn).get_table_names() if name != "alembic_version"]
        return {name: conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar() for name in tables}

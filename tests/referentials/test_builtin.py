"""The built-in subset shipped in seeds/data: what the demo runs on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from crm.referentials.importer import BUILTIN_DIR, REFERENCE_TABLES, ReferentialFileError, load_builtin, read_builtin
from crm.referentials.models import Bassin, Commune, RomeAppellation, RomeFamily, RomeOccupation
from tests.referentials.helpers import row_counts, table_checksum


def test_builtin_subset_covers_the_demo_needs(db_session: Session) -> None:
    report = load_builtin(db_session)

    totals = report.totals()
    assert set(totals) == {table.name for table in REFERENCE_TABLES}
    assert totals["rome_occupation"] >= 80
    domains = db_session.scalars(
        sa.select(RomeFamily.domain_code).join(RomeOccupation, RomeOccupation.family_code == RomeFamily.code).distinct()
    ).all()
    assert len(domains) == 14
    without_appellation = db_session.scalar(
        sa.select(sa.func.count()).select_from(RomeOccupation).where(
            ~sa.exists().where(RomeAppellation.rome_code == RomeOccupation.code)
        )
    )
    assert without_appellation == 0
    assert totals["naf_section"] == 21
    assert totals["naf_code"] >= 80
    assert 150 <= totals["commune"] <= 250
    communes = db_session.scalars(sa.select(Commune)).all()
    assert all(c.latitude is not None and c.longitude is not None and c.bassin_code for c in communes)
    assert {c.departement for c in communes} <= {"44", "49"}
    assert all(b.name for b in db_session.scalars(sa.select(Bassin)))
    assert db_session.get(Commune, "44143").name == "Rezé"
    assert db_session.get(RomeOccupation, "M1607").label == "Secrétariat"
    for name in ("related_occupation", "labour_shortage", "occupation_sector_hires"):
        assert totals[name] > 0


def test_builtin_subset_load_is_idempotent(db_session: Session) -> None:
    load_builtin(db_session)
    counts = row_counts(db_session)
    checksums = {name: table_checksum(db_session, name) for name in counts}

    again = load_builtin(db_session)

    assert again.changed == 0
    assert row_counts(db_session) == counts
    assert {name: table_checksum(db_session, name) for name in counts} == checksums


def test_builtin_files_stay_small() -> None:
    names = {table.name for table in REFERENCE_TABLES}
    size = sum(path.stat().st_size for path in BUILTIN_DIR.glob("*.csv") if path.stem in names)
    assert size < 500_000


def test_load_builtin_command(runner: FlaskCliRunner, db_session: Session) -> None:
    result = runner.invoke(args=["referentials", "load-builtin"])

    assert result.exit_code == 0, result.output
    assert "commune" in result.output
    assert db_session.get(Commune, "44109").bassin_code == "5220"


def test_builtin_file_with_an_unknown_column_is_refused(tmp_path: Path) -> None:
    for path in BUILTIN_DIR.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    commune = tmp_path / "commune.csv"
    commune.write_text(commune.read_text(encoding="utf-8").replace("latitude", "lat", 1), encoding="utf-8")

    with pytest.raises(ReferentialFileError, match=r"commune\.csv: unknown column\(s\) lat"):
        read_builtin(tmp_path)

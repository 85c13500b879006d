"""The importer on the real open-data folder (skipped when shared/data/referentials is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from crm.referentials.models import Commune, NafCode, RomeAppellation, RomeFamily, RomeOccupation
from tests.referentials.helpers import row_counts, table_checksum

CHECKED_TABLES = ("rome_occupation", "rome_appellation", "naf_code", "commune", "related_occupation")


def test_real_import_loads_real_figures_and_is_idempotent(
    runner: FlaskCliRunner, db_session: Session, shared_referentials: Path
) -> None:
    first = runner.invoke(args=["referentials", "import", str(shared_referentials)])
    assert first.exit_code == 0, first.output

    counts = row_counts(db_session)
    assert counts["rome_domain"] == 14
    assert counts["rome_occupation"] == 532
    assert counts["rome_appellation"] > 11_000
    assert counts["naf_section"] == 21
    assert counts["naf_code"] == 732
    assert counts["size_band"] == 15
    assert counts["bassin"] >= 400
    assert counts["related_occupation"] > 60_000
    with_position = db_session.scalar(
        sa.select(sa.func.count()).select_from(Commune).where(Commune.latitude.is_not(None))
    )
    assert with_position > 35_000

    assert db_session.get(RomeOccupation, "M1607").label == "Secrétariat"
    assert db_session.get(RomeFamily, "M16").domain_code == "M"
    assert db_session.get(RomeAppellation, "19364").rome_code == "M1607"  # « Secrétaire »
    nantes = db_session.get(Commune, "44109")
    assert (nantes.name, nantes.postcode, nantes.bassin_code, nantes.departement) == ("Nantes", "44000", "5220", "44")
    assert nantes.latitude == pytest.approx(47.2316, abs=1e-3)
    assert nantes.longitude == pytest.approx(-1.5483, abs=1e-3)
    assert db_session.get(Commune, "2A004").departement == "2A"
    assert db_session.get(Commune, "97411").departement == "974"
    assert db_session.get(Commune, "44055").name == "La Baule-Escoublac"
    # The one NAF label damaged in naf_labels.csv is repaired from the hires file.
    assert db_session.get(NafCode, "8899A").label.endswith("sans hébergement d'enfants et d'adolescents")
    # Bassin links to communes missing from La Poste's file are reported, not fatal.
    assert "rows naming a commune absent from laposte_hexasmal.csv skipped" in first.output

    checksums = {name: table_checksum(db_session, name) for name in CHECKED_TABLES}
    second = runner.invoke(args=["referentials", "import", str(shared_referentials)])
    assert second.exit_code == 0, second.output
    assert "0 rows inserted or updated" in second.output
    assert row_counts(db_session) == counts
    assert {name: table_checksum(db_session, name) for name in CHECKED_TABLES} == checksums


def test_real_file_with_a_wrong_header_aborts_before_writing(
    runner: FlaskCliRunner, db_session: Session, shared_referentials: Path, tmp_path: Path
) -> None:
    (tmp_path / "rome_labels.csv").write_bytes((shared_referentials / "rome_labels.csv").read_bytes())
    laposte = (shared_referentials / "laposte_hexasmal.csv").read_bytes()
    (tmp_path / "laposte_hexasmal.csv").write_bytes(laposte.replace(b"Code_postal", b"CP", 1))
    before = row_counts(db_session)

    result = runner.invoke(args=["referentials", "import", str(tmp_path)])

    assert result.exit_code != 0
    assert "laposte_hexasmal.csv" in result.output and "Code_postal" in result.output
    assert row_counts(db_session) == before

"""The importer on small hand-made folders: missing files, dangling rows, bad headers."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from crm.referentials.models import Bassin, Commune, NafCode, RelatedOccupation
from tests.referentials.helpers import row_counts

ROME_TREE = (
    "Rome1;Rome2;Rome3;Intitule;OGR\n"
    "M; ; ;Support à l'entreprise; \n"
    "M;16; ;Secrétariat et assistance; \n"
    "M;16;07;Secrétariat; \n"
    "M;16;07;Secrétaire;19364\n"
)
LAPOSTE = (
    "Code_commune_INSEE;Nom_commune;Code_postal;Libelle_acheminement;Ligne_5;coordonnees_gps\r\n"
    "44109;NANTES;44300;NANTES;;\r\n"
    "44109;NANTES;44000;NANTES;;47.2316356767, -1.54831008605\r\n"
    "44184;ST NAZAIRE;44600;ST NAZAIRE;;47.2802857028, -2.25379927249\r\n"
)
BASSIN_COMMUNES = "code_insee,code_bassin_emploi\n44109,5220\n44184,5225\n44999,5220\n"
RELATED = (
    "code_bassin_emploi,rome,rome_connexe,score\n"
    "5220,M1607,M1607,.5\n"
    "5220,M1607,Z9999,.25\n"
    "9999,M1607,M1607,.1\n"
)


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


def test_dangling_rows_are_skipped_and_reported(runner: FlaskCliRunner, db_session: Session, tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {
        "arbo_rome_ogr_2021.csv": ROME_TREE,
        "laposte_hexasmal.csv": LAPOSTE,
        "lbb-pse_bassin-emploi_code-insee.csv": BASSIN_COMMUNES,
        "lbb-pse_bassin-emploi_rome-connexe.csv": RELATED,
    })

    result = runner.invoke(args=["referentials", "import", str(folder)])

    assert result.exit_code == 0, result.output
    # Every bassin code seen gets a row, even one known only from the related-occupation file.
    assert {b.code for b in db_session.scalars(sa.select(Bassin))} >= {"5220", "5225", "9999"}
    nantes = db_session.get(Commune, "44109")
    assert (nantes.name, nantes.postcode, nantes.bassin_code) == ("Nantes", "44000", "5220")
    assert nantes.latitude is not None
    assert db_session.get(Commune, "44184").name == "Saint-Nazaire"
    related = db_session.scalars(sa.select(RelatedOccupation).where(RelatedOccupation.rome_code == "M1607")).all()
    assert {(r.bassin_code, r.related_rome_code) for r in related} == {("5220", "M1607"), ("9999", "M1607")}
    assert "1 lbb-pse_bassin-emploi_code-insee.csv: rows naming a commune absent" in result.output
    assert "related_occupation" in result.output and "dangling     1" in result.output
    assert "missing file (skipped): naf_labels.csv" in result.output


def test_missing_files_import_what_is_there(runner: FlaskCliRunner, db_session: Session, tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {
        "naf_section_labels.csv": 'code,label\nI,"Hébergement et restauration"\n',
        "naf_section_to_prefix.csv": "naf_prefix2,naf_section_code\n56,I\n",
        "naf_labels.csv": "naf_id|naf_label\n5610A|Restauration traditionnelle\n9999Z|Inconnu\n",
    })

    result = runner.invoke(args=["referentials", "import", str(folder)])

    assert result.exit_code == 0, result.output
    assert db_session.get(NafCode, "5610A").section_code == "I"
    assert db_session.get(NafCode, "9999Z") is None
    assert "table not imported (its files are missing): commune" in result.output
    assert "naf_labels.csv: codes without a known section skipped" in result.output


def test_wrong_header_is_a_clear_error_and_writes_nothing(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path, {
        "naf_section_labels.csv": 'code,label\nI,"Hébergement et restauration"\n',
        "effectif_labels.csv": "code,libelle\n00,0-0\n",
        "effectif_to_taille.csv": "effectif,taille\n00,TPE\n",
    })
    before = row_counts(db_session)

    result = runner.invoke(args=["referentials", "import", str(folder)])

    assert result.exit_code != 0
    assert "effectif_labels.csv: missing column(s) label" in result.output
    assert "nothing was imported" in result.output
    assert row_counts(db_session) == before


def test_folder_without_any_known_file_is_an_error(runner: FlaskCliRunner, db_session: Session, tmp_path: Path) -> None:
    result = runner.invoke(args=["referentials", "import", str(tmp_path)])

    assert result.exit_code != 0
    assert "no referential file" in result.output

"""Every class of error is reported as ``file:line:column: message`` and nothing is imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from crm.exchange.importer import import_directory
from tests.exchange.conftest import VALID, table_counts, write_folder

pytestmark = pytest.mark.usefixtures("referentials")

JOB_SEEKER_JS1 = ("JS1,AG1,ST1,Camille,Martin,1990-05-17,female,french,44109,2025-01-06,guide,M1607;A1101,cdi;cdd,30,"
                  "bac,24,false,false,true,partial,2026-03-31,,")


def broken(**replacements: tuple[str, str]) -> dict[str, str]:
    """The valid folder with one text replaced in the given files."""
    files = dict(VALID)
    for name, (old, new) in replacements.items():
        assert old in files[name], (name, old)
        files[name] = files[name].replace(old, new, 1)
    return files


CASES = {
    "bad date": (
        broken(job_seekers=("1990-05-17", "1990-17-05")),
        "job_seekers.csv:2:birth_date: date invalide « 1990-17-05 » (attendu AAAA-MM-JJ)",
    ),
    "bad date-time": (
        broken(interactions=("2025-10-20T09:30:00", "20/10/2025 09:30")),
        "interactions.csv:2:occurred_at: date et heure invalides « 20/10/2025 09:30 »",
    ),
    "unknown enumeration value": (
        broken(interactions=("in_person,out,follow_up", "in_person,outbound,follow_up")),
        "interactions.csv:2:direction: valeur inconnue « outbound » (valeurs permises : in, out)",
    ),
    "dangling reference": (
        broken(job_seekers=("JS1,AG1,ST1,", "JS1,AG1,ST9,")),
        "job_seekers.csv:2:counselor_id: référence inconnue « ST9 » : absente de staff.csv et de la base",
    ),
    "dangling switched reference": (
        broken(interactions=("employer,EM1,", "employer,JS1,")),
        "interactions.csv:5:party_id: référence inconnue « JS1 » : absente de employers.csv et de la base",
    ),
    "unknown ROME code": (
        broken(offers=("EM1,M1607,", "EM1,Z9999,")),
        "offers.csv:2:rome_code: code ROME inconnu « Z9999 »",
    ),
    "unknown ROME code in a list": (
        broken(job_seekers=("M1607;A1101", "M1607;B0000")),
        "job_seekers.csv:2:target_romes: code ROME inconnu « B0000 »",
    ),
    "unknown NAF code": (
        broken(employers=("0113Z", "9999Z")),
        "employers.csv:2:naf_code: code NAF inconnu « 9999Z »",
    ),
    "unknown INSEE code": (
        broken(agencies=("44006", "99999")),
        "agencies.csv:3:commune_insee: code INSEE de commune inconnu « 99999 »",
    ),
    "duplicate id": (
        broken(appointments=("RD2,", "RD1,")),
        "appointments.csv:3:appointment_id: identifiant « RD1 » en double (déjà ligne 2)",
    ),
    "duplicate unique value": (
        broken(employers=("98765432100022", "12345678900011")),
        "employers.csv:3:siret: « 12345678900011 » déjà utilisé ligne 2",
    ),
    "missing column": (
        broken(staff=("staff_id,agency_id,team,", "staff_id,agency_id,")),
        "staff.csv:1:team: colonne obligatoire « team » absente de l'en-tête",
    ),
    "unknown column": (
        broken(sessions=(",capacity,", ",capacty,")),
        "sessions.csv:1:capacty: colonne inconnue « capacty »",
    ),
    "required value": (
        broken(offers=("Assistant administratif", "")),
        "offers.csv:2:title: valeur obligatoire",
    ),
    "not an integer": (
        broken(sessions=(",12,", ",douze,")),
        "sessions.csv:2:capacity: nombre entier attendu, trouvé « douze »",
    ),
    "out of range": (
        broken(job_seekers=("cdi;cdd,30,", "cdi;cdd,900,")),
        "job_seekers.csv:2:mobility_km: valeur 900 supérieure au maximum 500",
    ),
    "not a boolean": (
        broken(offers=("1,true,open", "1,peut-être,open")),
        "offers.csv:2:accompanied: booléen attendu (true ou false), trouvé « peut-être »",
    ),
    "wrong number of values": (
        broken(outcomes=("OU1,JS2,employment,2025-11-30,,cdd,A1101", "OU1,JS2,employment,2025-11-30,,cdd")),
        "outcomes.csv:2:-: 6 valeurs au lieu de 7",
    ),
    "end before start": (
        broken(sessions=("2026-02-02,2026-06-30", "2026-06-30,2026-02-02")),
        "sessions.csv:2:end_date: date de fin antérieure à la date de début (2026-06-30)",
    ),
    "catalogue item of the wrong kind": (
        broken(referrals=("RF1,JS3,CA2,", "RF1,JS3,CA1,")),
        "referrals.csv:2:partner_item_id: l'élément « CA1 » du catalogue est de type training, pas partner_service",
    ),
    "not a JSON object": (
        broken(catalogue=("AFPA,420.5,{}", "AFPA,420.5,[1]")),
        "catalogue.csv:2:eligibility: objet JSON attendu, trouvé « [1] »",
    ),
    "bad SIRET": (
        broken(employers=("12345678900011", "1234")),
        "employers.csv:2:siret: format invalide « 1234 » (attendu : 14 digits)",
    ),
    "too many target occupations": (
        broken(job_seekers=("M1607;A1101", "M1607;A1101;A1203;M1607")),
        "job_seekers.csv:2:target_romes: 4 éléments, 3 au plus",
    ),
}


@pytest.mark.parametrize("files, expected", CASES.values(), ids=CASES.keys())
def test_each_error_is_located_and_nothing_is_imported(db_session: Session, tmp_path: Path,
                                                       files: dict[str, str], expected: str) -> None:
    before = table_counts(db_session)

    report = import_directory(db_session, write_folder(tmp_path / "broken", files))

    assert not report.ok
    lines = report.problems.lines()
    assert any(line.startswith(expected) for line in lines), lines
    assert table_counts(db_session) == before


def test_wrong_encoding_is_reported_with_its_line_and_column(db_session: Session, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "latin1")
    text = VALID["job_seekers"].replace('"Zoé, dite « Zo »"', "Zoe")  # line 4 is JS3
    (folder / "job_seekers.csv").write_bytes(text.replace("N'Diaye", "Nédiaye").encode("latin-1"))
    before = table_counts(db_session)

    report = import_directory(db_session, folder)

    assert report.problems.lines()[0] == (
        "job_seekers.csv:4:last_name: le fichier n'est pas encodé en UTF-8 (octet 0xE9)")
    assert table_counts(db_session) == before


def test_all_errors_are_reported_together_up_to_a_limit(db_session: Session, tmp_path: Path) -> None:
    rows = "".join(f"IX{n},hier,job_seeker,JS1,ST1,phone,out,follow_up,done,\n" for n in range(150))
    files = dict(VALID, interactions=VALID["interactions"] + rows)
    files["offers"] = VALID["offers"].replace("M1607", "Z9999")

    report = import_directory(db_session, write_folder(tmp_path / "many", files), error_limit=100)

    lines = report.problems.lines()
    assert report.problems.count == 151 and len(lines) == 101
    assert lines[0].startswith("offers.csv:2:rome_code:")
    assert lines[-1] == "… et 51 autres erreurs"


def test_errors_from_existing_rows_are_checked_too(db_session: Session, tmp_path: Path) -> None:
    import_directory(db_session, write_folder(tmp_path / "first"))
    files = {"employers": "employer_id,siret,name,naf_code,size_band,commune_insee,counselor_id\n"
                          "EM9,12345678900011,Copie,,,,ST2\n"}

    report = import_directory(db_session, write_folder(tmp_path / "second", files))

    assert report.problems.lines() == [
        "employers.csv:2:siret: « 12345678900011 » déjà utilisé dans la base par un autre enregistrement "
        "(identifiant EM1)"]


def test_the_command_exits_non_zero_in_french_or_english(db_session: Session, tmp_path: Path,
                                                          runner: FlaskCliRunner) -> None:
    folder = write_folder(tmp_path / "bad", broken(job_seekers=("1990-05-17", "1990-17-05")))
    before = table_counts(db_session)

    french = runner.invoke(args=["import", str(folder), "--quiet"])
    english = runner.invoke(args=["import", str(folder), "--quiet", "--lang", "en"])

    assert french.exit_code == 1 and english.exit_code == 1
    assert "job_seekers.csv:2:birth_date: date invalide « 1990-17-05 »" in french.output
    assert "rien n'a été importé" in french.output
    assert "job_seekers.csv:2:birth_date: invalid date “1990-17-05” (expected YYYY-MM-DD)" in english.output
    assert "nothing was imported" in english.output
    assert table_counts(db_session) == before

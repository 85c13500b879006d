"""Parsing rules, without a database."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from crm.referentials.importer import (
    ReferentialFileError, SIZE_LABELS, commune_display_name, communes, departement_of, naf_codes, parse_gps,
    read_source, rome_tree,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("NANTES", "Nantes"),
    ("ST GERMAIN LE CHATELET", "Saint-Germain-le-Chatelet"),
    ("LA BAULE ESCOUBLAC", "La Baule-Escoublac"),
    ("LES SORINIERES", "Les Sorinieres"),
    ("L ILE D YEU", "L'Ile-d'Yeu"),
    ("STE LUCE SUR LOIRE", "Sainte-Luce-sur-Loire"),
    ("MONCHY ST ELOI", "Monchy-Saint-Eloi"),
    ("BRION PRES THOUET", "Brion-pres-Thouet"),
    ("ST GERMAIN DES PRES", "Saint-Germain-des-Pres"),
    ("PARIS 01", "Paris 1er Arrondissement"),
    ("MARSEILLE 13", "Marseille 13e Arrondissement"),
])
def test_commune_display_name(raw: str, expected: str) -> None:
    assert commune_display_name(raw) == expected


@pytest.mark.parametrize(("code", "expected"), [("44109", "44"), ("2A004", "2A"), ("2B033", "2B"), ("97411", "974")])
def test_departement_of(code: str, expected: str) -> None:
    assert departement_of(code) == expected


def test_parse_gps() -> None:
    assert parse_gps("47.2316356767, -1.54831008605") == (47.2316356767, -1.54831008605)
    assert parse_gps("") == (None, None)
    assert parse_gps("north, west") == (None, None)


def test_communes_merge_postcode_rows_and_link_bassins() -> None:
    def row(code: str, postcode: str, gps: str) -> dict[str, str]:
        return {"Code_commune_INSEE": code, "Nom_commune": "ST DENIS", "Code_postal": postcode, "coordonnees_gps": gps}

    issues: Counter[str] = Counter()
    rows = communes(
        [row("97411", "97417", ""), row("97411", "97400", "-20.93, 55.44"), row("bad", "1", "")],
        {"97411": "404", "97499": "404"},
        issues=issues,
    )

    assert rows == [{
        "insee_code": "97411", "name": "Saint-Denis", "postcode": "97400", "latitude": -20.93, "longitude": 55.44,
        "departement": "974", "bassin_code": "404",
    }]
    assert sum(issues.values()) == 2  # the malformed row and the link to an unknown commune


def test_communes_without_bassin_file_leave_links_alone() -> None:
    rows = communes([{"Code_commune_INSEE": "44109", "Nom_commune": "NANTES", "Code_postal": "44000",
                      "coordonnees_gps": ""}], None, issues=Counter())
    assert "bassin_code" not in rows[0]


def test_rome_tree_levels() -> None:
    rows = [
        {"Rome1": "M", "Rome2": "", "Rome3": "", "Intitule": "Support à l'entreprise", "OGR": ""},
        {"Rome1": "M", "Rome2": "16", "Rome3": "", "Intitule": "Secrétariat et assistance", "OGR": ""},
        {"Rome1": "M", "Rome2": "16", "Rome3": "07", "Intitule": "Secrétariat", "OGR": ""},
        {"Rome1": "M", "Rome2": "16", "Rome3": "07", "Intitule": "Secrétaire", "OGR": "19364"},
        {"Rome1": "", "Rome2": "", "Rome3": "", "Intitule": "", "OGR": ""},
    ]
    issues: Counter[str] = Counter()
    tree = rome_tree(rows, issues=issues)
    assert tree["rome_family"] == [{"code": "M16", "domain_code": "M", "label": "Secrétariat et assistance"}]
    assert tree["rome_occupation"] == [{"code": "M1607", "family_code": "M16", "label": "Secrétariat"}]
    assert tree["rome_appellation"] == [{"ogr_code": "19364", "rome_code": "M1607", "label": "Secrétaire"}]
    assert sum(issues.values()) == 1


def test_damaged_naf_label_is_repaired_from_the_hires_file() -> None:
    labels = [{"naf_id": "8899A", "naf_label": "sans hébergement ?\x19enfants"}]
    prefixes = [{"naf_prefix2": "88", "naf_section_code": "Q"}]
    rows = naf_codes(labels, prefixes, {"8899A": "sans hébergement d'enfants"}, issues=Counter())
    assert rows == [{"code": "8899A", "section_code": "Q", "label": "sans hébergement d'enfants"}]


def test_read_source_names_file_and_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "effectif_labels.csv"
    path.write_text("code;label\n00;0-0\n", encoding="utf-8")  # right names, wrong separator
    with pytest.raises(ReferentialFileError, match=r"effectif_labels\.csv: missing column\(s\) code, label"):
        read_source(path, SIZE_LABELS)


def test_read_source_accepts_bom_crlf_and_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "effectif_labels.csv"
    path.write_bytes("\ufeffcode,label\r\n00,0-0\r\n".encode("utf-8"))
    assert read_source(path, SIZE_LABELS) == [{"code": "00", "label": "0-0"}]
    path.write_bytes("code,label\n00,Très petite\n".encode("cp1252"))
    assert read_source(path, SIZE_LABELS) == [{"code": "00", "label": "Très petite"}]

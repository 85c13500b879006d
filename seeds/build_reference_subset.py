"""Build the built-in reference subset (``seeds/data/*.csv``) from the official open-data files.

    python -m seeds.build_reference_subset /path/to/data/referentials [--out seeds/data]

The demo must run without the official files, so a small, coherent slice of them is
kept in the repository: about a hundred ROME occupations over the 14 domains, every
NAF section with the sectors that hire for those occupations, and the 200 communes of
five bassins d'emploi of Loire-Atlantique (44) and Maine-et-Loire (49). The files are
parsed with the importer's own rules (``crm.referentials.importer``) so both paths
give the same rows; the output format is described in seeds/README-reference.md.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from crm.referentials.importer import BUILTIN_DIR, REFERENCE_TABLES, Row, Tables, parse_directory

# Whole bassins, so that related occupations and bassin figures stay coherent; the name
# is the main town's (the official files give none).
BASSINS = {
    "5220": "Nantes",
    "5225": "Saint-Nazaire",
    "5222": "La Baule - Guérande",
    "5218": "Angers",
    "5205": "Cholet",
}

# Occupations that job seekers and offers of an agency typically cover, every domain included.
OCCUPATIONS = (
    "A1101", "A1203", "A1401", "A1405", "A1407", "A1414",
    "B1301", "B1603", "B1806",
    "C1102", "C1201", "C1206", "C1401", "C1504",
    "D1101", "D1102", "D1106", "D1202", "D1208", "D1214", "D1301", "D1401", "D1403", "D1408",
    "D1505", "D1507",
    "E1103", "E1107", "E1205", "E1301",
    "F1106", "F1201", "F1302", "F1501", "F1602", "F1603", "F1606", "F1610", "F1703", "F1704",
    "G1101", "G1203", "G1501", "G1602", "G1603", "G1605", "G1703", "G1801", "G1803",
    "H1203", "H1404", "H1502", "H2102", "H2206", "H2903", "H2909", "H2913", "H3203", "H3301", "H3302",
    "I1203", "I1304", "I1309", "I1310", "I1401", "I1604", "I1606",
    "J1102", "J1301", "J1304", "J1305", "J1501", "J1506", "J1507",
    "K1201", "K1202", "K1207", "K1302", "K1303", "K1304", "K1801", "K2104", "K2111", "K2204",
    "K2303", "K2503",
    "L1302", "L1504", "L1508",
    "M1101", "M1203", "M1204", "M1501", "M1601", "M1602", "M1604", "M1607", "M1608", "M1701",
    "M1705", "M1801", "M1805",
    "N1101", "N1103", "N1105", "N1301", "N4101", "N4102", "N4103", "N4105",
)
APPELLATIONS_PER_OCCUPATION = 5
# Sectors kept: the biggest recruiters of each occupation, and a few per NAF section.
SECTORS_PER_OCCUPATION = 2
SECTORS_PER_SECTION = 2

# La Poste writes names in capitals without accents; the official spelling (INSEE) is
# restored here for the communes of the subset whose derived name differs only by accents.
ACCENTED_NAMES = {
    "44006": "Assérac", "44013": "Besné", "44016": "La Boissière-du-Doré", "44019": "Bouée",
    "44037": "Château-Thébaud", "44047": "Couëron", "44053": "Drefféac", "44069": "Guérande",
    "44070": "La Haie-Fouassière", "44129": "Pontchâteau", "44133": "Port-Saint-Père",
    "44141": "La Remaudière", "44143": "Rezé", "44151": "Saint-André-des-Eaux",
    "44158": "Saint-Étienne-de-Montluc", "44171": "Saint-Léger-les-Vignes", "44179": "Saint-Mars-du-Désert",
    "44190": "Saint-Sébastien-sur-Loire", "44196": "Sévérac", "44198": "Les Sorinières",
    "44201": "Sucé-sur-Erdre", "44204": "Thouaré-sur-Loire", "44209": "Treillières",
    "49012": "Aubigné-sur-Layon", "49015": "Avrillé", "49017": "Baracé", "49020": "Beaucouzé",
    "49026": "Bécon-les-Granits", "49027": "Bégrolles-en-Mauges", "49028": "Béhuard",
    "49050": "Brissac-Quincé", "49055": "Cantenay-Épinard", "49068": "Champtocé-sur-Loire",
    "49078": "Charcé-Saint-Ellier-sur-Aubance", "49102": "Cléré-sur-Layon", "49107": "Cornillé-les-Caves",
    "49110": "Corzé", "49120": "Denée", "49129": "Écouflant", "49130": "Écuillé", "49132": "Étriché",
    "49159": "Huillé", "49163": "Jarzé-Villages", "49167": "Juigné-sur-Loire", "49174": "Lézigné",
    "49183": "Le Louroux-Béconnais", "49186": "Luigné", "49188": "Marcé", "49191": "Martigné-Briand",
    "49192": "Maulévrier", "49193": "Le May-sur-Èvre", "49195": "Mazières-en-Mauges",
    "49200": "Longuenée-en-Anjou", "49209": "Montigné-lès-Rairies", "49214": "Montreuil-Juigné",
    "49222": "Mozé-sur-Louet", "49223": "Mûrs-Erigné", "49227": "Notre-Dame-d'Allençon",
    "49231": "Nuaillé", "49246": "Les Ponts-de-Cé", "49247": "La Possonnière",
    "49267": "Saint-Barthélemy-d'Anjou", "49271": "Saint-Clément-de-la-Place",
    "49284": "Saint-Germain-des-Prés", "49289": "Saint-Jean-de-Linières", "49298": "Saint-Léger-des-Bois",
    "49299": "Saint-Léger-sous-Cholet", "49317": "Saint-Rémy-la-Varenne", "49323": "Verrières-en-Anjou",
    "49326": "Sarrigné", "49327": "Saulgé-l'Hôpital", "49329": "Savennières", "49332": "La Séguinière",
    "49347": "Tiercé", "49353": "Trélazé", "49355": "Trémentines", "49363": "Vauchrétien",
    "49377": "Villevêque",
}


def select_subset(full: Tables) -> Tables:
    """The demo slice of the fully parsed official tables."""
    occupations = set(OCCUPATIONS)
    families = {code[:3] for code in occupations}
    domains = {code[0] for code in occupations}
    naf_codes = _sectors(full, occupations)
    communes = [
        {**row, "name": ACCENTED_NAMES.get(row["insee_code"], row["name"])}
        for row in full["commune"]
        if row.get("bassin_code") in BASSINS
    ]
    return {
        "rome_domain": [r for r in full["rome_domain"] if r["code"] in domains],
        "rome_family": [r for r in full["rome_family"] if r["code"] in families],
        "rome_occupation": [r for r in full["rome_occupation"] if r["code"] in occupations],
        "rome_appellation": _appellations(full["rome_appellation"], occupations),
        "naf_section": full["naf_section"],
        "naf_code": [r for r in full["naf_code"] if r["code"] in naf_codes],
        "size_band": full["size_band"],
        "bassin": [{"code": code, "name": name} for code, name in BASSINS.items()],
        "commune": communes,
        "related_occupation": [
            r for r in full["related_occupation"]
            if r["bassin_code"] in BASSINS and r["rome_code"] in occupations and r["related_rome_code"] in occupations
        ],
        "labour_shortage": [r for r in full["labour_shortage"] if r["rome_code"] in occupations],
        "occupation_sector_hires": [
            r for r in full["occupation_sector_hires"] if r["rome_code"] in occupations and r["naf_code"] in naf_codes
        ],
    }


def _appellations(rows: list[Row], occupations: set[str]) -> list[Row]:
    """A handful per occupation, the shortest titles first (they are the generic ones)."""
    kept: Counter[str] = Counter()
    result = []
    for row in sorted(rows, key=lambda r: (r["rome_code"], len(r["label"]), r["ogr_code"])):
        if row["rome_code"] in occupations and kept[row["rome_code"]] < APPELLATIONS_PER_OCCUPATION:
            kept[row["rome_code"]] += 1
            result.append(row)
    return result


def _sectors(full: Tables, occupations: set[str]) -> set[str]:
    """Main recruiting sectors of the chosen occupations, plus the biggest of every NAF section."""
    hires = sorted(full["occupation_sector_hires"], key=lambda r: -r["hirings"])
    chosen: set[str] = set()
    per_occupation: Counter[str] = Counter()
    for row in hires:
        if row["rome_code"] in occupations and per_occupation[row["rome_code"]] < SECTORS_PER_OCCUPATION:
            per_occupation[row["rome_code"]] += 1
            chosen.add(row["naf_code"])
    volume: Counter[str] = Counter()
    for row in hires:
        volume[row["naf_code"]] += row["hirings"]
    section_of = {row["code"]: row["section_code"] for row in full["naf_code"]}
    per_section = Counter(section_of[code] for code in chosen)
    for code in sorted(section_of, key=lambda c: (-volume[c], c)):
        if per_section[section_of[code]] < SECTORS_PER_SECTION and code not in chosen:
            per_section[section_of[code]] += 1
            chosen.add(code)
    return chosen


def write_subset(tables: Tables, out: Path) -> None:
    """One ``<table>.csv`` per table, columns in the table's order, empty cell for NULL."""
    out.mkdir(parents=True, exist_ok=True)
    for table in REFERENCE_TABLES:
        rows = sorted(tables[table.name], key=lambda r: tuple(str(r[c.name]) for c in table.primary_key.columns))
        columns = [c.name for c in table.columns if rows and c.name in rows[0]]
        with (out / f"{table.name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([("" if row[c] is None else row[c]) for c in columns] for row in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder holding the official open-data files")
    parser.add_argument("--out", type=Path, default=BUILTIN_DIR, help="output folder (default: seeds/data)")
    args = parser.parse_args(argv)
    parsed = parse_directory(args.source)
    if parsed.missing_files:
        parser.error(f"missing official files: {', '.join(parsed.missing_files)}")
    subset = select_subset(parsed.tables)
    write_subset(subset, args.out)
    for name, rows in subset.items():
        print(f"{name:<24} {len(rows):>5}")


if __name__ == "__main__":
    main()

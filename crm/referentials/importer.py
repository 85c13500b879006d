"""Reference data import: official open-data files, or the built-in subset, into the
reference tables (ROME, NAF, size bands, bassins, communes, labour-market figures).

Two steps kept apart so each can be tested alone:

- **parse**: read the files of a folder into plain rows, one list of dicts per table
  (``parse_directory`` for the official files, ``read_builtin`` for ``seeds/data``);
- **write**: ``write_tables`` upserts those rows table by table, in foreign-key order,
  with the dialect's ``INSERT … ON CONFLICT`` in chunks, inside the caller's
  transaction (it flushes, never commits: the command owns the transaction).

Only new or changed rows are sent to the database, so a second run writes nothing
and the report says so.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, ContextManager, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm.referentials.models import (
    Bassin, Commune, LabourShortage, NafCode, NafSection, OccupationSectorHires, RelatedOccupation,
    RomeAppellation, RomeDomain, RomeFamily, RomeOccupation, SizeBand,
)

Row = dict[str, Any]
Tables = dict[str, list[Row]]

# Written in this order so that every referenced row exists before the rows that point to it.
REFERENCE_TABLES: tuple[sa.Table, ...] = tuple(
    cast(sa.Table, model.__table__)
    for model in (
        RomeDomain, RomeFamily, RomeOccupation, RomeAppellation, NafSection, NafCode, SizeBand,
        Bassin, Commune, RelatedOccupation, LabourShortage, OccupationSectorHires,
    )
)
TABLES_BY_NAME = {table.name: table for table in REFERENCE_TABLES}

CHUNK_ROWS = 2000
BUILTIN_DIR = Path(str(files("seeds"))) / "data"


class ReferentialFileError(Exception):
    """A source file cannot be used as it is (missing column, empty, unknown column)."""


class ProgressBar(Protocol):
    def update(self, n_steps: int) -> None: ...


# ``click.progressbar(length=..., label=...)`` fits this signature.
ProgressFactory = Callable[..., ContextManager[ProgressBar]]


@dataclass(frozen=True)
class SourceFile:
    """An official file: its name, separator and the columns the importer reads."""

    name: str
    delimiter: str
    columns: tuple[str, ...]


ARBO = SourceFile("arbo_rome_ogr_2021.csv", ";", ("Rome1", "Rome2", "Rome3", "Intitule", "OGR"))
ROME_LABELS = SourceFile("rome_labels.csv", "|", ("rome_id", "rome_label"))
OGR_LABELS = SourceFile("ogr_labels.csv", "|", ("ogr_id", "ogr_label"))
OGR_ROME = SourceFile("ogr_rome_mapping.csv", "|", ("ogr_id", "rome_id"))
NAF_LABELS = SourceFile("naf_labels.csv", "|", ("naf_id", "naf_label"))
NAF_SECTIONS = SourceFile("naf_section_labels.csv", ",", ("code", "label"))
NAF_PREFIXES = SourceFile("naf_section_to_prefix.csv", ",", ("naf_prefix2", "naf_section_code"))
SIZE_LABELS = SourceFile("effectif_labels.csv", ",", ("code", "label"))
SIZE_CLASSES = SourceFile("effectif_to_taille.csv", ",", ("effectif", "taille"))
SHORTAGES = SourceFile("metiers_tension.csv", ",", ("fap_code", "fap", "tension_pct", "rome_code"))
HIRES = SourceFile("rome_naf_mapping.csv", ",", ("rome_id", "naf_id", "naf_label", "hirings"))
LAPOSTE = SourceFile(
    "laposte_hexasmal.csv", ";", ("Code_commune_INSEE", "Nom_commune", "Code_postal", "coordonnees_gps")
)
BASSIN_COMMUNES = SourceFile("lbb-pse_bassin-emploi_code-insee.csv", ",", ("code_insee", "code_bassin_emploi"))
RELATED = SourceFile(
    "lbb-pse_bassin-emploi_rome-connexe.csv", ",", ("code_bassin_emploi", "rome", "rome_connexe", "score")
)
SOURCES: tuple[SourceFile, ...] = (
    ARBO, ROME_LABELS, OGR_LABELS, OGR_ROME, NAF_LABELS, NAF_SECTIONS, NAF_PREFIXES, SIZE_LABELS,
    SIZE_CLASSES, SHORTAGES, HIRES, LAPOSTE, BASSIN_COMMUNES, RELATED,
)


@dataclass
class ParsedReferentials:
    """What a folder yielded: rows per table, plus what could not be used and why."""

    tables: Tables
    missing_files: list[str] = field(default_factory=list)
    issues: Counter[str] = field(default_factory=Counter)

    @property
    def skipped_tables(self) -> list[str]:
        return [table.name for table in REFERENCE_TABLES if table.name not in self.tables]


@dataclass
class TableReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows dropped because a required reference (e.g. an unknown ROME code) is absent.
    dangling: int = 0
    # Rows kept with an optional reference set to NULL (e.g. an unknown bassin).
    unlinked: int = 0
    total: int = 0


@dataclass
class ImportReport:
    tables: dict[str, TableReport]
    missing_files: list[str] = field(default_factory=list)
    skipped_tables: list[str] = field(default_factory=list)
    issues: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> int:
        return sum(report.inserted + report.updated for report in self.tables.values())

    def totals(self) -> dict[str, int]:
        """Rows per table after the import (the figure callers usually want)."""
        return {name: report.total for name, report in self.tables.items()}

    def summary_lines(self) -> list[str]:
        lines = [
            f"{name:<24} read {r.read:>6}  inserted {r.inserted:>6}  updated {r.updated:>6}  "
            f"unchanged {r.unchanged:>6}  dangling {r.dangling:>5}  unlinked {r.unlinked:>5}  total {r.total:>6}"
            for name, r in self.tables.items()
        ]
        lines += [f"missing file (skipped): {name}" for name in self.missing_files]
        lines += [f"table not imported (its files are missing): {name}" for name in self.skipped_tables]
        lines += [f"{count} {issue}" for issue, count in sorted(self.issues.items())]
        return lines


# --------------------------------------------------------------------------- reading


def read_source(path: Path, spec: SourceFile) -> list[dict[str, str]]:
    """Rows of one file as dicts of stripped strings; the header must hold ``spec.columns``.

    Open-data files are UTF-8 (sometimes with a BOM); Windows-1252 is accepted too since
    French administrative exports often use it.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
    header = [name.strip() for name in next(reader, [])]
    missing = [column for column in spec.columns if column not in header]
    if missing:
        raise ReferentialFileError(
            f"{path.name}: missing column(s) {', '.join(missing)} "
            f"(expected {spec.delimiter!r}-separated header with {', '.join(spec.columns)}; "
            f"found {', '.join(header) or 'nothing'})"
        )
    width = len(header)
    rows = []
    for values in reader:
        if len(values) < width:
            if not "".join(values).strip():  # blank line
                continue
            values += [""] * (width - len(values))
        rows.append(dict(zip(header, map(str.strip, values))))
    return rows


def parse_directory(directory: Path) -> ParsedReferentials:
    """Read every official file present in ``directory`` and build rows per table.

    Every file is read (and its header checked) before anything is built, so a bad
    file stops the import before a single row is written.
    """
    sources = {
        spec.name: read_source(directory / spec.name, spec) for spec in SOURCES if (directory / spec.name).is_file()
    }
    issues: Counter[str] = Counter()
    tables = build_tables(sources, issues=issues)
    missing = [spec.name for spec in SOURCES if spec.name not in sources]
    return ParsedReferentials(tables=tables, missing_files=missing, issues=issues)


def build_tables(sources: Mapping[str, list[dict[str, str]]], *, issues: Counter[str]) -> Tables:
    """Map the official files (by file name) to rows per table; tables whose files are absent are left out."""
    tables: Tables = {}

    def add(table: str, rows: list[Row]) -> None:
        # A table fed by two files: the first (more complete) source wins for each key.
        tables[table] = merge_rows(tables.get(table, []), rows, primary_key(table))

    if ARBO.name in sources:
        for table, rows in rome_tree(sources[ARBO.name], issues=issues).items():
            add(table, rows)
    if ROME_LABELS.name in sources:
        add("rome_occupation", occupations_from_labels(sources[ROME_LABELS.name], issues=issues))
    if OGR_LABELS.name in sources and OGR_ROME.name in sources:
        appellations = appellations_from_ogr(sources[OGR_LABELS.name], sources[OGR_ROME.name], issues=issues)
        add("rome_appellation", appellations)
    if NAF_SECTIONS.name in sources:
        add("naf_section", code_labels(sources[NAF_SECTIONS.name], code="code", label="label"))
    if NAF_LABELS.name in sources and NAF_PREFIXES.name in sources:
        fallback = {row["naf_id"]: row["naf_label"] for row in sources.get(HIRES.name, [])}
        add("naf_code", naf_codes(sources[NAF_LABELS.name], sources[NAF_PREFIXES.name], fallback, issues=issues))
    if SIZE_LABELS.name in sources and SIZE_CLASSES.name in sources:
        add("size_band", size_bands(sources[SIZE_LABELS.name], sources[SIZE_CLASSES.name], issues=issues))

    links = bassin_links(sources[BASSIN_COMMUNES.name]) if BASSIN_COMMUNES.name in sources else None
    related = (
        mapped_rows(sources[RELATED.name], RELATED_COLUMNS, source=RELATED, issues=issues)
        if RELATED.name in sources
        else None
    )
    if links is not None or related is not None:
        seen = set((links or {}).values()) | {row["bassin_code"] for row in related or []}
        add("bassin", [{"code": code} for code in sorted(seen)])
    if LAPOSTE.name in sources:
        add("commune", communes(sources[LAPOSTE.name], links, issues=issues))
    elif links is not None:
        issues[f"{BASSIN_COMMUNES.name}: commune links not imported ({LAPOSTE.name} is missing)"] += len(links)
    if related is not None:
        add("related_occupation", related)
    if SHORTAGES.name in sources:
        add("labour_shortage", mapped_rows(sources[SHORTAGES.name], SHORTAGE_COLUMNS, source=SHORTAGES, issues=issues))
    if HIRES.name in sources:
        add("occupation_sector_hires", mapped_rows(sources[HIRES.name], HIRES_COLUMNS, source=HIRES, issues=issues))
    return tables


def primary_key(table: str) -> list[str]:
    return [column.name for column in TABLES_BY_NAME[table].primary_key.columns]


def merge_rows(primary: list[Row], secondary: Iterable[Row], key: Sequence[str]) -> list[Row]:
    """``primary`` plus the rows of ``secondary`` whose key it does not already hold."""
    if not primary:
        return list(secondary)
    seen = {tuple(row[k] for k in key) for row in primary}
    return primary + [row for row in secondary if tuple(row[k] for k in key) not in seen]


# --------------------------------------------------------------------------- mapping rules

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
ROME_CODE = re.compile(r"[A-N]\d{4}")
INSEE_CODE = re.compile(r"\d[\dAB]\d{3}")


def clean_text(value: str) -> str:
    """Collapse whitespace and drop control characters (one NAF label carries a stray one)."""
    return _SPACES.sub(" ", _CONTROL.sub("", value)).strip()


def rome_tree(rows: Iterable[Mapping[str, str]], *, issues: Counter[str]) -> Tables:
    """The ROME tree file: a row is a domain, a family, an occupation or an appellation
    depending on which of ``Rome2``, ``Rome3`` and ``OGR`` are filled."""
    tree: Tables = {"rome_domain": [], "rome_family": [], "rome_occupation": [], "rome_appellation": []}
    for row in rows:
        letter, family, number = row["Rome1"], row["Rome2"], row["Rome3"]
        label, ogr = clean_text(row["Intitule"]), row["OGR"]
        if not (len(letter) == 1 and letter.isalpha() and label):
            issues[f"{ARBO.name}: malformed rows skipped"] += 1
        elif not family:
            tree["rome_domain"].append({"code": letter, "label": label})
        elif not number:
            tree["rome_family"].append({"code": letter + family, "domain_code": letter, "label": label})
        elif not ogr:
            code = letter + family + number
            tree["rome_occupation"].append({"code": code, "family_code": letter + family, "label": label})
        else:
            tree["rome_appellation"].append({"ogr_code": ogr, "rome_code": letter + family + number, "label": label})
    return tree


def occupations_from_labels(rows: Iterable[Mapping[str, str]], *, issues: Counter[str]) -> list[Row]:
    """Occupations from the flat label file; the family is the code's first three characters."""
    result = []
    for row in rows:
        code, label = row["rome_id"], clean_text(row["rome_label"])
        if ROME_CODE.fullmatch(code) and label:
            result.append({"code": code, "family_code": code[:3], "label": label})
        else:
            issues[f"{ROME_LABELS.name}: malformed rows skipped"] += 1
    return result


def appellations_from_ogr(
    labels: Iterable[Mapping[str, str]], mapping: Iterable[Mapping[str, str]], *, issues: Counter[str]
) -> list[Row]:
    rome_of = {row["ogr_id"]: row["rome_id"] for row in mapping}
    joined = [{**row, "rome_id": rome_of.get(row["ogr_id"], "")} for row in labels]
    columns = {"ogr_code": ("ogr_id", str), "rome_code": ("rome_id", str), "label": ("ogr_label", clean_text)}
    return mapped_rows(joined, columns, source=OGR_LABELS, issues=issues, reason="appellations without a ROME code")


def code_labels(rows: Iterable[Mapping[str, str]], *, code: str, label: str) -> list[Row]:
    return [{"code": row[code], "label": clean_text(row[label])} for row in rows if row[code]]


def naf_codes(
    labels: Iterable[Mapping[str, str]],
    prefixes: Iterable[Mapping[str, str]],
    fallback_labels: Mapping[str, str],
    *,
    issues: Counter[str],
) -> list[Row]:
    """NAF sub-classes; the section comes from the code's 2-digit division.

    A label damaged by a bad conversion (control characters) is replaced by the same
    code's label in the hires file when that one is clean.
    """
    section_of = {row["naf_prefix2"].zfill(2): row["naf_section_code"] for row in prefixes}
    result = []
    for row in labels:
        code, label = row["naf_id"].replace(".", ""), row["naf_label"]
        if _CONTROL.search(label) and code in fallback_labels and not _CONTROL.search(fallback_labels[code]):
            label = fallback_labels[code]
        if len(code) == 5 and code[:2] in section_of:
            result.append({"code": code, "section_code": section_of[code[:2]], "label": clean_text(label)})
        else:
            issues[f"{NAF_LABELS.name}: codes without a known section skipped"] += 1
    return result


def size_bands(
    labels: Iterable[Mapping[str, str]], classes: Iterable[Mapping[str, str]], *, issues: Counter[str]
) -> list[Row]:
    class_of = {row["effectif"]: row["taille"] for row in classes}
    joined = [{**row, "taille": class_of.get(row["code"], "")} for row in labels]
    columns = {"code": ("code", str), "label": ("label", str), "size_class": ("taille", str)}
    return mapped_rows(joined, columns, source=SIZE_LABELS, issues=issues, reason="bands without a size class")


def bassin_links(rows: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """INSEE code → bassin d'emploi code."""
    return {
        row["code_insee"]: row["code_bassin_emploi"] for row in rows if row["code_insee"] and row["code_bassin_emploi"]
    }


def communes(
    rows: Iterable[Mapping[str, str]], links: Mapping[str, str] | None, *, issues: Counter[str]
) -> list[Row]:
    """One commune per INSEE code out of La Poste's one-row-per-postcode file.

    Keeps the lowest postcode and the first GPS position found. Without the bassin file
    (``links`` is None) the ``bassin_code`` column is left out, so existing links survive.
    """
    by_code: dict[str, Row] = {}
    for row in rows:
        code, name = row["Code_commune_INSEE"], row["Nom_commune"]
        if not (INSEE_CODE.fullmatch(code) and name):
            issues[f"{LAPOSTE.name}: malformed rows skipped"] += 1
            continue
        postcode = row["Code_postal"] or None
        latitude, longitude = parse_gps(row["coordonnees_gps"])
        commune = by_code.get(code)
        if commune is None:
            by_code[code] = {
                "insee_code": code,
                "name": commune_display_name(name),
                "postcode": postcode,
                "latitude": latitude,
                "longitude": longitude,
                "departement": departement_of(code),
            }
            continue
        if postcode and (commune["postcode"] is None or postcode < commune["postcode"]):
            commune["postcode"] = postcode
        if commune["latitude"] is None and latitude is not None:
            commune["latitude"], commune["longitude"] = latitude, longitude
    if links is not None:
        for code, commune in by_code.items():
            commune["bassin_code"] = links.get(code)
        unknown = sum(1 for code in links if code not in by_code)
        if unknown:
            issues[f"{BASSIN_COMMUNES.name}: rows naming a commune absent from {LAPOSTE.name} skipped"] += unknown
    return list(by_code.values())


def parse_gps(value: str) -> tuple[float | None, float | None]:
    """``"47.23, -1.55"`` → (47.23, -1.55); empty or malformed → (None, None)."""
    parts = value.split(",")
    if len(parts) != 2:
        return None, None
    try:
        return float(parts[0]), float(parts[1])
    except ValueError:
        return None, None


def departement_of(insee_code: str) -> str:
    """2 characters (``44``, ``2A``), or 3 for overseas (``974``, ``988``)."""
    return insee_code[:3] if insee_code[:2] in ("97", "98") else insee_code[:2]


_ARTICLES = {"LE": "Le", "LA": "La", "LES": "Les"}
_LOWERCASE_WORDS = {
    "A", "AU", "AUX", "DE", "DEL", "DELS", "DES", "DI", "DU", "EN", "ES", "ET", "LA", "LE", "LES", "LEZ", "SOUS", "SUR",
}
# Prepositions that are also nouns: « Brion-près-Thouet » but « Saint-Germain-des-Prés ».
_LOWERCASE_UNLESS_AFTER_ARTICLE = {"PRES", "DEVANT", "DERRIERE"}
_ABBREVIATIONS = {"ST": "Saint", "STE": "Sainte"}


def commune_display_name(raw: str) -> str:
    """La Poste's ``ST GERMAIN LE CHATELET`` → ``Saint-Germain-le-Chatelet``.

    Follows the official typography (leading article apart, other words hyphenated,
    small words lower case); accents cannot be recovered from the source.
    """
    words = raw.split()
    if not words:
        return raw
    suffix = ""
    if len(words) > 1 and words[-1].isdigit():  # municipal arrondissements: PARIS 01
        number = int(words.pop())
        suffix = f" {number}{'er' if number == 1 else 'e'} Arrondissement"
    head = ""
    if len(words) > 1 and words[0] in _ARTICLES:
        head = _ARTICLES[words.pop(0)] + " "
    elif len(words) > 1 and words[0] == "L":
        words.pop(0)
        head = "L'"
    parts: list[str] = []
    for index, word in enumerate(words):
        if word in ("D", "L") and index + 1 < len(words):  # elided article: D ARMOR → d'Armor
            parts.append(word.lower() + "'")
            continue
        if word in _ABBREVIATIONS:
            text = _ABBREVIATIONS[word]
        elif index > 0 and (
            word in _LOWERCASE_WORDS
            or (
                word in _LOWERCASE_UNLESS_AFTER_ARTICLE
                and words[index - 1] not in _LOWERCASE_WORDS
                and index + 1 < len(words)
            )
        ):
            text = word.lower()
        else:
            text = word.capitalize()
        if parts and parts[-1].endswith("'"):
            parts[-1] += text
        else:
            parts.append(text)
    return head + "-".join(parts) + suffix


# Files mapped column by column: target column → (source column, conversion).
RELATED_COLUMNS = {
    "bassin_code": ("code_bassin_emploi", str),
    "rome_code": ("rome", str),
    "related_rome_code": ("rome_connexe", str),
    "score": ("score", float),
}
SHORTAGE_COLUMNS = {
    "rome_code": ("rome_code", str),
    "fap_code": ("fap_code", str),
    "fap_label": ("fap", clean_text),
    "tension_pct": ("tension_pct", float),
}
HIRES_COLUMNS = {"rome_code": ("rome_id", str), "naf_code": ("naf_id", str), "hirings": ("hirings", int)}


def mapped_rows(
    rows: Iterable[Mapping[str, str]],
    columns: Mapping[str, tuple[str, Callable[[str], Any]]],
    *,
    source: SourceFile,
    issues: Counter[str],
    reason: str = "malformed rows",
) -> list[Row]:
    """Rename and convert columns; a row with an empty or unreadable value is skipped and counted."""
    result = []
    for row in rows:
        values = {target: _convert(row[name], kind) for target, (name, kind) in columns.items()}
        if any(value is None for value in values.values()):
            issues[f"{source.name}: {reason} skipped"] += 1
        else:
            result.append(values)
    return result


def _convert(value: str, kind: Callable[[str], Any]) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        return None


# --------------------------------------------------------------------------- built-in subset


def read_builtin(directory: Path = BUILTIN_DIR) -> ParsedReferentials:
    """The built-in subset: one ``<table>.csv`` per reference table (see seeds/README-reference.md)."""
    tables: Tables = {}
    missing = []
    for table in REFERENCE_TABLES:
        path = directory / f"{table.name}.csv"
        if path.is_file():
            tables[table.name] = read_table_file(path, table)
        else:
            missing.append(path.name)
    return ParsedReferentials(tables=tables, missing_files=missing)


def read_table_file(path: Path, table: sa.Table) -> list[Row]:
    """A comma-separated file whose header names columns of ``table``; empty cells are NULL."""
    required = tuple(c.name for c in table.columns if c.primary_key or not (c.nullable or c.default is not None))
    rows = read_source(path, SourceFile(path.name, ",", required))
    unknown = [name for name in rows[0] if name not in table.columns] if rows else []
    if unknown:
        raise ReferentialFileError(f"{path.name}: unknown column(s) {', '.join(unknown)} for table {table.name}")
    converters = {column.name: _converter(column) for column in table.columns}
    try:
        return [{name: converters[name](value) if value else None for name, value in row.items()} for row in rows]
    except ValueError as error:
        raise ReferentialFileError(f"{path.name}: {error}") from error


def _converter(column: sa.Column) -> Callable[[str], Any]:
    kind = column.type.python_type
    if kind is bool:  # bool("false") is True
        return lambda value: value.strip().lower() in ("1", "true", "yes")
    return kind


def load_builtin(session: Session | None = None, *, progress: ProgressFactory | None = None) -> ImportReport:
    """Load the built-in subset (``seeds/data``) with the same idempotent write path.

    Uses ``db.session`` when no session is given; flushes, does not commit.
    """
    if session is None:
        from crm.extensions import db

        session = db.session
    return import_parsed(session, read_builtin(), progress=progress)


def import_directory(session: Session, directory: Path, *, progress: ProgressFactory | None = None) -> ImportReport:
    """Parse the official files of ``directory`` then write them; does not commit."""
    return import_parsed(session, parse_directory(directory), progress=progress)


def import_parsed(
    session: Session, parsed: ParsedReferentials, *, progress: ProgressFactory | None = None
) -> ImportReport:
    return ImportReport(
        tables=write_tables(session, parsed.tables, progress=progress),
        missing_files=parsed.missing_files,
        skipped_tables=parsed.skipped_tables,
        issues=parsed.issues,
    )


# --------------------------------------------------------------------------- writing


def write_tables(
    session: Session, tables: Mapping[str, list[Row]], *, progress: ProgressFactory | None = None
) -> dict[str, TableReport]:
    """Upsert rows per table in foreign-key order; returns what happened to each table."""
    unknown = set(tables) - set(TABLES_BY_NAME)
    if unknown:
        raise ValueError(f"not reference tables: {', '.join(sorted(unknown))}")
    return {
        table.name: write_table(session, table, tables[table.name], progress=progress)
        for table in REFERENCE_TABLES
        if table.name in tables
    }


def write_table(
    session: Session, table: sa.Table, rows: Sequence[Row], *, progress: ProgressFactory | None = None
) -> TableReport:
    """Upsert ``rows`` (all with the same columns) into ``table``, sending only new or changed rows.

    Rows whose required reference is unknown are dropped; an unknown optional reference
    is set to NULL. Both are counted, never fatal.
    """
    report = TableReport(read=len(rows))
    key = primary_key(table.name)
    by_key = {tuple(row[k] for k in key): row for row in rows}  # later duplicates win
    kept, report.dangling, report.unlinked = _resolve_references(session, table, list(by_key.values()))
    if kept:
        columns = list(kept[0])
        if any(list(row) != columns for row in kept):
            raise ValueError(f"{table.name}: rows must all have the same columns")
        existing = _existing_rows(session, table, key, columns)
        changes = []
        for row in kept:
            current = existing.get(tuple(row[k] for k in key))
            if current is None:
                report.inserted += 1
                changes.append(row)
            elif current != tuple(row[c] for c in columns):
                report.updated += 1
                changes.append(row)
            else:
                report.unchanged += 1
        _upsert(session, table, key, columns, changes, progress=progress)
    report.total = session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return report


def _resolve_references(session: Session, table: sa.Table, rows: list[Row]) -> tuple[list[Row], int, int]:
    """Drop rows pointing to a missing parent (NOT NULL reference) or null the reference (optional one)."""
    dangling = unlinked = 0
    for foreign_key in table.foreign_keys:
        column = foreign_key.parent.name
        if not rows or column not in rows[0]:
            continue
        known = set(session.execute(sa.select(foreign_key.column)).scalars())
        kept = []
        for row in rows:
            if row[column] is None or row[column] in known:
                kept.append(row)
            elif foreign_key.parent.nullable:
                kept.append({**row, column: None})
                unlinked += 1
            else:
                dangling += 1
        rows = kept
    return rows, dangling, unlinked


def _existing_rows(session: Session, table: sa.Table, key: list[str], columns: list[str]) -> dict[tuple, tuple]:
    result = session.execute(sa.select(*(table.c[name] for name in columns)))
    positions = [columns.index(k) for k in key]
    return {tuple(values[p] for p in positions): tuple(values) for values in result}


def _upsert(
    session: Session,
    table: sa.Table,
    key: list[str],
    columns: list[str],
    rows: list[Row],
    *,
    progress: ProgressFactory | None,
) -> None:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` (or ``DO NOTHING`` when only the key is given), in chunks."""
    if not rows:
        return
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[session.get_bind().dialect.name]
    statement = insert(table)
    updates = {name: statement.excluded[name] for name in columns if name not in key}
    statement = (
        statement.on_conflict_do_update(index_elements=key, set_=updates)
        if updates
        else statement.on_conflict_do_nothing(index_elements=key)
    )
    show = progress is not None and len(rows) > CHUNK_ROWS  # small tables are instant
    bar_context = progress(length=len(rows), label=f"{table.name:<24}") if show else contextlib.nullcontext()
    with bar_context as bar:
        for chunk in _chunks(rows, CHUNK_ROWS):
            session.execute(statement, chunk)
            if bar is not None:
                bar.update(len(chunk))
    session.flush()


def _chunks(rows: list[Row], size: int) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]

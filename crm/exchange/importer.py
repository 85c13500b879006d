"""Bulk import of a folder of CSV files (format: ``crm.exchange.formats``, docs/import-format.md).

Two passes over every file, so memory stays bounded whatever the size of a file:

1. **validate** everything — encoding, header, types, enumerations, required cells,
   identifiers unique in the file, references to other files and to rows already in
   the database, codes against the reference tables, unique values — and collect
   every problem as ``file:line:column: message``. Nothing is written if one is found.
2. **write**, file by file in dependency order, in chunks: each chunk's rows are
   compared with the database (by ``external_id``) and only new or changed rows are
   sent, with the dialect's ``INSERT … ON CONFLICT (external_id) DO UPDATE``. A second
   import of the same folder therefore writes nothing and reports 0 inserted, 0 updated.

References are resolved through ``external_id → id`` dictionaries loaded once per
table. The caller owns the transaction (the command commits once at the end).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any, ContextManager

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm.db import utcnow
from crm.exchange.formats import (
    DATE_ORDER, FILES, FILES_BY_NAME, REFERENTIALS, CellError, Code, CodeList, Column, FileSpec, Ref,
    referenced_files,
)
from crm.referentials.importer import ProgressFactory

CHUNK_ROWS = 2000
ERROR_LIMIT = 100
# Above this many people touched, derived last-contact dates are recomputed for everyone (one statement).
RECOMPUTE_ALL_ABOVE = 20_000
csv.field_size_limit(1 << 24)


# --------------------------------------------------------------------------- problems and reports


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: str
    message: LazyString | str

    def render(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass
class Problems:
    """Every problem found; only the first ``limit`` are kept (the rest are counted)."""

    limit: int = ERROR_LIMIT
    kept: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, file: str, line: int, column: str, message: LazyString | str) -> None:
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(Problem(file, line, column, message))

    def __bool__(self) -> bool:
        return self.count > 0

    def lines(self) -> list[str]:
        lines = [problem.render() for problem in self.kept]
        if self.count > len(self.kept):
            lines.append(str(_l("… et %(count)d autres erreurs", count=self.count - len(self.kept))))
        return lines


@dataclass
class FileReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    files: dict[str, FileReport] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    ignored_files: list[str] = field(default_factory=list)
    details: Counter[str] = field(default_factory=Counter)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> int:
        return sum(r.inserted + r.updated for r in self.files.values())

    def summary_lines(self) -> list[str]:
        lines = [
            f"{name + '.csv':<20} read {r.read:>9}  inserted {r.inserted:>9}  updated {r.updated:>9}  "
            f"unchanged {r.unchanged:>9}"
            for name, r in self.files.items()
        ]
        lines += [f"{what}: {count}" for what, count in sorted(self.details.items()) if count]
        lines += [f"ignored file (not part of the format): {name}" for name in self.ignored_files]
        return lines


# --------------------------------------------------------------------------- reading


@dataclass
class Header:
    columns: list[Column]  # in file order
    names: list[str]
    cells: list[tuple[str, Callable[[str], Any], bool]] = field(default_factory=list)  # name, parser, required

    def __post_init__(self) -> None:
        self.cells = [(c.name, c.kind.parser(), c.required) for c in self.columns]


def _decoded_lines(handle: Any, bad_lines: dict[int, int]) -> Iterator[str]:
    """Lines of a binary file decoded as UTF-8; a line that is not valid UTF-8 is noted
    in ``bad_lines`` (line → first bad byte) and decoded with surrogate escapes."""
    for number, raw in enumerate(handle, 1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            bad_lines[number] = raw[error.start]
            yield raw.decode("utf-8", "surrogateescape")


class CsvFile:
    """Reads one file of the format: header checks, then ``(line, cells)`` per record."""

    def __init__(self, path: Path, spec: FileSpec, problems: Problems | None) -> None:
        self.path, self.spec, self.problems = path, spec, problems
        self.header: Header | None = None
        self.bytes_read = 0

    def _problem(self, line: int, column: str, message: LazyString | str) -> None:
        if self.problems is not None:
            self.problems.add(self.spec.filename, line, column, message)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        bad_lines: dict[int, int] = {}
        with self.path.open("rb") as handle:
            reader = csv.reader(_decoded_lines(handle, bad_lines), strict=True)
            try:
                header = next(reader, None)
            except csv.Error as error:
                self._problem(1, "-", _l("CSV illisible : %(error)s", error=str(error)))
                return
            if header is None:
                self._problem(1, "-", _l("fichier vide : une ligne d'en-tête est attendue"))
                return
            if bad_lines:
                self._problem(1, "-", _l("le fichier n'est pas encodé en UTF-8 (octet 0x%(byte)02X)",
                                         byte=bad_lines[1]))
                return
            if not self._check_header([name.strip() for name in header]):
                return
            assert self.header is not None
            width = len(self.header.names)
            previous = reader.line_num
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    self._problem(previous + 1, "-", _l("CSV illisible : %(error)s", error=str(error)))
                    return
                line, previous = previous + 1, reader.line_num
                self.bytes_read = handle.tell()
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                if bad_lines and any(n in bad_lines for n in range(line, previous + 1)):
                    self._encoding_problem(line, previous, cells, bad_lines)
                    continue
                if len(cells) != width:
                    self._problem(line, "-", _l("%(found)d valeurs au lieu de %(expected)d",
                                                found=len(cells), expected=width))
                    continue
                yield line, cells

    def _encoding_problem(self, first: int, last: int, cells: list[str], bad_lines: dict[int, int]) -> None:
        assert self.header is not None
        column = "-"
        for index, cell in enumerate(cells):
            if any("\udc80" <= char <= "\udcff" for char in cell):
                column = self.header.names[index] if index < len(self.header.names) else str(index + 1)
                break
        line = next(n for n in range(first, last + 1) if n in bad_lines)
        self._problem(line, column, _l("le fichier n'est pas encodé en UTF-8 (octet 0x%(byte)02X)",
                                       byte=bad_lines[line]))

    def _check_header(self, names: list[str]) -> bool:
        known = {column.name: column for column in self.spec.columns}
        ok = True
        seen: set[str] = set()
        for name in names:
            if name in seen:
                self._problem(1, name, _l("colonne « %(name)s » en double dans l'en-tête", name=name))
                ok = False
            seen.add(name)
            if name not in known:
                self._problem(1, name or "-", _l("colonne inconnue « %(name)s » (colonnes possibles : %(allowed)s)",
                                                 name=name, allowed=", ".join(known)))
                ok = False
        for name in self.spec.mandatory:
            if name not in seen:
                self._problem(1, name, _l("colonne obligatoire « %(name)s » absente de l'en-tête", name=name))
                ok = False
        if ok:
            self.header = Header([known[name] for name in names], names)
        return ok


def parse_cells(spec: FileSpec, header: Header, line: int, cells: list[str],
                problems: Problems | None) -> dict[str, Any] | None:
    """Cell values of one record by column name (``None`` for empty cells); ``None`` if a cell is invalid."""
    values: dict[str, Any] = {}
    ok = True
    for (name, parse, required), text in zip(header.cells, cells):
        if not text or text.isspace():
            if required:
                if problems is not None:
                    problems.add(spec.filename, line, name, _l("valeur obligatoire"))
                ok = False
            values[name] = None
            continue
        try:
            values[name] = parse(text)
        except CellError as error:
            if problems is None:
                raise
            problems.add(spec.filename, line, name, error.message)
            ok = False
            values[name] = None
    return values if ok else None


# --------------------------------------------------------------------------- the import


class Importer:
    """One import of one folder. ``run`` validates, then writes unless ``dry_run`` or problems."""

    def __init__(self, session: Session, directory: Path, *, dry_run: bool = False,
                 progress: ProgressFactory | None = None, error_limit: int = ERROR_LIMIT) -> None:
        self.session = session
        self.directory = directory
        self.dry_run = dry_run
        self.progress = progress
        self.report = ImportReport(problems=Problems(limit=error_limit))
        self.present = [spec for spec in FILES if (directory / spec.filename).is_file()]
        self.report.ignored_files = sorted(
            p.name for p in directory.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
            and p.stem not in FILES_BY_NAME
        )
        # Filled while validating:
        self.file_ids: dict[str, dict[str, int]] = {}  # file → external id → line
        self.row_counts: dict[str, int] = {}
        self.broken: set[str] = set()  # files whose header is unusable: no reference check against them
        self.remembered: dict[str, dict[str, tuple]] = {}  # file → external id → remembered values
        self.teams: set[tuple[str, str]] = set()  # (agency external id, team name) from staff.csv
        self.adopt: dict[str, list[tuple[str, str]]] = {}  # file → [(natural key value, external id)]
        self.touched_job_seekers: set[int] = set()  # whose timeline the import changed
        self.touched_employers: set[int] = set()
        self._unique_cache: dict[tuple[str, tuple[str, ...]], dict[tuple, str | None]] = {}
        # Loaded from the database on demand:
        self._db_ids: dict[str, dict[str, int]] = {}  # file → external id → id
        self._db_attrs: dict[str, dict[str, tuple]] = {}
        self._codes: dict[str, set[str]] = {}

    # ----------------------------------------------------------------- helpers

    def table(self, spec: FileSpec) -> sa.Table:
        return self._metadata().tables[spec.table]

    @staticmethod
    def _metadata() -> sa.MetaData:
        from crm.extensions import db

        return db.metadata

    def db_ids(self, file: str) -> dict[str, int]:
        if file not in self._db_ids:
            table = self.table(FILES_BY_NAME[file])
            rows = self.session.execute(
                sa.select(table.c.external_id, table.c.id).where(table.c.external_id.is_not(None)))
            self._db_ids[file] = dict(rows.all())
        return self._db_ids[file]

    def db_attrs(self, file: str) -> dict[str, tuple]:
        if file not in self._db_attrs:
            spec = FILES_BY_NAME[file]
            table = self.table(spec)
            columns = [table.c[spec.column(name).db] for name in spec.remember]  # type: ignore[index]
            rows = self.session.execute(sa.select(table.c.external_id, *columns)
                                        .where(table.c.external_id.is_not(None)))
            self._db_attrs[file] = {row[0]: tuple(_plain(v) for v in row[1:]) for row in rows}
        return self._db_attrs[file]

    def attrs(self, file: str, identifier: str) -> dict[str, Any] | None:
        spec = FILES_BY_NAME[file]
        values = self.remembered.get(file, {}).get(identifier)
        if values is None:
            values = self.db_attrs(file).get(identifier)
        return None if values is None else dict(zip(spec.remember, values))

    def codes(self, referential: str) -> set[str]:
        if referential not in self._codes:
            spec = REFERENTIALS[referential]
            table = self._metadata().tables[spec.table]
            self._codes[referential] = set(self.session.execute(sa.select(table.c[spec.column])).scalars())
        return self._codes[referential]

    def _bar(self, length: int, label: str) -> ContextManager[Any]:
        if self.progress is None or length < CHUNK_ROWS:
            return contextlib.nullcontext()
        return self.progress(length=length, label=label)

    # ----------------------------------------------------------------- run

    def run(self) -> ImportReport:
        for spec in self.present:
            self.validate_file(spec)
        if self.report.problems or self.dry_run:
            return self.report
        with _large_cache(self.session):
            for spec in self.present:
                self.write_file(spec)
            self.after_write()
        self.report.written = True
        return self.report

    # ----------------------------------------------------------------- validation

    def validate_file(self, spec: FileSpec) -> None:
        problems = self.report.problems
        path = self.directory / spec.filename
        reader = CsvFile(path, spec, problems)
        report = self.report.files.setdefault(spec.name, FileReport())
        ids: dict[str, int] = {}
        self.file_ids[spec.name] = ids
        remembered: dict[str, tuple] = {}
        if spec.remember:
            self.remembered[spec.name] = remembered
        uniques: list[dict[Any, int]] = [{} for _ in spec.unique]
        id_name = spec.id_column.name
        size = max(path.stat().st_size, 1)
        checks = _ROW_CHECKS.get(spec.name)
        references = None
        with self._bar(size if size > 1_000_000 else 0, f"check {spec.filename:<18}") as bar:
            done = 0
            for line, cells in reader.records():
                if bar is not None and reader.bytes_read - done > 1_000_000:
                    bar.update(reader.bytes_read - done)
                    done = reader.bytes_read
                report.read += 1
                assert reader.header is not None
                values = parse_cells(spec, reader.header, line, cells, problems)
                identifier = values[id_name] if values is not None else _first(cells, reader.header, id_name)
                if identifier:
                    first = ids.get(identifier)
                    if first is not None:
                        problems.add(spec.filename, line, id_name,
                                     _l("identifiant « %(value)s » en double (déjà ligne %(line)d)",
                                        value=identifier, line=first))
                    else:
                        ids[identifier] = line
                if values is None:
                    continue
                if references is None:
                    references = self.reference_checks(reader.header)
                for check in references:
                    for column, message in check(values):
                        problems.add(spec.filename, line, column, message)
                for index, columns in enumerate(spec.unique):
                    self._check_unique(spec, line, values, columns, uniques[index])
                order = DATE_ORDER.get(spec.name)
                if order and values.get(order[0]) and values.get(order[1]) and values[order[1]] < values[order[0]]:
                    problems.add(spec.filename, line, order[1],
                                 _l("date de fin antérieure à la date de début (%(start)s)",
                                    start=values[order[0]].isoformat()))
                if checks is not None:
                    checks(self, spec, line, values)
                if spec.remember:
                    remembered[identifier] = tuple(values.get(name) for name in spec.remember)
            if bar is not None:
                bar.update(size - done)
        if reader.header is None:
            self.broken.add(spec.name)
        self.row_counts[spec.name] = len(ids)
        if spec.name not in _REFERENCED:  # nobody refers to these rows: free the identifiers (1M for interactions)
            self.file_ids[spec.name] = {}

    def reference_checks(self, header: Header) -> list[Callable[[dict[str, Any]], Iterator[tuple[str, Any]]]]:
        """One function per column that refers to something: yields (column, message) per problem."""
        checks = []
        for column in header.columns:
            kind = column.kind
            if isinstance(kind, Ref):
                cases = {case: (target, self.file_ids.get(target, {}), self.db_ids(target))
                         for case, target in kind.targets.items() if target not in self.broken}
                checks.append(_ref_check(column.name, kind.switch, cases))
            elif isinstance(kind, (Code, CodeList)):
                checks.append(_code_check(column.name, self.codes(kind.referential),
                                          REFERENTIALS[kind.referential].unknown, isinstance(kind, CodeList)))
        return checks

    def _check_unique(self, spec: FileSpec, line: int, values: dict[str, Any], columns: tuple[str, ...],
                      seen: dict[Any, int]) -> None:
        key = tuple(values.get(name) for name in columns)
        if any(part is None for part in key):
            return
        shown = " / ".join(key)
        column = columns[-1]
        identifier = values[spec.id_column.name]
        first = seen.get(key)
        if first is not None:
            self.report.problems.add(spec.filename, line, column,
                                     _l("« %(value)s » déjà utilisé ligne %(line)d", value=shown, line=first))
            return
        seen[key] = line
        holders = self._unique_in_db(spec, columns)
        if key not in holders:
            return
        holder = holders[key]
        if holder is None and spec.name in _ADOPTABLE:
            self.adopt.setdefault(spec.name, []).append((key[0], identifier))
        elif holder != identifier:
            self.report.problems.add(
                spec.filename, line, column,
                _l("« %(value)s » déjà utilisé dans la base par un autre enregistrement (identifiant %(other)s)",
                   value=shown, other=holder or "—"))

    def _unique_in_db(self, spec: FileSpec, columns: tuple[str, ...]) -> dict[tuple, str | None]:
        """Values of unique columns in the database → the external id that holds them."""
        cache = self._unique_cache
        if (spec.name, columns) not in cache:
            table = self.table(spec)
            specs = [spec.column(name) for name in columns]
            rows = self.session.execute(sa.select(table.c.external_id, *(table.c[c.db] for c in specs)))
            reverse: dict[str, dict[int, str]] = {}
            holders: dict[tuple, str | None] = {}
            for row in rows:
                key = []
                for column, value in zip(specs, row[1:]):
                    if isinstance(column.kind, Ref):
                        target = column.kind.target(None)
                        if target not in reverse:
                            reverse[target] = {v: k for k, v in self.db_ids(target).items()}
                        value = reverse[target].get(value)
                    key.append(value)
                if all(part is not None for part in key):
                    holders[tuple(key)] = row[0]
            cache[(spec.name, columns)] = holders
        return cache[(spec.name, columns)]

    # ----------------------------------------------------------------- writing

    def write_file(self, spec: FileSpec) -> None:
        reader = CsvFile(self.directory / spec.filename, spec, None)
        table = self.table(spec)
        report = self.report.files[spec.name]
        report.read = 0
        writer = _WRITERS.get(spec.name, TableWriter)(self, spec, table)
        with self._bar(self.row_counts[spec.name], f"write {spec.filename:<18}") as bar:
            chunk: list[dict[str, Any]] = []
            for line, cells in reader.records():
                if writer.columns is None:
                    assert reader.header is not None
                    writer.prepare(reader.header)
                values = parse_cells(spec, reader.header, line, cells, None)  # type: ignore[arg-type]
                assert values is not None
                chunk.append(values)
                if len(chunk) >= CHUNK_ROWS:
                    writer.write_chunk(chunk, report)
                    if bar is not None:
                        bar.update(len(chunk))
                    chunk = []
            if chunk:
                writer.write_chunk(chunk, report)
                if bar is not None:
                    bar.update(len(chunk))
        report.read = report.inserted + report.updated + report.unchanged
        writer.finish()
        # Later files refer to this one: reload its identifiers (new rows have ids now).
        self._db_ids.pop(spec.name, None)

    def after_write(self) -> None:
        from crm.audit.models import AuditEvent
        from crm.interactions.services import recompute_employer_last_contact, recompute_last_contact

        details = self.report.details
        people, employers = self.touched_job_seekers, self.touched_employers
        if people:
            recompute_last_contact(None if len(people) > RECOMPUTE_ALL_ABOVE else people)
        if employers:
            recompute_employer_last_contact(None if len(employers) > RECOMPUTE_ALL_ABOVE else employers)
        details["job seekers whose last contact was recomputed"] = len(people)
        details["employers whose last contact was recomputed"] = len(employers)
        self.session.add(AuditEvent(
            user_id=None, action="exchange.import", entity_type="import", entity_id=None, channel="cli",
            reason=str(self.directory)[:255],
            details={name: {"inserted": r.inserted, "updated": r.updated, "unchanged": r.unchanged}
                     for name, r in self.report.files.items()},
        ))
        self.session.flush()


@contextlib.contextmanager
def _large_cache(session: Session) -> Iterator[None]:
    """SQLite: a 128 MB page cache while importing (random index inserts thrash the default 2 MB)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    previous = session.execute(sa.text("PRAGMA cache_size")).scalar_one()
    session.execute(sa.text("PRAGMA cache_size=-131072"))
    try:
        yield
    finally:
        session.execute(sa.text(f"PRAGMA cache_size={int(previous)}"))


def _ref_check(name: str, switch: str | None, cases: dict[str, tuple[str, dict, dict]]) -> Callable[..., Any]:
    default = cases.get("*")

    def check(values: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        value = values[name]
        if value is None:
            return
        case = default if switch is None else cases.get(values[switch], default)
        if case is None:  # switch value unknown (already reported) or target file unusable
            return
        target, in_file, in_db = case
        if value not in in_file and value not in in_db:
            yield name, _l("référence inconnue « %(value)s » : absente de %(file)s et de la base",
                           value=value, file=f"{target}.csv")

    return check


def _code_check(name: str, known: set[str], unknown: Callable[[str], Any], many: bool) -> Callable[..., Any]:
    def check(values: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        value = values[name]
        if value is None:
            return
        for item in (value if many else (value,)):
            if item not in known:
                yield name, unknown(item)

    return check


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's SQLite storage format for DATETIME (always with microseconds)."""
    return value.isoformat(" ", "microseconds")


_ADOPTABLE = {"staff", "employers"}
_REFERENCED = referenced_files()  # matched on their natural key (e-mail, SIRET) when they have no external id


def _first(cells: list[str], header: Header, name: str) -> str | None:
    value = cells[header.names.index(name)].strip()
    return value or None


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") and not isinstance(value, (int, float, str)) else value


# --------------------------------------------------------------------------- per-file checks


def _check_staff(importer: Importer, spec: FileSpec, line: int, values: dict[str, Any]) -> None:
    if values.get("team"):
        if not values.get("agency_id"):
            importer.report.problems.add(spec.filename, line, "team",
                                         _l("une équipe suppose une agence (agency_id)"))
        else:
            importer.teams.add((values["agency_id"], values["team"]))


def _check_employer(importer: Importer, spec: FileSpec, line: int, values: dict[str, Any]) -> None:
    if values.get("agency_id"):
        return
    counselor = values.get("counselor_id")
    attrs = importer.attrs("staff", counselor) if counselor else None
    if not (attrs and attrs.get("agency_id")):
        importer.report.problems.add(spec.filename, line, "agency_id",
                                     _l("agence obligatoire quand le conseiller n'a pas d'agence"))


def _check_catalogue_kind(importer: Importer, spec: FileSpec, line: int, column: str, identifier: str | None,
                          expected: str) -> None:
    if not identifier or "catalogue" in importer.broken:
        return
    attrs = importer.attrs("catalogue", identifier)
    if attrs is not None and attrs["kind"] != expected:
        importer.report.problems.add(
            spec.filename, line, column,
            _l("l'élément « %(value)s » du catalogue est de type %(actual)s, pas %(expected)s",
               value=identifier, actual=attrs["kind"], expected=expected))


def _check_proposal(importer: Importer, spec: FileSpec, line: int, values: dict[str, Any]) -> None:
    if values.get("item_kind") and values["item_kind"] != "offer":
        _check_catalogue_kind(importer, spec, line, "item_id", values.get("item_id"), values["item_kind"])


def _check_referral(importer: Importer, spec: FileSpec, line: int, values: dict[str, Any]) -> None:
    _check_catalogue_kind(importer, spec, line, "partner_item_id", values.get("partner_item_id"), "partner_service")


def _check_job_seeker(importer: Importer, spec: FileSpec, line: int, values: dict[str, Any]) -> None:
    for name in ("rights_kind", "rights_start_date", "rights_daily_amount"):
        if values.get(name) is not None and values.get("rights_end_date") is None:
            importer.report.problems.add(spec.filename, line, "rights_end_date",
                                         _l("%(column)s suppose une date de fin de droits", column=name))
            return
    start = values.get("rights_start_date") or values.get("registration_date")
    if values.get("rights_end_date") and start and values["rights_end_date"] < start:
        importer.report.problems.add(spec.filename, line, "rights_end_date",
                                     _l("date de fin antérieure à la date de début (%(start)s)",
                                        start=start.isoformat()))


_ROW_CHECKS: dict[str, Callable[[Importer, FileSpec, int, dict[str, Any]], None]] = {
    "staff": _check_staff,
    "employers": _check_employer,
    "proposals": _check_proposal,
    "referrals": _check_referral,
    "job_seekers": _check_job_seeker,
}


# --------------------------------------------------------------------------- table writers


class TableWriter:
    """Turns parsed rows of one file into database rows and upserts the new or changed ones."""

    def __init__(self, importer: Importer, spec: FileSpec, table: sa.Table) -> None:
        self.importer, self.spec, self.table = importer, spec, table
        self.session = importer.session
        self.columns: list[Column] | None = None
        self.compared: list[str] = []  # database columns compared and updated
        self.insert_only: dict[str, Any] = {}  # defaults of optional columns absent from the header
        self.versioned = "version" in table.c
        self.timestamped = "updated_at" in table.c
        self._statement: Any = None
        self._raw: dict[tuple, tuple] = {}

    def prepare(self, header: Header) -> None:
        self.columns = header.columns
        present = {c.name for c in header.columns}
        compared: list[str] = []
        for column in self.spec.columns:
            if column.db is None:
                continue
            targets = column.db.values() if not isinstance(column.db, str) else [column.db]
            if column.name in present:
                compared += [t for t in targets if t not in compared]
            elif column.default is not None and isinstance(column.db, str):
                self.insert_only[column.db] = column.default
        self.compared = [c for c in compared if c != "external_id"] + self.derived_columns(present)
        self.plain: list[tuple[str, str, Any]] = []  # column, db column, default
        self.single_refs: list[tuple[str, str, dict[str, int]]] = []  # column, db column, ids
        self.switched_refs: list[tuple[str, str, dict[str, tuple[str, dict[str, int]]], list[str]]] = []
        for column in header.columns:
            kind, db = column.kind, column.db
            if db is None:
                continue
            if isinstance(kind, Ref):
                if isinstance(db, str):
                    self.single_refs.append((column.name, db, self.importer.db_ids(kind.target(None))))
                else:
                    cases = {case: (db.get(case) or db["*"], self.importer.db_ids(kind.target(case)))
                             for case in kind.targets}
                    self.switched_refs.append((column.name, kind.switch, cases, list(db.values())))  # type: ignore[arg-type]
            else:
                self.plain.append((column.name, db, column.default))
        self._statement = self._upsert_statement()
        self._empty = self.session.execute(sa.select(self.table.c.id).limit(1)).first() is None

    def derived_columns(self, present: set[str]) -> list[str]:
        return []

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        """The database row for one parsed record (every compared column, plus insert-only defaults)."""
        row: dict[str, Any] = dict(self.insert_only)
        for name, db, default in self.plain:
            value = values[name]
            row[db] = default if value is None else value
        for name, db, ids in self.single_refs:
            value = values[name]
            row[db] = None if value is None else ids[value]
        for name, switch, cases, db_columns in self.switched_refs:
            for db in db_columns:
                row[db] = None
            db, ids = cases.get(values[switch]) or cases["*"]
            row[db] = ids[values[name]]
        return row

    def _upsert_statement(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
        statement = insert(self.table)
        updates: dict[str, Any] = {name: statement.excluded[name] for name in self.compared}
        if self.versioned:
            updates["version"] = self.table.c.version + 1
        if self.timestamped:
            updates["updated_at"] = sa.bindparam("_now", type_=sa.DateTime())
        return statement.on_conflict_do_update(index_elements=["external_id"], set_=updates)

    def existing(self, identifiers: list[str]) -> dict[str, tuple]:
        """external id → (id, compared values…) for the chunk's rows already in the database."""
        if self._empty:  # identifiers are unique within the file: nothing to look up
            return {}
        table = self.table
        columns = [table.c[name] for name in self.compared]
        rows = self.session.execute(sa.select(table.c.external_id, table.c.id, *columns)
                                    .where(table.c.external_id.in_(identifiers)))
        return {row[0]: tuple(row[1:]) for row in rows}

    def write_chunk(self, chunk: list[dict[str, Any]], report: FileReport) -> None:
        id_name = self.spec.id_column.name
        rows = [self.row(values) for values in chunk]
        existing = self.existing([values[id_name] for values in chunk])
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        changed_values: list[dict[str, Any]] = []
        for values, row in zip(chunk, rows):
            current = existing.get(values[id_name])
            if current is None:
                inserts.append(row)
            elif (current[1:] != tuple(row[name] for name in self.compared)
                  or self.children_changed(values, current[0])):
                updates.append(row)
            else:
                report.unchanged += 1
                continue
            changed_values.append(values)
        report.inserted += len(inserts)
        report.updated += len(updates)
        # New rows get a plain INSERT: on SQLite an upsert whose UPDATE part sets foreign-key
        # columns is about three times slower, even when no row conflicts.
        if inserts:
            self.execute("insert", inserts)
        if updates:
            now = utcnow()
            if self.timestamped:
                for row in updates:
                    row["_now"] = now
            self.execute("upsert", updates)
        if changed_values:
            self.after_chunk(changed_values, inserts + updates)

    def execute(self, which: str, rows: list[dict[str, Any]]) -> None:
        """Send one chunk. Inserts into SQLite are compiled once and sent as tuples straight to
        the driver: SQLAlchemy's per-row parameter processing would otherwise cost as much as
        SQLite itself. Updates (few) and PostgreSQL go through Core."""
        statement = self._statement if which == "upsert" else sa.insert(self.table)
        if which == "upsert" or self.session.get_bind().dialect.name != "sqlite":
            self.session.execute(statement, rows)
            return
        key = (which, tuple(rows[0]))
        if key not in self._raw:
            self._raw[key] = self._compile_raw(statement, list(rows[0]))
        sql, names, defaults, processors = self._raw[key]
        for name, default in defaults.items():
            value = default() if callable(default) else default
            for row in rows:
                row[name] = value
        getter = itemgetter(*names)
        tuples = []
        for row in rows:
            values = list(getter(row))
            for index, process in processors:
                if values[index] is not None:
                    values[index] = process(values[index])
            tuples.append(tuple(values))
        self.session.connection().exec_driver_sql(sql, tuples)

    def _compile_raw(self, statement: Any, keys: list[str]) -> tuple[str, list[str], dict[str, Any], list[Any]]:
        dialect = self.session.get_bind().dialect
        compiled = statement.compile(dialect=dialect, column_keys=[k for k in keys if k != "_now"])
        names = list(compiled.positiontup)
        defaults: dict[str, Any] = {}
        for name in names:
            if name in keys or name not in self.table.c:
                continue
            default = self.table.c[name].default
            if default is None or not default.is_scalar and not default.is_callable:
                raise RuntimeError(f"{self.table.name}.{name}: no value and no usable default")
            defaults[name] = (lambda arg=default.arg: arg(None)) if default.is_callable else default.arg
        processors = []
        for index, name in enumerate(names):
            column_type = self.table.c[name].type if name in self.table.c else sa.DateTime()
            if isinstance(column_type, sa.DateTime):
                processors.append((index, _sqlite_datetime))
            elif isinstance(column_type, sa.Date):
                processors.append((index, date.isoformat))
            elif isinstance(column_type, sa.JSON):
                processors.append((index, json.dumps))
        return str(compiled), names, defaults, processors

    def children_changed(self, values: dict[str, Any], row_id: int) -> bool:
        return False

    def after_chunk(self, values: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        pass

    def finish(self) -> None:
        pass

    def ids_of(self, identifiers: list[str]) -> dict[str, int]:
        table = self.table
        return dict(self.session.execute(sa.select(table.c.external_id, table.c.id)
                                         .where(table.c.external_id.in_(identifiers))).all())


class AgencyWriter(TableWriter):
    def derived_columns(self, present: set[str]) -> list[str]:
        commune = self._metadata_table("commune")
        self.bassins = dict(self.session.execute(sa.select(commune.c.insee_code, commune.c.bassin_code)).all())
        return ["bassin_code"]

    def _metadata_table(self, name: str) -> sa.Table:
        return self.importer._metadata().tables[name]  # noqa: SLF001

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        row = super().row(values)
        row["bassin_code"] = self.bassins.get(values["commune_insee"]) if values.get("commune_insee") else None
        return row


class StaffWriter(TableWriter):
    def prepare(self, header: Header) -> None:
        self._adopt()
        team = self.importer._metadata().tables["team"]  # noqa: SLF001
        agencies = self.importer.db_ids("agencies")
        wanted = [{"agency_id": agencies[agency], "name": name} for agency, name in sorted(self.importer.teams)]
        known = set(self.session.execute(sa.select(team.c.agency_id, team.c.name)).all())
        missing = [row for row in wanted if (row["agency_id"], row["name"]) not in known]
        if missing:
            self.session.execute(sa.insert(team), missing)
        self.importer.report.details["teams created"] += len(missing)
        self.teams = {(a, n): i for i, a, n in self.session.execute(sa.select(team.c.id, team.c.agency_id, team.c.name))}
        super().prepare(header)

    def _adopt(self) -> None:
        adopt(self, "email")

    def derived_columns(self, present: set[str]) -> list[str]:
        return ["team_id"]

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        row = super().row(values)
        row["team_id"] = self.teams.get((row["agency_id"], values["team"])) if values.get("team") else None
        return row


def adopt(writer: TableWriter, natural: str) -> None:
    """Give existing rows without an external id, matched on their natural key, the file's external id."""
    pairs = writer.importer.adopt.get(writer.spec.name, [])
    table = writer.table
    for value, identifier in pairs:
        writer.session.execute(sa.update(table).where(table.c[natural] == value, table.c.external_id.is_(None))
                               .values(external_id=identifier))
    if pairs:
        writer.importer.report.details[f"{writer.spec.name}: existing rows matched by {natural}"] += len(pairs)
        writer.importer._db_ids.pop(writer.spec.name, None)  # noqa: SLF001


class EmployerWriter(TableWriter):
    def prepare(self, header: Header) -> None:
        adopt(self, "siret")
        user = self.importer._metadata().tables["user"]  # noqa: SLF001
        self.counselor_agency = dict(self.session.execute(sa.select(user.c.id, user.c.agency_id)).all())
        super().prepare(header)

    def derived_columns(self, present: set[str]) -> list[str]:
        return [] if "agency_id" in present else ["agency_id"]

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        row = super().row(values)
        if row.get("agency_id") is None:
            row["agency_id"] = self.counselor_agency.get(row["counselor_id"])
        return row


class JobSeekerWriter(TableWriter):
    """Job seekers, their target occupations (ranked) and their current benefit right."""

    def prepare(self, header: Header) -> None:
        super().prepare(header)
        metadata = self.importer._metadata()  # noqa: SLF001
        self.targets_table = metadata.tables["job_seeker_target"]
        self.rights_table = metadata.tables["benefit_right"]
        self.present = {c.name for c in header.columns}
        self._targets: dict[int, tuple[str, ...]] = {}
        self._rights: dict[int, dict[date, tuple]] = {}

    def derived_columns(self, present: set[str]) -> list[str]:
        return ["status"]

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        row = super().row(values)
        row["status"] = "exited" if values.get("exit_date") else "active"
        return row

    def existing(self, identifiers: list[str]) -> dict[str, tuple]:
        found = super().existing(identifiers)
        ids = [values[0] for values in found.values()]
        self._targets, self._rights = {}, {}
        if ids:
            t, r = self.targets_table, self.rights_table
            for job_seeker_id, rome in self.session.execute(
                    sa.select(t.c.job_seeker_id, t.c.rome_code).where(t.c.job_seeker_id.in_(ids))
                    .order_by(t.c.job_seeker_id, t.c.rank)):
                self._targets[job_seeker_id] = self._targets.get(job_seeker_id, ()) + (rome,)
            for right in self.session.execute(
                    sa.select(r.c.id, r.c.job_seeker_id, r.c.start_on, r.c.end_on, r.c.kind, r.c.daily_amount)
                    .where(r.c.job_seeker_id.in_(ids))):
                self._rights.setdefault(right.job_seeker_id, {})[right.start_on] = (
                    right.id, right.end_on, _plain(right.kind), right.daily_amount)
        return found

    def wanted_right(self, values: dict[str, Any], job_seeker_id: int | None) -> tuple | None:
        """(start, end, kind, amount) wanted for the current right, or None (file says nothing)."""
        if "rights_end_date" not in self.present or values.get("rights_end_date") is None:
            return None
        start = values.get("rights_start_date") or values["registration_date"]
        current = self._rights.get(job_seeker_id, {}).get(start) if job_seeker_id else None

        def pick(name: str, index: int, default: Any) -> Any:
            if values.get(name) is not None:
                return values[name]
            return current[index] if current is not None else default

        return (start, values["rights_end_date"], pick("rights_kind", 2, "are"),
                Decimal(pick("rights_daily_amount", 3, Decimal("0.00"))).quantize(Decimal("0.01")))

    def children_changed(self, values: dict[str, Any], row_id: int) -> bool:
        if tuple(values.get("target_romes") or ()) != self._targets.get(row_id, ()):
            return True
        wanted = self.wanted_right(values, row_id)
        if wanted is not None:
            current = self._rights.get(row_id, {}).get(wanted[0])
            if current is None or (current[1], current[2], Decimal(current[3])) != wanted[1:]:
                return True
        return False

    def after_chunk(self, values: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        ids = self.ids_of([row["external_id"] for row in rows])
        t, r = self.targets_table, self.rights_table
        if "target_romes" in self.present:
            replace = [ids[v["job_seeker_id"]] for v in values
                       if tuple(v.get("target_romes") or ()) != self._targets.get(ids[v["job_seeker_id"]], ())]
            if replace:
                self.session.execute(sa.delete(t).where(t.c.job_seeker_id.in_(replace)))
                wanted = set(replace)
                new = [{"job_seeker_id": ids[v["job_seeker_id"]], "rome_code": code, "rank": rank}
                       for v in values if ids[v["job_seeker_id"]] in wanted
                       for rank, code in enumerate(v.get("target_romes") or (), 1)]
                if new:
                    self.session.execute(sa.insert(t), new)
                self.importer.report.details["job seekers whose target occupations were set"] += len(replace)
        inserts, updates = [], []
        for v in values:
            job_seeker_id = ids[v["job_seeker_id"]]
            wanted = self.wanted_right(v, job_seeker_id)
            if wanted is None:
                continue
            current = self._rights.get(job_seeker_id, {}).get(wanted[0])
            row = {"job_seeker_id": job_seeker_id, "start_on": wanted[0], "end_on": wanted[1], "kind": wanted[2],
                   "daily_amount": wanted[3]}
            if current is None:
                inserts.append(row)
            elif (current[1], current[2], Decimal(current[3])) != wanted[1:]:
                updates.append({**row, "right_id": current[0]})
        if inserts:
            self.session.execute(sa.insert(r), inserts)
        if updates:
            self.session.execute(
                sa.update(r).where(r.c.id == sa.bindparam("right_id"))
                .values(end_on=sa.bindparam("end_on"), kind=sa.bindparam("kind"),
                        daily_amount=sa.bindparam("daily_amount")),
                [{k: u[k] for k in ("right_id", "end_on", "kind", "daily_amount")} for u in updates])
        self.importer.report.details["benefit rights inserted or updated"] += len(inserts) + len(updates)


class CatalogueWriter(TableWriter):
    """Catalogue items and the occupations they lead to (a set: order is not kept)."""

    def prepare(self, header: Header) -> None:
        super().prepare(header)
        self.link = self.importer._metadata().tables["catalogue_item_rome"]  # noqa: SLF001
        self.present = {c.name for c in header.columns}
        self._romes: dict[int, set[str]] = {}

    def existing(self, identifiers: list[str]) -> dict[str, tuple]:
        found = super().existing(identifiers)
        ids = [values[0] for values in found.values()]
        self._romes = {}
        if ids:
            for item_id, rome in self.session.execute(sa.select(self.link.c.item_id, self.link.c.rome_code)
                                                      .where(self.link.c.item_id.in_(ids))):
                self._romes.setdefault(item_id, set()).add(rome)
        return found

    def children_changed(self, values: dict[str, Any], row_id: int) -> bool:
        return "rome_codes" in self.present and set(values.get("rome_codes") or ()) != self._romes.get(row_id, set())

    def after_chunk(self, values: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        if "rome_codes" not in self.present:
            return
        ids = self.ids_of([row["external_id"] for row in rows])
        link = self.link
        for v in values:
            item_id = ids[v["item_id"]]
            wanted, current = set(v.get("rome_codes") or ()), self._romes.get(item_id, set())
            if wanted == current:
                continue
            if current - wanted:
                self.session.execute(sa.delete(link).where(link.c.item_id == item_id,
                                                           link.c.rome_code.in_(sorted(current - wanted))))
            if wanted - current:
                self.session.execute(sa.insert(link), [{"item_id": item_id, "rome_code": code}
                                                       for code in sorted(wanted - current)])


class InteractionWriter(TableWriter):
    """Interactions: remember whose timeline changed, to recompute their last-contact dates."""

    def after_chunk(self, values: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        people, employers = self.importer.touched_job_seekers, self.importer.touched_employers
        for row in rows:
            if row["job_seeker_id"] is not None:
                people.add(row["job_seeker_id"])
            elif row["employer_id"] is not None:
                employers.add(row["employer_id"])


_WRITERS: dict[str, type[TableWriter]] = {
    "agencies": AgencyWriter,
    "staff": StaffWriter,
    "employers": EmployerWriter,
    "job_seekers": JobSeekerWriter,
    "catalogue": CatalogueWriter,
    "interactions": InteractionWriter,
}


def import_directory(session: Session, directory: Path, *, dry_run: bool = False,
                     progress: ProgressFactory | None = None, error_limit: int = ERROR_LIMIT) -> ImportReport:
    """Validate the folder, then (unless ``dry_run`` or a problem was found) write it; never commits."""
    return Importer(session, directory, dry_run=dry_run, progress=progress, error_limit=error_limit).run()



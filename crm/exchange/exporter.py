"""Export in the import format (``crm.exchange.formats``): one CSV file per spec.

Rows are written in id order and every value goes through the same ``Kind.format`` the
importer's ``Kind.parse`` reverses, so export → import into an empty database → export
gives byte-identical files. Rows are streamed (``yield_per``); only the
``id → external_id`` maps of referenced tables are held in memory.

Every exported row needs an external id: rows created in Proxima have none, so the
export first gives them one (``px-<file>-<id>``, e.g. ``px-job_seekers-42``) and keeps
it, so that the file can later be re-imported into the same database without
duplicating anything. That is the only write an export makes (plus its audit event).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.exchange.formats import FILES, FILES_BY_NAME, Column, FileSpec, Ref
from crm.referentials.importer import ProgressFactory

YIELD_ROWS = 10_000


@dataclass
class ExportReport:
    rows: dict[str, int] = field(default_factory=dict)
    assigned_ids: dict[str, int] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        lines = [f"{name + '.csv':<20} {count:>10} rows" for name, count in self.rows.items()]
        lines += [f"{name}: external id assigned to {count} rows (px-{name}-<id>)"
                  for name, count in self.assigned_ids.items() if count]
        return lines


def synthetic_prefix(spec: FileSpec | str) -> str:
    """The external id given on export to a row that has none: ``px-<file>-<id>``."""
    return f"px-{getattr(spec, 'name', spec)}-"


class Exporter:
    def __init__(self, session: Session, directory: Path, *, progress: ProgressFactory | None = None) -> None:
        from crm.extensions import db

        self.session, self.directory, self.progress = session, directory, progress
        self.tables = db.metadata.tables
        self.report = ExportReport()
        self._external: dict[str, dict[int, str]] = {}

    def run(self) -> ExportReport:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.assign_missing_ids()
        for spec in FILES:
            self.export_file(spec)
        self.audit()
        return self.report

    def assign_missing_ids(self) -> None:
        for spec in FILES:
            table = self.tables[spec.table]
            result = self.session.execute(
                sa.update(table).where(table.c.external_id.is_(None))
                .values(external_id=sa.literal(synthetic_prefix(spec)) + sa.cast(table.c.id, sa.String))
                .execution_options(synchronize_session=False))
            self.report.assigned_ids[spec.name] = result.rowcount or 0
        if any(self.report.assigned_ids.values()):
            self.session.expire_all()  # loaded objects must see their new external ids

    def external(self, file: str) -> dict[int, str]:
        """id → external id of a referenced file's table."""
        if file not in self._external:
            table = self.tables[FILES_BY_NAME[file].table]
            self._external[file] = dict(self.session.execute(sa.select(table.c.id, table.c.external_id)).all())
        return self._external[file]

    def export_file(self, spec: FileSpec) -> None:
        table = self.tables[spec.table]
        self._index = {name: position for position, name in enumerate(table.c.keys())}
        formatters = [self.formatter(spec, column) for column in spec.columns]
        total = self.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        statement = sa.select(table).order_by(table.c.id)
        count = 0
        bar_context = (self.progress(length=total, label=f"export {spec.filename:<18}")
                       if self.progress is not None and total >= YIELD_ROWS else contextlib.nullcontext())
        with (self.directory / spec.filename).open("w", encoding="utf-8", newline="") as handle, bar_context as bar:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([column.name for column in spec.columns])
            for rows in _partitions(self.session.execute(statement, execution_options={"yield_per": YIELD_ROWS})):
                writer.writerows([[format_(row) for format_ in formatters] for row in rows])
                count += len(rows)
                if bar is not None:
                    bar.update(len(rows))
        self.report.rows[spec.name] = count

    # ----------------------------------------------------------------- column formatters

    def formatter(self, spec: FileSpec, column: Column) -> Callable[[Any], str]:
        special = getattr(self, f"_{spec.name}_{column.name}", None)
        if special is not None:
            return special()
        kind = column.kind
        if isinstance(kind, Ref):
            if isinstance(column.db, str):
                external = self.external(kind.target(None))
                i = self._index[column.db]
                return lambda row: "" if row[i] is None else external[row[i]]
            cases = [(self._index[db], self.external(kind.target(case)))
                     for case, db in column.db.items()]  # type: ignore[union-attr]
            return lambda row: next((ext[row[i]] for i, ext in cases if row[i] is not None), "")
        i = self._index[column.db]  # type: ignore[index]
        format_ = kind.format
        return lambda row: "" if row[i] is None else format_(row[i])

    def _staff_team(self) -> Callable[[Any], str]:
        team = self.tables["team"]
        names = dict(self.session.execute(sa.select(team.c.id, team.c.name)).all())
        return lambda row: names.get(row.team_id, "") if row.team_id is not None else ""

    def _job_seekers_target_romes(self) -> Callable[[Any], str]:
        t = self.tables["job_seeker_target"]
        targets: dict[int, list[str]] = {}
        for job_seeker_id, code in self.session.execute(
                sa.select(t.c.job_seeker_id, t.c.rome_code).order_by(t.c.job_seeker_id, t.c.rank, t.c.id)):
            targets.setdefault(job_seeker_id, []).append(code)
        return lambda row: ";".join(targets.get(row.id, ()))

    def _current_rights(self) -> dict[int, Any]:
        if not hasattr(self, "_rights"):
            r = self.tables["benefit_right"]
            self._rights: dict[int, Any] = {}
            for right in self.session.execute(sa.select(r).order_by(r.c.job_seeker_id, r.c.start_on, r.c.id)):
                self._rights[right.job_seeker_id] = right  # the latest start wins
        return self._rights

    def _right_formatter(self, name: str, column: str) -> Callable[[Any], str]:
        rights = self._current_rights()
        format_ = FILES_BY_NAME["job_seekers"].column(name).kind.format

        def cell(row: Any) -> str:
            right = rights.get(row.id)
            return "" if right is None else format_(right._mapping[column])

        return cell

    def _job_seekers_rights_end_date(self) -> Callable[[Any], str]:
        return self._right_formatter("rights_end_date", "end_on")

    def _job_seekers_rights_kind(self) -> Callable[[Any], str]:
        return self._right_formatter("rights_kind", "kind")

    def _job_seekers_rights_start_date(self) -> Callable[[Any], str]:
        return self._right_formatter("rights_start_date", "start_on")

    def _job_seekers_rights_daily_amount(self) -> Callable[[Any], str]:
        return self._right_formatter("rights_daily_amount", "daily_amount")

    def _catalogue_rome_codes(self) -> Callable[[Any], str]:
        link = self.tables["catalogue_item_rome"]
        codes: dict[int, list[str]] = {}
        for item_id, code in self.session.execute(sa.select(link.c.item_id, link.c.rome_code)
                                                  .order_by(link.c.item_id, link.c.rome_code)):
            codes.setdefault(item_id, []).append(code)
        return lambda row: ";".join(codes.get(row.id, ()))

    def _interactions_party_kind(self) -> Callable[[Any], str]:
        return lambda row: "job_seeker" if row.job_seeker_id is not None else "employer"

    def audit(self) -> None:
        from crm.audit.models import AuditEvent

        self.session.add(AuditEvent(user_id=None, action="exchange.export", entity_type="export", entity_id=None,
                                    channel="cli", reason=str(self.directory)[:255], details=dict(self.report.rows)))
        self.session.flush()


def _partitions(result: Any) -> Iterator[list[Any]]:
    for partition in result.partitions():
        yield partition


def export_directory(session: Session, directory: Path, *, progress: ProgressFactory | None = None) -> ExportReport:
    """Write every file of the format into ``directory``; assigns missing external ids (flushes, never commits)."""
    return Exporter(session, directory, progress=progress).run()

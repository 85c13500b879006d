"""Personal data of job seekers (RGPD): subject access, erasure on request, retention.

- Subject access: ``write_subject_access_archive`` writes everything Proxima holds about one
  person as a ZIP of JSON and CSV. The tables come from the metadata (every table with a
  foreign key to ``job_seeker``), so a table added later is exported without a change here.
- Erasure and retention: ``anonymise`` blanks the person's identity, contact details,
  identifiers and every free text about them, and keeps the rows themselves (dates, kinds,
  channels, outcomes): counts, outcomes and contact statistics stay right. ``anonymised_at``
  takes the person out of every list and makes their file answer 404.
- ``retention_candidates``: the people with no activity since a cutoff (the nightly purge).

Services flush and never commit; every act is audited.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm import clock
from crm.audit import services as audit
from crm.catalogue.models import SessionRegistration
from crm.db import utcnow
from crm.errors import DomainError
from crm.extensions import db
from crm.interactions.models import (
    Appointment, AppointmentStatus, Interaction, Proposal, Referral, Task, TaskStatus,
)
from crm.jobseekers.alerts import add_months
from crm.jobseekers.models import BenefitRight, ExitReason, JobSeeker, JobSeekerStatus
from crm.offers.models import Application
from crm.outcomes.models import OutcomeEpisode

ANONYMOUS_FIRST_NAME = "Personne"
ANONYMOUS_LAST_NAME = "anonymisée"
MAX_REASON_LENGTH = 255

# Grounds of an anonymisation, kept in the audit trail.
ERASURE_REQUEST = "erasure_request"
RETENTION = "retention"

# The person's own row: what anonymisation does to each column that identifies or describes them.
# Birth dates keep their year so age bands (fairness figures) stay right.
JOB_SEEKER_BLANKED = ("first_name", "last_name", "email", "phone", "address", "notes", "external_id", "skills",
                      "work_axes", "birth_date")
# Kept: codes and coarse facts the aggregate figures are made of.
JOB_SEEKER_KEPT_TEXT = ("commune_insee", "contract_types", "languages")

# Rows about the person: free texts that may name or describe them, and what they become.
BLANKED_COLUMNS: dict[str, dict[str, Any]] = {
    "action_plan_item": {"label": ""},
    "appointment": {"notes": None},
    "application": {"employer_feedback": None},
    "barrier": {"notes": None},
    "benefit_event": {"description": None},
    "consent_record": {"notes": None},
    "feedback": {"comment": None},
    "interaction": {"notes": None},
    "prospection_action": {"notes": None},
    "referral": {"partner_feedback": None},
    "task": {"title": ""},
}
# Text columns of those rows that are kept, and why (a test checks each text column is in one list).
KEPT_COLUMNS: dict[str, frozenset[str]] = {
    # the audit trail stays whole: it is the proof of who did what (staff's free-text reasons included)
    "audit_event": frozenset({"action", "entity_type", "reason", "details", "address", "channel"}),
    "feedback": frozenset({"reason"}),  # a code from a short list
    "job_seeker_target": frozenset({"rome_code", "appellation_code"}),
    "outcome_episode": frozenset({"rome_code"}),
    "priority_score": frozenset({"reasons"}),  # built from codes by the recommender, no typed text
    "proposal": frozenset({"arguments"}),  # idem
    "stored_recommendation": frozenset({"item_kind", "reasons"}),  # a code; reasons built by the recommender
    "stored_candidate": frozenset({"reasons"}),  # idem
}
# Everywhere: the source system's id of a row (an interaction, an appointment…), not of the person.
KEPT_EVERYWHERE = frozenset({"external_id"})

# Rows about the person that do not carry their id: employer-side interactions about one of
# their mises en relation (a candidate presented to an employer).
ALSO_ABOUT: dict[str, tuple[str, str]] = {"interaction": ("application_id", "application")}

# Columns left out of the subject-access archive: the staff's network address in the audit trail.
NOT_EXPORTED: dict[str, frozenset[str]] = {"audit_event": frozenset({"address"})}

# Referenced rows named in the archive (``references``), so ids can be read: table → columns.
REFERENCES: dict[str, tuple[str, ...]] = {
    "user": ("first_name", "last_name", "role"),
    "agency": ("name",),
    "employer": ("name", "siret"),
    "job_offer": ("title", "employer_id", "contract_type"),
    "catalogue_item": ("kind", "title", "provider"),
    "catalogue_session": ("item_id", "starts_on", "place"),
    "rome_occupation": ("label",),
    "commune": ("name",),
    "model_version": ("kind", "version"),
}


# --------------------------------------------------------------------------- finding the rows


def person_tables() -> list[sa.Table]:
    """Every table holding rows about a job seeker (a foreign key to ``job_seeker.id``), in dependency order."""
    return [table for table in db.metadata.sorted_tables if _person_column(table) is not None]


def _person_column(table: sa.Table) -> sa.Column | None:
    if table.name == "job_seeker":
        return None
    for column in table.c:
        if any(fk.target_fullname == "job_seeker.id" for fk in column.foreign_keys):
            return column
    return None


def _about(table: sa.Table, person_id: int) -> sa.ColumnElement[bool]:
    clause = _person_column(table) == person_id
    if table.name in ALSO_ABOUT:
        column, parent_name = ALSO_ABOUT[table.name]
        parent = db.metadata.tables[parent_name]
        clause = sa.or_(clause, table.c[column].in_(
            sa.select(parent.c.id).where(_person_column(parent) == person_id)))
    return clause


def find_job_seeker(reference: str) -> JobSeeker | None:
    """The job seeker with this external id, else with this internal id (digits)."""
    reference = reference.strip()
    person = db.session.scalar(sa.select(JobSeeker).where(JobSeeker.external_id == reference))
    if person is None and reference.isdigit() and len(reference) < 10:
        person = db.session.get(JobSeeker, int(reference))
    return person


def row_counts(job_seeker: JobSeeker) -> dict[str, int]:
    """Rows about the person, per table (for the admin page and the CLI)."""
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)
                                          .where(_about(table, job_seeker.id))) or 0
            for table in person_tables()}


# --------------------------------------------------------------------------- subject access


@dataclass
class ArchiveSummary:
    rows: dict[str, int] = field(default_factory=dict)  # table → rows exported

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def write_subject_access_archive(job_seeker: JobSeeker, *, author: Any, target: BinaryIO,
                                 now: datetime | None = None) -> ArchiveSummary:
    """Write to ``target`` a ZIP of everything held about ``job_seeker``; the export is audited.

    ``data.json`` holds it all (the person's row, then each table's rows, then the
    ``references``: names of the staff, offers, services… the rows point to);
    ``csv/<table>.csv`` the same rows, one file per table; ``manifest.json`` says what is
    where.
    """
    now = now or utcnow()
    db.session.flush()
    person_table = JobSeeker.__table__
    tables: dict[str, list[dict[str, Any]]] = {
        "job_seeker": _rows(person_table, person_table.c.id == job_seeker.id)}
    for table in person_tables():
        tables[table.name] = _rows(table, _about(table, job_seeker.id))
    summary = ArchiveSummary(rows={name: len(rows) for name, rows in tables.items()})
    manifest = {
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "generated_by": getattr(author, "email", None),
        "job_seeker_id": job_seeker.id,
        "external_id": job_seeker.external_id,
        "anonymised_at": job_seeker.anonymised_at.isoformat() if job_seeker.anonymised_at else None,
        "files": {"data.json": "every table below, and the names of referenced rows (references)",
                  **{f"csv/{name}.csv": rows for name, rows in summary.rows.items()}},
    }
    document = {"job_seeker": tables["job_seeker"][0] if tables["job_seeker"] else None,
                "tables": {name: rows for name, rows in tables.items() if name != "job_seeker"},
                "references": _references(tables)}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", _json(manifest))
        archive.writestr("data.json", _json(document))
        for name, rows in tables.items():
            table = db.metadata.tables[name]
            archive.writestr(f"csv/{name}.csv", _csv(_exported_columns(table), rows))
    audit.record(user=author, action="job_seeker.subject_access_export", entity=job_seeker,
                 details={"rows": summary.total, "tables": len(summary.rows)})
    return summary


def subject_access_archive(job_seeker: JobSeeker, *, author: Any, now: datetime | None = None) -> bytes:
    buffer = io.BytesIO()
    write_subject_access_archive(job_seeker, author=author, target=buffer, now=now)
    return buffer.getvalue()


def archive_name(job_seeker: JobSeeker, now: datetime | None = None) -> str:
    day = (now or utcnow()).date().isoformat()
    return f"proxima-donnees-personne-{job_seeker.id}-{day}.zip"


def _exported_columns(table: sa.Table) -> list[str]:
    hidden = NOT_EXPORTED.get(table.name, frozenset())
    return [column.name for column in table.c if column.name not in hidden]


def _rows(table: sa.Table, where: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    names = _exported_columns(table)
    statement = sa.select(*(table.c[name] for name in names)).where(where).order_by(*table.primary_key.columns)
    return [{name: _plain(value) for name, value in zip(names, row)} for row in db.session.execute(statement)]


def _references(tables: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    wanted: dict[str, set[Any]] = {}
    for name, rows in tables.items():
        for column in db.metadata.tables[name].c:
            for fk in column.foreign_keys:
                target = fk.target_fullname.partition(".")[0]
                if target in REFERENCES:
                    wanted.setdefault(target, set()).update(
                        row[column.name] for row in rows if row.get(column.name) is not None)
    references: dict[str, dict[str, dict[str, Any]]] = {}
    for name, ids in sorted(wanted.items()):
        table = db.metadata.tables[name]
        (key,) = table.primary_key.columns
        columns = [table.c[c] for c in REFERENCES[name]]
        found = db.session.execute(sa.select(key, *columns).where(key.in_(sorted(ids))).order_by(key)).all()
        references[name] = {str(row[0]): {c.name: _plain(v) for c, v in zip(columns, row[1:])} for row in found}
    return references


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


# --------------------------------------------------------------------------- anonymisation


@dataclass
class AnonymisationReport:
    job_seeker_id: int
    blanked: dict[str, int] = field(default_factory=dict)  # table → rows whose text was blanked
    cancelled: dict[str, int] = field(default_factory=dict)  # planned appointments, open tasks
    registration_closed: bool = False  # the person was still registered (erasure on request)


def anonymise(job_seeker: JobSeeker, *, author: Any, ground: str, reason: str | None = None,
              now: datetime | None = None, last_activity_on: date | None = None) -> AnonymisationReport:
    """Blank everything that identifies or describes the person; keep what the figures need.

    Identity, contact details, the source-system id and free texts (the file's notes,
    skills, work axes; the notes of interactions, appointments, barriers, tasks…) are
    blanked; the birth date keeps its year. Rows stay, with their dates, kinds and
    outcomes. What can no longer happen is closed: planned appointments are cancelled,
    open tasks too, and a registration still open (erasure on request) ends today.
    ``ground`` is ``erasure_request`` or ``retention``; audited.
    """
    if job_seeker.anonymised_at is not None:
        raise DomainError(_l("Les données de cette personne ont déjà été effacées."), code="gdpr.already_anonymised")
    text = (reason or "").strip()
    if ground == ERASURE_REQUEST and not text:
        raise DomainError(_l("Indiquez la demande à l'origine de l'effacement."), code="gdpr.reason.required",
                          field="reason")
    if len(text) > MAX_REASON_LENGTH:
        raise DomainError(_l("Le motif est limité à %(max)s caractères.", max=MAX_REASON_LENGTH),
                          code="gdpr.reason.length", field="reason")
    now = now or utcnow()
    report = AnonymisationReport(job_seeker_id=job_seeker.id)
    db.session.flush()
    for table in person_tables():
        values = BLANKED_COLUMNS.get(table.name)
        if not values:
            continue
        holding_text = sa.or_(*(sa.and_(table.c[name].is_not(None), table.c[name] != "") for name in values))
        updates: dict[str, Any] = dict(values)
        if "version" in table.c:  # an open form on that row must see it changed
            updates["version"] = table.c.version + 1
        result = db.session.execute(sa.update(table).where(_about(table, job_seeker.id), holding_text)
                                    .values(**updates).execution_options(synchronize_session=False))
        if result.rowcount:
            report.blanked[table.name] = result.rowcount
    report.cancelled = _close_follow_up(job_seeker.id, now)
    db.session.expire_all()  # loaded rows must not write their old texts back

    job_seeker.first_name, job_seeker.last_name = ANONYMOUS_FIRST_NAME, ANONYMOUS_LAST_NAME
    job_seeker.email = job_seeker.phone = job_seeker.address = job_seeker.notes = None
    job_seeker.external_id = None
    job_seeker.skills, job_seeker.work_axes = [], []
    job_seeker.birth_date = date(job_seeker.birth_date.year, 1, 1)
    job_seeker.anonymised_at = now
    # Nobody can follow a person who is no longer identifiable: a registration still open is
    # closed, so lists, portfolio counts and dashboards (all over active people) agree.
    report.registration_closed = job_seeker.status == JobSeekerStatus.ACTIVE
    if report.registration_closed:
        job_seeker.status, job_seeker.exit_date, job_seeker.exit_reason = (
            JobSeekerStatus.EXITED, clock.local_date(now), ExitReason.OTHER)
    db.session.flush()
    details: dict[str, Any] = {"ground": ground, "blanked": report.blanked, "cancelled": report.cancelled,
                               "registration_closed": report.registration_closed}
    if last_activity_on is not None:
        details["last_activity_on"] = last_activity_on.isoformat()
    audit.record(user=author, action="job_seeker.anonymise", entity=job_seeker, reason=text or None, details=details)
    return report


def _close_follow_up(person_id: int, now: datetime) -> dict[str, int]:
    cancelled: dict[str, int] = {}
    appointments = db.session.execute(
        sa.update(Appointment).where(Appointment.job_seeker_id == person_id,
                                     Appointment.status == AppointmentStatus.PLANNED)
        .values(status=AppointmentStatus.CANCELLED, status_changed_at=now, version=Appointment.version + 1)
        .execution_options(synchronize_session=False))
    tasks = db.session.execute(
        sa.update(Task).where(Task.job_seeker_id == person_id, Task.status == TaskStatus.OPEN)
        .values(status=TaskStatus.CANCELLED, done_at=now, version=Task.version + 1)
        .execution_options(synchronize_session=False))
    for name, result in (("appointment", appointments), ("task", tasks)):
        if result.rowcount:
            cancelled[name] = result.rowcount
    return cancelled


def erase_job_seeker(job_seeker: JobSeeker, *, author: Any, reason: str,
                     now: datetime | None = None) -> AnonymisationReport:
    """Erasure on the person's request (droit à l'effacement): anonymise now, whatever their activity."""
    return anonymise(job_seeker, author=author, ground=ERASURE_REQUEST, reason=reason, now=now,
                     last_activity_on=last_activity(job_seeker.id))


# --------------------------------------------------------------------------- retention


def retention_cutoff(now: datetime, months: int) -> datetime:
    """The moment before which activity is too old: ``months`` months before ``now`` (midnight)."""
    return datetime.combine(add_months(now.date(), -months), time())


def _activity_sources(person: Any) -> list[tuple[Any, ...]]:
    """(columns, clause on the person) of every dated act of or about a person."""
    return [
        ((Interaction.occurred_at,), Interaction.job_seeker_id == person),
        ((Appointment.scheduled_at,), Appointment.job_seeker_id == person),
        ((Proposal.proposed_at, Proposal.responded_at), Proposal.job_seeker_id == person),
        ((Referral.referred_at, Referral.feedback_at), Referral.job_seeker_id == person),
        ((Application.created_at,), Application.job_seeker_id == person),
        ((OutcomeEpisode.start_on, OutcomeEpisode.end_on), OutcomeEpisode.job_seeker_id == person),
        ((BenefitRight.end_on,), BenefitRight.job_seeker_id == person),
        ((SessionRegistration.registered_at,), SessionRegistration.job_seeker_id == person),
    ]


def retention_candidates(*, cutoff: datetime) -> sa.Select[Any]:
    """Ids of the people to anonymise: no longer registered, and nothing dated since ``cutoff``.

    A person still registered (status active) is kept whatever their activity: the
    registration itself is current. Activity is any dated act: registration and exit,
    contacts and online activity, interactions, appointments, proposals, referrals,
    mises en relation, outcome episodes, benefit rights, event registrations.
    """
    day = cutoff.date()
    recent = []
    for columns, clause in _activity_sources(JobSeeker.id):
        bound = [column >= (day if isinstance(column.type, sa.Date) else cutoff) for column in columns]
        recent.append(sa.exists().where(clause, sa.or_(*bound)))
    return (sa.select(JobSeeker.id)
            .where(JobSeeker.anonymised_at.is_(None), JobSeeker.status != JobSeekerStatus.ACTIVE,
                   JobSeeker.registration_date < day,
                   sa.or_(JobSeeker.exit_date.is_(None), JobSeeker.exit_date < day),
                   sa.or_(JobSeeker.last_contact_at.is_(None), JobSeeker.last_contact_at < cutoff),
                   sa.or_(JobSeeker.last_online_at.is_(None), JobSeeker.last_online_at < cutoff),
                   sa.not_(sa.or_(*recent)))
            .order_by(JobSeeker.id))


def last_activity(person_id: int) -> date | None:
    """The day of the person's latest dated act (see ``retention_candidates``), if any."""
    person = db.session.get(JobSeeker, person_id)
    if person is None:
        return None
    days: list[date] = [person.registration_date]
    days += [moment.date() for moment in (person.last_contact_at, person.last_online_at) if moment is not None]
    if person.exit_date is not None:
        days.append(person.exit_date)
    for columns, clause in _activity_sources(person_id):
        latest = db.session.execute(sa.select(*(sa.func.max(column) for column in columns)).where(clause)).one()
        days += [_as_date(value) for value in latest if value is not None]
    return max(days)


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def purge(ids: Iterable[int], *, author: Any, now: datetime) -> list[AnonymisationReport]:
    """Anonymise these people on the retention ground (the CLI commits between batches)."""
    reports = []
    for person_id in ids:
        person = db.session.get(JobSeeker, person_id)
        if person is None or person.anonymised_at is not None:
            continue
        reports.append(anonymise(person, author=author, ground=RETENTION, now=now,
                                 last_activity_on=last_activity(person_id)))
    return reports

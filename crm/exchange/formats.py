"""The exchange format: one declarative description per CSV file.

The importer, the exporter and ``docs/import-format.md`` all read these specs, so the
three never drift. A file is a list of columns; a column has a name, a type (one of the
small ``Kind`` classes below: each parses a cell and formats a value back, with the same
rules both ways so that a round trip gives identical bytes), a target database column,
and two flags:

- ``mandatory``: the column must be in the header (the columns listed in issue 5);
  other columns are optional and may be left out of the header entirely — then the
  importer leaves that database column as it is (or uses the default for new rows);
- ``required``: the cell must not be empty.

Conventions: UTF-8, comma-separated, header row, dates ``YYYY-MM-DD``, date-times
``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` (naive, or with an offset converted to UTC), lists
``;``-separated, booleans ``true``/``false``, an empty cell is "no value".
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from crm.catalogue.models import CatalogueKind, EventKind, PartnerKind
from crm.employers.models import EmployerSegment
from crm.enums import ContractType, ItemKind, Modality, PartyKind
from crm.interactions.models import (
    AppointmentKind, AppointmentStatus, Channel, Direction, InteractionKind, InteractionOrigin, InteractionOutcome,
    ProposalOutcome, ProposalResponse, ProposalSource, ReferralStatus,
)
from crm.jobseekers.models import (
    BenefitKind, DigitalAutonomy, EducationLevel, ExitReason, Gender, Nationality, RegistrationCategory,
)
from crm.offers.models import ApplicationOrigin, ApplicationStatus, OfferStatus, RefusalReason
from crm.organisation.models import Role
from crm.outcomes.models import OutcomeKind

LIST_SEPARATOR = ";"


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is a (lazy, translatable) French text."""

    def __init__(self, message: LazyString) -> None:
        super().__init__(str(message))
        self.message = message


# --------------------------------------------------------------------------- kinds


class Kind:
    """How a cell is read and written. ``parse`` gets a non-empty string."""

    doc = ""

    def parse(self, text: str) -> Any:
        return text

    def parser(self) -> Callable[[str], Any]:
        """The function the importer calls per cell (a faster equivalent of ``parse`` for hot kinds)."""
        return self.parse

    def format(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class Text(Kind):
    max_length: int = 255
    pattern: str | None = None  # a regular expression the value must match
    pattern_doc: str = ""

    @property
    def doc(self) -> str:  # type: ignore[override]
        return f"text, {self.pattern_doc}" if self.pattern_doc else f"text (≤ {self.max_length} characters)"

    def parser(self) -> Callable[[str], Any]:
        if self.pattern is not None:
            return self.parse
        maximum, parse = self.max_length, self.parse
        return lambda text: text if len(text) <= maximum else parse(text)

    def parse(self, text: str) -> str:
        if len(text) > self.max_length:
            raise CellError(_l("texte trop long (%(length)d caractères, %(max)d au plus)",
                               length=len(text), max=self.max_length))
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            raise CellError(_l("format invalide « %(value)s » (attendu : %(expected)s)",
                               value=_short(text), expected=self.pattern_doc))
        return text


@dataclass(frozen=True)
class Integer(Kind):
    minimum: int | None = None
    maximum: int | None = None

    @property
    def doc(self) -> str:  # type: ignore[override]
        bounds = [f"≥ {self.minimum}" if self.minimum is not None else "",
                  f"≤ {self.maximum}" if self.maximum is not None else ""]
        return "integer" + (f" ({', '.join(b for b in bounds if b)})" if any(bounds) else "")

    def parse(self, text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise CellError(_l("nombre entier attendu, trouvé « %(value)s »", value=_short(text))) from None
        _check_bounds(value, self.minimum, self.maximum)
        return value


@dataclass(frozen=True)
class Number(Kind):
    minimum: float | None = None
    doc = "decimal number, with a point (e.g. 12.5)"

    def parse(self, text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise CellError(_l("nombre attendu (avec un point décimal), trouvé « %(value)s »",
                               value=_short(text))) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(_l("nombre attendu (avec un point décimal), trouvé « %(value)s »", value=_short(text)))
        _check_bounds(value, self.minimum, None)
        return value

    def format(self, value: Any) -> str:
        value = float(value)
        return str(int(value)) if value.is_integer() else repr(value)


@dataclass(frozen=True)
class Money(Kind):
    doc = "amount with 2 decimals at most (e.g. 42.50)"

    def parse(self, text: str) -> Decimal:
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value.as_tuple().exponent < -2 or value < 0:  # type: ignore[operator]
            raise CellError(_l("montant attendu (2 décimales au plus), trouvé « %(value)s »", value=_short(text)))
        return value.quantize(Decimal("0.01"))

    def format(self, value: Any) -> str:
        return f"{Decimal(value):.2f}"


TRUE_WORDS = frozenset({"true", "1", "yes", "oui", "vrai"})
FALSE_WORDS = frozenset({"false", "0", "no", "non", "faux"})


class Boolean(Kind):
    doc = "`true` or `false` (also accepted: 1/0, yes/no, oui/non, vrai/faux)"

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(_l("booléen attendu (true ou false), trouvé « %(value)s »", value=_short(text)))

    def format(self, value: Any) -> str:
        return "true" if value else "false"


class Date(Kind):
    doc = "date `YYYY-MM-DD`"

    def parse(self, text: str) -> date:
        text = text.strip()
        try:
            if len(text) != 10:
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise CellError(_l("date invalide « %(value)s » (attendu AAAA-MM-JJ)", value=_short(text))) from None

    def format(self, value: Any) -> str:
        return value.isoformat()


class DateTime(Kind):
    doc = "date and time `YYYY-MM-DDTHH:MM[:SS[.ffffff]]` (UTC; an offset such as `+02:00` is converted)"

    def parser(self) -> Callable[[str], Any]:
        parse, fromisoformat = self.parse, datetime.fromisoformat

        def fast(text: str) -> datetime:
            if len(text) == 19 and text[10] == "T":  # the exporter's own shape, no offset
                try:
                    value = fromisoformat(text)
                except ValueError:
                    value = None
                if value is not None and value.tzinfo is None:
                    return value
            return parse(text)

        return fast

    def parse(self, text: str) -> datetime:
        text = text.strip()
        try:
            if len(text) < 16 or text[10] not in "T ":
                raise ValueError
            value = datetime.fromisoformat(text)
        except ValueError:
            raise CellError(_l("date et heure invalides « %(value)s » (attendu AAAA-MM-JJTHH:MM[:SS])",
                               value=_short(text))) from None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def format(self, value: Any) -> str:
        return value.isoformat()


@dataclass(frozen=True)
class Enum(Kind):
    """A stored enumeration: the file holds the code (case-insensitive on import)."""

    choices: type[enum.Enum]

    @property
    def doc(self) -> str:  # type: ignore[override]
        return f"one of the values of `{self.choices.__name__}`"

    def values(self) -> list[str]:
        return [member.value for member in self.choices]

    def parser(self) -> Callable[[str], Any]:
        exact = frozenset(self.values())
        parse = self.parse
        return lambda text: text if text in exact else parse(text)

    def parse(self, text: str) -> str:
        value = _enum_lookup(self.choices).get(text.strip().lower())
        if value is None:
            raise CellError(_l("valeur inconnue « %(value)s » (valeurs permises : %(allowed)s)",
                               value=_short(text), allowed=", ".join(self.values())))
        return value

    def format(self, value: Any) -> str:
        return value.value if isinstance(value, enum.Enum) else str(value)


_ENUM_LOOKUPS: dict[type[enum.Enum], dict[str, str]] = {}


def _enum_lookup(choices: type[enum.Enum]) -> dict[str, str]:
    lookup = _ENUM_LOOKUPS.get(choices)
    if lookup is None:
        lookup = _ENUM_LOOKUPS[choices] = {m.value.lower(): m.value for m in choices}
    return lookup


@dataclass(frozen=True)
class EnumList(Kind):
    """``;``-separated codes of an enumeration, each at most once."""

    item: Enum
    max_items: int | None = None

    @property
    def doc(self) -> str:  # type: ignore[override]
        return f"`;`-separated list of values of `{self.item.choices.__name__}`"

    def parse(self, text: str) -> list[str]:
        return _parse_list(text, self.item.parse, self.max_items)

    def format(self, value: Any) -> str:
        return LIST_SEPARATOR.join(self.item.format(v) for v in value)


@dataclass(frozen=True)
class Code(Kind):
    """A code of a reference table (ROME, NAF, INSEE commune, size band), checked against it."""

    referential: str  # key of REFERENTIALS

    @property
    def doc(self) -> str:  # type: ignore[override]
        return REFERENTIALS[self.referential].doc

    def parse(self, text: str) -> str:
        return text.strip().upper()


@dataclass(frozen=True)
class CodeList(Kind):
    referential: str
    max_items: int | None = None

    @property
    def doc(self) -> str:  # type: ignore[override]
        limit = f", {self.max_items} at most" if self.max_items else ""
        return f"`;`-separated list of {REFERENTIALS[self.referential].doc}{limit}"

    def parse(self, text: str) -> list[str]:
        return _parse_list(text, lambda item: item.upper(), self.max_items)

    def format(self, value: Any) -> str:
        return LIST_SEPARATOR.join(value)


class JsonObject(Kind):
    doc = 'a JSON object, e.g. `{"max_age": 25}` (keys sorted on export)'

    def parse(self, text: str) -> dict[str, Any]:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise CellError(_l("objet JSON attendu, trouvé « %(value)s »", value=_short(text)))
        return value

    def format(self, value: Any) -> str:
        return json.dumps(value or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Ref(Kind):
    """The identifier of a row of another file (or of a row already in the database).

    ``targets`` maps the value of the ``switch`` column to the file referred to; a
    plain reference has one target under the key ``"*"``.
    """

    targets: Mapping[str, str]
    switch: str | None = None

    @property
    def doc(self) -> str:  # type: ignore[override]
        if self.switch is None:
            return f"identifier of a row of `{self.targets['*']}.csv` (or already imported)"
        cases = ", ".join(f"`{k}` → `{v}.csv`" for k, v in self.targets.items())
        return f"identifier, in the file given by `{self.switch}` ({cases})"

    def target(self, switch_value: str | None) -> str:
        return self.targets.get(switch_value or "*") or self.targets["*"]

    def parse(self, text: str) -> str:
        return text.strip()

    def parser(self) -> Callable[[str], Any]:
        return str.strip


def _parse_list(text: str, parse_item: Any, max_items: int | None) -> list[Any]:
    items = [parse_item(part.strip()) for part in text.split(LIST_SEPARATOR) if part.strip()]
    if max_items is not None and len(items) > max_items:
        raise CellError(_l("%(count)d éléments, %(max)d au plus", count=len(items), max=max_items))
    seen = set()
    for item in items:
        if item in seen:
            raise CellError(_l("élément « %(value)s » répété", value=item))
        seen.add(item)
    return items


def _check_bounds(value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise CellError(_l("valeur %(value)s inférieure au minimum %(min)s", value=value, min=minimum))
    if maximum is not None and value > maximum:
        raise CellError(_l("valeur %(value)s supérieure au maximum %(max)s", value=value, max=maximum))


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


@dataclass(frozen=True)
class Referential:
    table: str
    column: str
    doc: str
    unknown: Callable[[str], LazyString]  # the message for a code absent from the table


REFERENTIALS: dict[str, Referential] = {
    "rome": Referential("rome_occupation", "code", "ROME code (e.g. `M1607`)",
                        lambda value: _l("code ROME inconnu « %(value)s »", value=value)),
    "ogr": Referential("rome_appellation", "ogr_code", "OGR appellation code (e.g. `38584`)",
                       lambda value: _l("code d'appellation OGR inconnu « %(value)s »", value=value)),
    "naf": Referential("naf_code", "code", "NAF rév. 2 code without the dot (e.g. `5610A`)",
                       lambda value: _l("code NAF inconnu « %(value)s »", value=value)),
    "insee": Referential("commune", "insee_code", "INSEE commune code (e.g. `44109`)",
                         lambda value: _l("code INSEE de commune inconnu « %(value)s »", value=value)),
    "size_band": Referential("size_band", "code", "INSEE headcount band code (e.g. `12`)",
                             lambda value: _l("tranche d'effectif inconnue « %(value)s »", value=value)),
}


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    db: str | Mapping[str, str] | None = None  # target column (per switch value for a switched reference)
    mandatory: bool = False  # must appear in the header
    required: bool = False  # the cell must not be empty
    default: Any = None  # value for new rows when the cell is empty or the column absent
    doc: str = ""


def col(name: str, kind: Kind, db: str | Mapping[str, str] | None = "", *, mandatory: bool = True,
        required: bool = False, default: Any = None, doc: str = "") -> Column:
    """A column; ``db`` defaults to the column's own name (``None``: no direct database column)."""
    return Column(name, kind, name if db == "" else db, mandatory, required, default, doc)


def opt(name: str, kind: Kind, db: str | Mapping[str, str] | None = "", **options: Any) -> Column:
    """An optional column (may be absent from the header)."""
    return col(name, kind, db, mandatory=False, **options)


@dataclass(frozen=True)
class FileSpec:
    name: str  # file stem: ``agencies`` → agencies.csv
    table: str  # main database table
    columns: tuple[Column, ...]
    doc: str = ""
    # Columns (or groups of columns) whose values must be unique, in the file and in the database.
    unique: tuple[tuple[str, ...], ...] = ()
    # Columns remembered per identifier, for checks made by files that refer to this one.
    remember: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def id_column(self) -> Column:
        return self.columns[0]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def mandatory(self) -> list[str]:
        return [c.name for c in self.columns if c.mandatory]


def ext_id(name: str) -> Column:
    return col(name, Text(64), "external_id", required=True, doc="identifier in the source system (kept as `external_id`)")


def ref(name: str, target: str, db: str | None = None, **options: Any) -> Column:
    return col(name, Ref({"*": target}), db if db is not None else name, **options)


def ref_opt(name: str, target: str, db: str | None = None, **options: Any) -> Column:
    return opt(name, Ref({"*": target}), db if db is not None else name, **options)


SIRET = Text(14, r"\d{14}", "14 digits")
EMAIL = Text(254, r"[^@\s]+@[^@\s]+", "an e-mail address")
PHONE = Text(32)
STAFF_DOC = "identifier of a row of `staff.csv`"

FILES: tuple[FileSpec, ...] = (
    FileSpec("agencies", "agency", (
        ext_id("agency_id"),
        col("name", Text(160), required=True),
        col("commune_insee", Code("insee"), doc="its bassin d'emploi is taken from the commune"),
        opt("address", Text(255)),
    ), doc="Agencies (agences de proximité)."),
    FileSpec("staff", "user", (
        ext_id("staff_id"),
        ref("agency_id", "agencies", doc="empty for national staff (e.g. an administrator)"),
        col("team", Text(120), None, doc="team name within the agency; created when missing"),
        col("first_name", Text(80), required=True),
        col("last_name", Text(80), required=True),
        col("email", EMAIL, required=True, doc="unique; the login"),
        col("role", Enum(Role), required=True),
        opt("active", Boolean(), "is_active_account", default=True),
        opt("sector_segment", Text(64), doc="employer counselors: NAF sections, comma-separated"),
    ), doc="Staff members. Passwords are never imported nor exported: an administrator sets one with "
           "`flask --app crm users set-password EMAIL`.", unique=(("email",),), remember=("agency_id",)),
    FileSpec("job_seekers", "job_seeker", (
        ext_id("job_seeker_id"),
        ref("agency_id", "agencies", required=True),
        ref("counselor_id", "staff", "referent_id", doc="the referent counselor"),
        col("first_name", Text(80), required=True),
        col("last_name", Text(80), required=True),
        col("birth_date", Date(), required=True),
        col("gender", Enum(Gender), required=True),
        col("nationality", Enum(Nationality), required=True),
        col("commune_insee", Code("insee")),
        col("registration_date", Date(), required=True),
        col("modality", Enum(Modality), required=True),
        col("target_romes", CodeList("rome", 3), None, doc="target occupations, in order of priority (up to 3)"),
        col("contract_types", EnumList(Enum(ContractType)), default=[], doc="accepted contract types"),
        col("mobility_km", Integer(0, 500), default=20),
        col("education_level", Enum(EducationLevel), required=True),
        col("experience_months", Integer(0), default=0),
        col("rqth", Boolean(), default=False),
        col("rsa", Boolean(), default=False),
        col("qpv", Boolean(), default=False),
        col("digital_autonomy", Enum(DigitalAutonomy), required=True),
        col("rights_end_date", Date(), None, doc="end of the current benefit right (with the `rights_*` columns)"),
        col("exit_date", Date(), doc="the job seeker is `exited` when set, `active` otherwise"),
        col("exit_reason", Enum(ExitReason)),
        opt("registration_category", Enum(RegistrationCategory), default="A"),
        opt("modality_since", Date()),
        opt("benefits_counselor_id", Ref({"*": "staff"})),
        opt("zrr", Boolean(), default=False),
        opt("email", EMAIL, doc="personal data: include only when the counselors need it"),
        opt("phone", PHONE, doc="personal data: include only when the counselors need it"),
        opt("rights_kind", Enum(BenefitKind), None, doc="kind of the current benefit right (default `are`)"),
        opt("rights_start_date", Date(), None, doc="start of the current right (default: registration date)"),
        opt("rights_daily_amount", Money(), None, doc="daily amount of the current right (default 0.00)"),
    ), doc="Job seekers (demandeurs d'emploi). `target_romes` fills the target occupations; "
           "`rights_end_date` (with the optional `rights_*` columns) is the current benefit right, "
           "matched on its start date."),
    FileSpec("employers", "employer", (
        ext_id("employer_id"),
        col("siret", SIRET, required=True, doc="unique"),
        col("name", Text(200), required=True),
        col("naf_code", Code("naf")),
        col("size_band", Code("size_band"), "size_band_code"),
        col("commune_insee", Code("insee")),
        ref("counselor_id", "staff", doc="the dedicated employer counselor"),
        ref_opt("agency_id", "agencies", doc="required unless the counselor belongs to an agency (then theirs)"),
        opt("segment", Enum(EmployerSegment)),
        opt("address", Text(255)),
        opt("website", Text(255)),
    ), doc="Employers (establishments). An existing employer with the same SIRET and no external id is "
           "adopted (its external id is set).", unique=(("siret",),)),
    FileSpec("catalogue", "catalogue_item", (
        ext_id("item_id"),
        col("kind", Enum(CatalogueKind), required=True),
        col("title", Text(255), required=True),
        col("rome_codes", CodeList("rome"), None, doc="occupations the item leads to or serves"),
        col("commune_insee", Code("insee")),
        col("provider", Text(160)),
        col("duration_hours", Number(0)),
        col("eligibility", JsonObject(), default={}, doc="eligibility rules as data (see DOMAIN.md)"),
        opt("code", Text(32), doc="short code, e.g. `CPP`"),
        opt("funder", Text(120)),
        opt("partner_kind", Enum(PartnerKind), doc="for partner services"),
        opt("event_kind", Enum(EventKind), doc="for events"),
        opt("leads_to_certification", Boolean(), default=False),
        opt("active", Boolean(), default=True),
        ref_opt("employer_id", "employers", doc="for events organised with an employer"),
    ), doc="What can be proposed: trainings, workshops, prestations, partner services, events.",
        remember=("kind",)),
    FileSpec("sessions", "catalogue_session", (
        ext_id("session_id"),
        ref("item_id", "catalogue", required=True),
        col("start_date", Date(), "starts_on", required=True),
        col("end_date", Date(), "ends_on", doc="not before `start_date`"),
        col("capacity", Integer(0), required=True),
        col("commune_insee", Code("insee")),
        opt("place", Text(255)),
    ), doc="Dated sessions of catalogue items."),
    FileSpec("offers", "job_offer", (
        ext_id("offer_id"),
        ref("employer_id", "employers", required=True),
        col("rome_code", Code("rome"), required=True),
        col("title", Text(200), required=True),
        col("contract_type", Enum(ContractType), required=True),
        col("commune_insee", Code("insee")),
        col("created_date", Date(), "created_on", required=True),
        col("positions", Integer(1), default=1),
        col("accompanied", Boolean(), default=False),
        col("status", Enum(OfferStatus), default="open"),
        col("filled_date", Date(), "filled_on"),
        ref_opt("counselor_id", "staff"),
        opt("appellation_code", Code("ogr")),
        opt("contract_months", Integer(0)),
        opt("hours_per_week", Integer(0, 60)),
        opt("published_date", Date(), "published_on"),
        opt("closed_date", Date(), "closed_on"),
    ), doc="Job offers."),
    FileSpec("applications", "application", (
        ext_id("application_id"),
        ref("offer_id", "offers", required=True),
        ref("job_seeker_id", "job_seekers", required=True),
        col("created_at", DateTime(), required=True),
        col("status", Enum(ApplicationStatus), default="proposed"),
        col("outcome_date", Date()),
        ref_opt("staff_id", "staff", "created_by_id"),
        opt("origin", Enum(ApplicationOrigin), default="counselor"),
        opt("refusal_reason", Enum(RefusalReason)),
    ), doc="Mises en relation: a candidate put forward for an offer (one per offer and job seeker).",
        unique=(("offer_id", "job_seeker_id"),)),
    FileSpec("appointments", "appointment", (
        ext_id("appointment_id"),
        ref("job_seeker_id", "job_seekers", required=True),
        ref("staff_id", "staff"),
        col("scheduled_at", DateTime(), required=True),
        col("status", Enum(AppointmentStatus), default="planned"),
        opt("kind", Enum(AppointmentKind), default="follow_up"),
        opt("channel", Enum(Channel), default="in_person"),
        opt("duration_minutes", Integer(5, 480), default=30),
    ), doc="Appointments with job seekers."),
    FileSpec("referrals", "referral", (
        ext_id("referral_id"),
        ref("job_seeker_id", "job_seekers", required=True),
        ref("partner_item_id", "catalogue", required=True, doc="a catalogue item of kind `partner_service`"),
        col("referred_at", DateTime(), required=True),
        col("status", Enum(ReferralStatus), default="sent"),
        col("showed_up", Boolean(), doc="empty: not known yet"),
        ref_opt("staff_id", "staff", "referred_by_id"),
    ), doc="Referrals (orientations) to partners."),
    FileSpec("proposals", "proposal", (
        ext_id("proposal_id"),
        ref("job_seeker_id", "job_seekers", required=True),
        ref("staff_id", "staff", "author_id"),
        col("proposed_at", DateTime(), required=True),
        col("item_kind", Enum(ItemKind), required=True),
        col("item_id", Ref({"offer": "offers", "*": "catalogue"}, switch="item_kind"),
            {"offer": "offer_id", "*": "catalogue_item_id"}, required=True,
            doc="an offer when `item_kind` is `offer`, else a catalogue item of that kind"),
        col("response", Enum(ProposalResponse), default="pending"),
        col("outcome", Enum(ProposalOutcome), default="none"),
        ref_opt("session_id", "sessions"),
        opt("source", Enum(ProposalSource), default="counselor"),
        opt("responded_at", DateTime()),
        opt("prescribed_at", DateTime()),
        opt("started_date", Date(), "started_on"),
        opt("outcome_date", Date(), "outcome_on"),
    ), doc="What was proposed to job seekers, and what came of it."),
    FileSpec("interactions", "interaction", (
        ext_id("interaction_id"),
        col("occurred_at", DateTime(), required=True),
        col("party_kind", Enum(PartyKind), None, required=True),
        col("party_id", Ref({"job_seeker": "job_seekers", "employer": "employers"}, switch="party_kind"),
            {"job_seeker": "job_seeker_id", "employer": "employer_id"}, required=True),
        ref("staff_id", "staff", "author_id", doc="empty for online activity"),
        col("channel", Enum(Channel), required=True),
        col("direction", Enum(Direction), required=True),
        col("kind", Enum(InteractionKind), required=True),
        col("outcome", Enum(InteractionOutcome), default="done"),
        col("notes", Text(5000)),
        opt("origin", Enum(InteractionOrigin), default="import",
            doc="default `import`; `exploration` marks randomised contacts"),
    ), doc="Every contact with a job seeker or an employer, and online activity. After an import the "
           "derived last-contact dates of the people concerned are recomputed."),
    FileSpec("outcomes", "outcome_episode", (
        ext_id("outcome_id"),
        ref("job_seeker_id", "job_seekers", required=True),
        col("kind", Enum(OutcomeKind), required=True),
        col("start_date", Date(), "start_on", required=True),
        col("end_date", Date(), "end_on", doc="not before `start_date`"),
        col("contract_type", Enum(ContractType)),
        col("rome_code", Code("rome")),
        ref_opt("employer_id", "employers"),
        ref_opt("application_id", "applications"),
        ref_opt("item_id", "catalogue", "catalogue_item_id", doc="the training followed"),
    ), doc="Outcome episodes: employment, training, other exits."),
)

FILES_BY_NAME = {spec.name: spec for spec in FILES}

# Pairs of (start, end) columns where the end may not precede the start.
DATE_ORDER: dict[str, tuple[str, str]] = {
    "sessions": ("start_date", "end_date"),
    "outcomes": ("start_date", "end_date"),
}


def enumerations() -> dict[str, list[str]]:
    """Every enumeration used by the format: class name → allowed values (for the docs)."""
    found: dict[str, list[str]] = {}
    for spec in FILES:
        for column in spec.columns:
            kind = column.kind.item if isinstance(column.kind, EnumList) else column.kind
            if isinstance(kind, Enum):
                found[kind.choices.__name__] = kind.values()
    return dict(sorted(found.items()))


def referenced_files() -> set[str]:
    return {target for spec in FILES for column in spec.columns if isinstance(column.kind, Ref)
            for target in column.kind.targets.values()}



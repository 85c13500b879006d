"""Request and response shapes of the API, written once and used twice: to validate
what comes in (with per-field French messages) and to write the OpenAPI document.

A ``Field`` describes one JSON value (or one query-string parameter); an ``ObjectSpec``
an object of fields (a request body, or the query string). Responses are JSON Schema
dictionaries in ``COMPONENTS``, produced by the ``serialize_*`` functions next to them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from flask_babel import lazy_gettext as _l

INT32_MAX = 2_147_483_647
# Dates accepted from clients: anything outside is a typing error, not history.
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2100, 1, 1)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ValidationFailed(Exception):
    """Per-field messages (``{"field": "message"}``) for a 422."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = {name: str(message) for name, message in fields.items()}
        super().__init__(", ".join(self.fields))


@dataclass(frozen=True)
class Field:
    type: str  # string, integer, boolean, date, date-time, array (of strings)
    description: str = ""
    required: bool = False
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    max_items: int | None = None
    item_max_length: int | None = None
    default: Any = None

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any]
        if self.type == "date":
            schema = {"type": "string", "format": "date"}
        elif self.type == "date-time":
            schema = {"type": "string", "format": "date-time"}
        elif self.type == "array":
            item: dict[str, Any] = {"type": "string"}
            if self.item_max_length is not None:
                item["maxLength"] = self.item_max_length
            schema = {"type": "array", "items": item}
            if self.max_items is not None:
                schema["maxItems"] = self.max_items
        else:
            schema = {"type": self.type}
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        if self.type == "integer":  # what ``parse`` enforces (the database's integers)
            schema["minimum"] = self.minimum if self.minimum is not None else -INT32_MAX
            schema["maximum"] = self.maximum if self.maximum is not None else INT32_MAX
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        if self.default is not None:
            schema["default"] = self.default
        if self.nullable:
            schema["nullable"] = True
        if self.description:
            schema["description"] = self.description
        return schema

    # ------------------------------------------------------------------ validation

    def parse(self, value: Any, *, from_query: bool = False) -> Any:
        """The Python value, or ``ValueError`` with the French message."""
        if value is None:
            if self.nullable and not from_query:
                return None
            raise ValueError(_l("Ce champ ne peut pas être vide."))
        if self.type == "integer":
            return self._integer(value, from_query)
        if self.type == "boolean":
            return self._boolean(value, from_query)
        if self.type == "array":
            return self._array(value)
        if not isinstance(value, str):
            raise ValueError(_l("Une chaîne de caractères est attendue."))
        if "\x00" in value:
            raise ValueError(_l("Caractère non autorisé."))
        if self.type == "date":
            return _date(value)
        if self.type == "date-time":
            return _datetime(value)
        if self.enum is not None and value not in self.enum:
            raise ValueError(_l("Valeur non reconnue. Valeurs possibles : %(values)s.",
                                values=", ".join(self.enum)))
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(_l("Au plus %(max)s caractères.", max=self.max_length))
        if self.pattern is not None and not re.search(self.pattern, value):
            raise ValueError(_l("Format non reconnu."))
        return value

    def _integer(self, value: Any, from_query: bool) -> int:
        if from_query and isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_l("Un nombre entier est attendu."))
        low = self.minimum if self.minimum is not None else -INT32_MAX
        high = self.maximum if self.maximum is not None else INT32_MAX
        if not low <= value <= high:
            raise ValueError(_l("Un nombre entre %(low)s et %(high)s est attendu.", low=low, high=high))
        return value

    def _boolean(self, value: Any, from_query: bool) -> bool:
        if from_query and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise ValueError(_l("Vrai ou faux (true, false) est attendu."))
        return value

    def _array(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(_l("Une liste de chaînes de caractères est attendue."))
        if self.max_items is not None and len(value) > self.max_items:
            raise ValueError(_l("Au plus %(max)s éléments.", max=self.max_items))
        limit = self.item_max_length
        if any("\x00" in v or (limit is not None and len(v) > limit) for v in value):
            raise ValueError(_l("Chaque élément est limité à %(max)s caractères.", max=limit))
        return list(value)


def _date(value: str) -> date:
    try:
        if not DATE_RE.match(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(_l("Une date AAAA-MM-JJ est attendue.")) from None
    if not EARLIEST.date() <= day < LATEST.date():
        raise ValueError(_l("La date doit être comprise entre 2000 et 2099."))
    return day


def _datetime(value: str) -> datetime:
    """RFC 3339 (``2026-03-02T09:30:00+01:00``), stored as naive UTC; no offset means UTC."""
    try:
        if not DATE_RE.match(value[:10]) or len(value) < 16 or value[10] not in "Tt ":
            raise ValueError
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError(_l("Une date et heure ISO 8601 est attendue (2026-03-02T09:30:00+01:00).")) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    if not EARLIEST <= moment < LATEST:
        raise ValueError(_l("La date doit être comprise entre 2000 et 2099."))
    return moment


@dataclass(frozen=True)
class ObjectSpec:
    """A JSON object (a request body) or a query string, field by field."""

    name: str
    fields: dict[str, Field]
    description: str = ""
    # At least one of these must be present (and not null): e.g. a PATCH with nothing to change.
    one_of_required: tuple[str, ...] = ()
    extra_schema: dict[str, Any] = field(default_factory=dict)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: f.json_schema() for name, f in self.fields.items()},
            "additionalProperties": False,
        }
        required = [name for name, f in self.fields.items() if f.required]
        if required:
            schema["required"] = required
        if self.description:
            schema["description"] = self.description
        schema.update(self.extra_schema)
        return schema

    def parse_body(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ValidationFailed({"_body": _l("Un objet JSON est attendu.")})
        errors: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for name in data:
            if name not in self.fields:
                errors[str(name)[:64]] = _l("Champ inconnu.")
        for name, spec in self.fields.items():
            if name not in data:
                if spec.required:
                    errors[name] = _l("Ce champ est obligatoire.")
                continue
            try:
                values[name] = spec.parse(data[name])
            except ValueError as error:
                errors[name] = error.args[0]
        if not errors and self.one_of_required and not any(values.get(n) is not None for n in self.one_of_required):
            errors["_body"] = _l("Indiquez au moins un de ces champs : %(names)s.",
                                 names=", ".join(self.one_of_required))
        if errors:
            raise ValidationFailed(errors)
        return values

    def parse_query(self, args: Mapping[str, str]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if name not in args:
                values[name] = spec.default
                continue
            try:
                values[name] = spec.parse(args[name], from_query=True)
            except ValueError as error:
                errors[name] = error.args[0]
        if errors:
            raise ValidationFailed(errors)
        return values

    def query_parameters(self) -> list[dict[str, Any]]:
        return [{"name": name, "in": "query", "required": f.required, "schema": f.json_schema(),
                 **({"description": f.description} if f.description else {})}
                for name, f in self.fields.items()]


# --------------------------------------------------------------------------- helpers for responses


def iso_datetime(value: datetime | None) -> str | None:
    """Naive UTC → RFC 3339 with ``Z``."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def s(type_: str, *, nullable: bool = False, fmt: str | None = None, enum: list[str] | None = None,
      description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": type_}
    if fmt:
        schema["format"] = fmt
    if enum is not None:
        schema["enum"] = enum
    if nullable:
        schema["nullable"] = True
    if description:
        schema["description"] = description
    return schema


def obj(properties: dict[str, Any], *, description: str = "", nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": list(properties),
                              "additionalProperties": False}
    if description:
        schema["description"] = description
    if nullable:
        schema["nullable"] = True
    return schema


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def page_of(item: str) -> dict[str, Any]:
    return obj({"items": array(ref(item)), "page": s("integer"), "per_page": s("integer"),
                "total": s("integer")}, description=f"One page of {item} items.")


STRING = s("string")
NULLABLE_STRING = s("string", nullable=True)
DATE = s("string", fmt="date")
NULLABLE_DATE = s("string", fmt="date", nullable=True)
DATETIME = s("string", fmt="date-time")
NULLABLE_DATETIME = s("string", fmt="date-time", nullable=True)
INTEGER = s("integer")
NULLABLE_INTEGER = s("integer", nullable=True)
BOOLEAN = s("boolean")
PERSON_REF = obj({"id": INTEGER, "name": STRING}, nullable=True)


# --------------------------------------------------------------------------- response components

def _enum(choice: type) -> list[str]:
    return [m.value for m in choice]


def _components() -> dict[str, Any]:
    from crm.catalogue.models import CatalogueKind
    from crm.employers.models import EmployerSegment
    from crm.enums import ContractType, ItemKind, Modality
    from crm.interactions.models import (
        Channel, Direction, InteractionKind, InteractionOrigin, InteractionOutcome, ProposalResponse, ProposalSource,
    )
    from crm.jobseekers.models import BarrierKind, BenefitEventKind, BenefitKind, JobSeekerStatus
    from crm.offers.models import ApplicationOrigin, ApplicationStatus, OfferStatus
    from crm.organisation.models import Role

    del CatalogueKind  # item kinds are ItemKind's values
    named = obj({"id": INTEGER, "name": STRING}, nullable=True)
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": s("string", description="Stable code (English), e.g. `not_found`, `validation_error`, "
                                                    "`concurrent_edit` or a business rule such as `offer.rome_code`."),
                    "message": s("string", description="Explanation for a person (French by default)."),
                    "fields": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "Per-field messages (422); `_body` is the body as a whole."},
                },
            }},
        },
        "Me": obj({"id": INTEGER, "external_id": NULLABLE_STRING, "email": STRING, "first_name": STRING,
                   "last_name": STRING, "role": s("string", enum=_enum(Role)), "agency": named, "team": named}),
        "Target": obj({"rome_code": STRING, "label": NULLABLE_STRING, "rank": INTEGER}),
        "Alert": obj({"code": STRING, "label": STRING, "since": DATE}),
        "JobSeekerSummary": obj({
            "id": INTEGER, "external_id": NULLABLE_STRING, "first_name": STRING, "last_name": STRING,
            "modality": s("string", enum=_enum(Modality)), "registration_date": DATE,
            "last_contact_at": NULLABLE_DATETIME, "next_appointment_at": NULLABLE_DATETIME,
            "referent": PERSON_REF, "targets": array(ref("Target")), "alerts": array(ref("Alert")),
        }),
        "JobSeekerFile": obj({
            "id": INTEGER, "external_id": NULLABLE_STRING, "first_name": STRING, "last_name": STRING,
            "birth_date": DATE, "email": NULLABLE_STRING, "phone": NULLABLE_STRING,
            "commune_insee": NULLABLE_STRING, "agency": named, "referent": PERSON_REF,
            "benefits_counselor": PERSON_REF, "registration_date": DATE, "registration_category": STRING,
            "modality": s("string", enum=_enum(Modality)), "modality_since": NULLABLE_DATE,
            "status": s("string", enum=_enum(JobSeekerStatus)), "exit_date": NULLABLE_DATE,
            "targets": array(ref("Target")), "contract_types": array(STRING), "mobility_km": INTEGER,
            "education_level": STRING, "experience_months": INTEGER, "digital_autonomy": STRING,
            "available_from": NULLABLE_DATE, "languages": array(STRING), "skills": array(STRING),
            "work_axes": array(STRING),
            "flags": obj({name: BOOLEAN for name in ("under_26", "over_50", "long_term_unemployed", "rsa", "rqth",
                                                      "qpv", "zrr")}),
            "barriers": array(obj({"kind": s("string", enum=_enum(BarrierKind)), "noted_on": DATE,
                                   "resolved_on": NULLABLE_DATE})),
            "alerts": array(ref("Alert")),
            "benefits": obj({
                "current_right": obj({"kind": s("string", enum=_enum(BenefitKind)), "start_on": DATE,
                                      "end_on": DATE, "daily_amount": STRING}, nullable=True),
                "ending_soon": BOOLEAN,
                "events_to_explain": array(obj({"kind": s("string", enum=_enum(BenefitEventKind)),
                                                "occurred_on": DATE, "amount": NULLABLE_STRING,
                                                "description": NULLABLE_STRING})),
            }, description="Benefits summary: the right in force, and pending decisions or overpayments."),
            "last_contact_at": NULLABLE_DATETIME, "last_online_at": NULLABLE_DATETIME,
            "access": s("string", enum=["read", "write"], description="What the token's user may do on this file."),
            "version": INTEGER,
        }),
        "TimelineEntry": obj({
            "type": s("string", enum=["interaction", "appointment", "proposal", "referral", "application",
                                      "outcome"]),
            "id": INTEGER, "at": DATETIME, "kind": NULLABLE_STRING, "channel": NULLABLE_STRING,
            "direction": NULLABLE_STRING, "outcome": NULLABLE_STRING, "status": NULLABLE_STRING,
            "title": NULLABLE_STRING, "notes": NULLABLE_STRING, "author": PERSON_REF,
        }),
        "TimelinePage": obj({"items": array(ref("TimelineEntry")), "page": INTEGER, "per_page": INTEGER,
                             "has_more": BOOLEAN},
                            description="Newest first; the merged timeline has no cheap total, hence `has_more`."),
        "Interaction": obj({
            "id": INTEGER, "job_seeker_id": INTEGER, "occurred_at": DATETIME,
            "channel": s("string", enum=_enum(Channel)), "direction": s("string", enum=_enum(Direction)),
            "kind": s("string", enum=_enum(InteractionKind)), "outcome": s("string", enum=_enum(InteractionOutcome)),
            "origin": s("string", enum=_enum(InteractionOrigin)), "notes": NULLABLE_STRING, "author": PERSON_REF,
        }),
        "Proposal": obj({
            "id": INTEGER, "job_seeker_id": INTEGER, "item_kind": s("string", enum=_enum(ItemKind)),
            "offer_id": NULLABLE_INTEGER, "catalogue_item_id": NULLABLE_INTEGER, "session_id": NULLABLE_INTEGER,
            "proposed_at": DATETIME, "response": s("string", enum=_enum(ProposalResponse)),
            "source": s("string", enum=_enum(ProposalSource)), "arguments": array(STRING), "author": PERSON_REF,
        }),
        "Employer": obj({
            "id": INTEGER, "external_id": NULLABLE_STRING, "siret": STRING, "name": STRING,
            "naf_code": NULLABLE_STRING, "size_band": NULLABLE_STRING, "commune_insee": NULLABLE_STRING,
            "segment": s("string", enum=_enum(EmployerSegment), nullable=True), "counselor": PERSON_REF,
            "last_contact_at": NULLABLE_DATETIME, "access": s("string", enum=["read", "write"]),
            "version": INTEGER,
        }),
        "Offer": obj({
            "id": INTEGER, "external_id": NULLABLE_STRING, "employer_id": INTEGER, "counselor": PERSON_REF,
            "title": STRING, "rome_code": STRING, "contract_type": s("string", enum=_enum(ContractType)),
            "positions": INTEGER, "commune_insee": NULLABLE_STRING, "description": NULLABLE_STRING,
            "contract_months": NULLABLE_INTEGER, "hours_per_week": NULLABLE_INTEGER,
            "status": s("string", enum=_enum(OfferStatus)), "accompanied": BOOLEAN, "created_on": DATE,
            "published_on": NULLABLE_DATE, "filled_on": NULLABLE_DATE, "closed_on": NULLABLE_DATE,
            "version": s("integer", description="Send it back with a change: a stale one gives 409."),
        }),
        "Application": obj({
            "id": INTEGER, "external_id": NULLABLE_STRING, "offer_id": INTEGER, "job_seeker_id": INTEGER,
            "status": s("string", enum=_enum(ApplicationStatus)), "origin": s("string", enum=_enum(ApplicationOrigin)),
            "created_at": DATETIME, "version": INTEGER,
        }),
        "JobSeekerPage": page_of("JobSeekerSummary"),
        "EmployerPage": page_of("Employer"),
        **_priority_components(),
    }


def _priority_components() -> dict[str, Any]:
    from crm.enums import Modality
    from crm.employers.models import EmployerSegment
    from crm.interactions.models import FeedbackAction

    number = s("number", nullable=True)
    ranking = {
        "rank": s("integer", nullable=True, description="1 = to contact first; null when the person was not "
                                                         "scored (registered since, or no published scores)."),
        "score": number, "outcome_probability": number, "uplift": number,
        "exploration": s("boolean", description="Randomly selected (exploration): contact as the others."),
        "urgent": s("boolean", description="At least one reason has a deadline or a missed event behind it."),
        "contacted_since_scoring": s("boolean", description="A meaningful contact took place since the scoring "
                                                           "day (listed after the others)."),
        "reasons": array(ref("PriorityReason")),
        "scored_on": NULLABLE_DATE,
        "model_version": obj({"id": INTEGER, "version": STRING}, nullable=True,
                             description="The published model the rank comes from; null: no published scores "
                                         "(the portfolio by longest without contact, the file's alerts as reasons)."),
    }
    return {
        "PriorityReason": obj({"code": STRING, "text": s("string", description="In the request's language."),
                               "urgent": BOOLEAN}),
        "PriorityJobSeeker": obj({
            "id": INTEGER, "external_id": NULLABLE_STRING, "first_name": STRING, "last_name": STRING,
            "modality": s("string", enum=_enum(Modality)), "last_contact_at": NULLABLE_DATETIME, **ranking}),
        "PriorityEmployer": obj({
            "id": INTEGER, "external_id": NULLABLE_STRING, "siret": STRING, "name": STRING,
            "segment": s("string", enum=_enum(EmployerSegment), nullable=True),
            "last_contact_at": NULLABLE_DATETIME, **ranking}),
        "PriorityJobSeekerPage": page_of("PriorityJobSeeker"),
        "PriorityEmployerPage": page_of("PriorityEmployer"),
        "PriorityFeedback": obj({
            "id": INTEGER, "at": DATETIME,
            "action": s("string", enum=[FeedbackAction.DISMISS.value, FeedbackAction.SNOOZE.value]),
            "reason": STRING, "comment": NULLABLE_STRING, "snoozed_until": NULLABLE_DATE,
            "job_seeker_id": NULLABLE_INTEGER, "employer_id": NULLABLE_INTEGER, "model_version_id": NULLABLE_INTEGER,
        }),
        **_recommendation_components(),
    }


def _recommendation_components() -> dict[str, Any]:
    from recommender.schema import ITEM_KINDS

    reason = obj({"code": STRING, "text": s("string", description="In the request's language.")})
    version = obj({"id": INTEGER, "version": STRING}, nullable=True,
                  description="The published model the ranking comes from; null: ranked by the rules.")
    return {
        "Recommendation": obj({
            "item_kind": s("string", enum=list(ITEM_KINDS)),
            "item_id": s("integer", description="The offer's id for `offer`, else the catalogue item's."),
            "session_id": s("integer", nullable=True, description="The session to propose (catalogue items)."),
            "title": STRING, "rank": INTEGER, "score": s("number"),
            "out_of_project": s("boolean", description="A training toward an occupation unrelated to the project."),
            "reasons": array(reason)}),
        "RecommendationList": obj({"job_seeker_id": INTEGER, "model_version": version,
                                   "items": array(ref("Recommendation"))}),
        "Candidate": obj({"job_seeker_id": INTEGER, "external_id": NULLABLE_STRING, "first_name": STRING,
                          "last_name": STRING, "rank": INTEGER, "score": s("number"),
                          "distance_km": s("number", nullable=True), "reasons": array(reason)}),
        "CandidateList": obj({"offer_id": INTEGER, "model_version": version, "items": array(ref("Candidate"))}),
        "RecommendationFeedback": obj({
            "id": INTEGER, "at": DATETIME, "context": s("string", enum=["recommendation", "candidate"]),
            "reason": STRING, "comment": NULLABLE_STRING, "job_seeker_id": INTEGER,
            "item_kind": s("string", nullable=True), "offer_id": NULLABLE_INTEGER,
            "catalogue_item_id": NULLABLE_INTEGER, "model_version_id": NULLABLE_INTEGER}),
    }


COMPONENTS: dict[str, Any] = {}


def components() -> dict[str, Any]:
    if not COMPONENTS:
        COMPONENTS.update(_components())
    return COMPONENTS


# --------------------------------------------------------------------------- serializers


def person(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "name": user.full_name}


def named(obj_: Any) -> dict[str, Any] | None:
    return None if obj_ is None else {"id": obj_.id, "name": obj_.name}


def serialize_me(user: Any) -> dict[str, Any]:
    return {"id": user.id, "external_id": user.external_id, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "role": user.role.value, "agency": named(user.agency),
            "team": named(user.team)}


def serialize_target(target: Any) -> dict[str, Any]:
    occupation = target.occupation
    return {"rome_code": target.rome_code, "label": occupation.label if occupation is not None else None,
            "rank": target.rank}


def serialize_alert(alert: Any) -> dict[str, Any]:
    return {"code": alert.code, "label": str(alert.label), "since": iso_date(alert.since)}


def serialize_summary(row: Any) -> dict[str, Any]:
    p = row.job_seeker
    return {"id": p.id, "external_id": p.external_id, "first_name": p.first_name, "last_name": p.last_name,
            "modality": p.modality.value, "registration_date": iso_date(p.registration_date),
            "last_contact_at": iso_datetime(p.last_contact_at),
            "next_appointment_at": iso_datetime(row.next_appointment_at), "referent": person(p.referent),
            "targets": [serialize_target(t) for t in p.targets], "alerts": [serialize_alert(a) for a in row.alerts]}


def serialize_file(p: Any, *, today: date, alerts: list[Any], access: str,
                   rights: list[Any], events: list[Any]) -> dict[str, Any]:
    current = next((line.right for line in rights if line.current), None)
    return {
        "id": p.id, "external_id": p.external_id, "first_name": p.first_name, "last_name": p.last_name,
        "birth_date": iso_date(p.birth_date), "email": p.email, "phone": p.phone, "commune_insee": p.commune_insee,
        "agency": named(p.agency), "referent": person(p.referent), "benefits_counselor": person(p.benefits_counselor),
        "registration_date": iso_date(p.registration_date), "registration_category": p.registration_category.value,
        "modality": p.modality.value, "modality_since": iso_date(p.modality_since), "status": p.status.value,
        "exit_date": iso_date(p.exit_date), "targets": [serialize_target(t) for t in p.targets],
        "contract_types": list(p.contract_types or []), "mobility_km": p.mobility_km,
        "education_level": p.education_level.value, "experience_months": p.experience_months,
        "digital_autonomy": p.digital_autonomy.value, "available_from": iso_date(p.available_from),
        "languages": list(p.languages or []), "skills": list(p.skills or []), "work_axes": list(p.work_axes or []),
        "flags": p.priority_flags(today),
        "barriers": [{"kind": b.kind.value, "noted_on": iso_date(b.noted_on), "resolved_on": iso_date(b.resolved_on)}
                     for b in p.barriers],
        "alerts": [serialize_alert(a) for a in alerts],
        "benefits": {
            "current_right": None if current is None else {
                "kind": current.kind.value, "start_on": iso_date(current.start_on), "end_on": iso_date(current.end_on),
                "daily_amount": str(current.daily_amount)},
            "ending_soon": any(line.ending_soon for line in rights),
            "events_to_explain": [{"kind": e.event.kind.value, "occurred_on": iso_date(e.event.occurred_on),
                                   "amount": None if e.event.amount is None else str(e.event.amount),
                                   "description": e.event.description} for e in events if e.calls_for_contact],
        },
        "last_contact_at": iso_datetime(p.last_contact_at), "last_online_at": iso_datetime(p.last_online_at),
        "access": access, "version": p.version,
    }


def _value(member: Any) -> str | None:
    return None if member is None else member.value


def serialize_entry(entry: Any) -> dict[str, Any]:
    o = entry.obj
    base: dict[str, Any] = {"type": entry.type, "id": o.id, "at": iso_datetime(entry.at), "kind": None,
                            "channel": None, "direction": None, "outcome": None, "status": None, "title": None,
                            "notes": None, "author": None}
    if entry.type == "interaction":
        base.update(kind=o.kind.value, channel=o.channel.value, direction=o.direction.value,
                    outcome=o.outcome.value, notes=o.notes, author=person(o.author))
    elif entry.type == "appointment":
        base.update(kind=o.kind.value, channel=o.channel.value, status=o.status.value, notes=o.notes,
                    author=person(o.staff))
    elif entry.type == "proposal":
        item = o.offer if o.offer is not None else o.catalogue_item
        base.update(kind=o.item_kind.value, status=o.response.value, title=item.title if item else None,
                    author=person(o.author))
    elif entry.type == "referral":
        base.update(status=o.status.value, title=o.partner_item.title if o.partner_item else None,
                    author=person(o.referred_by))
    elif entry.type == "application":
        base.update(status=o.status.value, title=o.offer.title if o.offer else None, author=person(o.created_by))
    else:  # outcome
        base.update(kind=_value(o.kind), title=o.employer.name if o.employer else None)
    return base


def serialize_interaction(i: Any) -> dict[str, Any]:
    return {"id": i.id, "job_seeker_id": i.job_seeker_id, "occurred_at": iso_datetime(i.occurred_at),
            "channel": i.channel.value, "direction": i.direction.value, "kind": i.kind.value,
            "outcome": i.outcome.value, "origin": i.origin.value, "notes": i.notes, "author": person(i.author)}


def serialize_proposal(p: Any) -> dict[str, Any]:
    return {"id": p.id, "job_seeker_id": p.job_seeker_id, "item_kind": p.item_kind.value, "offer_id": p.offer_id,
            "catalogue_item_id": p.catalogue_item_id, "session_id": p.session_id,
            "proposed_at": iso_datetime(p.proposed_at), "response": p.response.value, "source": p.source.value,
            "arguments": list(p.arguments or []), "author": person(p.author)}


def serialize_employer(e: Any, *, access: str) -> dict[str, Any]:
    return {"id": e.id, "external_id": e.external_id, "siret": e.siret, "name": e.name, "naf_code": e.naf_code,
            "size_band": e.size_band_code, "commune_insee": e.commune_insee, "segment": _value(e.segment),
            "counselor": person(e.counselor), "last_contact_at": iso_datetime(e.last_contact_at), "access": access,
            "version": e.version}


def serialize_offer(o: Any) -> dict[str, Any]:
    return {"id": o.id, "external_id": o.external_id, "employer_id": o.employer_id, "counselor": person(o.counselor),
            "title": o.title, "rome_code": o.rome_code, "contract_type": o.contract_type.value,
            "positions": o.positions, "commune_insee": o.commune_insee, "description": o.description,
            "contract_months": o.contract_months, "hours_per_week": o.hours_per_week, "status": o.status.value,
            "accompanied": bool(o.accompanied), "created_on": iso_date(o.created_on),
            "published_on": iso_date(o.published_on), "filled_on": iso_date(o.filled_on),
            "closed_on": iso_date(o.closed_on), "version": o.version}


def serialize_application(a: Any) -> dict[str, Any]:
    return {"id": a.id, "external_id": a.external_id, "offer_id": a.offer_id, "job_seeker_id": a.job_seeker_id,
            "status": a.status.value, "origin": a.origin.value, "created_at": iso_datetime(a.created_at),
            "version": a.version}


def serialize_priority_entry(entry: Any, plist: Any) -> dict[str, Any]:
    o, score = entry.obj, entry.score
    version = None if score is None or plist.version is None else {"id": plist.version.id,
                                                                    "version": plist.version.version}
    ranking = {
        "rank": entry.rank, "score": None if score is None else score.score,
        "outcome_probability": None if score is None else score.outcome_probability,
        "uplift": None if score is None else score.uplift, "exploration": entry.exploration,
        "urgent": entry.urgent, "contacted_since_scoring": entry.contacted_since,
        "reasons": [{"code": r.code, "text": str(r.text), "urgent": r.urgent} for r in entry.reasons],
        "scored_on": None if score is None else iso_date(score.scored_on), "model_version": version,
    }
    if entry.party == "employer":
        return {"id": o.id, "external_id": o.external_id, "siret": o.siret, "name": o.name,
                "segment": _value(o.segment), "last_contact_at": iso_datetime(o.last_contact_at), **ranking}
    return {"id": o.id, "external_id": o.external_id, "first_name": o.first_name, "last_name": o.last_name,
            "modality": o.modality.value, "last_contact_at": iso_datetime(o.last_contact_at), **ranking}


def serialize_priority_feedback(f: Any) -> dict[str, Any]:
    return {"id": f.id, "at": iso_datetime(f.at), "action": f.action.value, "reason": f.reason,
            "comment": f.comment, "snoozed_until": iso_date(f.snoozed_until), "job_seeker_id": f.job_seeker_id,
            "employer_id": f.employer_id, "model_version_id": f.model_version_id}


def serialize_recommendation_feedback(f: Any) -> dict[str, Any]:
    return {"id": f.id, "at": iso_datetime(f.at), "context": f.context.value, "reason": f.reason,
            "comment": f.comment, "job_seeker_id": f.job_seeker_id,
            "item_kind": f.item_kind.value if f.item_kind else None, "offer_id": f.offer_id,
            "catalogue_item_id": f.catalogue_item_id, "model_version_id": f.model_version_id}

"""Writing the audit trail: one event per act on a record (who, what, when, why)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from crm.audit.models import AuditEvent
from crm.extensions import db

# Where the acts of the current request come from ("web", "api", "cli") and the client's
# address: set once by the HTTP layer (e.g. the API), so services called from there are
# traced with it without taking it as an argument.
_origin: ContextVar[tuple[str, str | None] | None] = ContextVar("audit_origin", default=None)


@contextmanager
def origin(channel: str, address: str | None = None) -> Iterator[None]:
    """Within this block, events recorded without an explicit channel get ``channel``
    (and ``address`` when they have none)."""
    token = _origin.set((channel, address))
    try:
        yield
    finally:
        _origin.reset(token)


def record(
    *,
    user: Any,
    action: str,
    entity: Any,
    job_seeker: Any = None,
    employer: Any = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    channel: str | None = None,
    address: str | None = None,
) -> AuditEvent:
    """Record that ``user`` did ``action`` (e.g. ``"job_seeker.transfer"``) on ``entity``.

    ``entity`` is a mapped object (its table name and id are stored). The person or
    employer concerned is taken from ``entity`` when it is one, or from its
    ``job_seeker_id`` / ``employer_id``, so a subject-access export finds the event.
    """
    current = _origin.get()
    if channel is None:
        channel = current[0] if current is not None else "web"
        if address is None and current is not None:
            address = current[1]
    if getattr(entity, "id", None) is None:
        db.session.flush()  # the entity needs its id
    job_seeker_id = _party_id(entity, job_seeker, "job_seeker")
    employer_id = _party_id(entity, employer, "employer")
    event = AuditEvent(
        user_id=getattr(user, "id", None),
        action=action,
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        job_seeker_id=job_seeker_id,
        employer_id=employer_id,
        reason=(reason or None) and reason[:255],
        details=details or {},
        channel=channel,
        address=address,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _party_id(entity: Any, explicit: Any, table: str) -> int | None:
    if explicit is not None:
        return explicit.id
    if entity.__tablename__ == table:
        return entity.id
    return getattr(entity, f"{table}_id", None)

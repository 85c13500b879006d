"""Shared column helpers for the typed models."""

from __future__ import annotations

import enum
import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    """Naive UTC timestamp: the same value on SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def enum_type(enum_cls: type[enum.Enum], length: int = 32) -> sa.Enum:
    """Store an enum by its value in a VARCHAR (no native type: portable, easy to extend)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Choice(str, enum.Enum):
    """Base for domain enumerations: the value is the stored code."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=sa.text("CURRENT_TIMESTAMP"))
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=sa.text("CURRENT_TIMESTAMP")
    )


class VersionedMixin:
    """Optimistic concurrency: a row carries a version that every UPDATE checks and bumps.

    Forms carry the ``version`` they were rendered with; services compare it before
    writing so a concurrent edit is reported, never overwritten. SQLAlchemy also
    raises ``StaleDataError`` if the row changed between read and flush.
    """

    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}


def in_ids(column: Any, ids: Any) -> sa.ColumnElement[bool]:
    """``column IN ids`` with a single bound parameter whatever the number of ids: an array on
    PostgreSQL (``= ANY(:ids)``), a JSON array read by ``json_each`` on SQLite. An ``IN`` list
    of thousands of ids costs more to compile and send than to run."""
    from crm.extensions import db

    values = [int(i) for i in ids]
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.literal(values, ARRAY(sa.Integer)))
    table = sa.func.json_each(sa.literal(json.dumps(values))).table_valued("value")
    return column.in_(sa.select(table.c.value))

"""Helpers shared by the reference-data tests."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.referentials.importer import TABLES_BY_NAME


def table_checksum(session: Session, table_name: str) -> str:
    """SHA-256 of every row of a table in primary-key order: equal checksums, identical content."""
    table = TABLES_BY_NAME[table_name]
    digest = hashlib.sha256()
    for row in session.execute(sa.select(table).order_by(*table.primary_key.columns)):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def row_counts(session: Session) -> dict[str, int]:
    return {
        name: session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for name, table in TABLES_BY_NAME.items()
    }

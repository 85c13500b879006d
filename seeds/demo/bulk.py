"""Bulk inserts: ``executemany`` on SQLite, ``COPY … FROM STDIN`` on PostgreSQL.

The demo writes millions of rows for the ``large`` size, so rows go straight to the
driver in chunks instead of through ORM objects. Values are encoded once here so both
databases store the same text for dates and JSON (and SQLite never needs the Python
date adapters that are deprecated since 3.12). On PostgreSQL (psycopg 3) the inserts go
through ``COPY`` on the same connection, inside the same transaction: the encoded values
are written as text and PostgreSQL parses them exactly as it parses the untyped string
parameters of an ``INSERT`` (dates, timestamps, JSON text, numerics), so the stored rows
are the same either way. Updates stay ``executemany``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

CHUNK_ROWS = 20_000
# Set PROXIMA_DEMO_CHECK_RAW=1 to verify that "raw" rows really hold only plain values (slow).
CHECK_RAW = bool(os.environ.get("PROXIMA_DEMO_CHECK_RAW"))
PLAIN = (type(None), bool, int, float, str)


def _check_raw(table: str, rows: Sequence[Sequence[Any]]) -> None:
    for row in rows:
        for value in row:
            if type(value) not in PLAIN:
                raise TypeError(f"{table}: {type(value).__name__} value {value!r} in a raw row {row!r}")


def encode(value: Any) -> Any:
    """Turn a Python value into what both drivers accept and store identically."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        # SQLAlchemy's own SQLite storage format, so ORM reads give the same value.
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "value"):  # enum members
        return value.value
    return value


class BulkWriter:
    """Chunked ``INSERT``/``UPDATE`` executemany on one connection (inserts: ``COPY`` on PostgreSQL).

    ``counts`` keeps the number of rows written per table (printed at the end, and
    used to set PostgreSQL sequences once explicit ids were inserted).
    """

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.placeholder = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        # COPY needs psycopg 3 (``Cursor.copy``); another PostgreSQL driver keeps executemany.
        self.copy = self.dialect == "postgresql" and conn.dialect.driver == "psycopg"
        self.quote = conn.dialect.identifier_preparer.quote
        self.counts: dict[str, int] = {}
        self.seconds = 0.0  # wall time spent in the driver
        self.cpu_seconds = 0.0

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], raw: bool) -> None:
        """PostgreSQL: one ``COPY`` for the rows, through psycopg 3 on this connection's transaction."""
        cols = ", ".join(self.quote(c) for c in columns)
        wall, cpu = time.perf_counter(), time.process_time()
        n = 0
        cursor = self.conn.connection.driver_connection.cursor()
        try:
            with cursor.copy(f"COPY {self.quote(table)} ({cols}) FROM STDIN") as copy:
                if raw and isinstance(rows, list):
                    if CHECK_RAW:
                        _check_raw(table, rows)
                    for row in rows:
                        copy.write_row(row)
                    n = len(rows)
                else:
                    for row in rows:
                        copy.write_row(tuple(encode(v) for v in row))
                        n += 1
        finally:
            cursor.close()
        self.seconds += time.perf_counter() - wall
        self.cpu_seconds += time.process_time() - cpu
        self.counts[table] = self.counts.get(table, 0) + n

    def _execute(self, sql: str, chunk: list[tuple[Any, ...]], table: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.conn.exec_driver_sql(sql, chunk)
        self.seconds += time.perf_counter() - wall
        self.cpu_seconds += time.process_time() - cpu
        self.counts[table] = self.counts.get(table, 0) + len(chunk)

    def _run(self, sql: str, rows: Iterable[Sequence[Any]], table: str, raw: bool = False) -> None:
        if raw and isinstance(rows, list):
            # Rows already hold only what both drivers store as is (str, int, float, bool, None).
            for start in range(0, len(rows), CHUNK_ROWS):
                chunk = rows[start:start + CHUNK_ROWS]
                if CHECK_RAW:
                    _check_raw(table, chunk)
                self._execute(sql, chunk, table)
            return
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(tuple(encode(v) for v in row))
            if len(chunk) >= CHUNK_ROWS:
                self._execute(sql, chunk, table)
                chunk = []
        if chunk:
            self._execute(sql, chunk, table)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: bool = False) -> None:
        """``raw``: the rows (a list) are already encoded, see ``encode``; they go to the driver untouched."""
        if self.copy:
            self._copy(table, columns, rows, raw)
            return
        cols = ", ".join(self.quote(c) for c in columns)
        marks = ", ".join([self.placeholder] * len(columns))
        sql = f"INSERT INTO {self.quote(table)} ({cols}) VALUES ({marks})"
        self._run(sql, rows, table, raw)

    def update(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: str = "id") -> None:
        """``UPDATE table SET columns… WHERE key = ?``; each row is the new values then the key."""
        sets = ", ".join(f"{self.quote(c)} = {self.placeholder}" for c in columns)
        sql = f"UPDATE {self.quote(table)} SET {sets} WHERE {self.quote(key)} = {self.placeholder}"
        self._run(sql, rows, table + "#update")

    def reset_sequences(self, tables: Iterable[str]) -> None:
        """PostgreSQL: move each ``id`` sequence past the explicit ids the demo inserted."""
        if self.dialect != "postgresql":
            return
        for table in tables:
            q = self.quote(table)
            self.conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{q}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {q}), 0) + 1, false)"
            )

"""Optimistic concurrency for versioned rows (``crm.db.VersionedMixin``).

A form carries the ``version`` of the row it was rendered with; the service calls
``check_version`` before changing anything, and flushes through ``flush`` so that a
change made between the check and the write (SQLAlchemy's ``StaleDataError``) is
reported the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from crm.errors import ConcurrentEditError
from crm.extensions import db


def check_version(obj: Any, expected_version: int | str | None) -> None:
    """Raise ``ConcurrentEditError`` unless ``obj`` is still at ``expected_version``.

    ``None`` means the caller edits without a rendered form (a system job) and skips
    the check; views always pass the version their form carried.
    """
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ConcurrentEditError() from None
    if obj.version != expected:
        raise ConcurrentEditError()


def flush() -> None:
    """Flush the session, reporting a row changed meanwhile as a ``ConcurrentEditError``."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ConcurrentEditError() from exc

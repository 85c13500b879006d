"""Searching the ROME tree: occupations and their appellations (OGR), by code or words.

Accent- and case-insensitive on SQLite and PostgreSQL alike, without extensions
(PostgreSQL's ``unaccent`` may not be installed; SQLite's ``lower`` only folds ASCII):
the database narrows the candidates with a ``LIKE`` in which every letter that may
carry an accent is a one-character wildcard (``électricien`` → ``%_l_ctr__n%``), then
Python keeps the labels that really contain each word once both are folded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from crm.extensions import db
from crm.referentials.models import RomeAppellation, RomeOccupation

MAX_RESULTS = 20
MIN_QUERY_LENGTH = 2

MAX_CANDIDATES = 400  # rows read per table before the exact (folded) filter
_ACCENTABLE = re.compile(r"[aeiouyc]")
_ROME_CODE = re.compile(r"^[A-Za-z]\d{0,4}$")


@dataclass(frozen=True)
class RomeMatch:
    """An occupation (``appellation_code`` is None) or an appellation under ``rome_code``."""

    rome_code: str
    label: str
    occupation_label: str
    appellation_code: str | None = None

    @property
    def value(self) -> str:
        """What a form posts for this choice: ``M1607`` or ``M1607:38795``."""
        return f"{self.rome_code}:{self.appellation_code}" if self.appellation_code else self.rome_code

    def as_dict(self) -> dict[str, str | None]:
        return {"value": self.value, "rome_code": self.rome_code, "appellation_code": self.appellation_code,
                "label": self.label, "occupation_label": self.occupation_label}


def fold(text: str) -> str:
    """Lower case, without accents (``Électricien`` → ``electricien``)."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    escaped = escaped.replace("oe", "%").replace("ae", "%")  # œ, æ are one character in labels
    return "%" + _ACCENTABLE.sub("_", escaped) + "%"


def _words(query: str) -> list[str]:
    return [w for w in re.split(r"[\s'’,;/()-]+", fold(query)) if w]


def search_rome(query: str, *, limit: int = MAX_RESULTS) -> list[RomeMatch]:
    """Occupations, then appellations, whose label contains every word of ``query``
    (or whose ROME code starts with it); at most ``limit``, occupations first."""
    query = (query or "").strip()
    if len(query) < MIN_QUERY_LENGTH:
        return []
    limit = max(1, min(limit, MAX_RESULTS))
    results: list[RomeMatch] = []
    if _ROME_CODE.match(query) and any(ch.isdigit() for ch in query):
        rows = db.session.execute(
            sa.select(RomeOccupation.code, RomeOccupation.label)
            .where(RomeOccupation.code.like(query.upper() + "%"))
            .order_by(RomeOccupation.code).limit(limit))
        return [RomeMatch(code, label, label) for code, label in rows]
    words = _words(query)
    if not words:
        return []

    def candidates(statement: sa.Select, column: sa.ColumnElement[str]) -> list[sa.Row]:
        rows = db.session.execute(
            statement.where(*(sa.func.lower(column).like(_like_pattern(w), escape="\\") for w in words))
            .order_by(column).limit(MAX_CANDIDATES)).all()
        found = [row for row in rows if all(w in fold(row.label) for w in words)]
        # Labels that start with the first word first, then alphabetical (already sorted).
        return sorted(found, key=lambda row: not fold(row.label).startswith(words[0]))

    occupations = candidates(sa.select(RomeOccupation.code, RomeOccupation.label), RomeOccupation.label)
    results.extend(RomeMatch(row.code, row.label, row.label) for row in occupations[:limit])
    if len(results) < limit:
        appellations = candidates(
            sa.select(RomeAppellation.rome_code, RomeAppellation.ogr_code, RomeAppellation.label,
                      RomeOccupation.label.label("occupation_label"))
            .join(RomeOccupation, RomeOccupation.code == RomeAppellation.rome_code), RomeAppellation.label)
        results.extend(RomeMatch(row.rome_code, row.label, row.occupation_label, row.ogr_code)
                       for row in appellations[:limit - len(results)])
    return results


def find_choice(value: str) -> RomeMatch | None:
    """The occupation or appellation a form posted (``M1607`` or ``M1607:38795``), if it exists."""
    rome_code, _, ogr_code = (value or "").strip().partition(":")
    rome_code = rome_code.upper()
    if not rome_code:
        return None
    occupation = db.session.get(RomeOccupation, rome_code)
    if occupation is None:
        return None
    if not ogr_code:
        return RomeMatch(occupation.code, occupation.label, occupation.label)
    appellation = db.session.get(RomeAppellation, ogr_code)
    if appellation is None or appellation.rome_code != occupation.code:
        return None
    return RomeMatch(occupation.code, appellation.label, occupation.label, appellation.ogr_code)

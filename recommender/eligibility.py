"""What may be proposed at all: the eligibility and coherence rules, applied before any ranking.

Each candidate pair (job seeker × item, ``schema`` section "recommendations") is checked against
the rules below, in this order; the first that fails names the exclusion (``EXCLUSION``):

==========================  ===============================================================
code                        excluded when
==========================  ===============================================================
``requires_rqth``           the item is POPS-MDPH or requires ``"rqth"`` and ``DISABILITY`` ≠ 1
``requires_rsa``            the item requires ``"rsa"`` and ``RSA`` ≠ 1
``age_limit``               the item has an age limit — ``ITEM_MAX_AGE``, or 25 for the youth
                            codes AIJ and ML (Mission locale) — and the person is older
                            (``floor(AGE_YEARS)`` above it: "at most 25" means under 26), or
                            the age is unknown (eligibility cannot be checked)
``already_prescribed``      ``BLOCKING_PRESCRIPTION`` = 1: the same training is already
                            prescribed (never twice, seed 001)
``done_recently``           ``DAYS_SINCE_DONE`` < ``done_days`` (365): entered, completed or
                            hired through this item, or put forward for this offer (mise en
                            relation), within the last year
``in_progress``             ``DAYS_SINCE_IN_PROGRESS`` < ``in_progress_days`` (365): proposed and
                            accepted, or still awaiting an answer, within the last year (not
                            proposed twice; ``None``: the rule is off, as for the candidates of
                            an offer, where such a person is on the way to a mise en relation)
``declined_recently``       ``DAYS_SINCE_DECLINED`` < ``declined_days`` (180): declined or set
                            aside as not relevant within the last six months
==========================  ===============================================================

Other requirements (``"pass_iae"``) and the catalogue keys the pair frame does not carry
(minimum education, experience, registration length, barriers) are left to candidate generation
and to the counselor.

A training toward an occupation unrelated to the project (``OCCUPATION_MATCH`` = 0) stays
eligible but is flagged ``OUT_OF_PROJECT`` = 1: seed 001 warns against trainings leading to
unrelated occupations, so it is never proposed without that flag (and its reason). Trainings
without an occupation (``OCCUPATION_MATCH`` NaN) are not flagged.

Vectorised: one pass of column operations, whatever the number of pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import schema as S

DONE_DAYS = 365
DECLINED_DAYS = 180
YOUTH_CODES = ("AIJ", "ML")
YOUTH_MAX_AGE = 25
DISABILITY_CODES = ("POPS-MDPH",)
EXCLUSIONS = ("requires_rqth", "requires_rsa", "age_limit", "already_prescribed", "done_recently",
              "in_progress", "declined_recently")


def requires(requirements: pd.Series, flag: str) -> np.ndarray:
    """Per row, whether the tuple of required statuses holds ``flag`` (``None``/NaN: nothing required).

    The tuples are item properties, so there are few distinct values: tested once each.
    """
    values = requirements.astype(object)
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # lists are unhashable
        codes, uniques = pd.factorize(values.map(tuple, na_action="ignore"))
    found = np.array([flag in (value or ()) for value in uniques] + [False], dtype=bool)
    return found[codes]  # code -1 (missing) reads the appended False


def _number(pairs: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(pairs[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _flag(pairs: pd.DataFrame, column: str) -> np.ndarray:
    return _number(pairs, column) == 1


def max_age(pairs: pd.DataFrame, *, youth_codes: tuple[str, ...] = YOUTH_CODES,
            youth_max_age: int = YOUTH_MAX_AGE) -> np.ndarray:
    """The age limit (inclusive, in years) per row: ``ITEM_MAX_AGE``, else ``youth_max_age`` for the
    youth codes, else NaN (no limit)."""
    limit = _number(pairs, S.ITEM_MAX_AGE)
    youth = pairs[S.ITEM_CODE].isin(youth_codes).to_numpy()
    return np.where(np.isnan(limit) & youth, float(youth_max_age), limit)


def eligibility(pairs: pd.DataFrame, *, done_days: float = DONE_DAYS, in_progress_days: float | None = DONE_DAYS,
                declined_days: float = DECLINED_DAYS,
                youth_codes: tuple[str, ...] = YOUTH_CODES, youth_max_age: int = YOUTH_MAX_AGE,
                disability_codes: tuple[str, ...] = DISABILITY_CODES) -> pd.DataFrame:
    """The verdict per pair (same index as ``pairs``): ``ELIGIBLE`` (0/1), ``EXCLUSION`` (the first
    failing rule's code, ``None`` when eligible) and ``OUT_OF_PROJECT`` (0/1, eligible trainings
    toward an unrelated occupation).

    Reads ``ITEM_KIND``, ``ITEM_CODE``, ``ITEM_REQUIRES``, ``ITEM_MAX_AGE``, ``AGE_YEARS``,
    ``DISABILITY``, ``RSA``, ``BLOCKING_PRESCRIPTION``, ``DAYS_SINCE_DONE``, ``DAYS_SINCE_IN_PROGRESS``
    (when ``in_progress_days`` is set), ``DAYS_SINCE_DECLINED`` and ``OCCUPATION_MATCH``.
    """
    needs_rqth = pairs[S.ITEM_CODE].isin(disability_codes).to_numpy() | requires(pairs[S.ITEM_REQUIRES], "rqth")
    limit = max_age(pairs, youth_codes=youth_codes, youth_max_age=youth_max_age)
    age = np.floor(_number(pairs, S.AGE_YEARS))
    too_old = ~np.isnan(limit) & ~(age <= limit)  # an unknown age fails a limit
    failed = [
        needs_rqth & ~_flag(pairs, S.DISABILITY),
        requires(pairs[S.ITEM_REQUIRES], "rsa") & ~_flag(pairs, S.RSA),
        too_old,
        _flag(pairs, S.BLOCKING_PRESCRIPTION),
        _number(pairs, S.DAYS_SINCE_DONE) < done_days,  # NaN (never) compares False
        (_number(pairs, S.DAYS_SINCE_IN_PROGRESS) < in_progress_days if in_progress_days is not None
         else np.zeros(len(pairs), dtype=bool)),
        _number(pairs, S.DAYS_SINCE_DECLINED) < declined_days,
    ]
    exclusion = np.select(failed, np.array(EXCLUSIONS, dtype=object), default=None)
    eligible = exclusion == None  # noqa: E711 (element-wise)
    unrelated = (pairs[S.ITEM_KIND] == "training").to_numpy() & (_number(pairs, S.OCCUPATION_MATCH) == 0)
    return pd.DataFrame({
        S.ELIGIBLE: eligible.astype(int),
        S.EXCLUSION: pd.Series(exclusion, index=pairs.index, dtype=object),
        S.OUT_OF_PROJECT: (eligible & unrelated).astype(int),
    }, index=pairs.index)


def eligible_pairs(pairs: pd.DataFrame, **rules: object) -> pd.DataFrame:
    """The eligible pairs of ``pairs`` with the ``OUT_OF_PROJECT`` column set (``rules``: the keyword
    arguments of :func:`eligibility`)."""
    verdict = eligibility(pairs, **rules)  # type: ignore[arg-type]
    kept = verdict[S.ELIGIBLE].to_numpy() == 1
    return pairs.loc[kept].assign(**{S.OUT_OF_PROJECT: verdict[S.OUT_OF_PROJECT].to_numpy()[kept]})


def eligible_candidates(pairs: pd.DataFrame, **rules: object) -> pd.DataFrame:
    """The eligible offer pairs of ``pairs`` seen from the offer: the same rules, except that a
    proposal of the offer in progress (accepted or awaiting an answer) leaves the person a candidate."""
    offers = pairs.loc[pairs[S.ITEM_KIND] == "offer"]
    return eligible_pairs(offers, **{"in_progress_days": None, **rules})

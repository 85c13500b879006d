"""Fairness report of a priority ranking across protected groups (audit only).

For each protected column and each of its values: the selection rate in the top of the
list, the calibration of the predicted probability of return to employment, and the
false-negative rate of the selection. The *positive* class of the selection is "needs
support" = did NOT find employment (label 0): a false negative is a person without
employment who was not selected in the top. Groups of fewer than ``MIN_GROUP_SIZE``
people are reported but left out of the worst/best ratios.

Selection uses ``evaluation.selection_weights``: a block of tied scores straddling the
cut counts each of its rows as partly selected, so the report does not depend on row order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from recommender import schema
from recommender.evaluation import selection_weights

MIN_GROUP_SIZE = 30
MISSING = "inconnu"
BINARY_LABELS = {0: "non", 1: "oui"}

DEFINITIONS = {
    "selection_rate": "Part du groupe sélectionnée dans le haut de la liste (fraction « top » par score).",
    "false_negative_rate": (
        "Parmi les personnes du groupe qui n'ont PAS retrouvé d'emploi (label 0 : besoin "
        "d'accompagnement, la classe « positive »), part NON sélectionnée dans le haut de la liste."
    ),
    "calibration_gap": "Probabilité moyenne prédite − taux observé de retour à l'emploi.",
    "calibration_ratio": "Probabilité moyenne prédite / taux observé de retour à l'emploi.",
    "ratio": (
        "Écart entre groupes = taux le plus élevé / taux le plus bas, parmi les groupes d'au "
        "moins 30 personnes ; signalé au-delà de la tolérance (None si le plus bas vaut 0)."
    ),
    "small_groups": "Les groupes de moins de 30 personnes sont affichés mais exclus des écarts.",
}


def _clean(value):
    """Plain Python number; NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def _group_labels(column: pd.Series) -> pd.Series:
    """Display label of each row's group: 0/1 columns as non/oui, missing as "inconnu"."""
    present = column.dropna()
    if present.map(lambda v: not isinstance(v, str) and v in (0, 1)).all():
        labels = column.map(lambda v: BINARY_LABELS.get(v) if pd.notna(v) else None)
    elif pd.api.types.is_float_dtype(column) and (present == present.round()).all():
        labels = column.map(lambda v: str(int(v)) if pd.notna(v) else None)
    else:
        labels = column.map(lambda v: str(v) if pd.notna(v) else None)
    return labels.fillna(MISSING).astype(str)


def _percent(x: float) -> str:
    return f"{100 * x:.0f} %"


def _decimal(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def _ratio(rates: dict[str, float | None], tolerance: float, title: str) -> tuple[float | None, bool, str | None]:
    """Highest / lowest rate among the eligible groups, flag and French message."""
    rates = {g: r for g, r in rates.items() if r is not None}
    if len(rates) < 2:
        return None, False, None
    low_group = min(rates, key=rates.get)
    high_group = max(rates, key=rates.get)
    low, high = rates[low_group], rates[high_group]
    detail = f"({low_group} : {_percent(low)} ; {high_group} : {_percent(high)})"
    if high == 0:
        return 1.0, False, None
    if low == 0:
        return None, True, f"{title} : écart maximal entre les groupes, un groupe à 0 % {detail}"
    ratio = high / low
    if ratio > tolerance:
        return ratio, True, f"{title} : écart de {_decimal(ratio)}× entre les groupes {detail}"
    return ratio, False, None


def fairness_report(frame: pd.DataFrame, *, score, probability, label,
                    groups: Sequence[str] = schema.PROTECTED, top: float = 0.2,
                    tolerance: float = 1.5) -> dict:
    """Selection rate, calibration and false-negative rate per protected group.

    ``score`` (higher = first), ``probability`` (predicted P(employment)) and ``label``
    (observed employment 0/1) are aligned with the rows of ``frame``, which holds the
    ``groups`` columns. Returns a JSON-serialisable dict (NaN → None)::

        {"top", "tolerance", "min_group_size", "definitions",
         "groups": {column: {"values": {value: {...}}, "selection_ratio", "fnr_ratio",
                             "flagged", "small_groups", "messages"}},
         "flagged"}
    """
    score = np.asarray(score, dtype=float)
    probability = np.asarray(probability, dtype=float)
    label = np.asarray(label, dtype=float)
    if not len(score) == len(probability) == len(label) == len(frame):
        raise ValueError("score, probability and label must be aligned with the frame")
    selected = selection_weights(score, top)
    need = label == 0

    report_groups = {}
    for column in groups:
        labels = _group_labels(frame[column].reset_index(drop=True))
        values = {}
        for value in sorted(labels.unique()):
            mask = (labels == value).to_numpy()
            count = int(mask.sum())
            need_count = int((mask & need).sum())
            mean_predicted = probability[mask].mean()
            observed = label[mask].mean()
            values[value] = {
                "count": count,
                "used_in_ratios": count >= MIN_GROUP_SIZE,
                "selection_rate": _clean(selected[mask].mean()),
                "mean_predicted": _clean(mean_predicted),
                "observed_rate": _clean(observed),
                "calibration_gap": _clean(mean_predicted - observed),
                "calibration_ratio": _clean(mean_predicted / observed) if observed > 0 else None,
                "need_count": need_count,
                "false_negative_rate": _clean(1 - selected[mask & need].mean()) if need_count else None,
            }
        eligible = {v: d for v, d in values.items() if d["used_in_ratios"]}
        small = [v for v, d in values.items() if not d["used_in_ratios"]]
        selection_ratio, selection_flag, selection_msg = _ratio(
            {v: d["selection_rate"] for v, d in eligible.items()}, tolerance, "Taux de sélection")
        fnr_ratio, fnr_flag, fnr_msg = _ratio(
            {v: d["false_negative_rate"] for v, d in eligible.items()}, tolerance,
            "Taux de faux négatifs (personnes sans emploi non sélectionnées)")
        messages = [m for m in (selection_msg, fnr_msg) if m]
        if len(eligible) < 2:
            messages.append(f"Comparaison impossible : moins de deux groupes d'au moins {MIN_GROUP_SIZE} personnes.")
        if small:
            messages.append(f"Groupes de moins de {MIN_GROUP_SIZE} personnes exclus des écarts : {', '.join(small)}.")
        report_groups[column] = {
            "values": values,
            "selection_ratio": _clean(selection_ratio),
            "fnr_ratio": _clean(fnr_ratio),
            "flagged": selection_flag or fnr_flag,
            "small_groups": small,
            "messages": messages,
        }
    return {
        "top": float(top),
        "tolerance": float(tolerance),
        "min_group_size": MIN_GROUP_SIZE,
        "definitions": DEFINITIONS,
        "groups": report_groups,
        "flagged": any(g["flagged"] for g in report_groups.values()),
    }


def _cell(x, percent: bool = True) -> str:
    if x is None:
        return "—"
    if percent:
        return _percent(x)
    points = round(100 * x, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{points:+.1f} pt".replace(".", ",")


def format_fairness(report: dict) -> str:
    """Plain-text tables of a ``fairness_report`` for the command line."""
    header = f"{'groupe':<16}{'effectif':>9}{'sélection':>11}{'faux nég.':>11}{'prédit':>9}{'observé':>9}{'écart cal.':>12}"
    lines = [
        f"Équité de la liste de priorité — haut de liste : {_percent(report['top'])}, "
        f"tolérance : {_decimal(report['tolerance'])}×",
        f"Faux négatifs : {report['definitions']['false_negative_rate']}",
        f"{report['definitions']['small_groups']} (* = petit groupe)",
    ]
    for column, group in report["groups"].items():
        flag = "  [SIGNALÉ]" if group["flagged"] else ""
        lines += ["", f"{column}{flag}", header, "-" * len(header)]
        for value, d in group["values"].items():
            small = " *" if not d["used_in_ratios"] else ""
            lines.append(
                f"{(value + small)[:16]:<16}{d['count']:>9}{_cell(d['selection_rate']):>11}"
                f"{_cell(d['false_negative_rate']):>11}{_cell(d['mean_predicted']):>9}"
                f"{_cell(d['observed_rate']):>9}{_cell(d['calibration_gap'], percent=False):>12}"
            )
        ratios = [("sélection", group["selection_ratio"]), ("faux négatifs", group["fnr_ratio"])]
        lines.append("Écarts : " + " ; ".join(
            f"{name} {'—' if r is None else _decimal(r) + '×'}" for name, r in ratios))
        lines += [f"  ! {m}" for m in group["messages"]]
    return "\n".join(lines)

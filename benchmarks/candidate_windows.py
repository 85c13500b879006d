"""The candidates for offers over several 60-day windows (rolling origin), model against the rule.

    DATABASE_URL=sqlite:////path/medium.sqlite3 .venv/bin/python -m benchmarks.candidate_windows [--as-of 2026-11-20] [--windows 7]

``recommender evaluate`` predicts one window, [D, D + 60 days) with D 60 days before
``--as-of``, from the ``CANDIDATE_SNAPSHOTS`` snapshots before it (``CANDIDATE_STEP_DAYS``
apart). This benchmark does the same for the ``--windows`` windows ending there, each predicted
from the snapshots before it, and prints each window's offers, NDCG@10 and Recall@10 for the
model and « same ROME, nearest first », then their means weighted by offers, for the earlier
windows and for all: more offers than one window, so a steadier reading of the lift (the last
window is the command's). Then the same for the offers whose pool has more than 10 people
(``larger_pools`` of the report): in a smaller pool every ranking shows everyone, so Recall@10 is
1 for any ranking there.
"""

from __future__ import annotations

import argparse
import os
from datetime import date, timedelta

import pandas as pd


def weighted_lift(table: pd.DataFrame) -> str:
    offers = table["offers"]

    def mean(column: str) -> float:
        return float((table[column] * offers).sum() / offers.sum())

    cells = []
    for metric in ("ndcg", "recall"):
        model, rule = mean(f"{metric}_model"), mean(f"{metric}_rule")
        cells.append(f"{metric}@10 {model:.3f} against {rule:.3f} ({model / rule - 1:+.1%})")
    return f"{int(offers.sum()):>5} offers   " + "   ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--windows", type=int, default=7)
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("set DATABASE_URL to a seeded, migrated database")
    from crm import create_app
    from crm.extensions import db
    from crm.recommendations import pipeline
    from crm.scoring.cli import _progress
    from recommender import schema as S
    from recommender.proposal_training import evaluate_candidates, fit_candidates

    last = date.fromisoformat(options.as_of)
    windows = [pipeline.snapshot_days(last - timedelta(days=S.RECOMMENDATION_WINDOW_DAYS * back),
                                      pipeline.CANDIDATE_SNAPSHOTS, pipeline.CANDIDATE_STEP_DAYS)
               for back in range(options.windows - 1, -1, -1)]
    days = sorted({day for test_day, train_days in windows for day in (test_day, *train_days)})
    app = create_app()
    with app.app_context():
        frames = {day: pipeline.snapshot(db.session, day, recommendations=False)[1]
                  for day in _progress(False)(days, "candidate snapshots")}
    readings: dict[str, list[dict]] = {"all offers": [], "offers whose pool has more than 10 people": []}
    for test_day, train_days in windows:
        model = fit_candidates(pd.concat([frames[day] for day in train_days], ignore_index=True))
        report = evaluate_candidates(model, frames[test_day], n_boot=0)
        for rows, part in zip(readings.values(), (report, report["larger_pools"])):
            model_figures, rule = part["model"], part["baselines"]["same_rome_nearest"]
            rows.append({"window from": test_day.isoformat(), "offers": part["rows"]["groups_with_relevant"],
                         **{f"{metric}_{name}": figures[f"{metric}@10"]["value"] for metric in ("ndcg", "recall")
                            for name, figures in (("model", model_figures), ("rule", rule))}})
    for title, rows in readings.items():
        table = pd.DataFrame(rows)
        print(f"--- {title}")
        print(table.round(3).to_string(index=False))
        if len(table) > 1:
            print("earlier windows   " + weighted_lift(table.iloc[:-1]))
        print("all windows       " + weighted_lift(table))


if __name__ == "__main__":
    main()

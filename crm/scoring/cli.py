"""``flask --app crm recommender train | evaluate | score`` (see ``crm/scoring/pipeline.py``)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from crm import clock

recommender_cli = AppGroup("recommender", help="Train, evaluate and run the priority models.")

AS_OF = click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                     help="The day the models look from (data strictly before it). Default: today.")
QUIET = click.option("--quiet", is_flag=True, help="No progress bars.")


def _day(value: Any) -> date:
    """The given day, else today in the configured time zone: the pages' day, which the
    machine's date is not between 23:00 and midnight UTC (Paris)."""
    return value.date() if value is not None else clock.today()


def _progress(quiet: bool) -> Any:
    def progress(items: Iterable[Any], label: str) -> Iterator[Any]:
        items = list(items)
        if quiet or not items:
            yield from items
            return
        with click.progressbar(items, label=label, file=sys.stderr, show_pos=True) as bar:
            yield from bar
    return progress


def _fail(exc: Exception) -> None:
    raise click.ClickException(str(exc)) from exc


def _ranking_line(name: str, figures: dict[str, Any]) -> str:
    def cell(key: str) -> str:
        metric = figures[key]
        if metric["value"] is None:
            return f"{'n/a':>26}"
        return f"{metric['value']:>8.4f} [{metric['low']:.4f}, {metric['high']:.4f}]"
    return f"  {name:<26}" + "".join(f"{cell(key):>28}" for key in ("qini", "auuc", "uplift_at_10", "uplift_at_20"))


def format_report(report: dict[str, Any]) -> str:
    from recommender.fairness import format_fairness

    priority, employers = report["priority"], report["employers"]
    outcome = priority["model"]["outcome"]
    window = report["window"]
    lines = [
        f"Evaluation as of {report['as_of']}: trained on snapshots {window['train_from']} … {window['train_to']}, "
        f"evaluated on {window['evaluate_from']} … {window['evaluate_to']}",
        f"Rows: {report['rows']}",
        "",
        "Outcome model (return to employment within 6 months), all evaluation rows:",
        f"  AUC {outcome['auc']:.4f}   Brier {outcome['brier']:.4f}   expected calibration error {outcome['ece']:.4f}",
        "  calibration (predicted → observed): " + "  ".join(
            f"{b['mean_predicted']:.2f}→{b['observed_rate']:.2f} (n={b['count']})" for b in outcome["calibration"]),
        "",
        f"Ranking, on the randomised rows ({priority['rows']['randomised']} rows, "
        f"{priority['rows']['treated_randomly']} contacted at random); value [95 % bootstrap interval]:",
        f"  {'':<26}{'Qini':>28}{'AUUC':>28}{'uplift@10%':>28}{'uplift@20%':>28}",
        _ranking_line("model", priority["model"]),
        _ranking_line("model, gain only", priority["model_gain_only"]),
        *(_ranking_line(name, figures) for name, figures in priority["baselines"].items()),
        "",
        "Fairness of the model's list (top 20 %):",
        format_fairness(priority["fairness"]),
        "",
        "Employers: share of next-period hires in the top 10 %:",
        f"  {'model':<26}{employers['model']['top_10_share']:.4f}",
        *(f"  {name:<26}{figures['top_10_share']:.4f}" for name, figures in employers["baselines"].items()),
        *_lists_report(report, "recommendations", "What to propose (per job seeker)"),
        *_lists_report(report, "candidates", "Candidates for offers (per offer)"),
    ]
    return "\n".join(lines)


def _lists_report(report: dict[str, Any], part: str, title: str) -> list[str]:
    if part not in report:
        return []
    section = report[part]
    k = section.get("k", 10)

    def line(name: str, figures: dict[str, Any]) -> str:
        def cell(key: str) -> str:
            metric = figures.get(key) or {}
            if metric.get("value") is None:
                return f"{'n/a':>26}"
            return f"{metric['value']:>8.4f} [{metric['low']:.4f}, {metric['high']:.4f}]"
        return (f"  {name:<26}{cell(f'ndcg@{k}'):>28}{cell(f'recall@{k}'):>28}"
                f"{figures.get('coverage', float('nan')):>12.3f}{figures.get('gini', float('nan')):>8.3f}")

    def lifts(reading: dict[str, Any]) -> list[str]:
        cells = [f"{lift.get('relative', float('nan')):+.1%} {label} ({lift.get('baseline')})"
                 for label, lift in ((f"NDCG@{k}", reading.get("lift_vs_best_baseline") or {}),
                                     (f"Recall@{k}", reading.get("recall_lift_vs_best_baseline") or {}))]
        return [line("model", reading["model"]),
                *(line(name, figures) for name, figures in reading["baselines"].items()),
                "  model vs best baseline: " + ", ".join(cells)]

    lines = ["", f"{title}: temporal evaluation, window {section.get('window')}",
             f"  {'':<26}{f'NDCG@{k}':>28}{f'Recall@{k}':>28}{'coverage':>12}{'Gini':>8}", *lifts(section)]
    larger = section.get("larger_pools")
    if larger:
        lines += [f"  The offers whose pool has {larger['min_pool']} people or more "
                  f"({larger['rows']['groups_with_relevant']} of {section['rows']['groups_with_relevant']}; "
                  f"in the others any ranking shows everyone):", *lifts(larger)]
    return lines


@recommender_cli.command("recommend")
@AS_OF
@click.option("--k", "k", type=click.IntRange(1, 50), default=10, show_default=True, help="Items per job seeker.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file: job seeker external id, rank, item kind, item external id, score, reasons.")
@QUIET
def recommend_command(as_of: Any, k: int, out: Path, quiet: bool) -> None:
    """For every active job seeker, the top items to propose, and for every open offer its best
    candidates (published models, else the rules); stored for the files' widgets and offers' panels."""
    from crm.extensions import db
    from crm.modelregistry.models import ModelKind
    from crm.recommendations.pipeline import recommend_all
    from crm.scoring.pipeline import ScoringError, _load_published, published

    started = time.perf_counter()

    def published_or_rules(kind: ModelKind) -> tuple[Any, Any]:
        if published(db.session, kind) is not None:
            try:
                return _load_published(db.session, kind)
            except ScoringError as exc:
                _fail(exc)
        from crm.recommendations.services import RuleModel

        click.echo(f"No published {kind.value} model: ranking by the rules.", err=True)
        return None, RuleModel()

    version, model = published_or_rules(ModelKind.RECOMMENDATIONS)
    candidate_version, candidate_model = published_or_rules(ModelKind.CANDIDATES)
    rows = recommend_all(db.session, _day(as_of), model=model, k=k, path=out, progress=_progress(quiet),
                         version=version, candidate_model=candidate_model, candidate_version=candidate_version)
    db.session.commit()
    seconds = time.perf_counter() - started
    click.echo(f"{rows} recommendations stored and written to {out} in {seconds:.1f} s")


@recommender_cli.command("evaluate")
@AS_OF
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of the tables.")
@click.option("--bootstrap", type=click.IntRange(10, 5000), default=200, show_default=True,
              help="Bootstrap resamples for the intervals.")
@QUIET
def evaluate_command(as_of: Any, as_json: bool, bootstrap: int, quiet: bool) -> None:
    """Temporal split: train before, evaluate on what happened after; the model against the baselines."""
    from crm.extensions import db
    from crm.scoring.pipeline import ScoringError, evaluate

    started = time.perf_counter()
    from crm.recommendations.pipeline import evaluate as evaluate_recommendations

    try:
        evaluation = evaluate(db.session, _day(as_of), progress=_progress(quiet or as_json), n_boot=bootstrap)
    except ScoringError as exc:
        _fail(exc)
    recommendations, _frames, _models = evaluate_recommendations(db.session, _day(as_of),
                                                                 progress=_progress(quiet or as_json))
    db.session.rollback()
    report = {**evaluation.report, **recommendations}
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(report))
        click.echo(f"\n({time.perf_counter() - started:.1f} s)")


@recommender_cli.command("train")
@AS_OF
@click.option("--bootstrap", type=click.IntRange(10, 5000), default=200, show_default=True)
@QUIET
def train_command(as_of: Any, bootstrap: int, quiet: bool) -> None:
    """Train on data strictly before the date, save the models and publish them unless the
    evaluation falls below the current models or the baselines."""
    from crm.extensions import db
    from crm.scoring.pipeline import ScoringError, train

    started = time.perf_counter()
    from crm.recommendations.pipeline import train as train_recommendations

    try:
        result = train(db.session, _day(as_of), model_dir=Path(current_app.config["MODEL_DIR"]),
                       progress=_progress(quiet), n_boot=bootstrap)
        db.session.commit()
    except ScoringError as exc:
        db.session.rollback()
        _fail(exc)
    proposals = train_recommendations(db.session, _day(as_of), model_dir=Path(current_app.config["MODEL_DIR"]),
                                      progress=_progress(quiet))
    db.session.commit()
    click.echo(format_report({**result.report, **proposals.report}))
    click.echo("")
    refused = False
    for part, version in [*result.versions.items(), *proposals.versions.items()]:
        refusals = result.refusals.get(part) if part in result.versions else proposals.refusals[part]
        click.echo(f"{version.kind.value} {version.version}: {version.status.value} ({version.artifact_path})")
        for reason in refusals:
            refused = True
            click.echo(f"  not published: {reason}")
    click.echo(f"({time.perf_counter() - started:.1f} s)")
    if refused:
        sys.exit(1)


@recommender_cli.command("score")
@AS_OF
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file: one row per active job seeker (external ids, score, rank, reasons).")
@QUIET
def score_command(as_of: Any, out: Path, quiet: bool) -> None:
    """Score every active job seeker (and employer) with the published models; store the lists."""
    from crm.extensions import db
    from crm.scoring.pipeline import ScoringError, score, write_csv

    started = time.perf_counter()
    try:
        result = score(db.session, _day(as_of), exploration_share=current_app.config["PRIORITY_EXPLORATION_SHARE"],
                       progress=_progress(quiet))
        db.session.commit()
    except ScoringError as exc:
        db.session.rollback()
        _fail(exc)
    count = write_csv(result.job_seekers, out)
    seconds = time.perf_counter() - started
    employers = 0 if result.employers is None else len(result.employers)
    click.echo(f"{count} job seekers and {employers} employers scored in {seconds:.1f} s "
               f"({count / seconds if seconds else 0:.0f} job seekers/s); lists stored, CSV written to {out}")
    click.echo("  " + ", ".join(f"{label} {spent:.1f} s" for label, spent in result.timings.items()))

"""Benchmark of the recommender's batch: training time and peak memory, scoring throughput.

    DATABASE_URL=sqlite:////path/large.sqlite3 .venv/bin/python -m benchmarks.recommender [--as-of 2026-11-20]

Runs ``flask --app crm recommender train`` then ``recommender score`` on the database of
``DATABASE_URL``, each in its own process (wall time and that process's peak RSS, from
``os.wait4``), with the models written to a temporary folder (``PROXIMA_MODEL_DIR``).

The publishing gate may refuse the models (the command then exits 1 and says why): for the
scoring figure only, the benchmark then publishes the job seeker model it just trained
(``--publish-anyway``, on by default; the registry row keeps the gate's reasons). Run the page
benchmark (``benchmarks/web.py``) afterwards for the priority list pages.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from benchmarks.exchange import run_step


def publish_latest(database_url: str) -> str:
    """Marks the latest job seeker priority version published (benchmark only)."""
    os.environ["DATABASE_URL"] = database_url
    import sqlalchemy as sa

    from crm import create_app
    from crm.extensions import db
    from crm.modelregistry.models import ModelKind, ModelStatus, ModelVersion

    app = create_app()
    with app.app_context():
        version = db.session.execute(sa.select(ModelVersion).where(ModelVersion.kind == ModelKind.JOB_SEEKER_PRIORITY)
                                     .order_by(ModelVersion.id.desc())).scalars().first()
        if version.status != ModelStatus.PUBLISHED:
            db.session.execute(sa.update(ModelVersion).where(ModelVersion.kind == version.kind,
                                                             ModelVersion.status == ModelStatus.PUBLISHED)
                               .values(status=ModelStatus.RETIRED))
            version.status = ModelStatus.PUBLISHED
            version.published_at = version.trained_at
            db.session.commit()
        return version.version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--no-publish-anyway", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="write the models and the CSV here")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a seeded database")
    with tempfile.TemporaryDirectory(prefix="proxima-models-") as tmp:
        work = options.keep or Path(tmp)
        os.environ["PROXIMA_MODEL_DIR"] = str(work / "models")
        seconds, output, rss = run_step("train", ["recommender", "train", "--quiet", "--as-of", options.as_of], url,
                                        allow_failure=True)
        print(f"train   {seconds:8.1f} s   peak RSS {rss:7.0f} MB")
        print("\n".join(line for line in output.splitlines() if "published" in line or "rejected" in line
                        or line.startswith(("Rows", "  AUC", "  model", "  longest", "  risk", "  random"))))
        if not options.no_publish_anyway:
            print(f"(published {publish_latest(url)} for the scoring figure)")
        seconds, output, rss = run_step("score", ["recommender", "score", "--as-of", options.as_of, "--quiet",
                                                  "--out", str(work / "scores.csv")], url)
        print(f"score   {seconds:8.1f} s   peak RSS {rss:7.0f} MB (process wall time, interpreter start included)")
        print(output.strip())


if __name__ == "__main__":
    main()

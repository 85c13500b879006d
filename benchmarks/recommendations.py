"""Benchmark of the recommendations: the ``recommend`` batch, the widget and the candidates panel.

    DATABASE_URL=sqlite:////path/large.sqlite3 .venv/bin/python -m benchmarks.recommendations [--as-of 2026-11-20]

1. Fits the recommendation model on the database's own snapshots (``--snapshots``, as
   ``recommender train`` does, without the priority models) and times it.
2. Times ``recommend_all`` (what ``flask --app crm recommender recommend`` runs) for every active
   job seeker: pairs, eligibility, model, lists, reasons, CSV and stored rows — and the best
   candidates of every open offer, stored for the offers' panels.
3. Server time of the file's widget (``GET /beneficiaires/<id>/recommandations``, htmx) for
   ``--requests`` people of one counselor's portfolio — from the stored batch, and computed
   live — and of the candidates panel (``GET /offres/<id>/candidats``) for open offers of one
   employer counselor's agency, from the stored batch, and computed live (an offer created
   since the batch): p50 / p95 over the requests, after one warm-up request. The live
   computations use the models fitted in step 1 (as a published model would be used); with
   ``--skip-batch``, the published models, else the rule.

``--models DIR`` saves the models fitted in step 1 there; with ``--skip-batch``, the live
computations use the models saved there. A web worker does not hold the training frames: run
the benchmark once with ``--models DIR``, then again with ``--skip-batch --models DIR`` for the
pages' times in a process that has only served pages (the first run's live times are slower,
measured in the process that has just built millions of training pairs).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:6.0f} ms   p95 {p95 * 1000:6.0f} ms   (n={len(ordered)})"


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--snapshots", type=int, default=2, help="training snapshots (60 days apart)")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--skip-batch", action="store_true", help="reuse the stored recommendations")
    parser.add_argument("--models", type=Path, help="save the fitted models here (with --skip-batch: load them)")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("set DATABASE_URL to a seeded, migrated database")
    import sqlalchemy as sa

    from crm import create_app
    from crm.employers.models import Employer
    from crm.extensions import db
    from crm.jobseekers.models import JobSeeker, JobSeekerStatus
    from crm.offers.models import JobOffer, OfferStatus
    from crm.organisation.models import Role, User
    from crm.recommendations import pipeline, services
    from crm.access import visible_job_seekers
    from recommender import artifacts

    as_of = date.fromisoformat(options.as_of)
    app = create_app()
    with app.app_context():
        if not options.skip_batch:
            seconds, frames = timed(lambda: pipeline.build_frames(db.session, as_of, count=options.snapshots,
                                                                       candidate_count=options.snapshots))
            print(f"training pairs  {len(frames.train) + len(frames.test):>10,}   built in {seconds:7.1f} s")
            seconds, models = timed(lambda: pipeline.final_fit(frames))
            print(f"fit             {seconds:7.1f} s")
            if options.models:
                for part, model in models.items():
                    artifacts.save(model, options.models / part, {"as_of": options.as_of})
            del frames
            with tempfile.TemporaryDirectory() as tmp:
                seconds, rows = timed(lambda: pipeline.recommend_all(
                    db.session, as_of, model=models["recommendations"], k=10, path=Path(tmp) / "recommendations.csv",
                    candidate_model=models["candidates"]))
                db.session.commit()
            people = db.session.scalar(sa.select(sa.func.count(sa.distinct(
                sa.text("job_seeker_id")))).select_from(sa.table("stored_recommendation")))
            print(f"recommend       {seconds:7.1f} s for {people:,} job seekers ({rows:,} rows): "
                  f"{people / seconds:,.0f} job seekers/s; peak RSS of this process "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
            stored = db.session.execute(sa.text("SELECT COUNT(DISTINCT offer_id), COUNT(*) FROM stored_candidate")).one()
            print(f"                candidates of {stored[0]:,} open offers stored ({stored[1]:,} rows)")
        elif options.models:
            models = {part: artifacts.load(options.models / part)[0] for part in pipeline.KINDS}
        if not options.skip_batch or options.models:
            # The live computations below score with these models, as with published ones.
            fitted = {kind: models[part] for part, kind in pipeline.KINDS.items()}
            services.published_model = lambda kind: (None, fitted.get(kind))
        counselor = db.session.scalars(sa.select(User).where(User.role == Role.COUNSELOR, User.is_active_account.is_(True))
                                       .order_by(User.id)).first()
        people = list(db.session.scalars(sa.select(JobSeeker.id).where(
            JobSeeker.referent_id == counselor.id, JobSeeker.status == JobSeekerStatus.ACTIVE)
            .order_by(JobSeeker.id).limit(options.requests)))
        employer_counselor = db.session.scalars(sa.select(User).where(User.role == Role.EMPLOYER_COUNSELOR,
                                                                      User.is_active_account.is_(True)).order_by(User.id)).first()
        offers = list(db.session.scalars(sa.select(JobOffer.id).join(Employer).where(
            Employer.agency_id == employer_counselor.agency_id, JobOffer.status == OfferStatus.OPEN)
            .order_by(JobOffer.id).limit(options.requests)))
        counselor_id, employer_counselor_id = counselor.id, employer_counselor.id
        db.session.rollback()

    def pages(user_id: int, urls: list[str]) -> list[float]:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = str(user_id), True
        client.get(urls[0], headers={"HX-Request": "true"})  # warm-up: catalogue context, model
        times = []
        for url in urls:
            seconds, response = timed(lambda: client.get(url, headers={"HX-Request": "true"}))
            assert response.status_code == 200, (url, response.status_code)
            times.append(seconds)
        return times

    widget_urls = [f"/beneficiaires/{i}/recommandations" for i in people]
    print(f"widget, stored  {percentiles(pages(counselor_id, widget_urls))}")
    with app.app_context():
        live = []
        for person_id in people:
            person = db.session.get(JobSeeker, person_id)
            with app.test_request_context():
                services.context_for(as_of)
                seconds, _result = timed(lambda: services.live_recommendations(person, today=as_of))
            live.append(seconds)
        db.session.rollback()
    print(f"widget, live    {percentiles(live[1:])} (service only)")
    if offers:
        print(f"candidates, stored {percentiles(pages(employer_counselor_id, [f'/offres/{i}/candidats' for i in offers]))}")
        with app.app_context():
            employer_counselor = db.session.get(User, employer_counselor_id)
            live = []
            for offer_id in offers:
                offer = db.session.get(JobOffer, offer_id)
                with app.test_request_context():
                    visible = visible_job_seekers(employer_counselor)
                    seconds, _result = timed(lambda: services.live_candidates(offer, today=as_of, visible=visible))
                live.append(seconds)
            db.session.rollback()
        print(f"candidates, live   {percentiles(live[1:])} (service only)")


if __name__ == "__main__":
    main()

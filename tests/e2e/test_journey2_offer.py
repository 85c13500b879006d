"""Journey 2: an employer counselor takes an offer from intake to hire.

They create an offer for one of their firms, publish it, see the candidates (ranked, with
their reasons), put the two best ranked forward (mises en relation), mark one hired: the
offer becomes filled and the hire shows on the job seeker's timeline.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, Shots, assert_accessible, give_reason_if_asked, log_in, settle

# The ranked candidates panel of the offer page (issue 7).
CANDIDATES = "#candidates"


def offer_fields(live_server: LiveServer, employer_id: int) -> tuple[str, str, str | None]:
    """A ROME code many active job seekers of the employer's agency aim at (so that there are
    candidates), its label, and the employer's commune."""
    from crm.employers.models import Employer
    from crm.jobseekers.models import JobSeeker, JobSeekerStatus, JobSeekerTarget
    from crm.referentials.models import RomeOccupation

    agency_id, commune = live_server.query(
        sa.select(Employer.agency_id, Employer.commune_insee).where(Employer.id == employer_id))[0]
    code, label = live_server.query(
        sa.select(JobSeekerTarget.rome_code, RomeOccupation.label)
        .join(JobSeeker, JobSeeker.id == JobSeekerTarget.job_seeker_id)
        .join(RomeOccupation, RomeOccupation.code == JobSeekerTarget.rome_code)
        .where(JobSeeker.agency_id == agency_id, JobSeeker.status == JobSeekerStatus.ACTIVE,
               JobSeeker.anonymised_at.is_(None))
        .group_by(JobSeekerTarget.rome_code, RomeOccupation.label)
        .order_by(sa.func.count().desc(), JobSeekerTarget.rome_code).limit(1))[0]
    return code, label, commune


def put_forward_two(page: Any, shots: Shots, journal: dict[str, Any]) -> None:
    """Two mises en relation from the ranked candidates panel, the two best ranked."""
    main = page.locator("#offer-main")
    panel = page.locator(CANDIDATES)
    rows = panel.locator("ol.candidate-list > li")
    expect(rows.nth(1)).to_be_visible()
    journal["ranked_candidates"] = rows.count()
    expect(rows.first.locator(".reason-chip").first).to_be_visible()  # each candidate comes with reasons
    assert_accessible(page, "the ranked candidates")
    shots(page, "ranked-candidates", focus=panel)
    for row_id in [rows.nth(i).get_attribute("id") for i in range(2)]:
        page.locator(f"#{row_id}").get_by_role("button", name=re.compile(r"^Mettre en relation")).click()
        settle(page)
    page.reload()
    settle(page)
    expect(main.locator("ul.item-list > li")).to_have_count(2)


def test_journey(page: Any, shots: Shots, live_server: LiveServer, journal: dict[str, Any]) -> None:
    log_in(page, "employer_counselor", check=True)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mes entreprises").click()
    assert_accessible(page, "the employer list")
    page.locator("#employer-results tbody th[scope=row] a").first.click()
    page.wait_for_url(re.compile(r"/entreprises/\d+$"))
    settle(page)
    employer_id = int(page.url.rsplit("/", 1)[-1])
    assert_accessible(page, "the employer page")
    shots(page, "employer")

    code, label, commune = offer_fields(live_server, employer_id)
    title = f"{label} H/F (parcours e2e)"
    page.get_by_role("link", name="Saisir une offre").click()
    page.get_by_label("Intitulé").fill(title)
    page.get_by_label("Code ROME").fill(code)
    page.get_by_label("Type de contrat").select_option("cdi")
    page.get_by_label("Nombre de postes").fill("1")
    if commune:
        page.get_by_label("Commune (code INSEE)").fill(commune)
    page.get_by_label("Description").fill("Offre saisie par le test de bout en bout.")
    assert_accessible(page, "the offer form")
    shots(page, "offer-form")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/offres/\d+$"))
    offer_id = int(page.url.rsplit("/", 1)[-1])
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    main = page.locator("#offer-main")
    main.get_by_role("button", name="Publier l'offre").click()
    expect(main.locator("dl.facts")).to_contain_text("Ouverte")
    page.reload()  # the panels that depend on the offer being open, drawn anew
    settle(page)
    assert_accessible(page, "the published offer")
    shots(page, "offer-open")

    put_forward_two(page, shots, journal)
    hired = main.locator("ul.item-list > li").first
    person = hired.locator(".item-main a").inner_text().strip()
    for status in ("sent", "hired"):
        row = main.locator("ul.item-list > li", has_text=person)
        row.get_by_label("Nouveau statut").select_option(status)
        row.get_by_role("button", name="Mettre à jour").click()
        expect(main.locator("ul.item-list > li", has_text=person)).to_contain_text(
            "Envoyée" if status == "sent" else "Embauche")
    facts = main.locator("dl.facts")
    expect(facts).to_contain_text("Pourvue")
    expect(facts).to_contain_text("1 embauche(s) sur 1 poste(s)")
    assert_accessible(page, "the filled offer")
    shots(page, "offer-filled", focus=main)

    main.locator("ul.item-list > li", has_text=person).get_by_role("link", name=person).click()
    give_reason_if_asked(page, "Présélection pour une offre d'emploi ou un événement")
    settle(page)
    timeline = page.locator("#timeline")
    expect(timeline.locator(".timeline-entries")).to_contain_text(f"Embauche · {title}")
    assert_accessible(page, "the hired person's file")
    shots(page, "hire-on-timeline", focus=timeline)
    journal["offer"] = {"id": offer_id, "title": title, "hired": person}


def test_ranked_candidates(journal: dict[str, Any]) -> None:
    """The offer page ranks candidates with their reasons (checked during the journey)."""
    if "offer" not in journal:
        pytest.skip("the offer journey did not run")
    assert journal.get("ranked_candidates", 0) >= 2, (
        "the ranked candidates panel suggested fewer than 2 candidates for the offer the journey created today")
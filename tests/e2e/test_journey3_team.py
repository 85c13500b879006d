"""Journey 3: a team manager opens « Mon équipe », drills down from a counselor's
overdue-contacts figure to the people behind it, and reassigns two of them to a colleague."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import Shots, assert_accessible, log_in, settle


def test_journey(page: Any, shots: Shots, journal: dict[str, Any]) -> None:
    log_in(page, "team_manager", check=True)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mon équipe").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mon équipe")
    table = page.locator("#team-table")
    assert_accessible(page, "the team overview")
    shots(page, "overview", focus=table)

    # The first counselor with at least two people overdue for a contact.
    figures = table.locator("tbody a[data-indicator='overdue']")
    counts = [int(text) for text in figures.all_inner_texts()]
    index = next(i for i, count in enumerate(counts) if count >= 2)
    figure = figures.nth(index)
    counselor_id = figure.get_attribute("data-counselor")
    counselor = table.locator("tbody tr").nth(index).locator("th[scope=row]").inner_text().strip()
    figure.click()
    page.wait_for_url(re.compile(r"/equipe/detail\?"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("retard")
    rows = page.locator("#detail-table tbody tr")
    expect(rows).to_have_count(counts[index])
    assert_accessible(page, "the people behind the figure")
    shots(page, "overdue-detail")
    people = [rows.nth(i).locator("th[scope=row]").inner_text().strip() for i in range(2)]

    page.get_by_role("link", name="← Mon équipe").click()
    page.get_by_role("link", name="Réaffecter des demandeurs d'emploi").click()
    page.get_by_label("Conseiller actuel").select_option(counselor_id)
    settle(page)  # the list narrows to that counselor's people
    ids = []
    for name in people:
        box = page.get_by_role("checkbox", name=name, exact=True)
        box.check()
        ids.append(int(box.get_attribute("value").partition(":")[0]))
    target = page.get_by_label("Nouveau conseiller référent")
    colleague = next(name for name in (option.strip() for option in target.locator("option").all_inner_texts())
                     if name not in ("", counselor, "Choisir…"))
    target.select_option(label=colleague)
    page.get_by_label("Motif").select_option("workload")
    page.get_by_label("Précisions").fill("Retards de contact : rééquilibrage (parcours e2e)")
    assert_accessible(page, "the reassignment form")
    shots(page, "reassign-form")
    page.get_by_role("button", name="Réaffecter", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(f"2 personnes réaffectées à {colleague}")
    page.get_by_label("Conseiller actuel").select_option(label=colleague)
    settle(page)  # the colleague's people, the two among them
    for job_seeker_id in ids:
        row = page.locator("#reassign-people tbody tr", has=page.locator(f"#job-seeker-{job_seeker_id}"))
        expect(row.locator("td").nth(2)).to_have_text(colleague)
    assert_accessible(page, "the reassignment result")
    shots(page, "reassigned")
    journal["reassigned"] = {"ids": ids, "to": colleague}

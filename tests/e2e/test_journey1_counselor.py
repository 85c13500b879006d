"""Journey 1: a counselor works through « À contacter en priorité ».

They open the first person of the list, log a phone call from the file's timeline and see
the timeline and the last-contact date change without a reload; then (the recommendation
widget) propose a training and mark another item « Pas pertinent » with a reason.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Shots, assert_accessible, focused, log_in, settle

NOTE = "Appel de suivi (parcours e2e) : point sur les candidatures"
# The recommendation widget (issue 7) is loaded into the file under this id.
RECOMMENDATIONS = "#recommendations"


def open_first_person(page: Any, shots: Shots | None = None) -> str:
    """From the menu to the priority list, then the file of its first person; returns its path."""
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="À contacter en priorité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("À contacter en priorité")
    first = page.locator("#priority-results tbody.priority-entry").first
    expect(first).to_be_visible()
    if shots is not None:
        assert_accessible(page, "the priority list")
        shots(page, "priority-list")
    name = first.locator("th[scope=row] a").inner_text().strip()
    first.get_by_role("link", name=re.compile(r"^Ouvrir")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name.split()[0])
    settle(page)
    expect(page.locator("#log-form")).to_be_visible()
    return page.url


def test_journey(page: Any, shots: Shots, journal: dict[str, Any]) -> None:
    log_in(page, "counselor", check=True)
    open_first_person(page, shots)
    job_seeker_id = int(re.search(r"/(\d+)(?:[/?#]|$)", page.url).group(1))
    assert_accessible(page, "the job seeker file")
    shots(page, "file", focus=page.locator("#timeline"))

    last_contact = page.locator("#last-contact")
    before = last_contact.inner_text()
    page.evaluate("window.__e2eNoReload = true")  # gone if the page reloads

    form = page.locator("#log-form")
    form.get_by_label("Canal").select_option("phone")
    settle(page)  # the form is redrawn for the channel's kinds and outcomes
    form = page.locator("#log-form")
    form.get_by_label("Nature").select_option("follow_up")
    form.get_by_label("Résultat").select_option("done")
    form.get_by_label("Notes").fill(NOTE)
    form.get_by_role("button", name="Enregistrer l'échange").click()

    # The call is the newest past entry; the person's planned appointments, if any, come above it.
    call = page.locator("#timeline .timeline-entries li").filter(has_text=NOTE)
    expect(call).to_have_count(1)
    expect(call).to_contain_text("Téléphone")
    expect(last_contact).to_contain_text("aujourd'hui")
    assert last_contact.inner_text() != before or "aujourd'hui" in before
    assert page.evaluate("window.__e2eNoReload === true"), "the page was reloaded"
    # The form that held the focus was replaced: the focus moves to the refreshed timeline.
    assert focused(page)["region"] in ("timeline", "timeline-title"), focused(page)
    assert_accessible(page, "the file after logging a call")
    shots(page, "call-logged", focus=call)
    journal.setdefault("contacted", []).append(job_seeker_id)


def test_recommendations_widget(page: Any, shots: Shots, journal: dict[str, Any]) -> None:
    """Propose a training from the widget, mark another item « Pas pertinent » with a reason."""
    log_in(page, "counselor")
    open_first_person(page)
    if page.locator(RECOMMENDATIONS).count() == 0:
        pytest.skip(f"the recommendation widget ({RECOMMENDATIONS}) is not in the job seeker file yet (issue 7)")
    trainings = training_recommendations(page)
    tried = 1
    while trainings.count() == 0 and tried < TRIES:  # the first people may have no training to propose
        page.go_back()
        page.locator("#priority-results tbody.priority-entry").nth(tried).get_by_role(
            "link", name=re.compile(r"^Ouvrir")).click()
        settle(page)
        trainings = training_recommendations(page)
        tried += 1
    if trainings.count() == 0:
        pytest.skip(f"no training recommended to the first {TRIES} people of the priority list")
    widget = page.locator(RECOMMENDATIONS)
    assert_accessible(page, "the recommendation widget")
    shots(page, "recommendations", focus=widget)

    training = trainings.first
    title = training.locator(".item-main").inner_text().strip()
    training.get_by_role("button", name=re.compile(r"^Proposer")).click()
    expect(widget.get_by_role("status")).to_contain_text("Proposition enregistrée")
    expect(page.locator("#timeline .timeline-entries")).to_contain_text(title)

    other = widget.locator("li.recommendation").filter(has_not=widget.get_by_text(title, exact=True)).first
    other_title = other.locator(".item-main").inner_text().strip()
    other.get_by_role("link", name=re.compile(r"^Pas pertinent")).click()
    reasons = widget.get_by_role("group", name="Pourquoi n'est-ce pas pertinent ?")
    expect(reasons).to_be_visible()
    assert_accessible(page, "the « Pas pertinent » reason form")
    shots(page, "not-relevant-reason", focus=reasons)
    reasons.get_by_role("radio").first.check()
    widget.get_by_role("button", name="Enregistrer").click()
    expect(widget.get_by_role("status")).to_contain_text("ne sera plus suggérée")
    expect(widget.locator(".item-main", has_text=other_title)).to_have_count(0)
    shots(page, "not-relevant-recorded", focus=widget)
    journal["recommendations"] = True


TRIES = 5


def training_recommendations(page: Any) -> Any:
    """The training items of the loaded widget (none when it has none, or is absent)."""
    widget = page.locator(RECOMMENDATIONS)
    if widget.count():
        expect(page.locator("#recommendations-title")).to_be_visible()
    return widget.locator(".recommendation-kind", has=page.get_by_role("heading", name="Formations", exact=True)
                          ).locator("li.recommendation")

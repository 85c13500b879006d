"""Keyboard-only use of « À contacter en priorité » and its inline logging form, visible
focus, focus kept after htmx swaps; and a spot check that colour is never the only signal."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import Shots, assert_accessible, focused, log_in

MAX_TABS = 40


def tab_to(page: Any, pattern: str) -> dict[str, Any]:
    """Press Tab until the focused element's text matches ``pattern`` (a bounded walk)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if re.search(pattern, now["text"] or ""):
            return now
    raise AssertionError(f"{pattern!r} not reached in {MAX_TABS} Tab presses (at {focused(page)})")


def outline_of_focused(page: Any) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")


def test_priority_list_and_inline_form_by_keyboard(page: Any, shots: Shots) -> None:
    log_in(page, "counselor")
    page.goto("/priorites")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Aller au contenu"
    page.keyboard.press("Enter")  # the skip link: straight to the page's content
    assert focused(page)["id"] == "main"

    link = tab_to(page, r"^Tracer le contact")
    assert outline_of_focused(page) != "none", "the focus is not visible"
    entry = page.locator("tbody.priority-entry", has=page.locator(":focus"))
    entry_id = entry.get_attribute("id")
    page.keyboard.press("Enter")
    panel = page.locator(f"#{entry_id}-panel")
    expect(panel.locator("form")).to_be_visible()
    # The form opens with the focus on its first field (the channel).
    expect(panel.get_by_label("Canal")).to_be_focused()
    assert_accessible(page, "the inline logging form")
    shots(page, "inline-form", focus=panel)

    page.keyboard.press("Tab")  # direction
    page.keyboard.press("Tab")  # kind
    expect(panel.get_by_label("Nature")).to_be_focused()
    page.keyboard.press("ArrowDown")  # the first kind offered for a phone call
    assert panel.get_by_label("Nature").input_value() != ""
    page.keyboard.press("Tab")  # outcome: « Réalisé » by default
    page.keyboard.press("Tab")
    expect(panel.get_by_label("Notes")).to_be_focused()
    page.keyboard.type("Appel tracé au clavier")
    tab_to(page, r"^Enregistrer l'échange$")
    page.keyboard.press("Enter")

    row = page.locator(f"#{entry_id}")
    expect(row.locator(".priority-last-contact")).to_contain_text("aujourd'hui")
    expect(row.locator(".priority-last-contact .pill")).to_contain_text(re.compile(r"Contacté aujourd'hui|Échange tracé"))
    # The row was redrawn: the focus stays in it, not back at the top of the page.
    # (htmx settles the swapped row, then the app moves the focus: wait for it, do not race it).
    page.wait_for_function("id => { const e = document.activeElement; const r = e && e.closest('[id]');"
                           " return !!(r && r.id.startsWith(id)); }", arg=entry_id, timeout=5000)
    assert focused(page)["region"].startswith(entry_id), (link, focused(page))
    shots(page, "logged", focus=row)


def test_inline_form_cancel_gives_the_focus_back(page: Any) -> None:
    log_in(page, "counselor")
    page.goto("/priorites")
    entry = page.locator("#priority-results tbody.priority-entry").nth(1)
    entry.get_by_role("link", name=re.compile(r"^Écarter ou reporter")).focus()
    page.keyboard.press("Enter")
    cancel = entry.locator("[data-close-panel]")
    expect(cancel).to_be_visible()
    assert_accessible(page, "the dismiss-or-snooze form")
    cancel.focus()
    page.keyboard.press("Enter")
    expect(entry.locator("form")).to_have_count(0)
    expect(entry.locator(".priority-actions a[hx-get]").first).to_be_focused()


def test_colour_is_never_the_only_signal(page: Any) -> None:
    """Spot check: what colour marks is also written."""
    log_in(page, "counselor")
    page.goto("/priorites")
    for chip in page.locator(".reason-chip.reason-urgent").all()[:10]:
        expect(chip.locator(".reason-flag")).to_have_text("Urgent")
    for pill in page.locator(".pill").all()[:10]:
        assert pill.inner_text().strip(), "a coloured pill without text"
    page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, "team_manager")
    page.goto("/equipe")
    for badge in page.locator("#team-table .badge").all():
        text = badge.text_content()
        assert re.search(r"(au-dessus|en dessous|dans) (de )?la cible", text), text
    # The chart's red and light bars (above and below the target) carry an arrow in their label.
    labels = page.locator(".team-chart text").all_text_contents()
    assert sum("↑" in text for text in labels) == page.locator(".team-chart rect.bar-above").count()
    assert sum("↓" in text for text in labels) == page.locator(".team-chart rect.bar-below").count()
    # Invalid fields are marked by text and aria-invalid, not only by a red border.
    page.goto("/equipe/reaffectations")
    page.get_by_role("button", name="Réaffecter", exact=True).click()
    invalid = page.locator("[aria-invalid=true]")
    expect(invalid.first).to_be_visible()
    for field in invalid.all():
        expect(page.locator("#" + field.get_attribute("aria-describedby"))).not_to_be_empty()

"""French by default; the language switch (FR / EN in the header) is remembered: for the
rest of the session, and on the account for the next sign-in, in another browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import Shots, assert_accessible, log_in

# An account no other journey signs in with: its saved language changes here.
ROLE = "psychologist"


def switch(page: Any, code: str) -> None:
    page.locator(".lang-switch").get_by_role("button", name=code.upper()).click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def test_switch_is_remembered(new_page: Callable[[], Any], shots: Shots) -> None:
    page = new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    switch(page, "en")  # before signing in: for this browser's session
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator(".lang-switch button[aria-pressed=true]")).to_have_text("EN")
    assert_accessible(page, "the login page in English")
    shots(page, "login-en")
    switch(page, "fr")

    log_in(page, ROLE)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.get_by_role("link", name="Jetons d'API").click()
    page.wait_for_url("**/compte/jetons")
    path = page.url
    try:
        switch(page, "en")  # signed in: for the session and on the account
        assert page.url == path, "the switch should come back to the same page"
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.get_by_role("navigation", name="Main navigation").get_by_role("link").first.click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert_accessible(page, "a page in English")
        shots(page, "home-en")

        # Another browser (no cookie): French until signed in, then the account's choice.
        other = new_page()
        other.goto("/login")
        expect(other.locator("html")).to_have_attribute("lang", "fr")
        log_in(other, ROLE)
        expect(other.locator("html")).to_have_attribute("lang", "en")
        expect(other.get_by_role("button", name="Sign out")).to_be_visible()
    finally:
        switch(page, "fr")  # back to French, for the account and the next runs
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    third = new_page()
    log_in(third, ROLE)
    expect(third.locator("html")).to_have_attribute("lang", "fr")

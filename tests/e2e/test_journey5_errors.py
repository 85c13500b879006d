"""Journey 5: a counselor submits an invalid form and sees the errors in place (no reload,
the focus on the field to correct); then types the address of another agency's file and
gets the « Page introuvable » page (404), never the file."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from seeds.accounts import DEMO_ACCOUNTS
from tests.e2e.conftest import LiveServer, Shots, assert_accessible, focused, log_in, settle

EMAILS = {role: email for role, email, _what in DEMO_ACCOUNTS}


def other_agency_job_seeker(live_server: LiveServer) -> int:
    from crm.jobseekers.models import JobSeeker
    from crm.organisation.models import User

    agency_id = live_server.scalar(sa.select(User.agency_id).where(User.email == EMAILS["counselor"]))
    return live_server.scalar(sa.select(JobSeeker.id).where(JobSeeker.agency_id != agency_id)
                              .order_by(JobSeeker.id).limit(1))


def test_journey(page: Any, shots: Shots, live_server: LiveServer) -> None:
    log_in(page, "counselor")
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mon portefeuille").click()
    assert_accessible(page, "the portfolio")
    page.locator("table tbody th[scope=row] a").first.click()
    page.wait_for_url(re.compile(r"/beneficiaires/\d+$"))
    settle(page)
    file_url = page.url
    page.evaluate("window.__e2eNoReload = true")

    form = page.locator("#log-form")
    form.get_by_label("Notes").fill("Échange sans nature : refusé")
    form.get_by_role("button", name="Enregistrer l'échange").click()
    kind = page.locator("#log-form").get_by_label("Nature")
    expect(kind).to_have_attribute("aria-invalid", "true")
    errors = page.locator("#" + kind.get_attribute("aria-describedby"))
    expect(errors).to_have_text("Indiquez la nature de l'échange.")
    expect(page.locator("#log-form").get_by_label("Notes")).to_have_value("Échange sans nature : refusé")
    assert page.url == file_url and page.evaluate("window.__e2eNoReload === true"), "the page was reloaded"
    # The form that held the focus came back with its errors: the focus is on the field to correct.
    assert focused(page)["invalid"] == "true", focused(page)
    assert_accessible(page, "the logging form in error")
    shots(page, "form-errors", focus=page.locator("#log-form"))

    other = other_agency_job_seeker(live_server)
    response = page.goto(f"/beneficiaires/{other}")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.locator("main")).not_to_contain_text("Historique des échanges")
    assert_accessible(page, "the not-found page")
    shots(page, "not-found")

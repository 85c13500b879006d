"""The product's day: the calendar day in the configured time zone, not the UTC date."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask, has_app_context

from crm import clock


def test_the_day_and_its_bounds_after_midnight_in_paris(app: Flask, paris_past_midnight: date) -> None:
    with app.app_context():
        day = clock.current_day()
    assert day == clock.Day(today=date(2030, 7, 1), start_utc=datetime(2030, 6, 30, 22),
                            end_utc=datetime(2030, 7, 1, 22), now_utc=datetime(2030, 6, 30, 22, 30))


def test_outside_an_application_today_is_still_the_paris_day(paris_past_midnight: date) -> None:
    # A service called from a script without an application context dates as the pages do.
    assert not has_app_context()
    assert clock.today() == paris_past_midnight


def test_the_day_of_a_stored_moment_follows_the_configured_zone(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        assert clock.local_date(datetime(2030, 1, 15, 22, 59)) == date(2030, 1, 15)  # 23:59 in Paris (winter)
        assert clock.local_date(datetime(2030, 1, 15, 23, 0)) == date(2030, 1, 16)
        assert clock.local_date(datetime(2030, 6, 30, 22, 0)) == date(2030, 7, 1)  # summer: UTC+2
        monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "America/Cayenne")  # UTC-3
        assert clock.local_date(datetime(2030, 7, 1, 2, 0)) == date(2030, 6, 30)

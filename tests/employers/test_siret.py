"""SIRET checksum (Luhn, with La Poste's exception)."""

from __future__ import annotations

import pytest

from crm.employers.siret import is_valid_siret


@pytest.mark.parametrize("siret", ["44306184100047", "443 061 841 00047", "73282932000074", "35600000049837"])
def test_valid_siret(siret: str) -> None:
    assert is_valid_siret(siret)


@pytest.mark.parametrize("siret", ["44306184100048", "73282932000075", "4430618410004", "443061841000470",
                                   "4430618410004A", "", None, "１４３０６１８４１０００４７"])
def test_invalid_siret(siret: str | None) -> None:
    assert not is_valid_siret(siret)

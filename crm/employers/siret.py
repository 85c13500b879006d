"""SIRET numbers: 14 digits (SIREN + establishment number) with a Luhn check digit."""

from __future__ import annotations

SIRET_LENGTH = 14
# La Poste's establishments share one SIREN and are numbered past what Luhn allows:
# INSEE validates them by the sum of their digits being a multiple of 5.
LA_POSTE_SIREN = "356000000"


def normalise_siret(value: str) -> str:
    """The digits of a SIRET as typed (spaces are common: « 552 100 554 00025 »)."""
    return "".join(value.split())


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def is_valid_siret(value: str | None) -> bool:
    """``value`` is 14 digits (spaces allowed) whose Luhn checksum holds."""
    digits = normalise_siret(value or "")
    if len(digits) != SIRET_LENGTH or not digits.isascii() or not digits.isdigit():
        return False
    if digits.startswith(LA_POSTE_SIREN) and sum(int(c) for c in digits) % 5 == 0:
        return True
    return luhn_ok(digits)

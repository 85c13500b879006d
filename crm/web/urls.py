"""Redirect targets taken from the request (``next``) must stay on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_url(target: str | None) -> str | None:
    """``target`` when it is a local absolute path (``/…``), else ``None``.

    Refuses absolute URLs, scheme-relative ``//host`` and the ``/\\host`` form that
    browsers read as ``//host``, and anything with control characters.
    """
    if not target or not target.startswith("/") or len(target) > 2000:
        return None
    if target.startswith(("//", "/\\")) or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target

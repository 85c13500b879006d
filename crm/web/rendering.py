"""One URL per view: the full page, or only its fragment for an htmx request."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template
from htmx_flask import request


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page (boosted links and history
    restoration need the whole page)."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def render(template: str, fragment: str | None = None, *, status: int = 200, **context: Any) -> Response:
    """Render ``template`` (a page that includes ``fragment``), or only ``fragment``
    (``_name.html``, never extends) when htmx asks for it.

    ``Vary: HX-Request`` is always set so a cache never serves a fragment as a page.
    """
    name = fragment if fragment and wants_fragment() else template
    response = make_response(render_template(name, **context), status)
    response.vary.add("HX-Request")
    return response

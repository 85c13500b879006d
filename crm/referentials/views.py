"""Reference-data look-ups for pickers: the ROME tree (occupations and appellations)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from crm.referentials.search import MAX_RESULTS, find_choice, search_rome
from crm.web.rendering import render, wants_fragment

bp = Blueprint("referentials", __name__, url_prefix="/referentiels")

_FIELD_NAME = re.compile(r"^[a-z_]{1,40}$")
_ELEMENT_ID = re.compile(r"^[a-z][a-z0-9_-]{0,60}$")


def _picker_args() -> tuple[str, str]:
    """The form field the picker fills and the id of its list of chosen values."""
    name = request.args.get("name", "targets")
    target = request.args.get("target", "targets-chosen").lstrip("#")
    if not _FIELD_NAME.match(name) or not _ELEMENT_ID.match(target):
        abort(400)
    return name, target


@bp.get("/rome")
@login_required
def rome() -> ResponseReturnValue:
    """Occupations and appellations matching ``q`` (at most 20): an HTML list of
    choices for an htmx picker, JSON otherwise."""
    query = request.args.get("q", "")[:100]
    results = search_rome(query, limit=MAX_RESULTS)
    if wants_fragment():
        name, target = _picker_args()
        return render("referentials/_rome_results.html", results=results, query=query.strip(),
                      name=name, target=target)
    response = jsonify(query=query, results=[match.as_dict() for match in results])
    response.vary.add("HX-Request")
    return response


@bp.get("/rome/choix")
@login_required
def rome_choice() -> ResponseReturnValue:
    """One chosen occupation, as the picker appends it to its list (a checked box)."""
    match = find_choice(request.args.get("value", ""))
    if match is None:
        abort(404)
    name, _target = _picker_args()
    return render("referentials/_rome_choice.html", match=match, name=name)

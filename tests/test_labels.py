"""Every stored enum code has a French label (translated in English)."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

import crm.models  # noqa: F401  (every model module, hence every enum)
from crm.db import Choice
from crm.enums import ItemKind, Modality
from crm.interactions.models import Channel
from crm.labels import LABELS, choices, label
from crm.organisation.models import Role


def all_choice_enums() -> list[type[Choice]]:
    found, todo = [], list(Choice.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


ENUMS = all_choice_enums()


def test_the_enum_list_is_not_empty() -> None:
    assert len(ENUMS) > 40 and Modality in ENUMS and Role in ENUMS


@pytest.mark.parametrize("enum_cls", ENUMS, ids=lambda c: c.__name__)
def test_every_member_has_a_label(app: Flask, enum_cls: type[Choice]) -> None:
    assert enum_cls in LABELS, f"no labels for {enum_cls.__module__}.{enum_cls.__name__}"
    assert set(LABELS[enum_cls]) == set(enum_cls), f"labels of {enum_cls.__name__} do not match its members"
    with app.test_request_context():
        for member in enum_cls:
            text = str(label(member))
            assert text and text != member.value or member.value.isupper(), (enum_cls.__name__, member)


def test_same_code_in_two_enums_keeps_its_own_label(app: Flask) -> None:
    assert Channel.EVENT == ItemKind.EVENT  # str enums: why labels are keyed by class
    with app.test_request_context():
        assert str(label(Channel.EVENT)) == "Forum ou événement"
        assert str(label(ItemKind.EVENT)) == "Événement"


def test_filter_default_and_english(app: Flask) -> None:
    with app.test_request_context():
        assert render_template_string("{{ m|label }}|{{ none|label }}|{{ none|label('aucun') }}",
                                      m=Modality.RENFORCE, none=None) == "Renforcé|—|aucun"
        assert choices(Role)[0] == ("counselor", "Conseiller emploi")
        with force_locale("en"):
            assert str(label(Role.TEAM_MANAGER)) == "Team manager"

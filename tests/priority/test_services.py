"""Recording feedback on a priority list: the rules on actions, reasons, comments and
snooze dates; the feedback row and its audit event."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEvent
from crm.errors import DomainError
from crm.extensions import db
from crm.interactions.models import Feedback, FeedbackAction, FeedbackContext
from crm.priority.services import SNOOZE_MAX_DAYS, default_snooze, record_priority_feedback
from tests.priority.conftest import World

TODAY = date(2026, 11, 23)


def record(world: World, **kwargs: Any) -> Feedback:
    values: dict[str, Any] = {"author": world.counselor, "job_seeker": world.people["Zalpha"],
                              "action": FeedbackAction.DISMISS, "reason": "situation_known", "today": TODAY}
    values.update(kwargs)
    return record_priority_feedback(**values)


def test_dismiss_is_recorded_with_its_model_version_and_audited(world: World) -> None:
    feedback = record(world, model_version_id=world.version.id, comment="  Vu hier à l'agence  ")
    assert (feedback.context, feedback.action, feedback.reason, feedback.comment, feedback.model_version_id) == (
        FeedbackContext.PRIORITY_LIST, FeedbackAction.DISMISS, "situation_known", "Vu hier à l'agence",
        world.version.id)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "priority_list.feedback")).one()
    assert event.job_seeker_id == world.people["Zalpha"].id and event.details["action"] == "dismiss"


def test_snooze_within_ninety_days(world: World) -> None:
    assert default_snooze(TODAY) == TODAY + timedelta(days=14)
    feedback = record(world, action=FeedbackAction.SNOOZE, snoozed_until=TODAY + timedelta(days=SNOOZE_MAX_DAYS))
    assert feedback.snoozed_until == TODAY + timedelta(days=90)


@pytest.mark.parametrize("kwargs, field", [
    ({"action": FeedbackAction.SNOOZE}, "snoozed_until"),
    ({"action": FeedbackAction.SNOOZE, "snoozed_until": TODAY}, "snoozed_until"),
    ({"action": FeedbackAction.SNOOZE, "snoozed_until": TODAY + timedelta(days=91)}, "snoozed_until"),
    ({"snoozed_until": TODAY + timedelta(days=3)}, "snoozed_until"),  # a date only goes with a snooze
    ({"reason": "bored"}, "reason"),
    ({"reason": "other"}, "comment"),
    ({"reason": "other", "comment": "x" * 501}, "comment"),
    ({"action": FeedbackAction.NOT_RELEVANT}, "action"),
])
def test_invalid_feedback(world: World, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as raised:
        record(world, **kwargs)
    assert raised.value.field == field


def test_one_party(world: World) -> None:
    with pytest.raises(DomainError):
        record(world, employer=world.employers["Zfox"])
    feedback = record(world, job_seeker=None, employer=world.employers["Zfox"], reason="unavailable")
    assert feedback.employer_id == world.employers["Zfox"].id and feedback.job_seeker_id is None

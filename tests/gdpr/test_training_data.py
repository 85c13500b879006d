"""The recommender's training data never holds names or contact details (RGPD, data minimisation).

Every frame builder of ``crm.scoring.frames`` that takes ``(session, as_of)`` is run over
people and employers whose names and contact details are unmistakable; neither the column
names nor any value may carry them.
"""

from __future__ import annotations

import inspect
import re
from datetime import date, datetime

import pandas as pd
import pytest

from crm.employers.models import EmployerContact
from crm.extensions import db
from crm.jobseekers.models import JobSeekerStatus
from crm.scoring import frames
from tests.factories import (
    make_application, make_employer, make_interaction, make_job_seeker, make_offer, make_outcome_episode, make_user,
)

AS_OF = date(2026, 3, 1)
IDENTIFYING = ("Hortense", "Zyzomys", "hortense.zyzomys@example.org", "06 98 76 54 32", "17 impasse des Glycines",
               "Confidences médicales", "Garage Zyzomys", "contact@garage-zyzomys.example", "Quentin", "Quillard")
FORBIDDEN_COLUMN = re.compile(r"name|e_?mail|phone|address|street|notes?$|comment|birth|nir\b|siret", re.I)


def builders() -> list:
    """Public ``*_frame`` functions of the adapter that need only a session and a day."""
    found = []
    for name, function in inspect.getmembers(frames, inspect.isfunction):
        if not name.endswith("_frame") or name.startswith("_") or function.__module__ != frames.__name__:
            continue
        required = [p.name for p in inspect.signature(function).parameters.values()
                    if p.default is inspect.Parameter.empty and p.kind is not p.KEYWORD_ONLY]
        if len(required) == 2:
            found.append(function)
    return found


def test_the_builders_are_found(app) -> None:
    names = {function.__name__ for function in builders()}
    assert {"job_seeker_frame", "employer_frame"} <= names


@pytest.mark.parametrize("labels", [False, True])
def test_no_frame_holds_names_or_contact_details(db_session, labels: bool) -> None:
    counselor = make_user(first_name="Quentin", last_name="Quillard", email="quentin.quillard@proxima.test")
    employer = make_employer(counselor=counselor, name="Garage Zyzomys", address="17 impasse des Glycines",
                             notes="Confidences médicales")
    employer.contacts.append(EmployerContact(first_name="Hortense", last_name="Zyzomys",
                                             email="contact@garage-zyzomys.example", phone="06 98 76 54 32"))
    for status in (JobSeekerStatus.ACTIVE, JobSeekerStatus.EXITED):
        person = make_job_seeker(referent=counselor, first_name="Hortense", last_name="Zyzomys",
                                 email="hortense.zyzomys@example.org", phone="06 98 76 54 32",
                                 address="17 impasse des Glycines", notes="Confidences médicales",
                                 skills=["Confidences médicales"], registration_date=date(2025, 1, 6), status=status)
        make_interaction(person, occurred_at=datetime(2026, 1, 5, 10), author=counselor, notes="Confidences médicales")
        offer = make_offer(employer=employer, counselor=counselor, title="Garage Zyzomys recrute")
        make_application(offer, person, employer_feedback="Confidences médicales")
        make_outcome_episode(person, start_on=date(2026, 4, 1), employer=employer)
    db.session.flush()

    built = 0
    for build in builders():
        kwargs = {"labels": labels} if "labels" in inspect.signature(build).parameters else {}
        frame = build(db.session, AS_OF, **kwargs)
        assert isinstance(frame, pd.DataFrame) and not frame.empty, build.__name__
        built += 1
        bad = [column for column in frame.columns if FORBIDDEN_COLUMN.search(str(column))]
        assert bad == [], f"{build.__name__}: {bad}"
        text = frame.astype(str).to_csv(index=False)
        for value in IDENTIFYING:
            assert value not in text, f"{build.__name__} holds {value!r}"
    assert built >= 2

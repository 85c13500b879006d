"""The adapter: features as of a day D read nothing dated from D on; labels look after D."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from crm.enums import Modality
from crm.extensions import db
from crm.interactions.models import (
    AppointmentKind, AppointmentStatus, Channel, Direction, InteractionKind, InteractionOrigin, InteractionOutcome,
)
from crm.jobseekers.models import Barrier, BarrierKind
from crm.scoring.frames import employer_frame, job_seeker_frame
from recommender import schema as S
from tests.factories import (
    make_appointment, make_application, make_benefit_right, make_commune, make_employer, make_interaction,
    make_job_seeker, make_offer, make_outcome_episode, make_rome_occupation, make_user,
)

D = date(2026, 3, 1)
BEFORE = datetime(2026, 2, 20, 10, 0)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


@pytest.fixture()
def person(db_session: Session):  # noqa: ANN201
    counselor = make_user(external_id="AGT1")
    make_commune("44109", name="Nantes", latitude=47.218, longitude=-1.554)
    make_commune("44184", name="Saint-Nazaire", latitude=47.273, longitude=-2.214)
    return make_job_seeker(referent=counselor, external_id="DE1", registration_date=date(2025, 1, 6),
                           commune_insee="44109", mobility_km=20, modality=Modality.GUIDE)


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column but the labels (which look after D by design)."""
    return frame.drop(columns=[c for c in (S.LABEL_EMPLOYMENT, S.TREATED, S.TREATED_RANDOM, S.REGULAR_CONTACT,
                                           S.LABEL_HIRES_NEXT_6M) if c in frame])


def add_history_before(person, author) -> None:  # noqa: ANN001
    make_interaction(person, occurred_at=BEFORE, author=author, outcome=InteractionOutcome.REACHED)
    make_interaction(person, occurred_at=at(D - timedelta(days=45)), author=author, channel=Channel.VISIO)
    make_interaction(person, occurred_at=at(D - timedelta(days=3)), kind=InteractionKind.LOGIN,
                     direction=Direction.INBOUND)
    make_appointment(person, scheduled_at=at(D - timedelta(days=10)), status=AppointmentStatus.MISSED)
    make_benefit_right(person, start_on=date(2025, 1, 10), end_on=D + timedelta(days=12))


def add_rows_from(day: date, person, author, employer) -> None:  # noqa: ANN001
    """Rows dated D or later, of every kind a feature reads."""
    moment = at(day, 9)
    make_interaction(person, occurred_at=moment, author=author, outcome=InteractionOutcome.REACHED)
    make_interaction(person, occurred_at=moment, kind=InteractionKind.SITUATION_INTERVIEW, author=author)
    make_interaction(person, occurred_at=moment, kind=InteractionKind.LOGIN, direction=Direction.INBOUND)
    make_appointment(person, scheduled_at=moment, status=AppointmentStatus.DONE, kind=AppointmentKind.REVIEW_6_9)
    make_appointment(person, scheduled_at=moment + timedelta(days=1), status=AppointmentStatus.MISSED)
    make_benefit_right(person, start_on=day + timedelta(days=40), end_on=day + timedelta(days=400))
    make_outcome_episode(person, start_on=day, end_on=day + timedelta(days=10))
    offer = make_offer(employer=employer, created_on=day, commune_insee="44109")
    make_application(offer, person, created_at=moment)
    db.session.add(Barrier(job_seeker_id=person.id, kind=BarrierKind.MOBILITY, noted_on=day))
    db.session.flush()


def test_rows_dated_from_d_on_change_no_feature(person) -> None:  # noqa: ANN001
    author = make_user()
    employer = make_employer()
    add_history_before(person, author)
    first = job_seeker_frame(db.session, D)

    for day in (D, D + timedelta(days=1), D + timedelta(days=90)):
        add_rows_from(day, person, author, employer)
    again = job_seeker_frame(db.session, D)
    employers_first = employer_frame(db.session, D)

    pd.testing.assert_frame_equal(features(first), features(again))
    assert employers_first.loc[0, S.OFFERS_6M] == 0  # offers created on or after D are not seen
    assert employers_first.loc[0, S.OPEN_OFFERS] == 0


def test_feature_values(person) -> None:  # noqa: ANN001

    author = make_user()
    add_history_before(person, author)
    row = job_seeker_frame(db.session, D).iloc[0]

    assert row[S.EXTERNAL_ID] == "DE1" and row[S.COUNSELOR_EXTERNAL_ID] == "AGT1"
    assert row[S.CONTACTS_30D] == 1  # the phone call 9 days before; the login is not a contact
    assert row[S.CONTACTS_90D] == 2
    assert row[S.DAYS_SINCE_CONTACT] == 9
    assert row[S.ONLINE_30D] == 1 and row[S.DAYS_SINCE_ONLINE] == 3
    assert row[S.DAYS_TO_RIGHTS_END] == 12 and row[S.HAS_BENEFITS] == 1
    assert row[S.SITUATION_INTERVIEW_MISSING] == 1  # registered 14 months ago, never held
    assert row[S.REVIEW_OVERDUE] == 1
    assert pd.isna(row[S.DAYS_SINCE_MISSED_APPOINTMENT])  # missed 10 days before, but reached by phone after
    assert row[S.CONTACT_INTERVAL_DAYS] == 60  # guidé
    assert row[S.AGE_BAND] == "26-49" and row[S.GENDER] == "female"


def test_missed_appointment_not_followed_by_a_contact(person) -> None:  # noqa: ANN001

    author = make_user()
    make_interaction(person, occurred_at=at(D - timedelta(days=20)), author=author)
    make_appointment(person, scheduled_at=at(D - timedelta(days=10)), status=AppointmentStatus.MISSED)

    row = job_seeker_frame(db.session, D).iloc[0]

    assert row[S.DAYS_SINCE_MISSED_APPOINTMENT] == 10


def test_labels_and_treatment(person) -> None:  # noqa: ANN001

    author = make_user()
    other = make_job_seeker(referent=author, registration_date=date(2025, 6, 1))
    short = make_job_seeker(referent=author, registration_date=date(2025, 6, 1))
    make_outcome_episode(person, start_on=D + timedelta(days=100), end_on=None)  # open-ended: counts
    make_outcome_episode(short, start_on=D + timedelta(days=5), end_on=D + timedelta(days=20))  # < 28 days
    make_outcome_episode(other, start_on=D + timedelta(days=190))  # after the horizon
    make_interaction(person, occurred_at=at(D + timedelta(days=3)), author=author,
                     origin=InteractionOrigin.EXPLORATION, outcome=InteractionOutcome.REACHED)
    make_interaction(other, occurred_at=at(D + timedelta(days=3)), author=author, outcome=InteractionOutcome.REACHED)
    make_interaction(short, occurred_at=at(D + timedelta(days=31)), author=author)  # outside the window

    frame = job_seeker_frame(db.session, D, labels=True).set_index(S.JOB_SEEKER_ID)

    assert frame.loc[person.id, [S.LABEL_EMPLOYMENT, S.TREATED, S.TREATED_RANDOM, S.REGULAR_CONTACT]].tolist() \
        == [1, 1, 1, 0]
    assert frame.loc[other.id, [S.LABEL_EMPLOYMENT, S.TREATED, S.TREATED_RANDOM, S.REGULAR_CONTACT]].tolist() \
        == [0, 1, 0, 1]
    assert frame.loc[short.id, [S.LABEL_EMPLOYMENT, S.TREATED, S.TREATED_RANDOM, S.REGULAR_CONTACT]].tolist() \
        == [0, 0, 0, 0]


def test_only_people_registered_before_and_not_exited(person) -> None:  # noqa: ANN001

    later = make_job_seeker(registration_date=D)
    gone = make_job_seeker(registration_date=date(2025, 1, 6), exit_date=D - timedelta(days=1))
    leaving = make_job_seeker(registration_date=date(2025, 1, 6), exit_date=D)

    ids = set(job_seeker_frame(db.session, D)[S.JOB_SEEKER_ID])

    assert person.id in ids and leaving.id in ids
    assert later.id not in ids and gone.id not in ids


def test_offers_nearby_count_target_occupation_within_the_radius(person) -> None:  # noqa: ANN001
    from crm.jobseekers.models import JobSeekerTarget

    make_rome_occupation("M1607")
    db.session.add(JobSeekerTarget(job_seeker_id=person.id, rome_code="M1607", rank=1))
    employer = make_employer()
    make_offer(employer=employer, created_on=D - timedelta(days=5), commune_insee="44109")  # same town
    make_offer(employer=employer, created_on=D - timedelta(days=20), commune_insee="44109")  # older than 14 days
    make_offer(employer=employer, created_on=D - timedelta(days=5), commune_insee="44184")  # ~50 km away
    make_offer(employer=employer, created_on=D - timedelta(days=5), commune_insee="44109", rome_code="K2204")
    db.session.flush()

    row = job_seeker_frame(db.session, D).iloc[0]

    assert row[S.OFFERS_NEARBY_30D] == 2
    assert row[S.NEW_OFFERS_COUNT] == 1 and row[S.NEW_OFFERS_ROME] == "M1607"


def test_employer_history_windows(db_session: Session) -> None:

    counselor = make_user(external_id="AGT9")
    employer = make_employer(counselor=counselor, external_id="EMP1")
    seeker = make_job_seeker()
    make_outcome_episode(seeker, start_on=D - timedelta(days=30), employer=employer)  # last 6 months
    make_outcome_episode(seeker, start_on=D - timedelta(days=250), employer=employer)  # 6–12 months before
    make_outcome_episode(seeker, start_on=D + timedelta(days=30), employer=employer)  # next period (label)
    make_offer(employer=employer, created_on=D - timedelta(days=40))  # open, ageing
    make_offer(employer=employer, created_on=D - timedelta(days=10), status="filled", filled_on=D + timedelta(days=2))

    row = employer_frame(db.session, D, labels=True).iloc[0]

    assert row[S.EXTERNAL_ID] == "EMP1" and row[S.COUNSELOR_EXTERNAL_ID] == "AGT9"
    assert (row[S.HIRES_6M], row[S.HIRES_PREV_6M], row[S.LABEL_HIRES_NEXT_6M]) == (1, 1, 1)
    assert (row[S.OFFERS_6M], row[S.OPEN_OFFERS], row[S.AGEING_OFFERS]) == (2, 2, 1)
    assert row[S.OLDEST_OPEN_OFFER_DAYS] == 40

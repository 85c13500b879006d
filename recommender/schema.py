"""Column names of the DataFrames the recommender exchanges with the application.

The adapter in ``crm/scoring/frames.py`` builds these frames from the database *as of a
day D*: every column below is computed from rows dated strictly before D, except the
labels (``LABEL_*`` and ``TREATED*``), which look at what happened from D on and exist
only in training and evaluation frames.

One row per active job seeker (``JOB_SEEKER_*``) or per employer (``EMPLOYER_*``).
Missing values are ``NaN`` (numbers) or ``None`` (categories); booleans are 0/1 integers.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- job seekers
# Identity and context: never model inputs.
JOB_SEEKER_ID = "job_seeker_id"            # internal id (int)
EXTERNAL_ID = "external_id"                # source-system id, kept in every output (str or None)
COUNSELOR_ID = "counselor_id"              # internal id of the referent (int or None)
COUNSELOR_EXTERNAL_ID = "counselor_external_id"
AS_OF = "as_of"                            # the day D the row describes (datetime64)

# Protected attributes: audit dimensions only, NEVER model inputs (checked by a test).
GENDER = "gender"                          # "female" / "male"
AGE_BAND = "age_band"                      # "<26" / "26-49" / "50+"
NATIONALITY_GROUP = "nationality_group"    # "french" / "eu" / "non_eu"
DISABILITY = "disability"                  # 0/1: RQTH (travailleur handicapé)
QPV = "qpv"                                # 0/1: lives in a priority neighbourhood
PROTECTED = (GENDER, AGE_BAND, NATIONALITY_GROUP, DISABILITY, QPV)

# Model features: the person's situation.
MODALITY = "modality"                      # "suivi" / "guide" / "renforce" / "global" / "aij"
EDUCATION_RANK = "education_rank"          # 0 none, 1 CAP/BEP, 2 bac, 3 bac+2, 4 bac+3, 5 bac+5
EXPERIENCE_MONTHS = "experience_months"
DIGITAL_AUTONOMY_RANK = "digital_autonomy_rank"  # 0 not autonomous, 1 partly, 2 autonomous
RSA = "rsa"                                # 0/1
MOBILITY_KM = "mobility_km"
MONTHS_REGISTERED = "months_registered"    # since registration_date, at D
OPEN_BARRIERS = "open_barriers"            # peripheral barriers noted before D and not resolved at D
HAS_BENEFITS = "has_benefits"              # 0/1: a benefit right open at D
DAYS_TO_RIGHTS_END = "days_to_rights_end"  # days from D to the end of the open right (NaN without one)
TARGET_COUNT = "target_count"
TARGET_SHORTAGE_PCT = "target_shortage_pct"  # highest labour-shortage rate of the targets (NaN if unknown)
# History before D.
CONTACTS_30D = "contacts_30d"              # meaningful counselor contacts (or inbound), not online
CONTACTS_90D = "contacts_90d"
DAYS_SINCE_CONTACT = "days_since_contact"  # since the last such contact, else since registration
ONLINE_30D = "online_30d"                  # online actions (logins, searches, CV updates, applications)
DAYS_SINCE_ONLINE = "days_since_online"    # NaN when never
PROPOSALS_90D = "proposals_90d"
PROPOSALS_ACCEPTED_90D = "proposals_accepted_90d"
APPLICATIONS_90D = "applications_90d"      # mises en relation created in the 90 days before D
TRAININGS_COMPLETED = "trainings_completed"  # training/workshop proposals completed before D
SHORT_JOBS_365D = "short_jobs_365d"        # employment episodes under 28 days started in the year before D
# Local market.
OFFERS_NEARBY_30D = "offers_nearby_30d"    # offers in a target ROME, within the mobility radius, created in the 30 days before D

JOB_SEEKER_FEATURES = (
    MODALITY, EDUCATION_RANK, EXPERIENCE_MONTHS, DIGITAL_AUTONOMY_RANK, RSA, MOBILITY_KM, MONTHS_REGISTERED,
    OPEN_BARRIERS, HAS_BENEFITS, DAYS_TO_RIGHTS_END, TARGET_COUNT, TARGET_SHORTAGE_PCT, CONTACTS_30D,
    CONTACTS_90D, DAYS_SINCE_CONTACT, ONLINE_30D, DAYS_SINCE_ONLINE, PROPOSALS_90D, PROPOSALS_ACCEPTED_90D,
    APPLICATIONS_90D, TRAININGS_COMPLETED, SHORT_JOBS_365D, OFFERS_NEARBY_30D,
)
JOB_SEEKER_CATEGORICAL = (MODALITY,)

# Inputs of the urgency rules and of the reasons (computed as of D, not model features).
CONTACT_INTERVAL_DAYS = "contact_interval_days"  # the modality's interval for this agency
SITUATION_INTERVIEW_MISSING = "situation_interview_missing"  # 0/1: > 30 days registered, no entretien de situation
REVIEW_OVERDUE = "review_overdue"          # 0/1: > 9 months registered, no 6–9 month review held
DAYS_SINCE_MISSED_APPOINTMENT = "days_since_missed_appointment"  # last missed appointment not followed by a contact (NaN)
DAYS_SINCE_REFERRAL_NO_SHOW = "days_since_referral_no_show"      # last partner no-show not followed up (NaN)
NEW_OFFERS_ROME = "new_offers_rome"        # the target ROME with most offers within reach in the 14 days before D (None)
NEW_OFFERS_COUNT = "new_offers_count"      # how many (0 when none)
NEW_OFFERS_RADIUS_KM = "new_offers_radius_km"  # the radius used (the person's mobility, capped)
URGENCY_INPUTS = (
    CONTACT_INTERVAL_DAYS, SITUATION_INTERVIEW_MISSING, REVIEW_OVERDUE, DAYS_SINCE_MISSED_APPOINTMENT,
    DAYS_SINCE_REFERRAL_NO_SHOW, NEW_OFFERS_ROME, NEW_OFFERS_COUNT, NEW_OFFERS_RADIUS_KM,
)

# Labels (training and evaluation only; they look after D).
LABEL_EMPLOYMENT = "label_employment"      # 0/1: employment of ≥ 28 days starting in [D, D + 183 days)
TREATED = "treated"                        # 0/1: a meaningful counselor contact in [D, D + 30 days)
TREATED_RANDOM = "treated_random"          # 0/1: a randomised (exploration) contact in [D, D + 30 days)
# 0/1: a counselor contact in [D, D + 30 days) that was not randomised. The randomisation
# only decides for people the regular policy leaves alone (a person picked at random and
# contacted anyway is recorded as a regular contact), so the contact effect is estimated on
# the rows with REGULAR_CONTACT = 0: there, TREATED_RANDOM is a fair coin flip.
REGULAR_CONTACT = "regular_contact"
OUTCOME_HORIZON_DAYS = 183
TREATMENT_WINDOW_DAYS = 30
MIN_EMPLOYMENT_DAYS = 28

# --------------------------------------------------------------------------- employers
EMPLOYER_ID = "employer_id"
# EXTERNAL_ID, COUNSELOR_ID, COUNSELOR_EXTERNAL_ID, AS_OF as above.
NAF_SECTION = "naf_section"                # "A" … "U"
SIZE_RANK = "size_rank"                    # size band in order (0 = no employee … )
HIRES_6M = "hires_6m"                      # hires (employment episodes at this employer) started in [D-6m, D)
HIRES_PREV_6M = "hires_prev_6m"            # … in [D-12m, D-6m)
OFFERS_6M = "offers_6m"                    # offers created in [D-6m, D)
OFFERS_PREV_6M = "offers_prev_6m"
OPEN_OFFERS = "open_offers"                # offers open at D
AGEING_OFFERS = "ageing_offers"            # open at D and created more than 30 days before D
OLDEST_OPEN_OFFER_DAYS = "oldest_open_offer_days"  # NaN without open offer
APPLICATIONS_6M = "applications_6m"        # mises en relation on its offers in [D-6m, D)
SECTOR_HIRES_LOG = "sector_hires_log"      # log1p of the national hires of its NAF code (referential)
EMPLOYER_DAYS_SINCE_CONTACT = "employer_days_since_contact"  # NaN when never contacted
EMPLOYER_CONTACTS_90D = "employer_contacts_90d"

EMPLOYER_FEATURES = (
    NAF_SECTION, SIZE_RANK, HIRES_6M, HIRES_PREV_6M, OFFERS_6M, OFFERS_PREV_6M, OPEN_OFFERS, AGEING_OFFERS,
    OLDEST_OPEN_OFFER_DAYS, APPLICATIONS_6M, SECTOR_HIRES_LOG, EMPLOYER_DAYS_SINCE_CONTACT, EMPLOYER_CONTACTS_90D,
)
EMPLOYER_CATEGORICAL = (NAF_SECTION,)
LABEL_HIRES_NEXT_6M = "label_hires_next_6m"  # hires started in [D, D + 183 days)

# --------------------------------------------------------------------------- outputs
SCORE = "score"                            # the priority score (higher = contact first), see recommender/priority.py
RANK = "rank"                              # 1-based rank within the counselor's portfolio
OUTCOME_PROBABILITY = "outcome_probability"  # calibrated P(return to employment within 6 months)
UPLIFT = "uplift"                          # estimated gain of that probability from a contact now
URGENCY = "urgency"                        # urgency points from the rules (0 = none)
EXPLORATION = "exploration"                # 0/1: placed at random in the list (exploration slot)
REASONS = "reasons"                        # list of Reason (recommender/reasons.py), most important first
HIRING_POTENTIAL = "hiring_potential"      # employers: expected hires in the next 6 months

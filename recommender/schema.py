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

# --------------------------------------------------------------------------- recommendations (what to propose)
# One row per candidate pair (job seeker, item) as of D, built by ``crm/recommendations/candidates.py``
# after candidate generation. Person columns above (JOB_SEEKER_ID, EXTERNAL_ID, protected
# attributes, JOB_SEEKER_FEATURES) may be merged in; the pair columns are:
ITEM_KIND = "item_kind"                    # "offer" / "training" / "workshop" / "prestation" / "partner_service" / "event"
ITEM_ID = "item_id"                        # internal id: job_offer.id for offers, catalogue_item.id otherwise
ITEM_KEY = "item_key"                      # "<kind>:<id>", unique across kinds
ITEM_EXTERNAL_ID = "item_external_id"
SESSION_ID = "session_id"                  # the session offered (catalogue items with sessions; NaN otherwise)
ITEM_KINDS = ("offer", "training", "workshop", "prestation", "partner_service", "event")
ITEM_CODE = "item_code"                    # catalogue code ("CPP", "POPS-MDPH", "AIJ", …) or None
ITEM_ROME = "item_rome"                    # the item's occupation (offer ROME, or the training's ROME nearest the project) or None
PERSON_ROME = "person_rome"                # the person's first target ROME (None without target)
PERSON_BASSIN = "person_bassin"            # the person's bassin d'emploi code (None if unknown)
# Pair features (model inputs).
OCCUPATION_MATCH = "occupation_match"      # 1 first target, 0.7 other target, 0.5 related, 0.25 same family, 0 else; NaN: item without occupation
ROME_DISTANCE = "rome_distance"            # ROME tree: 0 same code, 1 related (bassin mobility), 2 same family, 3 same domain, 4 else; NaN
RELATED_SCORE = "related_score"            # per-bassin related-occupation score from the first target to ITEM_ROME (0 if none)
DISTANCE_KM = "distance_km"                # person's commune to the item's (offer or next session) commune; NaN unknown
BEYOND_MOBILITY = "beyond_mobility"        # 0/1: DISTANCE_KM above the person's mobility radius
SEATS_LEFT = "seats_left"                  # next session's capacity minus registrations, offer positions minus hires; NaN
DAYS_TO_START = "days_to_start"            # days from D to the next session's start; NaN for offers and services without session
ITEM_AGE_DAYS = "item_age_days"            # offers: days since creation; NaN otherwise
ITEM_SHORTAGE_PCT = "item_shortage_pct"    # labour-shortage rate of ITEM_ROME in the person's region (NaN)
ITEM_PROPOSALS_365D = "item_proposals_365d"  # proposals of this item in the year before D (any person)
ITEM_ACCEPT_RATE = "item_accept_rate"      # smoothed share of those accepted
ITEM_ACCEPTED_365D = "item_accepted_365d"  # those accepted (not a model input: the reasons' exact rate)
ITEM_SUCCESS_RATE = "item_success_rate"    # smoothed share of accepted proposals followed by employment within 6 months
POPULARITY_OCC_BASSIN = "popularity_occ_bassin"  # accepted proposals of this item, year before D, to people with the same first target ROME and bassin
PERSON_ACCEPT_RATE = "person_accept_rate"  # smoothed share of the person's proposals accepted before D
PERSON_OPEN_APPLICATIONS = "person_open_applications"  # mises en relation in progress at D (proposed/sent/interview)
ITEM_PREVIOUSLY_PROPOSED = "item_previously_proposed"  # 0/1: this item was proposed to the person before D
KIND_CANDIDATES = "kind_candidates"        # the person's candidate items of the same kind (the choice it competes in)
NEED_MATCH = "need_match"                  # 0/1: the item answers a need of the person's action plan (work axes, barriers, recent MRS)
# Item-to-item similarity of the item to the person's proposals of the year before D
# (recommender.proposals.ItemKNN fit on every proposal of that year; 0 without history).
ITEM_KNN_SCORE = "item_knn_score"
PAIR_FEATURES = (
    OCCUPATION_MATCH, ROME_DISTANCE, RELATED_SCORE, DISTANCE_KM, BEYOND_MOBILITY, SEATS_LEFT, DAYS_TO_START,
    ITEM_AGE_DAYS, ITEM_SHORTAGE_PCT, ITEM_PROPOSALS_365D, ITEM_ACCEPT_RATE, ITEM_SUCCESS_RATE,
    POPULARITY_OCC_BASSIN, PERSON_ACCEPT_RATE, PERSON_OPEN_APPLICATIONS, ITEM_PREVIOUSLY_PROPOSED, NEED_MATCH,
    KIND_CANDIDATES, ITEM_KNN_SCORE,
)
PAIR_CATEGORICAL = (ITEM_KIND,)
# Eligibility and coherence inputs (rules, never model inputs).
AGE_YEARS = "age_years"                    # age at D (eligibility only; AGE_BAND stays an audit dimension)
ITEM_MAX_AGE = "item_max_age"              # catalogue eligibility "max_age" (NaN: none)
ITEM_REQUIRES = "item_requires"            # tuple of required statuses: "rqth", "rsa", … (empty tuple: none)
DAYS_SINCE_DONE = "days_since_done"        # since the person entered/completed/was hired through this item, or was put forward for this offer (NaN: never)
DAYS_SINCE_IN_PROGRESS = "days_since_in_progress"  # since it was proposed to the person, accepted or still awaiting an answer (NaN: none)
DAYS_SINCE_DECLINED = "days_since_declined"  # since the person last declined it or it was set aside as not relevant (NaN)
BLOCKING_PRESCRIPTION = "blocking_prescription"  # 0/1: the same training is already prescribed (seed 001)
# Labels (after D): 0 none, 1 proposed and accepted in [D, D + RECOMMENDATION_WINDOW_DAYS),
# 2 accepted and then entered, completed or hired.
LABEL_RELEVANCE = "label_relevance"
RECOMMENDATION_WINDOW_DAYS = 60
# Outputs.
RECOMMENDATION_SCORE = "recommendation_score"
OUT_OF_PROJECT = "out_of_project"          # 0/1: training toward an occupation unrelated to the project (flagged, seed 001)

# Candidates for an offer: the same pair frame seen from the offer (ITEM_KIND == "offer");
# its label is LABEL_RELEVANCE with 1 = put forward (mise en relation) in the window, 2 = interview or hired.
# Person columns the pair frame always carries (cheap to read for one person, model inputs too).
PERSON_PAIR_FEATURES = (MODALITY, EDUCATION_RANK, DIGITAL_AUTONOMY_RANK, MOBILITY_KM, MONTHS_REGISTERED, ONLINE_30D,
                        CONTACTS_90D)
PAIR_CATEGORICAL = (ITEM_KIND, MODALITY)

# Training gain (recommender/proposals.py: TrainingGainModel), on the job-seeker frame.
ENTERED_TRAINING = "entered_training"      # 0/1: entered a training in [D, D + RECOMMENDATION_WINDOW_DAYS)
TRAINING_GAIN = "training_gain"            # output: estimated gain of P(employment in 6 months) from a training
# Eligibility (recommender/eligibility.py) and ranking outputs.
ELIGIBLE = "eligible"                      # 0/1: the pair passes every eligibility rule
EXCLUSION = "exclusion"                    # code of the first rule that excludes the pair (None when eligible)
RELEVANCE = "relevance"                    # the ranker's P(LABEL_RELEVANCE >= 1)
# Model inputs of the rankers (recommender/proposals.py).
RECOMMENDATION_FEATURES = PAIR_FEATURES + PERSON_PAIR_FEATURES + (ITEM_KIND,)
RECOMMENDATION_CATEGORICAL = PAIR_CATEGORICAL
# Offers only: the kind is constant and DAYS_TO_START always NaN.
# Candidates only: when the counselor can next present an offer to the person, and how many other
# offers compete for that moment (person columns of the pair frame, as of D).
DAYS_TO_APPOINTMENT = "days_to_appointment"  # to the next appointment booked before D (NaN: none)
TARGET_OFFERS = "target_offers"            # offers open at D in the person's agency in one of their target ROMEs
AVAILABILITY_FEATURES = (DAYS_SINCE_CONTACT, DAYS_TO_APPOINTMENT, TARGET_OFFERS)
# A proposal of the offer in progress does not take a candidate out of its list (it is on the way to a
# mise en relation): DAYS_SINCE_IN_PROGRESS is an input there.
CANDIDATE_FEATURES = (tuple(name for name in PAIR_FEATURES if name != DAYS_TO_START) + PERSON_PAIR_FEATURES
                      + AVAILABILITY_FEATURES + (DAYS_SINCE_IN_PROGRESS,))
CANDIDATE_CATEGORICAL = (MODALITY,)

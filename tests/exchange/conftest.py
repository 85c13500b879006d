"""A small valid folder in the exchange format, written by hand (every file, a few rows)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.exchange.formats import FILES
from crm.referentials.importer import load_builtin

VALID = {
    "agencies": """agency_id,name,commune_insee
AG1,Agence Nantes Est,44109
AG2,Agence Assérac,44006
""",
    "staff": """staff_id,agency_id,team,first_name,last_name,email,role
ST1,AG1,Accompagnement 1,Léa,Durand,lea.durand@exemple.fr,counselor
ST2,AG1,Entreprises,Marc,Petit,marc.petit@exemple.fr,employer_counselor
ST3,,,Ada,Admin,ada.admin@exemple.fr,admin
""",
    "job_seekers": """job_seeker_id,agency_id,counselor_id,first_name,last_name,birth_date,gender,nationality,\
commune_insee,registration_date,modality,target_romes,contract_types,mobility_km,education_level,experience_months,\
rqth,rsa,qpv,digital_autonomy,rights_end_date,exit_date,exit_reason
JS1,AG1,ST1,Camille,Martin,1990-05-17,female,french,44109,2025-01-06,guide,M1607;A1101,cdi;cdd,30,bac,24,false,\
false,true,partial,2026-03-31,,
JS2,AG1,ST1,Paul,Bernard,1960-02-01,male,eu,44006,2024-02-01,renforce,A1203,,,cap_bep,,true,true,false,none,,\
2025-11-30,employment
JS3,AG2,,"Zoé, dite « Zo »",N'Diaye,2004-09-30,female,non_eu,,2025-06-02,aij,,interim,10,none,0,false,false,false,\
autonomous,,,
""",
    "employers": """employer_id,siret,name,naf_code,size_band,commune_insee,counselor_id
EM1,12345678900011,Boulangerie du Port,0113Z,01,44109,ST2
EM2,98765432100022,Transports Loire,0121Z,00,44006,ST2
""",
    "catalogue": """item_id,kind,title,rome_codes,commune_insee,provider,duration_hours,eligibility
CA1,training,Secrétariat (titre pro),M1607,44109,AFPA,420.5,{}
CA2,partner_service,Mission locale,,44109,Mission locale Nantes,,"{""max_age"":25}"
CA3,workshop,Atelier CV,,,France Travail,3,{}
""",
    "sessions": """session_id,item_id,start_date,end_date,capacity,commune_insee
SE1,CA1,2026-02-02,2026-06-30,12,44109
""",
    "offers": """offer_id,employer_id,rome_code,title,contract_type,commune_insee,created_date,positions,accompanied,\
status,filled_date
OF1,EM1,M1607,Assistant administratif,cdi,44109,2025-10-01,1,true,open,
OF2,EM2,A1101,Conducteur d'engins,cdd,44006,2025-09-01,2,false,filled,2025-10-15
""",
    "applications": """application_id,offer_id,job_seeker_id,created_at,status,outcome_date
AP1,OF2,JS2,2025-09-10T10:00:00,hired,2025-10-15
AP2,OF1,JS1,2025-10-05T14:30:00,sent,
""",
    "appointments": """appointment_id,job_seeker_id,staff_id,scheduled_at,status
RD1,JS1,ST1,2025-10-20T09:30:00,done
RD2,JS1,ST1,2026-01-20T09:30:00,planned
""",
    "referrals": """referral_id,job_seeker_id,partner_item_id,referred_at,status,showed_up
RF1,JS3,CA2,2025-07-01T11:00:00,completed,true
RF2,JS1,CA2,2025-08-01T11:00:00,sent,
""",
    "proposals": """proposal_id,job_seeker_id,staff_id,proposed_at,item_kind,item_id,response,outcome
PR1,JS1,ST1,2025-10-02T10:00:00,offer,OF1,accepted,none
PR2,JS1,ST1,2025-10-02T10:05:00,training,CA1,pending,none
PR3,JS3,ST1,2025-07-01T10:00:00,workshop,CA3,accepted,completed
""",
    "interactions": """interaction_id,occurred_at,party_kind,party_id,staff_id,channel,direction,kind,outcome,notes
IN1,2025-10-20T09:30:00,job_seeker,JS1,ST1,in_person,out,follow_up,done,"Point d'étape, CV à revoir"
IN2,2025-11-02T18:12:00,job_seeker,JS1,,online,in,login,none,
IN3,2025-09-15T10:00:00,job_seeker,JS1,ST1,phone,out,follow_up,not_reached,
IN4,2025-10-01T15:00:00,employer,EM1,ST2,company_visit,out,offer_intake,done,"Besoin :
secrétaire"
IN5,2025-08-01T09:00:00,job_seeker,JS2,ST1,phone,in,information,reached,
""",
    "outcomes": """outcome_id,job_seeker_id,kind,start_date,end_date,contract_type,rome_code
OU1,JS2,employment,2025-11-30,,cdd,A1101
""",
}

EXPECTED_COUNTS = {
    "agency": 2, "user": 3, "job_seeker": 3, "employer": 2, "catalogue_item": 3, "catalogue_session": 1,
    "job_offer": 2, "application": 2, "appointment": 2, "referral": 2, "proposal": 3, "interaction": 5,
    "outcome_episode": 1, "job_seeker_target": 3, "catalogue_item_rome": 1, "benefit_right": 1, "team": 2,
}
COUNTED_TABLES = sorted(EXPECTED_COUNTS)


def write_folder(directory: Path, files: dict[str, str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (files or VALID).items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def table_counts(session: Session) -> dict[str, int]:
    from crm.extensions import db

    return {name: session.execute(sa.select(sa.func.count()).select_from(db.metadata.tables[name])).scalar_one()
            for name in COUNTED_TABLES}


@pytest.fixture()
def referentials(db_session: Session) -> None:
    load_builtin(db_session)
    # Committed (a savepoint release): the command's rollback after a failed import keeps them.
    db_session.commit()


@pytest.fixture()
def valid_folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "valid")


assert {spec.name for spec in FILES} == set(VALID)

from flask.cli import AppGroup

seed_cli = AppGroup("seed", help="Reference subset and demo data.")

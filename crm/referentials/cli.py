import click
from flask.cli import AppGroup

referentials_cli = AppGroup("referentials", help="Reference data (ROME, NAF, communes, bassins).")

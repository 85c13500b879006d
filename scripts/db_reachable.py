"""Exit 0 when the database URL given as argument accepts a connection, 1 otherwise."""

import sys

import sqlalchemy as sa

from crm.config import normalise_database_url

try:
    engine = sa.create_engine(normalise_database_url(sys.argv[1]), connect_args={"connect_timeout": 5})
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
except Exception as exc:  # any failure means "not reachable"
    print(f"not reachable: {exc.__class__.__name__}", file=sys.stderr)
    sys.exit(1)

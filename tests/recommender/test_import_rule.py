"""The recommender is pure: importing any of its modules loads neither Flask, SQLAlchemy nor crm."""

import json
import subprocess
import sys

FORBIDDEN = ("flask", "sqlalchemy", "crm", "flask_sqlalchemy", "flask_babel")

CODE = f"""
import importlib, json, pkgutil, sys
import recommender
found = {{}}
for module in sorted(m.name for m in pkgutil.walk_packages(recommender.__path__, "recommender.")):
    importlib.import_module(module)
    bad = sorted(n for n in sys.modules if n.split(".")[0] in {FORBIDDEN!r})
    found[module] = bad
print(json.dumps(found))
"""


def test_no_module_of_the_recommender_imports_the_web_or_database_layers() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    expected = {"recommender.employers", "recommender.outcome", "recommender.preprocessing",
                "recommender.priority", "recommender.reasons", "recommender.schema", "recommender.uplift",
                "recommender.urgency"}
    assert expected <= set(found)
    assert {module: bad for module, bad in found.items() if bad} == {}

import subprocess
import sys


def test_importing_recommender_does_not_import_web_or_database_layers() -> None:
    code = (
        "import sys, importlib, pkgutil, recommender\n"
        "for m in pkgutil.walk_packages(recommender.__path__, 'recommender.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in {'flask', 'sqlalchemy', 'crm', 'flask_sqlalchemy'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

"""Saving and loading fitted models: ``model.joblib`` plus a ``model.json`` sidecar.

The sidecar says what the artifact is without unpickling it: kind, version, the library
versions it was fitted with (a model is loaded only with the same scikit-learn), the data
window, row counts and the evaluation metrics.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import joblib
import numpy
import pandas
import sklearn

MODEL_FILE, SIDECAR_FILE = "model.joblib", "model.json"


class ArtifactError(Exception):
    """An artifact that is missing, incomplete or was written by other library versions."""


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "pandas": pandas.__version__,
            "numpy": numpy.__version__, "joblib": joblib.__version__}


def save(model: Any, directory: Path, sidecar: dict[str, Any]) -> Path:
    """Writes ``model`` and its sidecar (with the library versions added) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, directory / MODEL_FILE, compress=3)
    document = {**sidecar, "libraries": library_versions()}
    (directory / SIDECAR_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n",
                                          encoding="utf-8")
    return directory


def read_sidecar(directory: Path) -> dict[str, Any]:
    try:
        return json.loads((directory / SIDECAR_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{directory}: unreadable sidecar ({exc})") from exc


def load(directory: Path) -> tuple[Any, dict[str, Any]]:
    """The model and its sidecar; refuses an artifact fitted with another scikit-learn."""
    sidecar = read_sidecar(directory)
    fitted_with = sidecar.get("libraries", {}).get("scikit-learn")
    if fitted_with != sklearn.__version__:
        raise ArtifactError(f"{directory}: fitted with scikit-learn {fitted_with}, this is {sklearn.__version__}; "
                            "train again")
    try:
        return joblib.load(directory / MODEL_FILE), sidecar
    except (OSError, ValueError, EOFError) as exc:
        raise ArtifactError(f"{directory}: unreadable model ({exc})") from exc

"""Feature drift: the population stability index between training and today."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from recommender.drift import feature_profile, population_stability


def test_the_same_population_is_stable_and_a_shifted_one_is_not() -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"days": rng.exponential(40, 5000), "modality": rng.choice(["suivi", "guide"], 5000)})
    same = pd.DataFrame({"days": rng.exponential(40, 5000), "modality": rng.choice(["suivi", "guide"], 5000)})
    shifted = pd.DataFrame({"days": rng.exponential(80, 5000), "modality": ["suivi"] * 4000 + ["global"] * 1000})

    profile = feature_profile(train, ["days", "modality"])
    stable, moved = population_stability(profile, same), population_stability(profile, shifted)

    assert stable["days"]["psi"] < 0.02 and stable["modality"]["psi"] < 0.02
    assert moved["days"]["psi"] > 0.25 and moved["modality"]["psi"] > 0.25  # a new category counts
    json.dumps(profile), json.dumps(moved)  # stored in the registry as JSON


def test_psi_by_hand_with_missing_values_as_a_bin() -> None:
    train = pd.DataFrame({"x": [1.0, 1.0, 2.0, 2.0]})
    now = pd.DataFrame({"x": [1.0, 2.0, 2.0, np.nan]})
    profile = feature_profile(train, ["x"])

    result = population_stability(profile, now)["x"]

    # Bins of the training deciles: {1} and {2}; shares train (0.5, 0.5, missing 0), now (0.25, 0.5, 0.25).
    floor = 1e-3
    expected = ((0.25 - 0.5) * math.log(0.25 / 0.5) + 0 + (0.25 - floor) * math.log(0.25 / floor))
    assert result["missing_train"] == 0 and result["missing_now"] == 0.25
    assert math.isclose(result["psi"], expected, rel_tol=1e-9)

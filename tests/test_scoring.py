"""Reverse keying, the minimum-answered rule and careless indices against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.instrument import load_instrument
from analysis.scoring import careless_indices, irv, longstring, reverse_key, score_scales

CODEBOOK = """
id: hand
version: "1"
kind: survey
respondent: {column: rid}
duration: {column: secs}
careless: {too_fast_seconds: 60, longstring_max: 4, irv_min: 0.5}
response_scales:
  agree5: {min: 1, max: 5}
default_response: agree5
items:
  A1: {text: a1}
  A2: {text: a2, reverse: true}
  A3: {text: a3}
  A4: {text: a4}
scales:
  A: {items: [A1, A2, A3, A4], min_answered: 3}
"""


@pytest.fixture()
def inst(tmp_path):
    path = tmp_path / "hand.yml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return load_instrument(path)


def test_reverse_key_is_min_plus_max_minus_x(inst):
    data = pd.DataFrame({"A1": [1.0, 5.0], "A2": [1.0, 4.0], "A3": [2.0, 2.0], "A4": [3.0, np.nan]})
    keyed = reverse_key(data, inst)
    assert keyed["A2"].tolist() == [5.0, 2.0]  # 1 + 5 - 1, 1 + 5 - 4
    assert keyed["A1"].tolist() == [1.0, 5.0]
    assert data["A2"].tolist() == [1.0, 4.0]  # input untouched


def test_min_answered_rule(inst):
    data = pd.DataFrame({
        "A1": [4.0, 4.0, np.nan],
        "A2": [2.0, 2.0, np.nan],  # keyed: 4
        "A3": [5.0, np.nan, np.nan],
        "A4": [1.0, np.nan, 3.0],
    })
    scores = score_scales(data, inst)["A"]
    # Row 0: (4 + 4 + 5 + 1) / 4 = 3.5; row 1: two answered < 3 → missing; row 2: one answered → missing.
    assert scores.iloc[0] == pytest.approx(3.5)
    assert np.isnan(scores.iloc[1]) and np.isnan(scores.iloc[2])
    data.loc[1, "A3"] = 2.0  # now three answered: (4 + 4 + 2) / 3
    assert score_scales(data, inst)["A"].iloc[1] == pytest.approx(10 / 3)


def test_longstring_by_hand():
    values = np.array([
        [3, 3, 3, 2, 2],
        [1, 2, 3, 4, 5],
        [4, np.nan, 4, 4, 4],  # a missing answer breaks the run
        [5, 5, 5, 5, 5],
    ], dtype=float)
    assert longstring(values).tolist() == [3, 1, 3, 5]


def test_irv_is_sample_sd():
    values = np.array([[1, 2, 3, 4, 5], [3, 3, 3, 3, 3], [2, np.nan, 4, np.nan, np.nan], [1, np.nan, np.nan, np.nan, np.nan]], dtype=float)
    out = irv(values)
    assert out[0] == pytest.approx(np.sqrt(2.5))  # sd(1:5) in R
    assert out[1] == 0
    assert out[2] == pytest.approx(np.sqrt(2))  # sd(c(2, 4))
    assert np.isnan(out[3])


def test_careless_flags(inst):
    data = pd.DataFrame({
        "A1": [3.0, 1.0], "A2": [3.0, 5.0], "A3": [3.0, 2.0], "A4": [3.0, 4.0], "secs": [300.0, 30.0],
    })
    out = careless_indices(data, inst)
    assert out["flag_longstring"].tolist() == [True, False]
    assert out["flag_irv"].tolist() == [True, False]
    assert out["flag_too_fast"].tolist() == [False, True]
    assert out["careless"].tolist() == [True, True]

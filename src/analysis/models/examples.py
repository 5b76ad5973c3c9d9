"""Simulated data for the docstring examples of :mod:`analysis.models` (one definition, not one per example)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["example_branch_targets", "example_moderation_data", "example_multilevel_data", "example_regression_data"]


def example_regression_data(seed: int = 0) -> pd.DataFrame:
    """100 observations of a predictor ``x``, a control ``c`` and ``y = 1 + 0.5 x + 0.3 c + e`` (all normal).

    Parameters
    ----------
    seed : seed of the draws.

    Returns
    -------
    DataFrame with columns ``x``, ``c``, ``y``.

    Examples
    --------
    >>> d = example_regression_data()
    >>> d.shape, d.columns.tolist()
    ((100, 3), ['x', 'c', 'y'])
    """
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=100), "c": rng.normal(size=100)})
    d["y"] = 1 + 0.5 * d["x"] + 0.3 * d["c"] + rng.normal(size=100)
    return d


def example_moderation_data(seed: int = 2) -> pd.DataFrame:
    """300 observations of ``x`` and a moderator ``w`` (standard normal) and ``y = 0.3 x + 0.2 w + 0.4 x w + e``.

    Parameters
    ----------
    seed : seed of the draws.

    Returns
    -------
    DataFrame with columns ``x``, ``w``, ``y``.

    Examples
    --------
    >>> d = example_moderation_data()
    >>> d.shape, d.columns.tolist()
    ((300, 3), ['x', 'w', 'y'])
    """
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=300), rng.normal(size=300)
    return pd.DataFrame({"x": x, "w": w, "y": 0.3 * x + 0.2 * w + 0.4 * x * w + rng.normal(size=300)})


def example_multilevel_data(seed: int = 1) -> pd.DataFrame:
    """30 groups ``g`` of 8: ``y = 0.5 x + u_g + e`` with a standard-normal group effect ``u_g``, ``x`` and ``e``.

    Parameters
    ----------
    seed : seed of the draws.

    Returns
    -------
    DataFrame with columns ``g``, ``x``, ``y``.

    Examples
    --------
    >>> d = example_multilevel_data()
    >>> len(d), d["g"].nunique(), d.columns.tolist()
    (240, 30, ['g', 'x', 'y'])
    """
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(30), 8)
    x = rng.normal(size=g.size)
    return pd.DataFrame({"g": g, "x": x, "y": 0.5 * x + rng.normal(size=30)[g] + rng.normal(size=g.size)})


def example_branch_targets(seed: int = 4) -> pd.DataFrame:
    """50 branches: foot ``traffic``, ``type`` a/b, ``sales = 20 + 0.1 traffic + 10 [type b] + e`` and an
    assigned ``target`` about 5% above sales (log ratio normal with mean 0.05, SD 0.1).

    Parameters
    ----------
    seed : seed of the draws.

    Returns
    -------
    DataFrame with columns ``branch`` (``B0``-``B49``), ``traffic``, ``type``, ``sales``, ``target``.

    Examples
    --------
    >>> br = example_branch_targets()
    >>> br.shape, sorted(br["type"].unique())
    ((50, 5), ['a', 'b'])
    """
    rng = np.random.default_rng(seed)
    br = pd.DataFrame({"branch": [f"B{i}" for i in range(50)], "traffic": rng.uniform(100, 1000, 50),
                       "type": rng.choice(["a", "b"], 50)})
    br["sales"] = 20 + 0.1 * br["traffic"] + 10 * (br["type"] == "b") + rng.normal(0, 5, 50)
    br["target"] = br["sales"] * np.exp(rng.normal(0.05, 0.1, 50))
    return br

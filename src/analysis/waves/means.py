"""Change of scale means between waves by company, district and branch (Welch's t, Holm within a unit)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.disclosure import shown_members
from analysis.models.compare import holm, welch_t

LEVELS = ("company", "district", "branch")
DEFAULT_GROUP = {"district": "district", "branch": "branch_id"}


def _describe(values: pd.Series, ci: float) -> dict:
    x = values.dropna().to_numpy(dtype=float)
    n = x.size
    mean = float(x.mean()) if n else np.nan
    sd = float(x.std(ddof=1)) if n > 1 else np.nan
    half = stats.t.ppf(0.5 + ci / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def _welch(before: pd.Series, after: pd.Series, ci: float) -> dict:
    """The change ``after - before`` with Welch's t (:func:`analysis.models.welch_t`)."""
    test = welch_t(before, after, ci).iloc[0]
    return {"change": test["estimate"], "se": test["se"], "ci_low": test["ci_low"], "ci_high": test["ci_high"],
            "t": test["t"], "df": test["df"], "p": test["p"]}


def _units(frame: pd.DataFrame, level: str, group: str | None, k: int, within: str | None,
           scale: str) -> pd.DataFrame:
    """The rows of ``frame`` that count for ``scale`` at ``level``, with a ``_unit`` column.

    At company and district level only members of shown ``within`` units count (shown on this
    scale, complementary suppression included: :func:`analysis.disclosure.shown_members`).
    """
    out = frame
    if within is not None and level != "branch" and within in frame.columns:
        out = frame[shown_members(frame, within, k, value=scale)]
    out = out.copy()
    out["_unit"] = "all" if level == "company" else out[group].astype("string")
    return out[out["_unit"].notna()]


def compare_waves(
    scores_by_wave: Mapping[str, pd.DataFrame],
    scales: Sequence[str],
    *,
    level: str = "company",
    group: str | None = None,
    k: int = 5,
    comparable: Mapping[str, bool],
    reasons: Mapping[str, str] | None = None,
    within: str | None = None,
    respondent: str | None = None,
    ci: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Scale means per wave and unit, the change since the wave before, its CI and Welch's test.

    Parameters
    ----------
    scores_by_wave : wave label -> one row per respondent with scale scores (and ``group``);
        in time order, oldest first. Each wave is compared with the one before it.
    scales : the scales to compare (each in every wave's frame).
    level : ``company`` (all respondents), ``district`` or ``branch``.
    group : the unit column at district/branch level (default ``district`` / ``branch_id``).
    k : minimum reporting size: a unit with fewer than ``k`` scored respondents on a scale in
        either wave gets no row for that scale.
    comparable : scale -> whether its scores are comparable across the waves (scalar invariance,
        :func:`wave_invariance`). A scale missing here is treated as not comparable.
    reasons : scale -> why it is not comparable (shown in ``reason``); default ``not_comparable``.
    within : column of the smallest reported unit (e.g. ``branch_id``). At company and district
        level, respondents of those units with fewer than ``k`` respondents in a wave are left
        out of that wave, as in the branch profiles' benchmarks, so a suppressed unit's mean
        cannot be recovered by difference from the shown ones.
    respondent : respondent id column; when given, ``n_both`` counts respondents in both waves.
    ci : confidence level of the intervals. alpha : level of the Holm-adjusted test.

    Returns
    -------
    DataFrame, one row per (wave pair, unit, scale): level, unit, scale, wave, previous_wave, n,
    previous_n, mean, previous_mean, sd, previous_sd, mean_ci_low, mean_ci_high,
    previous_ci_low, previous_ci_high, change, se, ci_low, ci_high (of the change), t, df, p,
    p_holm, significant, comparable, reason[, n_both]. Non-comparable scales keep their means
    but get no change, CI or test, and a ``reason``.

    Notes
    -----
    Change = mean(wave) - mean(previous wave); Welch's t = change / sqrt(s1²/n1 + s2²/n2) with
    Welch-Satterthwaite df; t-based CIs. Holm's step-down adjustment runs over the tested scales
    within one unit and wave pair (family-wise error rate <= alpha per unit); ``significant`` is
    ``p_holm < alpha``.

    *Overlapping samples.* Most staff answer in both waves, so the two samples are not
    independent. For the difference of means, Var = s1²/n1 + s2²/n2 - 2·r·s1·s2·n12/(n1·n2),
    with n12 respondents in both waves and r the correlation of their two scores. Welch's test
    drops the covariance term; with r >= 0 (stable perceptions of the same branch, as in the
    simulation and in panel surveys generally) it overstates the variance, so its p-values are
    conservative: the type I error rate stays at or below alpha, at some loss of power. The same
    holds for the branches: both waves survey the same branches, so the between-branch part of
    the variance is common to both means and cancels in their difference, yet Welch counts it.
    In the simulation (icc .25, stability .5, turnover .12) a nominal 5% test rejected 0.4% of
    true nulls at company level, i.e. markedly conservative; small changes can be missed. No paired
    test is used: a paired t on the stayers alone answers a different question (change among
    stayers, leaving out leavers and new hires, who are part of the branch's climate) and
    discards data; the partially overlapping samples t-test (Derrick et al. 2017) would use the
    pairs too and is the candidate if more power is needed. Welch's test also needs no linking
    of respondents across waves (pseudonyms link only under the same project secret).

    References
    ----------
    Welch, B. L. (1947). Biometrika, 34(1-2), 28-35. doi:10.1093/biomet/34.1-2.28
    Holm, S. (1979). Scandinavian Journal of Statistics, 6(2), 65-70.
    Derrick, B., Toher, D., & White, P. (2017). The Quantitative Methods for Psychology, 13(2),
    120-126. doi:10.20982/tqmp.13.2.p120
    Checked against ``scipy.stats.ttest_ind(equal_var=False)`` and by simulation with known
    shifts (tests/test_waves.py).

    Examples
    --------
    >>> from analysis.waves.examples import example_waves
    >>> w1, w2 = example_waves()  # TS around 3.5, then 3.8; 20 respondents in each of b1, b2
    >>> out = compare_waves({"2025": w1, "2026": w2}, ["TS"], comparable={"TS": True})
    >>> print(out[["unit", "n", "previous_n", "mean", "previous_mean", "change", "t", "df", "p"]].round(3).to_string(index=False))
    unit  n  previous_n  mean  previous_mean  change     t     df     p
     all 40          40 3.712          3.502   0.211 1.851 74.016 0.068
    >>> from scipy import stats  # the same Welch test
    >>> round(float(stats.ttest_ind(w2["TS"], w1["TS"], equal_var=False).pvalue), 3)
    0.068
    """
    if level not in LEVELS:
        raise ValueError(f"compare_waves: level '{level}' is not one of {', '.join(LEVELS)}")
    if len(scores_by_wave) < 2:
        raise ValueError(f"compare_waves: {len(scores_by_wave)} wave(s) given; need at least 2")
    if level != "company":
        group = group or DEFAULT_GROUP[level]
    reasons = dict(reasons or {})
    for wave, frame in scores_by_wave.items():
        missing = [c for c in (*scales, *([group] if level != "company" else [])) if c not in frame.columns]
        if missing:
            raise KeyError(f"compare_waves: wave '{wave}' has no column(s) {missing}")
    waves = list(scores_by_wave)
    rows: list[dict] = []
    for previous, current in zip(waves, waves[1:]):
        by_scale = {scale: (dict(list(_units(scores_by_wave[previous], level, group, k, within, scale).groupby("_unit"))),
                            dict(list(_units(scores_by_wave[current], level, group, k, within, scale).groupby("_unit"))))
                    for scale in scales}
        units = sorted(set().union(*(set(b) & set(a) for b, a in by_scale.values())))
        for unit in units:
            both = None
            unit_rows = []
            for scale in scales:
                b, a = by_scale[scale][0].get(unit), by_scale[scale][1].get(unit)
                if b is None or a is None:
                    continue
                if both is None and respondent is not None and respondent in b and respondent in a:
                    both = len(set(b[respondent].dropna()) & set(a[respondent].dropna()))
                pa, ca = _describe(b[scale], ci), _describe(a[scale], ci)
                if pa["n"] < k or ca["n"] < k:
                    continue
                ok = bool(comparable.get(scale, False))
                row = {
                    "level": level, "unit": unit, "scale": scale, "wave": current, "previous_wave": previous,
                    "n": ca["n"], "previous_n": pa["n"], "mean": ca["mean"], "previous_mean": pa["mean"],
                    "sd": ca["sd"], "previous_sd": pa["sd"], "mean_ci_low": ca["ci_low"], "mean_ci_high": ca["ci_high"],
                    "previous_ci_low": pa["ci_low"], "previous_ci_high": pa["ci_high"],
                }
                if ok:
                    row.update(_welch(b[scale], a[scale], ci))
                    row["reason"] = None if np.isfinite(row["p"]) else "no_variance"
                else:
                    row.update(change=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan, t=np.nan, df=np.nan, p=np.nan,
                               reason=reasons.get(scale, "not_comparable"))
                row["comparable"] = ok
                if both is not None:
                    row["n_both"] = both
                unit_rows.append(row)
            adjusted = holm([r["p"] for r in unit_rows])
            for r, p_adj in zip(unit_rows, adjusted):
                r["p_holm"] = p_adj
                r["significant"] = bool(p_adj < alpha) if np.isfinite(p_adj) else False
            rows.extend(unit_rows)
    columns = ["level", "unit", "scale", "wave", "previous_wave", "n", "previous_n", "mean", "previous_mean", "sd",
               "previous_sd", "mean_ci_low", "mean_ci_high", "previous_ci_low", "previous_ci_high", "change", "se",
               "ci_low", "ci_high", "t", "df", "p", "p_holm", "significant", "comparable", "reason"]
    if respondent is not None:
        columns.append("n_both")
    return pd.DataFrame(rows, columns=columns)

BRANCH_TREND_COLUMNS = ["branch_id", "dimension", "wave", "previous_wave", "mean", "previous_mean", "change",
                        "ci_low", "ci_high", "p", "p_holm", "significant", "comparable", "reason"]


def branch_trends(
    scores_by_wave: Mapping[str, pd.DataFrame],
    dimensions: Sequence[str],
    *,
    group: str = "branch_id",
    k: int = 5,
    comparable: Mapping[str, bool],
    reasons: Mapping[str, str] | None = None,
    ci: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The trend table branch reports read: each shown branch's dimensions now and a wave before.

    Same statistics as :func:`compare_waves` at branch level (Welch's t, Holm over a branch's
    dimensions). Columns: branch_id, dimension, wave, previous_wave, mean, previous_mean, change,
    ci_low, ci_high (of the change), p (unadjusted), p_holm (Holm-adjusted within the branch;
    ``significant`` is ``p_holm < alpha``), comparable, reason; then n and previous_n. Branches
    with fewer than ``k`` scored respondents in either wave have no rows.

    Parameters
    ----------
    scores_by_wave : wave label -> one row per respondent with ``group`` and the dimension scores,
        oldest first.
    dimensions : the scales to compare.
    group : the branch column.
    k : minimum reporting size in both waves.
    comparable, reasons, ci, alpha : as in :func:`compare_waves`.

    Examples
    --------
    >>> from analysis.waves.examples import example_waves
    >>> w1, w2 = example_waves()  # TS around 3.5, then 3.8; 20 respondents in each of b1, b2
    >>> out = branch_trends({"2025": w1, "2026": w2}, ["TS"], comparable={"TS": True})
    >>> print(out[["branch_id", "mean", "previous_mean", "change", "p_holm", "significant", "n"]].round(3).to_string(index=False))
    branch_id  mean  previous_mean  change  p_holm  significant  n
           b1 3.709          3.522   0.186   0.145        False 20
           b2 3.716          3.481   0.235   0.233        False 20
    """
    table = compare_waves(scores_by_wave, dimensions, level="branch", group=group, k=k, comparable=comparable,
                          reasons=reasons, ci=ci, alpha=alpha)
    out = table.rename(columns={"unit": "branch_id", "scale": "dimension"})
    return out[[*BRANCH_TREND_COLUMNS, "n", "previous_n"]].reset_index(drop=True)

"""Repeated waves: what changed in the instrument, whether scales stay comparable, and trends.

Pure statistics: frames and :class:`~analysis.instrument.Instrument` objects in, tidy frames out.
The file-touching part is :mod:`analysis.pipeline.waves`.

A trend is only shown where it can mean something:

1. items whose wording (zh or en), response scale, reverse keying or scale changed between
   instrument versions, and items added or removed, are left out of trends
   (:func:`instrument_changes`, :func:`trend_items`); scale scores for trends are means of the
   unchanged common items (:func:`trend_instrument`);
2. a scale is *comparable* across waves when scalar invariance of its one-factor model holds by
   Chen's (2007) rule (:func:`wave_invariance`); a non-comparable scale gets means but no change
   and no test;
3. a unit (the company, a district, a branch) with fewer than ``k`` respondents in either wave
   gets no row (:func:`compare_waves`, :func:`branch_trends`).

The same functions serve every survey compared across waves: the study's respondents (staff)
and its ratings instrument (customers). The test of change is Welch's t on the two waves'
respondents. Staff answer in both waves, so the samples overlap; see :func:`compare_waves` for
why Welch's test stays valid (conservative) then. Customers are new in each wave (independent
samples), the case Welch's test was made for.

KPIs are records of every branch, not samples: :func:`kpi_trends` gives their change between
waves without a test, and nothing where either wave withheld or lacked a value.
:func:`combine_branch_trends` stacks staff, customer and KPI trends into the one
``branch_trends`` table the branch reports read, with a ``source`` column.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.instrument import Instrument
from analysis.psychometrics.cfa import CFAError
from analysis.psychometrics.invariance import DELTA_CFI, DELTA_RMSEA, measurement_invariance
from analysis.scoring import reverse_key

__all__ = [
    "instrument_changes", "trend_items", "trend_instrument", "wave_invariance", "comparability",
    "holm", "compare_waves", "branch_trends", "kpi_trends", "period_dependent_kpis", "combine_branch_trends",
    "LEVELS", "TREND_SOURCES",
]

LEVELS = ("company", "district", "branch")
DEFAULT_GROUP = {"district": "district", "branch": "branch_id"}
MIN_INVARIANCE_ITEMS = 3
CHANGE_COLUMNS = ["instrument", "old_version", "new_version", "item", "scale", "change", "old_value", "new_value",
                  "left_out_of_trends"]


# --- instrument versions -------------------------------------------------------------------

def _response_signature(item) -> tuple:
    r = item.response
    return (r.min, r.max, tuple(sorted((lang, tuple(t)) for lang, t in r.labels.items())))


def _describe_response(item) -> str:
    r = item.response
    labels = r.labels.get("zh") or r.labels.get("en") or ()
    return f"{r.code}: {r.min}-{r.max}" + (f" ({'/'.join(labels)})" if labels else "")


def instrument_changes(old: Instrument, new: Instrument) -> pd.DataFrame:
    """Items added, removed or changed between two versions of an instrument.

    Parameters
    ----------
    old, new : the instrument as used in the earlier and in the later wave.

    Returns
    -------
    DataFrame, one row per item and kind of change: instrument, old_version, new_version, item,
    scale, change (``added``, ``removed``, ``reworded_zh``, ``reworded_en``, ``response_scale``,
    ``reverse``, ``moved``), old_value, new_value, left_out_of_trends (always True: any of these
    changes takes the item out of trend scores). Empty (same columns) when nothing changed.

    Notes
    -----
    Texts are compared after stripping surrounding white space; aliases are not compared (they
    only help match export columns). A response scale counts as changed when its range or any
    label differs, whatever its code. ``scale`` is the item's scale in ``new`` (in ``old`` for a
    removed item); ``moved`` items name both scales.
    """
    rows: list[dict] = []

    def add(item: str, scale: str | None, change: str, old_value, new_value) -> None:
        rows.append({"item": item, "scale": scale, "change": change, "old_value": old_value, "new_value": new_value})

    for code, item in new.items.items():
        if code not in old.items:
            add(code, new.scale_of(code), "added", None, item.text.zh or item.text.en)
            continue
        before = old.items[code]
        scale = new.scale_of(code)
        for lang in ("zh", "en"):
            a, b = getattr(before.text, lang).strip(), getattr(item.text, lang).strip()
            if a != b:
                add(code, scale, f"reworded_{lang}", a, b)
        if _response_signature(before) != _response_signature(item):
            add(code, scale, "response_scale", _describe_response(before), _describe_response(item))
        if before.reverse != item.reverse:
            add(code, scale, "reverse", str(before.reverse), str(item.reverse))
        if old.scale_of(code) != scale:
            add(code, scale, "moved", old.scale_of(code), scale)
    for code, item in old.items.items():
        if code not in new.items:
            add(code, old.scale_of(code), "removed", item.text.zh or item.text.en, None)
    out = pd.DataFrame(rows, columns=["item", "scale", "change", "old_value", "new_value"])
    out.insert(0, "instrument", new.id)
    out.insert(1, "old_version", old.version)
    out.insert(2, "new_version", new.version)
    out["left_out_of_trends"] = True
    return out[CHANGE_COLUMNS].reset_index(drop=True)


def trend_items(old: Instrument, new: Instrument) -> dict[str, list[str]]:
    """Per scale present in both versions: its items that are in both and unchanged (``new``'s order).

    Scales left with no such item are omitted. See :func:`instrument_changes` for what counts as
    a change.
    """
    changed = set(instrument_changes(old, new)["item"])
    out: dict[str, list[str]] = {}
    for code, scale in new.scales.items():
        if code not in old.scales:
            continue
        keep = [i for i in scale.items if i in old.scales[code].items and i not in changed]
        if keep:
            out[code] = keep
    return out


def trend_instrument(instrument: Instrument, items_by_scale: Mapping[str, Sequence[str]]) -> Instrument:
    """A copy of ``instrument`` whose scales hold only ``items_by_scale`` (other scales dropped).

    ``min_answered`` is capped at the number of items left, so a scale that lost items is
    scored with the same rule on what remains.
    """
    scales = {}
    for code, items in items_by_scale.items():
        if code not in instrument.scales:
            raise KeyError(f"trend_instrument: scale '{code}' is not in instrument '{instrument.id}' {instrument.version}")
        unknown = [i for i in items if i not in instrument.items]
        if unknown:
            raise KeyError(f"trend_instrument: item(s) {unknown} of scale '{code}' are not in instrument '{instrument.id}'")
        scale = instrument.scales[code]
        scales[code] = replace(scale, items=tuple(items), min_answered=min(scale.min_answered, len(items)))
    return replace(instrument, scales=scales)


# --- measurement invariance across waves ---------------------------------------------------

def wave_invariance(
    data_by_wave: Mapping[str, pd.DataFrame],
    instrument: Instrument,
    items_by_scale: Mapping[str, Sequence[str]],
    *,
    delta_cfi: float = DELTA_CFI,
    delta_rmsea: float = DELTA_RMSEA,
) -> pd.DataFrame:
    """Configural, metric and scalar invariance of each scale's one-factor model across waves.

    Parameters
    ----------
    data_by_wave : wave label -> item responses (columns named by item code, raw coding), e.g.
        the accepted survey rows of each wave without careless respondents.
    instrument : gives the reverse-keyed items (recoded before fitting, so loadings are positive).
    items_by_scale : scale -> the items to model (the unchanged common items, :func:`trend_items`).
        Scales with fewer than 3 items are not modelled (a one-factor model needs 3 indicators
        to be identified).
    delta_cfi, delta_rmsea : Chen's (2007) cut-offs.

    Returns
    -------
    DataFrame, one row per scale and step (configural, metric, scalar): scale, n_items, items,
    step, n, n_groups, chisq, df, p, cfi, tli, rmsea, srmr, delta_chisq, delta_df, delta_p,
    delta_cfi, delta_rmsea, delta_srmr, invariant, invariant_strict, converged, comparable,
    reason. ``comparable`` (the same on every row of a scale) is True when the scalar step
    holds, i.e. the scale's means can be compared across waves. A scale that could not be modelled has a single row with ``step``
    missing, ``comparable`` False and the ``reason`` (``fewer_than_3_items`` or
    ``model_failed: ...``).

    Notes
    -----
    *Chen's rule.* Chen (2007) recommends that a drop of CFI of at least .010, *supplemented by*
    a rise of RMSEA of at least .015 or of SRMR of at least .030 (loadings) / .010 (intercepts),
    indicates non-invariance (for total N > 300 and equal group sizes). ``invariant`` applies
    this as stated: CFI is the primary index, RMSEA and SRMR confirm. Requiring RMSEA on its own
    (``invariant_strict``, what :func:`measurement_invariance` reports) rejects invariant
    one-factor scales by chance: with the few degrees of freedom of a 3-5 item model, a
    chi-square just above its df moves RMSEA from 0 to about .02 (Kenny, Kaniskan & McCoach
    2015), which the simulation here shows for scales whose item parameters are identical
    across waves.

    Each scale is fitted separately by multi-group ML with a mean structure
    (:func:`analysis.psychometrics.invariance.measurement_invariance`; listwise complete
    respondents per scale). Treating 5-point items as continuous is the usual practice for
    Chen's fit-change criteria, which were derived for ML (Chen 2007).

    References
    ----------
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance.
    Structural Equation Modeling, 14(3), 464-504. doi:10.1080/10705510701301834
    Vandenberg, R. J., & Lance, C. E. (2000). Organizational Research Methods, 3(1), 4-70.
    doi:10.1177/109442810031002
    Kenny, D. A., Kaniskan, B., & McCoach, D. B. (2015). The performance of RMSEA in models with
    small degrees of freedom. Sociological Methods & Research, 44(3), 486-507.
    doi:10.1177/0049124114543236
    Checked by simulation: follow-up waves from :func:`analysis.simulate.simulate_wave` with
    identical item parameters and shifted latent means hold scalar invariance (tests/test_waves.py).
    """
    if len(data_by_wave) < 2:
        raise ValueError(f"wave_invariance: {len(data_by_wave)} wave(s) given; need at least 2")
    frames = []
    for wave, frame in data_by_wave.items():
        keyed = reverse_key(frame, instrument)
        items = [i for scale_items in items_by_scale.values() for i in scale_items]
        missing = [i for i in items if i not in keyed.columns]
        if missing:
            raise KeyError(f"wave_invariance: wave '{wave}' has no column(s) {missing}; give each wave its item responses")
        block = keyed[items].apply(pd.to_numeric, errors="coerce").astype(float)
        block["wave"] = str(wave)
        frames.append(block)
    data = pd.concat(frames, ignore_index=True)
    rows: list[pd.DataFrame] = []
    keep = ["step", "n", "n_groups", "chisq", "df", "p", "cfi", "tli", "rmsea", "srmr", "delta_chisq", "delta_df",
            "delta_p", "delta_cfi", "delta_rmsea", "delta_srmr", "invariant", "invariant_strict", "converged"]
    for scale, items in items_by_scale.items():
        head = {"scale": scale, "n_items": len(items), "items": ";".join(items)}
        if len(items) < MIN_INVARIANCE_ITEMS:
            rows.append(pd.DataFrame([{**head, "comparable": False, "reason": "fewer_than_3_items"}]))
            continue
        try:
            fit = measurement_invariance(data[[*items, "wave"]], {scale: list(items)}, "wave",
                                         delta_cfi=delta_cfi, delta_rmsea=delta_rmsea)
        except (CFAError, ValueError, np.linalg.LinAlgError) as exc:
            rows.append(pd.DataFrame([{**head, "comparable": False, "reason": f"model_failed: {exc}"}]))
            continue
        fit = _chen_rule(fit, delta_cfi, delta_rmsea)[keep].copy()
        scalar = fit.loc[fit["step"] == "scalar"]
        ok = bool(len(scalar) and scalar["invariant"].iloc[0] and fit["converged"].all())
        for key, value in reversed(head.items()):
            fit.insert(0, key, value)
        fit["comparable"] = ok
        fit["reason"] = None if ok else _failed_step(fit)
        rows.append(fit)
    columns = ["scale", "n_items", "items", *keep, "comparable", "reason"]
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.concat(rows, ignore_index=True).reindex(columns=columns)


DELTA_SRMR = {"metric": 0.030, "scalar": 0.010}


def _chen_rule(fit: pd.DataFrame, delta_cfi: float, delta_rmsea: float) -> pd.DataFrame:
    """Re-judge each step by Chen's (2007) rule as stated: a loss of fit needs CFI *and* a supplement.

    Non-invariance at a step when ``delta_cfi > cut`` and (``delta_rmsea > cut`` or
    ``delta_srmr > .030`` for loadings / ``.010`` for intercepts); each step also needs the one
    before it to hold and the model to converge. ``invariant_strict`` keeps
    :func:`measurement_invariance`'s stricter flag (either of CFI or RMSEA beyond its cut-off).
    """
    out = fit.copy()
    out["invariant_strict"] = out["invariant"].astype(bool)
    out["delta_srmr"] = out["srmr"] - out["srmr"].shift(1)
    held = True
    flags = []
    for _, row in out.iterrows():
        if row["step"] == "configural":
            held = bool(row["converged"])
        else:
            worse = row["delta_cfi"] > delta_cfi and (
                row["delta_rmsea"] > delta_rmsea or row["delta_srmr"] > DELTA_SRMR.get(row["step"], 0.010))
            held = bool(held and row["converged"] and not worse)
        flags.append(held)
    out["invariant"] = flags
    return out


def _failed_step(fit: pd.DataFrame) -> str:
    if not fit["converged"].all():
        return "not_converged"
    failed = fit.loc[~fit["invariant"].astype(bool), "step"]
    return f"{failed.iloc[0]}_invariance_fails" if len(failed) else "not_invariant"


def comparability(invariance: pd.DataFrame, scales: Sequence[str]) -> tuple[dict[str, bool], dict[str, str]]:
    """``comparable`` and ``reason`` per scale from a :func:`wave_invariance` table.

    Scales absent from the table are not comparable, with reason ``invariance_not_tested``.
    """
    comparable: dict[str, bool] = {}
    reasons: dict[str, str] = {}
    by_scale = invariance.groupby("scale", sort=False) if not invariance.empty else {}
    tested = dict(list(by_scale)) if len(invariance) else {}
    for scale in scales:
        if scale not in tested:
            comparable[scale], reasons[scale] = False, "invariance_not_tested"
            continue
        rows = tested[scale]
        comparable[scale] = bool(rows["comparable"].iloc[0])
        if not comparable[scale]:
            reasons[scale] = str(rows["reason"].iloc[0])
    return comparable, reasons


# --- change in means -----------------------------------------------------------------------

def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values; missing p-values stay missing and are not counted.

    ``p_(i)`` sorted ascending among the ``m`` present: ``p_adj(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics, 6(2), 65-70. Checked against R ``p.adjust(p, "holm")``
    (tests/test_waves.py).
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    m = present.size
    if m == 0:
        return out
    order = present[np.argsort(p[present], kind="mergesort")]
    adjusted = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adjusted)
    return out


def _describe(values: pd.Series, ci: float) -> dict:
    x = values.dropna().to_numpy(dtype=float)
    n = x.size
    mean = float(x.mean()) if n else np.nan
    sd = float(x.std(ddof=1)) if n > 1 else np.nan
    half = stats.t.ppf(0.5 + ci / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def _welch(a: dict, b: dict, ci: float) -> dict:
    """Welch's t for the difference b - a of two means (Welch 1947; Satterthwaite df)."""
    va, vb = a["sd"] ** 2 / a["n"], b["sd"] ** 2 / b["n"]
    se = float(np.sqrt(va + vb))
    change = b["mean"] - a["mean"]
    if not np.isfinite(se) or se == 0:
        return {"change": change, "se": se, "ci_low": np.nan, "ci_high": np.nan, "t": np.nan, "df": np.nan, "p": np.nan}
    df = (va + vb) ** 2 / (va**2 / (a["n"] - 1) + vb**2 / (b["n"] - 1))
    t = change / se
    half = stats.t.ppf(0.5 + ci / 2, df) * se
    return {"change": change, "se": se, "ci_low": change - half, "ci_high": change + half, "t": t, "df": df,
            "p": float(2 * stats.t.sf(abs(t), df))}


def _units(frame: pd.DataFrame, level: str, group: str | None, k: int, within: str | None) -> pd.DataFrame:
    """The frame with a ``_unit`` column; at higher levels respondents of small ``within`` units dropped."""
    out = frame
    if within is not None and level != "branch" and within in frame.columns:
        sizes = frame.groupby(within, observed=True)[within].transform("size")
        out = frame[sizes >= k]
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
        before = _units(scores_by_wave[previous], level, group, k, within)
        after = _units(scores_by_wave[current], level, group, k, within)
        units = sorted(set(before["_unit"]) & set(after["_unit"]))
        b_groups, a_groups = dict(list(before.groupby("_unit"))), dict(list(after.groupby("_unit")))
        for unit in units:
            b, a = b_groups[unit], a_groups[unit]
            both = None
            if respondent is not None and respondent in b and respondent in a:
                both = len(set(b[respondent].dropna()) & set(a[respondent].dropna()))
            unit_rows = []
            for scale in scales:
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
                    row.update(_welch(pa, ca, ci))
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
                        "ci_low", "ci_high", "p", "significant", "comparable", "reason"]


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
    ci_low, ci_high (of the change), p (Holm-adjusted within the branch), significant,
    comparable, reason; then n, previous_n and p_unadjusted. Branches with fewer than ``k``
    scored respondents in either wave have no rows.
    """
    table = compare_waves(scores_by_wave, dimensions, level="branch", group=group, k=k, comparable=comparable,
                          reasons=reasons, ci=ci, alpha=alpha)
    out = table.rename(columns={"unit": "branch_id", "scale": "dimension", "p": "p_unadjusted"})
    out["p"] = out["p_holm"]
    return out[[*BRANCH_TREND_COLUMNS, "n", "previous_n", "p_unadjusted"]].reset_index(drop=True)


# --- KPI records across waves ----------------------------------------------------------------

KPI_TREND_COLUMNS = ["branch_id", "kpi", "wave", "previous_wave", "value", "previous_value", "change", "comparable",
                     "reason"]
KPI_LABEL_COLUMNS = ("label_zh", "label_en", "format", "lower_is_better")
# reason codes of kpi_trends (the branch report explains each)
KPI_NO_TEST = "records_not_a_sample"
KPI_MISSING = "value_missing"


def period_dependent_kpis(
    kpis: Sequence[str], sums: Sequence[str], ratios: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """The KPIs that grow with the length of a wave's period (totals over the wave).

    A KPI is a total when it is one of the summed record columns (``sums``), or a ratio whose
    numerator is a total and whose denominator is not (``sales_revenue / staff_with_records``);
    a ratio of two totals (``sales_revenue / assigned_target``, ``outbound_calls / work_days``)
    does not depend on the period's length. Other KPIs (branch attributes, survey aggregates)
    are taken as not depending on it.

    Parameters
    ----------
    kpis : KPI columns (e.g. ``branch_kpis.kpi``).
    sums : the record columns summed over the wave (study ``datasets.records.sum``).
    ratios : ratio name -> (numerator, denominator) (study ``records.ratio`` and ``group_ratio``).
    """
    totals = set(sums)
    ratios = dict(ratios or {})

    def total(column: str, seen: frozenset = frozenset()) -> bool:
        if column in totals:
            return True
        if column in ratios and column not in seen:
            num, den = ratios[column]
            return total(num, seen | {column}) and not total(den, seen | {column})
        return False

    return [k for k in kpis if total(k)]


def kpi_trends(
    kpis_by_wave: Mapping[str, pd.DataFrame],
    *,
    group: str = "branch_id",
    comparable: Mapping[str, bool] | None = None,
    reasons: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Each branch's KPI now and a wave before, and the change: records, so no test.

    Parameters
    ----------
    kpis_by_wave : wave label -> a ``branch_kpis`` table (columns ``group``, ``kpi``, ``value``;
        ``label_zh``, ``label_en``, ``format``, ``lower_is_better`` are carried over from the
        later wave when present), in time order, oldest first. Each wave is compared with the
        one before it. A missing ``value`` is one the analysis withheld (e.g. a customer-survey
        KPI of a branch with fewer than k customers) or could not compute.
    group : the branch column.
    comparable : KPI -> whether its values can be compared across the waves (default: all can;
        e.g. a wave total is not comparable when the waves' periods differ in length, see
        :func:`period_dependent_kpis`). reasons : KPI -> why not (default ``not_comparable``).

    Returns
    -------
    DataFrame, one row per (wave pair, branch, KPI) present in both waves: branch_id, kpi, wave,
    previous_wave, value, previous_value, change, comparable, reason[, label_zh, label_en,
    format, lower_is_better]. ``change = value - previous_value`` (in the KPI's own unit, e.g.
    a proportion for a rate) when both values are present and the KPI is comparable; otherwise
    it is missing, ``comparable`` is False and ``reason`` says why (``value_missing`` when
    either wave has no value). A computed change has ``reason = "records_not_a_sample"``.

    Notes
    -----
    KPIs are the complete records of every branch (sales, targets, calls), not a sample of a
    population, so the change is the change: there is no sampling error to test against, and
    no confidence interval or p-value is given. Month-to-month variation is real but is not
    sampling error; judge a change against the branch's own history, not a significance test.
    Values missing in either wave are never filled in, so nothing withheld in a wave can be
    recovered from its change.
    """
    if len(kpis_by_wave) < 2:
        raise ValueError(f"kpi_trends: {len(kpis_by_wave)} wave(s) given; need at least 2")
    comparable = dict(comparable or {})
    reasons = dict(reasons or {})
    for wave, frame in kpis_by_wave.items():
        missing = [c for c in (group, "kpi", "value") if c not in frame.columns]
        if missing:
            raise KeyError(f"kpi_trends: wave '{wave}' has no column(s) {missing}; give each wave's branch_kpis table")
        dup = frame.duplicated([group, "kpi"])
        if dup.any():
            first = frame.loc[dup, [group, "kpi"]].iloc[0].tolist()
            raise ValueError(f"kpi_trends: wave '{wave}' has more than one row for {group}/kpi {first}; "
                             "give one value per branch and KPI")
    waves = list(kpis_by_wave)
    parts = []
    for previous, current in zip(waves, waves[1:]):
        before, after = kpis_by_wave[previous], kpis_by_wave[current]
        extra = [c for c in KPI_LABEL_COLUMNS if c in after.columns]
        left = after[[group, "kpi", "value", *extra]].assign(_key=lambda f: f[group].astype(str))
        right = before[[group, "kpi", "value"]].assign(_key=lambda f: f[group].astype(str))
        both = left.merge(right.drop(columns=group).rename(columns={"value": "previous_value"}),
                          on=["_key", "kpi"], how="inner").drop(columns="_key")
        value = pd.to_numeric(both["value"], errors="coerce").astype(float)
        prev = pd.to_numeric(both["previous_value"], errors="coerce").astype(float)
        ok_kpi = both["kpi"].map(lambda k: bool(comparable.get(k, True)))
        present = value.notna() & prev.notna()
        out = pd.DataFrame({
            "branch_id": both[group].to_numpy(), "kpi": both["kpi"].to_numpy(), "wave": current,
            "previous_wave": previous, "value": value.to_numpy(), "previous_value": prev.to_numpy(),
        })
        out["comparable"] = (present & ok_kpi).to_numpy()
        out["change"] = (value - prev).where(out["comparable"].to_numpy()).to_numpy()
        out["reason"] = np.where(~present, KPI_MISSING,
                                 np.where(ok_kpi, KPI_NO_TEST,
                                          both["kpi"].map(lambda k: reasons.get(k, "not_comparable")).to_numpy()))
        for c in extra:
            out[c] = both[c].to_numpy()
        parts.append(out)
    columns = [*KPI_TREND_COLUMNS, *[c for c in KPI_LABEL_COLUMNS if parts and c in parts[0].columns]]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return table.reindex(columns=columns).sort_values(["wave", "branch_id", "kpi"], kind="mergesort").reset_index(drop=True)


TREND_SOURCES = ("staff", "customer", "kpi")


def combine_branch_trends(
    staff: pd.DataFrame | None = None,
    customer: pd.DataFrame | None = None,
    kpi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One ``branch_trends`` table of staff and customer scale trends and KPI trends.

    Parameters
    ----------
    staff, customer : :func:`branch_trends` tables (any extra columns, e.g. ``label_zh``, kept).
    kpi : a :func:`kpi_trends` table.

    Returns
    -------
    DataFrame: the :func:`branch_trends` columns, then ``source`` (``staff``, ``customer`` or
    ``kpi``), ``value`` and ``previous_value`` (KPI rows; their ``kpi`` is in ``dimension``)
    and any extra columns. KPI rows have no ``mean``, CI, ``p`` or ``n`` and ``significant``
    is missing (not tested); survey rows have no ``value``. ``significant`` and ``comparable``
    are nullable booleans.
    """
    parts = []
    for source, frame in (("staff", staff), ("customer", customer), ("kpi", kpi)):
        if frame is None:
            continue
        frame = frame.rename(columns={"kpi": "dimension"}) if source == "kpi" else frame
        parts.append(frame.assign(source=source))
    head = [*BRANCH_TREND_COLUMNS, "n", "previous_n", "p_unadjusted", "source", "value", "previous_value"]
    extra = list(dict.fromkeys(c for f in parts for c in f.columns if c not in head))
    kept = [f for f in parts if not f.empty]
    out = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    out = out.reindex(columns=[*head, *extra])
    for col in ("significant", "comparable"):
        out[col] = out[col].astype("boolean")
    return out.reset_index(drop=True)

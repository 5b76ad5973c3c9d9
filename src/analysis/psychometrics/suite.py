"""Run every psychometric statistic of one instrument and collect tidy tables.

Data problems (single-item scale, constant item, too few respondents, non-positive-definite
matrix, non-converged CFA, missing item columns) never raise out of the suite: they become rows
of the ``problems`` table (scale, problem, message) and the remaining scales are still computed.
Only the expected statistical failures are caught (:data:`analysis.psychometrics.errors.
EXPECTED_FAILURES`: :class:`~analysis.psychometrics.errors.EstimationError`, including
``CFAError``, and ``numpy.linalg.LinAlgError``); any other exception is a programming error and
propagates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.psychometrics.aggregation import aggregation_indices, icc
from analysis.psychometrics.cfa import CFA_MISSING, cfa
from analysis.psychometrics.common_method import common_method_comparison, harman_single_factor
from analysis.psychometrics.correlations import COR_MISSING
from analysis.psychometrics.discriminant import composite_reliability, fornell_larcker, htmt
from analysis.psychometrics.errors import EXPECTED_FAILURES
from analysis.psychometrics.omega import omega_hierarchical
from analysis.psychometrics.reliability import item_statistics, scale_reliability
from analysis.psychometrics.reviewer import reviewer_table
from analysis.psychometrics.validity import bartlett_sphericity, efa, kmo

__all__ = ["psychometrics_suite", "MIN_RESPONDENTS"]

MIN_RESPONDENTS = 3  # complete respondents a scale needs for alpha and item statistics
ALL = "(all)"


def _problem(rows: list[dict], scale: str, problem: str, message: str) -> None:
    rows.append({"scale": scale, "problem": problem, "message": message})


def psychometrics_suite(
    data: pd.DataFrame,
    instrument: Any,
    group: str | None = None,
    *,
    n_boot: int = 0,
    seed: int = 0,
    cfa_missing: str = "fiml",
    cor_missing: str = "pairwise",
) -> dict[str, pd.DataFrame]:
    """Reliability, validity, CFA, common-method and aggregation statistics for one instrument.

    Parameters
    ----------
    data : one row per respondent; item columns named by item code, already reverse-keyed;
        plus the group column when ``group`` is given.
    instrument : :class:`analysis.instrument.Instrument` (uses ``scales[code].items``,
        ``.level``, ``items[code].response.min/max`` and ``group.column``).
    group : column with the branch (group) label. When given, every scale gets ICC/rwg(j),
        a single-item scale too (rwg of one item, James et al. 1984; it gets no reliability or
        CFA); otherwise only ``level == "branch"`` scales do, using the instrument's group
        column. rwg(j) needs a grid of response options (integers, or ``step``): a continuous
        scale gets ICC(1)/ICC(2) only.
    n_boot, seed : bootstrap resamples for the alpha CI (0 = Feldt CI only) and their seed.
    cfa_missing : ``"fiml"`` (default; full-information ML, lavaan ``missing = "ml"``) or
        ``"listwise"`` (complete cases) for the measurement and single-factor CFAs and what is
        computed from them (CR/AVE, Fornell-Larcker, the single-factor common-method comparison).
    cor_missing : ``"pairwise"`` (default; psych's ``use = "pairwise"``) or ``"listwise"``
        correlations for KMO, Bartlett, parallel analysis, EFA, omega hierarchical, HTMT and
        Harman's test. Alpha and item statistics stay on respondents complete for the scale.

    Returns
    -------
    dict of DataFrames: ``reliability``, ``item_stats``, ``kmo``, ``bartlett``, ``kmo_scales``
    (KMO and Bartlett per scale of 3+ items),
    ``parallel_analysis``, ``efa_loadings``, ``efa_variance``, ``omega_hierarchical`` (all
    usable items, one group factor per scale; needs 3 or more scales), ``cfa_fit``,
    ``cfa_loadings``, ``factor_correlations``, ``cr_ave`` (Fornell-Larcker, standardised
    loadings), ``cr_ave_observed`` (semTools ``compRelSEM``/``AVE``), ``fornell_larcker``,
    ``htmt`` (Henseler et al. 2015), ``htmt2`` (Roemer et al. 2021, semTools' default),
    ``common_method``, ``icc``, ``rwg``, ``reviewer``, ``problems``. Every statistical table
    carries its method columns (``estimator``, ``missing``, ``n``; ``method`` where two
    definitions exist; ``ci_method``, ``n_boot`` for intervals). Tables that could not be
    computed are empty (with a row in ``problems`` saying why).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> import pathlib, tempfile
    >>> from analysis.instrument import load_instrument
    >>> codebook = '''
    ... id: hs1939
    ... version: "1"
    ... kind: survey
    ... title: {en: Holzinger & Swineford (1939)}
    ... respondent: {column: id}
    ... response_scales: {score: {type: number, min: 0, max: 10}}
    ... default_response: score
    ... items: {x1: {text: {en: Visual perception}}, x2: {text: {en: Cubes}}, x3: {text: {en: Lozenges}},
    ...         x4: {text: {en: Paragraph comprehension}}, x5: {text: {en: Sentence completion}},
    ...         x6: {text: {en: Word meaning}}}
    ... scales:
    ...   visual: {label: {en: Visual}, items: [x1, x2, x3]}
    ...   textual: {label: {en: Textual}, items: [x4, x5, x6]}
    ... '''
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "hs.yml"
    ...     _ = path.write_text(codebook, encoding="utf-8")
    ...     instrument = load_instrument(path)
    >>> out = psychometrics_suite(hs, instrument)
    >>> print(out["reliability"][["scale", "alpha", "omega"]].round(3).to_string(index=False))
      scale  alpha  omega
     visual  0.626  0.633
    textual  0.883  0.886
    >>> len(out["problems"])
    0
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"psychometrics_suite: data must be a pandas DataFrame, got {type(data).__name__}")
    if group is not None and group not in data.columns:
        raise KeyError(f"psychometrics_suite: group column '{group}' not in data; columns are {list(data.columns)[:20]}")
    if cfa_missing not in CFA_MISSING:
        raise ValueError(f"psychometrics_suite: cfa_missing={cfa_missing!r} is not supported; use 'fiml' or 'listwise'")
    if cor_missing not in COR_MISSING:
        raise ValueError(f"psychometrics_suite: cor_missing={cor_missing!r} is not supported; use 'pairwise' or 'listwise'")
    problems: list[dict] = []
    out: dict[str, pd.DataFrame] = {}

    # ---- per-scale screening -------------------------------------------------------------
    usable: dict[str, list[str]] = {}  # scales for alpha / item statistics
    matrix_items: dict[str, list[str]] = {}  # scales for KMO / EFA / CFA (non-constant items)
    one_item: dict[str, list[str]] = {}  # one-item scales: aggregation (ICC, rwg) only
    for code, scale in instrument.scales.items():
        items = list(scale.items)
        absent = [it for it in items if it not in data.columns]
        if absent:
            _problem(problems, code, "missing_columns", f"item column(s) {absent} not in data; scale skipped")
            continue
        if len(items) < 2:
            _problem(problems, code, "single_item",
                     f"scale has one item ({items[0]}); alpha, omega and a CFA factor need at least 2 (3 for omega); "
                     "with a group column it gets ICC and rwg only")
            one_item[code] = items
            continue
        x = data[items].apply(pd.to_numeric, errors="coerce")
        complete = x.dropna()
        if len(complete) < MIN_RESPONDENTS:
            _problem(problems, code, "too_few_respondents",
                     f"{len(complete)} respondents answered every item; need at least {MIN_RESPONDENTS}")
            continue
        const = [it for it in items if complete[it].nunique() <= 1]
        if const:
            _problem(problems, code, "constant_item",
                     f"item(s) {const} have zero variance; excluded from correlation-based analyses (KMO, EFA, CFA, HTMT)")
        usable[code] = items
        rest = [it for it in items if it not in const]
        if len(rest) >= 2:
            matrix_items[code] = rest
        else:
            _problem(problems, code, "too_few_items", "fewer than 2 non-constant items; scale left out of EFA/CFA")

    numeric = data.copy()
    for items in (*usable.values(), *one_item.values()):
        for it in items:
            numeric[it] = pd.to_numeric(numeric[it], errors="coerce")

    # ---- reliability and item statistics ------------------------------------------------
    rel_tables, item_tables = [], []
    for code, items in usable.items():
        try:
            rel_tables.append(scale_reliability(numeric, {code: items}, n_boot=0))
            resp = instrument.items[items[0]].response
            st = item_statistics(numeric, items, response_min=resp.min, response_max=resp.max)
            if any(instrument.items[it].response != resp for it in items):
                # items on different response scales: floor/ceiling per item's own bounds
                for i, it in enumerate(items):
                    r = instrument.items[it].response
                    v = numeric[items].dropna()[it]
                    st.loc[i, "floor"] = float((v == r.min).mean())
                    st.loc[i, "ceiling"] = float((v == r.max).mean())
            st.insert(0, "scale", code)
            item_tables.append(st)
        except EXPECTED_FAILURES as exc:  # a data problem in one scale must not stop the others
            _problem(problems, code, "reliability_failed", f"{type(exc).__name__}: {exc}")
    rel = pd.concat(rel_tables, ignore_index=True) if rel_tables else pd.DataFrame()
    if n_boot and len(rel):
        try:
            boot = scale_reliability(numeric, {c: usable[c] for c in rel["scale"]}, n_boot=n_boot, seed=seed, omega=False)
            cols = ["boot_ci_low", "boot_ci_high", "boot_ci_method", "n_boot", "resample"]
            rel[cols] = boot[cols].to_numpy()
        except EXPECTED_FAILURES as exc:
            _problem(problems, ALL, "bootstrap_failed", f"{type(exc).__name__}: {exc}")
    for r in rel.itertuples() if len(rel) else []:
        if np.isnan(r.omega) and r.k >= 3:
            _problem(problems, r.scale, "omega_not_estimated", "one-factor model could not be fitted (singular matrix or too few respondents)")
    out["reliability"] = rel
    out["item_stats"] = pd.concat(item_tables, ignore_index=True) if item_tables else pd.DataFrame()

    # ---- validity on all usable items ----------------------------------------------------
    all_items = [it for items in matrix_items.values() for it in items]
    model = dict(matrix_items)

    def attempt(fn, problem: str):
        try:
            return fn()
        except EXPECTED_FAILURES as exc:
            _problem(problems, ALL, problem, f"{type(exc).__name__}: {exc}")
            return None

    empty = pd.DataFrame()
    if len(all_items) >= 3:
        out["kmo"] = attempt(lambda: kmo(numeric, all_items, missing=cor_missing), "kmo_failed")
        out["bartlett"] = attempt(lambda: bartlett_sphericity(numeric, all_items, missing=cor_missing), "bartlett_failed")
        e = attempt(lambda: efa(numeric, all_items, seed=seed, missing=cor_missing), "efa_failed")
        if e is not None:
            out["parallel_analysis"] = e.get("parallel_analysis", empty)
            out["efa_loadings"] = e["loadings"]
            out["efa_variance"] = e["variance"]
        if len(model) >= 3:
            out["omega_hierarchical"] = attempt(
                lambda: omega_hierarchical(numeric, all_items, n_factors=len(model), missing=cor_missing), "omega_h_failed")
        out["common_method"] = empty
        harman = attempt(lambda: harman_single_factor(numeric, all_items, missing=cor_missing), "harman_failed")
    else:
        _problem(problems, ALL, "too_few_items", f"{len(all_items)} usable items; KMO/EFA/CFA need at least 3")
        harman = None

    out["kmo_scales"] = _kmo_per_scale(numeric, matrix_items, cor_missing, problems)

    res = None
    if model and len(all_items) >= 3:
        res = attempt(lambda: cfa(numeric, model, name="measurement", missing=cfa_missing), "cfa_failed")
    if res is not None:
        problems.extend(res.problems.to_dict("records"))
        loads = res.loadings.rename(columns={"factor": "scale"})
        out["cfa_loadings"] = loads
        out["factor_correlations"] = res.factor_correlations
        out["cr_ave"] = composite_reliability(res)
        out["cr_ave_observed"] = composite_reliability(res, method="observed")
        out["fornell_larcker"] = fornell_larcker(res) if len(model) > 1 else empty
        for key, method in (("htmt", "htmt"), ("htmt2", "htmt2")):
            out[key] = attempt(lambda m=method: htmt(numeric, model, method=m, missing=cor_missing), f"{key}_failed") \
                if len(model) > 1 else empty
        fits = [res.fit]
        cm = None
        if len(model) > 1:
            # One single-factor fit serves both the fit table and the common-method comparison.
            single = attempt(lambda: cfa(numeric, {"common": all_items}, name="single_factor",
                                         missing=cfa_missing, information="none").fit, "cfa_failed")
            if single is not None:
                cm = common_method_comparison(res.fit, single)
                fits.append(single)
        out["cfa_fit"] = pd.concat(fits, ignore_index=True)
        cm_rows = []
        if harman is not None:
            cm_rows.append(harman)
        if cm is not None:
            cm_rows.append(cm)
        out["common_method"] = pd.concat(cm_rows, ignore_index=True) if cm_rows else empty
    elif harman is not None:
        out["common_method"] = harman

    # ---- aggregation ----------------------------------------------------------------------
    gcol = group
    candidates = {**usable, **one_item}
    if group is not None:
        agg_scales = {c: candidates[c] for c in instrument.scales if c in candidates}
    else:
        agg_scales = {c: it for c, it in candidates.items() if instrument.scales[c].level == "branch"}
        inst_group = getattr(getattr(instrument, "group", None), "column", None)
        gcol = inst_group if inst_group in data.columns else None
        if agg_scales and gcol is None:
            for c in agg_scales:
                _problem(problems, c, "no_group_column",
                         "branch-level scale but no group column in data; pass group= to get ICC/rwg(j)")
            agg_scales = {}
    if agg_scales and gcol is not None:
        agg = attempt(lambda: _aggregation(numeric, agg_scales, gcol, instrument, problems), "aggregation_failed")
        if agg is not None:
            out.update(agg)
            for r in agg["icc"].itertuples():
                if not np.isfinite(r.icc1):
                    _problem(problems, r.scale, "icc_not_estimated", "fewer than 2 groups or no within-group replication")

    for key in ("kmo", "kmo_scales", "bartlett", "parallel_analysis", "efa_loadings", "efa_variance", "omega_hierarchical", "cfa_fit",
                "cfa_loadings", "factor_correlations", "cr_ave", "cr_ave_observed", "fornell_larcker", "htmt", "htmt2",
                "common_method", "icc", "rwg"):
        if out.get(key) is None:
            out[key] = pd.DataFrame()
    out["reviewer"] = reviewer_table(out)
    out["problems"] = pd.DataFrame(problems, columns=["scale", "problem", "message"])
    return out


def _kmo_per_scale(numeric: pd.DataFrame, scales: dict[str, list[str]], missing: str, problems: list[dict]) -> pd.DataFrame:
    """KMO and Bartlett's test of each scale's items alone (the per-construct check many papers
    report beside the overall one); scales of 3 or more items (two items give KMO = .5 always)."""
    rows = []
    for code, items in scales.items():
        if len(items) < 3:
            continue
        try:
            k, b = kmo(numeric, items, missing=missing), bartlett_sphericity(numeric, items, missing=missing)
        except EXPECTED_FAILURES as exc:
            _problem(problems, code, "kmo_scale_failed", f"{type(exc).__name__}: {exc}")
            continue
        overall, bart = k.loc[k["item"] == "overall"].iloc[0], b.iloc[0]
        rows.append({"scale": code, "k": len(items), "kmo": overall["kmo"], "chisq": bart["chisq"], "df": bart["df"],
                     "p": bart["p"], **{c: overall[c] for c in ("estimator", "missing", "n", "n_pair_min") if c in k}})
    return pd.DataFrame(rows)


def _aggregation(numeric: pd.DataFrame, scales: dict[str, list[str]], group: str, instrument: Any,
                 problems: list[dict]) -> dict[str, pd.DataFrame]:
    """ICC(1)/ICC(2) for every scale; rwg(j) for scales whose items have a grid of response options.

    rwg(j)'s uniform null needs the number of options A: for a grid ``min, min + step, ..., max``
    the items are expressed in steps (``(x - min) / step``, which leaves the ICCs unchanged), so
    the null variance ``(A^2 - 1) / 12`` is in the items' own spacing. A continuous response scale
    (``type: number`` without ``step``) has no such count: its scales get ICC(1)/ICC(2) only, with
    a ``problems`` row saying so.
    """
    grid, continuous = {}, {}
    for code, items in scales.items():
        (grid if all(instrument.items[it].response.step is not None for it in items) else continuous)[code] = items
    steps = numeric.copy()
    options = {}
    for code, items in grid.items():
        for it in items:
            resp = instrument.items[it].response
            steps[it] = (numeric[it] - resp.min) / resp.step
        options[code] = max(round((instrument.items[it].response.max - instrument.items[it].response.min)
                                  / instrument.items[it].response.step) + 1 for it in items)
    out = aggregation_indices(steps, grid, group, n_options=options)
    rows = []
    for code, items in continuous.items():
        _problem(problems, code, "rwg_not_defined",
                 "continuous response scale (type: number without step): rwg(j) needs a number of response options; "
                 "ICC(1) and ICC(2) only")
        score = numeric[items].to_numpy(dtype=float).mean(axis=1)  # NaN if any item missing, as for grid scales
        row = icc(pd.DataFrame({"score": score, "group": numeric[group].to_numpy()}), "score", "group").iloc[0].to_dict()
        rows.append({"scale": code, **row, "missing": "listwise"})
    if rows:
        out["icc"] = pd.concat([out["icc"], pd.DataFrame(rows)], ignore_index=True)[list(out["icc"].columns)]
        order = {c: i for i, c in enumerate(scales)}
        out["icc"] = out["icc"].sort_values("scale", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)
    return out

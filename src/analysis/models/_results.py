"""Structured columns of the model tables: what each row estimates and how, in stable codes.

Every model table keeps its human-readable ``term`` and ``method`` (English, for researchers)
and adds columns that code the same information, so that a report can build its labels from a
lookup in any language without parsing text.  The vocabularies below are the contract; a new
code is added here first.

Provenance columns (:data:`PROVENANCE_COLUMNS`, on every row; NA where they do not apply):

``estimator``
    How the point estimate is computed, see :data:`ESTIMATORS`.
``se_type``
    Standard error: see :data:`SE_TYPES` (NA for rows without a standard error).
``ci_method``, ``ci_level``
    Interval: see :data:`CI_METHODS` (NA without an interval), and the confidence level.
``n``
    Rows (observations) the estimate uses.
``cluster``, ``n_clusters``
    Cluster (group) column behind cluster-robust SEs, a cluster bootstrap or a mixed model,
    and its number of clusters in the analysis sample (NA without clusters).
``n_boot``, ``n_boot_valid``, ``resample``
    Bootstrap resamples drawn, resamples that gave a finite estimate (the interval uses those),
    and the resampling unit (``"cases"`` or ``"clusters"``); NA for rows that are not
    bootstrapped.
``warnings``
    Problems met while estimating, as codes from :data:`WARNINGS` joined by ``";"`` in the
    order of that vocabulary (``""`` when there are none), e.g. ``"boundary;hessian_not_pd"``.

Regression and moderation tables also carry ``centred``: the variables mean-centred before their
products were formed, joined by ``";"`` (``""`` when none were).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["ESTIMATORS", "SE_TYPES", "CI_METHODS", "WARNINGS", "PROVENANCE_COLUMNS", "W_POINTS", "MIN_CLUSTERS",
           "warning_codes", "provenance", "stamp", "finish", "ci_method_code"]

#: ``estimator`` codes.
ESTIMATORS = {
    "ols": "ordinary least squares (products of OLS coefficients for indirect effects)",
    "mixedlm_reml": "linear mixed model, restricted maximum likelihood (statsmodels MixedLM)",
    "mixedlm_ml": "linear mixed model, maximum likelihood (statsmodels MixedLM)",
    "anova": "one-way random-effects ANOVA (ICC(1), ICC(2); Bliese, 2000)",
    "relative_weights": "Johnson's (2000) relative weights",
    "pearson": "Pearson correlation",
    "spearman": "Spearman rank correlation",
    "ols_log_smearing": "OLS of log(y), retransformed with Duan's (1983) smearing factor",
    "mean_difference": "difference of two sample means",
}

#: ``se_type`` codes.
SE_TYPES = {
    "classical": "OLS standard error s²(X'X)⁻¹",
    "cluster_cr1": "cluster-robust sandwich SE with the CR1 small-sample factor (Cameron & Miller, 2015)",
    "bootstrap": "standard deviation of the bootstrap replicates",
    "model_based": "inverse of the observed information (MixedLM Hessian)",
    "welch": "sqrt(s1²/n1 + s2²/n2) of a difference of independent means (Welch, 1947)",
}

#: ``ci_method`` codes.
CI_METHODS = {
    "t": "estimate ± t quantile × SE",
    "wald_z": "estimate ± normal quantile × SE",
    "percentile": "percentile bootstrap interval",
    "bias_corrected": "bias-corrected percentile bootstrap interval (Efron, 1987)",
    "fisher_z": "interval of atanh(r), transformed back (Fisher, 1921)",
}

#: Fewer clusters than this flag ``few_clusters`` (Cameron & Miller, 2015, sec. VI: CR1 t tests
#: over-reject noticeably below a few dozen clusters).
MIN_CLUSTERS = 30

#: ``warnings`` codes, in the order they are written.
WARNINGS = {
    "not_converged": "the optimiser did not report convergence (MixedLMResults.converged is False)",
    "optimization_failed": "every optimiser tried failed ('MixedLM optimization failed')",
    "optimizer_retry": "the first optimiser failed and another one was tried",
    "hessian_not_pd": "the Hessian at the estimate is not positive definite: SEs are unreliable",
    "singular_cov": "the random-effects covariance matrix is singular (statsmodels SingularMatrixWarning)",
    "boundary": "a random-effects variance is at zero (lme4's isSingular rule: a diagonal element of the "
                "relative Cholesky factor below 1e-4)",
    "nonfinite_likelihood": "the log-likelihood at the estimate is not finite",
    "other_warning": "another warning was raised while fitting",
    "rank_deficient": "the design matrix is not of full column rank: coefficients are not identified",
    "few_clusters": f"fewer than {MIN_CLUSTERS} clusters: cluster-robust SEs and the cluster bootstrap are approximate",
    "clusters_ignored": "a cluster column was given but rows were resampled as if independent",
    "degenerate_resamples": "some bootstrap resamples gave no finite estimate and were dropped",
    "undefined": "the statistic is undefined for these data (e.g. a constant variable): NaN",
    "nonpositive_expectation": "a non-positive fitted expectation: its ratio and log gap are NaN",
}

#: ``w_point`` codes of the default moderator values (mean and mean ± 1 SD; Aiken & West, 1991).
W_POINTS = ("mean-1sd", "mean", "mean+1sd")

PROVENANCE_COLUMNS = ["estimator", "se_type", "ci_method", "ci_level", "n", "cluster", "n_clusters", "n_boot",
                      "n_boot_valid", "resample", "warnings"]
_INT_COLUMNS = ("n", "n_clusters", "n_boot", "n_boot_valid")


def warning_codes(codes: Iterable[str]) -> str:
    """Join warning codes in vocabulary order, without repeats (``""`` for none)."""
    given = set(codes)
    unknown = given - set(WARNINGS)
    if unknown:
        raise ValueError(f"unknown warning code(s) {sorted(unknown)}; add them to WARNINGS first.")
    return ";".join(c for c in WARNINGS if c in given)


def ci_method_code(ci_method: str) -> str:
    """The ``ci_method`` code of a bootstrap ``ci_method`` argument (``"bc"`` -> ``"bias_corrected"``)."""
    return {"percentile": "percentile", "bc": "bias_corrected"}[ci_method]


def provenance(*, estimator: str, n: int, se_type: str | None = None, ci_method: str | None = None,
               ci_level: float = np.nan, cluster: str | None = None, n_clusters: int | None = None,
               n_boot: int | None = None, n_boot_valid: int | None = None, resample: str | None = None,
               warnings: Iterable[str] = ()) -> dict:
    """The provenance columns of one row (see the module docstring)."""
    for value, vocab, what in ((estimator, ESTIMATORS, "estimator"), (se_type, SE_TYPES, "se_type"),
                               (ci_method, CI_METHODS, "ci_method")):
        if value is not None and value not in vocab:
            raise ValueError(f"unknown {what} code {value!r}; known: {sorted(vocab)}.")
    if resample is not None and resample not in ("cases", "clusters"):
        raise ValueError(f"resample must be 'cases' or 'clusters', got {resample!r}.")
    return dict(estimator=estimator, se_type=se_type, ci_method=ci_method, ci_level=float(ci_level), n=int(n),
                cluster=cluster, n_clusters=n_clusters, n_boot=n_boot, n_boot_valid=n_boot_valid,
                resample=resample, warnings=warning_codes(warnings))


def stamp(frame: pd.DataFrame, meta: dict) -> pd.DataFrame:
    """Add the provenance columns ``meta`` (from :func:`provenance`) that ``frame`` lacks; dtypes fixed."""
    for key, value in meta.items():
        if key not in frame:
            frame[key] = [value] * len(frame) if value is None else value
    return finish(frame)


def finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes for the structured columns present in ``frame`` (in place; returns it).

    Counts become nullable integers (``Int64``), ``jn_within_range`` a nullable boolean, and the
    code and name columns hold strings with missing values as NA.
    """
    for c in _INT_COLUMNS:
        if c in frame:
            frame[c] = pd.array(pd.to_numeric(frame[c]), dtype="Int64")
    if "jn_within_range" in frame:
        frame["jn_within_range"] = frame["jn_within_range"].astype("boolean")
    if "converged" in frame:
        frame["converged"] = frame["converged"].astype(bool)
    for c in ("ci_level", "w_value"):
        if c in frame:
            frame[c] = frame[c].astype(float)
    for c in ("estimand", "predictor", "predictor2", "level", "outcome", "x", "m", "w", "y", "w_point",
              "estimator", "se_type", "ci_method", "cluster", "resample"):
        if c in frame:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    for c in ("warnings", "centred"):
        if c in frame:
            frame[c] = frame[c].fillna("").astype(str)
    return frame

"""Fitting statsmodels ``MixedLM`` with every warning kept, as a code of :data:`._results.WARNINGS`.

statsmodels reports problems of a mixed-model fit only as Python warnings, and keeps fitting:
an optimiser that fails is retried with the next one, a failed fit still returns estimates
(with ``converged = False``), a non-positive-definite Hessian still gives standard errors.
:func:`fit_mixed` records all of them, checks ``converged`` and the likelihood, and decides
whether a variance is at its boundary by a scale-free rule:

* statsmodels' own boundary warning fires when a random-effects variance is below 0.01 in the
  units of ``y`` (``np.abs(np.diag(cov_re)) < 0.01``), so it fires for any outcome with a small
  variance (a completion rate around 1 with SD .1 always "is on the boundary") and misses a zero
  variance of an outcome measured in thousands.  The ``boundary`` code uses lme4's
  ``isSingular`` rule instead: the relative covariance ``Sigma / sigma²`` has a Cholesky factor
  with a diagonal element below ``1e-4`` (or is not positive definite) (Bates et al., 2015).
* Optimisers: statsmodels' default sequence (BFGS, L-BFGS, CG, each restarted from the last)
  and then Powell's derivative-free method, as a last resort; lme4 also optimises its profiled
  criterion derivative-free (BOBYQA), and the gradient methods tend to stall near a zero
  variance.  A fit that needed a retry is coded ``optimizer_retry``.

References
----------
Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models
using lme4. *Journal of Statistical Software, 67*(1), 1-48. https://doi.org/10.18637/jss.v067.i01
(``isSingular``: ``?lme4::isSingular``, default ``tol = 1e-4``.)
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from . import _results as rs

__all__ = ["MixedFit", "fit_mixed", "is_singular", "fixed_rows", "variance_rows", "mixed_table", "mixed_method",
           "OPTIMIZERS", "SINGULAR_TOL"]

#: Optimisers tried in turn (statsmodels' default list, then derivative-free Powell).
OPTIMIZERS = ("bfgs", "lbfgs", "cg", "powell")
#: lme4's ``isSingular`` tolerance on the relative Cholesky factor.
SINGULAR_TOL = 1e-4

# statsmodels warning text -> code; None: the message is covered by another check (a failed
# optimiser that is retried -> "optimizer_retry"; a final failure -> converged is False;
# statsmodels' scale-dependent boundary test -> replaced by is_singular).
_MESSAGES = (
    ("retrying mixedlm optimization", "optimizer_retry"),
    ("mixedlm optimization failed", "optimization_failed"),
    ("gradient optimization failed", "not_converged"),
    ("failed to converge", None),
    ("hessian matrix at the estimated parameter values is not positive definite", "hessian_not_pd"),
    ("random effects covariance", "singular_cov"),
    ("may be on the boundary", None),
)


@dataclass(frozen=True)
class MixedFit:
    """A fitted MixedLM with its design and what went wrong."""

    result: object  #: statsmodels MixedLMResults
    exog: np.ndarray
    exog_re: np.ndarray
    codes: tuple[str, ...]  #: warning codes (unordered; joined by ``_results.warning_codes``)
    notes: tuple[str, ...]  #: first lines of the convergence/boundary/singular messages (``method`` text)
    converged: bool


def _code(message: str) -> str | None:
    low = message.lower()
    for text, code in _MESSAGES:
        if text in low:
            return code
    return "other_warning"


def is_singular(cov_re, scale: float, tol: float = SINGULAR_TOL) -> bool:
    """lme4's ``isSingular``: the relative Cholesky factor of ``cov_re / scale`` has a diagonal < ``tol``.

    Examples
    --------
    >>> is_singular([[0.5]], 1.0), is_singular([[1e-10]], 1.0), is_singular([[1e-10]], 1e-12)
    (False, True, False)
    """
    rel = np.atleast_2d(np.asarray(cov_re, dtype=float)) / float(scale)
    if not np.all(np.isfinite(rel)):
        return True
    try:
        chol = np.linalg.cholesky(rel)
    except np.linalg.LinAlgError:
        return True
    return bool(np.any(np.diag(chol) < tol))


def fit_mixed(frame: pd.DataFrame, y: str, fixed, group: str, slopes, reml: bool, **fit_kwargs) -> MixedFit:
    """Fit ``y ~ fixed + (1 + slopes | group)`` on ``frame`` and collect every problem as a code.

    ``fit_kwargs`` go to ``MixedLM.fit`` (e.g. ``maxiter``); the optimiser list is
    :data:`OPTIMIZERS`.
    """
    n = len(frame)
    exog = np.column_stack([np.ones(n), frame[list(fixed)].to_numpy()]) if fixed else np.ones((n, 1))
    exog_re = np.column_stack([np.ones(n), frame[list(slopes)].to_numpy()]) if slopes else np.ones((n, 1))
    endog, groups = frame[y].to_numpy(), frame[group].to_numpy()
    key = _design_key(endog, exog, exog_re, groups, reml, fit_kwargs)
    if key in _FITS:
        _FITS.move_to_end(key)
        return _FITS[key]
    fit = _fit(endog, exog, exog_re, groups, reml, fit_kwargs)
    _FITS[key] = fit
    if len(_FITS) > _KEEP:
        _FITS.popitem(last=False)
    return fit


# A multilevel hypothesis fits the same models several times (its coefficients, the pseudo-R²'s null
# and random-intercept models, the null model table): the last few fits are kept by a digest of their
# design, so each is fitted once (MixedLM was a sixth of `hallperf analyze` on a national wave).
_FITS: OrderedDict[bytes, MixedFit] = OrderedDict()
_KEEP = 8


def _design_key(endog, exog, exog_re, groups, reml: bool, fit_kwargs: dict) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for part in (endog, exog, exog_re):
        digest.update(np.ascontiguousarray(part, dtype=float).tobytes())
        digest.update(str(part.shape).encode())
    digest.update(pd.util.hash_array(np.asarray(groups, dtype=object)).tobytes())
    digest.update(repr((reml, sorted(fit_kwargs.items()))).encode())
    return digest.digest()


def _fit(endog, exog, exog_re, groups, reml: bool, fit_kwargs: dict) -> MixedFit:
    model = sm.MixedLM(endog, exog, groups=groups, exog_re=exog_re)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(reml=reml, method=list(OPTIMIZERS), **fit_kwargs)
    messages = [str(w.message) for w in caught]
    codes = {c for c in map(_code, messages) if c is not None}
    converged = bool(getattr(res, "converged", False))
    if not converged:
        codes.add("not_converged")
    if not np.isfinite(float(res.llf)):
        codes.add("nonfinite_likelihood")
    if is_singular(res.cov_re, res.scale):
        codes.add("boundary")
    keep = ("converge", "boundary", "singular")
    notes = tuple(sorted({m.split("\n")[0] for m in messages if any(k in m.lower() for k in keep)}))
    return MixedFit(res, exog, exog_re, tuple(sorted(codes)), notes, converged)


# --------------------------------------------------------------------------- result tables
def fixed_rows(terms, estimates, ses, ci):
    """Fixed-effect rows: Wald z tests and ``estimate ± z·se`` intervals (model-based SEs)."""
    crit = stats.norm.ppf(0.5 + ci / 2)
    rows = []
    for term, b, se in zip(terms, estimates, ses):
        z = b / se
        rows.append(dict(effect="fixed", term=term, estimate=b, se=se, z=z, p=2 * stats.norm.sf(abs(z)),
                         ci_low=b - crit * se, ci_high=b + crit * se, estimand="coefficient", predictor=term,
                         se_type="model_based", ci_method="wald_z", ci_level=ci))
    return rows


def variance_rows(cov, names, scale):
    """Random-effect rows: ``var(a)``, ``cov(a,b)`` of the random terms, then ``var(Residual)``."""
    rows = [dict(effect="random", term=f"var({a})", estimate=cov[i, i], estimand="variance", predictor=a)
            for i, a in enumerate(names)]
    rows += [dict(effect="random", term=f"cov({names[i]},{names[j]})", estimate=cov[i, j], estimand="covariance",
                  predictor=names[i], predictor2=names[j])
             for i in range(len(names)) for j in range(i + 1, len(names))]
    rows.append(dict(effect="random", term="var(Residual)", estimate=float(scale), estimand="residual_variance"))
    return rows


_BASE = ["effect", "term", "estimate", "se", "z", "p", "ci_low", "ci_high"]
_ROW_META = ["estimand", "predictor", "predictor2", "estimator", "se_type", "ci_method", "ci_level"]


def mixed_table(rows, *, model, y, group, n, n_groups, method, fits, reml, extra=None):
    """The tidy table of :func:`.multilevel.icc` and :func:`.multilevel.mixed_model` (``extra``: columns after ``method``)."""
    out = pd.DataFrame(rows).reindex(columns=_BASE + _ROW_META)
    meta_rows = out[_ROW_META]
    out = out[_BASE]
    out.insert(0, "model", model)
    out["n"] = n
    out["n_groups"] = n_groups
    out["method"] = method
    for name, values in (extra or {}).items():
        out[name] = values
    out[["estimand", "predictor", "predictor2"]] = meta_rows[["estimand", "predictor", "predictor2"]]
    out["outcome"] = y
    out["converged"] = all(f.converged for f in fits)
    out["estimator"] = meta_rows["estimator"].fillna("mixedlm_reml" if reml else "mixedlm_ml")
    for c in ("se_type", "ci_method", "ci_level"):
        out[c] = meta_rows[c]
    codes = {c for f in fits for c in f.codes}
    meta = rs.provenance(estimator="mixedlm_reml", n=n, cluster=group, n_clusters=n_groups, warnings=codes)
    return rs.stamp(out, meta)


def mixed_method(reml, n_groups, notes, extra=""):
    """The ``method`` text of a mixed-model table (statsmodels' convergence messages appended)."""
    m = f"linear mixed model (statsmodels MixedLM, {'REML' if reml else 'ML'}), {n_groups} groups; Wald z tests"
    if extra:
        m += "; " + extra
    if notes:
        m += "; warnings: " + " | ".join(notes)
    return m

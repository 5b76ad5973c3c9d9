"""Psychometric statistics: pure functions, DataFrame in -> tidy DataFrame out.

Modules: :mod:`reliability` (alpha, omega, item statistics), :mod:`validity` (KMO, Bartlett,
parallel analysis, EFA, CR/AVE, Fornell-Larcker, HTMT, common-method checks), :mod:`cfa`
(ML confirmatory factor analysis with lavaan-equivalent fit indices), :mod:`aggregation`
(ICC(1), ICC(2), rwg(j)), :mod:`invariance` (configural/metric/scalar), :mod:`reviewer`
(statistic vs. threshold table) and :mod:`suite` (everything for one instrument).
"""

from analysis.psychometrics.aggregation import aggregation_indices, icc, rwg_j, uniform_null_variance
from analysis.psychometrics.cfa import CFAResult, cfa
from analysis.psychometrics.invariance import measurement_invariance
from analysis.psychometrics.reliability import (
    bootstrap_alpha,
    cronbach_alpha,
    item_statistics,
    omega_total,
    scale_reliability,
)
from analysis.psychometrics.reviewer import THRESHOLDS, reviewer_table
from analysis.psychometrics.suite import psychometrics_suite
from analysis.psychometrics.validity import (
    bartlett_sphericity,
    common_method_cfa,
    common_method_comparison,
    composite_reliability,
    efa,
    fornell_larcker,
    harman_single_factor,
    htmt,
    kmo,
    parallel_analysis,
)

__all__ = [
    "CFAResult",
    "THRESHOLDS",
    "aggregation_indices",
    "bartlett_sphericity",
    "bootstrap_alpha",
    "cfa",
    "common_method_cfa",
    "common_method_comparison",
    "composite_reliability",
    "cronbach_alpha",
    "efa",
    "fornell_larcker",
    "harman_single_factor",
    "htmt",
    "icc",
    "item_statistics",
    "kmo",
    "measurement_invariance",
    "omega_total",
    "parallel_analysis",
    "psychometrics_suite",
    "reviewer_table",
    "rwg_j",
    "scale_reliability",
    "uniform_null_variance",
]

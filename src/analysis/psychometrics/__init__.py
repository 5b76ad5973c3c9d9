"""Psychometric statistics: pure functions, DataFrame in -> tidy DataFrame out.

Modules: :mod:`reliability` (alpha, omega total, item statistics), :mod:`omega` (omega
hierarchical), :mod:`validity` (KMO, Bartlett, parallel analysis, EFA), :mod:`discriminant`
(CR/AVE, Fornell-Larcker, HTMT), :mod:`common_method` (Harman, single-factor CFA), :mod:`cfa`
(ML and FIML confirmatory factor analysis with lavaan-equivalent fit indices; estimation in
:mod:`cfa_model`, :mod:`cfa_ml`, :mod:`cfa_fiml`), :mod:`correlations` (pairwise/listwise item
correlations), :mod:`factoring` (extraction and rotation), :mod:`aggregation` (ICC(1), ICC(2),
rwg(j)), :mod:`invariance` (configural/metric/scalar), :mod:`reviewer` (statistic vs. threshold
table), :mod:`errors` (the expected estimation failures) and :mod:`suite` (everything for one
instrument).
"""

from analysis.psychometrics.aggregation import aggregation_indices, icc, rwg_j, uniform_null_variance
from analysis.psychometrics.cfa import CFAResult, cfa
from analysis.psychometrics.common_method import common_method_cfa, common_method_comparison, harman_single_factor
from analysis.psychometrics.discriminant import composite_reliability, fornell_larcker, htmt
from analysis.psychometrics.errors import CFAError, EstimationError
from analysis.psychometrics.invariance import measurement_invariance
from analysis.psychometrics.omega import omega_hierarchical
from analysis.psychometrics.reliability import (
    bootstrap_alpha,
    cronbach_alpha,
    item_statistics,
    omega_total,
    scale_reliability,
)
from analysis.psychometrics.reviewer import THRESHOLDS, reviewer_table
from analysis.psychometrics.suite import psychometrics_suite
from analysis.psychometrics.validity import bartlett_sphericity, efa, kmo, parallel_analysis

__all__ = [
    "CFAError",
    "CFAResult",
    "EstimationError",
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
    "omega_hierarchical",
    "omega_total",
    "parallel_analysis",
    "psychometrics_suite",
    "reviewer_table",
    "rwg_j",
    "scale_reliability",
    "uniform_null_variance",
]

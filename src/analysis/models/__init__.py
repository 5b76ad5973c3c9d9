"""Models linking management practices to sales performance.

Every public function takes a DataFrame plus column names in the shared vocabulary
(``data, x, m, y, w, covar, group, ci, n_boot, seed``) and returns tidy DataFrames (one row per
estimate, with ``n``, the CI level and a ``method`` string) or, for hierarchical regression, a
frozen dataclass holding two tidy frames.
"""

from .descriptives import correlation_matrix, correlations, describe, significance_marks
from .drivers import relative_weights
from .mediation import mediation
from .moderation import johnson_neyman, moderated_mediation, moderation
from .multilevel import group_mean_centre, icc, mixed_model, pseudo_r2
from .regression import HierarchicalResult, hierarchical_regression, ols
from .targets import gap_outcome, sales_expectation, target_gap

__all__ = [
    "HierarchicalResult",
    "correlation_matrix",
    "correlations",
    "describe",
    "gap_outcome",
    "group_mean_centre",
    "hierarchical_regression",
    "icc",
    "johnson_neyman",
    "mediation",
    "mixed_model",
    "moderated_mediation",
    "moderation",
    "ols",
    "pseudo_r2",
    "relative_weights",
    "sales_expectation",
    "significance_marks",
    "target_gap",
]

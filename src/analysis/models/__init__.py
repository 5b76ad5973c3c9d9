"""Models linking management practices to sales performance.

Every public function takes a DataFrame plus column names in the shared vocabulary
(``data, x, m, y, w, covar, group, ci, n_boot, seed``) and returns tidy DataFrames (one row per
estimate) or, for hierarchical regression, a frozen dataclass holding two tidy frames.

Each row has a human-readable ``term`` and ``method`` (English) and the same facts as structured
columns in stable codes -- what it estimates (``estimand``, ``predictor``, ``x``, ``m``, ``w``,
``y``, ...) and how (``estimator``, ``se_type``, ``ci_method``, ``ci_level``, ``n``, ``cluster``,
``n_clusters``, ``n_boot``, ``n_boot_valid``, ``resample``, ``warnings``); the vocabularies are
in :mod:`analysis.models._results`.  A report builds its labels from those, in any language.
"""

from .compare import holm, welch_t
from .descriptives import correlation_matrix, correlations, describe
from .drivers import relative_weights
from .mediation import mediation
from .moderated_mediation import moderated_mediation
from .moderation import johnson_neyman, moderation
from .multilevel import group_mean_centre, mixed_model, null_model, pseudo_r2
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
    "holm",
    "null_model",
    "johnson_neyman",
    "mediation",
    "mixed_model",
    "moderated_mediation",
    "moderation",
    "ols",
    "pseudo_r2",
    "relative_weights",
    "sales_expectation",
    "target_gap",
    "welch_t",
]

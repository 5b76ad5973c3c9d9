"""The statistical failures that psychometric functions raise on data they cannot estimate.

:class:`EstimationError` (a ``ValueError``) means "these data do not allow this statistic": too few
respondents, a constant or perfectly collinear item, a non-positive-definite matrix, a model that
cannot be identified. :func:`analysis.psychometrics.psychometrics_suite` turns exactly these (and
``numpy.linalg.LinAlgError``) into rows of its ``problems`` table; anything else is a programming
error and propagates.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EstimationError", "CFAError", "EXPECTED_FAILURES"]


class EstimationError(ValueError):
    """A statistic cannot be estimated from these data (the message says why and what to do)."""


class CFAError(EstimationError):
    """A CFA cannot be estimated (singular covariance matrix, too few respondents, ...)."""


EXPECTED_FAILURES: tuple[type[BaseException], ...] = (EstimationError, np.linalg.LinAlgError)

"""Measurement invariance of each scale across two waves, and whether its means are comparable."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.instrument import Instrument
from analysis.psychometrics.cfa import CFAError
from analysis.psychometrics.invariance import DELTA_CFI, DELTA_RMSEA, measurement_invariance
from analysis.scoring import reverse_key

MIN_INVARIANCE_ITEMS = 3


def wave_invariance(
    data_by_wave: Mapping[str, pd.DataFrame],
    instrument: Instrument,
    items_by_scale: Mapping[str, Sequence[str]],
    *,
    delta_cfi: float = DELTA_CFI,
    delta_rmsea: float = DELTA_RMSEA,
    missing: str = "fiml",
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
    missing : ``"fiml"`` (default; multi-group FIML, every respondent with an answer) or
        ``"listwise"`` (complete cases), as :func:`measurement_invariance`.

    Returns
    -------
    DataFrame, one row per scale and step (configural, metric, scalar): scale, n_items, items,
    step, n, n_groups, chisq, df, p, cfi, tli, rmsea, srmr, delta_chisq, delta_df, delta_p,
    delta_cfi, delta_rmsea, delta_srmr, invariant, invariant_strict, converged, estimator,
    missing (FIML by default), comparable, reason. ``comparable`` (the same on every row of a scale) is True when the scalar step
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

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from analysis.instrument import load_instrument
    >>> rng = np.random.default_rng(0)
    >>> def wave(shift, n=300):  # one factor, 4 items on 1-5, the latent mean moved by ``shift``
    ...     f = rng.normal(shift, 1, (n, 1))
    ...     return pd.DataFrame(np.clip(np.rint(3 + 0.8 * f + rng.normal(0, 0.6, (n, 4))), 1, 5),
    ...                         columns=["TS1", "TS2", "TS3", "TS4"])
    >>> invariance = wave_invariance({"2025": wave(0), "2026": wave(0.3)}, load_instrument("surveys/staff.yml"),
    ...                              {"TS": ["TS1", "TS2", "TS3", "TS4"]})
    >>> print(invariance[["scale", "step", "df", "cfi", "delta_cfi", "invariant", "comparable"]].round(3).to_string(index=False))
    scale       step  df   cfi  delta_cfi  invariant  comparable
       TS configural   4 0.994        NaN       True        True
       TS     metric   7 0.995     -0.002       True        True
       TS     scalar  10 0.996     -0.001       True        True
    """
    if len(data_by_wave) < 2:
        raise ValueError(f"wave_invariance: {len(data_by_wave)} wave(s) given; need at least 2")
    frames = []
    for wave, frame in data_by_wave.items():
        keyed = reverse_key(frame, instrument)
        items = [i for scale_items in items_by_scale.values() for i in scale_items]
        absent = [i for i in items if i not in keyed.columns]
        if absent:
            raise KeyError(f"wave_invariance: wave '{wave}' has no column(s) {absent}; give each wave its item responses")
        block = keyed[items].apply(pd.to_numeric, errors="coerce").astype(float)
        block["wave"] = str(wave)
        frames.append(block)
    data = pd.concat(frames, ignore_index=True)
    rows: list[pd.DataFrame] = []
    keep = ["step", "n", "n_groups", "chisq", "df", "p", "cfi", "tli", "rmsea", "srmr", "delta_chisq", "delta_df",
            "delta_p", "delta_cfi", "delta_rmsea", "delta_srmr", "invariant", "invariant_strict", "converged", "estimator",
            "missing"]
    for scale, items in items_by_scale.items():
        head = {"scale": scale, "n_items": len(items), "items": ";".join(items)}
        if len(items) < MIN_INVARIANCE_ITEMS:
            rows.append(pd.DataFrame([{**head, "comparable": False, "reason": "fewer_than_3_items"}]))
            continue
        try:
            fit = measurement_invariance(data[[*items, "wave"]], {scale: list(items)}, "wave",
                                         delta_cfi=delta_cfi, delta_rmsea=delta_rmsea, rule="chen", missing=missing)
        except (CFAError, ValueError, np.linalg.LinAlgError) as exc:
            rows.append(pd.DataFrame([{**head, "comparable": False, "reason": f"model_failed: {exc}"}]))
            continue
        fit = fit[keep].copy()
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

def _failed_step(fit: pd.DataFrame) -> str:
    if not fit["converged"].all():
        return "not_converged"
    failed = fit.loc[~fit["invariant"].astype(bool), "step"]
    return f"{failed.iloc[0]}_invariance_fails" if len(failed) else "not_invariant"


def comparability(invariance: pd.DataFrame, scales: Sequence[str]) -> tuple[dict[str, bool], dict[str, str]]:
    """``comparable`` and ``reason`` per scale from a :func:`wave_invariance` table.

    Scales absent from the table are not comparable, with reason ``invariance_not_tested``.

    Parameters
    ----------
    invariance : a :func:`wave_invariance` table.
    scales : the scales to look up.

    Returns
    -------
    (scale -> comparable, scale -> reason for the scales that are not).

    Examples
    --------
    >>> import pandas as pd
    >>> invariance = pd.DataFrame({"scale": ["TS", "CO"], "comparable": [True, False],
    ...                            "reason": [None, "scalar_invariance_fails"]})
    >>> comparability(invariance, ["TS", "CO", "EF"])
    ({'TS': True, 'CO': False, 'EF': False}, {'CO': 'scalar_invariance_fails', 'EF': 'invariance_not_tested'})
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

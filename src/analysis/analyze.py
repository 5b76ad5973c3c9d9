"""The analyze stage as functions of frames: psychometrics, analysis data, hypotheses, diagnoses.

Nothing here reads or writes files (``pipeline`` does); every function returns named tidy
tables, one estimate per row, that ``pipeline`` writes as CSV and Parquet.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
import pandas as pd

from analysis import models
from analysis.datasets import AnalysisData, build_analysis_data
from analysis.disclosure import shown_groups
from analysis.errors import StudyError
from analysis.instrument import Instrument
from analysis.privacy import suppress_small_groups
from analysis.psychometrics import psychometrics_suite
from analysis.scoring import reverse_key
from analysis.study import Hypothesis, Study, check_variables


def instrument_psychometrics(
    data: pd.DataFrame, instrument: Instrument, *, group: str | None, k: int, n_boot: int = 0, seed: int = 0,
    cfa_missing: str = "fiml", cor_missing: str = "pairwise",
) -> dict[str, pd.DataFrame]:
    """The psychometrics suite on raw (unkeyed) item responses, with small groups suppressed."""
    keyed = reverse_key(data, instrument)
    tables = psychometrics_suite(keyed, instrument, group=group, n_boot=n_boot, seed=seed, cfa_missing=cfa_missing,
                                 cor_missing=cor_missing)
    return {name: suppress_small_groups(table, k) for name, table in tables.items()}


def expand_categories(data: pd.DataFrame, variables: list[str], instrument: Instrument) -> tuple[pd.DataFrame, list[str]]:
    """Dummy-code category fields (first allowed value as reference); other variables pass through."""
    out = data.copy()
    expanded: list[str] = []
    for var in variables:
        spec = instrument.fields.get(var)
        if spec is None or spec.type != "category":
            expanded.append(var)
            continue
        levels = list(spec.values or {})
        for level in levels[1:]:
            name = f"{var}_{level}"
            out[name] = (out[var] == level).astype(float).where(out[var].notna())
            if out[name].nunique(dropna=True) > 1:  # a level nobody chose cannot be estimated
                expanded.append(name)
    return out, expanded


def add_target_gap(data: AnalysisData, study: Study, group: str) -> dict[str, pd.DataFrame]:
    """Objective expectation of each branch's sales and each staff member's gap to it.

    The expectation is fitted across branches from branch factors only (``targets.predictors``,
    with ``targets.log`` entered as logs) on the log scale, so it is what a branch of that kind
    sells on average; a staff member's expectation is the branch's expectation per staff member
    with records. The gap is ``log(assigned target / expectation)``: 0 is a target at the
    objective level, 0.1 about 10% above it. Adds ``target_gap`` to both frames.
    """
    spec = study.targets
    branches = data.branches.copy()
    predictors = []
    for column in spec.predictors:
        if column in spec.log:
            branches[f"log_{column}"] = np.log(branches[column].where(branches[column] > 0))
            predictors.append(f"log_{column}")
        else:
            predictors.append(column)
    coefficients = models.sales_expectation(branches, y=spec.actual, x=predictors, scale="log")
    gaps = models.target_gap(branches, target=spec.assigned, y=spec.actual, x=predictors, id=group, scale="log")
    branches = branches.merge(gaps[[group, "expected", "log_gap"]].rename(
        columns={"expected": "expected_sales", "log_gap": "target_gap"}), on=group, how="left")
    branches["expected_per_staff"] = branches["expected_sales"] / branches["staff_with_records"]
    staff = data.staff.merge(branches[[group, "expected_per_staff"]], on=group, how="left")
    staff["target_gap"] = np.log(staff[spec.assigned] / staff["expected_per_staff"])
    data.staff, data.branches = staff, branches
    return {"target_expectation": coefficients, "target_gaps": gaps}


def response_rates(branches: pd.DataFrame, *, group: str, k: int, employed: str = "staff_count") -> pd.DataFrame:
    """Respondents over employed staff for the company and each district, over shown branches only.

    Every row counts only branches that are shown (:func:`analysis.disclosure.shown_groups`), in
    the numerator and the denominator, so no row minus others reveals a hidden branch; ``branches``
    says how many branches a row covers.
    """
    columns = ["level", "unit", "branches", "employed", "respondents", "rate"]
    if employed not in branches or "n_respondents" not in branches:
        return pd.DataFrame(columns=columns)
    shown = branches[shown_groups(branches["n_respondents"], k).to_numpy()]
    rows = [{"level": "company", "unit": "all", "branches": len(shown), "employed": int(shown[employed].sum()),
             "respondents": int(shown["n_respondents"].sum())}]
    if "district" in shown:
        for district, part in shown.groupby("district", observed=True):
            rows.append({"level": "district", "unit": district, "branches": len(part), "employed": int(part[employed].sum()),
                         "respondents": int(part["n_respondents"].sum())})
    out = pd.DataFrame(rows, columns=columns[:-1])
    out["rate"] = out["respondents"] / out["employed"]
    return out


def run_hypothesis(h: Hypothesis, frame: pd.DataFrame, study: Study, instrument: Instrument) -> dict[str, pd.DataFrame]:
    """Fit one hypothesis; returns its tables keyed by a short suffix."""
    r = h.roles
    seed, n_boot = study.seed, study.n_boot
    covar = r.get("covar", [])
    if h.model == "regression":
        data, x = expand_categories(frame, r["x"] + covar, instrument)
        return {"coefficients": models.ols(data, y=r["y"], x=x, group=r.get("cluster"))}
    if h.model == "hierarchical_regression":
        names = [v for block in r["blocks"] for v in block]
        data, _ = expand_categories(frame, names, instrument)
        blocks = {}
        for i, block in enumerate(r["blocks"]):
            _, expanded = expand_categories(frame, block, instrument)
            blocks[f"block{i + 1}"] = expanded
        result = models.hierarchical_regression(data, y=r["y"], blocks=blocks, group=r.get("cluster"))
        return {"steps": result.steps, "coefficients": result.coefficients}
    if h.model == "multilevel":
        climate = r.get("climate", [])
        data = models.group_mean_centre(frame, climate, group=r["group"]) if climate else frame
        x = r.get("x", []) + [f"{c}_within" for c in climate] + [f"{c}_between" for c in climate]
        fixed = models.mixed_model(data, y=r["y"], x=x, covar=covar or None, group=r["group"],
                                   random_slopes=r.get("random_slopes") or None)
        explained = models.pseudo_r2(data, y=r["y"], x=x, covar=covar or None, group=r["group"],
                                     random_slopes=r.get("random_slopes") or None)
        return {"null": models.null_model(frame, y=r["y"], group=r["group"]), "coefficients": fixed, "pseudo_r2": explained}
    if h.model == "mediation":
        # a named cluster: cluster-robust SEs of the paths and a cluster (whole-branch) bootstrap
        boot_units = {"group": r["cluster"], "resample": "clusters"} if r.get("cluster") else {}
        parts = []
        for x in r["x"]:
            others = [v for v in r["x"] if v != x] + covar
            parts.append(models.mediation(frame, x=x, m=r["m"], y=r["y"], covar=others or None, n_boot=n_boot, seed=seed,
                                          **boot_units))
        return {"effects": pd.concat(parts, ignore_index=True)}
    if h.model == "moderation":
        return {"slopes": models.moderation(frame, x=r["x"], w=r["w"], y=r["y"], covar=covar or None),
                "johnson_neyman": models.johnson_neyman(frame, x=r["x"], w=r["w"], y=r["y"], covar=covar or None)}
    if h.model == "moderated_mediation":
        boot_units = {"group": r["cluster"], "resample": "clusters"} if r.get("cluster") else {}
        return {"effects": models.moderated_mediation(frame, x=r["x"], m=r["m"], y=r["y"], w=r["w"],
                                                      covar=covar or None, n_boot=n_boot, seed=seed, **boot_units)}
    if h.model == "relative_weights":
        return {"weights": models.relative_weights(frame, y=r["y"], x=r["x"], n_boot=n_boot, seed=seed)}
    raise ValueError(f"hypothesis {h.id}: no runner for model '{h.model}'")


def analysis_frames(
    study: Study, instruments: dict[str, Instrument], tables: dict[str, pd.DataFrame], scores: dict[str, pd.DataFrame],
) -> tuple[AnalysisData, dict[str, pd.DataFrame]]:
    """The staff and branch frames the hypotheses run on, and the target tables, as ``analyze`` builds them.

    ``tables`` and ``scores`` are the accepted and the scored tables of a processed wave by
    instrument id. With ``targets`` in the study, ``target_gap`` is added to both frames (see
    :func:`add_target_gap`); without a group column to compare branches by, the targets are skipped
    and ``data.notes`` says so.

    Raises
    ------
    StudyError
        ``targets`` names a column the branch frame does not have.
    """
    data = build_analysis_data(study.datasets, instruments, tables, scores)
    resp = instruments[study.datasets.respondents]
    out: dict[str, pd.DataFrame] = {}
    spec = study.targets
    if spec and resp.group is None:
        data.notes.append(f"targets skipped: the objective expectation compares branches, and '{resp.id}' has no group column")
    elif spec:
        unknown = [c for c in (spec.assigned, spec.actual, *spec.predictors) if c not in data.branches]
        if unknown:
            raise StudyError(f"{study.path}: targets: unknown variable(s) {', '.join(map(repr, unknown))} "
                             "(columns of the branch frame: records summed per group, or the groups table)")
        if "staff_with_records" not in data.branches or spec.assigned not in data.staff:
            raise StudyError(f"{study.path}: targets need datasets.records (each staff member's assigned target)")
        out.update(add_target_gap(data, study, resp.group.column))
    return data, out


def analyze_study(
    study: Study,
    instruments: dict[str, Instrument],
    tables: dict[str, pd.DataFrame],
    scores: dict[str, pd.DataFrame],
    *,
    diagnose: Callable[..., dict[str, pd.DataFrame]] | None = None,
) -> tuple[dict[str, pd.DataFrame], AnalysisData]:
    """Every table of a study: psychometrics per survey, Table 1, hypotheses, target fairness.

    What the study file or the data do not support is skipped, with a line in the returned
    data's ``notes``: targets without a group column, branch-level hypotheses without a branch
    frame, response rates without ``staff_count`` (and what ``diagnose`` skips).
    """
    k = study.min_group_size
    out: dict[str, pd.DataFrame] = {}
    for inst_id, scored in scores.items():
        inst = instruments[inst_id]
        rid = inst.respondent.column
        data = tables[inst_id]
        if study.datasets.exclude_careless:
            data = data[data[rid].isin(scored.loc[~scored["careless"], rid])]
        group = inst.group.column if inst.group else None
        for name, table in instrument_psychometrics(data, inst, group=group, k=k, seed=study.seed,
                                                    cfa_missing=study.cfa_missing,
                                                    cor_missing=study.cor_missing).items():
            out[f"{inst_id}_{name}"] = table

    data, target_tables = analysis_frames(study, instruments, tables, scores)
    out.update(target_tables)
    resp = instruments[study.datasets.respondents]
    frames = {"staff": data.staff, "branch": data.branches}
    hypotheses = list(study.hypotheses)
    if data.branches.empty:
        skipped = [h.id for h in hypotheses if h.level == "branch"]
        if skipped:
            data.notes.append(f"hypotheses {', '.join(skipped)} skipped: level: branch needs groups (datasets.groups, "
                              f"records or a group column in '{resp.id}')")
        hypotheses = [h for h in hypotheses if h.level != "branch"]
    check_variables(replace(study, hypotheses=tuple(hypotheses)), frames)

    reliability = out.get(f"{resp.id}_reliability")
    alphas = reliability.set_index("scale")["alpha"] if reliability is not None and not reliability.empty else None
    table1_vars = list(dict.fromkeys(v for v in (*study.dimensions, *resp.scales, study.performance, "target_gap")
                                     if v and v in data.staff))
    out["descriptives"] = models.describe(data.staff, table1_vars)
    out["correlations"] = models.correlations(data.staff, table1_vars)
    out["table1"] = models.correlation_matrix(data.staff, table1_vars, reliability=alphas).rename_axis("variable").reset_index()

    for h in hypotheses:
        frame = frames[h.level]
        for suffix, table in run_hypothesis(h, frame, study, resp).items():
            table = table.copy()
            table.insert(0, "hypothesis", h.id)
            out[f"{h.id}_{suffix}"] = table
    if resp.group is not None:
        out["response_rates"] = response_rates(data.branches, group=resp.group.column, k=k)
    if diagnose is not None:
        out.update(diagnose(study, data, out))
    return out, data

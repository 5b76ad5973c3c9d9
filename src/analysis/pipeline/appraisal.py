"""The appraisal tables of ``hallperf analyze``: find the inputs on disk and call
:func:`analysis.appraisal.tables.appraisal_tables`.

A study names its scheme with ``appraisal: appraisal.yml`` (relative to the study file). The
previous wave, for predictive validity and action effects, is the processed wave whose period
ends last before this wave's period begins and that has been analysed (its
``output/<wave>/data/analysis_branches.parquet``); the action register is this wave's
``actions_register`` dataset (delivered with the wave in which the actions' effects are
measured; raw waves are never modified, so it cannot be added to the earlier one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from analysis.appraisal.action_effects import adoption, library_dimensions
from analysis.appraisal.scheme import load_scheme
from analysis.appraisal.scorecard import staff_frame
from analysis.appraisal.tables import appraisal_tables
from analysis.errors import SchemeError
from analysis.instrument import Instrument

__all__ = ["appraisal_results", "previous_wave"]


def previous_wave(wave: str, months: list[str], *, processed_root: Path, out_root: Path) -> tuple[str, dict] | None:
    """The analysed wave ending last before ``months[0]``: (name, its manifest), or None."""
    best = None
    root = Path(processed_root)
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != wave) if root.is_dir() else []:
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        last = (manifest.get("months") or [None])[-1]
        analysed = (Path(out_root) / folder.name / "data" / "analysis_branches.parquet").is_file()
        if last and months and last < months[0] and analysed and (best is None or last > best[2]):
            best = (folder.name, manifest, last)
    return (best[0], best[1]) if best else None


def _invariant_scales(scales: list[str], inst: Instrument, study, wave: str, prev: str, processed_root: Path) -> set[str]:
    """Scales (of ``scales``) whose scalar invariance holds between the two waves (Chen 2007)."""
    from analysis.pipeline.core import load_processed
    from analysis.pipeline.waves import _wave_frames
    from analysis.waves import comparability, trend_items, wave_invariance

    scales = [s for s in scales if s in inst.scales]
    if not scales:
        return set()
    frames = {w: _wave_frames(w, load_processed(Path(processed_root) / w), inst, study, processed_root)[0] for w in (prev, wave)}
    items = {s: v for s, v in trend_items(inst, inst).items() if s in scales}
    comparable, _ = comparability(wave_invariance(frames, inst, items), list(items))
    return {s for s, ok in comparable.items() if ok}


def appraisal_results(study, instruments: dict[str, Instrument], tables: dict[str, pd.DataFrame],
                      scores: dict[str, pd.DataFrame], data, manifest: dict, *, processed_root: Path,
                      out_root: Path) -> dict[str, pd.DataFrame]:
    """The appraisal tables of a wave, or ``{}`` when the study names no scheme."""
    path = study.appraisal
    if path is None:
        return {}
    scheme = load_scheme(path)
    resp = instruments[study.datasets.respondents]
    person, group = resp.respondent.column, resp.group.column
    records = study.datasets.records
    staff = staff_frame(tables[records.instrument], records, data.branches, person=person, group=group)
    ratings = tables.get(scheme.ratings.instrument) if scheme.ratings else None
    n_options = 5
    if ratings is not None and scheme.ratings.instrument in instruments:
        field = instruments[scheme.ratings.instrument].fields.get(scheme.ratings.items[0])
        if field is not None and field.min is not None and field.max is not None:
            n_options = int(field.max - field.min + 1)
    survey = tables.get(resp.id)
    if survey is not None and study.datasets.exclude_careless and resp.id in scores:
        careless = scores[resp.id].loc[scores[resp.id]["careless"].astype(bool), person]
        survey = survey[~survey[person].isin(careless)]
    months = list(manifest.get("months") or [])
    wave = manifest["wave"]
    extra: dict = {}
    found = previous_wave(wave, months, processed_root=processed_root, out_root=out_root)
    if found:
        prev, prev_manifest = found
        grades = Path(out_root) / prev / "results" / "appraisal_grades.parquet"
        extra["previous_grades"] = pd.read_parquet(grades) if grades.is_file() else None
        register = tables.get(scheme.actions.instrument)
        if register is not None and study.actions is not None and months and prev_manifest.get("months"):
            library = yaml.safe_load(Path(study.actions).read_text(encoding="utf-8")) or {}
            dimensions = library_dimensions(library)
            after, until = prev_manifest["months"][-1], months[-1]
            used = adoption(register, dimensions, after=after, until=until)
            dims = sorted(set(used.loc[used["status"] == "adopted", "dimension"].dropna()))
            extra.update(
                register=register, dimensions=dimensions, after=after, until=until,
                previous_branches=pd.read_parquet(Path(out_root) / prev / "data" / "analysis_branches.parquet"),
                invariant=_invariant_scales(dims, resp, study, wave, prev, processed_root),
            )
        extra["previous_wave"] = prev
    try:
        return appraisal_tables(scheme, staff, data.branches, ratings, person=person, group=group, k=study.min_group_size,
                                seed=study.seed, n_options=n_options, survey=survey,
                                assigned=study.targets.assigned if study.targets else "assigned_target", **extra)
    except SchemeError as exc:  # a column the scheme names is missing: say which file
        raise SchemeError(f"{path}: {exc}") from None

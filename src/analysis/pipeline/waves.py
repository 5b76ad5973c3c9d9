"""Waves on disk: list them, simulate a follow-up of one, and compare two processed waves.

The statistics live in :mod:`analysis.waves`; this module reads the processed waves and
writes the comparison tables into ``output/<current>/results/`` beside the study's tables,
one file at a time (each atomically), updating ``results.json``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import yaml

from analysis.errors import InputFileError
from analysis.instrument import Instrument, load_instruments
from analysis.pipeline.core import atomic_dir, load_processed, package_versions, sha256, write_atomic, write_json
from analysis.privacy import check_min_group_size
from analysis.scoring import score_scales
from analysis.simulate import load_model, simulate_wave, write_wave
from analysis.wave import DATA_SUFFIXES, months_between
from analysis.waves import (
    branch_trends, compare_waves, comparability, instrument_changes, trend_instrument, trend_items, wave_invariance,
)

__all__ = ["list_waves", "run_compare_waves", "run_simulate_follow_up", "WAVE_TABLES"]

WAVE_TABLES = ("waves_changes", "waves_invariance", "waves_company", "waves_district", "waves_branch", "branch_trends")
LIST_COLUMNS = ["wave", "raw_dir", "period_start", "period_end", "n_months", "instrument", "n_files", "files",
                "instrument_version", "rows_read", "rows_accepted", "rows_quarantined", "ingested", "scored", "problem"]


# --- listing -------------------------------------------------------------------------------

def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def list_waves(raw_root: Path = Path("data/raw"), processed_root: Path = Path("data/processed")) -> pd.DataFrame:
    """Every wave under ``raw_root`` or ``processed_root``: one row per wave and instrument.

    Columns: wave, raw_dir, period_start, period_end, n_months, instrument, n_files, files
    (``;``-separated), instrument_version, rows_read, rows_accepted, rows_quarantined (from the
    processed ``manifest.json``; missing until ingested), ingested, scored, problem (why the
    delivery note could not be read, if so). A raw wave without ``wave.yml`` has one row with
    its data files and no instrument. Sorted by period start, then wave.
    """
    raw_root, processed_root = Path(raw_root), Path(processed_root)
    rows: list[dict] = []
    seen: set[str] = set()
    for folder in sorted(p for p in raw_root.iterdir() if p.is_dir() and not p.name.startswith(".")) if raw_root.is_dir() else []:
        spec_path = folder / "wave.yml"
        name, start, end, files, problem = folder.name, None, None, {}, None
        if spec_path.exists():
            try:
                raw = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
                name = str(raw.get("wave", folder.name))
                period = raw.get("period") or {}
                start, end = (str(period["start"]), str(period["end"])) if period else (None, None)
                for entry in raw.get("files") or []:
                    files.setdefault(str(entry["instrument"]), []).append(str(entry["path"]))
            except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
                problem = f"wave.yml unreadable: {type(exc).__name__}"
        else:
            data = [p.name for p in sorted(folder.iterdir()) if p.suffix.lower() in DATA_SUFFIXES]
            if not data:
                continue
            files = {None: data}
            problem = "no wave.yml"
        seen.add(name)
        rows += _wave_rows(name, folder, start, end, files, processed_root / name, problem)
    if processed_root.is_dir():
        for folder in sorted(p for p in processed_root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if folder.name in seen or not (folder / "manifest.json").exists():
                continue
            rows += _wave_rows(folder.name, None, None, None, {}, folder, "raw folder not found")
    out = pd.DataFrame(rows, columns=LIST_COLUMNS)
    return out.sort_values(["period_start", "wave", "instrument"], na_position="last", kind="stable").reset_index(drop=True)


def _wave_rows(name, raw_dir, start, end, files, processed, problem) -> list[dict]:
    manifest = _read_json(processed / "manifest.json")
    scores = _read_json(processed / "scores.json") or {}
    if manifest and not start and manifest.get("months"):
        start, end = manifest["months"][0], manifest["months"][-1]
    by_instrument: dict = {k: list(v) for k, v in files.items()}
    if manifest:
        for entry in manifest.get("inputs", []):
            by_instrument.setdefault(entry["instrument"], [])
            if entry["file"] not in by_instrument[entry["instrument"]]:
                by_instrument[entry["instrument"]].append(entry["file"])
    rows = []
    for inst, names in by_instrument.items():
        inputs = [e for e in (manifest or {}).get("inputs", []) if e["instrument"] == inst]
        rows.append({
            "wave": name, "raw_dir": str(raw_dir) if raw_dir else None, "period_start": start, "period_end": end,
            "n_months": len(months_between(start, end)) if start and end else None,
            "instrument": inst, "n_files": len(names), "files": ";".join(names),
            "instrument_version": ((manifest or {}).get("instruments", {}).get(inst) or {}).get("version"),
            "rows_read": sum(e["rows_read"] for e in inputs) if inputs else None,
            "rows_accepted": sum(e["rows_accepted"] for e in inputs) if inputs else None,
            "rows_quarantined": sum(e["rows_quarantined"] for e in inputs) if inputs else None,
            "ingested": manifest is not None, "scored": inst in scores.get("datasets", {}), "problem": problem,
        })
    return rows


# --- simulate a follow-up ------------------------------------------------------------------

def run_simulate_follow_up(
    wave: str, *, base_dir: Path, out: Path, instruments_dir: Path, model_path: Path,
    shifts: dict[str, float] | None = None, turnover: float | None = None, excel_customers: bool = False,
) -> Path:
    """Simulate the wave after the one in ``base_dir`` (its ``truth.json`` gives seed and sizes) → ``out``.

    ``base_dir`` may itself be a follow-up; the new wave is the next step of the same base.
    ``shifts`` are latent mean changes relative to the base wave (SD units).
    """
    truth = _read_json(Path(base_dir) / "truth.json")
    if not truth or "arguments" not in truth:
        raise InputFileError(f"{base_dir}: no truth.json with simulation arguments; simulate the base wave with 'hallperf simulate' first")
    args = truth["arguments"]
    previous = truth.get("follow_up") or {}
    step = int(previous.get("step", 0)) + 1
    base_wave = previous.get("base_wave") or truth["wave"]
    instruments = load_instruments(instruments_dir)
    model = load_model(model_path)
    sim = simulate_wave(instruments, model, wave=wave, branches=args["branches"], seed=args["seed"],
                        start_month=args["start_month"], months=args["months"], staff=args["staff"],
                        customers=args["customers"], shifts=shifts, follow_up=step, base_wave=base_wave, turnover=turnover)
    sim.truth["follow_up"]["previous_wave"] = truth["wave"]
    with atomic_dir(Path(out)) as tmp:
        write_wave(sim, instruments, model["instruments"], tmp, excel_customers=excel_customers)
    return Path(out)


# --- compare -------------------------------------------------------------------------------

def _check_codebook(wave: str, manifest: dict, inst: Instrument, flag: str) -> None:
    recorded = (manifest.get("instruments") or {}).get(inst.id) or {}
    digest = sha256(inst.path) if inst.path else None
    if recorded.get("sha256") and digest and recorded["sha256"] != digest:
        raise InputFileError(
            f"wave '{wave}' was ingested with {inst.id} codebook version {recorded.get('version')} "
            f"(sha256 {recorded['sha256'][:12]}), but {inst.path} (version {inst.version}) differs; "
            f"pass the codebooks that wave was ingested with ({flag} DIR)"
        )


def _wave_frames(wave: str, processed_root: Path, inst: Instrument, study) -> tuple[dict, pd.DataFrame, dict]:
    """Accepted respondent rows (careless ones dropped if the study says so), with ``district``."""
    manifest, tables, scores = load_processed(processed_root / wave)
    if inst.id not in tables or inst.id not in scores:
        raise InputFileError(f"{processed_root / wave}: no scored '{inst.id}' dataset; ingest and score that wave")
    data = tables[inst.id]
    rid = inst.respondent.column
    excluded = {"careless": 0}
    if study.datasets.exclude_careless and "careless" in scores[inst.id]:
        careless = set(scores[inst.id].loc[scores[inst.id]["careless"].astype(bool), rid])
        excluded["careless"] = int(data[rid].isin(careless).sum())
        data = data[~data[rid].isin(careless)]
    gid = inst.group.column if inst.group else None
    groups = tables.get(study.datasets.groups) if study.datasets.groups else None
    if gid and groups is not None and "district" in groups and gid in groups:
        districts = groups[[gid, "district"]].drop_duplicates(gid)
        data = data.drop(columns=["district"], errors="ignore").merge(districts, on=gid, how="left")
    return manifest, data.reset_index(drop=True), excluded


def run_compare_waves(
    current: str,
    previous: str,
    *,
    processed_root: Path,
    out_root: Path,
    instruments_dir: Path,
    study_path: Path,
    k: int | None = None,
    previous_instruments_dir: Path | None = None,
    alpha: float = 0.05,
) -> dict:
    """Compare wave ``current`` with ``previous`` → tables in ``out_root/<current>/results/``.

    Writes ``waves_changes``, ``waves_invariance``, ``waves_company``, ``waves_district``,
    ``waves_branch`` and ``branch_trends`` (CSV + Parquet, each file atomically) next to the
    tables already there, and adds them and a ``waves`` provenance entry to ``results.json``.
    Note that ``hallperf analyze`` replaces the whole results folder, so compare after analyzing.

    The respondents instrument of the study (``datasets.respondents``) is compared. Its codebook
    for ``previous`` comes from ``previous_instruments_dir`` (default ``instruments_dir``); each
    codebook must be the one its wave was ingested with (checked against the sha256 in the
    wave's manifest), so an edited questionnaire is never mistaken for the old one.
    Careless respondents are left out when the study excludes them.

    Returns the updated ``results.json`` content.
    """
    from analysis.study import load_study

    study = load_study(study_path)
    k = check_min_group_size(study.min_group_size if k is None else k)
    new_all = load_instruments(instruments_dir)
    old_all = load_instruments(previous_instruments_dir or instruments_dir)
    resp = study.datasets.respondents
    if resp not in new_all or resp not in old_all:
        raise InputFileError(f"{study_path}: respondents instrument '{resp}' not found among the codebooks")
    new, old = new_all[resp], old_all[resp]
    prev_manifest, prev_data, prev_excluded = _wave_frames(previous, processed_root, old, study)
    cur_manifest, cur_data, cur_excluded = _wave_frames(current, processed_root, new, study)
    _check_codebook(previous, prev_manifest, old, "--previous-instruments")
    _check_codebook(current, cur_manifest, new, "--instruments")

    changes = instrument_changes(old, new)
    items = trend_items(old, new)
    invariance = wave_invariance({previous: prev_data, current: cur_data}, new, items)
    scales = list(items)
    comparable, reasons = comparability(invariance, scales)

    rid = new.respondent.column
    gid = new.group.column if new.group else None
    keep = [c for c in (rid, gid, "district") if c]
    scores = {}
    for wave, data, inst in ((previous, prev_data, old), (current, cur_data, new)):
        scored = score_scales(data, trend_instrument(inst, items))
        scores[wave] = pd.concat([data[[c for c in keep if c in data]], scored], axis=1)

    common = dict(k=k, comparable=comparable, reasons=reasons, alpha=alpha)
    tables = {
        "waves_changes": changes,
        "waves_invariance": invariance,
        "waves_company": compare_waves(scores, scales, level="company", within=gid, respondent=rid, **common),
    }
    if all("district" in s for s in scores.values()):
        tables["waves_district"] = compare_waves(scores, scales, level="district", group="district", within=gid, **common)
    else:
        tables["waves_district"] = compare_waves(scores, [], level="company", **common)
    if gid:
        tables["waves_branch"] = compare_waves(scores, scales, level="branch", group=gid, **common)
        dims = [d for d in study.dimensions if d in items]
        tables["branch_trends"] = branch_trends(scores, dims, group=gid, **common)
        if gid != "branch_id":
            tables["branch_trends"] = tables["branch_trends"].rename(columns={"branch_id": gid})
    results = Path(out_root) / current / "results"
    index = {}
    for name, table in tables.items():
        table = table.reset_index(drop=True)
        write_atomic(results / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False, encoding="utf-8"))
        write_atomic(results / f"{name}.parquet", lambda tmp, t=table: t.to_parquet(tmp, index=False))
        index[name] = {"rows": len(table), "columns": [str(c) for c in table.columns]}

    info = _read_json(results / "results.json") or {"stage": "waves", "wave": current, "packages": package_versions()}
    info.setdefault("tables", {}).update(index)
    info["waves"] = {
        "current": current, "previous": previous, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "study": {"path": str(study_path), "sha256": sha256(Path(study_path))},
        "processed_manifest_sha256": {w: sha256(Path(processed_root) / w / "manifest.json") for w in (previous, current)},
        "scores_sha256": {w: sha256(Path(processed_root) / w / "scores.json") for w in (previous, current)},
        "instruments": {previous: {"id": old.id, "version": old.version, "sha256": sha256(old.path) if old.path else None},
                        current: {"id": new.id, "version": new.version, "sha256": sha256(new.path) if new.path else None}},
        "parameters": {"min_group_size": k, "alpha": alpha, "ci": 0.95, "test": "welch", "adjustment": "holm",
                       "exclude_careless": study.datasets.exclude_careless, "invariance": "chen2007"},
        "excluded": {previous: prev_excluded, current: cur_excluded},
        "items_left_out": sorted(set(changes["item"])),
        "tables": list(tables),
        "packages": package_versions(),
    }
    write_json(results / "results.json", info)
    return info

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
from analysis.atomic import atomic_dir, remove_stale_temporaries
from analysis.pipeline.core import load_processed, package_versions
from analysis.pipeline.outputs import sha256, write_json, write_people_csv
from analysis.result_files import compare_dir
from analysis.privacy import check_min_group_size
from analysis.scoring import score_scales
from analysis.simulate import load_model, simulate_wave, write_wave
from analysis.wave import DATA_SUFFIXES, months_between
from analysis.waves import (
    branch_trends, combine_branch_trends, compare_waves, comparability, instrument_changes, kpi_trends,
    period_dependent_kpis, trend_instrument, trend_items, wave_invariance,
)

__all__ = ["list_waves", "run_compare_waves", "run_simulate_follow_up", "WAVE_TABLES"]

WAVE_TABLES = ("waves_changes", "waves_invariance", "waves_company", "waves_district", "waves_branch",
               "waves_customer_invariance", "waves_customer_company", "waves_customer_district",
               "waves_customer_branch", "branch_trends")
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

    Parameters
    ----------
    raw_root : the folder of delivered waves (``data/raw``).
    processed_root : the folder of ingested waves (``data/processed``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     raw = pathlib.Path(folder, "raw", "2026Q3")
    ...     raw.mkdir(parents=True)
    ...     _ = (raw / "wave.yml").write_text("wave: 2026Q3\\nperiod: {start: 2026-07, end: 2026-09}\\n"
    ...                                       "files:\\n- {path: staff_survey.csv, instrument: staff}\\n")
    ...     waves = list_waves(pathlib.Path(folder, "raw"), pathlib.Path(folder, "processed"))
    >>> print(waves[["wave", "period_start", "n_months", "instrument", "files", "ingested"]].to_string(index=False))
      wave period_start  n_months instrument            files  ingested
    2026Q3      2026-07         3      staff staff_survey.csv     False
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
    actions: bool = False,
) -> Path:
    """Simulate the wave after the one in ``base_dir`` (its ``truth.json`` gives seed and sizes) → ``out``.

    ``base_dir`` may itself be a follow-up; the new wave is the next step of the same base.
    ``shifts`` are latent mean changes relative to the base wave (SD units). ``actions``: branches
    adopt the model's actions (an action register with known effects in ``out``).

    Parameters
    ----------
    wave : the new wave's label.
    base_dir : the raw folder of the wave before (with its ``truth.json``).
    out : the raw folder to write (atomically).
    instruments_dir, model_path : the codebooks and the simulation model (``surveys/simulation.yml``).
    shifts : scale -> latent mean change relative to the base wave, in SD units.
    turnover : share of staff replaced since the base wave (default: the model's).
    excel_customers : write the customer survey as Excel, as the platforms deliver it.
    actions : branches adopt the model's actions.

    Examples
    --------
    Simulating two waves takes a few seconds (``tests/test_waves.py`` runs it):

    >>> from pathlib import Path
    >>> from analysis.pipeline import run_simulate
    >>> surveys = Path("surveys")
    >>> run_simulate("w1", branches=25, seed=11, out=Path("data/raw/w1"), instruments_dir=surveys,
    ...              model_path=surveys / "simulation.yml")  # doctest: +SKIP
    >>> run_simulate_follow_up("w2", base_dir=Path("data/raw/w1"), out=Path("data/raw/w2"), instruments_dir=surveys,
    ...                        model_path=surveys / "simulation.yml", shifts={"CO": 0.3})  # doctest: +SKIP
    PosixPath('data/raw/w2')
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
                        customers=args["customers"], shifts=shifts, follow_up=step, base_wave=base_wave, turnover=turnover,
                        actions=actions)
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


def _wave_frames(wave: str, loaded: tuple, inst: Instrument, study, processed_root: Path) -> tuple[pd.DataFrame, dict]:
    """Accepted respondent rows (careless ones dropped if the study says so), with ``district``."""
    _, tables, scores = loaded
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
    return data.reset_index(drop=True), excluded


def _compare_survey(
    old: Instrument, new: Instrument, previous: str, current: str, prev_data: pd.DataFrame, cur_data: pd.DataFrame,
    *, k: int, alpha: float, dimensions: list[str] | None, missing: str = "fiml",
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None]:
    """One survey across two waves: changes, invariance, company/district/branch tables, branch trends.

    ``dimensions``: the scales of the branch trends (None: no branch trends); ``missing``: the
    invariance models' missing data (the study's ``cfa_missing``). Returns the tables
    (keys ``changes``, ``invariance``, ``company``, ``district`` and, with a group column,
    ``branch``) and the branch
    trends with the scales' labels (``label_zh``, ``label_en``), or None.
    """
    changes = instrument_changes(old, new)
    items = trend_items(old, new)
    invariance = wave_invariance({previous: prev_data, current: cur_data}, new, items, missing=missing)
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
        "changes": changes,
        "invariance": invariance,
        "company": compare_waves(scores, scales, level="company", within=gid, respondent=rid, **common),
    }
    if all("district" in s for s in scores.values()):
        tables["district"] = compare_waves(scores, scales, level="district", group="district", within=gid, **common)
    else:
        tables["district"] = compare_waves(scores, [], level="company", **common)
    trends = None
    if gid:
        tables["branch"] = compare_waves(scores, scales, level="branch", group=gid, **common)
        if dimensions is not None:
            dims = [d for d in dimensions if d in items]
            trends = branch_trends(scores, dims, group=gid, **common)
            trends["label_zh"] = trends["dimension"].map(lambda d: new.scales[d].label.zh)
            trends["label_en"] = trends["dimension"].map(lambda d: new.scales[d].label.en)
    return tables, trends


def _instrument_entry(inst: Instrument) -> dict:
    return {"id": inst.id, "version": inst.version, "sha256": sha256(inst.path) if inst.path else None}


def _kpi_trends(study, previous: str, current: str, out_root: Path, manifests: dict) -> tuple[pd.DataFrame | None, dict]:
    """KPI trends from each wave's ``branch_kpis`` result table (None, with a note, when a wave has none)."""
    kpis, hashes = {}, {}
    for wave in (previous, current):
        folder = Path(out_root) / wave / "results"
        path = next((p for p in (folder / "branch_kpis.parquet", folder / "branch_kpis.csv") if p.is_file()), None)
        if path is None:
            return None, {"skipped": f"{folder}: no branch_kpis table; run 'hallperf analyze' for wave {wave} before comparing"}
        kpis[wave] = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        hashes[wave] = sha256(path)
    months = {w: len(manifests[w].get("months") or []) for w in (previous, current)}
    comparable, reasons = {}, {}
    records = study.datasets.records
    if records is not None and months[previous] != months[current]:
        names = sorted(set(kpis[previous]["kpi"].astype(str)) | set(kpis[current]["kpi"].astype(str)))
        for name in period_dependent_kpis(names, records.sum, {**records.ratio, **records.group_ratio}):
            comparable[name], reasons[name] = False, "period_length_differs"
    note = {"months": months, "not_comparable": sorted(comparable), "test": "none: records, not a sample",
            "branch_kpis_sha256": hashes}
    return kpi_trends(kpis, comparable=comparable, reasons=reasons), note


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
    """Compare wave ``current`` with ``previous`` → tables in ``out_root/<current>/compare/``.

    Writes ``waves_changes``, ``waves_invariance``, ``waves_company``, ``waves_district``,
    ``waves_branch``, the same for the customer survey (``waves_customer_invariance``,
    ``waves_customer_company``, ``waves_customer_district``, ``waves_customer_branch``) and
    ``branch_trends`` (CSV + Parquet) with a ``results.json`` (the table index and the ``waves``
    provenance) into their own folder, replaced as a whole: a later ``hallperf analyze``, which
    replaces ``results/``, leaves them alone. The reports read both folders as one
    (:func:`analysis.result_files.result_index`).

    The respondents instrument of the study (``datasets.respondents``, the staff survey) is
    compared, and its ratings instrument (``datasets.ratings``, the customer survey) when the
    study has one and both waves hold it scored; its instrument changes are added to
    ``waves_changes`` (column ``instrument``). Each codebook for ``previous`` comes from
    ``previous_instruments_dir`` (default ``instruments_dir``); each must be the one its wave
    was ingested with (checked against the sha256 in the wave's manifest), so an edited
    questionnaire is never mistaken for the old one. Careless respondents are left out when the
    study excludes them.

    ``branch_trends`` holds, with ``source``: ``staff`` rows (the study's ``dimensions``),
    ``customer`` rows (the scales among ``datasets.ratings.mean``), both per branch with at
    least k respondents in both waves; and ``kpi`` rows, the change of each KPI of the two
    waves' ``branch_kpis`` result tables (:func:`analysis.waves.kpi_trends`; both waves must
    have been analyzed, else no KPI rows and ``waves.kpi.skipped`` in ``results.json`` says
    why). Wave totals (:func:`analysis.waves.period_dependent_kpis`) are not comparable when
    the waves' periods differ in length.

    Returns the compare folder's ``results.json`` content.

    Parameters
    ----------
    current, previous : the wave labels (both ingested and scored; analyzed for the KPI trends).
    processed_root : the folder of ingested waves.
    out_root : the output folder (the tables go to ``out_root/<current>/compare/``).
    instruments_dir : the codebooks of ``current``.
    study_path : the study file.
    k : minimum reporting size (default: the study's).
    previous_instruments_dir : the codebooks of ``previous``, when they changed.
    alpha : level of the Holm-adjusted tests.

    Examples
    --------
    After ``hallperf analyze`` of both waves (``tests/test_waves.py`` runs the whole chain):

    >>> from pathlib import Path
    >>> info = run_compare_waves("w2", "w1", processed_root=Path("data/processed"), out_root=Path("output"),
    ...                          instruments_dir=Path("surveys"), study_path=Path("surveys/study.yml"))  # doctest: +SKIP
    >>> sorted(t for t in info["tables"] if t.startswith("waves_"))[:3]  # doctest: +SKIP
    ['waves_branch', 'waves_changes', 'waves_company']
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
    loaded = {w: load_processed(Path(processed_root) / w) for w in (previous, current)}
    manifests = {w: loaded[w][0] for w in loaded}
    prev_data, prev_excluded = _wave_frames(previous, loaded[previous], old, study, processed_root)
    cur_data, cur_excluded = _wave_frames(current, loaded[current], new, study, processed_root)
    _check_codebook(previous, manifests[previous], old, "--previous-instruments")
    _check_codebook(current, manifests[current], new, "--instruments")

    staff, staff_trends = _compare_survey(old, new, previous, current, prev_data, cur_data, k=k, alpha=alpha,
                                          dimensions=list(study.dimensions), missing=study.cfa_missing)
    tables = {f"waves_{name}": table for name, table in staff.items()}

    customer_info: dict = {}
    customer_trends = None
    ratings = study.datasets.ratings
    if ratings is None:
        customer_info["skipped"] = f"{study_path}: the study has no datasets.ratings instrument"
    elif ratings.instrument not in new_all or ratings.instrument not in old_all:
        raise InputFileError(f"{study_path}: ratings instrument '{ratings.instrument}' not found among the codebooks")
    elif not all(ratings.instrument in loaded[w][1] and ratings.instrument in loaded[w][2] for w in loaded):
        missing = [w for w in (previous, current) if not (ratings.instrument in loaded[w][1] and ratings.instrument in loaded[w][2])]
        customer_info["skipped"] = f"no scored '{ratings.instrument}' dataset in wave(s) {', '.join(missing)}"
    else:
        c_new, c_old = new_all[ratings.instrument], old_all[ratings.instrument]
        c_prev, c_prev_excluded = _wave_frames(previous, loaded[previous], c_old, study, processed_root)
        c_cur, c_cur_excluded = _wave_frames(current, loaded[current], c_new, study, processed_root)
        _check_codebook(previous, manifests[previous], c_old, "--previous-instruments")
        _check_codebook(current, manifests[current], c_new, "--instruments")
        customer, customer_trends = _compare_survey(c_old, c_new, previous, current, c_prev, c_cur, k=k, alpha=alpha,
                                                    dimensions=[m for m in ratings.mean if m in c_new.scales],
                                                    missing=study.cfa_missing)
        tables["waves_changes"] = pd.concat([t for t in (tables["waves_changes"], customer.pop("changes")) if not t.empty]
                                            or [tables["waves_changes"]], ignore_index=True)
        tables.update({f"waves_customer_{name}": table for name, table in customer.items()})
        customer_info = {"instrument": ratings.instrument,
                         "instruments": {previous: _instrument_entry(c_old), current: _instrument_entry(c_new)},
                         "excluded": {previous: c_prev_excluded, current: c_cur_excluded}}

    kpi_table, kpi_info = _kpi_trends(study, previous, current, out_root, manifests)
    gid = new.group.column if new.group else None
    if gid:
        trends = combine_branch_trends(staff=staff_trends, customer=customer_trends, kpi=kpi_table)
        tables["branch_trends"] = trends.rename(columns={"branch_id": gid}) if gid != "branch_id" else trends

    final = compare_dir(Path(out_root) / current / "results")
    remove_stale_temporaries(final)
    index = {}
    info = {"stage": "compare", "wave": current, "tables": index}
    with atomic_dir(final) as folder:  # its own folder: `hallperf analyze` replaces results/ as a whole
        for name, table in tables.items():
            table = table.reset_index(drop=True)
            write_people_csv(table, folder / f"{name}.csv", encoding="utf-8")
            table.to_parquet(folder / f"{name}.parquet", index=False)
            index[name] = {"rows": len(table), "columns": [str(c) for c in table.columns]}
        info["waves"] = {
            "current": current, "previous": previous, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "study": {"path": str(study_path), "sha256": sha256(Path(study_path))},
            "processed_manifest_sha256": {w: sha256(Path(processed_root) / w / "manifest.json") for w in (previous, current)},
            "scores_sha256": {w: sha256(Path(processed_root) / w / "scores.json") for w in (previous, current)},
            "instruments": {previous: _instrument_entry(old), current: _instrument_entry(new)},
            "parameters": {"min_group_size": k, "alpha": alpha, "ci": 0.95, "test": "welch", "adjustment": "holm",
                           "exclude_careless": study.datasets.exclude_careless, "invariance": "chen2007"},
            "excluded": {previous: prev_excluded, current: cur_excluded},
            "customer": customer_info,
            "kpi": kpi_info,
            "items_left_out": sorted(set(tables["waves_changes"]["item"])),
            "tables": list(tables),
            "packages": package_versions(),
        }
        write_json(folder / "results.json", info)
    return info

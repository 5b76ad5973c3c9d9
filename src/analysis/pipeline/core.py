"""Stage orchestration: the one place (with ``cli``) that reads and writes files.

Each stage reads only what the stage before it wrote and writes atomically: into a temporary
folder or file that is renamed into place, so a failed run never leaves half-written output.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Iterator

import pandas as pd

from analysis import __version__
from analysis.errors import InputFileError
from analysis.ingest import ingest_table
from analysis.instrument import Instrument, load_instruments
from analysis.io import read_table
from analysis.io.spss import check_value_labels
from analysis.privacy import load_secret
from analysis.scoring import score_table
from analysis.simulate import load_model, simulate_wave, write_wave
from analysis.wave import load_wave

PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "pingouin", "semopy", "factor_analyzer", "matplotlib", "seaborn", "papermill")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    out = {"hallperf": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def instrument_provenance(instruments: dict[str, Instrument]) -> dict[str, dict]:
    return {i.id: {"version": i.version, "sha256": sha256(i.path) if i.path else None} for i in instruments.values()}


@contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces ``final`` in one rename."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; outputs are meant to be shared
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = final.parent / f".{final.name}.old"
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def write_atomic(path: Path, write) -> None:
    """Call ``write(tmp_path)`` and rename the result onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    write_atomic(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


# --- simulate ------------------------------------------------------------------------------

def run_simulate(
    wave: str, *, branches: int, seed: int, out: Path, instruments_dir: Path, model_path: Path,
    start_month: str = "2026-07", shifts: dict[str, float] | None = None, excel_customers: bool = False,
    staff: int | None = None, customers: int | None = None,
) -> Path:
    instruments = load_instruments(instruments_dir)
    model = load_model(model_path)
    sim = simulate_wave(instruments, model, wave=wave, branches=branches, seed=seed, start_month=start_month,
                        shifts=shifts, staff=staff, customers=customers)
    with atomic_dir(out) as tmp:
        write_wave(sim, instruments, model["instruments"], tmp, excel_customers=excel_customers)
    return out


# --- ingest --------------------------------------------------------------------------------

def _ingest_order(instruments: dict[str, Instrument], ids: list[str]) -> list[str]:
    """Referenced tables (e.g. branches) before the tables that refer to them."""
    order: list[str] = []

    def visit(i: str, trail: tuple[str, ...] = ()) -> None:
        if i in order or i in trail:
            return
        ref = instruments[i].group.references if instruments[i].group else None
        if ref in ids:
            visit(ref, trail + (i,))
        order.append(i)

    for i in ids:
        visit(i)
    return order


def run_ingest(
    wave_dir: Path, *, processed_root: Path, instruments_dir: Path, secret_file: Path | None = None, data_format: str | None = None,
) -> dict:
    """Ingest every file of a wave into ``processed_root/<wave>/``; return the manifest.

    ``data_format`` names the reader for every file (else wave.yml's ``format``, else detection).
    """
    instruments = load_instruments(instruments_dir)
    spec = load_wave(wave_dir, list(instruments))
    secret = load_secret(secret_file)
    accepted: dict[str, list[pd.DataFrame]] = {}
    quarantine: list[pd.DataFrame] = []
    inputs: list[dict] = []
    for inst_id in _ingest_order(instruments, spec.instruments()):
        inst = instruments[inst_id]
        seen: set[tuple] = set()
        ref = inst.group.references if inst.group else None
        known = None
        if ref and ref in accepted:
            ref_inst = instruments[ref]
            known = set(pd.concat(accepted[ref])[ref_inst.respondent.column].dropna())
        for file in (f for f in spec.files if f.instrument == inst_id):
            label = file.path.name
            digest_before = sha256(file.path) if file.path.exists() else None
            raw = read_table(file.path, data_format or file.format)
            label_problems = None
            if "value_labels" in raw.notes:  # SPSS files: their value labels must match the codebook's
                label_problems = check_value_labels(raw.notes.pop("value_labels"), inst)
            result = ingest_table(raw, inst, file_label=label, secret=secret, months=spec.months, known_groups=known, seen_keys=seen)
            if sha256(file.path) != digest_before:  # raw data are immutable: never tolerate a change
                raise InputFileError(f"{label}: file changed while it was being read; ingest again")
            accepted.setdefault(inst_id, []).append(result.accepted)
            quarantine.append(result.quarantine)
            inputs.append({
                "file": label, "instrument": inst_id, "instrument_version": inst.version, "sha256": digest_before,
                "format": raw.format, "encoding": raw.encoding, "rows_read": result.rows_read,
                "rows_accepted": len(result.accepted), "rows_quarantined": result.rows_quarantined,
                "quarantined_by_reason": result.reasons, "unmatched_columns": result.unmatched,
                "unused_columns": result.unused_columns, **result.notes,
            })
            if label_problems is not None:
                inputs[-1]["value_label_mismatches"] = label_problems
    totals = {k: sum(i[k] for i in inputs) for k in ("rows_read", "rows_accepted", "rows_quarantined")}
    manifest = {
        "wave": spec.name, "months": list(spec.months), "stage": "ingest",
        "instruments": instrument_provenance({k: instruments[k] for k in spec.instruments()}),
        "inputs": inputs, "totals": totals, "datasets": {}, "packages": package_versions(),
    }
    with atomic_dir(processed_root / spec.name) as tmp:
        for inst_id, parts in accepted.items():
            frame = pd.concat(parts, ignore_index=True)
            frame.to_parquet(tmp / f"{inst_id}.parquet", index=False)
            manifest["datasets"][inst_id] = {"file": f"{inst_id}.parquet", "rows": len(frame)}
        q = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame()
        q.to_csv(tmp / "quarantine.csv", index=False, encoding="utf-8-sig")
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


# --- score ---------------------------------------------------------------------------------

def run_score(processed_dir: Path, *, instruments_dir: Path) -> dict:
    """Score every survey dataset of a processed wave: ``<id>_scores.parquet`` + ``scores.json``."""
    manifest_path = processed_dir / "manifest.json"
    if not manifest_path.exists():
        raise InputFileError(f"{processed_dir}: no manifest.json; run 'hallperf ingest' first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    instruments = load_instruments(instruments_dir)
    written = {}
    for inst_id, info in manifest["datasets"].items():
        inst = instruments.get(inst_id)
        if inst is None or inst.kind != "survey":
            continue
        data_path = processed_dir / info["file"]
        scores = score_table(pd.read_parquet(data_path), inst)
        target = processed_dir / f"{inst_id}_scores.parquet"
        write_atomic(target, lambda tmp, s=scores: s.to_parquet(tmp, index=False))
        written[inst_id] = {
            "file": target.name, "rows": len(scores), "input_sha256": sha256(data_path),
            "careless": int(scores["careless"].sum()), "instrument_version": inst.version,
        }
    info = {"wave": manifest["wave"], "stage": "score", "datasets": written, "packages": package_versions()}
    write_json(processed_dir / "scores.json", info)
    return info


# --- analyze -------------------------------------------------------------------------------

def write_results(out: Path, tables: dict[str, pd.DataFrame], provenance: dict) -> dict:
    """Write every table as CSV and Parquet into ``out`` (atomically, as one folder) plus results.json."""
    index = {}
    with atomic_dir(out) as tmp:
        for name, table in tables.items():
            table = table.reset_index(drop=True)
            table.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8")
            table.to_parquet(tmp / f"{name}.parquet", index=False)
            index[name] = {"rows": len(table), "columns": [str(c) for c in table.columns]}
        info = {**provenance, "tables": index, "packages": package_versions()}
        (tmp / "results.json").write_text(json.dumps(info, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return info


def run_analyze_instrument(
    instrument_path: Path, data_path: Path, *, out: Path, group: str | None = None, data_format: str | None = None,
    min_group_size: int = 5, n_boot: int = 0, seed: int = 0, secret_file: Path | None = None, cfa_missing: str = "listwise",
) -> dict:
    """Psychometrics of any instrument on any data file that follows it."""
    from analysis.analyze import instrument_psychometrics
    from analysis.instrument import load_instrument
    from analysis.privacy import check_min_group_size

    inst = load_instrument(instrument_path)
    raw = read_table(data_path, data_format)
    result = ingest_table(raw, inst, file_label=data_path.name, secret=load_secret(secret_file))
    group = group or (inst.group.column if inst.group else None)
    if group and group not in result.accepted:
        raise InputFileError(f"{data_path.name}: group column '{group}' not found; name one with --group")
    tables = instrument_psychometrics(result.accepted, inst, group=group, k=check_min_group_size(min_group_size),
                                      n_boot=n_boot, seed=seed, cfa_missing=cfa_missing)
    tables["quarantine"] = result.quarantine
    provenance = {
        "stage": "analyze", "instrument": {"id": inst.id, "version": inst.version, "sha256": sha256(instrument_path)},
        "inputs": [{"file": data_path.name, "sha256": sha256(data_path), "rows_read": result.rows_read,
                    "rows_accepted": len(result.accepted), "rows_quarantined": result.rows_quarantined}],
        "parameters": {"group": group, "min_group_size": min_group_size, "n_boot": n_boot, "seed": seed,
                       "cfa_missing": cfa_missing},
    }
    return write_results(out, tables, provenance)


def load_processed(processed_dir: Path) -> tuple[dict, dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The manifest, the accepted tables and the scored tables of a processed wave."""
    manifest_path = processed_dir / "manifest.json"
    scores_path = processed_dir / "scores.json"
    if not manifest_path.exists() or not scores_path.exists():
        raise InputFileError(f"{processed_dir}: not ingested and scored; run 'hallperf ingest' and 'hallperf score' first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    scores_info = json.loads(scores_path.read_text(encoding="utf-8"))
    tables = {k: pd.read_parquet(processed_dir / v["file"]) for k, v in manifest["datasets"].items()}
    scores = {k: pd.read_parquet(processed_dir / v["file"]) for k, v in scores_info["datasets"].items()}
    return manifest, tables, scores


def run_analyze_study(study_path: Path, wave: str, *, processed_root: Path, out_root: Path, instruments_dir: Path) -> dict:
    """Every table of a study on a processed wave → ``out_root/<wave>/results/``."""
    import yaml

    from analysis.analyze import analyze_study, diagnose_branches
    from analysis.study import load_study

    study = load_study(study_path)
    instruments = load_instruments(instruments_dir)
    processed = processed_root / wave
    manifest, tables, scores = load_processed(processed)
    library = yaml.safe_load(study.actions.read_text(encoding="utf-8")) if study.actions else {"dimensions": {}}
    resp = instruments[study.datasets.respondents]
    results, data = analyze_study(
        study, instruments, tables, scores,
        diagnose=lambda s, d, r: diagnose_branches(s, d, r, resp, library, instruments.get(study.datasets.groups or "")),
    )
    from analysis.pipeline.appraisal import appraisal_results  # the study's appraisal scheme, if it names one

    results.update(appraisal_results(study, instruments, tables, scores, data, manifest, processed_root=processed_root,
                                     out_root=out_root))
    results["quarantine_summary"] = pd.DataFrame([
        {"file": e["file"], "instrument": e["instrument"], "reason": reason, "rows": count}
        for e in manifest["inputs"] for reason, count in e["quarantined_by_reason"].items()
    ], columns=["file", "instrument", "reason", "rows"])
    results["sample"] = pd.DataFrame([
        {"file": e["file"], "instrument": e["instrument"], "rows_read": e["rows_read"],
         "rows_accepted": e["rows_accepted"], "rows_quarantined": e["rows_quarantined"]}
        for e in manifest["inputs"]
    ])
    provenance = {
        "stage": "analyze", "wave": wave, "study": {"path": str(study_path), "sha256": sha256(study_path)},
        "processed_manifest_sha256": sha256(processed / "manifest.json"),
        "inputs": [{"file": e["file"], "sha256": e["sha256"]} for e in manifest["inputs"]],
        "instruments": instrument_provenance(instruments),
        "parameters": {"min_group_size": study.min_group_size, "seed": study.seed, "n_boot": study.n_boot,
                       "cfa_missing": study.cfa_missing},
        "excluded": data.excluded,
    }
    info = write_results(out_root / wave / "results", results, provenance)
    # Analysis-ready data (one row per staff member / branch; pseudonymised ids) for SPSS, Stata, R.
    with atomic_dir(out_root / wave / "data") as tmp:
        data.staff.to_parquet(tmp / "analysis_staff.parquet", index=False)
        data.branches.to_parquet(tmp / "analysis_branches.parquet", index=False)
    return info


def run_export(wave: str, *, out_root: Path, instruments_dir: Path, study_path: Path, targets: tuple[str, ...] = ("sav", "dta"),
               lang: str = "zh") -> list[Path]:
    """Analysis-ready data of a wave as SPSS .sav / Stata .dta with variable and value labels."""
    from analysis.exports import write_dta, write_sav
    from analysis.study import load_study

    study = load_study(study_path)
    instruments = load_instruments(instruments_dir)
    folder = out_root / wave / "data"
    if not (folder / "analysis_staff.parquet").exists():
        raise InputFileError(f"{folder}: no analysis data; run 'hallperf analyze --study ... --wave {wave}' first")
    writers = {"sav": write_sav, "dta": write_dta}
    unknown = [t for t in targets if t not in writers]
    if unknown:
        raise InputFileError(f"--to {','.join(unknown)}: unknown format (use sav, dta)")
    # Columns that come from other instruments (KPI sums, customer aggregates) keep those labels.
    extra: dict[str, str] = {}
    if study.datasets.records:
        for code, f in instruments[study.datasets.records.instrument].fields.items():
            extra[code] = f.label.get(lang)
    if study.datasets.ratings:
        rating = instruments[study.datasets.ratings.instrument]
        for code, scale in rating.scales.items():
            extra[f"{rating.id}_{code}"] = f"{rating.title.get(lang)}: {scale.label.get(lang)}"
        for code, f in rating.fields.items():
            extra[f"{rating.id}_{code}"] = f"{rating.title.get(lang)}: {f.label.get(lang)}"
    for code, scale in instruments[study.datasets.respondents].scales.items():
        extra.setdefault(code, scale.label.get(lang))
    for kpi in study.kpis:
        extra.setdefault(kpi.column, kpi.label.get(lang))
    written = []
    pairs = (("staff", instruments[study.datasets.respondents]),
             ("branches", instruments[study.datasets.groups] if study.datasets.groups else None))
    for name, inst in pairs:
        frame = pd.read_parquet(folder / f"analysis_{name}.parquet")
        for target in targets:
            path = folder / f"analysis_{name}.{target}"
            labels = {c: v for c, v in extra.items() if c in frame}
            write_atomic(path, lambda tmp, f=frame, i=inst, t=target, lb=labels: writers[t](f, tmp, i, lang=lang, labels=lb))
            written.append(path)
    return written

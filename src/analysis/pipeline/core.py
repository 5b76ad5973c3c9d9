"""Stage orchestration: the one place (with ``cli``) that reads and writes files.

Each stage reads only what the stage before it wrote and writes atomically: into a temporary
folder or file that is renamed into place, so a failed run never leaves half-written output.
An OS error while writing (disk full, no permission) becomes one :class:`OutputWriteError`
naming the path; the CLI prints it and exits 2.
"""

from __future__ import annotations

import json
import secrets
from importlib import metadata
from pathlib import Path

import pandas as pd

from analysis import __version__
from analysis.datasets import DatasetSpec
from analysis.errors import InputFileError, StudyError
from analysis.ingest import IngestResult, ingest_table, map_columns
from analysis.instrument import Instrument, load_instruments
from analysis.io import read_table
from analysis.atomic import atomic_dir, atomic_write, atomic_write_with
from analysis.pipeline.outputs import sha256, write_into, write_json, write_people_csv
from analysis.pipeline.simulated import run_simulate  # noqa: F401  (re-exported for analysis.pipeline)
from analysis.privacy import key_id, load_secret, read_secret, secret_path
from analysis.scoring import score_table
from analysis.wave import load_wave

PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "pingouin", "semopy", "factor_analyzer", "matplotlib", "seaborn", "papermill")


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


QUARANTINE_COLUMNS = ["file", "row", "column", "reason", "value", "message"]


def project_secret(secret_file: Path | None, instruments_dir: Path) -> bytes:
    """The pseudonymisation key for ingest (:mod:`analysis.privacy`), created on first use.

    Without ``--secret`` or ``HALLPERF_SECRET``, the project root is looked for above the working
    directory, then above the instruments folder (``--instruments /project/surveys`` from elsewhere).
    """
    return load_secret(secret_path(secret_file) or secret_path(start=instruments_dir))


def _input_digest(path: Path) -> str:
    try:
        return sha256(path)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def run_ingest(
    wave_dir: Path, *, processed_root: Path, instruments_dir: Path, secret_file: Path | None = None, data_format: str | None = None,
) -> dict:
    """Ingest every file of a wave into ``processed_root/<wave>/``; return the manifest.

    ``data_format`` names the reader for every file (else wave.yml's ``format``, else detection).
    The manifest records, per file, ``rows_read = rows_accepted + rows_quarantined``; value labels
    recoded (``value_labels_recoded``) and the key's fingerprint (``secret_key_id``, never the key).
    """
    instruments = load_instruments(instruments_dir)
    spec = load_wave(wave_dir, list(instruments))
    secret = project_secret(secret_file, instruments_dir)
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
            digest_before = _input_digest(file.path) if file.path.is_file() else None
            raw = read_table(file.path, data_format or file.format)
            result = ingest_table(raw, inst, file_label=label, secret=secret, months=spec.months, known_groups=known, seen_keys=seen)
            if _input_digest(file.path) != digest_before:  # raw data are immutable: never tolerate a change
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
    totals = {k: sum(i[k] for i in inputs) for k in ("rows_read", "rows_accepted", "rows_quarantined")}
    manifest = {
        "wave": spec.name, "months": list(spec.months), "stage": "ingest",
        "instruments": instrument_provenance({k: instruments[k] for k in spec.instruments()}),
        "inputs": inputs, "totals": totals, "datasets": {}, "secret_key_id": key_id(secret),
        "packages": package_versions(),
    }
    final = processed_root / spec.name
    with atomic_dir(final) as tmp:
        for inst_id, parts in accepted.items():
            frame = pd.concat(parts, ignore_index=True)
            write_into(tmp, final, f"{inst_id}.parquet", lambda path, f=frame: f.to_parquet(path, index=False))
            manifest["datasets"][inst_id] = {"file": f"{inst_id}.parquet", "rows": len(frame)}
        q = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame(columns=QUARANTINE_COLUMNS)
        write_into(tmp, final, "quarantine.csv", lambda path: write_people_csv(q, path, encoding="utf-8-sig"))
        text = json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n"
        write_into(tmp, final, "manifest.json", lambda path: path.write_text(text, encoding="utf-8"))
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
        atomic_write_with(target, lambda tmp, s=scores: s.to_parquet(tmp, index=False))
        written[inst_id] = {
            "file": target.name, "rows": len(scores), "input_sha256": sha256(data_path),
            "careless": int(scores["careless"].sum()), "instrument_version": inst.version,
        }
    info = {"wave": manifest["wave"], "stage": "score", "datasets": written, "packages": package_versions()}
    write_json(processed_dir / "scores.json", info)
    return info


# --- analyze -------------------------------------------------------------------------------

def write_results(out: Path, tables: dict[str, pd.DataFrame], provenance: dict) -> dict:
    """Write every table as CSV and Parquet into ``out`` (atomically, as one folder) plus results.json.

    The CSV copies are for people (spreadsheets): formula-like text is neutralised
    (:func:`analysis.safe_export.neutralise_cells`); the Parquet copies keep the exact values.
    """
    index = {}
    with atomic_dir(out) as tmp:
        for name, table in tables.items():
            table = table.reset_index(drop=True)
            write_into(tmp, out, f"{name}.csv", lambda path, t=table: write_people_csv(t, path, encoding="utf-8"))
            write_into(tmp, out, f"{name}.parquet", lambda path, t=table: t.to_parquet(path, index=False))
            index[name] = {"rows": len(table), "columns": [str(c) for c in table.columns]}
        info = {**provenance, "tables": index, "packages": package_versions()}
        text = json.dumps(info, ensure_ascii=False, indent=2, default=str) + "\n"
        write_into(tmp, out, "results.json", lambda path: path.write_text(text, encoding="utf-8"))
    return info


def analysis_secret(secret_file: Path | None) -> bytes:
    """The key for ``analyze --instrument``: the project's when there is one, else a key for this run only.

    Its result tables hold no respondent ids (only aggregates and a quarantine whose ids are
    hidden), so pseudonyms never leave the run and no key file needs to exist; none is created
    unless ``secret_file`` names one.
    """
    if secret_file is not None:
        return load_secret(secret_file)
    where = secret_path()
    if where is not None and where.exists():
        return read_secret(where)
    return secrets.token_bytes(32)


def _reason_counts(reasons: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))


def read_survey(instrument_path: Path, data_path: Path, *, group: str | None = None, data_format: str | None = None,
                secret_file: Path | None = None) -> tuple[Instrument, IngestResult]:
    """A codebook and a data file that follows it, read and validated as ``hallperf ingest`` does.

    ``group`` names the group column (``--group``): a column of the codebook (by its code or an
    alias), or a column of the export the codebook does not declare, which is then read as the
    instrument's group column. A row whose group is empty is kept (aggregation leaves it out). Returns the :class:`~analysis.instrument.Instrument` (with that
    group column) and the ingest result (``accepted`` rows, ``quarantine`` with reasons,
    ``rows_read``). A file without the respondent column gets one from the row numbers
    (``result.notes["respondents_numbered_by_row"]``). Ids are pseudonymised under the project key when there is one, else under a
    key for this call only (:func:`analysis_secret`).
    """
    from dataclasses import replace

    from analysis.instrument import KeyColumn, load_instrument

    inst = load_instrument(instrument_path)
    if group and not any(group in names for names in inst.aliases().values()):
        inst = replace(inst, group=KeyColumn(column=group))
    if inst.group:  # a respondent without a group still counts for reliability and the CFA, only not for ICC/rwg
        inst = replace(inst, group=replace(inst.group, required=False))
    raw = read_table(data_path, data_format)
    mapping, _, _ = map_columns(list(raw.frame.columns), inst, source=Path(data_path).name)
    numbered = inst.respondent.column not in mapping.values()
    if numbered:  # a data set without ids (lavaan's PoliticalDemocracy): respondents are numbered by their row
        raw.frame = raw.frame.assign(**{inst.respondent.column: pd.array(raw.source_rows.astype(str), dtype="string")})
    result = ingest_table(raw, inst, file_label=Path(data_path).name, secret=analysis_secret(secret_file))
    if numbered:
        result.notes["respondents_numbered_by_row"] = inst.respondent.column
    return inst, result


def run_analyze_instrument(
    instrument_path: Path, data_path: Path, *, out: Path, group: str | None = None, data_format: str | None = None,
    min_group_size: int = 5, n_boot: int = 0, seed: int = 0, secret_file: Path | None = None, cfa_missing: str = "fiml",
    cor_missing: str = "pairwise", lang: str = "zh",
) -> dict:
    """Psychometrics of any instrument on any data file that follows it.

    The data file is ingested as by ``hallperf ingest`` (same readers, validation, quarantine);
    ``results.json`` records the row accounting and reasons. Besides the tables, ``out/report.html``
    shows them as the research report's psychometrics sections do (in ``lang``). When no row is
    left to analyse, or the rows left allow no statistic (no answers), the quarantine and the
    problems are still written to ``out`` and :class:`InputFileError` says why.
    """
    from analysis.analyze import instrument_psychometrics
    from analysis.privacy import check_min_group_size

    k = check_min_group_size(min_group_size)
    inst, result = read_survey(instrument_path, data_path, group=group, data_format=data_format, secret_file=secret_file)
    if group:  # the canonical column of the name given (a code, an alias or a column the codebook lacks)
        group = next(code for code, names in inst.aliases().items() if group in names)
    group = group or (inst.group.column if inst.group else None)
    if group and group not in result.accepted:
        raise InputFileError(f"{data_path.name}: group column '{group}' not found; name one with --group")
    provenance = {
        "stage": "analyze", "instrument": {"id": inst.id, "version": inst.version, "sha256": sha256(instrument_path)},
        "inputs": [{"file": data_path.name, "sha256": sha256(data_path), "rows_read": result.rows_read,
                    "rows_accepted": len(result.accepted), "rows_quarantined": result.rows_quarantined,
                    "quarantined_by_reason": result.reasons, "unmatched_columns": result.unmatched,
                    "respondents_numbered_by_row": result.notes.get("respondents_numbered_by_row")}],
        "parameters": {"group": group, "min_group_size": min_group_size, "n_boot": n_boot, "seed": seed,
                       "cfa_missing": cfa_missing, "cor_missing": cor_missing},
    }
    if result.accepted.empty:
        if not result.rows_read:
            raise InputFileError(f"{data_path.name}: nothing to analyse: the file has a header but no data rows")
        write_results(out, {"quarantine": result.quarantine}, {**provenance, "status": "nothing to analyse"})
        raise InputFileError(f"{data_path.name}: nothing left to analyse: all {result.rows_read} rows quarantined "
                             f"({_reason_counts(result.reasons)}); see {out / 'quarantine.csv'}")
    tables = instrument_psychometrics(result.accepted, inst, group=group, k=k, n_boot=n_boot, seed=seed,
                                      cfa_missing=cfa_missing, cor_missing=cor_missing)
    tables["quarantine"] = result.quarantine
    if all(t.empty for name, t in tables.items() if name not in ("problems", "reviewer", "quarantine")):
        write_results(out, tables, {**provenance, "status": "nothing to analyse"})
        problems = tables.get("problems")
        why = "; ".join(f"{p.scale}: {p.message}" for p in problems.head(2).itertuples()) if problems is not None else ""
        raise InputFileError(f"{data_path.name}: nothing to analyse: no statistic could be computed from the "
                             f"{len(result.accepted)} accepted rows ({why}); see {out / 'problems.csv'}")
    info = write_results(out, tables, provenance)
    from analysis.report.instrument import instrument_report_html

    atomic_write(out / "report.html", instrument_report_html(tables, inst, info, lang=lang))
    return info


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


def check_analysable(datasets: DatasetSpec, instruments: dict[str, Instrument], manifest: dict,
                     tables: dict[str, pd.DataFrame], processed: Path) -> None:
    """Stop with one line, before any model runs, when a study's datasets leave nothing to analyse.

    The respondents' survey (and the records and ratings it is joined with) must have accepted
    rows, and the records (KPIs) must share at least one respondent id with the survey: models of
    KPI outcomes have no complete row otherwise.
    """
    def files(inst_id: str) -> str:
        entries = [e for e in manifest["inputs"] if e["instrument"] == inst_id]
        if not entries:
            return f"no file of instrument '{inst_id}' in the wave"
        return "; ".join(f"{e['file']}: {e['rows_read']} rows read, {e['rows_quarantined']} quarantined"
                         + (f" ({_reason_counts(e['quarantined_by_reason'])})" if e["quarantined_by_reason"] else "")
                         for e in entries)

    needed = [datasets.respondents] + [d.instrument for d in (datasets.records, datasets.ratings) if d is not None]
    for inst_id in needed:
        if inst_id not in tables or tables[inst_id].empty:
            raise InputFileError(f"nothing to analyse: no accepted rows of '{inst_id}' ({files(inst_id)}); "
                                 f"see {processed / 'quarantine.csv'}")
    if datasets.records is not None:
        rid = instruments[datasets.respondents].respondent.column
        records, respondents = tables[datasets.records.instrument], tables[datasets.respondents]
        if rid in records and rid in respondents and not records[rid].isin(set(respondents[rid].dropna())).any():
            raise InputFileError(
                f"no link between '{datasets.records.instrument}' and '{datasets.respondents}': none of the "
                f"{records[rid].nunique()} {rid} values of the records matches one of the {len(respondents)} "
                f"respondents (ids written differently in the two exports?); nothing to analyse")


def run_analyze_study(study_path: Path, wave: str, *, processed_root: Path, out_root: Path, instruments_dir: Path) -> dict:
    """Every table of a study on a processed wave → ``out_root/<wave>/results/``."""
    import yaml

    from analysis.analyze import analyze_study
    from analysis.datasets import shareable_branches
    from analysis.improvement.diagnose import diagnose_branches
    from analysis.study import load_study

    study = load_study(study_path)
    instruments = load_instruments(instruments_dir)
    processed = processed_root / wave
    manifest, tables, scores = load_processed(processed)
    check_analysable(study.datasets, instruments, manifest, tables, processed)
    library = yaml.safe_load(study.actions.read_text(encoding="utf-8")) if study.actions else {"dimensions": {}}
    lexicon = None
    if study.comments_lexicon:
        if not study.comments_lexicon.is_file():
            raise StudyError(f"{study_path}: comments.lexicon: {study.comments_lexicon} not found")
        lexicon = yaml.safe_load(study.comments_lexicon.read_text(encoding="utf-8"))
    resp = instruments[study.datasets.respondents]
    results, data = analyze_study(
        study, instruments, tables, scores,
        diagnose=lambda s, d, r: diagnose_branches(s, d, r, resp, library, instruments.get(study.datasets.groups or ""),
                                                   instruments=instruments, lexicon=lexicon,
                                                   comment_threshold=study.comment_threshold),
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
                       "cfa_missing": study.cfa_missing, "cor_missing": study.cor_missing,
                       "comment_threshold": study.comment_threshold},
        "excluded": data.excluded,
        "notes": list(data.notes),  # analyses skipped for want of data or of study keys, and why
    }
    info = write_results(out_root / wave / "results", results, provenance)
    # Analysis-ready data (one row per staff member / branch; pseudonymised ids) for SPSS, Stata, R.
    folder = out_root / wave / "data"
    shareable = shareable_branches(data.branches, study.datasets, instruments, study.min_group_size)
    with atomic_dir(folder) as tmp:
        write_into(tmp, folder, "analysis_staff.parquet", lambda path: data.staff.to_parquet(path, index=False))
        write_into(tmp, folder, "analysis_branches.parquet", lambda path: shareable.to_parquet(path, index=False))
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
            atomic_write_with(path, lambda tmp, f=frame, i=inst, t=target, lb=labels: writers[t](f, tmp, i, lang=lang, labels=lb))
            written.append(path)
    return written

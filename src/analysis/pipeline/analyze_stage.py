"""The analyze stage: a study on a processed wave, or the psychometrics of any codebook and data file."""

from __future__ import annotations

import secrets
from pathlib import Path

import pandas as pd

from analysis.atomic import atomic_dir, atomic_write, remove_stale_temporaries
from analysis.datasets import DatasetSpec
from analysis.errors import InputFileError, StudyError
from analysis.ingest import IngestResult, ingest_table
from analysis.instrument import Instrument, load_instruments
from analysis.io import read_table
from analysis.io.headers import map_columns
from analysis.pipeline.core import instrument_provenance, lang_option, load_processed, write_results
from analysis.pipeline.outputs import sha256, write_into
from analysis.privacy import load_secret, read_secret, secret_path


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

    Parameters
    ----------
    instrument_path : the codebook.
    data_path : the export that follows it.
    group : the group column (``--group``).
    data_format : the reader (default: detected).
    secret_file : the pseudonymisation key.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np, pandas as pd
    >>> from analysis.instrument import load_instrument
    >>> codes = load_instrument("surveys/staff.yml").item_codes
    >>> answers = pd.DataFrame(np.random.default_rng(0).integers(1, 6, (6, len(codes))), columns=codes)
    >>> answers.loc[5, "TS1"] = 9  # not on the 1-5 scale
    >>> answers.insert(0, "branch_id", ["B1"] * 3 + ["B2"] * 3)
    >>> answers.insert(0, "staff_id", [f"A00{i}" for i in range(6)])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     answers.to_csv(pathlib.Path(folder, "staff.csv"), index=False)
    ...     instrument, result = read_survey(pathlib.Path("surveys/staff.yml"), pathlib.Path(folder, "staff.csv"),
    ...                                      secret_file=pathlib.Path(folder, "secret.key"))
    >>> len(result.accepted), result.rows_read, result.quarantine["reason"].tolist()
    (5, 6, ['out_of_range'])
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

    Parameters
    ----------
    instrument_path, data_path : the codebook and the export that follows it.
    out : the results folder.
    group, data_format, secret_file : as in :func:`read_survey`.
    min_group_size : minimum reporting size k.
    n_boot, seed : bootstrap resamples of the alpha CI and their seed.
    cfa_missing : ``"fiml"`` or ``"listwise"``.
    lang : language of ``report.html``.

    Examples
    --------
    A few seconds (``tests/test_analyze_instrument.py`` runs it on the Holzinger-Swineford tests):

    >>> from pathlib import Path
    >>> info = run_analyze_instrument(Path("surveys/hs1939.yml"), Path("hs.csv"), out=Path("output/hs"))  # doctest: +SKIP
    >>> info["tables"]["reliability"]["rows"]  # doctest: +SKIP
    3
    """
    from analysis.analyze import instrument_psychometrics
    from analysis.privacy import check_min_group_size

    k = check_min_group_size(min_group_size)
    lang_option(lang)
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
    """Every table of a study on a processed wave → ``out_root/<wave>/results/``.

    Parameters
    ----------
    study_path : the study file.
    wave : the wave label.
    processed_root, out_root, instruments_dir : ``data/processed``, ``output`` and ``surveys``.

    Examples
    --------
    About 15 s on the bundled sample wave (``tests/conftest.py`` runs it once per test session):

    >>> from pathlib import Path
    >>> info = run_analyze_study(Path("surveys/study.yml"), "sample", processed_root=Path("data/processed"),
    ...                          out_root=Path("output"), instruments_dir=Path("surveys"))  # doctest: +SKIP
    >>> "table1" in info["tables"]  # doctest: +SKIP
    True
    """
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
    for folder in (out_root / wave / "results", out_root / wave / "data"):
        remove_stale_temporaries(folder)
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
    from analysis.pipeline.appraisal import (
        appraisal_results,  # the study's appraisal scheme, if it names one
    )

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

"""Stage orchestration shared by the stages: provenance, result tables, processed waves, and the export stage.

Each stage reads only what the stage before it wrote and writes atomically: into a temporary
folder or file that is renamed into place, so a failed run never leaves half-written output.
An OS error while writing (disk full, no permission) becomes one :class:`OutputWriteError`
naming the path; the CLI prints it and exits 2. The ingest and score stages are in
:mod:`.prepare`, the analyze stage in :mod:`.analyze_stage`.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pandas as pd

from analysis import __version__
from analysis.atomic import atomic_dir, atomic_write_with, remove_stale_temporaries
from analysis.errors import InputFileError
from analysis.instrument import Instrument, load_instruments
from analysis.pipeline.outputs import sha256, write_into, write_people_csv
from analysis.report.texts import LANGS

PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "pingouin", "semopy", "factor_analyzer", "matplotlib", "seaborn", "papermill")


def lang_option(lang: str) -> str:
    """``lang`` if the reports are written in it, else :class:`InputFileError` naming ``--lang``'s choices.

    Parameters
    ----------
    lang : the value of ``--lang``.

    Examples
    --------
    >>> lang_option("en")
    'en'
    >>> lang_option("fr")
    Traceback (most recent call last):
    analysis.errors.InputFileError: --lang 'fr' is not supported; use one of zh, en
    """
    if lang not in LANGS:
        raise InputFileError(f"--lang {lang!r} is not supported; use one of {', '.join(LANGS)}")
    return lang


def package_versions() -> dict[str, str]:
    """Versions of hallperf and of the packages its results depend on, for provenance.

    Examples
    --------
    >>> versions = package_versions()
    >>> versions["hallperf"], "pandas" in versions
    ('0.1.0', True)
    """

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

def write_results(out: Path, tables: dict[str, pd.DataFrame], provenance: dict) -> dict:
    """Write every table as CSV and Parquet into ``out`` (atomically, as one folder) plus results.json.

    The CSV copies are for people (spreadsheets): formula-like text is neutralised
    (:func:`analysis.safe_export.neutralise_cells`); the Parquet copies keep the exact values.

    Parameters
    ----------
    out : the results folder (replaced as a whole).
    tables : table name -> DataFrame.
    provenance : what ``results.json`` records besides the table index and package versions.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     info = write_results(pathlib.Path(folder, "results"), {"t1": pd.DataFrame({"a": [1, 2]})}, {"wave": "w1"})
    ...     files = sorted(p.name for p in pathlib.Path(folder, "results").iterdir())
    >>> info["tables"], files
    ({'t1': {'rows': 2, 'columns': ['a']}}, ['results.json', 't1.csv', 't1.parquet'])
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




def load_processed(processed_dir: Path) -> tuple[dict, dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The manifest, the accepted tables and the scored tables of a processed wave.

    Parameters
    ----------
    processed_dir : the processed wave (``data/processed/<wave>``).

    Returns
    -------
    (manifest, accepted tables by instrument id, scored tables by instrument id).

    Examples
    --------
    After :func:`run_ingest` and :func:`run_score` (their examples build a wave):

    >>> from pathlib import Path
    >>> manifest, accepted, scored = load_processed(Path("data/processed/w1"))  # doctest: +SKIP
    >>> sorted(accepted), sorted(scored)  # doctest: +SKIP
    (['branches', 'staff'], ['staff'])
    """
    manifest_path = processed_dir / "manifest.json"
    scores_path = processed_dir / "scores.json"
    if not manifest_path.exists() or not scores_path.exists():
        raise InputFileError(f"{processed_dir}: not ingested and scored; run 'hallperf ingest' and 'hallperf score' first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    scores_info = json.loads(scores_path.read_text(encoding="utf-8"))
    tables = {k: pd.read_parquet(processed_dir / v["file"]) for k, v in manifest["datasets"].items()}
    scores = {k: pd.read_parquet(processed_dir / v["file"]) for k, v in scores_info["datasets"].items()}
    return manifest, tables, scores


def run_export(wave: str, *, out_root: Path, instruments_dir: Path, study_path: Path, targets: tuple[str, ...] = ("sav", "dta"),
               lang: str = "zh") -> list[Path]:
    """Analysis-ready data of a wave as SPSS .sav / Stata .dta with variable and value labels.

    Parameters
    ----------
    wave : the analysed wave.
    out_root, instruments_dir, study_path : ``output``, ``surveys`` and the study file.
    targets : ``"sav"`` and/or ``"dta"``.
    lang : language of the variable and value labels.

    Examples
    --------
    After :func:`run_analyze_study` of the wave:

    >>> from pathlib import Path
    >>> run_export("sample", out_root=Path("output"), instruments_dir=Path("surveys"),
    ...            study_path=Path("surveys/study.yml"), targets=("sav",))  # doctest: +SKIP
    [PosixPath('output/sample/data/analysis_staff.sav'), ...]
    """
    from analysis.exports import write_dta, write_sav
    from analysis.study import load_study

    study = load_study(study_path)
    instruments = load_instruments(instruments_dir)
    folder = out_root / wave / "data"
    if not (folder / "analysis_staff.parquet").exists():
        raise InputFileError(f"{folder}: no analysis data; run 'hallperf analyze --study ... --wave {wave}' first")
    remove_stale_temporaries(folder)
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

"""The ingest and score stages: raw exports → validated, pseudonymised tables → scale scores (``data/processed/<wave>/``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.atomic import atomic_dir, atomic_write_with, remove_stale_temporaries
from analysis.errors import InputFileError
from analysis.ingest import ingest_table
from analysis.instrument import Instrument, load_instruments
from analysis.io import read_table
from analysis.pipeline.core import instrument_provenance, package_versions
from analysis.pipeline.outputs import sha256, write_into, write_json, write_people_csv
from analysis.privacy import key_id, load_secret, secret_path
from analysis.scoring import score_table
from analysis.wave import load_wave


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

    Parameters
    ----------
    wave_dir : the raw wave folder (``wave.yml`` and the files it names).
    processed_root : where ``<wave>/`` is written (``data/processed``).
    instruments_dir : the codebooks (``surveys/``).
    secret_file : the pseudonymisation key (default: the project's, :func:`analysis.privacy.load_secret`).
    data_format : the reader for every file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np, pandas as pd
    >>> from analysis.instrument import load_instrument
    >>> def minimal_wave(raw):  # two branches and six staff; one answer is off the 1-5 scale
    ...     raw.mkdir(parents=True)
    ...     _ = (raw / "wave.yml").write_text("wave: w1\\nperiod: {start: 2026-07, end: 2026-09}\\nfiles:\\n"
    ...                                       "- {path: branches.csv, instrument: branches}\\n"
    ...                                       "- {path: staff.csv, instrument: staff}\\n", encoding="utf-8")
    ...     _ = (raw / "branches.csv").write_text("营业厅编号,营业厅名称,所属区局,营业厅类型,在岗人数\\n"
    ...                                           "B1,东门厅,D1,standard,8\\nB2,西门厅,D1,rural,6\\n", encoding="utf-8")
    ...     codes = load_instrument("surveys/staff.yml").item_codes
    ...     answers = pd.DataFrame(np.random.default_rng(0).integers(1, 6, (6, len(codes))), columns=codes)
    ...     answers.loc[5, "TS1"] = 9
    ...     answers.insert(0, "branch_id", ["B1"] * 3 + ["B2"] * 3)
    ...     answers.insert(0, "staff_id", [f"A00{i}" for i in range(6)])
    ...     answers.to_csv(raw / "staff.csv", index=False)
    >>> folder = tempfile.TemporaryDirectory()
    >>> base = pathlib.Path(folder.name)
    >>> minimal_wave(base / "raw" / "w1")
    >>> manifest = run_ingest(base / "raw" / "w1", processed_root=base / "processed", instruments_dir=pathlib.Path("surveys"),
    ...                       secret_file=base / "secret.key")
    >>> manifest["totals"]
    {'rows_read': 8, 'rows_accepted': 7, 'rows_quarantined': 1}
    >>> manifest["inputs"][1]["quarantined_by_reason"]
    {'out_of_range': 1}
    >>> folder.cleanup()
    """
    instruments = load_instruments(instruments_dir)
    spec = load_wave(wave_dir, list(instruments))
    remove_stale_temporaries(processed_root / spec.name)  # left by an interrupted run (the CLI holds the wave's lock)
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
    """Score every survey dataset of a processed wave: ``<id>_scores.parquet`` + ``scores.json``.

    Parameters
    ----------
    processed_dir : the processed wave (``data/processed/<wave>``).
    instruments_dir : the codebooks.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from analysis.pipeline.simulated import run_simulate
    >>> surveys = pathlib.Path("surveys")
    >>> with tempfile.TemporaryDirectory() as folder:  # a simulated wave of four branches, ingested
    ...     base = pathlib.Path(folder)
    ...     raw = run_simulate("w1", branches=4, seed=1, out=base / "raw" / "w1", instruments_dir=surveys,
    ...                        model_path=surveys / "simulation.yml")
    ...     _ = run_ingest(raw, processed_root=base / "processed", instruments_dir=surveys, secret_file=base / "secret.key")
    ...     scores = run_score(base / "processed" / "w1", instruments_dir=surveys)
    >>> {name: (entry["rows"], entry["careless"]) for name, entry in scores["datasets"].items()}
    {'staff': (22, 0), 'customer': (124, 0)}
    """
    manifest_path = processed_dir / "manifest.json"
    if not manifest_path.exists():
        raise InputFileError(f"{processed_dir}: no manifest.json; run 'hallperf ingest' first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    instruments = load_instruments(instruments_dir)
    remove_stale_temporaries(processed_dir)
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

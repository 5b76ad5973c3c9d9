"""Simulated waves in ``data/raw/``: written so that no real export is ever replaced.

``truth.json`` of a simulated wave lists every file simulate wrote with its sha256
(``written_files``). Only a folder that is wholly simulate's, and unchanged since, is replaced
by a new simulation; any other is refused unless ``--overwrite``, and even then only the files of
the same names are replaced: nothing simulate did not write is deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from analysis.errors import InputFileError
from analysis.instrument import load_instruments
from analysis.atomic import atomic_dir, cannot_write, remove_stale_temporaries
from analysis.pipeline.outputs import sha256
from analysis.simulate import load_model, simulate_wave, write_wave

#: Key of truth.json listing every file simulate wrote with its sha256: the folder's ownership record.
WRITTEN_FILES = "written_files"


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def not_simulated(folder: Path) -> list[str]:
    """Files in ``folder`` that simulate did not write, or that changed since it wrote them.

    A folder is simulate's when its ``truth.json`` lists every other file with the sha256 it had
    when written (``written_files``); a folder without that record (real exports, the committed
    sample, an older simulation) is nobody's to replace.
    """
    if not folder.is_dir():
        return []
    files = _files(folder)
    try:
        record = json.loads((folder / "truth.json").read_text(encoding="utf-8")).get(WRITTEN_FILES) or {}
    except (OSError, ValueError, AttributeError):
        record = {}
    if not record:
        return list(files)
    return [name for name, path in files.items() if name != "truth.json" and record.get(name) != sha256(path)]


def check_simulate_target(out: Path, *, overwrite: bool = False) -> list[str]:
    """The files in ``out`` that are not simulate's (:func:`not_simulated`); refuses them unless ``overwrite``.

    Raises
    ------
    InputFileError
        When ``out`` is a file, or holds such files and ``overwrite`` is false.
    """
    if out.exists() and not out.is_dir():
        raise InputFileError(f"{out}: exists and is not a folder")
    foreign = not_simulated(out)
    if foreign and not overwrite:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise InputFileError(f"{out}: holds files simulate did not write or that changed since ({shown}); choose "
                             "another wave name or --out, or pass --overwrite (files simulate did not write are kept)")
    return foreign


def install_simulated_wave(out: Path, write: Callable[[Path], object], *, overwrite: bool = False) -> Path:
    """Let ``write(folder)`` write a simulated wave, then put it at ``out`` without losing data.

    A new or empty ``out``, or one simulate wrote and nobody changed (:func:`not_simulated`), is
    replaced as a whole. Any other folder is refused unless ``overwrite``: then simulate's files
    replace the files of the same name and every other file stays. Nothing simulate did not write
    is ever deleted.
    """
    remove_stale_temporaries(out, inside=False)  # an interrupted simulate's, beside the wave folder
    foreign = check_simulate_target(out, overwrite=overwrite)
    if not foreign:  # nothing of anybody else's: replace the whole folder in one rename
        with atomic_dir(out) as tmp:
            write(tmp)
            _record_ownership(tmp)
        return out
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-simulated-", dir=out.parent))
    try:
        write(staging)
        _record_ownership(staging)
        for name, path in _files(staging).items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, out / name)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _record_ownership(folder: Path) -> None:
    truth_path = folder / "truth.json"
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    truth[WRITTEN_FILES] = {name: sha256(path) for name, path in _files(folder).items() if name != "truth.json"}
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")


def run_simulate(
    wave: str, *, branches: int, seed: int, out: Path, instruments_dir: Path, model_path: Path,
    start_month: str = "2026-07", shifts: dict[str, float] | None = None, excel_customers: bool = False,
    staff: int | None = None, customers: int | None = None, overwrite: bool = False,
) -> Path:
    """Simulate a wave into ``out`` (see :func:`install_simulated_wave` for an existing folder).

    Parameters
    ----------
    wave : the wave label.
    branches : number of branches.
    seed : the seed of every random draw.
    out : the raw folder to write (``data/raw/<wave>``).
    instruments_dir, model_path : the codebooks and the simulation model (``surveys/simulation.yml``).
    start_month : the wave's first month (``YYYY-MM``).
    shifts : scale -> latent mean shift in SD units.
    excel_customers : write the customer survey as Excel.
    staff, customers : respondents per branch (default: the model's).
    overwrite : replace an existing simulated wave.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     raw = run_simulate("w1", branches=4, seed=1, out=pathlib.Path(folder, "w1"), instruments_dir=pathlib.Path("surveys"),
    ...                        model_path=pathlib.Path("surveys/simulation.yml"))
    ...     files = sorted(p.name for p in raw.iterdir())
    >>> files
    ['branches.csv', 'customer_survey.csv', 'kpi.csv', 'ratings360.csv', 'staff_survey.csv', 'truth.json', 'truth_appraisal.json', 'wave.yml']
    """
    instruments = load_instruments(instruments_dir)
    model = load_model(model_path)
    check_simulate_target(out, overwrite=overwrite)  # refuse before the (long) simulation
    sim = simulate_wave(instruments, model, wave=wave, branches=branches, seed=seed, start_month=start_month,
                        shifts=shifts, staff=staff, customers=customers)
    return install_simulated_wave(
        out, lambda tmp: write_wave(sim, instruments, model["instruments"], tmp, excel_customers=excel_customers),
        overwrite=overwrite)

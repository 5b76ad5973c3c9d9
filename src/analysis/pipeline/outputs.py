"""Writing outputs so that nothing is half-written, and saying which output failed.

Every stage writes into a temporary folder or file that is renamed into place only when all
of it is written (:func:`atomic_dir`, :func:`write_atomic`). An OS error while writing (disk
full, no permission, read-only disk) leaves the previous output as it was and becomes one
:class:`~analysis.errors.OutputWriteError` naming the output path and the OS's reason, e.g.
``cannot write data/processed/w/staff.parquet: No space left on device``; the CLI prints it
and exits 2. OS errors about other paths (an input that vanished) are not reworded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from analysis.errors import OutputWriteError
from analysis.safe_export import neutralise_cells


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reason(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))


def cannot_write(path: Path, exc: OSError) -> OutputWriteError:
    """The one-line error for an output that could not be written."""
    return OutputWriteError(f"cannot write {path}: {_reason(exc)}")


def _about(exc: OSError, tmp: Path, final: Path) -> Path | None:
    """The output path an OS error is about (the temporary name mapped to the final one), or None
    when it names some other file: that is no output problem and is not reworded."""
    if not exc.filename:
        return final
    name = Path(os.fsdecode(exc.filename))
    for base in (tmp, final):
        try:
            return final / name.relative_to(base)
        except ValueError:
            continue
    return None


@contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces ``final`` in one rename.

    An OS error while writing into it (or renaming it) removes the temporary folder, leaves
    ``final`` as it was and is raised as :class:`OutputWriteError` naming the output.
    """
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; outputs are meant to be shared
    except OSError as exc:
        raise cannot_write(final, exc) from None
    try:
        yield tmp
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        target = _about(exc, tmp, final)
        if target is None:
            raise
        raise cannot_write(target, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = final.parent / f".{final.name}.old"
    try:
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
        tmp.rename(final)
    except OSError as exc:
        if old.exists() and not final.exists():
            old.rename(final)
        shutil.rmtree(tmp, ignore_errors=True)
        raise cannot_write(final, exc) from None
    shutil.rmtree(old, ignore_errors=True)


def write_atomic(path: Path, write) -> None:
    """Call ``write(tmp_path)`` and rename the result onto ``path``; an OS error names ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.filename and Path(os.fsdecode(exc.filename)) not in (Path(tmp), path):
            raise
        raise cannot_write(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_into(folder: Path, final: Path, name: str, write: Callable[[Path], object]) -> None:
    """``write(folder / name)`` inside an :func:`atomic_dir` whose result will be ``final``;
    an OS error names ``final / name``, the file the person will look for."""
    try:
        write(folder / name)
    except OSError as exc:
        raise cannot_write(final / name, exc) from None


def write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    write_atomic(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def write_people_csv(frame: pd.DataFrame, path: Path, **kwargs) -> None:
    """A CSV meant to be opened in a spreadsheet: formula-like text cells neutralised (:mod:`analysis.safe_export`).

    Lines end in CRLF (RFC 4180), which also makes the csv writer quote any cell holding a bare
    carriage return: unquoted, a spreadsheet would start a new row there, and the rest of the
    cell would be read as a fresh cell, formula and all.
    """
    neutralise_cells(frame).to_csv(path, index=False, lineterminator="\r\n", **kwargs)



"""Writing files so that readers see the old version or the complete new one, never half a file.

One implementation for every stage: :func:`atomic_write` (bytes or text), :func:`atomic_write_with`
(a writer function that fills a temporary path, e.g. ``frame.to_parquet``) and
:func:`atomic_dir` (a whole folder replaced in one rename). Temporary names start with ``.`` and
end in ``.tmp`` (folders: contain ``.tmp-``), in the target's own folder so the rename stays on
one file system; :func:`remove_stale_temporaries` deletes those an interrupted run left behind.

An OS error while writing (disk full, no permission, read-only disk) leaves the previous output
as it was and becomes one :class:`~analysis.errors.OutputWriteError` naming the output path and
the OS's reason, e.g. ``cannot write data/processed/w/staff.parquet: No space left on device``;
the CLI prints it and exits 2. OS errors about other paths (an input that vanished) are not
reworded.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from analysis.errors import OutputWriteError

__all__ = ["atomic_dir", "atomic_write", "atomic_write_with", "cannot_write", "remove_stale_temporaries"]


def cannot_write(path: str | os.PathLike[str], exc: OSError) -> OutputWriteError:
    """The one-line error for an output that could not be written."""
    reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))
    return OutputWriteError(f"cannot write {path}: {reason}")


def _about(exc: OSError, tmp: Path, final: Path) -> Path | None:
    """The output an OS error is about (the temporary name mapped to the final one), or None when
    it names some other file: that is no output problem and is not reworded."""
    if not exc.filename:
        return final
    name = Path(os.fsdecode(exc.filename))
    for base in (tmp, final):
        try:
            return final / name.relative_to(base)
        except ValueError:
            continue
    return None


def atomic_write_with(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)``, then rename the temporary file onto ``path``; return ``path``.

    Parent folders are created; the file gets mode 644. On any error (also Ctrl-C) the temporary
    file is removed and ``path`` is left as it was; an OS error about the output is raised as
    :class:`OutputWriteError` naming ``path``.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise cannot_write(target, exc) from None
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.filename and Path(os.fsdecode(exc.filename)) not in (Path(tmp), target):
            raise
        raise cannot_write(target, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text is encoded with ``encoding``) to ``path`` atomically; return ``path``.

    Parameters
    ----------
    path : the file to write (parent folders are created).
    data : bytes, or text encoded with ``encoding``.
    encoding : the text encoding.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = atomic_write(pathlib.Path(folder, "out", "note.txt"), "完成\\n")
    ...     path.name, path.read_text(encoding="utf-8"), oct(path.stat().st_mode & 0o777)
    ('note.txt', '完成\\n', '0o644')
    """
    payload = data.encode(encoding) if isinstance(data, str) else data
    return atomic_write_with(path, lambda tmp: tmp.write_bytes(payload))


@contextmanager
def atomic_dir(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces ``final`` in one rename.

    An error while writing into it (or renaming it) removes the temporary folder and leaves
    ``final`` as it was; an OS error about the output is raised as :class:`OutputWriteError`.
    """
    final = Path(final)
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
    old = final.parent / f".{final.name}.tmp-old"
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


def _is_temporary(entry: Path) -> bool:
    """A name :func:`atomic_write_with` (``.NAME.xxxx.tmp``) or :func:`atomic_dir` (``.NAME.tmp-xxxx``) made."""
    name = entry.name
    return name.startswith(".") and (".tmp-" in name if entry.is_dir() else name.endswith(".tmp"))


def remove_stale_temporaries(folder: str | os.PathLike[str], *, inside: bool = True) -> list[Path]:
    """Delete the temporary files and folders that interrupted writes left in or beside ``folder``.

    Inside ``folder``, at any depth, and beside it those of ``folder`` itself (``.NAME.tmp-*``, the
    replacement an :func:`atomic_dir` of ``folder`` was building); other entries beside it are not
    touched. A previous folder moved aside for its replacement (``.NAME.tmp-old``) is put back
    when ``NAME`` is missing (a run stopped between the two renames), else removed. Only call it
    while no other writer can be at work there (the caller holds the wave's lock,
    :mod:`analysis.pipeline.locks`). ``inside=False`` leaves the folder's content alone (a raw
    wave: its files are the delivered exports). Returns what was removed.
    """
    root = Path(folder)
    removed: list[Path] = []
    _clean([p for p in root.parent.glob(f".{glob.escape(root.name)}.*")], removed)
    if inside and root.is_dir():  # after the first pass, which may have put root back
        _clean(sorted(root.rglob(".*"), key=lambda p: len(p.parts)), removed)
    return removed


def _clean(entries: list[Path], removed: list[Path]) -> None:
    for entry in entries:
        if any(parent in removed for parent in entry.parents) or not _is_temporary(entry):
            continue
        previous = entry.with_name(entry.name[1:].removesuffix(".tmp-old"))
        if entry.is_dir() and entry.name.endswith(".tmp-old") and not previous.exists():
            entry.rename(previous)
        elif entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        else:
            entry.unlink(missing_ok=True)
            removed.append(entry)

"""Writing files so that readers see the old version or the complete new one, never half a file.

One implementation for every stage: :func:`atomic_write` (bytes or text), :func:`atomic_write_with`
(a writer function that fills a temporary path, e.g. ``frame.to_parquet``) and
:func:`atomic_dir` (a whole folder replaced in one rename). Temporary names start with ``.`` and
end in ``.tmp`` (folders: contain ``.tmp-``), in the target's own folder so the rename stays on
one file system; :func:`remove_stale_temporaries` deletes those an interrupted run left behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_dir", "atomic_write", "atomic_write_with", "remove_stale_temporaries"]


def atomic_write_with(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)``, then rename the temporary file onto ``path``; return ``path``.

    Parent folders are created; the file gets mode 644. On any error (also Ctrl-C) the temporary
    file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text is encoded with ``encoding``) to ``path`` atomically; return ``path``."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    return atomic_write_with(path, lambda tmp: tmp.write_bytes(payload))


@contextmanager
def atomic_dir(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces ``final`` in one rename.

    On an error the temporary folder is removed and ``final`` stays as it was.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; outputs are meant to be shared
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = final.parent / f".{final.name}.tmp-old"
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def remove_stale_temporaries(folder: str | os.PathLike[str], *, recursive: bool = True) -> list[Path]:
    """Delete the temporary files and folders of interrupted writes under ``folder``.

    Only call it while no other writer can be at work in ``folder`` (the caller holds the wave's
    lock, :mod:`analysis.pipeline.locks`). Returns what was removed.
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    removed: list[Path] = []
    entries = root.rglob(".*") if recursive else root.glob(".*")
    for entry in sorted(entries, key=lambda p: len(p.parts)):
        if any(parent in removed for parent in entry.parents):
            continue
        name = entry.name
        if entry.is_dir() and ".tmp-" in name:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        elif entry.is_file() and name.endswith(".tmp"):
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed

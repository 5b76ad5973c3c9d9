"""Output helpers of the stages: file hashes, files inside an atomic folder, JSON, people's CSVs.

Everything is written atomically through :mod:`analysis.atomic` (nothing half-written; an OS
error while writing becomes one :class:`~analysis.errors.OutputWriteError` naming the output).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from analysis.atomic import atomic_write_with, cannot_write
from analysis.safe_export import write_people_csv  # noqa: F401  (the stages' CSV writer)

__all__ = ["sha256", "write_into", "write_json", "write_people_csv"]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_into(folder: Path, final: Path, name: str, write: Callable[[Path], object]) -> None:
    """``write(folder / name)`` inside an :func:`atomic_dir` whose result will be ``final``;
    an OS error names ``final / name``, the file the person will look for."""
    try:
        write(folder / name)
    except OSError as exc:
        raise cannot_write(final / name, exc) from None


def write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    atomic_write_with(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))

"""Generic report layer: style, tables, figures, batch notebook runs and HTML index pages.

Presentation only: nothing here computes a statistic that a result table should hold.
Submodules are imported lazily, so ``import analysis.report`` is cheap (the batch runner imports
papermill/nbconvert only when it runs, and a kernel reset imports only the style module).
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "export_table", "format_number", "format_p", "stars",
    "use_style", "save_figure", "register_fonts",
    "bar_profile", "priority_matrix", "kpi_bullets", "forest", "trend",
    "Job", "JobResult", "run_notebooks", "exit_code",
    "write_index", "atomic_write",
]

_WHERE = {
    "export_table": "tables", "format_number": "tables", "format_p": "tables", "stars": "tables",
    "use_style": "style", "save_figure": "style", "register_fonts": "style",
    "bar_profile": "figures", "priority_matrix": "figures", "kpi_bullets": "figures",
    "forest": "figures", "trend": "figures",
    "Job": "batch", "JobResult": "batch", "run_notebooks": "batch", "exit_code": "batch",
    "write_index": "html",
}


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then rename.

    Readers see either the old file or the complete new one, never half a file. Parent folders
    are created. Returns the path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

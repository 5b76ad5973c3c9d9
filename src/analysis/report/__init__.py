"""Generic report layer: style, tables, figures and HTML pages.

Presentation only: nothing here computes a statistic that a result table should hold. The
notebooks are run by :mod:`analysis.pipeline.batch`. Submodules are imported lazily, so
``import analysis.report`` is cheap. ``atomic_write`` is :func:`analysis.atomic.atomic_write`.
"""

from __future__ import annotations

import importlib
from typing import Any

from analysis.atomic import atomic_write

__all__ = [
    "export_table", "format_number", "format_p", "stars",
    "use_style", "save_figure", "register_fonts",
    "bar_profile", "priority_matrix", "kpi_bullets", "forest", "trend",
    "write_index", "atomic_write",
]

_WHERE = {
    "export_table": "tables", "format_number": "tables", "format_p": "tables", "stars": "tables",
    "use_style": "style", "save_figure": "style", "register_fonts": "style",
    "bar_profile": "figures", "priority_matrix": "figures", "kpi_bullets": "figures",
    "forest": "figures", "trend": "figures",
    "write_index": "html",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

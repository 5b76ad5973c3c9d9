"""Stage orchestration: with ``cli``, the only code that reads and writes files.

``prepare`` holds ingest and score, ``analyze_stage`` analyze, ``core`` what they share and the export
stage; ``simulated`` the simulate stage; ``report``
the report stage; ``waves`` the comparison of waves; ``batch`` and ``engine`` run notebooks.
Each stage reads only what the stage before it wrote and writes atomically (:mod:`analysis.atomic`).
The stage functions are imported lazily, so that a notebook worker importing
``analysis.pipeline.engine`` does not load every stage.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "load_processed": "core", "package_versions": "core", "read_survey": "analyze_stage",
    "run_analyze_instrument": "analyze_stage", "run_analyze_study": "analyze_stage", "run_export": "core",
    "run_ingest": "prepare", "run_score": "prepare", "write_results": "core", "run_simulate": "simulated",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

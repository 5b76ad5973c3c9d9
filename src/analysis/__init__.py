"""hallperf: survey-based research on business-hall (营业厅) marketing staff performance.

The importable package is ``analysis``; the console script is ``hallperf``. For notebooks,
:class:`~analysis.project.Project` finds the project folder and gives the result tables, the
analysis frames and refitted hypotheses (``from analysis import Project``); it is imported on
first use, so ``import analysis`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Project", "Results", "__version__", "project_root"]


def __getattr__(name: str) -> Any:
    if name in ("Project", "Results", "project_root"):
        from analysis import project

        return getattr(project, name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")

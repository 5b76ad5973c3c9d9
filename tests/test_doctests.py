"""Every module's docstring examples run as doctests, and the public API documents itself.

Public: the names in a module's ``__all__``, plus the public functions and classes defined in the
packages users import (``USER_MODULES``). Each public function or class needs a numpydoc
``Examples`` section and, when it takes arguments, a ``Parameters`` section (``Attributes`` for a
dataclass). ``python tests/test_doctests.py`` lists what is missing (``--all``: in every module's
``__all__``, not only the user packages).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import analysis

MODULES = sorted(m.name for m in pkgutil.walk_packages(analysis.__path__, "analysis.") if m.name != "analysis.__main__")
USER_MODULES = ("analysis.psychometrics", "analysis.models", "analysis.improvement", "analysis.waves",
                "analysis.pipeline.waves", "analysis.project", "analysis.appraisal", "analysis.disclosure",
                "analysis.comments", "analysis.scoring", "analysis.instrument", "analysis.privacy",
                "analysis.report.figures", "analysis.report", "analysis.io", "analysis.pipeline", "analysis.study", "analysis.study_schema",
                "analysis.wave", "analysis.simulate",
                # analysis.simulate's __all__ holds its entry points; the steps in its modules are public too
                *(m for m in MODULES if m.startswith("analysis.simulate.")))
ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples read the bundled codebooks as a project does: surveys/staff.yml
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"


def _api_modules(everything: bool = False) -> list[str]:
    """The user packages and modules; a package without ``__all__`` stands for its submodules."""
    if everything:
        return [m for m in MODULES if not any(part.startswith("_") for part in m.split("."))]
    names = []
    for name in USER_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "__path__") and not getattr(module, "__all__", None):
            names += [m for m in MODULES if m.startswith(name + ".")]
        else:
            names.append(name)
    return names


def public_api(everything: bool = False) -> dict[str, object]:
    """Qualified name -> public function or class (exceptions excluded), each object once.

    A module's public names are its ``__all__`` or, without one, the functions and classes it defines.
    """
    found: dict[str, object] = {}
    for name in _api_modules(everything):
        module = importlib.import_module(name)
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n, obj in vars(module).items() if not n.startswith("_")
                     and (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == name]
        for n in names:
            obj = getattr(module, n)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or (
                    inspect.isclass(obj) and issubclass(obj, BaseException)):
                continue
            found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return found


def _takes_arguments(obj) -> bool:
    target = obj.__init__ if inspect.isclass(obj) else obj
    if target is object.__init__:
        return False
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return False
    return any(p not in ("self", "cls") for p in params)


def _has_section(doc: str, *titles: str) -> bool:
    return any(re.search(rf"^\s*{t}\n\s*-{{3,}}\s*$", doc, re.MULTILINE) for t in titles)


def missing_sections(everything: bool = False) -> dict[str, list[str]]:
    """Qualified name -> the sections its docstring lacks."""
    missing = {}
    for qualname, obj in sorted(public_api(everything).items()):
        doc = inspect.getdoc(obj) or ""
        lacks = [] if _has_section(doc, "Examples") else ["Examples"]
        if _takes_arguments(obj) and not _has_section(doc, "Parameters", "Attributes"):
            lacks.insert(0, "Parameters")
        if lacks:
            missing[qualname] = lacks
    return missing


def test_public_api_has_parameters_and_examples():
    missing = missing_sections()
    assert not missing, "\n".join(f"{q}: no {', '.join(s)}" for q, s in missing.items())


if __name__ == "__main__":  # --all: every module's __all__, not only the user packages
    everything = "--all" in sys.argv
    gaps = missing_sections(everything)
    for qualname, sections in gaps.items():
        print(f"{qualname}: {', '.join(sections)}")
    print(f"{len(gaps)} of {len(public_api(everything))} public functions and classes lack a section", file=sys.stderr)

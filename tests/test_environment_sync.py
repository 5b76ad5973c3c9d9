"""environment.yml mirrors pyproject.toml: both name the same packages (conda cannot be solved here)."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import ROOT


def name(spec: str) -> str:
    base = re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0]
    return base.lower().replace("_", "-")


def requirements(project: dict) -> list[str]:
    """The dependencies and every optional extra: environment.yml lists them all (an extra that
    names other extras of hallperf itself, like ``hallperf[pdf,dask]``, adds no package)."""
    extras = [d for group in project["optional-dependencies"].values() for d in group]
    return project["dependencies"] + [d for d in extras if name(d) != project["name"]]


def test_environment_names_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {name(d) for d in requirements(project)}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {name(d) for d in dep["pip"] if not d.startswith("-e")}
        else:
            conda.add(name(dep))
    assert "-e ." in next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    conda -= {"python", "pip", "distributed"}  # dask[distributed] is two packages on conda-forge
    assert conda | pip == wanted
    assert not conda & pip


def test_versions_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = {name(d): re.sub(r"^[A-Za-z0-9_.\-]+(\[[^\]]*\])?", "", d) for d in requirements(project)}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    for dep in env["dependencies"]:
        for spec in dep["pip"] if isinstance(dep, dict) else [dep]:
            key = name(spec)
            if key in specs and not spec.startswith("-e"):
                assert spec.endswith(specs[key]), f"{spec} vs pyproject {specs[key]}"

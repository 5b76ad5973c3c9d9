"""Where a wave's result tables are: the analyze stage's folder and the compare stage's beside it.

``hallperf analyze`` replaces ``output/<wave>/results/`` as a whole, so the comparison with an
earlier wave (``hallperf compare``) writes its own folder, ``output/<wave>/compare/``, and every
reader sees the two as one set of tables through :func:`result_index`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["COMPARE_FOLDER", "compare_dir", "result_index", "table_path"]

COMPARE_FOLDER = "compare"


def compare_dir(results_dir: str | os.PathLike[str]) -> Path:
    """The compare stage's folder of a wave whose analyze results are in ``results_dir``."""
    return Path(results_dir).parent / COMPARE_FOLDER


def result_index(results_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Path]]:
    """The analyze stage's ``results.json`` with the compare stage's tables (and its ``waves``
    provenance) added, and the folder of every table.

    Parameters
    ----------
    results_dir : ``output/<wave>/results`` (holding ``results.json``).

    Returns
    -------
    (info, folders): ``info["tables"]`` lists the tables of both stages; ``folders[name]`` is the
    folder holding ``name``'s files. A compare folder whose ``results.json`` names another wave,
    or that is missing, adds nothing; a wave compared but not analysed has the compare tables only.
    Neither ``results.json``: :class:`FileNotFoundError`.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = pathlib.Path(folder)
    ...     for stage, tables in (("results", {"table1": {}}), ("compare", {"waves_company": {}})):
    ...         (out / stage).mkdir()
    ...         _ = (out / stage / "results.json").write_text(json.dumps({"wave": "w2", "tables": tables}))
    ...     info, folders = result_index(out / "results")
    ...     sorted(info["tables"]), folders["waves_company"].name
    (['table1', 'waves_company'], 'compare')
    """
    results = Path(results_dir)
    extra = compare_dir(results) / "results.json"
    own = results / "results.json"
    if not own.is_file() and not extra.is_file():
        raise FileNotFoundError(f"{results}: no results.json; run 'hallperf analyze' first")
    info: dict[str, Any] = json.loads(own.read_text(encoding="utf-8")) if own.is_file() else {}  # compared, not analysed
    folders = {name: results for name in info.get("tables", {})}
    if extra.is_file():
        compared = json.loads(extra.read_text(encoding="utf-8"))
        if None in (compared.get("wave"), info.get("wave")) or compared["wave"] == info["wave"]:
            info = {**info, "tables": {**info.get("tables", {}), **compared.get("tables", {})}}
            if "waves" in compared:
                info["waves"] = compared["waves"]
            folders.update({name: extra.parent for name in compared.get("tables", {})})
    return info, folders


def table_path(folders: dict[str, Path], results_dir: str | os.PathLike[str], name: str) -> Path | None:
    """The Parquet (else CSV) file of table ``name``, or None."""
    folder = folders.get(name, Path(results_dir))
    for ext in ("parquet", "csv"):
        path = folder / f"{name}.{ext}"
        if path.is_file():
            return path
    return None

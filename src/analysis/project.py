"""The project folder, found from any working directory, and a facade for work in notebooks.

A hallperf project is the folder that holds ``surveys/`` (the codebooks and ``study.yml``),
beside ``data/raw/<wave>/``, ``data/processed/<wave>/`` and ``output/<wave>/``.
:func:`project_root` finds it from wherever the code runs: the project root itself (the CLI,
papermill), ``notebooks/`` (JupyterLab starts a notebook's kernel in the notebook's folder) or
``output/<wave>/``. :class:`Project` turns it into paths and into what a researcher works with
in a notebook: the result tables as DataFrames, the study, the analysis frames the hypotheses
ran on, and a hypothesis refitted with changed roles in one call.

Like :mod:`analysis.pipeline`, the facade reads the project's files; it never writes any. The
statistics stay in :mod:`analysis.analyze` and below: :meth:`Project.refit` runs the same
:func:`analysis.analyze.run_hypothesis` on the same frames as ``hallperf analyze``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.errors import InputFileError, StudyError

if TYPE_CHECKING:  # heavy or circular at import time (analysis.privacy imports this module)
    import pandas as pd

    from analysis.datasets import AnalysisData
    from analysis.study import Study

__all__ = ["PROJECT_MARKER", "Project", "Results", "project_root"]

PROJECT_MARKER = "surveys"
STUDY_FILE = "study.yml"


def project_root(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the working directory) holding ``surveys/``.

    ``start`` may be a file (e.g. ``surveys/study.yml``); its folder is where the search begins.
    Symbolic links are not followed (the folder holding a linked ``surveys/`` is the project).
    None when no folder up to the file system's root holds ``surveys/``.

    Parameters
    ----------
    start : folder or file where the search begins (default: the working directory).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     root = pathlib.Path(folder).resolve()
    ...     (root / "surveys").mkdir(); (root / "notebooks").mkdir()
    ...     project_root(root / "notebooks") == root
    True
    """
    # absolute, not resolved: a project may link its surveys/ to another folder that holds one
    here = Path(os.path.abspath(start or Path.cwd()))
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / PROJECT_MARKER).is_dir():
            return folder
    return None


class Results(Mapping[str, "pd.DataFrame"]):
    """The result tables of one ``hallperf analyze`` run, read lazily as DataFrames.

    A read-only mapping from table name (``table1``, ``staff_reliability``, ``H3_coefficients``,
    ...) to the table as written (Parquet, else CSV), read on first access and kept. ``info`` is
    ``results.json`` (provenance, parameters, ``notes`` on what was skipped, the table index).

    Parameters
    ----------
    folder : ``output/<wave>/results`` (or the ``--out`` folder of ``analyze --instrument``).

    Raises
    ------
    InputFileError
        The folder holds no ``results.json``.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> import pandas as pd
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = pathlib.Path(folder)
    ...     pd.DataFrame({"scale": ["TS"], "alpha": [0.84]}).to_csv(out / "staff_reliability.csv", index=False)
    ...     _ = (out / "results.json").write_text(json.dumps({"wave": "w1", "tables": {"staff_reliability": {}}}))
    ...     results = Results(out)
    ...     print(results.wave, list(results), results["staff_reliability"]["alpha"].tolist())
    w1 ['staff_reliability'] [0.84]
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        from analysis.result_files import result_index

        try:
            self.info, self._folders = result_index(self.folder)  # with the compare stage's tables
        except FileNotFoundError as exc:
            raise InputFileError(str(exc)) from None
        self._cache: dict[str, pd.DataFrame] = {}

    @property
    def wave(self) -> str | None:
        return self.info.get("wave")

    @property
    def notes(self) -> list[str]:
        """What the analysis skipped and why (a study without groups, dimensions, ...)."""
        return list(self.info.get("notes") or [])

    def __getitem__(self, name: str) -> pd.DataFrame:
        import pandas as pd

        if name not in self._cache:
            if name not in self.info.get("tables", {}):
                from analysis.config import did_you_mean

                hint = did_you_mean(str(name), list(self))
                raise KeyError(f"no result table {name!r} in {self.folder}"
                               + (f" (did you mean {hint!r}?)" if hint else f"; tables: {', '.join(self)}"))
            folder = self._folders.get(name, self.folder)
            parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
            self._cache[name] = pd.read_parquet(parquet) if parquet.is_file() else pd.read_csv(csv)
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.info.get("tables", {}))

    def __len__(self) -> int:
        return len(self.info.get("tables", {}))

    def hypothesis(self, hypothesis: str) -> dict[str, pd.DataFrame]:
        """The tables of one hypothesis, keyed by their suffix (``coefficients``, ``effects``, ...)."""
        prefix = f"{hypothesis}_"
        found = {name[len(prefix):]: self[name] for name in self if name.startswith(prefix)}
        if not found:
            raise KeyError(f"no tables of hypothesis {hypothesis!r} in {self.folder}")
        return found

    def __repr__(self) -> str:
        names = list(self)
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        return f"<Results {self.folder}: {len(names)} tables ({shown})>"


class Project:
    """A hallperf project: its folders, its study and its results, for notebooks and scripts.

    Parameters
    ----------
    root : the project folder (the one holding ``surveys/``); see :meth:`find`.

    Examples
    --------
    Found from a folder inside the project; relative paths are the project's:

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     root = pathlib.Path(folder).resolve()
    ...     (root / "surveys").mkdir()
    ...     project = Project.find(root / "notebooks")
    ...     project.root == root, project.path("output/sample/results") == root / "output" / "sample" / "results"
    (True, True)

    In a notebook of the project (after ``hallperf run``):

    >>> from analysis import Project
    >>> project = Project.find()                        # doctest: +SKIP
    >>> results = project.results("sample")             # doctest: +SKIP
    >>> results["table1"]                               # doctest: +SKIP
    >>> project.refit("sample", "H3", covar=["tenure_years"])["coefficients"]  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(root))
        self._frames: dict[tuple[str, str], tuple[AnalysisData, Study]] = {}

    @classmethod
    def find(cls, *near: str | os.PathLike[str] | None, required: bool = True) -> Project:
        """The project found from ``near`` (files or folders inside it) or else from the working directory.

        A relative ``near`` that does not exist from the working directory is ignored, so a
        notebook may pass its (project-relative) parameters as they are.

        Parameters
        ----------
        *near : paths inside the project (absolute, or relative to the working directory).
        required : with False, the working directory stands in for the project folder when no
            folder holds ``surveys/`` (a codebook and a data file kept outside any project).

        Raises
        ------
        InputFileError
            ``required`` and no folder at or above any of them holds ``surveys/``.
        """
        for start in (*near, None):
            if start is not None and not (Path(start).is_absolute() or Path(start).exists()):
                continue
            root = project_root(start)
            if root is not None:
                return cls(root)
        if not required:
            return cls(Path.cwd())
        raise InputFileError(f"no project folder (one holding {PROJECT_MARKER}/) at or above {Path.cwd()}; "
                             "start Jupyter or the script inside the project")

    def __repr__(self) -> str:
        return f"<Project {self.root}>"

    # ------------------------------------------------------------------ paths
    def path(self, path: str | os.PathLike[str]) -> Path:
        """``path`` made absolute: a relative path is taken from the project root, not the working directory."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.root / path

    @property
    def surveys(self) -> Path:
        return self.root / PROJECT_MARKER

    @property
    def study_path(self) -> Path:
        return self.surveys / STUDY_FILE

    def raw_dir(self, wave: str) -> Path:
        return self.root / "data" / "raw" / wave

    def processed_dir(self, wave: str) -> Path:
        return self.root / "data" / "processed" / wave

    def output_dir(self, wave: str) -> Path:
        return self.root / "output" / wave

    def results_dir(self, wave: str) -> Path:
        return self.output_dir(wave) / "results"

    def waves(self) -> list[str]:
        """Waves with results (``output/<wave>/results/results.json``), in name order."""
        output = self.root / "output"
        return sorted(p.parent.name for p in output.glob("*/results/results.json")) if output.is_dir() else []

    # ------------------------------------------------------------------ study and results
    def study(self, path: str | os.PathLike[str] | None = None) -> Study:
        """The study file (default ``surveys/study.yml``), checked as ``hallperf analyze`` checks it."""
        from analysis.study import load_study

        return load_study(self.path(path) if path is not None else self.study_path)

    def instruments(self, folder: str | os.PathLike[str] | None = None) -> dict:
        """The codebooks of ``folder`` (default ``surveys/``) by instrument id."""
        from analysis.instrument import load_instruments

        return load_instruments(self.path(folder) if folder is not None else self.surveys)

    def results(self, wave: str | None = None, *, path: str | os.PathLike[str] | None = None) -> Results:
        """The result tables of a wave (``output/<wave>/results``) or of a results folder ``path``."""
        if (wave is None) == (path is None):
            raise TypeError("results: give a wave name or path=, not both")
        return Results(self.path(path) if path is not None else self.results_dir(str(wave)))

    def _study_of(self, wave: str, study: str | os.PathLike[str] | None) -> Path:
        """The study file a wave was analysed with (results.json), else ``surveys/study.yml``."""
        if study is not None:
            return self.path(study)
        index = self.results_dir(wave) / "results.json"
        if index.is_file():
            recorded = (json.loads(index.read_text(encoding="utf-8")).get("study") or {}).get("path")
            if recorded and self.path(recorded).is_file():
                return self.path(recorded)
        return self.study_path

    def analysis_data(self, wave: str, *, study: str | os.PathLike[str] | None = None) -> AnalysisData:
        """The staff and branch frames the hypotheses of a wave ran on, rebuilt from ``data/processed``.

        Built as ``hallperf analyze`` builds them (:func:`analysis.analyze.analysis_frames`):
        scored respondents without the careless ones, records and ratings aggregated, branch
        climate, ``target_gap``. Unlike ``output/<wave>/data``, the branch frame keeps the survey
        means of branches below the reporting size: it is for fitting models, not for sharing.

        Parameters
        ----------
        wave : a processed (ingested and scored) wave.
        study : the study file (default: the one the wave's results were analysed with, else
            ``surveys/study.yml``); its folder holds the codebooks.

        Returns
        -------
        AnalysisData
            ``staff`` and ``branches`` DataFrames, ``excluded`` counts and ``notes``.
        """
        return self._analysis(wave, study)[0]

    def _analysis(self, wave: str, study: str | os.PathLike[str] | None) -> tuple[AnalysisData, Study]:
        from analysis.analyze import analysis_frames
        from analysis.instrument import load_instruments
        from analysis.pipeline.core import load_processed
        from analysis.study import load_study

        path = self._study_of(wave, study)
        key = (wave, str(path))
        if key not in self._frames:
            spec = load_study(path)
            _, tables, scores = load_processed(self.processed_dir(wave))
            data, _ = analysis_frames(spec, load_instruments(path.parent), tables, scores)
            self._frames[key] = (data, spec)
        return self._frames[key]

    def refit(self, wave: str, hypothesis: str, *, study: str | os.PathLike[str] | None = None,
              n_boot: int | None = None, seed: int | None = None, **roles: Any) -> dict[str, pd.DataFrame]:
        """Refit one hypothesis of the study with changed roles, on the frames it ran on.

        Parameters
        ----------
        wave : the processed wave (see :meth:`analysis_data`).
        hypothesis : the hypothesis id, e.g. ``"H3"``.
        study : the study file (default: the one the wave was analysed with).
        n_boot, seed : override the study's bootstrap resamples and seed (e.g. ``n_boot=500``
            for a quick look at a mediation).
        **roles : the roles to change, named as in the study file (``x``, ``covar``, ``m``, ``w``,
            ``y``, ``group``, ``cluster``, ...); ``None`` drops an optional role; a single name
            may be given for a list role. The changed hypothesis is checked as the study loader
            checks one (role names, required roles, variables of the frame).

        Returns
        -------
        dict of DataFrames
            The hypothesis' tables keyed like its result tables without the id
            (``coefficients``, ``effects``, ...), each with the ``hypothesis`` column.

        Raises
        ------
        StudyError
            Unknown hypothesis, role or variable; a required role dropped.

        Examples
        --------
        >>> project = Project.find()                                        # doctest: +SKIP
        >>> project.refit("sample", "H3", covar=["tenure_years", "age", "gender"])["coefficients"]  # doctest: +SKIP
        """
        from dataclasses import replace

        from analysis.analyze import run_hypothesis
        from analysis.instrument import load_instruments
        from analysis.study import check_variables

        data, spec = self._analysis(wave, study)
        original = next((h for h in spec.hypotheses if h.id == hypothesis), None)
        if original is None:
            raise StudyError(f"{spec.path}: no hypothesis {hypothesis!r} (hypotheses: "
                             f"{', '.join(h.id for h in spec.hypotheses) or 'none'})")
        changed = _with_roles(original, roles, spec.path)
        frames = {"staff": data.staff, "branch": data.branches}
        check_variables(replace(spec, hypotheses=(changed,), dimensions=(), performance=None, kpis=()), frames)
        spec = replace(spec, n_boot=spec.n_boot if n_boot is None else n_boot, seed=spec.seed if seed is None else seed)
        respondents = load_instruments(spec.path.parent)[spec.datasets.respondents]
        out = {}
        for suffix, table in run_hypothesis(changed, frames[changed.level], spec, respondents).items():
            table = table.copy()
            table.insert(0, "hypothesis", changed.id)
            out[suffix] = table
        return out


def _with_roles(h: Any, changes: Mapping[str, Any], source: Path) -> Any:
    """The hypothesis ``h`` with ``changes`` to its roles, validated by the study file's role schema."""
    from dataclasses import replace

    from pydantic import ValidationError

    from analysis.config import did_you_mean
    from analysis.config import problems as config_problems
    from analysis.study_schema import MODEL_ROLES, ROLE_MODELS

    where = f"{source}: hypotheses[{h.id}] ({h.model})"
    allowed = MODEL_ROLES[h.model]
    for role in changes:
        if role not in allowed:
            hint = did_you_mean(role, list(allowed))
            raise StudyError(f"{where}: '{role}' is not a role of this model"
                             + (f" (did you mean '{hint}'?)" if hint else f" (roles: {', '.join(allowed)})"))
    roles = {**h.roles, **changes}
    roles = {k: v for k, v in roles.items() if v is not None}
    try:
        checked = ROLE_MODELS[h.model].model_validate(roles).model_dump()
    except ValidationError as exc:
        raise StudyError("; ".join(config_problems(exc, ROLE_MODELS[h.model], prefix=where))) from None
    return replace(h, roles={k: checked[k] for k in roles})

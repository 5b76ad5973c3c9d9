"""The whole study on one wave, the chain ``hallperf run`` runs: (simulate) → ingest → score → analyze → (compare) → report.

The chain and its defaults live here, once; the CLI only says what each stage did
(``on_stage``), as the verbs of the single stages do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["STAGES", "run_study"]

#: The stages in the order :func:`run_study` runs them (simulate and compare only when needed).
STAGES = ("simulate", "ingest", "score", "analyze", "compare", "report")


def run_study(
    wave: str,
    *,
    study: Path,
    instruments_dir: Path,
    previous: str | None = None,
    lang: str = "zh",
    pdf: bool = False,
    branches: int = 60,
    seed: int = 1,
    model_path: Path = Path("surveys/simulation.yml"),
    raw_root: Path = Path("data/raw"),
    processed_root: Path = Path("data/processed"),
    out_root: Path = Path("output"),
    on_stage: Callable[[str, Any], None] | None = None,
) -> dict[str, Any]:
    """Run every stage on ``wave`` under the wave's lock; a missing raw wave is simulated first.

    Parameters
    ----------
    wave : the wave's name (``raw_root/wave`` holds its exports).
    study, instruments_dir : the study file and the codebooks' folder.
    previous : a processed and analysed earlier wave to compare with (its trends, the reports' trend section).
    lang, pdf : language of the reports; also print them to PDF.
    branches, seed, model_path : the simulation, when ``raw_root/wave`` does not exist.
    raw_root, processed_root, out_root : where the stages read and write.
    on_stage : called with (stage name, what the stage returned) after each stage.

    Returns
    -------
    dict stage name → what its ``run_*`` function returned (the report stage's :class:`ReportSummary`).

    Examples
    --------
    >>> import pathlib, shutil, tempfile
    >>> from analysis.pipeline.run import run_study
    >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
    ...     done = run_study("w", study=pathlib.Path("surveys/study.yml"), instruments_dir=pathlib.Path("surveys"),
    ...                      branches=12, raw_root=pathlib.Path(folder, "raw"), processed_root=pathlib.Path(folder, "p"),
    ...                      out_root=pathlib.Path(folder, "out"))
    >>> list(done)  # doctest: +SKIP
    ['simulate', 'ingest', 'score', 'analyze', 'report']
    """
    from analysis.pipeline.analyze_stage import run_analyze_study
    from analysis.pipeline.core import lang_option
    from analysis.pipeline.locks import wave_lock
    from analysis.pipeline.prepare import run_ingest, run_score
    from analysis.pipeline.report import run_report
    from analysis.pipeline.simulated import run_simulate
    from analysis.pipeline.waves import run_compare_waves

    lang_option(lang)  # before minutes of work, not at the report stage
    done: dict[str, Any] = {}

    def finished(name: str, info: Any) -> None:
        done[name] = info
        if on_stage is not None:
            on_stage(name, info)

    with wave_lock(wave, out_root):  # for the whole chain: a second run of the wave stops before it simulates
        raw = raw_root / wave
        if not raw.exists():
            finished("simulate", run_simulate(wave, branches=branches, seed=seed, out=raw, instruments_dir=instruments_dir,
                                              model_path=model_path))
        finished("ingest", run_ingest(raw, processed_root=processed_root, instruments_dir=instruments_dir))
        finished("score", run_score(processed_root / wave, instruments_dir=instruments_dir))
        finished("analyze", run_analyze_study(study, wave, processed_root=processed_root, out_root=out_root,
                                              instruments_dir=instruments_dir))
        if previous:
            finished("compare", run_compare_waves(wave, previous, processed_root=processed_root, out_root=out_root,
                                                  instruments_dir=instruments_dir, study_path=study))
        finished("report", run_report(wave, output_root=out_root, lang=lang, pdf=pdf, previous_wave=previous))
    return done

"""The paper stage: the tables and figures a researcher chose, as files that go straight into a manuscript.

Reads ``output/<wave>/results`` (the analyze stage) and the study file's ``paper:`` key; writes
``output/<wave>/paper/`` in one atomic step:

- ``paper.docx``: every chosen table, then every figure, on A4 (landscape sections for wide tables);
- ``paper.tex``: one document that compiles with XeLaTeX (``xelatex paper.tex``);
- ``paper.md``; ``tables/<name>.csv`` (the rendered cells); ``figures/<name>.png`` (300 dpi) and
  ``figures/<name>.pdf`` (vector); ``manifest.json`` (numbers, names, titles, source result tables).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import InputFileError

from .core import atomic_dir, lang_option, remove_stale_temporaries

__all__ = ["PaperResult", "run_paper"]

DEFAULT_STUDY = Path("surveys/study.yml")


@dataclass(frozen=True)
class PaperResult:
    """What ``run_paper`` wrote: the folder, the files, and the tables and figures in paper order."""

    out_dir: Path
    files: tuple[Path, ...]
    tables: tuple[str, ...]
    figures: tuple[str, ...]
    landscape: tuple[str, ...]

    def line(self) -> str:
        wide = f"; landscape: {', '.join(self.landscape)}" if self.landscape else ""
        return (f"paper: {len(self.tables)} tables, {len(self.figures)} figures → {self.out_dir} "
                f"(paper.docx, paper.tex, paper.md{wide})")


def _study_path(results: Path, study_path: Path | None) -> Path:
    if study_path is not None:
        return Path(study_path)
    info = json.loads((results / "results.json").read_text(encoding="utf-8"))
    recorded = Path(str((info.get("study") or {}).get("path") or ""))
    return recorded if recorded.name and recorded.is_file() else DEFAULT_STUDY


def run_paper(wave: str, *, output_root: Path = Path("output"), lang: str = "zh", layout: str | None = None,
              study_path: Path | None = None) -> PaperResult:
    """Write the paper's tables and figures of a wave's results to ``output_root/<wave>/paper``.

    Parameters
    ----------
    wave : the wave whose results (``output_root/<wave>/results``) go into the paper.
    output_root : root of the outputs.
    lang : {"zh", "en"} language of titles, labels and notes.
    layout : ``"three_line"`` or ``"apa"`` [default: the study file's ``paper.layout``, else
        three_line for zh and apa for en].
    study_path : the study file [default: the one the results were analysed with, else
        ``surveys/study.yml``]; its ``paper:`` key chooses the tables and figures.

    Returns
    -------
    PaperResult

    Raises
    ------
    InputFileError
        The wave has no results, or ``lang`` is unknown.
    StudyError
        ``paper:`` names a table or figure the results do not hold (one line, with the known names).
    """
    import matplotlib.pyplot as plt

    from analysis.report import atomic_write
    from analysis.report.paper import Paper
    from analysis.report.study import StudyReport
    from analysis.report.style import save_figure, use_style
    from analysis.report.tables import plan_table

    lang_option(lang)
    results = Path(output_root) / wave / "results"
    if not (results / "results.json").is_file():
        raise InputFileError(f"{results}: no results for wave {wave!r} (results.json missing); "
                             f"run 'hallperf analyze --wave {wave}' first")
    report = StudyReport(results, study_path=_study_path(results, study_path), lang=lang, wave=wave)
    paper = Paper(report, layout=layout)
    final = Path(output_root) / wave / "paper"
    remove_stale_temporaries(final)
    with atomic_dir(final) as tmp:
        png: dict[str, Path] = {}
        if paper.figures:
            use_style(lang)
        for figure in paper.figures:
            fig = figure.draw()
            try:
                saved = save_figure(fig, tmp / "figures" / figure.name, ("png", "pdf"))
            finally:
                plt.close(fig)
            png[figure.name] = next(p for p in saved if p.suffix == ".png")
        for table in paper.tables:
            atomic_write(tmp / "tables" / f"{table.name}.csv", paper.csv(table.name))
        atomic_write(tmp / "paper.docx", paper.docx(png))
        atomic_write(tmp / "paper.tex", paper.tex("figures"))
        atomic_write(tmp / "paper.md", paper.markdown("figures"))
        atomic_write(tmp / "manifest.json", json.dumps(paper.manifest(), ensure_ascii=False, indent=2) + "\n")
        names = sorted(p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file())
    landscape = tuple(t.name for t in paper.tables if plan_table(t).orientation == "landscape")
    return PaperResult(final, tuple(final / n for n in names), paper.spec.tables, paper.spec.figures, landscape)

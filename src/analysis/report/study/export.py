"""Writing the research report's tables and figures to files (CSV, Markdown, LaTeX, Word; PNG, SVG, PDF)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import atomic_write
from ..tables import DocxBuilder, RenderedTable, export_table
from .vocabulary import LAYOUTS

if TYPE_CHECKING:
    from .report import StudyReport


def export_report(r: StudyReport, out_dir: str | os.PathLike[str], *, layouts: Sequence[str] = LAYOUTS,
                  formats: Sequence[str] = ("csv", "md", "tex", "docx"),
                  figure_formats: Sequence[str] = ("png", "svg", "pdf")) -> list[Path]:
    """Write every table (per layout), ``tables.docx``, every figure and ``manifest.json``."""
    import matplotlib.pyplot as plt

    from ..style import save_figure, use_style

    bad = [x for x in layouts if x not in LAYOUTS]
    if bad:
        raise ValueError(f"layouts {bad} are not supported; use any of {LAYOUTS}")
    out = Path(out_dir)
    written: list[Path] = []
    manifest: dict[str, Any] = {"wave": r.wave, "lang": r.lang, "results": str(r.results_dir),
                                "tables": [], "figures": [], "missing": r.missing()}
    for table in r.tables():
        entry = {"number": table.number, "name": table.name, "section": table.section, "title": table.title,
                 "source": table.source, "files": []}
        for layout in layouts:
            files = export_table(table.frame, out / "tables" / f"{table.name}_{layout}", title=table.title,
                                 number=table.number, note=table.note, layout=layout, formats=formats,
                                 decimals={k: v for k, v in table.formats.items() if k in table.frame.columns},
                                 labels={k: v for k, v in table.labels.items() if k in table.frame.columns},
                                 star_columns=table.star_columns or None, drop=table.drop, lang=r.lang,
                                 label=table.name)
            written.extend(files.values())
            entry["files"] += [str(p.relative_to(out)) for p in files.values()]
        manifest["tables"].append(entry)
    if "docx" in formats:
        written.append(write_combined_docx(r, out / "tables.docx"))
    if figure_formats:
        use_style(r.lang)
        for fig_spec in r.figures():
            fig = fig_spec.draw()
            try:
                files = save_figure(fig, out / "figures" / fig_spec.name, figure_formats)
            finally:
                plt.close(fig)
            written.extend(files)
            manifest["figures"].append({"number": fig_spec.number, "name": fig_spec.name, "title": fig_spec.title,
                                        "files": [str(p.relative_to(out)) for p in files]})
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    written.append(atomic_write(out / "manifest.json", text))
    return written

def write_combined_docx(r: StudyReport, path: str | os.PathLike[str], *, layout: str = "apa") -> Path:
    """Every table in report order in one A4 Word document; a wide table gets a landscape section."""
    builder = DocxBuilder(lang=r.lang, layout=layout, title=r.study.title.get(r.lang))
    for table in r.tables():
        cells, header, numeric, note = table.render(r.lang)
        builder.add_table(RenderedTable(table.name, table.title, cells, header, numeric, note, table.number))
    return atomic_write(path, builder.to_bytes())


def dedupe(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}\u200b" * seen[n])
        else:
            seen[n] = 0
            out.append(n)
    return out


def export_study(results_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                 study_path: str | os.PathLike[str], lang: str = "zh",
                 layouts: Sequence[str] = LAYOUTS, formats: Sequence[str] = ("csv", "md", "tex", "docx"),
                 figure_formats: Sequence[str] = ("png", "svg", "pdf")) -> list[Path]:
    """Write every manuscript table and figure of a study's results.

    Parameters
    ----------
    results_dir : the analyze stage's folder (``output/<wave>/results``).
    out_dir : target folder (``output/<wave>/study``).
    study_path : the study file (``surveys/study.yml``) that names hypotheses and labels.
    lang : {"zh", "en"}
        Language of titles, column and variable labels and notes.
    layouts : subset of ("apa", "three_line")
    formats : subset of ("csv", "md", "tex", "docx")
    figure_formats : subset of ("png", "svg", "pdf"); empty for no figures.

    Returns
    -------
    list of Path
        Files written: ``tables/<name>_<layout>.<ext>`` for every table (by its stable name) and layout,
        ``tables.docx`` (every table in APA layout, in order), ``figures/<name>.<ext>`` and
        ``manifest.json`` (tables, figures, their sources and the numbers the results lack).
    """
    from .report import StudyReport

    report = StudyReport(results_dir, study_path=study_path, lang=lang)
    return report.export(out_dir, layouts=layouts, formats=formats, figure_formats=figure_formats)

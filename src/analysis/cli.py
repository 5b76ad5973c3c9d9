"""The ``hallperf`` command: one verb per stage, each a thin wrapper over one pipeline function.

Exit codes: 0 success; 2 with a one-line reason on bad input or when another process is working
on the wave (:mod:`analysis.pipeline.locks`); 1 when a report failed; 130 after Ctrl-C.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from analysis import console as say
from analysis.errors import HallperfError
from analysis.names import safe_name

app = typer.Typer(
    help="hallperf: survey research on business-hall marketing staff performance.\n\n"
    "Stages: simulate → ingest → score → analyze → report; 'run' chains them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,  # locals may hold respondents' data
)

INSTRUMENTS = typer.Option(Path("surveys"), "--instruments", help="Folder of instrument codebooks (*.yml).")


def _names(**options: str | None) -> None:
    """Wave names become folder names (``data/processed/WAVE``): refuse ``../x``, ``a/b``, ``CON``."""
    for option, value in options.items():
        if value is not None:
            safe_name(value, f"--{option}")


def _wave_lock(wave: str, out: Path = Path("output")):
    """The wave's lock (``OUT/WAVE/.lock``), held while a verb works on the wave."""
    from analysis.pipeline.locks import wave_lock

    return wave_lock(wave, out)


@app.command()
def simulate(
    wave: str = typer.Option(..., help="Name of the wave, e.g. 2026Q3."),
    branches: int = typer.Option(60, min=1, help="Number of branches."),
    seed: int = typer.Option(1, help="Random seed; the same seed gives the same files."),
    out: Optional[Path] = typer.Option(None, help="Output folder [default: data/raw/WAVE]."),
    start_month: str = typer.Option("2026-07", help="First month of the three-month wave (YYYY-MM)."),
    shift: list[str] = typer.Option([], help="Latent mean change for a follow-up wave, SCALE=SD (repeatable)."),
    excel: bool = typer.Option(False, help="Write the customer survey as .xlsx."),
    staff: Optional[int] = typer.Option(None, help="About this many staff respondents [default: from the model]."),
    customers: Optional[int] = typer.Option(None, help="About this many customer respondents [default: from the model]."),
    follow_up_of: Optional[Path] = typer.Option(None, help="Simulate the next wave of this simulated wave's folder: same branches and (mostly) staff, new answers."),
    turnover: Optional[float] = typer.Option(None, help="With --follow-up-of: share of staff replaced by new hires [default: from the model]."),
    actions: bool = typer.Option(False, "--actions", help="With --follow-up-of: branches adopt the model's actions; writes an action register with known effects."),
    model: Path = typer.Option(Path("surveys/simulation.yml"), help="Generating model."),
    overwrite: bool = typer.Option(False, help="Write into a folder that holds other files (real exports): "
                                   "simulate's files replace those of the same name, all others are kept."),
    instruments: Path = INSTRUMENTS,
) -> None:
    """Write a synthetic wave (raw exports + wave.yml + truth.json) with known truth.

    An existing folder is replaced only when simulate wrote all of it and nothing changed since;
    otherwise it is refused unless --overwrite.

    \b
    Examples:
      hallperf simulate --wave big --branches 2000 --staff 20000 --customers 200000 --seed 7
      hallperf simulate --wave sample2 --follow-up-of data/raw/sample --shift TD=0.5
      hallperf simulate --wave sample2 --follow-up-of data/raw/sample --actions
    """
    from analysis.pipeline import run_simulate
    from analysis.pipeline.simulated import install_simulated_wave
    from analysis.pipeline.waves import run_simulate_follow_up

    _names(wave=wave)
    shifts = {}
    for text in shift:
        code, _, value = text.partition("=")
        try:
            shifts[code] = float(value)
        except ValueError:
            raise HallperfError(f"--shift {text!r}: expected SCALE=NUMBER, e.g. TD=0.3") from None
    target = out or Path("data/raw") / wave
    if follow_up_of is not None:
        install_simulated_wave(target, lambda tmp: run_simulate_follow_up(
            wave, base_dir=follow_up_of, out=tmp, instruments_dir=instruments, model_path=model, shifts=shifts,
            turnover=turnover, excel_customers=excel, actions=actions), overwrite=overwrite)
        say.say(f"simulated wave '{wave}' as the follow-up of {follow_up_of} → {target}")
        return
    run_simulate(wave, branches=branches, seed=seed, out=target, instruments_dir=instruments, model_path=model,
                 start_month=start_month, shifts=shifts, excel_customers=excel, staff=staff, customers=customers,
                 overwrite=overwrite)
    say.say_simulated(wave, branches, seed, target)


def raw_wave_folder(wave: str, raw: Path) -> Path:
    """``--wave`` of ingest: a wave name (``raw/NAME``, as every other verb takes it) or a folder path."""
    named = raw / wave
    if named.is_dir():
        return named
    given = Path(wave)
    if given.is_dir():
        return given
    raise HallperfError(f"--wave {wave}: no wave folder {named} (nor a folder {given})")


@app.command()
def ingest(
    wave: str = typer.Option(..., help="Wave name (folder under --raw) or the folder of the wave's raw exports (with wave.yml)."),
    out: Path = typer.Option(Path("data/processed"), help="Root of processed data; writes OUT/<wave>/."),
    raw: Path = typer.Option(Path("data/raw"), help="Root of raw waves, for a wave given by name."),
    secret: Optional[Path] = typer.Option(None, help="Pseudonymisation key [default: $HALLPERF_SECRET, else "
                                          "PROJECT/.hallperf/secret.key, PROJECT being the folder holding surveys/]."),
    data_format: Optional[str] = typer.Option(None, "--format", help="Reader for every file: csv, xlsx, wjx, qualtrics, sav [default: detected]."),
    instruments: Path = INSTRUMENTS,
) -> None:
    """Validate, quarantine and pseudonymise a wave into tidy Parquet.

    Reads CSV (UTF-8 / GBK), Excel, 问卷星 (wjx) and Qualtrics exports and SPSS .sav files.

    \b
    Examples:
      hallperf ingest --wave sample
      hallperf ingest --wave /mnt/delivery/2026Q3
    """
    from analysis.pipeline import run_ingest
    from analysis.wave import wave_name

    folder = raw_wave_folder(wave, raw)
    with _wave_lock(wave_name(folder)):
        manifest = run_ingest(folder, processed_root=out, instruments_dir=instruments, secret_file=secret,
                              data_format=data_format)
    say.say_ingested(manifest, out)


@app.command()
def score(
    wave: str = typer.Option(..., help="Wave name (folder under --processed)."),
    processed: Path = typer.Option(Path("data/processed"), help="Root of processed data."),
    instruments: Path = INSTRUMENTS,
) -> None:
    """Reverse-key items, score scales and flag careless responding.

    \b
    Examples:
      hallperf score --wave sample
    """
    from analysis.pipeline import run_score

    _names(wave=wave)
    with _wave_lock(wave):
        info = run_score(processed / wave, instruments_dir=instruments)
    say.say_scored(info)


@app.command()
def analyze(
    study: Optional[Path] = typer.Option(None, help="Study file (hypotheses as models) [default with --wave: "
                                         "PROJECT/surveys/study.yml, PROJECT being the folder holding surveys/]."),
    wave: Optional[str] = typer.Option(None, help="The processed wave to analyse with the study file."),
    instrument: Optional[Path] = typer.Option(None, help="Without --study: a codebook (*.yml) for --data."),
    data: Optional[Path] = typer.Option(None, help="Without --study: a data file that follows --instrument."),
    group: Optional[str] = typer.Option(None, help="Without --study: column with the group (e.g. branch) for ICC/rwg."),
    data_format: Optional[str] = typer.Option(None, "--format", help="Without --study: reader for --data (csv, xlsx, …)."),
    n_boot: int = typer.Option(0, help="Without --study: bootstrap resamples for the alpha CI (0: Feldt CI only)."),
    seed: int = typer.Option(0, help="Without --study: random seed."),
    min_group_size: int = typer.Option(5, help="Without --study: minimum reporting group size k (>= 3)."),
    cfa_missing: str = typer.Option("fiml", help="Without --study: CFA missing data, fiml (lavaan's missing='fiml') or listwise."),
    cor_missing: str = typer.Option("pairwise", help="Without --study: correlations of KMO, Bartlett, EFA, omega_h, HTMT and "
                                    "Harman's test, pairwise (psych's use='pairwise') or listwise."),
    lang: str = typer.Option("zh", help="Without --study: language of OUT/report.html, zh or en."),
    out: Optional[Path] = typer.Option(None, help="Output folder [default: output/WAVE/results or output/INSTRUMENT]."),
    processed: Path = typer.Option(Path("data/processed"), help="Root of processed data."),
    instruments: Path = INSTRUMENTS,
) -> None:
    """Psychometrics and models: a whole study on a wave, or any instrument on any data file.

    Writes OUT/results.json and one CSV + Parquet per table; with --instrument also OUT/report.html
    and a summary per scale on the console.

    \b
    Examples:
      hallperf analyze --wave sample
      hallperf analyze --study surveys/study.yml --wave sample
      hallperf analyze --instrument my_survey.yml --data export.csv --group team --out output/my_survey
    """
    from analysis.pipeline import run_analyze_instrument, run_analyze_study

    _names(wave=wave)
    if study is not None or (wave is not None and instrument is None and data is None):
        if wave is None:
            raise HallperfError("--study needs --wave (the processed wave to analyse)")
        study = study or default_study()
        with _wave_lock(wave, out or Path("output")):
            info = run_analyze_study(study, wave, processed_root=processed, out_root=out or Path("output"),
                                     instruments_dir=instruments)
        target = (out or Path("output")) / wave / "results"
    elif instrument is not None and data is not None:
        target = out or Path("output") / instrument.stem
        if cfa_missing not in ("listwise", "fiml"):
            raise HallperfError(f"--cfa-missing {cfa_missing!r}: use fiml or listwise")
        if cor_missing not in ("pairwise", "listwise"):
            raise HallperfError(f"--cor-missing {cor_missing!r}: use pairwise or listwise")
        info = run_analyze_instrument(instrument, data, out=target, group=group, data_format=data_format,
                                      min_group_size=min_group_size, n_boot=n_boot, seed=seed, cfa_missing=cfa_missing,
                                      cor_missing=cor_missing, lang=lang)
    else:
        raise HallperfError("give --wave W (and --study FILE), or --instrument FILE --data FILE")
    if instrument is not None and study is None:
        for entry in info["inputs"]:
            say.say(f"{entry['file']}: {entry['rows_read']} rows read = {entry['rows_accepted']} accepted + "
                 f"{entry['rows_quarantined']} quarantined")
            say.say_input(entry)
        say.instrument_summary(target)
    say.say_analysed(info, target, report=(target / "report.html").is_file() and study is None)


def default_study() -> Path:
    """``surveys/study.yml`` of the project folder (the nearest folder at or above here holding surveys/)."""
    from analysis.project import Project, project_root

    root = project_root()
    return Project(root).study_path if root else Path("surveys/study.yml")


@app.command()
def report(
    wave: str = typer.Option(..., help="Wave whose results to report (run 'analyze' first)."),
    branch: list[str] = typer.Option([], help="Only these branch ids (repeatable) [default: all]."),
    lang: str = typer.Option("zh", help="Report language: zh or en."),
    workers: Optional[int] = typer.Option(None, help="Parallel workers [default: all cores]."),
    scheduler: Optional[str] = typer.Option(None, help="Address of a Dask distributed scheduler to send the work to."),
    pdf: bool = typer.Option(False, help="Also print each report to A4 PDF through headless Chromium."),
    force: bool = typer.Option(False, help="Redo reports whose inputs have not changed."),
    previous: Optional[str] = typer.Option(None, help="Previous wave, for the trend section."),
    out: Path = typer.Option(Path("output"), help="Output root (reads OUT/WAVE/results/)."),
) -> None:
    """The research report and one improvement report per branch, with an index.

    Reruns redo only missing, failed or outdated reports. One failing branch does not stop the
    others; failures are listed and the exit code is 1.

    \b
    Examples:
      hallperf report --wave sample --workers 2
      hallperf report --wave sample --branch B0001 --branch B0004 --lang en --pdf
    """
    from analysis.pipeline.core import lang_option
    from analysis.pipeline.report import run_report

    _names(wave=wave, previous=previous)
    lang_option(lang)  # before the lock creates OUT/WAVE
    with _wave_lock(wave, out):
        summary = run_report(wave, output_root=out, branches=branch or None, lang=lang, workers=workers,
                             scheduler=scheduler, pdf=pdf, force=force, previous_wave=previous)
    say.say_reported(summary)
    if summary.exit_code:
        raise typer.Exit(summary.exit_code)


@app.command()
def paper(
    wave: str = typer.Option(..., help="Wave whose results go into the paper (run 'analyze' first)."),
    lang: str = typer.Option("zh", help="Language of titles, labels and notes: zh or en."),
    layout: Optional[str] = typer.Option(None, help="three_line or apa [default: the study file's paper.layout, else three_line for zh, apa for en]."),
    study: Optional[Path] = typer.Option(None, help="Study file whose 'paper:' key chooses the tables and figures [default: the one the results were analysed with]."),
    out: Path = typer.Option(Path("output"), help="Output root; reads OUT/WAVE/results/, writes OUT/WAVE/paper/."),
) -> None:
    """The tables and figures chosen for a paper, numbered in the paper's order.

    Writes paper.docx (A4), paper.tex (XeLaTeX), paper.md, tables/NAME.csv and figures/NAME.png
    (300 dpi) + .pdf (vector). The study file's 'paper: {tables: [...], figures: [...]}' chooses them.

    \b
    Examples:
      hallperf paper --wave sample
      hallperf paper --wave sample --lang en --layout apa
    """
    from analysis.pipeline.core import lang_option
    from analysis.pipeline.paper import run_paper

    _names(wave=wave)
    lang_option(lang)  # before the lock creates OUT/WAVE
    with _wave_lock(wave, out):
        result = run_paper(wave, output_root=out, lang=lang, layout=layout, study_path=study)
    say.say(result.line())


@app.command()
def export(
    wave: str = typer.Option(..., help="Wave whose analysis-ready data to export."),
    to: str = typer.Option("sav,dta", help="Comma-separated formats: sav (SPSS), dta (Stata 14+)."),
    lang: str = typer.Option("zh", help="Language of variable and value labels: zh or en."),
    study: Path = typer.Option(Path("surveys/study.yml"), help="Study file."),
    out: Path = typer.Option(Path("output"), help="Output root; reads and writes OUT/WAVE/data/."),
    instruments: Path = INSTRUMENTS,
) -> None:
    """Analysis-ready data (scales, demographics, KPIs, branch aggregates) for SPSS and Stata.

    \b
    Examples:
      hallperf export --wave sample --to sav,dta --lang zh
    """
    from analysis.pipeline import run_export

    _names(wave=wave)
    with _wave_lock(wave, out):
        paths = run_export(wave, out_root=out, instruments_dir=instruments, study_path=study,
                           targets=tuple(t.strip() for t in to.split(",") if t.strip()), lang=lang)
    for path in paths:
        say.say(f"wrote {path}")


@app.command()
def waves(
    raw: Path = typer.Option(Path("data/raw"), help="Root of raw waves."),
    processed: Path = typer.Option(Path("data/processed"), help="Root of processed waves."),
) -> None:
    """List the study's waves with their periods, sizes and instrument versions.

    \b
    Examples:
      hallperf waves
    """
    from analysis.pipeline.waves import list_waves

    table = list_waves(raw, processed)
    if table.empty:
        say.say(f"no waves under {raw} or {processed}")
        return
    columns = [c for c in ("wave", "period_start", "period_end", "instrument", "instrument_version", "rows_read",
                           "rows_accepted", "rows_quarantined", "ingested", "scored", "problem") if c in table]
    typer.echo(table[columns].to_string(index=False))


@app.command()
def compare(
    wave: str = typer.Option(..., help="The current wave (already analysed)."),
    previous: str = typer.Option(..., help="The wave to compare with."),
    study: Path = typer.Option(Path("surveys/study.yml"), help="Study file."),
    previous_instruments: Optional[Path] = typer.Option(None, help="Codebooks of the previous wave, if they differ."),
    min_group_size: Optional[int] = typer.Option(None, help="Minimum reporting size k [default: the study's]."),
    alpha: float = typer.Option(0.05, help="Significance level (Holm-adjusted within a unit)."),
    processed: Path = typer.Option(Path("data/processed"), help="Root of processed data."),
    out: Path = typer.Option(Path("output"), help="Output root; adds tables to OUT/WAVE/results/."),
    instruments: Path = INSTRUMENTS,
) -> None:
    """Compare two waves: invariance per scale, then scale means by company, district and branch.

    Run it after 'analyze' (which replaces the results folder). Changes are tested only for
    scales whose scalar invariance holds; changed items are left out of trends.

    \b
    Examples:
      hallperf compare --wave sample2 --previous sample
    """
    from analysis.pipeline.waves import run_compare_waves

    _names(wave=wave, previous=previous)
    with _wave_lock(wave, out):
        info = run_compare_waves(wave, previous, processed_root=processed, out_root=out, instruments_dir=instruments,
                                 study_path=study, k=min_group_size, previous_instruments_dir=previous_instruments,
                                 alpha=alpha)
    say.say_compared(info, wave, previous, out)


@app.command()
def run(
    wave: str = typer.Option("sample", help="Wave name; simulated first when data/raw/WAVE is missing."),
    branches: int = typer.Option(60, help="Branches to simulate when the wave is missing."),
    seed: int = typer.Option(1, help="Seed for simulation."),
    study: Path = typer.Option(Path("surveys/study.yml"), help="Study file."),
    previous: Optional[str] = typer.Option(None, help="A previous (already processed) wave to compare with."),
    lang: str = typer.Option("zh", help="Report language: zh or en."),
    pdf: bool = typer.Option(False, help="Also print the reports to PDF (needs Chromium)."),
    instruments: Path = INSTRUMENTS,
) -> None:
    """Run the whole study on a wave: (simulate) → ingest → score → analyze → (compare) → report.

    \b
    Examples:
      hallperf run --wave sample
    """
    from analysis.pipeline.run import run_study

    _names(wave=wave, previous=previous)
    processed, out = Path("data/processed"), Path("output")

    def said(stage: str, info) -> None:
        if stage == "simulate":
            say.say_simulated(wave, branches, seed, info)
        elif stage == "ingest":
            say.say_ingested(info, processed)
        elif stage == "score":
            say.say_scored(info)
        elif stage == "analyze":
            say.say_analysed(info, out / wave / "results")
        elif stage == "compare":
            say.say_compared(info, wave, previous, out)
        else:
            say.say_reported(info)

    done = run_study(wave, study=study, instruments_dir=instruments, previous=previous, lang=lang, pdf=pdf,
                     branches=branches, seed=seed, processed_root=processed, out_root=out, on_stage=said)
    if done["report"].exit_code:
        raise typer.Exit(done["report"].exit_code)


def main() -> None:
    try:
        app()
    except HallperfError as exc:
        say.console.print(f"hallperf: error: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(2)
    except (KeyboardInterrupt, SystemExit) as exc:  # typer turns Ctrl-C inside a verb into exit 130, silently
        if isinstance(exc, SystemExit) and exc.code != 130:
            raise
        say.console.print("hallperf: interrupted; outputs are as before the run or complete, none half-written",
                      highlight=False, markup=False, soft_wrap=True)
        sys.exit(130)


if __name__ == "__main__":
    main()

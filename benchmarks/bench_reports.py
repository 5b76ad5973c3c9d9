"""Benchmark: the branch reports of a national-size wave, ``hallperf report`` against the plain way.

1. Builds a wave in a temporary folder with the pipeline's own stage functions, each timed:
   simulate (``hallperf simulate --branches N --staff 10N --customers 100N``, so N = 2,000 is the
   national wave of 20,000 staff and 200,000 customers), ingest, score, analyze (the bundled
   study, surveys/study.yml).
2. Candidate: :func:`analysis.pipeline.report.run_report` with ``--workers`` (default: all
   cores), i.e. what ``hallperf report`` runs: every branch report plus the index. Only the
   branch reports: the research report (``study.ipynb``) is left out of the notebook folder it
   is given. Wall time per report = wall time / N; peak memory = the largest sum of the resident
   memory of this process and all its descendants, sampled every 0.1 s with psutil.
3. Baseline, in the same run on the same branches: the plain papermill CLI then
   ``jupyter nbconvert --to html --no-input``, one subprocess each per report, one report after
   the other, with the parameters the candidate gave the same report (read from its executed
   notebook, so nothing here depends on what the report contains). Measured on the first
   ``--baseline-n`` branches and extrapolated linearly to N (said in the output).

Prints a labelled summary: stage times, per-report wall time of both ways, the ratio
(baseline / candidate per report; targets: <= 0.15 s per report and >= 30x), peak memory, and
the machine with its load average before and after.

Usage::

    python benchmarks/bench_reports.py [--branches 2000] [--workers 2] [--baseline-n 10]
        [--staff N] [--customers N] [--seed 7] [--keep DIR]

Needs ``pip install -e '.[bench]'`` (psutil, nbconvert).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SURVEYS = ROOT / "surveys"
NOTEBOOKS = ROOT / "notebooks"
BIN = Path(sys.executable).parent
WAVE = "bench"
TARGET_SECONDS, TARGET_RATIO = 0.15, 30.0

try:
    import psutil
except ImportError:  # pragma: no cover - the bench extra is not installed
    raise SystemExit("benchmarks need psutil: pip install -e '.[bench]'") from None


class PeakMemory:
    """Peak of the summed RSS of this process and its descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def stage(label: str, times: dict[str, float], run: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = run()
    times[label] = time.perf_counter() - start
    print(f"  {label:<9} {times[label]:8.1f} s", flush=True)
    return out


def build_wave(work: Path, branches: int, staff: int, customers: int, seed: int) -> tuple[dict[str, float], dict]:
    """simulate → ingest → score → analyze into ``work``; the stage times and the ingest manifest."""
    from analysis.pipeline import run_analyze_study, run_ingest, run_score, run_simulate

    times: dict[str, float] = {}
    raw = work / "raw" / WAVE
    stage("simulate", times, lambda: run_simulate(
        WAVE, branches=branches, seed=seed, out=raw, instruments_dir=SURVEYS, model_path=SURVEYS / "simulation.yml",
        staff=staff, customers=customers))
    manifest = stage("ingest", times, lambda: run_ingest(raw, processed_root=work / "processed", instruments_dir=SURVEYS,
                                                         secret_file=work / "secret.key"))
    stage("score", times, lambda: run_score(work / "processed" / WAVE, instruments_dir=SURVEYS))
    stage("analyze", times, lambda: run_analyze_study(SURVEYS / "study.yml", WAVE, processed_root=work / "processed",
                                                      out_root=work / "output", instruments_dir=SURVEYS))
    return times, manifest


def branch_notebooks(work: Path) -> Path:
    """notebooks/ without the research report: run_report then runs only the branch reports."""
    from analysis.pipeline.report import STUDY_TEMPLATE

    folder = work / "notebooks"
    folder.mkdir()
    for path in NOTEBOOKS.iterdir():
        if path.name != STUDY_TEMPLATE:
            (folder / path.name).symlink_to(path)
    return folder


def baseline(jobs: list[tuple[str, dict]], branches_dir: Path, out: Path) -> float:
    """papermill CLI + nbconvert CLI per report, sequentially; returns the wall time."""
    from analysis.pipeline.report import BRANCH_TEMPLATE

    out.mkdir(parents=True)
    start = time.perf_counter()
    for name, parameters in jobs:
        # the candidate's paths under its output folder point into the baseline's instead
        params = {k: v.replace(str(branches_dir), str(out)) if isinstance(v, str) else v for k, v in parameters.items()}
        nb = out / f"{name}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(NOTEBOOKS / BRANCH_TEMPLATE), str(nb), "--cwd", str(out),
                        "-y", json.dumps(params), "--no-progress-bar", "--log-level", "WARNING"],
                       check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
                       check=True, capture_output=True)
    return time.perf_counter() - start


def executed_parameters(summary: Any, nb_dir: Path, n: int) -> list[tuple[str, dict]]:
    """(name, parameters) of the first ``n`` reports the candidate wrote, from their notebooks."""
    import nbformat

    jobs = []
    for result in summary.branches:
        if result.status != "ok" or len(jobs) == n:
            continue
        nb = nbformat.read(nb_dir / f"{result.name}.ipynb", as_version=4)
        jobs.append((result.name, dict(nb.metadata["hallperf"]["parameters"])))
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=2000, help="branches in the wave = reports (default 2000)")
    parser.add_argument("--staff", type=int, default=None, help="staff respondents (default 10 per branch)")
    parser.add_argument("--customers", type=int, default=None, help="customer respondents (default 100 per branch)")
    parser.add_argument("--workers", type=int, default=None, help="report workers (default: all cores)")
    parser.add_argument("--baseline-n", type=int, default=10,
                        help="reports made the plain way, extrapolated to N (default 10)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="build in this (new) folder and keep it")
    args = parser.parse_args()
    n = args.branches
    staff, customers = args.staff or 10 * n, args.customers or 100 * n
    workers = args.workers or os.cpu_count() or 1

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=False)
    work = (args.keep or Path(tempfile.mkdtemp(prefix="bench_reports_"))).resolve()
    load_start = load()
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"cpu_count={os.cpu_count()} | python {platform.python_version()}")
    print(f"load average at start: {load_start}")
    try:
        print(f"wave: {n} branches, ~{staff} staff, ~{customers} customers (seed {args.seed}) in {work}")
        times, manifest = build_wave(work, n, staff, customers, args.seed)
        rows = {e["file"]: e["rows_accepted"] for e in manifest["inputs"]}
        print(f"  accepted rows: {', '.join(f'{k} {v}' for k, v in rows.items())}")

        from analysis.pipeline.report import run_report

        print(f"reports: {n} branch reports, {workers} workers; load average before: {load()}", flush=True)
        with PeakMemory() as mem:
            start = time.perf_counter()
            summary = run_report(WAVE, output_root=work / "output", workers=workers, notebooks_dir=branch_notebooks(work),
                                 progress=sys.stderr.isatty(), force=True)
            candidate = time.perf_counter() - start
        counts = summary.counts()
        if summary.study is not None:
            raise SystemExit("the research report ran too; the timing would not be per branch report")
        per_candidate = candidate / n
        print(f"  candidate (run_report, {workers} workers): {candidate:8.1f} s for {n} reports = "
              f"{per_candidate:.3f} s/report; peak memory {mem.peak / 2**20:,.0f} MiB; {counts['ok']} ok, "
              f"{counts['failed']} failed; load average after: {load()}", flush=True)
        for name, reason in summary.failed[:3]:
            print(f"    failed: {name}: {reason}")

        jobs = executed_parameters(summary, summary.branches_dir / "_notebooks", args.baseline_n)
        if not jobs:
            raise SystemExit("no report was written, so there is nothing to compare with")
        with PeakMemory() as mem_base:
            plain = baseline(jobs, summary.branches_dir, work / "baseline")
        per_plain = plain / len(jobs)
        print(f"  baseline (papermill CLI + nbconvert --no-input, sequential): {plain:8.1f} s for {len(jobs)} "
              f"reports = {per_plain:.3f} s/report; peak memory {mem_base.peak / 2**20:,.0f} MiB; "
              f"load average after: {load()}")

        ratio = per_plain / per_candidate
        subset = "" if len(jobs) == n else f" ({len(jobs)} measured, extrapolated linearly to {n})"
        print()
        print("== summary ==")
        print(f"machine           : {platform.node()} | {platform.platform()} | cpu_count={os.cpu_count()}")
        print(f"load average      : start {load_start} | end {load()}")
        print(f"wave              : {n} branches; " + ", ".join(f"{k} {v}" for k, v in rows.items()))
        print("stages            : " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
        print(f"candidate         : {candidate:.1f} s for {n} reports, {per_candidate:.3f} s/report "
              f"(target <= {TARGET_SECONDS} s: {'met' if per_candidate <= TARGET_SECONDS else 'NOT met'}), "
              f"{workers} workers, peak {mem.peak / 2**20:,.0f} MiB, {counts['failed']} failed")
        print(f"baseline          : {per_plain:.3f} s/report -> {per_plain * n:.0f} s for {n} reports{subset}")
        print(f"ratio             : {ratio:.1f}x baseline/candidate per report "
              f"(target >= {TARGET_RATIO:.0f}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'})")
        return 0 if counts["failed"] == 0 else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

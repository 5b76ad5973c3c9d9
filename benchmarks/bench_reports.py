"""Benchmark: N branch improvement reports, the plain way against ``analysis.report.batch``.

Uses the REAL template ``notebooks/branch_report.ipynb`` on the results of the bundled sample
wave (built into a temporary folder with ingest → score → analyze unless ``--results`` names an
existing ``output/<wave>/results`` folder). The N jobs cycle through the sample's branches,
each with its own output name and figure folder (``r000_B0001``, ``r001_B0002``, ...).

Baseline ("plain"): per report, the ``papermill`` CLI then the ``jupyter nbconvert --to html
--no-input`` CLI, one report after the other (a fresh Python and a fresh kernel per report).
It is measured on ``--sample`` reports and extrapolated linearly to N (said in the output).

Candidate ("batch"): :func:`analysis.report.batch.run_notebooks` with ``--workers`` worker
processes, each reusing one kernel, in-process HTML export (what ``hallperf report`` runs).

Prints reports/second, peak memory (sum of the resident memory of this process and all its
descendants, sampled every 0.1 s with psutil), the ratio, the machine, and checks that the PNG
figures of the same report are byte-identical both ways.

Usage::

    python benchmarks/bench_reports.py [--n 200] [--sample 10] [--workers 2]
        [--results output/sample/results] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil

from analysis.report.batch import Job, run_notebooks, summarize

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "branch_report.ipynb"
BIN = Path(sys.executable).parent


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


def build_results(work: Path) -> Path:
    """Results of the bundled sample wave (ingest → score → analyze) in ``work``."""
    from analysis.pipeline import run_analyze_study, run_ingest, run_score

    run_ingest(ROOT / "data" / "raw" / "sample", processed_root=work / "processed",
               instruments_dir=ROOT / "surveys", secret_file=work / "secret.key")
    run_score(work / "processed" / "sample", instruments_dir=ROOT / "surveys")
    run_analyze_study(ROOT / "surveys" / "study.yml", "sample", processed_root=work / "processed",
                      out_root=work / "output", instruments_dir=ROOT / "surveys")
    return work / "output" / "sample" / "results"


def make_jobs(results: Path, n: int, figures: Path) -> list[Job]:
    """N jobs cycling through the branches, parameters as ``hallperf report`` sets them."""
    ids = [str(b) for b in pd.read_parquet(results / "branch_summary.parquet")["branch_id"]]
    jobs = []
    for i in range(n):
        bid = ids[i % len(ids)]
        name = f"r{i:03d}_{bid}"
        jobs.append(Job(name, {"wave": "sample", "branch_id": bid, "lang": "zh",
                               "results_dir": str(results.resolve()),
                               "figure_dir": str(figures / name)}))
    return jobs


def with_figures(jobs: list[Job], figures: Path) -> list[Job]:
    return [Job(j.name, {**j.parameters, "figure_dir": str(figures / j.name)}) for j in jobs]


def plain_way(template: Path, jobs: list[Job], out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for j in jobs:
        nb = out / f"{j.name}.ipynb"
        cmd = [str(BIN / "papermill"), str(template), str(nb), "--cwd", str(out),
               "--no-progress-bar", "--log-level", "WARNING"]
        for key, value in j.parameters.items():
            cmd += ["-r", key, str(value)]  # -r: raw strings, as the batch passes them
        subprocess.run(cmd, check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(nb)], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="reports to produce (default 200)")
    parser.add_argument("--sample", type=int, default=10,
                        help="reports measured the plain way, extrapolated to N (default 10)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--results", type=Path, default=None,
                        help="an existing results folder of the sample wave (default: build one)")
    parser.add_argument("--keep", type=Path, default=None, help="keep outputs in this folder")
    args = parser.parse_args()
    sample = min(args.sample, args.n)

    work = Path(args.keep or tempfile.mkdtemp(prefix="bench_reports_"))
    if work.exists() and args.keep:
        shutil.rmtree(work / "plain", ignore_errors=True)
        shutil.rmtree(work / "batch", ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"cpus={os.cpu_count()} | python {platform.python_version()}")
    if args.results is None:
        t0 = time.perf_counter()
        results = build_results(work / "data")
        print(f"results of the sample wave built in {time.perf_counter() - t0:.1f} s (not timed below)")
    else:
        results = args.results.resolve()
    jobs = make_jobs(results, args.n, work / "batch" / "figures")
    print(f"template: {TEMPLATE.relative_to(ROOT)} (real branch report), N = {args.n}, "
          f"{len({j.parameters['branch_id'] for j in jobs})} distinct branches")

    plain_jobs = with_figures(jobs[:sample], work / "plain" / "figures")
    with PeakMemory() as mem_plain:
        plain_seconds = plain_way(TEMPLATE, plain_jobs, work / "plain")
    per_plain = plain_seconds / sample
    plain_total = per_plain * args.n
    note = "" if sample == args.n else f" (measured on {sample}, extrapolated to {args.n})"
    print(f"plain  (papermill CLI + nbconvert CLI, sequential): {plain_total:8.1f} s for "
          f"{args.n}{note}; {1 / per_plain:6.2f} reports/s; peak memory "
          f"{mem_plain.peak / 2**20:7.0f} MiB")

    with PeakMemory() as mem_batch:
        start = time.perf_counter()
        results_ = run_notebooks(TEMPLATE, jobs, work / "batch", workers=args.workers,
                                 notebook_dir=work / "batch" / "_notebooks", force=True,
                                 progress=sys.stderr.isatty())
        batch_seconds = time.perf_counter() - start
    print(f"batch  (run_notebooks, {args.workers} workers, reused kernels):   "
          f"{batch_seconds:8.1f} s for {args.n}; {args.n / batch_seconds:6.2f} reports/s; "
          f"peak memory {mem_batch.peak / 2**20:7.0f} MiB; {summarize(results_)}")

    ratio = plain_total / batch_seconds
    print(f"ratio plain/batch: {ratio:.1f}x (target >= 10x)")

    same = []
    for j in jobs[:sample]:
        a_dir = work / "plain" / "figures" / j.name
        b_dir = work / "batch" / "figures" / j.name
        names = sorted(p.name for p in a_dir.glob("*.png")) if a_dir.is_dir() else []
        same.append(bool(names) and names == sorted(p.name for p in b_dir.glob("*.png"))
                    and all((a_dir / n).read_bytes() == (b_dir / n).read_bytes() for n in names))
    n_png = sum(len(list((work / "plain" / "figures" / j.name).glob("*.png"))) for j in jobs[:sample])
    print(f"PNG figure bytes identical both ways: {sum(same)}/{len(same)} reports ({n_png} PNG files)")
    print(f"outputs: {work}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    ok = all(same) and all(r.status == "ok" for r in results_)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: N parameterised reports, the plain way against ``analysis.report.batch``.

Baseline ("plain"): per report, the ``papermill`` CLI then the ``jupyter nbconvert --to html
--no-input`` CLI, one report after the other (a fresh Python and a fresh kernel per report).
It is measured on ``--sample`` reports and extrapolated linearly to N (said in the output).

Candidate ("batch"): :func:`analysis.report.batch.run_notebooks` with ``--workers`` worker
processes, each reusing one kernel, in-process HTML export.

Prints reports/second, peak memory (sum of the resident memory of this process and all its
descendants, sampled every 0.1 s with psutil), the ratio, the machine, and checks that the PNG
figure of the same report is byte-identical both ways.

Usage::

    python benchmarks/bench_reports.py [--n 200] [--sample 10] [--workers 2]
        [--template tests/fixtures/notebooks/demo_report.ipynb] [--keep DIR]
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

import psutil

from analysis.report.batch import Job, run_notebooks, summarize

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEMPLATE = ROOT / "tests" / "fixtures" / "notebooks" / "demo_report.ipynb"
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


def job(i: int) -> Job:
    name = f"厅{i:04d}"
    return Job(name, {"branch": name, "score_shift": round((i % 7) / 10 - 0.3, 2)})


def plain_way(template: Path, jobs: list[Job], out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for j in jobs:
        nb = out / f"{j.name}.ipynb"
        cmd = [str(BIN / "papermill"), str(template), str(nb), "--cwd", str(out),
               "--no-progress-bar", "--log-level", "WARNING"]
        for key, value in j.parameters.items():
            cmd += ["-p", key, str(value)]
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
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--keep", type=Path, default=None, help="keep outputs in this folder")
    args = parser.parse_args()
    sample = min(args.sample, args.n)

    work = Path(args.keep or tempfile.mkdtemp(prefix="bench_reports_"))
    if work.exists() and args.keep:
        shutil.rmtree(work / "plain", ignore_errors=True)
        shutil.rmtree(work / "batch", ignore_errors=True)
    jobs = [job(i) for i in range(args.n)]

    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"cpus={os.cpu_count()} | python {platform.python_version()}")
    print(f"template: {args.template.name}, N = {args.n}")

    with PeakMemory() as mem_plain:
        plain_seconds = plain_way(args.template, jobs[:sample], work / "plain")
    per_plain = plain_seconds / sample
    plain_total = per_plain * args.n
    note = "" if sample == args.n else f" (measured on {sample}, extrapolated to {args.n})"
    print(f"plain  (papermill CLI + nbconvert CLI, sequential): {plain_total:8.1f} s for "
          f"{args.n}{note}; {1 / per_plain:6.2f} reports/s; peak memory "
          f"{mem_plain.peak / 2**20:7.0f} MiB")

    with PeakMemory() as mem_batch:
        start = time.perf_counter()
        results = run_notebooks(args.template, jobs, work / "batch", workers=args.workers,
                                force=True, progress=sys.stderr.isatty())
        batch_seconds = time.perf_counter() - start
    print(f"batch  (run_notebooks, {args.workers} workers, reused kernels):   "
          f"{batch_seconds:8.1f} s for {args.n}; {args.n / batch_seconds:6.2f} reports/s; "
          f"peak memory {mem_batch.peak / 2**20:7.0f} MiB; {summarize(results)}")

    ratio = plain_total / batch_seconds
    print(f"ratio plain/batch: {ratio:.1f}x (target >= 10x)")

    same = []
    for j in jobs[:sample]:
        a = work / "plain" / "figures" / f"{j.name}.png"
        b = work / "batch" / "figures" / f"{j.name}.png"
        same.append(a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes())
    print(f"PNG bytes identical both ways: {sum(same)}/{len(same)}")
    print(f"outputs: {work}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    ok = all(same) and all(r.status == "ok" for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

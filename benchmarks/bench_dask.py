"""Benchmark: the overhead per report of the dask path against the local process pool, one machine.

The same trivial notebooks (a parameters cell and one cell that prints), so that what is
measured is the batch machinery, not the report: :func:`analysis.pipeline.batch.run_notebooks`
with ``workers=W`` (the local pool: W spawned processes, each with a warm shell) against
``scheduler=`` a dask cluster of W single-threaded worker processes (``LocalCluster`` with
nannies, as ``dask worker --nthreads 1`` starts them; the scheduler in this process).

Each way runs a batch of W notebooks (one per worker: start-up) and a batch of N. A local
batch always starts its workers (spawn, imports, house style); dask workers live between
batches, so the dask path runs W notebooks on new workers ("cold": each worker imports papermill,
IPython and matplotlib), then W and N on the same workers ("warm", what a long-lived cluster
gives). Cluster start-up itself is not timed. The marginal cost per report is
``(T(N) - T(W)) / (N - W)``; the overhead of dask per report is the difference of the marginal
costs. Prints the machine and its load average before and after.

Usage::

    python benchmarks/bench_dask.py [--n 300] [--workers 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from analysis.pipeline.batch import Job, run_notebooks


def machine() -> str:
    return (f"{platform.platform()} | {platform.processor() or platform.machine()} | cpu_count={os.cpu_count()} | "
            f"python {platform.python_version()}")


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def trivial_template(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("n = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(n * 2)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "trivial.ipynb"
    nbformat.write(nb, path)
    return path


def timed(label: str, template: Path, n: int, out: Path, repeat: int, **how) -> float:
    """Fastest of ``repeat`` batches of ``n`` notebooks (each into a new folder: nothing is skipped)."""
    jobs = [Job(f"r{i:03d}", {"n": i}) for i in range(n)]
    times = []
    for k in range(repeat):
        start = time.perf_counter()
        results = run_notebooks(template, jobs, out / str(k), progress=False, **how)
        times.append(time.perf_counter() - start)
        bad = [r for r in results if r.status != "ok"]
        if bad:
            raise SystemExit(f"{label}: {len(bad)} notebooks failed: {bad[0].reason}")
    best = min(times)
    print(f"  {label:<34} {n:4d} notebooks {best:7.2f} s  {best / n * 1000:7.1f} ms each  "
          f"(best of {repeat}: {', '.join(f'{t:.2f}' for t in times)})")
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="notebooks in the large batch (default 300)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="local worker processes = dask worker processes (default: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="batches per measurement; the fastest counts")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    w, n = args.workers, max(args.n, args.workers + 1)
    work = Path(tempfile.mkdtemp(prefix="bench_dask_"))
    try:
        template = trivial_template(work)
        print(f"machine: {machine()}")
        print(f"trivial notebooks, {w} workers; {load()} before")
        r = args.repeat
        run_notebooks(template, [Job("warm-up")], work / "warm-up", workers=1, progress=False)  # file caches
        local_w = timed(f"local pool (workers={w})", template, w, work / "local_w", r, workers=w)
        local_n = timed(f"local pool (workers={w})", template, n, work / "local_n", r, workers=w)
        with LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            cold = timed("dask, new workers (cold)", template, w, work / "cold", 1, scheduler=client)
            warm_w = timed("dask, same workers (warm)", template, w, work / "warm_w", r, scheduler=client)
            warm_n = timed("dask, same workers (warm)", template, n, work / "warm_n", r, scheduler=client)
        print(f"  {load()} after")
        local_marginal, dask_marginal = (local_n - local_w) / (n - w), (warm_n - warm_w) / (n - w)
        print(f"start-up (one notebook per worker): local {local_w:.2f} s every batch; dask {cold:.2f} s on new "
              f"workers, {warm_w:.2f} s on running ones")
        print(f"marginal cost per notebook: local {local_marginal * 1000:.1f} ms, dask {dask_marginal * 1000:.1f} ms; "
              f"dask overhead per report {(dask_marginal - local_marginal) * 1000:+.1f} ms "
              f"(ratio {dask_marginal / local_marginal:.2f}x)")
        print(f"{n} notebooks, whole batch: local {local_n:.2f} s, dask on a running cluster {warm_n:.2f} s "
              f"(ratio {warm_n / local_n:.2f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

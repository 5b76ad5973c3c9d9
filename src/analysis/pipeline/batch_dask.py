"""The dask.distributed path of :func:`analysis.pipeline.batch.run_notebooks`.

Chunks of jobs go to the workers as tasks (at least one per dask thread); each task runs its
jobs one after the other in its worker process's shell (``batch._run_chunk``). Workers need the
file system of the outputs and this package (docs/distributed.md).

A worker that dies (killed, out of memory, a notebook that crashes the interpreter) fails the
job it was running, as the local process pool does, and nothing else: dask reruns the task of
a lost worker on another worker, so every job leaves a marker in a run folder beside the
notebooks, the worker when it starts and the result when it ends. The rerun returns the
results of the jobs that had finished, fails the job that was running ("died while running
it"; not retried, so a notebook that kills its worker cannot kill the next one too) and runs
the rest. A rerun of the batch retries the failed job, as always.

The run folder goes when the batch ends. Interrupted (Ctrl-C), waiting tasks are cancelled and
running ones stop after their current job, when they find the folder gone. When no worker is
left (none restarted by its nanny), the remaining tasks wait, as dask tasks do, for one to join.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from analysis.errors import HallperfError
from analysis.pipeline.batch import JobResult, _Config, _run_chunk

__all__ = ["earlier_try", "mark", "run_dask"]

_Item = tuple[int, str, dict, str, str]  # index, name, parameters, input hash, title


def mark(marker: Path, content: dict[str, Any]) -> bool:
    """Write a job's marker (``started``: worker; ``result``: JobResult); False if the run folder is gone.

    Written to a temporary name and renamed, so a rerun never reads half a marker; unlike
    :func:`analysis.atomic.atomic_write` it never re-creates the folder of a finished batch.
    """
    if isinstance(content.get("result"), JobResult):
        content = {"result": asdict(content["result"])}
    tmp = marker.with_name(f".{marker.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(content, default=str), "utf-8")
        os.replace(tmp, marker)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def earlier_try(marker: Path, name: str, digest: str) -> JobResult | None:
    """What an earlier try of the task left for a job: its result, a failure if it was running, or None."""
    try:
        data = json.loads(marker.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        data = {}
    if "result" in data:
        fields = data["result"]
        paths = {key: Path(fields[key]) if fields[key] else None for key in ("notebook", "html")}
        return JobResult(**{**fields, **paths})
    worker = str(data.get("started", "?"))
    return JobResult(name, "failed", f"dask worker {worker} died while running it (not retried in this run)",
                     0.0, None, None, digest, worker)


def run_dask(cfg: _Config, pending: list[_Item], scheduler: Any, chunk_size: int,
             bar: Any) -> list[tuple[int, JobResult]]:
    """Run the pending jobs on a dask cluster (``scheduler``: an address or a Client)."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # an optional extra
        raise HallperfError("reports on a dask cluster need dask.distributed: pip install 'hallperf[dask]'") from None

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    run_dir = Path(cfg.notebook_dir) / f".dask-run-{uuid.uuid4().hex[:12]}"
    run_dir.mkdir()
    futures: dict[Any, list[_Item]] = {}
    try:
        slots = max(1, sum(client.nthreads().values()))
        n_chunks = min(len(pending), max(slots, -(-len(pending) // max(1, chunk_size))))
        chunks = [pending[k::n_chunks] for k in range(n_chunks)]
        futures = {client.submit(_run_chunk, cfg, chunk, str(run_dir), pure=False): chunk for chunk in chunks}
        done: list[tuple[int, JobResult]] = []
        for future in as_completed(list(futures)):
            chunk = futures.pop(future)  # released once read: dask recomputes a held result whose worker dies
            try:
                done.extend(future.result())
            except Exception as err:  # e.g. KilledWorker: the task's workers died too often
                done.extend((i, earlier_try(run_dir / f"{name}.json", name, digest)
                             or JobResult(name, "failed", f"dask task failed: {err!r}", 0.0, None, None, digest))
                            for i, name, _, digest, _ in chunk)
            bar.advance(len(chunk))
        return done
    finally:
        if futures:  # interrupted: waiting tasks are cancelled; running ones stop after their job
            client.cancel(list(futures))
        shutil.rmtree(run_dir, ignore_errors=True)
        if client is not scheduler:
            client.close()

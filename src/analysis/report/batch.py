"""Run one papermill notebook template for many parameter sets, fast and safely.

Design
------
* Parallel workers (default: all cores), each a separate process that keeps ONE Jupyter kernel
  for all the notebooks it runs. The kernel outlives each papermill run because papermill is
  given a kernel manager it does not own (``execute_notebook(..., km=...)``).
* One kernel client per kernel, kept for the kernel's life. nbclient asks the kernel manager for
  a new client on every run and never stops a client of a kernel it does not own, so each run
  would leak a heartbeat thread and five ZMQ sockets and spend 0.2 s in ``wait_for_ready``; the
  manager here hands out one persistent client whose ``start_channels``/``wait_for_ready`` are
  idempotent, and closes it with the kernel.
* No state leaks between notebooks: before each notebook the kernel runs ``%reset -f`` (as
  ``get_ipython().reset(new_session=False)``, which is what the magic calls, 0.1 s faster) and
  :func:`kernel_reset` (close all figures, ``matplotlib.rcdefaults()``, pandas options, warning
  filters, ``sys.path``, ``os.environ`` and the working directory restored, house style
  re-applied). Imported modules stay loaded: that is where the speed comes from, and it means a
  template must not keep results in module-level state of imported modules.
* One failing notebook does not stop the others; each job reports ``ok``/``failed``/``skipped``
  with a reason and seconds. :func:`exit_code` gives the caller a non-zero code on any failure.
  After an error outside a cell (dead kernel, timeout, failed reset) the kernel is replaced.
* Reruns skip a job whose outputs exist and whose recorded input hash (parameters + caller
  fingerprint + template bytes) is unchanged. Every file is written atomically (temporary
  file + rename); the record ``<name>.run.json`` is written last.
* The template is only read. HTML without input code ``<name>.html`` (nbconvert
  ``HTMLExporter(exclude_input=True)`` in-process, offline template of
  :func:`analysis.report.html.notebook_html`) goes to ``output_dir``; the executed copies
  ``<name>.ipynb`` and the records go to ``notebook_dir`` (default: ``output_dir``). Execution counts are renumbered 1..n so a notebook does not show how many
  notebooks ran before it in the same kernel.
* Optional dask.distributed: ``scheduler=`` (an address or a ``distributed.Client``) submits
  chunks of jobs; each chunk runs in one kernel on a dask worker. Workers must see the same
  file system (output folder, template) and have this package installed.

This module imports only the standard library at import time (papermill, nbconvert and rich are
imported when a batch runs), so a kernel can import :func:`kernel_reset` cheaply.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import queue
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Job",
    "JobResult",
    "exit_code",
    "input_hash",
    "kernel_reset",
    "run_notebooks",
    "summarize",
]

STATUSES = ("ok", "failed", "skipped")
_NAME_OK = re.compile(r"^[^\W][\w.\-]*$")
_RECORD_SUFFIX = ".run.json"


@dataclass(frozen=True)
class Job:
    """One notebook run: a unique file-safe ``name``, papermill ``parameters`` and a fingerprint.

    ``fingerprint`` identifies the inputs the notebook reads (e.g. a hash of the result tables
    of the branch); it enters the input hash so a rerun happens when the data change.
    """

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    title: str = ""  # the HTML page title (default: ``name``); escaped on export


@dataclass(frozen=True)
class JobResult:
    """Outcome of one job. ``status`` is ``"ok"``, ``"failed"`` or ``"skipped"``."""

    name: str
    status: str
    reason: str
    seconds: float
    notebook: Path | None
    html: Path | None
    input_hash: str
    worker: str = ""


def input_hash(template_bytes: bytes, parameters: Mapping[str, Any], fingerprint: str = "") -> str:
    """SHA-256 over the parameters (canonical JSON), the caller's fingerprint and the template."""
    h = hashlib.sha256()
    h.update(json.dumps({"parameters": dict(parameters), "fingerprint": fingerprint},
                        sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    h.update(b"\0")
    h.update(template_bytes)
    return h.hexdigest()


def exit_code(results: Iterable[JobResult]) -> int:
    """0 if no job failed, else 1 (for the CLI's exit status)."""
    return 1 if any(r.status == "failed" for r in results) else 0


def summarize(results: Sequence[JobResult]) -> str:
    """One line: counts per status and the first failure's reason."""
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    line = ", ".join(f"{n} {s}" for s, n in counts.items())
    failed = [r for r in results if r.status == "failed"]
    if failed:
        line += f"; first failure: {failed[0].name}: {failed[0].reason}"
    return line


# --------------------------------------------------------------------------- kernel side
_SNAPSHOT: dict[str, Any] | None = None


def kernel_reset(cwd: str | None = None, style_lang: str | None = "zh") -> None:
    """Reset process state inside a reused kernel before the next notebook (run by the batch).

    The first call records the pristine state (warning filters, ``sys.path``, environment);
    later calls restore it. Then: working directory set to ``cwd``, all figures closed,
    ``matplotlib.rcdefaults()``, pandas options reset, and the house style re-applied
    (``style_lang=None`` skips the style). The user namespace is cleared by ``%reset -f``
    before this function runs.
    """
    import warnings

    global _SNAPSHOT
    if _SNAPSHOT is None:
        _SNAPSHOT = {"filters": list(warnings.filters), "path": list(sys.path),
                     "environ": dict(os.environ)}
    else:
        warnings.filters[:] = _SNAPSHOT["filters"]
        warnings._filters_mutated()  # type: ignore[attr-defined]  # invalidate the cache
        sys.path[:] = _SNAPSHOT["path"]
        if dict(os.environ) != _SNAPSHOT["environ"]:
            os.environ.clear()
            os.environ.update(_SNAPSHOT["environ"])
    if cwd is not None:
        os.chdir(cwd)
    if "matplotlib" in sys.modules:
        import matplotlib
        import matplotlib.pyplot as plt

        plt.close("all")
        matplotlib.rcdefaults()
    if "pandas" in sys.modules:
        import pandas as pd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pd.reset_option("all")
    if style_lang is not None:
        from analysis.report.style import use_style

        use_style(style_lang)


def _reset_code(cwd: str | None, style_lang: str | None) -> str:
    # ``shell.reset(new_session=False)`` is what ``%reset -f`` runs, without the magic's overhead
    return ("get_ipython().reset(new_session=False)\n"
            "__import__('analysis.report.batch', fromlist=['kernel_reset'])"
            f".kernel_reset({cwd!r}, {style_lang!r})\n")


# --------------------------------------------------------------------------- client side
def _kernel_manager_class() -> type:
    from jupyter_client.blocking.client import BlockingKernelClient
    from jupyter_client.manager import KernelManager

    class PersistentClient(BlockingKernelClient):
        """A client that survives many nbclient runs: starting it twice is a no-op."""

        _hp_ready = False

        def start_channels(self, *args: Any, **kwargs: Any) -> None:
            if not self.channels_running:
                super().start_channels(*args, **kwargs)

        def wait_for_ready(self, timeout: float | None = None) -> None:
            if not self._hp_ready:
                super().wait_for_ready(timeout=timeout)
                self._hp_ready = True

    class SharedClientKernelManager(KernelManager):
        """Hands out one persistent client per kernel (see the module docstring)."""

        _hp_client: Any = None

        def client(self, **kwargs: Any) -> Any:
            if self._hp_client is None:
                self.client_factory = PersistentClient
                self._hp_client = super().client(**kwargs)
            return self._hp_client

        def close_client(self) -> None:
            if self._hp_client is not None:
                self._hp_client.stop_channels()
                self._hp_client = None

    return SharedClientKernelManager


@dataclass
class _Config:
    template_text: str
    template_name: str
    output_dir: str
    notebook_dir: str
    kernel_name: str | None
    timeout: float | None
    start_timeout: float
    html: bool
    reuse_kernel: bool
    style_lang: str | None
    cwd: str


class _Runner:
    """Runs jobs one after another in one (reused) kernel. Lives in a worker process or thread."""

    def __init__(self, cfg: _Config) -> None:
        self.cfg = cfg
        self.km: Any = None
        self._km_class: type | None = None
        self.worker = f"{os.uname().nodename}:{os.getpid()}"

    # kernel lifecycle -----------------------------------------------------
    def _start_kernel(self) -> Any:
        if self._km_class is None:
            self._km_class = _kernel_manager_class()
        kwargs = {"kernel_name": self.cfg.kernel_name} if self.cfg.kernel_name else {}
        km = self._km_class(**kwargs)
        km.start_kernel(cwd=self.cfg.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.cfg.start_timeout)
        except Exception:
            self._stop(km)
            raise
        return km

    @staticmethod
    def _stop(km: Any) -> None:
        try:
            km.close_client()
        finally:
            try:
                km.shutdown_kernel(now=True)
            except Exception:  # pragma: no cover - the kernel is gone already
                pass

    def close(self) -> None:
        if self.km is not None:
            self._stop(self.km)
            self.km = None

    def _kernel(self) -> Any:
        if self.km is not None and not self.km.is_alive():
            self.close()
        if self.km is None:
            self.km = self._start_kernel()
        return self.km

    def _reset(self, km: Any) -> None:
        kc = km.client()
        reply = kc.execute_interactive(_reset_code(self.cfg.cwd, self.cfg.style_lang),
                                       store_history=False, allow_stdin=False,
                                       timeout=self.cfg.start_timeout,
                                       output_hook=lambda msg: None)
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"kernel reset failed: {content.get('ename')}: "
                               f"{content.get('evalue')}")

    # one job --------------------------------------------------------------
    def run(self, name: str, parameters: Mapping[str, Any], digest: str, title: str = "") -> JobResult:
        import nbformat
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        from . import atomic_write

        out = Path(self.cfg.output_dir)
        nbs = Path(self.cfg.notebook_dir)
        nb_path = nbs / f"{name}.ipynb"
        html_path = out / f"{name}.html"
        record = nbs / f"{name}{_RECORD_SUFFIX}"
        for stale in (record, html_path):
            stale.unlink(missing_ok=True)
        tmp = nbs / f".{name}.{os.getpid()}.tmp.ipynb"
        start = time.perf_counter()
        fresh_km = None
        try:
            nb = nbformat.reads(self.cfg.template_text, as_version=4)
            if self.cfg.reuse_kernel:
                km = self._kernel()
                self._reset(km)
            else:
                km = fresh_km = self._start_kernel()
            executed = pm.execute_notebook(
                nb, str(tmp), parameters=dict(parameters), kernel_name=self.cfg.kernel_name,
                km=km, progress_bar=False, request_save_on_cell_execute=False,
                execution_timeout=self.cfg.timeout, start_timeout=self.cfg.start_timeout,
                log_output=False)
        except PapermillExecutionError as err:
            reason = f"{err.ename}: {err.evalue} (cell {err.exec_count})"
            if tmp.exists():  # keep the notebook with its traceback; no record, so reruns
                os.replace(tmp, nb_path)
            return self._result(name, "failed", reason, start, nb_path if nb_path.exists()
                                else None, None, digest)
        except Exception as err:  # dead kernel, timeout, failed reset: replace the kernel
            if fresh_km is None:
                self.close()
            tmp.unlink(missing_ok=True)
            reason = f"{type(err).__name__}: {err}".strip()
            return self._result(name, "failed", reason, start, None, None, digest)
        finally:
            if fresh_km is not None:
                self._stop(fresh_km)
        try:
            tmp.unlink(missing_ok=True)
            _renumber(executed)
            executed.metadata["hallperf"] = {"input_hash": digest, "template": self.cfg.template_name,
                                             "parameters": dict(parameters)}
            atomic_write(nb_path, nbformat.writes(executed))
            if self.cfg.html:
                atomic_write(html_path, self._html(executed, title or name))
            seconds = time.perf_counter() - start
            atomic_write(record, json.dumps({
                "name": name, "input_hash": digest, "status": "ok", "seconds": round(seconds, 3),
                "template": self.cfg.template_name, "notebook": nb_path.name,
                "html": html_path.name if self.cfg.html else None}, ensure_ascii=False, indent=1))
        except Exception as err:
            reason = f"export failed: {type(err).__name__}: {err}"
            return self._result(name, "failed", reason, start, None, None, digest)
        return self._result(name, "ok", "", start, nb_path,
                            html_path if self.cfg.html else None, digest)

    def _html(self, nb: Any, title: str) -> str:
        from .html import notebook_html

        return notebook_html(nb, title=title, lang=self.cfg.style_lang)

    def _result(self, name: str, status: str, reason: str, start: float, nb: Path | None,
                html: Path | None, digest: str) -> JobResult:
        return JobResult(name, status, reason, round(time.perf_counter() - start, 3), nb, html,
                         digest, self.worker)


def _renumber(nb: Any) -> None:
    count = 0
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and cell.get("execution_count") is not None:
            count += 1
            cell["execution_count"] = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count


def _quiet_logs() -> None:
    logging.getLogger("papermill").setLevel(logging.WARNING)
    logging.getLogger("traitlets").setLevel(logging.ERROR)


def _run_chunk(cfg: _Config, items: Sequence[tuple[int, str, dict, str, str]]) -> list[tuple[int, JobResult]]:
    """Run a list of jobs in one kernel (used in-process and by dask tasks)."""
    _quiet_logs()
    runner = _Runner(cfg)
    try:
        return [(i, runner.run(name, params, digest, title)) for i, name, params, digest, title in items]
    finally:
        runner.close()


def _process_worker(cfg: _Config, tasks: Any, results: Any) -> None:
    """Worker process: one kernel, jobs from a shared queue until a ``None`` sentinel."""
    _quiet_logs()
    runner = _Runner(cfg)
    try:
        while True:
            item = tasks.get()
            if item is None:
                break
            index, name, params, digest, title = item
            results.put(("start", index, os.getpid()))
            try:
                result = runner.run(name, params, digest, title)
            except BaseException as err:  # pragma: no cover - defensive: never lose a job
                result = JobResult(name, "failed", f"worker error: {err!r}", 0.0, None, None,
                                   digest, runner.worker)
                traceback.print_exc()
            results.put(("done", index, result))
    finally:
        runner.close()


# --------------------------------------------------------------------------- orchestration
def run_notebooks(template: str | os.PathLike[str], jobs: Iterable[Job | Mapping[str, Any]],
                  output_dir: str | os.PathLike[str], *, workers: int | None = None,
                  reuse_kernel: bool = True, scheduler: Any = None, chunk_size: int = 25,
                  kernel_name: str | None = None, timeout: float | None = 600,
                  start_timeout: float = 60, html: bool = True, force: bool = False,
                  style_lang: str | None = "zh", cwd: str | os.PathLike[str] | None = None,
                  progress: bool = True,
                  notebook_dir: str | os.PathLike[str] | None = None) -> list[JobResult]:
    """Execute ``template`` once per job with papermill and export each result to HTML.

    Parameters
    ----------
    template : path to the ``.ipynb`` template (only read; a ``parameters``-tagged cell).
    jobs : iterable of :class:`Job` (or mappings with keys ``name``, ``parameters``,
        ``fingerprint``). Names must be unique and file-safe (letters incl. CJK, digits,
        ``_ . -``).
    output_dir : folder for ``<name>.html`` (and, without ``notebook_dir``, for the executed
        ``<name>.ipynb`` and the record ``<name>.run.json``).
    workers : parallel local worker processes (default ``os.cpu_count()``); ``1`` runs in this
        process. Ignored when ``scheduler`` is given.
    reuse_kernel : keep one kernel per worker (True) or start a fresh kernel per job (False,
        the slow reference behaviour of ``papermill`` without ``km``).
    scheduler : a dask.distributed ``Client`` or scheduler address; jobs are submitted in chunks
        of at most ``chunk_size`` (at least one chunk per dask thread), one kernel per chunk.
    kernel_name : Jupyter kernel (default: the template's kernelspec).
    timeout : seconds per cell before the job fails (None: no limit).
    html : also write the HTML export without input code.
    force : rerun even when outputs with the same input hash exist.
    style_lang : language of the house style re-applied at each kernel reset (None: only reset
        matplotlib to its defaults).
    cwd : working directory of the notebooks (default ``output_dir``).
    progress : show a progress bar (rich) on stderr.
    notebook_dir : folder for the executed notebooks and run records (default ``output_dir``).

    Returns
    -------
    list of JobResult
        In the order of ``jobs``. Use :func:`exit_code` for the process status.
    """
    template_path = Path(template)
    if not template_path.is_file():
        raise FileNotFoundError(f"notebook template {template_path} does not exist")
    template_bytes = template_path.read_bytes()
    job_list = [_as_job(j) for j in jobs]
    names = [j.name for j in job_list]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"job names must be unique; repeated: {dupes}")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    nbs = Path(notebook_dir) if notebook_dir is not None else out
    nbs.mkdir(parents=True, exist_ok=True)
    if nbs.resolve() == template_path.resolve().parent and any(
            n == template_path.stem for n in names):
        raise ValueError(f"job name {template_path.stem!r} would overwrite the template; "
                         "rename the job or use another output_dir")
    if workers is not None and workers < 1:
        raise ValueError(f"workers={workers} must be at least 1")
    cfg = _Config(template_text=template_bytes.decode("utf-8"), template_name=template_path.name,
                  output_dir=str(out.resolve()), notebook_dir=str(nbs.resolve()),
                  kernel_name=kernel_name, timeout=timeout,
                  start_timeout=start_timeout, html=html, reuse_kernel=reuse_kernel,
                  style_lang=style_lang, cwd=str(Path(cwd).resolve() if cwd else out.resolve()))

    results: list[JobResult | None] = [None] * len(job_list)
    pending: list[tuple[int, str, dict, str, str]] = []
    for i, job in enumerate(job_list):
        digest = input_hash(template_bytes, job.parameters, job.fingerprint)
        if not force and _is_current(out, nbs, job.name, digest, html):
            results[i] = JobResult(job.name, "skipped", "outputs up to date (same input hash)",
                                   0.0, nbs / f"{job.name}.ipynb",
                                   out / f"{job.name}.html" if html else None, digest)
        else:
            pending.append((i, job.name, dict(job.parameters), digest, job.title))

    with _Progress(len(job_list), enabled=progress) as bar:
        bar.advance(len(job_list) - len(pending))
        if pending:
            if scheduler is not None:
                done = _run_dask(cfg, pending, scheduler, chunk_size, bar)
            elif (workers or os.cpu_count() or 1) == 1 or len(pending) == 1:
                done = []
                _quiet_logs()
                runner = _Runner(cfg)
                try:
                    for i, name, params, digest, title in pending:
                        done.append((i, runner.run(name, params, digest, title)))
                        bar.advance(1)
                finally:
                    runner.close()
            else:
                n = min(workers or os.cpu_count() or 1, len(pending))
                done = _run_processes(cfg, pending, n, bar)
            for i, result in done:
                results[i] = result
    return [r for r in results if r is not None]


def _as_job(job: Job | Mapping[str, Any]) -> Job:
    if isinstance(job, Job):
        result = job
    elif isinstance(job, Mapping):
        try:
            result = Job(name=job["name"], parameters=dict(job.get("parameters", {})),
                         fingerprint=str(job.get("fingerprint", "")), title=str(job.get("title", "")))
        except KeyError:
            raise KeyError(f"job {dict(job)!r} has no 'name'; give each job a file-safe name") from None
    else:
        raise TypeError(f"a job must be a Job or a mapping, not {type(job).__name__}")
    if not isinstance(result.name, str) or not _NAME_OK.match(result.name):
        raise ValueError(f"job name {result.name!r} is not file-safe; use letters (CJK allowed), "
                         "digits, '_', '.' and '-', starting with a letter or digit")
    return result


def _is_current(out: Path, nbs: Path, name: str, digest: str, html: bool) -> bool:
    record = nbs / f"{name}{_RECORD_SUFFIX}"
    try:
        data = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    if data.get("input_hash") != digest or data.get("status") != "ok":
        return False
    needed = [nbs / f"{name}.ipynb"] + ([out / f"{name}.html"] if html else [])
    return all(p.is_file() for p in needed)


def _run_processes(cfg: _Config, pending: list[tuple[int, str, dict, str, str]], n: int,
                   bar: _Progress) -> list[tuple[int, JobResult]]:
    ctx = mp.get_context("spawn")  # no fork of a process that may hold threads and sockets
    tasks = ctx.Queue()
    results = ctx.Queue()
    for item in pending:
        tasks.put(item)
    for _ in range(n):
        tasks.put(None)
    by_index = {i: (name, digest) for i, name, _, digest, _ in pending}
    procs = [ctx.Process(target=_process_worker, args=(cfg, tasks, results), daemon=True)
             for _ in range(n)]
    for p in procs:
        p.start()
    inflight: dict[int, int] = {}  # pid -> job index
    done: dict[int, JobResult] = {}
    try:
        while len(done) < len(pending):
            try:
                kind, index, payload = results.get(timeout=0.5)
            except queue.Empty:
                for k, p in enumerate(procs):
                    if p.is_alive() or p.pid not in inflight:
                        continue
                    index = inflight.pop(p.pid)
                    name, digest = by_index[index]
                    done[index] = JobResult(name, "failed",
                                            f"worker process died (exit code {p.exitcode})",
                                            0.0, None, None, digest, f"pid {p.pid}")
                    bar.advance(1)
                    replacement = ctx.Process(target=_process_worker, args=(cfg, tasks, results),
                                              daemon=True)
                    replacement.start()
                    procs[k] = replacement
                if not any(p.is_alive() for p in procs) and results.empty():
                    for i, name, _, digest, _ in pending:
                        if i not in done:
                            done[i] = JobResult(name, "failed", "no worker left to run it", 0.0,
                                                None, None, digest)
                    break
                continue
            if kind == "start":
                inflight[payload] = index
            else:
                inflight = {pid: i for pid, i in inflight.items() if i != index}
                done[index] = payload
                bar.advance(1)
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():  # pragma: no cover
                p.terminate()
                p.join()
    return sorted(done.items())


def _run_dask(cfg: _Config, pending: list[tuple[int, str, dict, str, str]], scheduler: Any,
              chunk_size: int, bar: _Progress) -> list[tuple[int, JobResult]]:
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        threads = max(1, sum(client.nthreads().values()))
        n_chunks = max(threads, -(-len(pending) // max(1, chunk_size)))
        n_chunks = min(n_chunks, len(pending))
        chunks = [pending[k::n_chunks] for k in range(n_chunks)]
        futures = {client.submit(_run_chunk, cfg, chunk, pure=False): chunk for chunk in chunks}
        done: list[tuple[int, JobResult]] = []
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                done.extend(future.result())
            except Exception as err:
                for i, name, _, digest, _ in chunk:
                    done.append((i, JobResult(name, "failed", f"dask task failed: {err!r}", 0.0,
                                              None, None, digest)))
            bar.advance(len(chunk))
        return done
    finally:
        if client is not scheduler:
            client.close()


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and total > 0
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._progress = Progress(TextColumn("reports"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), TimeRemainingColumn(),
                                      console=Console(stderr=True), transient=False)
            self._progress.start()
            self._task = self._progress.add_task("reports", total=self.total)
        return self

    def advance(self, n: int) -> None:
        if self._progress is not None and n:
            self._progress.advance(self._task, n)

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()

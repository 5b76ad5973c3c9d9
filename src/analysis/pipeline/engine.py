"""A papermill engine that runs notebook cells in this process, in one warm IPython shell.

papermill still parameterises every notebook (it injects the ``parameters``, records timings and
raises :class:`papermill.exceptions.PapermillExecutionError` on a failed cell); only the
execution differs from papermill's default ``nbclient`` engine: instead of a Jupyter kernel in
another process, reached by ZeroMQ messages for every cell, the cells run in an IPython
``InteractiveShell`` inside the worker process. Heavy imports happen once per worker and there is
no message traffic, which is what makes thousands of reports cheap (benchmarks/bench_reports.py).
The same notebook runs unchanged in JupyterLab's kernel.

Outputs are recorded as a kernel would send them (``stream``, ``display_data``,
``execute_result``, ``error``), in the order they are produced. Magics work (``%matplotlib
inline`` included). Between notebooks :func:`reset_state` clears the user namespace and restores
the process state a notebook may change (working directory, warning filters, ``sys.path``,
environment, pandas options, matplotlib figures and rcParams, the house style).

Limits: one shell per process, so notebooks of one process run one at a time (a lock guards it,
for dask workers with several threads); the per-cell ``timeout`` needs the main thread (a timer
signal), elsewhere cells run without one; a notebook that crashes the interpreter takes its
worker process with it (the batch then marks the job failed and starts a new worker).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import warnings
from typing import Any

from papermill.engines import Engine, papermill_engines

ENGINE_NAME = "hallperf"

__all__ = ["ENGINE_NAME", "CellTimeout", "InProcessEngine", "reset_state", "shell"]


class CellTimeout(Exception):
    """A cell ran longer than the batch's per-cell timeout."""


_LOCK = threading.RLock()
_SHELL: Any = None
_OUTPUTS: list[dict] | None = None  # the running cell's outputs
_SNAPSHOT: dict[str, Any] | None = None
#: The notebook the engine ran last, as executed (also when a cell failed: its traceback is in it).
last_notebook: Any = None


def _record(output: dict) -> None:
    if _OUTPUTS is None:
        return
    if output["output_type"] == "stream" and _OUTPUTS and _OUTPUTS[-1]["output_type"] == "stream" \
            and _OUTPUTS[-1]["name"] == output["name"]:
        _OUTPUTS[-1]["text"] += output["text"]
    else:
        _OUTPUTS.append(output)


class _Stream:
    """``sys.stdout``/``sys.stderr`` while a cell runs: text becomes ``stream`` outputs."""

    encoding = "utf-8"

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        if text:
            _record({"output_type": "stream", "name": self.name, "text": str(text)})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _shell() -> Any:
    """The process's shell, created on first use with output-recording hooks."""
    global _SHELL
    if _SHELL is not None:
        return _SHELL
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type

    class Hook(DisplayHook):
        """The value of a cell's last expression becomes an ``execute_result``."""

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: dict, md_dict: dict | None = None) -> None:
            _record({"output_type": "execute_result", "data": format_dict, "metadata": md_dict or {}})

        def finish_displayhook(self) -> None:
            pass

    class Publisher(DisplayPublisher):
        """``display(...)`` becomes a ``display_data`` output."""

        def publish(self, data: dict, metadata: dict | None = None, source: Any = None, *,
                    transient: dict | None = None, update: bool = False, **kwargs: Any) -> None:
            _record({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait: bool = False) -> None:
            if _OUTPUTS is not None:
                _OUTPUTS.clear()

    class Shell(InteractiveShell):
        displayhook_class = Type(Hook)
        display_pub_class = Type(Publisher)

        def enable_gui(self, gui: str | None = None) -> None:
            pass  # the inline backend needs no event loop (as in ipykernel)

        def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
            _record({"output_type": "error", "ename": getattr(etype, "__name__", str(etype)),
                     "evalue": str(evalue), "traceback": list(stb)})

    from traitlets.config import Config

    # no history database (a worker runs thousands of notebooks; nothing needs their history)
    main = sys.modules.get("__main__")
    _SHELL = Shell.instance(config=Config({"HistoryManager": {"enabled": False}}), colors="nocolor")
    # IPython installs its user module as __main__; the host keeps its own between cells (a
    # spawned multiprocessing child re-imports the parent's __main__)
    sys.modules["__main__"] = main
    # figures as outputs, as in a Jupyter kernel: the inline backend, chosen when pyplot is imported
    inline = "module://matplotlib_inline.backend_inline"
    if "matplotlib.pyplot" in sys.modules:
        _SHELL.enable_matplotlib("inline")
    elif "matplotlib" in sys.modules:  # it read MPLBACKEND when imported; pyplot will use this one
        import matplotlib

        matplotlib.use(inline)
    else:
        os.environ["MPLBACKEND"] = inline
    return _SHELL


def shell() -> Any:
    """The in-process IPython shell of this process (created on first use)."""
    with _LOCK:
        return _shell()


def _on_timeout(signum: int, frame: Any) -> None:
    raise CellTimeout("cell timed out")


def run_cell(source: str, *, timeout: float | None = None) -> list[dict]:
    """Run one cell's source in the shell; return its outputs as nbformat dicts."""
    global _OUTPUTS
    with _LOCK:
        sh = _shell()
        outputs: list[dict] = []
        _OUTPUTS = outputs
        timed = bool(timeout) and threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGALRM, _on_timeout) if timed else None
        stdout, stderr, main = sys.stdout, sys.stderr, sys.modules.get("__main__")
        sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
        sys.modules["__main__"] = sh.user_module
        try:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, float(timeout))
            sh.run_cell(source, store_history=False, silent=False)
        finally:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            sys.stdout, sys.stderr = stdout, stderr
            sys.modules["__main__"] = main
            _OUTPUTS = None
        return outputs


class InProcessEngine(Engine):
    """papermill engine ``hallperf``: executes the code cells with :func:`run_cell`."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, execution_timeout: float | None = None,
                                 **kwargs: Any) -> None:
        import nbformat

        global last_notebook
        last_notebook = nb_man.nb
        count = 0
        for index, cell in enumerate(nb_man.nb.cells):
            if cell.get("cell_type") != "code":
                continue
            nb_man.cell_start(cell, index)
            count += 1
            cell.execution_count = count
            cell.outputs = [nbformat.from_dict(o) for o in run_cell(cell.source, timeout=execution_timeout)]
            for output in cell.outputs:
                if "execution_count" in output or output.output_type == "execute_result":
                    output["execution_count"] = count
            failed = any(o.output_type == "error" for o in cell.outputs)
            if failed:
                nb_man.cell_exception(cell, index)
            nb_man.cell_complete(cell, index)
            if failed:  # papermill raises PapermillExecutionError from the error output
                break


papermill_engines.register(ENGINE_NAME, InProcessEngine)


def _pandas_options() -> dict[str, Any]:
    import pandas as pd

    keys = pd._config.config._registered_options  # noqa: SLF001 - the only list of option names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {k: pd.get_option(k) for k in keys}


def reset_state(cwd: str | None = None, style_lang: str | None = "zh") -> None:
    """Give the next notebook a clean process: what a fresh kernel would have, imports aside.

    The first call records the pristine state; later calls clear the user namespace and
    restore it: warning filters, ``sys.path``, environment, pandas options (only those changed,
    which is much faster than ``pd.reset_option("all")``), matplotlib figures and rcParams; then
    the working directory is set to ``cwd`` and the house style re-applied (``style_lang=None``
    skips it). Imported modules stay loaded: that is where the speed comes from, so a template
    must not keep results in module-level state of imported modules.
    """
    global _SNAPSHOT
    with _LOCK:
        sh = _shell()
        if _SNAPSHOT is None:
            # pandas is imported here so that its pristine options are known before any notebook
            _SNAPSHOT = {"filters": list(warnings.filters), "path": list(sys.path), "environ": dict(os.environ),
                         "pandas": _pandas_options()}
        else:
            # the user's names go; IPython's own (get_ipython, In, Out, ...) stay. shell.reset()
            # would do the same plus a full gc.collect(), which costs 0.15 s per notebook.
            hidden = sh.user_ns_hidden
            for key in [k for k in sh.user_ns if k not in hidden]:
                del sh.user_ns[key]
            sh.user_ns["_oh"].clear()
            warnings.filters[:] = _SNAPSHOT["filters"]
            warnings._filters_mutated()  # type: ignore[attr-defined]  # invalidate the filter cache
            sys.path[:] = _SNAPSHOT["path"]
            if dict(os.environ) != _SNAPSHOT["environ"]:
                os.environ.clear()
                os.environ.update(_SNAPSHOT["environ"])
            import pandas as pd

            for key, value in _pandas_options().items():
                if key in _SNAPSHOT["pandas"] and value != _SNAPSHOT["pandas"][key]:
                    pd.set_option(key, _SNAPSHOT["pandas"][key])
        if cwd is not None:
            os.chdir(cwd)
        if "matplotlib.pyplot" in sys.modules:
            import matplotlib
            import matplotlib.pyplot as plt

            plt.close("all")
            matplotlib.rcdefaults()
        if style_lang is not None:
            from analysis.report.style import use_style

            use_style(style_lang)

"""Faults during a report batch: Ctrl-C stops it within seconds, a killed run leaves nothing running.

A child process runs a batch of slow notebooks with two workers; the test interrupts it the way
a terminal does (SIGINT to the whole process group) or kills its main process outright, then
checks that the workers are gone and no job finishes afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process-group signals (Linux)")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def slow_batch(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('tag = "x"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(textwrap.dedent('''\
        import os, time
        from pathlib import Path
        Path(f"started-{tag}").write_text(str(os.getpid()))
        time.sleep(60)
        Path(f"finished-{tag}").write_text("late")
        '''))]
    template = tmp_path / "slow.ipynb"
    nbformat.write(nb, template)
    out = tmp_path / "out"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f'''\
        import sys
        from analysis.pipeline.batch import Job, run_notebooks
        if __name__ == "__main__":
            try:
                run_notebooks({str(template)!r}, [Job(f"j{{i}}", {{"tag": f"j{{i}}"}}) for i in range(6)],
                              {str(out)!r}, workers=2, progress=False)
            except KeyboardInterrupt:
                sys.exit(130)
        '''))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while len(list(out.glob("started-*"))) < 2:  # both workers are inside a notebook
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        workers = [int(p.read_text()) for p in out.glob("started-*")]
        yield child, out, workers
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0) until reaped; count it as gone
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def test_ctrl_c_stops_the_batch_within_seconds_and_exits_130(slow_batch):
    child, out, workers = slow_batch
    assert len(set(workers)) == 2 and child.pid not in workers
    started = time.monotonic()
    os.killpg(child.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    assert child.wait(timeout=15) == 130
    assert time.monotonic() - started < 15
    assert _wait_gone(workers, 5) == []
    time.sleep(1)
    assert len(list(out.glob("started-*"))) == 2  # no job started after the interrupt
    assert not list(out.glob("finished-*")) and not list(out.glob("*.html"))


def test_workers_die_with_a_killed_main_process(slow_batch):
    child, out, workers = slow_batch
    os.kill(child.pid, signal.SIGKILL)  # only the main process: no chance to clean up
    child.wait(timeout=10)
    assert _wait_gone(workers, 5) == [], "workers outlived their parent"
    time.sleep(1)
    assert len(list(out.glob("started-*"))) == 2 and not list(out.glob("finished-*"))

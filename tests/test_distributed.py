"""Report batches on a real dask.distributed cluster: a scheduler and workers as separate processes.

The cluster is started the way a user starts one (docs/distributed.md): ``dask scheduler`` and two
``dask worker --nthreads 1`` processes (each with its nanny) that share this machine's file
system and import the package from ``PYTHONPATH``. The probe notebook records which process ran
it and how often; a "hold" job waits until the test lets it go, so that the test can SIGKILL the
worker in the middle of it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from analysis.pipeline.batch import Job, run_notebooks

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGKILL (POSIX)")]

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).parent / "dask"
N_WORKERS = 2
BATCH_TIMEOUT = 240  # seconds; a batch that takes longer hangs (it takes ~10-30 s on 2 busy cores)

PROBE = '''\
import os, time
from pathlib import Path
Path(f"pid-{tag}.txt").write_text(str(os.getpid()))
with open(f"runs-{tag}.txt", "a") as runs:
    runs.write("x")
if mode == "fail":
    raise RuntimeError("deliberate failure")
deadline = time.monotonic() + 120
while hold and Path(hold).exists() and time.monotonic() < deadline:
    time.sleep(0.1)  # held until the test removes the file (or kills this worker)
print("done", tag)
'''


def _start(args: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group (a worker's nanny and its worker process), then SIGKILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left in its group (a restarted worker)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Address of a scheduler with two single-threaded worker processes; all stopped afterwards."""
    if not DASK.is_file():
        pytest.skip(f"no dask command at {DASK} (install dask[distributed])")
    from distributed import Client

    home = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    scheduler_file = home / "scheduler.json"
    procs = [_start([str(DASK), "scheduler", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
                     "--port", "0", "--no-dashboard"], home / "scheduler.log", env, home)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file():
            assert procs[0].poll() is None, (home / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        for k in range(N_WORKERS):
            procs.append(_start([str(DASK), "worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
                                 "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                 "--local-directory", str(home / f"w{k}")], home / f"worker{k}.log", env, home))
        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout=60) as client:
            client.wait_for_workers(N_WORKERS, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture()
def client(cluster):
    """A client of the cluster once both workers are up (a killed one is restarted by its nanny)."""
    from distributed import Client

    with Client(cluster, timeout=60) as c:
        c.wait_for_workers(N_WORKERS, timeout=120)
        yield c


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('mode = "ok"\ntag = "x"\nhold = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(PROBE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path_factory.mktemp("tpl") / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def _jobs(modes: list[str], hold: Path | None = None) -> list[Job]:
    return [Job(f"j{i}", {"mode": m, "tag": f"j{i}", "hold": str(hold) if m == "hold" else ""})
            for i, m in enumerate(modes)]


def _runs(out: Path, job: Job) -> int:
    path = out / f"runs-{job.name}.txt"
    return len(path.read_text()) if path.is_file() else 0


def _batch(pool: ThreadPoolExecutor, *args, **kwargs):
    """run_notebooks in a thread, so that the test can act while it runs; fails on a hang."""
    return pool.submit(run_notebooks, *args, progress=False, **kwargs)


def test_failures_are_isolated_and_a_rerun_resumes(client, template, tmp_path):
    out = tmp_path / "out"
    jobs = _jobs(["ok", "ok", "fail", "ok", "ok", "ok"])
    worker_pids = set(client.run(os.getpid).values())
    results = run_notebooks(template, jobs, out, scheduler=client.scheduler.address, chunk_size=2, progress=False)
    status = {r.name: r.status for r in results}
    assert status == {"j0": "ok", "j1": "ok", "j2": "failed", "j3": "ok", "j4": "ok", "j5": "ok"}, \
        [r.reason for r in results]
    assert "RuntimeError: deliberate failure" in results[2].reason
    assert (out / "j2.failed.ipynb").is_file() and not (out / "j2.html").exists()
    ran_in = {int((out / f"pid-{j.name}.txt").read_text()) for j in jobs}
    assert ran_in <= worker_pids and os.getpid() not in ran_in  # in the cluster's worker processes
    assert all((out / f"{j.name}.html").is_file() for j in jobs if j.name != "j2")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files or run folders left

    again = run_notebooks(template, jobs, out, scheduler=client, chunk_size=2, progress=False)
    assert [r.status for r in again] == ["skipped", "skipped", "failed", "skipped", "skipped", "skipped"]
    assert [_runs(out, j) for j in jobs] == [1, 1, 2, 1, 1, 1]  # only the failed job ran again


def test_a_killed_worker_fails_only_the_job_it_was_running(client, template, tmp_path):
    out = tmp_path / "out"
    hold = tmp_path / "hold"
    hold.write_text("hold")
    # chunk_size=3 → two chunks, [j0, j2, j4] and [j1, j3, j5]: j0 finishes, j2 holds its worker
    jobs = _jobs(["ok", "ok", "hold", "ok", "ok", "ok"], hold)
    with ThreadPoolExecutor(1) as pool:
        running = _batch(pool, template, jobs, out, scheduler=client.scheduler.address, chunk_size=3)
        deadline = time.monotonic() + BATCH_TIMEOUT
        while not (out / "pid-j2.txt").is_file():
            assert not running.done(), running.result()
            assert time.monotonic() < deadline, "the held job did not start"
            time.sleep(0.1)
        victim = int((out / "pid-j2.txt").read_text())
        os.kill(victim, signal.SIGKILL)  # the worker process (its nanny starts a new one)
        results = running.result(timeout=BATCH_TIMEOUT)
    by_name = {r.name: r for r in results}
    assert by_name["j2"].status == "failed" and "died while running it" in by_name["j2"].reason, by_name["j2"]
    assert str(victim) in by_name["j2"].reason
    assert {n: r.status for n, r in by_name.items() if n != "j2"} == dict.fromkeys(["j0", "j1", "j3", "j4", "j5"], "ok")
    # the job that was running is not retried (a notebook that kills its worker must not kill the
    # next one too); j0 finished before the kill and j4 ran after it, each exactly once
    assert [_runs(out, j) for j in jobs] == [1, 1, 1, 1, 1, 1]
    assert int((out / "pid-j4.txt").read_text()) != victim
    assert not [p for p in out.iterdir() if p.name.startswith(".")]

    hold.unlink()  # the rerun: finished jobs are skipped, the failed one runs again and succeeds
    again = run_notebooks(template, jobs, out, scheduler=client, chunk_size=3, progress=False)
    assert [r.status for r in again] == ["skipped", "skipped", "ok", "skipped", "skipped", "skipped"], \
        [r.reason for r in again]
    assert [_runs(out, j) for j in jobs] == [1, 1, 2, 1, 1, 1]




def test_ctrl_c_cancels_waiting_tasks_and_running_ones_stop_after_their_job(client, template, tmp_path):
    out = tmp_path / "out"
    hold = tmp_path / "hold"
    hold.write_text("hold")
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""\
        import sys
        from analysis.pipeline.batch import Job, run_notebooks
        jobs = [Job(f"j{{i}}", {{"mode": "hold", "tag": f"j{{i}}", "hold": {str(hold)!r}}}) for i in range(4)]
        try:  # two tasks of two jobs: [j0, j2] and [j1, j3]
            run_notebooks({str(template)!r}, jobs, {str(out)!r}, scheduler={client.scheduler.address!r},
                          chunk_size=2, progress=False)
        except KeyboardInterrupt:
            sys.exit(130)
        """))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + BATCH_TIMEOUT
        while not ((out / "pid-j0.txt").is_file() and (out / "pid-j1.txt").is_file()):
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the first jobs did not start"
            time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=30) == 130
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    hold.unlink()  # the running jobs finish now; the next ones must not start
    deadline = time.monotonic() + 60
    while not ((out / "j0.run.json").is_file() and (out / "j1.run.json").is_file()) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    assert (out / "j0.run.json").is_file() and (out / "j1.run.json").is_file()
    assert not (out / "pid-j2.txt").exists() and not (out / "pid-j3.txt").exists()
    assert not list(out.glob(".dask-run-*"))

STEPS = ['mine = tag', 'import time\ntime.sleep(0.3)', 'assert mine == tag, f"{tag} sees {mine}"']


def _two_thread_batch(tmp_path: Path, monkeypatch) -> tuple[list, int]:
    """Four notebooks on one in-process dask worker with two threads; also the peak number of
    notebooks in progress at once in this process (the engine has one shell)."""
    import threading

    from distributed import Client, LocalCluster

    from analysis.pipeline import batch

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('tag = "x"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(s) for s in STEPS]
    template = tmp_path / "steps.ipynb"
    nbformat.write(nb, template)
    jobs = [Job(f"s{i}", {"tag": f"s{i}"}) for i in range(4)]
    active, peak, guard, run_one = [0], [0], threading.Lock(), batch._run_one

    def counting(*args):
        with guard:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            return run_one(*args)
        finally:
            with guard:
                active[0] -= 1

    monkeypatch.setattr(batch, "_run_one", counting)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        results = run_notebooks(template, jobs, tmp_path / "out", scheduler=client, chunk_size=1, progress=False)
    return results, peak[0]


def test_a_worker_with_two_threads_runs_one_notebook_at_a_time(tmp_path, monkeypatch):
    # `dask worker` starts one thread per core by default; its tasks share the process's one shell
    results, peak = _two_thread_batch(tmp_path, monkeypatch)
    assert [r.status for r in results] == ["ok"] * 4, [r.reason for r in results]
    assert peak == 1


def test_two_threads_would_share_the_shell_without_the_lock(tmp_path, monkeypatch):
    # control for the test above: without the lock both threads are inside a notebook at once
    # (and then one notebook's reset and parameters can land between another's cells)
    import contextlib

    from analysis.pipeline import batch

    monkeypatch.setattr(batch, "_ONE_AT_A_TIME", contextlib.nullcontext())
    monkeypatch.chdir(tmp_path)  # unlocked threads race on the working directory: restore it afterwards
    _, peak = _two_thread_batch(tmp_path, monkeypatch)
    assert peak == 2

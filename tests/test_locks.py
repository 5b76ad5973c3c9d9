"""Faults between runs: one run per wave at a time, no temporaries left behind, Ctrl-C exits 130.

Issue 9: "Two hallperf run of the same wave at once both do all the work: take a lock per wave
and say so"; "Interrupted runs leave .tmp folders and files that no later run removes"; "Ctrl-C
... exit 130".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.atomic import atomic_dir, remove_stale_temporaries
from analysis.errors import HallperfError
from analysis.pipeline.locks import wave_lock
from conftest import ROOT, SURVEYS

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def hallperf(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=cwd, capture_output=True, text=True,
                          env=ENV, timeout=300)


@pytest.fixture()
def holder(tmp_path):
    """Another process holding the lock of wave ``w1`` (output root ``tmp_path/output``)."""
    script = textwrap.dedent(f"""\
        import sys, time
        from analysis.pipeline.locks import wave_lock
        with wave_lock("w1", {str(tmp_path / "output")!r}):
            print("locked", flush=True)
            time.sleep(120)
        """)
    child = subprocess.Popen([sys.executable, "-c", script], env=ENV, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "locked"
    yield child
    if child.poll() is None:
        child.kill()
    child.wait()


def test_a_second_run_of_the_wave_stops_with_one_line(holder, tmp_path):
    for verb in (["run", "--wave", "w1"], ["score", "--wave", "w1", "--processed", str(tmp_path / "processed")],
                 ["report", "--wave", "w1", "--out", str(tmp_path / "output")]):
        result = hallperf(*verb, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith(f"hallperf: error: wave w1 is being processed by pid {holder.pid} (since 20")
    assert not (tmp_path / "processed").exists() and not (tmp_path / "data").exists()  # it did none of the work


def test_the_lock_of_a_dead_process_is_taken_over(holder, tmp_path):
    holder.kill()
    holder.wait()
    lock = tmp_path / "output" / "w1" / ".lock"
    assert lock.read_text().split()[0] == str(holder.pid)  # SIGKILL: no chance to clean up
    with wave_lock("w1", tmp_path / "output"):
        assert lock.read_text().split()[0] == str(os.getpid())


def test_the_lock_is_reentrant_in_one_process_and_per_wave(tmp_path):
    with wave_lock("w1", tmp_path), wave_lock("w1", tmp_path), wave_lock("w2", tmp_path):
        pass
    with wave_lock("w1", tmp_path):  # released: it can be taken again
        pass


def test_a_busy_wave_is_a_hallperf_error(holder, tmp_path):
    with pytest.raises(HallperfError, match=f"^wave w1 is being processed by pid {holder.pid} "):
        with wave_lock("w1", tmp_path / "output"):
            pass


# --- stale temporaries ----------------------------------------------------------------------

def _stale(folder: Path) -> list[Path]:
    """What interrupted atomic writes leave: a temporary file and folder inside, a replacement beside."""
    paths = [folder / ".results.json.abc123.tmp", folder / "sub" / ".x.parquet.q1.tmp",
             folder / ".sub.tmp-zz9" / "half.csv", folder.parent / f".{folder.name}.tmp-k3" / "half.parquet"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half")
    return paths


def test_stale_temporaries_are_removed_and_nothing_else(tmp_path):
    folder = tmp_path / "w1"
    keep = [folder / "results.json", folder / ".lock", folder / "sub" / "x.parquet", folder / ".hidden",
            tmp_path / ".other.tmp-1" / "f", tmp_path / "w10" / "f"]
    for path in keep:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep")
    stale = _stale(folder)
    removed = remove_stale_temporaries(folder)
    assert not any(p.exists() for p in stale)
    assert all(p.read_text() == "keep" for p in keep)
    assert {p.name for p in removed} == {".results.json.abc123.tmp", ".x.parquet.q1.tmp", ".sub.tmp-zz9", ".w1.tmp-k3"}


def test_a_folder_moved_aside_by_an_interrupted_replacement_is_put_back(tmp_path):
    (tmp_path / ".results.tmp-old").mkdir()
    (tmp_path / ".results.tmp-old" / "results.json").write_text("{}")
    remove_stale_temporaries(tmp_path / "results")
    assert (tmp_path / "results" / "results.json").read_text() == "{}"


def test_every_stage_removes_the_temporaries_of_its_output(small_wave, tmp_path):
    """score, analyze, paper, ingest: stale temporaries of an interrupted run are gone after the next."""
    import shutil

    from analysis.pipeline import run_analyze_study, run_ingest, run_score
    from analysis.pipeline.paper import run_paper

    raw, processed, _, _ = small_wave
    processed_root = tmp_path / "processed"
    shutil.copytree(processed, processed_root / "w1")
    stale = _stale(processed_root / "w1")
    run_score(processed_root / "w1", instruments_dir=SURVEYS)
    assert not any(p.exists() for p in stale)
    output = tmp_path / "output"
    with atomic_dir(output / "w1" / "results"):
        pass  # the folder exists as a real run leaves it
    stale = _stale(output / "w1" / "results") + _stale(output / "w1" / "data")
    run_analyze_study(SURVEYS / "study.yml", "w1", processed_root=processed_root, out_root=output, instruments_dir=SURVEYS)
    assert not any(p.exists() for p in stale)
    stale = _stale(output / "w1" / "paper")
    run_paper("w1", output_root=output, study_path=SURVEYS / "study.yml")
    assert not any(p.exists() for p in stale)
    stale = _stale(processed_root / "w1")
    run_ingest(raw, processed_root=processed_root, instruments_dir=SURVEYS, secret_file=processed.parent.parent / "secret.key")
    assert not any(p.exists() for p in stale)
    assert (processed_root / "w1" / "manifest.json").is_file()


# --- Ctrl-C ---------------------------------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process-group signals (Linux)")
def test_ctrl_c_in_the_cli_exits_130_with_one_line(tmp_path):
    """SIGINT while a verb works (here: a stage made slow) ends the CLI with 130 and one line."""
    script = textwrap.dedent("""\
        import sys, time
        import analysis.pipeline
        def slow(*args, **kwargs):
            print("working", flush=True)
            time.sleep(60)
        analysis.pipeline.run_score = slow
        sys.argv = ["hallperf", "score", "--wave", "w1"]
        from analysis.cli import main
        main()
        """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert child.stdout.readline().strip() == "working", child.stderr.read()
        os.killpg(child.pid, signal.SIGINT)
        assert child.wait(timeout=15) == 130
        err = child.stderr.read()
        assert "Traceback" not in err and err.strip().count("\n") == 0
        assert err.strip().startswith("hallperf: interrupted")
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert not (tmp_path / "output" / "w1" / ".lock").read_text()  # the lock was let go


def test_simulate_removes_its_own_stale_temporaries_but_nothing_in_the_raw_folder(tmp_path):
    from analysis.pipeline.simulated import install_simulated_wave

    raw = tmp_path / "raw" / "w1"
    raw.mkdir(parents=True)
    (raw / ".export.csv.1.tmp").write_text("a delivered file, however it is named")
    stale = [tmp_path / "raw" / ".w1.tmp-simulated-abc" / "staff.csv", tmp_path / "raw" / ".w1.tmp-x1" / "kpi.csv"]
    for path in stale:
        path.parent.mkdir(parents=True)
        path.write_text("half")
    with pytest.raises(ZeroDivisionError):
        install_simulated_wave(raw, lambda folder: 1 / 0, overwrite=True)
    assert not any(p.parent.exists() for p in stale)
    assert (raw / ".export.csv.1.tmp").is_file()

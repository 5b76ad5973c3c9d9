"""The pseudonymisation key: one per project wherever hallperf runs, at least 32 random bytes, never
half-written, and a bad key refused with one line instead of used."""

from __future__ import annotations

import errno
import os
import stat

import pandas as pd
import pytest

from analysis.errors import InputFileError, OutputWriteError
from analysis.privacy import key_id, load_secret, pseudonymise


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project folder (it holds surveys/) as the working directory, without key variables."""
    (tmp_path / "surveys").mkdir()
    (tmp_path / "output").mkdir()
    for name in ("HALLPERF_SECRET", "HALLPERF_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("content", "problem"),
    [("", "is empty"), ("\n", "is empty"), ("00" * 8, "has 8 bytes, fewer than 32"), ("zz" * 32, "is not hex"),
     ("6b" * 32, "is not random")],
    ids=["empty", "blank_line", "short", "not_hex", "one_byte_repeated"],
)
def test_bad_key_is_refused_with_one_line(project, content, problem):
    key = project / ".hallperf" / "secret.key"
    key.parent.mkdir()
    key.write_text(content, encoding="ascii")
    with pytest.raises(InputFileError) as err:
        load_secret()
    message = str(err.value)
    assert message.startswith(f"{key}: pseudonymisation key {problem}") and "\n" not in message
    assert key.read_text(encoding="ascii") == content  # never replaced: it may be the only copy


def test_new_key_is_32_random_bytes_mode_600_and_reused(project):
    key = load_secret()
    path = project / ".hallperf" / "secret.key"
    assert len(key) == 32 and len(set(key)) > 16
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bytes.fromhex(path.read_text(encoding="ascii")) == key
    assert load_secret() == key
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary file left


def test_key_is_found_from_any_folder_of_the_project(project, monkeypatch):
    key = load_secret()
    monkeypatch.chdir(project / "output")  # running from output/ made a second key there
    assert load_secret() == key
    assert not (project / "output" / ".hallperf").exists()


def test_environment_variable_names_the_key(project, monkeypatch, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("keys") / "k"
    monkeypatch.setenv("HALLPERF_SECRET", str(elsewhere))
    key = load_secret()
    assert elsewhere.exists() and not (project / ".hallperf").exists()
    monkeypatch.delenv("HALLPERF_SECRET")
    monkeypatch.setenv("HALLPERF_SECRET_FILE", str(elsewhere))  # the older name still works
    assert load_secret() == key


def test_no_project_folder_is_a_clear_error(tmp_path, monkeypatch):
    for name in ("HALLPERF_SECRET", "HALLPERF_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputFileError, match="no project folder .* set HALLPERF_SECRET"):
        load_secret()
    assert not (tmp_path / ".hallperf").exists()


def test_disk_full_while_creating_the_key_leaves_no_key(project, monkeypatch):
    """An interrupted creation used to leave a 0-byte key that the next run then used."""
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

    with monkeypatch.context() as patch:  # undo only this patch, not the fixture's chdir
        patch.setattr(os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
        with pytest.raises(OutputWriteError, match=r"cannot write .*secret.key: No space left on device"):
            load_secret()
    folder = project / ".hallperf"
    assert not folder.exists() or not any(folder.iterdir())
    assert len(load_secret()) == 32  # the next run makes a proper key


def test_key_id_is_a_fingerprint_not_the_key(project):
    key = load_secret()
    assert key_id(key) == key_id(load_secret()) and key.hex()[:12] != key_id(key)
    ids = pseudonymise(pd.Series(["S1"]), key, "staff_id")
    assert ids.iloc[0].startswith("P") and "S1" not in ids.iloc[0]

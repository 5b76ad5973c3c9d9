"""Every file of the bad-input corpus (tests/fixtures/bad_inputs/, described in its corpus.yml) through
``run_ingest``: never a traceback, the raw bytes unchanged, the rows accounted for, a one-line message
naming the file when the file cannot be used, and what was kept exactly what the file meant."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.errors import HallperfError
from analysis.pipeline import run_ingest
from analysis.safe_export import FORMULA_START

CORPUS = Path(__file__).parent / "fixtures" / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "corpus.yml").read_text(encoding="utf-8"))
NOT_DATA = {"corpus.yml", "make_corpus.py"}


def test_every_corpus_file_has_an_expectation():
    files = {p.name for p in CORPUS.iterdir() if p.is_file() and p.name not in NOT_DATA}
    assert files == set(CASES)


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def same(expected, got) -> bool:
    if expected is None:
        return got is None or pd.isna(got)
    if expected == "long":
        return isinstance(got, str) and len(got) > 131072
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return got is not None and not pd.isna(got) and float(got) == float(expected)
    return got == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_file(tmp_path, name):
    expect = CASES[name]
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(CORPUS / name, raw / name)
    (raw / "wave.yml").write_text(f"wave: c\nfiles:\n  - {{path: {name}, instrument: mini}}\n", encoding="utf-8")
    before = digest(raw)
    try:
        manifest = run_ingest(raw, processed_root=tmp_path / "out", instruments_dir=CORPUS / "surveys",
                              secret_file=tmp_path / "key")
    except HallperfError as err:  # anything else is a traceback for the user, and fails here
        message = str(err)
        assert "error" in expect, f"{name}: unexpected error: {message}"
        assert "\n" not in message and name in message and expect["error"] in message
        assert not (tmp_path / "out" / "c").exists()  # nothing half-written
        return
    finally:
        assert digest(raw) == before  # raw bytes unchanged, nothing added beside them

    assert "error" not in expect, f"{name}: expected an error containing {expect['error']!r}"
    [entry] = manifest["inputs"]
    assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_quarantined"]
    assert (entry["rows_read"], entry["rows_accepted"]) == (expect["read"], expect["accepted"])
    for key in ("format", "encoding"):
        if key in expect:
            assert entry[key] == expect[key]
    processed = tmp_path / "out" / "c"
    quarantine = pd.read_csv(processed / "quarantine.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert quarantine[["file", "row"]].drop_duplicates().shape[0] == entry["rows_quarantined"]
    got = {reason: sorted(int(r) for r in part["row"].unique()) for reason, part in quarantine.groupby("reason")}
    assert got == (expect.get("quarantined") or {})
    assert all(m.startswith(f"{name}: row ") and "\n" not in m for m in quarantine["message"])
    assert not any(cell.startswith(FORMULA_START) for cell in quarantine.to_numpy().ravel())
    accepted = pd.read_parquet(processed / "mini.parquet")
    assert len(accepted) == entry["rows_accepted"]
    assert "name" not in accepted and accepted["rid"].str.fullmatch(r"P[0-9a-f]{16}").all()  # ids pseudonymised
    for column, values in (expect.get("values") or {}).items():
        cells = accepted[column].astype(object).tolist()
        assert len(cells) == len(values) and all(same(e, g) for e, g in zip(values, cells)), (column, cells[:6])

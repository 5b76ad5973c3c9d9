"""Shared fixtures: the bundled instruments and a small simulated, ingested wave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SURVEYS = ROOT / "surveys"


@pytest.fixture(scope="session")
def instruments():
    from analysis.instrument import load_instruments

    return load_instruments(SURVEYS)


@pytest.fixture(scope="session")
def small_wave(tmp_path_factory):
    """A 25-branch simulated wave, ingested and scored: (raw dir, processed dir, manifest, truth)."""
    from analysis.pipeline import run_ingest, run_score, run_simulate

    base = tmp_path_factory.mktemp("wave")
    raw = base / "raw" / "w1"
    run_simulate("w1", branches=25, seed=11, out=raw, instruments_dir=SURVEYS, model_path=SURVEYS / "simulation.yml")
    manifest = run_ingest(raw, processed_root=base / "processed", instruments_dir=SURVEYS, secret_file=base / "secret.key")
    run_score(base / "processed" / "w1", instruments_dir=SURVEYS)
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    return raw, base / "processed" / "w1", manifest, truth

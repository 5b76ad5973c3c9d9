"""Shared fixtures: the bundled instruments, a small simulated, ingested wave, the results of the
bundled sample wave, and the staff survey of the sample as the platform-export tests use it."""

from __future__ import annotations

import json
import shutil
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


# --- results of the bundled sample wave (the report tests) --------------------------------

@pytest.fixture(scope="session")
def sample_results(tmp_path_factory) -> Path:
    """Results of data/raw/sample (ingest → score → analyze, about 15 s), built once per session.

    They live in ``<basetemp>/hallperf_sample_results/output/sample/results``, next to the processed
    data in ``<basetemp>/hallperf_sample_results/processed/sample``. Shared by every test that asks
    for them: read them here, and copy them first to change them.
    """
    from analysis.pipeline import run_analyze_study, run_ingest, run_score

    base = tmp_path_factory.getbasetemp() / "hallperf_sample_results"
    base.mkdir()
    run_ingest(ROOT / "data" / "raw" / "sample", processed_root=base / "processed",
               instruments_dir=SURVEYS, secret_file=base / "secret.key")
    run_score(base / "processed" / "sample", instruments_dir=SURVEYS)
    run_analyze_study(SURVEYS / "study.yml", "sample", processed_root=base / "processed",
                      out_root=base / "output", instruments_dir=SURVEYS)
    return base / "output" / "sample" / "results"


# --- the sample's staff survey (the platform-export tests; see tests/fixtures/exports.py) ----
# Module-scoped: every test module gets its own instances, as it had when each defined these.

@pytest.fixture(scope="module")
def staff():
    """The staff instrument (surveys/staff.yml)."""
    from analysis.instrument import load_instrument

    return load_instrument(SURVEYS / "staff.yml")


@pytest.fixture(scope="module")
def plain():
    """data/raw/sample/staff_survey.csv as text cells (missing = None)."""
    from fixtures.exports import SAMPLE, read_plain

    return read_plain(SAMPLE / "staff_survey.csv")


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    """The pseudonymisation key file shared by the module's ingests (same secret, same pseudonyms)."""
    return tmp_path_factory.mktemp("key") / "secret.key"


@pytest.fixture(scope="module")
def plain_ingest(tmp_path_factory, secret):
    """The sample's staff_survey.csv (with branches.csv) ingested as is, with ``secret``:
    (folder, (staff.parquet frame, quarantine frame, manifest entry)); processed tables in ``folder/out/w``."""
    from fixtures.exports import SAMPLE, ingest_staff

    directory = tmp_path_factory.mktemp("plain")
    shutil.copy(SAMPLE / "staff_survey.csv", directory / "staff_survey.csv")
    return directory, ingest_staff(directory, "staff_survey.csv", secret)


@pytest.fixture(scope="module")
def baseline(plain_ingest):
    """What ingest makes of the plain CSV: (staff frame, quarantine frame, manifest entry)."""
    return plain_ingest[1]


def without_respondent_text(html: str, results_dir: Path, group: str) -> str:
    """A report page without what respondents wrote (comments and theme examples, shown as written,
    Chinese in an English report too), so that only the page's own text is left to check."""
    from html import escape

    import pandas as pd

    texts = []
    for name, column in (("comments", "comment"), ("comment_themes", "example")):
        path = Path(results_dir) / f"{name}.parquet"
        if path.is_file():
            frame = pd.read_parquet(path)
            texts += frame.loc[frame["group"].astype(str) == str(group), column].dropna().astype(str).tolist()
    for text in sorted(set(texts), key=len, reverse=True):
        html = html.replace(escape(text, quote=True), "")
    return html

"""Write tests/reference/models_sample_staff.csv: the analysis frame of the bundled sample wave.

The R reference script (models.R) fits lme4 and sandwich models to these columns, and the Python
tests fit the same models to the same file, so both sides see identical numbers.  The columns are
the ones hypotheses H3 and H6 of surveys/study.yml use; ``branch_id`` is the branch code of the
synthetic sample (no person identifiers).  Rerun after the sample wave or the scoring changes:

    PYTHONPATH=src python tests/reference/models_extract_sample.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from analysis.pipeline import run_analyze_study, run_ingest, run_score

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["branch_id", "target_completion", "EN", "CO", "FB", "TC", "target_gap", "tenure_years", "age"]


def main() -> None:
    surveys = ROOT / "surveys"
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        run_ingest(ROOT / "data" / "raw" / "sample", processed_root=base / "processed", instruments_dir=surveys,
                   secret_file=base / "secret.key")
        run_score(base / "processed" / "sample", instruments_dir=surveys)
        run_analyze_study(surveys / "study.yml", "sample", processed_root=base / "processed", out_root=base / "out",
                          instruments_dir=surveys)
        staff = pd.read_parquet(base / "out" / "sample" / "data" / "analysis_staff.parquet")
    frame = staff[COLUMNS].dropna().sort_values(["branch_id", "target_completion"], kind="mergesort")
    frame.to_csv(Path(__file__).with_name("models_sample_staff.csv"), index=False)


if __name__ == "__main__":
    main()

"""Write the R oracle's input for the staff model: tests/reference/psych_staff_items.csv and
psych_staff_model.json.

The bundled sample wave (data/raw/sample) ingested and scored as `hallperf run` does, careless
responders excluded (surveys/study.yml ``exclude_careless: true``), items reverse-keyed: 365
respondents x 49 items with 0.8-3.4% missing answers per item (120 complete). Only item columns
are written (no ids). Run from the repository root:

    PYTHONPATH=$PWD/src python tests/reference/psych_staff_items_make.py
"""

import json
import tempfile
from pathlib import Path

import pandas as pd

from analysis.instrument import load_instruments
from analysis.pipeline import run_ingest, run_score
from analysis.scoring import reverse_key

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent

with tempfile.TemporaryDirectory() as tmp:
    base = Path(tmp)
    run_ingest(ROOT / "data" / "raw" / "sample", processed_root=base / "processed",
               instruments_dir=ROOT / "surveys", secret_file=base / "secret.key")
    run_score(base / "processed" / "sample", instruments_dir=ROOT / "surveys")
    staff = load_instruments(ROOT / "surveys")["staff"]
    data = pd.read_parquet(base / "processed" / "sample" / "staff.parquet")
    scores = pd.read_parquet(base / "processed" / "sample" / "staff_scores.parquet")
rid = staff.respondent.column
data = data[data[rid].isin(scores.loc[~scores["careless"], rid])]
model = {code: list(scale.items) for code, scale in staff.scales.items()}
items = [it for its in model.values() for it in its]
reverse_key(data, staff)[items].to_csv(OUT / "psych_staff_items.csv", index=False)
(OUT / "psych_staff_model.json").write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")

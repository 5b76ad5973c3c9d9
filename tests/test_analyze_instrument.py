"""`hallperf analyze --instrument --data` on an instrument the toolkit has never seen."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.pipeline import run_analyze_instrument
from analysis.simulate import population_omega

CODEBOOK = """
id: school_climate
version: "0.3"
kind: survey
respondent: {column: pupil, aliases: [学号]}
group: {column: class, aliases: [班级]}
response_scales:
  freq4: {min: 1, max: 4, labels: {zh: [从不, 有时, 经常, 总是], en: [Never, Sometimes, Often, Always]}}
default_response: freq4
items:
  SUP1: {text: {zh: 老师会帮助我, en: Teachers help me}}
  SUP2: {text: {zh: 老师关心我, en: Teachers care about me}}
  SUP3: {text: {zh: 老师忽视我, en: Teachers ignore me}, reverse: true}
  SUP4: {text: {zh: 老师鼓励我, en: Teachers encourage me}}
  PEER1: {text: {zh: 同学愿意合作, en: Classmates cooperate}}
  PEER2: {text: {zh: 同学互相帮助, en: Classmates help each other}}
  PEER3: {text: {zh: 同学之间友好, en: Classmates are friendly}}
scales:
  SUP: {label: {zh: 教师支持, en: Teacher support}, items: [SUP1, SUP2, SUP3, SUP4], level: branch}
  PEER: {label: {zh: 同伴关系, en: Peer relations}, items: [PEER1, PEER2, PEER3]}
"""

LOADING = 0.8


def simulate(n_classes: int, per_class: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_classes * per_class
    cls = np.repeat(np.arange(n_classes), per_class)
    sup = 0.5 * rng.standard_normal(n_classes)[cls] + np.sqrt(0.75) * rng.standard_normal(n)
    peer = 0.5 * sup + np.sqrt(0.75) * rng.standard_normal(n)
    out = {"学号": [f"X{i}" for i in range(n)], "班级": [f"c{c}" for c in cls]}
    for name, latent, k in (("SUP", sup, 4), ("PEER", peer, 3)):
        for j in range(1, k + 1):
            ystar = LOADING * latent + np.sqrt(1 - LOADING**2) * rng.standard_normal(n)
            value = 1 + np.searchsorted([-0.8, 0.0, 0.8], ystar)
            if name == "SUP" and j == 3:
                value = 5 - value
            out[f"{name}{j}"] = value
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    base = tmp_path_factory.mktemp("new_instrument")
    (base / "climate.yml").write_text(CODEBOOK, encoding="utf-8")
    frame = simulate(40, 12, seed=3)
    frame.loc[5, "SUP1"] = 9  # one bad answer → quarantine, not a crash
    frame.to_csv(base / "export.csv", index=False, encoding="utf-8-sig")
    info = run_analyze_instrument(base / "climate.yml", base / "export.csv", out=base / "out", secret_file=base / "k")
    return base / "out", info


def test_all_tables_written_with_provenance(results):
    out, info = results
    for name in ("reliability", "item_stats", "kmo", "cfa_fit", "cr_ave", "icc", "rwg", "reviewer", "quarantine"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists(), name
    meta = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert meta["instrument"]["id"] == "school_climate"
    assert meta["inputs"][0]["rows_quarantined"] == 1
    assert meta["inputs"][0]["rows_accepted"] == 479


def test_reliability_near_the_truth(results):
    out, _ = results
    rel = pd.read_csv(out / "reliability.csv").set_index("scale")
    # Coarsening to 4 categories lowers reliability below the latent ω; it stays within .1 of it.
    for scale, k in (("SUP", 4), ("PEER", 3)):
        truth = population_omega([LOADING] * k)
        assert truth - 0.12 < rel.loc[scale, "alpha"] < truth + 0.02


def test_aggregation_for_the_group_column(results):
    out, _ = results
    icc = pd.read_csv(out / "icc.csv").set_index("scale")
    # Simulated between-class share of the SUP latent is .25; the observed-score ICC(1) is attenuated by
    # unreliability (≈ .25 × .85 ≈ .21). Its sampling SE with 40 classes of 12 is about .05
    # (Donner & Koval 1980 large-sample variance), so accept .21 ± 3 SE.
    assert 0.06 < icc.loc["SUP", "icc1"] < 0.36
    assert icc.loc["PEER", "icc1"] < icc.loc["SUP", "icc1"]  # PEER's between share is .25 × .5² ≈ .06
    rwg = pd.read_csv(out / "rwg.csv")
    assert set(rwg["group"]) == {f"c{c}" for c in range(40)}
    assert (rwg["n"] >= 5).all()


def test_bad_scales_reported_in_table_and_log(tmp_path):
    """A one-item scale and a constant item become problem rows (and log lines); other scales still run."""
    import subprocess
    import sys

    text = CODEBOOK.replace("  PEER: {label: {zh: 同伴关系, en: Peer relations}, items: [PEER1, PEER2, PEER3]}",
                            "  PEER: {label: {zh: 同伴关系, en: Peer relations}, items: [PEER1, PEER2, PEER3]}\n"
                            "  ONE: {items: [EXTRA1]}")
    text = text.replace("  PEER3: {text: {zh: 同学之间友好, en: Classmates are friendly}}",
                        "  PEER3: {text: {zh: 同学之间友好, en: Classmates are friendly}}\n  EXTRA1: {text: {zh: 额外, en: Extra}}")
    (tmp_path / "c.yml").write_text(text, encoding="utf-8")
    frame = simulate(10, 8, seed=5)
    frame["EXTRA1"] = 2
    frame["PEER2"] = 3  # a constant item
    frame.to_csv(tmp_path / "d.csv", index=False)
    result = subprocess.run([sys.executable, "-m", "analysis", "analyze", "--instrument", str(tmp_path / "c.yml"),
                             "--data", str(tmp_path / "d.csv"), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    problems = pd.read_csv(tmp_path / "out" / "problems.csv")
    assert {"ONE", "PEER"} <= set(problems["scale"])
    assert "ONE:" in result.stderr and "PEER:" in result.stderr and "Traceback" not in result.stderr
    rel = pd.read_csv(tmp_path / "out" / "reliability.csv")
    assert "SUP" in set(rel["scale"]) and rel.set_index("scale").loc["SUP", "alpha"] > 0.5


def test_fiml_uses_every_respondent(tmp_path):
    """With --cfa-missing fiml the CFA keeps respondents who skipped an item; listwise drops them."""
    (tmp_path / "c.yml").write_text(CODEBOOK, encoding="utf-8")
    frame = simulate(30, 10, seed=9)
    frame.loc[::4, "PEER2"] = np.nan  # a quarter skip one item
    frame.to_csv(tmp_path / "d.csv", index=False)
    fits = {}
    for missing in ("listwise", "fiml"):
        run_analyze_instrument(tmp_path / "c.yml", tmp_path / "d.csv", out=tmp_path / missing,
                               secret_file=tmp_path / "k", cfa_missing=missing)
        fit = pd.read_csv(tmp_path / missing / "cfa_fit.csv").set_index("model").loc["measurement"]
        fits[missing] = fit
    assert fits["fiml"]["n"] == 300 and fits["listwise"]["n"] == 225
    assert fits["fiml"]["missing"] == "fiml"

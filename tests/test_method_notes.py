"""Missing-data options and method names where a reviewer reads them (issue 11).

Pairwise correlations (KMO, Bartlett, EFA, omega_h, HTMT, Harman) and FIML (CFA, invariance) are
the defaults; listwise stays an option (``cor_missing`` / ``cfa_missing`` in the study file,
``--cor-missing`` / ``--cfa-missing`` on the command line). Every table note states the estimator,
the handling of missing answers and n; the HTMT and CR/AVE notes say which variant the table
shows (the study file's ``htmt`` and ``cr_ave`` choose) and where the other one is; the
reliability note carries omega hierarchical; KMO and Bartlett come for all items and per scale. Values against psych (tests/reference/psychometrics.R
→ psych_validity.json, psych_omega.json).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SURVEYS
from reference.psych_fixtures import hs, hs_mask, load

HS_CODEBOOK = """
id: hs1939
version: "1"
kind: survey
respondent: {column: id}
response_scales:
  score: {type: number, min: 0, max: 10}
default_response: score
items: {x1: {text: {en: a}}, x2: {text: {en: b}}, x3: {text: {en: c}}, x4: {text: {en: d}}, x5: {text: {en: e}},
        x6: {text: {en: f}}, x7: {text: {en: g}}, x8: {text: {en: h}}, x9: {text: {en: i}}}
scales:
  visual: {items: [x1, x2, x3]}
  textual: {items: [x4, x5, x6]}
  speed: {items: [x7, x8, x9]}
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def hs_masked(tmp_path_factory):
    """HS1939 with psychometrics.R's deterministic missing pattern (55 of 301 complete), as a CSV."""
    base = tmp_path_factory.mktemp("hs_mask")
    hs_mask().to_csv(base / "hs.csv", index=False)
    (base / "hs.yml").write_text(HS_CODEBOOK, encoding="utf-8")
    return base


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_cor_missing_on_the_command_line_matches_psych(hs_masked, missing):
    """psych::KMO(R) with R = cor(x, use = "pairwise") → .747377, with complete cases → .721057 (n 55);
    psych::omega(R, 3) on the pairwise R: omega_h and omega_tot of psych_omega.json."""
    out = hs_masked / missing
    args = ["analyze", "--instrument", "hs.yml", "--data", "hs.csv", "--out", missing, "--lang", "en"]
    result = _cli(*args, *(["--cor-missing", "listwise"] if missing == "listwise" else []), cwd=hs_masked)
    assert result.returncode == 0, result.stderr
    ref = load("psych_validity")["hs_mask"]
    kmo = pd.read_csv(out / "kmo.csv").set_index("item").loc["overall"]
    assert kmo["kmo"] == pytest.approx(ref[f"kmo_{missing}"]["overall"], abs=1e-10)
    assert kmo["missing"] == missing and kmo["n"] == (301 if missing == "pairwise" else ref["n_complete"])
    assert pd.read_csv(out / "bartlett.csv")["chisq"].iloc[0] == pytest.approx(ref[f"bartlett_{missing}"]["chisq"], rel=1e-9)
    fit = pd.read_csv(out / "cfa_fit.csv").set_index("model").loc["measurement"]
    assert fit["missing"] == "fiml" and fit["n"] == 301  # the CFA keeps its own default
    page = (out / "report.html").read_text(encoding="utf-8")
    deletion = "Pairwise deletion, N = 301, at least" if missing == "pairwise" else "Listwise deletion, complete cases, N = 55"
    assert f"KMO &gt; .70 is adequate (Kaiser, 1974). {deletion}" in page
    assert "complete cases" not in page.split("KMO &gt; .70")[1].split("</p>")[0] or missing == "listwise"
    if missing == "pairwise":
        om = pd.read_csv(out / "omega_hierarchical.csv").iloc[0]
        psych = load("psych_omega")["hs_mask"]
        assert om["omega_h"] == pytest.approx(psych["omega_h"], abs=1e-4)  # minres to its tolerance, as test_reliability
        assert om["omega_total"] == pytest.approx(psych["omega_tot"], abs=1e-4)
        assert f"ω_h = {om['omega_h']:.2f}".replace("0.", ".") in page and "psych&#x27;s omega()" in page and "(result table cr_ave_observed)" in page


def test_bad_cor_missing_is_a_one_line_error(hs_masked):
    result = _cli("analyze", "--instrument", "hs.yml", "--data", "hs.csv", "--cor-missing", "fiml", cwd=hs_masked)
    assert result.returncode == 2
    assert result.stderr == "hallperf: error: --cor-missing 'fiml': use pairwise or listwise\n"


def _study_copy(tmp_path: Path, **keys) -> Path:
    """surveys/ copied with ``keys`` added to study.yml (the codebooks and libraries beside it)."""
    surveys = tmp_path / "surveys"
    shutil.copytree(SURVEYS, surveys)
    spec = yaml.safe_load((surveys / "study.yml").read_text(encoding="utf-8"))
    (surveys / "study.yml").write_text(yaml.safe_dump({**spec, **keys}, allow_unicode=True), encoding="utf-8")
    return surveys / "study.yml"


def _tables(results: Path, study: Path, lang: str = "zh") -> dict:
    from analysis.report.study import StudyReport

    return {t.name: t for t in StudyReport(results, study_path=study, lang=lang).tables()}


def test_default_notes_name_the_variant_the_deletion_and_n(sample_results):
    from analysis.report.study.base import B2

    t = _tables(sample_results, SURVEYS / "study.yml")
    kmo = pd.read_parquet(sample_results / "staff_kmo.parquet")
    n, pair = int(kmo["n"].iloc[0]), int(kmo["n_pair_min"].iloc[0])
    assert t["staff_kmo_bartlett"].note == f"KMO > .70 视为适合因子分析（Kaiser, 1974）。成对删除，N = {n}，每对题项至少 {pair} 人。"
    frame = t["staff_kmo_bartlett"].frame  # all items, then each scale's items alone
    per_scale = pd.read_parquet(sample_results / "staff_kmo_scales.parquet")
    assert frame["scale"].iloc[0] == "全部题项" and frame["kmo"].iloc[0] == kmo.set_index("item").loc["overall", "kmo"]
    assert frame["k"].iloc[0] == len(kmo) - 1 and list(frame["kmo"].iloc[1:]) == list(per_scale["kmo"])
    assert len(per_scale) == 13 and (per_scale["k"] >= 3).all()
    assert "估计：minres（成对删除）" in t["staff_efa_loadings"].note
    htmt = t["staff_htmt"]
    assert htmt.source == "staff_htmt" and "算术平均" in htmt.note and "staff_htmt2" in htmt.note
    assert htmt.title.endswith("HTMT 比率")
    rel = t["staff_reliability_validity"]
    assert "标准化载荷（Fornell & Larcker, 1981）" in rel.note and "staff_cr_ave_observed" in rel.note
    assert "CFA 估计：FIML（全信息最大似然，纳入所有作答者）" in rel.note
    om = pd.read_parquet(sample_results / "staff_omega_hierarchical.parquet").iloc[0]
    assert f"全部题项的 ω_h = {B2(om['omega_h'])}，ω_t = {B2(om['omega_total'])}" in rel.note
    assert f"{int(om['n_factors'])} 个群因子" in rel.note
    _assert_cr_shown(sample_results, rel, "staff_cr_ave")


def _assert_cr_shown(results: Path, table, source: str) -> None:
    """The CR column of the reliability table is the CR of result table ``source``, scale by scale."""
    scales = pd.read_parquet(results / "staff_reliability.parquet")["scale"]
    shown = pd.Series(table.frame["cr"].to_numpy(), index=scales).dropna()
    expected = pd.read_parquet(results / f"{source}.parquet").set_index("factor")["cr"]
    assert len(shown) >= 10
    pd.testing.assert_series_equal(shown, expected.reindex(shown.index), check_names=False, rtol=0, atol=0)


def test_the_study_file_chooses_htmt2_and_the_observed_cr_ave(sample_results, tmp_path):
    from analysis.report.study.base import B2

    study = _study_copy(tmp_path, htmt="htmt2", cr_ave="observed")
    for lang in ("zh", "en"):
        t = _tables(sample_results, study, lang)
        htmt = t["staff_htmt"]  # the stable name stays; the numbers are HTMT2's
        assert htmt.source == "staff_htmt2" and "HTMT2" in htmt.title
        h2 = pd.read_parquet(sample_results / "staff_htmt2.parquet")
        shown = [v for v in htmt.frame.drop(columns="variable").to_numpy().ravel() if v not in ("", "—") and pd.notna(v)]
        assert sorted(shown) == sorted(B2(v) for v in h2["htmt"])  # the lower triangle, as rendered
        assert ("几何平均" in htmt.note and "staff_htmt" in htmt.note) if lang == "zh" else \
            ("geometric mean" in htmt.note and "result table staff_htmt." in htmt.note)
        rel = t["staff_reliability_validity"]
        _assert_cr_shown(sample_results, rel, "staff_cr_ave_observed")
        assert "compRelSEM()/AVE()" in rel.note and "staff_cr_ave" in rel.note


@pytest.mark.parametrize(("key", "value"), [("htmt", "htmt3"), ("cr_ave", "implied"), ("cor_missing", "fiml")])
def test_bad_variant_keys_are_study_errors(tmp_path, key, value):
    from analysis.errors import StudyError
    from analysis.study import load_study

    with pytest.raises(StudyError, match=key):
        load_study(_study_copy(tmp_path, **{key: value}))


def test_listwise_correlations_from_the_study_file_match_psych(sample_results, tmp_path):
    """``cor_missing: listwise``: the staff KMO on the 120 complete respondents is psych's .687
    (pairwise: .818 on all 365), while the CFA keeps FIML on all 365."""
    from analysis.pipeline import run_analyze_study

    study = _study_copy(tmp_path, cor_missing="listwise")
    processed = sample_results.parents[2] / "processed"
    run_analyze_study(study, "sample", processed_root=processed, out_root=tmp_path / "output",
                      instruments_dir=study.parent)
    results = tmp_path / "output" / "sample" / "results"
    ref = load("psych_validity")["staff"]
    for folder, missing in ((results, "listwise"), (sample_results, "pairwise")):
        kmo = pd.read_parquet(folder / "staff_kmo.parquet").set_index("item").loc["overall"]
        assert kmo["kmo"] == pytest.approx(ref[f"kmo_{missing}"]["overall"], abs=1e-10), missing
        assert kmo["n"] == (ref["n_complete"] if missing == "listwise" else ref["n_rows"])
    fit = pd.read_parquet(results / "staff_cfa_fit.parquet").set_index("model").loc["measurement"]
    assert (fit["missing"], fit["n"]) == ("fiml", 365)
    note = _tables(results, study)["staff_kmo_bartlett"].note
    assert note.endswith(f"列表删除，仅完整作答者，N = {ref['n_complete']}。")


def test_the_invariance_note_states_the_estimator_and_n(sample_results, tmp_path):
    """waves_invariance carries the multi-group CFA's estimator and missing-data handling (FIML by default)."""
    import json

    results = tmp_path / "results"
    shutil.copytree(sample_results, results)
    inv = pd.DataFrame({"scale": ["TS"] * 3, "n_items": [4] * 3, "step": ["configural", "metric", "scalar"],
                        "n": [678] * 3, "chisq": [4.98, 9.77, 12.52], "df": [4, 7, 10], "cfi": [0.998, 0.995, 0.996],
                        "rmsea": [0.027, 0.034, 0.027], "srmr": [0.013, 0.030, 0.033], "invariant": [True] * 3,
                        "comparable": [True] * 3, "estimator": ["FIML"] * 3, "missing": ["fiml"] * 3})
    inv.to_parquet(results / "waves_invariance.parquet", index=False)
    info = json.loads((results / "results.json").read_text(encoding="utf-8"))
    info["tables"]["waves_invariance"] = {"rows": len(inv)}
    (results / "results.json").write_text(json.dumps(info), encoding="utf-8")
    for lang, text in (("zh", "比较两期均值。估计：FIML（全信息最大似然，纳入所有作答者），N = 678。"),
                       ("en", "compared. Estimator: FIML (full-information maximum likelihood, all respondents), N = 678.")):
        assert _tables(results, SURVEYS / "study.yml", lang)["waves_invariance"].note.endswith(text), lang


def test_wave_invariance_is_fiml_by_default_and_listwise_on_request(tmp_path):
    """HS1939 (psychometrics.R's missing pattern) split by school as two "waves": FIML keeps every
    respondent with an answer to the scale, listwise the complete ones; on complete data the two agree."""
    from analysis.instrument import load_instrument
    from analysis.waves import wave_invariance

    (tmp_path / "hs.yml").write_text(HS_CODEBOOK, encoding="utf-8")
    inst = load_instrument(tmp_path / "hs.yml")
    items = {"visual": ["x1", "x2", "x3"], "speed": ["x7", "x8", "x9"]}

    def by_school(d):
        return {s: g.drop(columns="school") for s, g in d[["school", *(i for its in items.values() for i in its)]].groupby("school")}

    masked = hs_mask()
    fiml, lw = (wave_invariance(by_school(masked), inst, items, missing=m) for m in ("fiml", "listwise"))
    for scale, its in items.items():
        answered = masked[its].notna().any(axis=1).sum()
        complete = masked[its].notna().all(axis=1).sum()
        f, l = fiml[fiml["scale"] == scale], lw[lw["scale"] == scale]
        assert set(f["n"]) == {answered} and set(f["missing"]) == {"fiml"} and set(f["estimator"]) == {"FIML"}
        assert set(l["n"]) == {complete} and set(l["missing"]) == {"listwise"} and complete < answered
    full_f, full_l = (wave_invariance(by_school(hs()), inst, items, missing=m) for m in ("fiml", "listwise"))
    np.testing.assert_allclose(full_f["chisq"], full_l["chisq"], rtol=1e-5, atol=1e-6)
    default = wave_invariance(by_school(masked), inst, items)
    pd.testing.assert_frame_equal(default, fiml)

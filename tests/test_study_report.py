"""The study report (analysis.report.study) on real results of the bundled sample wave.

The results are generated once per session from a copy of ``data/raw/sample`` with the pipeline's
own stage functions (ingest → score → analyze), so every table and figure is checked against what
the analyze stage really writes.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SURVEYS = ROOT / "surveys"
STUDY = SURVEYS / "study.yml"
NOTEBOOK = ROOT / "notebooks" / "study.ipynb"

LAYOUTS = ("apa", "three_line")
FORMATS = ("csv", "md", "tex", "docx")
FIGURE_FORMATS = ("png", "svg", "pdf")

# What a manuscript needs (the brief), by file stem: per instrument, the study-wide tables and
# one or more tables per hypothesis of surveys/study.yml.
PER_INSTRUMENT = ("reliability_validity", "item_stats", "kmo_bartlett", "efa_loadings", "cfa_fit", "cfa_loadings",
                  "fornell_larcker", "htmt", "reviewer", "common_method", "aggregation")
EXPECTED_TABLES = (
    ["sample", "screening_quarantine", "screening_careless", "correlations", "target_expectation", "target_gaps"]
    + [f"{inst}_{name}" for inst in ("staff", "customer") for name in PER_INSTRUMENT]
    + ["H1_steps", "H1_coefficients", "H2_effects", "H3_coefficients", "H4_slopes", "H4_johnson_neyman",
       "H5_effects", "H6_null", "H6_coefficients", "H7_weights", "H8_coefficients", "H9_weights"]
)
EXPECTED_FIGURES = ("staff_reviewer", "customer_reviewer", "H1_forest", "H3_forest", "H6_forest", "H8_forest",
                    "H2_indirect", "H4_simple_slopes", "H5_conditional_indirect", "H7_weights", "H9_weights")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _glyph_messages(messages: list[str]) -> list[str]:
    return [m for m in messages if "missing from" in m or "Glyph" in m]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory) -> Path:
    """Results of the bundled sample wave, produced by the pipeline's stage functions."""
    from analysis.pipeline import run_analyze_study, run_ingest, run_score

    base = tmp_path_factory.mktemp("study_results")
    raw = base / "raw" / "sample"
    shutil.copytree(ROOT / "data" / "raw" / "sample", raw)
    manifest = run_ingest(raw, processed_root=base / "processed", instruments_dir=SURVEYS,
                          secret_file=base / "secret.key")
    wave = manifest["wave"]
    run_score(base / "processed" / wave, instruments_dir=SURVEYS)
    run_analyze_study(STUDY, wave, processed_root=base / "processed", out_root=base / "output",
                      instruments_dir=SURVEYS)
    return base / "output" / wave / "results"


@pytest.fixture(scope="session")
def exported(results_dir, tmp_path_factory):
    """The full Chinese export, with every warning and log record captured while it ran."""
    from analysis.report.study import export_study

    out = tmp_path_factory.mktemp("study_zh")
    handler = _Collect()
    loggers = [logging.getLogger(), logging.getLogger("matplotlib")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            written = export_study(results_dir, out, study_path=STUDY)
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    messages = [str(w.message) for w in caught] + handler.messages
    return out, written, messages


@pytest.fixture(scope="session")
def exported_en(results_dir, tmp_path_factory):
    from analysis.report.study import export_study

    out = tmp_path_factory.mktemp("study_en")
    written = export_study(results_dir, out, study_path=STUDY, lang="en", formats=("csv", "md"),
                           figure_formats=())
    return out, written


def _result(results_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(results_dir / f"{name}.parquet")


# --------------------------------------------------------------------------- files
def test_every_expected_file_is_written(exported):
    out, written, _ = exported
    expected = {out / "tables" / f"{name}_{layout}.{fmt}"
                for name in EXPECTED_TABLES for layout in LAYOUTS for fmt in FORMATS}
    expected |= {out / "figures" / f"{name}.{fmt}" for name in EXPECTED_FIGURES for fmt in FIGURE_FORMATS}
    expected |= {out / "tables.docx", out / "manifest.json"}
    missing = sorted(str(p.relative_to(out)) for p in expected if not p.is_file() or p.stat().st_size == 0)
    assert not missing, f"not written: {missing}"
    assert expected <= set(written)
    on_disk = {p for p in out.rglob("*") if p.is_file()}
    assert set(written) == on_disk, "the returned list names exactly the files on disk"


def test_manifest_lists_tables_in_order_and_what_results_lack(exported):
    out, _, _ = exported
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    numbers = [t["number"] for t in manifest["tables"]]
    assert numbers == list(range(1, len(numbers) + 1))
    names = [t["name"] for t in manifest["tables"]]
    assert names[0] == "sample" and names.index("correlations") < names.index("H1_steps")
    assert set(EXPECTED_TABLES) <= set(names)
    # χ²/df, pseudo-R² and response rates are now in the results, and so are the standardised
    # indirect effects (completely standardised ab) and the multilevel model's standardised
    # coefficients (mediation std_* columns, mixed_model beta).
    assert not any("χ²/df" in m or "回收率" in m for m in manifest["missing"])
    assert not any("标准化" in m for m in manifest["missing"])
    assert {"response_rates", "staff_cfa_fit", "H6_pseudo_r2"} <= set(names)


# --------------------------------------------------------------------------- Word
def test_three_line_docx_borders_and_cfi_cell(exported, results_dir):
    import docx
    from docx.oxml.ns import qn

    out, _, _ = exported
    document = docx.Document(out / "tables" / "staff_cfa_fit_three_line.docx")
    assert len(document.tables) == 1
    table = document.tables[0]
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    sides = {el.tag.split("}")[1]: (el.get(qn("w:val")), el.get(qn("w:sz"))) for el in borders}
    assert sides["top"] == ("single", "12") and sides["bottom"] == ("single", "12")  # thick top and bottom
    assert all(sides[s][0] == "nil" for s in ("left", "right", "insideH", "insideV"))  # no other lines
    for cell in table.rows[0].cells:  # the thin rule under the header
        rule = cell._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom"))
        assert (rule.get(qn("w:val")), rule.get(qn("w:sz"))) == ("single", "6")
    for row in table.rows[1:]:
        assert all(cell._tc.tcPr is None or cell._tc.tcPr.find(qn("w:tcBorders")) is None for cell in row.cells)
    assert document.paragraphs[0].text.startswith("表")  # caption above: 表N 标题
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)  # A4 portrait

    header = [c.text.replace("\n", " ") for c in table.rows[0].cells]  # a long header takes two lines
    fit = _result(results_dir, "staff_cfa_fit").set_index("model")
    row = [c.text for c in table.rows[1].cells]
    assert row[0] == "测量模型"
    cfi = fit.loc["measurement", "cfi"]
    expected = f"{round(cfi, 3):.3f}"
    assert expected.startswith("0.")
    assert row[header.index("CFI")] == expected[1:]  # three decimals, no leading zero
    rmsea_ci = row[header.index("RMSEA 90% CI")]
    assert rmsea_ci == (f"[{fit.loc['measurement', 'rmsea_ci_low']:.3f}, "
                        f"{fit.loc['measurement', 'rmsea_ci_high']:.3f}]").replace("0.", ".")


def test_combined_docx_holds_every_table_in_apa_order(exported):
    import docx

    out, _, _ = exported
    document = docx.Document(out / "tables.docx")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(document.tables) == len(manifest["tables"])
    numbers = [p.text for p in document.paragraphs if re.fullmatch(r"表 \d+", p.text)]
    assert numbers == [f"表 {t['number']}" for t in manifest["tables"]]  # APA: number on its own line
    first = [c.text for c in document.tables[0].rows[-1].cells]
    assert first[0] == "合计"


def test_word_files_are_byte_reproducible(exported):
    """python-docx dates zip members with the time of writing; the export pins them (1980-01-01)."""
    import zipfile

    out, _, _ = exported
    for path in (out / "tables.docx", out / "tables" / "H1_steps_apa.docx", out / "tables" / "correlations_three_line.docx"):
        with zipfile.ZipFile(path) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}, path.name


# --------------------------------------------------------------------------- LaTeX, Markdown, CSV
def test_latex_uses_booktabs_rules(exported):
    out, _, _ = exported
    for layout in LAYOUTS:
        tex = (out / "tables" / f"correlations_{layout}.tex").read_text(encoding="utf-8")
        assert tex.count("\\toprule") == 1 and tex.count("\\midrule") == 1 and tex.count("\\bottomrule") == 1
        assert "|" not in tex.split("\\begin{tabular}{")[1].split("}")[0]  # no vertical lines
    assert "\\centering" in (out / "tables" / "correlations_three_line.tex").read_text(encoding="utf-8")


def _csv(out: Path, name: str, layout: str = "apa") -> pd.DataFrame:
    return pd.read_csv(out / "tables" / f"{name}_{layout}.csv", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")


def test_apa_p_values(exported, results_dir):
    out, _, _ = exported
    steps = _csv(out, "H1_steps")
    p_col = [c for c in steps.columns if c.endswith("p")][0]
    raw = _result(results_dir, "H1_steps")["p"]
    assert raw.iloc[1] < 0.001 and steps[p_col].iloc[1] == "< .001"
    assert steps[p_col].iloc[0] == f"{raw.iloc[0]:.3f}"[1:]
    pattern = re.compile(r"^(< \.001|\.\d{3}|> \.999|)$")
    for name in ("H1_coefficients", "H3_coefficients", "H8_coefficients", "H2_effects", "H6_coefficients",
                 "staff_cfa_loadings", "staff_aggregation"):
        cells = _csv(out, name)["p"]
        assert cells.map(lambda s: bool(pattern.match(s))).all(), f"{name}: {sorted(set(cells))[:5]}"
        assert (cells != "").any()


def test_table1_stars_and_reliability_diagonal(exported, results_dir):
    out, _, _ = exported
    t1 = _csv(out, "correlations")
    raw = _result(results_dir, "table1")
    alpha_ts = raw.loc[raw["variable"] == "TS", "TS"].iloc[0]
    assert t1.loc[0, "1"] == f"({alpha_ts:.2f})".replace("(0.", "(.")
    corr = _result(results_dir, "correlations")
    pair = corr[(corr["var1"] == "TS") & (corr["var2"] == "CO")].iloc[0]
    assert pair["p"] < 0.001
    assert t1.loc[1, "1"] == f"{pair['r']:.2f}"[1:] + "***"
    assert t1.loc[0, "2"] == ""  # upper triangle blank
    assert "* p < .05" in (out / "tables" / "correlations_apa.md").read_text(encoding="utf-8")


def test_column_labels_in_both_languages(exported, exported_en):
    zh = _csv(exported[0], "staff_reliability_validity")
    en = _csv(exported_en[0], "staff_reliability_validity")
    assert {"维度", "α 系数", "ω 系数", "组合信度 CR", "平均方差抽取量 AVE"} <= set(zh.columns)
    assert {"Scale", "α", "ω", "CR", "AVE"} <= set(en.columns)
    assert zh.loc[0, "维度"] == "目标设定" and en.loc[0, "Scale"] == "Target setting"
    coef = _csv(exported[0], "H1_coefficients")
    assert {"变量", "b", "SE", "β", "p", "95% CI", "VIF"} <= set(coef.columns)
    assert "性别：女" in set(coef["变量"])
    leaks = [p.name for p in (exported_en[0] / "tables").glob("*") if CJK.search(p.read_text(encoding="utf-8-sig"))]
    assert not leaks, f"Chinese text in English tables: {leaks}"


def test_pseudo_r2_rows_are_named_not_coded(exported, exported_en, results_dir):
    codes = list(_result(results_dir, "H6_pseudo_r2")["term"])
    assert codes == ["R2_level1", "R2_level2", "R2_marginal", "R2_conditional"]
    zh, en = _csv(exported[0], "H6_pseudo_r2"), _csv(exported_en[0], "H6_pseudo_r2")
    assert list(zh.iloc[:, 0]) == ["第一层（个人）R²", "第二层（组）R²", "边际 R²", "条件 R²"]
    assert list(en.iloc[:, 0]) == ["Level-1 (individual) R²", "Level-2 (group) R²", "Marginal R²", "Conditional R²"]
    for out in (exported[0], exported_en[0]):
        text = "".join(p.read_text(encoding="utf-8-sig") for p in (out / "tables").glob("H6_pseudo_r2_*")
                       if p.suffix in (".csv", ".md", ".tex"))
        assert "R2_" not in text


def test_reviewer_table_sets_values_beside_thresholds(exported, results_dir):
    out, _, _ = exported
    rev = _csv(out, "staff_reviewer")
    raw = _result(results_dir, "staff_reviewer")
    assert len(rev) == len(raw)
    assert list(rev.columns) == ["类别", "维度", "指标", "数值", "临界值", "结论"]
    assert (rev["结论"] == "未通过").sum() == int((~raw["passed"].astype(bool)).sum())
    cfi = rev[(rev["维度"] == "测量模型") & (rev["指标"] == "CFI")].iloc[0]
    assert cfi["临界值"] == "≥ .90"


def test_common_method_note_carries_the_harman_caveat(exported):
    out, _, _ = exported
    md = (out / "tables" / "staff_common_method_apa.md").read_text(encoding="utf-8")
    assert "Harman" in md and "Podsakoff" in md and "很弱" in md


# --------------------------------------------------------------------------- figures
def test_figures_in_three_formats_without_missing_glyphs(exported):
    from PIL import Image

    out, _, messages = exported
    assert not _glyph_messages(messages), _glyph_messages(messages)
    for name in EXPECTED_FIGURES:
        png, svg, pdf = (out / "figures" / f"{name}.{fmt}" for fmt in FIGURE_FORMATS)
        with Image.open(png) as image:
            assert round(image.info["dpi"][0]) == 300
        assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
        assert pdf.read_bytes().startswith(b"%PDF")


def test_styled_html_is_deterministic(results_dir):
    from analysis.report.study import StudyReport

    report = StudyReport(results_dir, study_path=STUDY)
    table = next(t for t in report.tables() if t.name == "correlations")
    first, second = report.styled(table).to_html(), StudyReport(results_dir, study_path=STUDY).styled(table).to_html()
    assert first == second
    assert 'id="T_hallperf_correlations"' in first and "目标设定" in first


# --------------------------------------------------------------------------- notebook
def test_notebook_is_a_clean_template():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    source = tagged[0].source
    for line in ('wave = "sample"', 'lang = "zh"', 'results_dir = "output/sample/results"',
                 'output_dir = "output/sample/study"', 'study_path = "surveys/study.yml"'):
        assert line in source
    assert all("#" in line for line in source.splitlines() if "=" in line)  # every default commented
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit without outputs"
    assert not any(re.search(r"^\s*(def|class|lambda)\b", c.source, re.M) for c in code)
    assert "analysis.report.study" in "".join(c.source for c in code)


@pytest.mark.slow
def test_notebook_runs_with_papermill(results_dir, tmp_path):
    import nbformat
    import papermill as pm

    from analysis.report.study import SECTIONS

    out_nb = tmp_path / "study.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out_nb), kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
                        parameters={"wave": "sample", "lang": "zh", "results_dir": str(results_dir),
                                    "output_dir": str(tmp_path / "study"), "study_path": str(STUDY)})
    nb = nbformat.read(out_nb, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    markdown = "\n".join(o.data["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
    for i, (zh, _) in enumerate(SECTIONS.values(), start=1):
        assert f"## {i} {zh}" in markdown
    assert "本期结果只含一期调查" in markdown  # no waves_* / trend_* tables in these results
    html = "".join(o.data["text/html"] for o in outputs if "text/html" in o.get("data", {}))
    assert 'id="T_hallperf_correlations"' in html
    # each figure once in the report part (cells tagged remove_cell, the exploration part, are not in the page)
    shown = [o for c in nb.cells if c.cell_type == "code" and "remove_cell" not in c.metadata.get("tags", [])
             for o in c.outputs]
    assert sum("image/png" in o.get("data", {}) for o in shown) == len(EXPECTED_FIGURES)
    streams = "".join(o.text for o in outputs if o.output_type == "stream")
    assert not _glyph_messages([streams]), streams
    assert (tmp_path / "study" / "tables.docx").is_file()


def test_cluster_bootstrap_method_is_labelled_from_its_codes(results_dir):
    from analysis.report.study import StudyReport

    report = StudyReport(results_dir, study_path=ROOT / "surveys" / "study.yml", lang="zh")
    effects = _result(results_dir, "H2_effects")
    indirect = effects[effects["estimand"] == "indirect"].iloc[0].to_dict()
    assert report.method_text(indirect) == \
        "OLS 估计；按营业厅整群重抽样的 Bootstrap（60 个群，5000 次重抽样，百分位区间）"


def test_standardised_effects_in_mediation_and_multilevel_tables(exported, exported_en, results_dir):
    out, _, _ = exported
    med = _csv(out, "H2_effects")
    raw = _result(results_dir, "H2_effects")
    assert {"标准化效应", "标准化效应 95% CI"} <= set(med.columns)
    ind = raw.index[raw["path"] == "indirect"][0]
    assert med.loc[ind, "标准化效应"] == f"{raw.loc[ind, 'std_estimate']:.3f}"
    assert med.loc[ind, "标准化效应 95% CI"].startswith("[")
    assert "Preacher & Kelley" in (out / "tables" / "H2_effects_apa.md").read_text(encoding="utf-8")
    ml = _csv(out, "H6_coefficients")
    raw_ml = _result(results_dir, "H6_coefficients")
    assert "标准化效应" in ml.columns
    fixed = raw_ml.index[(raw_ml["effect"] == "fixed") & (raw_ml["term"] != "Intercept")][0]
    assert ml.loc[fixed, "标准化效应"] == f"{raw_ml.loc[fixed, 'beta']:.3f}"
    assert "Standardised effect" in set(_csv(exported_en[0], "H2_effects").columns)
    assert "Standardised effect" in set(_csv(exported_en[0], "H6_coefficients").columns)


# --------------------------------------------------------------------------- stable names, HTML, notes, waves
def test_tables_have_stable_names_and_files_are_named_by_them(exported, results_dir):
    out, _, _ = exported
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    names = [t["name"] for t in manifest["tables"]]
    assert not any(re.fullmatch(r"table\d+", n) for n in names)  # never numbered by position
    number = {t["name"]: t["number"] for t in manifest["tables"]}
    assert number["correlations"] > 1  # the long report numbers Table 1 where its section puts it ...
    tex = (out / "tables" / "correlations_apa.tex").read_text(encoding="utf-8")
    assert "\\caption{" in tex and "\\label{tab:correlations}" in tex  # ... the file is named by the table
    assert "$\\alpha$" in tex and "S[table-format=" in tex


def test_html_correlation_table_never_wraps_names_and_scrolls_inside_its_box(results_dir):
    from analysis.report.study import StudyReport

    report = StudyReport(results_dir, study_path=STUDY)
    table = next(t for t in report.tables() if t.name == "correlations")
    html = report.styled(table).to_html()
    head = html.split("</style>")[0]
    block = re.search(r"#T_hallperf_correlations\s*\{([^}]*)\}", head).group(1)
    assert "display: block" in block and "overflow-x: auto" in block and "max-width: 100%" in block
    assert re.search(r"#T_hallperf_correlations td\.col0\s*\{\s*white-space: nowrap", head)
    assert re.search(r"#T_hallperf_correlations th\.col0\s*\{\s*white-space: nowrap", head)
    headers = re.findall(r'<th id="T_hallperf_correlations_level0_col\d+" class="col_heading[^"]*" >([^<]*)</th>', html)
    k = len(table.frame)
    assert headers[-k:] == [str(i) for i in range(1, k + 1)]  # numbered columns 1..k
    assert '.25<span class="hp-post" style="width: 1.5em">***</span>' in html  # stars in a fixed box


def test_notes_state_estimator_missing_data_and_n(exported, results_dir):
    from analysis.report.study import StudyReport
    from analysis.report.study.tables_psychometrics import sample_note

    out, _, _ = exported
    fit = _result(results_dir, "staff_cfa_fit")
    md = (out / "tables" / "staff_cfa_fit_three_line.md").read_text(encoding="utf-8")
    from analysis.report.study.vocabulary import ESTIMATOR_OF_MISSING, MISSING

    missing = fit["missing"].iloc[0]  # the study's setting (FIML by default), read from the result
    estimator = fit["estimator"].iloc[0] if "estimator" in fit else ESTIMATOR_OF_MISSING[missing]
    assert f"估计：{estimator}（{MISSING[missing][0]}），N = {int(fit['n'].iloc[0])}。" in md
    corr = _result(results_dir, "correlations")
    md = (out / "tables" / "correlations_three_line.md").read_text(encoding="utf-8")
    assert f"n = {int(corr['n'].min())}–{int(corr['n'].max())}。" in md
    rel = _result(results_dir, "staff_reliability")
    md = (out / "tables" / "staff_reliability_validity_apa.md").read_text(encoding="utf-8")
    assert f"列表删除，仅完整作答者，n = {int(rel['n'].min())}–{int(rel['n'].max())}。" in md
    # structured columns, read as they are (never parsed from method text)
    report = StudyReport(results_dir, study_path=STUDY, lang="en")
    frame = pd.DataFrame({"estimator": ["FIML"], "missing": ["fiml"], "n": [365]})
    assert sample_note(report, frame) == "Estimator: FIML (full-information maximum likelihood, all respondents), N = 365."
    assert sample_note(report, pd.DataFrame({"missing": ["pairwise"] * 2, "n": [350, 365]}), estimator=False) == \
        "Pairwise deletion, n = 350–365."


def _fake_wave_results(results_dir: Path, tmp_path: Path) -> Path:
    """The sample results plus waves_invariance and waves_company frames with the columns compare writes."""
    out = tmp_path / "results"
    shutil.copytree(results_dir, out)
    inv = pd.DataFrame({
        "scale": ["TS", "TS", "TS", "PK"], "n_items": [4, 4, 4, 2], "items": ["TS1;TS2;TS3;TS4"] * 3 + ["PK1;PK2"],
        "step": ["configural", "metric", "scalar", None], "n": [678, 678, 678, 600], "n_groups": [2, 2, 2, 2],
        "chisq": [4.98, 9.77, 12.52, None], "df": [4, 7, 10, 0], "p": [0.29, 0.20, 0.25, None],
        "cfi": [0.998, 0.995, 0.996, None], "tli": [0.99, 0.99, 0.99, None], "rmsea": [0.027, 0.034, 0.027, None],
        "srmr": [0.013, 0.030, 0.033, None], "delta_chisq": [None, 4.79, 2.75, None], "delta_df": [None, 3.0, 3.0, None],
        "delta_p": [None, 0.188, 0.0004, None], "delta_cfi": [None, 0.003, -0.0004, None],
        "delta_rmsea": [None, 0.007, -0.007, None], "delta_srmr": [None, 0.017, 0.003, None],
        "invariant": [True, True, True, False], "invariant_strict": [True] * 4, "converged": [True] * 4,
        "comparable": [True, True, True, False], "reason": [None, None, None, "fewer_than_3_items"]})
    company = pd.DataFrame({
        "level": ["company"] * 2, "unit": ["all"] * 2, "scale": ["TS", "PK"], "wave": ["w2"] * 2,
        "previous_wave": ["w1"] * 2, "n": [297, 296], "previous_n": [294, 293], "mean": [3.49, 3.55],
        "previous_mean": [3.48, 3.46], "sd": [0.73, 0.79], "previous_sd": [0.75, 0.81], "mean_ci_low": [3.4, 3.4],
        "mean_ci_high": [3.6, 3.6], "previous_ci_low": [3.4, 3.4], "previous_ci_high": [3.6, 3.6],
        "change": [0.0137, None], "se": [0.06, None], "ci_low": [-0.106, None], "ci_high": [0.133, None],
        "t": [0.23, None], "df": [588.27, None], "p": [0.0004, None], "p_holm": [0.0008, None],
        "significant": [True, False], "comparable": [True, False], "reason": [None, "fewer_than_3_items"],
        "n_both": [219, 219]})
    info = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for name, frame in (("waves_invariance", inv), ("waves_company", company)):
        frame.to_parquet(out / f"{name}.parquet", index=False)
        info["tables"][name] = {"rows": len(frame)}
    (out / "results.json").write_text(json.dumps(info), encoding="utf-8")
    return out


def test_wave_tables_have_bilingual_labels_formats_and_no_internal_columns(results_dir, tmp_path):
    from analysis.report.study import StudyReport

    results = _fake_wave_results(results_dir, tmp_path)
    zh = {t.name: t for t in StudyReport(results, study_path=STUDY).section_tables("waves")}
    cells, header, _, note = zh["waves_invariance"].render("zh")
    assert header == ["维度", "题项数", "等值模型", "样本量", "χ²", "df", "CFI", "RMSEA", "SRMR", "Δχ²", "Δdf",
                      "Δχ² 的 p", "ΔCFI", "ΔRMSEA", "等值成立", "说明"]
    assert list(cells.iloc[:, 0]) == ["目标设定", "", "", "产品知识"]  # a scale's name once per group
    assert list(cells["step"]) == ["形态等值", "度量等值", "标量等值", ""]
    assert list(cells["delta_p"]) == ["", ".188", "< .001", ""] and list(cells["delta_cfi"])[1:3] == [".003", ".000"]
    assert cells["reason"].iloc[3] == "题项少于 3 个，无法检验" and "Chen（2007）" in note
    cells, header, _, note = zh["waves_company"].render("zh")
    assert header == ["维度", "上期 n", "上期均值", "上期标准差", "本期 n", "本期均值", "本期标准差", "变化",
                      "变化的 95% CI", "t", "df", "p", "Holm 校正 p", "两期均作答人数", "说明"]
    assert cells.iloc[0].tolist()[7:13] == ["0.01", "[-0.11, 0.13]", "0.23", "588.3", "< .001", "< .001"]
    assert zh["waves_company"].title.endswith("（w1 → w2）") and "Holm" in note
    for t in zh.values():  # no English column name in the Chinese report
        _, header, _, _ = t.render("zh")
        assert not [h for h in header if "_" in h or re.fullmatch(r"[a-z]{3,}", h)], header
        assert not {"items", "invariant_strict", "converged", "n_groups", "level", "wave", "se"} & set(t.frame.columns)
    en = {t.name: t for t in StudyReport(results, study_path=STUDY, lang="en").section_tables("waves")}
    _, header, _, _ = en["waves_company"].render("en")
    assert header[:3] == ["Scale", "Previous n", "Previous M"] and "Holm-adjusted p" in header

"""SPSS/Stata exports: round trip through pyreadstat keeps values, Chinese variable and value labels;
Stata's 80-character label limit and integer-only value labels are respected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analysis.exports import prepare_export, write_dta, write_sav
from analysis.instrument import load_instrument
from analysis.scoring import score_table
from fixtures.exports import SURVEYS

READ = {"sav": pyreadstat.read_sav, "dta": pyreadstat.read_dta}
WRITE = {"sav": write_sav, "dta": write_dta}


# Fixture staff (and plain_ingest, used below): tests/conftest.py.


@pytest.fixture(scope="module")
def branches_inst():
    return load_instrument(SURVEYS / "branches.yml")


@pytest.fixture(scope="module")
def processed(plain_ingest):
    """The bundled sample's staff survey and branches after ingest: (staff frame, branches frame)."""
    directory, (accepted, _, _) = plain_ingest
    return accepted, pd.read_parquet(directory / "out" / "w" / "branches.parquet")


@pytest.mark.parametrize("target", ["sav", "dta"])
def test_round_trip_accepted_survey_data(tmp_path, staff, processed, target):
    data, _ = processed
    path = tmp_path / f"staff.{target}"
    spec = WRITE[target](data, path, staff)
    back, meta = READ[target](str(path))
    assert list(back.columns) == list(data.columns) and spec.renamed == {}
    # Values: numbers unchanged, category codes "1"/"2" stored as the numbers 1/2, text intact.
    np.testing.assert_array_equal(back["TS1"].to_numpy(), data["TS1"].to_numpy())
    np.testing.assert_array_equal(back["tenure_years"].to_numpy(), data["tenure_years"].to_numpy())
    np.testing.assert_array_equal(back["age"].to_numpy(dtype=float), data["age"].to_numpy(dtype=float))
    assert back["gender"].tolist() == data["gender"].astype(int).tolist()
    assert back["staff_id"].tolist() == data["staff_id"].tolist()
    suggestion = data["suggestion"].fillna("")
    assert back["suggestion"].tolist() == suggestion.tolist()
    assert suggestion.str.contains("[\u4e00-\u9fff]").sum() > 50 and suggestion.nunique() > 50  # Chinese comments, many
    # Variable labels: Chinese by default, the codebook's texts.
    labels = meta.column_names_to_labels
    assert labels["gender"] == "性别"
    assert labels["TS1"] == staff.items["TS1"].text.zh
    assert labels["staff_id"] == "工号（假名）"
    assert labels["duration_seconds"] == "所用时间"
    assert meta.file_label == staff.title.zh
    # Value labels: category fields and the response scale.
    values = meta.variable_value_labels
    assert values["gender"] == {1: "男", 2: "女"}
    assert values["education"][4] == "硕士及以上"
    assert values["TS1"] == {1: "非常不同意", 2: "不同意", 3: "一般", 4: "同意", 5: "非常同意"}


@pytest.mark.parametrize("target", ["sav", "dta"])
def test_scores_and_branch_aggregates_in_english(tmp_path, staff, processed, target):
    data, _ = processed
    scores = score_table(data, staff)
    path = tmp_path / f"scores.{target}"
    WRITE[target](scores, path, staff, lang="en")
    back, meta = READ[target](str(path))
    np.testing.assert_allclose(back["EN"].to_numpy(), scores["EN"].to_numpy(), rtol=0, atol=0)
    assert back["careless"].tolist() == scores["careless"].astype(int).tolist()
    assert meta.column_names_to_labels["EN"] == "Work engagement"
    assert meta.column_names_to_labels["staff_id"] == "Staff ID (pseudonym)"
    assert meta.variable_value_labels["careless"] == {0: "No", 1: "Yes"}
    assert meta.variable_value_labels["gender"] == {1: "Male", 2: "Female"}

    branch = scores.groupby("branch_id").agg(TS_mean=("TS", "mean"), TS_sd=("TS", "std"), n=("TS", "size")).reset_index()
    path = tmp_path / f"branch.{target}"
    WRITE[target](branch, path, staff, labels={"n": "Respondents"})
    back, meta = READ[target](str(path))
    np.testing.assert_allclose(back["TS_mean"].to_numpy(), branch["TS_mean"].to_numpy(), rtol=0, atol=0)
    assert meta.column_names_to_labels["TS_mean"] == "目标设定 (mean)"
    assert meta.column_names_to_labels["n"] == "Respondents"


def test_stata_label_limit_and_format_118(tmp_path, staff, processed):
    data, _ = processed
    long_en = staff.items["PK1"].text.en
    assert len(long_en) > 80
    path = tmp_path / "staff_en.dta"
    spec = write_dta(data, path, staff, lang="en")
    _, meta = pyreadstat.read_dta(str(path))
    assert len(meta.column_names_to_labels["PK1"]) == 80
    assert meta.column_names_to_labels["PK1"] == long_en[:79] + "…"
    assert any(t.startswith("variable PK1:") for t in spec.truncated)
    assert all(len(label) <= 80 for label in meta.column_names_to_labels.values() if label)
    assert path.read_bytes()[:50].startswith(b"<stata_dta><header><release>118</release>")
    # SPSS allows 256 bytes: the same label is written whole.
    write_sav(data, tmp_path / "staff_en.sav", staff, lang="en")
    _, meta = pyreadstat.read_sav(str(tmp_path / "staff_en.sav"))
    assert meta.column_names_to_labels["PK1"] == long_en


def test_text_category_codes(tmp_path, branches_inst, processed):
    _, branches = processed
    spec = write_dta(branches, tmp_path / "b.dta", branches_inst)
    back, meta = pyreadstat.read_dta(str(tmp_path / "b.dta"))
    order = spec.encoded["branch_type"]
    assert order == {"flagship": 1, "standard": 2, "community": 3, "rural": 4}
    assert back["branch_type"].tolist() == branches["branch_type"].map(order).tolist()
    assert meta.variable_value_labels["branch_type"] == {1: "旗舰厅", 2: "标准厅", 3: "社区厅", 4: "乡镇厅"}
    assert back["branch_name"].tolist() == branches["branch_name"].tolist()
    # SPSS labels text values directly: the codes stay.
    write_sav(branches, tmp_path / "b.sav", branches_inst)
    back, meta = pyreadstat.read_sav(str(tmp_path / "b.sav"))
    assert back["branch_type"].tolist() == branches["branch_type"].tolist()
    assert meta.variable_value_labels["branch_type"]["rural"] == "乡镇厅"


def test_names_fitted_to_each_format(staff):
    frame = pd.DataFrame({"TS mean": [1.0], "1st": [2.0], "with": [3.0], "a" * 40: [4.0], "a" * 40 + "b": [5.0]})
    sav = prepare_export(frame, None, target="sav")
    dta = prepare_export(frame, None, target="dta")
    assert sav.renamed == {"TS mean": "TS_mean", "1st": "v1st", "with": "with_"}
    assert dta.renamed["TS mean"] == "TS_mean" and dta.renamed["with"] == "with_"
    assert dta.renamed["a" * 40] == "a" * 32 and dta.renamed["a" * 40 + "b"] == "a" * 30 + "_2"
    with pytest.raises(ValueError, match="target must be 'sav' or 'dta'"):
        prepare_export(frame, staff, target="xpt")
    with pytest.raises(ValueError, match="lang must be"):
        prepare_export(frame, staff, target="sav", lang="fr")

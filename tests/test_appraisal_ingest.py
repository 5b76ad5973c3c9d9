"""The codebook option ``pseudonymise_as``: a second id column (the ratee of a 360° rating) that is
pseudonymised into another column's namespace, so it links to that column's pseudonyms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InstrumentError
from analysis.ingest import ingest_table
from analysis.instrument import load_instrument
from analysis.io.base import RawTable
from analysis.privacy import pseudonymise
from conftest import SURVEYS

SECRET = b"k" * 32


def raw(frame: pd.DataFrame) -> RawTable:
    return RawTable(frame=frame.astype("string"), source_rows=np.arange(2, len(frame) + 2), format="csv")


def test_ratee_and_rater_link_to_staff_pseudonyms():
    inst = load_instrument(SURVEYS / "ratings360.yml")
    assert inst.respondent.pseudonymise_as == "staff_id" and inst.fields["ratee_id"].pseudonymise_as == "staff_id"
    frame = pd.DataFrame({"评价人编号": ["S1", "M1", "S2"], "被评价人工号": ["S2", "S2", "S2"], "营业厅编号": ["B1"] * 3,
                          "评价人角色": ["同事", "上级", "自评"], "工作业绩": ["4", "3", "5"]})
    result = ingest_table(raw(frame), inst, file_label="r.csv", secret=SECRET)
    staff_ns = pseudonymise(pd.Series(["S1", "S2", "M1"]), SECRET, "staff_id").tolist()
    ok = result.accepted
    assert ok["ratee_id"].tolist() == [staff_ns[1]] * 3  # the ratee's pseudonym is the staff pseudonym
    assert ok["rater_id"].tolist() == [staff_ns[0], staff_ns[2], staff_ns[1]]
    assert ok.loc[2, "rater_id"] == ok.loc[2, "ratee_id"]  # a self-rating: rater = ratee after pseudonymisation
    assert ok["rater_role"].tolist() == ["peer", "supervisor", "self"]  # labels mapped to codes


def test_pseudonymised_field_values_hidden_in_quarantine():
    inst = load_instrument(SURVEYS / "ratings360.yml")
    frame = pd.DataFrame({"评价人编号": ["S1", "S1"], "被评价人工号": ["S2", "S2"], "营业厅编号": ["B1", "B1"],
                          "评价人角色": ["同事", "同事"], "工作业绩": ["9", "4"]})
    result = ingest_table(raw(frame), inst, file_label="r.csv", secret=SECRET)
    q = result.quarantine
    assert set(q["reason"]) == {"out_of_range"} and len(result.accepted) == 1
    assert "S2" not in q.to_csv() and "S1" not in q.to_csv()
    frame.loc[0, "工作业绩"] = "4"  # now the two rows repeat the unique key (rater, ratee)
    dup = ingest_table(raw(frame), inst, file_label="r.csv", secret=SECRET)
    assert dup.reasons == {"duplicate_record": 1}


def test_pseudonymise_as_needs_a_string_field(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("id: x\nversion: '1'\nkind: records\nrespondent: {column: rid}\n"
                    "fields:\n  other: {type: integer, pseudonymise_as: staff_id}\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"fields\.other\.pseudonymise_as: only string fields can be pseudonymised"):
        load_instrument(path)

"""Simulated waves: deterministic, realistic flaws, and a truth that matches what was generated."""

from __future__ import annotations

import copy
import hashlib

import numpy as np
import pandas as pd
import pytest

from analysis.pipeline import run_simulate
from analysis.simulate import load_model, population_omega, simulate_wave
from analysis.simulate.comments import STAFF_WEAK
from conftest import SURVEYS


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_files(tmp_path):
    for name in ("a", "b"):
        run_simulate("w", branches=12, seed=5, out=tmp_path / name, instruments_dir=SURVEYS, model_path=SURVEYS / "simulation.yml")
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    run_simulate("w", branches=12, seed=6, out=tmp_path / "c", instruments_dir=SURVEYS, model_path=SURVEYS / "simulation.yml")
    assert digests(tmp_path / "a")["staff_survey.csv"] != digests(tmp_path / "c")["staff_survey.csv"]


def test_population_omega_formula():
    # Four items with loading .7: (2.8)^2 / (2.8^2 + 4 * .51) = 7.84 / 9.88 (McDonald 1999, eq. 6.20b).
    assert population_omega([0.7] * 4) == pytest.approx(7.84 / 9.88)


def test_wave_has_small_branches_and_flaws(instruments):
    sim = simulate_wave(instruments, load_model(SURVEYS / "simulation.yml"), wave="t", branches=60, seed=3)
    staff = sim.tables["staff"]
    per_branch = staff.groupby("branch_id").size()
    assert sim.truth["branches_below_5_respondents"] > 0
    assert (per_branch < 5).sum() >= 1
    items = list(instruments["staff"].items)
    assert staff[items].isna().to_numpy().mean() == pytest.approx(0.02, abs=0.01)
    straight = staff[staff["staff_id"].isin(sim.truth["careless"]["straightliner"])][items]
    assert (straight.nunique(axis=1) == 1).all()


def test_item_responses_follow_the_loadings(instruments):
    """Inter-item correlations of one scale rise with the product of the true loadings."""
    sim = simulate_wave(instruments, load_model(SURVEYS / "simulation.yml"), wave="t", branches=600, seed=4, malformed=False)
    staff = sim.tables["staff"]
    inst = instruments["staff"]
    scale = inst.scales["TS"].items
    keyed = staff[list(scale)].astype(float)
    for code in scale:
        if inst.items[code].reverse:
            keyed[code] = 6 - keyed[code]
    r = keyed.corr().to_numpy()
    lam = np.array([sim.truth["loadings"][c] for c in scale])
    expected = np.outer(lam, lam)
    upper = np.triu_indices(len(scale), 1)
    # Coarsening into 5 categories attenuates Pearson r (by ~.9 for these thresholds), so compare ranks
    # and check attenuation is in the expected band, not equality.
    ratio = r[upper] / expected[upper]
    assert np.all((ratio > 0.75) & (ratio < 1.05))


def test_engagement_effects_recovered_from_latent_model(instruments):
    """The stated target-gap effect shows up in the observed engagement score's direction."""
    sim = simulate_wave(instruments, load_model(SURVEYS / "simulation.yml"), wave="t", branches=400, seed=8, malformed=False)
    kpi = sim.tables["kpi"]
    staff = sim.tables["staff"].copy()
    inst = instruments["staff"]
    en = inst.scales["EN"].items
    keyed = staff[list(en)].astype(float)
    for code in en:
        if inst.items[code].reverse:
            keyed[code] = 6 - keyed[code]
    staff["EN"] = keyed.mean(axis=1)
    per_staff = kpi.groupby("staff_id").agg(target=("assigned_target", "first"), sales=("sales_revenue", "sum"))
    merged = staff.merge(per_staff, left_on="staff_id", right_index=True)
    assert np.corrcoef(merged["EN"], merged["sales"] / (3 * merged["target"]))[0, 1] > 0.05


# --- open comments ---------------------------------------------------------------------------

COMMENT_COLUMNS = {"staff": "suggestion", "customer": "comment"}


def test_comments_have_their_own_stream(instruments):
    """Without comments every other value of a base wave and of a follow-up is the same (the
    committed sample's R reference values rely on it)."""
    model = load_model(SURVEYS / "simulation.yml")
    silent = copy.deepcopy(model)
    silent["comments"].update(staff_share=0.0, customer_share=0.0)
    for follow_up in (0, 1):
        a = simulate_wave(instruments, model, wave="t", branches=20, seed=9, follow_up=follow_up)
        b = simulate_wave(instruments, silent, wave="t", branches=20, seed=9, follow_up=follow_up)
        assert a.truth["comments"]["stream"] == [9, follow_up, 3]
        for name, column in COMMENT_COLUMNS.items():
            written = a.tables[name][column] != ""
            assert 0.1 < written.mean() < 0.5 and (b.tables[name][column] == "").all()
            pd.testing.assert_frame_equal(a.tables[name].drop(columns=column), b.tables[name].drop(columns=column))
            assert a.truth["comments"][f"{name}_comments"] <= written.sum()  # malformed copies repeat some
        for name in ("branches", "kpi", "ratings360"):
            pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    with pytest.raises(ValueError, match="comments has unknown key.*staff_share"):
        bad = copy.deepcopy(model)
        bad["comments"]["share"] = 0.3
        simulate_wave(instruments, bad, wave="t", branches=5, seed=9)


def test_suggestions_speak_of_the_writers_weak_dimensions(instruments):
    """A complaint about a dimension comes only from staff whose latent score on it is below ``weak``."""
    model = load_model(SURVEYS / "simulation.yml")
    sim = simulate_wave(instruments, model, wave="t", branches=60, seed=3, malformed=False)
    latent = sim.people.set_index("staff_id")
    weak = model["comments"]["weak"]
    complaints = 0
    for sid, text in zip(sim.tables["staff"]["staff_id"], sim.tables["staff"]["suggestion"]):
        for dim, templates in STAFF_WEAK.items():
            # "希望…" templates may be written "建议…"
            if any((t[2:] if t.startswith("希望") else t) in text for t in templates):
                assert latent.loc[sid, dim] < weak, (sid, dim, text)
                complaints += 1
    assert complaints > 30


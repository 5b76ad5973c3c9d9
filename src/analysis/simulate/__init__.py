"""Synthetic survey waves whose truth is known.

The generating model is read from a YAML file (``surveys/simulation.yml`` for the bundled
study), so no scale code is written here. The structure, with all latent variables standardised:

* branch *j* of a type (staff, foot traffic), in a district (:mod:`.branches`); management-practice
  climate ``B_j ~ N(0, R)`` and staff deviations ``W_ij ~ N(0, R)`` (``R`` equicorrelated), mixed as
  ``P_ij = sqrt(icc)·B_j + sqrt(1 − icc)·W_ij`` (:mod:`.latent`);
* ``g_ij = log(assigned target / objective expectation)`` with a branch and a staff part;
* engagement ``EN_ij = Σ a_k P_kij + γ g_ij + e_ij`` with ``Var(e)`` set so ``Var(EN) = 1``;
* competencies from training and engagement;
* the target completion rate ``Y_ij = β0 + β_EN EN_ij + Σ c_k P_kij + β_g g_ij + β_cs CS_j + u_j + ε_ij``,
  with monthly noise around it; sales = target × completion (:mod:`.kpi`);
* customers' overall satisfaction with a branch part ``CS_j`` and their scales loading on it;
* items ``y* = λ·η + sqrt(1 − λ²)·ε`` cut at fixed thresholds into 1–5 (reversed items coded back),
  so each scale's reliability of the latent responses is known: ω = (Σλ)² / ((Σλ)² + Σ(1 − λ²))
  (:mod:`.responses`).

Realistic flaws are added and recorded in ``truth.json`` (:mod:`.flaws`): missing answers,
straight-liners, too-fast respondents, and malformed rows of every kind ingest must quarantine.
360° ratings and action registers come from :mod:`.appraisal`, open comments from
:mod:`.comments`; what persists between waves is a :class:`WaveStructure` (:mod:`.structure`).
:func:`simulate_wave` (:mod:`.wave`) runs the steps; :func:`write_wave` (:mod:`.writers`) writes the files.
"""

from analysis.simulate.responses import population_omega
from analysis.simulate.structure import GIVEN, SURNAMES, WaveStructure
from analysis.simulate.wave import SimulatedWave, implied_mean_shifts, simulate_wave
from analysis.simulate.writers import load_model, write_wave

__all__ = ["GIVEN", "SURNAMES", "SimulatedWave", "WaveStructure", "implied_mean_shifts", "load_model",
           "population_omega", "simulate_wave", "write_wave"]

"""Small inputs for the docstring examples of :mod:`analysis.simulate` (one definition, not one per example).

The bundled codebooks and generating model (:func:`example_inputs`), the first draws of a base
wave (:func:`example_draws`), what a base wave leaves for its follow-ups (:func:`example_structure`)
and a whole small wave (:func:`example_wave`).
"""

from __future__ import annotations

import numpy as np

from analysis.instrument import Instrument, load_instruments
from analysis.simulate.branches import Branches, draw_branches
from analysis.simulate.latent import CustomerLatent, StaffLatent, customer_latent, staff_latent
from analysis.simulate.structure import WaveStructure
from analysis.simulate.wave import COMMENT_STREAM, SimulatedWave, _simulate, simulate_wave
from analysis.simulate.writers import load_model

__all__ = ["example_inputs", "example_draws", "example_structure", "example_wave"]


def example_inputs(directory: str = "surveys", path: str = "surveys/simulation.yml") -> tuple[dict[str, Instrument], dict]:
    """The codebooks and the generating model of the bundled study.

    Parameters
    ----------
    directory, path : the folder of codebooks and the generating model's file (the project's
        ``surveys/`` ones by default).

    Returns
    -------
    (instruments, model): codebooks by id, and the model as a mapping.

    Examples
    --------
    >>> instruments, model = example_inputs()
    >>> sorted(model["instruments"].values()) == sorted(instruments), model["practices"][:3]
    (True, ['TS', 'CO', 'EF'])
    """
    return load_instruments(directory), load_model(path)


def example_draws(branches: int = 3, seed: int = 0, path: str = "surveys/simulation.yml"
                  ) -> tuple[np.random.Generator, dict, Branches, StaffLatent, CustomerLatent]:
    """The first draws of a base wave: its branches, then the staff's and the customers' latent scores.

    Parameters
    ----------
    branches : number of branches.
    seed : seed of the draws.
    path : the generating model file (the bundled one by default).

    Returns
    -------
    (rng, model, branches, staff, customers): the generator, to draw the next steps from, the
    model, and the draws of :func:`~analysis.simulate.branches.draw_branches`,
    :func:`~analysis.simulate.latent.staff_latent` and :func:`~analysis.simulate.latent.customer_latent`
    (no shifts, no actions).

    Examples
    --------
    >>> rng, model, br, st, cu = example_draws()
    >>> br.staff_count.tolist(), st.branch_of.size, cu.overall.size
    ([1, 8, 16], 25, 99)
    """
    model = load_model(path)
    rng = np.random.default_rng(seed)
    br = draw_branches(rng, model, branches, None)
    st = staff_latent(rng, model, br.staff_count, {}, None, None)
    cu = customer_latent(rng, model, branches, None, {}, None)
    return rng, model, br, st, cu


def example_structure(branches: int = 3, seed: int = 0) -> tuple[dict, WaveStructure]:
    """What a base wave of the bundled study leaves for its follow-ups, drawn as :func:`simulate_wave` draws it.

    Parameters
    ----------
    branches : number of branches.
    seed : seed of the base wave.

    Returns
    -------
    (model, structure): the generating model and the base wave's :class:`WaveStructure`.

    Examples
    --------
    >>> model, s = example_structure()
    >>> s.staff_ids.size, s.next_id, s.stayed  # a base wave: nobody stayed from a wave before
    (25, 25, None)
    """
    instruments, model = example_inputs()
    _, structure = _simulate(np.random.default_rng(seed), instruments, model, wave="base", seed=seed, branches=branches,
                             start_month="2026-07", months=3, shifts={}, malformed=False, staff=None, customers=None,
                             structure=None, comment_seed=[seed, 0, COMMENT_STREAM])
    return model, structure


def example_wave(branches: int = 4, seed: int = 1, **options) -> tuple[dict[str, Instrument], dict, SimulatedWave]:
    """A small simulated wave ``w1`` of the bundled study, July to September 2026.

    Parameters
    ----------
    branches : number of branches.
    seed : seed of the wave.
    **options : further arguments of :func:`simulate_wave` (``malformed=False``, ``follow_up=1`` ...).

    Returns
    -------
    (instruments, model, sim): the codebooks, the generating model and the wave.

    Examples
    --------
    >>> instruments, model, sim = example_wave(malformed=False)
    >>> sim.truth["wave"], sim.truth["months"], sim.malformed
    ('w1', ['2026-07', '2026-08', '2026-09'], [])
    """
    instruments, model = example_inputs()
    return instruments, model, simulate_wave(instruments, model, wave="w1", branches=branches, seed=seed, **options)

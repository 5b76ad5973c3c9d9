"""Benchmark: bootstrap mediation (PROCESS model 4) against pingouin.mediation_analysis.

Same data (n = 20,000, one mediator), 5,000 resamples, one run each; prints the wall times,
their ratio, the machine, and both bias-corrected 95% intervals of the indirect effect (pingouin
uses bias-corrected intervals, so ours is run with ``ci_method="bc"``).  The two draw different
resamples, so the limits agree only within Monte-Carlo error: the SD of an estimated 2.5% or
97.5% quantile from B = 5000 resamples is about sqrt(.025 * .975 / B) / phi(1.96) ~ 0.04
bootstrap-SE units for a near-normal bootstrap distribution; the script prints the differences
in those units (expect |diff| below ~0.15, i.e. within about 3-4 MC SD of the two runs combined).
The baseline is pingouin's gather-and-refit loop; ours uses resampled cross-product sums
(see ``analysis.models._bootstrap``).  Timings are wall-clock, one run each, on whatever else
the machine is doing: note the load average printed alongside.

A last line times the cluster bootstrap (``resample="clusters"``, whole clusters resampled) on
the same data with a synthetic cluster column (200 clusters of 100 rows); no target, just the
time and its ratio to the case bootstrap measured in the same run.

Run: ``.venv/bin/python benchmarks/bench_mediation.py``
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import pandas as pd


def main(n: int = 20_000, n_boot: int = 5_000, seed: int = 42) -> None:
    import pingouin as pg

    from analysis.models import mediation

    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m = 0.3 * x + rng.normal(size=n)
    y = 0.2 * m + 0.1 * x + rng.normal(size=n)
    data = pd.DataFrame({"x": x, "m": m, "y": y})

    t0 = time.perf_counter()
    base = pg.mediation_analysis(data=data, x="x", m="m", y="y", n_boot=n_boot, seed=seed)
    t_base = time.perf_counter() - t0

    t0 = time.perf_counter()
    ours = mediation(data, x="x", m="m", y="y", n_boot=n_boot, seed=seed, ci_method="bc")
    t_ours = time.perf_counter() - t0

    clustered = data.assign(cluster=np.arange(n) % 200)  # 200 synthetic clusters of n / 200 rows
    t0 = time.perf_counter()
    mediation(clustered, x="x", m="m", y="y", n_boot=n_boot, seed=seed, ci_method="bc", group="cluster",
              resample="clusters")
    t_cluster = time.perf_counter() - t0

    b = base[base["path"] == "Indirect"].iloc[0]
    o = ours[ours["path"] == "indirect"].iloc[0]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"python {platform.python_version()} | os.cpu_count()={os.cpu_count()} | "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"data: n={n}, one mediator; resamples: {n_boot}")
    print(f"baseline pingouin.mediation_analysis: {t_base:8.3f} s")
    print(f"analysis.models.mediation (bc):       {t_ours:8.3f} s")
    print(f"speed-up ratio (baseline / ours):     {t_base / t_ours:8.1f}x")
    print(f"indirect estimate  pingouin {b['coef']:.6f}   ours {o['estimate']:.6f}")
    print(f"bootstrap SE       pingouin {b['se']:.6f}   ours {o['se']:.6f}")
    print(f"95% BC interval    pingouin [{b['CI2.5']:.6f}, {b['CI97.5']:.6f}]   "
          f"ours [{o['ci_low']:.6f}, {o['ci_high']:.6f}]")
    se = o["se"]
    print(f"limit differences in bootstrap-SE units: lower {(o['ci_low'] - b['CI2.5']) / se:+.3f}, "
          f"upper {(o['ci_high'] - b['CI97.5']) / se:+.3f}  (MC SD of a 2.5% quantile with "
          f"B={n_boot} is about {np.sqrt(0.025 * 0.975 / n_boot) / 0.0584:.3f} SE for a normal bootstrap distribution)")
    print(f"cluster bootstrap (200 clusters, bc): {t_cluster:8.3f} s   (ratio to our case bootstrap "
          f"{t_cluster / t_ours:.2f}; includes cluster-robust SEs of the paths; no target)")


if __name__ == "__main__":
    main()

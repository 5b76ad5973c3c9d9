"""Benchmark the psychometrics module against named baselines measured in the same run.

1. Alpha with a 1,000-resample percentile bootstrap CI for the 13 scales of the staff survey on
   the simulated national wave (``hallperf simulate --branches 2000 --staff 20000``: 20,136
   respondents, reverse-keyed items, the simulator's missing answers), the whole operation timed
   both ways, on the same resamples (the same seed gives the same index stream both ways):

   * hallperf, all scales in one call: ``scale_reliability(data, scales, n_boot=1000,
     omega=False)``, the call ``hallperf analyze`` makes (one set of resamples for all scales);
     also with BLAS limited to one thread, which is faster on a busy machine;
   * hallperf, one scale per call: ``cronbach_alpha(data, items, n_boot=1000)`` per scale (each
     call draws its own 1,000 x n resample indices, which is most of its work);
   * baseline, what a pingouin user writes: per scale, ``pingouin.cronbach_alpha`` on the data
     and on each resample ``x.iloc[rng.integers(0, n, n)]`` (index drawing, row copies, listwise
     deletion and the percentile CI included), all resamples timed (``--quick``: 100 per
     scale, extrapolated, said in the output).

   Alphas and CI limits must agree to 1e-10.
2. ICC(1)/ICC(2) + rwg(j) for 2,000 branches (bincount) vs. a Python loop over branches;
   identical numbers required.
3. CFA of a 12-factor / 50-item measurement model on 20,000 respondents: wall time and peak
   memory (tracemalloc peak of Python-visible allocations incl. numpy buffers, and ru_maxrss).

Run: ``.venv/bin/python benchmarks/bench_psychometrics.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

SURVEYS = Path(__file__).resolve().parents[1] / "surveys"


def simulate(n: int, n_factors: int = 12, n_items: int = 50, seed: int = 0) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    rng = np.random.default_rng(seed)
    sizes = [5, 5] + [4] * (n_factors - 2)
    sizes[-1] += n_items - sum(sizes)
    phi = np.full((n_factors, n_factors), 0.3) + 0.7 * np.eye(n_factors)
    f = rng.standard_normal((n, n_factors)) @ np.linalg.cholesky(phi).T
    cols, model = {}, {}
    k = 0
    for j, s in enumerate(sizes):
        its = []
        for _ in range(s):
            lam = rng.uniform(0.55, 0.85)
            y = lam * f[:, j] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            cols[f"i{k:02d}"] = np.clip(np.round(3 + 1.1 * y), 1, 5)
            its.append(f"i{k:02d}")
            k += 1
        model[f"S{j + 1:02d}"] = its
    return pd.DataFrame(cols), model


def national_staff(seed: int = 7) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Reverse-keyed item answers of the staff survey of the simulated national wave, and its scales."""
    from analysis.instrument import load_instruments
    from analysis.scoring import reverse_key
    from analysis.simulate import load_model, simulate_wave

    instruments = load_instruments(SURVEYS)
    model = load_model(SURVEYS / "simulation.yml")
    staff = instruments[model["instruments"]["staff"]]
    # the customer survey plays no part here; a small one keeps the simulation short
    sim = simulate_wave(instruments, model, wave="bench", branches=2000, seed=seed, staff=20_000, customers=2_000,
                        malformed=False)
    scales = {code: list(scale.items) for code, scale in staff.scales.items()}
    items = [it for its in scales.values() for it in its]
    data = reverse_key(sim.tables[model["instruments"]["staff"]][items].apply(pd.to_numeric, errors="coerce"), staff)
    return data, scales


def pingouin_alpha(x: pd.DataFrame, n_boot: int, n_timed: int, seed: int, ci: float = 0.95) -> tuple[dict, float]:
    """A pingouin user's alpha with a bootstrap CI for one scale; the (extrapolated) seconds."""
    import pingouin as pg

    n = len(x)
    start = time.perf_counter()
    alpha = pg.cronbach_alpha(x, nan_policy="listwise")[0]
    rng = np.random.default_rng(seed)
    boots = np.array([pg.cronbach_alpha(x.iloc[rng.integers(0, n, n)], nan_policy="listwise")[0]
                      for _ in range(n_timed)])
    seconds = time.perf_counter() - start
    lo, hi = np.nanquantile(boots, [(1 - ci) / 2, (1 + ci) / 2]) if n_timed == n_boot else (np.nan, np.nan)
    return {"alpha": alpha, "boot_ci_low": lo, "boot_ci_high": hi, "boots": boots}, seconds * n_boot / n_timed


def bench_alpha(data: pd.DataFrame, scales: dict[str, list[str]], n_boot: int, n_timed: int, seed: int = 0) -> float:
    from threadpoolctl import threadpool_limits

    from analysis.psychometrics.reliability import bootstrap_alpha, cronbach_alpha, scale_reliability

    n = len(data)
    t0 = time.perf_counter()
    joint = scale_reliability(data, scales, n_boot=n_boot, seed=seed, omega=False).set_index("scale")
    t_joint = time.perf_counter() - t0
    with threadpool_limits(1):
        t0 = time.perf_counter()
        scale_reliability(data, scales, n_boot=n_boot, seed=seed, omega=False)
        t_joint1 = time.perf_counter() - t0
    t_each, each = {}, {}
    for s, items in scales.items():
        t0 = time.perf_counter()
        each[s] = cronbach_alpha(data, items, n_boot=n_boot, seed=seed).iloc[0]
        t_each[s] = time.perf_counter() - t0
    t_pg, ref = {}, {}
    for s, items in scales.items():
        ref[s], t_pg[s] = pingouin_alpha(data[items], n_boot, n_timed, seed)

    # the same numbers: point alphas, CI limits (all resamples) or the timed resamples' alphas
    diffs = [abs(ref[s]["alpha"] - joint.loc[s, "alpha"]) for s in scales]
    if n_timed == n_boot:
        diffs += [abs(ref[s][k] - frame[k]) for s in scales for frame in (joint.loc[s], each[s])
                  for k in ("boot_ci_low", "boot_ci_high")]
    else:
        ours = bootstrap_alpha(data, scales, n_boot=n_timed, seed=seed)
        diffs += [float(np.nanmax(np.abs(ref[s]["boots"] - ours[s]))) for s in scales]
    diff = max(diffs)
    total_pg, total_each = sum(t_pg.values()), sum(t_each.values())
    ratios = [t_pg[s] / t_each[s] for s in scales]
    missing = data[[it for its in scales.values() for it in its]].isna().any(axis=1).mean()
    timed = "all resamples timed" if n_timed == n_boot else f"{n_timed} of {n_boot} resamples per scale timed, x{n_boot / n_timed:.0f}"
    print(f"[alpha bootstrap] {len(scales)} scales of the staff survey, n={n} ({missing:.0%} of rows miss an item), "
          f"{n_boot} resamples, the same resamples both ways")
    print(f"  hallperf scale_reliability, all scales in one call : {t_joint:8.2f} s   (what hallperf analyze runs)")
    print(f"    the same with BLAS limited to one thread          : {t_joint1:8.2f} s")
    print(f"  hallperf cronbach_alpha(n_boot), once per scale    : {total_each:8.2f} s   "
          f"({min(t_each.values()):.2f}-{max(t_each.values()):.2f} s per scale)")
    print(f"  pingouin loop, per scale and resample ({timed}): {total_pg:8.2f} s   "
          f"({min(t_pg.values()):.2f}-{max(t_pg.values()):.2f} s per scale)")
    print(f"  speed-up, all scales in one call (headline)        : {total_pg / t_joint:8.1f}x "
          f"({total_pg / t_joint1:.1f}x with one BLAS thread)")
    print(f"  speed-up, one scale per call                       : {total_pg / total_each:8.1f}x "
          f"(per scale {min(ratios):.1f}-{max(ratios):.1f}x)")
    print(f"  max |difference| (alpha, CI limits)                : {diff:.1e}")
    assert diff < 1e-10
    return total_pg / t_joint


def _loop_aggregation(data, items, group, ranvar):
    score = data[items].mean(axis=1).to_numpy()
    gm = score.mean()
    ssb = ssw = 0.0
    ngroups = 0
    rwg = {}
    J = len(items)
    for g, sub in data.groupby(group, sort=True):
        x = sub[items].to_numpy(dtype=float)
        s = x.mean(axis=1)
        ssb += s.size * (s.mean() - gm) ** 2
        ssw += ((s - s.mean()) ** 2).sum()
        ngroups += 1
        if len(x) < 2:
            rwg[g] = np.nan
            continue
        mvar = min(x.var(axis=0, ddof=1).mean(), ranvar)
        rwg[g] = J * (1 - mvar / ranvar) / (J * (1 - mvar / ranvar) + mvar / ranvar)
    N = score.size
    msb, msw = ssb / (ngroups - 1), ssw / (N - ngroups)
    k = N / ngroups
    return (msb - msw) / (msb + (k - 1) * msw), (msb - msw) / msb, pd.Series(rwg)


def bench_aggregation(n_groups=2000, seed=1):
    from analysis.psychometrics.aggregation import icc, rwg_j

    rng = np.random.default_rng(seed)
    sizes = rng.integers(4, 17, n_groups)
    g = np.repeat(np.arange(n_groups), sizes)
    u = rng.normal(0, 0.5, n_groups)[g]
    d = pd.DataFrame({f"q{i}": np.clip(np.round(3 + u + rng.normal(size=g.size)), 1, 5) for i in range(5)})
    d["branch"] = g
    items = [f"q{i}" for i in range(5)]
    t0 = time.perf_counter()
    r_icc = icc(d.assign(score=d[items].mean(axis=1)), "score", "branch").iloc[0]
    r_rwg = rwg_j(d, items, "branch", n_options=5)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    i1, i2, rw = _loop_aggregation(d, items, "branch", 2.0)
    t_loop = time.perf_counter() - t0
    diff = max(abs(i1 - r_icc["icc1"]), abs(i2 - r_icc["icc2"]),
               np.nanmax(np.abs(rw.to_numpy() - r_rwg.set_index("group")["rwg_j"].loc[rw.index].to_numpy())))
    print(f"[ICC + rwg(j)] {n_groups} branches, {g.size} respondents, 5 items")
    print(f"  ours (bincount)             : {t_ours * 1000:8.1f} ms")
    print(f"  Python loop over branches   : {t_loop * 1000:8.1f} ms")
    print(f"  speed-up                    : {t_loop / t_ours:8.1f}x   max |diff| = {diff:.2e}")
    assert diff < 1e-10
    return t_loop / t_ours


def bench_cfa(data, model):
    from analysis.psychometrics.cfa import cfa

    tracemalloc.start()
    t0 = time.perf_counter()
    res = cfa(data, model)
    t = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    f = res.fit.iloc[0]
    print(f"[CFA] {len(model)} factors / {sum(map(len, model.values()))} items, n={len(data)}")
    print(f"  wall time                   : {t:8.2f} s   ({int(f['n_free'])} free parameters, df={int(f['df'])})")
    print(f"  tracemalloc peak            : {peak / 2**20:8.1f} MiB")
    print(f"  process ru_maxrss           : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.1f} MiB")
    print(f"  fit: chisq={f['chisq']:.1f} cfi={f['cfi']:.3f} rmsea={f['rmsea']:.3f} srmr={f['srmr']:.3f} converged={f['converged']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="time 100 of the 1,000 pingouin resamples per scale")
    args = ap.parse_args()
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"cpu_count={os.cpu_count()} | python {platform.python_version()} | numpy {np.__version__}")
    print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    staff, scales = national_staff()
    bench_alpha(staff, scales, n_boot=1000, n_timed=100 if args.quick else 1000)
    bench_aggregation(2000)
    data, model = simulate(20_000)
    bench_cfa(data, model)
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()

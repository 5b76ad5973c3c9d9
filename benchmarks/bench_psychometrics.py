"""Benchmark the psychometrics module against named baselines measured in the same run.

1. Alpha with a 1,000-resample bootstrap CI for 12 scales on 20,000 respondents:
   ``bootstrap_alpha`` (one counts matrix per chunk, one matrix product for all scales) vs.
   ``pingouin.cronbach_alpha`` called once per scale and resample on the same resamples. The
   pingouin loop is timed on a subsample of resamples and extrapolated linearly (said in the
   output); the alphas of that subsample must agree to 1e-10.
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

import numpy as np
import pandas as pd


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


def bench_alpha(data, model, n_boot, n_sub, seed=0):
    import pingouin as pg

    from analysis.psychometrics.reliability import bootstrap_alpha

    t0 = time.perf_counter()
    ours = bootstrap_alpha(data, model, n_boot=n_boot, seed=seed)
    t_ours = time.perf_counter() - t0
    n = len(data)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    t0 = time.perf_counter()
    ref = {s: [] for s in model}
    for b in range(n_sub):
        rows = data.iloc[idx[b]]
        for s, items in model.items():
            ref[s].append(pg.cronbach_alpha(rows[items], nan_policy="listwise")[0])
    t_sub = time.perf_counter() - t0
    t_pg = t_sub / n_sub * n_boot
    diff = max(np.max(np.abs(np.array(ref[s]) - ours[s][:n_sub])) for s in model)
    print(f"[alpha bootstrap] {len(model)} scales, n={n}, {n_boot} resamples")
    print(f"  ours (vectorised)           : {t_ours:8.2f} s")
    print(f"  pingouin loop ({n_sub} of {n_boot} resamples timed, extrapolated x{n_boot / n_sub:.0f}): "
          f"{t_pg:8.2f} s  (measured {t_sub:.2f} s)")
    print(f"  speed-up                    : {t_pg / t_ours:8.1f}x   max |diff| = {diff:.2e}")
    assert diff < 1e-10
    return t_pg / t_ours


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
    r_icc = icc(d[items].mean(axis=1), d["branch"]).iloc[0]
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
    ap.add_argument("--quick", action="store_true", help="smaller pingouin subsample")
    args = ap.parse_args()
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"cpu_count={os.cpu_count()} | python {platform.python_version()} | numpy {np.__version__}")
    data, model = simulate(20_000)
    bench_alpha(data, model, n_boot=1000, n_sub=10 if args.quick else 40)
    bench_aggregation(2000)
    bench_cfa(data, model)


if __name__ == "__main__":
    main()

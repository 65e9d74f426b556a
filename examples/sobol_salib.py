"""Sobol indices of tokenmaxx outputs with SALib.

SALib draws a Saltelli sample over the priors of a few parameters
(``tm.defaults()``), tokenmaxx runs each sample in memory (one arm, one
replicate, a fixed seed so every sample shares its random numbers), and
SALib's ``sobol.analyze`` gives first-order (S1) and total (ST) indices of
the arm's net value (value less spend).

    python examples/sobol_salib.py            # N = 16: 96 runs, about a minute
    python examples/sobol_salib.py --n 64     # closer indices, 4x the runs

Needs ``pip install SALib``. ``tokenmaxx sweep`` with ``design = "sobol"``
computes the same indices in Rust (with bootstrap intervals); this example
is for a study that already lives in SALib.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from SALib.analyze import sobol
from SALib.sample import sobol as sobol_sample

import tokenmaxx as tm

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["employees.tasks_per_week", "agent.noise_prob_agent"]


def problem(keys):
    d = tm.defaults()
    rows = {r["parameter"]: r for r in d.iter_rows(named=True)}
    return {
        "num_vars": len(keys),
        "names": keys,
        "bounds": [[rows[k]["prior_low"], rows[k]["prior_high"]] for k in keys],
    }


def net_value(values, policy, base_set):
    overrides = dict(base_set, arms=[policy], **{k: float(v) for k, v in values.items()})
    runs = tm.run(ROOT / "scenarios" / "baseline.toml", set=overrides, replicates=1, seed=7, progress=False).runs
    return float((runs["value_usd"] - runs["spend_usd"]).mean())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=16, help="Saltelli base sample size (a power of 2)")
    ap.add_argument("--policy", default="usage_leaderboard")
    args = ap.parse_args(argv)
    p = problem(KEYS)
    x = sobol_sample.sample(p, args.n, calc_second_order=False, seed=1)
    small = {"weeks": 13, "enterprises.acme.employees": 40}
    y = np.array([net_value(dict(zip(KEYS, row)), args.policy, small) for row in x])
    s = sobol.analyze(p, y, calc_second_order=False, seed=1)
    print(f"Sobol indices of {args.policy}'s net value ({len(y)} runs):")
    for k, s1, st in zip(KEYS, s["S1"], s["ST"]):
        print(f"  {k:32s} S1 {s1:6.3f}  ST {st:6.3f}")
    return s


if __name__ == "__main__":
    main()

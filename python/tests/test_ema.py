"""tokenmaxx as an EMA Workbench model: a 20-experiment study that EMA's
PRIM reads. EMA Workbench is installed by python/ci-test.sh; without it the
test says loudly why it skipped."""

import os
import sys

import numpy as np
import pytest

import tokenmaxx as tm

try:
    import ema_workbench as ema
except ImportError:
    # python/ci-test.sh installs it and sets TOKENMAXX_REQUIRE_ADAPTERS:
    # there a missing EMA Workbench is a failure, elsewhere a loud skip.
    if os.environ.get("TOKENMAXX_REQUIRE_ADAPTERS"):
        raise
    pytest.skip("EMA Workbench is not installed: pip install ema_workbench", allow_module_level=True)

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SMALL = {"weeks": 8, "enterprises.acme.employees": 30}


def test_a_twenty_experiment_study_that_prim_reads():
    from ema_workbench.analysis import prim
    from tokenmaxx.ema import model

    m = model(BASELINE, policy="usage_leaderboard",
              uncertainties=["employees.tasks_per_week", "agent.noise_prob_agent"],
              levers={"policies.usage_leaderboard.token_reward_usd_per_mtok": (0.0, 20.0)},
              set=SMALL, seed=7)
    assert [u.name for u in m.uncertainties] == ["employees__tasks_per_week", "agent__noise_prob_agent"]
    np.random.seed(4)  # EMA's samplers draw from numpy's global generator
    experiments, outcomes = ema.perform_experiments(m, scenarios=10, policies=2)
    assert len(experiments) == 20
    y = outcomes["net_value_usd"]
    assert y.shape == (20,) and np.isfinite(y).all()
    # The same experiment gives the same outcome (a fixed seed).
    row = experiments.iloc[0]
    values = {k: row[k] for k in ("employees__tasks_per_week", "agent__noise_prob_agent",
                                  "policies__usage_leaderboard__token_reward_usd_per_mtok")}
    again = tm.ema.run_experiment(BASELINE, "usage_leaderboard", ["net_value_usd"], values, SMALL, 1, 7)
    assert again["net_value_usd"] == pytest.approx(y[0], rel=1e-12)
    # As floats: EMA's PRIM pastes fractional limits into integer columns,
    # which pandas 3 refuses.
    x = experiments[["employees__tasks_per_week", "agent__noise_prob_agent"]].astype(float)
    p = prim.Prim(x, y > np.median(y), threshold=0.5)
    box = p.find_box()
    assert len(box.peeling_trajectory) >= 1
    assert set(box.box_lims[0].columns) >= {"employees__tasks_per_week", "agent__noise_prob_agent"}


def test_uncertainties_come_from_the_priors():
    from tokenmaxx.ema import uncertainties_from_priors

    d = tm.defaults().filter(tm.defaults()["parameter"] == "agent.noise_prob_agent").row(0, named=True)
    (u,) = uncertainties_from_priors(["agent.noise_prob_agent"])
    assert (u.lower_bound, u.upper_bound) == (d["prior_low"], d["prior_high"])
    with pytest.raises(tm.ScenarioError):
        uncertainties_from_priors(["no.such.key"])
    with pytest.raises(tm.ScenarioError):
        model_bad = __import__("tokenmaxx.ema", fromlist=["model"]).model
        model_bad(BASELINE, policy="usage_leaderboard", outcomes=["no_such_metric"], set=SMALL)


def test_salib_example_computes_sobol_indices():
    pytest.importorskip("SALib") if not os.environ.get("TOKENMAXX_REQUIRE_ADAPTERS") else None
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import sobol_salib
    finally:
        sys.path.pop(0)
    s = sobol_salib.main(["--n", "4"])
    assert len(s["S1"]) == 2 and len(s["ST"]) == 2
    assert np.isfinite(s["ST"]).all()

"""tokenmaxx as an EMA Workbench model.

    import tokenmaxx as tm
    from tokenmaxx.ema import model
    from ema_workbench import perform_experiments
    m = model("scenarios/baseline.toml", policy="usage_leaderboard",
              uncertainties=["employees.tasks_per_week", "agent.noise_prob_agent"],
              levers={"policies.usage_leaderboard.token_reward_usd_per_mtok": (0.0, 20.0)},
              set={"weeks": 26})
    experiments, outcomes = perform_experiments(m, scenarios=10, policies=2)

- **Uncertainties** come from the priors of ``defaults.toml`` (``tm.defaults()``):
  each key's prior range, an integer parameter where the default is a whole
  number (a log-uniform prior is sampled uniformly over the same range; the
  sampler is EMA's).
- **Levers** are fields of the incentive policy (``policies.NAME.FIELD``)
  with the ranges you give.
- **Outcomes** are metrics of ``runs.csv`` (and ``net_value_usd``, value
  less spend), each the mean over the policy arm's replicates.

Each experiment is one ``tm.run`` in memory of the one arm, with the
experiment's values laid over the scenario as ``set``; the seed is fixed,
so the same experiment gives the same outcomes (common random numbers
across experiments).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import tokenmaxx as tm

__all__ = ["model", "uncertainties_from_priors", "run_experiment", "NAME_SEPARATOR"]

# EMA passes parameters to the model function as keyword arguments: dotted
# scenario keys are written with this separator instead of dots.
NAME_SEPARATOR = "__"


def _name(key: str) -> str:
    return key.replace(".", NAME_SEPARATOR)


def _key(name: str) -> str:
    return name.replace(NAME_SEPARATOR, ".")


def _ema():
    try:
        import ema_workbench
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("tokenmaxx.ema needs EMA Workbench: pip install ema_workbench") from e
    return ema_workbench


def uncertainties_from_priors(keys: Optional[Sequence[str]] = None) -> list:
    """EMA parameters for ``keys`` (default: every parameter with a prior),
    each over its prior's range: an IntegerParameter where the default is a
    whole number, a RealParameter otherwise. A key without a prior raises
    ScenarioError naming it."""
    ema = _ema()
    d = tm.defaults()
    with_prior = {r["parameter"]: r for r in d.iter_rows(named=True) if r["prior_low"] is not None}
    if keys is None:
        keys = sorted(with_prior)
    out = []
    for key in keys:
        row = with_prior.get(key)
        if row is None:
            raise tm.ScenarioError(f"{key}: no prior in defaults.toml (tm.defaults() lists every parameter's)")
        low, high = row["prior_low"], row["prior_high"]
        whole = "." not in row["default"] and float(low).is_integer() and float(high).is_integer()
        if whole:
            out.append(ema.IntegerParameter(_name(key), int(low), int(high)))
        else:
            out.append(ema.RealParameter(_name(key), float(low), float(high)))
    return out


def run_experiment(scenario: Any, policy: str, outcomes: Sequence[str], values: Mapping[str, Any],
                   set: Optional[Mapping[str, Any]] = None, replicates: int = 1,
                   seed: Optional[int] = None) -> Dict[str, float]:
    """One experiment: the policy arm of ``scenario`` with ``values`` (EMA
    names or dotted keys) laid over it; each outcome the mean over its runs."""
    overrides: Dict[str, Any] = dict(set or {})
    overrides["arms"] = [policy]
    for name, value in values.items():
        overrides[_key(name)] = value.item() if hasattr(value, "item") else value
    r = tm.run(scenario, set=overrides, replicates=replicates, seed=seed, progress=False)
    runs = r.runs
    result = {}
    for metric in outcomes:
        if metric == "net_value_usd":
            col = runs["value_usd"] - runs["spend_usd"]
        else:
            col = runs[metric]
        mean = col.mean()
        result[metric] = float("nan") if mean is None else float(mean)
    return result


def model(scenario: Any, *, policy: str, uncertainties: Optional[Sequence[str]] = None,
          levers: Optional[Mapping[str, Tuple[float, float]]] = None,
          outcomes: Sequence[str] = ("net_value_usd", "roi", "spend_usd", "value_usd"),
          set: Optional[Mapping[str, Any]] = None, replicates: int = 1, seed: Optional[int] = None,
          name: str = "tokenmaxx"):
    """tokenmaxx as an ``ema_workbench.Model``: ``uncertainties`` are
    dotted keys with a prior (default: every one), ``levers`` maps fields of
    the incentive policy (``policies.POLICY.FIELD``) to (low, high),
    ``outcomes`` are metrics of runs.csv (or net_value_usd), each the mean
    over ``replicates`` runs of ``policy``. ``set`` is laid over the
    scenario first (e.g. fewer weeks for a quick study)."""
    ema = _ema()
    tm.validate(scenario, set=set)
    known = set_of_metrics()
    for o in outcomes:
        if o not in known:
            raise tm.ScenarioError(f"outcome `{o}`: not a metric of runs.csv (tm.columns() lists them)")
    lever_params = []
    for key, (low, high) in (levers or {}).items():
        if not key.startswith(f"policies.{policy}."):
            raise tm.ScenarioError(f"lever `{key}`: a lever is a field of the policy, policies.{policy}.FIELD")
        lever_params.append(ema.RealParameter(_name(key), float(low), float(high)))
    fixed = dict(set or {})

    def function(**values: Any) -> Dict[str, float]:
        return run_experiment(scenario, policy, outcomes, values, fixed, replicates, seed)

    m = ema.Model(name, function=function)
    m.uncertainties = uncertainties_from_priors(uncertainties)
    if lever_params:
        m.levers = lever_params
    m.outcomes = [ema.ScalarOutcome(o) for o in outcomes]
    return m


def set_of_metrics() -> set:
    """Metrics an outcome may name: the columns of runs.csv, and net_value_usd."""
    d = tm.columns()
    cols = d.filter(d["file"] == "runs.csv")["column"].to_list()
    return {c for c in cols if c not in ("point", "policy", "replicate", "seed")} | {"net_value_usd"}

"""tokenmaxx from Python: the simulation library called directly (not the
binary), results as polars DataFrames (``.to_pandas()`` one call away).

    import tokenmaxx as tm
    r = tm.run("scenarios/baseline.toml", set={"weeks": 8}, replicates=2)
    r.verdicts
    s = tm.sweep("scenarios/sweeps/levers.toml", points=4, replicates=1)
    s.points, s.runs, s.sensitivity
    w = tm.worlds("scenarios/baseline.toml", 16, replicates=1)
    d = tm.discover(w, policy="laissez_faire", metric="spend_usd", threshold=1e6)
    tm.columns()          # what every column of every file means
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import polars as pl

from . import _tokenmaxx
from ._tokenmaxx import ScenarioError, TokenmaxxError

__all__ = [
    "run", "sweep", "worlds", "calibrate", "discover", "optimize", "load", "defaults", "validate",
    "columns", "Results", "ScenarioError", "TokenmaxxError",
]

Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]
PathLike = Union[str, "os.PathLike[str]"]
Progress = Union[bool, Callable[[int, int], Any]]

# The chart shown first by each job's _repr_html_.
_HEADLINE = {
    "run": "spend_vs_value.png",
    "sweep": "net_value_by_parameter.png",
    "calibrate": "posterior.png",
    "discover": "discovery_box.png",
    "optimize": "front.png",
    "compare": "comparison.png",
}
# The table shown by each job's _repr_html_.
_MAIN_TABLE = {
    "run": "verdicts", "sweep": "verdicts", "calibrate": "ppc", "discover": "boxes",
    "optimize": "front", "compare": "comparison",
}


def _csv(data: Optional[bytes]) -> Optional[pl.DataFrame]:
    if data is None:
        return None
    return pl.read_csv(io.BytesIO(data), infer_schema_length=None)


class Results:
    """The tables of a result as polars DataFrames, by name: ``.runs``,
    ``.weekly``, ``.summary``, ``.verdicts`` (and ``.enterprises`` for a
    market) of a run; ``.points``, ``.worlds``, ``.robust_verdicts``,
    ``.sensitivity`` of a sweep; ``.posterior``, ``.generations``, ``.ppc``
    of a calibration; ``.trajectory``, ``.boxes`` of a discovery;
    ``.front``, ``.archive``, ``.convergence``, ``.validation`` of a policy
    search; ``.columns``, the data dictionary of the folder's files. A table
    the result does not have is None; ``.tables`` lists those it has.

    ``.manifest`` is the manifest as a dict, ``.folder`` the results folder
    (None for a run kept in memory), ``.charts`` the chart files. A result
    written to no ``out`` lives in a temporary folder that is removed with
    this object."""

    def __init__(self, tables: Dict[str, Optional[bytes]], manifest: Dict[str, Any],
                 folder: Optional[Path] = None, keep: Any = None, memory: Any = None) -> None:
        self._bytes = tables
        self._memory = memory  # a run kept in memory: its tables made on demand
        self.manifest = manifest
        self.folder = folder
        self._keep = keep  # a TemporaryDirectory that lives as long as this object
        self.charts: List[Path] = (
            sorted((folder / "charts").glob("*")) if folder and (folder / "charts").is_dir() else []
        )
        self._frames: Dict[str, Optional[pl.DataFrame]] = {}

    @property
    def tables(self) -> List[str]:
        """The names of the tables this result holds."""
        names = set(self._bytes)
        if self._memory is not None:
            names.update(self._memory.names())
        return sorted(names)

    @property
    def job(self) -> str:
        """The command that made the result (run, sweep, calibrate, discover, optimize, compare)."""
        return str(self.manifest.get("command", "run"))

    def table(self, name: str) -> Optional[pl.DataFrame]:
        """A table by name (``"runs"`` for runs.csv), or None."""
        if name not in self._frames:
            if self._memory is not None and name == "runs":
                self._frames[name] = _runs_frame(self._memory)
            else:
                self._frames[name] = _csv(self.csv_bytes(name))
        return self._frames[name]

    def __getattr__(self, name: str) -> Optional[pl.DataFrame]:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.table(name)

    def csv_bytes(self, name: str) -> Optional[bytes]:
        """The CSV bytes of a table as the library writes them (for a run
        kept in memory, made on demand: the CLI's bytes for the same run)."""
        if name not in self._bytes and self._memory is not None and name in self._memory.names():
            self._bytes[name] = self._memory.csv(name)
        return self._bytes.get(name)

    @property
    def findings(self) -> str:
        """The result's finding in words: a discovery's sentence, else the
        first paragraph of its summary.md (empty if none)."""
        if "sentence" in self.manifest:
            return str(self.manifest["sentence"])
        if self.folder and (self.folder / "summary.md").is_file():
            paras = [p.strip() for p in (self.folder / "summary.md").read_text().split("\n\n")]
            paras = [p for p in paras if p and not p.startswith("#") and not p.startswith("```")]
            return paras[0] if paras else ""
        return ""

    def headline_chart(self) -> Optional[Path]:
        """The chart a notebook shows first (a PNG), or None."""
        pngs = [c for c in self.charts if c.suffix == ".png"]
        want = _HEADLINE.get(self.job)
        for c in pngs:
            if c.name == want:
                return c
        return pngs[0] if pngs else None

    def _repr_html_(self) -> str:
        parts = [f"<h4>tokenmaxx {html.escape(self.job)}</h4>"]
        parts.append(f"<p>folder: <code>{html.escape(str(self.folder))}</code></p>" if self.folder
                     else "<p>in memory</p>")
        if self.findings:
            parts.append(f"<p>{html.escape(self.findings)}</p>")
        chart = self.headline_chart()
        if chart is not None:
            data = base64.b64encode(chart.read_bytes()).decode()
            parts.append(f'<img src="data:image/png;base64,{data}" style="max-width:720px" '
                         f'alt="{html.escape(chart.name)}"/>')
        name = _MAIN_TABLE.get(self.job, "verdicts")
        t = self.table(name)
        if t is None and self.tables:
            name = self.tables[0]
            t = self.table(name)
        if t is not None:
            parts.append(f"<p><b>{html.escape(name)}</b> ({t.height} rows)</p>{t.head(20)._repr_html_()}")
        return "".join(parts)

    def __repr__(self) -> str:
        return f"Results(job={self.job!r}, folder={self.folder!r}, tables={self.tables!r})"


def _runs_frame(memory: Any) -> pl.DataFrame:
    """runs.csv of a run in memory as a DataFrame, from its columns' bytes
    (no text in between): the types a CSV reader gives (counts, replicate
    and seed Int64, the rest Float64 with null where the CSV cell is empty)."""
    import numpy as np

    arms = pl.Series(memory.arm_names(), dtype=pl.Utf8)
    cols = []
    for name, kind, data in memory.runs_columns():
        if kind == "arm":
            cols.append(arms.gather(pl.Series(np.frombuffer(data, dtype="<u4"))).alias(name))
        elif kind == "i64":
            cols.append(pl.Series(name, np.frombuffer(data, dtype="<i8")))
        else:
            cols.append(pl.Series(name, np.frombuffer(data, dtype="<f8")).fill_nan(None))
    return pl.DataFrame(cols)


def _set_json(set: Optional[Mapping[str, Any]]) -> Optional[str]:
    return None if set is None else json.dumps(dict(set))


def _set_texts(set: Optional[Mapping[str, Any]]) -> List[str]:
    """``set`` as ``--set KEY=VALUE`` texts, values as TOML."""
    if not set:
        return []
    out = []
    for k, v in dict(set).items():
        # A one-key table in TOML, its line after `=` is the value's TOML text.
        line = _tokenmaxx.to_toml(json.dumps({"v": v})).strip()
        out.append(f"{k}={line.split('=', 1)[1].strip()}")
    return out


def _replicates(replicates: Union[int, str, None]) -> Optional[str]:
    return None if replicates is None else str(replicates)


class _Bar:
    """A progress callback: a tqdm bar (``tqdm.auto``: a widget in a
    notebook, text in a terminal) when ``progress`` is True, the caller's
    function when it is one, nothing when False."""

    def __init__(self, progress: Progress, what: str) -> None:
        self._bar = None
        self._fn: Optional[Callable[[int, int], Any]] = None
        self._what = what
        if callable(progress):
            self._fn = progress
        elif progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is optional
                tqdm = None
            self._tqdm = tqdm

    def __call__(self, done: int, total: int) -> None:
        if self._fn is not None:
            self._fn(done, total)
            return
        if getattr(self, "_tqdm", None) is None:
            return
        if self._bar is None:
            self._bar = self._tqdm(total=total, desc=self._what, unit="run" if self._what != "calibrate" else "gen")
        if self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def callback(self) -> Optional[Callable[[int, int], None]]:
        return self if (self._fn is not None or getattr(self, "_tqdm", None) is not None) else None


def _with_bar(progress: Progress, what: str, call: Callable[[Any], Any]) -> Any:
    bar = _Bar(progress, what)
    try:
        return call(bar.callback())
    finally:
        bar.close()


def _out(out: Optional[PathLike]):
    """The folder to write, and the temporary directory holding it when
    no ``out`` is given (kept alive by the results object)."""
    if out is not None:
        return Path(out), None
    tmp = tempfile.TemporaryDirectory(prefix="tokenmaxx-")
    return Path(tmp.name) / "result", tmp


def _file(source: Union[PathLike, Mapping[str, Any]], out: Path, suffix: str) -> Path:
    """A path for a TOML input given as a path or a dict (written beside
    the results folder, as ``NAME.SUFFIX.toml``, so the manifest names it)."""
    if isinstance(source, Mapping):
        out.parent.mkdir(parents=True, exist_ok=True)
        path = out.parent / f"{out.name}.{suffix}.toml"
        path.write_text(_tokenmaxx.to_toml(json.dumps(dict(source))))
        return path
    return Path(source)


def run(scenario: Scenario, *, set: Optional[Mapping[str, Any]] = None,
        replicates: Union[int, str, None] = None, seed: Optional[int] = None,
        threads: Optional[int] = None, out: Optional[PathLike] = None,
        progress: Progress = True) -> Results:
    """Runs a scenario (a TOML file path, or a dict shaped like the TOML).

    ``set`` maps dotted keys to values, as ``--set`` on the command line.
    ``replicates`` is a count per arm or ``"auto"``. Without ``out`` the run
    stays in memory (nothing touches disk); with ``out`` the folder is the
    one ``tokenmaxx run --out`` writes, byte for byte. ``progress`` shows a
    tqdm bar of runs (False: none; a function: called with (done, total)).
    The GIL is released while the engine runs. Ctrl-C stops the engine
    (fixed or ``"auto"`` replicates): no new run starts, KeyboardInterrupt
    is raised once the runs under way end, and nothing is written (a folder
    the run made is removed).
    Raises ScenarioError for an invalid scenario, TokenmaxxError otherwise.
    """
    rep = _replicates(replicates)
    sj = _set_json(set)
    if out is not None:
        path = _file(scenario, Path(out), "scenario")
        folder = _with_bar(progress, "run", lambda cb: _tokenmaxx.run_to_folder(
            str(path), str(out), sj, rep, seed, threads, cb))
        return load(folder)
    if isinstance(scenario, Mapping):
        text = _tokenmaxx.to_toml(json.dumps(dict(scenario)))
        mem = _with_bar(progress, "run", lambda cb: _tokenmaxx.run_in_memory(
            None, text, sj, rep, seed, threads, cb))
    else:
        mem = _with_bar(progress, "run", lambda cb: _tokenmaxx.run_in_memory(
            str(scenario), None, sj, rep, seed, threads, cb))
    manifest = json.loads(mem.csv("manifest"))
    tables = {"columns": _tokenmaxx.columns_csv([f"{name}.csv" for name in mem.names()])}
    return Results(tables, manifest, memory=mem)


def sweep(sweep: Union[PathLike, Mapping[str, Any]], *, set: Optional[Mapping[str, Any]] = None,
          points: Optional[int] = None, replicates: Optional[int] = None, threads: Optional[int] = None,
          out: Optional[PathLike] = None, resume: bool = False, force: bool = False,
          progress: Progress = True) -> Results:
    """Runs a sweep file (or a dict shaped like one), as ``tokenmaxx sweep``:
    ``set``, ``points`` and ``replicates`` as its flags. Returns the folder's
    tables (``.points``, ``.runs``, ``.summary``, ``.verdicts``, and
    ``.sensitivity`` for a Morris or Sobol design). Ctrl-C stops the sweep
    between two chunks of runs (every finished run recorded, no result
    written) and raises KeyboardInterrupt; ``resume=True`` with the same
    ``out`` finishes it, to the same bytes as an uninterrupted sweep."""
    folder, tmp = _out(out)
    path = _file(sweep, folder, "sweep")
    done = _with_bar(progress, "sweep", lambda cb: _tokenmaxx.sweep_to_folder(
        str(path), str(folder), _set_texts(set), points, replicates, threads, resume, force, cb))
    return load(done, _keep=tmp)


def worlds(scenario: PathLike, n: int, *, from_: str = "prior", vary: Optional[Sequence[str]] = None,
           replicates: Optional[int] = None, seed: Optional[int] = None,
           set: Optional[Mapping[str, Any]] = None, threads: Optional[int] = None,
           out: Optional[PathLike] = None, resume: bool = False, force: bool = False,
           progress: Progress = True) -> Results:
    """Runs every arm of a scenario in ``n`` plausible worlds, as ``tokenmaxx
    run --worlds N``: parameters drawn from their priors (``from_="prior"``)
    or a calibration's posterior.csv; ``vary`` limits which. Returns
    ``.worlds``, ``.runs``, ``.robust_verdicts`` and the rest of a sweep's
    tables; cancellable and resumable as ``sweep``."""
    folder, tmp = _out(out)
    done = _with_bar(progress, "worlds", lambda cb: _tokenmaxx.worlds_to_folder(
        str(scenario), str(folder), int(n), str(from_), list(vary or []), replicates, seed,
        _set_texts(set), threads, resume, force, cb))
    return load(done, _keep=tmp)


def calibrate(evidence: PathLike, *, particles: Optional[int] = None, generations: Optional[int] = None,
              threads: Optional[int] = None, out: Optional[PathLike] = None, resume: bool = False,
              force: bool = False, progress: Progress = True) -> Results:
    """Calibrates the model to an evidence file by ABC-SMC, as ``tokenmaxx
    calibrate``. Returns ``.posterior``, ``.generations``, ``.ppc``. Ctrl-C
    stops the engine within one simulation per thread and raises
    KeyboardInterrupt; the generation under way is dropped, and
    ``resume=True`` with the same ``out`` goes on from the last finished
    one, to the same bytes as an uninterrupted calibration."""
    folder, tmp = _out(out)
    done = _with_bar(progress, "calibrate", lambda cb: _tokenmaxx.calibrate_to_folder(
        str(evidence), str(folder), particles, generations, threads, resume, force, cb))
    return load(done, _keep=tmp)


def optimize(study: PathLike, *, set: Optional[Mapping[str, Any]] = None, evaluations: Optional[int] = None,
             worlds: Optional[int] = None, population: Optional[int] = None,
             warm_start: Optional[PathLike] = None, threads: Optional[int] = None,
             out: Optional[PathLike] = None, resume: bool = False, force: bool = False,
             progress: Progress = True) -> Results:
    """Searches for incentive policies (NSGA-II over the study's levers), as
    ``tokenmaxx optimize``. Returns ``.front``, ``.archive``,
    ``.convergence``, ``.validation``."""
    folder, tmp = _out(out)
    done = _with_bar(progress, "optimize", lambda cb: _tokenmaxx.optimize_to_folder(
        str(study), str(folder), _set_texts(set), evaluations, worlds, population,
        None if warm_start is None else str(warm_start), threads, resume, force, cb))
    return load(done, _keep=tmp)


def discover(results: Union[Results, PathLike], *, policy: str, metric: str = "net_value",
             threshold: float = 0.0, against: Optional[str] = None, peel_alpha: float = 0.05,
             box: Optional[int] = None, bootstrap: Optional[int] = None,
             cases: Optional[str] = None) -> Results:
    """Scenario discovery (PRIM) on a sweep's or worlds run's results (a
    Results object or its folder), as ``tokenmaxx discover``: where is
    ``metric`` of ``policy`` (less ``against``'s, if given) above
    ``threshold``? Or, with ``cases="top:0.2"`` (``"bottom:0.2"``), where
    does it fall among its highest (lowest) 20 %? Writes
    RESULTS/discovery/ and returns it: ``.findings`` (the sentence),
    ``.trajectory``, ``.boxes``."""
    if cases is not None and threshold != 0.0:
        raise TokenmaxxError("give threshold or cases, not both (as `tokenmaxx discover`)")
    keep = None
    if isinstance(results, Results):
        if results.folder is None:
            raise TokenmaxxError("discover needs a result in a folder (a sweep or worlds run)")
        keep = results._keep
        results = results.folder
    folder, _sentence = _tokenmaxx.discover_folder(
        str(results), policy, metric, float(threshold), against, float(peel_alpha), box, bootstrap,
        cases)
    return load(folder, _keep=keep)


def load(folder: PathLike, _keep: Any = None) -> Results:
    """Reads an existing results folder of any tokenmaxx command (every
    ``*.csv`` in it becomes a table)."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise TokenmaxxError(f"{folder}: no manifest.json: not a results folder (or not finished)")
    tables = {p.stem: p.read_bytes() for p in sorted(folder.glob("*.csv"))}
    return Results(tables, json.loads(manifest_path.read_text()), folder, keep=_keep)


def columns() -> pl.DataFrame:
    """The data dictionary: every column of every CSV file tokenmaxx
    writes (file, column, unit, meaning), as ``tokenmaxx columns --csv``
    prints it. Columns named by the study are patterns in angle brackets
    (``<parameter>``, ``<objective>_in_sample``)."""
    return pl.DataFrame(_tokenmaxx.columns(), schema=[("file", pl.Utf8), ("column", pl.Utf8),
                                                       ("unit", pl.Utf8), ("meaning", pl.Utf8)], orient="row")


def defaults() -> pl.DataFrame:
    """Every parameter with its default, its prior (low, high, log) and its
    source, as ``tokenmaxx defaults`` prints them."""
    rows = _tokenmaxx.defaults()
    return pl.DataFrame(rows, schema=[("parameter", pl.Utf8), ("default", pl.Utf8), ("prior_low", pl.Float64),
                                      ("prior_high", pl.Float64), ("prior_log", pl.Boolean), ("source", pl.Utf8)],
                        orient="row")


def validate(scenario: Scenario, set: Optional[Mapping[str, Any]] = None) -> List[str]:
    """Checks a scenario (path or dict) with ``set`` laid over it, without
    running it. Returns the warnings (overrides that change nothing);
    raises ScenarioError if it is invalid."""
    if isinstance(scenario, Mapping):
        return _tokenmaxx.validate(None, _tokenmaxx.to_toml(json.dumps(dict(scenario))), _set_json(set))
    return _tokenmaxx.validate(str(scenario), None, _set_json(set))

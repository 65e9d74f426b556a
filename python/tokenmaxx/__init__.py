"""tokenmaxx from Python: the simulation library called directly (not the
binary), results as polars DataFrames (``.to_pandas()`` one call away).

    import tokenmaxx as tm
    r = tm.run("scenarios/baseline.toml", set={"weeks": 8}, replicates=2)
    r.verdicts
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

import polars as pl

from . import _tokenmaxx
from ._tokenmaxx import ScenarioError, TokenmaxxError

__all__ = ["run", "load", "defaults", "validate", "Results", "ScenarioError", "TokenmaxxError"]

Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]

_TABLES = ("runs", "weekly", "summary", "verdicts", "enterprises")


def _csv(data: Optional[bytes]) -> Optional[pl.DataFrame]:
    if data is None:
        return None
    return pl.read_csv(io.BytesIO(data), infer_schema_length=None)


class Results:
    """The tables of a run: ``.runs``, ``.weekly``, ``.summary``,
    ``.verdicts`` (and ``.enterprises`` for a market) as polars DataFrames,
    ``.manifest`` as a dict, and ``.folder`` / ``.charts`` when written to
    disk (both None for a run in memory)."""

    def __init__(self, tables: Dict[str, Optional[bytes]], manifest: Dict[str, Any],
                 folder: Optional[Path] = None) -> None:
        self._bytes = tables
        self.manifest = manifest
        self.folder = folder
        self.charts: List[Path] = sorted((folder / "charts").glob("*")) if folder and (folder / "charts").is_dir() else []
        self._frames: Dict[str, Optional[pl.DataFrame]] = {}

    def _table(self, name: str) -> Optional[pl.DataFrame]:
        if name not in self._frames:
            self._frames[name] = _csv(self._bytes.get(name))
        return self._frames[name]

    @property
    def runs(self) -> pl.DataFrame:
        """One row per run (arm x replicate)."""
        return self._table("runs")

    @property
    def weekly(self) -> pl.DataFrame:
        """One row per run and week."""
        return self._table("weekly")

    @property
    def summary(self) -> pl.DataFrame:
        """Per arm and metric: estimates with 95% CIs and paired differences."""
        return self._table("summary")

    @property
    def verdicts(self) -> pl.DataFrame:
        """Each arm against each other arm: P(beats), net value, regret."""
        return self._table("verdicts")

    @property
    def enterprises(self) -> Optional[pl.DataFrame]:
        """One row per run and enterprise (a market scenario only), else None."""
        return self._table("enterprises")

    def csv_bytes(self, name: str) -> Optional[bytes]:
        """The CSV bytes of a table as the library produced them."""
        return self._bytes.get(name)

    def _repr_html_(self) -> str:
        where = f"<p>folder: <code>{self.folder}</code></p>" if self.folder else "<p>in memory</p>"
        return f"<h4>tokenmaxx run: verdicts</h4>{where}{self.verdicts._repr_html_()}"

    def __repr__(self) -> str:
        return f"Results(folder={self.folder!r}, runs={self.runs.height} rows)"


def _set_json(set: Optional[Mapping[str, Any]]) -> Optional[str]:
    return None if set is None else json.dumps(dict(set))


def _replicates(replicates: Union[int, str, None]) -> Optional[str]:
    return None if replicates is None else str(replicates)


def run(scenario: Scenario, *, set: Optional[Mapping[str, Any]] = None,
        replicates: Union[int, str, None] = None, seed: Optional[int] = None,
        threads: Optional[int] = None, out: Union[str, "os.PathLike[str]", None] = None) -> Results:
    """Runs a scenario (a TOML file path, or a dict shaped like the TOML).

    ``set`` maps dotted keys to values, as ``--set`` on the command line.
    ``replicates`` is a count per arm or ``"auto"``. Without ``out`` the run
    stays in memory (nothing touches disk); with ``out`` the folder is the
    one ``tokenmaxx run --out`` writes. The GIL is released while the engine
    runs; Ctrl-C raises KeyboardInterrupt within 0.1 s, but the engine
    cannot be cancelled and finishes its work in the background (with
    ``out``, the folder is then written whole, atomically, or not at all).
    Raises ScenarioError for an invalid scenario, TokenmaxxError otherwise.
    """
    rep = _replicates(replicates)
    sj = _set_json(set)
    if out is not None:
        if isinstance(scenario, Mapping):
            # The run job reads a file: the dict's TOML is written beside
            # the results folder, and the manifest names it.
            out_path = Path(out)
            out_path.parent.mkdir(parents=True, exist_ok=True)
            path = out_path.parent / (out_path.name + ".scenario.toml")
            path.write_text(_tokenmaxx.to_toml(json.dumps(dict(scenario))))
        else:
            path = Path(scenario)
        folder = _tokenmaxx.run_to_folder(str(path), str(out), sj, rep, seed, threads)
        return load(folder)
    if isinstance(scenario, Mapping):
        text = _tokenmaxx.to_toml(json.dumps(dict(scenario)))
        files = _tokenmaxx.run_in_memory(None, text, sj, rep, seed, threads)
    else:
        files = _tokenmaxx.run_in_memory(str(scenario), None, sj, rep, seed, threads)
    manifest = json.loads(files.pop("manifest"))
    return Results(dict(files), manifest)


def load(folder: Union[str, "os.PathLike[str]"]) -> Results:
    """Reads an existing results folder of ``tokenmaxx run``."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise TokenmaxxError(f"{folder}: no manifest.json: not a results folder (or not finished)")
    tables = {name: (folder / f"{name}.csv").read_bytes() for name in _TABLES if (folder / f"{name}.csv").is_file()}
    return Results(tables, json.loads(manifest_path.read_text()), folder)


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

import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import polars as pl

Scenario = Union[str, os.PathLike[str], Mapping[str, Any]]
PathLike = Union[str, os.PathLike[str]]
Progress = Union[bool, Callable[[int, int], Any]]

class TokenmaxxError(Exception): ...
class ScenarioError(TokenmaxxError): ...

class Results:
    manifest: Dict[str, Any]
    folder: Optional[Path]
    charts: List[Path]
    @property
    def tables(self) -> List[str]: ...
    @property
    def job(self) -> str: ...
    @property
    def findings(self) -> str: ...
    def table(self, name: str) -> Optional[pl.DataFrame]: ...
    def headline_chart(self) -> Optional[Path]: ...
    # Tables by name; None when the result has no such table.
    @property
    def runs(self) -> pl.DataFrame: ...
    @property
    def weekly(self) -> Optional[pl.DataFrame]: ...
    @property
    def summary(self) -> Optional[pl.DataFrame]: ...
    @property
    def verdicts(self) -> Optional[pl.DataFrame]: ...
    @property
    def enterprises(self) -> Optional[pl.DataFrame]: ...
    @property
    def columns(self) -> Optional[pl.DataFrame]: ...
    @property
    def points(self) -> Optional[pl.DataFrame]: ...
    @property
    def worlds(self) -> Optional[pl.DataFrame]: ...
    @property
    def robust_verdicts(self) -> Optional[pl.DataFrame]: ...
    @property
    def sensitivity(self) -> Optional[pl.DataFrame]: ...
    @property
    def posterior(self) -> Optional[pl.DataFrame]: ...
    @property
    def generations(self) -> Optional[pl.DataFrame]: ...
    @property
    def ppc(self) -> Optional[pl.DataFrame]: ...
    @property
    def trajectory(self) -> Optional[pl.DataFrame]: ...
    @property
    def boxes(self) -> Optional[pl.DataFrame]: ...
    @property
    def front(self) -> Optional[pl.DataFrame]: ...
    @property
    def archive(self) -> Optional[pl.DataFrame]: ...
    @property
    def convergence(self) -> Optional[pl.DataFrame]: ...
    @property
    def validation(self) -> Optional[pl.DataFrame]: ...
    def __getattr__(self, name: str) -> Optional[pl.DataFrame]: ...
    def csv_bytes(self, name: str) -> Optional[bytes]: ...
    def _repr_html_(self) -> str: ...

def run(
    scenario: Scenario,
    *,
    set: Optional[Mapping[str, Any]] = ...,
    replicates: Union[int, str, None] = ...,
    seed: Optional[int] = ...,
    threads: Optional[int] = ...,
    out: Optional[PathLike] = ...,
    progress: Progress = ...,
) -> Results: ...
def sweep(
    sweep: Union[PathLike, Mapping[str, Any]],
    *,
    set: Optional[Mapping[str, Any]] = ...,
    points: Optional[int] = ...,
    replicates: Optional[int] = ...,
    threads: Optional[int] = ...,
    out: Optional[PathLike] = ...,
    resume: bool = ...,
    force: bool = ...,
    progress: Progress = ...,
) -> Results: ...
def worlds(
    scenario: PathLike,
    n: int,
    *,
    from_: str = ...,
    vary: Optional[Sequence[str]] = ...,
    replicates: Optional[int] = ...,
    seed: Optional[int] = ...,
    set: Optional[Mapping[str, Any]] = ...,
    threads: Optional[int] = ...,
    out: Optional[PathLike] = ...,
    resume: bool = ...,
    force: bool = ...,
    progress: Progress = ...,
) -> Results: ...
def calibrate(
    evidence: PathLike,
    *,
    particles: Optional[int] = ...,
    generations: Optional[int] = ...,
    threads: Optional[int] = ...,
    out: Optional[PathLike] = ...,
    resume: bool = ...,
    force: bool = ...,
    progress: Progress = ...,
) -> Results: ...
def optimize(
    study: PathLike,
    *,
    set: Optional[Mapping[str, Any]] = ...,
    evaluations: Optional[int] = ...,
    worlds: Optional[int] = ...,
    population: Optional[int] = ...,
    warm_start: Optional[PathLike] = ...,
    threads: Optional[int] = ...,
    out: Optional[PathLike] = ...,
    resume: bool = ...,
    force: bool = ...,
    progress: Progress = ...,
) -> Results: ...
def discover(
    results: Union[Results, PathLike],
    *,
    policy: str,
    metric: str = ...,
    threshold: float = ...,
    against: Optional[str] = ...,
    peel_alpha: float = ...,
    box: Optional[int] = ...,
    bootstrap: Optional[int] = ...,
) -> Results: ...
def load(folder: PathLike) -> Results: ...
def columns() -> pl.DataFrame: ...
def defaults() -> pl.DataFrame: ...
def validate(scenario: Scenario, set: Optional[Mapping[str, Any]] = ...) -> List[str]: ...

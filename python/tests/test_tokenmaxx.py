"""Tests of the Python package against the library and the CLI."""

import io
import json
import os
import subprocess
from pathlib import Path

import polars as pl
import pytest

import tokenmaxx as tm

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SET = {"weeks": 8, "enterprises.acme.employees": 50}
CLI = Path(os.environ.get("TOKENMAXX_CLI", ROOT / "target" / "release" / "tokenmaxx"))


def test_run_in_memory_gives_tables():
    r = tm.run(BASELINE, set=SET, replicates=2, seed=7)
    assert r.folder is None
    arms = r.manifest["arms"]
    assert r.runs.height == 2 * len(arms)
    assert r.weekly.height == 8 * 2 * len(arms)
    assert sorted(r.summary["policy"].unique().to_list()) == sorted(arms)
    assert r.verdicts.height == len(arms) * (len(arms) - 1)
    assert "<table" in r._repr_html_()
    assert len(r.runs.to_pandas()) == r.runs.height


def test_out_folder_is_byte_identical_to_cli(tmp_path):
    if not CLI.is_file():
        pytest.fail(f"build the CLI first (cargo build --release): {CLI} is missing")
    py_out = tmp_path / "py"
    cli_out = tmp_path / "cli"
    r = tm.run(BASELINE, set=SET, replicates=2, seed=7, out=py_out)
    args = [str(CLI), "run", str(BASELINE), "--out", str(cli_out), "--replicates", "2", "--seed", "7"]
    for k, v in SET.items():
        args += ["--set", f"{k}={v}"]
    subprocess.run(args, check=True, capture_output=True)
    csvs = sorted(p.name for p in cli_out.glob("*.csv"))
    assert "runs.csv" in csvs and "verdicts.csv" in csvs
    for name in csvs:
        assert (py_out / name).read_bytes() == (cli_out / name).read_bytes(), name
    assert r.folder == py_out and r.charts
    # In memory, the same tables byte for byte.
    mem = tm.run(BASELINE, set=SET, replicates=2, seed=7)
    for name in ("runs", "weekly", "summary", "verdicts"):
        assert mem.csv_bytes(name) == (cli_out / f"{name}.csv").read_bytes(), name
    loaded = tm.load(cli_out)
    assert loaded.manifest["command"] == "run"
    assert loaded.runs.equals(r.runs)


def test_dict_scenario_runs():
    d = {
        "name": "from_dict",
        "weeks": 8,
        "arms": ["laissez_faire", "usage_leaderboard"],
        "enterprises": {"acme": {"employees": 30}},
    }
    r = tm.run(d, set={"weeks": 4}, replicates=2)
    assert r.manifest["arms"] == ["laissez_faire", "usage_leaderboard"]
    assert r.runs.height == 4


def test_bad_key_in_set_raises_scenario_error_with_key():
    with pytest.raises(tm.ScenarioError) as e:
        tm.run(BASELINE, set={"enterprises.acme.employeez": 5}, replicates=1)
    assert "employeez" in str(e.value)


def test_a_total_that_is_not_finite_is_refused_in_memory_as_by_the_cli():
    # A price near the float limit, or tokens past what a total counts
    # exactly: the CLI refuses the run; the in-memory run must not hand
    # Python an inf instead.
    for key, value in [
        ("labs.frontier_lab.models.frontier.price_in", 1e308),
        ("task_types.routine.agent_tokens", [1e19, 1e19]),
    ]:
        with pytest.raises(tm.TokenmaxxError) as e:
            tm.run(BASELINE, set={"enterprises.acme.employees": 10, "weeks": 4, key: value}, replicates=1)
        assert "not a finite number" in str(e.value) and key in str(e.value)


def test_bad_key_in_file_has_line_and_column(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\nweeks = 8\nnot_a_key = 3\n')
    with pytest.raises(tm.ScenarioError) as e:
        tm.validate(f)
    assert f"{f}:3:1" in str(e.value)
    assert isinstance(e.value, tm.TokenmaxxError)


def test_validate_ok_and_defaults_have_rows():
    assert tm.validate(BASELINE, set={"weeks": 8}) == []
    d = tm.defaults()
    assert d.height > 50
    assert d.filter(d["prior_low"].is_not_null()).height > 10


def test_ctrl_c_stops_a_run_quickly():
    import _thread
    import threading
    import time

    threading.Timer(0.2, _thread.interrupt_main).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        # About 4 s of work on one thread: the interrupt comes first, and
        # no new run starts after it (the call returns once the run under
        # way ends).
        tm.run(BASELINE, set={"weeks": 52, "enterprises.acme.employees": 200}, replicates=24, threads=1,
               progress=False)
        pytest.fail("the run finished before the interrupt came")
    assert time.monotonic() - t0 < 0.2 + 0.5


def test_ctrl_c_stops_a_run_to_a_folder_and_leaves_no_folder(tmp_path):
    import signal
    import threading
    import time

    out = tmp_path / "run"
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        tm.run(BASELINE, set={"weeks": 52, "enterprises.acme.employees": 200}, replicates=24, threads=1,
               out=out, progress=False)
        pytest.fail("the run finished before the interrupt came")
    assert time.monotonic() - t0 < 0.3 + 0.5
    assert not out.exists(), sorted(p.name for p in out.iterdir())


# ---------------------------------------------------------------------------
# Every job from Python, against the CLI's folder for the same inputs.

SMALL = (
    'name = "small"\ndescription = "A small test company."\nweeks = 8\nreplicates = 2\n'
    'arms = ["laissez_faire", "usage_leaderboard"]\n[enterprises.acme]\nemployees = 12\n'
)
SWEEP = (
    'base = "small.toml"\n[sweep]\ndesign = "morris"\npoints = 2\nreplicates = 1\n'
    '[[sweep.parameters]]\nkey = "employees.tasks_per_week"\nlabel = "Workload"\nrange = [6.0, 20.0]\n'
    '[[sweep.parameters]]\nkey = "agent.noise_prob_agent"\nrange = [0.2, 0.8]\n'
)
EVIDENCE = (
    'base = "small.toml"\n[calibrate]\nparticles = 8\ngenerations = 1\nseed = 3\nmin_acceptance = 0.0\n'
    '[[prior]]\nkey = "employees.tasks_per_week"\nrange = [4.0, 30.0]\n'
    '[[target]]\nname = "tasks a week"\nmetric = "tasks"\npolicy = "laissez_faire"\nobserved = 600.0\n'
    'tolerance = [300.0, 1200.0]\nrole = "fit"\n'
)
STUDY = (
    'base = "small.toml"\n[optimize]\nname = "tiny"\nevaluations = 8\npopulation = 4\nworlds = 2\n'
    'validation_worlds = 2\nseed = 5\npolicy = "candidate"\nreferences = ["laissez_faire"]\n'
    '[[lever]]\nkey = "policies.candidate.token_reward_usd_per_mtok"\nrange = [0.0, 20.0]\n'
    '[[objective]]\nmetric = "net_value_usd"\nmeasure = "mean"\ndirection = "maximize"\nepsilon = 1000.0\n'
)
# Files whose bytes hold wall times, a PID or the command line.
VARYING = {"manifest.json", "telemetry.csv", "generations.csv", ".tokenmaxx.lock"}


@pytest.fixture
def inputs(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name, text in [("small.toml", SMALL), ("screen.toml", SWEEP), ("evidence.toml", EVIDENCE),
                       ("study.toml", STUDY)]:
        (d / name).write_text(text)
    return d


def cli(*args):
    if not CLI.is_file():
        pytest.fail(f"build the CLI first (cargo build --release): {CLI} is missing")
    p = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p


def files_of(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def assert_same_folder(py_dir, cli_dir, skip=()):
    names = [n for n in files_of(cli_dir) if Path(n).name not in VARYING and not n.startswith(skip)]
    assert [n for n in files_of(py_dir) if Path(n).name not in VARYING and not n.startswith(skip)] == names
    assert "columns.csv" in names
    for n in names:
        assert (py_dir / n).read_bytes() == (cli_dir / n).read_bytes(), n
    # The manifests agree on every file's bytes where those are deterministic.
    mp = json.loads((py_dir / "manifest.json").read_text())["files_sha256"]
    mc = json.loads((cli_dir / "manifest.json").read_text())["files_sha256"]
    assert sorted(mp) == sorted(mc)
    for n in mp:
        if n not in VARYING:
            assert mp[n] == mc[n], n


def test_sweep_is_the_clis_folder(inputs, tmp_path):
    r = tm.sweep(inputs / "screen.toml", out=tmp_path / "py", progress=False)
    cli("sweep", inputs / "screen.toml", "--out", tmp_path / "cli", "-q")
    assert_same_folder(tmp_path / "py", tmp_path / "cli")
    assert r.job == "sweep" and r.folder == tmp_path / "py"
    assert r.points.height == r.manifest["points"] if "points" in r.manifest else r.points.height > 0
    assert r.runs.height == r.points.height * 2
    assert r.sensitivity is not None and r.sensitivity.height > 0
    assert r.charts and "<img" in r._repr_html_()
    assert r.table("no_such_table") is None


def test_sweep_without_out_keeps_a_temporary_folder(inputs):
    r = tm.sweep(inputs / "screen.toml", set={"weeks": 4}, progress=False)
    assert r.folder.is_dir() and r.runs.height > 0
    folder = r.folder
    del r
    import gc
    gc.collect()
    assert not folder.exists()


def test_worlds_and_discover_are_the_clis_folders(inputs, tmp_path):
    args = dict(replicates=1, vary=["employees.tasks_per_week", "behaviour.mandate_usd"])
    w = tm.worlds(inputs / "small.toml", 16, out=tmp_path / "py", progress=False, **args)
    cli("run", inputs / "small.toml", "--worlds", 16, "--replicates", 1, "--vary", "employees.tasks_per_week",
        "--vary", "behaviour.mandate_usd", "--out", tmp_path / "cli", "-q")
    assert_same_folder(tmp_path / "py", tmp_path / "cli")
    assert w.worlds.height == 16 and w.robust_verdicts.height > 0
    d = tm.discover(w, policy="laissez_faire", metric="spend_usd", threshold=9500, bootstrap=5)
    cli("discover", tmp_path / "cli", "--policy", "laissez_faire", "--metric", "spend_usd",
        "--threshold", 9500, "--bootstrap", 5)
    assert_same_folder(tmp_path / "py" / "discovery", tmp_path / "cli" / "discovery")
    assert d.job == "discover" and d.findings and d.trajectory.height > 0
    assert d.boxes is not None
    # A share of the cases, as --cases: the same folder as the CLI's.
    tm.discover(w, policy="laissez_faire", metric="spend_usd", cases="top:0.25", bootstrap=5)
    cli("discover", tmp_path / "cli", "--policy", "laissez_faire", "--metric", "spend_usd",
        "--cases", "top:0.25", "--bootstrap", 5)
    assert_same_folder(tmp_path / "py" / "discovery", tmp_path / "cli" / "discovery")
    with pytest.raises(tm.TokenmaxxError, match="cases"):
        tm.discover(w, policy="laissez_faire", cases="tpo:0.2")


def test_calibrate_is_the_clis_folder(inputs, tmp_path):
    seen = []
    c = tm.calibrate(inputs / "evidence.toml", out=tmp_path / "py", progress=lambda d, t: seen.append((d, t)))
    cli("calibrate", inputs / "evidence.toml", "--out", tmp_path / "cli", "-q")
    assert_same_folder(tmp_path / "py", tmp_path / "cli")
    assert c.posterior.height == 8 and c.ppc.height == 1
    assert seen and seen[-1][0] == 1


def test_optimize_is_the_clis_folder(inputs, tmp_path):
    seen = []
    o = tm.optimize(inputs / "study.toml", set={"weeks": 6}, out=tmp_path / "py",
                    progress=lambda d, t: seen.append((d, t)))
    cli("optimize", inputs / "study.toml", "--set", "weeks=6", "--out", tmp_path / "cli", "-q")
    assert_same_folder(tmp_path / "py", tmp_path / "cli")
    assert o.front.height >= 1 and "mean_net_value_usd" in o.front.columns
    assert o.validation is not None and o.convergence.height >= 1
    assert seen and seen[-1][0] == 8


# ---------------------------------------------------------------------------
# The data dictionary.

def test_columns_describe_every_column_of_every_table(inputs, tmp_path):
    d = tm.columns()
    assert d.columns == ["file", "column", "unit", "meaning"]
    assert d.height > 200 and d["meaning"].str.len_chars().min() > 0
    cli_text = cli("columns", "--csv").stdout
    assert pl.read_csv(io.BytesIO(cli_text.encode())).equals(d)
    r = tm.run(inputs / "small.toml", replicates=1, out=tmp_path / "run", progress=False)
    own = r.columns  # the folder's columns.csv
    for table in ("runs", "weekly", "summary", "verdicts"):
        listed = set(own.filter(pl.col("file") == f"{table}.csv")["column"])
        assert set(r.table(table).columns) <= listed, table
    mem = tm.run(inputs / "small.toml", replicates=1, progress=False)
    assert mem.csv_bytes("columns") == (tmp_path / "run" / "columns.csv").read_bytes()


# ---------------------------------------------------------------------------
# Errors, one per kind.

def test_errors_are_exceptions_with_their_place(inputs, tmp_path):
    bad = inputs / "bad-sweep.toml"
    bad.write_text(SWEEP.replace('design = "morris"', 'design = "morris"\nnot_a_key = 1'))
    with pytest.raises(tm.ScenarioError) as e:
        tm.sweep(bad, out=tmp_path / "x", progress=False)
    assert f"{bad}:" in str(e.value) and "not_a_key" in str(e.value)
    with pytest.raises(tm.ScenarioError):
        tm.worlds(inputs / "small.toml", 4, vary=["no.such.key"], out=tmp_path / "y", progress=False)
    with pytest.raises(tm.TokenmaxxError):
        tm.calibrate(inputs / "missing.toml", out=tmp_path / "z", progress=False)
    with pytest.raises(tm.TokenmaxxError):
        tm.discover(tmp_path / "nothing-here", policy="laissez_faire")
    with pytest.raises(tm.TokenmaxxError):
        tm.load(tmp_path / "nothing-here")


# ---------------------------------------------------------------------------
# Ctrl-C: a sweep stops within a fraction of a second and resumes to the
# CLI's bytes.

LONG_SWEEP = (
    'base = "small.toml"\n[sweep]\ndesign = "lhs"\npoints = 300\nreplicates = 1\nseed = 4\n'
    '[[sweep.parameters]]\nkey = "employees.tasks_per_week"\nrange = [6.0, 20.0]\n'
)


def interrupt_after_progress(wait_s):
    """A progress callback that, once work is reported done, has a second
    thread send SIGINT to this process; and the list holding when it did."""
    import signal
    import threading
    import time

    fired = []
    started = threading.Event()

    def interrupt():
        started.wait(wait_s)
        fired.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()

    def progress(done, total):
        if done > 0:
            started.set()

    return progress, fired


def test_interrupted_sweep_stops_quickly_and_resumes_to_the_clis_bytes(inputs, tmp_path):
    import time

    (inputs / "long.toml").write_text(LONG_SWEEP)
    small = {"weeks": 26, "enterprises.acme.employees": 30}
    out = tmp_path / "py"
    # SIGINT once the sweep has recorded runs.
    progress, fired = interrupt_after_progress(60)
    with pytest.raises(KeyboardInterrupt):
        tm.sweep(inputs / "long.toml", set=small, threads=1, out=out, progress=progress)
        pytest.fail("the sweep finished before the interrupt came")
    stopped = time.monotonic() - fired[0]
    assert stopped < 0.75, f"took {stopped:.2f} s to stop"
    # No result was written: an interrupted sweep, resumable.
    assert not (out / "manifest.json").exists()
    assert (out / ".sweep-state.json").exists()
    done_before = len((out / "runs.csv.partial").read_text().splitlines()) - 1
    assert 0 < done_before < 600
    with pytest.raises(tm.TokenmaxxError):
        tm.sweep(inputs / "long.toml", set=small, threads=1, out=out, progress=False)
    r = tm.sweep(inputs / "long.toml", set=small, out=out, resume=True, progress=False)
    assert r.runs.height == 600
    cli("sweep", inputs / "long.toml", "--set", "weeks=26", "--set", "enterprises.acme.employees=30",
        "--out", tmp_path / "cli", "-q")
    assert_same_folder(out, tmp_path / "cli")


LONG_EVIDENCE = EVIDENCE.replace("particles = 8\ngenerations = 1", "particles = 30\ngenerations = 4")


def test_interrupted_calibration_stops_quickly_and_resumes_to_the_clis_bytes(inputs, tmp_path):
    import time

    (inputs / "long-evidence.toml").write_text(LONG_EVIDENCE)
    out = tmp_path / "py"
    # SIGINT once the first generation is saved (progress counts generations).
    progress, fired = interrupt_after_progress(120)
    with pytest.raises(KeyboardInterrupt):
        tm.calibrate(inputs / "long-evidence.toml", threads=1, out=out, progress=progress)
        pytest.fail("the calibration finished before the interrupt came")
    stopped = time.monotonic() - fired[0]
    assert stopped < 0.75, f"took {stopped:.2f} s to stop"
    # No result was written: an interrupted calibration, resumable.
    assert not (out / "manifest.json").exists()
    assert (out / ".calibrate-state").exists()
    with pytest.raises(tm.TokenmaxxError):
        tm.calibrate(inputs / "long-evidence.toml", threads=1, out=out, progress=False)
    c = tm.calibrate(inputs / "long-evidence.toml", out=out, resume=True, progress=False)
    assert c.posterior.height >= 30
    cli("calibrate", inputs / "long-evidence.toml", "--out", tmp_path / "cli", "-q")
    assert_same_folder(out, tmp_path / "cli")


# ---------------------------------------------------------------------------
# Overhead: a 100,000-row runs table reaches polars in under a second
# beyond the simulation. The library keeps the runs; `.runs` takes their
# columns as bytes (no CSV text) into numpy and polars: timed here from the
# moment the simulation has returned to the DataFrame.

def test_a_100k_row_runs_table_reaches_polars_in_under_a_second():
    import time

    tiny = {"name": "tiny", "weeks": 1, "arms": ["laissez_faire", "usage_leaderboard"],
            "enterprises": {"acme": {"employees": 1}}}
    t0 = time.perf_counter()
    r = tm.run(tiny, replicates=50_000, seed=1, progress=False)
    whole = time.perf_counter() - t0
    t0 = time.perf_counter()
    runs = r.runs
    to_polars = time.perf_counter() - t0
    assert runs.height == 100_000 and runs.width > 70
    t0 = time.perf_counter()
    runs.to_pandas()
    to_pandas = time.perf_counter() - t0
    print(f"100,000 runs: tm.run {whole:.2f} s (simulation {r.manifest['simulation_seconds']:.2f} s), "
          f"runs table to polars {to_polars:.3f} s, polars to pandas {to_pandas:.3f} s")
    assert to_polars < 1.0


def test_runs_in_memory_are_the_csv_values():
    r = tm.run(BASELINE, set=SET, replicates=3, seed=5, progress=False)
    from_csv = pl.read_csv(io.BytesIO(r.csv_bytes("runs")), infer_schema_length=None)
    cols = r.runs
    assert cols.columns == from_csv.columns
    for name in cols.columns:
        a, b = cols[name], from_csv[name]
        if a.dtype != b.dtype:
            b = b.cast(a.dtype)
        assert a.equals(b), name

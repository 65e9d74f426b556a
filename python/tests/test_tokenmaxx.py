"""Tests of the Python package against the library and the CLI."""

import os
import subprocess
from pathlib import Path

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


def test_ctrl_c_interrupts_a_run_quickly():
    import _thread
    import threading
    import time

    threading.Timer(0.2, _thread.interrupt_main).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        # About 2 s of work on one thread: the interrupt comes first.
        tm.run(BASELINE, set={"weeks": 156, "enterprises.acme.employees": 200}, replicates=4, threads=1)
        pytest.fail("the run finished before the interrupt came")
    assert time.monotonic() - t0 < 0.2 + 0.5

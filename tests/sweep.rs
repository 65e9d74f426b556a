//! Sweeps as a user runs them: designs, determinism across threads,
//! kill -9 and resume, and errors in broken sweep files.

use assert_cmd::Command;
use predicates::prelude::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

const BASE: &str =
    "name = \"small\"\nweeks = 30\nterm_weeks = 10\nreplicates = 2\n[enterprises.acme]\nemployees = 30\n";

/// Writes a small base scenario and a sweep file into a temporary directory.
fn setup(sweep: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("base.toml"), BASE).unwrap();
    let path = dir.path().join("sweep.toml");
    fs::write(&path, sweep).unwrap();
    (dir, path)
}

fn sweep_text(design: &str, points: &str, extra: &str) -> String {
    format!(
        "base = \"base.toml\"\n[sweep]\ndesign = \"{design}\"\n{points}replicates = 2\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n{extra}\n\
         [[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_scale\"\nrange = [0.0, 2.0]\n{steps}\n\
         [[sweep.parameters]]\nkey = \"enterprises.acme.spend_signal_weight\"\nvalues = [0.2, 0.8]\n",
        steps = if design == "grid" { "steps = 3" } else { "" }
    )
}

fn run(sweep: &Path, out: &Path, threads: &str) {
    tokenmaxx()
        .arg("sweep")
        .arg(sweep)
        .arg("--out")
        .arg(out)
        .args(["--threads", threads, "-q"])
        .assert()
        .success();
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

const DETERMINISTIC: [&str; 3] = ["points.csv", "runs.csv", "summary.csv"];

#[test]
fn one_and_two_threads_give_identical_files() {
    let (dir, sweep) = setup(&sweep_text("random", "points = 6\n", ""));
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&sweep, &a, "1");
    run(&sweep, &b, "2");
    for f in DETERMINISTIC {
        assert_eq!(fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap(), "{f}");
    }
    assert!(a.join("telemetry.csv").exists() && a.join("manifest.json").exists());
    assert!(!a.join(".sweep-state.json").exists() && !a.join("runs.csv.partial").exists());
}

#[test]
fn grid_is_the_full_product_and_every_run_lands_once() {
    let (dir, sweep) = setup(&sweep_text("grid", "", ""));
    let out = dir.path().join("out");
    run(&sweep, &out, "2");
    let points = csv_rows(&out.join("points.csv"));
    let combos: BTreeSet<(String, String)> = points.iter().map(|p| (p[1].clone(), p[2].clone())).collect();
    assert_eq!(points.len(), 6);
    assert_eq!(combos.len(), 6, "3 steps x 2 values, each once");
    assert!(combos.contains(&("0.0".into(), "0.2".into())) && combos.contains(&("2.0".into(), "0.8".into())));
    let runs = csv_rows(&out.join("runs.csv"));
    let keys: BTreeSet<(String, String, String)> = runs
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    assert_eq!(runs.len(), 6 * 2 * 2);
    assert_eq!(keys.len(), runs.len(), "no run duplicated");
    let summary = csv_rows(&out.join("summary.csv"));
    assert!(
        summary
            .iter()
            .any(|r| r[0] == "5" && r[1] == "usage_leaderboard" && r[2] == "incremental_roi")
    );
}

#[test]
fn lhs_covers_each_stratum_once() {
    let (dir, sweep) = setup(&sweep_text("lhs", "points = 8\n", ""));
    let out = dir.path().join("out");
    run(&sweep, &out, "2");
    let mut strata: Vec<usize> = csv_rows(&out.join("points.csv"))
        .iter()
        .map(|p| (p[1].parse::<f64>().unwrap() / 2.0 * 8.0) as usize)
        .collect();
    strata.sort();
    assert_eq!(strata, (0..8).collect::<Vec<_>>());
}

#[test]
fn sobol_points_are_the_documented_sequence() {
    let (dir, sweep) = setup(&sweep_text("sobol", "points = 4\n", ""));
    let out = dir.path().join("out");
    run(&sweep, &out, "2");
    // Sobol points 1..4 in dimension 1 are 0.5, 0.75, 0.25, 0.375; scaled to [0, 2].
    let first: Vec<String> = csv_rows(&out.join("points.csv")).iter().map(|p| p[1].clone()).collect();
    assert_eq!(first, ["1.0", "1.5", "0.5", "0.75"]);
    // Dimension 2 picks from two values: 0.5, 0.25, 0.75, 0.375 -> 0.8, 0.2, 0.8, 0.2.
    let second: Vec<String> = csv_rows(&out.join("points.csv")).iter().map(|p| p[2].clone()).collect();
    assert_eq!(second, ["0.8", "0.2", "0.8", "0.2"]);
}

#[test]
fn common_random_numbers_share_seeds_across_points_unless_turned_off() {
    let (dir, sweep) = setup(&sweep_text("random", "points = 3\n", ""));
    let out = dir.path().join("crn");
    run(&sweep, &out, "2");
    let seeds: BTreeSet<String> = csv_rows(&out.join("runs.csv")).iter().map(|r| r[3].clone()).collect();
    assert_eq!(seeds.len(), 2, "one seed per replicate");
    let (dir2, sweep2) = setup(&sweep_text("random", "points = 3\n", "common_random_numbers = false"));
    let out2 = dir2.path().join("own");
    run(&sweep2, &out2, "2");
    let seeds2: BTreeSet<String> = csv_rows(&out2.join("runs.csv")).iter().map(|r| r[3].clone()).collect();
    assert_eq!(seeds2.len(), 3 * 2 * 2, "one seed per run");
}

#[test]
fn killed_sweep_resumes_to_identical_files() {
    // Big enough to take a few seconds, so the kill lands mid-sweep.
    let big = sweep_text("random", "points = 240\n", "").replace("replicates = 2\narms", "replicates = 3\narms");
    let (dir, sweep) = setup(&big);
    fs::write(
        dir.path().join("base.toml"),
        BASE.replace("employees = 30", "employees = 150"),
    )
    .unwrap();
    let whole = dir.path().join("whole");
    run(&sweep, &whole, "2");
    let cut = dir.path().join("cut");
    let bin = assert_cmd::cargo::cargo_bin("tokenmaxx");
    let mut child = std::process::Command::new(bin)
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&cut)
        .args(["--threads", "2", "-q"])
        .spawn()
        .unwrap();
    // Kill it once some points are done, but not all.
    let state = cut.join(".sweep-state.json");
    let clock = Instant::now();
    loop {
        if let Ok(text) = fs::read_to_string(&state) {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            if v["points_done"].as_u64().unwrap_or(0) >= 8 {
                break;
            }
        }
        assert!(clock.elapsed() < Duration::from_secs(60), "the sweep never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(state.exists(), "the sweep was killed before it finished");
    assert!(!cut.join("runs.csv").exists(), "no final file before the sweep is done");
    // Without --resume it refuses to clobber the interrupted sweep.
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&cut)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--resume"));
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&cut)
        .args(["--resume", "-q"])
        .assert()
        .success();
    for f in DETERMINISTIC {
        assert_eq!(
            fs::read(whole.join(f)).unwrap(),
            fs::read(cut.join(f)).unwrap(),
            "{f} differs after kill and resume"
        );
    }
}

#[test]
fn dry_run_reports_counts_and_runs_nothing() {
    let (dir, sweep) = setup(&sweep_text("lhs", "points = 5\n", ""));
    let out = dir.path().join("out");
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .arg("--dry-run")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("5 points x 2 arms x 2 replicates = 20 runs")
                .and(predicate::str::contains("estimated time")),
        );
    assert!(!out.exists());
}

fn rejects(sweep: &str, needles: &[&str]) {
    let (_dir, path) = setup(sweep);
    let mut pred = predicate::str::contains("sweep.toml").boxed();
    for n in needles {
        pred = pred.and(predicate::str::contains(*n)).boxed();
    }
    tokenmaxx()
        .arg("sweep")
        .arg(&path)
        .arg("--dry-run")
        .assert()
        .failure()
        .stderr(pred);
}

#[test]
fn unknown_key_in_a_sweep_file_names_line_and_column() {
    rejects(
        "base = \"base.toml\"\n[sweep]\ndesign = \"lhs\"\npoints = 3\nreplicas = 2\n[[sweep.parameters]]\nkey = \"weeks\"\nrange = [10, 20]\n",
        &["sweep.toml:5:1:", "replicas", "unknown field"],
    );
}

#[test]
fn a_key_that_names_no_parameter_is_rejected() {
    rejects(
        "base = \"base.toml\"\n[sweep]\ndesign = \"lhs\"\npoints = 3\n[[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_depth\"\nrange = [0.0, 1.0]\n",
        &["sweep.toml:6:7:", "sweep.parameters[0].key", "names no parameter"],
    );
}

#[test]
fn an_empty_range_is_rejected() {
    rejects(
        "base = \"base.toml\"\n[sweep]\ndesign = \"random\"\npoints = 3\n[[sweep.parameters]]\nkey = \"weeks\"\nrange = [20, 20]\n",
        &["sweep.toml:7:9:", "sweep.parameters[0].range", "empty"],
    );
}

#[test]
fn an_unknown_design_is_rejected() {
    rejects(
        "base = \"base.toml\"\n[sweep]\ndesign = \"latin\"\npoints = 3\n[[sweep.parameters]]\nkey = \"weeks\"\nrange = [10, 20]\n",
        &["sweep.toml:3:10:", "unknown design"],
    );
}

#[test]
fn a_value_that_breaks_the_scenario_is_rejected() {
    rejects(
        "base = \"base.toml\"\n[sweep]\ndesign = \"random\"\npoints = 3\n[[sweep.parameters]]\nkey = \"agent.noise_prob_agent\"\nrange = [0.5, 1.5]\n",
        &["sweep.toml:5:", "sweep.parameters[0]", "between 0 and 1"],
    );
}

#[test]
fn bundled_sweeps_are_valid_and_one_has_a_thousand_runs() {
    let mut most = 0;
    for f in [
        "scenarios/sweeps/discount-x-signal.toml",
        "scenarios/sweeps/fit-x-reward.toml",
    ] {
        let out = tokenmaxx().args(["sweep", f, "--dry-run"]).assert().success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let runs: usize = text
            .split(" = ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        most = most.max(runs);
    }
    assert!(most >= 1000);
}

fn sensitivity_sweep(design: &str, points: usize) -> String {
    format!(
        "base = \"base.toml\"\n[sweep]\ndesign = \"{design}\"\npoints = {points}\nreplicates = 2\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
         [[sweep.parameters]]\nkey = \"policies.usage_leaderboard.token_reward_usd_per_mtok\"\nrange = [1.0, 30.0]\n\
         [[sweep.parameters]]\nkey = \"market.imitation_rate\"\nrange = [0.0, 1.0]\n\
         [[sweep.parameters]]\nkey = \"agent.noise_prob_agent\"\nrange = [0.1, 0.8]\n"
    )
}

#[test]
fn morris_sweep_finds_the_idle_lever_and_the_active_one() {
    // market.imitation_rate does nothing with one enterprise: mu* must be 0.
    let (dir, sweep) = setup(&sensitivity_sweep("morris", 4));
    let out = dir.path().join("out");
    run(&sweep, &out, "2");
    let rows = csv_rows(&out.join("sensitivity.csv"));
    let find = |policy: &str, param: &str| -> f64 {
        rows.iter()
            .find(|r| r[0] == "morris" && r[1] == "spend_usd" && r[2] == policy && r[3] == param && r[4] == "mu_star")
            .map(|r| r[5].parse().unwrap())
            .unwrap()
    };
    assert_eq!(find("usage_leaderboard", "market.imitation_rate"), 0.0);
    assert!(
        find(
            "usage_leaderboard",
            "policies.usage_leaderboard.token_reward_usd_per_mtok"
        ) > 0.0
    );
    assert_eq!(
        find("laissez_faire", "policies.usage_leaderboard.token_reward_usd_per_mtok"),
        0.0,
        "the leaderboard's reward does nothing under laissez-faire"
    );
    assert_eq!(
        csv_rows(&out.join("points.csv")).len(),
        4 * 4,
        "4 trajectories of k + 1 = 4 points"
    );
    assert!(out.join("charts/tornado_roi.png").exists() && out.join("charts/tornado_spend_usd.svg").exists());
    let verdicts = csv_rows(&out.join("verdicts.csv"));
    assert_eq!(verdicts.len(), 16 * 2, "two ordered pairs per point");
    // summary.md: what was swept and each policy's net value across points;
    // the "highest at" counts add up to at least the points (ties count twice).
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("morris design, 16 points x 2 policies"), "{md}");
    assert!(
        md.contains("`policies.usage_leaderboard.token_reward_usd_per_mtok`"),
        "{md}"
    );
    let wins: usize = md
        .lines()
        .filter(|l| l.starts_with("| Laissez-faire") || l.starts_with("| Usage leaderboard"))
        .map(|l| {
            l.split('|')
                .nth(5)
                .unwrap()
                .split(" of ")
                .next()
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert!(wins >= 16, "{md}");
}

#[test]
fn saltelli_sweep_writes_sobol_indices_identically_on_one_and_two_threads() {
    let (dir, sweep) = setup(&sensitivity_sweep("saltelli", 8));
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&sweep, &a, "1");
    run(&sweep, &b, "2");
    assert_eq!(
        fs::read(a.join("sensitivity.csv")).unwrap(),
        fs::read(b.join("sensitivity.csv")).unwrap()
    );
    assert_eq!(
        fs::read(a.join("verdicts.csv")).unwrap(),
        fs::read(b.join("verdicts.csv")).unwrap()
    );
    let rows = csv_rows(&a.join("sensitivity.csv"));
    // 2 policies x 4 metrics x 3 parameters x (S1, ST).
    assert_eq!(rows.len(), 2 * 4 * 3 * 2);
    let idle_total: f64 = rows
        .iter()
        .find(|r| r[1] == "spend_usd" && r[2] == "usage_leaderboard" && r[3] == "market.imitation_rate" && r[4] == "ST")
        .map(|r| r[5].parse().unwrap())
        .unwrap();
    assert_eq!(idle_total, 0.0, "a lever that does nothing has no total effect");
    assert!(a.join("charts/sobol_roi.png").exists());
    // `plot` redraws the sensitivity charts too.
    let again = dir.path().join("again");
    tokenmaxx()
        .arg("plot")
        .arg(&a)
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    assert!(
        fs::read(a.join("charts/sobol_roi.svg")).unwrap() == fs::read(again.join("charts/sobol_roi.svg")).unwrap(),
        "redrawn chart differs"
    );
}

#[test]
fn command_line_amendments_equal_an_edited_file_and_are_part_of_the_sweep() {
    let (dir, sweep) = setup(&sweep_text("lhs", "points = 4\n", ""));
    // The same sweep edited by hand: 6 points, 1 replicate, 50 employees.
    let edited_dir = dir.path().join("edited");
    fs::create_dir_all(&edited_dir).unwrap();
    fs::write(
        edited_dir.join("base.toml"),
        BASE.replace("employees = 30", "employees = 50"),
    )
    .unwrap();
    fs::write(
        edited_dir.join("sweep.toml"),
        sweep_text("lhs", "points = 6\n", "").replace("replicates = 2", "replicates = 1"),
    )
    .unwrap();
    let (a, b) = (dir.path().join("a/out"), dir.path().join("b/out"));
    let amend = [
        "--set",
        "enterprises.acme.employees=50",
        "--points",
        "6",
        "--replicates",
        "1",
    ];
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&a)
        .arg("-q")
        .args(amend)
        .assert()
        .success();
    run(&edited_dir.join("sweep.toml"), &b, "2");
    for f in DETERMINISTIC {
        assert_eq!(fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap(), "{f}");
    }
    assert_eq!(csv_rows(&a.join("runs.csv")).len(), 6 * 2);
    let manifest = fs::read_to_string(a.join("manifest.json")).unwrap();
    assert!(manifest.contains("--set enterprises.acme.employees=50 --points 6 --replicates 1"));
    // A resume must name the same amendments.
    let killed = dir.path().join("killed");
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&killed)
        .args(["-q", "--threads", "1"])
        .args(amend)
        .env("TOKENMAXX_CRASH_AT", "6")
        .assert()
        .failure();
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&killed)
        .args(["-q", "--resume"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--set/--points/--replicates"));
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&killed)
        .args(["-q", "--resume"])
        .args(amend)
        .assert()
        .success();
    // A swept key cannot be --set, and a grid has no --points.
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .args(["--dry-run", "--set", "labs.frontier_lab.discount_scale=1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("swept parameter"));
    let (gdir, grid) = setup(&sweep_text("grid", "", ""));
    tokenmaxx()
        .arg("sweep")
        .arg(&grid)
        .arg("--out")
        .arg(gdir.path().join("o"))
        .args(["--dry-run", "--points", "5"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--points does not apply to a grid"));
}

#[test]
fn the_wrong_command_for_a_file_names_the_right_one() {
    let (dir, sweep) = setup(&sweep_text("lhs", "points = 4\n", ""));
    tokenmaxx()
        .arg("run")
        .arg(&sweep)
        .assert()
        .failure()
        .stderr(predicate::str::contains("this is a sweep file").and(predicate::str::contains("tokenmaxx sweep")));
    tokenmaxx()
        .arg("sweep")
        .arg(dir.path().join("base.toml"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("this is a scenario").and(predicate::str::contains("tokenmaxx run")));
}

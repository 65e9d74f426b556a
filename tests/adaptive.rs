//! Adaptive replicates (`replicates = "auto"`, `run --replicates auto`) as a
//! user runs them: identical files at one thread or two, replicate r of an
//! adaptive run identical to replicate r of a fixed run, the rule and its
//! stop recorded, and errors that name the file, line, column and key.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

/// A small baseline whose rule cannot stop at its first batch (an
/// indifference zone of zero, so only intervals that exclude zero decide a
/// verdict), so it runs many batches of OCBA's choosing, unequal by arm,
/// until the best arm is selected with probability 0.8.
const SMALL: [&str; 14] = [
    "--set",
    "enterprises.acme.employees=40",
    "--set",
    "weeks=60",
    "--set",
    "auto_replicates.min=2",
    "--set",
    "auto_replicates.max=40",
    "--set",
    "auto_replicates.batch=4",
    "--set",
    "auto_replicates.delta=0",
    "--set",
    "auto_replicates.pcs=0.8",
];

fn run(out: &Path, replicates: &str, threads: &str) {
    tokenmaxx()
        .args(["run", "scenarios/baseline.toml", "--quiet", "--out"])
        .arg(out)
        .args(SMALL)
        .args(["--replicates", replicates, "--threads", threads])
        .assert()
        .success();
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn auto_replicates_give_identical_files_on_one_thread_or_two() {
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    run(a.path(), "auto", "1");
    run(b.path(), "auto", "2");
    for f in ["runs.csv", "weekly.csv", "summary.csv", "verdicts.csv", "summary.md"] {
        assert_eq!(
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
            "{f}: 1 vs 2 threads"
        );
    }
    let (ma, mb) = (manifest(a.path()), manifest(b.path()));
    assert_eq!(ma["replicates"], mb["replicates"]);
    let r = &ma["replicates"];
    assert_eq!(r["rule"], "auto");
    // More than the first batch ran, and not every arm got the same: OCBA chose.
    assert!(r["batches"].as_u64().unwrap() >= 2, "{r}");
    let per_arm: Vec<u64> = r["per_arm"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert!(per_arm.iter().all(|&n| (2..=40).contains(&n)), "{r}");
    assert!(per_arm.iter().any(|&n| n != per_arm[0]), "{r}");
    let rows = fs::read_to_string(a.path().join("runs.csv")).unwrap().lines().count() - 1;
    assert_eq!(rows as u64, per_arm.iter().sum::<u64>());
    let md = fs::read_to_string(a.path().join("summary.md")).unwrap();
    assert!(md.contains("Replicates were adaptive"), "{md}");
    assert!(md.contains(r["stopped_because"].as_str().unwrap()), "{md}");
}

#[test]
fn replicate_r_of_an_auto_run_is_replicate_r_of_a_fixed_run() {
    let auto = TempDir::new().unwrap();
    let fixed = TempDir::new().unwrap();
    run(auto.path(), "auto", "2");
    run(fixed.path(), "40", "2");
    let fixed_rows = fs::read_to_string(fixed.path().join("runs.csv")).unwrap();
    let fixed_rows: Vec<&str> = fixed_rows.lines().collect();
    let auto_rows = fs::read_to_string(auto.path().join("runs.csv")).unwrap();
    let mut lines = auto_rows.lines();
    assert_eq!(lines.next(), Some(fixed_rows[0]), "same columns");
    let mut n = 0;
    for row in lines {
        // policy, replicate, seed and every metric, to the last digit.
        assert!(fixed_rows.contains(&row), "not in the fixed run: {row}");
        n += 1;
    }
    assert!(n >= 12);
    // The fixed run records a plain count.
    assert_eq!(manifest(fixed.path())["replicates"], 40);
}

/// Writes `text` to a scenario and runs `validate`, expecting a failure
/// whose message holds every one of `needles`.
fn rejects(text: &str, needles: &[&str]) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("broken.toml");
    fs::write(&path, text).unwrap();
    let mut pred = predicate::str::contains("broken.toml").boxed();
    for n in needles {
        pred = pred.and(predicate::str::contains(*n)).boxed();
    }
    tokenmaxx().arg("validate").arg(&path).assert().failure().stderr(pred);
}

#[test]
fn a_word_other_than_auto_names_the_key_line_and_column() {
    rejects(
        "name = \"x\"\nreplicates = \"often\"\n",
        &["broken.toml:2:14", "`replicates`", "\"auto\""],
    );
}

#[test]
fn a_rule_key_out_of_range_names_where_it_is_written() {
    rejects(
        "name = \"x\"\n[replicates]\nmin = 1\n",
        &["broken.toml:3:7", "replicates.min", "at least 2"],
    );
    rejects(
        "name = \"x\"\nreplicates = \"auto\"\n[auto_replicates]\npcs = 1.5\n",
        &["broken.toml:4:7", "auto_replicates.pcs", "probability"],
    );
    rejects(
        "name = \"x\"\n[replicates]\nmin = 10\nmax = 4\n",
        &["broken.toml:4:7", "replicates.max", "at least min (10)"],
    );
}

#[test]
fn an_unknown_rule_key_is_named_with_a_suggestion() {
    rejects(
        "name = \"x\"\n[replicates]\nminn = 3\n",
        &["broken.toml:3:1", "replicates.minn", "did you mean `min`"],
    );
}

#[test]
fn a_bad_word_for_replicates_on_the_command_line_is_refused() {
    tokenmaxx()
        .args(["run", "scenarios/baseline.toml", "--replicates", "sometimes"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("a number of replicates per arm or `auto`"));
    tokenmaxx()
        .args(["sweep", "scenarios/sweeps/levers.toml", "--replicates", "often"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("a number of replicates per arm or `auto`"));
}

/// A small sweep of the baseline (40 people, 60 weeks) over the
/// leaderboard's token reward, with `replicates` as given (TOML text).
fn sweep_file(dir: &Path, replicates: &str) -> std::path::PathBuf {
    let base = std::path::absolute("scenarios/baseline.toml").unwrap();
    let path = dir.join("small.toml");
    fs::write(
        &path,
        format!(
            "base = {:?}\n[sweep]\nname = \"small\"\ndesign = \"lhs\"\npoints = 5\nreplicates = {replicates}\narms = [\"laissez_faire\", \"usage_leaderboard\", \"budget_capped\"]\n[[sweep.parameters]]\nkey = \"policies.usage_leaderboard.token_reward_usd_per_mtok\"\nrange = [1.0, 30.0]\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    path
}

const SMALL_SWEEP: [&str; 4] = ["--set", "enterprises.acme.employees=40", "--set", "weeks=60"];

fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    tokenmaxx()
        .arg("sweep")
        .arg(file)
        .args(SMALL_SWEEP)
        .args(["--quiet", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

/// Every result file of a sweep folder but its timings (telemetry, manifest).
const SWEEP_FILES: [&str; 7] = [
    "points.csv",
    "runs.csv",
    "summary.csv",
    "verdicts.csv",
    "replicates.csv",
    "summary.md",
    "columns.csv",
];

fn same_files(a: &Path, b: &Path, what: &str) {
    for f in SWEEP_FILES {
        assert_eq!(
            fs::read(a.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")),
            fs::read(b.join(f)).unwrap(),
            "{f}: {what}"
        );
    }
}

const RULE: &str = "{ min = 3, max = 20, batch = 3, delta = 0.0, pcs = 0.9 }";

#[test]
fn an_auto_sweep_gives_identical_files_on_one_thread_or_two_and_sharded() {
    let dir = TempDir::new().unwrap();
    let file = sweep_file(dir.path(), RULE);
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    sweep(&file, &one, &["--threads", "1"]);
    sweep(&file, &two, &["--threads", "2"]);
    same_files(&one, &two, "1 vs 2 threads");
    // Three shards of 5 points, merged: the same files.
    let shards: Vec<std::path::PathBuf> = (0..3)
        .map(|i| {
            let out = dir.path().join("sharded");
            sweep(&file, &out, &["--shard", &format!("{i}/3"), "--threads", "2"]);
            out.join(format!("shard-{i}-of-3"))
        })
        .collect();
    let merged = dir.path().join("merged");
    tokenmaxx()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    same_files(&one, &merged, "sharded vs not");
    let m = manifest(&one);
    let a = &m["auto_replicates"];
    assert_eq!(a["rule"], "auto", "{m}");
    let rows = fs::read_to_string(one.join("runs.csv")).unwrap().lines().count() - 1;
    assert_eq!(m["runs"].as_u64().unwrap() as usize, rows);
    assert_eq!(a["runs"].as_u64().unwrap() as usize, rows);
    // Each policy of each point: its replicates in replicates.csv match runs.csv.
    let reps = fs::read_to_string(one.join("replicates.csv")).unwrap();
    let total: usize = reps
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, rows);
    let md = fs::read_to_string(one.join("summary.md")).unwrap();
    assert!(md.contains("Replicates were adaptive, point by point"), "{md}");
    assert!(
        fs::read_to_string(one.join("columns.csv"))
            .unwrap()
            .contains("replicates.csv,stopped")
    );
}

#[test]
fn an_auto_sweep_uses_fewer_runs_than_max_and_reaches_the_fixed_verdicts() {
    // Laissez-faire against a leaderboard and a budget cap: clear at every
    // point (the leaderboard loses millions, the cap loses value), so the
    // rule stops well before max; its verdicts are those of 20 fixed.
    let dir = TempDir::new().unwrap();
    let auto = sweep_file(
        dir.path(),
        "{ min = 3, max = 20, batch = 3, delta = 100000.0, pcs = 0.95 }",
    );
    let (a, f) = (dir.path().join("auto"), dir.path().join("fixed"));
    sweep(&auto, &a, &[]);
    sweep(&auto, &f, &["--replicates", "20"]);
    let runs = |d: &Path| fs::read_to_string(d.join("runs.csv")).unwrap().lines().count() - 1;
    assert!(runs(&a) * 2 <= runs(&f), "auto {} vs fixed {}", runs(&a), runs(&f));
    // The sign of every paired net-value verdict against the first policy
    // (p_beats_net above or below one half), the verdicts the rule decides,
    // is the same. (Verdicts between two other policies the rule does not
    // decide: one of them, close at one point, may differ.)
    let signs = |d: &Path| -> Vec<(String, bool)> {
        fs::read_to_string(d.join("verdicts.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| l.contains("laissez_faire"))
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                (
                    format!("{},{},{}", c[0], c[1], c[2]),
                    c[6].parse::<f64>().unwrap() > 0.5,
                )
            })
            .collect()
    };
    assert_eq!(signs(&a), signs(&f));
}

#[test]
fn a_total_cap_splits_evenly_and_a_cap_too_small_is_refused_where_it_is_written() {
    let dir = TempDir::new().unwrap();
    // 5 points x 3 policies x min 3 = 45 runs at least.
    let file = sweep_file(dir.path(), "{ min = 3, max = 20, total_max = 75 }");
    let out = dir.path().join("capped");
    sweep(&file, &out, &[]);
    // 75 runs over 15 policy-points: at most 5 replicates each.
    let reps = fs::read_to_string(out.join("replicates.csv")).unwrap();
    assert!(
        reps.lines()
            .skip(1)
            .all(|l| l.split(',').nth(2).unwrap().parse::<u32>().unwrap() <= 5),
        "{reps}"
    );
    assert_eq!(manifest(&out)["auto_replicates"]["max_per_arm"], 5);
    for (rule, needles) in [
        (
            "{ min = 3, total_max = 44 }",
            vec![
                "small.toml:6:",
                "sweep.replicates.total_max",
                "at least min x arms x points = 3 x 3 x 5 = 45",
            ],
        ),
        (
            "{ min = 3, total_max = 0 }",
            vec!["sweep.replicates.total_max", "got 0"],
        ),
        (
            "{ min = 5, max = 4 }",
            vec!["small.toml:6:", "sweep.replicates.max", "at least min (5)"],
        ),
        ("{ min = 1 }", vec!["sweep.replicates.min", "at least 2"]),
        ("{ total_max = -1 }", vec!["small.toml:6:", "replicates"]),
        ("{ total_max = 99999999999999999999 }", vec!["small.toml:6:"]),
        ("0", vec!["sweep.replicates", "at least 1"]),
    ] {
        let file = sweep_file(dir.path(), rule);
        let mut pred = predicate::str::contains("small.toml").boxed();
        for n in needles {
            pred = pred.and(predicate::str::contains(n)).boxed();
        }
        tokenmaxx().arg("validate").arg(&file).assert().failure().stderr(pred);
    }
}

#[test]
fn a_killed_auto_sweep_resumes_to_the_same_bytes() {
    let dir = TempDir::new().unwrap();
    let file = sweep_file(dir.path(), RULE);
    let whole = dir.path().join("whole");
    sweep(&file, &whole, &["--threads", "2"]);
    // Killed (an abort, as kill -9) at steps of the journal: mid-chunk
    // (runs appended, telemetry not), a chunk appended but not recorded,
    // while finishing; then resumed on another thread count.
    for step in ["6", "9", "14", "19", "27"] {
        let cut = dir.path().join(format!("cut-{step}"));
        tokenmaxx()
            .arg("sweep")
            .arg(&file)
            .args(SMALL_SWEEP)
            .args(["--quiet", "--threads", "1", "--out"])
            .arg(&cut)
            .env("TOKENMAXX_CRASH_AT", step)
            .assert()
            .failure();
        sweep(&file, &cut, &["--resume", "--threads", "2"]);
        same_files(&whole, &cut, &format!("killed at step {step} and resumed vs whole"));
    }
}

#[test]
fn worlds_take_replicates_auto_from_the_command_line() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("w");
    tokenmaxx()
        .args([
            "run",
            "scenarios/baseline.toml",
            "--worlds",
            "3",
            "--replicates",
            "auto",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .args(SMALL_SWEEP)
        .args(["--set", "auto_replicates.max=6", "--set", "auto_replicates.min=2"])
        .assert()
        .success();
    let m = manifest(&out);
    assert_eq!(m["auto_replicates"]["max_per_arm"], 6, "{m}");
    assert!(out.join("replicates.csv").exists());
    assert!(out.join("robust_verdicts.csv").exists());
}

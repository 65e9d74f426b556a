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
fn replicates_auto_is_refused_with_worlds_and_a_bad_word_on_the_command_line() {
    tokenmaxx()
        .args(["run", "scenarios/baseline.toml", "--replicates", "sometimes"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("a number of replicates per arm or `auto`"));
    let out = TempDir::new().unwrap();
    tokenmaxx()
        .args([
            "run",
            "scenarios/baseline.toml",
            "--worlds",
            "2",
            "--replicates",
            "auto",
            "--out",
        ])
        .arg(out.path().join("w"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--replicates auto applies to `run` without --worlds",
        ));
}

//! Shards and merge: every run lands in exactly one shard, shards merged in
//! any order equal the unsharded sweep byte for byte, and merge refuses
//! mixed, missing and duplicated shards, naming them.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;
use tokenmaxx::jobs::sweep::parse_shard;
use tokenmaxx::jobs::sweep::shard::shard_range;

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

#[test]
fn every_point_lands_in_exactly_one_shard() {
    for points in [1, 7, 10, 101] {
        for n in [1, 2, 3, 4, 7, 16] {
            let mut seen = vec![0; points];
            for i in 0..n {
                for p in shard_range(points, i, n) {
                    seen[p] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{points} points in {n} shards: {seen:?}");
        }
    }
}

#[test]
fn shard_specs_parse_from_flags_and_the_environment() {
    let none = |_: &str| None;
    assert_eq!(parse_shard("2/4", None, &none).unwrap(), (2, 4));
    assert!(parse_shard("4/4", None, &none).is_err());
    assert!(parse_shard("x", None, &none).is_err());
    // A count past any job array is refused (slicing arithmetic stays in range).
    assert!(parse_shard("1/1000000", None, &none).is_ok());
    assert!(parse_shard("1/1000001", None, &none).is_err());
    let slurm = |k: &str| match k {
        "SLURM_ARRAY_TASK_ID" => Some("3".to_string()),
        "SLURM_ARRAY_TASK_COUNT" => Some("8".to_string()),
        _ => None,
    };
    assert_eq!(parse_shard("auto", None, &slurm).unwrap(), (3, 8));
    let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "5".to_string());
    assert_eq!(parse_shard("auto", Some(6), &k8s).unwrap(), (5, 6));
    let err = parse_shard("auto", None, &k8s).unwrap_err().to_string();
    assert!(err.contains("--shard-count"), "{err}");
    let err = parse_shard("auto", None, &none).unwrap_err().to_string();
    assert!(
        err.contains("SLURM_ARRAY_TASK_ID") && err.contains("JOB_COMPLETION_INDEX"),
        "{err}"
    );
}

const BASE: &str = "name = \"small\"\nweeks = 30\nterm_weeks = 10\n[enterprises.acme]\nemployees = 30\n";

fn setup(points: usize, seed: u64) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("base.toml"), BASE).unwrap();
    let sweep = dir.path().join("sweep.toml");
    fs::write(
        &sweep,
        format!(
            "base = \"base.toml\"\n[sweep]\ndesign = \"lhs\"\npoints = {points}\nreplicates = 2\nseed = {seed}\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
             [[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_scale\"\nrange = [0.0, 2.0]\n"
        ),
    )
    .unwrap();
    (dir, sweep)
}

fn shard(sweep: &Path, out: &Path, spec: &str) -> PathBuf {
    tokenmaxx()
        .arg("sweep")
        .arg(sweep)
        .arg("--out")
        .arg(out)
        .args(["--shard", spec, "-q"])
        .assert()
        .success();
    let (i, n) = spec.split_once('/').unwrap();
    out.join(format!("shard-{i}-of-{n}"))
}

#[test]
fn shards_merged_in_any_order_equal_the_unsharded_sweep() {
    let (dir, sweep) = setup(7, 1);
    let whole = dir.path().join("whole");
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&whole)
        .arg("-q")
        .assert()
        .success();
    for n in [2, 3] {
        let out = dir.path().join(format!("sharded-{n}"));
        let mut dirs: Vec<PathBuf> = (0..n).map(|i| shard(&sweep, &out, &format!("{i}/{n}"))).collect();
        dirs.reverse();
        let merged = dir.path().join(format!("merged-{n}"));
        tokenmaxx()
            .arg("merge")
            .args(&dirs)
            .arg("--out")
            .arg(&merged)
            .assert()
            .success();
        for f in ["points.csv", "runs.csv", "summary.csv", "verdicts.csv"] {
            assert!(
                fs::read(whole.join(f)).unwrap() == fs::read(merged.join(f)).unwrap(),
                "{f} differs with {n} shards"
            );
        }
    }
}

#[test]
fn merge_refuses_missing_duplicated_and_mixed_shards() {
    let (dir, sweep) = setup(6, 1);
    let out = dir.path().join("a");
    let s0 = shard(&sweep, &out, "0/3");
    let s1 = shard(&sweep, &out, "1/3");
    let s2 = shard(&sweep, &out, "2/3");
    let merged = dir.path().join("m");
    tokenmaxx()
        .arg("merge")
        .arg(&s0)
        .arg(&s2)
        .arg("--out")
        .arg(&merged)
        .assert()
        .failure()
        .stderr(predicate::str::contains("shards missing: 1"));
    tokenmaxx()
        .arg("merge")
        .args([&s0, &s1, &s1, &s2])
        .arg("--out")
        .arg(&merged)
        .assert()
        .failure()
        .stderr(predicate::str::contains("shard 1 of 3 is given twice"));
    // A shard of another sweep (another seed).
    let (dir2, other) = setup(6, 2);
    let foreign = shard(&other, &dir2.path().join("b"), "1/3");
    tokenmaxx()
        .arg("merge")
        .args([&s0, &foreign, &s2])
        .arg("--out")
        .arg(&merged)
        .assert()
        .failure()
        .stderr(predicate::str::contains("belong to different sweeps").and(predicate::str::contains("shard-1-of-3")));
    // A directory that is not a finished shard.
    tokenmaxx()
        .arg("merge")
        .arg(&s0)
        .arg(dir.path())
        .arg("--out")
        .arg(&merged)
        .assert()
        .failure()
        .stderr(predicate::str::contains("is not a finished shard"));
}

//! Nothing escapes a results folder, nothing mixes (issue 25): each test
//! is named after the defect class it guards, and failed on the code
//! before the fix.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

const SMALL: &str = "name = \"small\"\ndescription = \"A small test company.\"\nweeks = 12\nterm_weeks = 6\nreplicates = 2\n\
arms = [\"laissez_faire\", \"usage_leaderboard\"]\n[enterprises.acme]\nemployees = 10\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// `tokenmaxx run` of `scenario` into `out`.
fn run(scenario: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    tokenmaxx()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(extra)
        .assert()
}

/// A small run's results folder `dir/run`.
fn small_run(dir: &Path) -> PathBuf {
    let scenario = write(dir, "small.toml", SMALL);
    let out = dir.join("run");
    run(&scenario, &out, &[]).success();
    out
}

// Class 1: one safe way to touch a folder.

#[test]
fn class_1_a_symlinked_lock_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", SMALL);
    let victim = write(dir.path(), "victim.txt", "precious\n");
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    symlink(&victim, out.join(".tokenmaxx.lock")).unwrap();
    run(&scenario, &out, &[])
        .failure()
        .stderr(predicate::str::contains(".tokenmaxx.lock").and(predicate::str::contains("link")));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    // A dangling link is not followed either (no file made at its target).
    let nowhere = dir.path().join("made.txt");
    fs::remove_file(out.join(".tokenmaxx.lock")).unwrap();
    symlink(&nowhere, out.join(".tokenmaxx.lock")).unwrap();
    run(&scenario, &out, &[]).failure();
    assert!(!nowhere.exists());
}

#[test]
fn class_1_a_symlinked_charts_folder_never_loses_the_other_folders_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    let other = dir.path().join("other");
    fs::create_dir(&other).unwrap();
    for f in ["market.png", "market.svg", "mine.png"] {
        write(&other, f, "not yours");
    }
    fs::remove_dir_all(out.join("charts")).unwrap();
    symlink(&other, out.join("charts")).unwrap();
    let scenario = dir.path().join("small.toml");
    run(&scenario, &out, &["--force"])
        .failure()
        .stderr(predicate::str::contains("charts").and(predicate::str::contains("link")));
    for f in ["market.png", "market.svg", "mine.png"] {
        assert_eq!(fs::read_to_string(other.join(f)).unwrap(), "not yours", "{f}");
    }
    assert_eq!(fs::read_dir(&other).unwrap().count(), 3, "nothing written there");
}

#[test]
fn class_1_a_manifest_naming_a_path_through_a_link_removes_nothing_there() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    let other = dir.path().join("other");
    fs::create_dir(&other).unwrap();
    write(&other, "data.csv", "keep me");
    symlink(&other, out.join("sub")).unwrap();
    let manifest = out.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
    m["files_sha256"]["sub/data.csv"] = "00".into();
    fs::write(&manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let scenario = dir.path().join("small.toml");
    run(&scenario, &out, &["--force"])
        .failure()
        .stderr(predicate::str::contains("sub").and(predicate::str::contains("link")));
    assert_eq!(fs::read_to_string(other.join("data.csv")).unwrap(), "keep me");
}

#[test]
fn class_1_temporary_files_of_a_killed_command_are_removed_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    // A PID above the kernel's limit never runs.
    let stale = ".runs.csv.tmp-4194399";
    write(&out, stale, "half");
    let scenario = dir.path().join("small.toml");
    run(&scenario, &out, &["--force"]).success();
    assert!(!out.join(stale).exists());
    // A killed report outside any results folder: the next report of the
    // same file removes its temporary.
    let reports = dir.path().join("reports");
    fs::create_dir(&reports).unwrap();
    let stale = ".r.html.tmp-4194399";
    write(&reports, stale, "half");
    tokenmaxx()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(reports.join("r.html"))
        .assert()
        .success();
    assert!(!reports.join(stale).exists());
    assert!(reports.join("r.html").exists());
}

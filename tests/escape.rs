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

// Class 2: readers hold the lock; a sub-result goes with its result.

/// A worlds run of the small scenario into `out`, varying `keys`.
fn worlds(scenario: &Path, out: &Path, keys: &[&str], extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = tokenmaxx();
    cmd.arg("run").arg(scenario).args(["--worlds", "60"]);
    for k in keys {
        cmd.args(["--vary", k]);
    }
    cmd.arg("--out").arg(out).arg("-q").args(extra).assert()
}

#[test]
fn class_2_force_removes_the_old_discovery_with_its_result() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "small.toml",
        "name = \"small\"\nweeks = 26\nreplicates = 1\n[enterprises.acme]\nemployees = 20\n",
    );
    let out = dir.path().join("worlds");
    worlds(
        &scenario,
        &out,
        &["employees.tasks_per_week", "behaviour.mandate_usd"],
        &[],
    )
    .success();
    tokenmaxx()
        .arg("discover")
        .arg(&out)
        .args([
            "--policy",
            "laissez_faire",
            "--against",
            "usage_leaderboard",
            "--bootstrap",
            "5",
        ])
        .assert()
        .success();
    assert!(out.join("discovery/manifest.json").exists());
    // A new result over other parameters: the old PRIM box must go.
    worlds(&scenario, &out, &["employees.tasks_per_week"], &["--force"]).success();
    assert!(!out.join("discovery").exists(), "a stale discovery/ was left");
    let html = dir.path().join("r.html");
    tokenmaxx()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&html)
        .assert()
        .success();
    let text = fs::read_to_string(&html).unwrap();
    assert!(
        !text.contains("Scenario discovery"),
        "the report shows a stale discovery"
    );
}

#[test]
fn class_2_a_report_raced_by_a_replacing_run_never_mixes_two_results() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.toml",
        &SMALL
            .replace("\"small\"", "\"alpha\"")
            .replace("A small test company.", "Scenario alpha described."),
    );
    let b = write(
        dir.path(),
        "b.toml",
        &SMALL
            .replace("\"small\"", "\"beta\"")
            .replace("A small test company.", "Scenario beta described.")
            .replace("employees = 10", "employees = 14"),
    );
    let out = dir.path().join("run");
    run(&a, &out, &[]).success();
    let bin = assert_cmd::cargo::cargo_bin("tokenmaxx");
    let mut whole = 0;
    for i in 0..6 {
        let scenario = if i % 2 == 0 { &b } else { &a };
        let mut writer = std::process::Command::new(&bin)
            .arg("run")
            .arg(scenario)
            .arg("--out")
            .arg(&out)
            .args(["-q", "--force"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for j in 0..4 {
            let html = dir.path().join(format!("r{i}-{j}.html"));
            let got = std::process::Command::new(&bin)
                .arg("report")
                .arg(&out)
                .arg("--out")
                .arg(&html)
                .output()
                .unwrap();
            if got.status.success() {
                whole += 1;
                let text = fs::read_to_string(&html).unwrap();
                let alpha = text.contains("alpha:") && text.contains("alpha described");
                let beta = text.contains("beta:") && text.contains("beta described");
                assert!(
                    alpha != beta && !(text.contains("alpha") && text.contains("beta")),
                    "report {i}-{j} exited 0 with a mix of two results"
                );
            }
        }
        let _ = writer.wait();
    }
    // The writer's own runs may all be refused (a reader held the lock) or
    // all succeed; what a reader got, when it got anything, was whole.
    eprintln!("{whole} whole reports");
}

//! Abuse, as an adversarial user would try it: each test is named after the
//! numbered finding of the issue "Never a wrong answer with exit 0" that it
//! guards, and asserts a refusal with a clear message or a correct result.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

const BASE: &str =
    "name = \"small\"\nweeks = 20\nterm_weeks = 10\nreplicates = 2\n[enterprises.acme]\nemployees = 20\n";

/// A base scenario and a small sweep of it in a temporary folder.
fn setup() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("base.toml"), BASE).unwrap();
    let sweep = dir.path().join("sweep.toml");
    fs::write(
        &sweep,
        "base = \"base.toml\"\n[sweep]\ndesign = \"lhs\"\npoints = 4\nreplicates = 1\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
         [[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_scale\"\nrange = [0.0, 2.0]\n",
    )
    .unwrap();
    (dir, sweep)
}

fn sweep(sweep: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    tokenmaxx()
        .arg("sweep")
        .arg(sweep)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(extra)
        .assert()
}

#[test]
fn item_3_a_new_sweep_into_a_finished_folder_is_refused_and_leaves_it_intact() {
    let (dir, s) = setup();
    let out = dir.path().join("out");
    sweep(&s, &out, &[]).success();
    let before = fs::read(out.join("points.csv")).unwrap();
    // Another sweep into the same folder: refused before anything is written.
    let other = dir.path().join("other.toml");
    fs::write(
        &other,
        fs::read_to_string(&s).unwrap().replace("points = 4", "points = 6"),
    )
    .unwrap();
    sweep(&other, &out, &[])
        .failure()
        .stderr(predicate::str::contains("already holds results").and(predicate::str::contains("--out")));
    assert_eq!(
        fs::read(out.join("points.csv")).unwrap(),
        before,
        "points.csv was overwritten"
    );
    // --resume of a finished sweep has nothing to resume.
    sweep(&s, &out, &["--resume"])
        .failure()
        .stderr(predicate::str::contains("nothing to resume"));
}

#[test]
fn item_7_names_that_are_paths_are_refused_with_line_and_column() {
    let dir = TempDir::new().unwrap();
    for (name, line) in [
        ("name = \"../../escaped_run\"", "1:8"),
        ("name = \"/abs/x\"", "1:8"),
        ("name = \"\"", "1:8"),
    ] {
        let f = dir.path().join("s.toml");
        fs::write(&f, format!("{name}\n[enterprises.acme]\nemployees = 5\n")).unwrap();
        tokenmaxx()
            .arg("validate")
            .arg(&f)
            .assert()
            .failure()
            .stderr(predicate::str::contains("is not a valid name").and(predicate::str::contains(line)));
        tokenmaxx()
            .arg("run")
            .arg(&f)
            .current_dir(dir.path())
            .assert()
            .failure();
    }
    assert!(!dir.path().join("escaped_run").exists() && !Path::new("/abs/x").exists());
    // A sweep whose name is a path.
    let (sdir, s) = setup();
    fs::write(
        &s,
        fs::read_to_string(&s)
            .unwrap()
            .replace("[sweep]\n", "[sweep]\nname = \"../up\"\n"),
    )
    .unwrap();
    tokenmaxx()
        .args(["sweep", "--dry-run"])
        .arg(&s)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("the sweep name `../up` is not a valid name")
                .and(predicate::str::contains(":3:8:")),
        );
    drop(sdir);
    // An enterprise whose name is a path.
    let f = dir.path().join("e.toml");
    fs::write(&f, "[enterprises.\"a/b\"]\nemployees = 5\n").unwrap();
    tokenmaxx()
        .arg("validate")
        .arg(&f)
        .assert()
        .failure()
        .stderr(predicate::str::contains("enterprise `a/b` is not a valid name"));
}

#[test]
fn item_10_a_finished_shard_exits_at_once() {
    let (dir, s) = setup();
    let out = dir.path().join("out");
    sweep(&s, &out, &["--shard", "0/2"]).success();
    let shard = out.join("shard-0-of-2");
    let runs = fs::read(shard.join("runs.csv")).unwrap();
    let telemetry = fs::read(shard.join("telemetry.csv")).unwrap();
    // Resubmitted (with or without --resume, as an array would): nothing runs.
    for extra in [&["--shard", "0/2"][..], &["--shard", "0/2", "--resume"][..]] {
        tokenmaxx()
            .arg("sweep")
            .arg(&s)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .assert()
            .success()
            .stdout(predicate::str::contains("already finished"));
    }
    assert_eq!(fs::read(shard.join("runs.csv")).unwrap(), runs);
    assert_eq!(
        fs::read(shard.join("telemetry.csv")).unwrap(),
        telemetry,
        "the shard ran again"
    );
}

#[test]
fn item_14_merge_into_a_shards_own_folder_is_refused() {
    let (dir, s) = setup();
    let out = dir.path().join("out");
    sweep(&s, &out, &["--shard", "0/2"]).success();
    sweep(&s, &out, &["--shard", "1/2"]).success();
    let (a, b) = (out.join("shard-0-of-2"), out.join("shard-1-of-2"));
    let runs = fs::read(a.join("runs.csv")).unwrap();
    tokenmaxx()
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&a)
        .assert()
        .failure()
        .stderr(predicate::str::contains("is one of the shards"));
    assert_eq!(fs::read(a.join("runs.csv")).unwrap(), runs, "the shard was overwritten");
    // A merge into a folder holding a finished result is refused too.
    let merged = dir.path().join("merged");
    for expect_ok in [true, false] {
        let cmd = tokenmaxx()
            .arg("merge")
            .arg(&a)
            .arg(&b)
            .arg("--out")
            .arg(&merged)
            .assert();
        if expect_ok {
            cmd.success();
        } else {
            cmd.failure().stderr(predicate::str::contains("already holds results"));
        }
    }
}

#[test]
fn item_15_overrides_cannot_invent_entities() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    for (set, needle) in [
        (
            "enterprises.acmee.employees=10",
            "no enterprise `acmee`; did you mean `acme`?",
        ),
        ("policies.hybird.value_reward_share=0.5", "no policy `hybird`"),
        ("labs.frontier.breakage=0.5", "did you mean `frontier_lab`?"),
    ] {
        tokenmaxx()
            .arg("validate")
            .arg(&f)
            .args(["--set", set])
            .assert()
            .failure()
            .stderr(predicate::str::contains(needle).and(predicate::str::contains(set)));
    }
    // Changing what the files define still works.
    tokenmaxx()
        .arg("validate")
        .arg(&f)
        .args([
            "--set",
            "enterprises.acme.employees=10",
            "--set",
            "policies.value_based.value_reward_share=0.5",
        ])
        .assert()
        .success();
}

#[test]
fn item_11_an_overflow_is_an_error_naming_the_run_and_inputs_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    let out = dir.path().join("out");
    tokenmaxx()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .args(["--set", "labs.frontier_lab.models.frontier.price_in=1e308"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("spend_usd = inf")
                .and(predicate::str::contains("policy laissez_faire, replicate 0"))
                .and(predicate::str::contains("price_in=1e308")),
        );
    assert!(!out.exists(), "a failed run wrote files");
    // In a sweep: the point and its values are named.
    let (sdir, s) = setup();
    let text = fs::read_to_string(&s).unwrap().replace(
        "key = \"labs.frontier_lab.discount_scale\"\nrange = [0.0, 2.0]",
        "key = \"labs.frontier_lab.models.frontier.price_in\"\nrange = [1e300, 1e308]",
    );
    fs::write(&s, text).unwrap();
    sweep(&s, &sdir.path().join("out"), &[]).failure().stderr(
        predicate::str::contains("point 0")
            .and(predicate::str::contains("labs.frontier_lab.models.frontier.price_in=")),
    );
}

#[test]
fn item_6_resource_bombs_are_refused_before_work_with_the_estimate_and_the_flag() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    let big = dir.path().join("big.toml");
    fs::write(&big, BASE.replace("employees = 20", "employees = 1000000000")).unwrap();
    let out = dir.path().join("out");
    let cases: [(&Path, &[&str], &str); 3] = [
        (&f, &["--threads", "10000"], "per core"),
        (&f, &["--replicates", "1000000000"], "GB of memory"),
        (&big, &[], "GB of memory"),
    ];
    for (file, args, needle) in cases {
        let clock = std::time::Instant::now();
        tokenmaxx()
            .arg("run")
            .arg(file)
            .arg("--out")
            .arg(&out)
            .args(args)
            .assert()
            .failure()
            .stderr(predicate::str::contains(needle).and(predicate::str::contains("--allow-large")));
        assert!(clock.elapsed().as_secs() < 10, "{args:?} was not refused at once");
        assert!(!out.exists());
    }
    sweep(&setup().1, &out, &["--threads", "10000"])
        .failure()
        .stderr(predicate::str::contains("--allow-large"));
}

#[test]
fn string_sweep_finishes_with_categorical_charts() {
    let (dir, s) = setup();
    fs::write(
        &s,
        "base = \"base.toml\"\n[sweep]\ndesign = \"grid\"\nreplicates = 1\narms = [\"laissez_faire\"]\n\
         [[sweep.parameters]]\nkey = \"enterprises.acme.policy\"\nvalues = [\"value_based\", \"usage_leaderboard\"]\n\
         [[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_scale\"\nvalues = [0.0, 1.0]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    sweep(&s, &out, &[]).success();
    assert!(out.join("manifest.json").exists() && out.join("runs.csv").exists());
    for chart in ["by_parameter_1.svg", "heatmap.svg"] {
        let svg = fs::read_to_string(out.join("charts").join(chart)).unwrap();
        assert!(
            svg.contains("value_based") && svg.contains("usage_leaderboard"),
            "{chart} does not label the categories"
        );
    }
}

#[test]
fn item_13_plot_refuses_damaged_results_naming_the_file() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    let run = dir.path().join("run");
    tokenmaxx()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(&run)
        .arg("-q")
        .assert()
        .success();
    type Cut = fn(String) -> String;
    let damage: [(&str, Cut, &str); 3] = [
        (
            "runs.csv",
            |t| t[..t.trim_end().rfind('\n').unwrap() + 1].to_string(),
            "runs.csv: differs",
        ),
        ("weekly.csv", |t| t[..t.len() / 2].to_string(), "weekly.csv: differs"),
        ("manifest.json", |_| "{".to_string(), "not a valid manifest"),
    ];
    for (file, cut, needle) in damage {
        let copy = dir.path().join(format!("copy-{file}"));
        fs::create_dir_all(&copy).unwrap();
        for e in fs::read_dir(&run).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                fs::copy(&p, copy.join(p.file_name().unwrap())).unwrap();
            }
        }
        let text = fs::read_to_string(copy.join(file)).unwrap();
        fs::write(copy.join(file), cut(text)).unwrap();
        tokenmaxx()
            .arg("plot")
            .arg(&copy)
            .assert()
            .failure()
            .stderr(predicate::str::contains(needle));
        assert!(!copy.join("charts").exists(), "charts drawn from damaged {file}");
    }
    tokenmaxx().arg("plot").arg(&run).assert().success();
}

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
        .stderr(predicate::str::contains("already holds").and(predicate::str::contains("--out")));
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
            cmd.failure().stderr(predicate::str::contains("already holds"));
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
        .success()
        .stderr(predicate::str::contains("warning").not());
    // An override that can have no effect is run, with a warning.
    let two_labs = dir.path().join("two.toml");
    fs::write(
        &two_labs,
        BASE.replace("replicates = 2", "replicates = 1\narms = [\"laissez_faire\"]") + "[labs.other_lab]\n",
    )
    .unwrap();
    for (set, needle) in [
        ("labs.other_lab.breakage=0.5", "no enterprise buys from lab `other_lab`"),
        (
            "policies.value_based.value_reward_share=0.5",
            "no arm runs policy `value_based`",
        ),
    ] {
        for cmd in ["validate", "run"] {
            let mut c = tokenmaxx();
            c.arg(cmd).arg(&two_labs).args(["--set", set]);
            if cmd == "run" {
                c.arg("--out").arg(dir.path().join("out")).args(["-q", "--force"]);
            }
            c.assert()
                .success()
                .stderr(predicate::str::contains(needle).and(predicate::str::contains("has no effect")));
        }
    }
}

/// `run SCENARIO --out OUT --set S...`.
fn run_set(scenario: &Path, out: &Path, sets: &[impl AsRef<str>]) -> assert_cmd::assert::Assert {
    let mut cmd = tokenmaxx();
    cmd.arg("run").arg(scenario).arg("--out").arg(out);
    for s in sets {
        cmd.args(["--set", s.as_ref()]);
    }
    cmd.assert()
}

#[test]
fn item_11_an_overflow_is_an_error_naming_the_run_and_inputs_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    let out = dir.path().join("out");
    run_set(&f, &out, &["labs.frontier_lab.models.frontier.price_in=1e308"])
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

/// Token counts are integers: a run whose tokens pass what a total counts
/// exactly (2^53) or what a u64 holds (runs of 1e19 tokens once wrapped to
/// a smaller total than their input tokens, exit 0) is refused by name, in
/// a run and in a sweep, and writes nothing.
#[test]
fn a_token_count_past_what_a_total_counts_is_an_error_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    for tokens in ["[1e19, 1e19]", "[1e13, 1e13]"] {
        let out = dir.path().join("out");
        let sets = [
            format!("task_types.routine.agent_tokens={tokens}"),
            format!("task_types.routine.assist_tokens={tokens}"),
        ];
        run_set(&f, &out, &sets).failure().stderr(
            predicate::str::contains("tokens")
                .and(predicate::str::contains("= inf"))
                .and(predicate::str::contains("2^53"))
                .and(predicate::str::contains("task_types.routine.agent_tokens=")),
        );
        assert!(!out.exists(), "a failed run wrote files");
    }
    let (sdir, s) = setup();
    let base = format!("{BASE}[task_types.routine]\nagent_tokens = [1e19, 1e19]\nassist_tokens = [1e19, 1e19]\n");
    fs::write(sdir.path().join("base.toml"), base).unwrap();
    let out = sdir.path().join("out");
    sweep(&s, &out, &[]).failure().stderr(
        predicate::str::contains("= inf")
            .and(predicate::str::contains("point 0"))
            .and(predicate::str::contains("2^53")),
    );
    // (Its resumable state stays, with no run in it.)
    for result in ["runs.csv", "summary.csv", "manifest.json"] {
        assert!(!out.join(result).exists(), "a failed sweep wrote {result}");
    }
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
    // Documented bounds, refused at once by validate, run and sweep
    // --dry-run alike, each with the estimate and the flag.
    let weeks = dir.path().join("weeks.toml");
    fs::write(&weeks, BASE.replace("weeks = 20", "weeks = 1000000")).unwrap();
    let huge = dir.path().join("huge.toml");
    fs::write(&huge, BASE.replace("employees = 20", "employees = 10000000")).unwrap();
    for (file, needle) in [
        (&weeks, "1000000 weeks is above the limit of 5200"),
        (&huge, "10000000 employees is above the limit of 1000000"),
    ] {
        for cmd in ["validate", "run"] {
            let clock = std::time::Instant::now();
            let mut c = tokenmaxx();
            c.arg(cmd).arg(file);
            if cmd == "run" {
                c.arg("--out").arg(&out);
            }
            c.assert().failure().stderr(
                predicate::str::contains(needle)
                    .and(predicate::str::contains("--allow-large"))
                    .and(predicate::str::contains("of memory")),
            );
            assert!(clock.elapsed().as_secs() < 10, "{cmd} {needle} was not refused at once");
        }
    }
    assert!(!out.exists());
    // validate --allow-large accepts and still estimates.
    tokenmaxx()
        .arg("validate")
        .arg(&huge)
        .arg("--allow-large")
        .assert()
        .success()
        .stdout(predicate::str::contains("10000000 employees").and(predicate::str::contains("GB of memory")));
    let (sdir, s) = setup();
    let text = fs::read_to_string(&s).unwrap();
    let lhs = text.replace("points = 4", "points = 1000000000");
    let grid = "base = \"base.toml\"\n[sweep]\ndesign = \"grid\"\nreplicates = 1\n\
                [[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_scale\"\nrange = [0.0, 2.0]\nsteps = 3000\n\
                [[sweep.parameters]]\nkey = \"agent.noise_prob_agent\"\nrange = [0.0, 0.5]\nsteps = 3000\n"
        .to_string();
    for (body, needle) in [
        (lhs, "1000000000 points is above the limit of 1000000"),
        (grid, "9000000 points is above the limit of 1000000"),
    ] {
        fs::write(&s, body).unwrap();
        let clock = std::time::Instant::now();
        sweep(&s, &sdir.path().join("out"), &["--dry-run"])
            .failure()
            .stderr(predicate::str::contains(needle).and(predicate::str::contains("--allow-large")));
        assert!(clock.elapsed().as_secs() < 10, "{needle}: not refused at once");
    }
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
    for chart in ["by_parameter_enterprises-acme-policy.svg", "heatmap.svg"] {
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

/// The result files of a folder that must not depend on how the job got
/// there (kills, resumes, threads): everything but the manifest and shard
/// record (times, and the hash of telemetry),
/// telemetry (times) and the lock file.
fn result_bytes(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    for sub in ["", "charts"] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_file()
                && !["manifest.json", "shard.json", "telemetry.csv", ".tokenmaxx.lock"].contains(&name.as_str())
            {
                out.insert(format!("{sub}/{name}"), fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Asserts two folders' [`result_bytes`] are equal, naming the files that differ.
fn assert_same(got: &Path, want: &Path, what: &str) {
    let (a, b) = (result_bytes(got), result_bytes(want));
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let differ: Vec<&String> = names.into_iter().filter(|n| a.get(*n) != b.get(*n)).collect();
    assert!(
        differ.is_empty(),
        "{what}: {} differs from {} in {differ:?}",
        got.display(),
        want.display()
    );
}

/// A sweep of `points` points (one replicate, two arms) in `dir`.
fn sweep_file(dir: &Path, points: usize) -> PathBuf {
    let s = dir.join("sweep.toml");
    fs::write(dir.join("base.toml"), BASE).unwrap();
    fs::write(
        &s,
        format!(
            "base = \"base.toml\"\n[sweep]\ndesign = \"lhs\"\npoints = {points}\nreplicates = 1\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
             [[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_scale\"\nrange = [0.0, 2.0]\n"
        ),
    )
    .unwrap();
    s
}

/// Runs a sweep on one thread into `out`, aborted at write step `step`
/// (through the test hook), as a kill would.
fn killed_at(sweep: &Path, out: &Path, step: usize) {
    tokenmaxx()
        .arg("sweep")
        .arg(sweep)
        .arg("--out")
        .arg(out)
        .args(["-q", "--threads", "1"])
        .env("TOKENMAXX_CRASH_AT", step.to_string())
        .assert()
        .failure();
}

/// Holds a folder's lock from this test process, as another writer would.
fn hold_lock(dir: &Path) -> fs::File {
    fs::create_dir_all(dir).unwrap();
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join(".tokenmaxx.lock"))
        .unwrap();
    f.try_lock().unwrap();
    use std::io::Write;
    (&f).write_all(b"pid 4242\ncommand tokenmaxx sweep other.toml\n")
        .unwrap();
    f
}

#[test]
fn item_1_and_4_one_writer_per_folder_the_second_is_refused_naming_the_first() {
    let dir = TempDir::new().unwrap();
    let s = sweep_file(dir.path(), 4);
    let f = dir.path().join("base.toml");
    let out = dir.path().join("out");
    let lock = hold_lock(&out);
    let busy = || {
        predicate::str::contains("being written by another tokenmaxx process")
            .and(predicate::str::contains("pid 4242"))
            .and(predicate::str::contains("other.toml"))
    };
    sweep(&s, &out, &[]).failure().stderr(busy());
    sweep(&s, &out, &["--resume"]).failure().stderr(busy());
    tokenmaxx()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .stderr(busy());
    assert_eq!(result_bytes(&out).len(), 0, "a refused writer wrote");
    drop(lock);
    // Two sweeps started together into one folder: never two results mixed.
    let s2 = sweep_file(dir.path(), 40);
    let racers: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenmaxx"))
                .arg("sweep")
                .arg(&s2)
                .arg("--out")
                .arg(dir.path().join("race"))
                .args(["-q", "--threads", "1"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outcomes: Vec<_> = racers.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let ok = outcomes.iter().filter(|o| o.status.success()).count();
    assert_eq!(ok, 1, "exactly one racer finishes");
    let loser = outcomes.iter().find(|o| !o.status.success()).unwrap();
    let err = String::from_utf8_lossy(&loser.stderr);
    assert!(
        err.contains("being written by another") || err.contains("already holds"),
        "{err}"
    );
    let runs = fs::read_to_string(dir.path().join("race/runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 40 * 2);
}

#[test]
fn item_1_an_edited_state_never_duplicates_points() {
    let dir = TempDir::new().unwrap();
    let s = sweep_file(dir.path(), 30);
    // Charts are titled with the folder's name: every folder here is `out`.
    let clean = dir.path().join("clean/out");
    sweep(&s, &clean, &["--threads", "1"]).success();
    for edit in ["0", "7", "1000"] {
        let out = dir.path().join(format!("edited-{edit}/out"));
        // Killed after its third chunk was appended.
        killed_at(&s, &out, 14);
        let state = out.join(".sweep-state.json");
        let mut json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&state).unwrap()).unwrap();
        json["points_done"] = edit.parse::<u64>().unwrap().into();
        let edited = serde_json::to_string_pretty(&json).unwrap();
        fs::write(&state, edited).unwrap();
        sweep(&s, &out, &["--resume", "--threads", "1"]).success();
        assert_same(&out, &clean, &format!("points_done edited to {edit}"));
    }
}

#[test]
fn item_2_merge_refuses_a_tampered_shard_naming_the_file() {
    let dir = TempDir::new().unwrap();
    let s = sweep_file(dir.path(), 6);
    let out = dir.path().join("out");
    sweep(&s, &out, &["--shard", "0/2"]).success();
    sweep(&s, &out, &["--shard", "1/2"]).success();
    let (a, b) = (out.join("shard-0-of-2"), out.join("shard-1-of-2"));
    let original = fs::read_to_string(a.join("runs.csv")).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    // One value times ten; one row replaced by another policy's row.
    let times_ten = {
        let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
        let v: f64 = cells[5].parse().unwrap();
        cells[5] = format!("{}", v * 10.0);
        let mut l = lines.clone();
        let row = cells.join(",");
        l[1] = &row;
        l.join("\n") + "\n"
    };
    let swapped = {
        let mut l = lines.clone();
        l[1] = lines[2];
        l.join("\n") + "\n"
    };
    for tampered in [times_ten, swapped] {
        fs::write(a.join("runs.csv"), &tampered).unwrap();
        let merged = dir.path().join("merged");
        tokenmaxx()
            .arg("merge")
            .arg(&a)
            .arg(&b)
            .arg("--out")
            .arg(&merged)
            .assert()
            .failure()
            .stderr(
                predicate::str::contains("shard-0-of-2/runs.csv")
                    .and(predicate::str::contains("differs from the SHA-256")),
            );
        assert!(!merged.join("summary.csv").exists());
    }
    fs::write(a.join("runs.csv"), &original).unwrap();
    tokenmaxx()
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(dir.path().join("merged"))
        .assert()
        .success();
}

#[test]
fn item_4_and_5_a_folder_holds_one_result_and_force_removes_the_old_one() {
    let dir = TempDir::new().unwrap();
    let market = dir.path().join("market.toml");
    fs::write(
        &market,
        BASE.replace("name = \"small\"", "name = \"market\"") + "[enterprises.globex]\nemployees = 10\n",
    )
    .unwrap();
    let tiny = dir.path().join("tiny.toml");
    fs::write(&tiny, BASE.replace("name = \"small\"", "name = \"tiny\"")).unwrap();
    let out = dir.path().join("out");
    let run = |file: &Path, extra: &[&str]| {
        tokenmaxx()
            .arg("run")
            .arg(file)
            .arg("--out")
            .arg(&out)
            .arg("-q")
            .args(extra)
            .assert()
    };
    run(&market, &[]).success();
    assert!(out.join("enterprises.csv").exists() && out.join("charts/market.svg").exists());
    let before = result_bytes(&out);
    run(&tiny, &[]).failure().stderr(
        predicate::str::contains("already holds the results of `tokenmaxx run` of market")
            .and(predicate::str::contains("--force")),
    );
    assert_eq!(result_bytes(&out), before, "a refused run changed the folder");
    // A rerun of the same scenario replaces its own result.
    run(&market, &[]).success();
    assert_eq!(result_bytes(&out), before);
    // --force removes every file of the old result, charts included.
    fs::write(out.join("notes.txt"), "mine").unwrap();
    run(&tiny, &["--force"]).success();
    assert!(!out.join("enterprises.csv").exists(), "stale enterprises.csv");
    assert!(!out.join("charts/market.svg").exists(), "stale market chart");
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    let fresh = dir.path().join("fresh");
    tokenmaxx()
        .arg("run")
        .arg(&tiny)
        .arg("--out")
        .arg(&fresh)
        .arg("-q")
        .assert()
        .success();
    let mut now = result_bytes(&out);
    now.remove("/notes.txt");
    assert_eq!(now, result_bytes(&fresh), "the forced folder differs from a fresh one");
    tokenmaxx().arg("plot").arg(&out).assert().success();
    // A sweep into a run's folder is refused too, and --force replaces it.
    let s = sweep_file(dir.path(), 4);
    sweep(&s, &out, &[]).failure().stderr(predicate::str::contains(
        "already holds the results of `tokenmaxx run` of tiny",
    ));
    sweep(&s, &out, &["--force"]).success();
    assert!(
        !out.join("weekly.csv").exists(),
        "the run's weekly.csv stayed beside the sweep"
    );
}

/// Crash points a command reaches (TOKENMAXX_CRASH_AT=count).
fn crash_points(cmd: &mut Command) -> usize {
    let out = cmd.env("TOKENMAXX_CRASH_AT", "count").output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("crash point "))
        .count()
}

#[test]
fn item_8_a_truncated_partial_file_resumes_from_the_last_whole_point_without_padding() {
    let dir = TempDir::new().unwrap();
    let s = sweep_file(dir.path(), 30);
    let clean = dir.path().join("clean/out");
    sweep(&s, &clean, &["--threads", "1"]).success();
    for cut in [1u64, 40, 1000, 100_000] {
        let out = dir.path().join(format!("cut-{cut}/out"));
        killed_at(&s, &out, 18);
        for name in ["runs.csv.partial", "telemetry.csv.partial"] {
            let f = fs::OpenOptions::new().write(true).open(out.join(name)).unwrap();
            let len = f.metadata().unwrap().len();
            // Never below the header line: a file cut into its header is refused (tested below).
            let header = fs::read_to_string(out.join(name)).unwrap().find('\n').unwrap() as u64 + 1;
            f.set_len(len.saturating_sub(cut).max(header)).unwrap();
        }
        sweep(&s, &out, &["--resume", "--threads", "1"]).success();
        let runs = fs::read(out.join("runs.csv")).unwrap();
        assert!(!runs.contains(&0), "NUL padding");
        assert_same(&out, &clean, &format!("cut {cut} bytes"));
    }
    // A partial file cut into its header cannot be resumed: refused, named.
    let out = dir.path().join("header");
    killed_at(&s, &out, 18);
    fs::write(out.join("runs.csv.partial"), "poi").unwrap();
    sweep(&s, &out, &["--resume"])
        .failure()
        .stderr(predicate::str::contains("runs.csv.partial").and(predicate::str::contains("header")));
}

#[test]
fn item_9_a_kill_at_any_write_step_of_a_sweep_or_shard_finishes_on_resume() {
    let dir = TempDir::new().unwrap();
    let s = sweep_file(dir.path(), 20);
    for shard in [None, Some("1/2")] {
        let extra: Vec<&str> = match shard {
            Some(sh) => vec!["--threads", "1", "--shard", sh],
            None => vec!["--threads", "1"],
        };
        let clean = dir.path().join("clean/out");
        let _ = fs::remove_dir_all(&clean);
        sweep(&s, &clean, &extra).success();
        let sub = |d: &Path| match shard {
            Some(_) => d.join("shard-1-of-2"),
            None => d.to_path_buf(),
        };
        let want = sub(&clean);
        let steps = crash_points(
            tokenmaxx()
                .arg("sweep")
                .arg(&s)
                .arg("--out")
                .arg(dir.path().join("count"))
                .arg("-q")
                .args(&extra),
        );
        let _ = fs::remove_dir_all(dir.path().join("count"));
        assert!(steps >= 15, "only {steps} crash points");
        for k in 1..=steps {
            let out = dir.path().join(format!("kill-{k}/out"));
            tokenmaxx()
                .arg("sweep")
                .arg(&s)
                .arg("--out")
                .arg(&out)
                .arg("-q")
                .args(&extra)
                .env("TOKENMAXX_CRASH_AT", k.to_string())
                .assert()
                .failure();
            let mut resume = extra.clone();
            resume.push("--resume");
            sweep(&s, &out, &resume).success();
            assert_same(&sub(&out), &want, &format!("killed at step {k} of {steps} ({shard:?})"));
            assert!(!sub(&out).join(".sweep-state.json").exists());
            if shard.is_none() {
                tokenmaxx().arg("plot").arg(&out).assert().success();
            }
            fs::remove_dir_all(&out).unwrap();
        }
    }
}

#[test]
fn item_4_a_kill_at_any_write_step_of_a_run_leaves_no_result_and_a_rerun_finishes() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    let run = |out: &Path| {
        let mut c = tokenmaxx();
        c.arg("run").arg(&f).arg("--out").arg(out).arg("-q");
        c
    };
    let clean = dir.path().join("clean/out");
    run(&clean).assert().success();
    let want = result_bytes(&clean);
    let steps = crash_points(&mut run(&dir.path().join("count")));
    assert!(steps >= 10, "only {steps} crash points");
    for k in 1..=steps {
        let out = dir.path().join(format!("kill-{k}/out"));
        // Over a previous result of the same scenario, as a rerun would be.
        run(&out).assert().success();
        run(&out).env("TOKENMAXX_CRASH_AT", k.to_string()).assert().failure();
        // Whatever the kill left is not taken for a result...
        let plot = tokenmaxx().arg("plot").arg(&out).assert();
        if out.join("manifest.json").exists() {
            plot.success(); // the kill came after the commit record
        } else {
            plot.failure();
        }
        // ...and a rerun finishes with the clean result.
        run(&out).assert().success();
        assert_eq!(result_bytes(&out), want, "killed at step {k} of {steps}");
    }
}

#[test]
fn item_12_a_ratio_of_nothing_is_not_defined_never_zero() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    let out = dir.path().join("out");
    // Free tokens and no commitment: every policy spends nothing.
    let mut cmd = tokenmaxx();
    cmd.arg("run").arg(&f).arg("--out").arg(&out);
    for tier in ["frontier", "mid", "small"] {
        for side in ["in", "out"] {
            cmd.args(["--set", &format!("labs.frontier_lab.models.{tier}.price_{side}=0")]);
        }
    }
    cmd.args(["--set", "enterprises.acme.first_term_commit_per_employee_usd=0"]);
    let printed = String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap();
    let line = printed.lines().find(|l| l.starts_with("Laissez-faire")).unwrap();
    assert!(line.contains("n/a") && !line.contains(" 0.00 ["), "{line}");
    let mut runs = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let head = runs.headers().unwrap().clone();
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    for rec in runs.records() {
        let rec = rec.unwrap();
        assert_eq!(&rec[col("spend_usd")], "0.0");
        assert!(rec[col("value_usd")].parse::<f64>().unwrap() > 0.0);
        assert_eq!(&rec[col("roi")], "", "the ROI of no spend is not defined");
        assert_eq!(&rec[col("waste_share")], "");
    }
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.contains("laissez_faire,roi,0,,,,,"), "{summary}");
}

#[test]
fn plot_never_draws_one_results_charts_into_another_results_folder() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("s.toml");
    fs::write(&f, BASE).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        tokenmaxx()
            .arg("run")
            .arg(&f)
            .arg("--out")
            .arg(out)
            .args(["-q", "--seed", if out == &a { "1" } else { "2" }])
            .assert()
            .success();
    }
    let before = result_bytes(&b);
    tokenmaxx()
        .arg("plot")
        .arg(&a)
        .arg("--out")
        .arg(&b)
        .assert()
        .failure()
        .stderr(predicate::str::contains("already holds the results of `tokenmaxx run`"));
    assert_eq!(result_bytes(&b), before);
    // A folder of charts alone can be drawn into again and again.
    let charts = dir.path().join("charts-only");
    for _ in 0..2 {
        tokenmaxx()
            .arg("plot")
            .arg(&a)
            .arg("--out")
            .arg(&charts)
            .assert()
            .success();
    }
}

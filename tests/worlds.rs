//! Plausible worlds: `run --worlds` and sweeps with `design = "worlds"`,
//! drawn from the priors or from a calibration's posterior, with robust
//! verdicts across them.

use assert_cmd::Command;
use predicates::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SMALL: &str = "name = \"small\"\nweeks = 26\nreplicates = 2\n[enterprises.acme]\nemployees = 20\n";

/// A small CSV reader: header and rows as strings.
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (head, rows)
}

/// World w of a worlds run is the scenario with worlds.csv's row w set:
/// run alone with those values (`run --set`), every arm gives exactly the
/// runs of world w. So every arm of a world ran with the same parameters,
/// and worlds.csv says which.
#[test]
fn a_world_is_the_scenario_with_its_row_set_in_every_arm() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("w");
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .args(["--worlds", "6", "--out"])
        .arg(&out)
        .args([
            "--vary",
            "employees.tasks_per_week",
            "--vary",
            "agent.noise_prob_agent",
            "--vary",
            "behaviour.mandate_usd",
            "-q",
        ])
        .assert()
        .success();
    let (head, worlds) = csv(&out.join("worlds.csv"));
    assert_eq!(head[0], "world");
    assert_eq!(worlds.len(), 6);
    let (rhead, runs) = csv(&out.join("runs.csv"));
    let col = |name: &str| rhead.iter().position(|h| h == name).unwrap();
    let w = 4;
    let mut alone = tokenmaxx();
    alone
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("alone"))
        .arg("-q");
    for (k, v) in head[1..].iter().zip(&worlds[w][1..]) {
        alone.arg("--set").arg(format!("{k}={v}"));
    }
    alone.assert().success();
    let (ahead, alone_runs) = csv(&dir.path().join("alone").join("runs.csv"));
    let acol = |name: &str| ahead.iter().position(|h| h == name).unwrap();
    let mine: Vec<&Vec<String>> = runs.iter().filter(|r| r[col("point")] == w.to_string()).collect();
    assert_eq!(mine.len(), alone_runs.len());
    for (a, b) in mine.iter().zip(&alone_runs) {
        for m in [
            "policy",
            "seed",
            "spend_usd",
            "value_usd",
            "tokens",
            "tasks",
            "hours_ai",
        ] {
            assert_eq!(a[col(m)], b[acol(m)], "world {w}, {m}");
        }
    }
    // Robust verdicts: every policy has its measures, over 6 worlds.
    let (vhead, verdicts) = csv(&out.join("robust_verdicts.csv"));
    assert_eq!(
        vhead,
        [
            "policy",
            "against",
            "measure",
            "estimate",
            "ci95_low",
            "ci95_high",
            "worlds"
        ]
    );
    assert!(verdicts.iter().all(|r| r[6] == "6"));
    assert!(
        verdicts
            .iter()
            .any(|r| r[0] == "usage_leaderboard" && r[1] == "laissez_faire" && r[2] == "p_beats")
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("Across 6 plausible worlds"), "{summary}");
}

/// The same worlds on 1 or 2 threads, and as two shards merged.
#[test]
fn worlds_do_not_depend_on_threads_or_shards() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.toml", SMALL);
    let sweep = write(
        dir.path(),
        "worlds.toml",
        "base = \"small.toml\"\n[sweep]\ndesign = \"worlds\"\npoints = 7\nreplicates = 1\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
         [[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\n[[sweep.parameters]]\nkey = \"automation.step\"\n\
         [[sweep.parameters]]\nkey = \"policies.usage_leaderboard.token_reward_usd_per_mtok\"\nrange = [1.0, 30.0]\nlog = true\n",
    );
    let sweep_into = |out: &Path, extra: &[&str]| {
        tokenmaxx()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(out)
            .arg("-q")
            .args(extra)
            .assert()
            .success();
    };
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    sweep_into(&one, &["--threads", "1"]);
    sweep_into(&two, &["--threads", "2"]);
    let sharded = dir.path().join("sharded");
    sweep_into(&sharded, &["--shard", "0/2"]);
    sweep_into(&sharded, &["--shard", "1/2"]);
    let merged = dir.path().join("merged");
    tokenmaxx()
        .arg("merge")
        .arg(sharded.join("shard-0-of-2"))
        .arg(sharded.join("shard-1-of-2"))
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    for f in [
        "worlds.csv",
        "points.csv",
        "runs.csv",
        "robust_verdicts.csv",
        "summary.md",
    ] {
        let a = std::fs::read(one.join(f)).unwrap();
        assert!(a == std::fs::read(two.join(f)).unwrap(), "{f}: threads");
        assert!(a == std::fs::read(merged.join(f)).unwrap(), "{f}: shards");
    }
    // Ranges left out come from the priors of defaults.toml.
    let summary = std::fs::read_to_string(one.join("summary.md")).unwrap();
    assert!(
        summary.contains("(`employees.tasks_per_week`): 4 to 30 (log)"),
        "{summary}"
    );
}

/// Worlds from a posterior take its last generation, by weight.
#[test]
fn worlds_from_a_posterior_follow_its_weights() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.toml", SMALL);
    // Generation 0 would give 5 and 25; generation 1 gives 8 (weight 0.8)
    // and 16 (weight 0.2).
    write(
        dir.path(),
        "posterior.csv",
        "generation,particle,weight,employees.tasks_per_week,agent.noise_prob_agent,distance\n\
         0,0,0.5,5.0,0.3,2.0\n0,1,0.5,25.0,0.3,2.0\n1,0,0.8,8.0,0.4,0.5\n1,1,0.2,16.0,0.6,0.6\n",
    );
    let out = dir.path().join("w");
    tokenmaxx()
        .arg("run")
        .arg(dir.path().join("small.toml"))
        .args(["--worlds", "200", "--replicates", "1", "--from"])
        .arg(dir.path().join("posterior.csv"))
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    let (head, worlds) = csv(&out.join("worlds.csv"));
    // The posterior's columns come last; before them, every other
    // parameter with a prior, drawn from it.
    let n = head.len();
    assert_eq!(head[n - 2..], ["employees.tasks_per_week", "agent.noise_prob_agent"]);
    assert!(n > 40, "{head:?}");
    let other = head.iter().position(|h| h == "adoption.barrier_usd").unwrap();
    let values: std::collections::BTreeSet<&String> = worlds.iter().map(|w| &w[other]).collect();
    assert!(
        values.len() > 150,
        "a prior parameter varies across worlds: {}",
        values.len()
    );
    let mut count: HashMap<String, usize> = HashMap::new();
    for w in &worlds {
        *count.entry(format!("{}|{}", w[n - 2], w[n - 1])).or_default() += 1;
    }
    assert_eq!(count.len(), 2, "{count:?}");
    let heavy = count["8.0|0.4"];
    // Binomial(200, 0.8): mean 160, sd 5.7; within 4 sd.
    assert!(
        (137..=183).contains(&heavy),
        "{heavy} of 200 worlds took the 0.8 particle"
    );
    assert_eq!(count["16.0|0.6"], 200 - heavy);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("its generation 1 (posterior.csv)"), "{summary}");
    assert!(summary.contains("other parameters from their priors"), "{summary}");
    // A sweep file may name prior parameters beside a posterior, but not
    // one of its columns.
    write(
        dir.path(),
        "both.toml",
        "base = \"small.toml\"\n[sweep]\ndesign = \"worlds\"\npoints = 3\nfrom = \"posterior.csv\"\n\
         [[sweep.parameters]]\nkey = \"agent.noise_prob_agent\"\n",
    );
    tokenmaxx()
        .arg("sweep")
        .arg(dir.path().join("both.toml"))
        .arg("--out")
        .arg(dir.path().join("never"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("both.toml:"))
        .stderr(predicate::str::contains(
            "`agent.noise_prob_agent` is a column of the posterior",
        ));
    assert!(!dir.path().join("never").exists());
}

#[test]
fn bad_worlds_are_refused_with_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.toml", SMALL);
    let sweep = |name: &str, body: &str| {
        write(
            dir.path(),
            name,
            &format!("base = \"small.toml\"\n[sweep]\npoints = 3\n{body}"),
        )
    };
    let refuse = |path: PathBuf, expected: &[&str]| {
        let out = dir.path().join("never");
        let mut a = tokenmaxx()
            .arg("sweep")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .assert()
            .failure();
        for e in expected {
            a = a.stderr(predicate::str::contains(*e));
        }
        assert!(!out.exists(), "a refused sweep wrote {}", out.display());
    };
    refuse(
        sweep(
            "from-on-lhs.toml",
            "design = \"lhs\"\nfrom = \"prior\"\n[[sweep.parameters]]\nkey = \"agent.max_attempts\"\nrange = [1.0, 4.0]\n",
        ),
        &["from-on-lhs.toml:5:8", "sweep.from", "design = \"worlds\" only"],
    );
    refuse(
        sweep(
            "no-prior.toml",
            "design = \"worlds\"\n[[sweep.parameters]]\nkey = \"policies.usage_leaderboard.token_reward_usd_per_mtok\"\n",
        ),
        &["no-prior.toml:6:7", "has no prior", "range = [low, high]"],
    );
    refuse(
        sweep("missing.toml", "design = \"worlds\"\nfrom = \"nowhere.csv\"\n"),
        &["missing.toml:5:8", "cannot read the posterior", "nowhere.csv"],
    );
    write(
        dir.path(),
        "typo.csv",
        "generation,particle,weight,employees.tasks_per_wek,distance\n0,0,1.0,8.0,0.1\n",
    );
    refuse(
        sweep("typo.toml", "design = \"worlds\"\nfrom = \"typo.csv\"\n"),
        &["typo.csv:1:1", "employees.tasks_per_wek", "no numeric parameter"],
    );
    write(
        dir.path(),
        "cut.csv",
        "generation,particle,weight,employees.tasks_per_week,distance\n0,0,1.0,8.0,0.1\n0,1,1.0\n",
    );
    refuse(
        sweep("cut.toml", "design = \"worlds\"\nfrom = \"cut.csv\"\n"),
        &["cut.csv:3:1"],
    );
    // A misspelt --vary is named with a suggestion.
    tokenmaxx()
        .arg("run")
        .arg(dir.path().join("small.toml"))
        .args(["--worlds", "3", "--vary", "employees.tasks_per_wek"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--vary `employees.tasks_per_wek`"))
        .stderr(predicate::str::contains("did you mean `employees.tasks_per_week`"));
    // Beside a posterior, --vary names parameters from their priors, never
    // one of the posterior's columns.
    write(
        dir.path(),
        "post.csv",
        "generation,particle,weight,employees.tasks_per_week,distance\n0,0,1.0,8.0,0.1\n",
    );
    tokenmaxx()
        .arg("run")
        .arg(dir.path().join("small.toml"))
        .args(["--worlds", "3", "--from"])
        .arg(dir.path().join("post.csv"))
        .args(["--vary", "employees.tasks_per_week"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--vary `employees.tasks_per_week`: a column of the posterior",
        ));
}

/// A worlds run over every parameter with a prior (about a hundred) charts
/// only the six that move net value most, files named by key, and its
/// report stays small, its sections named by label in rank order (issue 26).
#[test]
fn many_parameters_get_charts_for_the_top_six_and_a_small_report() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("w");
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .args(["--worlds", "12", "--replicates", "1", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (head, _) = csv(&out.join("worlds.csv"));
    assert!(head.len() > 50, "every parameter with a prior varies: {}", head.len());
    let by_parameter: Vec<String> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("by_parameter_") && n.ends_with(".png"))
        .collect();
    assert_eq!(by_parameter.len(), 6, "{by_parameter:?}");
    for n in &by_parameter {
        let slug = n.trim_start_matches("by_parameter_").trim_end_matches(".png");
        assert!(
            head.iter().any(|k| k.replace(['.', '_'], "-") == slug),
            "{n} is named by a key"
        );
    }
    tokenmaxx().arg("report").arg(&out).assert().success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.len() < 5_000_000, "report of {} bytes", html.len());
    assert!(!html.contains("By swept parameter"), "sections are named by label");
    let at: Vec<usize> = (1..=6)
        .map(|k| {
            html.find(&format!("Ranked {k} of "))
                .unwrap_or_else(|| panic!("rank {k} shown"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sections in rank order");
    // `--charts all` redraws one chart per parameter.
    let all = dir.path().join("all");
    tokenmaxx()
        .arg("plot")
        .arg(&out)
        .args(["--charts", "all", "--format", "svg", "--out"])
        .arg(&all)
        .assert()
        .success();
    let n = std::fs::read_dir(all.join("charts"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("by_parameter_")
        })
        .count();
    assert_eq!(n, head.len() - 1);
}

/// `run --worlds` prints the robust verdicts it returns, exactly as
/// summary.md records them (where the worlds come from, then the table).
#[test]
fn a_worlds_run_prints_its_robust_verdicts_as_its_summary_records_them() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("w");
    let printed = tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .args(["--worlds", "3", "--replicates", "1", "--out"])
        .arg(&out)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let printed = String::from_utf8(printed).unwrap();
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let (_, section) = summary.split_once("## Across plausible worlds").unwrap();
    let expected = section.replace("```", "");
    let expected = expected.trim_start();
    assert!(expected.contains("Across 3 plausible worlds"), "{expected}");
    assert!(printed.ends_with(expected), "printed:\n{printed}\nsummary:\n{expected}");
}

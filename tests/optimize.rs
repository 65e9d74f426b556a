//! `tokenmaxx optimize`: the search against reference answers, and the
//! command as a user runs it.

use tokenmaxx::optimize::hypervolume::hypervolume;
use tokenmaxx::optimize::problems::{dtlz2, zdt1};
use tokenmaxx::optimize::{Algorithm, Evaluation, Search, Settings};

/// The reference medians of tests/fixtures/optimize/reference.csv
/// (pymoo's NSGA-II and Platypus's ε-NSGA-II, 11 seeds each).
fn reference(problem: &str, algorithm: &str) -> f64 {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/optimize/reference.csv"
    ))
    .unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[0] == problem && f[1] == algorithm)
        .map(|f| f[4].parse().unwrap())
        .unwrap()
}

fn median_hv(algorithm: Algorithm, genes: usize, epsilons: Vec<f64>, f: &(dyn Fn(&[f64]) -> Vec<f64> + Sync)) -> f64 {
    let m = epsilons.len();
    let mut hv: Vec<f64> = (1..=11)
        .map(|seed| {
            let settings = Settings {
                algorithm,
                genes,
                epsilons: epsilons.clone(),
                population: 100,
                evaluations: 10_000,
                seed,
            };
            let eval = |batch: &[Vec<f64>]| -> Vec<Evaluation> {
                batch
                    .iter()
                    .map(|x| Evaluation {
                        objectives: f(x),
                        violation: 0.0,
                    })
                    .collect()
            };
            let s = Search::new(settings, vec![]).run(&eval);
            // NSGA-II's answer is its final population's non-dominated set
            // (as pymoo reports it); ε-NSGA-II's is its archive.
            let pts: Vec<Vec<f64>> = match algorithm {
                Algorithm::Nsga2 => {
                    let fr = tokenmaxx::optimize::nsga2::fronts(&s.population);
                    fr[0].iter().map(|&i| s.population[i].objectives.clone()).collect()
                }
                Algorithm::EpsNsga2 => s.front().into_iter().map(|x| x.objectives).collect(),
            };
            hypervolume(&pts, &vec![1.1; m])
        })
        .collect();
    hv.sort_by(f64::total_cmp);
    hv[5]
}

#[test]
fn nsga2_matches_pymoo_on_zdt1_and_dtlz2() {
    let z = median_hv(Algorithm::Nsga2, 30, vec![0.0, 0.0], &zdt1);
    let r = reference("zdt1", "nsga2");
    assert!((z / r - 1.0).abs() <= 0.02, "ZDT1: {z} against pymoo's {r}");
    let d = median_hv(Algorithm::Nsga2, 12, vec![0.0; 3], &|x| dtlz2(x, 3));
    let r = reference("dtlz2", "nsga2");
    assert!((d / r - 1.0).abs() <= 0.02, "DTLZ2: {d} against pymoo's {r}");
}

#[test]
fn eps_nsga2_matches_platypus_on_zdt1_and_dtlz2() {
    let z = median_hv(Algorithm::EpsNsga2, 30, vec![0.01, 0.01], &zdt1);
    let r = reference("zdt1", "eps-nsga2");
    assert!(z / r >= 0.98, "ZDT1: {z} against Platypus's {r}");
    let d = median_hv(Algorithm::EpsNsga2, 12, vec![0.05; 3], &|x| dtlz2(x, 3));
    let r = reference("dtlz2", "eps-nsga2");
    assert!(d / r >= 0.98, "DTLZ2: {d} against Platypus's {r}");
}

#[test]
fn a_constrained_toy_problem_keeps_only_feasible_points() {
    // Minimise (x, y) subject to x + y >= 1 (Binh-Korn-like): the front is
    // the segment x + y = 1.
    let settings = Settings {
        algorithm: Algorithm::EpsNsga2,
        genes: 2,
        epsilons: vec![0.02, 0.02],
        population: 20,
        evaluations: 2_000,
        seed: 4,
    };
    let eval = |batch: &[Vec<f64>]| -> Vec<Evaluation> {
        batch
            .iter()
            .map(|x| Evaluation {
                objectives: x.clone(),
                violation: (1.0 - x[0] - x[1]).max(0.0),
            })
            .collect()
    };
    let s = Search::new(settings, vec![]).run(&eval);
    let front = s.front();
    assert!(front.len() >= 20, "{} points", front.len());
    for m in &front {
        let sum = m.objectives[0] + m.objectives[1];
        assert!((1.0..1.05).contains(&sum), "{:?}", m.objectives);
    }
}

#[test]
fn a_search_replayed_from_its_evaluations_reaches_the_same_state() {
    let settings = Settings {
        algorithm: Algorithm::EpsNsga2,
        genes: 30,
        epsilons: vec![0.01, 0.01],
        population: 10,
        evaluations: 3_000,
        seed: 9,
    };
    let eval = |batch: &[Vec<f64>]| -> Vec<Evaluation> {
        batch
            .iter()
            .map(|x| Evaluation {
                objectives: zdt1(x),
                violation: 0.0,
            })
            .collect()
    };
    let whole = Search::new(settings.clone(), vec![]).run(&eval);
    // Replay: the recorded evaluations, served in order.
    let mut replay = Search::new(settings, vec![]);
    let mut at = 0;
    while let Some((kind, genes)) = replay.next_batch() {
        let recorded: Vec<Evaluation> = whole.evaluated[at..at + genes.len()]
            .iter()
            .map(|m| {
                assert_eq!(m.genes, genes[m.id - at]);
                Evaluation {
                    objectives: m.objectives.clone(),
                    violation: m.violation,
                }
            })
            .collect();
        at += genes.len();
        replay.absorb(kind, genes, recorded);
    }
    assert_eq!(replay.evaluated, whole.evaluated);
    assert_eq!(replay.front(), whole.front());
    assert!(
        whole
            .history
            .iter()
            .any(|g| g.kind == tokenmaxx::optimize::Kind::Restart),
        "the test covers a restart"
    );
}

// ---------------------------------------------------------------------
// The command, as a user runs it.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

/// A small study over the bundled baseline (40 employees, 12 weeks).
fn study(dir: &Path, extra: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let text = format!(
        r#"base = {base:?}
[optimize]
name = "tiny"
evaluations = 24
population = 8
worlds = 3
validation_worlds = 3
seed = 5
policy = "candidate"
references = ["laissez_faire", "usage_leaderboard"]
[[lever]]
key = "policies.candidate.token_reward_usd_per_mtok"
range = [0.0, 20.0]
[[lever]]
key = "policies.candidate.weekly_budget_usd"
range = [5.0, 500.0]
log = true
[[objective]]
metric = "net_value_usd"
measure = "mean"
direction = "maximize"
epsilon = 1000.0
[[objective]]
metric = "net_value_usd"
measure = "max_regret"
direction = "minimize"
epsilon = 1000.0
{extra}"#
    );
    let f = dir.join("tiny.toml");
    fs::write(&f, text).unwrap();
    f
}

const SMALL: [&str; 4] = ["--set", "enterprises.acme.employees=40", "--set", "weeks=12"];

fn optimize(file: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = tokenmaxx();
    c.arg("optimize")
        .arg(file)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(SMALL)
        .args(extra);
    c
}

/// Every result file but the manifest (which holds timings), by name.
fn result_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["", "charts"] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            let p = dir.join(sub).join(&n);
            if p.is_file() && n != "manifest.json" && !n.starts_with('.') {
                out.push((format!("{sub}/{n}"), fs::read(p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn a_search_gives_the_same_bytes_on_one_thread_or_two() {
    let dir = TempDir::new().unwrap();
    let f = study(dir.path(), "");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    optimize(&f, &a, &["--threads", "1"]).assert().success();
    optimize(&f, &b, &["--threads", "2"]).assert().success();
    let (x, y) = (result_bytes(&a), result_bytes(&b));
    assert!(x.iter().any(|(n, _)| n == "/front.csv") && x.iter().any(|(n, _)| n == "charts/search_tradeoff.png"));
    assert_eq!(x, y);
    // The files read as a researcher would: every candidate once, the front
    // a subset of it, validation for every front member and preset.
    let archive = fs::read_to_string(a.join("archive.csv")).unwrap();
    assert_eq!(archive.lines().count(), 1 + 24);
    let front = fs::read_to_string(a.join("front.csv")).unwrap();
    for line in front.lines().skip(1) {
        assert!(archive.contains(line), "{line}");
    }
    let validation = fs::read_to_string(a.join("validation.csv")).unwrap();
    assert_eq!(validation.lines().count(), 1 + (front.lines().count() - 1) + 2);
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "optimize");
    assert_eq!(manifest["evaluations"], 24);
    assert!(!a.join(".optimize-state").exists());
}

#[test]
fn a_kill_at_every_write_step_resumes_to_the_same_bytes() {
    let dir = TempDir::new().unwrap();
    let f = study(dir.path(), "");
    // Two generations: every kind of step, in half the time.
    let two = ["--evaluations", "16"];
    let clean = dir.path().join("clean");
    optimize(&f, &clean, &["--threads", "2", two[0], two[1]])
        .assert()
        .success();
    let want = result_bytes(&clean);
    let counted = optimize(&f, &dir.path().join("count"), &two)
        .env("TOKENMAXX_CRASH_AT", "count")
        .output()
        .unwrap();
    assert!(counted.status.success());
    let steps = String::from_utf8_lossy(&counted.stderr)
        .lines()
        .filter(|l| l.starts_with("crash point "))
        .count();
    assert!(steps >= 10, "only {steps} crash points");
    for k in 1..=steps {
        let out = dir.path().join(format!("kill-{k}"));
        optimize(&f, &out, &["--threads", "1", two[0], two[1]])
            .env("TOKENMAXX_CRASH_AT", k.to_string())
            .assert()
            .failure();
        optimize(&f, &out, &["--resume", "--threads", "2", two[0], two[1]])
            .assert()
            .success();
        assert!(result_bytes(&out) == want, "killed at step {k} of {steps}");
        assert!(!out.join(".optimize-state").exists());
        fs::remove_dir_all(&out).unwrap();
    }
    // A state written for another file is refused, not mixed.
    let out = dir.path().join("other");
    // The last step removes the state: killed there, the state is left.
    optimize(&f, &out, &two)
        .env("TOKENMAXX_CRASH_AT", steps.to_string())
        .assert()
        .failure();
    assert!(
        out.join(".optimize-state").exists(),
        "a kill at the last step leaves the state"
    );
    optimize(&f, &out, &["--resume", "--evaluations", "32"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("another optimization file"));
    // A state that is a link to a file elsewhere is never read.
    let state = out.join(".optimize-state");
    let elsewhere = dir.path().join("elsewhere");
    fs::rename(&state, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &state).unwrap();
    optimize(&f, &out, &["--resume", two[0], two[1]])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a regular file"));
}

/// One shard file of `out` (its name).
fn shard_names(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".optimize-shard-"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_search_as_two_shards_gathered_gives_the_same_bytes() {
    let dir = TempDir::new().unwrap();
    let f = study(dir.path(), "");
    let local = dir.path().join("local");
    optimize(&f, &local, &["--threads", "2"]).assert().success();
    let want = result_bytes(&local);
    let out = dir.path().join("sharded");
    // A shard needs a search in progress: it says how to start one.
    optimize(&f, &out, &["--shard", "0/2"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--gather"));
    // The first gather starts the search; each round is two shards (one
    // killed first, as a node lost), then a gather (killed at its first
    // write, then run again).
    let gather = |out: &Path| {
        optimize(&f, out, &["--gather", "--threads", "1"])
            .env("TOKENMAXX_CRASH_AT", "1")
            .assert()
            .failure();
        optimize(&f, out, &["--gather", "--threads", "1"]).assert().success();
    };
    gather(&out);
    assert!(out.join(".optimize-state").exists() && !out.join("front.csv").exists());
    let mut rounds = 0;
    while !out.join("manifest.json").exists() {
        rounds += 1;
        assert!(rounds <= 10, "the search never ends");
        optimize(&f, &out, &["--shard", "1/2", "--threads", "1"])
            .env("TOKENMAXX_CRASH_AT", "1")
            .assert()
            .failure();
        for shard in ["1/2", "0/2"] {
            optimize(&f, &out, &["--shard", shard, "--threads", "1"])
                .assert()
                .success();
        }
        assert_eq!(shard_names(&out).len(), 2);
        if rounds == 1 {
            // An edited shard is refused, never mixed in.
            let name = out.join(&shard_names(&out)[0]);
            let text = fs::read_to_string(&name).unwrap();
            fs::write(&name, text.replacen("\"values\":[[", "\"values\":[[1", 1)).unwrap();
            optimize(&f, &out, &["--gather"])
                .assert()
                .failure()
                .stderr(predicate::str::contains("cut or edited"));
            fs::write(&name, text).unwrap();
        }
        gather(&out);
    }
    assert_eq!(rounds, 3, "24 evaluations of 8 take three generations");
    assert!(
        result_bytes(&out) == want,
        "sharded and gathered differs from one machine"
    );
    assert!(!out.join(".optimize-state").exists() && shard_names(&out).is_empty());

    // A search a job array left half done (one shard of a generation)
    // finishes on one machine with --resume, taking the shard's work.
    let half = dir.path().join("half");
    optimize(&f, &half, &["--gather"]).assert().success();
    for shard in ["0/2", "1/2"] {
        optimize(&f, &half, &["--shard", shard]).assert().success();
    }
    optimize(&f, &half, &["--gather"]).assert().success();
    optimize(&f, &half, &["--shard", "0/3"]).assert().success();
    // A shard run with other flags than its gather is refused, saying so.
    optimize(&f, &half, &["--shard", "1/3", "--evaluations", "16"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("same file and flags"));
    // A shard of another search (other amendments) is refused at gather.
    let other = dir.path().join("other");
    optimize(&f, &other, &["--gather", "--evaluations", "16"])
        .assert()
        .success();
    optimize(&f, &other, &["--shard", "0/1", "--evaluations", "16"])
        .assert()
        .success();
    let stray = shard_names(&other)[0].clone();
    let foreign = half.join(stray.replacen("-0-", "-1-", 1));
    fs::copy(other.join(&stray), &foreign).unwrap();
    optimize(&f, &half, &["--resume"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("another policy search"));
    fs::remove_file(&foreign).unwrap();
    optimize(&f, &half, &["--resume"]).assert().success();
    assert!(result_bytes(&half) == want, "resumed after a half-done array differs");
}

#[test]
fn bad_studies_are_refused_before_any_work_naming_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("key = \"policies.candidate.label\"", "label", "not a lever"),
        (
            "key = \"policies.candidate.token_reward_usd_per_mtk\"",
            "token_reward_usd_per_mtok",
            "did you mean",
        ),
        (
            "key = \"labs.frontier_lab.discount_scale\"",
            "discount_scale",
            "not a lever",
        ),
    ];
    for (line, _, want) in cases {
        let f = study(dir.path(), &format!("[[lever]]\n{line}\nrange = [0.0, 1.0]\n"));
        tokenmaxx()
            .arg("optimize")
            .arg(&f)
            .arg("--dry-run")
            .assert()
            .failure()
            .stderr(
                predicate::str::contains("tiny.toml")
                    .and(predicate::str::contains(*want))
                    .and(predicate::str::contains("lever[2]")),
            );
    }
    let replace = |from: &str, to: &str| {
        let f = study(dir.path(), "");
        let text = fs::read_to_string(&f).unwrap().replacen(from, to, 1);
        fs::write(&f, text).unwrap();
        tokenmaxx().arg("optimize").arg(&f).arg("--dry-run").assert().failure()
    };
    // An inverted range, with its line and column.
    replace("range = [0.0, 20.0]", "range = [20.0, 0.0]")
        .stderr(predicate::str::contains("tiny.toml:13:9").and(predicate::str::contains("inverted")));
    // An epsilon missing on one objective of two.
    replace("epsilon = 1000.0\n", "\n").stderr(predicate::str::contains("1 of 2 objectives give an `epsilon`"));
    // An unknown measure, with a suggestion.
    replace("measure = \"mean\"", "measure = \"maen\"")
        .stderr(predicate::str::contains("unknown measure `maen`").and(predicate::str::contains("did you mean")));
    // A reference the base lacks.
    replace("\"usage_leaderboard\"]", "\"usage_leaderbord\"]").stderr(
        predicate::str::contains("defines no policy `usage_leaderbord`")
            .and(predicate::str::contains("optimize.references")),
    );
    // A budget below one population.
    replace("evaluations = 24", "evaluations = 5").stderr(predicate::str::contains("at least one population"));
    // A typo in a setting.
    replace("population = 8", "populaton = 8").stderr(predicate::str::contains("populaton"));
    // Nothing was written anywhere.
    assert!(!dir.path().join("output").exists());
}

#[test]
fn the_search_finds_a_known_best_lever_setting() {
    // Spend falls as the weekly budget tightens, whatever else happens: the
    // cheapest policy has the lowest budget. Minimising spend must find a
    // budget in the lowest tenth of its (log) range.
    let dir = TempDir::new().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let f = dir.path().join("cheap.toml");
    fs::write(
        &f,
        format!(
            r#"base = {base:?}
[optimize]
evaluations = 40
population = 8
worlds = 2
validation_worlds = 2
policy = "candidate"
references = ["laissez_faire"]
[[lever]]
key = "policies.candidate.weekly_budget_usd"
range = [1.0, 1000.0]
log = true
[[lever]]
key = "policies.candidate.output_reward_usd"
range = [0.0, 5.0]
[[objective]]
metric = "spend_usd"
measure = "mean"
direction = "minimize"
epsilon = 1.0
"#
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    optimize(&f, &out, &[]).assert().success();
    let front = fs::read_to_string(out.join("front.csv")).unwrap();
    let row: Vec<&str> = front.lines().nth(1).unwrap().split(',').collect();
    let budget: f64 = row[3].parse().unwrap();
    assert!(budget <= 1000f64.powf(0.1), "best budget {budget}");
}

#[test]
fn a_warm_start_leads_the_first_population_with_an_earlier_front() {
    let dir = TempDir::new().unwrap();
    let f = study(dir.path(), "");
    let first = dir.path().join("first");
    optimize(&f, &first, &["--evaluations", "16"]).assert().success();
    let front = fs::read_to_string(first.join("front.csv")).unwrap();
    let second = dir.path().join("second");
    let warm = first.join("front.csv");
    optimize(
        &f,
        &second,
        &["--evaluations", "16", "--warm-start", warm.to_str().unwrap()],
    )
    .assert()
    .success();
    let archive = fs::read_to_string(second.join("archive.csv")).unwrap();
    // Candidate k of the new search has front row k's lever values and, in
    // the same worlds with the same seeds, its objectives.
    for (k, (row, new)) in front.lines().skip(1).zip(archive.lines().skip(1)).enumerate() {
        let old: Vec<&str> = row.split(',').collect();
        let new: Vec<&str> = new.split(',').collect();
        assert_eq!(new[0], k.to_string());
        assert_eq!(old[3..7], new[3..7], "levers and objectives of warm candidate {k}");
    }
    // A file without the levers' columns is refused, naming it.
    let bad = dir.path().join("bad.csv");
    fs::write(&bad, "a,b\n1,2\n").unwrap();
    optimize(&f, &dir.path().join("third"), &["--warm-start", bad.to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.csv").and(predicate::str::contains("no column")));
}

#[test]
fn a_search_reports_as_one_page_with_its_findings_and_charts() {
    let dir = TempDir::new().unwrap();
    let f = study(dir.path(), "");
    let out = dir.path().join("out");
    optimize(&f, &out, &["--evaluations", "16"]).assert().success();
    tokenmaxx().arg("report").arg(&out).assert().success();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for want in [
        "Policy search <code>tiny</code>",
        "Best on",
        "out of sample",
        "The trade-off the search found",
        "What the front pays for",
        "Convergence",
        "optimize_sha256",
    ] {
        assert!(html.contains(want), "the report lacks {want:?}");
    }
}

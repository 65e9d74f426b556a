//! The binary as a user runs it: on the bundled scenarios, and on broken
//! files, reading its outputs and its error messages.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

/// A small but complete run of a bundled scenario.
const SMALL: [&str; 6] = [
    "--replicates",
    "3",
    "--set",
    "enterprises.acme.employees=60",
    "--set",
    "weeks=60",
];

fn run_small(out: &Path, threads: &str) {
    tokenmaxx()
        .args(["run", "scenarios/baseline.toml", "--out"])
        .arg(out)
        .args(SMALL)
        .args(["--threads", threads])
        .assert()
        .success()
        .stdout(predicate::str::contains("Usage leaderboard"))
        // In a log (no terminal), progress is a plain line with percent and ETA.
        .stderr(predicate::str::is_match(r"run: \d+/\d+ runs \(100\.0%\), \d+ s elapsed, ETA 0 s").unwrap());
}

const DETERMINISTIC: [&str; 3] = ["runs.csv", "weekly.csv", "summary.csv"];

#[test]
fn run_writes_every_output_with_its_columns() {
    let dir = TempDir::new().unwrap();
    run_small(dir.path(), "2");
    let runs = fs::read_to_string(dir.path().join("runs.csv")).unwrap();
    let header = runs.lines().next().unwrap();
    for col in [
        "policy",
        "replicate",
        "seed",
        "tokens",
        "spend_usd",
        "usage_cost_usd",
        "list_cost_usd",
        "discount_usd",
        "breakage_usd",
        "value_usd",
        "waste_usd",
        "roi",
        "value_per_mtok",
        "noise_tokens",
        "performative_tokens",
        "automated_share",
        "commitment_final_usd",
        "mandate_mean",
        "lab_revenue_usd",
        "lab_margin_usd",
        "usage_gini",
    ] {
        assert!(header.split(',').any(|c| c == col), "runs.csv lacks {col}");
    }
    assert_eq!(runs.lines().count(), 1 + 6 * 3, "one row per (policy, replicate)");
    let weekly = fs::read_to_string(dir.path().join("weekly.csv")).unwrap();
    assert!(weekly.starts_with("policy,replicate,week,tokens,"));
    for col in ["spend_usd", "value_usd", "mandate", "commitment_usd"] {
        assert!(weekly.lines().next().unwrap().split(',').any(|c| c == col));
    }
    assert_eq!(weekly.lines().count(), 1 + 6 * 3 * 60);
    let summary = fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    assert!(summary.starts_with("policy,metric,n,mean,sd,ci95_low,ci95_high,diff_mean,diff_ci95_low,diff_ci95_high"));
    assert!(summary.contains("usage_leaderboard,incremental_roi,3,"));
    let verdicts = fs::read_to_string(dir.path().join("verdicts.csv")).unwrap();
    assert!(verdicts.starts_with("policy,versus,p_beats_roi,net_value_usd,regret_usd"));
    assert_eq!(verdicts.lines().count(), 1 + 6 * 5, "every ordered pair of arms");
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["replicates"], 3);
    assert_eq!(manifest["threads"], 2);
    assert_eq!(manifest["scenario"]["enterprises"]["acme"]["employees"], 60);
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    assert!(manifest["task_decisions"].as_u64().unwrap() > 0);
    assert!(manifest["rng_crates"]["rand"].is_string());
    // The printed tables are kept as summary.md.
    let md = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.contains("ROI (95% CI)") && md.contains("regret $M") && md.contains("Usage leaderboard"),
        "{md}"
    );
    // No temporary files are left behind (the lock file stays: removing it
    // would let two writers hold locks on different files).
    for entry in fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.') || name == ".tokenmaxx.lock", "leftover {name}");
    }
}

#[test]
fn same_seed_gives_identical_bytes_on_one_thread_or_two() {
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    let c = TempDir::new().unwrap();
    run_small(a.path(), "1");
    run_small(b.path(), "2");
    run_small(c.path(), "2");
    for f in DETERMINISTIC {
        let x = fs::read(a.path().join(f)).unwrap();
        assert_eq!(x, fs::read(b.path().join(f)).unwrap(), "{f}: 1 vs 2 threads");
        assert_eq!(x, fs::read(c.path().join(f)).unwrap(), "{f}: same seed twice");
    }
}

#[test]
fn a_different_seed_gives_different_results() {
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    run_small(a.path(), "2");
    tokenmaxx()
        .args(["run", "scenarios/baseline.toml", "--out"])
        .arg(b.path())
        .args(SMALL)
        .args(["--seed", "7"])
        .assert()
        .success();
    assert_ne!(
        fs::read(a.path().join("runs.csv")).unwrap(),
        fs::read(b.path().join("runs.csv")).unwrap()
    );
}

#[test]
fn market_run_writes_enterprise_rows() {
    let dir = TempDir::new().unwrap();
    tokenmaxx()
        .args([
            "run",
            "scenarios/market.toml",
            "--replicates",
            "2",
            "--set",
            "weeks=60",
            "--out",
        ])
        .arg(dir.path())
        .args([
            "--set",
            "enterprises.mainstream.employees=20",
            "--set",
            "enterprises.early_adopter.employees=20",
        ])
        .args(["--set", "enterprises.pragmatist.employees=20"])
        .assert()
        .success();
    let ent = fs::read_to_string(dir.path().join("enterprises.csv")).unwrap();
    assert!(ent.starts_with("policy,replicate,enterprise,lab,policy_initial,policy_final,"));
    assert_eq!(
        ent.lines().count(),
        1 + 6 * 2 * 24,
        "one row per (policy, replicate, enterprise)"
    );
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    tokenmaxx()
        .args([
            "validate",
            "scenarios/baseline.toml",
            "scenarios/good-fit.toml",
            "scenarios/market.toml",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "scenarios/market.toml: ok, a scenario: 6 arms, 24 enterprises",
        ));
}

/// `validate` tells a sweep, an evidence file and an optimization study
/// from a scenario by their top-level tables and checks each with its own
/// loader (before: every file was read as a scenario, so valid sweep and
/// evidence files were called invalid).
#[test]
fn validate_checks_every_file_kind_with_its_own_loader() {
    tokenmaxx()
        .args([
            "validate",
            "scenarios/baseline.toml",
            "scenarios/sweeps/discount-x-signal.toml",
            "scenarios/evidence/public.toml",
            "scenarios/optimize/incentive-design.toml",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("scenarios/baseline.toml: ok, a scenario: 6 arms, 1 enterprise, ")
                .and(predicate::str::contains(
                    "scenarios/sweeps/discount-x-signal.toml: ok, a sweep file: grid design, 3 parameters, 50 points x 2 arms x 5 replicates; the sweep: 500 runs",
                ))
                                .and(predicate::str::contains(
                    "scenarios/evidence/public.toml: ok, an evidence file: public: 7 parameters",
                ))
                .and(predicate::str::contains("150 particles"))
                .and(predicate::str::contains(
                    "scenarios/optimize/incentive-design.toml: ok, an optimization study: incentive-design: eps-nsga2",
                )),
        );
    // One broken file of each kind fails with its place in the file, and
    // the valid file beside it still passes.
    let dir = TempDir::new().unwrap();
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let base = format!("base = {:?}\n", base.display().to_string());
    let cases = [
        (
            "sweep.toml",
            format!(
                "{base}[sweep]\ndesign = \"gird\"\nreplicates = 1\n[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nvalues = [6.0, 20.0]\n"
            ),
            vec!["sweep.toml:3:10", "unknown design `gird`"],
        ),
        (
            "evidence.toml",
            format!(
                "{base}[calibrate]\nparticles = 1\n[[prior]]\nkey = \"employees.tasks_per_week\"\n\
                 [[target]]\nname = \"t\"\nmetric = \"net_value\"\npolicy = \"laissez_faire\"\nobserved = 1.0\nsd = 1.0\nrole = \"fit\"\n"
            ),
            vec!["evidence.toml:3:13", "must be between 2 and"],
        ),
        (
            "study.toml",
            format!("{base}[optimize]\nname = \"s\"\npolicy = \"candidate\"\nevaluations = 16\npopulaton = 8\n"),
            vec!["study.toml:6:1", "populaton"],
        ),
    ];
    for (name, text, needles) in &cases {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let mut pred = predicate::str::contains("1 of 2 files is invalid").boxed();
        for n in needles {
            pred = pred.and(predicate::str::contains(*n)).boxed();
        }
        tokenmaxx()
            .arg("validate")
            .arg(&path)
            .arg("scenarios/baseline.toml")
            .assert()
            .failure()
            .stdout(predicate::str::contains("scenarios/baseline.toml: ok, a scenario"))
            .stderr(pred);
    }
    // --set means nothing to an evidence file: said, not ignored.
    tokenmaxx()
        .args(["validate", "scenarios/evidence/public.toml", "--set", "weeks=8"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--set does not apply to an evidence file"));
}

/// Writes `text` to a scenario file and runs `validate` on it, expecting a
/// failure whose message contains every one of `needles`.
fn rejects(text: &str, needles: &[&str]) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("broken.toml");
    fs::write(&path, text).unwrap();
    let mut pred = predicate::str::contains("broken.toml").boxed();
    for n in needles {
        pred = pred.and(predicate::str::contains(*n)).boxed();
    }
    tokenmaxx().arg("validate").arg(&path).assert().failure().stderr(pred);
    // `run` fails the same way and writes nothing.
    let out = dir.path().join("out");
    tokenmaxx()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure();
    assert!(!out.exists(), "a failed run must not create its output directory");
}

#[test]
fn bad_syntax_names_file_line_and_column() {
    rejects(
        "name = \"x\"\n[enterprises.acme]\nemployees = = 3\n",
        &["broken.toml:3:", "syntax"],
    );
}

#[test]
fn unknown_key_names_the_key_and_its_line() {
    rejects(
        "name = \"x\"\n[enterprises.acme]\nemployees = 10\nemployes = 3\n",
        &["broken.toml:4:1", "enterprises.acme.employes", "unknown field"],
    );
}

#[test]
fn unknown_top_level_table_is_rejected() {
    rejects(
        "[enterprises.acme]\n\n[enterprize]\nx = 1\n",
        &["broken.toml:3:", "enterprize"],
    );
}

#[test]
fn probability_above_one_names_key_line_and_column() {
    rejects(
        "[enterprises.acme]\nemployees = 10\n\n[task_types.coding]\np_reasoning = 1.5\n",
        &["broken.toml:5:15", "task_types.coding.p_reasoning", "between 0 and 1"],
    );
}

#[test]
fn negative_price_is_rejected() {
    rejects(
        "[enterprises.acme]\n[labs.frontier_lab.models.frontier]\nprice_in = -5.0\n",
        &[
            "broken.toml:3:12",
            "labs.frontier_lab.models.frontier.price_in",
            "at least 0",
        ],
    );
}

#[test]
fn zero_employees_is_rejected() {
    rejects(
        "[enterprises.acme]\nemployees = 0\n",
        &["broken.toml:2:13", "enterprises.acme.employees", "at least 1"],
    );
}

#[test]
fn wrong_type_names_the_key() {
    rejects(
        "[enterprises.acme]\nemployees = \"many\"\n",
        &["enterprises.acme.employees", "invalid type"],
    );
}

#[test]
fn undefined_policy_in_arms_is_rejected() {
    rejects(
        "arms = [\"laissez_faire\", \"vibes\"]\n[enterprises.acme]\n",
        &["broken.toml:1:", "arms", "vibes"],
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    tokenmaxx()
        .args(["run", "scenarios/does-not-exist.toml"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("scenarios/does-not-exist.toml").and(predicate::str::contains("cannot read")));
}

#[test]
fn bad_override_names_the_override() {
    tokenmaxx()
        .args([
            "validate",
            "scenarios/baseline.toml",
            "--set",
            "enterprises.acme.employees=-4",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--set enterprises.acme.employees=-4"));
    tokenmaxx()
        .args(["validate", "scenarios/baseline.toml", "--set", "agent.max_attemps=3"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("agent.max_attemps").and(predicate::str::contains("unknown field")));
}

#[test]
fn unwritable_output_fails_without_partial_files() {
    let dir = TempDir::new().unwrap();
    let blocker = dir.path().join("file");
    fs::write(&blocker, "not a directory").unwrap();
    tokenmaxx()
        .args(["run", "scenarios/baseline.toml", "--out"])
        .arg(blocker.join("out"))
        .args(SMALL)
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot create output directory"));
}

#[test]
fn an_unknown_renewal_rule_names_the_rules() {
    rejects(
        "[enterprises.acme]\nemployees = 10\nrenewal = \"escalation\"\n",
        &[
            "broken.toml:3:11",
            "enterprises.acme.renewal",
            "unknown renewal rule `escalation`",
            "`track_usage`",
        ],
    );
}

#[test]
fn a_headroom_below_minus_one_is_rejected() {
    rejects(
        "[enterprises.acme]\nemployees = 10\nrenewal_headroom = -1.5\n",
        &[
            "broken.toml:3:20",
            "enterprises.acme.renewal_headroom",
            "between -1 and 100",
        ],
    );
}

#[test]
fn a_prior_with_low_above_high_is_rejected() {
    rejects(
        "[enterprises.acme]\nemployees = 10\n\n[priors.employees]\ntasks_per_week = { low = 30.0, high = 4.0 }\n",
        &[
            "broken.toml:5:26",
            "priors.employees.tasks_per_week.low",
            "low (30) is above its high (4)",
        ],
    );
}

#[test]
fn a_prior_on_no_parameter_or_a_bad_log_range_is_rejected() {
    rejects(
        "[enterprises.acme]\nemployees = 10\n\n[priors.employees]\ntasks_per_wek = { low = 1.0, high = 4.0 }\n",
        &[
            "broken.toml:5:1",
            "priors.employees.tasks_per_wek",
            "not a numeric parameter",
        ],
    );
    rejects(
        "[enterprises.acme]\nemployees = 10\n\n[priors.employees]\ntasks_per_week = { low = 0.0, high = 4.0, log = true }\n",
        &[
            "broken.toml:5:",
            "priors.employees.tasks_per_week.low",
            "log-scale prior needs low > 0",
        ],
    );
}

#[test]
fn defaults_prints_every_parameter_with_a_range_or_a_source() {
    let out = tokenmaxx()
        .arg("defaults")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("no source and no prior"), "{text}");
    for line in [
        "employees.hours_per_week",
        "behaviour.temperature_usd",
        "templates.enterprise.renewal_headroom",
        "task_types.coding.ai_success",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line} missing:\n{text}");
    }
    assert!(text.contains("2 to 40 (log)"), "{text}");
    let toml = tokenmaxx()
        .args(["defaults", "--toml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8(toml)
            .unwrap()
            .starts_with("# tokenmaxx built-in defaults.")
    );
}

/// A misspelt policy field, arm, policy name or sweep key gets the nearest
/// valid name; a number with thousands separators gets a hint (issue 26).
#[test]
fn misspelt_names_get_did_you_mean_and_separators_a_hint() {
    let dir = TempDir::new().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        p
    };
    const BASE: &str = "name = \"small\"\nweeks = 26\nreplicates = 1\n[enterprises.acme]\nemployees = 20\n";
    write("small.toml", BASE);
    let cases = [
        (
            write(
                "field.toml",
                &format!("{BASE}[policies.usage_leaderboard]\ntoken_reward_usd_per_mtk = 3\n"),
            ),
            "did you mean `token_reward_usd_per_mtok`?",
        ),
        (
            write(
                "arm.toml",
                &BASE.replace("replicates = 1\n", "replicates = 1\narms = [\"laissez_fair\"]\n"),
            ),
            "did you mean `laissez_faire`?",
        ),
        (
            write("policy.toml", &format!("{BASE}policy = \"usage_leaderbord\"\n")),
            "did you mean `usage_leaderboard`?",
        ),
        (
            write("commas.toml", &BASE.replace("employees = 20", "employees = 5,000")),
            "numbers take no thousands separators: write `5000` or `5_000`",
        ),
    ];
    for (file, expected) in &cases {
        tokenmaxx()
            .arg("validate")
            .arg(file)
            .assert()
            .failure()
            .stderr(predicate::str::contains(*expected));
    }
    let sweep = "base = \"small.toml\"\n[sweep]\ndesign = \"grid\"\nreplicates = 1\narms = [\"laissez_faire\"]\n\
                 [[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nvalues = [6.0, 20.0]\n";
    let sweeps = [
        (
            write(
                "sweep-arm.toml",
                &sweep.replace("[\"laissez_faire\"]", "[\"laissez_fair\"]"),
            ),
            "did you mean `laissez_faire`?",
        ),
        (
            write("sweep-key.toml", &sweep.replace("tasks_per_week", "tasks_per_wek")),
            "did you mean `employees.tasks_per_week`?",
        ),
        (
            write("sweep-field.toml", &sweep.replace("replicates = 1", "replicats = 1")),
            "did you mean `replicates`?",
        ),
    ];
    for (file, expected) in &sweeps {
        tokenmaxx()
            .arg("sweep")
            .arg(file)
            .arg("--dry-run")
            .assert()
            .failure()
            .stderr(predicate::str::contains(*expected));
    }
}

/// Every kind of name a user writes gets "did you mean" when misspelt: in a
/// scenario (a top-level key, a section's field, a policy's, enterprise's
/// and lab's field, a lab, a policy, an arm, a renewal rule, a
/// presentation key, a source's or prior's key and a prior's field), a
/// sweep (its keys, design, arms, swept keys), an evidence file (its keys,
/// a prior's key, a metric) and a policy search (its keys, a lever, a
/// metric, a measure, an algorithm, a direction). Issue 26, item 6.
#[test]
fn every_kind_of_misspelt_name_gets_did_you_mean() {
    let dir = TempDir::new().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        p
    };
    const BASE: &str = "name = \"small\"\nweeks = 26\nreplicates = 1\n[enterprises.acme]\nemployees = 20\n";
    write("small.toml", BASE);
    let with = |extra: &str| format!("{BASE}{extra}");
    let scenarios = [
        (with("").replace("weeks = 26", "wekks = 26"), "`weeks`"),
        (with("[employees]\ntasks_per_wek = 10\n"), "`tasks_per_week`"),
        (with("[policies.laissez_faire]\nlabl = \"x\"\n"), "`label`"),
        (BASE.replace("employees = 20", "employes = 20"), "`employees`"),
        (with("[labs.frontier_lab]\nbrekage = 0.5\n"), "`breakage`"),
        (with("lab = \"frontier_la\"\n"), "`frontier_lab`"),
        (with("policy = \"laissez_fair\"\n"), "`laissez_faire`"),
        (
            BASE.replace(
                "replicates = 1\n",
                "replicates = 1\narms = [\"laissez_faire\", \"usage_leaderbord\"]\n",
            ),
            "`usage_leaderboard`",
        ),
        (with("renewal = \"track_usag\"\n"), "`track_usage`"),
        (with("[presentation]\nthem = \"dark\"\n"), "`theme`"),
        (
            with("[sources]\n\"employees.tasks_per_wek\" = \"a study\"\n"),
            "`employees.tasks_per_week`",
        ),
        (
            with("[priors.\"employees.tasks_per_week\"]\nlw = 1.0\nhigh = 20.0\n"),
            "`low`",
        ),
    ];
    for (i, (text, expected)) in scenarios.iter().enumerate() {
        let file = write(&format!("scenario-{i}.toml"), text);
        tokenmaxx()
            .arg("validate")
            .arg(&file)
            .assert()
            .failure()
            .stderr(predicate::str::contains(format!("did you mean {expected}?")));
    }
    let sweep = "base = \"small.toml\"\n[sweep]\ndesign = \"grid\"\nreplicates = 1\narms = [\"laissez_faire\"]\n\
                 [[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nvalues = [6.0, 20.0]\n";
    let sweeps = [
        (sweep.replace("base =", "bse ="), "`base`"),
        (sweep.replace("design =", "desgn ="), "`design`"),
        (sweep.replace("\"grid\"", "\"gird\""), "`grid`"),
        (
            sweep.replace("[\"laissez_faire\"]", "[\"laissez_fair\"]"),
            "`laissez_faire`",
        ),
        (
            sweep.replace("tasks_per_week", "tasks_per_wek"),
            "`employees.tasks_per_week`",
        ),
        (sweep.replace("values =", "valus ="), "`values`"),
    ];
    for (i, (text, expected)) in sweeps.iter().enumerate() {
        let file = write(&format!("sweep-{i}.toml"), text);
        tokenmaxx()
            .arg("sweep")
            .arg(&file)
            .arg("--dry-run")
            .assert()
            .failure()
            .stderr(predicate::str::contains(format!("did you mean {expected}?")));
    }
    let evidence = "base = \"small.toml\"\n[calibrate]\nparticles = 10\n\
                    [[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
                    [[target]]\nname = \"t\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 1.0\ntolerance = [0.5, 2.0]\nrole = \"fit\"\n";
    let evidences = [
        (evidence.replace("particles =", "particle ="), "`particles`"),
        (evidence.replace("range =", "rnge ="), "`range`"),
        (
            evidence.replace("\"employees.tasks_per_week\"", "\"employees.tasks_per_wek\""),
            "`employees.tasks_per_week`",
        ),
        (evidence.replace("\"tasks\"", "\"taskss\""), "`tasks`"),
        (
            evidence.replace("\"laissez_faire\"", "\"laissez_fair\""),
            "`laissez_faire`",
        ),
    ];
    for (i, (text, expected)) in evidences.iter().enumerate() {
        let file = write(&format!("evidence-{i}.toml"), text);
        tokenmaxx()
            .arg("calibrate")
            .arg(&file)
            .arg("--dry-run")
            .assert()
            .failure()
            .stderr(predicate::str::contains(format!("did you mean {expected}?")));
    }
    let study = "base = \"small.toml\"\n[optimize]\nevaluations = 24\npopulation = 8\nworlds = 2\nvalidation_worlds = 2\n\
                 policy = \"candidate\"\nreferences = [\"laissez_faire\"]\nalgorithm = \"nsga2\"\n\
                 [[lever]]\nkey = \"policies.candidate.weekly_budget_usd\"\nrange = [1.0, 1000.0]\n\
                 [[objective]]\nmetric = \"spend_usd\"\nmeasure = \"mean\"\ndirection = \"minimize\"\n";
    let studies = [
        (study.replace("evaluations =", "evaluation ="), "`evaluations`"),
        (
            study.replace("weekly_budget_usd", "weekly_budget_ud"),
            "`weekly_budget_usd`",
        ),
        (study.replace("\"spend_usd\"", "\"spend_ud\""), "`spend_usd`"),
        (study.replace("\"mean\"", "\"maen\""), "`mean`"),
        (study.replace("\"nsga2\"", "\"nsga\""), "`nsga2`"),
        (study.replace("\"minimize\"", "\"minimise\""), "`minimize`"),
        (study.replace("direction =", "directon ="), "`direction`"),
    ];
    for (i, (text, expected)) in studies.iter().enumerate() {
        let file = write(&format!("study-{i}.toml"), text);
        tokenmaxx()
            .arg("optimize")
            .arg(&file)
            .arg("--dry-run")
            .assert()
            .failure()
            .stderr(predicate::str::contains(format!("did you mean {expected}?")));
    }
}

/// Every error of a file at once, each with its file, line and column: a
/// scenario with three misspelt keys and a value out of range lists all
/// four (issue 26, item 6); a sweep its misspelt keys.
#[test]
fn every_error_in_a_file_is_reported_at_once() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("four.toml");
    fs::write(
        &path,
        "name = \"four\"\nwekks = 26\n[employees]\nengineer_share = 1.5\ntasks_per_wek = 10\n[enterprises.acme]\nemployes = 20\n",
    )
    .unwrap();
    let out = tokenmaxx().arg("validate").arg(&path).assert().failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for needle in [
        "four.toml:2:1: key `wekks`: unknown field `wekks`",
        "did you mean `weeks`?",
        "four.toml:5:1: key `employees.tasks_per_wek`: unknown field",
        "four.toml:7:1: key `enterprises.acme.employes`: unknown field",
        "four.toml:4:18: key `employees.engineer_share`: must be a probability or share, between 0 and 1, got 1.5",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert_eq!(err.matches("four.toml:").count(), 4, "{err}");
    // In the order of the file.
    let at = |line: &str| err.find(&format!("four.toml:{line}:")).unwrap();
    assert!(at("2") < at("4") && at("4") < at("5") && at("5") < at("7"), "{err}");
    // More than twenty errors: the first twenty, and a note.
    let many: String = (0..30).map(|i| format!("bogus_{i} = 1\n")).collect();
    fs::write(&path, format!("name = \"many\"\n{many}")).unwrap();
    let out = tokenmaxx().arg("validate").arg(&path).assert().failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.matches("four.toml:").count(), 20, "{err}");
    assert!(err.contains("the first 20 errors are listed"), "{err}");
    // A sweep with two misspelt keys lists both.
    fs::write(dir.path().join("small.toml"), "name = \"small\"\n").unwrap();
    let sweep = dir.path().join("sweep.toml");
    fs::write(
        &sweep,
        "base = \"small.toml\"\n[sweep]\ndesgn = \"grid\"\nreplicats = 1\n[[sweep.parameters]]\nkey = \"weeks\"\nvalues = [4, 8]\n",
    )
    .unwrap();
    let out = tokenmaxx().arg("sweep").arg(&sweep).arg("--dry-run").assert().failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("sweep.toml:3:1: key `sweep.desgn`"), "{err}");
    assert!(err.contains("sweep.toml:4:1: key `sweep.replicats`"), "{err}");
}

/// `defaults` prints numbers in three significant digits, not the float
/// noise of their computation, lists the policies' fields, and a share's
/// plausible range ends at 1 (issue 26).
#[test]
fn defaults_print_numbers_people_can_read() {
    let out = tokenmaxx().arg("defaults").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("0.233 to 2.1 (log)"), "{text}");
    assert!(!text.contains("2.0999999999999996") && !text.contains("0.2333"));
    let line = |key: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no line for {key} in:\n{text}"))
            .to_string()
    };
    line("templates.policy.token_reward_usd_per_mtok");
    line("policies.usage_leaderboard.token_reward_usd_per_mtok");
    let share = line("task_types.coding.engineer_share");
    assert!(share.contains(" to 1 (log)"), "{share}");
}

/// A sweep file and an evidence file with several range and value
/// mistakes: `validate` names every one at once, each with file:line:col
/// and, for a misspelt name, "did you mean" (issue 26, item 6).
#[test]
fn sweep_and_evidence_files_report_every_mistake_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("small.toml"),
        "name = \"small\"\nweeks = 8\n[enterprises.acme]\nemployees = 6\n",
    )
    .unwrap();
    let sweep = dir.path().join("bad-sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"small.toml\"\n[sweep]\nname = \"bad sweep\"\ndesign = \"lhs\"\npoints = 4\nreplicates = 0\n\
arms = [\"laissez_faire\", \"usage_leaderbord\"]\n[[sweep.parameters]]\nkey = \"employees.tasks_per_wek\"\n\
range = [1.0, 2.0]\n[[sweep.parameters]]\nkey = \"behaviour.mandate_usd\"\nrange = [5.0, 1.0]\n\
[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nrange = [-1.0, 2.0]\nlog = true\n",
    )
    .unwrap();
    let out = tokenmaxx().arg("validate").arg(&sweep).assert().failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for needle in [
        "bad-sweep.toml:3:8: key `sweep.name`",
        "bad-sweep.toml:6:14: key `sweep.replicates`: must be at least 1",
        "bad-sweep.toml:7:26: key `sweep.arms[1]`",
        "did you mean `usage_leaderboard`?",
        "bad-sweep.toml:9:7: key `sweep.parameters[0].key`",
        "did you mean `employees.tasks_per_week`?",
        "bad-sweep.toml:13:9: key `sweep.parameters[1].range`: the range [5, 1] is empty",
        "bad-sweep.toml:16:9: key `sweep.parameters[2].range`: a log range needs low > 0",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    let evidence = dir.path().join("bad-evidence.toml");
    std::fs::write(
        &evidence,
        "base = \"small.toml\"\n[calibrate]\nparticles = 1\nquantile = 2.0\n[[prior]]\nkey = \"employees.tasks_per_wek\"\n\
range = [1.0, 2.0]\n[[prior]]\nkey = \"behaviour.mandate_usd\"\nrange = [5.0, 1.0]\n[[target]]\nname = \"spend\"\n\
metric = \"spend_usb\"\npolicy = \"laissez_faire\"\nobserved = 10.0\nsd = 1.0\nrole = \"fit\"\nsource = \"x\"\n\
[[target]]\nname = \"spend2\"\nmetric = \"spend_usd\"\npolicy = \"laissez_fair\"\nobserved = 10.0\nsd = 1.0\n\
role = \"fit\"\nsource = \"x\"\n",
    )
    .unwrap();
    let out = tokenmaxx().arg("validate").arg(&evidence).assert().failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for needle in [
        "bad-evidence.toml:3:13: key `calibrate.particles`: must be between 2 and",
        "bad-evidence.toml:4:12: key `calibrate.quantile`",
        "bad-evidence.toml:6:7: key `prior[0].key`",
        "did you mean `employees.tasks_per_week`?",
        "bad-evidence.toml:10:9: key `prior[1].range`",
        "bad-evidence.toml:13:10: key `target[0].metric`",
        "did you mean `spend_usd`?",
        "bad-evidence.toml:22:10: key `target[1].policy`",
        "did you mean `laissez_faire`?",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
}

/// A [presentation] table with several mistakes: every one named at once
/// with file:line:col (issue 26, item 6).
#[test]
fn presentation_table_reports_every_mistake_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("look.toml");
    std::fs::write(
        &scenario,
        "name = \"look\"\nweeks = 8\n[enterprises.acme]\nemployees = 6\n[presentation]\ntheme = \"drak\"\nwidth = 10\nfont_scale = 9.0\ncolour = \"x\"\n",
    )
    .unwrap();
    let out = tokenmaxx().arg("validate").arg(&scenario).assert().failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for needle in [
        "look.toml:6:9: key `presentation.theme`",
        "look.toml:7:9: key `presentation.width`",
        "look.toml:8:14: key `presentation.font_scale`",
        "look.toml:9:1: key `presentation.colour`",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
}

/// Every malformed `--set` is named at once, not the first alone.
#[test]
fn every_malformed_set_is_named_at_once() {
    let out = tokenmaxx()
        .args([
            "validate",
            "scenarios/baseline.toml",
            "--set",
            "foo",
            "--set",
            "bar.=1",
            "--set",
            "weeks=8",
        ])
        .assert()
        .failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("--set `foo`"), "{err}");
    assert!(err.contains("--set `bar.=1`"), "{err}");
    assert!(!err.contains("weeks=8"), "a good --set is not an error: {err}");
}

/// A policy search's study file names every mistake at once (up to 20),
/// each with file:line:col: a setting out of range does not hide a
/// misspelt lever, algorithm or objective.
#[test]
fn a_study_file_reports_every_mistake_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize("scenarios/baseline.toml").unwrap();
    let study = dir.path().join("study.toml");
    std::fs::write(
        &study,
        format!(
            "base = {:?}\n[optimize]\nalgorithm = \"nsga3\"\npopulation = 2\nevaluations = 100\nworlds = 4\npolicy = \"candidate\"\n[[lever]]\nkey = \"policies.candidate.token_reward_usd_per_mtk\"\nrange = [0.0, 20.0]\n[[lever]]\nkey = \"policies.candidate.output_reward_usd\"\nrange = [5.0, 1.0]\n[[objective]]\nmetric = \"net_value_usd\"\nmeasure = \"mean\"\ndirection = \"maximise\"\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let out = tokenmaxx().arg("validate").arg(&study).assert().failure();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for needle in [
        "study.toml:3:13: key `optimize.algorithm`",
        "did you mean `nsga2`",
        "study.toml:4:14: key `optimize.population`",
        "key `lever[0].key`",
        "key `lever[1].range`",
        "key `objective[0].direction`",
        "did you mean `maximize`",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
}

//! `tokenmaxx compare A B`: two run folders side by side, run as users run
//! it on a tiny scenario. The intervals are checked against a computation
//! by hand from the folders' runs.csv: Welch's for different seeds, paired
//! by seed for the same seeds, exactly zero for a folder against itself.

use assert_cmd::Command;
use predicates::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

const TINY: &str = "name = \"tiny\"\nweeks = 8\nreplicates = 3\n\
arms = [\"laissez_faire\", \"usage_leaderboard\"]\n[enterprises.acme]\nemployees = 6\n";

/// Runs the tiny scenario into `dir/out` with extra flags.
fn run(dir: &Path, out: &str, args: &[&str]) -> PathBuf {
    let scenario = dir.join("tiny.toml");
    std::fs::write(&scenario, TINY).unwrap();
    let out = dir.join(out);
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .args(args)
        .assert()
        .success();
    out
}

/// `tokenmaxx compare a b --out dir/out -q`, which must succeed.
fn compare(a: &Path, b: &Path, out: &Path) {
    tokenmaxx()
        .arg("compare")
        .arg(a)
        .arg(b)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .assert()
        .success();
}

/// A CSV file as rows of (column, cell).
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header.iter().cloned().zip(rec.iter().map(str::to_string)).collect()
        })
        .collect()
}

/// A policy's (seed, net value) in a run folder's runs.csv.
fn net_by_seed(dir: &Path, policy: &str) -> Vec<(u64, f64)> {
    rows(&dir.join("runs.csv"))
        .into_iter()
        .filter(|r| r["policy"] == policy)
        .map(|r| {
            let f = |c: &str| r[c].parse::<f64>().unwrap();
            (r["seed"].parse().unwrap(), f("value_usd") - f("spend_usd"))
        })
        .collect()
}

/// The comparison.csv row of a policy's metric.
fn row(out: &Path, policy: &str, metric: &str) -> BTreeMap<String, String> {
    rows(&out.join("comparison.csv"))
        .into_iter()
        .find(|r| r["policy"] == policy && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {policy} {metric}"))
}

fn num(r: &BTreeMap<String, String>, c: &str) -> f64 {
    r[c].parse().unwrap_or_else(|_| panic!("{c} = {:?}", r[c]))
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (m, xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0))
}

/// P(T <= t) for Student's t with `df` degrees of freedom, by hand: with
/// x = sqrt(df) tan(u) the density is proportional to cos(u)^(df - 1) on
/// (-pi/2, pi/2), integrated by Simpson's rule.
fn t_cdf(t: f64, df: f64) -> f64 {
    let integral = |hi: f64| {
        let (lo, n) = (-std::f64::consts::FRAC_PI_2, 200_000);
        let h = (hi - lo) / n as f64;
        let f = |u: f64| u.cos().max(0.0).powf(df - 1.0);
        let mut s = f(lo) + f(hi);
        for k in 1..n {
            s += f(lo + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0
    };
    integral((t / df.sqrt()).atan()) / integral(std::f64::consts::FRAC_PI_2)
}

/// Checks a row's difference and 95% interval against the estimate `mean`
/// with standard error `se` and `df` degrees of freedom: the half-width
/// over the standard error must be Student t's 97.5% quantile.
fn check_interval(r: &BTreeMap<String, String>, mean: f64, se: f64, df: f64) {
    let (d, lo, hi) = (num(r, "difference"), num(r, "ci95_low"), num(r, "ci95_high"));
    assert!((d - mean).abs() <= 1e-9 * mean.abs().max(1.0), "{d} != {mean}");
    assert!(
        ((hi - d) - (d - lo)).abs() <= 1e-9 * (hi - lo),
        "symmetric: {lo} {d} {hi}"
    );
    let q = (hi - d) / se;
    let p = t_cdf(q, df);
    assert!(
        (p - 0.975).abs() < 1e-5,
        "t quantile {q} with {df} df gives P = {p}, not 0.975"
    );
}

#[test]
fn different_seeds_give_welch_intervals_as_computed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(dir.path(), "a", &["--seed", "1"]);
    let b = run(dir.path(), "b", &["--seed", "2"]);
    let out = dir.path().join("ab");
    compare(&a, &b, &out);
    for r in rows(&out.join("comparison.csv")) {
        assert_eq!(r["method"], "welch", "{r:?}");
        assert_eq!(r["pairs"], "0");
    }
    for policy in ["laissez_faire", "usage_leaderboard"] {
        let xa: Vec<f64> = net_by_seed(&a, policy).into_iter().map(|(_, v)| v).collect();
        let xb: Vec<f64> = net_by_seed(&b, policy).into_iter().map(|(_, v)| v).collect();
        let ((ma, va), (mb, vb)) = (mean_var(&xa), mean_var(&xb));
        let (sa, sb) = (va / xa.len() as f64, vb / xb.len() as f64);
        let df = (sa + sb).powi(2) / (sa * sa / (xa.len() - 1) as f64 + sb * sb / (xb.len() - 1) as f64);
        let r = row(&out, policy, "net_value_usd");
        assert!((num(&r, "a_mean") - ma).abs() <= 1e-9 * ma.abs().max(1.0));
        assert!((num(&r, "b_mean") - mb).abs() <= 1e-9 * mb.abs().max(1.0));
        check_interval(&r, mb - ma, (sa + sb).sqrt(), df);
    }
    // The seed differs, and nothing in the scenario.
    let diffs = rows(&out.join("differences.csv"));
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(
        (
            diffs[0]["key"].as_str(),
            diffs[0]["a"].as_str(),
            diffs[0]["b"].as_str(),
            diffs[0]["source"].as_str()
        ),
        ("seed", "1", "2", "run")
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("Welch's interval over 3 and 3 runs"), "{summary}");
}

#[test]
fn the_same_seeds_give_paired_intervals_and_a_set_amendment_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(dir.path(), "a", &[]);
    let b = run(dir.path(), "b", &["--set", "enterprises.acme.employees=8"]);
    let out = dir.path().join("ab");
    compare(&a, &b, &out);
    for policy in ["laissez_faire", "usage_leaderboard"] {
        let xa = net_by_seed(&a, policy);
        let xb = net_by_seed(&b, policy);
        // Pairs of equal seed, whatever the row order.
        let d: Vec<f64> = xa
            .iter()
            .map(|(s, va)| xb.iter().find(|(t, _)| t == s).unwrap().1 - va)
            .collect();
        assert_eq!(d.len(), 3);
        let (m, v) = mean_var(&d);
        let r = row(&out, policy, "net_value_usd");
        assert_eq!((r["method"].as_str(), r["pairs"].as_str()), ("paired", "3"), "{r:?}");
        check_interval(&r, m, (v / 3.0).sqrt(), 2.0);
        assert_eq!(row(&out, policy, "spend_usd")["method"], "paired");
    }
    let diffs = rows(&out.join("differences.csv"));
    let keys: Vec<(&str, &str, &str, &str)> = diffs
        .iter()
        .map(|r| {
            (
                r["key"].as_str(),
                r["a"].as_str(),
                r["b"].as_str(),
                r["source"].as_str(),
            )
        })
        .collect();
    assert_eq!(keys, [("enterprises.acme.employees", "6", "8", "scenario")]);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("paired over 3 runs with the same seeds"), "{summary}");
    assert!(
        summary.contains("`enterprises.acme.employees` | 6 | 8 | scenario"),
        "{summary}"
    );
}

#[test]
fn a_folder_against_itself_differs_by_exactly_zero() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(dir.path(), "a", &[]);
    let out = dir.path().join("aa");
    compare(&a, &a, &out);
    let all = rows(&out.join("comparison.csv"));
    assert_eq!(all.len(), 2 * 5, "two policies, five metrics");
    for r in &all {
        assert_eq!(r["method"], "paired", "{r:?}");
        assert_eq!(
            (
                r["difference"].as_str(),
                r["ci95_low"].as_str(),
                r["ci95_high"].as_str()
            ),
            ("0.0", "0.0", "0.0"),
            "{r:?}"
        );
        assert_eq!(r["a_mean"], r["b_mean"]);
    }
    assert!(rows(&out.join("differences.csv")).is_empty());
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains(
            "a and a deliver exactly the same net value in every run (paired over 3 runs with the same seeds); a spends exactly as much and delivers exactly as much value."
        ),
        "{summary}"
    );
    assert!(
        summary.contains("None: both folders ran the same resolved scenario"),
        "{summary}"
    );
    // Without --out, the folder is named after the two folders.
    tokenmaxx()
        .current_dir(dir.path())
        .args(["compare", "a", "a", "-q"])
        .assert()
        .success();
    assert!(dir.path().join("output/compare/a-vs-a/comparison.csv").is_file());
}

#[test]
fn the_comparison_is_a_result_with_a_manifest_a_chart_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(dir.path(), "a", &[]);
    let b = run(
        dir.path(),
        "b",
        &["--set", "arms=[\"laissez_faire\", \"value_based\"]", "--seed", "7"],
    );
    let out = dir.path().join("ab");
    compare(&a, &b, &out);
    let m = tokenmaxx::output::Manifest::read(&out).unwrap();
    let tokenmaxx::output::manifest::Job::Compare(c) = &m.job else {
        panic!("{m:?}")
    };
    assert_eq!((c.a.name.as_str(), c.b.name.as_str()), ("a", "b"));
    assert_eq!(
        c.a.runs_sha256,
        tokenmaxx::output::sha256_file(&a.join("runs.csv")).unwrap()
    );
    assert_eq!(
        c.b.runs_sha256,
        tokenmaxx::output::sha256_file(&b.join("runs.csv")).unwrap()
    );
    assert_eq!(c.arms, ["laissez_faire"]);
    assert_eq!(c.only_in_a, ["usage_leaderboard"]);
    assert_eq!(c.only_in_b, ["value_based"]);
    let files = m.header.files_sha256.as_ref().unwrap();
    for f in [
        "comparison.csv",
        "differences.csv",
        "summary.md",
        "charts/comparison.png",
        "charts/comparison.svg",
    ] {
        let got = tokenmaxx::output::sha256_file(&out.join(f)).unwrap();
        assert_eq!(files.get(f), Some(&got), "{f}");
    }
    // Policies in one folder only are listed as such.
    let only: Vec<String> = rows(&out.join("comparison.csv"))
        .into_iter()
        .filter(|r| r["metric"] == "net_value_usd" && r["method"].starts_with("only"))
        .map(|r| format!("{} {}", r["policy"], r["method"]))
        .collect();
    assert_eq!(only, ["usage_leaderboard only_in_a", "value_based only_in_b"]);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("Only in b: **Value-based"), "{summary}");
    // The report compare wrote, and `report` writes the same page.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Comparison: b against a") && html.contains("data:image/png;base64,"));
    tokenmaxx().arg("report").arg(&out).assert().success();
    assert_eq!(std::fs::read_to_string(out.join("report.html")).unwrap(), html);
    // Running it again replaces the comparison; another result is refused.
    compare(&a, &b, &out);
    tokenmaxx()
        .arg("compare")
        .arg(&a)
        .arg(&a)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "already holds the results of `tokenmaxx compare` of a-vs-b",
        ));
    for bad in [a.clone(), a.join("inside")] {
        tokenmaxx()
            .arg("compare")
            .arg(&a)
            .arg(&b)
            .arg("--out")
            .arg(&bad)
            .assert()
            .failure()
            .stderr(
                predicate::str::contains("a comparison goes into a folder of its own")
                    .or(predicate::str::contains("lies inside the results folder")),
            );
    }
    // `plot` leaves a comparison's chart to compare.
    tokenmaxx()
        .arg("plot")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("holds a comparison"));
}

#[test]
fn a_run_against_a_sweep_is_refused_naming_the_folders_and_their_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(dir.path(), "a", &[]);
    // A copy of a sweep fixture (a reader takes the folder's lock file).
    let sweep = dir.path().join("sweep-small");
    std::fs::create_dir(&sweep).unwrap();
    for f in ["manifest.json", "points.csv", "runs.csv"] {
        std::fs::copy(Path::new("tests/fixtures/sweep-small").join(f), sweep.join(f)).unwrap();
    }
    tokenmaxx()
        .arg("compare")
        .arg(&a)
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!("B ({})", sweep.display())))
        .stderr(predicate::str::contains("holds a run and B"))
        .stderr(predicate::str::contains("a sweep (a "))
        .stderr(predicate::str::contains("compare reads two folders of one kind"));
    assert!(!dir.path().join("out").exists(), "nothing written");
}

#[test]
fn a_missing_folder_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(dir.path(), "a", &[]);
    let missing = dir.path().join("no-such-run");
    tokenmaxx()
        .arg("compare")
        .arg(&missing)
        .arg(&a)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "A ({}): no such folder",
            missing.display()
        )));
    // A folder without a manifest is named too.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    tokenmaxx()
        .arg("compare")
        .arg(&a)
        .arg(&empty)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("empty").and(predicate::str::contains("manifest.json is missing")));
}

/// A small sweep of the tiny scenario: three points of one parameter.
const SWEEP: &str = "base = \"tiny.toml\"\n[sweep]\nname = \"tiny-sweep\"\ndesign = \"grid\"\nreplicates = 2\n\
arms = [\"laissez_faire\", \"usage_leaderboard\"]\n[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\n\
values = [4.0, 8.0, 12.0]\n";

fn sweep(dir: &Path, out: &str, args: &[&str]) -> PathBuf {
    std::fs::write(dir.join("tiny.toml"), TINY).unwrap();
    std::fs::write(dir.join("sweep.toml"), SWEEP).unwrap();
    let out = dir.join(out);
    tokenmaxx()
        .arg("sweep")
        .arg(dir.join("sweep.toml"))
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .args(args)
        .assert()
        .success();
    out
}

/// Two sweeps differing in one setting (`--set` employees): compared per
/// arm (paired by point and seed) and point by point; the setting is the
/// one difference listed; the report names the folders, escaped.
#[test]
fn two_sweeps_differing_in_one_setting_compare_per_arm_and_per_point() {
    let dir = tempfile::tempdir().unwrap();
    let a = sweep(dir.path(), "a<b>", &[]);
    let b = sweep(dir.path(), "b", &["--set", "enterprises.acme.employees=9"]);
    let out = dir.path().join("out");
    compare(&a, &b, &out);
    // Per arm: every run of an arm, paired by (point, seed).
    let r = row(&out, "usage_leaderboard", "net_value_usd");
    assert_eq!(r["method"], "paired");
    assert_eq!(r["pairs"], "6", "3 points x 2 replicates");
    let net = |dir: &Path| -> Vec<f64> {
        rows(&dir.join("runs.csv"))
            .iter()
            .filter(|r| r["policy"] == "usage_leaderboard")
            .map(|r| num(r, "value_usd") - num(r, "spend_usd"))
            .collect()
    };
    let (na, nb) = (net(&a), net(&b));
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert!((num(&r, "difference") - (mean(&nb) - mean(&na))).abs() < 1e-6 * (1.0 + mean(&na).abs()));
    // Per point: each point's difference of means, its pairs.
    let points = rows(&out.join("point_comparison.csv"));
    assert_eq!(points.len(), 3 * 2 * 5, "3 points x 2 arms x 5 metrics");
    let runs_a = rows(&a.join("runs.csv"));
    let runs_b = rows(&b.join("runs.csv"));
    for p in ["0", "1", "2"] {
        let at = |runs: &[BTreeMap<String, String>]| -> f64 {
            mean(
                &runs
                    .iter()
                    .filter(|r| r["policy"] == "laissez_faire" && r["point"] == p)
                    .map(|r| num(r, "spend_usd"))
                    .collect::<Vec<f64>>(),
            )
        };
        let row = points
            .iter()
            .find(|r| r["point"] == p && r["policy"] == "laissez_faire" && r["metric"] == "spend_usd")
            .unwrap();
        assert!((num(row, "difference") - (at(&runs_b) - at(&runs_a))).abs() < 1e-6 * (1.0 + at(&runs_a)));
        assert_eq!(row["pairs"], "2");
    }
    // The one setting that differs, and nothing else.
    let diffs = rows(&out.join("differences.csv"));
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(diffs[0]["key"], "amendments");
    assert!(diffs[0]["b"].contains("enterprises.acme.employees=9"));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("## Points"), "{summary}");
    assert!(
        summary.contains("at 3 points") || summary.contains("of 3 points"),
        "{summary}"
    );
    // Every new column is in the data dictionary, and the report escapes
    // the folder's name.
    let columns = std::fs::read_to_string(out.join("columns.csv")).unwrap();
    assert!(columns.contains("point_comparison.csv,point,"), "{columns}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("a&lt;b&gt;") && !html.contains("a<b>"),
        "name not escaped"
    );
    assert!(!html.contains(dir.path().to_str().unwrap()), "a path in the report");
}

/// Two sweeps of different shape are refused, each difference named;
/// two sweeps that drew different points compare per arm, unpaired.
#[test]
fn sweeps_of_different_shape_are_refused_and_different_points_are_not_paired() {
    let dir = tempfile::tempdir().unwrap();
    let a = sweep(dir.path(), "a", &[]);
    std::fs::write(
        dir.path().join("other.toml"),
        SWEEP.replace(
            "values = [4.0, 8.0, 12.0]",
            "values = [4.0, 8.0]\n[[sweep.parameters]]\nkey = \"behaviour.mandate_usd\"\nvalues = [0.0, 50.0]",
        ),
    )
    .unwrap();
    let other = dir.path().join("other");
    tokenmaxx()
        .arg("sweep")
        .arg(dir.path().join("other.toml"))
        .args(["-q", "--out"])
        .arg(&other)
        .assert()
        .success();
    tokenmaxx()
        .arg("compare")
        .arg(&a)
        .arg(&other)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("are studies of different shape"))
        .stderr(predicate::str::contains("points: A 3, B 4"))
        .stderr(predicate::str::contains("varied only in B: `behaviour.mandate_usd`"));
    assert!(!dir.path().join("out").exists(), "nothing written");
    // The same shape, other points (a range drawn with another seed would
    // do the same): per arm, Welch, no point_comparison.csv.
    std::fs::write(
        dir.path().join("shifted.toml"),
        SWEEP.replace("values = [4.0, 8.0, 12.0]", "values = [5.0, 9.0, 13.0]"),
    )
    .unwrap();
    let shifted = dir.path().join("shifted");
    tokenmaxx()
        .arg("sweep")
        .arg(dir.path().join("shifted.toml"))
        .args(["-q", "--out"])
        .arg(&shifted)
        .assert()
        .success();
    let out = dir.path().join("out2");
    compare(&a, &shifted, &out);
    assert_eq!(row(&out, "laissez_faire", "net_value_usd")["method"], "welch");
    assert!(!out.join("point_comparison.csv").exists());
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("drew different points"), "{summary}");
}

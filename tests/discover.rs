//! Scenario discovery with PRIM: pinned to EMA Workbench's trajectory on a
//! fixed dataset, a known box recovered, no box from noise.

use tokenmaxx::experiment::prim::{self, Data, Settings};

fn read_csv(path: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(|v| v.parse::<f64>().unwrap()).collect())
        .collect();
    (head, rows)
}

/// Our trajectory equals EMA Workbench 2.5.3's on the fixture of
/// tests/fixtures/prim (made by make_reference.py there): every step's
/// coverage, density, mass, counts, limits and quasi-p-values.
#[test]
fn the_trajectory_matches_ema_workbench() {
    let (_, data) = read_csv("tests/fixtures/prim/data.csv");
    let x: Vec<Vec<f64>> = (0..5).map(|j| data.iter().map(|r| r[j]).collect()).collect();
    let y: Vec<bool> = data.iter().map(|r| r[5] == 1.0).collect();
    let steps = prim::trajectory(&Data { x: &x, y: &y }, &Settings::default());
    let (head, reference) = read_csv("tests/fixtures/prim/trajectory.csv");
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    assert_eq!(steps.len(), reference.len(), "trajectory length");
    for (s, r) in steps.iter().zip(&reference) {
        let at = r[col("step")];
        assert_eq!(s.n as f64, r[col("n")], "step {at}: n");
        assert_eq!(s.k as f64, r[col("k")], "step {at}: k");
        assert!((s.coverage - r[col("coverage")]).abs() < 1e-12, "step {at}: coverage");
        assert!((s.density - r[col("density")]).abs() < 1e-12, "step {at}: density");
        assert!((s.mass - r[col("mass")]).abs() < 1e-12, "step {at}: mass");
        for j in 0..5 {
            let (lo, hi) = s.limits[j];
            assert_eq!(lo, r[col(&format!("x{j}_low"))], "step {at}: x{j} low");
            assert_eq!(hi, r[col(&format!("x{j}_high"))], "step {at}: x{j} high");
            for (ours, side) in [(s.qp[j].0, "low"), (s.qp[j].1, "high")] {
                let theirs = r[col(&format!("x{j}_qp_{side}"))];
                if theirs == -1.0 {
                    assert!(ours.is_nan(), "step {at}: x{j} {side} restricted only here");
                } else {
                    assert!(
                        (ours - theirs).abs() <= 1e-9 * theirs.max(1e-300) + 1e-15,
                        "step {at}: x{j} qp {side}: {ours} vs {theirs}"
                    );
                }
            }
        }
    }
}

/// Synthetic data: `n` uniform points in 5 dimensions; y is 1 with
/// probability `inside` in the box x0 > 0.6 and x2 < 0.4 and `outside`
/// elsewhere.
fn synthetic(seed: u64, n: usize, inside: f64, outside: f64) -> (Vec<Vec<f64>>, Vec<bool>) {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let x: Vec<Vec<f64>> = (0..5).map(|_| (0..n).map(|_| rng.random::<f64>()).collect()).collect();
    let y = (0..n)
        .map(|i| {
            let p = if x[0][i] > 0.6 && x[2][i] < 0.4 {
                inside
            } else {
                outside
            };
            rng.random::<f64>() < p
        })
        .collect();
    (x, y)
}

/// A box in 2 of 5 dimensions, with 10 % noise both ways, is found: the
/// chosen box (insignificant limits dropped) restricts x0 from below near
/// 0.6 and x2 from above near 0.4, and nothing else, on each of ten
/// datasets.
#[test]
fn a_known_box_is_recovered() {
    for seed in 0..10 {
        let (x, y) = synthetic(seed, 500, 0.9, 0.1);
        let data = Data { x: &x, y: &y };
        let steps = prim::trajectory(&data, &Settings::default());
        let (_, s) = prim::choose(&data, &steps).unwrap_or_else(|| panic!("seed {seed}: no box"));
        let init = data.initial_box();
        assert_eq!(s.restricted(&init), vec![0, 2], "seed {seed}: {:?}", s.limits);
        assert!(
            (s.limits[0].0 - 0.6).abs() < 0.08,
            "seed {seed}: x0 from {}",
            s.limits[0].0
        );
        assert!(
            (s.limits[2].1 - 0.4).abs() < 0.08,
            "seed {seed}: x2 up to {}",
            s.limits[2].1
        );
        assert!(s.density > 0.7 && s.coverage >= 0.5, "seed {seed}: {s:?}");
    }
}

/// Without signal (y independent of x) no box is chosen, on each of ten
/// datasets: every box PRIM peels by chance loses its limits to their
/// quasi-p-values, or its coverage.
#[test]
fn noise_yields_no_box() {
    for seed in 100..110 {
        let (x, y) = synthetic(seed, 500, 0.3, 0.3);
        let data = Data { x: &x, y: &y };
        let steps = prim::trajectory(&data, &Settings::default());
        let found = prim::choose(&data, &steps);
        assert!(found.is_none(), "seed {seed}: a box in noise: {found:?}");
    }
}

/// `discover` on real results: a worlds run gives the sentence, the files
/// and the charts; bad requests are refused, naming what is missing, and
/// write nothing.
#[test]
fn discover_on_a_worlds_run_and_bad_requests() {
    use assert_cmd::Command;
    use predicates::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("small.toml");
    std::fs::write(
        &scenario,
        "name = \"small\"\nweeks = 26\nreplicates = 1\n[enterprises.acme]\nemployees = 20\n",
    )
    .unwrap();
    let tm = || Command::cargo_bin("tokenmaxx").unwrap();
    let worlds = dir.path().join("worlds");
    tm().arg("run")
        .arg(&scenario)
        .args([
            "--worlds",
            "60",
            "--vary",
            "employees.tasks_per_week",
            "--vary",
            "behaviour.mandate_usd",
            "-q",
            "--out",
        ])
        .arg(&worlds)
        .assert()
        .success();
    let run = dir.path().join("run");
    tm().arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&run)
        .arg("-q")
        .assert()
        .success();
    let discovery = worlds.join("discovery");
    // The request most of this test makes: where laissez-faire beats the leaderboard.
    let discover_laissez_faire = || {
        tm().arg("discover")
            .arg(&worlds)
            .args([
                "--policy",
                "laissez_faire",
                "--against",
                "usage_leaderboard",
                "--bootstrap",
                "20",
            ])
            .assert()
            .success()
    };
    let refuse = |args: &[&str], results: &std::path::Path, expected: &str| {
        tm().arg("discover")
            .arg(results)
            .args(args)
            .assert()
            .failure()
            .stderr(predicate::str::contains(expected));
        assert!(!discovery.exists(), "{args:?} wrote {}", discovery.display());
    };
    refuse(&["--policy", "usage_leaderboard"], &run, "no varied parameters");
    refuse(
        &["--policy", "usage_leaderbord"],
        &worlds,
        "policy `usage_leaderbord` has no runs",
    );
    refuse(
        &["--policy", "usage_leaderboard", "--metric", "spend_usb"],
        &worlds,
        "did you mean `spend_usd`",
    );
    refuse(
        &[
            "--policy",
            "usage_leaderboard",
            "--against",
            "laissez_faire",
            "--threshold",
            "1e15",
        ],
        &worlds,
        "in none of the 60 points",
    );
    refuse(
        &["--policy", "usage_leaderboard", "--threshold", "5,000"],
        &worlds,
        "`5,000` is not an amount of money",
    );
    // A threshold in money, read and said as money.
    let money = tm()
        .arg("discover")
        .arg(&worlds)
        .args([
            "--policy",
            "usage_leaderboard",
            "--against",
            "laissez_faire",
            "--threshold",
            "-50k",
            "--bootstrap",
            "5",
        ])
        .assert()
        .success();
    let said = String::from_utf8(money.get_output().stdout.clone()).unwrap();
    assert!(said.contains("on net value is above -$50k in"), "{said}");
    std::fs::remove_dir_all(&discovery).unwrap();
    let out = discover_laissez_faire();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("Laissez-faire beats Usage leaderboard on net value in"),
        "{text}"
    );
    assert!(text.contains("of 60 plausible worlds"), "{text}");
    // No box is chosen here, so the trade-off chart's legend names no
    // chosen box (it once listed "pasting" and "chosen box" whatever was
    // drawn).
    assert!(text.contains("PRIM finds no region"), "{text}");
    let svg = std::fs::read_to_string(discovery.join("charts/tradeoff.svg")).unwrap();
    assert!(svg.contains(">peeling<"), "the legend is drawn as text");
    assert!(
        !svg.contains(">chosen box<") && !svg.contains("chosen: "),
        "a chosen box in the legend"
    );
    let trajectory = std::fs::read_to_string(discovery.join("trajectory.csv")).unwrap();
    let column = trajectory
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "pasted")
        .unwrap();
    let pasted = trajectory
        .lines()
        .skip(1)
        .any(|l| l.split(',').nth(column) == Some("true"));
    assert_eq!(
        svg.contains(">pasting<"),
        pasted,
        "pasting in the legend iff a step was pasted"
    );
    for f in [
        "trajectory.csv",
        "boxes.csv",
        "summary.md",
        "manifest.json",
        "charts/tradeoff.png",
    ] {
        assert!(discovery.join(f).exists(), "{f}");
    }
    // Titles and source lines name the study (the worlds run of `small`),
    // never a folder or a machine path (issue 26).
    let path = dir.path().to_str().unwrap();
    for charts in [worlds.join("charts"), discovery.join("charts")] {
        for e in std::fs::read_dir(&charts).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "svg") {
                let svg = std::fs::read_to_string(&p).unwrap();
                assert!(!svg.contains(path), "{} holds a path", p.display());
                assert!(svg.contains("small-worlds"), "{} names the study", p.display());
            }
        }
    }
    // The same request again replaces its own result with the same bytes.
    let before = std::fs::read(discovery.join("trajectory.csv")).unwrap();
    discover_laissez_faire();
    assert_eq!(before, std::fs::read(discovery.join("trajectory.csv")).unwrap());

    // `plot` on the discovery folder is refused, with advice that names the
    // folder studied and the discovery's own request, and touches nothing
    // (before: it advised `tokenmaxx run … --out` into the discovery).
    let files = |d: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = [
            "manifest.json",
            "trajectory.csv",
            "charts/tradeoff.png",
            "charts/tradeoff.svg",
        ]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(d.join(f)).unwrap()))
        .collect();
        v.sort();
        v
    };
    let untouched = files(&discovery);
    tm().arg("plot").arg(&discovery).assert().failure().stderr(
        predicate::str::contains("holds a scenario discovery")
            .and(predicate::str::contains("tokenmaxx plot"))
            .and(predicate::str::contains(
                "--policy laissez_faire --against usage_leaderboard --metric net_value",
            )),
    );
    assert_eq!(files(&discovery), untouched, "a refused plot wrote into the discovery");
    // The advice works: the studied folder redrawn dark, the discovery run
    // again draws its charts in that look, and the report reads both.
    tm().arg("plot")
        .arg(&worlds)
        .args(["--theme", "dark"])
        .assert()
        .success();
    discover_laissez_faire();
    let dark = std::fs::read(discovery.join("charts/tradeoff.png")).unwrap();
    assert_ne!(dark, untouched[0].1, "the discovery's chart in the folder's dark look");
    assert_eq!(before, std::fs::read(discovery.join("trajectory.csv")).unwrap());
    tm().arg("report").arg(&worlds).assert().success();
}

/// The example `discover --help` gives finds a box on the bundled worlds
/// study (`scenarios/sweeps/when-incentives-pay.toml`), here run on fewer
/// worlds of a smaller company to stay quick; the arguments are read from
/// the help text itself, so the example cannot drift from what is tested.
/// Also: `--cases` refusals, its exclusion of `--threshold`, and the
/// trade-off chart zoomed to its boxes with the axis saying so.
#[test]
fn the_help_example_finds_a_box_with_a_share_of_cases() {
    use assert_cmd::Command;
    use predicates::prelude::*;
    let tm = || Command::cargo_bin("tokenmaxx").unwrap();
    let help = tm().args(["discover", "--help"]).assert().success();
    let help = String::from_utf8(help.get_output().stdout.clone()).unwrap();
    let example = help
        .split("tokenmaxx discover output/sweeps/when-incentives-pay")
        .nth(1)
        .expect("an example in discover --help")
        .split("\n\n")
        .next()
        .unwrap()
        .replace("\\\n", " ");
    let args: Vec<&str> = example.split_whitespace().collect();
    assert!(args.contains(&"--cases"), "{args:?}");
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("study");
    tm().args([
        "sweep",
        "scenarios/sweeps/when-incentives-pay.toml",
        "--points",
        "60",
        "--replicates",
        "1",
    ])
    .args([
        "--set",
        "weeks=52",
        "--set",
        "enterprises.acme.employees=200",
        "-q",
        "--out",
    ])
    .arg(&study)
    .assert()
    .success();
    let found = tm()
        .arg("discover")
        .arg(&study)
        .args(&args)
        .args(["--bootstrap", "20"])
        .assert()
        .success();
    let said = String::from_utf8(found.get_output().stdout.clone()).unwrap();
    assert!(said.contains("is among its highest 20 %"), "{said}");
    assert!(said.contains("of those lie where"), "no box found: {said}");
    assert!(said.contains("in 20 % of 60 plausible worlds"), "{said}");
    let discovery = study.join("discovery");
    let manifest = std::fs::read_to_string(discovery.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"cases\": \"top:0.2\""), "{manifest}");
    // Every box covers most cases here: the coverage axis is zoomed, and says so.
    let svg = std::fs::read_to_string(discovery.join("charts/tradeoff.svg")).unwrap();
    assert!(svg.contains("coverage (axis zoomed to"), "coverage axis not zoomed");
    assert!(svg.contains("not from 0)"));
    assert!(svg.contains(">chosen box<"), "the chosen box in the legend");
    // `plot`'s advice repeats the request with --cases, not a threshold.
    tm().arg("plot")
        .arg(&discovery)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--cases top:0.2").and(predicate::str::contains("--threshold").not()));
    // Refusals, each saying how to write it; nothing is replaced.
    let before = std::fs::read(discovery.join("trajectory.csv")).unwrap();
    for (cases, expected) in [
        ("top:1.5", "the share must be above 0 and below 1"),
        ("top:0", "the share must be above 0 and below 1"),
        ("top:abc", "`abc` is not a number"),
        ("bottom:", "gives no share after `bottom:`"),
        ("tpo:0.2", "did you mean `top`"),
        ("0.2", "is not a share of cases"),
    ] {
        tm().arg("discover")
            .arg(&study)
            .args(["--policy", "usage_leaderboard", "--cases", cases])
            .assert()
            .failure()
            .stderr(predicate::str::contains(expected).and(predicate::str::contains("top:0.2")));
    }
    tm().arg("discover")
        .arg(&study)
        .args([
            "--policy",
            "usage_leaderboard",
            "--cases",
            "top:0.2",
            "--threshold",
            "-5M",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot be used with"));
    assert_eq!(before, std::fs::read(discovery.join("trajectory.csv")).unwrap());
    // `bottom` takes the lowest values, `20%` reads as 0.2.
    let low = tm()
        .arg("discover")
        .arg(&study)
        .args([
            "--policy",
            "usage_leaderboard",
            "--cases",
            "bottom:20%",
            "--bootstrap",
            "5",
        ])
        .assert()
        .success();
    let said = String::from_utf8(low.get_output().stdout.clone()).unwrap();
    assert!(said.contains("net value is among its lowest 20 % (at most"), "{said}");
}

#[test]
fn a_share_of_cases_is_read_as_written() {
    use tokenmaxx::jobs::discover::Cases;
    assert_eq!(Cases::parse("top:0.2"), Ok(Cases { top: true, share: 0.2 }));
    assert_eq!(
        Cases::parse(" Bottom: 25% "),
        Ok(Cases {
            top: false,
            share: 0.25
        })
    );
    for bad in [
        "top:1", "top:-0.1", "top:nan", "bottom:", ":0.2", "top", "top:1.5", "top:abc", "",
    ] {
        assert!(Cases::parse(bad).is_err(), "{bad}");
    }
}

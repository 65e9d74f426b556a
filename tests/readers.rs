//! Every kind of output file read by pandas and polars at their default
//! settings (`tests/readers/read_outputs.py`): each column typed right,
//! seeds exact as doubles. Needs python3 with pandas and polars; `.ci/run`
//! installs them when missing and sets TOKENMAXX_REQUIRE_READERS=1, so in
//! CI a missing reader is a failure, elsewhere a loud skip.

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

fn readers_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import pandas, polars"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn every_output_file_is_typed_right_by_pandas_and_polars() {
    if !readers_available() {
        assert!(
            std::env::var("TOKENMAXX_REQUIRE_READERS").is_err(),
            "python3 with pandas and polars is required here (TOKENMAXX_REQUIRE_READERS is set)"
        );
        eprintln!(
            "SKIPPED every_output_file_is_typed_right_by_pandas_and_polars: python3 with pandas and polars not found (pip install pandas polars)"
        );
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // A market run (enterprises.csv), and a Morris sweep (points, runs,
    // summary, verdicts, telemetry, sensitivity).
    fs::write(
        d.join("market.toml"),
        "name = \"market\"\nweeks = 20\nterm_weeks = 10\nreplicates = 3\n[enterprises.acme]\nemployees = 20\n[enterprises.globex]\nemployees = 10\n",
    )
    .unwrap();
    fs::write(
        d.join("sweep.toml"),
        "base = \"market.toml\"\n[sweep]\ndesign = \"morris\"\npoints = 3\nreplicates = 2\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
         [[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_scale\"\nrange = [0.0, 2.0]\n\
         [[sweep.parameters]]\nkey = \"enterprises.acme.employees\"\nrange = [10, 30]\ninteger = true\n",
    )
    .unwrap();
    let bin = || Command::cargo_bin("tokenmaxx").unwrap();
    bin()
        .arg("run")
        .arg(d.join("market.toml"))
        .arg("--out")
        .arg(d.join("run"))
        .arg("-q")
        .assert()
        .success();
    bin()
        .arg("sweep")
        .arg(d.join("sweep.toml"))
        .arg("--out")
        .arg(d.join("sweep"))
        .arg("-q")
        .assert()
        .success();
    // A worlds run (worlds.csv, robust_verdicts.csv) and its discovery
    // (trajectory.csv, boxes.csv).
    bin()
        .arg("run")
        .arg(d.join("market.toml"))
        .args([
            "--worlds",
            "40",
            "--vary",
            "employees.tasks_per_week",
            "--vary",
            "behaviour.mandate_usd",
            "-q",
            "--out",
        ])
        .arg(d.join("worlds"))
        .assert()
        .success();
    bin()
        .arg("discover")
        .arg(d.join("worlds"))
        .args([
            "--policy",
            "laissez_faire",
            "--against",
            "usage_leaderboard",
            "--bootstrap",
            "10",
            // Laissez-faire wins in every world here; by more than $60k in
            // about half of them (a case to tell apart).
            "--threshold",
            "60000",
        ])
        .assert()
        .success();
    // A policy search (front, archive, convergence, validation).
    fs::write(
        d.join("search.toml"),
        "base = \"market.toml\"\n[optimize]\nevaluations = 8\npopulation = 4\nworlds = 2\npolicy = \"candidate\"\n\
         references = [\"laissez_faire\"]\n[[lever]]\nkey = \"policies.candidate.token_reward_usd_per_mtok\"\nrange = [0.0, 20.0]\n\
         [[objective]]\nmetric = \"net_value_usd\"\nmeasure = \"mean\"\ndirection = \"maximize\"\nepsilon = 1.0\n\
         [[objective]]\nmetric = \"spend_usd\"\nmeasure = \"mean\"\ndirection = \"minimize\"\nepsilon = 1.0\n\
         [[constraint]]\nmetric = \"net_value_usd\"\nmeasure = \"share_below\"\nthreshold = 0.0\nmax = 0.5\n",
    )
    .unwrap();
    bin()
        .arg("optimize")
        .arg(d.join("search.toml"))
        .arg("--out")
        .arg(d.join("search"))
        .arg("-q")
        .assert()
        .success();
    let counts = serde_json::to_string(tokenmaxx::engine::metrics::COUNTS).unwrap();
    let out = std::process::Command::new("python3")
        .arg("tests/readers/read_outputs.py")
        .arg(counts)
        .arg(d.join("run"))
        .arg(d.join("sweep"))
        .arg(d.join("worlds"))
        .arg(d.join("worlds").join("discovery"))
        .arg(d.join("search"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    // 24 result files and the columns.csv of each of the 5 folders.
    assert!(text.contains("read 29 files"), "{text}");
    // The data dictionary describes every column of these files too (a
    // market's enterprises.csv, a search's constraint columns).
    let dictionary = tokenmaxx::output::columns::dictionary();
    for folder in ["run", "sweep", "worlds", "worlds/discovery", "search"] {
        for e in fs::read_dir(d.join(folder)).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_none_or(|x| x != "csv") {
                continue;
            }
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            for column in csv::Reader::from_path(&path).unwrap().headers().unwrap() {
                assert!(
                    tokenmaxx::output::columns::describe(&dictionary, &name, column).is_some(),
                    "{folder}/{name}: column {column} is missing from src/output/columns.rs"
                );
            }
        }
    }
}

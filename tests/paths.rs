//! Names, never paths (issue 26, item 2): no output file of any command
//! holds the absolute path of the folder it was written to or read from.
//! Every command runs in a temporary folder whose path holds a marker,
//! with every input and output given as an absolute path, and every file
//! written (CSV, Markdown, JSON, SVG, HTML, PNG as bytes, the lock file)
//! is scanned for the marker, and so is every part of a slide deck (a zip
//! whose XML parts are compressed, so its bytes alone would hide a path).

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

const MARKER: &str = "ABSMARKER-q7x";

const SMALL: &str = "name = \"small\"\ndescription = \"A small test company.\"\nweeks = 8\nreplicates = 2\n\
arms = [\"laissez_faire\", \"usage_leaderboard\"]\n[enterprises.acme]\nemployees = 12\n";

/// Every file under `dir` (recursively), as absolute paths.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The bytes to scan of a written file: the file itself, and for a zip
/// (a .pptx) every part unpacked, each named `file!part`.
fn scanned_parts(file: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = fs::read(file).unwrap();
    let mut parts = Vec::new();
    if file.extension().is_some_and(|x| x == "pptx") {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone()))
            .unwrap_or_else(|e| panic!("{} is not a zip: {e}", file.display()));
        assert!(zip.len() > 5, "{} has {} parts", file.display(), zip.len());
        for i in 0..zip.len() {
            let mut part = zip.by_index(i).unwrap();
            let mut body = Vec::new();
            part.read_to_end(&mut body).unwrap();
            parts.push((format!("{}!{}", file.display(), part.name().unwrap()), body));
        }
    }
    parts.push((file.display().to_string(), bytes));
    parts
}

#[test]
fn scanning_a_deck_finds_a_path_in_its_compressed_parts() {
    // The guard itself: a path only inside a deflated XML part is found.
    let tmp = tempfile::tempdir().unwrap();
    let deck = tmp.path().join("d.pptx");
    let mut zip = zip::ZipWriter::new(fs::File::create(&deck).unwrap());
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..6 {
        zip.start_file(format!("ppt/slides/slide{i}.xml"), deflated).unwrap();
        let text = if i == 3 {
            format!("<a:t>/home/x/{MARKER}/results</a:t>")
        } else {
            "<a:t>fine</a:t>".to_string()
        };
        std::io::Write::write_all(&mut zip, text.repeat(20).as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    assert!(!contains(&fs::read(&deck).unwrap(), MARKER.as_bytes()), "deflated");
    let hits: Vec<String> = scanned_parts(&deck)
        .into_iter()
        .filter(|(_, b)| contains(b, MARKER.as_bytes()))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].ends_with("!ppt/slides/slide3.xml"), "{hits:?}");
}

#[test]
fn no_output_file_of_any_command_holds_an_absolute_path() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join(MARKER);
    let inputs = root.join("inputs");
    let results = root.join("results");
    fs::create_dir_all(&inputs).unwrap();
    fs::create_dir_all(&results).unwrap();
    let input = |name: &str, text: &str| {
        let p = inputs.join(name);
        fs::write(&p, text).unwrap();
        p
    };
    let scenario = input("small.toml", SMALL);
    let sweep = input(
        "screen.toml",
        "base = \"small.toml\"\n[sweep]\ndesign = \"morris\"\npoints = 2\nreplicates = 1\n\
[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nlabel = \"Workload\"\nrange = [6.0, 20.0]\n\
[[sweep.parameters]]\nkey = \"agent.noise_prob_agent\"\nrange = [0.2, 0.8]\n",
    );
    let evidence = input(
        "evidence.toml",
        "base = \"small.toml\"\n[calibrate]\nparticles = 8\ngenerations = 1\nseed = 3\nmin_acceptance = 0.0\n\
[[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
[[target]]\nname = \"tasks a week\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 600.0\ntolerance = [300.0, 1200.0]\nrole = \"fit\"\n",
    );
    let study = input(
        "study.toml",
        &format!(
            "base = {:?}\n[optimize]\nname = \"tiny\"\nevaluations = 8\npopulation = 4\nworlds = 2\nvalidation_worlds = 2\nseed = 5\n\
policy = \"candidate\"\nreferences = [\"laissez_faire\"]\n\
[[lever]]\nkey = \"policies.candidate.token_reward_usd_per_mtok\"\nrange = [0.0, 20.0]\n\
[[objective]]\nmetric = \"net_value_usd\"\nmeasure = \"mean\"\ndirection = \"maximize\"\nepsilon = 1000.0\n",
            "small.toml"
        ),
    );
    let out = |name: &str| results.join(name);
    let ok = |args: &[&std::ffi::OsStr]| {
        tokenmaxx().args(args).assert().success();
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);

    ok(&[
        os("run"),
        scenario.as_os_str(),
        os("--out"),
        out("run").as_os_str(),
        os("-q"),
    ]);
    ok(&[
        os("run"),
        scenario.as_os_str(),
        os("--worlds"),
        os("16"),
        os("--replicates"),
        os("1"),
        os("--vary"),
        os("employees.tasks_per_week"),
        os("--vary"),
        os("behaviour.mandate_usd"),
        os("--out"),
        out("worlds").as_os_str(),
        os("-q"),
    ]);
    ok(&[
        os("sweep"),
        sweep.as_os_str(),
        os("--out"),
        out("sweep").as_os_str(),
        os("-q"),
    ]);
    ok(&[
        os("calibrate"),
        evidence.as_os_str(),
        os("--out"),
        out("cal").as_os_str(),
        os("-q"),
    ]);
    ok(&[
        os("discover"),
        out("worlds").as_os_str(),
        os("--policy"),
        os("laissez_faire"),
        os("--metric"),
        os("spend_usd"),
        os("--threshold"),
        os("9500"),
        os("--bootstrap"),
        os("5"),
    ]);
    ok(&[
        os("optimize"),
        study.as_os_str(),
        os("--out"),
        out("opt").as_os_str(),
        os("-q"),
        os("--set"),
        os("weeks=6"),
    ]);
    for folder in ["run", "worlds", "sweep"] {
        ok(&[os("plot"), out(folder).as_os_str()]);
    }
    ok(&[
        os("plot"),
        out("run").as_os_str(),
        os("--out"),
        out("run-charts").as_os_str(),
    ]);
    for folder in ["run", "worlds", "sweep", "cal", "opt"] {
        ok(&[os("report"), out(folder).as_os_str()]);
        ok(&[os("report"), out(folder).as_os_str(), os("--format"), os("md")]);
        ok(&[os("report"), out(folder).as_os_str(), os("--format"), os("pptx")]);
    }
    // A comparison of two runs, and its report.
    ok(&[
        os("run"),
        scenario.as_os_str(),
        os("--seed"),
        os("9"),
        os("--out"),
        out("run2").as_os_str(),
        os("-q"),
    ]);
    ok(&[
        os("compare"),
        out("run").as_os_str(),
        out("run2").as_os_str(),
        os("--out"),
        out("cmp").as_os_str(),
        os("-q"),
    ]);
    ok(&[os("report"), out("cmp").as_os_str(), os("--format"), os("md")]);
    let elsewhere = root.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    ok(&[
        os("report"),
        out("run").as_os_str(),
        os("--format"),
        os("md"),
        os("--out"),
        elsewhere.join("run.md").as_os_str(),
    ]);

    let absolute = [
        root.display().to_string(),
        tmp.path().display().to_string(),
        tmp.path().canonicalize().unwrap().display().to_string(),
    ];
    let mut offenders = Vec::new();
    let written: Vec<PathBuf> = [results.as_path(), elsewhere.as_path()]
        .iter()
        .flat_map(|d| files_under(d))
        .collect();
    assert!(written.len() > 60, "{} files written", written.len());
    for kind in ["csv", "md", "json", "svg", "html", "png", "pptx"] {
        assert!(
            written.iter().any(|p| p.extension().is_some_and(|x| x == kind)),
            "no .{kind} file was scanned"
        );
    }
    let mut decks = 0;
    for file in &written {
        let parts = scanned_parts(file);
        decks += usize::from(parts.len() > 1);
        for (name, bytes) in parts {
            let hit = contains(&bytes, MARKER.as_bytes()) || absolute.iter().any(|a| contains(&bytes, a.as_bytes()));
            if hit {
                offenders.push(name);
            }
        }
    }
    assert_eq!(decks, 5, "one deck a reported folder");
    assert!(offenders.is_empty(), "files holding an absolute path: {offenders:#?}");

    // Manifests record an input typed as an absolute path by its file name
    // (with its SHA-256), and name the study in titles.
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out("run").join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scenario_path"], "small.toml");
    let sha = tokenmaxx::output::sha256_hex(SMALL.as_bytes());
    assert_eq!(manifest["scenario_sha256"], sha.as_str());
    let svg = fs::read_to_string(out("run").join("charts/spend_vs_value.svg")).unwrap();
    assert!(svg.contains("small"), "the chart names the scenario");

    every_written_column_is_in_the_data_dictionary(&written);
}

/// The data dictionary (issue 29): every column of every CSV file the
/// commands above wrote is described in `output::columns`, and every
/// results folder holds `columns.csv`, listed in its manifest, with the
/// rows of its own CSV files.
fn every_written_column_is_in_the_data_dictionary(written: &[PathBuf]) {
    use tokenmaxx::output::columns;
    let dictionary = columns::dictionary();
    let mut missing = Vec::new();
    let mut files = std::collections::BTreeSet::new();
    for path in written.iter().filter(|p| p.extension().is_some_and(|x| x == "csv")) {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let mut reader = csv::Reader::from_path(path).unwrap();
        for column in reader.headers().unwrap() {
            if columns::describe(&dictionary, &name, column).is_none() {
                missing.push(format!("{name}: {column}"));
            }
        }
        files.insert(name);
    }
    assert!(
        missing.is_empty(),
        "columns missing from src/output/columns.rs: {missing:#?}"
    );
    for kind in [
        "runs.csv",
        "weekly.csv",
        "points.csv",
        "worlds.csv",
        "robust_verdicts.csv",
        "sensitivity.csv",
        "posterior.csv",
        "ppc.csv",
        "trajectory.csv",
        "boxes.csv",
        "front.csv",
        "validation.csv",
        "comparison.csv",
        "differences.csv",
    ] {
        assert!(
            files.contains(kind),
            "no {kind} was written, so its columns went unchecked"
        );
    }
    let manifests: Vec<&PathBuf> = written
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "manifest.json"))
        .collect();
    assert!(manifests.len() >= 7, "{manifests:?}");
    for manifest in manifests {
        let folder = manifest.parent().unwrap();
        let m: serde_json::Value = serde_json::from_slice(&fs::read(manifest).unwrap()).unwrap();
        let listed = &m["files_sha256"][columns::FILE];
        assert!(
            listed.is_string(),
            "{}: the manifest does not list columns.csv",
            folder.display()
        );
        let bytes = fs::read(folder.join(columns::FILE)).unwrap();
        assert_eq!(listed.as_str().unwrap(), tokenmaxx::output::sha256_hex(&bytes));
        let text = String::from_utf8(bytes).unwrap();
        for f in fs::read_dir(folder).unwrap() {
            let name = f.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".csv") {
                assert!(
                    text.lines().any(|l| l.starts_with(&format!("{name},"))),
                    "{}: columns.csv has no row of {name}",
                    folder.display()
                );
            }
        }
    }
}

/// An input typed as a relative path is recorded as typed.
#[test]
fn a_relative_input_path_is_recorded_as_typed() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("in")).unwrap();
    fs::write(tmp.path().join("in/small.toml"), SMALL).unwrap();
    tokenmaxx()
        .current_dir(tmp.path())
        .args(["run", "in/small.toml", "--out", "res", "-q"])
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("res/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scenario_path"], "in/small.toml");
}

//! The invariants ARCHITECTURE.md states as absences, checked on the source
//! tree: the model and engine do no I/O, only the scenario layer knows TOML,
//! only three files write result files, no policy is named in the model or
//! engine, the top-level modules import each other without a cycle, and
//! every file starts by saying what it is for.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its code (a file's `#[cfg(test)]`
/// module and comments removed: tests may read fixtures, comments may
/// mention anything).
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            (p, code)
        })
        .collect()
}

fn under(p: &Path, dir: &str) -> bool {
    p.starts_with(Path::new("src").join(dir))
}

fn offenders(pred: impl Fn(&Path) -> bool, needles: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (p, code) in sources() {
        if !pred(&p) {
            continue;
        }
        for n in needles {
            if code.contains(n) {
                out.push(format!("{} uses `{n}`", p.display()));
            }
        }
    }
    out
}

#[test]
fn the_model_and_engine_do_no_io() {
    let io = [
        "std::fs",
        "std::io",
        "std::env",
        "std::time",
        "std::thread",
        "std::net",
        "println!",
        "eprintln!",
        "print!",
        "rayon",
    ];
    let bad = offenders(|p| under(p, "model") || under(p, "engine") || under(p, "optimize"), &io);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn only_the_scenario_layer_knows_toml() {
    let bad = offenders(|p| !under(p, "scenario"), &["toml::", "use toml"]);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn only_the_atomic_writer_the_folder_and_the_sweep_journal_write_files() {
    let writes = [
        "fs::write",
        "File::create",
        "fs::rename",
        "OpenOptions",
        "remove_file",
        "create_dir",
        "set_len(",
    ];
    let allowed = |p: &Path| {
        p == Path::new("src/output/atomic.rs")
            || p == Path::new("src/output/folder.rs")
            || p == Path::new("src/output/safe.rs")
            || p == Path::new("src/jobs/sweep/journal.rs")
    };
    let bad = offenders(|p| !allowed(p), &writes);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn no_policy_is_named_in_the_model_or_engine() {
    let names = [
        "laissez_faire",
        "usage_leaderboard",
        "usage_quota",
        "value_based",
        "efficiency",
        "budget_capped",
    ];
    let bad = offenders(|p| under(p, "model") || under(p, "engine"), &names);
    assert!(bad.is_empty(), "{bad:#?}");
}

/// The top-level module a file belongs to (`model`, `engine`, ...).
fn module_of(p: &Path) -> String {
    let rel = p.strip_prefix("src").unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let files = sources();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|(p, _)| module_of(p))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (p, code) in &files {
        let from = module_of(p);
        if from == "lib" || from == "main" {
            continue;
        }
        for to in &modules {
            if *to != from && code.contains(&format!("crate::{to}")) {
                edges.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    if let Some(cycle) = cycle_in(&edges) {
        panic!("import cycle: {}\nall imports: {edges:#?}", cycle.join(" -> "));
    }
    assert!(
        edges
            .get("jobs")
            .is_some_and(|e| e.contains("engine") || e.contains("experiment")),
        "the scan finds imports: {edges:#?}"
    );
    // The layers, bottom up: what each module may use.
    assert!(!edges.get("model").is_some_and(|e| e.contains("engine")), "{edges:#?}");
    for lower in ["model", "engine", "experiment", "optimize", "stats", "rng"] {
        let e = edges.get(lower).cloned().unwrap_or_default();
        for higher in ["jobs", "output", "plot", "scenario"] {
            assert!(!e.contains(higher), "{lower} imports {higher}: {edges:#?}");
        }
    }
    // Results are read by one layer, which draws and writes nothing; charts
    // and reports both read through it, and neither uses the other.
    let uses = |from: &str, to: &str| edges.get(from).is_some_and(|e| e.contains(to));
    for higher in ["plot", "report", "jobs", "cli"] {
        assert!(!uses("results", higher), "results imports {higher}: {edges:#?}");
    }
    assert!(uses("plot", "results") && uses("report", "results"), "{edges:#?}");
    assert!(!uses("report", "plot"), "report imports plot: {edges:#?}");
    assert!(!uses("plot", "report"), "plot imports report: {edges:#?}");
}

/// Result CSV files are parsed only in the results layer: no job, chart,
/// report or scenario (a worlds study's posterior.csv included) opens a CSV
/// reader. The one exception is a sweep reading back the runs it journalled
/// while it writes its summary (its own partial file, never a finished
/// folder).
#[test]
fn results_are_read_only_through_the_results_layer() {
    let own_journal = Path::new("src/jobs/sweep/finalize.rs");
    let bad = offenders(
        |p| !under(p, "results") && p != own_journal,
        &["csv::Reader", "csv::ReaderBuilder"],
    );
    assert!(bad.is_empty(), "CSV read outside src/results/: {bad:?}");
    // The scan sees the readers themselves.
    let posterior = fs::read_to_string("src/results/posterior.rs").unwrap();
    assert!(posterior.contains("csv::ReaderBuilder"));
}

#[test]
fn every_source_file_starts_by_saying_what_it_is_for() {
    for e in sources() {
        let text = fs::read_to_string(&e.0).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not start with a //! comment saying what it is for",
            e.0.display()
        );
    }
}

/// A manifest is one typed record: jobs write it and readers read it only
/// through `output::manifest` (issue 24: manifests assembled with `json!`
/// and read by string keys had drifted, calibration writing `evidence`
/// where the report read `evidence_path`).
#[test]
fn manifests_are_written_and_read_only_through_their_typed_records() {
    let bad = offenders(
        |p| p != Path::new("src/output/manifest.rs"),
        &[
            "manifest[",
            "[\"files_sha256\"]",
            "manifest_bytes(",
            "\"evidence_path\"",
        ],
    );
    assert!(bad.is_empty(), "{bad:#?}");
    // The scan sees the records themselves.
    let records = fs::read_to_string("src/output/manifest.rs").unwrap();
    assert!(records.contains("pub struct Manifest") && records.contains("#[serde(tag = \"command\""));
}

/// The files of one folder (`src/engine/accounting.rs`, ...) and what each
/// uses of its siblings, through `super::x` or `crate::folder::x`.
fn sibling_imports(files: &[(PathBuf, String)], dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let stem = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    let siblings: Vec<(String, &String)> = files
        .iter()
        .filter(|(p, _)| p.parent() == Some(dir))
        .map(|(p, code)| (stem(p), code))
        .collect();
    let folder = dir.strip_prefix("src").unwrap().to_string_lossy().replace('/', "::");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, code) in &siblings {
        if from == "mod" {
            continue;
        }
        for (to, _) in &siblings {
            let named = |prefix: &str| {
                let needle = format!("{prefix}{to}");
                code.match_indices(&needle).any(|(i, _)| {
                    code[i + needle.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                })
            };
            if to != from
                && to != "mod"
                && (named("super::") || named(&format!("crate::{folder}::")) || named("super::{"))
            {
                edges.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    edges
}

/// A cycle in `edges`, if there is one.
fn cycle_in(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(1) => {
                let start = path.iter().position(|x| x == m).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(m.to_string());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    edges.keys().find_map(|m| visit(m, edges, &mut state, &mut Vec::new()))
}

/// Inside a folder, files use each other one way (issue 24 found
/// design ↔ sensitivity, data ↔ panels, svg ↔ theme, automation ↔ choice,
/// journal ↔ shard and a knot in engine/).
#[test]
fn files_inside_a_folder_use_each_other_without_a_cycle() {
    let files = sources();
    let dirs: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|(p, _)| p.parent().map(Path::to_path_buf))
        .collect();
    let mut cycles = Vec::new();
    for dir in &dirs {
        if let Some(c) = cycle_in(&sibling_imports(&files, dir)) {
            cycles.push(format!("{}: {}", dir.display(), c.join(" -> ")));
        }
    }
    // The scan sees imports between siblings.
    assert!(
        sibling_imports(&files, Path::new("src/engine"))
            .values()
            .any(|e| !e.is_empty()),
        "the scan finds sibling imports"
    );
    assert!(cycles.is_empty(), "{cycles:#?}");
}

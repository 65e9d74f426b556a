//! Issue 25, class 7, for the files tokenmaxx writes and reads back: state
//! files of interrupted sweeps, calibrations and policy searches, their
//! shard files, a sweep shard's record and a results folder's manifest.
//! Each case copies a folder left by a real command, damages one of its
//! files with adversarial edits, and runs the command that reads it: it
//! must end (no hang), never panic, say "error" when it fails, and write
//! nothing outside its results folder.
//!
//! 24 cases in CI; `FUZZ_FILE_CASES=2000 cargo test --release --test
//! fuzz_files` for a longer run.

use assert_cmd::Command;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const BASE: &str = "name = \"small\"\nweeks = 8\nterm_weeks = 4\nreplicates = 1\n\
arms = [\"laissez_faire\", \"usage_leaderboard\"]\n[enterprises.acme]\nemployees = 5\n";
const SWEEP: &str = "base = \"base.toml\"\n[sweep]\ndesign = \"lhs\"\npoints = 4\n\
[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n";
const EVIDENCE: &str = "base = \"base.toml\"\n[calibrate]\nparticles = 4\ngenerations = 2\nmin_acceptance = 0.0\n\
[[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
[[target]]\nname = \"t\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 300.0\nsd = 150.0\nrole = \"fit\"\n";
const STUDY: &str = "base = \"base.toml\"\n[optimize]\nname = \"tiny\"\nevaluations = 16\npopulation = 8\n\
worlds = 2\nvalidation_worlds = 2\nseed = 5\npolicy = \"candidate\"\nreferences = [\"laissez_faire\"]\n\
[[lever]]\nkey = \"policies.candidate.weekly_budget_usd\"\nrange = [5.0, 500.0]\nlog = true\n\
[[objective]]\nmetric = \"net_value_usd\"\nmeasure = \"mean\"\ndirection = \"maximize\"\nepsilon = 1000.0\n";

fn tokenmaxx(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("tokenmaxx").unwrap();
    c.current_dir(dir).timeout(Duration::from_secs(120));
    c
}

fn ok(mut c: Command) {
    c.assert().success();
}

/// The folders real commands leave, made once: `inputs/` (the files above)
/// and, beside them, a half-done sweep, calibration and search, two sweep
/// shards and a finished run.
fn template() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (name, text) in [
            ("base.toml", BASE),
            ("sweep.toml", SWEEP),
            ("evidence.toml", EVIDENCE),
            ("study.toml", STUDY),
        ] {
            fs::write(d.join(name), text).unwrap();
        }
        // A sweep killed after its first batch (state and partial files).
        let mut c = tokenmaxx(d);
        c.args(["sweep", "sweep.toml", "--out", "sweep"])
            .env("TOKENMAXX_CRASH_AT", "7");
        c.assert().failure();
        assert!(d.join("sweep/.sweep-state.json").exists());
        for shard in ["0/2", "1/2"] {
            let mut c = tokenmaxx(d);
            c.args(["sweep", "sweep.toml", "--out", "shards", "--shard", shard]);
            ok(c);
        }
        // A calibration and a search with a state and a shard file each.
        for args in [
            &["calibrate", "evidence.toml", "--out", "cal", "--gather"][..],
            &["calibrate", "evidence.toml", "--out", "cal", "--shard", "0/1"],
            &["optimize", "study.toml", "--out", "opt", "--gather"],
            &["optimize", "study.toml", "--out", "opt", "--shard", "0/1"],
            &["optimize", "study.toml", "--out", "opt", "--gather"],
            &["optimize", "study.toml", "--out", "opt", "--shard", "0/1"],
            &["run", "base.toml", "--out", "run"],
        ] {
            let mut c = tokenmaxx(d);
            c.args(args);
            ok(c);
        }
        dir
    })
    .path()
}

/// The file a case damages (relative to the folder copy) and the command
/// that reads it.
fn target(which: usize, dir: &Path) -> (PathBuf, Vec<String>) {
    let first = |folder: &str, prefix: &str| -> PathBuf {
        let mut names: Vec<String> = fs::read_dir(dir.join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(prefix) && !n.contains(".tmp-"))
            .collect();
        names.sort();
        Path::new(folder).join(names.first().unwrap_or_else(|| panic!("no {prefix} in {folder}")))
    };
    let words = |w: &str| w.split(' ').map(str::to_string).collect::<Vec<_>>();
    match which {
        0 => (
            "opt/.optimize-state".into(),
            words("optimize study.toml --out opt --resume"),
        ),
        1 => (
            first("opt", ".optimize-shard-"),
            words("optimize study.toml --out opt --gather"),
        ),
        2 => (
            "cal/.calibrate-state".into(),
            words("calibrate evidence.toml --out cal --resume"),
        ),
        3 => (
            first("cal", ".calibrate-shard-"),
            words("calibrate evidence.toml --out cal --gather"),
        ),
        4 => (
            "sweep/.sweep-state.json".into(),
            words("sweep sweep.toml --out sweep --resume"),
        ),
        5 => (
            "sweep/runs.csv.partial".into(),
            words("sweep sweep.toml --out sweep --resume"),
        ),
        6 => (
            "shards/shard-0-of-2/shard.json".into(),
            words("merge shards/shard-0-of-2 shards/shard-1-of-2 --out merged"),
        ),
        7 => ("run/manifest.json".into(), words("report run")),
        _ => ("run/runs.csv".into(), words("plot run --out replot")),
    }
}

/// Every file under `dir` but those under `inside`: path → bytes.
fn snapshot(dir: &Path, inside: &[&str]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            if inside.iter().any(|i| rel.starts_with(i)) {
                continue;
            }
            let meta = fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else {
                found.insert(rel, fs::read(&p).unwrap_or_default());
            }
        }
    }
    found
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// `bytes` with `edits` applied: each replaces a span by adversarial text.
fn mutate(bytes: &[u8], edits: &[(usize, usize, Vec<u8>)]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    for (at, len, insert) in edits {
        let at = at % (bytes.len() + 1);
        let end = (at + len).min(bytes.len());
        bytes.splice(at..end, insert.iter().copied());
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(usize, usize, Vec<u8>)>> {
    let piece = prop_oneof![
        Just(Vec::new()),
        Just(b"\"".to_vec()),
        Just(b"]".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"1e308".to_vec()),
        Just(b"-1".to_vec()),
        Just(b"18446744073709551615".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"../../escaped".to_vec()),
        Just(b"/tmp/escaped".to_vec()),
        Just(b"\x00\x1b[31m".to_vec()),
        Just(b",".to_vec()),
        Just(vec![0xff, 0xfe]),
        "[ -~]{0,12}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    // Edits anywhere in the file: offsets past its end wrap around.
    proptest::collection::vec((0usize..1 << 20, 0usize..64, piece), 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("FUZZ_FILE_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_damaged_file_of_ours_gives_an_error_never_a_panic_a_hang_or_an_escape(
        which in 0usize..9,
        e in edits(),
    ) {
        let sandbox = tempfile::tempdir().unwrap();
        let work = sandbox.path().join("work");
        copy_tree(template(), &work);
        let (file, args) = target(which, &work);
        let bytes = fs::read(work.join(&file)).unwrap();
        fs::write(work.join(&file), mutate(&bytes, &e)).unwrap();
        // What the command may write: its own folder (and a merge's or a
        // plot's new one).
        let folder = file.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let writes = [folder.as_str(), "merged", "replot"];
        let before = snapshot(&work, &writes);
        let output = tokenmaxx(&work).args(&args).output();
        let output = output.expect("the command ended within its timeout");
        let stderr = String::from_utf8_lossy(&output.stderr);
        prop_assert!(output.status.code() != Some(101) && !stderr.contains("panicked"),
            "{args:?} on a damaged {}: {stderr}", file.display());
        prop_assert!(output.status.code().is_some(), "killed by a signal: {stderr}");
        if !output.status.success() {
            prop_assert!(stderr.contains("error"), "{args:?} failed without saying so: {stderr}");
        }
        prop_assert_eq!(snapshot(&work, &writes), before, "{:?} wrote outside its folder", args);
        prop_assert!(!sandbox.path().join("escaped").exists() && !Path::new("/tmp/escaped").exists());
    }
}

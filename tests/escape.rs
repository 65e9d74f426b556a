//! Nothing escapes a results folder, nothing mixes (issue 25): each test
//! is named after the defect class it guards, and failed on the code
//! before the fix.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

const SMALL: &str = "name = \"small\"\ndescription = \"A small test company.\"\nweeks = 12\nterm_weeks = 6\nreplicates = 2\n\
arms = [\"laissez_faire\", \"usage_leaderboard\"]\n[enterprises.acme]\nemployees = 10\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// `tokenmaxx run` of `scenario` into `out`.
fn run(scenario: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    tokenmaxx()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(extra)
        .assert()
}

/// A small run's results folder `dir/run`.
fn small_run(dir: &Path) -> PathBuf {
    let scenario = write(dir, "small.toml", SMALL);
    let out = dir.join("run");
    run(&scenario, &out, &[]).success();
    out
}

// Class 1: one safe way to touch a folder.

#[test]
fn class_1_a_symlinked_lock_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", SMALL);
    let victim = write(dir.path(), "victim.txt", "precious\n");
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    symlink(&victim, out.join(".tokenmaxx.lock")).unwrap();
    run(&scenario, &out, &[])
        .failure()
        .stderr(predicate::str::contains(".tokenmaxx.lock").and(predicate::str::contains("link")));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    // A dangling link is not followed either (no file made at its target).
    let nowhere = dir.path().join("made.txt");
    fs::remove_file(out.join(".tokenmaxx.lock")).unwrap();
    symlink(&nowhere, out.join(".tokenmaxx.lock")).unwrap();
    run(&scenario, &out, &[]).failure();
    assert!(!nowhere.exists());
}

#[test]
fn class_1_a_symlinked_charts_folder_never_loses_the_other_folders_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    let other = dir.path().join("other");
    fs::create_dir(&other).unwrap();
    for f in ["market.png", "market.svg", "mine.png"] {
        write(&other, f, "not yours");
    }
    fs::remove_dir_all(out.join("charts")).unwrap();
    symlink(&other, out.join("charts")).unwrap();
    let scenario = dir.path().join("small.toml");
    run(&scenario, &out, &["--force"])
        .failure()
        .stderr(predicate::str::contains("charts").and(predicate::str::contains("link")));
    for f in ["market.png", "market.svg", "mine.png"] {
        assert_eq!(fs::read_to_string(other.join(f)).unwrap(), "not yours", "{f}");
    }
    assert_eq!(fs::read_dir(&other).unwrap().count(), 3, "nothing written there");
}

#[test]
fn class_1_a_manifest_naming_a_path_through_a_link_removes_nothing_there() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    let other = dir.path().join("other");
    fs::create_dir(&other).unwrap();
    write(&other, "data.csv", "keep me");
    symlink(&other, out.join("sub")).unwrap();
    let manifest = out.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
    m["files_sha256"]["sub/data.csv"] = "00".into();
    fs::write(&manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let scenario = dir.path().join("small.toml");
    run(&scenario, &out, &["--force"])
        .failure()
        .stderr(predicate::str::contains("sub").and(predicate::str::contains("link")));
    assert_eq!(fs::read_to_string(other.join("data.csv")).unwrap(), "keep me");
}

#[test]
fn class_1_temporary_files_of_a_killed_command_are_removed_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    // A PID above the kernel's limit never runs.
    let stale = ".runs.csv.tmp-4194399";
    write(&out, stale, "half");
    let scenario = dir.path().join("small.toml");
    run(&scenario, &out, &["--force"]).success();
    assert!(!out.join(stale).exists());
    // A killed report outside any results folder: the next report of the
    // same file removes its temporary.
    let reports = dir.path().join("reports");
    fs::create_dir(&reports).unwrap();
    let stale = ".r.html.tmp-4194399";
    write(&reports, stale, "half");
    tokenmaxx()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(reports.join("r.html"))
        .assert()
        .success();
    assert!(!reports.join(stale).exists());
    assert!(reports.join("r.html").exists());
}

// Class 2: readers hold the lock; a sub-result goes with its result.

/// A worlds run of the small scenario into `out`, varying `keys`.
fn worlds(scenario: &Path, out: &Path, keys: &[&str], extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = tokenmaxx();
    cmd.arg("run").arg(scenario).args(["--worlds", "60"]);
    for k in keys {
        cmd.args(["--vary", k]);
    }
    cmd.arg("--out").arg(out).arg("-q").args(extra).assert()
}

#[test]
fn class_2_force_removes_the_old_discovery_with_its_result() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "small.toml",
        "name = \"small\"\nweeks = 26\nreplicates = 1\n[enterprises.acme]\nemployees = 20\n",
    );
    let out = dir.path().join("worlds");
    worlds(
        &scenario,
        &out,
        &["employees.tasks_per_week", "behaviour.mandate_usd"],
        &[],
    )
    .success();
    tokenmaxx()
        .arg("discover")
        .arg(&out)
        .args([
            "--policy",
            "laissez_faire",
            "--against",
            "usage_leaderboard",
            "--bootstrap",
            "5",
        ])
        .assert()
        .success();
    assert!(out.join("discovery/manifest.json").exists());
    let report = |folder: &Path| {
        let html = dir.path().join("r.html");
        tokenmaxx()
            .arg("report")
            .arg(folder)
            .arg("--out")
            .arg(&html)
            .assert()
            .success();
        fs::read_to_string(&html).unwrap()
    };
    assert!(report(&out).contains("Scenario discovery (PRIM)"));
    // A discovery copied beside another result (its sources are not that
    // result's files) is left out of its report, and the page says so.
    let other = dir.path().join("other");
    worlds(&scenario, &other, &["employees.tasks_per_week"], &[]).success();
    fs::create_dir(other.join("discovery")).unwrap();
    for e in fs::read_dir(out.join("discovery")).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            fs::copy(e.path(), other.join("discovery").join(e.file_name())).unwrap();
        } else {
            fs::create_dir(other.join("discovery").join(e.file_name())).unwrap();
            for c in fs::read_dir(e.path()).unwrap() {
                let c = c.unwrap();
                fs::copy(
                    c.path(),
                    other.join("discovery").join(e.file_name()).join(c.file_name()),
                )
                .unwrap();
            }
        }
    }
    let text = report(&other);
    assert!(
        text.contains("was not made from this result"),
        "a foreign discovery was not named"
    );
    assert!(
        !text.contains("Scenario discovery (PRIM)"),
        "a foreign discovery was reported"
    );
    // A new result over other parameters: the old PRIM box must go.
    worlds(&scenario, &out, &["employees.tasks_per_week"], &["--force"]).success();
    assert!(!out.join("discovery").exists(), "a stale discovery/ was left");
    let html = dir.path().join("r.html");
    tokenmaxx()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&html)
        .assert()
        .success();
    let text = fs::read_to_string(&html).unwrap();
    assert!(
        !text.contains("Scenario discovery"),
        "the report shows a stale discovery"
    );
}

/// Worlds read a posterior from a calibration's folder as a reader: while
/// a writer holds that folder, they are refused and write nothing; once it
/// is free, they run.
#[test]
fn class_2_worlds_from_a_posterior_wait_for_the_calibration_writing_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", SMALL);
    let cal = dir.path().join("cal");
    fs::create_dir(&cal).unwrap();
    write(&cal, "manifest.json", "{}");
    let posterior = write(
        &cal,
        "posterior.csv",
        "generation,particle,weight,employees.tasks_per_week,distance\n0,0,1.0,8.0,0.1\n",
    );
    let lock = fs::File::create(cal.join(".tokenmaxx.lock")).unwrap();
    lock.lock().unwrap();
    let out = dir.path().join("w");
    let worlds = || {
        let mut c = tokenmaxx();
        c.arg("run")
            .arg(&scenario)
            .args(["--worlds", "2", "--replicates", "1", "--from"])
            .arg(&posterior)
            .arg("--out")
            .arg(&out)
            .arg("-q");
        c
    };
    worlds().assert().failure().stderr(predicate::str::contains(
        "is being written by another tokenmaxx process",
    ));
    assert!(!out.exists(), "refused worlds wrote {}", out.display());
    lock.unlock().unwrap();
    worlds().assert().success();
}

#[test]
fn class_2_a_report_raced_by_a_replacing_run_never_mixes_two_results() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.toml",
        &SMALL
            .replace("\"small\"", "\"alpha\"")
            .replace("A small test company.", "Scenario alpha described."),
    );
    let b = write(
        dir.path(),
        "b.toml",
        &SMALL
            .replace("\"small\"", "\"beta\"")
            .replace("A small test company.", "Scenario beta described.")
            .replace("employees = 10", "employees = 14"),
    );
    let out = dir.path().join("run");
    run(&a, &out, &[]).success();
    let bin = assert_cmd::cargo::cargo_bin("tokenmaxx");
    let mut whole = 0;
    for i in 0..6 {
        let scenario = if i % 2 == 0 { &b } else { &a };
        let mut writer = std::process::Command::new(&bin)
            .arg("run")
            .arg(scenario)
            .arg("--out")
            .arg(&out)
            .args(["-q", "--force"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for j in 0..4 {
            let html = dir.path().join(format!("r{i}-{j}.html"));
            let got = std::process::Command::new(&bin)
                .arg("report")
                .arg(&out)
                .arg("--out")
                .arg(&html)
                .output()
                .unwrap();
            if got.status.success() {
                whole += 1;
                let text = fs::read_to_string(&html).unwrap();
                let alpha = text.contains("alpha:") && text.contains("alpha described");
                let beta = text.contains("beta:") && text.contains("beta described");
                assert!(
                    alpha != beta && !(text.contains("alpha") && text.contains("beta")),
                    "report {i}-{j} exited 0 with a mix of two results"
                );
            }
        }
        let _ = writer.wait();
    }
    // The writer's own runs may all be refused (a reader held the lock) or
    // all succeed; what a reader got, when it got anything, was whole.
    eprintln!("{whole} whole reports");
}

// Class 3: a report is text and verified images only.

#[test]
fn class_3_raw_html_in_descriptions_and_labels_is_text_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "small.toml",
        &format!(
            "{}[policies.thrift]\nlabel = \"Thrift <style>body{{display:none}}</style>\"\n\
description = \"<meta http-equiv='refresh' content='0;url=http://127.0.0.1:9/'>\"\ncost_penalty_share = 0.3\n",
            SMALL
                .replace(
                    "A small test company.",
                    "<meta http-equiv='refresh' content='0;url=http://127.0.0.1:9/'> <a href='http://127.0.0.1:9/'>click</a>"
                )
                .replace("\"usage_leaderboard\"]", "\"usage_leaderboard\", \"thrift\"]")
        ),
    );
    let out = dir.path().join("run");
    run(&scenario, &out, &[]).success();
    // The run's own summary.md shows the description's tags as text too
    // (inside its fenced tables a tag is already text).
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    let prose: String = summary.split("```").step_by(2).collect();
    for raw in ["<meta http-equiv='refresh'", "<a href="] {
        assert!(!prose.contains(raw), "{raw} reached summary.md unescaped:\n{summary}");
    }
    assert!(summary.contains("&lt;meta http-equiv="), "{summary}");
    let html = dir.path().join("r.html");
    tokenmaxx()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&html)
        .assert()
        .success();
    let text = fs::read_to_string(&html).unwrap();
    for raw in ["<meta http-equiv='refresh'", "<style>body{display", "<a href="] {
        assert!(!text.contains(raw), "{raw} reached the page unescaped");
    }
    assert!(
        text.contains("&lt;meta http-equiv="),
        "the description is shown as text"
    );
    assert!(text.contains("base-uri 'none'") && text.contains("form-action 'none'"));
    // The Markdown twin shows the same tags as text.
    let md = dir.path().join("r.md");
    tokenmaxx()
        .arg("report")
        .arg(&out)
        .args(["--format", "md", "--out"])
        .arg(&md)
        .assert()
        .success();
    let text = fs::read_to_string(&md).unwrap();
    for raw in ["<meta http-equiv='refresh'", "<style>body{display", "<a href="] {
        assert!(!text.contains(raw), "{raw} reached report.md unescaped");
    }
    assert!(
        text.contains("&lt;meta http-equiv="),
        "the description is shown as text"
    );
}

#[test]
fn class_3_an_unlisted_or_linked_chart_is_never_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    let secret = write(dir.path(), "secret.png", "\u{89}PNG secret bytes");
    fs::copy(&secret, out.join("charts/zz_extra.png")).unwrap();
    symlink(&secret, out.join("charts/zz_link.png")).unwrap();
    let html = dir.path().join("r.html");
    tokenmaxx()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&html)
        .assert()
        .success();
    let text = fs::read_to_string(&html).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(fs::read(&secret).unwrap());
    assert!(!text.contains(&b64), "an unlisted chart was embedded");
    // A listed chart replaced by a link (or edited) is refused by name.
    let listed = out.join("charts/weekly.png");
    fs::remove_file(&listed).unwrap();
    symlink(&secret, &listed).unwrap();
    tokenmaxx()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&html)
        .assert()
        .failure()
        .stderr(predicate::str::contains("weekly.png"));
}

#[test]
fn class_3_report_out_onto_a_result_file_or_into_a_results_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    let runs = fs::read(out.join("runs.csv")).unwrap();
    for target in [out.join("runs.csv"), out.join("manifest.json"), out.join("other.html")] {
        tokenmaxx()
            .arg("report")
            .arg(&out)
            .arg("--out")
            .arg(&target)
            .assert()
            .failure()
            .stderr(predicate::str::contains("--out"));
    }
    assert_eq!(fs::read(out.join("runs.csv")).unwrap(), runs, "runs.csv unchanged");
    // Into another results folder, or onto a file that is not a report.
    let second = dir.path().join("second");
    run(&dir.path().join("small.toml"), &second, &[]).success();
    let notes = write(dir.path(), "notes.html", "<p>my notes</p>");
    for target in [second.join("report.html"), notes.clone()] {
        tokenmaxx()
            .arg("report")
            .arg(&out)
            .arg("--out")
            .arg(&target)
            .assert()
            .failure();
    }
    assert!(!second.join("report.html").exists());
    assert_eq!(fs::read_to_string(&notes).unwrap(), "<p>my notes</p>");
    // Its own default, and a report it wrote before, may be replaced.
    let mine = dir.path().join("mine.html");
    for _ in 0..2 {
        tokenmaxx()
            .arg("report")
            .arg(&out)
            .arg("--out")
            .arg(&mine)
            .assert()
            .success();
    }
    tokenmaxx().arg("report").arg(&out).assert().success();
    tokenmaxx().arg("report").arg(&out).assert().success();
}

// Class 4: numbers are checked at the edge.

/// `run --worlds 200 --from posterior` of the small scenario.
fn worlds_from(dir: &Path, posterior: &str) -> assert_cmd::assert::Assert {
    write(dir, "small.toml", SMALL);
    let post = write(dir, "posterior.csv", posterior);
    let out = dir.join("w");
    tokenmaxx()
        .arg("run")
        .arg(dir.join("small.toml"))
        .args(["--worlds", "200", "--replicates", "1", "--from"])
        .arg(post)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .timeout(std::time::Duration::from_secs(120))
        .assert()
}

#[test]
fn class_4_huge_weights_are_normalised_without_overflow() {
    let dir = tempfile::tempdir().unwrap();
    worlds_from(
        dir.path(),
        "generation,particle,weight,employees.tasks_per_week,distance\n0,0,1e308,8.0,0.5\n0,1,1e308,16.0,0.6\n",
    )
    .success();
    let text = fs::read_to_string(dir.path().join("w/worlds.csv")).unwrap();
    let eights = text.lines().filter(|l| l.ends_with(",8.0")).count();
    let sixteens = text.lines().filter(|l| l.ends_with(",16.0")).count();
    assert!(
        eights > 50 && sixteens > 50,
        "both particles drawn: {eights} and {sixteens}"
    );
}

#[test]
fn class_4_duplicate_posterior_columns_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    worlds_from(
        dir.path(),
        "generation,particle,weight,employees.tasks_per_week,employees.tasks_per_week,distance\n0,0,1,8.0,9.0,0.5\n",
    )
    .failure()
    .stderr(predicate::str::contains("employees.tasks_per_week").and(predicate::str::contains("twice")));
}

#[test]
fn class_4_an_integer_parameter_between_two_integers_is_rounded_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let got = worlds_from(
        dir.path(),
        "generation,particle,weight,agent.max_attempts,distance\n0,0,1,2.4,0.5\n0,1,1,2.6,0.5\n",
    );
    let out = got.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}

#[test]
fn class_4_an_infinite_or_huge_sd_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.toml", SMALL);
    for sd in ["1e308", "inf", "0.0", "-1.0"] {
        let evidence = write(
            dir.path(),
            "evidence.toml",
            &format!(
                "base = \"small.toml\"\n[calibrate]\nparticles = 4\ngenerations = 1\n\
[[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
[[target]]\nname = \"t\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 6000.0\nsd = {sd}\nrole = \"fit\"\n"
            ),
        );
        tokenmaxx()
            .arg("calibrate")
            .arg(&evidence)
            .arg("--out")
            .arg(dir.path().join("cal"))
            .arg("-q")
            .assert()
            .failure()
            .stderr(predicate::str::contains("sd").and(predicate::str::contains("evidence.toml")));
        assert!(!dir.path().join("cal/manifest.json").exists(), "sd = {sd}");
    }
}

// Class 6: input files are regular files of bounded size.

#[test]
fn class_6_devices_fifos_and_folders_are_refused_by_name_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let folder = dir.path().join("folder.toml");
    fs::create_dir(&folder).unwrap();
    for (input, what) in [
        (PathBuf::from("/dev/zero"), "device"),
        (fifo.clone(), "FIFO"),
        (folder.clone(), "folder"),
    ] {
        for cmd in ["validate", "run"] {
            tokenmaxx()
                .arg(cmd)
                .arg(&input)
                .current_dir(dir.path())
                .timeout(std::time::Duration::from_secs(20))
                .assert()
                .failure()
                .stderr(predicate::str::contains(input.display().to_string()).and(predicate::str::contains(what)));
        }
    }
    // A sweep whose base is a device.
    let sweep = write(
        dir.path(),
        "sweep.toml",
        "base = \"/dev/zero\"\n[sweep]\ndesign = \"lhs\"\npoints = 4\n[[sweep.parameters]]\nkey = \"weeks\"\nrange = [10, 20]\n",
    );
    tokenmaxx()
        .args(["sweep", "--dry-run"])
        .arg(&sweep)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .failure()
        .stderr(predicate::str::contains("/dev/zero").and(predicate::str::contains("device")));
}

#[test]
fn class_6_an_input_too_large_is_refused_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    let f = fs::File::create(&big).unwrap();
    f.set_len((64 << 20) + 1).unwrap();
    tokenmaxx()
        .arg("validate")
        .arg(&big)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .failure()
        .stderr(predicate::str::contains("64 MiB"));
}

#[test]
fn class_6_a_dotted_entity_name_is_refused_at_validate() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "s.toml",
        "name = \"s\"\n[enterprises.\"acme.co\"]\nemployees = 5\n",
    );
    tokenmaxx()
        .arg("validate")
        .arg(&s)
        .assert()
        .failure()
        .stderr(predicate::str::contains("acme.co").and(predicate::str::contains("--set")));
}

// Class 5: text is checked at the edge.

#[test]
fn class_5_control_characters_and_huge_labels_are_refused_by_validate() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            format!("{SMALL}[policies.laissez_faire]\nlabel = \"Red\\u001b[31m\"\n"),
            "policies.laissez_faire.label",
        ),
        (
            format!("{SMALL}[policies.laissez_faire]\nlabel = \"{}\"\n", "x".repeat(200_000)),
            "at most 200",
        ),
        (
            SMALL.replace("A small test company.", "Bell\\u0007 ring"),
            "description",
        ),
    ];
    for (text, expected) in cases {
        let s = write(dir.path(), "s.toml", &text);
        tokenmaxx()
            .arg("validate")
            .arg(&s)
            .assert()
            .failure()
            .stderr(predicate::str::contains(expected).and(predicate::str::contains("s.toml")));
    }
    // Line breaks and tabs are fine in a description.
    let s = write(
        dir.path(),
        "ok.toml",
        &SMALL.replace("A small test company.", "Line one.\\n\\tLine two."),
    );
    tokenmaxx().arg("validate").arg(&s).assert().success();
}

/// Error messages quote what the user gave (a key, a path, an argument):
/// control characters in it reach the terminal escaped, never raw.
#[test]
fn class_5_the_terminal_never_gets_a_raw_escape_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let key = write(dir.path(), "key.toml", "name = \"x\"\n\"\\u001b[2Jred\" = 1\n");
    let odd = dir.path().join("d\u{1b}[31m\u{202e}");
    fs::create_dir(&odd).unwrap();
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["run".into(), key.into()],
        vec!["validate".into(), odd.join("x.toml").into()],
        vec!["report".into(), odd.clone().into()],
        vec!["\u{1b}]0;title\u{7}".into()],
        vec!["run".into(), "--threads".into(), "\u{1b}[31m".into(), "x.toml".into()],
    ];
    for args in cases {
        let out = tokenmaxx().args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') && !text.contains('\u{202e}'),
                "{args:?} printed a raw control character: {text:?}"
            );
        }
    }
}

#[test]
fn class_5_formula_cells_are_neutralised_and_numbers_stay_numbers() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.toml", SMALL);
    let evidence = write(
        dir.path(),
        "evidence.toml",
        "base = \"small.toml\"\n[calibrate]\nparticles = 4\ngenerations = 1\nmin_acceptance = 0.0\n\
[[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
[[target]]\nname = \"=HYPERLINK(\\\"http://x/\\\")\"\nsource = \"@SUM(A1)\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 600.0\nsd = 300.0\nrole = \"fit\"\n",
    );
    let cal = dir.path().join("cal");
    tokenmaxx()
        .arg("calibrate")
        .arg(&evidence)
        .arg("--out")
        .arg(&cal)
        .arg("-q")
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .success();
    let ppc = fs::read_to_string(cal.join("ppc.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(ppc.as_bytes());
    for record in reader.records() {
        let record = record.unwrap();
        for cell in record.iter() {
            assert!(!cell.starts_with(['=', '+', '@']), "a formula cell in ppc.csv: {cell}");
        }
        assert!(record[0].starts_with("'=HYPERLINK"), "{:?}", &record[0]);
    }
    // A run's negative numbers stay numbers.
    let out = small_run(dir.path());
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(!runs.contains("'-"), "a number was quoted as text");
}

// Class 7: malformed input is an error, never a panic.

mod fuzz {
    use proptest::prelude::*;
    use std::fs;
    use tokenmaxx::scenario;

    const SCENARIO: &str = "name = \"small\"\ndescription = \"d\"\nweeks = 8\nreplicates = 1\n\
[enterprises.acme]\nemployees = 5\n[policies.thrift]\nlabel = \"T\"\ncost_penalty_share = 0.3\n";
    const SWEEP: &str = "base = \"base.toml\"\n[sweep]\ndesign = \"lhs\"\npoints = 4\n\
[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n";
    const EVIDENCE: &str = "base = \"base.toml\"\n[calibrate]\nparticles = 4\ngenerations = 1\n\
[[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
[[target]]\nname = \"t\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 600.0\nsd = 300.0\nrole = \"fit\"\n";
    const POSTERIOR: &str =
        "generation,particle,weight,employees.tasks_per_week,distance\n0,0,0.5,8.0,0.5\n0,1,0.5,16.0,0.6\n";
    const WORLDS: &str = "base = \"base.toml\"\n[sweep]\ndesign = \"worlds\"\nfrom = \"posterior.csv\"\npoints = 4\n";
    const STUDY: &str = "base = \"base.toml\"\n[optimize]\nevaluations = 16\npopulation = 8\nworlds = 2\n\
policy = \"candidate\"\nreferences = [\"laissez_faire\"]\n[[lever]]\nkey = \"policies.candidate.weekly_budget_usd\"\n\
range = [5.0, 500.0]\nlog = true\n[[objective]]\nmetric = \"net_value_usd\"\nmeasure = \"percentile\"\npercentile = 10\n\
direction = \"maximize\"\nepsilon = 1000.0\n[[constraint]]\nmetric = \"spend_usd\"\nmeasure = \"mean\"\nmax = 1e6\n";

    /// `text` with `edits` applied: each replaces a span by adversarial text.
    fn mutate(text: &str, edits: &[(usize, usize, String)]) -> Vec<u8> {
        let mut bytes = text.as_bytes().to_vec();
        for (at, len, insert) in edits {
            let at = at % (bytes.len() + 1);
            let end = (at + len).min(bytes.len());
            bytes.splice(at..end, insert.bytes());
        }
        bytes
    }

    fn edits() -> impl Strategy<Value = Vec<(usize, usize, String)>> {
        let piece = prop_oneof![
            Just(String::new()),
            Just("\"".to_string()),
            Just("[".to_string()),
            Just("=".to_string()),
            Just("\n".to_string()),
            Just("1e308".to_string()),
            Just("-1".to_string()),
            Just("nan".to_string()),
            Just("inf".to_string()),
            Just("\u{0}\u{1b}".to_string()),
            Just("../".to_string()),
            Just(",".to_string()),
            "[ -~]{0,12}",
            any::<String>(),
        ];
        proptest::collection::vec((0usize..4096, 0usize..16, piece), 1..4)
    }

    proptest! {
        // 64 cases in CI; PROPTEST_CASES=10000 for a longer run.
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn readers_give_an_error_never_a_panic(
            which in 0usize..6,
            e in edits(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let base = dir.path().join("base.toml");
            fs::write(&base, SCENARIO).unwrap();
            fs::write(dir.path().join("posterior.csv"), POSTERIOR).unwrap();
            match which {
                0 => {
                    fs::write(&base, mutate(SCENARIO, &e)).unwrap();
                    let _ = scenario::load(&base, &[]);
                }
                1 => {
                    let f = dir.path().join("sweep.toml");
                    fs::write(&f, mutate(SWEEP, &e)).unwrap();
                    let _ = scenario::sweep::load(&f, &Default::default(), &tokenmaxx::results::posterior::read);
                }
                2 => {
                    let f = dir.path().join("evidence.toml");
                    fs::write(&f, mutate(EVIDENCE, &e)).unwrap();
                    let _ = scenario::evidence::load(&f);
                }
                3 => {
                    fs::write(dir.path().join("posterior.csv"), mutate(POSTERIOR, &e)).unwrap();
                    let f = dir.path().join("worlds.toml");
                    fs::write(&f, WORLDS).unwrap();
                    let _ = scenario::sweep::load(&f, &Default::default(), &tokenmaxx::results::posterior::read);
                }
                4 => {
                    let f = dir.path().join("study.toml");
                    fs::write(&f, mutate(STUDY, &e)).unwrap();
                    let _ = scenario::optimize::load(&f, &Default::default());
                }
                _ => {
                    let results = dir.path().join("results");
                    fs::create_dir(&results).unwrap();
                    fs::write(results.join("runs.csv"), "a\n1\n").unwrap();
                    let manifest = format!(
                        "{{\"command\":\"run\",\"files_sha256\":{{\"runs.csv\":\"{}\"}}}}",
                        tokenmaxx::output::sha256_hex(b"a\n1\n")
                    );
                    fs::write(results.join("manifest.json"), mutate(&manifest, &e)).unwrap();
                    let _ = tokenmaxx::jobs::plot::verify_files(&results);
                    let _ = tokenmaxx::output::folder::holding(&results);
                }
            }
            // Nothing was written outside the folder.
            prop_assert!(!dir.path().parent().unwrap().join("escaped").exists());
        }
    }
}

#[test]
fn class_4_an_edited_calibration_shard_is_refused_at_gather() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.toml", SMALL);
    let evidence = write(
        dir.path(),
        "evidence.toml",
        "base = \"small.toml\"\n[calibrate]\nparticles = 4\ngenerations = 2\nmin_acceptance = 0.0\n\
[[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
[[target]]\nname = \"t\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 600.0\nsd = 300.0\nrole = \"fit\"\n",
    );
    let out = dir.path().join("cal");
    let cal = |extra: &[&str]| {
        tokenmaxx()
            .arg("calibrate")
            .arg(&evidence)
            .arg("--out")
            .arg(&out)
            .arg("-q")
            .args(extra)
            .timeout(std::time::Duration::from_secs(300))
            .assert()
    };
    cal(&["--gather"]).success();
    cal(&["--shard", "0/1", "--threads", "1"]).success();
    let shard = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".calibrate-shard-")
        })
        .expect("a shard file");
    // One proposal's distance edited, the file otherwise well formed.
    let text = fs::read_to_string(&shard).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut words: Vec<String> = lines[4].split(' ').map(str::to_string).collect();
    words[1] = "0".into();
    lines[4] = words.join(" ");
    fs::write(&shard, lines.join("\n") + "\n").unwrap();
    cal(&["--gather"])
        .failure()
        .stderr(predicate::str::contains(".calibrate-shard-").and(predicate::str::contains("SHA-256")));
    assert!(!out.join("manifest.json").exists());
}

/// A policy's reward or pressure past a billion USD-equivalent would make a
/// week's utilities infinite and the choice undefined (a run of 1e308 as a
/// non-use penalty did every task by hand, exit 0): refused by name.
#[test]
fn class_4_a_reward_too_large_for_a_finite_utility_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("non_use_penalty_usd", "1e308"),
        ("rank_prize_usd", "1e10"),
        ("token_reward_usd_per_mtok", "-1e12"),
    ] {
        let file = write(
            dir.path(),
            "big.toml",
            &format!("name = \"big\"\n[enterprises.acme]\nemployees = 10\n[policies.x]\n{key} = {value}\n"),
        );
        tokenmaxx()
            .arg("validate")
            .arg(&file)
            .assert()
            .failure()
            .stderr(predicate::str::contains("big.toml:5:"))
            .stderr(predicate::str::contains(format!("policies.x.{key}")))
            .stderr(predicate::str::contains("1000000000"));
    }
}

//! `tokenmaxx report`: a results folder as one self-contained HTML page (and
//! a Markdown twin): every chart inline, every table, no external request;
//! checked by parsing the page and, where Chromium is installed, by loading
//! it in a real headless browser.

use assert_cmd::Command;
use base64::Engine;
use predicates::prelude::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SMALL: &str = "name = \"small\"\ndescription = \"A small test company.\"\nweeks = 26\nreplicates = 3\n\
arms = [\"laissez_faire\", \"usage_leaderboard\", \"thrift\"]\n[enterprises.acme]\nemployees = 20\n\
[policies.thrift]\nlabel = \"Thrift club\"\ndescription = \"A custom policy.\"\ncost_penalty_share = 0.3\n";

/// A small run's results folder.
fn small_run(dir: &Path) -> PathBuf {
    let scenario = write(dir, "small.toml", SMALL);
    let out = dir.join("run");
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    out
}

/// The PNG charts of a folder, as (relative path, bytes).
fn charts(dir: &Path, sub: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join(sub))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .map(|n| (format!("{sub}/{n}"), std::fs::read(dir.join(sub).join(&n)).unwrap()))
        .collect();
    out.sort();
    out
}

/// Parses the page (it is well-formed XHTML) and returns every `img` src,
/// after checking no attribute anywhere points outside the page.
fn images_of(html: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the report parses");
    for node in doc.descendants().filter(|n| n.is_element()) {
        for a in node.attributes() {
            if matches!(a.name(), "src" | "href" | "srcset" | "action" | "poster") {
                let v = a.value();
                assert!(
                    v.starts_with("data:") || v.starts_with('#'),
                    "<{}> {}=\"{}\" leaves the page",
                    node.tag_name().name(),
                    a.name(),
                    &v[..v.len().min(80)]
                );
            }
        }
        assert_ne!(node.tag_name().name(), "script", "the report runs no script");
        assert_ne!(node.tag_name().name(), "link", "the report links no file");
    }
    doc.descendants()
        .filter(|n| n.has_tag_name("img"))
        .map(|n| n.attribute("src").unwrap().to_string())
        .collect()
}

fn decode(src: &str) -> Vec<u8> {
    let b64 = src.strip_prefix("data:image/png;base64,").expect("a PNG data URI");
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

#[test]
fn a_run_report_holds_every_chart_and_table_and_nothing_external() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .assert()
        .success()
        .stdout(predicate::str::contains("report.html"));
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    // Every chart of the folder, inline and byte for byte.
    let images: Vec<Vec<u8>> = images_of(&html).iter().map(|s| decode(s)).collect();
    let files = charts(&run, "charts");
    assert!(files.len() >= 5);
    assert_eq!(images.len(), files.len());
    for (name, bytes) in &files {
        assert!(images.contains(bytes), "{name} is not in the report");
    }
    // The tables: policies, paired differences, verdicts; display names.
    assert_eq!(
        html.matches("<table>").count(),
        5,
        "three policy tables, the differences from the defaults and the provenance"
    );
    assert!(html.contains("Thrift club") && html.contains("Usage leaderboard"));
    assert!(html.contains("A small test company."));
    assert!(html.contains("default-src 'none'"));
    // Findings with intervals; methods name the custom policy's difference
    // from the defaults; provenance lists runs.csv's hash.
    assert!(html.contains("<h2>Findings</h2>"));
    assert!(html.contains("95% CI"));
    assert!(html.contains("policies.thrift.cost_penalty_share"));
    let runs_hash = tokenmaxx::output::sha256_hex(&std::fs::read(run.join("runs.csv")).unwrap());
    assert!(html.contains(&runs_hash));
    // A second report gives the same bytes.
    tokenmaxx().arg("report").arg(&run).assert().success();
    assert_eq!(std::fs::read_to_string(run.join("report.html")).unwrap(), html);
}

#[test]
fn the_markdown_twin_links_its_charts_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "md"])
        .assert()
        .success();
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    for (name, _) in charts(&run, "charts") {
        assert!(md.contains(&format!("]({name})")), "{name}");
    }
    // Elsewhere, the charts are copied beside it.
    let out = dir.path().join("deck").join("baseline.md");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "md", "--out"])
        .arg(&out)
        .assert()
        .success();
    let md = std::fs::read_to_string(&out).unwrap();
    for (name, bytes) in charts(&run, "charts") {
        assert!(md.contains(&format!("](baseline-charts/{name})")), "{name}");
        assert_eq!(
            std::fs::read(out.parent().unwrap().join("baseline-charts").join(&name)).unwrap(),
            bytes
        );
    }
}

#[test]
fn a_damaged_or_foreign_folder_gets_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    let runs = run.join("runs.csv");
    let mut text = std::fs::read_to_string(&runs).unwrap();
    text.truncate(text.len() / 2);
    std::fs::write(&runs, text).unwrap();
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .assert()
        .failure()
        .stderr(predicate::str::contains("runs.csv"));
    assert!(!run.join("report.html").exists());
    tokenmaxx()
        .arg("report")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("manifest.json is missing"));
    // A chart the manifest lists but the folder lacks is named.
    let again = small_run(&dir.path().join("charts-gone").tap_mkdir());
    std::fs::remove_file(again.join("charts/weekly.png")).unwrap();
    tokenmaxx()
        .arg("report")
        .arg(&again)
        .assert()
        .failure()
        .stderr(predicate::str::contains("weekly.png").and(predicate::str::contains("tokenmaxx plot")));
    assert!(!again.join("report.html").exists());
    // --out naming a folder is refused.
    let fresh = small_run(&dir.path().join("again").tap_mkdir());
    tokenmaxx()
        .arg("report")
        .arg(&fresh)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("is a folder"));
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

#[test]
fn sweep_and_calibration_reports_state_their_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.toml", SMALL);
    let sweep = write(
        dir.path(),
        "screen.toml",
        "base = \"small.toml\"\n[sweep]\ndesign = \"morris\"\npoints = 2\nreplicates = 1\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nlabel = \"Workload\"\nrange = [6.0, 20.0]\n\
[[sweep.parameters]]\nkey = \"agent.noise_prob_agent\"\nrange = [0.2, 0.8]\n",
    );
    let out = dir.path().join("sweep");
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    tokenmaxx().arg("report").arg(&out).assert().success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let images: Vec<Vec<u8>> = images_of(&html).iter().map(|s| decode(s)).collect();
    let files = charts(&out, "charts");
    assert_eq!(images.len(), files.len());
    assert!(files.iter().any(|(n, _)| n.contains("tornado")));
    assert!(html.contains("beats Laissez-faire on net value in"), "a sweep finding");
    assert!(html.contains("moves most with"), "a sensitivity finding");
    assert!(html.contains("Workload"), "the sweep file's label");
    // Titles, chart titles and sources name the sweep (`screen`), not the
    // folder it was written to (`sweep`) or a machine path.
    let path = dir.path().to_str().unwrap();
    assert!(!html.contains(path), "the sweep report holds a path");
    for e in std::fs::read_dir(out.join("charts")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "svg") {
            let svg = std::fs::read_to_string(&p).unwrap();
            assert!(!svg.contains(path), "{} holds a path", p.display());
            assert!(
                svg.contains("screen") && !svg.contains("sweep &quot;sweep&quot;") && !svg.contains("(sweep)"),
                "{} names the sweep",
                p.display()
            );
        }
    }
    // The Methods table gives each range as the sweep file does.
    assert!(
        html.contains("6 to 20") && html.contains("0.2 to 0.8") && !html.contains("null"),
        "the sweep's ranges"
    );
    assert!(
        html.contains("Polished-noise rate of agent runs (share)"),
        "a label made from the key"
    );

    let evidence = write(
        dir.path(),
        "evidence.toml",
        "base = \"small.toml\"\n[calibrate]\nparticles = 12\ngenerations = 2\nseed = 3\nmin_acceptance = 0.0\n\
[[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
[[target]]\nname = \"tasks a week\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 6000.0\ntolerance = [3000.0, 12000.0]\nrole = \"fit\"\n\
[[target]]\nname = \"impossible\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 1.0\ntolerance = [0.5, 2.0]\nrole = \"check\"\n",
    );
    let cal = dir.path().join("cal");
    tokenmaxx()
        .arg("calibrate")
        .arg(&evidence)
        .arg("--out")
        .arg(&cal)
        .arg("-q")
        .assert()
        .success();
    tokenmaxx().arg("report").arg(&cal).assert().success();
    let html = std::fs::read_to_string(cal.join("report.html")).unwrap();
    assert_eq!(images_of(&html).len(), charts(&cal, "charts").len());
    // Titled by the study, never by a machine path (issue 26).
    let title = html
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap();
    assert!(title.contains("Calibration `evidence`"), "{title}");
    assert!(!title.contains(dir.path().to_str().unwrap()), "{title}");
    // Its provenance names the evidence and base files (never a path) with
    // their SHA-256, and lists nothing the manifest does not hold (issue
    // 24: calibration wrote `evidence` and `base`, the report read
    // `evidence_path` and `base_path`).
    tokenmaxx()
        .arg("report")
        .arg(&cal)
        .args(["--format", "md"])
        .assert()
        .success();
    let rows = provenance(&std::fs::read_to_string(cal.join("report.md")).unwrap());
    let manifest = read_json(&cal.join("manifest.json"));
    assert_holds(&rows, &manifest, &[]);
    let row = |k: &str| rows.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    assert_eq!(row("evidence_path"), Some("evidence.toml"), "{rows:?}");
    assert_eq!(row("base_path"), Some("small.toml"), "{rows:?}");
    let sha = |f: &str| tokenmaxx::output::sha256_hex(&std::fs::read(dir.path().join(f)).unwrap());
    assert_eq!(row("evidence_sha256"), Some(sha("evidence.toml").as_str()), "{rows:?}");
    assert_eq!(row("base_sha256"), Some(sha("small.toml").as_str()), "{rows:?}");
    assert_eq!(
        manifest["wall_time_s"].as_f64().map(|w| w >= 0.0),
        Some(true),
        "as run and sweep name it"
    );
    assert!(
        html.contains("0 of 1 held-out check facts") && html.contains("it misses \"impossible\""),
        "a calibration miss is shown as a miss"
    );
}

/// The browser used for the page test, if any.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// Loads `page` in headless Chromium with every HTTP(S) request sent to a
/// proxy on this machine, and returns (requests the page made, console
/// messages, the screenshot). Chromium's own background calls to Google's
/// services are not the page's and are left out.
fn load_in_browser(browser: &Path, page: &Path, shot: &Path) -> (Vec<String>, Vec<String>, Vec<u8>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let proxy = {
        let (stop, seen) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        s.set_read_timeout(Some(std::time::Duration::from_secs(2))).ok();
                        let mut buf = [0u8; 512];
                        let n = s.read(&mut buf).unwrap_or(0);
                        let line = String::from_utf8_lossy(&buf[..n])
                            .lines()
                            .next()
                            .unwrap_or("")
                            .to_string();
                        let _ = s.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
                        seen.lock().unwrap().push(line);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
                }
            }
        })
    };
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2400",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    proxy.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .map(str::to_string)
        .collect();
    let google = |l: &str| {
        l.split_whitespace().nth(1).is_some_and(|target| {
            target.contains("google.com") || target.contains("googleapis.com") || target.contains("gvt1.com")
        })
    };
    let requests = seen.lock().unwrap().iter().filter(|l| !google(l)).cloned().collect();
    let png = std::fs::read(shot).unwrap_or_default();
    (requests, console, png)
}

/// Share of a PNG's pixels that are not (near) white, and the number of
/// distinct grey levels, as a test that a screenshot shows something.
fn ink(png_bytes: &[u8]) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let px = &buf[..info.buffer_size()];
    let mut levels = std::collections::BTreeSet::new();
    let mut dark = 0usize;
    let n = px.len() / channels;
    for p in px.chunks(channels) {
        let grey = (p[0] as u32 + p[1] as u32 + p[2] as u32) / 3;
        levels.insert(grey);
        if grey < 230 {
            dark += 1;
        }
    }
    (dark as f64 / n as f64, levels.len())
}

/// The report in a real browser: it loads offline with no console message
/// and no request, and its screenshot is not blank. A control page that
/// does request an image and logs an error proves the probe sees both.
#[test]
fn the_report_loads_in_a_headless_browser_offline() {
    let Some(browser) = chromium() else {
        if std::env::var_os("TOKENMAXX_REQUIRE_BROWSER").is_some() {
            panic!("TOKENMAXX_REQUIRE_BROWSER is set but no chromium is on PATH");
        }
        eprintln!("SKIPPED the_report_loads_in_a_headless_browser_offline: no chromium on PATH (.ci/run installs it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    tokenmaxx().arg("report").arg(&run).assert().success();
    let page = run.join("report.html").canonicalize().unwrap();

    let control = write(
        dir.path(),
        "control.html",
        "<!DOCTYPE html><html><body><p>control</p><img src=\"http://example.invalid/x.png\" /><script>console.error(\"probe\")</script></body></html>",
    );
    let (requests, console, _) = load_in_browser(&browser, &control, &dir.path().join("control.png"));
    assert!(
        requests.iter().any(|r| r.contains("example.invalid")),
        "the probe sees a page's request: {requests:?}"
    );
    assert!(
        console.iter().any(|c| c.contains("probe")),
        "the probe sees the console: {console:?}"
    );

    let shot = dir.path().join("report.png");
    let (requests, console, png) = load_in_browser(&browser, &page, &shot);
    assert!(requests.is_empty(), "the report made requests: {requests:?}");
    assert!(console.is_empty(), "the report logged to the console: {console:?}");
    assert!(!png.is_empty(), "no screenshot");
    let (dark, levels) = ink(&png);
    assert!(
        dark > 0.03 && levels > 50,
        "the screenshot looks blank: {dark:.3} of pixels inked, {levels} grey levels"
    );
}

/// Raw HTML an input carries (a meta refresh, an image, a link, a style)
/// makes no request from the report in a real browser (issue 25): it is
/// shown as text.
#[test]
fn raw_html_from_inputs_makes_no_request_in_a_headless_browser() {
    let Some(browser) = chromium() else {
        if std::env::var_os("TOKENMAXX_REQUIRE_BROWSER").is_some() {
            panic!("TOKENMAXX_REQUIRE_BROWSER is set but no chromium is on PATH");
        }
        eprintln!("SKIPPED raw_html_from_inputs_makes_no_request_in_a_headless_browser: no chromium on PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hostile = SMALL
        .replace(
            "A small test company.",
            "<meta http-equiv='refresh' content='0;url=http://example.invalid/refresh'> <img src='http://example.invalid/img.png'> <a href='http://example.invalid/a'>a</a>",
        )
        .replace(
            "A custom policy.",
            "<style>body{background:url(http://example.invalid/bg.png)}</style>",
        );
    let scenario = write(dir.path(), "hostile.toml", &hostile);
    let run = dir.path().join("run");
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&run)
        .arg("-q")
        .assert()
        .success();
    tokenmaxx().arg("report").arg(&run).assert().success();
    let page = run.join("report.html").canonicalize().unwrap();
    let (requests, _, png) = load_in_browser(&browser, &page, &dir.path().join("hostile.png"));
    assert!(requests.is_empty(), "the report made requests: {requests:?}");
    assert!(!png.is_empty(), "no screenshot");
}

/// With look flags, the report's charts are drawn anew in that look (the
/// folder's own charts untouched); a calibration's charts cannot be.
#[test]
fn look_flags_redraw_the_reports_charts_only() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    let before = charts(&run, "charts");
    let out = dir.path().join("dark.html");
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .arg("--out")
        .arg(&out)
        .args(["--theme", "dark", "--width", "960"])
        .assert()
        .success();
    let html = std::fs::read_to_string(&out).unwrap();
    let images = images_of(&html);
    assert_eq!(images.len(), before.len(), "every chart, redrawn");
    for src in &images {
        let png = decode(src);
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        assert_eq!(be(&png[16..20]), 960, "the report's charts at --width");
        assert!(before.iter().all(|(_, b)| *b != png));
    }
    assert_eq!(
        charts(&run, "charts"),
        before,
        "the folder's charts are left as they were"
    );
}

/// The rows of a Markdown report's provenance table, as (item, value).
fn provenance(md: &str) -> Vec<(String, String)> {
    let table = md.split("## Provenance").nth(1).expect("a provenance section");
    table
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split(" | ").map(str::trim).collect();
            match cells.as_slice() {
                [k, v] if v.starts_with('`') => Some((k.to_string(), v.trim_matches('`').to_string())),
                _ => None,
            }
        })
        .collect()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every provenance row is a key the manifest holds (or, for a manifest
/// of an earlier version, the key it held under another name in
/// `renamed`), a file it lists, or its RNG crates.
fn assert_holds(rows: &[(String, String)], manifest: &serde_json::Value, renamed: &[(&str, &str)]) {
    assert!(rows.len() > 5, "{rows:?}");
    for (k, _) in rows {
        if k == "rng crates" {
            assert!(manifest["rng_crates"].is_object());
        } else if let Some(file) = k.strip_prefix("sha256 ") {
            assert!(manifest["files_sha256"][file].is_string(), "{k}");
        } else {
            let held = renamed
                .iter()
                .find(|(new, _)| new == k)
                .map_or(k.as_str(), |(_, old)| old);
            assert!(
                !manifest[held].is_null(),
                "the provenance lists {k}, which the manifest lacks"
            );
        }
    }
}

/// Copies a fixture folder (flat) into `to`.
fn copy_fixture(from: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A run and a calibration written by tokenmaxx 28ecb67, the version
/// before typed manifests (tests/fixtures/v28ecb67, made with its binary
/// from tiny.toml and tiny-evidence.toml there; charts left out to keep
/// the fixture small), still plot and report.
#[test]
fn folders_written_by_the_previous_version_still_plot_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_fixture("tests/fixtures/v28ecb67/run", &run);
    tokenmaxx().arg("plot").arg(&run).assert().success();
    // The recorded presentation (print theme, 480 pixels wide) still reads.
    let png = std::fs::read(run.join("charts/weekly.png")).unwrap();
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 480);
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "md"])
        .assert()
        .success();
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        md.starts_with("# tiny: spend and value by incentive policy"),
        "{}",
        &md[..200]
    );
    assert!(md.contains("A tiny company for fixtures."));
    assert_holds(&provenance(&md), &read_json(&run.join("manifest.json")), &[]);

    let cal = dir.path().join("cal");
    copy_fixture("tests/fixtures/v28ecb67/cal", &cal);
    // Its charts are not in the fixture: unlist them, as a report embeds
    // only the charts a manifest lists. Every other byte is as written.
    let mut manifest = read_json(&cal.join("manifest.json"));
    manifest["files_sha256"]
        .as_object_mut()
        .unwrap()
        .retain(|name, _| !name.starts_with("charts/"));
    std::fs::write(cal.join("manifest.json"), serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    assert!(
        manifest["evidence"].is_string() && manifest["evidence_path"].is_null(),
        "an old manifest"
    );
    tokenmaxx()
        .arg("report")
        .arg(&cal)
        .args(["--format", "md"])
        .assert()
        .success();
    let md = std::fs::read_to_string(cal.join("report.md")).unwrap();
    assert!(md.starts_with("# Calibration `tiny-evidence`"), "{}", &md[..200]);
    let rows = provenance(&md);
    assert_holds(
        &rows,
        &manifest,
        &[("evidence_path", "evidence"), ("base_path", "base")],
    );
    assert!(
        rows.contains(&("evidence_path".into(), "tiny-evidence.toml".into())),
        "{rows:?}"
    );
    assert!(rows.contains(&("base_path".into(), "tiny.toml".into())), "{rows:?}");
    assert!(
        !rows.iter().any(|(k, _)| k == "evidence_sha256"),
        "an old calibration recorded no hash: {rows:?}"
    );
}

/// The SHA-256 of a file's bytes.
fn sha_of(path: &Path) -> String {
    tokenmaxx::output::sha256_hex(&std::fs::read(path).unwrap())
}

/// The chart files in `dir/charts`, as relative names.
fn chart_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| format!("charts/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    names.sort();
    names
}

/// A report's provenance matches the folder on disk: every file it lists
/// is there with the SHA-256 it states, and every chart on disk is listed.
fn assert_provenance_is_the_folder(run: &Path) {
    tokenmaxx()
        .arg("report")
        .arg(run)
        .args(["--format", "md"])
        .assert()
        .success();
    let rows = provenance(&std::fs::read_to_string(run.join("report.md")).unwrap());
    let listed: Vec<(&str, &str)> = rows
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("sha256 ").map(|f| (f, v.as_str())))
        .collect();
    assert!(listed.iter().any(|(f, _)| f.starts_with("charts/")), "{rows:?}");
    for (file, sha) in &listed {
        let path = run.join(file);
        assert!(path.exists(), "the provenance lists {file}, which is not on disk");
        assert_eq!(sha_of(&path), *sha, "{file}: the provenance states another SHA-256");
    }
    for chart in chart_names(run) {
        assert!(
            listed.iter().any(|(f, _)| *f == chart),
            "{chart} is on disk but missing from the manifest and the provenance"
        );
    }
}

/// Issue 26, item 5: `plot --theme dark` records its charts (list and
/// SHA-256) and its look in the manifest, so the next report's provenance
/// is the folder on disk and a later plain `plot` keeps the dark look;
/// chart files the redrawing no longer makes are removed.
#[test]
fn a_redrawn_folder_stays_true_to_its_manifest_and_keeps_its_look() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    assert_provenance_is_the_folder(&run);
    // A chart file this result does not draw (say, of an earlier version).
    std::fs::write(run.join("charts/old_chart.png"), b"not this result's").unwrap();
    let before = charts(&run, "charts");
    tokenmaxx()
        .arg("plot")
        .arg(&run)
        .args(["--theme", "dark"])
        .assert()
        .success();
    assert!(
        !run.join("charts/old_chart.png").exists(),
        "a chart not redrawn is removed"
    );
    let dark = charts(&run, "charts");
    assert_eq!(dark.len() + 1, before.len());
    assert!(
        dark.iter().all(|(n, b)| before.iter().any(|(m, c)| m == n && c != b)),
        "every chart redrawn"
    );
    assert_eq!(read_json(&run.join("manifest.json"))["presentation"]["theme"], "dark");
    assert_provenance_is_the_folder(&run);
    // The report embeds the dark charts the manifest now lists.
    tokenmaxx().arg("report").arg(&run).assert().success();
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    let images: Vec<Vec<u8>> = images_of(&html).iter().map(|s| decode(s)).collect();
    assert_eq!(images.len(), dark.len());
    assert!(images.iter().all(|i| dark.iter().any(|(_, b)| b == i)));
    // A plain `plot` keeps the look the folder recorded.
    tokenmaxx().arg("plot").arg(&run).assert().success();
    assert_eq!(charts(&run, "charts"), dark, "redrawn in the recorded (dark) look");
    assert_provenance_is_the_folder(&run);
    // Redrawing only the SVGs leaves the PNGs listed as they are.
    tokenmaxx()
        .arg("plot")
        .arg(&run)
        .args(["--format", "svg", "--theme", "light"])
        .assert()
        .success();
    assert_eq!(charts(&run, "charts"), dark, "the PNGs stay");
    assert_provenance_is_the_folder(&run);
}

/// Issue 26, item 5: a rerun that removes the previous result's report
/// says so (unless -q): the folder no longer holds the report made of it.
#[test]
fn a_rerun_that_removes_a_report_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    tokenmaxx().arg("report").arg(&run).assert().success();
    let scenario = dir.path().join("small.toml");
    let rerun = || {
        let mut c = tokenmaxx();
        c.arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(&run)
            .args(["--replicates", "2"]);
        c
    };
    rerun()
        .assert()
        .success()
        .stderr(predicate::str::contains("removed report.html of the previous result"))
        .stderr(predicate::str::contains("run `tokenmaxx report"));
    assert!(!run.join("report.html").exists());
    // No report, nothing to say.
    rerun()
        .assert()
        .success()
        .stderr(predicate::str::contains("removed report").not());
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "md"])
        .assert()
        .success();
    rerun().arg("-q").assert().success().stderr(predicate::str::is_empty());
    assert!(!run.join("report.md").exists());
}

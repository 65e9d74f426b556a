//! Charts: every chart type renders from small fixture CSVs into a real
//! picture, `plot` redraws a run's charts byte for byte, and bad results
//! directories get clear errors.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::Path;
use tempfile::TempDir;
use tokenmaxx::plot::{self, RunData};

const FIXTURE: &str = "tests/fixtures/market-small";

fn check_png(name: &str, bytes: &[u8]) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1920, 1080), "{name}: 16:9 at 1920x1080");
    let px = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let mut colors = std::collections::BTreeSet::new();
    let (mut sum, mut sum2, mut n) = (0.0, 0.0, 0.0);
    for p in px.chunks(step) {
        colors.insert((p[0], p[1], p[2]));
        let v = p[0] as f64 + p[1] as f64 + p[2] as f64;
        sum += v;
        sum2 += v * v;
        n += 1.0;
    }
    let var = sum2 / n - (sum / n).powi(2);
    assert!(var > 100.0, "{name}: the picture is nearly blank (variance {var})");
    assert!(colors.len() > 20, "{name}: only {} colours", colors.len());
    // Every policy colour appears (the Okabe-Ito vermillion of usage_leaderboard, for one).
    assert!(
        colors.contains(&(213, 94, 0)),
        "{name}: the leaderboard's colour is missing"
    );
}

fn check_svg(name: &str, bytes: &[u8], texts: &[&str]) {
    let text = std::str::from_utf8(bytes).unwrap();
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{name}: SVG is not well-formed XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let all: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n");
    for t in texts {
        assert!(all.contains(t), "{name}: SVG lacks the text {t:?}");
    }
}

#[test]
fn every_chart_type_renders_from_fixture_csvs() {
    let d = RunData::from_dir(Path::new(FIXTURE)).unwrap();
    let charts = plot::run_charts(&d, plot::Format::Both, &plot::Look::default()).unwrap();
    let names: Vec<&str> = charts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "spend_vs_value",
            "weekly",
            "policy_comparison",
            "commitment",
            "verdicts",
            "market"
        ]
    );
    let expect: [(&str, &[&str]); 6] = [
        (
            "spend_vs_value",
            &[
                "Spend against delivered value",
                "Token spend over the run (USD)",
                "Delivered value over the run (USD)",
                "break-even (ROI 1)",
            ],
        ),
        (
            "weekly",
            &["Weekly and cumulative", "Spend per week", "USD per week", "Week"],
        ),
        (
            "policy_comparison",
            &[
                "Return on AI spend (value / spend)",
                "ROI (x)",
                "USD per million tokens",
            ],
        ),
        (
            "commitment",
            &[
                "Annual commitment by contract year",
                "USD per year",
                "Mandate to use AI over time",
            ],
        ),
        (
            "verdicts",
            &["highest", "Row beats column on net value", "Share", "Regret"],
        ),
        (
            "market",
            &[
                "How the usage meme spreads",
                "Share of enterprises (%)",
                "Token spend over the run (USD)",
            ],
        ),
    ];
    for (c, (name, texts)) in charts.iter().zip(expect) {
        assert_eq!(c.name, name);
        check_png(name, c.png.as_deref().expect("drawn as PNG"));
        let mut texts = texts.to_vec();
        texts.extend(["Usage leaderboard", "Source: tokenmaxx", "scenario \"market\""]);
        check_svg(name, c.svg.as_deref().expect("drawn as SVG"), &texts);
    }
}

#[test]
fn policy_colours_are_fixed_across_charts() {
    let all: Vec<String> = ["usage_quota", "mine", "laissez_faire"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        plot::policy_color("laissez_faire", &all),
        plot::policy_color("laissez_faire", &all[2..])
    );
    assert_ne!(
        plot::policy_color("mine", &all),
        plot::policy_color("usage_quota", &all)
    );
}

#[test]
fn money_labels_are_compact() {
    assert_eq!(plot::money(1_250_000.0), "$1.25M");
    assert_eq!(plot::money(45_000_000.0), "$45M");
    assert_eq!(plot::money(-300_000.0), "-$300k");
    assert_eq!(plot::money(0.0), "$0");
}

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

#[test]
fn plot_reproduces_the_charts_of_a_run() {
    let dir = TempDir::new().unwrap();
    tokenmaxx()
        .args([
            "run",
            "scenarios/baseline.toml",
            "--replicates",
            "2",
            "--set",
            "enterprises.acme.employees=40",
            "--set",
            "weeks=30",
            "-q",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let charts = dir.path().join("charts");
    let before: Vec<(String, Vec<u8>)> = {
        let mut v: Vec<_> = fs::read_dir(&charts)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    fs::read(&p).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(before.len(), 10, "five charts, SVG and PNG each");
    let again = TempDir::new().unwrap();
    tokenmaxx()
        .arg("plot")
        .arg(dir.path())
        .arg("--out")
        .arg(again.path())
        .assert()
        .success();
    for (name, bytes) in &before {
        assert_eq!(
            &fs::read(again.path().join("charts").join(name)).unwrap(),
            bytes,
            "{name} differs when redrawn"
        );
    }
    // --format svg writes only SVG files.
    let svg_only = TempDir::new().unwrap();
    tokenmaxx()
        .arg("plot")
        .arg(dir.path())
        .args(["--format", "svg", "--out"])
        .arg(svg_only.path())
        .assert()
        .success();
    assert!(
        fs::read_dir(svg_only.path().join("charts"))
            .unwrap()
            .all(|e| e.unwrap().path().extension().unwrap() == "svg")
    );
}

#[test]
fn plot_without_results_names_the_missing_file() {
    let dir = TempDir::new().unwrap();
    tokenmaxx()
        .arg("plot")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("manifest.json").and(predicate::str::contains("holds no tokenmaxx results")));
}

#[test]
fn plot_with_a_missing_column_names_file_and_column() {
    let dir = TempDir::new().unwrap();
    for f in [
        "runs.csv",
        "weekly.csv",
        "enterprises.csv",
        "summary.csv",
        "verdicts.csv",
        "manifest.json",
    ] {
        fs::copy(Path::new(FIXTURE).join(f), dir.path().join(f)).unwrap();
    }
    let runs = fs::read_to_string(dir.path().join("runs.csv")).unwrap();
    fs::write(dir.path().join("runs.csv"), runs.replacen("value_usd", "valeur", 1)).unwrap();
    // The reader names the file and the column...
    let err = RunData::from_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("runs.csv") && err.contains("column `value_usd` is missing"),
        "{err}"
    );
    // ...and `plot` refuses the edited file before reading it (issue 13, item 13).
    tokenmaxx()
        .arg("plot")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("runs.csv").and(predicate::str::contains("differs from the SHA-256")));
    assert!(!dir.path().join("charts").exists(), "a failed plot writes nothing");
}

const SWEEP_FIXTURE: &str = "tests/fixtures/sweep-small";

#[test]
fn every_sweep_chart_renders_from_fixture_csvs() {
    let d = plot::SweepData::from_dir(Path::new(SWEEP_FIXTURE)).unwrap();
    let charts = plot::sweep_charts(&d, plot::Format::Both, &plot::Look::default()).unwrap();
    let names: Vec<&str> = charts.iter().map(|c| c.name.as_str()).collect();
    // Parameters in rank order (|Spearman rho| of net value against the
    // reference: 0.945 for the spend-signal weight, 0.091 for the
    // discount), files named by key.
    assert_eq!(
        names,
        [
            "spend_vs_value",
            "by_parameter_enterprises-acme-spend-signal-weight",
            "by_parameter_labs-frontier-lab-discount-scale",
            "heatmap"
        ]
    );
    let ranked: Vec<(usize, f64)> = d.ranked_parameters().iter().map(|s| (s.parameter, s.abs_rho)).collect();
    assert_eq!(ranked[0].0, 1);
    assert!((ranked[0].1 - 0.945).abs() < 0.001, "{ranked:?}");
    for c in &charts {
        check_png(&c.name, c.png.as_deref().expect("drawn as PNG"));
        check_svg(
            &c.name,
            c.svg.as_deref().unwrap(),
            &[
                "Source: tokenmaxx",
                "sweep \"g\"",
                "25 points x 3 policies x 4 replicates",
            ],
        );
    }
    check_svg(
        "by_parameter_labs-frontier-lab-discount-scale",
        charts[2].svg.as_deref().unwrap(),
        &[
            "Discount depth, Frontier lab (x tiers)",
            "ROI (x)",
            "Token spend over the run",
        ],
    );
    check_svg(
        "heatmap",
        charts[3].svg.as_deref().unwrap(),
        &[
            "Spend-signal weight, Acme",
            "Usage leaderboard",
            "Net value",
            "vs Laissez-faire",
        ],
    );
}

#[test]
fn plot_redraws_a_sweep_directory() {
    let dir = TempDir::new().unwrap();
    tokenmaxx()
        .arg("plot")
        .arg(SWEEP_FIXTURE)
        .arg("--out")
        .arg(dir.path())
        .args(["--format", "png"])
        .assert()
        .success();
    let n = fs::read_dir(dir.path().join("charts")).unwrap().count();
    assert_eq!(n, 4, "four sweep charts as PNG");
}

#[test]
fn svg_only_charts_draw_no_png() {
    let d = RunData::from_dir(Path::new(FIXTURE)).unwrap();
    let charts = plot::run_charts(&d, plot::Format::Svg, &plot::Look::default()).unwrap();
    assert!(charts.iter().all(|c| c.svg.is_some() && c.png.is_none()));
    let files = plot::chart_files(charts);
    assert!(files.iter().all(|(name, _)| name.ends_with(".svg")), "{files:?}");
}

/// The look is a value every chart function takes: a chart drawn on
/// another thread is drawn in the look it is given (it was a thread-local
/// that only the command line's thread set), and drawing in one look
/// leaves no trace on the next chart.
#[test]
fn a_chart_drawn_on_another_thread_takes_the_look_it_is_given() {
    let d = RunData::from_dir(Path::new(FIXTURE)).unwrap();
    let dark = plot::Look {
        theme: plot::Theme::Dark,
        ..plot::Look::default()
    };
    let svgs = |charts: Vec<plot::Chart>| -> Vec<Vec<u8>> { charts.into_iter().map(|c| c.svg.unwrap()).collect() };
    let on_thread = std::thread::scope(|s| {
        s.spawn(|| svgs(plot::run_charts(&d, plot::Format::Svg, &dark).unwrap()))
            .join()
            .unwrap()
    });
    let light = svgs(plot::run_charts(&d, plot::Format::Svg, &plot::Look::default()).unwrap());
    let here_dark = svgs(plot::run_charts(&d, plot::Format::Svg, &dark).unwrap());
    let light_again = svgs(plot::run_charts(&d, plot::Format::Svg, &plot::Look::default()).unwrap());
    assert_eq!(on_thread, here_dark, "the same look gives the same bytes on any thread");
    assert_ne!(on_thread, light, "the dark look was not the default");
    assert_eq!(light, light_again, "a dark drawing left no trace");
}

/// The size of a PNG, from its header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// `--theme`, `--aspect`, `--width` and `--font-scale` change the PNG's size
/// and shape and the SVG's colours and nominal size; labels stay text.
#[test]
fn presentation_flags_change_size_shape_and_colours() {
    let dir = TempDir::new().unwrap();
    let (plain, styled) = (dir.path().join("plain"), dir.path().join("styled"));
    tokenmaxx()
        .arg("plot")
        .arg(FIXTURE)
        .arg("--out")
        .arg(&plain)
        .assert()
        .success();
    tokenmaxx()
        .arg("plot")
        .arg(FIXTURE)
        .arg("--out")
        .arg(&styled)
        .args([
            "--theme",
            "dark",
            "--aspect",
            "4:3",
            "--width",
            "1024",
            "--font-scale",
            "1.2",
        ])
        .assert()
        .success();
    let read = |d: &Path, f: &str| std::fs::read(d.join("charts").join(f)).unwrap();
    assert_eq!(png_size(&read(&plain, "weekly.png")), (1920, 1080));
    assert_eq!(png_size(&read(&styled, "weekly.png")), (1024, 768));
    let (a, b) = (
        String::from_utf8(read(&plain, "weekly.svg")).unwrap(),
        String::from_utf8(read(&styled, "weekly.svg")).unwrap(),
    );
    assert!(a.starts_with("<svg width=\"1920\" height=\"1080\" viewBox=\"0 0 1920 1080\""));
    assert!(
        b.starts_with("<svg width=\"1024\" height=\"768\" viewBox=\"0 0 1920 1440\""),
        "{}",
        &b[..120]
    );
    assert!(a.contains("fill=\"#FFFFFF\"") && !a.contains("#181A1E"));
    assert!(b.contains("fill=\"#181A1E\""), "the dark background");
    for svg in [&a, &b] {
        check_svg("weekly", svg.as_bytes(), &["Usage leaderboard", "Laissez-faire"]);
    }
    // A larger font scale writes larger text.
    let size = |svg: &str| -> f64 {
        let i = svg.find("font-size=\"").unwrap() + 11;
        svg[i..].split('"').next().unwrap().parse().unwrap()
    };
    assert!(size(&b) > size(&a) * 1.15, "{} vs {}", size(&b), size(&a));
    // Out-of-range values are refused before anything is drawn.
    let bad = dir.path().join("bad");
    tokenmaxx()
        .arg("plot")
        .arg(FIXTURE)
        .arg("--out")
        .arg(&bad)
        .args(["--width", "50000"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--width 50000"));
    assert!(!bad.exists());
}

/// `--svg-text paths` writes outlines (no `<text>`, the words kept as
/// `aria-label`s); either way the frame's parts carry ids and each policy's
/// elements are grouped under its class, so a designer restyles a policy
/// with one selection.
#[test]
fn svg_text_as_paths_and_groups_with_ids() {
    let dir = TempDir::new().unwrap();
    let (text, paths) = (dir.path().join("text"), dir.path().join("paths"));
    for (out, mode) in [(&text, "text"), (&paths, "paths")] {
        tokenmaxx()
            .arg("plot")
            .arg(FIXTURE)
            .arg("--out")
            .arg(out)
            .args(["--format", "svg", "--svg-text", mode])
            .assert()
            .success();
    }
    let read = |d: &Path| fs::read_to_string(d.join("charts/spend_vs_value.svg")).unwrap();
    let (t, p) = (read(&text), read(&paths));
    for svg in [&t, &p] {
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        let ids: Vec<&str> = doc.descendants().filter_map(|n| n.attribute("id")).collect();
        for id in ["title", "subtitle", "source", "legend", "legend-usage-leaderboard"] {
            assert!(ids.contains(&id), "no element with id {id}: {ids:?}");
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "ids are unique");
        // Every element in the leaderboard's colour sits in its series group.
        for n in doc.descendants().filter(|n| n.attribute("fill") == Some("#D55E00")) {
            let classed = n
                .ancestors()
                .any(|a| a.attribute("class") == Some("series-usage-leaderboard"));
            assert!(classed, "an element in the leaderboard's colour outside its group");
        }
        assert!(!svg.contains("#010203"), "a group sentinel left in the SVG");
    }
    check_svg("text", t.as_bytes(), &["Usage leaderboard", "Laissez-faire"]);
    assert!(t.contains("font-family=\"DejaVu Sans") && t.contains("textLength="));
    assert!(!p.contains("<text"), "paths mode writes no text element");
    assert!(p.contains("aria-label=\"Usage leaderboard\""));
    let doc = roxmltree::Document::parse(&p).unwrap();
    let title = doc.descendants().find(|n| n.attribute("id") == Some("title")).unwrap();
    let path = title
        .children()
        .find(|n| n.has_tag_name("path"))
        .expect("the title as a path");
    assert!(
        path.attribute("d").unwrap().len() > 1000,
        "outlines of the title's glyphs"
    );
}

/// A scenario's `[presentation]` sets the look of its charts, flags
/// override it, the results folder remembers the look drawn for `plot`, and a bad value
/// is named by file, key, line and column with nothing written.
#[test]
fn presentation_table_sets_the_look_and_flags_override_it() {
    let dir = TempDir::new().unwrap();
    let scenario = dir.path().join("s.toml");
    let text = "name = \"pres\"\ndescription = \"d\"\nweeks = 8\nreplicates = 2\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
                [enterprises.acme]\nemployees = 20\n\n[presentation]\ntheme = \"dark\"\naspect = \"1:1\"\nwidth = 800\n";
    fs::write(&scenario, text).unwrap();
    let png = |d: &Path| fs::read(d.join("charts/weekly.png")).unwrap();
    let a = dir.path().join("a");
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&a)
        .arg("-q")
        .assert()
        .success();
    assert_eq!(png_size(&png(&a)), (800, 800));
    assert!(
        fs::read_to_string(a.join("charts/weekly.svg"))
            .unwrap()
            .contains("#181A1E")
    );
    // A flag overrides one setting; the others stay the table's.
    let b = dir.path().join("b");
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&b)
        .args(["-q", "--aspect", "16:9"])
        .assert()
        .success();
    assert_eq!(png_size(&png(&b)), (800, 450));
    // The folder records the look its charts were drawn in (the table's,
    // under the flag): `plot` redraws them in it (issue 26).
    fs::remove_dir_all(b.join("charts")).unwrap();
    tokenmaxx().arg("plot").arg(&b).assert().success();
    assert_eq!(png_size(&png(&b)), (800, 450));
    assert!(
        fs::read_to_string(b.join("charts/weekly.svg"))
            .unwrap()
            .contains("#181A1E")
    );
    // A recorded presentation edited out of range is named, not ignored.
    let manifest = b.join("manifest.json");
    let edited = fs::read_to_string(&manifest)
        .unwrap()
        .replace("\"width\": 800", "\"width\": 999999");
    assert!(edited.contains("999999"), "the manifest records the width");
    fs::write(&manifest, edited).unwrap();
    tokenmaxx()
        .arg("plot")
        .arg(&b)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "manifest.json: its `presentation` has width 999999",
        ));
    // A bad value: file, key, line and column; no folder.
    fs::write(&scenario, text.replace("width = 800", "width = 80000")).unwrap();
    let c = dir.path().join("c");
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&c)
        .assert()
        .failure()
        .stderr(predicate::str::contains("s.toml:12:9: key `presentation.width`"));
    assert!(!c.exists());
    fs::write(&scenario, text.replace("aspect", "aspekt")).unwrap();
    tokenmaxx()
        .arg("validate")
        .arg(&scenario)
        .assert()
        .failure()
        .stderr(predicate::str::contains("key `presentation.aspekt`"));
}

/// A sweep file's `[presentation]` settings go over its base scenario's.
#[test]
fn a_sweeps_presentation_goes_over_its_bases() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("base.toml"),
        "name = \"b\"\ndescription = \"d\"\nweeks = 8\nreplicates = 1\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
         [enterprises.acme]\nemployees = 20\n[presentation]\ntheme = \"dark\"\nwidth = 800\n",
    )
    .unwrap();
    let sweep = dir.path().join("sweep.toml");
    fs::write(
        &sweep,
        "base = \"base.toml\"\n[sweep]\ndesign = \"grid\"\n[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nvalues = [5.0, 10.0]\n\
         [presentation]\naspect = \"1:1\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    tokenmaxx()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    assert_eq!(
        png_size(&fs::read(out.join("charts/spend_vs_value.png")).unwrap()),
        (800, 800)
    );
    assert!(
        fs::read_to_string(out.join("charts/spend_vs_value.svg"))
            .unwrap()
            .contains("#181A1E")
    );
}

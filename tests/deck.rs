//! `tokenmaxx report --format pptx`: a results folder as a slide deck. The
//! package is checked part by part (every XML part parses, every
//! relationship points at a part that is there), the slides against the
//! Markdown twin of the same report (a title, the findings, a slide per
//! chart with that chart's bytes, the methods), the bytes for determinism
//! and the usual `--out` refusals; and where LibreOffice is installed
//! (required with TOKENMAXX_REQUIRE_OFFICE=1), the deck is converted to PDF:
//! one page per slide, none blank, the charts in it as images.

use assert_cmd::Command;
use predicates::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

fn tokenmaxx() -> Command {
    Command::cargo_bin("tokenmaxx").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A small company whose description and policy label hold markup: both
/// must reach the slides as text. (The scenario layer refuses control
/// characters; `report::pptx`'s unit tests drop them.)
const SMALL: &str = "name = \"small\"\ndescription = \"A small test company <b>&\\\"quoted\\\".\"\nweeks = 13\nreplicates = 2\n\
arms = [\"laissez_faire\", \"usage_leaderboard\", \"thrift\"]\n[enterprises.acme]\nemployees = 10\n\
[policies.thrift]\nlabel = \"Thrift <b>&\\\"club\"\ndescription = \"A custom policy.\"\ncost_penalty_share = 0.3\n";

/// The parts of a deck, by name.
fn parts(pptx: &Path) -> BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(pptx).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the deck is a zip");
    let mut out = BTreeMap::new();
    for k in 0..zip.len() {
        let mut f = zip.by_index(k).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        out.insert(f.name().unwrap().to_string(), b);
    }
    out
}

/// What a deck holds, read back from its parts.
struct Deck {
    /// Each slide's paragraphs (its runs joined), in slide order.
    slides: Vec<Vec<String>>,
    /// Each slide's number of pictures.
    pictures: Vec<usize>,
    /// The media, in part-name order.
    media: Vec<Vec<u8>>,
}

/// Opens a deck and checks the package: the expected parts, every XML
/// part well-formed, every relationship's target present, every content
/// type override naming a part, the slide list of presentation.xml in
/// order.
fn open(pptx: &Path) -> Deck {
    let parts = parts(pptx);
    for name in [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/app.xml",
        "docProps/core.xml",
        "ppt/presentation.xml",
        "ppt/_rels/presentation.xml.rels",
        "ppt/slideMasters/slideMaster1.xml",
        "ppt/slideLayouts/slideLayout1.xml",
        "ppt/theme/theme1.xml",
    ] {
        assert!(parts.contains_key(name), "{name} missing: {:?}", parts.keys());
    }
    let mut docs = BTreeMap::new();
    for (name, bytes) in &parts {
        if name.ends_with(".xml") || name.ends_with(".rels") {
            let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
            docs.insert(name.clone(), text.to_string());
        } else {
            assert!(name.starts_with("ppt/media/") && name.ends_with(".png"), "{name}");
        }
    }
    // Relationships point at parts that are there.
    for (name, text) in &docs {
        if !name.ends_with(".rels") {
            continue;
        }
        // `DIR/_rels/PART.rels` describes `DIR/PART`: targets are relative to DIR.
        let base = Path::new(name).parent().and_then(Path::parent).unwrap().to_path_buf();
        let doc = roxmltree::Document::parse(text).unwrap();
        for r in doc.descendants().filter(|n| n.has_tag_name("Relationship")) {
            let target = r.attribute("Target").unwrap();
            let mut path = base.clone();
            for seg in target.split('/') {
                if seg == ".." {
                    path.pop();
                } else {
                    path.push(seg);
                }
            }
            let path = path.to_string_lossy().into_owned();
            assert!(parts.contains_key(&path), "{name}: {target} ({path}) is not a part");
        }
    }
    let types = roxmltree::Document::parse(&docs["[Content_Types].xml"])
        .unwrap()
        .descendants()
        .filter(|n| n.has_tag_name("Override"))
        .map(|n| n.attribute("PartName").unwrap().trim_start_matches('/').to_string())
        .collect::<Vec<_>>();
    for t in &types {
        assert!(parts.contains_key(t), "content type for a missing part {t}");
    }
    let n = parts
        .keys()
        .filter(|k| k.starts_with("ppt/slides/slide") && k.ends_with(".xml"))
        .count();
    let pres = roxmltree::Document::parse(&docs["ppt/presentation.xml"]).unwrap();
    assert_eq!(pres.descendants().filter(|n| n.has_tag_name("sldId")).count(), n);
    let size = pres.descendants().find(|n| n.has_tag_name("sldSz")).unwrap();
    assert_eq!(
        (size.attribute("cx"), size.attribute("cy")),
        (Some("12192000"), Some("6858000")),
        "16:9"
    );
    let mut slides = Vec::new();
    let mut pictures = Vec::new();
    for k in 1..=n {
        let name = format!("ppt/slides/slide{k}.xml");
        assert!(types.contains(&name), "{name} has no content type");
        let doc = roxmltree::Document::parse(&docs[&name]).unwrap();
        let paragraphs: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("p") && n.tag_name().namespace() == Some(DRAWINGML))
            .map(|p| {
                p.descendants()
                    .filter(|t| t.has_tag_name("t"))
                    .filter_map(|t| t.text())
                    .collect::<String>()
            })
            .filter(|p| !p.is_empty())
            .collect();
        // Every shape lies on the slide.
        for off in doc.descendants().filter(|n| n.has_tag_name("off")) {
            let ext = off.next_sibling_element().unwrap();
            let v = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<i64>().unwrap();
            assert!(
                v(off, "x") >= 0
                    && v(off, "y") >= 0
                    && v(off, "x") + v(ext, "cx") <= 12192000
                    && v(off, "y") + v(ext, "cy") <= 6858000,
                "{name}: a shape off the slide"
            );
        }
        pictures.push(doc.descendants().filter(|n| n.has_tag_name("pic")).count());
        slides.push(paragraphs);
    }
    let media = parts
        .iter()
        .filter(|(k, _)| k.starts_with("ppt/media/"))
        .map(|(_, v)| v.clone())
        .collect();
    Deck {
        slides,
        pictures,
        media,
    }
}

const DRAWINGML: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";

/// The PNG charts of `dir` (its `charts/` and `discovery/charts/`).
fn chart_pngs(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["charts", "discovery/charts"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "png") {
                out.push(std::fs::read(p).unwrap());
            }
        }
    }
    out.sort();
    out
}

/// The findings of a Markdown report, their markup removed.
fn md_findings(md: &str) -> Vec<String> {
    md.split("## Findings\n\n")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .map(|l| l.replace("**", "").replace('`', "").replace("&lt;", "<"))
        .collect()
}

/// Checks a deck against its folder and the folder's Markdown report: a
/// title slide, the findings slides holding every finding, one slide per
/// chart with that chart's bytes, a methods slide; returns the deck.
fn check_against_report(results: &Path, pptx: &Path) -> Deck {
    let deck = open(pptx);
    let n = deck.slides.len();
    tokenmaxx()
        .arg("report")
        .arg(results)
        .args(["--format", "md"])
        .assert()
        .success();
    let md = std::fs::read_to_string(results.join("report.md")).unwrap();
    let title = md.lines().next().unwrap().trim_start_matches("# ").replace('`', "");
    assert_eq!(deck.slides[0][0], title, "the title slide");
    let findings_slides = deck
        .slides
        .iter()
        .take_while(|s| s.first().is_none_or(|t| t.starts_with("Findings") || *t == title))
        .count()
        - 1;
    assert!(findings_slides >= 1, "{:?}", deck.slides);
    let charts = chart_pngs(results);
    assert!(!charts.is_empty());
    assert_eq!(
        n,
        1 + findings_slides + charts.len() + 1,
        "title + findings + a slide per chart + methods: {:?}",
        deck.slides.iter().map(|s| s.first().cloned()).collect::<Vec<_>>()
    );
    let findings_text = deck.slides[1..1 + findings_slides].concat().join("\n");
    for f in md_findings(&md) {
        assert!(
            findings_text.contains(&f),
            "finding not on a slide: {f}\n{findings_text}"
        );
    }
    assert!(!findings_text.contains("cut to fit"));
    for k in 0..charts.len() {
        assert_eq!(
            deck.pictures[1 + findings_slides + k],
            1,
            "slide {} has its chart",
            k + 2 + findings_slides
        );
    }
    let mut media = deck.media.clone();
    media.sort();
    assert_eq!(media, charts, "each chart embedded once, byte for byte");
    assert_eq!(deck.slides[n - 1][0], "Methods and provenance");
    assert!(deck.slides[n - 1].iter().any(|p| p == "Provenance"));
    deck
}

/// `soffice` or `libreoffice` on the PATH.
fn office() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["soffice", "libreoffice"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Whether the office suite and poppler are here; when not, says so
/// loudly, or fails when TOKENMAXX_REQUIRE_OFFICE is set.
fn office_or_skip(test: &str) -> Option<PathBuf> {
    let soffice = office();
    let poppler = std::process::Command::new("pdfinfo").arg("-v").output().is_ok();
    match soffice {
        Some(s) if poppler => Some(s),
        _ => {
            assert!(
                std::env::var_os("TOKENMAXX_REQUIRE_OFFICE").is_none(),
                "TOKENMAXX_REQUIRE_OFFICE is set but soffice or pdfinfo is missing"
            );
            eprintln!(
                "\n*** SKIPPED the LibreOffice part of {test}: soffice/libreoffice or poppler-utils is not installed ***\n"
            );
            None
        }
    }
}

/// Converts `decks` (distinct file names) to PDF with a fresh LibreOffice
/// profile; returns the PDFs in the same order.
fn to_pdf(soffice: &Path, decks: &[PathBuf], work: &Path) -> Vec<PathBuf> {
    let profile = work.join("office-profile");
    let out = work.join("pdf");
    let status = std::process::Command::new(soffice)
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(&out)
        .args(decks)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    decks
        .iter()
        .map(|d| {
            let pdf = out.join(d.with_extension("pdf").file_name().unwrap());
            assert!(
                pdf.exists(),
                "no {}: {}",
                pdf.display(),
                String::from_utf8_lossy(&status.stderr)
            );
            pdf
        })
        .collect()
}

fn pdf_pages(pdf: &Path) -> usize {
    let out = std::process::Command::new("pdfinfo").arg(pdf).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap_or_else(|| panic!("pdfinfo: {text}"))
        .trim()
        .parse()
        .unwrap()
}

/// Pixels of a PNG that are not (near) white.
fn ink(png_bytes: &[u8]) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| (p[0] as u32 + p[1] as u32 + p[2] as u32) / 3 < 200)
        .count()
}

/// The PDF has `slides` pages, no page blank, and at least `charts` images.
fn check_pdf(pdf: &Path, slides: usize, charts: usize, work: &Path) {
    assert_eq!(pdf_pages(pdf), slides, "{}: one page per slide", pdf.display());
    let stem = work.join(pdf.file_stem().unwrap());
    let ok = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "20"])
        .arg(pdf)
        .arg(&stem)
        .status()
        .unwrap();
    assert!(ok.success());
    let prefix = stem.file_name().unwrap().to_string_lossy().into_owned();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(work)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&format!("{prefix}-")) && n.ends_with(".png")
        })
        .collect();
    pages.sort();
    assert_eq!(pages.len(), slides);
    for p in &pages {
        let dark = ink(&std::fs::read(p).unwrap());
        assert!(dark >= 20, "{} is blank ({dark} inked pixels)", p.display());
    }
    let list = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(pdf)
        .output()
        .unwrap();
    let images = String::from_utf8_lossy(&list.stdout)
        .lines()
        .skip(2)
        .filter(|l| !l.contains(" smask "))
        .count();
    assert!(
        images >= charts,
        "{}: {images} images for {charts} charts",
        pdf.display()
    );
}

#[test]
fn a_run_as_a_deck_holds_every_finding_and_chart_opens_in_office_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.toml", SMALL);
    let run = dir.path().join("run");
    tokenmaxx()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&run)
        .arg("-q")
        .assert()
        .success();
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "pptx"])
        .assert()
        .success()
        .stdout(predicate::str::contains("report.pptx"));
    let pptx = run.join("report.pptx");
    let deck = check_against_report(&run, &pptx);
    // Markup and control characters from the inputs are text on the slides.
    let all = deck.slides.concat().join("\n");
    assert!(all.contains("A small test company <b>&\"quoted\"."), "the lead: {all}");
    assert!(all.contains("Thrift <b>&\"club"), "the label: {all}");
    assert!(!all.contains('\u{1}'));
    let parts = parts(&pptx);
    let slide2 = String::from_utf8(parts["ppt/slides/slide2.xml"].clone()).unwrap();
    assert!(slide2.contains("Thrift &lt;b&gt;&amp;&quot;club"), "escaped in the XML");

    // The same folder gives the same bytes, wherever the deck goes.
    let first = std::fs::read(&pptx).unwrap();
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "pptx"])
        .assert()
        .success();
    assert_eq!(std::fs::read(&pptx).unwrap(), first, "a second deck differs");
    let elsewhere = dir.path().join("deck.pptx");
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "pptx", "--out"])
        .arg(&elsewhere)
        .assert()
        .success();
    assert_eq!(std::fs::read(&elsewhere).unwrap(), first, "--out gives another deck");

    // The refusals of the other formats: a deck inside the folder under
    // another name, over a file tokenmaxx did not write, at a folder.
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "pptx", "--out"])
        .arg(run.join("slides.pptx"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("lies in the results folder"));
    let foreign = write(dir.path(), "talk.pptx", "someone's slides");
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "pptx", "--out"])
        .arg(&foreign)
        .assert()
        .failure()
        .stderr(predicate::str::contains("is not a report tokenmaxx wrote"));
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "someone's slides");
    tokenmaxx()
        .arg("report")
        .arg(&run)
        .args(["--format", "pptx", "--out"])
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("is a folder"));

    let Some(soffice) = office_or_skip("a_run_as_a_deck_holds_every_finding_and_chart_opens_in_office") else {
        return;
    };
    let work = dir.path().join("office");
    std::fs::create_dir_all(&work).unwrap();
    let pdfs = to_pdf(&soffice, std::slice::from_ref(&pptx), &work);
    check_pdf(&pdfs[0], deck.slides.len(), deck.media.len(), &work);
}

/// Every kind of result `report` reads makes a deck: a worlds run with its
/// discovery, a sensitivity sweep, a calibration and a policy search.
#[test]
fn every_kind_of_result_makes_a_deck() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "w.toml",
        "name = \"small\"\nweeks = 13\nreplicates = 1\n[enterprises.acme]\nemployees = 10\n",
    );
    let ok = |args: &[&str]| {
        tokenmaxx().current_dir(d).args(args).assert().success();
    };
    ok(&[
        "run",
        "w.toml",
        "--worlds",
        "30",
        "--vary",
        "employees.tasks_per_week",
        "--vary",
        "behaviour.mandate_usd",
        "-q",
        "--out",
        "worlds",
    ]);
    ok(&[
        "discover",
        "worlds",
        "--policy",
        "laissez_faire",
        "--against",
        "usage_leaderboard",
        "--bootstrap",
        "10",
    ]);
    write(
        d,
        "screen.toml",
        "base = \"w.toml\"\n[sweep]\ndesign = \"morris\"\npoints = 2\nreplicates = 1\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
[[sweep.parameters]]\nkey = \"employees.tasks_per_week\"\nlabel = \"Workload\"\nrange = [6.0, 20.0]\n\
[[sweep.parameters]]\nkey = \"agent.noise_prob_agent\"\nrange = [0.2, 0.8]\n",
    );
    ok(&["sweep", "screen.toml", "--out", "sweep", "-q"]);
    write(
        d,
        "evidence.toml",
        "base = \"w.toml\"\n[calibrate]\nparticles = 12\ngenerations = 2\nseed = 3\nmin_acceptance = 0.0\n\
[[prior]]\nkey = \"employees.tasks_per_week\"\nrange = [4.0, 30.0]\n\
[[target]]\nname = \"tasks a week\"\nmetric = \"tasks\"\npolicy = \"laissez_faire\"\nobserved = 6000.0\ntolerance = [3000.0, 12000.0]\nrole = \"fit\"\n",
    );
    ok(&["calibrate", "evidence.toml", "--out", "cal", "-q"]);
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    write(
        d,
        "search.toml",
        &format!(
            "base = {base:?}\n[optimize]\nname = \"tiny\"\nevaluations = 16\npopulation = 8\nworlds = 2\nvalidation_worlds = 2\nseed = 5\n\
policy = \"candidate\"\nreferences = [\"laissez_faire\", \"usage_leaderboard\"]\n\
[[lever]]\nkey = \"policies.candidate.token_reward_usd_per_mtok\"\nrange = [0.0, 20.0]\n\
[[lever]]\nkey = \"policies.candidate.weekly_budget_usd\"\nrange = [5.0, 500.0]\nlog = true\n\
[[objective]]\nmetric = \"net_value_usd\"\nmeasure = \"mean\"\ndirection = \"maximize\"\nepsilon = 1000.0\n\
[[objective]]\nmetric = \"net_value_usd\"\nmeasure = \"max_regret\"\ndirection = \"minimize\"\nepsilon = 1000.0\n"
        ),
    );
    ok(&[
        "optimize",
        "search.toml",
        "--out",
        "opt",
        "-q",
        "--set",
        "enterprises.acme.employees=10",
        "--set",
        "weeks=8",
    ]);
    let mut decks = Vec::new();
    for kind in ["worlds", "sweep", "cal", "opt"] {
        let results = d.join(kind);
        let out = d.join(format!("{kind}.pptx"));
        ok(&["report", kind, "--format", "pptx", "--out", out.to_str().unwrap()]);
        let deck = check_against_report(&results, &out);
        if kind == "worlds" {
            let all = deck.slides.concat().join("\n");
            assert!(all.contains("Scenario discovery (PRIM)"), "the discovery's finding");
            assert!(all.contains("PRIM trade-off"), "the discovery's charts");
        }
        decks.push((out, deck.slides.len(), deck.media.len()));
    }
    let Some(soffice) = office_or_skip("every_kind_of_result_makes_a_deck") else {
        return;
    };
    let work = d.join("office");
    std::fs::create_dir_all(&work).unwrap();
    let files: Vec<PathBuf> = decks.iter().map(|(p, _, _)| p.clone()).collect();
    let pdfs = to_pdf(&soffice, &files, &work);
    for (pdf, (_, slides, charts)) in pdfs.iter().zip(&decks) {
        check_pdf(pdf, *slides, *charts, &work);
    }
}

//! The report as a slide deck ([`Report::deck`]): a title slide (the
//! report's title and lead), the findings (one slide, or several when they
//! do not fit one), one slide per chart (its title, the chart scaled to
//! fit, its caption and file), and a methods slide (the methods and the
//! provenance), all 16:9. Built from the same [`Report`] as the HTML and
//! Markdown reports, so the three say the same thing.
//!
//! Text is native slide text, fitted here: every text box gets the largest
//! size at which its text, wrapped with the widths of the bundled DejaVu
//! Sans (wider than the deck's Arial), fits the box; text that would not
//! fit even at the smallest size is cut with a note saying so, so nothing
//! runs off a slide. Pure: the report in, a [`Deck`] out
//! ([`super::pptx`] makes it bytes).

use super::pptx::{
    Align, Deck, EMU_PER_INCH, EMU_PER_POINT, INSET_X, INSET_Y, Paragraph, Picture, Rect, Run, SLIDE_HEIGHT,
    SLIDE_WIDTH, Shape, Slide, TextBox,
};
use super::{Figure, Report};

const INK: [u8; 3] = [0x1E, 0x1E, 0x1E];
const GREY: [u8; 3] = [0x55, 0x55, 0x55];
const LIGHT: [u8; 3] = [0x80, 0x80, 0x80];
/// Line height as a multiple of the font size (DejaVu Sans sets lines
/// 1.16 em apart; the margin covers viewers that round up).
const LINE: f64 = 1.2;
/// Widths measured are stretched by this much before wrapping: viewers
/// differ in kerning and hinting.
const SLACK: f64 = 1.06;
const MARGIN: f64 = 0.5;
/// The slide's width and height in inches.
const W: f64 = SLIDE_WIDTH as f64 / EMU_PER_INCH as f64;
const H: f64 = SLIDE_HEIGHT as f64 / EMU_PER_INCH as f64;

fn inch(x: f64) -> i64 {
    (x * EMU_PER_INCH as f64).round() as i64
}

fn rect(x: f64, y: f64, w: f64, h: f64) -> Rect {
    Rect {
        x: inch(x),
        y: inch(y),
        w: inch(w),
        h: inch(h),
    }
}

/// A paragraph before it is sized: its runs, whether it is a bullet, and
/// its size relative to the box's size.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    runs: Vec<Run>,
    bullet: bool,
    scale: f64,
    color: [u8; 3],
}

impl Block {
    fn plain(text: &str, color: [u8; 3]) -> Block {
        Block {
            runs: vec![run(text, false)],
            bullet: false,
            scale: 1.0,
            color,
        }
    }
}

fn run(text: &str, bold: bool) -> Run {
    Run {
        text: text.to_string(),
        bold,
        italic: false,
        mono: false,
    }
}

/// Markdown (a title, a finding, the methods) as blocks of styled runs:
/// paragraphs, list items as bullets, headings in bold, each table row a
/// line of cells joined by " · " (its header in bold). Raw HTML stays
/// text; links keep only their text; images only their alternative text.
fn blocks(md: &str, color: [u8; 3]) -> Vec<Block> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut out: Vec<Block> = Vec::new();
    let (mut bold, mut italic, mut head) = (0usize, 0usize, false);
    let mut in_item = 0usize;
    let mut cell = 0usize;
    let new = |out: &mut Vec<Block>, bullet: bool| {
        out.push(Block {
            runs: Vec::new(),
            bullet,
            scale: 1.0,
            color,
        })
    };
    let push = |out: &mut Vec<Block>, text: &str, bold: bool, italic: bool, mono: bool| {
        if out.is_empty() {
            out.push(Block {
                runs: Vec::new(),
                bullet: false,
                scale: 1.0,
                color,
            });
        }
        let runs = &mut out.last_mut().expect("a block").runs;
        match runs.last_mut() {
            Some(r) if r.bold == bold && r.italic == italic && r.mono == mono => r.text.push_str(text),
            _ => runs.push(Run {
                text: text.to_string(),
                bold,
                italic,
                mono,
            }),
        }
    };
    for e in Parser::new_ext(md, Options::ENABLE_TABLES) {
        let b = bold > 0 || head;
        let i = italic > 0;
        match e {
            Event::Start(Tag::Paragraph) if in_item == 0 => new(&mut out, false),
            // A second paragraph of a list item goes on the same line.
            Event::Start(Tag::Paragraph) if out.last().is_some_and(|b| !b.runs.is_empty()) => {
                push(&mut out, " ", b, i, false)
            }
            Event::Start(Tag::Item) => {
                in_item += 1;
                new(&mut out, true);
            }
            Event::End(TagEnd::Item) => in_item = in_item.saturating_sub(1),
            Event::Start(Tag::Heading { .. }) => {
                new(&mut out, false);
                bold += 1;
            }
            Event::End(TagEnd::Heading(_)) => bold = bold.saturating_sub(1),
            Event::Start(Tag::TableHead) => {
                head = true;
                cell = 0;
                new(&mut out, false);
            }
            Event::End(TagEnd::TableHead) => head = false,
            Event::Start(Tag::TableRow) => {
                cell = 0;
                new(&mut out, false);
            }
            Event::Start(Tag::TableCell) => {
                if cell > 0 {
                    push(&mut out, " \u{b7} ", b, false, false);
                }
                cell += 1;
            }
            Event::Start(Tag::CodeBlock(_)) => new(&mut out, false),
            Event::Start(Tag::Strong) => bold += 1,
            Event::End(TagEnd::Strong) => bold = bold.saturating_sub(1),
            Event::Start(Tag::Emphasis) => italic += 1,
            Event::End(TagEnd::Emphasis) => italic = italic.saturating_sub(1),
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => push(&mut out, &t, b, i, false),
            Event::Code(t) => push(&mut out, &t, b, i, true),
            Event::SoftBreak | Event::HardBreak => push(&mut out, " ", b, i, false),
            _ => {}
        }
    }
    for b in &mut out {
        // Whitespace at the ends, and runs left empty, are dropped.
        if let Some(r) = b.runs.first_mut() {
            r.text = r.text.trim_start().to_string();
        }
        if let Some(r) = b.runs.last_mut() {
            r.text = r.text.trim_end().to_string();
        }
        b.runs.retain(|r| !r.text.is_empty());
    }
    out.retain(|b| !b.runs.is_empty());
    out
}

/// Markdown as one block (its paragraphs joined), for titles and findings.
fn one_block(md: &str, color: [u8; 3]) -> Block {
    let mut all = blocks(md, color);
    let mut first = if all.is_empty() {
        Block::plain("", color)
    } else {
        all.remove(0)
    };
    for b in all {
        first.runs.push(run(" ", false));
        first.runs.extend(b.runs);
    }
    first
}

/// Width of `s` in points at `size` points.
fn width(s: &str, size: f64, r: &Run) -> f64 {
    if r.mono {
        // Courier New and DejaVu Sans Mono: 0.6 em a character.
        return 0.602 * size * s.chars().count() as f64 * SLACK;
    }
    let px = size / crate::glyphs::em_size(1.0, r.bold);
    crate::glyphs::layout(s, px, r.bold).width as f64 * SLACK
}

/// The number of lines `runs` take wrapped at `room` points, at `size`:
/// greedy word wrap (a word may span runs of different styles), a word
/// wider than the line broken across lines.
fn lines(runs: &[Run], size: f64, room: f64) -> usize {
    let space = width(" ", size, &run(" ", false));
    // Words as their widths, split at spaces across runs.
    let mut words: Vec<f64> = Vec::new();
    let mut word = 0.0f64;
    let mut open = false;
    for r in runs {
        for (k, piece) in r.text.split(' ').enumerate() {
            if k > 0 && open {
                words.push(word);
                word = 0.0;
                open = false;
            }
            if !piece.is_empty() {
                word += width(piece, size, r);
                open = true;
            }
        }
    }
    if open {
        words.push(word);
    }
    let (mut lines, mut at) = (1usize, 0.0f64);
    for w in words {
        if at > 0.0 && at + space + w > room {
            lines += 1;
            at = 0.0;
        } else if at > 0.0 {
            at += space;
        }
        if w > room {
            let extra = (w / room).ceil() as usize - 1;
            lines += extra;
            at = w - extra as f64 * room;
        } else {
            at += w;
        }
    }
    lines
}

/// Inner size of a box in points (width, height).
fn room(r: &Rect) -> (f64, f64) {
    let pt = |emu: i64| emu as f64 / EMU_PER_POINT as f64;
    (pt(r.w - 2 * INSET_X), pt(r.h - 2 * INSET_Y))
}

/// Space above a paragraph, as a share of its size (none above the first).
const SPACE: f64 = 0.45;

/// The height in points `blocks` take in a box `w` points wide, at `size`.
fn height(blocks: &[Block], size: f64, w: f64) -> f64 {
    blocks
        .iter()
        .enumerate()
        .map(|(k, b)| {
            let s = size * b.scale;
            let indent = if b.bullet { s * 1.1 } else { 0.0 };
            let before = if k == 0 { 0.0 } else { s * SPACE };
            before + lines(&b.runs, s, w - indent) as f64 * s * LINE
        })
        .sum()
}

fn paragraphs(blocks: &[Block], size: f64, align: Align) -> Vec<Paragraph> {
    blocks
        .iter()
        .enumerate()
        .map(|(k, b)| Paragraph {
            runs: b.runs.clone(),
            size: (size * b.scale * 2.0).round() / 2.0,
            color: b.color,
            bullet: b.bullet,
            align,
            space_before: if k == 0 { 0.0 } else { size * b.scale * SPACE },
        })
        .collect()
}

/// Sizes from `max` down to `min` points, half a point apart.
fn sizes(max: f64, min: f64) -> impl Iterator<Item = f64> {
    let n = ((max - min) * 2.0).round() as usize;
    (0..=n).map(move |k| max - k as f64 * 0.5)
}

/// The largest size in `max..=min` at which `blocks` fit `r`, if any.
fn fitting(blocks: &[Block], r: &Rect, max: f64, min: f64) -> Option<f64> {
    let (w, h) = room(r);
    sizes(max, min).find(|&s| height(blocks, s, w) <= h)
}

/// A text box holding `blocks` at the largest size in `max..=min` that
/// fits; what does not fit at `min` is cut (whole paragraphs from the end,
/// then words of the last) and a paragraph `cut` says so.
fn text_box(name: &str, r: Rect, blocks: &[Block], max: f64, min: f64, align: Align, cut: &str) -> TextBox {
    let fitted = match fitting(blocks, &r, max, min) {
        Some(s) => paragraphs(blocks, s, align),
        None => paragraphs(&cut_to_fit(blocks, &r, min, cut), min, align),
    };
    TextBox {
        name: name.to_string(),
        rect: r,
        paragraphs: fitted,
        bottom: false,
    }
}

/// `blocks` cut so they fit `r` at `size`, ending with a note `cut`.
fn cut_to_fit(blocks: &[Block], r: &Rect, size: f64, cut: &str) -> Vec<Block> {
    let (w, h) = room(r);
    let color = blocks.first().map_or(LIGHT, |b| b.color);
    let note = Block {
        runs: vec![Run {
            text: cut.to_string(),
            bold: false,
            italic: true,
            mono: false,
        }],
        bullet: false,
        scale: 1.0,
        color,
    };
    let mut kept: Vec<Block> = blocks.to_vec();
    loop {
        let mut with = kept.clone();
        with.push(note.clone());
        if height(&with, size, w) <= h || kept.is_empty() {
            return with;
        }
        // Drop words from the last paragraph, then the paragraph.
        let last = kept.last_mut().expect("not empty");
        let words: usize = last.runs.iter().map(|r| r.text.split(' ').count()).sum();
        if words <= 3 {
            kept.pop();
            continue;
        }
        let r = last.runs.last_mut().expect("runs");
        match r.text.rfind(' ') {
            Some(at) => r.text = format!("{}\u{2026}", r.text[..at].trim_end_matches('\u{2026}')),
            None => {
                last.runs.pop();
            }
        }
        last.runs.retain(|r| !r.text.is_empty());
        if last.runs.is_empty() {
            kept.pop();
        }
    }
}

/// A slide's title: bold, as large as fits one or two lines.
fn title_box(text: &str) -> TextBox {
    let b = Block {
        runs: one_block(text, INK)
            .runs
            .into_iter()
            .map(|r| Run { bold: true, ..r })
            .collect(),
        bullet: false,
        scale: 1.0,
        color: INK,
    };
    text_box(
        "Title",
        rect(MARGIN, 0.3, W - 2.0 * MARGIN, 0.85),
        &[b],
        28.0,
        16.0,
        Align::Left,
        "\u{2026}",
    )
}

/// Width and height of a PNG from its header; 16:9 for anything else.
fn png_size(png: &[u8]) -> (f64, f64) {
    if png.len() >= 24 && png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR" {
        let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
        if w > 0 && h > 0 {
            return (w as f64, h as f64);
        }
    }
    (16.0, 9.0)
}

fn title_slide(r: &Report) -> Slide {
    let w = W - 2.0 * 0.75;
    let mut title = one_block(&r.title, INK);
    for run in &mut title.runs {
        run.bold = true;
    }
    let mut title_box = text_box(
        "Title",
        rect(0.75, 1.2, w, 2.4),
        &[title],
        40.0,
        20.0,
        Align::Left,
        "\u{2026}",
    );
    title_box.bottom = true;
    let lead = blocks(&r.lead, GREY);
    let mut shapes = vec![Shape::Text(title_box)];
    if !lead.is_empty() {
        shapes.push(Shape::Text(text_box(
            "Lead",
            rect(0.75, 3.8, w, 2.6),
            &lead,
            22.0,
            12.0,
            Align::Left,
            "(the description continues in report.html)",
        )));
    }
    let footer = format!(
        "tokenmaxx {} report \u{b7} {} \u{b7} {}",
        env!("CARGO_PKG_VERSION"),
        count(r.findings.len(), "finding"),
        count(r.figures.len(), "chart")
    );
    shapes.push(Shape::Text(text_box(
        "Footer",
        rect(0.75, 6.6, w, 0.5),
        &[Block::plain(&footer, LIGHT)],
        12.0,
        8.0,
        Align::Left,
        "",
    )));
    Slide { shapes }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

const BODY_TOP: f64 = 1.25;

fn body_rect() -> Rect {
    rect(MARGIN, BODY_TOP, W - 2.0 * MARGIN, H - BODY_TOP - 0.35)
}

/// The findings, as bullets: on one slide at 20 to 14 points when they
/// fit, else on as many slides at 16 points as they need, titled
/// "Findings (k/n)".
fn findings_slides(r: &Report) -> Vec<Slide> {
    let body = body_rect();
    let mut bullets: Vec<Block> = r
        .findings
        .iter()
        .map(|f| Block {
            bullet: true,
            ..one_block(f, INK)
        })
        .collect();
    if bullets.is_empty() {
        bullets.push(Block::plain("No finding could be stated from these results.", GREY));
    }
    let pages: Vec<(Vec<Block>, f64, f64)> = if fitting(&bullets, &body, 20.0, 14.0).is_some() {
        vec![(bullets, 20.0, 14.0)]
    } else {
        let (w, h) = room(&body);
        let mut pages: Vec<Vec<Block>> = vec![Vec::new()];
        for b in bullets {
            let page = pages.last_mut().expect("a page");
            let mut with = page.clone();
            with.push(b.clone());
            if page.is_empty() || height(&with, 16.0, w) <= h {
                *page = with;
            } else {
                pages.push(vec![b]);
            }
        }
        pages.into_iter().map(|p| (p, 16.0, 9.0)).collect()
    };
    let n = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(k, (page, max, min))| {
            let title = if n == 1 {
                "Findings".to_string()
            } else {
                format!("Findings ({}/{n})", k + 1)
            };
            Slide {
                shapes: vec![
                    Shape::Text(title_box(&title)),
                    Shape::Text(text_box(
                        "Findings",
                        body,
                        &page,
                        max,
                        min,
                        Align::Left,
                        "(cut to fit: report.html states this finding in full)",
                    )),
                ],
            }
        })
        .collect()
}

/// A chart's slide: its title, the chart as large as fits between the
/// title and the caption (its aspect kept, centred), the caption and the
/// chart's file below.
fn figure_slide(f: &Figure) -> Slide {
    let w = W - 2.0 * MARGIN;
    let mut caption = vec![];
    if !f.caption.is_empty() {
        caption.push(one_block(&f.caption, GREY));
    }
    caption.push(Block {
        scale: 0.8,
        ..Block::plain(&format!("Chart: {}", f.path), LIGHT)
    });
    // The caption's box as tall as its text at 14 points (at most four
    // lines), the chart takes the rest.
    let probe = rect(MARGIN, 0.0, w, H);
    let (room_w, _) = room(&probe);
    let size = 14.0;
    let needed = (height(&caption, size, room_w) + 2.0 * INSET_Y as f64 / EMU_PER_POINT as f64) / 72.0;
    let cap_h = needed.clamp(0.5, 1.5);
    let cap_y = H - 0.2 - cap_h;
    let cap = text_box(
        "Caption",
        rect(MARGIN, cap_y, w, cap_h),
        &caption,
        size,
        9.0,
        Align::Left,
        "(the caption continues in report.html)",
    );
    let (top, bottom) = (1.15, cap_y - 0.1);
    let (pw, ph) = png_size(&f.png);
    let scale = (w / pw).min((bottom - top) / ph);
    let (iw, ih) = (pw * scale, ph * scale);
    let picture = Picture {
        name: "Chart".into(),
        description: if f.caption.is_empty() {
            f.title.clone()
        } else {
            format!("{}: {}", f.title, f.caption)
        },
        rect: rect(MARGIN + (w - iw) / 2.0, top + (bottom - top - ih) / 2.0, iw, ih),
        png: f.png.clone(),
    };
    Slide {
        shapes: vec![
            Shape::Text(title_box(&f.title)),
            Shape::Picture(picture),
            Shape::Text(cap),
        ],
    }
}

/// Digests are shown by their first 16 hex digits on the slide.
const DIGEST_SHOWN: usize = 16;

/// The provenance as lines "item: value", digests shortened; with
/// `files_in_one`, the result files' digests (`sha256 NAME` items) are one
/// line saying how many there are and where they are.
fn provenance_blocks(items: &[(String, String)], files_in_one: bool) -> Vec<Block> {
    let mut out: Vec<Block> = vec![Block {
        runs: vec![run("Provenance", true)],
        bullet: false,
        scale: 1.15,
        color: INK,
    }];
    let line = |k: &str, v: &str, mono: bool| Block {
        runs: vec![
            run(&format!("{k}: "), true),
            Run {
                text: v.to_string(),
                bold: false,
                italic: false,
                mono,
            },
        ],
        bullet: false,
        scale: 1.0,
        color: GREY,
    };
    let mut files = 0usize;
    let mut shortened = false;
    for (k, v) in items {
        if files_in_one && k.starts_with("sha256 ") {
            files += 1;
            continue;
        }
        let is_digest = v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit());
        if is_digest {
            shortened = true;
            out.push(line(k, &format!("{}\u{2026}", &v[..DIGEST_SHOWN]), true));
        } else {
            out.push(line(k, v, false));
        }
    }
    if files > 0 {
        out.push(line(
            "sha256",
            &format!("of {} result files, listed in manifest.json", files),
            false,
        ));
    }
    if shortened {
        out.push(Block {
            runs: vec![Run {
                text: format!(
                    "SHA-256 digests shown by their first {DIGEST_SHOWN} hex digits; manifest.json holds them in full."
                ),
                bold: false,
                italic: true,
                mono: false,
            }],
            bullet: false,
            scale: 1.0,
            color: LIGHT,
        });
    }
    out
}

/// The provenance is readable at this size or larger: below it, the
/// result files' digests become one line.
const PROVENANCE_MIN: f64 = 8.0;

/// The methods (left) and the provenance (right).
fn methods_slide(r: &Report) -> Slide {
    let top = BODY_TOP;
    let h = H - top - 0.3;
    let left_w = 7.55;
    let right_x = MARGIN + left_w + 0.25;
    let right_w = W - MARGIN - right_x;
    let methods = blocks(&r.methods, INK);
    let right = rect(right_x, top, right_w, h);
    let mut provenance = provenance_blocks(&r.provenance, false);
    if fitting(&provenance, &right, 12.0, PROVENANCE_MIN).is_none() {
        provenance = provenance_blocks(&r.provenance, true);
    }
    Slide {
        shapes: vec![
            Shape::Text(title_box("Methods and provenance")),
            Shape::Text(text_box(
                "Methods",
                rect(MARGIN, top, left_w, h),
                &methods,
                16.0,
                7.0,
                Align::Left,
                "(cut to fit: report.html holds the methods in full)",
            )),
            Shape::Text(text_box(
                "Provenance",
                right,
                &provenance,
                12.0,
                6.0,
                Align::Left,
                "(cut to fit: report.html holds the provenance in full)",
            )),
        ],
    }
}

impl Report {
    /// The report as a deck: title, findings, one slide per chart, methods.
    pub fn deck(&self) -> Deck {
        let mut slides = vec![title_slide(self)];
        slides.extend(findings_slides(self));
        slides.extend(self.figures.iter().map(figure_slide));
        slides.push(methods_slide(self));
        Deck {
            title: one_block(&self.title, INK)
                .runs
                .iter()
                .map(|r| r.text.as_str())
                .collect(),
            slides,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &Slide) -> Vec<String> {
        s.shapes
            .iter()
            .filter_map(|sh| match sh {
                Shape::Text(t) => Some(
                    t.paragraphs
                        .iter()
                        .map(|p| p.runs.iter().map(|r| r.text.as_str()).collect::<String>())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Shape::Picture(_) => None,
            })
            .collect()
    }

    fn report() -> Report {
        Report {
            title: "Calibration `evidence`".into(),
            lead: "A lead.".into(),
            findings: vec!["**A** finds 1.0 [0.5, 1.5].".into(), "B finds less.".into()],
            figures: vec![Figure {
                path: "charts/x.png".into(),
                title: "X".into(),
                caption: "What x shows".into(),
                png: vec![137, 80, 78, 71],
            }],
            methods: "Seed 1.\n\n- **P** (`p`): a policy\n\n| a | b |\n|---|---|\n| 1 | 2 |\n".into(),
            provenance: vec![("sha256 runs.csv".into(), "ab".repeat(32)), ("seed".into(), "7".into())],
            ..Report::default()
        }
    }

    #[test]
    fn markdown_becomes_styled_runs_bullets_and_rows() {
        let b = blocks(report().methods.as_str(), INK);
        assert_eq!(b.len(), 4, "{b:?}");
        assert!(b[1].bullet);
        assert_eq!(b[1].runs[0], run("P", true));
        assert!(b[1].runs.iter().any(|r| r.mono && r.text == "p"));
        assert!(b[2].runs.iter().all(|r| r.bold), "the header row is bold");
        assert_eq!(b[3].runs[0].text, "1 \u{b7} 2");
        let t = one_block("<b>x</b> & \u{1}", INK);
        let text: String = t.runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(text, "<b>x</b> & \u{1}", "raw HTML stays text");
    }

    #[test]
    fn a_deck_has_a_title_findings_a_slide_per_chart_and_methods() {
        let d = report().deck();
        assert_eq!(d.slides.len(), 4);
        assert_eq!(d.title, "Calibration evidence");
        assert!(texts(&d.slides[1]).iter().any(|t| t.contains("A finds 1.0")));
        assert!(matches!(d.slides[2].shapes[1], Shape::Picture(_)));
        let methods = texts(&d.slides[3]).join("\n");
        assert!(methods.contains("abababababababab\u{2026}"), "{methods}");
        assert!(methods.contains("seed: 7"));
    }

    #[test]
    fn many_file_digests_become_one_line_and_the_rest_stays_readable() {
        let mut r = report();
        r.provenance = (0..60)
            .map(|k| (format!("sha256 charts/c{k}.png"), "cd".repeat(32)))
            .collect();
        r.provenance.insert(0, ("seed".into(), "7".into()));
        let d = r.deck();
        let slide = d.slides.last().unwrap();
        let Shape::Text(t) = &slide.shapes[2] else {
            panic!("the provenance box")
        };
        let text = texts(slide).join("\n");
        assert!(
            text.contains("sha256: of 60 result files, listed in manifest.json"),
            "{text}"
        );
        assert!(text.contains("seed: 7"));
        assert!(t.paragraphs.iter().all(|p| p.size >= PROVENANCE_MIN), "{t:?}");
    }

    #[test]
    fn long_text_shrinks_then_is_cut_and_says_so() {
        let words = "word ".repeat(40);
        let one = [Block::plain(&words, INK)];
        let r = rect(0.0, 0.0, 4.0, 1.0);
        let s = fitting(&one, &r, 20.0, 6.0).expect("fits small");
        assert!((6.0..20.0).contains(&s), "{s}");
        let many = vec![Block::plain(&words, INK); 30];
        assert_eq!(fitting(&many, &r, 20.0, 10.0), None);
        let b = text_box("t", r, &many, 20.0, 10.0, Align::Left, "CUT");
        let (w, h) = room(&r);
        let blocks: Vec<Block> = b
            .paragraphs
            .iter()
            .map(|p| Block {
                runs: p.runs.clone(),
                bullet: p.bullet,
                scale: 1.0,
                color: p.color,
            })
            .collect();
        assert!(height(&blocks, 10.0, w) <= h);
        assert_eq!(b.paragraphs.last().unwrap().runs[0].text, "CUT");
    }

    #[test]
    fn many_findings_go_on_several_slides_and_none_is_lost() {
        let mut r = report();
        r.findings = (0..40)
            .map(|k| {
                format!(
                    "Finding {k}: {}",
                    "a long sentence with numbers 1.0 [0.5, 1.5] ".repeat(3)
                )
            })
            .collect();
        let d = r.deck();
        let pages: Vec<&Slide> = d.slides[1..d.slides.len() - 2].iter().collect();
        assert!(pages.len() > 1);
        let all = pages.iter().flat_map(|s| texts(s)).collect::<Vec<_>>().join("\n");
        for k in 0..40 {
            assert!(all.contains(&format!("Finding {k}:")), "{k}");
        }
        assert!(!all.contains("cut to fit"));
    }

    #[test]
    fn a_chart_keeps_its_aspect_and_stays_on_the_slide() {
        let mut png = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13];
        png.extend(b"IHDR");
        png.extend(1000u32.to_be_bytes());
        png.extend(1000u32.to_be_bytes());
        let f = Figure {
            png,
            caption: "c ".repeat(300),
            ..report().figures[0].clone()
        };
        let s = figure_slide(&f);
        for sh in &s.shapes {
            let r = match sh {
                Shape::Text(t) => t.rect,
                Shape::Picture(p) => {
                    assert_eq!(p.rect.w, p.rect.h, "square stays square");
                    p.rect
                }
            };
            assert!(
                r.x >= 0 && r.y >= 0 && r.x + r.w <= SLIDE_WIDTH && r.y + r.h <= SLIDE_HEIGHT,
                "{r:?}"
            );
        }
    }
}

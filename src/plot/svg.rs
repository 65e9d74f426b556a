//! The SVG made ready for a designer: text set to the bundled font's layout
//! (as `<text>` in DejaVu Sans pinned to its width, or as outlines), parts
//! of the frame grouped with ids (`title`, `subtitle`, `source`, `legend`),
//! and every element drawn in a policy's colour grouped and classed by that
//! policy (`series-usage-leaderboard`), so restyling one policy is one
//! selection.
//!
//! Groups are marked while drawing: [`group`] queues an open and a close
//! mark, and the backend ([`super::backend::Typeset`]) writes each pending
//! mark into the SVG as a sentinel element just before its next element, so
//! the marks sit exactly around what the group drew. [`finish`] turns the
//! sentinels into `<g>` and rewrites the text.

use super::theme::SvgText;
use crate::glyphs::{self, Align, Valign};
use plotters::style::RGBColor;
use std::cell::RefCell;
use std::fmt::Write as _;

/// A sentinel's x coordinate: far outside any chart.
const OPEN: i32 = -7777;
const CLOSE: i32 = -7778;
/// A sentinel's colour.
pub(crate) const SENTINEL: RGBColor = RGBColor(1, 2, 3);

#[derive(Default)]
struct Marks {
    /// Group names, by the index a sentinel carries.
    names: Vec<String>,
    /// Marks not yet written: (open?, name index).
    pending: Vec<(bool, usize)>,
    /// Series colours (as `#RRGGBB`) and their class names.
    series: Vec<(String, String)>,
}

thread_local! {
    static MARKS: RefCell<Marks> = RefCell::new(Marks::default());
}

/// Starts a chart: forgets the marks of the last one.
pub(crate) fn begin() {
    MARKS.with(|m| *m.borrow_mut() = Marks::default());
    classed("grid", super::theme::grid());
    classed("axis", super::theme::axis());
}

/// Draws `f` inside a group named `name` (its id in the SVG).
pub(crate) fn group<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let i = MARKS.with(|m| {
        let mut m = m.borrow_mut();
        m.names.push(name.to_string());
        let i = m.names.len() - 1;
        m.pending.push((true, i));
        i
    });
    let out = f();
    MARKS.with(|m| m.borrow_mut().pending.push((false, i)));
    out
}

/// Declares the colour a series (a policy) is drawn in.
pub(crate) fn series(name: &str, color: RGBColor) {
    classed(&format!("series-{}", slug(name)), color);
}

/// Elements drawn in `color` get `class` (the first class a colour gets
/// stays).
fn classed(class: &str, color: RGBColor) {
    let hex = hex(color);
    let class = class.to_string();
    MARKS.with(|m| {
        let mut m = m.borrow_mut();
        if !m.series.iter().any(|(h, _)| *h == hex) {
            m.series.push((hex, class));
        }
    });
}

/// Takes the marks waiting to be written, as sentinel coordinates.
pub(crate) fn take_pending() -> Vec<(i32, i32)> {
    MARKS.with(|m| {
        m.borrow_mut()
            .pending
            .drain(..)
            .map(|(open, i)| (if open { OPEN } else { CLOSE }, i as i32))
            .collect()
    })
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// `Usage leaderboard` → `usage-leaderboard`.
pub(crate) fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}

/// One element of plotters' SVG: its tag's text (and a text's content).
struct Element<'a> {
    tag: &'a str,
    content: Option<&'a str>,
}

/// Splits plotters' SVG (one tag per line, a text's content on the line
/// after its opening tag) into the header, the elements and the footer.
fn elements(svg: &str) -> Option<(&str, Vec<Element<'_>>, &str)> {
    let body_start = svg.find('\n')? + 1;
    let body_end = svg.rfind("</svg>")?;
    let mut out = Vec::new();
    let mut lines = svg[body_start..body_end].lines();
    while let Some(line) = lines.next() {
        if line.starts_with("<text ") {
            let content = lines.next()?;
            if lines.next()? != "</text>" {
                return None;
            }
            out.push(Element {
                tag: line,
                content: Some(content),
            });
        } else if !line.is_empty() {
            out.push(Element {
                tag: line,
                content: None,
            });
        }
    }
    Some((&svg[..body_start], out, &svg[body_end..]))
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A sentinel's (open?, name index), if `tag` is one.
fn sentinel(tag: &str) -> Option<(bool, usize)> {
    if !tag.starts_with("<rect ") || attr(tag, "fill")? != hex(SENTINEL) {
        return None;
    }
    let open = match attr(tag, "x")?.parse::<i32>().ok()? {
        OPEN => true,
        CLOSE => false,
        _ => return None,
    };
    Some((open, attr(tag, "y")?.parse().ok()?))
}

/// Rewrites plotters' `<text>` in the bundled font's layout: as pinned
/// `<text>` or as a `<path>` of outlines.
fn set_text(tag: &str, content: &str, mode: SvgText) -> Option<String> {
    let x: f64 = attr(tag, "x")?.parse().ok()?;
    let y: f64 = attr(tag, "y")?.parse().ok()?;
    // plotters writes `size / 1.24` as the font size.
    let size = attr(tag, "font-size")?.parse::<f64>().ok()? * 1.24;
    let bold = attr(tag, "font-weight") == Some("bold");
    let align = match attr(tag, "text-anchor")? {
        "middle" => Align::Middle,
        "end" => Align::End,
        _ => Align::Start,
    };
    let valign = match attr(tag, "dy")? {
        "0.5ex" => Valign::Center,
        "-0.5ex" => Valign::Bottom,
        _ => Valign::Top,
    };
    let text = unescape(content);
    let line = glyphs::layout(&text, size, bold);
    // The text's own frame has the anchor at (x, y); plotters rotates
    // around that point.
    let (pen, baseline) = line.origin(x, y, align, valign);
    let fill = attr(tag, "fill")?;
    let opacity = attr(tag, "opacity").unwrap_or("1");
    let transform = attr(tag, "transform")
        .map(|t| format!(" transform=\"{t}\""))
        .unwrap_or_default();
    let mut out = String::new();
    match mode {
        SvgText::Text => {
            let weight = if bold { " font-weight=\"bold\"" } else { "" };
            let _ = write!(
                out,
                "<text x=\"{pen:.2}\" y=\"{baseline:.2}\" font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"{:.3}\"{weight} textLength=\"{:.2}\" lengthAdjust=\"spacingAndGlyphs\" fill=\"{fill}\" opacity=\"{opacity}\"{transform}>{}</text>",
                glyphs::em_size(size, bold),
                line.width,
                escape(&text)
            );
        }
        SvgText::Paths => {
            let _ = write!(
                out,
                "<path d=\"{}\" fill=\"{fill}\" opacity=\"{opacity}\"{transform} aria-label=\"{}\"/>",
                line.path_data(pen, baseline),
                escape(&text)
            );
        }
    }
    Some(out)
}

/// The series class of an element drawn in a series' colour.
fn series_of<'a>(tag: &str, series: &'a [(String, String)]) -> Option<&'a str> {
    let colour = attr(tag, "fill")
        .filter(|f| *f != "none")
        .or_else(|| attr(tag, "stroke"))?;
    series.iter().find(|(h, _)| h == colour).map(|(_, c)| c.as_str())
}

/// Finishes a chart's SVG: groups from the marks, series classes, and text
/// set as `mode` says. An SVG this does not recognise is returned as it is.
pub(crate) fn finish(svg: String, mode: SvgText) -> String {
    let (names, series) = MARKS.with(|m| {
        let mut m = m.borrow_mut();
        (std::mem::take(&mut m.names), std::mem::take(&mut m.series))
    });
    let Some((head, items, foot)) = elements(&svg) else {
        return svg;
    };
    let mut out = String::with_capacity(svg.len() + svg.len() / 4);
    out.push_str(head);
    let mut used: Vec<String> = Vec::new();
    let mut unique = |base: &str| {
        let mut id = base.to_string();
        let mut n = 1;
        while used.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        used.push(id.clone());
        id
    };
    // The open series run (class), closed when an element of another kind
    // comes or a group opens or closes.
    let mut run: Option<&str> = None;
    let mut pending_open: Vec<usize> = Vec::new();
    for e in &items {
        if let Some((open, i)) = sentinel(e.tag) {
            if run.take().is_some() {
                out.push_str("</g>\n");
            }
            let name = names.get(i).map(String::as_str).unwrap_or("group");
            if open {
                pending_open.push(i);
                let _ = writeln!(out, "<g id=\"{}\">", unique(name));
            } else {
                pending_open.pop();
                out.push_str("</g>\n");
            }
            continue;
        }
        let class = series_of(e.tag, &series);
        if run != class {
            if run.is_some() {
                out.push_str("</g>\n");
            }
            if let Some(c) = class {
                let _ = writeln!(out, "<g id=\"{}\" class=\"{c}\">", unique(c));
            }
            run = class;
        }
        match e.content {
            Some(content) => match set_text(e.tag, content, mode) {
                Some(t) => out.push_str(&t),
                None => {
                    out.push_str(e.tag);
                    out.push('\n');
                    out.push_str(content);
                    out.push_str("\n</text>");
                }
            },
            None => out.push_str(e.tag),
        }
        out.push('\n');
    }
    if run.is_some() {
        out.push_str("</g>\n");
    }
    for _ in pending_open {
        out.push_str("</g>\n");
    }
    out.push_str(foot);
    // Groups that drew nothing are dropped.
    drop_empty_groups(out)
}

fn drop_empty_groups(mut s: String) -> String {
    loop {
        let mut changed = false;
        let mut search = 0;
        while let Some(at) = s[search..].find("<g id=\"").map(|i| i + search) {
            let Some(end) = s[at..].find(">\n").map(|i| at + i + 2) else {
                break;
            };
            if s[end..].starts_with("</g>\n") {
                s.replace_range(at..end + 5, "");
                changed = true;
            } else {
                search = end;
            }
        }
        if !changed {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_css_safe() {
        assert_eq!(slug("Usage leaderboard"), "usage-leaderboard");
        assert_eq!(slug("Budget cap ($2k/mo)"), "budget-cap-2k-mo");
    }

    #[test]
    fn text_is_set_in_the_bundled_layout_or_as_outlines() {
        let tag = "<text x=\"100\" y=\"50\" dy=\"0.76em\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"20\" opacity=\"1\" fill=\"#1E1E1E\" font-weight=\"bold\">";
        let t = set_text(tag, "A &amp; B", SvgText::Text).unwrap();
        assert!(
            t.contains("font-family=\"DejaVu Sans") && t.contains("textLength=") && t.contains(">A &amp; B</text>")
        );
        let p = set_text(tag, "A &amp; B", SvgText::Paths).unwrap();
        assert!(p.starts_with("<path d=\"M") && p.contains("aria-label=\"A &amp; B\"") && !p.contains("<text"));
    }

    #[test]
    fn sentinels_become_groups_and_series_runs_are_classed() {
        begin();
        series("Usage leaderboard", RGBColor(213, 94, 0));
        let i = MARKS.with(|m| {
            let mut m = m.borrow_mut();
            m.names.push("title".into());
            m.names.len() - 1
        });
        let svg = format!(
            "<svg width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" xmlns=\"http://www.w3.org/2000/svg\">\n\
             <rect x=\"-7777\" y=\"{i}\" width=\"1\" height=\"1\" stroke=\"none\" opacity=\"1\" fill=\"#010203\"/>\n\
             <rect x=\"0\" y=\"0\" width=\"1\" height=\"1\" fill=\"#000000\"/>\n\
             <rect x=\"-7778\" y=\"{i}\" width=\"1\" height=\"1\" stroke=\"none\" opacity=\"1\" fill=\"#010203\"/>\n\
             <circle cx=\"1\" cy=\"1\" r=\"1\" fill=\"#D55E00\"/>\n\
             <line x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\" stroke=\"#D55E00\"/>\n\
             <rect x=\"-7777\" y=\"{i}\" width=\"1\" height=\"1\" stroke=\"none\" opacity=\"1\" fill=\"#010203\"/>\n\
             <rect x=\"-7778\" y=\"{i}\" width=\"1\" height=\"1\" stroke=\"none\" opacity=\"1\" fill=\"#010203\"/>\n\
             </svg>\n"
        );
        let out = finish(svg, SvgText::Text);
        assert!(out.contains("<g id=\"title\">\n<rect x=\"0\""), "{out}");
        assert!(out.contains("<g id=\"series-usage-leaderboard\" class=\"series-usage-leaderboard\">\n<circle"));
        assert!(!out.contains("#010203"), "sentinels left: {out}");
        assert!(!out.contains("title-2"), "an empty group is dropped: {out}");
        assert_eq!(out.matches("<g ").count(), out.matches("</g>").count());
    }
}

//! `tokenmaxx report`: one results folder as a document for a deck or a
//! paper: the headline findings in words with their intervals, the tables,
//! every chart with a caption saying what it shows, the methods and the
//! provenance.
//!
//! The report is written once, as Markdown ([`Report::markdown`]); the
//! HTML twin ([`Report::html`]) is that Markdown rendered, with every chart
//! inline as a data URI and a Content-Security-Policy that forbids any
//! request, so the page opens offline and never calls out. The deck
//! ([`Report::deck`], in `deck.rs`) is the same report as slides, written
//! as a PowerPoint file by `pptx.rs`.
//!
//! Everything here is pure: loaded results in, text out. The job
//! (`crate::jobs::report`) reads the folder and writes the files.

pub mod calibration;
pub mod compare;
pub mod deck;
pub mod findings;
pub mod optimize;
pub mod pptx;

use base64::Engine;

/// One chart of the report.
#[derive(Debug, Clone, Default)]
pub struct Figure {
    /// Path relative to the results folder (`charts/weekly.png`).
    pub path: String,
    pub title: String,
    pub caption: String,
    pub png: Vec<u8>,
}

/// A results folder as a document.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    /// What was run, in one paragraph (the scenario's description).
    pub lead: String,
    /// The findings, one sentence each, with numbers and CIs.
    pub findings: Vec<String>,
    /// Tables and other sections as Markdown, under their headings.
    pub sections: Vec<(String, String)>,
    pub figures: Vec<Figure>,
    /// Methods as Markdown (model version, design, differences from the
    /// defaults, seeds, replicates).
    pub methods: String,
    /// (item, value) pairs: hashes, versions, command.
    pub provenance: Vec<(String, String)>,
}

/// How the Markdown names a chart's image.
enum ImageLinks<'a> {
    /// Relative to the Markdown file, under this prefix.
    Files(&'a str),
    /// Inline, as data URIs.
    Inline,
}

/// Markdown with every raw HTML block and inline tag (which only an input
/// can put there: the report writes none) made text: its `<` becomes
/// `&lt;`, so a Markdown viewer shows the tag instead of obeying it, as the
/// HTML page does.
fn escape_raw_html(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let mut ranges: Vec<std::ops::Range<usize>> = Parser::new_ext(md, Options::ENABLE_TABLES)
        .into_offset_iter()
        .filter(|(e, _)| matches!(e, Event::Html(_) | Event::InlineHtml(_)))
        .map(|(_, r)| r)
        .collect();
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(md.len());
    let mut at = 0;
    for r in ranges {
        if r.start < at {
            continue; // nested in a range already escaped
        }
        out.push_str(&md[at..r.start]);
        out.push_str(&md[r.start..r.end].replace('<', "&lt;"));
        at = r.end;
    }
    out.push_str(&md[at..]);
    out
}

/// A results folder's summary.md, named and with its raw HTML made text
/// ([`escape_raw_html`]): a description or label holding a tag shows the
/// tag in a Markdown viewer, as report.md and the page do. Every job writes
/// its summary.md through here.
pub fn summary_file(md: &str) -> (String, Vec<u8>) {
    ("summary.md".to_string(), escape_raw_html(md).into_bytes())
}

impl Report {
    /// The Markdown twin; chart images are linked as files under
    /// `chart_prefix` (`""` when the Markdown lies in the results folder).
    pub fn markdown(&self, chart_prefix: &str) -> String {
        let mut s = escape_raw_html(&self.render_markdown(ImageLinks::Files(chart_prefix)));
        s.push_str(&format!("\n{MARKDOWN_MARK}\n"));
        s
    }

    fn render_markdown(&self, links: ImageLinks) -> String {
        let mut s = format!("# {}\n\n", self.title);
        if !self.lead.is_empty() {
            s.push_str(&format!("{}\n\n", self.lead));
        }
        s.push_str("## Findings\n\n");
        if self.findings.is_empty() {
            s.push_str("No finding could be stated from these results.\n\n");
        }
        for f in &self.findings {
            s.push_str(&format!("- {f}\n"));
        }
        s.push('\n');
        for (heading, body) in &self.sections {
            s.push_str(&format!("## {heading}\n\n{}\n\n", body.trim_end()));
        }
        if !self.figures.is_empty() {
            s.push_str("## Charts\n\n");
        }
        for f in &self.figures {
            let src = match links {
                ImageLinks::Files(prefix) => format!("{prefix}{}", f.path),
                ImageLinks::Inline => format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(&f.png)
                ),
            };
            s.push_str(&format!(
                "### {}\n\n![{}]({src})\n\n*{}*\n\n",
                f.title,
                escape_alt(&f.caption),
                f.caption
            ));
        }
        s.push_str(&format!("## Methods\n\n{}\n\n", self.methods.trim_end()));
        s.push_str("## Provenance\n\n| item | value |\n|---|---|\n");
        for (k, v) in &self.provenance {
            s.push_str(&format!(
                "| {} | `{}` |\n",
                cell(k),
                v.replace('`', "'").replace('|', "/")
            ));
        }
        s
    }

    /// One self-contained HTML page: charts inline, no script, no request.
    /// Every string from an input is text: raw HTML in the Markdown (from a
    /// description, a label, a summary) is escaped, links are shown as
    /// their text, and the only images are the report's own charts.
    pub fn html(&self) -> String {
        use pulldown_cmark::{Event, Tag, TagEnd};
        let md = self.render_markdown(ImageLinks::Inline);
        let charts: std::collections::HashSet<String> = self
            .figures
            .iter()
            .map(|f| {
                format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(&f.png)
                )
            })
            .collect();
        let mut body = String::new();
        let parser = pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::ENABLE_TABLES);
        // Depth inside an image that is not one of the charts: its alt
        // text is kept as text, the image dropped.
        let mut foreign_image = 0usize;
        let events = parser.filter_map(|e| match e {
            Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
            Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => None,
            Event::Start(Tag::Image { ref dest_url, .. })
                if foreign_image > 0 || !charts.contains(dest_url.as_ref()) =>
            {
                foreign_image += 1;
                None
            }
            Event::End(TagEnd::Image) if foreign_image > 0 => {
                foreign_image -= 1;
                None
            }
            other => Some(other),
        });
        pulldown_cmark::html::push_html(&mut body, events);
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\" />\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n\
<meta name=\"generator\" content=\"tokenmaxx {}\" />\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION"),
            html_escape(&self.title),
        )
    }
}

/// The HTML report's Content-Security-Policy: no request of any kind (no
/// script, style sheet, font, frame or connection), images only inline, no
/// form target and no base URL to redirect links.
pub const CSP: &str =
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// The last line of a Markdown report: how `report --out` knows a file it
/// may replace is a report it wrote.
pub const MARKDOWN_MARK: &str = "<!-- written by tokenmaxx report -->";

/// Whether `bytes` are a report tokenmaxx wrote (HTML, Markdown or a
/// deck).
pub fn is_report(bytes: &[u8]) -> bool {
    if pptx::is_deck(bytes) {
        return true;
    }
    let text = String::from_utf8_lossy(bytes);
    (text.starts_with("<!DOCTYPE html>") && text.contains("<meta name=\"generator\" content=\"tokenmaxx "))
        || text.trim_end().ends_with(MARKDOWN_MARK)
}

const STYLE: &str = "
body { font-family: 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif; color: #1e1e1e; margin: 0; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 2rem 1.5rem 4rem; line-height: 1.5; }
h1 { font-size: 2rem; margin-bottom: 0.3rem; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { margin-top: 2rem; }
img { width: 100%; height: auto; border: 1px solid #eee; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td code { font-size: 0.8rem; word-break: break-all; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
em { color: #555; }
";

/// Text for an image's alt attribute in Markdown (no brackets).
fn escape_alt(s: &str) -> String {
    s.replace(['[', ']'], "")
}

/// Text for a Markdown table cell.
pub(crate) fn cell(s: &str) -> String {
    s.replace('|', "/").replace('\n', " ")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What a chart shows, for its caption; `None` for a chart the report does
/// not know (it is still shown, captioned by its name).
pub fn caption(name: &str) -> Option<(&'static str, &'static str)> {
    let c = match name {
        "comparison" => (
            "Two runs side by side",
            "Left: each policy's mean net value (value - spend) in folder A (circles) and B (triangles), with 95% CIs. Right: B - A with its 95% CI, paired by seed where both ran the same seeds, Welch's otherwise; faint bars are differences whose interval spans zero.",
        ),
        "spend_vs_value" => (
            "Spend against delivered value",
            "Each dot is one simulated run; large markers are each policy's mean with its 95% CI, named beside it (with a leader line where means crowd). Above the diagonal, AI returns more value than it costs; dashed lines mark other returns.",
        ),
        "weekly" => (
            "Spend and value week by week",
            "Weekly and cumulative token spend and delivered value per policy: means across replicates with 95% bands. Spend includes breakage billed at each contract year's end.",
        ),
        "policy_comparison" => (
            "Return, waste and net benefit",
            "Per policy: return on AI spend, the share of spend wasted, value per million tokens, and net benefit paired against the reference policy, with 95% CIs.",
        ),
        "commitment" => (
            "Commitment and mandate",
            "The annual commitment signed at each renewal, and leadership's mandate to use AI over time: one small panel per policy, the other policies in grey behind it.",
        ),
        "verdicts" => (
            "Verdicts",
            "Which policy wins on net value, paired by replicate, and how much net value each other policy gives up against the best.",
        ),
        "market" => (
            "The market",
            "How the belief that token usage means success spreads across enterprises, and each enterprise's spend against value.",
        ),
        "heatmap" => (
            "Where a policy pays",
            "Net value of each policy minus the reference's over the two top-ranked swept parameters, binned; cells without runs are left blank, and colours saturate at the 5th and 95th percentiles of the cells.",
        ),
        "tradeoff" => (
            "PRIM trade-off",
            "Each box of the peeling trajectory: coverage (share of the cases of interest inside) against density (share of the box that is a case); the chosen box is marked.",
        ),
        "box" => (
            "The region where it holds",
            "The limits of the chosen box on each parameter it restricts, against the parameter's full range, with quasi-p-values.",
        ),
        "posterior_marginals" => (
            "Posterior against prior",
            "Each calibrated parameter's posterior (weighted histogram of the last generation) over its prior range.",
        ),
        "posterior_predictive" => (
            "Posterior predictive check",
            "Each public fact's observed value and tolerance against the model's 90% posterior predictive interval; fit and check facts told apart.",
        ),
        "search_tradeoff" => (
            "The trade-off the search found",
            "Every candidate policy of the search on its first two objectives, all run in the same worlds with the same seeds; black: the front (no candidate beats them on every objective); triangles: the presets.",
        ),
        "search_levers" => (
            "What the front pays for",
            "Each front candidate as a line: its levers on their ranges, then its objectives from the front's worst to best.",
        ),
        "search_convergence" => (
            "Convergence",
            "Hypervolume of the non-dominated candidates found so far, after each generation (objectives scaled by the first generation's range).",
        ),
        "posterior_correlations" => (
            "Posterior correlations",
            "The most correlated pairs of calibrated parameters in the posterior (weighted Pearson r).",
        ),
        _ => return None,
    };
    Some(c)
}

/// Caption of a chart by its file stem, including the numbered and
/// per-metric families.
pub fn caption_of(stem: &str) -> (String, String) {
    if let Some((t, c)) = caption(stem) {
        return (t.to_string(), c.to_string());
    }
    if let Some(n) = stem.strip_prefix("by_parameter_") {
        return (
            format!("By {}", n.replace(['-', '_'], " ")),
            "Return and spend per policy across the range of one swept parameter (other swept parameters pooled), means with 95% bands.".into(),
        );
    }
    for (prefix, what) in [
        (
            "tornado_",
            "Morris screening: mu*, the mean absolute elementary effect of each parameter on",
        ),
        (
            "sobol_",
            "Sobol indices (first-order and total, 95% CIs) of each parameter on",
        ),
    ] {
        if let Some(metric) = stem.strip_prefix(prefix) {
            let m = crate::scenario::labels::metric_phrase(metric);
            return (format!("Which levers move {m}"), format!("{what} {m}, ranked."));
        }
    }
    (stem.replace('_', " "), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            title: "t <x>".into(),
            lead: "Lead.".into(),
            findings: vec!["A finds 1.0 [0.5, 1.5].".into()],
            sections: vec![("Table".into(), "| a | b |\n|---|---|\n| 1 | 2 |".into())],
            figures: vec![Figure {
                path: "charts/x.png".into(),
                title: "X".into(),
                caption: "What x shows".into(),
                png: vec![137, 80, 78, 71],
            }],
            methods: "Seed 1.".into(),
            provenance: vec![("runs.csv".into(), "abc".into())],
        }
    }

    #[test]
    fn html_inlines_charts_and_forbids_requests() {
        let h = report().html();
        assert!(h.contains("src=\"data:image/png;base64,iVBORw==\""), "{h}");
        assert!(h.contains("default-src 'none'"));
        assert!(h.contains("base-uri 'none'; form-action 'none'"));
        assert!(is_report(h.as_bytes()));
        assert!(is_report(report().markdown("").as_bytes()));
        assert!(h.contains("<title>t &lt;x&gt;</title>"));
        assert!(h.contains("<table>"));
        assert!(!h.contains("charts/x.png\""));
    }

    #[test]
    fn raw_html_links_and_foreign_images_from_inputs_are_text() {
        let mut r = report();
        r.lead = "<meta http-equiv=\"refresh\" content=\"0;url=http://x/\"> <style>body{display:none}</style> [go](http://x/) ![i](data:image/png;base64,AAAA)".into();
        r.findings.push("<b>bold</b> <img src=x>".into());
        let h = r.html();
        for raw in [
            "<meta http-equiv=\"refresh\"",
            "<style>body",
            "href=",
            "<b>",
            "<img src=x",
            "base64,AAAA",
        ] {
            assert!(!h.contains(raw), "{raw} in {h}");
        }
        assert!(h.contains("&lt;meta http-equiv"));
        assert!(
            h.contains("src=\"data:image/png;base64,iVBORw==\""),
            "the report's own chart stays"
        );
    }

    #[test]
    fn raw_html_in_markdown_becomes_text_and_the_rest_is_kept() {
        let md = "# T\n\nA <b>bold</b> claim.\n\n<meta http-equiv='refresh'>\n\n| a | b |\n|---|---|\n| 1 < 2 | x |\n";
        let out = escape_raw_html(md);
        assert_eq!(
            out,
            "# T\n\nA &lt;b>bold&lt;/b> claim.\n\n&lt;meta http-equiv='refresh'>\n\n| a | b |\n|---|---|\n| 1 < 2 | x |\n"
        );
    }

    #[test]
    fn markdown_links_charts_beside_it() {
        let m = report().markdown("r_charts/");
        assert!(m.contains("![What x shows](r_charts/charts/x.png)"));
        assert!(m.contains("## Findings\n\n- A finds"));
        assert!(m.contains("| runs.csv | `abc` |"));
    }

    #[test]
    fn every_chart_family_has_a_caption() {
        for stem in [
            "spend_vs_value",
            "by_parameter_2",
            "tornado_roi",
            "sobol_spend_usd",
            "box",
        ] {
            assert!(!caption_of(stem).1.is_empty(), "{stem}");
        }
    }
}

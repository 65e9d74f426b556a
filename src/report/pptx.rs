//! A slide deck as an Office Open XML PresentationML package (`.pptx`),
//! written by hand: the few part kinds a deck of text boxes and pictures
//! needs ([Content_Types].xml, the package and presentation relationships,
//! one slide master with one blank layout and a theme, the slides with
//! their relationships, the PNG media, the document properties).
//!
//! The bytes are a pure function of the [`Deck`]: parts in a fixed order,
//! every zip entry dated 1980-01-01 (the zip format's epoch), no clock, no
//! user name, no random id. Every string is made XML text here and only
//! here ([`text`], [`attr`]): control characters dropped, markup escaped.
//! This module knows slides and shapes, never a report.

use std::io::Write;

/// English Metric Units: 914,400 to the inch, 12,700 to the point.
pub const EMU_PER_INCH: i64 = 914_400;
pub const EMU_PER_POINT: i64 = 12_700;
/// A 16:9 slide, 13.333 by 7.5 inches (PowerPoint's "Widescreen").
pub const SLIDE_WIDTH: i64 = 12_192_000;
pub const SLIDE_HEIGHT: i64 = 6_858_000;

/// What [`Deck::application`] writes in `docProps/app.xml`; how a report
/// job knows a deck it may replace is one it wrote.
pub const APPLICATION: &str = "tokenmaxx report";

/// A position and size on the slide, in EMU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

/// A stretch of text in one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    /// Set in the monospaced face (code, hashes).
    pub mono: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

/// A paragraph: its runs, size in points, colour, and whether it is a
/// bulleted item.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    pub runs: Vec<Run>,
    pub size: f64,
    pub color: [u8; 3],
    pub bullet: bool,
    pub align: Align,
    /// Space above the paragraph, in points.
    pub space_before: f64,
}

/// A text box. Its text is fitted by the caller (sizes chosen so it fits):
/// the box never shrinks or grows its text by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    pub name: String,
    pub rect: Rect,
    pub paragraphs: Vec<Paragraph>,
    /// Text anchored at the box's bottom instead of its top.
    pub bottom: bool,
}

/// A PNG picture, stretched to `rect` (the caller keeps its aspect).
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub name: String,
    /// The alternative text screen readers say.
    pub description: String,
    pub rect: Rect,
    pub png: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Text(TextBox),
    Picture(Picture),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Slide {
    pub shapes: Vec<Shape>,
}

/// A deck: its title (the document property) and its slides in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Deck {
    pub title: String,
    pub slides: Vec<Slide>,
}

/// `s` as XML character data: characters XML cannot hold, and every other
/// control character, dropped (line breaks and tabs become spaces), then
/// `&`, `<`, `>` and both quotes escaped, so the same function serves
/// element text and attribute values.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => {}
            c => out.push(c),
        }
    }
    out
}

/// An attribute value (the same escaping as [`text`]).
pub fn attr(s: &str) -> String {
    text(s)
}

const NS: &str = "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const OFFICE_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
/// The theme's fonts: Arial, which every office suite has or maps to a
/// metric twin (Liberation Sans); text is fitted with DejaVu Sans, which
/// is wider, so it fits in either.
const SANS: &str = "Arial";
const MONO: &str = "Courier New";

fn rels(items: &[(String, &str, String)]) -> String {
    let mut s = format!("{XML_DECL}<Relationships xmlns=\"{REL_NS}\">");
    for (id, kind, target) in items {
        s.push_str(&format!(
            "<Relationship Id=\"{id}\" Type=\"{kind}\" Target=\"{}\"/>",
            attr(target)
        ));
    }
    s.push_str("</Relationships>");
    s
}

fn xfrm(r: &Rect) -> String {
    format!(
        "<a:xfrm><a:off x=\"{}\" y=\"{}\"/><a:ext cx=\"{}\" cy=\"{}\"/></a:xfrm>",
        r.x,
        r.y,
        r.w.max(0),
        r.h.max(0)
    )
}

fn hex(c: [u8; 3]) -> String {
    format!("{:02X}{:02X}{:02X}", c[0], c[1], c[2])
}

/// Hundredths of a point, as `sz` wants them.
fn centipoints(pt: f64) -> i64 {
    (pt * 100.0).round() as i64
}

fn paragraph_xml(p: &Paragraph) -> String {
    let mut s = String::from("<a:p>");
    let algn = match p.align {
        Align::Left => "l",
        Align::Center => "ctr",
    };
    let spc = format!(
        "<a:spcBef><a:spcPts val=\"{}\"/></a:spcBef>",
        centipoints(p.space_before)
    );
    if p.bullet {
        let indent = (p.size * 1.1 * EMU_PER_POINT as f64).round() as i64;
        s.push_str(&format!(
            "<a:pPr marL=\"{indent}\" indent=\"-{indent}\" algn=\"{algn}\">{spc}<a:buFont typeface=\"{SANS}\"/><a:buChar char=\"&#8226;\"/></a:pPr>"
        ));
    } else {
        s.push_str(&format!(
            "<a:pPr marL=\"0\" indent=\"0\" algn=\"{algn}\">{spc}<a:buNone/></a:pPr>"
        ));
    }
    let size = centipoints(p.size);
    let color = hex(p.color);
    for r in &p.runs {
        let t = text(&r.text);
        if t.is_empty() {
            continue;
        }
        let face = if r.mono { MONO } else { SANS };
        s.push_str(&format!(
            "<a:r><a:rPr lang=\"en-US\" sz=\"{size}\" b=\"{}\" i=\"{}\" dirty=\"0\"><a:solidFill><a:srgbClr val=\"{color}\"/></a:solidFill>\
<a:latin typeface=\"{face}\"/><a:cs typeface=\"{face}\"/></a:rPr><a:t xml:space=\"preserve\">{t}</a:t></a:r>",
            u8::from(r.bold),
            u8::from(r.italic)
        ));
    }
    s.push_str(&format!(
        "<a:endParaRPr lang=\"en-US\" sz=\"{size}\" dirty=\"0\"/></a:p>"
    ));
    s
}

fn shape_xml(shape: &Shape, id: usize, image_rel: &mut usize) -> String {
    match shape {
        Shape::Text(t) => {
            let mut body = String::new();
            for p in &t.paragraphs {
                body.push_str(&paragraph_xml(p));
            }
            if t.paragraphs.is_empty() {
                body.push_str("<a:p><a:endParaRPr lang=\"en-US\" dirty=\"0\"/></a:p>");
            }
            format!(
                "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{}\"/><p:cNvSpPr txBox=\"1\"/><p:nvPr/></p:nvSpPr>\
<p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:noFill/></p:spPr>\
<p:txBody><a:bodyPr wrap=\"square\" lIns=\"{INSET_X}\" tIns=\"{INSET_Y}\" rIns=\"{INSET_X}\" bIns=\"{INSET_Y}\" anchor=\"{}\" rtlCol=\"0\"><a:noAutofit/></a:bodyPr>\
<a:lstStyle/>{body}</p:txBody></p:sp>",
                attr(&t.name),
                xfrm(&t.rect),
                if t.bottom { "b" } else { "t" }
            )
        }
        Shape::Picture(pic) => {
            *image_rel += 1;
            format!(
                "<p:pic><p:nvPicPr><p:cNvPr id=\"{id}\" name=\"{}\" descr=\"{}\"/><p:cNvPicPr><a:picLocks noChangeAspect=\"1\"/></p:cNvPicPr><p:nvPr/></p:nvPicPr>\
<p:blipFill><a:blip r:embed=\"rId{}\"/><a:stretch><a:fillRect/></a:stretch></p:blipFill>\
<p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></p:spPr></p:pic>",
                attr(&pic.name),
                attr(&pic.description),
                *image_rel,
                xfrm(&pic.rect)
            )
        }
    }
}

/// A text box's inner margins, in EMU: 0.1 inch left and right, 0.05 inch
/// top and bottom (PowerPoint's defaults, written out so every viewer
/// uses them).
pub const INSET_X: i64 = 91_440;
pub const INSET_Y: i64 = 45_720;

const SP_TREE_HEAD: &str = "<p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>\
<p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>";

/// A slide's XML and its relationships' XML; the pictures are numbered
/// from `first_image` (media/image{n}.png).
fn slide_xml(slide: &Slide, first_image: usize) -> (String, String) {
    let mut tree = String::new();
    let mut image_rel = 1; // rId1 is the layout
    for (k, shape) in slide.shapes.iter().enumerate() {
        tree.push_str(&shape_xml(shape, k + 2, &mut image_rel));
    }
    let xml = format!(
        "{XML_DECL}<p:sld {NS}><p:cSld><p:spTree>{SP_TREE_HEAD}{tree}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"
    );
    let mut items = vec![(
        "rId1".to_string(),
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideLayout",
        "../slideLayouts/slideLayout1.xml".to_string(),
    )];
    let mut n = first_image;
    for shape in &slide.shapes {
        if let Shape::Picture(_) = shape {
            items.push((
                format!("rId{}", items.len() + 1),
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image",
                format!("../media/image{n}.png"),
            ));
            n += 1;
        }
    }
    (xml, rels(&items))
}

impl Deck {
    /// The deck as `.pptx` bytes: the same deck gives the same bytes.
    pub fn to_pptx(&self) -> Result<Vec<u8>, zip::result::ZipError> {
        let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
        let n = self.slides.len();
        let mut types = format!(
            "{XML_DECL}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Default Extension=\"png\" ContentType=\"image/png\"/>\
<Override PartName=\"/ppt/presentation.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml\"/>\
<Override PartName=\"/ppt/slideMasters/slideMaster1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml\"/>\
<Override PartName=\"/ppt/slideLayouts/slideLayout1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml\"/>\
<Override PartName=\"/ppt/theme/theme1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.theme+xml\"/>\
<Override PartName=\"/ppt/presProps.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.presProps+xml\"/>\
<Override PartName=\"/ppt/viewProps.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.viewProps+xml\"/>\
<Override PartName=\"/ppt/tableStyles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.tableStyles+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
        );
        for k in 1..=n {
            types.push_str(&format!(
                "<Override PartName=\"/ppt/slides/slide{k}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slide+xml\"/>"
            ));
        }
        types.push_str("</Types>");
        parts.push(("[Content_Types].xml".into(), types.into_bytes()));
        parts.push((
            "_rels/.rels".into(),
            rels(&[
                (
                    "rId1".into(),
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
                    "ppt/presentation.xml".into(),
                ),
                (
                    "rId2".into(),
                    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                    "docProps/core.xml".into(),
                ),
                (
                    "rId3".into(),
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
                    "docProps/app.xml".into(),
                ),
            ])
            .into_bytes(),
        ));
        parts.push(("docProps/app.xml".into(), self.application().into_bytes()));
        parts.push((
            "docProps/core.xml".into(),
            format!(
                "{XML_DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>tokenmaxx</dc:creator></cp:coreProperties>",
                text(&self.title)
            )
            .into_bytes(),
        ));
        // The presentation: master, slides, then the other parts.
        let mut ids = String::new();
        let mut items = vec![(
            "rId1".to_string(),
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideMaster",
            "slideMasters/slideMaster1.xml".to_string(),
        )];
        for k in 1..=n {
            ids.push_str(&format!("<p:sldId id=\"{}\" r:id=\"rId{}\"/>", 255 + k, k + 1));
            items.push((
                format!("rId{}", k + 1),
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide",
                format!("slides/slide{k}.xml"),
            ));
        }
        for (kind, target) in [
            ("presProps", "presProps.xml"),
            ("viewProps", "viewProps.xml"),
            ("theme", "theme/theme1.xml"),
            ("tableStyles", "tableStyles.xml"),
        ] {
            items.push((format!("rId{}", items.len() + 1), kind, target.to_string()));
        }
        let items: Vec<(String, String, String)> = items
            .into_iter()
            .map(|(id, kind, target)| {
                let kind = if kind.starts_with("http") {
                    kind.to_string()
                } else {
                    format!("{OFFICE_REL}/{kind}")
                };
                (id, kind, target)
            })
            .collect();
        let items: Vec<(String, &str, String)> = items
            .iter()
            .map(|(a, b, c)| (a.clone(), b.as_str(), c.clone()))
            .collect();
        let sld_id_lst = if n > 0 {
            format!("<p:sldIdLst>{ids}</p:sldIdLst>")
        } else {
            String::new()
        };
        parts.push((
            "ppt/presentation.xml".into(),
            format!(
                "{XML_DECL}<p:presentation {NS} saveSubsetFonts=\"1\"><p:sldMasterIdLst><p:sldMasterId id=\"2147483648\" r:id=\"rId1\"/></p:sldMasterIdLst>\
{sld_id_lst}<p:sldSz cx=\"{SLIDE_WIDTH}\" cy=\"{SLIDE_HEIGHT}\"/><p:notesSz cx=\"6858000\" cy=\"9144000\"/></p:presentation>"
            )
            .into_bytes(),
        ));
        parts.push(("ppt/_rels/presentation.xml.rels".into(), rels(&items).into_bytes()));
        parts.push((
            "ppt/presProps.xml".into(),
            format!("{XML_DECL}<p:presentationPr {NS}/>").into_bytes(),
        ));
        parts.push((
            "ppt/viewProps.xml".into(),
            format!("{XML_DECL}<p:viewPr {NS}><p:gridSpacing cx=\"76200\" cy=\"76200\"/></p:viewPr>").into_bytes(),
        ));
        parts.push((
            "ppt/tableStyles.xml".into(),
            format!(
                "{XML_DECL}<a:tblStyleLst xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" def=\"{{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}}\"/>"
            )
            .into_bytes(),
        ));
        parts.push(("ppt/theme/theme1.xml".into(), theme().into_bytes()));
        parts.push(("ppt/slideMasters/slideMaster1.xml".into(), master().into_bytes()));
        parts.push((
            "ppt/slideMasters/_rels/slideMaster1.xml.rels".into(),
            rels(&[
                (
                    "rId1".into(),
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideLayout",
                    "../slideLayouts/slideLayout1.xml".into(),
                ),
                (
                    "rId2".into(),
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme",
                    "../theme/theme1.xml".into(),
                ),
            ])
            .into_bytes(),
        ));
        parts.push((
            "ppt/slideLayouts/slideLayout1.xml".into(),
            format!(
                "{XML_DECL}<p:sldLayout {NS} type=\"blank\" preserve=\"1\"><p:cSld name=\"Blank\"><p:spTree>{SP_TREE_HEAD}</p:spTree></p:cSld>\
<p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"
            )
            .into_bytes(),
        ));
        parts.push((
            "ppt/slideLayouts/_rels/slideLayout1.xml.rels".into(),
            rels(&[(
                "rId1".into(),
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideMaster",
                "../slideMasters/slideMaster1.xml".into(),
            )])
            .into_bytes(),
        ));
        let mut image = 1;
        let mut media = Vec::new();
        for (k, slide) in self.slides.iter().enumerate() {
            let (xml, rel) = slide_xml(slide, image);
            parts.push((format!("ppt/slides/slide{}.xml", k + 1), xml.into_bytes()));
            parts.push((format!("ppt/slides/_rels/slide{}.xml.rels", k + 1), rel.into_bytes()));
            for shape in &slide.shapes {
                if let Shape::Picture(p) = shape {
                    media.push((format!("ppt/media/image{image}.png"), p.png.clone()));
                    image += 1;
                }
            }
        }
        parts.extend(media);
        zip_parts(&parts)
    }

    /// `docProps/app.xml`: the application that wrote the deck (see
    /// [`APPLICATION`]) and its slide count.
    fn application(&self) -> String {
        format!(
            "{XML_DECL}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" \
xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"><Application>{APPLICATION}</Application>\
<AppVersion>{}</AppVersion><Slides>{}</Slides><PresentationFormat>Widescreen</PresentationFormat></Properties>",
            app_version(),
            self.slides.len()
        )
    }
}

/// The crate version as `AppVersion` wants it (`XX.YYYY`).
fn app_version() -> String {
    let mut v = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let major = v.next().unwrap_or(0);
    let minor = v.next().unwrap_or(0);
    format!("{major:02}.{minor:04}")
}

/// The parts as a zip: deflated (PNGs stored, they are compressed
/// already), every entry dated at the zip epoch with fixed permissions.
fn zip_parts(parts: &[(String, Vec<u8>)]) -> Result<Vec<u8>, zip::result::ZipError> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        let method = if name.ends_with(".png") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        w.start_file(name.as_str(), options)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish()?.into_inner())
}

/// Whether `bytes` are a deck this module wrote: a zip whose
/// `docProps/app.xml` names [`APPLICATION`].
pub fn is_deck(bytes: &[u8]) -> bool {
    use std::io::Read;
    if !bytes.starts_with(b"PK\x03\x04") {
        return false;
    }
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return false;
    };
    let Ok(file) = archive.by_name("docProps/app.xml") else {
        return false;
    };
    let mut app = String::new();
    if file.take(64 << 10).read_to_string(&mut app).is_err() {
        return false;
    }
    app.contains(&format!("<Application>{APPLICATION}</Application>"))
}

fn master() -> String {
    let level = |sz: u32| {
        format!(
            "<a:lvl1pPr marL=\"0\" indent=\"0\" algn=\"l\"><a:buNone/><a:defRPr sz=\"{sz}\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill>\
<a:latin typeface=\"+mn-lt\"/></a:defRPr></a:lvl1pPr>"
        )
    };
    format!(
        "{XML_DECL}<p:sldMaster {NS}><p:cSld><p:bg><p:bgPr><a:solidFill><a:srgbClr val=\"FFFFFF\"/></a:solidFill><a:effectLst/></p:bgPr></p:bg>\
<p:spTree>{SP_TREE_HEAD}</p:spTree></p:cSld>\
<p:clrMap bg1=\"lt1\" tx1=\"dk1\" bg2=\"lt2\" tx2=\"dk2\" accent1=\"accent1\" accent2=\"accent2\" accent3=\"accent3\" accent4=\"accent4\" accent5=\"accent5\" accent6=\"accent6\" hlink=\"hlink\" folHlink=\"folHlink\"/>\
<p:sldLayoutIdLst><p:sldLayoutId id=\"2147483649\" r:id=\"rId1\"/></p:sldLayoutIdLst>\
<p:txStyles><p:titleStyle>{}</p:titleStyle><p:bodyStyle>{}</p:bodyStyle><p:otherStyle>{}</p:otherStyle></p:txStyles></p:sldMaster>",
        level(3200),
        level(1800),
        level(1800)
    )
}

/// The theme: the Okabe–Ito colours the charts use as accents, Arial, and
/// the plain fills, lines and effects the format requires.
fn theme() -> String {
    let srgb = |name: &str, c: &str| format!("<a:{name}><a:srgbClr val=\"{c}\"/></a:{name}>");
    let colours = [
        srgb("dk1", "1E1E1E"),
        srgb("lt1", "FFFFFF"),
        srgb("dk2", "44546A"),
        srgb("lt2", "E7E6E6"),
        srgb("accent1", "0072B2"),
        srgb("accent2", "E69F00"),
        srgb("accent3", "009E73"),
        srgb("accent4", "CC79A7"),
        srgb("accent5", "56B4E9"),
        srgb("accent6", "D55E00"),
        srgb("hlink", "0072B2"),
        srgb("folHlink", "CC79A7"),
    ]
    .concat();
    let fonts = |kind: &str| {
        format!("<a:{kind}><a:latin typeface=\"{SANS}\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:{kind}>")
    };
    let fill = "<a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>";
    let line = |w: u32| {
        format!(
            "<a:ln w=\"{w}\" cap=\"flat\" cmpd=\"sng\" algn=\"ctr\">{fill}<a:prstDash val=\"solid\"/><a:miter lim=\"800000\"/></a:ln>"
        )
    };
    let effect = "<a:effectStyle><a:effectLst/></a:effectStyle>";
    format!(
        "{XML_DECL}<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" name=\"tokenmaxx\"><a:themeElements>\
<a:clrScheme name=\"tokenmaxx\">{colours}</a:clrScheme>\
<a:fontScheme name=\"tokenmaxx\">{}{}</a:fontScheme>\
<a:fmtScheme name=\"tokenmaxx\"><a:fillStyleLst>{fill}{fill}{fill}</a:fillStyleLst>\
<a:lnStyleLst>{}{}{}</a:lnStyleLst><a:effectStyleLst>{effect}{effect}{effect}</a:effectStyleLst>\
<a:bgFillStyleLst>{fill}{fill}{fill}</a:bgFillStyleLst></a:fmtScheme></a:themeElements>\
<a:objectDefaults/><a:extraClrSchemeLst/></a:theme>",
        fonts("majorFont"),
        fonts("minorFont"),
        line(6350),
        line(12700),
        line(19050)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_drops_control_characters_and_escapes_markup() {
        assert_eq!(text("<b>&\"'\u{1}x\u{7f}\ny\u{fffe}"), "&lt;b&gt;&amp;&quot;&apos;x y");
    }

    /// Every part of a deck whose strings hold markup, quotes and control
    /// characters parses, and the strings read back as text.
    #[test]
    fn every_part_parses_whatever_the_text_holds() {
        use std::io::Read;
        let nasty = "<b>&\"'\u{1}x\u{1b}]]>";
        let para = Paragraph {
            runs: vec![Run {
                text: nasty.into(),
                bold: true,
                italic: false,
                mono: false,
            }],
            size: 12.0,
            color: [0, 0, 0],
            bullet: true,
            align: Align::Left,
            space_before: 0.0,
        };
        let r = Rect {
            x: 0,
            y: 0,
            w: 10,
            h: 10,
        };
        let deck = Deck {
            title: nasty.into(),
            slides: vec![Slide {
                shapes: vec![
                    Shape::Text(TextBox {
                        name: nasty.into(),
                        rect: r,
                        paragraphs: vec![para],
                        bottom: false,
                    }),
                    Shape::Picture(Picture {
                        name: nasty.into(),
                        description: nasty.into(),
                        rect: r,
                        png: vec![1, 2, 3],
                    }),
                ],
            }],
        };
        let bytes = deck.to_pptx().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut seen = 0;
        for k in 0..zip.len() {
            let mut f = zip.by_index(k).unwrap();
            let name = f.name().unwrap().to_string();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            if name.ends_with(".png") {
                assert_eq!(b, [1, 2, 3]);
                continue;
            }
            let text = String::from_utf8(b).unwrap();
            let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            for n in doc.descendants().filter(|n| n.is_element()) {
                seen += usize::from(n.text().is_some_and(|t| t.contains("<b>&\"'x]]>")));
                seen += n.attributes().filter(|a| a.value() == "<b>&\"'x]]>").count();
            }
        }
        // The run, the shape's name, the picture's name and description,
        // the document's title.
        assert_eq!(seen, 5);
    }

    #[test]
    fn app_version_has_the_form_office_wants() {
        let v = app_version();
        assert_eq!(v.len(), 7, "{v}");
        assert_eq!(&v[2..3], ".");
    }

    #[test]
    fn a_deck_is_recognised_and_other_zips_are_not() {
        let deck = Deck {
            title: "t".into(),
            slides: vec![Slide::default()],
        };
        let bytes = deck.to_pptx().unwrap();
        assert!(is_deck(&bytes));
        assert_eq!(bytes, deck.to_pptx().unwrap(), "the same deck gives the same bytes");
        assert!(!is_deck(b"PK\x03\x04 not a zip"));
        assert!(!is_deck(b"<!DOCTYPE html>"));
    }
}

//! Scenario files: TOML in, a validated [`Config`] out.
//!
//! Loading goes in named steps: read the file, parse it (syntax errors carry
//! line and column), apply `--set` overrides, lay it over the built-in
//! defaults, deserialize into the schema (unknown keys are errors), check
//! ranges, and resolve names into a typed [`Config`]. Every error names the
//! file and the dotted key, and, where the key is written in the file, its
//! line and column. This is the only module that knows TOML.

pub mod evidence;
pub mod labels;
pub mod optimize;
pub mod presentation;
pub mod priors;
pub(crate) mod resolve;
pub mod schema;
pub mod suggest;
pub mod sweep;
pub mod worlds;

use crate::model::Config;
pub use presentation::Presentation;
use schema::RawScenario;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

pub use resolve::{replicates, resolve};

/// The built-in defaults every scenario is laid over.
pub const DEFAULTS_TOML: &str = include_str!("defaults.toml");

/// Maps whose new entries are filled from a template in the defaults.
const TEMPLATED: [(&str, &str); 3] = [("labs", "lab"), ("enterprises", "enterprise"), ("policies", "policy")];

/// Where in the input an error sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A position in the scenario file (1-based line and column).
    File { line: usize, column: usize },
    /// A `--set` override from the command line.
    Override(String),
    /// Not written in the file: a default or a derived value.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `--set KEY=VALUE` that is not of that form.
    #[error("--set `{text}`: {message}")]
    BadOverride { text: String, message: String },
    #[error("{}", format_invalid(.file, .key, .origin, .message))]
    Invalid {
        file: String,
        key: String,
        origin: Origin,
        message: String,
    },
    /// Several errors of one file, reported at once (at most [`MAX_ERRORS`]).
    #[error("{}", format_many(.0))]
    Many(Vec<ScenarioError>),
}

/// The most errors one file reports at once.
pub const MAX_ERRORS: usize = 20;

fn format_many(errors: &[ScenarioError]) -> String {
    let mut s = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    if errors.len() >= MAX_ERRORS {
        s.push_str(&format!(
            "\n(the first {MAX_ERRORS} errors are listed: fix them and check the file again)"
        ));
    }
    s
}

impl ScenarioError {
    /// One error as itself, several as [`ScenarioError::Many`] in the order
    /// of the file (then `--set` overrides, then the rest, each in the
    /// order found).
    pub(crate) fn collected(mut errors: Vec<ScenarioError>) -> ScenarioError {
        errors.sort_by_key(|e| match e {
            ScenarioError::Invalid {
                origin: Origin::File { line, column },
                ..
            } => (0, *line, *column),
            ScenarioError::Invalid {
                origin: Origin::Override(_),
                ..
            } => (1, 0, 0),
            _ => (2, 0, 0),
        });
        if errors.len() == 1 {
            errors.pop().expect("one error")
        } else {
            ScenarioError::Many(errors)
        }
    }

    /// Every error this one holds, in the order found.
    pub fn all(&self) -> Vec<&ScenarioError> {
        match self {
            ScenarioError::Many(v) => v.iter().collect(),
            e => vec![e],
        }
    }
}

fn format_invalid(file: &str, key: &str, origin: &Origin, message: &str) -> String {
    let key_part = if key.is_empty() {
        String::new()
    } else {
        format!(" key `{key}`:")
    };
    match origin {
        Origin::File { line, column } => format!("{file}:{line}:{column}:{key_part} {message}"),
        Origin::Override(s) => format!("{file}: --set {s}:{key_part} {message}"),
        Origin::Unknown => format!("{file}:{key_part} {message}"),
    }
}

/// A scenario as loaded: the merged TOML table and its typed configuration.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    /// The scenario file's text, exactly as read (for hashing).
    pub source: String,
    /// Every parameter, defaults and overrides applied.
    pub raw: RawScenario,
    pub config: Config,
    /// The file's `[presentation]` table: how its charts look.
    pub presentation: Option<Presentation>,
}

/// A `--set key.path=value` override.
#[derive(Debug, Clone)]
pub struct Override {
    pub key: String,
    pub value: Value,
    pub text: String,
}

impl Override {
    /// Parses `key.path=value`. The value is read as a TOML value (number,
    /// boolean, array, quoted string); anything else is taken as a string.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let bad = |message: &str| ScenarioError::BadOverride {
            text: text.to_string(),
            message: message.to_string(),
        };
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| bad("not of the form key.path=value"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(bad("the key path is empty or has an empty part"));
        }
        let value_text = value.trim();
        let value = match toml::from_str::<Table>(&format!("v = {value_text}")) {
            Ok(mut t) => t.remove("v").expect("parsed table holds v"),
            Err(_) => Value::String(value_text.to_string()),
        };
        Ok(Override {
            key: key.to_string(),
            value,
            text: text.to_string(),
        })
    }
}

/// The most bytes tokenmaxx reads from one input file (a scenario, sweep,
/// evidence file or posterior): 64 MiB.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Reads an input file: a regular file (a device, FIFO or folder is refused
/// by name, before it is opened, so nothing blocks or reads without end) of
/// at most [`MAX_INPUT_BYTES`].
pub fn read_input_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a folder"
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::FileTypeExt;
                if kind.is_fifo() {
                    "a FIFO (named pipe)"
                } else if kind.is_char_device() || kind.is_block_device() {
                    "a device"
                } else if kind.is_socket() {
                    "a socket"
                } else {
                    "not a regular file"
                }
            }
            #[cfg(not(unix))]
            "not a regular file"
        };
        return Err(std::io::Error::other(format!("it is {what}, not a file: give a file")));
    }
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB, the most tokenmaxx reads from one input file",
            MAX_INPUT_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// [`read_input_bytes`] as UTF-8 text.
pub fn read_input(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_input_bytes(path)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
}

/// The kinds of input file tokenmaxx reads, each with its own loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A scenario (`run`): [`load`].
    Scenario,
    /// A sweep (`sweep`): a `base` and a `[sweep]`, [`sweep::load`].
    Sweep,
    /// An evidence file (`calibrate`): a `[calibrate]`, [`evidence::load`].
    Evidence,
    /// An optimization study (`optimize`): an `[optimize]`, [`optimize::load`].
    Optimization,
}

impl FileKind {
    /// The kind in words, with its article.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Scenario => "a scenario",
            FileKind::Sweep => "a sweep file",
            FileKind::Evidence => "an evidence file",
            FileKind::Optimization => "an optimization study",
        }
    }
}

/// The kind of an input file's text, by its top-level keys, told apart as
/// the loaders tell them: `[sweep]` makes a sweep, else `[calibrate]` an
/// evidence file, `[optimize]` a study, a `base` alone a sweep, and
/// anything else (a text that is not TOML included, whose syntax error the
/// scenario loader then places) a scenario.
pub fn kind_of(source: &str) -> FileKind {
    let Ok(table) = toml::from_str::<Table>(source) else {
        return FileKind::Scenario;
    };
    if table.contains_key("sweep") {
        FileKind::Sweep
    } else if table.contains_key("calibrate") {
        FileKind::Evidence
    } else if table.contains_key("optimize") {
        FileKind::Optimization
    } else if table.contains_key("base") {
        FileKind::Sweep
    } else {
        FileKind::Scenario
    }
}

/// Loads, validates and resolves a scenario file.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let source = read_input(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file = path.display().to_string();
    let (raw, config) = from_str(&source, &file, overrides)?;
    let presentation = presentation_of(&source, &file)?;
    Ok(Scenario {
        path: path.to_path_buf(),
        source,
        raw,
        config,
        presentation,
    })
}

/// Warnings for overrides that can have no effect on any result: a value
/// of a lab no enterprise buys from, or of a policy that no arm runs and no
/// enterprise is fixed to.
pub fn override_warnings(config: &Config, overrides: &[Override]) -> Vec<String> {
    let mut out = Vec::new();
    for o in overrides {
        let mut parts = o.key.split('.');
        let (Some(table), Some(name)) = (parts.next(), parts.next()) else {
            continue;
        };
        let unused =
            match table {
                "labs" => config
                    .labs
                    .iter()
                    .position(|l| l.name == name)
                    .is_some_and(|lab| config.enterprises.iter().all(|e| e.lab != lab)),
                "policies" => config.policies.iter().position(|p| p.name == name).is_some_and(|p| {
                    !config.arms.contains(&p) && config.enterprises.iter().all(|e| e.policy != Some(p))
                }),
                _ => false,
            };
        if unused {
            let what = if table == "labs" {
                format!("no enterprise buys from lab `{name}`")
            } else {
                format!("no arm runs policy `{name}` and no enterprise is fixed to it")
            };
            out.push(format!("--set {}: {what}, so this override has no effect", o.text));
        }
    }
    out
}

/// The built-in defaults, parsed once per process (a sweep resolves every
/// point's scenario against them).
fn defaults_table() -> &'static Table {
    static DEFAULTS: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(|| toml::from_str(DEFAULTS_TOML).expect("built-in defaults are valid TOML"))
}

/// Validates and resolves scenario text; `file` names it in errors.
pub fn from_str(source: &str, file: &str, overrides: &[Override]) -> Result<(RawScenario, Config), ScenarioError> {
    PreparedScenario::new(source, file)?.load(overrides)
}

/// A scenario text parsed and checked once, to be loaded under many sets
/// of overrides (a sweep's points, a calibration's particles): what does
/// not depend on the overrides is done here, the rest by [`Self::load`].
/// [`from_str`] is the two in a row, so a text loads the same either way.
#[derive(Debug)]
pub struct PreparedScenario<'s> {
    source: &'s str,
    file: String,
    /// The file's table, its `[presentation]` checked and set aside.
    user: Table,
    /// Made [`Self::for_many`]: the file laid over the defaults without
    /// overrides, and its priors read (none where the file alone fails
    /// there). A load whose overrides only replace values of that tree
    /// starts from it, and checks again only the priors of the values it
    /// replaces (see [`priors::Footprint`]).
    own: Option<Table>,
    footprint: Option<priors::Footprint>,
}

impl<'s> PreparedScenario<'s> {
    /// Parses `source` and checks what its overrides cannot change: its
    /// syntax, that it is a scenario, its `[presentation]`.
    pub fn new(source: &'s str, file: &str) -> Result<Self, ScenarioError> {
        let mut user: Table = toml::from_str(source).map_err(|e| ScenarioError::Invalid {
            file: file.to_string(),
            key: String::new(),
            origin: syntax_origin(source, &e),
            message: suggest::syntax_message(&e, source),
        })?;
        if user.contains_key("calibrate") {
            return Err(ScenarioError::Invalid {
                file: file.to_string(),
                key: "calibrate".to_string(),
                origin: locate(source, "calibrate", false),
                message: format!(
                    "this is an evidence file, not a scenario: run it with `tokenmaxx calibrate {file}` (add --dry-run to check it)"
                ),
            });
        }
        if let Some(key) = ["base", "sweep"].into_iter().find(|k| user.contains_key(*k)) {
            return Err(ScenarioError::Invalid {
                file: file.to_string(),
                key: key.to_string(),
                origin: locate(source, key, false),
                message: format!("this is a sweep file, not a scenario: run it with `tokenmaxx sweep {file}`"),
            });
        }
        // Charts' looks are no parameter of the model: checked, then set aside.
        if user.remove("presentation").is_some() {
            presentation_of(source, file)?;
        }
        Ok(PreparedScenario {
            source,
            file: file.to_string(),
            user,
            own: None,
            footprint: None,
        })
    }

    /// [`Self::new`], with the file laid over the defaults and its priors
    /// read once, so that a load whose overrides only replace values (a
    /// sweep's point) starts from that tree and checks only the priors of
    /// the values it replaces.
    pub fn for_many(source: &'s str, file: &str) -> Result<Self, ScenarioError> {
        let mut prepared = Self::new(source, file)?;
        if let Ok(Value::Table(params)) = merge_with_defaults(prepared.user.clone()) {
            let table = |k: &str| params.get(k).and_then(Value::as_table);
            if let (Some(priors), Some(sources)) = (table("priors"), table("sources")) {
                prepared.footprint = priors::Footprint::of(priors, sources, &params);
            }
            prepared.own = Some(params);
        }
        Ok(prepared)
    }

    /// The file's own tree when every override replaces one of its values
    /// (no table, nothing under `[priors]` or `[sources]`) by a value: then
    /// the file and its overrides lay over the defaults as that tree with
    /// those values replaced (the tables on each override's path are the
    /// file's or the defaults', and a value replaces a value), and the
    /// tree has the shape the file's priors were read on.
    fn own_with_values_only(&self, overrides: &[Override]) -> Option<&Table> {
        let own = self.own.as_ref()?;
        overrides
            .iter()
            .all(|o| {
                !matches!(o.key.split('.').next(), Some("priors" | "sources"))
                    && !o.value.is_table()
                    && priors::value_at(own, &o.key).is_some_and(|v| !v.is_table())
            })
            .then_some(own)
    }

    /// Applies `overrides`, lays the file over the defaults, and validates
    /// and resolves it (every error of the file at once, up to
    /// [`MAX_ERRORS`]).
    pub fn load(&self, overrides: &[Override]) -> Result<(RawScenario, Config), ScenarioError> {
        let (source, file) = (self.source, self.file.as_str());
        // Errors are rare: the file is read for their positions only then.
        let locator = std::cell::OnceCell::new();
        let locator = || locator.get_or_init(|| Locator::new(source));
        let invalid = |key: String, message: String| {
            let origin = origin_of(&key, overrides, locator, Span::Value);
            ScenarioError::Invalid {
                file: file.to_string(),
                key,
                origin,
                message,
            }
        };
        let mut user = self.user.clone();
        check_override_entities(&user, overrides).map_err(|(k, m)| invalid(k, m))?;
        for o in overrides {
            set_path(&mut user, &o.key, o.value.clone()).map_err(|m| invalid(o.key.clone(), m))?;
        }
        // What a rejected value is replaced with, to look for further errors:
        // the default of its key (templates filled for the file's entities).
        let skeleton = skeleton(&user);
        let fallback = std::cell::OnceCell::new();
        let fallback = || {
            fallback
                .get_or_init(|| merge_with_defaults(skeleton.clone()).ok())
                .as_ref()
        };
        let own = self.own_with_values_only(overrides);
        let merged = match own {
            Some(own) => {
                let mut tree = own.clone();
                for o in overrides {
                    set_path(&mut tree, &o.key, o.value.clone()).expect("a value of the tree");
                }
                Value::Table(tree)
            }
            None => merge_with_defaults(user).map_err(|(k, m)| invalid(k, m))?,
        };
        // Every error of the file, up to MAX_ERRORS: a misspelt key is set
        // aside and the rest read again; a rejected value is replaced by its
        // default and the rest checked again.
        let mut errors = Vec::new();
        let located = |f: Fault| {
            let span = if f.at_value { Span::Value } else { Span::Key };
            ScenarioError::Invalid {
                file: file.to_string(),
                origin: origin_of(&f.key, overrides, locator, span),
                key: f.key,
                message: f.message,
            }
        };
        let mut faults = Vec::new();
        let read = deserialize_all::<RawScenario>(merged, "", &fallback, &mut faults);
        // Whether `params` is the file's own tree with the overrides'
        // values (none replaced by a default since).
        let mut own_shape = own.is_some() && faults.is_empty();
        errors.extend(faults.into_iter().map(located));
        let Some((mut raw, mut params)) = read else {
            return Err(ScenarioError::collected(errors));
        };
        let mut rejected = std::collections::HashSet::new();
        loop {
            let checked = resolve(&raw).and_then(|config| {
                let Value::Table(t) = &params else {
                    unreachable!("merged is a table")
                };
                self.check_priors(&raw, t, overrides, own_shape).map(|()| config)
            });
            let (key, message) = match checked {
                Ok(config) if errors.is_empty() => return Ok((raw, config)),
                Ok(_) => break,
                Err(rejection) => rejection,
            };
            if !rejected.insert(key.clone()) {
                break;
            }
            errors.push(invalid(key.clone(), message));
            if errors.len() >= MAX_ERRORS || !replace_with_default(&mut params, &key, fallback()) {
                break;
            }
            own_shape = false;
            match serde_path_to_error::deserialize::<_, RawScenario>(params.clone()) {
                Ok(r) => raw = r,
                Err(_) => break,
            }
        }
        Err(ScenarioError::collected(errors))
    }

    /// [`priors::read`] of a loaded scenario (its first error, if any);
    /// when `params` is the file's own tree with the overrides' values
    /// (`own_shape`), only the priors of those values are checked again.
    fn check_priors(
        &self,
        raw: &RawScenario,
        params: &Table,
        overrides: &[Override],
        own_shape: bool,
    ) -> Result<(), resolve::Rejection> {
        match &self.footprint {
            Some(footprint) if own_shape => {
                let changed: Vec<&str> = overrides.iter().map(|o| o.key.as_str()).collect();
                footprint.check(params, &changed)
            }
            _ => priors::read(&raw.priors, &raw.sources, params).map(|_| ()),
        }
    }
}

/// The file's entities without their values: what [`merge_with_defaults`]
/// fills from templates, so a rejected value of a new lab, enterprise or
/// policy has a default too.
fn skeleton(user: &Table) -> Table {
    let mut out = Table::new();
    for (map, _) in TEMPLATED {
        if let Some(Value::Table(entries)) = user.get(map) {
            let names = entries.keys().map(|k| (k.clone(), Value::Table(Table::new())));
            out.insert(map.to_string(), Value::Table(names.collect()));
        }
    }
    out
}

/// Reads `value` as a `T`, reporting every serde error on the way (under
/// `prefix`) into `faults`, up to [`MAX_ERRORS`]: an unknown key is removed
/// and the rest read again; any other value is replaced by its counterpart
/// in `fallback` (when it has one that is no table) and read again. The
/// value read and the (repaired) table it was read from, or None when an
/// error could not be stepped over.
pub(crate) fn deserialize_all<'f, T: serde::de::DeserializeOwned>(
    mut value: Value,
    prefix: &str,
    fallback: &dyn Fn() -> Option<&'f Value>,
    faults: &mut Vec<Fault>,
) -> Option<(T, Value)> {
    let mut seen = std::collections::HashSet::new();
    loop {
        let e = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(t) => return Some((t, value)),
            Err(e) => e,
        };
        let f = fault(&e, prefix);
        if !seen.insert(f.key.clone()) {
            return None;
        }
        let relative = f
            .key
            .strip_prefix(prefix)
            .map_or(f.key.as_str(), |k| k.trim_start_matches('.'))
            .to_string();
        let at_value = f.at_value;
        faults.push(f);
        let repaired = if at_value {
            replace_with_default(&mut value, &relative, fallback())
        } else {
            remove_at(&mut value, &relative)
        };
        if !repaired || faults.len() >= MAX_ERRORS {
            return None;
        }
    }
}

/// A sweep, evidence or optimization file's table read as a `T`, with
/// every misspelt key reported at once (see [`deserialize_all`]); `file`
/// and `source` locate them.
pub(crate) fn read_table<T: serde::de::DeserializeOwned>(
    table: Table,
    file: &str,
    source: &str,
) -> Result<T, ScenarioError> {
    let mut faults = Vec::new();
    match deserialize_all(Value::Table(table), "", &|| None, &mut faults) {
        Some((raw, _)) if faults.is_empty() => Ok(raw),
        _ => {
            let errors = faults.into_iter().map(|f| ScenarioError::Invalid {
                file: file.to_string(),
                origin: locate(source, &f.key, f.at_value),
                key: f.key,
                message: f.message,
            });
            Err(ScenarioError::collected(errors.collect()))
        }
    }
}

/// Replaces the value at `key` in `value` by the one at `key` in
/// `fallback`; false when there is none, it is a table, or it is the value
/// already there (nothing would change).
fn replace_with_default(value: &mut Value, key: &str, fallback: Option<&Value>) -> bool {
    let Some(default) = fallback.and_then(|d| value_at(d, key)) else {
        return false;
    };
    if default.is_table() {
        return false;
    }
    match value_at_mut(value, key) {
        Some(v) if v != default => {
            *v = default.clone();
            true
        }
        _ => false,
    }
}

/// The value at a dotted key (array indices allowed) of a TOML value.
fn value_at<'v>(mut v: &'v Value, key: &str) -> Option<&'v Value> {
    for part in split_key(key) {
        v = match part {
            KeyPart::Name(n) => v.as_table()?.get(&n)?,
            KeyPart::Index(i) => v.as_array()?.get(i)?,
        };
    }
    Some(v)
}

fn value_at_mut<'v>(mut v: &'v mut Value, key: &str) -> Option<&'v mut Value> {
    for part in split_key(key) {
        v = match part {
            KeyPart::Name(n) => v.as_table_mut()?.get_mut(&n)?,
            KeyPart::Index(i) => v.as_array_mut()?.get_mut(i)?,
        };
    }
    Some(v)
}

/// Removes the key at a dotted path; false when it is not there.
fn remove_at(v: &mut Value, key: &str) -> bool {
    let (parent, last) = key.rsplit_once('.').unwrap_or(("", key));
    let parent = if parent.is_empty() {
        Some(v)
    } else {
        value_at_mut(v, parent)
    };
    parent
        .and_then(Value::as_table_mut)
        .is_some_and(|t| t.remove(last).is_some())
}

/// The `[presentation]` table of a scenario or sweep file, checked; `file`
/// names it in errors.
pub fn presentation_of(source: &str, file: &str) -> Result<Option<Presentation>, ScenarioError> {
    let locator = Locator::new(source);
    let invalid = |key: String, message: String, span: Span| ScenarioError::Invalid {
        file: file.to_string(),
        origin: locator.find(&key, span).unwrap_or(Origin::Unknown),
        key,
        message,
    };
    // Syntax errors are reported by the scenario's own parse.
    let Ok(mut user) = toml::from_str::<Table>(source) else {
        return Ok(None);
    };
    let Some(value) = user.remove("presentation") else {
        return Ok(None);
    };
    if !value.is_table() {
        return Err(invalid(
            "presentation".into(),
            "must be a table: [presentation] with theme, aspect, width, font_scale, svg_text".into(),
            Span::Value,
        ));
    }
    // Every error of the table at once, as a scenario's: a misspelt key
    // set aside, a wrong value replaced by a valid one, then the ranges.
    let stand_in = Presentation::stand_in();
    let mut faults = Vec::new();
    let read = deserialize_all::<Presentation>(value, "presentation", &|| Some(&stand_in), &mut faults);
    let mut errors: Vec<ScenarioError> = faults
        .into_iter()
        .map(|f| {
            let span = if f.at_value { Span::Value } else { Span::Key };
            invalid(f.key, f.message, span)
        })
        .collect();
    let bad_value = |k: &str| {
        errors
            .iter()
            .any(|e| matches!(e, ScenarioError::Invalid { key, .. } if key == &format!("presentation.{k}")))
    };
    let mut ranges = Vec::new();
    if let Some((p, _)) = &read {
        for (k, m) in p.problems() {
            // A value replaced by its stand-in is reported once, as itself.
            if !bad_value(&k) {
                ranges.push(invalid(format!("presentation.{k}"), m, Span::Value));
            }
        }
    }
    errors.extend(ranges);
    match read {
        Some((p, _)) if errors.is_empty() => Ok(Some(p)),
        _ => {
            errors.truncate(MAX_ERRORS);
            Err(ScenarioError::collected(errors))
        }
    }
}

/// Where each parameter of a loaded scenario comes from: its sources and
/// priors, templates expanded to the scenario's labs, enterprises and
/// policies.
pub fn provenance(raw: &RawScenario) -> priors::Provenance {
    let Value::Table(params) = Value::try_from(raw).expect("the schema serialises to TOML") else {
        unreachable!("a scenario serialises to a table")
    };
    priors::read(&raw.priors, &raw.sources, &params).expect("checked when the scenario was loaded")
}

/// The built-in defaults' own parameter tree (templates kept) and their
/// provenance: what `tokenmaxx defaults` prints.
pub fn default_provenance() -> (&'static Table, priors::Provenance) {
    let t = defaults_table();
    let empty = Table::new();
    let get = |k: &str| t.get(k).and_then(Value::as_table).unwrap_or(&empty);
    let p = priors::read(get("priors"), get("sources"), t).expect("built-in priors are valid");
    (t, p)
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// A serde error in a TOML table of a scenario, sweep, evidence or
/// presentation, as what to report: the dotted key at fault (under
/// `prefix`, if the table was read from inside a file), the message with a
/// suggestion for a misspelt name, and where on the key's line to point.
/// An unknown field is named itself (appended to the path of its table) and
/// pointed at by its key; any other error at its value.
pub(crate) struct Fault {
    pub key: String,
    pub message: String,
    pub at_value: bool,
}

/// The one mapping from serde's errors to located ones (see [`Fault`]).
pub(crate) fn fault(e: &serde_path_to_error::Error<toml::de::Error>, prefix: &str) -> Fault {
    let path = e.path().to_string();
    let path = if path == "." { "" } else { path.as_str() };
    let join = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}.{b}"),
    };
    let mut key = join(prefix, path);
    let message = suggest::with_suggestion(e.inner().message().trim());
    let unknown = unknown_field(&message);
    if let Some(field) = &unknown
        && !(key == *field || key.ends_with(&format!(".{field}")))
    {
        key = join(&key, field);
    }
    Fault {
        key,
        message,
        at_value: unknown.is_none(),
    }
}

/// Which part of a `key = value` line an error points at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Span {
    Key,
    Value,
}

/// Where `key` is written: the last override that sets it or a table
/// above it, else its place in the file (`locator` is asked only then).
fn origin_of<'l>(key: &str, overrides: &[Override], locator: impl FnOnce() -> &'l Locator<'l>, span: Span) -> Origin {
    if let Some(o) = overrides
        .iter()
        .rev()
        .find(|o| key == o.key || key.starts_with(&format!("{}.", o.key)))
    {
        return Origin::Override(o.text.clone());
    }
    locator().find(key, span).unwrap_or(Origin::Unknown)
}

/// The named entities a scenario defines: the maps whose entries are named.
const ENTITY_MAPS: [(&str, &str); 4] = [
    ("labs", "lab"),
    ("enterprises", "enterprise"),
    ("policies", "policy"),
    ("task_types", "task type"),
];

/// `--set` (and a sweep's parameters) may change entities the scenario and
/// the defaults define, never create one: `--set enterprises.acmee.employees=10`
/// for an enterprise `acme` is a typo, not a second enterprise.
fn check_override_entities(user: &Table, overrides: &[Override]) -> Result<(), (String, String)> {
    let defaults = defaults_table();
    for o in overrides {
        let mut parts = o.key.split('.');
        let (Some(map), Some(name)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some((_, what)) = ENTITY_MAPS.iter().find(|(m, _)| *m == map) else {
            continue;
        };
        let mut known: Vec<&str> = [user, defaults]
            .iter()
            .filter_map(|t| t.get(map).and_then(Value::as_table))
            .flat_map(|t| t.keys().map(String::as_str))
            .collect();
        known.sort_unstable();
        known.dedup();
        if known.contains(&name) {
            continue;
        }
        let suggestion = suggest::did_you_mean(name, known.iter().copied());
        return Err((
            o.key.clone(),
            format!(
                "the scenario defines no {what} `{name}`{suggestion} (--set changes what the files define; to add one, add a [{map}.{name}] table to the file; defined: {})",
                known.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Sets a dotted key in a table, creating tables on the way.
fn set_path(table: &mut Table, key: &str, value: Value) -> Result<(), String> {
    let mut parts = key.split('.').peekable();
    let mut t = table;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            t.insert(part.to_string(), value);
            return Ok(());
        }
        let entry = t.entry(part.to_string()).or_insert_with(|| Value::Table(Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{part}` is not a table, so `{key}` cannot be set"))?;
    }
    Ok(())
}

/// Lays `over` onto `base`: tables merge key by key, anything else replaces.
fn deep_merge(base: &mut Table, over: Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => deep_merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The user's table laid over the defaults, with new entries of templated
/// maps filled from their template.
fn merge_with_defaults(mut user: Table) -> Result<Value, (String, String)> {
    let mut merged: Table = defaults_table().clone();
    let mut templates = match merged.remove("templates") {
        Some(Value::Table(t)) => t,
        _ => unreachable!("defaults hold [templates]"),
    };
    if let Some(user_templates) = user.remove("templates") {
        match user_templates {
            Value::Table(t) => deep_merge(&mut templates, t),
            _ => return Err(("templates".into(), "must be a table".into())),
        }
    }
    // Fill every entry of a templated map, default or user-written, from its template.
    for (map, template_name) in TEMPLATED {
        let template = templates
            .get(template_name)
            .and_then(Value::as_table)
            .cloned()
            .unwrap_or_default();
        let mut entries = match merged.remove(map) {
            Some(Value::Table(t)) => t,
            _ => Table::new(),
        };
        if let Some(user_map) = user.remove(map) {
            let Value::Table(user_map) = user_map else {
                return Err((map.to_string(), "must be a table of named entries".into()));
            };
            for (name, entry) in user_map {
                let Value::Table(entry) = entry else {
                    return Err((format!("{map}.{name}"), "must be a table".into()));
                };
                match entries.get_mut(&name) {
                    Some(Value::Table(existing)) => deep_merge(existing, entry),
                    _ => {
                        entries.insert(name, Value::Table(entry));
                    }
                }
            }
        }
        let mut filled = Table::new();
        for (name, entry) in entries {
            let mut t = template.clone();
            if let Value::Table(e) = entry {
                deep_merge(&mut t, e);
            }
            filled.insert(name, Value::Table(t));
        }
        merged.insert(map.to_string(), Value::Table(filled));
    }
    deep_merge(&mut merged, user);
    Ok(Value::Table(merged))
}

enum KeyPart {
    Name(String),
    Index(usize),
}

/// Splits `a.b[2].c` into names and array indices.
fn split_key(key: &str) -> Vec<KeyPart> {
    let mut parts = Vec::new();
    for seg in key.split('.') {
        let mut rest = seg;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                parts.push(KeyPart::Name(rest[..open].to_string()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(i) = stripped[..close].parse() {
                    parts.push(KeyPart::Index(i));
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else if !seg.is_empty() {
            parts.push(KeyPart::Name(seg.to_string()));
        }
    }
    parts
}

/// Where a dotted key (array indices allowed) is written in a TOML text.
pub fn locate(source: &str, key: &str, at_value: bool) -> Origin {
    Locator::new(source)
        .find(key, if at_value { Span::Value } else { Span::Key })
        .unwrap_or(Origin::Unknown)
}

/// Where a TOML syntax error sits.
pub fn syntax_origin(source: &str, e: &toml::de::Error) -> Origin {
    e.span()
        .map_or(Origin::Unknown, |s| Locator::new(source).position(s.start))
}

/// The value a dotted key takes in a scenario once laid over the defaults,
/// or None when the scenario has no such parameter.
pub fn merged_value(source: &str, key: &str) -> Option<Value> {
    let user: Table = toml::from_str(source).ok()?;
    let Value::Table(merged) = merge_with_defaults(user).ok()? else {
        return None;
    };
    let mut v = &Value::Table(merged);
    for part in key.split('.') {
        v = v.as_table()?.get(part)?;
    }
    Some(v.clone())
}

/// Every value's dotted key in a scenario text merged with the defaults
/// (templates aside): the keys a sweep or `--set` may name.
pub fn merged_keys(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Table(merged)) = toml::from_str::<Table>(source)
        .ok()
        .and_then(|user| merge_with_defaults(user).ok())
    {
        priors::leaf_keys(&merged, "", &|_| true, &mut out);
    }
    out.retain(|k| !k.starts_with("templates."));
    out
}

/// Finds the line and column of dotted keys in a TOML text.
struct Locator<'a> {
    line_starts: Vec<usize>,
    table: Option<toml::de::DeTable<'a>>,
}

impl<'a> Locator<'a> {
    fn new(source: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        let table = toml::de::DeTable::parse(source).ok().map(|t| t.into_inner());
        Locator { line_starts, table }
    }

    fn position(&self, offset: usize) -> Origin {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let column = offset - self.line_starts[line - 1] + 1;
        Origin::File { line, column }
    }

    /// The position of the deepest part of `key` that the file writes. Parts
    /// may index arrays: `sweep.parameters[1].key`.
    fn find(&self, key: &str, span: Span) -> Option<Origin> {
        use toml::de::DeValue;
        let root = self.table.as_ref()?;
        let mut found = None;
        let mut current: Option<&DeValue> = None;
        let parts = split_key(key);
        let n_parts = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let next = match (&part, current) {
                (KeyPart::Name(name), None) => root.iter().find(|(k, _)| k.get_ref().as_ref() == name.as_str()),
                (KeyPart::Name(name), Some(v)) => v
                    .as_table()
                    .and_then(|t| t.iter().find(|(k, _)| k.get_ref().as_ref() == name.as_str())),
                (KeyPart::Index(i), Some(v)) => {
                    let item = v.as_array().and_then(|a| a.get(*i));
                    match item {
                        Some(item) => {
                            found = Some(item.span().start);
                            current = Some(item.get_ref());
                            continue;
                        }
                        None => break,
                    }
                }
                (KeyPart::Index(_), None) => break,
            };
            let Some((k, v)) = next else { break };
            found = Some(k.span().start);
            let value = v.get_ref();
            // The whole key found, and its value an array: point at the array.
            if i + 1 == n_parts && span == Span::Value && value.as_array().is_some() {
                found = Some(v.span().start);
                break;
            }
            if value.as_table().is_none() && value.as_array().is_none() {
                if span == Span::Value {
                    found = Some(v.span().start);
                }
                break;
            }
            current = Some(value);
        }
        found.map(|o| self.position(o))
    }
}

/// The resolved scenario (defaults laid under the file, overrides applied)
/// as JSON, for manifests; non-finite numbers are written as strings ("inf").
pub fn resolved_json(raw: &RawScenario) -> serde_json::Value {
    toml_to_json(&Value::try_from(raw).expect("the schema serialises to TOML"))
}

/// Converts TOML to JSON, writing non-finite floats as strings ("inf").
fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) if f.is_finite() => J::from(*f),
        toml::Value::Float(f) => J::String(f.to_string()),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Override, PreparedScenario, from_str};

    /// A source for a parameter that does not exist suggests the nearest
    /// parameter, never the misspelt source itself.
    #[test]
    fn a_source_for_no_parameter_suggests_a_parameter_not_itself() {
        let text = "name = \"t\"\n[enterprises.acme]\nemployees = 10\n";
        let error = |set: &str| {
            let overrides = [Override::parse(set).unwrap()];
            format!("{:?}", from_str(text, "t.toml", &overrides).unwrap_err())
        };
        let near = error("sources.agent.noise_prob_agnt=\"a study\"");
        assert!(near.contains("did you mean `agent.noise_prob_agent`?"), "{near}");
        let far = error("sources.agent.no_such_key=\"a study\"");
        assert!(
            far.contains("is not a parameter") && !far.contains("did you mean"),
            "{far}"
        );
    }

    /// A scenario prepared for many loads (its own tree and priors read
    /// once) loads every set of overrides exactly as `from_str` does: the
    /// same scenario, or the same errors, whether the overrides only
    /// replace values (priors with a factor, shares, counts), change the
    /// priors, add tables, or are wrong.
    #[test]
    fn a_scenario_prepared_for_many_loads_as_from_str_does() {
        let text = "name = \"t\"\n[enterprises.acme]\nemployees = 10\n\
                    [labs.frontier_lab]\ndiscount_scale = 0.8\n";
        let many = PreparedScenario::for_many(text, "t.toml").unwrap();
        assert!(many.own.is_some() && many.footprint.is_some());
        // Values replaced by values start from the file's own tree; tables,
        // priors and templates are laid over the defaults again.
        let from_own = |t: &str| many.own_with_values_only(&[Override::parse(t).unwrap()]).is_some();
        assert!(from_own("labs.frontier_lab.discount_scale=1.2") && from_own("task_types.coding.share=0"));
        assert!(!from_own("labs.frontier_lab.discount_scale={ a = 1 }") && !from_own("templates.lab.discount_scale=1"));
        assert!(!from_own("priors.agent.noise_prob_agent.low=0.9") && !from_own("agent.no_such_key=1"));
        let cases: &[&[&str]] = &[
            &[],
            &["labs.frontier_lab.discount_scale=1.2"],
            &["labs.frontier_lab.discount_scale=1.2", "agent.noise_prob_agent=0.3"],
            &["enterprises.acme.employees=20", "weeks=8"],
            &["arms=[\"laissez_faire\"]"],
            &["task_types.coding.share=0.5"],
            // A factor prior's range is made from the value.
            &["task_types.coding.share=0"],
            &["task_types.coding.share=-1"],
            &["task_types.coding.manual_hours=0"],
            &["agent.noise_prob_agent=1.5"],
            &["agent.noise_prob_agent=1.5", "labs.frontier_lab.discount_scale=-1"],
            &["labs.frontier_lab.discount_scale=\"high\""],
            &["labs.frontier_lab.discount_scale=[1, 2]"],
            &["labs.frontier_lab.discount_scale={ a = 1 }"],
            &["agent.noise_prob_agent.x=1"],
            &["agent.no_such_key=1"],
            &["enterprises.acmee.employees=1"],
            &["templates.lab.discount_scale=1.1"],
            &["priors.agent.noise_prob_agent.low=0.9"],
            &["priors.agent.noise_prob_agent={ factor = 2.0 }"],
            &["sources.agent.noise_prob_agent=\"a study\""],
            &["sources.agent.no_such_key=\"a study\""],
            &["labs.frontier_lab=3"],
            &["agent=3"],
        ];
        for case in cases {
            let overrides: Vec<Override> = case.iter().map(|t| Override::parse(t).unwrap()).collect();
            let once = format!("{:?}", from_str(text, "t.toml", &overrides));
            let prepared = format!("{:?}", many.load(&overrides));
            assert_eq!(once, prepared, "{case:?}");
        }
    }
}

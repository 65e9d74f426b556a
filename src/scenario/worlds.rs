//! `tokenmaxx run SCENARIO --worlds N`: a scenario run over N plausible
//! worlds, as the text of a sweep with `design = "worlds"` written for it
//! (so resume, robust verdicts and `discover` work as for a sweep file).

use crate::scenario::{self, Origin, Override, ScenarioError};
use std::path::{Path, PathBuf};
use toml::Value;

/// What `run --worlds` was asked to do.
#[derive(Debug, Clone)]
pub struct WorldsRequest {
    pub scenario: PathBuf,
    pub worlds: u32,
    /// "prior", or the path of a calibration's posterior.csv.
    pub from: String,
    /// Parameters to vary (drawing from the prior); empty: every parameter
    /// with a prior that neither the scenario nor `--set` fixes.
    pub vary: Vec<String>,
    pub replicates: Option<u32>,
    /// `--replicates auto`: the adaptive rule in every world (the
    /// scenario's `[replicates]` table or `[auto_replicates]`).
    pub auto_replicates: bool,
    pub seed: Option<u64>,
    pub set: Vec<String>,
}

/// Whether `key` is written in the scenario file itself.
fn written(file: &toml::Table, key: &str) -> bool {
    let mut t = file;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        match t.get(*part) {
            Some(Value::Table(next)) if i + 1 < parts.len() => t = next,
            Some(_) if i + 1 == parts.len() => return true,
            _ => return false,
        }
    }
    false
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The sweep text of a worlds run, and the path it is read as (beside the
/// scenario, so relative paths resolve as in a sweep file there).
pub fn sweep_source(req: &WorldsRequest) -> Result<(PathBuf, String), ScenarioError> {
    let usage = |m: String| ScenarioError::Invalid {
        file: req.scenario.display().to_string(),
        key: String::new(),
        origin: Origin::Unknown,
        message: m,
    };
    if req.worlds == 0 {
        return Err(usage("--worlds must be at least 1".into()));
    }
    let scenario = scenario::load(&req.scenario, &[])?;
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    // The sweep is read as a file beside the scenario, so it names its
    // files relative to the scenario's folder: the text, kept in the
    // manifest, holds no machine path.
    let dir = req.scenario.parent().unwrap_or(Path::new("."));
    let beside = |p: &Path| relative_to(&abs(p), &abs(dir)).display().to_string();
    let mut s = format!(
        "# Written by `tokenmaxx run --worlds`.\nbase = {}\n[sweep]\nname = {}\ndesign = \"worlds\"\npoints = {}\n",
        quote(&beside(&req.scenario)),
        quote(&format!("{}-worlds", scenario.raw.name)),
        req.worlds
    );
    if let Some(r) = req.replicates {
        s.push_str(&format!("replicates = {r}\n"));
    } else if req.auto_replicates {
        s.push_str("replicates = \"auto\"\n");
    }
    if let Some(seed) = req.seed {
        s.push_str(&format!("seed = {seed}\n"));
    }
    // Worlds from a posterior take its columns from it and every other
    // parameter from its prior (or those `--vary` names).
    let posterior = req.from != "prior";
    let columns = if posterior {
        posterior_columns(Path::new(&req.from))
    } else {
        Vec::new()
    };
    let keys: Vec<String> = if req.vary.is_empty() {
        let file: toml::Table = toml::from_str(&scenario.source).unwrap_or_default();
        let set: Vec<String> = req
            .set
            .iter()
            .map(|t| Override::parse(t).map(|o| o.key))
            .collect::<Result<_, _>>()?;
        scenario::provenance(&scenario.raw)
            .priors
            .into_iter()
            .map(|p| p.key)
            .filter(|k| !written(&file, k) && !set.contains(k) && !columns.contains(k))
            .filter(|k| {
                matches!(
                    scenario::merged_value(&scenario.source, k),
                    Some(Value::Float(_) | Value::Integer(_))
                )
            })
            .collect()
    } else {
        // A typo is named here, with the nearest parameter that has a
        // prior, not as a line of the sweep text written for it.
        let known: Vec<String> = scenario::provenance(&scenario.raw)
            .priors
            .into_iter()
            .map(|p| p.key)
            .collect();
        for k in &req.vary {
            if !matches!(
                scenario::merged_value(&scenario.source, k),
                Some(Value::Float(_) | Value::Integer(_))
            ) {
                let near = known
                    .iter()
                    .map(|n| (strsim::levenshtein(n, k), n))
                    .min()
                    .filter(|(d, _)| *d <= 4)
                    .map_or(String::new(), |(_, n)| format!("; did you mean `{n}`?"));
                return Err(usage(format!(
                    "--vary `{k}` names no numeric parameter of the scenario{near}"
                )));
            }
            if columns.contains(k) {
                return Err(usage(format!(
                    "--vary `{k}`: a column of the posterior, which draws it"
                )));
            }
        }
        req.vary.clone()
    };
    if posterior {
        s.push_str(&format!("from = {}\n", quote(&beside(Path::new(&req.from)))));
    } else {
        if keys.is_empty() {
            return Err(usage(format!(
                "--worlds: {} leaves no parameter with a prior to vary",
                req.scenario.display()
            )));
        }
        s.push_str("from = \"prior\"\n");
    }
    for k in keys {
        s.push_str(&format!("[[sweep.parameters]]\nkey = {}\n", quote(&k)));
    }
    let name = req
        .scenario
        .file_stem()
        .map_or("scenario".into(), |n| n.to_string_lossy().into_owned());
    Ok((dir.join(format!("{name}.worlds.toml")), s))
}

/// `target` as a path relative to the folder `from` (both absolute):
/// up with `..` to their common folder, then down. Paths on different
/// roots (another drive) stay as they are.
fn relative_to(target: &Path, from: &Path) -> PathBuf {
    use std::path::Component;
    let t: Vec<Component> = target.components().collect();
    let f: Vec<Component> = from.components().collect();
    if t.first() != f.first() {
        return target.to_path_buf();
    }
    let common = t.iter().zip(&f).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

/// The parameter columns of a posterior.csv (between `weight` and
/// `distance` in its header), read from its first line only; none when the
/// file cannot be read (the sweep then names the problem where it reads
/// the file).
fn posterior_columns(path: &Path) -> Vec<String> {
    // Through the one reader of input files: a FIFO or device is refused
    // (later, by name, where the sweep reads it), never opened here.
    let Ok(bytes) = scenario::read_input_bytes(path) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let line = text.lines().next().unwrap_or("");
    let cols: Vec<&str> = line.trim_end().split(',').collect();
    match (
        cols.iter().position(|c| *c == "weight"),
        cols.iter().position(|c| *c == "distance"),
    ) {
        (Some(w), Some(d)) if w < d => cols[w + 1..d].iter().map(|c| c.to_string()).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_made_relative_to_a_folder() {
        let r = |t: &str, f: &str| relative_to(Path::new(t), Path::new(f)).display().to_string();
        assert_eq!(r("/a/b/s.toml", "/a/b"), "s.toml");
        assert_eq!(r("/a/c/post.csv", "/a/b"), "../c/post.csv");
        assert_eq!(r("/x/post.csv", "/a/b"), "../../x/post.csv");
    }
}

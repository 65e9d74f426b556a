//! The data charts are drawn from, read from result CSV files only, so that
//! `tokenmaxx plot` can redraw old results without rerunning anything.

use crate::experiment::sensitivity::{Index, Method, SensitivityRow};
use crate::output::manifest::{Job, Manifest};
pub use crate::scenario::labels::Labels;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("{dir} holds no tokenmaxx results: {file} is missing (run `tokenmaxx run SCENARIO --out {dir}` first)")]
    NoResults { dir: PathBuf, file: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: column `{column}` is missing")]
    MissingColumn { file: String, column: String },
    #[error("{file}, line {line}: column `{column}`: `{value}` is not a number")]
    BadNumber {
        file: String,
        line: usize,
        column: String,
        value: String,
    },
    #[error("{file}: malformed CSV: {message}")]
    Csv { file: String, message: String },
    #[error("{file} holds no rows")]
    Empty { file: String },
    #[error("cannot draw {chart}: {message}")]
    Draw { chart: String, message: String },
}

/// A CSV table with the named columns picked out.
#[derive(Debug, Clone)]
pub struct Table {
    /// Text columns, by name.
    pub text: BTreeMap<String, Vec<String>>,
    /// Numeric columns, by name (empty cells are NaN).
    pub num: BTreeMap<String, Vec<f64>>,
    pub rows: usize,
}

impl Table {
    /// Parses CSV (bytes, or a file read as it goes: memory holds only the
    /// columns asked for), requiring the given text and numeric columns.
    pub fn parse(
        file: &str,
        bytes: impl std::io::Read,
        text_cols: &[&str],
        num_cols: &[&str],
    ) -> Result<Table, PlotError> {
        let csv_err = |e: csv::Error| PlotError::Csv {
            file: file.to_string(),
            message: e.to_string(),
        };
        let mut r = csv::Reader::from_reader(bytes);
        let header = r.headers().map_err(csv_err)?.clone();
        let index = |c: &str| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| PlotError::MissingColumn {
                    file: file.to_string(),
                    column: c.to_string(),
                })
        };
        let ti: Vec<usize> = text_cols.iter().map(|c| index(c)).collect::<Result<_, _>>()?;
        let ni: Vec<usize> = num_cols.iter().map(|c| index(c)).collect::<Result<_, _>>()?;
        let mut text: Vec<Vec<String>> = vec![Vec::new(); ti.len()];
        let mut num: Vec<Vec<f64>> = vec![Vec::new(); ni.len()];
        let mut rows = 0;
        for (line, rec) in r.records().enumerate() {
            let rec = rec.map_err(csv_err)?;
            for (k, &i) in ti.iter().enumerate() {
                text[k].push(rec.get(i).unwrap_or("").to_string());
            }
            for (k, &i) in ni.iter().enumerate() {
                let cell = rec.get(i).unwrap_or("");
                let v = if cell.is_empty() {
                    f64::NAN
                } else {
                    cell.parse().map_err(|_| PlotError::BadNumber {
                        file: file.to_string(),
                        line: line + 2,
                        column: num_cols[k].to_string(),
                        value: cell.to_string(),
                    })?
                };
                num[k].push(v);
            }
            rows += 1;
        }
        if rows == 0 {
            return Err(PlotError::Empty { file: file.to_string() });
        }
        Ok(Table {
            text: text_cols.iter().map(|c| c.to_string()).zip(text).collect(),
            num: num_cols.iter().map(|c| c.to_string()).zip(num).collect(),
            rows,
        })
    }

    pub fn t(&self, c: &str) -> &[String] {
        &self.text[c]
    }

    pub fn n(&self, c: &str) -> &[f64] {
        &self.num[c]
    }
}

/// Everything a `run`'s charts need.
#[derive(Debug, Clone)]
pub struct RunData {
    /// Scenario name, seed and tool version for the source line.
    pub scenario: String,
    pub seed: String,
    /// Policies in arm order (the first is the reference).
    pub policies: Vec<String>,
    pub replicates: usize,
    /// Points of a sweep (1 for a `run`).
    pub points: usize,
    pub term_weeks: usize,
    pub runs: Table,
    /// The value and spend channels of runs.csv (third edition); `None`
    /// for results written before them.
    pub channels: Option<Table>,
    pub weekly: Table,
    pub enterprises: Option<Table>,
    /// `verdicts.csv` of a run: (policy, versus, p_beats_roi, ...).
    pub verdicts: Option<Table>,
    /// Display names of the policies and parameters (from the manifest).
    pub labels: Labels,
}

pub const RUN_COLS: [&str; 7] = [
    "spend_usd",
    "value_usd",
    "roi",
    "waste_share",
    "value_per_mtok",
    "tokens",
    "replicate",
];
pub const WEEK_COLS: [&str; 7] = [
    "week",
    "spend_usd",
    "usage_cost_usd",
    "value_usd",
    "mandate",
    "commitment_usd",
    "usage_readers_share",
];
pub const ENT_COLS: [&str; 2] = ["spend_usd", "value_usd"];

/// Result files as (name, bytes).
pub type Files<'a> = &'a [(String, Vec<u8>)];

fn find<'a>(files: Files<'a>, name: &str) -> Option<&'a [u8]> {
    files.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
}

impl RunData {
    /// Reads the result files of a `run` from memory.
    pub fn from_files(dir: &Path, files: Files) -> Result<RunData, PlotError> {
        let need = |name: &str| {
            find(files, name).ok_or_else(|| PlotError::NoResults {
                dir: dir.to_path_buf(),
                file: name.to_string(),
            })
        };
        let file = |name: &str| dir.join(name).display().to_string();
        let runs = Table::parse(&file("runs.csv"), need("runs.csv")?, &["policy"], &RUN_COLS)?;
        let channel_cols: Vec<&str> = crate::experiment::channels::CHANNELS.iter().map(|c| c.column).collect();
        let channels = match Table::parse(&file("runs.csv"), need("runs.csv")?, &["policy"], &channel_cols) {
            Ok(t) => Some(t),
            Err(PlotError::MissingColumn { .. }) => None,
            Err(e) => return Err(e),
        };
        let weekly = Table::parse(&file("weekly.csv"), need("weekly.csv")?, &["policy"], &WEEK_COLS)?;
        let enterprises = match find(files, "enterprises.csv") {
            Some(b) => Some(Table::parse(&file("enterprises.csv"), b, &["policy"], &ENT_COLS)?),
            None => None,
        };
        let mut policies: Vec<String> = Vec::new();
        for p in runs.t("policy") {
            if !policies.contains(p) {
                policies.push(p.clone());
            }
        }
        // One policy has no verdicts (verdicts.csv holds its header only).
        let verdicts = if policies.len() < 2 {
            None
        } else {
            Some(Table::parse(
                &file("verdicts.csv"),
                need("verdicts.csv")?,
                &["policy", "versus"],
                &["p_beats_roi"],
            )?)
        };
        let replicates = runs.rows / policies.len();
        // The manifest names the scenario; without one, the directory does.
        let manifest = find(files, "manifest.json").and_then(|b| Manifest::from_slice(b).ok());
        let run = match &manifest {
            Some(Manifest { job: Job::Run(r), .. }) => Some(r),
            _ => None,
        };
        let scenario = run
            .and_then(|r| r.scenario_name().map(str::to_string))
            .unwrap_or_else(|| {
                dir.file_name()
                    .map_or("results".to_string(), |n| n.to_string_lossy().into_owned())
            });
        let seed = run.map_or(String::new(), |r| r.seed.to_string());
        let term_weeks = run.and_then(|r| r.term_weeks()).unwrap_or(52) as usize;
        Ok(RunData {
            scenario,
            seed,
            policies,
            replicates,
            points: 1,
            term_weeks,
            runs,
            channels,
            weekly,
            enterprises,
            verdicts,
            labels: manifest.as_ref().map(Manifest::labels).unwrap_or_default(),
        })
    }

    /// Net value (value - spend) of each run of `policy`, in file order
    /// (replicate order for a run).
    pub fn net_of(&self, policy: &str) -> Vec<f64> {
        self.runs_of(policy, "value_usd")
            .iter()
            .zip(self.runs_of(policy, "spend_usd"))
            .map(|(v, s)| v - s)
            .collect()
    }

    /// A policy's display name.
    pub fn name(&self, policy: &str) -> String {
        self.labels.policy(policy)
    }

    /// P(ROI of `policy` > ROI of `versus`) as `verdicts.csv` gives it.
    pub fn p_beats_roi(&self, policy: &str, versus: &str) -> Option<f64> {
        let v = self.verdicts.as_ref()?;
        let (p, q) = (v.t("policy"), v.t("versus"));
        (0..v.rows)
            .find(|&i| p[i] == policy && q[i] == versus)
            .map(|i| v.n("p_beats_roi")[i])
    }

    /// Reads the result files of a `run` from a directory.
    pub fn from_dir(dir: &Path) -> Result<RunData, PlotError> {
        let mut files = Vec::new();
        for name in [
            "runs.csv",
            "weekly.csv",
            "enterprises.csv",
            "verdicts.csv",
            "manifest.json",
        ] {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(b) => files.push((name.to_string(), b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(PlotError::Read { path, source }),
            }
        }
        RunData::from_files(dir, &files)
    }

    /// Values of a runs.csv column for one policy, in replicate order.
    /// A channel column (see [`RunData::channels`]) for one policy, in file
    /// order; empty without channel columns.
    pub fn channel_of(&self, policy: &str, col: &str) -> Vec<f64> {
        let Some(t) = &self.channels else {
            return Vec::new();
        };
        t.n(col)
            .iter()
            .zip(t.t("policy"))
            .filter(|(_, q)| *q == policy)
            .map(|(v, _)| *v)
            .collect()
    }

    pub fn runs_of(&self, policy: &str, col: &str) -> Vec<f64> {
        let p = self.runs.t("policy");
        self.runs
            .n(col)
            .iter()
            .zip(p)
            .filter(|(_, q)| *q == policy)
            .map(|(v, _)| *v)
            .collect()
    }

    /// A weekly column for one policy as `[replicate][week]`.
    pub fn weekly_of(&self, policy: &str, col: &str) -> Vec<Vec<f64>> {
        let p = self.weekly.t("policy");
        let weeks = self.weekly.n("week");
        let vals = self.weekly.n(col);
        let mut out: Vec<Vec<f64>> = Vec::new();
        for i in 0..self.weekly.rows {
            if p[i] != policy {
                continue;
            }
            if weeks[i] == 0.0 {
                out.push(Vec::new());
            }
            if let Some(last) = out.last_mut() {
                last.push(vals[i]);
            }
        }
        out
    }

    pub fn n_runs(&self) -> usize {
        self.runs.rows
    }
}

/// Everything a sweep's charts need.
#[derive(Debug, Clone)]
pub struct SweepData {
    /// The runs, as for a `run` (weekly data is empty).
    pub runs: RunData,
    /// Swept parameter names, in points.csv order.
    pub parameters: Vec<String>,
    /// Parameter values per point; a categorical parameter's value is the
    /// index of its category.
    pub point_values: Vec<Vec<f64>>,
    /// The categories of each parameter whose values are not all numbers
    /// (in order of first appearance); empty for a numeric parameter.
    pub categories: Vec<Vec<String>>,
    /// The point of each run row.
    pub run_point: Vec<usize>,
}

/// The category an axis position stands for: `i` when `v` is the whole
/// number i in 0..n (within rounding), none between categories.
pub(crate) fn category_at(v: f64, n: usize) -> Option<usize> {
    let i = v.round();
    ((v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n).then_some(i as usize)
}

impl SweepData {
    /// The label of value `v` of parameter `param`: its category's name for
    /// a categorical parameter (blank between categories), otherwise
    /// `numeric(v)`.
    pub fn label(&self, param: usize, v: f64, numeric: impl Fn(f64) -> String) -> String {
        let cats = &self.categories[param];
        if cats.is_empty() {
            return numeric(v);
        }
        category_at(v, cats.len()).map_or(String::new(), |i| cats[i].clone())
    }

    /// Reads a finished sweep's result files.
    /// Mean net value (value - spend) over the replicates of each (point,
    /// arm), arms in `runs.policies` order.
    pub fn net_by_point(&self) -> Vec<Vec<f64>> {
        let arms = &self.runs.policies;
        let mut sum = vec![vec![(0.0, 0usize); arms.len()]; self.point_values.len()];
        let pol = self.runs.runs.t("policy");
        let (s, v) = (self.runs.runs.n("spend_usd"), self.runs.runs.n("value_usd"));
        for i in 0..self.runs.runs.rows {
            if let Some(a) = arms.iter().position(|p| *p == pol[i]) {
                let c = &mut sum[self.run_point[i]][a];
                c.0 += v[i] - s[i];
                c.1 += 1;
            }
        }
        sum.into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|(x, n)| if n > 0 { x / n as f64 } else { f64::NAN })
                    .collect()
            })
            .collect()
    }

    /// The headline outcomes per point that parameters are ranked on: each
    /// policy's mean net value minus the reference's (the first policy), or
    /// the net value itself when there is one policy.
    pub fn headline_outcomes(&self) -> Vec<Vec<f64>> {
        let nets = self.net_by_point();
        let arms = self.runs.policies.len();
        if arms < 2 {
            return vec![
                nets.iter()
                    .map(|row| row.first().copied().unwrap_or(f64::NAN))
                    .collect(),
            ];
        }
        (1..arms)
            .map(|a| nets.iter().map(|row| row[a] - row[0]).collect())
            .collect()
    }

    /// What [`SweepData::ranked_parameters`] ranks by, in words.
    pub fn ranking_measure(&self) -> String {
        match self.runs.policies.as_slice() {
            [only] => format!("|Spearman rank correlation| with {}'s net value", self.runs.name(only)),
            [reference, ..] => format!(
                "largest |Spearman rank correlation| with any policy's net value against {}",
                self.runs.name(reference)
            ),
            [] => "|Spearman rank correlation| with net value".into(),
        }
    }

    /// The swept parameters, those that move the headline outcome most
    /// first ([`crate::experiment::feature_scoring`]).
    pub fn ranked_parameters(&self) -> Vec<crate::experiment::feature_scoring::Score> {
        crate::experiment::feature_scoring::rank_parameters(&self.point_values, &self.headline_outcomes())
    }

    /// The chart name of swept parameter `i`: `by_parameter_` and its key
    /// as a slug.
    pub fn chart_name(&self, i: usize) -> String {
        format!("by_parameter_{}", super::svg::slug(&self.parameters[i]))
    }

    /// The display name (with unit) of swept parameter `i`.
    pub fn parameter_name(&self, i: usize) -> String {
        self.runs.labels.parameter(&self.parameters[i])
    }

    pub fn from_dir(dir: &Path) -> Result<SweepData, PlotError> {
        SweepData::from_dir_with(dir, "runs.csv")
    }

    /// Reads a sweep's result files, taking its runs from `runs_file`.
    pub fn from_dir_with(dir: &Path, runs_file: &str) -> Result<SweepData, PlotError> {
        let read = |name: &str| -> Result<Vec<u8>, PlotError> {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| {
                if source.kind() == std::io::ErrorKind::NotFound {
                    PlotError::NoResults {
                        dir: dir.to_path_buf(),
                        file: name.to_string(),
                    }
                } else {
                    PlotError::Read { path, source }
                }
            })
        };
        let file = |name: &str| dir.join(name).display().to_string();
        let points_bytes = read("points.csv")?;
        let header: Vec<String> = csv::Reader::from_reader(points_bytes.as_slice())
            .headers()
            .map_err(|e| PlotError::Csv {
                file: file("points.csv"),
                message: e.to_string(),
            })?
            .iter()
            .map(str::to_string)
            .collect();
        if header.first().map(String::as_str) != Some("point") {
            return Err(PlotError::MissingColumn {
                file: file("points.csv"),
                column: "point".into(),
            });
        }
        let parameters: Vec<String> = header[1..].to_vec();
        let text_cols: Vec<&str> = parameters.iter().map(String::as_str).collect();
        let pts = Table::parse(&file("points.csv"), points_bytes.as_slice(), &text_cols, &[])?;
        // A parameter with any value that is not a number (a policy name, a
        // lab) is categorical: its values become category indices.
        let categories: Vec<Vec<String>> = parameters
            .iter()
            .map(|p| {
                let texts = pts.t(p);
                if texts.iter().all(|t| t.parse::<f64>().is_ok()) {
                    return Vec::new();
                }
                let mut seen: Vec<String> = Vec::new();
                for t in texts {
                    if !seen.contains(t) {
                        seen.push(t.clone());
                    }
                }
                seen
            })
            .collect();
        let point_values: Vec<Vec<f64>> = (0..pts.rows)
            .map(|i| {
                parameters
                    .iter()
                    .zip(&categories)
                    .map(|(p, cats)| {
                        let t = &pts.t(p)[i];
                        match cats.iter().position(|c| c == t) {
                            Some(k) => k as f64,
                            None => t.parse().unwrap_or(f64::NAN),
                        }
                    })
                    .collect()
            })
            .collect();
        // A sweep's runs.csv holds a run's columns plus the point.
        let cols: Vec<&str> = std::iter::once("point").chain(RUN_COLS).collect();
        let runs_path = dir.join(runs_file);
        let runs_reader = std::fs::File::open(&runs_path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                PlotError::NoResults {
                    dir: dir.to_path_buf(),
                    file: runs_file.to_string(),
                }
            } else {
                PlotError::Read {
                    path: runs_path.clone(),
                    source,
                }
            }
        })?;
        let runs = Table::parse(
            &file(runs_file),
            std::io::BufReader::new(runs_reader),
            &["policy"],
            &cols,
        )?;
        let run_point: Vec<usize> = runs.n("point").iter().map(|&p| p as usize).collect();
        if let Some(bad) = run_point.iter().find(|&&p| p >= point_values.len()) {
            return Err(PlotError::Csv {
                file: file("runs.csv"),
                message: format!("point {bad} is not in points.csv"),
            });
        }
        let mut policies: Vec<String> = Vec::new();
        for p in runs.t("policy") {
            if !policies.contains(p) {
                policies.push(p.clone());
            }
        }
        let manifest = Manifest::read(dir).ok();
        let sweep = match &manifest {
            Some(Manifest { job: Job::Sweep(s), .. }) => Some(s),
            _ => None,
        };
        let scenario = sweep.map(|s| s.name.clone()).unwrap_or_else(|| {
            dir.file_name()
                .map_or("sweep".to_string(), |n| n.to_string_lossy().into_owned())
        });
        let seed = sweep.map_or(String::new(), |s| s.seed.to_string());
        let replicates = runs.rows / (policies.len() * point_values.len()).max(1);
        let weekly = Table {
            text: Default::default(),
            num: Default::default(),
            rows: 0,
        };
        Ok(SweepData {
            runs: RunData {
                scenario,
                seed,
                policies,
                replicates,
                points: point_values.len(),
                term_weeks: 52,
                runs,
                channels: None,
                weekly,
                enterprises: None,
                verdicts: None,
                labels: manifest.as_ref().map(Manifest::labels).unwrap_or_default(),
            },
            parameters,
            point_values,
            categories,
            run_point,
        })
    }
}

/// Reads `sensitivity.csv` back into rows.
pub fn read_sensitivity(path: &Path) -> Result<Vec<SensitivityRow>, PlotError> {
    let file = path.display().to_string();
    let bad = |m: String| PlotError::Csv {
        file: file.clone(),
        message: m,
    };
    let mut r = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let mut rows = Vec::new();
    let num = |s: &str| {
        if s.is_empty() {
            f64::NAN
        } else {
            s.parse().unwrap_or(f64::NAN)
        }
    };
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        if rec.len() < 8 {
            return Err(bad("a row with fewer than 8 columns".into()));
        }
        let method = Method::from_name(&rec[0]).ok_or_else(|| bad(format!("unknown method `{}`", &rec[0])))?;
        let index = Index::from_name(&rec[4]).ok_or_else(|| bad(format!("unknown index `{}`", &rec[4])))?;
        rows.push(SensitivityRow {
            method,
            metric: rec[1].to_string(),
            policy: rec[2].to_string(),
            parameter: rec[3].to_string(),
            index,
            value: num(&rec[5]),
            ci95_low: num(&rec[6]),
            ci95_high: num(&rec[7]),
        });
    }
    Ok(rows)
}

//! A sweep's or worlds run's results read back: its points, the runs of
//! each point, and the parameters ranked by how much they move the outcome.

use super::error::ReadError;
use super::run::{RUN_COLS, RunData};
use super::table::Table;
use crate::output::manifest::{Job, Manifest};
use std::path::Path;

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

    /// The display name (with unit) of swept parameter `i`.
    pub fn parameter_name(&self, i: usize) -> String {
        self.runs.labels.parameter(&self.parameters[i])
    }

    pub fn from_dir(dir: &Path) -> Result<SweepData, ReadError> {
        SweepData::from_dir_with(dir, "runs.csv")
    }

    /// Reads a sweep's result files, taking its runs from `runs_file`.
    pub fn from_dir_with(dir: &Path, runs_file: &str) -> Result<SweepData, ReadError> {
        let read = |name: &str| -> Result<Vec<u8>, ReadError> {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| {
                if source.kind() == std::io::ErrorKind::NotFound {
                    ReadError::NoResults {
                        dir: dir.to_path_buf(),
                        file: name.to_string(),
                    }
                } else {
                    ReadError::Read { path, source }
                }
            })
        };
        let file = |name: &str| dir.join(name).display().to_string();
        let points_bytes = read("points.csv")?;
        let header: Vec<String> = csv::Reader::from_reader(points_bytes.as_slice())
            .headers()
            .map_err(|e| ReadError::Csv {
                file: file("points.csv"),
                message: e.to_string(),
            })?
            .iter()
            .map(str::to_string)
            .collect();
        if header.first().map(String::as_str) != Some("point") {
            return Err(ReadError::MissingColumn {
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
                ReadError::NoResults {
                    dir: dir.to_path_buf(),
                    file: runs_file.to_string(),
                }
            } else {
                ReadError::Read {
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
            return Err(ReadError::Csv {
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

//! A worlds run's (or sweep's) points and per-point means, as discovery
//! reads them: the numeric parameters that vary across points, and each
//! point's mean of a metric for each policy.

use super::error::ReadError;
use std::collections::BTreeMap;
use std::path::Path;

/// The varied parameters of a results folder (numeric columns of
/// points.csv with more than one value), as columns.
pub fn read_points(results: &Path) -> Result<(Vec<String>, Vec<Vec<f64>>), ReadError> {
    let path = results.join("points.csv");
    if !path.exists() {
        return Err(ReadError::NoPoints {
            dir: results.to_path_buf(),
        });
    }
    let csv_err = csv_error(&path);
    let mut r = csv::Reader::from_reader(open(&path)?);
    let head: Vec<String> = r.headers().map_err(&csv_err)?.iter().map(str::to_string).collect();
    let mut cols: Vec<Vec<Option<f64>>> = vec![Vec::new(); head.len()];
    for rec in r.records() {
        let rec = rec.map_err(&csv_err)?;
        for (c, v) in cols.iter_mut().zip(rec.iter()) {
            c.push(v.parse::<f64>().ok().filter(|x| x.is_finite()));
        }
    }
    let mut keys = Vec::new();
    let mut x = Vec::new();
    for (name, col) in head.iter().zip(cols).skip(1) {
        let Some(vals) = col.into_iter().collect::<Option<Vec<f64>>>() else {
            continue; // text or boolean values: PRIM here works on numbers
        };
        if vals.iter().any(|v| *v != vals[0]) {
            keys.push(name.clone());
            x.push(vals);
        }
    }
    if keys.is_empty() {
        return Err(ReadError::NothingVaries {
            file: path.display().to_string(),
        });
    }
    Ok((keys, x))
}

/// Each point's mean of the metric for each policy.
pub fn read_means(results: &Path, metric: &str, points: usize) -> Result<BTreeMap<String, Vec<f64>>, ReadError> {
    let path = results.join("runs.csv");
    let csv_err = csv_error(&path);
    let mut r = csv::Reader::from_reader(open(&path)?);
    let head: Vec<String> = r.headers().map_err(&csv_err)?.iter().map(str::to_string).collect();
    let col = |n: &str| head.iter().position(|h| h == n);
    let (Some(point), Some(policy)) = (col("point"), col("policy")) else {
        return Err(ReadError::NotASweep {
            file: path.display().to_string(),
        });
    };
    let get: Box<dyn Fn(&csv::StringRecord) -> f64> = if metric == "net_value" || metric == "net_value_usd" {
        let (v, s) = (
            col("value_usd").expect("a runs.csv column"),
            col("spend_usd").expect("a runs.csv column"),
        );
        Box::new(move |rec| rec[v].parse::<f64>().unwrap_or(f64::NAN) - rec[s].parse::<f64>().unwrap_or(f64::NAN))
    } else {
        let Some(c) = col(metric) else {
            let hint = head[4..]
                .iter()
                .chain(std::iter::once(&"net_value".to_string()))
                .map(|n| (strsim::levenshtein(n, metric), n.clone()))
                .min()
                .filter(|(d, _)| *d <= 4)
                .map_or(String::new(), |(_, n)| format!("; did you mean `{n}`?"));
            return Err(ReadError::UnknownMetric {
                metric: metric.to_string(),
                hint,
            });
        };
        Box::new(move |rec| rec[c].parse::<f64>().unwrap_or(f64::NAN))
    };
    let mut sums: BTreeMap<String, (Vec<f64>, Vec<usize>)> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.map_err(&csv_err)?;
        let p: usize = rec[point]
            .parse()
            .ok()
            .filter(|&p| p < points)
            .ok_or_else(|| ReadError::UnknownPoint {
                file: path.display().to_string(),
                point: rec[point].to_string(),
            })?;
        let e = sums
            .entry(rec[policy].to_string())
            .or_insert_with(|| (vec![0.0; points], vec![0; points]));
        let v = get(&rec);
        if v.is_finite() {
            e.0[p] += v;
            e.1[p] += 1;
        }
    }
    Ok(sums
        .into_iter()
        .map(|(k, (s, n))| {
            (
                k,
                s.iter()
                    .zip(&n)
                    .map(|(s, &n)| if n == 0 { f64::NAN } else { s / n as f64 })
                    .collect(),
            )
        })
        .collect())
}

fn open(path: &Path) -> Result<std::fs::File, ReadError> {
    std::fs::File::open(path).map_err(|source| ReadError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> ReadError + '_ {
    move |e| ReadError::Csv {
        file: path.display().to_string(),
        message: e.to_string(),
    }
}

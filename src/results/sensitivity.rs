//! A sensitivity study's indices read back from sensitivity.csv.

use super::error::ReadError;
use crate::experiment::sensitivity::{Index, Method, SensitivityRow};
use std::path::Path;

/// Reads `sensitivity.csv` back into rows.
pub fn read_sensitivity(path: &Path) -> Result<Vec<SensitivityRow>, ReadError> {
    let file = path.display().to_string();
    let bad = |m: String| ReadError::Csv {
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

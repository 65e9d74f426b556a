//! Result files: CSV tables, the run manifest, and atomic writing.
//!
//! Exporters are pure functions from results to bytes, so they are easy to
//! test; [`write_atomically`] is the only function here that touches the
//! disk. A failed write leaves no partial file behind: every file is written
//! under a temporary name and renamed into place only once all are written.

use crate::engine::metrics::{EnterpriseMetrics, RunMetrics, WeekMetrics};
use crate::experiment::plan::{ParamValue, SweepPlan};
use crate::experiment::sensitivity::SensitivityRow;
use crate::experiment::sweep::SweepRun;
use crate::experiment::{Run, SummaryRow, Verdict};
use crate::model::Config;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create output directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Formats a number for CSV: the shortest text that reads back to the same
/// f64, negative zero as 0, and NaN (a value that does not exist) as empty.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else if x == 0.0 {
        "0".to_string()
    } else {
        format!("{x}")
    }
}

fn csv_bytes(header: Vec<String>, rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("writing to memory");
    for row in rows {
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("flushing to memory")
}

fn header(keys: &[&str], names: &[&str]) -> Vec<String> {
    keys.iter().chain(names).map(|s| s.to_string()).collect()
}

fn arm_name(cfg: &Config, arm: usize) -> &str {
    &cfg.policies[cfg.arms[arm]].name
}

/// `runs.csv`: one row per (policy, replicate).
pub fn runs_csv(cfg: &Config, runs: &[Run]) -> Vec<u8> {
    csv_bytes(
        header(&["policy", "replicate", "seed"], RunMetrics::NAMES),
        runs.iter().map(|r| {
            let mut row = vec![
                arm_name(cfg, r.arm).to_string(),
                r.replicate.to_string(),
                r.seed.to_string(),
            ];
            row.extend(r.result.metrics.values().into_iter().map(num));
            row
        }),
    )
}

/// `weekly.csv`: one row per (policy, replicate, week).
pub fn weekly_csv(cfg: &Config, runs: &[Run]) -> Vec<u8> {
    csv_bytes(
        header(&["policy", "replicate", "week"], WeekMetrics::NAMES),
        runs.iter().flat_map(|r| {
            r.result.weekly.iter().enumerate().map(move |(w, m)| {
                let mut row = vec![arm_name(cfg, r.arm).to_string(), r.replicate.to_string(), w.to_string()];
                row.extend(m.values().into_iter().map(num));
                row
            })
        }),
    )
}

/// `enterprises.csv`: one row per (policy, replicate, enterprise).
pub fn enterprises_csv(cfg: &Config, runs: &[Run]) -> Vec<u8> {
    csv_bytes(
        header(
            &[
                "policy",
                "replicate",
                "enterprise",
                "lab",
                "policy_initial",
                "policy_final",
            ],
            EnterpriseMetrics::NAMES,
        ),
        runs.iter().flat_map(|r| {
            r.result.enterprises.iter().map(move |e| {
                let mut row = vec![
                    arm_name(cfg, r.arm).to_string(),
                    r.replicate.to_string(),
                    e.name.clone(),
                    e.lab.clone(),
                    e.policy_initial.clone(),
                    e.policy_final.clone(),
                ];
                row.extend(e.metrics.values().into_iter().map(num));
                row
            })
        }),
    )
}

/// Columns of a summary row after its keys.
const SUMMARY_COLS: [&str; 9] = [
    "metric",
    "n",
    "mean",
    "sd",
    "ci95_low",
    "ci95_high",
    "diff_mean",
    "diff_ci95_low",
    "diff_ci95_high",
];

/// The cells of one summary row, after the policy: metric, n, the estimate
/// and the paired difference against the first arm.
fn summary_cells(r: &SummaryRow) -> Vec<String> {
    let (e, d) = (&r.estimate, &r.diff);
    vec![
        r.metric.clone(),
        e.n.to_string(),
        num(e.mean),
        num(e.sd),
        num(e.ci95_low),
        num(e.ci95_high),
        num(d.mean),
        num(d.ci95_low),
        num(d.ci95_high),
    ]
}

fn summary_header(keys: &[&str]) -> Vec<String> {
    header(keys, &SUMMARY_COLS)
}

/// `summary.csv`: one row per (policy, metric).
pub fn summary_csv(cfg: &Config, rows: &[SummaryRow]) -> Vec<u8> {
    csv_bytes(
        summary_header(&["policy"]),
        rows.iter().map(|r| {
            let mut row = vec![arm_name(cfg, r.arm).to_string()];
            row.extend(summary_cells(r));
            row
        }),
    )
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256 of a file, read in blocks (memory does not grow with the file).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The crates whose versions decide random draws, as recorded at build time.
pub fn rng_crates() -> serde_json::Value {
    env!("TOKENMAXX_RNG_CRATES")
        .split(',')
        .filter_map(|s| s.split_once('='))
        .map(|(n, v)| (n.to_string(), serde_json::Value::String(v.to_string())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// A manifest's JSON: the given fields plus what every manifest records
/// (tool, version, command, build target, versions of the RNG crates).
pub fn manifest_bytes(command: &str, fields: serde_json::Value) -> Vec<u8> {
    let mut m = match fields {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    m.insert("tool".into(), "tokenmaxx".into());
    m.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    m.insert("command".into(), command.into());
    m.insert("target".into(), target().into());
    m.insert("rng_crates".into(), rng_crates());
    let mut bytes = serde_json::to_vec_pretty(&serde_json::Value::Object(m)).expect("JSON serialises");
    bytes.push(b'\n');
    bytes
}

/// The build target triple.
pub fn target() -> &'static str {
    env!("TOKENMAXX_TARGET")
}

/// Writes every file into `dir`, all or nothing: each goes to a temporary
/// name first, and only when all are written are they renamed into place.
pub fn write_atomically(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), OutputError> {
    fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let pid = std::process::id();
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |written: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in written {
            let _ = fs::remove_file(tmp);
        }
    };
    for (name, bytes) in files {
        let target = dir.join(name);
        if let Some(parent) = target.parent()
            && let Err(source) = fs::create_dir_all(parent)
        {
            cleanup(&written);
            return Err(OutputError::CreateDir {
                path: parent.to_path_buf(),
                source,
            });
        }
        let file_name = target.file_name().expect("a file name").to_string_lossy().into_owned();
        let tmp = target.with_file_name(format!(".{file_name}.tmp-{pid}"));
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()
        })();
        if let Err(source) = result {
            let _ = fs::remove_file(&tmp);
            cleanup(&written);
            return Err(OutputError::Write { path: target, source });
        }
        written.push((tmp, target));
    }
    for (tmp, target) in &written {
        if let Err(source) = fs::rename(tmp, target) {
            cleanup(&written);
            return Err(OutputError::Write {
                path: target.clone(),
                source,
            });
        }
    }
    Ok(())
}

/// A short plain-text table of the headline metrics per arm, for stdout.
pub fn summary_table(cfg: &Config, rows: &[SummaryRow]) -> String {
    use std::fmt::Write as _;
    let find = |arm: usize, metric: &str| {
        rows.iter()
            .find(|r| r.arm == arm && r.metric == metric)
            .map(|r| r.estimate)
    };
    let musd = |x: f64| format!("{:.2}", x / 1e6);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<20} {:>10} {:>10} {:>19} {:>7} {:>12} {:>21}",
        "policy", "spend $M", "value $M", "ROI (95% CI)", "waste", "Mtok/emp/mo", "incremental ROI"
    );
    for arm in 0..cfg.arms.len() {
        let (Some(spend), Some(value), Some(roi), Some(waste), Some(tok), Some(inc)) = (
            find(arm, "spend_usd"),
            find(arm, "value_usd"),
            find(arm, "roi"),
            find(arm, "waste_share"),
            find(arm, "tokens_per_employee_month"),
            find(arm, crate::experiment::INCREMENTAL_ROI),
        ) else {
            continue;
        };
        let ci = |e: crate::stats::Estimate| {
            if e.ci95_low.is_nan() {
                format!("{:.2}", e.mean)
            } else {
                format!("{:.2} [{:.2}, {:.2}]", e.mean, e.ci95_low, e.ci95_high)
            }
        };
        let inc_text = if arm == 0 { "(reference)".to_string() } else { ci(inc) };
        let _ = writeln!(
            s,
            "{:<20} {:>10} {:>10} {:>19} {:>6.0}% {:>12.1} {:>21}",
            arm_name(cfg, arm),
            musd(spend.mean),
            musd(value.mean),
            ci(roi),
            waste.mean * 100.0,
            tok.mean / 1e6,
            inc_text
        );
    }
    s
}

/// CSV bytes of records without a header line.
fn csv_rows(rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for row in rows {
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("flushing to memory")
}

/// `points.csv` of a sweep: the point index and one column per parameter.
pub fn sweep_points_csv(spec: &SweepPlan, values: &[Vec<ParamValue>]) -> Vec<u8> {
    let mut head = vec!["point".to_string()];
    head.extend(spec.parameters.iter().map(|p| p.key.clone()));
    csv_bytes(
        head,
        values.iter().enumerate().map(|(i, v)| {
            let mut row = vec![i.to_string()];
            row.extend(v.iter().map(ParamValue::to_string));
            row
        }),
    )
}

/// The header line of a sweep's `runs.csv`.
pub fn sweep_runs_header() -> Vec<u8> {
    csv_rows(std::iter::once(header(
        &["point", "policy", "replicate", "seed"],
        RunMetrics::NAMES,
    )))
}

/// Rows of a sweep's `runs.csv`.
pub fn sweep_runs_rows(spec: &SweepPlan, runs: &[SweepRun]) -> Vec<u8> {
    csv_rows(runs.iter().map(|r| {
        let mut row = vec![
            r.point.to_string(),
            spec.arms[r.arm].clone(),
            r.replicate.to_string(),
            r.seed.to_string(),
        ];
        row.extend(r.metrics.values().into_iter().map(num));
        row
    }))
}

/// The header line of a sweep's `telemetry.csv`.
pub fn sweep_telemetry_header() -> Vec<u8> {
    csv_rows(std::iter::once(
        ["point", "policy", "replicate", "seed", "wall_time_s", "task_decisions"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ))
}

/// Rows of a sweep's `telemetry.csv`: timings, kept out of the deterministic files.
pub fn sweep_telemetry_rows(spec: &SweepPlan, runs: &[SweepRun]) -> Vec<u8> {
    csv_rows(runs.iter().map(|r| {
        vec![
            r.point.to_string(),
            spec.arms[r.arm].clone(),
            r.replicate.to_string(),
            r.seed.to_string(),
            format!("{:.6}", r.wall_seconds),
            r.decisions.to_string(),
        ]
    }))
}

/// The header line of a sweep's `summary.csv`.
pub fn sweep_summary_header() -> Vec<u8> {
    csv_rows(std::iter::once(summary_header(&["point", "policy"])))
}

/// Rows of a sweep's `summary.csv` for one point.
pub fn sweep_summary_rows(spec: &SweepPlan, point: usize, rows: &[SummaryRow]) -> Vec<u8> {
    csv_rows(rows.iter().map(|r| {
        let mut row = vec![point.to_string(), spec.arms[r.arm].clone()];
        row.extend(summary_cells(r));
        row
    }))
}

/// Header of `verdicts.csv`; sweeps add a leading `point` column.
pub fn verdicts_header(with_point: bool) -> Vec<u8> {
    let mut cols: Vec<String> = if with_point { vec!["point".into()] } else { Vec::new() };
    cols.extend(
        ["policy", "versus", "p_beats_roi", "net_value_usd", "regret_usd"]
            .iter()
            .map(|s| s.to_string()),
    );
    csv_rows(std::iter::once(cols))
}

/// Rows of `verdicts.csv`: for each ordered pair of arms, the probability
/// that the first's ROI beats the second's over paired replicates, and the
/// first's net value and regret against the best arm.
pub fn verdicts_rows(arms: &[String], point: Option<usize>, rows: &[Verdict]) -> Vec<u8> {
    csv_rows(rows.iter().map(|v| {
        let mut row: Vec<String> = point.map(|p| vec![p.to_string()]).unwrap_or_default();
        row.extend([
            arms[v.arm].clone(),
            arms[v.versus].clone(),
            num(v.p_beats_roi),
            num(v.net_value),
            num(v.regret),
        ]);
        row
    }))
}

/// `sensitivity.csv`.
pub fn sensitivity_csv(rows: &[SensitivityRow]) -> Vec<u8> {
    let head = [
        "method",
        "metric",
        "policy",
        "parameter",
        "index",
        "value",
        "ci95_low",
        "ci95_high",
    ];
    csv_bytes(
        head.iter().map(|s| s.to_string()).collect(),
        rows.iter().map(|r| {
            vec![
                r.method.name().to_string(),
                r.metric.clone(),
                r.policy.clone(),
                r.parameter.clone(),
                r.index.name().to_string(),
                num(r.value),
                num(r.ci95_low),
                num(r.ci95_high),
            ]
        }),
    )
}

/// A plain-text verdict summary for stdout: who beats whom on ROI, and the
/// regret of each arm.
pub fn verdict_table(arms: &[String], rows: &[Verdict]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "P(row's ROI beats column's), paired by replicate; regret = net value lost against the best policy\n",
    );
    let _ = write!(s, "{:<20}", "");
    for a in arms {
        let _ = write!(s, " {:>10.10}", a);
    }
    let _ = writeln!(s, " {:>12}", "regret $M");
    for (i, a) in arms.iter().enumerate() {
        let _ = write!(s, "{:<20}", a);
        for j in 0..arms.len() {
            match rows.iter().find(|v| v.arm == i && v.versus == j) {
                Some(v) => {
                    let _ = write!(s, " {:>10.2}", v.p_beats_roi);
                }
                None => {
                    let _ = write!(s, " {:>10}", "-");
                }
            }
        }
        let regret = rows.iter().find(|v| v.arm == i).map_or(0.0, |v| v.regret);
        let _ = writeln!(s, " {:>12.2}", regret / 1e6);
    }
    s
}

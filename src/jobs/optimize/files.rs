//! A search's files in its results folder: the warm start read from
//! another search's front.csv, the saved state (read, checked against the
//! study, saved), and the shards' files (listed, written, gathered,
//! removed). The bytes are `optimize::state`'s codecs; this file only
//! reads and writes them.

use crate::jobs::error::JobError;
use crate::optimize::state::{self, ShardFile, State, StateError};
use crate::optimize::study::Study;
use crate::output::folder::OPTIMIZE_STATE;
use crate::output::{self, write_atomically};
use std::path::Path;

/// The lever columns of a front.csv, as genes (a warm start).
pub(super) fn read_warm_start(study: &Study, path: &Path) -> Result<(Vec<Vec<f64>>, String), JobError> {
    // Read as a reader of its results folder: refused while a search
    // writes there, so a front is never read half replaced.
    let folder = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let _lock = crate::output::folder::ReadLock::acquire(folder)?;
    let bytes = output::read_capped(path, 64 << 20).map_err(|source| JobError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let damaged = |m: String| JobError::Damaged {
        path: path.to_path_buf(),
        message: m,
    };
    let keys: Vec<&str> = study.levers.iter().map(|l| l.key.as_str()).collect();
    let table =
        crate::results::Table::parse(&path.display().to_string(), &bytes[..], &[], &keys).map_err(|e| match e {
            crate::results::ReadError::MissingColumn { column, .. } => damaged(format!(
                "--warm-start: no column `{column}` (a lever of {})",
                study.path.display()
            )),
            e => JobError::Results(e),
        })?;
    let mut genes = Vec::new();
    for i in 0..table.rows {
        let g: Vec<f64> = study
            .levers
            .iter()
            .map(|l| {
                let x = table.n(&l.key)[i];
                l.encode(x).ok_or_else(|| match x.is_nan() {
                    true => damaged(format!("row {}: {} is empty", i + 2, l.key)),
                    false => damaged(format!("row {}: {} = {x} is outside the lever's range", i + 2, l.key)),
                })
            })
            .collect::<Result<_, _>>()?;
        genes.push(g);
    }
    Ok((genes, String::from_utf8_lossy(&bytes).into_owned()))
}

/// The saved search in `out`, which must be for study `id`; `shard` says
/// the reader is a shard (whose flags must be the gather's).
pub(super) fn read_state(out: &Path, id: &str, shard: bool) -> Result<State, JobError> {
    let path = out.join(OPTIMIZE_STATE);
    let bytes = output::read_own_file(&path, 1 << 30).map_err(|source| JobError::Read {
        path: path.clone(),
        source,
    })?;
    state::decode_state(&bytes, id).map_err(|e| match e {
        StateError::Foreign if shard => JobError::Resume(format!(
            "{}: the search in progress there is of another optimization file, base scenario, amendments or warm start: run each shard with the same file and flags as its gather",
            path.display()
        )),
        StateError::Foreign => JobError::Resume(format!(
            "{}: it was written for another optimization file, base scenario, amendments or warm start: run without --resume (and with --force) to start over",
            path.display()
        )),
        e => JobError::Damaged {
            path: path.clone(),
            message: e.to_string(),
        },
    })
}

pub(super) fn save_state(out: &Path, state: &State) -> Result<(), JobError> {
    write_atomically(out, &[(OPTIMIZE_STATE.to_string(), state::encode_state(state))])?;
    Ok(())
}

/// A shard's file in the results folder is `.optimize-shard-G-FROM-TO`:
/// candidate-worlds FROM..TO of generation G.
use crate::output::folder::OPTIMIZE_SHARD_PREFIX as SHARD_PREFIX;

/// The shard files in `out`: (generation, from, to, name).
fn shard_files(out: &Path) -> Vec<(usize, usize, usize, String)> {
    let mut found = Vec::new();
    for name in crate::output::safe::list(out, "") {
        let Some(rest) = name.strip_prefix(SHARD_PREFIX) else {
            continue;
        };
        if let [g, a, b] = rest.split('-').collect::<Vec<_>>()[..]
            && let (Ok(g), Ok(a), Ok(b)) = (g.parse(), a.parse(), b.parse())
        {
            found.push((g, a, b, name));
        }
    }
    found.sort();
    found
}

/// Writes a shard's values, with the SHA-256 of what it wrote so that an
/// edited or cut shard is refused at gather.
pub(super) fn write_shard(out: &Path, shard: &ShardFile) -> Result<(), JobError> {
    let name = format!("{SHARD_PREFIX}{}-{}-{}", shard.generation, shard.from, shard.to);
    write_atomically(out, &[(name, state::encode_shard(shard))])?;
    Ok(())
}

/// The units of generation `generation` that shard files in `out` hold
/// (`None` where none does). A shard of another study, an edited shard or
/// one whose shape does not fit is refused, never mixed in.
pub(super) fn gather_units(
    out: &Path,
    id: &str,
    generation: usize,
    total: usize,
    metrics: usize,
) -> Result<Vec<Option<Vec<f64>>>, JobError> {
    let mut units: Vec<Option<Vec<f64>>> = vec![None; total];
    for (g, from, to, name) in shard_files(out) {
        if g != generation {
            continue;
        }
        let path = out.join(&name);
        let bytes = output::read_own_file(&path, 1 << 30).map_err(|source| JobError::Read {
            path: path.clone(),
            source,
        })?;
        let shard = state::decode_shard(&bytes, id, (g, from, to), total, metrics).map_err(|e| JobError::Damaged {
            path: path.clone(),
            message: format!("{e}; remove it and run that shard again"),
        })?;
        for (slot, v) in units[from..to].iter_mut().zip(shard.values()) {
            *slot = Some(v);
        }
    }
    Ok(units)
}

/// Removes the shard files of generations before `next`, or all of them.
pub(super) fn remove_shards(out: &Path, next: Option<usize>) -> Result<(), JobError> {
    for (g, _, _, name) in shard_files(out) {
        if next.is_none_or(|n| g < n) {
            crate::output::atomic::remove(out, &name)?;
        }
    }
    Ok(())
}

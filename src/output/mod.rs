//! Result files: CSV tables ([`csv`]), the manifest ([`manifest`]), the
//! printed tables ([`table`]), the data dictionary of every CSV column
//! ([`columns`]), atomic writing ([`atomic`]), and the results
//! folder as one unit: its lock and what it holds ([`folder`]).
//!
//! Exporters are pure functions from results to bytes, so they are easy to
//! test; [`atomic::write_atomically`] is the only function that writes
//! result files. A failed write leaves no partial file behind: every file is
//! written under a temporary name and renamed into place only once all are
//! written.

pub mod atomic;
pub mod calibration;
pub mod columns;
pub mod compare;
pub mod csv;
pub mod folder;
pub mod manifest;
pub mod optimize;
pub mod safe;
pub mod table;

pub use atomic::write_atomically;
pub use csv::*;
pub use manifest::{Manifest, rng_crates, target};
pub use table::{summary_table, verdict_table};

use sha2::{Digest, Sha256};
use std::fs;
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
    /// A path inside a results folder that tokenmaxx will not write, remove
    /// or read through: a symbolic link, a path with `..`, or a file that
    /// is not a regular file.
    #[error(
        "{path} {message}: tokenmaxx never writes, removes or reads through links or special files inside a results folder; remove or replace it"
    )]
    Unsafe { path: PathBuf, message: String },
    /// Another process is writing into the folder.
    #[error(
        "{dir} is being written by another tokenmaxx process ({holder}): wait for it to finish, or choose another --out"
    )]
    Busy { dir: PathBuf, holder: String },
}

pub use crate::digest::sha256_hex;

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

/// Reads a results folder's own file (a saved state, a shard's work) of at
/// most `max` bytes, never through a link: a link or a folder in its place
/// is an error saying so, as is a larger file (so a link to /dev/zero or to
/// another study's file is never read).
pub fn read_own_file(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    if fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not a regular file (a link or a folder): remove it",
        ));
    }
    read_capped(path, max)
}

/// Reads a file of at most `max` bytes; a larger one is an error saying so
/// (memory never grows with what a file claims to hold).
pub fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    fs::File::open(path)?.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB, the most tokenmaxx reads from one file",
            max >> 20
        )));
    }
    Ok(bytes)
}

//! Writing result files: the one function that writes them, all or nothing.

use super::{OutputError, safe};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes every file into `dir`, all or nothing: each goes to a temporary
/// name first, and only when all are written are they renamed into place,
/// in the order given (so a commit record given last, such as the
/// manifest, appears last). A kill between two renames leaves some files
/// renamed; jobs therefore write their commit record last, and readers
/// verify it.
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
        let target = match safe::inside(dir, name) {
            Ok(t) => t,
            Err(e) => {
                cleanup(&written);
                return Err(e);
            }
        };
        let (sub, file_name) = match name.rsplit_once('/') {
            Some((s, f)) => (s, f),
            None => ("", name.as_str()),
        };
        if !sub.is_empty()
            && let Err(e) = safe::create_dir_all(dir, sub)
        {
            cleanup(&written);
            return Err(e);
        }
        safe::remove_stale_temporaries(dir, name);
        let tmp_rel = if sub.is_empty() {
            format!(".{file_name}.tmp-{pid}")
        } else {
            format!("{sub}/.{file_name}.tmp-{pid}")
        };
        // A temporary of this process's own PID is a leftover of a process
        // that had the same PID before: not ours to keep.
        let _ = safe::remove_file(dir, &tmp_rel);
        let tmp = dir.join(&tmp_rel);
        let result = (|| {
            let mut f = safe::create_new(dir, &tmp_rel).map_err(std::io::Error::other)?;
            f.write_all(bytes)?;
            super::folder::crash_point(&format!("write {name}"));
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
        super::folder::crash_point(&format!("rename {}", target.display()));
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

/// A result file too large to hold in memory, written in pieces under a
/// temporary name (with its SHA-256 computed on the way) and renamed into
/// place by [`rename_into_place`] once complete.
pub struct PendingFile {
    name: String,
    tmp: PathBuf,
    target: PathBuf,
    out: std::io::BufWriter<fs::File>,
    hasher: sha2::Sha256,
}

/// A [`PendingFile`] written in full and synced, waiting for its rename.
#[derive(Debug)]
pub struct FinishedFile {
    pub name: String,
    pub sha256: String,
    tmp: PathBuf,
    target: PathBuf,
}

impl PendingFile {
    /// Starts `dir/name` under a temporary name.
    pub fn begin(dir: &Path, name: &str) -> Result<PendingFile, OutputError> {
        let target = safe::inside(dir, name)?;
        safe::remove_stale_temporaries(dir, name);
        let tmp_rel = format!(".{name}.tmp-{}", std::process::id());
        safe::remove_file(dir, &tmp_rel)?;
        let tmp = dir.join(&tmp_rel);
        let file = safe::create_new(dir, &tmp_rel)?;
        Ok(PendingFile {
            name: name.to_string(),
            tmp,
            target,
            out: std::io::BufWriter::new(file),
            hasher: sha2::Digest::new(),
        })
    }

    /// Appends bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        sha2::Digest::update(&mut self.hasher, bytes);
        self.out.write_all(bytes).map_err(|source| OutputError::Write {
            path: self.target.clone(),
            source,
        })
    }

    /// Flushes and syncs the file; it keeps its temporary name until
    /// [`rename_into_place`].
    pub fn finish(self) -> Result<FinishedFile, OutputError> {
        let PendingFile {
            name,
            tmp,
            target,
            out,
            hasher,
        } = self;
        let err = |source| OutputError::Write {
            path: target.clone(),
            source,
        };
        let file = out.into_inner().map_err(|e| err(e.into_error()))?;
        super::folder::crash_point(&format!("write {name}"));
        file.sync_all().map_err(err)?;
        let sha256 = sha2::Digest::finalize(hasher)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(FinishedFile {
            name,
            sha256,
            tmp,
            target,
        })
    }
}

/// Renames finished files into place, in order.
pub fn rename_into_place(files: &[FinishedFile]) -> Result<(), OutputError> {
    for f in files {
        super::folder::crash_point(&format!("rename {}", f.target.display()));
        fs::rename(&f.tmp, &f.target).map_err(|source| OutputError::Write {
            path: f.target.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Removes one file of a results folder (a job's state once its result is
/// written); a file already gone is fine.
pub fn remove(dir: &Path, name: &str) -> Result<(), OutputError> {
    super::folder::crash_point(&format!("remove {}", dir.join(name).display()));
    safe::remove_file(dir, name).map(|_| ())
}

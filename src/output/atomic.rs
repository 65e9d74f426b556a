//! Writing result files: the one function that writes them, all or nothing.

use super::OutputError;
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

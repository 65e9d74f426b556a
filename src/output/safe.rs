//! One safe way to touch a results folder: every create, replace, delete
//! and lock inside it goes through here, and none of them follows a
//! symbolic link.
//!
//! - A path inside the folder is given relative to it and checked component
//!   by component ([`inside`]): no `..`, no root, and no component that is a
//!   symbolic link (checked with `symlink_metadata`), so a `charts/` or a
//!   subfolder named in a manifest that links elsewhere is refused by name.
//! - New files are created with `create_new` (`O_CREAT | O_EXCL`), which
//!   never follows a link, even a dangling one; the lock file is opened only
//!   when it is a regular file, and checked after opening to be the file
//!   that was checked.
//! - Only regular files are removed ([`remove_file`]); a link, a FIFO or a
//!   device in the folder's place of a result file is refused by name.
//! - Temporary files (`.NAME.tmp-PID`) of a process that is gone are
//!   removed by the next write of the same file ([`remove_stale_temporaries`]).

use super::OutputError;
use std::fs::{self, File, OpenOptions};
use std::path::{Component, Path, PathBuf};

fn unsafe_path(path: PathBuf, message: &str) -> OutputError {
    OutputError::Unsafe {
        path,
        message: message.to_string(),
    }
}

/// `dir/rel` after checking `rel` component by component: relative, no
/// `..`, and no existing component a symbolic link. Components that do not
/// exist yet are fine (they will be made by [`create_dir_all`]).
pub fn inside(dir: &Path, rel: &str) -> Result<PathBuf, OutputError> {
    let rel_path = Path::new(rel);
    if rel.is_empty() || !rel_path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(unsafe_path(
            dir.join(rel),
            "is not a plain relative path inside the folder (no `..`, no root)",
        ));
    }
    let mut path = dir.to_path_buf();
    for c in rel_path.components() {
        path.push(c);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(unsafe_path(path, "is a symbolic link"));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(dir.join(rel_path))
}

/// Makes the folders of `rel` inside `dir` (which must exist), refusing a
/// component that is a symbolic link or not a folder.
pub fn create_dir_all(dir: &Path, rel: &str) -> Result<(), OutputError> {
    let mut path = dir.to_path_buf();
    for c in Path::new(rel).components() {
        if !matches!(c, Component::Normal(_)) {
            return Err(unsafe_path(
                dir.join(rel),
                "is not a plain relative path inside the folder",
            ));
        }
        path.push(c);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => return Err(unsafe_path(path, "is a symbolic link")),
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(unsafe_path(path, "is not a folder")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Err(source) = fs::create_dir(&path)
                    && !(source.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir())
                {
                    return Err(OutputError::CreateDir { path, source });
                }
            }
            Err(source) => return Err(OutputError::CreateDir { path, source }),
        }
    }
    Ok(())
}

/// Creates `dir/rel` as a new file; fails if anything (a file, a link,
/// even a dangling one) is there.
pub fn create_new(dir: &Path, rel: &str) -> Result<File, OutputError> {
    let path = inside(dir, rel)?;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|source| OutputError::Write { path, source })
}

/// Removes the regular file `dir/rel`; returns whether it was there. A
/// link, a folder, a FIFO or a device there is refused by name, and so is a
/// path through a link.
pub fn remove_file(dir: &Path, rel: &str) -> Result<bool, OutputError> {
    let path = inside(dir, rel)?;
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(OutputError::Write { path, source }),
        Ok(m) if !m.file_type().is_file() => {
            return Err(unsafe_path(
                path,
                "is not a regular file (tokenmaxx removes only the files it wrote)",
            ));
        }
        Ok(_) => {}
    }
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(OutputError::Write { path, source }),
    }
}

/// The names in `dir/rel` (a real folder, not a link; none when it is
/// missing or a link).
pub fn list(dir: &Path, rel: &str) -> Vec<String> {
    let path = if rel.is_empty() {
        dir.to_path_buf()
    } else {
        match inside(dir, rel) {
            Ok(p) => p,
            Err(_) => return Vec::new(),
        }
    };
    if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) && !rel.is_empty() {
        return Vec::new();
    }
    fs::read_dir(&path)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Opens (creating if missing) the regular file `dir/name` for reading and
/// writing, without truncating it, never through a link: the lock file.
pub fn open_lock_file(dir: &Path, name: &str) -> Result<File, OutputError> {
    let path = inside(dir, name)?;
    let err = |source| OutputError::Write {
        path: path.clone(),
        source,
    };
    let file = match OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let m = fs::symlink_metadata(&path).map_err(err)?;
            if !m.file_type().is_file() {
                return Err(unsafe_path(
                    path.clone(),
                    "is not a regular file: tokenmaxx locks the folder through this file; remove it",
                ));
            }
            OpenOptions::new().read(true).write(true).open(&path).map_err(err)?
        }
        Err(e) => return Err(err(e)),
    };
    same_file(&file, &path)?;
    Ok(file)
}

/// The open `file` is the regular file at `path` (not one swapped in
/// through a link between the check and the open).
fn same_file(file: &File, path: &Path) -> Result<(), OutputError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let opened = file.metadata().map_err(|source| OutputError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        let there = fs::symlink_metadata(path).map_err(|source| OutputError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        if !there.file_type().is_file() || opened.dev() != there.dev() || opened.ino() != there.ino() {
            return Err(unsafe_path(path.to_path_buf(), "changed while it was opened (a link?)"));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// A temporary file name of a write: `.NAME.tmp-PID`, with its PID.
pub fn temporary_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    name.rsplit_once(".tmp-").and_then(|(_, pid)| pid.parse::<u32>().ok())
}

/// Whether process `pid` still runs (where `/proc` tells; elsewhere every
/// process is taken to run, so nothing is removed).
fn process_runs(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes the temporary files `.FILE.tmp-PID` of `dir/rel`'s file left by
/// processes that are gone (a killed write), so a killed command's debris
/// does not stay forever beside its target.
pub fn remove_stale_temporaries(dir: &Path, rel: &str) {
    let (sub, file) = match rel.rsplit_once('/') {
        Some((s, f)) => (s, f),
        None => ("", rel),
    };
    let prefix = format!(".{file}.tmp-");
    for name in list(dir, sub) {
        if let Some(rest) = name.strip_prefix(&prefix)
            && let Ok(pid) = rest.parse::<u32>()
            && pid != std::process::id()
            && !process_runs(pid)
        {
            let rel = if sub.is_empty() { name } else { format!("{sub}/{name}") };
            let _ = remove_file(dir, &rel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_dots_are_refused_component_by_component() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        fs::write(other.path().join("x.png"), "keep").unwrap();
        std::os::unix::fs::symlink(other.path(), dir.path().join("charts")).unwrap();
        assert!(inside(dir.path(), "charts/x.png").is_err());
        assert!(remove_file(dir.path(), "charts/x.png").is_err());
        assert!(create_dir_all(dir.path(), "charts").is_err());
        assert!(inside(dir.path(), "../x").is_err());
        assert!(inside(dir.path(), "/etc/passwd").is_err());
        assert!(list(dir.path(), "charts").is_empty());
        assert!(other.path().join("x.png").exists());
        create_dir_all(dir.path(), "a/b").unwrap();
        create_new(dir.path(), "a/b/c").unwrap();
        assert!(create_new(dir.path(), "a/b/c").is_err());
        assert!(remove_file(dir.path(), "a/b/c").unwrap());
        assert!(!remove_file(dir.path(), "a/b/c").unwrap());
    }
}

//! A results folder as one unit: one writer at a time, one result at a time.
//!
//! - [`FolderLock`]: an advisory lock (`flock`, through the standard
//!   library's `File::try_lock`) on `.tokenmaxx.lock` inside the folder,
//!   held by every job that writes there; a second writer is refused at once
//!   with the holder's PID and command. The lock is released when the holder
//!   exits, however it exits, so a killed job never leaves a stale lock.
//! - [`holding`]: what a folder holds (nothing, a finished result by its
//!   manifest, an interrupted sweep, a finished shard, or result files
//!   without a manifest left by a write that was cut short).
//! - [`clear`]: removes every file a previous result wrote, charts included,
//!   the manifest first, so a folder never shows two results side by side.
//!   Files tokenmaxx did not write are left alone.
//! - [`crash_point`]: a test hook that aborts the process at the n-th write
//!   step, to prove a kill at any step can be finished or refused cleanly.

use super::OutputError;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The lock file inside a results folder.
pub const LOCK: &str = ".tokenmaxx.lock";

/// The record a finished shard of a sweep writes last (its commit).
pub const SHARD_INFO: &str = "shard.json";

/// The state file of a calibration in progress.
pub const CALIBRATE_STATE: &str = ".calibrate-state";

/// The state file of a policy search in progress.
pub const OPTIMIZE_STATE: &str = ".optimize-state";

/// The start of the name of a calibration shard's file
/// (`.calibrate-shard-G-FROM-TO`).
pub const CALIBRATE_SHARD_PREFIX: &str = ".calibrate-shard-";

/// The start of the name of a policy search shard's file
/// (`.optimize-shard-G-FROM-TO`).
pub const OPTIMIZE_SHARD_PREFIX: &str = ".optimize-shard-";

/// Every file name a tokenmaxx job writes into a results folder (besides
/// `charts/*.svg|png` and temporary `.NAME.tmp-PID` files).
pub const RESULT_FILES: [&str; 31] = [
    "manifest.json",
    "summary.md",
    SHARD_INFO,
    ".sweep-state.json",
    "runs.csv",
    "weekly.csv",
    "summary.csv",
    "verdicts.csv",
    "enterprises.csv",
    "points.csv",
    "telemetry.csv",
    "sensitivity.csv",
    "runs.csv.partial",
    "telemetry.csv.partial",
    "posterior.csv",
    "generations.csv",
    "ppc.csv",
    "worlds.csv",
    "robust_verdicts.csv",
    "report.html",
    "report.md",
    "report.pptx",
    CALIBRATE_STATE,
    "front.csv",
    "archive.csv",
    "convergence.csv",
    "validation.csv",
    OPTIMIZE_STATE,
    "comparison.csv",
    "differences.csv",
    super::columns::FILE,
];

/// An exclusive hold on a results folder, released on drop (or when the
/// process ends).
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
    dir: std::path::PathBuf,
    /// The folder did not exist before: a job that ends without writing a
    /// result leaves no empty folder behind.
    made_folder: bool,
    /// The lock file was there before: tokenmaxx has written in this folder.
    pub was_ours: bool,
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        if self.made_folder && fs::read_dir(&self.dir).is_ok_and(|d| d.flatten().all(|e| e.file_name() == LOCK)) {
            let _ = fs::remove_file(self.dir.join(LOCK));
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

impl FolderLock {
    /// Takes the folder's lock (making the folder if needed), or says who
    /// holds it.
    pub fn acquire(dir: &Path) -> Result<FolderLock, OutputError> {
        let made_folder = !dir.exists();
        fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(LOCK);
        let was_ours = fs::symlink_metadata(&path).is_ok();
        let write_err = |source| OutputError::Write {
            path: path.clone(),
            source,
        };
        let mut file = super::safe::open_lock_file(dir, LOCK)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim().replace('\n', ", ");
                return Err(OutputError::Busy {
                    dir: dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "another tokenmaxx process".into()
                    } else {
                        holder
                    },
                });
            }
            Err(fs::TryLockError::Error(source)) => return Err(write_err(source)),
        }
        // The command line with every absolute path as its file name: the
        // lock file is in the folder, and no file there holds a machine path.
        let command: Vec<String> = std::env::args()
            .map(|a| super::manifest::recorded_path(Path::new(&a)))
            .collect();
        let record = format!("pid {}\ncommand {}\n", std::process::id(), command.join(" "));
        (|| {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(record.as_bytes())?;
            file.sync_data()
        })()
        .map_err(write_err)?;
        Ok(FolderLock {
            _file: file,
            dir: dir.to_path_buf(),
            made_folder,
            was_ours,
        })
    }
}

/// A shared hold on a results folder for a reader, released on drop:
/// readers may share it, a writer (who holds [`FolderLock`]) excludes them,
/// so a reader sees one whole result or is refused at once.
#[derive(Debug)]
pub struct ReadLock {
    _file: File,
}

impl ReadLock {
    /// Takes `dir`'s lock shared, or says which writer holds it. A folder
    /// that does not exist is not locked (the reader names what is missing).
    pub fn acquire(dir: &Path) -> Result<Option<ReadLock>, OutputError> {
        if !dir.is_dir() {
            return Ok(None);
        }
        let path = dir.join(LOCK);
        // A folder no tokenmaxx job ever locked and holding no result is
        // not a results folder: a reader leaves it as it is.
        if fs::symlink_metadata(&path).is_err() && fs::symlink_metadata(dir.join("manifest.json")).is_err() {
            return Ok(None);
        }
        let mut file = super::safe::open_lock_file(dir, LOCK)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Some(ReadLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim().replace('\n', ", ");
                Err(OutputError::Busy {
                    dir: dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "another tokenmaxx process".into()
                    } else {
                        holder
                    },
                })
            }
            Err(fs::TryLockError::Error(source)) => Err(OutputError::Write { path, source }),
        }
    }
}

/// What a results folder holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Holding {
    /// No tokenmaxx result file (the folder may not exist).
    Nothing,
    /// A finished result: its manifest's job (`run`, `sweep`) and name.
    Result { job: String, name: String },
    /// A sweep (or shard) that was started and not finished.
    InterruptedSweep,
    /// A finished shard of a sweep (`shard.json`).
    FinishedShard,
    /// A calibration that was started and not finished.
    InterruptedCalibration,
    /// A policy search that was started and not finished.
    InterruptedOptimization,
    /// Result files without a manifest: a write that was cut short.
    Debris(Vec<String>),
}

impl FolderLock {
    /// True when `holding` is what a killed tokenmaxx job leaves and nothing
    /// else: result files without a manifest or sweep state (never a result,
    /// never resumable), in a folder tokenmaxx has locked before (so never a
    /// user's own files that share a name). Any job may clear it.
    pub fn is_our_debris(&self, holding: &Holding) -> bool {
        self.was_ours && matches!(holding, Holding::Debris(_))
    }
}

impl Holding {
    /// What the folder holds, in words for a message.
    pub fn describe(&self) -> String {
        match self {
            Holding::Nothing => "nothing".into(),
            Holding::Result { job, name } => format!("the results of `tokenmaxx {job}` of {name}"),
            Holding::InterruptedSweep => "an interrupted sweep".into(),
            Holding::FinishedShard => "a finished shard".into(),
            Holding::InterruptedCalibration => "an interrupted calibration".into(),
            Holding::InterruptedOptimization => "an interrupted policy search".into(),
            Holding::Debris(files) => format!(
                "result files without a manifest.json ({}): a write that was cut short",
                files.join(", ")
            ),
        }
    }
}

/// The tokenmaxx result files present in `dir` (relative names, sorted).
pub fn result_files(dir: &Path) -> Vec<String> {
    use super::safe::list;
    let is_file = |rel: &str| fs::symlink_metadata(dir.join(rel)).is_ok();
    let mut found: Vec<String> = RESULT_FILES
        .iter()
        .filter(|n| is_file(n))
        .map(|n| n.to_string())
        .collect();
    for name in list(dir, "") {
        if name.starts_with(CALIBRATE_SHARD_PREFIX) || name.starts_with(OPTIMIZE_SHARD_PREFIX) || is_temporary(&name) {
            found.push(name);
        }
    }
    // `charts/` only when it is a real folder: never a listing through a link.
    for name in list(dir, "charts") {
        if name.ends_with(".svg") || name.ends_with(".png") || is_temporary(&name) {
            found.push(format!("charts/{name}"));
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A temporary file of [`super::atomic::write_atomically`]: `.NAME.tmp-PID`.
fn is_temporary(name: &str) -> bool {
    super::safe::temporary_pid(name).is_some()
}

/// What `dir` holds.
pub fn holding(dir: &Path) -> Holding {
    if dir.join(".sweep-state.json").exists() {
        return Holding::InterruptedSweep;
    }
    if dir.join(CALIBRATE_STATE).exists() {
        return Holding::InterruptedCalibration;
    }
    if dir.join(OPTIMIZE_STATE).exists() {
        return Holding::InterruptedOptimization;
    }
    if dir.join(SHARD_INFO).exists() {
        return Holding::FinishedShard;
    }
    let manifest = dir.join("manifest.json");
    if manifest.exists() {
        let bytes = fs::read(&manifest).unwrap_or_default();
        if let Some((job, name)) = super::manifest::identity(&bytes) {
            return Holding::Result { job, name };
        }
    }
    let files = result_files(dir);
    if files.is_empty() {
        Holding::Nothing
    } else {
        Holding::Debris(files)
    }
}

/// Removes every file a previous result wrote into `dir`: the manifest
/// first (so an interrupted clear leaves no result that looks whole), then
/// the files the manifest lists, every known result file, the charts and
/// temporary files. Returns the files removed.
pub fn clear(dir: &Path) -> Result<Vec<String>, OutputError> {
    let mut names: Vec<String> = Vec::new();
    let manifest = dir.join("manifest.json");
    if let Some(files) = fs::read(&manifest).ok().and_then(|b| super::manifest::listed_files(&b)) {
        // Only plain relative names: a manifest is never a licence to
        // remove files outside the folder.
        names.extend(files.keys().filter(|n| safe_relative(n)).cloned());
    }
    let mut all = vec!["manifest.json".to_string()];
    all.extend(names);
    all.extend(result_files(dir));
    let mut removed = Vec::new();
    for name in all {
        // Only plain relative paths of regular files, through no link: a
        // manifest is never a licence to remove files outside the folder.
        if super::safe::remove_file(dir, &name)? {
            removed.push(name);
        }
    }
    // A sub-result (the discovery of a sweep) belongs to the result and
    // goes with it.
    for sub in ["discovery"] {
        let path = dir.join(sub);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            for name in clear(&path)? {
                removed.push(format!("{sub}/{name}"));
            }
            if super::safe::remove_file(&path, LOCK)? {
                removed.push(format!("{sub}/{LOCK}"));
            }
            let _ = fs::remove_dir(&path);
        }
    }
    let charts = dir.join("charts");
    if fs::symlink_metadata(&charts).is_ok_and(|m| m.is_dir())
        && fs::read_dir(&charts).is_ok_and(|mut d| d.next().is_none())
    {
        let _ = fs::remove_dir(&charts);
    }
    removed.sort();
    removed.dedup();
    Ok(removed)
}

/// Removes the temporary files a killed write left in `dir` (and
/// `dir/charts`); only safe under the folder's lock.
pub fn remove_temporaries(dir: &Path) -> Result<(), OutputError> {
    for name in result_files(dir) {
        let file = name.rsplit('/').next().unwrap_or(&name);
        if is_temporary(file) {
            super::safe::remove_file(dir, &name)?;
        }
    }
    Ok(())
}

/// A relative path with no `..`, root or prefix.
fn safe_relative(name: &str) -> bool {
    use std::path::Component;
    Path::new(name).components().all(|c| matches!(c, Component::Normal(_)))
}

/// The environment variable of [`crash_point`].
pub const CRASH_AT: &str = "TOKENMAXX_CRASH_AT";

/// A test hook at each step that writes, renames or removes a result file.
/// With `TOKENMAXX_CRASH_AT=N` the process aborts (as a kill would) at the
/// N-th step it reaches; with `TOKENMAXX_CRASH_AT=count` it prints each
/// step's number and name to stderr. Unset, it does nothing.
pub fn crash_point(step: &str) {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static TARGET: OnceLock<Option<String>> = OnceLock::new();
    static REACHED: AtomicUsize = AtomicUsize::new(0);
    let Some(target) = TARGET.get_or_init(|| std::env::var(CRASH_AT).ok()) else {
        return;
    };
    let n = REACHED.fetch_add(1, Ordering::SeqCst) + 1;
    if target == "count" {
        eprintln!("crash point {n}: {step}");
    } else if target.parse::<usize>() == Ok(n) {
        eprintln!("crash point {n}: {step}: aborting ({CRASH_AT})");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_a_folder_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::acquire(dir.path()).unwrap();
        let err = FolderLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
        drop(first);
        FolderLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn clear_removes_result_files_and_leaves_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let d = &dir.path().join("results");
        fs::create_dir_all(d.join("charts")).unwrap();
        for f in [
            "runs.csv",
            "enterprises.csv",
            "charts/market.svg",
            ".runs.csv.tmp-77",
            "notes.txt",
        ] {
            fs::write(d.join(f), "x").unwrap();
        }
        fs::write(
            d.join("manifest.json"),
            r#"{"command":"run","scenario":{"name":"m"},"files_sha256":{"runs.csv":"","../outside.txt":""}}"#,
        )
        .unwrap();
        fs::write(dir.path().join("outside.txt"), "keep").unwrap();
        assert_eq!(
            holding(d),
            Holding::Result {
                job: "run".into(),
                name: "m".into()
            }
        );
        let removed = clear(d).unwrap();
        assert_eq!(
            removed,
            [
                ".runs.csv.tmp-77",
                "charts/market.svg",
                "enterprises.csv",
                "manifest.json",
                "runs.csv"
            ]
        );
        assert!(d.join("notes.txt").exists());
        assert!(dir.path().join("outside.txt").exists());
        assert!(!d.join("charts").exists());
        assert_eq!(holding(d), Holding::Nothing);
    }

    #[test]
    fn files_without_a_manifest_are_debris() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("summary.csv"), "x").unwrap();
        assert_eq!(holding(dir.path()), Holding::Debris(vec!["summary.csv".into()]));
    }
}

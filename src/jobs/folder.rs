//! Claiming a results folder before a job writes there: the folder's lock
//! first (one writer at a time), then what the folder holds decides whether
//! the job may go on, and what `--force` must remove first.

use crate::jobs::error::JobError;
use crate::output::folder::{self, FolderLock, Holding};
use std::path::Path;

/// What a job may find in its folder and still write there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Claim {
    /// The folder holds nothing: write.
    Empty,
    /// The folder holds something the job replaces: clear it first, just
    /// before the new result is written (a failed job leaves it intact).
    Replace,
}

/// Takes `out`'s lock and decides what to do with what it holds: `accept`
/// says which holdings the job takes over without `--force`; with `force`
/// every holding is replaced, and so are the files a killed job left in a
/// folder tokenmaxx has written before; anything else is refused, saying
/// what is there and how to go on.
pub fn claim(
    out: &Path,
    force: bool,
    accept: impl Fn(&Holding) -> bool,
) -> Result<(FolderLock, Holding, Claim), JobError> {
    let lock = FolderLock::acquire(out)?;
    // Temporary files of a killed command go first: under the lock no
    // writer owns them.
    folder::remove_temporaries(out)?;
    let holding = folder::holding(out);
    let claim = match &holding {
        Holding::Nothing => Claim::Empty,
        h if force || accept(h) || lock.is_our_debris(h) => Claim::Replace,
        h => return Err(occupied(out, h)),
    };
    Ok((lock, holding, claim))
}

/// The refusal for a folder that holds something else.
pub fn occupied(out: &Path, holding: &Holding) -> JobError {
    let hint = match holding {
        Holding::InterruptedSweep => {
            "pass --resume to finish it (with the same sweep file), choose another --out, or pass --force to remove its files and start over"
        }
        Holding::InterruptedCalibration => {
            "pass --resume to finish it (with the same evidence file), choose another --out, or pass --force to remove its files and start over"
        }
        Holding::InterruptedOptimization => {
            "pass --resume to finish it (with the same optimization file), choose another --out, or pass --force to remove its files and start over"
        }
        _ => "choose another --out, or pass --force to remove those files first",
    };
    JobError::Occupied(format!(
        "{} already holds {}: {hint}",
        out.display(),
        holding.describe()
    ))
}

/// Clears the folder if the claim says so (just before the new result is
/// written). A report of the previous result that goes with it is noted
/// for the user ([`take_notices`]): the folder no longer holds the report
/// they made.
pub fn clear_if(out: &Path, claim: Claim) -> Result<(), JobError> {
    if claim == Claim::Replace {
        let removed = folder::clear(out)?;
        let mut notices = NOTICES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        notices.extend(removed_reports(out, &removed));
    }
    Ok(())
}

/// What the user is told of the reports among the `removed` files of `out`.
fn removed_reports(out: &Path, removed: &[String]) -> Vec<String> {
    removed
        .iter()
        .filter(|n| is_report(n))
        .map(|n| {
            format!(
                "removed {n} of the previous result in {}; run `tokenmaxx report {}` again",
                out.display(),
                out.display()
            )
        })
        .collect()
}

/// A report file in a results folder (`report.html`, `report.md`,
/// `report.pptx`, ...).
fn is_report(name: &str) -> bool {
    name.strip_prefix("report.")
        .is_some_and(|ext| !ext.is_empty() && !ext.contains('/'))
}

/// Notices for the user gathered while jobs ran (a report removed with
/// the result it reported).
static NOTICES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Takes the notices gathered so far, for the command line to print
/// (unless `--quiet`).
pub fn take_notices() -> Vec<String> {
    std::mem::take(&mut *NOTICES.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reports_among_removed_files_are_noted() {
        let removed = ["charts/a.png", "report.html", "report.md", "runs.csv", "reports.csv"].map(String::from);
        let notes = removed_reports(Path::new("out/x"), &removed);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("removed report.html of the previous result in out/x"));
        assert!(notes[1].contains("run `tokenmaxx report out/x` again"));
    }
}

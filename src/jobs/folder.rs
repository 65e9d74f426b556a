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
/// written).
pub fn clear_if(out: &Path, claim: Claim) -> Result<(), JobError> {
    if claim == Claim::Replace {
        folder::clear(out)?;
    }
    Ok(())
}

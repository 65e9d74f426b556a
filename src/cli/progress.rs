//! Progress of `run` and `sweep` for the command line: in a terminal, a bar
//! redrawn twice a second with an ETA from the runs finished so far; in a
//! log (no terminal), a plain line with percent, elapsed time and ETA every
//! ten seconds and at the end. Runs done before a `--resume` do not count
//! toward the rate.

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Seconds between plain progress lines in a log.
const LOG_EVERY_S: f64 = 10.0;

pub struct Reporter {
    what: &'static str,
    bar: ProgressBar,
    log: bool,
    clock: Instant,
    /// Runs already done when this process started (a resumed sweep).
    first: Arc<AtomicUsize>,
    done: AtomicUsize,
    total: AtomicUsize,
    last_line: Mutex<f64>,
}

/// Seconds left at the rate of the runs finished since `first`.
fn eta_seconds(elapsed: f64, first: usize, done: usize, total: usize) -> Option<f64> {
    let finished = done.checked_sub(first)?;
    if finished == 0 {
        return None;
    }
    Some(elapsed / finished as f64 * total.saturating_sub(done) as f64)
}

fn duration_text(s: f64) -> String {
    let s = s.round() as u64;
    match s {
        0..=99 => format!("{s} s"),
        100..=5999 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

impl Reporter {
    /// A reporter for `what` ("run", "sweep"); silent when `quiet`.
    pub fn new(what: &'static str, quiet: bool) -> Reporter {
        let tty = std::io::stderr().is_terminal();
        let first = Arc::new(AtomicUsize::new(usize::MAX));
        let bar = if !quiet && tty {
            let f = first.clone();
            let style = ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {elapsed} elapsed, ETA {smooth_eta}")
                .expect("valid template")
                .with_key("smooth_eta", move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let first = f.load(Ordering::Relaxed);
                    let text = eta_seconds(
                        s.elapsed().as_secs_f64(),
                        first,
                        s.pos() as usize,
                        s.len().unwrap_or(0) as usize,
                    )
                    .map_or("…".to_string(), duration_text);
                    let _ = w.write_str(&text);
                });
            let bar = ProgressBar::new(0).with_style(style);
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        } else {
            ProgressBar::hidden()
        };
        Reporter {
            what,
            bar,
            log: !quiet && !tty,
            clock: Instant::now(),
            first,
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            last_line: Mutex::new(0.0),
        }
    }

    /// `done` of `total` runs are finished.
    pub fn update(&self, done: usize, total: usize) {
        self.done.fetch_max(done, Ordering::Relaxed);
        self.show(done, total);
    }

    fn show(&self, done: usize, total: usize) {
        // The first report gives the runs done before this process.
        let _ = self
            .first
            .compare_exchange(usize::MAX, done, Ordering::Relaxed, Ordering::Relaxed);
        self.total.fetch_max(total, Ordering::Relaxed);
        self.bar.set_length(total as u64);
        self.bar.set_position(done.max(self.bar.position() as usize) as u64);
        if self.log {
            let secs = self.clock.elapsed().as_secs_f64();
            let mut last = self.last_line.lock().expect("progress lock");
            if secs >= *last + LOG_EVERY_S || done == total {
                *last = secs;
                let eta = eta_seconds(secs, self.first.load(Ordering::Relaxed), done, total)
                    .map_or("unknown".to_string(), duration_text);
                say_err!(
                    "{}: {done}/{total} runs ({:.1}%), {} elapsed, ETA {eta}",
                    self.what,
                    100.0 * done as f64 / total.max(1) as f64,
                    duration_text(secs)
                );
            }
        }
    }

    /// The total is known; nothing is done yet.
    pub fn start(&self, total: usize) {
        self.update(0, total);
    }

    /// One more run is finished (from any thread).
    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.show(done, self.total.load(Ordering::Relaxed));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_counts_only_runs_finished_by_this_process() {
        // 10 s for runs 40..50 of 100: 1 s a run, 50 left.
        assert_eq!(eta_seconds(10.0, 40, 50, 100), Some(50.0));
        assert_eq!(eta_seconds(10.0, 40, 40, 100), None);
        assert_eq!(duration_text(59.6), "60 s");
        assert_eq!(duration_text(754.0), "12 min 34 s");
    }
}

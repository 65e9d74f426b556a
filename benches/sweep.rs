//! Sweep benchmark: the `tokenmaxx sweep` binary on sweeps of the baseline
//! company (1,000 employees, 156 weeks; random design over discount depth and
//! spend-signal weight; laissez-faire and usage-leaderboard arms; 10
//! replicates). Reports runs/s, task decisions/s, the speed-up from 1 to 2
//! threads and the peak resident memory of the process.
//!
//! `cargo bench --bench sweep` runs 1,000 runs on 1 and 2 threads and 10,000
//! runs on 2 threads (about half an hour on 2 cores). Choose other sizes
//! with TOKENMAXX_BENCH_RUNS=1000,10000 and TOKENMAXX_BENCH_ONE_THREAD=1000.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Measured {
    runs: usize,
    threads: usize,
    seconds: f64,
    decisions: u64,
    peak_mb: f64,
}

/// Peak resident memory of a live process (VmHWM), in kB.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn sweep(dir: &Path, runs: usize, threads: usize) -> Measured {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let points = runs / 20;
    let file = dir.join(format!("bench-{runs}.toml"));
    std::fs::write(
        &file,
        format!(
            "base = {base:?}\n[sweep]\ndesign = \"random\"\npoints = {points}\nreplicates = 10\narms = [\"laissez_faire\", \"usage_leaderboard\"]\n\
             [[sweep.parameters]]\nkey = \"labs.frontier_lab.discount_scale\"\nrange = [0.0, 2.0]\n\
             [[sweep.parameters]]\nkey = \"enterprises.acme.spend_signal_weight\"\nrange = [0.0, 1.0]\n"
        ),
    )
    .unwrap();
    let out = dir.join(format!("out-{runs}-{threads}"));
    let clock = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokenmaxx"))
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--threads", &threads.to_string(), "-q"])
        .spawn()
        .unwrap();
    let mut peak = 0;
    loop {
        if let Some(kb) = vm_hwm(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the sweep failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let seconds = clock.elapsed().as_secs_f64();
    let mut r = csv::Reader::from_path(out.join("telemetry.csv")).unwrap();
    let decisions = r.records().map(|rec| rec.unwrap()[5].parse::<u64>().unwrap()).sum();
    Measured {
        runs,
        threads,
        seconds,
        decisions,
        peak_mb: peak as f64 / 1024.0,
    }
}

fn report(m: &Measured) {
    println!(
        "sweep/{}runs/{}threads: {:.1} s, {:.2} runs/s, {:.2}M task decisions/s ({:.2}M per thread), peak RSS {:.1} MB",
        m.runs,
        m.threads,
        m.seconds,
        m.runs as f64 / m.seconds,
        m.decisions as f64 / m.seconds / 1e6,
        m.decisions as f64 / m.seconds / 1e6 / m.threads as f64,
        m.peak_mb
    );
}

fn sizes(var: &str, default: &str) -> Vec<usize> {
    std::env::var(var)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect()
}

fn main() {
    // `cargo test --benches` runs bench targets with --bench absent: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::TempDir::new().unwrap();
    for runs in sizes("TOKENMAXX_BENCH_ONE_THREAD", "1000") {
        let one = sweep(dir.path(), runs, 1);
        report(&one);
        let two = sweep(dir.path(), runs, 2);
        report(&two);
        println!(
            "sweep/{runs}runs: speed-up from 1 to 2 threads {:.2}x",
            one.seconds / two.seconds
        );
    }
    for runs in sizes("TOKENMAXX_BENCH_RUNS", "10000") {
        report(&sweep(dir.path(), runs, 2));
    }
}

//! Engine benchmarks.
//!
//! - `engine/one_run`: one run of the baseline company (1,000 employees, 156
//!   weeks, laissez-faire and leaderboard arms) on one core, reported as task
//!   decisions per second.
//! - `engine_employee_weeks/one_run`: the same runs, reported as simulated
//!   employee-weeks per second (employees x weeks of one run), the unit that
//!   does not move when a policy changes how many tasks are decided.
//! - `run_baseline/default_replicates`: the whole `run` job on
//!   scenarios/baseline.toml at its default replicates (6 arms x 30) on all
//!   cores, files written: its wall time.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use tokenmaxx::engine;
use tokenmaxx::jobs::run::{self as job, RunOptions};
use tokenmaxx::scenario;

fn engine_throughput(c: &mut Criterion) {
    let s = scenario::load(Path::new("scenarios/baseline.toml"), &[]).unwrap();
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    for (arm, name) in [(0, "laissez_faire"), (1, "usage_leaderboard")] {
        let decisions = engine::run(&s.config, arm, 1).decisions;
        g.throughput(Throughput::Elements(decisions));
        g.bench_function(format!("one_run/{name}"), |b| {
            b.iter(|| black_box(engine::run(&s.config, arm, 1)))
        });
    }
    g.finish();
    let weeks = engine::employee_weeks(&s.config);
    let mut g = c.benchmark_group("engine_employee_weeks");
    g.sample_size(10);
    g.throughput(Throughput::Elements(weeks));
    for (arm, name) in [(0, "laissez_faire"), (1, "usage_leaderboard")] {
        g.bench_function(format!("one_run/{name}"), |b| {
            b.iter(|| black_box(engine::run(&s.config, arm, 1)))
        });
    }
    g.finish();
}

fn whole_run(c: &mut Criterion) {
    let out = tempfile::TempDir::new().unwrap();
    let opts = RunOptions {
        scenario: "scenarios/baseline.toml".into(),
        out: Some(out.path().to_path_buf()),
        ..RunOptions::default()
    };
    let mut g = c.benchmark_group("run_baseline");
    g.sample_size(10);
    g.bench_function("default_replicates", |b| {
        b.iter(|| black_box(job::run(&opts, &|| {}, &|_, _| {}).unwrap().decisions))
    });
    g.finish();
}

criterion_group!(benches, engine_throughput, whole_run);
criterion_main!(benches);

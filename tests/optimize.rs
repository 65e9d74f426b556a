//! `tokenmaxx optimize`: the search against reference answers, and the
//! command as a user runs it.

use tokenmaxx::optimize::hypervolume::hypervolume;
use tokenmaxx::optimize::problems::{dtlz2, zdt1};
use tokenmaxx::optimize::{Algorithm, Evaluation, Search, Settings};

/// The reference medians of tests/fixtures/optimize/reference.csv
/// (pymoo's NSGA-II and Platypus's ε-NSGA-II, 11 seeds each).
fn reference(problem: &str, algorithm: &str) -> f64 {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/optimize/reference.csv"
    ))
    .unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[0] == problem && f[1] == algorithm)
        .map(|f| f[4].parse().unwrap())
        .unwrap()
}

fn median_hv(algorithm: Algorithm, genes: usize, epsilons: Vec<f64>, f: &(dyn Fn(&[f64]) -> Vec<f64> + Sync)) -> f64 {
    let m = epsilons.len();
    let mut hv: Vec<f64> = (1..=11)
        .map(|seed| {
            let settings = Settings {
                algorithm,
                genes,
                epsilons: epsilons.clone(),
                population: 100,
                evaluations: 10_000,
                seed,
            };
            let eval = |batch: &[Vec<f64>]| -> Vec<Evaluation> {
                batch
                    .iter()
                    .map(|x| Evaluation {
                        objectives: f(x),
                        violation: 0.0,
                    })
                    .collect()
            };
            let s = Search::new(settings, vec![]).run(&eval);
            // NSGA-II's answer is its final population's non-dominated set
            // (as pymoo reports it); ε-NSGA-II's is its archive.
            let pts: Vec<Vec<f64>> = match algorithm {
                Algorithm::Nsga2 => {
                    let fr = tokenmaxx::optimize::nsga2::fronts(&s.population);
                    fr[0].iter().map(|&i| s.population[i].objectives.clone()).collect()
                }
                Algorithm::EpsNsga2 => s.front().into_iter().map(|x| x.objectives).collect(),
            };
            hypervolume(&pts, &vec![1.1; m])
        })
        .collect();
    hv.sort_by(f64::total_cmp);
    hv[5]
}

#[test]
fn nsga2_matches_pymoo_on_zdt1_and_dtlz2() {
    let z = median_hv(Algorithm::Nsga2, 30, vec![0.0, 0.0], &zdt1);
    let r = reference("zdt1", "nsga2");
    assert!((z / r - 1.0).abs() <= 0.02, "ZDT1: {z} against pymoo's {r}");
    let d = median_hv(Algorithm::Nsga2, 12, vec![0.0; 3], &|x| dtlz2(x, 3));
    let r = reference("dtlz2", "nsga2");
    assert!((d / r - 1.0).abs() <= 0.02, "DTLZ2: {d} against pymoo's {r}");
}

#[test]
fn eps_nsga2_matches_platypus_on_zdt1_and_dtlz2() {
    let z = median_hv(Algorithm::EpsNsga2, 30, vec![0.01, 0.01], &zdt1);
    let r = reference("zdt1", "eps-nsga2");
    assert!(z / r >= 0.98, "ZDT1: {z} against Platypus's {r}");
    let d = median_hv(Algorithm::EpsNsga2, 12, vec![0.05; 3], &|x| dtlz2(x, 3));
    let r = reference("dtlz2", "eps-nsga2");
    assert!(d / r >= 0.98, "DTLZ2: {d} against Platypus's {r}");
}

#[test]
fn a_constrained_toy_problem_keeps_only_feasible_points() {
    // Minimise (x, y) subject to x + y >= 1 (Binh-Korn-like): the front is
    // the segment x + y = 1.
    let settings = Settings {
        algorithm: Algorithm::EpsNsga2,
        genes: 2,
        epsilons: vec![0.02, 0.02],
        population: 20,
        evaluations: 2_000,
        seed: 4,
    };
    let eval = |batch: &[Vec<f64>]| -> Vec<Evaluation> {
        batch
            .iter()
            .map(|x| Evaluation {
                objectives: x.clone(),
                violation: (1.0 - x[0] - x[1]).max(0.0),
            })
            .collect()
    };
    let s = Search::new(settings, vec![]).run(&eval);
    let front = s.front();
    assert!(front.len() >= 20, "{} points", front.len());
    for m in &front {
        let sum = m.objectives[0] + m.objectives[1];
        assert!((1.0..1.05).contains(&sum), "{:?}", m.objectives);
    }
}

#[test]
fn a_search_replayed_from_its_evaluations_reaches_the_same_state() {
    let settings = Settings {
        algorithm: Algorithm::EpsNsga2,
        genes: 30,
        epsilons: vec![0.01, 0.01],
        population: 10,
        evaluations: 3_000,
        seed: 9,
    };
    let eval = |batch: &[Vec<f64>]| -> Vec<Evaluation> {
        batch
            .iter()
            .map(|x| Evaluation {
                objectives: zdt1(x),
                violation: 0.0,
            })
            .collect()
    };
    let whole = Search::new(settings.clone(), vec![]).run(&eval);
    // Replay: the recorded evaluations, served in order.
    let mut replay = Search::new(settings, vec![]);
    let mut at = 0;
    while let Some((kind, genes)) = replay.next_batch() {
        let recorded: Vec<Evaluation> = whole.evaluated[at..at + genes.len()]
            .iter()
            .map(|m| {
                assert_eq!(m.genes, genes[m.id - at]);
                Evaluation {
                    objectives: m.objectives.clone(),
                    violation: m.violation,
                }
            })
            .collect();
        at += genes.len();
        replay.absorb(kind, genes, recorded);
    }
    assert_eq!(replay.evaluated, whole.evaluated);
    assert_eq!(replay.front(), whole.front());
    assert!(
        whole
            .history
            .iter()
            .any(|g| g.kind == tokenmaxx::optimize::Kind::Restart),
        "the test covers a restart"
    );
}

//! Multi-objective search over policy levers, as pure functions: NSGA-II
//! ([`nsga2`]) and ε-NSGA-II (NSGA-II with an ε-box archive ([`archive`])
//! and time continuation: when the archive stops improving, or the
//! population has drifted from four times the archive's size, the search
//! restarts from the archive plus uniformly mutated copies of it, the
//! population resized to four times the archive; Kollat & Reed 2006,
//! "Comparing state-of-the-art evolutionary multi-objective algorithms for
//! long-term groundwater monitoring design", AWR 29). The hypervolume
//! ([`hypervolume`]) tracks convergence; [`measure`] holds the robustness
//! measures objectives are built from.
//!
//! A [`Search`] is a state machine: [`Search::next_batch`] says which
//! candidates (genes on the unit cube) to evaluate next, [`Search::absorb`]
//! takes their evaluations. Every random choice of generation g draws
//! from a stream seeded by (seed, g), and the state is a function of the
//! evaluations alone, so a search replayed from its recorded evaluations
//! reaches the same state: that is how a killed search resumes, and why
//! the result never depends on the thread count or on how evaluations were
//! scheduled.

pub mod archive;
pub mod convergence;
pub mod hypervolume;
pub mod measure;
pub mod nsga2;
pub mod problems;
pub mod score;
pub mod state;
pub mod study;

use archive::Archive;
use nsga2::Member;
use rand::SeedableRng;

/// The algorithm of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Algorithm {
    #[serde(rename = "nsga2")]
    Nsga2,
    #[serde(rename = "eps-nsga2")]
    EpsNsga2,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Nsga2 => "nsga2",
            Algorithm::EpsNsga2 => "eps-nsga2",
        }
    }
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "nsga2" => Some(Algorithm::Nsga2),
            "eps-nsga2" => Some(Algorithm::EpsNsga2),
            _ => None,
        }
    }
}

/// What a search is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub algorithm: Algorithm,
    pub genes: usize,
    /// ε per objective (for NSGA-II: the archive's resolution only; 0 =
    /// exact Pareto archive).
    pub epsilons: Vec<f64>,
    pub population: usize,
    /// Total evaluations.
    pub evaluations: usize,
    pub seed: u64,
}

/// ε-NSGA-II's target ratio of population to archive size.
pub const POPULATION_RATIO: f64 = 4.0;
/// ε-NSGA-II checks whether to restart every this many generations (the
/// window of Platypus's and the Borg's adaptive time continuation):
/// when the archive made no ε-progress since the last check, or the
/// population differs from four times the archive by more than 25 %.
pub const WINDOW: usize = 100;
/// ε-NSGA-II's tournament size as a share of the population (at least 2).
pub const SELECTION_RATIO: f64 = 0.02;
/// The largest population a restart makes, as a multiple of the asked one.
pub const MAX_POPULATION_FACTOR: usize = 10;

/// One evaluation's result: objectives to minimise and total violation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub objectives: Vec<f64>,
    pub violation: f64,
}

/// What a generation was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The first population (random, or a warm start).
    Initial,
    /// Offspring by tournament, crossover and mutation.
    Offspring,
    /// ε-NSGA-II's restart: archive plus mutated copies.
    Restart,
}

/// One generation's record, for convergence.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationRecord {
    pub generation: usize,
    pub kind: Kind,
    pub evaluations: usize,
    pub population: usize,
    pub archive: usize,
    pub progress: usize,
}

/// A search in progress.
#[derive(Debug, Clone)]
pub struct Search {
    pub settings: Settings,
    /// Completed generations.
    pub generation: usize,
    pub population: Vec<Member>,
    pub archive: Archive,
    /// Every evaluated candidate, in order.
    pub evaluated: Vec<Member>,
    pub history: Vec<GenerationRecord>,
    /// The population size the next generation keeps.
    target: usize,
    /// Initial genes (a warm start's, then random ones).
    initial: Vec<Vec<f64>>,
    /// The generation of the last restart check, the ε-progress then, and
    /// whether the next generation restarts.
    last_check: usize,
    progress_at_check: usize,
    restart_next: bool,
}

/// The stream of generation `g`'s random choices.
fn stream(seed: u64, g: usize) -> crate::rng::Rng {
    crate::rng::Rng::seed_from_u64(crate::rng::stream_seed(seed, g as u64, 0x6F70_7469))
}

impl Search {
    /// A new search; `warm` genes (already on the unit cube) lead the first
    /// population, random genes fill it.
    pub fn new(settings: Settings, warm: Vec<Vec<f64>>) -> Self {
        use rand::RngExt;
        let mut rng = stream(settings.seed, 0);
        let mut initial: Vec<Vec<f64>> = warm.into_iter().take(settings.population).collect();
        while initial.len() < settings.population {
            initial.push((0..settings.genes).map(|_| rng.random()).collect());
        }
        Search {
            archive: Archive::new(settings.epsilons.clone()),
            target: settings.population,
            settings,
            generation: 0,
            population: Vec::new(),
            evaluated: Vec::new(),
            history: Vec::new(),
            initial,
            last_check: 0,
            progress_at_check: 0,
            restart_next: false,
        }
    }

    /// Evaluations left in the budget.
    pub fn remaining(&self) -> usize {
        self.settings.evaluations.saturating_sub(self.evaluated.len())
    }

    /// ε-NSGA-II's check, made every [`WINDOW`] generations.
    fn check_restart(&mut self) {
        if self.settings.algorithm != Algorithm::EpsNsga2 || self.generation - self.last_check < WINDOW {
            return;
        }
        let wanted = self.restart_size() as f64;
        let drift = (self.population.len() as f64 - wanted).abs() > 0.25 * wanted;
        let stalled = self.archive.progress == self.progress_at_check;
        self.restart_next = !self.archive.members.is_empty() && (drift || stalled);
        self.last_check = self.generation;
        self.progress_at_check = self.archive.progress;
    }

    fn restart_size(&self) -> usize {
        let s = (POPULATION_RATIO * self.archive.members.len() as f64).round() as usize;
        s.clamp(
            self.settings.population,
            MAX_POPULATION_FACTOR * self.settings.population,
        )
    }

    /// What the next generation is, and the genes to evaluate for it;
    /// `None` when the budget is spent.
    pub fn next_batch(&self) -> Option<(Kind, Vec<Vec<f64>>)> {
        let left = self.remaining();
        if left == 0 {
            return None;
        }
        if self.generation == 0 {
            let mut genes = self.initial.clone();
            genes.truncate(left);
            return Some((Kind::Initial, genes));
        }
        let mut rng = stream(self.settings.seed, self.generation);
        let prob = 1.0 / self.settings.genes.max(1) as f64;
        if self.restart_next {
            use rand::RngExt;
            let n = self.restart_size() - self.archive.members.len().min(self.restart_size());
            let mut genes = Vec::with_capacity(n);
            for _ in 0..n.min(left) {
                let k = rng.random_range(0..self.archive.members.len());
                let mut g = self.archive.members[k].genes.clone();
                nsga2::uniform_mutation(&mut g, prob, &mut rng);
                genes.push(g);
            }
            if !genes.is_empty() {
                return Some((Kind::Restart, genes));
            }
        }
        let (rank, crowd) = nsga2::rank_and_crowding(&self.population);
        let (size, crossover) = match self.settings.algorithm {
            Algorithm::Nsga2 => (2, nsga2::CROSSOVER_PROB_NSGA2),
            Algorithm::EpsNsga2 => (
                ((SELECTION_RATIO * self.population.len() as f64).round() as usize).max(2),
                nsga2::CROSSOVER_PROB_EPS,
            ),
        };
        let n = self.target.min(left);
        let mut genes = Vec::with_capacity(n + 1);
        while genes.len() < n {
            let a = nsga2::tournament(&rank, &crowd, size, &mut rng);
            let b = nsga2::tournament(&rank, &crowd, size, &mut rng);
            let (mut c1, mut c2) = nsga2::sbx(
                &self.population[a].genes,
                &self.population[b].genes,
                crossover,
                &mut rng,
            );
            nsga2::polynomial_mutation(&mut c1, prob, &mut rng);
            nsga2::polynomial_mutation(&mut c2, prob, &mut rng);
            genes.push(c1);
            genes.push(c2);
        }
        genes.truncate(n);
        Some((Kind::Offspring, genes))
    }

    /// Takes the evaluations of the batch `next_batch` gave (same order).
    pub fn absorb(&mut self, kind: Kind, genes: Vec<Vec<f64>>, evals: Vec<Evaluation>) {
        assert_eq!(genes.len(), evals.len(), "one evaluation per candidate");
        let first = self.evaluated.len();
        let new: Vec<Member> = genes
            .into_iter()
            .zip(evals)
            .enumerate()
            .map(|(i, (genes, e))| Member {
                genes,
                objectives: e.objectives,
                violation: e.violation,
                id: first + i,
            })
            .collect();
        for m in &new {
            self.archive.add(m);
        }
        self.evaluated.extend(new.iter().cloned());
        match kind {
            Kind::Initial => self.population = new,
            Kind::Offspring => {
                let mut all = std::mem::take(&mut self.population);
                all.extend(new);
                let keep = nsga2::survivors(&all, self.target);
                self.population = keep.into_iter().map(|i| all[i].clone()).collect();
            }
            Kind::Restart => {
                let mut all = self.archive.members.clone();
                all.sort_by_key(|m| m.id);
                all.extend(new);
                self.target = all.len();
                self.population = all;
            }
        }
        self.history.push(GenerationRecord {
            generation: self.generation,
            kind,
            evaluations: self.evaluated.len(),
            population: self.population.len(),
            archive: self.archive.members.len(),
            progress: self.archive.progress,
        });
        self.generation += 1;
        self.restart_next = false;
        self.check_restart();
    }

    /// The result: the archive's members in order of evaluation (for
    /// NSGA-II with zero epsilons, every non-dominated feasible candidate
    /// ever evaluated).
    pub fn front(&self) -> Vec<Member> {
        let mut f = self.archive.members.clone();
        f.sort_by_key(|m| m.id);
        f
    }

    /// Runs a whole search with an evaluator (tests and toy problems).
    pub fn run(mut self, evaluate: &dyn Fn(&[Vec<f64>]) -> Vec<Evaluation>) -> Self {
        while let Some((kind, genes)) = self.next_batch() {
            let evals = evaluate(&genes);
            self.absorb(kind, genes, evals);
        }
        self
    }
}

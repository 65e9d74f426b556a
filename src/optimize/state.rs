//! A policy search's saved state and its shards' files: what `--resume`,
//! `--shard` and `--gather` exchange through a results folder. Every float
//! is kept as its 64 bits, so a resumed or sharded search replays to
//! exactly the numbers it stopped at. Pure codecs, bytes in and a typed
//! value or a typed error out: the optimize job reads and writes the files.

use super::Kind;
use super::score::{Score, WorldValues};
use super::study::Study;

/// What a state file must match to be resumed: the texts of the
/// optimization file and its base, the amendments (as JSON), the warm
/// start's text and the version.
pub fn identity(study: &Study, amendments_json: &str, warm: &str) -> String {
    crate::digest::sha256_hex(
        format!(
            "{}\0{}\0{}\0{}\0{}",
            study.source,
            study.base_source,
            amendments_json,
            warm,
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    )
}

/// A generation's kind as the state file and the tables name it.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Initial => "initial",
        Kind::Offspring => "offspring",
        Kind::Restart => "restart",
    }
}

/// Floats as their 64 bits.
pub fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Floats back from their 64 bits.
pub fn unbits(v: &[u64]) -> Vec<f64> {
    v.iter().map(|&x| f64::from_bits(x)).collect()
}

/// The saved search: every generation's kind, genes and scores, floats as
/// their 64 bits so a replay is exact.
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub identity: String,
    pub generations: Vec<SavedGeneration>,
    /// The references' per-world values on the search worlds,
    /// `[reference][metric][world]` (empty: not yet run).
    #[serde(default)]
    presets: Vec<Vec<Vec<u64>>>,
}

/// One generation of a saved search.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedGeneration {
    kind: String,
    /// Per candidate: genes, then objectives, then constraint measures.
    genes: Vec<Vec<u64>>,
    scores: Vec<Vec<u64>>,
}

impl SavedGeneration {
    /// A generation's candidates (genes) and their scores, to save.
    pub fn new(kind: Kind, genes: &[Vec<f64>], scores: &[Score]) -> Self {
        SavedGeneration {
            kind: kind_name(kind).into(),
            genes: genes.iter().map(|g| bits(g)).collect(),
            scores: scores
                .iter()
                .map(|(o, c)| bits(&o.iter().chain(c).copied().collect::<Vec<_>>()))
                .collect(),
        }
    }

    /// Whether this is the generation a replayed search asks for: the same
    /// kind and the same genes, bit for bit.
    pub fn replays(&self, kind: Kind, genes: &[Vec<f64>]) -> bool {
        self.kind == kind_name(kind) && self.genes == genes.iter().map(|g| bits(g)).collect::<Vec<_>>()
    }

    /// The saved scores, split after `objectives` numbers.
    pub fn scores(&self, objectives: usize) -> Vec<Score> {
        self.scores
            .iter()
            .map(|v| {
                let v = unbits(v);
                (v[..objectives].to_vec(), v[objectives..].to_vec())
            })
            .collect()
    }
}

impl State {
    /// A new search's state: no generation yet.
    pub fn new(identity: String) -> Self {
        State {
            identity,
            ..State::default()
        }
    }

    /// Whether the references' values are saved yet.
    pub fn has_presets(&self) -> bool {
        !self.presets.is_empty()
    }

    /// Saves the references' values, `[reference][metric][world]`.
    pub fn set_presets(&mut self, presets: &[WorldValues]) {
        self.presets = presets.iter().map(|p| p.iter().map(|m| bits(m)).collect()).collect();
    }

    /// The saved references' values, or `None` when they do not have the
    /// study's shape (`references` × `metrics` × `worlds`).
    pub fn presets(&self, references: usize, metrics: usize, worlds: usize) -> Option<Vec<WorldValues>> {
        let shaped = self.presets.len() == references
            && self
                .presets
                .iter()
                .all(|p| p.len() == metrics && p.iter().all(|m| m.len() == worlds));
        shaped.then(|| {
            self.presets
                .iter()
                .map(|p| p.iter().map(|m| unbits(m)).collect())
                .collect()
        })
    }
}

/// Why a state file cannot be resumed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StateError {
    #[error("not a policy search's state: {0}")]
    NotAState(String),
    /// Written for another optimization file, base, amendments or warm
    /// start (what to do about it depends on who reads it).
    #[error("written for another policy search")]
    Foreign,
}

/// The state file's bytes (JSON).
pub fn encode_state(state: &State) -> Vec<u8> {
    serde_json::to_vec(state).expect("state serialises")
}

/// A state file's bytes, which must be of the search `identity`.
pub fn decode_state(bytes: &[u8], identity: &str) -> Result<State, StateError> {
    let state: State = serde_json::from_slice(bytes).map_err(|e| StateError::NotAState(e.to_string()))?;
    if state.identity != identity {
        return Err(StateError::Foreign);
    }
    Ok(state)
}

/// The version of the shard file format.
const SHARD_FORMAT: &str = "tokenmaxx optimize shard 1";

/// A shard's work: per unit (candidate-world), each metric's value as its
/// 64 bits.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    format: String,
    pub identity: String,
    pub generation: usize,
    pub from: usize,
    pub to: usize,
    /// The candidate-worlds the generation needs in all.
    pub total: usize,
    pub seconds: f64,
    values: Vec<Vec<u64>>,
}

impl ShardFile {
    /// Units `from..to` of `total` of a generation, each unit's metrics.
    pub fn new(
        identity: String,
        generation: usize,
        (from, to, total): (usize, usize, usize),
        seconds: f64,
        values: &[Vec<f64>],
    ) -> Self {
        ShardFile {
            format: SHARD_FORMAT.into(),
            identity,
            generation,
            from,
            to,
            total,
            seconds,
            values: values.iter().map(|v| bits(v)).collect(),
        }
    }

    /// Each unit's metrics, in order from `from`.
    pub fn values(&self) -> Vec<Vec<f64>> {
        self.values.iter().map(|v| unbits(v)).collect()
    }
}

/// Why a shard file is refused at gather (never mixed in).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ShardError {
    #[error("not text: it was cut or edited")]
    NotText,
    #[error("differs from the SHA-256 it records: it was cut or edited after it was written")]
    Digest,
    #[error("not a shard: {0}")]
    NotAShard(String),
    #[error("written by another version of tokenmaxx")]
    Version,
    #[error("a shard of another policy search (another optimization file, base, amendments or warm start)")]
    Foreign,
    #[error("its contents do not match its name or this generation")]
    Shape,
}

/// A shard file: the shard as JSON on a line, then the SHA-256 of that
/// line, so that an edited or cut shard is refused at gather.
pub fn encode_shard(shard: &ShardFile) -> Vec<u8> {
    let mut text = serde_json::to_string(shard).expect("a shard serialises");
    text.push('\n');
    let digest = crate::digest::sha256_hex(text.as_bytes());
    text.push_str(&format!("sha256 {digest}\n"));
    text.into_bytes()
}

/// Reads a shard file named for units `from..to` of generation
/// `generation`, which must be of the search `identity`, fit a generation
/// of `total` units and hold `metrics` values per unit.
pub fn decode_shard(
    bytes: &[u8],
    identity: &str,
    (generation, from, to): (usize, usize, usize),
    total: usize,
    metrics: usize,
) -> Result<ShardFile, ShardError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ShardError::NotText)?;
    let body_end = text.rfind("\nsha256 ").map_or(0, |i| i + 1);
    let recorded = text[body_end..].strip_prefix("sha256 ").map(str::trim_end);
    if recorded != Some(crate::digest::sha256_hex(&text.as_bytes()[..body_end]).as_str()) {
        return Err(ShardError::Digest);
    }
    let shard: ShardFile = serde_json::from_str(&text[..body_end]).map_err(|e| ShardError::NotAShard(e.to_string()))?;
    if shard.format != SHARD_FORMAT {
        return Err(ShardError::Version);
    }
    if shard.identity != identity {
        return Err(ShardError::Foreign);
    }
    if (shard.generation, shard.from, shard.to) != (generation, from, to)
        || shard.total != total
        || to > total
        || shard.values.len() != to - from
        || shard.values.iter().any(|v| v.len() != metrics)
    {
        return Err(ShardError::Shape);
    }
    Ok(shard)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        let mut s = State::new("id".into());
        s.generations.push(SavedGeneration::new(
            Kind::Initial,
            &[vec![0.25, 1.0 / 3.0], vec![0.0, 1.0]],
            &[
                (vec![0.1 + 0.2, -1e300], vec![f64::INFINITY]),
                (vec![f64::NAN, 5.0], vec![0.0]),
            ],
        ));
        s.generations.push(SavedGeneration::new(
            Kind::Restart,
            &[vec![0.5, 0.5]],
            &[(vec![1.0, 2.0], vec![3.0])],
        ));
        s.set_presets(&[vec![vec![1.5, 2.5], vec![-0.0, 1e-310]]]);
        s
    }

    #[test]
    fn a_state_reads_back_to_the_same_bits() {
        let s = sample();
        let bytes = encode_state(&s);
        let back = decode_state(&bytes, "id").unwrap();
        assert_eq!(encode_state(&back), bytes);
        assert!(back.generations[0].replays(Kind::Initial, &[vec![0.25, 1.0 / 3.0], vec![0.0, 1.0]]));
        assert!(!back.generations[0].replays(Kind::Offspring, &[vec![0.25, 1.0 / 3.0], vec![0.0, 1.0]]));
        assert!(!back.generations[0].replays(Kind::Initial, &[vec![0.25, 1.0 / 3.0]]));
        let scores = back.generations[0].scores(2);
        assert_eq!(scores[0].0[0].to_bits(), (0.1f64 + 0.2).to_bits());
        assert_eq!(scores[0].1, vec![f64::INFINITY]);
        assert!(scores[1].0[0].is_nan());
        let presets = back.presets(1, 2, 2).unwrap();
        assert_eq!(presets[0][1][1], 1e-310);
        assert!(presets[0][1][0].is_sign_negative());
        // A state of another shape is no state of this study.
        assert_eq!(back.presets(2, 2, 2), None);
        assert_eq!(back.presets(1, 2, 3), None);
        // A state written before the references were saved reads too.
        let without: &[u8] = br#"{"identity":"id","generations":[]}"#;
        assert!(!decode_state(without, "id").unwrap().has_presets());
    }

    #[test]
    fn a_cut_edited_or_foreign_state_is_refused() {
        let bytes = encode_state(&sample());
        assert_eq!(decode_state(&bytes, "other"), Err(StateError::Foreign));
        assert!(matches!(
            decode_state(&bytes[..bytes.len() - 3], "id"),
            Err(StateError::NotAState(_))
        ));
        let edited = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen("\"kind\"", "\"kin\"", 1);
        assert!(matches!(
            decode_state(edited.as_bytes(), "id"),
            Err(StateError::NotAState(_))
        ));
    }

    fn shard() -> ShardFile {
        ShardFile::new(
            "id".into(),
            3,
            (4, 6, 10),
            0.75,
            &[vec![1.0 / 3.0, f64::NAN], vec![-2.0, f64::NEG_INFINITY]],
        )
    }

    #[test]
    fn a_shard_reads_back_to_the_same_bits() {
        let bytes = encode_shard(&shard());
        let back = decode_shard(&bytes, "id", (3, 4, 6), 10, 2).unwrap();
        assert_eq!(encode_shard(&back), bytes);
        let v = back.values();
        assert_eq!(v[0][0], 1.0 / 3.0);
        assert!(v[0][1].is_nan() && v[1][1] == f64::NEG_INFINITY);
        assert_eq!((back.generation, back.from, back.to, back.total), (3, 4, 6, 10));
    }

    #[test]
    fn a_cut_edited_foreign_or_misnamed_shard_is_refused() {
        let bytes = encode_shard(&shard());
        let decode = |b: &[u8], name: (usize, usize, usize), total: usize, metrics: usize| {
            decode_shard(b, "id", name, total, metrics).unwrap_err()
        };
        assert_eq!(decode(&bytes[..bytes.len() / 2], (3, 4, 6), 10, 2), ShardError::Digest);
        let text = String::from_utf8(bytes.clone()).unwrap();
        let edited = text.replacen("\"generation\":3", "\"generation\":4", 1);
        assert_eq!(decode(edited.as_bytes(), (3, 4, 6), 10, 2), ShardError::Digest);
        assert_eq!(decode(&[0xff, 0xfe], (3, 4, 6), 10, 2), ShardError::NotText);
        let foreign = encode_shard(&ShardFile {
            identity: "other".into(),
            ..shard()
        });
        assert_eq!(decode(&foreign, (3, 4, 6), 10, 2), ShardError::Foreign);
        let old = encode_shard(&ShardFile {
            format: "tokenmaxx optimize shard 0".into(),
            ..shard()
        });
        assert_eq!(decode(&old, (3, 4, 6), 10, 2), ShardError::Version);
        assert_eq!(decode(&bytes, (3, 4, 7), 10, 2), ShardError::Shape);
        assert_eq!(decode(&bytes, (2, 4, 6), 10, 2), ShardError::Shape);
        assert_eq!(decode(&bytes, (3, 4, 6), 12, 2), ShardError::Shape);
        assert_eq!(decode(&bytes, (3, 4, 6), 10, 3), ShardError::Shape);
        // Re-signed but not a shard.
        let body = "{\"format\":1}\n";
        let signed = format!("{body}sha256 {}\n", crate::digest::sha256_hex(body.as_bytes()));
        assert!(matches!(
            decode(signed.as_bytes(), (3, 4, 6), 10, 2),
            ShardError::NotAShard(_)
        ));
    }
}

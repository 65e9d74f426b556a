//! A calibration's saved state and its shards' files: what `--resume`,
//! `--shard` and `--gather` exchange through a results folder. Every float
//! is written as its 64 bits in hex, so a resumed or sharded calibration
//! continues from exactly the numbers it stopped at. Pure text codecs: the
//! calibrate job reads and writes the files.

use super::{Problem, abc};

/// What a state file must match to be resumed: the evidence and base texts
/// and every setting that changes the draws.
pub fn identity(problem: &Problem) -> String {
    let ev = &problem.evidence;
    crate::digest::sha256_hex(
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            ev.source, ev.base_source, ev.particles, ev.seed, ev.replicates, ev.quantile
        )
        .as_bytes(),
    )
}

/// A calibration's state between runs: the finished generations with their
/// wall seconds, and the generation being filled with its seconds so far.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct State {
    pub gens: Vec<abc::Generation>,
    pub walls: Vec<f64>,
    pub open: Option<abc::Open>,
    pub open_wall: f64,
}

/// A float as its 64 bits in hex: read back to exactly the same number.
pub(crate) fn bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

pub(crate) fn unbits(t: &str) -> Result<f64, String> {
    u64::from_str_radix(t, 16)
        .map(f64::from_bits)
        .map_err(|_| format!("`{t}` is not a number"))
}

fn count(t: &str) -> Result<usize, String> {
    t.parse().map_err(|_| format!("`{t}` is not a count"))
}

fn encode_particle(p: &abc::Particle) -> String {
    let theta: Vec<String> = p.theta.iter().map(|&x| bits(x)).collect();
    let stats: Vec<String> = p.stats.iter().map(|&x| bits(x)).collect();
    format!(
        "particle {} {} {} {} | {}\n",
        p.proposal,
        bits(p.weight),
        bits(p.distance),
        theta.join(" "),
        stats.join(" ")
    )
}

fn decode_particle(words: &[&str], n_params: usize) -> Result<abc::Particle, String> {
    if words[4 + n_params] != "|" {
        return Err("malformed particle".into());
    }
    Ok(abc::Particle {
        proposal: count(words[1])? as u64,
        weight: unbits(words[2])?,
        distance: unbits(words[3])?,
        theta: words[4..4 + n_params]
            .iter()
            .map(|t| unbits(t))
            .collect::<Result<_, _>>()?,
        stats: words[5 + n_params..]
            .iter()
            .map(|t| unbits(t))
            .collect::<Result<_, _>>()?,
    })
}

/// The state file: a header with the identity, then per generation a line
/// of its numbers and a line per particle, then the open generation (its
/// next proposal, seconds so far, and the particles accepted so far), every
/// float as its 64 bits in hex so that a resumed calibration continues from
/// exactly the same numbers.
pub fn encode(
    identity: &str,
    gens: &[abc::Generation],
    walls: &[f64],
    open: Option<&abc::Open>,
    open_wall: f64,
) -> String {
    let mut s = format!("tokenmaxx calibrate state 2\n{identity}\n");
    for (g, w) in gens.iter().zip(walls) {
        s.push_str(&format!(
            "generation {} {} {} {} {} {}\n",
            g.index,
            bits(g.epsilon),
            g.proposed,
            g.accepted,
            bits(g.ess),
            bits(*w)
        ));
        for p in &g.particles {
            s.push_str(&encode_particle(p));
        }
    }
    if let Some(o) = open {
        s.push_str(&format!("open {} {} {}\n", o.index, o.next, bits(open_wall)));
        for p in &o.accepted {
            s.push_str(&encode_particle(p));
        }
    }
    s.push_str("end\n");
    s
}

pub fn decode(text: &str, identity: &str, n_params: usize, n_targets: usize) -> Result<State, String> {
    let mut lines = text.lines();
    if lines.next() != Some("tokenmaxx calibrate state 2") {
        return Err("not a calibration state file of this tokenmaxx".into());
    }
    if lines.next() != Some(identity) {
        return Err(
            "it was written for another evidence file, base scenario or settings: run without --resume (and with --force) to start over"
                .into(),
        );
    }
    let mut state = State::default();
    let mut ended = false;
    for (i, line) in lines.enumerate() {
        let bad = |m: String| format!("line {}: {m}", i + 3);
        if ended {
            return Err(bad("text after the end".into()));
        }
        let words: Vec<&str> = line.split(' ').collect();
        match words.first() {
            Some(&"generation") if words.len() == 7 && state.open.is_none() => {
                let g = abc::Generation {
                    index: count(words[1]).map_err(bad)?,
                    epsilon: unbits(words[2]).map_err(bad)?,
                    proposed: count(words[3]).map_err(bad)?,
                    accepted: count(words[4]).map_err(bad)?,
                    ess: unbits(words[5]).map_err(bad)?,
                    particles: Vec::new(),
                };
                if g.index != state.gens.len() {
                    return Err(bad(format!("generation {} out of order", g.index)));
                }
                state.gens.push(g);
                state.walls.push(unbits(words[6]).map_err(bad)?);
            }
            Some(&"open") if words.len() == 4 && state.open.is_none() => {
                let index = count(words[1]).map_err(bad)?;
                if index != state.gens.len() {
                    return Err(bad(format!("open generation {index} out of order")));
                }
                state.open = Some(abc::Open {
                    index,
                    next: count(words[2]).map_err(bad)? as u64,
                    accepted: Vec::new(),
                });
                state.open_wall = unbits(words[3]).map_err(bad)?;
            }
            Some(&"particle") if words.len() == 4 + n_params + 1 + n_targets => {
                let p = decode_particle(&words, n_params).map_err(bad)?;
                match (state.open.as_mut(), state.gens.last_mut()) {
                    (Some(o), _) => o.accepted.push(p),
                    (None, Some(g)) => g.particles.push(p),
                    (None, None) => return Err(bad("a particle before any generation".into())),
                }
            }
            Some(&"end") if words.len() == 1 => ended = true,
            _ => return Err(bad("malformed line".into())),
        }
    }
    if !ended {
        return Err("the file was cut (no end line)".into());
    }
    for g in &state.gens {
        if g.particles.len() != g.accepted {
            return Err(format!(
                "generation {} has {} particles, its header says {}: the file was cut",
                g.index,
                g.particles.len(),
                g.accepted
            ));
        }
    }
    Ok(state)
}

/// The first line of a shard file, with the format's version.
const SHARD_HEADER: &str = "tokenmaxx calibrate shard 2";

/// What one shard simulated: proposals `from..to` of generation
/// `generation`, in `seconds` of wall time.
#[derive(Debug, Clone)]
pub struct Shard {
    pub generation: usize,
    pub from: u64,
    pub to: u64,
    pub seconds: f64,
    pub results: Vec<abc::Proposal>,
}

/// The proposals shard `index` of `n` takes from a batch: contiguous
/// slices that together cover it, in order.
pub fn shard_slice(batch: std::ops::Range<u64>, index: usize, n: usize) -> std::ops::Range<u64> {
    let len = batch.end - batch.start;
    let at = |i: u64| batch.start + len * i / n as u64;
    at(index as u64)..at(index as u64 + 1)
}

/// A shard file: a header (format, the calibration's identity, the
/// version, generation, range and seconds), a line per proposal, an end
/// line, and the SHA-256 of everything before it, so that a cut or edited
/// shard is refused at gather.
pub fn encode_shard(identity: &str, shard: &Shard) -> String {
    let mut s = format!(
        "{SHARD_HEADER}\n{identity}\n{}\n{} {} {} {}\n",
        env!("CARGO_PKG_VERSION"),
        shard.generation,
        shard.from,
        shard.to,
        bits(shard.seconds)
    );
    for (k, theta, sim) in &shard.results {
        let theta: Vec<String> = theta.iter().map(|&x| bits(x)).collect();
        let stats: Vec<String> = sim.stats.iter().map(|&x| bits(x)).collect();
        s.push_str(&format!(
            "{k} {} {} | {}\n",
            bits(sim.distance),
            theta.join(" "),
            stats.join(" ")
        ));
    }
    s.push_str("end\n");
    let digest = crate::digest::sha256_hex(s.as_bytes());
    s.push_str(&format!("sha256 {digest}\n"));
    s
}

/// Reads a shard file of generation `generation` covering `from..to` (as
/// its name says) for the calibration `identity` of `n_params` parameters
/// and `n_targets` targets. The error says what is wrong with it.
pub fn decode_shard(
    text: &str,
    identity: &str,
    (generation, from, to): (usize, u64, u64),
    n_params: usize,
    n_targets: usize,
) -> Result<Shard, String> {
    let body_end = text.rfind("end\n").map(|i| i + 4).unwrap_or(0);
    let recorded = text[body_end..].strip_prefix("sha256 ").map(str::trim_end);
    if recorded != Some(crate::digest::sha256_hex(&text.as_bytes()[..body_end]).as_str()) {
        return Err("differs from the SHA-256 it records: it was cut or edited after it was written".into());
    }
    let mut lines = text[..body_end].lines();
    if lines.next() != Some(SHARD_HEADER) || lines.next() != Some(identity) {
        return Err("not a shard of this calibration (another evidence file or settings)".into());
    }
    if lines.next() != Some(env!("CARGO_PKG_VERSION")) {
        return Err("written by another version of tokenmaxx".into());
    }
    let head: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
    let seconds = match head[..] {
        [g, a, b, w] if g.parse() == Ok(generation) && a.parse() == Ok(from) && b.parse() == Ok(to) => unbits(w)?,
        _ => return Err("its header does not match its name".into()),
    };
    let mut results = Vec::new();
    let mut ended = false;
    for line in lines {
        if line == "end" {
            ended = true;
            break;
        }
        let w: Vec<&str> = line.split(' ').collect();
        if w.len() != 2 + n_params + 1 + n_targets || w[2 + n_params] != "|" {
            return Err("a malformed line".into());
        }
        let k: u64 = w[0].parse().map_err(|_| "a malformed proposal index".to_string())?;
        let theta: Vec<f64> = w[2..2 + n_params].iter().map(|t| unbits(t)).collect::<Result<_, _>>()?;
        let stats: Vec<f64> = w[3 + n_params..].iter().map(|t| unbits(t)).collect::<Result<_, _>>()?;
        let distance = unbits(w[1])?;
        results.push((k, theta, abc::Simulated { stats, distance }));
    }
    if !ended || !results.iter().map(|r| r.0).eq(from..to) {
        return Err("it was cut or edited (its proposals do not cover its range)".into());
    }
    Ok(Shard {
        generation,
        from,
        to,
        seconds,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn particle(k: u64, x: f64) -> abc::Particle {
        abc::Particle {
            theta: vec![x, -x / 3.0],
            weight: 1.0 / 3.0,
            distance: x.sqrt(),
            stats: vec![x * 1e9, f64::NAN, 0.1 + 0.2],
            proposal: k,
        }
    }

    fn generation(index: usize, epsilon: f64, n: usize) -> abc::Generation {
        abc::Generation {
            index,
            epsilon,
            proposed: 7 * n,
            accepted: n,
            ess: n as f64 * 0.7,
            particles: (0..n as u64).map(|k| particle(k * 5, k as f64 + 0.5)).collect(),
        }
    }

    fn sample() -> State {
        State {
            gens: vec![generation(0, f64::INFINITY, 3), generation(1, 2.25, 3)],
            walls: vec![1.5, 0.1 + 0.2],
            open: Some(abc::Open {
                index: 2,
                next: 41,
                accepted: vec![particle(40, 1e-300)],
            }),
            open_wall: 0.75,
        }
    }

    fn encoded(s: &State) -> String {
        encode("id", &s.gens, &s.walls, s.open.as_ref(), s.open_wall)
    }

    #[test]
    fn a_state_reads_back_to_the_same_bits() {
        let s = sample();
        let text = encoded(&s);
        let back = decode(&text, "id", 2, 3).unwrap();
        // NaN statistics compare unequal, so compare the written bits.
        assert_eq!(encoded(&back), text);
        assert_eq!(back.gens.len(), 2);
        assert_eq!(back.gens[1].particles[2].theta, s.gens[1].particles[2].theta);
        assert_eq!(back.walls[1].to_bits(), (0.1f64 + 0.2).to_bits());
        assert_eq!(back.open.as_ref().unwrap().accepted[0].theta[0], 1e-300);
        assert!(back.gens[0].epsilon.is_infinite());
        // Without an open generation too.
        let closed = State { open: None, open_wall: 0.0, ..s };
        assert_eq!(encoded(&decode(&encoded(&closed), "id", 2, 3).unwrap()), encoded(&closed));
    }

    #[test]
    fn a_cut_edited_or_foreign_state_is_refused_with_its_reason() {
        let text = encoded(&sample());
        let refused = |t: &str, why: &str| {
            let e = decode(t, "id", 2, 3).unwrap_err();
            assert!(e.contains(why), "{e}");
        };
        refused(&text[..text.len() - 4], "no end line");
        refused(&text.replace("end\n", "end\nmore\n"), "text after the end");
        refused(&text.replace("\nid\n", "\nother\n"), "another evidence file");
        refused(&text.replacen("tokenmaxx calibrate state 2", "tokenmaxx calibrate state 1", 1), "not a calibration state");
        refused(&text.replacen("generation 1 ", "generation 5 ", 1), "out of order");
        // A particle line cut short is malformed; a generation missing one is cut.
        let lines: Vec<&str> = text.lines().collect();
        let without = |i: usize| {
            let mut l = lines.clone();
            l.remove(i);
            l.join("\n") + "\n"
        };
        refused(&without(3), "has 2 particles, its header says 3");
        refused(&text.replacen(" | ", " ", 1), "malformed");
        refused(&text.replacen("particle 0 ", "particle x ", 1), "not a count");
        // Two parameters expected, three found: the line does not fit.
        assert!(decode(&text, "id", 3, 3).is_err());
    }

    fn shard() -> Shard {
        Shard {
            generation: 2,
            from: 10,
            to: 13,
            seconds: 4.5,
            results: (10..13)
                .map(|k| {
                    let p = particle(k, k as f64);
                    (
                        k,
                        p.theta,
                        abc::Simulated {
                            stats: p.stats,
                            distance: if k == 11 { f64::INFINITY } else { p.distance },
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn a_shard_reads_back_to_the_same_bits() {
        let text = encode_shard("id", &shard());
        let back = decode_shard(&text, "id", (2, 10, 13), 2, 3).unwrap();
        assert_eq!(encode_shard("id", &back), text);
        assert_eq!(back.results.len(), 3);
        assert!(back.results[1].2.distance.is_infinite());
        assert_eq!(back.seconds, 4.5);
    }

    #[test]
    fn a_cut_edited_or_misnamed_shard_is_refused_with_its_reason() {
        let text = encode_shard("id", &shard());
        let refused = |t: &str, range: (usize, u64, u64), why: &str| {
            let e = decode_shard(t, "id", range, 2, 3).unwrap_err();
            assert!(e.contains(why), "{e}");
        };
        refused(&text[..text.len() / 2], (2, 10, 13), "SHA-256");
        refused(&text.replacen("10 ", "19 ", 1), (2, 10, 13), "SHA-256");
        refused(&text, (2, 10, 14), "does not match its name");
        refused(&text, (3, 10, 13), "does not match its name");
        let foreign = encode_shard("other", &shard());
        refused(&foreign, (2, 10, 13), "not a shard of this calibration");
        // A shard whose lines skip a proposal, re-signed: still refused.
        let mut gap = shard();
        gap.results.remove(1);
        refused(&encode_shard("id", &gap), (2, 10, 13), "do not cover its range");
    }

    #[test]
    fn shard_slices_cover_a_batch_in_order_without_overlap() {
        for n in 1..9 {
            for batch in [0..0, 5..6, 3..40, 100..117] {
                let slices: Vec<_> = (0..n).map(|i| shard_slice(batch.clone(), i, n)).collect();
                assert_eq!(slices[0].start, batch.start);
                assert_eq!(slices[n - 1].end, batch.end);
                assert!(slices.windows(2).all(|w| w[0].end == w[1].start));
            }
        }
    }
}

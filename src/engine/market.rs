//! The market between enterprises: imitation of peers (the meme spreading
//! through visible signals) and the labs' evangelism pushing leadership
//! toward reading usage as success.

use super::enterprise::Enterprise;
use crate::model::Config;
use rand::RngExt;

/// What peers see of an enterprise at a renewal.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub lambda: f64,
    pub policy: usize,
    /// Its usage-growth signal (already bounded by the contract's signal bound).
    pub visible_growth: f64,
    /// Its reported return: ln measured ROI, bounded alike.
    pub visible_roi: f64,
}

/// Every enterprise as peers see it, taken before anyone renews.
pub fn snapshot(ents: &[Enterprise]) -> Vec<Peer> {
    ents.iter()
        .map(|e| Peer {
            lambda: e.lambda,
            policy: e.policy,
            visible_growth: e.visible_growth,
            visible_roi: e.visible_roi,
        })
        .collect()
}

/// With probability `imitation_rate`, enterprise `me` copies a peer's
/// reading of usage and (unless its policy is fixed by the scenario) its
/// policy, peers with a better visible signal being likelier models:
/// weights e^(imitation_beta · signal), the signal being
/// (1 − ω) · spend growth + ω · ln reported ROI, ω = `imitation_roi_weight`.
pub fn imitate(cfg: &Config, e: &mut Enterprise, me: usize, peers: &[Peer]) {
    if peers.len() <= 1 || cfg.market.imitation_rate <= 0.0 || e.rng.random::<f64>() >= cfg.market.imitation_rate {
        return;
    }
    let weights: Vec<f64> = peers
        .iter()
        .enumerate()
        .map(|(j, p)| {
            if j == me {
                0.0
            } else {
                let omega = cfg.market.imitation_roi_weight;
                (cfg.market.imitation_beta * ((1.0 - omega) * p.visible_growth + omega * p.visible_roi)).exp()
            }
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut u = e.rng.random::<f64>() * total;
    let mut pick = weights.len() - 1;
    for (j, w) in weights.iter().enumerate() {
        if u < *w {
            pick = j;
            break;
        }
        u -= w;
    }
    e.lambda = peers[pick].lambda;
    if e.spec.policy.is_none() {
        e.policy = peers[pick].policy;
    }
}

/// The lab's adoption programmes push leadership toward usage: λ moves
/// `evangelism` of the way to 1 each renewal.
pub fn evangelise(e: &mut Enterprise) {
    e.lambda += e.lab.evangelism * (1.0 - e.lambda);
}

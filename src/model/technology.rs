//! Technology paths: over a run the price of a given capability falls and
//! capability rises (Epoch AI: a fixed capability's price fell 9-900x a year;
//! a16z: ~10x). The path moves a lab's model tiers in steps of
//! [`Technology::PERIOD_WEEKS`]; the engine rebuilds its option table at each
//! step, so employees choose from today's prices. Pure functions.

use super::{Lab, Technology};

/// A lab's model tiers at `week`: list prices divided by
/// `price_fall_per_year^(week / 52)`, and each tier's gap between
/// capability and 1 shrunk by `(1 − capability_gain_per_year)^(week / 52)`.
/// `now` must be a copy of `base` (only its models' prices and capabilities
/// are written).
pub fn lab_at(base: &Lab, tech: &Technology, week: u32, now: &mut Lab) {
    let years = f64::from(week) / 52.0;
    let price = tech.price_fall_per_year.powf(-years);
    let gap = (1.0 - tech.capability_gain_per_year).powf(years);
    for (m, b) in now.models.iter_mut().zip(&base.models) {
        m.price_in = b.price_in * price;
        m.price_out = b.price_out * price;
        m.capability = 1.0 - (1.0 - b.capability) * gap;
    }
}

/// Whether the path takes a step at the start of `week`.
pub fn steps_at(tech: &Technology, week: u32) -> bool {
    week > 0 && tech.moves() && week.is_multiple_of(Technology::PERIOD_WEEKS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelTier;

    fn lab() -> Lab {
        Lab {
            name: "l".into(),
            breakage: 1.0,
            evangelism: 0.0,
            serving_cost_share: 0.45,
            discount_tiers: vec![],
            models: vec![ModelTier {
                name: "m".into(),
                price_in: 5.0,
                price_out: 25.0,
                capability: 0.55,
                reliability: 1.0,
            }],
        }
    }

    #[test]
    fn a_price_path_by_hand() {
        // 10x a year: after half a year (week 26) prices are 1/sqrt(10) of
        // list; capability gaining 0.19 a year closes 1 - sqrt(0.81) = 10 %
        // of its gap: 1 - 0.45 x 0.9 = 0.595.
        let tech = Technology {
            price_fall_per_year: 10.0,
            capability_gain_per_year: 0.19,
        };
        let base = lab();
        let mut now = base.clone();
        lab_at(&base, &tech, 26, &mut now);
        assert!((now.models[0].price_in - 5.0 / 10f64.sqrt()).abs() < 1e-12);
        assert!((now.models[0].price_out - 25.0 / 10f64.sqrt()).abs() < 1e-12);
        assert!((now.models[0].capability - 0.595).abs() < 1e-12);
        // A whole year: a tenth of list.
        lab_at(&base, &tech, 52, &mut now);
        assert!((now.models[0].price_in - 0.5).abs() < 1e-12);
    }

    #[test]
    fn steps_every_quarter_only_when_the_path_moves() {
        let still = Technology {
            price_fall_per_year: 1.0,
            capability_gain_per_year: 0.0,
        };
        assert!(!steps_at(&still, 13));
        let moving = Technology {
            price_fall_per_year: 2.0,
            capability_gain_per_year: 0.0,
        };
        assert!(!steps_at(&moving, 0) && steps_at(&moving, 13) && !steps_at(&moving, 14) && steps_at(&moving, 26));
    }
}

//! Random streams: every run, enterprise and employee draws from its own
//! portable generator, seeded from (master seed, ids), never from a thread
//! or from the order in which work finishes.

use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator of every stream: portable (its output is fixed by its
/// algorithm, not by a crate release), small and fast.
pub type Rng = Xoshiro256PlusPlus;

/// Mixes a seed and two indices into one 64-bit stream seed (SplitMix64's
/// finaliser over a sum with odd multipliers): distinct (seed, a, b) give
/// unrelated streams.
pub fn stream_seed(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed
        .wrapping_add(a.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(b.wrapping_mul(0xD1B5_4A32_D192_ED03))
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

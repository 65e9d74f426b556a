//! Records, for the run manifest, the build target and the exact versions of
//! the crates that decide random draws (read from Cargo.lock).

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=TOKENMAXX_TARGET={target}");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut found = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take())
            && ["rand", "rand_core", "rand_distr", "rand_xoshiro"].contains(&n.as_str())
        {
            found.push(format!("{n}={}", v.trim_matches('"')));
        }
    }
    println!("cargo:rustc-env=TOKENMAXX_RNG_CRATES={}", found.join(","));
}

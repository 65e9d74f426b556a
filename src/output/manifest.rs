//! The manifest every results folder ends with: what every manifest records
//! (tool, version, command, build target, versions of the RNG crates) around
//! each job's own fields.

/// The crates whose versions decide random draws, as recorded at build time.
pub fn rng_crates() -> serde_json::Value {
    env!("TOKENMAXX_RNG_CRATES")
        .split(',')
        .filter_map(|s| s.split_once('='))
        .map(|(n, v)| (n.to_string(), serde_json::Value::String(v.to_string())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// A manifest's JSON: the given fields plus what every manifest records
/// (tool, version, command, build target, versions of the RNG crates).
pub fn manifest_bytes(command: &str, fields: serde_json::Value) -> Vec<u8> {
    let mut m = match fields {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    m.insert("tool".into(), "tokenmaxx".into());
    m.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    m.insert("command".into(), command.into());
    m.insert("target".into(), target().into());
    m.insert("rng_crates".into(), rng_crates());
    let mut bytes = serde_json::to_vec_pretty(&serde_json::Value::Object(m)).expect("JSON serialises");
    bytes.push(b'\n');
    bytes
}

/// The build target triple.
pub fn target() -> &'static str {
    env!("TOKENMAXX_TARGET")
}

//! "Did you mean": the valid name nearest to a misspelt one, for the error
//! messages of scenario, sweep and evidence files and of `--set`.

/// `; did you mean `x`?` for the candidate nearest to `name` by edit
/// distance, when it is near enough (at most 2 edits, or a third of the
/// longer name's length: `frontier` for `frontier_lab`); otherwise empty.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let reach = |c: &str| 2.max(name.chars().count().max(c.chars().count()) / 3);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::levenshtein(c, name), c))
        .filter(|(d, c)| *d <= reach(c))
        .min()
        .map_or(String::new(), |(_, c)| format!("; did you mean `{c}`?"))
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or an unknown
/// variant, or "expected `a` or `b`") with the nearest expected name
/// suggested; any other message as it is.
pub fn with_suggestion(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return message.to_string();
    };
    let Some((name, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let Some((_, names)) = expected.split_once("expected") else {
        return message.to_string();
    };
    // The expected names are the backquoted words after "expected".
    let candidates: Vec<&str> = names.split('`').skip(1).step_by(2).collect();
    format!("{message}{}", did_you_mean(name, candidates))
}

/// A TOML syntax error in `source` as a message, with a hint for a
/// common slip on its line: a number written with thousands separators.
pub fn syntax_message(e: &toml::de::Error, source: &str) -> String {
    let mut message = format!("TOML syntax error: {}", e.message().trim());
    let line = e.span().map_or("", |span| {
        let start = source[..span.start.min(source.len())].rfind('\n').map_or(0, |i| i + 1);
        source[start..].lines().next().unwrap_or("")
    });
    if let Some((_, value)) = line.split_once('=') {
        let value = value.split('#').next().unwrap_or("").trim();
        let number_like = value.starts_with(|c: char| c.is_ascii_digit() || c == '-')
            && value.chars().all(|c| c.is_ascii_digit() || ",._-".contains(c));
        if number_like && value.contains(',') {
            message.push_str(&format!(
                "; numbers take no thousands separators: write `{}` or `{}`",
                value.replace(',', ""),
                value.replace(',', "_")
            ));
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_name_is_suggested_only_when_near() {
        assert_eq!(
            did_you_mean("laissez_fair", ["usage_leaderboard", "laissez_faire"]),
            "; did you mean `laissez_faire`?"
        );
        assert_eq!(did_you_mean("zzz", ["usage_leaderboard", "laissez_faire"]), "");
    }

    #[test]
    fn serde_messages_get_a_suggestion() {
        let m = "unknown field `replicats`, expected one of `name`, `design`, `replicates`, `seed`";
        assert_eq!(with_suggestion(m), format!("{m}; did you mean `replicates`?"));
        let m = "unknown variant `gird`, expected `grid` or `random`";
        assert_eq!(with_suggestion(m), format!("{m}; did you mean `grid`?"));
        assert_eq!(with_suggestion("invalid type: string"), "invalid type: string");
    }

    #[test]
    fn a_thousands_separator_gets_a_hint() {
        let source = "name = \"x\"\n[enterprises.acme]\nemployees = 5,000\n";
        let e = toml::from_str::<toml::Table>(source).unwrap_err();
        let m = syntax_message(&e, source);
        assert!(m.contains("write `5000` or `5_000`"), "{m}");
        let source = "a = [1, 2\n";
        let e = toml::from_str::<toml::Table>(source).unwrap_err();
        assert!(!syntax_message(&e, source).contains("separators"));
    }
}

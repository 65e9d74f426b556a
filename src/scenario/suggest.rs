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
/// common slip on its line: a number written with thousands separators,
/// or with a unit or symbol (`52 weeks`, `5M`, `$5000`, `20%`).
pub fn syntax_message(e: &toml::de::Error, source: &str) -> String {
    let mut message = format!("TOML syntax error: {}", e.message().trim());
    let start = e.span().map_or(0, |span| {
        source[..span.start.min(source.len())].rfind('\n').map_or(0, |i| i + 1)
    });
    let line = if e.span().is_some() {
        source[start..].lines().next().unwrap_or("")
    } else {
        ""
    };
    if let Some((key, value)) = line.split_once('=') {
        let value = value.split('#').next().unwrap_or("").trim();
        let number_like = value.starts_with(|c: char| c.is_ascii_digit() || c == '-')
            && value.chars().all(|c| c.is_ascii_digit() || ",._-".contains(c));
        if number_like && value.contains(',') {
            message.push_str(&format!(
                "; numbers take no thousands separators: write `{}` or `{}`",
                value.replace(',', ""),
                value.replace(',', "_")
            ));
        } else if let Some(plain) = without_unit(value) {
            let key = dotted_key(&source[..start], key.trim());
            let unit = super::labels::unit_of(&key).map_or(String::new(), |u| format!(" (`{key}` is in {u})"));
            message.push_str(&format!(
                "; a number takes no unit or symbol: write the plain number `{plain}`{unit}"
            ));
        }
    }
    message
}

/// The plain number a value written with a unit or symbol means: `52 weeks`
/// → `52`, `5M` → `5_000_000`, `$5,000` → `5000`, `20%` → `0.2`; None for
/// anything else.
fn without_unit(value: &str) -> Option<String> {
    let (sign, rest) = match value.strip_prefix('-') {
        Some(r) => ("-", r.trim_start()),
        None => ("", value),
    };
    let dollar = rest.starts_with('$');
    let rest = rest.trim_start_matches('$').trim_start();
    let digits = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_' || c == ','))
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at(digits);
    let unit = unit.trim();
    let number = number.replace([',', '_'], "");
    let x: f64 = number.parse().ok().filter(|x: &f64| x.is_finite())?;
    if !number.starts_with(|c: char| c.is_ascii_digit()) || (!dollar && unit.is_empty()) {
        return None;
    }
    let unit_ok = unit.is_empty() || unit == "%" || unit.chars().all(|c| c.is_alphabetic() || c == '/' || c == ' ');
    if !unit_ok {
        return None;
    }
    let scale = match unit {
        "k" | "K" => 1e3,
        "M" | "m" | "mn" => 1e6,
        "B" | "bn" => 1e9,
        "%" => 0.01,
        _ => 1.0,
    };
    let plain = if scale == 1.0 {
        number
    } else {
        let v = x * scale;
        if v.fract() == 0.0 && v.abs() < 1e15 {
            grouped(v as i64)
        } else {
            crate::human::significant(v, 6)
        }
    };
    Some(format!("{sign}{plain}"))
}

/// A whole number with `_` between groups of three digits above 9999.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    if digits.len() <= 4 {
        return n.to_string();
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The dotted key `key` sets when written after `before`: under the last
/// `[table]` header of `before` (an array of tables' header too).
fn dotted_key(before: &str, key: &str) -> String {
    let header = before.lines().rev().map(str::trim).find_map(|l| {
        let l = l.split('#').next().unwrap_or("").trim();
        l.strip_prefix("[[")
            .and_then(|h| h.strip_suffix("]]"))
            .or_else(|| l.strip_prefix('[').and_then(|h| h.strip_suffix(']')))
    });
    let key = key.trim_matches('"');
    match header {
        Some(h) => format!("{}.{key}", h.trim()),
        None => key.to_string(),
    }
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

    /// Each slip with the plain number its hint proposes.
    #[test]
    fn a_unit_after_a_number_gets_a_hint_with_the_plain_number() {
        for (line, plain) in [
            ("weeks = 52 weeks", "`52` (`weeks` is in weeks)"),
            ("weeks = 5M", "`5_000_000`"),
            ("weeks = $5000", "`5000`"),
            ("weeks = $5,000", "`5000`"),
            ("weeks = 1.5k", "`1500`"),
            ("weeks = -2.5M", "`-2_500_000`"),
        ] {
            let source = format!("name = \"x\"\n{line}\n");
            let e = toml::from_str::<toml::Table>(&source).unwrap_err();
            let m = syntax_message(&e, &source);
            assert!(m.contains(&format!("write the plain number {plain}")), "{line}: {m}");
        }
        let source = "[employees]\nengineer_share = 20%\n";
        let e = toml::from_str::<toml::Table>(source).unwrap_err();
        let m = syntax_message(&e, source);
        assert!(
            m.contains("write the plain number `0.2` (`employees.engineer_share` is in share)"),
            "{m}"
        );
        // Not a number with a unit: no hint.
        for source in ["a = hello\n", "a = 5 6\n", "a = \"x\" y\n", "a = 5$\n"] {
            let e = toml::from_str::<toml::Table>(source).unwrap_err();
            assert!(!syntax_message(&e, source).contains("plain number"), "{source}");
        }
    }
}

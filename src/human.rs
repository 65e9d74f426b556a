//! Numbers and words for people: money, counts with their plural, and
//! numbers to a few significant digits, the one way every console line,
//! summary, report and chart writes them (CSV files keep every digit). The
//! bottom layer: it imports nothing of the crate, so the analyses in
//! [`crate::experiment`] can word their findings with it.

/// Money for people, the one formatter of every text and chart (console,
/// summary.md, reports, chart titles and axes): compactly, the sign before
/// the dollar, an ASCII hyphen-minus (as CSVs and terminals write it):
/// `$1.2B`, `$3.4M`, `-$1.65M`, `$560k`, `$12`.
pub fn money(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    if a >= 1e9 {
        format!("{sign}${}B", trim(a / 1e9))
    } else if a >= 1e6 {
        format!("{sign}${}M", trim(a / 1e6))
    } else if a >= 1e3 {
        format!("{sign}${}k", trim(a / 1e3))
    } else {
        format!("{sign}${}", trim(a))
    }
}

/// A positive number rounded for a label: three significant digits at
/// most below 1000, trailing zeros dropped.
pub fn trim(x: f64) -> String {
    let s = if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `n` and `noun`, the noun in the plural unless `n` is 1 — the one plural
/// rule for text people read: `count(1, "replicate")` → `1 replicate`,
/// `count(3, "policy")` → `3 policies`, `count(0, "run")` → `0 runs`.
pub fn count(n: impl std::fmt::Display, noun: &str) -> String {
    let n = n.to_string();
    if n == "1" {
        return format!("{n} {noun}");
    }
    let consonant_y = noun.len() > 1
        && noun.ends_with('y')
        && !matches!(noun.as_bytes()[noun.len() - 2], b'a' | b'e' | b'i' | b'o' | b'u');
    if consonant_y {
        format!("{n} {}ies", &noun[..noun.len() - 1])
    } else {
        format!("{n} {noun}s")
    }
}

/// A number to `digits` significant digits, trailing zeros dropped
/// (`0.2333333333333333` → `0.2333`, `2.0999999999999996` → `2.1`,
/// `123456` → `123500`), for people to read: tables printed to the
/// console and reports, never a CSV (which keeps every digit).
pub fn significant(x: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let a = x.abs();
    if !(1e-4..1e15).contains(&a) {
        let s = format!("{x:.*e}", digits - 1);
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        return format!("{mantissa}e{exp}");
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    if decimals == 0 {
        let unit = 10f64.powi((magnitude + 1 - digits as i32).max(0));
        return format!("{}", ((x / unit).round() * unit) as i64);
    }
    let s = format!("{x:.decimals$}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Money as people write it, for flags such as `discover --threshold`:
/// a plain number (`-5000000`, `5e6`, `5_000_000`) or one with a `$` and a
/// suffix `k`, `M` or `B` (`-5M`, `-$500k`, `$1.2B`; the sign before or
/// after the `$`). The error says how to write it.
pub fn parse_money(text: &str) -> Result<f64, String> {
    let bad = || {
        format!(
            "`{text}` is not an amount of money: write a number such as -5000000, -5M, -500k or $1.2B (no thousands separators)"
        )
    };
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let t = t.strip_prefix('$').unwrap_or(t);
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) if !negative => (true, rest),
        Some(_) => return Err(bad()),
        None => (negative, t),
    };
    let (digits, scale) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'M' | 'm')) => (&t[..i], 1e6),
        Some((i, 'B' | 'b')) => (&t[..i], 1e9),
        _ => (t, 1.0),
    };
    if digits.is_empty() || digits.starts_with(['-', '+', '_']) || digits.contains(',') {
        return Err(bad());
    }
    let x: f64 = digits.replace('_', "").parse().map_err(|_| bad())?;
    let v = x * scale;
    if !v.is_finite() {
        return Err(bad());
    }
    Ok(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_read_as_people_write_it() {
        for (text, v) in [
            ("-5M", -5e6),
            ("-$500k", -5e5),
            ("$-500k", -5e5),
            ("$1.2B", 1.2e9),
            ("0", 0.0),
            ("-5000000", -5e6),
            ("5_000_000", 5e6),
            ("2.5e6", 2.5e6),
            ("+3k", 3e3),
            (" 7m ", 7e6),
        ] {
            assert_eq!(parse_money(text), Ok(v), "{text}");
        }
        for text in [
            "", "-", "$", "5,000", "--5M", "-$-5M", "5MM", "M", "1e400", "nan", "5 M", "$_5",
        ] {
            let e = parse_money(text).unwrap_err();
            assert!(e.contains("not an amount of money"), "{text}: {e}");
        }
        // A threshold read back as money says the same amount.
        assert_eq!(money(parse_money("-500k").unwrap()), "-$500k");
    }
}

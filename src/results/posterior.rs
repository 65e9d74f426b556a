//! A calibration's posterior.csv read back (generation, particle, weight,
//! one column per parameter, distance): the weighted particles of its last
//! generation, which a worlds study draws from. Whether its columns are
//! parameters of a sweep's base is the scenario layer's question.

use crate::experiment::plan::{PosteriorFault, PosteriorFile};
use std::path::Path;

/// Reads the posterior at `path`.
pub fn read(path: &Path) -> Result<PosteriorFile, PosteriorFault> {
    let bytes = crate::scenario::read_input_bytes(path)
        .map_err(|e| PosteriorFault::Read(format!("cannot read the posterior {}: {e}", path.display())))?;
    parse(&bytes)
}

/// A posterior from its bytes.
pub fn parse(bytes: &[u8]) -> Result<PosteriorFile, PosteriorFault> {
    let bad = |line: usize, key: &str, message: String| PosteriorFault::At {
        line,
        key: key.to_string(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(1, "", format!("not a CSV file: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let n = header.len();
    if n < 5 || header[..3] != ["generation", "particle", "weight"] || header[n - 1] != "distance" {
        return Err(bad(
            1,
            "",
            "not a posterior.csv of `tokenmaxx calibrate`: expected the columns generation, particle, weight, one per parameter, distance".into(),
        ));
    }
    let keys: Vec<String> = header[3..n - 1].to_vec();
    if let Some((_, k)) = keys.iter().enumerate().find(|(i, k)| keys[..*i].contains(k)) {
        return Err(bad(
            1,
            k,
            "this column appears twice: each parameter has one column".into(),
        ));
    }
    let mut rows: Vec<(u32, f64, Vec<f64>)> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(line, "", format!("a malformed row: {e}")))?;
        if record.len() != n {
            return Err(bad(
                line,
                "",
                format!(
                    "{} fields, the header has {n}: the file was cut or edited",
                    record.len()
                ),
            ));
        }
        let num = |j: usize| -> Result<f64, PosteriorFault> {
            record[j]
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(line, &header[j], format!("`{}` is not a finite number", &record[j])))
        };
        let generation = record[0].parse::<u32>().map_err(|_| {
            bad(
                line,
                "generation",
                format!("`{}` is not a generation number", &record[0]),
            )
        })?;
        let weight = num(2)?;
        if weight < 0.0 {
            return Err(bad(line, "weight", format!("a negative weight {weight}")));
        }
        let values = (3..n - 1).map(num).collect::<Result<Vec<_>, _>>()?;
        rows.push((generation, weight, values));
    }
    let Some(last) = rows.iter().map(|r| r.0).max() else {
        return Err(bad(2, "", "the posterior has no particles".into()));
    };
    let (weights, values): (Vec<f64>, Vec<Vec<f64>>) =
        rows.into_iter().filter(|r| r.0 == last).map(|r| (r.1, r.2)).unzip();
    // Normalised by the largest first: weights near f64::MAX never sum
    // to infinity (every weight is finite and not negative, checked above).
    let largest = weights.iter().cloned().fold(0.0, f64::max);
    let total: f64 = if largest > 0.0 {
        weights.iter().map(|w| w / largest).sum()
    } else {
        0.0
    };
    if !(total.is_finite() && total > 0.0) {
        return Err(bad(
            2,
            "weight",
            format!("generation {last}'s weights sum to {total}, not a positive number"),
        ));
    }
    Ok(PosteriorFile {
        sha256: crate::digest::sha256_hex(bytes),
        keys,
        generation: last,
        weights: weights.iter().map(|w| w / largest / total).collect(),
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_generation_is_taken_with_its_weights_normalised() {
        let csv = "generation,particle,weight,a.b,c,distance\n0,0,1,1,2,0.5\n1,0,3,4,5,0.1\n1,1,1,6,7,0.2\n";
        let p = parse(csv.as_bytes()).unwrap();
        assert_eq!(p.keys, ["a.b", "c"]);
        assert_eq!(p.generation, 1);
        assert_eq!(p.weights, [0.75, 0.25]);
        assert_eq!(p.values, [vec![4.0, 5.0], vec![6.0, 7.0]]);
        assert_eq!(p.sha256, crate::digest::sha256_hex(csv.as_bytes()));
    }

    #[test]
    fn a_damaged_posterior_is_refused_at_its_line_and_column() {
        let at = |csv: &str| match parse(csv.as_bytes()) {
            Err(PosteriorFault::At { line, key, .. }) => (line, key),
            other => panic!("{other:?}"),
        };
        let head = "generation,particle,weight,a,distance\n";
        assert_eq!(at("generation,particle,a,distance\n"), (1, String::new()));
        assert_eq!(at("generation,particle,weight,a,a,distance\n"), (1, "a".into()));
        assert_eq!(at(&format!("{head}0,0,1,x,0\n")), (2, "a".into()));
        assert_eq!(at(&format!("{head}0,0,1,1,0\n0,1,-1,1,0\n")), (3, "weight".into()));
        assert_eq!(at(&format!("{head}0,0,1,1\n")), (2, String::new()));
        assert_eq!(at(&format!("{head}z,0,1,1,0\n")), (2, "generation".into()));
        assert_eq!(at(head), (2, String::new()));
        assert_eq!(at(&format!("{head}0,0,0,1,0\n")), (2, "weight".into()));
    }
}

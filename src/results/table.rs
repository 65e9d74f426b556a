//! A CSV table with the columns a reader asks for, read as it goes.

use super::error::ReadError;
use std::collections::BTreeMap;

/// A text column with each distinct value held once: a sweep's 100,000
/// runs name a handful of policies, and a `String` per cell would hold
/// megabytes of copies (scripts/memory-100k.sh).
#[derive(Debug, Clone)]
pub enum TextColumn {
    /// Few distinct values (policies, roles): each held once, a code per row.
    Coded { codes: Vec<u32>, values: Vec<String> },
    /// Many distinct values (a parameter's value at every point): looking
    /// each up would cost a pass over all of them, so each row holds its own.
    Plain(Vec<String>),
}

/// The distinct values a coded column holds before it turns plain.
const MAX_CODED: usize = 256;

impl Default for TextColumn {
    fn default() -> Self {
        TextColumn::Coded {
            codes: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl TextColumn {
    fn push(&mut self, cell: &str) {
        match self {
            TextColumn::Plain(rows) => rows.push(cell.to_string()),
            TextColumn::Coded { codes, values } => {
                // Runs come in blocks of one policy: the last value seen is
                // the likely one, then the few others.
                let code = match codes.last() {
                    Some(&c) if values[c as usize] == cell => Some(c),
                    _ => values.iter().position(|v| v == cell).map(|k| k as u32),
                };
                match code {
                    Some(c) => codes.push(c),
                    None if values.len() < MAX_CODED => {
                        values.push(cell.to_string());
                        codes.push((values.len() - 1) as u32);
                    }
                    None => {
                        let mut rows: Vec<String> = codes.iter().map(|&c| values[c as usize].clone()).collect();
                        rows.push(cell.to_string());
                        *self = TextColumn::Plain(rows);
                    }
                }
            }
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            TextColumn::Coded { codes, .. } => codes.shrink_to_fit(),
            TextColumn::Plain(rows) => rows.shrink_to_fit(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            TextColumn::Coded { codes, .. } => codes.len(),
            TextColumn::Plain(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &String> + '_ {
        (0..self.len()).map(|i| &self[i])
    }
}

impl std::ops::Index<usize> for TextColumn {
    type Output = String;
    fn index(&self, i: usize) -> &String {
        match self {
            TextColumn::Coded { codes, values } => &values[codes[i] as usize],
            TextColumn::Plain(rows) => &rows[i],
        }
    }
}

impl<'a> IntoIterator for &'a TextColumn {
    type Item = &'a String;
    type IntoIter = Box<dyn Iterator<Item = &'a String> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// A CSV table with the named columns picked out.
#[derive(Debug, Clone)]
pub struct Table {
    /// Text columns, by name.
    pub text: BTreeMap<String, TextColumn>,
    /// Numeric columns, by name (empty cells are NaN).
    pub num: BTreeMap<String, Vec<f64>>,
    pub rows: usize,
}

impl Table {
    /// Parses CSV (bytes, or a file read as it goes: memory holds only the
    /// columns asked for), requiring the given text and numeric columns.
    pub fn parse(
        file: &str,
        bytes: impl std::io::Read,
        text_cols: &[&str],
        num_cols: &[&str],
    ) -> Result<Table, ReadError> {
        let csv_err = |e: csv::Error| ReadError::Csv {
            file: file.to_string(),
            message: e.to_string(),
        };
        let mut r = csv::Reader::from_reader(bytes);
        let header = r.headers().map_err(csv_err)?.clone();
        let index = |c: &str| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| ReadError::MissingColumn {
                    file: file.to_string(),
                    column: c.to_string(),
                })
        };
        let ti: Vec<usize> = text_cols.iter().map(|c| index(c)).collect::<Result<_, _>>()?;
        let ni: Vec<usize> = num_cols.iter().map(|c| index(c)).collect::<Result<_, _>>()?;
        let mut text: Vec<TextColumn> = vec![TextColumn::default(); ti.len()];
        let mut num: Vec<Vec<f64>> = vec![Vec::new(); ni.len()];
        let mut rows = 0;
        for (line, rec) in r.records().enumerate() {
            let rec = rec.map_err(csv_err)?;
            for (k, &i) in ti.iter().enumerate() {
                text[k].push(rec.get(i).unwrap_or(""));
            }
            for (k, &i) in ni.iter().enumerate() {
                let cell = rec.get(i).unwrap_or("");
                let v = if cell.is_empty() {
                    f64::NAN
                } else {
                    cell.parse().map_err(|_| ReadError::BadNumber {
                        file: file.to_string(),
                        line: line + 2,
                        column: num_cols[k].to_string(),
                        value: cell.to_string(),
                    })?
                };
                num[k].push(v);
            }
            rows += 1;
        }
        if rows == 0 {
            return Err(ReadError::Empty { file: file.to_string() });
        }
        // Growth doubles: give back the unused half while charts draw.
        for column in &mut num {
            column.shrink_to_fit();
        }
        for column in &mut text {
            column.shrink_to_fit();
        }
        Ok(Table {
            text: text_cols.iter().map(|c| c.to_string()).zip(text).collect(),
            num: num_cols.iter().map(|c| c.to_string()).zip(num).collect(),
            rows,
        })
    }

    pub fn t(&self, c: &str) -> &TextColumn {
        &self.text[c]
    }

    pub fn n(&self, c: &str) -> &[f64] {
        &self.num[c]
    }
}

/// A CSV file as written: its header and every row, as text.
#[allow(clippy::type_complexity)]
pub fn text_rows(file: &str, bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), ReadError> {
    let csv_err = |e: csv::Error| ReadError::Csv {
        file: file.to_string(),
        message: e.to_string(),
    };
    let mut r = csv::Reader::from_reader(bytes);
    let head = r.headers().map_err(csv_err)?.iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.map(|rec| rec.iter().map(str::to_string).collect()))
        .collect::<Result<Vec<Vec<String>>, csv::Error>>()
        .map_err(csv_err)?;
    Ok((head, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_columns_read_back_every_cell_coded_or_plain() {
        // A few policies over many rows stay coded; a value per row turns
        // the column plain past MAX_CODED distinct values, every cell kept.
        let mut csv = String::from("policy,point\n");
        let rows = 3 * MAX_CODED;
        for i in 0..rows {
            csv.push_str(&format!("{},{}\n", ["a", "b", "c"][i % 3], i as f64 / 7.0));
        }
        let t = Table::parse("t.csv", csv.as_bytes(), &["policy", "point"], &[]).unwrap();
        assert!(matches!(t.t("policy"), TextColumn::Coded { values, .. } if values.len() == 3));
        assert!(matches!(t.t("point"), TextColumn::Plain(_)));
        for (i, line) in csv.lines().skip(1).enumerate() {
            let (p, x) = line.split_once(',').unwrap();
            assert_eq!((t.t("policy")[i].as_str(), t.t("point")[i].as_str()), (p, x));
        }
        assert_eq!(t.t("point").iter().count(), rows);
        let mut bs = 0;
        for p in t.t("policy") {
            bs += usize::from(p == "b");
        }
        assert_eq!(bs, MAX_CODED);
    }
}

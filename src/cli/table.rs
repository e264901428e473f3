//! Aligned plain-text tables for `--format table`: what a terminal shows, where Markdown
//! would print its pipes and dashes.

/// Columns padded to their widest cell (counted in characters), two spaces apart; a
/// column whose cells are all numbers is right-aligned.
pub(super) fn aligned(headers: &[&str], rows: &[Vec<String>]) -> String {
    let width = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count())
            .chain([headers[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let numeric: Vec<bool> = (0..headers.len())
        .map(|i| {
            rows.iter().filter_map(|r| r.get(i)).all(|c| {
                c == "-"
                    || c.trim_end_matches('%')
                        .trim_start_matches(['<', '>', '=', ' '])
                        .parse::<f64>()
                        .is_ok()
            })
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            let last = i + 1 == cells.len();
            if numeric[i] && !rows.is_empty() {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if !last {
                    s.push_str(&" ".repeat(pad));
                }
            }
            if !last {
                s.push_str("  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::aligned;

    #[test]
    fn columns_align_and_numbers_go_right() {
        let text = aligned(
            &["NAME", "ROWS"],
            &[
                vec!["customers".into(), "243".into()],
                vec!["é".into(), "3004".into()],
            ],
        );
        assert_eq!(text, "NAME       ROWS\ncustomers   243\né          3004\n");
    }
}

//! Values sqlx reads with no feature enabled for them: PostgreSQL NUMERIC (what `SUM`
//! and `AVG` of integers return), MySQL unsigned BIGINT. Read as exact text, so an
//! observed number is read whatever SQL type the engine gives it.

use sqlx::postgres::{PgRow, PgValueFormat};
use sqlx::{Row, TypeInfo, ValueRef as _};

use super::Cell;

/// A PostgreSQL NUMERIC cell as exact decimal text (`NaN`, `Infinity` spelled out).
pub(super) fn pg_numeric(row: &PgRow, i: usize) -> Option<Cell> {
    let raw = row.try_get_raw(i).ok()?;
    if raw.is_null() {
        return Some(Cell::Null);
    }
    if !raw.type_info().name().eq_ignore_ascii_case("NUMERIC") {
        return None;
    }
    let text = match raw.format() {
        PgValueFormat::Text => raw.as_str().ok()?.to_string(),
        PgValueFormat::Binary => numeric_text(raw.as_bytes().ok()?)?,
    };
    Some(Cell::Text(text))
}

/// The binary NUMERIC wire format: ndigits, weight (of the first base-10000 digit),
/// sign, display scale, then the base-10000 digits.
pub(super) fn numeric_text(b: &[u8]) -> Option<String> {
    let word =
        |k: usize| -> Option<u16> { b.get(k..k + 2).map(|w| u16::from_be_bytes([w[0], w[1]])) };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(word(2)? as i16);
    let sign = word(4)?;
    let dscale = usize::from(word(6)?);
    if b.len() != 8 + 2 * ndigits {
        return None;
    }
    let negative = match sign {
        0x0000 => false,
        0x4000 => true,
        0xC000 => return Some("NaN".to_string()),
        0xD000 => return Some("Infinity".to_string()),
        0xF000 => return Some("-Infinity".to_string()),
        _ => return None,
    };
    let digit = |k: i32| -> u16 {
        if k < 0 {
            0
        } else {
            word(8 + 2 * k as usize)
                .filter(|_| (k as usize) < ndigits)
                .unwrap_or(0)
        }
    };
    let mut out = String::new();
    if weight >= 0 {
        for k in 0..=weight {
            if out.is_empty() {
                out.push_str(&digit(k).to_string());
            } else {
                out.push_str(&format!("{:04}", digit(k)));
            }
        }
    }
    if out.is_empty() {
        out.push('0');
    }
    if dscale > 0 {
        let mut frac = String::new();
        for j in 0..dscale.div_ceil(4) {
            frac.push_str(&format!("{:04}", digit(weight + 1 + j as i32)));
        }
        frac.truncate(dscale);
        out.push('.');
        out.push_str(&frac);
    }
    if negative && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    Some(out)
}

/// A MySQL/MariaDB unsigned BIGINT (or any unsigned integer) as an integer, or as text
/// beyond `i64`.
pub(super) fn mysql_unsigned(row: &sqlx::mysql::MySqlRow, i: usize) -> Option<Cell> {
    let raw = row.try_get_raw(i).ok()?;
    let ty = raw.type_info().into_owned();
    if !<u64 as sqlx::Type<sqlx::MySql>>::compatible(&ty) {
        return None;
    }
    let v: u64 = row.try_get(i).ok()?;
    Some(i64::try_from(v).map_or_else(|_| Cell::Text(v.to_string()), Cell::Int))
}

#[cfg(test)]
mod tests {
    use super::numeric_text;

    fn wire(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend((digits.len() as u16).to_be_bytes());
        b.extend(weight.to_be_bytes());
        b.extend(sign.to_be_bytes());
        b.extend(dscale.to_be_bytes());
        for d in digits {
            b.extend(d.to_be_bytes());
        }
        b
    }

    #[test]
    fn numerics_read_exactly() {
        assert_eq!(numeric_text(&wire(0, 0, 0, &[])).as_deref(), Some("0"));
        assert_eq!(numeric_text(&wire(0, 0, 0, &[7])).as_deref(), Some("7"));
        assert_eq!(
            numeric_text(&wire(1, 0, 0, &[1, 2345])).as_deref(),
            Some("12345")
        );
        assert_eq!(
            numeric_text(&wire(0, 0x4000, 2, &[10, 5000])).as_deref(),
            Some("-10.50")
        );
        assert_eq!(
            numeric_text(&wire(-1, 0, 4, &[5])).as_deref(),
            Some("0.0005")
        );
        assert_eq!(
            numeric_text(&wire(-2, 0, 8, &[12])).as_deref(),
            Some("0.00000012")
        );
        assert_eq!(
            numeric_text(&wire(2, 0, 0, &[1])).as_deref(),
            Some("100000000")
        );
        assert_eq!(
            numeric_text(&wire(0, 0xC000, 0, &[])).as_deref(),
            Some("NaN")
        );
        assert_eq!(numeric_text(&[0, 1]), None);
    }
}

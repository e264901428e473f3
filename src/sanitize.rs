//! Text shown to a human on a terminal or in a review form passes through [`sanitize`]:
//! reviewer names, questions, comments, artifact kinds and audit rows come from the
//! agent's side, and an escape sequence in them could rewrite what the human reads
//! (move the cursor, clear lines, recolour a FAIL as a pass, set the window title).

/// Removes terminal control from `text`: ANSI escape sequences (CSI, OSC, DCS and
/// single-character escapes), C0 controls except newline and tab, DEL, C1 controls, and
/// the Unicode bidirectional overrides and isolates (which reorder what is displayed).
/// A carriage return is dropped (it would let a line overwrite itself). Everything else,
/// newlines included, is kept as it was.
pub fn sanitize(text: &str) -> String {
    if !text.chars().any(needs_work) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI / OSC / DCS / SOS / PM / APC introduce sequences like ESC [ and ESC ].
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{9d}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\t' => out.push(c),
            c if is_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// [`sanitize`], then newlines and tabs become spaces: for values shown on one line
/// (names, kinds, table cells).
pub fn sanitize_line(text: &str) -> String {
    sanitize(text).replace(['\n', '\t'], " ")
}

fn needs_work(c: char) -> bool {
    c != '\n' && c != '\t' && is_control(c)
}

fn is_control(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Bidirectional embeddings, overrides and isolates; the marks (LRM, RLM, ALM).
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // ESC with intermediates (ESC ( B, ESC # 8): skip them and the final byte.
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            while let Some(&n) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{2f}').contains(&n) {
                    break;
                }
            }
        }
        // Two-character escapes (ESC c, ESC 7, ESC M, …) and a lone ESC at the end.
        _ => {}
    }
}

/// A control sequence: parameters and intermediates, then one final byte in `@`..`~`.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            // Not a well-formed sequence: stop at the first byte that cannot belong to it.
            return;
        }
    }
}

/// A string sequence (OSC, DCS, …) ends at BEL, ST (`ESC \`) or the C1 ST.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_removed() {
        let cases = [
            ("plain text", "plain text"),
            ("a\nb\tc", "a\nb\tc"),
            ("\u{1b}[31mred\u{1b}[0m", "red"),
            ("\u{1b}[2J\u{1b}[1;1Hclear", "clear"),
            ("\u{1b}]0;title\u{7}after", "after"),
            ("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\", "link"),
            ("over\rwrite", "overwrite"),
            ("bell\u{7}", "bell"),
            ("\u{9b}31mc1", "c1"),
            ("rtl\u{202e}txt", "rtltxt"),
            ("esc(\u{1b}(Bx", "esc(x"),
            ("trailing\u{1b}", "trailing"),
            ("Zoë ✓", "Zoë ✓"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize(input), want, "{input:?}");
        }
        assert_eq!(sanitize_line("a\nb\u{1b}[1A"), "a b");
    }

    proptest::proptest! {
        #[test]
        fn output_has_no_escape_or_control(s in "\\PC*|[\\x00-\\x7f\u{80}-\u{9f}\u{202e}]*") {
            let out = sanitize(&s);
            proptest::prop_assert!(!out.chars().any(needs_work), "{:?}", out);
        }
    }
}

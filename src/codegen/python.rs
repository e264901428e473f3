//! Python source text for generated orchestrator code: string literals and identifiers
//! derived from user input. The one place Python text is escaped.
//!
//! User text reaches generated Python only as a literal from [`string`] or [`literal`]
//! (which read back as exactly that text) or as an identifier from [`Names::ident`] (valid,
//! never a keyword, soft keyword or builtin, unique within the file); it is never spliced
//! into comments, docstrings or code.

use std::collections::HashSet;

use serde_json::Value;

/// Python 3 keywords.
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Soft keywords (`match`, `case`, `type`, `_`): legal names, but confusing ones.
const SOFT_KEYWORDS: &[&str] = &["match", "case", "type", "_"];

/// Names of the `builtins` module (Python 3.11-3.13) a generated name must not shadow.
const BUILTINS: &[&str] = &[
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "vars",
    "zip",
    "BaseException",
    "BaseExceptionGroup",
    "Exception",
    "ExceptionGroup",
    "NotImplemented",
    "Ellipsis",
    "__build_class__",
    "__debug__",
    "__doc__",
    "__import__",
    "__loader__",
    "__name__",
    "__package__",
    "__spec__",
    "__file__",
    "__builtins__",
];

/// `text` as a double-quoted Python string literal that evaluates to exactly `text`.
/// Printable ASCII stays as it is (but `"` and `\`); everything else is an escape, so the
/// literal is plain ASCII on one line whatever the input holds (newlines, NUL, `"""`,
/// bidi controls, astral characters).
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x1_0000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// A JSON value as a Python literal: `None`, `True`/`False`, numbers, strings through
/// [`string`], lists and dicts (keys as strings), on one line.
pub fn literal(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            // A finite float (JSON has no others) in Rust's shortest round-trip form, which
            // Python reads as the same double.
            (None, None, Some(f)) => format!("{f:?}"),
            _ => "None".to_string(),
        },
        Value::String(s) => string(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", string(k), literal(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Identifiers handed out for one generated file: each is valid ASCII, lowercase
/// `snake_case`, not a keyword, soft keyword, builtin or reserved name, and unique.
#[derive(Debug, Clone, Default)]
pub struct Names {
    taken: HashSet<String>,
}

impl Names {
    /// Names the file itself defines or imports, which a derived name must not take.
    pub fn new(reserved: &[&str]) -> Self {
        Self {
            taken: reserved.iter().map(|r| r.to_string()).collect(),
        }
    }

    /// An identifier derived from `name`: ASCII letters and digits kept (lowercased), every
    /// other run of characters one `_`; a leading digit or an empty result gets a prefix;
    /// a clash with a keyword, builtin or taken name gets a numbered suffix.
    pub fn ident(&mut self, name: &str) -> String {
        let base = snake(name);
        let mut candidate = base.clone();
        let mut n = 1;
        while self.is_unavailable(&candidate) {
            n += 1;
            candidate = format!("{base}_{n}");
        }
        self.taken.insert(candidate.clone());
        candidate
    }

    fn is_unavailable(&self, name: &str) -> bool {
        self.taken.contains(name)
            || KEYWORDS.contains(&name)
            || SOFT_KEYWORDS.contains(&name)
            || BUILTINS.contains(&name)
    }
}

/// `name` folded to ASCII `snake_case` (may still clash; [`Names::ident`] settles that).
fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    match trimmed.chars().next() {
        None => "unnamed".to_string(),
        Some(c) if c.is_ascii_digit() => format!("n_{trimmed}"),
        Some(_) => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_one_ascii_line() {
        for text in [
            "plain",
            "q\"uote",
            "back\\slash",
            "line\nbreak\r",
            "nul\0",
            "\"\"\"",
            "é ∑ 😀",
            "\u{202e}rtl",
            "",
        ] {
            let lit = string(text);
            assert!(lit.is_ascii() && !lit.contains('\n'), "{lit}");
        }
        assert_eq!(
            string("a\"b\\c\nd\0é😀"),
            r#""a\"b\\c\nd\x00\xe9\U0001f600""#
        );
    }

    #[test]
    fn identifiers_are_valid_and_unique() {
        let mut names = Names::new(&["log"]);
        assert_eq!(names.ident("Orders Daily"), "orders_daily");
        assert_eq!(names.ident("orders-daily"), "orders_daily_2");
        assert_eq!(names.ident("class"), "class_2");
        assert_eq!(names.ident("list"), "list_2");
        assert_eq!(names.ident("log"), "log_2");
        assert_eq!(names.ident("9lives"), "n_9lives");
        assert_eq!(names.ident("ü"), "unnamed");
        assert_eq!(names.ident("_"), "unnamed_2");
    }

    #[test]
    fn literals_cover_json() {
        let v = serde_json::json!({"a": [1, 2.5, null, true, "x"], "b": {"c": false}});
        assert_eq!(
            literal(&v),
            r#"{"a": [1, 2.5, None, True, "x"], "b": {"c": False}}"#
        );
    }
}

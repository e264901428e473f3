//! Jinja (dbt) text for generated dbt models and tests: string literals inside `{{ }}` and SQL
//! bodies that must not be read as Jinja. The one place Jinja text is escaped.
//!
//! dbt renders every model, test and most YAML property values with Jinja before the SQL
//! reaches the engine, so user text (a quoted identifier holding `{{`, a description holding
//! `{%`) must never reach a generated file as template source. Two forms cover it:
//! [`string_literal`] for a string inside an expression (`ref('…')`, `config(alias='…')`),
//! and [`text`] for text that Jinja must print exactly (it is wrapped into `{{ '…' }}` when
//! a delimiter is in it or could form with the text after it).

/// `value` as a Jinja string literal (single-quoted) that evaluates to exactly `value`.
/// Backslashes, quotes and line breaks are escaped; every other character stays as is
/// (Jinja's lexer reads non-ASCII and control characters in a literal back unchanged).
pub fn string_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `value` as template text that renders to exactly `value`: unchanged when no Jinja
/// delimiter (`{{`, `{%`, `{#`) is in it or can form with what follows (a final `{`),
/// else the expression `{{ '…' }}` printing it. Callers never put a `{` right before it.
pub fn text(value: &str) -> String {
    if ["{{", "{%", "{#"].iter().any(|d| value.contains(d)) || value.ends_with('{') {
        format!("{{{{ {} }}}}", string_literal(value))
    } else {
        value.to_string()
    }
}

/// Every string in `value` (not the keys) as [`text`]: for YAML documents dbt renders with
/// Jinja (names, descriptions and test arguments all are). Apply once, to the finished
/// document, and to no string already made Jinja-safe.
pub fn texts(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(text(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(texts).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, texts(v))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> String {
        let mut env = minijinja::Environment::new();
        env.add_template("t", template).expect("parses");
        env.get_template("t")
            .and_then(|t| t.render(minijinja::context! {}))
            .expect("renders")
    }

    #[test]
    fn literals_and_text_render_back_exactly() {
        for value in [
            "plain",
            "it's",
            "a\\b",
            "{{ x }}",
            "{% if %}",
            "{#",
            "#}",
            "%}",
            "}}",
            "{",
            "}",
            "tab\there",
            "line\nbreak",
            "é ∑ 😀",
            "\u{7f}\u{1}",
            "",
            "\"dq\"",
            "{{'",
        ] {
            assert_eq!(
                render(&format!("{{{{ {} }}}}", string_literal(value))),
                value
            );
            assert_eq!(render(&format!("x{}%", text(value))), format!("x{value}%"));
            assert_eq!(
                render(&format!("\"{}\"", text(value))),
                format!("\"{value}\"")
            );
        }
    }
}

//! YAML for generated files: every document is built as typed values (or `serde_json::Value`)
//! and serialized here by `serde_norway`, so user text is always a quoted or plain scalar the
//! emitter chose, never spliced into YAML by hand. The one place YAML text is produced.

use serde::Serialize;

use crate::error::{Error, Result};

/// `value` as a YAML document.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_norway::to_string(value).map_err(|e| Error::invalid(format!("cannot write YAML: {e}")))
}

/// One string as a YAML flow scalar that reads back as exactly `text` (a double-quoted
/// scalar with JSON escapes, which YAML 1.2 accepts): for the rare line a template must
/// write itself.
pub fn scalar(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_back_exactly() {
        for text in [
            "plain",
            "a: b",
            "- x",
            "#c",
            "'q'",
            "\"dq\"",
            "tab\there",
            "line\nbreak",
            "yes",
            "null",
            "{x}",
            "*a",
            "&b",
            "!t",
            "%p",
            "@",
            "`",
            "é ∑ 😀",
            "",
        ] {
            let doc = format!("k: {}\n", scalar(text));
            let back: serde_json::Value = serde_norway::from_str(&doc).expect("parses");
            assert_eq!(
                back["k"],
                serde_json::Value::String(text.to_owned()),
                "{doc}"
            );
            let via: serde_json::Value = serde_norway::from_str(
                &to_string(&serde_json::json!({ "k": text })).expect("yaml"),
            )
            .expect("parses");
            assert_eq!(via["k"], serde_json::Value::String(text.to_owned()));
        }
    }
}

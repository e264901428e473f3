//! What a tool call answers, in one place: the structured content as every client
//! receives it, the text beside it, and the cap that keeps it within an agent's context.
//!
//! - **Optional means omitted.** A value a tool does not have is left out of the
//!   structured content, never sent as `null`; [`super::schema::output`] states the same
//!   rule in every output schema (nullable properties are optional and non-null), so a
//!   strict client (the Python SDK, the Inspector) validates every result.
//! - **Each fact once.** The structured content is the answer; the text content is a
//!   short summary of it (or its Markdown or JSON, as `[answers] text` in `dana.toml`
//!   says), not a second copy by default.
//! - **Capped.** Above `[answers] max_bytes` the largest lists (or texts) are cut, the
//!   answer says what was cut in `truncated`, and the full result is a resource: the
//!   recorded artifact, or `dana://results/{id}` for a stateless call.

use std::collections::VecDeque;
use std::sync::Mutex;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The top-level field a capped answer carries (also added to every output schema).
pub const TRUNCATED: &str = "truncated";
/// URI prefix of the full results of stateless calls that were capped.
pub const RESULTS_PREFIX: &str = "dana://results/";

/// What a capped answer left out, and where the whole of it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Truncation {
    /// What happened, for the reader.
    pub note: String,
    /// The full result (`resources/read` it).
    pub resource: String,
    /// Each list or text that was cut.
    pub cut: Vec<Cut>,
}

/// One list or text cut short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cut {
    /// Where it is in the answer (`statements`, `model.dimensions`, `markdown`).
    pub path: String,
    /// Items (or bytes, for a text) kept.
    pub shown: usize,
    /// Items (or bytes) in the full result.
    pub total: usize,
}

/// Serializes a tool's output as its structured content: `null` members of objects
/// are left out (array elements are data and stay as they are).
pub fn structured<T: Serialize>(output: &T) -> serde_json::Result<Value> {
    let mut value = serde_json::to_value(output)?;
    strip_nulls(&mut value);
    Ok(value)
}

/// Removes every object member whose value is `null`, at any depth.
pub fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Serialized size in bytes.
pub fn size(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

/// Cuts `value` (an object) until it serializes within `max_bytes`: the largest list is
/// shortened first (by halves, then item by item), then the largest text, until it fits.
/// Returns what was cut, or `None` when it already fit. `resource` is where the whole
/// result can be read; the answer gets a `truncated` member saying so.
pub fn cap(value: &mut Value, max_bytes: usize, resource: &str) -> Option<Truncation> {
    if size(value) <= max_bytes || !value.is_object() {
        return None;
    }
    let mut cuts: Vec<Cut> = Vec::new();
    // The note and the list of cuts take room too: aim below the limit.
    let budget = max_bytes.saturating_sub(512 + resource.len());
    for _ in 0..64 {
        let excess = size(value).saturating_sub(budget);
        if excess == 0 {
            break;
        }
        let Some(path) = largest(value) else { break };
        let Some(target) = pointer_mut(value, &path) else {
            break;
        };
        let dotted = path.join(".");
        match target {
            Value::Array(items) => {
                let total = items.len();
                shrink_list(items, excess);
                record(&mut cuts, &dotted, items.len(), total);
            }
            Value::String(text) => {
                let total = text.len();
                shrink_text(text, excess);
                record(&mut cuts, &dotted, text.len(), total);
            }
            _ => break,
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let listed: Vec<String> = cuts
        .iter()
        .map(|c| format!("`{}` {} of {}", c.path, c.shown, c.total))
        .collect();
    let truncation = Truncation {
        note: format!(
            "answer cut to about {max_bytes} bytes to spare your context ({}); read `{resource}` for the whole result",
            listed.join(", ")
        ),
        resource: resource.to_string(),
        cut: cuts,
    };
    if let (Value::Object(map), Ok(t)) = (value, serde_json::to_value(&truncation)) {
        map.insert(TRUNCATED.to_string(), t);
    }
    Some(truncation)
}

/// Merges a cut into the list (a list cut twice is reported once, with its final size).
fn record(cuts: &mut Vec<Cut>, path: &str, shown: usize, total: usize) {
    match cuts.iter_mut().find(|c| c.path == path) {
        Some(cut) => cut.shown = shown,
        None => cuts.push(Cut {
            path: path.to_string(),
            shown,
            total,
        }),
    }
}

/// Drops trailing items until about `excess` bytes are gone (at least one item, keeping
/// at least one while it alone does not exceed the excess).
fn shrink_list(items: &mut Vec<Value>, excess: usize) {
    let mut freed = 0;
    while freed < excess && !items.is_empty() {
        let last = items.len() - 1;
        freed += size(&items[last]) + 1;
        items.truncate(last);
    }
}

/// Cuts a text at a line boundary so that about `excess` bytes go, with a marker.
fn shrink_text(text: &mut String, excess: usize) {
    const MARK: &str = "\n… (cut: see `truncated`)";
    let keep = text.len().saturating_sub(excess + MARK.len());
    let mut end = keep;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    if let Some(newline) = text[..end].rfind('\n') {
        end = newline;
    }
    text.truncate(end);
    text.push_str(MARK);
}

/// The path of the largest list or text in the value (by serialized size).
fn largest(value: &Value) -> Option<Vec<String>> {
    fn walk(value: &Value, path: &mut Vec<String>, best: &mut Option<(usize, Vec<String>)>) {
        if let Value::Object(map) = value {
            for (key, inner) in map {
                if key == TRUNCATED && path.is_empty() {
                    continue;
                }
                path.push(key.clone());
                let cuttable = match inner {
                    Value::Array(items) => !items.is_empty(),
                    Value::String(text) => text.len() > 256,
                    _ => false,
                };
                if cuttable {
                    let bytes = size(inner);
                    if best.as_ref().is_none_or(|(b, _)| bytes > *b) {
                        *best = Some((bytes, path.clone()));
                    }
                }
                // Inside an object member (not inside lists: cutting an item's inner
                // list would make the items unlike each other).
                if inner.is_object() {
                    walk(inner, path, best);
                }
                path.pop();
            }
        }
    }
    let mut best = None;
    walk(value, &mut Vec::new(), &mut best);
    best.map(|(_, path)| path)
}

fn pointer_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(value, |v, key| v.as_object_mut()?.get_mut(key))
}

/// A short text for the `content` of a result: the tool, its scalar facts and the size
/// of its lists, e.g. ``generate_ddl: dialect `postgres`; statements: 7; notes: 2``.
pub fn summary(tool: &str, value: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Value::Object(map) = value {
        for (key, inner) in map {
            if key == TRUNCATED {
                continue;
            }
            match inner {
                Value::String(s) if s.len() <= 80 && !s.contains('\n') => {
                    parts.push(format!("{key} `{s}`"))
                }
                Value::String(s) => parts.push(format!("{key}: {} lines", s.lines().count())),
                Value::Number(n) => parts.push(format!("{key} {n}")),
                Value::Bool(b) => parts.push(format!("{key} {b}")),
                Value::Array(items) => parts.push(format!("{key}: {}", items.len())),
                Value::Object(inner) => parts.push(format!("{key}: {{{}}}", keys(inner))),
                Value::Null => {}
            }
        }
    }
    let mut text = format!("{tool}: {}.", parts.join("; "));
    if let Some(Value::Object(t)) = value.get(TRUNCATED)
        && let Some(note) = t.get("note").and_then(Value::as_str)
    {
        text.push_str(&format!(" Capped: {note}."));
    }
    text.push_str(" The full answer is the structured content.");
    text
}

fn keys(map: &Map<String, Value>) -> String {
    let mut names: Vec<&str> = map.keys().map(String::as_str).take(6).collect();
    if map.len() > 6 {
        names.push("…");
    }
    names.join(", ")
}

/// Full results of capped stateless calls, kept in memory for `dana://results/{id}`:
/// the most recent ones, within a count and a byte budget. A result that was recorded in
/// a project is read from its artifact instead and never kept here.
#[derive(Debug)]
pub struct Results {
    kept: Mutex<VecDeque<(String, std::sync::Arc<Value>, usize)>>,
    max_count: usize,
    max_bytes: usize,
}

impl Results {
    /// Keeps at most `max_count` results and `max_bytes` of them.
    pub fn new(max_count: usize, max_bytes: usize) -> Self {
        Results {
            kept: Mutex::new(VecDeque::new()),
            max_count,
            max_bytes,
        }
    }

    /// Keeps a full result; returns its URI (content-addressed: the same result, the same URI).
    pub fn keep(&self, value: &Value) -> String {
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        let id = hex::encode(&Sha256::digest(&bytes)[..12]);
        let uri = format!("{RESULTS_PREFIX}{id}");
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if !kept.iter().any(|(k, _, _)| *k == id) {
            kept.push_back((id, std::sync::Arc::new(value.clone()), bytes.len()));
            let mut total: usize = kept.iter().map(|(_, _, n)| n).sum();
            while kept.len() > 1 && (kept.len() > self.max_count || total > self.max_bytes) {
                if let Some((_, _, n)) = kept.pop_front() {
                    total -= n;
                }
            }
        }
        uri
    }

    /// A kept result by id.
    pub fn get(&self, id: &str) -> Option<std::sync::Arc<Value>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .find(|(k, _, _)| k == id)
            .map(|(_, v, _)| v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_leave_objects_but_not_lists() {
        let mut v =
            json!({"a": null, "b": {"c": null, "d": 1}, "rows": [[null, "x"]], "e": [{"f": null}]});
        strip_nulls(&mut v);
        assert_eq!(v, json!({"b": {"d": 1}, "rows": [[null, "x"]], "e": [{}]}));
    }

    #[test]
    fn capping_cuts_the_largest_list_and_says_so() {
        let rows: Vec<Value> = (0..2000)
            .map(|i| json!({"sql": format!("SELECT {i} FROM a_table_with_a_long_name")}))
            .collect();
        let mut v = json!({"dialect": "postgres", "statements": rows, "notes": ["n"]});
        let t = cap(&mut v, 8_000, "dana://results/x").expect("capped");
        assert!(size(&v) <= 8_000, "{}", size(&v));
        assert_eq!(t.cut.len(), 1);
        assert_eq!(t.cut[0].path, "statements");
        assert_eq!(t.cut[0].total, 2000);
        assert_eq!(
            v["statements"].as_array().map(Vec::len),
            Some(t.cut[0].shown)
        );
        assert_eq!(v["notes"], json!(["n"]));
        assert_eq!(v[TRUNCATED]["resource"], "dana://results/x");
        let small = json!({"a": 1});
        assert!(cap(&mut small.clone(), 8_000, "r").is_none());
    }

    #[test]
    fn capping_reaches_nested_lists_and_long_texts() {
        let dims: Vec<Value> = (0..500)
            .map(|i| json!({"name": format!("dim_{i}"), "columns": ["a", "b", "c"]}))
            .collect();
        let mut v =
            json!({"model": {"name": "m", "dimensions": dims}, "erd": "x\n".repeat(20_000)});
        let t = cap(&mut v, 10_000, "r").expect("capped");
        assert!(size(&v) <= 10_000, "{}", size(&v));
        let paths: Vec<&str> = t.cut.iter().map(|c| c.path.as_str()).collect();
        assert!(
            paths.contains(&"erd") && paths.contains(&"model.dimensions"),
            "{paths:?}"
        );
        assert!(
            v["erd"]
                .as_str()
                .is_some_and(|s| s.ends_with("(cut: see `truncated`)"))
        );
    }

    #[test]
    fn kept_results_are_bounded() {
        let results = Results::new(2, 1_000_000);
        let a = results.keep(&json!({"n": 1}));
        let b = results.keep(&json!({"n": 2}));
        assert_eq!(a, results.keep(&json!({"n": 1})), "content-addressed");
        let _c = results.keep(&json!({"n": 3}));
        let id = |uri: &str| uri.trim_start_matches(RESULTS_PREFIX).to_string();
        assert!(results.get(&id(&a)).is_none(), "oldest evicted");
        assert_eq!(results.get(&id(&b)).as_deref(), Some(&json!({"n": 2})));
    }

    #[test]
    fn summaries_name_scalars_and_count_lists() {
        let v =
            json!({"dialect": "postgres", "statements": [1, 2, 3], "script": "a\nb", "ok": true});
        assert_eq!(
            summary("generate_ddl", &v),
            "generate_ddl: dialect `postgres`; statements: 3; script: 2 lines; ok true. The full answer is the structured content."
        );
    }
}

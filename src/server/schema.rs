//! Tool schemas, in full and as `tools/list` publishes them.
//!
//! The full schemas (schemars, cleaned) document every nested field. Sent as they are,
//! the 25 tools would cost the agent ~21,000 tokens of context on every session, twice
//! DESIGN.md's budget, mostly spent on nested types repeated across tools (a table spec,
//! a column, a pipeline reference). So `tools/list` carries:
//! - the top-level params as JSON Schema, each with its description and, for enums, the
//!   allowed values;
//! - every nested object as a compact TypeScript-like signature appended to its field's
//!   description (`{name: string, nullable?: boolean, columns: {…}[]}`), which models read
//!   as fluently as JSON Schema at a quarter of the size;
//! - the top level of the output schema (field names and JSON types).
//!
//! A field marked `#[schemars(extend("x-brief" = true))]` is listed by its description
//! alone, which must say where its shape is shown (the same type in another tool).
//!
//! Nothing is lost to validation: the server decodes every nested field strictly
//! (unknown fields refused, the failing path named), and the full input and output schemas
//! of every tool, every field documented, are the resource `dana://schemas/{tool}`.

use std::collections::{HashMap, HashSet};

use rmcp::model::JsonObject;
use serde_json::Value;

/// Formats JSON Schema 2020-12 defines; schemars also emits Rust ones (`uint32`,
/// `double`, …) that validators warn about and that cost tokens.
const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Maxima schemars derives from Rust integer widths.
const INTEGER_WIDTHS: &[f64] = &[255.0, 65535.0, 4294967295.0, 18446744073709551615.0];

/// The full schema, cleaned: non-standard `format`s and the repeated `$schema` go;
/// `default`s and nested `additionalProperties: false` go too (the server enforces both
/// whatever the schema says).
pub fn full(schema: &JsonObject) -> JsonObject {
    fn walk(map: &mut JsonObject, top: bool) {
        let drop_format = map
            .get("format")
            .and_then(Value::as_str)
            .is_some_and(|f| !STANDARD_FORMATS.contains(&f));
        if drop_format {
            map.remove("format");
        }
        map.remove("default");
        if !top && map.get("additionalProperties") == Some(&Value::Bool(false)) {
            map.remove("additionalProperties");
        }
        for (key, value) in map.iter_mut() {
            match (key.as_str(), value) {
                // Keys of these maps are names, not keywords: walk the values.
                ("properties" | "$defs" | "definitions", Value::Object(fields)) => {
                    for field in fields.values_mut() {
                        if let Value::Object(inner) = field {
                            walk(inner, false);
                        }
                    }
                }
                (_, Value::Object(inner)) => walk(inner, false),
                (_, Value::Array(items)) => {
                    for item in items {
                        if let Value::Object(inner) = item {
                            walk(inner, false);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut object = schema.clone();
    // MCP fixes the dialect (2020-12); repeating it on every schema only costs bytes.
    object.remove("$schema");
    walk(&mut object, true);
    object
}

/// The full output schema of a tool, stating the rule [`super::answer`] applies to every
/// result: a value a tool may not have is an optional property that is never `null`
/// (nullable properties leave `required` and lose their `null` type, at every depth), and
/// any result may carry [`super::answer::TRUNCATED`] when it was capped.
pub fn output(schema: &JsonObject, truncation: &JsonObject) -> JsonObject {
    let mut object = full(schema);
    omit_nulls(&mut object);
    let mut truncated = full(truncation);
    truncated.remove("title");
    // Its nested types join the tool's own definitions: `$ref`s resolve from the root.
    if let Some(Value::Object(defs)) = truncated.remove("$defs") {
        let root = object
            .entry("$defs")
            .or_insert_with(|| Value::Object(JsonObject::new()));
        if let Value::Object(root) = root {
            for (name, def) in defs {
                root.entry(name).or_insert(def);
            }
        }
    }
    if let Some(Value::Object(props)) = object.get_mut("properties") {
        truncated.insert(
            "description".into(),
            Value::String(
                "Present only when the answer was cut to fit the agent's context: what was cut, and the resource with the whole result.".into(),
            ),
        );
        props.insert(super::answer::TRUNCATED.into(), Value::Object(truncated));
    }
    object
}

/// Rewrites every object schema so that its nullable properties are optional and non-null
/// (the structured content leaves absent values out instead of sending `null`).
fn omit_nulls(map: &mut JsonObject) {
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        let mut optional: Vec<String> = Vec::new();
        for (name, prop) in props.iter_mut() {
            if let Value::Object(inner) = prop
                && admits_null(inner)
            {
                optional.push(name.clone());
                *inner = match unwrap_nullable(&Value::Object(inner.clone())) {
                    Value::Object(m) => m,
                    _ => JsonObject::new(),
                };
            }
        }
        if let Some(Value::Array(required)) = map.get_mut("required") {
            required.retain(|r| r.as_str().is_none_or(|r| !optional.iter().any(|o| o == r)));
        }
    }
    for (key, value) in map.iter_mut() {
        match (key.as_str(), value) {
            ("properties" | "$defs" | "definitions", Value::Object(fields)) => {
                for field in fields.values_mut() {
                    if let Value::Object(inner) = field {
                        omit_nulls(inner);
                    }
                }
            }
            (_, Value::Object(inner)) => omit_nulls(inner),
            (_, Value::Array(items)) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        omit_nulls(inner);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether a property's schema lets it be `null` (then the answer leaves it out): a
/// `null` type or variant, or no type constraint at all (any JSON value).
fn admits_null(schema: &JsonObject) -> bool {
    let typed = |t: &Value| t.as_str() == Some("null");
    match schema.get("type") {
        Some(Value::String(t)) => return t == "null",
        Some(Value::Array(types)) => return types.iter().any(typed),
        _ => {}
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(variants)) = schema.get(key) {
            return variants.iter().any(|v| {
                v.as_object().is_some_and(admits_null) || v.get("const").is_some_and(Value::is_null)
            });
        }
    }
    !schema.contains_key("$ref")
        && !schema.contains_key("enum")
        && !schema.contains_key("const")
        && !schema.contains_key("properties")
        && !schema.contains_key("allOf")
}

/// The input schema as `tools/list` publishes it (see the module docs).
pub fn listing_input(full: &JsonObject) -> JsonObject {
    let empty = JsonObject::new();
    let defs = full
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut uses = HashMap::new();
    count_refs(&Value::Object(full.clone()), &mut uses);
    let mut sig = Signatures {
        defs,
        uses,
        named: HashSet::new(),
        stack: Vec::new(),
        wheres: Vec::new(),
    };
    let mut out = JsonObject::new();
    out.insert("type".into(), Value::String("object".into()));
    // `properties` even when empty: some clients require it on every tool.
    let published: JsonObject = full
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, prop)| (name.clone(), Value::Object(sig.property(prop))))
                .collect()
        })
        .unwrap_or_default();
    out.insert("properties".into(), Value::Object(published));
    for key in ["required", "additionalProperties"] {
        if let Some(value) = full.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    out
}

/// The output schema as `tools/list` publishes it: the top level only, field names with
/// their JSON types (the full schema is in `dana://schemas/{tool}`).
pub fn listing_output(full: &JsonObject) -> JsonObject {
    let empty = JsonObject::new();
    let defs = full
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let resolve = |prop: &Value| -> Value {
        let prop = unwrap_nullable(prop);
        match prop.get("$ref").and_then(Value::as_str) {
            Some(reference) => defs
                .get(def_name(reference))
                .map(unwrap_nullable)
                .unwrap_or(prop),
            None => prop,
        }
    };
    let mut out = JsonObject::new();
    out.insert("type".into(), Value::String("object".into()));
    if let Some(Value::Object(props)) = full.get("properties") {
        let fields: JsonObject = props
            .iter()
            .map(|(name, prop)| {
                let mut field = JsonObject::new();
                if let Some(kind) = json_type(&resolve(prop)) {
                    field.insert("type".into(), Value::String(kind.into()));
                }
                (name.clone(), Value::Object(field))
            })
            .collect();
        out.insert("properties".into(), Value::Object(fields));
    }
    out
}

/// Whether a signature is a union at its top level (`"a"|"b"`, `X | Y`), so that an
/// array of it needs parentheses.
fn is_union(signature: &str) -> bool {
    let mut depth = 0i32;
    for c in signature.chars() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            '|' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Counts `$ref`s to each definition anywhere in the schema.
fn count_refs(value: &Value, uses: &mut HashMap<String, usize>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).map(def_name) {
                *uses.entry(name.to_string()).or_default() += 1;
            }
            map.values().for_each(|v| count_refs(v, uses));
        }
        Value::Array(items) => items.iter().for_each(|v| count_refs(v, uses)),
        _ => {}
    }
}

fn def_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// `T | null` as `T`: an optional field is simply left out of `required`.
fn unwrap_nullable(schema: &Value) -> Value {
    let Some(map) = schema.as_object() else {
        return schema.clone();
    };
    let mut map = map.clone();
    if let Some(Value::Array(types)) = map.get("type") {
        let rest: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        let kind = match rest.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(rest),
        };
        map.insert("type".into(), kind);
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(variants)) = map.get(key) else {
            continue;
        };
        let rest: Vec<Value> = variants
            .iter()
            .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
            .cloned()
            .collect();
        if rest.len() == 1 && rest.len() < variants.len() {
            map.remove(key);
            if let Value::Object(inner) = &rest[0] {
                for (k, v) in inner {
                    if !(k == "description" && map.contains_key("description")) {
                        map.insert(k.clone(), v.clone());
                    }
                }
            }
        } else if rest.len() < variants.len() {
            map.insert(key.into(), Value::Array(rest));
        }
    }
    Value::Object(map)
}

/// The JSON type a schema describes, when it says.
fn json_type(schema: &Value) -> Option<&'static str> {
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => Some("object"),
        Some("array") => Some("array"),
        Some("string") => Some("string"),
        Some("integer") => Some("integer"),
        Some("number") => Some("number"),
        Some("boolean") => Some("boolean"),
        _ if schema.get("properties").is_some() => Some("object"),
        _ => None,
    }
}

/// Renders nested types as signatures for one tool.
struct Signatures<'a> {
    defs: &'a JsonObject,
    /// `$ref`s per definition in the whole tool schema.
    uses: HashMap<String, usize>,
    /// Object definitions already written out in full once (later: by name).
    named: HashSet<String>,
    /// Definitions being expanded (a recursive type refers to itself by name).
    stack: Vec<String>,
    /// `where Name: …` notes for named scalar types, pending for the current field.
    wheres: Vec<String>,
}

impl Signatures<'_> {
    fn def<'r>(&self, reference: &'r str) -> Option<(&'r str, Value)> {
        let name = def_name(reference);
        self.defs.get(name).map(|d| (name, unwrap_nullable(d)))
    }

    /// Whether a schema needs a signature (it holds a nested object somewhere).
    fn nested(&self, schema: &Value) -> bool {
        let schema = unwrap_nullable(schema);
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return match self.def(reference) {
                Some((_, def)) => self.nested(&def),
                None => false,
            };
        }
        if schema.get("properties").is_some()
            || schema
                .get("additionalProperties")
                .is_some_and(Value::is_object)
        {
            return true;
        }
        if let Some(items) = schema.get("items") {
            return self.nested(items);
        }
        ["oneOf", "anyOf"].iter().any(|key| {
            schema
                .get(*key)
                .and_then(Value::as_array)
                .is_some_and(|variants| variants.iter().any(|v| self.nested(v)))
        })
    }

    /// One top-level property, published.
    fn property(&mut self, prop: &Value) -> JsonObject {
        let description = prop
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let unwrapped = unwrap_nullable(prop);
        let resolved = self.resolve(&unwrapped);
        let mut out = JsonObject::new();
        // `x-brief`: the description names where the shape is shown (another tool's
        // field); the full schema still has it.
        if prop.get("x-brief") == Some(&Value::Bool(true)) {
            if let Some(kind) = json_type(&resolved) {
                out.insert("type".into(), Value::String(kind.into()));
            }
            out.insert("description".into(), Value::String(description));
            return out;
        }
        if self.nested(&resolved) {
            self.wheres.clear();
            let signature = self.signature(&unwrapped);
            let mut text = description;
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&signature);
            for note in self.wheres.drain(..) {
                text.push_str("; ");
                text.push_str(&note);
            }
            if let Some(kind) = json_type(&resolved) {
                out.insert("type".into(), Value::String(kind.into()));
            }
            out.insert("description".into(), Value::String(text));
            return out;
        }
        // Flat: JSON Schema as it is, refs inlined, nullability dropped.
        let Value::Object(flat) = self.inline(&resolved) else {
            return out;
        };
        out = flat;
        out.remove("title");
        if !description.is_empty() {
            out.insert("description".into(), Value::String(description));
        }
        out
    }

    /// A top-level `$ref` replaced by its definition.
    fn resolve(&self, schema: &Value) -> Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => match self.def(reference) {
                Some((_, def)) => def,
                None => schema.clone(),
            },
            None => schema.clone(),
        }
    }

    /// A flat schema (no nested objects) with its `$ref`s inlined.
    fn inline(&self, schema: &Value) -> Value {
        match schema {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str)
                    && let Some((_, def)) = self.def(reference)
                {
                    let mut def = match self.inline(&def) {
                        Value::Object(d) => d,
                        _ => JsonObject::new(),
                    };
                    if let Some(description) = map.get("description") {
                        def.insert("description".into(), description.clone());
                    }
                    return Value::Object(def);
                }
                let mut out = JsonObject::new();
                for (key, value) in map {
                    // The width of a Rust integer (u8: 255) is no rule of the tool's.
                    if key == "maximum" && INTEGER_WIDTHS.contains(&value.as_f64().unwrap_or(0.0)) {
                        continue;
                    }
                    let value = match key.as_str() {
                        "description" | "enum" | "const" => value.clone(),
                        _ => self.inline(&unwrap_nullable(value)),
                    };
                    out.insert(key.clone(), value);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.inline(v)).collect()),
            other => other.clone(),
        }
    }

    /// The TypeScript-like signature of a schema.
    fn signature(&mut self, schema: &Value) -> String {
        let schema = unwrap_nullable(schema);
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let Some((name, def)) = self.def(reference) else {
                return "object".into();
            };
            let name = name.to_string();
            let object_like = json_type(&def) == Some("object")
                || def.get("oneOf").is_some()
                || def.get("anyOf").is_some();
            if self.stack.contains(&name) || (object_like && self.named.contains(&name)) {
                return name;
            }
            let is_enum = def.get("enum").is_some() || def.get("const").is_some();
            if !object_like && !is_enum {
                // A named scalar (e.g. a logical type) with a description worth reading.
                if let Some(text) = def.get("description").and_then(Value::as_str) {
                    let note = format!("{name} = {text}");
                    if !self.named.contains(&name) {
                        self.named.insert(name.clone());
                        self.wheres.push(note);
                    }
                    return name;
                }
            }
            self.stack.push(name.clone());
            let body = self.signature(&def);
            self.stack.pop();
            let reused = self.uses.get(&name).copied().unwrap_or(0) > 1;
            if object_like && reused {
                self.named.insert(name.clone());
                return format!("{name}{body}");
            }
            return body;
        }
        if let Some(value) = schema.get("const") {
            return value.to_string();
        }
        if let Some(Value::Array(values)) = schema.get("enum") {
            return values
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join("|");
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(variants)) = schema.get(key) {
                let variants = variants.clone();
                return variants
                    .iter()
                    .map(|v| self.signature(v))
                    .collect::<Vec<_>>()
                    .join(" | ");
            }
        }
        match json_type(&schema) {
            Some("array") => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                let inner = self.signature(&items);
                if is_union(&inner) {
                    format!("({inner})[]")
                } else {
                    format!("{inner}[]")
                }
            }
            Some("object") => {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(Value::Object(props)) = schema.get("properties") {
                    let fields: Vec<String> = props
                        .iter()
                        .map(|(name, prop)| {
                            let optional = if required.contains(&name.as_str()) {
                                ""
                            } else {
                                "?"
                            };
                            format!("{name}{optional}: {}", self.signature(prop))
                        })
                        .collect();
                    format!("{{{}}}", fields.join(", "))
                } else if let Some(value @ Value::Object(_)) = schema.get("additionalProperties") {
                    format!("{{[key: string]: {}}}", self.signature(value))
                } else {
                    "object".into()
                }
            }
            Some(kind) => kind.into(),
            None if schema.as_object().is_some_and(|m| m.is_empty()) => "any".into(),
            None => "any".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test schemas are objects"),
        }
    }

    #[test]
    fn nested_objects_become_signatures_and_flat_fields_stay_json_schema() {
        let full = object(json!({
            "title": "P", "description": "Params of `t`.", "type": "object",
            "properties": {
                "name": {"description": "Name.", "type": "string"},
                "kind": {"description": "Kind.", "$ref": "#/$defs/Kind"},
                "limit": {"description": "Limit.", "type": ["integer", "null"]},
                "table": {"description": "The table.", "$ref": "#/$defs/Table"},
                "more": {"description": "More tables.", "type": "array", "items": {"$ref": "#/$defs/Table"}}
            },
            "required": ["name", "table"],
            "additionalProperties": false,
            "$defs": {
                "Kind": {"description": "A kind.", "type": "string", "enum": ["a", "b"]},
                "Table": {"type": "object", "description": "A table.", "properties": {
                    "name": {"type": "string", "description": "Table name."},
                    "columns": {"type": "array", "items": {"$ref": "#/$defs/Column"}},
                    "type": {"$ref": "#/$defs/LogicalType"}
                }, "required": ["name"]},
                "Column": {"type": "object", "properties": {
                    "name": {"type": "string"}, "nullable": {"type": ["boolean", "null"]}
                }, "required": ["name"]},
                "LogicalType": {"type": "string", "description": "string, integer or date"}
            }
        }));
        let published = Value::Object(listing_input(&full));
        assert_eq!(
            published,
            json!({
                "type": "object",
                "properties": {
                    "name": {"description": "Name.", "type": "string"},
                    "kind": {"description": "Kind.", "type": "string", "enum": ["a", "b"]},
                    "limit": {"description": "Limit.", "type": "integer"},
                    "table": {"type": "object", "description": "The table. Table{name: string, columns?: {name: string, nullable?: boolean}[], type?: LogicalType}; LogicalType = string, integer or date"},
                    "more": {"type": "array", "description": "More tables. Table[]"}
                },
                "required": ["name", "table"],
                "additionalProperties": false
            })
        );
    }

    #[test]
    fn recursive_types_refer_to_themselves_by_name() {
        let full = object(json!({
            "type": "object",
            "properties": {"node": {"description": "Root.", "$ref": "#/$defs/Node"}},
            "$defs": {"Node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
            }}}
        }));
        let published = Value::Object(listing_input(&full));
        assert_eq!(
            published["properties"]["node"]["description"],
            "Root. Node{children?: Node[]}"
        );
    }

    #[test]
    fn tagged_unions_list_their_variants() {
        let full = object(json!({
            "type": "object",
            "properties": {"m": {"description": "Measure.", "$ref": "#/$defs/M"}},
            "$defs": {"M": {"oneOf": [
                {"type": "string", "const": "count"},
                {"type": "object", "properties": {"sum": {"type": "string"}}, "required": ["sum"]}
            ]}}
        }));
        let published = Value::Object(listing_input(&full));
        assert_eq!(
            published["properties"]["m"]["description"],
            "Measure. \"count\" | {sum: string}"
        );
    }

    #[test]
    fn output_keeps_the_top_level_types() {
        let full = object(json!({"type": "object", "properties": {
            "id": {"type": "string", "description": "Id."},
            "n": {"type": ["integer", "null"]},
            "rows": {"type": "array", "items": {"$ref": "#/$defs/Row"}}
        }, "required": ["id"]}));
        assert_eq!(
            Value::Object(listing_output(&full)),
            json!({"type": "object", "properties": {
                "id": {"type": "string"}, "n": {"type": "integer"}, "rows": {"type": "array"}
            }})
        );
    }
}

//! JSON-RPC framing: every request gets an answer, whatever bytes it arrived as.
//!
//! rmcp drops a frame that serde cannot decode (a lone UTF-16 surrogate escape, nesting
//! deeper than serde's recursion limit, a number like `1e999`, plain garbage) without a
//! word, and answers a well-formed frame of the wrong shape (`params` an array or a
//! string) with an id-less error the caller cannot match: either way the caller waits
//! forever. [`triage`] looks at each frame before rmcp does and decides, once, for both
//! transports (stdio and HTTP):
//! - a frame rmcp can decode goes on to rmcp ([`Frame::Message`]);
//! - a frame that is not JSON gets `-32700 Parse error`, a JSON value that is not a
//!   JSON-RPC message (or a batch) `-32600 Invalid Request`, and a request whose only
//!   fault is its `params` `-32602 Invalid params` ([`Frame::Reply`]); the reply carries
//!   the request's id whenever one can be read off the frame, even a frame serde rejects
//!   (the id is looked for at the top level by a scanner that never recurses);
//! - a notification, or a response from the client, that cannot be decoded is dropped
//!   (JSON-RPC never answers either) and logged ([`Frame::Ignore`]).

use rmcp::model::{ClientJsonRpcMessage, ClientRequest};
use serde_json::{Value, json};

/// JSON-RPC's error codes for frames that never reach a method.
pub const PARSE_ERROR: i64 = -32700;
/// The frame is JSON but not a JSON-RPC request.
pub const INVALID_REQUEST: i64 = -32600;
/// The request's `params` do not fit its method.
pub const INVALID_PARAMS: i64 = -32602;

/// What to do with one incoming frame.
#[derive(Debug)]
pub enum Frame {
    /// A message rmcp decodes: hand it on.
    Message(Box<ClientJsonRpcMessage>),
    /// An error response to send back instead (one JSON object, no trailing newline).
    Reply(Vec<u8>),
    /// Nothing to answer (an undecodable notification or client response; blank line).
    Ignore,
}

/// Decides what to do with one frame (a stdio line or an HTTP request body).
pub fn triage(bytes: &[u8]) -> Frame {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Frame::Ignore;
    }
    // The common case costs one decode; the analysis below only runs for faulty frames.
    if let Ok(message) = serde_json::from_slice::<ClientJsonRpcMessage>(bytes) {
        return misread(&message).unwrap_or_else(|| Frame::Message(Box::new(message)));
    }
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => {
            let id = scan_id(bytes).unwrap_or(Value::Null);
            tracing::debug!(error = %e, "frame is not JSON: answering -32700");
            return reply(id, PARSE_ERROR, "Parse error", &e.to_string());
        }
    };
    let Value::Object(object) = &value else {
        let detail = if value.is_array() {
            "batches are not supported: send one JSON-RPC object per message"
        } else {
            "a JSON-RPC message is a JSON object"
        };
        return reply(Value::Null, INVALID_REQUEST, "Invalid Request", detail);
    };
    let decode_error = match serde_json::from_value::<ClientJsonRpcMessage>(value.clone()) {
        Ok(message) => return Frame::Message(Box::new(message)),
        Err(e) => e,
    };
    let id = object.get("id").cloned();
    let is_request = object.contains_key("method") && id.as_ref().is_some_and(|i| !i.is_null());
    if !is_request {
        tracing::debug!(error = %decode_error, "undecodable notification or client response dropped");
        return Frame::Ignore;
    }
    let id = id.filter(valid_id).unwrap_or(Value::Null);
    if id.is_null() {
        return reply(
            id,
            INVALID_REQUEST,
            "Invalid Request",
            "`id` must be a string or an integer",
        );
    }
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return reply(
            id,
            INVALID_REQUEST,
            "Invalid Request",
            "`jsonrpc` must be \"2.0\"",
        );
    }
    if let Some(params) = object.get("params") {
        if !params.is_object() {
            return reply(
                id,
                INVALID_PARAMS,
                "Invalid params",
                "`params` must be an object",
            );
        }
        // The params are at fault when the same request decodes without them.
        let mut bare = object.clone();
        bare.remove("params");
        if serde_json::from_value::<ClientJsonRpcMessage>(Value::Object(bare)).is_ok() {
            return reply(
                id,
                INVALID_PARAMS,
                "Invalid params",
                &decode_error.to_string(),
            );
        }
    }
    reply(
        id,
        INVALID_REQUEST,
        "Invalid Request",
        &decode_error.to_string(),
    )
}

/// rmcp reads a standard method whose params do not fit as a custom request and answers
/// `-32601 Method not found` naming the method: misleading, since the method exists.
/// Such a request gets `-32602` with what is wrong with its params.
fn misread(message: &ClientJsonRpcMessage) -> Option<Frame> {
    let ClientJsonRpcMessage::Request(request) = message else {
        return None;
    };
    let ClientRequest::CustomRequest(custom) = &request.request else {
        return None;
    };
    let params = custom.params.clone().unwrap_or(Value::Null);
    let fault = params_fault(&custom.method, params)?;
    let id = serde_json::to_value(&request.id).unwrap_or(Value::Null);
    Some(reply(id, INVALID_PARAMS, "Invalid params", &fault))
}

/// Why `params` do not fit a standard client request `method`; `None` for a method that
/// is not one of them (rmcp answers those itself).
fn params_fault(method: &str, params: Value) -> Option<String> {
    fn fault<T: serde::de::DeserializeOwned>(params: Value) -> String {
        match serde_json::from_value::<T>(params) {
            Err(e) => format!("`params`: {e}"),
            Ok(_) => "`params` do not fit the method".to_string(),
        }
    }
    use rmcp::model as m;
    Some(match method {
        "initialize" => fault::<m::InitializeRequestParams>(params),
        "tools/call" => fault::<m::CallToolRequestParams>(params),
        "prompts/get" => fault::<m::GetPromptRequestParams>(params),
        "resources/read" => fault::<m::ReadResourceRequestParams>(params),
        "resources/subscribe" => fault::<m::SubscribeRequestParams>(params),
        "resources/unsubscribe" => fault::<m::UnsubscribeRequestParams>(params),
        "completion/complete" => fault::<m::CompleteRequestParams>(params),
        "ping"
        | "tools/list"
        | "prompts/list"
        | "resources/list"
        | "resources/templates/list"
        | "server/discover" => fault::<Option<m::PaginatedRequestParams>>(params),
        _ => return None,
    })
}

/// A JSON-RPC id dana can echo: a string or an integer.
fn valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

fn reply(id: Value, code: i64, message: &str, detail: &str) -> Frame {
    Frame::Reply(error_reply(id, code, message, detail))
}

/// A JSON-RPC error response, serialized (no trailing newline).
pub fn error_reply(id: Value, code: i64, message: &str, detail: &str) -> Vec<u8> {
    let response = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message, "data": {"detail": detail}},
    });
    serde_json::to_vec(&response).unwrap_or_default()
}

/// The top-level `"id"` of a frame serde rejected, if it is a string or an integer and
/// can be read before the fault. Scans iteratively: depth costs a counter, not a stack
/// frame, so a frame nested a million levels deep is scanned like any other.
pub fn scan_id(bytes: &[u8]) -> Option<Value> {
    let mut s = Scanner { bytes, at: 0 };
    s.skip_ws();
    s.eat(b'{')?;
    loop {
        s.skip_ws();
        let key = s.string()?;
        s.skip_ws();
        s.eat(b':')?;
        s.skip_ws();
        if key == b"id" {
            let start = s.at;
            s.skip_value()?;
            let id: Value = serde_json::from_slice(&s.bytes[start..s.at]).ok()?;
            return valid_id(&id).then_some(id);
        }
        s.skip_value()?;
        s.skip_ws();
        match s.next()? {
            b',' => continue,
            _ => return None,
        }
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn next(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    fn skip_ws(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// A string's raw bytes between its quotes (escapes left as they are).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        loop {
            match self.next()? {
                b'"' => {
                    let bytes: &'a [u8] = self.bytes;
                    return Some(&bytes[start..self.at - 1]);
                }
                b'\\' => {
                    self.next()?;
                }
                _ => {}
            }
        }
    }

    /// Skips one value of any depth with a counter.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            self.skip_ws();
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.string()?;
                }
                b'{' | b'[' => {
                    self.at += 1;
                    depth += 1;
                    continue;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return None;
                    }
                    self.at += 1;
                    depth -= 1;
                }
                b',' | b':' if depth > 0 => {
                    self.at += 1;
                    continue;
                }
                _ => {
                    // A number, true, false or null: up to the next delimiter.
                    let start = self.at;
                    while self.bytes.get(self.at).is_some_and(|b| {
                        !matches!(b, b',' | b'}' | b']' | b':') && !b.is_ascii_whitespace()
                    }) {
                        self.at += 1;
                    }
                    if self.at == start {
                        return None;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answer(frame: &[u8]) -> Value {
        match triage(frame) {
            Frame::Reply(bytes) => serde_json::from_slice(&bytes).expect("a reply is JSON"),
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    #[test]
    fn undecodable_frames_are_answered_with_their_id() {
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let cases: Vec<(&[u8], Value, i64)> = vec![
            (
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"e":"\ud800"}}}"#,
                json!(1),
                PARSE_ERROR,
            ),
            (deep.as_bytes(), json!(7), PARSE_ERROR),
            (
                br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"arguments":{"n":1e999}}}"#,
                json!("a"),
                PARSE_ERROR,
            ),
            (
                br#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":[1,2]}"#,
                json!(4),
                INVALID_PARAMS,
            ),
            (
                br#"{"jsonrpc":"2.0","id":5,"method":"tools/list","params":"abc"}"#,
                json!(5),
                INVALID_PARAMS,
            ),
            (
                br#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":3}}"#,
                json!(6),
                INVALID_PARAMS,
            ),
            (
                br#"{"jsonrpc":"2.0","id":"t","method":"tools/call","params":{"name":"x","arguments":[1]}}"#,
                json!("t"),
                INVALID_PARAMS,
            ),
            (
                br#"{"jsonrpc":"2.0","id":12,"method":"tools/call"}"#,
                json!(12),
                INVALID_PARAMS,
            ),
            (
                br#"{"jsonrpc":"2.0","id":13,"method":"initialize","params":{}}"#,
                json!(13),
                INVALID_PARAMS,
            ),
            (b"not json", Value::Null, PARSE_ERROR),
            (b"[1,2]", Value::Null, INVALID_REQUEST),
            (b"42", Value::Null, INVALID_REQUEST),
            (
                br#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#,
                Value::Null,
                INVALID_REQUEST,
            ),
            (
                br#"{"jsonrpc":"1.0","id":9,"method":"ping"}"#,
                json!(9),
                INVALID_REQUEST,
            ),
        ];
        for (frame, id, code) in cases {
            let answer = answer(frame);
            assert_eq!(
                answer["id"],
                id,
                "{}",
                String::from_utf8_lossy(&frame[..40.min(frame.len())])
            );
            assert_eq!(answer["error"]["code"], code);
            assert_eq!(answer["jsonrpc"], "2.0");
        }
    }

    #[test]
    fn decodable_messages_pass_and_notifications_are_never_answered() {
        assert!(matches!(
            triage(br#"{"jsonrpc":"2.0","id":8,"method":"ping"}"#),
            Frame::Message(_)
        ));
        assert!(matches!(
            triage(b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"),
            Frame::Message(_)
        ));
        for frame in [
            &br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":[1]}"#[..],
            b"   ",
            b"",
        ] {
            assert!(matches!(triage(frame), Frame::Ignore), "{frame:?}");
        }
    }

    #[test]
    fn the_id_scanner_reads_past_any_depth_and_stops_at_faults() {
        assert_eq!(
            scan_id(br#"{"a":[[{"b":"}"}]],"id":"x\"y"}"#),
            Some(json!("x\"y"))
        );
        assert_eq!(scan_id(br#"{"id":12,"params":{"#), Some(json!(12)));
        assert_eq!(scan_id(br#"{"params":{"a":1e999},"id":3}"#), Some(json!(3)));
        assert_eq!(scan_id(br#"{"id":1.5}"#), None);
        assert_eq!(scan_id(br#"{"params":[,"id":3}"#), None);
        assert_eq!(scan_id(b"[\"id\",1]"), None);
        assert_eq!(scan_id(b""), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Any bytes: an answer or a message, never a panic; requests with a readable id
        /// keep it.
        #[test]
        fn any_bytes_are_triaged(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Frame::Reply(reply) = triage(&bytes) {
                let reply: Value = serde_json::from_slice(&reply).unwrap();
                prop_assert!(reply["error"]["code"].is_i64());
            }
        }

        /// A request broken after its id is answered with that id.
        #[test]
        fn broken_requests_keep_their_id(id in any::<i64>(), tail in "[\\[\\]{}\",:a-z0-9\\\\ ]{0,64}") {
            let frame = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{tail}"#);
            match triage(frame.as_bytes()) {
                Frame::Reply(reply) => {
                    let reply: Value = serde_json::from_slice(&reply).unwrap();
                    prop_assert_eq!(&reply["id"], &json!(id));
                }
                Frame::Message(_) => {}
                Frame::Ignore => prop_assert!(false, "a request was ignored: {}", frame),
            }
        }
    }
}

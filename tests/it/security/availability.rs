//! Availability: every request gets an answer whatever bytes it arrives as (stdio and
//! HTTP), and slow or greedy HTTP clients cannot take the server from everyone else
//! (header and body timeouts, permits taken only once a body is in, connections and
//! sessions per client, active sessions never closed for a newcomer).

use std::process::Stdio;
use std::time::{Duration, Instant};

use dana::server::DanaServer;
use dana::server::http::{HttpOptions, HttpServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A hostile frame, the id its answer must carry and the error code.
struct Hostile {
    what: &'static str,
    frame: Vec<u8>,
    id: Value,
    code: i64,
}

fn hostile(what: &'static str, frame: impl Into<Vec<u8>>, id: Value, code: i64) -> Hostile {
    Hostile {
        what,
        frame: frame.into(),
        id,
        code,
    }
}

fn call(id: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{params}}}"#)
}

/// One of each class of frame that serde, or rmcp, cannot take.
fn hostile_frames() -> Vec<Hostile> {
    let nested = |depth: usize| {
        call(
            "30",
            &format!(
                r#"{{"name":"triage_failure","arguments":{{"error":{}1{}}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        )
    };
    let mut invalid_utf8 = br#"{"jsonrpc":"2.0","id":21,"method":"ping","params":{"x":""#.to_vec();
    invalid_utf8.extend_from_slice(b"\xff\xfe\"}}");
    vec![
        hostile(
            "lone high surrogate",
            call(
                "1",
                r#"{"name":"triage_failure","arguments":{"error":"\ud800"}}"#,
            ),
            json!(1),
            -32700,
        ),
        hostile(
            "lone low surrogate",
            call(
                "2",
                r#"{"name":"triage_failure","arguments":{"error":"a\udc00b"}}"#,
            ),
            json!(2),
            -32700,
        ),
        hostile("nesting 200 deep", nested(200), json!(30), -32700),
        hostile("nesting 100k deep", nested(100_000), json!(30), -32700),
        hostile(
            "number out of range",
            call(
                "\"big\"",
                r#"{"name":"triage_failure","arguments":{"error":1e999}}"#,
            ),
            json!("big"),
            -32700,
        ),
        hostile(
            "negative number out of range",
            call("4", r#"{"name":"x","arguments":{"n":-1e999}}"#),
            json!(4),
            -32700,
        ),
        hostile("params an array", call("5", "[1,2]"), json!(5), -32602),
        hostile("params a string", call("6", r#""abc""#), json!(6), -32602),
        hostile("params a number", call("7", "3"), json!(7), -32602),
        hostile("params null", call("8", "null"), json!(8), -32602),
        hostile(
            "arguments an array",
            call("9", r#"{"name":"triage_failure","arguments":[1]}"#),
            json!(9),
            -32602,
        ),
        hostile(
            "tool name missing",
            call("10", r#"{"arguments":{}}"#),
            json!(10),
            -32602,
        ),
        hostile(
            "tools/list params a string",
            r#"{"jsonrpc":"2.0","id":11,"method":"tools/list","params":"x"}"#,
            json!(11),
            -32602,
        ),
        hostile(
            "id a float",
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            Value::Null,
            -32600,
        ),
        hostile(
            "batch",
            r#"[{"jsonrpc":"2.0","id":12,"method":"ping"}]"#,
            Value::Null,
            -32600,
        ),
        hostile(
            "wrong jsonrpc version",
            r#"{"jsonrpc":"1.0","id":13,"method":"ping"}"#,
            json!(13),
            -32600,
        ),
        hostile("not JSON", "hello", Value::Null, -32700),
        hostile("invalid UTF-8", invalid_utf8, json!(21), -32700),
        hostile(
            "truncated",
            r#"{"jsonrpc":"2.0","id":22,"method":"ping""#,
            json!(22),
            -32700,
        ),
        hostile("a JSON string", r#""ping""#, Value::Null, -32600),
    ]
}

fn check_answer(case: &Hostile, answer: &Value) {
    assert_eq!(answer["jsonrpc"], "2.0", "{}: {answer}", case.what);
    assert_eq!(answer["id"], case.id, "{}: {answer}", case.what);
    assert_eq!(
        answer["error"]["code"], case.code,
        "{}: {answer}",
        case.what
    );
}

struct Stdio_ {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: BufReader<tokio::process::ChildStdout>,
    _dir: tempfile::TempDir,
}

impl Stdio_ {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dana"))
            .arg("--workspace")
            .arg(dir.path())
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut s = Stdio_ {
            child,
            stdin,
            stdout,
            _dir: dir,
        };
        s.send(
            json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
                "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}})
            .to_string()
            .as_bytes(),
        )
        .await;
        assert_eq!(s.answer().await["id"], 0);
        s.send(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
        s
    }

    async fn send(&mut self, frame: &[u8]) {
        self.stdin.write_all(frame).await.unwrap();
        self.stdin.write_all(b"\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn answer(&mut self) -> Value {
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(10), self.stdout.read_line(&mut line))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }
}

#[tokio::test]
async fn stdio_answers_every_request_whatever_its_frame() {
    let mut s = Stdio_::start().await;
    for case in hostile_frames() {
        s.send(&case.frame).await;
        let answer = s.answer().await;
        check_answer(&case, &answer);
    }
    // Notifications that cannot be decoded get no answer (JSON-RPC never answers one):
    // the next answer is the ping's.
    s.send(br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":[1]}"#)
        .await;
    s.send(br#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#)
        .await;
    assert_eq!(s.answer().await["id"], "after");
    // A line over the 16 MiB limit is skipped as it streams and answered with its id.
    let mut huge = br#"{"jsonrpc":"2.0","id":"huge","method":"tools/call","params":{"name":"triage_failure","arguments":{"error":""#.to_vec();
    huge.resize(huge.len() + 17 * 1024 * 1024, b'a');
    huge.extend_from_slice(br#""}}}"#);
    s.send(&huge).await;
    let answer = s.answer().await;
    assert_eq!(answer["id"], "huge", "{answer}");
    assert_eq!(answer["error"]["code"], -32600);
    s.send(br#"{"jsonrpc":"2.0","id":"still","method":"ping"}"#)
        .await;
    assert_eq!(s.answer().await["id"], "still");
    s.child.kill().await.ok();
}

async fn http_server(
    options_for: impl FnOnce(&mut HttpOptions),
) -> (
    String,
    tokio_util::sync::CancellationToken,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let app = dana::App::open(dir.path()).unwrap();
    let server = DanaServer::new(app, None).unwrap();
    let mut options = HttpOptions::new("127.0.0.1:0".parse().unwrap());
    options_for(&mut options);
    let bound = HttpServer::bind(server, options).await.unwrap();
    let addr = bound.local_addr().to_string();
    let token = bound.shutdown_token();
    tokio::spawn(bound.run());
    (addr, token, dir)
}

fn initialize() -> Value {
    json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}})
}

async fn post(addr: &str, session: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(session) = session {
        request = request
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-06-18");
    }
    request.body(body).send().await.unwrap()
}

async fn open_session(addr: &str) -> reqwest::Response {
    post(addr, None, initialize().to_string().into_bytes()).await
}

async fn session_of(addr: &str) -> String {
    let response = open_session(addr).await;
    assert_eq!(response.status(), 200);
    let id = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let initialized = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_vec();
    assert_eq!(post(addr, Some(&id), initialized).await.status(), 202);
    id
}

async fn ping_on(addr: &str, session: &str) -> u16 {
    let ping = br#"{"jsonrpc":"2.0","id":"p","method":"ping"}"#.to_vec();
    post(addr, Some(session), ping).await.status().as_u16()
}

#[tokio::test]
async fn http_answers_every_request_whatever_its_body() {
    let (addr, stop, _dir) = http_server(|_| {}).await;
    let session = session_of(&addr).await;
    for with_session in [None, Some(session.as_str())] {
        for case in hostile_frames() {
            if case.frame.len() > 1024 * 1024 {
                continue; // over the body limit: 413, tested below
            }
            let response = post(&addr, with_session, case.frame.clone()).await;
            assert_eq!(response.status(), 400, "{}", case.what);
            assert_eq!(
                response.headers()["content-type"],
                "application/json",
                "{}",
                case.what
            );
            let answer: Value = response.json().await.unwrap();
            check_answer(&case, &answer);
        }
    }
    let too_big = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(post(&addr, None, too_big).await.status(), 413);
    assert_eq!(ping_on(&addr, &session).await, 200);
    stop.cancel();
}

/// Sends a POST's headers and the first byte of its body, and keeps the connection.
async fn trickle(addr: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 200\r\n\r\n{{"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp
}

async fn read_some(tcp: &mut TcpStream, within: Duration) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(within, tcp.read(&mut buf)).await {
        Ok(Ok(n)) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Ok(Err(_)) => Some(String::new()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn http_slow_bodies_hold_no_permit_and_time_out() {
    let (addr, stop, _dir) = http_server(|o| {
        o.max_concurrency = 2;
        o.body_timeout = Duration::from_secs(2);
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..4 {
        slow.push(trickle(&addr).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Four trickling bodies and two permits: everyone else is still served.
    let started = Instant::now();
    let session = session_of(&addr).await;
    assert_eq!(ping_on(&addr, &session).await, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    for tcp in &mut slow {
        let answer = read_some(tcp, Duration::from_secs(5))
            .await
            .expect("the slow body is answered");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    stop.cancel();
}

#[tokio::test]
async fn http_slow_headers_are_cut_off() {
    let (addr, stop, _dir) = http_server(|o| {
        o.header_timeout = Duration::from_secs(1);
    })
    .await;
    let mut tcp = TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(format!("POST /mcp HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_some(&mut tcp, Duration::from_secs(5))
        .await
        .expect("the connection is closed, not kept waiting");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    stop.cancel();
}

#[tokio::test]
async fn http_connections_per_client_are_capped() {
    let (addr, stop, _dir) = http_server(|o| {
        o.max_connections_per_client = 3;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    let mut extra = TcpStream::connect(&addr).await.unwrap();
    extra
        .write_all(format!("GET /mcp HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .ok();
    let answer = read_some(&mut extra, Duration::from_secs(5))
        .await
        .expect("the extra connection is closed at once");
    assert!(answer.is_empty(), "{answer}");
    held.pop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(open_session(&addr).await.status(), 200);
    stop.cancel();
}

#[tokio::test]
async fn http_session_flood_never_closes_an_active_session() {
    let (addr, stop, _dir) = http_server(|o| {
        o.max_sessions = 3;
    })
    .await;
    let mine = session_of(&addr).await;
    let mut refused = 0;
    for _ in 0..10 {
        let response = open_session(&addr).await;
        match response.status().as_u16() {
            200 => {}
            503 => {
                assert_eq!(response.headers()["retry-after"], "5");
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
        assert_eq!(ping_on(&addr, &mine).await, 200, "my session survives");
    }
    assert_eq!(refused, 8, "two sessions fit beside mine; the rest wait");
    stop.cancel();
}

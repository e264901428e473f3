//! Streamable HTTP transport at `/mcp`: loopback by default, Host allow-list and Origin
//! validation on (403), bearer token required off loopback (401), bounded bodies (413)
//! and bounded concurrency (503), idle sessions expire, and live sessions are capped
//! (the least recently active is closed to make room).
//!
//! Against slow or greedy clients: request headers must arrive within `header_timeout`
//! and a POST body within `body_timeout` (408), and a body is read *before* it takes a
//! concurrency permit, so clients trickling bytes hold no permit; each client address
//! holds at most `max_connections_per_client` connections and (off loopback)
//! `max_sessions_per_client` sessions; a session active within `session_protect` is never
//! closed to make room for another client's. Every POST body is triaged by
//! [`super::framing`] first: a frame rmcp would reject with a plain-text 415 gets a
//! JSON-RPC error (`-32700`, `-32600`, `-32602`) with its id instead.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::WorkerTransport;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, LocalSessionWorker, SessionConfig,
};
use rmcp::transport::streamable_http_server::session::{ServerSseMessage, SessionId};
use rmcp::transport::streamable_http_server::{
    SessionManager, StreamableHttpServerConfig, StreamableHttpService,
};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::DanaServer;
use super::framing::{self, Frame};
use crate::error::{Error, Result};

/// Environment variable holding the bearer token.
pub const TOKEN_ENV: &str = "DANA_TOKEN";

/// How to serve over HTTP.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Address to bind (default 127.0.0.1:8765).
    pub addr: SocketAddr,
    /// Bearer token; required when `addr` is not loopback.
    pub token: Option<String>,
    /// Extra Host values accepted (beyond loopback and the bound address).
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted; none by default.
    pub allowed_origins: Vec<String>,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Most POST requests in flight (until their response has been sent); more get 503.
    pub max_concurrency: usize,
    /// Idle session lifetime.
    pub session_idle: Duration,
    /// Most live sessions; opening one more closes the least recently active.
    pub max_sessions: usize,
    /// Time allowed for a request's headers to arrive (the connection is closed after).
    pub header_timeout: Duration,
    /// Time allowed for a POST body to arrive once its headers have (408 after).
    pub body_timeout: Duration,
    /// Most open connections from one client address (more are closed on accept).
    pub max_connections_per_client: usize,
    /// Most live sessions of one non-loopback client address; opening one more closes
    /// that client's own least recently active session. Loopback clients share the
    /// global cap: every local process has the same address.
    pub max_sessions_per_client: usize,
    /// A session active this recently is never closed to make room for a new one: when
    /// no other session can be closed, the new one is refused (503).
    pub session_protect: Duration,
}

impl HttpOptions {
    /// Defaults for `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        HttpOptions {
            addr,
            token: None,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            max_body_bytes: 1024 * 1024,
            max_concurrency: 64,
            session_idle: Duration::from_secs(300),
            max_sessions: 1000,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections_per_client: 256,
            max_sessions_per_client: 100,
            session_protect: Duration::from_secs(60),
        }
    }
}

/// A bound, not yet running, HTTP server.
pub struct HttpServer {
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    header_timeout: Duration,
    connections: Arc<Connections>,
}

impl HttpServer {
    /// Binds the listener and builds the service; fails before serving anything when
    /// the options are unsafe (non-loopback without a token).
    pub async fn bind(server: DanaServer, options: HttpOptions) -> Result<Self> {
        let loopback = options.addr.ip().is_loopback();
        let token = options.token.clone().filter(|t| !t.trim().is_empty());
        if !loopback && token.is_none() {
            return Err(Error::invalid(format!(
                "binding non-loopback address `{}` requires a bearer token (--token or {TOKEN_ENV})",
                options.addr
            )));
        }
        let listener = TcpListener::bind(options.addr)
            .await
            .map_err(|e| Error::io("bind", options.addr.to_string(), e))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::io("bind", options.addr.to_string(), e))?;
        let shutdown = CancellationToken::new();

        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        if !loopback && !bound.ip().is_unspecified() {
            hosts.push(host_of(bound.ip()));
        }
        hosts.extend(options.allowed_hosts.iter().cloned());
        // Pages served from this machine's loopback may call us; every other Origin is
        // refused (DNS rebinding), unless listed.
        let mut origins: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .flat_map(|h| [format!("http://{h}:*"), format!("https://{h}:*")])
            .collect();
        origins.extend(options.allowed_origins.iter().cloned());
        let mut config = StreamableHttpServerConfig::default()
            .with_allowed_hosts(hosts)
            .with_allowed_origins(origins)
            .enforce_origin_validation()
            .with_max_request_body_bytes(options.max_body_bytes)
            .with_cancellation_token(shutdown.child_token());
        if !loopback && bound.ip().is_unspecified() {
            // Bound to every interface: the operator must list the host names to accept.
            if options.allowed_hosts.is_empty() {
                return Err(Error::invalid(format!(
                    "binding `{}` accepts any interface; list the host names clients use in [http] allowed_hosts of dana.toml",
                    options.addr
                )));
            }
        }
        config.sse_keep_alive = Some(Duration::from_secs(15));
        let mut sessions = LocalSessionManager::default();
        let mut session_config = SessionConfig::default();
        session_config.keep_alive = Some(options.session_idle);
        sessions.session_config = session_config;
        let sessions = Arc::new(CappedSessions {
            inner: sessions,
            max: options.max_sessions.max(1),
            max_per_client: options.max_sessions_per_client.max(1),
            protect: options.session_protect,
            recency: Mutex::default(),
        });
        let factory_server = server.clone();
        let service = StreamableHttpService::new(
            move || Ok(factory_server.for_connection()),
            sessions.clone(),
            config,
        );
        let guard = Arc::new(Guard {
            token_digest: token.map(|t| Sha256::digest(t.as_bytes()).into()),
            permits: Arc::new(Semaphore::new(options.max_concurrency.max(1))),
            max_body_bytes: options.max_body_bytes,
            body_timeout: options.body_timeout,
            sessions,
        });
        let router = Router::new()
            .nest_service("/mcp", service)
            .layer(middleware::from_fn_with_state(guard, guard_layer));
        Ok(HttpServer {
            listener,
            router,
            shutdown,
            header_timeout: options.header_timeout,
            connections: Arc::new(Connections {
                max_per_client: options.max_connections_per_client.max(1),
                open: Mutex::default(),
            }),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// A token that stops the server when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled, then lets open connections finish
    /// (up to a few seconds).
    pub async fn run(self) -> Result<()> {
        let addr = self.local_addr();
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of descriptors and the like: wait instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = self.shutdown.cancelled() => break,
            };
            let Some(slot) = self.connections.open(peer.ip()) else {
                tracing::info!(client = %peer.ip(), "connection limit per client reached: closing the new connection");
                continue;
            };
            // Responses are small SSE or JSON frames: without TCP_NODELAY, Nagle and
            // delayed ACKs add ~40 ms to every request on a kept-alive connection.
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
            let client = Client(peer.ip());
            let service = tower::ServiceExt::map_request(
                self.router.clone(),
                move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(client);
                    request.map(Body::new)
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(self.header_timeout)
                .serve_connection(
                    hyper_util::rt::TokioIo::new(tcp),
                    hyper_util::service::TowerToHyperService::new(service),
                );
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop(slot);
            });
        }
        drop(self.listener);
        if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
            .await
            .is_err()
        {
            tracing::debug!(%addr, "connections still open after 5 s: closing them");
        }
        Ok(())
    }
}

/// The address a request came from, set by the accept loop.
#[derive(Debug, Clone, Copy)]
struct Client(IpAddr);

tokio::task_local! {
    /// The client whose request is being served: read when rmcp opens a session.
    static CLIENT: IpAddr;
}

/// Open connections per client address.
struct Connections {
    max_per_client: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection, counted until dropped.
struct Slot {
    connections: Arc<Connections>,
    ip: IpAddr,
}

impl Connections {
    fn open(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_default();
        if *count >= self.max_per_client {
            return None;
        }
        *count += 1;
        Some(Slot {
            connections: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .connections
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

struct Guard {
    token_digest: Option<[u8; 32]>,
    permits: Arc<Semaphore>,
    max_body_bytes: usize,
    body_timeout: Duration,
    sessions: Arc<CappedSessions>,
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}

/// Reads a POST body whole, within the size and time limits.
async fn read_body(guard: &Guard, body: Body) -> std::result::Result<Vec<u8>, Box<Response>> {
    let max = guard.max_body_bytes;
    let read = async {
        let mut bytes = Vec::new();
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| {
                Box::new(plain(
                    StatusCode::BAD_REQUEST,
                    "request body could not be read\n",
                ))
            })?;
            if bytes.len() + chunk.len() > max {
                return Err(Box::new(plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request body too large\n",
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(guard.body_timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(Box::new(plain(
                StatusCode::REQUEST_TIMEOUT,
                "request body not received in time\n",
            )))
        })
}

async fn guard_layer(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    if let Some(expected) = &guard.token_digest {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| -> [u8; 32] { Sha256::digest(t.trim().as_bytes()).into() });
        // Comparing digests keeps the comparison time independent of the token.
        if given.as_ref() != Some(expected) {
            let mut response = (
                StatusCode::UNAUTHORIZED,
                "missing or invalid bearer token\n",
            )
                .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dana\""),
            );
            return response;
        }
    }
    let client = request
        .extensions()
        .get::<Client>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0);
    if request.method() == Method::POST {
        // The whole body first: a client trickling bytes holds no permit while it does.
        let (parts, body) = request.into_parts();
        let bytes = match read_body(&guard, body).await {
            Ok(bytes) => bytes,
            Err(response) => return *response,
        };
        if let Frame::Reply(reply) = framing::triage(&bytes) {
            let mut response = Response::new(Body::from(reply));
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return response;
        }
        let opens_session = !parts.headers.contains_key("mcp-session-id");
        if opens_session && !guard.sessions.has_room_for(client) {
            let mut response = plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "every session is in use; retry shortly\n",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return response;
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        let Ok(permit) = guard.permits.clone().try_acquire_owned() else {
            let mut response =
                Response::new(Body::from("too many concurrent requests; retry shortly\n"));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        };
        // A POST answered with an SSE stream returns its headers before the tool has
        // run: the permit travels with the body so it bounds the work, not the headers.
        return CLIENT.scope(client, next.run(request)).await.map(|body| {
            Body::from_stream(body.into_data_stream().map(move |chunk| {
                let _held = &permit;
                chunk
            }))
        });
    }
    let is_delete = request.method() == Method::DELETE;
    let mut response = next.run(request).await;
    // Ending a session has nothing left to accept: say 204, which every client reads as
    // success (the Python SDK reports rmcp's 202 as a failed termination).
    if is_delete && response.status() == StatusCode::ACCEPTED {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

fn host_of(ip: IpAddr) -> String {
    ip.to_string()
}

/// rmcp's in-memory sessions with a ceiling. At `max` live sessions, opening one more
/// first closes another: a session opened and abandoned is exactly the kind closed, so a
/// flood of them cannot grow memory without bound, while clients in use keep theirs. The
/// session closed is the least recently active one of the client holding the most
/// sessions, never one active within `protect`; a client off loopback at
/// `max_per_client` sessions closes its own least recently active one. When nothing can
/// be closed, the new session is refused (503, checked by [`CappedSessions::has_room_for`]
/// before rmcp opens it). An evicted client gets 404 on its next request and, as the spec
/// requires, starts a new session.
struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    max_per_client: usize,
    protect: Duration,
    recency: Mutex<Recency>,
}

/// Live sessions: their owner and last activity.
#[derive(Default)]
struct Recency {
    sessions: HashMap<SessionId, Activity>,
    per_client: HashMap<IpAddr, usize>,
}

struct Activity {
    client: IpAddr,
    last: Instant,
}

impl Recency {
    fn touch(&mut self, id: &SessionId) {
        if let Some(activity) = self.sessions.get_mut(id) {
            activity.last = Instant::now();
        }
    }

    fn add(&mut self, id: SessionId, client: IpAddr) {
        *self.per_client.entry(client).or_default() += 1;
        let last = Instant::now();
        self.sessions.insert(id, Activity { client, last });
    }

    fn forget(&mut self, id: &SessionId) {
        if let Some(activity) = self.sessions.remove(id)
            && let Some(count) = self.per_client.get_mut(&activity.client)
        {
            *count -= 1;
            if *count == 0 {
                self.per_client.remove(&activity.client);
            }
        }
    }

    /// The session to close so that `client` may open one, if any may be closed.
    /// `Ok(None)`: there is room already.
    fn victim(
        &self,
        client: IpAddr,
        max: usize,
        max_per_client: usize,
        protect: Duration,
    ) -> std::result::Result<Option<SessionId>, ()> {
        let now = Instant::now();
        let closable = |a: &Activity| now.duration_since(a.last) >= protect;
        let own = self.per_client.get(&client).copied().unwrap_or(0);
        if !client.is_loopback() && own >= max_per_client {
            return self
                .sessions
                .iter()
                .filter(|(_, a)| a.client == client && closable(a))
                .min_by_key(|(_, a)| a.last)
                .map(|(id, _)| Some(id.clone()))
                .ok_or(());
        }
        if self.sessions.len() < max {
            return Ok(None);
        }
        self.sessions
            .iter()
            .filter(|(_, a)| closable(a))
            .max_by_key(|(_, a)| {
                let held = self.per_client.get(&a.client).copied().unwrap_or(0);
                (held, std::cmp::Reverse(a.last))
            })
            .map(|(id, _)| Some(id.clone()))
            .ok_or(())
    }
}

impl CappedSessions {
    fn recency(&self) -> std::sync::MutexGuard<'_, Recency> {
        self.recency.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `client` may open a session now (closing another one if need be).
    fn has_room_for(&self, client: IpAddr) -> bool {
        self.recency()
            .victim(client, self.max, self.max_per_client, self.protect)
            .is_ok()
    }

    /// Records activity on `id` once `outcome` shows the session exists.
    fn touched<T>(
        &self,
        id: &SessionId,
        outcome: std::result::Result<T, LocalSessionManagerError>,
    ) -> std::result::Result<T, LocalSessionManagerError> {
        if outcome.is_ok() {
            self.recency().touch(id);
        }
        outcome
    }
}

impl SessionManager for CappedSessions {
    type Error = LocalSessionManagerError;
    type Transport = WorkerTransport<LocalSessionWorker>;

    async fn create_session(
        &self,
    ) -> std::result::Result<(SessionId, Self::Transport), Self::Error> {
        let client = CLIENT
            .try_with(|client| *client)
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        loop {
            let victim = {
                let mut recency = self.recency();
                let victim = recency
                    .victim(client, self.max, self.max_per_client, self.protect)
                    .ok()
                    .flatten();
                if let Some(id) = &victim {
                    recency.forget(id);
                }
                victim
            };
            let Some(id) = victim else { break };
            tracing::info!(session = %id, max = self.max, "session limit reached: closing the least recently active session");
            if let Err(e) = self.inner.close_session(&id).await {
                tracing::debug!(session = %id, error = %e, "evicted session was already closing");
            }
        }
        let (id, transport) = self.inner.create_session().await?;
        self.recency().add(id.clone(), client);
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> std::result::Result<ServerJsonRpcMessage, Self::Error> {
        self.inner.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> std::result::Result<bool, Self::Error> {
        self.inner.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> std::result::Result<(), Self::Error> {
        self.recency().forget(id);
        self.inner.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> std::result::Result<
        impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static,
        Self::Error,
    > {
        let outcome = self.inner.create_stream(id, message).await;
        self.touched(id, outcome)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> std::result::Result<(), Self::Error> {
        let outcome = self.inner.accept_message(id, message).await;
        self.touched(id, outcome)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> std::result::Result<
        impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static,
        Self::Error,
    > {
        let outcome = self.inner.create_standalone_stream(id).await;
        self.touched(id, outcome)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> std::result::Result<
        impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static,
        Self::Error,
    > {
        let outcome = self.inner.resume(id, last_event_id).await;
        self.touched(id, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([203, 0, 113, last])
    }

    fn book(sessions: &[(&str, IpAddr, u64)]) -> Recency {
        let mut recency = Recency::default();
        let now = Instant::now();
        for (id, client, idle_secs) in sessions {
            recency.add(SessionId::from(id.to_string()), *client);
            recency.sessions.get_mut(*id).unwrap().last = now - Duration::from_secs(*idle_secs);
        }
        recency
    }

    const PROTECT: Duration = Duration::from_secs(60);

    #[test]
    fn a_full_server_closes_the_greediest_clients_idle_session() {
        // Client 1 holds three sessions, client 2 one; all idle past the protection.
        let r = book(&[
            ("a", ip(1), 100),
            ("b", ip(1), 90),
            ("c", ip(1), 80),
            ("d", ip(2), 500),
        ]);
        let victim = r.victim(ip(3), 4, 100, PROTECT).unwrap().unwrap();
        assert_eq!(
            &*victim, "a",
            "the oldest of the client holding most, not the globally oldest"
        );
        assert_eq!(r.victim(ip(3), 5, 100, PROTECT), Ok(None), "room left");
    }

    #[test]
    fn active_sessions_are_never_closed_for_a_newcomer() {
        let r = book(&[("a", ip(1), 10), ("b", ip(1), 5), ("c", ip(2), 70)]);
        assert_eq!(&*r.victim(ip(3), 3, 100, PROTECT).unwrap().unwrap(), "c");
        let r = book(&[("a", ip(1), 10), ("b", ip(2), 5)]);
        assert_eq!(
            r.victim(ip(3), 2, 100, PROTECT),
            Err(()),
            "refused: all active"
        );
    }

    #[test]
    fn a_client_at_its_own_cap_closes_only_its_own_sessions() {
        let r = book(&[("a", ip(1), 100), ("b", ip(1), 90), ("z", ip(2), 1000)]);
        assert_eq!(&*r.victim(ip(1), 100, 2, PROTECT).unwrap().unwrap(), "a");
        let r = book(&[("a", ip(1), 1), ("b", ip(1), 2), ("z", ip(2), 1000)]);
        assert_eq!(r.victim(ip(1), 100, 2, PROTECT), Err(()));
        // Loopback clients share the global pool: no cap of their own.
        let local = IpAddr::from([127, 0, 0, 1]);
        let r = book(&[("a", local, 1), ("b", local, 2)]);
        assert_eq!(r.victim(local, 100, 2, PROTECT), Ok(None));
    }

    #[test]
    fn forgetting_keeps_the_counts() {
        let mut r = book(&[("a", ip(1), 1), ("b", ip(1), 2)]);
        r.forget(&SessionId::from("a".to_string()));
        r.forget(&SessionId::from("a".to_string()));
        assert_eq!(r.per_client.get(&ip(1)), Some(&1));
        r.forget(&SessionId::from("b".to_string()));
        assert!(r.per_client.is_empty() && r.sessions.is_empty());
    }
}

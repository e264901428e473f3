//! Streamable HTTP transport at `/mcp`: loopback by default, Host allow-list and Origin
//! validation on (403), bearer token required off loopback (401), bounded bodies (413)
//! and bounded concurrency (503), idle sessions expire, and live sessions are capped
//! (the least recently active is closed to make room).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

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
        }
    }
}

/// A bound, not yet running, HTTP server.
pub struct HttpServer {
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
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
        let sessions = CappedSessions {
            inner: sessions,
            max: options.max_sessions.max(1),
            recency: Mutex::default(),
        };
        let factory_server = server.clone();
        let service = StreamableHttpService::new(
            move || Ok(factory_server.clone()),
            Arc::new(sessions),
            config,
        );
        let guard = Arc::new(Guard {
            token_digest: token.map(|t| Sha256::digest(t.as_bytes()).into()),
            permits: Arc::new(Semaphore::new(options.max_concurrency.max(1))),
        });
        let router = Router::new()
            .nest_service("/mcp", service)
            .layer(middleware::from_fn_with_state(guard, guard_layer));
        Ok(HttpServer {
            listener,
            router,
            shutdown,
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

    /// Serves until the shutdown token is cancelled.
    pub async fn run(self) -> Result<()> {
        let shutdown = self.shutdown.clone();
        let addr = self.local_addr();
        // Responses are small SSE or JSON frames: without TCP_NODELAY, Nagle and delayed
        // ACKs add ~40 ms to every request on a kept-alive connection.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        axum::serve(listener, self.router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
            .map_err(|e| Error::io("serve", addr.to_string(), e))
    }
}

struct Guard {
    token_digest: Option<[u8; 32]>,
    permits: Arc<Semaphore>,
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
    if request.method() == Method::POST {
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
        return next.run(request).await.map(|body| {
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
/// first closes the least recently active one: a session opened and abandoned is exactly
/// that, so a flood of them cannot grow memory without bound, while clients in use keep
/// theirs. An evicted client gets 404 on its next request and, as the spec requires,
/// starts a new session. (Refusing with 503 instead would lock every new client out
/// until the flood expires.)
struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    recency: Mutex<Recency>,
}

/// Live sessions ordered by last activity.
#[derive(Default)]
struct Recency {
    tick: u64,
    by_session: HashMap<SessionId, u64>,
    by_tick: BTreeMap<u64, SessionId>,
}

impl Recency {
    fn touch(&mut self, id: &SessionId) {
        self.tick += 1;
        if let Some(old) = self.by_session.insert(id.clone(), self.tick) {
            self.by_tick.remove(&old);
        }
        self.by_tick.insert(self.tick, id.clone());
    }

    fn forget(&mut self, id: &SessionId) {
        if let Some(old) = self.by_session.remove(id) {
            self.by_tick.remove(&old);
        }
    }
}

impl CappedSessions {
    fn recency(&self) -> std::sync::MutexGuard<'_, Recency> {
        self.recency.lock().unwrap_or_else(PoisonError::into_inner)
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
        loop {
            let victim = {
                let mut recency = self.recency();
                if recency.by_session.len() < self.max {
                    break;
                }
                let oldest = recency.by_tick.first_key_value().map(|(_, id)| id.clone());
                if let Some(id) = &oldest {
                    recency.forget(id);
                }
                oldest
            };
            let Some(id) = victim else { break };
            tracing::info!(session = %id, max = self.max, "session limit reached: closing the least recently active session");
            if let Err(e) = self.inner.close_session(&id).await {
                tracing::debug!(session = %id, error = %e, "evicted session was already closing");
            }
        }
        let (id, transport) = self.inner.create_session().await?;
        self.recency().touch(&id);
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

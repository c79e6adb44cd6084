//! Building the state and serving it: shared by `gerbang serve` and the integration tests.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::cache::Cache;
use crate::clock::Clock;
use crate::config::Config;
use crate::keys::{KeyError, KeyRing};
use crate::state::{AppState, Parts};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("keys: {0}")]
    Keys(#[from] KeyError),
    #[error("mail: {0}")]
    Mail(#[from] crate::mail::MailError),
    #[error("redis: {0}")]
    Cache(#[from] crate::cache::CacheError),
    #[error("{0}")]
    Registry(#[from] crate::registry::RegistryError),
    #[error("{0}")]
    AuditSink(String),
    #[error("{0}")]
    Breach(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
}

pub async fn build_state(config: Config, clock: Clock) -> Result<AppState, StartError> {
    if let Some(logo) = &config.agency_logo
        && !crate::registry::page_image(logo)
    {
        return Err(StartError::Registry(
            crate::registry::RegistryError::Invalid(
                "agency_logo must be a path on Gerbang or a data:image/ URI".into(),
            ),
        ));
    }
    let mut store = Store::connect(
        &config.database_url,
        config.database_max_connections,
        Duration::from_secs(config.database_acquire_timeout_secs),
    )
    .await?;
    // A sink that cannot work (unknown scheme, no port, unwritable file) refuses the start.
    store.audit_sink = crate::ops::audit_sink::AuditSink::start(&config.audit_sink, store.clone())
        .await
        .map_err(StartError::AuditSink)?;
    if let Some(path) = &config.clients_file {
        // Validated whole before anything is written: a typo never half-applies the file.
        let clients = crate::registry::load(path)?;
        let r = crate::registry::reconcile(&store, &clients, clock.now()).await?;
        tracing::info!(file = %path.display(), clients = r.upserted, disabled = ?r.disabled,
            "client registry reconciled");
    }
    let keys = KeyRing::load_or_generate(&config.keys_dir, clock.now())?;
    let cache = match &config.redis_url {
        Some(url) => Cache::redis(url, &config.redis_prefix, clock.clone())?,
        None => Cache::memory(clock.clone(), config.memory_cache_max_entries),
    };
    let mailer = crate::mail::Mailer::from_config(&config)?;
    let breach = crate::breach::BreachCheck::new(&config).map_err(StartError::Breach)?;
    crate::ops::metrics::handle();
    Ok(AppState::new(Parts {
        discovery: crate::oidc::discovery::document(&config).into(),
        branding: crate::web::branding::fragment(
            &config.agency_name,
            config.agency_logo.as_deref(),
        )
        .into(),
        store,
        cache,
        keys,
        mailer,
        breach,
        settings: config,
        clock,
    }))
}

/// Serves until `shutdown` resolves, with the housekeeping tasks the state needs.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = ConnLimits {
        header_read: Duration::from_secs(state.settings.header_read_timeout_secs.max(1)),
        body_read: Duration::from_secs(state.settings.body_read_timeout_secs.max(1)),
    };
    // Metrics on their own address (an internal interface), bound before anything starts
    // so a wrong address fails the start.
    let metrics = match &state.settings.metrics_listen {
        Some(addr) => {
            let l = TcpListener::bind(addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("metrics_listen {addr}: {e}"))
            })?;
            tracing::info!(listen = %addr, "metrics are served here only");
            let app = crate::ops::metrics_router().with_state(state.clone());
            Some(serve_http1(l, app, limits, std::future::pending()))
        }
        None => None,
    };
    let mut tasks = vec![
        tokio::spawn(housekeeping(state.clone())),
        tokio::spawn(crate::mail::worker::run_worker(state.clone())),
        tokio::spawn(crate::oidc::backchannel::run_worker(state.clone())),
        tokio::spawn(crate::ops::janitor::run(state.clone())),
    ];
    if let Some(m) = metrics {
        tasks.push(tokio::spawn(async move {
            if let Err(e) = m.await {
                tracing::error!(error = %e, "metrics listener failed");
            }
        }));
    }
    let app = crate::router(state);
    let served = serve_http1(listener, app, limits, shutdown).await;
    // Background work belongs to this server; nothing of it outlives the listener.
    for t in tasks {
        t.abort();
    }
    served
}

#[derive(Clone, Copy)]
struct ConnLimits {
    /// A request's head (and, between requests, the next one's) must arrive within this.
    header_read: Duration,
    /// A request's body must arrive within this after its head.
    body_read: Duration,
}

/// What `axum::serve` does, on hyper's HTTP/1 connection directly: `axum::serve` cannot set
/// a header-read timeout, so an idle or half-sent connection (slowloris) stayed open for as
/// long as the client liked. Here hyper closes a connection whose request head (or, on a
/// kept-alive connection, next request head) has not arrived within `header_read`, and a
/// body that has not arrived within `body_read` fails the request. The peer address reaches
/// handlers as `ConnectInfo`, as before; on `shutdown` the listener closes and open
/// connections finish their current request.
async fn serve_http1(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo::<SocketAddr>(peer));
                    // No timer for the bodiless requests (most GETs): nothing to wait for.
                    let req = req.map(|b| {
                        if hyper::body::Body::is_end_stream(&b) {
                            axum::body::Body::new(b)
                        } else {
                            axum::body::Body::new(tower_http::timeout::DeadlineBody::new(
                                limits.body_read,
                                b,
                            ))
                        }
                    });
                    app.clone().oneshot(req)
                },
            );
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .keep_alive(true);
            let stream = WriteStall::new(stream, limits.body_read);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                res = conn.as_mut() => {
                    if let Err(e) = res {
                        tracing::debug!(error = %e, %peer, "connection closed");
                    }
                }
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    // Every connection task holds a receiver until it is done; one that will not finish its
    // answer (a client that stopped reading) does not hold a rolling restart hostage.
    let drain = limits.header_read + limits.body_read;
    if tokio::time::timeout(drain, stop_tx.closed()).await.is_err() {
        tracing::warn!("connections still open after the shutdown drain; closing them");
    }
    Ok(())
}

/// A connection whose answer cannot be written for `limit` (the client stopped reading,
/// e.g. pipelining requests it never reads: slow-read) fails and closes, instead of holding
/// a socket, a task and kernel buffers for as long as the client likes.
struct WriteStall<S> {
    inner: S,
    limit: Duration,
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteStall<S> {
    fn new(inner: S, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled: None,
        }
    }

    /// Ready results clear the stall timer; a pending write starts it, and an expired one
    /// turns into an error.
    fn watch<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        res: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::task::Poll;
        if res.is_ready() {
            self.stalled = None;
            return res;
        }
        let limit = self.limit;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client stopped reading the answer",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteStall<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteStall<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let res = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, res)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let res = std::pin::Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, res)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let res = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, res)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

pub async fn serve(config: Config) -> Result<(), StartError> {
    let listen = config.listen.clone();
    let state = build_state(config, Clock::default()).await?;
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|e| StartError::Listen(listen.clone(), e))?;
    tracing::info!(
        listen = %listener.local_addr().map(|a| a.to_string()).unwrap_or(listen.clone()),
        issuer = %state.settings.issuer(),
        database = ?state.store.backend,
        "gerbang is serving"
    );
    run(listener, state, shutdown_signal())
        .await
        .map_err(|e| StartError::Listen(listen, e))
}

async fn housekeeping(state: AppState) {
    // Every 5 s: a stat of the key manifest is cheap, and a rotated key should be published
    // well within the publish delay. The rest every 30 s.
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let manifest = state.settings.keys_dir.join("ring.json");
    let mut seen = modified(&manifest);
    for round in 0u64.. {
        tick.tick().await;
        if round % 6 == 0 {
            state.cache.sweep();
            if let Some(h) = crate::ops::metrics::handle() {
                h.run_upkeep();
            }
        }
        // `gerbang keys rotate` rewrites the manifest; pick the new ring up without restart.
        let now = modified(&manifest);
        if now != seen {
            match KeyRing::load(&state.settings.keys_dir) {
                Ok(ring) => {
                    state.replace_keys(ring);
                    tracing::info!("reloaded the signing key ring");
                    seen = now;
                }
                Err(e) => {
                    tracing::error!(error = %e, "key ring reload failed; keeping the old ring")
                }
            }
        }
    }
}

fn modified(p: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

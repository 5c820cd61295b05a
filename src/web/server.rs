//! Serving connections: the listener loop with its limits (header and write timeouts, a bound
//! on open connections) and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::{watch::watch, AppState, Gate};

/// Settings for `cairn serve`.
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub watch: bool,
}

/// Connection-level limits of the server (docs/security.md, "Limits").
#[derive(Clone, Copy, Debug)]
pub struct ConnLimits {
    /// How long a client may take to send a request's headers — and, on a kept-alive
    /// connection, to start its next request — before the connection is closed.
    pub header_timeout: Duration,
    /// Connections served at once; further ones wait in the kernel's accept queue.
    pub max_connections: usize,
    /// How long a write may make no progress (the client stopped reading its answer) before
    /// the connection is closed, freeing the answer's memory.
    pub write_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// A connection whose writes must make progress: when a write (or flush) has waited for the
/// client for `timeout`, it fails, and hyper closes the connection. Without it, a client that
/// never reads its answer held it — 16 MB of `/api/v1/score` at 10,000 systems — for as long as
/// it liked, 1,024 times over.
///
/// It also gives the answers hyper writes by itself (a malformed request's 400, headers too
/// large: 431; they never reach the router) the security headers every other answer has:
/// such a head is taken whole, rewritten with them ([`with_security_headers`]), and written
/// before anything else.
pub(crate) struct WriteDeadline<S> {
    inner: S,
    timeout: Duration,
    /// Started when a write first found the socket full; cleared by any progress.
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    /// A rewritten head taken from hyper and not yet written, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

/// `buf` with the security headers added, when it starts with a whole 4xx head that lacks them
/// (one hyper made; the router's answers carry them already); `None` otherwise.
fn with_security_headers(buf: &[u8]) -> Option<Vec<u8>> {
    if !(buf.starts_with(b"HTTP/1.1 4") || buf.starts_with(b"HTTP/1.0 4")) {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    if head.contains("\r\ncontent-security-policy:") {
        return None;
    }
    let mut out = Vec::with_capacity(buf.len() + 512);
    out.extend_from_slice(&buf[..end]);
    for (name, value) in &super::SECURITY_HEADERS {
        out.extend_from_slice(format!("\r\n{}: {value}", name.as_str()).as_bytes());
    }
    out.extend_from_slice(&buf[end..]);
    Some(out)
}

impl<S> WriteDeadline<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        WriteDeadline {
            inner,
            timeout,
            stalled: None,
            pending: Vec::new(),
            written: 0,
        }
    }

    /// The inner write answered `r`: progress resets the deadline, waiting runs it.
    fn deadline<T>(
        &mut self,
        r: std::task::Poll<std::io::Result<T>>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future;
        use std::task::Poll;
        match r {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let sleep = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client stopped reading its answer",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteDeadline<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> WriteDeadline<S> {
    /// Writes what is pending (a rewritten head) before anything else.
    fn drain(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        while self.written < self.pending.len() {
            let r =
                std::pin::Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]);
            match self.deadline(r, cx) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()))
                }
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Takes `buf` whole when it is a head to rewrite ([`with_security_headers`]).
    fn take_head(
        &mut self,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Option<std::task::Poll<std::io::Result<usize>>> {
        let head = with_security_headers(buf)?;
        self.pending = head;
        self.written = 0;
        Some(match self.drain(cx) {
            std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(Err(e)),
            // Written, or to be written by the next write or flush.
            _ => std::task::Poll::Ready(Ok(buf.len())),
        })
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteDeadline<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        if let Some(r) = this.take_head(cx, buf) {
            return r;
        }
        let r = std::pin::Pin::new(&mut this.inner).poll_write(cx, buf);
        this.deadline(r, cx)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            if let Some(r) = this.take_head(cx, first) {
                return r;
            }
        }
        let r = std::pin::Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.deadline(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        let r = std::pin::Pin::new(&mut this.inner).poll_flush(cx);
        this.deadline(r, cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        std::pin::Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish
/// (for at most 10 s). Like `axum::serve`, but with the limits axum does not offer: a
/// header-read (and keep-alive idle) timeout and a bound on open connections, so that slow
/// or idle clients cannot tie the server up. `app` is a [`Router`] or the [`Gate`] in front
/// of one.
pub async fn serve_connections<S>(
    listener: tokio::net::TcpListener,
    app: S,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()>,
) where
    S: tower::Service<
            axum::http::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    use hyper_util::rt::{TokioIo, TokioTimer};
    // HTTP/1.1 only, as `axum::serve` without axum's `http2` feature served before.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: not fatal, try again shortly.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let stream = WriteDeadline::new(stream, limits.write_timeout);
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that went away or timed out is not the server's error.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}

/// `cairn serve`'s server: it listens first and answers the probes at once ([`Gate`]), the
/// caller builds the first snapshot meanwhile and [`Server::open`]s it; it runs until Ctrl-C
/// or SIGTERM.
pub struct Server {
    gate: Gate,
    addr: SocketAddr,
    done: tokio::task::JoinHandle<()>,
    _watcher: Option<super::watch::Watching>,
}

impl Server {
    /// Binds `addr` and starts answering: probes only, until [`Server::open`]. A signal
    /// before then stops the process at once (there is nothing to drain).
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Server> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        let addr = listener.local_addr()?;
        let gate = Gate::new();
        let g = gate.clone();
        let shutdown = async move {
            shutdown_signal().await;
            match g.state() {
                // From now on `/readyz` says 503 to the connections still open.
                Some(st) => st.set_stopping(),
                None => {
                    tracing::info!("stopped before the catalog was loaded");
                    std::process::exit(0);
                }
            }
        };
        let done = tokio::spawn(serve_connections(
            listener,
            gate.clone(),
            ConnLimits::default(),
            shutdown,
        ));
        Ok(Server {
            gate,
            addr,
            done,
            _watcher: None,
        })
    }

    /// The address bound (the port the system chose for `:0`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `state` from now on, and watches its catalog when `cfg.watch`. Call within the
    /// runtime.
    pub fn open(&mut self, state: AppState, cfg: &ServeConfig) -> anyhow::Result<()> {
        if cfg.watch {
            self._watcher = Some(watch(state.clone())?);
        }
        self.gate.open(state);
        Ok(())
    }

    /// Runs until Ctrl-C or SIGTERM, then lets open requests finish (10 s at most).
    pub async fn run(self) -> anyhow::Result<()> {
        self.done.await?;
        Ok(())
    }
}

/// Runs the server for `state` until Ctrl-C or SIGTERM. `ready` is called with the bound address.
pub async fn serve(
    state: AppState,
    cfg: ServeConfig,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let mut server = Server::bind(cfg.addr).await?;
    server.open(state, &cfg)?;
    ready(server.addr());
    server.run().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::with_security_headers;

    #[test]
    fn only_whole_4xx_heads_without_the_headers_are_rewritten() {
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        let out = String::from_utf8(with_security_headers(hyper_400).unwrap()).unwrap();
        assert!(out.starts_with(
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ncontent-security-policy: "
        ));
        assert!(out.ends_with("x-frame-options: DENY\r\n\r\n"), "{out}");
        // The router's answers, a head cut in two, and a success are left as they are.
        let ours = b"HTTP/1.1 404 Not Found\r\ncontent-security-policy: x\r\n\r\n";
        assert_eq!(with_security_headers(ours), None);
        assert_eq!(
            with_security_headers(b"HTTP/1.1 400 Bad Request\r\ncontent-le"),
            None
        );
        assert_eq!(with_security_headers(b"HTTP/1.1 200 OK\r\n\r\n"), None);
    }
}

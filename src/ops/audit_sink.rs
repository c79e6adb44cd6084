//! Every audit event, also as one JSON line for the security operations centre: to the log
//! (target `gerbang::audit`), a file (reopened on SIGHUP, for logrotate) or syslog (RFC 5424
//! over UDP, or TCP with octet counting per RFC 6587).
//!
//! A request never waits for the sink: events go through a bounded channel (dropped and
//! counted when it is full) to one task that resolves user ids to NIPs in batches, with a
//! small cache, and writes them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::domain::audit::{AuditEvent, AuditKind};

/// Events waiting for the writer at most; more are dropped and counted.
const QUEUE: usize = 10_000;
/// User ids whose NIP the writer remembers (NIPs do not change); cleared when full.
const NIP_CACHE: usize = 50_000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DROPPED: &str = "gerbang_audit_sink_dropped_total";

/// Writer tasks still running in this process, so a CLI command can let its events out
/// before the process ends (`finish`).
static WRITERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static WRITER_DONE: tokio::sync::Notify = tokio::sync::Notify::const_new();

tokio::task_local! {
    /// The `x-request-id` of the request being served, for the events it writes.
    static REQUEST_ID: String;
}

/// Runs the rest of the request with its id reachable from `Store::audit`.
pub async fn scope_request_id(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    REQUEST_ID.scope(id, next.run(req)).await
}

/// Where the lines go; parsed from `audit_sink`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Log,
    File(PathBuf),
    SyslogUdp(String),
    SyslogTcp(String),
}

impl Target {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() || s == "log" {
            return Ok(Target::Log);
        }
        let bad = |why: &str| {
            format!(
                "audit_sink {s:?}: {why} (use log, file:///path/audit.jsonl, \
                 syslog+udp://host:port or syslog+tcp://host:port)"
            )
        };
        let url = url::Url::parse(s).map_err(|e| bad(&e.to_string()))?;
        let host_port = || {
            let host = url
                .host_str()
                .filter(|h| !h.is_empty())
                .ok_or_else(|| bad("no host"))?;
            let port = url.port().ok_or_else(|| bad("no port"))?;
            if url.path().len() > 1 || url.query().is_some() {
                return Err(bad("nothing may follow host:port"));
            }
            Ok(format!("{host}:{port}"))
        };
        match url.scheme() {
            "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|_| bad("not a local absolute path"))?;
                if url.path().ends_with('/') {
                    return Err(bad("names a folder, not a file"));
                }
                Ok(Target::File(path))
            }
            "syslog+udp" => Ok(Target::SyslogUdp(host_port()?)),
            "syslog+tcp" => Ok(Target::SyslogTcp(host_port()?)),
            _ => Err(bad("unknown scheme")),
        }
    }
}

/// One event as the writer receives it: ids, not NIPs yet.
#[derive(Debug)]
struct Pending {
    at: i64,
    kind: AuditKind,
    actor: Option<String>,
    subject: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    client_id: Option<String>,
    detail: Option<String>,
    request_id: Option<String>,
}

/// The line's schema (README "Audit events").
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    pub at: String,
    pub kind: &'a str,
    pub actor_nip: Option<&'a str>,
    pub subject_nip: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<&'a str>,
}

/// Where the writer finds the NIPs of the user ids it prints (the store), in one query per
/// batch.
pub trait NipLookup: Send + Sync + 'static {
    fn nips_of(
        &self,
        ids: &[&str],
    ) -> impl std::future::Future<Output = Result<HashMap<String, String>, String>> + Send;
}

/// The sending half, held by the store; cheap to clone. `None`: no sink (tools, tests of
/// the store alone).
#[derive(Clone, Default)]
pub struct AuditSink(Option<mpsc::Sender<Pending>>);

impl AuditSink {
    /// Validates the target, opens it (a file must be writable now: a wrong path fails the
    /// start, not the first event) and starts the writer task.
    pub async fn start(setting: &str, store: impl NipLookup) -> Result<Self, String> {
        let target = Target::parse(setting)?;
        let out = Output::open(target).await?;
        let (tx, rx) = mpsc::channel(QUEUE);
        WRITERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::spawn(async move {
            write_loop(rx, store, out).await;
            WRITERS.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            WRITER_DONE.notify_waiters();
        });
        Ok(AuditSink(Some(tx)))
    }

    /// Hands an event to the writer; never waits. Called after the event is stored.
    pub fn emit(&self, e: &AuditEvent<'_>, at: i64) {
        let Some(tx) = &self.0 else { return };
        if tx.try_send(pending(e, at)).is_err() {
            metrics::counter!(DROPPED, "reason" => "queue_full").increment(1);
        }
    }

    /// Hands an event to the writer, waiting while its queue is full: for a bulk producer
    /// with no request to keep fast (the import's thousands of disables at once), which
    /// `emit` would mostly drop.
    pub async fn emit_waiting(&self, e: &AuditEvent<'_>, at: i64) {
        let Some(tx) = &self.0 else { return };
        if tx.send(pending(e, at)).await.is_err() {
            metrics::counter!(DROPPED, "reason" => "writer_gone").increment(1);
        }
    }
}

fn pending(e: &AuditEvent<'_>, at: i64) -> Pending {
    let owned = |s: Option<&str>| s.map(str::to_owned);
    Pending {
        at,
        kind: e.kind,
        actor: owned(e.actor),
        subject: owned(e.subject),
        ip: owned(e.ip),
        user_agent: e.user_agent.map(|s| s.chars().take(300).collect()),
        client_id: owned(e.client_id),
        detail: owned(e.detail),
        request_id: REQUEST_ID
            .try_with(|r| r.clone())
            .ok()
            .filter(|r| !r.is_empty()),
    }
}

/// Waits (at most `limit`) for every writer whose store is gone to write what it holds: a
/// CLI command's events (the import's) would otherwise die with the runtime.
pub async fn finish(limit: Duration) {
    let _ = tokio::time::timeout(limit, async {
        loop {
            let done = WRITER_DONE.notified();
            if WRITERS.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return;
            }
            done.await;
        }
    })
    .await;
}

async fn write_loop(mut rx: mpsc::Receiver<Pending>, store: impl NipLookup, mut out: Output) {
    let mut nips: HashMap<String, String> = HashMap::new();
    let mut batch = Vec::with_capacity(256);
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let got = tokio::select! {
            n = rx.recv_many(&mut batch, 256) => n,
            Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => None } } => {
                out.reopen().await;
                continue;
            }
        };
        #[cfg(not(unix))]
        let got = rx.recv_many(&mut batch, 256).await;
        if got == 0 {
            return;
        }
        resolve(&store, &mut nips, &batch).await;
        let mut lines = Vec::with_capacity(batch.len());
        for p in &batch {
            let line = Line {
                at: rfc3339(p.at),
                kind: p.kind.as_str(),
                actor_nip: nip_of(&nips, p.actor.as_deref()),
                subject_nip: nip_of(&nips, p.subject.as_deref()),
                ip: p.ip.as_deref(),
                request_id: p.request_id.as_deref(),
                detail: p.detail.as_deref(),
                client_id: p.client_id.as_deref(),
                user_agent: p.user_agent.as_deref(),
            };
            lines.push((ascii_json(&line), p.at));
        }
        out.write(&lines).await;
        batch.clear();
    }
}

/// Looks up the NIPs of the batch's ids not yet known, in one query. An id that is no user
/// (an actor such as `import`) is printed as it is; so is every id while the database is
/// unreachable (not remembered, so the next batch tries again).
async fn resolve(store: &impl NipLookup, nips: &mut HashMap<String, String>, batch: &[Pending]) {
    let mut missing: Vec<&str> = batch
        .iter()
        .flat_map(|p| [p.actor.as_deref(), p.subject.as_deref()])
        .flatten()
        .filter(|id| !nips.contains_key(*id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return;
    }
    match store.nips_of(&missing).await {
        Ok(found) => {
            if nips.len() + missing.len() > NIP_CACHE {
                nips.clear();
            }
            for id in missing {
                let nip = found.get(id).cloned().unwrap_or_else(|| id.to_owned());
                nips.insert(id.to_owned(), nip);
            }
        }
        Err(e) => tracing::warn!(error = %e, "audit sink: cannot look up NIPs; writing ids"),
    }
}

/// A user id's NIP; anything else (an actor such as `import`) as it is.
fn nip_of<'a>(nips: &'a HashMap<String, String>, id: Option<&'a str>) -> Option<&'a str> {
    id.map(|i| nips.get(i).map_or(i, String::as_str))
}

fn rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

/// JSON with every non-ASCII character escaped (`\uXXXX`): still the same JSON, and plain
/// ASCII, which RFC 5424 carries as MSG without a BOM and no log pipeline mangles.
pub fn ascii_json<T: Serialize>(v: &T) -> String {
    let raw = serde_json::to_string(v).unwrap_or_default();
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`, facility authpriv
/// (10), severity info (6). Written here rather than with the `syslog` crate: that one
/// writes synchronously on blocking sockets, and this task must never stall on a collector.
pub fn rfc5424(hostname: &str, at: i64, msg: &str) -> String {
    format!(
        "<86>1 {} {} gerbang {} audit - {}",
        rfc3339(at),
        hostname,
        std::process::id(),
        msg
    )
}

/// This machine's name for the HOSTNAME field (printable ASCII, at most 255), else `-`.
fn hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name = name.trim();
    if name.is_empty() || name.len() > 255 || !name.bytes().all(|b| b.is_ascii_graphic()) {
        "-".into()
    } else {
        name.into()
    }
}

enum Output {
    Log,
    File {
        path: PathBuf,
        file: Option<tokio::fs::File>,
    },
    Udp {
        addr: String,
        host: String,
        socket: Option<tokio::net::UdpSocket>,
    },
    Tcp {
        addr: String,
        host: String,
        stream: Option<tokio::net::TcpStream>,
    },
}

async fn open_append(path: &PathBuf) -> std::io::Result<tokio::fs::File> {
    let mut o = tokio::fs::OpenOptions::new();
    o.append(true).create(true);
    // Audit lines carry people's addresses and NIPs: Gerbang's alone.
    #[cfg(unix)]
    o.mode(0o600);
    o.open(path).await
}

impl Output {
    async fn open(target: Target) -> Result<Self, String> {
        Ok(match target {
            Target::Log => Output::Log,
            Target::File(path) => {
                let file = open_append(&path)
                    .await
                    .map_err(|e| format!("audit_sink {}: {e}", path.display()))?;
                Output::File {
                    path,
                    file: Some(file),
                }
            }
            Target::SyslogUdp(addr) => Output::Udp {
                addr,
                host: hostname(),
                socket: None,
            },
            Target::SyslogTcp(addr) => Output::Tcp {
                addr,
                host: hostname(),
                stream: None,
            },
        })
    }

    /// SIGHUP: logrotate has moved the file; continue in a new one at the configured path.
    async fn reopen(&mut self) {
        if let Output::File { path, file } = self {
            match open_append(path).await {
                Ok(f) => {
                    *file = Some(f);
                    tracing::info!(path = %path.display(), "audit sink reopened");
                }
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "audit sink cannot reopen")
                }
            }
        }
    }

    async fn write(&mut self, lines: &[(String, i64)]) {
        let failed = match self {
            Output::Log => {
                for (l, _) in lines {
                    tracing::info!(target: "gerbang::audit", "{l}");
                }
                Ok(())
            }
            Output::File { path, file } => write_file(path, file, lines).await,
            Output::Udp { addr, host, socket } => write_udp(addr, host, socket, lines).await,
            Output::Tcp { addr, host, stream } => write_tcp(addr, host, stream, lines).await,
        };
        if let Err(e) = failed {
            metrics::counter!(DROPPED, "reason" => "write_failed").increment(lines.len() as u64);
            tracing::warn!(error = %e, lost = lines.len(), "audit sink: lines not written");
        }
    }
}

async fn write_file(
    path: &PathBuf,
    file: &mut Option<tokio::fs::File>,
    lines: &[(String, i64)],
) -> std::io::Result<()> {
    if file.is_none() {
        *file = Some(open_append(path).await?);
    }
    let mut buf = String::new();
    for (l, _) in lines {
        buf.push_str(l);
        buf.push('\n');
    }
    let f = file.as_mut().expect("opened above");
    let r = async {
        f.write_all(buf.as_bytes()).await?;
        f.flush().await
    }
    .await;
    if r.is_err() {
        // Opened afresh next time (the disk or the folder may come back).
        *file = None;
    }
    r
}

async fn write_udp(
    addr: &str,
    host: &str,
    socket: &mut Option<tokio::net::UdpSocket>,
    lines: &[(String, i64)],
) -> std::io::Result<()> {
    if socket.is_none() {
        let target = tokio::net::lookup_host(addr)
            .await?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let bind = if target.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let s = tokio::net::UdpSocket::bind(bind).await?;
        s.connect(target).await?;
        *socket = Some(s);
    }
    let s = socket.as_ref().expect("bound above");
    for (l, at) in lines {
        if let Err(e) = s.send(rfc5424(host, *at, l).as_bytes()).await {
            *socket = None;
            return Err(e);
        }
    }
    Ok(())
}

async fn write_tcp(
    addr: &str,
    host: &str,
    stream: &mut Option<tokio::net::TcpStream>,
    lines: &[(String, i64)],
) -> std::io::Result<()> {
    // RFC 6587 octet counting: `LEN SP MSG`, so a line may hold anything.
    let mut buf = Vec::new();
    for (l, at) in lines {
        let msg = rfc5424(host, *at, l);
        buf.extend_from_slice(format!("{} {msg}", msg.len()).as_bytes());
    }
    // One reconnect per batch: a collector that restarted is found again at once; one that
    // is down costs this batch, never a request.
    // A collector never sends; a readable end means it closed the connection, and a write
    // into it would seem to succeed and be lost.
    if let Some(s) = stream.as_ref()
        && !matches!(s.try_read(&mut [0u8; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    {
        *stream = None;
    }
    for _ in 0..2 {
        if stream.is_none() {
            let s = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr))
                .await
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect"))??;
            *stream = Some(s);
        }
        let s = stream.as_mut().expect("connected above");
        match s.write_all(&buf).await {
            Ok(()) => return Ok(()),
            Err(_) => *stream = None,
        }
    }
    Err(std::io::Error::other("collector closed the connection"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_bad_ones_say_why() {
        assert_eq!(Target::parse("log").unwrap(), Target::Log);
        assert_eq!(
            Target::parse("file:///var/log/gerbang/audit.jsonl").unwrap(),
            Target::File("/var/log/gerbang/audit.jsonl".into())
        );
        assert_eq!(
            Target::parse("syslog+udp://10.0.0.5:514").unwrap(),
            Target::SyslogUdp("10.0.0.5:514".into())
        );
        assert_eq!(
            Target::parse("syslog+tcp://soc.example:6514").unwrap(),
            Target::SyslogTcp("soc.example:6514".into())
        );
        for (bad, why) in [
            ("syslog+tcp://soc.example", "no port"),
            ("syslog+udp://:514", "audit_sink"),
            ("http://soc.example:80", "unknown scheme"),
            ("file:///var/log/", "folder"),
            ("elsewhere", "audit_sink"),
        ] {
            let e = Target::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn lines_are_ascii_json_and_syslog_frames_follow_rfc5424() {
        let line = Line {
            at: rfc3339(0),
            kind: "helpdesk_action",
            actor_nip: Some("199001012015011001"),
            subject_nip: None,
            ip: Some("10.1.2.3"),
            request_id: Some("r-1"),
            detail: Some("alasan: pindah \u{e9}\u{1F600}"),
            client_id: None,
            user_agent: None,
        };
        let j = ascii_json(&line);
        assert!(j.is_ascii());
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["detail"], "alasan: pindah \u{e9}\u{1F600}");
        assert_eq!(v["at"], "1970-01-01T00:00:00Z");
        assert!(v["subject_nip"].is_null());
        assert!(v.get("client_id").is_none());
        let frame = rfc5424("host-1", 0, &j);
        assert!(frame.starts_with("<86>1 1970-01-01T00:00:00Z host-1 gerbang "));
        assert!(frame.ends_with(&format!(" audit - {j}")));
    }
}

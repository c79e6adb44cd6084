//! The PostgreSQL and Redis the tests use: the servers `GERBANG_TEST_POSTGRES_URL` and
//! `GERBANG_TEST_REDIS_URL` name, or else throwaway ones this test process starts on first
//! use (once per process, shared by every test through per-test schemas and key prefixes)
//! and that end with it, however it ends. Where the binaries are not installed, the tests
//! that need them say so and skip, except in CI (`CI` set), where that is a failure.
//!
//! The library's unit tests compile this file too (src/lib.rs), so it stands alone.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Everything the full suite uses, on Debian or Ubuntu (the README gives the same line).
pub const INSTALL: &str =
    "sudo apt-get install -y postgresql redis-server chromium nodejs npm python3-venv";

/// What a test needs beyond its own process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A PostgreSQL server: `postgres_admin_url`.
    Postgres,
    /// A Redis server shared by the tests: `redis_url`.
    Redis,
    /// The `redis-server` program, for a test that stops and starts its own (`OwnRedis`).
    RedisServer,
}

/// True when a test needing `needs` cannot run on this machine: it then says so on the
/// terminal and the caller returns. In CI (`CI` set) a missing server is a failure instead,
/// so a broken CI machine never passes by skipping. Starts the shared servers on first use;
/// one that is installed but does not start fails the test with its log, never skips it.
pub fn skip(needs: &[Need]) -> bool {
    let missing: Vec<&str> = needs
        .iter()
        .filter(|n| !available(**n))
        .map(|n| what(*n))
        .collect();
    if missing.is_empty() {
        return false;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    let missing = missing.join(" and ");
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "{test} needs {missing}, not installed here (CI is set: a failure, not a skip); {INSTALL}"
        );
    }
    say_once();
    say(&format!("SKIPPED {test}: needs {missing} (not installed)"));
    true
}

fn what(need: Need) -> &'static str {
    match need {
        Need::Postgres => "PostgreSQL",
        Need::Redis | Need::RedisServer => "redis-server",
    }
}

fn available(need: Need) -> bool {
    match need {
        Need::Postgres => postgres().is_some(),
        Need::Redis => redis().is_some(),
        Need::RedisServer => program("redis-server").is_some(),
    }
}

/// To the terminal, past the test harness's capture (`eprintln!` would be captured and
/// shown only for a failing test).
fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// What is missing and how to get it, once per process.
fn say_once() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let mut missing = Vec::new();
        if std::env::var_os("GERBANG_TEST_POSTGRES_URL").is_none() && postgres_bin_dir().is_none() {
            missing.push("PostgreSQL (initdb and postgres, looked for on PATH and in /usr/lib/postgresql/*/bin)");
        }
        if program("redis-server").is_none() {
            missing.push("redis-server (on PATH)");
        }
        say(&format!(
            "\nnote: not installed here: {}. The tests that need it are SKIPPED (each says so). \
             Install what the full suite uses with\n    {INSTALL}\nor point the tests at running \
             servers with GERBANG_TEST_POSTGRES_URL=postgres://… and GERBANG_TEST_REDIS_URL=redis://… \
             (README, \"Test it\").\n",
            missing.join("; ")
        ));
    });
}

/// The PostgreSQL URL tests create their schemas through (database `test`, trust auth).
pub fn postgres_admin_url() -> String {
    postgres().unwrap_or_else(|| {
        panic!("no PostgreSQL here: the test should have called `skip(&[Need::Postgres])` first")
    })
}

/// A fresh schema per test: isolated data, no order between tests.
pub async fn fresh_postgres_schema() -> String {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = postgres_admin_url();
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let sep = if admin.contains('?') { '&' } else { '?' };
    format!("{admin}{sep}options=-c%20search_path%3D{schema}")
}

/// The Redis URL tests share (each with a key prefix of its own).
pub fn redis_url() -> String {
    redis().unwrap_or_else(|| {
        panic!("no redis-server here: the test should have called `skip(&[Need::Redis])` first")
    })
}

/// `Some(url)` when there is a server to use, `None` when the binaries are not installed;
/// panics (every time it is asked) when they are but the server did not start.
fn postgres() -> Option<String> {
    static SERVER: OnceLock<Result<Option<String>, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| match std::env::var("GERBANG_TEST_POSTGRES_URL") {
        Ok(url) => Ok(Some(url)),
        Err(_) => postgres_bin_dir()
            .map(|bin| {
                start_postgres(&bin).map_err(|e| {
                    format!(
                        "GERBANG_TEST_POSTGRES_URL is not set, and a throwaway PostgreSQL from {} \
                         did not start: {e}",
                        bin.display()
                    )
                })
            })
            .transpose(),
    });
    server.clone().unwrap_or_else(|e| panic!("{e}"))
}

fn redis() -> Option<String> {
    static SERVER: OnceLock<Result<Option<String>, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| match std::env::var("GERBANG_TEST_REDIS_URL") {
        Ok(url) => Ok(Some(url)),
        Err(_) => program("redis-server")
            .map(|bin| {
                let redis = OwnRedis::try_start(&bin, None)
                    .map_err(|e| format!("GERBANG_TEST_REDIS_URL is not set, and {e}"))?;
                let url = format!("redis://127.0.0.1:{}", redis.port);
                // Kept until the process ends (then the kernel signals it: see `Process`).
                std::mem::forget(redis);
                Ok(url)
            })
            .transpose(),
    });
    server.clone().unwrap_or_else(|e| panic!("{e}"))
}

/// A free port on 127.0.0.1 (free when asked; a server that then fails to bind is retried).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

/// A program on PATH.
fn program(name: &str) -> Option<PathBuf> {
    path_dirs()
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| executable(p))
}

/// Where `initdb` and `postgres` of one version are: PATH first, then Debian's
/// `/usr/lib/postgresql/<version>/bin` (not on PATH there), the newest version first.
fn postgres_bin_dir() -> Option<PathBuf> {
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    let version = |p: &PathBuf| -> Vec<u32> {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        name.split('.').map(|n| n.parse().unwrap_or(0)).collect()
    };
    debian.sort_by_key(|p| std::cmp::Reverse(version(p)));
    path_dirs()
        .into_iter()
        .chain(debian.into_iter().map(|p| p.join("bin")))
        .find(|d| executable(&d.join("initdb")) && executable(&d.join("postgres")))
}

/// PostgreSQL refuses to run as root: as root, initdb and postgres run as the `postgres`
/// system user (which Debian's package creates), or else as `nobody`.
fn unprivileged_user() -> Result<Option<(u32, u32)>, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for name in ["postgres", "nobody"] {
        let ids = passwd.lines().find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.len() > 3 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        });
        if let Some(Some(ids)) = ids {
            return Ok(Some(ids));
        }
    }
    Err(
        "running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL"
            .into(),
    )
}

/// initdb into a fresh folder, then `postgres` on a free port (trust auth, sockets in that
/// folder, durability off: the data dies with the run), and a `test` database.
fn start_postgres(bin: &Path) -> Result<String, String> {
    let user = unprivileged_user()?;
    let dir = std::env::temp_dir().join(format!(
        "gerbang-test-pg-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    remove_when_this_process_ends(&dir);
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    let as_user = |cmd: &mut Command| {
        cmd.current_dir(&dir).env_remove("PGDATA");
        if let Some((uid, gid)) = user {
            cmd.uid(uid).gid(gid);
        }
    };
    let data = dir.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb.arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    as_user(&mut initdb);
    let out = initdb.output().map_err(|e| {
        let who = user.map_or("this user".into(), |(uid, _)| format!("uid {uid}"));
        format!("initdb as {who} in {}: {e}", dir.display())
    })?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut last = String::new();
    // A port found free can be taken before the server binds it: then another one.
    for _ in 0..3 {
        let port = free_port();
        let mut postgres = Command::new(bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&dir)
            .args(["-c", "listen_addresses=127.0.0.1"])
            // Several test binaries' pools at once (4 connections per server, replicas).
            .args(["-c", "max_connections=200"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"]);
        as_user(&mut postgres);
        // SIGINT: a fast shutdown that ends its backends and frees its shared memory.
        let server = Process::spawn(postgres, libc::SIGINT)
            .map_err(|e| format!("{}: {e}", bin.join("postgres").display()))?;
        let admin = format!("postgres://postgres@127.0.0.1:{port}");
        match postgres_ready(&server, &admin) {
            Ok(()) => {
                // Kept until the process ends (then the kernel signals it: see `Process`).
                std::mem::forget(server);
                return Ok(format!("{admin}/test"));
            }
            Err(e) => {
                server.kill();
                last = format!("{e}\n--- postgres log ---\n{}", server.log());
            }
        }
    }
    Err(last)
}

/// Waits (up to 60 s) until the server takes connections, then creates `test`.
fn postgres_ready(server: &Process, admin: &str) -> Result<(), String> {
    use sqlx::{Connection, Executor};
    // A runtime of its own on a thread of its own: the caller may be inside a test's runtime.
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    if let Some(status) = server.exited() {
                        return Err(format!("postgres exited ({status})"));
                    }
                    match sqlx::PgConnection::connect(&format!("{admin}/postgres")).await {
                        Ok(mut c) => {
                            c.execute("CREATE DATABASE test")
                                .await
                                .map_err(|e| format!("CREATE DATABASE test: {e}"))?;
                            let _ = c.close().await;
                            return Ok(());
                        }
                        Err(e) if Instant::now() > deadline => {
                            return Err(format!("no connection within 60 s: {e}"));
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
            })
        })
        .join()
        .unwrap()
    })
}

/// Removes `dir` once this process has ended, whatever ended it (kill -9 included): a
/// shell in a process group of its own (a Ctrl-C does not reach it) reads a pipe only this
/// process writes to, which the kernel closes with it; it then gives the server there up
/// to 30 s to shut down (its pid file goes last; the checkpoint after a long run takes
/// seconds) and removes the folder.
fn remove_when_this_process_ends(dir: &Path) {
    let guard = Command::new("/bin/sh")
        .args([
            "-c",
            r#"read _; i=0
               while [ -e "$1/data/postmaster.pid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
               rm -rf -- "$1""#,
            "gerbang-test-cleanup",
        ])
        .arg(dir)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    // The pipe's write end stays open as long as this process (never written, never closed).
    if let Ok(guard) = guard {
        std::mem::forget(guard);
    }
}

/// A redis-server on 127.0.0.1 without persistence, which a test may stop and start again
/// on the same port.
pub struct OwnRedis {
    pub port: u16,
    process: Option<Process>,
}

impl OwnRedis {
    /// On a free port; panics with the server's log if it does not answer.
    pub fn start_free() -> Self {
        Self::start(None)
    }

    /// On `port` again (after `stop`).
    pub fn restart(port: u16) -> Self {
        Self::start(Some(port))
    }

    fn start(port: Option<u16>) -> Self {
        let bin = program("redis-server").expect("redis-server is installed (see `skip`)");
        Self::try_start(&bin, port).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_start(bin: &Path, port: Option<u16>) -> Result<Self, String> {
        let mut last = String::new();
        for _ in 0..3 {
            let port = port.unwrap_or_else(free_port);
            let mut cmd = Command::new(bin);
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .current_dir(std::env::temp_dir());
            let process = Process::spawn(cmd, libc::SIGTERM)
                .map_err(|e| format!("{}: {e}", bin.display()))?;
            match redis_ready(&process, port) {
                Ok(()) => {
                    return Ok(OwnRedis {
                        port,
                        process: Some(process),
                    });
                }
                Err(e) => {
                    process.kill();
                    last = format!("{e}\n--- redis-server log ---\n{}", process.log());
                }
            }
        }
        Err(format!("the test's redis-server did not start: {last}"))
    }

    pub fn stop(&mut self) {
        if let Some(p) = self.process.take() {
            p.kill();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits (up to 30 s) until the server answers PING.
fn redis_ready(server: &Process, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = server.exited() {
            return Err(format!("redis-server exited ({status})"));
        }
        let pong = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            s.write_all(b"PING\r\n")?;
            let mut buf = [0; 7];
            s.read_exact(&mut buf)?;
            Ok(buf == *b"+PONG\r\n")
        });
        match pong {
            Ok(true) => return Ok(()),
            _ if Instant::now() > deadline => {
                return Err(format!("no PONG within 30 s: {pong:?}"));
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A server process kept by a thread of its own, which lives until the server exits. The
/// server gets `signal` when that thread ends: the kernel's PR_SET_PDEATHSIG is tied to the
/// thread that forked, so a test's thread (which ends with the test) must not fork it, and
/// this thread ends only with the server or with this process, by whatever means. Its
/// output is kept (the first 64 KiB) for the error when it does not start.
struct Process {
    child: Arc<Mutex<Child>>,
    log: Arc<Mutex<Vec<u8>>>,
}

impl Process {
    fn spawn(mut cmd: Command, signal: libc::c_int) -> std::io::Result<Process> {
        let parent = std::process::id();
        // SAFETY: only async-signal-safe calls between fork and exec (prctl, getppid), no
        // allocation. Runs after the uid/gid change, which would clear the setting.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // This process ended before the setting took: nobody would signal.
                if libc::getppid() as u32 != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let kept = log.clone();
        std::thread::Builder::new()
            .name("test-server-keeper".into())
            .spawn(move || {
                let mut child = match cmd.spawn() {
                    Ok(c) => c,
                    Err(e) => return tx.send(Err(e)).unwrap(),
                };
                drain(child.stdout.take(), &kept);
                drain(child.stderr.take(), &kept);
                let child = Arc::new(Mutex::new(child));
                tx.send(Ok(child.clone())).unwrap();
                while child.lock().unwrap().try_wait().ok().flatten().is_none() {
                    std::thread::sleep(Duration::from_millis(100));
                }
            })?;
        let child = rx.recv().unwrap()?;
        Ok(Process { child, log })
    }

    fn exited(&self) -> Option<ExitStatus> {
        self.child.lock().unwrap().try_wait().ok().flatten()
    }

    /// Stops it (SIGKILL) and waits until it is gone.
    fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }

    fn log(&self) -> String {
        String::from_utf8_lossy(&self.log.lock().unwrap()).into_owned()
    }
}

fn drain(out: Option<impl Read + Send + 'static>, log: &Arc<Mutex<Vec<u8>>>) {
    let Some(mut out) = out else { return };
    let log = log.clone();
    std::thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = out.read(&mut buf) {
            let mut log = log.lock().unwrap();
            let room = (64usize << 10).saturating_sub(log.len());
            log.extend_from_slice(&buf[..n.min(room)]);
        }
    });
}

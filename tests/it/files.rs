//! Gerbang's files on disk, with real processes: the live SQLite database beside other
//! programs that open it, and the modes of the folders and files it creates whatever the
//! umask; key ids in `keys/ring.json` are never paths.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_gerbang");

/// Runs the real binary in `dir` (the embedded defaults: `data/gerbang.db`, `keys/`,
/// `data/`), optionally under `umask 000` (set in the child only: tests run in parallel
/// threads of this process).
fn command(dir: &Path, args: &[&str], umask_000: bool) -> Command {
    let mut cmd = if umask_000 {
        let mut c = Command::new("sh");
        c.args(["-c", "umask 000 && exec \"$0\" \"$@\"", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    cmd.args(args)
        .current_dir(dir)
        .env(
            "GERBANG_DATABASE_URL",
            format!("sqlite://{}", db_path(dir).display()),
        )
        .env("GERBANG_KEYS_DIR", dir.join("keys"))
        .env("GERBANG_DATA_DIR", dir.join("data"))
        .env("GERBANG_ARGON2__M_COST_KIB", "8192")
        .env("GERBANG_LISTEN", "127.0.0.1:0")
        .env("GERBANG_LOG_FORMAT", "json")
        .env("GERBANG_LOG", "info");
    cmd
}

fn db_path(dir: &Path) -> PathBuf {
    dir.join("data/gerbang.db")
}

/// A command that runs to its end (`gerbang user add`, `keys rotate`, …).
fn cli(dir: &Path, args: &[&str], stdin: Option<&str>, umask_000: bool) -> Output {
    let mut child = command(dir, args, umask_000)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// A `gerbang serve` process, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(dir: &Path, umask_000: bool) -> Self {
        let mut child = command(dir, &["serve"], umask_000)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let listen = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("gerbang serve did not start: {seen:#?}"));
            if line.contains("gerbang is serving") {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                break v["fields"]["listen"].as_str().unwrap().to_string();
            }
            seen.push(line);
        };
        Served {
            child,
            base: format!("http://{listen}"),
        }
    }

    /// `kill -9`: whatever the server wrote must already be in files that survive it.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `gerbang serve` says when it refuses to start (it must exit, not serve).
fn refused_start(dir: &Path) -> String {
    let mut child = command(dir, &["serve"], false)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(!status.success(), "serve exited 0");
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return err;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("gerbang serve started with a bad key ring");
}

/// Another program (Python's sqlite3, as a backup script or an operator would) opens the
/// database, runs one query and closes, being perhaps "the last connection".
fn external_query(db: &Path, sql: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nprint(c.execute(sys.argv[2]).fetchone()[0])\nc.close()",
        ])
        .arg(db)
        .arg(sql)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Whether process `pid` holds a POSIX lock on the file's inode (`/proc/locks`).
fn holds_lock(pid: u32, file: &Path) -> bool {
    let ino = std::fs::metadata(file).unwrap().ino().to_string();
    std::fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.get(1) == Some(&"POSIX")
                && f.get(4) == Some(&pid.to_string().as_str())
                && f.get(5).and_then(|d| d.rsplit(':').next()) == Some(ino.as_str())
        })
}

/// A wrong password on `/login`: one `login_failure` audit row, written by the server.
async fn wrong_password(base: &str, nip: &str) -> reqwest::StatusCode {
    let b = browser();
    let page = get_text(&b, format!("{base}/login")).await;
    b.post(format!("{base}/login"))
        .header("user-agent", "LiveFileTest/1.0")
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("nip", nip),
            ("password", "Salah#Sekali123"),
            ("otp", ""),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

const FAILURES: &str = "SELECT COUNT(*) FROM audit_events \
     WHERE kind = 'login_failure' AND user_agent = 'LiveFileTest/1.0'";

/// issue 24 item 1: an operator's `sqlite3 gerbang.db "select …"` while `gerbang serve` runs,
/// then README's `gerbang user add` in a second terminal, then the server writes. Closing
/// the external connection must not checkpoint and delete the `-wal` under the server (it
/// did when the server had dropped its own locks), and after a `kill -9` and a restart
/// nothing the server or the CLI wrote is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_loses_no_write_when_other_programs_open_the_live_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(dir.path());
    let server = Served::start(dir.path(), false);
    let health = |base: String| async move {
        rp_http()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(health(server.base.clone()).await, 200);
    assert!(
        holds_lock(server.child.id(), &db),
        "the serving process holds no lock on {}:\n{}",
        db.display(),
        std::fs::read_to_string("/proc/locks").unwrap()
    );

    assert_eq!(external_query(&db, "SELECT COUNT(*) FROM users"), "0");
    let nip = TestServer::new_nip();
    let email = format!("wal.{nip}@bkn.go.id");
    let added = cli(
        dir.path(),
        &[
            "user",
            "add",
            "--nip",
            &nip,
            "--name",
            "Siti Rahayu",
            "--email",
            &email,
            "--instansi",
            "4011",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
        false,
    );
    assert!(
        added.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&added.stderr)
    );

    // The server writes: each wrong password is an audit row (one for an unknown NIP too).
    for who in [nip.as_str(), nip.as_str(), "199001012015011001"] {
        let status = wrong_password(&server.base, who).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "a wrong password answered {status}"
        );
    }
    assert_eq!(health(server.base.clone()).await, 200);
    // Another program sees them at once (not a stale copy).
    assert_eq!(external_query(&db, FAILURES), "3");
    assert!(
        holds_lock(server.child.id(), &db),
        "still locked while serving"
    );

    server.kill();
    let server = Served::start(dir.path(), false);
    assert_eq!(health(server.base.clone()).await, 200);
    assert_eq!(
        external_query(
            &db,
            &format!("SELECT COUNT(*) FROM users WHERE nip = '{nip}'")
        ),
        "1",
        "the CLI's person is there after the restart"
    );
    assert_eq!(
        external_query(&db, FAILURES),
        "3",
        "the server's writes are there after the restart"
    );
    // The restarted server writes on, where others see it.
    let status = wrong_password(&server.base, &nip).await;
    assert!(status.is_success() || status.is_client_error(), "{status}");
    assert_eq!(external_query(&db, FAILURES), "4");
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// issue 24 item 3: under `umask 000` the first start makes `keys/`, `data/` and the folders
/// under them 0700 and every file 0600 (the database, its `-wal`/`-shm`, the key ring, the
/// keys, the server secret), and `keys rotate` keeps it so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_under_umask_000_makes_private_folders_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let server = Served::start(root, true);
    // A request, so the mail worker and the pool have touched the database.
    assert_eq!(
        rp_http()
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let check = |when: &str| {
        for d in ["keys", "data", "data/outbox"] {
            assert_eq!(mode(&root.join(d)), 0o700, "{when}: {d}/");
        }
        let mut files = vec![db_path(root)];
        for f in std::fs::read_dir(root.join("keys")).unwrap() {
            files.push(f.unwrap().path());
        }
        for suffix in ["-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db_path(root).display()));
            if p.exists() {
                files.push(p);
            }
        }
        assert!(files.len() >= 5, "{files:?}");
        assert!(files.iter().any(|f| f.ends_with("ring.json")));
        for f in files {
            assert_eq!(mode(&f), 0o600, "{when}: {}", f.display());
        }
    };
    check("first start");
    drop(server);
    let out = cli(root, &["keys", "rotate"], None, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check("after keys rotate");
}

/// issue 24 item 3: a key id in `ring.json` that is a path (`../evil/k`) is refused, with
/// the id named, at start and at a live reload (the old ring stays published), and `keys
/// rotate` never removes a file outside `keys/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_id_that_is_a_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = cli(root, &["keys", "init"], None, false);
    assert!(out.status.success());
    let ring_path = root.join("keys/ring.json");
    let good = std::fs::read_to_string(&ring_path).unwrap();
    let ring: Vec<serde_json::Value> = serde_json::from_str(&good).unwrap();
    // The attacker's key: a real key file outside keys/, named by a path in the manifest.
    let es = ring.iter().find(|e| e["alg"] == "ES256").unwrap();
    let pem = root
        .join("keys")
        .join(format!("{}.pem", es["kid"].as_str().unwrap()));
    std::fs::create_dir(root.join("evil")).unwrap();
    std::fs::copy(&pem, root.join("evil/k.pem")).unwrap();
    let mut evil = ring.clone();
    let mut entry = es.clone();
    entry["kid"] = "../evil/k".into();
    evil.push(entry);
    let evil = serde_json::to_string(&evil).unwrap();

    std::fs::write(&ring_path, &evil).unwrap();
    let err = refused_start(root);
    assert!(err.contains("../evil/k"), "the id is named: {err}");

    // While serving: a rewritten manifest is reloaded within seconds; a bad one is not.
    std::fs::write(&ring_path, &good).unwrap();
    let server = Served::start(root, false);
    let jwks = |base: String| async move {
        rp_http()
            .get(format!("{base}/jwks"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = jwks(server.base.clone()).await;
    assert!(!before.contains("evil"));
    std::fs::write(&ring_path, &evil).unwrap();
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(
        jwks(server.base.clone()).await,
        before,
        "the old ring stays"
    );
    drop(server);

    // Rotation: an obsolete entry whose id is a path must not make it remove a file.
    let mut old = ring.clone();
    for e in old.iter_mut() {
        e["sign_from"] = 0.into();
        e["created_at"] = 0.into();
    }
    let mut victim = es.clone();
    victim["kid"] = "../victim".into();
    victim["sign_from"] = (-1).into();
    old.push(victim);
    std::fs::write(root.join("victim.pem"), "not a key of Gerbang's").unwrap();
    std::fs::write(&ring_path, serde_json::to_string(&old).unwrap()).unwrap();
    let out = cli(root, &["keys", "rotate"], None, false);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("../victim"));
    assert!(
        root.join("victim.pem").exists(),
        "keys rotate removed a file outside keys/"
    );
}

/// Attack on issue 24 item 3: an older version started under `umask 000` left `keys/` 0777
/// with `ring.json` and the keys 0666, and `data/` 0777. Folders that already exist kept
/// their mode after the upgrade, so any local user could still drop a key file of theirs
/// beside a rewritten `ring.json` (reloaded within seconds: their key published and signing)
/// or swap `gerbang.db` for a database of theirs. The first start of this version narrows
/// them: `keys/` 0700 and its files 0600, the database's folder writable by Gerbang alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_narrows_folders_an_older_version_left_wide() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    drop(Served::start(root, false));
    let set = |p: &Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    };
    // What the older version left under umask 000.
    set(&root.join("keys"), 0o777);
    set(&root.join("data"), 0o777);
    let key_files: Vec<PathBuf> = std::fs::read_dir(root.join("keys"))
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    assert!(key_files.len() >= 4, "{key_files:?}");
    for f in &key_files {
        set(f, 0o666);
    }

    let server = Served::start(root, false);
    assert_eq!(
        rp_http()
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(mode(&root.join("keys")), 0o700, "keys/");
    for f in &key_files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    assert_eq!(
        mode(&root.join("data")) & 0o022,
        0,
        "data/ is writable by others"
    );
    assert_eq!(mode(&db_path(root)), 0o600);
}

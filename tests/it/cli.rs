//! The operator CLI, run as the real binary against a real database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::{Backend, db_scenarios};

const BIN: &str = env!("CARGO_BIN_EXE_gerbang");

struct Cli {
    dir: tempfile::TempDir,
    database_url: String,
}

impl Cli {
    async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            // A database file that does not exist yet, in a folder that does not exist yet:
            // the first command must create and migrate it.
            Backend::Sqlite => format!("sqlite://{}/nested/gerbang.db", dir.path().display()),
            Backend::Postgres | Backend::PostgresRedis => {
                crate::common::fresh_postgres_schema().await
            }
        };
        Cli { dir, database_url }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(BIN)
            .args(args)
            .env("GERBANG_DATABASE_URL", &self.database_url)
            .env("GERBANG_KEYS_DIR", self.dir.path().join("keys"))
            .env("GERBANG_ARGON2__M_COST_KIB", "8192")
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A refused command: exit 2 and a message naming the problem.
    fn refused(&self, args: &[&str], stdin: Option<&str>, says: &str) {
        let out = self.run(args, stdin);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?} should be refused: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: expected {says:?} in {err}");
    }
}

db_scenarios!(
    users_clients_and_keys_from_the_cli,
    roles_and_agencies_from_the_cli,
    frontchannel_logout_uri_from_the_cli
);

/// `client add --frontchannel-logout-uri`: https (http on loopback only), no `iss`/`sid` of
/// its own; refused with exit code 2 and nothing stored, else listed.
async fn frontchannel_logout_uri_from_the_cli(backend: Backend) {
    let cli = Cli::new(backend).await;
    let add = |id: &'static str, uri: &'static str| {
        [
            "client",
            "add",
            "--id",
            id,
            "--name",
            "Portal Lama",
            "--redirect-uri",
            "https://portal.example.go.id/callback",
            "--frontchannel-logout-uri",
            uri,
        ]
    };
    cli.refused(
        &add("plain", "http://portal.example.go.id/fc"),
        None,
        "https",
    );
    cli.refused(&add("relative", "/fc"), None, "bad URI");
    cli.refused(
        &add("frag", "https://portal.example.go.id/fc#x"),
        None,
        "fragment",
    );
    cli.refused(
        &add("own-sid", "https://portal.example.go.id/fc?sid=1"),
        None,
        "iss or sid",
    );
    cli.ok(
        &add("portal", "https://portal.example.go.id/fc?app=1"),
        None,
    );
    cli.ok(&add("local", "http://127.0.0.1:8081/fc"), None);
    let list = cli.ok(&["client", "list"], None);
    assert!(
        list.contains("frontchannel=https://portal.example.go.id/fc?app=1"),
        "{list}"
    );
    assert!(
        list.contains("frontchannel=http://127.0.0.1:8081/fc"),
        "{list}"
    );
    for refused in ["plain", "relative", "frag", "own-sid"] {
        assert!(!list.contains(&format!("{refused}\t")), "{list}");
    }
}

async fn users_clients_and_keys_from_the_cli(backend: Backend) {
    let cli = Cli::new(backend).await;
    let nip = "198507122010011002";
    // user add before any serve, with a password from stdin.
    let out = cli.ok(
        &[
            "user",
            "add",
            "--nip",
            nip,
            "--name",
            "Siti Rahayu",
            "--email",
            "siti@bkn.go.id",
            "--instansi",
            "4011",
            "--password-stdin",
        ],
        Some("Gerbang#Aman2026\n"),
    );
    assert!(out.contains(nip));
    cli.refused(
        &[
            "user",
            "add",
            "--nip",
            nip,
            "--name",
            "Lagi",
            "--email",
            "lagi@bkn.go.id",
        ],
        None,
        "already exists",
    );
    cli.refused(
        &[
            "user",
            "add",
            "--nip",
            "12345",
            "--name",
            "X",
            "--email",
            "x@bkn.go.id",
        ],
        None,
        "malformed NIP",
    );
    cli.refused(
        &[
            "user",
            "add",
            "--nip",
            "198513122010011002",
            "--name",
            "X",
            "--email",
            "x@bkn.go.id",
        ],
        None,
        "birth date",
    );
    cli.refused(
        &[
            "user",
            "add",
            "--nip",
            "199001012015011001",
            "--name",
            "X",
            "--email",
            "not-an-email",
        ],
        None,
        "e-mail",
    );
    cli.refused(
        &[
            "user",
            "add",
            "--nip",
            "199001012015011001",
            "--name",
            "X",
            "--email",
            "x@bkn.go.id",
            "--password-stdin",
        ],
        Some("pendek\n"),
        "policy",
    );
    // The refusal names the broken rules in the words the new-password page uses.
    let out = cli.run(
        &[
            "user",
            "add",
            "--nip",
            "199001012015011001",
            "--name",
            "X",
            "--email",
            "x@bkn.go.id",
            "--password-stdin",
        ],
        Some("pendek\n"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for words in [
        "At least 12 characters.",
        "Must contain an upper-case letter.",
        "Must contain a digit.",
        "Must contain a symbol",
    ] {
        assert!(err.contains(words), "{words:?} in {err}");
    }
    assert!(
        !err.contains("MinLength") && !err.contains('['),
        "no rule names: {err}"
    );
    cli.refused(
        &["user", "add", "--nip", "199001012015011001"],
        None,
        "--name",
    );

    // Import: new rows, an update of the existing person (password kept), bad rows skipped.
    let csv = cli.dir.path().join("siasn.csv");
    std::fs::write(
        &csv,
        format!(
            "nip,name,email,instansi_id,unit_kerja,jabatan\n\
             {nip},Siti Rahayu S.Kom,siti.baru@bkn.go.id,4011,Direktorat SI,Pranata Komputer\n\
             199001012015011001,Budi Santoso,budi@kemenkeu.go.id,2301,Setjen,Analis\n\
             123,Salah NIP,salah@x.go.id,1,,\n\
             199203042019032001,Ani,bukan-email,2301,,\n\
             199203042019032002,Dewi Lestari,dewi@kemenkeu.go.id,2301,,\n"
        ),
    )
    .unwrap();
    let out = cli.run(&["user", "import", csv.to_str().unwrap()], None);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("2 new, 1 changed, 0 unchanged, 0 disabled (0 absent from the snapshot), 0 enabled, 2 bad rows"),
        "{stdout}"
    );
    assert!(
        stderr.contains("line 4") && stderr.contains("line 5"),
        "bad rows named by line: {stderr}"
    );
    // Re-runnable: the same file again rewrites nothing.
    let again = cli.ok(&["user", "import", csv.to_str().unwrap()], None);
    assert!(
        again.contains("0 new, 0 changed, 3 unchanged, 0 disabled (0 absent from the snapshot), 0 enabled, 2 bad rows"),
        "{again}"
    );
    // Small batches (many transactions), a NIP twice in one batch and again in a later one,
    // and a quoted field with a comma and a line break: the last row for a NIP wins, and
    // line numbers stay those of the file.
    let batched = cli.dir.path().join("batched.csv");
    std::fs::write(
        &batched,
        "nip,name,email,instansi_id,unit_kerja,jabatan\n\
         198001012005011001,Agus,agus1@bkn.go.id,4011,,\n\
         198001012005011001,Agus W,agus2@bkn.go.id,4011,,\n\
         198001012005011002,\"Rina, S.E.\",rina@bkn.go.id,4011,Biro Umum,\n\
         198001012005011003,Dodi,dodi@bkn.go.id,4011,\"Biro\nUmum\",\n\
         bukan-nip,X,x@bkn.go.id,,,\n\
         198001012005011001,Agus Wibowo,agus3@bkn.go.id,4011,,\n",
    )
    .unwrap();
    let out = cli.run(
        &["user", "import", "--batch", "2", batched.to_str().unwrap()],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("2 new, 1 changed, 1 unchanged, 0 disabled (0 absent from the snapshot), 0 enabled, 2 bad rows"),
        "{stdout}{stderr}"
    );
    assert!(
        stderr.contains("line 5: skipped: unit_kerja") && stderr.contains("line 7: skipped"),
        "a record spanning lines is named by its first line: {stderr}"
    );
    let bad_header = cli.dir.path().join("bad.csv");
    std::fs::write(&bad_header, "nip;nama\n1;2\n").unwrap();
    cli.refused(
        &["user", "import", bad_header.to_str().unwrap()],
        None,
        "header",
    );

    // The imported update kept the password and took the new e-mail.
    let config = gerbang::config::Config {
        database_url: cli.database_url.clone(),
        ..Default::default()
    };
    let store = gerbang::admin::open_store(&config).await.unwrap();
    let siti = store.find_user_by_nip(nip).await.unwrap().unwrap();
    assert_eq!(siti.email, "siti.baru@bkn.go.id");
    let agus = store
        .find_user_by_nip("198001012005011001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (agus.name.as_str(), agus.email.as_str()),
        ("Agus Wibowo", "agus3@bkn.go.id")
    );
    let rina = store
        .find_user_by_nip("198001012005011002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rina.name, "Rina, S.E.");
    assert_eq!(rina.unit_kerja.as_deref(), Some("Biro Umum"));
    assert_eq!(agus.jabatan, None, "an empty field is absent, not \"\"");
    assert!(
        siti.password_hash.is_some(),
        "an import never clobbers a password"
    );
    let budi = store
        .find_user_by_nip("199001012015011001")
        .await
        .unwrap()
        .unwrap();
    assert!(
        budi.password_hash.is_none(),
        "imported people activate by e-mail"
    );
    assert_eq!(budi.instansi_id.as_deref(), Some("2301"));

    // Clients.
    let out = cli.ok(
        &[
            "client",
            "add",
            "--id",
            "myasn",
            "--name",
            "MyASN",
            "--redirect-uri",
            "https://myasn.bkn.go.id/cb",
            "--redirect-uri",
            "http://127.0.0.1:3000/cb",
            "--post-logout-redirect-uri",
            "https://myasn.bkn.go.id/",
        ],
        None,
    );
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .expect("secret printed once")
        .to_string();
    assert!(secret.len() >= 43);
    let stored = store.find_client("myasn").await.unwrap().unwrap();
    assert_ne!(stored.secret_hash, secret, "only a hash is stored");
    assert_eq!(stored.secret_hash, gerbang::secrets::sha256_hex(&secret));
    let out = cli.ok(
        &[
            "client",
            "add",
            "--id",
            "siasn",
            "--name",
            "SIASN",
            "--redirect-uri",
            "https://siasn.bkn.go.id/cb",
            "--first-party",
            "--secret-stdin",
            "--id-token-alg",
            "RS256",
        ],
        Some("a-very-long-client-secret-of-40-characters\n"),
    );
    assert!(
        !out.contains("client_secret:"),
        "a given secret is not echoed"
    );
    cli.refused(
        &[
            "client",
            "add",
            "--id",
            "myasn",
            "--name",
            "Dup",
            "--redirect-uri",
            "https://x.go.id/cb",
        ],
        None,
        "already exists",
    );
    cli.refused(
        &[
            "client",
            "add",
            "--id",
            "plain",
            "--name",
            "Plain",
            "--redirect-uri",
            "http://plain.go.id/cb",
        ],
        None,
        "https",
    );
    cli.refused(
        &[
            "client",
            "add",
            "--id",
            "frag",
            "--name",
            "F",
            "--redirect-uri",
            "https://x.go.id/cb#f",
        ],
        None,
        "fragment",
    );
    cli.refused(
        &[
            "client",
            "add",
            "--id",
            "short",
            "--name",
            "S",
            "--redirect-uri",
            "https://x.go.id/cb",
            "--secret-stdin",
        ],
        Some("short\n"),
        "at least 32",
    );
    cli.refused(
        &[
            "client",
            "add",
            "--id",
            "bad id",
            "--name",
            "S",
            "--redirect-uri",
            "https://x.go.id/cb",
        ],
        None,
        "client id",
    );
    cli.refused(
        &["client", "add", "--id", "nouri", "--name", "S"],
        None,
        "--redirect-uri",
    );
    cli.refused(
        &[
            "client",
            "add",
            "--id",
            "plainbc",
            "--name",
            "S",
            "--redirect-uri",
            "https://x.go.id/cb",
            "--backchannel-logout-uri",
            "http://x.go.id/bc",
        ],
        None,
        "https",
    );
    cli.ok(
        &[
            "client",
            "add",
            "--id",
            "siasn-admin",
            "--name",
            "SIASN Admin",
            "--redirect-uri",
            "https://admin.siasn.go.id/cb",
            "--backchannel-logout-uri",
            "https://admin.siasn.go.id/bc",
            "--allowed-role",
            "siasn-admin",
            "--launcher-url",
            "https://admin.siasn.go.id/",
        ],
        None,
    );
    // A staff scope is the operator's to give, and only a known one.
    cli.refused(
        &[
            "client",
            "add",
            "--id",
            "bkpsdm-x",
            "--name",
            "X",
            "--redirect-uri",
            "https://x.go.id/cb",
            "--scope",
            "admin",
        ],
        None,
        "unknown allowed scope",
    );
    cli.ok(
        &[
            "client",
            "add",
            "--id",
            "bkpsdm-tool",
            "--name",
            "Alat Helpdesk BKPSDM",
            "--redirect-uri",
            "https://helpdesk.bkpsdm.go.id/cb",
            "--scope",
            "helpdesk",
        ],
        None,
    );
    let list = cli.ok(&["client", "list"], None);
    let ids: Vec<&str> = list
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec!["bkpsdm-tool", "myasn", "siasn", "siasn-admin"],
        "refused clients left nothing behind"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("bkpsdm-tool\t") && l.ends_with("\tscopes=helpdesk")),
        "{list}"
    );
    assert!(
        !list
            .lines()
            .any(|l| l.starts_with("myasn\t") && l.contains("scopes="))
    );

    // Keys: rotate before the first serve creates the ring, then adds to it.
    let out = cli.ok(&["keys", "rotate"], None);
    assert!(out.contains("published 2 new keys"), "{out}");
    let ring = gerbang::keys::KeyRing::load(&cli.dir.path().join("keys")).unwrap();
    assert_eq!(ring.kids().count(), 4);
    // A config file that does not exist is a clear error too.
    cli.refused(
        &["--config", "/nonexistent/gerbang.toml", "client", "list"],
        None,
        "does not exist",
    );
}

async fn roles_and_agencies_from_the_cli(backend: Backend) {
    let cli = Cli::new(backend).await;
    let agencies = cli.dir.path().join("instansi.csv");
    std::fs::write(
        &agencies,
        "id,name\n4011,Badan Kepegawaian Negara\n2301,Kementerian Keuangan\n",
    )
    .unwrap();
    assert!(
        cli.ok(&["instansi", "import", agencies.to_str().unwrap()], None)
            .contains("2 new, 0 updated")
    );
    let bad = cli.dir.path().join("bad.csv");
    std::fs::write(&bad, "id,name\n9999,\n").unwrap();
    cli.refused(
        &["instansi", "import", bad.to_str().unwrap()],
        None,
        "line 2",
    );
    // The user import brings agencies it mentions (by id) too.
    let users = cli.dir.path().join("users.csv");
    std::fs::write(&users, "nip,name,email,instansi_id,unit_kerja,jabatan\n198507122010011002,Siti Rahayu,siti@bkn.go.id,4011,,\n199001012015011001,Budi,budi@kemenkeu.go.id,7777,,\n").unwrap();
    cli.ok(&["user", "import", users.to_str().unwrap()], None);

    let siti = "198507122010011002";
    cli.ok(
        &[
            "role",
            "grant",
            "--nip",
            siti,
            "--role",
            "helpdesk",
            "--instansi",
            "4011",
            "--instansi",
            "7777",
        ],
        None,
    );
    cli.ok(
        &[
            "role",
            "grant",
            "--nip",
            "199001012015011001",
            "--role",
            "admin",
        ],
        None,
    );
    cli.refused(
        &["role", "grant", "--nip", siti, "--role", "helpdesk"],
        None,
        "needs --instansi",
    );
    cli.refused(
        &[
            "role",
            "grant",
            "--nip",
            siti,
            "--role",
            "admin",
            "--instansi",
            "4011",
        ],
        None,
        "no --instansi",
    );
    cli.refused(
        &["role", "grant", "--nip", siti, "--role", "root"],
        None,
        "unknown role",
    );
    cli.refused(
        &[
            "role",
            "grant",
            "--nip",
            siti,
            "--role",
            "helpdesk",
            "--instansi",
            "0000",
        ],
        None,
        "unknown instansi",
    );
    cli.refused(
        &[
            "role",
            "grant",
            "--nip",
            "199203042019032001",
            "--role",
            "admin",
        ],
        None,
        "no user",
    );
    let list = cli.ok(&["role", "list"], None);
    let rows: Vec<&str> = list.lines().collect();
    assert_eq!(rows.len(), 3, "{list}");
    assert!(
        rows.iter().any(|r| r.ends_with("helpdesk\t4011"))
            && rows.iter().any(|r| r.ends_with("admin\t*"))
    );

    cli.ok(
        &[
            "role",
            "revoke",
            "--nip",
            siti,
            "--role",
            "helpdesk",
            "--instansi",
            "7777",
        ],
        None,
    );
    cli.refused(
        &[
            "role",
            "revoke",
            "--nip",
            siti,
            "--role",
            "helpdesk",
            "--instansi",
            "7777",
        ],
        None,
        "does not hold",
    );
    assert_eq!(cli.ok(&["role", "list"], None).lines().count(), 2);
}

/// What a command audits (the import's enables and disables) reaches the audit sink before
/// the process ends: as `main` does, the command runs on a runtime that is dropped right
/// after, and only the wait for the sink's writer lets the line out (a current-thread
/// runtime: without the wait the writer never gets a turn).
#[test]
fn a_commands_audit_events_reach_the_sink_before_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut c = gerbang::config::Config::for_test(
        "http://127.0.0.1:1",
        &format!("sqlite://{}/g.db", dir.path().display()),
        dir.path(),
    );
    c.audit_sink = format!("file://{}", path.display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = gerbang::admin::open_store(&c).await.unwrap();
        let ev = gerbang::domain::audit::AuditEvent {
            actor: Some("import"),
            ..gerbang::domain::audit::AuditEvent::new(
                gerbang::domain::audit::AuditKind::UserDisabled,
            )
        };
        store.audit(&ev, 1_700_000_000).await.unwrap();
        drop(store);
        gerbang::ops::audit_sink::finish(std::time::Duration::from_secs(10)).await;
    });
    drop(rt);
    let text = std::fs::read_to_string(&path).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("one JSON line ({e}): {text:?}"));
    assert_eq!(line["kind"], "user_disabled");
    assert_eq!(line["actor_nip"], "import");
    assert_eq!(line["at"], "2023-11-14T22:13:20Z");
}

//! `gerbang client add --public` (issue 19), run as the real binary against a real database.

use std::process::{Command, Output};

use crate::common::{Backend, db_scenarios};

const BIN: &str = env!("CARGO_BIN_EXE_gerbang");

db_scenarios!(
    public_clients_from_the_cli,
    public_clients_never_carry_staff_scopes
);

fn run(dir: &std::path::Path, database_url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("GERBANG_DATABASE_URL", database_url)
        .env("GERBANG_KEYS_DIR", dir.join("keys"))
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

async fn public_clients_from_the_cli(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = match backend {
        Backend::Sqlite => format!("sqlite://{}/gerbang.db", dir.path().display()),
        _ => crate::common::fresh_postgres_schema().await,
    };
    let run = |args: &[&str]| run(dir.path(), &db, args);
    let add = ["client", "add", "--id", "app", "--name", "ASN Digital"];
    fn with<'a>(add: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
        [add, more].concat()
    }
    let with = |more: &[&'static str]| with(&add, more);
    let refused = |args: &[&str], says: &str| {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?} should be refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: expected {says:?} in {err}");
    };
    refused(
        &with(&[
            "--public",
            "--secret-stdin",
            "--redirect-uri",
            "http://127.0.0.1/cb",
        ]),
        "--secret-stdin",
    );
    refused(
        &with(&["--public", "--redirect-uri", "http://localhost:8000/cb"]),
        "localhost",
    );
    refused(
        &with(&["--public", "--redirect-uri", "myapp:/cb"]),
        "RFC 8252",
    );
    refused(
        &with(&[
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--web-origin",
            "https://app.bkn.go.id/",
        ]),
        "bad origin",
    );
    refused(
        &with(&[
            "--redirect-uri",
            "https://app.bkn.go.id/cb",
            "--allow-offline-access",
        ]),
        "allow_offline_access is for public clients",
    );
    refused(
        &with(&[
            "--public",
            "--grant-type",
            "client_credentials",
            "--redirect-uri",
            "http://127.0.0.1/cb",
        ]),
        "client_credentials",
    );

    let out = run(&with(&[
        "--public",
        "--redirect-uri",
        "id.go.bkn.mobile:/oauth2redirect",
        "--redirect-uri",
        "http://[::1]/cb",
        "--web-origin",
        "https://app.bkn.go.id",
        "http://127.0.0.1:5173",
        "--allow-offline-access",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("added public client app"), "{stdout}");
    assert!(
        !stdout.contains("client_secret"),
        "no secret for a public client: {stdout}"
    );
    let list = String::from_utf8_lossy(&run(&["client", "list"]).stdout).to_string();
    assert!(
        list.contains(
            "\tpublic\toffline_access\tweb_origins=https://app.bkn.go.id,http://127.0.0.1:5173"
        ),
        "{list}"
    );
    // A confidential client still gets its generated secret.
    let out = run(&[
        "client",
        "add",
        "--id",
        "web",
        "--name",
        "Web",
        "--redirect-uri",
        "https://web.bkn.go.id/cb",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("client_secret: "));
}

/// Issue 24 item 9: `client add --public --scope helpdesk` and a clients.toml entry with
/// `public = true` and `allowed_scopes = ["helpdesk"]` were accepted. The CLI refuses (exit
/// 2, says why, writes nothing); the file makes the server refuse to start, naming the
/// client and the scope.
async fn public_clients_never_carry_staff_scopes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = match backend {
        Backend::Sqlite => format!("sqlite://{}/gerbang.db", dir.path().display()),
        _ => crate::common::fresh_postgres_schema().await,
    };
    let out = run(
        dir.path(),
        &db,
        &[
            "client",
            "add",
            "--id",
            "app",
            "--name",
            "ASN Digital",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--scope",
            "helpdesk",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("public client cannot be allowed the staff scope \"helpdesk\""),
        "{err}"
    );
    let list = run(dir.path(), &db, &["client", "list"]);
    assert!(
        !String::from_utf8_lossy(&list.stdout).contains("app"),
        "nothing written: {list:?}"
    );

    let file = dir.path().join("clients.toml");
    std::fs::write(
        &file,
        "[[client]]\nid = \"spa\"\nname = \"SPA\"\npublic = true\n\
         redirect_uris = [\"http://127.0.0.1/cb\"]\nallowed_scopes = [\"helpdesk\"]\n",
    )
    .unwrap();
    let mut cfg = gerbang::config::Config::for_test("http://127.0.0.1:9", &db, dir.path());
    cfg.clients_file = Some(file);
    let err = gerbang::server::build_state(cfg, gerbang::clock::Clock::default())
        .await
        .err()
        .expect("a public client with a staff scope refuses to start");
    let err = err.to_string();
    assert!(
        err.contains("client \"spa\"") && err.contains("staff scope \"helpdesk\""),
        "{err}"
    );
}

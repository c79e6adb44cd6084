//! Durable data behind one API over SQLite (default) and PostgreSQL.
//!
//! Every statement is written once in SQL both dialects accept (`$n` placeholders,
//! `ON CONFLICT`, `RETURNING`) and runs through sqlx's Any driver; SQL lives only here.

pub mod audit;
pub mod clients;
pub mod helpdesk;
pub mod import;
pub mod janitor;
pub mod lifecycle;
pub mod logout;
pub mod mfa;
pub mod outbox;
pub mod refresh;
pub mod roles;
pub mod users;

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists")]
    Duplicate,
    /// The change was refused because the data it depends on changed (e.g. a first device
    /// when another device now exists).
    #[error("conflicting change")]
    Conflict,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Maps a unique-constraint violation to `Duplicate`, leaving other errors as they are.
    fn from_insert(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Duplicate,
            _ => StoreError::Db(e),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub backend: Backend,
    /// Where audit events go besides `audit_events` (none until `server::build_state` sets it).
    pub(crate) audit_sink: crate::ops::audit_sink::AuditSink,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Connects (creating a SQLite file and its folder when missing) and applies migrations.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        acquire_timeout: std::time::Duration,
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Db(sqlx::Error::Configuration(
                format!("unsupported database URL (use sqlite:// or postgres://): {url}").into(),
            )));
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        if backend == Backend::Sqlite {
            // Before the pool opens, never after: see `private_sqlite_files`.
            private_sqlite_files(&url)?;
        }
        let opts = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        // A short acquire timeout: while the database is away requests answer 503 within
        // seconds instead of queueing for sqlx's default 30 s.
        let mut pool_opts = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(acquire_timeout);
        if backend == Backend::Sqlite {
            pool_opts = pool_opts.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers run beside the single writer; NORMAL is durable in WAL
                    // mode across process crashes (only an OS crash can lose the last commit).
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = pool_opts.connect_with(opts).await?;
        let store = Self {
            pool,
            backend,
            audit_sink: Default::default(),
        };
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&store.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&store.pool).await?,
        }
        Ok(store)
    }

    /// Closes the pool; later queries fail (used to simulate a lost database).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// `sqlite://data/gerbang.db` → the same with `mode=rwc`, creating the parent folder (0700).
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && !path.is_empty()
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        crate::private_fs::create_dir(parent).map_err(|e| {
            StoreError::Db(sqlx::Error::Configuration(
                format!("cannot create {}: {e}", parent.display()).into(),
            ))
        })?;
        // One left writable by others by an older version (`umask 000`) is narrowed too.
        if crate::private_fs::no_foreign_writes(parent).map_err(|e| {
            StoreError::Db(sqlx::Error::Configuration(
                format!("cannot narrow {}: {e}", parent.display()).into(),
            ))
        })? {
            tracing::warn!(dir = %parent.display(), "the database's folder was writable by others; narrowed");
        }
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// The database holds password hashes, sealed TOTP secrets and pending reset codes: only
/// Gerbang's own user may read it (0600, like the keys), whatever the umask. A missing file
/// is created here, empty (a valid empty SQLite database), so it is never readable by others
/// even for a moment; SQLite creates `-wal` and `-shm` with the database file's mode, and
/// ones left wider by an older version are narrowed here too.
///
/// Only ever a descriptor on a file that did not exist (`create_new`), and `chmod` by name
/// otherwise: on POSIX, closing any descriptor of a file drops every lock this process holds
/// on it, so opening a database that a pool of this process (e.g. a second `Store` on the
/// same file) holds would leave it unlocked, and another program's connection would then
/// checkpoint and delete the `-wal` under it, losing the server's later writes.
fn private_sqlite_files(url: &str) -> Result<(), StoreError> {
    let rest = url.trim_start_matches("sqlite://");
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let fail = |p: &str, e: std::io::Error| {
        StoreError::Db(sqlx::Error::Configuration(
            format!("cannot make {p} private: {e}").into(),
        ))
    };
    match crate::private_fs::open_private(std::path::Path::new(path), true) {
        Ok(_new_file) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(fail(path, e)),
    }
    for p in [
        path.to_string(),
        format!("{path}-wal"),
        format!("{path}-shm"),
    ] {
        crate::private_fs::make_private(std::path::Path::new(&p)).map_err(|e| fail(&p, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn migration_lists_match_between_backends() {
        let names = |dir: &str| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
        let postgres = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(
            sqlite, postgres,
            "every migration needs its twin in the other backend"
        );
    }

    #[test]
    fn sqlite_url_gains_create_mode() {
        assert_eq!(
            super::sqlite_url("sqlite::memory:").unwrap(),
            "sqlite://:memory:?mode=rwc"
        );
        assert_eq!(
            super::sqlite_url("sqlite:///tmp/x.db?cache=shared").unwrap(),
            "sqlite:///tmp/x.db?cache=shared&mode=rwc"
        );
    }
}

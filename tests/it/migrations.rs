//! Migrations applied to a database that already holds rows, as an upgrade meets them.

use crate::common::{Backend, db_scenarios};

db_scenarios!(helpdesk_disables_become_holds);

/// The database as the version before `upto` (inclusive) left it.
async fn migrated_upto(backend: Backend, upto: i64) -> (tempfile::TempDir, String, sqlx::AnyPool) {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let (url, folder) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}/gerbang.db?mode=rwc", dir.path().display()),
            "sqlite",
        ),
        _ => (crate::common::fresh_postgres_schema().await, "postgres"),
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut m = sqlx::migrate::Migrator::new(path).await.unwrap();
    m.migrations = m
        .migrations
        .iter()
        .filter(|x| x.version <= upto)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    m.run(&pool).await.unwrap();
    (dir, url.replace("?mode=rwc", ""), pool)
}

/// Issue 24 item 7: a helpdesk Disable before the hold existed is `status = 'disabled'`, or
/// (the lost case) `siasn_inactive` with the Disable only in the audit trail. Both become
/// holds, so an import saying "aktif" after the upgrade does not bring them back, and so does
/// a Disable an import already undid; an account the helpdesk enabled again after its
/// Disable, and one never touched, do not.
async fn helpdesk_disables_become_holds(backend: Backend) {
    let (_dir, url, pool) = migrated_upto(backend, 11).await;
    for (id, nip, status) in [
        ("u-disabled", "198507122010011001", "disabled"),
        ("u-lost", "198507122010011002", "siasn_inactive"),
        ("u-enabled-again", "198507122010011003", "siasn_inactive"),
        ("u-import-only", "198507122010011004", "siasn_inactive"),
        ("u-active", "198507122010011005", "active"),
        ("u-undone", "198507122010011006", "active"),
    ] {
        sqlx::query(
            "INSERT INTO users (id, nip, name, email, status, siasn_status, created_at, updated_at) \
             VALUES ($1, $2, 'Siti', $3, $4, 'cltn', 1, 500)",
        )
        .bind(id)
        .bind(nip)
        .bind(format!("{id}@bkn.go.id"))
        .bind(status)
        .execute(&pool)
        .await
        .unwrap();
    }
    for (n, subject, at, detail) in [
        (1, "u-lost", 100, "disable: Tiket 1"),
        (2, "u-enabled-again", 100, "disable: Tiket 2"),
        (3, "u-enabled-again", 200, "enable over SIASN cltn: Tiket 3"),
        (4, "u-active", 100, "end_sessions: Tiket 4"),
        (5, "u-undone", 100, "disable: Tiket 5"),
    ] {
        sqlx::query(
            "INSERT INTO audit_events (id, at, actor, subject, kind, detail) \
             VALUES ($1, $2, 'officer', $3, 'helpdesk_action', $4)",
        )
        .bind(format!("a{n}"))
        .bind(at as i64)
        .bind(subject)
        .bind(detail)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let config = gerbang::config::Config {
        database_url: url,
        ..Default::default()
    };
    let store = gerbang::admin::open_store(&config).await.unwrap();
    let hold = |nip: &'static str| {
        let store = store.clone();
        async move {
            let u = store.find_user_by_nip(nip).await.unwrap().unwrap();
            (u.helpdesk_hold_at, u.is_active())
        }
    };
    assert_eq!(hold("198507122010011001").await, (Some(500), false));
    assert_eq!(hold("198507122010011002").await, (Some(100), false));
    assert_eq!(hold("198507122010011003").await, (None, false));
    assert_eq!(hold("198507122010011004").await, (None, false));
    assert_eq!(hold("198507122010011005").await, (None, true));
    // A Disable the old import already undid: the helpdesk's word comes back as a hold.
    assert_eq!(hold("198507122010011006").await, (Some(100), false));
}

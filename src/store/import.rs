//! Bulk upsert for the SIASN import (millions of rows): one transaction per batch;
//! PostgreSQL streams each batch with COPY into a temporary table and upserts from it,
//! SQLite uses multi-row INSERTs. Rows upsert by NIP and only profile columns change:
//! passwords, MFA, status and lock state are never touched. Unchanged rows are not
//! rewritten, so a re-run of the same file is quick and leaves `updated_at` meaningful.

use std::collections::{HashMap, HashSet};

use sqlx::{Connection, Row};

use super::users::NewUser;
use super::{Backend, Store, StoreError};

/// Rows written by one batch; the rest of the batch was identical to what is stored (or
/// repeated a NIP within the batch).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    pub inserted: u64,
    pub updated: u64,
}

pub enum Importer {
    Sqlite(Store),
    /// A dedicated connection: COPY is a PostgreSQL-only protocol the Any driver lacks.
    Postgres(Box<sqlx::PgConnection>),
}

/// Rows per SQLite statement: 9 binds each stays far below SQLite's 32,766 limit.
const SQLITE_ROWS_PER_STATEMENT: usize = 500;

const UPSERT_SET: &str = " ON CONFLICT (nip) DO UPDATE SET name = excluded.name, \
     email = excluded.email, instansi_id = excluded.instansi_id, unit_kerja = excluded.unit_kerja, \
     jabatan = excluded.jabatan, updated_at = excluded.updated_at";

impl Importer {
    pub async fn open(store: Store, database_url: &str) -> Result<Self, StoreError> {
        Ok(match store.backend {
            Backend::Sqlite => Importer::Sqlite(store),
            Backend::Postgres => {
                Importer::Postgres(Box::new(sqlx::PgConnection::connect(database_url).await?))
            }
        })
    }

    /// Upserts one batch in one transaction. Within a batch the last row for a NIP wins
    /// (an upsert may not touch the same row twice in one statement).
    pub async fn upsert(
        &mut self,
        batch: &[NewUser],
        now: i64,
    ) -> Result<BatchOutcome, StoreError> {
        let rows = last_per_nip(batch);
        if rows.is_empty() {
            return Ok(BatchOutcome::default());
        }
        match self {
            Importer::Sqlite(store) => sqlite_batch(store, &rows, now).await,
            Importer::Postgres(conn) => postgres_batch(conn, &rows, now).await,
        }
    }
}

/// Time-ordered ids (UUIDv7): millions of new rows append to the primary-key index instead
/// of landing at random places in it, which made a 5.2 M-row import several times slower.
fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn last_per_nip(batch: &[NewUser]) -> Vec<&NewUser> {
    let mut at: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    for (i, u) in batch.iter().enumerate() {
        at.insert(&u.nip, i);
    }
    batch
        .iter()
        .enumerate()
        .filter(|(i, u)| at[u.nip.as_str()] == *i)
        .map(|(_, u)| u)
        .collect()
}

async fn sqlite_batch(
    store: &Store,
    rows: &[&NewUser],
    now: i64,
) -> Result<BatchOutcome, StoreError> {
    let mut tx = store.pool.begin().await?;
    // The indexes of millions of rows do not fit SQLite's 2 MB default page cache.
    sqlx::query("PRAGMA cache_size = -262144")
        .execute(&mut *tx)
        .await?;
    let agencies: HashSet<&str> = rows
        .iter()
        .filter_map(|u| u.instansi_id.as_deref())
        .collect();
    for a in agencies {
        sqlx::query("INSERT INTO instansi (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(a)
            .execute(&mut *tx)
            .await?;
    }
    let mut out = BatchOutcome::default();
    for chunk in rows.chunks(SQLITE_ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO users (id, nip, name, email, instansi_id, unit_kerja, jabatan, created_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${},${},${},${},${},${},${},${},${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        sql.push_str(UPSERT_SET);
        sql.push_str(
            " WHERE users.name IS NOT excluded.name OR users.email IS NOT excluded.email \
             OR users.instansi_id IS NOT excluded.instansi_id \
             OR users.unit_kerja IS NOT excluded.unit_kerja OR users.jabatan IS NOT excluded.jabatan \
             RETURNING id",
        );
        let new_ids: Vec<String> = chunk.iter().map(|_| new_id()).collect();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (u, id) in chunk.iter().zip(&new_ids) {
            q = q
                .bind(id.as_str())
                .bind(u.nip.as_str())
                .bind(u.name.as_str())
                .bind(u.email.as_str())
                .bind(u.instansi_id.as_deref())
                .bind(u.unit_kerja.as_deref())
                .bind(u.jabatan.as_deref())
                .bind(now)
                .bind(now);
        }
        let returned = q.fetch_all(&mut *tx).await?;
        let offered: HashSet<&str> = new_ids.iter().map(String::as_str).collect();
        for r in &returned {
            let id: String = r.try_get("id")?;
            // A new row keeps the id we offered; an updated one returns its own.
            if offered.contains(id.as_str()) {
                out.inserted += 1;
            } else {
                out.updated += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(out)
}

async fn postgres_batch(
    conn: &mut sqlx::PgConnection,
    rows: &[&NewUser],
    now: i64,
) -> Result<BatchOutcome, StoreError> {
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(rows.len() * 160));
    for u in rows {
        let id = new_id();
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        // Empty unquoted CSV fields arrive as NULL, which is what an absent value is.
        csv.write_record([
            id,
            u.nip.clone(),
            u.name.clone(),
            u.email.clone(),
            opt(&u.instansi_id),
            opt(&u.unit_kerja),
            opt(&u.jabatan),
        ])
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    }
    let data = csv
        .into_inner()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;

    let mut tx = conn.begin().await?;
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS import_rows (id TEXT, nip TEXT, name TEXT, email TEXT, \
         instansi_id TEXT, unit_kerja TEXT, jabatan TEXT) ON COMMIT DELETE ROWS",
    )
    .execute(&mut *tx)
    .await?;
    let mut copy = tx
        .copy_in_raw("COPY import_rows FROM STDIN (FORMAT csv)")
        .await?;
    copy.send(data).await?;
    copy.finish().await?;
    sqlx::query(
        "INSERT INTO instansi (id, name) SELECT DISTINCT instansi_id, instansi_id FROM import_rows \
         WHERE instansi_id IS NOT NULL ON CONFLICT (id) DO NOTHING",
    )
    .execute(&mut *tx)
    .await?;
    let sql = format!(
        "WITH up AS (INSERT INTO users (id, nip, name, email, instansi_id, unit_kerja, jabatan, created_at, updated_at) \
         SELECT id, nip, name, email, instansi_id, unit_kerja, jabatan, $1, $1 FROM import_rows{UPSERT_SET} \
         WHERE (users.name, users.email, users.instansi_id, users.unit_kerja, users.jabatan) \
         IS DISTINCT FROM (excluded.name, excluded.email, excluded.instansi_id, excluded.unit_kerja, excluded.jabatan) \
         RETURNING (xmax = 0) AS ins) \
         SELECT COUNT(*) FILTER (WHERE ins) AS inserted, COUNT(*) FILTER (WHERE NOT ins) AS updated FROM up"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(BatchOutcome {
        inserted: row.try_get::<i64, _>("inserted")? as u64,
        updated: row.try_get::<i64, _>("updated")? as u64,
    })
}

//! Bulk upsert for the SIASN import (millions of rows): one transaction per batch. Each
//! batch is first staged in the temporary table `import_rows` (COPY on PostgreSQL, multi-row
//! INSERTs on SQLite) and then applied with the same few set-based statements on both:
//! lifecycle changes (`store::lifecycle`), e-mail conflicts, the upsert. Rows upsert by NIP;
//! passwords, MFA and lock state are never touched. Unchanged rows are not rewritten, so a
//! re-run of the same file is quick and leaves `updated_at` meaningful.
//!
//! E-mail precedence: `users.siasn_email` is what SIASN said last time. A row carrying that
//! same value again leaves `users.email` alone (the helpdesk or the person may have replaced
//! it, and SIASN is then the stale side: reported as a conflict); a row carrying a new value
//! wins. Any change of `users.email` clears `email_verified_at`.

use std::collections::{HashMap, HashSet};

use sqlx::{Connection, Row};

use super::lifecycle::{self, Tx};
use super::users::NewUser;
use super::{Backend, Store, StoreError};
use crate::domain::siasn::SiasnStatus;
use crate::domain::user_status::UserStatus;

/// One row of the file: the person and, when the file has a `status` column, their state.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub user: NewUser,
    pub status: Option<SiasnStatus>,
}

/// An address SIASN still carries although the helpdesk or the person replaced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailConflict {
    pub nip: String,
    pub stored: String,
    pub siasn: String,
}

/// What one batch did; the rest of the batch was identical to what is stored (or repeated a
/// NIP within the batch).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    pub inserted: u64,
    pub updated: u64,
    pub disabled: u64,
    pub enabled: u64,
    pub logouts_queued: u64,
    pub conflicts: Vec<EmailConflict>,
    /// Each disable and enable, for the audit sink once the batch has committed.
    pub changes: Vec<lifecycle::Change>,
}

pub enum Importer {
    Sqlite(Store),
    /// A dedicated connection: COPY is a PostgreSQL-only protocol the Any driver lacks.
    Postgres(Box<sqlx::PgConnection>),
}

/// Rows per SQLite staging statement: 9 binds each stays far below SQLite's 32,766 limit.
const SQLITE_ROWS_PER_STATEMENT: usize = 500;

const STAGE_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS import_rows (id TEXT, nip TEXT, \
     name TEXT, email TEXT, instansi_id TEXT, unit_kerja TEXT, jabatan TEXT, status TEXT, \
     siasn_status TEXT)";

/// One pass over the batch joined to `users` by NIP finds both the people whose state it
/// changes (only rows that carry a state) and the addresses SIASN still carries although
/// they were replaced (conflicts): at 5.2 M people each such join costs a random index
/// lookup per row. A disable reaches the active and the locked (a helpdesk unlock must not
/// bring a retired person back), never staff (`plan_disables` lists them for a person to act
/// on); an enable lifts only the import's own disable, never the helpdesk's `disabled`.
/// Addresses compare without case, as the reset form does.
const STAGE_CHANGES: &str = "INSERT INTO lifecycle_changes \
       (user_id, nip, change, siasn_status, stored_email, siasn_email) \
     SELECT id, nip, change, siasn_status, stored_email, siasn_email FROM ( \
       SELECT u.id, u.nip, \
         CASE WHEN r.siasn_status IS NULL THEN NULL \
              WHEN r.status = 'active' AND u.status = 'siasn_inactive' THEN 'user_enabled' \
              WHEN r.status <> 'active' AND u.status IN ('active', 'locked') \
                AND NOT EXISTS (SELECT 1 FROM roles ro WHERE ro.user_id = u.id) THEN 'user_disabled' \
         END AS change, \
         r.siasn_status, \
         CASE WHEN lower(u.siasn_email) = lower(r.email) AND lower(u.email) <> lower(r.email) \
           THEN u.email END AS stored_email, \
         r.email AS siasn_email \
       FROM import_rows r JOIN users u ON u.nip = r.nip) c \
     WHERE change IS NOT NULL OR stored_email IS NOT NULL";

const CONFLICTS: &str = "SELECT nip, stored_email, siasn_email FROM lifecycle_changes \
     WHERE stored_email IS NOT NULL";

const AGENCIES: &str = "INSERT INTO instansi (id, name) SELECT DISTINCT instansi_id, instansi_id \
     FROM import_rows WHERE instansi_id IS NOT NULL ON CONFLICT (id) DO NOTHING";

/// The upsert from `import_rows` (followed by each backend's RETURNING).
const UPSERT: &str = "INSERT INTO users (id, nip, name, email, siasn_email, instansi_id, \
     unit_kerja, jabatan, status, siasn_status, created_at, updated_at) \
     SELECT id, nip, name, email, email, instansi_id, unit_kerja, jabatan, status, siasn_status, $1, $1 \
     FROM import_rows WHERE true \
     ON CONFLICT (nip) DO UPDATE SET name = excluded.name, instansi_id = excluded.instansi_id, \
       unit_kerja = excluded.unit_kerja, jabatan = excluded.jabatan, updated_at = excluded.updated_at, \
       email = CASE WHEN lower(users.siasn_email) = lower(excluded.email) THEN users.email ELSE excluded.email END, \
       email_verified_at = CASE WHEN lower(users.siasn_email) = lower(excluded.email) \
           OR lower(users.email) = lower(excluded.email) \
         THEN users.email_verified_at ELSE NULL END, \
       siasn_email = excluded.email, \
       siasn_status = COALESCE(excluded.siasn_status, users.siasn_status), \
       status = CASE (SELECT change FROM lifecycle_changes l WHERE l.user_id = users.id) \
         WHEN 'user_disabled' THEN CASE WHEN users.status IN ('active', 'locked') \
           THEN 'siasn_inactive' ELSE users.status END \
         WHEN 'user_enabled' THEN CASE WHEN users.status = 'siasn_inactive' \
           THEN 'active' ELSE users.status END \
         ELSE users.status END \
     WHERE users.name IS DISTINCT FROM excluded.name \
       OR users.instansi_id IS DISTINCT FROM excluded.instansi_id \
       OR users.unit_kerja IS DISTINCT FROM excluded.unit_kerja \
       OR users.jabatan IS DISTINCT FROM excluded.jabatan \
       OR users.siasn_email IS DISTINCT FROM excluded.email \
       OR (excluded.siasn_status IS NOT NULL AND users.siasn_status IS DISTINCT FROM excluded.siasn_status) \
       OR EXISTS (SELECT 1 FROM lifecycle_changes l WHERE l.user_id = users.id AND l.change IS NOT NULL)";

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
        batch: &[ImportRow],
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

fn last_per_nip(batch: &[ImportRow]) -> Vec<&ImportRow> {
    let mut at: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    for (i, r) in batch.iter().enumerate() {
        at.insert(&r.user.nip, i);
    }
    batch
        .iter()
        .enumerate()
        .filter(|(i, r)| at[r.user.nip.as_str()] == *i)
        .map(|(_, r)| r)
        .collect()
}

/// The staged row's proposed `users.status` and `siasn_status` (both absent when the file
/// has no `status` column: then the import leaves the lifecycle alone).
fn staged_status(r: &ImportRow) -> (&'static str, Option<&'static str>) {
    match r.status {
        Some(s) if !s.is_active() => (UserStatus::SiasnInactive.as_str(), Some(s.code())),
        Some(s) => (UserStatus::Active.as_str(), Some(s.code())),
        None => (UserStatus::Active.as_str(), None),
    }
}

/// Everything after staging, shared by both backends: lifecycle changes, conflicts, agencies.
/// The upsert itself follows (its RETURNING differs per backend).
async fn before_upsert(tx: &mut Tx<'_>, out: &mut BatchOutcome) -> Result<(), StoreError> {
    lifecycle::begin(tx).await?;
    tx.texts(STAGE_CHANGES, 0).await?;
    out.conflicts = tx
        .texts(CONFLICTS, 3)
        .await?
        .into_iter()
        .map(|mut c| EmailConflict {
            siasn: c.pop().unwrap_or_default(),
            stored: c.pop().unwrap_or_default(),
            nip: c.pop().unwrap_or_default(),
        })
        .collect();
    tx.texts(AGENCIES, 0).await?;
    Ok(())
}

async fn after_upsert(tx: &mut Tx<'_>, now: i64, out: &mut BatchOutcome) -> Result<(), StoreError> {
    let a = lifecycle::apply(tx, now).await?;
    out.disabled = a.disabled;
    out.enabled = a.enabled;
    out.logouts_queued = a.logouts_queued;
    out.changes = a.changes;
    Ok(())
}

async fn sqlite_batch(
    store: &Store,
    rows: &[&ImportRow],
    now: i64,
) -> Result<BatchOutcome, StoreError> {
    let mut tx = store.pool.begin().await?;
    // The indexes of millions of rows do not fit SQLite's 2 MB default page cache.
    sqlx::query("PRAGMA cache_size = -262144")
        .execute(&mut *tx)
        .await?;
    sqlx::query(STAGE_TABLE).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM import_rows")
        .execute(&mut *tx)
        .await?;
    let new_ids: Vec<String> = rows.iter().map(|_| new_id()).collect();
    for (chunk, ids) in rows
        .chunks(SQLITE_ROWS_PER_STATEMENT)
        .zip(new_ids.chunks(SQLITE_ROWS_PER_STATEMENT))
    {
        let mut sql = String::from(
            "INSERT INTO import_rows (id, nip, name, email, instansi_id, unit_kerja, jabatan, status, siasn_status) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push(',');
            }
            let params: Vec<String> = (1..=9).map(|k| format!("${}", b + k)).collect();
            sql.push_str(&format!("({})", params.join(",")));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (r, id) in chunk.iter().zip(ids) {
            let (status, siasn) = staged_status(r);
            let u = &r.user;
            q = q
                .bind(id.as_str())
                .bind(u.nip.as_str())
                .bind(u.name.as_str())
                .bind(u.email.as_str())
                .bind(u.instansi_id.as_deref())
                .bind(u.unit_kerja.as_deref())
                .bind(u.jabatan.as_deref())
                .bind(status)
                .bind(siasn);
        }
        q.execute(&mut *tx).await?;
    }
    let mut out = BatchOutcome::default();
    before_upsert(&mut Tx::Any(&mut tx), &mut out).await?;
    let returned = sqlx::query(sqlx::AssertSqlSafe(format!("{UPSERT} RETURNING id")))
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
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
    after_upsert(&mut Tx::Any(&mut tx), now, &mut out).await?;
    tx.commit().await?;
    Ok(out)
}

async fn postgres_batch(
    conn: &mut sqlx::PgConnection,
    rows: &[&ImportRow],
    now: i64,
) -> Result<BatchOutcome, StoreError> {
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(rows.len() * 180));
    for r in rows {
        let u = &r.user;
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let (status, siasn) = staged_status(r);
        // Empty unquoted CSV fields arrive as NULL, which is what an absent value is.
        csv.write_record([
            new_id(),
            u.nip.clone(),
            u.name.clone(),
            u.email.clone(),
            opt(&u.instansi_id),
            opt(&u.unit_kerja),
            opt(&u.jabatan),
            status.to_string(),
            siasn.unwrap_or_default().to_string(),
        ])
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    }
    let data = csv
        .into_inner()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;

    let mut tx = conn.begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{STAGE_TABLE} ON COMMIT DELETE ROWS"
    )))
    .execute(&mut *tx)
    .await?;
    let mut copy = tx
        .copy_in_raw("COPY import_rows FROM STDIN (FORMAT csv)")
        .await?;
    copy.send(data).await?;
    copy.finish().await?;
    let mut out = BatchOutcome::default();
    before_upsert(&mut Tx::Pg(&mut tx), &mut out).await?;
    let sql = format!(
        "WITH up AS ({UPSERT} RETURNING (xmax = 0) AS ins) \
         SELECT COUNT(*) FILTER (WHERE ins) AS inserted, COUNT(*) FILTER (WHERE NOT ins) AS updated FROM up"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
    out.inserted = row.try_get::<i64, _>("inserted")? as u64;
    out.updated = row.try_get::<i64, _>("updated")? as u64;
    after_upsert(&mut Tx::Pg(&mut tx), now, &mut out).await?;
    tx.commit().await?;
    Ok(out)
}

/// A person the full snapshot may consider: active, with their NIP and whether they hold a
/// staff role (never disabled by absence: a missing SIASN row must not lock out the people
/// who run the service; they are reported instead).
#[derive(Debug, Clone)]
pub struct ActivePerson {
    /// The NIP's 18 digits as a number: millions of them stay compact.
    pub nip: u64,
    pub staff: bool,
}

impl Store {
    /// Every active person, read by pages of NIPs so memory holds only the compact result.
    pub async fn active_people(&self) -> Result<Vec<ActivePerson>, StoreError> {
        const PAGE: i64 = 50_000;
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT u.nip, CAST(CASE WHEN EXISTS (SELECT 1 FROM roles r WHERE r.user_id = u.id) \
                 THEN 1 ELSE 0 END AS BIGINT) AS staff FROM users u \
                 WHERE u.status IN ('active', 'locked') AND u.nip > $1 ORDER BY u.nip LIMIT $2",
            )
            .bind(&after)
            .bind(PAGE)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                let nip: String = r.try_get("nip")?;
                out.push(ActivePerson {
                    nip: nip.parse().map_err(|_| {
                        StoreError::Corrupt(format!("NIP {nip:?} is not 18 digits"))
                    })?,
                    staff: r.try_get::<i64, _>("staff")? == 1,
                });
                after = nip;
            }
            if (rows.len() as i64) < PAGE {
                return Ok(out);
            }
        }
    }

    /// Disables, as absent from the SIASN snapshot, the given NIPs that are still active;
    /// their access ends as for any import disable. One transaction per call.
    pub async fn disable_absent(
        &self,
        nips: &[String],
        now: i64,
    ) -> Result<lifecycle::Applied, StoreError> {
        if nips.is_empty() {
            return Ok(lifecycle::Applied::default());
        }
        let mut tx = self.pool.begin().await?;
        lifecycle::begin(&mut Tx::Any(&mut tx)).await?;
        for chunk in nips.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "INSERT INTO lifecycle_changes (user_id, nip, change, siasn_status) \
                 SELECT id, nip, 'user_disabled', $1 FROM users \
                 WHERE status IN ('active', 'locked') AND nip IN ({})",
                list.join(","),
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(SiasnStatus::Absent.code());
            for n in chunk {
                q = q.bind(n.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE users SET status = $1, siasn_status = $2, updated_at = $3 \
             WHERE id IN (SELECT user_id FROM lifecycle_changes)",
        )
        .bind(UserStatus::SiasnInactive.as_str())
        .bind(SiasnStatus::Absent.code())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let a = lifecycle::apply(&mut Tx::Any(&mut tx), now).await?;
        tx.commit().await?;
        Ok(a)
    }
}

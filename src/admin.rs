//! Operator commands behind the CLI (`gerbang user|client|keys …`). Each validates all of its
//! input before writing anything, so a refused command changes nothing.

use std::io::BufRead;
use std::path::Path;

use crate::config::Config;
use crate::domain::{nip, password_policy};
use crate::keys::KeyRing;
use crate::passwords::Hasher;
use crate::registry;
use crate::secrets::{random_token, sha256_hex};
use crate::state::Clock;
use crate::store::clients::Client;
use crate::store::users::NewUser;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Bad input: nothing was changed (exit code 2).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Failed(String),
}

impl From<crate::registry::RegistryError> for AdminError {
    fn from(e: crate::registry::RegistryError) -> Self {
        match e {
            crate::registry::RegistryError::Store(e) => e.into(),
            e => AdminError::Invalid(e.to_string()),
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Failed(e.to_string())
    }
}

fn invalid(msg: impl Into<String>) -> AdminError {
    AdminError::Invalid(msg.into())
}

pub async fn open_store(config: &Config) -> Result<Store, AdminError> {
    let mut store = Store::connect(
        &config.database_url,
        2,
        std::time::Duration::from_secs(config.database_acquire_timeout_secs),
    )
    .await?;
    // What a command audits (the import's enables and disables) reaches the SOC too.
    store.audit_sink = crate::ops::audit_sink::AuditSink::start(&config.audit_sink, store.clone())
        .await
        .map_err(invalid)?;
    Ok(store)
}

fn current_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

pub fn validate_nip(s: &str) -> Result<(), AdminError> {
    nip::parse(s, current_year()).map(|_| ()).map_err(|e| {
        invalid(match e {
            nip::NipError::Format => format!("malformed NIP {s:?}: it must be exactly 18 digits"),
            nip::NipError::BirthDate => {
                format!("malformed NIP {s:?}: digits 1-8 are not a plausible birth date")
            }
            nip::NipError::Appointment => format!(
                "malformed NIP {s:?}: digits 9-14 are not a plausible appointment year and month"
            ),
            nip::NipError::Gender => format!("malformed NIP {s:?}: digit 15 must be 1 or 2"),
            nip::NipError::Sequence => {
                format!("malformed NIP {s:?}: the sequence 000 is never issued")
            }
        })
    })
}

/// A deliberately plain check: one `@`, a dotted domain, no spaces, RFC 5321 length.
pub fn validate_email(s: &str) -> Result<(), AdminError> {
    let bad = || invalid(format!("bad e-mail address {s:?}"));
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = s.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(bad());
    }
    Ok(())
}

fn validate_text(field: &str, s: &str, max: usize, required: bool) -> Result<(), AdminError> {
    if required && s.trim().is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    // Names are shown to staff and in e-mails: no bidi overrides or invisible characters.
    if s.chars().count() > max || s.chars().any(crate::domain::text::is_deceptive) {
        return Err(invalid(format!(
            "{field} must be at most {max} printable characters (no hidden or direction-changing ones)"
        )));
    }
    Ok(())
}

pub struct UserAdd {
    pub nip: String,
    pub name: String,
    pub email: String,
    pub instansi: Option<String>,
    pub password: Option<String>,
}

pub async fn user_add(config: &Config, u: UserAdd) -> Result<String, AdminError> {
    validate_nip(&u.nip)?;
    validate_text("name", &u.name, 200, true)?;
    validate_email(&u.email)?;
    if let Some(i) = &u.instansi {
        validate_text("instansi", i, 64, true)?;
    }
    if let Some(p) = &u.password {
        let failed = password_policy::check(p, &u.nip, &u.name);
        if !failed.is_empty() {
            return Err(invalid(format!(
                "the password breaks the policy: {failed:?}"
            )));
        }
    }
    let password_hash = match &u.password {
        Some(p) => Some(
            Hasher::new(config.argon2, 1)
                .hash_blocking(p)
                .map_err(|e| AdminError::Failed(e.to_string()))?,
        ),
        None => None,
    };
    let store = open_store(config).await?;
    let new = NewUser {
        nip: u.nip.clone(),
        name: u.name.trim().to_string(),
        email: u.email.clone(),
        instansi_id: u.instansi.clone(),
        unit_kerja: None,
        jabatan: None,
        password_hash,
    };
    match store.insert_user(&new, Clock::default().now()).await {
        Ok(user) => Ok(user.id),
        Err(StoreError::Duplicate) => {
            Err(invalid(format!("a user with NIP {} already exists", u.nip)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: u64,
    pub updated: u64,
    /// Rows identical to what is stored (a re-run of the same file).
    pub unchanged: u64,
    /// (line number, reason)
    pub skipped: Vec<(u64, String)>,
}

pub const IMPORT_HEADER: [&str; 6] = [
    "nip",
    "name",
    "email",
    "instansi_id",
    "unit_kerja",
    "jabatan",
];

/// Rows per transaction: large enough that commits do not dominate, small enough that a
/// failure loses little and memory stays flat (a few MB).
pub const IMPORT_BATCH: usize = 20_000;

/// Counts bytes read, for progress against the file size.
struct Counting<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Progress: a bar on a terminal, a log line every 10 s otherwise (CI, cron, `nohup`).
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    last_line: std::time::Instant,
    started: std::time::Instant,
}

impl Progress {
    fn new(total: u64) -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {percent:>3}% {msg} [{elapsed_precise}, {eta} left]",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        let now = std::time::Instant::now();
        Self {
            bar,
            total,
            last_line: now,
            started: now,
        }
    }

    fn update(&mut self, bytes: u64, r: &ImportReport) {
        let rows = r.inserted + r.updated + r.unchanged;
        match &self.bar {
            Some(b) => {
                b.set_position(bytes);
                b.set_message(format!("{rows} rows"));
            }
            None if self.last_line.elapsed() >= std::time::Duration::from_secs(10) => {
                self.last_line = std::time::Instant::now();
                let pct = (bytes * 100).checked_div(self.total).unwrap_or(100);
                let secs = self.started.elapsed().as_secs_f64();
                tracing::info!(
                    percent = pct,
                    rows,
                    new = r.inserted,
                    updated = r.updated,
                    skipped = r.skipped.len(),
                    rows_per_sec = (rows as f64 / secs) as u64,
                    "import progress"
                );
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Imports the SIASN export: users without password until they activate. Streams the
/// file in batches of `batch` rows (one transaction each; COPY on PostgreSQL). Re-runnable:
/// rows upsert by NIP and never touch a password or MFA. Bad rows are reported with their
/// line number and skipped.
pub async fn user_import(
    config: &Config,
    file: &Path,
    batch: usize,
) -> Result<ImportReport, AdminError> {
    let f = std::fs::File::open(file)
        .map_err(|e| invalid(format!("cannot read {}: {e}", file.display())))?;
    let total = f.metadata().map(|m| m.len()).unwrap_or(0);
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::with_capacity(
            1 << 20,
            Counting {
                inner: f,
                read: read.clone(),
            },
        ));
    let header = rdr
        .headers()
        .map_err(|e| invalid(format!("cannot read the CSV header: {e}")))?;
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    if header != IMPORT_HEADER {
        return Err(invalid(format!(
            "the CSV header must be `{}`, found `{}`",
            IMPORT_HEADER.join(","),
            header.join(",")
        )));
    }
    let store = open_store(config).await?;
    let mut importer = crate::store::import::Importer::open(store, &config.database_url).await?;
    let now = Clock::default().now();
    let batch = batch.max(1);
    let mut report = ImportReport::default();
    let mut progress = Progress::new(total);
    let mut rows: Vec<NewUser> = Vec::with_capacity(batch);
    let mut rec = csv::StringRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                report.skipped.push((line, format!("unreadable row: {e}")));
                continue;
            }
        }
        let line = rec.position().map_or(line, |p| p.line());
        match imported_user(&rec) {
            Ok(u) => rows.push(u),
            Err(why) => report.skipped.push((line, why)),
        }
        if rows.len() >= batch {
            flush(&mut importer, &mut rows, now, &mut report).await?;
            progress.update(read.load(std::sync::atomic::Ordering::Relaxed), &report);
        }
    }
    flush(&mut importer, &mut rows, now, &mut report).await?;
    progress.update(total, &report);
    progress.finish();
    Ok(report)
}

async fn flush(
    importer: &mut crate::store::import::Importer,
    rows: &mut Vec<NewUser>,
    now: i64,
    report: &mut ImportReport,
) -> Result<(), AdminError> {
    let out = importer.upsert(rows, now).await?;
    report.inserted += out.inserted;
    report.updated += out.updated;
    // A NIP repeated inside one batch is written once; count the repeats as unchanged.
    report.unchanged += rows.len() as u64 - out.inserted - out.updated;
    rows.clear();
    Ok(())
}

/// One CSV row as a person, or why it cannot be one.
fn imported_user(rec: &csv::StringRecord) -> Result<NewUser, String> {
    if rec.len() != 6 {
        return Err(format!("expected 6 fields, found {}", rec.len()));
    }
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    validate_nip(&rec[0])
        .and_then(|_| validate_text("name", &rec[1], 200, true))
        .and_then(|_| validate_email(&rec[2]))
        .and_then(|_| validate_text("instansi_id", &rec[3], 64, false))
        .and_then(|_| validate_text("unit_kerja", &rec[4], 300, false))
        .and_then(|_| validate_text("jabatan", &rec[5], 300, false))
        .map_err(|e| e.to_string())?;
    Ok(NewUser {
        nip: rec[0].to_string(),
        name: rec[1].to_string(),
        email: rec[2].to_string(),
        instansi_id: opt(&rec[3]),
        unit_kerja: opt(&rec[4]),
        jabatan: opt(&rec[5]),
        password_hash: None,
    })
}

pub const ROLES: [&str; 2] = ["helpdesk", "admin"];

/// Validates a grant or revocation: `helpdesk` needs one or more agencies, `admin` none.
async fn role_target(
    store: &Store,
    nip: &str,
    role: &str,
    instansi: &[String],
) -> Result<(String, Vec<String>), AdminError> {
    validate_nip(nip)?;
    if !ROLES.contains(&role) {
        return Err(invalid(format!(
            "unknown role {role:?}: use helpdesk or admin"
        )));
    }
    let scopes = match (role, instansi.is_empty()) {
        ("admin", true) => vec![String::new()],
        ("admin", false) => return Err(invalid("admin covers every agency: give no --instansi")),
        (_, true) => return Err(invalid("a helpdesk role needs --instansi ID (repeatable)")),
        (_, false) => instansi.to_vec(),
    };
    for i in scopes.iter().filter(|i| !i.is_empty()) {
        if !store.instansi_exists(i).await? {
            return Err(invalid(format!(
                "unknown instansi {i:?}: import it first (gerbang instansi import)"
            )));
        }
    }
    let user = store
        .find_user_by_nip(nip)
        .await?
        .ok_or_else(|| invalid(format!("no user with NIP {nip}")))?;
    Ok((user.id, scopes))
}

pub async fn role_grant(
    config: &Config,
    nip: &str,
    role: &str,
    instansi: &[String],
) -> Result<(), AdminError> {
    let store = open_store(config).await?;
    let (user_id, scopes) = role_target(&store, nip, role, instansi).await?;
    for i in &scopes {
        store.grant_role(&user_id, role, i).await?;
    }
    Ok(())
}

pub async fn role_revoke(
    config: &Config,
    nip: &str,
    role: &str,
    instansi: &[String],
) -> Result<(), AdminError> {
    let store = open_store(config).await?;
    let (user_id, scopes) = role_target(&store, nip, role, instansi).await?;
    let mut any = false;
    let now = Clock::default().now();
    for i in &scopes {
        any |= store.revoke_role(&user_id, role, i, now).await?;
    }
    if !any {
        return Err(invalid(format!("{nip} does not hold that role")));
    }
    Ok(())
}

pub async fn role_list(config: &Config) -> Result<Vec<crate::store::roles::RoleGrant>, AdminError> {
    Ok(open_store(config).await?.list_roles().await?)
}

/// `gerbang instansi import FILE.csv` with header `id,name`; returns (new, updated).
pub async fn instansi_import(config: &Config, file: &Path) -> Result<(u64, u64), AdminError> {
    let f = std::fs::File::open(file)
        .map_err(|e| invalid(format!("cannot read {}: {e}", file.display())))?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(f));
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| invalid(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    if header != ["id", "name"] {
        return Err(invalid(format!(
            "the CSV header must be `id,name`, found `{}`",
            header.join(",")
        )));
    }
    // Validate everything first: a bad file changes nothing.
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| invalid(format!("line {}: {e}", i + 2)))?;
        let (id, name) = (rec.get(0).unwrap_or(""), rec.get(1).unwrap_or(""));
        validate_text("id", id, 64, true)
            .and_then(|_| validate_text("name", name, 300, true))
            .map_err(|e| invalid(format!("line {}: {e}", i + 2)))?;
        rows.push((id.to_string(), name.to_string()));
    }
    let store = open_store(config).await?;
    let (mut new, mut updated) = (0, 0);
    for (id, name) in rows {
        if store.upsert_instansi(&id, &name).await? {
            new += 1;
        } else {
            updated += 1;
        }
    }
    Ok((new, updated))
}

pub struct ClientAdd {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub first_party: bool,
    pub secret: Option<String>,
    pub grant_types: Vec<String>,
    pub id_token_alg: String,
    pub backchannel_logout_uri: Option<String>,
    pub allowed_roles: Vec<String>,
    /// Staff scopes the client may ask for (`--scope helpdesk`).
    pub allowed_scopes: Vec<String>,
    pub launcher_url: Option<String>,
}

/// Registers a client; returns the secret when one was generated (shown once, stored hashed).
pub async fn client_add(config: &Config, c: ClientAdd) -> Result<Option<String>, AdminError> {
    if let Some(s) = &c.secret {
        registry::check_secret(s)?;
    }
    let (secret, generated) = match c.secret {
        Some(s) => (s, None),
        None => {
            let s = random_token();
            (s.clone(), Some(s))
        }
    };
    let mut client = Client::new(&c.id, c.name.trim());
    client.secret_hash = sha256_hex(&secret);
    client.redirect_uris = c.redirect_uris;
    client.post_logout_redirect_uris = c.post_logout_redirect_uris;
    client.grant_types = c.grant_types;
    client.id_token_alg = c.id_token_alg;
    client.first_party = c.first_party;
    client.backchannel_logout_uri = c.backchannel_logout_uri;
    client.allowed_roles = c.allowed_roles;
    client.allowed_scopes = c.allowed_scopes;
    client.launcher_url = c.launcher_url;
    registry::validate(&client)?;
    let store = open_store(config).await?;
    match store.insert_client(&client, Clock::default().now()).await {
        Ok(()) => Ok(generated),
        Err(StoreError::Duplicate) => Err(invalid(format!(
            "a client with id {:?} already exists",
            c.id
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn client_list(config: &Config) -> Result<Vec<Client>, AdminError> {
    Ok(open_store(config).await?.list_clients().await?)
}

pub fn keys_rotate(config: &Config) -> Result<Vec<String>, AdminError> {
    let now = Clock::default().now();
    // Make sure a ring exists before rotating it (first use before any `serve`).
    KeyRing::load_or_generate(&config.keys_dir, now)
        .map_err(|e| AdminError::Failed(e.to_string()))?;
    // A client may have its own, longer access-token lifetime (up to a day).
    let max_ttl = config
        .access_token_ttl_secs
        .max(config.id_token_ttl_secs)
        .max(crate::registry::MAX_ACCESS_TTL);
    KeyRing::rotate(
        &config.keys_dir,
        now,
        config.key_publish_delay_secs,
        max_ttl,
    )
    .map_err(|e| AdminError::Failed(e.to_string()))
}

/// Reads one line (a password or secret) from stdin, without its line ending.
pub fn read_stdin_line() -> Result<String, AdminError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| invalid(format!("cannot read stdin: {e}")))?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    if line.is_empty() {
        return Err(invalid("nothing was given on stdin"));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(validate_email("siti.rahayu@bkn.go.id").is_ok());
        for bad in [
            "",
            "siti",
            "siti@",
            "@bkn.go.id",
            "siti@bkn",
            "si ti@bkn.go.id",
            "a@b@c.id",
            "a@.bkn.id",
            "a@bkn..id",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }
}

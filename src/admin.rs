//! Operator commands behind the CLI (`gerbang user|client|keys …`). Each validates all of its
//! input before writing anything, so a refused command changes nothing.

use std::io::BufRead;
use std::path::Path;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::role::Role;
use crate::domain::siasn::SiasnStatus;
use crate::domain::{nip, password_policy};
use crate::keys::KeyRing;
use crate::passwords::Hasher;
use crate::registry;
use crate::secrets::{random_token, sha256_hex};
use crate::store::clients::Client;
use crate::store::import::ImportRow;
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

/// The e-mail rule (`domain::email`), as the CLI reports it.
pub fn validate_email(s: &str) -> Result<(), AdminError> {
    if crate::domain::email::is_valid(s) {
        Ok(())
    } else {
        Err(invalid(format!("bad e-mail address {s:?}")))
    }
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

/// A refused password in words: the rule texts the new-password page shows (in English,
/// like every other CLI message), not the rules' names.
pub fn policy_refusal(failed: &[password_policy::Rule]) -> String {
    let words: Vec<&str> = failed
        .iter()
        .map(|r| crate::web::i18n::Lang::En.t(r.key()))
        .collect();
    format!("the password breaks the policy: {}", words.join(" "))
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
        // The same judgement as the pages', breach corpus included (an outage passes).
        let check = crate::breach::BreachCheck::new(config).map_err(invalid)?;
        let failed = check.judge(p, &u.nip, &u.name).await.rules;
        if !failed.is_empty() {
            return Err(invalid(policy_refusal(&failed)));
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
    /// People the import disabled: a state that is not active, or (full snapshot) absence.
    pub disabled: u64,
    /// Of `disabled`, those absent from a full snapshot.
    pub disabled_absent: u64,
    /// People an earlier import disabled whom SIASN now says are active again.
    pub enabled: u64,
    /// Back-channel logout deliveries queued for the running server to send.
    pub logouts_queued: u64,
    /// Addresses kept because SIASN still carries the value they replaced.
    pub email_conflicts: Vec<crate::store::import::EmailConflict>,
    /// Staff absent from a full snapshot: never disabled by absence, listed for a person to
    /// look at.
    pub staff_absent: Vec<String>,
    /// Staff the file lists as no longer active: never disabled by an import (a file could
    /// otherwise lock out the people who run the service), listed for a person to act on.
    pub staff_leaving: Vec<String>,
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

/// The optional column with SIASN's employment state (`domain::siasn`).
pub const STATUS_COLUMN: &str = "status";

/// `--max-disable`: how many people a full snapshot may disable before it refuses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxDisable {
    /// Of the people active before the import.
    Percent(f64),
    Count(u64),
}

impl Default for MaxDisable {
    fn default() -> Self {
        MaxDisable::Percent(1.0)
    }
}

impl std::str::FromStr for MaxDisable {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("--max-disable must be a count (500) or a percentage (1%), not {s:?}");
        match s.strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Ok(MaxDisable::Percent(p))
            }
            None => s.parse().map(MaxDisable::Count).map_err(|_| bad()),
        }
    }
}

impl MaxDisable {
    pub fn limit(self, active: u64) -> u64 {
        match self {
            MaxDisable::Count(n) => n,
            // Rounded up: a share of a small deployment still lets its one leaver go.
            MaxDisable::Percent(p) => (active as f64 * p / 100.0).ceil() as u64,
        }
    }
}

/// Options of `gerbang user import`.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Rows per transaction.
    pub batch: usize,
    /// The file lists everyone: disable the active people it does not list.
    pub full_snapshot: bool,
    pub max_disable: MaxDisable,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            batch: IMPORT_BATCH,
            full_snapshot: false,
            max_disable: MaxDisable::default(),
        }
    }
}

/// Where each column is in this file (found by header name).
#[derive(Debug, Clone, Copy)]
struct Columns {
    at: [usize; 6],
    status: Option<usize>,
    len: usize,
}

impl Columns {
    fn from_header(header: &[String]) -> Result<Self, AdminError> {
        let expected = || {
            invalid(format!(
                "the CSV header must name the columns `{}` (and optionally `{STATUS_COLUMN}`), found `{}`",
                IMPORT_HEADER.join(","),
                header.join(",")
            ))
        };
        let find = |name: &str| {
            let mut hits = header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.as_str() == name);
            match (hits.next(), hits.next()) {
                (Some((i, _)), None) => Ok(Some(i)),
                (None, _) => Ok(None),
                _ => Err(invalid(format!("the CSV header names `{name}` twice"))),
            }
        };
        let mut at = [0; 6];
        for (slot, name) in at.iter_mut().zip(IMPORT_HEADER) {
            *slot = find(name)?.ok_or_else(expected)?;
        }
        let status = find(STATUS_COLUMN)?;
        if header.len() != 6 + usize::from(status.is_some()) {
            return Err(expected());
        }
        Ok(Self {
            at,
            status,
            len: header.len(),
        })
    }
}

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

/// The import file opened: its reader, its columns, its size and the bytes read so far.
type OpenCsv = (
    csv::Reader<std::io::BufReader<Counting<std::fs::File>>>,
    Columns,
    u64,
    std::sync::Arc<std::sync::atomic::AtomicU64>,
);

fn open_csv(file: &Path) -> Result<OpenCsv, AdminError> {
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
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| invalid(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let cols = Columns::from_header(&header)?;
    Ok((rdr, cols, total, read))
}

/// What a full snapshot would disable, decided before anything is written.
struct DisablePlan {
    /// Empty unless the file is a full snapshot.
    absent: Vec<String>,
    staff_absent: Vec<String>,
    staff_leaving: Vec<String>,
}

/// Reads the file once to learn who is in it, and refuses when more people would be
/// disabled (listed with a state that is not active, or absent from a full snapshot) than
/// `max` allows: a wrong export must not end the access of thousands at once.
async fn plan_disables(
    store: &Store,
    file: &Path,
    max: MaxDisable,
    full_snapshot: bool,
) -> Result<DisablePlan, AdminError> {
    let (mut rdr, cols, _, _) = open_csv(file)?;
    // NIPs as numbers: 5.2 million of them in 42 MB rather than half a gigabyte of strings.
    let (mut listed, mut leaving) = (Vec::new(), Vec::new());
    // Bytes, not text: a name that is not UTF-8 makes its row a bad row in the import, and
    // must not end this count early (the rows after it would go uncounted).
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => continue,
        }
        // A row listed with a bad field (say, its e-mail) still names a person who is in
        // SIASN: only the NIP decides presence.
        let field = |i: usize| rec.get(i).and_then(|b| std::str::from_utf8(b).ok());
        let nip = field(cols.at[0]).unwrap_or_default();
        if nip.len() == 18
            && let Ok(n) = nip.parse::<u64>()
        {
            listed.push(n);
            let status = cols.status.and_then(field).and_then(SiasnStatus::parse);
            if status.is_some_and(|s| !s.is_active()) {
                leaving.push(n);
            }
        }
    }
    listed.sort_unstable();
    leaving.sort_unstable();
    let active = store.active_people().await?;
    let (mut absent, mut staff_absent, mut staff_leaving, mut by_status) =
        (Vec::new(), Vec::new(), Vec::new(), 0u64);
    for p in &active {
        let nip = p.nip.to_string();
        if listed.binary_search(&p.nip).is_err() {
            if !full_snapshot {
                continue;
            }
            if p.staff {
                staff_absent.push(nip);
            } else {
                absent.push(nip);
            }
        } else if leaving.binary_search(&p.nip).is_ok() {
            if p.staff {
                staff_leaving.push(nip);
            } else {
                by_status += 1;
            }
        }
    }
    let would = absent.len() as u64 + by_status;
    let limit = max.limit(active.len() as u64);
    if would > limit {
        return Err(invalid(format!(
            "refusing the import: it would disable {would} of {} active people \
             ({} absent from the file, {by_status} no longer active in it), more than \
             --max-disable allows ({limit}); nothing was changed",
            active.len(),
            absent.len()
        )));
    }
    Ok(DisablePlan {
        absent,
        staff_absent,
        staff_leaving,
    })
}

/// Imports the SIASN export: users without password until they activate. Streams the
/// file in batches of `batch` rows (one transaction each; COPY on PostgreSQL). Re-runnable:
/// rows upsert by NIP and never touch a password or MFA. A `status` column disables and
/// re-enables people (`store::lifecycle`). Bad rows are reported with their line number and
/// skipped.
pub async fn user_import(
    config: &Config,
    file: &Path,
    opts: ImportOptions,
) -> Result<ImportReport, AdminError> {
    let (mut rdr, cols, total, read) = open_csv(file)?;
    let store = open_store(config).await?;
    // Only a file that can disable anyone is read twice.
    let plan = match opts.full_snapshot || cols.status.is_some() {
        true => Some(plan_disables(&store, file, opts.max_disable, opts.full_snapshot).await?),
        false => None,
    };
    let mut importer =
        crate::store::import::Importer::open(store.clone(), &config.database_url).await?;
    let now = Clock::default().now();
    let batch = opts.batch.max(1);
    let mut report = ImportReport::default();
    let mut progress = Progress::new(total);
    let mut rows: Vec<ImportRow> = Vec::with_capacity(batch);
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
        match imported_row(&rec, &cols) {
            Ok(u) => rows.push(u),
            Err(why) => report.skipped.push((line, why)),
        }
        if rows.len() >= batch {
            flush(&store, &mut importer, &mut rows, now, &mut report).await?;
            progress.update(read.load(std::sync::atomic::Ordering::Relaxed), &report);
        }
    }
    flush(&store, &mut importer, &mut rows, now, &mut report).await?;
    if let Some(plan) = plan {
        for chunk in plan.absent.chunks(batch) {
            let a = store.disable_absent(chunk, now).await?;
            report.disabled += a.disabled;
            report.disabled_absent += a.disabled;
            report.logouts_queued += a.logouts_queued;
            store.audited_changes(&a.changes, now).await;
        }
        report.staff_absent = plan.staff_absent;
        report.staff_leaving = plan.staff_leaving;
    }
    progress.update(total, &report);
    progress.finish();
    Ok(report)
}

async fn flush(
    store: &Store,
    importer: &mut crate::store::import::Importer,
    rows: &mut Vec<ImportRow>,
    now: i64,
    report: &mut ImportReport,
) -> Result<(), AdminError> {
    let out = importer.upsert(rows, now).await?;
    report.inserted += out.inserted;
    report.updated += out.updated;
    report.disabled += out.disabled;
    report.enabled += out.enabled;
    report.logouts_queued += out.logouts_queued;
    report.email_conflicts.extend(out.conflicts);
    store.audited_changes(&out.changes, now).await;
    // A NIP repeated inside one batch is written once; count the repeats as unchanged.
    report.unchanged += rows.len() as u64 - out.inserted - out.updated;
    rows.clear();
    Ok(())
}

/// One CSV row as a person (and their state), or why it cannot be one.
fn imported_row(rec: &csv::StringRecord, cols: &Columns) -> Result<ImportRow, String> {
    if rec.len() != cols.len {
        return Err(format!("expected {} fields, found {}", cols.len, rec.len()));
    }
    let f = |i: usize| &rec[cols.at[i]];
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    validate_nip(f(0))
        .and_then(|_| validate_text("name", f(1), 200, true))
        .and_then(|_| validate_email(f(2)))
        .and_then(|_| validate_text("instansi_id", f(3), 64, false))
        .and_then(|_| validate_text("unit_kerja", f(4), 300, false))
        .and_then(|_| validate_text("jabatan", f(5), 300, false))
        .map_err(|e| e.to_string())?;
    let status = match cols.status {
        Some(i) => Some(SiasnStatus::parse(&rec[i]).ok_or_else(|| {
            format!(
                "unknown status {:?}: use a SIASN state such as aktif, mpp, tugas belajar, \
                 pensiun, diberhentikan, meninggal dunia or cltn",
                &rec[i]
            )
        })?),
        None => None,
    };
    Ok(ImportRow {
        user: NewUser {
            nip: f(0).to_string(),
            name: f(1).to_string(),
            email: f(2).to_string(),
            instansi_id: opt(f(3)),
            unit_kerja: opt(f(4)),
            jabatan: opt(f(5)),
            password_hash: None,
        },
        status,
    })
}

/// Validates a grant or revocation: `helpdesk` needs one or more agencies, `admin` none.
async fn role_target(
    store: &Store,
    nip: &str,
    role: &str,
    instansi: &[String],
) -> Result<(String, Role, Vec<String>), AdminError> {
    validate_nip(nip)?;
    let Some(role) = Role::parse(role) else {
        return Err(invalid(format!(
            "unknown role {role:?}: use helpdesk or admin"
        )));
    };
    let scopes = match (role, instansi.is_empty()) {
        (Role::Admin, true) => vec![String::new()],
        (Role::Admin, false) => {
            return Err(invalid("admin covers every agency: give no --instansi"));
        }
        (Role::Helpdesk, true) => {
            return Err(invalid("a helpdesk role needs --instansi ID (repeatable)"));
        }
        (Role::Helpdesk, false) => instansi.to_vec(),
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
    Ok((user.id, role, scopes))
}

pub async fn role_grant(
    config: &Config,
    nip: &str,
    role: &str,
    instansi: &[String],
) -> Result<(), AdminError> {
    let store = open_store(config).await?;
    let (user_id, role, scopes) = role_target(&store, nip, role, instansi).await?;
    for i in &scopes {
        store.grant_role(&user_id, role.as_str(), i).await?;
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
    let (user_id, role, scopes) = role_target(&store, nip, role, instansi).await?;
    let mut any = false;
    let now = Clock::default().now();
    for i in &scopes {
        any |= store.revoke_role(&user_id, role.as_str(), i, now).await?;
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
    /// OIDC Front-Channel Logout 1.0 (`--frontchannel-logout-uri`); `iss` and `sid` go with it.
    pub frontchannel_logout_uri: Option<String>,
    pub allowed_roles: Vec<String>,
    /// Staff scopes the client may ask for (`--scope helpdesk`).
    pub allowed_scopes: Vec<String>,
    pub launcher_url: Option<String>,
    /// A browser or native app with no secret (`--public`).
    pub public: bool,
    /// Browser origins allowed by CORS (`--web-origin`).
    pub web_origins: Vec<String>,
    /// A public client's grants may carry `offline_access` (`--allow-offline-access`).
    pub allow_offline_access: bool,
}

/// Registers a client; returns the secret when one was generated (shown once, stored hashed).
/// A public client gets none.
pub async fn client_add(config: &Config, c: ClientAdd) -> Result<Option<String>, AdminError> {
    if c.public && c.secret.is_some() {
        return Err(invalid(
            "a public client (--public) has no secret: leave out --secret-stdin",
        ));
    }
    if let Some(s) = &c.secret {
        registry::check_secret(s)?;
    }
    let (secret_hash, generated) = match c.secret {
        _ if c.public => (String::new(), None),
        Some(s) => (sha256_hex(&s), None),
        None => {
            let s = random_token();
            (sha256_hex(&s), Some(s))
        }
    };
    let mut client = Client::new(&c.id, c.name.trim());
    client.secret_hash = secret_hash;
    if c.public {
        client.auth_method = crate::store::clients::AuthMethod::None;
    }
    client.web_origins = c.web_origins;
    client.allow_offline_access = c.allow_offline_access;
    client.redirect_uris = c.redirect_uris;
    client.post_logout_redirect_uris = c.post_logout_redirect_uris;
    client.grant_types = c.grant_types;
    client.id_token_alg = c.id_token_alg;
    client.first_party = c.first_party;
    client.backchannel_logout_uri = c.backchannel_logout_uri;
    client.frontchannel_logout_uri = c.frontchannel_logout_uri;
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
    fn max_disable_is_a_count_or_a_share() {
        assert_eq!("500".parse(), Ok(MaxDisable::Count(500)));
        assert_eq!(" 1% ".parse(), Ok(MaxDisable::Percent(1.0)));
        assert_eq!(
            "0.5%".parse::<MaxDisable>().unwrap().limit(5_200_000),
            26_000
        );
        assert_eq!(MaxDisable::default().limit(5_200_000), 52_000);
        assert_eq!(MaxDisable::default().limit(99), 1);
        assert_eq!(MaxDisable::default().limit(0), 0);
        for bad in ["", "-1", "1.5", "101%", "x%", "%"] {
            assert!(bad.parse::<MaxDisable>().is_err(), "{bad}");
        }
    }

    #[test]
    fn columns_are_found_by_name() {
        let h = |s: &str| s.split(',').map(String::from).collect::<Vec<_>>();
        let c = Columns::from_header(&h("nip,name,email,instansi_id,unit_kerja,jabatan")).unwrap();
        assert_eq!((c.status, c.len), (None, 6));
        let c = Columns::from_header(&h("status,nip,name,email,instansi_id,unit_kerja,jabatan"))
            .unwrap();
        assert_eq!((c.status, c.at[0], c.len), (Some(0), 1, 7));
        for bad in [
            "nip,name,email,instansi_id,unit_kerja",
            "nip,name,email,instansi_id,unit_kerja,jabatan,golongan",
            "nip,name,email,instansi_id,unit_kerja,jabatan,status,status",
        ] {
            assert!(Columns::from_header(&h(bad)).is_err(), "{bad}");
        }
    }
}

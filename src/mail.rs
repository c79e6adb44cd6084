//! Sending mail: lettre over SMTP when `smtp_url` is set, otherwise `.eml` files under
//! `data/outbox/` (the embedded default). Everything goes through the durable outbox
//! (`store::outbox`); the worker here drains it with retry and exponential backoff.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::config::Config;
use crate::error::Outage;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::outbox::Mail;
use crate::web::i18n::Lang;

/// After this many attempts (about a day of backoff) a message is left for an operator.
const MAX_ATTEMPTS: i64 = 16;
/// Messages in flight at once (lettre's pool keeps up to 10 connections).
const SEND_CONCURRENCY: i64 = 8;
/// lettre's own timeout covers only connecting; a server that stalls mid-conversation would
/// hang the send forever (lettre#1027), so every send is bounded here.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// Poked after an enqueue so mail leaves at once instead of at the next poll.
    pub wake: Arc<Notify>,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Our own writer rather than lettre's file transport: that one creates the file and
    /// then fills it, so a reader (a developer's mail viewer, a test) can open it empty.
    Files(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail configuration: {0}")]
    Config(String),
    #[error("building the message: {0}")]
    Build(String),
    #[error("sending: {0}")]
    Send(String),
}

impl Mailer {
    pub fn from_config(c: &Config) -> Result<Self, MailError> {
        let from: Mailbox = c
            .mail_from
            .parse()
            .map_err(|e| MailError::Config(format!("mail_from {:?}: {e}", c.mail_from)))?;
        let transport = match &c.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Config(format!("smtp_url: {e}")))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => {
                let dir = c.data_dir.join("outbox");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| MailError::Config(format!("{}: {e}", dir.display())))?;
                // Reset codes sit in these files: the folder is Gerbang's alone.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                        .map_err(|e| MailError::Config(format!("{}: {e}", dir.display())))?;
                }
                tracing::info!(dir = %dir.display(), "no smtp_url set: mail is written as .eml files");
                Transport::Files(dir)
            }
        };
        Ok(Self {
            transport,
            from,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Sends one outbox message. Its Message-ID derives from the outbox row, so a message
    /// sent twice (a crash between sending and marking it sent) is recognisably one.
    pub async fn send(&self, m: &Mail, outbox_id: &str) -> Result<(), MailError> {
        let to: Mailbox = m.to.parse().map_err(|e| MailError::Build(format!("{e}")))?;
        let msg = Message::builder()
            .message_id(Some(format!("<{outbox_id}@{}>", self.from.email.domain())))
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        let sent = async {
            match &self.transport {
                Transport::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| e.to_string()),
                Transport::Files(dir) => write_eml(dir, outbox_id, &msg.formatted())
                    .await
                    .map_err(|e| e.to_string()),
            }
        };
        match tokio::time::timeout(SEND_TIMEOUT, sent).await {
            Ok(r) => r.map_err(MailError::Send),
            Err(_) => Err(MailError::Send("timed out".into())),
        }
    }
}

/// Writes `<outbox id>.eml` whole or not at all (a hidden temporary file renamed into
/// place), so the file is never seen half-written and a message sent twice is one file.
async fn write_eml(dir: &std::path::Path, outbox_id: &str, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let tmp = dir.join(format!(".{outbox_id}.eml.tmp"));
    // 0600 from the start: the message may carry a reset code.
    let mut opts = tokio::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(&tmp).await?;
    #[cfg(unix)]
    {
        // A temporary file left by a crash keeps its old mode when reopened.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .await?;
    }
    f.write_all(bytes).await?;
    f.flush().await?;
    drop(f);
    tokio::fs::rename(&tmp, dir.join(format!("{outbox_id}.eml"))).await
}

/// Seconds before the next try after `attempts` failures: 30 s, 1 min, 2 min, … up to 1 h.
pub fn backoff(attempts: i64) -> i64 {
    (30i64 << attempts.clamp(0, 7)).min(3600)
}

/// Drains the outbox until the process ends.
pub async fn run_worker(state: AppState) {
    loop {
        let sent = drain_once(&state).await;
        if sent == 0 {
            tokio::select! {
                _ = state.mailer.wake.notified() => {},
                _ = tokio::time::sleep(Duration::from_secs(2)) => {},
            }
        }
    }
}

async fn drain_once(state: &AppState) -> usize {
    let now = state.clock.now();
    let batch = match state.store.claim_mail(now, SEND_CONCURRENCY).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the mail outbox");
            return 0;
        }
    };
    let n = batch.len();
    // A batch goes out in parallel: SMTP is round-trip bound, and the pool reuses connections.
    let mut sending = tokio::task::JoinSet::new();
    for q in batch {
        let state = state.clone();
        sending.spawn(async move { deliver(&state, q).await });
    }
    while sending.join_next().await.is_some() {}
    n
}

/// Records a sent message, retrying while the database is away: the claim's lease (2 min)
/// outlives these tries, so a database restart right after a send does not lead to the
/// message being sent a second time (found by the PostgreSQL drill, `bench/drill.sh`).
async fn mark_sent(state: &AppState, id: &str, now: i64) -> Result<(), StoreError> {
    let mut tries = 0;
    loop {
        match state.store.mark_mail_sent(id, now).await {
            Err(e) if tries < 90 && e.is_outage() => {
                tries += 1;
                tracing::warn!(id, error = %e, "cannot record a sent mail yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            other => return other,
        }
    }
}

async fn deliver(state: &AppState, q: crate::store::outbox::QueuedMail) {
    let result = state.mailer.send(&q.mail, &q.id).await;
    let now = state.clock.now();
    let marked = match &result {
        Ok(()) => mark_sent(state, &q.id, now).await,
        Err(e) => {
            let retry_at = if q.attempts >= MAX_ATTEMPTS {
                crate::store::outbox::GIVEN_UP
            } else {
                now + backoff(q.attempts)
            };
            tracing::warn!(id = %q.id, attempts = q.attempts, error = %e, "mail not sent; will retry");
            state
                .store
                .mark_mail_failed(&q.id, &e.to_string(), retry_at)
                .await
        }
    };
    if let Err(e) = marked {
        tracing::error!(id = %q.id, error = %e, "cannot record the mail's fate; it may be sent again");
    }
}

/// The e-mails Gerbang writes, in the reader's language.
pub mod compose {
    use super::*;

    fn footer(lang: Lang) -> &'static str {
        match lang {
            Lang::Id => {
                "\n\nJika Anda tidak merasa melakukan ini, segera hubungi helpdesk BKPSDM instansi Anda.\n\n-- \nGerbang ASN (e-mail otomatis, mohon tidak dibalas)\n"
            }
            Lang::En => {
                "\n\nIf this was not you, contact your agency's BKPSDM helpdesk at once.\n\n-- \nGerbang ASN (automatic e-mail, please do not reply)\n"
            }
        }
    }

    pub fn reset_code(
        lang: Lang,
        to: &str,
        name: &str,
        code: &str,
        link: &str,
        minutes: i64,
    ) -> Mail {
        let (subject, body) = match lang {
            Lang::Id => (
                "Kode aktivasi / reset kata sandi Gerbang ASN".to_string(),
                format!(
                    "Yth. {name},\n\nKode Anda: {code}\n\nMasukkan kode ini pada halaman atur ulang kata sandi, atau buka tautan berikut:\n{link}\n\nKode berlaku {minutes} menit dan hanya dapat dipakai sekali. Jangan berikan kode ini kepada siapa pun, termasuk petugas."
                ),
            ),
            Lang::En => (
                "Gerbang ASN activation / password reset code".to_string(),
                format!(
                    "Dear {name},\n\nYour code: {code}\n\nEnter it on the password reset page, or open this link:\n{link}\n\nThe code is valid for {minutes} minutes and works once. Never give it to anyone, staff included."
                ),
            ),
        };
        Mail {
            to: to.into(),
            subject,
            body: body + footer(lang),
        }
    }

    pub fn device_added(lang: Lang, to: &str, name: &str, device: &str, when: &str) -> Mail {
        let (subject, body) = match lang {
            Lang::Id => (
                "Perangkat autentikator baru pada akun Gerbang ASN Anda".to_string(),
                format!(
                    "Yth. {name},\n\nPerangkat autentikator \"{device}\" ditambahkan ke akun Gerbang ASN Anda pada {when}."
                ),
            ),
            Lang::En => (
                "New authenticator on your Gerbang ASN account".to_string(),
                format!(
                    "Dear {name},\n\nThe authenticator \"{device}\" was added to your Gerbang ASN account on {when}."
                ),
            ),
        };
        Mail {
            to: to.into(),
            subject,
            body: body + footer(lang),
        }
    }

    pub fn device_changed(lang: Lang, to: &str, name: &str, device: &str, when: &str) -> Mail {
        let (subject, body) = match lang {
            Lang::Id => (
                "Perangkat autentikator Anda diubah".to_string(),
                format!(
                    "Yth. {name},\n\nNama perangkat autentikator pada akun Gerbang ASN Anda diubah menjadi \"{device}\" pada {when}."
                ),
            ),
            Lang::En => (
                "Your authenticator was renamed".to_string(),
                format!(
                    "Dear {name},\n\nAn authenticator on your Gerbang ASN account was renamed to \"{device}\" on {when}."
                ),
            ),
        };
        Mail {
            to: to.into(),
            subject,
            body: body + footer(lang),
        }
    }

    pub fn device_removed(lang: Lang, to: &str, name: &str, device: &str, when: &str) -> Mail {
        let (subject, body) = match lang {
            Lang::Id => (
                "Perangkat autentikator dihapus dari akun Anda".to_string(),
                format!(
                    "Yth. {name},\n\nPerangkat autentikator \"{device}\" dihapus dari akun Gerbang ASN Anda pada {when}."
                ),
            ),
            Lang::En => (
                "An authenticator was removed from your account".to_string(),
                format!(
                    "Dear {name},\n\nThe authenticator \"{device}\" was removed from your Gerbang ASN account on {when}."
                ),
            ),
        };
        Mail {
            to: to.into(),
            subject,
            body: body + footer(lang),
        }
    }

    /// Tells a person what their agency's helpdesk did to their account.
    pub fn helpdesk_action(
        lang: Lang,
        to: &str,
        name: &str,
        what: &str,
        agency: &str,
        when: &str,
    ) -> Mail {
        let (subject, body) = match lang {
            Lang::Id => (
                "Perubahan akun Gerbang ASN oleh helpdesk".to_string(),
                format!(
                    "Yth. {name},\n\nHelpdesk BKPSDM {agency} melakukan tindakan berikut pada akun Gerbang ASN Anda pada {when}:\n{what}"
                ),
            ),
            Lang::En => (
                "Your Gerbang ASN account was changed by the helpdesk".to_string(),
                format!(
                    "Dear {name},\n\nThe BKPSDM helpdesk of {agency} did the following to your Gerbang ASN account on {when}:\n{what}"
                ),
            ),
        };
        Mail {
            to: to.into(),
            subject,
            body: body + footer(lang),
        }
    }

    pub fn recovery_code_used(lang: Lang, to: &str, name: &str, left: i64, when: &str) -> Mail {
        let (subject, body) = match lang {
            Lang::Id => (
                "Kode pemulihan Gerbang ASN Anda dipakai".to_string(),
                format!(
                    "Yth. {name},\n\nSebuah kode pemulihan dipakai untuk masuk ke akun Gerbang ASN Anda pada {when}. Sisa kode: {left}.\nJika ponsel Anda hilang atau diganti, daftarkan perangkat autentikator baru di halaman Akun."
                ),
            ),
            Lang::En => (
                "A Gerbang ASN recovery code was used".to_string(),
                format!(
                    "Dear {name},\n\nA recovery code was used to sign in to your Gerbang ASN account on {when}. Codes left: {left}.\nIf your phone was lost or replaced, add a new authenticator on the Account page."
                ),
            ),
        };
        Mail {
            to: to.into(),
            subject,
            body: body + footer(lang),
        }
    }

    pub fn password_changed(lang: Lang, to: &str, name: &str, when: &str) -> Mail {
        let (subject, body) = match lang {
            Lang::Id => (
                "Kata sandi Gerbang ASN Anda telah diubah".to_string(),
                format!(
                    "Yth. {name},\n\nKata sandi akun Gerbang ASN Anda telah diubah pada {when}. Semua sesi yang aktif telah diakhiri."
                ),
            ),
            Lang::En => (
                "Your Gerbang ASN password was changed".to_string(),
                format!(
                    "Dear {name},\n\nYour Gerbang ASN password was changed on {when}. Every active session has been ended."
                ),
            ),
        };
        Mail {
            to: to.into(),
            subject,
            body: body + footer(lang),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_then_caps() {
        let got: Vec<i64> = (0..10).map(super::backoff).collect();
        assert_eq!(
            got,
            vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
        );
    }
}

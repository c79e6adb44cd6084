//! Sending mail: lettre over SMTP when `smtp_url` is set, otherwise `.eml` files under
//! `data/outbox/` (the embedded default). Everything goes through the durable outbox
//! (`store::outbox`); `worker` drains it with retry and exponential backoff.

pub mod compose;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::config::Config;
use crate::store::outbox::Mail;

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
                // Reset codes sit in these files: the folder (and `data/`, when it is made
                // here) is Gerbang's alone, whatever the umask.
                crate::private_fs::create_dir(&dir)
                    .map_err(|e| MailError::Config(format!("{}: {e}", dir.display())))?;
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

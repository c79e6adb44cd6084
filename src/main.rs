//! `gerbang`: the CLI. Parses arguments and calls into the library; nothing else lives here.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use gerbang::admin::{self, AdminError};
use gerbang::config::{Config, LogFormat};

// glibc's malloc and free took ~11% of Gerbang's CPU on the refresh path (perf, issue 9).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gerbang",
    version,
    about = "OpenID Connect provider and SSO gateway for ASN"
)]
struct Cli {
    /// Config file (TOML). Default: ./gerbang.toml when present. GERBANG_* env vars override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the identity provider.
    Serve,
    /// Manage people.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage downstream services (OIDC clients).
    #[command(subcommand)]
    Client(ClientCmd),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Manage helpdesk and admin roles.
    #[command(subcommand)]
    Role(RoleCmd),
    /// Manage agencies (instansi).
    #[command(subcommand)]
    Instansi(InstansiCmd),
    /// Manage what new passwords are checked against.
    #[command(subcommand)]
    Passwords(PasswordsCmd),
}

#[derive(Subcommand)]
enum PasswordsCmd {
    /// Load Have I Been Pwned's Pwned Passwords (SHA-1, `HASH:COUNT` lines; `-` reads
    /// stdin) as the offline breach corpus under data_dir/breached, replacing the one there
    /// once the whole file is read. Streams any size; the download ordered by hash loads in
    /// one pass. Running servers use the new corpus at once.
    LoadBreached { file: PathBuf },
}

#[derive(Subcommand)]
enum RoleCmd {
    /// Grant `helpdesk` for one or more agencies, or `admin` for all.
    Grant(RoleArgs),
    /// Take a role (or some of its agencies) away.
    Revoke(RoleArgs),
    /// List every grant.
    List,
}

#[derive(Args)]
struct RoleArgs {
    #[arg(long)]
    nip: String,
    #[arg(long)]
    role: String,
    /// Agency id (repeatable); required for helpdesk, not allowed for admin.
    #[arg(long)]
    instansi: Vec<String>,
}

#[derive(Subcommand)]
enum InstansiCmd {
    /// Import agencies (header id,name); re-runnable.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add one person.
    Add {
        #[arg(long)]
        nip: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        instansi: Option<String>,
        /// Read an initial password from stdin (otherwise the person activates by e-mail).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Import the SIASN export (header nip,name,email,instansi_id,unit_kerja,jabatan and an
    /// optional status). Streams any size; re-runnable; bad rows are reported by line and
    /// skipped. A status that is not active disables the person.
    Import {
        file: PathBuf,
        /// Rows per transaction.
        #[arg(long, default_value_t = admin::IMPORT_BATCH)]
        batch: usize,
        /// The file lists every civil servant: disable the active people it does not list
        /// (staff excepted).
        #[arg(long)]
        full_snapshot: bool,
        /// Refuse, changing nothing, when more people would be disabled (by a `status`
        /// column, or absent from a --full-snapshot) than this count (500) or share of the
        /// active people (1%).
        #[arg(long, default_value = "1%")]
        max_disable: admin::MaxDisable,
    },
}

#[derive(Subcommand)]
enum ClientCmd {
    /// Register a service. Prints the generated secret once when none is given.
    Add(Box<ClientAddArgs>),
    /// List registered services.
    List,
}

#[derive(Args)]
struct ClientAddArgs {
    #[arg(long)]
    id: String,
    #[arg(long)]
    name: String,
    #[arg(long = "redirect-uri", required = true)]
    redirect_uri: Vec<String>,
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uri: Vec<String>,
    /// A service of the government itself: no consent page.
    #[arg(long)]
    first_party: bool,
    /// Read the client secret from stdin (at least 32 characters).
    #[arg(long)]
    secret_stdin: bool,
    /// Grant types allowed (repeatable).
    #[arg(long = "grant-type", default_values = ["authorization_code", "refresh_token"])]
    grant_type: Vec<String>,
    /// ID token signature algorithm: ES256 (default) or RS256.
    #[arg(long, default_value = "ES256")]
    id_token_alg: String,
    /// Where the service receives OpenID Connect back-channel logout tokens.
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// Where the logout page loads the service in a hidden frame (OpenID Connect
    /// Front-Channel Logout, with `iss` and `sid`): for services that cannot receive a
    /// back-channel POST. https, or http on loopback.
    #[arg(long)]
    frontchannel_logout_uri: Option<String>,
    /// Only people holding one of these roles may sign in to the service (repeatable).
    #[arg(long = "allowed-role")]
    allowed_role: Vec<String>,
    /// A staff scope the service may ask for, e.g. `helpdesk` for an agency's helpdesk tool
    /// (repeatable). The standard scopes (openid, profile, email, offline_access) are every
    /// service's.
    #[arg(long = "scope")]
    scope: Vec<String>,
    /// The service's start page, listed on the launcher.
    #[arg(long)]
    launcher_url: Option<String>,
    /// A browser (single-page) or native app that cannot keep a secret: no secret is made,
    /// PKCE S256 is required, redirect URIs follow RFC 8252 (https, http://127.0.0.1 or
    /// http://[::1] on any port, or a reverse-domain scheme such as id.go.bkn.mobile:/cb).
    #[arg(long, conflicts_with = "secret_stdin")]
    public: bool,
    /// A browser origin (scheme://host[:port]) whose scripts may call /token, /revoke,
    /// /userinfo, discovery and JWKS (CORS); repeatable, or several after one flag.
    #[arg(long = "web-origin", num_args = 1..)]
    web_origin: Vec<String>,
    /// Let this public client's grants carry offline_access (a refresh token that outlives
    /// the sign-in); without it the scope is dropped.
    #[arg(long)]
    allow_offline_access: bool,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Add new signing keys: published now, signing after the publish delay.
    Rotate,
    /// Create the key ring if there is none (run once before replicas that share it start).
    Init,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GERBANG_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        // One JSON object per line with the request span (its request_id) on every line.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => logs.init(),
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let done = rt.block_on(async {
        let done = run(cli.command, config).await;
        // The command's stores are gone: let their audit lines out before the runtime ends.
        gerbang::ops::audit_sink::finish(std::time::Duration::from_secs(10)).await;
        done
    });
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(AdminError::Invalid(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(AdminError::Failed(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cmd: Command, config: Config) -> Result<(), AdminError> {
    match cmd {
        Command::Serve => gerbang::server::serve(config)
            .await
            .map_err(|e| AdminError::Failed(e.to_string())),
        Command::User(UserCmd::Add {
            nip,
            name,
            email,
            instansi,
            password_stdin,
        }) => {
            let password = if password_stdin {
                Some(admin::read_stdin_line()?)
            } else {
                None
            };
            let id = admin::user_add(
                &config,
                admin::UserAdd {
                    nip: nip.clone(),
                    name,
                    email,
                    instansi,
                    password,
                },
            )
            .await?;
            println!("added user {nip} (sub {id})");
            Ok(())
        }
        Command::User(UserCmd::Import {
            file,
            batch,
            full_snapshot,
            max_disable,
        }) => {
            let opts = admin::ImportOptions {
                batch,
                full_snapshot,
                max_disable,
            };
            let r = admin::user_import(&config, &file, opts).await?;
            for (line, why) in &r.skipped {
                eprintln!("line {line}: skipped: {why}");
            }
            for c in &r.email_conflicts {
                eprintln!(
                    "e-mail conflict: NIP {}: kept {} (changed by the helpdesk or proved by the person); SIASN still says {}",
                    c.nip, c.stored, c.siasn
                );
            }
            for nip in &r.staff_absent {
                eprintln!("staff absent from the snapshot, not disabled: NIP {nip}");
            }
            for nip in &r.staff_leaving {
                eprintln!(
                    "staff listed as no longer active, not disabled (withdraw their role first): NIP {nip}"
                );
            }
            println!(
                "imported: {} new, {} changed, {} unchanged, {} disabled ({} absent from the snapshot), {} enabled, {} bad rows, {} e-mail conflicts, {} back-channel logouts queued",
                r.inserted,
                r.updated,
                r.unchanged,
                r.disabled,
                r.disabled_absent,
                r.enabled,
                r.skipped.len(),
                r.email_conflicts.len(),
                r.logouts_queued
            );
            Ok(())
        }
        Command::Client(ClientCmd::Add(a)) => {
            let secret = if a.secret_stdin {
                Some(admin::read_stdin_line()?)
            } else {
                None
            };
            let generated = admin::client_add(
                &config,
                admin::ClientAdd {
                    id: a.id.clone(),
                    name: a.name,
                    redirect_uris: a.redirect_uri,
                    post_logout_redirect_uris: a.post_logout_redirect_uri,
                    first_party: a.first_party,
                    secret,
                    grant_types: a.grant_type,
                    id_token_alg: a.id_token_alg,
                    backchannel_logout_uri: a.backchannel_logout_uri,
                    frontchannel_logout_uri: a.frontchannel_logout_uri,
                    allowed_roles: a.allowed_role,
                    allowed_scopes: a.scope,
                    launcher_url: a.launcher_url,
                    public: a.public,
                    web_origins: a.web_origin,
                    allow_offline_access: a.allow_offline_access,
                },
            )
            .await?;
            println!(
                "added {}client {}",
                if a.public { "public " } else { "" },
                a.id
            );
            if let Some(s) = generated {
                println!("client_secret: {s}");
                println!("(shown once; only its hash is stored)");
            }
            Ok(())
        }
        Command::Client(ClientCmd::List) => {
            for c in admin::client_list(&config).await? {
                println!(
                    "{}\t{}\t{}\t{}{}{}{}{}{}",
                    c.id,
                    c.name,
                    c.redirect_uris.join(","),
                    c.grant_types.join(","),
                    if c.first_party { "\tfirst-party" } else { "" },
                    if c.allowed_scopes.is_empty() {
                        String::new()
                    } else {
                        format!("\tscopes={}", c.allowed_scopes.join(","))
                    },
                    match (c.is_public(), c.allow_offline_access) {
                        (true, true) => "\tpublic\toffline_access",
                        (true, false) => "\tpublic",
                        _ => "",
                    },
                    if c.web_origins.is_empty() {
                        String::new()
                    } else {
                        format!("\tweb_origins={}", c.web_origins.join(","))
                    },
                    c.frontchannel_logout_uri
                        .as_ref()
                        .map(|u| format!("\tfrontchannel={u}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Role(RoleCmd::Grant(a)) => {
            admin::role_grant(&config, &a.nip, &a.role, &a.instansi).await?;
            println!("granted {} to {}", a.role, a.nip);
            Ok(())
        }
        Command::Role(RoleCmd::Revoke(a)) => {
            admin::role_revoke(&config, &a.nip, &a.role, &a.instansi).await?;
            println!("revoked {} from {}", a.role, a.nip);
            Ok(())
        }
        Command::Role(RoleCmd::List) => {
            for g in admin::role_list(&config).await? {
                let scope = if g.instansi_id.is_empty() {
                    "*"
                } else {
                    g.instansi_id.as_str()
                };
                println!("{}\t{}\t{}\t{}", g.nip, g.name, g.role, scope);
            }
            Ok(())
        }
        Command::Passwords(PasswordsCmd::LoadBreached { file }) => {
            let dir = gerbang::breach::offline_dir(&config);
            let loaded =
                tokio::task::spawn_blocking(move || gerbang::breach::load_file(&config, &file))
                    .await
                    .map_err(|e| AdminError::Failed(e.to_string()))?
                    .map_err(|e| match e {
                        gerbang::breach::offline::LoadError::Io(e) => {
                            AdminError::Failed(format!("cannot load the breach corpus: {e}"))
                        }
                        e => AdminError::Invalid(format!("{e}; the corpus was not changed")),
                    })?;
            println!(
                "breach corpus loaded into {}: {} hashes in {} prefixes ({} lines with count 0 skipped)",
                dir.display(),
                loaded.hashes,
                loaded.prefixes,
                loaded.zero_counts
            );
            Ok(())
        }
        Command::Instansi(InstansiCmd::Import { file }) => {
            let (new, updated) = admin::instansi_import(&config, &file).await?;
            println!("instansi: {new} new, {updated} updated");
            Ok(())
        }
        Command::Keys(KeysCmd::Init) => {
            let ring = gerbang::keys::KeyRing::load_or_generate(
                &config.keys_dir,
                gerbang::clock::Clock::default().now(),
            )
            .map_err(|e| AdminError::Failed(e.to_string()))?;
            println!(
                "key ring ready in {}: {} keys",
                config.keys_dir.display(),
                ring.kids().count()
            );
            Ok(())
        }
        Command::Keys(KeysCmd::Rotate) => {
            let kids = admin::keys_rotate(&config)?;
            println!(
                "published {} new keys; they sign after {} s: {}",
                kids.len(),
                config.key_publish_delay_secs,
                kids.join(", ")
            );
            Ok(())
        }
    }
}

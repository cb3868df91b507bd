//! `deliverdesk`: the support desk's server and its offline tools.

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::domain::spam::Threshold;
use server::storage::{Db, DEFAULT_DATABASE_URL};
use std::net::SocketAddr;
use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "deliverdesk",
    version,
    about = "Deliverability and spam control for support desks"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Log lines as text or as JSON objects (one per line), on stderr.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. SQLite files are created.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Address to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Also receive mail over SMTP on this address (e.g. 127.0.0.1:2525), for the accounts'
    /// inbound addresses only.
    #[arg(long, env = "SMTP_ADDR")]
    smtp: Option<SocketAddr>,
    /// The deployment's shared SMTP relay (HOST:PORT): every account may choose it for a
    /// sender address without seeing its settings; its refusals, and notices to its VERP
    /// return paths, suppress an address for every account.
    #[arg(long, env = "SHARED_RELAY")]
    shared_relay: Option<String>,
    /// none, starttls or tls.
    #[arg(long, env = "SHARED_RELAY_SECURITY", default_value = "starttls")]
    shared_relay_security: String,
    /// USER:PASSWORD for the shared relay (better given in the environment).
    #[arg(long, env = "SHARED_RELAY_LOGIN", hide_env_values = true)]
    shared_relay_login: Option<String>,
    /// Instead of a relay: the shared Postmark-compatible API's base URL.
    #[arg(long, env = "SHARED_API_URL", conflicts_with = "shared_relay")]
    shared_api_url: Option<String>,
    /// The shared API's server token (better given in the environment).
    #[arg(long, env = "SHARED_API_TOKEN", hide_env_values = true)]
    shared_api_token: Option<String>,
    /// DNS block lists for inbound mail, e.g. "ip:zen.spamhaus.org,domain:dbl.spamhaus.org"
    /// (`ip:` lists get the SMTP client's address, `domain:` lists the sender, Reply-To and
    /// link domains; `=POINTS` after a zone sets its points). Off when empty. Mind each
    /// list's terms of use (README).
    #[arg(long, env = "DNSBL_ZONES", default_value = "", value_parser = parse_dnsbl)]
    dnsbl: server::domain::spam::dnsbl::DnsblConfig,
    /// Everything else the operator sets (public URL, TLS files, keys …), read once here.
    #[command(flatten)]
    config: server::config::Config,
}

// Parsed once at start: the size of the `serve` variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default when no command is given).
    Serve(ServeArgs),
    /// Create or migrate the database, then exit.
    Migrate {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Classify bounces, complaints and auto-replies (files or folders of .eml): one JSON line
    /// per recipient: {"file","category","reason","status","reply_code","recipient","diagnostic","rule"}.
    ClassifyBounce {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Accuracy of the bounce classifier on labelled corpora (labels.tsv + eml/ each):
    /// agreement, false hard bounces, confusion matrix and every miss, per corpus.
    BounceReport {
        #[arg(default_value = "../shared/corpora/bounces")]
        corpus_dirs: Vec<PathBuf>,
        /// Print the figures only (no confusion matrix, no misses).
        #[arg(long)]
        summary: bool,
    },
    /// Whether verdicts survive rewriting each notice in ways that keep its meaning (line
    /// ends, field-name case, folding, recipient names, base64 text, MIME boundaries): per
    /// rewrite, the files it applied to and those whose verdicts changed.
    BounceVariants {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print each change (the verdicts before and after).
        #[arg(long)]
        details: bool,
        /// Write each rewrite that moved a verdict into this folder.
        #[arg(long)]
        write: Option<PathBuf>,
    },
    /// Create an account with its first admin (password printed once).
    CreateAccount {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        /// An address the account receives mail at (SMTP listener, inbound).
        #[arg(long)]
        inbound_address: Option<String>,
    },
    /// Add an agent or admin to an account (password printed once).
    AddUser {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
        #[arg(long)]
        account_id: server::domain::suppression::AccountId,
        #[arg(long)]
        email: String,
        /// agent or admin
        #[arg(long, default_value = "agent")]
        role: String,
    },
    /// Create an account's webhook credential for HTTP Basic (secret printed once).
    WebhookCredential {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
        #[arg(long)]
        account_id: server::domain::suppression::AccountId,
        #[arg(long)]
        username: String,
        /// Mailgun's webhook signing key, to check Mailgun's HMAC.
        #[arg(long)]
        mailgun_signing_key: Option<String>,
        /// SendGrid's verification key (base64 DER or PEM), to check its ECDSA signature.
        #[arg(long)]
        sendgrid_public_key: Option<String>,
        /// The SNS topic ARN the account's SES notifications are published to; SES
        /// notifications from any other topic (or all, when unset) are refused.
        #[arg(long)]
        sns_topic_arn: Option<String>,
        /// The server's secrets key (`SECRETS_KEY`, or its key file): the Mailgun signing key
        /// is stored sealed with it. Without either, it is sealed at the server's next start.
        #[command(flatten)]
        secrets: server::config::SecretsConfig,
    },
    /// Spam-score messages (files or folders of .eml): one JSON line per message.
    Score {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Spam threshold in SpamAssassin points; 0 turns filtering off.
        #[arg(long, default_value = "5", value_parser = parse_threshold)]
        threshold: Threshold,
    },
    /// Train the spam model on a labelled corpus (labels.tsv + files) and report accuracy
    /// on the held-out part.
    TrainSpam {
        corpus_dir: PathBuf,
        /// Where to write the model.
        #[arg(long, default_value = "server/assets/spam-model.bin")]
        out: PathBuf,
    },
    /// k-fold cross-validation of the spam scorer on the train split of a labelled corpus
    /// (the eval split is not read).
    SpamCv {
        #[arg(default_value = "../shared/corpora/spam")]
        corpus_dir: PathBuf,
        #[arg(long, default_value = "5")]
        folds: u32,
        /// Also write every scored row as TSV here.
        #[arg(long)]
        rows: Option<PathBuf>,
    },
    /// Accuracy of the shipped spam scorer on labelled corpora side by side (each a folder
    /// with labels.tsv): precision / recall / false positives at threshold 5, the eval split,
    /// the two name-hash halves, the score distribution and the rules that fired most.
    SpamReport {
        #[arg(default_values = ["../shared/corpora/spam", "../shared/corpora/phishing"])]
        corpus_dirs: Vec<PathBuf>,
        /// How many rules to list per label.
        #[arg(long, default_value = "15")]
        top: usize,
    },
}

fn parse_dnsbl(s: &str) -> Result<server::domain::spam::dnsbl::DnsblConfig, String> {
    server::domain::spam::dnsbl::DnsblConfig::parse(s).map_err(|e| e.to_string())
}

fn parse_threshold(s: &str) -> Result<Threshold, String> {
    Threshold::parse(s).map_err(|e| e.to_string())
}

/// STARTTLS for the inbound listener from `SMTP_TLS_CERT` and `SMTP_TLS_KEY` (PEM files), when
/// both are set.
fn smtp_tls(
    config: &server::config::Config,
) -> anyhow::Result<Option<std::sync::Arc<rustls::ServerConfig>>> {
    let (Some(cert), Some(key)) = (&config.smtp_tls_cert, &config.smtp_tls_key) else {
        return Ok(None);
    };
    let read = |p: &std::path::Path| {
        std::fs::read(p).with_context(|| format!("Failed to read {}", p.display()))
    };
    let config = server::smtp::tls_config(&read(cert)?, &read(key)?)
        .map_err(|e| anyhow::anyhow!("SMTP_TLS_CERT / SMTP_TLS_KEY: {e}"))?;
    Ok(Some(config))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let runtime = tokio::runtime::Runtime::new().context("Failed to start the async runtime")?;
    match cli.command {
        None => runtime.block_on(serve(ServeArgs::parse_from_env()?)),
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
        Some(Command::Migrate { database_url }) => runtime.block_on(async {
            Db::connect(&database_url).await?;
            eprintln!("database is migrated");
            Ok(())
        }),
        Some(Command::CreateAccount {
            database_url,
            name,
            admin_email,
            inbound_address,
        }) => runtime.block_on(async {
            let db = Db::connect(&database_url).await?;
            server::cli::admin::create_account(
                &db,
                &name,
                &admin_email,
                inbound_address.as_deref(),
                &mut std::io::stdout().lock(),
            )
            .await
            .map(|_| ())
        }),
        Some(Command::AddUser {
            database_url,
            account_id,
            email,
            role,
        }) => runtime.block_on(async {
            let role = app::models::Role::parse(&role)
                .with_context(|| format!("{role:?} is not a role: agent or admin"))?;
            let db = Db::connect(&database_url).await?;
            server::cli::admin::add_user(
                &db,
                account_id,
                &email,
                role,
                &mut std::io::stdout().lock(),
            )
            .await
        }),
        Some(Command::WebhookCredential {
            database_url,
            account_id,
            username,
            mailgun_signing_key,
            sendgrid_public_key,
            sns_topic_arn,
            secrets,
        }) => runtime.block_on(async {
            let mut db = Db::connect(&database_url).await?;
            if let Some(secrets) = server::secrets::SecretBox::from_config_if_any(&secrets)? {
                db = db.with_secrets(secrets);
            }
            server::cli::admin::webhook_credential(
                &db,
                account_id,
                &username,
                mailgun_signing_key.as_deref(),
                sendgrid_public_key.as_deref(),
                &mut std::io::stdout().lock(),
            )
            .await?;
            if let Some(arn) = sns_topic_arn {
                server::cli::admin::sns_topic(&db, &username, &arn, &mut std::io::stdout().lock())
                    .await?;
            }
            Ok(())
        }),
        Some(Command::ClassifyBounce { paths }) => {
            server::cli::classify_bounce::run(&paths, &mut std::io::stdout().lock())
        }
        Some(Command::BounceReport {
            corpus_dirs,
            summary,
        }) => {
            server::cli::classify_bounce::report_many(
                &corpus_dirs,
                summary,
                &mut std::io::stdout().lock(),
            )?;
            Ok(())
        }
        Some(Command::BounceVariants {
            paths,
            details,
            write,
        }) => server::cli::bounce_variants::run(
            &paths,
            details,
            write.as_deref(),
            &mut std::io::stdout().lock(),
        ),
        Some(Command::Score { paths, threshold }) => {
            server::cli::score::run(&paths, threshold, &mut std::io::stdout().lock())
        }
        Some(Command::TrainSpam { corpus_dir, out }) => {
            server::cli::train_spam::run(&corpus_dir, &out, &mut std::io::stderr().lock())
        }
        Some(Command::SpamCv {
            corpus_dir,
            folds,
            rows,
        }) => {
            server::cli::train_spam::run_cv(
                &corpus_dir,
                folds,
                rows.as_deref(),
                &mut std::io::stdout().lock(),
            )?;
            Ok(())
        }
        Some(Command::SpamReport { corpus_dirs, top }) => {
            let scorer =
                server::domain::spam::Scorer::new(server::domain::spam::BayesModel::shipped()?);
            let dirs: Vec<&std::path::Path> = corpus_dirs.iter().map(PathBuf::as_path).collect();
            server::cli::spam_report::run(&dirs, &scorer, top, &mut std::io::stdout().lock())?;
            Ok(())
        }
    }
}

impl ServeArgs {
    /// The shared transport the operator configured, if any.
    fn shared_transport(
        &self,
    ) -> anyhow::Result<Option<server::services::transport::TransportConfig>> {
        use server::services::transport::{Security, TransportConfig};
        if let Some(relay) = &self.shared_relay {
            let (host, port) = relay
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                .context("--shared-relay is HOST:PORT, e.g. smtp.example.net:587")?;
            let security = Security::parse(&self.shared_relay_security)
                .context("--shared-relay-security is none, starttls or tls")?;
            let login = match &self.shared_relay_login {
                None => None,
                Some(l) => Some(
                    l.split_once(':')
                        .map(|(u, p)| (u.to_string(), p.to_string()))
                        .context("--shared-relay-login is USER:PASSWORD")?,
                ),
            };
            return Ok(Some(TransportConfig::Smtp {
                host,
                port,
                security,
                login,
            }));
        }
        if let Some(url) = &self.shared_api_url {
            let token = self
                .shared_api_token
                .clone()
                .context("--shared-api-url needs --shared-api-token (or SHARED_API_TOKEN)")?;
            return Ok(Some(TransportConfig::Postmark {
                base_url: url.clone(),
                server_token: token,
            }));
        }
        Ok(None)
    }

    /// `deliverdesk` with no command behaves as `deliverdesk serve` with its defaults.
    fn parse_from_env() -> anyhow::Result<Self> {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        Ok(Only::try_parse_from(["deliverdesk"])?.args)
    }
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut shared = args.shared_transport()?;
    let config = &args.config;
    let secrets = server::secrets::SecretBox::from_config(&config.secrets)?;
    tracing::info!(key_id = secrets.key_id(), "secrets at rest: sealed");
    let db = Db::connect(&args.database_url).await?.with_secrets(secrets);
    match db.seal_secrets().await? {
        0 => {}
        n => tracing::info!(
            sealed = n,
            "sealed stored secrets (plaintext or an old key)"
        ),
    }
    let mut seeded = false;
    let mut relay = None;
    if config.allow_private_relays {
        tracing::warn!("senders may use private and loopback addresses (--allow-private-relays)");
    }
    if config.demo {
        // The demo's test relay: Acme's sender address sends through it. It is on loopback:
        // the outbound policy allows that address only (`Config::egress`).
        let relay_addr = config.demo_relay_addr;
        match tokio::net::TcpListener::bind(relay_addr).await {
            Ok(l) => {
                let sink = std::sync::Arc::new(server::smtp::rule_relay::RuleRelay::new());
                tokio::spawn(server::smtp::serve(
                    l,
                    server::smtp::SmtpConfig::default(),
                    sink,
                    std::future::pending(),
                ));
                relay = Some(relay_addr);
                // The demo's operator shares its test relay unless told otherwise.
                if shared.is_none() {
                    shared = Some(server::services::transport::TransportConfig::Smtp {
                        host: relay_addr.ip().to_string(),
                        port: relay_addr.port(),
                        security: server::services::transport::Security::None,
                        login: None,
                    });
                }
            }
            Err(e) => tracing::warn!(%relay_addr, error = %e, "demo relay not started"),
        }
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("Failed to listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    if let Some(s) = &shared {
        tracing::info!(transport = %s.accepted_by(), "shared transport configured");
    }
    let mut state =
        server::http::AppState::with_config(db.clone(), config.site.leptos_options(addr), config)?
            .with_shared_transport(shared);
    if let Some(relay_addr) = relay.filter(|_| config.demo) {
        // The demo is made by the app's own services, before anything else can use them.
        let services = server::demo::DemoServices::of(&state);
        if let Some(report) = server::demo::seed_if_empty(&services, relay_addr).await? {
            seeded = true;
            tracing::info!(
                ms = report.elapsed_ms,
                replies = report.replies_sent,
                inbound = report.inbound,
                campaign_recipients = report.campaign_recipients,
                "demo seeded through the real pipelines"
            );
        }
    }
    // DKIM / SPF / DMARC checked here with the system resolver unless MAIL_AUTH=off. Without
    // it, SMTP mail has no authentication result at all, and HTTP mail only its trusted
    // forwarder's Authentication-Results (per account).
    let system_dns = server::services::mail_auth::MailAuthenticator::system();
    match (config.mail_auth, &system_dns) {
        (server::config::MailAuth::Off, _) => {
            tracing::info!("mail authentication: off (MAIL_AUTH=off)")
        }
        (_, Ok(authenticator)) => {
            tracing::info!("mail authentication: DKIM, SPF and DMARC via the system resolver");
            state.inbound = state
                .inbound
                .clone()
                .with_authenticator(authenticator.clone());
        }
        (_, Err(e)) => tracing::warn!(error = %e, "mail authentication off: no DNS"),
    }
    // DNS block lists, through the same resolver; only when the operator names some.
    if !args.dnsbl.is_empty() {
        match &system_dns {
            Ok(resolver) => {
                let zones: Vec<&str> = args.dnsbl.lists.iter().map(|l| l.zone.as_str()).collect();
                tracing::info!(?zones, "DNS block lists on");
                state.inbound =
                    state
                        .inbound
                        .clone()
                        .with_dnsbl(server::services::dnsbl::DnsblChecker::new(
                            resolver.clone(),
                            args.dnsbl.clone(),
                        ));
            }
            Err(e) => tracing::warn!(error = %e, "DNS block lists off: no DNS"),
        }
    }
    spawn_sweeper(state.webhooks.ingest.clone());
    spawn_session_sweeper(state.desk.clone());
    spawn_retrier(
        state.desk.outbound().clone(),
        state.desk.campaigns().clone(),
    );
    println!("Deliverdesk is running at http://{addr}");
    if config.demo {
        println!(
            "Demo logins (password for all: {}){}:",
            server::demo::DEMO_PASSWORD,
            if seeded { "" } else { ", seeded earlier" }
        );
        for u in server::demo::DEMO_USERS {
            println!("  {:<20} {:<6} {}", u.email, u.role.as_str(), u.account);
        }
        println!(
            "Webhook credential for {} (HTTP Basic): {}:{}",
            server::demo::DEMO_WEBHOOK_ACCOUNT,
            server::demo::DEMO_WEBHOOK_USERNAME,
            server::demo::DEMO_WEBHOOK_PASSWORD
        );
        println!(
            "Webhook credential for {} (HTTP Basic): {}:{}",
            server::demo::DEMO_GLOBEX_WEBHOOK_ACCOUNT,
            server::demo::DEMO_GLOBEX_WEBHOOK_USERNAME,
            server::demo::DEMO_GLOBEX_WEBHOOK_PASSWORD
        );
        let inbound: Vec<&str> = server::demo::DEMO_INBOUND_ADDRESSES
            .iter()
            .map(|(_, a)| *a)
            .collect();
        println!("Inbound addresses: {}", inbound.join(", "));
        if let Some(relay) = relay {
            println!(
                "Acme's replies go through a local test relay at {relay}: it accepts everything \
                 except nobody@… (550 5.1.1), full@… (452 4.2.2) and spamtrap@… (550 5.7.1)"
            );
        }
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    if let Some(smtp_addr) = args.smtp {
        let smtp_listener = tokio::net::TcpListener::bind(smtp_addr)
            .await
            .with_context(|| format!("Failed to listen for SMTP on {smtp_addr}"))?;
        let config = server::smtp::SmtpConfig {
            max_message_bytes: server::services::inbound::MAX_INBOUND_BYTES,
            tls: smtp_tls(config)?,
            ..Default::default()
        };
        let sink = std::sync::Arc::new(server::services::inbound_smtp::InboundSink::new(
            state.inbound.clone(),
            config.hostname.clone(),
        ));
        println!(
            "Receiving mail over SMTP at {} (only for the accounts' inbound addresses)",
            smtp_listener.local_addr()?
        );
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = server::smtp::serve(smtp_listener, config, sink, shutdown).await {
                tracing::error!(error = ?e, "SMTP listener stopped");
            }
        });
    }
    tracing::info!(%addr, backend = ?db.backend(), "listening");
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    server::http::serve(listener, state, shutdown).await?;
    drop(stopped);
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Writes the "released" Org Logging entries for suppressions whose time is up. Correctness does
/// not depend on it (the gate compares `until` with now); it is safe on several replicas because
/// each release is claimed once in the database.
fn spawn_sweeper(ingest: server::services::ingest::IngestService) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            match ingest.sweep(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(released = n, "suppressions released"),
                Err(e) => tracing::warn!(error = ?e, "suppression sweep failed"),
            }
        }
    });
}

/// Deletes expired and idle sessions every ten minutes (they are refused anyway; this keeps
/// the table small).
fn spawn_session_sweeper(desk: server::services::desk::DeskService) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            match desk.sweep_sessions(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "dead sessions deleted"),
                Err(e) => tracing::warn!(error = ?e, "session sweep failed"),
            }
        }
    });
}

/// Sends the outbound messages whose retry is due (a 4xx deferred them). Each is claimed
/// once in the database, so several replicas may run this.
fn spawn_retrier(
    outbound: server::services::outbound::OutboundService,
    campaigns: server::services::campaigns::CampaignService,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            if let Err(e) = campaigns.resume_due(chrono::Utc::now()).await {
                tracing::warn!(error = ?e, "resuming campaigns failed");
            }
            match outbound.retry_due(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(retried = n, "deferred messages retried"),
                Err(e) => tracing::warn!(error = ?e, "retrying deferred messages failed"),
            }
        }
    });
}

/// SIGTERM or Ctrl-C: stop accepting, finish in-flight requests, close the database.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

//! What the operator sets for the web server, typed, read once at start from flags and the
//! environment (clap flattens [`Config`] into `serve`), and handed to what needs it. Nothing
//! else in the server reads the environment: a bad value is refused at start with the name of
//! the setting, not found later by the code that happens to read it.

use crate::services::egress::Egress;
use crate::services::transport::TrustRoots;
use anyhow::Context;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The web server's settings beside the database and the listen address.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// The address users reach the desk at (https://desk.example.com): links in mail point
    /// there, it is the only origin allowed to post to /api, and https turns on Secure
    /// cookies and HSTS. Default: http:// and the listen address.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Trust the X-Forwarded-For of the proxy in front (client addresses for the sign-in and
    /// per-IP limits): 1/0, true/false, yes/no. Only behind a proxy that sets it.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value = "false",
          value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,
    /// The PEM certificate Amazon SNS signs with; without it, SES webhooks are refused.
    #[arg(long, env = "SNS_SIGNING_CERT_FILE")]
    pub sns_signing_cert_file: Option<PathBuf>,
    /// STARTTLS for the inbound SMTP listener: certificate chain (PEM), with --smtp-tls-key.
    #[arg(long, env = "SMTP_TLS_CERT", requires = "smtp_tls_key")]
    pub smtp_tls_cert: Option<PathBuf>,
    /// STARTTLS for the inbound SMTP listener: private key (PEM), with --smtp-tls-cert.
    #[arg(long, env = "SMTP_TLS_KEY", requires = "smtp_tls_cert")]
    pub smtp_tls_key: Option<PathBuf>,
    /// Extra root certificates (PEM) that outbound relays' TLS may chain to.
    #[arg(long, env = "SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// DKIM, SPF and DMARC for inbound mail with the system resolver: on or off.
    #[arg(long, env = "MAIL_AUTH", value_enum, default_value_t = MailAuth::On)]
    pub mail_auth: MailAuth,
    /// Seed demo accounts, users and conversations if the database is empty, and run the
    /// demo's test relay (the one loopback address senders may then use).
    #[arg(long)]
    pub demo: bool,
    /// Let senders use relays and API URLs on loopback, private, link-local and other
    /// non-public addresses (and plain-http API URLs). Off: an admin cannot make the server
    /// connect into its own network.
    #[arg(long, env = "ALLOW_PRIVATE_RELAYS")]
    pub allow_private_relays: bool,
    /// Where `--demo` runs its test relay.
    #[arg(long, env = "DEMO_RELAY_ADDR", default_value = crate::demo::DEMO_RELAY_ADDR)]
    pub demo_relay_addr: SocketAddr,
    #[command(flatten)]
    pub secrets: SecretsConfig,
    #[command(flatten)]
    pub site: SiteConfig,
}

/// Whether inbound mail is authenticated (DKIM, SPF, DMARC) here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MailAuth {
    On,
    Off,
}

/// The key that seals relay passwords and API tokens at rest.
#[derive(Debug, Clone, clap::Args)]
pub struct SecretsConfig {
    /// The key (64 hex digits or base64 of 32 bytes); better given in the environment. Without
    /// it, the key file is used.
    #[arg(
        long = "secrets-key",
        env = "SECRETS_KEY",
        hide_env_values = true,
        hide = true
    )]
    pub key: Option<String>,
    /// The previous key while rotating: values sealed with it are read and sealed again.
    #[arg(
        long = "secrets-key-old",
        env = "SECRETS_KEY_OLD",
        hide_env_values = true,
        hide = true
    )]
    pub old_key: Option<String>,
    /// Where the key is kept when `SECRETS_KEY` is not set; created (mode 0600) on first
    /// start. Keep it apart from database backups.
    #[arg(
        long = "secrets-key-file",
        env = "SECRETS_KEY_FILE",
        default_value = "data/secrets.key"
    )]
    pub key_file: PathBuf,
}

/// Where the browser bundle and styles are (cargo-leptos sets these when it runs the server).
#[derive(Debug, Clone, clap::Args)]
pub struct SiteConfig {
    #[arg(
        long,
        env = "LEPTOS_OUTPUT_NAME",
        default_value = "deliverdesk",
        hide = true
    )]
    pub output_name: String,
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        hide = true
    )]
    pub site_root: String,
    #[arg(long, env = "LEPTOS_SITE_PKG_DIR", default_value = "pkg", hide = true)]
    pub site_pkg_dir: String,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            output_name: "deliverdesk".into(),
            site_root: "target/site".into(),
            site_pkg_dir: "pkg".into(),
        }
    }
}

impl SiteConfig {
    pub fn leptos_options(&self, site_addr: SocketAddr) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.site_root.as_str())
            .site_pkg_dir(self.site_pkg_dir.as_str())
            .site_addr(site_addr)
            .build()
    }
}

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig {
            key: None,
            old_key: None,
            key_file: PathBuf::from("data/secrets.key"),
        }
    }
}

/// Every setting at its default: what tests and the library's own constructors use.
impl Default for Config {
    fn default() -> Self {
        Config {
            public_url: None,
            trust_forwarded_for: false,
            sns_signing_cert_file: None,
            smtp_tls_cert: None,
            smtp_tls_key: None,
            smtp_ca_file: None,
            mail_auth: MailAuth::On,
            demo: false,
            allow_private_relays: false,
            demo_relay_addr: crate::demo::DEMO_RELAY_ADDR
                .parse()
                .expect("the demo relay's default address"),
            secrets: SecretsConfig::default(),
            site: SiteConfig::default(),
        }
    }
}

impl Config {
    /// Where links in mail point: `public_url`, else http:// and the address we listen on.
    pub fn public_url_for(&self, site_addr: SocketAddr) -> String {
        match self.public_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_string(),
            _ => format!("http://{site_addr}"),
        }
    }

    /// Where senders may connect: public addresses only, unless `--allow-private-relays`;
    /// with `--demo`, also the demo relay's address.
    pub fn egress(&self) -> Egress {
        let policy = if self.allow_private_relays {
            Egress::allow_private()
        } else {
            Egress::public_only()
        };
        if self.demo {
            policy.allowing(self.demo_relay_addr)
        } else {
            policy
        }
    }

    /// The CAs relays' TLS may chain to beside the public roots: `SMTP_CA_FILE`, read and
    /// checked here (a file that cannot be read, or malformed PEM, is refused); none without it.
    pub fn trust_roots(&self) -> anyhow::Result<TrustRoots> {
        let Some(path) = &self.smtp_ca_file else {
            return Ok(TrustRoots::default());
        };
        let pem = std::fs::read(path)
            .with_context(|| format!("Failed to read SMTP_CA_FILE {}", path.display()))?;
        TrustRoots::from_pem(&pem).map_err(|e| anyhow::anyhow!("SMTP_CA_FILE: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Cli::try_parse_from(std::iter::once("deliverdesk").chain(args.iter().copied()))
            .map(|c| c.config)
    }

    #[test]
    fn the_defaults_equal_what_no_flags_give() {
        let parsed = parse(&[]).unwrap();
        let default = Config::default();
        assert_eq!(parsed.public_url, default.public_url);
        assert_eq!(parsed.trust_forwarded_for, default.trust_forwarded_for);
        assert_eq!(parsed.mail_auth, default.mail_auth);
        assert_eq!(parsed.demo_relay_addr, default.demo_relay_addr);
        assert_eq!(parsed.egress(), default.egress());
        assert_eq!(default.egress(), Egress::public_only());
        assert_eq!(parsed.secrets.key_file, default.secrets.key_file);
        assert_eq!(parsed.site.site_root, default.site.site_root);
    }

    #[test]
    fn settings_are_typed_and_bad_values_are_refused_by_name() {
        let c = parse(&[
            "--public-url",
            "https://desk.example.com",
            "--trust-forwarded-for",
            "yes",
            "--mail-auth",
            "off",
            "--demo-relay-addr",
            "127.0.0.1:2600",
        ])
        .unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://desk.example.com"));
        assert!(c.trust_forwarded_for);
        assert_eq!(c.mail_auth, MailAuth::Off);
        assert_eq!(c.demo_relay_addr.port(), 2600);
        assert!(
            !parse(&["--trust-forwarded-for", "0"])
                .unwrap()
                .trust_forwarded_for
        );
        for (bad, name) in [
            (
                &["--trust-forwarded-for", "maybe"][..],
                "trust-forwarded-for",
            ),
            (&["--mail-auth", "sometimes"], "mail-auth"),
            (&["--demo-relay-addr", "localhost"], "demo-relay-addr"),
            (&["--smtp-tls-cert", "cert.pem"], "smtp-tls-key"),
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains(name), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_outbound_policy_comes_from_the_flags() {
        let demo = parse(&["--demo", "--demo-relay-addr", "127.0.0.1:2600"]).unwrap();
        assert_eq!(
            demo.egress(),
            Egress::public_only().allowing("127.0.0.1:2600".parse().unwrap())
        );
        let private = parse(&["--allow-private-relays"]).unwrap();
        assert_eq!(private.egress(), Egress::allow_private());
        assert!(private.egress().permits("10.0.0.5:25".parse().unwrap()));
        assert!(!Config::default()
            .egress()
            .permits("10.0.0.5:25".parse().unwrap()));
    }

    #[test]
    fn the_trusted_cas_come_from_smtp_ca_file_and_a_bad_one_is_refused_by_name() {
        assert!(Config::default().trust_roots().unwrap().is_empty());
        let dir = std::env::temp_dir().join(format!("deliverdesk-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let malformed = dir.join("malformed.pem");
        std::fs::write(
            &malformed,
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for path in [dir.join("missing.pem"), malformed] {
            let e = parse(&["--smtp-ca-file", path.to_str().unwrap()])
                .unwrap()
                .trust_roots()
                .unwrap_err();
            assert!(format!("{e:#}").contains("SMTP_CA_FILE"), "{path:?}: {e:#}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_public_url_falls_back_to_the_listen_address() {
        let addr: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        assert_eq!(
            Config::default().public_url_for(addr),
            "http://127.0.0.1:3000"
        );
        let c = Config {
            public_url: Some(" https://desk.example.com ".into()),
            ..Config::default()
        };
        assert_eq!(c.public_url_for(addr), "https://desk.example.com");
    }
}

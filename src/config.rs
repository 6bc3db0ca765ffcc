//! The service's configuration: one typed value, read once from the environment (and `.env`).

use std::path::PathBuf;
use std::time::Duration;

/// Development signing secret shared by `serve --demo` and `token` when no key is configured.
/// Public by design: it only ever signs development tokens.
pub const DEV_JWT_SECRET: &str = "commissioning-hub-development-secret-do-not-use-in-production";

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// PostgreSQL connection URL; `serve` creates the database when it is missing.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/commissioning_hub"
    )]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Maximum number of pooled database connections.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub pool_size: u32,

    /// How long a request waits for a database connection before answering 503.
    #[arg(long, env = "DATABASE_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub pool_timeout: Duration,

    /// Largest request body accepted, in bytes (larger ones get 413).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest bulk import (e.g. a contracts CSV), in bytes.
    #[arg(long, env = "MAX_IMPORT_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_import_bytes: usize,

    #[command(flatten)]
    pub jwt: JwtConfig,

    #[command(flatten)]
    pub publication: PublicationConfig,

    #[command(flatten)]
    pub tuning: TuningConfig,

    #[command(flatten)]
    pub webhooks: WebhookConfig,
}

/// How the public OCDS feed names itself.
#[derive(Debug, Clone, clap::Args)]
pub struct PublicationConfig {
    /// OCID prefix of the OCDS releases. Register a real one with the OCDS helpdesk (data@open-contracting.org);
    /// `ocds-xxxxxx` is the standard's placeholder for unregistered publication.
    #[arg(long = "ocid-prefix", env = "OCDS_OCID_PREFIX", default_value = "ocds-xxxxxx", value_parser = parse_ocid_prefix)]
    pub ocid_prefix: String,

    /// Publisher name in the OCDS packages.
    #[arg(
        long = "ocds-publisher",
        env = "OCDS_PUBLISHER_NAME",
        default_value = "STAR Procurement commissioning hub"
    )]
    pub publisher: String,

    /// Licence of the published data (a URL).
    #[arg(
        long = "ocds-license",
        env = "OCDS_LICENSE",
        default_value = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    )]
    pub license: String,
}

impl Default for PublicationConfig {
    fn default() -> Self {
        PublicationConfig {
            ocid_prefix: "ocds-xxxxxx".into(),
            publisher: "STAR Procurement commissioning hub".into(),
            license: "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
                .into(),
        }
    }
}

/// An ocid prefix is `ocds-` and six lower-case letters or digits.
fn parse_ocid_prefix(s: &str) -> Result<String, String> {
    let ok = s.len() == 11
        && s.starts_with("ocds-")
        && s[5..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "an ocid prefix is ocds- and six lower-case letters or digits, not {s:?}"
        ))
    }
}

/// Throughput and protection: workers, database timeouts, the per-caller rate limit.
#[derive(Debug, Clone, clap::Args)]
pub struct TuningConfig {
    /// HTTP worker threads; defaults to the number of CPUs.
    #[arg(long, env = "WORKERS")]
    pub workers: Option<usize>,

    /// Longest any one SQL statement may run (statement_timeout on every pooled connection);
    /// one cut off is answered 503 with Retry-After.
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub statement_timeout: Duration,

    /// r2d2's `SELECT 1` before every checkout; off by default (lost connections are dropped when
    /// a query finds them, and idle ones are pinged once after such a loss).
    #[arg(long, env = "DATABASE_TEST_ON_CHECKOUT", default_value_t = false, action = clap::ArgAction::Set)]
    pub test_on_checkout: bool,

    /// Requests per minute each caller (token subject) may make to this instance, on average;
    /// 0 turns the limit off. Over it: 429 with Retry-After.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 3000)]
    pub rate_limit_per_minute: u32,

    /// Requests a caller may make at once before the per-minute rate applies.
    #[arg(long, env = "RATE_LIMIT_BURST", default_value_t = 200)]
    pub rate_limit_burst: u32,
}

/// Webhook delivery: where targets may be, how long and how often a delivery is retried.
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookConfig {
    /// Allow webhook targets on private, link-local and loopback addresses (development and
    /// tests only: otherwise a subscriber could make the service call inside the network).
    #[arg(
        long = "webhook-allow-private-targets",
        env = "WEBHOOK_ALLOW_PRIVATE_TARGETS",
        default_value_t = false
    )]
    pub allow_private_targets: bool,

    /// How long a delivery is retried (from its first attempt) before it is marked failed.
    #[arg(long = "webhook-retry-window", env = "WEBHOOK_RETRY_WINDOW", default_value = "24h", value_parser = humantime::parse_duration)]
    pub retry_window: Duration,

    /// The first retry's delay; each further one doubles it, up to an hour.
    #[arg(long = "webhook-retry-base", env = "WEBHOOK_RETRY_BASE", default_value = "10s", value_parser = humantime::parse_duration)]
    pub retry_base: Duration,

    /// How long one delivery attempt may take.
    #[arg(long = "webhook-timeout", env = "WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            retry_window: Duration::from_secs(24 * 3600),
            retry_base: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct JwtConfig {
    /// Expected `iss` claim.
    #[arg(
        long = "jwt-issuer",
        env = "JWT_ISSUER",
        default_value = "commissioning-hub"
    )]
    pub issuer: String,

    /// Expected `aud` claim.
    #[arg(
        long = "jwt-audience",
        env = "JWT_AUDIENCE",
        default_value = "commissioning-hub"
    )]
    pub audience: String,

    /// Shared secret for HS256 tokens.
    #[arg(
        long = "jwt-hs256-secret",
        env = "JWT_HS256_SECRET",
        hide_env_values = true
    )]
    pub hs256_secret: Option<String>,

    /// PEM file with an RSA or EC public key, for RS256/ES256 tokens.
    #[arg(long = "jwt-public-key-file", env = "JWT_PUBLIC_KEY_FILE")]
    pub public_key_file: Option<PathBuf>,

    /// JWKS file with RSA/EC public keys (chosen by `kid`), for RS256/ES256 tokens.
    #[arg(long = "jwt-jwks-file", env = "JWT_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,

    /// Accepted algorithms, comma separated (HS256, RS256, ES256). Defaults to those of the configured keys.
    #[arg(long = "jwt-algorithms", env = "JWT_ALGORITHMS", value_delimiter = ',')]
    pub algorithms: Vec<String>,
}

impl JwtConfig {
    pub fn has_key(&self) -> bool {
        self.hs256_secret.is_some() || self.public_key_file.is_some() || self.jwks_file.is_some()
    }

    /// Secret that signs development tokens: the configured one, else the shared development secret.
    pub fn signing_secret(&self) -> &str {
        self.hs256_secret.as_deref().unwrap_or(DEV_JWT_SECRET)
    }
}

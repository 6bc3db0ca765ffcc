//! The command line: serve (the default), migrate, seed, token, openapi.

use std::time::Duration;

use clap::{Parser, Subcommand};
use commissioning_hub::auth::{Role, mint_token};
use commissioning_hub::config::{Config, JwtConfig};
use commissioning_hub::domain::values::AuthorityCode;
use commissioning_hub::{db, openapi, seed, serve};

#[derive(Parser)]
#[command(
    name = "commissioning-hub",
    version,
    about = "The STAR authorities' commissioning and procurement pipeline API"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default). Creates and migrates the database first.
    Serve {
        /// Load the demo data, and sign tokens with the development secret when no key is configured.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        config: Config,
    },
    /// Apply pending migrations and exit.
    Migrate {
        #[command(flatten)]
        config: Config,
    },
    /// Load data into the database.
    Seed {
        /// The demo data set drawn from the seed documents (idempotent).
        #[arg(long, required = true)]
        demo: bool,
        #[command(flatten)]
        config: Config,
    },
    /// Print a development token signed with JWT_HS256_SECRET (or the development secret).
    Token {
        /// Authority the token acts for, e.g. RCH.
        #[arg(long)]
        authority: AuthorityCode,
        /// Role(s) to grant; repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// Subject (`sub`); defaults to developer@<authority>.
        #[arg(long)]
        subject: Option<String>,
        /// How long the token lives, e.g. 8h, 30m.
        #[arg(long, default_value = "8h", value_parser = humantime::parse_duration)]
        ttl: Duration,
        #[command(flatten)]
        jwt: JwtConfig,
    },
    /// Print the OpenAPI document.
    Openapi,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse().map_err(|_| format!("unknown role {s:?}; one of admin, commissioner, procurement, board, finance, partner, auditor"))
}

fn main() {
    dotenvy::dotenv().ok();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let command = Cli::parse().command.unwrap_or_else(|| {
        match Cli::parse_from(["commissioning-hub", "serve"]).command {
            Some(c) => c,
            None => unreachable!("serve was given"),
        }
    });
    if let Err(e) = run(command) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo, config } => {
            actix_web::rt::System::new().block_on(serve(config, demo))
        }
        Command::Migrate { config } => {
            let mut conn = db::connect_creating_database(&config.database_url)?;
            db::migrate(&mut conn)
        }
        Command::Seed { config, .. } => {
            let mut conn = db::connect_creating_database(&config.database_url)?;
            db::migrate(&mut conn)?;
            seed::demo(&mut conn)
        }
        Command::Token {
            authority,
            roles,
            subject,
            ttl,
            jwt,
        } => {
            if jwt.hs256_secret.is_none() {
                eprintln!(
                    "note: no JWT_HS256_SECRET set; signing with the development secret that `serve --demo` accepts"
                );
            }
            let subject = subject
                .unwrap_or_else(|| format!("developer@{}", authority.as_str().to_lowercase()));
            let token = mint_token(
                jwt.signing_secret(),
                &jwt.issuer,
                &jwt.audience,
                &subject,
                authority.as_str(),
                &roles,
                ttl,
            );
            println!("{token}");
            Ok(())
        }
        Command::Openapi => {
            println!("{}", openapi::document().to_pretty_json()?);
            Ok(())
        }
    }
}

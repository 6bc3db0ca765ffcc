//! The database: connection pool, embedded migrations, and the one helper that runs diesel work
//! off the async workers.

pub mod schema;
pub mod types;

use std::time::Duration;

use actix_web::web;
use anyhow::Context;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Arbitrary constant for the advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x0063_6f6d_6d68_7562;

/// Build a pool without connecting; a database that is down shows up as 503s, not a failed start.
pub fn pool(url: &str, size: u32, timeout: Duration) -> PgPool {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .build_unchecked(ConnectionManager::new(url))
}

/// Run `work` on a pooled connection in actix's blocking thread pool.
pub async fn run<T, F>(pool: &PgPool, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// Run `work` in one transaction: everything it writes commits together or not at all.
pub async fn transaction<T, F>(pool: &PgPool, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
{
    run(pool, move |conn| conn.transaction(work)).await
}

/// `host:port` of a database URL, for error messages.
pub fn host_port(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}:{}",
            u.host_str().unwrap_or("localhost"),
            u.port().unwrap_or(5432)
        ),
        Err(_) => "the configured DATABASE_URL (it is not a valid URL)".to_string(),
    }
}

/// libpq's messages run over several lines; the start-up error is one.
fn one_line(err: impl std::fmt::Display) -> String {
    err.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Connect to `url`, creating its database first when the server says it does not exist.
pub fn connect_creating_database(url: &str) -> anyhow::Result<PgConnection> {
    match PgConnection::establish(url) {
        Ok(conn) => Ok(conn),
        Err(e) if e.to_string().contains("does not exist") => {
            create_database(url)?;
            PgConnection::establish(url).map_err(|e| {
                anyhow::anyhow!(
                    "cannot connect to PostgreSQL at {}: {}",
                    host_port(url),
                    one_line(e)
                )
            })
        }
        Err(e) => anyhow::bail!(
            "cannot reach PostgreSQL at {}: {}",
            host_port(url),
            one_line(e)
        ),
    }
}

fn create_database(url: &str) -> anyhow::Result<()> {
    let mut admin_url = url::Url::parse(url).context("DATABASE_URL is not a valid URL")?;
    let name = admin_url.path().trim_start_matches('/').to_string();
    anyhow::ensure!(!name.is_empty(), "DATABASE_URL names no database");
    admin_url.set_path("/postgres");
    let mut admin = PgConnection::establish(admin_url.as_str()).map_err(|e| {
        anyhow::anyhow!(
            "cannot reach PostgreSQL at {}: {}",
            host_port(url),
            one_line(e)
        )
    })?;
    let quoted = name.replace('"', "\"\"");
    match diesel::sql_query(format!("CREATE DATABASE \"{quoted}\"")).execute(&mut admin) {
        Ok(_) => log::info!("created database {name}"),
        // Another instance created it first.
        Err(e) if e.to_string().contains("already exists") => {}
        Err(e) => anyhow::bail!("cannot create database {name}: {e}"),
    }
    Ok(())
}

/// Apply pending migrations, one instance at a time.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<()> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|applied| applied.len());
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
    let applied = result.map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    if applied > 0 {
        log::info!("applied {applied} migration(s)");
    }
    Ok(())
}

//! The database: connection pool, embedded migrations, and the one helper that runs diesel work
//! off the async workers.

pub mod schema;
pub mod types;

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::web;
use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{
    ConnectionManager, CustomizeConnection, ManageConnection, Pool, PooledConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

pub type PgPool = Pool<Manager>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

/// Arbitrary constant for the advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x0063_6f6d_6d68_7562;

/// How the pool connects and guards its connections.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections the pool holds.
    pub size: u32,
    /// Longest wait for a connection before the caller gets 503.
    pub checkout_timeout: Duration,
    /// `statement_timeout` on every pooled connection: no query runs longer (503 when one would).
    pub statement_timeout: Duration,
    /// r2d2's `test_on_check_out` (a `SELECT 1` before every checkout). Off by default: broken
    /// connections are found from errors instead (see `Manager`), which costs nothing when
    /// nothing is wrong.
    pub test_on_checkout: bool,
}

impl PoolSettings {
    pub fn new(size: u32, checkout_timeout: Duration) -> Self {
        Self {
            size,
            checkout_timeout,
            statement_timeout: Duration::from_secs(30),
            test_on_checkout: false,
        }
    }
}

/// Build a pool without connecting; a database that is down shows up as 503s, not a failed start.
pub fn pool(url: &str, size: u32, timeout: Duration) -> PgPool {
    pool_with(url, &PoolSettings::new(size, timeout))
}

pub fn pool_with(url: &str, settings: &PoolSettings) -> PgPool {
    Pool::builder()
        .max_size(settings.size)
        .min_idle(Some(0))
        .connection_timeout(settings.checkout_timeout)
        .test_on_check_out(settings.test_on_checkout)
        .connection_customizer(Box::new(SessionSettings {
            statement_timeout_ms: settings.statement_timeout.as_millis(),
        }))
        .build_unchecked(Manager(ConnectionManager::new(url)))
}

/// Session settings applied to every new pooled connection, so no database call waits forever:
/// a statement (or a lock it waits for) is cancelled after `statement_timeout`, and a transaction
/// left idle (a handler that stalled) is ended after twice that. JIT is off: compiling costs
/// 150-200 ms, more than it saves on this service's queries (measured on the forecast).
#[derive(Debug)]
struct SessionSettings {
    statement_timeout_ms: u128,
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        let ms = self.statement_timeout_ms;
        conn.batch_execute(&format!(
            "SET statement_timeout = {ms}; SET idle_in_transaction_session_timeout = {}; SET jit = off",
            ms.saturating_mul(2)
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

thread_local! {
    /// Set by `run` when the work it ran lost its connection, so the connection is not pooled again.
    static DISCARD: Cell<bool> = const { Cell::new(false) };
}

/// Bumped whenever a pooled connection is found lost (a database restart loses them all): idle
/// connections last used before the bump are checked once with a ping before they are handed out.
static LOST: AtomicU64 = AtomicU64::new(0);

/// The `LOST` count a connection was last known good at, kept in its pool extensions.
struct KnownGood(u64);

/// diesel's r2d2 manager, except that a connection `run` saw fail with a lost-connection error is
/// dropped when it is checked in. diesel's own `has_broken` sees only a broken transaction
/// manager, and `test_on_check_out` costs a round trip on every checkout.
#[derive(Debug)]
pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConnection, Self::Error> {
        self.0.connect()
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), Self::Error> {
        self.0.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        DISCARD.with(|d| d.replace(false)) || self.0.has_broken(conn)
    }
}

/// Whether `err` says the connection itself is gone (not just that one statement failed).
fn lost_connection(err: &ApiError) -> bool {
    use diesel::result::{DatabaseErrorKind as Kind, Error};
    let ApiError::DatabaseUnavailable(cause) = err else {
        return false;
    };
    match cause.downcast_ref::<Error>() {
        Some(Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _)) => true,
        Some(Error::BrokenTransactionManager) => true,
        Some(Error::DatabaseError(_, info)) => !crate::error::is_statement_timeout(info.message()),
        Some(_) => true,
        None => false,
    }
}

/// A pooled connection, checked with a ping first if it sat idle across a lost connection.
fn checkout(pool: &PgPool) -> Result<PooledConnection<Manager>, ApiError> {
    for _ in 0..=pool.max_size() {
        let lost = LOST.load(Ordering::Acquire);
        let mut conn = pool.get()?;
        let known = PooledConnection::extensions(&conn)
            .get::<KnownGood>()
            .map(|k| k.0);
        let stale = known.is_some_and(|seen| seen < lost);
        if stale && diesel::sql_query("SELECT 1").execute(&mut *conn).is_err() {
            DISCARD.with(|d| d.set(true));
            drop(conn);
            continue;
        }
        PooledConnection::extensions_mut(&mut conn).insert(KnownGood(lost));
        return Ok(conn);
    }
    Ok(pool.get()?)
}

/// Run `work` on a pooled connection in actix's blocking thread pool.
pub async fn run<T, F>(pool: &PgPool, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = checkout(&pool)?;
        let result = work(&mut conn);
        if let Err(e) = &result
            && lost_connection(e)
        {
            LOST.fetch_add(1, Ordering::AcqRel);
            DISCARD.with(|d| d.set(true));
        }
        drop(conn);
        result
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

//! Demo data: a forward plan for the four STAR authorities, drawn from the seed documents.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// Load the demo data set. Idempotent: running it again adds nothing.
pub fn demo(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.transaction(|c| c.batch_execute(include_str!("db/demo.sql")))
        .map_err(|e| anyhow::anyhow!("loading the demo data failed: {e}"))?;
    log::info!("demo data loaded");
    Ok(())
}

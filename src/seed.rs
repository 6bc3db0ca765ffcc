//! Demo data: a forward plan, contract register and risk register for the four STAR authorities,
//! drawn from the seed documents.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// The demo scripts, in the order they must run: each names records of the ones before it.
const SCRIPTS: &[(&str, &str)] = &[
    ("demo.sql", include_str!("db/demo.sql")),
    ("demo_contracts.sql", include_str!("db/demo_contracts.sql")),
    ("demo_risks.sql", include_str!("db/demo_risks.sql")),
    ("demo_capacity.sql", include_str!("db/demo_capacity.sql")),
    (
        "demo_collaboration.sql",
        include_str!("db/demo_collaboration.sql"),
    ),
    ("demo_savings.sql", include_str!("db/demo_savings.sql")),
    // PIDs before social value: commitments are made on their awarded lots too.
    ("demo_pids.sql", include_str!("db/demo_pids.sql")),
    (
        "demo_social_value.sql",
        include_str!("db/demo_social_value.sql"),
    ),
    // Governance (waivers, breaches) and spend.
    (
        "demo_governance.sql",
        include_str!("db/demo_governance.sql"),
    ),
];

/// Load the demo data set, all of it or none, in one transaction. Idempotent: running it again
/// adds nothing.
pub fn demo(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.transaction(|c| {
        for (name, sql) in SCRIPTS {
            c.batch_execute(sql)
                .map_err(|e| anyhow::anyhow!("loading the demo data failed in {name}: {e}"))?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    log::info!("demo data loaded");
    Ok(())
}

//! Database rows and the queries on them, as associated functions taking `&mut PgConnection`.

pub mod audit;
pub mod capacity;
pub mod collaboration;
pub mod contracts;
pub mod feed;
pub mod idempotency;
pub mod intentions;
pub mod pids;
pub mod reference;
pub mod risks;
pub mod savings;
pub mod social_value;
// Governance (waivers, breaches) and spend.
pub mod governance;
pub mod spend;

// OCDS publication and the pipeline notice.
pub mod publication;
pub mod webhooks;

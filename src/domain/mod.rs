//! Domain rules: value types that refuse bad input, lifecycles and checks. No HTTP, no SQL.

pub mod capacity;
pub mod collaboration;
pub mod contracts;
pub mod feed;
pub mod intentions;
pub mod lifecycle;
pub mod pids;
pub mod risks;
pub mod savings;
pub mod social_value;
pub mod values;
// Governance (waivers, breaches) and spend.
pub mod governance;
pub mod spend;

// OCDS publication and the pipeline notice.
pub mod ocds;
pub mod webhooks;

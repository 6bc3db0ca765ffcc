//! The one integration-test binary: every test drives the real app over HTTP, each on a fresh
//! PostgreSQL database made from a migrated template.

mod helpers;

mod auth;
mod capacity;
mod changes;
mod cli;
mod collaboration;
mod contracts;
mod errors;
mod forward_plan;
mod intentions;
mod lifecycle;
mod limits;
mod operations;
mod pids;
mod planned_social_value;
mod reference;
mod risks;
mod savings;
mod social_value;
// Governance (waivers, breaches) and spend.
mod governance;
mod spend;

// OCDS publication and the pipeline notice.
mod ocds;
mod webhooks;

//! Database rows and the queries on them, as associated functions taking `&mut PgConnection`.

pub mod audit;
pub mod capacity;
pub mod collaboration;
pub mod contracts;
pub mod feed;
pub mod idempotency;
pub mod intentions;
pub mod reference;
pub mod risks;
pub mod savings;
pub mod social_value;
pub mod webhooks;

//! Database rows and the queries on them, as associated functions taking `&mut PgConnection`.

pub mod audit;
pub mod idempotency;
pub mod intentions;
pub mod reference;

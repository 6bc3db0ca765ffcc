//! Domain rules: value types that refuse bad input, lifecycles and checks. No HTTP, no SQL.

pub mod intentions;
pub mod values;

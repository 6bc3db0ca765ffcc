//! What the record lifecycles share: why an action is refused, in words a caller can act on.

use std::fmt;

use crate::auth::Role;

/// Why a lifecycle action cannot be taken on a record whose actions are `A` and states `S`.
/// `error.rs` turns a `Role` refusal into 403 and a `State` refusal into 409.
#[derive(Debug, PartialEq)]
pub enum Refusal<A, S> {
    /// The caller lacks every role the action needs.
    Role { action: A, needs: &'static [Role] },
    /// The record's state does not allow the action; `record` names the kind ("a PID").
    State {
        action: A,
        record: &'static str,
        status: S,
        allowed: Vec<A>,
    },
}

fn list(items: Vec<String>) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

impl<A: fmt::Display, S: Copy + Into<&'static str>> fmt::Display for Refusal<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Role { action, needs } => write!(
                f,
                "{action} needs one of the roles [{}] of the owning authority",
                list(needs.iter().map(|r| r.to_string()).collect())
            ),
            Refusal::State {
                action,
                record,
                status,
                allowed,
            } => write!(
                f,
                "cannot {action} {record} that is {}; actions allowed now: {}",
                (*status).into(),
                list(allowed.iter().map(|a| a.to_string()).collect())
            ),
        }
    }
}

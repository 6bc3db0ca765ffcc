//! The change feed's queries: the committed audit events a reader may see, in feed order, and
//! the position a reader resumes from.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use uuid::Uuid;

use crate::auth::Role;
use crate::db::schema::audit_events;
use crate::domain::feed::{ENTITY_TYPES, Readers};
use crate::models::audit::{CommittedEvent, FeedPosition};
use crate::models::savings::Scope;

/// Who reads the feed: a caller, or a webhook subscription reading as its authority.
#[derive(Debug, Clone)]
pub struct Reader {
    pub authority: String,
    pub roles: Vec<Role>,
}

/// The record as the event left it (as it was, for a delete).
const RECORD: &str = "COALESCE(audit_events.after, audit_events.before)";

/// An authority code as a SQL literal; codes are capital letters only (checked when the token or
/// the subscription was read), anything else is refused.
fn literal(code: &str) -> String {
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase()),
        "authority code"
    );
    format!("'{code}'")
}

impl Reader {
    /// The SQL predicate over `audit_events` that keeps the events this reader may see: one rule
    /// per entity type (see `domain::feed::ENTITY_TYPES`), the same for the feed and webhooks.
    pub fn visible_sql(&self) -> String {
        let savings = Scope::for_reader(&self.authority, &self.roles);
        let admin = self.roles.contains(&Role::Admin);
        let mut everyone = Vec::new();
        let mut parts = Vec::new();
        for (name, readers) in ENTITY_TYPES {
            let rule = match readers {
                Readers::Everyone => {
                    everyone.push(format!("'{name}'"));
                    continue;
                }
                Readers::SavingsLines if savings.is_empty() => continue,
                Readers::SavingsLines => savings.sql(
                    &format!("({RECORD}->>'authority')"),
                    &format!("(({RECORD}->>'opportunity_id')::uuid)"),
                ),
                Readers::SavingsReaders if savings.is_empty() => continue,
                Readers::SavingsReaders => "TRUE".into(),
                Readers::OwnAdmins if !admin => continue,
                Readers::OwnAdmins => {
                    format!("({RECORD}->>'authority') = {}", literal(&self.authority))
                }
            };
            parts.push(format!("(audit_events.entity_type = '{name}' AND {rule})"));
        }
        if !everyone.is_empty() {
            parts.push(format!(
                "audit_events.entity_type IN ({})",
                everyone.join(", ")
            ));
        }
        if parts.is_empty() {
            "FALSE".into()
        } else {
            format!("({})", parts.join(" OR "))
        }
    }
}

/// The oldest transaction still running, cluster-wide: every transaction below it has ended.
/// Read it in a statement of its own, before the events: a horizon taken earlier than the
/// events' snapshot is safe (it only holds back more), one taken later would not be.
pub fn horizon(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::dsl::select(diesel::dsl::sql::<BigInt>(
        "pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
    ))
    .get_result(conn)
}

/// Where a reader that has seen everything below `horizon` resumes: after every event of the
/// ended transactions, and never behind where it already was.
pub fn resume_at(horizon: i64, after: Option<FeedPosition>) -> FeedPosition {
    let caught_up = FeedPosition {
        txid: horizon - 1,
        id: Uuid::max(),
    };
    match after {
        Some(a) if (a.txid, a.id) > (caught_up.txid, caught_up.id) => a,
        _ => caught_up,
    }
}

/// Up to `fetch` events after `after` that `reader` may see, of `types` (all when `None`), from
/// transactions below `horizon`, in feed order.
pub fn visible_page(
    conn: &mut PgConnection,
    reader: &Reader,
    after: Option<FeedPosition>,
    types: Option<&[String]>,
    horizon: i64,
    fetch: i64,
) -> QueryResult<Vec<CommittedEvent>> {
    let mut query = CommittedEvent::committed_after(after)
        .filter(audit_events::txid.lt(horizon))
        .filter(diesel::dsl::sql::<Bool>(&reader.visible_sql()))
        .limit(fetch);
    if let Some(types) = types {
        query = query.filter(audit_events::entity_type.eq_any(types.to_vec()));
    }
    query.load(conn)
}

//! The append-only audit trail.

use chrono::{DateTime, Utc};
use diesel::dsl::{AsSelect, SqlTypeOf};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db::schema::audit_events;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub subject: String,
    pub authority_code: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: String,
}

/// Which audit events to list.
pub struct AuditFilter {
    pub authority_code: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
}

impl AuditEventRow {
    /// Record a write by `caller`, in the caller's transaction.
    pub fn record(
        conn: &mut PgConnection,
        caller: &Caller,
        action: &str,
        entity_type: &str,
        entity_id: Uuid,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> QueryResult<()> {
        let event = AuditEventRow {
            id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            subject: caller.subject.clone(),
            authority_code: caller.authority.to_string(),
            action: action.to_string(),
            entity_type: entity_type.to_string(),
            entity_id,
            before,
            after,
            request_id: caller.request_id.clone(),
        };
        diesel::insert_into(audit_events::table)
            .values(&event)
            .execute(conn)?;
        Ok(())
    }

    /// Record many prepared events, a batch per statement (an import records one per record).
    pub fn record_all(conn: &mut PgConnection, events: &[AuditEventRow]) -> QueryResult<()> {
        // 10 columns a row: 1,000 rows stay well under PostgreSQL's 65,535 bind parameters.
        for batch in events.chunks(1000) {
            diesel::insert_into(audit_events::table)
                .values(batch)
                .execute(conn)?;
        }
        Ok(())
    }

    /// A page of events in the order they happened, after the event `after`.
    pub fn page(
        conn: &mut PgConnection,
        filter: &AuditFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut query = audit_events::table
            .filter(audit_events::authority_code.eq(&filter.authority_code))
            .select(Self::as_select())
            .order(audit_events::id)
            .limit(limit)
            .into_boxed();
        if let Some(t) = &filter.entity_type {
            query = query.filter(audit_events::entity_type.eq(t));
        }
        if let Some(id) = filter.entity_id {
            query = query.filter(audit_events::entity_id.eq(id));
        }
        if let Some(a) = after {
            query = query.filter(audit_events::id.gt(a));
        }
        query.load(conn)
    }
}

/// A place in the change feed: the transaction and the event last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedPosition {
    pub txid: i64,
    pub id: Uuid,
}

/// An audit event read in feed order, with the transaction that wrote it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct CommittedEvent {
    #[diesel(embed)]
    pub event: AuditEventRow,
    pub txid: i64,
}

pub type CommittedQuery<'a> =
    audit_events::BoxedQuery<'a, Pg, SqlTypeOf<AsSelect<CommittedEvent, Pg>>>;

impl CommittedEvent {
    pub fn position(&self) -> FeedPosition {
        FeedPosition {
            txid: self.txid,
            id: self.event.id,
        }
    }

    /// Events after `after` whose transactions have all ended, in feed order (txid, id): the
    /// gap-free base of the change feed, webhooks and OCDS releases. Only transactions older than
    /// the oldest still running are read, so any event that becomes visible later sorts after
    /// the last one returned (see the change_feed migration). Add filters and a limit to taste.
    pub fn committed_after<'a>(after: Option<FeedPosition>) -> CommittedQuery<'a> {
        let horizon =
            diesel::dsl::sql::<BigInt>("pg_snapshot_xmin(pg_current_snapshot())::text::bigint");
        let mut query = audit_events::table
            .select(CommittedEvent::as_select())
            .filter(audit_events::txid.lt(horizon))
            .order((audit_events::txid, audit_events::id))
            .into_boxed();
        if let Some(p) = after {
            query = query.filter(
                audit_events::txid
                    .gt(p.txid)
                    .or(audit_events::txid.eq(p.txid).and(audit_events::id.gt(p.id))),
            );
        }
        query
    }
}

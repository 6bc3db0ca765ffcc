//! The append-only audit trail.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
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

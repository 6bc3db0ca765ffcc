//! Webhook subscriptions and their delivery queue.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{webhook_deliveries, webhook_subscriptions};
use crate::models::audit::FeedPosition;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub authority_code: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub secret: String,
    pub description: String,
    pub active: bool,
    pub cursor_txid: i64,
    pub cursor_id: Uuid,
    pub lease_until: Option<DateTime<Utc>>,
    pub lease_token: Option<Uuid>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: Uuid,
    #[diesel(skip_insertion)]
    pub seq: i64,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub redelivery_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    /// A delivery to make now.
    pub fn queued(
        subscription_id: Uuid,
        event_id: Uuid,
        event_type: String,
        payload: serde_json::Value,
        redelivery_of: Option<Uuid>,
    ) -> Self {
        let now = Utc::now();
        DeliveryRow {
            id: Uuid::now_v7(),
            seq: 0,
            subscription_id,
            event_id,
            event_type,
            payload,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            first_attempt_at: None,
            last_attempt_at: None,
            last_status_code: None,
            last_error: None,
            redelivery_of,
            created_at: now,
            delivered_at: None,
            failed_at: None,
        }
    }
}

/// What one attempt came to.
pub enum Outcome {
    Delivered {
        status_code: i32,
    },
    /// Failed; retried at `retry_at`, or marked failed when `None`.
    Failed {
        status_code: Option<i32>,
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

impl SubscriptionRow {
    pub fn position(&self) -> FeedPosition {
        FeedPosition {
            txid: self.cursor_txid,
            id: self.cursor_id,
        }
    }

    pub fn insert(conn: &mut PgConnection, row: &SubscriptionRow) -> QueryResult<Self> {
        diesel::insert_into(webhook_subscriptions::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// One subscription of `authority` (another authority's is not found).
    pub fn find(conn: &mut PgConnection, id: Uuid, authority: &str) -> QueryResult<Self> {
        webhook_subscriptions::table
            .find(id)
            .filter(webhook_subscriptions::authority_code.eq(authority))
            .select(Self::as_select())
            .first(conn)
    }

    pub fn find_for_update(
        conn: &mut PgConnection,
        id: Uuid,
        authority: &str,
    ) -> QueryResult<Self> {
        webhook_subscriptions::table
            .find(id)
            .filter(webhook_subscriptions::authority_code.eq(authority))
            .select(Self::as_select())
            .for_update()
            .first(conn)
    }

    pub fn page(
        conn: &mut PgConnection,
        authority: &str,
        after: Option<Uuid>,
        fetch: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut query = webhook_subscriptions::table
            .filter(webhook_subscriptions::authority_code.eq(authority))
            .select(Self::as_select())
            .order(webhook_subscriptions::id)
            .limit(fetch)
            .into_boxed();
        if let Some(a) = after {
            query = query.filter(webhook_subscriptions::id.gt(a));
        }
        query.load(conn)
    }

    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &SubscriptionChanges,
    ) -> QueryResult<Self> {
        diesel::update(webhook_subscriptions::table.find(id))
            .set((
                changes,
                webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
                webhook_subscriptions::updated_at.eq(Utc::now()),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
        diesel::delete(webhook_subscriptions::table.find(id)).execute(conn)
    }

    /// Ids of the active subscriptions, for the worker to queue for one by one.
    pub fn active_ids(conn: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
        webhook_subscriptions::table
            .filter(webhook_subscriptions::active)
            .select(webhook_subscriptions::id)
            .order(webhook_subscriptions::id)
            .load(conn)
    }

    /// Lock an active subscription to queue for it, unless another worker holds it.
    pub fn lock_to_queue(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Self>> {
        webhook_subscriptions::table
            .find(id)
            .filter(webhook_subscriptions::active)
            .select(Self::as_select())
            .for_update()
            .skip_locked()
            .first(conn)
            .optional()
    }

    pub fn move_cursor(conn: &mut PgConnection, id: Uuid, to: FeedPosition) -> QueryResult<()> {
        diesel::update(webhook_subscriptions::table.find(id))
            .set((
                webhook_subscriptions::cursor_txid.eq(to.txid),
                webhook_subscriptions::cursor_id.eq(to.id),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Lease an active subscription whose oldest pending delivery is due and that no worker
    /// holds, so that one worker at a time delivers for it (in order). `None` when none is due.
    pub fn lease_due(
        conn: &mut PgConnection,
        lease: chrono::Duration,
    ) -> QueryResult<Option<(Self, Uuid)>> {
        conn.transaction(|conn| {
            let due = diesel::dsl::sql::<diesel::sql_types::Bool>(
                "EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.subscription_id = webhook_subscriptions.id \
                 AND d.status = 'pending' AND d.next_attempt_at <= now() AND d.seq = \
                 (SELECT min(d2.seq) FROM webhook_deliveries d2 WHERE d2.subscription_id = webhook_subscriptions.id \
                  AND d2.status = 'pending'))",
            );
            let now = Utc::now();
            let found: Option<Self> = webhook_subscriptions::table
                .filter(webhook_subscriptions::active)
                .filter(
                    webhook_subscriptions::lease_until
                        .is_null()
                        .or(webhook_subscriptions::lease_until.lt(now)),
                )
                .filter(due)
                .select(Self::as_select())
                .order(webhook_subscriptions::id)
                .for_update()
                .skip_locked()
                .first(conn)
                .optional()?;
            let Some(sub) = found else { return Ok(None) };
            let token = Uuid::now_v7();
            diesel::update(webhook_subscriptions::table.find(sub.id))
                .set((
                    webhook_subscriptions::lease_until.eq(now + lease),
                    webhook_subscriptions::lease_token.eq(token),
                ))
                .execute(conn)?;
            Ok(Some((sub, token)))
        })
    }

    pub fn release(conn: &mut PgConnection, id: Uuid, token: Uuid) -> QueryResult<()> {
        diesel::update(
            webhook_subscriptions::table
                .find(id)
                .filter(webhook_subscriptions::lease_token.eq(token)),
        )
        .set((
            webhook_subscriptions::lease_until.eq(None::<DateTime<Utc>>),
            webhook_subscriptions::lease_token.eq(None::<Uuid>),
        ))
        .execute(conn)?;
        Ok(())
    }
}

impl DeliveryRow {
    pub fn insert_all(conn: &mut PgConnection, rows: &[DeliveryRow]) -> QueryResult<()> {
        diesel::insert_into(webhook_deliveries::table)
            .values(rows)
            .execute(conn)?;
        Ok(())
    }

    /// The subscription's oldest pending delivery.
    pub fn head(conn: &mut PgConnection, subscription: Uuid) -> QueryResult<Option<Self>> {
        webhook_deliveries::table
            .filter(webhook_deliveries::subscription_id.eq(subscription))
            .filter(webhook_deliveries::status.eq("pending"))
            .order(webhook_deliveries::seq)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    pub fn find(conn: &mut PgConnection, subscription: Uuid, id: Uuid) -> QueryResult<Self> {
        webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::subscription_id.eq(subscription))
            .select(Self::as_select())
            .first(conn)
    }

    /// Record an attempt made at `at` (the delivery's first was at `first`).
    pub fn record(
        conn: &mut PgConnection,
        id: Uuid,
        first: DateTime<Utc>,
        at: DateTime<Utc>,
        outcome: &Outcome,
    ) -> QueryResult<()> {
        let target = webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::status.eq("pending"));
        let common = (
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::first_attempt_at.eq(first),
            webhook_deliveries::last_attempt_at.eq(at),
        );
        match outcome {
            Outcome::Delivered { status_code } => diesel::update(target)
                .set((
                    common,
                    webhook_deliveries::status.eq("delivered"),
                    webhook_deliveries::delivered_at.eq(at),
                    webhook_deliveries::last_status_code.eq(*status_code),
                    webhook_deliveries::last_error.eq(None::<String>),
                ))
                .execute(conn)?,
            Outcome::Failed {
                status_code,
                error,
                retry_at,
            } => diesel::update(target)
                .set((
                    common,
                    webhook_deliveries::last_status_code.eq(*status_code),
                    webhook_deliveries::last_error.eq(error),
                    webhook_deliveries::next_attempt_at.eq(retry_at.unwrap_or(at)),
                    webhook_deliveries::status.eq(if retry_at.is_some() {
                        "pending"
                    } else {
                        "failed"
                    }),
                    webhook_deliveries::failed_at.eq(if retry_at.is_some() {
                        None
                    } else {
                        Some(at)
                    }),
                ))
                .execute(conn)?,
        };
        Ok(())
    }

    /// A subscription's deliveries, newest first, optionally of one status.
    pub fn page(
        conn: &mut PgConnection,
        subscription: Uuid,
        status: Option<&str>,
        before: Option<Uuid>,
        fetch: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut query = webhook_deliveries::table
            .filter(webhook_deliveries::subscription_id.eq(subscription))
            .select(Self::as_select())
            .order(webhook_deliveries::id.desc())
            .limit(fetch)
            .into_boxed();
        if let Some(s) = status {
            query = query.filter(webhook_deliveries::status.eq(s.to_string()));
        }
        if let Some(b) = before {
            query = query.filter(webhook_deliveries::id.lt(b));
        }
        query.load(conn)
    }
}

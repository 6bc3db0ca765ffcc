//! The change feed: every create, update, delete and lifecycle action the caller may read, in a
//! gap-free order, with a cursor to resume from and an optional long poll.

use std::time::{Duration, Instant};

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db::{self, PgPool};
use crate::domain::feed::parse_types;
use crate::error::ApiError;
use crate::extract::Query;
use crate::models::audit::{CommittedEvent, FeedPosition};
use crate::models::feed::{self, Reader};
use crate::routes::{Db, FeedCursor, Limit};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

/// Longest long poll, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 30;
/// How often a long poll looks again while it waits.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// One change: what changed, how, when, in which request, and the record as the change left it
/// (a tombstone for a delete).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "event_id": "0193c6f0-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "entity_type": "risk", "entity_id": "0193d000-0000-7000-8000-000000000005",
    "version": 2, "action": "update", "occurred_at": "2026-11-23T09:00:00Z",
    "request_id": "0193c6f0-1a2b-7c3d-8e4f-000000000001", "authority": "RCH", "deleted": false,
    "resource": {"id": "0193d000-0000-7000-8000-000000000005", "reference": "RCH-RISK-2026-0005",
        "authority": "RCH", "title": "Provider market failure", "likelihood": 3, "impact": 4,
        "score": 12, "status": "mitigating", "version": 2},
    "cursor": "AAAAAAAAA-gBk8bwGix8PY5PWmt8jZ4P"
}))]
pub struct Change {
    /// The audit event's id: unique per change (and the `webhook-id` of its deliveries).
    pub event_id: Uuid,
    /// What kind of record, e.g. `commissioning_intention`, `savings_line`.
    pub entity_type: String,
    pub entity_id: Uuid,
    /// The record's version after the change (before it, for a delete); `null` for records
    /// without one.
    pub version: Option<i64>,
    /// `create`, `update`, `delete`, or a lifecycle action (`submit`, `approve`, …).
    pub action: String,
    pub occurred_at: DateTime<Utc>,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: String,
    /// The authority the writer acted for.
    pub authority: String,
    /// `true` for a delete: `resource` is then a tombstone.
    pub deleted: bool,
    /// The record as the change left it, in its API representation; for a delete, the tombstone
    /// `{id, deleted: true, deleted_at}`.
    #[schema(value_type = Object)]
    pub resource: serde_json::Value,
    /// The feed position just after this change (to resume from it).
    pub cursor: String,
}

impl From<CommittedEvent> for Change {
    fn from(c: CommittedEvent) -> Self {
        let cursor = FeedCursor::encode(c.position());
        let e = c.event;
        let record = e.after.as_ref().or(e.before.as_ref());
        let version = record
            .and_then(|r| r.get("version"))
            .and_then(|v| v.as_i64());
        let deleted = e.after.is_none();
        let resource = match e.after {
            Some(after) => after,
            None => serde_json::json!({
                "id": e.entity_id, "deleted": true, "deleted_at": e.occurred_at
            }),
        };
        Change {
            event_id: e.id,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            version,
            action: e.action,
            occurred_at: e.occurred_at,
            request_id: e.request_id,
            authority: e.authority_code,
            deleted,
            resource,
            cursor,
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<Change>,
    /// Always present: pass it as `after` next time, even after an empty page, to resume exactly
    /// where this page ended.
    #[schema(example = "AAAAAAAAA-gBk8bwGix8PY5PWmt8jZ4P")]
    pub next_cursor: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// Resume after this position (a previous page's `next_cursor`); from the beginning when
    /// left out.
    #[param(value_type = Option<FeedCursor>)]
    pub after: Option<FeedCursor>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// Only these entity types, comma separated (e.g. `risk,contract`); 422 for a type the feed
    /// does not carry.
    #[param(example = "commissioning_intention,savings_line")]
    pub types: Option<String>,
    /// Long poll: when nothing is there yet, wait up to this many seconds (0 to 30) for a change
    /// and answer as soon as one arrives.
    #[param(minimum = 0, maximum = 30, example = 25)]
    pub wait: Option<u64>,
}

/// One page of the feed for `reader`, waiting up to `wait` for something to arrive.
pub async fn read_page(
    pool: &PgPool,
    reader: Reader,
    after: Option<FeedPosition>,
    types: Option<Vec<String>>,
    limit: Limit,
    wait: Duration,
) -> Result<ChangePage, ApiError> {
    let deadline = Instant::now() + wait;
    loop {
        let (reader2, types2) = (reader.clone(), types.clone());
        let (rows, horizon) = db::run(pool, move |conn| {
            let horizon = feed::horizon(conn)?;
            let rows = feed::visible_page(
                conn,
                &reader2,
                after,
                types2.as_deref(),
                horizon,
                limit.fetch(),
            )?;
            Ok((rows, horizon))
        })
        .await?;
        if !rows.is_empty() || Instant::now() >= deadline {
            return Ok(page_of(rows, limit, horizon, after));
        }
        // The connection went back to the pool before the sleep.
        actix_web::rt::time::sleep(POLL_EVERY.min(deadline - Instant::now())).await;
    }
}

fn page_of(
    mut rows: Vec<CommittedEvent>,
    limit: Limit,
    horizon: i64,
    after: Option<FeedPosition>,
) -> ChangePage {
    let more = rows.len() as i64 > limit.0;
    rows.truncate(limit.0 as usize);
    // A full page resumes after its last item; a short one has seen every ended transaction,
    // the ones it may not read included, so it resumes at the horizon.
    let next = match rows.last() {
        Some(last) if more => last.position(),
        _ => feed::resume_at(horizon, after),
    };
    ChangePage {
        items: rows.into_iter().map(Change::from).collect(),
        next_cursor: FeedCursor::encode(next),
    }
}

/// The change feed: every create, update, delete and lifecycle action on the records the caller
/// may read (any authenticated caller reads most records; savings lines follow the savings
/// scope; webhook subscriptions only the owning authority's admins), oldest first.
///
/// **Gap-free.** Changes are ordered by the transaction that made them, and a page holds only
/// changes of transactions that have ended (older than the oldest one still running), so a
/// transaction that commits late always sorts after everything already returned: resuming from
/// `next_cursor` never misses a change and never repeats one. A record's changes come in the
/// order they were made. A change is in the feed within moments of its commit (a transaction
/// left running holds the feed back until it ends).
///
/// **Polling.** Keep the last `next_cursor` and pass it as `after`. With `wait` (up to 30 s)
/// an empty page waits for the next change and answers as soon as one arrives.
#[utoipa::path(tag = "Change feed", security(("bearer" = [])), params(ChangeParams),
    responses((status = 200, description = "A page of changes", body = ChangePage),
        (status = 422, description = "An unknown entity type, a bad cursor or a wait above 30 s", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/changes")]
async fn list(
    pool: Db,
    caller: Caller,
    params: Query<ChangeParams>,
) -> Result<web::Json<ChangePage>, ApiError> {
    let Query(p) = params;
    let types = p
        .types
        .as_deref()
        .map(parse_types)
        .transpose()
        .map_err(|e| ApiError::invalid("types", e))?;
    let wait = p.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECONDS {
        return Err(ApiError::invalid(
            "wait",
            format!("wait at most {MAX_WAIT_SECONDS} seconds, not {wait}"),
        ));
    }
    let reader = Reader {
        authority: caller.authority.to_string(),
        roles: caller.roles.clone(),
    };
    let page = read_page(
        &pool,
        reader,
        p.after.map(|c| c.0),
        types,
        p.limit,
        Duration::from_secs(wait),
    )
    .await?;
    Ok(web::Json(page))
}

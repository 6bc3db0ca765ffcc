//! The audit trail, for auditors and admins of the caller's own authority.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::db;
use crate::error::ApiError;
use crate::extract::Query;
use crate::models::audit::{AuditEventRow, AuditFilter};
use crate::routes::{Cursor, Db, Limit, Page};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

/// One write: who made it, when, in which request, and the record before and after.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193c6f0-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "occurred_at": "2026-11-23T09:00:00Z",
    "subject": "jo.bloggs@rochdale.gov.uk", "authority": "RCH", "action": "update",
    "entity_type": "commissioning_intention", "entity_id": "0193b000-0000-7000-8000-000000000007",
    "before": {"version": 1, "tranche": 2}, "after": {"version": 2, "tranche": 1},
    "request_id": "0193c6f0-1a2b-7c3d-8e4f-000000000001"
}))]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The token's subject.
    pub subject: String,
    /// The authority the writer acted for.
    pub authority: String,
    /// `create`, `update`, or a lifecycle action.
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: String,
}

impl From<AuditEventRow> for AuditEvent {
    fn from(r: AuditEventRow) -> Self {
        AuditEvent {
            id: r.id,
            occurred_at: r.occurred_at,
            subject: r.subject,
            authority: r.authority_code,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// e.g. `commissioning_intention`, `authority`.
    #[param(example = "commissioning_intention")]
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// Audit events of writes made by the caller's authority, oldest first (`auditor` or `admin`).
#[utoipa::path(tag = "Audit", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, description = "A page of audit events", body = Page<AuditEvent>)))]
#[get("/audit-events")]
async fn list(
    pool: Db,
    caller: Caller,
    params: Query<AuditParams>,
) -> Result<web::Json<Page<AuditEvent>>, ApiError> {
    caller.require_role(&[Role::Auditor, Role::Admin])?;
    let Query(p) = params;
    let filter = AuditFilter {
        authority_code: caller.authority.to_string(),
        entity_type: p.entity_type,
        entity_id: p.entity_id,
    };
    let limit = p.limit;
    let rows = db::run(&pool, move |conn| {
        Ok(AuditEventRow::page(
            conn,
            &filter,
            p.cursor.map(|c| c.0),
            limit.fetch(),
        )?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |r| r.id,
        AuditEvent::from,
    )))
}

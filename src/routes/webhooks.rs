//! Webhook subscriptions (the owning authority's admins manage them), their deliveries, and
//! redelivery. The worker that delivers is `crate::webhooks`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::config::WebhookConfig;
use crate::db;
use crate::domain::feed::type_names;
use crate::domain::webhooks::{check_url, new_secret, secret_key};
use crate::error::{ApiError, FieldError};
use crate::extract::{IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::feed;
use crate::models::webhooks::{DeliveryRow, SubscriptionChanges, SubscriptionRow};
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};
use crate::webhooks::{TargetError, resolve_target};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update)
        .service(remove)
        .service(deliveries)
        .service(redeliver);
}

const ENTITY: &str = "webhook_subscription";

/// A webhook subscription (its secret is shown only when it is created).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0194a000-0000-7000-8000-000000000001", "authority": "RCH",
    "url": "https://finance.rochdale.gov.uk/hooks/commissioning",
    "event_types": ["savings_line", "commissioning_intention"],
    "description": "Oracle Fusion savings sync", "active": true, "version": 1,
    "created_by": "admin@rochdale.gov.uk",
    "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-01T09:00:00Z"
}))]
pub struct Webhook {
    pub id: Uuid,
    /// The owning authority: the subscription gets the changes this authority may read.
    pub authority: String,
    pub url: String,
    /// Entity types delivered (as in the change feed); empty for all.
    pub event_types: Vec<String>,
    pub description: String,
    /// An inactive subscription is paused: nothing is queued or sent until it is active again,
    /// and then it resumes where it stopped.
    pub active: bool,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SubscriptionRow> for Webhook {
    fn from(r: SubscriptionRow) -> Self {
        Webhook {
            id: r.id,
            authority: r.authority_code,
            url: r.url,
            event_types: r.event_types,
            description: r.description,
            active: r.active,
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new subscription, with its signing secret: keep it, it is not shown again.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0194a000-0000-7000-8000-000000000001", "authority": "RCH",
    "url": "https://finance.rochdale.gov.uk/hooks/commissioning",
    "event_types": ["savings_line"], "description": "", "active": true, "version": 1,
    "created_by": "admin@rochdale.gov.uk",
    "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-01T09:00:00Z",
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
}))]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The signing secret (`whsec_` + base64 key).
    pub secret: String,
}

/// A new subscription for the caller's authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://finance.rochdale.gov.uk/hooks/commissioning",
    "event_types": ["savings_line", "commissioning_intention"],
    "description": "Oracle Fusion savings sync"
}))]
pub struct NewWebhook {
    /// Where to POST: `http` or `https`, on a public address.
    pub url: String,
    /// Entity types to deliver (see the change feed); empty or left out for all.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Your own signing secret (`whsec_` + base64 of 24 to 64 bytes); one is generated when left
    /// out.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A partial update (JSON merge patch).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct WebhookPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub event_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
}

/// One delivery of one change to one subscription.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0194a100-0000-7000-8000-000000000001",
    "event_id": "0193c6f0-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "event_type": "savings_line.update",
    "status": "failed", "attempts": 14, "next_attempt_at": "2026-12-02T09:00:00Z",
    "first_attempt_at": "2026-12-01T09:00:00Z", "last_attempt_at": "2026-12-02T08:10:00Z",
    "last_status_code": 503, "last_error": "the receiver answered 503", "redelivery_of": null,
    "created_at": "2026-12-01T09:00:00Z", "delivered_at": null, "failed_at": "2026-12-02T08:10:00Z",
    "payload": {"type": "savings_line.update", "timestamp": "2026-12-01T09:00:00Z", "data": {}}
}))]
pub struct Delivery {
    pub id: Uuid,
    /// The change delivered; also the `webhook-id` header, the same on every attempt.
    pub event_id: Uuid,
    /// `<entity_type>.<action>`.
    pub event_type: String,
    /// `pending` (queued or being retried), `delivered`, or `failed` (the retry window closed).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// The delivery this one repeats, for a redelivery.
    pub redelivery_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    /// The body sent: `{type, timestamp, data}` with the change-feed entry as `data`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<DeliveryRow> for Delivery {
    fn from(r: DeliveryRow) -> Self {
        Delivery {
            id: r.id,
            event_id: r.event_id,
            event_type: r.event_type,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            first_attempt_at: r.first_attempt_at,
            last_attempt_at: r.last_attempt_at,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            redelivery_of: r.redelivery_of,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
            failed_at: r.failed_at,
            payload: r.payload,
        }
    }
}

fn check_types(types: &[String]) -> Vec<FieldError> {
    let known = type_names();
    types
        .iter()
        .enumerate()
        .filter(|(_, t)| !known.contains(&t.as_str()))
        .map(|(i, t)| {
            FieldError::new(
                format!("event_types[{i}]"),
                format!(
                    "{t:?} is not an entity type of the feed; use any of: {}",
                    known.join(", ")
                ),
            )
        })
        .collect()
}

/// A target URL the service may call: well formed and, unless configured otherwise, not on an
/// internal address (checked again at every delivery, after DNS resolution).
async fn check_target(raw: &str, config: &WebhookConfig) -> Result<String, FieldError> {
    let url = check_url(raw).map_err(|e| FieldError::new("url", e))?;
    match resolve_target(&url, config.allow_private_targets).await {
        Err(TargetError::Internal(why)) => Err(FieldError::new("url", why)),
        // A name that does not resolve yet is accepted; delivery checks it when it does.
        Ok(_) | Err(TargetError::Unresolved(_)) => Ok(url.to_string()),
    }
}

fn not_found(id: Uuid) -> impl Fn(diesel::result::Error) -> ApiError {
    move |e| match e {
        diesel::result::Error::NotFound => {
            ApiError::NotFound(format!("no webhook subscription {id} of your authority"))
        }
        e => e.into(),
    }
}

fn audit_json(view: &Webhook) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(view).map_err(ApiError::internal)
}

/// Subscribe a URL to the changes the caller's authority may read (`admin`). The response
/// carries the signing secret, once. Deliveries start with the changes after this moment.
#[utoipa::path(tag = "Webhooks", security(("bearer" = [])), request_body = NewWebhook,
    responses((status = 201, description = "Subscribed; keep the secret", body = CreatedWebhook,
        headers(("Location" = String, description = "URL of the subscription"), ("ETag" = String, description = "The record's version"))),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad or internal URL, an unknown event type or a bad secret", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/webhooks")]
async fn create(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    config: web::Data<WebhookConfig>,
    body: Json<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let mut problems = check_types(&new.event_types);
    let url = check_target(&new.url, &config)
        .await
        .map_err(|e| problems.push(e))
        .ok();
    if let Some(s) = &new.secret
        && let Err(e) = secret_key(s)
    {
        problems.push(FieldError::new("secret", e));
    }
    let (Some(url), true) = (url, problems.is_empty()) else {
        return Err(ApiError::invalid_fields(problems));
    };
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/webhooks",
        fingerprint,
        move |conn, caller| {
            let start = feed::resume_at(feed::horizon(conn)?, None);
            let now = Utc::now();
            let secret = new.secret.unwrap_or_else(new_secret);
            let row = SubscriptionRow::insert(
                conn,
                &SubscriptionRow {
                    id: Uuid::now_v7(),
                    authority_code: caller.authority.to_string(),
                    url,
                    event_types: new.event_types,
                    secret: secret.clone(),
                    description: new.description,
                    active: new.active,
                    cursor_txid: start.txid,
                    cursor_id: start.id,
                    lease_until: None,
                    lease_token: None,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = Webhook::from(row);
            AuditEventRow::record(
                conn,
                caller,
                "create",
                ENTITY,
                view.id,
                None,
                Some(audit_json(&view)?),
            )?;
            let location = format!("/v1/webhooks/{}", view.id);
            let version = view.version;
            Created::new(
                &CreatedWebhook {
                    webhook: view,
                    secret,
                },
                location,
                version,
            )
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookListParams {
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// The caller's authority's subscriptions (`admin`), oldest first.
#[utoipa::path(tag = "Webhooks", security(("bearer" = [])), params(WebhookListParams),
    responses((status = 200, description = "A page of subscriptions", body = Page<Webhook>),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/webhooks")]
async fn list(
    pool: Db,
    caller: Caller,
    params: Query<WebhookListParams>,
) -> Result<web::Json<Page<Webhook>>, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let Query(p) = params;
    let authority = caller.authority.to_string();
    let rows = db::run(&pool, move |conn| {
        Ok(SubscriptionRow::page(
            conn,
            &authority,
            p.cursor.map(|c| c.0),
            p.limit.fetch(),
        )?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        p.limit,
        |r| r.id,
        Webhook::from,
    )))
}

/// One subscription of the caller's authority (`admin`; another authority's is 404).
#[utoipa::path(tag = "Webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription", body = Webhook,
        headers(("ETag" = String, description = "The record's version"))),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/webhooks/{id}")]
async fn read(pool: Db, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let id = id.into_inner();
    let authority = caller.authority.to_string();
    let row = db::run(&pool, move |conn| {
        SubscriptionRow::find(conn, id, &authority).map_err(not_found(id))
    })
    .await?;
    let view = Webhook::from(row);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change a subscription (`admin`): its URL (checked as on creation), event types, description,
/// or `active` to pause and resume it.
#[utoipa::path(tag = "Webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id")),
    request_body(content = WebhookPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated subscription", body = Webhook,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/webhooks/{id}")]
async fn update(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    config: web::Data<WebhookConfig>,
    body: Json<WebhookPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let id = id.into_inner();
    let patch = body.value;
    let mut problems = patch
        .event_types
        .as_deref()
        .map(check_types)
        .unwrap_or_default();
    let url = match &patch.url {
        Some(u) => check_target(u, &config)
            .await
            .map_err(|e| problems.push(e))
            .ok(),
        None => None,
    };
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let view = db::transaction(&pool, move |conn| {
        let row = SubscriptionRow::find_for_update(conn, id, caller.authority.as_str())
            .map_err(not_found(id))?;
        if_match.check(row.version)?;
        let before = Webhook::from(row);
        let changes = SubscriptionChanges {
            url,
            event_types: patch.event_types,
            description: patch.description,
            active: patch.active,
            secret: None,
        };
        let after = Webhook::from(SubscriptionRow::update(conn, id, &changes)?);
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            ENTITY,
            id,
            Some(audit_json(&before)?),
            Some(audit_json(&after)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Delete a subscription and its deliveries (`admin`).
#[utoipa::path(tag = "Webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/webhooks/{id}")]
async fn remove(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let id = id.into_inner();
    db::transaction(&pool, move |conn| {
        let row = SubscriptionRow::find_for_update(conn, id, caller.authority.as_str())
            .map_err(not_found(id))?;
        if_match.check(row.version)?;
        let before = Webhook::from(row);
        SubscriptionRow::delete(conn, id)?;
        AuditEventRow::record(
            conn,
            &caller,
            "delete",
            ENTITY,
            id,
            Some(audit_json(&before)?),
            None,
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Only deliveries in this state.
    #[param(inline, value_type = Option<DeliveryStatus>)]
    pub status: Option<DeliveryStatus>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// The state of a delivery.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// A subscription's deliveries, newest first (`admin`): what was sent, how often, what the
/// receiver answered, and which failed for good.
#[utoipa::path(tag = "Webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id"), DeliveryParams),
    responses((status = 200, description = "A page of deliveries", body = Page<Delivery>),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription of your authority", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/webhooks/{id}/deliveries")]
async fn deliveries(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    params: Query<DeliveryParams>,
) -> Result<web::Json<Page<Delivery>>, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let id = id.into_inner();
    let Query(p) = params;
    let authority = caller.authority.to_string();
    let rows = db::run(&pool, move |conn| {
        SubscriptionRow::find(conn, id, &authority).map_err(not_found(id))?;
        let status: Option<&'static str> = p.status.map(Into::into);
        Ok(DeliveryRow::page(
            conn,
            id,
            status,
            p.cursor.map(|c| c.0),
            p.limit.fetch(),
        )?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        p.limit,
        |r| r.id,
        Delivery::from,
    )))
}

/// Send a delivered or failed delivery again (`admin`): a new delivery of the same change (the
/// same `webhook-id`), queued behind those already waiting. A pending one is 409.
#[utoipa::path(tag = "Webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Subscription id"), ("delivery_id" = Uuid, Path, description = "Delivery id")),
    responses((status = 202, description = "Queued", body = Delivery),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery of your authority", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The delivery is still pending", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
async fn redeliver(
    pool: Db,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let (id, delivery_id) = path.into_inner();
    let authority = caller.authority.to_string();
    let view = db::transaction(&pool, move |conn| {
        SubscriptionRow::find_for_update(conn, id, &authority).map_err(not_found(id))?;
        let old = DeliveryRow::find(conn, id, delivery_id).map_err(|e| match e {
            diesel::result::Error::NotFound => {
                ApiError::NotFound(format!("no delivery {delivery_id} of subscription {id}"))
            }
            e => e.into(),
        })?;
        if old.status == "pending" {
            return Err(ApiError::Conflict(
                "the delivery is still pending: it is retried on its own".into(),
            ));
        }
        let new = DeliveryRow::queued(id, old.event_id, old.event_type, old.payload, Some(old.id));
        DeliveryRow::insert_all(conn, std::slice::from_ref(&new))?;
        Ok(Delivery::from(DeliveryRow::find(conn, id, new.id)?))
    })
    .await?;
    Ok(HttpResponse::Accepted().json(view))
}

//! The risk register: create, read, list (highest score first) and partial update of the risks to
//! an authority's plan, its procurements and its contracts.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_with::rust::double_option;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::risks::{
    Impact, Likelihood, RiskStatus, Score, WRITERS, check_owner, check_title,
};
use crate::domain::values::AuthorityCode;
use crate::error::{ApiError, FieldError};
use crate::extract::{IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::contracts::ContractRow;
use crate::models::intentions::{IntentionRow, next_reference};
use crate::models::pids::PidRow;
use crate::models::reference::AuthorityRow;
use crate::models::risks::{After, RiskChanges, RiskFilter, RiskRow, RiskWithCode};
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update);
}

const ENTITY: &str = "risk";

/// A risk on an authority's register.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193d000-0000-7000-8000-000000000005",
    "reference": "RCH-RISK-2026-0005",
    "authority": "RCH",
    "title": "The additional support needed to bridge the resource gap cannot be secured",
    "description": "The Commissioning and Contracts team's projected input exceeds its establishment.",
    "likelihood": 4,
    "impact": 4,
    "score": 16,
    "mitigation": "Look at all options available, including support from other areas within the Council.",
    "owner": "Head of Commissioning and Contracts",
    "status": "open",
    "intention_id": null,
    "contract_id": null,
    "pid_id": null,
    "version": 1,
    "created_by": "jo.bloggs@rochdale.gov.uk",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct Risk {
    pub id: Uuid,
    /// Human reference, unique within the authority, e.g. `RCH-RISK-2026-0005`.
    pub reference: String,
    /// The owning authority.
    pub authority: AuthorityCode,
    pub title: String,
    pub description: String,
    pub likelihood: Likelihood,
    pub impact: Impact,
    /// Read-only: likelihood × impact, kept up to date as they change.
    pub score: Score,
    /// What is being done to reduce the likelihood or the impact.
    pub mitigation: String,
    /// The role or officer answerable for the risk.
    pub owner: String,
    pub status: RiskStatus,
    /// The commissioning intention the risk is to, if any (of the same authority).
    pub intention_id: Option<Uuid>,
    /// The contract the risk is to, if any (of the same authority).
    pub contract_id: Option<Uuid>,
    /// The procurement initiation document the risk is to, if any (of the same authority).
    pub pid_id: Option<Uuid>,
    /// Moves on by one with every change; the ETag carries it.
    pub version: i32,
    /// Subject of the token that created it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<RiskWithCode> for Risk {
    fn from((row, authority): RiskWithCode) -> Self {
        Risk {
            id: row.id,
            reference: row.reference,
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            title: row.title,
            description: row.description,
            likelihood: row.likelihood,
            impact: row.impact,
            score: Score::of(row.likelihood, row.impact),
            mitigation: row.mitigation,
            owner: row.owner,
            status: row.status,
            intention_id: row.intention_id,
            contract_id: row.contract_id,
            pid_id: row.pid_id,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Risk {
    fn audit_json(&self) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(self).map_err(ApiError::internal)
    }
}

/// A new risk. The owner is the caller's authority; the score is worked out from likelihood and
/// impact. Links must be to the same authority's records.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Sufficient support from Corporate Procurement cannot be released to address breaches and waivers",
    "description": "Breaches of the Contract Procedure Rules and waivers keep being reported to audit committee.",
    "likelihood": 3,
    "impact": 5,
    "mitigation": "Agree the feasibility and the arrangements with Corporate Procurement as soon as possible.",
    "owner": "Head of Procurement",
    "status": "open",
    "intention_id": "0193b000-0000-7000-8000-000000000024",
    "contract_id": null,
    "pid_id": null
}))]
pub struct NewRisk {
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub likelihood: Likelihood,
    pub impact: Impact,
    #[serde(default)]
    pub mitigation: String,
    /// The role or officer answerable for the risk.
    #[schema(min_length = 1, max_length = 200)]
    pub owner: String,
    /// `open` when not given.
    #[serde(default)]
    pub status: RiskStatus,
    #[serde(default)]
    pub intention_id: Option<Uuid>,
    #[serde(default)]
    pub contract_id: Option<Uuid>,
    #[serde(default)]
    pub pid_id: Option<Uuid>,
}

/// A partial update (JSON merge patch): fields left out stay as they are; `null` clears a link.
/// Changing likelihood or impact changes the score.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"likelihood": 2, "status": "mitigating", "contract_id": null}))]
pub struct RiskPatch {
    #[schema(min_length = 1, max_length = 300)]
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub likelihood: Option<Likelihood>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub impact: Option<Impact>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub mitigation: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub status: Option<RiskStatus>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub intention_id: Option<Option<Uuid>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub contract_id: Option<Option<Uuid>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub pid_id: Option<Option<Uuid>>,
}

/// A position in the register's order (score, then id), opaque to callers: base64url of the last
/// risk's score (2 bytes, big-endian) and id (16 bytes).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub struct RiskCursor(After);

impl RiskCursor {
    fn encode(after: After) -> String {
        let mut bytes = Vec::with_capacity(18);
        bytes.extend_from_slice(&after.score.get().to_be_bytes());
        bytes.extend_from_slice(after.id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

impl TryFrom<String> for RiskCursor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let bytes = URL_SAFE_NO_PAD.decode(s.as_bytes()).ok();
        bytes
            .filter(|b| b.len() == 18)
            .and_then(|b| {
                let score = Score::try_from(i16::from_be_bytes([b[0], b[1]])).ok()?;
                let id = Uuid::from_slice(&b[2..]).ok()?;
                Some(RiskCursor(After { score, id }))
            })
            .ok_or_else(|| {
                "not a cursor this API issued; pass next_cursor from the previous page".to_string()
            })
    }
}

/// Filters and paging for the register.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this authority's risks.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    pub status: Option<RiskStatus>,
    /// Only risks whose owner contains this text, ignoring case.
    #[param(example = "commissioning")]
    pub owner: Option<String>,
    /// Only risks scoring at least this (1 to 25).
    #[param(value_type = Option<Score>, example = 12)]
    pub min_score: Option<Score>,
    /// Only risks linked to this commissioning intention.
    pub intention_id: Option<Uuid>,
    /// Only risks linked to this contract.
    pub contract_id: Option<Uuid>,
    /// Only risks linked to this procurement initiation document.
    pub pid_id: Option<Uuid>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<RiskCursor>,
}

/// The problems with a new or changed title and owner, each naming its field.
fn check_text(
    title: Option<&str>,
    owner: Option<&str>,
) -> (Option<String>, Option<String>, Vec<FieldError>) {
    let mut problems = Vec::new();
    let title = title.and_then(|t| {
        check_title(t)
            .map_err(|m| problems.push(FieldError::new("title", m)))
            .ok()
    });
    let owner = owner.and_then(|o| {
        check_owner(o)
            .map_err(|m| problems.push(FieldError::new("owner", m)))
            .ok()
    });
    (title, owner, problems)
}

/// Problems with the records a risk of `authority` links to: each must exist and be the
/// authority's own.
fn link_problems(
    conn: &mut diesel::PgConnection,
    authority: &str,
    intention_id: Option<Uuid>,
    contract_id: Option<Uuid>,
    pid_id: Option<Uuid>,
) -> Result<Vec<FieldError>, ApiError> {
    let mut problems = Vec::new();
    let mut check = |field: &str, what: &str, id: Uuid, owner: Option<String>| {
        match owner {
        None => problems.push(FieldError::new(field, format!("no {what} has id {id}"))),
        Some(owner) if owner != authority => problems.push(FieldError::new(
            field,
            format!("{what} {id} belongs to {owner}; a risk of {authority} may only link {authority}'s own records"),
        )),
        Some(_) => {}
    }
    };
    if let Some(id) = intention_id {
        check(
            "intention_id",
            "commissioning intention",
            id,
            IntentionRow::owner(conn, id)?,
        );
    }
    if let Some(id) = contract_id {
        check("contract_id", "contract", id, ContractRow::owner(conn, id)?);
    }
    if let Some(id) = pid_id {
        check(
            "pid_id",
            "procurement initiation document",
            id,
            PidRow::owner(conn, id)?,
        );
    }
    Ok(problems)
}

/// Create a risk on the caller's authority's register (`commissioner`, `procurement` or `admin`).
/// `intention_id`, `contract_id` and `pid_id` must name records of the same authority.
#[utoipa::path(tag = "Risks", security(("bearer" = [])), request_body = NewRisk,
    responses((status = 201, description = "Created", body = Risk,
        headers(("Location" = String, description = "URL of the new risk"), ("ETag" = String, description = "The record's version")))))]
#[post("/risks")]
async fn create(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewRisk>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let (title, owner, problems) = check_text(Some(&new.title), Some(&new.owner));
    let (Some(title), Some(owner)) = (title, owner) else {
        return Err(ApiError::invalid_fields(problems));
    };
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/risks",
        fingerprint,
        move |conn, caller| {
            let authority =
                AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
                    ApiError::Forbidden(format!(
                        "the token's authority {} is not registered here",
                        caller.authority
                    ))
                })?;
            let problems = link_problems(
                conn,
                &authority.code,
                new.intention_id,
                new.contract_id,
                new.pid_id,
            )?;
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
            let now = Utc::now();
            let reference =
                next_reference(conn, authority.id, &authority.code, "RISK", now.year())?;
            let row = RiskRow::insert(
                conn,
                &RiskRow {
                    id: Uuid::now_v7(),
                    authority_id: authority.id,
                    reference,
                    title,
                    description: new.description,
                    likelihood: new.likelihood,
                    impact: new.impact,
                    mitigation: new.mitigation,
                    owner,
                    status: new.status,
                    intention_id: new.intention_id,
                    contract_id: new.contract_id,
                    pid_id: new.pid_id,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = Risk::from((row, authority.code));
            AuditEventRow::record(
                conn,
                caller,
                "create",
                ENTITY,
                view.id,
                None,
                Some(view.audit_json()?),
            )?;
            Created::new(&view, format!("/v1/risks/{}", view.id), view.version)
        },
    )
    .await
}

/// List risks across all authorities, filtered, highest score first (ties by id, so the order is
/// stable across pages).
#[utoipa::path(tag = "Risks", security(("bearer" = [])), params(ListParams),
    responses((status = 200, description = "A page of risks", body = Page<Risk>)))]
#[get("/risks")]
async fn list(
    pool: Db,
    _caller: Caller,
    params: Query<ListParams>,
) -> Result<web::Json<Page<Risk>>, ApiError> {
    let Query(p) = params;
    let filter = RiskFilter {
        authority: p.authority.map(String::from),
        status: p.status,
        owner: p.owner,
        min_score: p.min_score,
        intention_id: p.intention_id,
        contract_id: p.contract_id,
        pid_id: p.pid_id,
    };
    let fetch = p.limit.fetch();
    let mut rows = db::run(&pool, move |conn| {
        Ok(RiskRow::page(conn, &filter, p.cursor.map(|c| c.0), fetch)?)
    })
    .await?;
    // One row more than the page was fetched, only to know that another page follows.
    let more = rows.len() as i64 >= fetch;
    rows.truncate((fetch - 1) as usize);
    let items: Vec<Risk> = rows.into_iter().map(Risk::from).collect();
    let next_cursor = if more {
        items.last().map(|r| {
            RiskCursor::encode(After {
                score: r.score,
                id: r.id,
            })
        })
    } else {
        None
    };
    Ok(web::Json(Page { items, next_cursor }))
}

/// One risk. Any authenticated caller may read any authority's register.
#[utoipa::path(tag = "Risks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Risk id")),
    responses((status = 200, description = "The risk", body = Risk,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/risks/{id}")]
async fn read(pool: Db, _caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::run(&pool, move |conn| Ok(RiskRow::find(conn, id)?)).await?;
    let view = Risk::from(found);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change some fields of a risk (the owning authority's `commissioner`, `procurement` or `admin`),
/// including its status (`open`, `mitigating`, `closed`, `realised`). Send the ETag as `If-Match`
/// to be refused (412) if someone else changed it first.
#[utoipa::path(tag = "Risks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Risk id")),
    request_body(content = RiskPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated risk", body = Risk,
        headers(("ETag" = String, description = "The record's new version")))))]
#[patch("/risks/{id}")]
async fn update(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<RiskPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let (title, owner, problems) = check_text(patch.title.as_deref(), patch.owner.as_deref());
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let view = db::transaction(&pool, move |conn| {
        let (row, authority) = RiskRow::find_for_update(conn, id)?;
        caller.require_to_change(WRITERS, &authority)?;
        if_match.check(row.version)?;
        // Only links being set are checked: one already stored was checked when it was set.
        let problems = link_problems(
            conn,
            &authority,
            patch.intention_id.flatten(),
            patch.contract_id.flatten(),
            patch.pid_id.flatten(),
        )?;
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        let changes = RiskChanges {
            title,
            description: patch.description,
            likelihood: patch.likelihood,
            impact: patch.impact,
            mitigation: patch.mitigation,
            owner,
            status: patch.status,
            intention_id: patch.intention_id,
            contract_id: patch.contract_id,
            pid_id: patch.pid_id,
        };
        let before = Risk::from((row, authority.clone()));
        let updated = RiskRow::update(conn, id, &changes)?;
        let after = Risk::from((updated, authority));
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            ENTITY,
            id,
            Some(before.audit_json()?),
            Some(after.audit_json()?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

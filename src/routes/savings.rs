//! Savings forecasts: savings lines with a monthly profile (create, read, change, delete with a
//! tombstone), the incremental pull, the forecast grouped by any dimension (JSON or CSV, live or
//! as at a snapshot), snapshots and the diff between two.
//!
//! Who sees what: `finance`, `commissioner`, `procurement`, `admin` and `auditor` read every line
//! of their own authority; `finance` with `authority: STAR` reads all; `partner` reads the lines
//! of any authority attached to a collaboration opportunity that both its authority and the
//! line's owner take part in. Lines outside the caller's scope are left out of lists and the
//! forecast, and reading, changing or deleting one is 404 (its existence is not revealed). A
//! caller with none of those roles is refused (403).

use std::collections::BTreeMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::db;
use crate::domain::savings::{
    Probability, READERS, SavingsConfidence, SavingsDimension, SavingsKind, SavingsStatus, WRITERS,
    check_budget_code, check_label, parse_group_by, pounds, risk_adjusted_total, split_quarters,
};
use crate::domain::values::{AuthorityCode, FinancialYear, Pence};
use crate::error::{ApiError, FieldError};
use crate::extract::{IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::contracts::ContractRow;
use crate::models::intentions::IntentionRow;
use crate::models::reference::AuthorityRow;
use crate::models::savings::{
    self as m, ForecastFilter, LineWithCode, SavingsLineChanges, SavingsLineRow, Scope,
    SnapshotRow, Source,
};
use crate::routes::{Created, Db, Limit, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(forecast)
        .service(create_line)
        .service(pull)
        .service(read_line)
        .service(update_line)
        .service(delete_line)
        .service(take_snapshot)
        .service(list_snapshots)
        .service(diff);
}

const ENTITY: &str = "savings_line";

/// The lines a caller may read; 403 when the caller has no role that reads any.
fn scope_of(caller: &Caller) -> Result<Scope, ApiError> {
    let scope = Scope::for_reader(caller.authority.as_str(), &caller.roles);
    if scope.is_empty() {
        caller.require_role(&[READERS, &[Role::Partner]].concat())?;
    }
    Ok(scope)
}

/// A savings line.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193f100-0000-7000-8000-000000000001",
    "authority": "RCH",
    "intention_id": "0193b000-0000-7000-8000-000000000024",
    "contract_id": null,
    "opportunity_id": null,
    "financial_year": "2026/27",
    "months": [0, 0, 0, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000],
    "quarters": [0, 3000000, 3000000, 3000000],
    "amount_pence": 9000000,
    "risk_adjusted_pence": 6750000,
    "cashable": true,
    "kind": "price_reduction",
    "confidence": "amber",
    "probability": 75,
    "status": "forecast",
    "budget_code": "ASC-4410-R",
    "baseline_pence": 450000000,
    "description": "Framework rates below the current spot rates.",
    "version": 1,
    "created_by": "jo.bloggs@rochdale.gov.uk",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct SavingsLine {
    pub id: Uuid,
    /// The owning authority.
    pub authority: AuthorityCode,
    /// The commissioning intention the saving comes from (exactly one of the three links is set).
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    /// A collaboration opportunity the owner takes part in.
    pub opportunity_id: Option<Uuid>,
    pub financial_year: FinancialYear,
    /// The profile in pence, month 1 = April … month 12 = March.
    pub months: Vec<i64>,
    /// Read-only: the months summed by quarter (Q1 = April to June).
    pub quarters: Vec<i64>,
    /// Read-only: Σ months.
    pub amount_pence: i64,
    /// Read-only: Σ over months of round_half_up(month × probability / 100).
    pub risk_adjusted_pence: i64,
    pub cashable: bool,
    pub kind: SavingsKind,
    pub confidence: SavingsConfidence,
    pub probability: Probability,
    pub status: SavingsStatus,
    /// The council's cost centre / subjective code, free text.
    pub budget_code: String,
    /// The spend the saving is measured against.
    pub baseline_pence: i64,
    pub description: String,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn parse<T: std::str::FromStr>(s: &str) -> T {
    s.parse()
        .unwrap_or_else(|_| panic!("stored value {s:?} is checked by the database"))
}

impl From<LineWithCode> for SavingsLine {
    fn from(LineWithCode { line: r, authority }: LineWithCode) -> Self {
        let quarters = r.months.chunks(3).map(|c| c.iter().sum()).collect();
        SavingsLine {
            id: r.id,
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            intention_id: r.intention_id,
            contract_id: r.contract_id,
            opportunity_id: r.opportunity_id,
            financial_year: parse(&r.financial_year),
            months: r.months,
            quarters,
            amount_pence: r.amount_pence,
            risk_adjusted_pence: r.risk_adjusted_pence,
            cashable: r.cashable,
            kind: parse(&r.kind),
            confidence: parse(&r.confidence),
            probability: Probability::try_from(r.probability).expect("checked by the database"),
            status: parse(&r.status),
            budget_code: r.budget_code,
            baseline_pence: r.baseline_pence,
            description: r.description,
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A deleted line, as the pull reports it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193f100-0000-7000-8000-000000000001", "deleted": true,
    "deleted_at": "2026-11-24T09:00:00Z", "updated_at": "2026-11-24T09:00:00Z"}))]
pub struct SavingsTombstone {
    pub id: Uuid,
    /// Always `true`.
    pub deleted: bool,
    pub deleted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One item of the pull: a live line or a tombstone (`deleted: true`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SavingsPullItem {
    Line(Box<SavingsLine>),
    Deleted(SavingsTombstone),
}

/// A page of the pull.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavingsPullPage {
    pub items: Vec<SavingsPullItem>,
    /// Pass as `cursor` for the next page; `null` on the last. It encodes the last item's
    /// `updated_at` and id, so no line changed since is skipped.
    pub next_cursor: Option<String>,
}

fn months_of(
    quarters: Option<Vec<Pence>>,
    months: Option<Vec<Pence>>,
    required: bool,
) -> Result<Option<[i64; 12]>, FieldError> {
    match (quarters, months) {
        (Some(_), Some(_)) => Err(FieldError::new(
            "months",
            "give quarters or months, not both",
        )),
        (Some(q), None) => {
            let q: Vec<i64> = q.into_iter().map(i64::from).collect();
            let q: [i64; 4] = q
                .try_into()
                .map_err(|_| FieldError::new("quarters", "must hold exactly 4 amounts"))?;
            Ok(Some(split_quarters(q)))
        }
        (None, Some(mo)) => {
            let mo: Vec<i64> = mo.into_iter().map(i64::from).collect();
            let mo: [i64; 12] = mo
                .try_into()
                .map_err(|_| FieldError::new("months", "must hold exactly 12 amounts"))?;
            Ok(Some(mo))
        }
        (None, None) if required => Err(FieldError::new(
            "months",
            "give the profile as quarters (4 amounts) or months (12 amounts)",
        )),
        (None, None) => Ok(None),
    }
}

/// A new savings line of the caller's authority. Exactly one of `intention_id`, `contract_id`
/// and `opportunity_id`; an intention or contract must be the caller's authority's, and the
/// authority must take part in an opportunity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "intention_id": "0193b000-0000-7000-8000-000000000024",
    "financial_year": "2026/27",
    "quarters": [0, 3000000, 3000000, 3000000],
    "cashable": true,
    "kind": "price_reduction",
    "confidence": "amber",
    "probability": 75,
    "status": "forecast",
    "budget_code": "ASC-4410-R",
    "baseline_pence": 450000000
}))]
pub struct NewSavingsLine {
    #[serde(default)]
    pub intention_id: Option<Uuid>,
    #[serde(default)]
    pub contract_id: Option<Uuid>,
    #[serde(default)]
    pub opportunity_id: Option<Uuid>,
    pub financial_year: FinancialYear,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Pence>>, min_items = 4, max_items = 4)]
    pub quarters: Option<Vec<Pence>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Pence>>, min_items = 12, max_items = 12)]
    pub months: Option<Vec<Pence>>,
    pub cashable: bool,
    pub kind: SavingsKind,
    pub confidence: SavingsConfidence,
    pub probability: Probability,
    pub status: SavingsStatus,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub budget_code: String,
    #[serde(default)]
    #[schema(value_type = Option<Pence>)]
    pub baseline_pence: Option<Pence>,
    #[serde(default)]
    pub description: String,
}

/// A partial update (JSON merge patch). The link cannot change: delete the line and create
/// another. A new profile (quarters or months) replaces the whole year.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "achieved", "probability": 100, "confidence": "green"}))]
pub struct SavingsLinePatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<FinancialYear>, nullable = false)]
    pub financial_year: Option<FinancialYear>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Vec<Pence>>, nullable = false)]
    pub quarters: Option<Vec<Pence>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Vec<Pence>>, nullable = false)]
    pub months: Option<Vec<Pence>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub cashable: Option<bool>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub kind: Option<SavingsKind>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub confidence: Option<SavingsConfidence>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Probability>, nullable = false)]
    pub probability: Option<Probability>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub status: Option<SavingsStatus>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, max_length = 100)]
    pub budget_code: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Pence>, nullable = false)]
    pub baseline_pence: Option<Pence>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub description: Option<String>,
}

fn link_problems(
    conn: &mut diesel::PgConnection,
    authority: &str,
    new: &NewSavingsLine,
) -> Result<Vec<FieldError>, ApiError> {
    let mut problems = Vec::new();
    let set = [
        new.intention_id.is_some(),
        new.contract_id.is_some(),
        new.opportunity_id.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if set != 1 {
        problems.push(FieldError::new(
            "intention_id",
            "give exactly one of intention_id, contract_id and opportunity_id",
        ));
        return Ok(problems);
    }
    let mut own = |field: &str, what: &str, id: Uuid, owner: Option<String>| match owner {
        None => problems.push(FieldError::new(field, format!("no {what} has id {id}"))),
        Some(o) if o != authority => problems.push(FieldError::new(
            field,
            format!("{what} {id} belongs to {o}; a saving of {authority} is on its own records"),
        )),
        Some(_) => {}
    };
    if let Some(id) = new.intention_id {
        own(
            "intention_id",
            "commissioning intention",
            id,
            IntentionRow::owner(conn, id)?,
        );
    }
    if let Some(id) = new.contract_id {
        own("contract_id", "contract", id, ContractRow::owner(conn, id)?);
    }
    if let Some(id) = new.opportunity_id {
        if !m::opportunity_exists(conn, id)? {
            problems.push(FieldError::new(
                "opportunity_id",
                format!("no collaboration opportunity has id {id}"),
            ));
        } else if !m::takes_part(conn, id, authority)? {
            problems.push(FieldError::new(
                "opportunity_id",
                format!("{authority} does not take part in opportunity {id}"),
            ));
        }
    }
    Ok(problems)
}

/// Create a savings line for the caller's authority (`commissioner`, `procurement` or `finance`).
#[utoipa::path(tag = "Savings", security(("bearer" = [])), request_body = NewSavingsLine,
    responses((status = 201, description = "Created", body = SavingsLine,
        headers(("Location" = String, description = "URL of the new line"), ("ETag" = String, description = "The record's version"))),
        (status = 403, description = "Not a writer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/savings/lines")]
async fn create_line(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewSavingsLine>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: mut new,
        fingerprint,
    } = body;
    let mut problems = Vec::new();
    let months = months_of(new.quarters.take(), new.months.take(), true)
        .map_err(|e| problems.push(e))
        .ok()
        .flatten();
    let budget_code = check_budget_code(&new.budget_code)
        .map_err(|e| problems.push(FieldError::new("budget_code", e)))
        .ok();
    let (Some(months), Some(budget_code)) = (months, budget_code) else {
        return Err(ApiError::invalid_fields(problems));
    };
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/savings/lines",
        fingerprint,
        move |conn, caller| {
            let authority =
                AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
                    ApiError::Forbidden(format!(
                        "the token's authority {} is not registered here",
                        caller.authority
                    ))
                })?;
            let problems = link_problems(conn, &authority.code, &new)?;
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
            let now = Utc::now();
            let probability = new.probability.get();
            let row = SavingsLineRow::insert(
                conn,
                &SavingsLineRow {
                    id: Uuid::now_v7(),
                    authority_id: authority.id,
                    intention_id: new.intention_id,
                    contract_id: new.contract_id,
                    opportunity_id: new.opportunity_id,
                    financial_year: new.financial_year.to_string(),
                    months: months.to_vec(),
                    amount_pence: months.iter().sum(),
                    risk_adjusted_pence: risk_adjusted_total(&months, probability),
                    cashable: new.cashable,
                    kind: new.kind.as_str().into(),
                    confidence: new.confidence.as_str().into(),
                    probability,
                    status: new.status.as_str().into(),
                    budget_code,
                    baseline_pence: new.baseline_pence.map(i64::from).unwrap_or(0),
                    description: new.description,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                    deleted_at: None,
                },
            )?;
            let view = SavingsLine::from(LineWithCode {
                line: row,
                authority: authority.code,
            });
            let json = serde_json::to_value(&view).map_err(ApiError::internal)?;
            AuditEventRow::record(conn, caller, "create", ENTITY, view.id, None, Some(json))?;
            Created::new(
                &view,
                format!("/v1/savings/lines/{}", view.id),
                view.version,
            )
        },
    )
    .await
}

/// A position in the pull's order: base64url of the last item's updated_at (microseconds since
/// the epoch, 8 bytes big-endian) and id (16 bytes).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub struct PullCursor(DateTime<Utc>, Uuid);

impl PullCursor {
    fn encode(at: DateTime<Utc>, id: Uuid) -> String {
        let mut bytes = at.timestamp_micros().to_be_bytes().to_vec();
        bytes.extend_from_slice(id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

impl TryFrom<String> for PullCursor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .ok()
            .filter(|b| b.len() == 24)
            .and_then(|b| {
                let micros = i64::from_be_bytes(b[..8].try_into().ok()?);
                let at = DateTime::from_timestamp_micros(micros)?;
                Some(PullCursor(at, Uuid::from_slice(&b[8..]).ok()?))
            })
            .ok_or_else(|| {
                "not a cursor this API issued; pass next_cursor from the previous page".to_string()
            })
    }
}

/// Paging for the pull.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// Only lines changed (or deleted) at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-01T00:00:00Z")]
    pub updated_since: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<String>)]
    pub cursor: Option<PullCursor>,
}

/// The incremental pull: the lines the caller may read, in the order they last changed
/// (updated_at, then id), deleted ones as tombstones `{id, deleted: true, deleted_at}`. A nightly
/// job passes the last run's start as `updated_since` and follows `next_cursor` to the end.
#[utoipa::path(tag = "Savings", security(("bearer" = [])), params(PullParams),
    responses((status = 200, description = "A page of lines and tombstones", body = SavingsPullPage),
        (status = 403, description = "No role that reads savings", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/savings/lines")]
async fn pull(
    pool: Db,
    caller: Caller,
    params: Query<PullParams>,
) -> Result<web::Json<SavingsPullPage>, ApiError> {
    let scope = scope_of(&caller)?;
    let Query(p) = params;
    let fetch = p.limit.fetch();
    let mut rows = db::run(&pool, move |conn| {
        Ok(SavingsLineRow::pull(
            conn,
            &scope,
            p.updated_since,
            p.cursor.map(|c| (c.0, c.1)),
            fetch,
        )?)
    })
    .await?;
    let more = rows.len() as i64 >= fetch;
    rows.truncate((fetch - 1) as usize);
    let next_cursor = if more {
        rows.last()
            .map(|r| PullCursor::encode(r.line.updated_at, r.line.id))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| match r.line.deleted_at {
            Some(at) => SavingsPullItem::Deleted(SavingsTombstone {
                id: r.line.id,
                deleted: true,
                deleted_at: at,
                updated_at: r.line.updated_at,
            }),
            None => SavingsPullItem::Line(Box::new(SavingsLine::from(r))),
        })
        .collect();
    Ok(web::Json(SavingsPullPage { items, next_cursor }))
}

fn not_found(id: Uuid) -> impl Fn(diesel::result::Error) -> ApiError {
    move |e| match e {
        diesel::result::Error::NotFound => ApiError::not_found(format!("savings line {id}")),
        e => ApiError::from(e),
    }
}

/// One savings line the caller may read (404 if deleted or outside the caller's scope).
#[utoipa::path(tag = "Savings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Savings line id")),
    responses((status = 200, description = "The line", body = SavingsLine,
        headers(("ETag" = String, description = "The record's version"))),
        (status = 404, description = "No such line the caller may read", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/savings/lines/{id}")]
async fn read_line(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_of(&caller)?;
    let id = id.into_inner();
    let found = db::run(&pool, move |conn| {
        SavingsLineRow::find_visible(conn, id, &scope).map_err(not_found(id))
    })
    .await?;
    let view = SavingsLine::from(found);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change some fields of a line (the owner's `commissioner`, `procurement` or `finance`). Send the
/// ETag as `If-Match` to be refused (412) if it changed first.
#[utoipa::path(tag = "Savings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Savings line id")),
    request_body(content = SavingsLinePatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated line", body = SavingsLine,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 403, description = "Not a writer of the owner", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such line the caller may read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/savings/lines/{id}")]
async fn update_line(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SavingsLinePatch>,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_of(&caller)?;
    let id = id.into_inner();
    let patch = body.value;
    let mut problems = Vec::new();
    let months = months_of(patch.quarters, patch.months, false)
        .map_err(|e| problems.push(e))
        .ok()
        .flatten();
    let budget_code = patch.budget_code.as_deref().and_then(|c| {
        check_budget_code(c)
            .map_err(|e| problems.push(FieldError::new("budget_code", e)))
            .ok()
    });
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let view = db::transaction(&pool, move |conn| {
        let found = SavingsLineRow::find_for_update(conn, id, &scope).map_err(not_found(id))?;
        caller.require_to_change(WRITERS, &found.authority)?;
        if_match.check(found.line.version)?;
        let probability = patch
            .probability
            .map(|p| p.get())
            .unwrap_or(found.line.probability);
        let new_months: [i64; 12] = months.unwrap_or_else(|| {
            found
                .line
                .months
                .clone()
                .try_into()
                .expect("12 months, checked by the database")
        });
        let changes = SavingsLineChanges {
            financial_year: patch.financial_year.map(|f| f.to_string()),
            months: months.map(|m| m.to_vec()),
            amount_pence: Some(new_months.iter().sum()),
            risk_adjusted_pence: Some(risk_adjusted_total(&new_months, probability)),
            cashable: patch.cashable,
            kind: patch.kind.map(|k| k.as_str().into()),
            confidence: patch.confidence.map(|c| c.as_str().into()),
            probability: patch.probability.map(|p| p.get()),
            status: patch.status.map(|s| s.as_str().into()),
            budget_code,
            baseline_pence: patch.baseline_pence.map(i64::from),
            description: patch.description,
        };
        let authority = found.authority.clone();
        let before = SavingsLine::from(found);
        let updated = SavingsLineRow::update(conn, id, &changes)?;
        let after = SavingsLine::from(LineWithCode {
            line: updated,
            authority,
        });
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            ENTITY,
            id,
            Some(serde_json::to_value(&before).map_err(ApiError::internal)?),
            Some(serde_json::to_value(&after).map_err(ApiError::internal)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Delete a line (the owner's `commissioner`, `procurement` or `finance`): it leaves reads and the
/// forecast, snapshots keep it, and the pull reports a tombstone. `If-Match` is honoured.
#[utoipa::path(tag = "Savings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Savings line id")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Not a writer of the owner", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such line the caller may read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/savings/lines/{id}")]
async fn delete_line(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_of(&caller)?;
    let id = id.into_inner();
    db::transaction(&pool, move |conn| {
        let found = SavingsLineRow::find_for_update(conn, id, &scope).map_err(not_found(id))?;
        caller.require_to_change(WRITERS, &found.authority)?;
        if_match.check(found.line.version)?;
        let before = SavingsLine::from(found);
        SavingsLineRow::delete(conn, id)?;
        AuditEventRow::record(
            conn,
            &caller,
            "delete",
            ENTITY,
            id,
            Some(serde_json::to_value(&before).map_err(ApiError::internal)?),
            None,
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The forecast's grouping, filters and source.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastParams {
    /// Comma-separated dimensions to group by, in column order: any of authority,
    /// financial_year, quarter, month, category, status, cashable, budget_code. None gives one
    /// total row.
    #[param(example = "authority,financial_year,quarter")]
    pub group_by: Option<String>,
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    #[param(value_type = Option<FinancialYear>)]
    pub financial_year: Option<FinancialYear>,
    /// 1 to 4 (Q1 = April to June).
    #[param(minimum = 1, maximum = 4)]
    pub quarter: Option<i16>,
    /// 1 to 12 (1 = April).
    #[param(minimum = 1, maximum = 12)]
    pub month: Option<i16>,
    /// The category code of the attached intention or contract.
    pub category: Option<String>,
    pub status: Option<SavingsStatus>,
    pub cashable: Option<bool>,
    pub budget_code: Option<String>,
    /// A snapshot id: compute from its frozen lines instead of the live ones.
    pub as_at: Option<Uuid>,
    /// `csv` for CSV (as `Accept: text/csv`).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// One group of the forecast.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"group": {"authority": "RCH", "financial_year": "2026/27", "quarter": 2},
    "amount_pence": 3000000, "risk_adjusted_pence": 2250000}))]
pub struct SavingsForecastRow {
    /// The values of the grouped dimensions (quarter and month as integers, cashable as a
    /// boolean, category `null` for a line on a collaboration opportunity).
    #[schema(value_type = Object)]
    pub group: BTreeMap<String, serde_json::Value>,
    pub amount_pence: i64,
    /// Σ over lines and months of round_half_up(amount × probability / 100).
    pub risk_adjusted_pence: i64,
}

/// The snapshot a forecast or diff was computed from.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193f1ff-0000-7000-8000-000000000001", "label": "2026/27 P6",
    "scope": "RCH", "line_count": 12, "taken_by": "finance@rochdale.gov.uk", "taken_at": "2026-10-05T09:00:00Z"}))]
pub struct SavingsSnapshot {
    pub id: Uuid,
    pub label: String,
    /// The authority of the token that took it (`STAR` for all four).
    pub scope: String,
    pub line_count: i32,
    pub taken_by: String,
    pub taken_at: DateTime<Utc>,
}

impl From<SnapshotRow> for SavingsSnapshot {
    fn from(r: SnapshotRow) -> Self {
        SavingsSnapshot {
            id: r.id,
            label: r.label,
            scope: r.scope,
            line_count: r.line_count,
            taken_by: r.taken_by,
            taken_at: r.taken_at,
        }
    }
}

/// The forecast.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavingsForecast {
    /// The snapshot it was computed from; `null` for the live lines.
    pub as_at: Option<SavingsSnapshot>,
    #[schema(value_type = Vec<String>)]
    pub group_by: Vec<SavingsDimension>,
    pub rows: Vec<SavingsForecastRow>,
    pub total_amount_pence: i64,
    pub total_risk_adjusted_pence: i64,
}

fn group_value(d: SavingsDimension, v: Option<String>) -> serde_json::Value {
    use serde_json::Value;
    match (d, v) {
        (_, None) => Value::Null,
        (SavingsDimension::Quarter | SavingsDimension::Month, Some(v)) => v
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::String(v)),
        (SavingsDimension::Cashable, Some(v)) => Value::Bool(v == "true"),
        (_, Some(v)) => Value::String(v),
    }
}

fn rows_of(dims: &[SavingsDimension], rows: Vec<m::GroupRow>) -> Vec<SavingsForecastRow> {
    rows.into_iter()
        .map(|r| SavingsForecastRow {
            group: dims
                .iter()
                .zip(r.key(dims.len()))
                .map(|(d, v)| (d.as_str().to_string(), group_value(*d, v)))
                .collect(),
            amount_pence: r.amount_pence,
            risk_adjusted_pence: r.risk_adjusted_pence,
        })
        .collect()
}

fn forecast_csv(f: &SavingsForecast) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = f.group_by.iter().map(|d| d.as_str()).collect();
    header.extend(["amount_gbp", "risk_adjusted_gbp"]);
    w.write_record(&header).map_err(ApiError::internal)?;
    for r in &f.rows {
        let mut rec: Vec<String> = f
            .group_by
            .iter()
            .map(|d| match &r.group[d.as_str()] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            })
            .collect();
        rec.push(pounds(r.amount_pence));
        rec.push(pounds(r.risk_adjusted_pence));
        w.write_record(&rec).map_err(ApiError::internal)?;
    }
    String::from_utf8(w.into_inner().map_err(ApiError::internal)?).map_err(ApiError::internal)
}

/// Whether the caller asked for CSV: `format=csv`, or `text/csv` in `Accept`. The social value
/// report negotiates the same way.
pub(crate) fn wants_csv(req: &HttpRequest, format: Option<&str>) -> bool {
    format == Some("csv")
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("text/csv"))
}

fn snapshot_or_404(conn: &mut diesel::PgConnection, id: Uuid) -> Result<SnapshotRow, ApiError> {
    SnapshotRow::find(conn, id).map_err(|e| match e {
        diesel::result::Error::NotFound => ApiError::not_found(format!("snapshot {id}")),
        e => e.into(),
    })
}

/// The savings forecast over the lines the caller may read, grouped by `group_by` with totals and
/// a risk-adjusted total in exact integer pence. Rounding: each line's each month is risk-adjusted
/// as round_half_up(amount × probability / 100), then summed, so groupings by year, quarter or
/// month add up alike. Lost lines are included (filter with `status`). `as_at=<snapshot id>`
/// computes from the snapshot's frozen lines. `Accept: text/csv` or `format=csv` gives the rows as
/// CSV: a header line (the grouped dimensions, then `amount_gbp,risk_adjusted_gbp`) and pounds
/// with two decimals.
#[utoipa::path(tag = "Savings", security(("bearer" = [])), params(ForecastParams),
    responses((status = 200, description = "The forecast", content(
        (SavingsForecast = "application/json"),
        (String = "text/csv", example = json!("authority,financial_year,quarter,amount_gbp,risk_adjusted_gbp\nRCH,2026/27,2,30000.00,22500.00\n")))),
        (status = 403, description = "No role that reads savings", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such snapshot", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/savings/forecast")]
async fn forecast(
    pool: Db,
    caller: Caller,
    req: HttpRequest,
    params: Query<ForecastParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_of(&caller)?;
    let Query(p) = params;
    let dims = parse_group_by(p.group_by.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::invalid("group_by", e))?;
    if p.quarter.is_some_and(|q| !(1..=4).contains(&q)) {
        return Err(ApiError::invalid("quarter", "must be from 1 to 4"));
    }
    if p.month.is_some_and(|q| !(1..=12).contains(&q)) {
        return Err(ApiError::invalid("month", "must be from 1 to 12"));
    }
    if p.format
        .as_deref()
        .is_some_and(|f| f != "csv" && f != "json")
    {
        return Err(ApiError::invalid("format", "must be json or csv"));
    }
    let csv = wants_csv(&req, p.format.as_deref());
    let filter = ForecastFilter {
        authority: p.authority.map(String::from),
        financial_year: p.financial_year.map(|f| f.to_string()),
        quarter: p.quarter,
        month: p.month,
        category: p.category,
        status: p.status.map(|s| s.as_str().to_string()),
        cashable: p.cashable,
        budget_code: p.budget_code,
    };
    let d = dims.clone();
    let (snapshot, rows) = db::run(&pool, move |conn| {
        let (snapshot, source) = match p.as_at {
            Some(id) => (Some(snapshot_or_404(conn, id)?), Source::Snapshot(id)),
            None => (None, Source::Live),
        };
        let rows = m::forecast(conn, source, &scope, &d, &filter)?;
        Ok((snapshot, rows))
    })
    .await?;
    let rows = rows_of(&dims, rows);
    let body = SavingsForecast {
        as_at: snapshot.map(SavingsSnapshot::from),
        total_amount_pence: rows.iter().map(|r| r.amount_pence).sum(),
        total_risk_adjusted_pence: rows.iter().map(|r| r.risk_adjusted_pence).sum(),
        group_by: dims,
        rows,
    };
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(forecast_csv(&body)?));
    }
    Ok(HttpResponse::Ok().json(body))
}

/// A new snapshot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "2026/27 P6"}))]
pub struct NewSavingsSnapshot {
    #[schema(min_length = 1, max_length = 200)]
    pub label: String,
}

/// Freeze the lines the caller may read as they are now (`finance`). A forecast `as_at` it, or
/// a diff with it, reads the frozen copy whatever changes later.
#[utoipa::path(tag = "Savings", security(("bearer" = [])), request_body = NewSavingsSnapshot,
    responses((status = 201, description = "Taken", body = SavingsSnapshot,
        headers(("Location" = String, description = "The forecast as at the snapshot"), ("ETag" = String, description = "Always 1"))),
        (status = 403, description = "Not finance", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/savings/snapshots")]
async fn take_snapshot(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewSavingsSnapshot>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(&[Role::Finance])?;
    let scope = scope_of(&caller)?;
    let Json { value, fingerprint } = body;
    let label = check_label(&value.label).map_err(|e| ApiError::invalid("label", e))?;
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/savings/snapshots",
        fingerprint,
        move |conn, caller| {
            let row = SnapshotRow::take(
                conn,
                &SnapshotRow {
                    id: Uuid::now_v7(),
                    label,
                    scope: caller.authority.to_string(),
                    line_count: 0,
                    taken_by: caller.subject.clone(),
                    taken_at: Utc::now(),
                },
                &scope,
            )?;
            let view = SavingsSnapshot::from(row);
            let json = serde_json::to_value(&view).map_err(ApiError::internal)?;
            AuditEventRow::record(
                conn,
                caller,
                "create",
                "savings_snapshot",
                view.id,
                None,
                Some(json),
            )?;
            Created::new(&view, format!("/v1/savings/forecast?as_at={}", view.id), 1)
        },
    )
    .await
}

/// Every snapshot, newest first (any caller who reads savings; what each holds is read through
/// the caller's own scope).
#[utoipa::path(tag = "Savings", security(("bearer" = [])),
    responses((status = 200, description = "The snapshots", body = Vec<SavingsSnapshot>)))]
#[get("/savings/snapshots")]
async fn list_snapshots(
    pool: Db,
    caller: Caller,
) -> Result<web::Json<Vec<SavingsSnapshot>>, ApiError> {
    scope_of(&caller)?;
    let rows = db::run(&pool, |conn| Ok(SnapshotRow::all(conn)?)).await?;
    Ok(web::Json(rows.into_iter().map(Into::into).collect()))
}

/// Grouping of a diff.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// Dimensions of the per-group deltas, as the forecast's `group_by`
    /// (default `authority,financial_year`).
    #[param(example = "authority,financial_year")]
    pub group_by: Option<String>,
}

/// A line that moved between two snapshots.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavingsLineDelta {
    pub line_id: Uuid,
    /// `added`, `removed` or `changed`.
    #[schema(example = "changed")]
    pub change: String,
    pub authority: String,
    pub financial_year: String,
    pub status_before: Option<String>,
    pub status_after: Option<String>,
    pub amount_before_pence: i64,
    pub amount_after_pence: i64,
    pub amount_delta_pence: i64,
    pub risk_adjusted_delta_pence: i64,
}

/// A group's totals in both snapshots.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavingsGroupDelta {
    #[schema(value_type = Object)]
    pub group: BTreeMap<String, serde_json::Value>,
    pub amount_before_pence: i64,
    pub amount_after_pence: i64,
    pub amount_delta_pence: i64,
    pub risk_adjusted_before_pence: i64,
    pub risk_adjusted_after_pence: i64,
    pub risk_adjusted_delta_pence: i64,
}

/// What moved from snapshot `a` to snapshot `b`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavingsSnapshotDiff {
    pub from: SavingsSnapshot,
    pub to: SavingsSnapshot,
    pub lines: Vec<SavingsLineDelta>,
    pub groups: Vec<SavingsGroupDelta>,
    pub amount_delta_pence: i64,
    pub risk_adjusted_delta_pence: i64,
}

/// The lines added, removed and changed from snapshot `a` to snapshot `b` (by line id, with
/// amount deltas), and the per-group deltas, as far as the caller may read them.
#[utoipa::path(tag = "Savings", security(("bearer" = [])),
    params(("a" = Uuid, Path, description = "The earlier snapshot"), ("b" = Uuid, Path, description = "The later snapshot"), DiffParams),
    responses((status = 200, description = "The diff", body = SavingsSnapshotDiff),
        (status = 404, description = "No such snapshot", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/savings/snapshots/{a}/diff/{b}")]
async fn diff(
    pool: Db,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    params: Query<DiffParams>,
) -> Result<web::Json<SavingsSnapshotDiff>, ApiError> {
    let scope = scope_of(&caller)?;
    let (a, b) = path.into_inner();
    let dims = parse_group_by(
        params
            .0
            .group_by
            .as_deref()
            .unwrap_or("authority,financial_year"),
    )
    .map_err(|e| ApiError::invalid("group_by", e))?;
    let d = dims.clone();
    let (sa, sb, lines, ga, gb) = db::run(&pool, move |conn| {
        let sa = snapshot_or_404(conn, a)?;
        let sb = snapshot_or_404(conn, b)?;
        let lines = m::diff_lines(conn, a, b, &scope)?;
        let f = ForecastFilter::default();
        let ga = m::forecast(conn, Source::Snapshot(a), &scope, &d, &f)?;
        let gb = m::forecast(conn, Source::Snapshot(b), &scope, &d, &f)?;
        Ok((sa, sb, lines, ga, gb))
    })
    .await?;
    let lines: Vec<SavingsLineDelta> = lines
        .into_iter()
        .map(|l| {
            let change = match (l.amount_before, l.amount_after) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            };
            let (ab, aa) = (l.amount_before.unwrap_or(0), l.amount_after.unwrap_or(0));
            SavingsLineDelta {
                line_id: l.line_id,
                change: change.into(),
                authority: l.authority,
                financial_year: l.financial_year,
                status_before: l.status_before,
                status_after: l.status_after,
                amount_before_pence: ab,
                amount_after_pence: aa,
                amount_delta_pence: aa - ab,
                risk_adjusted_delta_pence: l.risk_after.unwrap_or(0) - l.risk_before.unwrap_or(0),
            }
        })
        .collect();
    let n = dims.len();
    let mut merged: BTreeMap<Vec<Option<String>>, [i64; 4]> = BTreeMap::new();
    for r in ga {
        let e = merged.entry(r.key(n)).or_default();
        e[0] += r.amount_pence;
        e[2] += r.risk_adjusted_pence;
    }
    for r in gb {
        let e = merged.entry(r.key(n)).or_default();
        e[1] += r.amount_pence;
        e[3] += r.risk_adjusted_pence;
    }
    let groups: Vec<SavingsGroupDelta> = merged
        .into_iter()
        .map(|(key, v)| SavingsGroupDelta {
            group: dims
                .iter()
                .zip(key)
                .map(|(d, k)| (d.as_str().to_string(), group_value(*d, k)))
                .collect(),
            amount_before_pence: v[0],
            amount_after_pence: v[1],
            amount_delta_pence: v[1] - v[0],
            risk_adjusted_before_pence: v[2],
            risk_adjusted_after_pence: v[3],
            risk_adjusted_delta_pence: v[3] - v[2],
        })
        .collect();
    Ok(web::Json(SavingsSnapshotDiff {
        from: sa.into(),
        to: sb.into(),
        amount_delta_pence: groups.iter().map(|g| g.amount_delta_pence).sum(),
        risk_adjusted_delta_pence: groups.iter().map(|g| g.risk_adjusted_delta_pence).sum(),
        lines,
        groups,
    }))
}

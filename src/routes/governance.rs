//! Governance of the Contract Procedure Rules: waivers (request, decide by the approver the rules
//! name, withdraw), the approver rules, breaches, and the audit committee report.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::governance::{
    BreachKind, BreachStatus, FinancialQuarter, HowFound, RULE_WRITERS, WRITERS, WaiverAction,
    WaiverApprover, WaiverApproverBand, WaiverDecision, WaiverReason, WaiverStatus,
    allowed_waiver_actions, approver_band_problems, approver_for, check_waiver_action,
    optional_text, required_text,
};
use crate::domain::savings::pounds;
use crate::domain::values::{AuthorityCode, Date, FinancialYear, Pence};
use crate::error::{ApiError, FieldError};
use crate::extract::{IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::contracts::ContractRow;
use crate::models::governance::{
    ApproverRuleRow, BreachChanges, BreachFilter, BreachRow, BreachWithCode, WaiverFilter,
    WaiverRow, WaiverStatusChange, WaiverWithCode, pid_owner,
};
use crate::models::intentions::next_reference;
use crate::models::reference::AuthorityRow;
use crate::routes::savings::wants_csv;
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(approver_rules)
        .service(replace_approver_rules)
        .service(create_waiver)
        .service(list_waivers)
        .service(read_waiver)
        .service(decide_waiver)
        .service(withdraw_waiver)
        .service(create_breach)
        .service(list_breaches)
        .service(read_breach)
        .service(update_breach)
        .service(report);
}

const WAIVER: &str = "waiver";
const BREACH: &str = "breach";
const APPROVER_RULES: &str = "waiver_approver_rules";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn code(authority: String) -> AuthorityCode {
    AuthorityCode::try_from(authority).expect("authorities.code is checked")
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// The caller's authority row, or 403 when the token names one not registered here.
fn caller_authority(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
) -> Result<AuthorityRow, ApiError> {
    AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
        ApiError::Forbidden(format!(
            "the token's authority {} is not registered here",
            caller.authority
        ))
    })
}

/// The record a waiver or breach is against: exactly one of a PID or a contract, of the same
/// authority.
fn subject_problems(
    conn: &mut diesel::PgConnection,
    authority: &str,
    what: &str,
    pid_id: Option<Uuid>,
    contract_id: Option<Uuid>,
) -> Result<Vec<FieldError>, ApiError> {
    let mut problems = Vec::new();
    let (field, kind, id, owner) = match (pid_id, contract_id) {
        (Some(_), Some(_)) | (None, None) => {
            let message = format!("a {what} is against exactly one of a PID or a contract");
            problems.push(FieldError::new("pid_id", message.clone()));
            problems.push(FieldError::new("contract_id", message));
            return Ok(problems);
        }
        (Some(id), None) => (
            "pid_id",
            "procurement initiation document",
            id,
            pid_owner(conn, id)?,
        ),
        (None, Some(id)) => ("contract_id", "contract", id, ContractRow::owner(conn, id)?),
    };
    match owner {
        None => problems.push(FieldError::new(field, format!("no {kind} has id {id}"))),
        Some(owner) if owner != authority => problems.push(FieldError::new(
            field,
            format!("{kind} {id} belongs to {owner}; a {what} of {authority} may only be against {authority}'s own records"),
        )),
        Some(_) => {}
    }
    Ok(problems)
}

fn not_in_future(field: &str, date: Date, problems: &mut Vec<FieldError>) {
    if date.get() > today() {
        problems.push(FieldError::new(field, "cannot be in the future"));
    }
}

// ---------------------------------------------------------------------------------------------
// WaiverApprover rules

/// Who decides a waiver, by value band, lowest band first. A band applies from its minimum up to
/// the next band's. Each approver is held by a token role: `head_of_procurement` → `procurement`,
/// `chief_finance_officer` → `finance`, `director` → `board`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bands": [
    {"min_value_pence": 0, "approver": "head_of_procurement"},
    {"min_value_pence": 5_000_000, "approver": "chief_finance_officer"},
    {"min_value_pence": 50_000_000, "approver": "director"}
]}))]
pub struct WaiverApproverRules {
    pub bands: Vec<WaiverApproverBand>,
}

/// The waiver approver rules in force. Any authenticated caller may read them.
#[utoipa::path(tag = "Governance", security(("bearer" = [])),
    responses((status = 200, description = "The bands, lowest first", body = WaiverApproverRules)))]
#[get("/waiver-approver-rules")]
async fn approver_rules(
    pool: Db,
    _caller: Caller,
) -> Result<web::Json<WaiverApproverRules>, ApiError> {
    let bands = db::run(&pool, |conn| Ok(ApproverRuleRow::all(conn)?)).await?;
    Ok(web::Json(WaiverApproverRules { bands }))
}

/// Replace all the waiver approver rules at once (`admin`). The first band must start at 0 and
/// the minimums strictly increase (422 naming the band otherwise). A waiver keeps the approver
/// named when it was requested. The change is audited (entity `waiver_approver_rules`, id
/// `00000000-0000-0000-0000-000000000000`).
#[utoipa::path(tag = "Governance", security(("bearer" = [])), request_body = WaiverApproverRules,
    responses((status = 200, description = "The bands now in force", body = WaiverApproverRules),
        (status = 403, description = "The token lacks the admin role", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The bands are invalid; `errors` names each", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "bands[0].min_value_pence: the first band must start at 0, so that every waiver has an approver",
                "errors": [{"field": "bands[0].min_value_pence", "message": "the first band must start at 0, so that every waiver has an approver"}]}))))]
#[put("/waiver-approver-rules")]
async fn replace_approver_rules(
    pool: Db,
    caller: Caller,
    body: Json<WaiverApproverRules>,
) -> Result<web::Json<WaiverApproverRules>, ApiError> {
    caller.require_role(RULE_WRITERS)?;
    let bands = body.value.bands;
    let problems = approver_band_problems(&bands);
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let bands = db::transaction(&pool, move |conn| {
        let before = ApproverRuleRow::replace_all(conn, &bands)?;
        let json = |bands: &[WaiverApproverBand]| serde_json::json!({ "bands": bands });
        AuditEventRow::record(
            conn,
            &caller,
            "replace",
            APPROVER_RULES,
            Uuid::nil(),
            Some(json(&before)),
            Some(json(&bands)),
        )?;
        Ok(bands)
    })
    .await?;
    Ok(web::Json(WaiverApproverRules { bands }))
}

// ---------------------------------------------------------------------------------------------
// Waivers

/// An exemption from (waiver of) the Contract Procedure Rules, against a PID or a contract.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193e000-0000-7000-8000-000000000001",
    "reference": "RCH-WVR-2026-0001",
    "authority": "RCH",
    "pid_id": null,
    "contract_id": "0193b100-0000-7000-8000-000000000031",
    "reason": "continuity_of_care",
    "justification": "Extending the home care contract six months while the re-procurement completes avoids moving 240 people to new carers in winter.",
    "value_pence": 590_000_000_i64,
    "period_start": "2027-10-01",
    "period_end": "2028-03-31",
    "requested_on": "2026-11-02",
    "approver": "director",
    "approver_role": "board",
    "status": "approved",
    "decided_on": "2026-11-16",
    "decided_by": "director.adults@rochdale.gov.uk",
    "decision_note": "Approved for six months only; no further extension.",
    "allowed_actions": [],
    "version": 2,
    "created_by": "jo.bloggs@rochdale.gov.uk",
    "created_at": "2026-11-02T09:00:00Z",
    "updated_at": "2026-11-16T14:30:00Z"
}))]
pub struct Waiver {
    pub id: Uuid,
    /// Human reference, unique within the authority, e.g. `RCH-WVR-2026-0001`.
    pub reference: String,
    pub authority: AuthorityCode,
    /// The PID the waiver is against (exactly one of `pid_id` and `contract_id` is set).
    pub pid_id: Option<Uuid>,
    /// The contract the waiver is against.
    pub contract_id: Option<Uuid>,
    pub reason: WaiverReason,
    pub justification: String,
    /// The value of the spend the waiver covers.
    pub value_pence: Pence,
    /// The period the waiver covers, first and last day.
    pub period_start: Date,
    pub period_end: Date,
    /// The day it was requested (the report counts requests in this day's quarter).
    pub requested_on: Date,
    /// Who decides it: named by the approver rules for its value when it was requested.
    pub approver: WaiverApprover,
    /// The token role that holds the approver's authority.
    pub approver_role: crate::auth::Role,
    pub status: WaiverStatus,
    /// The day of the decision (the report counts decisions in this day's quarter).
    pub decided_on: Option<Date>,
    /// Subject of the token that decided it.
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    /// The actions its status allows now (`decide`, `withdraw`).
    #[schema(value_type = Vec<String>, example = json!(["decide", "withdraw"]))]
    pub allowed_actions: Vec<&'static str>,
    pub version: i32,
    /// Subject of the token that requested it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WaiverWithCode> for Waiver {
    fn from((row, authority): WaiverWithCode) -> Self {
        Waiver {
            id: row.id,
            reference: row.reference,
            authority: code(authority),
            pid_id: row.pid_id,
            contract_id: row.contract_id,
            reason: row.reason,
            justification: row.justification,
            value_pence: row.value_pence,
            period_start: row.period_start,
            period_end: row.period_end,
            requested_on: row.requested_on,
            approver: row.approver,
            approver_role: row.approver.role(),
            status: row.status,
            decided_on: row.decided_on,
            decided_by: row.decided_by,
            decision_note: row.decision_note,
            allowed_actions: allowed_waiver_actions(row.status)
                .into_iter()
                .map(<&str>::from)
                .collect(),
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A request for a waiver, against exactly one of a PID or a contract of the caller's authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "contract_id": "0193b100-0000-7000-8000-000000000031",
    "reason": "continuity_of_care",
    "justification": "Extending the home care contract six months while the re-procurement completes avoids moving 240 people to new carers in winter.",
    "value_pence": 590_000_000_i64,
    "period_start": "2027-10-01",
    "period_end": "2028-03-31"
}))]
pub struct NewWaiver {
    #[serde(default)]
    pub pid_id: Option<Uuid>,
    #[serde(default)]
    pub contract_id: Option<Uuid>,
    pub reason: WaiverReason,
    #[schema(min_length = 1, max_length = 5000)]
    pub justification: String,
    pub value_pence: Pence,
    pub period_start: Date,
    pub period_end: Date,
    /// The day it was requested: today (UTC) when not given; not in the future. A waiver
    /// requested on paper may be recorded with its own date.
    #[serde(default)]
    pub requested_on: Option<Date>,
}

/// The approver's decision on a requested waiver.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "approved", "note": "Approved for six months only; no further extension.", "decided_on": "2026-11-16"}))]
pub struct WaiverDecisionRequest {
    pub decision: WaiverDecision,
    /// Why: required when refusing (1 to 2000 characters).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// The day of the decision: today (UTC) when not given; not in the future, not before the
    /// request.
    #[serde(default)]
    pub decided_on: Option<Date>,
}

/// Filters and paging for waivers. `from` and `to` bound `requested_on` (both days included).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WaiverListParams {
    /// Only this authority's waivers.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    pub status: Option<WaiverStatus>,
    pub reason: Option<WaiverReason>,
    pub contract_id: Option<Uuid>,
    pub pid_id: Option<Uuid>,
    /// Requested on or after this day.
    #[param(value_type = Option<Date>, example = "2026-04-01")]
    pub from: Option<Date>,
    /// Requested on or before this day.
    #[param(value_type = Option<Date>, example = "2027-03-31")]
    pub to: Option<Date>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// Request a waiver of the Contract Procedure Rules for the caller's authority (`commissioner`,
/// `procurement` or `admin`), against exactly one of a PID or a contract of the same authority
/// (422 naming `pid_id`/`contract_id` otherwise). The approver is named from the approver rules
/// (`GET /v1/waiver-approver-rules`) by its value, and kept even if the rules change later.
///
/// Lifecycle: `requested → approved | refused` (`POST /v1/waivers/{id}/decide`, by the approver's
/// role of the same authority, never by the requester), `requested → withdrawn`
/// (`POST /v1/waivers/{id}/withdraw`, by the authority's commissioner, procurement or admin).
#[utoipa::path(tag = "Governance", security(("bearer" = [])), request_body = NewWaiver,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key and body gets the first response")),
    responses((status = 201, description = "Requested", body = Waiver,
        headers(("Location" = String, description = "URL of the new waiver"), ("ETag" = String, description = "The record's version"))),
        (status = 422, description = "Invalid; `errors` names each field", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "pid_id: no procurement initiation document has id 0193e000-0000-7000-8000-00000000dead",
                "errors": [{"field": "pid_id", "message": "no procurement initiation document has id 0193e000-0000-7000-8000-00000000dead"}]}))))]
#[post("/waivers")]
async fn create_waiver(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewWaiver>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let mut problems = Vec::new();
    let justification = required_text("justification", &new.justification, 5000)
        .map_err(|p| problems.push(p))
        .ok();
    if new.period_end < new.period_start {
        problems.push(FieldError::new(
            "period_end",
            "must be on or after period_start",
        ));
    }
    let requested_on = match new.requested_on {
        Some(d) => d,
        None => Date::try_from(today()).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
    };
    not_in_future("requested_on", requested_on, &mut problems);
    let Some(justification) = justification.filter(|_| problems.is_empty()) else {
        return Err(ApiError::invalid_fields(problems));
    };
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/waivers",
        fingerprint,
        move |conn, caller| {
            let authority = caller_authority(conn, caller)?;
            let problems =
                subject_problems(conn, &authority.code, WAIVER, new.pid_id, new.contract_id)?;
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
            let bands = ApproverRuleRow::all(conn)?;
            let approver = approver_for(&bands, new.value_pence).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("the approver rules have no band at 0"))
            })?;
            let now = Utc::now();
            let reference = next_reference(conn, authority.id, &authority.code, "WVR", now.year())?;
            let row = WaiverRow::insert(
                conn,
                &WaiverRow {
                    id: Uuid::now_v7(),
                    authority_id: authority.id,
                    reference,
                    pid_id: new.pid_id,
                    contract_id: new.contract_id,
                    reason: new.reason,
                    justification,
                    value_pence: new.value_pence,
                    period_start: new.period_start,
                    period_end: new.period_end,
                    requested_on,
                    approver,
                    status: WaiverStatus::Requested,
                    decided_on: None,
                    decided_by: None,
                    decision_note: None,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = Waiver::from((row, authority.code));
            AuditEventRow::record(
                conn,
                caller,
                "create",
                WAIVER,
                view.id,
                None,
                Some(to_json(&view)?),
            )?;
            Created::new(&view, format!("/v1/waivers/{}", view.id), view.version)
        },
    )
    .await
}

/// List waivers across all authorities, filtered, oldest first (by id, so the order is stable
/// across pages). Any authenticated caller.
#[utoipa::path(tag = "Governance", security(("bearer" = [])), params(WaiverListParams),
    responses((status = 200, description = "A page of waivers", body = Page<Waiver>)))]
#[get("/waivers")]
async fn list_waivers(
    pool: Db,
    _caller: Caller,
    params: Query<WaiverListParams>,
) -> Result<web::Json<Page<Waiver>>, ApiError> {
    let Query(p) = params;
    let filter = WaiverFilter {
        authority: p.authority.map(String::from),
        status: p.status,
        reason: p.reason,
        contract_id: p.contract_id,
        pid_id: p.pid_id,
        from: p.from.map(Date::get),
        to: p.to.map(Date::get),
    };
    let limit = p.limit;
    let rows = db::run(&pool, move |conn| {
        Ok(WaiverRow::page(
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
        |(r, _)| r.id,
        Waiver::from,
    )))
}

/// One waiver. Any authenticated caller.
#[utoipa::path(tag = "Governance", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Waiver id")),
    responses((status = 200, description = "The waiver", body = Waiver,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to act on it")))))]
#[get("/waivers/{id}")]
async fn read_waiver(
    pool: Db,
    _caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::run(&pool, move |conn| Ok(WaiverRow::find(conn, id)?)).await?;
    let view = Waiver::from(found);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Take a lifecycle action on a waiver, in one transaction with its audit event.
async fn take(
    pool: Db,
    caller: Caller,
    id: Uuid,
    if_match: IfMatch,
    action: WaiverAction,
    decision: Option<WaiverDecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut note = None;
    if let Some(d) = &decision {
        let text = d.note.as_deref().unwrap_or("");
        let checked =
            optional_text("note", text, 2000).map_err(|p| ApiError::invalid_fields(vec![p]))?;
        if d.decision == WaiverDecision::Refused && checked.is_empty() {
            return Err(ApiError::invalid("note", "a refusal must say why"));
        }
        if d.decided_on.is_some_and(|day| day.get() > today()) {
            return Err(ApiError::invalid("decided_on", "cannot be in the future"));
        }
        note = Some(checked).filter(|n| !n.is_empty());
    }
    let view = db::transaction(&pool, move |conn| {
        let (row, authority) = WaiverRow::find_for_update(conn, id)?;
        caller.require_authority(&authority)?;
        let status = check_waiver_action(
            action,
            row.status,
            &caller.roles,
            row.approver,
            row.created_by == caller.subject,
            decision.as_ref().map(|d| d.decision),
        )
        .map_err(|r| match r {
            crate::domain::governance::WaiverRefusal::State { .. } => {
                ApiError::Conflict(r.to_string())
            }
            _ => ApiError::Forbidden(r.to_string()),
        })?;
        if_match.check(row.version)?;
        let change = match &decision {
            Some(d) => {
                let decided_on = match d.decided_on {
                    Some(day) => day,
                    None => Date::try_from(today())
                        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
                };
                if decided_on < row.requested_on {
                    return Err(ApiError::invalid(
                        "decided_on",
                        format!("cannot be before the request ({})", row.requested_on),
                    ));
                }
                WaiverStatusChange {
                    status,
                    decided_on: Some(decided_on),
                    decided_by: Some(caller.subject.clone()),
                    decision_note: note.clone(),
                }
            }
            None => WaiverStatusChange {
                status,
                decided_on: None,
                decided_by: None,
                decision_note: None,
            },
        };
        let before = Waiver::from((row, authority.clone()));
        let updated = WaiverRow::change_status(conn, id, &change)?;
        let after = Waiver::from((updated, authority));
        AuditEventRow::record(
            conn,
            &caller,
            action.into(),
            WAIVER,
            id,
            Some(to_json(&before)?),
            Some(to_json(&after)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Decide a requested waiver: `approved` or `refused` (a refusal needs a `note`). Only the
/// approver the rules named for the waiver's value may decide, as the token role that holds it
/// (`head_of_procurement` → `procurement`, `chief_finance_officer` → `finance`, `director` →
/// `board`) of the waiver's authority, and never the person who requested it (403 otherwise).
/// 409 when the waiver is not `requested`.
#[utoipa::path(tag = "Governance", security(("bearer" = [])), request_body = WaiverDecisionRequest,
    params(("id" = Uuid, Path, description = "Waiver id"), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The waiver, decided", body = Waiver,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 403, description = "Not the approver the rules name, another authority, or the requester", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/forbidden", "title": "Forbidden", "status": 403,
                "detail": "decide needs the director (role board) the approver rules name for its value of the owning authority"})),
        (status = 409, description = "The waiver is not requested", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "cannot decide a waiver that is approved; actions allowed now: none"}))))]
#[post("/waivers/{id}/decide")]
async fn decide_waiver(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<WaiverDecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    take(
        pool,
        caller,
        id.into_inner(),
        if_match,
        WaiverAction::Decide,
        Some(body.value),
    )
    .await
}

/// Withdraw a requested waiver (the authority's `commissioner`, `procurement` or `admin`). 409 when
/// it is no longer `requested`.
#[utoipa::path(tag = "Governance", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Waiver id"), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The waiver, withdrawn", body = Waiver,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 409, description = "The waiver is not requested", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "cannot withdraw a waiver that is refused; actions allowed now: none"}))))]
#[post("/waivers/{id}/withdraw")]
async fn withdraw_waiver(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    take(
        pool,
        caller,
        id.into_inner(),
        if_match,
        WaiverAction::Withdraw,
        None,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Breaches

/// A breach of the Contract Procedure Rules: a contract let or extended without a compliant route.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193e100-0000-7000-8000-000000000001",
    "reference": "RCH-BR-2026-0001",
    "authority": "RCH",
    "pid_id": null,
    "contract_id": "0193b100-0000-7000-8000-000000000007",
    "kind": "continued_after_expiry",
    "how_found": "spend_analysis",
    "description": "Carers' breaks kept being bought from the provider for five months after the contract ended.",
    "remedy": "Waiver sought for the interim; re-procurement added to the forward plan.",
    "value_pence": 10_400_000_i64,
    "identified_on": "2026-09-14",
    "status": "remedying",
    "version": 2,
    "created_by": "jo.bloggs@rochdale.gov.uk",
    "created_at": "2026-09-14T09:00:00Z",
    "updated_at": "2026-10-01T09:00:00Z"
}))]
pub struct Breach {
    pub id: Uuid,
    /// Human reference, unique within the authority, e.g. `RCH-BR-2026-0001`.
    pub reference: String,
    pub authority: AuthorityCode,
    /// The PID the breach is against (exactly one of `pid_id` and `contract_id` is set).
    pub pid_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub kind: BreachKind,
    pub how_found: HowFound,
    pub description: String,
    /// What is being done, or was done, to put it right.
    pub remedy: String,
    /// The value of the spend let or extended without a compliant route.
    pub value_pence: Pence,
    /// The day it was identified (the report counts it in this day's quarter).
    pub identified_on: Date,
    pub status: BreachStatus,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BreachWithCode> for Breach {
    fn from((row, authority): BreachWithCode) -> Self {
        Breach {
            id: row.id,
            reference: row.reference,
            authority: code(authority),
            pid_id: row.pid_id,
            contract_id: row.contract_id,
            kind: row.kind,
            how_found: row.how_found,
            description: row.description,
            remedy: row.remedy,
            value_pence: row.value_pence,
            identified_on: row.identified_on,
            status: row.status,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new breach, against exactly one of a PID or a contract of the caller's authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "contract_id": "0193b100-0000-7000-8000-000000000007",
    "kind": "continued_after_expiry",
    "how_found": "spend_analysis",
    "description": "Carers' breaks kept being bought from the provider for five months after the contract ended.",
    "remedy": "Waiver sought for the interim; re-procurement added to the forward plan.",
    "value_pence": 10_400_000_i64,
    "identified_on": "2026-09-14"
}))]
pub struct NewBreach {
    #[serde(default)]
    pub pid_id: Option<Uuid>,
    #[serde(default)]
    pub contract_id: Option<Uuid>,
    pub kind: BreachKind,
    pub how_found: HowFound,
    #[schema(min_length = 1, max_length = 5000)]
    pub description: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub remedy: String,
    pub value_pence: Pence,
    /// Not in the future.
    pub identified_on: Date,
    /// `open` when not given.
    #[serde(default)]
    pub status: Option<BreachStatus>,
}

/// A partial update (JSON merge patch): fields left out stay as they are. The record it is
/// against cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "remedied", "remedy": "Re-procured through the open tender RCH-PID-2026-0004."}))]
pub struct BreachPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub kind: Option<BreachKind>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub how_found: Option<HowFound>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, min_length = 1, max_length = 5000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, max_length = 5000)]
    pub remedy: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub value_pence: Option<Pence>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub identified_on: Option<Date>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub status: Option<BreachStatus>,
}

/// Filters and paging for breaches. `from` and `to` bound `identified_on` (both days included).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BreachListParams {
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    pub status: Option<BreachStatus>,
    pub kind: Option<BreachKind>,
    pub how_found: Option<HowFound>,
    pub contract_id: Option<Uuid>,
    pub pid_id: Option<Uuid>,
    /// Identified on or after this day.
    #[param(value_type = Option<Date>, example = "2026-04-01")]
    pub from: Option<Date>,
    /// Identified on or before this day.
    #[param(value_type = Option<Date>, example = "2027-03-31")]
    pub to: Option<Date>,
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// The problems with a breach's text and date, each naming its field.
fn breach_text(
    description: Option<&str>,
    remedy: Option<&str>,
    identified_on: Option<Date>,
) -> (Option<String>, Option<String>, Vec<FieldError>) {
    let mut problems = Vec::new();
    let description = description.and_then(|d| {
        required_text("description", d, 5000)
            .map_err(|p| problems.push(p))
            .ok()
    });
    let remedy = remedy.and_then(|r| {
        optional_text("remedy", r, 5000)
            .map_err(|p| problems.push(p))
            .ok()
    });
    if let Some(day) = identified_on {
        not_in_future("identified_on", day, &mut problems);
    }
    (description, remedy, problems)
}

/// Record a breach for the caller's authority (`commissioner`, `procurement` or `admin`), against
/// exactly one of a PID or a contract of the same authority.
#[utoipa::path(tag = "Governance", security(("bearer" = [])), request_body = NewBreach,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key and body gets the first response")),
    responses((status = 201, description = "Recorded", body = Breach,
        headers(("Location" = String, description = "URL of the new breach"), ("ETag" = String, description = "The record's version")))))]
#[post("/breaches")]
async fn create_breach(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewBreach>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let (description, remedy, problems) = breach_text(
        Some(&new.description),
        Some(&new.remedy),
        Some(new.identified_on),
    );
    let (Some(description), Some(remedy), true) = (description, remedy, problems.is_empty()) else {
        return Err(ApiError::invalid_fields(problems));
    };
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/breaches",
        fingerprint,
        move |conn, caller| {
            let authority = caller_authority(conn, caller)?;
            let problems =
                subject_problems(conn, &authority.code, BREACH, new.pid_id, new.contract_id)?;
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
            let now = Utc::now();
            let reference = next_reference(conn, authority.id, &authority.code, "BR", now.year())?;
            let row = BreachRow::insert(
                conn,
                &BreachRow {
                    id: Uuid::now_v7(),
                    authority_id: authority.id,
                    reference,
                    pid_id: new.pid_id,
                    contract_id: new.contract_id,
                    kind: new.kind,
                    how_found: new.how_found,
                    description,
                    remedy,
                    value_pence: new.value_pence,
                    identified_on: new.identified_on,
                    status: new.status.unwrap_or(BreachStatus::Open),
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = Breach::from((row, authority.code));
            AuditEventRow::record(
                conn,
                caller,
                "create",
                BREACH,
                view.id,
                None,
                Some(to_json(&view)?),
            )?;
            Created::new(&view, format!("/v1/breaches/{}", view.id), view.version)
        },
    )
    .await
}

/// List breaches across all authorities, filtered, oldest first (by id). Any authenticated caller.
#[utoipa::path(tag = "Governance", security(("bearer" = [])), params(BreachListParams),
    responses((status = 200, description = "A page of breaches", body = Page<Breach>)))]
#[get("/breaches")]
async fn list_breaches(
    pool: Db,
    _caller: Caller,
    params: Query<BreachListParams>,
) -> Result<web::Json<Page<Breach>>, ApiError> {
    let Query(p) = params;
    let filter = BreachFilter {
        authority: p.authority.map(String::from),
        status: p.status,
        kind: p.kind,
        how_found: p.how_found,
        contract_id: p.contract_id,
        pid_id: p.pid_id,
        from: p.from.map(Date::get),
        to: p.to.map(Date::get),
    };
    let limit = p.limit;
    let rows = db::run(&pool, move |conn| {
        Ok(BreachRow::page(
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
        |(r, _)| r.id,
        Breach::from,
    )))
}

/// One breach. Any authenticated caller.
#[utoipa::path(tag = "Governance", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Breach id")),
    responses((status = 200, description = "The breach", body = Breach,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/breaches/{id}")]
async fn read_breach(
    pool: Db,
    _caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::run(&pool, move |conn| Ok(BreachRow::find(conn, id)?)).await?;
    let view = Breach::from(found);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change some fields of a breach, including its status and remedy (the owning authority's
/// `commissioner`, `procurement` or `admin`). Send the ETag as `If-Match` to be refused (412) if
/// someone else changed it first.
#[utoipa::path(tag = "Governance", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Breach id"), ("If-Match" = Option<String>, Header)),
    request_body(content = BreachPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated breach", body = Breach,
        headers(("ETag" = String, description = "The record's new version")))))]
#[patch("/breaches/{id}")]
async fn update_breach(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<BreachPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let (description, remedy, problems) = breach_text(
        patch.description.as_deref(),
        patch.remedy.as_deref(),
        patch.identified_on,
    );
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let view = db::transaction(&pool, move |conn| {
        let (row, authority) = BreachRow::find_for_update(conn, id)?;
        caller.require_to_change(WRITERS, &authority)?;
        if_match.check(row.version)?;
        let changes = BreachChanges {
            kind: patch.kind,
            how_found: patch.how_found,
            description,
            remedy,
            value_pence: patch.value_pence,
            identified_on: patch.identified_on,
            status: patch.status,
        };
        let before = Breach::from((row, authority.clone()));
        let updated = BreachRow::update(conn, id, &changes)?;
        let after = Breach::from((updated, authority));
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            BREACH,
            id,
            Some(to_json(&before)?),
            Some(to_json(&after)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

// ---------------------------------------------------------------------------------------------
// Audit committee report

/// The period and scope of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day counted (default 1 April of the current financial year).
    #[param(value_type = Option<Date>, example = "2026-04-01")]
    pub from: Option<Date>,
    /// Last day counted (default 31 March ending the current financial year).
    #[param(value_type = Option<Date>, example = "2027-03-31")]
    pub to: Option<Date>,
    /// Only this authority (default all).
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// `csv` for CSV (as `Accept: text/csv`).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Waivers of one reason in one quarter. Requests count in the quarter of `requested_on`,
/// decisions in the quarter of `decided_on`.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
#[schema(example = json!({"quarter": "2026/27 Q3", "reason": "continuity_of_care",
    "requested_count": 2, "requested_value_pence": 600_000_000_i64,
    "approved_count": 1, "approved_value_pence": 590_000_000_i64,
    "refused_count": 0, "refused_value_pence": 0}))]
pub struct WaiverFigures {
    /// Financial-year quarter, e.g. `2026/27 Q1` (Q1 = April to June).
    pub quarter: String,
    pub reason: Option<WaiverReason>,
    pub requested_count: i64,
    pub requested_value_pence: i64,
    pub approved_count: i64,
    pub approved_value_pence: i64,
    pub refused_count: i64,
    pub refused_value_pence: i64,
}

/// Breaches of one kind identified in one quarter.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"quarter": "2026/27 Q2", "kind": "continued_after_expiry", "count": 1, "value_pence": 10_400_000_i64}))]
pub struct BreachFigures {
    pub quarter: String,
    pub kind: BreachKind,
    pub count: i64,
    pub value_pence: i64,
}

/// The figures of one quarter, or of the whole period.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
#[schema(example = json!({"quarter": "2026/27 Q3", "waivers_requested_count": 2, "waivers_requested_value_pence": 600_000_000_i64,
    "waivers_approved_count": 1, "waivers_approved_value_pence": 590_000_000_i64, "waivers_refused_count": 0,
    "waivers_refused_value_pence": 0, "breaches_count": 0, "breaches_value_pence": 0}))]
pub struct PeriodFigures {
    /// The quarter; `null` in the totals.
    pub quarter: Option<String>,
    pub waivers_requested_count: i64,
    pub waivers_requested_value_pence: i64,
    pub waivers_approved_count: i64,
    pub waivers_approved_value_pence: i64,
    pub waivers_refused_count: i64,
    pub waivers_refused_value_pence: i64,
    pub breaches_count: i64,
    pub breaches_value_pence: i64,
}

/// The audit committee report on breaches and waivers of the Contract Procedure Rules.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-04-01", "to": "2027-03-31", "authority": "RCH",
    "waivers": [{"quarter": "2026/27 Q3", "reason": "continuity_of_care",
        "requested_count": 2, "requested_value_pence": 600_000_000_i64,
        "approved_count": 1, "approved_value_pence": 590_000_000_i64,
        "refused_count": 0, "refused_value_pence": 0}],
    "breaches": [{"quarter": "2026/27 Q2", "kind": "continued_after_expiry", "count": 1, "value_pence": 10_400_000_i64}],
    "quarters": [
        {"quarter": "2026/27 Q2", "waivers_requested_count": 0, "waivers_requested_value_pence": 0,
         "waivers_approved_count": 0, "waivers_approved_value_pence": 0, "waivers_refused_count": 0,
         "waivers_refused_value_pence": 0, "breaches_count": 1, "breaches_value_pence": 10_400_000_i64},
        {"quarter": "2026/27 Q3", "waivers_requested_count": 2, "waivers_requested_value_pence": 600_000_000_i64,
         "waivers_approved_count": 1, "waivers_approved_value_pence": 590_000_000_i64, "waivers_refused_count": 0,
         "waivers_refused_value_pence": 0, "breaches_count": 0, "breaches_value_pence": 0}],
    "totals": {"quarter": null, "waivers_requested_count": 2, "waivers_requested_value_pence": 600_000_000_i64,
        "waivers_approved_count": 1, "waivers_approved_value_pence": 590_000_000_i64, "waivers_refused_count": 0,
        "waivers_refused_value_pence": 0, "breaches_count": 1, "breaches_value_pence": 10_400_000_i64}
}))]
pub struct GovernanceReport {
    pub from: Date,
    pub to: Date,
    pub authority: Option<AuthorityCode>,
    /// By quarter, then reason.
    pub waivers: Vec<WaiverFigures>,
    /// By quarter, then kind.
    pub breaches: Vec<BreachFigures>,
    /// Every quarter with any figure, in order.
    pub quarters: Vec<PeriodFigures>,
    pub totals: PeriodFigures,
}

fn quarter_of(date: Date) -> Result<FinancialQuarter, ApiError> {
    FinancialQuarter::of(date.get())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("{date} is outside the financial years")))
}

/// Count the waivers and breaches of the period into the report.
fn build_report(
    from: Date,
    to: Date,
    authority: Option<AuthorityCode>,
    waivers: Vec<crate::models::governance::ReportWaiver>,
    breaches: Vec<(BreachKind, Pence, Date)>,
) -> Result<GovernanceReport, ApiError> {
    let within = |d: Date| d >= from && d <= to;
    let mut by_reason: BTreeMap<(FinancialQuarter, WaiverReason), WaiverFigures> = BTreeMap::new();
    let mut quarters: BTreeMap<FinancialQuarter, PeriodFigures> = BTreeMap::new();
    let mut totals = PeriodFigures::default();
    for (reason, value, status, requested_on, decided_on) in waivers {
        let value = value.value();
        if within(requested_on) {
            let q = quarter_of(requested_on)?;
            let f = by_reason.entry((q, reason)).or_default();
            f.requested_count += 1;
            f.requested_value_pence += value;
            let p = quarters.entry(q).or_default();
            for p in [p, &mut totals] {
                p.waivers_requested_count += 1;
                p.waivers_requested_value_pence += value;
            }
        }
        if let Some(day) = decided_on.filter(|d| within(*d)) {
            let q = quarter_of(day)?;
            let f = by_reason.entry((q, reason)).or_default();
            let p = quarters.entry(q).or_default();
            match status {
                WaiverStatus::Approved => {
                    f.approved_count += 1;
                    f.approved_value_pence += value;
                    for p in [p, &mut totals] {
                        p.waivers_approved_count += 1;
                        p.waivers_approved_value_pence += value;
                    }
                }
                WaiverStatus::Refused => {
                    f.refused_count += 1;
                    f.refused_value_pence += value;
                    for p in [p, &mut totals] {
                        p.waivers_refused_count += 1;
                        p.waivers_refused_value_pence += value;
                    }
                }
                WaiverStatus::Requested | WaiverStatus::Withdrawn => {}
            }
        }
    }
    let mut by_kind: BTreeMap<(FinancialQuarter, BreachKind), (i64, i64)> = BTreeMap::new();
    for (kind, value, identified_on) in breaches {
        if !within(identified_on) {
            continue;
        }
        let q = quarter_of(identified_on)?;
        let e = by_kind.entry((q, kind)).or_default();
        e.0 += 1;
        e.1 += value.value();
        let p = quarters.entry(q).or_default();
        for p in [p, &mut totals] {
            p.breaches_count += 1;
            p.breaches_value_pence += value.value();
        }
    }
    Ok(GovernanceReport {
        from,
        to,
        authority,
        waivers: by_reason
            .into_iter()
            .map(|((q, reason), f)| WaiverFigures {
                quarter: q.to_string(),
                reason: Some(reason),
                ..f
            })
            .collect(),
        breaches: by_kind
            .into_iter()
            .map(|((q, kind), (count, value_pence))| BreachFigures {
                quarter: q.to_string(),
                kind,
                count,
                value_pence,
            })
            .collect(),
        quarters: quarters
            .into_iter()
            .map(|(q, p)| PeriodFigures {
                quarter: Some(q.to_string()),
                ..p
            })
            .collect(),
        totals,
    })
}

/// The report as CSV, one figure a line: `record,quarter,category,measure,count,value_gbp`.
fn report_csv(r: &GovernanceReport) -> Result<String, ApiError> {
    let mut lines: Vec<(&str, &str, &str, &str, i64, i64)> = Vec::new();
    for f in &r.waivers {
        let (q, reason) = (f.quarter.as_str(), f.reason.map_or("", <&str>::from));
        lines.push((
            "waiver",
            q,
            reason,
            "requested",
            f.requested_count,
            f.requested_value_pence,
        ));
        lines.push((
            "waiver",
            q,
            reason,
            "approved",
            f.approved_count,
            f.approved_value_pence,
        ));
        lines.push((
            "waiver",
            q,
            reason,
            "refused",
            f.refused_count,
            f.refused_value_pence,
        ));
    }
    for b in &r.breaches {
        lines.push((
            "breach",
            &b.quarter,
            b.kind.into(),
            "identified",
            b.count,
            b.value_pence,
        ));
    }
    let t = &r.totals;
    lines.extend([
        (
            "total",
            "",
            "",
            "waivers_requested",
            t.waivers_requested_count,
            t.waivers_requested_value_pence,
        ),
        (
            "total",
            "",
            "",
            "waivers_approved",
            t.waivers_approved_count,
            t.waivers_approved_value_pence,
        ),
        (
            "total",
            "",
            "",
            "waivers_refused",
            t.waivers_refused_count,
            t.waivers_refused_value_pence,
        ),
        (
            "total",
            "",
            "",
            "breaches",
            t.breaches_count,
            t.breaches_value_pence,
        ),
    ]);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "record",
        "quarter",
        "category",
        "measure",
        "count",
        "value_gbp",
    ])
    .map_err(ApiError::internal)?;
    for (record, quarter, category, measure, count, value) in lines {
        w.write_record([
            record,
            quarter,
            category,
            measure,
            &count.to_string(),
            &pounds(value),
        ])
        .map_err(ApiError::internal)?;
    }
    String::from_utf8(w.into_inner().map_err(ApiError::internal)?).map_err(ApiError::internal)
}

/// The audit committee report on breaches and waivers of the Contract Procedure Rules: counts and
/// values (integer pence) of waivers requested, approved and refused, and of breaches, by
/// financial-year quarter (Q1 = April to June) and reason (a breach's kind), with each quarter's
/// figures and the totals. A waiver's request counts in the quarter of `requested_on`, its
/// decision in the quarter of `decided_on`, each when that day is in `from..=to`; a breach counts
/// in the quarter of `identified_on`. Withdrawn waivers count as requested only. Any
/// authenticated caller.
///
/// `Accept: text/csv` or `format=csv` gives one figure a line: a header
/// `record,quarter,category,measure,count,value_gbp`, where `record` is `waiver`, `breach` or
/// `total`, and values are pounds with two decimals.
#[utoipa::path(tag = "Governance", security(("bearer" = [])), params(ReportParams),
    responses((status = 200, description = "The report", content(
        (GovernanceReport = "application/json"),
        (String = "text/csv", example = json!("record,quarter,category,measure,count,value_gbp\nwaiver,2026/27 Q3,continuity_of_care,requested,2,6000000.00\nwaiver,2026/27 Q3,continuity_of_care,approved,1,5900000.00\nwaiver,2026/27 Q3,continuity_of_care,refused,0,0.00\nbreach,2026/27 Q2,continued_after_expiry,identified,1,104000.00\ntotal,,,waivers_requested,2,6000000.00\ntotal,,,waivers_approved,1,5900000.00\ntotal,,,waivers_refused,0,0.00\ntotal,,,breaches,1,104000.00\n")))),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/governance/report")]
async fn report(
    pool: Db,
    _caller: Caller,
    req: HttpRequest,
    params: Query<ReportParams>,
) -> Result<HttpResponse, ApiError> {
    let Query(p) = params;
    if p.format
        .as_deref()
        .is_some_and(|f| f != "csv" && f != "json")
    {
        return Err(ApiError::invalid("format", "must be json or csv"));
    }
    let csv = wants_csv(&req, p.format.as_deref());
    let year = FinancialQuarter::of(today())
        .map(|q| q.year)
        .or_else(|| FinancialYear::starting(2000).ok())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no financial year")))?;
    let internal = |e: String| ApiError::internal(anyhow::anyhow!(e));
    let from = match p.from {
        Some(d) => d,
        None => Date::try_from(year.first_day()).map_err(internal)?,
    };
    let to = match p.to {
        Some(d) => d,
        None => Date::try_from(
            year.first_day()
                .with_year(year.start_year() + 1)
                .and_then(|d| d.pred_opt())
                .ok_or_else(|| internal("no end of year".into()))?,
        )
        .map_err(internal)?,
    };
    if to < from {
        return Err(ApiError::invalid("to", "must be on or after from"));
    }
    let authority = p.authority;
    let code = authority.clone().map(String::from);
    let (waivers, breaches) = db::run(&pool, move |conn| {
        let w = WaiverRow::for_report(conn, code.as_deref(), from.get(), to.get())?;
        let b = BreachRow::for_report(conn, code.as_deref(), from.get(), to.get())?;
        Ok((w, b))
    })
    .await?;
    let body = build_report(from, to, authority, waivers, breaches)?;
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(report_csv(&body)?));
    }
    Ok(HttpResponse::Ok().json(body))
}

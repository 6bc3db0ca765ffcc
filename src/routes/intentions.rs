//! Commissioning intentions, the forward plan: create, read, list and partial update.
//! Lifecycle actions (submit, board decisions, withdraw) come with the forward-plan work.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_with::rust::double_option;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::intentions::{
    Action, Decision, ImprovementCategory, IntentionStatus, LOCKED_AFTER_APPROVAL, Plan, Priority,
    READ_ONLY, Tranche, WRITERS, allowed_actions, check_transition,
};
use crate::domain::social_value::SocialValuePriorityCode;
use crate::domain::values::{
    AuthorityCode, CategoryCode, Date, FinancialYear, Pence, plausible_year,
};
use crate::error::ApiError;
use crate::extract::{IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::intentions::{
    IntentionChanges, IntentionFilter, IntentionRow, IntentionWithCodes, StatusChange,
    next_reference,
};
use crate::models::reference::{AuthorityRow, CategoryRow};
use crate::models::social_value::planning_frame;
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update)
        .service(submit)
        .service(decide)
        .service(revise)
        .service(reopen)
        .service(start_procurement)
        .service(award)
        .service(close)
        .service(withdraw);
}

pub(crate) const ENTITY: &str = "commissioning_intention";

/// A commissioning intention: one line of an authority's forward plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193b000-0000-7000-8000-000000000007",
    "reference": "RCH-CI-2026-0007",
    "authority": "RCH",
    "title": "Home care re-procurement with Trusted Assessor status",
    "description": "Re-procure home care on outcome-based patches, with providers given Trusted Assessor status.",
    "category": "home-care",
    "service_area": "Older People",
    "financial_year": "2026/27",
    "estimated_annual_value_pence": 1_250_000_000_i64,
    "estimated_whole_life_value_pence": 6_250_000_000_i64,
    "replaces_contracts": ["RCH-C-2019-0031"],
    "planned_procurement_start": "2026-06-01",
    "planned_contract_start": "2027-04-01",
    "priority": "must",
    "tranche": 1,
    "improvement_category": 1,
    "sme_local_opportunity": true,
    "collaboration_potential": true,
    "social_value_priorities": ["local_employment", "apprenticeships"],
    "lead_officer": "Commissioning Manager, Older People",
    "status": "approved",
    "decision": {"decision": "approved", "decision_date": "2026-11-18", "minute_reference": "ICB/2026/11/04",
                 "note": "Approved subject to market engagement in Q1.", "decided_by": "chair@rochdale.gov.uk"},
    "allowed_actions": ["revise", "start_procurement", "withdraw"],
    "rolled_from": null,
    "published": true,
    "published_at": "2026-11-24T10:00:00Z",
    "version": 3,
    "created_by": "jo.bloggs@rochdale.gov.uk",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct Intention {
    pub id: Uuid,
    /// Human reference, unique within the authority.
    pub reference: String,
    /// The owning authority.
    pub authority: AuthorityCode,
    pub title: String,
    pub description: String,
    /// Subcategory (or category) code of the category strategy.
    pub category: CategoryCode,
    pub service_area: Option<String>,
    /// Financial year in which the new arrangement starts.
    pub financial_year: FinancialYear,
    pub estimated_annual_value_pence: Option<Pence>,
    pub estimated_whole_life_value_pence: Option<Pence>,
    /// References of the current contracts this intention replaces.
    pub replaces_contracts: Vec<String>,
    pub planned_procurement_start: Option<Date>,
    pub planned_contract_start: Option<Date>,
    pub priority: Priority,
    pub tranche: Tranche,
    pub improvement_category: Option<ImprovementCategory>,
    /// An opportunity for local and SME suppliers.
    pub sme_local_opportunity: bool,
    /// Could be commissioned together with other authorities.
    pub collaboration_potential: bool,
    /// Codes of the authority's social value priorities this intention serves (its priority
    /// records, `GET /v1/social-value/priorities?authority=`).
    #[schema(value_type = Vec<SocialValuePriorityCode>)]
    pub social_value_priorities: Vec<String>,
    pub lead_officer: Option<String>,
    pub status: IntentionStatus,
    /// The board's latest decision, while it stands (cleared when the intention goes back to draft).
    pub decision: Option<BoardDecision>,
    /// The lifecycle actions its status allows (the caller's roles decide which they may take).
    pub allowed_actions: Vec<Action>,
    /// The intention of an earlier year this one was rolled forward from.
    pub rolled_from: Option<Uuid>,
    /// Whether the authority has published it: published intentions appear, without a token, in
    /// the OCDS feed (`/v1/public/ocds/...`) and the pipeline notice (`/v1/public/pipeline`).
    pub published: bool,
    /// When it was published (`null` while unpublished).
    pub published_at: Option<DateTime<Utc>>,
    /// Moves on by one with every change; the ETag carries it.
    pub version: i32,
    /// Subject of the token that created it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<IntentionWithCodes> for Intention {
    fn from((row, authority, category): IntentionWithCodes) -> Self {
        Intention {
            id: row.id,
            reference: row.reference,
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            title: row.title,
            description: row.description,
            category: CategoryCode::try_from(category).expect("categories.code is checked"),
            service_area: row.service_area,
            financial_year: row.financial_year,
            estimated_annual_value_pence: row.estimated_annual_value_pence,
            estimated_whole_life_value_pence: row.estimated_whole_life_value_pence,
            replaces_contracts: row.replaces_contracts,
            planned_procurement_start: row.planned_procurement_start,
            planned_contract_start: row.planned_contract_start,
            priority: row.priority,
            tranche: row.tranche,
            improvement_category: row.improvement_category,
            sme_local_opportunity: row.sme_local_opportunity,
            collaboration_potential: row.collaboration_potential,
            social_value_priorities: row.social_value_priorities,
            lead_officer: row.lead_officer,
            status: row.status,
            decision: row.decision.map(|decision| BoardDecision {
                decision,
                decision_date: row.decision_date,
                minute_reference: row.minute_reference.clone(),
                note: row.decision_note.clone(),
                decided_by: row.decided_by.clone(),
            }),
            allowed_actions: allowed_actions(row.status),
            rolled_from: row.rolled_from,
            published: row.published_at.is_some(),
            published_at: row.published_at,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Intention {
    pub(crate) fn audit_json(&self) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(self).map_err(ApiError::internal)
    }
}

/// A decision of the Integrated Commissioning Board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardDecision {
    pub decision: Decision,
    pub decision_date: Option<Date>,
    /// Reference of the board minute recording the decision.
    pub minute_reference: Option<String>,
    pub note: Option<String>,
    /// Subject of the board member's token.
    pub decided_by: Option<String>,
}

/// A board decision on a submitted intention.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "approved", "decision_date": "2026-11-18", "minute_reference": "ICB/2026/11/04",
    "note": "Approved subject to market engagement in Q1."}))]
pub struct DecisionRequest {
    pub decision: Decision,
    /// The date of the board meeting; not in the future.
    pub decision_date: Date,
    #[schema(min_length = 1, max_length = 100)]
    pub minute_reference: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A new intention. The owner is the caller's authority; it starts as a `draft`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Home care re-procurement with Trusted Assessor status",
    "description": "Re-procure home care on outcome-based patches, with providers given Trusted Assessor status.",
    "category": "home-care",
    "service_area": "Older People",
    "financial_year": "2026/27",
    "estimated_annual_value_pence": 1_250_000_000_i64,
    "estimated_whole_life_value_pence": 6_250_000_000_i64,
    "replaces_contracts": ["RCH-C-2019-0031"],
    "planned_procurement_start": "2026-06-01",
    "planned_contract_start": "2027-04-01",
    "priority": "must",
    "tranche": 1,
    "improvement_category": 1,
    "sme_local_opportunity": true,
    "collaboration_potential": true,
    "social_value_priorities": ["local_employment", "apprenticeships"],
    "lead_officer": "Commissioning Manager, Older People"
}))]
pub struct NewIntention {
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: CategoryCode,
    #[serde(default)]
    pub service_area: Option<String>,
    pub financial_year: FinancialYear,
    #[serde(default)]
    pub estimated_annual_value_pence: Option<Pence>,
    #[serde(default)]
    pub estimated_whole_life_value_pence: Option<Pence>,
    #[serde(default)]
    pub replaces_contracts: Vec<String>,
    #[serde(default)]
    pub planned_procurement_start: Option<Date>,
    #[serde(default)]
    pub planned_contract_start: Option<Date>,
    pub priority: Priority,
    pub tranche: Tranche,
    #[serde(default)]
    pub improvement_category: Option<ImprovementCategory>,
    #[serde(default)]
    pub sme_local_opportunity: bool,
    #[serde(default)]
    pub collaboration_potential: bool,
    /// Codes of the authority's social value priorities it serves, each once (422 naming the
    /// entry for a code that is not one of the authority's priorities).
    #[serde(default)]
    #[schema(value_type = Vec<SocialValuePriorityCode>, max_items = 50)]
    pub social_value_priorities: Vec<String>,
    #[serde(default)]
    pub lead_officer: Option<String>,
}

/// A partial update (JSON merge patch): fields left out stay as they are; `null` clears an
/// optional field. Status changes are lifecycle actions, not patches.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"estimated_annual_value_pence": 1_300_000_000_i64, "planned_procurement_start": "2026-07-01", "lead_officer": null}))]
pub struct IntentionPatch {
    #[schema(min_length = 1, max_length = 300)]
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub category: Option<CategoryCode>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub service_area: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub financial_year: Option<FinancialYear>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Pence>)]
    pub estimated_annual_value_pence: Option<Option<Pence>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Pence>)]
    pub estimated_whole_life_value_pence: Option<Option<Pence>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub replaces_contracts: Option<Vec<String>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Date>)]
    pub planned_procurement_start: Option<Option<Date>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Date>)]
    pub planned_contract_start: Option<Option<Date>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub tranche: Option<Tranche>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<ImprovementCategory>)]
    pub improvement_category: Option<Option<ImprovementCategory>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub sme_local_opportunity: Option<bool>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub collaboration_potential: Option<bool>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, value_type = Option<Vec<SocialValuePriorityCode>>, max_items = 50)]
    pub social_value_priorities: Option<Vec<String>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub lead_officer: Option<Option<String>>,
}

/// Filters and paging for the intention list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this authority's intentions.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// Only intentions starting in this financial year.
    #[param(value_type = Option<FinancialYear>)]
    pub financial_year: Option<FinancialYear>,
    pub status: Option<IntentionStatus>,
    /// A category or subcategory code; a category includes its subcategories.
    #[param(value_type = Option<CategoryCode>)]
    pub category: Option<CategoryCode>,
    pub priority: Option<Priority>,
    #[param(value_type = Option<Tranche>)]
    pub tranche: Option<Tranche>,
    /// Only intentions changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

fn check_title(title: &str) -> Result<String, ApiError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(ApiError::invalid("title", "must be 1 to 300 characters"));
    }
    Ok(title.to_string())
}

/// Carry a social value priority's new code into the authority's intentions that name it, in the
/// caller's transaction: each intention's version moves on, with its own audit event.
pub(crate) fn rename_priority(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    authority_id: Uuid,
    old: &str,
    new: &str,
) -> Result<(), ApiError> {
    for id in IntentionRow::naming_priority(conn, authority_id, old)? {
        let before = Intention::from(IntentionRow::find(conn, id)?);
        let changes = IntentionChanges {
            social_value_priorities: Some(crate::routes::pids::renamed(
                &before.social_value_priorities,
                old,
                new,
            )),
            ..Default::default()
        };
        IntentionRow::update(conn, id, &changes)?;
        let after = Intention::from(IntentionRow::find(conn, id)?);
        AuditEventRow::record(
            conn,
            caller,
            "update",
            ENTITY,
            id,
            Some(before.audit_json()?),
            Some(after.audit_json()?),
        )?;
    }
    Ok(())
}

/// The social value priorities an intention names must be its authority's priority records, each
/// once (422 naming the entry otherwise).
fn check_priorities(
    conn: &mut diesel::PgConnection,
    authority_id: Uuid,
    authority: &str,
    chosen: &[String],
) -> Result<(), ApiError> {
    if chosen.is_empty() {
        return Ok(());
    }
    let frame = planning_frame(conn, authority_id, authority, Utc::now().date_naive())?;
    let problems = frame.priority_problems("social_value_priorities", chosen);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_fields(problems))
    }
}

fn unknown_category(code: &CategoryCode) -> ApiError {
    ApiError::invalid(
        "category",
        format!(
            "no category has code {:?}; GET /v1/categories lists them",
            code.as_str()
        ),
    )
}

/// Create an intention for the caller's authority (`commissioner` or `admin`).
#[utoipa::path(tag = "Commissioning intentions", security(("bearer" = [])), request_body = NewIntention,
    responses((status = 201, description = "Created as a draft", body = Intention,
        headers(("Location" = String, description = "URL of the new intention"), ("ETag" = String, description = "The record's version")))))]
#[post("/commissioning-intentions")]
async fn create(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewIntention>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let title = check_title(&new.title)?;
    let problems = Plan {
        estimated_annual_value_pence: new.estimated_annual_value_pence,
        estimated_whole_life_value_pence: new.estimated_whole_life_value_pence,
        planned_procurement_start: new.planned_procurement_start,
        planned_contract_start: new.planned_contract_start,
    }
    .problems();
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/commissioning-intentions",
        fingerprint,
        move |conn, caller| {
            let owner =
                AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
                    ApiError::Forbidden(format!(
                        "the token's authority {} is not registered here",
                        caller.authority
                    ))
                })?;
            let category = CategoryRow::by_code(conn, new.category.as_str())?
                .ok_or_else(|| unknown_category(&new.category))?;
            check_priorities(conn, owner.id, &owner.code, &new.social_value_priorities)?;
            let now = Utc::now();
            let reference = next_reference(
                conn,
                owner.id,
                &owner.code,
                "CI",
                new.financial_year.start_year(),
            )?;
            let row = IntentionRow::insert(
                conn,
                &IntentionRow {
                    id: Uuid::now_v7(),
                    authority_id: owner.id,
                    reference,
                    title,
                    description: new.description,
                    category_id: category.id,
                    service_area: new.service_area,
                    financial_year: new.financial_year,
                    estimated_annual_value_pence: new.estimated_annual_value_pence,
                    estimated_whole_life_value_pence: new.estimated_whole_life_value_pence,
                    replaces_contracts: new.replaces_contracts,
                    planned_procurement_start: new.planned_procurement_start,
                    planned_contract_start: new.planned_contract_start,
                    priority: new.priority,
                    tranche: new.tranche,
                    improvement_category: new.improvement_category,
                    sme_local_opportunity: new.sme_local_opportunity,
                    collaboration_potential: new.collaboration_potential,
                    social_value_priorities: new.social_value_priorities,
                    lead_officer: new.lead_officer,
                    status: IntentionStatus::Draft,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                    published_at: None,
                    decision: None,
                    decision_date: None,
                    minute_reference: None,
                    decision_note: None,
                    decided_by: None,
                    rolled_from: None,
                },
            )?;
            let view = Intention::from((row, owner.code, category.code));
            AuditEventRow::record(
                conn,
                caller,
                "create",
                ENTITY,
                view.id,
                None,
                Some(view.audit_json()?),
            )?;
            Created::new(
                &view,
                format!("/v1/commissioning-intentions/{}", view.id),
                view.version,
            )
        },
    )
    .await
}

/// List intentions across all authorities, filtered, in a stable order (oldest first).
#[utoipa::path(tag = "Commissioning intentions", security(("bearer" = [])), params(ListParams),
    responses((status = 200, description = "A page of intentions", body = Page<Intention>)))]
#[get("/commissioning-intentions")]
async fn list(
    pool: Db,
    _caller: Caller,
    params: Query<ListParams>,
) -> Result<web::Json<Page<Intention>>, ApiError> {
    let Query(p) = params;
    if let Some(since) = p.updated_since
        && !plausible_year(since.year())
    {
        return Err(ApiError::invalid(
            "updated_since",
            "must be in the years 1900 to 2999",
        ));
    }
    let filter = IntentionFilter {
        authority: p.authority.map(String::from),
        financial_year: p.financial_year,
        status: p.status,
        category: p.category.map(String::from),
        priority: p.priority,
        tranche: p.tranche,
        updated_since: p.updated_since,
    };
    let limit = p.limit;
    let rows = db::run(&pool, move |conn| {
        Ok(IntentionRow::page(
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
        |(row, _, _)| row.id,
        Intention::from,
    )))
}

/// One intention. Any authenticated caller may read any authority's plan.
#[utoipa::path(tag = "Commissioning intentions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intention id")),
    responses((status = 200, description = "The intention", body = Intention,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/commissioning-intentions/{id}")]
async fn read(pool: Db, _caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::run(&pool, move |conn| Ok(IntentionRow::find(conn, id)?)).await?;
    let view = Intention::from(found);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change some fields of an intention (the owning authority's `commissioner` or `admin`).
/// Send the ETag as `If-Match` to be refused (412) if someone else changed it first.
///
/// Once the board has approved an intention (`approved`, `in_procurement`, `awarded`, `closed`),
/// `estimated_annual_value_pence`, `estimated_whole_life_value_pence`, `financial_year` and
/// `category` are locked: changing them is 409 until the intention is `revise`d back to draft and
/// decided again. `closed` and `withdrawn` intentions cannot be changed at all (409).
#[utoipa::path(tag = "Commissioning intentions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intention id")),
    request_body(content = IntentionPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated intention", body = Intention,
        headers(("ETag" = String, description = "The record's new version")))))]
#[patch("/commissioning-intentions/{id}")]
async fn update(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<IntentionPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let title = patch.title.as_deref().map(check_title).transpose()?;
    let view = db::transaction(&pool, move |conn| {
        let (row, authority, category_code) = IntentionRow::find_for_update(conn, id)?;
        caller.require_to_change(WRITERS, &authority)?;
        if_match.check(row.version)?;
        if READ_ONLY.contains(&row.status) {
            return Err(ApiError::Conflict(format!(
                "the intention is {}: it can no longer be changed",
                <&str>::from(row.status)
            )));
        }
        if LOCKED_AFTER_APPROVAL.contains(&row.status) {
            let mut locked = Vec::new();
            if patch.estimated_annual_value_pence.is_some_and(|v| v != row.estimated_annual_value_pence) {
                locked.push("estimated_annual_value_pence");
            }
            if patch.estimated_whole_life_value_pence.is_some_and(|v| v != row.estimated_whole_life_value_pence) {
                locked.push("estimated_whole_life_value_pence");
            }
            if patch.financial_year.is_some_and(|v| v != row.financial_year) {
                locked.push("financial_year");
            }
            if patch.category.as_ref().is_some_and(|c| c.as_str() != category_code) {
                locked.push("category");
            }
            if !locked.is_empty() {
                return Err(ApiError::Conflict(format!(
                    "{} locked since the board approved this intention; revise it back to draft, change it, and submit it for a new decision",
                    locked.join(", ") + if locked.len() == 1 { " is" } else { " are" }
                )));
            }
        }
        let problems = Plan {
            estimated_annual_value_pence: patch
                .estimated_annual_value_pence
                .unwrap_or(row.estimated_annual_value_pence),
            estimated_whole_life_value_pence: patch
                .estimated_whole_life_value_pence
                .unwrap_or(row.estimated_whole_life_value_pence),
            planned_procurement_start: patch
                .planned_procurement_start
                .unwrap_or(row.planned_procurement_start),
            planned_contract_start: patch
                .planned_contract_start
                .unwrap_or(row.planned_contract_start),
        }
        .problems();
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        let category = match &patch.category {
            Some(code) => Some(
                CategoryRow::by_code(conn, code.as_str())?.ok_or_else(|| unknown_category(code))?,
            ),
            None => None,
        };
        if let Some(chosen) = &patch.social_value_priorities {
            check_priorities(conn, row.authority_id, &authority, chosen)?;
        }
        let changes = IntentionChanges {
            title,
            description: patch.description,
            category_id: category.as_ref().map(|c| c.id),
            service_area: patch.service_area,
            financial_year: patch.financial_year,
            estimated_annual_value_pence: patch.estimated_annual_value_pence,
            estimated_whole_life_value_pence: patch.estimated_whole_life_value_pence,
            replaces_contracts: patch.replaces_contracts,
            planned_procurement_start: patch.planned_procurement_start,
            planned_contract_start: patch.planned_contract_start,
            priority: patch.priority,
            tranche: patch.tranche,
            improvement_category: patch.improvement_category,
            sme_local_opportunity: patch.sme_local_opportunity,
            collaboration_potential: patch.collaboration_potential,
            social_value_priorities: patch.social_value_priorities,
            lead_officer: patch.lead_officer,
        };
        let before = Intention::from((row, authority.clone(), category_code.clone()));
        let updated = IntentionRow::update(conn, id, &changes)?;
        let after = Intention::from((
            updated,
            authority,
            category.map_or(category_code, |c| c.code),
        ));
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

/// Take a lifecycle action on an intention, in one transaction with its audit event.
async fn take(
    pool: Db,
    caller: Caller,
    id: Uuid,
    if_match: IfMatch,
    action: Action,
    decision: Option<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    if let Some(d) = &decision {
        if d.decision_date.get() > Utc::now().date_naive() {
            return Err(ApiError::invalid(
                "decision_date",
                "a decision cannot be dated in the future",
            ));
        }
        let minute = d.minute_reference.trim();
        if minute.is_empty() || minute.len() > 100 {
            return Err(ApiError::invalid(
                "minute_reference",
                "must be 1 to 100 characters",
            ));
        }
    }
    let view = db::transaction(&pool, move |conn| {
        let (row, authority, category) = IntentionRow::find_for_update(conn, id)?;
        caller.require_authority(&authority)?;
        let decided = decision.as_ref().map(|d| d.decision);
        let status = check_transition(action, row.status, &caller.roles, decided)?;
        if_match.check(row.version)?;
        let change = match &decision {
            Some(d) => StatusChange {
                status,
                decision: Some(Some(d.decision)),
                decision_date: Some(Some(d.decision_date)),
                minute_reference: Some(Some(d.minute_reference.trim().to_string())),
                decision_note: Some(d.note.clone()),
                decided_by: Some(Some(caller.subject.clone())),
            },
            // Back to draft: the old decision no longer stands (the audit trail keeps it).
            None if status == IntentionStatus::Draft => StatusChange {
                status,
                decision: Some(None),
                decision_date: Some(None),
                minute_reference: Some(None),
                decision_note: Some(None),
                decided_by: Some(None),
            },
            None => StatusChange {
                status,
                decision: None,
                decision_date: None,
                minute_reference: None,
                decision_note: None,
                decided_by: None,
            },
        };
        let before = Intention::from((row, authority.clone(), category.clone()));
        let updated = IntentionRow::change_status(conn, id, &change)?;
        let after = Intention::from((updated, authority, category));
        let audit = (Some(before.audit_json()?), Some(after.audit_json()?));
        AuditEventRow::record(conn, &caller, action.into(), ENTITY, id, audit.0, audit.1)?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Declares a body-less lifecycle action endpoint.
macro_rules! action_endpoint {
    ($name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[doc = ""]
        #[doc = "409 when the intention's status does not allow it (the problem names the status and the actions allowed now); 403 without the role."]
        #[utoipa::path(tag = "Commissioning intentions", security(("bearer" = [])),
            params(("id" = Uuid, Path, description = "Intention id"), ("If-Match" = Option<String>, Header)),
            responses((status = 200, description = "The intention in its new status", body = Intention,
                headers(("ETag" = String, description = "The record's new version"))),
                (status = 409, description = "The intention's status does not allow this action", body = crate::error::Problem,
                    content_type = "application/problem+json",
                    example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                        "detail": "cannot submit an intention that is approved; actions allowed now: revise, start_procurement, withdraw"}))))]
        #[post($path)]
        async fn $name(pool: Db, caller: Caller, id: web::Path<Uuid>, if_match: IfMatch) -> Result<HttpResponse, ApiError> {
            take(pool, caller, id.into_inner(), if_match, $action, None).await
        }
    };
}

action_endpoint!(
    submit,
    "/commissioning-intentions/{id}/submit",
    Action::Submit,
    "Submit a draft to the Integrated Commissioning Board (`commissioner` or `admin`)."
);
action_endpoint!(
    revise,
    "/commissioning-intentions/{id}/revise",
    Action::Revise,
    "Take an approved or rejected intention back to draft, to change it and decide again (`commissioner` or `admin`). The standing decision is cleared; the audit trail keeps it."
);
action_endpoint!(
    reopen,
    "/commissioning-intentions/{id}/reopen",
    Action::Reopen,
    "Take a deferred intention back to draft for a later board (`commissioner` or `admin`)."
);
action_endpoint!(
    start_procurement,
    "/commissioning-intentions/{id}/start-procurement",
    Action::StartProcurement,
    "Record that procurement has begun on an approved intention (`procurement`, `commissioner` or `admin`)."
);
action_endpoint!(
    award,
    "/commissioning-intentions/{id}/award",
    Action::Award,
    "Record that the contract has been awarded (`procurement` or `admin`)."
);
action_endpoint!(
    close,
    "/commissioning-intentions/{id}/close",
    Action::Close,
    "Close an awarded intention: the new arrangement is in place (`commissioner`, `procurement` or `admin`)."
);
action_endpoint!(
    withdraw,
    "/commissioning-intentions/{id}/withdraw",
    Action::Withdraw,
    "Withdraw an open intention (draft, submitted, approved, deferred or in procurement) (`commissioner` or `admin`)."
);

/// Record the board's decision on a submitted intention: approved, rejected or deferred, with the
/// meeting date and minute reference (`board` role of the owning authority).
///
/// 409 when the intention is not `submitted`; 403 without the `board` role.
#[utoipa::path(tag = "Commissioning intentions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intention id"), ("If-Match" = Option<String>, Header)),
    request_body = DecisionRequest,
    responses((status = 200, description = "The intention with the decision recorded", body = Intention,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 409, description = "The intention is not awaiting a decision", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "cannot decide an intention that is draft; actions allowed now: submit, withdraw"}))))]
#[post("/commissioning-intentions/{id}/decide")]
async fn decide(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    take(
        pool,
        caller,
        id.into_inner(),
        if_match,
        Action::Decide,
        Some(body.value),
    )
    .await
}

//! The forward plan as a whole: one year's plan with its approval state, the plan on a page, and
//! the annual roll-forward of undecided and deferred intentions.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Months, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::intentions::{IntentionStatus, Tranche, WRITERS};
use crate::domain::values::{AuthorityCode, CategoryCode, Date, FinancialYear};
use crate::error::ApiError;
use crate::extract::Query;
use crate::models::audit::AuditEventRow;
use crate::models::intentions::{
    IntentionRow, PlanCell, PlanGrouping, next_reference, plan_summary,
};
use crate::models::reference::AuthorityRow;
use crate::routes::Db;
use crate::routes::intentions::Intention;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(plan).service(summary).service(roll_forward);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlanParams {
    /// The year of the plan.
    #[param(value_type = FinancialYear)]
    pub financial_year: FinancialYear,
    /// One authority's plan; all four (and any others) when left out.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
}

/// How far through the board's annual review a plan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// No intentions for the year yet.
    Empty,
    /// Some intentions are still drafts.
    InPreparation,
    /// Everything is submitted or decided, and some await the board.
    AwaitingDecision,
    /// The board has decided every intention.
    Decided,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: IntentionStatus,
    pub count: i64,
}

/// One year's forward plan with its approval state.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "financial_year": "2026/27", "authority": "RCH", "approval_state": "awaiting_decision",
    "by_status": [{"status": "submitted", "count": 3}, {"status": "approved", "count": 5}],
    "items": []
}))]
pub struct ForwardPlan {
    pub financial_year: FinancialYear,
    pub authority: Option<AuthorityCode>,
    pub approval_state: ApprovalState,
    /// How many intentions are in each status (statuses with none are left out).
    pub by_status: Vec<StatusCount>,
    /// Every intention of the year, oldest first.
    pub items: Vec<Intention>,
}

fn approval_state(statuses: &[IntentionStatus]) -> ApprovalState {
    if statuses.is_empty() {
        ApprovalState::Empty
    } else if statuses.contains(&IntentionStatus::Draft) {
        ApprovalState::InPreparation
    } else if statuses.contains(&IntentionStatus::Submitted) {
        ApprovalState::AwaitingDecision
    } else {
        ApprovalState::Decided
    }
}

/// One year's plan: every intention with its status, and where the plan stands with the board.
#[utoipa::path(tag = "Forward plan", security(("bearer" = [])), params(PlanParams),
    responses((status = 200, description = "The plan for the year", body = ForwardPlan)))]
#[get("/forward-plan")]
async fn plan(
    pool: Db,
    _caller: Caller,
    params: Query<PlanParams>,
) -> Result<web::Json<ForwardPlan>, ApiError> {
    let Query(p) = params;
    let code = p.authority.clone().map(String::from);
    let year = p.financial_year;
    let rows = db::run(&pool, move |conn| {
        Ok(IntentionRow::of_year(conn, year, code.as_deref())?)
    })
    .await?;
    let items: Vec<Intention> = rows.into_iter().map(Intention::from).collect();
    let statuses: Vec<IntentionStatus> = items.iter().map(|i| i.status).collect();
    let by_status = <IntentionStatus as strum::VariantArray>::VARIANTS
        .iter()
        .map(|s| StatusCount {
            status: *s,
            count: statuses.iter().filter(|x| *x == s).count() as i64,
        })
        .filter(|c| c.count > 0)
        .collect();
    Ok(web::Json(ForwardPlan {
        financial_year: p.financial_year,
        authority: p.authority,
        approval_state: approval_state(&statuses),
        by_status,
        items,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// One authority; across all when left out.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// One year; every year when left out.
    #[param(value_type = Option<FinancialYear>)]
    pub financial_year: Option<FinancialYear>,
}

/// Intentions counted and their estimated values summed (unknown values count as zero).
#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    pub count: i64,
    #[schema(value_type = i64, example = 1_250_000_000_i64)]
    pub estimated_annual_value_pence: i64,
    #[schema(value_type = i64, example = 6_250_000_000_i64)]
    pub estimated_whole_life_value_pence: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrancheCell {
    pub financial_year: FinancialYear,
    pub tranche: Tranche,
    pub status: IntentionStatus,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCell {
    pub financial_year: FinancialYear,
    pub category: CategoryCode,
    pub status: IntentionStatus,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YearTotal {
    pub financial_year: FinancialYear,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The plan on a page: counts and estimated values by financial year × tranche × status, the same
/// by category, and totals per year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "authority": "RCH", "financial_year": "2026/27",
    "by_tranche": [{"financial_year": "2026/27", "tranche": 1, "status": "approved", "count": 2,
        "estimated_annual_value_pence": 1_700_000_000_i64, "estimated_whole_life_value_pence": 8_500_000_000_i64}],
    "by_category": [{"financial_year": "2026/27", "category": "home-care", "status": "approved", "count": 1,
        "estimated_annual_value_pence": 1_250_000_000_i64, "estimated_whole_life_value_pence": 6_250_000_000_i64}],
    "totals": [{"financial_year": "2026/27", "count": 2,
        "estimated_annual_value_pence": 1_700_000_000_i64, "estimated_whole_life_value_pence": 8_500_000_000_i64}]
}))]
pub struct PlanSummary {
    pub authority: Option<AuthorityCode>,
    pub financial_year: Option<FinancialYear>,
    pub by_tranche: Vec<TrancheCell>,
    pub by_category: Vec<CategoryCell>,
    pub totals: Vec<YearTotal>,
}

fn figures(cell: &PlanCell) -> Figures {
    Figures {
        count: cell.count,
        estimated_annual_value_pence: cell.estimated_annual_value_pence,
        estimated_whole_life_value_pence: cell.estimated_whole_life_value_pence,
    }
}

/// The plan on a page, for one authority or all, one year or all.
#[utoipa::path(tag = "Forward plan", security(("bearer" = [])), params(SummaryParams),
    responses((status = 200, description = "Counts and values by year, tranche, category and status", body = PlanSummary)))]
#[get("/forward-plan/summary")]
async fn summary(
    pool: Db,
    _caller: Caller,
    params: Query<SummaryParams>,
) -> Result<web::Json<PlanSummary>, ApiError> {
    let Query(p) = params;
    let code = p.authority.clone().map(String::from);
    let year = p.financial_year;
    let (by_tranche, by_category) = db::run(&pool, move |conn| {
        let tranche = plan_summary(conn, PlanGrouping::Tranche, code.as_deref(), year)?;
        let category = plan_summary(conn, PlanGrouping::Category, code.as_deref(), year)?;
        Ok((tranche, category))
    })
    .await?;
    let mut totals: Vec<YearTotal> = Vec::new();
    for cell in &by_tranche {
        match totals.last_mut() {
            Some(t) if t.financial_year == cell.financial_year => {
                t.figures.count += cell.count;
                t.figures.estimated_annual_value_pence += cell.estimated_annual_value_pence;
                t.figures.estimated_whole_life_value_pence += cell.estimated_whole_life_value_pence;
            }
            _ => totals.push(YearTotal {
                financial_year: cell.financial_year,
                figures: figures(cell),
            }),
        }
    }
    let missing =
        |what: &str| ApiError::internal(anyhow::anyhow!("plan summary row without {what}"));
    let by_tranche = by_tranche
        .iter()
        .map(|c| {
            Ok(TrancheCell {
                financial_year: c.financial_year,
                tranche: c.tranche.ok_or_else(|| missing("tranche"))?,
                status: c.status,
                figures: figures(c),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let by_category = by_category
        .iter()
        .map(|c| {
            let code = c.category.clone().ok_or_else(|| missing("category"))?;
            Ok(CategoryCell {
                financial_year: c.financial_year,
                category: CategoryCode::try_from(code)
                    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
                status: c.status,
                figures: figures(c),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(web::Json(PlanSummary {
        authority: p.authority,
        financial_year: p.financial_year,
        by_tranche,
        by_category,
        totals,
    }))
}

/// What a roll-forward did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2026/27", "to": "2027/28", "already_rolled_forward": 0, "copied": []}))]
pub struct RollForward {
    pub from: FinancialYear,
    pub to: FinancialYear,
    /// Intentions of `from` copied before this call (a repeat copies nothing twice).
    pub already_rolled_forward: i64,
    /// The new drafts in `to`, one per undecided or deferred intention of `from`.
    pub copied: Vec<Intention>,
}

/// A financial year in a path: `2026-27` (a `/` cannot stand in a path segment; `2026%2F27` works too).
fn year_in_path(raw: &str) -> Result<FinancialYear, ApiError> {
    let text = raw
        .replace("%2F", "/")
        .replace("%2f", "/")
        .replacen('-', "/", 1);
    text.parse()
        .map_err(|e: String| ApiError::invalid("fy", e.replace('/', "-")))
}

fn shift_a_year(date: Option<Date>) -> Option<Date> {
    date.and_then(|d| d.get().checked_add_months(Months::new(12)))
        .and_then(|d| Date::try_from(d).ok())
}

/// Copy the caller's authority's undecided (draft, submitted) and deferred intentions of a year
/// into the next year as drafts, with planned dates a year later, for the board's annual review
/// (`commissioner` or `admin`). Idempotent: an intention is copied at most once, however often
/// this is called.
#[utoipa::path(tag = "Forward plan", security(("bearer" = [])),
    params(("fy" = String, Path, description = "The year to roll forward from, written `2026-27`",
        pattern = r"^20[0-9]{2}-[0-9]{2}$", example = "2026-27")),
    responses((status = 200, description = "What was copied", body = RollForward),
        (status = 422, description = "The path does not name a financial year", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "fy: \"2026-28\" is not a financial year: 2026-27 would be",
                "errors": [{"field": "fy", "message": "\"2026-28\" is not a financial year: 2026-27 would be"}]}))))]
#[post("/forward-plan/{fy}/roll-forward")]
async fn roll_forward(
    pool: Db,
    caller: Caller,
    fy: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let from = year_in_path(&fy)?;
    let to =
        FinancialYear::starting(from.start_year() + 1).map_err(|e| ApiError::invalid("fy", e))?;
    let result = db::transaction(&pool, move |conn| {
        let owner = AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
            ApiError::Forbidden(format!(
                "the token's authority {} is not registered here",
                caller.authority
            ))
        })?;
        let already_rolled_forward = IntentionRow::rolled_forward_count(conn, owner.id, from)?;
        let mut copied = Vec::new();
        for (row, authority, category) in
            IntentionRow::roll_forward_candidates(conn, owner.id, from)?
        {
            let now = Utc::now();
            let copy = IntentionRow {
                id: Uuid::now_v7(),
                reference: next_reference(conn, owner.id, &owner.code, "CI", to.start_year())?,
                financial_year: to,
                planned_procurement_start: shift_a_year(row.planned_procurement_start),
                planned_contract_start: shift_a_year(row.planned_contract_start),
                status: IntentionStatus::Draft,
                version: 1,
                created_by: caller.subject.clone(),
                created_at: now,
                updated_at: now,
                decision: None,
                decision_date: None,
                minute_reference: None,
                decision_note: None,
                decided_by: None,
                rolled_from: Some(row.id),
                published_at: None,
                ..row
            };
            let view = Intention::from((IntentionRow::insert(conn, &copy)?, authority, category));
            let after = serde_json::to_value(&view).map_err(ApiError::internal)?;
            AuditEventRow::record(
                conn,
                &caller,
                "roll_forward",
                "commissioning_intention",
                view.id,
                None,
                Some(after),
            )?;
            copied.push(view);
        }
        Ok(RollForward {
            from,
            to,
            already_rolled_forward,
            copied,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

//! Collaboration across authorities: opportunities (led by one authority, with participants, their
//! linked intentions and shared learning), the candidates the forward plans suggest, collaboration
//! measures, and the benchmarks partners post with their comparison and trend.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Datelike, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use serde_with::rust::double_option;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::collaboration::{
    BenchmarkValue, Better, MAX_OBSERVATIONS, METRIC_KEEPERS, MetricCode, MetricUnit, OBSERVERS,
    OpportunityStatus, ParticipantStatus, Period, Planned, WRITERS, candidate_groups,
    change_percent, check_title, rank, summarise,
};
use crate::domain::values::{AuthorityCode, CategoryCode, Date, FinancialYear, Pence};
use crate::error::{ApiError, FieldError};
use crate::extract::{IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::collaboration::{
    MetricRow, NoteRow, ObservationRow, OpportunityChanges, OpportunityFilter, OpportunityRow,
    OpportunityWithCodes, ParticipantRow, Upserted, intention_owners, measures as load_measures,
    metric_values, unlinked_open_intentions,
};
use crate::models::intentions::next_reference;
use crate::models::reference::{AuthorityRow, CategoryRow};
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update)
        .service(participate)
        .service(add_note)
        .service(candidates)
        .service(measures)
        .service(list_metrics)
        .service(create_metric)
        .service(read_metric)
        .service(post_observations)
        .service(comparison)
        .service(trend);
}

const ENTITY: &str = "collaboration_opportunity";
const METRIC_ENTITY: &str = "benchmark_metric";
const OBSERVATION_ENTITY: &str = "benchmark_observation";

// ---------------------------------------------------------------------------------------------
// Opportunities

/// An authority taking part in an opportunity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"authority": "TAM", "status": "committed",
    "intention_ids": ["0193b000-0000-7000-8000-000000000012"], "updated_by": "jo.bloggs@tameside.gov.uk",
    "updated_at": "2026-11-23T09:00:00Z"}))]
pub struct Participant {
    pub authority: AuthorityCode,
    pub status: ParticipantStatus,
    /// Commissioning intentions of this participant's own forward plan that the opportunity joins.
    pub intention_ids: Vec<Uuid>,
    /// Subject of the token that last changed this participation.
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// A note of shared learning on an opportunity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193e000-0000-7000-8000-000000000201", "authority": "RCH",
    "author": "jo.bloggs@rochdale.gov.uk", "noted_on": "2026-11-23",
    "text": "Fortnightly subcategory meetings kept all four councils' timetables aligned.",
    "created_at": "2026-11-23T09:00:00Z"}))]
pub struct Note {
    pub id: Uuid,
    /// The authority of the author.
    pub authority: AuthorityCode,
    /// Subject of the token that wrote it.
    pub author: String,
    pub noted_on: Date,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// A collaboration opportunity: led by one authority, with others taking part.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193e000-0000-7000-8000-000000000001",
    "reference": "RCH-COL-2026-0001",
    "lead_authority": "RCH",
    "title": "STAR-wide home care dynamic market",
    "description": "One dynamic market for home care across the four STAR councils.",
    "category": "home-care",
    "financial_year": "2026/27",
    "status": "agreed",
    "allowed_statuses": ["scoping", "procuring", "closed"],
    "estimated_savings_pence": 45_000_000_i64,
    "achieved_savings_pence": null,
    "participants": [
        {"authority": "RCH", "status": "committed", "intention_ids": ["0193b000-0000-7000-8000-000000000007"],
         "updated_by": "jo.bloggs@rochdale.gov.uk", "updated_at": "2026-11-23T09:00:00Z"},
        {"authority": "TAM", "status": "interested", "intention_ids": [],
         "updated_by": "jo.bloggs@rochdale.gov.uk", "updated_at": "2026-11-23T09:00:00Z"}
    ],
    "notes": [],
    "version": 3,
    "created_by": "jo.bloggs@rochdale.gov.uk",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct Opportunity {
    pub id: Uuid,
    /// Human reference, unique within the lead authority, e.g. `RCH-COL-2026-0001`.
    pub reference: String,
    /// The authority that leads it; its commissioners and procurement officers edit the record.
    pub lead_authority: AuthorityCode,
    pub title: String,
    pub description: String,
    /// Category or subcategory code of the category strategy.
    pub category: CategoryCode,
    /// The financial year the opportunity was raised in; the measures count by it.
    pub financial_year: FinancialYear,
    pub status: OpportunityStatus,
    /// The statuses it may move to next.
    pub allowed_statuses: Vec<OpportunityStatus>,
    pub estimated_savings_pence: Option<Pence>,
    pub achieved_savings_pence: Option<Pence>,
    /// Every authority taking part, the lead included, by code.
    pub participants: Vec<Participant>,
    /// Shared learning, oldest first.
    pub notes: Vec<Note>,
    /// Moves on by one with every change, to participants and notes too; the ETag carries it.
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Opportunity {
    fn audit_json(&self) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(self).map_err(ApiError::internal)
    }

    fn build(
        (row, lead, category): OpportunityWithCodes,
        participants: Vec<Participant>,
        notes: Vec<Note>,
    ) -> Self {
        let status = row.status();
        Opportunity {
            id: row.id,
            reference: row.reference,
            lead_authority: AuthorityCode::try_from(lead).expect("authorities.code is checked"),
            title: row.title,
            description: row.description,
            category: CategoryCode::try_from(category).expect("categories.code is checked"),
            financial_year: row.financial_year,
            status,
            allowed_statuses: status.next().to_vec(),
            estimated_savings_pence: row.estimated_savings_pence,
            achieved_savings_pence: row.achieved_savings_pence,
            participants,
            notes,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn participant_view((row, code): (ParticipantRow, String)) -> (Uuid, Participant) {
    let status = row.status();
    (
        row.opportunity_id,
        Participant {
            authority: AuthorityCode::try_from(code).expect("authorities.code is checked"),
            status,
            intention_ids: row.intention_ids,
            updated_by: row.updated_by,
            updated_at: row.updated_at,
        },
    )
}

fn note_view((row, code): (NoteRow, String)) -> (Uuid, Note) {
    (
        row.opportunity_id,
        Note {
            id: row.id,
            authority: AuthorityCode::try_from(code).expect("authorities.code is checked"),
            author: row.author,
            noted_on: row.noted_on,
            text: row.body,
            created_at: row.created_at,
        },
    )
}

/// The API views of these opportunities, with their participants and notes.
fn views(
    conn: &mut PgConnection,
    rows: Vec<OpportunityWithCodes>,
) -> Result<Vec<Opportunity>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|(r, _, _)| r.id).collect();
    let mut participants: HashMap<Uuid, Vec<Participant>> = HashMap::new();
    for (id, p) in ParticipantRow::of(conn, &ids)?
        .into_iter()
        .map(participant_view)
    {
        participants.entry(id).or_default().push(p);
    }
    let mut notes: HashMap<Uuid, Vec<Note>> = HashMap::new();
    for (id, n) in NoteRow::of(conn, &ids)?.into_iter().map(note_view) {
        notes.entry(id).or_default().push(n);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.0.id;
            Opportunity::build(
                row,
                participants.remove(&id).unwrap_or_default(),
                notes.remove(&id).unwrap_or_default(),
            )
        })
        .collect())
}

fn view_of(conn: &mut PgConnection, id: Uuid) -> Result<Opportunity, ApiError> {
    let row = OpportunityRow::find(conn, id)?;
    Ok(views(conn, vec![row])?.remove(0))
}

/// An authority taking part, as the lead names it when creating the opportunity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    pub authority: AuthorityCode,
    /// `interested` when not given.
    #[serde(default)]
    pub status: ParticipantStatus,
    /// Intentions of this participant's own forward plan.
    #[serde(default)]
    pub intention_ids: Vec<Uuid>,
}

/// A new opportunity. The lead is the caller's authority, which takes part as `committed` unless
/// listed with another status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "STAR-wide home care dynamic market",
    "description": "One dynamic market for home care across the four STAR councils.",
    "category": "home-care",
    "financial_year": "2026/27",
    "status": "idea",
    "estimated_savings_pence": 45_000_000_i64,
    "participants": [
        {"authority": "RCH", "status": "committed", "intention_ids": ["0193b000-0000-7000-8000-000000000007"]},
        {"authority": "TAM", "status": "interested"}
    ]
}))]
pub struct NewOpportunity {
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: CategoryCode,
    /// The financial year it is raised in; the current one when not given.
    #[serde(default)]
    pub financial_year: Option<FinancialYear>,
    /// `idea` when not given.
    #[serde(default)]
    pub status: OpportunityStatus,
    #[serde(default)]
    pub estimated_savings_pence: Option<Pence>,
    #[serde(default)]
    pub achieved_savings_pence: Option<Pence>,
    #[serde(default)]
    pub participants: Vec<NewParticipant>,
}

/// A partial update of the record (the lead's roles): fields left out stay as they are; `null`
/// clears a savings figure. Participations change through their own endpoint.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "delivered", "achieved_savings_pence": 38_000_000_i64}))]
pub struct OpportunityPatch {
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
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub financial_year: Option<FinancialYear>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub status: Option<OpportunityStatus>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Pence>)]
    pub estimated_savings_pence: Option<Option<Pence>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Pence>)]
    pub achieved_savings_pence: Option<Option<Pence>>,
}

/// An authority's participation, set by that authority (or first added by the lead).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "committed", "intention_ids": ["0193b000-0000-7000-8000-000000000012"]}))]
pub struct ParticipationRequest {
    pub status: ParticipantStatus,
    /// Intentions of this authority's own forward plan; the whole list, replacing the old one.
    #[serde(default)]
    pub intention_ids: Vec<Uuid>,
}

/// A note of shared learning; the author and date come from the token and the clock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Fortnightly subcategory meetings kept all four councils' timetables aligned."}))]
pub struct NewNote {
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
}

/// Filters and paging for the opportunity list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only opportunities this authority leads or takes part in.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    pub status: Option<OpportunityStatus>,
    #[param(value_type = Option<FinancialYear>)]
    pub financial_year: Option<FinancialYear>,
    /// A category or subcategory code; a category includes its subcategories.
    #[param(value_type = Option<CategoryCode>)]
    pub category: Option<CategoryCode>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
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

/// The financial year today falls in.
fn current_financial_year() -> FinancialYear {
    let today = Utc::now().date_naive();
    let start = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    FinancialYear::starting(start).expect("this century")
}

/// Problems with the intentions a participation of `authority` links: each must exist and be in
/// that authority's own plan. `field` is the JSON path of the list.
fn intention_problems(
    conn: &mut PgConnection,
    field: &str,
    authority: &str,
    ids: &[Uuid],
) -> Result<Vec<FieldError>, ApiError> {
    let owners: HashMap<Uuid, String> = intention_owners(conn, ids)?.into_iter().collect();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if !seen.insert(*id) {
            problems.push(FieldError::new(
                at,
                format!("intention {id} is listed twice"),
            ));
            continue;
        }
        match owners.get(id) {
            None => problems.push(FieldError::new(at, format!("no commissioning intention has id {id}"))),
            Some(owner) if owner != authority => problems.push(FieldError::new(
                at,
                format!("intention {id} belongs to {owner}; a participant links only its own intentions ({authority})"),
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}

fn participant_row(
    opportunity_id: Uuid,
    authority_id: Uuid,
    status: ParticipantStatus,
    intention_ids: Vec<Uuid>,
    caller: &Caller,
) -> ParticipantRow {
    ParticipantRow {
        opportunity_id,
        authority_id,
        status: <&str>::from(status).to_string(),
        intention_ids,
        updated_by: caller.subject.clone(),
        updated_at: Utc::now(),
    }
}

fn caller_authority(conn: &mut PgConnection, caller: &Caller) -> Result<AuthorityRow, ApiError> {
    AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
        ApiError::Forbidden(format!(
            "the token's authority {} is not registered here",
            caller.authority
        ))
    })
}

/// Create an opportunity led by the caller's authority (`commissioner`, `procurement` or `admin`).
/// Each participant's `intention_ids` must be intentions of that participant's own plan (422
/// naming `participants[i].intention_ids[j]` otherwise).
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])), request_body = NewOpportunity,
    responses((status = 201, description = "Created", body = Opportunity,
        headers(("Location" = String, description = "URL of the new opportunity"), ("ETag" = String, description = "The record's version")))))]
#[post("/collaboration/opportunities")]
async fn create(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewOpportunity>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let title = check_title(&new.title).map_err(|m| ApiError::invalid("title", m))?;
    let mut listed = HashSet::new();
    for (i, p) in new.participants.iter().enumerate() {
        if !listed.insert(p.authority.clone()) {
            return Err(ApiError::invalid(
                format!("participants[{i}].authority"),
                format!("{} is listed twice", p.authority),
            ));
        }
    }
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/collaboration/opportunities",
        fingerprint,
        move |conn, caller| {
            let lead = caller_authority(conn, caller)?;
            let category = CategoryRow::by_code(conn, new.category.as_str())?
                .ok_or_else(|| unknown_category(&new.category))?;
            let mut problems = Vec::new();
            let mut participants = Vec::new();
            for (i, p) in new.participants.into_iter().enumerate() {
                match AuthorityRow::by_code(conn, p.authority.as_str())? {
                    None => problems.push(FieldError::new(
                        format!("participants[{i}].authority"),
                        format!(
                            "no authority has code {}; GET /v1/authorities lists them",
                            p.authority
                        ),
                    )),
                    Some(a) => {
                        problems.extend(intention_problems(
                            conn,
                            &format!("participants[{i}].intention_ids"),
                            &a.code,
                            &p.intention_ids,
                        )?);
                        participants.push((a.id, p.status, p.intention_ids));
                    }
                }
            }
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
            if !participants.iter().any(|(id, _, _)| *id == lead.id) {
                participants.push((lead.id, ParticipantStatus::Committed, Vec::new()));
            }
            let now = Utc::now();
            let reference = next_reference(conn, lead.id, &lead.code, "COL", now.year())?;
            let row = OpportunityRow::insert(
                conn,
                &OpportunityRow {
                    id: Uuid::now_v7(),
                    lead_authority_id: lead.id,
                    reference,
                    title,
                    description: new.description,
                    category_id: category.id,
                    financial_year: new.financial_year.unwrap_or_else(current_financial_year),
                    status: <&str>::from(new.status).to_string(),
                    estimated_savings_pence: new.estimated_savings_pence,
                    achieved_savings_pence: new.achieved_savings_pence,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            for (authority_id, status, intention_ids) in participants {
                ParticipantRow::upsert(
                    conn,
                    &participant_row(row.id, authority_id, status, intention_ids, caller),
                )?;
            }
            let view = view_of(conn, row.id)?;
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
                format!("/v1/collaboration/opportunities/{}", view.id),
                view.version,
            )
        },
    )
    .await
}

/// List opportunities across all authorities, filtered, oldest first. Every authenticated caller
/// reads every opportunity.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])), params(ListParams),
    responses((status = 200, description = "A page of opportunities", body = Page<Opportunity>)))]
#[get("/collaboration/opportunities")]
async fn list(
    pool: Db,
    _caller: Caller,
    params: Query<ListParams>,
) -> Result<web::Json<Page<Opportunity>>, ApiError> {
    let Query(p) = params;
    let limit = p.limit;
    let items = db::run(&pool, move |conn| {
        let authority_id = match &p.authority {
            Some(code) => match AuthorityRow::by_code(conn, code.as_str())? {
                Some(a) => Some(a.id),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let filter = OpportunityFilter {
            authority_id,
            status: p.status,
            financial_year: p.financial_year,
            category: p.category.map(String::from),
        };
        let rows = OpportunityRow::page(conn, &filter, p.cursor.map(|c| c.0), limit.fetch())?;
        views(conn, rows)
    })
    .await?;
    Ok(web::Json(Page::from_rows(items, limit, |o| o.id, |o| o)))
}

/// One opportunity, with its participants and notes.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Opportunity id")),
    responses((status = 200, description = "The opportunity", body = Opportunity,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/collaboration/opportunities/{id}")]
async fn read(pool: Db, _caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = db::run(&pool, move |conn| view_of(conn, id)).await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change the record (the lead authority's `commissioner`, `procurement` or `admin`; 403 for
/// anyone else, participants included). Status moves follow `idea → scoping → agreed → procuring →
/// delivered → closed`, with steps back from `scoping` and `agreed` and `closed` from anywhere;
/// another move is 409 naming the allowed ones. Send the ETag as `If-Match` (412 when stale).
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Opportunity id")),
    request_body(content = OpportunityPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated opportunity", body = Opportunity,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 409, description = "The status cannot move that way", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "an opportunity that is idea cannot become delivered; allowed now: scoping, closed"}))))]
#[patch("/collaboration/opportunities/{id}")]
async fn update(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<OpportunityPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let title = patch
        .title
        .as_deref()
        .map(check_title)
        .transpose()
        .map_err(|m| ApiError::invalid("title", m))?;
    let view = db::transaction(&pool, move |conn| {
        let (row, lead, _) = OpportunityRow::find_for_update(conn, id)?;
        caller.require_to_change(WRITERS, &lead)?;
        if_match.check(row.version)?;
        if let Some(to) = patch.status {
            row.status().check_move(to).map_err(ApiError::Conflict)?;
        }
        let category = match &patch.category {
            Some(code) => Some(
                CategoryRow::by_code(conn, code.as_str())?.ok_or_else(|| unknown_category(code))?,
            ),
            None => None,
        };
        let before = view_of(conn, id)?;
        let changes = OpportunityChanges {
            title,
            description: patch.description,
            category_id: category.map(|c| c.id),
            financial_year: patch.financial_year,
            status: patch.status.map(|s| <&str>::from(s).to_string()),
            estimated_savings_pence: patch.estimated_savings_pence,
            achieved_savings_pence: patch.achieved_savings_pence,
        };
        OpportunityRow::update(conn, id, &changes)?;
        let after = view_of(conn, id)?;
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

/// Set an authority's participation: its status and the intentions of its own plan the
/// opportunity joins. A participant's `commissioner`, `procurement` or `admin` sets its own; the
/// lead's may also add an authority not yet taking part, but not change another's participation.
/// Anyone else is 403. `If-Match` takes the opportunity's ETag.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Opportunity id"),
        ("authority" = AuthorityCode, Path, description = "The participating authority's code"),
        ("If-Match" = Option<String>, Header)),
    request_body = ParticipationRequest,
    responses((status = 200, description = "The opportunity with the participation set", body = Opportunity,
        headers(("ETag" = String, description = "The opportunity's new version")))))]
#[put("/collaboration/opportunities/{id}/participants/{authority}")]
async fn participate(
    pool: Db,
    caller: Caller,
    path: web::Path<(Uuid, String)>,
    if_match: IfMatch,
    body: Json<ParticipationRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, code) = path.into_inner();
    let code: AuthorityCode = code
        .parse()
        .map_err(|_| ApiError::not_found(format!("authority {code:?}")))?;
    let request = body.value;
    caller.require_role(WRITERS)?;
    let view = db::transaction(&pool, move |conn| {
        let (row, lead, _) = OpportunityRow::find_for_update(conn, id)?;
        let authority = AuthorityRow::by_code(conn, code.as_str())?
            .ok_or_else(|| ApiError::not_found(format!("authority {code}")))?;
        let current = ParticipantRow::of(conn, &[id])?
            .into_iter()
            .find(|(p, _)| p.authority_id == authority.id);
        let own = caller.authority == code;
        let caller_leads = caller.authority.as_str() == lead;
        match (&current, own, caller_leads) {
            (Some(_), true, _) | (None, true, true) => {}
            (None, false, true) => {}
            (None, true, false) => {
                return Err(ApiError::Forbidden(format!(
                    "{code} does not take part in this opportunity; its lead {lead} adds participants"
                )));
            }
            (Some(_), false, true) => {
                return Err(ApiError::Forbidden(format!(
                    "{code}'s participation is {code}'s to change; the lead {lead} edits the opportunity itself"
                )));
            }
            (_, false, false) => {
                return Err(ApiError::Forbidden(format!(
                    "only {code} (or the lead {lead}, to add it) may set {code}'s participation; the token acts for {}",
                    caller.authority
                )));
            }
        }
        if_match.check(row.version)?;
        let problems = intention_problems(conn, "intention_ids", &authority.code, &request.intention_ids)?;
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        let before = view_of(conn, id)?;
        ParticipantRow::upsert(
            conn,
            &participant_row(id, authority.id, request.status, request.intention_ids, &caller),
        )?;
        OpportunityRow::touch(conn, id)?;
        let after = view_of(conn, id)?;
        AuditEventRow::record(
            conn,
            &caller,
            "participate",
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

/// Add a note of shared learning (a `commissioner`, `procurement` or `admin` of the lead or of an
/// authority taking part and not withdrawn). The author is the token's subject; the date today's.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Opportunity id"), ("If-Match" = Option<String>, Header)),
    request_body = NewNote,
    responses((status = 201, description = "The note, added", body = Note,
        headers(("Location" = String, description = "URL of the opportunity the note is on"),
            ("ETag" = String, description = "The opportunity's new version")))))]
#[post("/collaboration/opportunities/{id}/notes")]
async fn add_note(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    if_match: IfMatch,
    body: Json<NewNote>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let id = id.into_inner();
    let Json {
        value: new,
        fingerprint,
    } = body;
    let text = new.text.trim().to_string();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(ApiError::invalid("text", "must be 1 to 10000 characters"));
    }
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/collaboration/opportunities/{id}/notes",
        format!("{id}\n{fingerprint}"),
        move |conn, caller| {
            let (opportunity, lead, _) = OpportunityRow::find_for_update(conn, id)?;
            // A note moves the opportunity's version on, so a stale If-Match is refused too.
            if_match.check(opportunity.version)?;
            let author = caller_authority(conn, caller)?;
            let taking_part = ParticipantRow::of(conn, &[id])?.into_iter().any(|(p, _)| {
                p.authority_id == author.id && p.status() != ParticipantStatus::Withdrawn
            });
            if author.code != lead && !taking_part {
                return Err(ApiError::Forbidden(format!(
                    "{} does not take part in this opportunity; the lead and its participants share learning here",
                    author.code
                )));
            }
            let now = Utc::now();
            let row = NoteRow::insert(
                conn,
                &NoteRow {
                    id: Uuid::now_v7(),
                    opportunity_id: id,
                    authority_id: author.id,
                    author: caller.subject.clone(),
                    noted_on: Date::try_from(now.date_naive()).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
                    body: text,
                    created_at: now,
                },
            )?;
            let opportunity = OpportunityRow::touch(conn, id)?;
            let (_, note) = note_view((row, author.code));
            let json = serde_json::to_value(&note).map_err(ApiError::internal)?;
            AuditEventRow::record(conn, caller, "add_note", ENTITY, id, None, Some(json))?;
            Created::new(
                &note,
                format!("/v1/collaboration/opportunities/{id}"),
                opportunity.version,
            )
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Candidates and measures

/// What the candidate search looks at.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandidateParams {
    /// The financial year of the intentions.
    #[param(value_type = FinancialYear)]
    pub financial_year: FinancialYear,
    /// How far apart, in months, planned procurement starts may be (inclusive), 0 to 36; 6 when
    /// not given.
    #[param(minimum = 0, maximum = 36, example = 6)]
    pub window_months: Option<u32>,
}

/// An intention in a candidate group.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateIntention {
    pub id: Uuid,
    pub reference: String,
    pub authority: AuthorityCode,
    pub title: String,
    pub status: String,
    pub planned_procurement_start: chrono::NaiveDate,
    pub estimated_annual_value_pence: Option<i64>,
}

/// Intentions of two or more authorities in one subcategory whose procurements start close
/// together: a collaboration waiting to happen.
#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    pub category: CategoryCode,
    pub authorities: Vec<AuthorityCode>,
    pub earliest_start: chrono::NaiveDate,
    pub latest_start: chrono::NaiveDate,
    /// By planned procurement start.
    pub intentions: Vec<CandidateIntention>,
}

/// The candidate groups for one financial year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"financial_year": "2026/27", "window_months": 6, "items": [{
    "category": "home-care", "authorities": ["RCH", "TAM"], "earliest_start": "2026-06-01", "latest_start": "2026-09-01",
    "intentions": [
        {"id": "0193b000-0000-7000-8000-000000000007", "reference": "RCH-CI-2026-0007", "authority": "RCH",
         "title": "Home care re-procurement", "status": "approved", "planned_procurement_start": "2026-06-01",
         "estimated_annual_value_pence": 1_250_000_000_i64},
        {"id": "0193b000-0000-7000-8000-000000000012", "reference": "TAM-CI-2026-0003", "authority": "TAM",
         "title": "Home care framework", "status": "draft", "planned_procurement_start": "2026-09-01",
         "estimated_annual_value_pence": 900_000_000_i64}]}]}))]
pub struct Candidates {
    pub financial_year: FinancialYear,
    pub window_months: u32,
    pub items: Vec<Candidate>,
}

/// Find collaboration candidates in the forward plans: open intentions (draft, submitted,
/// approved, deferred, in procurement) of the year, in the same subcategory, from two or more
/// authorities, whose planned procurement starts all lie within `window_months` of each other
/// (inclusive: 1 January and 1 July are within 6 months), and that no opportunity joins yet
/// (links of withdrawn participants do not count). Intentions without a planned start are left
/// out. Each group is as large as the window allows; a procurement may be in two overlapping groups.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])), params(CandidateParams),
    responses((status = 200, description = "Candidate groups, by category and start", body = Candidates)))]
#[get("/collaboration/candidates")]
async fn candidates(
    pool: Db,
    _caller: Caller,
    params: Query<CandidateParams>,
) -> Result<web::Json<Candidates>, ApiError> {
    let Query(p) = params;
    let window = p.window_months.unwrap_or(6);
    if window > 36 {
        return Err(ApiError::invalid("window_months", "must be from 0 to 36"));
    }
    let year = p.financial_year;
    let rows = db::run(&pool, move |conn| Ok(unlinked_open_intentions(conn, year)?)).await?;
    let mut by_category: BTreeMap<String, Vec<Planned<usize>>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_category
            .entry(r.category.clone())
            .or_default()
            .push(Planned {
                key: i,
                authority: r.authority.clone(),
                start: r.planned_procurement_start,
            });
    }
    let mut items = Vec::new();
    for (category, planned) in by_category {
        for group in candidate_groups(planned, window) {
            let mut authorities: Vec<String> = group.iter().map(|p| p.authority.clone()).collect();
            authorities.sort();
            authorities.dedup();
            items.push(Candidate {
                category: CategoryCode::try_from(category.clone())
                    .expect("categories.code is checked"),
                authorities: authorities
                    .into_iter()
                    .map(|a| AuthorityCode::try_from(a).expect("authorities.code is checked"))
                    .collect(),
                earliest_start: group[0].start,
                latest_start: group[group.len() - 1].start,
                intentions: group
                    .iter()
                    .map(|p| {
                        let r = &rows[p.key];
                        CandidateIntention {
                            id: r.id,
                            reference: r.reference.clone(),
                            authority: AuthorityCode::try_from(r.authority.clone())
                                .expect("authorities.code is checked"),
                            title: r.title.clone(),
                            status: r.status.clone(),
                            planned_procurement_start: r.planned_procurement_start,
                            estimated_annual_value_pence: r.estimated_annual_value_pence,
                        }
                    })
                    .collect(),
            });
        }
    }
    Ok(web::Json(Candidates {
        financial_year: year,
        window_months: window,
        items,
    }))
}

/// Who the measures cover.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MeasureParams {
    /// Only opportunities this authority leads or takes part in; all when not given.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
}

/// Opportunities in one status.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityStatusCount {
    pub status: OpportunityStatus,
    pub count: i64,
}

/// Opportunities raised in one financial year, and the change on the year before.
#[derive(Debug, Serialize, ToSchema)]
pub struct YearCount {
    pub financial_year: FinancialYear,
    pub count: i64,
    /// Change in the count on the financial year before, in per cent rounded half away from zero
    /// (150 is the seed's "+150%"); `null` when the year before had none.
    pub change_percent: Option<i64>,
    pub estimated_savings_pence: i64,
    pub achieved_savings_pence: i64,
}

/// Collaboration measures.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "total": 14,
    "by_status": [{"status": "idea", "count": 2}, {"status": "scoping", "count": 3}, {"status": "agreed", "count": 2},
                  {"status": "procuring", "count": 2}, {"status": "delivered", "count": 4}, {"status": "closed", "count": 1}],
    "by_financial_year": [
        {"financial_year": "2024/25", "count": 4, "change_percent": null, "estimated_savings_pence": 60_000_000_i64, "achieved_savings_pence": 52_000_000_i64},
        {"financial_year": "2025/26", "count": 10, "change_percent": 150, "estimated_savings_pence": 180_000_000_i64, "achieved_savings_pence": 41_000_000_i64}],
    "estimated_savings_pence": 240_000_000_i64,
    "savings_delivered_pence": 93_000_000_i64
}))]
pub struct Measures {
    pub total: i64,
    /// Every status, with zero where there are none.
    pub by_status: Vec<OpportunityStatusCount>,
    /// By the financial year each opportunity was raised in, oldest first.
    pub by_financial_year: Vec<YearCount>,
    pub estimated_savings_pence: i64,
    /// Savings delivered through collaboration: the sum of achieved savings.
    pub savings_delivered_pence: i64,
}

/// Collaboration measures: opportunities by status and by financial year with the year-on-year
/// change, and the savings delivered.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])), params(MeasureParams),
    responses((status = 200, description = "The measures", body = Measures)))]
#[get("/collaboration/measures")]
async fn measures(
    pool: Db,
    _caller: Caller,
    params: Query<MeasureParams>,
) -> Result<web::Json<Measures>, ApiError> {
    let Query(p) = params;
    let (by_status, by_year) = db::run(&pool, move |conn| {
        Ok(load_measures(
            conn,
            p.authority.as_ref().map(|a| a.as_str()),
        )?)
    })
    .await?;
    let status_counts: HashMap<String, i64> =
        by_status.iter().map(|c| (c.key.clone(), c.count)).collect();
    let year_counts: HashMap<String, i64> =
        by_year.iter().map(|c| (c.key.clone(), c.count)).collect();
    let mut years = Vec::new();
    for cell in &by_year {
        let year: FinancialYear = cell
            .key
            .parse()
            .map_err(|e: String| ApiError::internal(anyhow::anyhow!(e)))?;
        let previous = FinancialYear::starting(year.start_year() - 1)
            .ok()
            .and_then(|p| year_counts.get(&p.to_string()).copied())
            .unwrap_or(0);
        years.push(YearCount {
            financial_year: year,
            count: cell.count,
            change_percent: change_percent(previous, cell.count),
            estimated_savings_pence: cell.estimated_savings_pence,
            achieved_savings_pence: cell.achieved_savings_pence,
        });
    }
    use strum::VariantArray;
    Ok(web::Json(Measures {
        total: by_status.iter().map(|c| c.count).sum(),
        by_status: OpportunityStatus::VARIANTS
            .iter()
            .map(|s| OpportunityStatusCount {
                status: *s,
                count: status_counts.get(<&str>::from(*s)).copied().unwrap_or(0),
            })
            .collect(),
        by_financial_year: years,
        estimated_savings_pence: by_status.iter().map(|c| c.estimated_savings_pence).sum(),
        savings_delivered_pence: by_status.iter().map(|c| c.achieved_savings_pence).sum(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Benchmarks

/// A benchmark metric: what is measured, in which unit, and which way is better.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "home_care_hourly_rate", "name": "Home care hourly rate",
    "description": "The standard rate paid for an hour of home care.", "unit": "pence_per_hour", "better": "lower",
    "created_at": "2026-11-23T09:00:00Z"}))]
pub struct Metric {
    pub code: MetricCode,
    pub name: String,
    pub description: String,
    pub unit: MetricUnit,
    /// Which way is better; ranks count from the best.
    pub better: Better,
    pub created_at: DateTime<Utc>,
}

impl From<MetricRow> for Metric {
    fn from(row: MetricRow) -> Self {
        Metric {
            unit: row.unit(),
            better: row.better(),
            code: MetricCode::try_from(row.code).expect("benchmark_metrics.code is checked"),
            name: row.name,
            description: row.description,
            created_at: row.created_at,
        }
    }
}

/// A new metric definition (`admin` only).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "home_care_hourly_rate", "name": "Home care hourly rate",
    "description": "The standard rate paid for an hour of home care.", "unit": "pence_per_hour", "better": "lower"}))]
pub struct NewMetric {
    pub code: MetricCode,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub unit: MetricUnit,
    pub better: Better,
}

/// The metric definitions, by code.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricList {
    pub items: Vec<Metric>,
}

/// The benchmark metrics, by code.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])),
    responses((status = 200, description = "Every metric", body = MetricList)))]
#[get("/benchmarks/metrics")]
async fn list_metrics(pool: Db, _caller: Caller) -> Result<web::Json<MetricList>, ApiError> {
    let rows = db::run(&pool, |conn| Ok(MetricRow::all(conn)?)).await?;
    Ok(web::Json(MetricList {
        items: rows.into_iter().map(Metric::from).collect(),
    }))
}

/// One metric.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])),
    params(("code" = MetricCode, Path, description = "Metric code")),
    responses((status = 200, description = "The metric", body = Metric)))]
#[get("/benchmarks/metrics/{code}")]
async fn read_metric(
    pool: Db,
    _caller: Caller,
    code: web::Path<String>,
) -> Result<web::Json<Metric>, ApiError> {
    let code = code.into_inner();
    let row = db::run(&pool, move |conn| {
        MetricRow::by_code(conn, &code)?
            .ok_or_else(|| ApiError::not_found(format!("metric {code:?}")))
    })
    .await?;
    Ok(web::Json(Metric::from(row)))
}

/// Define a metric (`admin`). A code in use already is 409.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])), request_body = NewMetric,
    responses((status = 201, description = "Created", body = Metric,
        headers(("Location" = String, description = "URL of the new metric"), ("ETag" = String, description = "The record's version")))))]
#[post("/benchmarks/metrics")]
async fn create_metric(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewMetric>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(METRIC_KEEPERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let name = new.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("name", "must be 1 to 200 characters"));
    }
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/benchmarks/metrics",
        fingerprint,
        move |conn, caller| {
            let row = MetricRow::insert(
                conn,
                &MetricRow {
                    id: Uuid::now_v7(),
                    code: new.code.as_str().to_string(),
                    name,
                    description: new.description,
                    unit: <&str>::from(new.unit).to_string(),
                    better: <&str>::from(new.better).to_string(),
                    created_by: caller.subject.clone(),
                    created_at: Utc::now(),
                },
            )?;
            let id = row.id;
            let view = Metric::from(row);
            let json = serde_json::to_value(&view).map_err(ApiError::internal)?;
            AuditEventRow::record(conn, caller, "create", METRIC_ENTITY, id, None, Some(json))?;
            Created::new(
                &view,
                format!("/v1/benchmarks/metrics/{}", view.code.as_str()),
                1,
            )
        },
    )
    .await
}

/// One observation in a bulk post.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObservation {
    pub metric: MetricCode,
    /// Must be the caller's own authority.
    pub authority: AuthorityCode,
    pub period: Period,
    pub value: BenchmarkValue,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub source_note: String,
}

/// Many observations, stored all together or not at all.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"observations": [
    {"metric": "home_care_hourly_rate", "authority": "RCH", "period": "2025/26", "value": 2150,
     "source_note": "Standard rate, framework providers, from 1 April 2025"},
    {"metric": "direct_payment_uptake", "authority": "RCH", "period": "2025/26 Q2", "value": 2875,
     "source_note": "ASCOF 1C(2a), quarterly return"}]}))]
pub struct ObservationBatch {
    /// 1 to 1000 observations; each (metric, authority, period) at most once.
    pub observations: Vec<NewObservation>,
}

/// An observation as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct Observation {
    pub metric: MetricCode,
    pub authority: AuthorityCode,
    pub period: Period,
    pub value: BenchmarkValue,
    pub source_note: String,
    /// Moves on by one each time the value or note changes.
    pub version: i32,
    /// What this post did to it: `created`, `updated` or `unchanged`.
    pub outcome: String,
}

/// What a bulk post did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"created": 1, "updated": 0, "unchanged": 1, "observations": [
    {"metric": "home_care_hourly_rate", "authority": "RCH", "period": "2025/26", "value": 2150,
     "source_note": "Standard rate, framework providers, from 1 April 2025", "version": 1, "outcome": "unchanged"},
    {"metric": "direct_payment_uptake", "authority": "RCH", "period": "2025/26 Q2", "value": 2875,
     "source_note": "ASCOF 1C(2a), quarterly return", "version": 1, "outcome": "created"}]}))]
pub struct ObservationResult {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// In the order posted.
    pub observations: Vec<Observation>,
}

/// Post benchmark observations for the caller's own authority (`partner` or `commissioner`), many
/// at once: all are stored or none. Keyed by (authority, metric, period): posting the same value
/// and note again changes nothing, a different one updates it, so a partner system can simply
/// resend. An observation for another authority is 403 and nothing is written; an invalid one is
/// 422 naming it (`observations[3].value`). Values are whole numbers: pence, or per cent × 100.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])), request_body = ObservationBatch,
    responses((status = 200, description = "Stored; what happened to each", body = ObservationResult)))]
#[post("/benchmarks/observations")]
async fn post_observations(
    pool: Db,
    caller: Caller,
    body: Json<ObservationBatch>,
) -> Result<web::Json<ObservationResult>, ApiError> {
    caller.require_role(OBSERVERS)?;
    let batch = body.value.observations;
    if batch.is_empty() || batch.len() > MAX_OBSERVATIONS {
        return Err(ApiError::invalid(
            "observations",
            format!("must hold 1 to {MAX_OBSERVATIONS} observations"),
        ));
    }
    if let Some((i, o)) = batch
        .iter()
        .enumerate()
        .find(|(_, o)| o.authority != caller.authority)
    {
        return Err(ApiError::Forbidden(format!(
            "observations[{i}] is for {}; the token acts for {} and may post only its own benchmarks, so nothing was stored",
            o.authority, caller.authority
        )));
    }
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (i, o) in batch.iter().enumerate() {
        if !seen.insert((o.metric.clone(), o.period)) {
            problems.push(FieldError::new(
                format!("observations[{i}]"),
                format!("{} for {} is posted twice", o.metric.as_str(), o.period),
            ));
        }
        if o.source_note.chars().count() > 1000 {
            problems.push(FieldError::new(
                format!("observations[{i}].source_note"),
                "must be at most 1000 characters",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let result = db::transaction(&pool, move |conn| {
        let authority = caller_authority(conn, &caller)?;
        let mut metrics: HashMap<String, Option<Uuid>> = HashMap::new();
        let mut problems = Vec::new();
        for (i, o) in batch.iter().enumerate() {
            let code = o.metric.as_str().to_string();
            if !metrics.contains_key(&code) {
                let found = MetricRow::by_code(conn, &code)?.map(|m| m.id);
                metrics.insert(code.clone(), found);
            }
            if metrics[&code].is_none() {
                problems.push(FieldError::new(
                    format!("observations[{i}].metric"),
                    format!("no metric has code {code:?}; GET /v1/benchmarks/metrics lists them"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        let mut result = ObservationResult {
            created: 0,
            updated: 0,
            unchanged: 0,
            observations: Vec::with_capacity(batch.len()),
        };
        let now = Utc::now();
        for o in batch {
            let metric_id = metrics[o.metric.as_str()].expect("checked above");
            let (outcome, before, after) = ObservationRow::upsert(
                conn,
                &ObservationRow {
                    id: Uuid::now_v7(),
                    metric_id,
                    authority_id: authority.id,
                    period: o.period.to_string(),
                    value: o.value.get(),
                    source_note: o.source_note.clone(),
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let label = match outcome {
                Upserted::Created => {
                    result.created += 1;
                    "created"
                }
                Upserted::Updated => {
                    result.updated += 1;
                    "updated"
                }
                Upserted::Unchanged => {
                    result.unchanged += 1;
                    "unchanged"
                }
            };
            let view = Observation {
                metric: o.metric,
                authority: o.authority,
                period: o.period,
                value: o.value,
                source_note: after.source_note.clone(),
                version: after.version,
                outcome: label.to_string(),
            };
            if outcome != Upserted::Unchanged {
                let audit = |r: &ObservationRow| {
                    serde_json::json!({"metric": view.metric.as_str(), "authority": view.authority.as_str(),
                        "period": r.period, "value": r.value, "source_note": r.source_note, "version": r.version})
                };
                AuditEventRow::record(
                    conn,
                    &caller,
                    if outcome == Upserted::Created { "create" } else { "update" },
                    OBSERVATION_ENTITY,
                    after.id,
                    before.as_ref().map(audit),
                    Some(audit(&after)),
                )?;
            }
            result.observations.push(view);
        }
        Ok(result)
    })
    .await?;
    Ok(web::Json(result))
}

/// Which period to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComparisonParams {
    /// A financial year (`2026/27`) or quarter (`2026/27 Q2`).
    #[param(value_type = Period)]
    pub period: Period,
}

/// One authority's value in a comparison.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Position {
    pub authority: AuthorityCode,
    pub value: i64,
    /// 1 is best in the metric's direction; equal values share a rank (1, 1, 3).
    pub rank: usize,
    /// The value minus the median (negative is below it).
    pub distance_from_median: i64,
    pub source_note: String,
}

/// A metric across the authorities in one period.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "metric": "home_care_hourly_rate", "unit": "pence_per_hour", "better": "lower", "period": "2025/26",
    "count": 4, "min": 2050, "median": 2175, "max": 2310, "mean": 2176,
    "values": [
        {"authority": "RCH", "value": 2150, "rank": 2, "distance_from_median": -25, "source_note": "Standard rate"},
        {"authority": "SKP", "value": 2310, "rank": 4, "distance_from_median": 135, "source_note": "Standard rate"},
        {"authority": "TAM", "value": 2050, "rank": 1, "distance_from_median": -125, "source_note": "Standard rate"},
        {"authority": "TRF", "value": 2195, "rank": 3, "distance_from_median": 20, "source_note": "Standard rate"}],
    "caller": {"authority": "RCH", "value": 2150, "rank": 2, "distance_from_median": -25, "source_note": "Standard rate"}
}))]
pub struct Comparison {
    pub metric: MetricCode,
    pub unit: MetricUnit,
    pub better: Better,
    pub period: Period,
    /// How many authorities posted a value.
    pub count: usize,
    /// `null` (as are median, max and mean) when no authority posted a value.
    pub min: Option<i64>,
    /// The middle value; for an even count, the mean of the middle two rounded to a whole number,
    /// halves away from zero (2150 and 2201 give 2176).
    pub median: Option<i64>,
    pub max: Option<i64>,
    /// Rounded to a whole number, halves away from zero.
    pub mean: Option<i64>,
    /// Each authority's value, by authority code.
    pub values: Vec<Position>,
    /// The caller's authority's position, or `null` when it posted no value.
    pub caller: Option<Position>,
}

fn metric_or_404(conn: &mut PgConnection, code: &str) -> Result<MetricRow, ApiError> {
    MetricRow::by_code(conn, code)?.ok_or_else(|| ApiError::not_found(format!("metric {code:?}")))
}

/// Compare a metric across the authorities in one period: each authority's value with its rank
/// and distance from the median, and the min, median, max and mean (all whole numbers in the
/// metric's unit), with the caller's own position.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])),
    params(("metric" = MetricCode, Path, description = "Metric code"), ComparisonParams),
    responses((status = 200, description = "The comparison", body = Comparison)))]
#[get("/benchmarks/{metric}/comparison")]
async fn comparison(
    pool: Db,
    caller: Caller,
    metric: web::Path<String>,
    params: Query<ComparisonParams>,
) -> Result<web::Json<Comparison>, ApiError> {
    let code = metric.into_inner();
    let Query(p) = params;
    let period = p.period;
    let (metric, values) = db::run(&pool, move |conn| {
        let metric = metric_or_404(conn, &code)?;
        let year = period.year.start_year();
        let values = metric_values(conn, metric.id, Some(&period.to_string()), year, year)?;
        Ok((metric, values))
    })
    .await?;
    let better = metric.better();
    let numbers: Vec<i64> = values.iter().map(|v| v.value).collect();
    let summary = summarise(&numbers);
    let median = summary.as_ref().map_or(0, |s| s.median);
    let positions: Vec<Position> = values
        .into_iter()
        .map(|v| Position {
            authority: AuthorityCode::try_from(v.authority).expect("authorities.code is checked"),
            value: v.value,
            rank: rank(v.value, &numbers, better),
            distance_from_median: v.value - median,
            source_note: v.source_note,
        })
        .collect();
    let mine = positions
        .iter()
        .find(|p| p.authority == caller.authority)
        .cloned();
    Ok(web::Json(Comparison {
        unit: metric.unit(),
        better,
        metric: MetricCode::try_from(metric.code).expect("benchmark_metrics.code is checked"),
        period,
        count: numbers.len(),
        min: summary.as_ref().map(|s| s.min),
        median: summary.as_ref().map(|s| s.median),
        max: summary.as_ref().map(|s| s.max),
        mean: summary.as_ref().map(|s| s.mean),
        values: positions,
        caller: mine,
    }))
}

/// The financial years a trend spans.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendParams {
    /// The first financial year.
    #[param(value_type = FinancialYear)]
    pub from: FinancialYear,
    /// The last financial year (inclusive), not before `from`, at most 20 years after it.
    #[param(value_type = FinancialYear)]
    pub to: FinancialYear,
}

/// One authority's value in one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodValue {
    pub period: Period,
    pub value: i64,
}

/// One authority's values over the periods.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorityTrend {
    pub authority: AuthorityCode,
    /// Oldest first; a year comes before its quarters. Periods it did not post are absent.
    pub values: Vec<PeriodValue>,
}

/// A metric over time, per authority.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"metric": "home_care_hourly_rate", "unit": "pence_per_hour", "better": "lower",
    "from": "2023/24", "to": "2025/26", "periods": ["2023/24", "2024/25", "2025/26"],
    "authorities": [{"authority": "RCH", "values": [{"period": "2023/24", "value": 1950}, {"period": "2024/25", "value": 2060},
        {"period": "2025/26", "value": 2150}]}]}))]
pub struct Trend {
    pub metric: MetricCode,
    pub unit: MetricUnit,
    pub better: Better,
    pub from: FinancialYear,
    pub to: FinancialYear,
    /// Every period any authority posted in the span, oldest first.
    pub periods: Vec<Period>,
    /// By authority code.
    pub authorities: Vec<AuthorityTrend>,
}

/// A metric's values per authority over the financial years `from` to `to` (inclusive), years and
/// quarters alike.
#[utoipa::path(tag = "Collaboration", security(("bearer" = [])),
    params(("metric" = MetricCode, Path, description = "Metric code"), TrendParams),
    responses((status = 200, description = "The trend", body = Trend)))]
#[get("/benchmarks/{metric}/trend")]
async fn trend(
    pool: Db,
    _caller: Caller,
    metric: web::Path<String>,
    params: Query<TrendParams>,
) -> Result<web::Json<Trend>, ApiError> {
    let code = metric.into_inner();
    let Query(p) = params;
    let (from, to) = (p.from, p.to);
    if to < from || to.start_year() - from.start_year() > 20 {
        return Err(ApiError::invalid(
            "to",
            "must be from `from` to 20 years after it",
        ));
    }
    let (metric, values) = db::run(&pool, move |conn| {
        let metric = metric_or_404(conn, &code)?;
        let values = metric_values(conn, metric.id, None, from.start_year(), to.start_year())?;
        Ok((metric, values))
    })
    .await?;
    let mut periods: Vec<Period> = Vec::new();
    let mut by_authority: BTreeMap<String, Vec<PeriodValue>> = BTreeMap::new();
    for v in values {
        let period: Period = v
            .period
            .parse()
            .map_err(|e: String| ApiError::internal(anyhow::anyhow!(e)))?;
        if !periods.contains(&period) {
            periods.push(period);
        }
        by_authority
            .entry(v.authority)
            .or_default()
            .push(PeriodValue {
                period,
                value: v.value,
            });
    }
    periods.sort();
    Ok(web::Json(Trend {
        unit: metric.unit(),
        better: metric.better(),
        metric: MetricCode::try_from(metric.code).expect("benchmark_metrics.code is checked"),
        from,
        to,
        periods,
        authorities: by_authority
            .into_iter()
            .map(|(a, mut values)| {
                values.sort_by_key(|v| v.period);
                AuthorityTrend {
                    authority: AuthorityCode::try_from(a).expect("authorities.code is checked"),
                    values,
                }
            })
            .collect(),
    }))
}

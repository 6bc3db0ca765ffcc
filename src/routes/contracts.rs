//! The contract register: create, read, list, partial update and bulk CSV import; the
//! re-procurement lead times; and the expiry pipeline of contracts ending soon.

use std::collections::{HashMap, HashSet};

use actix_web::guard::GuardContext;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, put, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_with::rust::double_option;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::contracts::{
    CompaniesHouseNumber, ContractReference, ContractStatus, LEAD_TIME_WRITERS, LeadTimeBand,
    Terms, WRITERS, add_months, bounded_text, latest_possible_end, lead_time_for,
    lead_time_problems, whole_months_between,
};
use crate::domain::intentions::IntentionStatus;
use crate::domain::values::{AuthorityCode, CategoryCode, CpvCode, Date, Pence, plausible_year};
use crate::error::{ApiError, FieldError};
use crate::extract::{CsvBody, IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::contracts::{
    ContractChanges, ContractFilter, ContractRow, ContractWithCodes, Coverage, ExpiryQuery,
    LeadTimeRow,
};
use crate::models::intentions::IntentionRow;
use crate::models::reference::{AuthorityRow, CategoryRow};
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    // The fixed paths come before `/contracts/{id}`, which would otherwise take them for ids
    // (its guard also keeps other methods on them off it).
    cfg.service(create)
        .service(import)
        .service(list)
        .service(lead_times)
        .service(replace_lead_times)
        .service(expiring)
        .service(read)
        .service(update);
}

const ENTITY: &str = "contract";

/// The fixed paths beside `/contracts/{id}`.
const FIXED_PATHS: [&str; 3] = ["expiring", "import", "lead-times"];

/// Keeps `/contracts/{id}` off the fixed paths, so a method they do not allow is 405 (from the
/// app's default service) rather than a failed id.
fn is_record_path(ctx: &GuardContext) -> bool {
    let last = ctx.head().uri.path().rsplit('/').next().unwrap_or_default();
    !FIXED_PATHS.contains(&last)
}
const LEAD_TIMES_ENTITY: &str = "reprocurement_lead_times";

/// A contract in an authority's register.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193b100-0000-7000-8000-000000000031",
    "reference": "RCH-C-2019-0031",
    "authority": "RCH",
    "title": "Home care: North and East Rochdale patches",
    "supplier_name": "Pennine Care at Home Ltd",
    "companies_house_number": "04567812",
    "category": "home-care",
    "cpv_code": "85311100-3",
    "annual_value_pence": 1_180_000_000_i64,
    "total_value_pence": 5_900_000_000_i64,
    "start_date": "2019-10-01",
    "end_date": "2027-09-30",
    "extension_end_dates": ["2028-09-30", "2029-09-30"],
    "latest_possible_end": "2029-09-30",
    "status": "active",
    "intention_id": null,
    "version": 2,
    "created_by": "jo.bloggs@rochdale.gov.uk",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-24T14:30:00Z"
}))]
pub struct Contract {
    pub id: Uuid,
    /// The contract's reference, unique within the authority.
    pub reference: String,
    /// The owning authority.
    pub authority: AuthorityCode,
    pub title: String,
    pub supplier_name: String,
    pub companies_house_number: Option<CompaniesHouseNumber>,
    /// Subcategory (or category) code of the category strategy.
    pub category: CategoryCode,
    pub cpv_code: Option<CpvCode>,
    pub annual_value_pence: Option<Pence>,
    /// Whole-life value, including the extensions.
    pub total_value_pence: Option<Pence>,
    pub start_date: Date,
    /// End of the current term.
    pub end_date: Date,
    /// End dates of the extension options still available, earliest first.
    pub extension_end_dates: Vec<Date>,
    /// The last extension's end date, or `end_date` when none is left.
    pub latest_possible_end: Date,
    pub status: ContractStatus,
    /// The commissioning intention that procured this contract, when known.
    pub intention_id: Option<Uuid>,
    /// Moves on by one with every change; the ETag carries it.
    pub version: i32,
    /// Subject of the token that created (or imported) it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ContractWithCodes> for Contract {
    fn from((row, authority, category): ContractWithCodes) -> Self {
        Contract {
            id: row.id,
            reference: row.reference,
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            title: row.title,
            supplier_name: row.supplier_name,
            companies_house_number: row.companies_house_number.map(|n| {
                CompaniesHouseNumber::try_from(n)
                    .expect("contracts.companies_house_number is checked")
            }),
            category: CategoryCode::try_from(category).expect("categories.code is checked"),
            cpv_code: row
                .cpv_code
                .map(|c| CpvCode::try_from(c).expect("contracts.cpv_code is checked")),
            annual_value_pence: row.annual_value_pence,
            total_value_pence: row.total_value_pence,
            start_date: row.start_date,
            end_date: row.end_date,
            latest_possible_end: latest_possible_end(row.end_date, &row.extension_end_dates),
            extension_end_dates: row.extension_end_dates,
            status: row.status,
            intention_id: row.intention_id,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Contract {
    fn audit_json(&self) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(self).map_err(ApiError::internal)
    }
}

/// A new contract. The owner is the caller's authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "reference": "RCH-C-2019-0031",
    "title": "Home care: North and East Rochdale patches",
    "supplier_name": "Pennine Care at Home Ltd",
    "companies_house_number": "04567812",
    "category": "home-care",
    "cpv_code": "85311100-3",
    "annual_value_pence": 1_180_000_000_i64,
    "total_value_pence": 5_900_000_000_i64,
    "start_date": "2019-10-01",
    "end_date": "2027-09-30",
    "extension_end_dates": ["2028-09-30", "2029-09-30"],
    "status": "active"
}))]
pub struct NewContract {
    /// Unique within the authority; a duplicate is 409.
    pub reference: ContractReference,
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[schema(min_length = 1, max_length = 300)]
    pub supplier_name: String,
    #[serde(default)]
    pub companies_house_number: Option<CompaniesHouseNumber>,
    /// A category or subcategory code (`GET /v1/categories`).
    pub category: CategoryCode,
    #[serde(default)]
    pub cpv_code: Option<CpvCode>,
    #[serde(default)]
    pub annual_value_pence: Option<Pence>,
    /// Whole-life value; not less than the annual value.
    #[serde(default)]
    pub total_value_pence: Option<Pence>,
    pub start_date: Date,
    /// Not before `start_date`.
    pub end_date: Date,
    /// End dates of the extension options still available: each after `end_date` and after the
    /// one before it.
    #[serde(default)]
    pub extension_end_dates: Vec<Date>,
    /// `active` when not given.
    #[serde(default)]
    pub status: ContractStatus,
    /// An intention of the same authority that procured this contract.
    #[serde(default)]
    pub intention_id: Option<Uuid>,
}

/// A partial update (JSON merge patch): fields left out stay as they are; `null` clears an
/// optional field and is refused (422) for a field that cannot be empty. `extension_end_dates` is replaced as a whole (send `[]` once the last option
/// is used or lapses).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"end_date": "2028-09-30", "extension_end_dates": ["2029-09-30"], "companies_house_number": null}))]
pub struct ContractPatch {
    /// Intentions name the contracts they replace by reference: changing it unlinks them.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub reference: Option<ContractReference>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(min_length = 1, max_length = 300, nullable = false)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(min_length = 1, max_length = 300, nullable = false)]
    pub supplier_name: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<CompaniesHouseNumber>)]
    pub companies_house_number: Option<Option<CompaniesHouseNumber>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub category: Option<CategoryCode>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<CpvCode>)]
    pub cpv_code: Option<Option<CpvCode>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Pence>)]
    pub annual_value_pence: Option<Option<Pence>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Pence>)]
    pub total_value_pence: Option<Option<Pence>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub start_date: Option<Date>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub end_date: Option<Date>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub extension_end_dates: Option<Vec<Date>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub status: Option<ContractStatus>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub intention_id: Option<Option<Uuid>>,
}

/// Filters and paging for the contract list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this authority's contracts.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    pub status: Option<ContractStatus>,
    /// A category or subcategory code; a category includes its subcategories.
    #[param(value_type = Option<CategoryCode>)]
    pub category: Option<CategoryCode>,
    /// Part of the supplier's name, in any case.
    #[param(example = "pennine")]
    pub supplier: Option<String>,
    /// Only contracts whose `end_date` (before any extension) is on or before this date.
    #[param(value_type = Option<Date>)]
    pub ending_before: Option<Date>,
    /// Only contracts whose `end_date` (before any extension) is on or after this date.
    #[param(value_type = Option<Date>)]
    pub ending_after: Option<Date>,
    /// Only contracts changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

fn unknown_category(field: impl Into<String>, code: &str) -> FieldError {
    FieldError::new(
        field,
        format!("no category has code {code:?}; GET /v1/categories lists them"),
    )
}

/// The caller's authority, which owns what it creates.
fn owner_of(conn: &mut diesel::PgConnection, caller: &Caller) -> Result<AuthorityRow, ApiError> {
    AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
        ApiError::Forbidden(format!(
            "the token's authority {} is not registered here",
            caller.authority
        ))
    })
}

/// 422 unless the intention exists and belongs to the contract's authority.
fn check_intention(
    conn: &mut diesel::PgConnection,
    intention_id: Uuid,
    owner: &str,
) -> Result<(), ApiError> {
    match IntentionRow::owner(conn, intention_id)? {
        None => Err(ApiError::invalid(
            "intention_id",
            format!("no commissioning intention has id {intention_id}"),
        )),
        Some(authority) if authority != owner => Err(ApiError::invalid(
            "intention_id",
            "the intention belongs to another authority; a contract links only to its own authority's intentions",
        )),
        Some(_) => Ok(()),
    }
}

fn duplicate_reference(authority: &str, reference: &str) -> ApiError {
    ApiError::Conflict(format!(
        "{authority} already has a contract with reference {reference:?}; references are unique within an authority"
    ))
}

/// Create a contract for the caller's authority (`commissioner`, `procurement` or `admin`).
///
/// 409 when the authority already has a contract with the reference; 422 naming the field when the
/// dates or values disagree (`end_date` before `start_date`, `extension_end_dates` not after the
/// end and increasing, `total_value_pence` below `annual_value_pence`), the category is unknown,
/// or `intention_id` is not an intention of the same authority.
#[utoipa::path(tag = "Contracts", security(("bearer" = [])), request_body = NewContract,
    responses((status = 201, description = "Created", body = Contract,
        headers(("Location" = String, description = "URL of the new contract"), ("ETag" = String, description = "The record's version")))))]
#[post("/contracts")]
async fn create(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewContract>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let mut problems = Vec::new();
    let title = bounded_text("title", &new.title, 300)
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
    let supplier_name = bounded_text("supplier_name", &new.supplier_name, 300)
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
    problems.extend(
        Terms {
            annual_value_pence: new.annual_value_pence,
            total_value_pence: new.total_value_pence,
            start_date: new.start_date,
            end_date: new.end_date,
            extension_end_dates: &new.extension_end_dates,
        }
        .problems(),
    );
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/contracts",
        fingerprint,
        move |conn, caller| {
            let owner = owner_of(conn, caller)?;
            let category = CategoryRow::by_code(conn, new.category.as_str())?.ok_or_else(|| {
                ApiError::invalid_fields(vec![unknown_category("category", new.category.as_str())])
            })?;
            if let Some(id) = new.intention_id {
                check_intention(conn, id, &owner.code)?;
            }
            if ContractRow::reference_taken(conn, owner.id, new.reference.as_str())? {
                return Err(duplicate_reference(&owner.code, new.reference.as_str()));
            }
            let now = Utc::now();
            let row = ContractRow::insert(
                conn,
                &ContractRow {
                    id: Uuid::now_v7(),
                    authority_id: owner.id,
                    reference: new.reference.into(),
                    title,
                    supplier_name,
                    companies_house_number: new.companies_house_number.map(String::from),
                    category_id: category.id,
                    cpv_code: new.cpv_code.map(String::from),
                    annual_value_pence: new.annual_value_pence,
                    total_value_pence: new.total_value_pence,
                    start_date: new.start_date,
                    end_date: new.end_date,
                    extension_end_dates: new.extension_end_dates,
                    status: new.status,
                    intention_id: new.intention_id,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = Contract::from((row, owner.code, category.code));
            AuditEventRow::record(
                conn,
                caller,
                "create",
                ENTITY,
                view.id,
                None,
                Some(view.audit_json()?),
            )?;
            Created::new(&view, format!("/v1/contracts/{}", view.id), view.version)
        },
    )
    .await
}

/// List contracts across all authorities, filtered, in a stable order (oldest first).
#[utoipa::path(tag = "Contracts", security(("bearer" = [])), params(ListParams),
    responses((status = 200, description = "A page of contracts", body = Page<Contract>)))]
#[get("/contracts")]
async fn list(
    pool: Db,
    _caller: Caller,
    params: Query<ListParams>,
) -> Result<web::Json<Page<Contract>>, ApiError> {
    let Query(p) = params;
    if let Some(since) = p.updated_since
        && !plausible_year(since.year())
    {
        return Err(ApiError::invalid(
            "updated_since",
            "must be in the years 1900 to 2999",
        ));
    }
    let filter = ContractFilter {
        authority: p.authority.map(String::from),
        status: p.status,
        category: p.category.map(String::from),
        supplier: p.supplier,
        ending_before: p.ending_before,
        ending_after: p.ending_after,
        updated_since: p.updated_since,
    };
    let limit = p.limit;
    let rows = db::run(&pool, move |conn| {
        Ok(ContractRow::page(
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
        Contract::from,
    )))
}

/// One contract. Any authenticated caller may read any authority's register.
#[utoipa::path(tag = "Contracts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Contract id")),
    responses((status = 200, description = "The contract", body = Contract,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/contracts/{id}", guard = "is_record_path")]
async fn read(pool: Db, _caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::run(&pool, move |conn| Ok(ContractRow::find(conn, id)?)).await?;
    let view = Contract::from(found);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change some fields of a contract (the owning authority's `commissioner`, `procurement` or
/// `admin`), e.g. record an extension taken up (move `end_date` on and drop the option from
/// `extension_end_dates`) or a termination (`status: terminated`). Send the ETag as `If-Match` to
/// be refused (412) if someone else changed it first.
///
/// The rules of a new contract apply to the contract as it would be after the change (422 naming
/// the field); a reference the authority already uses is 409.
#[utoipa::path(tag = "Contracts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Contract id")),
    request_body(content = ContractPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated contract", body = Contract,
        headers(("ETag" = String, description = "The record's new version")))))]
#[patch("/contracts/{id}", guard = "is_record_path")]
async fn update(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ContractPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let view = db::transaction(&pool, move |conn| {
        let (row, authority, category_code) = ContractRow::find_for_update(conn, id)?;
        caller.require_to_change(WRITERS, &authority)?;
        if_match.check(row.version)?;
        let mut problems = Vec::new();
        let title = match &patch.title {
            Some(t) => bounded_text("title", t, 300)
                .map_err(|e| problems.push(e))
                .ok(),
            None => None,
        };
        let supplier_name = match &patch.supplier_name {
            Some(s) => bounded_text("supplier_name", s, 300)
                .map_err(|e| problems.push(e))
                .ok(),
            None => None,
        };
        let extension_end_dates = patch
            .extension_end_dates
            .clone()
            .unwrap_or_else(|| row.extension_end_dates.clone());
        problems.extend(
            Terms {
                annual_value_pence: patch.annual_value_pence.unwrap_or(row.annual_value_pence),
                total_value_pence: patch.total_value_pence.unwrap_or(row.total_value_pence),
                start_date: patch.start_date.unwrap_or(row.start_date),
                end_date: patch.end_date.unwrap_or(row.end_date),
                extension_end_dates: &extension_end_dates,
            }
            .problems(),
        );
        let category = match &patch.category {
            Some(code) => match CategoryRow::by_code(conn, code.as_str())? {
                Some(c) => Some(c),
                None => {
                    problems.push(unknown_category("category", code.as_str()));
                    None
                }
            },
            None => None,
        };
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        if let Some(Some(intention)) = patch.intention_id
            && Some(intention) != row.intention_id
        {
            check_intention(conn, intention, &authority)?;
        }
        if let Some(reference) = &patch.reference
            && reference.as_str() != row.reference
            && ContractRow::reference_taken(conn, row.authority_id, reference.as_str())?
        {
            return Err(duplicate_reference(&authority, reference.as_str()));
        }
        let changes = ContractChanges {
            reference: patch.reference.map(String::from),
            title,
            supplier_name,
            companies_house_number: patch.companies_house_number.map(|n| n.map(String::from)),
            category_id: category.as_ref().map(|c| c.id),
            cpv_code: patch.cpv_code.map(|c| c.map(String::from)),
            annual_value_pence: patch.annual_value_pence,
            total_value_pence: patch.total_value_pence,
            start_date: patch.start_date,
            end_date: patch.end_date,
            extension_end_dates: patch.extension_end_dates,
            status: patch.status,
            intention_id: patch.intention_id,
        };
        let before = Contract::from((row, authority.clone(), category_code.clone()));
        let updated = ContractRow::update(conn, id, &changes)?;
        let after = Contract::from((
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

// ---------------------------------------------------------------------------------------------
// Bulk import

/// The columns an import may have, in the order a template lists them.
const COLUMNS: [&str; 12] = [
    "reference",
    "title",
    "supplier_name",
    "companies_house_number",
    "category",
    "cpv_code",
    "annual_value_pence",
    "total_value_pence",
    "start_date",
    "end_date",
    "extension_end_dates",
    "status",
];

/// The columns every import must have.
const REQUIRED_COLUMNS: [&str; 6] = [
    "reference",
    "title",
    "supplier_name",
    "category",
    "start_date",
    "end_date",
];

/// At most this many problems are listed in a refused import's `errors`.
const MAX_LISTED_PROBLEMS: usize = 100;

/// How many contracts an import added.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"imported": 2}))]
pub struct ContractImportResult {
    pub imported: usize,
}

/// One problem with an imported file: its row (line of the file, the header being 1), the
/// column, and why.
pub(crate) struct RowProblem {
    pub(crate) row: u64,
    pub(crate) column: &'static str,
    pub(crate) message: String,
}

/// The fields of one row that parsed, each `None` when absent or invalid (its problem recorded).
struct ImportRow {
    row: u64,
    reference: Option<ContractReference>,
    category: Option<CategoryCode>,
    title: Option<String>,
    supplier_name: Option<String>,
    companies_house_number: Option<CompaniesHouseNumber>,
    cpv_code: Option<CpvCode>,
    annual_value_pence: Option<Pence>,
    total_value_pence: Option<Pence>,
    start_date: Option<Date>,
    end_date: Option<Date>,
    extension_end_dates: Vec<Date>,
    status: ContractStatus,
    /// Whether every cell parsed and the terms agree.
    valid: bool,
}

/// The cells of one record, by column name.
pub(crate) struct Cells<'a> {
    pub(crate) row: u64,
    pub(crate) record: &'a csv::ByteRecord,
    pub(crate) index: &'a HashMap<&'static str, usize>,
    pub(crate) problems: &'a mut Vec<RowProblem>,
    pub(crate) valid: bool,
}

impl Cells<'_> {
    fn problem(&mut self, column: &'static str, message: impl Into<String>) {
        self.valid = false;
        self.problems.push(RowProblem {
            row: self.row,
            column,
            message: message.into(),
        });
    }

    /// The trimmed text of a cell: `Ok(None)` when the column is absent or the cell empty, `Err`
    /// (with its problem recorded) when the cell is not text PostgreSQL can store.
    fn text(&mut self, column: &'static str) -> Result<Option<String>, ()> {
        let Some(bytes) = self.index.get(column).and_then(|&i| self.record.get(i)) else {
            return Ok(None);
        };
        match std::str::from_utf8(bytes) {
            Ok(s) if s.contains('\0') => {
                self.problem(column, "may not contain the NUL character");
                Err(())
            }
            Ok(s) => Ok(Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string)),
            Err(_) => {
                self.problem(
                    column,
                    "is not valid UTF-8 text; save the file as CSV UTF-8",
                );
                Err(())
            }
        }
    }

    /// Parse a cell with `parse`; an empty cell is `None`.
    pub(crate) fn parse<T>(
        &mut self,
        column: &'static str,
        required: bool,
        parse: impl FnOnce(String) -> Result<T, String>,
    ) -> Option<T> {
        let text = match self.text(column) {
            Ok(Some(text)) => text,
            Ok(None) if required => {
                self.problem(column, "is required");
                return None;
            }
            Ok(None) | Err(()) => return None,
        };
        match parse(text) {
            Ok(v) => Some(v),
            Err(message) => {
                self.problem(column, message);
                None
            }
        }
    }
}

fn parse_date(s: String) -> Result<Date, String> {
    let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|_| format!("expected a date like 2027-03-31, not {s:?}"))?;
    Date::try_from(d)
}

fn parse_pence(s: String) -> Result<Pence, String> {
    let v: i64 = s
        .parse()
        .map_err(|_| format!("expected a whole number of pence, e.g. 125000000, not {s:?}"))?;
    Pence::try_from(v)
}

/// The line a record starts on. The reader skips blank lines but counts a record from where they
/// began, so step over them to number the row as the file (and a spreadsheet) shows it.
pub(crate) fn start_line(body: &[u8], position: &csv::Position) -> u64 {
    let from = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let blank_lines = body
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| **b == b'\n')
        .count();
    position.line() + blank_lines as u64
}

/// An import file being read: its header's columns, then one record at a time.
pub(crate) struct CsvRows<'a> {
    body: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
    width: usize,
    index: HashMap<&'static str, usize>,
    record: csv::ByteRecord,
}

impl<'a> CsvRows<'a> {
    /// Open a file (skipping a UTF-8 byte-order mark) and read its header line: the index of each
    /// of `columns` it names (in any order, any case). An empty file, an unknown or repeated
    /// column, or a missing one of `required` is 422 naming `header`.
    pub(crate) fn open(
        body: &'a [u8],
        columns: &[&'static str],
        required: &[&'static str],
    ) -> Result<Self, ApiError> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(body);
        let header_problem = |message: String| ApiError::invalid("header", message);
        let headers = reader
            .byte_headers()
            .map_err(|e| header_problem(format!("the header row cannot be read: {e}")))?
            .clone();
        if headers.is_empty() || headers.iter().all(|h| h.trim_ascii().is_empty()) {
            return Err(header_problem(format!(
                "the file is empty; its first line must name the columns: {}",
                columns.join(",")
            )));
        }
        let mut index: HashMap<&'static str, usize> = HashMap::new();
        let mut header_problems = Vec::new();
        for (i, name) in headers.iter().enumerate() {
            let name = String::from_utf8_lossy(name).trim().to_lowercase();
            match columns.iter().find(|c| **c == name) {
                Some(column) if index.contains_key(column) => header_problems.push(
                    FieldError::new("header", format!("the column {name} appears twice")),
                ),
                Some(column) => {
                    index.insert(column, i);
                }
                None => header_problems.push(FieldError::new(
                    "header",
                    format!(
                        "unknown column {name:?}; the columns are {}",
                        columns.join(",")
                    ),
                )),
            }
        }
        for column in required {
            if !index.contains_key(column) {
                header_problems.push(FieldError::new(
                    "header",
                    format!("the column {column} is missing"),
                ));
            }
        }
        if !header_problems.is_empty() {
            return Err(ApiError::invalid_fields(header_problems));
        }
        Ok(CsvRows {
            body,
            reader,
            width: headers.len(),
            index,
            record: csv::ByteRecord::new(),
        })
    }

    /// Read the next record: `None` at the end of the file, `Some(None)` when it cannot be read
    /// or has the wrong number of cells (its problem recorded), otherwise `Some(Some(row))`, the
    /// line of the file it starts on.
    pub(crate) fn next_row(&mut self, problems: &mut Vec<RowProblem>) -> Option<Option<u64>> {
        let row = match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) => self
                .record
                .position()
                .map_or(0, |p| start_line(self.body, p)),
            Err(e) => {
                problems.push(RowProblem {
                    row: e.position().map_or(0, |p| p.line()),
                    column: "",
                    message: format!("cannot be read: {e}"),
                });
                return Some(None);
            }
        };
        if self.record.len() != self.width {
            problems.push(RowProblem {
                row,
                column: "",
                message: format!(
                    "has {} cells where the header has {}",
                    self.record.len(),
                    self.width
                ),
            });
            return Some(None);
        }
        Some(Some(row))
    }

    /// The cells of the record just read, recording their problems in `problems`.
    pub(crate) fn cells<'b>(&'b self, row: u64, problems: &'b mut Vec<RowProblem>) -> Cells<'b> {
        Cells {
            row,
            record: &self.record,
            index: &self.index,
            problems,
            valid: true,
        }
    }
}

/// Parse the file into rows, recording every problem. Problems with the header stop the parse.
fn parse_csv(body: &[u8], problems: &mut Vec<RowProblem>) -> Result<Vec<ImportRow>, ApiError> {
    let mut file = CsvRows::open(body, &COLUMNS, &REQUIRED_COLUMNS)?;
    let mut rows = Vec::new();
    while let Some(row) = file.next_row(problems) {
        let Some(row) = row else { continue };
        let mut cells = file.cells(row, problems);
        let reference = cells.parse("reference", true, ContractReference::try_from);
        let title = cells.parse("title", true, |s| {
            bounded_text("title", &s, 300).map_err(|e| e.message)
        });
        let supplier_name = cells.parse("supplier_name", true, |s| {
            bounded_text("supplier_name", &s, 300).map_err(|e| e.message)
        });
        let companies_house_number = cells.parse(
            "companies_house_number",
            false,
            CompaniesHouseNumber::try_from,
        );
        let category = cells.parse("category", true, |s| s.parse::<CategoryCode>());
        let cpv_code = cells.parse("cpv_code", false, |s| s.parse::<CpvCode>());
        let annual_value_pence = cells.parse("annual_value_pence", false, parse_pence);
        let total_value_pence = cells.parse("total_value_pence", false, parse_pence);
        let start_date = cells.parse("start_date", true, parse_date);
        let end_date = cells.parse("end_date", true, parse_date);
        let extension_end_dates = cells
            .parse("extension_end_dates", false, |s| {
                s.split(';')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(|d| parse_date(d.to_string()))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap_or_default();
        let status = cells
            .parse("status", false, |s| {
                s.parse::<ContractStatus>()
                    .map_err(|_| format!("expected one of {}, not {s:?}", ContractStatus::names()))
            })
            .unwrap_or_default();
        if let (Some(start_date), Some(end_date)) = (start_date, end_date) {
            let terms = Terms {
                annual_value_pence,
                total_value_pence,
                start_date,
                end_date,
                extension_end_dates: &extension_end_dates,
            };
            for p in terms.problems() {
                let column = COLUMNS
                    .iter()
                    .find(|c| **c == p.field)
                    .copied()
                    .unwrap_or("");
                cells.problem(column, p.message);
            }
        }
        let valid = cells.valid;
        rows.push(ImportRow {
            row,
            reference,
            category,
            title,
            supplier_name,
            companies_house_number,
            cpv_code,
            annual_value_pence,
            total_value_pence,
            start_date,
            end_date,
            extension_end_dates,
            status,
            valid,
        });
    }
    Ok(rows)
}

/// A refused import: every problem by row, in row order, the first `MAX_LISTED_PROBLEMS` listed.
pub(crate) fn refusal(mut problems: Vec<RowProblem>) -> ApiError {
    problems.sort_by_key(|p| p.row);
    let rows: HashSet<u64> = problems.iter().map(|p| p.row).collect();
    let total = problems.len();
    let mut detail = format!(
        "nothing was imported: {} row{} {} {} problem{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        if rows.len() == 1 { "has" } else { "have" },
        total,
        if total == 1 { "" } else { "s" },
    );
    if total > MAX_LISTED_PROBLEMS {
        detail.push_str(&format!("; the first {MAX_LISTED_PROBLEMS} are listed"));
    }
    let errors = problems
        .into_iter()
        .take(MAX_LISTED_PROBLEMS)
        .map(|p| {
            let field = if p.column.is_empty() {
                format!("row {}", p.row)
            } else {
                format!("row {}: {}", p.row, p.column)
            };
            FieldError::new(field, p.message)
        })
        .collect();
    ApiError::Validation { detail, errors }
}

/// Check every row of the file against the register, then insert them all with one audit event
/// each, or nothing.
fn import_rows(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    body: &[u8],
) -> Result<usize, ApiError> {
    let mut problems = Vec::new();
    let rows = parse_csv(body, &mut problems)?;
    if rows.is_empty() && problems.is_empty() {
        return Err(ApiError::invalid(
            "(body)",
            "the file has a header but no contracts",
        ));
    }
    let owner = owner_of(conn, caller)?;
    let categories: HashMap<String, (Uuid, String)> = CategoryRow::all(conn)?
        .into_iter()
        .map(|c| (c.code.clone(), (c.id, c.code)))
        .collect();
    let mut first_row: HashMap<&str, u64> = HashMap::new();
    let mut unique: Vec<&str> = Vec::new();
    for r in &rows {
        if let Some(reference) = &r.reference {
            match first_row.get(reference.as_str()) {
                Some(first) => {
                    problems.push(RowProblem {
                        row: r.row,
                        column: "reference",
                        message: format!(
                            "{reference:?} is also on row {first}; references are unique within an authority"
                        ),
                    });
                }
                None => {
                    first_row.insert(reference.as_str(), r.row);
                    unique.push(reference.as_str());
                }
            }
        }
        if let Some(code) = &r.category
            && !categories.contains_key(code.as_str())
        {
            problems.push(RowProblem {
                row: r.row,
                column: "category",
                message: unknown_category("category", code.as_str()).message,
            });
        }
    }
    let existing: HashSet<String> = ContractRow::existing_references(conn, owner.id, &unique)?
        .into_iter()
        .collect();
    for r in &rows {
        if let Some(reference) = &r.reference
            && existing.contains(reference.as_str())
        {
            problems.push(RowProblem {
                row: r.row,
                column: "reference",
                message: format!(
                    "{} already has a contract with reference {reference:?}",
                    owner.code
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(refusal(problems));
    }
    // PostgreSQL keeps microseconds: the audit copies must match what is stored.
    let now = Utc::now().trunc_subsecs(6);
    let mut contracts = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    for r in rows {
        // Every row is valid here: a missing field would have been a problem.
        let (
            Some(reference),
            Some(category),
            Some(title),
            Some(supplier_name),
            Some(start_date),
            Some(end_date),
            true,
        ) = (
            r.reference,
            r.category,
            r.title,
            r.supplier_name,
            r.start_date,
            r.end_date,
            r.valid,
        )
        else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "import row {} passed the checks incomplete",
                r.row
            )));
        };
        let (category_id, category_code) = categories[category.as_str()].clone();
        let row = ContractRow {
            id: Uuid::now_v7(),
            authority_id: owner.id,
            reference: reference.into(),
            title,
            supplier_name,
            companies_house_number: r.companies_house_number.map(String::from),
            category_id,
            cpv_code: r.cpv_code.map(String::from),
            annual_value_pence: r.annual_value_pence,
            total_value_pence: r.total_value_pence,
            start_date,
            end_date,
            extension_end_dates: r.extension_end_dates,
            status: r.status,
            intention_id: None,
            version: 1,
            created_by: caller.subject.clone(),
            created_at: now,
            updated_at: now,
        };
        let view = Contract::from((row.clone(), owner.code.clone(), category_code));
        events.push(AuditEventRow {
            id: Uuid::now_v7(),
            occurred_at: now,
            subject: caller.subject.clone(),
            authority_code: caller.authority.to_string(),
            action: "import".into(),
            entity_type: ENTITY.into(),
            entity_id: row.id,
            before: None,
            after: Some(view.audit_json()?),
            request_id: caller.request_id.clone(),
        });
        contracts.push(row);
    }
    let imported = ContractRow::insert_all(conn, &contracts)?;
    AuditEventRow::record_all(conn, &events)?;
    Ok(imported)
}

/// Import contracts into the caller's authority's register from a CSV file, all or nothing
/// (`commissioner`, `procurement` or `admin`).
///
/// Send the file as the body with `Content-Type: text/csv` (UTF-8; a byte-order mark is allowed).
/// Its first line names the columns, in any order: `reference`, `title`, `supplier_name`,
/// `category`, `start_date` and `end_date` are required; `companies_house_number`, `cpv_code`,
/// `annual_value_pence`, `total_value_pence`, `extension_end_dates` (dates separated by `;`) and
/// `status` (default `active`) may be left out. An empty cell is an absent value. Values follow
/// the rules of `POST /v1/contracts`.
///
/// Every row is checked before anything is written. If any row is bad (a bad value, dates or values
/// that disagree, an unknown category, a reference repeated in the file or already in the
/// register), the answer is 422 and nothing is imported: `errors` lists each problem as
/// `{"field": "row 17: end_date", ...}`, where the row is the line of the file the record starts on
/// (the header being line 1, as a spreadsheet numbers its rows), up to 100 problems. Otherwise all
/// the contracts are added in one transaction, each with its own audit event (action `import`),
/// and the answer is 201 with the count. The body may be up to the configured import limit
/// (413 above it); 10,000 rows is well within it.
#[utoipa::path(tag = "Contracts", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "The contracts, one per line after a header line naming the columns.",
        example = json!("reference,title,supplier_name,companies_house_number,category,cpv_code,annual_value_pence,total_value_pence,start_date,end_date,extension_end_dates,status\nRCH-C-2019-0031,Home care: North and East Rochdale,Pennine Care at Home Ltd,04567812,home-care,85311100-3,1180000000,5900000000,2019-10-01,2027-09-30,2028-09-30;2029-09-30,active\nRCH-C-2021-0007,Carers' breaks,Rochdale Carers Trust,,carers,,25000000,,2021-04-01,2026-03-31,,active\n")),
    responses((status = 201, description = "Every row was imported", body = ContractImportResult),
        (status = 400, description = "The body could not be read, or a header is malformed", body = crate::error::Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than the import limit", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/payload-too-large", "title": "Payload Too Large", "status": 413,
                "detail": "the import is larger than the 33554432 bytes allowed; split it into several files"})),
        (status = 415, description = "The body is not sent as `text/csv`", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/unsupported-media-type", "title": "Unsupported Media Type", "status": 415,
                "detail": "an import must be sent as CSV (Content-Type: text/csv)"})),
        (status = 422, description = "Nothing was imported: each problem by row and column", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "nothing was imported: 2 rows have 2 problems",
                "errors": [{"field": "row 3: end_date", "message": "expected a date like 2027-03-31, not \"31/03/2027\""},
                           {"field": "row 7: reference", "message": "\"RCH-C-2019-0031\" is also on row 2; references are unique within an authority"}]}))))]
#[post("/contracts/import")]
async fn import(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: CsvBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let CsvBody { bytes, fingerprint } = body;
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/contracts/import",
        fingerprint,
        move |conn, caller| {
            let imported = import_rows(conn, caller, &bytes)?;
            Created::summary(&ContractImportResult { imported })
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Re-procurement lead times

/// The re-procurement lead times by value band, lowest band first. A band applies from its
/// minimum up to the next band's.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bands": [
    {"min_total_value_pence": 0, "lead_time_months": 6},
    {"min_total_value_pence": 66_354_000, "lead_time_months": 9},
    {"min_total_value_pence": 200_000_000, "lead_time_months": 12},
    {"min_total_value_pence": 1_000_000_000, "lead_time_months": 18}
]}))]
pub struct LeadTimes {
    pub bands: Vec<LeadTimeBand>,
}

/// The re-procurement lead times the expiry pipeline measures contracts against. Any authenticated
/// caller may read them.
#[utoipa::path(tag = "Contracts", security(("bearer" = [])),
    responses((status = 200, description = "The bands, lowest first", body = LeadTimes)))]
#[get("/contracts/lead-times")]
async fn lead_times(pool: Db, _caller: Caller) -> Result<web::Json<LeadTimes>, ApiError> {
    let bands = db::run(&pool, |conn| Ok(LeadTimeRow::all(conn)?)).await?;
    Ok(web::Json(LeadTimes { bands }))
}

/// Replace all the re-procurement lead times at once (`admin`). They are shared by every
/// authority. The first band must start at 0 and the minimums strictly increase; a lead time is 1
/// to 60 months (422 naming the band otherwise). The change is audited (entity
/// `reprocurement_lead_times`, id `00000000-0000-0000-0000-000000000000`).
#[utoipa::path(tag = "Contracts", security(("bearer" = [])), request_body = LeadTimes,
    responses((status = 200, description = "The bands now in force", body = LeadTimes),
        (status = 400, description = "Malformed request: the body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the admin role", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The request body is larger than allowed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The request body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The bands are invalid; `errors` names each", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "bands[0].min_total_value_pence: the first band must start at 0, so that every contract falls in a band",
                "errors": [{"field": "bands[0].min_total_value_pence", "message": "the first band must start at 0, so that every contract falls in a band"}]})),
        (status = 503, description = "The database is unavailable; retry after the Retry-After seconds", body = crate::error::Problem, content_type = "application/problem+json")))]
#[put("/contracts/lead-times")]
async fn replace_lead_times(
    pool: Db,
    caller: Caller,
    body: Json<LeadTimes>,
) -> Result<web::Json<LeadTimes>, ApiError> {
    caller.require_role(LEAD_TIME_WRITERS)?;
    let bands = body.value.bands;
    let problems = lead_time_problems(&bands);
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let bands = db::transaction(&pool, move |conn| {
        let before = LeadTimeRow::replace_all(conn, &bands)?;
        let json = |bands: &[LeadTimeBand]| serde_json::json!({ "bands": bands });
        AuditEventRow::record(
            conn,
            &caller,
            "replace",
            LEAD_TIMES_ENTITY,
            Uuid::nil(),
            Some(json(&before)),
            Some(json(&bands)),
        )?;
        Ok(bands)
    })
    .await?;
    Ok(web::Json(LeadTimes { bands }))
}

// ---------------------------------------------------------------------------------------------
// Expiry pipeline

/// A position in the expiry pipeline: the effective end and id of the last item seen.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub struct ExpiryCursor {
    effective_end: NaiveDate,
    id: Uuid,
}

impl ExpiryCursor {
    fn encode(effective_end: NaiveDate, id: Uuid) -> String {
        let mut bytes = effective_end.num_days_from_ce().to_be_bytes().to_vec();
        bytes.extend_from_slice(id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

impl TryFrom<String> for ExpiryCursor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let bytes = URL_SAFE_NO_PAD.decode(s.as_bytes()).ok();
        bytes
            .filter(|b| b.len() == 20)
            .and_then(|b| {
                let days = i32::from_be_bytes(b[..4].try_into().ok()?);
                Some(ExpiryCursor {
                    effective_end: NaiveDate::from_num_days_from_ce_opt(days)?,
                    id: Uuid::from_slice(&b[4..]).ok()?,
                })
            })
            .ok_or_else(|| {
                "not a cursor this API issued; pass next_cursor from the previous page".to_string()
            })
    }
}

impl utoipa::PartialSchema for ExpiryCursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Opaque cursor from a previous page's next_cursor (of the same query).",
            ))
            .into()
    }
}
impl ToSchema for ExpiryCursor {}

/// How many months ahead the expiry pipeline looks: 1 to 120.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "u32")]
pub struct WithinMonths(u32);

impl Default for WithinMonths {
    fn default() -> Self {
        WithinMonths(18)
    }
}

impl TryFrom<u32> for WithinMonths {
    type Error = String;
    fn try_from(v: u32) -> Result<Self, String> {
        if (1..=120).contains(&v) {
            Ok(WithinMonths(v))
        } else {
            Err(format!("within_months must be from 1 to 120, not {v}"))
        }
    }
}

/// The window and filters of the expiry pipeline.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExpiryParams {
    /// How far ahead to look, in months from `as_of`: 1 to 120 (default 18).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 120, default = 18, example = 18)]
    #[serde(default)]
    pub within_months: WithinMonths,
    /// Only contracts no open intention covers yet.
    #[param(default = false)]
    #[serde(default)]
    pub uncovered: bool,
    /// Measure each contract to the end of its last extension still available, rather than to its
    /// `end_date`.
    #[param(default = false)]
    #[serde(default)]
    pub with_extensions: bool,
    /// Only this authority's contracts.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// The day the window starts (default today, UTC).
    #[param(value_type = Option<Date>, example = "2026-11-23")]
    pub as_of: Option<Date>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<ExpiryCursor>)]
    pub cursor: Option<ExpiryCursor>,
}

/// The fields of a contract the pipeline shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractSummary {
    pub id: Uuid,
    pub reference: String,
    pub authority: AuthorityCode,
    pub title: String,
    pub supplier_name: String,
    pub category: CategoryCode,
    pub annual_value_pence: Option<Pence>,
    pub total_value_pence: Option<Pence>,
    pub start_date: Date,
    pub end_date: Date,
    pub extension_end_dates: Vec<Date>,
    pub status: ContractStatus,
}

impl From<Contract> for ContractSummary {
    fn from(c: Contract) -> Self {
        ContractSummary {
            id: c.id,
            reference: c.reference,
            authority: c.authority,
            title: c.title,
            supplier_name: c.supplier_name,
            category: c.category,
            annual_value_pence: c.annual_value_pence,
            total_value_pence: c.total_value_pence,
            start_date: c.start_date,
            end_date: c.end_date,
            extension_end_dates: c.extension_end_dates,
            status: c.status,
        }
    }
}

/// An open commissioning intention that names the contract among those it replaces.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoveringIntention {
    pub id: Uuid,
    pub reference: String,
    pub status: IntentionStatus,
}

/// A contract ending in the window, measured against its re-procurement lead time.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiringContract {
    pub contract: ContractSummary,
    /// The end the window was measured on: `end_date`, or with `with_extensions` the last
    /// available extension's end.
    pub effective_end: Date,
    /// Whole months from `as_of` to `effective_end`, rounded down.
    pub months_left: i32,
    /// The lead time of the contract's value band (total value, else annual value, else the
    /// lowest band).
    pub lead_time_months: i16,
    /// `months_left` is less than `lead_time_months`: re-procurement should have started already.
    pub overdue: bool,
    /// The open intentions (draft to in procurement) of the same authority that list this
    /// contract's reference in `replaces_contracts`; empty when none covers it.
    pub covered_by: Vec<CoveringIntention>,
}

/// One page of the expiry pipeline, with the window it covers.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "as_of": "2026-11-23",
    "window_end": "2028-05-23",
    "items": [{
        "contract": {"id": "0193b100-0000-7000-8000-000000000031", "reference": "RCH-C-2019-0031", "authority": "RCH",
            "title": "Home care: North and East Rochdale patches", "supplier_name": "Pennine Care at Home Ltd",
            "category": "home-care", "annual_value_pence": 1_180_000_000_i64, "total_value_pence": 5_900_000_000_i64,
            "start_date": "2019-10-01", "end_date": "2027-09-30", "extension_end_dates": ["2028-09-30", "2029-09-30"],
            "status": "active"},
        "effective_end": "2027-09-30",
        "months_left": 10,
        "lead_time_months": 18,
        "overdue": true,
        "covered_by": []
    }],
    "next_cursor": null
}))]
pub struct ExpiryPage {
    /// The first day of the window.
    pub as_of: Date,
    /// The last day of the window: `as_of` plus `within_months` (a day the month lacks becomes its
    /// last day).
    #[schema(value_type = Date)]
    pub window_end: NaiveDate,
    pub items: Vec<ExpiringContract>,
    /// Pass as `cursor` (with the same parameters) to get the next page; `null` on the last page.
    #[schema(value_type = Option<ExpiryCursor>)]
    pub next_cursor: Option<String>,
}

/// The expiry pipeline: `planned` and `active` contracts whose end falls between `as_of` and
/// `within_months` later (both days included), soonest first (then by id), with the months left,
/// the re-procurement lead time of their value band (`GET /v1/contracts/lead-times`), whether
/// re-procurement is overdue, and the open intentions covering them. Any authenticated caller.
///
/// A contract is covered by an intention of the same authority, in an open status (draft,
/// submitted, approved, deferred or in procurement), whose `replaces_contracts` lists the
/// contract's reference; `uncovered=true` keeps only contracts nothing covers. The pipeline is paged
/// like the lists (`limit`, `cursor`), in effective-end order.
#[utoipa::path(tag = "Contracts", security(("bearer" = [])), params(ExpiryParams),
    responses((status = 200, description = "A page of the contracts ending in the window", body = ExpiryPage)))]
#[get("/contracts/expiring")]
async fn expiring(
    pool: Db,
    _caller: Caller,
    params: Query<ExpiryParams>,
) -> Result<web::Json<ExpiryPage>, ApiError> {
    let Query(p) = params;
    let as_of = match p.as_of {
        Some(d) => d,
        None => Date::try_from(Utc::now().date_naive())
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
    };
    let window_end = add_months(as_of.get(), p.within_months.0);
    let limit = p.limit;
    let query = ExpiryQuery {
        authority: p.authority.map(String::from),
        from: as_of.get(),
        to: window_end,
        with_extensions: p.with_extensions,
        uncovered: p.uncovered,
        after: p.cursor.map(|c| (c.effective_end, c.id)),
        limit: limit.fetch(),
    };
    let (mut rows, coverage, bands) = db::run(&pool, move |conn| {
        let rows = ContractRow::expiring(conn, &query)?;
        let authority_ids: Vec<Uuid> = rows
            .iter()
            .map(|(r, ..)| r.authority_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let references: Vec<String> = rows.iter().map(|(r, ..)| r.reference.clone()).collect();
        let coverage = Coverage::of(conn, &authority_ids, &references)?;
        let bands = LeadTimeRow::all(conn)?;
        Ok((rows, coverage, bands))
    })
    .await?;
    let page_size = limit.0 as usize;
    let more = rows.len() > page_size;
    rows.truncate(page_size);
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|(r, _, _, end)| ExpiryCursor::encode(*end, r.id))
        })
        .flatten();
    let items = rows
        .into_iter()
        .map(|(row, authority, category, effective_end)| {
            let covered_by = coverage
                .iter()
                .filter(|c| {
                    c.authority_id == row.authority_id
                        && c.replaces_contracts.contains(&row.reference)
                })
                .map(|c| CoveringIntention {
                    id: c.id,
                    reference: c.reference.clone(),
                    status: c.status,
                })
                .collect();
            let lead_time_months =
                lead_time_for(&bands, row.total_value_pence, row.annual_value_pence)
                    .map_or(0, |m| m.get());
            let months_left = whole_months_between(as_of.get(), effective_end);
            Ok(ExpiringContract {
                contract: Contract::from((row, authority, category)).into(),
                effective_end: Date::try_from(effective_end)
                    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
                months_left,
                lead_time_months,
                overdue: months_left < i32::from(lead_time_months),
                covered_by,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(web::Json(ExpiryPage {
        as_of,
        window_end,
        items,
        next_cursor,
    }))
}

//! Social value: the measures framework by edition (theme → outcome → measure with a £ proxy value
//! per unit), suppliers' commitments on contracts (or a PID's awarded lot) with the proxy value
//! frozen when committed, delivery returns whose corrections keep history, and the
//! committed-against-delivered report.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::pids::{lot_commitment_refusal, lot_index};
use crate::domain::savings::pounds;
use crate::domain::social_value::{
    CommitmentSubject, EDITORS, MAX_PRIORITY_MEASURES, MAX_PROXY_PENCE, MAX_QUANTITY,
    PRIORITY_EDITORS, SocialValueEditionCode, SocialValueGroupBy, SocialValuePriorityCode, WRITERS,
    behind_schedule, check_code, check_range, check_text, lot_label, proxy_pence,
    rate_basis_points,
};
use crate::domain::values::{AuthorityCode, Date};
use crate::error::{ApiError, FieldError};
use crate::extract::{CsvBody, IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::contracts::ContractRow;
use crate::models::pids::{LotAwardRow, PidRow};
use crate::models::reference::AuthorityRow;
use crate::models::social_value::{
    CommitmentChanges, CommitmentFilter, CommitmentRow, CommitmentView, EditionRow, MeasureRow,
    PriorityChanges, PriorityRow, PriorityWithCode, ReturnRow,
};
use crate::routes::contracts::{CsvRows, RowProblem, refusal};
use crate::routes::savings::wants_csv;
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_edition)
        .service(import_edition)
        .service(list_editions)
        .service(read_edition)
        .service(create_commitment)
        .service(list_commitments)
        .service(read_commitment)
        .service(update_commitment)
        .service(delete_commitment)
        .service(create_priority)
        .service(list_priorities)
        .service(read_priority)
        .service(update_priority)
        .service(delete_priority)
        .service(create_return)
        .service(list_returns)
        .service(report);
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

// ---------------------------------------------------------------------------------------------
// Editions

/// A measure of the framework: what is counted, in what unit, and what one unit is worth.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "NT1", "description": "Local people employed on the contract (full-time equivalent)", "unit": "FTE year", "proxy_value_pence": 3_086_400}))]
pub struct SocialValueMeasure {
    /// Unique within the edition, e.g. `NT1`.
    #[schema(
        min_length = 1,
        max_length = 30,
        pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$"
    )]
    pub code: String,
    #[schema(min_length = 1, max_length = 1000)]
    pub description: String,
    /// What one unit is, e.g. `hour`, `FTE year`, `£ spent`.
    #[schema(min_length = 1, max_length = 100)]
    pub unit: String,
    /// £ proxy value of one unit, in whole pence (0 to £10 million).
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub proxy_value_pence: i64,
}

/// An outcome within a theme, and the measures that evidence it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialValueOutcome {
    #[schema(min_length = 1, max_length = 30, example = "jobs-local")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "More local people in employment"
    )]
    pub name: String,
    #[schema(min_items = 1)]
    pub measures: Vec<SocialValueMeasure>,
}

/// A theme of the framework, e.g. jobs, growth, social, environment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialValueTheme {
    #[schema(min_length = 1, max_length = 30, example = "jobs")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Jobs: promote local skills and employment"
    )]
    pub name: String,
    #[schema(min_items = 1)]
    pub outcomes: Vec<SocialValueOutcome>,
}

/// A new edition of the measures framework, loaded whole or not at all.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "2026-demo",
    "name": "Illustrative measures, 2026 (demo values, not the publisher's)",
    "effective_from": "2026-04-01",
    "themes": [{"code": "jobs", "name": "Jobs: promote local skills and employment", "outcomes": [
        {"code": "jobs-local", "name": "More local people in employment", "measures": [
            {"code": "NT1", "description": "Local people employed on the contract (full-time equivalent)", "unit": "FTE year", "proxy_value_pence": 3_086_400}]}]}]
}))]
pub struct NewSocialValueEdition {
    pub code: SocialValueEditionCode,
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// The edition is in force from this date until a later edition's `effective_from`.
    pub effective_from: Date,
    #[schema(min_items = 1)]
    pub themes: Vec<SocialValueTheme>,
}

/// An edition of the measures framework, with its themes, outcomes and measures.
#[derive(Debug, Serialize, ToSchema)]
pub struct SocialValueEdition {
    #[schema(value_type = String, example = "2026-demo")]
    pub code: String,
    pub name: String,
    #[schema(value_type = Date)]
    pub effective_from: NaiveDate,
    pub themes: Vec<SocialValueTheme>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// An edition without its measures, as lists show it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "2026-demo", "name": "Illustrative measures, 2026", "effective_from": "2026-04-01", "measure_count": 9, "created_by": "demo-seed", "created_at": "2026-11-23T09:00:00Z"}))]
pub struct SocialValueEditionSummary {
    #[schema(value_type = String, example = "2026-demo")]
    pub code: String,
    pub name: String,
    #[schema(value_type = Date)]
    pub effective_from: NaiveDate,
    pub measure_count: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn edition_view(edition: EditionRow, measures: Vec<MeasureRow>) -> SocialValueEdition {
    let mut themes: Vec<SocialValueTheme> = Vec::new();
    for m in measures {
        if themes.last().is_none_or(|t| t.code != m.theme_code) {
            themes.push(SocialValueTheme {
                code: m.theme_code.clone(),
                name: m.theme_name.clone(),
                outcomes: Vec::new(),
            });
        }
        let theme = themes.last_mut().expect("just pushed");
        if theme
            .outcomes
            .last()
            .is_none_or(|o| o.code != m.outcome_code)
        {
            theme.outcomes.push(SocialValueOutcome {
                code: m.outcome_code.clone(),
                name: m.outcome_name.clone(),
                measures: Vec::new(),
            });
        }
        theme
            .outcomes
            .last_mut()
            .expect("just pushed")
            .measures
            .push(SocialValueMeasure {
                code: m.code,
                description: m.description,
                unit: m.unit,
                proxy_value_pence: m.proxy_value_pence,
            });
    }
    SocialValueEdition {
        code: edition.code,
        name: edition.name,
        effective_from: edition.effective_from,
        themes,
        created_by: edition.created_by,
        created_at: edition.created_at,
    }
}

/// Check a whole edition, naming every bad field by its path; the measures to store if all is well.
/// A measure code used twice is a conflict (409), reported after field problems.
fn check_edition(
    new: &NewSocialValueEdition,
    edition_id: Uuid,
) -> Result<(String, Vec<MeasureRow>), ApiError> {
    let mut problems = Vec::new();
    if new.code.as_str() == "import" {
        // The path /v1/social-value/editions/import loads editions; no edition may be read there.
        problems.push(FieldError::new(
            "code",
            "import is reserved; choose another code",
        ));
    }
    let mut text = |field: String, s: &str, max: usize| -> String {
        check_text(s, max)
            .map_err(|m| problems.push(FieldError::new(field, m)))
            .unwrap_or_default()
    };
    let name = text("name".into(), &new.name, 300);
    let mut rows = Vec::new();
    let mut codes: HashMap<String, String> = HashMap::new();
    let mut duplicates = Vec::new();
    let mut code_problems = Vec::new();
    if new.themes.is_empty() {
        code_problems.push(FieldError::new(
            "themes",
            "an edition needs at least one theme",
        ));
    }
    let mut theme_codes = HashSet::new();
    for (ti, theme) in new.themes.iter().enumerate() {
        let tp = format!("themes[{ti}]");
        let theme_name = text(format!("{tp}.name"), &theme.name, 300);
        if let Err(m) = check_code(&theme.code) {
            code_problems.push(FieldError::new(format!("{tp}.code"), m));
        } else if !theme_codes.insert(theme.code.clone()) {
            code_problems.push(FieldError::new(
                format!("{tp}.code"),
                format!("theme code {} is used twice", theme.code),
            ));
        }
        if theme.outcomes.is_empty() {
            code_problems.push(FieldError::new(
                format!("{tp}.outcomes"),
                "a theme needs at least one outcome",
            ));
        }
        let mut outcome_codes = HashSet::new();
        for (oi, outcome) in theme.outcomes.iter().enumerate() {
            let op = format!("{tp}.outcomes[{oi}]");
            let outcome_name = text(format!("{op}.name"), &outcome.name, 300);
            if let Err(m) = check_code(&outcome.code) {
                code_problems.push(FieldError::new(format!("{op}.code"), m));
            } else if !outcome_codes.insert(outcome.code.clone()) {
                code_problems.push(FieldError::new(
                    format!("{op}.code"),
                    format!("outcome code {} is used twice in the theme", outcome.code),
                ));
            }
            if outcome.measures.is_empty() {
                code_problems.push(FieldError::new(
                    format!("{op}.measures"),
                    "an outcome needs at least one measure",
                ));
            }
            for (mi, m) in outcome.measures.iter().enumerate() {
                let mp = format!("{op}.measures[{mi}]");
                let description = text(format!("{mp}.description"), &m.description, 1000);
                let unit = text(format!("{mp}.unit"), &m.unit, 100);
                if let Err(msg) = check_range(m.proxy_value_pence, 0, MAX_PROXY_PENCE) {
                    code_problems.push(FieldError::new(format!("{mp}.proxy_value_pence"), msg));
                }
                if let Err(msg) = check_code(&m.code) {
                    code_problems.push(FieldError::new(format!("{mp}.code"), msg));
                } else if let Some(first) = codes.get(&m.code) {
                    duplicates.push(format!(
                        "measure code {} is used at {first}.code and again at {mp}.code",
                        m.code
                    ));
                } else {
                    codes.insert(m.code.clone(), mp.clone());
                }
                rows.push(MeasureRow {
                    id: Uuid::now_v7(),
                    edition_id,
                    position: rows.len() as i32,
                    theme_code: theme.code.clone(),
                    theme_name: theme_name.clone(),
                    outcome_code: outcome.code.clone(),
                    outcome_name: outcome_name.clone(),
                    code: m.code.clone(),
                    description,
                    unit,
                    proxy_value_pence: m.proxy_value_pence,
                });
            }
        }
    }
    problems.extend(code_problems);
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    if !duplicates.is_empty() {
        return Err(ApiError::Conflict(duplicates.join("; ")));
    }
    Ok((name, rows))
}

/// Load an edition of the measures framework (`admin`). All or nothing: any bad field is 422
/// naming it by its path (e.g. `themes[0].outcomes[1].measures[2].proxy_value_pence`) and nothing
/// is stored; an edition code already loaded, or a measure code used twice, is 409.
#[utoipa::path(tag = "Social value", security(("bearer" = [])), request_body = NewSocialValueEdition,
    responses((status = 201, description = "Loaded", body = SocialValueEdition,
        headers(("Location" = String, description = "URL of the edition"), ("ETag" = String, description = "The record's version")))))]
#[post("/social-value/editions")]
async fn create_edition(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewSocialValueEdition>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(EDITORS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let edition_id = Uuid::now_v7();
    let (name, measures) = check_edition(&new, edition_id)?;
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/social-value/editions",
        fingerprint,
        move |conn, caller| store_edition(conn, caller, new, name, edition_id, measures),
    )
    .await
}

/// Store a checked edition (its checked name, and measures) with its audit event; 409 if its code
/// is loaded.
fn store_edition(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    new: NewSocialValueEdition,
    name: String,
    edition_id: Uuid,
    measures: Vec<MeasureRow>,
) -> Result<Created, ApiError> {
    let edition = EditionRow {
        id: edition_id,
        code: new.code.into(),
        name,
        effective_from: new.effective_from.get(),
        created_by: caller.subject.clone(),
        created_at: Utc::now(),
    };
    if EditionRow::by_code(conn, &edition.code)?.is_some() {
        return Err(ApiError::Conflict(format!(
            "edition {} is already loaded; editions are never changed, load a new code",
            edition.code
        )));
    }
    let edition = EditionRow::insert(conn, &edition)?;
    MeasureRow::insert_all(conn, &measures)?;
    let id = edition.id;
    let view = edition_view(edition, measures);
    AuditEventRow::record(
        conn,
        caller,
        "create",
        "social_value_edition",
        id,
        None,
        Some(to_json(&view)?),
    )?;
    Created::new(&view, format!("/v1/social-value/editions/{}", view.code), 1)
}

/// The columns of an edition file, every one required.
const EDITION_COLUMNS: [&str; 8] = [
    "theme_code",
    "theme_name",
    "outcome_code",
    "outcome_name",
    "measure_code",
    "description",
    "unit",
    "proxy_value_pence",
];

/// Parse an edition file into its themes, outcomes and measures (in the order each first
/// appears), recording every problem by row: a bad cell, a theme or outcome named differently from
/// its first row, a measure code used twice. All or nothing: any problem refuses the file.
fn parse_edition_csv(body: &[u8]) -> Result<Vec<SocialValueTheme>, ApiError> {
    let mut file = CsvRows::open(body, &EDITION_COLUMNS, &EDITION_COLUMNS)?;
    let mut problems = Vec::new();
    let mut themes: Vec<SocialValueTheme> = Vec::new();
    // code -> (position in `themes`, row it first appeared on), and likewise per theme's outcome.
    let mut theme_at: HashMap<String, (usize, u64)> = HashMap::new();
    let mut outcome_at: HashMap<(String, String), (usize, u64)> = HashMap::new();
    let mut measure_row: HashMap<String, u64> = HashMap::new();
    while let Some(row) = file.next_row(&mut problems) {
        let Some(row) = row else { continue };
        let mut cells = file.cells(row, &mut problems);
        let code = |s: String| check_code(&s).map(|()| s);
        let theme_code = cells.parse("theme_code", true, code);
        let theme_name = cells.parse("theme_name", true, |s| check_text(&s, 300));
        let outcome_code = cells.parse("outcome_code", true, code);
        let outcome_name = cells.parse("outcome_name", true, |s| check_text(&s, 300));
        let measure_code = cells.parse("measure_code", true, code);
        let description = cells.parse("description", true, |s| check_text(&s, 1000));
        let unit = cells.parse("unit", true, |s| check_text(&s, 100));
        let proxy = cells.parse("proxy_value_pence", true, |s| {
            s.parse::<i64>()
                .map_err(|_| format!("expected a whole number of pence, e.g. 3086400, not {s:?}"))
                .and_then(|v| check_range(v, 0, MAX_PROXY_PENCE))
        });
        let (
            Some(theme_code),
            Some(theme_name),
            Some(outcome_code),
            Some(outcome_name),
            Some(measure_code),
            Some(description),
            Some(unit),
            Some(proxy_value_pence),
            true,
        ) = (
            theme_code,
            theme_name,
            outcome_code,
            outcome_name,
            measure_code,
            description,
            unit,
            proxy,
            cells.valid,
        )
        else {
            continue;
        };
        if let Some(first) = measure_row.get(&measure_code) {
            problems.push(RowProblem {
                row,
                column: "measure_code",
                message: format!(
                    "{measure_code} is also on row {first}; measure codes are unique within an edition"
                ),
            });
            continue;
        }
        let ti = match theme_at.get(&theme_code) {
            Some(&(ti, first)) => {
                if themes[ti].name != theme_name {
                    problems.push(RowProblem {
                        row,
                        column: "theme_name",
                        message: format!(
                            "theme {theme_code} is named {:?} on row {first}; a theme has one name",
                            themes[ti].name
                        ),
                    });
                    continue;
                }
                ti
            }
            None => {
                theme_at.insert(theme_code.clone(), (themes.len(), row));
                themes.push(SocialValueTheme {
                    code: theme_code.clone(),
                    name: theme_name,
                    outcomes: Vec::new(),
                });
                themes.len() - 1
            }
        };
        let key = (theme_code, outcome_code.clone());
        let oi = match outcome_at.get(&key) {
            Some(&(oi, first)) if themes[ti].outcomes[oi].name != outcome_name => {
                problems.push(RowProblem {
                    row,
                    column: "outcome_name",
                    message: format!(
                        "outcome {outcome_code} of theme {} is named {:?} on row {first}; an outcome has one name",
                        themes[ti].code, themes[ti].outcomes[oi].name
                    ),
                });
                continue;
            }
            Some(&(oi, _)) => oi,
            None => {
                let outcomes = &mut themes[ti].outcomes;
                outcome_at.insert(key, (outcomes.len(), row));
                outcomes.push(SocialValueOutcome {
                    code: outcome_code,
                    name: outcome_name,
                    measures: Vec::new(),
                });
                outcomes.len() - 1
            }
        };
        measure_row.insert(measure_code.clone(), row);
        themes[ti].outcomes[oi].measures.push(SocialValueMeasure {
            code: measure_code,
            description,
            unit,
            proxy_value_pence,
        });
    }
    if !problems.is_empty() {
        return Err(refusal(problems));
    }
    if themes.is_empty() {
        return Err(ApiError::invalid(
            "(body)",
            "the file has a header but no measures",
        ));
    }
    Ok(themes)
}

/// Where an edition loaded from CSV gets what the file does not hold.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SocialValueEditionImportParams {
    /// The new edition's code.
    #[param(value_type = SocialValueEditionCode)]
    pub code: SocialValueEditionCode,
    /// The edition's name, 1 to 300 characters.
    #[param(
        min_length = 1,
        max_length = 300,
        example = "Illustrative measures, 2026"
    )]
    pub name: String,
    /// The edition is in force from this date until a later edition's `effective_from`.
    #[param(value_type = Date)]
    pub effective_from: Date,
}

/// Load an edition of the measures framework from a CSV file (`admin`), all or nothing. The
/// JSON form is `POST /v1/social-value/editions`; this is its sibling for the spreadsheet a
/// framework's publisher issues.
///
/// Send the file with `Content-Type: text/csv` (UTF-8; a byte-order mark is allowed) and the
/// edition's `code`, `name` and `effective_from` as query parameters. The first line names the
/// columns, in any order, all required: `theme_code`, `theme_name`, `outcome_code`,
/// `outcome_name`, `measure_code`, `description`, `unit`, `proxy_value_pence`. One line per
/// measure; themes and outcomes are gathered by code in the order they first appear, and a theme
/// (or an outcome within it) must carry the same name on every line. Values follow the rules of
/// the JSON form.
///
/// Every line is checked before anything is written. If any is bad (a bad value, a name that
/// differs from the code's first line, a measure code used twice) the answer is 422 and nothing
/// is loaded: `errors` lists each problem as `{"field": "row 7: proxy_value_pence", ...}`, the row
/// being the line of the file (the header is line 1), up to 100 problems. An edition code already
/// loaded is 409. The body may be up to the configured import limit (413 above it).
#[utoipa::path(tag = "Social value", security(("bearer" = [])), params(SocialValueEditionImportParams),
    request_body(content = String, content_type = "text/csv",
        description = "The measures, one per line after a header line naming the columns.",
        example = json!("theme_code,theme_name,outcome_code,outcome_name,measure_code,description,unit,proxy_value_pence\njobs,Jobs: promote local skills and employment,jobs-local,More local people in employment,NT1,Local people employed on the contract (full-time equivalent),FTE year,3086400\njobs,Jobs: promote local skills and employment,jobs-local,More local people in employment,NT4,Weeks of apprenticeship on the contract,week,25000\nsocial,Social: healthier and more resilient communities,social-volunteering,Stronger communities,NT28,Staff volunteering hours,hour,1700\n")),
    responses((status = 201, description = "Loaded", body = SocialValueEdition,
        headers(("Location" = String, description = "URL of the edition"), ("ETag" = String, description = "The record's version"))),
        (status = 413, description = "The file is larger than the import limit", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/payload-too-large", "title": "Payload Too Large", "status": 413,
                "detail": "the import is larger than the 33554432 bytes allowed; split it into several files"})),
        (status = 415, description = "The body is not sent as `text/csv`", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/unsupported-media-type", "title": "Unsupported Media Type", "status": 415,
                "detail": "an import must be sent as CSV (Content-Type: text/csv)"})),
        (status = 422, description = "Nothing was loaded: each problem by row and column", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "nothing was imported: 2 rows have 2 problems",
                "errors": [{"field": "row 3: proxy_value_pence", "message": "expected a whole number of pence, e.g. 3086400, not \"£250\""},
                           {"field": "row 4: measure_code", "message": "NT1 is also on row 2; measure codes are unique within an edition"}]}))))]
#[post("/social-value/editions/import")]
async fn import_edition(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    params: Query<SocialValueEditionImportParams>,
    body: CsvBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(EDITORS)?;
    let Query(p) = params;
    let CsvBody { bytes, fingerprint } = body;
    let new = NewSocialValueEdition {
        themes: parse_edition_csv(&bytes)?,
        code: p.code,
        name: p.name,
        effective_from: p.effective_from,
    };
    let edition_id = Uuid::now_v7();
    // The file's rows are checked already; what is left is the name from the query.
    let (name, measures) = check_edition(&new, edition_id)?;
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/social-value/editions/import",
        format!(
            "{}\n{}\n{}\n{fingerprint}",
            new.code.as_str(),
            new.name,
            new.effective_from.get()
        ),
        move |conn, caller| store_edition(conn, caller, new, name, edition_id, measures),
    )
    .await
}

/// Paging for lists ordered by id.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SocialValuePageParams {
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// The editions loaded, in the order they were loaded.
#[utoipa::path(tag = "Social value", security(("bearer" = [])), params(SocialValuePageParams),
    responses((status = 200, description = "A page of editions", body = Page<SocialValueEditionSummary>)))]
#[get("/social-value/editions")]
async fn list_editions(
    pool: Db,
    _caller: Caller,
    params: Query<SocialValuePageParams>,
) -> Result<web::Json<Page<SocialValueEditionSummary>>, ApiError> {
    let Query(p) = params;
    let (rows, counts) = db::run(&pool, move |conn| {
        let rows = EditionRow::page(conn, p.cursor.map(|c| c.0), p.limit.fetch())?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let counts: HashMap<Uuid, i64> = MeasureRow::counts(conn, &ids)?.into_iter().collect();
        Ok((rows, counts))
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        p.limit,
        |r| r.id,
        |r| SocialValueEditionSummary {
            measure_count: counts.get(&r.id).copied().unwrap_or(0),
            code: r.code,
            name: r.name,
            effective_from: r.effective_from,
            created_by: r.created_by,
            created_at: r.created_at,
        },
    )))
}

/// One edition with all its themes, outcomes and measures.
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("code" = String, Path, description = "Edition code, e.g. 2026-demo")),
    responses((status = 200, description = "The edition", body = SocialValueEdition)))]
#[get("/social-value/editions/{code}")]
async fn read_edition(
    pool: Db,
    _caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let view = db::run(&pool, move |conn| {
        let edition = EditionRow::by_code(conn, &code)?
            .ok_or_else(|| ApiError::not_found(format!("edition {code}")))?;
        let measures = MeasureRow::of_edition(conn, edition.id)?;
        Ok(edition_view(edition, measures))
    })
    .await?;
    Ok(versioned(StatusCode::OK, 1, &view))
}

// ---------------------------------------------------------------------------------------------
// Council priorities

/// One of an authority's social value priorities, and the measures (by code, in any edition)
/// that serve it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193f000-0000-7000-8000-000000000511",
    "authority": "SKP",
    "code": "local_employment",
    "name": "Local employment",
    "description": "More Stockport residents in good work on the council's contracts.",
    "measure_codes": ["DM1", "DM3"],
    "version": 1,
    "created_by": "demo-seed",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct SocialValuePriority {
    pub id: Uuid,
    /// The owning authority.
    pub authority: AuthorityCode,
    /// Unique within the authority; commitments name their priority by it.
    #[schema(value_type = SocialValuePriorityCode)]
    pub code: String,
    pub name: String,
    pub description: String,
    /// Codes of the measures that serve the priority. By code rather than by edition: a measure
    /// keeps its code from one edition to the next, so the list holds across editions.
    pub measure_codes: Vec<String>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PriorityWithCode> for SocialValuePriority {
    fn from((r, authority): PriorityWithCode) -> Self {
        SocialValuePriority {
            id: r.id,
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            code: r.code,
            name: r.name,
            description: r.description,
            measure_codes: r.measure_codes,
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new priority of the caller's authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "local_employment",
    "name": "Local employment",
    "description": "More residents in good work on the council's contracts.",
    "measure_codes": ["DM1", "DM3"]
}))]
pub struct NewSocialValuePriority {
    pub code: SocialValuePriorityCode,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Codes of measures of some loaded edition, each at most once (up to 100).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub measure_codes: Vec<String>,
}

/// A partial update of a priority (JSON merge patch): fields left out stay as they are;
/// `measure_codes` replaces the whole list.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"measure_codes": ["DM1", "DM2", "DM3"]}))]
pub struct SocialValuePriorityPatch {
    #[schema(value_type = Option<SocialValuePriorityCode>, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub code: Option<SocialValuePriorityCode>,
    #[schema(min_length = 1, max_length = 200, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[schema(max_length = 2000, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub description: Option<String>,
    #[schema(max_items = 100, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub measure_codes: Option<Vec<String>>,
}

/// The problems with a priority's name, description and measure codes, each naming its field.
/// Measure codes must be well formed, listed once, and the code of a measure in some edition.
fn priority_problems(
    conn: &mut diesel::PgConnection,
    name: Option<&str>,
    description: Option<&str>,
    measure_codes: Option<&[String]>,
) -> Result<(Option<String>, Vec<FieldError>), ApiError> {
    let mut problems = Vec::new();
    let name = name.and_then(|n| {
        check_text(n, 200)
            .map_err(|m| problems.push(FieldError::new("name", m)))
            .ok()
    });
    if description.is_some_and(|d| d.chars().count() > 2000) {
        problems.push(FieldError::new(
            "description",
            "may be at most 2000 characters",
        ));
    }
    if let Some(codes) = measure_codes {
        if codes.len() > MAX_PRIORITY_MEASURES {
            problems.push(FieldError::new(
                "measure_codes",
                format!("may list at most {MAX_PRIORITY_MEASURES} measures"),
            ));
        } else {
            let known: HashSet<String> =
                MeasureRow::known_codes(conn, codes)?.into_iter().collect();
            let mut seen = HashSet::new();
            for (i, code) in codes.iter().enumerate() {
                let field = format!("measure_codes[{i}]");
                if let Err(m) = check_code(code) {
                    problems.push(FieldError::new(field, m));
                } else if !seen.insert(code.as_str()) {
                    problems.push(FieldError::new(field, format!("{code} is listed twice")));
                } else if !known.contains(code) {
                    problems.push(FieldError::new(
                        field,
                        format!("no edition of the measures framework has a measure {code}"),
                    ));
                }
            }
        }
    }
    Ok((name, problems))
}

/// Create one of the caller's authority's social value priorities (`admin` or `commissioner`). A
/// code the authority already uses is 409.
#[utoipa::path(tag = "Social value", security(("bearer" = [])), request_body = NewSocialValuePriority,
    responses((status = 201, description = "Created", body = SocialValuePriority,
        headers(("Location" = String, description = "URL of the priority"), ("ETag" = String, description = "The record's version")))))]
#[post("/social-value/priorities")]
async fn create_priority(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewSocialValuePriority>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(PRIORITY_EDITORS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/social-value/priorities",
        fingerprint,
        move |conn, caller| {
            let (name, problems) = priority_problems(
                conn,
                Some(&new.name),
                Some(&new.description),
                Some(&new.measure_codes),
            )?;
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
            let authority =
                AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
                    ApiError::Forbidden(format!(
                        "the token's authority {} is not registered",
                        caller.authority
                    ))
                })?;
            if PriorityRow::by_code(conn, authority.id, new.code.as_str())?.is_some() {
                return Err(ApiError::Conflict(format!(
                    "{} already has a priority {}",
                    authority.code,
                    new.code.as_str()
                )));
            }
            let now = Utc::now();
            let row = PriorityRow::insert(
                conn,
                &PriorityRow {
                    id: Uuid::now_v7(),
                    authority_id: authority.id,
                    code: new.code.into(),
                    name: name.unwrap_or_default(),
                    description: new.description.trim().to_string(),
                    measure_codes: new.measure_codes,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = SocialValuePriority::from((row, authority.code));
            AuditEventRow::record(
                conn,
                caller,
                "create",
                "social_value_priority",
                view.id,
                None,
                Some(to_json(&view)?),
            )?;
            Created::new(&view, format!("/v1/social-value/priorities/{}", view.id), 1)
        },
    )
    .await
}

/// Filters and paging for priorities.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SocialValuePriorityParams {
    /// Only this authority's priorities.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// The authorities' social value priorities, in the order they were made. Any authenticated
/// caller may read them.
#[utoipa::path(tag = "Social value", security(("bearer" = [])), params(SocialValuePriorityParams),
    responses((status = 200, description = "A page of priorities", body = Page<SocialValuePriority>)))]
#[get("/social-value/priorities")]
async fn list_priorities(
    pool: Db,
    _caller: Caller,
    params: Query<SocialValuePriorityParams>,
) -> Result<web::Json<Page<SocialValuePriority>>, ApiError> {
    let Query(p) = params;
    let authority = p.authority.map(String::from);
    let rows = db::run(&pool, move |conn| {
        Ok(PriorityRow::page(
            conn,
            authority.as_deref(),
            p.cursor.map(|c| c.0),
            p.limit.fetch(),
        )?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        p.limit,
        |r| r.0.id,
        SocialValuePriority::from,
    )))
}

/// One priority.
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Priority id")),
    responses((status = 200, description = "The priority", body = SocialValuePriority,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/social-value/priorities/{id}")]
async fn read_priority(
    pool: Db,
    _caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::run(&pool, move |conn| Ok(PriorityRow::find(conn, id)?)).await?;
    let view = SocialValuePriority::from(
        found.ok_or_else(|| ApiError::not_found(format!("priority {id}")))?,
    );
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change a priority (the owning authority's `admin` or `commissioner`). Commitments already
/// serving it keep it, even if `measure_codes` no longer lists their measure: the list is checked
/// when a commitment is made or changes its measure or priority (and when a draft PID naming it is
/// changed or submitted). A new `code` is carried into the authority's PIDs and commissioning
/// intentions that name the priority, in the same transaction: each moves on a version, with its
/// own audit event (so the change feed carries it). A code the authority already uses is 409.
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Priority id")),
    request_body(content = SocialValuePriorityPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated priority", body = SocialValuePriority,
        headers(("ETag" = String, description = "The record's new version")))))]
#[patch("/social-value/priorities/{id}")]
async fn update_priority(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SocialValuePriorityPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let view = db::transaction(&pool, move |conn| {
        let (row, authority) = PriorityRow::find_for_update(conn, id)?
            .ok_or_else(|| ApiError::not_found(format!("priority {id}")))?;
        caller.require_to_change(PRIORITY_EDITORS, &authority)?;
        if_match.check(row.version)?;
        let (name, problems) = priority_problems(
            conn,
            patch.name.as_deref(),
            patch.description.as_deref(),
            patch.measure_codes.as_deref(),
        )?;
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        if let Some(code) = &patch.code
            && code.as_str() != row.code
            && PriorityRow::by_code(conn, row.authority_id, code.as_str())?.is_some()
        {
            return Err(ApiError::Conflict(format!(
                "{authority} already has a priority {}",
                code.as_str()
            )));
        }
        let changes = PriorityChanges {
            code: patch.code.map(String::from),
            name,
            description: patch.description.map(|d| d.trim().to_string()),
            measure_codes: patch.measure_codes,
        };
        if let Some(code) = &changes.code
            && *code != row.code
        {
            crate::routes::pids::rename_priority(conn, &caller, row.authority_id, &row.code, code)?;
            crate::routes::intentions::rename_priority(
                conn,
                &caller,
                row.authority_id,
                &row.code,
                code,
            )?;
        }
        let before = SocialValuePriority::from((row, authority.clone()));
        let updated = PriorityRow::update(conn, id, &changes)?;
        let after = SocialValuePriority::from((updated, authority));
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            "social_value_priority",
            id,
            Some(to_json(&before)?),
            Some(to_json(&after)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Delete a priority (the owning authority's `admin` or `commissioner`). One that commitments
/// serve, or that PIDs or commissioning intentions name in their `social_value_priorities`, is
/// kept (409): move them to another priority first. `If-Match` is honoured.
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Priority id")),
    responses((status = 204, description = "Deleted")))]
#[delete("/social-value/priorities/{id}")]
async fn delete_priority(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::transaction(&pool, move |conn| {
        let (row, authority) = PriorityRow::find_for_update(conn, id)?
            .ok_or_else(|| ApiError::not_found(format!("priority {id}")))?;
        caller.require_to_change(PRIORITY_EDITORS, &authority)?;
        if_match.check(row.version)?;
        let serving = CommitmentRow::count_for_priority(conn, id)?;
        if serving > 0 {
            return Err(ApiError::Conflict(format!(
                "{serving} commitment(s) serve priority {}; change their priority before deleting it",
                row.code
            )));
        }
        let (in_pids, in_intentions) = PriorityRow::plans_naming(conn, row.authority_id, &row.code)?;
        if in_pids + in_intentions > 0 {
            return Err(ApiError::Conflict(format!(
                "{in_pids} PID(s) and {in_intentions} commissioning intention(s) of {authority} name priority {}; take it out of their social_value_priorities before deleting it",
                row.code
            )));
        }
        let before = SocialValuePriority::from((row, authority));
        PriorityRow::delete(conn, id)?;
        AuditEventRow::record(
            conn,
            &caller,
            "delete",
            "social_value_priority",
            id,
            Some(to_json(&before)?),
            None,
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------
// Commitments

/// A supplier's social value commitment on a contract, or on a PID's awarded lot, with what its
/// current returns delivered. Exactly one subject is set: `contract_id` (with its reference and
/// title) or `pid_id` and `lot` (with the PID's reference and the lot's title); the other's fields
/// are `null`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193f000-0000-7000-8000-000000000101",
    "authority": "SKP",
    "contract_id": "0193c000-0000-7000-8000-000000000003",
    "contract_reference": "SKP-C-2019-0031",
    "contract_title": "Home care: Marple, Bredbury, Heatons and Reddish",
    "pid_id": null,
    "pid_reference": null,
    "lot": null,
    "lot_title": null,
    "supplier_name": "Bluebell Home Care Ltd",
    "edition": "2026-demo",
    "measure_code": "NT1",
    "measure_description": "Local people employed on the contract (full-time equivalent)",
    "unit": "FTE year",
    "theme": "jobs",
    "proxy_value_pence": 3_086_400,
    "target_quantity": 12,
    "target_proxy_pence": 37_036_800,
    "period_from": "2025-04-01",
    "period_to": "2027-03-31",
    "committed_on": "2025-04-01",
    "priority": "local_employment",
    "priority_id": "0193f000-0000-7000-8000-000000000511",
    "priority_name": "Local employment",
    "note": "",
    "delivered_quantity": 7,
    "delivered_proxy_pence": 21_604_800,
    "version": 1,
    "created_by": "demo-seed",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct SocialValueCommitment {
    pub id: Uuid,
    /// The authority that owns the contract (or the PID).
    pub authority: AuthorityCode,
    /// The contract the commitment is made on; `null` for a commitment on a PID's lot.
    pub contract_id: Option<Uuid>,
    pub contract_reference: Option<String>,
    pub contract_title: Option<String>,
    /// The PID whose awarded lot the commitment is made on; `null` for one on a contract.
    pub pid_id: Option<Uuid>,
    pub pid_reference: Option<String>,
    /// The lot's number: its 1-based position in the PID's `lots`.
    #[schema(minimum = 1, maximum = 50)]
    pub lot: Option<i16>,
    pub lot_title: Option<String>,
    /// The contract's supplier, or the supplier the lot was awarded to.
    pub supplier_name: String,
    /// The framework edition the proxy value was taken from.
    pub edition: String,
    pub measure_code: String,
    pub measure_description: String,
    pub unit: String,
    /// Code of the measure's theme in that edition.
    pub theme: String,
    /// £ proxy value of one unit in pence, frozen when the commitment was made.
    pub proxy_value_pence: i64,
    pub target_quantity: i64,
    /// target_quantity × proxy_value_pence.
    pub target_proxy_pence: i64,
    #[schema(value_type = Date)]
    pub period_from: NaiveDate,
    #[schema(value_type = Date)]
    pub period_to: NaiveDate,
    /// The date the commitment was made; the edition in force on it is used unless one is named.
    #[schema(value_type = Date)]
    pub committed_on: NaiveDate,
    /// Code of the council priority the commitment serves (one of the authority's priorities).
    #[schema(value_type = SocialValuePriorityCode)]
    pub priority: String,
    pub priority_id: Uuid,
    pub priority_name: String,
    pub note: String,
    /// Sum of the current (not superseded) returns.
    pub delivered_quantity: i64,
    /// delivered_quantity × proxy_value_pence.
    pub delivered_proxy_pence: i64,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl From<CommitmentView> for SocialValueCommitment {
    fn from(v: CommitmentView) -> Self {
        SocialValueCommitment {
            id: v.id,
            authority: AuthorityCode::try_from(v.authority).expect("authorities.code is checked"),
            contract_id: v.contract_id,
            contract_reference: v.contract_reference,
            contract_title: v.contract_title,
            pid_id: v.pid_id,
            pid_reference: v.pid_reference,
            lot: v.lot,
            lot_title: v.lot_title,
            supplier_name: v.supplier_name,
            edition: v.edition,
            measure_code: v.measure_code,
            measure_description: v.measure_description,
            unit: v.unit,
            theme: v.theme_code,
            proxy_value_pence: v.proxy_value_pence,
            target_quantity: v.target_quantity,
            target_proxy_pence: clamp_i64(proxy_pence(v.target_quantity, v.proxy_value_pence)),
            period_from: v.period_from,
            period_to: v.period_to,
            committed_on: v.committed_on,
            priority: v.priority_code,
            priority_id: v.priority_id,
            priority_name: v.priority_name,
            note: v.note,
            delivered_quantity: v.delivered_quantity,
            delivered_proxy_pence: clamp_i64(proxy_pence(
                v.delivered_quantity,
                v.proxy_value_pence,
            )),
            version: v.version,
            created_by: v.created_by,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A new commitment on a contract of the caller's authority, or on an awarded lot of one of its
/// PIDs: give exactly one of `contract_id` and (`pid_id`, `lot`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "contract_id": "0193c000-0000-7000-8000-000000000003",
    "measure_code": "NT1",
    "target_quantity": 12,
    "period_from": "2025-04-01",
    "period_to": "2027-03-31",
    "priority": "local_employment",
    "committed_on": "2025-04-01"
}))]
pub struct NewSocialValueCommitment {
    /// The contract the commitment is made on (or give `pid_id` and `lot`).
    #[serde(default)]
    pub contract_id: Option<Uuid>,
    /// An awarded PID whose lot the commitment is made on, with `lot` (instead of `contract_id`).
    #[serde(default)]
    pub pid_id: Option<Uuid>,
    /// The lot's number (its 1-based position in the PID's `lots`); its award must be recorded.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 50)]
    pub lot: Option<i16>,
    #[schema(min_length = 1, max_length = 30)]
    pub measure_code: String,
    /// The edition to take the measure from; when left out, the edition in force on
    /// `committed_on` (the latest with `effective_from` on or before it).
    #[serde(default)]
    pub edition: Option<SocialValueEditionCode>,
    /// Whole units of the measure, 1 to 1,000,000,000.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub target_quantity: i64,
    pub period_from: Date,
    pub period_to: Date,
    /// Code of the priority the commitment serves: one of the contract's (or PID's) authority's
    /// priorities (`GET /v1/social-value/priorities?authority=`) that lists the measure among its
    /// measures.
    pub priority: SocialValuePriorityCode,
    /// When the commitment was made; today when left out.
    #[serde(default)]
    pub committed_on: Option<Date>,
    #[serde(default)]
    pub note: String,
}

/// Record a supplier's commitment on a contract, or on a PID's awarded lot (the contract's or
/// PID's authority's `commissioner`, `procurement` or `admin`; 403 for another authority's). Give
/// exactly one subject: `contract_id`, or `pid_id` with `lot` (422 naming the fields otherwise). A
/// commitment on a lot needs the PID to be `awarded` and the lot's award recorded (`PUT
/// /v1/pids/{id}/lots/{lot}/award`; 422 naming `lot` otherwise); its supplier is the award's. The
/// proxy value per unit is taken from the edition and kept: later editions do not change it.
/// `priority` names one of the authority's priorities whose measures include the measure (422
/// naming `priority` otherwise).
#[utoipa::path(tag = "Social value", security(("bearer" = [])), request_body = NewSocialValueCommitment,
    responses((status = 201, description = "Created", body = SocialValueCommitment,
        headers(("Location" = String, description = "URL of the commitment"), ("ETag" = String, description = "The record's version"))),
        (status = 403, description = "The contract or PID is another authority's, or the role cannot commit", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/forbidden", "title": "Forbidden", "status": 403,
                "detail": "the record belongs to RCH; the token acts for TAM"})),
        (status = 422, description = "A field is invalid, the subject is not exactly one, or the lot is not awarded; `errors` names each", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "lot: lot 2 has no award recorded: record who won it first (PUT /v1/pids/{id}/lots/2/award)",
                "errors": [{"field": "lot", "message": "lot 2 has no award recorded: record who won it first (PUT /v1/pids/{id}/lots/2/award)"}]}))))]
#[post("/social-value/commitments")]
async fn create_commitment(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewSocialValueCommitment>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let subject = CommitmentSubject::parse(new.contract_id, new.pid_id, new.lot);
    let mut problems = subject.clone().err().unwrap_or_default();
    if let Err(m) = check_range(new.target_quantity, 1, MAX_QUANTITY) {
        problems.push(FieldError::new("target_quantity", m));
    }
    if new.period_to < new.period_from {
        problems.push(FieldError::new(
            "period_to",
            "the period may not end before it starts",
        ));
    }
    let subject = match subject {
        Ok(subject) if problems.is_empty() => subject,
        _ => return Err(ApiError::invalid_fields(problems)),
    };
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/social-value/commitments",
        fingerprint,
        move |conn, caller| {
            let owner = subject_owner(conn, caller, subject)?;
            let authority = AuthorityRow::by_code(conn, &owner)?
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("authority {owner} missing")))?;
            let committed_on = new
                .committed_on
                .map(Date::get)
                .unwrap_or_else(|| Utc::now().date_naive());
            let edition = match &new.edition {
                Some(code) => EditionRow::by_code(conn, code.as_str())?.ok_or_else(|| {
                    ApiError::invalid("edition", format!("no edition has code {}", code.as_str()))
                })?,
                None => EditionRow::in_force(conn, committed_on)?.ok_or_else(|| {
                    ApiError::invalid(
                        "committed_on",
                        format!(
                            "no edition of the measures framework is in force on {committed_on}"
                        ),
                    )
                })?,
            };
            let measure =
                MeasureRow::find(conn, edition.id, &new.measure_code)?.ok_or_else(|| {
                    ApiError::invalid(
                        "measure_code",
                        format!(
                            "edition {} has no measure {}",
                            edition.code, new.measure_code
                        ),
                    )
                })?;
            let priority = priority_serving(conn, &authority, new.priority.as_str(), &measure)?;
            let now = Utc::now();
            let id = Uuid::now_v7();
            CommitmentRow::insert(
                conn,
                &CommitmentRow {
                    id,
                    authority_id: authority.id,
                    contract_id: subject.contract_id(),
                    pid_id: subject.pid_id(),
                    lot: subject.lot(),
                    measure_id: measure.id,
                    proxy_value_pence: measure.proxy_value_pence,
                    target_quantity: new.target_quantity,
                    period_from: new.period_from.get(),
                    period_to: new.period_to.get(),
                    committed_on,
                    priority_id: priority.id,
                    note: new.note,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = SocialValueCommitment::from(
                CommitmentView::find(conn, id)?.ok_or_else(|| ApiError::not_found("commitment"))?,
            );
            AuditEventRow::record(
                conn,
                caller,
                "create",
                "social_value_commitment",
                id,
                None,
                Some(to_json(&view)?),
            )?;
            Created::new(&view, format!("/v1/social-value/commitments/{id}"), 1)
        },
    )
    .await
}

/// The code of the authority that owns a new commitment's subject, once the caller acts for it
/// (403) and the subject may take a commitment (422 naming the field otherwise).
fn subject_owner(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    subject: CommitmentSubject,
) -> Result<String, ApiError> {
    match subject {
        CommitmentSubject::Contract(id) => {
            let owner = ContractRow::owner(conn, id)?.ok_or_else(|| {
                ApiError::invalid("contract_id", format!("no contract has id {id}"))
            })?;
            caller.require_authority(&owner)?;
            Ok(owner)
        }
        CommitmentSubject::Lot { pid_id, lot } => {
            let owner = PidRow::owner(conn, pid_id)?
                .ok_or_else(|| ApiError::invalid("pid_id", format!("no PID has id {pid_id}")))?;
            caller.require_authority(&owner)?;
            // The PID's row lock keeps the lot's award from being removed before the commitment
            // naming it is stored (removing an award takes the same lock).
            let (pid, _, _) = PidRow::find_for_update(conn, pid_id)?;
            let lots = pid.lots.as_array().map_or(0, Vec::len);
            if lot_index(lot, lots).is_none() {
                return Err(ApiError::invalid(
                    "lot",
                    format!("{} has no lot {lot}; it has {lots} lot(s)", pid.reference),
                ));
            }
            let awarded = LotAwardRow::find(conn, pid_id, lot)?.is_some();
            if let Some(why) = lot_commitment_refusal(pid.status, lot, awarded) {
                return Err(ApiError::invalid("lot", why));
            }
            Ok(owner)
        }
    }
}

/// Filters and paging for commitments.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SocialValueCommitmentParams {
    /// Only this authority's commitments.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// Only commitments on this contract.
    pub contract_id: Option<Uuid>,
    /// Only commitments on lots of this PID.
    pub pid_id: Option<Uuid>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// Commitments, in the order they were made. Any authenticated caller may read them.
#[utoipa::path(tag = "Social value", security(("bearer" = [])), params(SocialValueCommitmentParams),
    responses((status = 200, description = "A page of commitments", body = Page<SocialValueCommitment>)))]
#[get("/social-value/commitments")]
async fn list_commitments(
    pool: Db,
    _caller: Caller,
    params: Query<SocialValueCommitmentParams>,
) -> Result<web::Json<Page<SocialValueCommitment>>, ApiError> {
    let Query(p) = params;
    let filter = CommitmentFilter {
        authority: p.authority.map(String::from),
        contract_id: p.contract_id,
        pid_id: p.pid_id,
        ..Default::default()
    };
    let rows = db::run(&pool, move |conn| {
        Ok(CommitmentView::load(
            conn,
            &filter,
            p.cursor.map(|c| c.0),
            Some(p.limit.fetch()),
        )?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        p.limit,
        |r| r.id,
        SocialValueCommitment::from,
    )))
}

/// One commitment.
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Commitment id")),
    responses((status = 200, description = "The commitment", body = SocialValueCommitment)))]
#[get("/social-value/commitments/{id}")]
async fn read_commitment(
    pool: Db,
    _caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::run(&pool, move |conn| Ok(CommitmentView::find(conn, id)?)).await?;
    let view = SocialValueCommitment::from(
        found.ok_or_else(|| ApiError::not_found(format!("commitment {id}")))?,
    );
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// The authority's priority `code`, which must list `measure` among the measures serving it (422
/// naming `priority` otherwise).
fn priority_serving(
    conn: &mut diesel::PgConnection,
    authority: &AuthorityRow,
    code: &str,
    measure: &MeasureRow,
) -> Result<PriorityRow, ApiError> {
    let priority = PriorityRow::by_code(conn, authority.id, code)?.ok_or_else(|| {
        ApiError::invalid(
            "priority",
            format!(
                "{} has no social value priority {code}; see GET /v1/social-value/priorities?authority={}",
                authority.code, authority.code
            ),
        )
    })?;
    if !priority.measure_codes.contains(&measure.code) {
        return Err(ApiError::invalid(
            "priority",
            format!(
                "measure {} does not serve {}'s priority {code}, whose measures are [{}]",
                measure.code,
                authority.code,
                priority.measure_codes.join(", ")
            ),
        ));
    }
    Ok(priority)
}

/// The commitment `id`, locked, and as the API shows it, once the caller may change it (403) at
/// the version `If-Match` names (412).
fn commitment_to_change(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    id: Uuid,
    if_match: &IfMatch,
) -> Result<(CommitmentRow, SocialValueCommitment), ApiError> {
    let row = CommitmentRow::lock(conn, id)?
        .ok_or_else(|| ApiError::not_found(format!("commitment {id}")))?;
    let view = SocialValueCommitment::from(
        CommitmentView::find(conn, id)?.ok_or_else(|| ApiError::not_found("commitment"))?,
    );
    caller.require_to_change(WRITERS, view.authority.as_str())?;
    if_match.check(row.version)?;
    Ok((row, view))
}

/// A partial update of a commitment (JSON merge patch): fields left out stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target_quantity": 14, "note": "Raised at the contract review, March 2026"}))]
pub struct SocialValueCommitmentPatch {
    /// Another measure of the same edition; its proxy value is then taken from that edition.
    /// Refused (409) once the commitment has delivery returns.
    #[schema(min_length = 1, max_length = 30, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub measure_code: Option<String>,
    /// Whole units of the measure, 1 to 1,000,000,000.
    #[schema(minimum = 1, maximum = 1_000_000_000, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub target_quantity: Option<i64>,
    #[schema(value_type = Option<Date>, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub period_from: Option<Date>,
    #[schema(value_type = Option<Date>, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub period_to: Option<Date>,
    /// Code of another of the authority's priorities; it must list the measure.
    #[schema(value_type = Option<SocialValuePriorityCode>, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub priority: Option<SocialValuePriorityCode>,
    #[schema(max_length = 2000, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub note: Option<String>,
}

/// Change a commitment (the contract's or PID's authority's `commissioner`, `procurement` or `admin`).
/// Send the ETag as `If-Match` to be refused (412) if it changed since you read it.
///
/// The proxy value per unit stays frozen: changing `target_quantity` keeps it (the target's £
/// value is the new quantity × the frozen value). Changing `measure_code` takes the new measure
/// and its proxy value from the commitment's own edition, the one in force on its original
/// `committed_on` (or the one named when it was made); a later edition is never used, and
/// `committed_on`, the subject (contract or PID lot) and the edition cannot be changed. Once delivery returns exist
/// the measure cannot change (409: the returns count units of it), and the period must still
/// contain every return (409). The priority must list the (new) measure (422 naming `priority`).
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Commitment id")),
    request_body(content = SocialValueCommitmentPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated commitment", body = SocialValueCommitment,
        headers(("ETag" = String, description = "The record's new version")))))]
#[patch("/social-value/commitments/{id}")]
async fn update_commitment(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SocialValueCommitmentPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let mut problems = Vec::new();
    if let Some(q) = patch.target_quantity
        && let Err(m) = check_range(q, 1, MAX_QUANTITY)
    {
        problems.push(FieldError::new("target_quantity", m));
    }
    if let Some(code) = &patch.measure_code
        && let Err(m) = check_code(code)
    {
        problems.push(FieldError::new("measure_code", m));
    }
    if patch
        .note
        .as_ref()
        .is_some_and(|n| n.chars().count() > 2000)
    {
        problems.push(FieldError::new("note", "may be at most 2000 characters"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let view = db::transaction(&pool, move |conn| {
        let (row, before) = commitment_to_change(conn, &caller, id, &if_match)?;
        let from = patch.period_from.map_or(row.period_from, Date::get);
        let to = patch.period_to.map_or(row.period_to, Date::get);
        if to < from {
            return Err(ApiError::invalid(
                "period_to",
                format!("the period may not end ({to}) before it starts ({from})"),
            ));
        }
        let current = MeasureRow::by_id(conn, row.measure_id)?;
        let (returns, first, last) = ReturnRow::span(conn, id)?;
        let measure = match &patch.measure_code {
            Some(code) if *code != current.code => {
                if returns > 0 {
                    return Err(ApiError::Conflict(format!(
                        "commitment {id} has {returns} delivery return(s) counting units of {}; its measure cannot change",
                        current.code
                    )));
                }
                let edition = EditionRow::by_id(conn, current.edition_id)?;
                MeasureRow::find(conn, edition.id, code)?.ok_or_else(|| {
                    ApiError::invalid(
                        "measure_code",
                        format!("edition {} has no measure {code}", edition.code),
                    )
                })?
            }
            _ => current.clone(),
        };
        if let (Some(first), Some(last)) = (first, last)
            && (first < from || last > to)
        {
            return Err(ApiError::Conflict(format!(
                "commitment {id} has delivery returns from {first} to {last}; its period must contain them"
            )));
        }
        let authority = AuthorityRow::by_code(conn, before.authority.as_str())?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("authority missing")))?;
        let priority_code = patch.priority.as_ref().map_or(before.priority.as_str(), |p| p.as_str());
        let priority = if patch.priority.is_some() || measure.id != current.id {
            Some(priority_serving(conn, &authority, priority_code, &measure)?.id)
        } else {
            None
        };
        let moved = measure.id != current.id;
        let changes = CommitmentChanges {
            measure_id: moved.then_some(measure.id),
            // Frozen unless the measure changes: then the new measure's value in the same edition.
            proxy_value_pence: moved.then_some(measure.proxy_value_pence),
            target_quantity: patch.target_quantity,
            period_from: patch.period_from.map(Date::get),
            period_to: patch.period_to.map(Date::get),
            priority_id: priority,
            note: patch.note.map(|n| n.trim().to_string()),
        };
        CommitmentRow::update(conn, id, &changes)?;
        let after = SocialValueCommitment::from(
            CommitmentView::find(conn, id)?.ok_or_else(|| ApiError::not_found("commitment"))?,
        );
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            "social_value_commitment",
            id,
            Some(to_json(&before)?),
            Some(to_json(&after)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Delete a commitment made in error (the contract's authority's `commissioner`, `procurement` or
/// `admin`). A commitment with delivery returns (current or superseded) is never deleted (409):
/// the returns are the evidence of what was delivered; change the commitment instead. `If-Match`
/// is honoured (412 when stale).
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Commitment id")),
    responses((status = 204, description = "Deleted")))]
#[delete("/social-value/commitments/{id}")]
async fn delete_commitment(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::transaction(&pool, move |conn| {
        let (_, before) = commitment_to_change(conn, &caller, id, &if_match)?;
        let (returns, _, _) = ReturnRow::span(conn, id)?;
        if returns > 0 {
            return Err(ApiError::Conflict(format!(
                "commitment {id} has {returns} delivery return(s); a commitment with returns is kept as the record of what was delivered"
            )));
        }
        CommitmentRow::delete(conn, id)?;
        AuditEventRow::record(
            conn,
            &caller,
            "delete",
            "social_value_commitment",
            id,
            Some(to_json(&before)?),
            None,
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------
// Delivery returns

/// A delivery return: what was delivered against a commitment in a period.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193f000-0000-7000-8000-000000000301",
    "commitment_id": "0193f000-0000-7000-8000-000000000101",
    "period_from": "2025-04-01",
    "period_to": "2025-09-30",
    "quantity": 3,
    "evidence": "Payroll extract for the half-year, postcodes checked against the borough",
    "superseded_by": null,
    "created_by": "demo-seed",
    "created_at": "2026-11-23T09:00:00Z"
}))]
pub struct SocialValueReturn {
    pub id: Uuid,
    pub commitment_id: Uuid,
    #[schema(value_type = Date)]
    pub period_from: NaiveDate,
    #[schema(value_type = Date)]
    pub period_to: NaiveDate,
    pub quantity: i64,
    pub evidence: String,
    /// The correction that replaced this return; `null` while it is the current one.
    pub superseded_by: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<ReturnRow> for SocialValueReturn {
    fn from(r: ReturnRow) -> Self {
        SocialValueReturn {
            id: r.id,
            commitment_id: r.commitment_id,
            period_from: r.period_from,
            period_to: r.period_to,
            quantity: r.quantity,
            evidence: r.evidence,
            superseded_by: r.superseded_by,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// A new delivery return, or a correction: a return for exactly the period of a current return
/// replaces it (which is kept, with `superseded_by` set).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "period_from": "2025-04-01",
    "period_to": "2025-09-30",
    "quantity": 3,
    "evidence": "Payroll extract for the half-year, postcodes checked against the borough"
}))]
pub struct NewSocialValueReturn {
    pub period_from: Date,
    pub period_to: Date,
    /// Whole units delivered in the period, 0 to 1,000,000,000.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub quantity: i64,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub evidence: String,
}

/// Post a delivery return for a period within the commitment's (the contract's authority's
/// `commissioner`, `procurement` or `admin`). A return for exactly the period of a current return
/// is a correction and supersedes it; one overlapping a current return's period otherwise is 422.
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Commitment id")),
    request_body = NewSocialValueReturn,
    responses((status = 201, description = "Created", body = SocialValueReturn,
        headers(("Location" = String, description = "URL of the commitment's returns"), ("ETag" = String, description = "The record's version")))))]
#[post("/social-value/commitments/{id}/returns")]
async fn create_return(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: Json<NewSocialValueReturn>,
) -> Result<HttpResponse, ApiError> {
    let commitment_id = id.into_inner();
    let Json {
        value: new,
        fingerprint,
    } = body;
    let mut problems = Vec::new();
    if let Err(m) = check_range(new.quantity, 0, MAX_QUANTITY) {
        problems.push(FieldError::new("quantity", m));
    }
    if new.period_to < new.period_from {
        problems.push(FieldError::new(
            "period_to",
            "the period may not end before it starts",
        ));
    }
    if new.evidence.chars().count() > 2000 {
        problems.push(FieldError::new(
            "evidence",
            "may be at most 2000 characters",
        ));
    }
    let (from, to) = (new.period_from.get(), new.period_to.get());
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/social-value/commitments/{id}/returns",
        format!("{commitment_id}\n{fingerprint}"),
        move |conn, caller| {
            let commitment = CommitmentRow::lock(conn, commitment_id)?
                .ok_or_else(|| ApiError::not_found(format!("commitment {commitment_id}")))?;
            let owner = CommitmentRow::owner(conn, &commitment)?;
            caller.require_to_change(WRITERS, &owner)?;
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
            if from < commitment.period_from || to > commitment.period_to {
                return Err(ApiError::invalid(
                    "period_from",
                    format!(
                        "the return's period {from} to {to} is not within the commitment's, {} to {}",
                        commitment.period_from, commitment.period_to
                    ),
                ));
            }
            let current = ReturnRow::current_overlapping(conn, commitment_id, from, to)?;
            let replaced = match current.as_slice() {
                [] => None,
                [one] if one.period_from == from && one.period_to == to => Some(one.clone()),
                others => {
                    let periods: Vec<String> = others
                        .iter()
                        .map(|r| format!("{} to {}", r.period_from, r.period_to))
                        .collect();
                    return Err(ApiError::invalid(
                        "period_from",
                        format!(
                            "overlaps the current return(s) for {}; to correct one, post a return for exactly its period",
                            periods.join(", ")
                        ),
                    ));
                }
            };
            let id = Uuid::now_v7();
            if let Some(old) = &replaced {
                // The foreign key is deferred, so the old return can point at the new one first.
                ReturnRow::supersede(conn, old.id, id)?;
            }
            let row = ReturnRow::insert(
                conn,
                &ReturnRow {
                    id,
                    commitment_id,
                    period_from: from,
                    period_to: to,
                    quantity: new.quantity,
                    evidence: new.evidence.trim().to_string(),
                    superseded_by: None,
                    created_by: caller.subject.clone(),
                    created_at: Utc::now(),
                },
            )?;
            let view = SocialValueReturn::from(row);
            let before = match replaced {
                Some(old) => Some(to_json(&SocialValueReturn::from(old))?),
                None => None,
            };
            AuditEventRow::record(
                conn,
                caller,
                if before.is_some() { "correct" } else { "create" },
                "social_value_return",
                id,
                before,
                Some(to_json(&view)?),
            )?;
            Created::new(
                &view,
                format!("/v1/social-value/commitments/{commitment_id}/returns"),
                1,
            )
        },
    )
    .await
}

/// Every return of a commitment, corrections and the returns they superseded alike, by period.
#[utoipa::path(tag = "Social value", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Commitment id")),
    responses((status = 200, description = "The returns", body = Vec<SocialValueReturn>)))]
#[get("/social-value/commitments/{id}/returns")]
async fn list_returns(
    pool: Db,
    _caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<SocialValueReturn>>, ApiError> {
    let id = id.into_inner();
    let rows = db::run(&pool, move |conn| {
        if CommitmentRow::lock(conn, id)?.is_none() {
            return Err(ApiError::not_found(format!("commitment {id}")));
        }
        Ok(ReturnRow::of_commitment(conn, id)?)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter().map(SocialValueReturn::from).collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Report

/// What the report covers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SocialValueReportParams {
    /// Only this authority's commitments (all authorities when left out).
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// Only commitments whose period ends on or after this date.
    #[param(value_type = Option<Date>)]
    pub from: Option<Date>,
    /// Only commitments whose period starts on or before this date.
    #[param(value_type = Option<Date>)]
    pub to: Option<Date>,
    /// `theme` (default), `priority`, `supplier` or `contract`.
    #[param(inline, value_type = Option<SocialValueGroupBy>)]
    #[serde(default)]
    pub group_by: SocialValueGroupBy,
    /// The date schedules are judged at; today when left out.
    #[param(value_type = Option<Date>)]
    pub as_at: Option<Date>,
    /// `csv` for CSV (as `Accept: text/csv`); `json` (the default) otherwise.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Committed against delivered for one group (or all of them).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct SocialValueReportFigures {
    pub commitments: i64,
    /// Sum of target quantities (units of different measures added together; the £ proxy is the
    /// comparable figure).
    pub committed_quantity: i64,
    /// Sum of target × frozen proxy value, in pence.
    pub committed_proxy_pence: i64,
    /// Sum of the current (latest per period) returns.
    pub delivered_quantity: i64,
    /// Sum of delivered × frozen proxy value, in pence.
    pub delivered_proxy_pence: i64,
    /// delivered_proxy_pence / committed_proxy_pence in basis points (10000 = 100%), rounded
    /// down; `null` when nothing of value is committed.
    pub delivery_rate_basis_points: Option<i64>,
    /// How many commitments are behind schedule at `as_at`.
    pub behind_schedule: i64,
    /// Those commitments.
    pub behind_schedule_commitment_ids: Vec<Uuid>,
}

/// One group of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct SocialValueReportGroup {
    /// The theme code, priority text, supplier name, contract id, or `pid:<PID id>:lot:<n>` for
    /// a PID's lot.
    pub key: String,
    /// Readable name: theme name, priority, supplier, contract reference and title, or `<PID
    /// reference> lot <n>: <lot title>` (`<PID reference> <lot title>` when the title begins
    /// `Lot <n>`).
    pub label: String,
    #[serde(flatten)]
    pub figures: SocialValueReportFigures,
}

/// Committed against delivered social value, in units and £ proxy value, grouped.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "authority": "SKP", "from": "2025-04-01", "to": "2026-03-31", "as_at": "2026-03-31", "group_by": "theme",
    "groups": [{"key": "jobs", "label": "Jobs: promote local skills and employment", "commitments": 1,
        "committed_quantity": 12, "committed_proxy_pence": 37_036_800, "delivered_quantity": 6,
        "delivered_proxy_pence": 18_518_400, "delivery_rate_basis_points": 5000, "behind_schedule": 0,
        "behind_schedule_commitment_ids": []}],
    "totals": {"commitments": 1, "committed_quantity": 12, "committed_proxy_pence": 37_036_800,
        "delivered_quantity": 6, "delivered_proxy_pence": 18_518_400, "delivery_rate_basis_points": 5000,
        "behind_schedule": 0, "behind_schedule_commitment_ids": []}
}))]
pub struct SocialValueReport {
    #[schema(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    #[schema(value_type = Option<Date>)]
    pub from: Option<NaiveDate>,
    #[schema(value_type = Option<Date>)]
    pub to: Option<NaiveDate>,
    #[schema(value_type = Date)]
    pub as_at: NaiveDate,
    pub group_by: SocialValueGroupBy,
    pub groups: Vec<SocialValueReportGroup>,
    pub totals: SocialValueReportFigures,
}

#[derive(Default)]
struct Sums {
    commitments: i64,
    committed_quantity: i128,
    committed_proxy: i128,
    delivered_quantity: i128,
    delivered_proxy: i128,
    behind: Vec<Uuid>,
}

impl Sums {
    fn add(&mut self, c: &CommitmentView, behind: bool) {
        self.commitments += 1;
        self.committed_quantity += i128::from(c.target_quantity);
        self.committed_proxy += proxy_pence(c.target_quantity, c.proxy_value_pence);
        self.delivered_quantity += i128::from(c.delivered_quantity);
        self.delivered_proxy += proxy_pence(c.delivered_quantity, c.proxy_value_pence);
        if behind {
            self.behind.push(c.id);
        }
    }

    fn figures(self) -> SocialValueReportFigures {
        SocialValueReportFigures {
            commitments: self.commitments,
            committed_quantity: clamp_i64(self.committed_quantity),
            committed_proxy_pence: clamp_i64(self.committed_proxy),
            delivered_quantity: clamp_i64(self.delivered_quantity),
            delivered_proxy_pence: clamp_i64(self.delivered_proxy),
            delivery_rate_basis_points: rate_basis_points(
                self.delivered_proxy,
                self.committed_proxy,
            ),
            behind_schedule: self.behind.len() as i64,
            behind_schedule_commitment_ids: self.behind,
        }
    }
}

/// Committed against delivered social value. The report takes the commitments whose period
/// overlaps `from`..`to` (all when left out) and counts each whole: its full target, and all its
/// current returns (a correction replaces the return for its period). £ figures use each
/// commitment's frozen proxy value. A commitment is behind schedule at `as_at` when what it
/// delivered is less than its target pro rata to the days of its period elapsed by then
/// (`delivered × days_in_period < target × days_elapsed`); none is behind before its period starts.
/// Groups are ordered by key; with `group_by=priority` the key is `<authority>:<priority code>`
/// and the label the priority's name. With `group_by=contract` a commitment on a PID's lot is
/// grouped under that lot (key `pid:<PID id>:lot:<n>`, label `<PID reference> lot <n>: <lot
/// title>`, or `<PID reference> <lot title>` when the title begins `Lot <n>`); with `group_by=supplier` it counts under the supplier the lot was awarded to. Any
/// authenticated caller may read it.
///
/// `Accept: text/csv` or `format=csv` gives the groups as CSV (as the savings forecast does): a
/// header line, then one line per group with the same figures as the JSON, £ in pounds with two
/// decimals (`committed_proxy_gbp`, `delivered_proxy_gbp`) and the commitments behind schedule
/// separated by `;`. The CSV has no totals line, so a program summing its lines counts each
/// commitment once.
#[utoipa::path(tag = "Social value", security(("bearer" = [])), params(SocialValueReportParams),
    responses((status = 200, description = "The report", content(
        (SocialValueReport = "application/json"),
        (String = "text/csv", example = json!("key,label,commitments,committed_quantity,committed_proxy_gbp,delivered_quantity,delivered_proxy_gbp,delivery_rate_basis_points,behind_schedule,behind_schedule_commitment_ids\njobs,Jobs: promote local skills and employment,2,14,420000.00,11,330000.00,7857,1,0193f000-0000-7000-8000-000000000101\nsocial,\"Social: healthier, safer and more resilient communities\",1,1000,17000.00,300,5100.00,3000,0,\n"))))))]
#[get("/social-value/report")]
async fn report(
    pool: Db,
    _caller: Caller,
    req: HttpRequest,
    params: Query<SocialValueReportParams>,
) -> Result<HttpResponse, ApiError> {
    let Query(p) = params;
    if p.format
        .as_deref()
        .is_some_and(|f| f != "csv" && f != "json")
    {
        return Err(ApiError::invalid("format", "must be json or csv"));
    }
    let csv = wants_csv(&req, p.format.as_deref());
    let (from, to) = (p.from.map(Date::get), p.to.map(Date::get));
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(ApiError::invalid("to", "may not be before from"));
    }
    let as_at = p
        .as_at
        .map(Date::get)
        .unwrap_or_else(|| Utc::now().date_naive());
    let filter = CommitmentFilter {
        authority: p.authority.clone().map(String::from),
        from,
        to,
        ..Default::default()
    };
    let rows = db::run(&pool, move |conn| {
        Ok(CommitmentView::load(conn, &filter, None, None)?)
    })
    .await?;
    let mut groups: BTreeMap<String, (String, Sums)> = BTreeMap::new();
    let mut totals = Sums::default();
    for c in &rows {
        let behind = behind_schedule(
            c.target_quantity,
            c.delivered_quantity,
            c.period_from,
            c.period_to,
            as_at,
        );
        let (key, label) = match p.group_by {
            SocialValueGroupBy::Theme => (c.theme_code.clone(), c.theme_name.clone()),
            SocialValueGroupBy::Priority => (
                format!("{}:{}", c.authority, c.priority_code),
                c.priority_name.clone(),
            ),
            SocialValueGroupBy::Supplier => (c.supplier_name.clone(), c.supplier_name.clone()),
            SocialValueGroupBy::Contract => subject_group(c),
        };
        groups
            .entry(key)
            .or_insert_with(|| (label, Sums::default()))
            .1
            .add(c, behind);
        totals.add(c, behind);
    }
    let body = SocialValueReport {
        authority: p.authority,
        from,
        to,
        as_at,
        group_by: p.group_by,
        groups: groups
            .into_iter()
            .map(|(key, (label, sums))| SocialValueReportGroup {
                key,
                label,
                figures: sums.figures(),
            })
            .collect(),
        totals: totals.figures(),
    };
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(report_csv(&body)?));
    }
    Ok(HttpResponse::Ok().json(body))
}

/// The key and label of a commitment's subject in the report by contract: the contract (its id;
/// reference and title), or a PID's lot (`pid:<PID id>:lot:<n>`; labelled by `lot_label`).
fn subject_group(c: &CommitmentView) -> (String, String) {
    match (c.contract_id, c.pid_id, c.lot) {
        (None, Some(pid_id), Some(lot)) => (
            format!("pid:{pid_id}:lot:{lot}"),
            lot_label(
                c.pid_reference.as_deref().unwrap_or_default(),
                lot,
                c.lot_title.as_deref().unwrap_or_default(),
            ),
        ),
        _ => (
            c.contract_id.map(|id| id.to_string()).unwrap_or_default(),
            format!(
                "{} {}",
                c.contract_reference.as_deref().unwrap_or_default(),
                c.contract_title.as_deref().unwrap_or_default()
            ),
        ),
    }
}

/// The report's groups as CSV: a header line, then one line per group.
fn report_csv(r: &SocialValueReport) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "key",
        "label",
        "commitments",
        "committed_quantity",
        "committed_proxy_gbp",
        "delivered_quantity",
        "delivered_proxy_gbp",
        "delivery_rate_basis_points",
        "behind_schedule",
        "behind_schedule_commitment_ids",
    ])
    .map_err(ApiError::internal)?;
    for g in &r.groups {
        let f = &g.figures;
        let behind: Vec<String> = f
            .behind_schedule_commitment_ids
            .iter()
            .map(Uuid::to_string)
            .collect();
        w.write_record([
            g.key.clone(),
            g.label.clone(),
            f.commitments.to_string(),
            f.committed_quantity.to_string(),
            pounds(f.committed_proxy_pence),
            f.delivered_quantity.to_string(),
            pounds(f.delivered_proxy_pence),
            f.delivery_rate_basis_points
                .map(|r| r.to_string())
                .unwrap_or_default(),
            f.behind_schedule.to_string(),
            behind.join(";"),
        ])
        .map_err(ApiError::internal)?;
    }
    String::from_utf8(w.into_inner().map_err(ApiError::internal)?).map_err(ApiError::internal)
}

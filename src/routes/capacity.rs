//! Capacity planning: an authority's posts (create, read, list, update, CSV import), the FTE its
//! plan demands per activity, team and year, and the report of the gap between them.
//!
//! Hours and FTE are integer hundredths throughout, in fields ending `_hundredths`: 3700 is 37
//! hours a week, 50 is 0.5 FTE, 3160 is 31.6 FTE. No floats anywhere.

use std::collections::{HashMap, HashSet};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_with::rust::double_option;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::capacity::{
    DEFAULT_FULL_TIME_HOURS_HUNDREDTHS, PostStatus, WRITERS, check_contracted_hours, check_fte,
    check_full_time_hours, check_grade, check_team, check_title, report, year_range,
};
use crate::domain::intentions::Tranche;
use crate::domain::values::{AuthorityCode, FinancialYear};
use crate::error::{ApiError, FieldError};
use crate::extract::{CsvBody, IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::capacity::{
    DemandChanges, DemandFilter, DemandRow, DemandWithCode, PostChanges, PostFilter, PostRow,
    PostWithCode,
};
use crate::models::contracts::ContractRow;
use crate::models::intentions::IntentionRow;
use crate::models::reference::AuthorityRow;
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(capacity_report)
        .service(import_posts)
        .service(create_post)
        .service(list_posts)
        .service(read_post)
        .service(update_post)
        .service(create_demand)
        .service(list_demands)
        .service(read_demand)
        .service(update_demand);
}

const POST: &str = "team_post";
const DEMAND: &str = "capacity_demand";

// ---------------------------------------------------------------------------------------------
// Posts

/// A post in an authority's establishment. Its FTE is contracted ÷ full-time hours, rounded half
/// up to the hundredth.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193d000-0000-7000-8000-000000000112",
    "authority": "RCH",
    "team": "commissioning",
    "title": "Commissioning Officer",
    "grade": "Grade 9",
    "contracted_hours_hundredths": 2960,
    "full_time_hours_hundredths": 3700,
    "fte_hundredths": 80,
    "status": "filled",
    "reports_to": "0193d000-0000-7000-8000-000000000106",
    "version": 1,
    "created_by": "demo-seed",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct Post {
    pub id: Uuid,
    pub authority: AuthorityCode,
    /// The team the post is in, e.g. `commissioning`, `contracts`, `brokerage`, `head_of_service`.
    pub team: String,
    pub title: String,
    pub grade: String,
    /// Contracted hours a week in hundredths (3000 = 30 hours).
    pub contracted_hours_hundredths: i32,
    /// Full-time hours a week in hundredths (3700 = 37 hours).
    pub full_time_hours_hundredths: i32,
    /// Read-only: the post's FTE in hundredths (81 = 0.81 FTE).
    pub fte_hundredths: i64,
    pub status: PostStatus,
    /// The post this one reports to (of the same authority).
    pub reports_to: Option<Uuid>,
    pub version: i32,
    pub created_by: String,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl From<PostWithCode> for Post {
    fn from((row, authority): PostWithCode) -> Self {
        Post {
            fte_hundredths: row.fte_hundredths(),
            status: row.status(),
            id: row.id,
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            team: row.team,
            title: row.title,
            grade: row.grade,
            contracted_hours_hundredths: row.contracted_hours_hundredths,
            full_time_hours_hundredths: row.full_time_hours_hundredths,
            reports_to: row.reports_to,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn audit_json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// A new post in the caller's authority's establishment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "team": "contracts",
    "title": "Contract Monitoring Officer",
    "grade": "Grade 8",
    "contracted_hours_hundredths": 2250,
    "full_time_hours_hundredths": 3700,
    "status": "filled",
    "reports_to": null
}))]
pub struct NewPost {
    #[schema(min_length = 1, max_length = 60)]
    pub team: String,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 60)]
    pub grade: String,
    /// Hundredths of an hour a week, 1 to 6000.
    #[schema(minimum = 1, maximum = 6000)]
    pub contracted_hours_hundredths: i32,
    /// Hundredths of an hour a week, 100 to 6000; 3700 (37 hours) when not given.
    #[serde(default)]
    #[schema(minimum = 100, maximum = 6000)]
    pub full_time_hours_hundredths: Option<i32>,
    /// `filled` when not given.
    #[serde(default)]
    pub status: PostStatus,
    #[serde(default)]
    pub reports_to: Option<Uuid>,
}

/// A partial update of a post (JSON merge patch): fields left out stay as they are; `null`
/// clears `reports_to`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "vacant", "contracted_hours_hundredths": 3700}))]
pub struct PostPatch {
    #[schema(min_length = 1, max_length = 60, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub team: Option<String>,
    #[schema(min_length = 1, max_length = 200, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub title: Option<String>,
    #[schema(max_length = 60, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub grade: Option<String>,
    #[schema(minimum = 1, maximum = 6000, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub contracted_hours_hundredths: Option<i32>,
    #[schema(minimum = 100, maximum = 6000, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub full_time_hours_hundredths: Option<i32>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub status: Option<PostStatus>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub reports_to: Option<Option<Uuid>>,
}

/// Filters and paging for the post list (ordered by id).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PostListParams {
    /// Only this authority's posts.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// Only posts in this team (exact match).
    #[param(example = "commissioning")]
    pub team: Option<String>,
    pub status: Option<PostStatus>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// The value, or `None` with its problem recorded against `field`.
fn take<T>(
    problems: &mut Vec<FieldError>,
    field: impl Into<String>,
    r: Result<T, String>,
) -> Option<T> {
    r.map_err(|m| problems.push(FieldError::new(field, m))).ok()
}

/// Checked text and hours of a post, each problem naming its field.
struct PostFields {
    team: Option<String>,
    title: Option<String>,
    grade: Option<String>,
    contracted: Option<i32>,
    full_time: Option<i32>,
}

fn check_post_fields(
    team: Option<&str>,
    title: Option<&str>,
    grade: Option<&str>,
    contracted: Option<i32>,
    full_time: Option<i32>,
) -> (PostFields, Vec<FieldError>) {
    let mut problems = Vec::new();
    let p = &mut problems;
    let fields = PostFields {
        team: team.and_then(|t| take(p, "team", check_team(t))),
        title: title.and_then(|t| take(p, "title", check_title(t))),
        grade: grade.and_then(|g| take(p, "grade", check_grade(g))),
        contracted: contracted
            .and_then(|h| take(p, "contracted_hours_hundredths", check_contracted_hours(h))),
        full_time: full_time
            .and_then(|h| take(p, "full_time_hours_hundredths", check_full_time_hours(h))),
    };
    (fields, problems)
}

/// The caller's authority, 403 when it is not registered.
fn own_authority(
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

/// Problems with a post's manager: it must exist, be the same authority's, and not be the post
/// itself or one of the posts below it.
fn manager_problems(
    conn: &mut diesel::PgConnection,
    authority: &str,
    post: Option<Uuid>,
    manager: Uuid,
) -> Result<Vec<FieldError>, ApiError> {
    let problem = |m: String| Ok(vec![FieldError::new("reports_to", m)]);
    match PostRow::owner_and_manager(conn, manager)? {
        None => return problem(format!("no post has id {manager}")),
        Some((owner, _)) if owner != authority => {
            return problem(format!(
                "post {manager} belongs to {owner}; a post of {authority} reports to {authority}'s own posts"
            ));
        }
        Some(_) => {}
    }
    let Some(post) = post else {
        return Ok(vec![]);
    };
    // Walk up from the new manager: meeting the post itself would make a loop.
    let mut seen = HashSet::new();
    let mut at = Some(manager);
    while let Some(id) = at {
        if id == post {
            return problem("a post cannot report to itself or to a post below it".into());
        }
        if !seen.insert(id) {
            break;
        }
        at = PostRow::owner_and_manager(conn, id)?.and_then(|(_, m)| m);
    }
    Ok(vec![])
}

/// Add a post to the caller's authority's establishment (`commissioner` or `admin`).
/// `reports_to` must be a post of the same authority.
#[utoipa::path(tag = "Capacity", security(("bearer" = [])), request_body = NewPost,
    responses((status = 201, description = "Created", body = Post,
        headers(("Location" = String, description = "URL of the new post"), ("ETag" = String, description = "The record's version")))))]
#[post("/capacity/posts")]
async fn create_post(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewPost>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let (f, problems) = check_post_fields(
        Some(&new.team),
        Some(&new.title),
        Some(&new.grade),
        Some(new.contracted_hours_hundredths),
        Some(
            new.full_time_hours_hundredths
                .unwrap_or(DEFAULT_FULL_TIME_HOURS_HUNDREDTHS),
        ),
    );
    let (Some(team), Some(title), Some(grade), Some(contracted), Some(full_time)) =
        (f.team, f.title, f.grade, f.contracted, f.full_time)
    else {
        return Err(ApiError::invalid_fields(problems));
    };
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/capacity/posts",
        fingerprint,
        move |conn, caller| {
            let authority = own_authority(conn, caller)?;
            if let Some(manager) = new.reports_to {
                let problems = manager_problems(conn, &authority.code, None, manager)?;
                if !problems.is_empty() {
                    return Err(ApiError::invalid_fields(problems));
                }
            }
            let now = Utc::now();
            let status: &'static str = new.status.into();
            let row = PostRow::insert(
                conn,
                &PostRow {
                    id: Uuid::now_v7(),
                    authority_id: authority.id,
                    team,
                    title,
                    grade,
                    contracted_hours_hundredths: contracted,
                    full_time_hours_hundredths: full_time,
                    status: status.into(),
                    reports_to: new.reports_to,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = Post::from((row, authority.code));
            AuditEventRow::record(
                conn,
                caller,
                "create",
                POST,
                view.id,
                None,
                Some(audit_json(&view)?),
            )?;
            Created::new(
                &view,
                format!("/v1/capacity/posts/{}", view.id),
                view.version,
            )
        },
    )
    .await
}

/// List posts across all authorities, filtered, in a stable order (by id).
#[utoipa::path(tag = "Capacity", security(("bearer" = [])), params(PostListParams),
    responses((status = 200, description = "A page of posts", body = Page<Post>)))]
#[get("/capacity/posts")]
async fn list_posts(
    pool: Db,
    _caller: Caller,
    params: Query<PostListParams>,
) -> Result<web::Json<Page<Post>>, ApiError> {
    let Query(p) = params;
    let filter = PostFilter {
        authority: p.authority.map(String::from),
        team: p.team,
        status: p.status,
    };
    let rows = db::run(&pool, move |conn| {
        Ok(PostRow::page(
            conn,
            &filter,
            p.cursor.map(|c| c.0),
            p.limit.fetch(),
        )?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        p.limit,
        |r| r.0.id,
        Post::from,
    )))
}

/// One post. Any authenticated caller may read any authority's establishment.
#[utoipa::path(tag = "Capacity", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses((status = 200, description = "The post", body = Post,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/capacity/posts/{id}")]
async fn read_post(
    pool: Db,
    _caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = Post::from(db::run(&pool, move |conn| Ok(PostRow::find(conn, id)?)).await?);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change some fields of a post (the owning authority's `commissioner` or `admin`), e.g. mark it
/// vacant when its holder leaves. Send the ETag as `If-Match` to be refused (412) if someone else
/// changed it first.
#[utoipa::path(tag = "Capacity", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    request_body(content = PostPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated post", body = Post,
        headers(("ETag" = String, description = "The record's new version")))))]
#[patch("/capacity/posts/{id}")]
async fn update_post(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PostPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let (f, problems) = check_post_fields(
        patch.team.as_deref(),
        patch.title.as_deref(),
        patch.grade.as_deref(),
        patch.contracted_hours_hundredths,
        patch.full_time_hours_hundredths,
    );
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let view = db::transaction(&pool, move |conn| {
        let (row, authority) = PostRow::find_for_update(conn, id)?;
        caller.require_to_change(WRITERS, &authority)?;
        if_match.check(row.version)?;
        if let Some(Some(manager)) = patch.reports_to {
            let problems = manager_problems(conn, &authority, Some(id), manager)?;
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
        }
        let changes = PostChanges {
            team: f.team,
            title: f.title,
            grade: f.grade,
            contracted_hours_hundredths: f.contracted,
            full_time_hours_hundredths: f.full_time,
            status: patch.status.map(|s| <&'static str>::from(s).to_string()),
            reports_to: patch.reports_to,
        };
        let before = Post::from((row, authority.clone()));
        let after = Post::from((PostRow::update(conn, id, &changes)?, authority));
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            POST,
            id,
            Some(audit_json(&before)?),
            Some(audit_json(&after)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

// ---------------------------------------------------------------------------------------------
// Post import

/// How many posts an import added.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"imported": 3}))]
pub struct PostImportResult {
    pub imported: usize,
}

/// Hours like `37`, `22.5` or `29.60` as hundredths (3700, 2250, 2960): at most two decimals.
fn parse_hours(s: &str) -> Result<i32, String> {
    let bad = || format!("expected hours a week like 37 or 22.5, not {s:?}");
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || whole.len() > 3
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i32 = whole.parse().map_err(|_| bad())?;
    let frac: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    Ok(whole * 100 + frac)
}

/// The columns every import must have; `grade`, `full_time_hours` and `status` may be left out.
const REQUIRED_COLUMNS: [&str; 3] = ["team", "title", "contracted_hours"];
const KNOWN_COLUMNS: [&str; 6] = [
    "team",
    "title",
    "grade",
    "contracted_hours",
    "full_time_hours",
    "status",
];

/// One imported row: team, title, grade, contracted and full-time hours, status.
type ImportedPost = (String, String, String, i32, i32, PostStatus);

/// Parse and check every row; the posts, or every problem by row (line of the file, header 1).
fn parse_posts(body: &[u8]) -> Result<Vec<ImportedPost>, ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .byte_headers()
        .map_err(|e| ApiError::BadRequest(format!("the header line could not be read: {e}")))?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut problems: Vec<FieldError> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let name = String::from_utf8_lossy(h).trim().to_string();
        match KNOWN_COLUMNS.iter().find(|c| **c == name) {
            Some(c) => {
                index.insert(c, i);
            }
            None => problems.push(FieldError::new(
                "row 1",
                format!(
                    "unknown column {name:?}; the columns are {}",
                    KNOWN_COLUMNS.join(", ")
                ),
            )),
        }
    }
    for c in REQUIRED_COLUMNS {
        if !index.contains_key(c) {
            problems.push(FieldError::new(
                "row 1",
                format!("the column {c} is missing"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(refusal(problems, 1));
    }
    let mut posts = Vec::new();
    let mut bad_rows = HashSet::new();
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = e.position().map(|p| p.line()).unwrap_or(0);
                bad_rows.insert(row);
                problems.push(FieldError::new(format!("row {row}"), e.to_string()));
                continue;
            }
        };
        let row = record.position().map(|p| p.line()).unwrap_or(0);
        let before = problems.len();
        let cell = |column: &'static str| -> String {
            index
                .get(column)
                .and_then(|&i| record.get(i))
                .map(|b| String::from_utf8_lossy(b).trim().to_string())
                .unwrap_or_default()
        };
        let at = |column: &str| format!("row {row}: {column}");
        let p = &mut problems;
        let team = take(p, at("team"), check_team(&cell("team")));
        let title = take(p, at("title"), check_title(&cell("title")));
        let grade = take(p, at("grade"), check_grade(&cell("grade")));
        let contracted = take(
            p,
            at("contracted_hours"),
            parse_hours(&cell("contracted_hours")).and_then(check_contracted_hours),
        );
        let full_time = match cell("full_time_hours") {
            s if s.is_empty() => Some(DEFAULT_FULL_TIME_HOURS_HUNDREDTHS),
            s => take(
                p,
                at("full_time_hours"),
                parse_hours(&s).and_then(check_full_time_hours),
            ),
        };
        let status = match cell("status") {
            s if s.is_empty() => Some(PostStatus::Filled),
            s => take(
                p,
                at("status"),
                s.parse::<PostStatus>().map_err(|_| {
                    format!("expected filled, vacant, interim or secondment, not {s:?}")
                }),
            ),
        };
        if problems.len() > before {
            bad_rows.insert(row);
            continue;
        }
        if let (Some(team), Some(title), Some(grade), Some(c), Some(f), Some(s)) =
            (team, title, grade, contracted, full_time, status)
        {
            posts.push((team, title, grade, c, f, s));
        }
    }
    if !problems.is_empty() {
        return Err(refusal(problems, bad_rows.len()));
    }
    if posts.is_empty() {
        return Err(ApiError::invalid(
            "(body)",
            "the file has a header but no posts",
        ));
    }
    Ok(posts)
}

/// A refused import: nothing was imported; each problem names its row (and column).
fn refusal(mut problems: Vec<FieldError>, rows: usize) -> ApiError {
    let total = problems.len();
    problems.truncate(100);
    ApiError::Validation {
        detail: format!(
            "nothing was imported: {rows} row{} {} {total} problem{}",
            if rows == 1 { "" } else { "s" },
            if rows == 1 { "has" } else { "have" },
            if total == 1 { "" } else { "s" },
        ),
        errors: problems,
    }
}

fn import_rows(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    body: &[u8],
) -> Result<usize, ApiError> {
    let posts = parse_posts(body)?;
    let authority = own_authority(conn, caller)?;
    // PostgreSQL keeps microseconds: the audit copies must match what is stored.
    let now = Utc::now().trunc_subsecs(6);
    let mut rows = Vec::with_capacity(posts.len());
    let mut events = Vec::with_capacity(posts.len());
    for (team, title, grade, contracted, full_time, status) in posts {
        let status: &'static str = status.into();
        let row = PostRow {
            id: Uuid::now_v7(),
            authority_id: authority.id,
            team,
            title,
            grade,
            contracted_hours_hundredths: contracted,
            full_time_hours_hundredths: full_time,
            status: status.into(),
            reports_to: None,
            version: 1,
            created_by: caller.subject.clone(),
            created_at: now,
            updated_at: now,
        };
        let view = Post::from((row.clone(), authority.code.clone()));
        events.push(AuditEventRow {
            id: Uuid::now_v7(),
            occurred_at: now,
            subject: caller.subject.clone(),
            authority_code: caller.authority.to_string(),
            action: "import".into(),
            entity_type: POST.into(),
            entity_id: row.id,
            before: None,
            after: Some(audit_json(&view)?),
            request_id: caller.request_id.clone(),
        });
        rows.push(row);
    }
    let imported = PostRow::insert_all(conn, &rows)?;
    AuditEventRow::record_all(conn, &events)?;
    Ok(imported)
}

/// Import posts into the caller's authority's establishment from a CSV file, all or nothing
/// (`commissioner` or `admin`).
///
/// Send the file with `Content-Type: text/csv` (UTF-8; a byte-order mark is allowed). Its first
/// line names the columns, in any order: `team`, `title` and `contracted_hours` are required;
/// `grade`, `full_time_hours` (default 37) and `status` (default `filled`) may be left out. Hours
/// are written as hours a week with up to two decimals (`22.5`), unlike the JSON API's
/// hundredths. `reports_to` is set afterwards with `PATCH`.
///
/// Every row is checked before anything is written: if any is bad, the answer is 422, nothing is
/// imported, and `errors` lists each problem as `{"field": "row 3: contracted_hours", ...}`, the
/// row being the line of the file (the header is line 1).
#[utoipa::path(tag = "Capacity", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "The posts, one per line after a header line naming the columns.",
        example = json!("team,title,grade,contracted_hours,full_time_hours,status\ncommissioning,Commissioning Officer,Grade 9,30,37,filled\ncontracts,Contracts Officer,Grade 9,37,,vacant\n")),
    responses((status = 201, description = "Every row was imported", body = PostImportResult),
        (status = 400, description = "The body could not be read, or the header is malformed", body = crate::error::Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than the import limit", body = crate::error::Problem,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `text/csv`", body = crate::error::Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Nothing was imported: each problem by row and column", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "nothing was imported: 1 row has 1 problem",
                "errors": [{"field": "row 3: contracted_hours", "message": "expected hours a week like 37 or 22.5, not \"thirty\""}]}))))]
#[post("/capacity/posts/import")]
async fn import_posts(
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
        "POST /v1/capacity/posts/import",
        fingerprint,
        move |conn, caller| {
            let imported = import_rows(conn, caller, &bytes)?;
            Created::summary(&PostImportResult { imported })
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Demand

/// The FTE one activity is estimated to need from one team in one financial year. The activity is
/// exactly one of a commissioning intention, a contract, or a named business-as-usual activity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193d000-0000-7000-8000-000000000201",
    "authority": "RCH",
    "intention_id": null,
    "contract_id": null,
    "activity_name": "Supported living re-procurement",
    "tranche": 1,
    "team": "commissioning",
    "financial_year": "2017/18",
    "fte_hundredths": 250,
    "note": "50% equates to 2.5 days a week",
    "version": 1,
    "created_by": "demo-seed",
    "created_at": "2026-11-23T09:00:00Z",
    "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct Demand {
    pub id: Uuid,
    pub authority: AuthorityCode,
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    /// A named business-as-usual or improvement activity, when the demand is not for an intention
    /// or a contract.
    pub activity_name: Option<String>,
    pub tranche: Tranche,
    pub team: String,
    pub financial_year: FinancialYear,
    /// Hundredths of an FTE (50 = 0.5 FTE, 2.5 days a week).
    pub fte_hundredths: i32,
    pub note: String,
    pub version: i32,
    pub created_by: String,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl From<DemandWithCode> for Demand {
    fn from((row, authority): DemandWithCode) -> Self {
        Demand {
            id: row.id,
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            intention_id: row.intention_id,
            contract_id: row.contract_id,
            activity_name: row.activity_name,
            tranche: row.tranche,
            team: row.team,
            financial_year: row.financial_year,
            fte_hundredths: row.fte_hundredths,
            note: row.note,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new demand estimate for the caller's authority: give exactly one of `intention_id`,
/// `contract_id` and `activity_name`. One estimate per activity, team and year (409 for a second).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "intention_id": "0193b000-0000-7000-8000-000000000024",
    "tranche": 1,
    "team": "commissioning",
    "financial_year": "2026/27",
    "fte_hundredths": 50,
    "note": "2.5 days a week through the procurement"
}))]
pub struct NewDemand {
    #[serde(default)]
    pub intention_id: Option<Uuid>,
    #[serde(default)]
    pub contract_id: Option<Uuid>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub activity_name: Option<String>,
    pub tranche: Tranche,
    #[schema(min_length = 1, max_length = 60)]
    pub team: String,
    pub financial_year: FinancialYear,
    /// Hundredths of an FTE, 1 to 100000.
    #[schema(minimum = 1, maximum = 100000)]
    pub fte_hundredths: i32,
    #[serde(default)]
    pub note: String,
}

/// A partial update of a demand estimate: fields left out stay as they are. The activity it is
/// for cannot change: add another estimate instead.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fte_hundredths": 120, "tranche": 2}))]
pub struct DemandPatch {
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub tranche: Option<Tranche>,
    #[schema(min_length = 1, max_length = 60, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub team: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub financial_year: Option<FinancialYear>,
    #[schema(minimum = 1, maximum = 100000, nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub fte_hundredths: Option<i32>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "not_null")]
    pub note: Option<String>,
}

/// Filters and paging for the demand list (ordered by id).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DemandListParams {
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    #[param(example = "commissioning")]
    pub team: Option<String>,
    #[param(value_type = Option<FinancialYear>)]
    pub financial_year: Option<FinancialYear>,
    #[param(value_type = Option<Tranche>)]
    pub tranche: Option<Tranche>,
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// Problems with the activity a new estimate is for: exactly one of the three, and a linked
/// intention or contract must be the authority's own.
fn activity_problems(
    conn: &mut diesel::PgConnection,
    authority: &str,
    new: &NewDemand,
) -> Result<Vec<FieldError>, ApiError> {
    let mut problems = Vec::new();
    let given = [
        new.intention_id.is_some(),
        new.contract_id.is_some(),
        new.activity_name.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        problems.push(FieldError::new(
            "activity_name",
            "give exactly one of intention_id, contract_id and activity_name",
        ));
        return Ok(problems);
    }
    let mut check = |field: &str, what: &str, id: Uuid, owner: Option<String>| {
        match owner {
        None => problems.push(FieldError::new(field, format!("no {what} has id {id}"))),
        Some(owner) if owner != authority => problems.push(FieldError::new(
            field,
            format!("{what} {id} belongs to {owner}; demand of {authority} is for {authority}'s own activities"),
        )),
        Some(_) => {}
    }
    };
    if let Some(id) = new.intention_id {
        check(
            "intention_id",
            "commissioning intention",
            id,
            IntentionRow::owner(conn, id)?,
        );
    }
    if let Some(id) = new.contract_id {
        check("contract_id", "contract", id, ContractRow::owner(conn, id)?);
    }
    Ok(problems)
}

/// Add a demand estimate for the caller's authority (`commissioner` or `admin`).
#[utoipa::path(tag = "Capacity", security(("bearer" = [])), request_body = NewDemand,
    responses((status = 201, description = "Created", body = Demand,
        headers(("Location" = String, description = "URL of the new estimate"), ("ETag" = String, description = "The record's version"))),
        (status = 409, description = "The activity already has an estimate for this team and year", body = crate::error::Problem,
            content_type = "application/problem+json")))]
#[post("/capacity/demands")]
async fn create_demand(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewDemand>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: mut new,
        fingerprint,
    } = body;
    let mut problems = Vec::new();
    let team = check_team(&new.team)
        .map_err(|m| problems.push(FieldError::new("team", m)))
        .ok();
    let fte = check_fte(new.fte_hundredths)
        .map_err(|m| problems.push(FieldError::new("fte_hundredths", m)))
        .ok();
    if let Some(name) = &new.activity_name {
        match check_title(name) {
            Ok(name) => new.activity_name = Some(name),
            Err(m) => problems.push(FieldError::new("activity_name", m)),
        }
    }
    let (Some(team), Some(fte), true) = (team, fte, problems.is_empty()) else {
        return Err(ApiError::invalid_fields(problems));
    };
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/capacity/demands",
        fingerprint,
        move |conn, caller| {
            let authority = own_authority(conn, caller)?;
            let problems = activity_problems(conn, &authority.code, &new)?;
            if !problems.is_empty() {
                return Err(ApiError::invalid_fields(problems));
            }
            let now = Utc::now();
            let row = DemandRow::insert(
                conn,
                &DemandRow {
                    id: Uuid::now_v7(),
                    authority_id: authority.id,
                    intention_id: new.intention_id,
                    contract_id: new.contract_id,
                    activity_name: new.activity_name,
                    tranche: new.tranche,
                    team,
                    financial_year: new.financial_year,
                    fte_hundredths: fte,
                    note: new.note,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let view = Demand::from((row, authority.code));
            AuditEventRow::record(
                conn,
                caller,
                "create",
                DEMAND,
                view.id,
                None,
                Some(audit_json(&view)?),
            )?;
            Created::new(
                &view,
                format!("/v1/capacity/demands/{}", view.id),
                view.version,
            )
        },
    )
    .await
}

/// List demand estimates across all authorities, filtered, in a stable order (by id).
#[utoipa::path(tag = "Capacity", security(("bearer" = [])), params(DemandListParams),
    responses((status = 200, description = "A page of demand estimates", body = Page<Demand>)))]
#[get("/capacity/demands")]
async fn list_demands(
    pool: Db,
    _caller: Caller,
    params: Query<DemandListParams>,
) -> Result<web::Json<Page<Demand>>, ApiError> {
    let Query(p) = params;
    let filter = DemandFilter {
        authority: p.authority.map(String::from),
        team: p.team,
        financial_year: p.financial_year,
        tranche: p.tranche,
        intention_id: p.intention_id,
        contract_id: p.contract_id,
    };
    let rows = db::run(&pool, move |conn| {
        Ok(DemandRow::page(
            conn,
            &filter,
            p.cursor.map(|c| c.0),
            p.limit.fetch(),
        )?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        p.limit,
        |r| r.0.id,
        Demand::from,
    )))
}

/// One demand estimate. Any authenticated caller may read it.
#[utoipa::path(tag = "Capacity", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Demand estimate id")),
    responses((status = 200, description = "The estimate", body = Demand,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/capacity/demands/{id}")]
async fn read_demand(
    pool: Db,
    _caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = Demand::from(db::run(&pool, move |conn| Ok(DemandRow::find(conn, id)?)).await?);
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change a demand estimate (the owning authority's `commissioner` or `admin`). Send the ETag as
/// `If-Match` to be refused (412) if someone else changed it first.
#[utoipa::path(tag = "Capacity", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Demand estimate id")),
    request_body(content = DemandPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated estimate", body = Demand,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 409, description = "The activity already has an estimate for that team and year", body = crate::error::Problem,
            content_type = "application/problem+json")))]
#[patch("/capacity/demands/{id}")]
async fn update_demand(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<DemandPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let mut problems = Vec::new();
    let team = patch.team.as_deref().and_then(|t| {
        check_team(t)
            .map_err(|m| problems.push(FieldError::new("team", m)))
            .ok()
    });
    let fte = patch.fte_hundredths.and_then(|f| {
        check_fte(f)
            .map_err(|m| problems.push(FieldError::new("fte_hundredths", m)))
            .ok()
    });
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    let view = db::transaction(&pool, move |conn| {
        let (row, authority) = DemandRow::find_for_update(conn, id)?;
        caller.require_to_change(WRITERS, &authority)?;
        if_match.check(row.version)?;
        let changes = DemandChanges {
            tranche: patch.tranche,
            team,
            financial_year: patch.financial_year,
            fte_hundredths: fte,
            note: patch.note,
        };
        let before = Demand::from((row, authority.clone()));
        let after = Demand::from((DemandRow::update(conn, id, &changes)?, authority));
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            DEMAND,
            id,
            Some(audit_json(&before)?),
            Some(audit_json(&after)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

// ---------------------------------------------------------------------------------------------
// The capacity report

/// The authority and the financial years of a capacity report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The authority whose establishment and demand are compared.
    #[param(value_type = AuthorityCode)]
    pub authority: AuthorityCode,
    /// First financial year, inclusive.
    #[param(value_type = FinancialYear, example = "2026/27")]
    pub from_fy: FinancialYear,
    /// Last financial year, inclusive; at most 10 years after `from_fy` counting both.
    #[param(value_type = FinancialYear, example = "2027/28")]
    pub to_fy: FinancialYear,
}

/// Demand by tranche, in hundredths of an FTE.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrancheSplit {
    pub tranche_1: i64,
    pub tranche_2: i64,
    pub tranche_3: i64,
    pub tranche_4: i64,
    pub tranche_5: i64,
}

impl From<[i64; 5]> for TrancheSplit {
    fn from(t: [i64; 5]) -> Self {
        TrancheSplit {
            tranche_1: t[0],
            tranche_2: t[1],
            tranche_3: t[2],
            tranche_4: t[3],
            tranche_5: t[4],
        }
    }
}

/// One team's figures in one year (or a year's totals, without `team`), in hundredths of an FTE.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapacityFigures {
    pub financial_year: FinancialYear,
    /// The team; absent on a year's totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Filled, interim and secondment posts.
    pub fte_in_post_hundredths: i64,
    /// Every post, vacancies included.
    pub fte_establishment_hundredths: i64,
    pub fte_demanded_hundredths: i64,
    pub fte_demanded_by_tranche_hundredths: TrancheSplit,
    /// Demanded minus in post: positive is a shortfall, negative spare capacity.
    pub gap_hundredths: i64,
}

/// Demand that the FTE in post does not cover when tranches are funded in priority order.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnfundedActivity {
    pub demand_id: Uuid,
    pub financial_year: FinancialYear,
    pub team: String,
    pub tranche: Tranche,
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub activity_name: Option<String>,
    pub fte_demanded_hundredths: i64,
    /// The part still covered by what was left of the FTE in post (0 when nothing was).
    pub fte_funded_hundredths: i64,
    pub fte_shortfall_hundredths: i64,
}

/// The gap between an authority's establishment and its plan's demand.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "authority": "RCH",
    "from_fy": "2017/18",
    "to_fy": "2017/18",
    "teams": [{"financial_year": "2017/18", "team": "head_of_service",
        "fte_in_post_hundredths": 100, "fte_establishment_hundredths": 100, "fte_demanded_hundredths": 200,
        "fte_demanded_by_tranche_hundredths": {"tranche_1": 100, "tranche_2": 0, "tranche_3": 0, "tranche_4": 0, "tranche_5": 100},
        "gap_hundredths": 100}],
    "totals": [{"financial_year": "2017/18",
        "fte_in_post_hundredths": 3160, "fte_establishment_hundredths": 3660, "fte_demanded_hundredths": 4700,
        "fte_demanded_by_tranche_hundredths": {"tranche_1": 1600, "tranche_2": 500, "tranche_3": 220, "tranche_4": 0, "tranche_5": 2380},
        "gap_hundredths": 1540}],
    "unfunded": [{"demand_id": "0193d000-0000-7000-8000-000000000204", "financial_year": "2017/18",
        "team": "head_of_service", "tranche": 5, "intention_id": null, "contract_id": null,
        "activity_name": "Head of Service: business as usual", "fte_demanded_hundredths": 100,
        "fte_funded_hundredths": 0, "fte_shortfall_hundredths": 100}]
}))]
pub struct CapacityReport {
    pub authority: AuthorityCode,
    pub from_fy: FinancialYear,
    pub to_fy: FinancialYear,
    /// One entry per team and year: by year, then team.
    pub teams: Vec<CapacityFigures>,
    /// One entry per year.
    pub totals: Vec<CapacityFigures>,
    /// By year, team, then funding order (tranche, then the order the estimates were added).
    pub unfunded: Vec<UnfundedActivity>,
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("text/csv"))
}

/// The report as CSV: a header line, then one line per team and year.
fn report_csv(report: &CapacityReport) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "financial_year",
        "team",
        "fte_in_post_hundredths",
        "fte_establishment_hundredths",
        "fte_demanded_hundredths",
        "tranche_1_hundredths",
        "tranche_2_hundredths",
        "tranche_3_hundredths",
        "tranche_4_hundredths",
        "tranche_5_hundredths",
        "gap_hundredths",
    ])
    .map_err(ApiError::internal)?;
    for t in &report.teams {
        let s = &t.fte_demanded_by_tranche_hundredths;
        w.write_record([
            t.financial_year.to_string(),
            t.team.clone().unwrap_or_default(),
            t.fte_in_post_hundredths.to_string(),
            t.fte_establishment_hundredths.to_string(),
            t.fte_demanded_hundredths.to_string(),
            s.tranche_1.to_string(),
            s.tranche_2.to_string(),
            s.tranche_3.to_string(),
            s.tranche_4.to_string(),
            s.tranche_5.to_string(),
            t.gap_hundredths.to_string(),
        ])
        .map_err(ApiError::internal)?;
    }
    String::from_utf8(w.into_inner().map_err(ApiError::internal)?).map_err(ApiError::internal)
}

/// The gap between an authority's team and the FTE its plan demands, per team and financial year
/// (from `from_fy` to `to_fy` inclusive, at most 10 years). Any authenticated caller may read it.
///
/// FTE are integer hundredths (3160 = 31.6 FTE). A post's FTE is its contracted ÷ full-time hours
/// rounded half up to the hundredth; a team's is the sum of its posts'. `fte_in_post` counts
/// filled, interim and secondment posts; `fte_establishment` vacancies too. The establishment is
/// the same in every year. `gap` is demanded minus in post: positive is a shortfall.
///
/// `unfunded` lists the estimates that fall outside capacity when each team's FTE in post funds
/// its demand in priority order — tranche 1 first, then 2, …, and within a tranche in the order
/// the estimates were added — until it runs out: the estimate crossing the line is part funded,
/// and every later one not at all. A team's shortfalls add up to its gap when that is positive.
///
/// Send `Accept: text/csv` for the team rows as CSV (a header line, one line per team and year).
#[utoipa::path(tag = "Capacity", security(("bearer" = [])), params(ReportParams),
    responses((status = 200, description = "The report", content(
        (CapacityReport = "application/json"),
        (String = "text/csv", example = json!("financial_year,team,fte_in_post_hundredths,fte_establishment_hundredths,fte_demanded_hundredths,tranche_1_hundredths,tranche_2_hundredths,tranche_3_hundredths,tranche_4_hundredths,tranche_5_hundredths,gap_hundredths\n2017/18,commissioning,880,1080,2420,1400,500,220,0,300,1540\n")))),
        (status = 404, description = "No authority has that code", body = crate::error::Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "A parameter is missing or invalid, or the range is backwards or over 10 years", body = crate::error::Problem,
            content_type = "application/problem+json")))]
#[get("/capacity")]
async fn capacity_report(
    pool: Db,
    _caller: Caller,
    req: HttpRequest,
    params: Query<ReportParams>,
) -> Result<HttpResponse, ApiError> {
    let Query(p) = params;
    let years = year_range(p.from_fy, p.to_fy).map_err(|(f, m)| ApiError::invalid(f, m))?;
    let code = p.authority.clone();
    let (posts, demand) = db::run(&pool, move |conn| {
        let authority = AuthorityRow::by_code(conn, code.as_str())?
            .ok_or_else(|| ApiError::not_found(format!("authority {code}")))?;
        let posts = PostRow::loads(conn, authority.id)?;
        let demand = DemandRow::in_years(conn, authority.id, &years)?;
        Ok((posts, demand))
    })
    .await?;
    let years = year_range(p.from_fy, p.to_fy).map_err(|(f, m)| ApiError::invalid(f, m))?;
    let loads: Vec<_> = demand.iter().map(DemandRow::load).collect();
    let r = report(&years, &posts, &loads);
    let figures = |fy: FinancialYear, team: Option<String>, c: &crate::domain::capacity::Cell| {
        CapacityFigures {
            financial_year: fy,
            team,
            fte_in_post_hundredths: c.in_post,
            fte_establishment_hundredths: c.establishment,
            fte_demanded_hundredths: c.demanded,
            fte_demanded_by_tranche_hundredths: c.by_tranche.into(),
            gap_hundredths: c.gap(),
        }
    };
    let by_id: HashMap<Uuid, &DemandRow> = demand.iter().map(|d| (d.id, d)).collect();
    let mut unfunded: Vec<UnfundedActivity> = r
        .unfunded
        .iter()
        .filter_map(|u| by_id.get(&u.id).map(|d| (u, *d)))
        .map(|(u, d)| UnfundedActivity {
            demand_id: d.id,
            financial_year: d.financial_year,
            team: d.team.clone(),
            tranche: d.tranche,
            intention_id: d.intention_id,
            contract_id: d.contract_id,
            activity_name: d.activity_name.clone(),
            fte_demanded_hundredths: i64::from(d.fte_hundredths),
            fte_funded_hundredths: u.funded,
            fte_shortfall_hundredths: u.shortfall,
        })
        .collect();
    // Stable: within a team and year the funding order is kept.
    unfunded.sort_by(|a, b| (a.financial_year, &a.team).cmp(&(b.financial_year, &b.team)));
    let body = CapacityReport {
        authority: p.authority,
        from_fy: p.from_fy,
        to_fy: p.to_fy,
        teams: r
            .cells
            .iter()
            .map(|((fy, team), c)| figures(*fy, Some(team.clone()), c))
            .collect(),
        totals: r
            .totals
            .iter()
            .map(|(fy, c)| figures(*fy, None, c))
            .collect(),
        unfunded,
    };
    if wants_csv(&req) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(report_csv(&body)?));
    }
    Ok(HttpResponse::Ok().json(body))
}

#[cfg(test)]
mod tests {
    use super::parse_hours;

    #[test]
    fn hours_take_up_to_two_decimals() {
        assert_eq!(parse_hours("37"), Ok(3700));
        assert_eq!(parse_hours("22.5"), Ok(2250));
        assert_eq!(parse_hours("29.60"), Ok(2960));
        assert!(parse_hours("22.555").is_err());
        assert!(parse_hours("-1").is_err());
        assert!(parse_hours("").is_err());
        assert!(parse_hours("thirty").is_err());
    }

    #[test]
    fn post_fte_matches_the_rounding_documented() {
        assert_eq!(crate::domain::capacity::post_fte(3000, 3700), 81);
    }
}

//! Publication of the forward plan: publishing and unpublishing intentions, the public OCDS 1.1
//! feed of their planning releases (release packages by cursor, record packages by ocid), and
//! the Procurement Act 2023 pipeline notice. The public endpoints need no token.

use std::collections::{HashMap, HashSet};

use actix_web::http::header::{self, HttpDate};
use actix_web::http::{StatusCode, header::HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::intentions::{IntentionStatus, WRITERS};
use crate::domain::ocds::{
    self, Buyer, Category, PIPELINE_THRESHOLD_PENCE, PUBLISHABLE, Publisher, RelatedPid,
    ReleaseInput, Snapshot,
};
use crate::domain::savings::pounds;
use crate::domain::values::{AuthorityCode, CategoryCode, Date, FinancialYear, Pence};
use crate::error::ApiError;
use crate::extract::{IfMatch, Query};
use crate::models::audit::{AuditEventRow, FeedPosition};
use crate::models::intentions::IntentionRow;
use crate::models::publication as m;
use crate::models::reference::{AuthorityRow, CategoryRow};
use crate::routes::intentions::{ENTITY, Intention};
use crate::routes::savings::wants_csv;
use crate::routes::{Db, FeedCursor, Limit, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(publish_intention)
        .service(unpublish_intention)
        .service(ocds_releases)
        .service(ocds_record)
        .service(pipeline_notice);
}

/// Publish or unpublish an intention, in one transaction with its audit event.
async fn set_published(
    pool: Db,
    caller: Caller,
    id: Uuid,
    if_match: IfMatch,
    to_publish: bool,
) -> Result<HttpResponse, ApiError> {
    let view = db::transaction(&pool, move |conn| {
        let (row, authority, category) = IntentionRow::find_for_update(conn, id)?;
        caller.require_to_change(WRITERS, &authority)?;
        if_match.check(row.version)?;
        if to_publish && row.published_at.is_some() {
            return Err(ApiError::Conflict(
                "the intention is published already".into(),
            ));
        }
        if to_publish && !PUBLISHABLE.contains(&row.status) {
            return Err(ApiError::Conflict(format!(
                "an intention that is {} cannot be published; publishable statuses: {}",
                <&str>::from(row.status),
                PUBLISHABLE
                    .iter()
                    .map(|s| <&str>::from(*s))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if !to_publish && row.published_at.is_none() {
            return Err(ApiError::Conflict("the intention is not published".into()));
        }
        let before = Intention::from((row, authority.clone(), category.clone()));
        let updated = m::set_published(conn, id, to_publish.then(Utc::now))?;
        let after = Intention::from((updated, authority, category));
        let action = if to_publish { "publish" } else { "unpublish" };
        let audit = (Some(before.audit_json()?), Some(after.audit_json()?));
        AuditEventRow::record(conn, &caller, action, ENTITY, id, audit.0, audit.1)?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Publish an intention (the owning authority's `commissioner` or `admin`): from now on it and
/// every later change to it appear, without a token, in the OCDS feed and the pipeline notice.
///
/// Only board-approved intentions may be published: `approved`, `in_procurement`, `awarded` or
/// `closed` (409 otherwise, and when it is published already). Once published, an intention
/// stays published through later changes (a withdrawal shows as `tender.status` `withdrawn`)
/// until it is unpublished.
#[utoipa::path(tag = "Publication", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intention id"), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The intention, now published", body = Intention,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 409, description = "Not publishable in its status, or published already", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "an intention that is draft cannot be published; publishable statuses: approved, in_procurement, awarded, closed"}))))]
#[post("/commissioning-intentions/{id}/publish")]
async fn publish_intention(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    set_published(pool, caller, id.into_inner(), if_match, true).await
}

/// Unpublish an intention (the owning authority's `commissioner` or `admin`): it leaves the
/// pipeline notice, its record is gone (404) and all its releases leave the feed, past ones
/// included, until it is published again. 409 when it is not published.
#[utoipa::path(tag = "Publication", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intention id"), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The intention, no longer published", body = Intention,
        headers(("ETag" = String, description = "The record's new version"))),
        (status = 409, description = "The intention is not published", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "the intention is not published"}))))]
#[post("/commissioning-intentions/{id}/unpublish")]
async fn unpublish_intention(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    set_published(pool, caller, id.into_inner(), if_match, false).await
}

/// The reference data releases name: buyers by authority code, categories by code.
struct Names {
    buyers: HashMap<String, Buyer>,
    categories: HashMap<String, Category>,
}

impl Names {
    fn load(conn: &mut PgConnection) -> Result<Self, ApiError> {
        let buyers = AuthorityRow::all(conn)?
            .into_iter()
            .map(|a| {
                let buyer = Buyer {
                    name: a.name,
                    gb_lae_code: a.gb_lae_code,
                    gss_code: a.gss_code,
                    code: a.code.clone(),
                };
                (a.code, buyer)
            })
            .collect();
        let categories = CategoryRow::all(conn)?
            .into_iter()
            .map(|c| {
                let category = Category {
                    name: c.name,
                    cpv_codes: c.cpv_codes,
                };
                (c.code, category)
            })
            .collect();
        Ok(Names { buyers, categories })
    }
}

/// The releases of these audit events (each an intention as one write left it), in their order.
fn releases_of(
    conn: &mut PgConnection,
    publisher: &Publisher,
    events: &[AuditEventRow],
) -> Result<Vec<Value>, ApiError> {
    let snapshots: Vec<(&AuditEventRow, Snapshot)> = events
        .iter()
        .filter_map(|e| {
            let snapshot = serde_json::from_value(e.after.clone()?);
            if let Err(err) = &snapshot {
                log::warn!("audit event {} is not an intention: {err}", e.id);
            }
            Some((e, snapshot.ok()?))
        })
        .collect();
    let ids: Vec<Uuid> = snapshots
        .iter()
        .map(|(_, s)| s.id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let first: HashMap<Uuid, i32> = m::first_published_versions(conn, &ids)?
        .into_iter()
        .collect();
    let pids = m::pids_of(conn, &ids)?;
    let names = Names::load(conn)?;
    let mut out = Vec::with_capacity(snapshots.len());
    for (event, s) in &snapshots {
        let Some(buyer) = names.buyers.get(&s.authority) else {
            continue;
        };
        let raised: Vec<RelatedPid> = pids
            .iter()
            .filter(|p| p.intention_id == s.id && p.created_at <= event.occurred_at)
            .map(|p| RelatedPid {
                id: p.id,
                reference: p.reference.clone(),
                title: p.title.clone(),
            })
            .collect();
        out.push(ocds::release(
            publisher,
            &ReleaseInput {
                event_id: event.id,
                date: event.occurred_at,
                snapshot: s,
                first: first.get(&s.id) == Some(&s.version),
                buyer,
                category: names.categories.get(&s.category),
                pids: &raised,
            },
        ));
    }
    Ok(out)
}

/// The absolute URL of this request, for a package's `uri`.
fn absolute(req: &HttpRequest, path_and_query: &str) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), path_and_query)
}

/// A strong entity tag of a body.
fn body_tag(body: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(body))[..32])
}

/// Whether `If-None-Match` names this tag (or `*`).
fn not_modified(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == tag)
}

/// A public response: its ETag (a hash of the body), Last-Modified when known, and 304 when
/// the caller already holds it.
fn public_response(
    req: &HttpRequest,
    content_type: &'static str,
    body: Vec<u8>,
    last_modified: Option<DateTime<Utc>>,
) -> HttpResponse {
    let tag = body_tag(&body);
    let mut res = if not_modified(req, &tag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, tag.clone()));
    res.insert_header((header::CACHE_CONTROL, "public, no-cache"));
    if let Some(at) = last_modified {
        res.insert_header((
            header::LAST_MODIFIED,
            HttpDate::from(std::time::SystemTime::from(at)),
        ));
    }
    if not_modified(req, &tag) {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)));
    res.body(body)
}

fn json_bytes(body: &impl Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(body).map_err(ApiError::internal)
}

/// An OCDS 1.1 release package (see the release-package schema of OCDS 1.1).
pub struct ReleasePackage;

fn release_package_example() -> Value {
    serde_json::json!({
    "uri": "https://hub.example.gov.uk/v1/public/ocds/releases?limit=50",
    "version": "1.1",
    "extensions": [ocds::BUDGET_BREAKDOWN_EXTENSION],
    "publishedDate": "2026-11-24T10:00:00Z",
    "publisher": {"name": "STAR Procurement commissioning hub"},
    "license": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "releases": [{
        "ocid": "ocds-xxxxxx-0193b000-0000-7000-8000-000000000007",
        "id": "0193b100-0000-7000-8000-000000000001",
        "date": "2026-11-24T10:00:00Z",
        "tag": ["planning"],
        "initiationType": "tender",
        "language": "en",
        "parties": [{"id": "GB-LAE-RCH", "name": "Rochdale Metropolitan Borough Council",
            "identifier": {"scheme": "GB-LAE", "id": "RCH", "legalName": "Rochdale Metropolitan Borough Council"},
            "additionalIdentifiers": [{"scheme": "GB-GSS", "id": "E08000005", "legalName": "Rochdale Metropolitan Borough Council"}],
            "roles": ["buyer"]}],
        "buyer": {"id": "GB-LAE-RCH", "name": "Rochdale Metropolitan Borough Council"},
        "planning": {"budget": {"id": "RCH-CI-2026-0007-2026/27",
            "description": "Estimated annual value in the financial year 2026/27 (1 April to 31 March)",
            "project": "Home care re-procurement with Trusted Assessor status",
            "amount": {"amount": 12_500_000.0, "currency": "GBP"},
            "budgetBreakdown": [{"id": "2026/27", "description": "Financial year 2026/27",
                "amount": {"amount": 12_500_000.0, "currency": "GBP"},
                "period": {"startDate": "2026-04-01T00:00:00+01:00", "endDate": "2027-03-31T23:59:59+01:00"}}]}},
        "tender": {"id": "RCH-CI-2026-0007", "title": "Home care re-procurement with Trusted Assessor status",
            "description": "Re-procure home care on outcome-based patches.", "status": "planned",
            "statusDetails": "approved", "mainProcurementCategory": "services",
            "value": {"amount": 62_500_000.0, "currency": "GBP"},
            "tenderPeriod": {"startDate": "2026-06-01T00:00:00Z"},
            "contractPeriod": {"startDate": "2027-04-01T00:00:00Z"},
            "items": [{"id": "1", "description": "Home Care", "classification": {"scheme": "CPV", "id": "85311100"}}]}
    }],
    "next_cursor": "AAAAAAAAA-gBk7EAAABwAIAAAAAAAAAB",
    "links": {"next": "https://hub.example.gov.uk/v1/public/ocds/releases?after=AAAAAAAAA-gBk7EAAABwAIAAAAAAAAAB&limit=50"}
    })
}

/// An OCDS 1.1 record package of one planning process: its releases and the compiled release.
pub struct RecordPackage;

fn record_package_example() -> Value {
    serde_json::json!({
    "uri": "https://hub.example.gov.uk/v1/public/ocds/records/ocds-xxxxxx-0193b000-0000-7000-8000-000000000007",
    "version": "1.1",
    "extensions": [ocds::BUDGET_BREAKDOWN_EXTENSION],
    "publishedDate": "2026-11-24T10:00:00Z",
    "publisher": {"name": "STAR Procurement commissioning hub"},
    "license": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "records": [{"ocid": "ocds-xxxxxx-0193b000-0000-7000-8000-000000000007",
        "releases": [{"ocid": "ocds-xxxxxx-0193b000-0000-7000-8000-000000000007", "id": "0193b100-0000-7000-8000-000000000001",
            "date": "2026-11-24T10:00:00Z", "tag": ["planning"], "initiationType": "tender",
            "tender": {"id": "RCH-CI-2026-0007", "status": "planned"}}],
        "compiledRelease": {"ocid": "ocds-xxxxxx-0193b000-0000-7000-8000-000000000007",
            "id": "ocds-xxxxxx-0193b000-0000-7000-8000-000000000007-2026-11-24T10:00:00Z",
            "date": "2026-11-24T10:00:00Z", "tag": ["compiled"], "initiationType": "tender",
            "tender": {"id": "RCH-CI-2026-0007", "status": "planned"}}}]
    })
}

/// An object schema with a description and an example: OCDS packages are documented by the
/// OCDS schemas, not restated here.
fn ocds_schema(
    description: &str,
    example: Value,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Object)
        .description(Some(description))
        .examples([example])
        .into()
}

impl utoipa::PartialSchema for ReleasePackage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ocds_schema(
            "An OCDS 1.1 release package (https://standard.open-contracting.org/1.1/en/schema/release_package/), with `next_cursor`, `has_more` and `links.next` for paging.",
            release_package_example(),
        )
    }
}
impl ToSchema for ReleasePackage {}

impl utoipa::PartialSchema for RecordPackage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ocds_schema(
            "An OCDS 1.1 record package (https://standard.open-contracting.org/1.1/en/schema/record_package/).",
            record_package_example(),
        )
    }
}
impl ToSchema for RecordPackage {}

/// Where to read the feed from, and how much.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReleaseParams {
    /// `next_cursor` of the previous page: only releases after it. Without it, from the start.
    #[param(value_type = Option<String>, pattern = "^[A-Za-z0-9_-]{32}$", example = "AAAAAAAAA-gBk7EAAABwAIAAAAAAAAAB")]
    pub after: Option<FeedCursor>,
    /// Releases per page, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
}

/// The published forward plan as OCDS 1.1 release packages, no token needed: one release for
/// each change to a published intention (the first tagged `planning`, later ones
/// `planningUpdate`), in commit order and gap-free like the change feed, so a reader that
/// resumes from `next_cursor` never misses or repeats one.
///
/// The ocid is `<prefix>-<intention id>`; the buyer is the authority as `GB-LAE-<code>` (with
/// its GSS code as an additional identifier); `planning.budget` holds the estimated annual value
/// for the financial year (its period in `budgetBreakdown`, the budget breakdown extension);
/// `tender.value` the whole-life value; `tender.items` the category's CPV codes;
/// `relatedProcesses` the PIDs raised. Releases of intentions unpublished since are withheld.
///
/// `next_cursor` is always the place to resume from (the same cursor when nothing is new; `null`
/// only while the feed is empty); `links.next` is the URL of the next page. An empty page has
/// `releases: []`. The `ETag` is a hash of the body: send it back as `If-None-Match` for a 304.
#[utoipa::path(tag = "Publication", params(ReleaseParams),
    responses((status = 200, description = "A release package", body = ReleasePackage,
        headers(("ETag" = String, description = "Hash of the body; send as If-None-Match"),
            ("Last-Modified" = String, description = "The latest release's date"))),
        (status = 304, description = "Not modified since the ETag sent in If-None-Match",
            headers(("ETag" = String, description = "Hash of the body")))))]
#[get("/public/ocds/releases")]
async fn ocds_releases(
    pool: Db,
    publisher: web::Data<Publisher>,
    req: HttpRequest,
    params: Query<ReleaseParams>,
) -> Result<HttpResponse, ApiError> {
    let Query(p) = params;
    let after = p.after.map(|c| c.0);
    let limit = p.limit;
    let page = limit.fetch() - 1;
    let publisher = publisher.into_inner();
    let p2 = publisher.clone();
    let (releases, more, last, cursor_date) = db::run(&pool, move |conn| {
        let mut events = m::releases_after(conn, after, limit.fetch())?;
        let more = events.len() as i64 > page;
        events.truncate(page as usize);
        let last: Option<FeedPosition> = events.last().map(|e| e.position());
        let rows: Vec<AuditEventRow> = events.into_iter().map(|e| e.event).collect();
        let cursor_date = match (rows.is_empty(), after) {
            (true, Some(a)) => m::event_date(conn, a.id)?,
            _ => None,
        };
        Ok((releases_of(conn, &p2, &rows)?, more, last, cursor_date))
    })
    .await?;
    let position = last.or(after);
    let published = releases
        .iter()
        .filter_map(|r| r["date"].as_str())
        .filter_map(|d| DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.with_timezone(&Utc))
        .max()
        .or(cursor_date);
    let query = |cursor: Option<&str>| match cursor {
        Some(c) => format!("/v1/public/ocds/releases?after={c}&limit={}", page),
        None => format!("/v1/public/ocds/releases?limit={}", page),
    };
    let this = absolute(
        &req,
        &query(p.after.map(|c| FeedCursor::encode(c.0)).as_deref()),
    );
    let mut package = ocds::release_package(
        &publisher,
        &this,
        published.unwrap_or_else(Utc::now),
        releases,
    );
    let next = position.map(FeedCursor::encode);
    package["next_cursor"] = serde_json::json!(next);
    package["has_more"] = serde_json::json!(more);
    if let Some(n) = &next {
        package["links"] = serde_json::json!({"next": absolute(&req, &query(Some(n)))});
    }
    Ok(public_response(
        &req,
        "application/json",
        json_bytes(&package)?,
        published,
    ))
}

/// The OCDS 1.1 record package of one published intention's planning process, no token needed:
/// every release (oldest first) and the compiled release (the latest state). 404 when no
/// published intention has this ocid, including one unpublished since.
#[utoipa::path(tag = "Publication",
    params(("ocid" = String, Path, description = "The ocid, `<prefix>-<intention id>`",
        example = "ocds-xxxxxx-0193b000-0000-7000-8000-000000000007")),
    responses((status = 200, description = "A record package", body = RecordPackage,
        headers(("ETag" = String, description = "Hash of the body; send as If-None-Match"),
            ("Last-Modified" = String, description = "The latest release's date"))),
        (status = 304, description = "Not modified since the ETag sent in If-None-Match",
            headers(("ETag" = String, description = "Hash of the body")))))]
#[get("/public/ocds/records/{ocid}")]
async fn ocds_record(
    pool: Db,
    publisher: web::Data<Publisher>,
    req: HttpRequest,
    ocid: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ocid = ocid.into_inner();
    let unknown = || ApiError::not_found(format!("published planning process {ocid}"));
    let id = ocds::intention_of(&publisher.ocid_prefix, &ocid).ok_or_else(unknown)?;
    let publisher = publisher.into_inner();
    let p2 = publisher.clone();
    let releases = db::run(&pool, move |conn| {
        let events = m::releases_of(conn, id)?;
        releases_of(conn, &p2, &events)
    })
    .await?;
    let uri = absolute(&req, &format!("/v1/public/ocds/records/{ocid}"));
    let package = ocds::record_package(&publisher, &uri, &ocid, releases).ok_or_else(unknown)?;
    let published = package["publishedDate"]
        .as_str()
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.with_timezone(&Utc));
    Ok(public_response(
        &req,
        "application/json",
        json_bytes(&package)?,
        published,
    ))
}

/// Which pipeline notice to give.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PipelineParams {
    /// Only this authority's procurements (all authorities when left out).
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// The financial year the 18-month period starts in, e.g. `2026/27` (from 1 April 2026 to
    /// 30 September 2027).
    #[param(value_type = FinancialYear)]
    pub financial_year: FinancialYear,
    /// `csv` for CSV (as `Accept: text/csv`).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// One planned procurement in the pipeline notice.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "ocid": "ocds-xxxxxx-0193b000-0000-7000-8000-000000000007", "authority": "RCH",
    "reference": "RCH-CI-2026-0007", "title": "Home care re-procurement with Trusted Assessor status",
    "description": "Re-procure home care on outcome-based patches.", "category": "home-care",
    "cpv_codes": ["85311100-3"], "estimated_whole_life_value_pence": 6_250_000_000_i64,
    "estimated_annual_value_pence": 1_250_000_000_i64, "planned_procurement_start": "2026-06-01",
    "planned_contract_start": "2027-04-01", "status": "approved", "published_at": "2026-11-24T10:00:00Z"}))]
pub struct PipelineItem {
    /// The ocid of its planning process in the OCDS feed.
    pub ocid: String,
    pub authority: AuthorityCode,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub category: CategoryCode,
    /// CPV codes of the category.
    pub cpv_codes: Vec<String>,
    pub estimated_whole_life_value_pence: Pence,
    pub estimated_annual_value_pence: Option<Pence>,
    pub planned_procurement_start: Option<Date>,
    pub planned_contract_start: Option<Date>,
    pub status: IntentionStatus,
    pub published_at: DateTime<Utc>,
}

/// The pipeline notice (Procurement Act 2023 s.93, notice UK1).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"authority": "RCH", "financial_year": "2026/27", "period_start": "2026-04-01",
    "period_end": "2027-09-30", "threshold_pence": 200_000_000, "items": []}))]
pub struct PipelineNotice {
    pub authority: Option<AuthorityCode>,
    pub financial_year: FinancialYear,
    /// First day of the reporting period: 1 April of the financial year.
    pub period_start: NaiveDate,
    /// Last day of the reporting period, 18 months on: 30 September of the next year.
    pub period_end: NaiveDate,
    /// Whole-life estimated value from which a procurement is listed (inclusive): £2m.
    pub threshold_pence: i64,
    pub items: Vec<PipelineItem>,
}

fn pipeline_csv(n: &PipelineNotice) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "ocid",
        "authority",
        "reference",
        "title",
        "category",
        "cpv_codes",
        "estimated_whole_life_value_gbp",
        "estimated_annual_value_gbp",
        "planned_procurement_start",
        "planned_contract_start",
        "status",
    ])
    .map_err(ApiError::internal)?;
    let day = |d: Option<Date>| d.map(|d| d.get().to_string()).unwrap_or_default();
    for i in &n.items {
        w.write_record([
            i.ocid.clone(),
            i.authority.as_str().to_string(),
            i.reference.clone(),
            i.title.clone(),
            i.category.as_str().to_string(),
            i.cpv_codes.join(" "),
            pounds(i.estimated_whole_life_value_pence.value()),
            i.estimated_annual_value_pence
                .map(|p| pounds(p.value()))
                .unwrap_or_default(),
            day(i.planned_procurement_start),
            day(i.planned_contract_start),
            <&str>::from(i.status).to_string(),
        ])
        .map_err(ApiError::internal)?;
    }
    w.into_inner().map_err(ApiError::internal)
}

/// The pipeline notice of the Procurement Act 2023 (s.93, notice UK1), no token needed: the
/// published intentions with an estimated **whole-life** value of **not less than £2m**
/// (£2,000,000.00 is listed, £1,999,999.99 is not), whose planned **contract start** (or, for an
/// intention without one, its planned procurement start) falls in the 18 months from 1 April of
/// `financial_year` (2026/27: 1 April 2026 to 30 September 2027, both included), soonest first.
/// The contract start stands in for the award date the Act speaks of, which the plan does not
/// hold. `Accept: text/csv` or `format=csv` gives CSV (pounds with two decimals). 404 for an
/// authority that does not exist.
#[utoipa::path(tag = "Publication", params(PipelineParams),
    responses((status = 200, description = "The pipeline notice", content(
        (PipelineNotice = "application/json"),
        (String = "text/csv", example = json!("ocid,authority,reference,title,category,cpv_codes,estimated_whole_life_value_gbp,estimated_annual_value_gbp,planned_procurement_start,planned_contract_start,status\nocds-xxxxxx-0193b000-0000-7000-8000-000000000007,RCH,RCH-CI-2026-0007,Home care,home-care,85311100-3,62500000.00,12500000.00,2026-06-01,2027-04-01,approved\n"))),
        headers(("ETag" = String, description = "Hash of the body; send as If-None-Match"))),
        (status = 304, description = "Not modified since the ETag sent in If-None-Match",
            headers(("ETag" = String, description = "Hash of the body"))),
        (status = 404, description = "No authority has this code", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/not-found", "title": "Not Found", "status": 404,
                "detail": "authority ZZZ was not found"}))))]
#[get("/public/pipeline")]
async fn pipeline_notice(
    pool: Db,
    publisher: web::Data<Publisher>,
    req: HttpRequest,
    params: Query<PipelineParams>,
) -> Result<HttpResponse, ApiError> {
    let Query(p) = params;
    if p.format
        .as_deref()
        .is_some_and(|f| f != "csv" && f != "json")
    {
        return Err(ApiError::invalid("format", "must be json or csv"));
    }
    let csv = wants_csv(&req, p.format.as_deref());
    let (from, until) = ocds::pipeline_period(p.financial_year);
    let authority = p.authority.clone();
    let (rows, categories) = db::run(&pool, move |conn| {
        if let Some(code) = &authority
            && AuthorityRow::by_code(conn, code.as_str())?.is_none()
        {
            return Err(ApiError::not_found(format!("authority {}", code.as_str())));
        }
        let rows = m::pipeline(
            conn,
            authority.as_ref().map(|a| a.as_str()),
            PIPELINE_THRESHOLD_PENCE,
            from,
            until,
        )?;
        let categories: HashMap<String, Vec<String>> = CategoryRow::all(conn)?
            .into_iter()
            .map(|c| (c.code, c.cpv_codes))
            .collect();
        Ok((rows, categories))
    })
    .await?;
    let items = rows
        .into_iter()
        .filter_map(|row| {
            let view = Intention::from(row);
            Some(PipelineItem {
                ocid: ocds::ocid(&publisher.ocid_prefix, view.id),
                cpv_codes: categories
                    .get(view.category.as_str())
                    .cloned()
                    .unwrap_or_default(),
                estimated_whole_life_value_pence: view.estimated_whole_life_value_pence?,
                published_at: view.published_at?,
                authority: view.authority,
                reference: view.reference,
                title: view.title,
                description: view.description,
                category: view.category,
                estimated_annual_value_pence: view.estimated_annual_value_pence,
                planned_procurement_start: view.planned_procurement_start,
                planned_contract_start: view.planned_contract_start,
                status: view.status,
            })
        })
        .collect();
    let notice = PipelineNotice {
        authority: p.authority,
        financial_year: p.financial_year,
        period_start: from,
        period_end: until.pred_opt().expect("a day before 1 October"),
        threshold_pence: PIPELINE_THRESHOLD_PENCE,
        items,
    };
    if csv {
        return Ok(public_response(
            &req,
            "text/csv; charset=utf-8",
            pipeline_csv(&notice)?,
            None,
        ));
    }
    Ok(public_response(
        &req,
        "application/json",
        json_bytes(&notice)?,
        None,
    ))
}

//! Reference data: authorities (admins add others) and the category strategy.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::db;
use crate::domain::values::{AuthorityCode, CategoryCode, CpvCode, GssCode, LaeIdentifier};
use crate::error::ApiError;
use crate::extract::{IdempotencyKey, Json};
use crate::models::audit::AuditEventRow;
use crate::models::reference::{AuthorityRow, CategoryRow, NewAuthorityRow};
use crate::routes::{Created, Db, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_authorities)
        .service(get_authority)
        .service(create_authority)
        .service(list_categories)
        .service(get_category);
}

/// A council (or other body) whose records this service holds.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a000-0000-7000-8000-000000000004", "code": "RCH", "name": "Rochdale Metropolitan Borough Council",
    "gb_lae_code": "GB-LAE-RCH", "gss_code": "E08000005", "is_star_partner": true, "version": 1,
    "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct Authority {
    pub id: Uuid,
    pub code: AuthorityCode,
    pub name: String,
    pub gb_lae_code: Option<LaeIdentifier>,
    pub gss_code: Option<GssCode>,
    /// One of STAR Procurement's four partner authorities.
    pub is_star_partner: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Authority {
    fn from_row(row: AuthorityRow) -> Self {
        // The table's CHECK constraints match these types, so stored values always convert.
        Authority {
            id: row.id,
            code: AuthorityCode::try_from(row.code).expect("authorities.code is checked"),
            name: row.name,
            gb_lae_code: row
                .gb_lae_code
                .map(|c| LaeIdentifier::try_from(c).expect("authorities.gb_lae_code is checked")),
            gss_code: row
                .gss_code
                .map(|c| GssCode::try_from(c).expect("authorities.gss_code is checked")),
            is_star_partner: row.is_star_partner,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// An authority to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "DNC", "name": "City of Doncaster Council", "gb_lae_code": "GB-LAE-DNC", "gss_code": "E08000017",
    "is_star_partner": false
}))]
pub struct NewAuthority {
    pub code: AuthorityCode,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub gb_lae_code: Option<LaeIdentifier>,
    #[serde(default)]
    pub gss_code: Option<GssCode>,
    #[serde(default)]
    pub is_star_partner: bool,
}

/// List every authority, by code.
#[utoipa::path(tag = "Reference data", security(("bearer" = [])),
    responses((status = 200, description = "All authorities", body = Page<Authority>)))]
#[get("/authorities")]
async fn list_authorities(
    pool: Db,
    _caller: Caller,
) -> Result<web::Json<Page<Authority>>, ApiError> {
    let rows = db::run(&pool, |conn| Ok(AuthorityRow::all(conn)?)).await?;
    Ok(web::Json(Page {
        items: rows.into_iter().map(Authority::from_row).collect(),
        next_cursor: None,
    }))
}

/// One authority, by its short code.
#[utoipa::path(tag = "Reference data", security(("bearer" = [])),
    params(("code" = AuthorityCode, Path, description = "Authority short code")),
    responses((status = 200, description = "The authority", body = Authority,
        headers(("ETag" = String, description = "The record's version")))))]
#[get("/authorities/{code}")]
async fn get_authority(
    pool: Db,
    _caller: Caller,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let row = db::run(&pool, move |conn| {
        AuthorityRow::by_code(conn, &code)?
            .ok_or_else(|| ApiError::not_found(format!("authority {code:?}")))
    })
    .await?;
    Ok(versioned(
        StatusCode::OK,
        row.version,
        &Authority::from_row(row),
    ))
}

/// Add an authority (admins only), e.g. a partner outside STAR such as Doncaster.
#[utoipa::path(tag = "Reference data", security(("bearer" = [])), request_body = NewAuthority,
    responses((status = 201, description = "Added", body = Authority,
        headers(("Location" = String, description = "URL of the new authority"), ("ETag" = String, description = "The record's version"))),
        (status = 409, description = "An authority with this code, GB-LAE code or GSS code exists",
            body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/authorities")]
async fn create_authority(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewAuthority>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    let name = new.name.trim().to_string();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid("name", "must be 1 to 200 characters"));
    }
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/authorities",
        fingerprint,
        move |conn, caller| {
            let row = AuthorityRow::insert(
                conn,
                &NewAuthorityRow {
                    id: Uuid::now_v7(),
                    code: new.code.to_string(),
                    name,
                    gb_lae_code: new.gb_lae_code.map(String::from),
                    gss_code: new.gss_code.map(String::from),
                    is_star_partner: new.is_star_partner,
                },
            )?;
            let view = Authority::from_row(row);
            AuditEventRow::record(
                conn,
                caller,
                "create",
                "authority",
                view.id,
                None,
                Some(serde_json::to_value(&view).map_err(ApiError::internal)?),
            )?;
            Created::new(
                &view,
                format!("/v1/authorities/{}", view.code),
                view.version,
            )
        },
    )
    .await
}

/// A category of the procurement category strategy, or one of its subcategories.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a000-0000-7000-8000-000000000101", "code": "home-care", "name": "Home Care",
    "description": "Domiciliary care and reablement in people's own homes.", "parent": "adult-social-care",
    "cpv_codes": ["85311100-3", "85312000-9"], "subcategories": []
}))]
pub struct Category {
    pub id: Uuid,
    pub code: CategoryCode,
    pub name: String,
    pub description: String,
    /// Code of the parent category; `null` for a top-level category.
    pub parent: Option<CategoryCode>,
    pub cpv_codes: Vec<CpvCode>,
    /// Codes of the subcategories, in their set order.
    pub subcategories: Vec<CategoryCode>,
}

fn category_view(row: &CategoryRow, all: &[CategoryRow]) -> Category {
    let code = |c: &str| CategoryCode::try_from(c.to_string()).expect("categories.code is checked");
    Category {
        id: row.id,
        code: code(&row.code),
        name: row.name.clone(),
        description: row.description.clone(),
        parent: row
            .parent_id
            .and_then(|p| all.iter().find(|c| c.id == p))
            .map(|p| code(&p.code)),
        cpv_codes: row
            .cpv_codes
            .iter()
            .filter_map(|c| CpvCode::try_from(c.clone()).ok())
            .collect(),
        subcategories: all
            .iter()
            .filter(|c| c.parent_id == Some(row.id))
            .map(|c| code(&c.code))
            .collect(),
    }
}

/// The whole category strategy: categories first, then subcategories, each in its set order.
#[utoipa::path(tag = "Reference data", security(("bearer" = [])),
    responses((status = 200, description = "All categories and subcategories", body = Page<Category>)))]
#[get("/categories")]
async fn list_categories(pool: Db, _caller: Caller) -> Result<web::Json<Page<Category>>, ApiError> {
    let rows = db::run(&pool, |conn| Ok(CategoryRow::all(conn)?)).await?;
    Ok(web::Json(Page {
        items: rows.iter().map(|r| category_view(r, &rows)).collect(),
        next_cursor: None,
    }))
}

/// One category or subcategory, by code.
#[utoipa::path(tag = "Reference data", security(("bearer" = [])),
    params(("code" = CategoryCode, Path, description = "Category code")),
    responses((status = 200, description = "The category", body = Category)))]
#[get("/categories/{code}")]
async fn get_category(
    pool: Db,
    _caller: Caller,
    code: web::Path<String>,
) -> Result<web::Json<Category>, ApiError> {
    let code = code.into_inner();
    let (row, all) = db::run(&pool, move |conn| {
        let row = CategoryRow::by_code(conn, &code)?
            .ok_or_else(|| ApiError::not_found(format!("category {code:?}")))?;
        Ok((row, CategoryRow::all(conn)?))
    })
    .await?;
    Ok(web::Json(category_view(&row, &all)))
}

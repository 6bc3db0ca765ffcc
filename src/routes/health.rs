//! Liveness, readiness and metrics: open to all, for load balancers and Prometheus.

use actix_web::{HttpResponse, get, web};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db;
use crate::error::ApiError;
use crate::routes::Db;
use crate::telemetry::Metrics;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready).service(metrics);
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up and serving HTTP.
#[utoipa::path(tag = "Operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/health/live")]
async fn live() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// The service can reach its database and take traffic.
#[utoipa::path(tag = "Operations", responses((status = 200, description = "Ready: the database answered", body = Health)))]
#[get("/health/ready")]
async fn ready(pool: Db) -> Result<web::Json<Health>, ApiError> {
    db::run(&pool, |conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(web::Json(Health { status: "ok" }))
}

/// Prometheus metrics: request counts and latency histograms by route, method and status, and the
/// connection pool's state.
#[utoipa::path(tag = "Operations", responses((status = 200, description = "Prometheus text exposition format",
    content_type = "text/plain", body = String,
    example = "commissioning_hub_db_pool_connections 4")))]
#[get("/metrics")]
async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}

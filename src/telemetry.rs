//! What operations sees: request ids, problem-JSON for the framework's own errors, and Prometheus
//! metrics (requests by route and status, latency histograms, pool state).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts, Registry};

use crate::db::PgPool;
use crate::error::{ApiError, PROBLEM_JSON};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// This request's id: the caller's `X-Request-Id` when it is sensible, else a new UUID.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable_request_id(v: &str) -> bool {
    !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic())
}

/// Middleware: give every request an id and echo it on the response.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    // Handler errors arrive here as responses already, so the header reaches them too.
    let mut res = next.call(req).await?;
    // Server-side failures are logged here, where the request id is known; callers see only the id.
    let cause = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .and_then(ApiError::cause);
    if let Some(cause) = cause {
        let (method, path) = (res.request().method(), res.request().path());
        if res.status().is_server_error() {
            log::error!("request_id={id} {method} {path}: {cause}");
        }
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    Ok(res)
}

/// Error handler: replace a framework error response that is not yet problem JSON (a path that
/// does not parse, a payload error) with one that is, keeping its status.
pub fn problem_for_framework_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status.as_u16() {
        404 => ApiError::NotFound("no resource exists at this path".into()),
        413 => ApiError::PayloadTooLarge("the request body is too large".into()),
        415 => ApiError::UnsupportedMediaType("the request's content type is not supported".into()),
        400..=499 => ApiError::BadRequest(format!("the request was refused ({status})")),
        _ => ApiError::internal(anyhow::anyhow!("framework error response {status}")),
    };
    let mut problem: HttpResponse = error.error_response();
    *problem.status_mut() = status;
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, problem).map_into_right_body(),
    ))
}

/// Gauges of the connection pool, read at scrape time.
struct PoolCollector {
    pool: PgPool,
    connections: IntGauge,
    idle: IntGauge,
    max: IntGauge,
}

impl PoolCollector {
    fn new(pool: PgPool) -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str| {
            IntGauge::with_opts(Opts::new(name, help).namespace("commissioning_hub"))
        };
        Ok(Self {
            pool,
            connections: gauge(
                "db_pool_connections",
                "Connections the pool holds, busy or idle",
            )?,
            idle: gauge("db_pool_idle_connections", "Idle connections in the pool")?,
            max: gauge(
                "db_pool_max_connections",
                "Largest number of connections the pool may hold",
            )?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        [&self.connections, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let state = self.pool.state();
        self.connections.set(i64::from(state.connections));
        self.idle.set(i64::from(state.idle_connections));
        self.max.set(i64::from(self.pool.max_size()));
        [&self.connections, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.collect())
            .collect()
    }
}

/// The metrics registry and the middleware that records requests into it. Built once, shared by
/// every worker.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub middleware: actix_web_prom::PrometheusMetrics,
}

impl Metrics {
    pub fn new(pool: &PgPool) -> anyhow::Result<Self> {
        let registry = Registry::new();
        registry.register(Box::new(PoolCollector::new(pool.clone())?))?;
        let middleware = actix_web_prom::PrometheusMetricsBuilder::new("commissioning_hub")
            .registry(registry.clone())
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build metrics: {e}"))?;
        Ok(Self {
            registry,
            middleware,
        })
    }

    /// The Prometheus text exposition of everything registered.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus::TextEncoder::new()
            .encode_utf8(&self.registry.gather(), &mut out)
            .unwrap_or_else(|e| log::error!("cannot encode metrics: {e}"));
        out
    }
}

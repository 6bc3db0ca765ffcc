//! commissioning-hub: the app factory that `main` and the tests both use.

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod models;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod seed;
pub mod telemetry;
pub mod webhooks;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use utoipa::OpenApi as _;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::Verifier;
use crate::config::{Config, DEV_JWT_SECRET};
use crate::db::PgPool;
use crate::error::ApiError;
use crate::telemetry::Metrics;

/// Everything the app needs, built once and shared by every worker.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub verifier: web::Data<Verifier>,
    pub metrics: web::Data<Metrics>,
    pub limits: web::Data<BodyLimits>,
    pub publisher: web::Data<domain::ocds::Publisher>,
    pub rate_limit: web::Data<rate_limit::RateLimiter>,
    pub webhooks: web::Data<config::WebhookConfig>,
}

/// Largest request bodies accepted: JSON bodies, and bulk imports (which read their own payload).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json: usize,
    pub import: usize,
}

impl AppState {
    pub fn new(pool: PgPool, verifier: Verifier, limits: BodyLimits) -> anyhow::Result<Self> {
        let metrics = Metrics::new(&pool)?;
        Ok(Self {
            pool,
            verifier: web::Data::new(verifier),
            metrics: web::Data::new(metrics),
            limits: web::Data::new(limits),
            publisher: web::Data::new(domain::ocds::Publisher::from(
                &config::PublicationConfig::default(),
            )),
            rate_limit: web::Data::new(rate_limit::RateLimiter::unlimited()),
            webhooks: web::Data::new(config::WebhookConfig::default()),
        })
    }

    /// The same state publishing OCDS under `publication` (the default is the placeholder prefix).
    pub fn with_publication(mut self, publication: &config::PublicationConfig) -> Self {
        self.publisher = web::Data::new(domain::ocds::Publisher::from(publication));
        self
    }

    /// Limit each caller to `limit` (none: unlimited, as `new` leaves it).
    pub fn with_rate_limit(mut self, limit: Option<rate_limit::RateLimit>) -> Self {
        self.rate_limit = web::Data::new(rate_limit::RateLimiter::new(limit));
        self
    }

    /// The webhook settings subscriptions are checked against (strict by default).
    pub fn with_webhooks(mut self, webhooks: config::WebhookConfig) -> Self {
        self.webhooks = web::Data::new(webhooks);
        self
    }
}

/// The routes the spec knows, to tell a wrong method (405) from an unknown path (404).
struct KnownPaths(Vec<(ResourceDef, String)>);

impl KnownPaths {
    fn new(api: &utoipa::openapi::OpenApi) -> Self {
        let paths = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (ResourceDef::new(path.as_str()), methods.join(", "))
            })
            .collect();
        Self(paths)
    }

    /// The spec path `path` stands for, preferring a literal path (`/posts/import`) over a
    /// template that also matches it (`/posts/{id}`).
    fn matching(&self, path: &str) -> Option<&(ResourceDef, String)> {
        let literal = self
            .0
            .iter()
            .find(|(def, _)| !def.is_prefix() && def.pattern() == Some(path));
        literal.or_else(|| self.0.iter().find(|(def, _)| def.is_match(path)))
    }

    fn refusal(&self, req: &HttpRequest) -> ApiError {
        match self.matching(req.path()) {
            Some((_, allow)) => ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                allow: allow.clone(),
            },
            None => ApiError::NotFound(format!("no resource exists at {}", req.path())),
        }
    }
}

/// The whole application: routes, docs, and the middleware every request passes through.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    let api = openapi::complete(api);
    let known = Arc::new(KnownPaths::new(&api));
    let known_for_paths = known.clone();
    app.app_data(web::Data::new(state.pool.clone()))
        .app_data(state.verifier.clone())
        .app_data(state.metrics.clone())
        .app_data(state.limits.clone())
        .app_data(state.publisher.clone())
        .app_data(state.rate_limit.clone())
        .app_data(state.webhooks.clone())
        .app_data(web::PayloadConfig::new(state.limits.json))
        .app_data(web::PathConfig::default().error_handler(move |err, req| {
            // `/posts/import` also fits `/posts/{id}`: a wrong method on the literal path is 405.
            match known_for_paths.matching(req.path()) {
                Some((def, _)) if def.pattern() == Some(req.path()) => known_for_paths.refusal(req),
                _ => ApiError::NotFound(format!("no record is at this path: {err}")),
            }
            .into()
        }))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .service(web::redirect("/docs", "/docs/"))
        .default_service(web::to(move |req: HttpRequest| {
            let known = known.clone();
            async move { Err::<HttpResponse, ApiError>(known.refusal(&req)) }
        }))
        .wrap(ErrorHandlers::new().default_handler(telemetry::problem_for_framework_errors))
        .wrap(state.metrics.middleware.clone())
        .wrap(from_fn(telemetry::request_id))
        .wrap(Logger::new(
            r#"%a "%r" %s %b %Dms request_id=%{x-request-id}o"#,
        ))
}

/// Start-up: check keys, reach (or create) the database, migrate, optionally seed, then serve
/// until SIGTERM/SIGINT, finishing in-flight requests first.
pub async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let dev_secret = if demo && !config.jwt.has_key() {
        log::warn!(
            "--demo without a configured JWT key: using the public DEVELOPMENT secret; `commissioning-hub token` signs with it too"
        );
        Some(DEV_JWT_SECRET)
    } else {
        None
    };
    let verifier = Verifier::from_config(&config.jwt, dev_secret)?;
    let url = config.database_url.clone();
    web::block(move || -> anyhow::Result<()> {
        let mut conn = db::connect_creating_database(&url)?;
        db::migrate(&mut conn)?;
        if demo {
            seed::demo(&mut conn)?;
        }
        Ok(())
    })
    .await??;
    let tuning = &config.tuning;
    let pool = db::pool_with(
        &config.database_url,
        &db::PoolSettings {
            statement_timeout: tuning.statement_timeout,
            test_on_checkout: tuning.test_on_checkout,
            ..db::PoolSettings::new(config.pool_size, config.pool_timeout)
        },
    );
    let limits = BodyLimits {
        json: config.max_body_bytes,
        import: config.max_import_bytes,
    };
    let state = AppState::new(pool.clone(), verifier, limits)?
        .with_publication(&config.publication)
        .with_rate_limit(Some(rate_limit::RateLimit {
            per_minute: tuning.rate_limit_per_minute,
            burst: tuning.rate_limit_burst,
        }))
        .with_webhooks(config.webhooks.clone());
    log::info!("listening on http://{} (docs at /docs)", config.bind);
    let mut server = HttpServer::new(move || app(state.clone()));
    if let Some(workers) = tuning.workers {
        server = server.workers(workers);
    }
    let server = server
        .bind(&config.bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?
        .shutdown_timeout(30)
        .run();
    // The webhook worker runs beside the server and stops after it (see src/webhooks.rs).
    let worker = webhooks::Worker::spawn(pool, config.webhooks.clone());
    let served = server.await;
    worker.stop().await;
    served?;
    log::info!("stopped");
    Ok(())
}

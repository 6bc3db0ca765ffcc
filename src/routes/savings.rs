//! Handlers of the savings area (placeholder until its work lands).

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(_cfg: &mut ServiceConfig) {}

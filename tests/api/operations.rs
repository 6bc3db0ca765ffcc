//! Health, readiness, metrics, request ids, the docs, the spec snapshot, and a lost database.

use std::time::Duration;

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use commissioning_hub::db;

use crate::helpers::{TestApp, TestDb, hs256_config, token, url_for};

#[actix_web::test]
async fn health_endpoints_answer_without_a_token() {
    let app = TestApp::spawn().await;
    let live = app.send(TestRequest::get().uri("/health/live")).await;
    assert_eq!(live.status, 200);
    assert_eq!(live.json()["status"], "ok");
    let ready = app.send(TestRequest::get().uri("/health/ready")).await;
    assert_eq!(ready.status, 200);
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_echoes_the_callers() {
    let app = TestApp::spawn().await;
    let fresh = app.send(TestRequest::get().uri("/health/live")).await;
    assert!(uuid::Uuid::parse_str(&fresh.header("x-request-id").unwrap()).is_ok());
    let echoed = app
        .send(
            TestRequest::get()
                .uri("/nowhere")
                .insert_header(("X-Request-Id", "trace-abc-123")),
        )
        .await;
    assert_eq!(echoed.status, 404);
    assert_eq!(
        echoed.header("x-request-id").as_deref(),
        Some("trace-abc-123")
    );
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    app.get("/v1/authorities", &t).await;
    let metrics = app.send(TestRequest::get().uri("/metrics")).await;
    assert_eq!(metrics.status, 200);
    let text = String::from_utf8(metrics.body).unwrap();
    assert!(text.contains("commissioning_hub_http_requests_total{endpoint=\"/v1/authorities\",method=\"GET\",status=\"200\"} 1"), "{text}");
    assert!(
        text.contains("commissioning_hub_http_requests_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains("commissioning_hub_db_pool_max_connections 4"),
        "{text}"
    );
}

#[actix_web::test]
async fn docs_redirect_and_serve_swagger_ui_and_the_spec() {
    let app = TestApp::spawn().await;
    let redirect = app.send(TestRequest::get().uri("/docs")).await;
    assert!(
        redirect.status == 307
            || redirect.status == 308
            || redirect.status == 301
            || redirect.status == 302
    );
    assert_eq!(redirect.header("location").as_deref(), Some("/docs/"));
    let ui = app.send(TestRequest::get().uri("/docs/")).await;
    assert_eq!(ui.status, 200);
    assert!(String::from_utf8_lossy(&ui.body).contains("swagger"));
    let spec = app.send(TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(spec.status, 200);
    assert_eq!(spec.json()["openapi"], "3.1.0");
}

/// The committed spec is the contract: regenerate it with
/// `cargo run -- openapi > openapi/openapi.json` when the API changes on purpose.
#[test]
fn committed_openapi_matches_the_code() {
    let generated: serde_json::Value = serde_json::from_str(
        &commissioning_hub::openapi::document()
            .to_pretty_json()
            .unwrap(),
    )
    .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).expect("openapi/openapi.json is committed"),
    )
    .expect("openapi/openapi.json is JSON");
    assert!(
        generated == committed,
        "openapi/openapi.json differs from the code; run `cargo run -- openapi > openapi/openapi.json` and review the diff"
    );
}

#[test]
fn every_operation_documents_its_errors_and_has_examples() {
    let spec: serde_json::Value =
        serde_json::from_str(&commissioning_hub::openapi::document().to_json().unwrap()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let secured = op.get("security").is_some();
            if secured {
                for status in ["401", "403", "429", "503"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
}

/// A database that is not there gives 503 with Retry-After; when it appears the service recovers
/// by itself, with no restart.
#[actix_web::test]
async fn a_lost_database_is_503_with_retry_after_and_recovers() {
    let db = TestDb::new();
    let missing = format!("{}_absent", db.name);
    let pool = db::pool(&url_for(&missing), 2, Duration::from_millis(500));
    let app = TestApp::on_pool(db, pool, hs256_config(), 1024 * 1024).await;
    let t = token("RCH", &[Role::Commissioner]);

    let down = app.get("/v1/authorities", &t).await;
    let problem = down.problem(503);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("database is unavailable")
    );
    assert_eq!(down.header("retry-after").as_deref(), Some("5"));
    app.send(TestRequest::get().uri("/health/ready"))
        .await
        .problem(503);

    // The database comes back under the name the pool points at.
    let _back = TestDb::create(missing);
    let mut ready = app.send(TestRequest::get().uri("/health/ready")).await;
    for _ in 0..20 {
        if ready.status == 200 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(250)).await;
        ready = app.send(TestRequest::get().uri("/health/ready")).await;
    }
    assert_eq!(ready.status, 200);
    assert_eq!(app.get("/v1/authorities", &t).await.status, 200);
}

/// utoipa keys component schemas by type name, so two API types of the same name would silently
/// replace each other in the spec. Every `ToSchema` type's name must be unique.
#[test]
fn api_type_names_are_unique_so_no_schema_hides_another() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen: std::collections::HashMap<String, std::path::PathBuf> = Default::default();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let (mut pending, mut in_derive) = (false, false);
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") || in_derive {
                in_derive = !line.contains(")]");
                pending |= line.contains("ToSchema");
            } else if pending && (line.starts_with("pub struct ") || line.starts_with("pub enum "))
            {
                let name = line
                    .split_whitespace()
                    .nth(2)
                    .unwrap()
                    .trim_end_matches(['{', '(', ';'])
                    .to_string();
                let name = name.split('<').next().unwrap().to_string();
                // A macro's `pub enum $name` is a template, not a type.
                if name.starts_with('$') {
                    pending = false;
                    continue;
                }
                if let Some(other) = seen.insert(name.clone(), file.clone()) {
                    panic!(
                        "two API types are named {name}: {} and {}",
                        other.display(),
                        file.display()
                    );
                }
                pending = false;
            }
        }
    }
    assert!(
        seen.contains_key("Intention"),
        "the scan found the API types"
    );
}

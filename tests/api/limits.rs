//! Limits: the per-caller rate limit (429), the statement timeout and a drained pool (503), and
//! body sizes on every route that takes a body (413).

use std::time::Duration;

use actix_web::test::TestRequest;
use commissioning_hub::auth::{Role, Verifier};
use commissioning_hub::rate_limit::RateLimit;
use commissioning_hub::{AppState, BodyLimits, db};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::helpers::{TestApp, TestDb, bearer, hs256_config, token};

/// The app on a fresh database with these pool settings, body limits and rate limit.
async fn tuned(settings: db::PoolSettings, limits: BodyLimits, rate: Option<RateLimit>) -> TestApp {
    let db = TestDb::new();
    let pool = db::pool_with(&db.url(), &settings);
    let verifier = Verifier::from_config(&hs256_config(), None).unwrap();
    let state = AppState::new(pool, verifier, limits)
        .unwrap()
        .with_rate_limit(rate);
    TestApp::on_state(db, state).await
}

fn usual_limits() -> BodyLimits {
    BodyLimits {
        json: 1024 * 1024,
        import: 32 * 1024 * 1024,
    }
}

fn subject_token(subject: &str) -> String {
    commissioning_hub::auth::mint_token(
        crate::helpers::SECRET,
        crate::helpers::ISSUER,
        crate::helpers::AUDIENCE,
        subject,
        "RCH",
        &[Role::Commissioner],
        Duration::from_secs(3600),
    )
}

#[actix_web::test]
async fn a_caller_over_the_rate_limit_gets_429_with_retry_after_and_others_do_not() {
    // One request a minute on average, three at once: the fourth within the minute is refused.
    let limit = RateLimit {
        per_minute: 1,
        burst: 3,
    };
    let app = tuned(
        db::PoolSettings::new(4, Duration::from_secs(2)),
        usual_limits(),
        Some(limit),
    )
    .await;
    let busy = subject_token("batch-job@rch");
    for _ in 0..3 {
        assert_eq!(app.get("/v1/authorities", &busy).await.status, 200);
    }
    let refused = app.get("/v1/authorities", &busy).await;
    let problem = refused.problem(429);
    assert_eq!(problem["type"], "/problems/rate-limited");
    let retry: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After is whole seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Writes count too, and a refused one writes nothing.
    let write = app
        .post(
            "/v1/commissioning-intentions",
            &busy,
            &crate::helpers::new_intention(),
        )
        .await;
    write.problem(429);

    // Another caller of the same authority has its own allowance; health checks have none.
    let other = subject_token("officer@rch");
    let listed = app
        .get("/v1/commissioning-intentions?authority=RCH", &other)
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["items"], json!([]));
    let health = app.send(TestRequest::get().uri("/health/live")).await;
    assert_eq!(health.status, 200);
}

#[actix_web::test]
async fn a_limit_of_zero_turns_the_rate_limit_off() {
    let app = tuned(
        db::PoolSettings::new(4, Duration::from_secs(2)),
        usual_limits(),
        Some(RateLimit {
            per_minute: 0,
            burst: 1,
        }),
    )
    .await;
    let t = token("RCH", &[Role::Commissioner]);
    for _ in 0..20 {
        assert_eq!(app.get("/v1/authorities", &t).await.status, 200);
    }
}

#[actix_web::test]
async fn a_statement_over_the_timeout_is_503_with_retry_after_and_the_pool_recovers() {
    let app = tuned(
        db::PoolSettings {
            statement_timeout: Duration::from_millis(200),
            ..db::PoolSettings::new(2, Duration::from_secs(2))
        },
        usual_limits(),
        None,
    )
    .await;
    let t = token("RCH", &[Role::Commissioner]);
    // Another session holds a lock the query needs, so the query waits past its timeout.
    let mut blocker = app.db.connection();
    blocker
        .batch_execute("BEGIN; LOCK TABLE authorities IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let slow = app.get("/v1/authorities", &t).await;
    let problem = slow.problem(503);
    assert_eq!(problem["type"], "/problems/database-unavailable");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("statement timeout"),
        "{problem}"
    );
    assert_eq!(slow.header("retry-after").as_deref(), Some("5"));
    blocker.batch_execute("ROLLBACK").unwrap();
    // The connection that timed out is still good.
    for _ in 0..3 {
        assert_eq!(app.get("/v1/authorities", &t).await.status, 200);
    }
}

#[actix_web::test]
async fn a_drained_pool_answers_503_after_a_bounded_wait_not_a_hang() {
    // One connection, held by a request stuck behind a lock; the next caller waits for the
    // checkout timeout and gets 503, and so does the stuck one when its statement times out.
    let app = tuned(
        db::PoolSettings {
            statement_timeout: Duration::from_millis(1500),
            ..db::PoolSettings::new(1, Duration::from_millis(300))
        },
        usual_limits(),
        None,
    )
    .await;
    let t = token("RCH", &[Role::Commissioner]);
    let mut blocker = app.db.connection();
    blocker
        .batch_execute("BEGIN; LOCK TABLE authorities IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let (stuck, waiting) = futures_util::future::join(app.get("/v1/authorities", &t), async {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        app.get("/v1/authorities/RCH", &t).await
    })
    .await;
    blocker.batch_execute("ROLLBACK").unwrap();
    assert_eq!(
        waiting.problem(503)["type"],
        "/problems/database-unavailable"
    );
    assert_eq!(waiting.header("retry-after").as_deref(), Some("5"));
    assert_eq!(stuck.problem(503)["type"], "/problems/database-unavailable");
    assert_eq!(app.get("/v1/authorities/RCH", &t).await.status, 200);
}

/// A value for a path parameter that the handler's path extractor accepts.
fn path_value(name: &str) -> String {
    match name {
        "authority" | "code" => "RCH".into(),
        "lot" => "1".into(),
        _ => uuid::Uuid::now_v7().to_string(),
    }
}

/// A valid value for a required query parameter of a route that takes a body.
fn query_value(name: &str) -> &'static str {
    match name {
        "effective_from" => "2027-04-01",
        "name" => "Illustrative",
        _ => "limits-test",
    }
}

#[actix_web::test]
async fn every_route_that_takes_a_body_refuses_one_over_its_limit_with_413() {
    let limits = BodyLimits {
        json: 2048,
        import: 4096,
    };
    let app = tuned(
        db::PoolSettings::new(4, Duration::from_secs(2)),
        limits,
        None,
    )
    .await;
    let everything = token(
        "RCH",
        &[
            Role::Admin,
            Role::Commissioner,
            Role::Procurement,
            Role::Board,
            Role::Finance,
            Role::Partner,
            Role::Auditor,
        ],
    );
    let spec: serde_json::Value =
        serde_json::from_str(&commissioning_hub::openapi::document().to_json().unwrap()).unwrap();
    let mut checked = 0;
    for (template, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            let csv = content.contains_key("text/csv");
            let (content_type, limit) = if csv {
                ("text/csv", limits.import)
            } else {
                ("application/json", limits.json)
            };
            let mut path = template.clone();
            while let Some(start) = path.find('{') {
                let end = path[start..].find('}').unwrap() + start;
                let value = path_value(&path[start + 1..end]);
                path.replace_range(start..=end, &value);
            }
            // Required query parameters get valid values, so the size is what is refused.
            let query: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| {
                    let name = p["name"].as_str().unwrap();
                    format!("{name}={}", query_value(name))
                })
                .collect();
            if !query.is_empty() {
                path = format!("{path}?{}", query.join("&"));
            }
            // Well-formed, just too long: a JSON string or a CSV column over the limit.
            let body = if csv {
                format!("note\n{}\n", "x".repeat(limit))
            } else {
                json!({"description": "x".repeat(limit)}).to_string()
            };
            let req = TestRequest::default()
                .method(method.to_uppercase().parse().unwrap())
                .uri(&path)
                .insert_header(bearer(&everything))
                .insert_header(("Content-Type", content_type))
                .set_payload(body);
            let reply = app.send(req).await;
            assert_eq!(
                reply.status,
                413,
                "{} {template}: {}",
                method.to_uppercase(),
                String::from_utf8_lossy(&reply.body)
            );
            reply.problem(413);
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} routes with bodies");
}

#[derive(diesel::QueryableByName)]
struct Prepared {
    #[diesel(sql_type = diesel::sql_types::Text)]
    statement: String,
}

/// The hot reads are prepared once per connection and reused (diesel's statement cache), not
/// parsed and planned on every request.
#[actix_web::test]
async fn hot_reads_reuse_their_prepared_statements() {
    let app = tuned(
        db::PoolSettings::new(1, Duration::from_secs(2)),
        usual_limits(),
        None,
    )
    .await;
    let t = token("RCH", &[Role::Commissioner]);
    let created = app
        .post(
            "/v1/commissioning-intentions",
            &t,
            &crate::helpers::new_intention(),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let list =
        "/v1/commissioning-intentions?authority=RCH&financial_year=2026/27&status=draft&limit=50";
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/v1/commissioning-intentions/{id}"), &t)
                .await
                .status,
            200
        );
        assert_eq!(app.get(list, &t).await.json()["items"][0]["id"], id);
    }
    // One pooled connection served every request; its prepared statements say what was reused.
    let prepared: Vec<String> = db::run(&app.state.pool, |conn| {
        use diesel::RunQueryDsl;
        Ok(
            diesel::sql_query("SELECT statement FROM pg_prepared_statements")
                .load::<Prepared>(conn)?
                .into_iter()
                .map(|p| p.statement)
                .collect(),
        )
    })
    .await
    .unwrap();
    let by_id = prepared
        .iter()
        .filter(|s| s.contains(r#"WHERE ("commissioning_intentions"."id" = $1)"#))
        .count();
    let page = prepared
        .iter()
        .filter(|s| s.contains(r#"ORDER BY "commissioning_intentions"."id""#))
        .count();
    assert_eq!(by_id, 1, "{prepared:#?}");
    assert_eq!(page, 1, "{prepared:#?}");
}

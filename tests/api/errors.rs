//! Bad input gets a clear problem naming what was wrong: never a 500, never a half-written record.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, bearer, hs256_config, new_intention, token};

const INTENTIONS: &str = "/v1/commissioning-intentions";

fn commissioner() -> String {
    token("RCH", &[Role::Commissioner])
}

/// POST raw bytes as a body, with the content type given (or none).
async fn post_raw(app: &TestApp, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Reply {
    let mut req = TestRequest::post()
        .uri(INTENTIONS)
        .insert_header(bearer(&commissioner()))
        .set_payload(body.into());
    if let Some(ct) = content_type {
        req = req.insert_header(("Content-Type", ct));
    }
    app.send(req).await
}

/// A valid new intention with one field set to `value` (added, if the body has no such field).
fn intention_with(field: &str, value: Value) -> Value {
    let mut body = new_intention();
    body[field] = value;
    body
}

/// A valid new intention lacking one field.
fn intention_without(field: &str) -> Value {
    let mut body = new_intention();
    body.as_object_mut().unwrap().remove(field);
    body
}

/// Items of the RCH intention list.
async fn rch_intentions(app: &TestApp) -> Vec<Value> {
    let reply = app
        .get(
            "/v1/commissioning-intentions?authority=RCH&limit=500",
            &token("RCH", &[Role::Partner]),
        )
        .await;
    assert_eq!(reply.status, 200);
    reply.json()["items"].as_array().unwrap().clone()
}

/// Items of RCH's audit trail.
async fn rch_audit_events(app: &TestApp) -> Vec<Value> {
    let reply = app
        .get(
            "/v1/audit-events?limit=500",
            &token("RCH", &[Role::Auditor]),
        )
        .await;
    assert_eq!(reply.status, 200);
    reply.json()["items"].as_array().unwrap().clone()
}

async fn create(app: &TestApp) -> Value {
    let reply = app
        .post(INTENTIONS, &commissioner(), &new_intention())
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    let problem = post_raw(&app, Some("application/json"), r#"{"title": "Home care", "#)
        .await
        .problem(400);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{problem}"
    );
}

#[actix_web::test]
async fn an_empty_json_body_is_400() {
    let app = TestApp::spawn().await;
    for body in ["", "   \n\t"] {
        let problem = post_raw(&app, Some("application/json"), body)
            .await
            .problem(400);
        assert!(
            problem["detail"].as_str().unwrap().contains("empty"),
            "{body:?}: {problem}"
        );
    }
}

#[actix_web::test]
async fn each_invalid_field_is_422_naming_it_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let t = commissioner();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "wrong type",
            intention_with("tranche", json!("one")),
            "tranche",
        ),
        ("missing title", intention_without("title"), "title"),
        (
            "unknown field",
            intention_with("colour", json!("red")),
            "colour",
        ),
        (
            "financial year with a hyphen",
            intention_with("financial_year", json!("2026-27")),
            "financial_year",
        ),
        (
            "negative annual value",
            intention_with("estimated_annual_value_pence", json!(-1)),
            "estimated_annual_value_pence",
        ),
        (
            "tranche out of range",
            intention_with("tranche", json!(6)),
            "tranche",
        ),
        (
            "whole-life below annual",
            intention_with("estimated_whole_life_value_pence", json!(1)),
            "estimated_whole_life_value_pence",
        ),
        (
            "contract before procurement",
            intention_with("planned_contract_start", json!("2026-04-30")),
            "planned_contract_start",
        ),
        (
            "unknown category",
            intention_with("category", json!("knitting")),
            "category",
        ),
        (
            "title of spaces",
            intention_with("title", json!("      ")),
            "title",
        ),
    ];
    for (what, body, field) in &cases {
        let fields = app.post(INTENTIONS, &t, body).await.invalid_fields();
        assert_eq!(fields, [*field], "{what}");
    }
    assert_eq!(rch_intentions(&app).await, Vec::<Value>::new());
    assert_eq!(rch_audit_events(&app).await, Vec::<Value>::new());
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(hs256_config(), 1024).await;
    let body = intention_with("description", json!("x".repeat(4096)));
    let reply = app.post(INTENTIONS, &commissioner(), &body).await;
    reply.problem(413);
    assert_eq!(rch_intentions(&app).await, Vec::<Value>::new());
}

#[actix_web::test]
async fn a_body_that_is_not_declared_json_is_415() {
    let app = TestApp::spawn().await;
    let json = serde_json::to_vec(&new_intention()).unwrap();
    post_raw(&app, Some("text/plain"), json.clone())
        .await
        .problem(415);
    post_raw(&app, None, json.clone()).await.problem(415);
    // A +json media type is JSON, so the same bytes are accepted then.
    let reply = post_raw(&app, Some("application/merge-patch+json"), json).await;
    assert_eq!(reply.status, 201);
}

#[actix_web::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let reply = app.get("/v1/nothing-here", &commissioner()).await;
    let problem = reply.problem(404);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("/v1/nothing-here"),
        "{problem}"
    );
}

#[actix_web::test]
async fn a_wrong_method_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let reply = app
        .send(
            TestRequest::delete()
                .uri(INTENTIONS)
                .insert_header(bearer(&commissioner())),
        )
        .await;
    reply.problem(405);
    let allow = reply.header("allow").expect("405 carries Allow");
    let mut methods: Vec<&str> = allow.split(',').map(str::trim).collect();
    methods.sort_unstable();
    assert_eq!(methods, ["GET", "POST"], "{allow}");
}

#[actix_web::test]
async fn an_id_that_is_not_a_uuid_or_not_there_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let t = commissioner();
    app.get(&format!("{INTENTIONS}/not-a-uuid"), &t)
        .await
        .problem(404);
    app.get(&format!("{INTENTIONS}/{}", uuid::Uuid::now_v7()), &t)
        .await
        .problem(404);
    app.patch(
        &format!("{INTENTIONS}/{}", uuid::Uuid::now_v7()),
        &t,
        &json!({"title": "Nothing to change"}),
    )
    .await
    .problem(404);
}

#[actix_web::test]
async fn bad_list_parameters_are_422_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let t = commissioner();
    let cases = [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("financial_year=2026-27", "financial_year"),
        ("status=bogus", "status"),
        ("cursor=%%%", "cursor"),
        ("cursor=%25%25%25", "cursor"),
        ("cursor=abc", "cursor"),
        ("updated_since=yesterday", "updated_since"),
        ("authority=rch", "authority"),
        ("tranche=9", "tranche"),
        ("colour=red", "colour"),
        ("authority=R%00CH", "authority"),
    ];
    for (query, field) in cases {
        let reply = app.get(&format!("{INTENTIONS}?{query}"), &t).await;
        assert_eq!(reply.invalid_fields(), [field], "{query}");
    }
    // The same parameters, well formed, are accepted.
    let reply = app
        .get(
            &format!(
                "{INTENTIONS}?limit=500&financial_year=2026/27&status=draft&updated_since=2026-01-01T00:00:00Z"
            ),
            &t,
        )
        .await;
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn if_match_must_be_well_formed_and_current() {
    let app = TestApp::spawn().await;
    let t = commissioner();
    let created = create(&app).await;
    let path = format!("{INTENTIONS}/{}", created["id"].as_str().unwrap());
    let patch = |if_match: &str| {
        TestRequest::patch()
            .uri(&path)
            .insert_header(bearer(&t))
            .insert_header(("If-Match", if_match.to_string()))
            .set_json(json!({"tranche": 2}))
    };

    app.send(patch("garbage-without-quotes")).await.problem(400);
    let problem = app.send(patch("\"99\"")).await.problem(412);
    assert!(
        problem["detail"].as_str().unwrap().contains("\"1\""),
        "{problem}"
    );
    let unchanged = app.get(&path, &t).await;
    assert_eq!(unchanged.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(unchanged.json(), created);

    let reply = app.send(patch("\"1\"")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(reply.json()["tranche"], 2);

    let reply = app.send(patch("*")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("etag").as_deref(), Some("\"3\""));
    assert_eq!(reply.json()["version"], 3);
}

#[actix_web::test]
async fn a_retried_post_with_the_same_idempotency_key_creates_once() {
    let app = TestApp::spawn().await;
    let t = commissioner();
    let keyed = |key: &str, body: &Value| {
        TestRequest::post()
            .uri(INTENTIONS)
            .insert_header(bearer(&t))
            .insert_header(("Idempotency-Key", key.to_string()))
            .set_json(body)
    };

    let first = app.send(keyed("k1", &new_intention())).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let second = app.send(keyed("k1", &new_intention())).await;
    assert_eq!(second.status, 201);
    assert_eq!(
        second.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert!(first.header("location").is_some());
    assert_eq!(first.header("location"), second.header("location"));
    assert_eq!(first.header("etag"), second.header("etag"));
    assert_eq!(rch_intentions(&app).await.len(), 1);

    let other_body = intention_with("title", json!("A different intention"));
    let fields = app.send(keyed("k1", &other_body)).await.invalid_fields();
    assert_eq!(fields, ["Idempotency-Key"]);
    assert_eq!(rch_intentions(&app).await.len(), 1);
    assert_eq!(rch_audit_events(&app).await.len(), 1);
}

#[actix_web::test]
async fn idempotency_keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let send = |authority: &str| {
        TestRequest::post()
            .uri(INTENTIONS)
            .insert_header(bearer(&token(authority, &[Role::Commissioner])))
            .insert_header(("Idempotency-Key", "shared-key"))
            .set_json(new_intention())
    };
    let rch = app.send(send("RCH")).await;
    let tam = app.send(send("TAM")).await;
    assert_eq!(rch.status, 201);
    assert_eq!(tam.status, 201);
    assert_eq!(tam.header("idempotent-replayed"), None);
    let (rch, tam) = (rch.json(), tam.json());
    assert_ne!(rch["id"], tam["id"]);
    assert_eq!(rch["authority"], "RCH");
    assert_eq!(tam["authority"], "TAM");
}

#[actix_web::test]
async fn a_malformed_idempotency_key_is_400() {
    let app = TestApp::spawn().await;
    for key in ["k".repeat(300), "has space".to_string()] {
        let reply = app
            .send(
                TestRequest::post()
                    .uri(INTENTIONS)
                    .insert_header(bearer(&commissioner()))
                    .insert_header(("Idempotency-Key", key.clone()))
                    .set_json(new_intention()),
            )
            .await;
        let problem = reply.problem(400);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key"),
            "{key}: {problem}"
        );
    }
    assert_eq!(rch_intentions(&app).await, Vec::<Value>::new());
}

#[actix_web::test]
async fn a_refused_keyed_post_does_not_use_up_its_key() {
    let app = TestApp::spawn().await;
    let keyed = |body: &Value| {
        TestRequest::post()
            .uri(INTENTIONS)
            .insert_header(bearer(&commissioner()))
            .insert_header(("Idempotency-Key", "retry-after-fix"))
            .set_json(body)
    };
    let fields = app
        .send(keyed(&intention_with("category", json!("knitting"))))
        .await
        .invalid_fields();
    assert_eq!(fields, ["category"]);
    let reply = app.send(keyed(&new_intention())).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("idempotent-replayed"), None);
}

/// Hostile bodies: each must be refused with a 4xx problem, none may write anything.
#[actix_web::test]
async fn hostile_bodies_are_refused_with_4xx_never_5xx() {
    let app = TestApp::spawn().await;
    let valid = new_intention();
    let with = |field: &str, raw: &str| {
        // Splice raw JSON text in for one field of a valid body.
        let mut body = valid.clone();
        body[field] = json!("__RAW__");
        body.to_string().replace("\"__RAW__\"", raw)
    };
    let deep_arrays = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let deep_objects = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
    let mut bodies: Vec<(String, Vec<u8>)> = [
        ("empty array", "[]".to_string()),
        ("null", "null".to_string()),
        ("number", "1".to_string()),
        ("string", "\"x\"".to_string()),
        ("boolean", "true".to_string()),
        ("empty object", "{}".to_string()),
        ("object as title", r#"{"title": {}}"#.to_string()),
        ("title object in full body", with("title", "{}")),
        ("title array", with("title", "[\"a\"]")),
        ("nested arrays 200 deep", deep_arrays.clone()),
        ("nested objects 200 deep", deep_objects),
        (
            "nested arrays 200 deep as title",
            with("title", &deep_arrays),
        ),
        ("bare 1e400", "1e400".to_string()),
        (
            "1e400 as value",
            with("estimated_annual_value_pence", "1e400"),
        ),
        ("-0", "-0".to_string()),
        ("-0 as tranche", with("tranche", "-0")),
        (
            "u64 beyond i64 as value",
            with("estimated_annual_value_pence", "9223372036854775808"),
        ),
        (
            "integer beyond u64 as value",
            with("estimated_annual_value_pence", "99999999999999999999999"),
        ),
        ("fraction as tranche", with("tranche", "1.5")),
        ("i16 overflow as tranche", with("tranche", "70000")),
        ("string as tranche", with("tranche", "\"1\"")),
        ("NUL in title", with("title", r#""Home\u0000care""#)),
        (
            "NUL in a key",
            with("title", "\"x\"").replacen("\"title\"", r#""ti\u0000tle""#, 1),
        ),
        (
            "NUL in an array item",
            with("replaces_contracts", r#"["RCH-C-1\u0000"]"#),
        ),
        ("NUL in description", with("description", r#""\u0000""#)),
        ("lone surrogate in title", with("title", r#""\ud800""#)),
        (
            "title of no-break spaces",
            with("title", r#""\u00a0\u2003\u3000""#),
        ),
        (
            "title of 301 characters",
            with("title", &format!("\"{}\"", "é".repeat(301))),
        ),
        ("unicode category code", with("category", r#""hôme-care""#)),
        (
            "full-width digits in year",
            with("financial_year", r#""２０２６/27""#),
        ),
        ("year outside range", with("financial_year", r#""2100/01""#)),
        (
            "impossible date",
            with("planned_contract_start", r#""2027-02-30""#),
        ),
        (
            "date before PostgreSQL's range",
            with("planned_procurement_start", r#""-200000-01-01""#),
        ),
        ("null in text array", with("replaces_contracts", "[null]")),
        (
            "string as boolean",
            with("sme_local_opportunity", "\"yes\""),
        ),
        ("trailing garbage", format!("{valid} x")),
        ("two documents", format!("{valid}{valid}")),
        ("byte-order mark", format!("\u{feff}{valid}")),
    ]
    .into_iter()
    .map(|(what, body)| (what.to_string(), body.into_bytes()))
    .collect();
    let mut invalid_utf8 = with("title", "\"Home care\"").into_bytes();
    let at = invalid_utf8.windows(4).position(|w| w == b"Home").unwrap();
    invalid_utf8[at] = 0xff;
    bodies.push(("invalid UTF-8 in title".into(), invalid_utf8));

    let mut wrong = Vec::new();
    for (what, body) in bodies {
        let reply = post_raw(&app, Some("application/json"), body).await;
        let is_problem =
            reply.header("content-type").as_deref() == Some("application/problem+json");
        if !(400..500).contains(&reply.status) || !is_problem {
            wrong.push(format!(
                "{what}: {} {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ));
        }
    }
    // Whatever the statuses, nothing may have been half-written.
    assert_eq!(rch_intentions(&app).await, Vec::<Value>::new());
    assert_eq!(rch_audit_events(&app).await, Vec::<Value>::new());
    assert!(
        wrong.is_empty(),
        "hostile bodies not refused with a 4xx problem:\n{}",
        wrong.join("\n")
    );
}

/// Values at the edge of what is allowed are stored as given.
#[actix_web::test]
async fn values_at_the_edges_are_stored_not_refused() {
    let app = TestApp::spawn().await;
    let t = commissioner();
    let mut body = new_intention();
    body["title"] = json!("🏠".repeat(300));
    // £1 trillion: the largest amount accepted (sums over many records must fit in 64 bits).
    body["estimated_annual_value_pence"] = json!(100_000_000_000_000_i64);
    body["estimated_whole_life_value_pence"] = json!(100_000_000_000_000_i64);
    body["tranche"] = json!(5);
    body["financial_year"] = json!("2099/00");
    body["description"] = json!("Ünïcödé — right-to-left: مرحبا, combining: e\u{301}");
    let reply = app.post(INTENTIONS, &t, &body).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let stored = reply.json();
    for field in [
        "title",
        "estimated_annual_value_pence",
        "estimated_whole_life_value_pence",
        "tranche",
        "financial_year",
        "description",
    ] {
        assert_eq!(stored[field], body[field], "{field}");
    }
    assert_eq!(stored["reference"], "RCH-CI-2099-0001");
    let mut over = new_intention();
    over["estimated_annual_value_pence"] = json!(100_000_000_000_001_i64);
    assert_eq!(
        app.post(INTENTIONS, &t, &over).await.invalid_fields(),
        ["estimated_annual_value_pence"]
    );
}

/// PostgreSQL stores dates from 4714 BC only; chrono parses years far earlier. Such a date must be
/// refused as invalid input naming the field, not reach the database and come back as a 500.
#[actix_web::test]
async fn dates_before_what_postgresql_can_store_are_422_not_500() {
    let app = TestApp::spawn().await;
    let t = commissioner();
    let early = "-5000-01-01";
    let created = create(&app).await;
    let path = format!("{INTENTIONS}/{}", created["id"].as_str().unwrap());

    let replies = [
        (
            "POST planned_procurement_start",
            "planned_procurement_start",
            app.post(
                INTENTIONS,
                &t,
                &intention_with("planned_procurement_start", json!(early)),
            )
            .await,
        ),
        (
            "PATCH planned_procurement_start",
            "planned_procurement_start",
            app.patch(
                &path,
                &t,
                &json!({"planned_procurement_start": early, "planned_contract_start": null}),
            )
            .await,
        ),
        (
            "GET ?updated_since",
            "updated_since",
            app.get(&format!("{INTENTIONS}?updated_since={early}T00:00:00Z"), &t)
                .await,
        ),
    ];
    let wrong: Vec<String> = replies
        .iter()
        .filter(|(_, _, reply)| reply.status != 422)
        .map(|(what, _, reply)| format!("{what} = {early}: {}", reply.status))
        .collect();
    // Nothing was written, whatever the statuses.
    assert_eq!(app.get(&path, &t).await.json(), created);
    assert_eq!(rch_intentions(&app).await.len(), 1);
    assert!(
        wrong.is_empty(),
        "not refused with 422:\n{}",
        wrong.join("\n")
    );
    for (what, field, reply) in &replies {
        assert_eq!(reply.invalid_fields(), [*field], "{what}");
    }
}

/// A literal path that also fits a record template (`/posts/import` and `/posts/{id}`) answers a
/// wrong method with 405 for the literal path, not 404 for a record that cannot exist.
#[actix_web::test]
async fn a_wrong_method_on_a_literal_path_beside_a_record_template_is_405() {
    let app = TestApp::spawn().await;
    for (path, allow) in [
        ("/v1/capacity/posts/import", "POST"),
        ("/v1/contracts/import", "POST"),
    ] {
        let reply = app
            .send(
                TestRequest::patch()
                    .uri(path)
                    .insert_header(bearer(&commissioner()))
                    .set_json(json!({})),
            )
            .await;
        reply.problem(405);
        assert_eq!(reply.header("allow").as_deref(), Some(allow), "{path}");
    }
}

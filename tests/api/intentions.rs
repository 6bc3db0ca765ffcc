//! Commissioning intentions over HTTP: create, read, list, update, the audit trail, and the demo plan.

use std::collections::HashSet;

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, new_intention, token};

async fn create(app: &TestApp, authority: &str, body: &Value) -> Value {
    let reply = app
        .post(
            "/v1/commissioning-intentions",
            &token(authority, &[Role::Commissioner]),
            body,
        )
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
async fn a_commissioner_creates_a_draft_owned_by_their_authority() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let reply = app
        .send(
            TestRequest::post()
                .uri("/v1/commissioning-intentions")
                .insert_header(bearer(&t))
                .insert_header(("X-Request-Id", "req-create-1"))
                .set_json(new_intention()),
        )
        .await;
    assert_eq!(reply.status, 201);
    let body = reply.json();
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        reply.header("location").unwrap(),
        format!("/v1/commissioning-intentions/{id}")
    );
    assert_eq!(reply.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(body["authority"], "RCH");
    assert_eq!(body["reference"], "RCH-CI-2026-0001");
    assert_eq!(body["status"], "draft");
    assert_eq!(body["version"], 1);
    assert_eq!(body["created_by"], "tester@RCH");
    assert_eq!(body["estimated_annual_value_pence"], 450_000_000_i64);
    assert_eq!(body["category"], "supported-living");

    let read = app
        .get(
            &format!("/v1/commissioning-intentions/{id}"),
            &token("TAM", &[Role::Finance]),
        )
        .await;
    assert_eq!(read.status, 200, "any authenticated caller reads any plan");
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(read.json(), body);

    let audit = app
        .get(
            &format!("/v1/audit-events?entity_id={id}"),
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "create");
    assert_eq!(events[0]["entity_type"], "commissioning_intention");
    assert_eq!(events[0]["subject"], "tester@RCH");
    assert_eq!(events[0]["authority"], "RCH");
    assert_eq!(events[0]["request_id"], "req-create-1");
    assert!(events[0]["before"].is_null());
    assert_eq!(events[0]["after"], body);
}

#[actix_web::test]
async fn references_are_numbered_per_authority_and_year() {
    let app = TestApp::spawn().await;
    let mut next_year = new_intention();
    next_year["financial_year"] = json!("2027/28");
    let refs = [
        create(&app, "RCH", &new_intention()).await["reference"].clone(),
        create(&app, "RCH", &new_intention()).await["reference"].clone(),
        create(&app, "TAM", &new_intention()).await["reference"].clone(),
        create(&app, "RCH", &next_year).await["reference"].clone(),
    ];
    assert_eq!(
        refs,
        [
            json!("RCH-CI-2026-0001"),
            json!("RCH-CI-2026-0002"),
            json!("TAM-CI-2026-0001"),
            json!("RCH-CI-2027-0001")
        ]
    );
}

#[actix_web::test]
async fn an_admin_of_the_authority_may_also_write() {
    let app = TestApp::spawn().await;
    let reply = app
        .post(
            "/v1/commissioning-intentions",
            &token("TRF", &[Role::Admin]),
            &new_intention(),
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.json()["authority"], "TRF");
}

#[actix_web::test]
async fn only_required_fields_are_needed_and_defaults_fill_the_rest() {
    let app = TestApp::spawn().await;
    let body = create(
        &app,
        "SKP",
        &json!({"title": "Carers' breaks", "category": "carers", "financial_year": "2026/27", "priority": "could", "tranche": 3}),
    )
    .await;
    assert_eq!(body["description"], "");
    assert_eq!(body["replaces_contracts"], json!([]));
    assert!(body["estimated_annual_value_pence"].is_null());
    assert!(body["improvement_category"].is_null());
    assert_eq!(body["sme_local_opportunity"], false);
}

#[actix_web::test]
async fn a_patch_changes_only_what_it_names_and_moves_the_version_on() {
    let app = TestApp::spawn().await;
    let created = create(&app, "RCH", &new_intention()).await;
    let path = format!(
        "/v1/commissioning-intentions/{}",
        created["id"].as_str().unwrap()
    );
    let t = token("RCH", &[Role::Commissioner]);
    let reply = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "\"1\""))
                .insert_header(("Content-Type", "application/merge-patch+json"))
                .set_payload(r#"{"tranche": 2, "lead_officer": null, "category": "home-care", "estimated_annual_value_pence": 500000000}"#),
        )
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("etag").as_deref(), Some("\"2\""));
    let after = reply.json();
    assert_eq!(after["tranche"], 2);
    assert!(after["lead_officer"].is_null());
    assert_eq!(after["category"], "home-care");
    assert_eq!(after["estimated_annual_value_pence"], 500_000_000);
    assert_eq!(after["version"], 2);
    for unchanged in [
        "title",
        "description",
        "financial_year",
        "priority",
        "reference",
        "authority",
        "created_at",
        "planned_contract_start",
    ] {
        assert_eq!(
            after[unchanged], created[unchanged],
            "{unchanged} should not change"
        );
    }

    let audit = app
        .get(
            &format!(
                "/v1/audit-events?entity_id={}",
                created["id"].as_str().unwrap()
            ),
            &token("RCH", &[Role::Admin]),
        )
        .await
        .json();
    let update = &audit["items"][1];
    assert_eq!(update["action"], "update");
    assert_eq!(update["before"]["tranche"], 1);
    assert_eq!(update["after"]["tranche"], 2);
    assert_eq!(update["after"], after);
}

#[actix_web::test]
async fn a_patch_is_checked_against_the_stored_values_it_leaves_alone() {
    let app = TestApp::spawn().await;
    let created = create(&app, "RCH", &new_intention()).await;
    let path = format!(
        "/v1/commissioning-intentions/{}",
        created["id"].as_str().unwrap()
    );
    let t = token("RCH", &[Role::Commissioner]);
    // Stored annual value is 450,000,000; a whole-life value below it breaks the rule.
    let reply = app
        .patch(
            &path,
            &t,
            &json!({"estimated_whole_life_value_pence": 1000}),
        )
        .await;
    assert_eq!(reply.invalid_fields(), ["estimated_whole_life_value_pence"]);
    let reply = app
        .patch(&path, &t, &json!({"planned_contract_start": "2026-01-01"}))
        .await;
    assert_eq!(reply.invalid_fields(), ["planned_contract_start"]);
    let unchanged = app.get(&path, &t).await.json();
    assert_eq!(unchanged["version"], 1);
    // Clearing the annual value lifts the rule.
    let reply = app.patch(&path, &t, &json!({"estimated_annual_value_pence": null, "estimated_whole_life_value_pence": 1000})).await;
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn a_stale_if_match_is_refused_so_concurrent_edits_are_not_lost() {
    let app = TestApp::spawn().await;
    let created = create(&app, "RCH", &new_intention()).await;
    let path = format!(
        "/v1/commissioning-intentions/{}",
        created["id"].as_str().unwrap()
    );
    let t = token("RCH", &[Role::Commissioner]);
    let first = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({"tranche": 2})),
        )
        .await;
    assert_eq!(first.status, 200);
    let second = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({"tranche": 3})),
        )
        .await;
    second.problem(412);
    assert_eq!(app.get(&path, &t).await.json()["tranche"], 2);
}

#[actix_web::test]
async fn lists_filter_and_page_in_a_stable_order() {
    let app = TestApp::spawn().await;
    let variants = [
        ("RCH", "2026/27", "home-care", "must", 1),
        ("RCH", "2026/27", "supported-living", "should", 2),
        ("RCH", "2027/28", "home-care", "could", 3),
        ("TAM", "2026/27", "day-services", "must", 1),
        ("TAM", "2026/27", "home-care", "wont", 5),
    ];
    let mut ids = Vec::new();
    for (authority, fy, category, priority, tranche) in variants {
        let mut body = new_intention();
        body["financial_year"] = json!(fy);
        body["category"] = json!(category);
        body["priority"] = json!(priority);
        body["tranche"] = json!(tranche);
        ids.push(create(&app, authority, &body).await["id"].clone());
    }
    let t = token("TRF", &[Role::Partner]);
    let count = |q: &'static str| {
        let app = &app;
        let t = t.clone();
        async move {
            app.get(&format!("/v1/commissioning-intentions?{q}"), &t)
                .await
                .json()["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(count("").await, 5);
    assert_eq!(count("authority=RCH").await, 3);
    assert_eq!(count("authority=RCH&financial_year=2026/27").await, 2);
    assert_eq!(count("category=home-care").await, 3);
    assert_eq!(
        count("category=adult-social-care").await,
        5,
        "a category includes its subcategories"
    );
    assert_eq!(count("priority=must").await, 2);
    assert_eq!(count("tranche=5").await, 1);
    assert_eq!(count("status=draft").await, 5);
    assert_eq!(count("status=approved").await, 0);
    assert_eq!(count("updated_since=2000-01-01T00:00:00Z").await, 5);
    assert_eq!(count("updated_since=2999-01-01T00:00:00Z").await, 0);
    assert_eq!(count("authority=SKP").await, 0);

    // Page through two at a time: every item once, in creation order.
    let mut seen = Vec::new();
    let mut uri = "/v1/commissioning-intentions?limit=2".to_string();
    loop {
        let page = app.get(&uri, &t).await.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/v1/commissioning-intentions?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

#[actix_web::test]
async fn the_demo_plan_covers_every_tranche_and_status_and_loads_once() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.connection();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    let t = token("RCH", &[Role::Commissioner]);
    let page = app
        .get("/v1/commissioning-intentions?limit=500", &t)
        .await
        .json();
    let items = page["items"].as_array().unwrap();
    let ids: HashSet<_> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), items.len(), "the second load added nothing");
    let statuses: HashSet<_> = items
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    for s in [
        "draft",
        "submitted",
        "approved",
        "rejected",
        "deferred",
        "in_procurement",
        "awarded",
        "closed",
        "withdrawn",
    ] {
        assert!(statuses.contains(s), "no demo intention is {s}");
    }
    let tranches: HashSet<_> = items
        .iter()
        .map(|i| i["tranche"].as_i64().unwrap())
        .collect();
    assert_eq!(tranches, HashSet::from([1, 2, 3, 4, 5]));
    let authorities: HashSet<_> = items
        .iter()
        .map(|i| i["authority"].as_str().unwrap())
        .collect();
    assert_eq!(authorities, HashSet::from(["SKP", "TAM", "TRF", "RCH"]));
    // New intentions continue the demo numbering rather than colliding with it.
    let created = create(&app, "RCH", &new_intention()).await;
    assert!(!items.iter().any(|i| i["reference"] == created["reference"]));
}

#[actix_web::test]
async fn a_patch_may_not_null_a_field_that_cannot_be_empty() {
    let app = TestApp::spawn().await;
    let created = create(&app, "RCH", &new_intention()).await;
    let path = format!(
        "/v1/commissioning-intentions/{}",
        created["id"].as_str().unwrap()
    );
    let t = token("RCH", &[Role::Commissioner]);
    for field in [
        "title",
        "category",
        "financial_year",
        "priority",
        "tranche",
        "replaces_contracts",
    ] {
        let reply = app.patch(&path, &t, &json!({ field: null })).await;
        assert_eq!(reply.invalid_fields(), [field]);
    }
    assert_eq!(app.get(&path, &t).await.json()["version"], 1);
}

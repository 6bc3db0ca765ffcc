//! The contract register over HTTP: create, read, list, patch, CSV import, lead times, the expiry
//! pipeline and their audit trail.

use std::time::Instant;

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, new_intention, token};

/// A valid new contract, to vary per test.
fn new_contract(reference: &str) -> Value {
    json!({
        "reference": reference,
        "title": "Home care: North and East Rochdale patches",
        "supplier_name": "Pennine Care at Home Ltd",
        "companies_house_number": "04567812",
        "category": "home-care",
        "cpv_code": "85311100-3",
        "annual_value_pence": 1_180_000_000_i64,
        "total_value_pence": 5_900_000_000_i64,
        "start_date": "2019-10-01",
        "end_date": "2027-09-30",
        "extension_end_dates": ["2028-09-30", "2029-09-30"],
        "status": "active"
    })
}

async fn create(app: &TestApp, authority: &str, body: &Value) -> Value {
    let reply = app
        .post(
            "/v1/contracts",
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

async fn import_csv(
    app: &TestApp,
    authority: &str,
    csv: impl Into<Vec<u8>>,
) -> crate::helpers::Reply {
    app.send(
        TestRequest::post()
            .uri("/v1/contracts/import")
            .insert_header(bearer(&token(authority, &[Role::Procurement])))
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(csv.into()),
    )
    .await
}

fn count_contracts(app: &TestApp) -> i64 {
    let mut conn = app.db.connection();
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM contracts)",
    ))
    .get_result(&mut conn)
    .unwrap()
}

fn count_audit_events(app: &TestApp, action: &str) -> i64 {
    let mut conn = app.db.connection();
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(*) FROM audit_events WHERE entity_type = 'contract' AND action = '{action}')"
    )))
    .get_result(&mut conn)
    .unwrap()
}

const HEADER: &str = "reference,title,supplier_name,companies_house_number,category,cpv_code,annual_value_pence,total_value_pence,start_date,end_date,extension_end_dates,status";

#[actix_web::test]
async fn a_commissioner_registers_a_contract_owned_by_their_authority() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let reply = app
        .send(
            TestRequest::post()
                .uri("/v1/contracts")
                .insert_header(bearer(&t))
                .insert_header(("X-Request-Id", "req-contract-1"))
                .set_json(new_contract("RCH-C-2019-0031")),
        )
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let body = reply.json();
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        reply.header("location").unwrap(),
        format!("/v1/contracts/{id}")
    );
    assert_eq!(reply.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(body["authority"], "RCH");
    assert_eq!(body["reference"], "RCH-C-2019-0031");
    assert_eq!(body["status"], "active");
    assert_eq!(body["version"], 1);
    assert_eq!(body["created_by"], "tester@RCH");
    assert_eq!(body["category"], "home-care");
    assert_eq!(body["companies_house_number"], "04567812");
    assert_eq!(
        body["extension_end_dates"],
        json!(["2028-09-30", "2029-09-30"])
    );
    assert_eq!(body["latest_possible_end"], "2029-09-30");
    assert!(body["intention_id"].is_null());

    let read = app
        .get(
            &format!("/v1/contracts/{id}"),
            &token("TAM", &[Role::Finance]),
        )
        .await;
    assert_eq!(
        read.status, 200,
        "any authenticated caller reads any register"
    );
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
    assert_eq!(events[0]["entity_type"], "contract");
    assert_eq!(events[0]["request_id"], "req-contract-1");
    assert!(events[0]["before"].is_null());
    assert_eq!(events[0]["after"], body);
}

#[actix_web::test]
async fn only_the_required_fields_are_needed() {
    let app = TestApp::spawn().await;
    let body = create(
        &app,
        "SKP",
        &json!({"reference": "SKP/2024/117", "title": "Carers' breaks", "supplier_name": "Stockport Carers Trust",
                "category": "carers", "start_date": "2024-04-01", "end_date": "2026-03-31"}),
    )
    .await;
    assert_eq!(body["status"], "active");
    assert_eq!(body["extension_end_dates"], json!([]));
    assert_eq!(body["latest_possible_end"], "2026-03-31");
    assert!(body["annual_value_pence"].is_null());
    assert!(body["companies_house_number"].is_null());
    assert!(body["cpv_code"].is_null());
}

#[actix_web::test]
async fn procurement_and_admin_may_write_but_not_partner_or_finance() {
    let app = TestApp::spawn().await;
    for (i, role) in [Role::Procurement, Role::Admin].into_iter().enumerate() {
        let reply = app
            .post(
                "/v1/contracts",
                &token("TRF", &[role]),
                &new_contract(&format!("TRF-C-{i}")),
            )
            .await;
        assert_eq!(reply.status, 201, "{role} may create");
    }
    for role in [Role::Partner, Role::Finance, Role::Board, Role::Auditor] {
        let reply = app
            .post(
                "/v1/contracts",
                &token("TRF", &[role]),
                &new_contract("TRF-C-9"),
            )
            .await;
        reply.problem(403);
    }
    let reply = app
        .send(
            TestRequest::post()
                .uri("/v1/contracts/import")
                .insert_header(bearer(&token("TRF", &[Role::Finance])))
                .insert_header(("Content-Type", "text/csv"))
                .set_payload(format!("{HEADER}\n")),
        )
        .await;
    reply.problem(403);
    assert_eq!(count_contracts(&app), 2);
}

#[actix_web::test]
async fn without_a_token_the_register_is_closed() {
    let app = TestApp::spawn().await;
    for uri in [
        "/v1/contracts",
        "/v1/contracts/expiring",
        "/v1/contracts/lead-times",
    ] {
        let reply = app.send(TestRequest::get().uri(uri)).await;
        reply.problem(401);
    }
    let reply = app
        .send(
            TestRequest::post()
                .uri("/v1/contracts")
                .set_json(new_contract("X-1")),
        )
        .await;
    reply.problem(401);
    let reply = app
        .send(
            TestRequest::post()
                .uri("/v1/contracts/import")
                .insert_header(("Content-Type", "text/csv"))
                .set_payload(format!("{HEADER}\n")),
        )
        .await;
    reply.problem(401);
}

#[actix_web::test]
async fn an_unknown_contract_is_404() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let path = "/v1/contracts/0193b100-0000-7000-8000-000000000999";
    app.get(path, &t).await.problem(404);
    app.patch(path, &t, &json!({"title": "x"}))
        .await
        .problem(404);
    app.get("/v1/contracts/not-a-uuid", &t).await.problem(404);
    // The fixed paths beside /contracts/{id} are not taken for ids: another method is 405.
    for (method, uri, allow) in [
        ("PATCH", "/v1/contracts/import", "POST"),
        ("GET", "/v1/contracts/import", "POST"),
        ("PATCH", "/v1/contracts/expiring", "GET"),
        ("PATCH", "/v1/contracts/lead-times", "GET, PUT"),
        ("POST", "/v1/contracts/lead-times", "GET, PUT"),
    ] {
        let reply = app
            .send(
                TestRequest::default()
                    .method(method.parse().unwrap())
                    .uri(uri)
                    .insert_header(bearer(&t))
                    .set_json(json!({})),
            )
            .await;
        reply.problem(405);
        assert_eq!(
            reply.header("allow").as_deref(),
            Some(allow),
            "{method} {uri}"
        );
    }
}

#[actix_web::test]
async fn a_reference_is_unique_within_its_authority_only() {
    let app = TestApp::spawn().await;
    create(&app, "RCH", &new_contract("C-0001")).await;
    let reply = app
        .post(
            "/v1/contracts",
            &token("RCH", &[Role::Commissioner]),
            &new_contract("C-0001"),
        )
        .await;
    let problem = reply.problem(409);
    assert!(
        problem["detail"].as_str().unwrap().contains("C-0001"),
        "{problem}"
    );
    create(&app, "TAM", &new_contract("C-0001")).await;

    // A patch to a reference in use is refused the same way.
    let other = create(&app, "RCH", &new_contract("C-0002")).await;
    app.patch(
        &format!("/v1/contracts/{}", other["id"].as_str().unwrap()),
        &token("RCH", &[Role::Commissioner]),
        &json!({"reference": "C-0001"}),
    )
    .await
    .problem(409);
    assert_eq!(count_contracts(&app), 3);
}

#[actix_web::test]
async fn invalid_contracts_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({"start_date": "2027-01-01", "end_date": "2026-12-31", "extension_end_dates": []}),
            &["end_date"],
        ),
        (
            json!({"extension_end_dates": ["2027-09-30"]}),
            &["extension_end_dates"],
        ),
        (
            json!({"extension_end_dates": ["2029-09-30", "2028-09-30"]}),
            &["extension_end_dates"],
        ),
        (json!({"total_value_pence": 1000}), &["total_value_pence"]),
        (json!({"category": "no-such-category"}), &["category"]),
        (json!({"category": "Home Care"}), &["category"]),
        (
            json!({"companies_house_number": "1234567"}),
            &["companies_house_number"],
        ),
        (
            json!({"companies_house_number": "sc123456"}),
            &["companies_house_number"],
        ),
        (json!({"cpv_code": "853111003"}), &["cpv_code"]),
        (json!({"reference": ""}), &["reference"]),
        (json!({"reference": "x".repeat(65)}), &["reference"]),
        (json!({"title": "   "}), &["title"]),
        (json!({"status": "cancelled"}), &["status"]),
        (json!({"annual_value_pence": -1}), &["annual_value_pence"]),
        (json!({"end_date": "3000-01-01"}), &["end_date"]),
        (
            json!({"intention_id": "0193b000-0000-7000-8000-000000000999"}),
            &["intention_id"],
        ),
        (json!({"surprise": true}), &["surprise"]),
        (
            json!({"start_date": "2028-01-01", "total_value_pence": 1, "title": ""}),
            &["title", "total_value_pence", "end_date"],
        ),
    ];
    for (change, fields) in cases {
        let mut body = new_contract("RCH-C-BAD");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = app.post("/v1/contracts", &t, &body).await;
        assert_eq!(reply.invalid_fields(), fields, "{change}");
    }
    assert_eq!(count_contracts(&app), 0);
}

#[actix_web::test]
async fn a_contract_links_only_to_its_own_authoritys_intention() {
    let app = TestApp::spawn().await;
    let ci = |authority: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/v1/commissioning-intentions",
                &token(authority, &[Role::Commissioner]),
                &new_intention(),
            )
            .await
            .json()["id"]
                .clone()
        }
    };
    let own = ci("RCH").await;
    let theirs = ci("TAM").await;
    let mut body = new_contract("RCH-C-1");
    body["intention_id"] = theirs.clone();
    let reply = app
        .post("/v1/contracts", &token("RCH", &[Role::Commissioner]), &body)
        .await;
    assert_eq!(reply.invalid_fields(), ["intention_id"]);
    body["intention_id"] = own.clone();
    let created = create(&app, "RCH", &body).await;
    assert_eq!(created["intention_id"], own);

    let path = format!("/v1/contracts/{}", created["id"].as_str().unwrap());
    let t = token("RCH", &[Role::Commissioner]);
    let reply = app.patch(&path, &t, &json!({"intention_id": theirs})).await;
    assert_eq!(reply.invalid_fields(), ["intention_id"]);
    let reply = app.patch(&path, &t, &json!({"intention_id": null})).await;
    assert_eq!(reply.status, 200);
    assert!(reply.json()["intention_id"].is_null());
}

#[actix_web::test]
async fn a_patch_changes_only_what_it_names_and_is_audited() {
    let app = TestApp::spawn().await;
    let created = create(&app, "RCH", &new_contract("RCH-C-2019-0031")).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/contracts/{id}");
    let t = token("RCH", &[Role::Procurement]);
    // The first extension is taken up: the end moves on and the option is used.
    let reply = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "\"1\""))
                .insert_header(("Content-Type", "application/merge-patch+json"))
                .set_payload(r#"{"end_date": "2028-09-30", "extension_end_dates": ["2029-09-30"], "companies_house_number": null, "category": "residential-nursing"}"#),
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
    assert_eq!(after["end_date"], "2028-09-30");
    assert_eq!(after["extension_end_dates"], json!(["2029-09-30"]));
    assert_eq!(after["latest_possible_end"], "2029-09-30");
    assert!(after["companies_house_number"].is_null());
    assert_eq!(after["category"], "residential-nursing");
    assert_eq!(after["version"], 2);
    for unchanged in [
        "reference",
        "title",
        "supplier_name",
        "annual_value_pence",
        "start_date",
        "created_at",
        "status",
    ] {
        assert_eq!(
            after[unchanged], created[unchanged],
            "{unchanged} should not change"
        );
    }
    // Terminated early.
    let reply = app
        .patch(
            &path,
            &t,
            &json!({"status": "terminated", "extension_end_dates": []}),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "terminated");
    assert_eq!(reply.json()["latest_possible_end"], "2028-09-30");

    let audit = app
        .get(
            &format!("/v1/audit-events?entity_id={id}"),
            &token("RCH", &[Role::Admin]),
        )
        .await
        .json();
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["action"], "update");
    assert_eq!(items[1]["before"], created);
    assert_eq!(items[1]["after"], after);
}

#[actix_web::test]
async fn a_patch_is_checked_against_the_stored_values_it_leaves_alone() {
    let app = TestApp::spawn().await;
    let created = create(&app, "RCH", &new_contract("RCH-C-1")).await;
    let path = format!("/v1/contracts/{}", created["id"].as_str().unwrap());
    let t = token("RCH", &[Role::Commissioner]);
    // Stored end 2027-09-30, extensions to 2028 and 2029, annual 1,180,000,000.
    for (patch, field) in [
        (json!({"start_date": "2027-10-01"}), "end_date"),
        (json!({"end_date": "2028-12-31"}), "extension_end_dates"),
        (json!({"total_value_pence": 1}), "total_value_pence"),
        (json!({"category": "nothing-like-it"}), "category"),
        (json!({"supplier_name": ""}), "supplier_name"),
        (json!({"title": null}), "title"),
        (json!({"end_date": null}), "end_date"),
        (json!({"extension_end_dates": null}), "extension_end_dates"),
        (json!({"status": null}), "status"),
    ] {
        assert_eq!(
            app.patch(&path, &t, &patch).await.invalid_fields(),
            [field],
            "{patch}"
        );
    }
    assert_eq!(app.get(&path, &t).await.json()["version"], 1);
    // Clearing the annual value lifts the value rule.
    let reply = app
        .patch(
            &path,
            &t,
            &json!({"annual_value_pence": null, "total_value_pence": 1}),
        )
        .await;
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn another_authority_may_not_change_a_contract() {
    let app = TestApp::spawn().await;
    let created = create(&app, "RCH", &new_contract("RCH-C-1")).await;
    let path = format!("/v1/contracts/{}", created["id"].as_str().unwrap());
    app.patch(
        &path,
        &token("TAM", &[Role::Admin]),
        &json!({"title": "Mine now"}),
    )
    .await
    .problem(403);
    app.patch(
        &path,
        &token("RCH", &[Role::Finance]),
        &json!({"title": "Mine now"}),
    )
    .await
    .problem(403);
    app.patch(
        &path,
        &token("RCH", &[Role::Partner]),
        &json!({"title": "Mine now"}),
    )
    .await
    .problem(403);
    let now = app.get(&path, &token("RCH", &[Role::Auditor])).await.json();
    assert_eq!(now["title"], created["title"]);
}

#[actix_web::test]
async fn a_stale_if_match_is_refused() {
    let app = TestApp::spawn().await;
    let created = create(&app, "RCH", &new_contract("RCH-C-1")).await;
    let path = format!("/v1/contracts/{}", created["id"].as_str().unwrap());
    let t = token("RCH", &[Role::Commissioner]);
    let send = |title: &'static str| {
        TestRequest::patch()
            .uri(&path)
            .insert_header(bearer(&t))
            .insert_header(("If-Match", "\"1\""))
            .set_json(json!({"title": title}))
    };
    assert_eq!(app.send(send("First")).await.status, 200);
    app.send(send("Second")).await.problem(412);
    assert_eq!(app.get(&path, &t).await.json()["title"], "First");
}

#[actix_web::test]
async fn creating_with_an_idempotency_key_happens_once() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let send = || {
        TestRequest::post()
            .uri("/v1/contracts")
            .insert_header(bearer(&t))
            .insert_header(("Idempotency-Key", "contract-key-1"))
            .set_json(new_contract("RCH-C-1"))
    };
    let first = app.send(send()).await;
    assert_eq!(first.status, 201);
    let again = app.send(send()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.json(), first.json());
    assert_eq!(count_contracts(&app), 1);
}

#[actix_web::test]
async fn lists_filter_and_page_in_a_stable_order() {
    let app = TestApp::spawn().await;
    let variants = [
        (
            "RCH",
            "R-1",
            "home-care",
            "Pennine Care at Home Ltd",
            "2027-03-31",
            "active",
        ),
        (
            "RCH",
            "R-2",
            "supported-living",
            "Creative Support 100%",
            "2026-03-31",
            "active",
        ),
        (
            "RCH",
            "R-3",
            "home-care",
            "Care_First Ltd",
            "2025-03-31",
            "expired",
        ),
        (
            "TAM",
            "T-1",
            "day-services",
            "Tameside Day Opportunities",
            "2028-06-30",
            "planned",
        ),
        (
            "TAM",
            "T-2",
            "home-care",
            "PENNINE care north",
            "2027-03-31",
            "terminated",
        ),
    ];
    let mut ids = Vec::new();
    for (authority, reference, category, supplier, end, status) in variants {
        let mut body = new_contract(reference);
        body["category"] = json!(category);
        body["supplier_name"] = json!(supplier);
        body["start_date"] = json!("2020-04-01");
        body["end_date"] = json!(end);
        body["extension_end_dates"] = json!([]);
        body["status"] = json!(status);
        ids.push(create(&app, authority, &body).await["id"].clone());
    }
    let t = token("TRF", &[Role::Partner]);
    let refs = |q: &'static str| {
        let app = &app;
        let t = t.clone();
        async move {
            let reply = app.get(&format!("/v1/contracts?{q}"), &t).await;
            assert_eq!(
                reply.status,
                200,
                "{q}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            reply.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["reference"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(refs("").await, ["R-1", "R-2", "R-3", "T-1", "T-2"]);
    assert_eq!(refs("authority=TAM").await, ["T-1", "T-2"]);
    assert_eq!(refs("status=active").await, ["R-1", "R-2"]);
    assert_eq!(refs("category=home-care").await, ["R-1", "R-3", "T-2"]);
    assert_eq!(
        refs("category=adult-social-care").await.len(),
        5,
        "a category includes its subcategories"
    );
    assert_eq!(refs("supplier=pennine").await, ["R-1", "T-2"]);
    assert_eq!(refs("supplier=100%25").await, ["R-2"], "% matches itself");
    assert_eq!(refs("supplier=e_f").await, ["R-3"], "_ matches itself");
    assert_eq!(refs("supplier=e%25f").await, Vec::<String>::new());
    assert_eq!(
        refs("ending_before=2026-03-31").await,
        ["R-2", "R-3"],
        "on or before"
    );
    assert_eq!(
        refs("ending_after=2027-03-31").await,
        ["R-1", "T-1", "T-2"],
        "on or after"
    );
    assert_eq!(
        refs("ending_after=2026-01-01&ending_before=2027-12-31&authority=RCH").await,
        ["R-1", "R-2"]
    );
    assert_eq!(refs("updated_since=2999-01-01T00:00:00Z").await.len(), 0);
    app.get("/v1/contracts?status=cancelled", &t)
        .await
        .invalid_fields();
    assert_eq!(
        app.get("/v1/contracts?ending_before=31/03/2027", &t)
            .await
            .invalid_fields(),
        ["ending_before"]
    );

    let mut seen = Vec::new();
    let mut uri = "/v1/contracts?limit=2".to_string();
    loop {
        let page = app.get(&uri, &t).await.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/v1/contracts?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

// ---------------------------------------------------------------------------------------------
// CSV import

/// One CSV line of a valid contract.
fn csv_row(reference: &str, i: usize) -> String {
    let categories = [
        "home-care",
        "residential-nursing",
        "supported-living",
        "day-services",
        "carers",
    ];
    let annual = 10_000_000 + (i as i64 % 97) * 1_000_000;
    format!(
        "{reference},\"Care package {i}, North\",Supplier {i} Ltd,{:08},{},85311100-3,{annual},{},2024-04-01,2027-03-31,2028-03-31;2029-03-31,active",
        i,
        categories[i % categories.len()],
        annual * 5,
    )
}

#[actix_web::test]
async fn ten_thousand_rows_import_in_one_request() {
    let app = TestApp::spawn().await;
    let mut csv = String::from(HEADER);
    csv.push('\n');
    for i in 0..10_000 {
        csv.push_str(&csv_row(&format!("RCH-C-IMP-{i:05}"), i));
        csv.push('\n');
    }
    let started = Instant::now();
    let reply = import_csv(&app, "RCH", csv).await;
    let took = started.elapsed();
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json(), json!({"imported": 10_000}));
    eprintln!("imported 10,000 contracts in {took:?}");
    assert!(took.as_secs() < 60, "the import took {took:?}");
    assert_eq!(count_contracts(&app), 10_000);
    assert_eq!(count_audit_events(&app, "import"), 10_000);

    let t = token("RCH", &[Role::Finance]);
    let page = app
        .get("/v1/contracts?supplier=Supplier%209999%20Ltd", &t)
        .await
        .json();
    let c = &page["items"][0];
    assert_eq!(c["reference"], "RCH-C-IMP-09999");
    assert_eq!(c["title"], "Care package 9999, North");
    assert_eq!(c["authority"], "RCH");
    assert_eq!(c["companies_house_number"], "00009999");
    assert_eq!(
        c["extension_end_dates"],
        json!(["2028-03-31", "2029-03-31"])
    );
    assert_eq!(c["created_by"], "tester@RCH");
    let audit = app
        .get(
            &format!("/v1/audit-events?entity_id={}", c["id"].as_str().unwrap()),
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    assert_eq!(audit["items"][0]["action"], "import");
    assert_eq!(audit["items"][0]["after"], *c);
}

#[actix_web::test]
async fn a_bad_import_lists_every_bad_row_and_imports_nothing() {
    let app = TestApp::spawn().await;
    create(&app, "RCH", &new_contract("RCH-C-EXISTING")).await;
    let rows = [
        csv_row("RCH-C-A", 2),                                               // row 2
        csv_row("RCH-C-B", 3).replace("2027-03-31,2028", "31/03/2027,2028"), // row 3: bad end date
        csv_row("RCH-C-C", 4),                                               // row 4
        csv_row("RCH-C-D", 5),                                               // row 5
        csv_row("RCH-C-E", 6),                                               // row 6
        csv_row("RCH-C-A", 7), // row 7: duplicate of row 2
        csv_row("RCH-C-G", 8), // row 8
    ];
    let csv = format!("{HEADER}\n{}\n", rows.join("\n"));
    let reply = import_csv(&app, "RCH", csv).await;
    assert_eq!(
        reply.invalid_fields(),
        ["row 3: end_date", "row 7: reference"]
    );
    let problem = reply.json();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was imported"),
        "{problem}"
    );
    assert!(
        problem["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("row 2"),
        "{problem}"
    );
    assert_eq!(count_contracts(&app), 1);
    assert_eq!(count_audit_events(&app, "import"), 0);

    // Every kind of row problem, each named by row and column.
    let rows = [
        csv_row("RCH-C-EXISTING", 2), // 2: already registered
        csv_row("RCH-C-X", 3).replace(",day-services,", ",knitting,"), // 3: unknown category
        csv_row("RCH-C-Y", 4).replace("2024-04-01", "2027-04-01"), // 4: ends before it starts
        "RCH-C-Z,too,few,cells".to_string(), // 5
        csv_row("RCH-C-W", 6).replace(",active", ",cancelled"), // 6
        csv_row("RCH-C-V", 7).replace("00000007", "7"), // 7
        csv_row("", 8),               // 8: no reference
        csv_row("RCH-C-U", 9).replace("2028-03-31;2029-03-31", "2029-03-31;2028-03-31"), // 9
        csv_row("RCH-C-T", 10).replace(",85311100-3,", ",85311100,"), // 10
        csv_row("RCH-C-S", 11).replace(",21000000,", ",-5,"), // 11: negative annual
    ];
    let csv = format!("{HEADER}\n{}\n", rows.join("\n"));
    let reply = import_csv(&app, "RCH", csv).await;
    assert_eq!(
        reply.invalid_fields(),
        [
            "row 2: reference",
            "row 3: category",
            "row 4: end_date",
            "row 5",
            "row 6: status",
            "row 7: companies_house_number",
            "row 8: reference",
            "row 9: extension_end_dates",
            "row 10: cpv_code",
            "row 11: annual_value_pence",
        ]
    );
    assert_eq!(count_contracts(&app), 1);
}

#[actix_web::test]
async fn a_long_list_of_problems_is_capped() {
    let app = TestApp::spawn().await;
    let mut csv = format!("{HEADER}\n");
    for i in 0..150 {
        csv.push_str(&csv_row(&format!("R-{i}"), i).replace(",active", ",unknown"));
        csv.push('\n');
    }
    let reply = import_csv(&app, "RCH", csv).await;
    let fields = reply.invalid_fields();
    assert_eq!(fields.len(), 100);
    assert_eq!(fields[0], "row 2: status");
    let detail = reply.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("150 rows") && detail.contains("first 100"),
        "{detail}"
    );
}

#[actix_web::test]
async fn an_import_may_leave_out_optional_columns_in_any_order() {
    let app = TestApp::spawn().await;
    let csv = "\u{feff}title,reference,supplier_name,category,start_date,end_date\r\n\
               \"Day services, Heywood\",RCH-D-1,Heywood Day Centre CIC,day-services,2025-04-01,2027-03-31\r\n\
               \"Carers' breaks\r\nand respite\",RCH-D-2,Rochdale Carers,carers,2025-04-01,2026-03-31\r\n";
    let reply = import_csv(&app, "RCH", csv).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["imported"], 2);
    let page = app
        .get(
            "/v1/contracts?authority=RCH",
            &token("RCH", &[Role::Finance]),
        )
        .await
        .json();
    assert_eq!(page["items"][0]["title"], "Day services, Heywood");
    assert_eq!(page["items"][0]["status"], "active");
    assert_eq!(page["items"][1]["title"], "Carers' breaks\r\nand respite");

    // Row numbers are the line a record starts on, so a multi-line cell moves the rows after it.
    let csv = "reference,title,supplier_name,category,start_date,end_date\n\
               RCH-D-3,\"Two\nlines\",S,carers,2025-04-01,2026-03-31\n\
               RCH-D-4,T,S,carers,2025-04-01,2024-03-31\n";
    let reply = import_csv(&app, "RCH", csv).await;
    assert_eq!(reply.invalid_fields(), ["row 4: end_date"]);
}

#[actix_web::test]
async fn cells_that_cannot_be_stored_are_refused_by_row() {
    let app = TestApp::spawn().await;
    let mut csv = b"reference,title,supplier_name,category,start_date,end_date\n".to_vec();
    csv.extend_from_slice(b"R-1,Title,Bad \xFF supplier,carers,2025-04-01,2026-03-31\n");
    // A blank line is skipped; rows keep the numbers of their lines.
    csv.extend_from_slice(b"\n");
    csv.extend_from_slice(b"R-2,Nul \x00 title,S,carers,2025-04-01,2026-03-31\n");
    csv.extend_from_slice(b"R-3,,S,carers,2025-04-01,2026-03-31\n");
    let reply = import_csv(&app, "RCH", csv).await;
    assert_eq!(
        reply.invalid_fields(),
        ["row 2: supplier_name", "row 4: title", "row 5: title"]
    );
    assert_eq!(count_contracts(&app), 0);
}

#[actix_web::test]
async fn an_import_with_a_bad_header_or_no_rows_is_refused() {
    let app = TestApp::spawn().await;
    for (csv, field) in [
        ("", "header"),
        (
            "reference,title,supplier,category,start_date,end_date\n",
            "header",
        ),
        (
            "reference,title,supplier_name,category,start_date\n",
            "header",
        ),
        (&format!("{HEADER}\n") as &str, "(body)"),
    ] {
        let reply = import_csv(&app, "RCH", csv.to_string()).await;
        assert!(reply.invalid_fields().iter().all(|f| f == field), "{csv:?}");
    }
}

#[actix_web::test]
async fn an_import_must_be_csv() {
    let app = TestApp::spawn().await;
    let reply = app
        .post(
            "/v1/contracts/import",
            &token("RCH", &[Role::Procurement]),
            &json!([new_contract("RCH-C-1")]),
        )
        .await;
    reply.problem(415);
    let reply = app
        .send(
            TestRequest::post()
                .uri("/v1/contracts/import")
                .insert_header(bearer(&token("RCH", &[Role::Procurement])))
                .set_payload(format!("{HEADER}\n{}\n", csv_row("RCH-C-1", 1))),
        )
        .await;
    reply.problem(415);
    // A charset parameter is fine.
    let reply = app
        .send(
            TestRequest::post()
                .uri("/v1/contracts/import")
                .insert_header(bearer(&token("RCH", &[Role::Procurement])))
                .insert_header(("Content-Type", "text/csv; charset=utf-8"))
                .set_payload(format!("{HEADER}\n{}\n", csv_row("RCH-C-1", 1))),
        )
        .await;
    assert_eq!(reply.status, 201);
}

#[actix_web::test]
async fn an_import_over_the_limit_is_413() {
    let app = TestApp::spawn().await;
    let limit = app.state.limits.import;
    let mut csv = format!("{HEADER}\n").into_bytes();
    let row = format!("{}\n", csv_row("RCH-C-BIG", 1));
    while csv.len() <= limit {
        csv.extend_from_slice(row.as_bytes());
    }
    import_csv(&app, "RCH", csv).await.problem(413);
    assert_eq!(count_contracts(&app), 0);
}

#[actix_web::test]
async fn an_import_with_an_idempotency_key_happens_once() {
    let app = TestApp::spawn().await;
    let csv = format!(
        "{HEADER}\n{}\n{}\n",
        csv_row("RCH-C-1", 1),
        csv_row("RCH-C-2", 2)
    );
    let send = |csv: String| {
        TestRequest::post()
            .uri("/v1/contracts/import")
            .insert_header(bearer(&token("RCH", &[Role::Procurement])))
            .insert_header(("Content-Type", "text/csv"))
            .insert_header(("Idempotency-Key", "import-2026-11"))
            .set_payload(csv)
    };
    let first = app.send(send(csv.clone())).await;
    assert_eq!(first.status, 201);
    let again = app.send(send(csv.clone())).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.json(), json!({"imported": 2}));
    assert_eq!(count_contracts(&app), 2);
    let other = app
        .send(send(format!("{HEADER}\n{}\n", csv_row("RCH-C-3", 3))))
        .await;
    assert_eq!(other.invalid_fields(), ["Idempotency-Key"]);
}

// ---------------------------------------------------------------------------------------------
// Lead times

#[actix_web::test]
async fn lead_times_are_read_by_anyone_and_replaced_by_an_admin() {
    let app = TestApp::spawn().await;
    let seeded = app
        .get("/v1/contracts/lead-times", &token("SKP", &[Role::Partner]))
        .await;
    assert_eq!(seeded.status, 200);
    assert_eq!(
        seeded.json(),
        json!({"bands": [
            {"min_total_value_pence": 0, "lead_time_months": 6},
            {"min_total_value_pence": 66_354_000, "lead_time_months": 9},
            {"min_total_value_pence": 200_000_000, "lead_time_months": 12},
            {"min_total_value_pence": 1_000_000_000, "lead_time_months": 18}
        ]})
    );
    let put = |t: String, body: Value| {
        TestRequest::put()
            .uri("/v1/contracts/lead-times")
            .insert_header(bearer(&t))
            .set_json(body)
    };
    let admin = token("RCH", &[Role::Admin]);
    let new = json!({"bands": [
        {"min_total_value_pence": 0, "lead_time_months": 4},
        {"min_total_value_pence": 50_000_000, "lead_time_months": 24}
    ]});
    for role in [Role::Commissioner, Role::Procurement, Role::Finance] {
        app.send(put(token("RCH", &[role]), new.clone()))
            .await
            .problem(403);
    }
    let reply = app.send(put(admin.clone(), new.clone())).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json(), new);
    assert_eq!(
        app.get("/v1/contracts/lead-times", &token("TAM", &[Role::Finance]))
            .await
            .json(),
        new
    );

    for (body, fields) in [
        (json!({"bands": []}), vec!["bands"]),
        (
            json!({"bands": [{"min_total_value_pence": 1, "lead_time_months": 6}]}),
            vec!["bands[0].min_total_value_pence"],
        ),
        (
            json!({"bands": [{"min_total_value_pence": 0, "lead_time_months": 6}, {"min_total_value_pence": 100, "lead_time_months": 9}, {"min_total_value_pence": 100, "lead_time_months": 12}]}),
            vec!["bands[2].min_total_value_pence"],
        ),
        (
            json!({"bands": [{"min_total_value_pence": 0, "lead_time_months": 6}, {"min_total_value_pence": 100, "lead_time_months": 61}]}),
            vec!["bands[1].lead_time_months"],
        ),
        (
            json!({"bands": [{"min_total_value_pence": 0, "lead_time_months": 0}]}),
            vec!["bands[0].lead_time_months"],
        ),
        (
            json!({"bands": [{"min_total_value_pence": -1, "lead_time_months": 6}]}),
            vec!["bands[0].min_total_value_pence"],
        ),
    ] {
        let reply = app.send(put(admin.clone(), body.clone())).await;
        assert_eq!(reply.invalid_fields(), fields, "{body}");
    }
    assert_eq!(
        app.get("/v1/contracts/lead-times", &admin).await.json(),
        new,
        "refused replacements change nothing"
    );

    let audit = app
        .get(
            "/v1/audit-events?entity_type=reprocurement_lead_times",
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["action"], "replace");
    assert_eq!(items[0]["before"], seeded.json());
    assert_eq!(items[0]["after"], new);
}

// ---------------------------------------------------------------------------------------------
// Expiry pipeline

struct Pipeline {
    app: TestApp,
}

impl Pipeline {
    async fn contract(
        &self,
        authority: &str,
        reference: &str,
        end: &str,
        extensions: &[&str],
        total: Option<i64>,
        status: &str,
    ) {
        let body = json!({
            "reference": reference, "title": format!("Contract {reference}"), "supplier_name": "Supplier Ltd",
            "category": "home-care", "start_date": "2020-01-01", "end_date": end,
            "extension_end_dates": extensions, "total_value_pence": total, "status": status
        });
        create(&self.app, authority, &body).await;
    }

    async fn intention(&self, authority: &str, replaces: &[&str]) -> String {
        let mut body = new_intention();
        body["replaces_contracts"] = json!(replaces);
        let reply = self
            .app
            .post(
                "/v1/commissioning-intentions",
                &token(authority, &[Role::Commissioner]),
                &body,
            )
            .await;
        assert_eq!(reply.status, 201);
        reply.json()["id"].as_str().unwrap().to_string()
    }

    /// The items of the pipeline for a query, following every page.
    async fn items(&self, query: &str) -> Vec<Value> {
        let t = token("SKP", &[Role::Finance]);
        let mut items = Vec::new();
        let mut uri = format!("/v1/contracts/expiring?{query}");
        loop {
            let reply = self.app.get(&uri, &t).await;
            assert_eq!(
                reply.status,
                200,
                "{query}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            let page = reply.json();
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => uri = format!("/v1/contracts/expiring?{query}&cursor={c}"),
                None => break,
            }
        }
        items
    }

    async fn references(&self, query: &str) -> Vec<String> {
        self.items(query)
            .await
            .iter()
            .map(|i| i["contract"]["reference"].as_str().unwrap().to_string())
            .collect()
    }
}

/// Contracts around the window 2026-11-23 to 2028-05-23 (18 months).
async fn pipeline() -> Pipeline {
    let p = Pipeline {
        app: TestApp::spawn().await,
    };
    // On the window's last day: in, with 18 months left (lead time 18 for £10m and over).
    p.contract(
        "RCH",
        "LAST-DAY",
        "2028-05-23",
        &[],
        Some(5_900_000_000),
        "active",
    )
    .await;
    // A day after the window: out.
    p.contract("RCH", "DAY-AFTER", "2028-05-24", &[], None, "active")
        .await;
    // On as_of: in, 0 months left, the lowest band's 6 months: overdue.
    p.contract("RCH", "AS-OF", "2026-11-23", &[], None, "planned")
        .await;
    // The day before as_of: out.
    p.contract("RCH", "DAY-BEFORE", "2026-11-22", &[], None, "active")
        .await;
    // Ended before the window, but an extension is still available into it.
    p.contract(
        "RCH",
        "EXTENDABLE",
        "2026-10-31",
        &["2027-09-30"],
        Some(100_000_000),
        "active",
    )
    .await;
    // In the window, but its extensions run beyond it.
    p.contract(
        "RCH",
        "EXTENDS-OUT",
        "2028-01-31",
        &["2029-01-31"],
        Some(300_000_000),
        "active",
    )
    .await;
    // Ended or ending early: never in the pipeline.
    p.contract("RCH", "TERMINATED", "2027-01-31", &[], None, "terminated")
        .await;
    p.contract("RCH", "EXPIRED", "2027-01-31", &[], None, "expired")
        .await;
    // Another authority's.
    p.contract(
        "TAM",
        "TAM-1",
        "2027-06-30",
        &[],
        Some(70_000_000),
        "active",
    )
    .await;
    p
}

const AS_OF: &str = "as_of=2026-11-23&within_months=18";

#[actix_web::test]
async fn the_pipeline_window_includes_both_ends_and_nothing_beyond() {
    let p = pipeline().await;
    assert_eq!(
        p.references(AS_OF).await,
        ["AS-OF", "TAM-1", "EXTENDS-OUT", "LAST-DAY"],
        "ordered by end date"
    );
    assert_eq!(
        p.references(&format!("{AS_OF}&with_extensions=true")).await,
        ["AS-OF", "TAM-1", "EXTENDABLE", "LAST-DAY"],
        "measured to the last extension's end"
    );
    assert_eq!(
        p.references(&format!("{AS_OF}&authority=RCH")).await,
        ["AS-OF", "EXTENDS-OUT", "LAST-DAY"]
    );
    // One month less drops the last day; a window starting a day later drops as_of's contract.
    assert_eq!(
        p.references("as_of=2026-11-23&within_months=17").await,
        ["AS-OF", "TAM-1", "EXTENDS-OUT"]
    );
    assert_eq!(
        p.references("as_of=2026-11-24&within_months=18").await,
        ["TAM-1", "EXTENDS-OUT", "LAST-DAY", "DAY-AFTER"]
    );

    let items = p.items(AS_OF).await;
    let item = |r: &str| {
        items
            .iter()
            .find(|i| i["contract"]["reference"] == r)
            .unwrap()
            .clone()
    };
    let last = item("LAST-DAY");
    assert_eq!(last["effective_end"], "2028-05-23");
    assert_eq!(last["months_left"], 18);
    assert_eq!(last["lead_time_months"], 18);
    assert_eq!(last["overdue"], false);
    let as_of = item("AS-OF");
    assert_eq!(as_of["months_left"], 0);
    assert_eq!(as_of["lead_time_months"], 6, "no value: the lowest band");
    assert_eq!(as_of["overdue"], true);
    let tam = item("TAM-1");
    assert_eq!(tam["months_left"], 7);
    assert_eq!(tam["lead_time_months"], 9);
    assert_eq!(tam["overdue"], true);
    assert_eq!(tam["contract"]["authority"], "TAM");
    let out = item("EXTENDS-OUT");
    assert_eq!(out["months_left"], 14);
    assert_eq!(out["lead_time_months"], 12);
    assert_eq!(out["overdue"], false);
    assert_eq!(out["covered_by"], json!([]));

    let with = p.items(&format!("{AS_OF}&with_extensions=true")).await;
    let ext = with
        .iter()
        .find(|i| i["contract"]["reference"] == "EXTENDABLE")
        .unwrap();
    assert_eq!(ext["effective_end"], "2027-09-30");
    assert_eq!(ext["contract"]["end_date"], "2026-10-31");
    assert_eq!(ext["months_left"], 10);
    assert_eq!(ext["lead_time_months"], 9);

    let page = p
        .app
        .get(
            &format!("/v1/contracts/expiring?{AS_OF}"),
            &token("RCH", &[Role::Finance]),
        )
        .await
        .json();
    assert_eq!(page["as_of"], "2026-11-23");
    assert_eq!(page["window_end"], "2028-05-23");
}

#[actix_web::test]
async fn the_pipeline_pages_in_end_date_order() {
    let p = pipeline().await;
    // Several contracts ending on the same day page by id within it.
    for r in ["SAME-1", "SAME-2", "SAME-3"] {
        p.contract("SKP", r, "2027-06-30", &[], None, "active")
            .await;
    }
    let all = p.references(AS_OF).await;
    assert_eq!(
        all,
        [
            "AS-OF",
            "TAM-1",
            "SAME-1",
            "SAME-2",
            "SAME-3",
            "EXTENDS-OUT",
            "LAST-DAY"
        ]
    );
    for limit in [1, 2, 3] {
        assert_eq!(
            p.references(&format!("{AS_OF}&limit={limit}")).await,
            all,
            "limit {limit}"
        );
    }
}

#[actix_web::test]
async fn open_intentions_cover_contracts_and_closed_ones_do_not() {
    let p = pipeline().await;
    let covering = p.intention("RCH", &["LAST-DAY", "SOMETHING-ELSE"]).await;
    let withdrawn = p.intention("RCH", &["AS-OF"]).await;
    let reply = p
        .app
        .send(
            TestRequest::post()
                .uri(&format!(
                    "/v1/commissioning-intentions/{withdrawn}/withdraw"
                ))
                .insert_header(bearer(&token("RCH", &[Role::Commissioner]))),
        )
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    // Another authority's intention naming an RCH reference covers nothing of RCH's.
    p.intention("TAM", &["EXTENDS-OUT"]).await;

    let items = p.items(AS_OF).await;
    let last = items
        .iter()
        .find(|i| i["contract"]["reference"] == "LAST-DAY")
        .unwrap();
    assert_eq!(last["covered_by"].as_array().unwrap().len(), 1);
    assert_eq!(last["covered_by"][0]["id"], covering.as_str());
    assert_eq!(last["covered_by"][0]["reference"], "RCH-CI-2026-0001");
    assert_eq!(last["covered_by"][0]["status"], "draft");
    assert_eq!(
        p.references(&format!("{AS_OF}&uncovered=true")).await,
        ["AS-OF", "TAM-1", "EXTENDS-OUT"]
    );
    assert_eq!(
        p.references(&format!("{AS_OF}&uncovered=true&limit=1"))
            .await,
        ["AS-OF", "TAM-1", "EXTENDS-OUT"]
    );
}

#[actix_web::test]
async fn the_pipeline_defaults_to_18_months_from_today() {
    let app = TestApp::spawn().await;
    let today = chrono::Utc::now().date_naive();
    let soon = today + chrono::Months::new(3);
    let later = today + chrono::Months::new(19);
    for (r, end) in [("SOON", soon), ("LATER", later)] {
        let mut body = new_contract(r);
        body["start_date"] = json!("2020-01-01");
        body["end_date"] = json!(end.to_string());
        body["extension_end_dates"] = json!([]);
        create(&app, "RCH", &body).await;
    }
    let page = app
        .get("/v1/contracts/expiring", &token("RCH", &[Role::Finance]))
        .await
        .json();
    assert_eq!(page["as_of"], today.to_string());
    assert_eq!(
        page["window_end"],
        (today + chrono::Months::new(18)).to_string()
    );
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["contract"]["reference"], "SOON");
    assert_eq!(items[0]["months_left"], 3);
}

#[actix_web::test]
async fn bad_pipeline_parameters_are_422() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Finance]);
    for (query, field) in [
        ("within_months=0", "within_months"),
        ("within_months=121", "within_months"),
        ("within_months=-3", "within_months"),
        ("as_of=23/11/2026", "as_of"),
        ("as_of=3000-01-01", "as_of"),
        ("uncovered=maybe", "uncovered"),
        ("cursor=not-a-cursor", "cursor"),
        ("authority=rch", "authority"),
        ("limit=501", "limit"),
        ("colour=red", "colour"),
    ] {
        let reply = app
            .get(&format!("/v1/contracts/expiring?{query}"), &t)
            .await;
        assert_eq!(reply.invalid_fields(), [field], "{query}");
    }
}
